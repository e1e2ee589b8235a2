/* Unit tests for src/lib/gosum.c: go.sum lines as the go command reads
 * them, with csumdb's stricter entry checks and line-numbered errors. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/gosum.h"
#include "unit.h"

#define HA "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
#define HB "h1:8nK/R7vSRxBWn3/xMRy8QQ1Z2mBEhT2P3Ip3XQPsOYw="
#define EMPTY_GOMOD "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY="

static int
parse(const char *s, struct sdb_gosum **g, struct sdb_errbuf *eb)
{
	eb->msg[0] = '\0';
	return sdb_gosum_parse(s, strlen(s), g, eb);
}

static void
test_valid(void)
{
	static const char in[] =
	    "rsc.io/quote v1.5.2 " HA "\n"
	    "rsc.io/quote v1.5.2/go.mod " HB "\n"
	    "\n"
	    "  \t\r\n"
	    "github.com/BurntSushi/toml\tv0.3.1   " HA "\r\n"
	    "x.com/y v0.0.0-20200101000000-abcdefabcdef/go.mod " EMPTY_GOMOD "\n"
	    "x.com/y v0.0.0-20200101000000-abcdefabcdef " EMPTY_GOMOD "\n"
	    "x.com/y/v2 v2.0.0 h2:anything-else\n"
	    "x.com/z v2.0.0+incompatible " HB;
	static const char want[] =
	    "rsc.io/quote v1.5.2 " HA "\n"
	    "rsc.io/quote v1.5.2/go.mod " HB "\n"
	    "github.com/BurntSushi/toml v0.3.1 " HA "\n"
	    "x.com/y/v2 v2.0.0 h2:anything-else\n"
	    "x.com/z v2.0.0+incompatible " HB "\n";
	struct sdb_errbuf eb;
	struct sdb_gosum *g, *g2;
	char *out;
	size_t n, i;

	CU_ASSERT_EQUAL_FATAL(parse(in, &g, &eb), SDB_OK);
	CU_ASSERT_EQUAL(g->n, 5);
	CU_ASSERT_EQUAL(g->dropped_empty_gomod, 2);
	CU_ASSERT_STRING_EQUAL(g->entries[0].path, "rsc.io/quote");
	CU_ASSERT_STRING_EQUAL(g->entries[1].version, "v1.5.2");
	CU_ASSERT_EQUAL(g->entries[1].is_gomod, 1);
	CU_ASSERT_EQUAL(g->entries[0].alg, 1);
	CU_ASSERT_EQUAL(g->entries[2].line, 5);
	CU_ASSERT_EQUAL(g->entries[3].alg, 2);
	CU_ASSERT_EQUAL(g->entries[4].line, 9);
	CU_ASSERT_EQUAL(g->entries[0].h1.b[0], 0xe3); /* SHA-256("") */
	CU_ASSERT_EQUAL_FATAL(sdb_gosum_format(g, &out, &n), SDB_OK);
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_EQUAL(n, strlen(want));
	/* round trip */
	CU_ASSERT_EQUAL_FATAL(sdb_gosum_parse(out, n, &g2, &eb), SDB_OK);
	CU_ASSERT_EQUAL_FATAL(g2->n, g->n);
	for (i = 0; i < g->n; i++)
		CU_ASSERT(memcmp(&g->entries[i].h1, &g2->entries[i].h1, sizeof(sdb_hash)) == 0);
	free(out);
	sdb_gosum_free(g);
	sdb_gosum_free(g2);
	sdb_gosum_free(NULL);

	CU_ASSERT_EQUAL_FATAL(parse("", &g, &eb), SDB_OK);
	CU_ASSERT_EQUAL(g->n, 0);
	sdb_gosum_free(g);
}

struct bad {
	const char *in;
	int err;
	const char *msg;
};

static void
test_errors(void)
{
	static const struct bad bad[] = {
		{ "x.com/y v1.0.0\n", SDB_ERR_INVALID, "line 1: wrong number of fields 2" },
		{ "\n\nx.com/y v1.0.0 " HA " extra\n", SDB_ERR_INVALID, "line 3: wrong number of fields 4" },
		{ "x.com/y v1.0.0 " HA "\nbad\n", SDB_ERR_INVALID, "line 2:" },
		{ "X.com/y v1.0.0 " HA "\n", SDB_ERR_BAD_PATH, "line 1: malformed module path" },
		{ "x.com/y v1.0 " HA "\n", SDB_ERR_BAD_VERSION, "line 1: version \"v1.0\" is not canonical" },
		{ "x.com/y v2.0.0 " HA "\n", SDB_ERR_BAD_VERSION, "should be v0 or v1" },
		{ "x.com/y 1.0.0 " HA "\n", SDB_ERR_BAD_VERSION, "not a semantic version" },
		{ "x.com/y v1.0.0/go.sum " HA "\n", SDB_ERR_BAD_VERSION, "line 1:" },
		{ "x.com/y v1.0.0 h1:abc\n", SDB_ERR_INVALID, "line 1: h1 hash is not base64 of 32 bytes" },
		{ "x.com/y v1.0.0 h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n", SDB_ERR_INVALID, "h1 hash" },
		{ "x.com/y v1.0.0 h1:" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" "=\n", SDB_ERR_INVALID, "h1 hash" },
		{ "x.com/y v1.0.0 sha256:abc\n", SDB_ERR_INVALID, "hash is not of the form hN:VALUE" },
		{ "x.com/y v1.0.0 h0:abc\n", SDB_ERR_INVALID, "hN:VALUE" },
		{ "x.com/y v1.0.0 h2:\n", SDB_ERR_INVALID, "hN:VALUE" },
		{ "x.com/y v1.0.0 h2:\xc3\xa9\n", SDB_ERR_INVALID, "not printable ASCII" },
		{ "x.com/y v1.0.0 h2:a\x01b\n", SDB_ERR_INVALID, "line 1: hash has a byte that is not printable ASCII" },
		{ "x.com/y\xc2\xa0v1.0.0 " HA "\n", SDB_ERR_INVALID, "wrong number of fields 2" },
	};
	struct sdb_errbuf eb;
	struct sdb_gosum *g;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int err = parse(bad[i].in, &g, &eb);

		CU_ASSERT_EQUAL(err, bad[i].err);
		CU_ASSERT_PTR_NULL(g);
		if (strstr(eb.msg, bad[i].msg) == NULL) {
			fprintf(stderr, "case %zu: message %s lacks %s\n", i, eb.msg, bad[i].msg);
			CU_FAIL("message");
		}
	}
}

static void
test_limits(void)
{
	struct sdb_errbuf eb;
	struct sdb_gosum *g;
	char *big = malloc(5000);

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'a', 5000);
	CU_ASSERT_EQUAL(sdb_gosum_parse(big, 5000, &g, &eb), SDB_ERR_TOO_LARGE);
	CU_ASSERT(strstr(eb.msg, "line 1") != NULL);
	free(big);
}

static void
test_format_line(void)
{
	sdb_hash h;
	char *out;
	size_t n;

	memset(&h, 0, sizeof h);
	CU_ASSERT_EQUAL_FATAL(sdb_gosum_format_line("x.com/y", 7, "v1.0.0", 6, 1, &h, &out, &n, NULL), SDB_OK);
	CU_ASSERT_STRING_EQUAL(out, "x.com/y v1.0.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
	CU_ASSERT_EQUAL(n, strlen(out));
	free(out);
	CU_ASSERT_EQUAL(sdb_gosum_format_line("x.com/Y/v1", 10, "v1.0.0", 6, 0, &h, &out, &n, NULL), SDB_ERR_BAD_PATH);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_EQUAL(sdb_gosum_format_line("x.com/y", 7, "v1.0", 4, 0, &h, &out, &n, NULL), SDB_ERR_BAD_VERSION);
}

/* What sdb_gosum_scan hands over, and a stop after a given count. */
struct seen {
	int n;
	int stop_at;            /* return SDB_ERR_INTERNAL on this entry; 0: never */
	char last[128];         /* "path version gomod line" of the last entry */
};

static int
see(void *arg, const struct sdb_gosum_entry *e, struct sdb_errbuf *eb)
{
	struct seen *s = arg;

	s->n++;
	snprintf(s->last, sizeof s->last, "%.*s %.*s %d %lld %.*s", (int)e->path_len, e->path,
	    (int)e->version_len, e->version, e->is_gomod, (long long)e->line, (int)e->hash_len,
	    e->hash);
	if (s->n == s->stop_at)
		return sdb_errf(eb, SDB_ERR_INTERNAL, "stopped");
	return SDB_OK;
}

static void
test_scan(void)
{
	static const char in[] =
	    "rsc.io/quote v1.5.2 " HA "\n"
	    "\n"
	    "x.com/y v1.0.0/go.mod " EMPTY_GOMOD "\n"
	    "rsc.io/quote v1.5.2/go.mod " HB "\n"
	    "x.com/y/v2 v2.0.0 h2:anything-else\n"
	    "x.com/z v1.0.0 h1:bad\n";
	struct sdb_errbuf eb;
	struct seen s;
	size_t dropped = 99;

	/* Entries come in order, pointing into the input, up to the bad line. */
	memset(&s, 0, sizeof s);
	eb.msg[0] = '\0';
	CU_ASSERT_EQUAL(sdb_gosum_scan(in, strlen(in), see, &s, &dropped, &eb), SDB_ERR_INVALID);
	CU_ASSERT_STRING_EQUAL(eb.msg, "go.sum line 6: h1 hash is not base64 of 32 bytes");
	CU_ASSERT_EQUAL(s.n, 3);
	CU_ASSERT_STRING_EQUAL(s.last, "x.com/y/v2 v2.0.0 0 5 h2:anything-else");
	CU_ASSERT_EQUAL(dropped, 1);

	/* The version of a /go.mod line is without "/go.mod". */
	memset(&s, 0, sizeof s);
	CU_ASSERT_EQUAL(sdb_gosum_scan(in, strlen(in) - 22, see, &s, NULL, &eb), SDB_OK);
	CU_ASSERT_EQUAL(s.n, 3);
	memset(&s, 0, sizeof s);
	s.stop_at = 2;
	CU_ASSERT_EQUAL(sdb_gosum_scan(in, strlen(in), see, &s, NULL, &eb), SDB_ERR_INTERNAL);
	CU_ASSERT_STRING_EQUAL(eb.msg, "stopped");
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_STRING_EQUAL(s.last, "rsc.io/quote v1.5.2 1 4 " HB);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "valid", test_valid },
		{ "errors", test_errors },
		{ "limits", test_limits },
		{ "format_line", test_format_line },
		{ "scan", test_scan },
		{ NULL, NULL },
	};
	unit_suite("gosum", tests);
}
