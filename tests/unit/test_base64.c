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

/* The definition sdb_b64_decode_canonical replaces: decode as Go does,
 * get n bytes, and encode them back to the same text. */
static int
canonical_slow(uint8_t *out, size_t n, const char *in, size_t len)
{
	char again[80];
	size_t got;

	if (len != SDB_B64_ENCODED_LEN(n) || sdb_b64_decode(out, n, &got, in, len) != SDB_OK ||
	    got != n)
		return SDB_ERR_INVALID;
	sdb_b64_encode(again, out, n);
	return memcmp(again, in, len) == 0 ? SDB_OK : SDB_ERR_INVALID;
}

/* The one-pass canonical decoder agrees with decode + encode on every
 * length up to 40 bytes, on canonical texts and on one- and two-symbol
 * changes of them (padding, newlines, unused bits, non-alphabet bytes). */
static void
test_canonical_fast(void)
{
	static const char edge[] = "=\r\n AZaz09+/-_.\x80";
	uint8_t raw[40], a[40], b[40];
	char enc[80], mut[80];
	size_t n, i, len, disagree = 0, accepted = 0;
	int k, m, ra, rb;

	unit_rnd_seed(0x2545f4914f6cdd1du);
	for (n = 0; n <= 40; n++) {
		for (k = 0; k < 3000; k++) {
			for (i = 0; i < n; i++)
				raw[i] = (uint8_t)unit_rnd(256);
			len = sdb_b64_encode(enc, raw, n);
			memcpy(mut, enc, len);
			for (m = unit_rnd(3); m > 0 && len > 0; m--) {
				i = unit_rnd((uint32_t)len);
				/* often near the end, where the padding and unused bits are */
				if (unit_rnd(2))
					i = len - 1 - unit_rnd(len < 4 ? (uint32_t)len : 4);
				if (unit_rnd(2))
					mut[i] = edge[unit_rnd(sizeof edge - 1)];
				else
					mut[i] = (char)(enc[unit_rnd((uint32_t)len)] ^ (1 << unit_rnd(3)));
			}
			ra = sdb_b64_decode_canonical(a, n, mut, len);
			rb = canonical_slow(b, n, mut, len);
			disagree += ra != rb || (ra == SDB_OK && memcmp(a, b, n) != 0);
			accepted += ra == SDB_OK;
			/* the wrong length is always refused */
			disagree += sdb_b64_decode_canonical(a, n, mut, len > 0 ? len - 1 : 1) !=
			    SDB_ERR_INVALID;
		}
	}
	CU_ASSERT_EQUAL(disagree, 0);
	CU_ASSERT(accepted > 3000 && accepted < 41 * 3000);
	/* unused bits must be zero; Go's decoder alone would take these */
	CU_ASSERT_EQUAL(sdb_b64_decode_canonical(a, 1, "YQ==", 4), SDB_OK);
	CU_ASSERT_EQUAL(sdb_b64_decode_canonical(a, 1, "YR==", 4), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_b64_decode_canonical(a, 2, "Zm9=", 4), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_b64_decode_canonical(a, 2, "Zm8=", 4), SDB_OK);
	CU_ASSERT_EQUAL(sdb_b64_decode_canonical(a, 3, "Zm9v", 4), SDB_OK);
	CU_ASSERT_EQUAL(sdb_b64_decode_canonical(a, 0, "", 0), SDB_OK);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "rfc4648_vectors", test_rfc4648_vectors },
		{ "go_rules", test_go_rules },
		{ "canonical_fast", test_canonical_fast },
		{ NULL, NULL },
	};
	unit_suite("base64", tests);
}
