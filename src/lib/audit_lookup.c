/*
 * Accepting a record from another checksum database
 * (include/csumdb/audit_lookup.h): inclusion from one authenticated tile
 * path, the check of a lookup's record by both programs (remote.c) after
 * its tree's consistency (sdb_audit_consistency).  No I/O.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "csumdb/audit_lookup.h"

int
sdb_audit_inclusion(const struct sdb_tree *tree, int64_t id, const char *text, size_t tlen, int h,
    const struct sdb_tile_source *src, struct sdb_errbuf *eb)
{
	sdb_hash leaf, got;
	int64_t idx;
	int err;

	if (tree->n < 0 || (tree->n >> 62) != 0)
		return sdb_errf(eb, SDB_ERR_RANGE, "tree size out of range");
	if (id < 0 || id >= tree->n)
		return sdb_errf(eb, SDB_ERR_RECORD_MISMATCH,
		    "record %" PRId64 " is not in the signed tree of %" PRId64 " records", id, tree->n);
	idx = sdb_tlog_stored_hash_index(0, id);
	if ((err = sdb_tile_read_hashes(tree, h, src, &idx, 1, &got, eb)) != SDB_OK)
		return err;
	sdb_tlog_record_hash(&leaf, text, tlen);
	if (memcmp(leaf.b, got.b, SDB_HASH_SIZE) != 0)
		return sdb_errf(eb, SDB_ERR_RECORD_MISMATCH,
		    "the record is not record %" PRId64 " of the signed tree of %" PRId64 " records",
		    id, tree->n);
	return SDB_OK;
}
