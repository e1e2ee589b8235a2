/*
 * Unit tests for src/sumdbd/log.c (the sequencer): concurrent appends from
 * several threads, each published tree and every stored tile checked
 * against an independent computation (sdb_tlog_stored_hashes over an
 * in-memory array, sdb_tlog_tree_hash, sdb_tile_read_data); dedup and
 * per-call refusal; reopen; refusal to open over tampered tiles; the
 * second writer; consistency of every tree ever published with the final
 * one; a commit that fails for lack of space (in a child process with a
 * file size limit) and the batches after it.  Databases live in a fresh
 * directory under $TMPDIR, removed at exit.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "crypto.h"
#include "csumdb/note.h"
#include "csumdb/record.h"
#include "csumdb/store.h"
#include "csumdb/tile.h"
#include "csumdb/tlog.h"
#include "csumdb/treenote.h"
#include "log.h"
#include "unit.h"

/* A test database: path, key file, verifier. */
struct tdb {
	char path[600];
	char key[600];
	struct sdb_note_verifier *v;
};

/* The database and key file of test database NAME. */
static void
tdb_paths(struct tdb *t, const char *name)
{
	char f[256];

	snprintf(f, sizeof f, "%s.db", name);
	unit_tmp_path(t->path, sizeof t->path, f);
	snprintf(f, sizeof f, "%s.key", name);
	unit_tmp_path(t->key, sizeof t->key, f);
}

/* Creates a database NAME in the test directory with a new key (as sumdbd init). */
static void
tdb_create(struct tdb *t, const char *name)
{
	struct sdb_note_signer *s = NULL;
	char *vkey = NULL, buf[256];
	FILE *f;

	tdb_paths(t, name);
	CU_ASSERT_FATAL(sdb_note_signer_generate(&s, "log.example/test", NULL) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_format(s, buf, sizeof buf) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_verifier(s, &t->v) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_verifier_format(t->v, &vkey) == SDB_OK);
	f = fopen(t->key, "w");
	CU_ASSERT_FATAL(f != NULL);
	fprintf(f, "%s\n", buf);
	fclose(f);
	CU_ASSERT_FATAL(sdb_store_create(t->path, "log.example/test", vkey, t->key, NULL) == SDB_OK);
	free(vkey);
	sdb_note_signer_free(s);
}

static struct sdbd_log *
tdb_open(const struct tdb *t, int group_ms)
{
	struct sdbd_log_options o;
	struct sdbd_log *log = NULL;
	struct sdb_errbuf eb = { { 0 } };
	int rc;

	memset(&o, 0, sizeof o);
	o.db_path = t->path;
	o.group_commit_ms = group_ms;
	rc = sdbd_log_open(&log, &o, &eb);
	if (rc != SDB_OK)
		fprintf(stderr, "open: %s\n", sdb_errmsg(&eb, rc));
	CU_ASSERT_FATAL(rc == SDB_OK);
	return log;
}

/* Record number i, with hash variant salt; path padded to pad bytes. */
struct trec {
	char path[400];
	char version[32];
	char *text;
	size_t text_len;
	struct sdbd_record r;
};

static void
trec_make(struct trec *t, int64_t i, unsigned salt, size_t pad)
{
	sdb_hash h1, h2;
	size_t n;

	n = (size_t)snprintf(t->path, sizeof t->path, "example.com/m%lld", (long long)i);
	while (n < pad && n + 1 < sizeof t->path)
		t->path[n++] = 'x';
	t->path[n] = '\0';
	snprintf(t->version, sizeof t->version, "v1.%u.0", (unsigned)(i % 7));
	memset(&h1, 0, sizeof h1);
	memset(&h2, 0, sizeof h2);
	memcpy(h1.b, &i, sizeof i);
	memcpy(h2.b + 8, &i, sizeof i);
	h1.b[31] = (uint8_t)salt;
	CU_ASSERT_FATAL(sdb_record_format(t->path, strlen(t->path), t->version,
	    strlen(t->version), &h1, &h2, &t->text, &t->text_len, NULL) == SDB_OK);
	t->r.path = t->path;
	t->r.path_len = strlen(t->path);
	t->r.version = t->version;
	t->r.version_len = strlen(t->version);
	t->r.text = t->text;
	t->r.text_len = t->text_len;
}

/* ---- the independent model ------------------------------------------ */

struct model {
	sdb_hash *stored;       /* stored hashes, index order */
	int64_t nstored;
	int64_t n;              /* records */
};

/* The model's stored hashes through the shared array reader (the array
 * moves as it grows, so the view is made for each read). */
static int
model_read(void *ctx, const int64_t *idx, size_t n, sdb_hash *out)
{
	const struct model *m = ctx;
	struct unit_hashes view = { m->stored, &m->nstored, 0 };

	return unit_read_hashes(&view, idx, n, out);
}

static void
model_add(struct model *m, const char *text, size_t len)
{
	struct sdb_hash_reader r = { model_read, m };
	sdb_hash out[SDB_TLOG_MAX_STORED];
	size_t nout, i;

	CU_ASSERT_FATAL(sdb_tlog_stored_hashes(m->n, text, len, &r, out, &nout) == SDB_OK);
	m->stored = realloc(m->stored, (size_t)(m->nstored + (int64_t)nout) * sizeof *m->stored);
	CU_ASSERT_FATAL(m->stored != NULL);
	for (i = 0; i < nout; i++)
		m->stored[m->nstored++] = out[i];
	m->n++;
}

static int
count_tile(void *arg, const struct sdb_store_tile *t)
{
	(void)t;
	(*(int64_t *)arg)++;
	return 0;
}

/*
 * Checks the store and the published tree against the model: the tree
 * hash, the note (signature and content) and every stored tile, exactly
 * as wide as the tree gives it, and no other tile.
 */
static void
check_against_model(const struct tdb *t, struct sdbd_log *log, const struct model *m)
{
	struct sdb_hash_reader r = { model_read, (void *)m };
	const struct sdbd_latest *l = sdbd_log_latest(log);
	struct sdb_store *rd = NULL;
	struct sdb_tree nt;
	sdb_hash th;
	int64_t ntiles = 0, expected = 0;
	int L;

	CU_ASSERT_EQUAL_FATAL(l->tree.n, m->n);
	CU_ASSERT_FATAL(sdb_tlog_tree_hash(m->n, &r, &th) == SDB_OK);
	CU_ASSERT(memcmp(th.b, l->tree.hash.b, 32) == 0);
	CU_ASSERT(sdb_tree_note_open(&nt, NULL, l->note, l->note_len, t->v, NULL) == SDB_OK);
	CU_ASSERT(nt.n == m->n && memcmp(nt.hash.b, th.b, 32) == 0);
	sdbd_latest_put(l);

	CU_ASSERT_FATAL(sdb_store_open(&rd, t->path, SDB_STORE_READ, NULL) == SDB_OK);
	for (L = 0; L <= SDB_STORE_MAX_TILE_LEVEL; L++) {
		int64_t c = m->n >> (8 * L), n;

		for (n = 0; n * 256 < c; n++) {
			struct sdb_tile tile = { 8, L, n, (int)(c - n * 256 > 256 ? 256 : c - n * 256) };
			uint8_t want[8192], *got = NULL;
			size_t len = 0;

			CU_ASSERT_FATAL(sdb_tile_read_data(&tile, &r, want, sizeof want) == SDB_OK);
			CU_ASSERT_FATAL(sdb_store_tile(rd, L, n, 0, &got, &len, NULL) == SDB_OK);
			CU_ASSERT(len == (size_t)tile.w * 32 && memcmp(got, want, len) == 0);
			free(got);
			expected++;
		}
	}
	CU_ASSERT(sdb_store_foreach_tile(rd, count_tile, &ntiles, NULL) == SDB_OK);
	CU_ASSERT_EQUAL(ntiles, expected);
	sdb_store_close(rd);
}

/* ---- concurrent appends ---------------------------------------------- */

struct worker {
	struct sdbd_log *log;
	struct trec *recs;      /* this worker's records */
	size_t n;
	int64_t *ids;
	unsigned seed;
	int failures;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct sdbd_record *rr = calloc(w->n + 1, sizeof *rr);
	size_t i = 0, k;

	for (k = 0; k < w->n; k++)
		rr[k] = w->recs[k].r;
	while (i < w->n) {
		size_t chunk = 1 + (size_t)(rand_r(&w->seed) % 40);
		struct sdb_errbuf eb = { { 0 } };
		int rc;

		if (chunk > w->n - i)
			chunk = w->n - i;
		rc = sdbd_log_append(w->log, rr + i, chunk, w->ids + i, &eb);
		if (rc != SDB_OK) {
			fprintf(stderr, "append: %s\n", sdb_errmsg(&eb, rc));
			w->failures++;
		}
		i += chunk;
	}
	free(rr);
	return NULL;
}

#define NRECS 1000
#define NTHREADS 4

static struct tdb main_db;
static struct trec all[NRECS];
static int64_t all_ids[NRECS];
static struct sdb_tree published[64];
static size_t npublished;

static void
test_concurrent_appends(void)
{
	static const int rounds[] = { 1, 2, 5, 60, 200, 255, 477 };
	struct sdbd_log *log;
	struct model m = { NULL, 0, 0 };
	const char *by_id[NRECS];
	size_t by_len[NRECS];
	size_t done = 0, ri, i;

	tdb_create(&main_db, "main");
	log = tdb_open(&main_db, 2);
	check_against_model(&main_db, log, &m);   /* the empty tree */
	for (i = 0; i < NRECS; i++)
		trec_make(&all[i], (int64_t)i, 0, 0);
	for (ri = 0; ri < sizeof rounds / sizeof rounds[0]; ri++) {
		struct worker w[NTHREADS];
		pthread_t th[NTHREADS];
		size_t per = (size_t)rounds[ri] / NTHREADS, off = done, k;
		const struct sdbd_latest *l;
		int64_t id;

		for (k = 0; k < NTHREADS; k++) {
			w[k].log = log;
			w[k].recs = all + off;
			w[k].n = k + 1 < NTHREADS ? per : (size_t)rounds[ri] - per * (NTHREADS - 1);
			w[k].ids = all_ids + off;
			w[k].seed = (unsigned)(ri * 10 + k);
			w[k].failures = 0;
			off += w[k].n;
			CU_ASSERT_FATAL(pthread_create(&th[k], NULL, worker_run, &w[k]) == 0);
		}
		for (k = 0; k < NTHREADS; k++) {
			pthread_join(th[k], NULL);
			CU_ASSERT_EQUAL(w[k].failures, 0);
		}
		done = off;
		/* The ids are exactly done-rounds .. done-1, each once. */
		for (id = (int64_t)(done - (size_t)rounds[ri]); id < (int64_t)done; id++)
			by_id[id] = NULL;
		for (k = done - (size_t)rounds[ri]; k < done; k++) {
			CU_ASSERT_FATAL(all_ids[k] >= (int64_t)(done - (size_t)rounds[ri]) &&
			    all_ids[k] < (int64_t)done);
			CU_ASSERT_FATAL(by_id[all_ids[k]] == NULL);
			by_id[all_ids[k]] = all[k].text;
			by_len[all_ids[k]] = all[k].text_len;
		}
		for (id = m.n; id < (int64_t)done; id++)
			model_add(&m, by_id[id], by_len[id]);
		check_against_model(&main_db, log, &m);
		l = sdbd_log_latest(log);
		published[npublished++] = l->tree;
		sdbd_latest_put(l);
	}
	CU_ASSERT_EQUAL(m.n, NRECS);

	/* Every tree ever committed is a prefix of the final one. */
	{
		struct sdb_hash_reader r = { model_read, &m };
		struct sdb_store *rd = NULL;
		sdb_hash final, proof[SDB_TLOG_MAX_PROOF];
		size_t np;
		int64_t ntrees = 0;

		CU_ASSERT_FATAL(sdb_tlog_tree_hash(NRECS, &r, &final) == SDB_OK);
		for (i = 0; i < npublished; i++) {
			CU_ASSERT_FATAL(sdb_tlog_prove_tree(NRECS, published[i].n, &r, proof, &np) == SDB_OK);
			CU_ASSERT(sdb_tlog_check_tree(proof, np, NRECS, &final, published[i].n,
			    &published[i].hash) == SDB_OK);
		}
		CU_ASSERT_FATAL(sdb_store_open(&rd, main_db.path, SDB_STORE_READ, NULL) == SDB_OK);
		/* (checked per stored tree in test_every_tree_consistent) */
		(void)ntrees;
		sdb_store_close(rd);
	}
	sdbd_log_close(log);
	free(m.stored);
}

struct tree_ctx {
	struct model *m;
	const struct sdb_note_verifier *v;
	int64_t count;
};

static int
tree_cb(void *arg, const struct sdb_tree *t, const uint8_t *note, size_t len)
{
	struct tree_ctx *c = arg;
	struct sdb_hash_reader r = { model_read, c->m };
	sdb_hash final, th, proof[SDB_TLOG_MAX_PROOF];
	struct sdb_tree nt;
	size_t np;

	c->count++;
	CU_ASSERT(sdb_tree_note_open(&nt, NULL, (const char *)note, len, c->v, NULL) == SDB_OK);
	CU_ASSERT(nt.n == t->n && memcmp(nt.hash.b, t->hash.b, 32) == 0);
	CU_ASSERT(sdb_tlog_tree_hash(t->n, &r, &th) == SDB_OK);
	CU_ASSERT(memcmp(th.b, t->hash.b, 32) == 0);
	if (t->n > 0) {
		CU_ASSERT(sdb_tlog_tree_hash(c->m->n, &r, &final) == SDB_OK);
		CU_ASSERT(sdb_tlog_prove_tree(c->m->n, t->n, &r, proof, &np) == SDB_OK);
		CU_ASSERT(sdb_tlog_check_tree(proof, np, c->m->n, &final, t->n, &t->hash) == SDB_OK);
	}
	return 0;
}

/* Builds the model from the stored record texts, in id order. */
static int
rec_cb(void *arg, const struct sdb_store_record *rec)
{
	model_add(arg, (const char *)rec->text, rec->text_len);
	return 0;
}

static void
test_every_tree_consistent(void)
{
	struct model m = { NULL, 0, 0 };
	struct tree_ctx c = { &m, main_db.v, 0 };
	struct sdb_store *rd = NULL;

	CU_ASSERT_FATAL(sdb_store_open(&rd, main_db.path, SDB_STORE_READ, NULL) == SDB_OK);
	CU_ASSERT(sdb_store_foreach_record(rd, rec_cb, &m, NULL) == SDB_OK);
	CU_ASSERT_EQUAL(m.n, NRECS);
	CU_ASSERT(sdb_store_foreach_tree(rd, tree_cb, &c, NULL) == SDB_OK);
	/* The empty tree and at least one per round. */
	CU_ASSERT(c.count >= 1 + (int64_t)npublished);
	sdb_store_close(rd);
	free(m.stored);
}

static void
test_dedup_and_reopen(void)
{
	struct sdbd_log *log = tdb_open(&main_db, 1), *second = NULL;
	struct sdbd_log_options o;
	const struct sdbd_latest *before, *after;
	struct sdbd_record rr[3];
	struct trec fresh, conflict;
	struct sdb_errbuf eb = { { 0 } };
	struct sdb_store *rd = NULL;
	int64_t ids[3], id;
	size_t i;

	before = sdbd_log_latest(log);
	CU_ASSERT_EQUAL(before->tree.n, NRECS);

	/* Same text again: the same ids, no new tree. */
	for (i = 0; i < 3; i++)
		rr[i] = all[i * 300].r;
	CU_ASSERT(sdbd_log_append(log, rr, 3, ids, &eb) == SDB_OK);
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(ids[i], all_ids[i * 300]);
	/* The same new record twice in one call: one id. */
	trec_make(&fresh, 5000, 0, 0);
	rr[0] = fresh.r;
	rr[1] = fresh.r;
	CU_ASSERT(sdbd_log_append(log, rr, 2, ids, &eb) == SDB_OK);
	CU_ASSERT(ids[0] == NRECS && ids[1] == NRECS);
	after = sdbd_log_latest(log);
	CU_ASSERT_EQUAL(after->tree.n, NRECS + 1);
	sdbd_latest_put(after);

	/* Another text for a recorded version: refused, nothing of the call
	 * written, not even its good record. */
	free(fresh.text);
	trec_make(&conflict, 7, 1, 0);
	trec_make(&fresh, 5001, 0, 0);
	rr[0] = fresh.r;
	rr[1] = conflict.r;
	CU_ASSERT(sdbd_log_append(log, rr, 2, ids, &eb) == SDB_ERR_EXISTS);
	CU_ASSERT(strstr(eb.msg, "example.com/m7") != NULL);
	after = sdbd_log_latest(log);
	CU_ASSERT_EQUAL(after->tree.n, NRECS + 1);
	sdbd_latest_put(after);
	CU_ASSERT_FATAL(sdb_store_open(&rd, main_db.path, SDB_STORE_READ, NULL) == SDB_OK);
	CU_ASSERT(sdb_store_lookup(rd, fresh.path, fresh.version, &id, NULL, NULL, NULL) ==
	    SDB_ERR_NOT_FOUND);
	/* Within one call, two texts for one new version: refused. */
	free(conflict.text);
	trec_make(&conflict, 5001, 1, 0);
	rr[0] = fresh.r;
	rr[1] = conflict.r;
	CU_ASSERT(sdbd_log_append(log, rr, 2, ids, &eb) == SDB_ERR_EXISTS);
	CU_ASSERT(sdb_store_lookup(rd, fresh.path, fresh.version, &id, NULL, NULL, NULL) ==
	    SDB_ERR_NOT_FOUND);
	free(conflict.text);
	/* A text that is not the record of its path: refused. */
	rr[0] = fresh.r;
	rr[0].path = "example.com/other";
	rr[0].path_len = strlen(rr[0].path);
	CU_ASSERT(sdbd_log_append(log, rr, 1, ids, &eb) == SDB_ERR_INVALID);
	/* The good record alone goes in. */
	rr[0] = fresh.r;
	CU_ASSERT(sdbd_log_append(log, rr, 1, ids, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(ids[0], NRECS + 1);
	CU_ASSERT(sdb_store_lookup(rd, fresh.path, fresh.version, &id, NULL, NULL, NULL) == SDB_OK);
	sdb_store_close(rd);
	free(fresh.text);

	/* A second writer is refused while this one runs. */
	memset(&o, 0, sizeof o);
	o.db_path = main_db.path;
	CU_ASSERT(sdbd_log_open(&second, &o, &eb) == SDB_ERR_LOCKED);
	CU_ASSERT(second == NULL);

	after = sdbd_log_latest(log);
	sdbd_log_close(log);
	/* The published reference outlives the log. */
	CU_ASSERT_EQUAL(after->tree.n, NRECS + 2);

	/* Reopen: the same tree and note. */
	log = tdb_open(&main_db, 1);
	{
		const struct sdbd_latest *re = sdbd_log_latest(log);
		CU_ASSERT(re->tree.n == after->tree.n &&
		    memcmp(re->tree.hash.b, after->tree.hash.b, 32) == 0);
		CU_ASSERT(re->note_len == after->note_len &&
		    memcmp(re->note, after->note, re->note_len) == 0);
		sdbd_latest_put(re);
	}
	sdbd_latest_put(after);
	sdbd_latest_put(before);
	sdbd_log_close(log);
}

/* Flips one byte of the stored tile (level, n) with raw SQLite. */
static void
tamper_tile(const char *path, int level, int64_t n)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	uint8_t blob[8192];
	int len;

	CU_ASSERT_FATAL(sqlite3_open(path, &db) == SQLITE_OK);
	CU_ASSERT_FATAL(sqlite3_prepare_v2(db, "SELECT hashes FROM tiles WHERE level=?1 AND n=?2",
	    -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_int(st, 1, level);
	sqlite3_bind_int64(st, 2, n);
	CU_ASSERT_FATAL(sqlite3_step(st) == SQLITE_ROW);
	len = sqlite3_column_bytes(st, 0);
	CU_ASSERT_FATAL(len > 0 && len <= (int)sizeof blob);
	memcpy(blob, sqlite3_column_blob(st, 0), (size_t)len);
	sqlite3_finalize(st);
	blob[5] ^= 0x40;
	CU_ASSERT_FATAL(sqlite3_prepare_v2(db, "UPDATE tiles SET hashes=?1 WHERE level=?2 AND n=?3",
	    -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_blob(st, 1, blob, len, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, level);
	sqlite3_bind_int64(st, 3, n);
	CU_ASSERT_FATAL(sqlite3_step(st) == SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void
test_tampered_tiles_refused(void)
{
	struct tdb t;
	struct sdbd_log *log, *bad = NULL;
	struct sdbd_log_options o;
	struct sdb_errbuf eb = { { 0 } };
	struct sdbd_record rr[300];
	int64_t ids[300];
	size_t i;

	tdb_create(&t, "tamper");
	log = tdb_open(&t, 1);
	for (i = 0; i < 300; i++)
		rr[i] = all[i].r;
	CU_ASSERT(sdbd_log_append(log, rr, 300, ids, &eb) == SDB_OK);
	sdbd_log_close(log);
	/* The last level-0 tile (records 256..299) is on the right edge. */
	tamper_tile(t.path, 0, 1);
	memset(&o, 0, sizeof o);
	o.db_path = t.path;
	CU_ASSERT(sdbd_log_open(&bad, &o, &eb) == SDB_ERR_ROOT_MISMATCH);
	CU_ASSERT(strstr(eb.msg, "do not reproduce the signed tree of size 300") != NULL);
	CU_ASSERT(bad == NULL);
	sdb_note_verifier_free(t.v);
}

static void
test_wrong_key_refused(void)
{
	struct tdb t, other;
	struct sdbd_log *log = NULL;
	struct sdbd_log_options o;
	struct sdb_errbuf eb = { { 0 } };

	tdb_create(&t, "key1");
	tdb_create(&other, "key2");
	memset(&o, 0, sizeof o);
	o.db_path = t.path;
	o.key_path = other.key;
	CU_ASSERT(sdbd_log_open(&log, &o, &eb) == SDB_ERR_BAD_KEY);
	CU_ASSERT(log == NULL);
	o.key_path = "/nonexistent/key";
	CU_ASSERT(sdbd_log_open(&log, &o, &eb) == SDB_ERR_NOT_FOUND);
	sdb_note_verifier_free(t.v);
	sdb_note_verifier_free(other.v);
}

/* Tree size the checkpoint file at path holds (-1: none that verifies). */
static int64_t
checkpoint_size(const char *path, const struct sdb_note_verifier *v)
{
	char buf[4096];
	struct sdb_tree tree;
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	return sdb_tree_note_open(&tree, NULL, buf, n, v, NULL) == SDB_OK ? tree.n : -1;
}

/*
 * The key's checkpoint follows every commit, and holds each tree before
 * it is published.  When it cannot be written the tree just committed
 * stays unpublished and the key signs nothing more; once it can, that
 * tree is published and the log goes on.
 */
static void
test_checkpoint_unwritable(void)
{
	struct tdb t;
	struct sdbd_log *log = NULL;
	struct sdbd_log_options o;
	struct sdb_errbuf eb = { { 0 } };
	struct trec r[3];
	const struct sdbd_latest *l;
	char dir[600], cp[700], tmp[720];
	int64_t id;
	int i, rc;

	tdb_create(&t, "cpw");
	unit_tmp_path(dir, sizeof dir, "cpdir");
	snprintf(cp, sizeof cp, "%s/cp", dir);
	snprintf(tmp, sizeof tmp, "%s.tmp", cp);
	CU_ASSERT_FATAL(mkdir(dir, 0700) == 0);
	memset(&o, 0, sizeof o);
	o.db_path = t.path;
	o.checkpoint_path = cp;
	o.group_commit_ms = 1;
	CU_ASSERT_FATAL(sdbd_log_open(&log, &o, &eb) == SDB_OK);
	CU_ASSERT(checkpoint_size(cp, t.v) == 0);
	for (i = 0; i < 3; i++)
		trec_make(&r[i], i, 0, 0);
	CU_ASSERT(sdbd_log_append(log, &r[0].r, 1, &id, &eb) == SDB_OK);
	CU_ASSERT(checkpoint_size(cp, t.v) == 1);

	/* the checkpoint cannot be written: a directory where its
	 * temporary file goes */
	CU_ASSERT_FATAL(mkdir(tmp, 0700) == 0);
	rc = sdbd_log_append(log, &r[1].r, 1, &id, &eb);
	CU_ASSERT(rc == SDB_ERR_IO);
	CU_ASSERT(rc != SDB_OK && strstr(sdb_errmsg(&eb, rc), "tree 2 is committed but not "
	    "published") != NULL);
	l = sdbd_log_latest(log);
	CU_ASSERT(l->tree.n == 1);
	sdbd_latest_put(l);
	rc = sdbd_log_append(log, &r[2].r, 1, &id, &eb);
	CU_ASSERT(rc == SDB_ERR_IO);
	CU_ASSERT(rc != SDB_OK && strstr(sdb_errmsg(&eb, rc), "nothing more is signed") != NULL);
	l = sdbd_log_latest(log);
	CU_ASSERT(l->tree.n == 1);
	sdbd_latest_put(l);
	CU_ASSERT(checkpoint_size(cp, t.v) == 1);

	/* back: the committed tree is held and published, then the next */
	CU_ASSERT_FATAL(rmdir(tmp) == 0);
	CU_ASSERT(sdbd_log_append(log, &r[2].r, 1, &id, &eb) == SDB_OK);
	CU_ASSERT(id == 2);
	l = sdbd_log_latest(log);
	CU_ASSERT(l->tree.n == 3);
	sdbd_latest_put(l);
	CU_ASSERT(checkpoint_size(cp, t.v) == 3);
	sdbd_log_close(log);
	for (i = 0; i < 3; i++)
		free(r[i].text);
	sdb_note_verifier_free(t.v);
}

/*
 * A commit that fails for lack of space (RLIMIT_FSIZE, in a child so the
 * limit stays there): the callers get SDB_ERR_IO, nothing is published,
 * and once there is room again the next batch commits and the tree is
 * the one the records give.
 */
static int
disk_full_child(void)
{
	struct tdb t;
	struct sdbd_log *log;
	struct model m = { NULL, 0, 0 };
	struct sdb_errbuf eb = { { 0 } };
	struct rlimit rl, saved;
	static struct trec big[600];
	struct sdbd_record rr[600];
	int64_t ids[600];
	const struct sdbd_latest *l;
	size_t i;

	signal(SIGXFSZ, SIG_IGN);   /* a failing write, not a killed process */
	tdb_create(&t, "full");
	log = tdb_open(&t, 1);
	for (i = 0; i < 600; i++) {
		trec_make(&big[i], (int64_t)i, 0, 350);
		rr[i] = big[i].r;
	}
	if (sdbd_log_append(log, rr, 10, ids, &eb) != SDB_OK)
		return 10;
	for (i = 0; i < 10; i++)
		model_add(&m, big[i].text, big[i].text_len);
	if (getrlimit(RLIMIT_FSIZE, &saved) != 0)
		return 11;
	rl = saved;
	rl.rlim_cur = 64 * 1024;
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 12;
	if (sdbd_log_append(log, rr + 10, 590, ids, &eb) != SDB_ERR_IO)
		return 13;
	l = sdbd_log_latest(log);
	if (l->tree.n != 10)
		return 14;
	sdbd_latest_put(l);
	if (setrlimit(RLIMIT_FSIZE, &saved) != 0)
		return 15;
	/* Room again: a smaller batch, then the rest. */
	if (sdbd_log_append(log, rr + 10, 5, ids, &eb) != SDB_OK || ids[0] != 10)
		return 16;
	if (sdbd_log_append(log, rr + 15, 585, ids, &eb) != SDB_OK || ids[0] != 15)
		return 17;
	for (i = 10; i < 600; i++)
		model_add(&m, big[i].text, big[i].text_len);
	check_against_model(&t, log, &m);
	sdbd_log_close(log);
	/* valgrind checks the child's leaks too */
	free(m.stored);
	for (i = 0; i < 600; i++)
		free(big[i].text);
	sdb_note_verifier_free(t.v);
	return CU_get_number_of_failures() == 0 ? 0 : 18;
}

static void
test_disk_full(void)
{
	pid_t pid;
	int st = 0;

	(void)unit_tmp_dir(); /* made by the parent, before the fork */
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		_exit(disk_full_child());
	CU_ASSERT_FATAL(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "disk-full child: status %d\n", st);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "concurrent_appends", test_concurrent_appends },
		{ "every_tree_consistent", test_every_tree_consistent },
		{ "dedup_and_reopen", test_dedup_and_reopen },
		{ "tampered_tiles_refused", test_tampered_tiles_refused },
		{ "wrong_key_refused", test_wrong_key_refused },
		{ "disk_full", test_disk_full },
		{ "checkpoint_unwritable", test_checkpoint_unwritable },
		{ NULL, NULL },
	};

	unit_suite("log", tests);
}
