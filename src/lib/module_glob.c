/*
 * GOPRIVATE-style patterns (include/csumdb/module_glob.h): a port of Go
 * 1.19 path.Match (src/path/match.go) and x/mod module.MatchPrefixPatterns.
 * Runes are decoded as Go's utf8.DecodeRuneInString does, so '?' and
 * character classes match one rune, never a '/'.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "csumdb/err.h"
#include "csumdb/module_glob.h"

/* One rune at s[0..n) (n >= 1), invalid bytes as U+FFFD of size 1. */
static uint32_t
rune(const char *s, size_t n, size_t *size)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t r, min;
	size_t k, i;

	*size = 1;
	if (p[0] < 0x80)
		return p[0];
	if ((p[0] & 0xE0) == 0xC0)
		k = 2, r = p[0] & 0x1F, min = 0x80;
	else if ((p[0] & 0xF0) == 0xE0)
		k = 3, r = p[0] & 0x0F, min = 0x800;
	else if ((p[0] & 0xF8) == 0xF0)
		k = 4, r = p[0] & 0x07, min = 0x10000;
	else
		return 0xFFFD;
	if (n < k)
		return 0xFFFD;
	for (i = 1; i < k; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0xFFFD;
		r = r << 6 | (p[i] & 0x3F);
	}
	if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		return 0xFFFD;
	*size = k;
	return r;
}

/* scanChunk: *star set when the chunk follows stars; the chunk is
 * pat[0..*clen); returns the rest of the pattern. */
static const char *
scan_chunk(const char *pat, size_t plen, int *star, size_t *clen, size_t *rest)
{
	size_t i;
	int inrange = 0;

	*star = 0;
	while (plen > 0 && pat[0] == '*') {
		pat++;
		plen--;
		*star = 1;
	}
	for (i = 0; i < plen; i++) {
		if (pat[i] == '\\') {
			if (i + 1 < plen)
				i++;
		} else if (pat[i] == '[') {
			inrange = 1;
		} else if (pat[i] == ']') {
			inrange = 0;
		} else if (pat[i] == '*' && !inrange) {
			break;
		}
	}
	*clen = i;
	*rest = plen - i;
	return pat;
}

/* getEsc: one possibly escaped rune of a class; -1 bad pattern. */
static int
get_esc(const char **c, size_t *n, uint32_t *r)
{
	size_t sz;

	if (*n == 0 || **c == '-' || **c == ']')
		return -1;
	if (**c == '\\') {
		(*c)++;
		(*n)--;
		if (*n == 0)
			return -1;
	}
	*r = rune(*c, *n, &sz);
	if (*r == 0xFFFD && sz == 1)
		return -1;
	*c += sz;
	*n -= sz;
	if (*n == 0)
		return -1;
	return 0;
}

/* matchChunk: 1 with *rest set, 0 no match, -1 bad pattern. */
static int
match_chunk(const char *c, size_t cn, const char *s, size_t sn, size_t *rest)
{
	int failed = 0;

	while (cn > 0) {
		if (!failed && sn == 0)
			failed = 1;
		switch (c[0]) {
		case '[': {
			uint32_t r = 0, lo, hi;
			size_t sz = 0;
			int negated = 0, match = 0, nrange = 0;

			if (!failed) {
				r = rune(s, sn, &sz);
				s += sz;
				sn -= sz;
			}
			c++;
			cn--;
			if (cn > 0 && c[0] == '^') {
				negated = 1;
				c++;
				cn--;
			}
			for (;;) {
				if (cn > 0 && c[0] == ']' && nrange > 0) {
					c++;
					cn--;
					break;
				}
				if (get_esc(&c, &cn, &lo) != 0)
					return -1;
				hi = lo;
				if (c[0] == '-') {
					c++;
					cn--;
					if (get_esc(&c, &cn, &hi) != 0)
						return -1;
				}
				if (lo <= r && r <= hi)
					match = 1;
				nrange++;
			}
			if (match == negated)
				failed = 1;
			break;
		}
		case '?':
			if (!failed) {
				size_t sz;

				if (s[0] == '/')
					failed = 1;
				(void)rune(s, sn, &sz);
				if (!failed) {
					s += sz;
					sn -= sz;
				}
			}
			c++;
			cn--;
			break;
		case '\\':
			c++;
			cn--;
			if (cn == 0)
				return -1;
			SDB_FALLTHROUGH; /* the escaped character matches itself */
		default:
			if (!failed) {
				if (c[0] != s[0])
					failed = 1;
				s++;
				sn--;
			}
			c++;
			cn--;
			break;
		}
	}
	if (failed)
		return 0;
	*rest = sn;
	return 1;
}

static int
path_match(const char *pat, size_t pn, const char *name, size_t nn)
{
	while (pn > 0) {
		int star, ok;
		size_t clen, prest, t = 0, i;
		const char *chunk = scan_chunk(pat, pn, &star, &clen, &prest);

		pat = chunk + clen;
		pn = prest;
		if (star && clen == 0)
			return memchr(name, '/', nn) == NULL;
		ok = match_chunk(chunk, clen, name, nn, &t);
		if (ok == 1 && (t == 0 || pn > 0)) {
			name += nn - t;
			nn = t;
			continue;
		}
		if (ok < 0)
			return -1;
		if (star) {
			int found = 0;

			for (i = 0; i < nn && name[i] != '/'; i++) {
				ok = match_chunk(chunk, clen, name + i + 1, nn - i - 1, &t);
				if (ok == 1) {
					if (pn == 0 && t > 0)
						continue;
					name += nn - t;
					nn = t;
					found = 1;
					break;
				}
				if (ok < 0)
					return -1;
			}
			if (found)
				continue;
		}
		/* check the rest of the pattern is well-formed */
		while (pn > 0) {
			chunk = scan_chunk(pat, pn, &star, &clen, &prest);
			pat = chunk + clen;
			pn = prest;
			if (match_chunk(chunk, clen, "", 0, &t) < 0)
				return -1;
		}
		return 0;
	}
	return nn == 0;
}

int
sdb_path_match(const char *pattern, const char *name)
{
	return path_match(pattern, strlen(pattern), name, strlen(name));
}

/* The next non-empty pattern of a comma-separated list at *globs, one
 * trailing '/' trimmed (strings.TrimSuffix): *g, *gl; *globs moves past
 * it.  Returns 0 at the end of the list. */
static int
next_pattern(const char **globs, const char **g, size_t *gl)
{
	while (**globs != '\0') {
		const char *comma = strchr(*globs, ',');

		*g = *globs;
		*gl = comma ? (size_t)(comma - *globs) : strlen(*globs);
		*globs = comma ? comma + 1 : *globs + *gl;
		if (*gl > 0 && (*g)[*gl - 1] == '/')
			(*gl)--;
		if (*gl > 0)
			return 1;
	}
	return 0;
}

int
sdb_module_match_prefix_patterns(const char *globs, const char *target)
{
	size_t tlen = strlen(target), gl;
	const char *g;

	while (next_pattern(&globs, &g, &gl)) {
		size_t i, n = 0, plen = tlen;

		for (i = 0; i < gl; i++)
			if (g[i] == '/')
				n++;
		for (i = 0; i < tlen; i++) {
			if (target[i] == '/') {
				if (n == 0) {
					plen = i;
					break;
				}
				n--;
			}
		}
		if (n > 0)
			continue;
		if (path_match(g, gl, target, plen) == 1)
			return 1;
	}
	return 0;
}

int
sdb_module_check_prefix_patterns(const char *globs, const char **bad, size_t *bad_len)
{
	size_t gl;
	const char *g;
	int any = 0;

	*bad = NULL;
	*bad_len = 0;
	while (next_pattern(&globs, &g, &gl)) {
		any = 1;
		/* path.Match checks all of a pattern that does not match */
		if (path_match(g, gl, "", 0) < 0) {
			*bad = g;
			*bad_len = gl;
			return -1;
		}
	}
	return any;
}
