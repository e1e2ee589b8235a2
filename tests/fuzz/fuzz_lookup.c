/* Fuzz target: /lookup/ request paths; an accepted request re-escapes to
 * exactly the bytes that were sent. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/module.h"
#include "fuzz.h"

SDB_FUZZ_TARGET(lookup)
{
	const char *s = (const char *)data;
	char *p, *v, *ep, *ev;
	size_t pl, vl, epl, evl;

	if (sdb_lookup_parse(s, size, &p, &pl, &v, &vl, NULL) != SDB_OK)
		return 0;
	if (memchr(p, '\0', pl) != NULL || memchr(v, '\0', vl) != NULL)
		__builtin_trap();
	if (sdb_module_escape_path(p, pl, &ep, &epl, NULL) != SDB_OK ||
	    sdb_module_escape_version(v, vl, &ev, &evl, NULL) != SDB_OK)
		__builtin_trap();
	if (epl + 1 + evl != size || memcmp(ep, s, epl) != 0 || s[epl] != '@' ||
	    memcmp(ev, s + epl + 1, evl) != 0)
		__builtin_trap();
	free(ep);
	free(ev);
	free(p);
	free(v);
	return 0;
}
