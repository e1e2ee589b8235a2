/*
 * Unit tests for src/lib/state_sqlite.c (include/csumdb/state.h), the
 * verifier's memory of what it accepted: every operation and its round
 * trip through a closed and reopened file, the first run (no file until
 * there is something to store), files that are not a state (text, another
 * program's database, empty, cut short, damaged), a file that may only be
 * read, two processes on one state at once, processes killed part way
 * through a write (the state is the old or the new, never a mix), and the
 * descriptors a state leaves open.  States live in this program's
 * temporary directory (unit_tmp_dir), removed at exit.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "csumdb/note.h"
#include "csumdb/state.h"
#include "csumdb/treenote.h"
#include "unit.h"

/* --- keys, trees and notes ------------------------------------------- */

static struct sdb_note_signer *signer, *other_signer;
static struct sdb_note_verifier *verifier, *other_verifier;
static char *vkey, *other_vkey;

static void
keys(void)
{
	if (signer != NULL)
		return;
	CU_ASSERT_FATAL(sdb_note_signer_generate(&signer, "example.com/log", NULL) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_verifier(signer, &verifier) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_generate(&other_signer, "example.com/log", NULL) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_verifier(other_signer, &other_verifier) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_verifier_format(verifier, &vkey) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_verifier_format(other_verifier, &other_vkey) == SDB_OK);
}

/* The tree of n records of a made-up log; salt names another log (a
 * fork).  The state does no hashing: any 32 bytes are a root. */
static struct sdb_tree
tree(int64_t n, unsigned salt)
{
	uint64_t x = (uint64_t)n * 0x9E3779B97F4A7C15u ^ (uint64_t)salt << 40;
	struct sdb_tree t;
	int i;

	t.n = n;
	for (i = 0; i < SDB_HASH_SIZE; i++) {
		x ^= x >> 29;
		x *= 0xBF58476D1CE4E5B9u;
		x ^= x >> 32;
		t.hash.b[i] = (uint8_t)x;
	}
	return t;
}

/* A signed note of t by s (malloc'ed, length *len). */
static char *
sign_tree(const struct sdb_tree *t, const struct sdb_note_signer *s, size_t *len)
{
	char text[SDB_TREE_NOTE_MAX];
	size_t tl = 0;
	char *out = NULL;

	if (sdb_tree_note_format(text, &tl, t) != SDB_OK ||
	    sdb_note_sign(&out, len, text, tl, &s, 1, NULL) != SDB_OK)
		return NULL;
	return out;
}

/* sdb_state_accept of the tree of n records (salt) signed by our key;
 * usable in a child, where no CUnit assertion may run. */
static int
accept_n(struct sdb_state *st, int64_t n, unsigned salt, struct sdb_errbuf *eb)
{
	struct sdb_tree t = tree(n, salt);
	size_t len = 0;
	char *note = sign_tree(&t, signer, &len);
	int err;

	if (note == NULL)
		return SDB_ERR_NOMEM;
	err = sdb_state_accept(st, &t, note, len, eb);
	free(note);
	return err;
}

/* The size of the accepted tree (checked with our key); -1 for none; an
 * error err as err - 1000. */
static int64_t
accepted_n(struct sdb_state *st, struct sdb_errbuf *eb)
{
	struct sdb_tree t;
	int err = sdb_state_accepted(st, verifier, &t, NULL, NULL, eb);

	if (err == SDB_ERR_NOT_FOUND)
		return -1;
	return err == SDB_OK ? t.n : err - 1000;
}

/* --- files ------------------------------------------------------------ */

/* A fresh state file name in the temporary directory (no file there). */
static void
fresh_path(char *out, size_t n)
{
	static int k;
	char name[32];

	snprintf(name, sizeof name, "s%d.state", k++);
	unit_tmp_path(out, n, name);
}

/* Removes the state at path and every file beside it that it may have
 * (SQLite's, the temporary names it is made under). */
static void
remove_state(const char *path)
{
	static const char *const side[] = { "", "-wal", "-shm", "-journal", "-lock" };
	char p[600];
	glob_t g;
	size_t i, j;

	for (i = 0; i < sizeof side / sizeof side[0]; i++) {
		snprintf(p, sizeof p, "%s%s", path, side[i]);
		unlink(p);
	}
	snprintf(p, sizeof p, "%s.new-*", path);
	if (glob(p, 0, NULL, &g) == 0) {
		for (j = 0; j < g.gl_pathc; j++)
			unlink(g.gl_pathv[j]);
		globfree(&g);
	}
}

/* How many PATH.new-* names (made by state_make) are beside path. */
static size_t
count_tmp(const char *path)
{
	char p[600];
	glob_t g;
	size_t n = 0;

	snprintf(p, sizeof p, "%s.new-*", path);
	if (glob(p, 0, NULL, &g) == 0) {
		n = g.gl_pathc;
		globfree(&g);
	}
	return n;
}

/* The whole file at path (malloc'ed, *len bytes), or NULL. */
static uint8_t *
slurp(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t k;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &sb) != 0 || (buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	k = read(fd, buf, (size_t)sb.st_size);
	close(fd);
	if (k != sb.st_size) {
		free(buf);
		return NULL;
	}
	*len = (size_t)k;
	return buf;
}

/* Runs sql on the database at path with SQLite itself (as an operator's
 * sqlite3 shell, or damage, would). */
static void
raw_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	char *msg = NULL;

	CU_ASSERT_FATAL(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    NULL) == SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fprintf(stderr, "raw_sql: %s: %s\n", sql, msg != NULL ? msg : "?");
	CU_ASSERT(msg == NULL);
	sqlite3_free(msg);
	CU_ASSERT(sqlite3_close(db) == SQLITE_OK);
}

/* A state at path holding the tree of n records, evidence, cached tiles
 * and full-audit progress, closed (so the file holds it all, no WAL). */
static void
make_state(const char *path, int64_t n)
{
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	struct sdb_tlog_frontier f;
	struct sdb_state_dups dups = { 256, 32 };
	struct sdb_state_findings found = { 1, 2, 3 };
	struct sdb_tile tiles[16];
	const uint8_t *data[16];
	static uint8_t blob[256 * 32];
	int i;

	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_FATAL(accept_n(st, n, 0, &eb) == SDB_OK);
	CU_ASSERT_FATAL(sdb_state_add_evidence(st, "proof of misbehavior", 20, &eb) == SDB_OK);
	memset(blob, 0x5a, sizeof blob);
	for (i = 0; i < 16; i++) {
		tiles[i].h = 8;
		tiles[i].l = 0;
		tiles[i].n = i;
		tiles[i].w = 256;
		data[i] = blob;
	}
	CU_ASSERT_FATAL(sdb_state_tiles_put(st, tiles, 16, data, NULL, &eb) == SDB_OK);
	sdb_tlog_frontier_init(&f);
	f.n = 256;
	CU_ASSERT_FATAL(sdb_state_full_put(st, &f, &dups, &found, &eb) == SDB_OK);
	sdb_state_close(st);
}

/* --- children --------------------------------------------------------- */

/* Forks; the child runs fn(arg) and exits with what it returns (no CUnit
 * assertion runs in a child).  Returns the child's pid. */
static pid_t
spawn(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

/* Waits for the child pid; its exit status, or 100 + the signal. */
static int
reap(pid_t pid)
{
	int st = 0;

	CU_ASSERT_FATAL(waitpid(pid, &st, 0) == pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* Sleeps ms milliseconds. */
static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* --- the first run ---------------------------------------------------- */

/* sdb_state_evidence_each's callback: the texts, '|' after each. */
struct ev_seen {
	int n, stop_after;
	int64_t first_time;
	char texts[256];
};

static int
ev_collect(void *arg, int64_t time, const char *text, size_t len)
{
	struct ev_seen *e = arg;
	size_t have = strlen(e->texts);

	if (e->n == 0)
		e->first_time = time;
	if (have + len + 2 <= sizeof e->texts) {
		memcpy(e->texts + have, text, len);
		e->texts[have + len] = '|';
		e->texts[have + len + 1] = '\0';
	}
	e->n++;
	return e->stop_after > 0 && e->n >= e->stop_after;
}

/*
 * A state opened where there is no file makes none until it has
 * something to store (a run that checked nothing must not leave a file
 * holding its key), reads as empty, and each write makes it, with every
 * check an open makes: an empty file or another key's state made in the
 * meantime is refused, and a missing directory is named at open.
 */
static void
test_first_run(void)
{
	char path[512], nodir[600];
	struct sdb_state *st = NULL, *other = NULL;
	struct sdb_tile tile = { 8, 0, 3, 4 };
	struct sdb_tlog_frontier f;
	struct sdb_state_dups dups;
	struct sdb_state_findings found;
	struct sdb_errbuf eb;
	struct ev_seen seen = { 0, 0, 0, "" };
	struct stat sb;
	uint8_t buf[4 * 32];
	int64_t cnt = -1;
	FILE *fp;

	keys();
	fresh_path(path, sizeof path);
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), -1);
	CU_ASSERT_EQUAL(sdb_state_evidence_count(st, &cnt, &eb), SDB_OK);
	CU_ASSERT_EQUAL(cnt, 0);
	CU_ASSERT_EQUAL(sdb_state_evidence_each(st, ev_collect, &seen, &eb), SDB_OK);
	CU_ASSERT_EQUAL(seen.n, 0);
	CU_ASSERT_EQUAL(sdb_state_tile_get(st, &tile, buf, sizeof buf), SDB_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(sdb_state_full_get(st, &f, &dups, &found, &eb), SDB_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(sdb_state_tiles_put(st, &tile, 0, NULL, NULL, &eb), SDB_OK);
	sdb_state_close(st);
	st = NULL;
	CU_ASSERT(stat(path, &sb) != 0 && errno == ENOENT);

	/* each kind of write makes the file, durably */
	{
		int kind;

		for (kind = 0; kind < 4; kind++) {
			const uint8_t *dp[1] = { buf };
			int err;

			memset(buf, kind, sizeof buf);
			sdb_tlog_frontier_init(&f);
			memset(&dups, 0, sizeof dups);
			memset(&found, 0, sizeof found);
			CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
			CU_ASSERT(stat(path, &sb) != 0);
			err = kind == 0 ? accept_n(st, 300, 0, &eb) :
			    kind == 1 ? sdb_state_add_evidence(st, "proof", 5, &eb) :
			    kind == 2 ? sdb_state_tiles_put(st, &tile, 1, dp, NULL, &eb) :
			    sdb_state_full_put(st, &f, &dups, &found, &eb);
			CU_ASSERT_EQUAL(err, SDB_OK);
			CU_ASSERT(stat(path, &sb) == 0 && sb.st_size > 0);
			sdb_state_close(st);
			st = NULL;
			CU_ASSERT_EQUAL(sdb_state_open(&st, path, other_vkey, &eb), SDB_ERR_INVALID);
			CU_ASSERT_PTR_NULL(st);
			CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
			CU_ASSERT_EQUAL(accepted_n(st, &eb), kind == 0 ? 300 : -1);
			CU_ASSERT_EQUAL(sdb_state_evidence_count(st, &cnt, &eb), SDB_OK);
			CU_ASSERT_EQUAL(cnt, kind == 1);
			CU_ASSERT_EQUAL(sdb_state_tile_get(st, &tile, buf, sizeof buf),
			    kind == 2 ? SDB_OK : SDB_ERR_NOT_FOUND);
			CU_ASSERT_EQUAL(sdb_state_full_get(st, &f, &dups, &found, &eb),
			    kind == 3 ? SDB_OK : SDB_ERR_NOT_FOUND);
			sdb_state_close(st);
			st = NULL;
			remove_state(path);
		}
	}

	/* Twin: another key's state made meanwhile is refused at the write */
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_FATAL(sdb_state_open(&other, path, other_vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_add_evidence(other, "theirs", 6, &eb), SDB_OK);
	sdb_state_close(other);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), -1);
	CU_ASSERT_EQUAL(accept_n(st, 300, 0, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "another log") != NULL);
	sdb_state_close(st);
	st = NULL;
	remove_state(path);

	/* Twin: an empty file made meanwhile (a copy cut short) is refused */
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_FATAL((fp = fopen(path, "w")) != NULL);
	fclose(fp);
	CU_ASSERT_EQUAL(sdb_state_add_evidence(st, "proof", 5, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "empty") != NULL);
	CU_ASSERT(stat(path, &sb) == 0 && sb.st_size == 0);
	sdb_state_close(st);
	st = NULL;
	remove_state(path);

	/* Twin: a directory that is not there is named at open */
	snprintf(nodir, sizeof nodir, "%s.d/no/dir.state", path);
	CU_ASSERT_EQUAL(sdb_state_open(&st, nodir, vkey, &eb), SDB_ERR_IO);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT(strstr(eb.msg, "directory") != NULL && strstr(eb.msg, nodir) != NULL);

	/* no name, or SQLite's memory, is not a file */
	CU_ASSERT_EQUAL(sdb_state_open(&st, "", vkey, &eb), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_state_open(&st, ":memory:", vkey, &eb), SDB_ERR_INVALID);
	CU_ASSERT_PTR_NULL(st);
}

/* --- round trips ------------------------------------------------------ */

/* The accepted tree and its note, through a close and a reopen; loading
 * re-verifies the note (twins: another key, a note altered in the file,
 * a note of another tree written in by hand). */
static void
test_accepted(void)
{
	char path[512];
	struct sdb_state *st = NULL;
	struct sdb_tree t = tree(500, 0), got;
	struct sdb_errbuf eb;
	char *note, *gnote = NULL;
	size_t len = 0, glen = 0;

	keys();
	fresh_path(path, sizeof path);
	note = sign_tree(&t, signer, &len);
	CU_ASSERT_FATAL(note != NULL);
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accepted(st, verifier, &got, &gnote, &glen, &eb), SDB_ERR_NOT_FOUND);
	CU_ASSERT_PTR_NULL(gnote);
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t, note, len, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accepted(st, verifier, &got, &gnote, &glen, &eb), SDB_OK);
	CU_ASSERT(got.n == 500 && memcmp(got.hash.b, t.hash.b, SDB_HASH_SIZE) == 0);
	CU_ASSERT(glen == len && gnote != NULL && memcmp(gnote, note, len) == 0 &&
	    gnote[glen] == '\0');
	free(gnote);
	gnote = NULL;
	/* the same tree again is no change; a larger one replaces it */
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t, note, len, &eb), SDB_OK);
	CU_ASSERT_EQUAL(accept_n(st, 700, 0, &eb), SDB_OK);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), 700);
	sdb_state_close(st);
	st = NULL;

	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accepted(st, verifier, &got, &gnote, NULL, &eb), SDB_OK);
	CU_ASSERT(got.n == 700 && memcmp(got.hash.b, tree(700, 0).hash.b, SDB_HASH_SIZE) == 0);
	CU_ASSERT(gnote != NULL && strstr(gnote, "go.sum database tree\n700\n") == gnote);
	free(gnote);
	/* Twin: loaded with another key, the state does not verify. */
	CU_ASSERT_EQUAL(sdb_state_accepted(st, other_verifier, &got, NULL, NULL, &eb),
	    SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "does not verify") != NULL);
	sdb_state_close(st);
	st = NULL;

	/* Twin: the signed text changed in the file. */
	raw_sql(path, "UPDATE accepted SET note = CAST(replace(CAST(note AS TEXT), "
	    "'go.sum database tree', 'go.sum database treE') AS BLOB)");
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), SDB_ERR_INVALID - 1000);
	CU_ASSERT(strstr(eb.msg, "does not verify") != NULL);
	CU_ASSERT(strstr(eb.msg, path) != NULL && strstr(eb.msg, "restore it from a backup") != NULL);
	sdb_state_close(st);
	st = NULL;

	/* Twin: a signed note of another tree than the row says. */
	raw_sql(path, "DELETE FROM accepted");
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accepted(st, verifier, &got, NULL, NULL, &eb), SDB_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t, note, len, &eb), SDB_OK);
	sdb_state_close(st);
	st = NULL;
	raw_sql(path, "UPDATE accepted SET size = 501");
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), SDB_ERR_INVALID - 1000);
	CU_ASSERT(strstr(eb.msg, "does not match its note") != NULL);
	sdb_state_close(st);
	st = NULL;
	/* Twin: a hash of the wrong length. */
	raw_sql(path, "UPDATE accepted SET size = 500, hash = x'00'");
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), SDB_ERR_INVALID - 1000);
	CU_ASSERT(strstr(eb.msg, "damaged") != NULL);
	sdb_state_close(st);
	free(note);
	remove_state(path);
}

/*
 * The accepted tree never goes back, whatever a caller asks, also through
 * a handle that never read it: a smaller tree and another tree of the
 * same size are refused and change nothing; so is a note that is not the
 * tree's (it would make every later load fail), before any file is made.
 */
static void
test_never_backwards(void)
{
	char path[512];
	struct sdb_state *st = NULL;
	struct sdb_tree t = tree(500, 0), t501 = tree(501, 0);
	struct sdb_errbuf eb;
	struct stat sb;
	char *note, *n501;
	size_t len = 0, l501 = 0;

	keys();
	fresh_path(path, sizeof path);
	note = sign_tree(&t, signer, &len);
	n501 = sign_tree(&t501, signer, &l501);
	CU_ASSERT_FATAL(note != NULL && n501 != NULL);

	/* a note of another tree, on the first write: no file made */
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t, n501, l501, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "not the note of the tree of 500") != NULL);
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t, "garbage", 7, &eb), SDB_ERR_INVALID);
	CU_ASSERT(stat(path, &sb) != 0);
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t, note, len, &eb), SDB_OK);
	sdb_state_close(st);
	st = NULL;

	/* a handle that never read the accepted tree */
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(accept_n(st, 400, 0, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "an older tree of 400 records") != NULL);
	CU_ASSERT(strstr(eb.msg, path) != NULL);
	CU_ASSERT_EQUAL(accept_n(st, 500, 1, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "another tree of 500 records") != NULL);
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t, n501, l501, &eb), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), 500);
	/* the same tree again, and a larger one, are fine */
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t, note, len, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t501, n501, l501, &eb), SDB_OK);
	/* and after reading it too */
	CU_ASSERT_EQUAL(accepted_n(st, &eb), 501);
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t, note, len, &eb), SDB_ERR_INVALID);
	sdb_state_close(st);
	st = NULL;
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), 501);
	sdb_state_close(st);
	free(note);
	free(n501);
	remove_state(path);
}

/* Evidence: kept durably, a text met again kept once with its first time,
 * listed oldest first until the callback says stop; a text over the
 * limit is refused. */
static void
test_evidence(void)
{
	char path[512];
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	struct ev_seen seen = { 0, 0, 0, "" };
	int64_t cnt = -1, t0 = (int64_t)time(NULL);
	char *big;

	keys();
	fresh_path(path, sizeof path);
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_add_evidence(st, "proof one", 9, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_add_evidence(st, "proof two", 9, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_add_evidence(st, "proof one", 9, &eb), SDB_OK);
	/* a length, not a NUL, ends a text */
	CU_ASSERT_EQUAL(sdb_state_add_evidence(st, "proof threeXXX", 11, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_evidence_count(st, &cnt, &eb), SDB_OK);
	CU_ASSERT_EQUAL(cnt, 3);
	big = malloc((size_t)4 * 1000 * 1000 + 1);
	CU_ASSERT_FATAL(big != NULL);
	memset(big, 'x', (size_t)4 * 1000 * 1000 + 1);
	CU_ASSERT_EQUAL(sdb_state_add_evidence(st, big, (size_t)4 * 1000 * 1000 + 1, &eb),
	    SDB_ERR_TOO_LARGE);
	free(big);
	sdb_state_close(st);
	st = NULL;

	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_evidence_count(st, &cnt, &eb), SDB_OK);
	CU_ASSERT_EQUAL(cnt, 3);
	CU_ASSERT_EQUAL(sdb_state_evidence_each(st, ev_collect, &seen, &eb), SDB_OK);
	CU_ASSERT_EQUAL(seen.n, 3);
	CU_ASSERT_STRING_EQUAL(seen.texts, "proof one|proof two|proof three|");
	CU_ASSERT(seen.first_time >= t0 && seen.first_time <= (int64_t)time(NULL));
	memset(&seen, 0, sizeof seen);
	seen.stop_after = 2;
	CU_ASSERT_EQUAL(sdb_state_evidence_each(st, ev_collect, &seen, &eb), SDB_OK);
	CU_ASSERT_EQUAL(seen.n, 2);
	CU_ASSERT_STRING_EQUAL(seen.texts, "proof one|proof two|");
	sdb_state_close(st);
	remove_state(path);
}

/* The tile cache: a prefix of a wider cached tile is served, a wider one
 * is not; a narrower put never shrinks a tile; data tiles by length;
 * several tiles in one put. */
static void
test_tiles(void)
{
	char path[512];
	struct sdb_state *st = NULL;
	struct sdb_tile t[3] = { { 8, 0, 3, 4 }, { 8, 1, 0, 2 }, { 8, -1, 3, 4 } };
	struct sdb_errbuf eb;
	uint8_t h0[4 * 32], h1[2 * 32], d[100], buf[5 * 32];
	const uint8_t *dp[3] = { h0, h1, d };
	size_t lens[3] = { sizeof h0, sizeof h1, sizeof d };

	keys();
	fresh_path(path, sizeof path);
	memset(h0, 1, sizeof h0);
	memset(h1, 2, sizeof h1);
	memset(d, 3, sizeof d);
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_tiles_put(st, t, 3, dp, lens, &eb), SDB_OK);
	sdb_state_close(st);
	st = NULL;

	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_tile_get(st, &t[0], buf, 4 * 32), SDB_OK);
	CU_ASSERT(memcmp(buf, h0, 4 * 32) == 0);
	CU_ASSERT_EQUAL(sdb_state_tile_get(st, &t[0], buf, 3 * 32), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_tile_get(st, &t[0], buf, 5 * 32), SDB_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(sdb_state_tile_get(st, &t[1], buf, 2 * 32), SDB_OK);
	CU_ASSERT(memcmp(buf, h1, 2 * 32) == 0);
	CU_ASSERT_EQUAL(sdb_state_tile_get(st, &t[2], buf, sizeof d), SDB_OK);
	CU_ASSERT(memcmp(buf, d, sizeof d) == 0);
	/* tiles are told apart by height, level and number */
	t[0].n = 4;
	CU_ASSERT_EQUAL(sdb_state_tile_get(st, &t[0], buf, 32), SDB_ERR_NOT_FOUND);
	t[0].n = 3;
	t[0].h = 4;
	CU_ASSERT_EQUAL(sdb_state_tile_get(st, &t[0], buf, 32), SDB_ERR_NOT_FOUND);
	t[0].h = 8;
	/* a narrower put (w 2, hash tiles by w) keeps the wider tile */
	t[0].w = 2;
	memset(h0, 9, sizeof h0);
	CU_ASSERT_EQUAL(sdb_state_tiles_put(st, t, 1, dp, NULL, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_tile_get(st, &t[0], buf, 4 * 32), SDB_OK);
	CU_ASSERT(buf[0] == 1 && buf[4 * 32 - 1] == 1);
	/* a wider one replaces it */
	{
		struct sdb_tile wide = { 8, 0, 3, 5 };
		uint8_t w5[5 * 32];
		const uint8_t *wp[1] = { w5 };

		memset(w5, 7, sizeof w5);
		CU_ASSERT_EQUAL(sdb_state_tiles_put(st, &wide, 1, wp, NULL, &eb), SDB_OK);
		CU_ASSERT_EQUAL(sdb_state_tile_get(st, &wide, buf, 5 * 32), SDB_OK);
		CU_ASSERT(buf[0] == 7 && buf[5 * 32 - 1] == 7);
	}
	sdb_state_close(st);
	remove_state(path);
}

/* Full-audit progress: the frontier, the duplicate index's lengths and
 * the findings, stored together and read back after a reopen; a row a
 * state cannot hold (negative) is damage, not progress. */
static void
test_full_progress(void)
{
	char path[512];
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	struct sdb_tlog_frontier f, g;
	struct sdb_state_dups dups = { 1, 4128 }, gd;
	struct sdb_state_findings found = { 3, 2, 1 }, gf;
	struct sdb_tree t = tree(1, 0);

	keys();
	fresh_path(path, sizeof path);
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	sdb_tlog_frontier_init(&f);
	CU_ASSERT_EQUAL(sdb_tlog_frontier_append(&f, &t.hash, NULL, NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_full_put(st, &f, &dups, &found, &eb), SDB_OK);
	dups.newlen = 8256;
	found.bad_records = 5;
	CU_ASSERT_EQUAL(sdb_state_full_put(st, &f, &dups, &found, &eb), SDB_OK);
	sdb_state_close(st);
	st = NULL;

	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	memset(&gd, 0, sizeof gd);
	memset(&gf, 0, sizeof gf);
	CU_ASSERT_EQUAL(sdb_state_full_get(st, &g, &gd, &gf, &eb), SDB_OK);
	CU_ASSERT(g.n == 1 && memcmp(g.h, f.h, sizeof f.h) == 0);
	CU_ASSERT(gd.merged == 1 && gd.newlen == 8256);
	CU_ASSERT(gf.duplicates == 3 && gf.conflicts == 2 && gf.bad_records == 5);
	sdb_state_close(st);
	st = NULL;

	/* findings of a state made before they were kept: zero */
	raw_sql(path, "DELETE FROM findings");
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	memset(&gf, 0xff, sizeof gf);
	CU_ASSERT_EQUAL(sdb_state_full_get(st, &g, &gd, &gf, &eb), SDB_OK);
	CU_ASSERT(gf.duplicates == 0 && gf.conflicts == 0 && gf.bad_records == 0);
	sdb_state_close(st);
	st = NULL;
	/* progress without the duplicate index's row: not resumable */
	raw_sql(path, "DELETE FROM dups");
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_full_get(st, &g, &gd, &gf, &eb), SDB_ERR_NOT_FOUND);
	sdb_state_close(st);
	st = NULL;
	/* Twin: a negative length is damage */
	raw_sql(path, "INSERT INTO dups(id, merged, newlen) VALUES (1, 0, -16)");
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_full_get(st, &g, &gd, &gf, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "damaged") != NULL);
	sdb_state_close(st);
	remove_state(path);
}

/* The number of tables named name in the database at path (0 or 1). */
static int
has_table(const char *path, const char *name)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
	    "AND name = ?1", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int(s, 0);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* A state of an older csumdb (the table "seen", no "findings", another
 * journal mode) is brought up to date at open, keeping what it holds. */
static void
test_older_state(void)
{
	char path[512];
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	struct sdb_tlog_frontier f;
	struct sdb_state_dups d;
	struct sdb_state_findings fo;

	keys();
	fresh_path(path, sizeof path);
	make_state(path, 1000);
	raw_sql(path, "PRAGMA journal_mode=DELETE; DROP TABLE findings; "
	    "CREATE TABLE seen(path TEXT, version TEXT, id INTEGER, leaf BLOB)");
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), 1000);
	CU_ASSERT_EQUAL(sdb_state_full_get(st, &f, &d, &fo, &eb), SDB_OK);
	CU_ASSERT(f.n == 256 && fo.duplicates == 0);
	sdb_state_close(st);
	CU_ASSERT_EQUAL(has_table(path, "seen"), 0);
	CU_ASSERT_EQUAL(has_table(path, "findings"), 1);
	remove_state(path);
}

/* --- files that are not a state ------------------------------------- */

/*
 * Files that are not a state are refused, never taken for a first run,
 * and left as they were: text, another program's SQLite database (not
 * even its journal mode changed), an empty file.
 */
static void
test_not_a_state(void)
{
	char path[512];
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	uint8_t *before, *after;
	size_t blen = 0, alen = 0;
	FILE *fp;

	keys();
	fresh_path(path, sizeof path);
	CU_ASSERT_FATAL((fp = fopen(path, "w")) != NULL);
	fputs("example.com/m v1.0.0 h1:this is a go.sum file given as --state by mistake=\n", fp);
	fclose(fp);
	before = slurp(path, &blen);
	CU_ASSERT_EQUAL(sdb_state_open(&st, path, vkey, &eb), SDB_ERR_INVALID);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT(strstr(eb.msg, path) != NULL && strstr(eb.msg, "not an SQLite database") != NULL);
	CU_ASSERT(strstr(eb.msg, "give --state the state file") != NULL);
	after = slurp(path, &alen);
	CU_ASSERT(before != NULL && after != NULL && alen == blen &&
	    memcmp(before, after, blen) == 0);
	free(before);
	free(after);
	remove_state(path);

	/* another program's database */
	raw_sql(path, "CREATE TABLE records(id INTEGER PRIMARY KEY, text TEXT);"
	    "INSERT INTO records(text) VALUES ('x')");
	before = slurp(path, &blen);
	CU_ASSERT_EQUAL(sdb_state_open(&st, path, vkey, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "not a sumdb state file") != NULL);
	CU_ASSERT(strstr(eb.msg, "records") != NULL && strstr(eb.msg, path) != NULL);
	after = slurp(path, &alen);
	CU_ASSERT(before != NULL && after != NULL && alen == blen &&
	    memcmp(before, after, blen) == 0);
	free(before);
	free(after);
	remove_state(path);

	/* tables, but no meta table */
	raw_sql(path, "CREATE TABLE evidence(id INTEGER PRIMARY KEY, time INTEGER, text TEXT)");
	CU_ASSERT_EQUAL(sdb_state_open(&st, path, vkey, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "no meta table") != NULL);
	remove_state(path);

	/* empty: a copy cut short, not a new state */
	CU_ASSERT_FATAL((fp = fopen(path, "w")) != NULL);
	fclose(fp);
	CU_ASSERT_EQUAL(sdb_state_open(&st, path, vkey, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "empty") != NULL && strstr(eb.msg, path) != NULL);
	remove_state(path);

	/* another log's state: which file, and what to do */
	make_state(path, 10);
	CU_ASSERT_EQUAL(sdb_state_open(&st, path, other_vkey, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, path) != NULL && strstr(eb.msg, "another log") != NULL &&
	    strstr(eb.msg, "a file of its own for this key") != NULL);
	remove_state(path);
}

/*
 * A state of a newer csumdb (schema 2, with a table this one does not
 * know) is refused as such, not as another program's database, and left
 * exactly as it was; so is one of an unknown schema.
 */
static void
test_newer_schema(void)
{
	char path[512];
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	uint8_t *before, *after;
	size_t blen = 0, alen = 0;
	struct stat sb;
	char p2[600];

	keys();
	fresh_path(path, sizeof path);
	make_state(path, 1000);
	raw_sql(path, "UPDATE meta SET value = '2' WHERE key = 'schema'; "
	    "CREATE TABLE witnesses(name TEXT PRIMARY KEY, key TEXT)");
	before = slurp(path, &blen);
	CU_ASSERT_EQUAL(sdb_state_open(&st, path, vkey, &eb), SDB_ERR_INVALID);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT(strstr(eb.msg, path) != NULL);
	CU_ASSERT(strstr(eb.msg, "newer csumdb (state schema 2") != NULL);
	CU_ASSERT(strstr(eb.msg, "not a sumdb state file") == NULL);
	after = slurp(path, &alen);
	CU_ASSERT(before != NULL && after != NULL && alen == blen &&
	    memcmp(before, after, blen) == 0);
	snprintf(p2, sizeof p2, "%s-wal", path);
	CU_ASSERT(stat(p2, &sb) != 0);
	free(before);
	free(after);

	raw_sql(path, "UPDATE meta SET value = 'x1' WHERE key = 'schema'");
	CU_ASSERT_EQUAL(sdb_state_open(&st, path, vkey, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "unknown state schema \"x1\"") != NULL);
	raw_sql(path, "DELETE FROM meta WHERE key = 'schema'; DROP TABLE witnesses");
	CU_ASSERT_EQUAL(sdb_state_open(&st, path, vkey, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "unknown state schema (none)") != NULL);
	remove_state(path);
}

/* A state with a second name (a hard link) is refused: SQLite would keep
 * a write-ahead log for each name, and two processes, one through each,
 * would damage it.  With one name again it opens. */
static void
test_hard_link(void)
{
	char path[512], other[600];
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;

	keys();
	fresh_path(path, sizeof path);
	make_state(path, 10);
	snprintf(other, sizeof other, "%s.backup", path);
	CU_ASSERT_FATAL(link(path, other) == 0);
	CU_ASSERT_EQUAL(sdb_state_open(&st, path, vkey, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, path) != NULL && strstr(eb.msg, "2 names (hard links)") != NULL);
	CU_ASSERT_EQUAL(sdb_state_open(&st, other, vkey, &eb), SDB_ERR_INVALID);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT(unlink(other) == 0);
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), 10);
	sdb_state_close(st);
	remove_state(path);
}

/* Opens path as a state and stores a tree, in a child (an alarm ends it
 * should a read block): 0 when refused as not a regular file. */
static int
not_regular_child(void *arg)
{
	const char *path = arg;
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb = { { 0 } };
	int err;

	alarm(10);
	err = sdb_state_open(&st, path, vkey, &eb);
	if (err == SDB_OK) {
		err = accept_n(st, 10, 0, &eb);
		sdb_state_close(st);
		if (err == SDB_OK)
			return 1;   /* taken for a state */
	}
	if (err != SDB_ERR_INVALID || strstr(eb.msg, "not a regular file") == NULL ||
	    strstr(eb.msg, path) == NULL) {
		fprintf(stderr, "not a regular file: %s: %s\n", path, eb.msg);
		return 2;
	}
	return 0;
}

/*
 * What is not a regular file is refused at open, saying so, before SQLite
 * makes anything beside it: a directory, a FIFO (and a device such as
 * /dev/null, which SQLite reads as an empty database and fails to set up
 * only after it made a journal beside it).
 */
static void
test_not_regular(void)
{
	char path[512], side[600];
	struct stat sb;

	keys();
	fresh_path(path, sizeof path);
	CU_ASSERT_FATAL(mkdir(path, 0700) == 0);
	CU_ASSERT_EQUAL(reap(spawn(not_regular_child, path)), 0);
	CU_ASSERT(rmdir(path) == 0);
	CU_ASSERT_FATAL(mkfifo(path, 0600) == 0);
	CU_ASSERT_EQUAL(reap(spawn(not_regular_child, path)), 0);
	snprintf(side, sizeof side, "%s-wal", path);
	CU_ASSERT(stat(side, &sb) != 0);
	remove_state(path);
}

/*
 * A state cut short or damaged in place is refused at some step with
 * SDB_ERR_INVALID and never reads as "no tree accepted" (which would make
 * the next run a first run that trusts whatever it is shown).
 */
static void
test_damaged(void)
{
	char path[512], p2[600];
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	uint8_t *orig;
	size_t olen = 0;
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t page = 0, pagesize = 0;
	size_t cut;
	int fd;
	static const size_t cuts[] = { 50, 100, 1024, 4096, 8192, 3 * 4096 + 17 };

	keys();
	fresh_path(path, sizeof path);
	make_state(path, 1000);
	orig = slurp(path, &olen);
	CU_ASSERT_FATAL(orig != NULL && olen > 4 * 4096);
	/* the page holding the accepted tree */
	CU_ASSERT_FATAL(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CU_ASSERT_FATAL(sqlite3_prepare_v2(db, "SELECT rootpage, (SELECT page_size FROM "
	    "pragma_page_size) FROM sqlite_master WHERE name = 'accepted'", -1, &s, NULL) ==
	    SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW) {
		page = sqlite3_column_int64(s, 0);
		pagesize = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	CU_ASSERT_FATAL(page > 1 && pagesize >= 512);

	for (cut = 0; cut < sizeof cuts / sizeof cuts[0] + 2; cut++) {
		int err, bad = 0;
		int64_t n;

		CU_ASSERT_FATAL((fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)) >= 0);
		if (cut < sizeof cuts / sizeof cuts[0]) {
			/* cut short */
			CU_ASSERT_FATAL(write(fd, orig, cuts[cut]) == (ssize_t)cuts[cut]);
		} else {
			/* the accepted tree's page overwritten: garbage, or zeros */
			uint8_t *copy = malloc(olen);

			CU_ASSERT_FATAL(copy != NULL);
			memcpy(copy, orig, olen);
			memset(copy + (page - 1) * pagesize, cut == sizeof cuts / sizeof cuts[0] ?
			    0xa5 : 0, (size_t)pagesize);
			CU_ASSERT_FATAL(write(fd, copy, olen) == (ssize_t)olen);
			free(copy);
		}
		close(fd);
		snprintf(p2, sizeof p2, "%s-wal", path);
		unlink(p2);
		snprintf(p2, sizeof p2, "%s-shm", path);
		unlink(p2);
		eb.msg[0] = '\0';
		err = sdb_state_open(&st, path, vkey, &eb);
		if (err == SDB_OK) {
			n = accepted_n(st, &eb);
			if (n == -1 || n >= 0)
				bad = 1;   /* taken for no tree, or read a tree */
			else
				err = (int)(n + 1000);
			sdb_state_close(st);
			st = NULL;
		}
		if (bad || err != SDB_ERR_INVALID)
			fprintf(stderr, "damaged state, case %zu: %s (%s)\n", cut,
			    bad ? "read as a state" : "not SDB_ERR_INVALID", eb.msg);
		CU_ASSERT(!bad && err == SDB_ERR_INVALID);
		/* which file, and what to do */
		CU_ASSERT(strstr(eb.msg, path) != NULL);
		CU_ASSERT(strstr(eb.msg, "restore it from a backup") != NULL);
	}
	free(orig);
	remove_state(path);
}

/* --- a file that may only be read ----------------------------------- */

/*
 * Root writes any file, so a check of what may only be read runs in a
 * child as nobody (uid and gid 65534) on files given to it, and as
 * ourselves otherwise.  dir holds the state; mode is given to the state
 * file, dmode to dir.
 */
struct ro_case {
	const char *dir, *path;
	mode_t mode, dmode;
	int (*fn)(const struct ro_case *c);
};

/* ro_child's status when uid 65534 cannot reach the state at all. */
#define RO_UNREACHABLE 77

static int
ro_child(void *arg)
{
	const struct ro_case *c = arg;

	if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(65534) != 0 ||
	    setuid(65534) != 0))
		return 90;
	/* a $TMPDIR that only root may enter: nothing to check here */
	if (access(c->path, F_OK) != 0 && errno == EACCES)
		return RO_UNREACHABLE;
	return c->fn(c);
}

static int
run_ro(const struct ro_case *c)
{
	char p2[600];

	if (geteuid() == 0) {
		if ((size_t)snprintf(p2, sizeof p2, "%s-wal", c->path) >= sizeof p2)
			return 93;
		if (chown(c->dir, 65534, 65534) != 0 || chown(c->path, 65534, 65534) != 0)
			return 91;
		(void)chown(p2, 65534, 65534);
		if ((size_t)snprintf(p2, sizeof p2, "%s-shm", c->path) >= sizeof p2)
			return 93;
		(void)chown(p2, 65534, 65534);
	}
	if (chmod(c->path, c->mode) != 0 || chmod(c->dir, c->dmode) != 0)
		return 92;
	return reap(spawn(ro_child, (void *)c));
}

/*
 * Makes a state of 1000 records in a directory of its own that another
 * user may reach (the temporary directory is ours alone, mode 0700),
 * gives the file mode and the directory dmode, runs fn on it as the case
 * says and checks that all of it held (saying so when it could not run:
 * as root, with a $TMPDIR that uid 65534 cannot enter), and removes it.
 */
static void
check_ro(mode_t mode, mode_t dmode, int (*fn)(const struct ro_case *))
{
	const char *t = getenv("TMPDIR");
	char dir[512], path[600];
	struct ro_case c;
	int code;

	keys();
	CU_ASSERT_FATAL((size_t)snprintf(dir, sizeof dir, "%s/csumdb-state-ro.XXXXXX",
	    t != NULL && t[0] != '\0' ? t : "/tmp") < sizeof dir);
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/ro.state", dir);
	make_state(path, 1000);
	c.dir = dir;
	c.path = path;
	c.mode = mode;
	c.dmode = dmode;
	c.fn = fn;
	code = run_ro(&c);
	if (code == RO_UNREACHABLE)
		fprintf(stderr, "SKIP: uid 65534 cannot reach %s: set TMPDIR to a directory others "
		    "may enter to check a state that may only be read\n", dir);
	else
		CU_ASSERT_EQUAL(code, 0);
	CU_ASSERT(chmod(dir, 0700) == 0);
	remove_state(path);
	CU_ASSERT(rmdir(dir) == 0);
}

/* A state file that may only be read (0444): the tree and the evidence
 * read as ever (sumdb evidence on another user's state); a write is
 * refused and says that the file must be writable. */
static int
ro_file_checks(const struct ro_case *c)
{
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	int64_t cnt = 0;

	if (sdb_state_open(&st, c->path, vkey, &eb) != SDB_OK) {
		fprintf(stderr, "read-only state: open: %s\n", eb.msg);
		return 1;
	}
	if (accepted_n(st, &eb) != 1000 || sdb_state_evidence_count(st, &cnt, &eb) != SDB_OK ||
	    cnt != 1) {
		fprintf(stderr, "read-only state: read: %s\n", eb.msg);
		return 2;
	}
	eb.msg[0] = '\0';
	if (accept_n(st, 2000, 0, &eb) == SDB_OK || strstr(eb.msg, "writable") == NULL ||
	    strstr(eb.msg, c->path) == NULL) {
		fprintf(stderr, "read-only state: accept: %s\n", eb.msg);
		return 3;
	}
	eb.msg[0] = '\0';
	if (sdb_state_add_evidence(st, "more", 4, &eb) == SDB_OK ||
	    strstr(eb.msg, "writable") == NULL) {
		fprintf(stderr, "read-only state: evidence: %s\n", eb.msg);
		return 4;
	}
	if (accepted_n(st, &eb) != 1000)
		return 5;
	sdb_state_close(st);
	return 0;
}

static void
test_read_only_file(void)
{
	check_ro(0444, 0755, ro_file_checks);
}

/* A state in a directory that may only be read: SQLite makes the
 * state's -wal and -shm files there, even to read it, so the message
 * names the directory and says what to do. */
static int
ro_dir_checks(const struct ro_case *c)
{
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	int err;

	eb.msg[0] = '\0';
	err = sdb_state_open(&st, c->path, vkey, &eb);
	if (err == SDB_OK) {
		err = accept_n(st, 2000, 0, &eb);
		sdb_state_close(st);
	}
	if (err == SDB_OK || strstr(eb.msg, c->dir) == NULL ||
	    strstr(eb.msg, "let this user write the directory") == NULL) {
		fprintf(stderr, "read-only directory: %s\n", eb.msg);
		return 1;
	}
	return 0;
}

static void
test_read_only_dir(void)
{
	check_ro(0644, 0555, ro_dir_checks);
}

/* --- two processes ---------------------------------------------------- */

/* Two runs on one state, each having read the accepted tree: the first
 * accepts a larger tree of the log, and the second must not then replace
 * it with a tree of a fork that it checked only against the older one. */
static void
test_accept_race(void)
{
	char path[512];
	struct sdb_state *s1 = NULL, *s2 = NULL;
	struct sdb_errbuf eb;
	struct sdb_tree got;

	keys();
	fresh_path(path, sizeof path);
	CU_ASSERT_FATAL(sdb_state_open(&s1, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_FATAL(sdb_state_open(&s2, path, vkey, &eb) == SDB_OK);
	/* both first runs: only one may store its tree */
	CU_ASSERT_EQUAL(accepted_n(s1, &eb), -1);
	CU_ASSERT_EQUAL(accepted_n(s2, &eb), -1);
	CU_ASSERT_EQUAL(accept_n(s1, 300, 0, &eb), SDB_OK);
	CU_ASSERT_EQUAL(accept_n(s2, 400, 1, &eb), SDB_ERR_IO);
	/* both later runs checked against 300 */
	CU_ASSERT_EQUAL(accepted_n(s1, &eb), 300);
	CU_ASSERT_EQUAL(accepted_n(s2, &eb), 300);
	CU_ASSERT_EQUAL(accept_n(s1, 500, 0, &eb), SDB_OK);
	CU_ASSERT_EQUAL(accept_n(s2, 450, 1, &eb), SDB_ERR_IO);
	CU_ASSERT(strstr(eb.msg, "changed") != NULL && strstr(eb.msg, "run again") != NULL);
	CU_ASSERT_EQUAL(sdb_state_accepted(s2, verifier, &got, NULL, NULL, &eb), SDB_OK);
	CU_ASSERT(got.n == 500 && memcmp(got.hash.b, tree(500, 0).hash.b, SDB_HASH_SIZE) == 0);
	/* the run that wrote last goes on from its own tree */
	CU_ASSERT_EQUAL(accept_n(s1, 500, 0, &eb), SDB_OK);
	CU_ASSERT_EQUAL(accept_n(s1, 600, 0, &eb), SDB_OK);
	sdb_state_close(s1);
	sdb_state_close(s2);
	remove_state(path);
}

/* Copies the file src to dst, alone (as a backup that takes only the
 * state file, not its -wal, would). */
static void
copy_alone(const char *src, const char *dst)
{
	size_t len = 0;
	uint8_t *buf = slurp(src, &len);
	int fd;

	CU_ASSERT_FATAL(buf != NULL);
	remove_state(dst);
	fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, buf, len) == (ssize_t)len);
	CU_ASSERT(close(fd) == 0);
	free(buf);
}

/* The size of the tree accepted in a copy of the state file alone. */
static int64_t
accepted_in_copy(const char *path, const char *copy)
{
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	int64_t n;

	copy_alone(path, copy);
	if (sdb_state_open(&st, copy, vkey, &eb) != SDB_OK)
		return -2;
	n = accepted_n(st, &eb);
	sdb_state_close(st);
	remove_state(copy);
	return n;
}

/*
 * An accepted tree is in the state file itself once accept returns, not
 * only in its -wal: a backup that copies the file alone, or a run killed
 * later (an audit --full that accepts, then reads for hours), keeps it,
 * also while another process has the state open.  A reader that keeps an
 * older snapshot past the busy timeout keeps the tree in the -wal only:
 * the accept then fails and says so, with the tree accepted.
 */
static void
test_accept_in_file(void)
{
	char path[512], copy[512];
	struct sdb_state *st = NULL, *other = NULL;
	struct sdb_errbuf eb;
	sqlite3 *reader = NULL;
	sqlite3_stmt *s = NULL;

	keys();
	fresh_path(path, sizeof path);
	fresh_path(copy, sizeof copy);
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_FATAL(accept_n(st, 300, 0, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(accepted_in_copy(path, copy), 300);
	/* another process's handle (sumdb evidence, lookup --state) open */
	CU_ASSERT_FATAL(sdb_state_open(&other, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(accepted_n(other, &eb), 300);
	CU_ASSERT_FATAL(accept_n(st, 500, 0, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(accepted_in_copy(path, copy), 500);
	sdb_state_close(other);

	/* Twin: a reader in a transaction from before the accept. */
	CU_ASSERT_FATAL(sqlite3_open_v2(path, &reader, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CU_ASSERT_FATAL(sqlite3_exec(reader, "BEGIN", NULL, NULL, NULL) == SQLITE_OK);
	CU_ASSERT_FATAL(sqlite3_prepare_v2(reader, "SELECT size FROM accepted", -1, &s, NULL) ==
	    SQLITE_OK);
	CU_ASSERT_EQUAL(sqlite3_step(s), SQLITE_ROW);
	CU_ASSERT_EQUAL(sqlite3_column_int64(s, 0), 500);
	sqlite3_finalize(s);
	CU_ASSERT_EQUAL(accept_n(st, 700, 0, &eb), SDB_ERR_LOCKED);
	CU_ASSERT(strstr(eb.msg, path) != NULL && strstr(eb.msg, "accepted") != NULL &&
	    strstr(eb.msg, "-wal") != NULL);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), 700);
	CU_ASSERT_EQUAL(accepted_in_copy(path, copy), 500);
	CU_ASSERT(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	CU_ASSERT(sqlite3_close(reader) == SQLITE_OK);
	/* the next accept, the same tree, puts it into the file */
	CU_ASSERT_EQUAL(accept_n(st, 700, 0, &eb), SDB_OK);
	CU_ASSERT_EQUAL(accepted_in_copy(path, copy), 700);
	sdb_state_close(st);
	remove_state(path);
}

/* The pieces of evidence in a copy of the state file alone. */
static int64_t
evidence_in_copy(const char *path, const char *copy)
{
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	int64_t n = -1;

	copy_alone(path, copy);
	if (sdb_state_open(&st, copy, vkey, &eb) != SDB_OK ||
	    sdb_state_evidence_count(st, &n, &eb) != SDB_OK)
		n = -2;
	sdb_state_close(st);
	remove_state(copy);
	return n;
}

/* A reader of path in a transaction (an older snapshot held), for the
 * checkpoint tests. */
static sqlite3 *
reader_begin(const char *path)
{
	sqlite3 *reader = NULL;

	CU_ASSERT_FATAL(sqlite3_open_v2(path, &reader, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CU_ASSERT_FATAL(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM accepted", NULL, NULL,
	    NULL) == SQLITE_OK);
	return reader;
}

static void
reader_end(sqlite3 *reader)
{
	CU_ASSERT(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	CU_ASSERT(sqlite3_close(reader) == SQLITE_OK);
}

/*
 * Evidence is in the state file itself once it is stored, as an accepted
 * tree is: a fork found is what the state must never lose, and a backup
 * that copies the file alone must hold it, also while another process has
 * the state open.  Twin: a reader of an older snapshot past the busy
 * timeout keeps it in the -wal only, and storing it says so, the evidence
 * stored all the same.
 */
static void
test_evidence_in_file(void)
{
	char path[512], copy[512];
	struct sdb_state *st = NULL, *other = NULL;
	struct sdb_errbuf eb;
	sqlite3 *reader;
	int64_t n = 0;

	keys();
	fresh_path(path, sizeof path);
	fresh_path(copy, sizeof copy);
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_FATAL(accept_n(st, 300, 0, &eb) == SDB_OK);
	CU_ASSERT_FATAL(sdb_state_open(&other, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(accepted_n(other, &eb), 300);
	CU_ASSERT_EQUAL(sdb_state_add_evidence(st, "fork one\n", 9, &eb), SDB_OK);
	CU_ASSERT_EQUAL(evidence_in_copy(path, copy), 1);

	reader = reader_begin(path);
	CU_ASSERT_EQUAL(sdb_state_add_evidence(st, "fork two\n", 9, &eb), SDB_ERR_LOCKED);
	CU_ASSERT(strstr(eb.msg, "evidence") != NULL && strstr(eb.msg, "-wal") != NULL);
	CU_ASSERT_EQUAL(sdb_state_evidence_count(st, &n, &eb), SDB_OK);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(evidence_in_copy(path, copy), 1);
	reader_end(reader);
	/* the same evidence met again: kept once, and now in the file */
	CU_ASSERT_EQUAL(sdb_state_add_evidence(st, "fork two\n", 9, &eb), SDB_OK);
	CU_ASSERT_EQUAL(evidence_in_copy(path, copy), 2);
	sdb_state_close(other);
	sdb_state_close(st);
	remove_state(path);
}

/*
 * sdb_state_checkpoint copies into the state file what an earlier run
 * left in the -wal only (its accept's checkpoint held up by a reader),
 * while another process has the state open (else closing the last
 * connection would have copied it); with a reader of an older snapshot
 * still there it says so.
 */
static void
test_checkpoint_later(void)
{
	char path[512], copy[512];
	struct sdb_state *st = NULL, *other = NULL;
	struct sdb_errbuf eb;
	sqlite3 *reader;

	keys();
	fresh_path(path, sizeof path);
	fresh_path(copy, sizeof copy);
	/* a state not made yet: nothing to copy */
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_checkpoint(st, &eb), SDB_OK);
	CU_ASSERT_FATAL(accept_n(st, 300, 0, &eb) == SDB_OK);
	CU_ASSERT_FATAL(sdb_state_open(&other, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(accepted_n(other, &eb), 300);
	reader = reader_begin(path);
	CU_ASSERT_EQUAL(accept_n(st, 500, 0, &eb), SDB_ERR_LOCKED);
	CU_ASSERT_EQUAL(sdb_state_checkpoint(st, &eb), SDB_ERR_LOCKED);
	CU_ASSERT(strstr(eb.msg, path) != NULL && strstr(eb.msg, "-wal") != NULL);
	CU_ASSERT_EQUAL(accepted_in_copy(path, copy), 300);
	reader_end(reader);
	sdb_state_close(st);
	st = NULL;
	/* the next run: the tree unchanged, nothing accepted */
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), 500);
	CU_ASSERT_EQUAL(accepted_in_copy(path, copy), 300);
	CU_ASSERT_EQUAL(sdb_state_checkpoint(st, &eb), SDB_OK);
	CU_ASSERT_EQUAL(accepted_in_copy(path, copy), 500);
	sdb_state_close(other);
	sdb_state_close(st);
	remove_state(path);
}

/* What the children of test_make_race share. */
struct make_race {
	const char *path, *vk;
	int start, go;   /* a pipe: its end (go closed everywhere) starts
			  * the child */
};

/* Opens the state for its key and stores a tree: 0 stored; 1 refused as
 * the other log's (the other child's state, made first); 2 otherwise. */
static int
make_race_child(void *arg)
{
	const struct make_race *m = arg;
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb = { { 0 } };
	struct sdb_tree t = tree(300, 0);
	char c, *note;
	size_t len = 0;
	int err;

	close(m->go);
	if (read(m->start, &c, 1) != 0)
		return 2;
	note = sign_tree(&t, m->vk == vkey ? signer : other_signer, &len);
	err = sdb_state_open(&st, m->path, m->vk, &eb);
	if (err == SDB_OK) {
		err = sdb_state_accept(st, &t, note, len, &eb);
		sdb_state_close(st);
	}
	free(note);
	if (err == SDB_OK)
		return 0;
	return strstr(eb.msg, "belongs to another log") != NULL ? 1 : 2;
}

/*
 * Two first runs for different logs on one missing state file at once
 * (a nightly audit and a lookup --state, one of them misconfigured): one
 * makes the state and stores its tree, the other is refused as another
 * log's, and the state made stays, whichever order their steps take.
 */
static void
test_make_race(void)
{
	char path[512];
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	int round, bad = 0;

	keys();
	fresh_path(path, sizeof path);
	for (round = 0; round < 100 && bad == 0; round++) {
		struct make_race m[2] = { { path, vkey, -1, -1 }, { path, other_vkey, -1, -1 } };
		pid_t pid[2];
		int p[2], code[2], i, winner = -1;

		remove_state(path);
		CU_ASSERT_FATAL(pipe(p) == 0);
		for (i = 0; i < 2; i++) {
			m[i].start = p[0];
			m[i].go = p[1];
			pid[i] = spawn(make_race_child, &m[i]);
		}
		close(p[0]);
		close(p[1]);   /* both start */
		for (i = 0; i < 2; i++) {
			code[i] = reap(pid[i]);
			if (code[i] == 0)
				winner = i;
		}
		if (winner < 0 || code[1 - winner] != 1) {
			fprintf(stderr, "make race, round %d: children exited %d and %d\n", round,
			    code[0], code[1]);
			bad++;
			continue;
		}
		eb.msg[0] = '\0';
		if (sdb_state_open(&st, path, m[winner].vk, &eb) != SDB_OK ||
		    sdb_state_accepted(st, winner == 0 ? verifier : other_verifier, &(struct sdb_tree){ 0 },
		    NULL, NULL, &eb) != SDB_OK) {
			fprintf(stderr, "make race, round %d: the state made is gone or lost its "
			    "tree (%s)\n", round, eb.msg);
			bad++;
		}
		sdb_state_close(st);
		st = NULL;
		if (count_tmp(path) != 0) {
			fprintf(stderr, "make race, round %d: a temporary file is left\n", round);
			bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	remove_state(path);
}

/* What the children of test_serialise share. */
struct serialise {
	const char *path;
	int acks;    /* write end: each tree size stored, as an int64_t */
	unsigned seed;
};

/* 40 times: open, read the accepted tree, accept a larger one of the same
 * log a moment later.  A refusal because another child stored one in between is fine;
 * any other failure is not (exit 1). */
static int
serialise_child(void *arg)
{
	const struct serialise *c = arg;
	struct sdb_errbuf eb;
	int i;

	unit_rnd_seed(c->seed);
	for (i = 0; i < 40; i++) {
		struct sdb_state *st = NULL;
		int64_t n;
		int err;

		if (sdb_state_open(&st, c->path, vkey, &eb) != SDB_OK) {
			fprintf(stderr, "serialise: open: %s\n", eb.msg);
			return 1;
		}
		if ((n = accepted_n(st, &eb)) < 0) {
			fprintf(stderr, "serialise: accepted: %s\n", eb.msg);
			return 1;
		}
		/* a run checks the new tree between the two */
		pause_ms((long)unit_rnd(3));
		n += 1 + (int64_t)unit_rnd(5);
		err = accept_n(st, n, 0, &eb);
		sdb_state_close(st);
		if (err == SDB_OK) {
			if (write(c->acks, &n, sizeof n) != (ssize_t)sizeof n)
				return 1;
		} else if (err != SDB_ERR_IO || strstr(eb.msg, "changed") == NULL) {
			fprintf(stderr, "serialise: accept: %s\n", eb.msg);
			return 1;
		}
	}
	return 0;
}

/*
 * Four processes accepting trees on one state at once (overlapping
 * nightly audits and lookups): they serialise.  The accepted tree, read
 * over and over meanwhile, never gets smaller (no process overwrote a
 * larger tree with the smaller one it computed from an older read), and
 * the tree left is the largest any of them was told was stored.
 */
static void
test_serialise(void)
{
	char path[512];
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	struct serialise c[4];
	pid_t pid[4];
	int p[2], i, fails = 0, back = 0;
	int64_t n, max = 100, count = 0, seen = 100, now;
	ssize_t k;

	keys();
	fresh_path(path, sizeof path);
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_FATAL(accept_n(st, 100, 0, &eb) == SDB_OK);
	CU_ASSERT_FATAL(pipe(p) == 0);
	for (i = 0; i < 4; i++) {
		c[i].path = path;
		c[i].acks = p[1];
		c[i].seed = 1000u + (unsigned)i;
		pid[i] = spawn(serialise_child, &c[i]);
	}
	close(p[1]);
	CU_ASSERT_FATAL(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
	for (;;) {
		if ((now = accepted_n(st, &eb)) < seen) {
			fprintf(stderr, "serialise: the accepted tree went from %lld to %lld\n",
			    (long long)seen, (long long)now);
			back++;
		}
		seen = now;
		while ((k = read(p[0], &n, sizeof n)) == (ssize_t)sizeof n) {
			count++;
			if (n > max)
				max = n;
		}
		if (k == 0)
			break;   /* every child is done */
		pause_ms(1);
	}
	close(p[0]);
	for (i = 0; i < 4; i++)
		fails += reap(pid[i]) != 0;
	CU_ASSERT_EQUAL(fails, 0);
	CU_ASSERT_EQUAL(back, 0);
	CU_ASSERT(count >= 40);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), max);
	sdb_state_close(st);
	remove_state(path);
}

/* What the child of test_busy shares: it holds the state's write lock
 * (as an operator's sqlite3 shell in a transaction would) from when it
 * writes to ready until release is closed. */
struct busy {
	const char *path;
	int ready, release, parent_end;   /* parent_end: release's other end */
};

static int
busy_child(void *arg)
{
	const struct busy *b = arg;
	sqlite3 *db = NULL;
	char c;

	close(b->parent_end);
	if (sqlite3_open_v2(b->path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return 1;
	if (write(b->ready, "r", 1) != 1)
		return 2;
	(void)read(b->release, &c, 1);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return 0;
}

/*
 * Another process holding the state's write lock: opening and reading go
 * on at once (sumdb evidence during an audit); a write waits, then is
 * refused as locked, changing nothing, and goes through once the lock is
 * free.
 */
static void
test_busy(void)
{
	char path[512], c;
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	struct busy b;
	int ready[2], release[2];
	int64_t cnt = 0;
	pid_t pid;

	keys();
	fresh_path(path, sizeof path);
	make_state(path, 1000);
	CU_ASSERT_FATAL(pipe(ready) == 0 && pipe(release) == 0);
	b.path = path;
	b.ready = ready[1];
	b.release = release[0];
	b.parent_end = release[1];
	pid = spawn(busy_child, &b);
	close(ready[1]);
	close(release[0]);
	CU_ASSERT_FATAL(read(ready[0], &c, 1) == 1);
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), 1000);
	CU_ASSERT_EQUAL(sdb_state_evidence_count(st, &cnt, &eb), SDB_OK);
	CU_ASSERT_EQUAL(cnt, 1);
	CU_ASSERT_EQUAL(accept_n(st, 2000, 0, &eb), SDB_ERR_LOCKED);
	CU_ASSERT(strstr(eb.msg, path) != NULL && strstr(eb.msg, "another process") != NULL &&
	    strstr(eb.msg, "run again when it is done") != NULL);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), 1000);
	close(release[1]);
	CU_ASSERT_EQUAL(reap(pid), 0);
	close(ready[0]);
	CU_ASSERT_EQUAL(accept_n(st, 2000, 0, &eb), SDB_OK);
	CU_ASSERT_EQUAL(accepted_n(st, &eb), 2000);
	sdb_state_close(st);
	remove_state(path);
}

/* What the child of test_lock shares: it holds the state's lock from
 * when it writes to ready until release is closed. */
struct lock_holder {
	const char *path;
	int ready, release, parent_end;
};

static int
lock_child(void *arg)
{
	const struct lock_holder *h = arg;
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	char c;

	close(h->parent_end);
	if (sdb_state_open(&st, h->path, vkey, &eb) != SDB_OK || sdb_state_lock(st, &eb) != SDB_OK)
		return 1;
	if (write(h->ready, "r", 1) != 1)
		return 2;
	(void)read(h->release, &c, 1);
	sdb_state_close(st);
	return 0;
}

/*
 * The state's lock (audit --full's): one handle at a time, in this
 * process or another, refused at once and saying so, free again once its
 * holder closes the state or dies; another spelling of the path (a
 * symlink) meets the same lock; the other operations go on meanwhile.
 */
static void
test_lock(void)
{
	char path[512], link[600], c;
	struct sdb_state *a = NULL, *b = NULL;
	struct sdb_errbuf eb;
	struct lock_holder h;
	int ready[2], release[2];
	pid_t pid;

	keys();
	fresh_path(path, sizeof path);
	make_state(path, 100);
	snprintf(link, sizeof link, "%s.link", path);
	CU_ASSERT_FATAL(symlink(path, link) == 0);
	CU_ASSERT_FATAL(sdb_state_open(&a, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_FATAL(sdb_state_open(&b, link, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_lock(a, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_lock(a, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_lock(b, &eb), SDB_ERR_LOCKED);
	CU_ASSERT(strstr(eb.msg, link) != NULL && strstr(eb.msg, "another sumdb audit --full") !=
	    NULL && strstr(eb.msg, "-lock") != NULL);
	/* the others need no lock */
	CU_ASSERT_EQUAL(accept_n(b, 200, 0, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_add_evidence(b, "e", 1, &eb), SDB_OK);
	sdb_state_close(a);
	a = NULL;
	CU_ASSERT_EQUAL(sdb_state_lock(b, &eb), SDB_OK);
	sdb_state_close(b);
	b = NULL;

	/* held by another process, until it closes the state */
	CU_ASSERT_FATAL(pipe(ready) == 0 && pipe(release) == 0);
	h.path = path;
	h.ready = ready[1];
	h.release = release[0];
	h.parent_end = release[1];
	pid = spawn(lock_child, &h);
	close(ready[1]);
	close(release[0]);
	CU_ASSERT_FATAL(read(ready[0], &c, 1) == 1);
	close(ready[0]);
	CU_ASSERT_FATAL(sdb_state_open(&a, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_lock(a, &eb), SDB_ERR_LOCKED);
	close(release[1]);
	CU_ASSERT_EQUAL(reap(pid), 0);
	CU_ASSERT_EQUAL(sdb_state_lock(a, &eb), SDB_OK);
	sdb_state_close(a);
	a = NULL;

	/* a holder killed lets go too */
	CU_ASSERT_FATAL(pipe(ready) == 0 && pipe(release) == 0);
	h.ready = ready[1];
	h.release = release[0];
	h.parent_end = release[1];
	pid = spawn(lock_child, &h);
	close(ready[1]);
	close(release[0]);
	CU_ASSERT_FATAL(read(ready[0], &c, 1) == 1);
	close(ready[0]);
	kill(pid, SIGKILL);
	CU_ASSERT_EQUAL(reap(pid), 100 + SIGKILL);
	close(release[1]);
	CU_ASSERT_FATAL(sdb_state_open(&a, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_lock(a, &eb), SDB_OK);
	sdb_state_close(a);
	unlink(link);
	remove_state(path);
}

/* --- crashes ---------------------------------------------------------- */

/* What a crash child writes after each commit returned. */
struct ack {
	int op;        /* 0 accept, 1 full_put, 2 evidence */
	int64_t i;
};

struct crash {
	const char *path;
	int acks;
	int64_t from;  /* the first step */
};

/* The full-audit progress of step i: every field says i, so a mix of
 * two steps shows. */
static void
full_of(int64_t i, struct sdb_tlog_frontier *f, struct sdb_state_dups *d,
    struct sdb_state_findings *fo)
{
	sdb_tlog_frontier_init(f);
	f->n = 256 * i;
	memset(f->h, (int)(i & 0xff), sizeof f->h);
	d->merged = 256 * i;
	d->newlen = 16 * i;
	fo->duplicates = i;
	fo->conflicts = 2 * i;
	fo->bad_records = 3 * i;
}

/* Steps from c->from on until killed: accept the tree of 1000 + i,
 * store the progress of step i, add evidence "evidence i" and a tile,
 * acknowledging each commit. */
static int
crash_child(void *arg)
{
	const struct crash *c = arg;
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	struct sdb_tlog_frontier f;
	struct sdb_state_dups d;
	struct sdb_state_findings fo;
	struct sdb_tile tile = { 8, 0, 0, 256 };
	static uint8_t blob[256 * 32];
	const uint8_t *dp[1] = { blob };
	char text[64];
	int64_t i;

	if (sdb_state_open(&st, c->path, vkey, &eb) != SDB_OK || accepted_n(st, &eb) < 0)
		return 1;
	for (i = c->from;; i++) {
		struct ack a;
		int n;

		memset(&a, 0, sizeof a);   /* its padding is written too */
		if (accept_n(st, 1000 + i, 0, &eb) != SDB_OK)
			return 2;
		a.op = 0;
		a.i = i;
		if (write(c->acks, &a, sizeof a) != (ssize_t)sizeof a)
			return 3;
		full_of(i, &f, &d, &fo);
		if (sdb_state_full_put(st, &f, &d, &fo, &eb) != SDB_OK)
			return 4;
		a.op = 1;
		if (write(c->acks, &a, sizeof a) != (ssize_t)sizeof a)
			return 3;
		n = snprintf(text, sizeof text, "evidence %lld", (long long)i);
		if (sdb_state_add_evidence(st, text, (size_t)n, &eb) != SDB_OK)
			return 5;
		a.op = 2;
		if (write(c->acks, &a, sizeof a) != (ssize_t)sizeof a)
			return 3;
		tile.n = i;
		memset(blob, (int)(i & 0xff), sizeof blob);
		if (sdb_state_tiles_put(st, &tile, 1, dp, NULL, &eb) != SDB_OK)
			return 6;
	}
}

/* sdb_state_evidence_each's callback for test_crash: counts the texts,
 * each "evidence N" whole (a text cut short would end the count at
 * -1). */
static int
ev_whole(void *arg, int64_t time, const char *text, size_t len)
{
	int64_t *n = arg;
	size_t k;

	(void)time;
	if (*n < 0)
		return 1;
	if (len < 10 || len > 30 || memcmp(text, "evidence ", 9) != 0) {
		*n = -1;
		return 1;
	}
	for (k = 9; k < len; k++)
		if (text[k] < '0' || text[k] > '9') {
			*n = -1;
			return 1;
		}
	(*n)++;
	return 0;
}

/*
 * A process killed at random points while it accepts trees, stores
 * full-audit progress, evidence and tiles, 30 times: after each kill the
 * state opens, its tree verifies and is at least the last one whose
 * accept returned, the progress is one step's whole (never fields of two
 * steps) and at least the last one stored, and no evidence is lost or cut.
 */
static void
test_crash(void)
{
	char path[512];
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	int64_t acked[3] = { 0, 0, 0 }, from = 1, ev_acked = 0;
	int round, bad = 0;

	keys();
	fresh_path(path, sizeof path);
	CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
	CU_ASSERT_FATAL(accept_n(st, 1000, 0, &eb) == SDB_OK);
	sdb_state_close(st);
	st = NULL;
	unit_rnd_seed(77);
	for (round = 0; round < 30 && bad == 0; round++) {
		struct crash c;
		struct ack a;
		struct sdb_tlog_frontier f, wf;
		struct sdb_state_dups d, wd;
		struct sdb_state_findings fo, wfo;
		int p[2], err, code;
		int64_t n, ev = 0;
		pid_t pid;

		CU_ASSERT_FATAL(pipe(p) == 0);
		c.path = path;
		c.acks = p[1];
		c.from = from;
		pid = spawn(crash_child, &c);
		close(p[1]);
		/* past the first step, then a little more */
		CU_ASSERT_FATAL(read(p[0], &a, sizeof a) == (ssize_t)sizeof a);
		acked[a.op] = a.i;
		pause_ms((long)unit_rnd(40));
		kill(pid, SIGKILL);
		code = reap(pid);
		while (read(p[0], &a, sizeof a) == (ssize_t)sizeof a) {
			acked[a.op] = a.i;
			ev_acked += a.op == 2;
		}
		close(p[0]);
		if (code != 100 + SIGKILL) {
			fprintf(stderr, "crash, round %d: the child exited %d\n", round, code);
			bad++;
			break;
		}

		if ((err = sdb_state_open(&st, path, vkey, &eb)) != SDB_OK) {
			fprintf(stderr, "crash, round %d: open: %s\n", round, eb.msg);
			bad++;
			break;
		}
		n = accepted_n(st, &eb);
		if (n < 1000 + acked[0] || n > 1000 + acked[0] + 1) {
			fprintf(stderr, "crash, round %d: accepted %lld, acknowledged %lld (%s)\n",
			    round, (long long)n, (long long)(1000 + acked[0]), eb.msg);
			bad++;
		}
		if (sdb_state_full_get(st, &f, &d, &fo, &eb) != SDB_OK) {
			fprintf(stderr, "crash, round %d: progress: %s\n", round, eb.msg);
			bad++;
		} else {
			full_of(f.n / 256, &wf, &wd, &wfo);
			if (f.n / 256 < acked[1] || memcmp(f.h, wf.h, sizeof f.h) != 0 ||
			    memcmp(&d, &wd, sizeof d) != 0 || memcmp(&fo, &wfo, sizeof fo) != 0) {
				fprintf(stderr, "crash, round %d: progress of step %lld, mixed or "
				    "older than %lld\n", round, (long long)(f.n / 256),
				    (long long)acked[1]);
				bad++;
			}
		}
		if (sdb_state_evidence_each(st, ev_whole, &ev, &eb) != SDB_OK || ev < ev_acked) {
			fprintf(stderr, "crash, round %d: %lld pieces of evidence, %lld stored\n",
			    round, (long long)ev, (long long)ev_acked);
			bad++;
		}
		sdb_state_close(st);
		st = NULL;
		from = n - 1000 + 1;
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(round == 30);
	remove_state(path);
}

/* What the child of test_crash_make shares. */
struct crash_make {
	const char *path;
	int acks;
};

/* Makes the state (it is missing) with its first tree: writes 's' as it
 * starts, 'a' once the accept returned. */
static int
crash_make_child(void *arg)
{
	const struct crash_make *c = arg;
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;

	if (write(c->acks, "s", 1) != 1)
		return 2;
	if (sdb_state_open(&st, c->path, vkey, &eb) != SDB_OK ||
	    accept_n(st, 300, 0, &eb) != SDB_OK)
		return 1;
	if (write(c->acks, "a", 1) != 1)
		return 2;
	sdb_state_close(st);
	return 0;
}

/*
 * A first run killed while it makes the state, at random points, 40
 * times: the state's name then names nothing or a whole state (holding
 * the tree when the accept returned, or no tree when it did not), never
 * a file that is refused, and the next run goes on.
 */
static void
test_crash_make(void)
{
	char path[512];
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	struct stat sb;
	int round, bad = 0, made = 0;
	long took_ms = 0;

	keys();
	fresh_path(path, sizeof path);
	unit_rnd_seed(78);
	/* round -1 measures how long a whole first write takes here (under
	 * valgrind, many times longer), so that the kills fall all over it */
	for (round = -1; round < 40 && bad == 0; round++) {
		struct crash_make c;
		struct timespec t0, t1;
		int p[2], acked = 0;
		int64_t n;
		pid_t pid;
		char ch;

		remove_state(path);
		CU_ASSERT_FATAL(pipe(p) == 0);
		c.path = path;
		c.acks = p[1];
		pid = spawn(crash_make_child, &c);
		close(p[1]);
		CU_ASSERT_FATAL(read(p[0], &ch, 1) == 1 && ch == 's');
		if (round < 0) {
			clock_gettime(CLOCK_MONOTONIC, &t0);
			acked = read(p[0], &ch, 1) == 1;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			CU_ASSERT_FATAL(acked && reap(pid) == 0);
			close(p[0]);
			took_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
			continue;
		}
		pause_ms((long)unit_rnd((uint32_t)(took_ms + took_ms / 4 + 1)));
		kill(pid, SIGKILL);
		(void)reap(pid);
		acked = read(p[0], &ch, 1) == 1;
		close(p[0]);
		if (stat(path, &sb) != 0) {
			if (acked) {
				fprintf(stderr, "crash while making, round %d: no file after the "
				    "accept returned\n", round);
				bad++;
			}
		} else {
			made++;
		}
		if (sdb_state_open(&st, path, vkey, &eb) != SDB_OK) {
			fprintf(stderr, "crash while making, round %d: %s\n", round, eb.msg);
			bad++;
			continue;
		}
		n = accepted_n(st, &eb);
		if (!(n == 300 || (n == -1 && !acked))) {
			fprintf(stderr, "crash while making, round %d: accepted %lld (%s)\n", round,
			    (long long)n, eb.msg);
			bad++;
		}
		if (n == -1 && accept_n(st, 300, 0, &eb) != SDB_OK) {
			fprintf(stderr, "crash while making, round %d: the next run: %s\n", round,
			    eb.msg);
			bad++;
		}
		sdb_state_close(st);
		st = NULL;
		/* what the killed run was making it in is gone too */
		if (count_tmp(path) != 0) {
			fprintf(stderr, "crash while making, round %d: a temporary file is left "
			    "after the next run\n", round);
			bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(made > 0);
	remove_state(path);
}

/* What the child of test_stale_tmp shares: it holds the lock of the file
 * at path (as a run making a state does) from when it writes to ready
 * until release is closed. */
struct holder {
	const char *path;
	int ready, release, parent_end;
};

static int
holder_child(void *arg)
{
	const struct holder *h = arg;
	int fd;
	char c;

	close(h->parent_end);
	if ((fd = open(h->path, O_RDWR | O_CLOEXEC)) < 0 || flock(fd, LOCK_EX) != 0)
		return 1;
	if (write(h->ready, "r", 1) != 1)
		return 2;
	(void)read(h->release, &c, 1);
	close(fd);
	return 0;
}

/* Makes the file path with a little content. */
static void
touch(const char *path)
{
	FILE *fp = fopen(path, "w");

	CU_ASSERT_FATAL(fp != NULL);
	fputs("left behind\n", fp);
	fclose(fp);
}

/* 1 when path names a file. */
static int
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

/*
 * What a run killed while making the state left (PATH.new-XXXXXX and its
 * SQLite files) is removed by the next open, whether the state exists or
 * is made by it; a temporary file a live run holds locked is left alone
 * until it is released, and names that are not a temporary file of this
 * state (another state's, another length, another character) are never
 * touched.
 */
static void
test_stale_tmp(void)
{
	static const char *const stale[] = { ".new-Ab12Cd", ".new-Ab12Cd-wal", ".new-Ab12Cd-shm",
	    ".new-zzzzzz" };
	static const char *const kept[] = { ".new-Ab12C", ".new-Ab12Cde", ".new-Ab1-Cd",
	    ".new-Ab12Cd.bak", "x.new-Ab12Cd" };
	char path[512], p2[600], live[600], livewal[620], c;
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	struct holder h;
	int pass, ready[2], release[2];
	size_t i;
	pid_t pid;

	keys();
	for (pass = 0; pass < 2; pass++) {
		/* pass 0: the state exists; pass 1: this open makes it */
		fresh_path(path, sizeof path);
		if (pass == 0)
			make_state(path, 10);
		for (i = 0; i < sizeof stale / sizeof stale[0]; i++) {
			snprintf(p2, sizeof p2, "%s%s", path, stale[i]);
			touch(p2);
		}
		for (i = 0; i < sizeof kept / sizeof kept[0]; i++) {
			snprintf(p2, sizeof p2, "%s%s", path, kept[i]);
			touch(p2);
		}
		snprintf(live, sizeof live, "%s.new-Live01", path);
		snprintf(livewal, sizeof livewal, "%s-wal", live);
		touch(live);
		touch(livewal);
		CU_ASSERT_FATAL(pipe(ready) == 0 && pipe(release) == 0);
		h.path = live;
		h.ready = ready[1];
		h.release = release[0];
		h.parent_end = release[1];
		pid = spawn(holder_child, &h);
		close(ready[1]);
		close(release[0]);
		CU_ASSERT_FATAL(read(ready[0], &c, 1) == 1);
		close(ready[0]);

		CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
		CU_ASSERT_EQUAL(accept_n(st, 20, 0, &eb), SDB_OK);
		sdb_state_close(st);
		st = NULL;
		for (i = 0; i < sizeof stale / sizeof stale[0]; i++) {
			snprintf(p2, sizeof p2, "%s%s", path, stale[i]);
			CU_ASSERT(!exists(p2));
		}
		for (i = 0; i < sizeof kept / sizeof kept[0]; i++) {
			snprintf(p2, sizeof p2, "%s%s", path, kept[i]);
			CU_ASSERT(exists(p2));
			unlink(p2);
		}
		CU_ASSERT(exists(live) && exists(livewal));

		/* released: the next open removes it */
		close(release[1]);
		CU_ASSERT_EQUAL(reap(pid), 0);
		CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
		sdb_state_close(st);
		st = NULL;
		CU_ASSERT(!exists(live) && !exists(livewal));
		CU_ASSERT_EQUAL(count_tmp(path), 0);
		remove_state(path);
	}
}

/* --- a full disk ------------------------------------------------------ */

/*
 * The first write of a state that finds the disk full (RLIMIT_FSIZE, in a
 * child so that the limit stays there) leaves no file, not even the one
 * it was being made in: an empty one would be refused as damaged by every
 * later run.  With room again the next write makes it.  0 when all held.
 */
static int
full_disk_child(void *arg)
{
	const char *path = arg;
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	struct rlimit rl, saved;
	struct stat sb;

	signal(SIGXFSZ, SIG_IGN);   /* a failing write, not a killed process */
	if (sdb_state_open(&st, path, vkey, &eb) != SDB_OK)
		return 10;
	if (getrlimit(RLIMIT_FSIZE, &saved) != 0)
		return 11;
	rl = saved;
	rl.rlim_cur = 0;
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 12;
	if (accept_n(st, 300, 0, &eb) == SDB_OK)
		return 13;
	if (stat(path, &sb) == 0)
		return 14;   /* left behind */
	if (count_tmp(path) != 0)
		return 18;   /* the file it was being made in, left behind */
	if (setrlimit(RLIMIT_FSIZE, &saved) != 0)
		return 15;
	if (accept_n(st, 300, 0, &eb) != SDB_OK)
		return 16;
	sdb_state_close(st);
	st = NULL;
	if (sdb_state_open(&st, path, vkey, &eb) != SDB_OK || accepted_n(st, &eb) != 300)
		return 17;
	sdb_state_close(st);
	return 0;
}

static void
test_full_disk(void)
{
	char path[512];

	keys();
	fresh_path(path, sizeof path);
	CU_ASSERT_EQUAL(reap(spawn(full_disk_child, path)), 0);
	remove_state(path);
}

/* --- descriptors ------------------------------------------------------ */

#define FD_SCAN 1024

/* Marks in open[] the descriptors open now. */
static void
fds_open(unsigned char open_now[FD_SCAN])
{
	int fd;

	for (fd = 0; fd < FD_SCAN; fd++)
		open_now[fd] = fcntl(fd, F_GETFD) != -1;
}

/*
 * Every descriptor a state opens is close-on-exec (a program that runs
 * another must not hand it the state), and none is left after close.
 */
static void
test_cloexec(void)
{
	char path[512];
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	struct sdb_tlog_frontier f;
	struct sdb_state_dups d = { 0, 0 };
	struct sdb_state_findings fo = { 0, 0, 0 };
	struct sdb_tile tile = { 8, 0, 0, 1 };
	uint8_t h[32] = { 0 }, buf[32];
	const uint8_t *dp[1] = { h };
	unsigned char before[FD_SCAN], during[FD_SCAN], after[FD_SCAN];
	int fd, leaked = 0, inherit = 0, opened = 0, pass;

	keys();
	fresh_path(path, sizeof path);
	for (pass = 0; pass < 2; pass++) {
		/* pass 0 makes the file, pass 1 opens it */
		fds_open(before);
		CU_ASSERT_FATAL(sdb_state_open(&st, path, vkey, &eb) == SDB_OK);
		CU_ASSERT_EQUAL(accept_n(st, 10 + pass, 0, &eb), SDB_OK);
		CU_ASSERT_EQUAL(sdb_state_add_evidence(st, "e", 1, &eb), SDB_OK);
		CU_ASSERT_EQUAL(sdb_state_tiles_put(st, &tile, 1, dp, NULL, &eb), SDB_OK);
		CU_ASSERT_EQUAL(sdb_state_tile_get(st, &tile, buf, 32), SDB_OK);
		sdb_tlog_frontier_init(&f);
		CU_ASSERT_EQUAL(sdb_state_full_put(st, &f, &d, &fo, &eb), SDB_OK);
		CU_ASSERT_EQUAL(sdb_state_lock(st, &eb), SDB_OK);
		fds_open(during);
		for (fd = 0; fd < FD_SCAN; fd++) {
			if (!during[fd] || before[fd])
				continue;
			opened++;
			if ((fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0) {
				fprintf(stderr, "cloexec: descriptor %d is not close-on-exec\n", fd);
				inherit++;
			}
		}
		sdb_state_close(st);
		st = NULL;
		fds_open(after);
		for (fd = 0; fd < FD_SCAN; fd++)
			leaked += after[fd] && !before[fd];
	}
	CU_ASSERT(opened > 0);
	CU_ASSERT_EQUAL(inherit, 0);
	CU_ASSERT_EQUAL(leaked, 0);
	remove_state(path);
}

static void
cleanup_keys(void)
{
	sdb_note_signer_free(signer);
	sdb_note_signer_free(other_signer);
	sdb_note_verifier_free(verifier);
	sdb_note_verifier_free(other_verifier);
	free(vkey);
	free(other_vkey);
	signer = other_signer = NULL;
	verifier = other_verifier = NULL;
	vkey = other_vkey = NULL;
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "first_run", test_first_run },
		{ "accepted", test_accepted },
		{ "never_backwards", test_never_backwards },
		{ "evidence", test_evidence },
		{ "tiles", test_tiles },
		{ "full_progress", test_full_progress },
		{ "older_state", test_older_state },
		{ "not_a_state", test_not_a_state },
		{ "newer_schema", test_newer_schema },
		{ "not_regular", test_not_regular },
		{ "hard_link", test_hard_link },
		{ "damaged", test_damaged },
		{ "read_only_file", test_read_only_file },
		{ "read_only_dir", test_read_only_dir },
		{ "accept_race", test_accept_race },
		{ "accept_in_file", test_accept_in_file },
		{ "evidence_in_file", test_evidence_in_file },
		{ "checkpoint_later", test_checkpoint_later },
		{ "make_race", test_make_race },
		{ "serialise", test_serialise },
		{ "busy", test_busy },
		{ "lock", test_lock },
		{ "crash", test_crash },
		{ "crash_make", test_crash_make },
		{ "stale_tmp", test_stale_tmp },
		{ "full_disk", test_full_disk },
		{ "cloexec", test_cloexec },
		{ "cleanup", cleanup_keys },
		{ NULL, NULL },
	};

	unit_suite("state", tests);
}
