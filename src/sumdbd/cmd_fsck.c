/*
 * sumdbd fsck: recomputes the whole log from the record texts and
 * compares it with what is stored (DESIGN.md "Storage"): every record
 * text must be a valid record of its (path, version) columns, every stored
 * hash tile must equal the tile computed from the records (RFC 6962
 * hashing, PROTOCOL.md "Record, tree, note"), no tile may exist that the
 * records do not produce, and every signed tree must have the root the
 * records give for its size and a note that verifies with the database's
 * verifier key.  It takes the writer lock so that nothing changes while it
 * reads.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "cli.h"
#include "csumdb/note.h"
#include "csumdb/record.h"
#include "csumdb/store.h"
#include "csumdb/tlog.h"
#include "csumdb/treenote.h"
#include "limits.h"
#include "log.h"

#define TILE_W SDB_STORE_TILE_WIDTH
#define NLEVELS (SDB_STORE_MAX_TILE_LEVEL + 1)

/* Problems beyond this many are counted, not printed. */
#define FSCK_MAX_REPORTS 50

struct fsck {
	struct sdb_store *w;           /* writer handle: tile reads */
	struct sdb_note_verifier *v;
	struct sdb_tlog_frontier fr;
	struct {
		int64_t n;
		int w;
		uint8_t buf[SDB_STORE_TILE_MAX_BYTES];
	} tiles[NLEVELS];
	/* The trees are verified in a walk of their own, counted, and
	 * read again one by one, in size order, as the records reach each
	 * size: a log signs about as many trees as it holds records, and
	 * none is held in memory. */
	size_t ntrees;
	int64_t latest;                /* the largest tree's size, -1: none */
	struct sdb_tree next;          /* the next tree to compare a root with */
	int have_next;
	size_t problems;
	int64_t records, tiles_checked;
	struct cli_progress bar;       /* of the notes, then the records, on a terminal */
	int err;                       /* a local error stopped the check */
};

/*
 * Says a problem, the first FSCK_MAX_REPORTS of them, in one printable
 * line: a record's path and version, a note's text, come from a
 * database that may have been altered, and can be of any length, and
 * what is said after them (what the record's text holds, why it is not
 * valid) is the point of the line, so the line is never cut.  problem()
 * puts the command's name before fmt, a string literal, so that
 * cli_vlinef formats the whole line, however long.
 */
static void SDB_PRINTF(2, 3)
problem_line(struct fsck *f, const char *fmt, ...)
{
	va_list ap;

	f->problems++;
	if (f->problems > FSCK_MAX_REPORTS)
		return;
	cli_progress_break(&f->bar);
	va_start(ap, fmt);
	cli_vlinef(stderr, fmt, ap);
	va_end(ap);
}
#define problem(f, ...) problem_line((f), "sumdbd fsck: " __VA_ARGS__)

static int
tree_cb(void *arg, const struct sdb_tree *t, const uint8_t *note, size_t len)
{
	struct fsck *f = arg;
	struct sdb_errbuf eb = { { 0 } };
	struct sdb_tree nt;
	int rc;

	rc = sdb_tree_note_open(&nt, NULL, (const char *)note, len, f->v, &eb);
	if (rc != SDB_OK)
		problem(f, "tree %lld: its note does not verify: %s", (long long)t->n,
		    sdb_errmsg(&eb, rc));
	else if (nt.n != t->n)
		problem(f, "tree %lld: its note signs another tree (size %lld)", (long long)t->n,
		    (long long)nt.n);
	else if (memcmp(nt.hash.b, t->hash.b, SDB_HASH_SIZE) != 0)
		problem(f, "tree %lld: its stored root is not the root its note signs", (long long)t->n);
	f->latest = t->n;
	f->ntrees++;
	cli_progress_show(&f->bar, (int64_t)f->ntrees);
	return 0;
}

/* Compares the computed tile at level L (its current width) with the
 * stored one, which must be exactly as wide. */
static int
check_tile(struct fsck *f, int L)
{
	struct sdb_errbuf eb = { { 0 } };
	uint8_t *data = NULL;
	size_t len = 0, want = (size_t)f->tiles[L].w * SDB_HASH_SIZE, i;
	int64_t n = f->tiles[L].n;
	int rc;

	f->tiles_checked++;
	rc = sdb_store_tile(f->w, L, n, 0, &data, &len, &eb);
	if (rc == SDB_ERR_NOT_FOUND) {
		problem(f, "tile %d/%lld is missing", L, (long long)n);
		return 0;
	}
	if (rc != SDB_OK) {
		cli_progress_break(&f->bar);
		cli_linef(stderr, "sumdbd fsck: %s", sdb_errmsg(&eb, rc));
		return rc;
	}
	if (len != want) {
		problem(f, "tile %d/%lld holds %zu hashes, the records give %d", L, (long long)n,
		    len / SDB_HASH_SIZE, f->tiles[L].w);
	} else if (memcmp(data, f->tiles[L].buf, len) != 0) {
		for (i = 0; i < len / SDB_HASH_SIZE; i++) {
			if (memcmp(data + i * SDB_HASH_SIZE, f->tiles[L].buf + i * SDB_HASH_SIZE,
			    SDB_HASH_SIZE) == 0)
				continue;
			if (L == 0)
				problem(f, "record %lld: the stored hash (tile 0/%lld) is not the hash "
				    "of its text", (long long)(n * TILE_W + (int64_t)i), (long long)n);
			else
				problem(f, "tile %d/%lld: hash %zu differs from the one the records "
				    "give", L, (long long)n, i);
		}
	}
	free(data);
	return 0;
}

/* Reads the tree after f->next (the first when f->next.n is -1) into
 * f->next; f->have_next 0 when there is none.  Returns 0, or the store's
 * error (said on stderr). */
static int
next_tree(struct fsck *f)
{
	struct sdb_errbuf eb = { { 0 } };
	int rc = sdb_store_tree_after(f->w, f->next.n, &f->next, NULL, NULL, &eb);

	f->have_next = rc == SDB_OK;
	if (rc == SDB_OK || rc == SDB_ERR_NOT_FOUND)
		return 0;
	cli_progress_break(&f->bar);
	cli_linef(stderr, "sumdbd fsck: %s", sdb_errmsg(&eb, rc));
	return rc;
}

/* Compares the root of the records so far with the signed tree of that
 * size, if there is one. */
static int
check_trees_at(struct fsck *f)
{
	int rc;

	while (f->have_next && f->next.n == f->fr.n) {
		sdb_hash root;

		sdb_tlog_frontier_root(&f->fr, &root);
		if (memcmp(root.b, f->next.hash.b, SDB_HASH_SIZE) != 0)
			problem(f, "signed tree %lld: its root is not the root of the first %lld "
			    "records", (long long)f->fr.n, (long long)f->fr.n);
		if ((rc = next_tree(f)) != 0)
			return rc;
	}
	return 0;
}

static int
record_cb(void *arg, const struct sdb_store_record *rec)
{
	struct fsck *f = arg;
	struct sdb_errbuf eb = { { 0 } };
	struct sdb_record pr;
	sdb_hash leaf, out[SDB_TLOG_MAX_STORED];
	size_t nout, k;
	int64_t n = f->fr.n;
	int rc;

	rc = sdb_record_parse((const char *)rec->text, rec->text_len, &pr, &eb);
	if (rc != SDB_OK)
		problem(f, "record %lld (%s %s): not a valid record: %s", (long long)rec->id,
		    rec->path, rec->version, sdb_errmsg(&eb, rc));
	else if (pr.path.len != strlen(rec->path) ||
	    memcmp(pr.path.p, rec->path, pr.path.len) != 0 ||
	    pr.version.len != strlen(rec->version) ||
	    memcmp(pr.version.p, rec->version, pr.version.len) != 0)
		problem(f, "record %lld (%s %s): its text is the record of %.*s %.*s",
		    (long long)rec->id, rec->path, rec->version, (int)pr.path.len, pr.path.p,
		    (int)pr.version.len, pr.version.p);
	sdb_tlog_record_hash(&leaf, rec->text, rec->text_len);
	if (sdb_tlog_frontier_append(&f->fr, &leaf, out, &nout) != SDB_OK)
		return SDB_ERR_RANGE;
	f->records++;
	if (f->records % 4096 == 0)   /* the clock is read less often than every record */
		cli_progress_show(&f->bar, f->records);
	for (k = 0; k < nout; k += 8) {
		int L = (int)(k / 8);
		int64_t j = n >> k;

		f->tiles[L].n = j / TILE_W;
		f->tiles[L].w = (int)(j % TILE_W) + 1;
		memcpy(f->tiles[L].buf + (j % TILE_W) * SDB_HASH_SIZE, out[k].b, SDB_HASH_SIZE);
		if (f->tiles[L].w == TILE_W) {
			rc = check_tile(f, L);
			if (rc != 0)
				return rc;
			f->tiles[L].w = 0;
		}
	}
	return check_trees_at(f);
}

static int
count_tile(void *arg, const struct sdb_store_tile *t)
{
	int64_t *n = arg;

	(void)t;
	(*n)++;
	return 0;
}

/*
 * Before --drop-unsigned: records past the database's latest tree are
 * unsigned only if the key has not signed past it.  A checkpoint (at
 * cp_path, or beside the key the database names) with a larger tree says
 * the database lost signed trees: the records past its latest one were
 * signed, maybe served, and dropping them forks the log.  Returns
 * EXIT_OK to go on, else the exit status (the reason printed).
 */
static int
drop_allowed(struct sdb_store *w, const char *db, const char *cp_path)
{
	struct sdb_errbuf eb = { { 0 } };
	struct sdb_note_verifier *v = NULL;
	struct sdb_tree cp, latest;
	char *vkey = NULL, *path = NULL;
	int rc, status = EXIT_LOCAL;

	rc = sdb_store_config_get(w, SDB_STORE_CONFIG_VKEY, &vkey, &eb);
	if (rc == SDB_OK)
		rc = sdb_note_verifier_parse(&v, vkey, strlen(vkey), &eb);
	if (rc == SDB_OK && cp_path == NULL && (rc = sdbd_key_checkpoint_path(w, db, NULL, &path,
	    &eb)) == SDB_OK)
		cp_path = path;
	if (rc == SDB_OK)
		rc = sdb_store_latest(w, &latest, NULL, NULL, &eb);
	if (rc == SDB_OK)
		rc = sdbd_checkpoint_read(cp_path, v, &cp, &eb);
	if (rc == SDB_ERR_NOT_FOUND) {
		status = EXIT_OK;   /* no checkpoint, or no tree: nothing to weigh */
	} else if (rc != SDB_OK) {
		cli_linef(stderr, "sumdbd fsck: %s: cannot tell whether the records past the latest "
		    "signed tree were signed: %s; nothing dropped (--checkpoint FILE names the "
		    "key's checkpoint)", db, sdb_errmsg(&eb, rc));
	} else if (cp.n > latest.n) {
		cli_linef(stderr, "sumdbd fsck: %s: the key's checkpoint %s holds a signed tree of size "
		    "%lld, past the database's latest (size %lld): the records past it were signed, "
		    "and may have been served; the database lost the rows of its later signed "
		    "trees.  Nothing dropped: dropping them would fork the log.  The checkpoint "
		    "holds the signed note of tree %lld, from which its trees row can be made "
		    "again", db, cp_path, (long long)cp.n, (long long)latest.n, (long long)cp.n);
		status = EXIT_VERIFY;
	} else {
		status = EXIT_OK;
	}
	sdb_note_verifier_free(v);
	free(vkey);
	free(path);
	return status;
}

/* The exit status for a store error that stops the check: a file SQLite
 * finds malformed is damage found, not a local error. */
static int
fail_status(int rc)
{
	return rc == SDB_ERR_DAMAGED ? EXIT_VERIFY : EXIT_LOCAL;
}

static void
fsck_usage(FILE *f)
{
	fprintf(f,
	    "usage: sumdbd fsck --db FILE [--drop-unsigned [--checkpoint FILE]]\n"
	    "\n"
	    "Recomputes every record hash, hash tile and signed tree root of the\n"
	    "database from the record texts and reports every difference; checks\n"
	    "each record text and each signed note (with the database's verifier\n"
	    "key).  Needs the database to itself (stop sumdbd serve first).\n"
	    "\n"
	    "  --db FILE         the database\n"
	    "  --drop-unsigned   first remove records and tile hashes past the\n"
	    "                    latest signed tree (never signed nor served;\n"
	    "                    sumdbd refuses to start with them), then check;\n"
	    "                    refused when the key's checkpoint holds a larger\n"
	    "                    tree (then they were signed)\n"
	    "  --checkpoint FILE with --drop-unsigned: the key's checkpoint (default:\n"
	    "                    the key file the database names, with\n"
	    "                    .checkpoint appended)\n"
	    "  --help            this text\n"
	    "\n"
	    "A database with parts missing (a table, a config row), or a file\n"
	    "SQLite finds malformed (a torn copy), is damage;\n"
	    "another program's file is refused as not a csumdb database, untouched.\n"
	    "\n"
	    "Exit status: 0 clean; 2 damage found; 1 usage or local error.\n");
}

int
cmd_fsck(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "drop-unsigned", no_argument, NULL, 'D' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *cp_path = NULL;
	int drop = 0;
	struct fsck *f;
	struct sdb_store *rd = NULL;
	struct sdb_errbuf eb = { { 0 } };
	char *vkey = NULL;
	int64_t stored_tiles = 0, expected_tiles;
	int c, rc, L, status = EXIT_LOCAL;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'D': drop = 1; break;
		case 'c': cp_path = optarg; break;
		case 'h': fsck_usage(stdout); return EXIT_OK;
		default: cli_usage_error("sumdbd fsck", fsck_usage); return EXIT_LOCAL;
		}
	}
	if (cli_extra_args("sumdbd fsck", argc, argv, optind) || db == NULL) {
		if (db == NULL)
			fprintf(stderr, "sumdbd fsck: --db is required\n");
		cli_usage_error("sumdbd fsck", fsck_usage);
		return EXIT_LOCAL;
	}
	/* Only --drop-unsigned reads the checkpoint: taken silently
	 * otherwise, a --checkpoint would look checked when it was not. */
	if (cp_path != NULL && !drop) {
		fprintf(stderr, "sumdbd fsck: --checkpoint is for --drop-unsigned, which is not "
		    "given (the check itself does not read the checkpoint: sumdbd status does)\n");
		cli_usage_error("sumdbd fsck", fsck_usage);
		return EXIT_LOCAL;
	}
	f = calloc(1, sizeof *f);
	if (f == NULL) {
		fprintf(stderr, "sumdbd fsck: out of memory\n");
		return EXIT_LOCAL;
	}
	sdb_tlog_frontier_init(&f->fr);
	f->latest = -1;
	rc = sdb_store_open(&f->w, db, drop ? SDB_STORE_WRITE : SDB_STORE_CHECK, &eb);
	if (rc == SDB_ERR_LOCKED) {
		cli_linef(stderr, "sumdbd fsck: %s: %s", db, sdb_errmsg(&eb, rc));
		cli_linef(stderr, "(stop the server holding it first)");
		goto out;
	}
	if (rc == SDB_ERR_DAMAGED) {
		/* ours, with parts missing: damage found, not a local error */
		cli_linef(stderr, "sumdbd fsck: %s: %s", db, sdb_errmsg(&eb, rc));
		status = EXIT_VERIFY;
		goto out;
	}
	if (rc == SDB_OK && drop) {
		int64_t dropped, n;

		if ((status = drop_allowed(f->w, db, cp_path)) != EXIT_OK)
			goto out;
		status = EXIT_LOCAL;
		rc = sdb_store_drop_unsigned(f->w, &dropped, &n, &eb);
		if (rc == SDB_OK)
			printf("dropped %lld record%s past the latest signed tree (size %lld), and the "
			    "tile hashes past it\n", (long long)dropped, dropped == 1 ? "" : "s",
			    (long long)n);
	}
	if (rc == SDB_OK)
		rc = sdb_store_open(&rd, db, SDB_STORE_READ, &eb);
	if (rc == SDB_OK)
		rc = sdb_store_config_get(f->w, SDB_STORE_CONFIG_VKEY, &vkey, &eb);
	if (rc != SDB_OK) {
		cli_linef(stderr, "sumdbd fsck: %s: %s", db, sdb_errmsg(&eb, rc));
		status = fail_status(rc);
		goto out;
	}
	rc = sdb_note_verifier_parse(&f->v, vkey, strlen(vkey), &eb);
	if (rc != SDB_OK) {
		cli_linef(stderr, "sumdbd fsck: %s: the stored verifier key: %s", db,
		    sdb_errmsg(&eb, rc));
		status = EXIT_VERIFY;
		goto out;
	}
	{
		/* A server commits a tree per batch: years of lookups recorded
		 * one at a time make about as many notes as records, each an
		 * Ed25519 verification: some 15,000 a second. */
		int64_t count = 0;

		if (sdb_store_count_trees(f->w, &count, &eb) != SDB_OK)
			count = 0;
		cli_progress_start(&f->bar, "verified", "notes", count, 0);
	}
	rc = sdb_store_foreach_tree(f->w, tree_cb, f, &eb);
	cli_progress_end(&f->bar, (int64_t)f->ntrees);
	if (rc != SDB_OK) {
		cli_linef(stderr, "sumdbd fsck: %s: %s", db, sdb_errmsg(&eb, rc));
		status = fail_status(rc);
		goto out;
	}
	if (f->ntrees == 0)
		problem(f, "no signed tree at all (not even the empty one)");
	f->next.n = -1;
	if ((rc = next_tree(f)) != 0 || (rc = check_trees_at(f)) != 0) {   /* the empty tree */
		status = fail_status(rc);
		goto out;
	}
	{
		/* the bar's total: the records' largest id + 1 (a gap is damage) */
		int64_t count = 0;

		if (sdb_store_count(rd, &count, &eb) != SDB_OK)
			count = 0;
		cli_progress_start(&f->bar, "checked", "records", count, 0);
	}
	rc = sdb_store_foreach_record(rd, record_cb, f, &eb);
	cli_progress_end(&f->bar, f->records);
	if (rc == SDB_ERR_INVALID) {
		/* The hashes past a gap cannot be computed: what is said of
		 * the tiles and trees past it follows from the gap. */
		problem(f, "%s; the check stops there: the records after it are not checked, and "
		    "the tiles and trees past it are reported for it", sdb_errmsg(&eb, rc));
	} else if (rc != SDB_OK) {
		cli_linef(stderr, "sumdbd fsck: %s: %s", db, sdb_errmsg(&eb, rc));
		status = fail_status(rc);
		goto out;
	}
	/* The last, partial tile of each level. */
	for (L = 0; L < NLEVELS; L++) {
		if (f->tiles[L].w > 0 && (rc = check_tile(f, L)) != 0) {
			status = fail_status(rc);
			goto out;
		}
	}
	while (f->have_next) {
		problem(f, "signed tree %lld is larger than the %lld records", (long long)f->next.n,
		    (long long)f->records);
		if ((rc = next_tree(f)) != 0) {
			status = fail_status(rc);
			goto out;
		}
	}
	/* sumdbd writes records, tiles and their tree in one transaction, so
	 * records past the latest tree were never signed (nor served), and
	 * sumdbd serve and add refuse to go on with them. */
	if (f->ntrees > 0 && f->latest < f->records)
		problem(f, "%lld record%s past the latest signed tree (size %lld): never signed, "
		    "unless the key's checkpoint holds a larger tree (sumdbd status says); "
		    "sumdbd fsck --drop-unsigned removes them, after that check",
		    (long long)(f->records - f->latest), f->records - f->latest == 1 ? "" : "s",
		    (long long)f->latest);
	expected_tiles = f->tiles_checked;
	rc = sdb_store_foreach_tile(f->w, count_tile, &stored_tiles, &eb);
	if (rc != SDB_OK) {
		cli_linef(stderr, "sumdbd fsck: %s: %s", db, sdb_errmsg(&eb, rc));
		status = fail_status(rc);
		goto out;
	}
	if (stored_tiles != expected_tiles)
		problem(f, "%lld tiles stored, the records give %lld", (long long)stored_tiles,
		    (long long)expected_tiles);
	printf("checked %lld records, %lld tiles, %zu signed trees: ", (long long)f->records,
	    (long long)f->tiles_checked, f->ntrees);
	if (f->problems == 0) {
		printf("clean\n");
		status = EXIT_OK;
	} else {
		printf("%zu problem%s\n", f->problems, f->problems == 1 ? "" : "s");
		if (f->problems > FSCK_MAX_REPORTS)
			fprintf(stderr, "sumdbd fsck: (only the first %d printed)\n", FSCK_MAX_REPORTS);
		status = EXIT_VERIFY;
	}
out:
	sdb_store_close(rd);
	sdb_store_close(f->w);
	sdb_note_verifier_free(f->v);
	free(vkey);
	free(f);
	return status;
}
