/*
 * Byte strings: in Go's string order, bytewise, a prefix first (Go's
 * strings.Compare and sort.Strings, which go.sum files, zip names and
 * semver identifiers are sorted by); and made printable for a line of
 * text, the one rule for every line either program writes (the CLI's
 * lines, src/cli/line.h, and a remote's error body quoted in a message,
 * sdb_fetch_body_hint).
 */
#ifndef CSUMDB_BYTES_H
#define CSUMDB_BYTES_H

#include <stddef.h>
#include <string.h>

/* -1, 0 or +1 as x[0..xn) sorts before, with or after y[0..yn). */
static inline int
sdb_bytes_cmp(const void *x, size_t xn, const void *y, size_t yn)
{
	int c = memcmp(x, y, xn < yn ? xn : yn);

	if (c != 0)
		return c < 0 ? -1 : 1;
	return xn < yn ? -1 : xn > yn;
}

/* Writes each byte of s[0..n) that is not printable ASCII (0x20 to 0x7e)
 * as '?', in place: a newline or carriage return, an escape sequence, a
 * byte of a UTF-8 sequence.  What is left can neither forge a second line
 * nor be read by a terminal as a command. */
static inline void
sdb_bytes_printable(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			s[i] = '?';
}

#endif
