/* Fuzz target: the data tiles `sumdb audit --full` reads from a log
 * (sdb_audit_data_tile, src/lib/audit.c).  The first byte picks the
 * width, 1 to 256 (a full tile is the common case), the rest is the
 * tile.  The audit takes exactly the tiles its framing splits
 * (SDB_DATA_TILE_ANY_TEXT), into the same records; each leaf is its
 * record's hash and the root is the tree hash of the leaves (RFC 6962,
 * as a frontier computes it); a record is parsed exactly when it is a
 * go.sum record, and the first one that is not is the bad record.  The
 * lax and strict parses take only what the audit takes, split the same
 * way, and their tiles format back to the same bytes (as the data_tile
 * target checks too, with tiles it builds from records). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/audit.h"
#include "csumdb/record.h"
#include "csumdb/tlog.h"
#include "fuzz.h"

SDB_FUZZ_TARGET(audit_data_tile)
{
	static struct sdb_span recs[256], any[256];
	static struct sdb_record parsed[256], one;
	static sdb_hash leaves[256];
	struct sdb_tlog_frontier f;
	const char *d = (const char *)data + 1;
	sdb_hash root, h;
	size_t w, i;
	long bad, first_bad = -1;
	int rc, any_ok, k;

	if (size < 1)
		return 0;
	w = (size_t)data[0] + 1;
	any_ok = sdb_data_tile_parse(d, size - 1, w, SDB_DATA_TILE_ANY_TEXT, any, NULL) == SDB_OK;
	rc = sdb_audit_data_tile(d, size - 1, w, recs, parsed, leaves, &root, &bad, NULL);
	if ((rc == SDB_OK) != any_ok)
		__builtin_trap();
	if (rc != SDB_OK)
		return 0;
	sdb_tlog_frontier_init(&f);
	for (i = 0; i < w; i++) {
		if (recs[i].p != any[i].p || recs[i].len != any[i].len)
			__builtin_trap();
		sdb_tlog_record_hash(&h, recs[i].p, recs[i].len);
		if (memcmp(h.b, leaves[i].b, SDB_HASH_SIZE) != 0 ||
		    sdb_tlog_frontier_append(&f, &h, NULL, NULL) != SDB_OK)
			__builtin_trap();
		if (sdb_record_parse(recs[i].p, recs[i].len, &one, NULL) == SDB_OK) {
			if (parsed[i].path.p != one.path.p || parsed[i].path.len != one.path.len ||
			    parsed[i].version.p != one.version.p ||
			    parsed[i].version.len != one.version.len ||
			    memcmp(parsed[i].h1.b, one.h1.b, SDB_HASH_SIZE) != 0 ||
			    memcmp(parsed[i].gomod_h1.b, one.gomod_h1.b, SDB_HASH_SIZE) != 0)
				__builtin_trap();
		} else {
			if (parsed[i].path.p != NULL)
				__builtin_trap();
			if (first_bad < 0)
				first_bad = (long)i;
		}
	}
	sdb_tlog_frontier_root(&f, &h);
	if (bad != first_bad || memcmp(h.b, root.b, SDB_HASH_SIZE) != 0)
		__builtin_trap();
	for (k = 0; k < 2; k++) {
		char *out;
		size_t n;

		if (sdb_data_tile_parse(d, size - 1, w, k ? SDB_DATA_TILE_STRICT : 0, any,
		    NULL) != SDB_OK)
			continue;
		for (i = 0; i < w; i++)
			if (any[i].p != recs[i].p || any[i].len != recs[i].len)
				__builtin_trap();
		if (k == 1 && first_bad >= 0)
			__builtin_trap();   /* strict takes go.sum records only */
		if (sdb_data_tile_format(any, w, &out, &n, NULL) != SDB_OK || n != size - 1 ||
		    memcmp(out, d, n) != 0)
			__builtin_trap();
		free(out);
	}
	return 0;
}
