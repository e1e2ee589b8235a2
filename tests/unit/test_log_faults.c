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
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "checkpoint.h"
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

/*
 * A read error in the sequencer's lookup of a (path, version): SQLite
 * answers an I/O error or out of memory in any statement by ending the
 * open transaction itself, so the fault does that too (a real ROLLBACK)
 * before it returns the error.  Fires at the lookup after lookup_skip
 * others; -1: off.
 */
static int lookup_skip = -1, lookup_fired;
/* 1: the next ROLLBACK fails without running (then 0). */
static int rollback_fails;

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

	if (lookup_skip >= 0 && sql != NULL &&
	    strncmp(sql, "SELECT id, text FROM records WHERE path", 39) == 0 &&
	    lookup_skip-- == 0) {
		lookup_fired = 1;
		CU_ASSERT(sqlite3_exec(sqlite3_db_handle(st), "ROLLBACK", NULL, NULL, NULL) ==
		    SQLITE_OK);
		return SQLITE_IOERR_READ;
	}
	if (rollback_fails && sql != NULL && strcmp(sql, "ROLLBACK") == 0) {
		rollback_fails = 0;
		return SQLITE_IOERR;
	}
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
	snprintf(p, sizeof p, "%s%s", t->key, SDBD_CHECKPOINT_SUFFIX);
	unlink(p);
	sdb_note_verifier_free(t->v);
	t->v = NULL;
}

/* Opens logs as sumdbd serve --new-checkpoint does, when set. */
static int tdb_new_checkpoint;

/* Opens the log, taking calls for group_ms into one batch; returns NULL
 * (*rc and *eb say why) when it does not open. */
static struct sdbd_log *
tdb_open_with(const struct tdb *t, int group_ms, int *rc, struct sdb_errbuf *eb)
{
	struct sdbd_log_options o;
	struct sdbd_log *log = NULL;

	memset(&o, 0, sizeof o);
	o.db_path = t->path;
	o.group_commit_ms = group_ms;
	o.new_checkpoint = tdb_new_checkpoint;
	*rc = sdbd_log_open(&log, &o, eb);
	return log;
}

/* Opens the log; returns NULL (and says why) when it does not open. */
static struct sdbd_log *
tdb_open(const struct tdb *t)
{
	struct sdb_errbuf eb = { { 0 } };
	int rc;
	struct sdbd_log *log = tdb_open_with(t, 1, &rc, &eb);

	if (log == NULL)
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

/* ---- a lookup that ends the batch's transaction ------------------------ */

struct append_job {
	struct sdbd_log *log;
	int from, to, got;
};

static void *
append_job_run(void *arg)
{
	struct append_job *j = arg;

	j->got = append_range(j->log, j->from, j->to);
	return NULL;
}

/*
 * Appends B (A_END..B_END) and C (B_END..NREC) from two threads at once,
 * so that one batch takes both (the log is opened to wait for callers),
 * with the lookup of the 13th record the batch resolves failing: inside
 * C's lookups whichever call comes first.  *got_b, *got_c: append_range's
 * results.
 */
static void
append_two_with_lookup_fault(struct sdbd_log *log, int *got_b, int *got_c)
{
	struct append_job j[2] = { { log, A_END, B_END, -2 }, { log, B_END, NREC, -2 } };
	pthread_t tid[2];
	int i;

	lookup_fired = 0;
	lookup_skip = 12;
	for (i = 0; i < 2; i++)
		CU_ASSERT_FATAL(pthread_create(&tid[i], NULL, append_job_run, &j[i]) == 0);
	for (i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	lookup_skip = -1;
	*got_b = j[0].got;
	*got_c = j[1].got;
}

/* Long enough for both threads to queue their calls before the batch. */
#define GROUP_MS 300

/*
 * The batch whose lookup failed fails as a whole: had it gone on, SQLite
 * having ended its transaction, each later insert would have been written
 * on its own, and a crash among them would leave records that no signed
 * tree covers.
 */
static void
test_lookup_error(void)
{
	struct tdb t;
	struct sdbd_log *log;
	struct sdb_errbuf eb = { { 0 } };
	int got_b, got_c, rc;

	recs_make();
	tdb_create(&t, "l");
	log = tdb_open_with(&t, GROUP_MS, &rc, &eb);
	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT_FATAL(append_range(log, 0, A_END) == 1);
	append_two_with_lookup_fault(log, &got_b, &got_c);
	CU_ASSERT(lookup_fired);
	/* Both calls were in the batch, so both fail, and nothing of it is
	 * in the store. */
	CU_ASSERT(got_b == 0);
	CU_ASSERT(got_c == 0);
	CU_ASSERT(sdbd_log_failing(log));
	CU_ASSERT(check_store(&t) == A_END);
	/* The same process goes on. */
	CU_ASSERT(append_range(log, A_END, B_END) == 1);
	CU_ASSERT(append_range(log, B_END, NREC) == 1);
	CU_ASSERT(sdbd_log_failing(log) == 0);
	sdbd_log_close(log);
	CU_ASSERT(check_store(&t) == NREC);
	tdb_remove(&t);
}

/* The same with a crash armed at the tree insert: the failed batch must
 * never get there, and whatever happened the store is whole after it. */
static void
test_lookup_error_crash(void)
{
	struct tdb t;
	pid_t pid;
	int st = 0;

	recs_make();
	tdb_create(&t, "k");
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct sdb_errbuf eb = { { 0 } };
		int got_b = -2, got_c = -2, rc;
		struct sdbd_log *log = tdb_open_with(&t, GROUP_MS, &rc, &eb);

		if (log == NULL || append_range(log, 0, A_END) != 1)
			_exit(3);
		fault_arm(S_TREE, W_BEFORE, A_CRASH);
		append_two_with_lookup_fault(log, &got_b, &got_c);
		_exit(lookup_fired && got_b == 0 && got_c == 0 ? 0 : 4);
	}
	CU_ASSERT_FATAL(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "lookup error, crash at the tree insert: child status %d\n", st);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	check_after(&t, 0, "lookup error, crash at the tree insert");
	tdb_remove(&t);
}

/* A new database name with records 0..A_END-1 acknowledged; its log. */
static struct sdbd_log *
tdb_with_a(struct tdb *t, const char *name)
{
	struct sdbd_log *log;

	recs_make();
	tdb_create(t, name);
	log = tdb_open(t);
	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT_FATAL(append_range(log, 0, A_END) == 1);
	return log;
}

/*
 * COMMIT fails without having run and so does the ROLLBACK after it: the
 * writer's connection is still inside the batch's transaction, where the
 * batch's tree reads as stored.  It must not be published nor the call
 * acknowledged (the transaction rolls back when the connection closes),
 * and nothing more may be signed on that connection.
 */
static void
test_commit_and_rollback_fail(void)
{
	struct tdb t;
	struct sdbd_log *log;
	const struct sdbd_latest *l;

	log = tdb_with_a(&t, "r");
	fault_arm(S_COMMIT, W_BEFORE, A_ERROR);
	rollback_fails = 1;
	CU_ASSERT(append_range(log, A_END, B_END) == 0);
	CU_ASSERT(fault.fired);
	CU_ASSERT(rollback_fails == 0);
	fault.armed = 0;
	l = sdbd_log_latest(log);
	CU_ASSERT(l->tree.n == A_END);
	sdbd_latest_put(l);
	CU_ASSERT(append_range(log, A_END, B_END) == 0);
	CU_ASSERT(sdbd_log_failing(log));
	sdbd_log_close(log);
	check_after(&t, 0, "COMMIT and ROLLBACK failed");
	tdb_remove(&t);
}

static void expect_refused(const struct tdb *t, const char *detail);

/* Runs one SQL statement on the database behind t's log. */
static void
tdb_sql(const struct tdb *t, const char *sql)
{
	sqlite3 *db = NULL;

	CU_ASSERT_FATAL(sqlite3_open(t->path, &db) == SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/*
 * The database loses its latest tree under a running log (a backup put
 * back, a hand edit).  After the next failed commit the log looks at the
 * store again: it must not take the older tree as its own, which would
 * publish a smaller tree and then sign a second tree of a size clients
 * already hold, but stop signing.
 */
static void
test_store_rolled_back_under_log(void)
{
	struct tdb t;
	struct sdbd_log *log;
	const struct sdbd_latest *l;

	log = tdb_with_a(&t, "u");
	tdb_sql(&t, "DELETE FROM trees WHERE size = 250");
	fault_arm(S_COMMIT, W_BEFORE, A_ERROR);
	CU_ASSERT(append_range(log, A_END, B_END) == 0);
	CU_ASSERT(fault.fired);
	fault.armed = 0;
	CU_ASSERT(append_range(log, A_END, B_END) == 0);
	l = sdbd_log_latest(log);
	CU_ASSERT(l->tree.n == A_END);
	sdbd_latest_put(l);
	CU_ASSERT(sdbd_log_failing(log));
	sdbd_log_close(log);
	/* and it does not start on it either: the key's checkpoint holds
	 * the tree of 250; without the checkpoint it is refused as such,
	 * and told to start one, the records past the stored tree still
	 * stop it */
	expect_refused(&t, "its key has signed one of size 250");
	{
		struct sdb_errbuf eb = { { 0 } };
		struct sdbd_log *again;
		char p[700];
		int rc;

		snprintf(p, sizeof p, "%s%s", t.key, SDBD_CHECKPOINT_SUFFIX);
		CU_ASSERT(unlink(p) == 0);
		again = tdb_open_with(&t, 1, &rc, &eb);
		CU_ASSERT(again == NULL && rc == SDB_ERR_INVALID &&
		    strstr(sdb_errmsg(&eb, rc), "--new-checkpoint") != NULL);
		sdbd_log_close(again);
	}
	tdb_new_checkpoint = 1;
	expect_refused(&t, "250 records stored, the latest signed tree has 0");
	tdb_new_checkpoint = 0;
	tdb_remove(&t);
}

/* Makes tile 0/0 one (zero) hash wider than it is. */
static void
tdb_widen_tile(const struct tdb *t)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	uint8_t buf[SDB_STORE_TILE_MAX_BYTES];
	int len = 0;

	CU_ASSERT_FATAL(sqlite3_open(t->path, &db) == SQLITE_OK);
	CU_ASSERT_FATAL(sqlite3_prepare_v2(db, "SELECT hashes FROM tiles WHERE level = 0 AND n = 0",
	    -1, &st, NULL) == SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW) {
		len = sqlite3_column_bytes(st, 0);
		CU_ASSERT_FATAL(len > 0 && len + SDB_HASH_SIZE <= (int)sizeof buf);
		memcpy(buf, sqlite3_column_blob(st, 0), (size_t)len);
	}
	sqlite3_finalize(st);
	CU_ASSERT_FATAL(len > 0);
	memset(buf + len, 0, SDB_HASH_SIZE);
	CU_ASSERT_FATAL(sqlite3_prepare_v2(db, "UPDATE tiles SET hashes = ?1 WHERE level = 0 AND n = 0",
	    -1, &st, NULL) == SQLITE_OK);
	sqlite3_bind_blob(st, 1, buf, len + SDB_HASH_SIZE, SQLITE_STATIC);
	CU_ASSERT(sqlite3_step(st) == SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* sdb_store_drop_unsigned on t's (closed) log: it must drop want records
 * and leave exactly the latest tree of A_END records. */
static void
tdb_drop(const struct tdb *t, int64_t want)
{
	struct sdb_store *s = NULL;
	struct sdb_errbuf eb = { { 0 } };
	int64_t dropped = -1, n = -1;
	int rc;

	CU_ASSERT_FATAL(sdb_store_open(&s, t->path, SDB_STORE_WRITE, &eb) == SDB_OK);
	rc = sdb_store_drop_unsigned(s, &dropped, &n, &eb);
	if (rc != SDB_OK)
		fprintf(stderr, "drop: %s\n", sdb_errmsg(&eb, rc));
	CU_ASSERT(rc == SDB_OK);
	CU_ASSERT(dropped == want);
	CU_ASSERT(n == A_END);
	CU_ASSERT(sdb_store_check_extent(s, A_END, &eb) == SDB_OK);
	sdb_store_close(s);
}

/* Expects the log not to open, with detail in its message. */
static void
expect_refused(const struct tdb *t, const char *detail)
{
	struct sdb_errbuf eb = { { 0 } };
	int rc;
	struct sdbd_log *log = tdb_open_with(t, 1, &rc, &eb);

	CU_ASSERT(log == NULL);
	sdbd_log_close(log);
	if (log == NULL && strstr(sdb_errmsg(&eb, rc), detail) == NULL)
		fprintf(stderr, "refusal without \"%s\": %s\n", detail, sdb_errmsg(&eb, rc));
	CU_ASSERT(log == NULL && strstr(sdb_errmsg(&eb, rc), detail) != NULL);
	CU_ASSERT(log == NULL && strstr(sdb_errmsg(&eb, rc), "refusing to sign") != NULL);
}

/* Rows past the latest signed tree (never signed: written outside a
 * batch, or by a batch that lost its transaction before the fix above)
 * stop the log at open instead of failing every append after it. */
static void
test_rows_past_tree_refused(void)
{
	struct tdb t;
	struct sdbd_log *log;
	char sql[512];

	recs_make();
	tdb_create(&t, "p");
	log = tdb_open(&t);
	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT_FATAL(append_range(log, 0, A_END) == 1);
	sdbd_log_close(log);

	snprintf(sql, sizeof sql, "INSERT INTO records(id, path, version, text) VALUES "
	    "(%d, '%s', 'v1.0.0', CAST('%s' AS BLOB))", A_END, rec_path[A_END], rec_text[A_END]);
	tdb_sql(&t, sql);
	expect_refused(&t, "251 records stored, the latest signed tree has 250");
	tdb_drop(&t, 1);

	/* 250 records: level 1 holds no hash yet */
	tdb_sql(&t, "INSERT INTO tiles(level, n, hashes) VALUES (1, 0, zeroblob(32))");
	expect_refused(&t, "tile 1/0 lies beyond the tree of size 250");
	tdb_drop(&t, 0);

	/* the last level-0 tile wider than the tree, and a record too */
	tdb_widen_tile(&t);
	expect_refused(&t, "tile 0/0 has 251 hashes, should have 250");
	tdb_sql(&t, sql);
	tdb_drop(&t, 1);

	/* as it was: it opens and goes on */
	log = tdb_open(&t);
	CU_ASSERT_FATAL(log != NULL);
	CU_ASSERT(append_range(log, A_END, NREC) == 1);
	sdbd_log_close(log);
	CU_ASSERT(check_store(&t) == NREC);
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
		{ "lookup_error", test_lookup_error },
		{ "lookup_error_crash", test_lookup_error_crash },
		{ "rows_past_tree_refused", test_rows_past_tree_refused },
		{ "commit_and_rollback_fail", test_commit_and_rollback_fail },
		{ "store_rolled_back_under_log", test_store_rolled_back_under_log },
		{ NULL, NULL },
	};

	atexit(free_recs);
	unit_suite("log_faults", tests);
}
