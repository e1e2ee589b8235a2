/*
 * The duplicate index of `sumdb audit --full` (include/csumdb/dupidx.h):
 * fixed-size entries appended as sorted runs, one k-way merge at the end.
 * The files sit beside the state file; whether a run belongs to the index
 * is decided by the length the state file committed, not by the files.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "fileio.h"
#include "csumdb/dupidx.h"

#define HDR_SIZE 16
#define ENT_SIZE 16
#define RUN_MAGIC "csdbrun1"
#define SET_MAGIC "csdbdup1"
/* Entries in all merge buffers together (16 MiB), and per source at most
 * and at least. */
#define MERGE_BUDGET (1u << 20)
#define MERGE_MAX_BUF 65536u
#define MERGE_MIN_BUF 256u
#define ID_MASK ((UINT64_C(1) << 48) - 1)

struct sdb_dupidx {
	char *set_path, *new_path, *tmp_path;
	int new_fd;
	int64_t new_len;            /* bytes of STATE-dups.new written */
	struct sdb_dupidx_entry *batch, *tmp;
	size_t nbatch;
};

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* The entry of id whose key is the start of hash h (dupidx.h's layout). */
static void
entry_set(struct sdb_dupidx_entry *e, const uint8_t h[SDB_SHA256_SIZE], int64_t id)
{
	e->hi = get64(h);
	e->lo = (uint64_t)h[8] << 56 | (uint64_t)h[9] << 48 | ((uint64_t)id & ID_MASK);
}

void
sdb_dupidx_entry_make(struct sdb_dupidx_entry *e, const char *pv, size_t len, int64_t id)
{
	uint8_t h[SDB_SHA256_SIZE];

	sdb_sha256(h, pv, len);
	entry_set(e, h, id);
}

void
sdb_dupidx_entry_make2(struct sdb_dupidx_entry e[2], const char *const pv[2],
    const size_t len[2], const int64_t id[2])
{
	uint8_t h[2][SDB_SHA256_SIZE];

	sdb_sha256_x2(h[0], h[1], -1, pv[0], len[0], pv[1], len[1]);
	entry_set(&e[0], h[0], id[0]);
	entry_set(&e[1], h[1], id[1]);
}

int64_t
sdb_dupidx_entry_id(const struct sdb_dupidx_entry *e)
{
	return (int64_t)(e->lo & ID_MASK);
}

int
sdb_dupidx_same_key(const struct sdb_dupidx_entry *a, const struct sdb_dupidx_entry *b)
{
	return a->hi == b->hi && (a->lo >> 48) == (b->lo >> 48);
}

static int
less(const struct sdb_dupidx_entry *a, const struct sdb_dupidx_entry *b)
{
	return a->hi < b->hi || (a->hi == b->hi && a->lo < b->lo);
}

static int
cmp_entry(const void *a, const void *b)
{
	return less(a, b) ? -1 : less(b, a);
}

void
sdb_dupidx_sort(struct sdb_dupidx_entry *a, size_t n, struct sdb_dupidx_entry *tmp)
{
	/* Keys are SHA-256 bits, uniform: one counting pass on the top 16
	 * bits leaves buckets of a few entries, finished by insertion.  The
	 * counts are allocated per call: a static array would be shared by
	 * two threads sorting at once. */
	size_t *start, i, j;

	if ((start = calloc(65537, sizeof *start)) == NULL) {
		qsort(a, n, sizeof *a, cmp_entry);
		return;
	}
	for (i = 0; i < n; i++)
		start[(a[i].hi >> 48) + 1]++;
	for (i = 1; i <= 65536; i++)
		start[i] += start[i - 1];
	for (i = 0; i < n; i++)
		tmp[start[a[i].hi >> 48]++] = a[i];
	memcpy(a, tmp, n * sizeof *a);
	for (i = 1; i < n; i++) {
		struct sdb_dupidx_entry x = a[i];

		for (j = i; j > 0 && less(&x, &a[j - 1]); j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
	free(start);
}

int
sdb_dupidx_merge(struct sdb_dupidx *d, int64_t new_from, sdb_dupidx_pair_fn pair,
    void *arg, struct sdb_errbuf *eb)
{
	int compacted;

	return sdb_dupidx_merge_lazy(d, new_from, -1, pair, arg, &compacted, eb);
}

static int
io_fail(struct sdb_errbuf *eb, const char *what, const char *path)
{
	return sdb_errf(eb, SDB_ERR_IO, "duplicate index %s: %s: %s", path, what, strerror(errno));
}

int
sdb_dupidx_open(struct sdb_dupidx **out, const char *state_path, int64_t newlen, int64_t merged,
    int reset, struct sdb_errbuf *eb)
{
	struct sdb_dupidx *d;
	int err;

	*out = NULL;
	if (newlen < 0)
		return sdb_errf(eb, SDB_ERR_INVALID, "duplicate index: bad length");
	if ((d = calloc(1, sizeof *d)) == NULL)
		return SDB_ERR_NOMEM;
	d->new_fd = -1;
	d->set_path = sdb_path_join(state_path, "-dups");
	d->new_path = sdb_path_join(state_path, "-dups.new");
	d->tmp_path = sdb_path_join(state_path, "-dups.tmp");
	d->batch = malloc(SDB_DUPIDX_BATCH * sizeof *d->batch);
	d->tmp = malloc(SDB_DUPIDX_BATCH * sizeof *d->tmp);
	if (d->set_path == NULL || d->new_path == NULL || d->tmp_path == NULL ||
	    d->batch == NULL || d->tmp == NULL) {
		err = SDB_ERR_NOMEM;
		goto fail;
	}
	if (reset) {
		newlen = 0;
		if (unlink(d->set_path) != 0 && errno != ENOENT) {
			err = io_fail(eb, "remove", d->set_path);
			goto fail;
		}
	} else if (merged > 0 && newlen / ENT_SIZE < merged) {
		/* Every record merged has an entry in the set or in the runs
		 * (one each, more after a resumed run): runs too short for
		 * them all mean some are in the set, which must be there. */
		struct stat sb;

		if (stat(d->set_path, &sb) != 0) {
			err = errno == ENOENT ?
			    sdb_errf(eb, SDB_ERR_NOT_FOUND, "duplicate index %s is missing (the state "
			    "file says %lld records were indexed)", d->set_path, (long long)merged) :
			    io_fail(eb, "open", d->set_path);
			goto fail;
		}
	}
	if ((d->new_fd = open(d->new_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		err = io_fail(eb, "open", d->new_path);
		goto fail;
	}
	{
		off_t end = lseek(d->new_fd, 0, SEEK_END);

		if (end < 0) {
			err = io_fail(eb, "seek", d->new_path);
			goto fail;
		}
		if ((int64_t)end < newlen) {
			err = sdb_errf(eb, SDB_ERR_NOT_FOUND, "duplicate index %s is shorter than the "
			    "state file says (%lld < %lld bytes)", d->new_path, (long long)end,
			    (long long)newlen);
			goto fail;
		}
	}
	/* Runs written after the last commit are not part of the index. */
	if (ftruncate(d->new_fd, (off_t)newlen) != 0 ||
	    lseek(d->new_fd, (off_t)newlen, SEEK_SET) < 0) {
		err = io_fail(eb, "truncate", d->new_path);
		goto fail;
	}
	d->new_len = newlen;
	*out = d;
	return SDB_OK;
fail:
	sdb_dupidx_close(d);
	return err;
}

void
sdb_dupidx_close(struct sdb_dupidx *d)
{
	if (d == NULL)
		return;
	if (d->new_fd >= 0)
		close(d->new_fd);
	free(d->set_path);
	free(d->new_path);
	free(d->tmp_path);
	free(d->batch);
	free(d->tmp);
	free(d);
}

/* Appends the sorted batch as one run (not yet durable). */
static int
write_run(struct sdb_dupidx *d, struct sdb_errbuf *eb)
{
	uint8_t *buf = (uint8_t *)d->tmp;
	size_t i, len = HDR_SIZE + d->nbatch * ENT_SIZE, off = HDR_SIZE;

	if (d->nbatch == 0)
		return SDB_OK;
	sdb_dupidx_sort(d->batch, d->nbatch, d->tmp);
	/* tmp is free again: encode into it (the header borrows the room of
	 * the batch's last entry, which tmp has to spare). */
	if (len > SDB_DUPIDX_BATCH * sizeof *d->tmp) {
		if (sdb_write_all(d->new_fd, RUN_MAGIC, 8) != 0)
			return io_fail(eb, "write", d->new_path);
		put64(buf, d->nbatch);
		if (sdb_write_all(d->new_fd, buf, 8) != 0)
			return io_fail(eb, "write", d->new_path);
		len -= HDR_SIZE;
		off = 0;
	} else {
		memcpy(buf, RUN_MAGIC, 8);
		put64(buf + 8, d->nbatch);
	}
	for (i = 0; i < d->nbatch; i++, off += ENT_SIZE) {
		put64(buf + off, d->batch[i].hi);
		put64(buf + off + 8, d->batch[i].lo);
	}
	if (sdb_write_all(d->new_fd, buf, len) != 0)
		return io_fail(eb, "write", d->new_path);
	d->new_len += (int64_t)(HDR_SIZE + d->nbatch * ENT_SIZE);
	d->nbatch = 0;
	return SDB_OK;
}

int
sdb_dupidx_add(struct sdb_dupidx *d, const struct sdb_dupidx_entry *e, struct sdb_errbuf *eb)
{
	int err;

	if (d->nbatch == SDB_DUPIDX_BATCH && (err = write_run(d, eb)) != SDB_OK)
		return err;
	d->batch[d->nbatch++] = *e;
	return SDB_OK;
}

int
sdb_dupidx_flush(struct sdb_dupidx *d, int64_t *newlen, struct sdb_errbuf *eb)
{
	int err;

	if ((err = write_run(d, eb)) != SDB_OK)
		return err;
	if (fdatasync(d->new_fd) != 0)
		return io_fail(eb, "sync", d->new_path);
	*newlen = d->new_len;
	return SDB_OK;
}

int
sdb_dupidx_clear_new(struct sdb_dupidx *d, struct sdb_errbuf *eb)
{
	if (ftruncate(d->new_fd, 0) != 0 || lseek(d->new_fd, 0, SEEK_SET) < 0)
		return io_fail(eb, "truncate", d->new_path);
	d->new_len = 0;
	return SDB_OK;
}

/* One sorted input of the merge: a range of a file, or the batch. */
struct src {
	int fd;                       /* -1: the batch in memory */
	const char *path;
	int64_t off, left;            /* next entry's offset; entries not yet read */
	struct sdb_dupidx_entry *buf; /* file sources: cap entries */
	size_t cap, pos, n;
	struct sdb_dupidx_entry cur;
	int started;                  /* cur holds an entry */
};

/* Moves s to its next entry; 1 when there is one, 0 at the end, -1 on a
 * read error (errno), -2 when it is lower than the one before (a damaged
 * file: merged on, its duplicates would be missed, and a set written
 * from it would be unsorted for every later merge). */
static int
src_next(struct src *s, uint8_t *raw)
{
	struct sdb_dupidx_entry prev = s->cur;

	if (s->pos == s->n) {
		size_t k, i;

		if (s->left == 0)
			return 0;
		k = s->left < (int64_t)s->cap ? (size_t)s->left : s->cap;
		if (sdb_pread_all(s->fd, raw, k * ENT_SIZE, s->off) != 0)
			return -1;
		for (i = 0; i < k; i++) {
			s->buf[i].hi = get64(raw + i * ENT_SIZE);
			s->buf[i].lo = get64(raw + i * ENT_SIZE + 8);
		}
		s->off += (int64_t)(k * ENT_SIZE);
		s->left -= (int64_t)k;
		s->n = k;
		s->pos = 0;
	}
	s->cur = s->buf[s->pos++];
	if (s->started && less(&s->cur, &prev))
		return -2;
	s->started = 1;
	return 1;
}

/* What src_next's failure rc on s means. */
static int
src_fail(const struct src *s, int rc, struct sdb_errbuf *eb)
{
	if (rc == -2)
		return sdb_errf(eb, SDB_ERR_INVALID, "duplicate index %s is damaged before byte %lld "
		    "(entries out of order)", s->path, (long long)s->off);
	return io_fail(eb, "read", s->path);
}

/* Reads the header at off of path's fd; the entry count in *count. */
static int
read_header(int fd, const char *path, int64_t off, int64_t end, const char *magic,
    int64_t *count, struct sdb_errbuf *eb)
{
	uint8_t h[HDR_SIZE];
	uint64_t c;

	if (end - off < HDR_SIZE || sdb_pread_all(fd, h, HDR_SIZE, off) != 0 ||
	    memcmp(h, magic, 8) != 0)
		return sdb_errf(eb, SDB_ERR_INVALID, "duplicate index %s is damaged at byte %lld",
		    path, (long long)off);
	c = get64(h + 8);
	if (c > (uint64_t)(end - off - HDR_SIZE) / ENT_SIZE)
		return sdb_errf(eb, SDB_ERR_INVALID, "duplicate index %s is damaged at byte %lld",
		    path, (long long)off);
	*count = (int64_t)c;
	return SDB_OK;
}

static void
heap_down(struct src **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct src *t;

		if (l < n && less(&h[l]->cur, &h[m]->cur))
			m = l;
		if (l + 1 < n && less(&h[l + 1]->cur, &h[m]->cur))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* sdb_dupidx_merge_lazy: when max_runs is -1 or the runs are more, the
 * merged entries go to a new STATE-dups (*compacted 1), else nowhere. */
int
sdb_dupidx_merge_lazy(struct sdb_dupidx *d, int64_t new_from, int max_runs,
    sdb_dupidx_pair_fn pair, void *arg, int *compacted, struct sdb_errbuf *eb)
{
	struct src *srcs = NULL, **heap = NULL;
	struct sdb_dupidx_entry first = { 0 }, last = { 0 };   /* read only once have */
	uint8_t *raw = NULL, *obuf = NULL;
	size_t nsrc = 0, cap, nheap = 0, i, opos = 0;
	int64_t off, count, total = 0;
	int set_fd = -1, out_fd = -1, err = SDB_OK, have = 0, rc, compact;
	const size_t obuf_size = 1u << 20;

	*compacted = 0;
	sdb_dupidx_sort(d->batch, d->nbatch, d->tmp);
	/* Count the sources: the runs, the batch, the old set. */
	for (off = 0, cap = 2; off < d->new_len; off += HDR_SIZE + count * ENT_SIZE, cap++)
		if ((err = read_header(d->new_fd, d->new_path, off, d->new_len, RUN_MAGIC, &count,
		    eb)) != SDB_OK)
			return err;
	/* cap - 2 runs */
	compact = max_runs < 0 || cap - 2 > (size_t)max_runs;
	srcs = calloc(cap, sizeof *srcs);
	heap = calloc(cap, sizeof *heap);
	if (srcs == NULL || heap == NULL) {
		err = SDB_ERR_NOMEM;
		goto out;
	}
	for (off = 0; off < d->new_len; off += HDR_SIZE + count * ENT_SIZE) {
		if ((err = read_header(d->new_fd, d->new_path, off, d->new_len, RUN_MAGIC, &count,
		    eb)) != SDB_OK)
			goto out;
		srcs[nsrc].fd = d->new_fd;
		srcs[nsrc].path = d->new_path;
		srcs[nsrc].off = off + HDR_SIZE;
		srcs[nsrc++].left = count;
	}
	set_fd = open(d->set_path, O_RDONLY | O_CLOEXEC);
	if (set_fd < 0 && errno != ENOENT) {
		err = io_fail(eb, "open", d->set_path);
		goto out;
	}
	/* No set yet (a first merge): this merge makes it, so that a state
	 * whose records went through a merge always has its set, and a set
	 * that is gone is known to be lost (sdb_dupidx_open) even when some
	 * records have no entry (invalid records). */
	if (set_fd < 0)
		compact = 1;
	if (set_fd >= 0) {
		off_t end = lseek(set_fd, 0, SEEK_END);

		if (end < 0) {
			err = io_fail(eb, "seek", d->set_path);
			goto out;
		}
		if ((err = read_header(set_fd, d->set_path, 0, (int64_t)end, SET_MAGIC, &count,
		    eb)) != SDB_OK)
			goto out;
		srcs[nsrc].fd = set_fd;
		srcs[nsrc].path = d->set_path;
		srcs[nsrc].off = HDR_SIZE;
		srcs[nsrc++].left = count;
	}
	{
		size_t per = MERGE_BUDGET / (nsrc + 1);

		per = per > MERGE_MAX_BUF ? MERGE_MAX_BUF : per < MERGE_MIN_BUF ? MERGE_MIN_BUF : per;
		for (i = 0; i < nsrc; i++) {
			srcs[i].cap = per;
			if ((srcs[i].buf = malloc(per * sizeof *srcs[i].buf)) == NULL) {
				err = SDB_ERR_NOMEM;
				goto out;
			}
		}
		if ((raw = malloc(per * ENT_SIZE)) == NULL) {
			err = SDB_ERR_NOMEM;
			goto out;
		}
	}
	srcs[nsrc].fd = -1;
	srcs[nsrc].buf = d->batch;
	srcs[nsrc].n = d->nbatch;
	srcs[nsrc++].path = "(memory)";
	if (compact && (obuf = malloc(obuf_size)) == NULL) {
		err = SDB_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < nsrc; i++) {
		if ((rc = src_next(&srcs[i], raw)) < 0) {
			err = src_fail(&srcs[i], rc, eb);
			goto out;
		}
		if (rc > 0)
			heap[nheap++] = &srcs[i];
	}
	for (i = nheap; i-- > 0;)
		heap_down(heap, nheap, i);

	if (compact) {
		if ((out_fd = open(d->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
			err = io_fail(eb, "create", d->tmp_path);
			goto out;
		}
		memset(obuf, 0, HDR_SIZE); /* the header is written last */
		opos = HDR_SIZE;
	}
	while (nheap > 0) {
		struct src *s = heap[0];
		struct sdb_dupidx_entry e = s->cur;

		if ((rc = src_next(s, raw)) < 0) {
			err = src_fail(s, rc, eb);
			goto out;
		}
		if (rc == 0)
			heap[0] = heap[--nheap];
		heap_down(heap, nheap, 0);
		if (have && e.hi == last.hi && e.lo == last.lo)
			continue; /* the same record, seen by two runs */
		if (have && sdb_dupidx_same_key(&e, &first)) {
			if (sdb_dupidx_entry_id(&e) >= new_from && (err = pair(arg, &first, &e)) != SDB_OK)
				goto out;
		} else {
			first = e;
		}
		last = e;
		have = 1;
		if (!compact)
			continue;
		if (opos + ENT_SIZE > obuf_size) {
			if (sdb_write_all(out_fd, obuf, opos) != 0) {
				err = io_fail(eb, "compact", d->tmp_path);
				goto out;
			}
			opos = 0;
		}
		put64(obuf + opos, e.hi);
		put64(obuf + opos + 8, e.lo);
		opos += ENT_SIZE;
		total++;
	}
	if (!compact) {
		d->nbatch = 0;
		goto out;
	}
	if (opos > 0 && sdb_write_all(out_fd, obuf, opos) != 0) {
		err = io_fail(eb, "compact", d->tmp_path);
		goto out;
	}
	memcpy(obuf, SET_MAGIC, 8);
	put64(obuf + 8, (uint64_t)total);
	if (pwrite(out_fd, obuf, HDR_SIZE, 0) != HDR_SIZE || fdatasync(out_fd) != 0) {
		err = io_fail(eb, "compact", d->tmp_path);
		goto out;
	}
	close(out_fd);
	out_fd = -1;
	if (rename(d->tmp_path, d->set_path) != 0 || sdb_sync_dir(d->set_path) != 0) {
		err = io_fail(eb, "rename", d->set_path);
		goto out;
	}
	d->nbatch = 0;
	*compacted = 1;
out:
	if (out_fd >= 0) {
		close(out_fd);
		unlink(d->tmp_path);
	}
	if (set_fd >= 0)
		close(set_fd);
	if (srcs != NULL)
		for (i = 0; i < nsrc; i++)
			if (srcs[i].fd >= 0)
				free(srcs[i].buf);
	free(srcs);
	free(heap);
	free(raw);
	free(obuf);
	return err;
}
