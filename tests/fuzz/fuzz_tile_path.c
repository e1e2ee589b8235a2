/*
 * Fuzz target: tile path parsing (sdb_tile_parse).  Accepted input must be
 * exactly the canonical path of the tile it parsed to, and that tile must
 * survive format -> parse unchanged.
 */
#include "config.h"

#include <string.h>

#include "csumdb/tile.h"
#include "fuzz.h"

SDB_FUZZ_TARGET(tile_path)
{
	struct sdb_tile t, t2;
	char buf[SDB_TILE_PATH_MAX];
	size_t len;

	if (sdb_tile_parse(&t, (const char *)data, size) != SDB_OK)
		return 0;
	if (sdb_tile_format(&t, buf, sizeof buf, &len) != SDB_OK || len != size ||
	    memcmp(buf, data, size) != 0)
		__builtin_trap();
	if (sdb_tile_parse(&t2, buf, len) != SDB_OK || t2.h != t.h || t2.l != t.l ||
	    t2.n != t.n || t2.w != t.w)
		__builtin_trap();
	if (!sdb_tile_valid(&t) || t.w < 1 || t.w > (1 << t.h))
		__builtin_trap();
	return 0;
}
