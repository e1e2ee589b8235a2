/*
 * Every size limit csumdb enforces, in one place, each with the reason for
 * its value.  Input from the network or from files is checked against
 * these before any work is done on it.
 */
#ifndef CSUMDB_LIMITS_H
#define CSUMDB_LIMITS_H

/* --- notes and keys ---------------------------------------------------- */

/* 1 MB, the limit x/mod's tlog.ParseTree puts on a tree note's text
 * (note.Open itself sets none; csumdb applies it to whole notes too).  A
 * tree note is ~100 bytes plus signatures, so this bound only keeps
 * hostile input cheap. */
#define SDB_MAX_NOTE_SIZE (1000 * 1000)

/* x/mod note.Open: "too many signatures" past 100. */
#define SDB_MAX_NOTE_SIGNATURES 100

/* --- tlog and tiles ---------------------------------------------------- */

/* Tree sizes and record ids are below 2^63 (int64 in x/mod). */

/* Tile heights x/mod accepts: 1..30. sum.golang.org serves height 8. */
#define SDB_TILE_MIN_HEIGHT 1
#define SDB_TILE_MAX_HEIGHT 30
#define SDB_TILE_HEIGHT 8

/* --- records and go.sum ------------------------------------------------ */

/* A record is two go.sum lines; module paths are short.  sum.golang.org's
 * records are well under 1 KiB; 64 KiB bounds a data tile to 16 MiB. */
#define SDB_MAX_RECORD_SIZE (64 * 1024)

/* One go.sum line; Go's module paths are at most a few hundred bytes. */
#define SDB_MAX_GOSUM_LINE 4096

/* --- store ------------------------------------------------------------- */

/* A config value of the store: a log name, a key, a file path, or later a
 * saved tree note; notes are tiny in practice, 64 KiB keeps config small. */
#define SDB_MAX_CONFIG_VALUE (64 * 1024)

/* A whole go.sum file: large monorepos have a few thousand lines (~1 MB);
 * 64 MiB keeps a hostile file from exhausting memory. */
#define SDB_MAX_GOSUM_SIZE (64 * 1024 * 1024)

/* The ESCPATH@ESCVERSION part of a /lookup/ request.  Go sets no length
 * limit on module paths, but any real one is far shorter, and the record
 * line (path, version, hash) must fit in SDB_MAX_GOSUM_LINE anyway. */
#define SDB_MAX_LOOKUP_PATH 4096

/* One line of an error body sumdbd answers: the go command shows at most
 * 8 * 81 bytes of an error body (cmd/go/internal/web), and of a first line
 * longer than that nothing but "[Truncated: too long.]".  Also the most of
 * another server's error body a message quotes (sdb_fetch_body_hint): its
 * reason comes last, after the module path it names. */
#define SDB_MAX_ERROR_LINE 648

/* Records in one data tile: 2^SDB_TILE_HEIGHT.  A data tile never holds
 * more records than a hash tile holds hashes. */
#define SDB_MAX_DATA_TILE_WIDTH 256

/* --- module zips (x/mod zip/zip.go, PROTOCOL.md "h1: hashes") ---------- */

/* zip.MaxZipFile: a module zip, and the sum of its uncompressed sizes, are
 * at most 500 MiB; the go command refuses anything larger. */
#define SDB_MAX_ZIP_SIZE ((uint64_t)500 << 20)

/* zip.MaxGoMod and zip.MaxLICENSE: 16 MiB each, in the zip and for the
 * .mod file fetched from a proxy. */
#define SDB_MAX_GOMOD_SIZE ((uint64_t)16 << 20)
#define SDB_MAX_LICENSE_SIZE ((uint64_t)16 << 20)

/* --- HTTP answers ------------------------------------------------------ */

/* The longest pause a Retry-After value is read as asking for: a day.
 * backoff_max_ms (fetch.h) cuts every pause far shorter, so a longer one
 * waits no longer; the cap keeps the arithmetic of a date centuries ahead
 * (curl_getdate reads years up to 2^31) and of a long run of digits in
 * range. */
#define SDB_MAX_RETRY_AFTER_S 86400

/* --- the server's store ------------------------------------------------ */

/* SQLite page cache of each read-only connection, in KiB (SQLite's own
 * default).  sumdbd opens one per HTTP worker.  Lookups are random over
 * the whole log, so record pages seldom hit; what the cache keeps is the
 * B-tree's inner pages, about 1 MiB per million records.  Against a log
 * of 1,000,000 records, 512 KiB read 1.27 pages from the file per lookup
 * and 2 MiB 0.96 (4 MiB: 0.91), for 3.6% more lookups a second. */
#define SDB_STORE_READER_CACHE_KIB 2048

/* The size the writer cuts the write-ahead log (PATH-wal) back to, in
 * bytes, each time SQLite starts it over after a checkpoint.  Without a
 * limit the file stays as large as the largest it ever was: one add of
 * 200,000 go.sum lines is one transaction of some 55 MB, and the file
 * kept those 55 MB for as long as the server ran.  SQLite checkpoints
 * every 1000 pages (4 MB of 4 KiB pages), so a log of small batches
 * stays under this and is never cut. */
#define SDB_STORE_WAL_LIMIT (8 * 1024 * 1024)

#endif
