/* Fuzz target: go.sum parsing; a parsed file formats to text that parses
 * to the same entries and formats to the same bytes again. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/gosum.h"
#include "fuzz.h"

SDB_FUZZ_TARGET(gosum)
{
	struct sdb_gosum *g, *g2;
	char *out, *out2;
	size_t n, n2, i;

	if (sdb_gosum_parse((const char *)data, size, &g, NULL) != SDB_OK)
		return 0;
	if (sdb_gosum_format(g, &out, &n) != SDB_OK) {
		sdb_gosum_free(g);
		return 0;
	}
	if (sdb_gosum_parse(out, n, &g2, NULL) != SDB_OK || g2->n != g->n)
		__builtin_trap();
	for (i = 0; i < g->n; i++)
		if (strcmp(g->entries[i].path, g2->entries[i].path) != 0 ||
		    strcmp(g->entries[i].version, g2->entries[i].version) != 0 ||
		    strcmp(g->entries[i].hash, g2->entries[i].hash) != 0 ||
		    g->entries[i].is_gomod != g2->entries[i].is_gomod ||
		    memcmp(&g->entries[i].h1, &g2->entries[i].h1, sizeof(sdb_hash)) != 0)
			__builtin_trap();
	if (sdb_gosum_format(g2, &out2, &n2) == SDB_OK) {
		if (n2 != n || memcmp(out, out2, n) != 0)
			__builtin_trap();
		free(out2);
	}
	free(out);
	sdb_gosum_free(g);
	sdb_gosum_free(g2);
	return 0;
}
