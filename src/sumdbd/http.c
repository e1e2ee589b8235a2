/*
 * The HTTP listener (http.h) on libmicrohttpd, the only file that uses it.
 * A set of workers answers requests, each a libmicrohttpd daemon of its
 * own with its own epoll set, driven by a thread of ours; limits are set
 * before any byte of a request reaches a handler: connection timeout,
 * per-address and total connection limits, a per-connection memory pool
 * (which also caps the request line and headers: libmicrohttpd answers
 * 414/431 when they do not fit), a URL length cap, and GET/HEAD only,
 * without a request body (400, and the connection is closed).
 * libmicrohttpd itself leaves the body out of HEAD responses.
 *
 * Why our own threads and not libmicrohttpd's thread pool: the event loop
 * of its internal threads (0.9.75, Debian 12) reads epoll events in
 * rounds of 128 and waits in every round with the timeout it computed
 * before the first.  When exactly 128 (or 256, ...) connections are ready
 * at once, the round after the last full one finds nothing new and sleeps
 * for up to the connection timeout with every one of them read-ready:
 * under 256 busy connections the server stalled for seconds in about
 * half of the runs of tools/load-test, until the header watchdog cut the
 * connections.  Driven from outside, a daemon never waits inside
 * libmicrohttpd: the worker thread waits on the daemon's epoll descriptor
 * for as long as MHD_get_timeout allows (zero while any connection is
 * ready), then MHD_run processes without blocking.
 *
 * Connections are accepted by a thread of our own, which enforces the
 * per-address and total limits (closing a connection over either at
 * once, as libmicrohttpd would) and hands each to the next worker in
 * turn; the worker adds it to its daemon (MHD_add_connection must run in
 * the thread that runs the daemon).  Left to themselves, workers polling
 * one listening socket each take a burst of connections (a CI job, or
 * wrk's sixteen) on whichever wakes first while the others idle.
 *
 * Responses a handler marks immutable (full tiles) are kept, up to
 * HTTP_CACHE_BYTES, and queued again for the same request path without
 * running the handler: libmicrohttpd responses are reference counted and
 * may be queued on many connections at once.  Nothing else is cached, so
 * what changes (/latest, lookups, partial tiles) always comes from the
 * handler.
 *
 * Deferred work (http.h) runs on pools of defer threads, each fed by a
 * bounded queue of its own, so that work of one kind that hangs (lookups
 * of a slow public log) never holds up work of another (recording from
 * the module proxy): each pool's threads take only its own queue.  The
 * worker that got the request suspends its connection
 * (MHD_suspend_connection) and goes on with its other connections; the
 * defer thread fills in the answer, resumes the connection and wakes its
 * worker (job_resume), and libmicrohttpd calls on_request again, which
 * queues the answer.  A job is shared by
 * its connection and the pool and freed by whichever lets go last.
 * Work with a key (a lookup miss's path@version) never runs twice at
 * once: a defer thread that takes a job whose key is running hangs it on
 * the running job and goes on to the next, and the running job's answer
 * is copied to each job hung on it.  Otherwise every client of a version
 * whose fetch hangs would hold a defer thread of its own waiting on that
 * one fetch, and every other miss would queue behind them.
 * Every suspended connection is resumed exactly once, and always before
 * MHD_stop_daemon (which panics on a connection left suspended).
 *
 * libmicrohttpd's connection timeout is an idle timeout: a client sending
 * one header byte every few seconds (slowloris) would hold its connection
 * for ever.  A watchdog thread therefore shuts down the socket of any
 * connection whose request line and headers have not all arrived within
 * header_timeout_s of its start (or of the end of its previous request);
 * the worker then sees the end of the stream and closes the connection.
 *
 * Percent-decoding is done by us (http_path.c), not by libmicrohttpd: its
 * decoder turns "%00" into a NUL and hands over a C string, so
 * "/lookup/m@v1.0.0%00x" would reach a handler as a valid lookup.  We
 * install an identity unescape callback and decode with explicit
 * lengths, refusing %00.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "clock.h"
#include "http.h"
#include "http_path.h"
#include "limits.h"
#include "lograte.h"
#include "sync.h"

/* Longest request path we look at: a lookup path plus "/sumdb/NAME/lookup/"
 * and slack.  Longer requests get 414 without a handler running. */
#define HTTP_MAX_URL (SDB_MAX_LOOKUP_PATH + 1024)
/* Per-connection memory, which is also the cap on the request line and
 * headers: the longest lookup we take (SDB_MAX_LOOKUP_PATH) with 6 KiB of
 * headers fits, 16 KiB of headers gets 431.  Our responses are sent from
 * their own buffers, not from this pool.  libmicrohttpd zeroes the whole
 * pool after every request: at 32 KiB that cleared all of L1 each time,
 * and a lookup cost 3% more CPU. */
#define HTTP_CONN_MEMORY (16 * 1024)
/* Memory for kept immutable responses: all full hash tiles of a log of a
 * million records (3,921 tiles of 8 KiB) fit, so that the hash tiles the
 * go command asks for are answered without reading the database; with
 * the rest of the server this stays well under 64 MiB resident. */
#define HTTP_CACHE_BYTES ((size_t)32 * 1024 * 1024)
/* Slots of the cache table (open addressing, HTTP_CACHE_PROBE probes):
 * about four times the entries HTTP_CACHE_BYTES holds in 8 KiB tiles. */
#define HTTP_CACHE_SLOTS 16384u
#define HTTP_CACHE_PROBE 4u
/* Bookkeeping counted per kept response besides its body and path. */
#define HTTP_CACHE_OVERHEAD 512u
/* Defaults of the options (http.h).  Per address: a company's CI behind
 * one NAT address, or wrk's 256 connections, must fit; one host still
 * cannot take all of the total.  The total: idle keep-alive connections
 * cost a socket and a few hundred bytes until the first request (the
 * memory pool is taken then), so 10,000 stay cheap; serve.c lowers it to
 * what the open-files limit allows. */
#define HTTP_DEFAULT_PER_IP 512u
#define HTTP_DEFAULT_CONNS 10000u
#define HTTP_DEFAULT_HEADER_TIMEOUT 10u
/* Most workers started without --threads; each costs a few descriptors
 * (its epoll and wake-up descriptors, its database and WAL once it has
 * read), counted by serve.c's reserve. */
#define HTTP_MAX_DEFAULT_THREADS 16
#define HTTP_DEFAULT_DEFER_QUEUE 1024u
/* How often the watchdog looks for connections past their deadline. */
#define HTTP_WATCH_PERIOD_MS 250
/* After the grace period, how long the 503s given to deferred work still
 * running get to go out before the connections are closed. */
#define HTTP_ABANDON_MS 1000u
/* When stopping, how long a connection must have been quiet since its
 * last answer before it is closed (wait_inflight). */
#define HTTP_DRAIN_IDLE_MS 100
/* How long the accept thread rests when the process is out of file
 * descriptors (or memory), instead of spinning on a ready socket; and a
 * worker when it cannot wait for events. */
#define HTTP_BACKOFF_MS 100
/* Chains of the per-address connection counts. */
#define HTTP_ADDR_BUCKETS 4096u
/* Longest a worker waits for an event in one go: libmicrohttpd's own
 * timeouts are shorter, this only keeps the arithmetic in an int. */
#define HTTP_MAX_WAIT_MS 3600000
/* Seconds a client told "busy" is asked to wait (Retry-After). */
#define HTTP_RETRY_AFTER "5"
/* A body on GET or HEAD means nothing to us, but libmicrohttpd lets a
 * request be answered only once its body is in: up to this much is read
 * and dropped (within the header deadline) so that the client gets its
 * 400; past it the connection is closed. */
#define HTTP_MAX_DISCARD ((size_t)64 * 1024)

struct cache_slot {
	/* fnv1a of url, or 0 when empty: read without the lock as a
	 * filter, so that a path that is not kept (every lookup) is turned
	 * away without taking cache_mu; a match is checked under it */
	atomic_size_t hash;
	char *url;                   /* the raw request path; NULL: empty */
	size_t url_len;
	size_t cost;
	unsigned status;
	struct MHD_Response *resp;   /* the cache's own reference */
};

/* A deferred request (http.h), shared by its connection (released in
 * on_completed) and the pool (released when its thread is done with it). */
enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_WAITING, JOB_DONE };

struct worker;

struct job {
	struct job *next, *prev;     /* in the queue or the running list;
	                              * next also in a waiters list */
	char *key;                   /* the work's key (http.h); NULL: none */
	struct job *waiters;         /* JOB_WAITING on this running job */
	struct defer_pool *dp;       /* the pool it was handed to */
	struct MHD_Connection *c;
	int fd;                      /* c's socket; -1: unknown */
	struct worker *wk;           /* the worker c belongs to */
	void (*run)(void *arg, struct sdbd_http_response *r);
	void (*drop)(void *arg);
	void *arg;
	struct sdbd_http_response r; /* the answer, once JOB_DONE */
	enum job_state state;        /* under defer_mu */
	atomic_int refs;
};

/* A client as the connection limits count it (addr_key_of): a family
 * tag, then an IPv4 address or the /64 network of an IPv6 one. */
struct addr_key {
	unsigned char len;
	unsigned char b[9];          /* family tag, then 4 or 8 bytes */
};

/* Open connections from one address (a chain of the limits table). */
struct addr_count {
	struct addr_count *next;
	struct addr_key key;
	unsigned n;
};

/* A connection the watchdog keeps an eye on (its socket context); it
 * also holds the connection's place in the limits, when it counts. */
struct watch {
	struct watch *next, *prev;
	int fd;
	atomic_llong deadline_ms;    /* CLOCK_MONOTONIC; 0: none (in a request) */
	size_t discarded;            /* body bytes of this request dropped */
	int counted;                 /* key is counted in the limits */
	struct addr_key key;
};

/* An accepted connection on its way to a worker. */
struct pending {
	struct pending *next;
	int fd;
	socklen_t sl;
	struct sockaddr_storage ss;
	struct addr_key key;
};

/* A worker (see the file comment): a daemon, the thread that runs it, and
 * the connections the accept thread has handed it. */
struct worker {
	struct sdbd_http *h;
	struct MHD_Daemon *d;
	int epfd;                    /* the daemon's epoll descriptor */
	int wake[2];                 /* a pipe: connections waiting, or stop */
	int started;
	pthread_t tid;
	pthread_mutex_t mu;          /* guards phead, ptail */
	struct pending *phead, *ptail;
	atomic_int npending;         /* phead != NULL, read without mu */
	atomic_int stop;
	/* while this worker adds a connection: its key, and whether
	 * on_connection gave its count to the connection's watch */
	const struct addr_key *adding;
	int took;
};

/* One pool of defer threads and its queue (under defer_mu). */
struct defer_pool {
	struct sdbd_http *h;
	pthread_cond_t cv;           /* work queued, or stopping */
	struct job *qhead, *qtail;   /* waiting, oldest first */
	unsigned nqueued;
	unsigned nrunning;           /* jobs its threads have taken */
	unsigned nwaiting;           /* jobs waiting on running ones */
	pthread_t *tids;
	unsigned nthreads;           /* started */
	/* the line of work refused over queue_max (note_busy) */
	struct sdbd_lograte busy;
	const char *what, *threads_option;
};

struct sdbd_http {
	struct worker *workers;
	unsigned nworkers, next_worker;
	int fd;                      /* the listening socket; -1: closed */
	int wake[2];                 /* a pipe that stops the accept thread */
	int accept_started;
	pthread_t accept_tid;
	char addr[NI_MAXHOST + NI_MAXSERV + 4];
	sdbd_http_handler handler;
	void *ctx;
	void (*round_done)(void *ctx);
	void (*abandon)(void *ctx);
	void *abandon_ctx;
	atomic_long inflight;
	/* set by sdbd_http_stop: answers close their connections and come
	 * from the handler, never from the cache (see queue_keep) */
	atomic_int draining;
	pthread_mutex_t cache_mu;
	size_t cache_used;
	struct cache_slot *cache;    /* HTTP_CACHE_SLOTS; NULL: no cache */

	/* the defer pools */
	pthread_mutex_t defer_mu;
	struct defer_pool pools[SDBD_HTTP_DEFER_POOLS];
	struct job *running;         /* taken by a defer thread, any pool */
	unsigned queue_max;          /* per pool */
	int stopping;

	/* the connection limits, kept by the accept thread and released
	 * by the workers as connections close */
	pthread_mutex_t limit_mu;
	struct addr_count **addrs;   /* HTTP_ADDR_BUCKETS chains */
	unsigned conns, conn_limit, per_ip_limit;
	void (*log_line)(const char *line);   /* NULL: say nothing */
	/* the lines of connections refused over the total ([0]) and
	 * over an address's share ([1]) (note_refused); the accept
	 * thread's alone */
	struct sdbd_lograte refused[2];

	/* the header watchdog */
	pthread_mutex_t watch_mu;
	pthread_cond_t watch_cv;
	struct watch *watched;
	long long header_timeout_ms;
	int watch_stop, watch_started;
	pthread_t watch_tid;
};

/* The value *con_cls points at while a request is being answered: any
 * non-NULL address would do, this one is never written. */
static char inflight_marker;
/* ... and while the body of a GET or HEAD request is being dropped. */
static char body_marker;

/* libmicrohttpd's unescape hook: leave the path as sent (see the file
 * comment); returns the length unchanged. */
static size_t
identity_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

/* FNV-1a of p[0..len), never 0 (an empty cache slot's hash): for a
 * request path the first probe slot and the filter of cache_answer, for
 * a client address its chain in the limits table. */
static size_t
fnv1a(const void *p, size_t len)
{
	const unsigned char *b = p;
	uint64_t x = 14695981039346656037u;
	size_t i;

	for (i = 0; i < len; i++)
		x = (x ^ b[i]) * 1099511628211u;
	x ^= x >> 32;
	return x != 0 ? (size_t)x : 1;
}

/* Queues the kept response for url, if there is one: returns 1 and sets
 * *ret, else 0.  The lock is held while queueing, so that a response
 * cannot be dropped from the cache (and freed) between finding and
 * queueing it; queueing takes libmicrohttpd's own reference. */
static int
cache_answer(struct sdbd_http *h, struct MHD_Connection *c, const char *url, size_t len,
    enum MHD_Result *ret)
{
	size_t i, slot = fnv1a(url, len);
	int found = 0;

	if (h->cache == NULL || atomic_load_explicit(&h->draining, memory_order_relaxed))
		return 0;
	for (i = 0; i < HTTP_CACHE_PROBE; i++)
		if (atomic_load_explicit(&h->cache[(slot + i) % HTTP_CACHE_SLOTS].hash,
		    memory_order_relaxed) == slot)
			break;
	if (i == HTTP_CACHE_PROBE)
		return 0;   /* not kept, or being kept right now: the handler answers */
	pthread_mutex_lock(&h->cache_mu);
	for (i = 0; i < HTTP_CACHE_PROBE; i++) {
		struct cache_slot *e = &h->cache[(slot + i) % HTTP_CACHE_SLOTS];
		if (e->url != NULL && e->url_len == len && memcmp(e->url, url, len) == 0) {
			*ret = MHD_queue_response(c, e->status, e->resp);
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&h->cache_mu);
	return found;
}

static void
cache_drop(struct sdbd_http *h, struct cache_slot *e)
{
	if (e->url == NULL)
		return;
	MHD_destroy_response(e->resp);
	free(e->url);
	h->cache_used -= e->cost;
	atomic_store_explicit(&e->hash, 0, memory_order_relaxed);
	e->url = NULL;
	e->url_len = e->cost = 0;
	e->status = 0;
	e->resp = NULL;
}

/* Takes over the caller's reference to resp and keeps it for url, in an
 * empty probe slot, else in place of the first one, and returns 1; returns
 * 0 (the reference stays the caller's) when it would not fit the budget,
 * another thread kept url meanwhile, or memory runs out. */
static int
cache_keep(struct sdbd_http *h, const char *url, size_t len, unsigned status,
    struct MHD_Response *resp, size_t body_len)
{
	size_t i, slot = fnv1a(url, len), cost = body_len + len + HTTP_CACHE_OVERHEAD;
	struct cache_slot *e = NULL;
	char *copy;

	if (h->cache == NULL || cost > HTTP_CACHE_BYTES / 64)
		return 0;
	copy = malloc(len);
	if (copy == NULL)
		return 0;
	memcpy(copy, url, len);
	pthread_mutex_lock(&h->cache_mu);
	for (i = 0; i < HTTP_CACHE_PROBE; i++) {
		struct cache_slot *p = &h->cache[(slot + i) % HTTP_CACHE_SLOTS];
		if (p->url != NULL && p->url_len == len && memcmp(p->url, url, len) == 0) {
			e = NULL;   /* another thread kept it meanwhile */
			goto done;
		}
		if (p->url == NULL && e == NULL)
			e = p;
	}
	if (e == NULL)
		e = &h->cache[slot % HTTP_CACHE_SLOTS];
	cache_drop(h, e);
	if (h->cache_used + cost > HTTP_CACHE_BYTES) {
		e = NULL;
		goto done;
	}
	e->url = copy;
	copy = NULL;
	e->url_len = len;
	e->cost = cost;
	e->status = status;
	e->resp = resp;
	atomic_store_explicit(&e->hash, slot, memory_order_relaxed);
	h->cache_used += cost;
done:
	pthread_mutex_unlock(&h->cache_mu);
	free(copy);
	return e != NULL;
}

/* Queues the answer r on c; when keep is set and r is an immutable 200,
 * also keeps it for url in the cache.  While the listener drains
 * (sdbd_http_stop), every answer asks the client to close. */
static enum MHD_Result
queue_keep(struct sdbd_http *h, int keep, struct MHD_Connection *c, const char *url,
    size_t url_len, struct sdbd_http_response *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t body_len = r->len;

	if (atomic_load_explicit(&h->draining, memory_order_relaxed)) {
		r->close = 1;
		keep = 0;
	}

	if (r->body_static || r->body == NULL) {
		resp = MHD_create_response_from_buffer(r->body ? r->len : 0,
		    r->body ? r->body : (char *)"", MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
		if (resp == NULL)
			free(r->body);
	}
	r->body = NULL;
	if (resp == NULL)
		return MHD_NO;
	ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    r->content_type ? r->content_type : "text/plain; charset=UTF-8");
	if (ret == MHD_YES && r->cache_control)
		ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, r->cache_control);
	if (ret == MHD_YES && r->status == MHD_HTTP_METHOD_NOT_ALLOWED)
		ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (ret == MHD_YES && r->close)
		ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	/* every 503 is "busy or unavailable for now": say when to come back */
	if (ret == MHD_YES && r->status == MHD_HTTP_SERVICE_UNAVAILABLE)
		ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, HTTP_RETRY_AFTER);
	if (ret == MHD_YES)
		ret = MHD_queue_response(c, (unsigned)r->status, resp);
	if (ret == MHD_YES && keep && r->immutable && r->status == MHD_HTTP_OK &&
	    cache_keep(h, url, url_len, (unsigned)r->status, resp, body_len))
		return ret;   /* the cache holds our reference now */
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
queue(struct sdbd_http *h, struct MHD_Connection *c, struct sdbd_http_response *r)
{
	return queue_keep(h, 0, c, NULL, 0, r);
}

static enum MHD_Result
plain(struct sdbd_http *h, struct MHD_Connection *c, int status, const char *msg)
{
	struct sdbd_http_response r = { 0 };

	r.status = status;
	r.body = (char *)msg;
	r.len = strlen(msg);
	r.body_static = 1;
	return queue(h, c, &r);
}

static void
wake_up(int fd)
{
	/* non-blocking: a full pipe already holds a wake-up */
	while (write(fd, "x", 1) < 0 && errno == EINTR)
		;
}

/* Resumes j's connection and wakes its worker, which then answers it in
 * its next MHD_run.  The wake-up must be ours: without an internal thread
 * libmicrohttpd 0.9.75 drops its own inter-thread channel (MHD_USE_ITC
 * is ignored), so MHD_resume_connection only marks the connection, and
 * MHD_get_timeout does not count a pending resume: the worker would
 * sleep until some other event or timeout. */
static void
job_resume(struct job *j)
{
	MHD_resume_connection(j->c);
	wake_up(j->wk->wake[1]);
}

/* Frees what a response still owns (a body never handed to libmicrohttpd). */
static void
response_clear(struct sdbd_http_response *r)
{
	if (r->body != NULL && !r->body_static)
		free(r->body);
	r->body = NULL;
}

static void
job_put(struct job *j)
{
	if (atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	response_clear(&j->r);
	free(j->key);
	free(j);
}

static void
text_response(struct sdbd_http_response *r, int status, const char *msg)
{
	memset(r, 0, sizeof *r);
	r->status = status;
	r->body = (char *)msg;
	r->len = strlen(msg);
	r->body_static = 1;
}

/* Answers j (its work not run, or its result to be dropped) with a 503
 * and resumes its connection.  defer_mu is held. */
static void
job_refuse_locked(struct job *j, const char *msg)
{
	text_response(&j->r, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
	j->state = JOB_DONE;
	job_resume(j);
}

/* The running job with key, or NULL.  defer_mu is held. */
static struct job *
running_with_key(struct sdbd_http *h, const char *key)
{
	struct job *r;

	for (r = h->running; r != NULL; r = r->next)
		if (r->key != NULL && strcmp(r->key, key) == 0)
			return r;
	return NULL;
}

/* Answers each job waiting on j, still waiting, with a copy of r (a 503
 * when memory for the copy runs out) or, with r NULL, a 503 saying msg;
 * then lets go of them.  defer_mu is held. */
static void
answer_waiters_locked(struct job *j, const struct sdbd_http_response *r, const char *msg)
{
	struct job *w;

	while ((w = j->waiters) != NULL) {
		j->waiters = w->next;
		w->next = NULL;
		w->dp->nwaiting--;
		if (w->state == JOB_WAITING && r == NULL) {
			job_refuse_locked(w, msg);
		} else if (w->state == JOB_WAITING) {
			w->r = *r;
			if (!r->body_static && r->body != NULL) {
				w->r.body = malloc(r->len > 0 ? r->len : 1);
				if (w->r.body == NULL)
					text_response(&w->r, MHD_HTTP_SERVICE_UNAVAILABLE,
					    "out of memory\n");
				else
					memcpy(w->r.body, r->body, r->len);
			}
			w->state = JOB_DONE;
			job_resume(w);
		}
		job_put(w);   /* the pool's reference */
	}
}

/* Whether the client of a suspended connection has closed it (or half
 * closed it: a client that sent its request and then its FIN is taken to
 * have given up, as Go's server takes it).  Queued work for a client that
 * left is not run: a flood of misses from clients that connect, ask and
 * close at once would otherwise keep the miss threads fetching for
 * nobody long after the flood, and keep every later miss waiting. */
static int
client_gone(int fd)
{
	struct pollfd pfd;

	if (fd < 0)
		return 0;
	pfd.fd = fd;
#ifdef POLLRDHUP
	pfd.events = POLLRDHUP;
#else
	pfd.events = 0;
#endif
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) <= 0)
		return 0;
#ifdef POLLRDHUP
	if (pfd.revents & POLLRDHUP)
		return 1;
#endif
	return (pfd.revents & (POLLHUP | POLLERR)) != 0;
}

/* A defer thread of pool dp: runs its queued jobs until the listener
 * stops and the queue is empty. */
static void *
defer_main(void *arg)
{
	struct defer_pool *dp = arg;
	struct sdbd_http *h = dp->h;
	struct job *j;

	pthread_mutex_lock(&h->defer_mu);
	for (;;) {
		struct sdbd_http_response r;

		while (dp->qhead == NULL && !h->stopping)
			pthread_cond_wait(&dp->cv, &h->defer_mu);
		if ((j = dp->qhead) == NULL)
			break;
		dp->qhead = j->next;
		if (dp->qhead == NULL)
			dp->qtail = NULL;
		dp->nqueued--;
		/* checked under defer_mu: the connection is suspended and
		 * cannot be closed, so fd is still its socket */
		if (client_gone(j->fd)) {
			job_refuse_locked(j, "the client closed the connection\n");
			j->drop(j->arg);
			j->arg = NULL;
			job_put(j);   /* the pool's reference */
			continue;
		}
		if (j->key != NULL) {
			struct job *same = running_with_key(h, j->key);

			if (same != NULL) {
				/* its answer will be this one's: wait on it,
				 * off this thread */
				j->state = JOB_WAITING;
				j->drop(j->arg);
				j->arg = NULL;
				j->next = same->waiters;
				same->waiters = j;
				dp->nwaiting++;
				continue;
			}
		}
		dp->nrunning++;
		j->state = JOB_RUNNING;
		j->prev = NULL;
		j->next = h->running;
		if (h->running != NULL)
			h->running->prev = j;
		h->running = j;
		pthread_mutex_unlock(&h->defer_mu);

		memset(&r, 0, sizeof r);
		j->run(j->arg, &r);
		j->drop(j->arg);
		j->arg = NULL;

		pthread_mutex_lock(&h->defer_mu);
		dp->nrunning--;
		if (j->prev != NULL)
			j->prev->next = j->next;
		else
			h->running = j->next;
		if (j->next != NULL)
			j->next->prev = j->prev;
		if (j->state == JOB_RUNNING) {
			answer_waiters_locked(j, &r, NULL);
			j->r = r;
			j->state = JOB_DONE;
			job_resume(j);
		} else {
			/* they were answered with it (sdbd_http_stop) */
			answer_waiters_locked(j, NULL, "server shutting down; try again\n");
			/* answered 503 at shutdown meanwhile; the connection
			 * may be gone: never touch it again */
			response_clear(&r);
		}
		job_put(j);
	}
	pthread_mutex_unlock(&h->defer_mu);
	return NULL;
}

/*
 * Says that work for dp was answered 503 over --miss-queue: n refusals
 * since the last such line (first: the pool's first line), which
 * sdbd_lograte_take allowed.  The operator sees that clients are turned
 * away and which limits to weigh, instead of 503s nobody hears of.
 */
static void
note_busy(const struct defer_pool *dp, unsigned long n, int first)
{
	const struct sdbd_http *h = dp->h;
	const char *what = dp->what != NULL ? dp->what : "deferred work";
	char limits[160], line[512];

	if (h->log_line == NULL)
		return;
	if (dp->threads_option != NULL)
		snprintf(limits, sizeof limits, "%s %u and --miss-queue %u", dp->threads_option,
		    dp->nthreads, h->queue_max);
	else
		snprintf(limits, sizeof limits, "%u threads and --miss-queue %u", dp->nthreads,
		    h->queue_max);
	if (first)
		snprintf(line, sizeof line, "busy: answered 503 to a lookup waiting for %s, over %s "
		    "(refusals are said at most once a minute)", what, limits);
	else
		snprintf(line, sizeof line, "busy: answered 503 to %lu lookup%s waiting for %s since "
		    "the last such line, over %s", n, n == 1 ? "" : "s", what, limits);
	h->log_line(line);
}

/* Hands the handler's deferred work in r to its pool and suspends c, or
 * refuses it with a 503 when that pool's queue is full or the listener
 * stops. */
static enum MHD_Result
defer_submit(struct worker *wk, struct MHD_Connection *c, void **con_cls,
    struct sdbd_http_response *r)
{
	struct sdbd_http *h = wk->h;
	struct defer_pool *dp = &h->pools[r->defer_pool < SDBD_HTTP_DEFER_POOLS ? r->defer_pool : 0];
	struct job *j = calloc(1, sizeof *j);
	const union MHD_ConnectionInfo *ci;

	if (j == NULL) {
		r->defer_free(r->defer_arg);
		return plain(h, c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory\n");
	}
	/* A pool without threads would never run the work: the handler
	 * routed it to a path this server does not run. */
	if (dp->nthreads == 0) {
		r->defer_free(r->defer_arg);
		free(j);
		return plain(h, c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error: no thread runs "
		    "this work\n");
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	j->c = c;
	j->fd = ci != NULL ? ci->connect_fd : -1;
	j->wk = wk;
	j->run = r->defer;
	j->drop = r->defer_free;
	j->arg = r->defer_arg;
	j->dp = dp;
	j->state = JOB_QUEUED;
	if (r->defer_key != NULL && (j->key = strdup(r->defer_key)) == NULL) {
		j->drop(j->arg);
		free(j);
		return plain(h, c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory\n");
	}
	atomic_init(&j->refs, 2);
	pthread_mutex_lock(&h->defer_mu);
	/* Capacity is the threads plus the queue, counted over both: a burst
	 * that arrives before the threads wake up must not be refused while
	 * threads are free. */
	if (h->stopping ||
	    dp->nqueued + dp->nwaiting + dp->nrunning >= dp->nthreads + h->queue_max) {
		int stopping = h->stopping, first = 0;
		unsigned long n = stopping ? 0 : sdbd_lograte_take(&dp->busy, sdb_clock_ms(), &first);

		pthread_mutex_unlock(&h->defer_mu);
		j->drop(j->arg);
		free(j->key);
		free(j);
		if (n > 0)
			note_busy(dp, n, first);
		return plain(h, c, MHD_HTTP_SERVICE_UNAVAILABLE, stopping ?
		    "server shutting down; try again\n" :
		    "busy: too many lookups waiting for the upstream; try again later\n");
	}
	/* Suspended before any defer thread can see the job, so that the
	 * resume always follows the suspend. */
	MHD_suspend_connection(c);
	*con_cls = j;
	if (dp->qtail != NULL)
		dp->qtail->next = j;
	else
		dp->qhead = j;
	dp->qtail = j;
	dp->nqueued++;
	pthread_cond_signal(&dp->cv);
	pthread_mutex_unlock(&h->defer_mu);
	return MHD_YES;
}

/* The limits' key of a client address.  An IPv6 host is handed a /64
 * at least and picks any address in it (privacy addresses, or one per
 * connection at will): counted per address, one host would get the
 * per-address limit once per address and could take every connection.
 * So an IPv6 client counts as its /64.  An IPv4 client of a dual-stack
 * socket comes as ::ffff:a.b.c.d, which counts as a.b.c.d: all IPv4
 * clients share one such /64. */
static void
addr_key_of(const struct sockaddr *sa, socklen_t sl, struct addr_key *k)
{
	memset(k, 0, sizeof *k);
	if (sa->sa_family == AF_INET && sl >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)sa;

		k->b[0] = 4;
		memcpy(k->b + 1, &a->sin_addr, 4);
		k->len = 5;
	} else if (sa->sa_family == AF_INET6 && sl >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr)) {
			k->b[0] = 4;
			memcpy(k->b + 1, a->sin6_addr.s6_addr + 12, 4);
			k->len = 5;
		} else {
			k->b[0] = 6;
			memcpy(k->b + 1, a->sin6_addr.s6_addr, 8);
			k->len = 9;
		}
	} else {
		k->len = 1;   /* another family: all share one count */
	}
}

/* What limit_take made of a connection. */
enum limit_verdict {
	LIMIT_TAKEN,
	LIMIT_TOTAL,        /* refused: conn_limit connections already */
	LIMIT_PER_ADDR,     /* refused: per_ip_limit from its address already */
	LIMIT_NOMEM,
};

/* Counts a new connection from k: LIMIT_TAKEN, or (nothing counted) the
 * limit that is full, or LIMIT_NOMEM. */
static enum limit_verdict
limit_take(struct sdbd_http *h, const struct addr_key *k)
{
	struct addr_count **chain = &h->addrs[fnv1a(k->b, k->len) % HTTP_ADDR_BUCKETS], *a;
	enum limit_verdict v = LIMIT_TOTAL;

	pthread_mutex_lock(&h->limit_mu);
	if (h->conns >= h->conn_limit)
		goto out;
	v = LIMIT_NOMEM;
	for (a = *chain; a != NULL; a = a->next)
		if (a->key.len == k->len && memcmp(a->key.b, k->b, k->len) == 0)
			break;
	if (a == NULL) {
		if ((a = calloc(1, sizeof *a)) == NULL)
			goto out;
		a->key = *k;
		a->next = *chain;
		*chain = a;
	}
	v = LIMIT_PER_ADDR;
	if (a->n >= h->per_ip_limit)
		goto out;
	a->n++;
	h->conns++;
	v = LIMIT_TAKEN;
out:
	pthread_mutex_unlock(&h->limit_mu);
	return v;
}

/*
 * Tells the operator that connections were refused over a limit (per_addr:
 * an address's share, else the total): a client over a limit only sees
 * its connection closed, and behind a reverse proxy, whose address every
 * client has, the proxy only reports that its upstream closed the
 * connection (a 502 to its client).  n refusals since the last such line
 * (first: the limit's first line), the last from host (NULL: not known).
 */
static void
say_refused(const struct sdbd_http *h, int per_addr, unsigned long n, int first,
    const char *host)
{
	const char *opt = per_addr ? "--max-conns-per-ip" : "--max-conns";
	const char *hint = per_addr ? "; behind a reverse proxy every client has the proxy's "
	    "address: raise --max-conns-per-ip to --max-conns" : "";
	unsigned limit = per_addr ? h->per_ip_limit : h->conn_limit;
	char line[NI_MAXHOST + 512];

	if (h->log_line == NULL)
		return;
	if (first)
		snprintf(line, sizeof line, "refused a connection from %s over %s %u%s "
		    "(refusals are said at most once a minute)", host, opt, limit, hint);
	else
		snprintf(line, sizeof line, "refused %lu connection%s over %s %u since the last "
		    "such line%s%s%s", n, n == 1 ? "" : "s", opt, limit,
		    host != NULL ? ", the last from " : "", host != NULL ? host : "", hint);
	h->log_line(line);
}

/* Says a connection from ss refused over the limit v: the first refusal,
 * then at most every SDBD_LOGRATE_MS with the count since.  Runs in the
 * accept thread. */
static void
note_refused(struct sdbd_http *h, enum limit_verdict v, const struct sockaddr_storage *ss,
    socklen_t sl)
{
	int per_addr = v == LIMIT_PER_ADDR, first;
	char host[NI_MAXHOST];
	unsigned long n;

	if ((n = sdbd_lograte_take(&h->refused[per_addr], sdb_clock_ms(), &first)) == 0 ||
	    h->log_line == NULL)
		return;
	if (getnameinfo((const struct sockaddr *)ss, sl, host, sizeof host, NULL, 0,
	    NI_NUMERICHOST) != 0)
		snprintf(host, sizeof host, "an address it cannot print");
	say_refused(h, per_addr, n, first, host);
}

/* At a stop, says the refusals over each connection limit and each
 * pool's queue that were only counted since their last line: they would
 * never be said otherwise.  The accept thread has ended. */
static void
note_held_back(struct sdbd_http *h)
{
	unsigned long busy[SDBD_HTTP_DEFER_POOLS];
	unsigned i;

	if (h->log_line == NULL)
		return;
	for (i = 0; i < 2; i++)
		if (h->refused[i].n > 0) {
			say_refused(h, (int)i, h->refused[i].n, 0, NULL);
			h->refused[i].n = 0;
		}
	pthread_mutex_lock(&h->defer_mu);
	for (i = 0; i < SDBD_HTTP_DEFER_POOLS; i++) {
		busy[i] = h->pools[i].busy.n;
		h->pools[i].busy.n = 0;
	}
	pthread_mutex_unlock(&h->defer_mu);
	for (i = 0; i < SDBD_HTTP_DEFER_POOLS; i++)
		if (busy[i] > 0)
			note_busy(&h->pools[i], busy[i], 0);
}

/* Gives back a connection limit_take counted for k. */
static void
limit_release(struct sdbd_http *h, const struct addr_key *k)
{
	struct addr_count **pp = &h->addrs[fnv1a(k->b, k->len) % HTTP_ADDR_BUCKETS], *a;

	pthread_mutex_lock(&h->limit_mu);
	for (; (a = *pp) != NULL; pp = &a->next) {
		if (a->key.len != k->len || memcmp(a->key.b, k->b, k->len) != 0)
			continue;
		h->conns--;
		if (--a->n == 0) {
			*pp = a->next;
			free(a);
		}
		break;
	}
	pthread_mutex_unlock(&h->limit_mu);
}

/* Adds the connections handed to wk to its daemon; runs in wk's thread. */
static void
worker_take(struct worker *wk)
{
	struct pending *p, *next;

	pthread_mutex_lock(&wk->mu);
	p = wk->phead;
	wk->phead = wk->ptail = NULL;
	atomic_store(&wk->npending, 0);
	pthread_mutex_unlock(&wk->mu);
	for (; p != NULL; p = next) {
		next = p->next;
		wk->adding = &p->key;
		wk->took = 0;
		/* on failure libmicrohttpd has closed the socket */
		(void)MHD_add_connection(wk->d, p->fd, (struct sockaddr *)&p->ss, p->sl);
		if (!wk->took)
			limit_release(wk->h, &p->key);
		wk->adding = NULL;
		free(p);
	}
}

/* A worker's thread (see the file comment). */
static void *
worker_main(void *arg)
{
	struct worker *wk = arg;
	struct pollfd pfd[2];
	char buf[64];

	pfd[0].fd = wk->epfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = wk->wake[0];
	pfd[1].events = POLLIN;
	while (!atomic_load(&wk->stop)) {
		MHD_UNSIGNED_LONG_LONG t;
		int ms = -1;

		if (atomic_load(&wk->npending))
			worker_take(wk);
		/* zero while a connection is ready: MHD_run then takes it
		 * (and any new events) without waiting */
		if (MHD_get_timeout(wk->d, &t) == MHD_YES)
			ms = t < HTTP_MAX_WAIT_MS ? (int)t : HTTP_MAX_WAIT_MS;
		if (ms != 0) {
			pfd[0].revents = pfd[1].revents = 0;
			/* out of memory, say: rest rather than spin */
			if (poll(pfd, 2, ms) < 0 && errno != EINTR)
				(void)poll(NULL, 0, HTTP_BACKOFF_MS);
			if (pfd[1].revents != 0)
				while (read(wk->wake[0], buf, sizeof buf) > 0)
					;
		}
		(void)MHD_run(wk->d);
		if (wk->h->round_done != NULL)
			wk->h->round_done(wk->h->ctx);
	}
	return NULL;
}

/* Counts c against the limits and hands it to the next worker, or closes
 * it: over a limit (as libmicrohttpd itself would), or out of memory. */
static void
hand_over(struct sdbd_http *h, int c, const struct sockaddr_storage *ss, socklen_t sl)
{
	struct pending *p = malloc(sizeof *p);
	struct worker *wk;
	enum limit_verdict v;

	if (p == NULL) {
		close(c);
		return;
	}
	addr_key_of((const struct sockaddr *)ss, sl, &p->key);
	if ((v = limit_take(h, &p->key)) != LIMIT_TAKEN) {
		free(p);
		close(c);
		if (v != LIMIT_NOMEM)
			note_refused(h, v, ss, sl);
		return;
	}
	p->next = NULL;
	p->fd = c;
	p->ss = *ss;
	p->sl = sl;
	wk = &h->workers[h->next_worker++ % h->nworkers];
	pthread_mutex_lock(&wk->mu);
	if (wk->ptail != NULL)
		wk->ptail->next = p;
	else
		wk->phead = p;
	wk->ptail = p;
	atomic_store(&wk->npending, 1);
	pthread_mutex_unlock(&wk->mu);
	wake_up(wk->wake[1]);
}

/* The watchdog's record of c (NULL when it has none). */
static struct watch *
watch_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

/* The watchdog thread (see the file comment). */
static void *
watch_main(void *arg)
{
	struct sdbd_http *h = arg;
	struct timespec ts;

	pthread_mutex_lock(&h->watch_mu);
	while (!h->watch_stop) {
		long long now = sdb_clock_ms();
		struct watch *w;

		/* the list is changed only under watch_mu, and a connection's
		 * socket is closed only after it left the list: fd is still
		 * that connection's */
		for (w = h->watched; w != NULL; w = w->next) {
			long long dl = atomic_load(&w->deadline_ms);
			if (dl != 0 && now >= dl) {
				(void)shutdown(w->fd, SHUT_RDWR);
				atomic_store(&w->deadline_ms, 0);
			}
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += HTTP_WATCH_PERIOD_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&h->watch_cv, &h->watch_mu, &ts);
	}
	pthread_mutex_unlock(&h->watch_mu);
	return NULL;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct worker *wk = cls;
	struct sdbd_http *h = wk->h;
	struct sdbd_http_response r = { 0 };
	enum MHD_Result ret;
	size_t ulen;
	long dlen;
	int keep;
	char path[HTTP_MAX_URL + 1];   /* decoding never lengthens */

	(void)version;
	(void)upload_data;
	/* Other methods are refused on the first call, before any body is
	 * read, so a POST's body is never buffered (the connection closes). */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return plain(h, c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	/* GET and HEAD are answered on the second call, once the request is
	 * complete: a response queued earlier makes libmicrohttpd close the
	 * connection instead of keeping it alive. */
	if (*con_cls == NULL) {
		struct watch *w = watch_of(c);

		if (w != NULL)
			atomic_store(&w->deadline_ms, 0);   /* the headers are in */
		*con_cls = &inflight_marker;
		atomic_fetch_add(&h->inflight, 1);
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		/* A body on GET or HEAD: libmicrohttpd refuses an answer
		 * until the body is in (a response queued now fails, and the
		 * connection would close without one), so the body is
		 * dropped, within the header deadline and up to
		 * HTTP_MAX_DISCARD, and the request answered 400 below. */
		struct watch *w = watch_of(c);

		if (w == NULL)
			return MHD_NO;
		if (*con_cls == &inflight_marker) {
			*con_cls = &body_marker;
			w->discarded = 0;
			atomic_store(&w->deadline_ms, sdb_clock_ms() + h->header_timeout_ms);
		}
		if (*upload_data_size > HTTP_MAX_DISCARD - w->discarded)
			return MHD_NO;
		w->discarded += *upload_data_size;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*con_cls == &body_marker) {
		struct watch *w = watch_of(c);

		if (w != NULL)
			atomic_store(&w->deadline_ms, 0);
		/* and the connection closes after the answer: whatever framed
		 * this body for its sender is not to be trusted for the next
		 * request */
		text_response(&r, MHD_HTTP_BAD_REQUEST, "a GET or HEAD request has no body\n");
		r.close = 1;
		return queue(h, c, &r);
	}
	if (*con_cls != &inflight_marker) {
		/* resumed: the deferred work is done */
		struct job *j = *con_cls;

		pthread_mutex_lock(&h->defer_mu);
		r = j->r;
		memset(&j->r, 0, sizeof j->r);
		pthread_mutex_unlock(&h->defer_mu);
		if (r.status == 0)
			text_response(&r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n");
		return queue(h, c, &r);
	}
	ulen = strlen(url);
	if (ulen > HTTP_MAX_URL)
		return plain(h, c, MHD_HTTP_URI_TOO_LONG, "request path too long\n");
	if (cache_answer(h, c, url, ulen, &ret))
		return ret;
	dlen = sdbd_http_target_path(url, ulen, path, &keep);
	if (dlen < 0)
		return plain(h, c, MHD_HTTP_BAD_REQUEST, "malformed request path\n");
	h->handler(h->ctx, path, (size_t)dlen, &r);
	if (r.defer != NULL)
		return defer_submit(wk, c, con_cls, &r);
	/* Only a plain path without escapes is kept: "%30%30%30",
	 * "0%30%30", ... spell one tile in thousands of ways (and an
	 * absolute form names any host), and a client asking for each
	 * would fill the cache with copies and push the real ones out. */
	return queue_keep(h, keep, c, url, ulen, &r);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct sdbd_http *h = cls;
	struct watch *w;

	(void)toe;
	if (*con_cls != NULL) {
		if (*con_cls != &inflight_marker && *con_cls != &body_marker)
			job_put(*con_cls);
		*con_cls = NULL;
		atomic_fetch_sub(&h->inflight, 1);
	}
	/* the next request on this connection has its own deadline */
	if ((w = watch_of(c)) != NULL)
		atomic_store(&w->deadline_ms, sdb_clock_ms() + h->header_timeout_ms);
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct worker *wk = cls;
	struct sdbd_http *h = wk->h;
	struct watch *w;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		/* without memory the connection just goes unwatched (the idle
		 * timeout still applies) and uncounted */
		if (ci == NULL || (w = calloc(1, sizeof *w)) == NULL)
			return;
		w->fd = ci->connect_fd;
		if (wk->adding != NULL) {
			w->key = *wk->adding;
			w->counted = 1;
			wk->took = 1;
		}
		atomic_init(&w->deadline_ms, sdb_clock_ms() + h->header_timeout_ms);
		pthread_mutex_lock(&h->watch_mu);
		w->next = h->watched;
		if (h->watched != NULL)
			h->watched->prev = w;
		h->watched = w;
		pthread_mutex_unlock(&h->watch_mu);
		*socket_context = w;
		return;
	}
	if (toe != MHD_CONNECTION_NOTIFY_CLOSED)
		return;
	if ((w = *socket_context) != NULL) {
		pthread_mutex_lock(&h->watch_mu);
		if (w->prev != NULL)
			w->prev->next = w->next;
		else
			h->watched = w->next;
		if (w->next != NULL)
			w->next->prev = w->prev;
		pthread_mutex_unlock(&h->watch_mu);
		if (w->counted)
			limit_release(h, &w->key);
		free(w);
		*socket_context = NULL;
	}
}

/* Longest host of a listen address, and its port's digits, with the NUL. */
#define HTTP_LISTEN_HOST 96
#define HTTP_LISTEN_PORT 6

/*
 * Splits "HOST:PORT", "[V6]:PORT" or ":PORT" into host (empty: every
 * address) and port, a decimal number 0..65535: the resolver takes any
 * digits and the socket keeps their low 16 bits, so 99999 would listen on
 * 34463, a port nobody asked for.
 */
static int
split_listen(const char *listen_addr, char host[HTTP_LISTEN_HOST], char port[HTTP_LISTEN_PORT],
    struct sdb_errbuf *eb)
{
	const char *h = listen_addr, *colon = strrchr(listen_addr, ':'), *p;
	unsigned long v = 0;
	size_t hl;

	if (colon == NULL || colon[1] == '\0' || strlen(colon + 1) >= HTTP_LISTEN_PORT)
		goto bad_port;
	for (p = colon + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			goto bad_port;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		goto bad_port;
	hl = (size_t)(colon - h);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl >= HTTP_LISTEN_HOST)
		return sdb_errf(eb, SDB_ERR_INVALID, "%s: host too long", listen_addr);
	memcpy(host, h, hl);
	host[hl] = '\0';
	memcpy(port, colon + 1, strlen(colon + 1) + 1);
	return SDB_OK;
bad_port:
	return sdb_errf(eb, SDB_ERR_INVALID, "%s: want HOST:PORT with PORT a number from 0 to "
	    "65535 in at most 5 digits (0 picks a free port)", listen_addr);
}

int
sdbd_http_listen_check(const char *listen_addr, struct sdb_errbuf *eb)
{
	char host[HTTP_LISTEN_HOST], port[HTTP_LISTEN_PORT];

	return split_listen(listen_addr, host, port, eb);
}

/* Binds a listening socket to listen_addr (split_listen). */
static int
bind_listen(struct sdbd_http *h, const char *listen_addr, struct sdb_errbuf *eb)
{
	char host[HTTP_LISTEN_HOST], port[HTTP_LISTEN_PORT], nh[NI_MAXHOST], ns[NI_MAXSERV];
	const char *orig = listen_addr;
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int fd, rc, one = 1;

	if ((rc = split_listen(listen_addr, host, port, eb)) != SDB_OK)
		return rc;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host[0] != '\0' ? host : NULL, port, &hints, &res);
	if (rc != 0)
		return sdb_errf(eb, SDB_ERR_INVALID, "listen address %s: %s", orig, gai_strerror(rc));
	/* non-blocking: the accept thread takes what is pending until
	 * EAGAIN, then polls again */
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    res->ai_protocol);
	if (fd < 0) {
		freeaddrinfo(res);
		return sdb_errf(eb, SDB_ERR_IO, "socket: %s", strerror(errno));
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
		rc = errno;
		freeaddrinfo(res);
		close(fd);
		return sdb_errf(eb, SDB_ERR_IO, "cannot listen on %s: %s", orig, strerror(rc));
	}
	freeaddrinfo(res);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, sl, nh, sizeof nh, ns, sizeof ns,
	        NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		close(fd);
		return sdb_errf(eb, SDB_ERR_IO, "getsockname: %s", strerror(errno));
	}
	if (ss.ss_family == AF_INET6)
		(void)snprintf(h->addr, sizeof h->addr, "[%s]:%s", nh, ns);
	else
		(void)snprintf(h->addr, sizeof h->addr, "%s:%s", nh, ns);
	h->fd = fd;
	return SDB_OK;
}

/* The accept thread (see the file comment): hands every connection to a
 * worker until a byte arrives on the wake pipe. */
static void *
accept_main(void *arg)
{
	struct sdbd_http *h = arg;
	struct pollfd pfd[2];

	pfd[0].fd = h->fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = h->wake[0];
	pfd[1].events = POLLIN;
	for (;;) {
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			(void)poll(NULL, 0, HTTP_BACKOFF_MS);
		if (pfd[1].revents != 0)
			break;
		if (pfd[0].revents == 0)
			continue;
		for (;;) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof ss;
			int c = accept4(h->fd, (struct sockaddr *)&ss, &sl,
			    SOCK_CLOEXEC | SOCK_NONBLOCK);

			if (c >= 0) {
				hand_over(h, c, &ss, sl);
				continue;
			}
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection
			 * waits in the backlog while we rest */
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				(void)poll(&pfd[1], 1, HTTP_BACKOFF_MS);
			break;
		}
	}
	return NULL;
}

/* Stops and joins the accept thread, if it runs, and closes the listening
 * socket: no connection is accepted after this returns. */
static void
accept_stop(struct sdbd_http *h)
{
	if (h->accept_started) {
		while (write(h->wake[1], "x", 1) < 0 && errno == EINTR)
			;
		pthread_join(h->accept_tid, NULL);
		h->accept_started = 0;
	}
	if (h->fd >= 0) {
		close(h->fd);
		h->fd = -1;
	}
}

/* Stops and joins the worker threads that were started, then stops their
 * daemons, which closes every connection left (in this thread); the
 * connections handed over and not yet taken are closed too. */
static void
workers_stop(struct sdbd_http *h)
{
	unsigned i;

	if (h->workers == NULL)
		return;
	for (i = 0; i < h->nworkers; i++) {
		struct worker *wk = &h->workers[i];

		if (!wk->started)
			continue;
		atomic_store(&wk->stop, 1);
		wake_up(wk->wake[1]);
		pthread_join(wk->tid, NULL);
		wk->started = 0;
	}
	for (i = 0; i < h->nworkers; i++) {
		struct worker *wk = &h->workers[i];
		struct pending *p, *next;

		for (p = wk->phead; p != NULL; p = next) {
			next = p->next;
			close(p->fd);
			limit_release(h, &p->key);
			free(p);
		}
		wk->phead = wk->ptail = NULL;
		if (wk->d != NULL)
			MHD_stop_daemon(wk->d);
		if (wk->wake[0] >= 0)
			close(wk->wake[0]);
		if (wk->wake[1] >= 0)
			close(wk->wake[1]);
		pthread_mutex_destroy(&wk->mu);
	}
	free(h->workers);
	h->workers = NULL;
	h->nworkers = 0;
}

/* Starts worker wk of h: its wake-up pipe, its daemon and its thread. */
static int
worker_start(struct sdbd_http *h, struct worker *wk, const struct sdbd_http_options *opt,
    struct sdb_errbuf *eb)
{
	const union MHD_DaemonInfo *di;

	if (pipe2(wk->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		wk->wake[0] = wk->wake[1] = -1;
		return sdb_errf(eb, SDB_ERR_IO, "pipe: %s", strerror(errno));
	}
	/* Per-address and total limits are the accept thread's; the
	 * daemon's own total is only a backstop. */
	wk->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET,
	    0, NULL, NULL, on_request, wk,
	    MHD_OPTION_CONNECTION_TIMEOUT, opt->timeout_s ? opt->timeout_s : 15u,
	    MHD_OPTION_CONNECTION_LIMIT, h->conn_limit,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    MHD_OPTION_UNESCAPE_CALLBACK, identity_unescape, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, wk,
	    MHD_OPTION_END);
	if (wk->d == NULL)
		return sdb_errf(eb, SDB_ERR_INTERNAL, "libmicrohttpd refused to start");
	di = MHD_get_daemon_info(wk->d, MHD_DAEMON_INFO_EPOLL_FD);
	if (di == NULL || di->epoll_fd < 0)
		return sdb_errf(eb, SDB_ERR_INTERNAL, "libmicrohttpd gave no epoll descriptor");
	wk->epfd = di->epoll_fd;
	if (pthread_create(&wk->tid, NULL, worker_main, wk) != 0)
		return sdb_errf(eb, SDB_ERR_INTERNAL, "cannot start the HTTP workers");
	wk->started = 1;
	return SDB_OK;
}

/* Stops and joins the pool and the watchdog threads that were started,
 * drops every kept response (after the workers are gone) and frees h. */
static void
listener_free(struct sdbd_http *h)
{
	unsigned i;

	accept_stop(h);
	workers_stop(h);
	for (i = 0; i < 2; i++)
		if (h->wake[i] >= 0)
			close(h->wake[i]);
	pthread_mutex_lock(&h->defer_mu);
	h->stopping = 1;
	for (i = 0; i < SDBD_HTTP_DEFER_POOLS; i++)
		pthread_cond_broadcast(&h->pools[i].cv);
	pthread_mutex_unlock(&h->defer_mu);
	for (i = 0; i < SDBD_HTTP_DEFER_POOLS; i++) {
		unsigned k;

		for (k = 0; k < h->pools[i].nthreads; k++)
			pthread_join(h->pools[i].tids[k], NULL);
		free(h->pools[i].tids);
	}
	if (h->watch_started) {
		pthread_mutex_lock(&h->watch_mu);
		h->watch_stop = 1;
		pthread_cond_signal(&h->watch_cv);
		pthread_mutex_unlock(&h->watch_mu);
		pthread_join(h->watch_tid, NULL);
	}
	for (i = 0; h->cache != NULL && i < HTTP_CACHE_SLOTS; i++)
		cache_drop(h, &h->cache[i]);
	free(h->cache);
	pthread_mutex_destroy(&h->cache_mu);
	for (i = 0; i < SDBD_HTTP_DEFER_POOLS; i++)
		pthread_cond_destroy(&h->pools[i].cv);
	pthread_mutex_destroy(&h->defer_mu);
	pthread_cond_destroy(&h->watch_cv);
	pthread_mutex_destroy(&h->watch_mu);
	for (i = 0; h->addrs != NULL && i < HTTP_ADDR_BUCKETS; i++) {
		struct addr_count *a, *next;

		for (a = h->addrs[i]; a != NULL; a = next) {
			next = a->next;
			free(a);
		}
	}
	free(h->addrs);
	pthread_mutex_destroy(&h->limit_mu);
	free(h);
}

unsigned
sdbd_http_default_threads(void)
{
	long n = -1;

#ifdef HAVE_SCHED_GETAFFINITY
	cpu_set_t set;

	/* the CPUs this process may run on (a container's share, taskset),
	 * not every CPU of the machine */
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		n = CPU_COUNT(&set);
#endif
	if (n < 1)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 2 ? 1u : n > HTTP_MAX_DEFAULT_THREADS ? HTTP_MAX_DEFAULT_THREADS : (unsigned)(n - 1);
}

int
sdbd_http_start(struct sdbd_http **out, const struct sdbd_http_options *opt,
    struct sdb_errbuf *eb)
{
	struct sdbd_http *h;
	unsigned i, nthreads;
	int rc;

	*out = NULL;
	h = calloc(1, sizeof *h);
	if (h == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	{
		pthread_mutex_t *const mu[] = { &h->limit_mu, &h->cache_mu, &h->defer_mu, &h->watch_mu };
		pthread_cond_t *cv[SDBD_HTTP_DEFER_POOLS + 1];

		for (i = 0; i < SDBD_HTTP_DEFER_POOLS; i++)
			cv[i] = &h->pools[i].cv;
		cv[i] = &h->watch_cv;
		if ((rc = sdb_sync_init(mu, 4, cv, SDBD_HTTP_DEFER_POOLS + 1)) != 0) {
			free(h);
			return sdb_errf(eb, SDB_ERR_INTERNAL, "cannot make the listener's mutexes and "
			    "condition variables: %s", strerror(rc));
		}
	}
	h->fd = h->wake[0] = h->wake[1] = -1;
	h->conn_limit = opt->conn_limit ? opt->conn_limit : HTTP_DEFAULT_CONNS;
	h->per_ip_limit = opt->per_ip_limit ? opt->per_ip_limit : HTTP_DEFAULT_PER_IP;
	h->handler = opt->handler;
	h->ctx = opt->handler_ctx;
	h->round_done = opt->round_done;
	h->abandon = opt->abandon;
	h->abandon_ctx = opt->abandon_ctx;
	h->log_line = opt->log_line;
	h->queue_max = opt->defer_queue ? opt->defer_queue : HTTP_DEFAULT_DEFER_QUEUE;
	h->header_timeout_ms = 1000LL *
	    (opt->header_timeout_s ? opt->header_timeout_s : HTTP_DEFAULT_HEADER_TIMEOUT);
	atomic_init(&h->inflight, 0);
	atomic_init(&h->draining, 0);
	/* Without memory for the table the listener simply keeps nothing. */
	h->cache = calloc(HTTP_CACHE_SLOTS, sizeof *h->cache);
	h->addrs = calloc(HTTP_ADDR_BUCKETS, sizeof *h->addrs);
	for (i = 0; i < SDBD_HTTP_DEFER_POOLS; i++) {
		h->pools[i].h = h;
		h->pools[i].what = opt->defer_what[i];
		h->pools[i].threads_option = opt->defer_threads_option[i];
	}
	if (h->addrs == NULL) {
		listener_free(h);
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < SDBD_HTTP_DEFER_POOLS; i++) {
		struct defer_pool *dp = &h->pools[i];
		unsigned k;

		/* a pool without threads is a path turned off (--no-public):
		 * idle threads would only cost memory and descriptors */
		if ((nthreads = opt->defer_threads[i]) == 0)
			continue;
		if ((dp->tids = calloc(nthreads, sizeof *dp->tids)) == NULL) {
			listener_free(h);
			return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		}
		for (k = 0; k < nthreads; k++) {
			if (pthread_create(&dp->tids[k], NULL, defer_main, dp) != 0) {
				listener_free(h);
				return sdb_errf(eb, SDB_ERR_INTERNAL, "cannot start the defer threads");
			}
			dp->nthreads++;
		}
	}
	if (pthread_create(&h->watch_tid, NULL, watch_main, h) != 0) {
		listener_free(h);
		return sdb_errf(eb, SDB_ERR_INTERNAL, "cannot start the watchdog thread");
	}
	h->watch_started = 1;
	if (pipe2(h->wake, O_CLOEXEC) != 0) {
		h->wake[0] = h->wake[1] = -1;
		listener_free(h);
		return sdb_errf(eb, SDB_ERR_IO, "pipe: %s", strerror(errno));
	}
	rc = bind_listen(h, opt->listen ? opt->listen : "127.0.0.1:3030", eb);
	if (rc != SDB_OK) {
		listener_free(h);
		return rc;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) != MHD_YES) {
		listener_free(h);
		return sdb_errf(eb, SDB_ERR_INTERNAL, "this libmicrohttpd was built without epoll");
	}
	h->nworkers = opt->threads ? opt->threads : sdbd_http_default_threads();
	h->workers = calloc(h->nworkers, sizeof *h->workers);
	if (h->workers == NULL) {
		listener_free(h);
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < h->nworkers; i++) {
		struct worker *wk = &h->workers[i];

		wk->h = h;
		wk->wake[0] = wk->wake[1] = wk->epfd = -1;
		if ((rc = pthread_mutex_init(&wk->mu, NULL)) != 0) {
			h->nworkers = i;   /* the workers past it have nothing to stop */
			listener_free(h);
			return sdb_errf(eb, SDB_ERR_INTERNAL, "cannot make the HTTP workers' mutexes: %s",
			    strerror(rc));
		}
		atomic_init(&wk->npending, 0);
		atomic_init(&wk->stop, 0);
	}
	for (i = 0; i < h->nworkers; i++) {
		if ((rc = worker_start(h, &h->workers[i], opt, eb)) != SDB_OK) {
			listener_free(h);
			return rc;
		}
	}
	if (pthread_create(&h->accept_tid, NULL, accept_main, h) != 0) {
		listener_free(h);
		return sdb_errf(eb, SDB_ERR_INTERNAL, "cannot start the accept thread");
	}
	h->accept_started = 1;
	*out = h;
	return SDB_OK;
}

const char *
sdbd_http_address(const struct sdbd_http *h)
{
	return h->addr;
}

/* Whether a connection was answered (or opened) less than
 * HTTP_DRAIN_IDLE_MS before now: its client may be about to ask again. */
static int
recently_answered(struct sdbd_http *h, long long now)
{
	struct watch *w;
	int recent = 0;

	pthread_mutex_lock(&h->watch_mu);
	for (w = h->watched; w != NULL && !recent; w = w->next) {
		long long dl = atomic_load(&w->deadline_ms);

		recent = dl != 0 && dl - h->header_timeout_ms > now - HTTP_DRAIN_IDLE_MS;
	}
	pthread_mutex_unlock(&h->watch_mu);
	return recent;
}

/* Waits up to ms for the requests in flight to be answered; with
 * settle, also for every connection to have been quiet for
 * HTTP_DRAIN_IDLE_MS.  A keep-alive client answered just before the
 * listener began to drain (without Connection: close) sends its next
 * request a moment later: closing its connection as soon as nothing is
 * in flight would drop that request unanswered, as happened to a third
 * of 64 busy clients under a sanitizer build. */
static void
wait_inflight(struct sdbd_http *h, unsigned ms, int settle)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	unsigned waited = 0;

	while (waited < ms && (atomic_load(&h->inflight) > 0 ||
	    (settle && recently_answered(h, sdb_clock_ms())))) {
		nanosleep(&ts, NULL);
		waited += 10;
	}
}

void
sdbd_http_stop(struct sdbd_http *h, unsigned grace_ms)
{
	struct job *j;
	unsigned i, nqueued = 0, nrunning = 0;

	if (h == NULL)
		return;
	/* From now on every answer closes its connection, so that
	 * keep-alive clients cannot keep requests in flight through the
	 * whole grace period (a busy one always has one); and no
	 * connection is accepted. */
	atomic_store(&h->draining, 1);
	accept_stop(h);
	/* Deferred work not started will not be: answer it now. */
	pthread_mutex_lock(&h->defer_mu);
	h->stopping = 1;
	for (i = 0; i < SDBD_HTTP_DEFER_POOLS; i++) {
		struct defer_pool *dp = &h->pools[i];

		while ((j = dp->qhead) != NULL) {
			dp->qhead = j->next;
			dp->nqueued--;
			nqueued++;
			job_refuse_locked(j, "server shutting down; try again\n");
			j->drop(j->arg);
			j->arg = NULL;
			job_put(j);   /* the pool's reference */
		}
		dp->qtail = NULL;
		pthread_cond_broadcast(&dp->cv);
	}
	pthread_mutex_unlock(&h->defer_mu);
	wait_inflight(h, grace_ms, 1);
	/* Work still running past the grace period: its connection gets a
	 * 503 now and is resumed, so that none is left suspended; the defer
	 * thread drops the result when the work ends. */
	pthread_mutex_lock(&h->defer_mu);
	for (j = h->running; j != NULL; j = j->next)
		if (j->state == JOB_RUNNING) {
			struct job *w;

			job_refuse_locked(j, "server shutting down; try again\n");
			nrunning++;
			for (w = j->waiters; w != NULL; w = w->next)
				if (w->state == JOB_WAITING) {
					job_refuse_locked(w, "server shutting down; try again\n");
					nrunning++;
				}
		}
	pthread_mutex_unlock(&h->defer_mu);
	/* the operator's answer to "why did clients get 503s at the stop" */
	if (h->log_line != NULL && nqueued + nrunning > 0) {
		char queued[64] = "", running[128] = "", line[256];

		if (nqueued > 0)
			snprintf(queued, sizeof queued, "%u lookup%s queued for a miss thread", nqueued,
			    nqueued == 1 ? "" : "s");
		if (nrunning > 0)
			snprintf(running, sizeof running, "%u lookup%s still fetching after the %g s "
			    "grace period, whose fetches are cancelled", nrunning,
			    nrunning == 1 ? "" : "s", grace_ms / 1000.0);
		snprintf(line, sizeof line, "stopping: answered 503 to %s%s%s", queued,
		    nqueued > 0 && nrunning > 0 ? " and to " : "", running);
		h->log_line(line);
	}
	note_held_back(h);
	/* and cut short: the defer threads are joined below, and a fetch
	 * left to its own timeouts and retries could keep the process
	 * from stopping for minutes */
	if (h->abandon != NULL)
		h->abandon(h->abandon_ctx);
	wait_inflight(h, HTTP_ABANDON_MS, 0);
	/* stops the workers and their daemons, then joins the defer threads
	 * (each ends the work it runs) and the watchdog */
	listener_free(h);
}
