/*
 * The sumdbd store: records, hash tiles and signed trees in one SQLite
 * database (DESIGN.md "Storage", "Rules that are never bent"; PROTOCOL.md
 * "Endpoints").  The store holds bytes and enforces its own invariants; it
 * knows no Merkle math, note format or record syntax:
 *
 *   - record ids are 0, 1, 2, ... without gaps; (path, version) is unique;
 *   - a tile (level L, index n) holds up to 256 hashes of tree level 8L and
 *     is only ever appended to: an update keeps the stored blob as its
 *     prefix and may only grow it;
 *   - after every batch the tiles cover exactly the record count: at each
 *     level L the last tile ends at hash (count >> 8L), and no tile lies
 *     beyond it;
 *   - every signed tree is kept; a different hash for an already signed
 *     size is a fork and is refused; a tree smaller than the latest is a
 *     rollback and is refused; the newest tree's size equals the count.
 *
 * Concurrency: exactly one writer handle per database file, across
 * processes (an exclusive flock on the side file "PATH-lock", PATH the
 * real path of the database, taken without
 * waiting).  Readers are separate handles, one per thread; the database is
 * in WAL mode, so readers see the last committed state and never wait for
 * the writer.  A handle is not thread-safe: use each from one thread at a
 * time.
 *
 * Every function that takes a struct sdb_errbuf *eb writes one line of
 * detail there on failure (eb may be NULL); SQLite's message is included
 * when SQLite failed.  SQLite's disk-full and I/O errors are SDB_ERR_IO,
 * its out-of-memory SDB_ERR_NOMEM.
 */
#ifndef CSUMDB_STORE_H
#define CSUMDB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"
#include "csumdb/hash.h"

/* Hashes per tile (tile height 8, as sum.golang.org) and the byte size of
 * a full tile. */
#define SDB_STORE_TILE_WIDTH 256
#define SDB_STORE_TILE_MAX_BYTES (SDB_STORE_TILE_WIDTH * SDB_HASH_SIZE)
/* Tile levels 0..7: level 8 would hold hashes of tree level 64, past the
 * 2^63 tree-size limit. */
#define SDB_STORE_MAX_TILE_LEVEL 7

/* Keys of the config table written by sdb_store_create. */
#define SDB_STORE_CONFIG_SCHEMA "schema_version" /* "1" */
#define SDB_STORE_CONFIG_NAME "log_name"         /* the log (note) name */
#define SDB_STORE_CONFIG_VKEY "verifier_key"     /* the note verifier key */
#define SDB_STORE_CONFIG_SKEY_FILE "signer_key_file" /* a path, never the key */

struct sdb_store;

enum sdb_store_mode {
	SDB_STORE_READ,  /* read-only connection; never waits for the writer */
	SDB_STORE_WRITE, /* the one writer; takes the exclusive lock */
	SDB_STORE_CHECK  /* the exclusive lock, to read with no writer beside
	                  * (fsck): as WRITE, but a file its user may not write
	                  * is opened all the same, and its -wal is left as it
	                  * is at the close, never folded into the file */
};

/*
 * One record.  As batch input the pointers are borrowed for the call; in a
 * callback they are valid only until the callback returns.  path and
 * version are NUL-terminated; text is text_len bytes (the record text, two
 * go.sum lines, as the log hashes it).
 */
struct sdb_store_record {
	int64_t id;
	const char *path;
	const char *version;
	const uint8_t *text;
	size_t text_len;
};

/* One hash tile: len bytes (a multiple of 32, 32..8192) at (level, n). */
struct sdb_store_tile {
	int level;
	int64_t n;
	const uint8_t *hashes;
	size_t len;
};

/* Callbacks for the range and iteration functions: return 0 to go on, any
 * other value to stop; that value is then returned by the caller.  Return
 * a negative sdb_err (or a positive value of your own) so it cannot be
 * confused with SDB_OK.  A callback must not use the same store handle. */
typedef int (*sdb_store_record_fn)(void *arg, const struct sdb_store_record *rec);
typedef int (*sdb_store_tile_fn)(void *arg, const struct sdb_store_tile *tile);
typedef int (*sdb_store_tree_fn)(void *arg, const struct sdb_tree *tree,
                                 const uint8_t *note, size_t note_len);

/* --- lifetime -------------------------------------------------------- */

/*
 * Creates a new, empty database at path with the schema, WAL mode and the
 * config keys above (name, vkey, skey_file must be non-empty strings; the
 * key file path is stored, never a key).  Never overwrites: the file is
 * created with O_EXCL.  Creation is all or nothing: on failure the new
 * file is removed.  The database has no tree: the server records the
 * signed tree of size 0 with its first batch.
 * Returns SDB_OK, SDB_ERR_EXISTS (path exists), SDB_ERR_INVALID (empty or
 * over-long argument), SDB_ERR_IO, SDB_ERR_NOMEM or SDB_ERR_INTERNAL.
 */
int sdb_store_create(const char *path, const char *name, const char *vkey,
                     const char *skey_file, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Removes the database at path with its side files (-wal, -shm, -journal
 * and the writer lock file), for a command that created it and failed
 * before it was ever used (sumdbd init).  Takes the writer lock first,
 * without waiting, and removes the lock file last, while holding it, so
 * that no process is left holding a lock on a file without a name.
 * Returns SDB_OK, SDB_ERR_LOCKED (another process holds the database:
 * nothing removed), SDB_ERR_INVALID (empty path), SDB_ERR_IO or
 * SDB_ERR_NOMEM.
 */
int sdb_store_remove(const char *path, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Opens the database at path.  SDB_STORE_WRITE takes the exclusive writer
 * lock first, without waiting, sets synchronous=FULL, and refuses a file
 * with hard links or that its user may not write (SDB_STORE_CHECK: only
 * hard links); SDB_STORE_READ opens a read-only connection.  Every mode
 * first checks, reading only, that the file is a csumdb database (its
 * schema_version row, or a records, tiles or trees table exactly as
 * sdb_store_create makes it) of this schema version, and that none of
 * its tables and config rows is missing; a refused file is left as it
 * was.  On success *out is a new handle for sdb_store_close; on failure
 * *out is NULL.
 * Returns SDB_OK, SDB_ERR_NOT_FOUND (no file at path), SDB_ERR_LOCKED
 * (another writer, in this or another process, holds the database),
 * SDB_ERR_INVALID (not a csumdb database or an unknown schema version),
 * SDB_ERR_DAMAGED (a csumdb database with tables or config rows
 * missing, each named in eb, or a file SQLite finds malformed: every
 * store function returns it then), SDB_ERR_IO, SDB_ERR_NOMEM or
 * SDB_ERR_INTERNAL.
 */
int sdb_store_open(struct sdb_store **out, const char *path, enum sdb_store_mode mode,
                   struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Closes the handle; an unfinished batch is rolled back; a writer's lock
 * is released.  NULL is a no-op. */
void sdb_store_close(struct sdb_store *s);

/* --- config ---------------------------------------------------------- */

/*
 * Looks up key in the config table.  On success *value is a new
 * NUL-terminated string the caller frees with free().
 * Returns SDB_OK, SDB_ERR_NOT_FOUND, SDB_ERR_IO, SDB_ERR_NOMEM or
 * SDB_ERR_INTERNAL.
 */
int sdb_store_config_get(struct sdb_store *s, const char *key, char **value,
                         struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* What sdb_store_config_each calls for each row: key and value are valid
 * during the call only (value NULL for an SQL NULL).  Returns SDB_OK to
 * go on, else a code that stops the walk. */
typedef int (*sdb_store_config_fn)(void *arg, const char *key, const char *value,
                                   struct sdb_errbuf *eb);

/*
 * Calls fn(arg, key, value, eb) for each config row whose key begins
 * with prefix (bytewise; "" for every row), in bytewise key order, until
 * fn returns other than SDB_OK.  fn must not use s.
 * Returns SDB_OK, fn's code as it returned it, SDB_ERR_DAMAGED (a row
 * holding a NUL byte, which a string would cut), SDB_ERR_IO or
 * SDB_ERR_INTERNAL.
 */
int sdb_store_config_each(struct sdb_store *s, const char *prefix, sdb_store_config_fn fn,
                          void *arg, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Sets key to value (inserting or replacing), durably, in its own
 * transaction; writer handles only, and not during a batch.  key and value
 * are at most SDB_MAX_CONFIG_VALUE bytes.
 * Returns SDB_OK, SDB_ERR_INVALID (reader handle, open batch, empty key),
 * SDB_ERR_TOO_LARGE, SDB_ERR_IO, SDB_ERR_NOMEM or SDB_ERR_INTERNAL.
 */
int sdb_store_config_set(struct sdb_store *s, const char *key, const char *value,
                         struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* --- reads ----------------------------------------------------------- */

/*
 * The newest signed tree.  *tree is filled; when note is not NULL, *note is
 * a new buffer of *note_len bytes (caller frees).
 * Returns SDB_OK, SDB_ERR_NOT_FOUND (no tree signed yet), SDB_ERR_IO,
 * SDB_ERR_NOMEM or SDB_ERR_INTERNAL.
 */
int sdb_store_latest(struct sdb_store *s, struct sdb_tree *tree, uint8_t **note,
                     size_t *note_len, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* The signed tree of size n, as sdb_store_latest.  Returns SDB_OK,
 * SDB_ERR_NOT_FOUND, SDB_ERR_IO, SDB_ERR_NOMEM or SDB_ERR_INTERNAL. */
int sdb_store_tree(struct sdb_store *s, int64_t n, struct sdb_tree *tree, uint8_t **note,
                   size_t *note_len, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * The signed tree of the smallest size larger than n (n = -1: the first
 * one), as sdb_store_latest: one read of the trees' primary key, so that
 * the trees can be walked in size order alongside another walk (fsck's
 * of the records) without holding them all.  Returns SDB_OK,
 * SDB_ERR_NOT_FOUND (no tree larger than n), SDB_ERR_IO, SDB_ERR_NOMEM
 * or SDB_ERR_INTERNAL.
 */
int sdb_store_tree_after(struct sdb_store *s, int64_t n, struct sdb_tree *tree, uint8_t **note,
                         size_t *note_len, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * The number of records, which is the size of the tree the tiles cover
 * (and of the latest tree, outside a batch).  Inside a writer's batch it
 * includes the batch's records added so far.
 * Returns SDB_OK, SDB_ERR_IO, SDB_ERR_NOMEM or SDB_ERR_INTERNAL.
 */
int sdb_store_count(struct sdb_store *s, int64_t *count, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* The number of signed trees stored (fsck's progress), with the same
 * returns. */
int sdb_store_count_trees(struct sdb_store *s, int64_t *count,
                          struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Finds the record of (path, version): one index read.  *id is set; when
 * text is not NULL, *text is a new buffer of *text_len bytes (caller
 * frees).  The record may be newer than the tree the caller publishes: a
 * lookup answer must check id < its tree's size.
 * Returns SDB_OK, SDB_ERR_NOT_FOUND, SDB_ERR_IO, SDB_ERR_NOMEM or
 * SDB_ERR_INTERNAL.
 */
int sdb_store_lookup(struct sdb_store *s, const char *path, const char *version, int64_t *id,
                     uint8_t **text, size_t *text_len, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * The text of record id, as sdb_store_lookup.  Returns SDB_OK,
 * SDB_ERR_NOT_FOUND, SDB_ERR_IO, SDB_ERR_NOMEM or SDB_ERR_INTERNAL.
 */
int sdb_store_record(struct sdb_store *s, int64_t id, uint8_t **text, size_t *text_len,
                     struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * The text of record id when that record is (path, version): one read by
 * primary key, for callers that learnt a candidate id elsewhere (an
 * in-memory index of hashes, which may be wrong).  *text is a new buffer
 * of *text_len bytes (caller frees).  Returns SDB_OK, SDB_ERR_NOT_FOUND
 * (no record id, or it is another module version), SDB_ERR_IO,
 * SDB_ERR_NOMEM or SDB_ERR_INTERNAL.
 */
int sdb_store_record_of(struct sdb_store *s, int64_t id, const char *path, size_t path_len,
                        const char *version, size_t version_len, uint8_t **text,
                        size_t *text_len, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * As sdb_store_record_of, without a copy: calls fn once with record id
 * when it is (path, version); rec's pointers are borrowed and live only
 * during the call (a lookup answer is built straight from them).  Returns
 * what fn returned, or SDB_ERR_NOT_FOUND, SDB_ERR_IO, SDB_ERR_NOMEM,
 * SDB_ERR_INTERNAL without calling fn.
 */
int sdb_store_record_with(struct sdb_store *s, int64_t id, const char *path, size_t path_len,
                          const char *version, size_t version_len, sdb_store_record_fn fn,
                          void *arg, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Calls fn for every record with only id, path and version set (text
 * NULL, text_len 0), in no particular order, from one scan of the
 * (path, version) index in one snapshot: what an in-memory lookup index
 * is built from, without reading the record texts.
 * Returns SDB_OK, fn's non-zero value, SDB_ERR_IO, SDB_ERR_NOMEM or
 * SDB_ERR_INTERNAL.
 */
int sdb_store_foreach_key(struct sdb_store *s, sdb_store_record_fn fn, void *arg,
                          struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Calls fn for the records with ids start .. start+count-1, in id order,
 * from one range query (one snapshot): a data tile is
 * sdb_store_records(s, 256*N, W, ...).  0 <= start, 1 <= count <= 256.
 * Returns SDB_OK when all count records were delivered, SDB_ERR_NOT_FOUND
 * when the range reaches past the last record (fn has then been called for
 * the records that exist), SDB_ERR_RANGE, fn's non-zero value, SDB_ERR_IO,
 * SDB_ERR_NOMEM or SDB_ERR_INTERNAL.
 */
int sdb_store_records(struct sdb_store *s, int64_t start, int64_t count, sdb_store_record_fn fn,
                      void *arg, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * The first width*32 bytes of the stored tile (level, n): a partial tile
 * is a prefix of the stored one.  width 0 means the whole stored tile.  On
 * success *hashes is a new buffer of *len bytes (caller frees).
 * Returns SDB_OK, SDB_ERR_NOT_FOUND (no such tile, or it holds fewer than
 * width hashes), SDB_ERR_RANGE (level, n or width out of range),
 * SDB_ERR_IO, SDB_ERR_NOMEM or SDB_ERR_INTERNAL.
 */
int sdb_store_tile(struct sdb_store *s, int level, int64_t n, int width, uint8_t **hashes,
                   size_t *len, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Iteration for fsck, each one query over one snapshot: every record in id
 * order, every tile in (level, n) order, every tree in size order.
 * foreach_record also checks the ids have no gap.
 * Returns SDB_OK, fn's non-zero value, SDB_ERR_INVALID (a gap in the ids:
 * the database is damaged), SDB_ERR_IO, SDB_ERR_NOMEM or SDB_ERR_INTERNAL.
 */
int sdb_store_foreach_record(struct sdb_store *s, sdb_store_record_fn fn, void *arg,
                             struct sdb_errbuf *eb) SDB_WARN_UNUSED;
int sdb_store_foreach_tile(struct sdb_store *s, sdb_store_tile_fn fn, void *arg,
                           struct sdb_errbuf *eb) SDB_WARN_UNUSED;
int sdb_store_foreach_tree(struct sdb_store *s, sdb_store_tree_fn fn, void *arg,
                           struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Reader handles only: between snapshot_begin and snapshot_end every read
 * sees one and the same committed state (one read transaction), e.g. a
 * lookup and the latest tree together.  Outside a snapshot each call sees
 * the state committed when it started.  Keep snapshots short: an open one
 * holds the WAL from being checkpointed past it.
 * snapshot_begin returns SDB_OK, SDB_ERR_INVALID (writer handle, or a
 * snapshot is already open), SDB_ERR_IO, SDB_ERR_NOMEM or SDB_ERR_INTERNAL;
 * snapshot_end is a no-op without a snapshot (or with s NULL).
 */
int sdb_store_snapshot_begin(struct sdb_store *s, struct sdb_errbuf *eb) SDB_WARN_UNUSED;
void sdb_store_snapshot_end(struct sdb_store *s);

/* --- the write batch ------------------------------------------------- */

/*
 * A sequencer batch is one transaction (BEGIN IMMEDIATE .. COMMIT):
 *
 *   sdb_store_batch_begin, then any number of sdb_store_batch_add and
 *   sdb_store_batch_tile, then sdb_store_batch_commit (or _abort).
 *
 * If any step fails, the whole batch is rolled back at once (nothing of it
 * persists, the database is as before begin) and the handle is out of the
 * batch: later steps return SDB_ERR_INVALID until the next begin.  A step
 * after SQLite itself ended the transaction (an I/O error or out of memory
 * in any statement on the handle, a lookup among them) writes nothing and
 * returns SDB_ERR_IO.
 * sdb_store_append does all of it in one call.  Writer handles only.
 */

/*
 * Starts a batch.  Returns SDB_OK, SDB_ERR_INVALID (reader handle, or a
 * batch is already open), SDB_ERR_IO (including the database being busy),
 * SDB_ERR_NOMEM or SDB_ERR_INTERNAL.
 */
int sdb_store_batch_begin(struct sdb_store *s, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Adds one record.  rec->id must be exactly the next id (the count);
 * path and version non-empty, at most SDB_MAX_RECORD_SIZE bytes each, as
 * is the text.
 * Returns SDB_OK, SDB_ERR_EXISTS ((path, version) is already recorded, in
 * the database or this batch; the detail names it), SDB_ERR_INVALID (no
 * batch, wrong id, empty path or version), SDB_ERR_TOO_LARGE, SDB_ERR_IO,
 * SDB_ERR_NOMEM or SDB_ERR_INTERNAL.
 */
int sdb_store_batch_add(struct sdb_store *s, const struct sdb_store_record *rec,
                        struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Stores tile (level, n), new or grown.  The stored blob, if any, must be a
 * prefix of tile->hashes.
 * Returns SDB_OK, SDB_ERR_FORK (the tile would change a stored hash),
 * SDB_ERR_RANGE (it would shrink the stored tile; or level or n out of
 * range), SDB_ERR_TOO_LARGE (more than 256 hashes), SDB_ERR_INVALID (no
 * batch, length not a positive multiple of 32), SDB_ERR_IO, SDB_ERR_NOMEM
 * or SDB_ERR_INTERNAL.
 */
int sdb_store_batch_tile(struct sdb_store *s, const struct sdb_store_tile *tile,
                         struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Records the signed tree (tree, note) and commits.  Returns only after
 * COMMIT returned, so on SDB_OK the batch is durable (synchronous=FULL)
 * and may be published.  Checks, in this order: no fork (a tree of that
 * size must not exist: a different hash is SDB_ERR_FORK, the same one
 * SDB_ERR_EXISTS), no rollback (tree->n >= the latest size), tree->n
 * equals the record count, the tiles cover exactly the count on every
 * level.  note is 1..SDB_MAX_NOTE_SIZE bytes.
 * Returns SDB_OK, SDB_ERR_RANGE (rollback, negative size), SDB_ERR_FORK,
 * SDB_ERR_EXISTS, SDB_ERR_INVALID (no batch, size not the count, tiles not
 * covering the count, empty note), SDB_ERR_TOO_LARGE, SDB_ERR_IO,
 * SDB_ERR_NOMEM or SDB_ERR_INTERNAL; on every failure nothing of the batch
 * persists.
 */
int sdb_store_batch_commit(struct sdb_store *s, const struct sdb_tree *tree, const uint8_t *note,
                           size_t note_len, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * 1 when s's connection is inside a transaction, else 0: outside a batch
 * (or snapshot) that means a ROLLBACK failed and what s reads may be
 * uncommitted.
 */
int sdb_store_in_transaction(struct sdb_store *s);

/*
 * Checks that the store holds exactly the tree of n records: n records,
 * and tiles that cover n on every level with nothing beyond (only the
 * right edge is read).  Outside a batch, n is the latest signed tree's
 * size.  Returns SDB_OK, SDB_ERR_INVALID (the detail names what is past or
 * short of the tree), SDB_ERR_RANGE, SDB_ERR_IO, SDB_ERR_NOMEM or
 * SDB_ERR_INTERNAL.
 */
int sdb_store_check_extent(struct sdb_store *s, int64_t n, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Removes what lies past the latest signed tree, never signed and never
 * served: the records from its size on, the tiles past it, and the
 * hashes past it in its last tile of each level; in one transaction that
 * ends with sdb_store_check_extent.  *records: how many records went;
 * *tree_n: the latest tree's size.  Writer handles only.  Returns SDB_OK,
 * SDB_ERR_INVALID, SDB_ERR_IO, SDB_ERR_NOMEM or SDB_ERR_INTERNAL (nothing
 * changed on failure).
 */
int sdb_store_drop_unsigned(struct sdb_store *s, int64_t *records, int64_t *tree_n,
                            struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Rolls back an open batch; no-op without one (or with s NULL). */
void sdb_store_batch_abort(struct sdb_store *s);

/*
 * One whole batch: begin, add nrecs records, store ntiles tiles, commit
 * (tree, note).  Returns what the failing step returns, SDB_OK when
 * committed.
 */
int sdb_store_append(struct sdb_store *s, const struct sdb_store_record *recs, size_t nrecs,
                     const struct sdb_store_tile *tiles, size_t ntiles, const struct sdb_tree *tree,
                     const uint8_t *note, size_t note_len, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

#endif
