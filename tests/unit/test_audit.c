/* Unit tests for src/lib/audit.c and src/lib/dupidx.c: consistency of
 * two signed trees over in-memory logs built with the library (growth,
 * stale frontend, and forgery twins: a forked log, the same size with
 * another hash, a forged tile, a root of another tree), the data-tile
 * checks of a full audit (including x/mod 0.7.0's id lines), and the
 * duplicate index.  The state file has its own suite (test_state.c). */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csumdb/audit.h"
#include "csumdb/dupidx.h"
#include "csumdb/base64.h"
#include "csumdb/record.h"
#include "memlog.h"
#include "unit.h"

static void
test_consistent(void)
{
	struct sdb_tile_source src = { ml_tiles, NULL, &log_a };
	struct sdb_audit_result res;
	struct sdb_tree old, new;
	int64_t sizes[][2] = { { 0, 1 }, { 1, 2 }, { 500, 1000 }, { 256, 512 }, { 255, 257 },
		{ 777, 778 }, { 1000, 1000 } };
	size_t i;

	build();
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		old = tree_of(&log_a, sizes[i][0]);
		new = tree_of(&log_a, sizes[i][1]);
		CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src, &res, NULL), SDB_OK);
		CU_ASSERT_EQUAL(res.stale, 0);
		CU_ASSERT_EQUAL(sdb_audit_check_proof(&old, &new, res.proof, res.nproof), SDB_OK);
	}
	/* A stale frontend: the latest tree is a prefix of the accepted one. */
	old = tree_of(&log_a, 900);
	new = tree_of(&log_a, 400);
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src, &res, NULL), SDB_OK);
	CU_ASSERT_EQUAL(res.stale, 1);
	CU_ASSERT_EQUAL(sdb_audit_check_proof(&new, &old, res.proof, res.nproof), SDB_OK);
}

static void
test_fork(void)
{
	struct sdb_tile_source src_b = { ml_tiles, NULL, &log_b };
	struct sdb_audit_result res;
	struct sdb_errbuf eb;
	struct sdb_tree old, new, claimed;

	build();
	/* Honest twin: the shared prefix is consistent across the two logs. */
	old = tree_of(&log_a, SHARED);
	new = tree_of(&log_b, NREC);
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_b, &res, NULL), SDB_OK);

	/* Accepted A(500), now B(1000) from the same key: a fork. */
	old = tree_of(&log_a, 500);
	eb.msg[0] = '\0';
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_b, &res, &eb), SDB_ERR_FORK);
	CU_ASSERT(strstr(eb.msg, "not a prefix") != NULL);
	CU_ASSERT(memcmp(res.computed.b, old.hash.b, 32) != 0);
	/* The evidence: B(1000) proves B's tree of 500 has the computed hash,
	 * and that proof does not fit A(500). */
	claimed.n = 500;
	claimed.hash = res.computed;
	CU_ASSERT_EQUAL(sdb_audit_check_proof(&claimed, &new, res.proof, res.nproof), SDB_OK);
	CU_ASSERT_EQUAL(sdb_audit_check_proof(&old, &new, res.proof, res.nproof),
	    SDB_ERR_ROOT_MISMATCH);

	/* The same size with another hash. */
	new = tree_of(&log_b, 500);
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_b, &res, &eb), SDB_ERR_FORK);
	CU_ASSERT(strstr(eb.msg, "two different trees") != NULL);

	/* A stale tree that is not a prefix either. */
	old = tree_of(&log_a, 900);
	new = tree_of(&log_b, 400);
	{
		struct sdb_tile_source src_a = { ml_tiles, NULL, &log_a };
		CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_a, &res, NULL), SDB_ERR_FORK);
	}
}

static void
test_forged_tiles(void)
{
	struct sdb_tile_source src_a = { ml_tiles, NULL, &log_a };
	struct sdb_tile_source src_b = { ml_tiles, NULL, &log_b };
	struct sdb_audit_result res;
	struct sdb_tree old, new;
	int lvl;

	build();
	old = tree_of(&log_a, 500);
	new = tree_of(&log_a, 1000);
	/* A forged tile at either level is a tile mismatch, never a fork. */
	for (lvl = 0; lvl <= 1; lvl++) {
		log_a.tamper_level = lvl;
		CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_a, &res, NULL),
		    SDB_ERR_TILE_MISMATCH);
	}
	log_a.tamper_level = -1;
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_a, &res, NULL), SDB_OK);
	/* Tiles of another tree (log B) under A's signed root. */
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_b, &res, NULL),
	    SDB_ERR_TILE_MISMATCH);
	/* Sizes out of range. */
	new.n = -1;
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_a, &res, NULL), SDB_ERR_RANGE);
	/* The empty tree must hash to zeros. */
	old.n = 0;
	new = tree_of(&log_a, 10);
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_a, &res, NULL), SDB_ERR_FORK);
	memset(old.hash.b, 0, 32);
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_a, &res, NULL), SDB_OK);
}

static void
test_data_tile(void)
{
	static struct sdb_span recs[256];
	static sdb_hash leaves[256];
	struct sdb_hash_reader r = { ml_read_hashes, &log_a };
	struct sdb_span in[256];
	struct sdb_errbuf eb;
	sdb_hash root, want;
	static struct sdb_record parsed[256];
	char *tile = NULL, *old = NULL;
	size_t len = 0, i, olen = 0;
	long bad = 0;

	build();
	for (i = 0; i < 256; i++) {
		in[i].p = log_a.text[256 + i];
		in[i].len = log_a.tlen[256 + i];
	}
	CU_ASSERT_FATAL(sdb_data_tile_format(in, 256, &tile, &len, NULL) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_audit_data_tile(tile, len, 256, recs, NULL, leaves, &root, &bad,
	    &eb), SDB_OK);
	CU_ASSERT_EQUAL(bad, -1);
	CU_ASSERT_FATAL(ml_read_hashes(&log_a, (int64_t[]){ sdb_tlog_stored_hash_index(8, 1) }, 1,
	    &want) == SDB_OK);
	CU_ASSERT(memcmp(root.b, want.b, 32) == 0);
	CU_ASSERT(memcmp(leaves[3].b, log_a.stored[sdb_tlog_stored_hash_index(0, 259)].b, 32) == 0);
	(void)r;

	/* Twin: one record edited (still framed, no longer a go.sum record). */
	tile[0] = 'X';
	CU_ASSERT_EQUAL(sdb_audit_data_tile(tile, len, 256, recs, parsed, leaves, &root, &bad,
	    &eb), SDB_OK);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(parsed[0].path.p == NULL && parsed[1].path.p == recs[1].p);
	CU_ASSERT(parsed[1].version.p > parsed[1].path.p);
	CU_ASSERT(memcmp(root.b, want.b, 32) != 0);
	tile[0] = 'e';

	/* Twin: the x/mod 0.7.0 form with id lines is named as such. */
	olen = len + 256 * 4;
	CU_ASSERT_FATAL((old = malloc(olen + 1)) != NULL);
	olen = 0;
	for (i = 0; i < 2; i++) {
		olen += (size_t)snprintf(old + olen, 16, "%zu\n", 256 + i);
		memcpy(old + olen, in[i].p, in[i].len);
		olen += in[i].len;
	}
	eb.msg[0] = '\0';
	CU_ASSERT_EQUAL(sdb_audit_data_tile(old, olen, 2, recs, NULL, leaves, &root, &bad,
	    &eb),
	    SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "0.7.0") != NULL);
	/* Twin: a width that does not match. */
	CU_ASSERT_EQUAL(sdb_audit_data_tile(tile, len, 255, recs, NULL, leaves, &root, &bad,
	    &eb),
	    SDB_ERR_INVALID);
	free(old);
	free(tile);
}

/* Collects the pairs the duplicate index reports. */
struct pairs {
	int n;
	int64_t a[8], b[8];
};

static int
collect_pair(void *arg, const struct sdb_dupidx_entry *first, const struct sdb_dupidx_entry *again)
{
	struct pairs *p = arg;

	if (p->n < 8) {
		p->a[p->n] = sdb_dupidx_entry_id(first);
		p->b[p->n] = sdb_dupidx_entry_id(again);
	}
	p->n++;
	return SDB_OK;
}

/* Adds the entry of "m<k> v1.0.0" as record id. */
static void
add_entry(struct sdb_dupidx *d, int k, int64_t id)
{
	struct sdb_dupidx_entry e;
	struct sdb_errbuf eb;
	char pv[32];
	int n = snprintf(pv, sizeof pv, "m%d v1.0.0", k);

	sdb_dupidx_entry_make(&e, pv, (size_t)n, id);
	CU_ASSERT_EQUAL(sdb_dupidx_entry_id(&e), id);
	CU_ASSERT_EQUAL(sdb_dupidx_add(d, &e, &eb), SDB_OK);
}

/* One thread's sorts for test_dupidx_sort_threads: sorted stays 1 when
 * every sort gave a sorted array. */
struct sort_job {
	struct sdb_dupidx_entry *a, *tmp;
	size_t n;
	int seed, sorted;
	pthread_barrier_t *go;
};

static void *
sort_job_run(void *arg)
{
	struct sort_job *j = arg;
	size_t i;
	int round;

	j->sorted = 1;
	for (round = 0; round < 20; round++) {
		for (i = 0; i < j->n; i++) {
			char pv[48];
			int k = snprintf(pv, sizeof pv, "t%d r%d m%zu v1", j->seed, round, i);

			sdb_dupidx_entry_make(&j->a[i], pv, (size_t)k, (int64_t)i);
		}
		/* both threads sort at the same moment */
		pthread_barrier_wait(j->go);
		sdb_dupidx_sort(j->a, j->n, j->tmp);
		for (i = 1; i < j->n; i++)
			if (j->a[i].hi < j->a[i - 1].hi ||
			    (j->a[i].hi == j->a[i - 1].hi && j->a[i].lo <= j->a[i - 1].lo))
				j->sorted = 0;
	}
	return NULL;
}

/* Two threads sorting at once each get a sorted array (the bucket counts
 * were once one static array). */
static void
test_dupidx_sort_threads(void)
{
	pthread_barrier_t go;
	struct sort_job j[2];
	pthread_t th[2];
	int k;

	CU_ASSERT_FATAL(pthread_barrier_init(&go, NULL, 2) == 0);
	for (k = 0; k < 2; k++) {
		j[k].n = 50000;
		j[k].seed = k;
		j[k].go = &go;
		j[k].a = malloc(j[k].n * sizeof *j[k].a);
		j[k].tmp = malloc(j[k].n * sizeof *j[k].tmp);
		CU_ASSERT_FATAL(j[k].a != NULL && j[k].tmp != NULL);
	}
	for (k = 0; k < 2; k++)
		CU_ASSERT_FATAL(pthread_create(&th[k], NULL, sort_job_run, &j[k]) == 0);
	for (k = 0; k < 2; k++) {
		pthread_join(th[k], NULL);
		CU_ASSERT(j[k].sorted);
		free(j[k].a);
		free(j[k].tmp);
	}
	pthread_barrier_destroy(&go);
}

/* One lazy merge (at most 2 runs kept) from new_from: it compacts or
 * not as want_compacted says and reports exactly the pair (a, b). */
static void
lazy_merge_one_pair(struct sdb_dupidx *d, int64_t new_from, int want_compacted, int64_t a,
    int64_t b)
{
	struct sdb_errbuf eb;
	struct pairs pr;
	int compacted = -1;

	memset(&pr, 0, sizeof pr);
	CU_ASSERT_EQUAL(sdb_dupidx_merge_lazy(d, new_from, 2, collect_pair, &pr, &compacted, &eb),
	    SDB_OK);
	CU_ASSERT_EQUAL(compacted, want_compacted);
	CU_ASSERT(pr.n == 1 && pr.a[0] == a && pr.b[0] == b);
}

/* The lazy merge: the first merge makes the set; later, a few runs are
 * only read (nothing written, the runs kept for the next merge), more than
 * max_runs are merged into the set, and what was merged still pairs with
 * what comes later. */
static void
test_dupidx_lazy(void)
{
	char dir[] = "/tmp/csumdb-test-dupidx-XXXXXX", sp[80], set[96], nw[96];
	struct sdb_dupidx *d = NULL;
	struct sdb_errbuf eb;
	struct stat sb;
	int64_t len = -1;
	int i;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(sp, sizeof sp, "%s/state", dir);
	snprintf(set, sizeof set, "%s-dups", sp);
	snprintf(nw, sizeof nw, "%s-dups.new", sp);

	/* two runs, 0..4 and 5 (5 repeats m0), and no set yet: merged into
	 * a new set, so that a merged state always has one */
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 0, 1, &eb) == SDB_OK);
	for (i = 0; i < 5; i++)
		add_entry(d, i, i);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len, &eb), SDB_OK);
	add_entry(d, 0, 5);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len, &eb), SDB_OK);
	lazy_merge_one_pair(d, 0, 1, 0, 5);
	CU_ASSERT(stat(set, &sb) == 0 && sb.st_size == 16 + 6 * 16);
	CU_ASSERT_EQUAL(sdb_dupidx_clear_new(d, &eb), SDB_OK);
	sdb_dupidx_close(d);

	/* one run beside the set: read, not merged; the set not rewritten */
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 6, 0, &eb) == SDB_OK);
	len = -1;
	add_entry(d, 1, 6);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len, &eb), SDB_OK);
	lazy_merge_one_pair(d, 6, 0, 1, 6);
	CU_ASSERT(stat(set, &sb) == 0 && sb.st_size == 16 + 6 * 16);
	CU_ASSERT(stat(nw, &sb) == 0 && sb.st_size == len);
	sdb_dupidx_close(d);

	/* two runs more, three in all: merged into the set; only the new
	 * pair is reported */
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, len, 7, 0, &eb) == SDB_OK);
	add_entry(d, 2, 7);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len, &eb), SDB_OK);
	add_entry(d, 10, 8);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len, &eb), SDB_OK);
	lazy_merge_one_pair(d, 7, 1, 2, 7);
	CU_ASSERT(stat(set, &sb) == 0 && sb.st_size == 16 + 9 * 16);
	CU_ASSERT_EQUAL(sdb_dupidx_clear_new(d, &eb), SDB_OK);
	sdb_dupidx_close(d);

	/* the set alone pairs with a later record, and is not rewritten */
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 9, 0, &eb) == SDB_OK);
	add_entry(d, 4, 9);
	lazy_merge_one_pair(d, 9, 0, 4, 9);
	CU_ASSERT(stat(set, &sb) == 0 && sb.st_size == 16 + 9 * 16);
	sdb_dupidx_close(d);

	/* a merged state whose set is gone is told apart from one whose
	 * records have no entries (invalid records have none) */
	CU_ASSERT_EQUAL(sdb_dupidx_open(&d, sp, 0, 12, 0, &eb), SDB_OK);
	sdb_dupidx_close(d);
	CU_ASSERT_EQUAL(unlink(set), 0);
	CU_ASSERT_EQUAL(sdb_dupidx_open(&d, sp, 0, 9, 0, &eb), SDB_ERR_NOT_FOUND);
	CU_ASSERT_PTR_NULL(d);

	unlink(set);
	unlink(nw);
	rmdir(dir);
}

static void
test_dupidx(void)
{
	char dir[] = "/tmp/csumdb-test-dupidx-XXXXXX", sp[80], p2[96];
	struct sdb_dupidx_entry *a, *tmp;
	struct sdb_dupidx *d = NULL;
	struct sdb_errbuf eb;
	struct pairs pr;
	int64_t len = -1, len2 = -1;
	size_t i, n = 100000;
	int ok = 1;

	/* The sort: (hi, lo) order, whatever the input order. */
	a = malloc(n * sizeof *a);
	tmp = malloc(n * sizeof *tmp);
	CU_ASSERT_FATAL(a != NULL && tmp != NULL);
	for (i = 0; i < n; i++) {
		char pv[32];
		int k = snprintf(pv, sizeof pv, "x%zu v1", i % 70000);

		sdb_dupidx_entry_make(&a[i], pv, (size_t)k, (int64_t)(n - i));
	}
	sdb_dupidx_sort(a, n, tmp);
	for (i = 1; i < n; i++)
		if (a[i].hi < a[i - 1].hi || (a[i].hi == a[i - 1].hi && a[i].lo <= a[i - 1].lo))
			ok = 0;
	CU_ASSERT(ok);
	free(a);
	free(tmp);

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(sp, sizeof sp, "%s/state", dir);

	/* Run 1: one committed run (records 0..4), then records 5..6 lost to
	 * a crash before their commit. */
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 0, 1, &eb) == SDB_OK);
	for (i = 0; i < 5; i++)
		add_entry(d, (int)i, (int64_t)i);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len, &eb), SDB_OK);
	CU_ASSERT_EQUAL(len, 16 + 5 * 16);
	add_entry(d, 0, 5);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len2, &eb), SDB_OK);
	sdb_dupidx_close(d);

	/* Run 2 resumes from the committed length: record 5 is gone; it adds
	 * 5..9 (5 and 7 repeat m0 and m1; record 3 is seen again, as a
	 * resumed run does) and merges. */
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, len, 0, 0, &eb) == SDB_OK);
	add_entry(d, 0, 5);
	add_entry(d, 10, 6);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len2, &eb), SDB_OK);
	add_entry(d, 1, 7);
	add_entry(d, 3, 3);
	memset(&pr, 0, sizeof pr);
	CU_ASSERT_EQUAL(sdb_dupidx_merge(d, 0, collect_pair, &pr, &eb), SDB_OK);
	CU_ASSERT_EQUAL(pr.n, 2);
	CU_ASSERT((pr.a[0] == 0 && pr.b[0] == 5 && pr.a[1] == 1 && pr.b[1] == 7) ||
	    (pr.a[0] == 1 && pr.b[0] == 7 && pr.a[1] == 0 && pr.b[1] == 5));
	CU_ASSERT_EQUAL(sdb_dupidx_clear_new(d, &eb), SDB_OK);
	sdb_dupidx_close(d);

	/* Run 3 (merged up to 8): only pairs with a new record count; a merge
	 * replayed (a crash before the state said "merged up to 10") reports
	 * them again, and keeps record 8 once. */
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 0, 0, &eb) == SDB_OK);
	add_entry(d, 2, 8);
	add_entry(d, 0, 9);
	memset(&pr, 0, sizeof pr);
	CU_ASSERT_EQUAL(sdb_dupidx_merge(d, 8, collect_pair, &pr, &eb), SDB_OK);
	CU_ASSERT_EQUAL(pr.n, 2);
	sdb_dupidx_close(d);
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 0, 0, &eb) == SDB_OK);
	add_entry(d, 2, 8);
	memset(&pr, 0, sizeof pr);
	CU_ASSERT_EQUAL(sdb_dupidx_merge(d, 8, collect_pair, &pr, &eb), SDB_OK);
	CU_ASSERT_EQUAL(pr.n, 2);
	sdb_dupidx_close(d);

	/* A state that claims more than the files hold is refused: the runs
	 * file shorter than it says, or the merged set gone. */
	CU_ASSERT_EQUAL(sdb_dupidx_open(&d, sp, 4096, 0, 0, &eb), SDB_ERR_NOT_FOUND);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 9, 0, &eb) == SDB_OK);
	sdb_dupidx_close(d);
	snprintf(p2, sizeof p2, "%s-dups", sp);
	CU_ASSERT(unlink(p2) == 0);
	CU_ASSERT_EQUAL(sdb_dupidx_open(&d, sp, 0, 9, 0, &eb), SDB_ERR_NOT_FOUND);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT(strstr(eb.msg, "is missing") != NULL);
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 0, 0, &eb) == SDB_OK);
	sdb_dupidx_close(d);

	snprintf(p2, sizeof p2, "%s-dups", sp);
	unlink(p2);
	snprintf(p2, sizeof p2, "%s-dups.new", sp);
	unlink(p2);
	rmdir(dir);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "consistent", test_consistent },
		{ "fork", test_fork },
		{ "forged_tiles", test_forged_tiles },
		{ "data_tile", test_data_tile },
		{ "dupidx", test_dupidx },
		{ "dupidx_lazy", test_dupidx_lazy },
		{ "dupidx_sort_threads", test_dupidx_sort_threads },
		{ NULL, NULL },
	};
	unit_suite("audit", tests);
}
