/*
 * Two logs held in memory for the verifier's unit tests (test_audit,
 * test_audit_lookup): NREC records each, the first SHARED of them the same
 * in both, the rest different, so that log_b is a fork of log_a after
 * SHARED records.  Tiles are served from the stored hashes through a
 * struct sdb_tile_source, optionally with one bit flipped in every tile of
 * one level.
 */
#ifndef CSUMDB_TESTS_MEMLOG_H
#define CSUMDB_TESTS_MEMLOG_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/hash.h"
#include "csumdb/tile.h"

#define NREC 1000
#define SHARED 300

struct memlog {
	sdb_hash stored[2 * NREC + 64];
	int64_t nstored;
	int64_t nrec;
	char text[NREC][160];
	size_t tlen[NREC];
	int tamper_level;   /* serve tiles at this level with a flipped bit (-1: none) */
	size_t fetched;     /* tiles served so far */
};

extern struct memlog log_a, log_b;

/* Builds log_a and log_b the first time; later calls do nothing. */
void build(void);

/* A struct sdb_hash_reader read function over a struct memlog. */
int ml_read_hashes(void *ctx, const int64_t *idx, size_t n, sdb_hash *out);

/* A struct sdb_tile_source read function over a struct memlog (ctx). */
int ml_tiles(void *ctx, const struct sdb_tile *tiles, size_t n, uint8_t *const *bufs,
    size_t *lens);

/* The tree of the first n records of m. */
struct sdb_tree tree_of(struct memlog *m, int64_t n);

#endif
