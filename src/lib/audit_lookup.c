/*
 * Accepting a record from another checksum database
 * (include/csumdb/audit_lookup.h): inclusion from one authenticated tile
 * path (also the verifier's check of a lookup, remote.c), consistency
 * through sdb_audit_consistency.  No I/O.
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

int
sdb_audit_lookup(const struct sdb_tree *accepted, const struct sdb_tree *tree, int64_t id,
    const char *text, size_t tlen, int h, const struct sdb_tile_source *src,
    struct sdb_audit_result *res, int *advance, struct sdb_errbuf *eb)
{
	int err;

	memset(res, 0, sizeof *res);
	*advance = 0;
	if ((err = sdb_audit_inclusion(tree, id, text, tlen, h, src, eb)) != SDB_OK)
		return err;
	if (accepted == NULL) {
		*advance = 1;
		return SDB_OK;
	}
	if ((err = sdb_audit_consistency(accepted, tree, h, src, res, eb)) != SDB_OK)
		return err;
	*advance = tree->n > accepted->n;
	return SDB_OK;
}
