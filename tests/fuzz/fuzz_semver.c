/* Fuzz target: semantic versions (src/lib/semver.c).  The input is two
 * versions separated by a newline.  Beyond not crashing: a version is
 * valid exactly when it has a canonical form, which is valid, its own
 * canonical form and equal to it in order; the order is antisymmetric;
 * the major version and pre-release are spans of a valid version; and a
 * pseudo-version is valid. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/module.h"
#include "fuzz.h"

static void
check_one(const char *v, size_t n)
{
	char c[8200], c2[8200];
	size_t cn, c2n, off, len;
	int valid = sdb_semver_is_valid(v, n), err;

	err = sdb_semver_canonical(v, n, c, sizeof c, &cn);
	if ((err == SDB_OK) != valid)
		__builtin_trap();
	if (sdb_semver_compare(v, n, v, n) != 0)
		__builtin_trap();
	if (valid) {
		if (!sdb_semver_is_valid(c, cn) ||
		    sdb_semver_canonical(c, cn, c2, sizeof c2, &c2n) != SDB_OK ||
		    c2n != cn || memcmp(c, c2, cn) != 0 ||
		    sdb_semver_compare(v, n, c, cn) != 0)
			__builtin_trap();
		len = sdb_semver_major_len(v, n);
		if (len < 2 || len > n || v[0] != 'v')
			__builtin_trap();
		if (sdb_semver_prerelease(v, n, &off, &len) != 1 ||
		    (len > 0 && (off + len > n || v[off] != '-')))
			__builtin_trap();
	} else if (sdb_semver_major_len(v, n) != 0 ||
	    sdb_module_is_pseudo_version(v, n)) {
		__builtin_trap();
	}
}

SDB_FUZZ_TARGET(semver)
{
	const char *v = (const char *)data, *nl = memchr(data, '\n', size);
	size_t vn = nl != NULL ? (size_t)(nl - v) : size;
	const char *w = nl != NULL ? nl + 1 : v + size;
	size_t wn = size - (size_t)(w - v);
	int a, b;

	if (size > 8192)
		return 0;
	check_one(v, vn);
	check_one(w, wn);
	a = sdb_semver_compare(v, vn, w, wn);
	b = sdb_semver_compare(w, wn, v, vn);
	if (a < -1 || a > 1 || a != -b)
		__builtin_trap();
	return 0;
}
