/*
 * Module zip files: the checks of x/mod zip.CheckZip (and of zip.Unzip
 * on the bytes) before hashing, and the h1: hash of x/mod
 * dirhash.HashZip, as PROTOCOL.md "h1: hashes" lists them:
 *
 *   - the zip at most 500 MiB, its declared uncompressed sizes summing to
 *     at most 500 MiB, go.mod and LICENSE at most 16 MiB each;
 *   - every name valid UTF-8, not absolute, without "." or ".." elements
 *     or empty elements, under PATH@VERSION/, and the rest passing
 *     sdb_module_check_file_path;
 *   - no two names equal after Unicode case folding (x/mod strToFold), no
 *     name both a file and a directory, go.mod only at the root and in
 *     lower case;
 *   - directory entries (names ending in '/') hashed with whatever data
 *     they hold, as x/mod's HashZip does; any other entry a file, whatever
 *     type its Unix mode gives, as for the go command, but symlinks
 *     refused (by design: other tools extract them as links);
 *   - only the stored and deflate methods (what the go command can read);
 *     the encryption flags ignored, as archive/zip ignores them;
 *   - the directory read as Go's archive/zip reads it, and refused where
 *     other zip readers would read another one: the end record the file's
 *     last 22 bytes (no archive comment), no second end record another
 *     reader could take instead, a zip64 end record only as archive/zip
 *     finds it, no bytes before the zip; zip64 sizes and offsets taken
 *     from the zip64 extra field as archive/zip takes them; the raw names,
 *     whatever other extra fields say; no NUL in a name;
 *   - every entry's content read as archive/zip reads it: exactly its
 *     declared size, a deflate stream that ends within the entry's
 *     compressed size, a good CRC (also for an empty entry); inflation
 *     stops one byte past the declared size (zip bombs); what directory
 *     entries hold (x/mod bounds neither their declared sizes nor their
 *     data) is read up to the limit on the total content, apart from the
 *     files' content; entries whose data overlap so that reading them all
 *     would read more than the file holds refused (by design: the work
 *     would grow as the number of entries times the file's size).
 *
 * The zip is read entry by entry with a fixed-size buffer: memory does not
 * grow with the size of the content (the central directory is held).
 * Implemented in src/lib/modzip.c, the only user of zlib.
 */
#ifndef CSUMDB_MODZIP_H
#define CSUMDB_MODZIP_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"
#include "csumdb/hash.h"

/* Limits; a NULL pointer or zero field means the limits.h value. */
struct sdb_modzip_limits {
	uint64_t max_zip;       /* SDB_MAX_ZIP_SIZE: the zip file */
	uint64_t max_total;     /* SDB_MAX_ZIP_SIZE: all contents together */
	uint64_t max_gomod;     /* SDB_MAX_GOMOD_SIZE */
	uint64_t max_license;   /* SDB_MAX_LICENSE_SIZE */
};

/*
 * Checks the module zip in the file zip_path for module path@version
 * (both unescaped, version canonical) and on success writes its h1 into
 * *h1 (the hash the go command puts in go.sum for "path version").
 * Returns SDB_OK; SDB_ERR_BAD_PATH or SDB_ERR_BAD_VERSION (the module);
 * SDB_ERR_INVALID (the zip breaks a rule: eb names the rule and the entry);
 * SDB_ERR_TOO_LARGE (a size limit: eb says which); SDB_ERR_IO (cannot read
 * the file); SDB_ERR_NOMEM; SDB_ERR_INTERNAL.
 */
int sdb_modzip_hash_file(const char *zip_path, const char *path, size_t plen,
    const char *version, size_t vlen, const struct sdb_modzip_limits *lim,
    sdb_hash *h1, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* As sdb_modzip_hash_file for the zip open as fd (borrowed, left open):
 * the whole file from offset 0, read with pread, so fd's own offset does
 * not matter.  The file may have no name (unlinked, O_TMPFILE). */
int sdb_modzip_hash_fd(int fd, const char *path, size_t plen,
    const char *version, size_t vlen, const struct sdb_modzip_limits *lim,
    sdb_hash *h1, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* As sdb_modzip_hash_file for a zip held in buf[0..len) (borrowed). */
int sdb_modzip_hash_buffer(const void *buf, size_t len, const char *path,
    size_t plen, const char *version, size_t vlen,
    const struct sdb_modzip_limits *lim, sdb_hash *h1,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

#endif
