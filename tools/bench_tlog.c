/*
 * Benchmark (not a test) of the tlog module, run by tools/bench-tlog beside
 * tools/bench_tlog.go (x/mod) on the same inputs:
 *
 *   bench_tlog RECORDS PROOFS
 *
 * builds the stored hashes of RECORDS go.sum-like records with the append
 * frontier, then proves and checks PROOFS random inclusion proofs in the
 * final tree.  Prints "root HEX", "records_per_s X", "proofs_per_s Y".
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "csumdb/tlog.h"

static sdb_hash *stored;

static int
mem_read(void *ctx, const int64_t *idx, size_t n, sdb_hash *out)
{
	size_t i;

	(void)ctx;
	for (i = 0; i < n; i++)
		out[i] = stored[idx[i]];
	return SDB_OK;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t
arg(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	return *s != '\0' && *end == '\0' && v > 0 ? (int64_t)v : -1;
}

int
main(int argc, char **argv)
{
	struct sdb_hash_reader r = { mem_read, NULL };
	struct sdb_tlog_frontier f;
	sdb_hash out[SDB_TLOG_MAX_STORED], th, p[SDB_TLOG_MAX_PROOF];
	int64_t nrec, nproof, i, at = 0;
	uint64_t x = 88172645463325252ULL;
	size_t k;
	double t0, t1;
	char text[256];

	if (argc != 3 || (nrec = arg(argv[1])) < 0 || (nproof = arg(argv[2])) < 0) {
		fprintf(stderr, "usage: bench_tlog RECORDS PROOFS\n");
		return 1;
	}
	if (sdb_crypto_init() != SDB_OK)
		return 1;
	stored = malloc((size_t)sdb_tlog_stored_hash_count(nrec) * sizeof *stored);
	if (stored == NULL)
		return 1;
	sdb_tlog_frontier_init(&f);
	t0 = now();
	for (i = 0; i < nrec; i++) {
		/* The same text as bench_tlog.go: two go.sum lines, ~150 bytes. */
		int len = snprintf(text, sizeof text,
		    "example.com/module/number%08" PRId64 " v1.2.3 h1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=\n"
		    "example.com/module/number%08" PRId64 " v1.2.3/go.mod h1:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb=\n",
		    i, i);
		sdb_hash leaf;

		sdb_tlog_record_hash(&leaf, text, (size_t)len);
		if (sdb_tlog_frontier_append(&f, &leaf, out, &k) != SDB_OK)
			return 1;
		memcpy(stored + at, out, k * sizeof *out);
		at += (int64_t)k;
	}
	t1 = now();
	sdb_tlog_frontier_root(&f, &th);
	printf("root ");
	for (k = 0; k < 32; k++)
		printf("%02x", th.b[k]);
	printf("\nrecords_per_s %.0f\n", (double)nrec / (t1 - t0));

	t0 = now();
	for (i = 0; i < nproof; i++) {
		int64_t n;
		size_t np;

		/* xorshift64: a fixed sequence of record numbers */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		n = (int64_t)(x % (uint64_t)nrec);
		if (sdb_tlog_prove_record(nrec, n, &r, p, &np) != SDB_OK ||
		    sdb_tlog_check_record(p, np, nrec, &th, n, &stored[sdb_tlog_stored_hash_index(0, n)]) != SDB_OK) {
			fprintf(stderr, "proof %" PRId64 " failed\n", n);
			return 1;
		}
	}
	t1 = now();
	printf("proofs_per_s %.0f\n", (double)nproof / (t1 - t0));
	free(stored);
	return 0;
}
