/* Unit tests for src/lib/semver.c: x/mod's semver_test.go and
 * pseudo_test.go tables. */
#include "config.h"

#include <string.h>

#include "csumdb/module.h"
#include "module_vectors.h"
#include "unit.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define S(s) (s), strlen(s)

static void
test_valid_canonical(void)
{
	size_t i, n;
	char out[64];

	for (i = 0; i < N(semver_tests); i++) {
		const char *in = semver_tests[i].in, *want = semver_tests[i].out;
		int err = sdb_semver_canonical(S(in), out, sizeof out, &n);

		CU_ASSERT_EQUAL(sdb_semver_is_valid(S(in)), want[0] != '\0');
		if (want[0] == '\0') {
			CU_ASSERT_EQUAL(err, SDB_ERR_BAD_VERSION);
		} else {
			CU_ASSERT_EQUAL(err, SDB_OK);
			CU_ASSERT_STRING_EQUAL(out, want);
			CU_ASSERT_EQUAL(n, strlen(want));
		}
	}
	CU_ASSERT_EQUAL(sdb_semver_canonical(S("v1"), out, 6, &n), SDB_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(sdb_semver_canonical(S("v1"), out, 7, &n), SDB_OK);
	CU_ASSERT_STRING_EQUAL(out, "v1.0.0");
}

static void
test_compare(void)
{
	size_t i, j;

	/* the table is in increasing order; equal canonical forms compare 0 */
	for (i = 0; i < N(semver_tests); i++) {
		for (j = 0; j < N(semver_tests); j++) {
			int want, got = sdb_semver_compare(S(semver_tests[i].in),
			    S(semver_tests[j].in));

			if (strcmp(semver_tests[i].out, semver_tests[j].out) == 0)
				want = 0;
			else
				want = i < j ? -1 : 1;
			CU_ASSERT_EQUAL(got, want);
		}
	}
}

static void
test_parts(void)
{
	size_t off, n;

	CU_ASSERT_EQUAL(sdb_semver_major_len(S("v2.1.0-pre+meta")), 2);
	CU_ASSERT_EQUAL(sdb_semver_major_len(S("v2.01.0")), 0);
	CU_ASSERT_EQUAL(sdb_semver_prerelease(S("v2.1.0-pre.1+meta"), &off, &n), 1);
	CU_ASSERT(n == 6 && off == 6);
	CU_ASSERT_EQUAL(sdb_semver_build(S("v2.1.0-pre.1+meta"), &off, &n), 1);
	CU_ASSERT(n == 5 && off == 12);
	CU_ASSERT_EQUAL(sdb_semver_build(S("v2.1.0+"), &off, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
}

static void
test_pseudo(void)
{
	size_t i;

	for (i = 0; i < N(pseudo_versions); i++)
		CU_ASSERT_EQUAL(sdb_module_is_pseudo_version(S(pseudo_versions[i])), 1);
	/* forgery twins */
	CU_ASSERT_EQUAL(sdb_module_is_pseudo_version(S("v1.2.3")), 0);
	CU_ASSERT_EQUAL(sdb_module_is_pseudo_version(S("v0.0.0-2006010215040-hash")), 0);
	CU_ASSERT_EQUAL(sdb_module_is_pseudo_version(S("v0.0.0-20060102150405-")), 0);
	CU_ASSERT_EQUAL(sdb_module_is_pseudo_version(S("v1.2.4-1.20060102150405-hash")), 0);
	CU_ASSERT_EQUAL(sdb_module_is_pseudo_version(S("v1.2.3-pre+x.0.20060102150405-hash")), 0);
	CU_ASSERT_EQUAL(sdb_module_is_pseudo_version(S("v1.2.3-pre.0.20060102150405-ha_sh")), 0);
	CU_ASSERT_EQUAL(sdb_module_is_pseudo_version(S("v1.2.3-a.b.0.20060102150405-hash")), 1);
}

static void
test_canonical_check(void)
{
	CU_ASSERT_EQUAL(sdb_module_check_canonical(S("x.com/y"), S("v1.2.3"), NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_module_check_canonical(S("x.com/y"), S("v2.0.0+incompatible"), NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_module_check_canonical(S("x.com/y"), S("v1.2"), NULL), SDB_ERR_BAD_VERSION);
	CU_ASSERT_EQUAL(sdb_module_check_canonical(S("x.com/y"), S("v1.2.3+meta"), NULL), SDB_ERR_BAD_VERSION);
	CU_ASSERT_EQUAL(sdb_module_check_canonical(S("x.com/y"), S("v1"), NULL), SDB_ERR_BAD_VERSION);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "valid_canonical", test_valid_canonical },
		{ "compare", test_compare },
		{ "parts", test_parts },
		{ "pseudo", test_pseudo },
		{ "canonical_check", test_canonical_check },
		{ NULL, NULL },
	};
	unit_suite("semver", tests);
}
