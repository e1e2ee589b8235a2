/*
 * The admin interface (admin.h, admin_server.h): `sumdbd add` talks to a
 * running `sumdbd serve` over a Unix domain socket FILE.admin.sock next to
 * the database, mode 0600, never over the public listener.  The client
 * proves it may write by sending the token the server wrote to
 * FILE.admin.token (0600) at start; the server compares it in constant
 * time.  One import at a time: they all go through the one sequencer.
 *
 * Wire format (one request per connection):
 *
 *   request   "add " TOKEN(64 hex) " " LENGTH(decimal) "\n"  GOSUM[LENGTH]
 *   response  "ok\n" REPORT            the import is durable and published
 *             "error " CODE "\n" MSG   CODE a decimal enum sdb_err
 *
 * The server reads at most SDB_MAX_GOSUM_SIZE bytes of go.sum and takes one
 * request at a time, which must arrive whole within ADMIN_REQUEST_TIMEOUT_S
 * of its acceptance.  A stop interrupts a request still arriving, and
 * every connection still waiting is answered that the server is stopping
 * (nothing of it recorded); an import already under way is finished.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "admin.h"
#include "admin_request.h"
#include "admin_server.h"
#include "clock.h"
#include "crypto.h"
#include "fileio.h"
#include "csumdb/gosum.h"
#include "import.h"
#include "csumdb/record.h"
#include "limits.h"

#define ADMIN_TOKEN_BYTES 32
#define ADMIN_TOKEN_HEX SDBD_ADMIN_TOKEN_HEX
/* How long the server waits to send its answer. */
#define ADMIN_IO_TIMEOUT_S 30
/* The whole request, header and go.sum, from its acceptance.  The one
 * admin thread serves one request at a time: without a bound on the
 * whole, a client that sends a byte now and then holds it, and with it
 * every other add and the server's stop, for as long as it likes.  A
 * sumdbd add has read and checked its input before it connects, and
 * sends SDB_MAX_GOSUM_SIZE over a Unix socket in well under a second. */
#define ADMIN_REQUEST_TIMEOUT_S 10
/* What read_full and read_line return, beside SDB_OK and the sdb_err
 * codes, when the server is stopping. */
#define ADMIN_STOPPING 1
/* "add " + token + " " + 20 digits + "\n", with room to spare. */
#define ADMIN_HEADER_MAX 128
#define ADMIN_REPORT_MAX 4096
/* How long the admin thread rests when it cannot take a connection for
 * want of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): the
 * connection waits in the backlog, and poll would report it again at
 * once, so without the rest the thread would spin on a core for as long
 * as the limit lasts.  As the HTTP accept thread does. */
#define ADMIN_BACKOFF_MS 100

struct sdbd_admin_server {
	struct sdbd_log *log;
	/* the server's log: one line per add taken whole, its outcome */
	void (*log_line)(const char *line);   /* or NULL */
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *token_path;
	char token[ADMIN_TOKEN_HEX + 1];
	int fd;
	int stop_pipe[2];
	pthread_t thread;
};

static int
side_path(const char *db, const char *suffix, char **out)
{
	size_t n = strlen(db) + strlen(suffix) + 1;

	*out = malloc(n);
	if (*out == NULL)
		return SDB_ERR_NOMEM;
	(void)snprintf(*out, n, "%s%s", db, suffix);
	return SDB_OK;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return SDB_ERR_IO;
		p += w;
		len -= (size_t)w;
	}
	return SDB_OK;
}

/* A connection being read by the server: its request must be whole
 * by deadline (sdb_clock_ms), and stop_fd turning readable means stop. */
struct admin_conn {
	int fd;
	int stop_fd;
	long long deadline;
};

/*
 * Reads exactly len bytes of c's request.  Returns SDB_OK; SDB_ERR_TIMEOUT
 * past the deadline; ADMIN_STOPPING when the server stops first;
 * SDB_ERR_IO when the client closed the connection or it failed.
 */
static int
read_full(const struct admin_conn *c, void *buf, size_t len)
{
	char *p = buf;

	while (len > 0) {
		struct pollfd pf[2];
		long long left = c->deadline - sdb_clock_ms();
		ssize_t r;
		int n;

		if (left <= 0)
			return SDB_ERR_TIMEOUT;
		pf[0].fd = c->fd;
		pf[0].events = POLLIN;
		pf[1].fd = c->stop_fd;
		pf[1].events = POLLIN;
		pf[0].revents = pf[1].revents = 0;
		/* left is at most ADMIN_REQUEST_TIMEOUT_S seconds */
		n = poll(pf, 2, (int)left);
		if (n < 0 && errno != EINTR)
			return SDB_ERR_IO;
		if (n > 0 && pf[1].revents != 0)
			return ADMIN_STOPPING;
		if (n <= 0)
			continue;   /* the deadline is checked again */
		r = recv(c->fd, p, len, MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (r <= 0)
			return SDB_ERR_IO;
		p += r;
		len -= (size_t)r;
	}
	return SDB_OK;
}

/* Reads one line of at most cap-1 bytes, byte by byte (the header is
 * short, and reading past it would eat the body), into buf, its '\n'
 * replaced by '\0', and its length into *len.  Returns what read_full
 * does, or SDB_ERR_TOO_LARGE for a line that does not fit. */
static int
read_line(const struct admin_conn *c, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;
	int rc;

	while (n + 1 < cap) {
		if ((rc = read_full(c, buf + n, 1)) != SDB_OK)
			return rc;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			*len = n;
			return SDB_OK;
		}
		n++;
	}
	return SDB_ERR_TOO_LARGE;
}

/* The answer is short and the client waits for it, but a client that
 * never reads must not hold the thread. */
static void
set_send_timeout(int fd)
{
	struct timeval tv = { ADMIN_IO_TIMEOUT_S, 0 };

	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* --- the import ------------------------------------------------------- */

/* The first problem in the input becomes the refusal's message. */
struct first_problem {
	struct sdb_errbuf *eb;
	int seen;
};

static void
keep_first_problem(void *arg, const char *file, int64_t line, const char *msg)
{
	struct first_problem *fp = arg;

	(void)file;
	if (!fp->seen++)
		sdb_errf(fp->eb, SDB_ERR_INVALID, "line %" PRId64 ": %s", line, msg);
}

int
sdbd_admin_import(struct sdbd_log *log, const char *data, size_t len, char *report, size_t cap,
    struct sdb_errbuf *eb)
{
	struct sdbd_import im;
	struct first_problem fp = { eb, 0 };
	const char *name = "admin input";
	int64_t *ids = NULL, before, present = 0;
	const struct sdbd_latest *l;
	size_t i;
	int rc;

	memset(&im, 0, sizeof im);
	rc = sdbd_import_add(&im, name, data, len, eb);
	if (rc != SDB_OK) {
		sdbd_import_free(&im);
		return rc;
	}
	/* The client sends only whole versions (cmd_add.c): the same checks
	 * here keep a client that does not from recording anything else. */
	rc = sdbd_import_finish(&im, 0, keep_first_problem, &fp, eb);
	if (rc == SDB_OK && im.problems > 0)
		rc = SDB_ERR_INVALID;
	if (rc != SDB_OK)
		goto out;
	ids = calloc(im.n + 1, sizeof *ids);
	if (ids == NULL) {
		rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		goto out;
	}
	l = sdbd_log_latest(log);
	before = l->tree.n;
	sdbd_latest_put(l);
	if (im.n > 0 && (rc = sdbd_log_append(log, im.recs, im.n, ids, eb)) != SDB_OK)
		goto out;
	for (i = 0; i < im.n; i++)
		if (ids[i] < before)
			present++;
	l = sdbd_log_latest(log);
	/* the same words as an add without a server (cmd_add.c) */
	(void)snprintf(report, cap, "added %" PRId64 ", already present %" PRId64
	    " (module versions); tree size %" PRId64 "\n", (int64_t)im.n - present, present,
	    l->tree.n);
	sdbd_latest_put(l);
	rc = SDB_OK;
out:
	free(ids);
	sdbd_import_free(&im);
	return rc;
}

/* --- server ----------------------------------------------------------- */

static void
reply_error(int fd, int rc, const char *msg)
{
	char head[32];

	(void)snprintf(head, sizeof head, "error %d\n", rc);
	if (write_all(fd, head, strlen(head)) == SDB_OK)
		(void)write_all(fd, msg, strlen(msg));
}

/* The answer to a request the server did not take because it stops. */
static void
reply_stopping(int fd)
{
	reply_error(fd, SDB_ERR_IO, "the server is stopping; nothing of this add was recorded: "
	    "run it again once the server is back, or with it stopped\n");
}

/* The answer to a request that stopped arriving (rc from read_full). */
static void
reply_unread(int fd, int rc)
{
	if (rc == ADMIN_STOPPING)
		reply_stopping(fd);
	else if (rc == SDB_ERR_TIMEOUT) {
		char msg[128];
		(void)snprintf(msg, sizeof msg, "the request did not arrive whole within %d s; "
		    "nothing of it was recorded\n", ADMIN_REQUEST_TIMEOUT_S);
		reply_error(fd, SDB_ERR_TIMEOUT, msg);
	}
	/* else the client is gone or sent too long a header: see the caller */
}

/* Answers one request; head (ADMIN_HEADER_MAX bytes) is for its header,
 * which holds the client's copy of the token. */
static void
serve_request(struct sdbd_admin_server *a, int fd, char *head)
{
	struct sdb_errbuf eb = { { 0 } };
	struct admin_conn c;
	char report[ADMIN_REPORT_MAX];
	char *data;
	size_t want = 0, hlen = 0;
	int rc;

	c.fd = fd;
	c.stop_fd = a->stop_pipe[0];
	c.deadline = sdb_clock_ms() + ADMIN_REQUEST_TIMEOUT_S * 1000LL;
	set_send_timeout(fd);
	rc = read_line(&c, head, ADMIN_HEADER_MAX, &hlen);
	if (rc == ADMIN_STOPPING || rc == SDB_ERR_TIMEOUT) {
		reply_unread(fd, rc);
		return;
	}
	switch (rc != SDB_OK ? SDBD_ADMIN_HEAD_MALFORMED :
	    sdbd_admin_parse_head(head, hlen, a->token, SDB_MAX_GOSUM_SIZE, &want)) {
	case SDBD_ADMIN_HEAD_OK:
		break;
	case SDBD_ADMIN_HEAD_MALFORMED:
		reply_error(fd, SDB_ERR_INVALID, "malformed admin request\n");
		return;
	case SDBD_ADMIN_HEAD_TOKEN: {
		/* The client read the token file: a file replaced since this
		 * server wrote it (a restore, a copy, another server's). */
		char msg[ADMIN_REPORT_MAX];
		(void)snprintf(msg, sizeof msg, "the running server refused the admin token in %s: "
		    "not the one it wrote at start (the file was replaced since); restart sumdbd "
		    "serve to write a new one\n", a->token_path);
		reply_error(fd, SDB_ERR_INVALID, msg);
		return;
	}
	case SDBD_ADMIN_HEAD_LENGTH:
		reply_error(fd, SDB_ERR_INVALID, "malformed admin request: the go.sum length is not "
		    "a decimal number\n");
		return;
	case SDBD_ADMIN_HEAD_TOO_LARGE: {
		char msg[128];
		(void)snprintf(msg, sizeof msg, "go.sum length over the limit of %d bytes\n",
		    SDB_MAX_GOSUM_SIZE);
		reply_error(fd, SDB_ERR_TOO_LARGE, msg);
		return;
	}
	}
	data = malloc(want ? want : 1);
	if (data == NULL) {
		reply_error(fd, SDB_ERR_NOMEM, "out of memory\n");
		return;
	}
	if ((rc = read_full(&c, data, want)) != SDB_OK) {
		free(data);
		reply_unread(fd, rc);
		return;
	}
	/* Whole: from here on the import is finished, stop or not. */
	rc = sdbd_admin_import(a->log, data, want, report, sizeof report, &eb);
	free(data);
	if (rc != SDB_OK) {
		char msg[SDB_ERRBUF_SIZE + 2];
		(void)snprintf(msg, sizeof msg, "%s\n", sdb_errmsg(&eb, rc));
		reply_error(fd, rc, msg);
		/* a conflict with a recorded hash, or a database that cannot
		 * be written (a full disk), is the operator's to see too, not
		 * only the client's */
		if (a->log_line != NULL) {
			char line[SDB_ERRBUF_SIZE + 64];
			(void)snprintf(line, sizeof line, "admin add refused, nothing recorded: %s",
			    sdb_errmsg(&eb, rc));
			a->log_line(line);
		}
		return;
	}
	if (write_all(fd, "ok\n", 3) == SDB_OK)
		(void)write_all(fd, report, strlen(report));
	if (a->log_line != NULL) {
		char line[ADMIN_REPORT_MAX + 16];
		(void)snprintf(line, sizeof line, "admin add: %.*s", (int)strcspn(report, "\n"),
		    report);
		a->log_line(line);
	}
}

static void
serve_client(struct sdbd_admin_server *a, int fd)
{
	char head[ADMIN_HEADER_MAX];

	serve_request(a, fd, head);
	/* the token the client sent, right or wrong, on every path */
	sdb_memzero(head, sizeof head);
}

/* At stop, after the socket's name is gone: the connections still
 * waiting to be taken are told so, rather than closed unanswered (which
 * leaves their add not knowing whether it was recorded).  The listening
 * socket does not block (SOCK_NONBLOCK). */
static void
refuse_waiting(struct sdbd_admin_server *a)
{
	int fd;

	while ((fd = accept4(a->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0 || errno == EINTR ||
	    errno == ECONNABORTED) {
		if (fd < 0)
			continue;
		set_send_timeout(fd);
		reply_stopping(fd);
		close(fd);
	}
}

static void *
admin_thread(void *arg)
{
	struct sdbd_admin_server *a = arg;
	struct pollfd p[2];

	p[0].fd = a->fd;
	p[0].events = POLLIN;
	p[1].fd = a->stop_pipe[0];
	p[1].events = POLLIN;
	for (;;) {
		int fd;

		p[0].revents = p[1].revents = 0;
		/* a poll that fails for want of memory: rest, and try again,
		 * rather than leave sumdbd add without an answer for good */
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			(void)poll(&p[1], 1, ADMIN_BACKOFF_MS);
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(a->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN &&
			    errno != EWOULDBLOCK)
				(void)poll(&p[1], 1, ADMIN_BACKOFF_MS);   /* the stop pipe only */
			continue;
		}
		serve_client(a, fd);
		close(fd);
	}
	refuse_waiting(a);
	return NULL;
}

static void
hex_encode(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
admin_free(struct sdbd_admin_server *a)
{
	if (a->fd >= 0)
		close(a->fd);
	if (a->stop_pipe[0] >= 0)
		close(a->stop_pipe[0]);
	if (a->stop_pipe[1] >= 0)
		close(a->stop_pipe[1]);
	sdb_memzero(a->token, sizeof a->token);
	free(a->token_path);
	free(a);
}

int
sdbd_admin_start(struct sdbd_admin_server **out, const char *db_path, struct sdbd_log *log,
    void (*log_line)(const char *line), struct sdb_errbuf *eb)
{
	struct sdbd_admin_server *a;
	struct sockaddr_un sa;
	uint8_t raw[ADMIN_TOKEN_BYTES];
	int tfd, rc, e;

	*out = NULL;
	a = calloc(1, sizeof *a);
	if (a == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	a->fd = a->stop_pipe[0] = a->stop_pipe[1] = -1;
	a->log = log;
	a->log_line = log_line;
	if ((size_t)snprintf(a->sock_path, sizeof a->sock_path, "%s.admin.sock", db_path) >=
	    sizeof a->sock_path) {
		admin_free(a);
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "%s.admin.sock: path too long for a Unix "
		    "socket (%zu bytes at most): give --db a shorter path (a relative one, or a "
		    "symbolic link), or serve with --no-admin", db_path, sizeof a->sock_path - 1);
	}
	if (side_path(db_path, ".admin.token", &a->token_path) != SDB_OK) {
		admin_free(a);
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	}
	sdb_random(raw, sizeof raw);
	hex_encode(a->token, raw, sizeof raw);
	sdb_memzero(raw, sizeof raw);
	(void)unlink(a->token_path);
	tfd = open(a->token_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	e = tfd < 0 ? errno : 0;
	if (tfd >= 0) {
		/* a token file cut short (a full disk) would refuse every add */
		if (sdb_write_all(tfd, a->token, ADMIN_TOKEN_HEX) != 0)
			e = errno;
		if (close(tfd) != 0 && e == 0)
			e = errno;
		if (e != 0)
			(void)unlink(a->token_path);
	}
	if (e == EACCES || e == EPERM || e == EROFS) {
		rc = sdb_errf(eb, SDB_ERR_IO, "%s: %s: the admin interface (sumdbd add while "
		    "serving) keeps its token and socket beside the database: let this user write "
		    "that directory, or serve with --no-admin", a->token_path, strerror(e));
		admin_free(a);
		return rc;
	}
	if (e != 0) {
		rc = sdb_errf(eb, SDB_ERR_IO, "%s: %s", a->token_path, strerror(e));
		admin_free(a);
		return rc;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, a->sock_path, strlen(a->sock_path) + 1);
	(void)unlink(a->sock_path);
	a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (a->fd < 0 || bind(a->fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    chmod(a->sock_path, 0600) != 0 || listen(a->fd, 16) != 0 || pipe2(a->stop_pipe, O_CLOEXEC) != 0) {
		e = errno;
		rc = sdb_errf(eb, SDB_ERR_IO, "%s: %s", a->sock_path, strerror(e));
		(void)unlink(a->sock_path);
		(void)unlink(a->token_path);
		admin_free(a);
		return rc;
	}
	if (pthread_create(&a->thread, NULL, admin_thread, a) != 0) {
		(void)unlink(a->sock_path);
		(void)unlink(a->token_path);
		admin_free(a);
		return sdb_errf(eb, SDB_ERR_INTERNAL, "cannot start the admin thread");
	}
	*out = a;
	return SDB_OK;
}

void
sdbd_admin_stop(struct sdbd_admin_server *a)
{
	if (a == NULL)
		return;
	(void)unlink(a->sock_path);
	(void)unlink(a->token_path);
	if (write(a->stop_pipe[1], "x", 1) != 1) {
		/* The thread would not wake: nothing better to do than wait. */
	}
	pthread_join(a->thread, NULL);
	admin_free(a);
}

/* --- client ----------------------------------------------------------- */

/* The database is locked, and its admin interface does not answer. */
static int
no_admin(struct sdb_errbuf *eb, const char *db_path, const char *what, const char *why)
{
	return sdb_errf(eb, SDB_ERR_LOCKED, "database %s is in use by another sumdbd (its writer "
	    "lock is held), and no admin interface answers (%s: %s): a sumdbd serve started "
	    "with --no-admin, or another add or fsck, which must end first", db_path, what, why);
}

/* The CODE of an "error CODE\n" answer, the text s up to the newline:
 * "-" and a canonical decimal (sdb_parse_int63) other than 0, as
 * reply_error writes an enum sdb_err.  Returns the code when it is one of
 * enum sdb_err, SDB_ERR_IO for any other such number (a newer server's
 * code: its message still says what went wrong), and 1 when s is not a
 * number of that form (strtol would read "-31junk" as -31, a conflict). */
static int
parse_code(const char *s, size_t n)
{
	int64_t v;

	if (n < 2 || s[0] != '-' || !sdb_parse_int63(s + 1, n - 1, &v) || v == 0)
		return 1;
	return -v >= SDB_ERR_LOCKED ? (int)-v : SDB_ERR_IO;
}

int
sdbd_admin_add(const char *db_path, const char *gosum, size_t len, char *report,
    size_t report_cap, struct sdb_errbuf *eb)
{
	char token[ADMIN_TOKEN_HEX + 1], head[ADMIN_HEADER_MAX], resp[ADMIN_REPORT_MAX];
	struct sockaddr_un sa;
	char *tpath = NULL, *nl;
	size_t got = 0;
	int fd, tfd, rc;
	ssize_t r;

	if (report_cap > 0)
		report[0] = '\0';
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if ((size_t)snprintf(sa.sun_path, sizeof sa.sun_path, "%s.admin.sock", db_path) >=
	    sizeof sa.sun_path)
		return sdb_errf(eb, SDB_ERR_LOCKED, "%s.admin.sock: path too long for a Unix "
		    "socket (%zu bytes at most): give --db the path serve was started with",
		    db_path, sizeof sa.sun_path - 1);
	if (side_path(db_path, ".admin.token", &tpath) != SDB_OK)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	tfd = open(tpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (tfd < 0) {
		rc = no_admin(eb, db_path, tpath, strerror(errno));
		free(tpath);
		return rc;
	}
	r = read(tfd, token, ADMIN_TOKEN_HEX);
	close(tfd);
	if (r != ADMIN_TOKEN_HEX) {
		sdb_memzero(token, sizeof token);   /* what part of it was read */
		rc = no_admin(eb, db_path, tpath, "malformed token");
		free(tpath);
		return rc;
	}
	free(tpath);
	token[ADMIN_TOKEN_HEX] = '\0';
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		rc = no_admin(eb, db_path, sa.sun_path, strerror(errno));
		sdb_memzero(token, sizeof token);
		if (fd >= 0)
			close(fd);
		return rc;
	}
	(void)snprintf(head, sizeof head, "add %s %zu\n", token, len);
	sdb_memzero(token, sizeof token);
	rc = write_all(fd, head, strlen(head));
	sdb_memzero(head, sizeof head);
	if (rc == SDB_OK)
		rc = write_all(fd, gosum, len);
	/* The server may answer before reading everything (a refusal): read
	 * the answer either way. */
	while (got + 1 < sizeof resp && (r = recv(fd, resp + got, sizeof resp - 1 - got, 0)) > 0)
		got += (size_t)r;
	close(fd);
	resp[got] = '\0';
	/* The server took the request and is gone (killed, crashed) or
	 * dropped it: the add may have been committed before it went. */
	if (got == 0)
		return sdb_errf(eb, SDB_ERR_IO, "the server closed the connection without an answer "
		    "(admin socket %s; did it stop or crash?): the add may or may not have been "
		    "recorded; run it again, with the server back or stopped (versions already "
		    "recorded are skipped)", sa.sun_path);
	nl = strchr(resp, '\n');
	if (strncmp(resp, "ok\n", 3) == 0) {
		(void)snprintf(report, report_cap, "%s", resp + 3);
		return SDB_OK;
	}
	if (strncmp(resp, "error ", 6) == 0 && nl != NULL) {
		int code = parse_code(resp + 6, (size_t)(nl - (resp + 6)));
		char *msg = nl + 1;
		size_t ml = strlen(msg);
		if (code > 0)
			return sdb_errf(eb, SDB_ERR_IO, "admin interface %s: malformed answer: "
			    "error code '%.*s' is not a number; the add may or may not have been "
			    "recorded", sa.sun_path, (int)(nl - (resp + 6) < 32 ? nl - (resp + 6) : 32),
			    resp + 6);
		if (ml > 0 && msg[ml - 1] == '\n')
			msg[ml - 1] = '\0';
		(void)snprintf(report, report_cap, "%s\n", msg);
		return sdb_errf(eb, code, "%s", msg);
	}
	return sdb_errf(eb, SDB_ERR_IO, "admin interface %s: malformed answer (neither \"ok\" nor "
	    "\"error CODE\"); the add may or may not have been recorded", sa.sun_path);
}
