/* Unit tests for src/lib/dirhash.c (Hash1) with golden values from x/mod
 * dirhash.Hash1, and src/lib/modzip.c on buffers (the shell tests
 * tests/e2e/modzip.sh and tests/diff/dirhash.sh cover real zips). */
#include "config.h"

#include <string.h>

#include "crypto.h"
#include "csumdb/dirhash.h"
#include "csumdb/modzip.h"
#include "csumdb/record.h"
#include "unit.h"

static void
check_h1(const sdb_hash *h, const char *want)
{
	char got[SDB_H1_LEN + 1];

	sdb_h1_format(got, h);
	CU_ASSERT_STRING_EQUAL(got, want);
}

static void
test_gomod(void)
{
	sdb_hash h;

	sdb_dirhash_gomod((const uint8_t *)"module example.com/m\n", 21, &h);
	check_h1(&h, "h1:flS2VctbRrTv+sBE+VKgxx6hlkMGPVz9MGOmzMYFg3k=");
}

static void
test_hash1_sorts(void)
{
	/* given unsorted; x/mod sorts bytewise ("Z" < "é" in bytes) */
	struct sdb_dirhash_file f[3];
	const char *names[3] = { "b@v1/x", "a@v1/\xc3\xa9", "a@v1/Z/y" };
	const char *data[3] = { "hello\n", "", "zz" };
	sdb_hash h;
	int i;

	for (i = 0; i < 3; i++) {
		f[i].name = names[i];
		f[i].name_len = strlen(names[i]);
		sdb_sha256(f[i].sha256, data[i], strlen(data[i]));
	}
	CU_ASSERT_EQUAL_FATAL(sdb_dirhash_hash1(f, 3, &h, NULL), SDB_OK);
	check_h1(&h, "h1:83XHEULbEP5Kf6kzY4XcgaRKXonSzyklCVXT0Do0GsQ=");
	/* no files: SHA-256 of nothing */
	CU_ASSERT_EQUAL_FATAL(sdb_dirhash_hash1(f, 0, &h, NULL), SDB_OK);
	check_h1(&h, "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

static void
test_hash1_newline(void)
{
	struct sdb_dirhash_file f;
	struct sdb_errbuf eb;
	sdb_hash h;

	f.name = "a\nb";
	f.name_len = 3;
	memset(f.sha256, 0, sizeof f.sha256);
	CU_ASSERT_EQUAL(sdb_dirhash_hash1(&f, 1, &h, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "newline") != NULL);
}

static void
test_modzip_buffer_refusals(void)
{
	static const char junk[] = "PK\x03\x04 not really a zip";
	struct sdb_modzip_limits lim;
	struct sdb_errbuf eb;
	sdb_hash h;

	CU_ASSERT_EQUAL(sdb_modzip_hash_buffer(junk, sizeof junk, "example.com/m", 13,
	    "v1.0.0", 6, NULL, &h, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "not a valid zip") != NULL);
	CU_ASSERT_EQUAL(sdb_modzip_hash_buffer("", 0, "example.com/m", 13,
	    "v1.0.0", 6, NULL, &h, &eb), SDB_ERR_INVALID);
	/* the module is checked before the zip */
	CU_ASSERT_EQUAL(sdb_modzip_hash_buffer(junk, sizeof junk, "example.com/m", 13,
	    "v1.0", 4, NULL, &h, &eb), SDB_ERR_BAD_VERSION);
	CU_ASSERT_EQUAL(sdb_modzip_hash_buffer(junk, sizeof junk, "Example..com", 12,
	    "v1.0.0", 6, NULL, &h, &eb), SDB_ERR_BAD_PATH);
	/* the size of the zip itself, before any parsing */
	memset(&lim, 0, sizeof lim);
	lim.max_zip = 8;
	CU_ASSERT_EQUAL(sdb_modzip_hash_buffer(junk, sizeof junk, "example.com/m", 13,
	    "v1.0.0", 6, &lim, &h, &eb), SDB_ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(sdb_modzip_hash_file("/nonexistent/x.zip", "example.com/m", 13,
	    "v1.0.0", 6, NULL, &h, &eb), SDB_ERR_IO);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "gomod", test_gomod },
		{ "hash1_sorts", test_hash1_sorts },
		{ "hash1_newline", test_hash1_newline },
		{ "modzip_buffer_refusals", test_modzip_buffer_refusals },
		{ NULL, NULL },
	};
	unit_suite("dirhash", tests);
}
