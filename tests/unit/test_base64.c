/* Unit tests for src/lib/base64.c: RFC 4648 vectors and Go's decoding rules. */
#include "config.h"

#include <string.h>

#include "csumdb/base64.h"
#include "unit.h"

static void
test_rfc4648_vectors(void)
{
	static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	size_t i;

	for (i = 0; i < 7; i++) {
		char out[16];
		uint8_t dec[16];
		size_t n;

		CU_ASSERT_EQUAL(sdb_b64_encode(out, (const uint8_t *)plain[i], strlen(plain[i])), strlen(enc[i]));
		CU_ASSERT_STRING_EQUAL(out, enc[i]);
		CU_ASSERT_EQUAL(sdb_b64_decode(dec, sizeof dec, &n, enc[i], strlen(enc[i])), SDB_OK);
		CU_ASSERT_EQUAL(n, strlen(plain[i]));
		CU_ASSERT(memcmp(dec, plain[i], n) == 0);
	}
}

static void
test_go_rules(void)
{
	uint8_t dec[16];
	size_t n;

	/* Go (non-strict) accepts non-zero unused bits: "YR==" decodes to "a". */
	CU_ASSERT_EQUAL(sdb_b64_decode(dec, sizeof dec, &n, "YR==", 4), SDB_OK);
	CU_ASSERT(n == 1 && dec[0] == 'a');
	/* Newlines are skipped anywhere. */
	CU_ASSERT_EQUAL(sdb_b64_decode(dec, sizeof dec, &n, "Zm\r\n9v\n", 7), SDB_OK);
	CU_ASSERT(n == 3 && memcmp(dec, "foo", 3) == 0);
	/* Forgery twins: each must be refused. */
	CU_ASSERT_EQUAL(sdb_b64_decode(dec, sizeof dec, &n, "Zm9", 3), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_b64_decode(dec, sizeof dec, &n, "Zg=", 3), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_b64_decode(dec, sizeof dec, &n, "Z===", 4), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_b64_decode(dec, sizeof dec, &n, "Zg==Zg==", 8), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_b64_decode(dec, sizeof dec, &n, "Zm9v ", 5), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_b64_decode(dec, sizeof dec, &n, "Zm-v", 4), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_b64_decode(dec, sizeof dec, &n, "Zg=x", 4), SDB_ERR_INVALID);
	/* Capacity is honoured. */
	CU_ASSERT_EQUAL(sdb_b64_decode(dec, 2, &n, "Zm9v", 4), SDB_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(sdb_b64_decode(dec, 0, &n, "Zg==", 4), SDB_ERR_TOO_LARGE);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "rfc4648_vectors", test_rfc4648_vectors },
		{ "go_rules", test_go_rules },
		{ NULL, NULL },
	};
	unit_suite("base64", tests);
}
