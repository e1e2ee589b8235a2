/*
 * Two SHA-256 hashes at once (src/lib/crypto.h: sdb_sha256_x2).
 *
 * A Merkle log hashes many short independent messages: every record of a
 * data tile, every pair of nodes of a tree level.  The CPU's SHA
 * extensions compute one message's rounds in a dependent chain
 * (sha256rnds2 waits on the previous round's result), so a single message
 * leaves the unit idle half the time; interleaving two messages' rounds
 * fills it.  On this project's reference machine (AMD EPYC, SHA-NI) two
 * 181-byte records take 68 ns each this way against 113 ns through
 * OpenSSL's SHA256_* (tools/bench-tlog and tools/bench-audit show the
 * effect end to end).  No library in Debian offers multi-message SHA-256,
 * hence this file; everything else stays on OpenSSL (sha256_openssl.c),
 * which is also the fallback here when the CPU lacks the extensions.
 * tests/unit/test_tlog.c checks both paths against OpenSSL for every
 * length up to several blocks.
 */
#include "config.h"

#include <string.h>

#include "crypto.h"

/* Set by tests to take the portable path even on a capable CPU. */
static int force_portable;

/* out = SHA-256(P || m), P the prefix byte or nothing (prefix -1). */
static void
portable_one(uint8_t out[SDB_SHA256_SIZE], int prefix, const void *m, size_t len)
{
	struct sdb_sha256_ctx c;
	uint8_t pre = (uint8_t)prefix;

	sdb_sha256_init(&c);
	if (prefix >= 0)
		sdb_sha256_update(&c, &pre, 1);
	sdb_sha256_update(&c, m, len);
	sdb_sha256_final(&c, out);
}

static void
portable_x2(uint8_t oa[SDB_SHA256_SIZE], uint8_t ob[SDB_SHA256_SIZE], int prefix,
    const void *a, size_t la, const void *b, size_t lb)
{
	uint8_t da[SDB_SHA256_SIZE];

	/* both messages are read before either digest is written: oa may
	 * overlap b */
	portable_one(da, prefix, a, la);
	portable_one(ob, prefix, b, lb);
	memcpy(oa, da, SDB_SHA256_SIZE);
}

#ifdef HAVE_SHA_INTRINSICS

#include <cpuid.h>
#include <immintrin.h>

#define SHANI __attribute__((target("sha,sse4.1,ssse3")))

static const uint32_t K[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

/* The running state of one message, in the extensions' register layout:
 * s0 = (A, B, E, F), s1 = (C, D, G, H), A in the highest lane. */
struct st {
	__m128i s0, s1;
};

SHANI static void
st_init(struct st *s)
{
	s->s0 = _mm_set_epi32(0x6a09e667, (int)0xbb67ae85, 0x510e527f, (int)0x9b05688c);
	s->s1 = _mm_set_epi32(0x3c6ef372, (int)0xa54ff53a, 0x1f83d9ab, 0x5be0cd19);
}

/* Big-endian 32-bit words of a block, and the digest's bytes. */
SHANI static __m128i
bswap32x4(__m128i v)
{
	return _mm_shuffle_epi8(v, _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL));
}

SHANI static void
st_digest(const struct st *s, uint8_t out[SDB_SHA256_SIZE])
{
	__m128i feba = _mm_shuffle_epi32(s->s0, 0x1B);
	__m128i dchg = _mm_shuffle_epi32(s->s1, 0xB1);
	__m128i dcba = _mm_blend_epi16(feba, dchg, 0xF0);
	__m128i hgfe = _mm_alignr_epi8(dchg, feba, 8);

	_mm_storeu_si128((__m128i *)(void *)out, bswap32x4(dcba));
	_mm_storeu_si128((__m128i *)(void *)(out + 16), bswap32x4(hgfe));
}

/*
 * One 64-byte block of each of two messages.  Round group r (rounds 4r ..
 * 4r+3) uses schedule words w[r % 4]; the words of group r+1 are finished
 * (sha256msg2) during group r from r = 3, and the words of group r+3 are
 * started (sha256msg1) from r = 1, as the extensions' reference schedule.
 * The two messages' instructions alternate so that each one's round
 * latency is hidden behind the other's.
 */
SHANI static void
compress_x2(struct st *x, const __m128i xin[4], struct st *y, const __m128i yin[4])
{
	__m128i xs0 = x->s0, xs1 = x->s1, ys0 = y->s0, ys1 = y->s1;
	__m128i xw[4], yw[4];
	int r;

	for (r = 0; r < 4; r++) {
		xw[r] = bswap32x4(xin[r]);
		yw[r] = bswap32x4(yin[r]);
	}
#pragma GCC unroll 16
	for (r = 0; r < 16; r++) {
		__m128i k = _mm_load_si128((const __m128i *)(const void *)(K + 4 * r));
		__m128i xm = _mm_add_epi32(xw[r & 3], k), ym = _mm_add_epi32(yw[r & 3], k);

		xs1 = _mm_sha256rnds2_epu32(xs1, xs0, xm);
		ys1 = _mm_sha256rnds2_epu32(ys1, ys0, ym);
		if (r >= 3 && r < 15) {
			__m128i xt = _mm_alignr_epi8(xw[r & 3], xw[(r - 1) & 3], 4);
			__m128i yt = _mm_alignr_epi8(yw[r & 3], yw[(r - 1) & 3], 4);

			xw[(r + 1) & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(xw[(r + 1) & 3], xt),
			    xw[r & 3]);
			yw[(r + 1) & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(yw[(r + 1) & 3], yt),
			    yw[r & 3]);
		}
		xm = _mm_shuffle_epi32(xm, 0x0E);
		ym = _mm_shuffle_epi32(ym, 0x0E);
		xs0 = _mm_sha256rnds2_epu32(xs0, xs1, xm);
		ys0 = _mm_sha256rnds2_epu32(ys0, ys1, ym);
		if (r >= 1 && r < 13) {
			xw[(r - 1) & 3] = _mm_sha256msg1_epu32(xw[(r - 1) & 3], xw[r & 3]);
			yw[(r - 1) & 3] = _mm_sha256msg1_epu32(yw[(r - 1) & 3], yw[r & 3]);
		}
	}
	x->s0 = _mm_add_epi32(x->s0, xs0);
	x->s1 = _mm_add_epi32(x->s1, xs1);
	y->s0 = _mm_add_epi32(y->s0, ys0);
	y->s1 = _mm_add_epi32(y->s1, ys1);
}

/* A message being hashed: the optional prefix byte, the bytes, then
 * SHA-256's padding, handed out one 64-byte block at a time. */
struct msg {
	const uint8_t *m;
	size_t len;     /* with the prefix */
	size_t blocks;  /* with the padding */
	int prefix;
};

static void
msg_init(struct msg *g, int prefix, const void *m, size_t len)
{
	g->m = m;
	g->prefix = prefix;
	g->len = len + (prefix >= 0);
	g->blocks = (g->len + 8) / 64 + 1;
}

/* Block k of g assembled in buf (the first block after a prefix, the
 * last blocks with the padding). */
static const uint8_t *
msg_block(const struct msg *g, size_t k, uint8_t buf[64])
{
	size_t start = k * 64, j = 0, skip = g->prefix >= 0;

	if (start == 0 && skip)
		buf[j++] = (uint8_t)g->prefix;
	if (start + j < g->len) {
		size_t end = g->len < start + 64 ? g->len : start + 64;

		memcpy(buf + j, g->m + (start + j - skip), end - start - j);
		j = end - start;
	}
	if (j < 64) {
		memset(buf + j, 0, 64 - j);
		if (g->len >= start && g->len < start + 64)
			buf[g->len - start] = 0x80;
	}
	if (k == g->blocks - 1) {
		uint64_t bits = (uint64_t)g->len * 8;
		int i;

		for (i = 0; i < 8; i++)
			buf[63 - i] = (uint8_t)(bits >> (8 * i));
	}
	return buf;
}

SHANI static __m128i
load16(const uint8_t *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* pshufb masks and pad bytes for a word holding the last n < 16 bytes
 * of a message: at tail_shuf + 16 - n, bytes 16-n..15 of a register go
 * to 0..n-1 and the rest is zeroed; at tail_pad + 16 - n, 0x80 sits at
 * byte n (SHA-256's end-of-message bit). */
static const uint8_t tail_shuf[32] __attribute__((aligned(16))) = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
	0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
};
static const uint8_t tail_pad[32] __attribute__((aligned(16))) = {
	[16] = 0x80,
};

/* The words of block k of g when it holds the end of the message (with
 * the padding, and the length when it is the last block), built in
 * registers; 0 when the message is too short for that (under 16 bytes,
 * or its prefix in this block), for msg_block. */
SHANI static int
tail_words(const struct msg *g, size_t k, __m128i w[4])
{
	size_t start = k * 64, skip = g->prefix >= 0, mlen = g->len - skip, j;

	if (mlen < 16 || (skip && start == 0))
		return 0;
	for (j = 0; j < 4; j++) {
		size_t at = start + 16 * j; /* in the prefixed message */

		if (at + 16 <= g->len) {
			w[j] = load16(g->m + (at - skip));
		} else if (at <= g->len) {
			/* n bytes of the message, then 0x80 */
			size_t n = g->len - at;
			__m128i last = load16(g->m + (mlen - 16));
			__m128i mask = load16(tail_shuf + 16 - n);

			w[j] = _mm_or_si128(_mm_shuffle_epi8(last, mask), load16(tail_pad + 16 - n));
		} else {
			w[j] = _mm_setzero_si128();
		}
	}
	if (k == g->blocks - 1) {
		uint64_t bits = (uint64_t)g->len * 8;

		w[3] = _mm_or_si128(w[3], _mm_set_epi64x((long long)__builtin_bswap64(bits), 0));
	}
	return 1;
}

/* Block k of g as four 16-byte words.  Inside the message they are
 * loaded straight from it, the first block after a prefix byte too
 * (shifted in a register): bytes written to a buffer and read back as
 * words stall the load on the stores, which cost as much as a fifth of
 * the hashing. */
SHANI static void
block_words(const struct msg *g, size_t k, __m128i w[4])
{
	size_t start = k * 64, skip = g->prefix >= 0;
	uint8_t buf[64];
	const uint8_t *p;

	if (start >= skip && start + 64 <= g->len) {
		p = g->m + (start - skip);
	} else if (start == 0 && skip && g->len >= 64) {
		w[0] = _mm_insert_epi8(_mm_slli_si128(load16(g->m), 1), (char)g->prefix, 0);
		w[1] = load16(g->m + 15);
		w[2] = load16(g->m + 31);
		w[3] = load16(g->m + 47);
		return;
	} else if (tail_words(g, k, w)) {
		return;
	} else {
		p = msg_block(g, k, buf);
	}
	w[0] = load16(p);
	w[1] = load16(p + 16);
	w[2] = load16(p + 32);
	w[3] = load16(p + 48);
}

SHANI static void
shani_x2(uint8_t oa[SDB_SHA256_SIZE], uint8_t ob[SDB_SHA256_SIZE], int prefix,
    const void *a, size_t la, const void *b, size_t lb)
{
	/* When one message has fewer blocks, its lane hashes a dummy block
	 * into a discarded state while the other finishes: simpler than a
	 * one-message path, and pairs of records nearly always have the
	 * same number of blocks. */
	__m128i wa[4], wb[4], dummy[4];
	struct msg ga, gb;
	struct st sa, sb, sd;
	size_t k, n;

	msg_init(&ga, prefix, a, la);
	msg_init(&gb, prefix, b, lb);
	st_init(&sa);
	st_init(&sb);
	st_init(&sd);
	dummy[0] = dummy[1] = dummy[2] = dummy[3] = _mm_setzero_si128();
	n = ga.blocks > gb.blocks ? ga.blocks : gb.blocks;
	for (k = 0; k < n; k++) {
		if (k < ga.blocks)
			block_words(&ga, k, wa);
		if (k < gb.blocks)
			block_words(&gb, k, wb);
		if (k >= ga.blocks)
			compress_x2(&sd, dummy, &sb, wb);
		else if (k >= gb.blocks)
			compress_x2(&sa, wa, &sd, dummy);
		else
			compress_x2(&sa, wa, &sb, wb);
	}
	st_digest(&sa, oa);
	st_digest(&sb, ob);
}

/* 1 when the CPU has the SHA extensions and SSE4.1/SSSE3. */
static int
cpu_has_shani(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_SSE4_1) || !(ecx & bit_SSSE3))
		return 0;
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid_count(7, 0, eax, ebx, ecx, edx);
	return (ebx & (1u << 29)) != 0;
}
#endif

/* -1 unknown, 0 portable, 1 SHA extensions; a benign race sets it to the
 * same value from any thread. */
static int shani = -1;

int
sdb_sha256_x2_accelerated(void)
{
#ifdef HAVE_SHA_INTRINSICS
	int v = __atomic_load_n(&shani, __ATOMIC_RELAXED);

	if (v < 0) {
		v = cpu_has_shani();
		__atomic_store_n(&shani, v, __ATOMIC_RELAXED);
	}
	return v && !__atomic_load_n(&force_portable, __ATOMIC_RELAXED);
#else
	(void)shani;
	return 0;
#endif
}

void
sdb_sha256_x2_force_portable(int on)
{
	__atomic_store_n(&force_portable, on != 0, __ATOMIC_RELAXED);
}

void
sdb_sha256_x2(uint8_t oa[SDB_SHA256_SIZE], uint8_t ob[SDB_SHA256_SIZE], int prefix,
    const void *a, size_t la, const void *b, size_t lb)
{
#ifdef HAVE_SHA_INTRINSICS
	if (sdb_sha256_x2_accelerated()) {
		shani_x2(oa, ob, prefix, a, la, b, lb);
		return;
	}
#endif
	portable_x2(oa, ob, prefix, a, la, b, lb);
}
