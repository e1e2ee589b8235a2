/*
 * Faults at each write step of the sequencer's commit (src/sumdbd/log.c),
 * one by one, as Sunlight's tests do: records inserted, tiles written, tree
 * note signed, tree inserted, COMMIT, publish.  Each step fails before it
 * ran and after it ran (persisted, where it persists anything), once as an
 * error returned to the sequencer and once as a crash (SIGKILL of a child
 * process at that very point).  Afterwards the log must reload (its open
 * checks that the tiles reproduce the signed root), every acknowledged
 * record must be there with its id, an unacknowledged batch must be there
 * completely or not at all, the next append must get the next ids without
 * a gap, and an independent check of the whole store (every record, tile
 * and signed tree against a model built from the records) must pass.
 *
 * The faults need no hook in production code: this program is linked with
 * GNU ld's --wrap for the calls log.c makes into the store and the note
 * signer, and for the sqlite3_step calls the store makes (see Makefile.am,
 * reliability block).  A __wrap_ function passes through unless a fault is
 * armed for its step.
 */
#include "config.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* ---- the fault switch -------------------------------------------------- */

enum step { S_RECORD, S_TILE, S_SIGN, S_TREE, S_COMMIT, S_PUBLISH, S_NUM };
static const char *const step_name[S_NUM] = {
	"records inserted", "tiles written", "tree note signed", "tree inserted", "COMMIT",
	"publish",
};
/* Which call of the step fails (0: the first): a record in the middle of
 * the batch; the second tile (the partial one after a full one). */
static const int step_skip[S_NUM] = { 5, 1, 0, 0, 0, 0 };

enum when { W_BEFORE, W_AFTER };
enum action { A_ERROR, A_CRASH };

static struct {
	int armed;
	enum step step;
	enum when when;
	enum action action;
	int skip;
	int fired;
} fault;

static void
fault_arm(enum step s, enum when w, enum action a)
{
	fault.step = s;
	fault.when = w;
	fault.action = a;
	fault.skip = step_skip[s];
	fault.fired = 0;
	fault.armed = 1;
}

/* 1 when the fault of step s at point w fires now (error action); a crash
 * action never returns. */
static int
fault_hit(enum step s, enum when w)
{
	if (!fault.armed || fault.step != s || fault.when != w)
		return 0;
	if (fault.skip > 0) {
		fault.skip--;
		return 0;
	}
	fault.armed = 0;
	fault.fired = 1;
	if (fault.action == A_CRASH)
		kill(getpid(), SIGKILL);
	return 1;
}

int __real_sdb_store_batch_add(struct sdb_store *, const struct sdb_store_record *,
    struct sdb_errbuf *);
int __wrap_sdb_store_batch_add(struct sdb_store *, const struct sdb_store_record *,
    struct sdb_errbuf *);
int
__wrap_sdb_store_batch_add(struct sdb_store *s, const struct sdb_store_record *rec,
    struct sdb_errbuf *eb)
{
	int rc;

	if (fault_hit(S_RECORD, W_BEFORE))
		return sdb_errf(eb, SDB_ERR_IO, "fault: before inserting record %lld",
		    (long long)rec->id);
	rc = __real_sdb_store_batch_add(s, rec, eb);
	if (rc == SDB_OK && fault_hit(S_RECORD, W_AFTER))
		return sdb_errf(eb, SDB_ERR_IO, "fault: after inserting record %lld",
		    (long long)rec->id);
	return rc;
}

int __real_sdb_store_batch_tile(struct sdb_store *, const struct sdb_store_tile *,
    struct sdb_errbuf *);
int __wrap_sdb_store_batch_tile(struct sdb_store *, const struct sdb_store_tile *,
    struct sdb_errbuf *);
int
__wrap_sdb_store_batch_tile(struct sdb_store *s, const struct sdb_store_tile *t,
    struct sdb_errbuf *eb)
{
	int rc;

	if (fault_hit(S_TILE, W_BEFORE))
		return sdb_errf(eb, SDB_ERR_IO, "fault: before writing a tile");
	rc = __real_sdb_store_batch_tile(s, t, eb);
	if (rc == SDB_OK && fault_hit(S_TILE, W_AFTER))
		return sdb_errf(eb, SDB_ERR_IO, "fault: after writing a tile");
	return rc;
}

int __real_sdb_note_sign(char **, size_t *, const char *, size_t,
    const struct sdb_note_signer *const *, size_t, struct sdb_errbuf *);
int __wrap_sdb_note_sign(char **, size_t *, const char *, size_t,
    const struct sdb_note_signer *const *, size_t, struct sdb_errbuf *);
int
__wrap_sdb_note_sign(char **out, size_t *outlen, const char *text, size_t len,
    const struct sdb_note_signer *const *signers, size_t n, struct sdb_errbuf *eb)
{
	int rc;

	if (fault_hit(S_SIGN, W_BEFORE))
		return sdb_errf(eb, SDB_ERR_NOMEM, "fault: before signing");
	rc = __real_sdb_note_sign(out, outlen, text, len, signers, n, eb);
	if (rc == SDB_OK && fault_hit(S_SIGN, W_AFTER)) {
		free(*out);
		*out = NULL;
		return sdb_errf(eb, SDB_ERR_NOMEM, "fault: after signing");
	}
	return rc;
}

/* The tree insert and the COMMIT happen inside sdb_store_batch_commit:
 * they are caught at SQLite's door, by their SQL. */
int __real_sqlite3_step(sqlite3_stmt *);
int __wrap_sqlite3_step(sqlite3_stmt *);
int
__wrap_sqlite3_step(sqlite3_stmt *st)
{
	const char *sql = sqlite3_sql(st);
	enum step s;
	int rc;

	if (sql != NULL && strncmp(sql, "INSERT INTO trees", 17) == 0)
		s = S_TREE;
	else if (sql != NULL && strcmp(sql, "COMMIT") == 0)
		s = S_COMMIT;
	else
		return __real_sqlite3_step(st);
	if (fault_hit(s, W_BEFORE))
		return s == S_TREE ? SQLITE_FULL : SQLITE_IOERR_WRITE;
	rc = __real_sqlite3_step(st);
	if (rc == SQLITE_DONE && fault_hit(s, W_AFTER))
		return SQLITE_IOERR_FSYNC;
	return rc;
}

/* Publishing cannot fail (log.c prepares the published tree before the
 * commit), so its faults are: the commit call reporting an error after it
 * committed, and a crash between commit and publish. */
int __real_sdb_store_batch_commit(struct sdb_store *, const struct sdb_tree *,
    const uint8_t *, size_t, struct sdb_errbuf *);
int __wrap_sdb_store_batch_commit(struct sdb_store *, const struct sdb_tree *,
    const uint8_t *, size_t, struct sdb_errbuf *);
int
__wrap_sdb_store_batch_commit(struct sdb_store *s, const struct sdb_tree *tree,
    const uint8_t *note, size_t len, struct sdb_errbuf *eb)
{
	int rc = __real_sdb_store_batch_commit(s, tree, note, len, eb);

	if (rc == SDB_OK && fault_hit(S_PUBLISH, W_BEFORE))
		return sdb_errf(eb, SDB_ERR_IO, "fault: after the commit, before publishing");
	return rc;
}

/* ---- test databases ------------------------------------------------------ */

struct tdb {
	char path[600];
	char key[600];
	struct sdb_note_verifier *v;
};

static void
tdb_create(struct tdb *t, const char *name)
{
	struct sdb_note_signer *s = NULL;
	char *vkey = NULL, buf[256];
	FILE *f;

	{
		char file[256];

		snprintf(file, sizeof file, "%s.db", name);
		unit_tmp_path(t->path, sizeof t->path, file);
		snprintf(file, sizeof file, "%s.key", name);
		unit_tmp_path(t->key, sizeof t->key, file);
	}
	CU_ASSERT_FATAL(sdb_note_signer_generate(&s, "log.example/faults", NULL) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_format(s, buf, sizeof buf) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_verifier(s, &t->v) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_verifier_format(t->v, &vkey) == SDB_OK);
	f = fopen(t->key, "w");
	CU_ASSERT_FATAL(f != NULL);
	fprintf(f, "%s\n", buf);
	fclose(f);
	CU_ASSERT_FATAL(sdb_store_create(t->path, "log.example/faults", vkey, t->key, NULL) ==
	    SDB_OK);
	free(vkey);
	sdb_note_signer_free(s);
}

static void
tdb_remove(struct tdb *t)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-lock" };
	char p[700];
	size_t i;

	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		snprintf(p, sizeof p, "%s%s", t->path, sfx[i]);
		unlink(p);
	}
	unlink(t->key);
	sdb_note_verifier_free(t->v);
	t->v = NULL;
}

/* Opens the log; returns NULL (and says why) when it does not open. */
static struct sdbd_log *
tdb_open(const struct tdb *t)
{
	struct sdbd_log_options o;
	struct sdbd_log *log = NULL;
	struct sdb_errbuf eb = { { 0 } };
	int rc;

	memset(&o, 0, sizeof o);
	o.db_path = t->path;
	o.group_commit_ms = 1;
	rc = sdbd_log_open(&log, &o, &eb);
	if (rc != SDB_OK)
		fprintf(stderr, "open %s: %s\n", t->path, sdb_errmsg(&eb, rc));
	return log;
}

/* NREC records, example.com/fI v1.0.0 with hashes made from I. */
#define NREC 280
static char rec_path[NREC][40];
static char *rec_text[NREC];
static struct sdbd_record recs[NREC];

static void
recs_make(void)
{
	int64_t i;

	for (i = 0; i < NREC; i++) {
		sdb_hash h1, h2;
		size_t len;

		if (rec_text[i] != NULL)
			continue;
		snprintf(rec_path[i], sizeof rec_path[i], "example.com/f%lld", (long long)i);
		memset(&h1, 0x11, sizeof h1);
		memset(&h2, 0x22, sizeof h2);
		memcpy(h1.b, &i, sizeof i);
		memcpy(h2.b, &i, sizeof i);
		CU_ASSERT_FATAL(sdb_record_format(rec_path[i], strlen(rec_path[i]), "v1.0.0", 6,
		    &h1, &h2, &rec_text[i], &len, NULL) == SDB_OK);
		recs[i].path = rec_path[i];
		recs[i].path_len = strlen(rec_path[i]);
		recs[i].version = "v1.0.0";
		recs[i].version_len = 6;
		recs[i].text = rec_text[i];
		recs[i].text_len = len;
	}
}

/* Appends recs[from..to) in one call; 1 when it succeeded with ids
 * from..to-1, 0 when it failed, -1 when it succeeded with other ids. */
static int
append_range(struct sdbd_log *log, int from, int to)
{
	int64_t ids[NREC];
	struct sdb_errbuf eb = { { 0 } };
	int i, rc;

	rc = sdbd_log_append(log, recs + from, (size_t)(to - from), ids, &eb);
	if (rc != SDB_OK)
		return 0;
	for (i = from; i < to; i++)
		if (ids[i - from] != i) {
			fprintf(stderr, "record %d got id %lld\n", i, (long long)ids[i - from]);
			return -1;
		}
	return 1;
}

/* ---- the independent check of a whole store -------------------------- */

struct model {
	sdb_hash *stored;
	int64_t nstored, n;
	int64_t trees, tiles;
	const struct tdb *t;
	int bad;
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

static int
model_record(void *arg, const struct sdb_store_record *rec)
{
	struct model *m = arg;
	struct sdb_hash_reader r = { model_read, m };
	sdb_hash out[SDB_TLOG_MAX_STORED];
	size_t nout, i;

	if (rec->id != m->n || rec->id >= NREC || rec->text_len != recs[rec->id].text_len ||
	    memcmp(rec->text, recs[rec->id].text, rec->text_len) != 0) {
		fprintf(stderr, "record %lld is not the record appended with that id\n",
		    (long long)rec->id);
		m->bad = 1;
	}
	if (sdb_tlog_stored_hashes(m->n, rec->text, rec->text_len, &r, out, &nout) != SDB_OK)
		return SDB_ERR_INTERNAL;
	m->stored = realloc(m->stored, (size_t)(m->nstored + (int64_t)nout) * sizeof *m->stored);
	if (m->stored == NULL)
		return SDB_ERR_NOMEM;
	for (i = 0; i < nout; i++)
		m->stored[m->nstored++] = out[i];
	m->n++;
	return 0;
}

static int
model_tree(void *arg, const struct sdb_tree *tree, const uint8_t *note, size_t len)
{
	struct model *m = arg;
	struct sdb_hash_reader r = { model_read, m };
	struct sdb_tree nt;
	sdb_hash h;

	m->trees++;
	if (tree->n > m->n || sdb_tlog_tree_hash(tree->n, &r, &h) != SDB_OK ||
	    memcmp(h.b, tree->hash.b, SDB_HASH_SIZE) != 0 ||
	    sdb_tree_note_open(&nt, NULL, (const char *)note, len, m->t->v, NULL) != SDB_OK ||
	    nt.n != tree->n || memcmp(nt.hash.b, h.b, SDB_HASH_SIZE) != 0) {
		fprintf(stderr, "signed tree %lld does not match the records\n", (long long)tree->n);
		m->bad = 1;
	}
	return 0;
}

static int
model_tile(void *arg, const struct sdb_store_tile *t)
{
	struct model *m = arg;
	struct sdb_hash_reader r = { model_read, m };
	int64_t c = m->n >> (8 * t->level);
	struct sdb_tile tile = { 8, t->level, t->n, 0 };
	uint8_t want[SDB_STORE_TILE_MAX_BYTES];

	m->tiles++;
	tile.w = c - t->n * 256 > 256 ? 256 : (int)(c - t->n * 256);
	if (tile.w <= 0 || t->len != (size_t)tile.w * SDB_HASH_SIZE ||
	    sdb_tile_read_data(&tile, &r, want, sizeof want) != SDB_OK ||
	    memcmp(want, t->hashes, t->len) != 0) {
		fprintf(stderr, "tile %d/%lld does not match the records\n", t->level,
		    (long long)t->n);
		m->bad = 1;
	}
	return 0;
}

/* Checks the whole store: records 0..n-1 are recs[], every signed tree and
 * tile agrees with them, the newest tree covers them all and every level's
 * tiles are there.  Returns the record count, or -1. */
static int64_t
check_store(const struct tdb *t)
{
	struct model m;
	struct sdb_store *s = NULL;
	struct sdb_tree latest;
	int64_t want_tiles = 0, n;
	int L;

	memset(&m, 0, sizeof m);
	m.t = t;
	CU_ASSERT_FATAL(sdb_store_open(&s, t->path, SDB_STORE_READ, NULL) == SDB_OK);
	CU_ASSERT(sdb_store_foreach_record(s, model_record, &m, NULL) == SDB_OK);
	CU_ASSERT(sdb_store_foreach_tree(s, model_tree, &m, NULL) == SDB_OK);
	CU_ASSERT(sdb_store_foreach_tile(s, model_tile, &m, NULL) == SDB_OK);
	CU_ASSERT(sdb_store_latest(s, &latest, NULL, NULL, NULL) == SDB_OK);
	sdb_store_close(s);
	for (L = 0; L <= SDB_STORE_MAX_TILE_LEVEL; L++)
		want_tiles += ((m.n >> (8 * L)) + 255) / 256;
	CU_ASSERT(latest.n == m.n);
	CU_ASSERT(m.tiles == want_tiles);
	CU_ASSERT(m.trees >= 1);
	CU_ASSERT(!m.bad);
	free(m.stored);
	n = m.bad || latest.n != m.n || m.tiles != want_tiles ? -1 : m.n;
	return n;
}

/* ---- the scenarios ------------------------------------------------------- */

/* A: records 0..249 acknowledged before the fault.  B: 250..259, the
 * batch the fault hits (it fills level-0 tile 0 and starts tile 1).  C:
 * 260..279, appended after it. */
#define A_END 250
#define B_END 260

static int
persists(enum step s, enum when w)
{
	return w == W_AFTER ? s == S_COMMIT || s == S_PUBLISH : s == S_PUBLISH;
}

/* Reopens the log after the fault and checks it: B is there as a whole or
 * not at all, as expected; B (again) and C get the next ids. */
static void
check_after(struct tdb *t, int b_in, const char *what)
{
	struct sdbd_log *log;
	int64_t n;

	n = check_store(t);
	if (n != (b_in ? B_END : A_END))
		fprintf(stderr, "%s: the store holds %lld records, want %d\n", what, (long long)n,
		    b_in ? B_END : A_END);
	CU_ASSERT(n == (b_in ? B_END : A_END));
	log = tdb_open(t);
	CU_ASSERT_FATAL(log != NULL);
	/* B again: the same ids whether it landed or not. */
	CU_ASSERT(append_range(log, A_END, B_END) == 1);
	CU_ASSERT(append_range(log, B_END, NREC) == 1);
	sdbd_log_close(log);
	CU_ASSERT(check_store(t) == NREC);
}

static void
run_error(enum step s, enum when w)
{
	struct tdb t;
	struct sdbd_log *log;
	char what[96];
	int got;

	snprintf(what, sizeof what, "error %s %s", w == W_BEFORE ? "before" : "after",
	    step_name[s]);
	tdb_create(&t, "e");
	log = tdb_open(&t);
	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT_FATAL(append_range(log, 0, A_END) == 1);
	fault_arm(s, w, A_ERROR);
	got = append_range(log, A_END, B_END);
	fault.armed = 0;
	if (!fault.fired || got != persists(s, w))
		fprintf(stderr, "%s: fired %d, append %d\n", what, fault.fired, got);
	CU_ASSERT(fault.fired);
	/* Acknowledged exactly when it is durable. */
	CU_ASSERT(got == persists(s, w));
	/* A failed commit is the log's own failure (the server's 503). */
	CU_ASSERT(sdbd_log_failing(log) == !got);
	/* The same process goes on from what is durable. */
	if (!got)
		CU_ASSERT(append_range(log, A_END, B_END) == 1);
	CU_ASSERT(sdbd_log_failing(log) == 0);
	sdbd_log_close(log);
	check_after(&t, 1, what);
	tdb_remove(&t);
}

static void
run_crash(enum step s, enum when w)
{
	struct tdb t;
	char what[96];
	pid_t pid;
	int st = 0;

	snprintf(what, sizeof what, "crash %s %s", w == W_BEFORE ? "before" : "after",
	    step_name[s]);
	tdb_create(&t, "c");
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct sdbd_log *log = tdb_open(&t);

		if (log == NULL || append_range(log, 0, A_END) != 1)
			_exit(3);
		/* After publishing: the crash comes once the caller has its ids. */
		if (s != S_PUBLISH || w != W_AFTER)
			fault_arm(s, w, A_CRASH);
		append_range(log, A_END, B_END);
		if (s == S_PUBLISH && w == W_AFTER)
			kill(getpid(), SIGKILL);
		_exit(4);   /* the fault did not fire */
	}
	CU_ASSERT_FATAL(waitpid(pid, &st, 0) == pid);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		fprintf(stderr, "%s: child status %d\n", what, st);
	CU_ASSERT_FATAL(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	check_after(&t, persists(s, w) || (s == S_PUBLISH && w == W_AFTER), what);
	tdb_remove(&t);
}

static void
test_step_errors(void)
{
	int s;

	recs_make();
	for (s = 0; s < S_NUM; s++) {
		run_error((enum step)s, W_BEFORE);
		/* Nothing runs after publishing that could return an error. */
		if (s != S_PUBLISH)
			run_error((enum step)s, W_AFTER);
	}
}

static void
test_step_crashes(void)
{
	int s;

	recs_make();
	for (s = 0; s < S_NUM; s++) {
		run_crash((enum step)s, W_BEFORE);
		run_crash((enum step)s, W_AFTER);
	}
}

/* The wrappers must really be in the path: a fault armed for the COMMIT
 * that does not fire would make every scenario above pass vacuously. */
static void
test_wrappers_active(void)
{
	struct tdb t;
	struct sdbd_log *log;
	int s;

	recs_make();
	tdb_create(&t, "w");
	log = tdb_open(&t);
	CU_ASSERT_FATAL(log != NULL);
	for (s = 0; s < S_NUM; s++) {
		fault_arm((enum step)s, W_BEFORE, A_ERROR);
		fault.skip = 1000000;
		CU_ASSERT(append_range(log, s * 10, s * 10 + 10) == 1);
		/* the skip count went down: the step was reached */
		CU_ASSERT(fault.skip < 1000000);
		fault.armed = 0;
	}
	sdbd_log_close(log);
	CU_ASSERT(check_store(&t) == S_NUM * 10);
	tdb_remove(&t);
}

static void
free_recs(void)
{
	int i;

	for (i = 0; i < NREC; i++) {
		free(rec_text[i]);
		rec_text[i] = NULL;
	}
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "wrappers_active", test_wrappers_active },
		{ "step_errors", test_step_errors },
		{ "step_crashes", test_step_crashes },
		{ NULL, NULL },
	};

	atexit(free_recs);
	unit_suite("log_faults", tests);
}
