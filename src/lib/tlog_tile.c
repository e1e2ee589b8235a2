/*
 * Tiles (include/csumdb/tile.h): coordinates, canonical paths, tile data,
 * and the authenticating tile hash reader.  Paths follow PROTOCOL.md
 * "Endpoints" (`tile/H/L/NNN[.p/W]`, N in base 1000 with `x` groups, `data`
 * for level -1); the tile math is x/mod sumdb/tlog tile.go's.  Unlike
 * x/mod 0.7.0, the reader checks every byte of every tile it fetches
 * against the signed root (right-edge tiles) or an authenticated parent
 * (full tiles) before it hands out any hash (CVE-2026-56865).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/tile.h"
#include "csumdb/tlog.h"
#include "limits.h"

/* Highest tree level a tree below 2^62 records completes (as tlog.c). */
#define MAX_LEVEL 62

int
sdb_tile_valid(const struct sdb_tile *t)
{
	int level, avail;

	if (t->h < SDB_TILE_MIN_HEIGHT || t->h > SDB_TILE_MAX_HEIGHT || t->l < -1 ||
	    t->n < 0 || t->w < 1 || t->w > (1 << t->h))
		return 0;
	if (t->l > MAX_LEVEL)
		return 0;
	level = t->l < 0 ? 0 : t->h * t->l;
	if (level > MAX_LEVEL)
		return 0;
	/* The last hash listed, n*2^h + w - 1 at this level, must exist in
	 * some tree below 2^62 records: below 2^(62 - level). */
	avail = MAX_LEVEL - level;
	if (t->h > avail)
		return t->n == 0 && (int64_t)(t->w - 1) < ((int64_t)1 << avail);
	return (t->n >> (avail - t->h)) == 0;
}

int
sdb_tile_format(const struct sdb_tile *t, char *buf, size_t cap, size_t *len)
{
	char tmp[SDB_TILE_PATH_MAX];
	int64_t groups[8], n = t->n;
	size_t at;
	int ng = 0, i, k;

	if (!sdb_tile_valid(t))
		return SDB_ERR_RANGE;
	do {
		groups[ng++] = n % 1000;
		n /= 1000;
	} while (n > 0);
	/* Every piece is bounded (h <= 30, l <= 62, 7 groups, w <= 2^30), so
	 * the whole path fits tmp; snprintf only guards the arithmetic. */
	if (t->l < 0)
		k = snprintf(tmp, sizeof tmp, "tile/%d/data/", t->h);
	else
		k = snprintf(tmp, sizeof tmp, "tile/%d/%d/", t->h, t->l);
	for (i = ng - 1; i > 0 && k > 0 && (size_t)k < sizeof tmp; i--)
		k += snprintf(tmp + k, sizeof tmp - (size_t)k, "x%03d/", (int)groups[i]);
	if (k > 0 && (size_t)k < sizeof tmp)
		k += snprintf(tmp + k, sizeof tmp - (size_t)k, "%03d", (int)groups[0]);
	if (k > 0 && (size_t)k < sizeof tmp && t->w != (1 << t->h))
		k += snprintf(tmp + k, sizeof tmp - (size_t)k, ".p/%d", t->w);
	if (k <= 0 || (size_t)k >= sizeof tmp)
		return SDB_ERR_INTERNAL;
	at = (size_t)k;
	if (at >= cap) {
		if (cap > 0)
			buf[0] = '\0';
		return SDB_ERR_TOO_LARGE;
	}
	memcpy(buf, tmp, at + 1);
	if (len != NULL)
		*len = at;
	return SDB_OK;
}

/* Reads 1..maxd decimal digits at p[*i..len) into *v (no sign, no limit
 * on leading zeros: canonical form is enforced by re-formatting). */
static int
get_digits(const char *p, size_t len, size_t *i, int maxd, int64_t *v)
{
	int64_t x = 0;
	int d = 0;

	while (*i < len && p[*i] >= '0' && p[*i] <= '9') {
		if (++d > maxd)
			return 0;
		x = x * 10 + (p[*i] - '0');
		(*i)++;
	}
	*v = x;
	return d > 0;
}

static int
expect(const char *p, size_t len, size_t *i, const char *lit)
{
	size_t k = strlen(lit);

	if (len - *i < k || memcmp(p + *i, lit, k) != 0)
		return 0;
	*i += k;
	return 1;
}

int
sdb_tile_parse(struct sdb_tile *t, const char *path, size_t len)
{
	struct sdb_tile r;
	char canon[SDB_TILE_PATH_MAX];
	size_t i = 0, clen;
	int64_t v, n = 0;
	int groups = 0;

	if (path == NULL || len >= SDB_TILE_PATH_MAX || !expect(path, len, &i, "tile/"))
		return SDB_ERR_INVALID;
	if (!get_digits(path, len, &i, 2, &v) || !expect(path, len, &i, "/"))
		return SDB_ERR_INVALID;
	r.h = (int)v;
	if (expect(path, len, &i, "data/")) {
		r.l = -1;
	} else {
		if (!get_digits(path, len, &i, 2, &v) || !expect(path, len, &i, "/"))
			return SDB_ERR_INVALID;
		r.l = (int)v;
	}
	/* N: groups "xDDD/" then a final "DDD"; 7 groups hold any n < 2^63. */
	for (;;) {
		int x = expect(path, len, &i, "x");

		if (++groups > 7 || !get_digits(path, len, &i, 3, &v) ||
		    n > (INT64_MAX - v) / 1000)
			return SDB_ERR_INVALID;
		n = n * 1000 + v;
		if (!x)
			break;
		if (!expect(path, len, &i, "/"))
			return SDB_ERR_INVALID;
	}
	r.n = n;
	if (r.h < SDB_TILE_MIN_HEIGHT || r.h > SDB_TILE_MAX_HEIGHT)
		return SDB_ERR_INVALID;
	r.w = 1 << r.h;
	if (i < len) {
		if (!expect(path, len, &i, ".p/") || !get_digits(path, len, &i, 10, &v) ||
		    i != len || v < 1 || v >= (int64_t)1 << r.h)
			return SDB_ERR_INVALID;
		r.w = (int)v;
	}
	if (sdb_tile_format(&r, canon, sizeof canon, &clen) != SDB_OK ||
	    clen != len || memcmp(canon, path, len) != 0)
		return SDB_ERR_INVALID;
	*t = r;
	return SDB_OK;
}

/* x/mod tileForIndex: also the byte range [*start, *end) of the hashes
 * that combine into index within the tile's data. */
static int
tile_for_index(int h, int64_t index, struct sdb_tile *t, size_t *start, size_t *end)
{
	int level, lev;
	int64_t n, nin;

	if (h < SDB_TILE_MIN_HEIGHT || h > SDB_TILE_MAX_HEIGHT || index < 0 ||
	    sdb_tlog_split_stored_hash_index(index, &level, &n) != SDB_OK ||
	    level > MAX_LEVEL || (n >> (MAX_LEVEL - level)) != 0)
		return SDB_ERR_RANGE;
	t->h = h;
	t->l = level / h;
	lev = level - t->l * h; /* level within the tile */
	t->n = (n << lev) >> h;
	nin = n - ((t->n << h) >> lev);
	t->w = (int)((nin + 1) << lev);
	if (start != NULL) {
		*start = (size_t)(nin << lev) * SDB_HASH_SIZE;
		*end = (size_t)((nin + 1) << lev) * SDB_HASH_SIZE;
	}
	return SDB_OK;
}

int
sdb_tile_for_index(int h, int64_t index, struct sdb_tile *t)
{
	return tile_for_index(h, index, t, NULL, NULL);
}

/* Hash of the complete subtree whose leaves are the cnt (a power of two)
 * hashes at data. */
static void
tile_hash(const uint8_t *data, size_t cnt, sdb_hash *out)
{
	sdb_hash l, r;

	if (cnt == 1) {
		memcpy(out->b, data, SDB_HASH_SIZE);
		return;
	}
	tile_hash(data, cnt / 2, &l);
	tile_hash(data + cnt / 2 * SDB_HASH_SIZE, cnt / 2, &r);
	sdb_tlog_node_hash(out, &l, &r);
}

int
sdb_tile_hash_from_tile(const struct sdb_tile *t, const uint8_t *data, size_t len,
    int64_t index, sdb_hash *out)
{
	struct sdb_tile t1;
	size_t start, end;

	if (!sdb_tile_valid(t) || t->l < 0 || tile_for_index(t->h, index, &t1, &start, &end) != SDB_OK)
		return SDB_ERR_RANGE;
	if (t1.l != t->l || t1.n != t->n || t1.w > t->w)
		return SDB_ERR_RANGE;
	if (len != (size_t)t->w * SDB_HASH_SIZE)
		return SDB_ERR_INVALID;
	tile_hash(data + start, (end - start) / SDB_HASH_SIZE, out);
	return SDB_OK;
}

static void
emit(struct sdb_tile *out, size_t cap, size_t *count, int h, int l, int64_t n, int w)
{
	if (*count < cap) {
		out[*count].h = h;
		out[*count].l = l;
		out[*count].n = n;
		out[*count].w = w;
	}
	(*count)++;
}

int
sdb_tile_new_tiles(int h, int64_t old_n, int64_t new_n, struct sdb_tile *out,
    size_t cap, size_t *count)
{
	int level;

	*count = 0;
	if (h < SDB_TILE_MIN_HEIGHT || h > SDB_TILE_MAX_HEIGHT || old_n < 0 || old_n > new_n ||
	    (new_n >> MAX_LEVEL) != 0)
		return SDB_ERR_RANGE;
	for (level = 0; h * level < 63 && (new_n >> (h * level)) > 0; level++) {
		int64_t oldN = old_n >> (h * level), newN = new_n >> (h * level), n;
		int64_t minW = 1, maxW;

		for (n = oldN >> h; n < newN >> h; n++)
			emit(out, cap, count, h, level, n, 1 << h);
		n = newN >> h;
		maxW = newN - (n << h);
		if (oldN > (n << h))
			minW = oldN - (n << h);
		for (; minW <= maxW; minW++)
			emit(out, cap, count, h, level, n, (int)minW);
	}
	return *count > cap ? SDB_ERR_TOO_LARGE : SDB_OK;
}

int
sdb_tile_read_data(const struct sdb_tile *t, const struct sdb_hash_reader *r,
    uint8_t *out, size_t cap)
{
	int64_t idx[256];
	sdb_hash h[256];
	int64_t start;
	int done = 0, k, err;

	if (!sdb_tile_valid(t) || t->l < 0)
		return SDB_ERR_RANGE;
	if (cap < (size_t)t->w * SDB_HASH_SIZE)
		return SDB_ERR_TOO_LARGE;
	start = t->n << t->h;
	while (done < t->w) {
		int batch = t->w - done < 256 ? t->w - done : 256;

		for (k = 0; k < batch; k++)
			idx[k] = sdb_tlog_stored_hash_index(t->h * t->l, start + done + k);
		if ((err = r->read(r->ctx, idx, (size_t)batch, h)) != SDB_OK)
			return err;
		for (k = 0; k < batch; k++)
			memcpy(out + (size_t)(done + k) * SDB_HASH_SIZE, h[k].b, SDB_HASH_SIZE);
		done += batch;
	}
	return SDB_OK;
}

/* --- the authenticating reader ----------------------------------------- */

/* x/mod tileParent: t's k'th ancestor, as wide as the tree of size
 * tree_n allows.  Returns 0 when the tree has no such tile. */
static int
tile_parent(struct sdb_tile *t, int k, int64_t tree_n)
{
	int64_t max;

	t->l += k;
	if (k * t->h >= 63)
		return 0;
	t->n >>= k * t->h;
	t->w = 1 << t->h;
	max = t->l * t->h >= 63 ? 0 : tree_n >> (t->l * t->h);
	if ((t->n << t->h) + t->w >= max) {
		if ((t->n << t->h) >= max)
			return 0;
		t->w = (int)(max - (t->n << t->h));
	}
	return 1;
}

struct plan {
	struct sdb_tile *tiles;
	size_t ntiles, cap;
};

/* Index of the tile with t's coordinates in the plan, or -1. */
static long
plan_find(const struct plan *p, const struct sdb_tile *t)
{
	size_t i;

	for (i = 0; i < p->ntiles; i++)
		if (p->tiles[i].l == t->l && p->tiles[i].n == t->n)
			return (long)i;
	return -1;
}

static int
plan_add(struct plan *p, const struct sdb_tile *t)
{
	if (p->ntiles == p->cap)
		return SDB_ERR_INTERNAL;
	p->tiles[p->ntiles++] = *t;
	return SDB_OK;
}

int
sdb_tile_read_hashes(const struct sdb_tree *tree, int h,
    const struct sdb_tile_source *src, const int64_t *indexes, size_t n,
    sdb_hash *out, struct sdb_errbuf *eb)
{
	int64_t stx[SDB_TLOG_MAX_LEVELS];
	size_t stx_tile[SDB_TLOG_MAX_LEVELS];
	size_t nstx = 0, i, nedge, *used = NULL, *lens = NULL, *pick = NULL;
	struct plan p = { NULL, 0, 0 };
	uint8_t *mem = NULL, **bufs = NULL;
	char path[SDB_TILE_PATH_MAX];
	int64_t limit, lo;
	size_t total;
	sdb_hash th = { { 0 } };
	int err;

	if (tree->n < 0 || (tree->n >> MAX_LEVEL) != 0 || h < SDB_TILE_MIN_HEIGHT ||
	    h > SDB_TILE_MAX_READ_HEIGHT)
		return sdb_errf(eb, SDB_ERR_RANGE, "tile reader: bad tree size or height");
	if (n > SDB_TILE_MAX_READ_INDEXES)
		return sdb_errf(eb, SDB_ERR_RANGE, "tile reader: %zu indexes in one read", n);
	if (n == 0)
		return SDB_OK;
	limit = sdb_tlog_stored_hash_count(tree->n);
	for (i = 0; i < n; i++)
		if (indexes[i] < 0 || indexes[i] >= limit)
			return sdb_errf(eb, SDB_ERR_RANGE, "tile reader: index %lld not in tree of %lld",
			    (long long)indexes[i], (long long)tree->n);

	/* At most one right-edge tile per level, plus, per index, one tile
	 * per level from its own up to the first already planned. */
	p.cap = (size_t)(63 / h + 2) * (n + 1);
	p.tiles = calloc(p.cap, sizeof *p.tiles);
	pick = calloc(n, sizeof *pick);
	if (p.tiles == NULL || pick == NULL) {
		err = SDB_ERR_NOMEM;
		goto done;
	}

	/* The complete subtrees of [0, tree->n), and the right-edge tiles
	 * holding their hashes: hashing those gives the root. */
	for (lo = 0; lo < tree->n; nstx++) {
		int level = 63 - __builtin_clzll((uint64_t)(tree->n - lo));
		struct sdb_tile t;
		long j;

		stx[nstx] = sdb_tlog_stored_hash_index(level, lo >> level);
		lo += (int64_t)1 << level;
		if (tile_for_index(h, stx[nstx], &t, NULL, NULL) != SDB_OK ||
		    !tile_parent(&t, 0, tree->n)) {
			err = SDB_ERR_INTERNAL;
			goto done;
		}
		if ((j = plan_find(&p, &t)) < 0) {
			if ((err = plan_add(&p, &t)) != SDB_OK)
				goto done;
			j = (long)p.ntiles - 1;
		}
		stx_tile[nstx] = (size_t)j;
	}
	nedge = p.ntiles;

	/* Each index's tile, preceded by any ancestors not yet planned, so
	 * that every tile's parent comes before it. */
	for (i = 0; i < n; i++) {
		struct sdb_tile t0, t;
		int k, kk;
		long j;

		if (tile_for_index(h, indexes[i], &t0, NULL, NULL) != SDB_OK) {
			err = SDB_ERR_INTERNAL;
			goto done;
		}
		for (k = 0;; k++) {
			t = t0;
			if (k > 64 || !tile_parent(&t, k, tree->n)) {
				err = SDB_ERR_INTERNAL;
				goto done;
			}
			if ((j = plan_find(&p, &t)) >= 0)
				break;
		}
		for (kk = k - 1; kk >= 0; kk--) {
			t = t0;
			/* A tile below another has all its width. */
			if (!tile_parent(&t, kk, tree->n) || t.w != (1 << h)) {
				err = SDB_ERR_INTERNAL;
				goto done;
			}
			if ((err = plan_add(&p, &t)) != SDB_OK)
				goto done;
			j = (long)p.ntiles - 1;
		}
		pick[i] = (size_t)j;
	}

	/* Fetch everything in one call. */
	total = 0;
	for (i = 0; i < p.ntiles; i++)
		total += (size_t)p.tiles[i].w * SDB_HASH_SIZE;
	mem = malloc(total);
	bufs = calloc(p.ntiles, sizeof *bufs);
	lens = calloc(p.ntiles, sizeof *lens);
	used = calloc(p.ntiles, sizeof *used);
	if (mem == NULL || bufs == NULL || lens == NULL || used == NULL) {
		err = SDB_ERR_NOMEM;
		goto done;
	}
	total = 0;
	for (i = 0; i < p.ntiles; i++) {
		bufs[i] = mem + total;
		total += (size_t)p.tiles[i].w * SDB_HASH_SIZE;
	}
	if ((err = src->read(src->ctx, p.tiles, p.ntiles, bufs, lens)) != SDB_OK) {
		sdb_errf(eb, err, "tile reader: fetching %zu tiles failed", p.ntiles);
		goto done;
	}
	for (i = 0; i < p.ntiles; i++) {
		if (lens[i] != (size_t)p.tiles[i].w * SDB_HASH_SIZE) {
			if (sdb_tile_format(&p.tiles[i], path, sizeof path, NULL) != SDB_OK)
				path[0] = '\0';
			err = sdb_errf(eb, SDB_ERR_INVALID, "tile %s: %zu bytes, want %zu", path,
			    lens[i], (size_t)p.tiles[i].w * SDB_HASH_SIZE);
			goto done;
		}
	}

	/* Right-edge tiles against the root.  The subtrees cover [0, n)
	 * exactly, so they use every byte of those tiles; count to make sure
	 * no byte escapes the check. */
	for (i = nstx; i > 0; i--) {
		size_t j = stx_tile[i - 1], start, end;
		struct sdb_tile t1;
		sdb_hash x;

		if (tile_for_index(h, stx[i - 1], &t1, &start, &end) != SDB_OK ||
		    sdb_tile_hash_from_tile(&p.tiles[j], bufs[j], lens[j], stx[i - 1], &x) != SDB_OK) {
			err = SDB_ERR_INTERNAL;
			goto done;
		}
		used[j] += end - start;
		if (i == nstx)
			th = x;
		else
			sdb_tlog_node_hash(&th, &x, &th);
	}
	for (i = 0; i < nedge; i++) {
		if (used[i] != lens[i]) {
			err = SDB_ERR_INTERNAL;
			goto done;
		}
	}
	if (nstx > 0 && memcmp(th.b, tree->hash.b, SDB_HASH_SIZE) != 0) {
		err = sdb_errf(eb, SDB_ERR_TILE_MISMATCH,
		    "tiles do not match the root of the tree of %lld records", (long long)tree->n);
		goto done;
	}

	/* Every other tile is complete and listed after its parent. */
	for (i = nedge; i < p.ntiles; i++) {
		struct sdb_tile par = p.tiles[i];
		sdb_hash want, got;
		long j;

		if (!tile_parent(&par, 1, tree->n) || (j = plan_find(&p, &par)) < 0 ||
		    (size_t)j >= i || p.tiles[i].w != (1 << h) ||
		    sdb_tile_hash_from_tile(&p.tiles[j], bufs[j], lens[j],
			sdb_tlog_stored_hash_index(par.l * h, p.tiles[i].n), &want) != SDB_OK) {
			err = SDB_ERR_INTERNAL;
			goto done;
		}
		tile_hash(bufs[i], (size_t)p.tiles[i].w, &got);
		if (memcmp(want.b, got.b, SDB_HASH_SIZE) != 0) {
			if (sdb_tile_format(&p.tiles[i], path, sizeof path, NULL) != SDB_OK)
				path[0] = '\0';
			err = sdb_errf(eb, SDB_ERR_TILE_MISMATCH, "tile %s does not match its parent", path);
			goto done;
		}
	}

	if (src->save != NULL)
		src->save(src->ctx, p.tiles, p.ntiles, (const uint8_t *const *)bufs);

	for (i = 0; i < n; i++) {
		if (sdb_tile_hash_from_tile(&p.tiles[pick[i]], bufs[pick[i]], lens[pick[i]],
		    indexes[i], &out[i]) != SDB_OK) {
			err = SDB_ERR_INTERNAL;
			goto done;
		}
	}
	err = SDB_OK;
done:
	free(p.tiles);
	free(pick);
	free(mem);
	free(bufs);
	free(lens);
	free(used);
	return err;
}

static int
thr_read(void *ctx, const int64_t *indexes, size_t n, sdb_hash *out)
{
	struct sdb_tile_hash_reader *thr = ctx;
	size_t done = 0;
	int err;

	while (done < n) {
		size_t k = n - done < SDB_TILE_MAX_READ_INDEXES ? n - done : SDB_TILE_MAX_READ_INDEXES;

		if ((err = sdb_tile_read_hashes(&thr->tree, thr->h, thr->src, indexes + done, k,
		    out + done, thr->eb)) != SDB_OK)
			return err;
		done += k;
	}
	return SDB_OK;
}

void
sdb_tile_hash_reader_init(struct sdb_tile_hash_reader *thr, const struct sdb_tree *tree,
    int h, const struct sdb_tile_source *src, struct sdb_errbuf *eb,
    struct sdb_hash_reader *r)
{
	thr->tree = *tree;
	thr->h = h;
	thr->src = src;
	thr->eb = eb;
	r->read = thr_read;
	r->ctx = thr;
}
