/*
 * h1: hashes of module file trees: x/mod sumdb/dirhash Hash1, as
 * PROTOCOL.md "h1: hashes" draws it:
 *
 *   for each file, names sorted bytewise:
 *       hex(SHA-256(content)) SP SP name LF
 *   h1 = "h1:" base64(SHA-256(all those lines))
 *
 * Pure: callers hash the contents (streaming, sdb_sha256_*) and pass the
 * digests, so a 500 MiB zip never has to be in memory.
 */
#ifndef CSUMDB_DIRHASH_H
#define CSUMDB_DIRHASH_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"
#include "csumdb/hash.h"

/* One file: its name as hashed (not NUL-terminated necessarily) and the
 * SHA-256 of its content.  name is borrowed. */
struct sdb_dirhash_file {
	const char *name;
	size_t name_len;
	uint8_t sha256[32];
};

/*
 * Computes Hash1 of files[0..n) into *out (the 32 bytes behind "h1:";
 * format with sdb_h1_format from record.h).  Sorts files in place by name.
 * Returns SDB_OK or SDB_ERR_INVALID (a name holds '\n', as x/mod refuses).
 */
int sdb_dirhash_hash1(struct sdb_dirhash_file *files, size_t n, sdb_hash *out,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* The h1 of a go.mod file: Hash1 over one file named "go.mod" holding
 * data[0..len).  Cannot fail. */
void sdb_dirhash_gomod(const uint8_t *data, size_t len, sdb_hash *out);

#endif
