/* Unit tests for src/lib/audit_lookup.c: accepting a record served by
 * another log, over in-memory logs built with the library, in the order
 * both programs check a lookup answer (the tree against the accepted one,
 * then the record in the tree).  Each accepted case (first contact,
 * growth, the same tree, a stale smaller tree) has forgery twins that must
 * be refused: a record that is not the leaf (another text, another id, an
 * id past the tree), a forked tree, a forged tile at level 0 and 1, tiles
 * of another tree. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/audit_lookup.h"
#include "csumdb/record.h"
#include "memlog.h"
#include "unit.h"

/* Checks tree t against acc (NULL: first contact), then record id of t
 * with the text of record text_of of m, from the tiles of serve. */
static int
check(const struct sdb_tree *acc, const struct sdb_tree *t, int64_t id, struct memlog *m,
    int64_t text_of, struct memlog *serve)
{
	struct sdb_tile_source src = { ml_tiles, NULL, serve };
	struct sdb_audit_result res;
	int err;

	if (acc != NULL && (err = sdb_audit_consistency(acc, t, 8, &src, &res, NULL)) != SDB_OK)
		return err;
	return sdb_audit_inclusion(t, id, m->text[text_of], m->tlen[text_of], 8, &src, NULL);
}

static void
test_accept(void)
{
	struct sdb_tree acc, t;

	build();
	/* First contact: the record checked in the tree alone. */
	t = tree_of(&log_a, 400);
	CU_ASSERT_EQUAL(check(NULL, &t, 5, &log_a, 5, &log_a), SDB_OK);
	/* Growth: consistent with the accepted tree. */
	acc = t;
	t = tree_of(&log_a, 650);
	CU_ASSERT_EQUAL(check(&acc, &t, 600, &log_a, 600, &log_a), SDB_OK);
	/* The same tree. */
	CU_ASSERT_EQUAL(check(&t, &t, 256, &log_a, 256, &log_a), SDB_OK);
	/* A stale (smaller) tree that is a prefix. */
	acc = tree_of(&log_a, 650);
	t = tree_of(&log_a, 300);
	CU_ASSERT_EQUAL(check(&acc, &t, 299, &log_a, 299, &log_a), SDB_OK);
}

static void
test_record_twins(void)
{
	struct sdb_tree t;

	build();
	t = tree_of(&log_a, 400);
	/* Another record's text at this id; this record under another id. */
	CU_ASSERT_EQUAL(check(NULL, &t, 5, &log_a, 6, &log_a), SDB_ERR_RECORD_MISMATCH);
	CU_ASSERT_EQUAL(check(NULL, &t, 6, &log_a, 5, &log_a), SDB_ERR_RECORD_MISMATCH);
	/* A record that exists, but past the signed tree (the lookup's own
	 * id cannot make it part of the tree). */
	CU_ASSERT_EQUAL(check(NULL, &t, 450, &log_a, 450, &log_a), SDB_ERR_RECORD_MISMATCH);
	CU_ASSERT_EQUAL(check(NULL, &t, -1, &log_a, 0, &log_a), SDB_ERR_RECORD_MISMATCH);
	/* B's record (same path, other hashes) against A's tree. */
	CU_ASSERT_EQUAL(check(NULL, &t, 350, &log_b, 350, &log_a), SDB_ERR_RECORD_MISMATCH);
	CU_ASSERT_EQUAL(check(NULL, &t, 350, &log_a, 350, &log_a), SDB_OK);
}

static void
test_fork_twins(void)
{
	struct sdb_tree acc, t;

	build();
	/* Honest twin: B shares A's first SHARED records. */
	acc = tree_of(&log_a, SHARED);
	t = tree_of(&log_b, 600);
	CU_ASSERT_EQUAL(check(&acc, &t, 550, &log_b, 550, &log_b), SDB_OK);
	/* Accepted A(500), now B(600) under the same key: a fork, and the
	 * record served is really in B's tree. */
	acc = tree_of(&log_a, 500);
	CU_ASSERT_EQUAL(check(&acc, &t, 550, &log_b, 550, &log_b), SDB_ERR_FORK);
	/* The same size with another hash. */
	t = tree_of(&log_b, 500);
	CU_ASSERT_EQUAL(check(&acc, &t, 10, &log_b, 10, &log_b), SDB_ERR_FORK);
	/* A stale tree that is not a prefix of the accepted one. */
	acc = tree_of(&log_a, 650);
	t = tree_of(&log_b, 400);
	{
		struct sdb_tile_source src_b = { ml_tiles, NULL, &log_b };
		struct sdb_tile_source src_a = { ml_tiles, NULL, &log_a };
		struct sdb_audit_result res;
		int64_t idx = sdb_tlog_stored_hash_index(0, 350);
		sdb_hash h;

		/* inclusion from B's tiles, consistency must come from the
		 * accepted tree's: serve each from its own log */
		CU_ASSERT_EQUAL(sdb_tile_read_hashes(&t, 8, &src_b, &idx, 1, &h, NULL), SDB_OK);
		CU_ASSERT_EQUAL(sdb_audit_consistency(&acc, &t, 8, &src_a, &res, NULL), SDB_ERR_FORK);
	}
}

static void
test_forged_tiles(void)
{
	struct sdb_tree acc, t;
	int lvl;

	build();
	acc = tree_of(&log_a, 300);
	t = tree_of(&log_a, 650);
	/* A forged tile at either level: a tile mismatch, nothing accepted. */
	for (lvl = 0; lvl <= 1; lvl++) {
		log_a.tamper_level = lvl;
		CU_ASSERT_EQUAL(check(&acc, &t, 600, &log_a, 600, &log_a), SDB_ERR_TILE_MISMATCH);
		CU_ASSERT_EQUAL(check(NULL, &t, 100, &log_a, 100, &log_a), SDB_ERR_TILE_MISMATCH);
	}
	log_a.tamper_level = -1;
	CU_ASSERT_EQUAL(check(&acc, &t, 600, &log_a, 600, &log_a), SDB_OK);
	/* Tiles of another tree under A's signed root, with B's record. */
	CU_ASSERT_EQUAL(check(&acc, &t, 600, &log_b, 600, &log_b), SDB_ERR_TILE_MISMATCH);
	/* Sizes out of range. */
	t.n = -1;
	CU_ASSERT_EQUAL(check(&acc, &t, 0, &log_a, 0, &log_a), SDB_ERR_RANGE);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "accept", test_accept },
		{ "record_twins", test_record_twins },
		{ "fork_twins", test_fork_twins },
		{ "forged_tiles", test_forged_tiles },
		{ NULL, NULL },
	};
	unit_suite("audit_lookup", tests);
}
