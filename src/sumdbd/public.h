/*
 * sumdbd answers for public modules too (DESIGN.md "Data flow" step 1,
 * issue 6): the go command trusts one GOSUMDB, so a lookup miss for a
 * module outside the private patterns is looked up in the public log
 * (sum.golang.org, or a proxy's /sumdb/sum.golang.org), accepted only
 * after the signed public tree of the answer has been verified consistent
 * with the public tree accepted before (every answer's tree, before its
 * record) and the record's inclusion in that tree, both from
 * authenticated tiles (csumdb/remote.h), and then the same two lines are
 * appended to our log.
 *
 * The accepted public tree lives in the database's config table (keys
 * below), written through the sequencer (sdbd_log_with_writer): it only
 * moves forward through verified consistency and survives restarts.  An
 * answer that does not verify records nothing: the lookup fails (502) and
 * a log line is written.  Only a fork (two trees signed by the log that
 * are not consistent, which the log cannot deny) is also stored as
 * evidence of misbehavior beside the accepted tree; a bad signature, a
 * record not in the tree or a forged tile may come from anything between
 * us and the log, and prove nothing against it.
 *
 * Public lookups run on a pool of miss threads of their own
 * (SDBD_PUBLIC_POOL), apart from the upstream fetches, and each ends by a
 * deadline: a slow public log never holds up private recording.
 */
#ifndef CSUMDB_SUMDBD_PUBLIC_H
#define CSUMDB_SUMDBD_PUBLIC_H

#include <stdint.h>

#include "csumdb/err.h"
#include "log.h"
#include "upstream.h"

/* Config keys (sumdbd status reads them). */
#define SDBD_PUBLIC_KEY_VKEY "public_vkey"        /* the key the tree is for */
#define SDBD_PUBLIC_KEY_TREE "public_tree"        /* the accepted signed note */
/* + a key: the tree accepted last from that key's log while it was the
 * key, kept when the key changed (public.c load_state) */
#define SDBD_PUBLIC_KEY_TREE_FOR "public_tree_for."
#define SDBD_PUBLIC_KEY_NEVIDENCE "public_evidence_count" /* decimal, all ever seen */
#define SDBD_PUBLIC_KEY_EVIDENCE "public_evidence."       /* + index 0..MAX-1 */
/* A whole public lookup, fetches and retries included, unless
 * --public-timeout says otherwise: sum.golang.org answers in well under a
 * second, and a go command waiting on us (which sets no limit of its own)
 * is better served by a 504 than by a reverse proxy's own timeout, often
 * 60 s. */
#define SDBD_PUBLIC_TIMEOUT_MS 20000L
/* The listener's defer pools (http.h) lookup misses run on. */
#define SDBD_UPSTREAM_POOL 0u
#define SDBD_PUBLIC_POOL 1u

/* Evidence entries kept: the first MAX-1 and the newest (a misbehaving
 * log must not fill our disk). */
#define SDBD_PUBLIC_MAX_EVIDENCE 64

/*
 * The index of the evidence row named row (SDBD_PUBLIC_KEY_EVIDENCE
 * then the canonical decimal of 0 .. SDBD_PUBLIC_MAX_EVIDENCE - 1, as
 * serve writes it), or -1 for any other name under that prefix.
 */
int64_t sdbd_public_evidence_index(const char *row);

/* The misbehavior count s (SDBD_PUBLIC_KEY_NEVIDENCE's value, a canonical
 * decimal as serve writes it) into *n: 1, or 0 when s is not one. */
int sdbd_public_count_parse(const char *s, int64_t *n);

struct sdbd_public_options {
	const char *vkey;            /* public log's key; NULL: sum.golang.org */
	const char *url;             /* NULL: https://sum.golang.org (or https://NAME) */
	int off;                     /* --no-public: public misses are 404 */
	const char *patterns;        /* private patterns; NULL: none */
	struct sdbd_upstream *upstream;  /* where private misses go; NULL: 404 */
	unsigned concurrency;        /* public lookups at once (4) */
	unsigned max_inside;         /* callers inside at once (3): the
	                              * threads of SDBD_PUBLIC_POOL */
	long timeout_ms;             /* a whole public lookup;
	                              * 0: SDBD_PUBLIC_TIMEOUT_MS */
	/* Where the log lines go (first contact, misbehavior); NULL: nowhere. */
	void (*log_line)(const char *line);
};

struct sdbd_public;

/*
 * Sets up the public path for the log in db_path (log borrowed, must
 * outlive it): loads the accepted public tree, which must verify with
 * the key (else SDB_ERR_DAMAGED, the message saying what the operator
 * can do: a damaged state is not silently replaced).  Returns SDB_OK,
 * SDB_ERR_BAD_KEY, SDB_ERR_INVALID (URL), SDB_ERR_DAMAGED, store errors,
 * SDB_ERR_NOMEM.
 */
int sdbd_public_new(struct sdbd_public **out, const struct sdbd_public_options *opt,
    struct sdbd_log *log, const char *db_path, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Frees p once no miss is running, first saying the log lines it only
 * counted (lograte.h).  NULL is a no-op. */
void sdbd_public_free(struct sdbd_public *p);

/* For a server that stops: cancels p's downloads from the public log,
 * running and to come, as sdbd_upstream_cancel.  NULL is a no-op. */
void sdbd_public_cancel(struct sdbd_public *p);

/*
 * The sdbd_lookup_miss_fn (handlers.h) for every miss; arg is a struct
 * sdbd_public.  Private paths go to the upstream (or 404 without one);
 * others to the public log (404 when off).  Returns SDB_OK (recorded and
 * published), SDB_ERR_NOT_FOUND (reason in eb), SDB_ERR_TIMEOUT (the
 * public log gave no verified answer by the deadline: a 504), or an error
 * for a 502: SDB_ERR_FORK (the public log misbehaved: evidence kept), the
 * other verification codes (the answer did not verify: nothing kept),
 * SDB_ERR_IO (could not check: network, busy), SDB_ERR_EXISTS (our log
 * holds other hashes for it), the sequencer's errors.
 */
int sdbd_public_miss(void *arg, const char *path, const char *version,
    struct sdb_errbuf *eb);

/* The sdbd_lookup_pool_fn (handlers.h): the pool a miss for path runs in,
 * SDBD_PUBLIC_POOL for the public log, else SDBD_UPSTREAM_POOL. */
unsigned sdbd_public_miss_pool(void *arg, const char *path);

#endif
