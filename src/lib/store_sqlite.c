/*
 * The sumdbd store on SQLite (include/csumdb/store.h; DESIGN.md "Storage"
 * and "Rules that are never bent").  The only file that includes
 * <sqlite3.h>: records, tiles and signed trees in one WAL-mode database,
 * one transaction per sequencer batch, and the checks that keep the log
 * append-only (contiguous ids, tiles that only grow, no second tree of a
 * size, no rollback) enforced here, inside the transaction, whatever the
 * caller computed.
 *
 * The writer lock is a flock on the side file "PATH-lock", not on the
 * database itself: closing any descriptor of the database file would drop
 * every POSIX (fcntl) lock this process holds on it, including the SHARED
 * lock each WAL connection keeps, so a reader in another thread would lose
 * its protection against a checkpointing process (SQLite's "How To
 * Corrupt", 2.2).  A descriptor on a separate file can be closed safely.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "csumdb/store.h"
#include "fileio.h"
#include "limits.h"
#include "sqlite_open.h"

#define SCHEMA_VERSION "1"

/* How long a connection waits for SQLite's own locks (WAL recovery,
 * another process holding the write lock, e.g. an operator's sqlite3
 * shell) before giving up with SDB_ERR_IO.  Readers do not wait for the
 * writer in WAL mode; this only bounds the rare cases that do wait. */
#define BUSY_TIMEOUT_MS 5000

/*
 * The tables, as sdb_store_create makes them.  SQLite keeps the text of
 * each CREATE TABLE in sqlite_master as it was given, so a records, tiles
 * or trees table whose text is, byte for byte, the one here (with its
 * CHECK constraints) was made by csumdb: evidence, beside the
 * schema_version row, that a database is ours (schema_check).  Changing
 * a text here changes the schema: a new SCHEMA_VERSION.
 */
static const struct {
	const char *name;
	const char *sql;
} schema_tables[] = {
	{ "config",
	  "CREATE TABLE config("
	  "  key TEXT PRIMARY KEY NOT NULL,"
	  "  value TEXT NOT NULL)" },
	{ "records",
	  "CREATE TABLE records("
	  "  id INTEGER PRIMARY KEY CHECK (id >= 0),"
	  "  path TEXT NOT NULL,"
	  "  version TEXT NOT NULL,"
	  "  text BLOB NOT NULL,"
	  "  UNIQUE (path, version))" },
	{ "tiles",
	  "CREATE TABLE tiles("
	  "  level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 7),"
	  "  n INTEGER NOT NULL CHECK (n >= 0),"
	  "  hashes BLOB NOT NULL CHECK (length(hashes) BETWEEN 32 AND 8192"
	  "                              AND length(hashes) % 32 = 0),"
	  "  PRIMARY KEY (level, n))" },
	{ "trees",
	  "CREATE TABLE trees("
	  "  size INTEGER PRIMARY KEY CHECK (size >= 0),"
	  "  hash BLOB NOT NULL CHECK (length(hash) = 32),"
	  "  note BLOB NOT NULL)" },
};
#define SCHEMA_NTABLES (sizeof schema_tables / sizeof schema_tables[0])

/* The config rows sdb_store_create writes; sumdbd needs every one. */
static const char *const schema_config[] = {
	SDB_STORE_CONFIG_SCHEMA,
	SDB_STORE_CONFIG_NAME,
	SDB_STORE_CONFIG_VKEY,
	SDB_STORE_CONFIG_SKEY_FILE,
};

/* Prepared statements, cached on the handle and prepared on first use. */
enum {
	ST_CONFIG_GET,
	ST_CONFIG_EACH,
	ST_CONFIG_SET,
	ST_LATEST,
	ST_TREE,
	ST_TREE_AFTER,
	ST_TREE_INSERT,
	ST_COUNT,
	ST_COUNT_TREES,
	ST_LOOKUP,
	ST_RECORD,
	ST_RECORD_OF,
	ST_ALL_KEYS,
	ST_RANGE,
	ST_RECORD_INSERT,
	ST_TILE,
	ST_TILE_PUT,
	ST_TILE_LEN,
	ST_TILE_LAST,
	ST_ALL_RECORDS,
	ST_ALL_TILES,
	ST_ALL_TREES,
	ST_BEGIN,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_NUM
};

static const char *const stmt_sql[ST_NUM] = {
	[ST_CONFIG_GET] = "SELECT value FROM config WHERE key = ?1",
	/* substr and length count characters, the same in both: a key
	 * begins with the prefix when its first characters are it */
	[ST_CONFIG_EACH] = "SELECT key, value FROM config WHERE substr(key, 1, length(?1)) = ?1"
	                   " ORDER BY key",
	[ST_CONFIG_SET] = "INSERT INTO config(key, value) VALUES (?1, ?2)"
	                  " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	[ST_LATEST] = "SELECT size, hash, note FROM trees ORDER BY size DESC LIMIT 1",
	[ST_TREE] = "SELECT size, hash, note FROM trees WHERE size = ?1",
	[ST_TREE_AFTER] = "SELECT size, hash, note FROM trees WHERE size > ?1 ORDER BY size LIMIT 1",
	[ST_TREE_INSERT] = "INSERT INTO trees(size, hash, note) VALUES (?1, ?2, ?3)",
	/* max() of the INTEGER PRIMARY KEY is one b-tree descent. */
	[ST_COUNT] = "SELECT coalesce(max(id) + 1, 0) FROM records",
	[ST_COUNT_TREES] = "SELECT count(*) FROM trees",
	[ST_LOOKUP] = "SELECT id, text FROM records WHERE path = ?1 AND version = ?2",
	[ST_RECORD] = "SELECT text FROM records WHERE id = ?1",
	[ST_RECORD_OF] = "SELECT path, version, text FROM records WHERE id = ?1",
	/* Only indexed columns: SQLite scans the (path, version) index,
	 * a fifth of the table's size, instead of the table. */
	[ST_ALL_KEYS] = "SELECT id, path, version FROM records",
	[ST_RANGE] = "SELECT id, path, version, text FROM records"
	             " WHERE id >= ?1 AND id < ?2 ORDER BY id",
	[ST_RECORD_INSERT] = "INSERT INTO records(id, path, version, text) VALUES (?1, ?2, ?3, ?4)",
	[ST_TILE] = "SELECT hashes FROM tiles WHERE level = ?1 AND n = ?2",
	[ST_TILE_PUT] = "INSERT INTO tiles(level, n, hashes) VALUES (?1, ?2, ?3)"
	                " ON CONFLICT(level, n) DO UPDATE SET hashes = excluded.hashes",
	[ST_TILE_LEN] = "SELECT length(hashes) FROM tiles WHERE level = ?1 AND n = ?2",
	[ST_TILE_LAST] = "SELECT n, length(hashes) FROM tiles WHERE level = ?1"
	                 " ORDER BY n DESC LIMIT 1",
	[ST_ALL_RECORDS] = "SELECT id, path, version, text FROM records ORDER BY id",
	[ST_ALL_TILES] = "SELECT level, n, hashes FROM tiles ORDER BY level, n",
	[ST_ALL_TREES] = "SELECT size, hash, note FROM trees ORDER BY size",
	/* IMMEDIATE takes the write lock at once, so a batch never fails
	 * half-way because another connection started writing. */
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	/* DEFERRED: a reader's snapshot starts at its first read. */
	[ST_BEGIN_READ] = "BEGIN DEFERRED",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
};

struct sdb_store {
	sqlite3 *db;
	int writer;
	int lock_fd;      /* writer: the flocked PATH-lock, else -1 */
	char *made_lock;  /* while opening: PATH-lock when this open made it */
	int in_batch;
	int in_snapshot;
	int64_t next_id;  /* in a batch: the id the next record must have */
	int64_t base;     /* in a batch: the record count before it */
	sqlite3_stmt *st[ST_NUM];
};

/* What to do about a file that could not be written or made for the
 * reason e (an errno value), or NULL when there is nothing to add. */
static const char *
errno_advice(int e)
{
	switch (e) {
	case ENOSPC:
	case EDQUOT:
		return "its file system is full, or the user's quota is used up: free space "
		       "there, then try again";
	case EFBIG:
		return "a file size limit stops it from growing (ulimit -f; LimitFSIZE= in a "
		       "systemd unit): raise the limit, then try again";
	case EACCES:
	case EPERM:
		return "let this user write the file and its directory (check owner and mode)";
	case EROFS:
		return "its file system is mounted read-only";
	default:
		return NULL;
	}
}

/*
 * Which of the database's files this user may not write, said in buf
 * (n bytes) with what to do; 0 when each is writable (or not there).
 * SQLite makes FILE-wal and FILE-shm with FILE's mode: a read of a file
 * made read-only for a moment leaves a FILE-shm that stays read-only
 * after FILE is writable again, and every write then fails as "attempt
 * to write a readonly database", of a file that is writable.
 */
static int
unwritable_part(struct sdb_store *s, char *buf, size_t n)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	const char *db = s != NULL && s->db != NULL ? sqlite3_db_filename(s->db, "main") : NULL;
	char *path, *dir;
	size_t i;
	int e, found = 0;

	if (db == NULL || db[0] == '\0')
		return 0;
	for (i = 0; i < sizeof sfx / sizeof sfx[0] && !found; i++) {
		if ((path = sdb_path_join(db, sfx[i])) == NULL)
			return 0;
		if (access(path, F_OK) == 0 && access(path, W_OK) != 0) {
			e = errno;
			snprintf(buf, n, "%s cannot be written by this user (%s): give it the owner "
			         "and mode of the database", path, strerror(e));
			found = 1;
		}
		free(path);
	}
	if (!found && (dir = sdb_path_dir(db)) != NULL) {
		if (access(dir, W_OK) != 0) {
			e = errno;
			snprintf(buf, n, "directory %s cannot be written by this user (%s), and SQLite "
			         "makes the database's -wal and -shm files there: let this user write it",
			         dir, strerror(e));
			found = 1;
		}
		free(dir);
	}
	return found;
}

/* This process has a finite file size limit (RLIMIT_FSIZE). */
static int
fsize_limited(void)
{
	struct rlimit rl;

	return getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY;
}

/*
 * Turns a SQLite failure into an sdb_err with SQLite's message, and, for
 * what the operator's surroundings cause (no space, a file size limit,
 * permissions, another program holding the database), what to do about
 * it: "disk I/O error" and "database is locked" alone say neither.
 * SQLite's system errno is the errno of its last failed call, when it
 * kept one: after a failed commit has been rolled back it may be gone,
 * so a file size limit is named by getrlimit, not by EFBIG alone.
 */
static int
sq_fail(struct sdb_store *s, struct sdb_errbuf *eb, int rc, const char *what)
{
	const char *msg = s != NULL && s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	int sys = s != NULL && s->db != NULL ? sqlite3_system_errno(s->db) : 0;
	const char *advice = NULL;
	char why[160] = "", part[SDB_ERRBUF_SIZE / 2];
	int code;

	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		code = SDB_ERR_NOMEM;
		break;
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_READONLY:
	case SQLITE_PROTOCOL:
	case SQLITE_PERM:
		code = SDB_ERR_IO;
		break;
	case SQLITE_CORRUPT:
		/* Not a failure to read but what was read: the file is
		 * damaged, or was never whole (a copy taken while it was
		 * written, a write-ahead log of another file beside it). */
		return sdb_errf(eb, SDB_ERR_DAMAGED, "database: %s: %s (the database file is "
		                "damaged, or the -wal file beside it is another database's: a copy "
		                "of the file taken while it was being written, or a copy put where "
		                "another database left its -wal file)", what, msg);
	case SQLITE_NOTADB:
		code = SDB_ERR_INVALID;
		break;
	default:
		code = SDB_ERR_INTERNAL;
		break;
	}
	/* "disk I/O error", "unable to open database file": the system's
	 * own reason says which (no space, permission denied, ...) */
	if (code == SDB_ERR_IO && sys != 0 &&
	    ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_CANTOPEN)) {
		snprintf(why, sizeof why, " (%s)", strerror(sys));
		advice = errno_advice(sys);
	}
	switch (code == SDB_ERR_IO && advice == NULL ? rc & 0xff : 0) {
	case SQLITE_FULL:
		/* SQLite says "full" of a short write, which a file size
		 * limit also makes */
		advice = fsize_limited() ? "the database's file system is full, or the file "
		    "size limit (ulimit -f) of the process writing it is reached: free space "
		    "there or raise the limit, then try again" : errno_advice(ENOSPC);
		break;
	case SQLITE_IOERR:
		if (sys == 0 && fsize_limited())
			advice = "the process writing the database has a file size limit "
			    "(ulimit -f; LimitFSIZE= in a systemd unit), which the database may "
			    "have outgrown: raise it, then try again";
		else if (sys == 0)
			advice = "the system gave no reason: check the database's file system and "
			    "the kernel log (dmesg)";
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		advice = "another program holds a transaction on the database, such as an "
		    "sqlite3 shell left in BEGIN: end it, then try again";
		break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		advice = unwritable_part(s, part, sizeof part) ? part : errno_advice(EACCES);
		break;
	default:
		break;
	}
	if (advice != NULL)
		return sdb_errf(eb, code, "database: %s: %s%s: %s", what, msg, why, advice);
	return sdb_errf(eb, code, "database: %s: %s%s", what, msg, why);
}

static int
stmt_get(struct sdb_store *s, int id, sqlite3_stmt **out, struct sdb_errbuf *eb)
{
	if (s->st[id] == NULL) {
		int rc = sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
		                            &s->st[id], NULL);
		if (rc != SQLITE_OK)
			return sq_fail(s, eb, rc, "prepare");
	}
	*out = s->st[id];
	return SDB_OK;
}

/* Every statement is reset after use: a reader statement left stepping
 * would pin its snapshot (and block checkpoints) indefinitely. */
static void
stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Runs a statement that returns no rows. */
static int
stmt_run(struct sdb_store *s, int id, const char *what, struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt_get(s, id, &st, eb);

	if (rc != SDB_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		rc = sq_fail(s, eb, rc, what);
		stmt_done(st);
		return rc;
	}
	stmt_done(st);
	return SDB_OK;
}

/* Copies column col into a new buffer (at least 1 byte allocated so an
 * empty value is still a valid pointer). */
static int
col_copy(sqlite3_stmt *st, int col, uint8_t **out, size_t *len, struct sdb_errbuf *eb)
{
	const void *p = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);
	uint8_t *b;

	if (p == NULL && n > 0)
		return sdb_errf(eb, SDB_ERR_NOMEM, "database: out of memory reading a column");
	b = malloc(n > 0 ? (size_t)n : 1);
	if (b == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "database: out of memory");
	if (n > 0)
		memcpy(b, p, (size_t)n);
	*out = b;
	*len = (size_t)n;
	return SDB_OK;
}

/* --- lifetime -------------------------------------------------------- */

static void
store_free(struct sdb_store *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < ST_NUM; i++)
		sqlite3_finalize(s->st[i]);
	/* close_v2 rolls back an open transaction. */
	sqlite3_close_v2(s->db);
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* releases the flock */
	free(s->made_lock);
	free(s);
}

void
sdb_store_close(struct sdb_store *s)
{
	store_free(s);
}

/* The lock file's name: PATH's real path with "-lock" appended, so two
 * spellings of PATH (a symlink, "./") still meet on one lock file.  The
 * caller frees *out. */
static int
lock_path(const char *path, char **out, struct sdb_errbuf *eb)
{
	char *real = realpath(path, NULL);
	size_t n;
	int e;

	*out = NULL;
	if (real == NULL) {
		e = errno;
		return sdb_errf(eb, e == ENOMEM ? SDB_ERR_NOMEM : SDB_ERR_IO, "cannot resolve %s: %s",
		                path, strerror(e));
	}
	n = strlen(real);
	*out = malloc(n + sizeof "-lock");
	if (*out == NULL) {
		free(real);
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	}
	memcpy(*out, real, n);
	memcpy(*out + n, "-lock", sizeof "-lock");
	free(real);
	return SDB_OK;
}

/* How often lock_file tries again when the lock file it locked was
 * removed meanwhile (each time means another process removed it). */
#define LOCK_TRIES 8

/*
 * Takes the exclusive lock on the lock file lp without waiting; *fd is its
 * descriptor, *created 1 when this call made the file.  A lock file is
 * removed only by its holder (sdb_store_remove, a failed open that made
 * it), so a lock won on a file that no longer has the name lp is no lock:
 * try again on the file that has it now.
 */
static int
lock_file(const char *path, const char *lp, int *fd, int *created, struct sdb_errbuf *eb)
{
	struct stat held, named;
	int i, e;

	*fd = -1;
	for (i = 0; i < LOCK_TRIES; i++) {
		*created = 1;
		*fd = open(lp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (*fd < 0 && errno == EEXIST) {
			*created = 0;
			*fd = open(lp, O_RDWR | O_CLOEXEC);
			if (*fd < 0 && errno == ENOENT)
				continue;   /* removed between the two opens */
		}
		if (*fd < 0) {
			const char *adv;

			e = errno;
			adv = errno_advice(e);
			return sdb_errf(eb, SDB_ERR_IO, "cannot open lock file %s: %s%s%s", lp,
			                strerror(e), adv != NULL ? ": " : "", adv != NULL ? adv : "");
		}
		if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
			e = errno;
			close(*fd);
			*fd = -1;
			if (e == EWOULDBLOCK)
				return sdb_errf(eb, SDB_ERR_LOCKED, "database %s is in use by another "
				                "sumdbd (writer lock %s is held)", path, lp);
			return sdb_errf(eb, SDB_ERR_IO, "cannot lock %s: %s", lp, strerror(e));
		}
		if (fstat(*fd, &held) == 0 && stat(lp, &named) == 0 && held.st_dev == named.st_dev &&
		    held.st_ino == named.st_ino)
			return SDB_OK;
		close(*fd);
		*fd = -1;
	}
	return sdb_errf(eb, SDB_ERR_IO, "cannot lock %s: it is removed and made again as fast as "
	                "it is locked", lp);
}

/* Takes the exclusive writer lock on PATH-lock without waiting; a lock
 * file this call made is remembered, to be removed if the open fails. */
static int
take_lock(struct sdb_store *s, const char *path, struct sdb_errbuf *eb)
{
	char *lp;
	int rc, created;

	if ((rc = lock_path(path, &lp, eb)) != SDB_OK)
		return rc;
	rc = lock_file(path, lp, &s->lock_fd, &created, eb);
	if (rc == SDB_OK && created)
		s->made_lock = lp;
	else
		free(lp);
	return rc;
}

static int
exec_sql(struct sdb_store *s, const char *sql, const char *what, struct sdb_errbuf *eb)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return sq_fail(s, eb, rc, what);
	return SDB_OK;
}

/* Process-wide SQLite settings, made once before the first connection.
 * Memory statistics off: with them on, every allocation SQLite makes
 * takes one global mutex, shared by all the server's reader threads.  An
 * application that started SQLite before us keeps its own settings
 * (sqlite3_config then refuses, harmlessly). */
static void
sqlite_setup(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/*
 * SQLite keeps the write-ahead log (PATH-wal, PATH-shm) beside the
 * database, and makes them at the first read when they are not there: in
 * a directory its user may not write, every open then fails with "attempt
 * to write a readonly database" or "unable to open", which points at the
 * database file.  When that is the cause, say so (eb rewritten, rc kept).
 */
static int
explain_dir(struct sdb_store *s, const char *path, int rc, struct sdb_errbuf *eb)
{
	int code = sqlite3_extended_errcode(s->db) & 0xff, e;
	char *real, *dir;

	if (code != SQLITE_READONLY && code != SQLITE_CANTOPEN)
		return rc;
	if ((real = realpath(path, NULL)) == NULL)
		return rc;
	dir = sdb_path_dir(real);
	free(real);
	if (dir != NULL && access(dir, W_OK) != 0) {
		e = errno;
		rc = sdb_errf(eb, rc, "directory %s cannot be written (%s), and SQLite makes the "
		              "database's write-ahead log (%s-wal, %s-shm) there, even to read it: "
		              "let this user write the directory", dir, strerror(e), path, path);
	}
	free(dir);
	return rc;
}

/* Appends ", " (unless first) and what to the list in buf. */
static void
list_add(char *buf, size_t size, size_t *len, const char *what, const char *kind)
{
	int n;

	if (*len >= size)
		return;
	n = snprintf(buf + *len, size - *len, "%sno %s %s", *len > 0 ? ", " : "", what, kind);
	if (n > 0)
		*len += (size_t)n;
}

/*
 * Tells a csumdb database from another program's SQLite file, and a
 * whole one from one with parts missing, by reading only.  Ours: its
 * schema_version row says so, or one of its records, tiles and trees
 * tables is the one sdb_store_create makes (schema_tables); a table that
 * merely has one of their names is no evidence.  Returns SDB_OK,
 * SDB_ERR_INVALID (not ours, or another schema version),
 * SDB_ERR_DAMAGED (ours, with tables or config rows missing, each named
 * in eb), or the error of a read that failed (SDB_ERR_IO,
 * SDB_ERR_NOMEM).
 */
static int
schema_check(struct sdb_store *s, const char *path, struct sdb_errbuf *eb)
{
	static const char q[] = "SELECT name, sql FROM sqlite_master WHERE type = 'table'";
	int present[SCHEMA_NTABLES] = { 0 }, made = 0, rc;
	char missing[SDB_ERRBUF_SIZE];
	sqlite3_stmt *st = NULL;
	size_t i, len = 0;
	char *v = NULL;

	rc = sqlite3_prepare_v2(s->db, q, -1, &st, NULL);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		const char *name, *sql;

		if ((rc = sqlite3_step(st)) != SQLITE_ROW)
			break;
		name = (const char *)sqlite3_column_text(st, 0);
		sql = (const char *)sqlite3_column_text(st, 1);
		for (i = 0; name != NULL && i < SCHEMA_NTABLES; i++) {
			/* SQLite's table names ignore ASCII case */
			if (sqlite3_stricmp(name, schema_tables[i].name) != 0)
				continue;
			present[i] = 1;
			if (strcmp(schema_tables[i].name, "config") != 0 && sql != NULL &&
			    strcmp(sql, schema_tables[i].sql) == 0)
				made = 1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		/* a file that is no SQLite database at all (SQLITE_NOTADB) */
		if ((rc & 0xff) == SQLITE_NOTADB)
			return sdb_errf(eb, SDB_ERR_INVALID, "%s is not a csumdb database", path);
		return sq_fail(s, eb, rc, "reading the schema");
	}
	if (present[0]) {
		rc = sdb_store_config_get(s, SDB_STORE_CONFIG_SCHEMA, &v, eb);
		if (rc == SDB_OK && strcmp(v, SCHEMA_VERSION) != 0)
			rc = sdb_errf(eb, SDB_ERR_INVALID, "database %s has schema version %s, this is %s",
			              path, v, SCHEMA_VERSION);
		free(v);
		if (rc == SDB_OK)
			made = 1;
		else if (rc != SDB_ERR_NOT_FOUND && rc != SDB_ERR_INTERNAL)
			return rc;   /* another version, or the read failed */
		/* no row, or a config table of another shape */
	}
	if (!made)
		return sdb_errf(eb, SDB_ERR_INVALID, "%s is not a csumdb database", path);
	missing[0] = '\0';
	for (i = 0; i < SCHEMA_NTABLES; i++)
		if (!present[i])
			list_add(missing, sizeof missing, &len, schema_tables[i].name, "table");
	for (i = 0; present[0] && i < sizeof schema_config / sizeof schema_config[0]; i++) {
		rc = sdb_store_config_get(s, schema_config[i], &v, eb);
		free(v);
		v = NULL;
		if (rc == SDB_ERR_NOT_FOUND || rc == SDB_ERR_INTERNAL)
			list_add(missing, sizeof missing, &len, schema_config[i], "config row");
		else if (rc != SDB_OK)
			return rc;
	}
	if (len == 0)
		return SDB_OK;
	return sdb_errf(eb, SDB_ERR_DAMAGED, "database %s is damaged: it has %s; keep it for "
	                "inspection, and put in its place a copy of the database that holds the "
	                "key's checkpoint tree (sumdbd status --db COPY says whether it does)", path,
	                missing);
}

/* Opens the connection; check_schema is 0 only while creating. */
static int
store_open(struct sdb_store **out, const char *path, enum sdb_store_mode mode, int check_schema,
           struct sdb_errbuf *eb)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct sdb_store *s;
	struct stat sb;
	int flags, rc;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return sdb_errf(eb, SDB_ERR_INVALID, "no database path given");
	(void)pthread_once(&once, sqlite_setup);
	/* SQLITE_OPEN_NOMUTEX needs a library built thread-safe; one built
	 * with SQLITE_THREADSAFE=0 would corrupt memory under our threads. */
	if (sqlite3_threadsafe() == 0)
		return sdb_errf(eb, SDB_ERR_INTERNAL, "SQLite is built without thread support");
	if (stat(path, &sb) != 0) {
		int e = errno;
		if (e == ENOENT)
			return sdb_errf(eb, SDB_ERR_NOT_FOUND, "no database at %s", path);
		return sdb_errf(eb, SDB_ERR_IO, "cannot open database %s: %s", path, strerror(e));
	}
	/* SQLite keeps the write-ahead log, and we keep the writer lock,
	 * beside the name: a second name for the same file would be a second
	 * log and a second lock, and two writers could sign two trees. */
	if (mode != SDB_STORE_READ && sb.st_nlink > 1)
		return sdb_errf(eb, SDB_ERR_INVALID, "database %s has %ju names (hard links): "
		                "another name would bypass its writer lock and write-ahead log; "
		                "remove the other names, and copy a database rather than link it",
		                path, (uintmax_t)sb.st_nlink);
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	s->lock_fd = -1;
	s->writer = mode != SDB_STORE_READ;
	/* The lock comes before SQLite touches the file, so a refused second
	 * writer changes nothing, not even a pragma. */
	if (s->writer && (rc = take_lock(s, path, eb)) != SDB_OK)
		goto fail;

	/* NOMUTEX: one connection per thread, so SQLite's per-connection
	 * mutex would only cost time. */
	flags = SQLITE_OPEN_NOMUTEX | (s->writer ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY);
	rc = sdb_sqlite_open(path, flags, &s->db);
	if (rc != SQLITE_OK) {
		rc = sq_fail(s, eb, rc, "open");
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* A check changes nothing: SQLite would fold the -wal into the
	 * database file at the last close, and a -wal that is not the
	 * file's own (a backup put where a crashed server left one) would
	 * be written into it, and the damage be the file's for good. */
	if (mode == SDB_STORE_CHECK &&
	    (rc = sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL)) !=
	    SQLITE_OK) {
		rc = sq_fail(s, eb, rc, "no checkpoint on close");
		goto fail;
	}
	/* SQLite opens a file it may not write read-only, quietly; a writer
	 * would then fail at its first batch, not at start. */
	if (mode == SDB_STORE_WRITE && sqlite3_db_readonly(s->db, "main") == 1) {
		rc = sdb_errf(eb, SDB_ERR_IO, "database %s cannot be written (%s): check its "
		              "permissions and owner", path, access(path, W_OK) != 0 ?
		              strerror(errno) : "read-only");
		goto fail;
	}
	/* Ours and whole before anything is changed: a writer's
	 * journal_mode=WAL would stay on another program's database given
	 * as --db. */
	if (check_schema && (rc = schema_check(s, path, eb)) != SDB_OK)
		goto fail;
	if (s->writer) {
		sqlite3_stmt *st = NULL;
		const unsigned char *jm;

		/* WAL lets readers go on during a batch; FULL syncs the WAL at
		 * every commit so a committed batch survives a power cut. */
		rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
		if (rc != SQLITE_OK) {
			rc = sq_fail(s, eb, rc, "journal_mode");
			goto fail;
		}
		rc = sqlite3_step(st);
		jm = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
		if (jm == NULL || strcmp((const char *)jm, "wal") != 0) {
			rc = rc == SQLITE_ROW ? sdb_errf(eb, SDB_ERR_IO, "database %s: cannot use WAL mode", path)
			                      : sq_fail(s, eb, rc, "journal_mode");
			sqlite3_finalize(st);
			goto fail;
		}
		sqlite3_finalize(st);
		if ((rc = exec_sql(s, "PRAGMA synchronous=FULL", "synchronous", eb)) != SDB_OK)
			goto fail;
		/* SQLite reuses the -wal from its start after a checkpoint but
		 * keeps its length: cut it back then (SDB_STORE_WAL_LIMIT). */
		{
			char pragma[64];

			snprintf(pragma, sizeof pragma, "PRAGMA journal_size_limit=%d",
			         SDB_STORE_WAL_LIMIT);
			if ((rc = exec_sql(s, pragma, "journal_size_limit", eb)) != SDB_OK)
				goto fail;
		}
	} else {
		char pragma[64];

		snprintf(pragma, sizeof pragma, "PRAGMA cache_size=-%d", SDB_STORE_READER_CACHE_KIB);
		if ((rc = exec_sql(s, pragma, "cache_size", eb)) != SDB_OK)
			goto fail;
	}
	free(s->made_lock);
	s->made_lock = NULL;
	*out = s;
	return SDB_OK;
fail:
	if (rc == SDB_ERR_IO && s->db != NULL)
		rc = explain_dir(s, path, rc, eb);
	/* A lock file this open made for a file it then refused is debris:
	 * removed while still locked (see lock_file). */
	if (s->made_lock != NULL)
		(void)unlink(s->made_lock);
	store_free(s);
	return rc;
}

int
sdb_store_open(struct sdb_store **out, const char *path, enum sdb_store_mode mode,
               struct sdb_errbuf *eb)
{
	if (out == NULL)
		return sdb_errf(eb, SDB_ERR_INVALID, "no handle pointer");
	if (mode != SDB_STORE_READ && mode != SDB_STORE_WRITE && mode != SDB_STORE_CHECK) {
		*out = NULL;
		return sdb_errf(eb, SDB_ERR_INVALID, "bad store open mode");
	}
	return store_open(out, path, mode, 1, eb);
}

static int
config_arg_ok(const char *v, const char *what, struct sdb_errbuf *eb)
{
	if (v == NULL || v[0] == '\0')
		return sdb_errf(eb, SDB_ERR_INVALID, "empty %s", what);
	if (strnlen(v, SDB_MAX_CONFIG_VALUE + 1) > SDB_MAX_CONFIG_VALUE)
		return sdb_errf(eb, SDB_ERR_INVALID, "%s longer than %d bytes", what, SDB_MAX_CONFIG_VALUE);
	return SDB_OK;
}

static int
config_put(struct sdb_store *s, const char *key, const char *value, struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt_get(s, ST_CONFIG_SET, &st, eb);

	if (rc != SDB_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? SDB_OK : sq_fail(s, eb, rc, "writing config");
	stmt_done(st);
	return rc;
}

int
sdb_store_create(const char *path, const char *name, const char *vkey, const char *skey_file,
                 struct sdb_errbuf *eb)
{
	struct sdb_store *s = NULL;
	size_t i;
	int fd, rc;

	if (path == NULL || path[0] == '\0')
		return sdb_errf(eb, SDB_ERR_INVALID, "no database path given");
	if ((rc = config_arg_ok(name, "log name", eb)) != SDB_OK ||
	    (rc = config_arg_ok(vkey, "verifier key", eb)) != SDB_OK ||
	    (rc = config_arg_ok(skey_file, "signer key file path", eb)) != SDB_OK)
		return rc;
	/* O_EXCL claims the name atomically: an existing database (or any
	 * file) is never overwritten, and the file is ours to remove on
	 * failure.  SQLite takes an empty file as a new database. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		const char *adv;

		if (e == EEXIST)
			return sdb_errf(eb, SDB_ERR_EXISTS, "%s already exists; not overwriting it", path);
		adv = errno_advice(e);
		return sdb_errf(eb, SDB_ERR_IO, "cannot create %s: %s%s%s", path, strerror(e),
		                adv != NULL ? ": " : "", adv != NULL ? adv : "");
	}
	close(fd);

	rc = store_open(&s, path, SDB_STORE_WRITE, 0, eb);
	if (rc != SDB_OK)
		goto fail;
	if ((rc = stmt_run(s, ST_BEGIN, "begin", eb)) != SDB_OK)
		goto fail;
	for (i = 0; i < SCHEMA_NTABLES; i++)
		if ((rc = exec_sql(s, schema_tables[i].sql, "creating tables", eb)) != SDB_OK)
			goto fail;
	if ((rc = config_put(s, SDB_STORE_CONFIG_SCHEMA, SCHEMA_VERSION, eb)) != SDB_OK ||
	    (rc = config_put(s, SDB_STORE_CONFIG_NAME, name, eb)) != SDB_OK ||
	    (rc = config_put(s, SDB_STORE_CONFIG_VKEY, vkey, eb)) != SDB_OK ||
	    (rc = config_put(s, SDB_STORE_CONFIG_SKEY_FILE, skey_file, eb)) != SDB_OK ||
	    (rc = stmt_run(s, ST_COMMIT, "commit", eb)) != SDB_OK)
		goto fail;
	store_free(s);
	return SDB_OK;
fail:
	store_free(s);
	/* Remove what we created (the name was ours by O_EXCL). */
	if (sdb_store_remove(path, NULL) != SDB_OK)
		(void)unlink(path);
	return rc;
}

int
sdb_store_remove(const char *path, struct sdb_errbuf *eb)
{
	static const char *const sfx[] = { "-wal", "-shm", "-journal" };
	size_t n, i;
	char *lp = NULL, *side;
	int fd = -1, created, rc;

	if (path == NULL || path[0] == '\0')
		return sdb_errf(eb, SDB_ERR_INVALID, "no database path given");
	if ((rc = lock_path(path, &lp, eb)) != SDB_OK)
		return rc;
	if ((rc = lock_file(path, lp, &fd, &created, eb)) != SDB_OK) {
		free(lp);
		return rc;
	}
	n = strlen(path);
	side = malloc(n + sizeof "-journal");
	if (side == NULL) {
		close(fd);
		free(lp);
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	}
	(void)unlink(path);
	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		memcpy(side, path, n);
		memcpy(side + n, sfx[i], strlen(sfx[i]) + 1);
		(void)unlink(side);
	}
	free(side);
	/* Last, while still held: whoever locks the file after this finds
	 * it nameless and tries again (lock_file). */
	(void)unlink(lp);
	close(fd);
	free(lp);
	return SDB_OK;
}

/* --- config ---------------------------------------------------------- */

int
sdb_store_config_get(struct sdb_store *s, const char *key, char **value, struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*value = NULL;
	if ((rc = stmt_get(s, ST_CONFIG_GET, &st, eb)) != SDB_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = sdb_errf(eb, SDB_ERR_NOT_FOUND, "config key %s is not set", key);
	} else if (rc != SQLITE_ROW) {
		rc = sq_fail(s, eb, rc, "reading config");
	} else {
		const unsigned char *t = sqlite3_column_text(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 0);
		char *v = t != NULL ? malloc(n + 1) : NULL;

		if (v == NULL) {
			rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory reading config");
		} else {
			memcpy(v, t, n);
			v[n] = '\0';
			*value = v;
			rc = SDB_OK;
		}
	}
	stmt_done(st);
	return rc;
}

int
sdb_store_config_each(struct sdb_store *s, const char *prefix, sdb_store_config_fn fn, void *arg,
                      struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = stmt_get(s, ST_CONFIG_EACH, &st, eb)) != SDB_OK)
		return rc;
	sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);

		/* text with a NUL in it would be cut: never handed on so */
		if (k == NULL || strlen(k) != (size_t)sqlite3_column_bytes(st, 0) ||
		    (v != NULL && strlen(v) != (size_t)sqlite3_column_bytes(st, 1))) {
			stmt_done(st);
			return sdb_errf(eb, SDB_ERR_DAMAGED, "database: reading config: a row "
			                "under %s holds a NUL byte", prefix);
		}
		if ((rc = fn(arg, k, v, eb)) != SDB_OK) {
			stmt_done(st);
			return rc;
		}
	}
	rc = rc == SQLITE_DONE ? SDB_OK : sq_fail(s, eb, rc, "reading config");
	stmt_done(st);
	return rc;
}

int
sdb_store_config_set(struct sdb_store *s, const char *key, const char *value,
                     struct sdb_errbuf *eb)
{
	int rc;

	if (!s->writer)
		return sdb_errf(eb, SDB_ERR_INVALID, "config_set on a read-only store handle");
	if (s->in_batch)
		return sdb_errf(eb, SDB_ERR_INVALID, "config_set during a batch");
	if (key == NULL || key[0] == '\0')
		return sdb_errf(eb, SDB_ERR_INVALID, "empty config key");
	if (value == NULL)
		return sdb_errf(eb, SDB_ERR_INVALID, "NULL config value");
	if (strnlen(key, SDB_MAX_CONFIG_VALUE + 1) > SDB_MAX_CONFIG_VALUE ||
	    strnlen(value, SDB_MAX_CONFIG_VALUE + 1) > SDB_MAX_CONFIG_VALUE)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "config %s: value over %d bytes", key,
		                SDB_MAX_CONFIG_VALUE);
	/* autocommit: one durable transaction of its own */
	rc = config_put(s, key, value, eb);
	return rc;
}

/* --- reads ----------------------------------------------------------- */

/* Reads a (size, hash, note) row of trees. */
static int
tree_row(sqlite3_stmt *st, struct sdb_tree *tree, uint8_t **note, size_t *note_len,
         struct sdb_errbuf *eb)
{
	const void *h = sqlite3_column_blob(st, 1);

	if (h == NULL || sqlite3_column_bytes(st, 1) != SDB_HASH_SIZE)
		return sdb_errf(eb, SDB_ERR_IO, "database: damaged tree row");
	tree->n = sqlite3_column_int64(st, 0);
	memcpy(tree->hash.b, h, SDB_HASH_SIZE);
	if (note != NULL)
		return col_copy(st, 2, note, note_len, eb);
	return SDB_OK;
}

static int
tree_query(struct sdb_store *s, int id, int64_t n, struct sdb_tree *tree, uint8_t **note,
           size_t *note_len, struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (note != NULL)
		*note = NULL;
	if ((rc = stmt_get(s, id, &st, eb)) != SDB_OK)
		return rc;
	if (id != ST_LATEST)
		sqlite3_bind_int64(st, 1, n);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE && id == ST_TREE)
		rc = sdb_errf(eb, SDB_ERR_NOT_FOUND, "no signed tree of size %lld", (long long)n);
	else if (rc == SQLITE_DONE && id == ST_TREE_AFTER)
		rc = sdb_errf(eb, SDB_ERR_NOT_FOUND, "no signed tree larger than %lld", (long long)n);
	else if (rc == SQLITE_DONE)
		rc = sdb_errf(eb, SDB_ERR_NOT_FOUND, "no signed tree yet");
	else if (rc == SQLITE_ROW)
		rc = tree_row(st, tree, note, note_len, eb);
	else
		rc = sq_fail(s, eb, rc, "reading trees");
	stmt_done(st);
	return rc;
}

int
sdb_store_latest(struct sdb_store *s, struct sdb_tree *tree, uint8_t **note, size_t *note_len,
                 struct sdb_errbuf *eb)
{
	return tree_query(s, ST_LATEST, 0, tree, note, note_len, eb);
}

int
sdb_store_tree(struct sdb_store *s, int64_t n, struct sdb_tree *tree, uint8_t **note,
               size_t *note_len, struct sdb_errbuf *eb)
{
	return tree_query(s, ST_TREE, n, tree, note, note_len, eb);
}

int
sdb_store_tree_after(struct sdb_store *s, int64_t n, struct sdb_tree *tree, uint8_t **note,
                     size_t *note_len, struct sdb_errbuf *eb)
{
	return tree_query(s, ST_TREE_AFTER, n, tree, note, note_len, eb);
}

/* One integer from the one-row query which, for what ("counting records"). */
static int
count_query(struct sdb_store *s, int which, const char *what, int64_t *count,
            struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*count = 0;
	if ((rc = stmt_get(s, which, &st, eb)) != SDB_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		rc = SDB_OK;
	} else {
		rc = sq_fail(s, eb, rc, what);
	}
	stmt_done(st);
	return rc;
}

int
sdb_store_count(struct sdb_store *s, int64_t *count, struct sdb_errbuf *eb)
{
	return count_query(s, ST_COUNT, "counting records", count, eb);
}

int
sdb_store_count_trees(struct sdb_store *s, int64_t *count, struct sdb_errbuf *eb)
{
	return count_query(s, ST_COUNT_TREES, "counting signed trees", count, eb);
}

int
sdb_store_lookup(struct sdb_store *s, const char *path, const char *version, int64_t *id,
                 uint8_t **text, size_t *text_len, struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (text != NULL)
		*text = NULL;
	if ((rc = stmt_get(s, ST_LOOKUP, &st, eb)) != SDB_OK)
		return rc;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, version, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = sdb_errf(eb, SDB_ERR_NOT_FOUND, "no record of %s@%s", path, version);
	} else if (rc != SQLITE_ROW) {
		rc = sq_fail(s, eb, rc, "lookup");
	} else {
		*id = sqlite3_column_int64(st, 0);
		rc = text != NULL ? col_copy(st, 1, text, text_len, eb) : SDB_OK;
	}
	stmt_done(st);
	return rc;
}

int
sdb_store_record(struct sdb_store *s, int64_t id, uint8_t **text, size_t *text_len,
                 struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*text = NULL;
	if ((rc = stmt_get(s, ST_RECORD, &st, eb)) != SDB_OK)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rc = sdb_errf(eb, SDB_ERR_NOT_FOUND, "no record %lld", (long long)id);
	else if (rc != SQLITE_ROW)
		rc = sq_fail(s, eb, rc, "reading record");
	else
		rc = col_copy(st, 0, text, text_len, eb);
	stmt_done(st);
	return rc;
}

int
sdb_store_record_with(struct sdb_store *s, int64_t id, const char *path, size_t path_len,
                      const char *version, size_t version_len, sdb_store_record_fn fn,
                      void *arg, struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = stmt_get(s, ST_RECORD_OF, &st, eb)) != SDB_OK)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = sdb_errf(eb, SDB_ERR_NOT_FOUND, "no record %lld", (long long)id);
	} else if (rc != SQLITE_ROW) {
		rc = sq_fail(s, eb, rc, "reading record");
	} else {
		const void *p = sqlite3_column_blob(st, 0);
		size_t pl = (size_t)sqlite3_column_bytes(st, 0);
		const void *v = sqlite3_column_blob(st, 1);
		size_t vl = (size_t)sqlite3_column_bytes(st, 1);
		struct sdb_store_record rec;

		if (p == NULL || v == NULL)
			rc = sdb_errf(eb, SDB_ERR_NOMEM, "database: out of memory reading record %lld",
			              (long long)id);
		else if (pl != path_len || vl != version_len || memcmp(p, path, pl) != 0 ||
		         memcmp(v, version, vl) != 0)
			rc = sdb_errf(eb, SDB_ERR_NOT_FOUND, "record %lld is not %s@%s", (long long)id,
			              path, version);
		else {
			rec.id = id;
			rec.path = path;
			rec.version = version;
			rec.text = sqlite3_column_blob(st, 2);
			rec.text_len = (size_t)sqlite3_column_bytes(st, 2);
			if (rec.text == NULL && rec.text_len > 0)
				rc = sdb_errf(eb, SDB_ERR_NOMEM, "database: out of memory reading a column");
			else
				rc = fn(arg, &rec);
		}
	}
	stmt_done(st);
	return rc;
}

/* Copies the text of the record sdb_store_record_with found. */
struct text_copy {
	uint8_t *text;
	size_t len;
};

static int
text_copy_fn(void *arg, const struct sdb_store_record *rec)
{
	struct text_copy *c = arg;

	c->text = malloc(rec->text_len > 0 ? rec->text_len : 1);
	if (c->text == NULL)
		return SDB_ERR_NOMEM;
	if (rec->text_len > 0)
		memcpy(c->text, rec->text, rec->text_len);
	c->len = rec->text_len;
	return SDB_OK;
}

int
sdb_store_record_of(struct sdb_store *s, int64_t id, const char *path, size_t path_len,
                    const char *version, size_t version_len, uint8_t **text, size_t *text_len,
                    struct sdb_errbuf *eb)
{
	struct text_copy c = { NULL, 0 };
	int rc;

	*text = NULL;
	rc = sdb_store_record_with(s, id, path, path_len, version, version_len, text_copy_fn, &c,
	                           eb);
	if (rc != SDB_OK)
		return rc;
	*text = c.text;
	*text_len = c.len;
	return SDB_OK;
}

int
sdb_store_foreach_key(struct sdb_store *s, sdb_store_record_fn fn, void *arg,
                      struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = stmt_get(s, ST_ALL_KEYS, &st, eb)) != SDB_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sdb_store_record rec;

		rec.id = sqlite3_column_int64(st, 0);
		rec.path = (const char *)sqlite3_column_text(st, 1);
		rec.version = (const char *)sqlite3_column_text(st, 2);
		rec.text = NULL;
		rec.text_len = 0;
		if (rec.path == NULL || rec.version == NULL) {
			rc = sdb_errf(eb, SDB_ERR_NOMEM, "database: out of memory reading records");
			goto out;
		}
		if ((rc = fn(arg, &rec)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? SDB_OK : sq_fail(s, eb, rc, "reading records");
out:
	stmt_done(st);
	return rc;
}

/* Fills rec from an (id, path, version, text) row; borrowed pointers. */
static int
record_row(sqlite3_stmt *st, struct sdb_store_record *rec, struct sdb_errbuf *eb)
{
	rec->id = sqlite3_column_int64(st, 0);
	rec->path = (const char *)sqlite3_column_text(st, 1);
	rec->version = (const char *)sqlite3_column_text(st, 2);
	rec->text = sqlite3_column_blob(st, 3);
	rec->text_len = (size_t)sqlite3_column_bytes(st, 3);
	if (rec->path == NULL || rec->version == NULL || rec->text == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "database: out of memory reading record %lld",
		                (long long)rec->id);
	return SDB_OK;
}

/* Steps st, handing every record to fn; ids must run from first without a
 * gap.  *next is the id after the last one delivered. */
static int
record_loop(struct sdb_store *s, sqlite3_stmt *st, int64_t first, int64_t *next,
            sdb_store_record_fn fn, void *arg, struct sdb_errbuf *eb)
{
	int64_t want = first;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sdb_store_record rec;

		if ((rc = record_row(st, &rec, eb)) != SDB_OK)
			goto out;
		if (rec.id != want) {
			rc = rec.id == want + 1 ?
			    sdb_errf(eb, SDB_ERR_INVALID, "database damaged: record %lld is missing "
			             "(the next id stored is %lld)", (long long)want, (long long)rec.id) :
			    sdb_errf(eb, SDB_ERR_INVALID, "database damaged: records %lld to %lld are "
			             "missing (the next id stored is %lld)", (long long)want,
			             (long long)rec.id - 1, (long long)rec.id);
			goto out;
		}
		want++;
		if ((rc = fn(arg, &rec)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? SDB_OK : sq_fail(s, eb, rc, "reading records");
out:
	*next = want;
	stmt_done(st);
	return rc;
}

int
sdb_store_records(struct sdb_store *s, int64_t start, int64_t count, sdb_store_record_fn fn,
                  void *arg, struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int64_t next;
	int rc;

	if (start < 0 || count < 1 || count > SDB_STORE_TILE_WIDTH || start > INT64_MAX - count)
		return sdb_errf(eb, SDB_ERR_RANGE, "record range %lld+%lld out of range",
		                (long long)start, (long long)count);
	if ((rc = stmt_get(s, ST_RANGE, &st, eb)) != SDB_OK)
		return rc;
	sqlite3_bind_int64(st, 1, start);
	sqlite3_bind_int64(st, 2, start + count);
	rc = record_loop(s, st, start, &next, fn, arg, eb);
	if (rc == SDB_OK && next != start + count)
		rc = sdb_errf(eb, SDB_ERR_NOT_FOUND, "records %lld..%lld: only %lld exist",
		              (long long)start, (long long)(start + count - 1), (long long)(next - start));
	return rc;
}

static int
tile_args_ok(int level, int64_t n, struct sdb_errbuf *eb)
{
	if (level < 0 || level > SDB_STORE_MAX_TILE_LEVEL || n < 0)
		return sdb_errf(eb, SDB_ERR_RANGE, "tile %d/%lld out of range", level, (long long)n);
	return SDB_OK;
}

int
sdb_store_tile(struct sdb_store *s, int level, int64_t n, int width, uint8_t **hashes,
               size_t *len, struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*hashes = NULL;
	if ((rc = tile_args_ok(level, n, eb)) != SDB_OK)
		return rc;
	if (width < 0 || width > SDB_STORE_TILE_WIDTH)
		return sdb_errf(eb, SDB_ERR_RANGE, "tile width %d out of range", width);
	if ((rc = stmt_get(s, ST_TILE, &st, eb)) != SDB_OK)
		return rc;
	sqlite3_bind_int(st, 1, level);
	sqlite3_bind_int64(st, 2, n);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = sdb_errf(eb, SDB_ERR_NOT_FOUND, "no tile %d/%lld", level, (long long)n);
	} else if (rc != SQLITE_ROW) {
		rc = sq_fail(s, eb, rc, "reading tile");
	} else {
		size_t have = (size_t)sqlite3_column_bytes(st, 0);
		size_t want = width == 0 ? have : (size_t)width * SDB_HASH_SIZE;

		if (want > have) {
			rc = sdb_errf(eb, SDB_ERR_NOT_FOUND, "tile %d/%lld has %zu hashes, not %d", level,
			              (long long)n, have / SDB_HASH_SIZE, width);
		} else if ((rc = col_copy(st, 0, hashes, len, eb)) == SDB_OK) {
			*len = want; /* a partial tile is a prefix of the stored one */
		}
	}
	stmt_done(st);
	return rc;
}

int
sdb_store_foreach_record(struct sdb_store *s, sdb_store_record_fn fn, void *arg,
                         struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int64_t next;
	int rc;

	if ((rc = stmt_get(s, ST_ALL_RECORDS, &st, eb)) != SDB_OK)
		return rc;
	return record_loop(s, st, 0, &next, fn, arg, eb);
}

int
sdb_store_foreach_tile(struct sdb_store *s, sdb_store_tile_fn fn, void *arg,
                       struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = stmt_get(s, ST_ALL_TILES, &st, eb)) != SDB_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sdb_store_tile t;

		t.level = sqlite3_column_int(st, 0);
		t.n = sqlite3_column_int64(st, 1);
		t.hashes = sqlite3_column_blob(st, 2);
		t.len = (size_t)sqlite3_column_bytes(st, 2);
		if (t.hashes == NULL) {
			rc = sdb_errf(eb, SDB_ERR_NOMEM, "database: out of memory reading tiles");
			goto out;
		}
		if ((rc = fn(arg, &t)) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? SDB_OK : sq_fail(s, eb, rc, "reading tiles");
out:
	stmt_done(st);
	return rc;
}

int
sdb_store_foreach_tree(struct sdb_store *s, sdb_store_tree_fn fn, void *arg,
                       struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = stmt_get(s, ST_ALL_TREES, &st, eb)) != SDB_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sdb_tree tree;
		const uint8_t *note;

		if ((rc = tree_row(st, &tree, NULL, NULL, eb)) != SDB_OK)
			goto out;
		note = sqlite3_column_blob(st, 2);
		if (note == NULL) {
			rc = sdb_errf(eb, SDB_ERR_NOMEM, "database: out of memory reading trees");
			goto out;
		}
		if ((rc = fn(arg, &tree, note, (size_t)sqlite3_column_bytes(st, 2))) != 0)
			goto out;
	}
	rc = rc == SQLITE_DONE ? SDB_OK : sq_fail(s, eb, rc, "reading trees");
out:
	stmt_done(st);
	return rc;
}

int
sdb_store_snapshot_begin(struct sdb_store *s, struct sdb_errbuf *eb)
{
	int rc;

	if (s->writer)
		return sdb_errf(eb, SDB_ERR_INVALID, "snapshot on the writer handle");
	if (s->in_snapshot)
		return sdb_errf(eb, SDB_ERR_INVALID, "a snapshot is already open");
	if ((rc = stmt_run(s, ST_BEGIN_READ, "begin", eb)) != SDB_OK)
		return rc;
	s->in_snapshot = 1;
	return SDB_OK;
}

void
sdb_store_snapshot_end(struct sdb_store *s)
{
	struct sdb_errbuf ignored;

	if (s == NULL || !s->in_snapshot)
		return;
	s->in_snapshot = 0;
	/* Ending a read transaction cannot lose anything; if COMMIT failed
	 * the connection would still end it on the next BEGIN or close. */
	if (!sqlite3_get_autocommit(s->db))
		(void)stmt_run(s, ST_COMMIT, "end snapshot", &ignored);
}

/* --- the write batch ------------------------------------------------- */

/* Rolls the batch back (all of it) and passes rc through. */
static int
batch_fail(struct sdb_store *s, int rc)
{
	sdb_store_batch_abort(s);
	return rc;
}

/*
 * SDB_OK while the batch's transaction is open.  SQLite ends a transaction
 * by itself on some errors (an I/O error or out of memory in any
 * statement, a read among them); a batch that went on would then write
 * each later statement on its own, in autocommit, and no longer all or
 * nothing.  So every step of a batch first checks that it still has one.
 */
static int
batch_live(struct sdb_store *s, struct sdb_errbuf *eb)
{
	if (!s->in_batch)
		return sdb_errf(eb, SDB_ERR_INVALID, "no batch is open");
	if (sqlite3_get_autocommit(s->db)) {
		s->in_batch = 0;
		return sdb_errf(eb, SDB_ERR_IO, "the database ended the batch's transaction "
		                "after an earlier error; nothing of the batch was written");
	}
	return SDB_OK;
}

/* Commits the batch, if it still has its transaction.  With
 * synchronous=FULL the WAL is synced before COMMIT returns: only then may
 * a caller publish what the batch wrote. */
static int
batch_end(struct sdb_store *s, struct sdb_errbuf *eb)
{
	int rc;

	if ((rc = batch_live(s, eb)) != SDB_OK)
		return rc;
	if ((rc = stmt_run(s, ST_COMMIT, "commit", eb)) != SDB_OK)
		return batch_fail(s, rc);
	s->in_batch = 0;
	return SDB_OK;
}

int
sdb_store_in_transaction(struct sdb_store *s)
{
	return s != NULL && s->db != NULL && !sqlite3_get_autocommit(s->db);
}

void
sdb_store_batch_abort(struct sdb_store *s)
{
	if (s == NULL || !s->in_batch)
		return;
	s->in_batch = 0;
	/* SQLite may already have rolled back by itself (after some I/O and
	 * disk-full errors); a ROLLBACK without a transaction would fail. */
	if (!sqlite3_get_autocommit(s->db)) {
		struct sdb_errbuf ignored;
		/* A failing ROLLBACK leaves nothing to do: SQLite then rolls
		 * back when the connection closes or the hot WAL is read. */
		(void)stmt_run(s, ST_ROLLBACK, "rollback", &ignored);
	}
}

int
sdb_store_batch_begin(struct sdb_store *s, struct sdb_errbuf *eb)
{
	int rc;

	if (!s->writer)
		return sdb_errf(eb, SDB_ERR_INVALID, "batch on a read-only store handle");
	if (s->in_batch)
		return sdb_errf(eb, SDB_ERR_INVALID, "a batch is already open");
	if ((rc = stmt_run(s, ST_BEGIN, "begin", eb)) != SDB_OK)
		return rc;
	s->in_batch = 1;
	if ((rc = sdb_store_count(s, &s->next_id, eb)) != SDB_OK)
		return batch_fail(s, rc);
	s->base = s->next_id;
	return SDB_OK;
}

static int
bounded_str(const char *v, const char *what, struct sdb_errbuf *eb)
{
	if (v == NULL || v[0] == '\0')
		return sdb_errf(eb, SDB_ERR_INVALID, "record with an empty %s", what);
	if (strnlen(v, SDB_MAX_RECORD_SIZE + 1) > SDB_MAX_RECORD_SIZE)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "record %s over %d bytes", what, SDB_MAX_RECORD_SIZE);
	return SDB_OK;
}

int
sdb_store_batch_add(struct sdb_store *s, const struct sdb_store_record *rec,
                    struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (!s->in_batch)
		return sdb_errf(eb, SDB_ERR_INVALID, "record added outside a batch");
	if ((rc = batch_live(s, eb)) != SDB_OK)
		return rc;
	if (rec->id != s->next_id)
		return batch_fail(s, sdb_errf(eb, SDB_ERR_INVALID,
		                              "record id %lld is not the next id %lld",
		                              (long long)rec->id, (long long)s->next_id));
	if ((rc = bounded_str(rec->path, "path", eb)) != SDB_OK ||
	    (rc = bounded_str(rec->version, "version", eb)) != SDB_OK)
		return batch_fail(s, rc);
	if (rec->text == NULL || rec->text_len == 0)
		return batch_fail(s, sdb_errf(eb, SDB_ERR_INVALID, "record %lld has no text",
		                              (long long)rec->id));
	if (rec->text_len > SDB_MAX_RECORD_SIZE)
		return batch_fail(s, sdb_errf(eb, SDB_ERR_TOO_LARGE, "record %lld: text of %zu bytes",
		                              (long long)rec->id, rec->text_len));
	if ((rc = stmt_get(s, ST_RECORD_INSERT, &st, eb)) != SDB_OK)
		return batch_fail(s, rc);
	sqlite3_bind_int64(st, 1, rec->id);
	sqlite3_bind_text(st, 2, rec->path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, rec->version, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, rec->text, (int)rec->text_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		rc = sdb_errf(eb, SDB_ERR_EXISTS, "%s@%s is already recorded", rec->path, rec->version);
	else if (rc != SQLITE_DONE)
		rc = sq_fail(s, eb, rc, "inserting record");
	else
		rc = SDB_OK;
	stmt_done(st);
	if (rc != SDB_OK)
		return batch_fail(s, rc);
	s->next_id++;
	return SDB_OK;
}

int
sdb_store_batch_tile(struct sdb_store *s, const struct sdb_store_tile *t, struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc;
	size_t have = 0;

	if (!s->in_batch)
		return sdb_errf(eb, SDB_ERR_INVALID, "tile stored outside a batch");
	if ((rc = batch_live(s, eb)) != SDB_OK)
		return rc;
	if ((rc = tile_args_ok(t->level, t->n, eb)) != SDB_OK)
		return batch_fail(s, rc);
	if (t->len > SDB_STORE_TILE_MAX_BYTES)
		return batch_fail(s, sdb_errf(eb, SDB_ERR_TOO_LARGE,
		                              "tile %d/%lld: %zu bytes, more than 256 hashes", t->level,
		                              (long long)t->n, t->len));
	if (t->hashes == NULL || t->len == 0 || t->len % SDB_HASH_SIZE != 0)
		return batch_fail(s, sdb_errf(eb, SDB_ERR_INVALID,
		                              "tile %d/%lld: %zu bytes is not a whole number of hashes",
		                              t->level, (long long)t->n, t->len));

	/* The append-only rule: what is stored may have been served, and
	 * clients cache tiles forever. */
	if ((rc = stmt_get(s, ST_TILE, &st, eb)) != SDB_OK)
		return batch_fail(s, rc);
	sqlite3_bind_int(st, 1, t->level);
	sqlite3_bind_int64(st, 2, t->n);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const uint8_t *old = sqlite3_column_blob(st, 0);
		size_t cmp;

		have = (size_t)sqlite3_column_bytes(st, 0);
		cmp = have < t->len ? have : t->len;
		if (old == NULL) {
			rc = sdb_errf(eb, SDB_ERR_NOMEM, "database: out of memory reading tile");
		} else if (memcmp(old, t->hashes, cmp) != 0) {
			size_t i = 0;
			while (i < cmp && old[i] == t->hashes[i])
				i++;
			rc = sdb_errf(eb, SDB_ERR_FORK, "tile %d/%lld: would change stored hash %zu",
			              t->level, (long long)t->n, i / SDB_HASH_SIZE);
		} else if (t->len < have) {
			rc = sdb_errf(eb, SDB_ERR_RANGE, "tile %d/%lld: would shrink from %zu to %zu hashes",
			              t->level, (long long)t->n, have / SDB_HASH_SIZE,
			              t->len / SDB_HASH_SIZE);
		} else {
			rc = SDB_OK;
		}
	} else if (rc == SQLITE_DONE) {
		rc = SDB_OK;
	} else {
		rc = sq_fail(s, eb, rc, "reading tile");
	}
	stmt_done(st);
	if (rc != SDB_OK)
		return batch_fail(s, rc);
	if (have == t->len)
		return SDB_OK; /* the same tile again: nothing to write */

	if ((rc = stmt_get(s, ST_TILE_PUT, &st, eb)) != SDB_OK)
		return batch_fail(s, rc);
	sqlite3_bind_int(st, 1, t->level);
	sqlite3_bind_int64(st, 2, t->n);
	sqlite3_bind_blob(st, 3, t->hashes, (int)t->len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? SDB_OK : sq_fail(s, eb, rc, "writing tile");
	stmt_done(st);
	if (rc != SDB_OK)
		return batch_fail(s, rc);
	return SDB_OK;
}

/* One step of check_tiles: the last tile at level must not lie past
 * tile number max_n (-1: the level must have no tile). */
static int
check_tile_last(struct sdb_store *s, int level, int64_t max_n, int64_t count, struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = stmt_get(s, ST_TILE_LAST, &st, eb)) != SDB_OK)
		return rc;
	sqlite3_bind_int(st, 1, level);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_int64(st, 0) > max_n)
		rc = sdb_errf(eb, SDB_ERR_INVALID, "tile %d/%lld lies beyond the tree of size %lld",
		              level, (long long)sqlite3_column_int64(st, 0), (long long)count);
	else if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		rc = SDB_OK;
	else
		rc = sq_fail(s, eb, rc, "reading tiles");
	stmt_done(st);
	return rc;
}

/*
 * The tiles must cover exactly the tree of count records: at level L the
 * hashes 0 .. m-1 with m = count >> 8L, so every tile before the last is
 * full, the last, number (m-1)/256, has width (m-1)%256+1, and none lies
 * beyond.  Tiles below the batch's first touched one, (base >> 8L)/256,
 * were full when an earlier batch committed and cannot change (they are
 * append-only and full), so only the tiles from there on are read, and
 * the last one of each level always.
 */
static int
check_tiles(struct sdb_store *s, int64_t base, int64_t count, struct sdb_errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int level, rc;

	for (level = 0; level <= SDB_STORE_MAX_TILE_LEVEL; level++) {
		int64_t m = count >> (8 * level), n, first;

		if ((rc = check_tile_last(s, level, m == 0 ? -1 : (m - 1) / SDB_STORE_TILE_WIDTH, count,
		                          eb)) != SDB_OK)
			return rc;
		if (m == 0)
			continue;
		if ((rc = stmt_get(s, ST_TILE_LEN, &st, eb)) != SDB_OK)
			return rc;
		first = (base >> (8 * level)) / SDB_STORE_TILE_WIDTH;
		if (first > (m - 1) / SDB_STORE_TILE_WIDTH)
			first = (m - 1) / SDB_STORE_TILE_WIDTH;   /* the last one at least */
		for (n = first; n <= (m - 1) / SDB_STORE_TILE_WIDTH; n++) {
			int64_t want = m - n * SDB_STORE_TILE_WIDTH, have = 0;

			if (want > SDB_STORE_TILE_WIDTH)
				want = SDB_STORE_TILE_WIDTH;
			sqlite3_bind_int(st, 1, level);
			sqlite3_bind_int64(st, 2, n);
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW)
				have = sqlite3_column_int64(st, 0) / SDB_HASH_SIZE;
			else if (rc != SQLITE_DONE)
				rc = sq_fail(s, eb, rc, "reading tiles");
			stmt_done(st);
			if (rc != SQLITE_ROW && rc != SQLITE_DONE)
				return rc;
			if (have != want)
				return sdb_errf(eb, SDB_ERR_INVALID,
				                "tiles do not cover the tree of size %lld: tile %d/%lld has"
				                " %lld hashes, should have %lld",
				                (long long)count, level, (long long)n, (long long)have,
				                (long long)want);
		}
	}
	return SDB_OK;
}

int
sdb_store_check_extent(struct sdb_store *s, int64_t n, struct sdb_errbuf *eb)
{
	int64_t count;
	int rc;

	if (n < 0)
		return sdb_errf(eb, SDB_ERR_RANGE, "negative tree size %lld", (long long)n);
	if ((rc = sdb_store_count(s, &count, eb)) != SDB_OK)
		return rc;
	if (count != n)
		return sdb_errf(eb, SDB_ERR_INVALID, "%lld record%s stored, the latest signed tree "
		                "has %lld", (long long)count, count == 1 ? "" : "s", (long long)n);
	/* base n: the last tile of every level and what lies beyond it are
	 * read, not the ones before */
	return check_tiles(s, n, n, eb);
}

int
sdb_store_drop_unsigned(struct sdb_store *s, int64_t *records, int64_t *tree_n,
    struct sdb_errbuf *eb)
{
	struct sdb_tree t;
	char sql[160];
	int level, rc;

	*records = 0;
	if (!s->writer || s->in_batch)
		return sdb_errf(eb, SDB_ERR_INVALID, "dropping rows needs the writer, outside a batch");
	if ((rc = stmt_run(s, ST_BEGIN, "begin", eb)) != SDB_OK)
		return rc;
	s->in_batch = 1;   /* batch_fail rolls back */
	if ((rc = sdb_store_latest(s, &t, NULL, NULL, eb)) != SDB_OK)
		return batch_fail(s, rc);
	*tree_n = t.n;
	snprintf(sql, sizeof sql, "DELETE FROM records WHERE id >= %lld", (long long)t.n);
	if ((rc = exec_sql(s, sql, "dropping records", eb)) != SDB_OK)
		return batch_fail(s, rc);
	*records = sqlite3_changes(s->db);
	/* Each level keeps hashes 0 .. m-1: the tiles past the one holding
	 * m-1 go, and that one is cut to its width (a prefix of what it held:
	 * what clients may have seen of it is unchanged). */
	for (level = 0; level <= SDB_STORE_MAX_TILE_LEVEL; level++) {
		int64_t m = t.n >> (8 * level), last = m > 0 ? (m - 1) / SDB_STORE_TILE_WIDTH : -1;

		snprintf(sql, sizeof sql, "DELETE FROM tiles WHERE level = %d AND n > %lld", level,
		         (long long)last);
		if ((rc = exec_sql(s, sql, "dropping tiles", eb)) != SDB_OK)
			return batch_fail(s, rc);
		if (m % SDB_STORE_TILE_WIDTH == 0)
			continue;
		snprintf(sql, sizeof sql, "UPDATE tiles SET hashes = substr(hashes, 1, %lld) WHERE "
		         "level = %d AND n = %lld AND length(hashes) > %lld",
		         (long long)(m % SDB_STORE_TILE_WIDTH) * SDB_HASH_SIZE, level, (long long)last,
		         (long long)(m % SDB_STORE_TILE_WIDTH) * SDB_HASH_SIZE);
		if ((rc = exec_sql(s, sql, "cutting tiles", eb)) != SDB_OK)
			return batch_fail(s, rc);
	}
	if ((rc = sdb_store_check_extent(s, t.n, eb)) != SDB_OK)
		return batch_fail(s, rc);
	return batch_end(s, eb);
}

int
sdb_store_batch_commit(struct sdb_store *s, const struct sdb_tree *tree, const uint8_t *note,
                       size_t note_len, struct sdb_errbuf *eb)
{
	struct sdb_tree old;
	sqlite3_stmt *st = NULL;
	int rc;

	if (!s->in_batch)
		return sdb_errf(eb, SDB_ERR_INVALID, "commit outside a batch");
	if ((rc = batch_live(s, eb)) != SDB_OK)
		return rc;
	if (tree->n < 0)
		return batch_fail(s, sdb_errf(eb, SDB_ERR_RANGE, "negative tree size %lld",
		                              (long long)tree->n));
	if (note == NULL || note_len == 0)
		return batch_fail(s, sdb_errf(eb, SDB_ERR_INVALID, "tree %lld has no signed note",
		                              (long long)tree->n));
	if (note_len > SDB_MAX_NOTE_SIZE)
		return batch_fail(s, sdb_errf(eb, SDB_ERR_TOO_LARGE, "tree note of %zu bytes", note_len));

	/* Never sign two trees of one size. */
	rc = sdb_store_tree(s, tree->n, &old, NULL, NULL, eb);
	if (rc == SDB_OK)
		rc = memcmp(old.hash.b, tree->hash.b, SDB_HASH_SIZE) != 0
		         ? sdb_errf(eb, SDB_ERR_FORK, "refusing a second, different tree of size %lld",
		                    (long long)tree->n)
		         : sdb_errf(eb, SDB_ERR_EXISTS, "tree of size %lld is already recorded",
		                    (long long)tree->n);
	else if (rc == SDB_ERR_NOT_FOUND)
		rc = SDB_OK;
	if (rc != SDB_OK)
		return batch_fail(s, rc);

	/* Never roll back. */
	rc = sdb_store_latest(s, &old, NULL, NULL, eb);
	if (rc == SDB_OK && tree->n < old.n)
		rc = sdb_errf(eb, SDB_ERR_RANGE, "tree of size %lld would roll back the signed tree of size %lld",
		              (long long)tree->n, (long long)old.n);
	else if (rc == SDB_ERR_NOT_FOUND)
		rc = SDB_OK;
	if (rc != SDB_OK)
		return batch_fail(s, rc);

	if (tree->n != s->next_id)
		return batch_fail(s, sdb_errf(eb, SDB_ERR_INVALID,
		                              "tree size %lld does not match the %lld records",
		                              (long long)tree->n, (long long)s->next_id));
	if ((rc = check_tiles(s, s->base, tree->n, eb)) != SDB_OK)
		return batch_fail(s, rc);

	/* The reads above may have ended the transaction (batch_live). */
	if ((rc = batch_live(s, eb)) != SDB_OK)
		return rc;
	if ((rc = stmt_get(s, ST_TREE_INSERT, &st, eb)) != SDB_OK)
		return batch_fail(s, rc);
	sqlite3_bind_int64(st, 1, tree->n);
	sqlite3_bind_blob(st, 2, tree->hash.b, SDB_HASH_SIZE, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, note, (int)note_len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? SDB_OK : sq_fail(s, eb, rc, "inserting tree");
	stmt_done(st);
	if (rc != SDB_OK)
		return batch_fail(s, rc);
	return batch_end(s, eb);
}

int
sdb_store_append(struct sdb_store *s, const struct sdb_store_record *recs, size_t nrecs,
                 const struct sdb_store_tile *tiles, size_t ntiles, const struct sdb_tree *tree,
                 const uint8_t *note, size_t note_len, struct sdb_errbuf *eb)
{
	size_t i;
	int rc;

	if ((rc = sdb_store_batch_begin(s, eb)) != SDB_OK)
		return rc;
	for (i = 0; i < nrecs; i++)
		if ((rc = sdb_store_batch_add(s, &recs[i], eb)) != SDB_OK)
			return rc;
	for (i = 0; i < ntiles; i++)
		if ((rc = sdb_store_batch_tile(s, &tiles[i], eb)) != SDB_OK)
			return rc;
	return sdb_store_batch_commit(s, tree, note, note_len, eb);
}
