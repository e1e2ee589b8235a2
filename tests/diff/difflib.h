/*
 * Helpers shared by the differential drivers tests/diff/diff_*.c: the
 * seeded generator whose cases the oracle replays, reading stdin line by
 * line, tab-separated fields, and lower-case hex (the oracle's encoding of
 * binary fields).  Test code: failures are reported by return value and
 * the drivers decide what to print.
 */
#ifndef CSUMDB_TESTS_DIFFLIB_H
#define CSUMDB_TESTS_DIFFLIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* State of the splitmix64 generator; a driver seeds it from its SEED
 * argument so that a failing run can be replayed. */
extern uint64_t diff_rng;

/* Next splitmix64 value. */
uint64_t diff_rnd(void);

/* A value in [0, n), n >= 1 (modulo bias is fine for tests). */
size_t diff_rn(size_t n);

/*
 * Reads the next line of f into *line (grown as needed, as getline) and
 * strips its '\n'.  Returns the length without the '\n', or -1 at the end
 * of input.
 */
ssize_t diff_getline(char **line, size_t *cap, FILE *f);

/*
 * Splits line (modified in place) at tabs into f[0..].  Returns the number
 * of fields, or max + 1 when there are more than max (f then holds the
 * first max, the last of them cut at its tab).
 */
size_t diff_split(char *line, char **f, size_t max);

/* Writes b[0..n) as 2n lower-case hex digits and a NUL into out. */
void diff_hex(char *out, const void *b, size_t n);

/* Writes b[0..n) as lower-case hex to f. */
void diff_hex_put(FILE *f, const void *b, size_t n);

/*
 * Decodes the lower-case hex s[0..len) into out[0..cap) and its length
 * into *outlen.  Returns 0, or -1 for an odd length, a byte that is not
 * lower-case hex, or more than cap bytes.
 */
int diff_unhex(void *out, size_t cap, const char *s, size_t len, size_t *outlen);

/* As diff_unhex, but the hex must decode to exactly n bytes. */
int diff_unhex_n(void *out, size_t n, const char *s, size_t len);

#endif
