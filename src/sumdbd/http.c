/*
 * The HTTP listener (http.h) on libmicrohttpd, the only file that uses it.
 * A pool of worker threads, each with its own epoll loop where the system
 * has one (MHD_USE_AUTO), answers requests; limits are set before any byte
 * of a request reaches a handler: connection timeout, per-IP and total
 * connection limits, a per-connection memory pool (which also caps the
 * request line and headers: libmicrohttpd answers 414/431 when they do not
 * fit), a URL length cap, and GET/HEAD only.  libmicrohttpd itself leaves
 * the body out of HEAD responses.
 *
 * Responses a handler marks immutable (full tiles) are kept, up to
 * HTTP_CACHE_BYTES, and queued again for the same request path without
 * running the handler: libmicrohttpd responses are reference counted and
 * may be queued on many connections at once.  Nothing else is cached, so
 * what changes (/latest, lookups, partial tiles) always comes from the
 * handler.
 *
 * Deferred work (http.h) runs on a pool of defer threads fed by a
 * bounded queue.  The worker that got the request suspends its connection
 * (MHD_suspend_connection) and goes on with its other connections; the
 * defer thread fills in the answer and resumes the connection, and
 * libmicrohttpd calls on_request again, which queues the answer.  A job
 * is shared by its connection and the pool and freed by whichever lets
 * go last.  Every suspended connection is resumed exactly once, and always
 * before MHD_stop_daemon (which panics on a connection left suspended).
 *
 * libmicrohttpd's connection timeout is an idle timeout: a client sending
 * one header byte every few seconds (slowloris) would hold its connection
 * for ever.  A watchdog thread therefore shuts down the socket of any
 * connection whose request line and headers have not all arrived within
 * header_timeout_s of its start (or of the end of its previous request);
 * the worker then sees the end of the stream and closes the connection.
 *
 * Connections are accepted by a thread of our own and handed to
 * libmicrohttpd with MHD_add_connection, which gives each to one worker
 * by its descriptor number (fd modulo the pool size).  Left to itself,
 * every worker polls the shared listening socket and accepts up to ten
 * connections per wakeup, so a burst of connections (a CI job, or wrk's
 * sixteen) lands on one worker while the others idle.  libmicrohttpd
 * still counts each connection against the per-IP and total limits
 * when it is added, and closes it when a limit is reached.
 *
 * Percent-decoding is done here, not by libmicrohttpd: its decoder turns
 * "%00" into a NUL and hands over a C string, so "/lookup/m@v1.0.0%00x"
 * would reach a handler as a valid lookup.  We install an identity
 * unescape callback and decode with explicit lengths, refusing %00.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
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

#include "http.h"
#include "limits.h"

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
#define HTTP_DEFAULT_DEFER_THREADS 4u
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
/* How long the accept thread rests when the process is out of file
 * descriptors (or memory), instead of spinning on a ready socket. */
#define HTTP_ACCEPT_BACKOFF_MS 100
/* Seconds a client told "busy" is asked to wait (Retry-After). */
#define HTTP_RETRY_AFTER "5"

struct cache_slot {
	/* cache_hash of url, or 0 when empty: read without the lock as a
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
enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct job {
	struct job *next, *prev;     /* in the queue or the running list */
	struct MHD_Connection *c;
	void (*run)(void *arg, struct sdbd_http_response *r);
	void (*drop)(void *arg);
	void *arg;
	struct sdbd_http_response r; /* the answer, once JOB_DONE */
	enum job_state state;        /* under defer_mu */
	atomic_int refs;
};

/* A connection the watchdog keeps an eye on (its socket context). */
struct watch {
	struct watch *next, *prev;
	int fd;
	atomic_llong deadline_ms;    /* CLOCK_MONOTONIC; 0: none (in a request) */
};

struct sdbd_http {
	struct MHD_Daemon *d;
	int fd;                      /* the listening socket; -1: closed */
	int wake[2];                 /* a pipe that stops the accept thread */
	int accept_started;
	pthread_t accept_tid;
	char addr[NI_MAXHOST + NI_MAXSERV + 4];
	sdbd_http_handler handler;
	void *ctx;
	void (*closed)(void *ctx);
	atomic_long inflight;
	pthread_mutex_t cache_mu;
	size_t cache_used;
	struct cache_slot *cache;    /* HTTP_CACHE_SLOTS; NULL: no cache */

	/* the defer pool */
	pthread_mutex_t defer_mu;
	pthread_cond_t defer_cv;
	struct job *qhead, *qtail;   /* waiting, oldest first */
	struct job *running;         /* taken by a defer thread */
	unsigned nqueued, queue_max;
	unsigned nrunning;            /* jobs a defer thread has taken */
	int stopping;
	pthread_t *defer_tids;
	unsigned ndefer;

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

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX in in[0..len) into out (room for len bytes).  Returns the
 * decoded length, or -1 for a broken escape or an encoded NUL. */
static long
percent_decode(const char *in, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (in[i] != '%') {
			out[o++] = in[i];
			continue;
		}
		if (len - i < 3)
			return -1;
		int hi = hexval((unsigned char)in[i + 1]), lo = hexval((unsigned char)in[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -1;
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	return (long)o;
}

/* libmicrohttpd's unescape hook: leave the path as sent (see the file
 * comment); returns the length unchanged. */
static size_t
identity_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

/* FNV-1a of the request path, never 0 (an empty slot's hash): the first
 * probe slot, and the filter of cache_answer. */
static size_t
cache_hash(const char *url, size_t len)
{
	uint64_t x = 14695981039346656037u;
	size_t i;

	for (i = 0; i < len; i++)
		x = (x ^ (unsigned char)url[i]) * 1099511628211u;
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
	size_t i, slot = cache_hash(url, len);
	int found = 0;

	if (h->cache == NULL)
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
	size_t i, slot = cache_hash(url, len), cost = body_len + len + HTTP_CACHE_OVERHEAD;
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

static enum MHD_Result
queue_keep(struct sdbd_http *h, struct MHD_Connection *c, const char *url, size_t url_len,
    struct sdbd_http_response *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t body_len = r->len;

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
	/* every 503 is "busy or unavailable for now": say when to come back */
	if (ret == MHD_YES && r->status == MHD_HTTP_SERVICE_UNAVAILABLE)
		ret = MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, HTTP_RETRY_AFTER);
	if (ret == MHD_YES)
		ret = MHD_queue_response(c, (unsigned)r->status, resp);
	if (ret == MHD_YES && h != NULL && r->immutable && r->status == MHD_HTTP_OK &&
	    cache_keep(h, url, url_len, (unsigned)r->status, resp, body_len))
		return ret;   /* the cache holds our reference now */
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result
queue(struct MHD_Connection *c, struct sdbd_http_response *r)
{
	return queue_keep(NULL, c, NULL, 0, r);
}

static enum MHD_Result
plain(struct MHD_Connection *c, int status, const char *msg)
{
	struct sdbd_http_response r = { 0 };

	r.status = status;
	r.body = (char *)msg;
	r.len = strlen(msg);
	r.body_static = 1;
	return queue(c, &r);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
	MHD_resume_connection(j->c);
}

/* A defer thread: runs queued jobs until the listener stops and the queue
 * is empty. */
static void *
defer_main(void *arg)
{
	struct sdbd_http *h = arg;
	struct job *j;

	pthread_mutex_lock(&h->defer_mu);
	for (;;) {
		struct sdbd_http_response r;

		while (h->qhead == NULL && !h->stopping)
			pthread_cond_wait(&h->defer_cv, &h->defer_mu);
		if ((j = h->qhead) == NULL)
			break;
		h->qhead = j->next;
		if (h->qhead == NULL)
			h->qtail = NULL;
		h->nqueued--;
		h->nrunning++;
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
		h->nrunning--;
		if (j->prev != NULL)
			j->prev->next = j->next;
		else
			h->running = j->next;
		if (j->next != NULL)
			j->next->prev = j->prev;
		if (j->state == JOB_RUNNING) {
			j->r = r;
			j->state = JOB_DONE;
			MHD_resume_connection(j->c);
		} else {
			/* answered 503 at shutdown meanwhile; the connection
			 * may be gone: never touch it again */
			response_clear(&r);
		}
		job_put(j);
	}
	pthread_mutex_unlock(&h->defer_mu);
	return NULL;
}

/* Hands the handler's deferred work in r to the pool and suspends c, or
 * refuses it with a 503 when the queue is full or the listener stops. */
static enum MHD_Result
defer_submit(struct sdbd_http *h, struct MHD_Connection *c, void **con_cls,
    struct sdbd_http_response *r)
{
	struct job *j = calloc(1, sizeof *j);

	if (j == NULL) {
		r->defer_free(r->defer_arg);
		return plain(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory\n");
	}
	j->c = c;
	j->run = r->defer;
	j->drop = r->defer_free;
	j->arg = r->defer_arg;
	j->state = JOB_QUEUED;
	atomic_init(&j->refs, 2);
	pthread_mutex_lock(&h->defer_mu);
	/* Capacity is the threads plus the queue, counted over both: a burst
	 * that arrives before the threads wake up must not be refused while
	 * threads are free. */
	if (h->stopping || h->nqueued + h->nrunning >= h->ndefer + h->queue_max) {
		int stopping = h->stopping;

		pthread_mutex_unlock(&h->defer_mu);
		j->drop(j->arg);
		free(j);
		return plain(c, MHD_HTTP_SERVICE_UNAVAILABLE, stopping ?
		    "server shutting down; try again\n" :
		    "busy: too many lookups waiting for the upstream; try again later\n");
	}
	/* Suspended before any defer thread can see the job, so that the
	 * resume always follows the suspend. */
	MHD_suspend_connection(c);
	*con_cls = j;
	if (h->qtail != NULL)
		h->qtail->next = j;
	else
		h->qhead = j;
	h->qtail = j;
	h->nqueued++;
	pthread_cond_signal(&h->defer_cv);
	pthread_mutex_unlock(&h->defer_mu);
	return MHD_YES;
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
		long long now = now_ms();
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
	struct sdbd_http *h = cls;
	struct sdbd_http_response r = { 0 };
	enum MHD_Result ret;
	size_t ulen;
	long dlen;
	char *path;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	/* Other methods are refused on the first call, before any body is
	 * read, so a POST's body is never buffered (the connection closes). */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return plain(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
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
	if (*con_cls != &inflight_marker) {
		/* resumed: the deferred work is done */
		struct job *j = *con_cls;

		pthread_mutex_lock(&h->defer_mu);
		r = j->r;
		memset(&j->r, 0, sizeof j->r);
		pthread_mutex_unlock(&h->defer_mu);
		if (r.status == 0)
			text_response(&r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n");
		return queue(c, &r);
	}
	ulen = strlen(url);
	if (ulen > HTTP_MAX_URL)
		return plain(c, MHD_HTTP_URI_TOO_LONG, "request path too long\n");
	if (cache_answer(h, c, url, ulen, &ret))
		return ret;
	path = malloc(ulen + 1);
	if (path == NULL)
		return plain(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory\n");
	dlen = percent_decode(url, ulen, path);
	if (dlen < 0 || dlen == 0 || path[0] != '/') {
		free(path);
		return plain(c, MHD_HTTP_BAD_REQUEST, "malformed request path\n");
	}
	path[dlen] = '\0';
	h->handler(h->ctx, path, (size_t)dlen, &r);
	free(path);
	if (r.defer != NULL)
		return defer_submit(h, c, con_cls, &r);
	ret = queue_keep(h, c, url, ulen, &r);
	return ret;
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct sdbd_http *h = cls;
	struct watch *w;

	(void)toe;
	if (*con_cls != NULL) {
		if (*con_cls != &inflight_marker)
			job_put(*con_cls);
		*con_cls = NULL;
		atomic_fetch_sub(&h->inflight, 1);
	}
	/* the next request on this connection has its own deadline */
	if ((w = watch_of(c)) != NULL)
		atomic_store(&w->deadline_ms, now_ms() + h->header_timeout_ms);
}

static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct sdbd_http *h = cls;
	struct watch *w;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		/* without memory the connection just goes unwatched: the idle
		 * timeout still applies */
		if (ci == NULL || (w = calloc(1, sizeof *w)) == NULL)
			return;
		w->fd = ci->connect_fd;
		atomic_init(&w->deadline_ms, now_ms() + h->header_timeout_ms);
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
		free(w);
		*socket_context = NULL;
	}
	if (h->closed != NULL)
		h->closed(h->ctx);
}

/* Splits "HOST:PORT", "[V6]:PORT" or ":PORT" and binds a listening socket. */
static int
bind_listen(struct sdbd_http *h, const char *listen_addr, struct sdb_errbuf *eb)
{
	char host[96], port[16], nh[NI_MAXHOST], ns[NI_MAXSERV];
	const char *orig = listen_addr, *colon = strrchr(listen_addr, ':');
	struct addrinfo hints, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	size_t hl;
	int fd, rc, one = 1;

	if (colon == NULL || colon[1] == '\0' || strlen(colon + 1) >= sizeof port)
		return sdb_errf(eb, SDB_ERR_INVALID, "listen address %s: want HOST:PORT", listen_addr);
	hl = (size_t)(colon - listen_addr);
	if (hl >= 2 && listen_addr[0] == '[' && listen_addr[hl - 1] == ']') {
		listen_addr++;
		hl -= 2;
	}
	if (hl >= sizeof host)
		return sdb_errf(eb, SDB_ERR_INVALID, "listen address %s: host too long", orig);
	memcpy(host, listen_addr, hl);
	host[hl] = '\0';
	memcpy(port, colon + 1, strlen(colon + 1) + 1);
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(hl ? host : NULL, port, &hints, &res);
	if (rc != 0)
		return sdb_errf(eb, SDB_ERR_INVALID, "listen address %s: %s", orig, gai_strerror(rc));
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
	if (fd < 0) {
		freeaddrinfo(res);
		return sdb_errf(eb, SDB_ERR_IO, "socket: %s", strerror(errno));
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	/* non-blocking: the accept thread takes what is pending until
	 * EAGAIN, then polls again */
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
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

/* The accept thread (see the file comment): hands every connection to
 * libmicrohttpd until a byte arrives on the wake pipe. */
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
			(void)poll(NULL, 0, HTTP_ACCEPT_BACKOFF_MS);
		if (pfd[1].revents != 0)
			break;
		if (pfd[0].revents == 0)
			continue;
		for (;;) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof ss;
			int c = accept4(h->fd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);

			if (c >= 0) {
				/* refused (a limit, or no memory): libmicrohttpd
				 * has closed c */
				(void)MHD_add_connection(h->d, c, (struct sockaddr *)&ss, sl);
				continue;
			}
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection
			 * waits in the backlog while we rest */
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				(void)poll(&pfd[1], 1, HTTP_ACCEPT_BACKOFF_MS);
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

/* Stops and joins the pool and the watchdog threads that were started,
 * drops every kept response (after the workers are gone) and frees h. */
static void
listener_free(struct sdbd_http *h)
{
	unsigned i;

	accept_stop(h);
	for (i = 0; i < 2; i++)
		if (h->wake[i] >= 0)
			close(h->wake[i]);
	pthread_mutex_lock(&h->defer_mu);
	h->stopping = 1;
	pthread_cond_broadcast(&h->defer_cv);
	pthread_mutex_unlock(&h->defer_mu);
	for (i = 0; i < h->ndefer; i++)
		pthread_join(h->defer_tids[i], NULL);
	free(h->defer_tids);
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
	pthread_cond_destroy(&h->defer_cv);
	pthread_mutex_destroy(&h->defer_mu);
	pthread_cond_destroy(&h->watch_cv);
	pthread_mutex_destroy(&h->watch_mu);
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
	h->fd = h->wake[0] = h->wake[1] = -1;
	h->handler = opt->handler;
	h->ctx = opt->handler_ctx;
	h->closed = opt->closed;
	h->queue_max = opt->defer_queue ? opt->defer_queue : HTTP_DEFAULT_DEFER_QUEUE;
	h->header_timeout_ms = 1000LL *
	    (opt->header_timeout_s ? opt->header_timeout_s : HTTP_DEFAULT_HEADER_TIMEOUT);
	atomic_init(&h->inflight, 0);
	/* Without memory for the table the listener simply keeps nothing. */
	h->cache = calloc(HTTP_CACHE_SLOTS, sizeof *h->cache);
	pthread_mutex_init(&h->cache_mu, NULL);
	pthread_mutex_init(&h->defer_mu, NULL);
	pthread_cond_init(&h->defer_cv, NULL);
	pthread_mutex_init(&h->watch_mu, NULL);
	pthread_cond_init(&h->watch_cv, NULL);
	nthreads = opt->defer_threads ? opt->defer_threads : HTTP_DEFAULT_DEFER_THREADS;
	h->defer_tids = calloc(nthreads, sizeof *h->defer_tids);
	if (h->defer_tids == NULL) {
		listener_free(h);
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&h->defer_tids[i], NULL, defer_main, h) != 0) {
			listener_free(h);
			return sdb_errf(eb, SDB_ERR_INTERNAL, "cannot start the defer threads");
		}
		h->ndefer++;
	}
	if (pthread_create(&h->watch_tid, NULL, watch_main, h) != 0) {
		listener_free(h);
		return sdb_errf(eb, SDB_ERR_INTERNAL, "cannot start the watchdog thread");
	}
	h->watch_started = 1;
	if (pipe(h->wake) != 0) {
		h->wake[0] = h->wake[1] = -1;
		listener_free(h);
		return sdb_errf(eb, SDB_ERR_IO, "pipe: %s", strerror(errno));
	}
	for (i = 0; i < 2; i++)
		(void)fcntl(h->wake[i], F_SETFD, FD_CLOEXEC);
	rc = bind_listen(h, opt->listen ? opt->listen : "127.0.0.1:3030", eb);
	if (rc != SDB_OK) {
		listener_free(h);
		return rc;
	}
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET,
	    0, NULL, NULL, on_request, h,
	    MHD_OPTION_THREAD_POOL_SIZE, opt->threads ? opt->threads : sdbd_http_default_threads(),
	    MHD_OPTION_CONNECTION_TIMEOUT, opt->timeout_s ? opt->timeout_s : 15u,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    opt->per_ip_limit ? opt->per_ip_limit : HTTP_DEFAULT_PER_IP,
	    MHD_OPTION_CONNECTION_LIMIT, opt->conn_limit ? opt->conn_limit : HTTP_DEFAULT_CONNS,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    MHD_OPTION_UNESCAPE_CALLBACK, identity_unescape, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		listener_free(h);
		return sdb_errf(eb, SDB_ERR_INTERNAL, "libmicrohttpd refused to start");
	}
	if (pthread_create(&h->accept_tid, NULL, accept_main, h) != 0) {
		MHD_stop_daemon(h->d);
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

/* Waits up to ms for the requests in flight to be answered. */
static void
wait_inflight(struct sdbd_http *h, unsigned ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	unsigned waited = 0;

	while (atomic_load(&h->inflight) > 0 && waited < ms) {
		nanosleep(&ts, NULL);
		waited += 10;
	}
}

void
sdbd_http_stop(struct sdbd_http *h, unsigned grace_ms)
{
	struct job *j;

	if (h == NULL)
		return;
	/* Stop accepting first. */
	accept_stop(h);
	/* Deferred work not started will not be: answer it now. */
	pthread_mutex_lock(&h->defer_mu);
	h->stopping = 1;
	while ((j = h->qhead) != NULL) {
		h->qhead = j->next;
		h->nqueued--;
		job_refuse_locked(j, "server shutting down; try again\n");
		j->drop(j->arg);
		j->arg = NULL;
		job_put(j);   /* the pool's reference */
	}
	h->qtail = NULL;
	pthread_cond_broadcast(&h->defer_cv);
	pthread_mutex_unlock(&h->defer_mu);
	wait_inflight(h, grace_ms);
	/* Work still running past the grace period: its connection gets a
	 * 503 now and is resumed, so that none is left suspended; the defer
	 * thread drops the result when the work ends. */
	pthread_mutex_lock(&h->defer_mu);
	for (j = h->running; j != NULL; j = j->next)
		if (j->state == JOB_RUNNING)
			job_refuse_locked(j, "server shutting down; try again\n");
	pthread_mutex_unlock(&h->defer_mu);
	wait_inflight(h, HTTP_ABANDON_MS);
	MHD_stop_daemon(h->d);
	/* joins the defer threads (each ends the work it runs) and the
	 * watchdog */
	listener_free(h);
}
