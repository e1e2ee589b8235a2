/* Unit tests for src/lib/tlog_tile.c: tile paths (x/mod's vectors and the
 * PROTOCOL.md example), tile math, NewTiles, and the authenticating tile
 * reader with a forgery twin for each check. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/tile.h"
#include "csumdb/tlog.h"
#include "unit.h"

static void
test_paths(void)
{
	static const struct {
		const char *path;
		struct sdb_tile t;
	} good[] = {
		{ "tile/4/0/001", { 4, 0, 1, 16 } },
		{ "tile/4/0/001.p/5", { 4, 0, 1, 5 } },
		{ "tile/3/5/x123/x456/078", { 3, 5, 123456078, 8 } },
		{ "tile/3/5/x123/x456/078.p/2", { 3, 5, 123456078, 2 } },
		{ "tile/1/0/x003/x057/500", { 1, 0, 3057500, 2 } },
		{ "tile/1/data/x003/x057/500", { 1, -1, 3057500, 2 } },
		{ "tile/8/0/x001/x234/067", { 8, 0, 1234067, 256 } },
		{ "tile/8/data/000.p/1", { 8, -1, 0, 1 } },
		{ "tile/30/2/000.p/3", { 30, 2, 0, 3 } },
	};
	static const char *bad[] = {
		"tile/3/5/123/456/078", "tile/3/-1/123/456/078", "tile/8/0/x000/001",
		"tile/8/0/001.p/256", "tile/8/0/001.p/0", "tile/8/0/001.p/05", "tile/08/0/001",
		"tile/8/00/001", "tile/8/0/1", "tile/8/0/0001", "tile/8/0/001/", "tile/8/0/001.p/",
		"tile/8/0/001.p", "tile/31/0/001", "tile/0/0/001", "tile/8/+1/001", "tile/8/0/x01/001",
		"/tile/8/0/001", "tile/8/0/001.p/1/", "tile/8/DATA/001", "tile/8/data/001.p/-1",
		"tile/8/8/000", /* level 64: no tree has it */
		"tile/8/0/x999/x999/x999/x999/x999/x999/x999/999", "tile/8/0/00a", "", "tile/",
		"tile/8/0/x001/x234/067 ", "tile/1/0/001.p/2",
	};
	struct sdb_tile t;
	char buf[SDB_TILE_PATH_MAX];
	size_t i, len;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		CU_ASSERT_EQUAL(sdb_tile_format(&good[i].t, buf, sizeof buf, &len), SDB_OK);
		CU_ASSERT_STRING_EQUAL(buf, good[i].path);
		CU_ASSERT_EQUAL(len, strlen(good[i].path));
		memset(&t, 0, sizeof t);
		CU_ASSERT_EQUAL(sdb_tile_parse(&t, good[i].path, strlen(good[i].path)), SDB_OK);
		CU_ASSERT(t.h == good[i].t.h && t.l == good[i].t.l && t.n == good[i].t.n &&
		    t.w == good[i].t.w);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t.h = 99;
		CU_ASSERT_EQUAL(sdb_tile_parse(&t, bad[i], strlen(bad[i])), SDB_ERR_INVALID);
		CU_ASSERT_EQUAL(t.h, 99);
	}
	/* Not NUL-terminated: only len bytes are read. */
	CU_ASSERT_EQUAL(sdb_tile_parse(&t, "tile/4/0/001XYZ", 12), SDB_OK);
	CU_ASSERT_EQUAL(sdb_tile_parse(&t, "tile/4/0/001.p/5", 14), SDB_ERR_INVALID);
	/* Format refuses invalid tiles and short buffers. */
	t.h = 8; t.l = 0; t.n = 0; t.w = 257;
	CU_ASSERT_EQUAL(sdb_tile_format(&t, buf, sizeof buf, &len), SDB_ERR_RANGE);
	t.w = 0;
	CU_ASSERT_EQUAL(sdb_tile_format(&t, buf, sizeof buf, &len), SDB_ERR_RANGE);
	t.w = 1; t.l = -2;
	CU_ASSERT_EQUAL(sdb_tile_format(&t, buf, sizeof buf, &len), SDB_ERR_RANGE);
	t.l = 0;
	CU_ASSERT_EQUAL(sdb_tile_format(&t, buf, 5, &len), SDB_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(sdb_tile_format(&t, buf, 18, &len), SDB_OK); /* tile/8/0/000.p/1 */
	CU_ASSERT_EQUAL(sdb_tile_format(&t, buf, 16, &len), SDB_ERR_TOO_LARGE);
}

static void
test_tile_math(void)
{
	struct sdb_tile t;
	size_t cnt;
	static struct sdb_tile ts[64];
	uint8_t data[8 * 32];
	sdb_hash h, l, r;
	int i;

	/* Record 1000's leaf (index 1994) is in tile 8/0/003, width 233. */
	CU_ASSERT_EQUAL(sdb_tile_for_index(8, sdb_tlog_stored_hash_index(0, 1000), &t), SDB_OK);
	CU_ASSERT(t.h == 8 && t.l == 0 && t.n == 3 && t.w == 233);
	/* The level-8 hash 2 is in 8/1/000 at width 3. */
	CU_ASSERT_EQUAL(sdb_tile_for_index(8, sdb_tlog_stored_hash_index(8, 2), &t), SDB_OK);
	CU_ASSERT(t.l == 1 && t.n == 0 && t.w == 3);
	/* A level-1 hash is in the level-0 tile, covering two entries. */
	CU_ASSERT_EQUAL(sdb_tile_for_index(8, sdb_tlog_stored_hash_index(1, 3), &t), SDB_OK);
	CU_ASSERT(t.l == 0 && t.n == 0 && t.w == 8);
	CU_ASSERT_EQUAL(sdb_tile_for_index(0, 5, &t), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_tile_for_index(31, 5, &t), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_tile_for_index(8, -1, &t), SDB_ERR_RANGE);

	for (i = 0; i < 8 * 32; i++)
		data[i] = (uint8_t)i;
	CU_ASSERT_EQUAL(sdb_tile_hash_from_tile(&t, data, sizeof data, sdb_tlog_stored_hash_index(1, 3), &h), SDB_OK);
	memcpy(l.b, data + 6 * 32, 32);
	memcpy(r.b, data + 7 * 32, 32);
	sdb_tlog_node_hash(&l, &l, &r);
	CU_ASSERT(memcmp(h.b, l.b, 32) == 0);
	CU_ASSERT_EQUAL(sdb_tile_hash_from_tile(&t, data, sizeof data - 1, sdb_tlog_stored_hash_index(1, 3), &h), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_tile_hash_from_tile(&t, data, sizeof data, sdb_tlog_stored_hash_index(0, 8), &h), SDB_ERR_RANGE);
	t.l = -1;
	CU_ASSERT_EQUAL(sdb_tile_hash_from_tile(&t, data, sizeof data, 0, &h), SDB_ERR_RANGE);

	/* 0 -> 300 records at height 8: 8/0/000, 8/0/001.p/1..44, 8/1/000.p/1. */
	CU_ASSERT_EQUAL(sdb_tile_new_tiles(8, 0, 300, ts, 64, &cnt), SDB_OK);
	CU_ASSERT_EQUAL(cnt, 46);
	CU_ASSERT(ts[0].l == 0 && ts[0].n == 0 && ts[0].w == 256);
	CU_ASSERT(ts[1].n == 1 && ts[1].w == 1 && ts[44].w == 44);
	CU_ASSERT(ts[45].l == 1 && ts[45].n == 0 && ts[45].w == 1);
	/* 300 -> 302: only the two new widths. */
	CU_ASSERT_EQUAL(sdb_tile_new_tiles(8, 300, 302, ts, 64, &cnt), SDB_OK);
	CU_ASSERT(cnt == 4 && ts[0].w == 44 && ts[2].w == 46 && ts[3].l == 1);
	CU_ASSERT_EQUAL(sdb_tile_new_tiles(8, 0, 0, ts, 64, &cnt), SDB_OK);
	CU_ASSERT_EQUAL(cnt, 0);
	CU_ASSERT_EQUAL(sdb_tile_new_tiles(8, 0, 300, ts, 10, &cnt), SDB_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(cnt, 46);
	CU_ASSERT_EQUAL(sdb_tile_new_tiles(8, 5, 4, ts, 64, &cnt), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_tile_new_tiles(0, 0, 4, ts, 64, &cnt), SDB_ERR_RANGE);
}

/* --- the authenticating reader over a log of 1000 records --------------- */

#define NREC 1000
static sdb_hash stored[2 * NREC];
static int64_t nstored;

static struct unit_hashes view = { stored, &nstored, 0 };
static const struct sdb_hash_reader mem = { unit_read_hashes, &view };

/* A tile server that can lie in one way at a time. */
struct server {
	int tamper_level;   /* tamper with the first tile at this level (-1: none) */
	int64_t tamper_n;   /* ... with this n (-1: any) */
	int short_by;       /* report tiles this many bytes short */
	int fail;           /* return this error */
	size_t fetched, saved;
	struct sdb_tile saved_tiles[64];
};

static int
srv_read(void *ctx, const struct sdb_tile *tiles, size_t n, uint8_t *const *bufs, size_t *lens)
{
	struct server *s = ctx;
	size_t i;

	if (s->fail)
		return s->fail;
	for (i = 0; i < n; i++) {
		lens[i] = (size_t)tiles[i].w * 32;
		if (sdb_tile_read_data(&tiles[i], &mem, bufs[i], lens[i]) != SDB_OK)
			return SDB_ERR_INTERNAL;
		if (tiles[i].l == s->tamper_level && (s->tamper_n < 0 || tiles[i].n == s->tamper_n))
			bufs[i][lens[i] - 1] ^= 1;
		lens[i] -= (size_t)s->short_by;
	}
	s->fetched += n;
	return SDB_OK;
}

static void
srv_save(void *ctx, const struct sdb_tile *tiles, size_t n, const uint8_t *const *data)
{
	struct server *s = ctx;
	size_t i;

	(void)data;
	for (i = 0; i < n && s->saved < 64; i++)
		s->saved_tiles[s->saved++] = tiles[i];
}

static void
build(void)
{
	int64_t i;

	if (nstored > 0)
		return;
	for (i = 0; i < NREC; i++) {
		char text[32];
		int len = snprintf(text, sizeof text, "record %d\n", (int)i);
		size_t k;

		CU_ASSERT_FATAL(sdb_tlog_stored_hashes(i, text, (size_t)len, &mem, stored + nstored, &k) == SDB_OK);
		nstored += (int64_t)k;
	}
}

static void
test_reader_honest(void)
{
	struct server s = { -1, -1, 0, 0, 0, 0, { { 0, 0, 0, 0 } } };
	struct sdb_tile_source src = { srv_read, srv_save, &s };
	struct sdb_tree tree;
	int64_t idx[3];
	sdb_hash out[3], p1[SDB_TLOG_MAX_PROOF], p2[SDB_TLOG_MAX_PROOF];
	struct sdb_hash_reader r;
	struct sdb_tile_hash_reader thr;
	size_t n1, n2;
	int h;

	build();
	for (h = 1; h <= 9; h++) {
		tree.n = 777;
		CU_ASSERT_FATAL(sdb_tlog_tree_hash(tree.n, &mem, &tree.hash) == SDB_OK);
		idx[0] = sdb_tlog_stored_hash_index(0, 5);
		idx[1] = sdb_tlog_stored_hash_index(0, 776);
		idx[2] = sdb_tlog_stored_hash_index(3, 17);
		s.saved = 0;
		s.fetched = 0;
		CU_ASSERT_EQUAL(sdb_tile_read_hashes(&tree, h, &src, idx, 3, out, NULL), SDB_OK);
		CU_ASSERT(memcmp(&out[0], &stored[idx[0]], 32) == 0);
		CU_ASSERT(memcmp(&out[1], &stored[idx[1]], 32) == 0);
		CU_ASSERT(memcmp(&out[2], &stored[idx[2]], 32) == 0);
		CU_ASSERT(s.saved > 0 && s.saved == s.fetched);

		/* Proofs over authenticated tiles equal proofs over the store. */
		sdb_tile_hash_reader_init(&thr, &tree, h, &src, NULL, &r);
		CU_ASSERT_EQUAL(sdb_tlog_prove_record(777, 300, &r, p1, &n1), SDB_OK);
		CU_ASSERT_EQUAL(sdb_tlog_prove_record(777, 300, &mem, p2, &n2), SDB_OK);
		CU_ASSERT(n1 == n2 && memcmp(p1, p2, n1 * sizeof *p1) == 0);
		CU_ASSERT_EQUAL(sdb_tlog_prove_tree(777, 500, &r, p1, &n1), SDB_OK);
		CU_ASSERT_EQUAL(sdb_tlog_prove_tree(777, 500, &mem, p2, &n2), SDB_OK);
		CU_ASSERT(n1 == n2 && memcmp(p1, p2, n1 * sizeof *p1) == 0);
	}
	/* Range: an index past the tree; no indexes is fine. */
	idx[0] = sdb_tlog_stored_hash_index(0, 777);
	CU_ASSERT_EQUAL(sdb_tile_read_hashes(&tree, 8, &src, idx, 1, out, NULL), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_tile_read_hashes(&tree, 8, &src, idx, 0, out, NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_tile_read_hashes(&tree, 17, &src, idx, 1, out, NULL), SDB_ERR_RANGE);
	tree.n = 0;
	CU_ASSERT_EQUAL(sdb_tile_read_hashes(&tree, 8, &src, idx, 1, out, NULL), SDB_ERR_RANGE);
}

static int
read_with(struct server *s, int64_t tree_n, int h, int64_t index)
{
	struct sdb_tile_source src = { srv_read, srv_save, s };
	struct sdb_tree tree;
	struct sdb_errbuf eb;
	sdb_hash out;

	tree.n = tree_n;
	CU_ASSERT_FATAL(sdb_tlog_tree_hash(tree.n, &mem, &tree.hash) == SDB_OK);
	s->saved = 0;
	eb.msg[0] = '\0';
	return sdb_tile_read_hashes(&tree, h, &src, &index, 1, &out, &eb);
}

static void
test_reader_forgeries(void)
{
	struct server s = { -1, -1, 0, 0, 0, 0, { { 0, 0, 0, 0 } } };
	struct sdb_tile_source src = { srv_read, srv_save, &s };
	struct sdb_tree tree;
	int64_t idx = sdb_tlog_stored_hash_index(0, 5);
	sdb_hash out;

	build();
	/* Honest twin first. */
	CU_ASSERT_EQUAL(read_with(&s, 1000, 8, idx), SDB_OK);
	/* A full level-0 tile that disagrees with its parent (8/1/000). */
	s.tamper_level = 0;
	s.tamper_n = 0;
	CU_ASSERT_EQUAL(read_with(&s, 1000, 8, idx), SDB_ERR_TILE_MISMATCH);
	CU_ASSERT_EQUAL(s.saved, 0);
	/* A tampered byte that the requested hash does not even depend on:
	 * x/mod-style partial checks would let this tile through; we do not. */
	s.tamper_level = 0;
	s.tamper_n = 0;
	CU_ASSERT_EQUAL(read_with(&s, 1000, 4, sdb_tlog_stored_hash_index(0, 0)), SDB_ERR_TILE_MISMATCH);
	/* A right-edge tile that disagrees with the signed root. */
	s.tamper_level = 0;
	s.tamper_n = 3;
	CU_ASSERT_EQUAL(read_with(&s, 1000, 8, sdb_tlog_stored_hash_index(0, 999)), SDB_ERR_TILE_MISMATCH);
	/* The parent tile itself tampered. */
	s.tamper_level = 1;
	s.tamper_n = -1;
	CU_ASSERT_EQUAL(read_with(&s, 1000, 8, idx), SDB_ERR_TILE_MISMATCH);
	s.tamper_level = -1;
	/* Tiles of the wrong width (length). */
	s.short_by = 32;
	CU_ASSERT_EQUAL(read_with(&s, 1000, 8, idx), SDB_ERR_INVALID);
	s.short_by = -32;
	CU_ASSERT_EQUAL(read_with(&s, 1000, 8, idx), SDB_ERR_INVALID);
	s.short_by = 0;
	/* Source errors pass through. */
	s.fail = SDB_ERR_IO;
	CU_ASSERT_EQUAL(read_with(&s, 1000, 8, idx), SDB_ERR_IO);
	s.fail = 0;
	/* The right tiles, but a root for another tree. */
	tree.n = 1000;
	CU_ASSERT_FATAL(sdb_tlog_tree_hash(999, &mem, &tree.hash) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_tile_read_hashes(&tree, 8, &src, &idx, 1, &out, NULL), SDB_ERR_TILE_MISMATCH);
	CU_ASSERT_EQUAL(s.saved, 0);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "paths", test_paths },
		{ "tile_math", test_tile_math },
		{ "reader_honest", test_reader_honest },
		{ "reader_forgeries", test_reader_forgeries },
		{ NULL, NULL },
	};
	unit_suite("tlog_tile", tests);
}
