/*
 * The verifier's core (include/csumdb/audit.h; PROTOCOL.md "Auditing"):
 * consistency of two signed trees from authenticated tiles, with the
 * evidence of a fork, and the checks of one data tile in a full audit.
 * No I/O: tiles arrive through a struct sdb_tile_source.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "csumdb/audit.h"
#include "csumdb/record.h"
#include "limits.h"

int
sdb_audit_consistency(const struct sdb_tree *accepted, const struct sdb_tree *latest,
    int h, const struct sdb_tile_source *src, struct sdb_audit_result *res,
    struct sdb_errbuf *eb)
{
	const struct sdb_tree *small, *big;
	struct sdb_tile_hash_reader thr;
	struct sdb_hash_reader r;
	int err;

	memset(res, 0, sizeof *res);
	if (accepted->n < 0 || latest->n < 0 || (accepted->n >> 62) != 0 || (latest->n >> 62) != 0)
		return sdb_errf(eb, SDB_ERR_RANGE, "tree size out of range");
	if (accepted->n == latest->n) {
		if (memcmp(accepted->hash.b, latest->hash.b, SDB_HASH_SIZE) != 0)
			return sdb_errf(eb, SDB_ERR_FORK,
			    "two different trees of %" PRId64 " records signed by the same key", latest->n);
		return SDB_OK;
	}
	res->stale = latest->n < accepted->n;
	small = res->stale ? latest : accepted;
	big = res->stale ? accepted : latest;

	/* Everything below comes from tiles authenticated against big. */
	sdb_tile_hash_reader_init(&thr, big, h, src, eb, &r);
	if ((err = sdb_tlog_tree_hash(small->n, &r, &res->computed)) != SDB_OK)
		return err;
	if (small->n > 0 &&
	    (err = sdb_tlog_prove_tree(big->n, small->n, &r, res->proof, &res->nproof)) != SDB_OK)
		return err;
	if (memcmp(res->computed.b, small->hash.b, SDB_HASH_SIZE) != 0)
		return sdb_errf(eb, SDB_ERR_FORK,
		    "the tree of %" PRId64 " records is not a prefix of the tree of %" PRId64
		    " records signed by the same key", small->n, big->n);
	/* The proof was computed from the same hashes; checking it keeps the
	 * evidence and the verdict from ever disagreeing. */
	if (small->n > 0 && sdb_tlog_check_tree(res->proof, res->nproof, big->n, &big->hash,
	    small->n, &small->hash) != SDB_OK)
		return sdb_errf(eb, SDB_ERR_INTERNAL, "consistency proof does not check");
	return SDB_OK;
}

int
sdb_audit_check_proof(const struct sdb_tree *small, const struct sdb_tree *big,
    const sdb_hash *proof, size_t n)
{
	if (small->n == big->n)
		return memcmp(small->hash.b, big->hash.b, SDB_HASH_SIZE) == 0 && n == 0 ?
		    SDB_OK : SDB_ERR_ROOT_MISMATCH;
	if (small->n == 0) {
		static const sdb_hash zero = { { 0 } };
		return memcmp(small->hash.b, zero.b, SDB_HASH_SIZE) == 0 && n == 0 ?
		    SDB_OK : SDB_ERR_ROOT_MISMATCH;
	}
	return sdb_tlog_check_tree(proof, n, big->n, &big->hash, small->n, &small->hash);
}

int
sdb_audit_data_tile(const char *data, size_t len, size_t w, struct sdb_span *recs,
    struct sdb_record *parsed, sdb_hash *leaves, sdb_hash *root, long *bad_record,
    struct sdb_errbuf *eb)
{
	struct sdb_errbuf reb;
	size_t i, width;
	int err;

	*bad_record = -1;
	/* Any record text: one that is not (a control byte, invalid UTF-8)
	 * is hashed like the rest and, when the tree holds it, reported as
	 * an invalid record below. */
	if ((err = sdb_data_tile_parse(data, len, w, SDB_DATA_TILE_ANY_TEXT, recs, eb)) != SDB_OK)
		return err;
	for (i = 0; i + 1 < w; i += 2)
		sdb_tlog_record_hash2(&leaves[i], recs[i].p, recs[i].len, &leaves[i + 1],
		    recs[i + 1].p, recs[i + 1].len);
	if (i < w)
		sdb_tlog_record_hash(&leaves[i], recs[i].p, recs[i].len);
	for (i = 0; i < w; i++) {
		/* every record is parsed once, here, even after a bad one:
		 * the caller takes each record's fields from parsed */
		if (sdb_record_parse(recs[i].p, recs[i].len, parsed != NULL ? &parsed[i] : NULL,
		    &reb) != SDB_OK) {
			if (parsed != NULL)
				parsed[i].path.p = NULL;
			if (*bad_record < 0) {
				*bad_record = (long)i;
				sdb_errf(eb, SDB_ERR_INVALID, "record %zu of the tile: %s", i, reb.msg);
			}
		}
	}
	/* Fold the leaves pairwise, in place in a scratch copy of one level
	 * at a time (w is at most SDB_MAX_DATA_TILE_WIDTH). */
	{
		sdb_hash lvl[SDB_MAX_DATA_TILE_WIDTH];

		memcpy(lvl, leaves, w * sizeof *lvl);
		for (width = w; width > 1; width = (width + 1) / 2) {
			sdb_tlog_node_hashes(lvl, lvl, width / 2);
			if (width % 2)
				lvl[width / 2] = lvl[width - 1];
		}
		*root = lvl[0];
	}
	return SDB_OK;
}
