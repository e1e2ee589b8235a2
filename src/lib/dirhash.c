/*
 * dirhash Hash1 (include/csumdb/dirhash.h), following x/mod
 * sumdb/dirhash/hash.go and PROTOCOL.md "h1: hashes".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "crypto.h"
#include "csumdb/dirhash.h"

static int
cmp_file(const void *a, const void *b)
{
	const struct sdb_dirhash_file *x = a, *y = b;
	int c = sdb_bytes_cmp(x->name, x->name_len, y->name, y->name_len);

	if (c != 0)
		return c;
	/* equal names (callers that check zips refuse them): any fixed order */
	return memcmp(x->sha256, y->sha256, sizeof x->sha256);
}

int
sdb_dirhash_hash1(struct sdb_dirhash_file *files, size_t n, sdb_hash *out,
    struct sdb_errbuf *eb)
{
	static const char hexd[] = "0123456789abcdef";
	struct sdb_sha256_ctx ctx;
	size_t i, j;

	for (i = 0; i < n; i++)
		if (memchr(files[i].name, '\n', files[i].name_len) != NULL)
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "dirhash: filenames with newlines are not supported");
	if (n > 1)
		qsort(files, n, sizeof *files, cmp_file);
	sdb_sha256_init(&ctx);
	for (i = 0; i < n; i++) {
		char line[64 + 2];

		for (j = 0; j < 32; j++) {
			line[2 * j] = hexd[files[i].sha256[j] >> 4];
			line[2 * j + 1] = hexd[files[i].sha256[j] & 15];
		}
		line[64] = ' ';
		line[65] = ' ';
		sdb_sha256_update(&ctx, line, sizeof line);
		sdb_sha256_update(&ctx, files[i].name, files[i].name_len);
		sdb_sha256_update(&ctx, "\n", 1);
	}
	sdb_sha256_final(&ctx, out->b);
	return SDB_OK;
}

void
sdb_dirhash_gomod(const uint8_t *data, size_t len, sdb_hash *out)
{
	struct sdb_dirhash_file f;

	f.name = "go.mod";
	f.name_len = 6;
	sdb_sha256(f.sha256, data, len);
	if (sdb_dirhash_hash1(&f, 1, out, NULL) != SDB_OK)
		memset(out->b, 0, sizeof out->b);	/* unreachable: no newline */
}
