/*
 * The HTTP listener of sumdbd: the one file that uses libmicrohttpd
 * (http.c) behind a small interface, so the protocol handlers
 * (handlers.c) see only a decoded path and fill in a response.
 *
 * What the listener enforces before a handler runs (DESIGN.md "Rules that
 * are never bent", issue "libmicrohttpd hardened"): GET and HEAD only
 * (others 405 with "Allow: GET, HEAD") and without a body (400), a URL
 * length cap, header and per-connection memory caps, per-client (IPv4
 * address, IPv6 /64) and total connection limits, an idle timeout, a
 * deadline for the request line and headers (slowloris), and
 * percent-decoding that refuses %00 and broken escapes.
 *
 * Work that may take long (a lookup miss that fetches from an upstream)
 * never runs in a worker thread: the handler hands it back as deferred
 * work, the listener suspends the connection, runs the work on a bounded
 * pool of its own threads and answers once it is done, so that the
 * workers go on serving every other connection meanwhile (DESIGN.md "A
 * slow upstream fetch must not stall tile and lookup serving for others").
 * Deferred work goes to one of SDBD_HTTP_DEFER_POOLS pools, each with
 * threads and a queue of its own, so that work of one kind that hangs
 * never holds up another kind.
 */
#ifndef CSUMDB_SUMDBD_HTTP_H
#define CSUMDB_SUMDBD_HTTP_H

#include <stddef.h>

#include "csumdb/err.h"

/* Pools of defer threads (sumdbd: upstream fetches, public lookups). */
#define SDBD_HTTP_DEFER_POOLS 2

/* A response a handler fills in.  body is malloc'ed and handed over to the
 * listener (freed by it) unless body_static is set, in which case it must
 * outlive the listener (a string literal). */
struct sdbd_http_response {
	int status;
	const char *content_type;    /* a literal; NULL: text/plain; charset=UTF-8 */
	const char *cache_control;   /* a literal or NULL */
	char *body;
	size_t len;
	int body_static;
	/* Set by the handler when this path's answer can never change (a full
	 * tile): the listener may then keep the response and answer the same
	 * request path from memory, without calling the handler again. */
	int immutable;
	/* Set to have the connection closed after this answer
	 * ("Connection: close"). */
	int close;
	/* Set by a handler, instead of an answer, when answering may take
	 * long: the listener suspends the connection and calls
	 * defer(defer_arg, r) on one of its defer threads, with a fresh r to
	 * fill in as a handler would (defer must not defer again).  Then, or
	 * instead when the work is refused (queue full: 503 with Retry-After;
	 * shutting down: 503) or dropped (its client closed the connection
	 * while it waited), defer_free(defer_arg) is called exactly once. */
	void (*defer)(void *arg, struct sdbd_http_response *r);
	void (*defer_free)(void *arg);
	void *defer_arg;
	unsigned defer_pool;         /* the pool that runs defer, below
	                              * SDBD_HTTP_DEFER_POOLS */
	/* With defer, optionally: what the work is about (copied; a lookup
	 * miss: "path@version").  Work whose key equals that of work running
	 * in its pool is not run again: it waits, holding no defer thread,
	 * and gets a copy of that work's answer (its defer_free is called
	 * when it starts waiting).  Waiting work counts in the queue. */
	const char *defer_key;
};

/* Answers one GET/HEAD request.  path[0..len) is the percent-decoded path
 * (no query), starting with '/'; it may contain any byte but NUL.  The
 * handler must set status and a body (an empty one is allowed). */
typedef void (*sdbd_http_handler)(void *ctx, const char *path, size_t len,
    struct sdbd_http_response *resp);

struct sdbd_http_options {
	const char *listen;      /* "HOST:PORT", "[V6]:PORT" or ":PORT"; port 0 picks one */
	unsigned threads;        /* worker threads; 0: sdbd_http_default_threads() */
	unsigned timeout_s;      /* idle connection timeout; 0: 15 */
	unsigned header_timeout_s; /* a request line and headers must arrive
	                          * within this (from connection start, or
	                          * from the end of the previous request);
	                          * 0: 10 */
	unsigned per_ip_limit;   /* connections per client address; 0: 512 */
	unsigned conn_limit;     /* connections in all; 0: 10000 */
	/* threads running deferred work, per pool; 0: none, for a pool no
	 * work goes to (work handed to it anyway is answered 500) */
	unsigned defer_threads[SDBD_HTTP_DEFER_POOLS];
	unsigned defer_queue;    /* deferred work waiting for a thread, per
	                          * pool; past it 503; 0: 1024 */
	/* For the operator's line when a pool's work is refused over
	 * defer_queue: what its work waits for ("the upstream") and the
	 * option that sets its threads (either may be NULL). */
	const char *defer_what[SDBD_HTTP_DEFER_POOLS];
	const char *defer_threads_option[SDBD_HTTP_DEFER_POOLS];
	sdbd_http_handler handler;
	void *handler_ctx;
	/* Called with handler_ctx in a worker thread after each round of
	 * its event loop, the requests that were ready answered, before
	 * it waits for more (may be NULL). */
	void (*round_done)(void *ctx);
	/* Called with abandon_ctx by sdbd_http_stop once the grace period is
	 * over and deferred work still running was answered 503, to make
	 * that work end soon (cancel its downloads): the defer threads are
	 * joined next, and each finishes the work it runs.  May be NULL. */
	void (*abandon)(void *ctx);
	void *abandon_ctx;
	/* Called with a line for the operator when connections are
	 * refused over per_ip_limit or conn_limit (in the accept thread)
	 * and when deferred work is refused over defer_queue (in a worker
	 * thread): at once for the first, then at most once a minute per
	 * limit and pool, with the count since the line before (may be
	 * NULL). */
	void (*log_line)(const char *line);
};

struct sdbd_http;

/*
 * Worker threads when none are asked for: one per CPU this process may
 * run on, less one, at least 1 and at most 16.  Workers only compute and
 * read the database, never wait on an upstream (misses go to the defer
 * threads), so one worker answers over 100,000 lookups a second.  The CPU
 * left over is for what else answers each request on this host: the
 * kernel's TCP work, and the reverse proxy or client in front of sumdbd.
 * A worker that runs out of ready connections sleeps and must be woken
 * for the next request.  On two CPUs with wrk on the same host, two
 * workers slept 0.37 times per lookup, left the CPUs idle 18% of the time
 * and cost 10.5 us of CPU per lookup; one worker never slept and cost 8.7
 * us, for 25% more lookups a second (wrk run as tools/bench-sumdbd runs
 * it, CPU and sleeps from /proc).
 */
unsigned sdbd_http_default_threads(void);

/*
 * Checks a listen address as sdbd_http_start will read it ("HOST:PORT",
 * "[V6]:PORT" or ":PORT", PORT a decimal number 0..65535), without
 * resolving or binding it, so that a caller can refuse it before doing
 * anything else.  Returns SDB_OK or SDB_ERR_INVALID, eb saying why
 * (starting with the address).
 */
int sdbd_http_listen_check(const char *listen_addr, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Binds the listen address and starts the worker threads.  *out is the
 * new listener.  Returns SDB_OK, SDB_ERR_INVALID (listen address malformed
 * or unresolvable), SDB_ERR_IO (bind or listen failed: eb names the
 * address and the system's reason), SDB_ERR_INTERNAL (libmicrohttpd
 * refused to start), SDB_ERR_NOMEM.
 */
int sdbd_http_start(struct sdbd_http **out, const struct sdbd_http_options *opt,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* The bound address as "HOST:PORT" (IPv6 in brackets), for the operator
 * and for tests that listen on port 0. */
const char *sdbd_http_address(const struct sdbd_http *h);

/*
 * Stops gracefully: stops accepting, has every answer from then on close
 * its connection (Connection: close), answers deferred work still queued
 * with 503, waits up to grace_ms for requests in flight (deferred work
 * running included) to be answered and for every connection to have been
 * quiet for a moment (a keep-alive client answered just before may ask
 * again: it is answered, and told to close), answers deferred work still
 * running with 503, has it cut short (opt->abandon), then closes every
 * connection, joins the workers and then the defer threads (which finish
 * the work they run; its answer is dropped).
 * NULL is a no-op.
 */
void sdbd_http_stop(struct sdbd_http *h, unsigned grace_ms);

#endif
