/* Fuzz target: GOPRIVATE-style patterns (src/lib/module_glob.c).  The
 * input is a pattern, a newline and a name.  Beyond not crashing: a
 * malformed pattern of a --private list is named by a span of it; a
 * pattern without metacharacters matches exactly itself; the name with
 * every metacharacter escaped is a pattern that matches the name; and a
 * pattern that matches a name of as many path elements matches, as a
 * --private list, that name and every path below it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/module_glob.h"
#include "fuzz.h"

static size_t
count(const char *s, char c)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == c;
	return n;
}

SDB_FUZZ_TARGET(glob)
{
	const char *nl = memchr(data, '\n', size);
	size_t pl = nl != NULL ? (size_t)(nl - (const char *)data) : size;
	size_t nlen = nl != NULL ? size - pl - 1 : 0, i, k = 0;
	char *pat, *name, *esc, *below;
	const char *bad;
	int m;

	if (size > 4096 || memchr(data, '\0', size) != NULL)
		return 0;
	pat = malloc(pl + 1);
	name = malloc(nlen + 1);
	esc = malloc(2 * nlen + 1);
	below = malloc(nlen + 3);
	if (pat == NULL || name == NULL || esc == NULL || below == NULL)
		goto out;
	memcpy(pat, data, pl);
	pat[pl] = '\0';
	if (nl != NULL)
		memcpy(name, nl + 1, nlen);
	name[nlen] = '\0';

	/* as a --private list: a malformed pattern is named by its span */
	k = 0;
	m = sdb_module_check_prefix_patterns(pat, &bad, &k);
	if (m < -1 || m > 1 || (m == -1) != (bad != NULL) ||
	    (bad != NULL && (bad < pat || k == 0 || bad + k > pat + pl)))
		__builtin_trap();
	k = 0;

	m = sdb_path_match(pat, name);
	if (m < -1 || m > 1)
		__builtin_trap();
	if (strpbrk(pat, "*?[\\") == NULL && m != (strcmp(pat, name) == 0))
		__builtin_trap();

	for (i = 0; i < nlen; i++) {
		if (strchr("*?[\\", name[i]) != NULL)
			esc[k++] = '\\';
		esc[k++] = name[i];
	}
	esc[k] = '\0';
	if (sdb_path_match(esc, name) != 1)
		__builtin_trap();

	if (m == 1 && pl > 0 && pat[pl - 1] != '/' && strchr(pat, ',') == NULL &&
	    count(pat, '/') == count(name, '/')) {
		memcpy(below, name, nlen);
		memcpy(below + nlen, "/x", 3);
		if (sdb_module_match_prefix_patterns(pat, name) != 1 ||
		    sdb_module_match_prefix_patterns(pat, below) != 1)
			__builtin_trap();
	}
out:
	free(below);
	free(esc);
	free(name);
	free(pat);
	return 0;
}
