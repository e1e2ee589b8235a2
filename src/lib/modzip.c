/*
 * Module zip checks and their h1: hash (include/csumdb/modzip.h), after
 * x/mod zip/zip.go (checkZip, Unzip's size checks, collisionChecker,
 * strToFold) and sumdb/dirhash/hash.go (HashZip), reading the zip as Go
 * 1.19's archive/zip reads it (reader.go).  The only file of csumdb that
 * uses zlib.
 *
 * Two passes over the entries: first the names and declared sizes (from
 * the central directory, nothing inflated), then the contents, one entry
 * at a time through a fixed buffer into SHA-256, stopping as soon as an
 * entry passes its declared size or the total passes the limit, or the
 * entries' data read together passes the file's size.  What the
 * go command reads is what it hashes, so every byte hashed is found the
 * way archive/zip finds it; where other zip readers would find something
 * else, the zip is refused.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "bytes.h"
#include "crypto.h"
#include "csumdb/dirhash.h"
#include "csumdb/modzip.h"
#include "csumdb/module.h"
#include "fileio.h"
#include "limits.h"
#include "modzip_fold.h"

/* The end of central directory record: the smallest zip there is. */
#define EOCD_SIZE 22

/* Its comment length is 16 bits: an end record whose comment runs to the
 * end of the file starts in the last EOCD_SIZE + 0xFFFF bytes. */
#define EOCD_SEARCH (EOCD_SIZE + 0xFFFF)

/* The zip64 end of central directory record (without extensible data, as
 * archive/zip writes it) and its locator. */
#define EOCD64_SIZE 56
#define EOCD64_LOC_SIZE 20

/* A central directory header without its name, extra field and comment,
 * and a local file header likewise. */
#define CDH_SIZE 46
#define LFH_SIZE 30

#define SIG_LFH 0x04034b50u
#define SIG_CDH 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_EOCD64_LOC 0x07064b50u
#define SIG_DD 0x08074b50u

/* The extra field tag of zip64 sizes and offset. */
#define EF_ZIP64 0x0001

/* The host system in "version made by" whose external attributes hold a
 * Unix mode. */
#define CREATOR_UNIX 3

/* Bytes read from an entry at a time. */
#define READ_CHUNK (64 * 1024)

/* --- names ----------------------------------------------------------------- */

/* Go's utf8.ValidString: no overlongs, surrogates or runes past U+10FFFF. */
static int
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		uint32_t r, min;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			k = 1, r = c & 0x1F, min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			k = 2, r = c & 0x0F, min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			k = 3, r = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xC0) != 0x80)
				return 0;
			r = r << 6 | (s[i + j] & 0x3F);
		}
		if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
			return 0;
		i += k + 1;
	}
	return 1;
}

static uint32_t
decode(const unsigned char *s, size_t *k)
{
	if (s[0] < 0x80) {
		*k = 1;
		return s[0];
	}
	if ((s[0] & 0xE0) == 0xC0) {
		*k = 2;
		return (uint32_t)(s[0] & 0x1F) << 6 | (s[1] & 0x3F);
	}
	if ((s[0] & 0xF0) == 0xE0) {
		*k = 3;
		return (uint32_t)(s[0] & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
	}
	*k = 4;
	return (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 |
	    (uint32_t)(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
}

static size_t
encode(unsigned char *o, uint32_t r)
{
	if (r < 0x80) {
		o[0] = (unsigned char)r;
		return 1;
	}
	if (r < 0x800) {
		o[0] = (unsigned char)(0xC0 | r >> 6);
		o[1] = (unsigned char)(0x80 | (r & 0x3F));
		return 2;
	}
	if (r < 0x10000) {
		o[0] = (unsigned char)(0xE0 | r >> 12);
		o[1] = (unsigned char)(0x80 | (r >> 6 & 0x3F));
		o[2] = (unsigned char)(0x80 | (r & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | r >> 18);
	o[1] = (unsigned char)(0x80 | (r >> 12 & 0x3F));
	o[2] = (unsigned char)(0x80 | (r >> 6 & 0x3F));
	o[3] = (unsigned char)(0x80 | (r & 0x3F));
	return 4;
}

static uint32_t
fold_rune(uint32_t r)
{
	size_t lo = 0, hi = sizeof sdb_fold_table / sizeof sdb_fold_table[0];

	if (r < 0x80)
		return r >= 'A' && r <= 'Z' ? r + ('a' - 'A') : r;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sdb_fold_table[mid][0] == r)
			return sdb_fold_table[mid][1];
		if (sdb_fold_table[mid][0] < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return r;
}

/* x/mod strToFold of valid UTF-8 s[0..n) into a new string (4 bytes per
 * rune at most); NULL when out of memory. */
static char *
str_to_fold(const char *s, size_t n, size_t *outn)
{
	unsigned char *o = malloc(n * 4 + 1);
	size_t i = 0, m = 0;

	if (o == NULL)
		return NULL;
	while (i < n) {
		size_t k;
		uint32_t r = decode((const unsigned char *)s + i, &k);

		m += encode(o + m, fold_rune(r));
		i += k;
	}
	o[m] = '\0';
	*outn = m;
	return (char *)o;
}

/* --- x/mod collisionChecker -------------------------------------------------- */

/*
 * x/mod's collisionChecker, in memory and time linear in the names: each
 * name is folded once, and a slot for the name or one of its parent
 * directories borrows a prefix of that fold (a rune folds to a rune other
 * than '/', so the n-th '/' of a name is the n-th of its fold); the
 * hashes of all the prefixes come from one pass over the fold.  Folding
 * each parent apart, as x/mod does, costs the square of the name's
 * length: gigabytes for one 64 KiB name of one-letter directories.
 */
struct slot {
	const char *fold;    /* borrowed from coll.folds: NULL for an empty slot */
	size_t fold_len;
	uint64_t hash;       /* of fold[0..fold_len) */
	const char *path;    /* borrowed from the entry name (in godir.cd) */
	size_t path_len;
	int is_dir;
};

struct collisions {
	struct slot *s;
	size_t cap, used;
	char **folds;        /* owned: the folded names */
	size_t nfolds, folds_cap;
	uint64_t *hs;        /* scratch: the hashes of one name's prefixes */
	size_t hs_cap;
};

#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

static void
coll_free(struct collisions *c)
{
	size_t i;

	for (i = 0; i < c->nfolds; i++)
		free(c->folds[i]);
	free(c->folds);
	free(c->s);
	free(c->hs);
}

static struct slot *
coll_find(struct collisions *c, uint64_t h, const char *fold, size_t n)
{
	size_t i = (size_t)h & (c->cap - 1);

	for (;; i = (i + 1) & (c->cap - 1)) {
		struct slot *s = &c->s[i];

		if (s->fold == NULL ||
		    (s->hash == h && s->fold_len == n && memcmp(s->fold, fold, n) == 0))
			return s;
	}
}

static int
coll_grow(struct collisions *c)
{
	struct collisions nc = *c;
	size_t i;

	nc.cap = c->cap ? c->cap * 2 : 64;
	nc.s = calloc(nc.cap, sizeof *nc.s);
	if (nc.s == NULL)
		return SDB_ERR_NOMEM;
	for (i = 0; i < c->cap; i++)
		if (c->s[i].fold != NULL)
			*coll_find(&nc, c->s[i].hash, c->s[i].fold, c->s[i].fold_len) = c->s[i];
	free(c->s);
	*c = nc;
	return SDB_OK;
}

/* Folds p[0..n) into a string coll keeps, and the hashes of its prefixes
 * that end before a '/' into c->hs, then that of the whole: *nh gets the
 * index of the latter. */
static int
coll_fold(struct collisions *c, const char *p, size_t n, char **fold, size_t *fn,
    size_t *nh)
{
	uint64_t h = FNV_OFFSET;
	size_t i, k = 0, slashes = 0;
	char *f, *shrunk;

	for (i = 0; i < n; i++)
		slashes += p[i] == '/';
	if (slashes + 1 > c->hs_cap) {
		uint64_t *hs = realloc(c->hs, (slashes + 1) * sizeof *hs);

		if (hs == NULL)
			return SDB_ERR_NOMEM;
		c->hs = hs;
		c->hs_cap = slashes + 1;
	}
	if (c->nfolds == c->folds_cap) {
		size_t cap = c->folds_cap ? c->folds_cap * 2 : 64;
		char **fs = realloc(c->folds, cap * sizeof *fs);

		if (fs == NULL)
			return SDB_ERR_NOMEM;
		c->folds = fs;
		c->folds_cap = cap;
	}
	if ((f = str_to_fold(p, n, fn)) == NULL)
		return SDB_ERR_NOMEM;
	if ((shrunk = realloc(f, *fn + 1)) != NULL)
		f = shrunk;
	c->folds[c->nfolds++] = f;
	for (i = 0; i < *fn; i++) {
		if (f[i] == '/')
			c->hs[k++] = h;
		h = (h ^ (unsigned char)f[i]) * FNV_PRIME;
	}
	c->hs[k] = h;
	*fold = f;
	*nh = k;
	return SDB_OK;
}

static int
coll_check(struct collisions *c, const char *p, size_t n, int is_dir,
    struct sdb_errbuf *eb)
{
	char q1[128], q2[128], *fold;
	size_t fn, k;

	if (coll_fold(c, p, n, &fold, &fn, &k) != SDB_OK)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	for (;;) {
		size_t d;
		struct slot *s;

		if ((c->used + 1) * 2 > c->cap && coll_grow(c) != SDB_OK)
			return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		s = coll_find(c, c->hs[k], fold, fn);
		if (s->fold != NULL) {
			if (s->path_len != n || memcmp(s->path, p, n) != 0)
				return sdb_errf(eb, SDB_ERR_INVALID,
				    "module zip: case-insensitive file name collision: %s and %s",
				    sdb_quote(q1, sizeof q1, s->path, s->path_len),
				    sdb_quote(q2, sizeof q2, p, n));
			if (s->is_dir != is_dir)
				return sdb_errf(eb, SDB_ERR_INVALID,
				    "module zip: entry %s is both a file and a directory",
				    sdb_quote(q1, sizeof q1, p, n));
			if (!is_dir)
				return sdb_errf(eb, SDB_ERR_INVALID,
				    "module zip: duplicate entries for file %s",
				    sdb_quote(q1, sizeof q1, p, n));
			/*
			 * A directory checked before: so were its parents,
			 * each check going up to the top, and x/mod's
			 * checks of them again find what they found then.
			 */
			return SDB_OK;
		}
		s->fold = fold;
		s->fold_len = fn;
		s->hash = c->hs[k];
		s->path = p;
		s->path_len = n;
		s->is_dir = is_dir;
		c->used++;
		/* path.Dir(p): every parent is a directory */
		if (k == 0)
			return SDB_OK;
		for (d = n; p[d - 1] != '/'; d--)
			;
		n = d - 1;
		for (d = fn; fold[d - 1] != '/'; d--)
			;
		fn = d - 1;
		k--;
		is_dir = 1;
	}
}

/* --- the checks -------------------------------------------------------------- */

/* Rules on the whole name, before the prefix: they name the attack. */
static int
check_name_shape(const char *name, size_t n, struct sdb_errbuf *eb)
{
	char q[128];
	size_t i, start = 0;

	if (!valid_utf8((const unsigned char *)name, n))
		return sdb_errf(eb, SDB_ERR_INVALID, "module zip: entry name is not valid UTF-8: %s",
		    sdb_quote(q, sizeof q, name, n));
	if (n > 0 && (name[0] == '/' || name[0] == '\\'))
		return sdb_errf(eb, SDB_ERR_INVALID, "module zip: absolute entry name %s",
		    sdb_quote(q, sizeof q, name, n));
	for (i = 0; i <= n; i++) {
		if (i == n || name[i] == '/' || name[i] == '\\') {
			size_t el = i - start;

			if (el == 2 && name[start] == '.' && name[start + 1] == '.')
				return sdb_errf(eb, SDB_ERR_INVALID,
				    "module zip: entry name with a \"..\" element: %s",
				    sdb_quote(q, sizeof q, name, n));
			start = i + 1;
		}
	}
	return SDB_OK;
}

/* path.Clean(rel) == rel for rel without a trailing slash. */
static int
is_clean(const char *p, size_t n)
{
	size_t i, start = 0;

	if (n == 0)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i == n || p[i] == '/') {
			size_t el = i - start;

			if (el == 0 || (el == 1 && p[start] == '.') ||
			    (el == 2 && p[start] == '.' && p[start + 1] == '.'))
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

static int
ieq(const char *a, size_t n, const char *b)
{
	size_t i;

	if (n != strlen(b))
		return 0;
	for (i = 0; i < n; i++) {
		char c = a[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 'a' - 'A');
		if (c != b[i])
			return 0;
	}
	return 1;
}

/* --- archive/zip's view of the directory ----------------------------------- */

/* The zip's bytes, from a descriptor or a buffer, read at an offset. */
struct zin {
	int fd;               /* -1: buf */
	const uint8_t *buf;
	uint64_t size;
};

static int
zin_read(const struct zin *z, uint64_t off, void *dst, size_t n, struct sdb_errbuf *eb)
{
	uint8_t *d = dst;

	if (off > z->size || n > z->size - off)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "module zip: not a valid zip file: a record past the end of the file");
	if (z->fd < 0) {
		memcpy(d, z->buf + off, n);
		return SDB_OK;
	}
	/* the size was checked: a file that ends early got shorter */
	if (sdb_pread_all(z->fd, d, n, (int64_t)off) != 0)
		return sdb_errf(eb, SDB_ERR_IO, "module zip: reading the file: %s",
		    errno == EIO ? "it got shorter, or an I/O error" : strerror(errno));
	return SDB_OK;
}

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* One central directory entry as archive/zip reads it. */
struct goent {
	const char *name;   /* in godir.cd: not NUL-terminated */
	size_t name_len;
	uint8_t creator;    /* the host system of "version made by" (3: Unix) */
	uint16_t flags, method;
	uint32_t crc, attrs;
	uint64_t comp_size, size, offset;
};

struct godir {
	uint8_t *cd;        /* the file from the central directory on */
	struct goent *e;
	uint64_t n;
};

static void
godir_free(struct godir *d)
{
	free(d->cd);
	free(d->e);
}

/*
 * Finds the central directory as Go 1.19's archive/zip does (reader.go:
 * readDirectoryEnd, findDirectory64End, readDirectory64End): its offset
 * and the number of entries the end record gives.  Refused besides what
 * archive/zip refuses, so that no other zip reader (libzip, Info-ZIP,
 * 7-Zip) reads another directory:
 *
 * - An archive comment.  archive/zip takes the last end signature in the
 *   file's last 1 KiB (then 65 KiB) whose comment fits before the end of
 *   the file; other readers take one, by their own preference, of those
 *   whose comment ends exactly at the end of the file.  Two such records
 *   (a second directory and its end record hidden in the first one's
 *   comment) give each reader its own directory.  So the end record must
 *   be the file's last 22 bytes with no comment, which archive/zip finds
 *   first, and no other end signature may have a comment that reaches the
 *   end of the file.  The go command writes no archive comment.
 * - Bytes before the zip.  archive/zip takes the directory to end where
 *   the end record (or the zip64 one) starts; when the record says it
 *   starts elsewhere, it takes the difference for bytes before the zip and
 *   first reads every offset moved by it.  The directory must end there.
 * - A zip64 locator archive/zip does not read: other readers read the
 *   zip64 end record whenever a locator names it, archive/zip only when
 *   the end record holds a marker (0xFFFF entries, a directory size of
 *   0xFFFF, sic, or an offset of 0xFFFFFFFF) and the locator names disk 0
 *   of 1 disks.
 * - A zip64 end record whose values disagree with those of the end record
 *   that are not markers, which readers that take the latter read.
 *
 * archive/zip reads no disk number of either end record, nor anything of
 * the zip64 end record past the directory's offset (extensible data).
 */
static int
find_directory(const struct zin *z, uint64_t *cd_off, uint64_t *count,
    struct sdb_errbuf *eb)
{
	size_t tl = z->size < EOCD_SEARCH ? (size_t)z->size : EOCD_SEARCH;
	uint64_t eocd = z->size - EOCD_SIZE, end = eocd, n, size, off;
	uint8_t *t = malloc(tl), loc[EOCD64_LOC_SIZE], e64[EOCD64_SIZE];
	const uint8_t *e;
	size_t i;
	int rc, marked;

	if (t == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	if ((rc = zin_read(z, z->size - tl, t, tl, eb)) != SDB_OK)
		goto out;
	e = t + tl - EOCD_SIZE;
	if (le32(e) != SIG_EOCD) {
		rc = sdb_errf(eb, SDB_ERR_INVALID,
		    "module zip: not a valid zip file: it does not end with an end of central "
		    "directory record (the go command writes no archive comment)");
		goto out;
	}
	if (le16(e + 20) != 0) {
		rc = sdb_errf(eb, SDB_ERR_INVALID,
		    "module zip: the end of central directory record is not the file's last 22 bytes "
		    "(the go command writes no archive comment)");
		goto out;
	}
	for (i = 0; i + EOCD_SIZE < tl; i++) {
		if (le32(t + i) == SIG_EOCD && le16(t + i + 20) == tl - i - EOCD_SIZE) {
			rc = sdb_errf(eb, SDB_ERR_INVALID,
			    "module zip: a second end of central directory record, whose comment "
			    "holds the last one: zip readers differ on which directory to read");
			goto out;
		}
	}
	n = le16(e + 10);
	size = le32(e + 12);
	off = le32(e + 16);
	/* archive/zip's own test, 0xffff for the size included */
	marked = n == 0xffff || size == 0xffff || off == 0xffffffff;
	if (eocd >= EOCD64_LOC_SIZE) {
		if ((rc = zin_read(z, eocd - EOCD64_LOC_SIZE, loc, sizeof loc, eb)) != SDB_OK)
			goto out;
		if (le32(loc) == SIG_EOCD64_LOC) {
			uint64_t at = le64(loc + 8);

			if (!marked || le32(loc + 4) != 0 || le32(loc + 16) != 1 || at > INT64_MAX) {
				rc = sdb_errf(eb, SDB_ERR_INVALID,
				    "module zip: a zip64 locator the go command does not read");
				goto out;
			}
			if ((rc = zin_read(z, at, e64, sizeof e64, eb)) != SDB_OK)
				goto out;
			if (le32(e64) != SIG_EOCD64) {
				rc = sdb_errf(eb, SDB_ERR_INVALID,
				    "module zip: no zip64 end record where its locator says");
				goto out;
			}
			if ((n != 0xffff && n != le64(e64 + 32)) ||
			    (size != 0xffffffff && size != le64(e64 + 40)) ||
			    (off != 0xffffffff && off != le64(e64 + 48))) {
				rc = sdb_errf(eb, SDB_ERR_INVALID,
				    "module zip: the zip64 end record disagrees with the end record");
				goto out;
			}
			n = le64(e64 + 32);
			size = le64(e64 + 40);
			off = le64(e64 + 48);
			end = at;
		}
	}
	if (off > end || end - off != size) {
		rc = sdb_errf(eb, SDB_ERR_INVALID,
		    "module zip: the central directory does not end where its end record starts "
		    "(bytes before the zip, or a gap)");
		goto out;
	}
	*cd_off = off;
	*count = n;
	rc = SDB_OK;
out:
	free(t);
	return rc;
}

/*
 * archive/zip's data descriptor check (reader.go readDataDescriptor): an
 * entry with flag bit 3 is followed, right after its compressed data
 * (which starts at body), by a descriptor whose CRC-32 must be the
 * directory's, or reading the entry fails.
 */
static int
check_descriptor(const struct zin *z, const struct goent *g, uint64_t body,
    struct sdb_errbuf *eb)
{
	uint8_t dd[16];
	uint64_t at;
	char q[128];
	int rc;

	if (body > z->size || g->comp_size > z->size - body ||
	    z->size - body - g->comp_size < 12)
		return sdb_errf(eb, SDB_ERR_INVALID, "module zip: the data descriptor of %s is cut short",
		    sdb_quote(q, sizeof q, g->name, g->name_len));
	at = body + g->comp_size;
	if ((rc = zin_read(z, at, dd, 12, eb)) != SDB_OK)
		return rc;
	if (le32(dd) == SIG_DD) {
		if (z->size - at < 16)
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "module zip: the data descriptor of %s is cut short",
			    sdb_quote(q, sizeof q, g->name, g->name_len));
		memmove(dd, dd + 4, 8);
	}
	if (le32(dd) != g->crc)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "module zip: the data descriptor of %s gives another CRC-32 than the directory",
		    sdb_quote(q, sizeof q, g->name, g->name_len));
	return SDB_OK;
}

/*
 * Reads the central directory as Go 1.19's archive/zip does (Reader.init,
 * readDirectoryHeader): the entries, their raw names and sizes, in order;
 * the names hashed are these raw names, which the go command hashes.
 * archive/zip reads headers from the directory's offset until one does
 * not parse (on past the directory's size if need be: it is not read)
 * and then wants their number to be the end record's, modulo 65536; it
 * reads no disk number.
 *
 * A size or offset of 0xFFFFFFFF is taken from the first zip64 extra
 * field, in the order uncompressed size, compressed size, offset, each
 * only when marked so (as archive/zip does; some writers mark every
 * entry, however small); a field too short for what is marked, or no
 * such field for a marked compressed size or offset, ends the directory
 * there, as any header that does not parse.  No other extra
 * field counts: the name is the raw name, whatever an Info-ZIP Unicode
 * Path field (0x7075) says, and the walk stops where what is left is not
 * a whole field.
 */
static int
go_directory(const struct zin *z, struct godir *d, struct sdb_errbuf *eb)
{
	uint64_t off = 0, count = 0, len, pos = 0, cap;
	char q[128];
	int rc;

	memset(d, 0, sizeof *d);
	if ((rc = find_directory(z, &off, &count, eb)) != SDB_OK)
		return rc;
	len = z->size - off;
	cap = len / CDH_SIZE < count ? len / CDH_SIZE : count;
	d->cd = malloc(len ? (size_t)len : 1);
	d->e = calloc((size_t)cap + 1, sizeof *d->e);
	if (d->cd == NULL || d->e == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	cap++;
	if ((rc = zin_read(z, off, d->cd, (size_t)len, eb)) != SDB_OK)
		return rc;
	for (;;) {
		const uint8_t *h = d->cd + pos, *x, *xend;
		uint64_t left = len - pos;
		struct goent *g;
		size_t nl, xl, cl;
		int need_u, need_c, need_o, whole = 1;

		/* io.EOF from the header's first read: an error, not an end */
		if (left == 0)
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "module zip: the central directory runs to the end of the file");
		if (left < CDH_SIZE || le32(h) != SIG_CDH)
			break;
		nl = le16(h + 28);
		xl = le16(h + 30);
		cl = le16(h + 32);
		if (left - CDH_SIZE < nl + xl + cl) {
			if (left == CDH_SIZE)
				return sdb_errf(eb, SDB_ERR_INVALID,
				    "module zip: the central directory runs to the end of the file");
			break;
		}
		if (d->n == cap) {
			struct goent *ne = realloc(d->e, (size_t)cap * 2 * sizeof *ne);

			if (ne == NULL)
				return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
			d->e = ne;
			cap *= 2;
		}
		g = &d->e[d->n];
		g->name = (const char *)h + CDH_SIZE;
		g->name_len = nl;
		g->creator = h[5];
		g->flags = le16(h + 8);
		g->method = le16(h + 10);
		g->crc = le32(h + 16);
		g->comp_size = le32(h + 20);
		g->size = le32(h + 24);
		g->attrs = le32(h + 38);
		g->offset = le32(h + 42);
		need_u = g->size == 0xffffffff;
		need_c = g->comp_size == 0xffffffff;
		need_o = g->offset == 0xffffffff;
		/* archive/zip's walk over the extra field */
		x = h + CDH_SIZE + nl;
		xend = x + xl;
		while (xend - x >= 4 && (size_t)(xend - x - 4) >= le16(x + 2)) {
			size_t fl = le16(x + 2);
			const uint8_t *f = x + 4;

			if (le16(x) == EF_ZIP64 && (need_u || need_c || need_o)) {
				if (fl < 8 * ((size_t)need_u + need_c + need_o)) {
					whole = 0;
					break;
				}
				if (need_u)
					g->size = le64(f), f += 8;
				if (need_c)
					g->comp_size = le64(f), f += 8;
				if (need_o)
					g->offset = le64(f);
				need_u = need_c = need_o = 0;
			}
			x += 4 + fl;
		}
		/*
		 * archive/zip: a compressed size or offset still marked, for
		 * want of a zip64 field, is a header that does not parse
		 * (ErrFormat), which ends the directory there; an uncompressed
		 * size of 0xFFFFFFFF is taken as it is.
		 */
		if (!whole || need_c || need_o)
			break;
		if (memchr(g->name, '\0', nl) != NULL)
			return sdb_errf(eb, SDB_ERR_INVALID, "module zip: entry name with a NUL byte: %s",
			    sdb_quote(q, sizeof q, g->name, nl));
		pos += CDH_SIZE + nl + xl + cl;
		d->n++;
	}
	if ((d->n & 0xffff) != (count & 0xffff))
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "module zip: the end record counts %llu entries, the directory holds %llu",
		    (unsigned long long)count, (unsigned long long)d->n);
	return SDB_OK;
}

struct limits {
	uint64_t zip, total, gomod, license;
};

static void
get_limits(struct limits *l, const struct sdb_modzip_limits *lim)
{
	l->zip = lim && lim->max_zip ? lim->max_zip : SDB_MAX_ZIP_SIZE;
	l->total = lim && lim->max_total ? lim->max_total : SDB_MAX_ZIP_SIZE;
	l->gomod = lim && lim->max_gomod ? lim->max_gomod : SDB_MAX_GOMOD_SIZE;
	l->license = lim && lim->max_license ? lim->max_license : SDB_MAX_LICENSE_SIZE;
}

/* The first pass: names, types and declared sizes. */
static int
check_entries(const struct godir *gd, const char *prefix, size_t preflen,
    const struct limits *lim, struct sdb_errbuf *eb)
{
	struct collisions coll;
	uint64_t i, total = 0;
	char q[128];
	int rc = SDB_OK;

	memset(&coll, 0, sizeof coll);
	for (i = 0; i < gd->n && rc == SDB_OK; i++) {
		const struct goent *g = &gd->e[i];
		const char *name = g->name, *rel, *base;
		size_t nl = g->name_len, rl;
		int is_dir;

		if ((rc = check_name_shape(name, nl, eb)) != SDB_OK)
			break;
		if (nl < preflen || memcmp(name, prefix, preflen) != 0) {
			rc = sdb_errf(eb, SDB_ERR_INVALID, "module zip: entry %s outside %.*s",
			    sdb_quote(q, sizeof q, name, nl), (int)preflen, prefix);
			break;
		}
		rel = name + preflen;
		rl = nl - preflen;
		/* PATH@VERSION/ itself names the module's root directory */
		is_dir = rl == 0 || rel[rl - 1] == '/';
		/*
		 * The go command reads no file type from the mode: an entry is
		 * a directory when its name ends in '/', else a file, whatever
		 * its Unix mode says.  Symlinks are refused all the same, by
		 * design: other tools extract them as links.
		 */
		if (g->creator == CREATOR_UNIX && ((g->attrs >> 16) & S_IFMT) == S_IFLNK) {
			rc = sdb_errf(eb, SDB_ERR_INVALID, "module zip: symlink entry %s",
			    sdb_quote(q, sizeof q, name, nl));
			break;
		}
		/*
		 * A directory entry may hold data: Go 1.19's archive/zip reads
		 * it like a file's, x/mod's CheckZip skips directories before
		 * any size rule, and HashZip hashes every entry, directories
		 * with their data included.  So the go command accepts such a
		 * zip, and hash_entries hashes that data as it does a file's
		 * (its size is the declared one and counts towards the total
		 * read, which bounds the work).
		 */
		if (is_dir) {
			if (rl == 0)
				continue;
			rl--;
		}
		if (!is_clean(rel, rl)) {
			rc = sdb_errf(eb, SDB_ERR_INVALID, "module zip: file path is not clean: %s",
			    sdb_quote(q, sizeof q, name, nl));
			break;
		}
		{
			struct sdb_errbuf e2;

			e2.msg[0] = '\0';
			if (sdb_module_check_file_path(rel, rl, &e2) == SDB_OK)
				goto name_ok;
			rc = sdb_errf(eb, SDB_ERR_INVALID, "module zip: bad file name %s: %s",
			    sdb_quote(q, sizeof q, name, nl), e2.msg);
			break;
		}
name_ok:
		if ((rc = coll_check(&coll, rel, rl, is_dir, eb)) != SDB_OK)
			break;
		if (is_dir)
			continue;
		for (base = rel + rl; base > rel && base[-1] != '/'; base--)
			;
		if (ieq(base, (size_t)(rel + rl - base), "go.mod")) {
			if (base != rel) {
				rc = sdb_errf(eb, SDB_ERR_INVALID,
				    "module zip: go.mod file not in module root directory: %s",
				    sdb_quote(q, sizeof q, name, nl));
				break;
			}
			if (memcmp(rel, "go.mod", 6) != 0) {
				rc = sdb_errf(eb, SDB_ERR_INVALID,
				    "module zip: go.mod files must have lowercase names: %s",
				    sdb_quote(q, sizeof q, name, nl));
				break;
			}
		}
		if (g->size > lim->total || total > lim->total - g->size) {
			rc = sdb_errf(eb, SDB_ERR_TOO_LARGE,
			    "module zip: total uncompressed size of module contents too large (max size is %llu bytes)",
			    (unsigned long long)lim->total);
			break;
		}
		total += g->size;
		if (rl == 6 && memcmp(rel, "go.mod", 6) == 0 && g->size > lim->gomod) {
			rc = sdb_errf(eb, SDB_ERR_TOO_LARGE,
			    "module zip: go.mod file too large (max size is %llu bytes)",
			    (unsigned long long)lim->gomod);
			break;
		}
		if (rl == 7 && memcmp(rel, "LICENSE", 7) == 0 && g->size > lim->license) {
			rc = sdb_errf(eb, SDB_ERR_TOO_LARGE,
			    "module zip: LICENSE file too large (max size is %llu bytes)",
			    (unsigned long long)lim->license);
			break;
		}
	}
	coll_free(&coll);
	return rc;
}

/* What read_entry needs besides the entry: two buffers of READ_CHUNK
 * bytes and the inflater, made once for all entries. */
struct reader {
	unsigned char *in, *out;
	z_stream zs;
	int zs_ready;
	uint64_t data_left;   /* entry data all entries may still read */
};

/* Where an entry's content goes while it is read. */
struct sink {
	const struct goent *g;
	uint64_t got;         /* bytes of content so far */
	uint64_t budget;      /* bytes a directory entry may still hold */
	uint64_t limit;       /* what all of them together may, for the message */
	struct sdb_sha256_ctx sha;
	uLong crc;
};

/* Feeds the next n bytes of content to the hashes; refuses the entry as
 * soon as it holds more than its declared size, or more than a directory
 * entry may, so that a zip bomb costs no more than that. */
static int
take(struct sink *k, const unsigned char *p, size_t n, struct sdb_errbuf *eb)
{
	char q[128];

	k->got += n;
	if (k->got > k->g->size)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "module zip: entry %s is larger than its declared size %llu (zip bomb?)",
		    sdb_quote(q, sizeof q, k->g->name, k->g->name_len),
		    (unsigned long long)k->g->size);
	if (k->got > k->budget)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE,
		    "module zip: directory entries hold more than %llu bytes of data",
		    (unsigned long long)k->limit);
	sdb_sha256_update(&k->sha, p, n);
	k->crc = crc32(k->crc, p, (uInt)n);
	return SDB_OK;
}

/*
 * Reads one entry's content as Go 1.19's archive/zip does (File.Open,
 * findBodyOffset, checksumReader) and puts its SHA-256 in sha256; *read
 * gets the bytes of content read.  The local header must be there (its
 * name and extra field lengths say where the data starts; nothing else in
 * it counts); the data is the directory's compressed size from there,
 * cut at the end of the file; a deflate stream must end within it (bytes
 * after its end are not read); the content must be exactly the declared
 * size; a data descriptor, if the flags announce one, must agree; and the
 * content's CRC-32 must be the directory's.  archive/zip skips that last
 * check when the directory says 0 and there is no descriptor, which
 * csumdb does not (a zero CRC with content is refused by design).
 */
static int
read_entry(const struct zin *z, const struct goent *g, struct reader *rd,
    struct sink *k, uint8_t sha256[32], struct sdb_errbuf *eb)
{
	uint8_t h[LFH_SIZE];
	uint64_t body, pos, left;
	int rc, ended = 0;
	char q[128];

	k->g = g;
	k->got = 0;
	k->crc = crc32(0L, Z_NULL, 0);
	if ((rc = zin_read(z, g->offset, h, sizeof h, eb)) != SDB_OK)
		return rc;
	if (le32(h) != SIG_LFH)
		return sdb_errf(eb, SDB_ERR_INVALID, "module zip: no local header for %s",
		    sdb_quote(q, sizeof q, g->name, g->name_len));
	if (g->method != 0 && g->method != 8)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "module zip: entry %s uses a compression method other than store and deflate",
		    sdb_quote(q, sizeof q, g->name, g->name_len));
	body = g->offset + LFH_SIZE + le16(h + 26) + le16(h + 28);
	left = body < z->size ? z->size - body : 0;
	if (left > g->comp_size)
		left = g->comp_size;
	if (g->method == 8) {
		if (!rd->zs_ready) {
			memset(&rd->zs, 0, sizeof rd->zs);
			if (inflateInit2(&rd->zs, -MAX_WBITS) != Z_OK)
				return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
			rd->zs_ready = 1;
		} else if (inflateReset(&rd->zs) != Z_OK) {
			return sdb_errf(eb, SDB_ERR_INTERNAL, "module zip: inflateReset failed");
		}
	}
	sdb_sha256_init(&k->sha);
	for (pos = body; rc == SDB_OK && !ended;) {
		size_t n = left < READ_CHUNK ? (size_t)left : READ_CHUNK;

		/*
		 * Entries that do not share their data read at most the
		 * file, together; entries that do (each one's data a long
		 * deflate stream of empty blocks, say) would make the work
		 * the number of entries times the file's size.
		 */
		if (n > rd->data_left) {
			rc = sdb_errf(eb, SDB_ERR_INVALID,
			    "module zip: the entries read more data than the file holds: "
			    "their data overlap (%s among them)",
			    sdb_quote(q, sizeof q, g->name, g->name_len));
			break;
		}
		rd->data_left -= n;
		if (n > 0 && (rc = zin_read(z, pos, rd->in, n, eb)) != SDB_OK)
			break;
		pos += n;
		left -= n;
		if (g->method == 0) {
			if (n == 0)
				break;
			rc = take(k, rd->in, n, eb);
			continue;
		}
		rd->zs.next_in = rd->in;
		rd->zs.avail_in = (uInt)n;
		do {
			int zr;

			rd->zs.next_out = rd->out;
			rd->zs.avail_out = READ_CHUNK;
			zr = inflate(&rd->zs, Z_NO_FLUSH);
			if (zr == Z_STREAM_END)
				ended = 1;
			else if (zr == Z_MEM_ERROR)
				rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
			else if (zr != Z_OK && zr != Z_BUF_ERROR)
				rc = sdb_errf(eb, SDB_ERR_INVALID, "module zip: reading %s: bad deflate data (%s)",
				    sdb_quote(q, sizeof q, g->name, g->name_len),
				    rd->zs.msg ? rd->zs.msg : "no detail");
			if (rc == SDB_OK)
				rc = take(k, rd->out, READ_CHUNK - rd->zs.avail_out, eb);
		} while (rc == SDB_OK && !ended && (rd->zs.avail_in > 0 || rd->zs.avail_out == 0));
		/* archive/zip: io.ErrUnexpectedEOF */
		if (rc == SDB_OK && !ended && n == 0)
			rc = sdb_errf(eb, SDB_ERR_INVALID,
			    "module zip: the deflate data of %s ends before its stream does",
			    sdb_quote(q, sizeof q, g->name, g->name_len));
	}
	if (rc != SDB_OK)
		return rc;
	if (k->got != g->size)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "module zip: entry %s holds %llu bytes, not its declared size %llu",
		    sdb_quote(q, sizeof q, g->name, g->name_len),
		    (unsigned long long)k->got, (unsigned long long)g->size);
	if ((g->flags & 0x8) && (rc = check_descriptor(z, g, body, eb)) != SDB_OK)
		return rc;
	if (k->crc != g->crc)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "module zip: entry %s has another CRC-32 than the directory says",
		    sdb_quote(q, sizeof q, g->name, g->name_len));
	sdb_sha256_final(&k->sha, sha256);
	return SDB_OK;
}

/* An entry's name and index, sorted to find the entries of one name. */
struct named {
	const char *name;
	size_t len;
	uint64_t i;
};

static int
cmp_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = sdb_bytes_cmp(x->name, x->len, y->name, y->len);

	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * x/mod's HashZip finds each entry's content through a map from name to
 * entry, which keeps the last entry of each name: a name that comes more
 * than once (directories and the root entry may, see check_entries) is
 * listed each time with the content of the last entry of that name, and
 * the others are never read.  Sets src[i] to the index of that entry.
 */
static int
last_of_name(const struct godir *gd, uint64_t n, uint64_t *src, struct sdb_errbuf *eb)
{
	struct named *v = calloc((size_t)n + 1, sizeof *v);
	uint64_t i, j;

	if (v == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		v[i].name = gd->e[i].name;
		v[i].len = gd->e[i].name_len;
		v[i].i = i;
	}
	if (n > 1)
		qsort(v, (size_t)n, sizeof *v, cmp_named);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && v[j].len == v[i].len &&
		    memcmp(v[j].name, v[i].name, v[i].len) == 0; j++)
			;
		while (i < j)
			src[v[i++].i] = v[j - 1].i;
	}
	free(v);
	return SDB_OK;
}

/*
 * The second pass: each entry's content into SHA-256, as read_entry reads
 * it, the entry HashZip reads for each name (last_of_name).  A file's
 * content is at most its declared size, and check_entries bounds their
 * sum.  x/mod bounds neither the declared sizes of directory entries nor
 * the data they hold, which HashZip reads all the same; csumdb reads at
 * most the limit on the total of such data too, apart from the files'.
 */
static int
hash_entries(const struct zin *z, const struct godir *gd,
    struct sdb_dirhash_file *files, const struct limits *lim, struct sdb_errbuf *eb)
{
	struct reader rd;
	struct sink k;
	uint64_t i, dir_budget, n = gd->n, *src = calloc((size_t)n + 1, sizeof *src);
	int rc = SDB_OK;

	rd.in = malloc(READ_CHUNK);
	rd.out = malloc(READ_CHUNK);
	rd.zs_ready = 0;
	rd.data_left = z->size;
	if (src == NULL || rd.in == NULL || rd.out == NULL)
		rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	if (rc == SDB_OK)
		rc = last_of_name(gd, n, src, eb);
	k.limit = dir_budget = lim->total;
	for (i = 0; i < n && rc == SDB_OK; i++) {
		const struct goent *g = &gd->e[i];
		int dir = g->name_len > 0 && g->name[g->name_len - 1] == '/';

		if (src[i] != i)
			continue;
		k.budget = dir ? dir_budget : UINT64_MAX;
		rc = read_entry(z, g, &rd, &k, files[i].sha256, eb);
		if (dir)
			dir_budget -= k.got;
	}
	for (i = 0; i < n && rc == SDB_OK; i++) {
		if (src[i] != i)
			memcpy(files[i].sha256, files[src[i]].sha256, sizeof files[i].sha256);
		files[i].name = gd->e[i].name;
		files[i].name_len = gd->e[i].name_len;
	}
	if (rd.zs_ready)
		inflateEnd(&rd.zs);
	free(rd.in);
	free(rd.out);
	free(src);
	return rc;
}

static int
run(const struct zin *z, const char *path, size_t plen, const char *version,
    size_t vlen, const struct limits *lim, sdb_hash *h1, struct sdb_errbuf *eb)
{
	struct godir gd;
	struct sdb_dirhash_file *files = NULL;
	size_t preflen = plen + 1 + vlen + 1;
	char *prefix = NULL;
	int rc;

	if ((rc = go_directory(z, &gd, eb)) != SDB_OK)
		goto out;
	prefix = malloc(preflen + 1);
	files = calloc((size_t)gd.n + 1, sizeof *files);
	if (prefix == NULL || files == NULL) {
		rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		goto out;
	}
	memcpy(prefix, path, plen);
	prefix[plen] = '@';
	memcpy(prefix + plen + 1, version, vlen);
	prefix[preflen - 1] = '/';
	prefix[preflen] = '\0';
	rc = check_entries(&gd, prefix, preflen, lim, eb);
	if (rc == SDB_OK)
		rc = hash_entries(z, &gd, files, lim, eb);
	if (rc == SDB_OK)
		rc = sdb_dirhash_hash1(files, (size_t)gd.n, h1, eb);
out:
	free(files);
	free(prefix);
	godir_free(&gd);
	return rc;
}

static int
check_module(const char *path, size_t plen, const char *version, size_t vlen,
    struct sdb_errbuf *eb)
{
	return sdb_module_check_canonical(path, plen, version, vlen, eb);
}

/* The size checks made before a zip is opened, from a file or memory. */
static int
check_zip_size(uint64_t size, const struct limits *l, struct sdb_errbuf *eb)
{
	if (size > l->zip)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE,
		    "module zip: file too large (%llu bytes; limit is %llu bytes)",
		    (unsigned long long)size, (unsigned long long)l->zip);
	if (size < EOCD_SIZE)
		return sdb_errf(eb, SDB_ERR_INVALID, "module zip: not a valid zip file: %llu bytes",
		    (unsigned long long)size);
	return SDB_OK;
}

int
sdb_modzip_hash_fd(int fd, const char *path, size_t plen, const char *version,
    size_t vlen, const struct sdb_modzip_limits *lim, sdb_hash *h1,
    struct sdb_errbuf *eb)
{
	struct limits l;
	struct stat sb;
	struct zin z;
	int rc;

	get_limits(&l, lim);
	if ((rc = check_module(path, plen, version, vlen, eb)) != SDB_OK)
		return rc;
	if (fstat(fd, &sb) != 0)
		return sdb_errf(eb, SDB_ERR_IO, "module zip: cannot stat the file: %s", strerror(errno));
	if ((rc = check_zip_size((uint64_t)sb.st_size, &l, eb)) != SDB_OK)
		return rc;
	z.fd = fd;
	z.buf = NULL;
	z.size = (uint64_t)sb.st_size;
	return run(&z, path, plen, version, vlen, &l, h1, eb);
}

int
sdb_modzip_hash_file(const char *zip_path, const char *path, size_t plen,
    const char *version, size_t vlen, const struct sdb_modzip_limits *lim,
    sdb_hash *h1, struct sdb_errbuf *eb)
{
	int fd = open(zip_path, O_RDONLY | O_CLOEXEC), rc;

	if (fd < 0)
		return sdb_errf(eb, SDB_ERR_IO, "module zip: cannot open the file: %s", strerror(errno));
	rc = sdb_modzip_hash_fd(fd, path, plen, version, vlen, lim, h1, eb);
	close(fd);
	return rc;
}

int
sdb_modzip_hash_buffer(const void *buf, size_t len, const char *path,
    size_t plen, const char *version, size_t vlen,
    const struct sdb_modzip_limits *lim, sdb_hash *h1, struct sdb_errbuf *eb)
{
	struct limits l;
	struct zin z;
	int rc;

	get_limits(&l, lim);
	if ((rc = check_module(path, plen, version, vlen, eb)) != SDB_OK)
		return rc;
	if ((rc = check_zip_size(len, &l, eb)) != SDB_OK)
		return rc;
	z.fd = -1;
	z.buf = buf;
	z.size = len;
	return run(&z, path, plen, version, vlen, &l, h1, eb);
}
