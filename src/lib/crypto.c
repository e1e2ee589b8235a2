/*
 * libsodium adapter (src/lib/crypto.h).  Ed25519 as Go's note format needs
 * it; the Ed25519 secret is always derived from the 32-byte seed that Go's
 * PRIVATE+KEY strings carry.  SHA-256 lives in sha256_openssl.c.
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "crypto.h"

int
sdb_crypto_init(void)
{
	return sodium_init() < 0 ? SDB_ERR_INTERNAL : SDB_OK;
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
