/*
 * The verifier's state file in SQLite (include/csumdb/state.h).  This is a
 * second SQLite adapter beside store_sqlite.c on purpose: the server's
 * store and the verifier's state share no table, no invariant and no
 * caller (the store enforces gap-free record ids, append-only tiles and a
 * single-writer lock; the state holds one accepted note, evidence and a
 * cache), so putting both behind one API would only couple the two
 * programs.  Each file is the only user of SQLite for its own database.
 *
 * Schema (version 1):
 *   meta(key PRIMARY KEY, value)          "schema" = 1, "vkey" = the log's key
 *   accepted(id = 1, size, hash, note)    the accepted tree
 *   evidence(id, time, text)              proofs of misbehavior
 *   tiles(h, l, n, data)                  tile cache (data tiles l = -1)
 *   full(id = 1, size, frontier)          full-audit progress
 *   dups(id = 1, merged, newlen)          the duplicate index's files
 *                                         (dupidx.h): ids below merged are
 *                                         in STATE-dups, and newlen bytes
 *                                         of STATE-dups.new are committed
 *   findings(id = 1, duplicates,          what full audits found in the
 *     conflicts, bad_records)             records they committed (added
 *                                         to older states at open)
 * (An older table seen(path, version, id, leaf), a B-tree index of every
 * module@version, is dropped when found; its progress is not resumed.)
 *
 * Beside the state: STATE-wal and STATE-shm (SQLite's), STATE-lock
 * (sdb_state_lock), and while a state is made, STATE.new-XXXXXX
 * (state_make).
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csumdb/state.h"
#include "csumdb/treenote.h"
#include "clock.h"
#include "fileio.h"
#include "limits.h"
#include "sqlite_open.h"

#define STATE_SCHEMA "1"
#define BUSY_TIMEOUT_MS 5000
/* The pause between tries of a checkpoint that another one held up. */
#define CHECKPOINT_RETRY_MS 10

enum { Q_TILE_GET, Q_TILE_PUT, Q_NUM };

static const char *const q_sql[Q_NUM] = {
	"SELECT data FROM tiles WHERE h = ?1 AND l = ?2 AND n = ?3",
	"INSERT INTO tiles(h, l, n, data) VALUES (?1, ?2, ?3, ?4) "
	"ON CONFLICT(h, l, n) DO UPDATE SET data = excluded.data "
	"WHERE length(excluded.data) > length(tiles.data)",
};

struct sdb_state {
	sqlite3 *db;      /* NULL: the file is not made yet (state_create) */
	char *path, *vkey;
	int in_full;      /* a full-audit transaction is open */
	int reader;       /* opened by sdb_state_open_read: never written */
	int immutable;    /* read without locks (state_open_immutable) */
	int lock_fd;      /* the flocked PATH-lock (sdb_state_lock), else -1 */
	/* What sdb_state_accepted last read through this handle, so that
	 * sdb_state_accept replaces only the tree the caller checked
	 * against: 0 nothing read, 1 no tree, 2 seen_size/seen_hash. */
	int seen;
	int64_t seen_size;
	sdb_hash seen_hash;
	sqlite3_stmt *q[Q_NUM];
};

/* A message about the state file: "state file PATH: " and fmt. */
static int SDB_PRINTF(4, 5)
st_errf(const struct sdb_state *st, struct sdb_errbuf *eb, int code, const char *fmt, ...)
{
	char msg[SDB_ERRBUF_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return sdb_errf(eb, code, "state file %s: %s", st->path, msg);
}

/*
 * An SQLite failure rc while doing what, said so that the operator knows
 * what to do: whose lock to wait for, that the file is damaged and how to
 * start again, that it must be writable, that the disk is full.
 */
static int
sq_fail(struct sdb_state *st, struct sdb_errbuf *eb, int rc, const char *what)
{
	const char *msg = st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
	int sys = st->db != NULL ? sqlite3_system_errno(st->db) : 0, e, ret;
	char *dir;

	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return st_errf(st, eb, SDB_ERR_LOCKED, "%s: %s: another process (another sumdb, or "
		    "an sqlite3 shell in a transaction) held it locked for %d s; nothing was "
		    "stored: run again when it is done", what, msg, BUSY_TIMEOUT_MS / 1000);
	case SQLITE_CORRUPT:
		/* read without locks, a page a writer was changing reads so */
		if (st->immutable)
			return st_errf(st, eb, SDB_ERR_IO, "%s: %s, read as it is in the file (its "
			    "directory cannot be written): another process may have written it "
			    "meanwhile: run again; if it stays so, the file is damaged", what, msg);
		return st_errf(st, eb, SDB_ERR_INVALID, "the file is damaged (%s: %s): restore it "
		    "from a backup, or move it aside, with its -wal file (it may hold evidence), "
		    "to start again with a first run that trusts the tree it is shown", what, msg);
	case SQLITE_NOTADB:
		return st_errf(st, eb, SDB_ERR_INVALID, "not an SQLite database, so not a state "
		    "file (%s: %s): if it is the state, it is damaged: restore it from a backup; "
		    "else give --state the state file", what, msg);
	case SQLITE_FULL:
		return st_errf(st, eb, SDB_ERR_IO, "%s: %s%s%s%s: make room on its file system and "
		    "run again", what, msg, sys != 0 ? " (" : "", sys != 0 ? strerror(sys) : "",
		    sys != 0 ? ")" : "");
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
		/* SQLite makes STATE-wal and STATE-shm beside the file at the
		 * first read: a directory that may only be read fails every
		 * open with words that point at the file */
		if ((dir = sdb_path_dir(st->path)) != NULL && access(dir, W_OK | X_OK) != 0) {
			e = errno;
			ret = st_errf(st, eb, SDB_ERR_IO, "%s: %s: its directory %s cannot be "
			    "written (%s), and SQLite makes the state's -wal and -shm files there, "
			    "even to read it: let this user write the directory", what, msg, dir,
			    strerror(e));
			free(dir);
			return ret;
		}
		free(dir);
		if ((rc & 0xff) == SQLITE_READONLY)
			return st_errf(st, eb, SDB_ERR_IO, "%s: %s (the file must be writable by "
			    "this user)", what, msg);
		SDB_FALLTHROUGH;
	case SQLITE_IOERR:
		/* "disk I/O error", "unable to open database file": the
		 * system's reason says which */
		if (sys != 0)
			return st_errf(st, eb, SDB_ERR_IO, "%s: %s (%s)", what, msg, strerror(sys));
		break;
	default:
		break;
	}
	return st_errf(st, eb, SDB_ERR_IO, "%s: %s", what, msg);
}

/* Runs sql; a failure is reported as what. */
static int
exec_what(struct sdb_state *st, const char *sql, const char *what, struct sdb_errbuf *eb)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? SDB_OK : sq_fail(st, eb, rc, what);
}

/* A short statement ("COMMIT") names itself. */
static int
exec(struct sdb_state *st, const char *sql, struct sdb_errbuf *eb)
{
	return exec_what(st, sql, sql, eb);
}

static int
q_get(struct sdb_state *st, int id, sqlite3_stmt **out, struct sdb_errbuf *eb)
{
	*out = NULL;
	if (st->q[id] == NULL) {
		int rc = sqlite3_prepare_v3(st->db, q_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
		    &st->q[id], NULL);
		if (rc != SQLITE_OK)
			return sq_fail(st, eb, rc, "prepare");
	}
	sqlite3_reset(st->q[id]);
	sqlite3_clear_bindings(st->q[id]);
	*out = st->q[id];
	return SDB_OK;
}

/* Reads meta key into a malloc'ed string (*val NULL when absent). */
static int
meta_get(struct sdb_state *st, const char *key, char **val, struct sdb_errbuf *eb)
{
	sqlite3_stmt *s;
	int rc;

	*val = NULL;
	rc = sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(st, eb, rc, "read meta");
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(s, 0);
		if (t != NULL && (*val = strdup((const char *)t)) == NULL)
			rc = SQLITE_NOMEM;
		else
			rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE) {
		rc = sq_fail(st, eb, rc, "read meta");
		sqlite3_finalize(s);
		return rc;
	}
	sqlite3_finalize(s);
	return SDB_OK;
}

/*
 * Why a new state file cannot be made, when that is the reason: SQLite's
 * own errno is that of its last try (a read-only open), not of the
 * create.  SDB_OK when the file exists or its directory is writable.
 */
static int
cannot_create(const char *path, struct sdb_errbuf *eb)
{
	struct stat sb;
	char *dir;
	int rc = SDB_OK;

	if (stat(path, &sb) == 0 || errno != ENOENT || (dir = sdb_path_dir(path)) == NULL)
		return SDB_OK;
	if (stat(dir, &sb) != 0)
		rc = sdb_errf(eb, SDB_ERR_IO, "cannot create the state file %s: directory %s: %s",
		    path, dir, strerror(errno));
	else if (access(dir, W_OK | X_OK) != 0)
		rc = sdb_errf(eb, SDB_ERR_IO, "cannot create the state file %s in %s: %s", path,
		    dir, strerror(errno));
	free(dir);
	return rc;
}

/* The tables a state may hold; "seen" is an older one, dropped at open. */
#define STATE_TABLES "'meta','accepted','evidence','tiles','full','dups','findings','seen'"

/*
 * SDB_OK when the database is empty or holds only a state's tables (meta
 * among them), else SDB_ERR_INVALID naming a table that is not ours.
 */
static int
foreign_tables(struct sdb_state *st, struct sdb_errbuf *eb)
{
	static const char q[] =
	    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN (" STATE_TABLES ") "
	    "UNION ALL SELECT '' WHERE EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table') "
	    "AND NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta') "
	    "LIMIT 1";
	sqlite3_stmt *s;
	int rc, err = SDB_OK;

	if ((rc = sqlite3_prepare_v2(st->db, q, -1, &s, NULL)) != SQLITE_OK)
		return sq_fail(st, eb, rc, "read the schema");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);

		if (name != NULL && name[0] != '\0')
			err = st_errf(st, eb, SDB_ERR_INVALID, "not a sumdb state file (it holds the "
			    "table %s, which a state has not): give --state a file of its own; this "
			    "one is left as it is", name);
		else
			err = st_errf(st, eb, SDB_ERR_INVALID, "not a sumdb state file (it holds "
			    "tables but no meta table): give --state a file of its own; this one is "
			    "left as it is");
	} else if (rc != SQLITE_DONE) {
		err = sq_fail(st, eb, rc, "read the schema");
	}
	sqlite3_finalize(s);
	return err;
}

/* SQLite's files beside a database. */
static const char *const sqlite_side[] = { "-wal", "-shm", "-journal" };

/*
 * Removes the database name (relative to the directory dfd, or AT_FDCWD)
 * and SQLite's files beside it; those first, so that a process killed on
 * the way leaves the database's name, which tmp_sweep finds, rather than
 * files without it.
 */
static void
unlink_made(int dfd, const char *name)
{
	char side[4096 + 16];
	size_t i;

	for (i = 0; i < sizeof sqlite_side / sizeof sqlite_side[0]; i++)
		if ((size_t)snprintf(side, sizeof side, "%s%s", name, sqlite_side[i]) < sizeof side)
			(void)unlinkat(dfd, side, 0);
	(void)unlinkat(dfd, name, 0);
}

/* 1 when name is base followed by ".new-" and the six letters or digits
 * that mkstemp puts for "XXXXXX" (state_make's temporary name). */
static int
is_tmp_name(const char *name, const char *base, size_t blen)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	if (strncmp(name, base, blen) != 0 || strncmp(name + blen, ".new-", 5) != 0)
		return 0;
	name += blen + 5;
	return strlen(name) == 6 && strspn(name, alnum) == 6;
}

/*
 * Removes what runs killed while making the state at path left beside it:
 * PATH.new-XXXXXX (and its SQLite files) that no process holds locked.  A
 * run making a state holds its temporary file's lock until the name is
 * gone (state_make), so a locked one is left alone; a lock won on a file
 * that no longer has the name is no lock.  Failures are ignored: what is
 * left is only untidy, and the next open tries again.
 */
static void
tmp_sweep(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash != NULL ? slash + 1 : path;
	size_t blen = strlen(base);
	struct dirent *e;
	char *dir;
	DIR *d;
	int dfd;

	if ((dir = sdb_path_dir(path)) == NULL)
		return;
	d = opendir(dir);
	free(dir);
	if (d == NULL)
		return;
	dfd = dirfd(d);
	while ((e = readdir(d)) != NULL) {
		struct stat held, named;
		int fd;

		if (!is_tmp_name(e->d_name, base, blen))
			continue;
		fd = openat(dfd, e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (fstat(fd, &held) == 0 && S_ISREG(held.st_mode) &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0 &&
		    fstatat(dfd, e->d_name, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
		    held.st_dev == named.st_dev && held.st_ino == named.st_ino)
			unlink_made(dfd, e->d_name);
		close(fd);
	}
	closedir(d);
}

/* How often state_make makes another temporary file when a sweep by
 * another run took its file before it was locked. */
#define MAKE_TRIES 8

/*
 * Makes a temporary file for a new state beside st->path and locks it
 * (tmp_sweep leaves it alone from then on): *fd, *tmp (the caller frees
 * it).  A sweep by another run may take the file between its making and
 * the lock, so the lock must be on the file that still has the name.
 */
static int
tmp_make(struct sdb_state *st, char **tmp, int *fd, struct sdb_errbuf *eb)
{
	struct stat held, named;
	int i, e, rc;

	for (i = 0; i < MAKE_TRIES; i++) {
		if ((*tmp = sdb_path_join(st->path, ".new-XXXXXX")) == NULL)
			return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		if ((*fd = sdb_mkstemp_umask(*tmp)) < 0) {
			e = errno;
			free(*tmp);
			*tmp = NULL;
			if ((rc = cannot_create(st->path, eb)) == SDB_OK)
				rc = sdb_errf(eb, SDB_ERR_IO, "cannot create the state file %s: %s",
				    st->path, strerror(e));
			return rc;
		}
		if (flock(*fd, LOCK_EX | LOCK_NB) == 0 && fstat(*fd, &held) == 0 &&
		    stat(*tmp, &named) == 0 && held.st_dev == named.st_dev &&
		    held.st_ino == named.st_ino)
			return SDB_OK;
		/* swept: the sweeper removes it (or did) */
		close(*fd);
		*fd = -1;
		free(*tmp);
		*tmp = NULL;
	}
	return sdb_errf(eb, SDB_ERR_IO, "cannot create the state file %s: its temporary files "
	    "are removed as fast as they are made", st->path);
}

/*
 * Refuses a state whose schema (NULL: none) is not STATE_SCHEMA: one of a
 * newer csumdb says so, since only that csumdb can read it.
 */
static int
schema_refused(struct sdb_state *st, const char *schema, struct sdb_errbuf *eb)
{
	size_t n = schema != NULL ? strspn(schema, "0123456789") : 0;

	if (n > 0 && n < 10 && schema[n] == '\0' && schema[0] != '0' &&
	    strtol(schema, NULL, 10) > strtol(STATE_SCHEMA, NULL, 10))
		return st_errf(st, eb, SDB_ERR_INVALID, "it was written by a newer csumdb (state "
		    "schema %s; this one reads schema " STATE_SCHEMA "): use that csumdb; the file "
		    "is left as it is", schema);
	return st_errf(st, eb, SDB_ERR_INVALID, "unknown state schema %s%s%s: not a state of "
	    "this csumdb; the file is left as it is", schema != NULL ? "\"" : "(none)",
	    schema != NULL ? schema : "", schema != NULL ? "\"" : "");
}

/*
 * Refuses a database that holds a meta table (a state, or one of a newer
 * csumdb) of another schema, before anything else is looked at: a newer
 * state may hold tables this one does not know, and is not "another
 * program's database".
 */
static int
schema_first(struct sdb_state *st, struct sdb_errbuf *eb)
{
	sqlite3_stmt *s;
	char *schema = NULL;
	int rc, err, has_meta = 0;

	rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
	    "AND name = 'meta'", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(st, eb, rc, "read the schema");
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		has_meta = sqlite3_column_int(s, 0) > 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return sq_fail(st, eb, rc, "read the schema");
	if (!has_meta)
		return SDB_OK;
	if ((err = meta_get(st, "schema", &schema, eb)) == SDB_OK && schema != NULL &&
	    strcmp(schema, STATE_SCHEMA) != 0)
		err = schema_refused(st, schema, eb);
	free(schema);
	return err;
}

/*
 * Checks the state's schema and key against st->vkey: a state of another
 * schema or another log is refused.  *has_key tells whether it holds a
 * key yet (a state being made has none until state_setup writes it).
 */
static int
meta_check(struct sdb_state *st, int *has_key, struct sdb_errbuf *eb)
{
	char *schema = NULL, *key = NULL;
	int err;

	if ((err = meta_get(st, "schema", &schema, eb)) == SDB_OK &&
	    (err = meta_get(st, "vkey", &key, eb)) == SDB_OK) {
		if (schema == NULL || strcmp(schema, STATE_SCHEMA) != 0)
			err = schema_refused(st, schema, eb);
		else if (key != NULL && strcmp(key, st->vkey) != 0)
			err = st_errf(st, eb, SDB_ERR_INVALID, "it belongs to another log (%s): give "
			    "--state a file of its own for this key", key);
		*has_key = key != NULL;
	}
	free(schema);
	free(key);
	return err;
}

/*
 * *complete is 1 when the database holds every table of this schema and
 * no older one, in WAL mode: nothing to set up, so nothing to write.
 */
static int
state_complete(struct sdb_state *st, int *complete, struct sdb_errbuf *eb)
{
	static const char q[] =
	    "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
	    "('meta','accepted','evidence','tiles','full','dups','findings')) = 7 AND NOT EXISTS "
	    "(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'seen') AND "
	    "(SELECT journal_mode FROM pragma_journal_mode) = 'wal'";
	sqlite3_stmt *s;
	int rc;

	*complete = 0;
	if ((rc = sqlite3_prepare_v2(st->db, q, -1, &s, NULL)) != SQLITE_OK)
		return sq_fail(st, eb, rc, "read the schema");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*complete = sqlite3_column_int(s, 0) == 1;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? SDB_OK : sq_fail(st, eb, rc, "read the schema");
}

/*
 * Sets up the state open in st->db for st->vkey: WAL, the tables (created
 * when missing, an older one dropped), and the checks of schema and key,
 * writing the key when the state has none yet.  One transaction.
 */
static int
state_setup(struct sdb_state *st, struct sdb_errbuf *eb)
{
	int rc, err, has_key = 0;

	/* WAL: a commit is one append to the log, atomic across crashes;
	 * FULL: and durable before the call returns. */
	if ((err = exec_what(st, "PRAGMA journal_mode=WAL", "set WAL mode", eb)) != SDB_OK ||
	    (err = exec_what(st, "PRAGMA synchronous=FULL", "set synchronous", eb)) != SDB_OK ||
	    (err = exec(st, "BEGIN IMMEDIATE", eb)) != SDB_OK)
		return err;
	if ((err = exec_what(st,
	    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	    "CREATE TABLE IF NOT EXISTS accepted(id INTEGER PRIMARY KEY CHECK (id = 1),"
	    " size INTEGER NOT NULL, hash BLOB NOT NULL, note BLOB NOT NULL);"
	    "CREATE TABLE IF NOT EXISTS evidence(id INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
	    " text TEXT NOT NULL);"
	    "CREATE TABLE IF NOT EXISTS tiles(h INTEGER, l INTEGER, n INTEGER, data BLOB NOT NULL,"
	    " PRIMARY KEY(h, l, n)) WITHOUT ROWID;"
	    "CREATE TABLE IF NOT EXISTS full(id INTEGER PRIMARY KEY CHECK (id = 1),"
	    " size INTEGER NOT NULL, frontier BLOB NOT NULL);"
	    "CREATE TABLE IF NOT EXISTS dups(id INTEGER PRIMARY KEY CHECK (id = 1),"
	    " merged INTEGER NOT NULL, newlen INTEGER NOT NULL);"
	    "CREATE TABLE IF NOT EXISTS findings(id INTEGER PRIMARY KEY CHECK (id = 1),"
	    " duplicates INTEGER NOT NULL, conflicts INTEGER NOT NULL,"
	    " bad_records INTEGER NOT NULL);"
	    "DROP TABLE IF EXISTS seen;"
	    "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '" STATE_SCHEMA "');",
	    "create tables", eb)) != SDB_OK)
		goto fail;
	if ((err = meta_check(st, &has_key, eb)) != SDB_OK)
		goto fail;
	if (!has_key) {
		sqlite3_stmt *s;

		rc = sqlite3_prepare_v2(st->db, "INSERT INTO meta(key, value) VALUES ('vkey', ?1)",
		    -1, &s, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(s, 1, st->vkey, -1, SQLITE_STATIC);
			rc = sqlite3_step(s);
			sqlite3_finalize(s);
		}
		if (rc != SQLITE_DONE && rc != SQLITE_OK) {
			err = sq_fail(st, eb, rc, "write meta");
			goto fail;
		}
	}
	if ((err = exec(st, "COMMIT", eb)) != SDB_OK)
		goto fail;
	return SDB_OK;
fail:
	(void)exec(st, "ROLLBACK", NULL);
	return err;
}

/*
 * Makes the state file st->path, missing until now.  The state is built
 * under a temporary name beside it (PATH.new-XXXXXX) and moved into place
 * only if nothing is there yet, so that the path never names a half-made
 * state: a failed first write (a full disk) leaves no file that later runs
 * would refuse as damaged, and two runs making one state at once cannot
 * remove each other's.  The temporary file stays locked until its name is
 * gone, so that what a killed run leaves is told from what a live one is
 * making (tmp_sweep).  SDB_OK also when another run made it first: the
 * caller opens and checks whatever is there.
 */
static int
state_make(struct sdb_state *st, struct sdb_errbuf *eb)
{
	char *tmp = NULL;
	int fd, rc, err;

	if ((err = tmp_make(st, &tmp, &fd, eb)) != SDB_OK)
		return err;
	rc = sdb_sqlite_open(tmp, SQLITE_OPEN_READWRITE, &st->db);
	if (rc != SQLITE_OK) {
		err = sq_fail(st, eb, rc, "create");
	} else {
		sqlite3_extended_result_codes(st->db, 1);
		err = state_setup(st, eb);
	}
	/* closing the last connection checkpoints the WAL into the file
	 * (synced: synchronous=FULL) and removes it */
	if (sqlite3_close(st->db) != SQLITE_OK && err == SDB_OK)
		err = st_errf(st, eb, SDB_ERR_INTERNAL, "closing it, new, failed");
	st->db = NULL;
	if (err == SDB_OK) {
		if (renameat2(AT_FDCWD, tmp, AT_FDCWD, st->path, RENAME_NOREPLACE) == 0)
			errno = 0;
		else if (errno == EINVAL || errno == ENOSYS)   /* the file system cannot */
			/* (two names until unlink_made below: an open by
			 * another run meanwhile is refused, and says why) */
			errno = link(tmp, st->path) == 0 ? 0 : errno;
		if (errno != 0 && errno != EEXIST)
			err = sdb_errf(eb, SDB_ERR_IO, "cannot create the state file %s: %s", st->path,
			    strerror(errno));
		else if (errno == 0 && sdb_sync_dir(st->path) != 0)
			err = sdb_errf(eb, SDB_ERR_IO, "cannot sync the directory of the state file %s: "
			    "%s", st->path, strerror(errno));
	}
	/* gone already after a rename; the lock goes after the name */
	unlink_made(AT_FDCWD, tmp);
	close(fd);
	free(tmp);
	return err;
}

/*
 * Whether a reader (sdb_state_open_read) opens st->path as it is in the
 * file, with SQLite's immutable mode: when its directory cannot be
 * written, SQLite cannot make the -shm file it needs to read a state in
 * WAL mode, and refuses; yet another user's state in that user's
 * directory, or one on a read-only mount, is what sumdb evidence is
 * asked to read.  Only when no -wal file is beside it: without one no
 * process has the state open, and every tree and piece of evidence is in
 * the file itself (each is copied there before it is reported stored);
 * with one, SQLite reads the -wal through a -shm it may only read.
 */
static int
state_read_as_is(const struct sdb_state *st)
{
	struct stat sb;
	char *dir, *wal;
	int as_is = 0;

	if (!st->reader || (dir = sdb_path_dir(st->path)) == NULL)
		return 0;
	if (access(dir, W_OK | X_OK) != 0 && (wal = sdb_path_join(st->path, "-wal")) != NULL) {
		as_is = lstat(wal, &sb) != 0 && errno == ENOENT;
		free(wal);
	}
	free(dir);
	return as_is;
}

/*
 * Opens path read-only in SQLite's immutable mode (no locks, no -shm),
 * through a URI in which every byte but an unreserved one is
 * percent-encoded (a '?', '#' or '%' in a file name is no URI syntax).
 */
static int
state_open_immutable(const char *path, sqlite3 **db)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char tail[] = "?immutable=1";
	size_t n = strlen(path), i, k;
	char *uri;
	int rc;

	*db = NULL;
	if ((uri = malloc(7 + 3 * n + sizeof tail)) == NULL)
		return SQLITE_NOMEM;
	memcpy(uri, "file:", 5);
	k = 5;
	if (path[0] != '/') {
		uri[k++] = '.';
		uri[k++] = '/';
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '/' || c == '.' || c == '_' || c == '-' || c == '~') {
			uri[k++] = (char)c;
		} else {
			uri[k++] = '%';
			uri[k++] = hex[c >> 4];
			uri[k++] = hex[c & 15];
		}
	}
	memcpy(uri + k, tail, sizeof tail);
	rc = sqlite3_open_v2(uri, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	free(uri);
	return rc;
}

/*
 * Opens st->path as a state for st->vkey, making the file (state_make)
 * when missing, with every check a state file gets: not empty, no table
 * of another program, this schema, this key.  On failure st->db is NULL.
 */
static int
state_db_open(struct sdb_state *st, struct sdb_errbuf *eb)
{
	struct stat sb;
	int rc, err, complete = 0;

	tmp_sweep(st->path);
	if (stat(st->path, &sb) != 0 && errno == ENOENT &&
	    (err = state_make(st, eb)) != SDB_OK)
		return err;
	/* SQLite takes what it is given and fails only part way: a device
	 * such as /dev/null reads as an empty database, then "disk I/O
	 * error" after a journal was made beside it (in /dev); a FIFO,
	 * "Illegal seek". */
	if (stat(st->path, &sb) == 0 && !S_ISREG(sb.st_mode))
		return st_errf(st, eb, SDB_ERR_INVALID, "not a regular file (%s): give --state a "
		    "file, which the first run makes", S_ISDIR(sb.st_mode) ? "a directory" :
		    S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ? "a device" :
		    S_ISFIFO(sb.st_mode) ? "a FIFO" : S_ISSOCK(sb.st_mode) ? "a socket" :
		    "not a file");
	/* SQLite keeps the write-ahead log beside the name: through a second
	 * name (a hard link, as cp -l makes for a "backup") a second process
	 * would use a second log, and the two would corrupt the file; and the
	 * "backup" changes with the state. */
	if (stat(st->path, &sb) == 0 && sb.st_nlink > 1)
		return st_errf(st, eb, SDB_ERR_INVALID, "it has %ju names (hard links): through "
		    "another name SQLite would keep a second write-ahead log and damage it; remove "
		    "the other names (copy a state to keep a backup of it)",
		    (uintmax_t)sb.st_nlink);
	/* A state file is made whole and never empty: an empty one was cut
	 * short by a copy or a restore, and taking it as new would trust the
	 * next tree seen. */
	if (stat(st->path, &sb) == 0 && sb.st_size == 0)
		return st_errf(st, eb, SDB_ERR_INVALID, "the file is empty, so it is damaged (a "
		    "state file is never empty): restore it from a backup, or remove it to start "
		    "again with a first run that trusts the next tree it sees");
	if ((st->immutable = state_read_as_is(st)) != 0)
		rc = state_open_immutable(st->path, &st->db);
	else
		rc = sdb_sqlite_open(st->path, SQLITE_OPEN_READWRITE, &st->db);
	if (rc != SQLITE_OK) {
		err = sq_fail(st, eb, rc, "open");
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	/* Another program's database (a sumdbd log given as --state), or a
	 * newer csumdb's state, is left as it is, not even its journal mode
	 * changed: only an empty database or a state of this schema is ours. */
	if ((err = schema_first(st, eb)) != SDB_OK || (err = foreign_tables(st, eb)) != SDB_OK)
		goto fail;
	/* A state that may only be read (mode 0444, another user's) is
	 * checked, not set up: `sumdb evidence` reads it, and a write later
	 * fails and says why. */
	if (sqlite3_db_readonly(st->db, "main") == 1) {
		int has_key = 0;

		if ((err = meta_check(st, &has_key, eb)) != SDB_OK)
			goto fail;
		if (!has_key) {
			err = st_errf(st, eb, SDB_ERR_INVALID, "it holds no key, so it was never "
			    "made whole, and it may only be read: remove it, or let this user write "
			    "it and its directory");
			goto fail;
		}
		return SDB_OK;
	}
	/* A state made by this csumdb is only read here, so that an open
	 * never waits for another process writing (sumdb evidence during an
	 * audit); one that is new or older is set up, which writes. */
	if ((err = state_complete(st, &complete, eb)) != SDB_OK)
		goto fail;
	if (complete) {
		int has_key = 0;

		if ((err = meta_check(st, &has_key, eb)) != SDB_OK)
			goto fail;
		if (has_key) {
			if ((err = exec_what(st, "PRAGMA synchronous=FULL", "set synchronous",
			    eb)) != SDB_OK)
				goto fail;
			return SDB_OK;
		}
	}
	if ((err = state_setup(st, eb)) != SDB_OK)
		goto fail;
	return SDB_OK;
fail:
	sqlite3_close(st->db);
	st->db = NULL;
	return err;
}

/* Makes the file of a state opened before it existed (sdb_state_open),
 * for its first write. */
static int
state_create(struct sdb_state *st, struct sdb_errbuf *eb)
{
	return st->db != NULL ? SDB_OK : state_db_open(st, eb);
}

static int
state_open(struct sdb_state **out, const char *path, const char *vkey, int reader,
    struct sdb_errbuf *eb)
{
	struct sdb_state *st;
	struct stat sb;
	int err;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return sdb_errf(eb, SDB_ERR_INVALID, "no state file named (an empty path)");
	if (strcmp(path, ":memory:") == 0)
		return sdb_errf(eb, SDB_ERR_INVALID, "a state in memory would be forgotten at exit: "
		    "name a file");
	if ((st = calloc(1, sizeof *st)) == NULL)
		return SDB_ERR_NOMEM;
	st->lock_fd = -1;
	st->reader = reader;
	if ((st->path = strdup(path)) == NULL || (st->vkey = strdup(vkey)) == NULL) {
		sdb_state_close(st);
		return SDB_ERR_NOMEM;
	}
	/* A missing file is made by the first write, not now: a run that
	 * stores nothing (a log that cannot be reached, a mistyped URL, a
	 * key the log does not sign with) must leave no file, or the file
	 * would hold the key of a run that checked nothing and the next run,
	 * with the right key, would be refused.  That the file could be made
	 * is checked now, before anything is fetched. */
	if (stat(path, &sb) != 0 && errno == ENOENT)
		err = cannot_create(path, eb);
	else
		err = state_db_open(st, eb);
	if (err != SDB_OK) {
		sdb_state_close(st);
		return err;
	}
	*out = st;
	return SDB_OK;
}

int
sdb_state_open(struct sdb_state **out, const char *path, const char *vkey,
    struct sdb_errbuf *eb)
{
	return state_open(out, path, vkey, 0, eb);
}

int
sdb_state_open_read(struct sdb_state **out, const char *path, const char *vkey,
    struct sdb_errbuf *eb)
{
	return state_open(out, path, vkey, 1, eb);
}

void
sdb_state_close(struct sdb_state *st)
{
	int i;

	if (st == NULL)
		return;
	if (st->in_full)
		(void)exec(st, "ROLLBACK", NULL);
	for (i = 0; i < Q_NUM; i++)
		sqlite3_finalize(st->q[i]);
	sqlite3_close(st->db);
	if (st->lock_fd >= 0)
		close(st->lock_fd);   /* releases the lock */
	free(st->path);
	free(st->vkey);
	free(st);
}

/* How often sdb_state_lock tries again when the lock file it locked was
 * removed meanwhile (each time means another process removed it). */
#define LOCK_TRIES 8

/*
 * The lock is a flock on the side file PATH-lock, not on the state: any
 * descriptor of the state closed would drop the POSIX locks SQLite holds
 * on it.  PATH is the state's real path, so that two spellings of it (a
 * symlink, "./") meet on one lock.  The lock file is never removed: a
 * lock won on a file that no longer has the name (an operator removed
 * it) is no lock, and is taken again on the file that has it now.
 */
int
sdb_state_lock(struct sdb_state *st, struct sdb_errbuf *eb)
{
	struct stat held, named;
	char *real, *lp;
	int i, e, fd, err;
	mode_t mode;

	if (st->lock_fd >= 0)
		return SDB_OK;
	real = realpath(st->path, NULL);
	lp = sdb_path_join(real != NULL ? real : st->path, "-lock");
	free(real);
	if (lp == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	/* flock takes any descriptor, one opened for reading alone too, so
	 * a lock file others may open at all is one any of them can hold,
	 * keeping every full audit from running.  Those who may write the
	 * state may open its lock, no one else: 0600 for a state only its
	 * owner writes, 0660 for one its group writes too.  One made
	 * readable to others before (0666 less the umask) is narrowed by
	 * its owner. */
	mode = 0600;
	if (stat(st->path, &named) == 0)
		mode |= (named.st_mode & S_IWGRP ? 0060 : 0) | (named.st_mode & S_IWOTH ? 0006 : 0);
	for (i = 0; i < LOCK_TRIES; i++) {
		if ((fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode)) < 0) {
			e = errno;
			err = st_errf(st, eb, SDB_ERR_IO, "cannot open its lock file %s: %s", lp,
			    strerror(e));
			free(lp);
			return err;
		}
		if (fstat(fd, &held) == 0 && held.st_uid == geteuid() && (held.st_mode & 0777 & ~mode) != 0)
			(void)fchmod(fd, held.st_mode & mode);
		if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			e = errno;
			close(fd);
			if (e == EWOULDBLOCK)
				err = st_errf(st, eb, SDB_ERR_LOCKED, "another sumdb audit --full is at "
				    "work on it (it holds %s): this run leaves the full audit to that "
				    "one; run again when it is done", lp);
			else
				err = st_errf(st, eb, SDB_ERR_IO, "cannot lock %s: %s", lp, strerror(e));
			free(lp);
			return err;
		}
		if (fstat(fd, &held) == 0 && stat(lp, &named) == 0 && held.st_dev == named.st_dev &&
		    held.st_ino == named.st_ino) {
			st->lock_fd = fd;
			free(lp);
			return SDB_OK;
		}
		close(fd);
	}
	err = st_errf(st, eb, SDB_ERR_IO, "cannot lock %s: it is removed and made again as fast "
	    "as it is locked", lp);
	free(lp);
	return err;
}

int
sdb_state_accepted(struct sdb_state *st, const struct sdb_note_verifier *v,
    struct sdb_tree *tree, char **note, size_t *len, struct sdb_errbuf *eb)
{
	struct sdb_errbuf neb;
	struct sdb_tree t;
	sqlite3_stmt *s;
	char *copy = NULL;
	size_t n = 0;
	int rc, err = SDB_OK;
	int64_t size = 0;
	sdb_hash h;

	if (note != NULL)
		*note = NULL;
	st->seen = 0;
	if (st->db == NULL) {
		st->seen = 1;
		return SDB_ERR_NOT_FOUND;
	}
	rc = sqlite3_prepare_v2(st->db, "SELECT size, hash, note FROM accepted WHERE id = 1", -1,
	    &s, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(st, eb, rc, "read accepted tree");
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(s);
		st->seen = 1;
		return SDB_ERR_NOT_FOUND;
	}
	if (rc != SQLITE_ROW) {
		err = sq_fail(st, eb, rc, "read accepted tree");
		sqlite3_finalize(s);
		return err;
	}
	size = sqlite3_column_int64(s, 0);
	if (sqlite3_column_bytes(s, 1) != SDB_HASH_SIZE ||
	    (n = (size_t)sqlite3_column_bytes(s, 2)) > SDB_MAX_NOTE_SIZE) {
		sqlite3_finalize(s);
		return st_errf(st, eb, SDB_ERR_INVALID, "the accepted tree is damaged (a hash or a "
		    "note of the wrong size): restore the file from a backup");
	}
	memcpy(h.b, sqlite3_column_blob(s, 1), SDB_HASH_SIZE);
	if ((copy = malloc(n + 1)) == NULL) {
		sqlite3_finalize(s);
		return SDB_ERR_NOMEM;
	}
	if (n > 0)
		memcpy(copy, sqlite3_column_blob(s, 2), n);
	copy[n] = '\0';
	sqlite3_finalize(s);

	/* Re-verify: the note must open with the key and be the stored tree. */
	err = sdb_tree_note_open(&t, NULL, copy, n, v, &neb);
	if (err == SDB_ERR_NOMEM)
		goto out;
	if (err != SDB_OK) {
		err = st_errf(st, eb, SDB_ERR_INVALID, "the accepted note does not verify (%s): "
		    "something other than sumdb changed the file; restore it from a backup", neb.msg);
		goto out;
	}
	if (t.n != size || memcmp(t.hash.b, h.b, SDB_HASH_SIZE) != 0) {
		err = st_errf(st, eb, SDB_ERR_INVALID, "the accepted tree does not match its note: "
		    "something other than sumdb changed the file; restore it from a backup");
		goto out;
	}
	*tree = t;
	st->seen = 2;
	st->seen_size = t.n;
	st->seen_hash = t.hash;
	if (note != NULL) {
		*note = copy;
		copy = NULL;
		if (len != NULL)
			*len = n;
	}
out:
	free(copy);
	return err;
}

/*
 * Copies every transaction committed to STATE-wal into the state file
 * itself and syncs it (a FULL checkpoint: it waits, up to the busy
 * timeout, for readers of an older snapshot; those of the newest do not
 * hold it up, nor is the -wal truncated, which would wait for them all).
 * A commit is durable in the -wal already; this makes it durable in the
 * file alone, which is what a backup that copies only the file, or an
 * operator who moves the file without its -wal, keeps.  what says what
 * was committed, for the message.
 *
 * A checkpoint another process runs at the same time (two runs on one
 * state, each checkpointing its accept) makes SQLite answer SQLITE_BUSY
 * at once, without its busy handler; that one copies our frames too, so
 * we try again, pausing, until it is done or the busy timeout passes.
 */
static int
checkpoint(struct sdb_state *st, const char *what, struct sdb_errbuf *eb)
{
	long long deadline = sdb_clock_ms() + BUSY_TIMEOUT_MS;
	int rc, nlog = -1, nckpt = -1;
	char *wal;

	for (;;) {
		struct timespec pause = { 0, CHECKPOINT_RETRY_MS * 1000000L };

		rc = sqlite3_wal_checkpoint_v2(st->db, "main", SQLITE_CHECKPOINT_FULL, &nlog, &nckpt);
		if (rc == SQLITE_OK && nckpt == nlog)
			return SDB_OK;
		if ((rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) ||
		    sdb_clock_ms() >= deadline)
			break;
		nanosleep(&pause, NULL);
	}
	if ((wal = sdb_path_join(st->path, "-wal")) == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	if (rc == SQLITE_OK || (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		rc = st_errf(st, eb, SDB_ERR_LOCKED, "%s, but is held in %s only: another process "
		    "(an sqlite3 shell, a backup reading it) kept an older snapshot open for %d s, "
		    "so it could not be copied into the file; a copy of the file without %s would "
		    "not hold it: run again when that process is done", what, wal,
		    BUSY_TIMEOUT_MS / 1000, wal);
	else
		rc = st_errf(st, eb, SDB_ERR_IO, "%s, but is held in %s only: copying it into the "
		    "file failed (%s): keep %s with the file", what, wal, sqlite3_errmsg(st->db),
		    wal);
	free(wal);
	return rc;
}

int
sdb_state_checkpoint(struct sdb_state *st, struct sdb_errbuf *eb)
{
	if (st->db == NULL)
		return SDB_OK;   /* no state made: nothing to copy */
	return checkpoint(st, "what is stored in it is committed", eb);
}

int
sdb_state_accept(struct sdb_state *st, const struct sdb_tree *tree, const char *note,
    size_t len, struct sdb_errbuf *eb)
{
	struct sdb_tree nt;
	sqlite3_stmt *s;
	char what[64];
	int rc, err;
	int64_t size;

	/* A row whose note is another tree would make every later load
	 * fail ("does not match its note"): refused before anything is
	 * made or written. */
	if (sdb_tree_note_parse(&nt, note, len, NULL) != SDB_OK || nt.n != tree->n ||
	    memcmp(nt.hash.b, tree->hash.b, SDB_HASH_SIZE) != 0)
		return st_errf(st, eb, SDB_ERR_INVALID, "the note to store as accepted is not the "
		    "note of the tree of %" PRId64 " records; nothing stored", tree->n);
	if ((err = state_create(st, eb)) != SDB_OK ||
	    (err = exec(st, "BEGIN IMMEDIATE", eb)) != SDB_OK)
		return err;
	rc = sqlite3_prepare_v2(st->db, "SELECT size, hash FROM accepted WHERE id = 1", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		err = sq_fail(st, eb, rc, "read accepted tree");
		goto fail;
	}
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqlite3_finalize(s);
		err = sq_fail(st, eb, rc, "read accepted tree");
		goto fail;
	}
	size = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	/* Another sumdb may have accepted a tree since this one read the
	 * state: replacing it with a tree checked only against the older one
	 * could hide a fork between the two. */
	if (st->seen != 0 && (rc == SQLITE_ROW ? st->seen != 2 || size != st->seen_size ||
	    sqlite3_column_bytes(s, 1) != SDB_HASH_SIZE ||
	    memcmp(sqlite3_column_blob(s, 1), st->seen_hash.b, SDB_HASH_SIZE) != 0 :
	    st->seen != 1)) {
		sqlite3_finalize(s);
		err = st_errf(st, eb, SDB_ERR_IO, "the accepted tree changed during this run "
		    "(another sumdb accepted one meanwhile); nothing stored: run again, to check "
		    "the latest tree against that one");
		goto fail;
	}
	/* The accepted tree never goes back, and never becomes another tree
	 * of its size, whatever the caller computed: what was accepted is
	 * what every later tree is checked against. */
	if (rc == SQLITE_ROW && (size > tree->n || (size == tree->n &&
	    (sqlite3_column_bytes(s, 1) != SDB_HASH_SIZE ||
	    memcmp(sqlite3_column_blob(s, 1), tree->hash.b, SDB_HASH_SIZE) != 0)))) {
		sqlite3_finalize(s);
		err = st_errf(st, eb, SDB_ERR_INVALID, "refused to replace the accepted tree of %"
		    PRId64 " records by %s tree of %" PRId64 " records (an accepted tree is never "
		    "replaced by an older one or another of its size); nothing stored", size,
		    size == tree->n ? "another" : "an older", tree->n);
		goto fail;
	}
	sqlite3_finalize(s);
	rc = sqlite3_prepare_v2(st->db,
	    "INSERT OR REPLACE INTO accepted(id, size, hash, note) VALUES (1, ?1, ?2, ?3)",
	    -1, &s, NULL);
	if (rc != SQLITE_OK) {
		err = sq_fail(st, eb, rc, "store accepted tree");
		goto fail;
	}
	sqlite3_bind_int64(s, 1, tree->n);
	sqlite3_bind_blob(s, 2, tree->hash.b, SDB_HASH_SIZE, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, note, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		err = sq_fail(st, eb, rc, "store accepted tree");
		goto fail;
	}
	if ((err = exec(st, "COMMIT", eb)) != SDB_OK)
		goto fail;
	if (st->seen != 0) {
		st->seen = 2;
		st->seen_size = tree->n;
		st->seen_hash = tree->hash;
	}
	/* Before the caller says it accepted the tree: a run killed later,
	 * or a copy of the file without its -wal, must not take it back. */
	snprintf(what, sizeof what, "the tree of %" PRId64 " records is accepted", tree->n);
	return checkpoint(st, what, eb);
fail:
	(void)exec(st, "ROLLBACK", NULL);
	return err;
}

int
sdb_state_add_evidence(struct sdb_state *st, const char *text, size_t len,
    struct sdb_errbuf *eb)
{
	sqlite3_stmt *s;
	int rc, err;

	if (len > (size_t)4 * SDB_MAX_NOTE_SIZE)
		return st_errf(st, eb, SDB_ERR_TOO_LARGE, "evidence of %zu bytes is over the limit "
		    "of %zu; not stored", len, (size_t)4 * SDB_MAX_NOTE_SIZE);
	if ((err = state_create(st, eb)) != SDB_OK)
		return err;
	/* a finding met again (a full audit's tail tile checked once more,
	 * the same fork seen by two runs) is one entry */
	rc = sqlite3_prepare_v2(st->db, "INSERT INTO evidence(time, text) SELECT ?1, ?2 "
	    "WHERE NOT EXISTS (SELECT 1 FROM evidence WHERE text = ?2)", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(st, eb, rc, "store evidence");
	sqlite3_bind_int64(s, 1, (sqlite3_int64)time(NULL));
	/* as text, so that sqlite3 shows it and LIKE finds it */
	sqlite3_bind_text(s, 2, text, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return sq_fail(st, eb, rc, "store evidence");
	/* Into the file itself, as an accepted tree: the evidence of a fork
	 * is what the state must least lose with its -wal.  Also when the
	 * text was there already: an earlier copy may have been held up. */
	return checkpoint(st, "the evidence is written", eb);
}

int
sdb_state_evidence_count(struct sdb_state *st, int64_t *count, struct sdb_errbuf *eb)
{
	sqlite3_stmt *s;
	int rc;

	*count = 0;
	if (st->db == NULL)
		return SDB_OK;
	rc = sqlite3_prepare_v2(st->db, "SELECT count(*) FROM evidence", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(st, eb, rc, "count evidence");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? SDB_OK : sq_fail(st, eb, rc, "count evidence");
}

int
sdb_state_evidence_each(struct sdb_state *st,
    int (*fn)(void *arg, int64_t time, const char *text, size_t len), void *arg,
    struct sdb_errbuf *eb)
{
	sqlite3_stmt *s;
	int rc;

	if (st->db == NULL)
		return SDB_OK;
	rc = sqlite3_prepare_v2(st->db, "SELECT time, text FROM evidence ORDER BY id", -1, &s,
	    NULL);
	if (rc != SQLITE_OK)
		return sq_fail(st, eb, rc, "read evidence");
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(s, 1);

		if (fn(arg, sqlite3_column_int64(s, 0), text != NULL ? text : "",
		    (size_t)sqlite3_column_bytes(s, 1)) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? SDB_OK : sq_fail(st, eb, rc, "read evidence");
}

int
sdb_state_tile_get(struct sdb_state *st, const struct sdb_tile *t, uint8_t *buf, size_t want)
{
	sqlite3_stmt *s;
	int rc, err = SDB_ERR_NOT_FOUND;

	if (st->db == NULL)
		return SDB_ERR_NOT_FOUND;
	if (q_get(st, Q_TILE_GET, &s, NULL) != SDB_OK)
		return SDB_ERR_IO;
	sqlite3_bind_int(s, 1, t->h);
	sqlite3_bind_int(s, 2, t->l);
	sqlite3_bind_int64(s, 3, t->n);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && (size_t)sqlite3_column_bytes(s, 0) >= want) {
		memcpy(buf, sqlite3_column_blob(s, 0), want);
		err = SDB_OK;
	} else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		err = SDB_ERR_IO;
	}
	sqlite3_reset(s);
	return err;
}

int
sdb_state_tiles_put(struct sdb_state *st, const struct sdb_tile *tiles, size_t n,
    const uint8_t *const *data, const size_t *lens, struct sdb_errbuf *eb)
{
	sqlite3_stmt *s;
	size_t i;
	int rc, err;

	if (n == 0)
		return SDB_OK;
	if ((err = state_create(st, eb)) != SDB_OK)
		return err;
	if (!st->in_full && (err = exec(st, "BEGIN IMMEDIATE", eb)) != SDB_OK)
		return err;
	for (i = 0; i < n; i++) {
		size_t len = lens != NULL ? lens[i] : (size_t)tiles[i].w * SDB_HASH_SIZE;

		if ((err = q_get(st, Q_TILE_PUT, &s, eb)) != SDB_OK)
			goto fail;
		sqlite3_bind_int(s, 1, tiles[i].h);
		sqlite3_bind_int(s, 2, tiles[i].l);
		sqlite3_bind_int64(s, 3, tiles[i].n);
		sqlite3_bind_blob(s, 4, data[i], (int)len, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE) {
			err = sq_fail(st, eb, rc, "cache tile");
			goto fail;
		}
	}
	if (!st->in_full && (err = exec(st, "COMMIT", eb)) != SDB_OK)
		goto fail;
	return SDB_OK;
fail:
	if (!st->in_full)
		(void)exec(st, "ROLLBACK", NULL);
	return err;
}

int
sdb_state_full_get(struct sdb_state *st, struct sdb_tlog_frontier *f,
    struct sdb_state_dups *dups, struct sdb_state_findings *found, struct sdb_errbuf *eb)
{
	sqlite3_stmt *s;
	int rc, err = SDB_ERR_NOT_FOUND;

	memset(found, 0, sizeof *found);
	if (st->db == NULL)
		return SDB_ERR_NOT_FOUND;
	/* Progress without a dups row is from a version that kept another
	 * index: not resumable. */
	rc = sqlite3_prepare_v2(st->db, "SELECT f.size, f.frontier, d.merged, d.newlen, "
	    "coalesce(n.duplicates, 0), coalesce(n.conflicts, 0), coalesce(n.bad_records, 0) "
	    "FROM full AS f JOIN dups AS d ON d.id = 1 LEFT JOIN findings AS n ON n.id = 1 "
	    "WHERE f.id = 1", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(st, eb, rc, "read full-audit progress");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 1) != (int)sizeof f->h || sqlite3_column_int64(s, 0) < 0 ||
		    sqlite3_column_int64(s, 2) < 0 || sqlite3_column_int64(s, 3) < 0 ||
		    sqlite3_column_int64(s, 4) < 0 || sqlite3_column_int64(s, 5) < 0 ||
		    sqlite3_column_int64(s, 6) < 0) {
			err = st_errf(st, eb, SDB_ERR_INVALID, "the full-audit progress is damaged (a "
			    "negative count or a frontier of the wrong size): restore the file from a "
			    "backup");
		} else {
			f->n = sqlite3_column_int64(s, 0);
			memcpy(f->h, sqlite3_column_blob(s, 1), sizeof f->h);
			dups->merged = sqlite3_column_int64(s, 2);
			dups->newlen = sqlite3_column_int64(s, 3);
			found->duplicates = sqlite3_column_int64(s, 4);
			found->conflicts = sqlite3_column_int64(s, 5);
			found->bad_records = sqlite3_column_int64(s, 6);
			err = SDB_OK;
		}
	} else if (rc != SQLITE_DONE) {
		err = sq_fail(st, eb, rc, "read full-audit progress");
	}
	sqlite3_finalize(s);
	return err;
}

int
sdb_state_full_put(struct sdb_state *st, const struct sdb_tlog_frontier *f,
    const struct sdb_state_dups *dups, const struct sdb_state_findings *found,
    struct sdb_errbuf *eb)
{
	sqlite3_stmt *s;
	int rc, err;

	if (!st->in_full) {
		if ((err = state_create(st, eb)) != SDB_OK ||
		    (err = exec(st, "BEGIN IMMEDIATE", eb)) != SDB_OK)
			return err;
		st->in_full = 1;
	}
	rc = sqlite3_prepare_v2(st->db,
	    "INSERT OR REPLACE INTO full(id, size, frontier) VALUES (1, ?1, ?2)", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, f->n);
		sqlite3_bind_blob(s, 2, f->h, (int)sizeof f->h, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
	}
	if (rc == SQLITE_DONE || rc == SQLITE_OK) {
		rc = sqlite3_prepare_v2(st->db,
		    "INSERT OR REPLACE INTO dups(id, merged, newlen) VALUES (1, ?1, ?2)", -1, &s, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(s, 1, dups->merged);
			sqlite3_bind_int64(s, 2, dups->newlen);
			rc = sqlite3_step(s);
			sqlite3_finalize(s);
		}
	}
	if (rc == SQLITE_DONE || rc == SQLITE_OK) {
		rc = sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO findings(id, duplicates, "
		    "conflicts, bad_records) VALUES (1, ?1, ?2, ?3)", -1, &s, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_int64(s, 1, found->duplicates);
			sqlite3_bind_int64(s, 2, found->conflicts);
			sqlite3_bind_int64(s, 3, found->bad_records);
			rc = sqlite3_step(s);
			sqlite3_finalize(s);
		}
	}
	if (rc != SQLITE_DONE && rc != SQLITE_OK) {
		err = sq_fail(st, eb, rc, "store full-audit progress");
		(void)exec(st, "ROLLBACK", NULL);
		st->in_full = 0;
		return err;
	}
	st->in_full = 0;
	if ((err = exec(st, "COMMIT", eb)) != SDB_OK) {
		(void)exec(st, "ROLLBACK", NULL);
		return err;
	}
	return SDB_OK;
}
