/*
 * Unit tests for src/lib/fetch_curl.c against a scripted loopback HTTP
 * server this file runs in a thread (127.0.0.1, port 0): plain 200, 404,
 * 500 then 200, 429 with Retry-After, truncated bodies, oversized bodies
 * with and without Content-Length, a server that never answers, bearer and
 * netrc credentials, file:// URLs, the streaming sink and its reset,
 * many threads sharing one client, and Retry-After values; and src/lib/url.c, which keeps the
 * credentials of a URL out of messages.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "csumdb/err.h"
#include "fetch.h"
#include "unit.h"
#include "url.h"

/* --- the scripted server ------------------------------------------------ */

#define MAX_CONNS 256

static int srv_fd = -1;
static int srv_port;
static atomic_int srv_stop;
static pthread_t srv_thread;
static pthread_mutex_t srv_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_t conn_threads[MAX_CONNS];
static int nconn;
static int hits_flaky, hits_429, hits_trunc, hits_trunc_once, hits_404, hits_hang, hits_counted;
static long long t429_first_ms, t429_second_ms;

static void
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void
reply(int fd, int code, const char *extra, const char *body)
{
	char head[512];

	snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n%s\r\n", code, strlen(body), extra);
	send_all(fd, head, strlen(head));
	send_all(fd, body, strlen(body));
}

static void
send_big(int fd, int with_length)
{
	char chunk[4096];
	char head[256];
	int i;

	memset(chunk, 'x', sizeof chunk);
	if (with_length)
		snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
		    "Connection: close\r\n\r\n", 256 * 4096);
	else
		snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
	send_all(fd, head, strlen(head));
	for (i = 0; i < 256; i++)
		send_all(fd, chunk, sizeof chunk);
}

static int
bump(int *counter)
{
	int v;

	pthread_mutex_lock(&srv_mu);
	v = ++*counter;
	pthread_mutex_unlock(&srv_mu);
	return v;
}

/* The value of counter once it reaches want, or after ms: a request the
 * client gave up on (a timeout) may be counted by its server thread after
 * the client has returned, later still on a loaded machine. */
static int
hits_reach(int *counter, int want, int ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int v;

	for (;;) {
		pthread_mutex_lock(&srv_mu);
		v = *counter;
		pthread_mutex_unlock(&srv_mu);
		if (v >= want || ms <= 0)
			return v;
		nanosleep(&ts, NULL);
		ms -= 10;
	}
}

static void *
conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char req[4096], path[256];
	size_t n = 0;
	const char *auth;
	char *sp;

	/* read the request head */
	while (n < sizeof req - 1) {
		ssize_t r = recv(fd, req + n, sizeof req - 1 - n, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
		req[n] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[n] = '\0';
	path[0] = '\0';
	if (strncmp(req, "GET ", 4) == 0 && (sp = strchr(req + 4, ' ')) != NULL &&
	    (size_t)(sp - (req + 4)) < sizeof path) {
		memcpy(path, req + 4, (size_t)(sp - (req + 4)));
		path[sp - (req + 4)] = '\0';
	}
	if (strcmp(path, "/ok") == 0) {
		reply(fd, 200, "", "hello");
	} else if (strcmp(path, "/ok-counted") == 0) {
		bump(&hits_counted);
		reply(fd, 200, "", "hello");
	} else if (strcmp(path, "/404") == 0) {
		bump(&hits_404);
		reply(fd, 404, "", "not found: x");
	} else if (strcmp(path, "/flaky") == 0) {
		if (bump(&hits_flaky) == 1)
			reply(fd, 500, "", "oops");
		else
			reply(fd, 200, "", "recovered");
	} else if (strcmp(path, "/429") == 0) {
		if (bump(&hits_429) == 1) {
			t429_first_ms = sdb_clock_ms();
			reply(fd, 429, "Retry-After: 1\r\n", "slow down");
		} else {
			t429_second_ms = sdb_clock_ms();
			reply(fd, 200, "", "thanks");
		}
	} else if (strcmp(path, "/always500") == 0) {
		reply(fd, 503, "", "down\033[2J for maintenance\r\nsecond line\n");
	} else if (strcmp(path, "/trunc") == 0) {
		const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n0123456789";
		bump(&hits_trunc);
		send_all(fd, h, strlen(h));
	} else if (strcmp(path, "/trunc-once") == 0) {
		if (bump(&hits_trunc_once) == 1) {
			const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\npartial";
			send_all(fd, h, strlen(h));
		} else {
			reply(fd, 200, "", "complete body");
		}
	} else if (strcmp(path, "/big") == 0) {
		send_big(fd, 1);
	} else if (strcmp(path, "/big-nolen") == 0) {
		send_big(fd, 0);
	} else if (strcmp(path, "/hang") == 0) {
		struct pollfd p = { fd, POLLIN, 0 };
		int waited = 0;

		bump(&hits_hang);
		/* say nothing until the client gives up or the test ends */
		while (!atomic_load(&srv_stop) && waited < 10000) {
			if (poll(&p, 1, 50) > 0) {
				char b[64];
				if (recv(fd, b, sizeof b, 0) <= 0)
					break;
			}
			waited += 50;
		}
	} else if (strcmp(path, "/echo-auth") == 0) {
		char body[512];
		const char *e;

		auth = strstr(req, "Authorization: ");
		if (auth == NULL) {
			reply(fd, 200, "", "none");
		} else {
			auth += strlen("Authorization: ");
			e = strstr(auth, "\r\n");
			snprintf(body, sizeof body, "%.*s", (int)(e - auth), auth);
			reply(fd, 200, "", body);
		}
	} else {
		reply(fd, 404, "", "no such script");
	}
	close(fd);
	return NULL;
}

static void *
srv_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&srv_stop)) {
		struct pollfd p = { srv_fd, POLLIN, 0 };
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		fd = accept(srv_fd, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&srv_mu);
		if (nconn < MAX_CONNS &&
		    pthread_create(&conn_threads[nconn], NULL, conn_main, (void *)(intptr_t)fd) == 0)
			nconn++;
		else
			close(fd);
		pthread_mutex_unlock(&srv_mu);
	}
	return NULL;
}

static int
srv_start(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;

	srv_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (srv_fd < 0)
		return -1;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(srv_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(srv_fd, 64) != 0 ||
	    getsockname(srv_fd, (struct sockaddr *)&a, &len) != 0)
		return -1;
	srv_port = ntohs(a.sin_port);
	return pthread_create(&srv_thread, NULL, srv_main, NULL) == 0 ? 0 : -1;
}

static int
suite_init(void)
{
	return srv_start();
}

static int
suite_clean(void)
{
	int i;

	atomic_store(&srv_stop, 1);
	pthread_join(srv_thread, NULL);
	for (i = 0; i < nconn; i++)
		pthread_join(conn_threads[i], NULL);
	close(srv_fd);
	return 0;
}

static void
url(char *buf, size_t n, const char *path)
{
	snprintf(buf, n, "http://127.0.0.1:%d%s", srv_port, path);
}

/* Fast retries keep the suite quick. */
static struct sdb_fetch *
client(long timeout_ms, int retries)
{
	struct sdb_fetch_options o;
	struct sdb_fetch *f = NULL;

	memset(&o, 0, sizeof o);
	o.timeout_ms = timeout_ms;
	o.max_retries = retries;
	o.backoff_initial_ms = 10;
	o.backoff_max_ms = 2000;
	CU_ASSERT_FATAL(sdb_fetch_new(&f, &o, NULL) == SDB_OK);
	return f;
}

/* --- tests ---------------------------------------------------------------- */

static void
test_ok_and_404(void)
{
	struct sdb_fetch *f = client(5000, 3);
	struct sdb_fetch_response r;
	char u[128];

	url(u, sizeof u, "/ok");
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_get(f, u, 1000, &r, NULL), SDB_OK);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_EQUAL(r.len, 5);
	CU_ASSERT_STRING_EQUAL(r.body, "hello");
	sdb_fetch_response_clear(&r);

	/* 404 is an answer, not a failure, and is never retried */
	url(u, sizeof u, "/404");
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_get(f, u, 1000, &r, NULL), SDB_OK);
	CU_ASSERT_EQUAL(r.status, 404);
	CU_ASSERT_STRING_EQUAL(r.body, "not found: x");
	CU_ASSERT_EQUAL(hits_404, 1);
	sdb_fetch_response_clear(&r);
	sdb_fetch_free(f);
}

static void
test_500_then_200(void)
{
	struct sdb_fetch *f = client(5000, 3);
	struct sdb_fetch_response r;
	struct sdb_errbuf eb;
	char u[128];

	url(u, sizeof u, "/flaky");
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_get(f, u, 1000, &r, NULL), SDB_OK);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(r.body, "recovered");
	CU_ASSERT_EQUAL(hits_flaky, 2);
	sdb_fetch_response_clear(&r);

	/* 5xx on every attempt: an I/O error naming the status */
	url(u, sizeof u, "/always500");
	CU_ASSERT_EQUAL(sdb_fetch_get(f, u, 1000, &r, &eb), SDB_ERR_IO);
	CU_ASSERT(strstr(eb.msg, "HTTP 503 after 4 attempts") != NULL);
	/* with the first line of the server's own words, control bytes
	 * defused: why it failed, not just that it did */
	{
		const char *want = ": HTTP 503 after 4 attempts: down?[2J for maintenance";
		size_t ml = strlen(eb.msg), wl = strlen(want);

		CU_ASSERT(ml >= wl && strcmp(eb.msg + ml - wl, want) == 0);
	}
	CU_ASSERT_PTR_NULL(r.body);
	sdb_fetch_free(f);
}

static void
test_429_retry_after(void)
{
	struct sdb_fetch *f = client(5000, 3);
	struct sdb_fetch_response r;
	char u[128];

	url(u, sizeof u, "/429");
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_get(f, u, 1000, &r, NULL), SDB_OK);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(r.body, "thanks");
	CU_ASSERT_EQUAL(hits_429, 2);
	/* Retry-After: 1 beats the 10 ms backoff.  A lower bound, on the
	 * monotonic clock, stamped by the server before it answers the 429
	 * and when the retry comes: a slow machine only makes the pause
	 * longer, never shorter. */
	CU_ASSERT(t429_second_ms - t429_first_ms >= 900);
	sdb_fetch_response_clear(&r);
	sdb_fetch_free(f);
}

static void
test_truncated(void)
{
	struct sdb_fetch *f = client(5000, 2);
	struct sdb_fetch_response r;
	struct sdb_errbuf eb;
	char u[128];

	url(u, sizeof u, "/trunc");
	CU_ASSERT_EQUAL(sdb_fetch_get(f, u, 1000, &r, &eb), SDB_ERR_IO);
	CU_ASSERT_EQUAL(hits_trunc, 3);
	CU_ASSERT_PTR_NULL(r.body);
	sdb_fetch_free(f);
}

static void
test_oversized(void)
{
	struct sdb_fetch *f = client(5000, 3);
	struct sdb_fetch_response r;
	struct sdb_errbuf eb;
	char u[128];

	url(u, sizeof u, "/big");
	CU_ASSERT_EQUAL(sdb_fetch_get(f, u, 10000, &r, &eb), SDB_ERR_TOO_LARGE);
	CU_ASSERT_PTR_NULL(r.body);
	/* no Content-Length: only the write callback can stop it */
	url(u, sizeof u, "/big-nolen");
	CU_ASSERT_EQUAL(sdb_fetch_get(f, u, 10000, &r, &eb), SDB_ERR_TOO_LARGE);
	CU_ASSERT(strstr(eb.msg, "larger than 10000") != NULL);
	/* exactly at the cap is fine */
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_get(f, u, 256 * 4096, &r, &eb), SDB_OK);
	CU_ASSERT_EQUAL(r.len, 256 * 4096);
	sdb_fetch_response_clear(&r);
	sdb_fetch_free(f);
}

/* sdb_fetch_get_reuse keeps one buffer: grown for a large body, reused
 * for smaller ones, kept (empty) when a fetch fails. */
static void
test_reuse(void)
{
	struct sdb_fetch *f = client(5000, 3);
	struct sdb_fetch_response r;
	struct sdb_errbuf eb;
	char u[128], *big;
	size_t cap;

	memset(&r, 0, sizeof r);
	url(u, sizeof u, "/ok");
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_get_reuse(f, u, 1000, &r, NULL), SDB_OK);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(r.body, "hello");
	CU_ASSERT(r.cap > r.len);
	url(u, sizeof u, "/big-nolen");
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_get_reuse(f, u, 256 * 4096, &r, NULL), SDB_OK);
	CU_ASSERT_EQUAL(r.len, 256 * 4096);
	CU_ASSERT(r.cap > r.len);
	big = r.body;
	cap = r.cap;
	url(u, sizeof u, "/ok");
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_get_reuse(f, u, 1000, &r, NULL), SDB_OK);
	CU_ASSERT_EQUAL(r.len, 5);
	CU_ASSERT_STRING_EQUAL(r.body, "hello");
	CU_ASSERT_PTR_EQUAL(r.body, big);
	CU_ASSERT_EQUAL(r.cap, cap);
	/* a failure keeps the buffer, empty */
	url(u, sizeof u, "/big-nolen");
	CU_ASSERT_EQUAL(sdb_fetch_get_reuse(f, u, 10000, &r, &eb), SDB_ERR_TOO_LARGE);
	CU_ASSERT_PTR_EQUAL(r.body, big);
	CU_ASSERT_EQUAL(r.len, 0);
	CU_ASSERT_STRING_EQUAL(r.body, "");
	url(u, sizeof u, "/404");
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_get_reuse(f, u, 1000, &r, NULL), SDB_OK);
	CU_ASSERT_EQUAL(r.status, 404);
	CU_ASSERT_STRING_EQUAL(r.body, "not found: x");
	sdb_fetch_response_clear(&r);
	CU_ASSERT_PTR_NULL(r.body);
	CU_ASSERT_EQUAL(r.cap, 0);
	sdb_fetch_free(f);
}

static void
test_hang_times_out(void)
{
	struct sdb_fetch *f = client(300, 1);
	struct sdb_fetch_response r;
	struct sdb_errbuf eb;
	long long t0 = sdb_clock_ms();
	char u[128];

	url(u, sizeof u, "/hang");
	CU_ASSERT_EQUAL(sdb_fetch_get(f, u, 1000, &r, &eb), SDB_ERR_TIMEOUT);
	/* about 600 ms; the bound only tells the timeout from the server's
	 * own 10 s end of a hang, however slow the machine */
	CU_ASSERT(sdb_clock_ms() - t0 < 9000);
	/* both tries reached the server, and no third one was made */
	CU_ASSERT_EQUAL(hits_reach(&hits_hang, 2, 5000), 2);
	CU_ASSERT(strstr(eb.msg, "imeout") != NULL || strstr(eb.msg, "timed out") != NULL);
	sdb_fetch_free(f);
}

/* Cancels the client arg after 300 ms, from another thread. */
static void *
canceller(void *arg)
{
	struct timespec ts = { 0, 300 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	sdb_fetch_cancel(arg);
	return NULL;
}

/* A cancelled client ends a transfer that hangs (here within the 60 s
 * of its own timeout and retries), cuts a pause before a retry short,
 * and fails every later call at once. */
static void
test_cancel(void)
{
	struct sdb_fetch_options o;
	struct sdb_fetch *f = client(60000, 3), *g = NULL;
	struct sdb_fetch_response r;
	struct sdb_errbuf eb;
	long long t0;
	pthread_t t;
	char u[128];
	int hang0 = hits_reach(&hits_hang, 0, 0);

	url(u, sizeof u, "/hang");
	t0 = sdb_clock_ms();
	CU_ASSERT_FATAL(pthread_create(&t, NULL, canceller, f) == 0);
	CU_ASSERT_EQUAL(sdb_fetch_get(f, u, 1000, &r, &eb), SDB_ERR_IO);
	pthread_join(t, NULL);
	/* about 300 ms; the bound only tells the cancel from the transfer's
	 * own end (a minute and more), however slow the machine */
	CU_ASSERT(sdb_clock_ms() - t0 < 30000);
	CU_ASSERT(strstr(eb.msg, "cancelled") != NULL);
	CU_ASSERT_EQUAL(hits_reach(&hits_hang, hang0 + 1, 0), hang0 + 1);
	/* later: without asking the server (shown by its count, not by
	 * how soon the call returns) */
	url(u, sizeof u, "/ok-counted");
	CU_ASSERT_EQUAL(sdb_fetch_get(f, u, 1000, &r, &eb), SDB_ERR_IO);
	CU_ASSERT(strstr(eb.msg, "cancelled") != NULL);
	CU_ASSERT_EQUAL(hits_reach(&hits_counted, 0, 0), 0);
	sdb_fetch_free(f);

	/* a 503, then a pause of 8 s before the retry: cut short */
	memset(&o, 0, sizeof o);
	o.timeout_ms = 5000;
	o.backoff_initial_ms = 8000;
	o.backoff_max_ms = 8000;
	CU_ASSERT_FATAL(sdb_fetch_new(&g, &o, NULL) == SDB_OK);
	url(u, sizeof u, "/always500");
	t0 = sdb_clock_ms();
	CU_ASSERT_FATAL(pthread_create(&t, NULL, canceller, g) == 0);
	CU_ASSERT_EQUAL(sdb_fetch_get(g, u, 1000, &r, &eb), SDB_ERR_IO);
	pthread_join(t, NULL);
	/* about 300 ms; the bound only tells the cut from the 8 s pause */
	CU_ASSERT(sdb_clock_ms() - t0 < 7500);
	CU_ASSERT(strstr(eb.msg, "cancelled") != NULL);
	sdb_fetch_cancel(NULL);
	sdb_fetch_free(g);
}

struct memsink {
	char buf[256];
	size_t len;
	int resets;
	int fail_after;   /* >0: fail writes once len would pass this */
};

static int
ms_write(void *ctx, const uint8_t *d, size_t n)
{
	struct memsink *m = ctx;

	if (m->fail_after > 0 && m->len + n > (size_t)m->fail_after)
		return SDB_ERR_IO;
	if (m->len + n > sizeof m->buf)
		return SDB_ERR_TOO_LARGE;
	memcpy(m->buf + m->len, d, n);
	m->len += n;
	return SDB_OK;
}

static int
ms_reset(void *ctx)
{
	struct memsink *m = ctx;

	m->len = 0;
	m->resets++;
	return SDB_OK;
}

static void
test_stream(void)
{
	struct sdb_fetch *f = client(5000, 3);
	struct memsink m;
	struct sdb_fetch_sink s = { ms_write, ms_reset, &m };
	struct sdb_errbuf eb;
	long status;
	char u[128];

	memset(&m, 0, sizeof m);
	url(u, sizeof u, "/ok");
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_stream(f, u, 100, &s, &status, NULL), SDB_OK);
	CU_ASSERT_EQUAL(status, 200);
	CU_ASSERT(m.len == 5 && memcmp(m.buf, "hello", 5) == 0);

	/* a truncated first attempt is reset away before the retry */
	memset(&m, 0, sizeof m);
	url(u, sizeof u, "/trunc-once");
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_stream(f, u, 100, &s, &status, NULL), SDB_OK);
	CU_ASSERT_EQUAL(status, 200);
	CU_ASSERT_EQUAL(m.resets, 1);
	CU_ASSERT(m.len == 13 && memcmp(m.buf, "complete body", 13) == 0);

	/* non-2xx: nothing reaches the sink */
	memset(&m, 0, sizeof m);
	url(u, sizeof u, "/404");
	CU_ASSERT_EQUAL(sdb_fetch_stream(f, u, 100, &s, &status, NULL), SDB_OK);
	CU_ASSERT_EQUAL(status, 404);
	CU_ASSERT_EQUAL(m.len, 0);

	/* a sink error aborts and is passed through */
	memset(&m, 0, sizeof m);
	m.fail_after = 2;
	url(u, sizeof u, "/ok");
	CU_ASSERT_EQUAL(sdb_fetch_stream(f, u, 100, &s, &status, &eb), SDB_ERR_IO);

	/* the cap holds in stream mode too */
	memset(&m, 0, sizeof m);
	url(u, sizeof u, "/big-nolen");
	CU_ASSERT_EQUAL(sdb_fetch_stream(f, u, 100, &s, &status, &eb), SDB_ERR_TOO_LARGE);
	sdb_fetch_free(f);
}

static void
test_credentials(void)
{
	struct sdb_fetch_options o;
	struct sdb_fetch *f;
	struct sdb_fetch_response r;
	char u[128], netrc[] = "/tmp/csumdb-netrc.XXXXXX";
	FILE *fp;
	int fd;

	memset(&o, 0, sizeof o);
	o.bearer_token = "s3cret";
	CU_ASSERT_FATAL(sdb_fetch_new(&f, &o, NULL) == SDB_OK);
	url(u, sizeof u, "/echo-auth");
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_get(f, u, 1000, &r, NULL), SDB_OK);
	CU_ASSERT_STRING_EQUAL(r.body, "Bearer s3cret");
	sdb_fetch_response_clear(&r);
	sdb_fetch_free(f);

	fd = mkstemp(netrc);
	CU_ASSERT_FATAL(fd >= 0);
	fp = fdopen(fd, "w");
	CU_ASSERT_FATAL(fp != NULL);
	fprintf(fp, "machine 127.0.0.1 login u password p\n");
	fclose(fp);
	memset(&o, 0, sizeof o);
	o.netrc_file = netrc;
	CU_ASSERT_FATAL(sdb_fetch_new(&f, &o, NULL) == SDB_OK);
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_get(f, u, 1000, &r, NULL), SDB_OK);
	CU_ASSERT_STRING_EQUAL(r.body, "Basic dTpw");
	sdb_fetch_response_clear(&r);
	sdb_fetch_free(f);
	unlink(netrc);

	/* no credentials configured: none sent */
	f = client(5000, 0);
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_get(f, u, 1000, &r, NULL), SDB_OK);
	CU_ASSERT_STRING_EQUAL(r.body, "none");
	sdb_fetch_response_clear(&r);
	sdb_fetch_free(f);
}

static void
test_file_and_bad_urls(void)
{
	struct sdb_fetch *f = client(5000, 3);
	struct sdb_fetch_response r;
	char path[] = "/tmp/csumdb-fetch.XXXXXX", u[128];
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, "module x\n", 9) == 9);
	close(fd);
	snprintf(u, sizeof u, "file://%s", path);
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_get(f, u, 1000, &r, NULL), SDB_OK);
	CU_ASSERT_EQUAL(r.status, 200);
	CU_ASSERT_STRING_EQUAL(r.body, "module x\n");
	sdb_fetch_response_clear(&r);
	CU_ASSERT_EQUAL(sdb_fetch_get(f, u, 4, &r, NULL), SDB_ERR_TOO_LARGE);
	unlink(path);
	/* a file:// proxy's missing file is its 404 */
	CU_ASSERT_EQUAL_FATAL(sdb_fetch_get(f, u, 1000, &r, NULL), SDB_OK);
	CU_ASSERT_EQUAL(r.status, 404);
	sdb_fetch_response_clear(&r);

	CU_ASSERT_EQUAL(sdb_fetch_get(f, "ftp://example.com/x", 10, &r, NULL), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_fetch_get(f, "no scheme", 10, &r, NULL), SDB_ERR_INVALID);
	/* nothing listens on port 1: connection refused after retries */
	CU_ASSERT_EQUAL(sdb_fetch_get(f, "http://127.0.0.1:1/x", 10, &r, NULL), SDB_ERR_IO);
	sdb_fetch_free(f);
	sdb_fetch_free(NULL);
}

static struct sdb_fetch *shared;
static int shared_fail;

static void *
worker(void *arg)
{
	char u[128];
	int i;

	(void)arg;
	url(u, sizeof u, "/ok");
	for (i = 0; i < 20; i++) {
		struct sdb_fetch_response r;

		if (sdb_fetch_get(shared, u, 100, &r, NULL) != SDB_OK || r.status != 200 ||
		    strcmp(r.body, "hello") != 0)
			__atomic_add_fetch(&shared_fail, 1, __ATOMIC_SEQ_CST);
		sdb_fetch_response_clear(&r);
	}
	return NULL;
}

static void
test_threads(void)
{
	pthread_t t[8];
	int i;

	shared = client(5000, 3);
	for (i = 0; i < 8; i++)
		CU_ASSERT_FATAL(pthread_create(&t[i], NULL, worker, NULL) == 0);
	for (i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	CU_ASSERT_EQUAL(shared_fail, 0);
	sdb_fetch_free(shared);
}

/* The userinfo of a URL's authority is masked, and only there; a URL
 * without a scheme that may hold credentials is not shown at all. */
static void
test_url_shown(void)
{
	static const struct {
		const char *url, *shown;
	} v[] = {
		{ "https://proxy.example/go", "https://proxy.example/go" },
		{ "https://alice:s3cret@proxy.example/go", "https://xxxxx@proxy.example/go" },
		{ "http://tok@127.0.0.1:8080", "http://xxxxx@127.0.0.1:8080" },
		/* an '@' in the path or query is no userinfo; the last '@'
		 * of the authority ends it */
		{ "https://proxy.example/a@b?c=d@e", "https://proxy.example/a@b?c=d@e" },
		{ "https://u:p@w@proxy.example/x@y", "https://xxxxx@proxy.example/x@y" },
		{ "alice:s3cret@proxy.example/go", "(the URL given)" },
		{ "proxy.example/go", "proxy.example/go" },
		{ "file:///srv/goproxy", "file:///srv/goproxy" },
	};
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		char *s = sdb_url_shown(v[i].url);

		CU_ASSERT_PTR_NOT_NULL_FATAL(s);
		CU_ASSERT_STRING_EQUAL(s, v[i].shown);
		free(s);
	}
}

static void
test_url_scrub(void)
{
	const char *url = "https://alice:s3cret@proxy.example/go";
	char *shown = sdb_url_shown(url);
	struct sdb_errbuf eb;
	char long_msg[sizeof eb.msg + 64];
	size_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(shown);
	(void)sdb_errf(&eb, SDB_ERR_IO, "%s/m/@v/v1.zip: HTTP 500 (after %s/m/@v/v1.mod)", url,
	    url);
	sdb_url_scrub(&eb, url, shown);
	CU_ASSERT_STRING_EQUAL(eb.msg, "https://xxxxx@proxy.example/go/m/@v/v1.zip: HTTP 500 "
	    "(after https://xxxxx@proxy.example/go/m/@v/v1.mod)");
	/* a message cut at the buffer's end holds no credentials either */
	for (i = 0; i + strlen(url) + 1 < sizeof long_msg; i += strlen(url))
		memcpy(long_msg + i, url, strlen(url));
	long_msg[i] = '\0';
	(void)sdb_errf(&eb, SDB_ERR_IO, "%s", long_msg);
	sdb_url_scrub(&eb, url, shown);
	CU_ASSERT_PTR_NULL(strstr(eb.msg, "s3cret"));
	CU_ASSERT_PTR_NOT_NULL(strstr(eb.msg, "xxxxx@"));
	/* a message that only ends as url begins is left alone */
	(void)sdb_errf(&eb, SDB_ERR_IO, "cannot fetch with https");
	sdb_url_scrub(&eb, url, shown);
	CU_ASSERT_STRING_EQUAL(eb.msg, "cannot fetch with https");
	/* nothing to mask: unchanged */
	(void)sdb_errf(&eb, SDB_ERR_IO, "https://proxy.example/go: HTTP 500");
	sdb_url_scrub(&eb, "https://proxy.example/go", "https://proxy.example/go");
	CU_ASSERT_STRING_EQUAL(eb.msg, "https://proxy.example/go: HTTP 500");
	free(shown);
}

/* An http(s) URL names a host past its credentials; libcurl takes one
 * that names none and fails only at the first fetch. */
static void
test_url_has_host(void)
{
	static const struct {
		const char *url;
		int has;
	} v[] = {
		{ "https://proxy.example/go", 1 },
		{ "http://127.0.0.1:8080", 1 },
		{ "http://[::1]:8080/x", 1 },
		{ "https://u:p@proxy.example", 1 },
		{ "http://h?q", 1 },
		{ "http:///", 0 },
		{ "http://", 0 },
		{ "https:///sumdb/sum.golang.org", 0 },
		{ "http://:8080/", 0 },
		{ "https://user:pw@/", 0 },
		{ "https://user@:443", 0 },
		{ "http://[]/", 0 },
		{ "http://[", 0 },
		{ "http://?q", 0 },
		{ "http://#f", 0 },
		/* a file: URL names no host */
		{ "file:///srv/goproxy", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		if (sdb_url_has_host(v[i].url) != v[i].has)
			CU_FAIL(v[i].url);
	}
}

/* sdb_fetch_body_hint: the first line, control bytes and a lone CR as
 * '?', a CRLF end left out, at most cap-1 bytes; no body, no words. */
static void
test_body_hint(void)
{
	char out[8];

	sdb_fetch_body_hint("gone\r\nmore", 10, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "gone");
	sdb_fetch_body_hint("a\rb\x01\xc3\xa9\n", 7, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "a?b???");
	sdb_fetch_body_hint("0123456789", 10, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "0123456");
	sdb_fetch_body_hint("tail\r", 5, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "tail");
	sdb_fetch_body_hint(NULL, 5, out, sizeof out);
	CU_ASSERT_STRING_EQUAL(out, "");
	/* every byte but the newline that ends the line: exactly 0x20..0x7e
	 * stay, as in every line the programs print (cli_printable) */
	{
		char all[256], big[256];
		int i, k = 0;

		for (i = 0; i < 256; i++)
			if (i != '\n')
				all[k++] = (char)i;
		sdb_fetch_body_hint(all, (size_t)k, big, sizeof big);
		CU_ASSERT_EQUAL(strlen(big), 255);
		for (i = 0; i < k; i++)
			CU_ASSERT_EQUAL(big[i], (unsigned char)all[i] >= 0x20 &&
			    (unsigned char)all[i] <= 0x7e ? all[i] : '?');
	}
}

/* Retry-After values: delay-seconds and HTTP dates, in milliseconds from
 * a given time; a pause longer than a day (a date centuries ahead, a long
 * run of digits) is a day, not an overflow or no pause asked for. */
static void
test_retry_after(void)
{
	static const time_t now = 1700000000;   /* 2023-11-14T22:13:20Z */
#define RA(s) sdb_fetch_retry_after_ms(s, sizeof s - 1, now)

	CU_ASSERT_EQUAL(RA(" 120\r\n"), 120000);
	CU_ASSERT_EQUAL(RA("\t0\n"), 0);
	CU_ASSERT_EQUAL(RA(" Tue, 14 Nov 2023 22:14:20 GMT\r\n"), 60000);
	CU_ASSERT_EQUAL(RA(" Sun, 06 Nov 1994 08:49:37 GMT\r\n"), 0);
	CU_ASSERT_EQUAL(RA(" soon\r\n"), -1);
	CU_ASSERT_EQUAL(RA(" \r\n"), -1);
	CU_ASSERT_EQUAL(RA(" 86400\r\n"), 86400000);
	CU_ASSERT_EQUAL(RA(" 86401\r\n"), 86400000);
	CU_ASSERT_EQUAL(RA(" 99999999999999999999999999\r\n"), 86400000);
	CU_ASSERT_EQUAL(RA(" Wed, 15 Nov 2023 22:13:21 GMT\r\n"), 86400000);
	CU_ASSERT_EQUAL(RA(" 31 Dec 2147483647\r\n"), 86400000);
#undef RA
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "ok_and_404", test_ok_and_404 },
		{ "500_then_200", test_500_then_200 },
		{ "429_retry_after", test_429_retry_after },
		{ "truncated", test_truncated },
		{ "oversized", test_oversized },
		{ "reuse", test_reuse },
		{ "hang_times_out", test_hang_times_out },
		{ "cancel", test_cancel },
		{ "stream", test_stream },
		{ "credentials", test_credentials },
		{ "file_and_bad_urls", test_file_and_bad_urls },
		{ "threads", test_threads },
		{ "url_shown", test_url_shown },
		{ "url_scrub", test_url_scrub },
		{ "url_has_host", test_url_has_host },
		{ "body_hint", test_body_hint },
		{ "retry_after", test_retry_after },
		{ NULL, NULL },
	};
	CU_pSuite s = CU_add_suite("fetch", suite_init, suite_clean);
	const struct unit_test *t;

	if (s == NULL)
		return;
	for (t = tests; t->name != NULL; t++)
		CU_add_test(s, t->name, t->fn);
}
