/*
 * The upstream fetcher of sumdbd serve (DESIGN.md "Data flow" step 1,
 * issue 4): on a lookup miss for a module matching the private patterns,
 * fetch V.mod and V.zip from the company's GOPROXY, check the zip against
 * Go's module zip rules, compute both h1: hashes, append the record
 * through the sequencer and return once it is published.
 *
 * Concurrent misses for one path@version share one fetch (singleflight);
 * different ones run in parallel up to the concurrency bound.  Misses run
 * on the HTTP listener's defer threads, never its workers (http.h), so a
 * slow fetch never stalls tiles or recorded lookups.  At most max_inside
 * threads may be inside at once, past which a miss would be refused as
 * busy (flight.h); serve.c sets it to the number of defer threads that
 * run these misses, so a miss is never refused here: misses past the
 * threads wait in the listener's queue, and past that queue the listener
 * answers 503 (http.h).
 */
#ifndef CSUMDB_SUMDBD_UPSTREAM_H
#define CSUMDB_SUMDBD_UPSTREAM_H

#include "csumdb/err.h"
#include "log.h"

/* Zero or NULL fields take the defaults given. */
struct sdbd_upstream_options {
	const char *proxies;     /* GOPROXY list: URLs separated by ',' or '|'
	                          * (http, https, file); required */
	const char *patterns;    /* GOPRIVATE-style globs; required */
	const char *netrc_file;  /* NULL: none */
	const char *token_file;  /* bearer token in a file; NULL: none */
	const char *ca_file;     /* NULL: system CAs */
	const char *tmp_dir;     /* zips go to nameless temporary files in it
	                          * (O_TMPFILE, or unlinked at once); NULL:
	                          * $TMPDIR or /tmp */
	long connect_timeout_ms; /* 10000 */
	long timeout_ms;         /* per download, 120000 */
	int max_retries;         /* 3; -1 none */
	unsigned concurrency;    /* parallel fetches, 4 */
	unsigned max_inside;     /* worker threads inside at once, 3 */
	/* Where a line goes for each fetch that recorded nothing, saying
	 * why (credentials masked); NULL: nowhere. */
	void (*log_line)(const char *line);
};

struct sdbd_upstream;

/* Creates the fetcher appending to log (borrowed; must outlive it).
 * Returns SDB_OK, SDB_ERR_INVALID (options: eb says which), SDB_ERR_IO
 * (token, CA or .netrc file unreadable, eb naming its option),
 * SDB_ERR_NOMEM, SDB_ERR_INTERNAL. */
int sdbd_upstream_new(struct sdbd_upstream **out,
    const struct sdbd_upstream_options *opt, struct sdbd_log *log,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Frees u once no miss is running (the listener is stopped), first
 * saying the log lines it only counted (lograte.h).  NULL is a no-op. */
void sdbd_upstream_free(struct sdbd_upstream *u);

/* For a server that stops: cancels u's downloads, those running (each
 * ends within about a second, its version not recorded) and those to
 * come (sdb_fetch_cancel).  Safe from any thread.  NULL is a no-op. */
void sdbd_upstream_cancel(struct sdbd_upstream *u);

/*
 * The sdbd_lookup_miss_fn (handlers.h); arg is a struct sdbd_upstream.
 * Returns SDB_OK (recorded and published), SDB_ERR_NOT_FOUND (outside the
 * patterns, not canonical, upstream 404/410: reason in eb), SDB_ERR_TIMEOUT
 * (the upstream did not answer in time: a 504), or an error for a 502:
 * SDB_ERR_IO (upstream down, busy), SDB_ERR_INVALID
 * or SDB_ERR_TOO_LARGE (the upstream's zip or go.mod breaks a rule),
 * SDB_ERR_NOMEM, and the sequencer's errors.
 */
int sdbd_upstream_miss(void *arg, const char *path, const char *version,
    struct sdb_errbuf *eb);

#endif
