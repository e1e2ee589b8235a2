/*
 * Merkle tree math of the log (include/csumdb/tlog.h): RFC 6962 hashing,
 * x/mod's stored-hash numbering, tree hashes, record and tree proofs, and
 * the append frontier.  PROTOCOL.md "Record, tree, note" fixes the hashes
 * and the split rule (largest power of two strictly below the size).
 *
 * The provers first turn (t, n) into the list of subtree ranges whose
 * hashes form the proof, read every stored hash they need in one batch,
 * then fold.  The checkers derive the expected proof length from (t, n)
 * before hashing anything, so an over-long or short proof costs nothing.
 */
#include "config.h"

#include <string.h>

#include "crypto.h"
#include "csumdb/tlog.h"

/* Largest stored hash level a tree below 2^63 records can complete. */
#define MAX_LEVEL 62

/* Most stored hash indexes any one prover reads: each proof hash is one
 * subtree, except the single range on the path where the tree stops being
 * complete, which splits into at most 63 subtrees. */
#define MAX_PROOF_INDEXES (2 * SDB_TLOG_MAX_PROOF + 2)

void
sdb_tlog_record_hash(sdb_hash *out, const void *data, size_t len)
{
	struct sdb_sha256_ctx c;
	static const uint8_t zero = 0x00;

	sdb_sha256_init(&c);
	sdb_sha256_update(&c, &zero, 1);
	sdb_sha256_update(&c, data, len);
	sdb_sha256_final(&c, out->b);
}

void
sdb_tlog_node_hash(sdb_hash *out, const sdb_hash *left, const sdb_hash *right)
{
	uint8_t buf[1 + 2 * SDB_HASH_SIZE];

	buf[0] = 0x01;
	memcpy(buf + 1, left->b, SDB_HASH_SIZE);
	memcpy(buf + 1 + SDB_HASH_SIZE, right->b, SDB_HASH_SIZE);
	sdb_sha256(out->b, buf, sizeof buf);
}

_Static_assert(sizeof(sdb_hash) == SDB_HASH_SIZE, "a pair of hashes is 64 contiguous bytes");

void
sdb_tlog_record_hash2(sdb_hash *oa, const void *a, size_t la, sdb_hash *ob, const void *b,
    size_t lb)
{
	sdb_sha256_x2(oa->b, ob->b, 0x00, a, la, b, lb);
}

void
sdb_tlog_node_hashes(sdb_hash *out, const sdb_hash *in, size_t n)
{
	size_t i;

	/* pair i reads in[2i..2i+3] before writing out[i..i+1], which lie
	 * at or before them: in place is safe */
	for (i = 0; i + 1 < n; i += 2)
		sdb_sha256_x2(out[i].b, out[i + 1].b, 0x01, &in[2 * i], 2 * SDB_HASH_SIZE,
		    &in[2 * i + 2], 2 * SDB_HASH_SIZE);
	if (i < n)
		sdb_tlog_node_hash(&out[i], &in[2 * i], &in[2 * i + 1]);
}

/* Stored hash index without range checks; m = n << level must be below
 * 2^63.  The index of the leaf of record m is the number of hashes stored
 * before it, sum over L of floor(m / 2^L) = 2m - popcount(m); a hash at a
 * higher level follows the leaf of the last record under it. */
static int64_t
index_of(int level, int64_t n)
{
	uint64_t m = ((uint64_t)n << level) | (((uint64_t)1 << level) - 1);

	return (int64_t)(2 * m - (uint64_t)__builtin_popcountll(m) + (uint64_t)level);
}

int64_t
sdb_tlog_stored_hash_index(int level, int64_t n)
{
	if (level < 0 || level > MAX_LEVEL || n < 0 || (n >> (MAX_LEVEL - level)) != 0)
		return -1;
	return index_of(level, n);
}

int
sdb_tlog_split_stored_hash_index(int64_t index, int *level, int64_t *n)
{
	int64_t rec, at;

	if (index < 0)
		return SDB_ERR_RANGE;
	/* index >= 2*rec - 63 for the record rec whose leaf starts the run
	 * of hashes holding index, so rec is at most 32 steps above index/2. */
	rec = index / 2;
	at = index_of(0, rec);
	for (;;) {
		uint64_t next = (uint64_t)at + 1 + (uint64_t)__builtin_ctzll((uint64_t)rec + 1);

		if (next > (uint64_t)index)
			break;
		rec++;
		at = (int64_t)next;
	}
	/* Indexes past the last hash of a tree below 2^62 records have no
	 * (level, n) that sdb_tlog_stored_hash_index accepts. */
	if (index - at > MAX_LEVEL || ((rec >> (index - at)) >> (MAX_LEVEL - (index - at))) != 0)
		return SDB_ERR_RANGE;
	*level = (int)(index - at);
	*n = rec >> *level;
	return SDB_OK;
}

int64_t
sdb_tlog_stored_hash_count(int64_t n)
{
	if (n < 0 || (n >> MAX_LEVEL) != 0)
		return -1;
	return index_of(0, n);
}

/* log2 of the largest power of two <= m, m >= 1. */
static int
floor_log2(int64_t m)
{
	return 63 - __builtin_clzll((uint64_t)m);
}

/* log2 of the largest power of two strictly below m, m >= 2: the split. */
static int
split_log2(int64_t m)
{
	return floor_log2(m - 1);
}

static int
read_hashes(const struct sdb_hash_reader *r, const int64_t *idx, size_t n, sdb_hash *out)
{
	if (n == 0)
		return SDB_OK;
	return r->read(r->ctx, idx, n, out);
}

/* Appends the stored indexes of the complete subtrees that make up records
 * [lo, hi), largest (leftmost) first, to idx[*k..].  Returns SDB_OK or
 * SDB_ERR_INTERNAL if cap would be exceeded. */
static int
subtree_indexes(int64_t lo, int64_t hi, int64_t *idx, size_t *k, size_t cap)
{
	while (lo < hi) {
		int level = floor_log2(hi - lo);

		/* lo is aligned: ranges here always start at a multiple of
		 * the size of their first subtree (x/mod panics otherwise). */
		if ((lo & (((int64_t)1 << level) - 1)) != 0 || *k >= cap)
			return SDB_ERR_INTERNAL;
		idx[(*k)++] = index_of(level, lo >> level);
		lo += (int64_t)1 << level;
	}
	return SDB_OK;
}

/* Number of subtrees in [lo, hi) (hi > lo): the bits of hi - lo, because
 * every range used here starts aligned to its largest subtree. */
static size_t
subtree_count(int64_t lo, int64_t hi)
{
	return (size_t)__builtin_popcountll((uint64_t)(hi - lo));
}

/* Folds the subtree hashes h[0..cnt) of one range into its hash. */
static void
fold_subtrees(const sdb_hash *h, size_t cnt, sdb_hash *out)
{
	sdb_hash acc = h[cnt - 1];
	size_t i;

	for (i = cnt - 1; i > 0; i--)
		sdb_tlog_node_hash(&acc, &h[i - 1], &acc);
	*out = acc;
}

int
sdb_tlog_stored_hashes_for_record_hash(int64_t n, const sdb_hash *h,
    const struct sdb_hash_reader *r, sdb_hash *out, size_t *nout)
{
	int64_t idx[SDB_TLOG_MAX_LEVELS];
	sdb_hash old[SDB_TLOG_MAX_LEVELS];
	int m, i, err;

	if (n < 0 || (n >> MAX_LEVEL) != 0)
		return SDB_ERR_RANGE;
	/* Record n completes one subtree per trailing one bit of n. */
	m = __builtin_ctzll((uint64_t)n + 1);
	for (i = 0; i < m; i++)
		idx[m - 1 - i] = index_of(i, (n >> i) - 1);
	/* (m > 0 here too, not only in read_hashes: gcc -O1 cannot see that
	 * idx[0..m) is all that is read, and warns) */
	if (m > 0 && (err = read_hashes(r, idx, (size_t)m, old)) != SDB_OK)
		return err;
	out[0] = *h;
	for (i = 0; i < m; i++)
		sdb_tlog_node_hash(&out[i + 1], &old[m - 1 - i], &out[i]);
	*nout = (size_t)m + 1;
	return SDB_OK;
}

int
sdb_tlog_stored_hashes(int64_t n, const void *data, size_t len,
    const struct sdb_hash_reader *r, sdb_hash *out, size_t *nout)
{
	sdb_hash h;

	sdb_tlog_record_hash(&h, data, len);
	return sdb_tlog_stored_hashes_for_record_hash(n, &h, r, out, nout);
}

int
sdb_tlog_tree_hash(int64_t n, const struct sdb_hash_reader *r, sdb_hash *out)
{
	int64_t idx[SDB_TLOG_MAX_LEVELS];
	sdb_hash h[SDB_TLOG_MAX_LEVELS];
	size_t k = 0;
	int err;

	/* Past 2^62 records the stored-hash numbering overflows int64: the
	 * reader would be handed negative indexes. */
	if (n < 0 || (n >> MAX_LEVEL) != 0)
		return SDB_ERR_RANGE;
	if (n == 0) {
		memset(out, 0, sizeof *out);
		return SDB_OK;
	}
	if ((err = subtree_indexes(0, n, idx, &k, SDB_TLOG_MAX_LEVELS)) != SDB_OK)
		return err;
	if ((err = read_hashes(r, idx, k, h)) != SDB_OK)
		return err;
	fold_subtrees(h, k, out);
	return SDB_OK;
}

/* A proof is a list of subtree-range hashes, deepest split first. */
struct ranges {
	int64_t lo[SDB_TLOG_MAX_PROOF];
	int64_t hi[SDB_TLOG_MAX_PROOF];
	size_t n;
};

static void
ranges_push(struct ranges *rg, int64_t lo, int64_t hi)
{
	/* Depth is bounded by 63 splits plus one base range. */
	rg->lo[rg->n] = lo;
	rg->hi[rg->n] = hi;
	rg->n++;
}

/* Splits of the path to record n in [0, t), top first; the proof hash of
 * each split is the sibling range.  Ranges are pushed top first, then
 * reversed by the caller's order of use. */
static void
record_ranges(int64_t t, int64_t n, struct ranges *rg)
{
	int64_t lo = 0, hi = t;

	rg->n = 0;
	while (hi - lo > 1) {
		int64_t k = (int64_t)1 << split_log2(hi - lo);

		if (n < lo + k) {
			ranges_push(rg, lo + k, hi);
			hi = lo + k;
		} else {
			ranges_push(rg, lo, lo + k);
			lo = lo + k;
		}
	}
}

/* Ranges of the tree proof of n in [0, t), top first; the last entry may be
 * the base range [lo, n) when the old tree ends at a split that is not the
 * left edge. */
static void
tree_ranges(int64_t t, int64_t n, struct ranges *rg)
{
	int64_t lo = 0, hi = t;

	rg->n = 0;
	while (n != hi) {
		int64_t k = (int64_t)1 << split_log2(hi - lo);

		if (n <= lo + k) {
			ranges_push(rg, lo + k, hi);
			hi = lo + k;
		} else {
			ranges_push(rg, lo, lo + k);
			lo = lo + k;
		}
	}
	if (lo != 0)
		ranges_push(rg, lo, hi);
}

/* Reads and folds the hashes of rg's ranges into proof, deepest first. */
static int
prove_ranges(const struct ranges *rg, const struct sdb_hash_reader *r,
    sdb_hash *proof, size_t *nproof)
{
	int64_t idx[MAX_PROOF_INDEXES];
	sdb_hash h[MAX_PROOF_INDEXES];
	size_t k = 0, at = 0, i;
	int err;

	for (i = rg->n; i > 0; i--)
		if ((err = subtree_indexes(rg->lo[i - 1], rg->hi[i - 1], idx, &k,
		    MAX_PROOF_INDEXES)) != SDB_OK)
			return err;
	if ((err = read_hashes(r, idx, k, h)) != SDB_OK)
		return err;
	for (i = rg->n; i > 0; i--) {
		size_t cnt = subtree_count(rg->lo[i - 1], rg->hi[i - 1]);

		fold_subtrees(h + at, cnt, &proof[rg->n - i]);
		at += cnt;
	}
	*nproof = rg->n;
	return SDB_OK;
}

int
sdb_tlog_prove_record(int64_t t, int64_t n, const struct sdb_hash_reader *r,
    sdb_hash *proof, size_t *nproof)
{
	struct ranges rg;

	if (t < 0 || (t >> MAX_LEVEL) != 0 || n < 0 || n >= t)
		return SDB_ERR_RANGE;
	record_ranges(t, n, &rg);
	return prove_ranges(&rg, r, proof, nproof);
}

int
sdb_tlog_check_record(const sdb_hash *proof, size_t nproof, int64_t t,
    const sdb_hash *th, int64_t n, const sdb_hash *h)
{
	int64_t lo = 0, hi = t;
	uint64_t left = 0; /* bit d set: at split d (top = 0) n went left */
	size_t depth = 0, j;
	sdb_hash acc;

	if (t < 0 || n < 0 || n >= t || (proof == NULL && nproof > 0))
		return SDB_ERR_RANGE;
	if (nproof > SDB_TLOG_MAX_PROOF)
		return SDB_ERR_PROOF_LENGTH;
	while (hi - lo > 1) {
		int64_t k = (int64_t)1 << split_log2(hi - lo);

		if (n < lo + k) {
			left |= (uint64_t)1 << depth;
			hi = lo + k;
		} else {
			lo = lo + k;
		}
		depth++;
	}
	if (nproof != depth)
		return SDB_ERR_PROOF_LENGTH;
	acc = *h;
	for (j = 0; j < depth; j++) {
		size_t d = depth - 1 - j;

		if (left & ((uint64_t)1 << d))
			sdb_tlog_node_hash(&acc, &acc, &proof[j]);
		else
			sdb_tlog_node_hash(&acc, &proof[j], &acc);
	}
	return memcmp(acc.b, th->b, SDB_HASH_SIZE) == 0 ? SDB_OK : SDB_ERR_ROOT_MISMATCH;
}

int
sdb_tlog_prove_tree(int64_t t, int64_t n, const struct sdb_hash_reader *r,
    sdb_hash *proof, size_t *nproof)
{
	struct ranges rg;

	if (t < 1 || (t >> MAX_LEVEL) != 0 || n < 1 || n > t)
		return SDB_ERR_RANGE;
	tree_ranges(t, n, &rg);
	return prove_ranges(&rg, r, proof, nproof);
}

int
sdb_tlog_check_tree(const sdb_hash *proof, size_t nproof, int64_t t,
    const sdb_hash *th, int64_t n, const sdb_hash *h)
{
	int64_t lo = 0, hi = t;
	uint64_t left = 0;
	size_t depth = 0, base, j;
	sdb_hash oh, nh;

	if (t < 1 || n < 1 || n > t || (proof == NULL && nproof > 0))
		return SDB_ERR_RANGE;
	if (nproof > SDB_TLOG_MAX_PROOF)
		return SDB_ERR_PROOF_LENGTH;
	while (n != hi) {
		int64_t k = (int64_t)1 << split_log2(hi - lo);

		if (n <= lo + k) {
			left |= (uint64_t)1 << depth;
			hi = lo + k;
		} else {
			lo = lo + k;
		}
		depth++;
	}
	base = lo != 0;
	if (nproof != depth + base)
		return SDB_ERR_PROOF_LENGTH;
	/* The old tree ends exactly at [lo, hi): its hash is either the old
	 * root itself (lo == 0) or given as the first proof hash. */
	if (base)
		oh = nh = proof[0];
	else
		oh = nh = *h;
	for (j = 0; j < depth; j++) {
		size_t d = depth - 1 - j;
		const sdb_hash *p = &proof[base + j];

		if (left & ((uint64_t)1 << d)) {
			sdb_tlog_node_hash(&nh, &nh, p);
		} else {
			sdb_tlog_node_hash(&oh, p, &oh);
			sdb_tlog_node_hash(&nh, p, &nh);
		}
	}
	if (memcmp(nh.b, th->b, SDB_HASH_SIZE) != 0 || memcmp(oh.b, h->b, SDB_HASH_SIZE) != 0)
		return SDB_ERR_ROOT_MISMATCH;
	return SDB_OK;
}

void
sdb_tlog_frontier_init(struct sdb_tlog_frontier *f)
{
	memset(f, 0, sizeof *f);
}

int
sdb_tlog_frontier_load(struct sdb_tlog_frontier *f, int64_t n,
    const struct sdb_hash_reader *r)
{
	int64_t idx[SDB_TLOG_MAX_LEVELS];
	sdb_hash h[SDB_TLOG_MAX_LEVELS];
	int level[SDB_TLOG_MAX_LEVELS];
	size_t k = 0, i;
	int L, err;

	if (n < 0 || (n >> MAX_LEVEL) != 0)
		return SDB_ERR_RANGE;
	/* For bit L of n, the complete subtree number (n >> L) - 1 at L. */
	for (L = MAX_LEVEL - 1; L >= 0; L--) {
		if ((n >> L) & 1) {
			level[k] = L;
			idx[k++] = index_of(L, (n >> L) - 1);
		}
	}
	if ((err = read_hashes(r, idx, k, h)) != SDB_OK)
		return err;
	sdb_tlog_frontier_init(f);
	f->n = n;
	for (i = 0; i < k; i++)
		f->h[level[i]] = h[i];
	return SDB_OK;
}

int
sdb_tlog_frontier_append(struct sdb_tlog_frontier *f, const sdb_hash *leaf,
    sdb_hash *out, size_t *nout)
{
	sdb_hash acc = *leaf;
	int L = 0;

	if (f->n < 0 || (f->n >> MAX_LEVEL) != 0 || ((f->n + 1) >> MAX_LEVEL) != 0)
		return SDB_ERR_RANGE;
	if (out != NULL)
		out[0] = acc;
	while ((f->n >> L) & 1) {
		sdb_tlog_node_hash(&acc, &f->h[L], &acc);
		L++;
		if (out != NULL)
			out[L] = acc;
	}
	f->h[L] = acc;
	f->n++;
	if (nout != NULL)
		*nout = (size_t)L + 1;
	return SDB_OK;
}

int
sdb_tlog_frontier_append_subtree(struct sdb_tlog_frontier *f, int level, const sdb_hash *hash)
{
	sdb_hash acc = *hash;
	int64_t add;
	int L = level;

	if (level < 0 || level >= MAX_LEVEL)
		return SDB_ERR_RANGE;
	add = INT64_C(1) << level;
	if (f->n < 0 || (f->n >> MAX_LEVEL) != 0 || (f->n & (add - 1)) != 0 ||
	    ((f->n + add) >> MAX_LEVEL) != 0)
		return SDB_ERR_RANGE;
	/* n has no bits below level: the subtree joins the frontier at
	 * level, merging upward as a single record does at level 0 */
	while ((f->n >> L) & 1) {
		sdb_tlog_node_hash(&acc, &f->h[L], &acc);
		L++;
	}
	f->h[L] = acc;
	f->n += add;
	return SDB_OK;
}

void
sdb_tlog_frontier_root(const struct sdb_tlog_frontier *f, sdb_hash *out)
{
	sdb_hash acc;
	int L, have = 0;

	memset(&acc, 0, sizeof acc);
	for (L = 0; L < SDB_TLOG_MAX_LEVELS - 1; L++) {
		if (!((f->n >> L) & 1))
			continue;
		if (!have)
			acc = f->h[L];
		else
			sdb_tlog_node_hash(&acc, &f->h[L], &acc);
		have = 1;
	}
	*out = acc;
}
