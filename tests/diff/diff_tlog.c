/*
 * Differential driver for the tlog and tile modules (tests/diff/tlog.sh).
 *
 *   diff_tlog check SEED CASES   reads `oracle gen-tlog` lines and checks
 *                                csumdb computes the same (and accepts
 *                                x/mod's proofs, and refuses them forged)
 *   diff_tlog gen SEED CASES     writes proofs, tree hashes and tile paths
 *                                made by csumdb for `oracle check-tlog`
 *
 * The line format is described in tests/oracle/tlog.go.  Both sides build
 * the log whose record i is "record SEED i\n".
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "csumdb/tile.h"
#include "csumdb/tlog.h"
#include "difflib.h"

struct log {
	sdb_hash *stored;
	int64_t nstored;
	int64_t n;
};

static int
log_read(void *ctx, const int64_t *idx, size_t n, sdb_hash *out)
{
	const struct log *l = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		if (idx[i] < 0 || idx[i] >= l->nstored)
			return SDB_ERR_NOT_FOUND;
		out[i] = l->stored[idx[i]];
	}
	return SDB_OK;
}

/* Builds the shared log two ways (frontier, and reader-based stored
 * hashes) and insists they agree. */
static int
log_build(struct log *l, int64_t seed, int64_t n)
{
	struct sdb_hash_reader r = { log_read, l };
	struct sdb_tlog_frontier f;
	sdb_hash out[SDB_TLOG_MAX_STORED], out2[SDB_TLOG_MAX_STORED];
	size_t k, k2, j;
	int64_t i;

	l->stored = malloc((size_t)(2 * n + 64) * sizeof *l->stored);
	if (l->stored == NULL)
		return -1;
	l->nstored = 0;
	l->n = 0;
	sdb_tlog_frontier_init(&f);
	for (i = 0; i < n; i++) {
		char text[64];
		int len = snprintf(text, sizeof text, "record %" PRId64 " %" PRId64 "\n", seed, i);
		sdb_hash leaf;

		sdb_tlog_record_hash(&leaf, text, (size_t)len);
		if (sdb_tlog_stored_hashes(i, text, (size_t)len, &r, out2, &k2) != SDB_OK ||
		    sdb_tlog_frontier_append(&f, &leaf, out, &k) != SDB_OK || k != k2 ||
		    memcmp(out, out2, k * sizeof *out) != 0) {
			fprintf(stderr, "frontier and stored hashes disagree at record %" PRId64 "\n", i);
			return -1;
		}
		for (j = 0; j < k; j++)
			l->stored[l->nstored++] = out[j];
		l->n++;
	}
	return 0;
}

static int
root(const struct log *l, int64_t n, sdb_hash *h)
{
	struct sdb_hash_reader r = { log_read, (void *)(uintptr_t)l };

	return sdb_tlog_tree_hash(n, &r, h);
}

static int
num(const char *s, int64_t *v)
{
	char *end;
	long long x;

	if (*s == '\0')
		return -1;
	x = strtoll(s, &end, 10);
	if (*end != '\0')
		return -1;
	*v = x;
	return 0;
}

/* Parses "-" or comma-separated hex hashes into h (room for cap). */
static int
hash_list(const char *s, sdb_hash *h, size_t cap, size_t *n)
{
	*n = 0;
	if (strcmp(s, "-") == 0)
		return 0;
	for (;;) {
		const char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);

		if (*n >= cap || diff_unhex_n(h[*n].b, SDB_HASH_SIZE, s, len) != 0)
			return -1;
		(*n)++;
		if (c == NULL)
			return 0;
		s = c + 1;
	}
}

static int
tile_source_read(void *ctx, const struct sdb_tile *tiles, size_t n, uint8_t *const *bufs,
    size_t *lens)
{
	const struct log *l = ctx;
	struct sdb_hash_reader r = { log_read, (void *)(uintptr_t)l };
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		lens[i] = (size_t)tiles[i].w * SDB_HASH_SIZE;
		if ((err = sdb_tile_read_data(&tiles[i], &r, bufs[i], lens[i])) != SDB_OK)
			return err;
	}
	return SDB_OK;
}

static int
check_line(const struct log *l, char *line, char *orig)
{
	char *f[8], buf[SDB_TILE_PATH_MAX], *p;
	size_t nf = diff_split(line, f, 8), np, np2;
	sdb_hash a, b, proof[SDB_TLOG_MAX_PROOF], mine[SDB_TLOG_MAX_PROOF];
	uint8_t data[256 * SDB_HASH_SIZE];
	struct sdb_hash_reader r = { log_read, (void *)(uintptr_t)l };
	int64_t v[6];
	size_t i;

	if (strcmp(f[0], "tree") == 0 && nf == 3) {
		struct sdb_tlog_frontier fr;

		if (num(f[1], &v[0]) || diff_unhex_n(a.b, 32, f[2], strlen(f[2])) || root(l, v[0], &b) ||
		    memcmp(a.b, b.b, 32) != 0)
			return -1;
		/* The frontier loaded at that size gives the same root. */
		if (sdb_tlog_frontier_load(&fr, v[0], &r) != SDB_OK)
			return -1;
		sdb_tlog_frontier_root(&fr, &b);
		return memcmp(a.b, b.b, 32) == 0 ? 0 : -1;
	}
	if (strcmp(f[0], "index") == 0 && nf == 4) {
		int level;
		int64_t n;

		if (num(f[1], &v[0]) || num(f[2], &v[1]) || num(f[3], &v[2]))
			return -1;
		if (sdb_tlog_stored_hash_index((int)v[0], v[1]) != v[2])
			return -1;
		if (sdb_tlog_split_stored_hash_index(v[2], &level, &n) != SDB_OK || level != v[0] ||
		    n != v[1])
			return -1;
		return 0;
	}
	if (strcmp(f[0], "count") == 0 && nf == 3) {
		if (num(f[1], &v[0]) || num(f[2], &v[1]))
			return -1;
		return sdb_tlog_stored_hash_count(v[0]) == v[1] ? 0 : -1;
	}
	if ((strcmp(f[0], "rproof") == 0 || strcmp(f[0], "tproof") == 0) && nf == 6) {
		int rec = f[0][0] == 'r';
		int (*check)(const sdb_hash *, size_t, int64_t, const sdb_hash *, int64_t,
		    const sdb_hash *) = rec ? sdb_tlog_check_record : sdb_tlog_check_tree;

		if (num(f[1], &v[0]) || num(f[2], &v[1]) || diff_unhex_n(a.b, 32, f[3], strlen(f[3])) ||
		    diff_unhex_n(b.b, 32, f[4], strlen(f[4])) ||
		    hash_list(f[5], proof, SDB_TLOG_MAX_PROOF, &np) != 0)
			return -1;
		/* Go's proof checks; ours is byte-identical. */
		if (check(proof, np, v[0], &a, v[1], &b) != SDB_OK)
			return -1;
		if ((rec ? sdb_tlog_prove_record : sdb_tlog_prove_tree)(v[0], v[1], &r, mine, &np2) !=
		    SDB_OK || np2 != np || memcmp(mine, proof, np * sizeof *proof) != 0)
			return -1;
		/* Forgeries: a flipped bit, a hash too many or too few, the
		 * wrong size. */
		if (np > 0) {
			mine[np / 2].b[7] ^= 0x10;
			if (check(mine, np, v[0], &a, v[1], &b) != SDB_ERR_ROOT_MISMATCH)
				return -1;
			if (check(proof, np - 1, v[0], &a, v[1], &b) != SDB_ERR_PROOF_LENGTH)
				return -1;
		}
		proof[np] = a;
		if (check(proof, np + 1, v[0], &a, v[1], &b) != SDB_ERR_PROOF_LENGTH)
			return -1;
		/* Another tree size, with that tree's true root. */
		if (v[0] < l->n) {
			sdb_hash a2;

			if (root(l, v[0] + 1, &a2) != SDB_OK ||
			    check(proof, np, v[0] + 1, &a2, v[1], &b) == SDB_OK)
				return -1;
		}
		return 0;
	}
	if (strcmp(f[0], "path") == 0 && nf == 6) {
		struct sdb_tile t, t2;
		size_t len;

		if (num(f[1], &v[0]) || num(f[2], &v[1]) || num(f[3], &v[2]) || num(f[4], &v[3]))
			return -1;
		t.h = (int)v[0];
		t.l = (int)v[1];
		t.n = v[2];
		t.w = (int)v[3];
		if (sdb_tile_format(&t, buf, sizeof buf, &len) != SDB_OK || strcmp(buf, f[5]) != 0)
			return -1;
		if (sdb_tile_parse(&t2, f[5], strlen(f[5])) != SDB_OK || t2.h != t.h || t2.l != t.l ||
		    t2.n != t.n || t2.w != t.w)
			return -1;
		return 0;
	}
	if (strcmp(f[0], "tiledata") == 0 && nf == 6) {
		struct sdb_tile t;
		uint8_t want[256 * SDB_HASH_SIZE];

		if (num(f[1], &v[0]) || num(f[2], &v[1]) || num(f[3], &v[2]) || num(f[4], &v[3]))
			return -1;
		t.h = (int)v[0];
		t.l = (int)v[1];
		t.n = v[2];
		t.w = (int)v[3];
		if (t.w > 256 || diff_unhex_n(want, (size_t)t.w * SDB_HASH_SIZE, f[5], strlen(f[5])) ||
		    sdb_tile_read_data(&t, &r, data, 256 * SDB_HASH_SIZE) != SDB_OK ||
		    memcmp(want, data, (size_t)t.w * SDB_HASH_SIZE) != 0)
			return -1;
		/* Every hash at the tile's index positions comes back out of it. */
		for (i = 0; i < (size_t)t.w; i++) {
			int64_t x = sdb_tlog_stored_hash_index(t.h * t.l, (t.n << t.h) + (int64_t)i);

			if (sdb_tile_hash_from_tile(&t, data, (size_t)t.w * SDB_HASH_SIZE, x, &a) ||
			    memcmp(a.b, data + i * SDB_HASH_SIZE, 32) != 0)
				return -1;
		}
		return 0;
	}
	if (strcmp(f[0], "newtiles") == 0 && nf == 5) {
		static struct sdb_tile ts[8192];
		size_t cnt;

		if (num(f[1], &v[0]) || num(f[2], &v[1]) || num(f[3], &v[2]) ||
		    sdb_tile_new_tiles((int)v[0], v[1], v[2], ts, 8192, &cnt) != SDB_OK)
			return -1;
		p = f[4];
		if (strcmp(p, "-") == 0)
			return cnt == 0 ? 0 : -1;
		for (i = 0; i < cnt; i++) {
			size_t len;

			if (sdb_tile_format(&ts[i], buf, sizeof buf, &len) != SDB_OK ||
			    strncmp(p, buf, len) != 0 || (p[len] != ',' && p[len] != '\0'))
				return -1;
			p += len;
			if (*p == ',')
				p++;
			else if (i + 1 != cnt)
				return -1;
		}
		return *p == '\0' ? 0 : -1;
	}
	if (strcmp(f[0], "tileread") == 0 && nf == 5) {
		struct sdb_tile_source src = { tile_source_read, NULL, (void *)(uintptr_t)l };
		struct sdb_tree tree;
		int64_t idx[16];
		size_t nidx = 0;
		struct sdb_errbuf eb;

		if (num(f[1], &v[0]) || num(f[2], &v[1]) || hash_list(f[4], proof, 16, &np))
			return -1;
		for (p = f[3]; nidx < 16;) {
			char *c = strchr(p, ',');

			if (c)
				*c = '\0';
			if (num(p, &idx[nidx++]))
				return -1;
			if (!c)
				break;
			p = c + 1;
		}
		tree.n = v[1];
		if (root(l, tree.n, &tree.hash) != SDB_OK || nidx != np)
			return -1;
		if (sdb_tile_read_hashes(&tree, (int)v[0], &src, idx, nidx, mine, &eb) != SDB_OK) {
			fprintf(stderr, "%s\n", eb.msg);
			return -1;
		}
		if (memcmp(mine, proof, np * sizeof *proof) != 0)
			return -1;
		return 0;
	}
	(void)orig;
	return -1;
}

static int64_t
rndn(int64_t n)
{
	return (int64_t)(diff_rnd() % (uint64_t)n);
}

static void
print_hashes(const sdb_hash *h, size_t n)
{
	char x[65];
	size_t i;

	if (n == 0)
		fputs("-", stdout);
	for (i = 0; i < n; i++) {
		diff_hex(x, h[i].b, 32);
		printf("%s%s", i ? "," : "", x);
	}
}

/* A tile path: a valid one, often mutated by a byte edit. */
static void
gen_path(char *buf, size_t cap)
{
	static const char alphabet[] = "0123456789x/.pdta-+ ";
	struct sdb_tile t;
	size_t len;

	do {
		t.h = 1 + (int)rndn(30);
		t.l = -1 + (int)rndn(62 / t.h + 2);
		t.n = rndn(4) == 0 ? rndn(2000) : rndn((int64_t)1 << 40);
		t.w = 1 + (int)rndn((int64_t)1 << t.h);
		if (rndn(3) == 0)
			t.w = 1 << t.h;
	} while (sdb_tile_format(&t, buf, cap, &len) != SDB_OK);
	switch (rndn(6)) {
	case 0: /* replace a byte */
		buf[rndn((int64_t)len)] = alphabet[rndn(sizeof alphabet - 1)];
		break;
	case 1: /* insert a byte */
		if (len + 2 < cap) {
			size_t at = (size_t)rndn((int64_t)len + 1);

			memmove(buf + at + 1, buf + at, len - at + 1);
			buf[at] = alphabet[rndn(sizeof alphabet - 1)];
		}
		break;
	case 2: /* delete a byte */
		{
			size_t at = (size_t)rndn((int64_t)len);

			memmove(buf + at, buf + at + 1, len - at);
		}
		break;
	default:
		break;
	}
}

static int
gen(const struct log *l, int64_t cases)
{
	struct sdb_hash_reader r = { log_read, (void *)(uintptr_t)l };
	sdb_hash proof[SDB_TLOG_MAX_PROOF], a, b;
	char x[65], y[65], buf[SDB_TILE_PATH_MAX + 8];
	int64_t i;
	size_t np;

	for (i = 1; i <= cases; i++) {
		if (root(l, i, &a) != SDB_OK)
			return -1;
		diff_hex(x, a.b, 32);
		printf("tree\t%" PRId64 "\t%s\n", i, x);
	}
	for (i = 0; i < cases; i++) {
		int64_t t = 1 + rndn(l->n), n = rndn(t);

		if (sdb_tlog_prove_record(t, n, &r, proof, &np) != SDB_OK || root(l, t, &a) != SDB_OK)
			return -1;
		b = l->stored[sdb_tlog_stored_hash_index(0, n)];
		diff_hex(x, a.b, 32);
		diff_hex(y, b.b, 32);
		printf("rproof\t%" PRId64 "\t%" PRId64 "\t%s\t%s\t", t, n, x, y);
		print_hashes(proof, np);
		putchar('\n');
		n = 1 + rndn(t);
		if (sdb_tlog_prove_tree(t, n, &r, proof, &np) != SDB_OK || root(l, n, &b) != SDB_OK)
			return -1;
		diff_hex(y, b.b, 32);
		printf("tproof\t%" PRId64 "\t%" PRId64 "\t%s\t%s\t", t, n, x, y);
		print_hashes(proof, np);
		putchar('\n');
	}
	for (i = 0; i < cases; i++) {
		struct sdb_tile t;
		size_t len;

		do {
			t.h = 1 + (int)rndn(30);
			t.l = -1 + (int)rndn(62 / t.h + 2);
			t.n = rndn(2) ? rndn(1000) : rndn((int64_t)1 << 30);
			t.w = 1 + (int)rndn((int64_t)1 << t.h);
		} while (sdb_tile_format(&t, buf, sizeof buf, &len) != SDB_OK);
		printf("path\t%d\t%d\t%" PRId64 "\t%d\t%s\n", t.h, t.l, t.n, t.w, buf);
	}
	for (i = 0; i < cases; i++) {
		struct sdb_tile t;
		size_t len, j;

		gen_path(buf, sizeof buf);
		len = strlen(buf);
		/* Go's strconv.Unquote syntax; our alphabet needs no escapes. */
		printf("pathacc\t\"");
		for (j = 0; j < len; j++)
			putchar(buf[j]);
		if (sdb_tile_parse(&t, buf, len) == SDB_OK)
			printf("\"\t1\t%d\t%d\t%" PRId64 "\t%d\n", t.h, t.l, t.n, t.w);
		else
			printf("\"\t0\t0\t0\t0\t0\n");
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct log l;
	int64_t seed, cases;
	char *line = NULL, *copy = NULL;
	size_t cap = 0;
	long nline = 0, bad = 0;

	if (argc != 4 || num(argv[2], &seed) || num(argv[3], &cases) || cases < 2 ||
	    cases > 10000000) {
		fprintf(stderr, "usage: diff_tlog check|gen SEED CASES\n");
		return 1;
	}
	if (sdb_crypto_init() != SDB_OK || log_build(&l, seed, cases) != 0)
		return 1;
	if (strcmp(argv[1], "gen") == 0) {
		diff_rng = (uint64_t)seed;
		if (gen(&l, cases) != 0) {
			fprintf(stderr, "diff_tlog gen: failed\n");
			return 1;
		}
		free(l.stored);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (strcmp(argv[1], "check") != 0)
		return 1;
	while (diff_getline(&line, &cap, stdin) >= 0) {
		free(copy);
		if ((copy = strdup(line)) == NULL)
			return 1;
		nline++;
		if (check_line(&l, line, copy) != 0) {
			if (++bad <= 20)
				printf("MISMATCH: %s\n", copy);
		}
	}
	free(line);
	free(copy);
	free(l.stored);
	printf("diff_tlog check: %ld lines, %ld mismatches\n", nline, bad);
	return bad == 0 && nline > 0 ? 0 : 1;
}
