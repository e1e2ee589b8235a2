/* Unit tests for src/lib/module_glob.c: GOPRIVATE-style patterns, with the
 * answers of x/mod module.MatchPrefixPatterns (Go 1.19) for each case. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "csumdb/module_glob.h"
#include "unit.h"

static const struct {
	const char *globs, *target;
	int want;
} cases[] = {
	{ "*.corp.example.com", "git.corp.example.com/x/y", 1 },
	{ "*.corp.example.com", "corp.example.com/x", 0 },
	{ "rsc.io/private", "rsc.io/private/z", 1 },
	{ "rsc.io/private", "rsc.io/privatez", 0 },
	{ "rsc.io/private/", "rsc.io/private", 1 },
	{ ",,example.com/*,", "example.com/a/b", 1 },
	{ "example.com/*", "example.com", 0 },
	{ "example.com/?", "example.com/a/b", 1 },
	{ "example.com/[a-c]*", "example.com/bob", 1 },
	{ "example.com/[^a-c]*", "example.com/bob", 0 },
	{ "example.com/[", "example.com/x", 0 },
	{ "example.com/\\*", "example.com/*", 1 },
	{ "example.com/a\\", "example.com/a", 0 },
	{ "exa*le.com", "example.com/v2", 1 },
	{ "*", "anything/at/all", 1 },
	{ "*/*", "a", 0 },
	{ "a/*/c", "a/b/c/d", 1 },
	{ "a/*/c", "a/b/d", 0 },
	{ "é*", "éx.com/m", 1 },
	{ "[é]x.com", "éx.com/m", 1 },
	{ "[]a]", "]", 0 },
	{ "[-]", "-", 0 },
	{ "[x-]", "x", 0 },
	{ "x,[", "x", 1 },
	{ "[,y", "y", 1 },
	{ "", "x", 0 },
	{ "a*b*c*d", "axbxcxd", 1 },
	{ "a*b?c*x", "abxbbxdbxebxczzx", 1 },
	{ "a*b?c*x", "abxbbxdbxebxczzy", 0 },
	{ "*x", "xxx", 1 },
	{ "a*", "ab/c", 1 },
	{ "corp.example.com/Team/*", "corp.example.com/Team/x/y", 1 },
};

static void
test_match_prefix_patterns(void)
{
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int got = sdb_module_match_prefix_patterns(cases[i].globs, cases[i].target);

		if (got != cases[i].want)
			fprintf(stderr, "case %zu: %s vs %s: got %d want %d\n", i,
			    cases[i].globs, cases[i].target, got, cases[i].want);
		CU_ASSERT_EQUAL(got, cases[i].want);
	}
}

static void
test_path_match_errors(void)
{
	CU_ASSERT_EQUAL(sdb_path_match("[", "a"), -1);
	CU_ASSERT_EQUAL(sdb_path_match("a\\", "a"), -1);
	CU_ASSERT_EQUAL(sdb_path_match("[a-", "a"), -1);
	CU_ASSERT_EQUAL(sdb_path_match("a*", "abc"), 1);
	CU_ASSERT_EQUAL(sdb_path_match("a*", "ab/c"), 0);
	CU_ASSERT_EQUAL(sdb_path_match("a?c", "a/c"), 0);
	CU_ASSERT_EQUAL(sdb_path_match("", ""), 1);
}

/* A list as an operator gives it: the malformed pattern is found with the
 * span Go would match nothing with (one trailing '/' trimmed), and a list
 * of no pattern is told apart. */
static void
test_check_prefix_patterns(void)
{
	const char *list = "git.corp.example.com,corp.example.com/[a-/,x", *bad;
	size_t n;

	CU_ASSERT_EQUAL(sdb_module_check_prefix_patterns(list, &bad, &n), -1);
	CU_ASSERT_PTR_EQUAL(bad, list + 21);
	CU_ASSERT_EQUAL(n, strlen("corp.example.com/[a-"));
	CU_ASSERT_EQUAL(sdb_module_check_prefix_patterns("*.corp.example.com,rsc.io/private/",
	    &bad, &n), 1);
	CU_ASSERT_PTR_NULL(bad);
	/* "x\/" is an escaped slash once the one trailing '/' is gone */
	CU_ASSERT_EQUAL(sdb_module_check_prefix_patterns("corp.example.com/x\\//", &bad, &n), 1);
	CU_ASSERT_EQUAL(sdb_module_check_prefix_patterns("a\\", &bad, &n), -1);
	CU_ASSERT_EQUAL(sdb_module_check_prefix_patterns(",/,", &bad, &n), 0);
	CU_ASSERT_EQUAL(sdb_module_check_prefix_patterns("", &bad, &n), 0);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "match_prefix_patterns", test_match_prefix_patterns },
		{ "path_match_errors", test_path_match_errors },
		{ "check_prefix_patterns", test_check_prefix_patterns },
		{ NULL, NULL },
	};
	unit_suite("module_glob", tests);
}
