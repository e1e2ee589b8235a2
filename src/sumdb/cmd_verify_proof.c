/*
 * sumdb verify-proof: checks a C2SP tlog-proof offline against a record
 * text and a verifier key (tlogproof.h) and prints the index, tree size
 * and root.  Every way the proof can fail is exit 2 with what failed;
 * exit 1 is for usage, unreadable files, a proof over the size limit and
 * a record file that is not a go.sum record (a local mistake, about which
 * the proof says nothing).
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csumdb/base64.h"
#include "csumdb/record.h"
#include "csumdb/tlogproof.h"
#include "json.h"
#include "limits.h"

static void
verify_proof_usage(FILE *f)
{
	fprintf(f,
	    "usage: sumdb verify-proof [--json] --vkey KEY --record FILE PROOF\n"
	    "\n"
	    "Verifies the C2SP tlog-proof PROOF (a .tlog-proof file, - for standard\n"
	    "input) offline: its signed tree note must be signed by KEY, and its\n"
	    "inclusion proof must lead from the record text in FILE (the two go.sum\n"
	    "lines of the record, final newline included) to the signed root.\n"
	    "Prints the module version of the record, the record index, the tree\n"
	    "size and the root hash.\n"
	    "\n"
	    "  --vkey KEY     verifier key NAME+HASH+KEY, or sum.golang.org\n"
	    "  --record FILE  the record text (- for standard input)\n"
	    "  --json         print one JSON object, also when it fails: \"valid\":false\n"
	    "                 and a \"reason\" for a proof that does not verify,\n"
	    "                 \"valid\":null and the reason could-not-check when\n"
	    "                 nothing was checked; a usage error is on standard error\n"
	    "                 only\n"
	    "  --help         this text\n"
	    "\n"
	    "Exit status: 0 valid; 2 invalid (says what failed); 1 usage, I/O, a\n"
	    "record file that is not a go.sum record, or a proof too large to read.\n");
}

/* What failed, in words; NULL where the detail says it, as every error
 * of the note does ("malformed note: ...", "malformed tree note: ...")
 * and the proof's own root mismatch does. */
static const char *
failure_kind(int err)
{
	switch (err) {
	case SDB_ERR_UNVERIFIED_NOTE: return "note not signed by the key";
	case SDB_ERR_BAD_SIGNATURE: return "bad signature";
	case SDB_ERR_PROOF_LENGTH: return "wrong number of proof hashes";
	case SDB_ERR_RANGE: return "index not in the tree";
	default: return NULL;
	}
}

int
cmd_verify_proof(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vkey", required_argument, NULL, 'k' },
		{ "record", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *vkey = NULL, *recpath = NULL, *ppath, *kind, *reason;
	struct sdb_note_verifier *v = NULL;
	struct sdb_errbuf eb = { { 0 } };
	struct sdb_tlog_proof p;
	struct sdb_record record;
	struct sdb_tree tree;
	char *rec = NULL, *proof = NULL;
	size_t rlen = 0, plen = 0, mlen;
	int json = 0, c, err, status = EXIT_LOCAL;
	char detail[SDB_ERRBUF_SIZE + 1024], *module = NULL;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': vkey = optarg; break;
		case 'r': recpath = optarg; break;
		case 'j': json = 1; break;
		case 'h': verify_proof_usage(stdout); return EXIT_OK;
		default: cli_usage_error("sumdb verify-proof", verify_proof_usage); return EXIT_LOCAL;
		}
	}
	if (vkey == NULL || recpath == NULL || argc - optind != 1) {
		cli_linef(stderr, "sumdb verify-proof: %s", vkey == NULL ? "--vkey is required" :
		    recpath == NULL ? "--record is required" : "want exactly one PROOF file");
		cli_usage_error("sumdb verify-proof", verify_proof_usage);
		return EXIT_LOCAL;
	}
	ppath = argv[optind];
	if (strcmp(recpath, "-") == 0 && strcmp(ppath, "-") == 0) {
		fprintf(stderr, "sumdb verify-proof: --record and PROOF cannot both be standard input\n");
		cli_usage_error("sumdb verify-proof", verify_proof_usage);
		return EXIT_LOCAL;
	}
	if ((err = sdb_note_verifier_from_arg(&v, vkey, &eb)) != SDB_OK) {
		snprintf(detail, sizeof detail, "--vkey: %s", sdb_errmsg(&eb, err));
		goto unchecked;
	}
	rec = cli_read_file(recpath, SDB_MAX_RECORD_SIZE, &rlen, &eb);
	if (rec == NULL) {
		snprintf(detail, sizeof detail, "%s", eb.msg);
		goto unchecked;
	}
	/* Any other text would only fail to lead to the root, and be
	 * called an invalid proof. */
	if (rlen == 0 || (err = sdb_record_parse(rec, rlen, &record, &eb)) != SDB_OK) {
		/* a byte order mark (an editor's) would otherwise be told
		 * as whatever it breaks further on */
		snprintf(detail, sizeof detail, "%s: not a go.sum record: %s",
		    cli_input_name(recpath),
		    rlen == 0 ? "it is empty" : rlen >= 3 && memcmp(rec, "\xef\xbb\xbf", 3) == 0 ?
		    "it starts with a byte order mark (U+FEFF, bytes EF BB BF), which no record "
		    "has: remove it" : sdb_errmsg(&eb, err));
		goto unchecked;
	}
	/* the module version the proof is about: a team checking many
	 * proofs must see which one each answer is for */
	mlen = record.path.len + 1 + record.version.len;
	if ((module = malloc(mlen + 1)) == NULL) {
		snprintf(detail, sizeof detail, "out of memory");
		goto unchecked;
	}
	snprintf(module, mlen + 1, "%.*s@%.*s", (int)record.path.len, record.path.p,
	    (int)record.version.len, record.version.p);
	/* An empty download is no proof at all, and a file over the limit
	 * was not read to its end: nothing was checked. */
	proof = cli_read_nonempty(ppath, sdb_tlog_proof_max_size(), "proof", &plen, &eb);
	if (proof == NULL) {
		snprintf(detail, sizeof detail, "%s", eb.msg);
		goto unchecked;
	}
	err = sdb_tlog_proof_parse(proof, plen, &p, &eb);
	if (err == SDB_OK)
		err = sdb_tlog_proof_verify(&p, rec, rlen, v, &tree, &eb);
	else if (err != SDB_ERR_NOMEM && err != SDB_ERR_PROOF_LENGTH && err != SDB_ERR_TOO_LARGE)
		err = SDB_ERR_INVALID; /* the proof's syntax, not its note */
	if (err == SDB_ERR_NOMEM) {
		snprintf(detail, sizeof detail, "out of memory");
		goto unchecked;
	}
	/* a note over the limit is not read, as verify-note does not */
	if (err == SDB_ERR_TOO_LARGE) {
		snprintf(detail, sizeof detail, "%s: %s",
		    cli_input_name(ppath), sdb_errmsg(&eb, err));
		goto unchecked;
	}
	if (err != SDB_OK) {
		kind = err == SDB_ERR_INVALID ? "malformed proof" : failure_kind(err);
		reason = err == SDB_ERR_INVALID ? "malformed-proof" : json_reason(err);
		if (json) {
			printf("{\"valid\":false,\"reason\":\"%s\",\"detail\":", reason);
			json_string(stdout, sdb_errmsg(&eb, err), strlen(sdb_errmsg(&eb, err)));
			printf(",\"module\":");
			json_string(stdout, module, mlen);
			printf("}\n");
		}
		cli_linef(stderr, "sumdb verify-proof: %s: %s: INVALID: %s%s%s",
		    cli_input_name(ppath), module,
		    kind != NULL ? kind : "", kind != NULL ? ": " : "", sdb_errmsg(&eb, err));
		status = EXIT_VERIFY;
		goto out;
	}
	if (json) {
		printf("{\"valid\":true,\"index\":%" PRId64 ",\"tree_size\":%" PRId64
		    ",\"root_hash\":", p.index, tree.n);
		json_hash(stdout, &tree.hash);
		printf(",\"module\":");
		json_string(stdout, module, mlen);
		printf("}\n");
	} else {
		char root[SDB_B64_ENCODED_LEN(SDB_HASH_SIZE) + 1];

		sdb_b64_encode(root, tree.hash.b, SDB_HASH_SIZE);
		printf("valid: record %" PRId64 "\nmodule: %s\ntree size: %" PRId64 "\nroot hash: %s\n",
		    p.index, module, tree.n, root);
	}
	status = EXIT_OK;
	goto out;
unchecked:
	/* nothing was checked: exit 1, and with --json "valid":null */
	cli_linef(stderr, "sumdb verify-proof: %s", detail);
	if (json)
		json_unchecked(stdout, detail);
out:
	sdb_note_verifier_free(v);
	free(rec);
	free(proof);
	free(module);
	return status;
}
