/*
 * HTTP GET for everything csumdb reads from the network: module proxies
 * (the upstream fetcher), remote checksum databases (the verifier and the
 * public-log path).  Implemented in src/lib/fetch_curl.c, the only file
 * that uses libcurl.  Nothing fetched is trusted: sizes are capped while
 * downloading (in the write callback, never after the fact), and callers
 * check what they get.
 *
 * Redirects are followed (up to 10), from an https URL to https only.
 *
 * Retries: network errors, timeouts, 5xx and 429 are retried with
 * exponential backoff, honouring Retry-After (seconds or HTTP date, capped
 * by backoff_max_ms); every other status is returned to the caller as is.
 * A network failure after the last retry is SDB_ERR_IO with the curl
 * message in eb (SDB_ERR_TIMEOUT when the last attempt timed out): "could
 * not check", never a verification failure.
 */
#ifndef CSUMDB_FETCH_H
#define CSUMDB_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "csumdb/err.h"

/* Zero or NULL fields take the defaults given. */
struct sdb_fetch_options {
	long connect_timeout_ms;   /* 10000 */
	long timeout_ms;           /* whole transfer, 120000 */
	long stall_timeout_ms;     /* abort when under 1 byte/s this long, 30000 */
	int max_retries;           /* 3 (so up to 4 attempts); -1: none */
	long backoff_initial_ms;   /* 200 */
	long backoff_max_ms;       /* 10000 */
	const char *ca_file;       /* the only CAs trusted; NULL: the system's */
	const char *netrc_file;    /* credentials per host; NULL: none */
	const char *bearer_token;  /* Authorization: Bearer ...; NULL: none */
	const char *user_agent;    /* "csumdb/VERSION" */
};

/* A client.  Thread-safe: one may serve many threads at once. */
struct sdb_fetch;

/* Creates a client (copies the options' strings).
 * Returns SDB_OK, SDB_ERR_NOMEM, SDB_ERR_INTERNAL (curl failed to start, or
 * its mutex could not be made). */
int sdb_fetch_new(struct sdb_fetch **out, const struct sdb_fetch_options *opt,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Releases f; NULL is a no-op. */
void sdb_fetch_free(struct sdb_fetch *f);

/*
 * Cancels f's transfers, for a process that is stopping: every transfer
 * in progress ends within about a second, a pause before a retry at once,
 * and every later call fails at once; each with SDB_ERR_IO saying the
 * download was cancelled.  Safe from any thread, at any time before
 * sdb_fetch_free; cannot be undone.  NULL is a no-op.
 */
void sdb_fetch_cancel(struct sdb_fetch *f);

/* A response held in memory.  body is owned (NUL-terminated for
 * convenience, the NUL not counted in len). */
struct sdb_fetch_response {
	long status;          /* the final HTTP status */
	char *body;
	size_t len;
	size_t cap;           /* bytes allocated at body */
};

/*
 * GETs url (NUL-terminated; http, https or file) into memory, refusing
 * bodies over max bytes.  On SDB_OK *res holds the final status and body
 * (any status: the caller decides what 404 means); release it with
 * sdb_fetch_response_clear().
 * Returns SDB_OK, SDB_ERR_IO (network, retries exhausted on 5xx/429: the
 * last status is in the detail), SDB_ERR_TIMEOUT (the last attempt timed
 * out), SDB_ERR_TOO_LARGE, SDB_ERR_NOMEM,
 * SDB_ERR_INVALID (bad URL).  On failure *res is empty.
 */
int sdb_fetch_get(struct sdb_fetch *f, const char *url, size_t max,
    struct sdb_fetch_response *res, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * sdb_fetch_get with a deadline (deadline_ms on sdb_clock_ms, clock.h; 0:
 * none): each attempt is cut at the deadline, and no retry or backoff
 * starts that would end past it, so that a caller who promised an answer
 * by then gets one.  Returns as sdb_fetch_get; SDB_ERR_TIMEOUT also when
 * the deadline came first (a 5xx or network error before it is in eb).
 */
int sdb_fetch_get_until(struct sdb_fetch *f, const char *url, size_t max, long long deadline_ms,
    struct sdb_fetch_response *res, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * sdb_fetch_get into the buffer *res holds from an earlier call (or none
 * when zeroed): the buffer is grown as needed and kept, also on failure
 * (then len is 0), so that a caller fetching many bodies allocates once.
 * Release it with sdb_fetch_response_clear().
 */
int sdb_fetch_get_reuse(struct sdb_fetch *f, const char *url, size_t max,
    struct sdb_fetch_response *res, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

void sdb_fetch_response_clear(struct sdb_fetch_response *res);

/*
 * The first line of an error answer's body body[0..len) (NULL: none), its
 * bytes outside printable ASCII as '?', at most cap-1 bytes, into out:
 * the server's own words on why it failed, for a message, as the go
 * command shows them ("server response: ...").  A CRLF line end is not
 * part of the line.
 */
void sdb_fetch_body_hint(const char *body, size_t len, char *out, size_t cap);

/*
 * The pause a Retry-After header value v[0..n) asks for (what follows
 * "Retry-After:", blanks and the line end included), in milliseconds
 * from now (seconds since the epoch): delay-seconds or an HTTP date (0
 * for a date already past), at most SDB_MAX_RETRY_AFTER_S (limits.h).
 * Returns -1 when v is neither, and the pause is then the client's own
 * backoff.
 */
long sdb_fetch_retry_after_ms(const char *v, size_t n, time_t now);

/*
 * A sink for streamed bodies.  write() gets each chunk in order and
 * returns SDB_OK or an error that aborts the transfer (passed through);
 * reset() is called before every retry so the sink can start over (e.g.
 * truncate its temporary file).  Only 2xx bodies reach the sink.
 */
struct sdb_fetch_sink {
	int (*write)(void *ctx, const uint8_t *data, size_t len);
	int (*reset)(void *ctx);
	void *ctx;
};

/*
 * GETs url streaming a 2xx body into sink, aborting past max bytes
 * (SDB_ERR_TOO_LARGE).  *status receives the final HTTP status; for a
 * non-2xx status nothing was written to the sink and SDB_OK is returned.
 * Returns as sdb_fetch_get(), plus any error the sink returned.
 */
int sdb_fetch_stream(struct sdb_fetch *f, const char *url, uint64_t max,
    const struct sdb_fetch_sink *sink, long *status,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

#endif
