/* Fuzz target: go.sum to records (src/sumdbd/import.c), what `sumdbd add`
 * and the admin interface of a running server record.  The import takes
 * exactly the go.sum files sdb_gosum_parse takes; without problems, every
 * record is a valid record text (sdb_record_parse) of one module version,
 * no version twice, and holds the hashes of that version's h1: lines;
 * every version with both lines has its record, and a version with only
 * its /go.mod line is a problem or, when asked, skipped.  The input is
 * imported twice: without and with skipping those. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/gosum.h"
#include "csumdb/record.h"
#include "fuzz.h"
#include "sumdbd/import.h"

struct seen {
	size_t calls;
	int64_t lines;
};

static void
problem(void *arg, const char *file, int64_t line, const char *msg)
{
	struct seen *s = arg;

	if (strcmp(file, "go.sum") != 0 || line < 1 || line > s->lines || msg[0] == '\0')
		__builtin_trap();
	s->calls++;
}

static int
same(const char *a, size_t an, const char *b, size_t bn)
{
	return an == bn && memcmp(a, b, an) == 0;
}

static void
check(const uint8_t *data, size_t size, const struct sdb_gosum *g, int skip)
{
	struct sdbd_import im;
	struct seen s = { 0, 1 };
	size_t i, j, versions = 0, gomod_only = 0, other_alg = 0;

	for (i = 0; i < size; i++)
		s.lines += data[i] == '\n';
	memset(&im, 0, sizeof im);
	if (sdbd_import_add(&im, "go.sum", (const char *)data, size, NULL) != SDB_OK)
		__builtin_trap();   /* sdb_gosum_parse took it */
	if (sdbd_import_finish(&im, skip, problem, &s, NULL) != SDB_OK)
		goto out;   /* out of memory */
	if (s.calls != im.problems)
		__builtin_trap();
	/* the versions of h1 lines, each counted at its first line */
	for (i = 0; i < g->n; i++) {
		const struct sdb_gosum_entry *e = &g->entries[i];
		int first = 1, h1 = 0;

		if (e->alg != 1) {
			other_alg++;
			continue;
		}
		for (j = 0; j < g->n; j++) {
			const struct sdb_gosum_entry *o = &g->entries[j];

			if (o->alg != 1 || !same(o->path, o->path_len, e->path, e->path_len) ||
			    !same(o->version, o->version_len, e->version, e->version_len))
				continue;
			if (j < i)
				first = 0;
			h1 |= !o->is_gomod;
		}
		if (first) {
			versions++;
			gomod_only += !h1;
		}
	}
	if (im.ignored_lines != other_alg)
		__builtin_trap();
	if (im.problems == 0 && im.n + (skip ? gomod_only : 0) != versions)
		__builtin_trap();
	if (im.problems == 0 && !skip && gomod_only != 0)
		__builtin_trap();
	if (im.problems != 0 && im.n != 0)
		__builtin_trap();
	for (i = 0; i < im.n; i++) {
		const struct sdbd_record *r = &im.recs[i];
		struct sdb_record rec;
		int found[2] = { 0, 0 };

		if (sdb_record_parse(r->text, r->text_len, &rec, NULL) != SDB_OK ||
		    !same(r->path, r->path_len, rec.path.p, rec.path.len) ||
		    !same(r->version, r->version_len, rec.version.p, rec.version.len))
			__builtin_trap();
		for (j = 0; j < i; j++)
			if (same(im.recs[j].path, im.recs[j].path_len, r->path, r->path_len) &&
			    same(im.recs[j].version, im.recs[j].version_len, r->version,
			    r->version_len))
				__builtin_trap();
		for (j = 0; j < g->n; j++) {
			const struct sdb_gosum_entry *e = &g->entries[j];

			if (e->alg != 1 || !same(e->path, e->path_len, r->path, r->path_len) ||
			    !same(e->version, e->version_len, r->version, r->version_len))
				continue;
			if (memcmp(&e->h1, e->is_gomod ? &rec.gomod_h1 : &rec.h1, sizeof e->h1) != 0)
				__builtin_trap();
			found[e->is_gomod] = 1;
		}
		if (!found[0] || !found[1])
			__builtin_trap();
	}
out:
	sdbd_import_free(&im);
}

SDB_FUZZ_TARGET(import)
{
	struct sdbd_import im;
	struct sdb_gosum *g;
	int rc;

	if (sdb_gosum_parse((const char *)data, size, &g, NULL) != SDB_OK) {
		memset(&im, 0, sizeof im);
		rc = sdbd_import_add(&im, "go.sum", (const char *)data, size, NULL);
		sdbd_import_free(&im);
		if (rc == SDB_OK)
			__builtin_trap();
		return 0;
	}
	check(data, size, g, 0);
	check(data, size, g, 1);
	sdb_gosum_free(g);
	return 0;
}
