/*
 * HTTP GET through libcurl (src/lib/fetch.h): the only file of csumdb that
 * uses libcurl.  Sizes are capped in the write callback, bodies are either
 * collected in memory or streamed to a caller's sink, and transient failures
 * (network errors, timeouts, 5xx, 429) are retried with exponential backoff,
 * honouring Retry-After.  A client can be cancelled (a stopping server):
 * libcurl's progress callback, called at least once a second while a
 * transfer runs, then aborts it, and pauses before retries are cut short.
 *
 * Threads: a client holds a small pool of idle easy handles behind a mutex;
 * each transfer takes one (or makes one), so any number of threads may use
 * one client, and a finished handle goes back to the pool to keep its
 * connections alive for the next transfer.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "bytes.h"
#include "clock.h"
#include "csumdb/err.h"
#include "fetch.h"
#include "limits.h"

/* Idle easy handles kept per client (each keeps its connection cache). */
#define FETCH_POOL_SIZE 16
/* How often a pause before a retry looks whether the client was
 * cancelled. */
#define FETCH_CANCEL_POLL_MS 50

struct sdb_fetch {
	struct sdb_fetch_options opt;
	char *ca_file, *netrc_file, *bearer_token, *user_agent;
	pthread_mutex_t mu;
	CURL *pool[FETCH_POOL_SIZE];
	int npool;
	atomic_int cancelled;    /* sdb_fetch_cancel */
};

/* One transfer attempt's state, seen by the callbacks. */
struct xfer {
	CURL *h;
	uint64_t max;
	uint64_t got;
	int too_large;
	int sink_err;            /* an error returned by the sink, or NOMEM */
	/* memory mode */
	struct sdb_fetch_response *res;
	size_t cap;
	/* stream mode */
	const struct sdb_fetch_sink *sink;
	long retry_after_ms;     /* -1: none in the last response */
	long long deadline_ms;   /* sdb_clock_ms; 0: none */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void
curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *
dup_or_null(const char *s, int *nomem)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*nomem = 1;
	return d;
}

int
sdb_fetch_new(struct sdb_fetch **out, const struct sdb_fetch_options *opt,
    struct sdb_errbuf *eb)
{
	struct sdb_fetch *f;
	int nomem = 0;

	*out = NULL;
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK)
		return sdb_errf(eb, SDB_ERR_INTERNAL, "curl_global_init: %s",
		    curl_easy_strerror(curl_init_rc));
	f = calloc(1, sizeof *f);
	if (f == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	if (opt != NULL)
		f->opt = *opt;
	if (f->opt.connect_timeout_ms <= 0)
		f->opt.connect_timeout_ms = 10000;
	if (f->opt.timeout_ms <= 0)
		f->opt.timeout_ms = 120000;
	if (f->opt.stall_timeout_ms <= 0)
		f->opt.stall_timeout_ms = 30000;
	if (f->opt.max_retries == 0)
		f->opt.max_retries = 3;
	else if (f->opt.max_retries < 0)
		f->opt.max_retries = 0;
	if (f->opt.backoff_initial_ms <= 0)
		f->opt.backoff_initial_ms = 200;
	if (f->opt.backoff_max_ms <= 0)
		f->opt.backoff_max_ms = 10000;
	f->ca_file = dup_or_null(f->opt.ca_file, &nomem);
	f->netrc_file = dup_or_null(f->opt.netrc_file, &nomem);
	f->bearer_token = dup_or_null(f->opt.bearer_token, &nomem);
	f->user_agent = dup_or_null(f->opt.user_agent != NULL ?
	    f->opt.user_agent : "csumdb/" PACKAGE_VERSION, &nomem);
	f->opt.ca_file = f->ca_file;
	f->opt.netrc_file = f->netrc_file;
	f->opt.bearer_token = f->bearer_token;
	f->opt.user_agent = f->user_agent;
	atomic_init(&f->cancelled, 0);
	if (nomem || pthread_mutex_init(&f->mu, NULL) != 0) {
		free(f->ca_file);
		free(f->netrc_file);
		free(f->bearer_token);
		free(f->user_agent);
		free(f);
		return nomem ? sdb_errf(eb, SDB_ERR_NOMEM, "out of memory") :
		    sdb_errf(eb, SDB_ERR_INTERNAL, "could not make the HTTP client's mutex");
	}
	*out = f;
	return SDB_OK;
}

void
sdb_fetch_free(struct sdb_fetch *f)
{
	int i;

	if (f == NULL)
		return;
	for (i = 0; i < f->npool; i++)
		curl_easy_cleanup(f->pool[i]);
	pthread_mutex_destroy(&f->mu);
	free(f->ca_file);
	free(f->netrc_file);
	if (f->bearer_token != NULL) {
		/* a credential: do not leave it in freed memory */
		volatile char *p = f->bearer_token;
		while (*p != '\0')
			*p++ = '\0';
		free(f->bearer_token);
	}
	free(f->user_agent);
	free(f);
}

void
sdb_fetch_cancel(struct sdb_fetch *f)
{
	if (f != NULL)
		atomic_store(&f->cancelled, 1);
}

static int
is_cancelled(const struct sdb_fetch *f)
{
	return atomic_load_explicit(&f->cancelled, memory_order_relaxed);
}

/* libcurl's progress callback: a non-zero return aborts the transfer
 * (CURLE_ABORTED_BY_CALLBACK). */
static int
xferinfo_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return is_cancelled(arg);
}

void
sdb_fetch_response_clear(struct sdb_fetch_response *res)
{
	if (res == NULL)
		return;
	free(res->body);
	res->body = NULL;
	res->len = 0;
	res->cap = 0;
	res->status = 0;
}

static int configure(const struct sdb_fetch *f, CURL *h);

/* A handle from f's pool (its connections kept) or a new one, with f's
 * options set. */
static CURL *
take_handle(struct sdb_fetch *f)
{
	CURL *h = NULL;

	pthread_mutex_lock(&f->mu);
	if (f->npool > 0)
		h = f->pool[--f->npool];
	pthread_mutex_unlock(&f->mu);
	if (h == NULL && (h = curl_easy_init()) != NULL && configure(f, h) != SDB_OK) {
		curl_easy_cleanup(h);
		h = NULL;
	}
	return h;
}

static void
give_handle(struct sdb_fetch *f, CURL *h)
{
	pthread_mutex_lock(&f->mu);
	if (f->npool < FETCH_POOL_SIZE) {
		f->pool[f->npool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&f->mu);
	if (h != NULL)
		curl_easy_cleanup(h);
}

static long
response_code(CURL *h)
{
	long code = 0;

	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
		return 0;
	return code;
}

static int
is_2xx(long code)
{
	/* file:// transfers report 0 */
	return code == 0 || (code >= 200 && code < 300);
}

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;

	/* count first: the cap holds whatever Content-Length said */
	if (n > x->max || x->got > x->max - n) {
		x->too_large = 1;
		return 0;
	}
	x->got += n;
	if (x->sink != NULL) {
		int rc;

		if (!is_2xx(response_code(x->h)))
			return n;	/* an error body: not for the sink */
		rc = x->sink->write(x->sink->ctx, (const uint8_t *)data, n);
		if (rc != SDB_OK) {
			x->sink_err = rc;
			return 0;
		}
		return n;
	}
	if (x->res->len + n + 1 > x->cap) {
		size_t ncap = x->cap ? x->cap : 4096;
		char *nb;

		while (ncap < x->res->len + n + 1)
			ncap *= 2;
		nb = realloc(x->res->body, ncap);
		if (nb == NULL) {
			x->sink_err = SDB_ERR_NOMEM;
			return 0;
		}
		x->res->body = nb;
		x->cap = ncap;
	}
	memcpy(x->res->body + x->res->len, data, n);
	x->res->len += n;
	x->res->body[x->res->len] = '\0';
	return n;
}

long
sdb_fetch_retry_after_ms(const char *v, size_t n, time_t now)
{
	char buf[128];
	size_t i;
	long secs = 0;
	time_t when;

	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	if (n == 0)
		return -1;
	/* delay-seconds: a longer pause than the cap is the cap, however
	 * many digits spell it */
	for (i = 0; i < n && v[i] >= '0' && v[i] <= '9'; i++) {
		secs = secs * 10 + (v[i] - '0');
		if (secs > SDB_MAX_RETRY_AFTER_S)
			secs = SDB_MAX_RETRY_AFTER_S;
	}
	if (i == n)
		return secs * 1000;
	if (n >= sizeof buf)
		return -1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	when = curl_getdate(buf, NULL);
	if (when == (time_t)-1)
		return -1;
	if (when <= now)
		return 0;
	return when - now < SDB_MAX_RETRY_AFTER_S ? (long)(when - now) * 1000 :
	    SDB_MAX_RETRY_AFTER_S * 1000L;
}

static size_t
header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t n = size * nmemb;
	static const char ra[] = "retry-after:";

	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0)
		x->retry_after_ms = -1;	/* a new response (after a redirect) */
	else if (n > sizeof ra - 1 && strncasecmp(data, ra, sizeof ra - 1) == 0)
		x->retry_after_ms = sdb_fetch_retry_after_ms(data + sizeof ra - 1,
		    n - (sizeof ra - 1), time(NULL));
	return n;
}

static int
is_https(const char *url)
{
	return strncmp(url, "https://", 8) == 0;
}

static int
valid_url(const char *url)
{
	return strncmp(url, "http://", 7) == 0 ||
	    strncmp(url, "https://", 8) == 0 ||
	    strncmp(url, "file://", 7) == 0;
}

/* The options of every transfer of f, set once per handle (a reset and
 * twenty options per transfer were a tenth of a full audit's time spent
 * in libcurl). */
static int
configure(const struct sdb_fetch *f, CURL *h)
{
	long stall_s = (f->opt.stall_timeout_ms + 999) / 1000;
	int bad = 0;

	bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
#if LIBCURL_VERSION_NUM >= 0x075500
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file") != CURLE_OK;
#else
	bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE)) != CURLE_OK;
#endif
	/* module proxies redirect to blob stores (Artifactory, S3); where
	 * to, setup decides per URL */
	bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, f->opt.connect_timeout_ms) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall_s) != CURLE_OK;
	/* decoded bytes are what the write callback counts against max */
	bad |= curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, f->opt.user_agent) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, xferinfo_cb) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)f) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
	if (f->opt.ca_file != NULL) {
		/* The bundle given is the only one trusted.  A libcurl built
		 * with a CA directory (Debian's /etc/ssl/certs) reads it
		 * besides any bundle, so every system CA would still be
		 * trusted: no directory.  A TLS library without CA
		 * directories has nothing to turn off. */
		CURLcode cc;

		bad |= curl_easy_setopt(h, CURLOPT_CAINFO, f->opt.ca_file) != CURLE_OK;
		cc = curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
		bad |= cc != CURLE_OK && cc != CURLE_NOT_BUILT_IN;
	}
	if (f->opt.netrc_file != NULL) {
		bad |= curl_easy_setopt(h, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_NETRC_FILE, f->opt.netrc_file) != CURLE_OK;
	}
	if (f->opt.bearer_token != NULL) {
		/* curl sends it to the first host only, never across redirects */
		bad |= curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER) != CURLE_OK;
		bad |= curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, f->opt.bearer_token) != CURLE_OK;
	}
	return bad ? SDB_ERR_INTERNAL : SDB_OK;
}

/* The whole-transfer timeout of x's next attempt: the client's, cut at
 * x's deadline; 0 when the deadline has passed. */
static long
attempt_ms(const struct sdb_fetch *f, const struct xfer *x)
{
	long long left;

	if (x->deadline_ms == 0)
		return f->opt.timeout_ms;
	left = x->deadline_ms - sdb_clock_ms();
	if (left <= 0)
		return 0;
	return left < f->opt.timeout_ms ? (long)left : f->opt.timeout_ms;
}

/* Whether a pause of wait_ms leaves time for another attempt before x's
 * deadline (always, without one). */
static int
room_for(const struct xfer *x, long wait_ms)
{
	return x->deadline_ms == 0 || sdb_clock_ms() + wait_ms < x->deadline_ms;
}

/* The options of this transfer.  The whole-transfer timeout is set for
 * every transfer: a handle from the pool may carry an earlier caller's
 * deadline. */
static int
setup(const struct sdb_fetch *f, struct xfer *x, const char *url, char *errbuf)
{
	CURL *h = x->h;
	int bad = 0;

	bad |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, attempt_ms(f, x)) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK;
	/* An https URL is followed to https only, as the go command does:
	 * a body that came in clear text could be anyone's, and what is
	 * fetched here is hashed and logged for good. */
#if LIBCURL_VERSION_NUM >= 0x075500
	bad |= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
	    is_https(url) ? "https" : "http,https") != CURLE_OK;
#else
	bad |= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
	    is_https(url) ? (long)CURLPROTO_HTTPS : (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) != CURLE_OK;
#endif
	bad |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)(x->max > INT64_MAX ? INT64_MAX : x->max)) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, x) != CURLE_OK;
	bad |= curl_easy_setopt(h, CURLOPT_HEADERDATA, x) != CURLE_OK;
	return bad ? SDB_ERR_INTERNAL : SDB_OK;
}

static int
retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_BAD_CONTENT_ENCODING:
		return 1;
	default:
		return 0;
	}
}

/* Pauses ms, or less when f is cancelled meanwhile. */
static void
sleep_ms(const struct sdb_fetch *f, long ms)
{
	while (ms > 0 && !is_cancelled(f)) {
		long step = ms < FETCH_CANCEL_POLL_MS ? ms : FETCH_CANCEL_POLL_MS;
		struct timespec ts;

		ts.tv_sec = 0;
		ts.tv_nsec = step * 1000000L;
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		ms -= step;
	}
}

static long
backoff(const struct sdb_fetch *f, int attempt, long retry_after_ms)
{
	long d = f->opt.backoff_initial_ms;
	int i;

	for (i = 0; i < attempt && d < f->opt.backoff_max_ms; i++)
		d *= 2;
	if (retry_after_ms > d)
		d = retry_after_ms;
	return d > f->opt.backoff_max_ms ? f->opt.backoff_max_ms : d;
}

void
sdb_fetch_body_hint(const char *body, size_t len, char *out, size_t cap)
{
	size_t i, n = 0;

	if (body == NULL)
		len = 0;
	for (i = 0; i < len && body[i] != '\n' && n + 1 < cap; i++) {
		if (body[i] == '\r' && (i + 1 == len || body[i + 1] == '\n'))
			break;	/* a CRLF line end */
		out[n++] = body[i];
	}
	sdb_bytes_printable(out, n);
	out[n] = '\0';
}

/* Runs the transfer with retries; *status gets the final status. */
static int
run(struct sdb_fetch *f, const char *url, struct xfer *x, long *status,
    struct sdb_errbuf *eb)
{
	char errbuf[CURL_ERROR_SIZE], why[CURL_ERROR_SIZE];
	int attempt, rc;

	*status = 0;
	why[0] = '\0';
	if (url == NULL || !valid_url(url))
		return sdb_errf(eb, SDB_ERR_INVALID, "not an http, https or file URL: %.100s",
		    url != NULL ? url : "(null)");
	x->h = take_handle(f);
	if (x->h == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "curl_easy_init or its options failed");
	for (attempt = 0;; attempt++) {
		CURLcode c;
		long code;
		int last = attempt >= f->opt.max_retries;

		if (attempt > 0) {
			int r = SDB_OK;

			if (x->sink != NULL && x->sink->reset != NULL)
				r = x->sink->reset(x->sink->ctx);
			if (r != SDB_OK) {
				rc = sdb_errf(eb, r, "%s: cannot restart download", url);
				goto out;
			}
			if (x->res != NULL)
				x->res->len = 0;
			if (x->res != NULL && x->res->body != NULL)
				x->res->body[0] = '\0';
		}
		x->got = 0;
		x->too_large = 0;
		x->sink_err = SDB_OK;
		x->retry_after_ms = -1;
		errbuf[0] = '\0';
		if (is_cancelled(f)) {
			rc = sdb_errf(eb, SDB_ERR_IO, "%s: download cancelled", url);
			goto out;
		}
		if (attempt_ms(f, x) == 0) {
			rc = sdb_errf(eb, SDB_ERR_TIMEOUT, "%s: no answer in the time allowed%s%s%s",
			    url, why[0] ? " (" : "", why, why[0] ? ")" : "");
			goto out;
		}
		if (setup(f, x, url, errbuf) != SDB_OK) {
			rc = sdb_errf(eb, SDB_ERR_INTERNAL, "%s: curl setup failed", url);
			goto out;
		}
		c = curl_easy_perform(x->h);
		code = response_code(x->h);
		if (c == CURLE_ABORTED_BY_CALLBACK && is_cancelled(f)) {
			rc = sdb_errf(eb, SDB_ERR_IO, "%s: download cancelled", url);
			goto out;
		}
		if (x->too_large || c == CURLE_FILESIZE_EXCEEDED) {
			rc = sdb_errf(eb, SDB_ERR_TOO_LARGE, "%s: response larger than %llu bytes",
			    url, (unsigned long long)x->max);
			goto out;
		}
		if (x->sink_err != SDB_OK) {
			rc = x->sink_err == SDB_ERR_NOMEM ?
			    sdb_errf(eb, SDB_ERR_NOMEM, "out of memory") :
			    sdb_errf(eb, x->sink_err, "%s: writing download: %s", url,
				sdb_strerror(x->sink_err));
			goto out;
		}
		if (c == CURLE_FILE_COULDNT_READ_FILE && strncmp(url, "file://", 7) == 0) {
			/* a file:// proxy's missing file is the proxy's 404 */
			*status = 404;
			rc = SDB_OK;
			goto out;
		}
		if (c == CURLE_UNSUPPORTED_PROTOCOL && is_https(url) && code >= 300 && code < 400) {
			rc = sdb_errf(eb, SDB_ERR_IO, "%s: HTTP %ld redirects to a URL that is not "
			    "https (%s): refused, as the go command refuses it", url, code,
			    errbuf[0] ? errbuf : curl_easy_strerror(c));
			goto out;
		}
		if (c == CURLE_URL_MALFORMAT || c == CURLE_UNSUPPORTED_PROTOCOL) {
			rc = sdb_errf(eb, SDB_ERR_INVALID, "%s: %s", url,
			    errbuf[0] ? errbuf : curl_easy_strerror(c));
			goto out;
		}
		if (c != CURLE_OK) {
			long wait = backoff(f, attempt, -1);

			if (!last && retryable_curl(c) && room_for(x, wait)) {
				snprintf(why, sizeof why, "%s", errbuf[0] ? errbuf : curl_easy_strerror(c));
				sleep_ms(f, wait);
				continue;
			}
			/* a peer that never answers is a gateway timeout to
			 * whoever waits on us (sumdbd: 504), not a 502 */
			rc = sdb_errf(eb, c == CURLE_OPERATION_TIMEDOUT ? SDB_ERR_TIMEOUT : SDB_ERR_IO,
			    "%s: %s%s", url, errbuf[0] ? errbuf : curl_easy_strerror(c),
			    attempt > 0 ? " (after retries)" : "");
			goto out;
		}
		if (code >= 500 || code == 429) {
			long wait = backoff(f, attempt, x->retry_after_ms);
			char hint[SDB_MAX_ERROR_LINE + 1];

			if (!last && room_for(x, wait)) {
				snprintf(why, sizeof why, "HTTP %ld", code);
				sleep_ms(f, wait);
				continue;
			}
			/* the last answer's body (memory mode; stream
			 * mode keeps none) */
			if (x->res != NULL)
				sdb_fetch_body_hint(x->res->body, x->res->len, hint, sizeof hint);
			else
				hint[0] = '\0';
			rc = sdb_errf(eb, SDB_ERR_IO, "%s: HTTP %ld after %d attempts%s%s",
			    url, code, attempt + 1, hint[0] != '\0' ? ": " : "", hint);
			goto out;
		}
		*status = code == 0 ? 200 : code;
		rc = SDB_OK;
		goto out;
	}
out:
	/* errbuf goes out of scope: nothing may write to it later */
	(void)curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, NULL);
	give_handle(f, x->h);
	x->h = NULL;
	return rc;
}

/* sdb_fetch_get into res's buffer (sdb_fetch_get_reuse) or a new one,
 * by deadline_ms (0: none). */
static int
get(struct sdb_fetch *f, const char *url, size_t max, long long deadline_ms,
    struct sdb_fetch_response *res, int reuse, struct sdb_errbuf *eb)
{
	struct xfer x;
	long status;
	int rc;

	if (!reuse)
		memset(res, 0, sizeof *res);
	res->status = 0;
	res->len = 0;
	memset(&x, 0, sizeof x);
	x.max = max;
	x.deadline_ms = deadline_ms;
	x.res = res;
	x.cap = res->body != NULL ? res->cap : 0;
	rc = run(f, url, &x, &status, eb);
	res->cap = x.cap;
	if (rc != SDB_OK) {
		if (!reuse)
			sdb_fetch_response_clear(res);
		res->len = 0;
		if (res->body != NULL)
			res->body[0] = '\0';
		return rc;
	}
	if (res->body == NULL) {
		res->body = calloc(1, 1);
		if (res->body == NULL)
			return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		res->cap = 1;
	}
	res->status = status;
	return SDB_OK;
}

int
sdb_fetch_get(struct sdb_fetch *f, const char *url, size_t max,
    struct sdb_fetch_response *res, struct sdb_errbuf *eb)
{
	return get(f, url, max, 0, res, 0, eb);
}

int
sdb_fetch_get_until(struct sdb_fetch *f, const char *url, size_t max, long long deadline_ms,
    struct sdb_fetch_response *res, struct sdb_errbuf *eb)
{
	return get(f, url, max, deadline_ms, res, 0, eb);
}

int
sdb_fetch_get_reuse(struct sdb_fetch *f, const char *url, size_t max,
    struct sdb_fetch_response *res, struct sdb_errbuf *eb)
{
	return get(f, url, max, 0, res, 1, eb);
}

int
sdb_fetch_stream(struct sdb_fetch *f, const char *url, uint64_t max,
    const struct sdb_fetch_sink *sink, long *status, struct sdb_errbuf *eb)
{
	struct xfer x;

	memset(&x, 0, sizeof x);
	x.max = max;
	x.sink = sink;
	return run(f, url, &x, status, eb);
}
