/*
 * sumdbd status: what an operator needs to see of a database without
 * stopping the server (it reads through a read-only handle): our log's
 * name and signed tree, whether the signer key's checkpoint
 * (checkpoint.h) lets the key sign for this database, and the public-log
 * path's state (public.h): the public tree accepted last and every stored
 * proof of the public log's misbehavior.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "checkpoint.h"
#include "cli.h"
#include "csumdb/base64.h"
#include "csumdb/note.h"
#include "csumdb/store.h"
#include "fileio.h"
#include "log.h"
#include "public.h"

static void
status_usage(FILE *f)
{
	fprintf(f,
	    "usage: sumdbd status --db FILE [--key FILE] [--checkpoint FILE]\n"
	    "\n"
	    "Prints the log's name and signed tree size, the signer key file the\n"
	    "database names (never read; said when it is missing), whether the key's\n"
	    "checkpoint (the last tree the key signed) is held by this database,\n"
	    "so that serve and add will sign for it, the public log's tree that\n"
	    "sumdbd serve accepted last (its key and signed note), and the evidence\n"
	    "of every misbehavior of the public log it has seen: forks, two trees\n"
	    "it signed that are not consistent, and records it signed that are\n"
	    "not go.sum records.  (Answers that merely do not verify are refused\n"
	    "but prove nothing against the log: not kept.)\n"
	    "Safe while the server runs.\n"
	    "\n"
	    "  --db FILE          the database\n"
	    "  --key FILE         the signer key file serve and add would be given\n"
	    "                     (default: the one the database names), whose\n"
	    "                     checkpoint is beside it; never read\n"
	    "  --checkpoint FILE  the key's checkpoint (default: the key file,\n"
	    "                     with .checkpoint appended)\n"
	    "  --help             this text\n"
	    "\n"
	    "Exit status: 0 ok; 1 usage or local error, or the checkpoint refuses\n"
	    "this database, is missing (serve and add refuse then), or cannot be told\n"
	    "(no key file there, nor --key or --checkpoint); 2 the public log has\n"
	    "misbehaved (evidence is stored).\n");
}

/*
 * Prints where the signer key is (given, or else the one the database
 * names), and whether it is there: serve and add fail at start without
 * it (or without --key), and its checkpoint is looked for beside it.
 * Never opens the key.
 */
static void
print_key(struct sdb_store *s, const char *db, const char *given)
{
	struct sdb_errbuf eb = { { 0 } };
	struct stat sb;
	char *key = NULL;
	int rc;

	if (given != NULL && (key = strdup(given)) == NULL) {
		printf("signer key: cannot tell (out of memory)\n");
		return;
	}
	if (given == NULL && (rc = sdbd_key_path(s, db, &key, &eb)) != SDB_OK) {
		printf("signer key: cannot tell (%s)\n", sdb_errmsg(&eb, rc));
		return;
	}
	if (stat(key, &sb) != 0)
		printf("signer key: %s: %s%s\n", key, strerror(errno), given != NULL ? "" :
		    " (serve and add cannot sign without --key FILE)");
	else if (!S_ISREG(sb.st_mode))
		printf("signer key: %s: not a regular file\n", key);
	else if ((sb.st_mode & 077) != 0)
		printf("signer key: %s (mode %04o: others can read or write it; chmod 600 it)\n",
		    key, (unsigned)(sb.st_mode & 07777));
	else
		printf("signer key: %s\n", key);
	free(key);
}

/*
 * Prints what the key's checkpoint (at cp_path, or beside the key file
 * key, or else beside the key the database names) says of the database
 * s at db, whose latest tree is latest (NULL: none).  Returns 0 when the
 * key may sign for it.
 */
static int
print_checkpoint(struct sdb_store *s, const char *db, const char *key, const char *cp_path,
    const struct sdb_tree *latest)
{
	struct sdb_errbuf eb = { { 0 } };
	struct sdb_note_verifier *v = NULL;
	struct sdb_tree cp;
	char *vkey = NULL, *path = NULL;
	int rc, bad = 1;

	rc = sdb_store_config_get(s, SDB_STORE_CONFIG_VKEY, &vkey, &eb);
	if (rc == SDB_OK)
		rc = sdb_note_verifier_parse(&v, vkey, strlen(vkey), &eb);
	if (rc == SDB_OK)
		print_key(s, db, key);
	if (rc == SDB_OK && cp_path == NULL)
		rc = sdbd_key_checkpoint_path(s, db, key, &path, &eb);
	if (rc != SDB_OK) {
		printf("checkpoint: cannot tell (%s)\n", sdb_errmsg(&eb, rc));
		goto out;
	}
	if (cp_path == NULL)
		cp_path = path;
	rc = sdbd_checkpoint_read(cp_path, v, &cp, &eb);
	if (rc == SDB_ERR_NOT_FOUND && latest == NULL) {
		printf("checkpoint: %s: none yet (the next serve or add writes it)\n", cp_path);
		bad = 0;
	} else if (rc == SDB_ERR_NOT_FOUND) {
		/* as serve and add say (log.c): only the operator knows */
		printf("checkpoint: %s: none, and the database holds a tree of %" PRId64 " records: "
		    "serve and add refuse it without --checkpoint FILE where the key's checkpoint "
		    "is kept, or --new-checkpoint when this database is certainly the latest the "
		    "key signed for\n", cp_path, latest->n);
	} else if (rc != SDB_OK) {
		/* the message names the checkpoint already ("checkpoint PATH
		 * ..."): after this line's own "checkpoint:", PATH alone */
		const char *m = sdb_errmsg(&eb, rc);

		if (strncmp(m, "checkpoint ", 11) == 0)
			m += 11;
		printf("checkpoint: %s\n", m);
	} else if ((rc = sdbd_checkpoint_holds(&cp, cp_path, s, latest, &eb)) == SDB_OK) {
		printf("checkpoint: %s: tree %" PRId64 ", held by this database\n", cp_path, cp.n);
		bad = 0;
	} else {
		printf("checkpoint: REFUSES THIS DATABASE: %s\n", sdb_errmsg(&eb, rc));
	}
out:
	sdb_note_verifier_free(v);
	free(vkey);
	free(path);
	return bad;
}

/* A config value, or NULL when unset (other errors in *rc). */
static char *
get(struct sdb_store *s, const char *key, int *rc, struct sdb_errbuf *eb)
{
	char *v = NULL;
	int r = sdb_store_config_get(s, key, &v, eb);

	if (r != SDB_OK && r != SDB_ERR_NOT_FOUND && *rc == SDB_OK)
		*rc = r;
	return r == SDB_OK ? v : NULL;
}

int
cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sdb_errbuf eb = { { 0 } };
	struct sdb_store *s = NULL;
	struct sdb_tree t;
	const char *db = NULL, *key_path = NULL, *cp_path = NULL;
	char *name = NULL, *pvkey = NULL, *ptree = NULL, *cnt = NULL;
	char b64[SDB_B64_ENCODED_LEN(SDB_HASH_SIZE) + 1];
	long long n = 0, i, kept;
	int c, rc, status = EXIT_LOCAL, cp_bad;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'k': key_path = optarg; break;
		case 'c': cp_path = optarg; break;
		case 'h': status_usage(stdout); return EXIT_OK;
		default: cli_usage_error("sumdbd status", status_usage); return EXIT_LOCAL;
		}
	}
	if (cli_extra_args("sumdbd status", argc, argv, optind) || db == NULL) {
		if (db == NULL)
			fprintf(stderr, "sumdbd status: --db is required\n");
		cli_usage_error("sumdbd status", status_usage);
		return EXIT_LOCAL;
	}
	if ((rc = sdb_store_open(&s, db, SDB_STORE_READ, &eb)) != SDB_OK) {
		fprintf(stderr, "sumdbd status: %s: %s\n", db, sdb_errmsg(&eb, rc));
		return EXIT_LOCAL;
	}
	rc = SDB_OK;
	name = get(s, SDB_STORE_CONFIG_NAME, &rc, &eb);
	pvkey = get(s, SDBD_PUBLIC_KEY_VKEY, &rc, &eb);
	ptree = get(s, SDBD_PUBLIC_KEY_TREE, &rc, &eb);
	cnt = get(s, SDBD_PUBLIC_KEY_NEVIDENCE, &rc, &eb);
	if (rc != SDB_OK)
		goto fail;
	printf("log: %s\n", name ? name : "?");
	rc = sdb_store_latest(s, &t, NULL, NULL, &eb);
	if (rc == SDB_OK) {
		sdb_b64_encode(b64, t.hash.b, SDB_HASH_SIZE);
		printf("tree: %" PRId64 " records, root %s\n", t.n, b64);
	} else if (rc == SDB_ERR_NOT_FOUND) {
		printf("tree: none signed yet\n");
	} else {
		goto fail;
	}
	cp_bad = print_checkpoint(s, db, key_path, cp_path, rc == SDB_OK ? &t : NULL);
	rc = SDB_OK;
	if (ptree != NULL) {
		/* The note is printed as stored; sumdbd serve re-verifies it
		 * with the key at every start. */
		printf("public log key: %s\n", pvkey ? pvkey : "?");
		printf("public tree accepted:\n%s", ptree);
	} else {
		printf("public tree accepted: none yet (no public lookup since the database was made)\n");
	}
	if (cnt != NULL) {
		char *end;

		n = strtoll(cnt, &end, 10);
		if (*cnt == '\0' || *end != '\0' || n < 0)
			n = 0;
	}
	printf("public log misbehavior: %lld seen\n", n);
	kept = n < SDBD_PUBLIC_MAX_EVIDENCE ? n : SDBD_PUBLIC_MAX_EVIDENCE;
	for (i = 0; i < kept; i++) {
		char key[64], *ev;

		snprintf(key, sizeof key, "%s%lld", SDBD_PUBLIC_KEY_EVIDENCE, i);
		if ((ev = get(s, key, &rc, &eb)) == NULL)
			continue;
		printf("\n--- evidence %lld ---\n%s", i + 1, ev);
		free(ev);
	}
	if (rc != SDB_OK)
		goto fail;
	status = n > 0 ? EXIT_VERIFY : cp_bad ? EXIT_LOCAL : EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "sumdbd status: %s: %s\n", db, sdb_errmsg(&eb, rc));
out:
	free(name);
	free(pvkey);
	free(ptree);
	free(cnt);
	sdb_store_close(s);
	return status;
}
