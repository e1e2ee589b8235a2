/* main() for every CUnit suite program (tests/unit/unit.h). */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "crypto.h"
#include "unit.h"

void
unit_suite(const char *name, const struct unit_test *tests)
{
	CU_pSuite s = CU_add_suite(name, NULL, NULL);

	if (s == NULL) {
		fprintf(stderr, "unit: cannot add suite %s\n", name);
		return;
	}
	for (; tests->name != NULL; tests++)
		CU_add_test(s, tests->name, tests->fn);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
unit_hex(uint8_t *out, size_t n, const char *hex)
{
	size_t i;

	CU_ASSERT_FATAL(strlen(hex) == 2 * n);
	for (i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		CU_ASSERT_FATAL(hi >= 0 && lo >= 0);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
}

static char unit_tmp[512];
static pid_t unit_tmp_owner;

static int
unit_tmp_remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	/* FTW_DEPTH: a directory comes after everything in it */
	if (type == FTW_DP || type == FTW_DNR)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Removes the directory and everything in it, subdirectories too, never
 * following a symbolic link out of it. */
static void
unit_tmp_remove(void)
{
	if (unit_tmp[0] == '\0' || getpid() != unit_tmp_owner)
		return;
	nftw(unit_tmp, unit_tmp_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *
unit_tmp_dir(void)
{
	if (unit_tmp[0] == '\0') {
		const char *t = getenv("TMPDIR");

		snprintf(unit_tmp, sizeof unit_tmp, "%s/csumdb-unit.XXXXXX",
		    t != NULL && t[0] != '\0' ? t : "/tmp");
		CU_ASSERT_FATAL(mkdtemp(unit_tmp) != NULL);
		unit_tmp_owner = getpid();
		atexit(unit_tmp_remove);
	}
	return unit_tmp;
}

void
unit_tmp_path(char *out, size_t n, const char *name)
{
	CU_ASSERT_FATAL((size_t)snprintf(out, n, "%s/%s", unit_tmp_dir(), name) < n);
}

char *
unit_read_data(const char *name, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	FILE *f;
	char *buf;
	long size;

	snprintf(path, sizeof path, "%s/tests/data/%s", top ? top : ".", name);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)size + 1);
	if (buf != NULL && fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf != NULL) {
		buf[size] = '\0';
		*len = (size_t)size;
	}
	return buf;
}

int
main(void)
{
	unsigned failed;

	if (sdb_crypto_init() != SDB_OK) {
		fprintf(stderr, "unit: libsodium failed to initialise\n");
		return 1;
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	unit_register();
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	if (CU_get_number_of_tests_run() == 0) {
		fprintf(stderr, "unit: no tests ran\n");
		failed = 1;
	}
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15u;

void
unit_rnd_seed(uint64_t seed)
{
	rnd_state = seed;
}

uint32_t
unit_rnd(uint32_t n)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (uint32_t)((rnd_state * 0x2545f4914f6cdd1du) >> 32) % n;
}

int
unit_read_hashes(void *ctx, const int64_t *idx, size_t n, sdb_hash *out)
{
	const struct unit_hashes *u = ctx;
	size_t i;

	if (u->fail)
		return SDB_ERR_IO;
	for (i = 0; i < n; i++) {
		if (idx[i] < 0 || idx[i] >= *u->n)
			return SDB_ERR_NOT_FOUND;
		out[i] = u->h[idx[i]];
	}
	return SDB_OK;
}
