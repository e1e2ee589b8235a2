/*
 * The protocol handlers (handlers.h), byte for byte as PROTOCOL.md
 * "Endpoints" draws them:
 *
 *   /latest                  signed tree note
 *   /lookup/ESCPATH@ESCVER   ID\n record \n signed-tree-note
 *   /tile/8/L/NNN[.p/W]      W*32 raw hash bytes of tree level 8L
 *   /tile/8/data/NNN[.p/W]   W record texts, each followed by \n
 *   /sumdb/NAME/supported    200, empty
 *   /sumdb/NAME/<any above>  the same
 *
 * Everything is answered from one published tree, taken once per request
 * (a refcounted sdbd_latest): a record or tile hash that is committed but
 * not yet covered by a published tree is never served, so a client never
 * sees a hash before a signed tree that vouches for it exists.
 *
 * Each worker thread opens its own store reader handle on first use
 * (store handles are not thread-safe) and keeps it until the thread ends.
 * It reads in one snapshot (read transaction) for all the requests of one
 * round of its event loop while the published tree stays the same:
 * outside a transaction SQLite takes and drops its file locks and
 * re-checks the file for every statement.  A snapshot is begun after the
 * tree it serves was published, so it holds all of that tree; it is
 * renewed as soon as a newer tree is published, and ended at the end of
 * the round (sdbd_handle_release).  A snapshot kept across rounds would
 * never let the WAL start over: SQLite rewinds it only when no reader is
 * inside it, and a thread that always holds one (keep-alive clients that
 * never close, a log that grows) made the -wal file grow by every batch,
 * without bound.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/module.h"
#include "csumdb/record.h"
#include "csumdb/store.h"
#include "csumdb/tile.h"
#include "cli/line.h"
#include "clock.h"
#include "handlers.h"
#include "limits.h"
#include "lograte.h"
#include "lookup_index.h"

/* Cache lifetimes (PROTOCOL.md "Caching"): full tiles never change; a
 * partial tile of a given width never changes either, but a cache in front
 * of us should not pin narrow tiles for long; /latest and lookups carry
 * the newest tree, which moves. */
#define CC_IMMUTABLE "public, max-age=31536000, immutable"
#define CC_PARTIAL "public, max-age=60"
#define CC_LATEST "no-cache, max-age=0"
#define CC_LOOKUP "public, max-age=60"
#define CC_NOT_FOUND "public, max-age=60"
/* A failure of this server (a database it cannot read) is no answer
 * about the log: no cache in front of us may keep it. */
#define CC_ERROR "no-store"

#define CT_TEXT "text/plain; charset=UTF-8"
#define CT_OCTETS "application/octet-stream"

struct sdbd_handlers {
	char *db_path;
	char *name;
	size_t name_len;
	struct sdbd_log *log;
	pthread_key_t key;
	sdbd_lookup_miss_fn miss;
	sdbd_lookup_pool_fn miss_pool;
	void *miss_arg;
	/* The lookup index (lookup_index.h), built in ix_thread while the
	 * server already answers; NULL until then, or for good when it
	 * could not be built (lookups then go to the store alone). */
	_Atomic(struct sdbd_lookup_index *) ix;
	pthread_t ix_thread;
	int ix_started;
	int64_t ix_max;
	atomic_int ix_stop;   /* sdbd_handlers_index_stop */
	void (*log_line)(const char *line);   /* or NULL */
	/* The lines of reads of the database that failed while serving
	 * (sdbd_handlers_set_log), each kind at most once a minute, and
	 * what the operator is to do about them (fsck_advice). */
	void (*store_line)(const char *line);  /* or NULL */
	struct sdbd_lograte_set *said;
	char *fsck_advice;
};

/* A worker thread's reader handle and the tree size its open snapshot
 * serves (-1: no snapshot). */
struct reader {
	struct sdb_store *s;
	int64_t snap_n;
};

static void
close_reader(void *p)
{
	struct reader *rd = p;

	sdb_store_snapshot_end(rd->s);
	sdb_store_close(rd->s);
	free(rd);
}

/* The build's stop (sdbd_lookup_index_build): the server is stopping. */
static int
index_stopped(void *arg)
{
	struct sdbd_handlers *h = arg;

	return atomic_load_explicit(&h->ix_stop, memory_order_relaxed);
}

/* Builds the lookup index on a read handle of its own and publishes it,
 * and tells the operator what it holds or why there is none: its memory
 * shows in the server's size, and without it a large log's lookups cost
 * more (sumdbd.8 "LARGE LOGS").  Records added from now on are not in
 * it: they are found in the store.  A stop ends the build at the next
 * record (sdbd_handlers_index_stop). */
static void *
build_index(void *arg)
{
	struct sdbd_handlers *h = arg;
	struct sdbd_lookup_index *ix = NULL;
	struct sdb_errbuf eb = { { 0 } };
	struct sdb_store *s = NULL;
	long long t0 = sdb_clock_ms();
	char line[512];
	int rc;

	rc = sdb_store_open(&s, h->db_path, SDB_STORE_READ, &eb);
	if (rc == SDB_OK)
		rc = sdbd_lookup_index_build(&ix, s, h->ix_max, index_stopped, h, &eb);
	sdb_store_close(s);
	if (rc != SDB_OK && index_stopped(h)) {
		snprintf(line, sizeof line, "lookup index: not built (the server is stopping: %s)",
		    sdb_errmsg(&eb, rc));
	} else if (rc == SDB_OK) {
		atomic_store_explicit(&h->ix, ix, memory_order_release);
		snprintf(line, sizeof line, "lookup index: %zu record%s in %.1f MiB, built in %.1f s",
		    sdbd_lookup_index_count(ix), sdbd_lookup_index_count(ix) == 1 ? "" : "s",
		    (double)sdbd_lookup_index_bytes(ix) / (1024.0 * 1024.0),
		    (double)(sdb_clock_ms() - t0) / 1000.0);
	} else {
		snprintf(line, sizeof line, "lookup index: none (%s); lookups read the database's "
		    "own index", sdb_errmsg(&eb, rc));
	}
	if (h->log_line != NULL)
		h->log_line(line);
	return NULL;
}

/*
 * What the log line of a failed read tells the operator to do, for the
 * database db_path: "run: sumdbd fsck --db WORD", the path as one shell
 * word to paste, when every byte of it is printable ASCII; else the
 * command without the path, since a log line shows such a byte as '?'
 * and the command would name another file.  NULL when out of memory.
 */
static char *
fsck_advice(const char *db_path)
{
	static const char head[] = "stop the server and check the database with: sumdbd fsck --db ";
	char *w, *s;
	size_t n;

	if ((w = cli_sh_word(db_path)) == NULL)
		return errno == EINVAL ? strdup("stop the server and check the database with "
		    "sumdbd fsck (its path holds bytes shown here as '?')") : NULL;
	n = sizeof head + strlen(w);
	if ((s = malloc(n)) != NULL)
		snprintf(s, n, "%s%s", head, w);
	free(w);
	return s;
}

int
sdbd_handlers_new(struct sdbd_handlers **out, const char *db_path, const char *name,
    struct sdbd_log *log, struct sdb_errbuf *eb)
{
	struct sdbd_handlers *h;
	int rc;

	*out = NULL;
	h = calloc(1, sizeof *h);
	if (h == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	h->db_path = strdup(db_path);
	h->name = strdup(name);
	if (h->db_path == NULL || h->name == NULL) {
		free(h->db_path);
		free(h->name);
		free(h);
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	}
	if (pthread_key_create(&h->key, close_reader) != 0) {
		free(h->db_path);
		free(h->name);
		free(h);
		return sdb_errf(eb, SDB_ERR_INTERNAL, "pthread_key_create failed");
	}
	if ((rc = sdbd_lograte_set_new(&h->said)) != SDB_OK ||
	    (h->fsck_advice = fsck_advice(db_path)) == NULL) {
		sdbd_lograte_set_free(h->said);
		pthread_key_delete(h->key);
		free(h->db_path);
		free(h->name);
		free(h);
		return rc != SDB_OK ? sdb_errf(eb, rc, "cannot make the handlers' log line counts") :
		    sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	}
	h->name_len = strlen(name);
	h->log = log;
	atomic_init(&h->ix, NULL);
	atomic_init(&h->ix_stop, 0);
	*out = h;
	return SDB_OK;
}

void
sdbd_handlers_index(struct sdbd_handlers *h, int64_t max_records,
    void (*log_line)(const char *line))
{
	h->log_line = log_line;
	h->ix_max = max_records;
	/* Without the thread lookups simply all go to the store. */
	h->ix_started = pthread_create(&h->ix_thread, NULL, build_index, h) == 0;
	if (!h->ix_started && log_line != NULL)
		log_line("lookup index: none (no thread to build it); lookups read the database's "
		    "own index");
}

void
sdbd_handlers_set_log(struct sdbd_handlers *h, void (*log_line)(const char *line))
{
	h->store_line = log_line;
}

void
sdbd_handlers_set_miss(struct sdbd_handlers *h, sdbd_lookup_miss_fn fn, sdbd_lookup_pool_fn pool,
    void *arg)
{
	h->miss = fn;
	h->miss_pool = pool;
	h->miss_arg = arg;
}

void
sdbd_handlers_index_stop(struct sdbd_handlers *h)
{
	atomic_store(&h->ix_stop, 1);
}

void
sdbd_handlers_free(struct sdbd_handlers *h)
{
	if (h == NULL)
		return;
	sdbd_handlers_index_stop(h);
	if (h->ix_started)
		pthread_join(h->ix_thread, NULL);
	sdbd_lookup_index_free(atomic_load(&h->ix));
	sdbd_lograte_set_flush(h->said, h->store_line);
	sdbd_lograte_set_free(h->said);
	free(h->fsck_advice);
	pthread_key_delete(h->key);
	free(h->db_path);
	free(h->name);
	free(h);
}

/* This thread's reader handle, opened on first use, reading in a snapshot
 * that holds the published tree of size n (taken by the caller before
 * this call); NULL when the handle cannot be opened (the request then gets
 * 503 and the next one tries again).  When a snapshot cannot be begun the
 * handle reads outside one, each statement seeing the newest commit. */
static struct sdb_store *
thread_store(struct sdbd_handlers *h, int64_t n)
{
	struct reader *rd = pthread_getspecific(h->key);

	if (rd == NULL) {
		rd = calloc(1, sizeof *rd);
		if (rd == NULL)
			return NULL;
		rd->snap_n = -1;
		if (sdb_store_open(&rd->s, h->db_path, SDB_STORE_READ, NULL) != SDB_OK) {
			free(rd);
			return NULL;
		}
		if (pthread_setspecific(h->key, rd) != 0) {
			sdb_store_close(rd->s);
			free(rd);
			return NULL;
		}
	}
	if (rd->snap_n != n) {
		sdb_store_snapshot_end(rd->s);
		rd->snap_n = sdb_store_snapshot_begin(rd->s, NULL) == SDB_OK ? n : -1;
	}
	return rd->s;
}

void
sdbd_handle_release(void *ctx)
{
	struct sdbd_handlers *h = ctx;
	struct reader *rd = pthread_getspecific(h->key);

	if (rd != NULL && rd->snap_n >= 0) {
		sdb_store_snapshot_end(rd->s);
		rd->snap_n = -1;
	}
}

static void
set_static(struct sdbd_http_response *r, int status, const char *cc, const char *body)
{
	r->status = status;
	r->content_type = CT_TEXT;
	r->cache_control = cc;
	r->body = (char *)body;
	r->len = strlen(body);
	r->body_static = 1;
}

/* A short text body from a printf format; falls back to a static body when
 * memory runs out.  Bytes outside printable ASCII (a message may quote
 * request bytes) become '?', so the body stays one clean line.  A line
 * longer than SDB_MAX_ERROR_LINE, which the go command would not show at
 * all, keeps its start (what failed) and its end (why), its middle (the
 * module path again, in a URL) cut out. */
static void SDB_PRINTF(4, 5)
set_textf(struct sdbd_http_response *r, int status, const char *cc, const char *fmt, ...)
{
	static const char cut[] = " ... ";
	const size_t head = (SDB_MAX_ERROR_LINE - (sizeof cut - 1)) / 2;
	const size_t tail = SDB_MAX_ERROR_LINE - (sizeof cut - 1) - head;
	char *buf;
	va_list ap;
	int n;
	size_t i, len;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL) {
		set_static(r, status, cc, "error\n");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(buf, (size_t)n + 1, fmt, ap);
	va_end(ap);
	len = (size_t)n;
	for (i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e)
			buf[i] = '?';
	if (len > SDB_MAX_ERROR_LINE) {
		memcpy(buf + head, cut, sizeof cut - 1);
		memmove(buf + head + (sizeof cut - 1), buf + len - tail, tail);
		len = SDB_MAX_ERROR_LINE;
	}
	/* len <= n: the terminating NUL's byte takes the '\n' */
	buf[len++] = '\n';
	r->body = buf;
	r->len = len;
	r->body_static = 0;
	r->status = status;
	r->content_type = CT_TEXT;
	r->cache_control = cc;
}

/*
 * Answers a read of the database that failed while serving what fmt
 * says (a lookup or a tile, formatted only here, on the failure): 500
 * with body, never to be cached, and a log line naming the database,
 * SQLite's or the store's reason (eb, rc) and what to do
 * (h->fsck_advice), each kind of error at most once a minute.  The
 * server goes on serving: one damaged page fails only the requests that
 * read it.
 */
static void __attribute__((format(printf, 6, 7)))
store_failed(struct sdbd_handlers *h, struct sdbd_http_response *r, const char *body,
    int rc, const struct sdb_errbuf *eb, const char *fmt, ...)
{
	char line[SDBD_LINE_MAX], what[SDBD_LINE_MAX / 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	set_static(r, 500, CC_ERROR, body);
	snprintf(line, sizeof line, "database %s: %s: %s; %s", h->db_path, what,
	    eb->msg[0] != '\0' ? eb->msg : sdb_strerror(rc), h->fsck_advice);
	sdbd_lograte_say(h->said, rc, h->store_line, line);
}

static void
set_owned(struct sdbd_http_response *r, const char *ct, const char *cc, char *body, size_t len)
{
	r->status = 200;
	r->content_type = ct;
	r->cache_control = cc;
	r->body = body;
	r->len = len;
	r->body_static = 0;
}

static void
serve_latest(struct sdbd_handlers *h, struct sdbd_http_response *r)
{
	const struct sdbd_latest *l = sdbd_log_latest(h->log);
	char *body = malloc(l->note_len ? l->note_len : 1);

	if (body == NULL) {
		sdbd_latest_put(l);
		set_static(r, 503, NULL, "out of memory\n");
		return;
	}
	memcpy(body, l->note, l->note_len);
	set_owned(r, CT_TEXT, CC_LATEST, body, l->note_len);
	sdbd_latest_put(l);
}

/* Builds the lookup answer "ID\n TEXT \n NOTE" (PROTOCOL.md "/lookup")
 * straight from the store's row, in one buffer, for record ids the
 * published tree l covers. */
struct lookup_answer {
	const struct sdbd_latest *l;
	int64_t id;                  /* of the record answered; -1: none */
	char *out;
	size_t olen;
};

static int
lookup_answer_fn(void *arg, const struct sdb_store_record *rec)
{
	struct lookup_answer *a = arg;

	a->id = rec->id;
	if (rec->id >= a->l->tree.n)
		return SDB_OK;   /* committed, not yet published */
	return sdb_lookup_response_format(rec->id, (const char *)rec->text, rec->text_len,
	    a->l->note, a->l->note_len, &a->out, &a->olen, NULL);
}

/* Looks path@version up and answers from the published tree.  Returns 1
 * when answered, 0 when the record is not covered by that tree (absent,
 * or committed but not yet published). */
static int
answer_lookup(struct sdbd_handlers *h, const char *path, size_t plen, const char *version,
    size_t vlen, struct sdbd_http_response *r)
{
	struct lookup_answer a = { sdbd_log_latest(h->log), -1, NULL, 0 };
	struct sdb_store *s = thread_store(h, a.l->tree.n);
	const struct sdbd_lookup_index *ix;
	struct sdb_errbuf eb;   /* its message is read only after a failure */
	int rc = SDB_ERR_NOT_FOUND;

	eb.msg[0] = '\0';

	if (s == NULL) {
		sdbd_latest_put(a.l);
		set_static(r, 503, CC_ERROR, "database unavailable\n");
		return 1;
	}
	/* The index names candidate ids, each checked against the stored
	 * record: a hit is one read by primary key.  What it does not know
	 * (added since it was built, or not built yet) the store's
	 * (path, version) index finds. */
	ix = atomic_load_explicit(&h->ix, memory_order_acquire);
	if (ix != NULL) {
		int64_t ids[SDBD_LOOKUP_INDEX_MAX_CANDIDATES];
		size_t nc = sdbd_lookup_index_find(ix, path, plen, version, vlen, ids), k;

		for (k = 0; k < nc && rc == SDB_ERR_NOT_FOUND; k++)
			rc = sdb_store_record_with(s, ids[k], path, plen, version, vlen,
			    lookup_answer_fn, &a, &eb);
	}
	if (rc == SDB_ERR_NOT_FOUND) {
		uint8_t *text = NULL;
		size_t tlen;
		int64_t id;

		rc = sdb_store_lookup(s, path, version, &id, &text, &tlen, &eb);
		if (rc == SDB_OK) {
			struct sdb_store_record rec = { id, path, version, text, tlen };
			rc = lookup_answer_fn(&a, &rec);
			free(text);
		}
	}
	sdbd_latest_put(a.l);
	if (rc == SDB_ERR_NOT_FOUND || (rc == SDB_OK && a.out == NULL))
		return 0;
	if (rc != SDB_OK) {
		store_failed(h, r, rc == SDB_ERR_IO || rc == SDB_ERR_NOMEM || rc == SDB_ERR_INTERNAL ?
		    "internal error: reading the database failed\n" :
		    "internal error: stored record is malformed\n", rc, &eb,
		    "lookup of %.*s@%.*s", (int)plen, path, (int)vlen, version);
		return 1;
	}
	set_owned(r, CT_TEXT, CC_LOOKUP, a.out, a.olen);
	return 1;
}

/* A lookup miss handed to the listener's defer threads (http.h), so that
 * the miss function (an upstream fetch: seconds) never holds a worker. */
struct miss_job {
	struct sdbd_handlers *h;
	char *path, *version;
	char *key;                   /* "path@version": the listener's key
	                              * of the work (http.h), so that the
	                              * misses of one version share one run
	                              * and its answer */
};

static void
miss_job_free(void *arg)
{
	struct miss_job *j = arg;

	free(j->path);
	free(j->version);
	free(j->key);
	free(j);
}

/* Runs in a defer thread: the miss function, then the answer (issue 4):
 * recorded: the lookup; not found: 404; the upstream timed out: 504; any
 * other failure: 502. */
static void
miss_job_run(void *arg, struct sdbd_http_response *r)
{
	struct miss_job *j = arg;
	struct sdbd_handlers *h = j->h;
	struct sdb_errbuf eb = { { 0 } };
	int rc;

	/* Recorded while the job waited in the queue (another client's
	 * fetch of the same version ended meanwhile): answer, fetch nothing. */
	if (answer_lookup(h, j->path, strlen(j->path), j->version, strlen(j->version), r))
		goto out;
	/* the fetch takes seconds, or minutes of a slow upstream: a snapshot
	 * held over it would keep the WAL from starting over all that time */
	sdbd_handle_release(h);
	rc = h->miss(h->miss_arg, j->path, j->version, &eb);
	if (rc == SDB_OK &&
	    answer_lookup(h, j->path, strlen(j->path), j->version, strlen(j->version), r))
		goto out;
	if (rc == SDB_OK || rc == SDB_ERR_NOT_FOUND)
		set_textf(r, 404, CC_NOT_FOUND, "not found: %s@%s: %s", j->path, j->version,
		    eb.msg[0] ? eb.msg : "not recorded in this checksum database");
	else if (sdbd_log_failing(h->log))
		set_textf(r, 503, NULL, "cannot record %s@%s now, try again later: %s",
		    j->path, j->version, sdb_errmsg(&eb, rc));
	else
		set_textf(r, rc == SDB_ERR_TIMEOUT ? 504 : 502, NULL, "fetching %s@%s failed: %s",
		    j->path, j->version, sdb_errmsg(&eb, rc));
out:
	/* a defer thread has no event loop whose rounds would end its
	 * read snapshot: end it now */
	sdbd_handle_release(h);
}

static void
serve_lookup(struct sdbd_handlers *h, const char *req, size_t len, struct sdbd_http_response *r)
{
	struct sdb_errbuf eb = { { 0 } };
	char *path = NULL, *version = NULL;
	size_t plen, vlen;
	int rc;

	rc = sdb_lookup_parse(req, len, &path, &plen, &version, &vlen, &eb);
	if (rc == SDB_ERR_NOMEM) {
		set_static(r, 503, NULL, "out of memory\n");
		return;
	}
	if (rc == SDB_ERR_INVALID) {
		set_static(r, 400, NULL, "invalid module@version syntax\n");
		return;
	}
	if (rc != SDB_OK) {
		set_textf(r, 400, NULL, "invalid module@version: %s", sdb_errmsg(&eb, rc));
		return;
	}
	/* The gate lets through versions such as v01.2.3, which no record
	 * holds: refuse them as malformed rather than look them up. */
	rc = sdb_module_check_canonical(path, plen, version, vlen, &eb);
	if (rc != SDB_OK) {
		set_textf(r, 400, NULL, "invalid module@version: %s", sdb_errmsg(&eb, rc));
		goto out;
	}
	if (answer_lookup(h, path, plen, version, vlen, r))
		goto out;
	if (h->miss == NULL) {
		set_textf(r, 404, CC_NOT_FOUND, "not found: %s@%s: not recorded in this checksum database",
		    path, version);
		goto out;
	}
	{
		struct miss_job *j = malloc(sizeof *j);

		if (j == NULL || (j->key = malloc(plen + vlen + 2)) == NULL) {
			free(j);
			set_static(r, 503, NULL, "out of memory\n");
			goto out;
		}
		memcpy(j->key, path, plen);
		j->key[plen] = '@';
		memcpy(j->key + plen + 1, version, vlen);
		j->key[plen + vlen + 1] = '\0';
		j->h = h;
		j->path = path;
		j->version = version;
		path = version = NULL;
		r->defer = miss_job_run;
		r->defer_free = miss_job_free;
		r->defer_arg = j;
		r->defer_key = j->key;
		r->defer_pool = h->miss_pool != NULL ? h->miss_pool(h->miss_arg, j->path) : 0;
	}
out:
	free(path);
	free(version);
}

/* Collects a data tile: each record text followed by "\n". */
struct data_buf {
	char *p;
	size_t len, cap;
};

static int
data_add(void *arg, const struct sdb_store_record *rec)
{
	struct data_buf *b = arg;
	size_t need = rec->text_len + 1;

	if (b->cap - b->len < need) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;
		while (cap - b->len < need)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL)
			return SDB_ERR_NOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, rec->text, rec->text_len);
	b->p[b->len + rec->text_len] = '\n';
	b->len += need;
	return 0;
}

static void
serve_tile(struct sdbd_handlers *h, const char *tpath, size_t len, struct sdbd_http_response *r)
{
	const struct sdbd_latest *l;
	struct sdb_tile t;
	struct sdb_store *s;
	int64_t count, tree_n;
	struct sdb_errbuf eb;   /* its message is read only after a failure */
	const char *cc;
	int rc;

	if (sdb_tile_parse(&t, tpath, len) != SDB_OK) {
		set_static(r, 400, NULL, "invalid tile path\n");
		return;
	}
	if (t.h != SDB_TILE_HEIGHT || t.l > SDB_STORE_MAX_TILE_LEVEL) {
		set_static(r, 404, CC_NOT_FOUND, "not found: this log has tiles of height 8 only\n");
		return;
	}
	/* Serve only what the published tree covers: tile n of width w at
	 * level L lists hashes n*256 .. n*256+w-1 of tree level 8L, of which
	 * the tree has N >> 8L. */
	l = sdbd_log_latest(h->log);
	count = tree_n = l->tree.n;
	sdbd_latest_put(l);
	if (t.l > 0)
		count >>= 8 * t.l;
	if (count < t.w || t.n > (count - t.w) / SDB_STORE_TILE_WIDTH) {
		set_static(r, 404, CC_NOT_FOUND, "not found: tile beyond the tree\n");
		return;
	}
	cc = t.w == SDB_STORE_TILE_WIDTH ? CC_IMMUTABLE : CC_PARTIAL;
	/* A full tile the published tree covers never changes: the listener
	 * may answer its path from memory from now on. */
	r->immutable = t.w == SDB_STORE_TILE_WIDTH;
	s = thread_store(h, tree_n);
	if (s == NULL) {
		set_static(r, 503, CC_ERROR, "database unavailable\n");
		return;
	}
	eb.msg[0] = '\0';
	if (t.l >= 0) {
		uint8_t *hashes;
		size_t hlen;
		rc = sdb_store_tile(s, t.l, t.n, t.w, &hashes, &hlen, &eb);
		if (rc != SDB_OK || hlen != (size_t)t.w * SDB_HASH_SIZE) {
			if (rc == SDB_OK) {
				free(hashes);
				rc = sdb_errf(&eb, SDB_ERR_DAMAGED, "the stored tile holds %zu bytes, "
				    "not %zu", hlen, (size_t)t.w * SDB_HASH_SIZE);
			}
			store_failed(h, r, "internal error: reading the tile failed\n", rc, &eb,
			    "%.*s", (int)(len < 100 ? len : 100), tpath);
			return;
		}
		set_owned(r, CT_OCTETS, cc, (char *)hashes, hlen);
		return;
	}
	{
		struct data_buf b = { NULL, 0, 0 };
		rc = sdb_store_records(s, t.n * SDB_STORE_TILE_WIDTH, t.w, data_add, &b, &eb);
		if (rc != SDB_OK) {
			free(b.p);
			store_failed(h, r, "internal error: reading the records failed\n", rc, &eb,
			    "%.*s", (int)(len < 100 ? len : 100), tpath);
			return;
		}
		/* A full tile may be kept by the listener, which counts its
		 * length against the cache's budget: give back the room the
		 * doubling left (a 36 KB tile in a 64 KiB buffer). */
		if (r->immutable && b.cap > b.len) {
			char *p = realloc(b.p, b.len);
			if (p != NULL)
				b.p = p;
		}
		set_owned(r, CT_TEXT, cc, b.p, b.len);
	}
}

void
sdbd_handle(void *ctx, const char *path, size_t len, struct sdbd_http_response *r)
{
	struct sdbd_handlers *h = ctx;
	static const char sumdb[] = "/sumdb/";
	static const char lookup[] = "/lookup/";
	static const char tile[] = "/tile/";

	/* /sumdb/NAME/... is the GOPROXY form: strip the prefix when NAME is
	 * ours (it may contain '/'), then serve as usual. */
	if (len > sizeof sumdb - 1 && memcmp(path, sumdb, sizeof sumdb - 1) == 0) {
		const char *p = path + sizeof sumdb - 1;
		size_t rest = len - (sizeof sumdb - 1);
		if (rest <= h->name_len || memcmp(p, h->name, h->name_len) != 0 ||
		    p[h->name_len] != '/') {
			set_textf(r, 404, CC_NOT_FOUND, "not found: no such checksum database: "
			    "this server is %s, at /sumdb/%s/", h->name, h->name);
			return;
		}
		path = p + h->name_len;
		len = rest - h->name_len;
		if (len == sizeof "/supported" - 1 && memcmp(path, "/supported", len) == 0) {
			set_static(r, 200, NULL, "");
			return;
		}
	}
	if (len == sizeof "/latest" - 1 && memcmp(path, "/latest", len) == 0) {
		serve_latest(h, r);
		return;
	}
	if (len >= sizeof lookup - 1 && memcmp(path, lookup, sizeof lookup - 1) == 0) {
		serve_lookup(h, path + sizeof lookup - 1, len - (sizeof lookup - 1), r);
		return;
	}
	if (len >= sizeof tile - 1 && memcmp(path, tile, sizeof tile - 1) == 0) {
		/* sdb_tile_parse takes the path with its "tile/" prefix. */
		serve_tile(h, path + 1, len - 1, r);
		return;
	}
	/* Shown by the go command to a developer whose GOPROXY names this
	 * server alone, as "server response: ...": say what it is. */
	set_textf(r, 404, CC_NOT_FOUND, "not found: %s is a checksum database (GOSUMDB), "
	    "not a module proxy (GOPROXY): it serves /latest, /lookup/ and /tile/, "
	    "also under /sumdb/%s/", h->name, h->name);
}
