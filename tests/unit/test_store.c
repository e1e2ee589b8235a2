/*
 * Unit tests for src/lib/store_sqlite.c (include/csumdb/store.h): create
 * and open, the cross-process writer lock, readers during a batch, batch
 * round trips, and every invariant the store refuses to break, each with
 * an accepted twin and a check that a refused batch left nothing behind.
 * Databases live in a fresh directory under $TMPDIR, removed at exit.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "csumdb/store.h"
#include "limits.h"
#include "lookup_index.h"
#include "unit.h"

/* --- fake log contents ------------------------------------------------ */

/* A deterministic stand-in for the hash at (level, index); salt makes a
 * different ("forged") one.  The store does no hashing, so any bytes do. */
static void
fake_hash(uint8_t out[32], int level, int64_t index, unsigned salt)
{
	uint64_t x = (uint64_t)index * 0x9E3779B97F4A7C15u ^ (uint64_t)level << 56 ^ salt;
	int i;

	for (i = 0; i < 32; i++) {
		x ^= x >> 29;
		x *= 0xBF58476D1CE4E5B9u;
		x ^= x >> 32;
		out[i] = (uint8_t)x;
	}
}

static struct sdb_tree
fake_tree(int64_t n, unsigned salt)
{
	struct sdb_tree t;

	t.n = n;
	fake_hash(t.hash.b, 99, n, salt);
	return t;
}

/* A batch growing the log from a to b records, with the tiles x/mod's
 * tlog.NewTiles would write (every tile touched, at its new width). */
struct batch {
	struct sdb_store_record *recs;
	size_t nrecs;
	struct sdb_store_tile tiles[64];
	size_t ntiles;
	char (*paths)[64];
	char (*texts)[192];
	uint8_t *tilebuf;
	struct sdb_tree tree;
	char note[64];
};

static void
rec_path(char *out, size_t n, int64_t id)
{
	snprintf(out, n, "example.com/m%lld", (long long)id);
}

static struct batch *
batch_new(int64_t a, int64_t b)
{
	struct batch *bt = calloc(1, sizeof *bt);
	size_t nr = (size_t)(b - a), off = 0;
	int level;
	int64_t i;

	CU_ASSERT_FATAL(bt != NULL);
	bt->recs = calloc(nr + 1, sizeof *bt->recs);
	bt->paths = calloc(nr + 1, sizeof *bt->paths);
	bt->texts = calloc(nr + 1, sizeof *bt->texts);
	bt->tilebuf = malloc(64 * SDB_STORE_TILE_MAX_BYTES);
	CU_ASSERT_FATAL(bt->recs != NULL && bt->paths != NULL && bt->texts != NULL && bt->tilebuf != NULL);
	for (i = a; i < b; i++) {
		size_t k = (size_t)(i - a);
		rec_path(bt->paths[k], sizeof bt->paths[k], i);
		snprintf(bt->texts[k], sizeof bt->texts[k], "%s v1.0.0 h1:x%lld=\n%s v1.0.0/go.mod h1:y=\n",
		         bt->paths[k], (long long)i, bt->paths[k]);
		bt->recs[k].id = i;
		bt->recs[k].path = bt->paths[k];
		bt->recs[k].version = "v1.0.0";
		bt->recs[k].text = (const uint8_t *)bt->texts[k];
		bt->recs[k].text_len = strlen(bt->texts[k]);
	}
	bt->nrecs = nr;
	for (level = 0; level <= 7 && (b >> (8 * level)) > 0; level++) {
		int64_t oldn = a >> (8 * level), newn = b >> (8 * level), n;

		if (oldn == newn)
			continue;
		for (n = oldn / 256; n < (newn + 255) / 256; n++) {
			int64_t w = newn - n * 256, j;
			uint8_t *p = bt->tilebuf + off;

			if (w > 256)
				w = 256;
			CU_ASSERT_FATAL(bt->ntiles < 64);
			for (j = 0; j < w; j++)
				fake_hash(p + 32 * j, level, n * 256 + j, 0);
			bt->tiles[bt->ntiles].level = level;
			bt->tiles[bt->ntiles].n = n;
			bt->tiles[bt->ntiles].hashes = p;
			bt->tiles[bt->ntiles].len = (size_t)w * 32;
			bt->ntiles++;
			off += (size_t)w * 32;
		}
	}
	bt->tree = fake_tree(b, 0);
	snprintf(bt->note, sizeof bt->note, "note for %lld\n", (long long)b);
	return bt;
}

static void
batch_free(struct batch *bt)
{
	if (bt == NULL)
		return;
	free(bt->recs);
	free(bt->paths);
	free(bt->texts);
	free(bt->tilebuf);
	free(bt);
}

static int
batch_append(struct sdb_store *s, struct batch *bt, struct sdb_errbuf *eb)
{
	return sdb_store_append(s, bt->recs, bt->nrecs, bt->tiles, bt->ntiles, &bt->tree,
	                        (const uint8_t *)bt->note, strlen(bt->note), eb);
}

/* Grows the log from a to b records; the test fails if that is refused. */
static void
grow(struct sdb_store *s, int64_t a, int64_t b)
{
	struct batch *bt = batch_new(a, b);
	struct sdb_errbuf eb = { "" };
	int rc = batch_append(s, bt, &eb);

	if (rc != SDB_OK)
		fprintf(stderr, "grow %lld..%lld: %s\n", (long long)a, (long long)b, sdb_errmsg(&eb, rc));
	CU_ASSERT_EQUAL_FATAL(rc, SDB_OK);
	batch_free(bt);
}

/* A new database (name in the test dir) with the empty tree and a..n
 * records, open for writing. */
static struct sdb_store *
fresh(const char *name, int64_t n, char *path, size_t pathlen)
{
	struct sdb_store *s = NULL;

	unit_tmp_path(path, pathlen, name);
	CU_ASSERT_EQUAL_FATAL(sdb_store_create(path, "test.example/log", "vkey+1234+abcd", "/keys/skey", NULL),
	                      SDB_OK);
	CU_ASSERT_EQUAL_FATAL(sdb_store_open(&s, path, SDB_STORE_WRITE, NULL), SDB_OK);
	grow(s, 0, 0);
	if (n > 0)
		grow(s, 0, n);
	return s;
}

/* The database state must be exactly "n records, grown by grow()": count,
 * latest tree, every tile, lookups around the edge. */
static void
assert_state(struct sdb_store *s, int64_t n)
{
	struct batch *want = batch_new(0, n);
	struct sdb_tree t, ft = fake_tree(n, 0);
	int64_t count = -1, id;
	uint8_t *buf;
	size_t len, i;
	char p[64];

	CU_ASSERT_EQUAL(sdb_store_count(s, &count, NULL), SDB_OK);
	CU_ASSERT_EQUAL(count, n);
	CU_ASSERT_EQUAL(sdb_store_latest(s, &t, NULL, NULL, NULL), SDB_OK);
	CU_ASSERT_EQUAL(t.n, n);
	CU_ASSERT(memcmp(t.hash.b, ft.hash.b, 32) == 0);
	for (i = 0; i < want->ntiles; i++) {
		const struct sdb_store_tile *w = &want->tiles[i];
		CU_ASSERT_EQUAL(sdb_store_tile(s, w->level, w->n, 0, &buf, &len, NULL), SDB_OK);
		CU_ASSERT(buf != NULL && len == w->len && memcmp(buf, w->hashes, len) == 0);
		free(buf);
	}
	/* nothing past the edge */
	CU_ASSERT_EQUAL(sdb_store_tile(s, 0, n / 256 + 1, 0, &buf, &len, NULL), SDB_ERR_NOT_FOUND);
	rec_path(p, sizeof p, n);
	CU_ASSERT_EQUAL(sdb_store_lookup(s, p, "v1.0.0", &id, NULL, NULL, NULL), SDB_ERR_NOT_FOUND);
	if (n > 0) {
		rec_path(p, sizeof p, n - 1);
		CU_ASSERT_EQUAL(sdb_store_lookup(s, p, "v1.0.0", &id, NULL, NULL, NULL), SDB_OK);
		CU_ASSERT_EQUAL(id, n - 1);
	}
	batch_free(want);
}

/* --- tests -------------------------------------------------------------- */

static void
test_create_open(void)
{
	char path[1024], junk[1024], missing[1024];
	struct sdb_store *s = NULL, *r = NULL;
	struct sdb_errbuf eb = { "" };
	struct sdb_tree t;
	char *v = NULL;
	int64_t count = -1;
	FILE *f;
	char buf[16];

	unit_tmp_path(path, sizeof path, "create.db");
	CU_ASSERT_EQUAL(sdb_store_create(path, "log", "vkey", "/k", &eb), SDB_OK);
	/* never overwrite: not a database, not any file */
	CU_ASSERT_EQUAL(sdb_store_create(path, "other", "vkey2", "/k2", &eb), SDB_ERR_EXISTS);
	CU_ASSERT(strstr(eb.msg, "already exists") != NULL);
	unit_tmp_path(junk, sizeof junk, "junk");
	f = fopen(junk, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("precious", f);
	fclose(f);
	CU_ASSERT_EQUAL(sdb_store_create(junk, "log", "vkey", "/k", NULL), SDB_ERR_EXISTS);
	f = fopen(junk, "r");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT(fgets(buf, sizeof buf, f) != NULL && strcmp(buf, "precious") == 0);
	fclose(f);
	/* refused arguments leave no file */
	unit_tmp_path(missing, sizeof missing, "missing.db");
	CU_ASSERT_EQUAL(sdb_store_create(missing, "", "vkey", "/k", NULL), SDB_ERR_INVALID);
	CU_ASSERT(access(missing, F_OK) != 0);
	CU_ASSERT_EQUAL(sdb_store_open(&s, missing, SDB_STORE_READ, NULL), SDB_ERR_NOT_FOUND);
	CU_ASSERT(s == NULL);
	CU_ASSERT_EQUAL(sdb_store_open(&s, junk, SDB_STORE_READ, &eb), SDB_ERR_INVALID);
	CU_ASSERT(s == NULL);

	/* the first create's config survived the refused second one */
	CU_ASSERT_EQUAL_FATAL(sdb_store_open(&r, path, SDB_STORE_READ, NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_store_config_get(r, SDB_STORE_CONFIG_NAME, &v, NULL), SDB_OK);
	CU_ASSERT(v != NULL && strcmp(v, "log") == 0);
	free(v);
	CU_ASSERT_EQUAL(sdb_store_config_get(r, SDB_STORE_CONFIG_VKEY, &v, NULL), SDB_OK);
	CU_ASSERT(v != NULL && strcmp(v, "vkey") == 0);
	free(v);
	CU_ASSERT_EQUAL(sdb_store_config_get(r, SDB_STORE_CONFIG_SKEY_FILE, &v, NULL), SDB_OK);
	CU_ASSERT(v != NULL && strcmp(v, "/k") == 0);
	free(v);
	CU_ASSERT_EQUAL(sdb_store_config_get(r, "nope", &v, NULL), SDB_ERR_NOT_FOUND);
	CU_ASSERT(v == NULL);
	CU_ASSERT_EQUAL(sdb_store_latest(r, &t, NULL, NULL, NULL), SDB_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(sdb_store_count(r, &count, NULL), SDB_OK);
	CU_ASSERT_EQUAL(count, 0);
	CU_ASSERT_EQUAL(sdb_store_config_set(r, "k", "v", NULL), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_store_batch_begin(r, NULL), SDB_ERR_INVALID);

	/* a writer's config_set is seen by the reader's next read */
	CU_ASSERT_EQUAL_FATAL(sdb_store_open(&s, path, SDB_STORE_WRITE, NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_store_config_set(s, "public_tree", "go.sum database tree\n5\n", NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_store_config_get(r, "public_tree", &v, NULL), SDB_OK);
	CU_ASSERT(v != NULL && strcmp(v, "go.sum database tree\n5\n") == 0);
	free(v);
	sdb_store_close(s);
	sdb_store_close(r);
	sdb_store_close(NULL);
}

/* sdb_store_config_each's callback: appends "key=value;" to arg (a
 * 256-byte buffer); a key "stop" stops the walk. */
static int
config_collect(void *arg, const char *key, const char *value, struct sdb_errbuf *eb)
{
	char *buf = arg;
	size_t n = strlen(buf);

	if (strcmp(key, "stop") == 0)
		return sdb_errf(eb, SDB_ERR_EXISTS, "stopped");
	snprintf(buf + n, 256 - n, "%s=%s;", key, value != NULL ? value : "(null)");
	return SDB_OK;
}

static void
test_config_each(void)
{
	char path[1024], buf[256];
	struct sdb_store *w = fresh("config_each.db", 0, path, sizeof path);
	struct sdb_store *r = NULL;
	struct sdb_errbuf eb = { "" };

	CU_ASSERT_FATAL(w != NULL);
	CU_ASSERT_EQUAL(sdb_store_config_set(w, "public_tree_for.b", "2", NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_store_config_set(w, "public_tree_for.a'x", "1", NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_store_config_set(w, "public_tree", "0", NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_store_config_set(w, "public_treeXfor.c", "3", NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_store_config_set(w, "public_tree_for", "4", NULL), SDB_OK);
	CU_ASSERT_EQUAL_FATAL(sdb_store_open(&r, path, SDB_STORE_READ, NULL), SDB_OK);
	/* the rows under the prefix alone, in key order; _ is no wildcard */
	buf[0] = '\0';
	CU_ASSERT_EQUAL(sdb_store_config_each(r, "public_tree_for.", config_collect, buf, &eb),
	    SDB_OK);
	CU_ASSERT_STRING_EQUAL(buf, "public_tree_for.a'x=1;public_tree_for.b=2;");
	buf[0] = '\0';
	CU_ASSERT_EQUAL(sdb_store_config_each(r, "nothing.", config_collect, buf, &eb), SDB_OK);
	CU_ASSERT_STRING_EQUAL(buf, "");
	/* the callback's code stops the walk and is returned */
	CU_ASSERT_EQUAL(sdb_store_config_set(w, "stop", "", NULL), SDB_OK);
	buf[0] = '\0';
	CU_ASSERT_EQUAL(sdb_store_config_each(r, "", config_collect, buf, &eb), SDB_ERR_EXISTS);
	CU_ASSERT(strstr(buf, "public_tree_for.b=2;") != NULL);
	CU_ASSERT(strstr(buf, "stop") == NULL);
	/* and the reader reads on afterwards (its statement was reset) */
	buf[0] = '\0';
	CU_ASSERT_EQUAL(sdb_store_config_each(r, "public_tree_for.b", config_collect, buf, &eb),
	    SDB_OK);
	CU_ASSERT_STRING_EQUAL(buf, "public_tree_for.b=2;");
	sdb_store_close(r);
	sdb_store_close(w);
}

static void
test_writer_lock(void)
{
	char path[1024];
	struct sdb_store *w = fresh("lock.db", 0, path, sizeof path);
	struct sdb_store *w2 = NULL, *r = NULL;
	struct sdb_errbuf eb = { "" };
	int64_t count;

	CU_ASSERT_EQUAL(sdb_store_open(&w2, path, SDB_STORE_WRITE, &eb), SDB_ERR_LOCKED);
	CU_ASSERT(w2 == NULL);
	CU_ASSERT(strstr(eb.msg, "another sumdbd") != NULL);
	/* another spelling of the same file meets the same lock */
	{
		char link[1100];
		snprintf(link, sizeof link, "%s-symlink", path);
		CU_ASSERT_FATAL(symlink(path, link) == 0);
		CU_ASSERT_EQUAL(sdb_store_open(&w2, link, SDB_STORE_WRITE, NULL), SDB_ERR_LOCKED);
		unlink(link);
	}
	/* readers are not writers: they open and read while the lock is held */
	CU_ASSERT_EQUAL(sdb_store_open(&r, path, SDB_STORE_READ, NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_store_count(r, &count, NULL), SDB_OK);
	sdb_store_close(w);
	/* the writer closed while a reader is open: the reader goes on */
	CU_ASSERT_EQUAL(sdb_store_count(r, &count, NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_store_open(&w2, path, SDB_STORE_WRITE, NULL), SDB_OK);
	grow(w2, 0, 2);
	CU_ASSERT_EQUAL(sdb_store_count(r, &count, NULL), SDB_OK);
	CU_ASSERT_EQUAL(count, 2);
	sdb_store_close(w2);
	sdb_store_close(r);
}

/* sdb_store_remove: the database and every side file go, the lock file
 * last; refused while another handle holds the writer lock.  A writer
 * whose lock file was removed under it (by a remove that held it) is no
 * longer counted as holding the lock: the next writer locks the file that
 * has the name now.  A writer open that refuses a file it made a lock
 * file for (not a csumdb database) removes that lock file. */
static void
test_remove(void)
{
	char path[1024], side[1100], lockp[1100], junk[1024];
	struct sdb_store *w = fresh("remove.db", 2, path, sizeof path);
	struct sdb_store *w2 = NULL;
	struct sdb_errbuf eb = { "" };
	char *real;
	FILE *f;

	real = realpath(path, NULL);
	CU_ASSERT_FATAL(real != NULL);
	snprintf(lockp, sizeof lockp, "%s-lock", real);
	free(real);
	CU_ASSERT(access(lockp, F_OK) == 0);
	CU_ASSERT_EQUAL(sdb_store_remove(path, &eb), SDB_ERR_LOCKED);
	CU_ASSERT(access(path, F_OK) == 0);
	sdb_store_close(w);
	CU_ASSERT_EQUAL(sdb_store_remove(path, &eb), SDB_OK);
	CU_ASSERT(access(path, F_OK) != 0);
	CU_ASSERT(access(lockp, F_OK) != 0);
	snprintf(side, sizeof side, "%s-wal", path);
	CU_ASSERT(access(side, F_OK) != 0);
	snprintf(side, sizeof side, "%s-shm", path);
	CU_ASSERT(access(side, F_OK) != 0);
	CU_ASSERT_EQUAL(sdb_store_remove(path, NULL), SDB_ERR_IO);   /* nothing there */

	/* a lock held on a file that lost its name is no lock */
	w = fresh("remove2.db", 0, path, sizeof path);
	real = realpath(path, NULL);
	CU_ASSERT_FATAL(real != NULL);
	snprintf(lockp, sizeof lockp, "%s-lock", real);
	free(real);
	CU_ASSERT_FATAL(unlink(lockp) == 0);
	CU_ASSERT_EQUAL(sdb_store_open(&w2, path, SDB_STORE_WRITE, &eb), SDB_OK);
	CU_ASSERT(access(lockp, F_OK) == 0);
	sdb_store_close(w2);
	sdb_store_close(w);

	/* a refused writer open leaves no lock file of its own */
	unit_tmp_path(junk, sizeof junk, "notadb");
	f = fopen(junk, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("example.com/m v1.0.0 h1:x=\n", f);
	fclose(f);
	real = realpath(junk, NULL);
	CU_ASSERT_FATAL(real != NULL);
	snprintf(lockp, sizeof lockp, "%s-lock", real);
	free(real);
	CU_ASSERT_EQUAL(sdb_store_open(&w2, junk, SDB_STORE_WRITE, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "is not a csumdb database") != NULL);
	CU_ASSERT(access(lockp, F_OK) != 0);
}

/* Runs sql on the database at path with SQLite itself, as an operator's
 * sqlite3 shell would (the store has no way to damage itself). */
static void
raw_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	CU_ASSERT_FATAL(sqlite3_open(path, &db) == SQLITE_OK);
	CU_ASSERT_FATAL(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
}

/* Opens path in each mode and checks each open fails with want, its
 * message holding what. */
static void
open_fails(const char *path, int want, const char *what)
{
	static const enum sdb_store_mode modes[] = {
		SDB_STORE_READ, SDB_STORE_WRITE, SDB_STORE_CHECK
	};
	struct sdb_store *s = NULL;
	size_t i;

	for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		struct sdb_errbuf eb = { "" };

		CU_ASSERT_EQUAL(sdb_store_open(&s, path, modes[i], &eb), want);
		CU_ASSERT(s == NULL);
		if (strstr(eb.msg, what) == NULL)
			fprintf(stderr, "open_fails: wanted \"%s\" in: %s\n", what, eb.msg);
		CU_ASSERT(strstr(eb.msg, what) != NULL);
	}
}

/* A csumdb database with parts missing is damaged (SDB_ERR_DAMAGED, each
 * part named), not another program's database: what is left of it is
 * what sdb_store_create made.  Tables that only have the store's names
 * are no evidence: such a database is refused as not ours, and left as
 * it was (its journal mode, no lock file). */
static void
test_damaged(void)
{
	char path[1024], lockp[1100];
	struct sdb_store *s = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *real;
	int i;
	static const struct {
		const char *name, *sql, *want;
	} cases[] = {
		{ "d-tiles.db", "DROP TABLE tiles", "it has no tiles table;" },
		{ "d-schema.db", "DELETE FROM config WHERE key = 'schema_version'",
		  "it has no schema_version config row;" },
		{ "d-vkey.db", "DELETE FROM config WHERE key = 'verifier_key'",
		  "it has no verifier_key config row;" },
		{ "d-three.db", "DROP TABLE config; DROP TABLE tiles; DROP TABLE trees",
		  "it has no config table, no tiles table, no trees table;" },
		{ "d-only-config.db", "DROP TABLE records; DROP TABLE tiles; DROP TABLE trees",
		  "it has no records table, no tiles table, no trees table;" },
	};

	for (i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
		s = fresh(cases[i].name, 3, path, sizeof path);
		sdb_store_close(s);
		raw_sql(path, cases[i].sql);
		open_fails(path, SDB_ERR_DAMAGED, cases[i].want);
		open_fails(path, SDB_ERR_DAMAGED, " is damaged: ");
	}

	/* a file SQLite finds malformed (a copy cut short): damage too */
	{
		struct stat sb;

		s = fresh("d-short.db", 3, path, sizeof path);
		sdb_store_close(s);
		CU_ASSERT_FATAL(stat(path, &sb) == 0);
		CU_ASSERT_FATAL(truncate(path, sb.st_size / 2) == 0);
		open_fails(path, SDB_ERR_DAMAGED, "malformed (the database file is damaged");
	}

	/* another schema version: refused as such, not as damage */
	s = fresh("d-v2.db", 0, path, sizeof path);
	sdb_store_close(s);
	raw_sql(path, "UPDATE config SET value = '2' WHERE key = 'schema_version'");
	open_fails(path, SDB_ERR_INVALID, "has schema version 2, this is 1");

	/* the store's table names, another program's tables */
	unit_tmp_path(path, sizeof path, "lookalike.db");
	raw_sql(path, "CREATE TABLE config(key TEXT PRIMARY KEY, value TEXT);"
	    "CREATE TABLE records(id INTEGER PRIMARY KEY, path, version, text);"
	    "CREATE TABLE tiles(level, n, hashes); CREATE TABLE trees(size, hash, note);"
	    "INSERT INTO config VALUES ('verifier_key', 'x')");
	open_fails(path, SDB_ERR_INVALID, "is not a csumdb database");
	CU_ASSERT_FATAL(sqlite3_open(path, &db) == SQLITE_OK);
	CU_ASSERT_FATAL(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK);
	CU_ASSERT(sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0), "delete") == 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	real = realpath(path, NULL);
	CU_ASSERT_FATAL(real != NULL);
	snprintf(lockp, sizeof lockp, "%s-lock", real);
	free(real);
	CU_ASSERT(access(lockp, F_OK) != 0);
}

/* The lock is across processes: a child holding the writer makes the
 * parent's writer open fail, and the other way round; and the flock does
 * not get in the way of SQLite's own locking (a child reader reads while
 * the parent's writer holds the lock and commits). */
static void
test_writer_lock_fork(void)
{
	char path[1024];
	struct sdb_store *w = fresh("forklock.db", 3, path, sizeof path);
	struct sdb_store *w2 = NULL;
	int up[2], down[2], status;
	char c = 0;
	pid_t pid;

	sdb_store_close(w);
	CU_ASSERT_FATAL(pipe(up) == 0 && pipe(down) == 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct sdb_store *cw = NULL;
		char ok = sdb_store_open(&cw, path, SDB_STORE_WRITE, NULL) == SDB_OK ? 'L' : 'E';
		if (write(up[1], &ok, 1) != 1 || read(down[0], &ok, 1) != 1)
			_exit(3);
		sdb_store_close(cw);
		_exit(0);
	}
	CU_ASSERT(read(up[0], &c, 1) == 1 && c == 'L');
	CU_ASSERT_EQUAL(sdb_store_open(&w2, path, SDB_STORE_WRITE, NULL), SDB_ERR_LOCKED);
	CU_ASSERT(write(down[1], "x", 1) == 1);
	CU_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the child is gone, so is its lock */
	CU_ASSERT_EQUAL_FATAL(sdb_store_open(&w2, path, SDB_STORE_WRITE, NULL), SDB_OK);

	/* now the parent holds it: a child writer is refused, a child reader
	 * reads (exit 0 = both as expected) */
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct sdb_store *cw = NULL, *cr = NULL;
		int64_t n = -1;
		int bad = 0;
		if (sdb_store_open(&cw, path, SDB_STORE_WRITE, NULL) != SDB_ERR_LOCKED)
			bad |= 1;
		if (sdb_store_open(&cr, path, SDB_STORE_READ, NULL) != SDB_OK ||
		    sdb_store_count(cr, &n, NULL) != SDB_OK || n != 3)
			bad |= 2;
		sdb_store_close(cr);
		_exit(bad);
	}
	CU_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* and the parent's writer still commits after the child's reader */
	grow(w2, 3, 4);
	sdb_store_close(w2);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

/* A reader opened while the writer is inside a batch reads the last
 * committed state, without waiting (with a rollback journal the reads would
 * fail with SDB_ERR_IO after the busy timeout), then sees the commit. */
static void
test_reader_during_batch(void)
{
	char path[1024];
	struct sdb_store *w = fresh("midbatch.db", 3, path, sizeof path);
	struct sdb_store *r = NULL;
	struct batch *bt = batch_new(3, 5);
	size_t i;

	CU_ASSERT_EQUAL_FATAL(sdb_store_batch_begin(w, NULL), SDB_OK);
	for (i = 0; i < bt->nrecs; i++)
		CU_ASSERT_EQUAL(sdb_store_batch_add(w, &bt->recs[i], NULL), SDB_OK);
	for (i = 0; i < bt->ntiles; i++)
		CU_ASSERT_EQUAL(sdb_store_batch_tile(w, &bt->tiles[i], NULL), SDB_OK);
	CU_ASSERT_EQUAL_FATAL(sdb_store_open(&r, path, SDB_STORE_READ, NULL), SDB_OK);
	assert_state(r, 3);
	CU_ASSERT_EQUAL(sdb_store_batch_commit(w, &bt->tree, (const uint8_t *)bt->note, strlen(bt->note), NULL),
	                SDB_OK);
	assert_state(r, 5);

	/* a snapshot keeps one state across calls while the writer commits */
	CU_ASSERT_EQUAL(sdb_store_snapshot_begin(r, NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_store_snapshot_begin(r, NULL), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_store_snapshot_begin(w, NULL), SDB_ERR_INVALID);
	assert_state(r, 5);
	grow(w, 5, 7);
	assert_state(r, 5);
	sdb_store_snapshot_end(r);
	assert_state(r, 7);
	sdb_store_snapshot_end(r); /* none open: no-op */
	sdb_store_snapshot_end(NULL);
	sdb_store_close(r);
	sdb_store_close(w);
	batch_free(bt);
}

struct collect {
	int64_t ids[512];
	size_t n;
	int stop_at; /* stop (return 7) after this many, 0: never */
};

static int
collect_rec(void *arg, const struct sdb_store_record *rec)
{
	struct collect *c = arg;
	char p[64], t[192];

	rec_path(p, sizeof p, rec->id);
	snprintf(t, sizeof t, "%s v1.0.0 h1:x%lld=\n%s v1.0.0/go.mod h1:y=\n", p, (long long)rec->id, p);
	CU_ASSERT(strcmp(rec->path, p) == 0 && strcmp(rec->version, "v1.0.0") == 0);
	CU_ASSERT(rec->text_len == strlen(t) && memcmp(rec->text, t, rec->text_len) == 0);
	if (c->n < 512)
		c->ids[c->n++] = rec->id;
	return c->stop_at != 0 && (int)c->n == c->stop_at ? 7 : 0;
}

/* foreach_key: id, path and version of every record, no text. */
/* A lookup index build's stop: asked once per record, says stop when
 * asked the 11th time (ten records in). */
static int
stop_after_10(void *arg)
{
	int *asked = arg;

	return ++*asked > 10;
}

static int
collect_key(void *arg, const struct sdb_store_record *rec)
{
	struct collect *c = arg;
	char p[64];

	rec_path(p, sizeof p, rec->id);
	CU_ASSERT(strcmp(rec->path, p) == 0 && strcmp(rec->version, "v1.0.0") == 0);
	CU_ASSERT(rec->text == NULL && rec->text_len == 0);
	if (c->n < 512)
		c->ids[c->n++] = rec->id;
	return c->stop_at != 0 && (int)c->n == c->stop_at ? 7 : 0;
}

static int
count_tile(void *arg, const struct sdb_store_tile *t)
{
	size_t *n = arg;

	CU_ASSERT(t->len > 0 && t->len % 32 == 0);
	(*n)++;
	return 0;
}

static int
count_tree(void *arg, const struct sdb_tree *t, const uint8_t *note, size_t len)
{
	int64_t *last = arg;
	char want[64];

	snprintf(want, sizeof want, "note for %lld\n", (long long)t->n);
	CU_ASSERT(t->n > *last);
	CU_ASSERT(len == strlen(want) && memcmp(note, want, len) == 0);
	*last = t->n;
	return 0;
}

static void
test_batch_roundtrip(void)
{
	char path[1024], p[64];
	struct sdb_store *w = fresh("roundtrip.db", 3, path, sizeof path);
	struct sdb_store *r = NULL;
	struct collect c;
	struct sdb_tree t;
	uint8_t *buf, *note, h[32];
	size_t len, nt = 0, i;
	int64_t id, last = -1;

	grow(w, 3, 300); /* crosses a tile boundary and makes level 1 */
	CU_ASSERT_EQUAL_FATAL(sdb_store_open(&r, path, SDB_STORE_READ, NULL), SDB_OK);
	assert_state(r, 300);

	/* lookups and records by id */
	rec_path(p, sizeof p, 257);
	CU_ASSERT_EQUAL(sdb_store_lookup(r, p, "v1.0.0", &id, &buf, &len, NULL), SDB_OK);
	CU_ASSERT_EQUAL(id, 257);
	CU_ASSERT(len > 0 && memcmp(buf, p, strlen(p)) == 0 && buf[len - 1] == '\n');
	free(buf);
	CU_ASSERT_EQUAL(sdb_store_lookup(r, p, "v1.0.1", &id, &buf, &len, NULL), SDB_ERR_NOT_FOUND);
	CU_ASSERT(buf == NULL);
	CU_ASSERT_EQUAL(sdb_store_record(r, 0, &buf, &len, NULL), SDB_OK);
	CU_ASSERT(len > 0 && memcmp(buf, "example.com/m0 v1.0.0", 21) == 0);
	free(buf);
	CU_ASSERT_EQUAL(sdb_store_record(r, 300, &buf, &len, NULL), SDB_ERR_NOT_FOUND);

	/* a record by id, only when it is the module version asked for */
	CU_ASSERT_EQUAL(sdb_store_record_of(r, 257, p, strlen(p), "v1.0.0", 6, &buf, &len, NULL),
	                SDB_OK);
	CU_ASSERT(len > 0 && memcmp(buf, p, strlen(p)) == 0 && buf[len - 1] == '\n');
	free(buf);
	CU_ASSERT_EQUAL(sdb_store_record_of(r, 256, p, strlen(p), "v1.0.0", 6, &buf, &len, NULL),
	                SDB_ERR_NOT_FOUND);
	CU_ASSERT(buf == NULL);
	CU_ASSERT_EQUAL(sdb_store_record_of(r, 257, p, strlen(p), "v1.0.00", 7, &buf, &len, NULL),
	                SDB_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(sdb_store_record_of(r, 257, p, strlen(p) - 1, "v1.0.0", 6, &buf, &len, NULL),
	                SDB_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(sdb_store_record_of(r, 300, p, strlen(p), "v1.0.0", 6, &buf, &len, NULL),
	                SDB_ERR_NOT_FOUND);

	/* data tile ranges: full, partial, past the end, stopped */
	memset(&c, 0, sizeof c);
	CU_ASSERT_EQUAL(sdb_store_records(r, 0, 256, collect_rec, &c, NULL), SDB_OK);
	CU_ASSERT_EQUAL(c.n, 256);
	for (i = 0; i < c.n; i++)
		CU_ASSERT_EQUAL(c.ids[i], (int64_t)i);
	memset(&c, 0, sizeof c);
	CU_ASSERT_EQUAL(sdb_store_records(r, 256, 44, collect_rec, &c, NULL), SDB_OK);
	CU_ASSERT(c.n == 44 && c.ids[0] == 256 && c.ids[43] == 299);
	memset(&c, 0, sizeof c);
	CU_ASSERT_EQUAL(sdb_store_records(r, 256, 45, collect_rec, &c, NULL), SDB_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(c.n, 44);
	memset(&c, 0, sizeof c);
	c.stop_at = 5;
	CU_ASSERT_EQUAL(sdb_store_records(r, 10, 20, collect_rec, &c, NULL), 7);
	CU_ASSERT(c.n == 5 && c.ids[4] == 14);
	CU_ASSERT_EQUAL(sdb_store_records(r, 0, 257, collect_rec, &c, NULL), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_store_records(r, -1, 1, collect_rec, &c, NULL), SDB_ERR_RANGE);

	/* partial tiles are prefixes of the stored one */
	CU_ASSERT_EQUAL(sdb_store_tile(r, 0, 1, 10, &buf, &len, NULL), SDB_OK);
	CU_ASSERT_EQUAL(len, 10 * 32);
	for (i = 0; i < 10; i++) {
		fake_hash(h, 0, 256 + (int64_t)i, 0);
		CU_ASSERT(memcmp(buf + 32 * i, h, 32) == 0);
	}
	free(buf);
	CU_ASSERT_EQUAL(sdb_store_tile(r, 0, 1, 44, &buf, &len, NULL), SDB_OK);
	CU_ASSERT_EQUAL(len, 44 * 32);
	free(buf);
	CU_ASSERT_EQUAL(sdb_store_tile(r, 0, 1, 45, &buf, &len, NULL), SDB_ERR_NOT_FOUND);
	CU_ASSERT(buf == NULL);
	CU_ASSERT_EQUAL(sdb_store_tile(r, 1, 0, 0, &buf, &len, NULL), SDB_OK);
	CU_ASSERT_EQUAL(len, 32);
	fake_hash(h, 1, 0, 0);
	CU_ASSERT(memcmp(buf, h, 32) == 0);
	free(buf);
	CU_ASSERT_EQUAL(sdb_store_tile(r, 2, 0, 0, &buf, &len, NULL), SDB_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(sdb_store_tile(r, 8, 0, 0, &buf, &len, NULL), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_store_tile(r, 0, 0, 257, &buf, &len, NULL), SDB_ERR_RANGE);

	/* every signed tree is kept, with its note */
	CU_ASSERT_EQUAL(sdb_store_tree(r, 3, &t, &note, &len, NULL), SDB_OK);
	CU_ASSERT(t.n == 3 && len == strlen("note for 3\n") && memcmp(note, "note for 3\n", len) == 0);
	free(note);
	CU_ASSERT_EQUAL(sdb_store_latest(r, &t, &note, &len, NULL), SDB_OK);
	CU_ASSERT(t.n == 300 && len == strlen("note for 300\n") && memcmp(note, "note for 300\n", len) == 0);
	free(note);
	CU_ASSERT_EQUAL(sdb_store_tree(r, 4, &t, NULL, NULL, NULL), SDB_ERR_NOT_FOUND);

	/* iteration for fsck */
	memset(&c, 0, sizeof c);
	CU_ASSERT_EQUAL(sdb_store_foreach_record(r, collect_rec, &c, NULL), SDB_OK);
	CU_ASSERT(c.n == 300 && c.ids[299] == 299);
	{
		int64_t sum = 0;
		memset(&c, 0, sizeof c);
		CU_ASSERT_EQUAL(sdb_store_foreach_key(r, collect_key, &c, NULL), SDB_OK);
		CU_ASSERT_EQUAL(c.n, 300);
		for (i = 0; i < c.n; i++)
			sum += c.ids[i];
		CU_ASSERT_EQUAL(sum, 299 * 300 / 2);
		memset(&c, 0, sizeof c);
		c.stop_at = 3;
		CU_ASSERT_EQUAL(sdb_store_foreach_key(r, collect_key, &c, NULL), 7);
	}

	/* sumdbd's lookup index: every record's id is among its candidates,
	 * an unknown module version has none that the store confirms */
	{
		struct sdbd_lookup_index *ix = NULL;
		int64_t ids[SDBD_LOOKUP_INDEX_MAX_CANDIDATES];
		size_t k, nc;
		int64_t j;

		CU_ASSERT_EQUAL_FATAL(sdbd_lookup_index_build(&ix, r, 300, NULL, NULL, NULL), SDB_OK);
		CU_ASSERT_EQUAL(sdbd_lookup_index_count(ix), 300);
		CU_ASSERT(sdbd_lookup_index_bytes(ix) >= 300 * 8);
		for (j = 0; j < 300; j++) {
			int hit = 0;
			rec_path(p, sizeof p, j);
			nc = sdbd_lookup_index_find(ix, p, strlen(p), "v1.0.0", 6, ids);
			for (k = 0; k < nc; k++)
				hit |= ids[k] == j;
			CU_ASSERT(hit);
		}
		rec_path(p, sizeof p, 300);
		nc = sdbd_lookup_index_find(ix, p, strlen(p), "v1.0.0", 6, ids);
		for (k = 0; k < nc; k++) {
			CU_ASSERT_EQUAL(sdb_store_record_of(r, ids[k], p, strlen(p), "v1.0.0", 6, &buf,
			                                    &len, NULL), SDB_ERR_NOT_FOUND);
		}
		sdbd_lookup_index_free(ix);
		sdbd_lookup_index_free(NULL);
	}

	/* past the limit serve gives it, no index, and the operator is told
	 * how many records there are and how many it holds */
	{
		struct sdbd_lookup_index *ix = NULL;
		struct sdb_errbuf eb = { "" };

		CU_ASSERT_EQUAL(sdbd_lookup_index_build(&ix, r, 299, NULL, NULL, &eb),
		    SDB_ERR_TOO_LARGE);
		CU_ASSERT_STRING_EQUAL(eb.msg, "300 records: more than the 299 the lookup index holds");
	}

	/* a stop in the middle of the build ends it at the next record:
	 * stop is asked before each record, and the build reads no further */
	{
		struct sdbd_lookup_index *ix = NULL;
		struct sdb_errbuf eb = { "" };
		int asked = 0;

		CU_ASSERT_EQUAL(sdbd_lookup_index_build(&ix, r, SDBD_LOOKUP_INDEX_MAX_RECORDS,
		    stop_after_10, &asked, &eb), SDB_ERR_IO);
		CU_ASSERT_EQUAL(asked, 11);
		CU_ASSERT_STRING_EQUAL(eb.msg, "stopped after 10 of 300 records");
	}
	CU_ASSERT_EQUAL(sdb_store_foreach_tile(r, count_tile, &nt, NULL), SDB_OK);
	CU_ASSERT_EQUAL(nt, 3); /* 0/0 (256), 0/1 (44), 1/0 (1) */
	CU_ASSERT_EQUAL(sdb_store_foreach_tree(r, count_tree, &last, NULL), SDB_OK);
	CU_ASSERT_EQUAL(last, 300);
	sdb_store_close(r);
	sdb_store_close(w);
}

/* Tries a batch from 3 to b records after edit() changed it; expects
 * code and the database unchanged at 3 records. */
static void
refuse(struct sdb_store *w, int64_t b, void (*edit)(struct batch *), int code, const char *needle)
{
	struct batch *bt = batch_new(3, b);
	struct sdb_errbuf eb = { "" };
	int rc;

	edit(bt);
	rc = batch_append(w, bt, &eb);
	CU_ASSERT_EQUAL(rc, code);
	if (rc != code)
		fprintf(stderr, "expected %d, got %d: %s\n", code, rc, eb.msg);
	if (needle != NULL && strstr(eb.msg, needle) == NULL) {
		fprintf(stderr, "expected \"%s\" in \"%s\"\n", needle, eb.msg);
		CU_FAIL("detail message");
	}
	assert_state(w, 3);
	batch_free(bt);
}

static uint8_t edited[2 * SDB_STORE_TILE_MAX_BYTES];

static void
tile_shrink(struct batch *bt)
{
	bt->tiles[0].len = 2 * 32; /* stored tile 0/0 has 3 hashes */
}

static void
tile_rewrite(struct batch *bt)
{
	memcpy(edited, bt->tiles[0].hashes, bt->tiles[0].len);
	edited[32 + 5] ^= 1; /* hash 1 was stored and served */
	bt->tiles[0].hashes = edited;
}

static void
tile_too_wide(struct batch *bt)
{
	/* 3 -> 300: tile 0/0 grows to 256; offer 257 */
	memcpy(edited, bt->tiles[0].hashes, bt->tiles[0].len);
	fake_hash(edited + 256 * 32, 0, 256, 0);
	bt->tiles[0].hashes = edited;
	bt->tiles[0].len = 257 * 32;
}

static void
tile_ragged(struct batch *bt)
{
	bt->tiles[0].len = 4 * 32 + 1;
}

static void
tile_missing(struct batch *bt)
{
	bt->ntiles = 0;
}

static void
tile_middle_partial(struct batch *bt)
{
	/* 3 -> 300 without growing tile 0/0: the last tile is right, the one
	 * before it is not full */
	bt->tiles[0] = bt->tiles[--bt->ntiles];
}

static void
tile_beyond(struct batch *bt)
{
	bt->tiles[bt->ntiles] = bt->tiles[0];
	bt->tiles[bt->ntiles].n = 5;
	bt->ntiles++;
}

static void
tile_narrow_last(struct batch *bt)
{
	bt->tiles[0].len -= 32; /* 3 -> 5 written as 4 wide */
}

static void
test_tile_rules(void)
{
	char path[1024];
	struct sdb_store *w = fresh("tiles.db", 3, path, sizeof path);
	struct batch *bt;

	refuse(w, 5, tile_shrink, SDB_ERR_RANGE, "shrink");
	refuse(w, 5, tile_rewrite, SDB_ERR_FORK, "change stored hash 1");
	refuse(w, 300, tile_too_wide, SDB_ERR_TOO_LARGE, "more than 256");
	refuse(w, 5, tile_ragged, SDB_ERR_INVALID, "whole number");
	refuse(w, 5, tile_missing, SDB_ERR_INVALID, "do not cover");
	refuse(w, 5, tile_narrow_last, SDB_ERR_INVALID, "do not cover");
	refuse(w, 300, tile_middle_partial, SDB_ERR_INVALID, "tile 0/0 has 3 hashes, should have 256");
	refuse(w, 5, tile_beyond, SDB_ERR_INVALID, "beyond");

	/* the twin: the honest batch is taken, also with a tile repeated
	 * unchanged (the same bytes are no change) */
	bt = batch_new(3, 300);
	bt->tiles[bt->ntiles++] = bt->tiles[0];
	CU_ASSERT_EQUAL(batch_append(w, bt, NULL), SDB_OK);
	batch_free(bt);
	assert_state(w, 300);
	sdb_store_close(w);
}

static void
tree_fork(struct batch *bt)
{
	bt->tree = fake_tree(3, 1); /* size 3 is signed with salt 0 */
}

static void
tree_same(struct batch *bt)
{
	bt->tree = fake_tree(3, 0);
}

static void
tree_rollback(struct batch *bt)
{
	bt->nrecs = 0;
	bt->ntiles = 0;
	bt->tree = fake_tree(2, 0); /* never signed, but older than 3 */
}

static void
tree_fork_alone(struct batch *bt)
{
	bt->nrecs = 0;
	bt->ntiles = 0;
	bt->tree = fake_tree(0, 1); /* the empty tree has the zero salt */
}

static void
tree_wrong_size(struct batch *bt)
{
	bt->tree = fake_tree(6, 0);
}

static void
tree_no_note(struct batch *bt)
{
	bt->note[0] = '\0';
}

static void
test_tree_rules(void)
{
	char path[1024];
	struct sdb_store *w = fresh("trees.db", 3, path, sizeof path);

	refuse(w, 5, tree_fork, SDB_ERR_FORK, "different tree of size 3");
	refuse(w, 5, tree_fork_alone, SDB_ERR_FORK, "size 0");
	refuse(w, 5, tree_same, SDB_ERR_EXISTS, "already recorded");
	refuse(w, 5, tree_rollback, SDB_ERR_RANGE, "roll back");
	refuse(w, 5, tree_wrong_size, SDB_ERR_INVALID, "does not match");
	refuse(w, 5, tree_no_note, SDB_ERR_INVALID, "no signed note");
	grow(w, 3, 5);
	assert_state(w, 5);
	sdb_store_close(w);
}

static void
rec_gap(struct batch *bt)
{
	bt->recs[0].id = 4;
	bt->recs[1].id = 5;
}

static void
rec_old_id(struct batch *bt)
{
	bt->recs[0].id = 2;
}

static void
rec_dup_stored(struct batch *bt)
{
	bt->recs[1].path = "example.com/m1"; /* record 1 has v1.0.0 */
}

static void
rec_dup_batch(struct batch *bt)
{
	bt->recs[1].path = bt->recs[0].path;
}

static void
rec_too_big(struct batch *bt)
{
	bt->recs[1].text_len = SDB_MAX_RECORD_SIZE + 1;
}

static void
rec_no_version(struct batch *bt)
{
	bt->recs[0].version = "";
}

static void
test_record_rules(void)
{
	char path[1024];
	struct sdb_store *w = fresh("records.db", 3, path, sizeof path);
	struct sdb_store *r = NULL;
	struct batch *bt;
	struct sdb_errbuf eb = { "" };
	size_t i;

	refuse(w, 5, rec_gap, SDB_ERR_INVALID, "not the next id 3");
	refuse(w, 5, rec_old_id, SDB_ERR_INVALID, "not the next id 3");
	refuse(w, 5, rec_dup_stored, SDB_ERR_EXISTS, "example.com/m1@v1.0.0 is already recorded");
	refuse(w, 5, rec_dup_batch, SDB_ERR_EXISTS, "example.com/m3@v1.0.0 is already recorded");
	refuse(w, 5, rec_too_big, SDB_ERR_TOO_LARGE, NULL);
	refuse(w, 5, rec_no_version, SDB_ERR_INVALID, "empty version");

	/* fails midway: records and a tile are written inside the
	 * transaction, then a duplicate; nothing of it persists, the batch
	 * is over, and a reader never saw any of it */
	CU_ASSERT_EQUAL_FATAL(sdb_store_open(&r, path, SDB_STORE_READ, NULL), SDB_OK);
	bt = batch_new(3, 6);
	CU_ASSERT_EQUAL(sdb_store_batch_begin(w, NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_store_batch_add(w, &bt->recs[0], NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_store_batch_add(w, &bt->recs[1], NULL), SDB_OK);
	for (i = 0; i < bt->ntiles; i++)
		CU_ASSERT_EQUAL(sdb_store_batch_tile(w, &bt->tiles[i], NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_store_batch_add(w, &bt->recs[0], &eb), SDB_ERR_INVALID); /* old id */
	CU_ASSERT_EQUAL(sdb_store_batch_commit(w, &bt->tree, (const uint8_t *)bt->note, strlen(bt->note), &eb),
	                SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "outside a batch") != NULL);
	assert_state(w, 3);
	assert_state(r, 3);
	/* the same batch whole is taken */
	CU_ASSERT_EQUAL(batch_append(w, bt, NULL), SDB_OK);
	assert_state(r, 6);
	batch_free(bt);
	sdb_store_batch_abort(w); /* no batch: no-op */
	sdb_store_batch_abort(NULL);
	sdb_store_close(r);
	sdb_store_close(w);
}

static void
test_reopen(void)
{
	char path[1024];
	struct sdb_store *w = fresh("reopen.db", 300, path, sizeof path);
	struct sdb_store *r = NULL;
	char *v = NULL;

	CU_ASSERT_EQUAL(sdb_store_config_set(w, "k", "v1", NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_store_config_set(w, "k", "v2", NULL), SDB_OK);
	sdb_store_close(w);
	w = NULL;
	CU_ASSERT_EQUAL_FATAL(sdb_store_open(&w, path, SDB_STORE_WRITE, NULL), SDB_OK);
	assert_state(w, 300);
	grow(w, 300, 513);
	sdb_store_close(w);
	CU_ASSERT_EQUAL_FATAL(sdb_store_open(&r, path, SDB_STORE_READ, NULL), SDB_OK);
	assert_state(r, 513);
	CU_ASSERT_EQUAL(sdb_store_config_get(r, "k", &v, NULL), SDB_OK);
	CU_ASSERT(v != NULL && strcmp(v, "v2") == 0);
	free(v);
	sdb_store_close(r);
}

/* Disk full: a child limited to a file size the batch cannot fit in gets
 * SDB_ERR_IO with SQLite's message (no crash), and the database is as
 * before; the next batch after the limit is lifted commits. */
static void
test_disk_full(void)
{
	char path[1024], wal[1100];
	struct sdb_store *w = fresh("full.db", 3, path, sizeof path);
	struct stat sb;
	off_t limit = 0;
	int status;
	pid_t pid;

	sdb_store_close(w);
	if (stat(path, &sb) == 0)
		limit = sb.st_size;
	snprintf(wal, sizeof wal, "%s-wal", path);
	if (stat(wal, &sb) == 0 && sb.st_size > limit)
		limit = sb.st_size;
	limit += 64 * 1024;
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { (rlim_t)limit, (rlim_t)limit };
		struct sdb_errbuf eb = { "" };
		struct batch *bt = batch_new(3, 40);
		static uint8_t big[40000];
		struct sdb_store *cw = NULL;
		int rc, bad = 0;
		size_t i;

		signal(SIGXFSZ, SIG_IGN); /* a failing write, not a killed process */
		memset(big, 'x', sizeof big);
		for (i = 0; i < bt->nrecs; i++) {
			bt->recs[i].text = big;
			bt->recs[i].text_len = sizeof big;
		}
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0 || sdb_store_open(&cw, path, SDB_STORE_WRITE, NULL) != SDB_OK)
			_exit(10);
		rc = batch_append(cw, bt, &eb);
		if (rc != SDB_ERR_IO)
			bad |= 1;
		if (strstr(eb.msg, "database") == NULL)
			bad |= 2;
		if (bad)
			fprintf(stderr, "disk full: rc %d, %s\n", rc, eb.msg);
		sdb_store_close(cw);
		batch_free(bt);   /* valgrind checks the child's leaks too */
		_exit(bad);
	}
	CU_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	w = NULL;
	CU_ASSERT_EQUAL_FATAL(sdb_store_open(&w, path, SDB_STORE_WRITE, NULL), SDB_OK);
	assert_state(w, 3);
	grow(w, 3, 40);
	assert_state(w, 40);
	sdb_store_close(w);
}

/* The trees walked one by one in size order, from the first. */
static void
test_tree_after(void)
{
	char path[1024];
	struct sdb_store *w = fresh("after.db", 0, path, sizeof path);
	struct sdb_errbuf eb = { "" };
	struct sdb_tree t, want;
	uint8_t *note = NULL;
	size_t len = 0;

	grow(w, 0, 5);
	grow(w, 5, 300);
	CU_ASSERT_EQUAL(sdb_store_tree_after(w, -1, &t, NULL, NULL, NULL), SDB_OK);
	CU_ASSERT_EQUAL(t.n, 0);
	CU_ASSERT_EQUAL(sdb_store_tree_after(w, 0, &t, &note, &len, NULL), SDB_OK);
	want = fake_tree(5, 0);
	CU_ASSERT(t.n == 5 && memcmp(t.hash.b, want.hash.b, 32) == 0);
	CU_ASSERT(note != NULL && len == strlen("note for 5\n") && memcmp(note, "note for 5\n", len) == 0);
	free(note);
	CU_ASSERT_EQUAL(sdb_store_tree_after(w, 4, &t, NULL, NULL, NULL), SDB_OK);
	CU_ASSERT_EQUAL(t.n, 5);
	CU_ASSERT_EQUAL(sdb_store_tree_after(w, 5, &t, NULL, NULL, NULL), SDB_OK);
	CU_ASSERT_EQUAL(t.n, 300);
	CU_ASSERT_EQUAL(sdb_store_tree_after(w, 300, &t, NULL, NULL, &eb), SDB_ERR_NOT_FOUND);
	CU_ASSERT(strstr(eb.msg, "no signed tree larger than 300") != NULL);
	sdb_store_close(w);
}

/* Size of path's -wal file, -1 when there is none. */
static long long
wal_size(const char *path)
{
	char wal[1100];
	struct stat sb;

	snprintf(wal, sizeof wal, "%s-wal", path);
	return stat(wal, &sb) == 0 ? (long long)sb.st_size : -1;
}

/* The write-ahead log a reader's long snapshot made large is cut back to
 * SDB_STORE_WAL_LIMIT once SQLite starts it over, not kept at its
 * largest for as long as the writer runs. */
static void
test_wal_shrinks(void)
{
	char path[1024];
	struct sdb_store *w = fresh("walsize.db", 3, path, sizeof path);
	struct sdb_store *r = NULL;
	static uint8_t big[60000];
	int64_t n = 3;
	long long high;
	size_t i;

	memset(big, 'x', sizeof big);
	CU_ASSERT_EQUAL_FATAL(sdb_store_open(&r, path, SDB_STORE_READ, NULL), SDB_OK);
	/* while the reader's snapshot is open, no checkpoint can pass it */
	CU_ASSERT_EQUAL_FATAL(sdb_store_snapshot_begin(r, NULL), SDB_OK);
	assert_state(r, 3);
	while (wal_size(path) < 2LL * SDB_STORE_WAL_LIMIT) {
		struct batch *bt = batch_new(n, n + 20);
		struct sdb_errbuf eb = { "" };

		for (i = 0; i < bt->nrecs; i++) {
			bt->recs[i].text = big;
			bt->recs[i].text_len = sizeof big;
		}
		CU_ASSERT_EQUAL_FATAL(batch_append(w, bt, &eb), SDB_OK);
		batch_free(bt);
		n += 20;
	}
	high = wal_size(path);
	sdb_store_snapshot_end(r);
	/* the first commit checkpoints the whole log (no reader is in it),
	 * the second starts it over */
	grow(w, n, n + 1);
	grow(w, n + 1, n + 2);
	CU_ASSERT(wal_size(path) <= SDB_STORE_WAL_LIMIT);
	if (wal_size(path) > SDB_STORE_WAL_LIMIT)
		fprintf(stderr, "wal_shrinks: -wal of %lld bytes, %lld at its largest, limit %d\n",
		        wal_size(path), high, SDB_STORE_WAL_LIMIT);
	assert_state(r, n + 2);
	sdb_store_close(r);
	sdb_store_close(w);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "create_open", test_create_open },
		{ "config_each", test_config_each },
		{ "writer_lock", test_writer_lock },
		{ "remove", test_remove },
		{ "damaged", test_damaged },
		{ "writer_lock_fork", test_writer_lock_fork },
		{ "reader_during_batch", test_reader_during_batch },
		{ "batch_roundtrip", test_batch_roundtrip },
		{ "tile_rules", test_tile_rules },
		{ "tree_rules", test_tree_rules },
		{ "record_rules", test_record_rules },
		{ "reopen", test_reopen },
		{ "disk_full", test_disk_full },
		{ "wal_shrinks", test_wal_shrinks },
		{ "tree_after", test_tree_after },
		{ NULL, NULL },
	};
	unit_suite("store", tests);
}
