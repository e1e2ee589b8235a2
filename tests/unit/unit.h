/*
 * Shared runner for the CUnit suites.  Each tests/unit/test_MOD.c defines
 * unit_register(), which adds its suites with CU_add_suite/CU_add_test (or
 * the UNIT_SUITE helper); unit.c supplies main(), initialises libsodium,
 * runs everything verbosely and exits non-zero on any failure.
 */
#ifndef CSUMDB_TESTS_UNIT_H
#define CSUMDB_TESTS_UNIT_H

#include <stddef.h>
#include <stdint.h>

#include <CUnit/CUnit.h>

#include "csumdb/hash.h"

void unit_register(void);

struct unit_test {
	const char *name;
	void (*fn)(void);
};

/* Adds a suite named name with the NULL-terminated list of tests. */
void unit_suite(const char *name, const struct unit_test *tests);

/* Decodes a hex string into out (exactly n bytes); fails the test on bad hex. */
void unit_hex(uint8_t *out, size_t n, const char *hex);

/*
 * This test program's private temporary directory: made on first use under
 * $TMPDIR (default /tmp), removed with everything in it, subdirectories
 * too, when the process that made it exits (a forked child never removes
 * it).  Fails the test
 * fatally when it cannot be made.
 */
const char *unit_tmp_dir(void);

/* Writes unit_tmp_dir()/name into out (n bytes). */
void unit_tmp_path(char *out, size_t n, const char *name);

/*
 * Stored hashes held in an array, read through a struct sdb_hash_reader
 * { unit_read_hashes, &view }: indexes 0 .. *n-1 of h, SDB_ERR_NOT_FOUND
 * beyond, SDB_ERR_IO for every read while fail is set.
 */
struct unit_hashes {
	const sdb_hash *h;
	const int64_t *n;
	int fail;
};
int unit_read_hashes(void *ctx, const int64_t *idx, size_t n, sdb_hash *out);

/* A small deterministic generator (xorshift64*) for randomised tests:
 * a number in 0 .. n-1 (n >= 1).  Every test program starts from the
 * same seed; unit_rnd_seed sets another. */
uint32_t unit_rnd(uint32_t n);
void unit_rnd_seed(uint64_t seed);

/* Reads a whole file below tests/data/ into a malloc'ed NUL-terminated buffer. */
char *unit_read_data(const char *name, size_t *len);

#endif
