/*
 * The two values every part of csumdb passes around: a SHA-256 hash of the
 * log (RFC 6962 record or node hash) and a tree (size and root hash), as
 * x/mod's tlog.Hash and tlog.Tree.
 */
#ifndef CSUMDB_HASH_H
#define CSUMDB_HASH_H

#include <stdint.h>

#define SDB_HASH_SIZE 32

typedef struct sdb_hash {
	uint8_t b[SDB_HASH_SIZE];
} sdb_hash;

/* A tree of n records (0 <= n < 2^63) and its root hash. */
struct sdb_tree {
	int64_t n;
	sdb_hash hash;
};

#endif
