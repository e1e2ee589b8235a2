/*
 * Byte strings in Go's string order: bytewise, a prefix first (Go's
 * strings.Compare and sort.Strings, which go.sum files, zip names and
 * semver identifiers are sorted by).
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

#endif
