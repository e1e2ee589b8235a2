/* Fuzz target: data tiles in the sum.golang.org form.  The first byte
 * picks the width; a parsed tile re-formats to the same bytes, and an
 * audit's framing (SDB_DATA_TILE_ANY_TEXT) splits every tile the others
 * take the same way. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/record.h"
#include "fuzz.h"

SDB_FUZZ_TARGET(data_tile)
{
	struct sdb_span recs[256], any[256];
	const char *d = (const char *)data + 1;
	char *out;
	size_t w, n, i, o;
	unsigned flags;
	int any_ok;

	if (size < 1)
		return 0;
	w = (size_t)(data[0] & 0x7f) + 1;
	flags = data[0] & 0x80 ? SDB_DATA_TILE_STRICT : 0;
	/* an audit's framing (any bytes between blank lines): the records
	 * with their blank lines are the tile, byte for byte */
	any_ok = sdb_data_tile_parse(d, size - 1, w, SDB_DATA_TILE_ANY_TEXT, any, NULL) == SDB_OK;
	if (any_ok) {
		for (i = 0, o = 0; i < w; i++) {
			if (any[i].p != d + o || any[i].len == 0 || o + any[i].len + 1 > size - 1 ||
			    d[o + any[i].len] != '\n')
				__builtin_trap();
			o += any[i].len + 1;
		}
		if (o != size - 1)
			__builtin_trap();
	}
	if (sdb_data_tile_parse(d, size - 1, w, flags, recs, NULL) != SDB_OK)
		return 0;
	/* what the lax or strict parse takes, the audit's frames the same */
	if (!any_ok)
		__builtin_trap();
	for (i = 0; i < w; i++)
		if (recs[i].p != any[i].p || recs[i].len != any[i].len)
			__builtin_trap();
	if (sdb_data_tile_format(recs, w, &out, &n, NULL) != SDB_OK ||
	    n != size - 1 || memcmp(out, data + 1, n) != 0)
		__builtin_trap();
	free(out);
	return 0;
}
