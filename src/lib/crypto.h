/*
 * The one door to the crypto libraries: Ed25519, randomness and secret
 * memory from libsodium (crypto.c), SHA-256 from OpenSSL's libcrypto
 * (sha256_openssl.c, for its SHA-extension code).  Nothing else in csumdb
 * includes <sodium.h> or an OpenSSL header, so a backend can be swapped
 * behind this header alone.
 */
#ifndef CSUMDB_CRYPTO_H
#define CSUMDB_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"

#define SDB_SHA256_SIZE 32
#define SDB_ED25519_PUBLIC_SIZE 32
#define SDB_ED25519_SEED_SIZE 32
#define SDB_ED25519_SECRET_SIZE 64
#define SDB_ED25519_SIG_SIZE 64

/* Initialises the backend; safe to call many times and from any thread
 * after the first call returned.  Returns SDB_OK or SDB_ERR_INTERNAL. */
int sdb_crypto_init(void) SDB_WARN_UNUSED;

/* out = SHA-256(in[0..len)). */
void sdb_sha256(uint8_t out[SDB_SHA256_SIZE], const void *in, size_t len);

/* Incremental SHA-256.  The state is opaque storage large enough for the
 * backend's state; it must be 8-byte aligned, hence the union. */
struct sdb_sha256_ctx {
	union {
		uint64_t align;
		unsigned char bytes[128];
	} u;
};
void sdb_sha256_init(struct sdb_sha256_ctx *ctx);
void sdb_sha256_update(struct sdb_sha256_ctx *ctx, const void *in, size_t len);
void sdb_sha256_final(struct sdb_sha256_ctx *ctx, uint8_t out[SDB_SHA256_SIZE]);

/*
 * Two independent hashes computed together (sha256_x2.c):
 * oa = SHA-256(P || a[0..la)) and ob = SHA-256(P || b[0..lb)), where P is
 * the one byte prefix when prefix is 0..255 and nothing when it is -1.
 * With the CPU's SHA extensions the two messages' rounds are interleaved
 * (about 1.6x the throughput of two sdb_sha256 calls); otherwise it is two
 * OpenSSL hashes.  oa and ob may overlap a or b.
 */
void sdb_sha256_x2(uint8_t oa[SDB_SHA256_SIZE], uint8_t ob[SDB_SHA256_SIZE], int prefix,
    const void *a, size_t la, const void *b, size_t lb);

/* 1 when sdb_sha256_x2 uses the SHA extensions, 0 when OpenSSL. */
int sdb_sha256_x2_accelerated(void);

/* on: sdb_sha256_x2 takes the OpenSSL path even on a capable CPU (for
 * tests of both paths). */
void sdb_sha256_x2_force_portable(int on);

/* Derives an Ed25519 key pair from a 32-byte seed (the form Go's note keys
 * store).  sk receives libsodium's 64-byte secret key; wipe it after use. */
void sdb_ed25519_seed_keypair(uint8_t pk[SDB_ED25519_PUBLIC_SIZE],
    uint8_t sk[SDB_ED25519_SECRET_SIZE], const uint8_t seed[SDB_ED25519_SEED_SIZE]);

/* sig = Ed25519 signature of msg under sk. */
void sdb_ed25519_sign(uint8_t sig[SDB_ED25519_SIG_SIZE], const void *msg, size_t len,
    const uint8_t sk[SDB_ED25519_SECRET_SIZE]);

/* Returns 1 when sig is a valid signature of msg under pk, 0 otherwise. */
int sdb_ed25519_verify(const uint8_t sig[SDB_ED25519_SIG_SIZE], const void *msg,
    size_t len, const uint8_t pk[SDB_ED25519_PUBLIC_SIZE]) SDB_WARN_UNUSED;

/* Fills buf with n bytes from the system's cryptographic generator. */
void sdb_random(void *buf, size_t n);

/* Overwrites n bytes at p with zeros in a way the compiler keeps. */
void sdb_memzero(void *p, size_t n);

/* Returns 1 when a and b (n bytes each) are equal, in time that does not
 * depend on where they differ; 0 otherwise. */
int sdb_ct_equal(const void *a, const void *b, size_t n);

/* Guarded memory for secrets (locked, with guard pages, wiped on free).
 * sdb_secret_free(NULL) is a no-op. */
void *sdb_secret_alloc(size_t n);
void sdb_secret_free(void *p);

#endif
