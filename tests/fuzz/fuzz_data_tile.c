/* Fuzz target: data tiles in the sum.golang.org form.  The first byte's
 * bit 0 asks for the strict parse, the second byte is the width less one
 * (1..256, every partial width and the full one).  With bit 1 of the
 * first byte clear, the rest is the tile: a parsed tile re-formats to the
 * same bytes, an audit's framing (SDB_DATA_TILE_ANY_TEXT) splits every
 * tile the others take the same way, and each record the lax or strict
 * parse takes is record text by sdb_record_text_ok_slow.  With bit 1
 * set, the rest is record texts apart from each other by NUL bytes,
 * repeated to the width: the tile is built from them here, without the
 * library, and must split back into exactly them, as the audit's framing
 * does for any texts that can be told apart, and as the lax parse does
 * when they are all record text. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/record.h"
#include "fuzz.h"
#include "limits.h"
#include "module_int.h"

/* Whether s[0..n) can be one record of a tile: not empty, its own final
 * '\n' and no blank line before it, not an x/mod 0.7.0 id line. */
static int
frameable(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || n > SDB_MAX_RECORD_SIZE || s[0] == '\n' || s[n - 1] != '\n')
		return 0;
	if (memmem(s, n, "\n\n", 2) != NULL)
		return 0;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return !(i > 0 && s[i] == '\n');
}

static void
from_records(const char *d, size_t n, size_t w)
{
	struct sdb_span piece[256], want[256], got[256];
	size_t np = 0, start = 0, i, len = 0;
	int all_frameable = 1, all_text = 1, rc;
	char *tile;

	for (i = 0; i <= n && np < 256; i++) {
		if (i == n || d[i] == '\0') {
			piece[np].p = d + start;
			piece[np++].len = i - start;
			start = i + 1;
		}
	}
	for (i = 0; i < np; i++) {
		all_frameable &= frameable(piece[i].p, piece[i].len);
		all_text &= piece[i].len > 0 && sdb_record_text_ok_slow(piece[i].p, piece[i].len);
	}
	for (i = 0; i < w; i++)
		len += piece[i % np].len + 1;
	if ((tile = malloc(len ? len : 1)) == NULL)
		return;
	for (i = 0, len = 0; i < w; i++) {
		memcpy(tile + len, piece[i % np].p, piece[i % np].len);
		want[i].p = tile + len;
		want[i].len = piece[i % np].len;
		len += piece[i % np].len;
		tile[len++] = '\n';
	}
	rc = sdb_data_tile_parse(tile, len, w, SDB_DATA_TILE_ANY_TEXT, got, NULL);
	if (all_frameable) {
		if (rc != SDB_OK)
			__builtin_trap();
		for (i = 0; i < w; i++)
			if (got[i].p != want[i].p || got[i].len != want[i].len)
				__builtin_trap();
	}
	rc = sdb_data_tile_parse(tile, len, w, 0, got, NULL);
	if (all_frameable && all_text) {
		if (rc != SDB_OK)
			__builtin_trap();
		for (i = 0; i < w; i++)
			if (got[i].p != want[i].p || got[i].len != want[i].len)
				__builtin_trap();
	}
	free(tile);
}

SDB_FUZZ_TARGET(data_tile)
{
	struct sdb_span recs[256], any[256];
	const char *d = (const char *)data + 2;
	char *out;
	size_t w, n, i, o;
	unsigned flags;
	int any_ok;

	if (size < 2)
		return 0;
	w = (size_t)data[1] + 1;
	flags = data[0] & 1 ? SDB_DATA_TILE_STRICT : 0;
	n = size - 2;
	if (data[0] & 2) {
		from_records(d, n, w);
		return 0;
	}
	/* an audit's framing (any bytes between blank lines): the records
	 * with their blank lines are the tile, byte for byte */
	any_ok = sdb_data_tile_parse(d, n, w, SDB_DATA_TILE_ANY_TEXT, any, NULL) == SDB_OK;
	if (any_ok) {
		for (i = 0, o = 0; i < w; i++) {
			if (any[i].p != d + o || any[i].len == 0 || o + any[i].len + 1 > n ||
			    d[o + any[i].len] != '\n')
				__builtin_trap();
			o += any[i].len + 1;
		}
		if (o != n)
			__builtin_trap();
	}
	if (sdb_data_tile_parse(d, n, w, flags, recs, NULL) != SDB_OK)
		return 0;
	/* what the lax or strict parse takes, the audit's frames the same,
	 * and it is record text */
	if (!any_ok)
		__builtin_trap();
	for (i = 0; i < w; i++)
		if (recs[i].p != any[i].p || recs[i].len != any[i].len ||
		    !sdb_record_text_ok_slow(recs[i].p, recs[i].len))
			__builtin_trap();
	if (sdb_data_tile_format(recs, w, &out, &n, NULL) != SDB_OK ||
	    n != size - 2 || memcmp(out, data + 2, n) != 0)
		__builtin_trap();
	free(out);
	return 0;
}
