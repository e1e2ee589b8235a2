/* Fuzz target: the files of the duplicate index of `sumdb audit --full`
 * (src/lib/dupidx.c), STATE-dups and STATE-dups.new, as a later run reads
 * them back, whatever a crash, a full disk or another program left in
 * them; written once per input in a directory of its own under TMPDIR,
 * removed at exit.
 *
 * Input: a flags byte (bit 0: STATE-dups exists; bits 1-2: max_runs of
 * sdb_dupidx_merge_lazy, -1, 0, 1 or 3; bits 3-7: new_from), the lengths
 * of STATE-dups and of STATE-dups.new (two bytes each, big-endian), their
 * bytes, then entries (16 bytes each) added in memory before the merge.
 *
 * A merge over files that are not what dupidx.h draws (a bad header, a
 * count past the end, entries out of order) is refused as damaged.  Over
 * any other, it reports exactly the pairs a plain sort of every entry
 * gives, in that order, and a compacting merge writes exactly that
 * sorted set, each (key, id) once. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csumdb/dupidx.h"
#include "fuzz.h"

#define MAX_BATCH 64
#define MAX_ENTRIES 8192

static char dir[4096], state[4200], set_path[4300], new_path[4300], tmp_path[4300];

struct pairs {
	struct sdb_dupidx_entry (*p)[2];
	size_t n, cap;
};

static void
teardown(void)
{
	sdb_fuzz_dir_empty(dir, 1);
}

static void
setup(void)
{
	sdb_fuzz_dir_make(dir, sizeof dir);
	atexit(teardown);
	snprintf(state, sizeof state, "%s/state", dir);
	snprintf(set_path, sizeof set_path, "%s-dups", state);
	snprintf(new_path, sizeof new_path, "%s-dups.new", state);
	snprintf(tmp_path, sizeof tmp_path, "%s-dups.tmp", state);
}

static uint64_t
get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int
less(const struct sdb_dupidx_entry *a, const struct sdb_dupidx_entry *b)
{
	return a->hi < b->hi || (a->hi == b->hi && a->lo < b->lo);
}

static int
cmp(const void *a, const void *b)
{
	return less(a, b) ? -1 : less(b, a);
}

static int
write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (f == NULL)
		return -1;
	ok = fwrite(p, 1, n, f) == n;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* Appends one source of p[0..n) (a header magic, a count, the entries)
 * to all[*nall]; returns the bytes it takes, or 0 when it is damaged. */
static size_t
source(const uint8_t *p, size_t n, const char *magic, struct sdb_dupidx_entry *all,
    size_t *nall)
{
	uint64_t c, i;

	if (n < 16 || memcmp(p, magic, 8) != 0)
		return 0;
	c = get64(p + 8);
	if (c > (n - 16) / 16 || *nall + c > MAX_ENTRIES)
		return 0;
	for (i = 0; i < c; i++) {
		struct sdb_dupidx_entry *e = &all[*nall + i];

		e->hi = get64(p + 16 + i * 16);
		e->lo = get64(p + 24 + i * 16);
		if (i > 0 && less(e, e - 1))
			return 0;
	}
	*nall += c;
	return 16 + c * 16;
}

static int
on_pair(void *arg, const struct sdb_dupidx_entry *first, const struct sdb_dupidx_entry *again)
{
	struct pairs *ps = arg;

	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 16;
		void *p = realloc(ps->p, cap * sizeof *ps->p);

		if (p == NULL)
			return SDB_ERR_NOMEM;
		ps->p = p;
		ps->cap = cap;
	}
	ps->p[ps->n][0] = *first;
	ps->p[ps->n++][1] = *again;
	return SDB_OK;
}

SDB_FUZZ_TARGET(dupidx)
{
	static const int max_runs_of[] = { -1, 0, 1, 3 };
	struct sdb_dupidx_entry *all = NULL, first = { 0 }, last = { 0 };
	struct pairs ps = { NULL, 0, 0 };
	struct sdb_errbuf eb;
	struct sdb_dupidx *d = NULL;
	size_t a, b, nall = 0, nbatch, i, off, k, np = 0, got, nout = 0;
	const uint8_t *setb, *newb, *batch;
	int has_set, max_runs, rc, compacted = -1, damaged = 0, have = 0, nruns = 0;
	int64_t new_from;
	uint8_t *out = NULL;
	FILE *f;

	if (dir[0] == '\0')
		setup();
	if (size < 5)
		return 0;
	has_set = data[0] & 1;
	max_runs = max_runs_of[(data[0] >> 1) & 3];
	new_from = data[0] >> 3;
	a = (size_t)data[1] << 8 | data[2];
	b = (size_t)data[3] << 8 | data[4];
	if (5 + a + b > size)
		return 0;
	setb = data + 5;
	newb = setb + a;
	batch = newb + b;
	nbatch = (size - 5 - a - b) / 16;
	if (nbatch > MAX_BATCH)
		nbatch = MAX_BATCH;
	(void)unlink(set_path);
	(void)unlink(tmp_path);
	if ((has_set && write_file(set_path, setb, a) != 0) || write_file(new_path, newb, b) != 0)
		__builtin_trap();
	if ((all = malloc(MAX_ENTRIES * sizeof *all)) == NULL)
		return 0;

	/* the plain reading: every source whole, each in order */
	for (off = 0; off < b && !damaged; off += k, nruns++)
		if ((k = source(newb + off, b - off, "csdbrun1", all, &nall)) == 0)
			damaged = 1;
	if (has_set && !damaged && source(setb, a, "csdbdup1", all, &nall) == 0)
		damaged = 1;

	if (sdb_dupidx_open(&d, state, (int64_t)b, 0, 0, &eb) != SDB_OK)
		__builtin_trap();
	for (i = 0; i < nbatch; i++) {
		struct sdb_dupidx_entry e = { get64(batch + i * 16), get64(batch + i * 16 + 8) };

		all[nall++] = e;
		if (sdb_dupidx_add(d, &e, &eb) != SDB_OK)
			__builtin_trap();
	}
	rc = sdb_dupidx_merge_lazy(d, new_from, max_runs, on_pair, &ps, &compacted, &eb);
	sdb_dupidx_close(d);
	if (rc == SDB_ERR_NOMEM)
		goto out;
	if (damaged) {
		if (rc != SDB_ERR_INVALID || compacted != 0)
			__builtin_trap();
		goto out;
	}
	if (rc != SDB_OK ||
	    compacted != (max_runs < 0 || nruns > max_runs || !has_set))
		__builtin_trap();
	qsort(all, nall, sizeof *all, cmp);
	for (i = 0; i < nall; i++) {
		if (have && all[i].hi == last.hi && all[i].lo == last.lo)
			continue;
		if (have && sdb_dupidx_same_key(&all[i], &first)) {
			if (sdb_dupidx_entry_id(&all[i]) >= new_from) {
				if (np >= ps.n || memcmp(&ps.p[np][0], &first, sizeof first) != 0 ||
				    memcmp(&ps.p[np][1], &all[i], sizeof first) != 0)
					__builtin_trap();
				np++;
			}
		} else {
			first = all[i];
		}
		last = all[i];
		have = 1;
		all[nout++] = all[i];
	}
	if (np != ps.n)
		__builtin_trap();
	if (compacted) {
		/* the set written: the header, then every (key, id) once, sorted */
		if ((out = malloc(16 + nout * 16 + 1)) == NULL || (f = fopen(set_path, "rb")) == NULL)
			__builtin_trap();
		got = fread(out, 1, 16 + nout * 16 + 1, f);
		fclose(f);
		if (got != 16 + nout * 16 || memcmp(out, "csdbdup1", 8) != 0 ||
		    get64(out + 8) != nout)
			__builtin_trap();
		for (i = 0; i < nout; i++)
			if (get64(out + 16 + i * 16) != all[i].hi || get64(out + 24 + i * 16) != all[i].lo)
				__builtin_trap();
	}
out:
	free(out);
	free(ps.p);
	free(all);
	return 0;
}
