/*
 * The upstream fetcher (upstream.h): GOPROXY protocol client for
 * $base/$escpath/@v/$escversion.{mod,zip}, singleflight table, and the
 * hand-off to the sequencer.  Network access goes through src/lib/fetch.h,
 * zip checks through csumdb/modzip.h.
 *
 * GOPROXY list semantics (as the go command): after a ',' the next proxy
 * is tried only when this one answered 404 or 410; after a '|' it is tried
 * on any failure.  When all fail, the failure reported is the go
 * command's choice too (fetch_and_record).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csumdb/dirhash.h"
#include "csumdb/modzip.h"
#include "csumdb/module.h"
#include "csumdb/module_glob.h"
#include "csumdb/record.h"
#include "csumdb/remote.h"
#include "fetch.h"
#include "limits.h"
#include "flight.h"
#include "lograte.h"
#include "upstream.h"
#include "url.h"

/* A bearer token is a line of text; 64 KiB is generous. */
#define TOKEN_MAX (64 * 1024)

struct proxy {
	char *base;          /* without a trailing slash */
	char *shown;         /* base as messages, which go to any client in a
	                      * 404/502 body, may show it (sdb_url_shown) */
	int fallthrough_any; /* separator after it was '|' */
};

struct sdbd_upstream {
	struct sdbd_log *log;
	struct sdb_fetch *fetch;
	struct proxy *proxies;
	size_t nproxies;
	char *patterns;
	char *tmp_dir;                 /* where downloads go, nameless */
	struct sdbd_flights *flights;  /* singleflight and the bounds */
	void (*log_line)(const char *line);
	struct sdbd_lograte_set *said; /* log_not_recorded's lines */
};

/* Replaces, in eb's message, every proxy URL that holds credentials by
 * its masked form. */
static void
scrub_message(const struct sdbd_upstream *u, struct sdb_errbuf *eb)
{
	size_t i;

	for (i = 0; i < u->nproxies; i++)
		sdb_url_scrub(eb, u->proxies[i].base, u->proxies[i].shown);
}

/* Whether the list past an item, rest, may hold the end of that item's
 * credentials: a ',' or '|' in a password splits the list inside it
 * ("https://alice:s3c" and "ret@host/"), and the item then ends in the
 * user name and the start of the password.  So it may when an '@'
 * follows before the next "://" (the start of another URL). */
static int
cut_in_credentials(const char *rest)
{
	const char *at = strchr(rest, '@'), *next = strstr(rest, "://");

	return at != NULL && (next == NULL || at < next);
}

static int
parse_proxies(struct sdbd_upstream *u, const char *list, struct sdb_errbuf *eb)
{
	const char *p = list;
	int rc;

	while (*p != '\0') {
		size_t n = strcspn(p, ",|");
		struct proxy *np;

		if (n > 0) {
			if (n == 6 && memcmp(p, "direct", 6) == 0)
				return sdb_errf(eb, SDB_ERR_INVALID,
				    "--upstream: \"direct\" is not supported: name a module proxy");
			if (n == 3 && memcmp(p, "off", 3) == 0)
				return sdb_errf(eb, SDB_ERR_INVALID, "--upstream: \"off\": leave --upstream out instead");
			np = realloc(u->proxies, (u->nproxies + 1) * sizeof *np);
			if (np == NULL)
				return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
			u->proxies = np;
			np[u->nproxies].base = strndup(p, n);
			np[u->nproxies].shown = NULL;
			if (np[u->nproxies].base == NULL)
				return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
			/* Refused now, not at the first fetch, by the rules of
			 * --public-url (a host, a port that parses, credentials
			 * that cannot cut the authority short, no query), and
			 * never quoting credentials: "user:pw@host" without a
			 * scheme, or an item cut short inside them, is shown
			 * as the URL given. */
			if (!(n > 7 && memcmp(p, "http://", 7) == 0) &&
			    !(n > 8 && memcmp(p, "https://", 8) == 0) &&
			    !(n > 7 && memcmp(p, "file://", 7) == 0)) {
				char *shown = cut_in_credentials(p + n) ? NULL :
				    sdb_url_shown(np[u->nproxies].base);

				rc = sdb_errf(eb, SDB_ERR_INVALID,
				    "--upstream: %s: not an http, https or file URL",
				    shown != NULL ? shown : "(the URL given)");

				free(shown);
				free(np[u->nproxies].base);
				return rc;
			}
			if ((rc = sdb_remote_url_check(np[u->nproxies].base, "--upstream:", eb)) != SDB_OK) {
				if (cut_in_credentials(p + n))
					sdb_url_scrub(eb, np[u->nproxies].base, "(the URL given)");
				free(np[u->nproxies].base);
				return rc;
			}
			while (n > 0 && p[n - 1] == '/')
				np[u->nproxies].base[--n] = '\0';
			np[u->nproxies].shown = sdb_url_shown(np[u->nproxies].base);
			if (np[u->nproxies].shown == NULL) {
				free(np[u->nproxies].base);
				return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
			}
			np[u->nproxies].fallthrough_any = p[strcspn(p, ",|")] == '|';
			u->nproxies++;
		}
		p += strcspn(p, ",|");
		if (*p != '\0')
			p++;
	}
	if (u->nproxies == 0)
		return sdb_errf(eb, SDB_ERR_INVALID, "--upstream: no proxy URL given");
	return SDB_OK;
}

/*
 * The --private list as module matching reads it (Go's
 * MatchPrefixPatterns): empty patterns are skipped, and a malformed one
 * matches nothing, without a word.  A server that took such a list would
 * record none of the modules meant, and send their names to the public
 * log instead: refused, naming the pattern.
 */
static int
check_patterns(const char *list, struct sdb_errbuf *eb)
{
	const char *bad;
	size_t n;

	switch (sdb_module_check_prefix_patterns(list, &bad, &n)) {
	case 1:
		return SDB_OK;
	case 0:
		return sdb_errf(eb, SDB_ERR_INVALID, "--private %s: no pattern in the list", list);
	default:
		return sdb_errf(eb, SDB_ERR_INVALID, "--private: %.*s: malformed pattern (Go's "
		    "path.Match syntax), which would match no module", (int)n, bad);
	}
}

/*
 * libcurl reads a CA or .netrc file only at the first fetch, and then a
 * CA file that is not there fails every https fetch (502s) and a .netrc
 * that is not there sends none of its credentials: a mistyped path given
 * at start is said at start, under the option's name.
 */
static int
check_readable(const char *option, const char *file, struct sdb_errbuf *eb)
{
	struct stat sb;
	int fd = open(file, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return sdb_errf(eb, SDB_ERR_IO, "%s %s: %s", option, file, strerror(errno));
	e = fstat(fd, &sb) != 0 ? errno : S_ISDIR(sb.st_mode) ? EISDIR : 0;
	close(fd);
	if (e != 0)
		return sdb_errf(eb, SDB_ERR_IO, "%s %s: %s", option, file, strerror(e));
	return SDB_OK;
}

/*
 * A bearer token is the one credential libcurl sends, to every proxy of
 * the list: it then sends no .netrc password and no user:password@ of a
 * URL, not even to the hosts they name, and every fetch from a proxy
 * that wants them fails with 401 without a word on why.  So a token goes
 * with neither.
 */
static int
check_one_credential(const struct sdbd_upstream *u, const struct sdbd_upstream_options *opt,
    struct sdb_errbuf *eb)
{
	size_t i;

	if (opt->netrc_file != NULL)
		return sdb_errf(eb, SDB_ERR_INVALID, "--upstream-token-file and --upstream-netrc: "
		    "the token would be sent instead of every .netrc password: give one of them");
	for (i = 0; i < u->nproxies; i++)
		if (strcmp(u->proxies[i].shown, u->proxies[i].base) != 0)
			return sdb_errf(eb, SDB_ERR_INVALID, "--upstream-token-file and --upstream %s: "
			    "the token would be sent instead of the URL's user and password: "
			    "give one of them", u->proxies[i].shown);
	return SDB_OK;
}

static int
read_token(const char *file, char **out, struct sdb_errbuf *eb)
{
	char *buf;
	size_t n = 0;
	FILE *f = fopen(file, "re");
	int e;

	*out = NULL;
	if (f == NULL)
		return sdb_errf(eb, SDB_ERR_IO, "--upstream-token-file %s: %s", file,
		    strerror(errno));
	buf = malloc(TOKEN_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	}
	errno = 0;
	n = fread(buf, 1, TOKEN_MAX + 1, f);
	/* a directory opens and its read fails (EISDIR): said as such, not
	 * as a file that does not hold one line */
	e = ferror(f) ? (errno != 0 ? errno : EIO) : 0;
	fclose(f);
	if (e != 0) {
		free(buf);
		return sdb_errf(eb, SDB_ERR_IO, "--upstream-token-file %s: %s", file, strerror(e));
	}
	if (n > TOKEN_MAX) {
		free(buf);
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "--upstream-token-file %s: too large", file);
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	if (n == 0 || strpbrk(buf, "\r\n") != NULL) {
		free(buf);
		return sdb_errf(eb, SDB_ERR_INVALID, "--upstream-token-file %s: want one line "
		    "holding the token", file);
	}
	*out = buf;
	return SDB_OK;
}

/*
 * A temporary file in dir, read-write, without a name: downloaded zips go
 * to one, are checked and hashed through the descriptor and vanish when it
 * is closed, or when the process dies at any moment (a crash in a 500 MiB
 * download leaves nothing behind).  Having no name, the file cannot be
 * swapped or read by another user between download and hashing either.
 * O_TMPFILE where the system and the file system have it; else mkostemp
 * and an unlink at once.  Returns the descriptor, or -1 with errno set.
 */
static int
open_tmp(const char *dir)
{
	char tmpl[4096];
	int fd;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
#endif
	if ((size_t)snprintf(tmpl, sizeof tmpl, "%s/sumdbd-zip.XXXXXX", dir) >= sizeof tmpl) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(tmpl, O_CLOEXEC)) < 0)
		return -1;
	if (unlink(tmpl) != 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int
sdbd_upstream_new(struct sdbd_upstream **out, const struct sdbd_upstream_options *opt,
    struct sdbd_log *log, struct sdb_errbuf *eb)
{
	struct sdbd_upstream *u;
	struct sdb_fetch_options fo;
	char *token = NULL;
	const char *tmp;
	int rc, fd;

	*out = NULL;
	if (opt->proxies == NULL)
		return sdb_errf(eb, SDB_ERR_INVALID, "--private needs --upstream (the module proxy "
		    "to fetch those modules from)");
	if (opt->patterns == NULL || opt->patterns[0] == '\0')
		return sdb_errf(eb, SDB_ERR_INVALID, "--upstream needs --private PATTERNS");
	if ((rc = check_patterns(opt->patterns, eb)) != SDB_OK)
		return rc;
	u = calloc(1, sizeof *u);
	if (u == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	u->log = log;
	u->log_line = opt->log_line;
	tmp = opt->tmp_dir ? opt->tmp_dir : getenv("TMPDIR");
	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	u->tmp_dir = strdup(tmp);
	u->patterns = strdup(opt->patterns);
	if (u->tmp_dir == NULL || u->patterns == NULL) {
		rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		goto fail;
	}
	/* a directory that takes no temporary file is said at the start */
	if ((fd = open_tmp(u->tmp_dir)) < 0) {
		rc = sdb_errf(eb, SDB_ERR_IO, "cannot create a temporary file in %s: %s",
		    u->tmp_dir, strerror(errno));
		goto fail;
	}
	close(fd);
	if ((rc = parse_proxies(u, opt->proxies, eb)) != SDB_OK)
		goto fail;
	if ((rc = sdbd_flights_new(&u->flights, opt->concurrency ? opt->concurrency : 4,
	    opt->max_inside ? opt->max_inside : 3, eb)) != SDB_OK)
		goto fail;
	if ((rc = sdbd_lograte_set_new(&u->said)) != SDB_OK) {
		rc = sdb_errf(eb, rc, "cannot make the upstream's log line counts");
		goto fail;
	}
	if (opt->ca_file != NULL && (rc = check_readable("--upstream-ca", opt->ca_file, eb)) != SDB_OK)
		goto fail;
	if (opt->netrc_file != NULL &&
	    (rc = check_readable("--upstream-netrc", opt->netrc_file, eb)) != SDB_OK)
		goto fail;
	if (opt->token_file != NULL && (rc = check_one_credential(u, opt, eb)) != SDB_OK)
		goto fail;
	if (opt->token_file != NULL && (rc = read_token(opt->token_file, &token, eb)) != SDB_OK)
		goto fail;
	memset(&fo, 0, sizeof fo);
	fo.connect_timeout_ms = opt->connect_timeout_ms;
	fo.timeout_ms = opt->timeout_ms;
	fo.max_retries = opt->max_retries;
	fo.ca_file = opt->ca_file;
	fo.netrc_file = opt->netrc_file;
	fo.bearer_token = token;
	fo.user_agent = "csumdb-sumdbd/" PACKAGE_VERSION;
	rc = sdb_fetch_new(&u->fetch, &fo, eb);
	if (token != NULL) {
		memset(token, 0, strlen(token));
		free(token);
	}
	if (rc != SDB_OK)
		goto fail;
	*out = u;
	return SDB_OK;
fail:
	sdbd_upstream_free(u);
	return rc;
}

void
sdbd_upstream_free(struct sdbd_upstream *u)
{
	size_t i;

	if (u == NULL)
		return;
	sdb_fetch_free(u->fetch);
	for (i = 0; i < u->nproxies; i++) {
		free(u->proxies[i].base);
		free(u->proxies[i].shown);
	}
	free(u->proxies);
	free(u->patterns);
	free(u->tmp_dir);
	sdbd_flights_free(u->flights);
	/* what it only counted would never be said otherwise */
	sdbd_lograte_set_flush(u->said, u->log_line);
	sdbd_lograte_set_free(u->said);
	free(u);
}

void
sdbd_upstream_cancel(struct sdbd_upstream *u)
{
	if (u != NULL)
		sdb_fetch_cancel(u->fetch);
}

/* --- one fetch ---------------------------------------------------------- */

struct file_sink {
	int fd;
};

static int
fs_write(void *ctx, const uint8_t *data, size_t len)
{
	struct file_sink *s = ctx;

	while (len > 0) {
		ssize_t w = write(s->fd, data, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return SDB_ERR_IO;
		data += w;
		len -= (size_t)w;
	}
	return SDB_OK;
}

static int
fs_reset(void *ctx)
{
	struct file_sink *s = ctx;

	if (ftruncate(s->fd, 0) != 0 || lseek(s->fd, 0, SEEK_SET) != 0)
		return SDB_ERR_IO;
	return SDB_OK;
}

static char *
url_of(const struct proxy *p, const char *epath, const char *ever, const char *ext)
{
	size_t n = strlen(p->base) + strlen(epath) + strlen(ever) + strlen(ext) + 8;
	char *u = malloc(n);

	if (u != NULL)
		snprintf(u, n, "%s/%s/@v/%s%s", p->base, epath, ever, ext);
	return u;
}

/*
 * Fetches and checks one module version from one proxy.  SDB_ERR_NOT_FOUND
 * for 404/410 (try the next proxy).
 */
static int
fetch_from(struct sdbd_upstream *u, const struct proxy *p, const char *path,
    const char *version, const char *epath, const char *ever, sdb_hash *h1,
    sdb_hash *gomod_h1, struct sdb_errbuf *eb)
{
	struct sdb_fetch_response res;
	struct file_sink fsink;
	struct sdb_fetch_sink sink = { fs_write, fs_reset, &fsink };
	char *url;
	long status = 0;
	int rc, fd;

	url = url_of(p, epath, ever, ".mod");
	if (url == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	rc = sdb_fetch_get(u->fetch, url, SDB_MAX_GOMOD_SIZE, &res, eb);
	if (rc == SDB_ERR_TOO_LARGE)
		rc = sdb_errf(eb, SDB_ERR_TOO_LARGE, "upstream %s: go.mod file too large (max size is %llu bytes)",
		    url, (unsigned long long)SDB_MAX_GOMOD_SIZE);
	if (rc != SDB_OK) {
		free(url);
		return rc;
	}
	if (res.status == 404 || res.status == 410) {
		rc = sdb_errf(eb, SDB_ERR_NOT_FOUND, "upstream %s answered %ld", p->base, res.status);
		goto out_res;
	}
	if (res.status != 200) {
		rc = sdb_errf(eb, SDB_ERR_IO, "upstream %s answered HTTP %ld", url, res.status);
		goto out_res;
	}
	sdb_dirhash_gomod((const uint8_t *)res.body, res.len, gomod_h1);
	free(url);

	url = url_of(p, epath, ever, ".zip");
	if (url == NULL) {
		rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		sdb_fetch_response_clear(&res);
		return rc;
	}
	fd = open_tmp(u->tmp_dir);
	if (fd < 0) {
		rc = sdb_errf(eb, SDB_ERR_IO, "cannot create a temporary file in %s: %s",
		    u->tmp_dir, strerror(errno));
		goto out_res;
	}
	fsink.fd = fd;
	rc = sdb_fetch_stream(u->fetch, url, SDB_MAX_ZIP_SIZE, &sink, &status, eb);
	if (rc == SDB_ERR_TOO_LARGE)
		rc = sdb_errf(eb, SDB_ERR_TOO_LARGE, "upstream %s: module zip file too large (limit is %llu bytes)",
		    url, (unsigned long long)SDB_MAX_ZIP_SIZE);
	if (rc == SDB_OK && (status == 404 || status == 410))
		rc = sdb_errf(eb, SDB_ERR_NOT_FOUND, "upstream %s has the go.mod but answered %ld for the zip",
		    p->base, status);
	else if (rc == SDB_OK && status != 200)
		rc = sdb_errf(eb, SDB_ERR_IO, "upstream %s answered HTTP %ld", url, status);
	/* the file is read back through the page cache and never kept:
	 * no fsync, which would write up to 500 MiB to disk for nothing */
	if (rc == SDB_OK) {
		struct sdb_errbuf zeb;

		zeb.msg[0] = '\0';
		rc = sdb_modzip_hash_fd(fd, path, strlen(path), version, strlen(version),
		    NULL, h1, &zeb);
		if (rc != SDB_OK)
			rc = sdb_errf(eb, rc, "upstream %s: %s", p->base, sdb_errmsg(&zeb, rc));
	}
	close(fd);
out_res:
	sdb_fetch_response_clear(&res);
	free(url);
	return rc;
}

/*
 * Says to the operator why path@version was not recorded: its clients
 * see the reason in their 404, 502 or 504, but the one who can act on it
 * (a credential that expired, a proxy that lacks a repository, a zip
 * that breaks a rule) reads the server's log.  Once per fetch, however
 * many clients wait on it, and at most once a minute for each kind of
 * failure (lograte.h): any client can ask for versions the upstream does
 * not have, thousands a minute, and while the upstream is down every
 * lookup fails.
 */
static void
log_not_recorded(const struct sdbd_upstream *u, const char *path, const char *version, int rc,
    struct sdb_errbuf *eb)
{
	char line[SDB_ERRBUF_SIZE + 512];

	if (u->log_line == NULL)
		return;
	if (snprintf(line, sizeof line, "upstream: %s@%s not recorded: %s", path, version,
	    sdb_errmsg(eb, rc)) < 0)
		return;
	sdbd_lograte_say(u->said, rc, u->log_line, line);
}

/* Fetches, hashes and appends path@version: the work of one flight. */
static int
fetch_and_record(void *arg, const char *path, const char *version, struct sdb_errbuf *eb)
{
	struct sdbd_upstream *u = arg;
	char *epath = NULL, *ever = NULL, *text = NULL;
	size_t elen, vlen, tlen, i;
	sdb_hash h1, gomod_h1;
	struct sdbd_record rec;
	int64_t id;
	int rc;

	rc = sdb_module_escape_path(path, strlen(path), &epath, &elen, eb);
	if (rc == SDB_OK)
		rc = sdb_module_escape_version(version, strlen(version), &ever, &vlen, eb);
	if (rc != SDB_OK) {
		struct sdb_errbuf copy = *eb;

		rc = sdb_errf(eb, SDB_ERR_NOT_FOUND, "%s", sdb_errmsg(&copy, rc));
		goto out;
	}
	/*
	 * As the go command's TryProxies: when every proxy failed, the
	 * answer is the last failure other than "not found", and only when
	 * all of them said "not found" the last of those.  A proxy that is
	 * down ahead of a '|' and one behind it that lacks the version must
	 * not make a 404 (cached, and telling the client the version does
	 * not exist) of what is an upstream failure (502, 504).
	 */
	rc = SDB_ERR_NOT_FOUND;
	for (i = 0; i < u->nproxies; i++) {
		struct sdb_errbuf peb;
		int prc;

		peb.msg[0] = '\0';
		prc = fetch_from(u, &u->proxies[i], path, version, epath, ever, &h1, &gomod_h1, &peb);
		if (prc == SDB_OK) {
			rc = SDB_OK;
			break;
		}
		if (prc != SDB_ERR_NOT_FOUND || rc == SDB_ERR_NOT_FOUND)
			rc = sdb_errf(eb, prc, "%s", sdb_errmsg(&peb, prc));
		if (prc != SDB_ERR_NOT_FOUND && !u->proxies[i].fallthrough_any)
			break;
	}
	if (rc != SDB_OK)
		goto out;
	rc = sdb_record_format(path, strlen(path), version, strlen(version), &h1, &gomod_h1,
	    &text, &tlen, eb);
	if (rc != SDB_OK)
		goto out;
	rec.path = path;
	rec.path_len = strlen(path);
	rec.version = version;
	rec.version_len = strlen(version);
	rec.text = text;
	rec.text_len = tlen;
	rc = sdbd_log_append(u->log, &rec, 1, &id, eb);
	/* recorded meanwhile (an import): the logged record is the answer */
	if (rc == SDB_ERR_EXISTS)
		rc = SDB_OK;
out:
	if (rc != SDB_OK) {
		scrub_message(u, eb);
		log_not_recorded(u, path, version, rc, eb);
	}
	free(epath);
	free(ever);
	free(text);
	return rc;
}

int
sdbd_upstream_miss(void *arg, const char *path, const char *version,
    struct sdb_errbuf *eb)
{
	struct sdbd_upstream *u = arg;
	size_t plen = strlen(path), vlen = strlen(version);
	int rc;

	if (!sdb_module_match_prefix_patterns(u->patterns, path))
		return sdb_errf(eb, SDB_ERR_NOT_FOUND,
		    "module not in this checksum database's private patterns");
	{
		struct sdb_errbuf ceb;

		ceb.msg[0] = '\0';
		if ((rc = sdb_module_check_canonical(path, plen, version, vlen, &ceb)) != SDB_OK)
			return sdb_errf(eb, SDB_ERR_NOT_FOUND, "%s", sdb_errmsg(&ceb, rc));
	}
	return sdbd_flights_run(u->flights, "upstream fetches", path, version, fetch_and_record,
	    u, eb);
}
