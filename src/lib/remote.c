/*
 * A remote checksum database (csumdb/remote.h), shared by the verifier
 * (sumdb) and the server's public-log path (sumdbd): /latest, /lookup and
 * tiles over src/lib/fetch.h, with an in-memory tile cache and the state
 * file's cache, all behind the authenticating tile reader.
 *
 * Threads (remote.h): every check reads tiles through a reader of its own
 * (struct sdb_remote_reader), so that what several threads share is the
 * HTTP client, which is thread-safe, and the memory cache below, whose
 * mutex is held to copy one tile in or out and never across a fetch.
 */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csumdb/audit.h"
#include "csumdb/audit_lookup.h"
#include "csumdb/module.h"
#include "csumdb/treenote.h"
#include "limits.h"
#include "csumdb/remote.h"
#include "clock.h"
#include "fetch.h"
#include "url.h"

/* Refetches of a body that did not parse or verify. */
#define SDB_REMOTE_REFETCHES 3

/* The memory cache: SDB_REMOTE_MEMCACHE_SLOTS slots by tile. */
struct cache_slot {
	struct sdb_tile t;          /* w = 0: empty */
	uint8_t data[256 * SDB_HASH_SIZE];
};

struct sdb_remote_cache {
	pthread_mutex_t mu;         /* held for a copy, never across a fetch */
	struct cache_slot slots[SDB_REMOTE_MEMCACHE_SLOTS];
};

int
sdb_remote_errwrap(struct sdb_errbuf *eb, int code, int err, const char *prefix)
{
	return sdb_errf(eb, code, "%s: %s", prefix, sdb_errmsg(eb, err));
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void
sdb_remote_scrub(const struct sdb_remote *r, struct sdb_errbuf *eb)
{
	sdb_url_scrub(eb, r->base, r->shown);
}

/* GET base/path by deadline_ms (0: none); *status (when not NULL) is the
 * HTTP status of an answer other than 200, 0 when there was none. */
static int
get_path(struct sdb_remote *r, const char *path, size_t max, long long deadline_ms,
    char **body, size_t *len, long *status, struct sdb_errbuf *eb)
{
	struct sdb_fetch_response res = { 0, NULL, 0, 0 };
	size_t ul = strlen(r->base) + strlen(path) + 2;
	char *url = malloc(ul);
	int err;

	*body = NULL;
	*len = 0;
	if (status != NULL)
		*status = 0;
	if (url == NULL)
		return SDB_ERR_NOMEM;
	snprintf(url, ul, "%s/%s", r->base, path);
	err = sdb_fetch_get_until(r->fetch, url, max, deadline_ms, &res, eb);
	if (err == SDB_ERR_TOO_LARGE)
		err = sdb_errf(eb, SDB_ERR_IO, "%s: response over %zu bytes", url, max);
	if (err != SDB_OK) {
		free(url);
		sdb_remote_scrub(r, eb);
		/* a caller with a deadline tells "too late" from "failed" */
		if (err == SDB_ERR_TIMEOUT && deadline_ms != 0)
			return err;
		return err == SDB_ERR_NOMEM ? err : SDB_ERR_IO;
	}
	if (res.status != 200) {
		char hint[SDB_MAX_ERROR_LINE + 1];

		if (status != NULL)
			*status = res.status;
		sdb_fetch_body_hint(res.body, res.len, hint, sizeof hint);
		err = sdb_errf(eb, res.status == 404 || res.status == 410 ? SDB_ERR_NOT_FOUND :
		    SDB_ERR_IO, "%s: HTTP %ld%s%s", url, res.status, hint[0] != '\0' ? ": " : "",
		    hint);
	} else {
		*body = res.body;
		*len = res.len;
		res.body = NULL;
		err = SDB_OK;
	}
	sdb_fetch_response_clear(&res);
	free(url);
	if (err != SDB_OK)
		sdb_remote_scrub(r, eb);
	return err;
}

int
sdb_remote_get(struct sdb_remote *r, const char *path, size_t max, char **body, size_t *len,
    struct sdb_errbuf *eb)
{
	return get_path(r, path, max, 0, body, len, NULL, eb);
}

/*
 * Fetches tile t into buf (t->w hashes) by deadline_ms (as get_path's);
 * *len is the body's length, which the caller's tile reader checks (one
 * byte more than wanted is read, to see a body too long).  A partial tile
 * the log no longer serves is read as the first t->w hashes of the full
 * tile (c2sp.org/tlog-tiles lets a log delete a partial tile once the
 * full one is there; x/mod's client reads the full tile then, after any
 * failure): the reader authenticates those bytes as any others, and a
 * full tile of the wrong size gives none.  Any HTTP status but 200 counts
 * as "no longer served" (an object store without list permission answers
 * 403 for a deleted object); a failure to reach the log does not, so that
 * a log that is down is not asked twice.
 */
static int
fetch_tile(struct sdb_remote *r, const struct sdb_tile *t, long long deadline_ms, uint8_t *buf,
    size_t *len, struct sdb_errbuf *eb)
{
	char path[SDB_TILE_PATH_MAX], *body = NULL;
	size_t want = (size_t)t->w * SDB_HASH_SIZE;
	struct sdb_tile full = *t;
	struct sdb_errbuf teb = { { 0 } };
	long status;
	int err;

	*len = 0;
	if ((err = sdb_tile_format(t, path, sizeof path, NULL)) != SDB_OK)
		return err;
	err = get_path(r, path, want + 1, deadline_ms, &body, len, &status, &teb);
	full.w = 1 << t->h;
	if (err != SDB_OK && status != 0 && t->w < full.w) {
		struct sdb_errbuf feb = { { 0 } };
		size_t fwant = (size_t)full.w * SDB_HASH_SIZE;

		/* the partial tile's own answer is the message if this fails */
		if (sdb_tile_format(&full, path, sizeof path, NULL) == SDB_OK &&
		    get_path(r, path, fwant + 1, deadline_ms, &body, len, NULL, &feb) == SDB_OK) {
			err = SDB_OK;
			if (*len == fwant)
				*len = want;
		}
	}
	if (err == SDB_ERR_NOT_FOUND)
		err = SDB_ERR_IO; /* a tile the signed tree has must exist */
	if (err != SDB_OK)
		return sdb_errf(eb, err, "%s", sdb_errmsg(&teb, err));
	memcpy(buf, body, *len < want ? *len : want);
	free(body);
	return SDB_OK;
}

/* --- the memory cache and the readers ----------------------------------- */

static struct cache_slot *
cache_slot(struct sdb_remote_cache *c, const struct sdb_tile *t)
{
	uint64_t k = (uint64_t)t->n * 31u + (uint64_t)(t->l + 1) * 1000003u;

	return &c->slots[k % SDB_REMOTE_MEMCACHE_SLOTS];
}

/* Copies tile t (t->w hashes) into buf and returns 1 when the cache holds
 * it or a wider one, else 0. */
static int
cache_get(struct sdb_remote_cache *c, const struct sdb_tile *t, uint8_t *buf)
{
	const struct cache_slot *s;
	int hit;

	pthread_mutex_lock(&c->mu);
	s = cache_slot(c, t);
	hit = s->t.w >= t->w && s->t.l == t->l && s->t.n == t->n && s->t.h == t->h;
	if (hit)
		memcpy(buf, s->data, (size_t)t->w * SDB_HASH_SIZE);
	pthread_mutex_unlock(&c->mu);
	return hit;
}

/* Keeps tiles[0..n) (data[i]: tiles[i].w hashes), a wider tile over a
 * narrower one. */
static void
cache_put(struct sdb_remote_cache *c, const struct sdb_tile *tiles, size_t n,
    const uint8_t *const *data)
{
	size_t i;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < n; i++) {
		struct cache_slot *s = cache_slot(c, &tiles[i]);

		if (s->t.l == tiles[i].l && s->t.n == tiles[i].n && s->t.w >= tiles[i].w)
			continue;
		s->t = tiles[i];
		memcpy(s->data, data[i], (size_t)tiles[i].w * SDB_HASH_SIZE);
	}
	pthread_mutex_unlock(&c->mu);
}

void
sdb_remote_mem_clear(struct sdb_remote *r)
{
	struct sdb_remote_cache *c = r->cache;
	size_t i;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < SDB_REMOTE_MEMCACHE_SLOTS; i++)
		c->slots[i].t.w = 0;
	pthread_mutex_unlock(&c->mu);
}

static int
reader_read(void *ctx, const struct sdb_tile *tiles, size_t n, uint8_t *const *bufs, size_t *lens)
{
	struct sdb_remote_reader *rd = ctx;
	struct sdb_remote *r = rd->r;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		const struct sdb_tile *t = &tiles[i];
		size_t want = (size_t)t->w * SDB_HASH_SIZE;

		if (!rd->network_only && cache_get(r->cache, t, bufs[i])) {
			lens[i] = want;
			continue;
		}
		if (!rd->network_only && r->state != NULL &&
		    sdb_state_tile_get(r->state, t, bufs[i], want) == SDB_OK) {
			lens[i] = want;
			continue;
		}
		if ((err = fetch_tile(r, t, rd->deadline_ms, bufs[i], &lens[i], &rd->net_eb)) != SDB_OK)
			return err;
	}
	return SDB_OK;
}

static void
reader_save(void *ctx, const struct sdb_tile *tiles, size_t n, const uint8_t *const *data)
{
	struct sdb_remote_reader *rd = ctx;
	struct sdb_remote *r = rd->r;
	size_t i;

	cache_put(r->cache, tiles, n, data);
	if (r->state == NULL)
		return;
	for (i = 0; i < n; i++) {
		struct sdb_remote_pending *p;
		size_t len = (size_t)tiles[i].w * SDB_HASH_SIZE;

		if (r->npending == r->cap_pending) {
			size_t nc = r->cap_pending ? 2 * r->cap_pending : 64;
			struct sdb_remote_pending *np = realloc(r->pending, nc * sizeof *np);
			if (np == NULL)
				return; /* only an optimisation */
			r->pending = np;
			r->cap_pending = nc;
		}
		p = &r->pending[r->npending];
		if ((p->data = malloc(len)) == NULL)
			return;
		memcpy(p->data, data[i], len);
		p->t = tiles[i];
		r->npending++;
	}
}

void
sdb_remote_reader_init(struct sdb_remote_reader *rd, struct sdb_remote *r, long long deadline_ms)
{
	memset(rd, 0, sizeof *rd);
	rd->r = r;
	rd->deadline_ms = deadline_ms;
	rd->src.read = reader_read;
	rd->src.save = reader_save;
	rd->src.ctx = rd;
}

void
sdb_remote_drop_cache(struct sdb_remote *r)
{
	size_t i;

	for (i = 0; i < r->npending; i++)
		free(r->pending[i].data);
	r->npending = 0;
}

int
sdb_remote_commit_cache(struct sdb_remote *r, struct sdb_errbuf *eb)
{
	const uint8_t **data;
	struct sdb_tile *t;
	size_t i;
	int err;

	if (r->state == NULL || r->npending == 0) {
		sdb_remote_drop_cache(r);
		return SDB_OK;
	}
	data = calloc(r->npending, sizeof *data);
	t = calloc(r->npending, sizeof *t);
	if (data != NULL && t != NULL) {
		for (i = 0; i < r->npending; i++) {
			data[i] = r->pending[i].data;
			t[i] = r->pending[i].t;
		}
		err = sdb_state_tiles_put(r->state, t, r->npending, data, NULL, eb);
	} else {
		err = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	}
	free(data);
	free(t);
	sdb_remote_drop_cache(r);
	return err;
}

/* The pause before refetch number n (0, 1, ...) of something that did
 * not verify: none the first time, then longer each time, so that a
 * garbled answer (a proxy or a frontend having a bad moment) can pass. */
static long
refetch_delay_ms(int n)
{
	return n > 0 ? 200L << n : 0;
}

static void
refetch_pause(int n)
{
	if (n > 0)
		pause_ms(refetch_delay_ms(n));
}

/* A check that reads through a tile source (refetch_tiles runs it). */
typedef int (*remote_tile_op)(const struct sdb_tile_source *src, void *arg,
    struct sdb_errbuf *eb);

/*
 * Runs op through a reader of its own over r, by deadline_ms (0: none);
 * when the tiles it read do not authenticate or have the wrong size, runs
 * it again with the network alone (no cached tile), a few times with
 * refetch_pause, none starting past the deadline: a stale or damaged
 * cache entry or a garbled answer must never be reported as the server's
 * fault, while a tile the server keeps serving wrong is.  Tiles that stay
 * the wrong size prove nothing (SDB_ERR_IO).  A refetch the deadline
 * leaves no time for ends the check as SDB_ERR_TIMEOUT: it never came to
 * an end, and a tile that might yet have come whole is not called one
 * that did not authenticate.  Inclusion and consistency checks, the
 * verifier's and the server's, all come through here, so that they draw
 * that line in one place.
 */
static int
refetch_tiles(struct sdb_remote *r, long long deadline_ms, remote_tile_op op, void *arg,
    struct sdb_errbuf *eb)
{
	struct sdb_remote_reader rd;
	int err, n;

	sdb_remote_reader_init(&rd, r, deadline_ms);
	err = op(&rd.src, arg, eb);
	for (n = 0; n < SDB_REMOTE_REFETCHES &&
	    (err == SDB_ERR_TILE_MISMATCH || err == SDB_ERR_INVALID); n++) {
		if (deadline_ms != 0 && sdb_clock_ms() + refetch_delay_ms(n) >= deadline_ms)
			return sdb_errf(eb, SDB_ERR_TIMEOUT, "tiles did not authenticate (%s), and "
			    "fetching them again would pass the time allowed",
			    sdb_errmsg(eb, err));
		sdb_remote_mem_clear(r);
		rd.network_only = 1;
		refetch_pause(n);
		rd.net_eb.msg[0] = '\0';
		err = op(&rd.src, arg, eb);
	}
	if ((err == SDB_ERR_IO || err == SDB_ERR_TIMEOUT) && rd.net_eb.msg[0] != '\0')
		err = sdb_errf(eb, err, "%s", rd.net_eb.msg);
	if (err == SDB_ERR_INVALID)
		err = sdb_remote_errwrap(eb, SDB_ERR_IO, err, "tiles of the wrong size");
	return err;
}

struct read_hashes_arg {
	const struct sdb_tree *tree;
	const int64_t *idx;
	size_t n;
	sdb_hash *out;
};

static int
read_hashes_op(const struct sdb_tile_source *src, void *arg, struct sdb_errbuf *eb)
{
	struct read_hashes_arg *a = arg;

	return sdb_tile_read_hashes(a->tree, SDB_REMOTE_TILE_HEIGHT, src, a->idx, a->n, a->out, eb);
}

int
sdb_remote_read_hashes(struct sdb_remote *r, const struct sdb_tree *tree, const int64_t *idx,
    size_t n, sdb_hash *out, struct sdb_errbuf *eb)
{
	struct read_hashes_arg a = { tree, idx, n, out };

	return refetch_tiles(r, 0, read_hashes_op, &a, eb);
}

struct consistency_arg {
	const struct sdb_tree *accepted, *latest;
	struct sdb_audit_result *res;
};

static int
consistency_op(const struct sdb_tile_source *src, void *arg, struct sdb_errbuf *eb)
{
	struct consistency_arg *a = arg;

	return sdb_audit_consistency(a->accepted, a->latest, SDB_REMOTE_TILE_HEIGHT, src, a->res, eb);
}

int
sdb_remote_consistency(struct sdb_remote *r, const struct sdb_tree *accepted,
    const struct sdb_tree *latest, struct sdb_audit_result *res, struct sdb_errbuf *eb)
{
	struct consistency_arg a = { accepted, latest, res };

	return refetch_tiles(r, 0, consistency_op, &a, eb);
}

struct edge_arg {
	const struct sdb_tree *tree;
};

static int
edge_op(const struct sdb_tile_source *src, void *arg, struct sdb_errbuf *eb)
{
	const struct sdb_tree *tree = ((struct edge_arg *)arg)->tree;
	struct sdb_tile_hash_reader thr;
	struct sdb_hash_reader hr;
	sdb_hash h;

	sdb_tile_hash_reader_init(&thr, tree, SDB_REMOTE_TILE_HEIGHT, src, eb, &hr);
	return sdb_tlog_tree_hash(tree->n, &hr, &h);
}

/* sdb_remote_check_edge by deadline_ms (0: none). */
static int
check_edge_until(struct sdb_remote *r, const struct sdb_tree *tree, long long deadline_ms,
    struct sdb_errbuf *eb)
{
	static const sdb_hash zero = { { 0 } };
	struct edge_arg a = { tree };

	/* no tiles: the root of no records is 32 zero bytes (x/mod) */
	if (tree->n == 0)
		return memcmp(tree->hash.b, zero.b, SDB_HASH_SIZE) == 0 ? SDB_OK :
		    sdb_errf(eb, SDB_ERR_ROOT_MISMATCH, "a tree of 0 records hashes to 32 zero "
		    "bytes, not to the hash signed for it");
	return refetch_tiles(r, deadline_ms, edge_op, &a, eb);
}

int
sdb_remote_check_edge(struct sdb_remote *r, const struct sdb_tree *tree, struct sdb_errbuf *eb)
{
	return check_edge_until(r, tree, 0, eb);
}

int
sdb_remote_check_tree_until(struct sdb_remote *r, const struct sdb_tree *accepted,
    const struct sdb_tree *tree, long long deadline_ms, struct sdb_audit_result *res,
    struct sdb_errbuf *eb)
{
	struct consistency_arg c = { accepted, tree, res };

	memset(res, 0, sizeof *res);
	if (accepted != NULL)
		return refetch_tiles(r, deadline_ms, consistency_op, &c, eb);
	return check_edge_until(r, tree, deadline_ms, eb);
}

/* --- setup ------------------------------------------------------------- */

/*
 * Whether the authority auth[0..n) (what is between "//" and the first
 * '/', '?' or '#') ends in a host and port that parse: after the
 * credentials (up to its last '@'), a host or [IPv6 literal], then
 * nothing or ':' and a port (digits, at most 65535: a larger one would
 * fail only at the first fetch).  A password holding a '/', '?' or '#'
 * as it is cuts the authority short inside it ("user:pa" of
 * user:pa/ss@host), and libcurl refuses the URL as malformed, in a
 * message that quotes it; so does an '@' in them.
 */
static int
authority_ok(const char *auth, size_t n)
{
	const char *p = auth, *end = auth + n, *q;
	int ats = 0;

	for (q = auth; q < end; q++)
		if (*q == '@') {
			p = q + 1;
			ats++;
		}
	if (ats > 1)
		return 0;   /* an '@' in the credentials, as it is */
	if (p < end && *p == '[') {
		while (p < end && *p != ']')
			p++;
		if (p == end)
			return 0;
		p++;
		if (p < end && *p != ':')
			return 0;
	} else {
		while (p < end && *p != ':')
			p++;
	}
	if (p < end) {
		unsigned long port = 0;

		for (p++; p < end; p++) {
			if (*p < '0' || *p > '9')
				return 0;
			port = port * 10 + (unsigned long)(*p - '0');
			if (port > 65535)
				return 0;
		}
	}
	return 1;
}

int
sdb_remote_url_check(const char *url, const char *option, struct sdb_errbuf *eb)
{
	const char *why = NULL, *auth = strstr(url, "://");
	size_t alen = 0;
	char *shown;
	int err;

	if (auth != NULL) {
		auth += 3;
		alen = strcspn(auth, "/?#");
	}
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0 &&
	    strncmp(url, "file://", 7) != 0)
		why = "want http://, https:// or file://";
	else if (!authority_ok(auth, alen))
		why = "its host and port (up to the first '/', '?' or '#') do not parse: a user "
		      "name or password holding '/', '?', '#' or '@' must be percent-encoded "
		      "(%2F, %3F, %23, %40), and a port is a number up to 65535";
	else if (!sdb_url_has_host(url))
		why = "no host: want http://HOST[:PORT][/PATH] or https://HOST[:PORT][/PATH]";
	/* A password whose '/' follows digits ("user:1234/5678@host") cuts
	 * the authority short where it still parses, as host "user" and
	 * port 1234: the request would go to that host, the rest of the
	 * password in its path, and every message would quote it.  An '@'
	 * past the authority of an http(s) URL is taken for that, and a
	 * log's base URL with an '@' in its path writes it as %40. */
	else if (strncmp(url, "file://", 7) != 0 && strchr(auth + alen, '@') != NULL)
		why = "an '@' after its host and port: a user name or password holding '/', '?' "
		      "or '#' must be percent-encoded (%2F, %3F, %23), and so must an '@' in its "
		      "path (%40)";
	/* the log's paths, or a module proxy's (sumdbd's --upstream), go
	 * after the URL's own: after a query they would be part of it, and
	 * every lookup would be "not found" */
	else if (strpbrk(url, "?#") != NULL)
		why = strncmp(option, "--upstream", 10) == 0 ?
		      "a URL with a query (?) or a fragment (#) cannot be followed by module "
		      "paths (PATH/@v/VERSION.zip): give the module proxy's base URL, as in "
		      "GOPROXY, without the query or fragment" :
		      "a URL with a query (?) or a fragment (#) cannot be followed by the "
		      "log's paths: give the log's base URL";
	if (why == NULL)
		return SDB_OK;
	/* An '@' past the authority may end credentials that a '/', '?' or
	 * '#' in them cut short: the URL is not shown then, not even in
	 * part (a nightly job's log keeps what it prints). */
	if (auth != NULL && strchr(auth + alen, '@') != NULL)
		shown = strdup("(the URL given)");
	else
		shown = sdb_url_shown(url);
	err = sdb_errf(eb, SDB_ERR_INVALID, "%s %s: %s", option,
	    shown != NULL ? shown : "(the URL given)", why);
	free(shown);
	return err;
}

/*
 * Whether a key's name can be the log's URL as https://NAME: a host (and
 * port), then nothing or a path not ending in '/', as the go command
 * wants a name with no URL of its own.  A key's name may hold what no
 * host name does (DEL, C1 controls, '?', '@', '%': Go's note format takes
 * any name without spaces or '+'), and made into a URL that is sent off
 * as something else (a query, credentials, an escape) or refused by
 * libcurl as malformed, in words that say nothing of the name.
 */
static int
name_is_host_path(const char *name)
{
	const unsigned char *p;
	size_t n = strlen(name), host = strcspn(name, "/");

	if (n == 0 || host == 0 || name[n - 1] == '/')
		return 0;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p <= 0x20 || *p == 0x7f || strchr("?#@%\\", *p) != NULL ||
		    (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
			return 0;
	return authority_ok(name, host);
}

int
sdb_remote_open(struct sdb_remote *r, const char *key_arg, const char *url,
    const char *url_option, struct sdb_errbuf *eb)
{
	struct sdb_fetch_options opt;
	size_t n;
	int err;

	memset(r, 0, sizeof *r);
	if ((err = sdb_note_verifier_from_arg(&r->v, key_arg, eb)) != SDB_OK)
		return err;
	if ((err = sdb_note_verifier_format(r->v, &r->vkey)) != SDB_OK)
		goto fail;
	if (url == NULL) {
		const char *name = sdb_note_verifier_name(r->v);

		if (!name_is_host_path(name)) {
			/* named as messages name keys (sdb_note_sig_shown):
			 * quoted when it holds what is not printable ASCII */
			char q[160];
			size_t i, len = strlen(name);

			for (i = 0; i < len && name[i] > 0x20 && name[i] < 0x7f; i++)
				;
			if (i < len)
				sdb_quote(q, sizeof q, name, len);
			else
				snprintf(q, sizeof q, "%.*s", (int)(len < 128 ? len : 128), name);
			err = sdb_errf(eb, SDB_ERR_INVALID, "the key's name %s is not a host name "
			    "(HOST[:PORT][/PATH]), so the log's URL cannot be https://NAME: give the "
			    "log's URL with %s", q, url_option);
			goto fail;
		}
		n = strlen(name) + 9;
		if ((r->base = malloc(n)) == NULL) {
			err = SDB_ERR_NOMEM;
			goto fail;
		}
		snprintf(r->base, n, "https://%s", name);
	} else {
		if ((err = sdb_remote_url_check(url, url_option, eb)) != SDB_OK)
			goto fail;
		if ((r->base = strdup(url)) == NULL) {
			err = SDB_ERR_NOMEM;
			goto fail;
		}
		n = strlen(r->base);
		while (n > 0 && r->base[n - 1] == '/')
			r->base[--n] = '\0';
	}
	if ((r->shown = sdb_url_shown(r->base)) == NULL) {
		err = SDB_ERR_NOMEM;
		goto fail;
	}
	memset(&opt, 0, sizeof opt);
	if ((err = sdb_fetch_new(&r->fetch, &opt, eb)) != SDB_OK)
		goto fail;
	if ((r->cache = calloc(1, sizeof *r->cache)) == NULL) {
		err = SDB_ERR_NOMEM;
		goto fail;
	}
	if (pthread_mutex_init(&r->cache->mu, NULL) != 0) {
		free(r->cache);
		r->cache = NULL;
		err = sdb_errf(eb, SDB_ERR_INTERNAL, "could not make the tile cache's mutex");
		goto fail;
	}
	return SDB_OK;
fail:
	sdb_remote_close(r);
	return err;
}

void
sdb_remote_close(struct sdb_remote *r)
{
	sdb_fetch_free(r->fetch);
	sdb_note_verifier_free(r->v);
	free(r->vkey);
	free(r->base);
	free(r->shown);
	if (r->cache != NULL) {
		pthread_mutex_destroy(&r->cache->mu);
		free(r->cache);
	}
	sdb_remote_drop_cache(r);
	free(r->pending);
	memset(r, 0, sizeof *r);
}

/* --- signed trees -------------------------------------------------------- */

/*
 * Whether note[0..len), which has no signature by the key, is the note
 * answered last time (*prev, a copy kept here for the next call; the
 * caller frees it).  A note garbled on the way (a byte of the key's name
 * or key hash) is fetched again, as one whose signature does not verify
 * is; the same note twice is the log's own answer (another log, another
 * key), which asking again would not change.
 */
static int
unverified_again(char **prev, size_t *prevlen, const char *note, size_t len)
{
	if (*prev != NULL && *prevlen == len && memcmp(*prev, note, len) == 0)
		return 1;
	free(*prev);
	if ((*prev = malloc(len + 1)) != NULL) {
		memcpy(*prev, note, len);
		*prevlen = len;
	}
	return 0;
}

int
sdb_remote_latest(struct sdb_remote *r, struct sdb_tree *tree, char **note, size_t *len,
    struct sdb_errbuf *eb)
{
	char *body = NULL, *prev = NULL;
	size_t blen = 0, prevlen = 0;
	int err = SDB_ERR_IO, attempt;

	*note = NULL;
	for (attempt = 0; attempt <= SDB_REMOTE_REFETCHES; attempt++) {
		if (attempt > 0)
			pause_ms(200L << attempt);
		free(body);
		if ((err = sdb_remote_get(r, "latest", SDB_MAX_NOTE_SIZE, &body, &blen, eb)) != SDB_OK) {
			if (err == SDB_ERR_NOT_FOUND)
				err = SDB_ERR_IO;
			break; /* fetch.h has already retried network errors */
		}
		err = sdb_tree_note_open(tree, NULL, body, blen, r->v, eb);
		if (err == SDB_OK || err == SDB_ERR_NOMEM || (err == SDB_ERR_UNVERIFIED_NOTE &&
		    unverified_again(&prev, &prevlen, body, blen)))
			break;
	}
	free(prev);
	if (err != SDB_OK) {
		free(body);
		/* A note that never parses proves nothing: could not check. */
		if (!sdb_err_is_verification(err) && err != SDB_ERR_NOMEM && err != SDB_ERR_IO)
		{
			char pre[1100];
			snprintf(pre, sizeof pre, "%s/latest", r->shown);
			err = sdb_remote_errwrap(eb, SDB_ERR_IO, err, pre);
		}
		return err;
	}
	*note = body;
	*len = blen;
	return SDB_OK;
}

void
sdb_remote_answer_clear(struct sdb_remote_answer *a)
{
	free(a->body);
	memset(a, 0, sizeof *a);
}

/* A garbled record that is not a go.sum record (bad) fails the inclusion
 * check that follows, and the caller fetches it again. */
int
sdb_remote_lookup_fetch_until(struct sdb_remote *r, const char *path, const char *version,
    long long deadline_ms, struct sdb_remote_answer *a, int *bad, struct sdb_errbuf *why,
    struct sdb_errbuf *eb)
{
	char *ep = NULL, *ev = NULL, *req = NULL, *prev = NULL;
	struct sdb_record rec;
	size_t rl, prevlen = 0;
	int err, attempt;

	memset(a, 0, sizeof *a);
	if (bad != NULL)
		*bad = 0;
	if ((err = sdb_module_escape_path(path, strlen(path), &ep, NULL, eb)) != SDB_OK ||
	    (err = sdb_module_escape_version(version, strlen(version), &ev, NULL, eb)) != SDB_OK)
		goto out;
	rl = strlen(ep) + strlen(ev) + 16;
	if ((req = malloc(rl)) == NULL) {
		err = SDB_ERR_NOMEM;
		goto out;
	}
	snprintf(req, rl, "lookup/%s@%s", ep, ev);
	for (attempt = 0; attempt <= SDB_REMOTE_REFETCHES; attempt++) {
		/* no refetch past the deadline: the check never came to an end,
		 * and an answer garbled on the way is not called the log's */
		if (attempt > 0 && deadline_ms != 0 &&
		    sdb_clock_ms() + (200L << attempt) >= deadline_ms) {
			err = sdb_errf(eb, SDB_ERR_TIMEOUT, "%s/%s: the answer did not parse or "
			    "verify (%s), and fetching it again would pass the time allowed",
			    r->shown, req, sdb_errmsg(eb, err));
			goto out;
		}
		if (attempt > 0)
			pause_ms(200L << attempt);
		sdb_remote_answer_clear(a);
		err = get_path(r, req, SDB_MAX_RECORD_SIZE + SDB_MAX_NOTE_SIZE + 32, deadline_ms,
		    &a->body, &a->len, NULL, eb);
		if (err != SDB_OK)
			goto out;
		err = sdb_lookup_response_split(a->body, a->len, &a->id, &a->text, &a->note, eb);
		if (err == SDB_OK && bad != NULL)
			*bad = sdb_record_parse(a->text.p, a->text.len, &rec, why) != SDB_OK;
		else if (err == SDB_OK)
			err = sdb_record_parse(a->text.p, a->text.len, &rec, eb);
		if (err == SDB_OK)
			err = sdb_tree_note_open(&a->tree, NULL, a->note.p, a->note.len, r->v, eb);
		a->opened = err == SDB_OK;
		if (err == SDB_OK || err == SDB_ERR_NOMEM || (err == SDB_ERR_UNVERIFIED_NOTE &&
		    unverified_again(&prev, &prevlen, a->note.p, a->note.len)))
			break;
	}
	if (err != SDB_OK) {
		if (!sdb_err_is_verification(err) && err != SDB_ERR_NOMEM)
		{
			char pre[1100];
			snprintf(pre, sizeof pre, "%s/%s", r->shown, req);
			err = sdb_remote_errwrap(eb, SDB_ERR_IO, err, pre);
		}
		goto out;
	}
	if ((bad == NULL || !*bad) && (rec.path.len != strlen(path) ||
	    memcmp(rec.path.p, path, rec.path.len) != 0 || rec.version.len != strlen(version) ||
	    memcmp(rec.version.p, version, rec.version.len) != 0)) {
		err = sdb_errf(eb, SDB_ERR_RECORD_MISMATCH,
		    "the log answered the lookup of %s@%s with the record of %.*s %.*s", path,
		    version, (int)rec.path.len, rec.path.p, (int)rec.version.len, rec.version.p);
		goto out;
	}
	if (a->id >= a->tree.n) {
		err = sdb_errf(eb, SDB_ERR_RECORD_MISMATCH,
		    "record %" PRId64 " is not in the signed tree of %" PRId64 " records", a->id,
		    a->tree.n);
		goto out;
	}
	err = SDB_OK;
out:
	/* A body that failed verification is the evidence; anything else
	 * proves nothing and is dropped. */
	if (err != SDB_OK && !sdb_err_is_verification(err))
		sdb_remote_answer_clear(a);
	free(ep);
	free(ev);
	free(req);
	free(prev);
	return err;
}

struct inclusion_arg {
	const struct sdb_tree *tree;
	int64_t id;
	const char *text;
	size_t tlen;
};

static int
inclusion_op(const struct sdb_tile_source *src, void *arg, struct sdb_errbuf *eb)
{
	struct inclusion_arg *a = arg;

	return sdb_audit_inclusion(a->tree, a->id, a->text, a->tlen, SDB_REMOTE_TILE_HEIGHT, src,
	    eb);
}

int
sdb_remote_check_inclusion_until(struct sdb_remote *r, const struct sdb_tree *tree, int64_t id,
    const char *text, size_t tlen, long long deadline_ms, struct sdb_errbuf *eb)
{
	struct inclusion_arg a = { tree, id, text, tlen };

	return refetch_tiles(r, deadline_ms, inclusion_op, &a, eb);
}

int
sdb_remote_check_inclusion(struct sdb_remote *r, const struct sdb_tree *tree, int64_t id,
    const char *text, size_t tlen, struct sdb_errbuf *eb)
{
	return sdb_remote_check_inclusion_until(r, tree, id, text, tlen, 0, eb);
}

int
sdb_remote_lookup(struct sdb_remote *r, const char *path, const char *version,
    sdb_remote_tree_fn on_tree, void *ctx, int64_t *id, char **text, size_t *tlen,
    struct sdb_tree *tree, char **note, size_t *nlen, struct sdb_errbuf *eb)
{
	struct sdb_remote_answer a;
	struct sdb_errbuf why, kept_eb = { { 0 } };
	int err, n, bad = 0, kept = SDB_OK;

	*text = NULL;
	*note = NULL;
	for (n = 0;; n++) {
		int garbled = 0, fetched;

		err = sdb_remote_lookup_fetch_until(r, path, version, 0, &a, &bad, &why, eb);
		/* The signed tree first, whatever the answer around it: a fork
		 * shown in an answer whose record is then asked for again, or
		 * beside tiles that do not match it, is still a fork.  A tree
		 * that could not be checked is kept for the end: what the
		 * record shows (a forgery) outranks it. */
		if (a.opened && on_tree != NULL) {
			struct sdb_errbuf teb = { { 0 } };
			int terr = on_tree(ctx, &a.tree, a.note.p, a.note.len, &teb);

			if (sdb_err_is_verification(terr) || terr == SDB_ERR_NOMEM) {
				err = sdb_errf(eb, terr, "%s", sdb_errmsg(&teb, terr));
				break;
			}
			if (terr != SDB_OK && kept == SDB_OK) {
				kept = terr;
				sdb_errf(&kept_eb, terr, "%s", sdb_errmsg(&teb, terr));
			}
		}
		/* a mismatch found by the fetch (another module's record, an
		 * id past the tree) keeps its own words: the record may well be
		 * the tree's, for another module */
		fetched = err == SDB_OK;
		if (err == SDB_OK)
			err = sdb_remote_check_inclusion(r, &a.tree, a.id, a.text.p, a.text.len, eb);
		if (err == SDB_ERR_RECORD_MISMATCH && bad) {
			/* an answer that does not parse, as before: could not
			 * check, never a forgery */
			garbled = 1;
			err = sdb_errf(eb, SDB_ERR_IO, "%s: the answer for %s@%s does not parse: %s",
			    r->shown, path, version, why.msg);
		} else if (err == SDB_ERR_RECORD_MISMATCH && fetched) {
			err = sdb_errf(eb, err, "the record for %s@%s is not record %" PRId64
			    " of the signed tree of %" PRId64 " records", path, version, a.id,
			    a.tree.n);
		} else if (err == SDB_OK && bad) {
			/* Not a go.sum record, and in the signed tree: the log
			 * signed it, as audit --full would find (not fetched
			 * again: these are the very bytes the tree holds). */
			err = sdb_errf(eb, SDB_ERR_BAD_RECORD, "record %" PRId64 " of the signed tree "
			    "of %" PRId64 " records, the log's answer for %s@%s, is not a valid go.sum "
			    "record: %s", a.id, a.tree.n, path, version, why.msg);
		}
		/* An answer whose record is not the tree's (a wrong id, a
		 * damaged hash) may have been garbled on the way, as a tile
		 * can be: ask again before calling it a forgery. */
		if ((err != SDB_ERR_RECORD_MISMATCH && !garbled) || n == SDB_REMOTE_REFETCHES)
			break;
		sdb_remote_answer_clear(&a);
		refetch_pause(n);
	}
	/* a record that verified does not make a tree that could not be
	 * checked good */
	if (err == SDB_OK && kept != SDB_OK)
		err = sdb_errf(eb, kept, "%s", kept_eb.msg);
	if (err == SDB_OK || err == SDB_ERR_BAD_RECORD) {
		if ((*text = malloc(a.text.len + 1)) == NULL ||
		    (*note = malloc(a.note.len + 1)) == NULL) {
			free(*text);
			*text = NULL;
			err = SDB_ERR_NOMEM;
		} else {
			memcpy(*text, a.text.p, a.text.len);
			(*text)[a.text.len] = '\0';
			*tlen = a.text.len;
			memcpy(*note, a.note.p, a.note.len);
			(*note)[a.note.len] = '\0';
			*nlen = a.note.len;
			*id = a.id;
			*tree = a.tree;
		}
	}
	sdb_remote_answer_clear(&a);
	return err;
}
