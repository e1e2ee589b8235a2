/*
 * Singleflight for lookup misses (DESIGN.md "Data flow" step 1: concurrent
 * requests for the same M@V share one fetch), used by the upstream fetcher
 * (upstream.c) and the public-log path (public.c).  Concurrent calls for
 * one key run the work once and all get its result; different keys run in
 * parallel up to a concurrency bound; past max_inside callers inside at
 * once a call is refused at once as busy rather than queued.  A failure is
 * not remembered: the next call after it starts afresh.
 */
#ifndef CSUMDB_SUMDBD_FLIGHT_H
#define CSUMDB_SUMDBD_FLIGHT_H

#include "csumdb/err.h"

struct sdbd_flights;

/* The work of one flight: returns SDB_OK or an error with detail in eb. */
typedef int (*sdbd_flight_fn)(void *arg, const char *path, const char *version,
    struct sdb_errbuf *eb);

/* A new table: concurrency works at once (0: 4), max_inside callers
 * inside at once (0: 3).  Returns SDB_OK or SDB_ERR_NOMEM. */
int sdbd_flights_new(struct sdbd_flights **out, unsigned concurrency, unsigned max_inside,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Frees f once no call is inside.  NULL is a no-op. */
void sdbd_flights_free(struct sdbd_flights *f);

/*
 * Runs fn(arg, path, version, eb) for the key path@version, or waits for
 * the run already in flight for that key, and returns its result (its
 * error message copied into eb).  what names the work in the busy message
 * ("upstream fetches").  Returns fn's result, SDB_ERR_IO (busy: try
 * again), or SDB_ERR_NOMEM.
 */
int sdbd_flights_run(struct sdbd_flights *f, const char *what, const char *path,
    const char *version, sdbd_flight_fn fn, void *arg, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

#endif
