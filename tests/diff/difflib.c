/*
 * Helpers shared by the differential drivers (tests/diff/difflib.h).
 */
#include "config.h"

#include <string.h>

#include "difflib.h"

uint64_t diff_rng;

/* splitmix64: small, seedable, and the same stream on every platform. */
uint64_t
diff_rnd(void)
{
	uint64_t z = (diff_rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

size_t
diff_rn(size_t n)
{
	return (size_t)(diff_rnd() % n);
}

ssize_t
diff_getline(char **line, size_t *cap, FILE *f)
{
	ssize_t r = getline(line, cap, f);

	if (r <= 0)
		return -1;
	if ((*line)[r - 1] == '\n')
		(*line)[--r] = '\0';
	return r;
}

size_t
diff_split(char *line, char **f, size_t max)
{
	size_t n = 0;

	for (;;) {
		char *t = strchr(line, '\t');

		if (n == max)
			return max + 1;
		f[n++] = line;
		if (t == NULL)
			return n;
		*t = '\0';
		line = t + 1;
	}
}

static const char hexdigits[] = "0123456789abcdef";

void
diff_hex(char *out, const void *b, size_t n)
{
	const uint8_t *p = b;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdigits[p[i] >> 4];
		out[2 * i + 1] = hexdigits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void
diff_hex_put(FILE *f, const void *b, size_t n)
{
	const uint8_t *p = b;
	size_t i;

	for (i = 0; i < n; i++) {
		putc(hexdigits[p[i] >> 4], f);
		putc(hexdigits[p[i] & 15], f);
	}
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
diff_unhex(void *out, size_t cap, const char *s, size_t len, size_t *outlen)
{
	uint8_t *o = out;
	size_t i;

	if (len % 2 != 0 || len / 2 > cap)
		return -1;
	for (i = 0; i < len / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		o[i] = (uint8_t)(hi << 4 | lo);
	}
	*outlen = len / 2;
	return 0;
}

int
diff_unhex_n(void *out, size_t n, const char *s, size_t len)
{
	size_t got;

	if (len != 2 * n)
		return -1;
	return diff_unhex(out, n, s, len, &got);
}
