/*
 * Merkle tree math of a transparency log (RFC 6962 hashing, as x/mod's
 * sumdb/tlog): record and node hashes, the "stored hash" numbering that
 * interleaves tree levels, tree hashes, inclusion (record) proofs and
 * consistency (tree) proofs, and a frontier for appending many records
 * without re-reading the tree.  PROTOCOL.md "Record, tree, note".
 *
 * Everything here is pure computation.  Hashes that live elsewhere (a
 * database, authenticated tiles) are read through a struct sdb_hash_reader.
 * Tree sizes and record numbers are int64_t in 0 .. 2^63-1; whatever reads
 * stored hashes takes trees below 2^62 records (2^62 and more would number
 * hashes past INT64_MAX), the checkers any size.
 */
#ifndef CSUMDB_TLOG_H
#define CSUMDB_TLOG_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"
#include "csumdb/hash.h"

/* A tree of fewer than 2^63 records has at most 63 levels above the
 * records; with the record level that is 64 levels of stored hashes. */
#define SDB_TLOG_MAX_LEVELS 64

/* Most hashes StoredHashes can return for one record (the record hash and
 * one per completed level above it). */
#define SDB_TLOG_MAX_STORED SDB_TLOG_MAX_LEVELS

/* Longest proof (record or tree) for trees below 2^63: one hash per split
 * (at most 63) plus, for tree proofs, the old subtree's own hash.  Proofs
 * longer than this are refused before any hashing. */
#define SDB_TLOG_MAX_PROOF 64

/*
 * Where the tree's stored hashes come from.  read() must fill out[i] with
 * the stored hash at indexes[i] for every i < n and return SDB_OK, or
 * return a negative enum sdb_err, which the caller passes through
 * unchanged.  The indexes array belongs to the caller and is valid only
 * during the call.  n may be 0.
 */
struct sdb_hash_reader {
	int (*read)(void *ctx, const int64_t *indexes, size_t n, sdb_hash *out);
	void *ctx;
};

/* out = SHA-256(0x00 || data[0..len)): the hash of one record's text. */
void sdb_tlog_record_hash(sdb_hash *out, const void *data, size_t len);

/* out = SHA-256(0x01 || left || right).  out may alias left or right. */
void sdb_tlog_node_hash(sdb_hash *out, const sdb_hash *left, const sdb_hash *right);

/* The record hashes of two records computed together, which is faster
 * than two sdb_tlog_record_hash calls on CPUs with SHA extensions. */
void sdb_tlog_record_hash2(sdb_hash *oa, const void *a, size_t la, sdb_hash *ob,
    const void *b, size_t lb);

/* One level up a tree: out[i] = sdb_tlog_node_hash(&in[2i], &in[2i+1])
 * for i < n, two nodes at a time.  out may be in (folding in place). */
void sdb_tlog_node_hashes(sdb_hash *out, const sdb_hash *in, size_t n);

/*
 * Stored hash index of the n'th hash at the given level (level 0 holds the
 * record hashes).  Requires 0 <= level < 64 and a result below 2^63
 * (n << level below 2^62 is always enough); returns -1 otherwise.
 */
int64_t sdb_tlog_stored_hash_index(int level, int64_t n);

/*
 * Inverse of sdb_tlog_stored_hash_index: *level and *n for index >= 0.
 * Returns SDB_OK, or SDB_ERR_RANGE for a negative index or one that
 * sdb_tlog_stored_hash_index never returns (outputs untouched).
 */
int sdb_tlog_split_stored_hash_index(int64_t index, int *level, int64_t *n) SDB_WARN_UNUSED;

/* Number of stored hashes of a tree of n >= 0 records (n < 2^62); -1 when
 * n is out of range. */
int64_t sdb_tlog_stored_hash_count(int64_t n);

/*
 * The stored hashes to append when record n (the record hash h, or the
 * record text data[0..len)) joins a tree of n records: out[0] = h, then the
 * newly completed subtree hashes, lowest level first.  Their indexes are
 * sdb_tlog_stored_hash_index(0, n) + i.  out must hold SDB_TLOG_MAX_STORED
 * hashes; *nout receives the count.  Earlier hashes come from r.
 * Returns SDB_OK, SDB_ERR_RANGE (n < 0 or n >= 2^62), or r's error.
 */
int sdb_tlog_stored_hashes_for_record_hash(int64_t n, const sdb_hash *h,
    const struct sdb_hash_reader *r, sdb_hash *out, size_t *nout) SDB_WARN_UNUSED;
int sdb_tlog_stored_hashes(int64_t n, const void *data, size_t len,
    const struct sdb_hash_reader *r, sdb_hash *out, size_t *nout) SDB_WARN_UNUSED;

/*
 * Hash of the tree of the first n records (n = 0 gives 32 zero bytes).
 * Returns SDB_OK, SDB_ERR_RANGE (n < 0 or n >= 2^62, where stored hash
 * indexes no longer fit in int64), or r's error.
 */
int sdb_tlog_tree_hash(int64_t n, const struct sdb_hash_reader *r, sdb_hash *out) SDB_WARN_UNUSED;

/*
 * Inclusion proof that record n is in the tree of t records.  proof must
 * hold SDB_TLOG_MAX_PROOF hashes; *nproof receives the count (0 for t = 1).
 * Returns SDB_OK, SDB_ERR_RANGE (unless 0 <= n < t < 2^62), or r's error.
 */
int sdb_tlog_prove_record(int64_t t, int64_t n, const struct sdb_hash_reader *r,
    sdb_hash *proof, size_t *nproof) SDB_WARN_UNUSED;

/*
 * Checks that proof[0..nproof) proves record hash h at index n in the tree
 * of t records with hash th.  The proof length is checked against (t, n)
 * before any hashing.  Returns SDB_OK, SDB_ERR_RANGE (unless 0 <= n < t, or
 * proof NULL with nproof > 0), SDB_ERR_PROOF_LENGTH, or
 * SDB_ERR_ROOT_MISMATCH (the hashes do not lead to th).
 */
int sdb_tlog_check_record(const sdb_hash *proof, size_t nproof, int64_t t,
    const sdb_hash *th, int64_t n, const sdb_hash *h) SDB_WARN_UNUSED;

/*
 * Consistency proof that the tree of n records is a prefix of the tree of t
 * records.  proof must hold SDB_TLOG_MAX_PROOF hashes.  Returns SDB_OK,
 * SDB_ERR_RANGE (unless 1 <= n <= t < 2^62), or r's error.
 */
int sdb_tlog_prove_tree(int64_t t, int64_t n, const struct sdb_hash_reader *r,
    sdb_hash *proof, size_t *nproof) SDB_WARN_UNUSED;

/*
 * Checks that proof[0..nproof) proves the tree (n, h) is a prefix of the
 * tree (t, th).  Returns SDB_OK, SDB_ERR_RANGE (unless 1 <= n <= t),
 * SDB_ERR_PROOF_LENGTH, or SDB_ERR_ROOT_MISMATCH (either root is not met).
 */
int sdb_tlog_check_tree(const sdb_hash *proof, size_t nproof, int64_t t,
    const sdb_hash *th, int64_t n, const sdb_hash *h) SDB_WARN_UNUSED;

/*
 * The right edge of a tree of n records: for every bit L set in n, the hash
 * of the complete subtree of 2^L records ending that part of the tree.  It
 * is all an appender needs: each append costs one record hash plus one node
 * hash per completed level, with no reads.  A plain value: copy it freely.
 */
struct sdb_tlog_frontier {
	int64_t n;
	sdb_hash h[SDB_TLOG_MAX_LEVELS];
};

/* Sets f to the empty tree. */
void sdb_tlog_frontier_init(struct sdb_tlog_frontier *f);

/*
 * Sets f to the tree of n records, reading its right-edge hashes (at most
 * 63, in one batch) from r.  Returns SDB_OK, SDB_ERR_RANGE (n < 0 or
 * n >= 2^62), or r's error (f is then unchanged).
 */
int sdb_tlog_frontier_load(struct sdb_tlog_frontier *f, int64_t n,
    const struct sdb_hash_reader *r) SDB_WARN_UNUSED;

/*
 * Appends the record with hash leaf: writes the new stored hashes, exactly
 * as sdb_tlog_stored_hashes_for_record_hash(f->n, leaf, ...) would, into
 * out (room for SDB_TLOG_MAX_STORED; out may be NULL when not wanted) and
 * their count into *nout (may be NULL), then advances f->n.
 * Returns SDB_OK or SDB_ERR_RANGE (the tree is full at 2^62 records).
 */
int sdb_tlog_frontier_append(struct sdb_tlog_frontier *f, const sdb_hash *leaf,
    sdb_hash *out, size_t *nout) SDB_WARN_UNUSED;

/*
 * Appends 2^level records at once, given only the hash of the complete
 * subtree they form (a full tile's root, say): the same tree as appending
 * them one by one, with none of their inner hashes recomputed.  Requires
 * 0 <= level < 62 and f->n a multiple of 2^level.  Returns SDB_OK or
 * SDB_ERR_RANGE (f unchanged).
 */
int sdb_tlog_frontier_append_subtree(struct sdb_tlog_frontier *f, int level,
    const sdb_hash *hash) SDB_WARN_UNUSED;

/* The root hash of f's tree (32 zero bytes for the empty tree). */
void sdb_tlog_frontier_root(const struct sdb_tlog_frontier *f, sdb_hash *out);

#endif
