/*
 * The log as the server sees it: one writer (the sequencer thread) that
 * turns queued records into committed records, tiles and a signed tree,
 * and a published "latest" signed tree that readers take without waiting
 * for the writer (DESIGN.md "Data flow" steps 2 and 3).
 *
 * Threads: sdbd_log_append() and sdbd_log_latest() may be called from any
 * thread.  Everything else from the thread that opened the log.
 */
#ifndef CSUMDB_SUMDBD_LOG_H
#define CSUMDB_SUMDBD_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "csumdb/err.h"
#include "csumdb/hash.h"

struct sdbd_log;

/*
 * The newest published signed tree: immutable and reference-counted, so a
 * request keeps using the tree it started with while the sequencer
 * publishes newer ones.  Published only after its commit returned.
 */
struct sdbd_latest {
	struct sdb_tree tree;
	const char *note;       /* signed tree note, the /latest body */
	size_t note_len;
};

/* Options for sdbd_log_open(); zero means the default. */
struct sdbd_log_options {
	const char *db_path;       /* required */
	const char *key_path;      /* signer key file; NULL: the path the db remembers */
	const char *checkpoint_path; /* the key's checkpoint; NULL: beside the key */
	int new_checkpoint;        /* no checkpoint: start one at the
	                            * database's tree (else refused) */
	int group_commit_ms;       /* how long the sequencer gathers a batch (default 2) */
	size_t max_batch;          /* records per batch (default 4096) */
};

/*
 * Opens the database as its one writer (SDB_ERR_LOCKED when another
 * process holds it), loads the signer key, checks that the stored tiles
 * reproduce the last signed root (SDB_ERR_ROOT_MISMATCH otherwise: the
 * server must not start) and starts the sequencer thread.
 * A database without any tree (fresh from sdb_store_create) gets its
 * signed tree of size 0 here.  The stored latest note must verify with
 * the key (SDB_ERR_BAD_SIGNATURE or another note error otherwise).
 * The key's checkpoint is locked for as long as the log is open
 * (SDB_ERR_INVALID when another process signs under it), the database
 * must hold its tree (checkpoint.h; SDB_ERR_ROOT_MISMATCH otherwise); a
 * database with a tree and no checkpoint is refused (SDB_ERR_INVALID)
 * unless opt->new_checkpoint starts one at its tree; and
 * it is brought up to date here and after every commit, before a tree is
 * published (a checkpoint that does not read as a signed tree note gives
 * SDB_ERR_TOO_LARGE or a note error).
 * Returns SDB_OK, SDB_ERR_LOCKED, SDB_ERR_ROOT_MISMATCH, SDB_ERR_BAD_KEY,
 * SDB_ERR_NOT_FOUND (no database or key file), SDB_ERR_BAD_SIGNATURE,
 * SDB_ERR_IO, SDB_ERR_NOMEM, SDB_ERR_INVALID; detail in eb.
 */
int sdbd_log_open(struct sdbd_log **out, const struct sdbd_log_options *opt,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Reads a signer key file (one PRIVATE+KEY+... line, a final newline
 * allowed) through guarded memory, wiped after parsing.  *out is a new
 * signer (sdb_note_signer_free) or NULL on failure.  Returns SDB_OK,
 * SDB_ERR_NOT_FOUND, SDB_ERR_IO, SDB_ERR_BAD_KEY, SDB_ERR_NOMEM.
 */
struct sdb_note_signer;
int sdbd_key_load(struct sdb_note_signer **out, const char *path,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * The signer key file the database st at db_path names (*out, caller
 * frees): a relative name is beside the database (init stores one when
 * the key is there, so that the directory can move).  A stored absolute
 * path that is gone, with DB.key beside the database, gives DB.key, and
 * says so on standard error: a directory moved with the database in it.
 * sdbd_log_open then makes sure the key is this database's.
 */
struct sdb_store;
int sdbd_key_path(struct sdb_store *st, const char *db_path, char **out,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * The checkpoint of the key file key (NULL: the one the database st at
 * db_path names), where serve and add look for it: the key file's real
 * path with SDBD_CHECKPOINT_SUFFIX (*out, caller frees).  For the
 * commands that read a checkpoint without the key (status, fsck).
 * Returns SDB_OK, sdbd_key_path's errors, or SDB_ERR_IO when the key
 * file is not there: the checkpoint is beside the key serve and add will
 * be given, which only the operator knows (a database copied or moved
 * without its key), so a checkpoint beside a missing key file is not
 * taken for one not written yet.
 */
int sdbd_key_checkpoint_path(struct sdb_store *st, const char *db_path, const char *key,
    char **out, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Stops the sequencer after it has committed (or failed) every queued
 * batch, waking all waiters, and closes the database.  NULL is a no-op. */
void sdbd_log_close(struct sdbd_log *log);

/* One record to append: module path and version (unescaped) and the
 * record text (the two go.sum lines), none NUL-terminated. */
struct sdbd_record {
	const char *path;
	size_t path_len;
	const char *version;
	size_t version_len;
	const char *text;
	size_t text_len;
};

/*
 * A file holding a secret (a signer key, a proxy credential) that others
 * than its owner can read or write is said on stderr as "PROG: warning:
 * WHAT PATH can be read ...", as ssh does of private keys; it is used all
 * the same (a file shared with a service group may be meant).  sb is the
 * file's stat; only regular files are judged.  Returns 1 when it warned.
 */
int sdbd_warn_open_to_others(const char *prog, const char *what, const char *path,
    const struct stat *sb);

/* A hash of (path, version) for the in-memory tables of a batch or an
 * import (FNV-1a over path, a separator and version); not keyed, so
 * only for tables of input that is checked record by record. */
static inline size_t
sdbd_pv_hash(const char *path, size_t path_len, const char *version, size_t version_len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < path_len; i++)
		h = (h ^ (unsigned char)path[i]) * 1099511628211ULL;
	h = (h ^ 0xff) * 1099511628211ULL;
	for (i = 0; i < version_len; i++)
		h = (h ^ (unsigned char)version[i]) * 1099511628211ULL;
	return (size_t)h;
}

/*
 * Queues n records and blocks until the batch holding them is committed
 * and a signed tree covering them is published; ids[i] receives the id of
 * recs[i].  A record whose (path, version) is already logged with the same
 * text gets its existing id; with another text the whole call fails with
 * SDB_ERR_EXISTS naming it and nothing of this call is written.  Each text
 * must be a valid record (sdb_record_parse) of exactly that path and
 * version, else SDB_ERR_INVALID (or the parser's code) for this call.
 * Other calls that share the batch are unaffected by one call's refusal;
 * a failed commit fails every call that needed it.
 * Returns SDB_OK, SDB_ERR_EXISTS, SDB_ERR_IO (disk full and the like),
 * SDB_ERR_NOMEM, SDB_ERR_INVALID (log closing, bad record),
 * SDB_ERR_BAD_PATH, SDB_ERR_BAD_VERSION, SDB_ERR_TOO_LARGE; detail in eb.
 */
int sdbd_log_append(struct sdbd_log *log, const struct sdbd_record *recs,
    size_t n, int64_t *ids, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * What sdbd_log_append_progress tells: stage "looked up" while the call's
 * n records are looked up in the log, then "wrote" while the new records
 * of its batch are written (total: those, the other calls' of the batch
 * included; not told when none is new); done is 0 at the start of a
 * stage, total at its end, and told every SDBD_LOG_PROGRESS_STEP records
 * between.  Called on the sequencer thread while the caller waits.
 */
typedef void (*sdbd_log_progress_fn)(void *arg, const char *stage, size_t done,
    size_t total);
#define SDBD_LOG_PROGRESS_STEP 4096

/* sdbd_log_append, telling progress(arg, ...) how far it is (may be NULL):
 * for an add of millions of records, which takes minutes. */
int sdbd_log_append_progress(struct sdbd_log *log, const struct sdbd_record *recs,
    size_t n, int64_t *ids, sdbd_log_progress_fn progress, void *arg,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * 1 while appends fail for a reason of the log's own: the last batch that
 * had something to write could not commit (disk full, an I/O error);
 * 0 again once a batch commits.  Lets a caller answer 503 (try again
 * later) instead of blaming an upstream.  Any thread.
 */
int sdbd_log_failing(struct sdbd_log *log);

/*
 * Runs fn(arg, st, eb) on the sequencer thread with the log's writer store
 * handle, between batches (never inside one), and blocks until it returns;
 * returns its result (detail in eb).  For small durable writes beside the
 * log, such as sdb_store_config_set: the sequencer is the one writer.  fn
 * must not call into the log.  Any thread.  Returns fn's result or
 * SDB_ERR_INVALID (the log is closing).
 */
typedef int (*sdbd_log_writer_fn)(void *arg, struct sdb_store *st, struct sdb_errbuf *eb);
int sdbd_log_with_writer(struct sdbd_log *log, sdbd_log_writer_fn fn, void *arg,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Takes a reference to the newest published tree; never NULL once the log
 * is open.  Release it with sdbd_latest_put(). */
const struct sdbd_latest *sdbd_log_latest(struct sdbd_log *log);
void sdbd_latest_put(const struct sdbd_latest *l);

#endif
