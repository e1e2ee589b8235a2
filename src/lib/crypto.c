/*
 * libsodium adapter (src/lib/crypto.h).  SHA-256 and Ed25519 as RFC 6962
 * and Go's note format need them; the Ed25519 secret is always derived from
 * the 32-byte seed that Go's PRIVATE+KEY strings carry.
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "crypto.h"

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(((struct sdb_sha256_ctx *)0)->u.bytes),
    "sdb_sha256_ctx too small for libsodium's state");

int
sdb_crypto_init(void)
{
	return sodium_init() < 0 ? SDB_ERR_INTERNAL : SDB_OK;
}

void
sdb_sha256(uint8_t out[SDB_SHA256_SIZE], const void *in, size_t len)
{
	crypto_hash_sha256(out, in, len);
}

void
sdb_sha256_init(struct sdb_sha256_ctx *ctx)
{
	crypto_hash_sha256_init((crypto_hash_sha256_state *)(void *)ctx->u.bytes);
}

void
sdb_sha256_update(struct sdb_sha256_ctx *ctx, const void *in, size_t len)
{
	crypto_hash_sha256_update((crypto_hash_sha256_state *)(void *)ctx->u.bytes, in, len);
}

void
sdb_sha256_final(struct sdb_sha256_ctx *ctx, uint8_t out[SDB_SHA256_SIZE])
{
	crypto_hash_sha256_final((crypto_hash_sha256_state *)(void *)ctx->u.bytes, out);
}

void
sdb_ed25519_seed_keypair(uint8_t pk[SDB_ED25519_PUBLIC_SIZE],
    uint8_t sk[SDB_ED25519_SECRET_SIZE], const uint8_t seed[SDB_ED25519_SEED_SIZE])
{
	crypto_sign_seed_keypair(pk, sk, seed);
}

void
sdb_ed25519_sign(uint8_t sig[SDB_ED25519_SIG_SIZE], const void *msg, size_t len,
    const uint8_t sk[SDB_ED25519_SECRET_SIZE])
{
	crypto_sign_detached(sig, NULL, msg, len, sk);
}

int
sdb_ed25519_verify(const uint8_t sig[SDB_ED25519_SIG_SIZE], const void *msg,
    size_t len, const uint8_t pk[SDB_ED25519_PUBLIC_SIZE])
{
	return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}

void
sdb_random(void *buf, size_t n)
{
	randombytes_buf(buf, n);
}

void
sdb_memzero(void *p, size_t n)
{
	sodium_memzero(p, n);
}

int
sdb_ct_equal(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0;
}

void *
sdb_secret_alloc(size_t n)
{
	return sodium_malloc(n);
}

void
sdb_secret_free(void *p)
{
	if (p != NULL)
		sodium_free(p);
}
