/* Unit tests for src/sumdbd/import.c: go.sum lines folded into records,
 * the problems of an input in their order, and an import large enough to
 * fill several text blocks and grow its index. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "unit.h"

#define HA "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
#define HB "h1:8nK/R7vSRxBWn3/xMRy8QQ1Z2mBEhT2P3Ip3XQPsOYw="
#define HC "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

/* The problems reported, one "file:line: msg\n" each. */
struct seen {
	char text[4096];
	size_t len;
};

static void
see(void *arg, const char *file, int64_t line, const char *msg)
{
	struct seen *s = arg;
	int n = snprintf(s->text + s->len, sizeof s->text - s->len, "%s:%lld: %s\n", file,
	    (long long)line, msg);

	if (n > 0 && (size_t)n < sizeof s->text - s->len)
		s->len += (size_t)n;
}

static int
add(struct sdbd_import *im, const char *name, const char *data)
{
	struct sdb_errbuf eb = { { 0 } };

	return sdbd_import_add(im, name, data, strlen(data), &eb);
}

static int
rec_is(const struct sdbd_record *r, const char *path, const char *version, const char *text)
{
	return r->path_len == strlen(path) && memcmp(r->path, path, r->path_len) == 0 &&
	    r->version_len == strlen(version) && memcmp(r->version, version, r->version_len) == 0 &&
	    r->text_len == strlen(text) && memcmp(r->text, text, r->text_len) == 0;
}

static void
test_records(void)
{
	struct sdbd_import im;
	struct sdb_errbuf eb = { { 0 } };
	struct seen s;

	memset(&im, 0, sizeof im);
	memset(&s, 0, sizeof s);
	/* Lines of a version in any order and in any file; the same line
	 * twice is fine; other algorithms are counted and ignored. */
	CU_ASSERT_EQUAL(add(&im, "a", "b.com/m v1.0.0/go.mod " HB "\n"
	    "a.com/m v1.2.0 " HA "\n"
	    "a.com/m v1.2.0 h2:whatever\n"), SDB_OK);
	CU_ASSERT_EQUAL(add(&im, "b", "a.com/m v1.2.0/go.mod " HC "\n"
	    "b.com/m v1.0.0 " HA "\n"
	    "a.com/m v1.2.0 " HA "\n"), SDB_OK);
	CU_ASSERT_EQUAL(sdbd_import_finish(&im, 0, see, &s, &eb), SDB_OK);
	CU_ASSERT_EQUAL(im.problems, 0);
	CU_ASSERT_EQUAL(im.ignored_lines, 1);
	CU_ASSERT_EQUAL_FATAL(im.n, 2);
	/* in the order of their first line */
	CU_ASSERT(rec_is(&im.recs[0], "b.com/m", "v1.0.0",
	    "b.com/m v1.0.0 " HA "\nb.com/m v1.0.0/go.mod " HB "\n"));
	CU_ASSERT(rec_is(&im.recs[1], "a.com/m", "v1.2.0",
	    "a.com/m v1.2.0 " HA "\na.com/m v1.2.0/go.mod " HC "\n"));
	sdbd_import_free(&im);
	CU_ASSERT_EQUAL(im.n, 0);
	CU_ASSERT_PTR_NULL(im.recs);
	sdbd_import_free(&im);   /* an empty import: a no-op */
	sdbd_import_free(NULL);

	/* Nothing added: nothing to record. */
	CU_ASSERT_EQUAL(sdbd_import_finish(&im, 0, see, &s, &eb), SDB_OK);
	CU_ASSERT_EQUAL(im.n, 0);
	CU_ASSERT_EQUAL(s.len, 0);
	sdbd_import_free(&im);
}

static void
test_problems(void)
{
	struct sdbd_import im;
	struct sdb_errbuf eb = { { 0 } };
	struct seen s;

	memset(&im, 0, sizeof im);
	memset(&s, 0, sizeof s);
	/* Ordered by path, version, h1: before /go.mod h1:, then lines;
	 * a second hash names the first line of its kind. */
	CU_ASSERT_EQUAL(add(&im, "f1", "z.com/m v1.0.0 " HA "\n"
	    "c.com/m v1.0.0/go.mod " HA "\n"
	    "c.com/m v1.0.0/go.mod " HB "\n"
	    "c.com/m v1.0.0 " HA "\n"
	    "a.com/m v1.0.0/go.mod " HA "\n"), SDB_OK);
	CU_ASSERT_EQUAL(add(&im, "f2", "c.com/m v1.0.0 " HB "\n"
	    "c.com/m v1.0.0/go.mod " HC "\n"
	    "c.com/m v1.0.0 " HC "\n"
	    "c.com/m v1.0.0 " HA "\n"
	    "c.com/m/v2 v2.0.0 " HA "\n"
	    "c.com/m/v2 v2.0.0/go.mod " HA "\n"), SDB_OK);
	CU_ASSERT_EQUAL(sdbd_import_finish(&im, 0, see, &s, &eb), SDB_OK);
	CU_ASSERT_EQUAL(im.problems, 6);
	CU_ASSERT_EQUAL(im.n, 0);
	CU_ASSERT_STRING_EQUAL(s.text,
	    "f1:5: a.com/m v1.0.0 has no h1: (module zip) line; a record needs both the h1: and "
	    "the /go.mod h1: line (go.sum keeps only the /go.mod line of modules needed for "
	    "their go.mod alone: --skip-gomod-only skips those)\n"
	    "f2:1: c.com/m v1.0.0 has two different hashes (also f1:4)\n"
	    "f2:3: c.com/m v1.0.0 has two different hashes (also f1:4)\n"
	    "f1:3: c.com/m v1.0.0/go.mod has two different hashes (also f1:2)\n"
	    "f2:2: c.com/m v1.0.0/go.mod has two different hashes (also f1:2)\n"
	    "f1:1: z.com/m v1.0.0 has no /go.mod h1: line; a record needs both the h1: and the "
	    "/go.mod h1: line\n");
	sdbd_import_free(&im);

	/* --skip-gomod-only: such versions are counted, not problems. */
	memset(&s, 0, sizeof s);
	CU_ASSERT_EQUAL(add(&im, "f", "a.com/m v1.0.0/go.mod " HA "\n"
	    "b.com/m v1.0.0 " HA "\n"
	    "b.com/m v1.0.0/go.mod " HA "\n"), SDB_OK);
	CU_ASSERT_EQUAL(sdbd_import_finish(&im, 1, see, &s, &eb), SDB_OK);
	CU_ASSERT_EQUAL(im.problems, 0);
	CU_ASSERT_EQUAL(im.skipped_gomod_only, 1);
	CU_ASSERT_EQUAL_FATAL(im.n, 1);
	CU_ASSERT(rec_is(&im.recs[0], "b.com/m", "v1.0.0",
	    "b.com/m v1.0.0 " HA "\nb.com/m v1.0.0/go.mod " HA "\n"));
	sdbd_import_free(&im);

	/* A malformed line: the parser's error, naming the line. */
	{
		static const char bad[] = "a.com/m v1.0.0 " HA "\nx\n";

		CU_ASSERT_EQUAL(sdbd_import_add(&im, "f", bad, sizeof bad - 1, &eb),
		    SDB_ERR_INVALID);
	}
	CU_ASSERT_PTR_NOT_NULL(strstr(eb.msg, "go.sum line 2: wrong number of fields"));
	sdbd_import_free(&im);
}

/* Enough versions for many text blocks and index doublings, the two
 * lines of each far apart and in two files. */
static void
test_many(void)
{
	enum { N = 40000 };
	struct sdbd_import im;
	struct sdb_errbuf eb = { { 0 } };
	char *a = malloc(N * 128), *b = malloc(N * 128), want[256];
	size_t alen = 0, blen = 0, i;
	int ok = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	for (i = 0; i < N; i++) {
		alen += (size_t)snprintf(a + alen, 128, "x.com/m%zu v1.0.%zu " HA "\n", i, i % 7);
		blen += (size_t)snprintf(b + blen, 128, "x.com/m%zu v1.0.%zu/go.mod " HB "\n",
		    N - 1 - i, (N - 1 - i) % 7);
	}
	memset(&im, 0, sizeof im);
	CU_ASSERT_EQUAL(sdbd_import_add(&im, "a", a, alen, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdbd_import_add(&im, "b", b, blen, &eb), SDB_OK);
	free(a);
	free(b);
	CU_ASSERT_EQUAL(sdbd_import_finish(&im, 0, NULL, NULL, &eb), SDB_OK);
	CU_ASSERT_EQUAL(im.problems, 0);
	CU_ASSERT_EQUAL_FATAL(im.n, N);
	for (i = 0; i < N && ok; i++) {
		char p[32], v[32];

		snprintf(p, sizeof p, "x.com/m%zu", i);
		snprintf(v, sizeof v, "v1.0.%zu", i % 7);
		snprintf(want, sizeof want, "%s %s " HA "\n%s %s/go.mod " HB "\n", p, v, p, v);
		ok = rec_is(&im.recs[i], p, v, want);
	}
	CU_ASSERT(ok);
	sdbd_import_free(&im);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "records", test_records },
		{ "problems", test_problems },
		{ "many", test_many },
		{ NULL, NULL },
	};
	unit_suite("import", tests);
}
