/*
 * sumdb verify-note: checks a signed tree note (a /latest body) with one
 * verifier key and prints the signer, tree size and root hash.  The three
 * failure kinds stay apart in the message: a malformed note, a note with
 * no signature by this key, and a signature by this key that is wrong.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "csumdb/base64.h"
#include "csumdb/note.h"
#include "csumdb/treenote.h"
#include "limits.h"

static void
verify_note_usage(FILE *f)
{
	fprintf(f,
	    "usage: sumdb verify-note [--json] --vkey KEY [FILE]\n"
	    "\n"
	    "Verifies a signed tree note (a checksum database's /latest) read from\n"
	    "FILE, or standard input when FILE is absent or -, and prints the\n"
	    "signer, the tree size and the root hash.\n"
	    "\n"
	    "  --vkey KEY   verifier key NAME+HASH+KEY, or sum.golang.org for its\n"
	    "               built-in key\n"
	    "  --json       print one JSON object, also when it fails: \"valid\":false\n"
	    "               and a \"reason\" for a note that does not verify,\n"
	    "               \"valid\":null and the reason could-not-check when nothing\n"
	    "               was checked; a usage error is on standard error only\n"
	    "  --help       this text\n"
	    "\n"
	    "Exit status: 0 valid; 2 malformed or not signed by KEY; 1 usage, I/O or\n"
	    "empty input.\n");
}

static void
print_signers(FILE *f, const struct sdb_note_sig *sigs, size_t n)
{
	char shown[SDB_NOTE_SIG_SHOWN_MAX];
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "", sdb_note_sig_shown(shown, sizeof shown, &sigs[i]));
}

/*
 * The key v as the signers are shown (print_signers): NAME+HASH, its name
 * quoted when it holds a byte outside printable ASCII.  One rule for
 * every key the message names: two keys of one name (a log's new key,
 * another log's) tell apart by their hashes, and a name's bytes are
 * shown as they are, not as '?'.
 */
static const char *
key_shown(char *buf, size_t cap, const struct sdb_note_verifier *v)
{
	struct sdb_note_sig s;

	memset(&s, 0, sizeof s);
	s.name = sdb_note_verifier_name(v);
	s.name_len = strlen(s.name);
	s.hash = sdb_note_verifier_hash(v);
	return sdb_note_sig_shown(buf, cap, &s);
}

int
cmd_verify_note(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vkey", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *vkey = NULL, *path = NULL, *what;
	struct sdb_note_verifier *v = NULL;
	struct sdb_note *note = NULL;
	struct sdb_errbuf eb = { { 0 } };
	struct sdb_tree tree;
	char *msg = NULL, *line = NULL;
	size_t len = 0, llen = 0;
	FILE *m;
	int json = 0, c, err, status = EXIT_LOCAL;
	const char *reason = NULL;   /* why the note does not verify */
	char detail[SDB_ERRBUF_SIZE + 64], ks[SDB_NOTE_SIG_SHOWN_MAX];

	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': vkey = optarg; break;
		case 'j': json = 1; break;
		case 'h': verify_note_usage(stdout); return EXIT_OK;
		default: cli_usage_error("sumdb verify-note", verify_note_usage); return EXIT_LOCAL;
		}
	}
	if (vkey == NULL || argc - optind > 1) {
		cli_linef(stderr, "sumdb verify-note: %s",
		    vkey == NULL ? "--vkey is required" : "at most one FILE");
		cli_usage_error("sumdb verify-note", verify_note_usage);
		return EXIT_LOCAL;
	}
	if (optind < argc)
		path = argv[optind];
	what = cli_input_name(path);

	err = sdb_note_verifier_from_arg(&v, vkey, &eb);
	if (err != SDB_OK) {
		snprintf(detail, sizeof detail, "--vkey: %s", sdb_errmsg(&eb, err));
		goto unchecked;
	}
	/* Empty, as from `curl -s` of a server that is down: nothing was
	 * checked. */
	msg = cli_read_nonempty(path, SDB_MAX_NOTE_SIZE, "note", &len, &eb);
	if (msg == NULL) {
		snprintf(detail, sizeof detail, "%s", eb.msg);
		goto unchecked;
	}

	err = sdb_note_open1(&note, msg, len, v, &eb);
	if (err == SDB_OK)
		err = sdb_tree_note_parse(&tree, note->text, note->text_len, &eb);
	switch (err) {
	case SDB_OK:
		break;
	case SDB_ERR_NOMEM:
		snprintf(detail, sizeof detail, "out of memory");
		goto unchecked;
	case SDB_ERR_UNVERIFIED_NOTE:
		reason = json_reason(err);
		snprintf(detail, sizeof detail, "not signed by %s", key_shown(ks, sizeof ks, v));
		/* one line, made printable: what names a file */
		if ((m = open_memstream(&line, &llen)) != NULL) {
			fprintf(m, "sumdb verify-note: %s: %s", what, detail);
			if (note != NULL && note->nunverified > 0) {
				fprintf(m, " (signed only by ");
				print_signers(m, note->unverified, note->nunverified);
				fprintf(m, ")");
			}
		}
		if (m != NULL && fclose(m) == 0)
			cli_linef(stderr, "%s", line);
		else
			cli_linef(stderr, "sumdb verify-note: %s: %s", what, detail);
		free(line);
		status = EXIT_VERIFY;
		goto out;
	case SDB_ERR_BAD_SIGNATURE:
		/* the library's words name the key by its raw name */
		reason = json_reason(err);
		snprintf(detail, sizeof detail, "invalid signature for key %s",
		    key_shown(ks, sizeof ks, v));
		cli_linef(stderr, "sumdb verify-note: %s: %s", what, detail);
		status = EXIT_VERIFY;
		goto out;
	default:
		/* the detail names the rule: "malformed note: ..." */
		reason = json_reason(SDB_ERR_MALFORMED_NOTE);
		snprintf(detail, sizeof detail, "%s", sdb_errmsg(&eb, err));
		cli_linef(stderr, "sumdb verify-note: %s: %s", what, sdb_errmsg(&eb, err));
		status = EXIT_VERIFY;
		goto out;
	}

	{
		char root[SDB_B64_ENCODED_LEN(SDB_HASH_SIZE) + 1];
		const struct sdb_note_sig *s = &note->sigs[0];

		sdb_b64_encode(root, tree.hash.b, sizeof tree.hash.b);
		if (json) {
			/* the signer as Go prints key names: NAME+HASH */
			size_t n = s->name_len + 10;
			char *signer = malloc(n);

			if (signer == NULL) {
				snprintf(detail, sizeof detail, "out of memory");
				goto unchecked;
			}
			memcpy(signer, s->name, s->name_len);
			snprintf(signer + s->name_len, 10, "+%08" PRIx32, s->hash);
			printf("{\"valid\":true,\"signer\":");
			json_string(stdout, signer, n - 1);
			free(signer);
			printf(",\"tree_size\":%" PRId64 ",\"root_hash\":", tree.n);
			json_hash(stdout, &tree.hash);
			printf("}\n");
		} else {
			printf("signer: ");
			print_signers(stdout, s, 1);
			printf("\ntree size: %" PRId64 "\nroot hash: %s\n", tree.n, root);
		}
	}
	status = EXIT_OK;
	goto out;
unchecked:
	/* nothing was checked: exit 1, and with --json "valid":null */
	cli_linef(stderr, "sumdb verify-note: %s", detail);
	if (json)
		json_unchecked(stdout, detail);
out:
	/* --json promises one object: a note that does not verify gets one */
	if (json && reason != NULL)
		json_invalid(stdout, reason, detail);
	sdb_note_free(note);
	sdb_note_verifier_free(v);
	free(msg);
	return status;
}
