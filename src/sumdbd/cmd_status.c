/*
 * sumdbd status: what an operator needs to see of a database without
 * stopping the server (it reads through a read-only handle): our log's
 * name and signed tree, whether the signer key's checkpoint
 * (checkpoint.h) lets the key sign for this database, and the public-log
 * path's state (public.h): the public tree accepted last, the tree kept
 * for each key given before, and every stored proof of the public log's
 * misbehavior.  A public state that is damaged is said so, and never
 * reads as clear: what serve refuses to start over, and a misbehavior
 * count that cannot be read (never taken as 0).
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
#include "csumdb/treenote.h"
#include "fileio.h"
#include "log.h"
#include "lograte.h"
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
	    "sumdbd serve accepted last (its key and signed note), the tree kept\n"
	    "for each key given before (what that key's log is checked against\n"
	    "when it is given again), and the evidence of every misbehavior of\n"
	    "the public log it has seen: forks, two trees it signed that are not\n"
	    "consistent, and records it signed that are not go.sum records.\n"
	    "(Answers that merely do not verify are refused but prove nothing\n"
	    "against the log: not kept.)  Damage to the tree or the public-log\n"
	    "state (DAMAGED, CANNOT BE READ, MISSING) is said, never shown clear.\n"
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
	    "(no key file there, nor --key or --checkpoint), or the tree or the\n"
	    "public-log state is damaged; 2 the public log has misbehaved (evidence\n"
	    "is stored).\n");
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
		sdbd_linef(stdout, "signer key: cannot tell (%s)", sdb_errmsg(&eb, rc));
		return;
	}
	if (stat(key, &sb) != 0)
		sdbd_linef(stdout, "signer key: %s: %s%s", key, strerror(errno), given != NULL ? "" :
		    " (serve and add cannot sign without --key FILE)");
	else if (!S_ISREG(sb.st_mode))
		sdbd_linef(stdout, "signer key: %s: not a regular file", key);
	else if ((sb.st_mode & 077) != 0)
		sdbd_linef(stdout, "signer key: %s (mode %04o: others can read or write it; "
		    "chmod 600 it)",
		    key, (unsigned)(sb.st_mode & 07777));
	else
		sdbd_linef(stdout, "signer key: %s", key);
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
		sdbd_linef(stdout, "checkpoint: cannot tell (%s)", sdb_errmsg(&eb, rc));
		goto out;
	}
	if (cp_path == NULL)
		cp_path = path;
	rc = sdbd_checkpoint_read(cp_path, v, &cp, &eb);
	if (rc == SDB_ERR_NOT_FOUND && latest == NULL) {
		sdbd_linef(stdout, "checkpoint: %s: none yet (the next serve or add writes it)",
		    cp_path);
		bad = 0;
	} else if (rc == SDB_ERR_NOT_FOUND) {
		/* as serve and add say (log.c): only the operator knows */
		sdbd_linef(stdout, "checkpoint: %s: none, and the database holds a tree of %" PRId64
		    " records: "
		    "serve and add refuse it without --checkpoint FILE where the key's checkpoint "
		    "is kept, or --new-checkpoint when this database is certainly the latest the "
		    "key signed for", cp_path, latest->n);
	} else if (rc != SDB_OK) {
		/* the message names the checkpoint already ("checkpoint PATH
		 * ..."): after this line's own "checkpoint:", PATH alone */
		const char *m = sdb_errmsg(&eb, rc);

		if (strncmp(m, "checkpoint ", 11) == 0)
			m += 11;
		sdbd_linef(stdout, "checkpoint: %s", m);
	} else if ((rc = sdbd_checkpoint_holds(&cp, cp_path, s, latest, &eb)) == SDB_OK) {
		sdbd_linef(stdout, "checkpoint: %s: tree %" PRId64 ", held by this database", cp_path,
		    cp.n);
		bad = 0;
	} else {
		sdbd_linef(stdout, "checkpoint: REFUSES THIS DATABASE: %s", sdb_errmsg(&eb, rc));
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

/*
 * Whether note (of config row) is a tree signed by vkey: SDB_OK with *t
 * filled, else the reason in eb, as sumdbd serve finds it (public.c
 * take_accepted), which refuses to start over such a row.
 */
static int
tree_of(const char *vkey, const char *note, struct sdb_tree *t, struct sdb_errbuf *eb)
{
	struct sdb_note_verifier *v = NULL;
	int rc = sdb_note_verifier_parse(&v, vkey, strlen(vkey), eb);

	if (rc != SDB_OK)
		return sdb_errf(eb, rc, "its key is no verifier key: %s", sdb_errmsg(eb, rc));
	rc = sdb_tree_note_open(t, NULL, note, strlen(note), v, eb);
	if (rc != SDB_OK)
		rc = sdb_errf(eb, rc, "it does not verify with its key: %s", sdb_errmsg(eb, rc));
	sdb_note_verifier_free(v);
	return rc;
}

/*
 * Prints the public tree accepted last (public_tree) and its key
 * (public_vkey), either NULL when not set.  Returns 1 when they are
 * damaged (one without the other, or a tree that does not verify with
 * the key: sumdbd serve refuses to start, or would trust its next tree
 * as a first contact), else 0.
 */
static int
print_accepted(const char *pvkey, const char *ptree)
{
	struct sdb_errbuf eb = { { 0 } };
	struct sdb_tree t;
	int rc;

	if (pvkey == NULL && ptree == NULL) {
		printf("public tree accepted: none yet (no public lookup since the database was made)\n");
		return 0;
	}
	if (pvkey != NULL)
		sdbd_linef(stdout, "public log key: %s", pvkey);
	else
		sdbd_linef(stdout, "public log key: DAMAGED: config %s is missing, while %s holds "
		    "a tree: the key it is for cannot be told", SDBD_PUBLIC_KEY_VKEY,
		    SDBD_PUBLIC_KEY_TREE);
	if (ptree == NULL) {
		sdbd_linef(stdout, "public tree accepted: DAMAGED: config %s is missing, while %s "
		    "names its key: serve refuses to start, whatever --public-key (only "
		    "--no-public starts)",
		    SDBD_PUBLIC_KEY_TREE, SDBD_PUBLIC_KEY_VKEY);
		return 1;
	}
	/* The note is printed as stored; sumdbd serve re-verifies it with
	 * the key at every start, and so does this. */
	printf("public tree accepted:\n");
	cli_text(stdout, ptree, strlen(ptree));
	if (pvkey == NULL)
		return 1;
	if ((rc = tree_of(pvkey, ptree, &t, &eb)) != SDB_OK) {
		sdbd_linef(stdout, "public tree accepted: DAMAGED: %s: serve with that --public-key "
		    "refuses to start", sdb_errmsg(&eb, rc));
		return 1;
	}
	return 0;
}

/* The trees kept for the keys given before (public_tree_for.KEY). */
struct kept_walk {
	const char *pvkey;    /* the current key; NULL: none */
	int n;
	int damaged;
};

/* sdb_store_config_fn: prints one kept tree. */
static int
print_kept(void *arg, const char *row, const char *note, struct sdb_errbuf *eb)
{
	struct kept_walk *w = arg;
	const char *key = row + strlen(SDBD_PUBLIC_KEY_TREE_FOR);
	char b64[SDB_B64_ENCODED_LEN(SDB_HASH_SIZE) + 1];
	struct sdb_errbuf teb = { { 0 } };
	struct sdb_tree t;
	int rc;

	(void)eb;
	w->n++;
	if (note == NULL)
		rc = sdb_errf(&teb, SDB_ERR_DAMAGED, "its value is NULL");
	else
		rc = tree_of(key, note, &t, &teb);
	if (rc != SDB_OK) {
		w->damaged = 1;
		sdbd_linef(stdout, "public tree kept for %s: DAMAGED: %s: serve with that "
		    "--public-key refuses to start", key, sdb_errmsg(&teb, rc));
		return SDB_OK;
	}
	sdb_b64_encode(b64, t.hash.b, SDB_HASH_SIZE);
	sdbd_linef(stdout, "public tree kept for %s: %" PRId64 " records, root %s (%s)", key, t.n,
	    b64, w->pvkey != NULL && strcmp(key, w->pvkey) == 0 ? "not used while it is the "
	    "public log key; replaced when the key changes" : "what its log is checked against "
	    "when serve is given that --public-key again");
	return SDB_OK;
}

/* The evidence rows stored (public_evidence.I). */
struct evidence_walk {
	unsigned char at[SDBD_PUBLIC_MAX_EVIDENCE];  /* 1: row I is there */
	long long n;          /* rows there */
	long long last;       /* the highest I there; -1: none */
	long long odd;        /* rows of no index 0..MAX-1 */
};

/* sdb_store_config_fn: notes one evidence row. */
static int
note_evidence(void *arg, const char *row, const char *text, struct sdb_errbuf *eb)
{
	struct evidence_walk *w = arg;
	int64_t v = sdbd_public_evidence_index(row);

	(void)text;
	(void)eb;
	if (v < 0) {
		w->odd++;
		return SDB_OK;
	}
	w->at[v] = 1;
	w->n++;
	if (v > w->last)
		w->last = v;
	return SDB_OK;
}

/*
 * Prints the count of the public log's misbehaviors seen and the
 * evidence stored of each, from s.  A count that is not there while
 * evidence is, that does not parse, or that the rows stored disagree
 * with, is said to be damaged, and the rows there are printed all the
 * same.  Sets *stored to whether any evidence is stored or counted,
 * *damaged to whether the count or a row is damaged.  Returns SDB_OK or
 * the store's error (eb).
 */
static int
print_evidence(struct sdb_store *s, int *stored, int *damaged, struct sdb_errbuf *eb)
{
	struct evidence_walk w;
	char *cnt = NULL;
	long long n = 0, i, kept;
	int64_t parsed;
	int rc;

	memset(&w, 0, sizeof w);
	w.last = -1;
	rc = sdb_store_config_get(s, SDBD_PUBLIC_KEY_NEVIDENCE, &cnt, eb);
	if (rc != SDB_OK && rc != SDB_ERR_NOT_FOUND)
		return rc;
	if ((rc = sdb_store_config_each(s, SDBD_PUBLIC_KEY_EVIDENCE, note_evidence, &w, eb)) !=
	    SDB_OK) {
		free(cnt);
		return rc;
	}
	*damaged = 0;
	if (cnt != NULL) {
		if (sdbd_public_count_parse(cnt, &parsed)) {
			n = parsed;
		} else {
			sdbd_linef(stdout, "public log misbehavior: CANNOT BE READ: config %s is "
			    "\"%.40s\", not a count (the database was damaged or edited); %lld "
			    "evidence row%s stored", SDBD_PUBLIC_KEY_NEVIDENCE, cnt, w.n,
			    w.n == 1 ? "" : "s");
			*damaged = 1;
			n = w.last + 1;
		}
	} else if (w.n > 0 || w.odd > 0) {
		sdbd_linef(stdout, "public log misbehavior: CANNOT BE READ: config %s is missing, "
		    "while %lld evidence row%s stored (the database was damaged or edited)",
		    SDBD_PUBLIC_KEY_NEVIDENCE, w.n + w.odd, w.n + w.odd == 1 ? " is" : "s are");
		*damaged = 1;
		n = w.last + 1;
	}
	kept = n < SDBD_PUBLIC_MAX_EVIDENCE ? n : SDBD_PUBLIC_MAX_EVIDENCE;
	if (!*damaged && (w.last >= kept || w.odd > 0)) {
		sdbd_linef(stdout, "public log misbehavior: CANNOT BE READ: config %s says %lld, "
		    "but evidence rows past it are stored (the database was damaged or edited)",
		    SDBD_PUBLIC_KEY_NEVIDENCE, n);
		*damaged = 1;
		if (w.last >= kept)
			kept = w.last + 1;
	}
	if (!*damaged)
		printf("public log misbehavior: %lld seen\n", n);
	free(cnt);
	for (i = 0; i < kept; i++) {
		char key[64], *ev = NULL;

		snprintf(key, sizeof key, "%s%lld", SDBD_PUBLIC_KEY_EVIDENCE, i);
		rc = sdb_store_config_get(s, key, &ev, eb);
		if (rc == SDB_ERR_NOT_FOUND) {
			printf("\n");
			sdbd_linef(stdout, "--- evidence %lld: MISSING: config %s is not there (the "
			    "database was damaged or edited) ---", i + 1, key);
			*damaged = 1;
			continue;
		}
		if (rc != SDB_OK)
			return rc;
		printf("\n--- evidence %lld ---\n", i + 1);
		cli_text(stdout, ev, strlen(ev));
		free(ev);
	}
	if (w.odd > 0) {
		printf("\n");
		sdbd_linef(stdout, "--- %lld more row%s named %s* but not by an index below %d ---",
		    w.odd, w.odd == 1 ? "" : "s", SDBD_PUBLIC_KEY_EVIDENCE, SDBD_PUBLIC_MAX_EVIDENCE);
	}
	*stored = n > 0 || w.n > 0 || w.odd > 0;
	return SDB_OK;
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
	struct kept_walk kw = { NULL, 0, 0 };
	char *name = NULL, *pvkey = NULL, *ptree = NULL;
	char b64[SDB_B64_ENCODED_LEN(SDB_HASH_SIZE) + 1];
	int64_t nrec = 0;
	int c, rc, status = EXIT_LOCAL, cp_bad, damaged, ev_damaged = 0, stored = 0, tree_damaged = 0;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "", opts, NULL)) != -1) {
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
		sdbd_linef(stderr, "sumdbd status: %s: %s", db, sdb_errmsg(&eb, rc));
		return EXIT_LOCAL;
	}
	/* What is checked against each other is read in one snapshot: a
	 * server committing meanwhile (records with their tree, evidence
	 * with its count) must not look like a tree or a count that
	 * disagrees with its rows.  The checkpoint, written after the
	 * commit of its tree, is checked outside them, against the
	 * database as it is then. */
	if ((rc = sdb_store_snapshot_begin(s, &eb)) != SDB_OK)
		goto fail;
	name = get(s, SDB_STORE_CONFIG_NAME, &rc, &eb);
	if (rc != SDB_OK)
		goto fail;
	sdbd_linef(stdout, "log: %s", name ? name : "?");
	if ((rc = sdb_store_count(s, &nrec, &eb)) != SDB_OK)
		goto fail;
	rc = sdb_store_latest(s, &t, NULL, NULL, &eb);
	if (rc == SDB_OK) {
		sdb_b64_encode(b64, t.hash.b, SDB_HASH_SIZE);
		sdbd_linef(stdout, "tree: %" PRId64 " records, root %s", t.n, b64);
	} else if (rc != SDB_ERR_NOT_FOUND) {
		goto fail;
	} else if (nrec == 0) {
		printf("tree: none signed yet\n");
	}
	/* records and their tree are committed together: records past the
	 * signed tree, or none signed over records, are damage */
	if (rc == SDB_OK && nrec != t.n) {
		sdbd_linef(stdout, "tree: DAMAGED: the database holds %" PRId64 " records, its "
		    "newest signed tree %" PRId64 " (sumdbd fsck tells more)", nrec, t.n);
		tree_damaged = 1;
	} else if (rc != SDB_OK && nrec != 0) {
		sdbd_linef(stdout, "tree: DAMAGED: the database holds %" PRId64 " records, but "
		    "no signed tree (sumdbd fsck tells more)", nrec);
		tree_damaged = 1;
	}
	sdb_store_snapshot_end(s);
	cp_bad = print_checkpoint(s, db, key_path, cp_path, rc == SDB_OK ? &t : NULL);
	if ((rc = sdb_store_snapshot_begin(s, &eb)) != SDB_OK)
		goto fail;
	pvkey = get(s, SDBD_PUBLIC_KEY_VKEY, &rc, &eb);
	ptree = get(s, SDBD_PUBLIC_KEY_TREE, &rc, &eb);
	if (rc != SDB_OK)
		goto fail;
	damaged = print_accepted(pvkey, ptree) | tree_damaged;
	kw.pvkey = pvkey;
	if ((rc = sdb_store_config_each(s, SDBD_PUBLIC_KEY_TREE_FOR, print_kept, &kw, &eb)) !=
	    SDB_OK)
		goto fail;
	if (kw.n == 0)
		printf("public trees kept for keys given before: none\n");
	damaged |= kw.damaged;
	if ((rc = print_evidence(s, &stored, &ev_damaged, &eb)) != SDB_OK)
		goto fail;
	damaged |= ev_damaged;
	status = stored ? EXIT_VERIFY : cp_bad || damaged ? EXIT_LOCAL : EXIT_OK;
	goto out;
fail:
	sdbd_linef(stderr, "sumdbd status: %s: %s", db, sdb_errmsg(&eb, rc));
out:
	free(name);
	free(pvkey);
	free(ptree);
	sdb_store_snapshot_end(s);
	sdb_store_close(s);
	return status;
}
