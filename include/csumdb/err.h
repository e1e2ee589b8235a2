/*
 * csumdb error codes and detail messages.
 *
 * Every library function that can fail returns an int: SDB_OK (0) on
 * success or one negative enum sdb_err value.  The codes keep apart the
 * three outcomes a verifier must never confuse: the input is malformed,
 * the input is well-formed but does not verify (a forgery, a fork), and the
 * check could not be done at all (memory, I/O).  Where a caller wants more
 * than the code, functions take a struct sdb_errbuf and write one line of
 * detail into it, as curl's CURLOPT_ERRORBUFFER and sqlite3_errmsg do.
 */
#ifndef CSUMDB_ERR_H
#define CSUMDB_ERR_H

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define SDB_WARN_UNUSED __attribute__((warn_unused_result))
#define SDB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SDB_WARN_UNUSED
#define SDB_PRINTF(f, a)
#endif

/* Marks a deliberate fall-through between case labels; GCC also takes a
 * comment, clang's -Wimplicit-fallthrough only the attribute. */
#if defined(__has_attribute)
#if __has_attribute(fallthrough)
#define SDB_FALLTHROUGH __attribute__((fallthrough))
#endif
#endif
#ifndef SDB_FALLTHROUGH
#define SDB_FALLTHROUGH do { } while (0)
#endif

enum sdb_err {
	SDB_OK = 0,

	/* could not check: local conditions */
	SDB_ERR_NOMEM = -1,         /* an allocation failed */
	SDB_ERR_IO = -2,            /* reading or writing failed */
	SDB_ERR_INTERNAL = -3,      /* a library call failed unexpectedly */
	SDB_ERR_TIMEOUT = -4,       /* a remote peer did not answer in time */
	SDB_ERR_DAMAGED = -5,       /* a local database of ours has parts missing,
	                             * or is a file SQLite finds malformed */

	/* malformed input */
	SDB_ERR_INVALID = -10,      /* input does not parse or breaks a rule */
	SDB_ERR_TOO_LARGE = -11,    /* input exceeds a limit in limits.h */
	SDB_ERR_RANGE = -12,        /* a number or index outside what is allowed */
	SDB_ERR_BAD_KEY = -13,      /* a key string is malformed */
	SDB_ERR_MALFORMED_NOTE = -14, /* a signed note breaks the note format */
	SDB_ERR_BAD_PATH = -15,     /* module path, import path or file path invalid */
	SDB_ERR_BAD_VERSION = -16,  /* version invalid or not canonical */

	/* well-formed but does not verify */
	SDB_ERR_BAD_SIGNATURE = -20,  /* a signature by a known key does not verify */
	SDB_ERR_UNVERIFIED_NOTE = -21,/* no signature by any known key */
	SDB_ERR_PROOF_LENGTH = -22,   /* a proof has too many or too few hashes */
	SDB_ERR_ROOT_MISMATCH = -23,  /* a proof or tree does not give the signed root */
	SDB_ERR_TILE_MISMATCH = -24,  /* a tile does not agree with its parent or root */
	SDB_ERR_RECORD_MISMATCH = -25,/* a record does not hash to the logged hash */
	SDB_ERR_FORK = -26,           /* two different trees of one log (misbehavior) */
	SDB_ERR_BAD_RECORD = -27,     /* a record in a signed tree is not a valid go.sum
	                               * record (misbehavior) */

	/* lookups */
	SDB_ERR_NOT_FOUND = -30,      /* the thing asked for does not exist */
	SDB_ERR_EXISTS = -31,         /* creating something that already exists */
	SDB_ERR_LOCKED = -32          /* another process holds an exclusive lock */
};

/*
 * A caller-owned buffer for one line of detail about the last failure.
 * Functions that take one write a NUL-terminated message on failure and
 * leave it untouched on success.  A NULL struct sdb_errbuf * is allowed
 * everywhere and means "no detail wanted".
 */
/* Room for a message that quotes a module path (up to a few hundred
 * bytes) more than once and another server's error line after it. */
#define SDB_ERRBUF_SIZE 2048
struct sdb_errbuf {
	char msg[SDB_ERRBUF_SIZE];
};

/* A static English description of an error code; never NULL. */
const char *sdb_strerror(int err);

/*
 * Returns 1 when err means "the input does not verify" (signatures, proofs,
 * roots, tiles, forks), 0 otherwise.  The CLIs map these to exit status 2.
 */
int sdb_err_is_verification(int err);

/*
 * Formats a message into eb (when eb is not NULL) and returns err, so a
 * failure path can be one statement:  return sdb_errf(eb, SDB_ERR_INVALID,
 * "line %d: ...", n);  An argument may be eb's own message (sdb_errmsg(eb,
 * err)): wrapping a message in context needs no copy.
 */
int sdb_errf(struct sdb_errbuf *eb, int err, const char *fmt, ...) SDB_PRINTF(3, 4);

/* Returns the message in eb, or sdb_strerror(err) when eb is NULL or empty. */
const char *sdb_errmsg(const struct sdb_errbuf *eb, int err);

#endif
