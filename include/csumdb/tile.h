/*
 * Tiles of a transparency log (x/mod sumdb/tlog tile.go; PROTOCOL.md
 * "Endpoints"): tile coordinates and their canonical paths
 * `tile/H/L/NNN[.p/W]`, which stored hashes a tile holds, which tiles a
 * growing tree publishes, and a hash reader that authenticates every tile
 * against its parent tile and the signed tree root before using any hash
 * from it (the check x/mod 0.7.0 lacks, CVE-2026-56865).
 */
#ifndef CSUMDB_TILE_H
#define CSUMDB_TILE_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"
#include "csumdb/hash.h"
#include "csumdb/tlog.h"

/*
 * A tile of height h (1..30) at level l lists w (1..2^h) consecutive hashes
 * of tree level h*l, starting at hash n*2^h.  l = -1 is the data tile: the
 * texts of records n*2^h .. n*2^h+w-1.  w = 2^h is a complete tile.
 */
struct sdb_tile {
	int h;
	int l;
	int64_t n;
	int w;
};

/* Longest canonical tile path, with its NUL: "tile/30/data/" + 7 groups of
 * N (n < 2^63) + ".p/" + 10 digits fits easily. */
#define SDB_TILE_PATH_MAX 96

/*
 * Returns 1 when t is a tile csumdb accepts: 1 <= h <= 30, -1 <= l,
 * 1 <= w <= 2^h, n >= 0, and every hash it lists is one a tree below 2^62
 * records can hold (its stored index is computable); 0 otherwise.  This is
 * stricter than x/mod, which formats tiles no log can ever have.
 */
int sdb_tile_valid(const struct sdb_tile *t);

/*
 * Writes t's canonical path (NUL-terminated) into buf[0..cap) and its
 * length, without the NUL, into *len (len may be NULL).  Returns SDB_OK,
 * SDB_ERR_RANGE (t not sdb_tile_valid) or SDB_ERR_TOO_LARGE (cap too small;
 * SDB_TILE_PATH_MAX is always enough).
 */
int sdb_tile_format(const struct sdb_tile *t, char *buf, size_t cap, size_t *len) SDB_WARN_UNUSED;

/*
 * Parses path[0..len) (not NUL-terminated) as a tile path.  Only canonical
 * spellings are accepted: the result re-formats to exactly the same bytes,
 * and a `.p/W` suffix needs 1 <= W < 2^H.  Returns SDB_OK (t set) or
 * SDB_ERR_INVALID (t untouched).
 */
int sdb_tile_parse(struct sdb_tile *t, const char *path, size_t len) SDB_WARN_UNUSED;

/*
 * The tile of height h and least width holding stored hash index.
 * Returns SDB_OK, or SDB_ERR_RANGE (h outside 1..30, index < 0 or beyond
 * what a tree below 2^62 records has).
 */
int sdb_tile_for_index(int h, int64_t index, struct sdb_tile *t) SDB_WARN_UNUSED;

/*
 * The stored hash at index, computed from t's data[0..len) (t's hashes,
 * 32 bytes each).  t must be sdb_tile_for_index(t->h, index) or a wider
 * tile of the same coordinates, with l >= 0.  Returns SDB_OK,
 * SDB_ERR_RANGE (t invalid or not holding index) or SDB_ERR_INVALID (len is
 * not t->w * 32).  The data is NOT authenticated here.
 */
int sdb_tile_hash_from_tile(const struct sdb_tile *t, const uint8_t *data, size_t len,
    int64_t index, sdb_hash *out) SDB_WARN_UNUSED;

/*
 * The hash tiles (l >= 0) of height h to publish when a tree grows from
 * old_n to new_n records (x/mod NewTiles): every completed tile, and each
 * width of the partial tiles that appear.  Writes at most cap tiles to out
 * (may be NULL when cap is 0) and the total into *count.  Returns SDB_OK,
 * SDB_ERR_RANGE (h outside 1..30, or not 0 <= old_n <= new_n < 2^62), or
 * SDB_ERR_TOO_LARGE (cap < *count; the first cap tiles are written).
 */
int sdb_tile_new_tiles(int h, int64_t old_n, int64_t new_n, struct sdb_tile *out,
    size_t cap, size_t *count) SDB_WARN_UNUSED;

/*
 * The bytes of hash tile t (l >= 0), read from the stored hashes through r
 * in batches: w * 32 bytes into out[0..cap).  Returns SDB_OK, SDB_ERR_RANGE
 * (t invalid or a data tile), SDB_ERR_TOO_LARGE (cap < w * 32), or r's
 * error.
 */
int sdb_tile_read_data(const struct sdb_tile *t, const struct sdb_hash_reader *r,
    uint8_t *out, size_t cap) SDB_WARN_UNUSED;

/*
 * Where an authenticating reader gets tiles (a cache, a server).
 *
 * read() is given tiles[0..n) and, for each, a buffer bufs[i] with room for
 * exactly tiles[i].w * 32 bytes.  It fills the buffer and sets lens[i] to
 * the length of the tile it found (it may report a different length, but
 * must never write more than the room); returns SDB_OK or a negative
 * enum sdb_err that is passed through.  Nothing it returns is trusted.
 *
 * save(), when not NULL, is called once per successful read with the tiles
 * that were authenticated against the tree, and their data; a cache should
 * persist only those.  Pointers are valid only during the call.
 */
struct sdb_tile_source {
	int (*read)(void *ctx, const struct sdb_tile *tiles, size_t n,
	    uint8_t *const *bufs, size_t *lens);
	void (*save)(void *ctx, const struct sdb_tile *tiles, size_t n,
	    const uint8_t *const *data);
	void *ctx;
};

/* Most hash tile height the reader accepts: a tile of 2^16 hashes is
 * 2 MiB; sum.golang.org uses 8. */
#define SDB_TILE_MAX_READ_HEIGHT 16

/* Most indexes one sdb_tile_read_hashes call takes (bounds its memory). */
#define SDB_TILE_MAX_READ_INDEXES 1024

/*
 * Reads the stored hashes at indexes[0..n) of the signed tree (tree->n,
 * tree->hash) from tiles of height h fetched through src, into out[0..n).
 * Every tile fetched is authenticated before any hash from it is used: the
 * tiles on the tree's right edge must hash to tree->hash, and every other
 * tile must hash to the entry for it in its (already authenticated) parent.
 *
 * Returns SDB_OK; SDB_ERR_RANGE (h outside 1..16, n above
 * SDB_TILE_MAX_READ_INDEXES, an index not in the tree); SDB_ERR_INVALID (a
 * tile came back with the wrong length: tile of the wrong width);
 * SDB_ERR_TILE_MISMATCH (the tiles do not match the signed root, or a tile
 * does not match its parent); SDB_ERR_NOMEM; or src's error.  eb (may be
 * NULL) receives a line naming the tile at fault.
 */
int sdb_tile_read_hashes(const struct sdb_tree *tree, int h,
    const struct sdb_tile_source *src, const int64_t *indexes, size_t n,
    sdb_hash *out, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * A struct sdb_hash_reader over sdb_tile_read_hashes, so tree hashes and
 * proofs can be computed from authenticated tiles.  thr is caller storage
 * that must outlive *r; src must outlive it too.  Batches larger than
 * SDB_TILE_MAX_READ_INDEXES are split.
 */
struct sdb_tile_hash_reader {
	struct sdb_tree tree;
	int h;
	const struct sdb_tile_source *src;
	struct sdb_errbuf *eb;
};
void sdb_tile_hash_reader_init(struct sdb_tile_hash_reader *thr, const struct sdb_tree *tree,
    int h, const struct sdb_tile_source *src, struct sdb_errbuf *eb,
    struct sdb_hash_reader *r);

#endif
