/* Unit tests for src/lib/tlog.c: x/mod vectors (records "record %d\n"),
 * stored-hash index math at the edges, proofs and their forgery twins. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "csumdb/tlog.h"
#include "unit.h"

#define NREC 1000

static sdb_hash *stored;
static int64_t nstored;
static struct unit_hashes view = { NULL, &nstored, 0 };
static const struct sdb_hash_reader mem = { unit_read_hashes, &view };

static void
build(void)
{
	int64_t i;

	if (stored != NULL)
		return;
	stored = calloc(2 * NREC, sizeof *stored);
	CU_ASSERT_FATAL(stored != NULL);
	view.h = stored;
	for (i = 0; i < NREC; i++) {
		char text[32];
		int len = snprintf(text, sizeof text, "record %d\n", (int)i);
		size_t k;

		CU_ASSERT_FATAL(sdb_tlog_stored_hashes(i, text, (size_t)len, &mem, stored + nstored, &k) == SDB_OK);
		nstored += (int64_t)k;
	}
	CU_ASSERT_EQUAL(nstored, sdb_tlog_stored_hash_count(NREC));
}

static const struct {
	int64_t n;
	const char *hex;
} roots[] = {
	{ 1, "847dbf3ba5aa33c4976d1acfd38c2445c7710675e34840f77eba8f1b54a59aaa" },
	{ 2, "88363295b1d6d137dcf133eff59b26ded9c649e1b8e665cc43e12aca6e56fdac" },
	{ 3, "34dd65ba0281a02e5de38f39154448ed2b66d5fa8840e80ac2d094e1217a003a" },
	{ 7, "55538fb5aea6b8bb6be138dec492f20cdda7e64f6df7ee08628e11ead664fab4" },
	{ 8, "c996e1ce02c79d7832e3764fd61fed10941c9ac71471a3c016972e89011f5495" },
	{ 9, "d4433f5748c88080560b0651970351fdcd470c7c6fbba88a3d4ca541e10a08b7" },
	{ 256, "60ce2af41db2c498d0cc8df08d2dbc4127b996155e9cb391abfd07b51266deae" },
	{ 1000, "fce334c21e10541647db2188240c655481f422a7a18ca2df43e2545d6dc1d223" },
};

static void
test_tree_hash_vectors(void)
{
	struct sdb_tlog_frontier f;
	sdb_hash want, got, zero;
	size_t i;
	int64_t n = 0;

	build();
	sdb_tlog_frontier_init(&f);
	for (i = 0; i < sizeof roots / sizeof roots[0]; i++) {
		unit_hex(want.b, 32, roots[i].hex);
		CU_ASSERT_EQUAL(sdb_tlog_tree_hash(roots[i].n, &mem, &got), SDB_OK);
		CU_ASSERT(memcmp(got.b, want.b, 32) == 0);
		/* The frontier reaches the same root by appending. */
		for (; n < roots[i].n; n++)
			CU_ASSERT_FATAL(sdb_tlog_frontier_append(&f, &stored[sdb_tlog_stored_hash_index(0, n)],
			    NULL, NULL) == SDB_OK);
		sdb_tlog_frontier_root(&f, &got);
		CU_ASSERT(memcmp(got.b, want.b, 32) == 0);
		/* and by loading. */
		CU_ASSERT_EQUAL(sdb_tlog_frontier_load(&f, roots[i].n, &mem), SDB_OK);
		sdb_tlog_frontier_root(&f, &got);
		CU_ASSERT(memcmp(got.b, want.b, 32) == 0);
	}
	/* The empty tree is 32 zero bytes (x/mod), not SHA-256(""). */
	memset(zero.b, 0, 32);
	CU_ASSERT_EQUAL(sdb_tlog_tree_hash(0, &mem, &got), SDB_OK);
	CU_ASSERT(memcmp(got.b, zero.b, 32) == 0);
	sdb_tlog_frontier_init(&f);
	sdb_tlog_frontier_root(&f, &got);
	CU_ASSERT(memcmp(got.b, zero.b, 32) == 0);
	CU_ASSERT_EQUAL(sdb_tlog_tree_hash(-1, &mem, &got), SDB_ERR_RANGE);
	/* Reader errors pass through untouched. */
	view.fail = 1;
	CU_ASSERT_EQUAL(sdb_tlog_tree_hash(5, &mem, &got), SDB_ERR_IO);
	CU_ASSERT_EQUAL(sdb_tlog_frontier_load(&f, 5, &mem), SDB_ERR_IO);
	view.fail = 0;
}

static void
test_index_math(void)
{
	static const int64_t v[][3] = {
		{ 0, 0, 0 }, { 0, 1, 1 }, { 1, 0, 2 }, { 0, 5, 8 }, { 3, 7, 123 },
		{ 8, 1000, 512504 }, { 20, 123456, 258908094456LL },
		{ 0, 1099511627776LL, 2199023255551LL },
	};
	size_t i;
	int level;
	int64_t n, x;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		CU_ASSERT_EQUAL(sdb_tlog_stored_hash_index((int)v[i][0], v[i][1]), v[i][2]);
		CU_ASSERT_EQUAL(sdb_tlog_split_stored_hash_index(v[i][2], &level, &n), SDB_OK);
		CU_ASSERT(level == v[i][0] && n == v[i][1]);
	}
	/* Every index below 100,000 round-trips. */
	for (x = 0; x < 100000; x++) {
		CU_ASSERT_FATAL(sdb_tlog_split_stored_hash_index(x, &level, &n) == SDB_OK);
		CU_ASSERT_FATAL(sdb_tlog_stored_hash_index(level, n) == x);
	}
	/* Edges: 2^61 records (x/mod values), the top level, and refusals. */
	CU_ASSERT_EQUAL(sdb_tlog_stored_hash_count(0), 0);
	CU_ASSERT_EQUAL(sdb_tlog_stored_hash_count(1), 1);
	CU_ASSERT_EQUAL(sdb_tlog_stored_hash_count(2), 3);
	CU_ASSERT_EQUAL(sdb_tlog_stored_hash_count((int64_t)1 << 61), 4611686018427387903LL);
	CU_ASSERT_EQUAL(sdb_tlog_stored_hash_index(0, (int64_t)1 << 61), 4611686018427387903LL);
	CU_ASSERT_EQUAL(sdb_tlog_stored_hash_index(61, 0), 4611686018427387902LL);
	CU_ASSERT(sdb_tlog_stored_hash_index(62, 0) > 0);
	CU_ASSERT(sdb_tlog_stored_hash_count(((int64_t)1 << 62) - 1) > 0);
	CU_ASSERT_EQUAL(sdb_tlog_stored_hash_index(62, 1), -1);
	CU_ASSERT_EQUAL(sdb_tlog_stored_hash_index(63, 0), -1);
	CU_ASSERT_EQUAL(sdb_tlog_stored_hash_index(-1, 0), -1);
	CU_ASSERT_EQUAL(sdb_tlog_stored_hash_index(0, -1), -1);
	CU_ASSERT_EQUAL(sdb_tlog_stored_hash_index(0, (int64_t)1 << 62), -1);
	CU_ASSERT_EQUAL(sdb_tlog_stored_hash_count(-1), -1);
	CU_ASSERT_EQUAL(sdb_tlog_stored_hash_count((int64_t)1 << 62), -1);
	CU_ASSERT_EQUAL(sdb_tlog_split_stored_hash_index(-1, &level, &n), SDB_ERR_RANGE);
	/* The last index of the largest tree round-trips; past it, refused. */
	x = sdb_tlog_stored_hash_index(62, 0);
	CU_ASSERT_EQUAL(sdb_tlog_split_stored_hash_index(x, &level, &n), SDB_OK);
	CU_ASSERT(level == 62 && n == 0);
	CU_ASSERT_EQUAL(sdb_tlog_split_stored_hash_index(x + 1, &level, &n), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_tlog_split_stored_hash_index(INT64_MAX, &level, &n), SDB_ERR_RANGE);
}

static const char *rproof_hex[] = {
	"c8a88c36d8057b8efd55429e384079e7ee945e16b70b0c8000631135c47618c7",
	"be4062e228821b8e198a4ccd423f6341fe1e741f5f7de5fb7f8c6a56e8542210",
	"a6f38e2b38907226302dd15d3190efc893d7495d408d6bc118a58b796020c63f",
	"4fa783295bc72112a4f23632146a57d20c81c1e30aefdd3f724ef1edf93ca17a",
	"758068288d39769ffb7a0c58062caac748ae4df52b767b244982d037833533c3",
	"a04b5df55204072ab51418ccb89ce44699d406533e5ab491e0bf09442c29f917",
	"597e1ea4d74612fa5f51519a98c3c1b9660402995dcca0199b8878338c704945",
	"e58fe2e0db3ccd0796fe8aaa9c5b367f8c9cee263bf7762dc16ef77b595106c5",
	"60ce2af41db2c498d0cc8df08d2dbc4127b996155e9cb391abfd07b51266deae",
	"b55ac462885ec4e49d4a0be0a029e90cc2ef0f0f8858c97bd9b0e39c69bde8dd",
};

static const char *tproof_hex[] = {
	"c4b5f8d62bc2223c6d51b28f0067de880015d8ae5a69d1b9a5f70317f9064905",
	"02bf394ce87a391fb8f26c7f2f947f76267faa27b42dbe6e05540bdefcd6b451",
	"ab47d4f69d7fab5bc043eadca4eb9ae2f03eb158ad843734abe501f30e92da5b",
	"838e3c7cb3ad01c93b6e51dd0894afefbccd618f6304a8ac8a44a573ced31b6e",
	"3fce1bfef134624f3751ee06ffe9be394d891a3e24801effee7c1f277351757c",
	"2a3dd1c230a500abbe3f0d0169a7d96d99313ec5ff3bc31c7afbe6c7e60e5866",
	"e58fe2e0db3ccd0796fe8aaa9c5b367f8c9cee263bf7762dc16ef77b595106c5",
	"60ce2af41db2c498d0cc8df08d2dbc4127b996155e9cb391abfd07b51266deae",
	"b55ac462885ec4e49d4a0be0a029e90cc2ef0f0f8858c97bd9b0e39c69bde8dd",
};

/* p[0..np) is exactly the n hashes of want_hex. */
static void
assert_golden(const sdb_hash *p, size_t np, const char *const *want_hex, size_t n)
{
	sdb_hash want;
	size_t i;

	CU_ASSERT_EQUAL(np, n);
	for (i = 0; i < n && i < np; i++) {
		unit_hex(want.b, 32, want_hex[i]);
		CU_ASSERT(memcmp(p[i].b, want.b, 32) == 0);
	}
}

static void
test_record_proof(void)
{
	sdb_hash p[SDB_TLOG_MAX_PROOF + 2], th, leaf, other;
	size_t np, i;

	build();
	CU_ASSERT_EQUAL(sdb_tlog_prove_record(1000, 367, &mem, p, &np), SDB_OK);
	assert_golden(p, np, rproof_hex, 10);
	CU_ASSERT_EQUAL(sdb_tlog_tree_hash(1000, &mem, &th), SDB_OK);
	leaf = stored[sdb_tlog_stored_hash_index(0, 367)];
	CU_ASSERT_EQUAL(sdb_tlog_check_record(p, np, 1000, &th, 367, &leaf), SDB_OK);

	/* Forgery twins. */
	other = stored[sdb_tlog_stored_hash_index(0, 368)];
	CU_ASSERT_EQUAL(sdb_tlog_check_record(p, np, 1000, &th, 367, &other), SDB_ERR_ROOT_MISMATCH);
	CU_ASSERT_EQUAL(sdb_tlog_check_record(p, np, 1000, &th, 368, &leaf), SDB_ERR_ROOT_MISMATCH);
	CU_ASSERT_EQUAL(sdb_tlog_check_record(p, np - 1, 1000, &th, 367, &leaf), SDB_ERR_PROOF_LENGTH);
	p[np] = p[0];
	CU_ASSERT_EQUAL(sdb_tlog_check_record(p, np + 1, 1000, &th, 367, &leaf), SDB_ERR_PROOF_LENGTH);
	/* Wrong tree size: the proof only binds t through its shape, so a
	 * size with the same shape needs that size's own root to be caught. */
	CU_ASSERT_EQUAL(sdb_tlog_tree_hash(999, &mem, &other), SDB_OK);
	CU_ASSERT_EQUAL(sdb_tlog_check_record(p, np, 999, &other, 367, &leaf), SDB_ERR_ROOT_MISMATCH);
	CU_ASSERT_EQUAL(sdb_tlog_check_record(p, np, 512, &th, 367, &leaf), SDB_ERR_PROOF_LENGTH);
	other = stored[sdb_tlog_stored_hash_index(0, 368)];
	CU_ASSERT_EQUAL(sdb_tlog_check_record(p, SDB_TLOG_MAX_PROOF + 1, 1000, &th, 367, &leaf),
	    SDB_ERR_PROOF_LENGTH);
	for (i = 0; i < np; i++) {
		p[i].b[31] ^= 1;
		CU_ASSERT_EQUAL(sdb_tlog_check_record(p, np, 1000, &th, 367, &leaf), SDB_ERR_ROOT_MISMATCH);
		p[i].b[31] ^= 1;
	}
	th.b[0] ^= 0x80;
	CU_ASSERT_EQUAL(sdb_tlog_check_record(p, np, 1000, &th, 367, &leaf), SDB_ERR_ROOT_MISMATCH);

	/* Malformed arguments. */
	CU_ASSERT_EQUAL(sdb_tlog_prove_record(10, 10, &mem, p, &np), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_tlog_prove_record(10, -1, &mem, p, &np), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_tlog_prove_record(0, 0, &mem, p, &np), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_tlog_check_record(p, 0, 0, &th, 0, &leaf), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_tlog_check_record(NULL, 1, 5, &th, 0, &leaf), SDB_ERR_RANGE);
	view.fail = 1;
	CU_ASSERT_EQUAL(sdb_tlog_prove_record(1000, 1, &mem, p, &np), SDB_ERR_IO);
	view.fail = 0;

	/* A tree of one record: the empty proof, its root is the leaf. */
	leaf = stored[0];
	CU_ASSERT_EQUAL(sdb_tlog_prove_record(1, 0, &mem, p, &np), SDB_OK);
	CU_ASSERT_EQUAL(np, 0);
	CU_ASSERT_EQUAL(sdb_tlog_check_record(p, 0, 1, &leaf, 0, &leaf), SDB_OK);
	CU_ASSERT_EQUAL(sdb_tlog_check_record(p, 0, 1, &other, 0, &leaf), SDB_ERR_ROOT_MISMATCH);

	/* Every (t, n) up to 70: prove, check, and a flipped bit fails. */
	for (int64_t t = 1; t <= 70; t++) {
		CU_ASSERT_FATAL(sdb_tlog_tree_hash(t, &mem, &th) == SDB_OK);
		for (int64_t n = 0; n < t; n++) {
			leaf = stored[sdb_tlog_stored_hash_index(0, n)];
			CU_ASSERT_FATAL(sdb_tlog_prove_record(t, n, &mem, p, &np) == SDB_OK);
			CU_ASSERT(sdb_tlog_check_record(p, np, t, &th, n, &leaf) == SDB_OK);
			if (np > 0) {
				p[np - 1].b[0] ^= 4;
				CU_ASSERT(sdb_tlog_check_record(p, np, t, &th, n, &leaf) == SDB_ERR_ROOT_MISMATCH);
			}
		}
	}
}

static void
test_tree_proof(void)
{
	sdb_hash p[SDB_TLOG_MAX_PROOF + 2], want, th, oh;
	size_t np, i;

	build();
	CU_ASSERT_EQUAL(sdb_tlog_prove_tree(1000, 300, &mem, p, &np), SDB_OK);
	assert_golden(p, np, tproof_hex, 9);
	CU_ASSERT_EQUAL(sdb_tlog_tree_hash(1000, &mem, &th), SDB_OK);
	CU_ASSERT_EQUAL(sdb_tlog_tree_hash(300, &mem, &oh), SDB_OK);
	CU_ASSERT_EQUAL(sdb_tlog_check_tree(p, np, 1000, &th, 300, &oh), SDB_OK);

	/* Forgery twins: a fork (other old root), wrong sizes, lengths, bits. */
	CU_ASSERT_EQUAL(sdb_tlog_check_tree(p, np, 1000, &th, 300, &th), SDB_ERR_ROOT_MISMATCH);
	CU_ASSERT_EQUAL(sdb_tlog_check_tree(p, np, 1000, &th, 301, &oh), SDB_ERR_PROOF_LENGTH);
	/* Sizes of the same proof shape, each with its own true root. */
	CU_ASSERT_EQUAL(sdb_tlog_tree_hash(299, &mem, &want), SDB_OK);
	CU_ASSERT_EQUAL(sdb_tlog_check_tree(p, np, 1000, &th, 299, &want), SDB_ERR_PROOF_LENGTH);
	CU_ASSERT_EQUAL(sdb_tlog_tree_hash(999, &mem, &want), SDB_OK);
	CU_ASSERT_EQUAL(sdb_tlog_check_tree(p, np, 999, &want, 300, &oh), SDB_ERR_ROOT_MISMATCH);
	CU_ASSERT_EQUAL(sdb_tlog_check_tree(p, np - 1, 1000, &th, 300, &oh), SDB_ERR_PROOF_LENGTH);
	p[np] = p[0];
	CU_ASSERT_EQUAL(sdb_tlog_check_tree(p, np + 1, 1000, &th, 300, &oh), SDB_ERR_PROOF_LENGTH);
	CU_ASSERT_EQUAL(sdb_tlog_check_tree(p, 200, 1000, &th, 300, &oh), SDB_ERR_PROOF_LENGTH);
	for (i = 0; i < np; i++) {
		p[i].b[3] ^= 0x20;
		CU_ASSERT_EQUAL(sdb_tlog_check_tree(p, np, 1000, &th, 300, &oh), SDB_ERR_ROOT_MISMATCH);
		p[i].b[3] ^= 0x20;
	}
	/* n == t: empty proof, equal roots only. */
	CU_ASSERT_EQUAL(sdb_tlog_prove_tree(1000, 1000, &mem, p, &np), SDB_OK);
	CU_ASSERT_EQUAL(np, 0);
	CU_ASSERT_EQUAL(sdb_tlog_check_tree(p, 0, 1000, &th, 1000, &th), SDB_OK);
	CU_ASSERT_EQUAL(sdb_tlog_check_tree(p, 0, 1000, &th, 1000, &oh), SDB_ERR_ROOT_MISMATCH);
	/* Malformed. */
	CU_ASSERT_EQUAL(sdb_tlog_prove_tree(10, 0, &mem, p, &np), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_tlog_prove_tree(10, 11, &mem, p, &np), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_tlog_check_tree(p, 0, 10, &th, 0, &oh), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_tlog_check_tree(p, 0, 0, &th, 0, &oh), SDB_ERR_RANGE);

	for (int64_t t = 1; t <= 70; t++) {
		CU_ASSERT_FATAL(sdb_tlog_tree_hash(t, &mem, &th) == SDB_OK);
		for (int64_t n = 1; n <= t; n++) {
			CU_ASSERT_FATAL(sdb_tlog_tree_hash(n, &mem, &oh) == SDB_OK);
			CU_ASSERT_FATAL(sdb_tlog_prove_tree(t, n, &mem, p, &np) == SDB_OK);
			CU_ASSERT(sdb_tlog_check_tree(p, np, t, &th, n, &oh) == SDB_OK);
			if (np > 0) {
				p[0].b[9] ^= 1;
				CU_ASSERT(sdb_tlog_check_tree(p, np, t, &th, n, &oh) == SDB_ERR_ROOT_MISMATCH);
			}
		}
	}
}

/* A tree whose records all have one text: every stored hash at level L is
 * the same H[L], so trees of 2^62 - 1 records can be proved cheaply. */
static sdb_hash uniform[SDB_TLOG_MAX_LEVELS];

static int
uniform_read(void *ctx, const int64_t *idx, size_t n, sdb_hash *out)
{
	size_t i;
	int level;
	int64_t k;

	(void)ctx;
	for (i = 0; i < n; i++) {
		if (sdb_tlog_split_stored_hash_index(idx[i], &level, &k) != SDB_OK)
			return SDB_ERR_RANGE;
		out[i] = uniform[level];
	}
	return SDB_OK;
}

static void
test_huge_trees(void)
{
	struct sdb_hash_reader r = { uniform_read, NULL };
	static const int64_t sizes[] = { ((int64_t)1 << 62) - 1, (int64_t)1 << 61,
		((int64_t)1 << 61) + 12345, 3 };
	sdb_hash p[SDB_TLOG_MAX_PROOF + 1], th, oh;
	size_t np, i;
	int L;

	sdb_tlog_record_hash(&uniform[0], "x", 1);
	for (L = 1; L < SDB_TLOG_MAX_LEVELS; L++)
		sdb_tlog_node_hash(&uniform[L], &uniform[L - 1], &uniform[L - 1]);
	CU_ASSERT_EQUAL(uniform_read(NULL, NULL, 0, NULL), SDB_OK);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		int64_t t = sizes[i], n = t - 1;

		CU_ASSERT_FATAL(sdb_tlog_tree_hash(t, &r, &th) == SDB_OK);
		CU_ASSERT_EQUAL(sdb_tlog_prove_record(t, n, &r, p, &np), SDB_OK);
		CU_ASSERT(np <= SDB_TLOG_MAX_PROOF);
		CU_ASSERT_EQUAL(sdb_tlog_check_record(p, np, t, &th, n, &uniform[0]), SDB_OK);
		CU_ASSERT_EQUAL(sdb_tlog_check_record(p, np, t, &th, n, &uniform[1]), SDB_ERR_ROOT_MISMATCH);
		CU_ASSERT_EQUAL(sdb_tlog_prove_record(t, 0, &r, p, &np), SDB_OK);
		CU_ASSERT_EQUAL(sdb_tlog_check_record(p, np, t, &th, 0, &uniform[0]), SDB_OK);
		if (t > 2) {
			n = t / 2 + 1;
			CU_ASSERT_FATAL(sdb_tlog_tree_hash(n, &r, &oh) == SDB_OK);
			CU_ASSERT_EQUAL(sdb_tlog_prove_tree(t, n, &r, p, &np), SDB_OK);
			CU_ASSERT(np <= SDB_TLOG_MAX_PROOF);
			CU_ASSERT_EQUAL(sdb_tlog_check_tree(p, np, t, &th, n, &oh), SDB_OK);
			CU_ASSERT_EQUAL(sdb_tlog_check_tree(p, np, t, &th, n, &th), SDB_ERR_ROOT_MISMATCH);
		}
	}
	/* The frontier refuses to grow past 2^62 - 1 records. */
	{
		struct sdb_tlog_frontier f;

		CU_ASSERT_EQUAL(sdb_tlog_frontier_load(&f, ((int64_t)1 << 62) - 1, &r), SDB_OK);
		sdb_tlog_frontier_root(&f, &oh);
		CU_ASSERT_EQUAL(sdb_tlog_tree_hash(((int64_t)1 << 62) - 1, &r, &th), SDB_OK);
		CU_ASSERT(memcmp(oh.b, th.b, 32) == 0);
		CU_ASSERT_EQUAL(sdb_tlog_frontier_append(&f, &uniform[0], NULL, NULL), SDB_ERR_RANGE);
		CU_ASSERT_EQUAL(sdb_tlog_frontier_load(&f, (int64_t)1 << 62, &r), SDB_ERR_RANGE);
	}
}

/* A reader that notes every index no tree below 2^62 records stores
 * (negative ones above all), and otherwise answers zeros. */
static int bad_index_seen;

static int
strict_read(void *ctx, const int64_t *idx, size_t n, sdb_hash *out)
{
	size_t i;
	int level;
	int64_t k;

	(void)ctx;
	for (i = 0; i < n; i++) {
		if (sdb_tlog_split_stored_hash_index(idx[i], &level, &k) != SDB_OK)
			bad_index_seen = 1;
		memset(&out[i], 0, sizeof out[i]);
	}
	return SDB_OK;
}

/* Sizes of 2^62 records and more overflow the stored-hash numbering: the
 * readers must refuse them, as the frontier and the tile reader do, rather
 * than hand a reader negative indexes. */
static void
test_size_limit(void)
{
	struct sdb_hash_reader r = { strict_read, NULL };
	static const int64_t sizes[] = { (int64_t)1 << 62, ((int64_t)1 << 62) + 3,
		INT64_MAX };
	sdb_hash p[SDB_TLOG_MAX_PROOF], h;
	size_t np, i;

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		int64_t t = sizes[i];

		bad_index_seen = 0;
		CU_ASSERT_EQUAL(sdb_tlog_tree_hash(t, &r, &h), SDB_ERR_RANGE);
		CU_ASSERT_EQUAL(sdb_tlog_prove_record(t, t - 1, &r, p, &np), SDB_ERR_RANGE);
		CU_ASSERT_EQUAL(sdb_tlog_prove_record(t, 0, &r, p, &np), SDB_ERR_RANGE);
		CU_ASSERT_EQUAL(sdb_tlog_prove_tree(t, t - 1, &r, p, &np), SDB_ERR_RANGE);
		CU_ASSERT_EQUAL(sdb_tlog_prove_tree(t, 5, &r, p, &np), SDB_ERR_RANGE);
		CU_ASSERT_EQUAL(bad_index_seen, 0);
	}
	/* The largest size allowed reads only valid indexes. */
	bad_index_seen = 0;
	CU_ASSERT_EQUAL(sdb_tlog_tree_hash(((int64_t)1 << 62) - 1, &r, &h), SDB_OK);
	CU_ASSERT_EQUAL(sdb_tlog_prove_tree(((int64_t)1 << 62) - 1, 12345, &r, p, &np), SDB_OK);
	CU_ASSERT_EQUAL(bad_index_seen, 0);
}

static void
test_stored_hashes(void)
{
	sdb_hash out[SDB_TLOG_MAX_STORED], h;
	size_t k;

	build();
	/* Record 7 completes levels 1..3: four hashes. */
	CU_ASSERT_EQUAL(sdb_tlog_stored_hashes(7, "record 7\n", 9, &mem, out, &k), SDB_OK);
	CU_ASSERT_EQUAL(k, 4);
	CU_ASSERT(memcmp(out, stored + sdb_tlog_stored_hash_index(0, 7), 4 * sizeof *out) == 0);
	CU_ASSERT_EQUAL(sdb_tlog_tree_hash(8, &mem, &h), SDB_OK);
	CU_ASSERT(memcmp(out[3].b, h.b, 32) == 0);
	CU_ASSERT_EQUAL(sdb_tlog_stored_hashes(-1, "x", 1, &mem, out, &k), SDB_ERR_RANGE);
	view.fail = 1;
	CU_ASSERT_EQUAL(sdb_tlog_stored_hashes(7, "x", 1, &mem, out, &k), SDB_ERR_IO);
	view.fail = 0;
}

/* Subtrees appended whole (the largest aligned one that fits, capped by
 * a varying level) give the same tree at every step as records one by
 * one; misaligned or out-of-range subtrees are refused, f unchanged. */
static void
test_frontier_subtree(void)
{
	struct sdb_tlog_frontier one, sub, keep;
	sdb_hash a, b;
	int64_t n = 0;
	int cap = 0, L, mismatches = 0, steps = 0;

	build();
	sdb_tlog_frontier_init(&one);
	sdb_tlog_frontier_init(&sub);
	while (n < NREC) {
		for (L = cap % 10; L > 0 && ((n & ((INT64_C(1) << L) - 1)) != 0 ||
		    n + (INT64_C(1) << L) > NREC); L--)
			;
		CU_ASSERT_FATAL(sdb_tlog_frontier_append_subtree(&sub, L,
		    &stored[sdb_tlog_stored_hash_index(L, n >> L)]) == SDB_OK);
		for (int64_t e = n + (INT64_C(1) << L); n < e; n++)
			CU_ASSERT_FATAL(sdb_tlog_frontier_append(&one,
			    &stored[sdb_tlog_stored_hash_index(0, n)], NULL, NULL) == SDB_OK);
		sdb_tlog_frontier_root(&one, &a);
		sdb_tlog_frontier_root(&sub, &b);
		mismatches += sub.n != one.n || memcmp(a.b, b.b, 32) != 0;
		steps++;
		cap += 3;
	}
	CU_ASSERT_EQUAL(mismatches, 0);
	CU_ASSERT(steps > 100 && steps < NREC);
	/* n = 1000 is a multiple of 8, not of 16 */
	keep = sub;
	CU_ASSERT_EQUAL(sdb_tlog_frontier_append_subtree(&sub, 4, &a), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_tlog_frontier_append_subtree(&sub, -1, &a), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_tlog_frontier_append_subtree(&sub, 62, &a), SDB_ERR_RANGE);
	/* a frontier already past 2^62 records (no overflow on the way) */
	keep.n = INT64_MAX & ~INT64_C(255);
	CU_ASSERT_EQUAL(sdb_tlog_frontier_append_subtree(&keep, 8, &a), SDB_ERR_RANGE);
	keep = sub;
	CU_ASSERT(memcmp(&keep, &sub, sizeof sub) == 0);
	CU_ASSERT_EQUAL(sdb_tlog_frontier_append_subtree(&sub, 3, &a), SDB_OK);
	CU_ASSERT_EQUAL(sub.n, NREC + 8);
}

/* Pseudo-random bytes for the hash tests (xorshift, fixed seed). */
static void
fill(uint8_t *p, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		p[i] = (uint8_t)seed;
	}
}

/* SHA-256(prefix || m[0..len)) the plain way; prefix -1 for none. */
static void
ref_sha256(uint8_t out[32], int prefix, const uint8_t *m, size_t len)
{
	uint8_t buf[512];

	buf[0] = (uint8_t)prefix;
	memcpy(buf + (prefix >= 0), m, len);
	sdb_sha256(out, buf, len + (prefix >= 0));
}

/* sdb_sha256_x2 on both its paths (the SHA extensions when the CPU has
 * them, OpenSSL) against one hash per message, for every length across
 * several block boundaries, with and without a prefix, and pairs whose
 * block counts differ. */
static void
test_sha256_x2(void)
{
	static const int prefixes[] = { -1, 0x00, 0x01, 0xff };
	uint8_t a[320], b[320], oa[32], ob[32], ra[32], rb[32];
	size_t la, lb, bad = 0, checked = 0;
	int mode, pi, v;

	fill(a, sizeof a, 1);
	fill(b, sizeof b, 2);
	if (!sdb_sha256_x2_accelerated())
		fprintf(stderr, "test_sha256_x2: no SHA extensions here: portable path only\n");
	for (mode = 0; mode < 2; mode++) {
		sdb_sha256_x2_force_portable(mode);
		CU_ASSERT(mode == 0 || !sdb_sha256_x2_accelerated());
		for (pi = 0; pi < 4; pi++)
			for (la = 0; la <= 300; la++)
				for (v = 0; v < 3; v++) {
					lb = v == 0 ? la : v == 1 ? 300 - la : (la * 7 + 13) % 301;
					sdb_sha256_x2(oa, ob, prefixes[pi], a, la, b, lb);
					ref_sha256(ra, prefixes[pi], a, la);
					ref_sha256(rb, prefixes[pi], b, lb);
					bad += memcmp(oa, ra, 32) != 0 || memcmp(ob, rb, 32) != 0;
					checked++;
				}
	}
	/* outputs over the inputs: oa over b (the second message), ob
	 * right after it */
	for (mode = 0; mode < 2; mode++) {
		uint8_t buf[128];

		sdb_sha256_x2_force_portable(mode);
		fill(buf, sizeof buf, 5);
		ref_sha256(ra, 0x01, buf, 64);
		ref_sha256(rb, 0x01, buf + 64, 64);
		sdb_sha256_x2(buf + 64, buf + 96, 0x01, buf, 64, buf + 64, 64);
		CU_ASSERT(memcmp(buf + 64, ra, 32) == 0);
		CU_ASSERT(memcmp(buf + 96, rb, 32) == 0);
	}
	sdb_sha256_x2_force_portable(0);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(checked, 2 * 4 * 301 * 3);
	/* one known answer, so a wrong reference could not hide: SHA-256 of
	 * "abc" (FIPS 180-2) as the unprefixed "a" lane, with "ab" and 0x61
	 * 0x62 + "c" as the prefixed one */
	sdb_sha256_x2(oa, ob, 0x61, "abc", 3, "bc", 2);
	unit_hex(ra, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CU_ASSERT(memcmp(ob, ra, 32) == 0);
	sdb_sha256_x2(oa, ob, -1, "abc", 3, "abc", 3);
	CU_ASSERT(memcmp(oa, ra, 32) == 0 && memcmp(ob, ra, 32) == 0);
}

/* The pairwise record and node helpers against the one-at-a-time ones,
 * folding in place and not. */
static void
test_hash_pairs(void)
{
	sdb_hash in[18], out[9], inplace[18], want, ra, rb;
	uint8_t rec[2][200];
	size_t n, i;

	fill(in[0].b, sizeof in, 3);
	for (n = 0; n <= 9; n++) {
		memcpy(inplace, in, sizeof in);
		sdb_tlog_node_hashes(out, in, n);
		sdb_tlog_node_hashes(inplace, inplace, n);
		for (i = 0; i < n; i++) {
			sdb_tlog_node_hash(&want, &in[2 * i], &in[2 * i + 1]);
			CU_ASSERT(memcmp(out[i].b, want.b, 32) == 0);
			CU_ASSERT(memcmp(inplace[i].b, want.b, 32) == 0);
		}
	}
	fill(rec[0], sizeof rec, 4);
	for (n = 0; n <= 200; n += 25) {
		sdb_tlog_record_hash2(&ra, rec[0], n, &rb, rec[1], 200 - n);
		sdb_tlog_record_hash(&want, rec[0], n);
		CU_ASSERT(memcmp(ra.b, want.b, 32) == 0);
		sdb_tlog_record_hash(&want, rec[1], 200 - n);
		CU_ASSERT(memcmp(rb.b, want.b, 32) == 0);
	}
}

static void
cleanup(void)
{
	free(stored);
	stored = NULL;
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "tree_hash_vectors", test_tree_hash_vectors },
		{ "index_math", test_index_math },
		{ "record_proof", test_record_proof },
		{ "tree_proof", test_tree_proof },
		{ "huge_trees", test_huge_trees },
		{ "stored_hashes", test_stored_hashes },
		{ "size_limit", test_size_limit },
		{ "frontier_subtree", test_frontier_subtree },
		{ "sha256_x2", test_sha256_x2 },
		{ "hash_pairs", test_hash_pairs },
		{ NULL, NULL },
	};
	atexit(cleanup);
	unit_suite("tlog", tests);
}
