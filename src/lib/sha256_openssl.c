/*
 * OpenSSL adapter for SHA-256 (src/lib/crypto.h: sdb_sha256*), the hash of
 * RFC 6962 records and nodes.  OpenSSL's SHA-256 uses the CPU's SHA
 * extensions; libsodium's is portable C, 2-4x slower on the 65- to
 * 200-byte messages a log hashes (tools/bench-tlog).  The low-level
 * SHA256_* calls are used on purpose: OpenSSL 3 marks them deprecated,
 * but the EVP and one-shot SHA256() paths cost a provider lookup per call,
 * which is most of the time for messages this short.  Nothing else in
 * csumdb includes an OpenSSL header.
 */
#include "config.h"

#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/sha.h>

#include "crypto.h"

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((struct sdb_sha256_ctx *)0)->u.bytes),
    "sdb_sha256_ctx too small for OpenSSL's SHA256_CTX");

void
sdb_sha256(uint8_t out[SDB_SHA256_SIZE], const void *in, size_t len)
{
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, in, len);
	SHA256_Final(out, &c);
}

void
sdb_sha256_init(struct sdb_sha256_ctx *ctx)
{
	SHA256_Init((SHA256_CTX *)(void *)ctx->u.bytes);
}

void
sdb_sha256_update(struct sdb_sha256_ctx *ctx, const void *in, size_t len)
{
	SHA256_Update((SHA256_CTX *)(void *)ctx->u.bytes, in, len);
}

void
sdb_sha256_final(struct sdb_sha256_ctx *ctx, uint8_t out[SDB_SHA256_SIZE])
{
	SHA256_Final(out, (SHA256_CTX *)(void *)ctx->u.bytes);
}
