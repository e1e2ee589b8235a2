/*
 * Base64 as Go's StdEncoding (include/csumdb/base64.h).  Written here
 * rather than taken from libsodium because libsodium rejects non-zero
 * trailing bits, which Go accepts; a verifier stricter than the go command
 * would reject notes the go command takes.
 */
#include "config.h"

#include <stdint.h>

#include "csumdb/base64.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
sdb_b64_encode(char *out, const uint8_t *in, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = b64_alphabet[v >> 6 & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = b64_alphabet[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

/* The value of each base64 symbol, -1 for every other byte (padding and
 * newlines included, which the careful loop below handles). */
static const signed char b64_dec[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

static int
b64_value(unsigned char c)
{
	return b64_dec[c];
}

/*
 * The same values placed where a quantum's four symbols go in its 24
 * bits (b64_shifted[k][c]: symbol c in position k), every other byte with
 * bits above the 24 set: a quantum is four loads and three ORs, and one
 * test of the ORs of all quanta finds any bad symbol (two hashes per
 * record in a full audit).
 */
#define B64_VAL(c) ((c) >= 'A' && (c) <= 'Z' ? (c) - 'A' : (c) >= 'a' && (c) <= 'z' ? \
	(c) - 'a' + 26 : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52 : (c) == '+' ? 62 : \
	(c) == '/' ? 63 : -1)
#define B64_SH(c, k) (B64_VAL(c) < 0 ? UINT32_C(0xff000000) : \
	(uint32_t)B64_VAL(c) << (18 - 6 * (k)))
#define B64_R4(c, k) B64_SH(c, k), B64_SH((c) + 1, k), B64_SH((c) + 2, k), B64_SH((c) + 3, k)
#define B64_R16(c, k) B64_R4(c, k), B64_R4((c) + 4, k), B64_R4((c) + 8, k), B64_R4((c) + 12, k)
#define B64_R64(c, k) B64_R16(c, k), B64_R16((c) + 16, k), B64_R16((c) + 32, k), \
	B64_R16((c) + 48, k)
#define B64_R256(k) { B64_R64(0, k), B64_R64(64, k), B64_R64(128, k), B64_R64(192, k) }

static const uint32_t b64_shifted[4][256] = {
	B64_R256(0), B64_R256(1), B64_R256(2), B64_R256(3),
};

int
sdb_b64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in, size_t len)
{
	size_t i = 0, o = 0;

	*outlen = 0;
	/* Fast path: whole quanta of four symbols, no newline, no padding
	 * (every h1: hash and signature is mostly that); the first quantum
	 * that is anything else goes to the careful loop, which would have
	 * decoded these the same way. */
	while (len - i >= 4) {
		int a = b64_dec[(unsigned char)in[i]], b = b64_dec[(unsigned char)in[i + 1]];
		int c = b64_dec[(unsigned char)in[i + 2]], d = b64_dec[(unsigned char)in[i + 3]];
		uint32_t acc;

		if ((a | b | c | d) < 0 || cap - o < 3)
			break;
		acc = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		out[o++] = (uint8_t)(acc >> 16);
		out[o++] = (uint8_t)(acc >> 8);
		out[o++] = (uint8_t)acc;
		i += 4;
	}
	for (;;) {
		uint32_t acc = 0;
		int j = 0;

		/* One quantum of up to four symbols, skipping newlines. */
		while (j < 4) {
			unsigned char c;
			int v;

			while (i < len && (in[i] == '\r' || in[i] == '\n'))
				i++;
			if (i == len) {
				if (j == 0)
					goto done;
				return SDB_ERR_INVALID; /* padding is required */
			}
			c = (unsigned char)in[i++];
			if (c == '=') {
				if (j < 2)
					return SDB_ERR_INVALID;
				if (j == 2) {
					/* "==" completes the quantum */
					while (i < len && (in[i] == '\r' || in[i] == '\n'))
						i++;
					if (i == len || in[i] != '=')
						return SDB_ERR_INVALID;
					i++;
				}
				while (i < len && (in[i] == '\r' || in[i] == '\n'))
					i++;
				if (i != len)
					return SDB_ERR_INVALID; /* data after padding */
				break;
			}
			v = b64_value(c);
			if (v < 0)
				return SDB_ERR_INVALID;
			acc = acc << 6 | (uint32_t)v;
			j++;
		}
		if (j == 4) {
			if (cap - o < 3)
				return SDB_ERR_TOO_LARGE;
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			continue;
		}
		/* j is 2 or 3: the final, padded quantum */
		acc <<= 6 * (4 - j);
		if (cap - o < (size_t)(j - 1))
			return SDB_ERR_TOO_LARGE;
		out[o++] = (uint8_t)(acc >> 16);
		if (j == 3)
			out[o++] = (uint8_t)(acc >> 8);
		break;
	}
done:
	*outlen = o;
	return SDB_OK;
}

int
sdb_b64_decode_canonical(uint8_t *out, size_t n, const char *in, size_t len)
{
	const unsigned char *q = (const unsigned char *)in;
	size_t i, o = 0;
	uint32_t acc, bad = 0;

	if (n > SIZE_MAX / 4 || len != SDB_B64_ENCODED_LEN(n))
		return SDB_ERR_INVALID;
	for (i = 0; o + 3 <= n; i += 4) {
		acc = b64_shifted[0][q[i]] | b64_shifted[1][q[i + 1]] |
		    b64_shifted[2][q[i + 2]] | b64_shifted[3][q[i + 3]];
		bad |= acc;
		out[o++] = (uint8_t)(acc >> 16);
		out[o++] = (uint8_t)(acc >> 8);
		out[o++] = (uint8_t)acc;
	}
	if (n - o == 1) {
		/* "AB==": the low 4 bits of B (bits 12..15) are unused */
		acc = b64_shifted[0][q[i]] | b64_shifted[1][q[i + 1]];
		bad |= acc | (acc & 0xf000) << 12;
		if (q[i + 2] != '=' || q[i + 3] != '=')
			return SDB_ERR_INVALID;
		out[o] = (uint8_t)(acc >> 16);
	} else if (n - o == 2) {
		/* "ABC=": the low 2 bits of C (bits 6..7) are unused */
		acc = b64_shifted[0][q[i]] | b64_shifted[1][q[i + 1]] | b64_shifted[2][q[i + 2]];
		bad |= acc | (acc & 0xc0) << 24;
		if (q[i + 3] != '=')
			return SDB_ERR_INVALID;
		out[o] = (uint8_t)(acc >> 16);
		out[o + 1] = (uint8_t)(acc >> 8);
	}
	return bad >> 24 ? SDB_ERR_INVALID : SDB_OK;
}
