/* Unit tests for src/lib/module.c: x/mod's module_test.go tables, escapes
 * and the /lookup/ gate of PROTOCOL.md (every refusal it lists). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/module.h"
#include "module_int.h"
#include "module_vectors.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define S(s) (s), strlen(s)

static void
test_check_path_table(void)
{
	size_t i;

	for (i = 0; i < N(check_path_tests); i++) {
		const char *p = check_path_tests[i].path;
		size_t n = check_path_tests[i].len;

		CU_ASSERT_EQUAL(sdb_module_check_path(p, n, NULL) == SDB_OK,
		    check_path_tests[i].ok);
		CU_ASSERT_EQUAL(sdb_module_check_import_path(p, n, NULL) == SDB_OK,
		    check_path_tests[i].import_ok);
		CU_ASSERT_EQUAL(sdb_module_check_file_path(p, n, NULL) == SDB_OK,
		    check_path_tests[i].file_ok);
	}
}

static void
test_check_table(void)
{
	size_t i;

	for (i = 0; i < N(check_tests); i++) {
		int err = sdb_module_check(S(check_tests[i].path),
		    S(check_tests[i].version), NULL);

		CU_ASSERT_EQUAL(err == SDB_OK, check_tests[i].ok);
		CU_ASSERT(err == SDB_OK || err == SDB_ERR_BAD_PATH ||
		    err == SDB_ERR_BAD_VERSION);
	}
}

static void
test_messages(void)
{
	struct sdb_errbuf eb;

	CU_ASSERT_EQUAL(sdb_module_check_path(S("rsc.io/quote//x"), &eb), SDB_ERR_BAD_PATH);
	CU_ASSERT_STRING_EQUAL(eb.msg, "malformed module path \"rsc.io/quote//x\": double slash");
	CU_ASSERT_EQUAL(sdb_module_check_path(S("rsc/quote"), &eb), SDB_ERR_BAD_PATH);
	CU_ASSERT(strstr(eb.msg, "missing dot in first path element") != NULL);
	CU_ASSERT_EQUAL(sdb_module_check_path(S("x.com/y/v1"), &eb), SDB_ERR_BAD_PATH);
	CU_ASSERT(strstr(eb.msg, "invalid version") != NULL);
	CU_ASSERT_EQUAL(sdb_module_check_path(S("x.com/aux.c"), &eb), SDB_ERR_BAD_PATH);
	CU_ASSERT(strstr(eb.msg, "disallowed as path element component on Windows") != NULL);
	CU_ASSERT_EQUAL(sdb_module_check(S("x.com/y/v2"), S("v1.0.0"), &eb), SDB_ERR_BAD_VERSION);
	CU_ASSERT(strstr(eb.msg, "should be v2, not v1") != NULL);
	CU_ASSERT_EQUAL(sdb_module_check(S("x.com/y"), S("v2.0.0"), &eb), SDB_ERR_BAD_VERSION);
	CU_ASSERT(strstr(eb.msg, "should be v0 or v1, not v2") != NULL);
	CU_ASSERT_EQUAL(sdb_module_check(S("x.com/y"), S("2.0.0"), &eb), SDB_ERR_BAD_VERSION);
	CU_ASSERT(strstr(eb.msg, "not a semantic version") != NULL);
	/* NUL inside a path is data, not a terminator */
	CU_ASSERT_EQUAL(sdb_module_check_path("x.com/a\0b", 9, NULL), SDB_ERR_BAD_PATH);
}

static void
test_split(void)
{
	size_t i, prefix;
	char buf[128];

	for (i = 0; i < N(split_tests); i++) {
		size_t pl = strlen(split_tests[i].prefix);

		snprintf(buf, sizeof buf, "%s%s", split_tests[i].prefix, split_tests[i].major);
		CU_ASSERT_EQUAL(sdb_module_split_path_version(S(buf), &prefix), 1);
		CU_ASSERT_EQUAL(prefix, pl);
	}
	for (i = 0; i < N(check_path_tests); i++) {
		(void)sdb_module_split_path_version(check_path_tests[i].path,
		    check_path_tests[i].len, &prefix);
		CU_ASSERT(prefix <= check_path_tests[i].len);
	}
	CU_ASSERT_EQUAL(sdb_module_split_path_version(S("x.y/z/v1"), &prefix), 0);
	CU_ASSERT_EQUAL(sdb_module_split_path_version(S("x.y/z/v05"), &prefix), 0);
	CU_ASSERT_EQUAL(sdb_module_split_path_version(S("x.y/z/v2.0"), &prefix), 0);
	CU_ASSERT_EQUAL(sdb_module_split_path_version(S("gopkg.in/yaml.v2-unstable"), &prefix), 1);
	CU_ASSERT_EQUAL(prefix, strlen("gopkg.in/yaml"));
	CU_ASSERT_EQUAL(sdb_module_split_path_version(S("gopkg.in/yaml"), &prefix), 0);
	CU_ASSERT_EQUAL(sdb_module_check(S("gopkg.in/yaml.v2"), S("v2.4.0"), NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_module_check(S("gopkg.in/yaml.v2"), S("v3.0.0"), NULL), SDB_ERR_BAD_VERSION);
	CU_ASSERT_EQUAL(sdb_module_check(S("gopkg.in/yaml.v1"), S("v0.0.0-20200101000000-abcdefabcdef"), NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_module_check(S("x.com/y"), S("v2.0.0+incompatible"), NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_module_check(S("x.com/y/v2"), S("v2.0.0+incompatible"), NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_module_check(S("x.com/y/v3"), S("v2.0.0+incompatible"), NULL), SDB_ERR_BAD_VERSION);
}

static void
check_escape(const char *path, const char *want)
{
	char *out, *back;
	size_t n, bn;

	CU_ASSERT_EQUAL_FATAL(sdb_module_escape_path(S(path), &out, &n, NULL), SDB_OK);
	CU_ASSERT_STRING_EQUAL(out, want);
	CU_ASSERT_EQUAL(n, strlen(want));
	CU_ASSERT_EQUAL_FATAL(sdb_module_unescape_path(out, n, &back, &bn, NULL), SDB_OK);
	CU_ASSERT_STRING_EQUAL(back, path);
	free(out);
	free(back);
}

static void
test_escape(void)
{
	char *out;
	size_t i, n;

	check_escape("ascii.com/abcdefghijklmnopqrstuvwxyz.-/~_0123456789",
	    "ascii.com/abcdefghijklmnopqrstuvwxyz.-/~_0123456789");
	check_escape("github.com/GoogleCloudPlatform/omega",
	    "github.com/!google!cloud!platform/omega");
	for (i = 0; i < N(check_path_tests); i++) {
		if (check_path_tests[i].ok)
			continue;
		CU_ASSERT_EQUAL(sdb_module_escape_path(check_path_tests[i].path,
		    check_path_tests[i].len, &out, &n, NULL), SDB_ERR_BAD_PATH);
		CU_ASSERT_PTR_NULL(out);
	}
	for (i = 0; i < N(bad_unescape); i++) {
		CU_ASSERT_EQUAL(sdb_module_unescape_path(S(bad_unescape[i]), &out, &n, NULL), SDB_ERR_BAD_PATH);
		CU_ASSERT_PTR_NULL(out);
	}
	CU_ASSERT_EQUAL(sdb_module_escape_version(S("v1.0.0-RC1"), &out, &n, NULL), SDB_OK);
	CU_ASSERT_STRING_EQUAL(out, "v1.0.0-!r!c1");
	free(out);
	CU_ASSERT_EQUAL(sdb_module_unescape_version(S("v1.0.0-!r!c1"), &out, &n, NULL), SDB_OK);
	CU_ASSERT_STRING_EQUAL(out, "v1.0.0-RC1");
	free(out);
	/* forgery twins: spellings x/mod refuses */
	CU_ASSERT_EQUAL(sdb_module_escape_version(S("v1.0.0!"), &out, &n, NULL), SDB_ERR_BAD_VERSION);
	CU_ASSERT_EQUAL(sdb_module_escape_version(S("v1.0.0-\xc3\xa9"), &out, &n, NULL), SDB_ERR_BAD_VERSION);
	CU_ASSERT_EQUAL(sdb_module_escape_version(S(""), &out, &n, NULL), SDB_ERR_BAD_VERSION);
	CU_ASSERT_EQUAL(sdb_module_unescape_version(S("v1.0.0-RC1"), &out, &n, NULL), SDB_ERR_BAD_VERSION);
	CU_ASSERT_EQUAL(sdb_module_unescape_version(S("v1.0.0-!"), &out, &n, NULL), SDB_ERR_BAD_VERSION);
	CU_ASSERT_EQUAL(sdb_module_unescape_version(S("v1.0.0-!1"), &out, &n, NULL), SDB_ERR_BAD_VERSION);
	CU_ASSERT_EQUAL(sdb_module_unescape_version(S("v1.0.0/x"), &out, &n, NULL), SDB_ERR_BAD_VERSION);
}

static void
test_file_path_unicode(void)
{
	/* Unicode letters are allowed in zip file names, other runes not */
	CU_ASSERT_EQUAL(sdb_module_check_file_path(S("x/caf\xc3\xa9.go"), NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_module_check_file_path(S("x/\xe4\xb8\xad.go"), NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_module_check_file_path(S("x/a\xc2\xa0" "b"), NULL), SDB_ERR_BAD_PATH);
	CU_ASSERT_EQUAL(sdb_module_check_file_path(S("x/\xf0\x9f\x98\x80"), NULL), SDB_ERR_BAD_PATH);
	CU_ASSERT_EQUAL(sdb_module_check_file_path(S("x/\xed\xa0\x80"), NULL), SDB_ERR_BAD_PATH);
	CU_ASSERT_EQUAL(sdb_module_check_file_path(S("x/a b+c@d.go"), NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_module_check_file_path(S("x/a:b"), NULL), SDB_ERR_BAD_PATH);
	CU_ASSERT_EQUAL(sdb_module_check_file_path(S("-x/y"), NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_module_check_import_path(S("-x/y"), NULL), SDB_ERR_BAD_PATH);
}

static int
lookup(const char *req, const char *wp, const char *wv)
{
	char *p, *v;
	size_t pl, vl;
	int err = sdb_lookup_parse(S(req), &p, &pl, &v, &vl, NULL);

	if (err == SDB_OK) {
		CU_ASSERT_STRING_EQUAL(p, wp);
		CU_ASSERT_STRING_EQUAL(v, wv);
		CU_ASSERT_EQUAL(pl, strlen(wp));
		CU_ASSERT_EQUAL(vl, strlen(wv));
		free(p);
		free(v);
	} else {
		CU_ASSERT_PTR_NULL(p);
		CU_ASSERT_PTR_NULL(v);
	}
	return err;
}

static void
test_lookup(void)
{
	char *p, *v;
	size_t pl, vl;
	char big[5000];

	CU_ASSERT_EQUAL(lookup("rsc.io/quote@v1.5.2", "rsc.io/quote", "v1.5.2"), SDB_OK);
	CU_ASSERT_EQUAL(lookup("github.com/!burnt!sushi/toml@v0.3.1",
	    "github.com/BurntSushi/toml", "v0.3.1"), SDB_OK);
	CU_ASSERT_EQUAL(lookup("x.com/y@v2.0.0+incompatible", "x.com/y",
	    "v2.0.0+incompatible"), SDB_OK);
	CU_ASSERT_EQUAL(lookup("x.com/y@v0.0.0-20200101000000-abcdef-!r!c",
	    "x.com/y", "v0.0.0-20200101000000-abcdef-RC"), SDB_OK);
	/* the gate lets non-canonical versions through, as x/mod's server */
	CU_ASSERT_EQUAL(lookup("x.com/y@v01.2.3", "x.com/y", "v01.2.3"), SDB_OK);

	/* syntax gate refusals */
	CU_ASSERT_EQUAL(lookup("rsc.io/quote", 0, 0), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(lookup("@v1.0.0", 0, 0), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(lookup("x.com/y@1.0.0", 0, 0), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(lookup("x.com/y@v1.0", 0, 0), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(lookup("x.com/y@v1.0.0@v1.0.0", 0, 0), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(lookup("x.com/y@v1.0.0-a@b", 0, 0), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(lookup("x.com/y@v1.0.0+meta", 0, 0), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(lookup("x.com/y@v1.0.0+incompatiblex", 0, 0), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(lookup("x.com/y@v1.0.0x", 0, 0), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(lookup("x.com/y@", 0, 0), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(lookup("", 0, 0), SDB_ERR_INVALID);
	/* NUL and an encoded NUL */
	CU_ASSERT_EQUAL(sdb_lookup_parse("x.com/y@v1.0.0-a\0", 17, &p, &pl, &v, &vl, NULL), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_lookup_parse("x.com/y\0@v1.0.0", 15, &p, &pl, &v, &vl, NULL), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(lookup("x.com/y@v1.0.0-%00", 0, 0), SDB_ERR_INVALID);
	/* unescaping refusals: upper case, bad '!', non-ASCII */
	CU_ASSERT_EQUAL(lookup("github.com/BurntSushi/toml@v0.3.1", 0, 0), SDB_ERR_BAD_PATH);
	CU_ASSERT_EQUAL(lookup("github.com/!Burnt/toml@v0.3.1", 0, 0), SDB_ERR_BAD_PATH);
	CU_ASSERT_EQUAL(lookup("github.com/!1/toml@v0.3.1", 0, 0), SDB_ERR_BAD_PATH);
	CU_ASSERT_EQUAL(lookup("github.com/x!@v0.3.1", 0, 0), SDB_ERR_BAD_PATH);
	CU_ASSERT_EQUAL(lookup("caf\xc3\xa9.com/x@v0.3.1", 0, 0), SDB_ERR_BAD_PATH);
	CU_ASSERT_EQUAL(lookup("x.com/y@v1.0.0-RC", 0, 0), SDB_ERR_BAD_VERSION);
	CU_ASSERT_EQUAL(lookup("x.com/y@v1.0.0-!", 0, 0), SDB_ERR_BAD_VERSION);
	CU_ASSERT_EQUAL(lookup("x.com/y@v1.0.0-\xc3\xa9", 0, 0), SDB_ERR_BAD_VERSION);
	CU_ASSERT_EQUAL(lookup("x.com/y@v1.0.0-a/b", 0, 0), SDB_ERR_BAD_VERSION);
	/* '+' stays '+' and is not allowed in module paths; never a space */
	CU_ASSERT_EQUAL(lookup("x.com/a+b@v1.0.0", 0, 0), SDB_ERR_BAD_PATH);
	CU_ASSERT_EQUAL(lookup("x.com/a b@v1.0.0", 0, 0), SDB_ERR_BAD_PATH);
	/* valid path, invalid major suffix */
	CU_ASSERT_EQUAL(lookup("x.com/y/v1@v1.0.0", 0, 0), SDB_ERR_BAD_PATH);
	/* size limit */
	memset(big, 'a', sizeof big);
	memcpy(big, "x.com/", 6);
	memcpy(big + sizeof big - 7, "@v1.0.0", 7);
	CU_ASSERT_EQUAL(sdb_lookup_parse(big, sizeof big, &p, &pl, &v, &vl, NULL), SDB_ERR_TOO_LARGE);
}

static void
test_quote(void)
{
	char buf[16];

	CU_ASSERT_STRING_EQUAL(sdb_quote(buf, sizeof buf, "a\"b\n", 4), "\"a\\\"b\\x0a\"");
	sdb_quote(buf, sizeof buf, "abcdefghijklmnopqrstuvwxyz", 26);
	CU_ASSERT(strlen(buf) < sizeof buf);
	CU_ASSERT(strstr(buf, "...") != NULL);
}

/* One fast-path comparison: the fast yes is never wrong, and the check
 * with the fast path gives the full check's verdict and message. */
static size_t
fast_disagrees(const char *p, size_t len, size_t *fast_yes)
{
	struct sdb_errbuf a, b;
	int fast = sdb_module_path_fast_ok(p, len), ra, rb;

	a.msg[0] = b.msg[0] = '\0';
	ra = sdb_module_check_path(p, len, &a);
	rb = sdb_module_check_path_slow(p, len, &b);
	*fast_yes += fast;
	return (fast && rb != SDB_OK) || ra != rb || strcmp(a.msg, b.msg) != 0;
}

/* The module path fast path against the full check: x/mod's table, and
 * random paths built from pieces near every rule (reserved Windows names,
 * dots, dashes, tildes, upper case, gopkg.in and /vN suffixes, non-ASCII). */
static void
test_path_fast(void)
{
	static const char *const piece[] = {
		"github.com", "golang.org", "gopkg.in", "example", "x", "a.b", "rsc.io",
		"con", "CON", "com1", "lpt9", "aux.x", "nul", "prn", "com", "lpt", "conx",
		"v2", "v0", "v1", "v10", "v01", ".v1", ".v2", "yaml.v2", "yaml.v0", "yaml.v1",
		"yaml.v2-unstable", "-x", "x-", "x.", ".x", "..", ".", "", "a~1", "a~b",
		"PROGRA~1", "A", "_x", "x_y", "é", "\xff", "a+b", "a b", "x.go", "v2.0",
		"0", "9x", "a.-", "-", "~", "abcdefghijklmnopqrstuvwxyz", "0123456789-abcdef",
		"a.b.c.d.e.f.g.h", "x-y-z-0-9-a-b-c",
	};
	char buf[256];
	size_t i, k, len, bad = 0, yes = 0, yes_random = 0;
	int m;

	for (i = 0; i < N(check_path_tests); i++)
		bad += fast_disagrees(check_path_tests[i].path, check_path_tests[i].len, &yes);
	for (i = 0; i < N(check_tests); i++)
		bad += fast_disagrees(S(check_tests[i].path), &yes);
	for (k = 0; k < 300000; k++) {
		len = 0;
		for (m = 1 + (int)unit_rnd(5); m > 0; m--) {
			const char *e = piece[unit_rnd(N(piece))];
			size_t n = strlen(e);

			if (len > 0 && len < sizeof buf)
				buf[len++] = unit_rnd(20) == 0 ? (char)"/.-"[unit_rnd(3)] : '/';
			if (len + n + 1 > sizeof buf)
				break;
			memcpy(buf + len, e, n);
			len += n;
		}
		/* sometimes a random character changed or a slash at the end */
		if (len > 0 && unit_rnd(4) == 0)
			buf[unit_rnd((uint32_t)len)] = (char)"/.-_~Az09\x80`{:,\xe1\xad\xb0"[unit_rnd(17)];
		if (unit_rnd(20) == 0 && len < sizeof buf)
			buf[len++] = '/';
		bad += fast_disagrees(buf, len, &yes_random);
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* the fast path is taken often enough to be tested */
	CU_ASSERT(yes > 0);
	CU_ASSERT(yes_random > 10000);
	CU_ASSERT(sdb_module_path_fast_ok(S("github.com/user/repo")));
	CU_ASSERT(sdb_module_path_fast_ok(S("gopkg.in/yaml.v2")));
	CU_ASSERT(!sdb_module_path_fast_ok(S("github.com/user/repo/v1")));
	CU_ASSERT(!sdb_module_path_fast_ok(S("github.com/con/repo")));
	CU_ASSERT(!sdb_module_path_fast_ok(S("github/user")));
}

/* A message wrapped in context, as module.c and the programs do: the
 * wrapped message is one of sdb_errf's own arguments. */
static void
test_errf_wraps_own_message(void)
{
	struct sdb_errbuf eb = { { 0 } };

	CU_ASSERT_EQUAL(sdb_errf(&eb, SDB_ERR_INVALID, "inner detail"), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_errf(&eb, SDB_ERR_IO, "outer: %s", sdb_errmsg(&eb, SDB_ERR_INVALID)),
	    SDB_ERR_IO);
	CU_ASSERT_STRING_EQUAL(eb.msg, "outer: inner detail");
	CU_ASSERT_EQUAL(sdb_module_check("example.com/m", 13, "v2.0.0", 6, &eb),
	    SDB_ERR_BAD_VERSION);
	CU_ASSERT_STRING_EQUAL(eb.msg, "module \"example.com/m\": version \"v2.0.0\" invalid: "
	    "should be v0 or v1, not v2");
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "check_path_table", test_check_path_table },
		{ "check_table", test_check_table },
		{ "messages", test_messages },
		{ "split", test_split },
		{ "escape", test_escape },
		{ "file_path_unicode", test_file_path_unicode },
		{ "lookup", test_lookup },
		{ "quote", test_quote },
		{ "path_fast", test_path_fast },
		{ "errf_wraps_own_message", test_errf_wraps_own_message },
		{ NULL, NULL },
	};
	unit_suite("module", tests);
}
