/* Fuzz target: data tiles in the sum.golang.org form.  The first byte
 * picks the width; a parsed tile re-formats to the same bytes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/record.h"
#include "fuzz.h"

SDB_FUZZ_TARGET(data_tile)
{
	struct sdb_span recs[256];
	char *out;
	size_t w, n;
	unsigned flags;

	if (size < 1)
		return 0;
	w = (size_t)(data[0] & 0x7f) + 1;
	flags = data[0] & 0x80 ? SDB_DATA_TILE_STRICT : 0;
	if (sdb_data_tile_parse((const char *)data + 1, size - 1, w, flags, recs,
	    NULL) != SDB_OK)
		return 0;
	if (sdb_data_tile_format(recs, w, &out, &n, NULL) != SDB_OK ||
	    n != size - 1 || memcmp(out, data + 1, n) != 0)
		__builtin_trap();
	free(out);
	return 0;
}
