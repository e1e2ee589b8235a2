/*
 * go.sum files: parsing into entries and formatting back.  A line is
 * "PATH VERSION[/go.mod] HASH"; this is what `sumdbd add` imports and
 * `sumdb check` compares with a log (PROTOCOL.md "Record": a record is two
 * such lines).
 *
 * What the go command (Go 1.19 cmd/go/internal/modfetch readGoSum) accepts,
 * and where this parser is stricter, on purpose, because its entries go
 * into a transparency log or are compared with one:
 *   - lines end at '\n'; fields are separated by runs of white space;
 *     blank lines are skipped; a line must have exactly 3 fields (same).
 *   - the go command splits on any Unicode space; here only ASCII white
 *     space (space, \t, \r, \v, \f) separates fields, and non-ASCII bytes
 *     fail the path/version/hash checks below (stricter).
 *   - PATH VERSION must pass sdb_module_check_canonical (the go command
 *     stores any strings; it only ever writes canonical ones) (stricter).
 *   - HASH: "h1:" followed by canonical standard base64 of 32 bytes (the
 *     SHA-256 of dirhash.Hash1).  Other "hN:" algorithms (N > 1, decimal,
 *     non-empty value) are kept with alg = N, as the go command keeps them
 *     and ignores them ("unknown hash algorithm"); anything else is an
 *     error (the go command would keep it and fail later) (stricter).
 *   - the go.mod hash of an empty go.mod
 *     (h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=) is dropped, as the
 *     go command drops it (an old bug wrote it for non-modules).
 * Errors name the 1-based line number and the rule.
 */
#ifndef CSUMDB_GOSUM_H
#define CSUMDB_GOSUM_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"
#include "csumdb/hash.h"

struct sdb_gosum_entry {
	const char *path;      /* NUL-terminated, owned by the sdb_gosum */
	size_t path_len;
	const char *version;   /* without "/go.mod"; NUL-terminated, owned */
	size_t version_len;
	int is_gomod;          /* 1 for a "VERSION/go.mod" line */
	int alg;               /* N of "hN:"; 1 for h1 */
	const char *hash;      /* the whole hash field, e.g. "h1:..."; owned */
	size_t hash_len;
	sdb_hash h1;           /* decoded value when alg == 1, else zero */
	int64_t line;          /* 1-based line number in the input */
};

struct sdb_gosum {
	struct sdb_gosum_entry *entries;  /* in file order, duplicates kept */
	size_t n;
	size_t dropped_empty_gomod;       /* lines dropped as cmd/go does */
	char **bufs_;                     /* private: one buffer per entry */
	size_t cap_;                      /* private: room in entries, bufs_ */
};

/*
 * Parses data[0..len) (a whole go.sum; a missing final '\n' is fine).  On
 * success *out is a new sdb_gosum (free with sdb_gosum_free); on failure
 * *out is NULL.  Returns SDB_OK, SDB_ERR_INVALID (a line breaks the format
 * or has a bad hash; eb names the line), SDB_ERR_BAD_PATH,
 * SDB_ERR_BAD_VERSION (eb names the line), SDB_ERR_TOO_LARGE (file over
 * SDB_MAX_GOSUM_SIZE or a line over SDB_MAX_GOSUM_LINE), SDB_ERR_NOMEM.
 */
int sdb_gosum_parse(const char *data, size_t len, struct sdb_gosum **out,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Called by sdb_gosum_scan for each entry, in file order.  e and its
 * strings point into the scanned data and live only during the call: path,
 * version and hash are NOT NUL-terminated (use the lengths).  Returns
 * SDB_OK to go on; any other code stops the scan, which returns it.
 */
typedef int (*sdb_gosum_entry_fn)(void *arg, const struct sdb_gosum_entry *e,
    struct sdb_errbuf *eb);

/*
 * Parses data[0..len) as sdb_gosum_parse does, with the same checks and
 * errors, but keeps nothing: each entry goes to fn(arg, e, eb) as its line
 * is read, so a caller that folds the entries into its own structure never
 * holds a copy of every line.  Entries before a malformed line have been
 * handed to fn when the error is returned.  *dropped_empty_gomod (when not
 * NULL) receives the number of lines dropped as cmd/go drops them.
 * Returns SDB_OK, sdb_gosum_parse's errors, or fn's.
 */
int sdb_gosum_scan(const char *data, size_t len, sdb_gosum_entry_fn fn, void *arg,
    size_t *dropped_empty_gomod, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Frees g and everything it owns; NULL is a no-op. */
void sdb_gosum_free(struct sdb_gosum *g);

/*
 * Formats one line "PATH VERSION[/go.mod] HASH\n" of an h1 hash into a new
 * malloc'ed NUL-terminated string *out (length in *outlen when not NULL).
 * The path and version must pass sdb_module_check_canonical.  Returns
 * SDB_OK, SDB_ERR_BAD_PATH, SDB_ERR_BAD_VERSION, SDB_ERR_NOMEM.
 */
int sdb_gosum_format_line(const char *path, size_t plen, const char *version,
    size_t vlen, int is_gomod, const sdb_hash *h1, char **out, size_t *outlen,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Formats all entries of g, one line each, in g's order, each field as
 * stored, into a new malloc'ed NUL-terminated string *out.  Parsing the
 * result gives the same entries (line numbers aside).  Returns SDB_OK or
 * SDB_ERR_NOMEM.
 */
int sdb_gosum_format(const struct sdb_gosum *g, char **out, size_t *outlen)
    SDB_WARN_UNUSED;

#endif
