/* Fuzz target: the verifier's checks of the hash tiles a lying log serves
 * (sdb_tile_hash_from_tile, sdb_tile_read_hashes, sdb_audit_consistency,
 * sdb_audit_inclusion).  The first bytes build an honest log of a few to a
 * few hundred records and a fork of it; the rest is a list of commands
 * that pick signed trees (of either log, or forged), corrupt the tiles
 * served (flipped bytes, wrong lengths, tiles of another level, another
 * place or the other log, swapped hashes, an error) and run a check.
 *
 * A check that succeeds vouches only for what the logs really hold: for a
 * tree a log has, a hash read, a record included or a prefix proved only
 * when the log holds it, and tiles saved as authenticated only the log's
 * own.  A forged tree passes only with tiles forged to match it (the liar
 * may build any tree out of hashes it has, e.g. a record hash where a
 * subtree was), and then its proof of consistency checks.  With honest
 * tiles every check succeeds, or finds the fork.
 * Every refusal is an error code; ASan sees any read out of bounds (tiles
 * live in buffers of their exact size). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/audit.h"
#include "csumdb/audit_lookup.h"
#include "csumdb/tile.h"
#include "csumdb/tlog.h"
#include "fuzz.h"

#define FT_MAXREC 400
#define FT_MAXMUT 8
#define FT_MAXCMD 24

struct ft_log {
	sdb_hash stored[2 * FT_MAXREC + 64];
	int64_t nstored;
};

struct ft_mut {
	int kind;
	unsigned sel, a, b;
};

struct ft_src {
	struct ft_log *logs[2];
	int log;                        /* the log whose tiles are served */
	struct ft_mut muts[FT_MAXMUT];
	size_t nmut;
	unsigned serial;                /* tiles served during this check */
	int h;
	unsigned genuine;               /* logs holding the tree being checked */
};

static int64_t ft_nrec, ft_shared;

static void
ft_text(char *buf, size_t cap, int log, int64_t i, size_t *len)
{
	int n = snprintf(buf, cap, "%c %lld\n", i < ft_shared ? 's' : log ? 'b' : 'a', (long long)i);

	*len = (size_t)n;
}

static int
ft_read(void *ctx, const int64_t *idx, size_t n, sdb_hash *out)
{
	struct ft_log *l = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		if (idx[i] < 0 || idx[i] >= l->nstored)
			return SDB_ERR_RANGE;
		out[i] = l->stored[idx[i]];
	}
	return SDB_OK;
}

static void
ft_build(struct ft_log *l, int log)
{
	int64_t i;

	l->nstored = 0;
	for (i = 0; i < ft_nrec; i++) {
		struct sdb_hash_reader r = { ft_read, l };
		char text[32];
		size_t len, k = 0;

		ft_text(text, sizeof text, log, i, &len);
		if (sdb_tlog_stored_hashes(i, text, len, &r, l->stored + l->nstored, &k) != SDB_OK)
			__builtin_trap();
		l->nstored += (int64_t)k;
	}
}

/* The honest bytes of a tile of height h at level lev, position n, width
 * w from log l; returns 0 when the log does not hold all of it (the rest
 * is zero). */
static int
ft_fill(const struct ft_log *l, int h, int lev, int64_t n, int w, uint8_t *buf)
{
	int64_t idx;
	int k, all = 1;

	for (k = 0; k < w; k++) {
		idx = h * lev < 63 && n <= (INT64_MAX >> h) - k ?
		    sdb_tlog_stored_hash_index(h * lev, (n << h) + k) : -1;
		if (idx >= 0 && idx < l->nstored) {
			memcpy(buf + (size_t)k * SDB_HASH_SIZE, l->stored[idx].b, SDB_HASH_SIZE);
		} else {
			memset(buf + (size_t)k * SDB_HASH_SIZE, 0, SDB_HASH_SIZE);
			all = 0;
		}
	}
	return all;
}

static int
ft_tiles(void *ctx, const struct sdb_tile *tiles, size_t n, uint8_t *const *bufs, size_t *lens)
{
	struct ft_src *s = ctx;
	size_t i, j, room;

	for (i = 0; i < n; i++, s->serial++) {
		const struct sdb_tile *t = &tiles[i];

		if (t->h != s->h || t->l < 0 || t->w < 1 || t->w > (1 << t->h))
			__builtin_trap(); /* the reader asks only for its own tiles */
		room = (size_t)t->w * SDB_HASH_SIZE;
		lens[i] = room;
		(void)ft_fill(s->logs[s->log], t->h, t->l, t->n, t->w, bufs[i]);
		for (j = 0; j < s->nmut; j++) {
			const struct ft_mut *m = &s->muts[j];
			size_t off = (m->a | m->b << 8) % room;
			uint8_t tmp[SDB_HASH_SIZE];

			/* sel < 128: the tile served sel'th; else every tile of
			 * level sel % 8 */
			if (m->sel < 128 ? m->sel != s->serial : (unsigned)t->l != m->sel % 8)
				continue;
			switch (m->kind) {
			case 0:  /* flip bits */
				bufs[i][off] ^= (uint8_t)(m->b | 1);
				break;
			case 1:  /* truncated */
				lens[i] = room - 1 - m->a % room;
				break;
			case 2:  /* longer than asked */
				lens[i] = room + 1 + m->a;
				break;
			case 3:  /* a tile of another level, same place */
				(void)ft_fill(s->logs[s->log], t->h, (int)(m->a % 4), t->n, t->w, bufs[i]);
				break;
			case 4:  /* the same level, another place */
				(void)ft_fill(s->logs[s->log], t->h, t->l, t->n ^ (m->a + 1), t->w,
				    bufs[i]);
				break;
			case 5:  /* the other log's tile */
				(void)ft_fill(s->logs[!s->log], t->h, t->l, t->n, t->w, bufs[i]);
				break;
			case 6:  /* a narrower tile, its honest bytes, its length */
				lens[i] = (size_t)(1 + m->a % (unsigned)t->w) * SDB_HASH_SIZE;
				break;
			case 7:  /* two hashes swapped */
				if (t->w > 1) {
					size_t x = m->a % (unsigned)t->w, y = m->b % (unsigned)t->w;

					memcpy(tmp, bufs[i] + x * SDB_HASH_SIZE, SDB_HASH_SIZE);
					memcpy(bufs[i] + x * SDB_HASH_SIZE, bufs[i] + y * SDB_HASH_SIZE,
					    SDB_HASH_SIZE);
					memcpy(bufs[i] + y * SDB_HASH_SIZE, tmp, SDB_HASH_SIZE);
				}
				break;
			case 8:  /* the tail overwritten from one hash on */
				memset(bufs[i] + off / SDB_HASH_SIZE * SDB_HASH_SIZE, m->b,
				    room - off / SDB_HASH_SIZE * SDB_HASH_SIZE);
				break;
			default: /* the server fails */
				return SDB_ERR_IO;
			}
		}
	}
	return SDB_OK;
}

/* Tiles the reader authenticated must be those of a log holding the tree
 * it checked (any, for a forged tree with forged tiles). */
static void
ft_save(void *ctx, const struct sdb_tile *tiles, size_t n, const uint8_t *const *data)
{
	struct ft_src *s = ctx;
	uint8_t *want;
	size_t i;
	int log, ok;

	if (s->genuine == 0 && s->nmut > 0)
		return;
	for (i = 0; i < n; i++) {
		want = malloc((size_t)tiles[i].w * SDB_HASH_SIZE);
		if (want == NULL)
			__builtin_trap();
		for (ok = 0, log = 0; log < 2 && !ok; log++)
			ok = (s->genuine >> log & 1) &&
			    ft_fill(s->logs[log], tiles[i].h, tiles[i].l, tiles[i].n, tiles[i].w, want) &&
			    memcmp(want, data[i], (size_t)tiles[i].w * SDB_HASH_SIZE) == 0;
		free(want);
		if (!ok)
			__builtin_trap();
	}
}

struct ft_tree {
	struct sdb_tree t;
	unsigned genuine;               /* bit i: log i has this tree */
};

static void
ft_tree_hash(struct ft_log *l, int64_t n, sdb_hash *out)
{
	struct sdb_hash_reader r = { ft_read, l };

	if (sdb_tlog_tree_hash(n, &r, out) != SDB_OK)
		__builtin_trap();
}

/* A signed tree picked by c[0..2): either log's, or a forged hash. */
static void
ft_pick_tree(struct ft_log *const *logs, const uint8_t *c, struct ft_tree *out)
{
	sdb_hash ha, hb;
	int64_t n = (c[0] | (c[1] & 1) << 8) % (ft_nrec + 1);

	out->t.n = n;
	ft_tree_hash(logs[(c[1] >> 1) & 1], n, &out->t.hash);
	switch ((c[1] >> 2) % 4) {
	case 2:  /* a bit flipped */
		out->t.hash.b[c[1] >> 4 & 31] ^= 1;
		break;
	case 3:  /* another size's hash */
		ft_tree_hash(logs[0], (n + 1 + c[0]) % (ft_nrec + 1), &out->t.hash);
		break;
	}
	ft_tree_hash(logs[0], n, &ha);
	ft_tree_hash(logs[1], n, &hb);
	out->genuine = (memcmp(ha.b, out->t.hash.b, SDB_HASH_SIZE) == 0) |
	    (memcmp(hb.b, out->t.hash.b, SDB_HASH_SIZE) == 0) << 1;
}

static void
ft_hash_from_tile(struct ft_log *l, const uint8_t *c)
{
	struct sdb_tile t;
	int64_t idx;
	size_t len;
	uint8_t *buf;
	sdb_hash out;
	int honest, err;

	t.h = 1 + c[0] % 8;
	t.l = (int)(c[0] >> 3) % 6 - 1;
	t.n = c[1] % 8;
	t.w = 1 + c[2] % (1 << t.h);
	idx = c[3] | (c[4] & 7) << 8;
	if (c[4] & 0x80)
		idx = -idx;
	len = (size_t)t.w * SDB_HASH_SIZE;
	if (c[4] & 0x40 && c[5] & 0x80)
		len += 1 + c[5] % 64u;
	else if (c[4] & 0x40)
		len -= len < 1 + c[5] % 64u ? len : 1 + c[5] % 64u;
	buf = malloc(len ? len : 1);
	if (buf == NULL)
		__builtin_trap();
	honest = 0;
	if (len == (size_t)t.w * SDB_HASH_SIZE && t.l >= 0)
		honest = ft_fill(l, t.h, t.l, t.n, t.w, buf);
	else
		memset(buf, 0xa5, len);
	err = sdb_tile_hash_from_tile(&t, buf, len, idx, &out);
	if (err == SDB_OK) {
		struct sdb_tile t1;

		/* only the tile holding idx, given in full */
		if (len != (size_t)t.w * SDB_HASH_SIZE || t.l < 0 || idx < 0 ||
		    sdb_tile_for_index(t.h, idx, &t1) != SDB_OK || t1.l != t.l || t1.n != t.n ||
		    t1.w > t.w)
			__builtin_trap();
		if (honest && idx < l->nstored && memcmp(out.b, l->stored[idx].b, SDB_HASH_SIZE) != 0)
			__builtin_trap();
	} else if (err != SDB_ERR_RANGE && err != SDB_ERR_INVALID) {
		__builtin_trap();
	}
	free(buf);
}

/* The refusals a check may give when the tiles lie. */
static int
ft_refusal(int err)
{
	return err == SDB_ERR_TILE_MISMATCH || err == SDB_ERR_INVALID || err == SDB_ERR_IO;
}

SDB_FUZZ_TARGET(tile_auth)
{
	static struct ft_log logs[2];
	static const int heights[] = { 1, 2, 3, 4, 8 };
	struct ft_log *lp[2] = { &logs[0], &logs[1] };
	struct ft_src s;
	struct sdb_tile_source src = { ft_tiles, ft_save, &s };
	size_t pos, ncmd;

	if (size < 4)
		return 0;
	ft_nrec = 1 + (data[0] | data[1] << 8) % FT_MAXREC;
	ft_shared = (int64_t)data[3] * (ft_nrec + 1) / 256;
	ft_build(&logs[0], 0);
	ft_build(&logs[1], 1);
	memset(&s, 0, sizeof s);
	s.logs[0] = &logs[0];
	s.logs[1] = &logs[1];
	s.h = heights[data[2] % 5];

	for (pos = 4, ncmd = 0; pos + 8 <= size && ncmd < FT_MAXCMD; pos += 8, ncmd++) {
		const uint8_t *c = data + pos;
		struct ft_tree a, b;
		int err;

		s.serial = 0;
		s.log = c[0] >> 7;
		switch (c[0] & 7) {
		case 0:  /* a corruption for the checks that follow */
			if (s.nmut < FT_MAXMUT) {
				s.muts[s.nmut].kind = c[1] % 10;
				s.muts[s.nmut].sel = c[2];
				s.muts[s.nmut].a = c[3] | (unsigned)c[4] << 8;
				s.muts[s.nmut].b = c[5];
				s.nmut++;
			}
			break;
		case 1:  /* honest tiles again */
			s.nmut = 0;
			break;
		case 2:
			ft_hash_from_tile(&logs[s.log], c + 1);
			break;
		case 3: { /* stored hashes of a tree */
			int64_t idx[4];
			sdb_hash out[4];
			size_t k, n = 1 + c[3] % 4;

			ft_pick_tree(lp, c + 1, &a);
			for (k = 0; k < n; k++) {
				int64_t lim = sdb_tlog_stored_hash_count(a.t.n);

				idx[k] = (c[4 + k] | (c[7] & 3) << 8) % (lim + 1 + (c[7] >> 7));
			}
			s.genuine = a.genuine;
			err = sdb_tile_read_hashes(&a.t, s.h, &src, idx, n, out, NULL);
			if (err == SDB_OK) {
				if (a.genuine == 0 && s.nmut == 0)
					__builtin_trap();
				for (k = 0; k < n; k++)
					if (idx[k] >= sdb_tlog_stored_hash_count(a.t.n) ||
					    (a.genuine != 0 && memcmp(out[k].b,
					    logs[a.genuine & 1 ? 0 : 1].stored[idx[k]].b, SDB_HASH_SIZE) != 0))
						__builtin_trap();
			} else if (err == SDB_ERR_RANGE) {
				for (k = 0; k < n && idx[k] < sdb_tlog_stored_hash_count(a.t.n); k++)
					;
				if (k == n)
					__builtin_trap();
			} else if (!ft_refusal(err) || (s.nmut == 0 && (a.genuine >> s.log & 1))) {
				__builtin_trap();
			}
			break;
		}
		case 4: { /* consistency of two trees */
			struct sdb_audit_result res;
			const struct ft_tree *small, *big;
			int prefix;

			ft_pick_tree(lp, c + 1, &a);
			ft_pick_tree(lp, c + 3, &b);
			small = a.t.n <= b.t.n ? &a : &b;
			big = a.t.n <= b.t.n ? &b : &a;
			prefix = (small->genuine & big->genuine) != 0 ||
			    (a.t.n == b.t.n && memcmp(a.t.hash.b, b.t.hash.b, SDB_HASH_SIZE) == 0) ||
			    (small->t.n == 0 && small->genuine != 0);
			s.genuine = big->genuine;
			err = sdb_audit_consistency(&a.t, &b.t, s.h, &src, &res, NULL);
			if (err == SDB_OK) {
				if (!prefix && (big->genuine != 0 || s.nmut == 0))
					__builtin_trap();
				if (small->t.n > 0 && small->t.n < big->t.n &&
				    sdb_audit_check_proof(&small->t, &big->t, res.proof, res.nproof) != SDB_OK)
					__builtin_trap();
			} else if (err == SDB_ERR_FORK) {
				if (prefix && big->genuine != 0)
					__builtin_trap();
			} else if (!ft_refusal(err) || (s.nmut == 0 && (big->genuine >> s.log & 1))) {
				__builtin_trap();
			}
			/* honest tiles of a log holding both: accepted */
			if (s.nmut == 0 && (small->genuine & big->genuine) >> s.log & 1 && err != SDB_OK)
				__builtin_trap();
			break;
		}
		case 5: { /* a record in a tree */
			char text[32];
			size_t len;
			int64_t id = (c[3] | (c[4] & 1) << 8) - (c[4] >> 7);
			int64_t tid = c[5] & 1 ? id : (c[6] | (c[4] & 2) << 7) % ft_nrec;
			int tlog = c[5] >> 1 & 1, match;

			ft_pick_tree(lp, c + 1, &a);
			ft_text(text, sizeof text, tlog, tid, &len);
			/* the text is record id of a log holding the tree */
			match = id >= 0 && id < a.t.n && tid == id &&
			    ((a.genuine >> tlog & 1) || tid < ft_shared);
			match = match && a.genuine != 0;
			s.genuine = a.genuine;
			err = sdb_audit_inclusion(&a.t, id, text, len, s.h, &src, NULL);
			if (err == SDB_OK) {
				if (a.genuine ? !match : s.nmut == 0)
					__builtin_trap();
			} else if (err == SDB_ERR_RECORD_MISMATCH) {
				if (match)
					__builtin_trap();
			} else if (!ft_refusal(err) || (s.nmut == 0 && (a.genuine >> s.log & 1))) {
				__builtin_trap();
			}
			break;
		}
		default:
			break;
		}
	}
	return 0;
}
