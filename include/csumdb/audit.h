/*
 * The verifier's core (PROTOCOL.md "Auditing"; DESIGN.md "Audit path"):
 * whether a newly seen signed tree is consistent with the tree accepted
 * before, computed only from tiles authenticated against the larger of the
 * two signed trees (tile.h sdb_tile_read_hashes), with the evidence of a
 * fork when it is not; and the per-tile checks of a full audit.  Pure: the
 * tiles come through a struct sdb_tile_source, so a test can serve them
 * from memory and a program from HTTP or a cache.
 */
#ifndef CSUMDB_AUDIT_H
#define CSUMDB_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"
#include "csumdb/hash.h"
#include "csumdb/record.h"
#include "csumdb/tile.h"
#include "csumdb/tlog.h"

/* What sdb_audit_consistency found. */
struct sdb_audit_result {
	int stale;            /* latest is smaller than accepted (checked as a prefix) */
	/* Filled whenever the tiles were read (sizes differ): */
	sdb_hash computed;    /* hash of the smaller tree computed from the
	                       * authenticated tiles of the larger */
	sdb_hash proof[SDB_TLOG_MAX_PROOF];  /* consistency proof smaller -> larger,
	                                      * from those same tiles */
	size_t nproof;
};

/*
 * Checks that accepted and latest (two signed trees of one log, already
 * verified by the caller) are consistent: equal sizes need equal hashes;
 * otherwise the hash of the smaller tree is computed from tiles of height
 * h read through src and authenticated against the larger tree, and must
 * equal the smaller tree's signed hash.  When latest is smaller than
 * accepted (a stale frontend), res->stale is set and src must serve tiles
 * of the accepted tree (a cache of them).  res may not be NULL.
 *
 * Returns SDB_OK (consistent); SDB_ERR_FORK (the two trees cannot both be
 * honest: res holds the computed hash and the proof, eb says why);
 * SDB_ERR_TILE_MISMATCH or SDB_ERR_INVALID (the tiles served do not match
 * the larger signed tree: nothing is proved either way); SDB_ERR_RANGE (a
 * size out of range); or src's error (e.g. SDB_ERR_IO).
 */
int sdb_audit_consistency(const struct sdb_tree *accepted, const struct sdb_tree *latest,
    int h, const struct sdb_tile_source *src, struct sdb_audit_result *res,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Checks a consistency proof as sdb_audit_consistency's evidence gives it:
 * returns SDB_OK when proof[0..n) proves small a prefix of big, otherwise
 * SDB_ERR_PROOF_LENGTH or SDB_ERR_ROOT_MISMATCH (as sdb_tlog_check_tree;
 * equal sizes compare the hashes).
 */
int sdb_audit_check_proof(const struct sdb_tree *small, const struct sdb_tree *big,
    const sdb_hash *proof, size_t n) SDB_WARN_UNUSED;

/*
 * Full audit of one data tile: splits data[0..len) as a data tile of width
 * w (record.h sdb_data_tile_parse, sum.golang.org form), checks each record
 * is a valid go.sum record (sdb_record_parse), and writes each record's
 * hash into leaves[0..w) and their subtree hash (the level-0 tile root,
 * only meaningful when w is a power of two) into *root.  recs (room for w)
 * receives the record spans.  Framing errors are returned before record
 * errors: a tile that does not split is SDB_ERR_INVALID (eb names the form,
 * e.g. x/mod 0.7.0's id lines); a record that splits but is not a go.sum
 * record sets *bad_record to its position (else -1) and still hashes it,
 * so the tree can be checked.  parsed (room for w, or NULL) receives each
 * record's fields (sdb_record_parse), with path.p NULL for a record that
 * is not valid.  Returns SDB_OK, SDB_ERR_INVALID, SDB_ERR_RANGE,
 * SDB_ERR_TOO_LARGE.
 */
int sdb_audit_data_tile(const char *data, size_t len, size_t w, struct sdb_span *recs,
    struct sdb_record *parsed, sdb_hash *leaves, sdb_hash *root, long *bad_record,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

#endif
