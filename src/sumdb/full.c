/*
 * sumdb audit --full (full.h): download every data tile through a bounded
 * window kept full by a few threads (the checking thread never waits for
 * a whole batch), which also parse and hash each tile they fetched (the
 * bulk of the work, so it runs in parallel); the checking thread takes
 * the tiles in order, compares each full tile's root with the
 * authenticated level-1 hashes, folds everything into the tree and
 * compares it with the signed root; resumable through the state.
 */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "csumdb/audit.h"
#include "csumdb/dupidx.h"
#include "csumdb/module.h"
#include "csumdb/record.h"
#include "fetch.h"
#include "full.h"
#include "json.h"
#include "limits.h"
#include "sync.h"

_Static_assert(FULL_WAKE_BATCH >= 1 && FULL_WAKE_BATCH < FULL_WINDOW,
    "a batch of tiles to wait for must fit in the window");

/* Most findings of each kind one run prints one by one and keeps as
 * evidence: a log of millions of invalid records must not make the state
 * as large (each evidence insert looks for the same text first); the
 * others are counted, and the summary says so. */
#define FULL_MAX_PRINTED 20

/* One tile being downloaded; its body buffer is kept from tile to tile. */
struct dl_slot {
	struct sdb_tile t;
	char *body;
	size_t len, cap;
	int err;
	struct sdb_errbuf eb;
};

/* Makes s the slot of data tile n of width w, keeping its buffer. */
static void
slot_reset(struct dl_slot *s, int64_t n, int w)
{
	memset(&s->t, 0, sizeof s->t);
	s->t.h = 8;
	s->t.l = -1;
	s->t.n = n;
	s->t.w = w;
	s->len = 0;
	s->err = SDB_OK;
	s->eb.msg[0] = '\0';
}

/* What a download thread works out from its data tile, so that the
 * checking thread only compares, indexes and folds: parsing and hashing,
 * most of the audit's CPU, run on the download threads in parallel. */
struct tile_work {
	int err;			/* sdb_audit_data_tile's result */
	struct sdb_errbuf eb;		/* and its message */
	long bad;			/* first invalid record, or -1 */
	sdb_hash root;
	struct sdb_span recs[SDB_MAX_DATA_TILE_WIDTH];
	struct sdb_record parsed[SDB_MAX_DATA_TILE_WIDTH];
	sdb_hash leaves[SDB_MAX_DATA_TILE_WIDTH];
	struct sdb_dupidx_entry ent[SDB_MAX_DATA_TILE_WIDTH];
	size_t nent;
};

/* The download window: tiles [consumed, consumed + FULL_WINDOW) may be in
 * flight; slot k % FULL_WINDOW holds tile k.  A slot belongs to the thread
 * that took its tile until it is marked ready, then to the checking thread
 * until that thread raises the limit past it. */
struct dl_pipe {
	struct sdb_remote *r;
	struct dl_slot *slots;
	struct tile_work *work;		/* work[k % FULL_WINDOW]: slot k's */
	unsigned char *ready;
	int64_t next, limit, end, full_tiles, tree_n;
	int64_t want_from, want_to;	/* the checking thread sleeps until
					 * [want_from, want_to] are ready;
					 * -1 when it does not sleep */
	int stop, idle;			/* idle: threads waiting on more */
	pthread_mutex_t mu;
	pthread_cond_t more, done;
};

static int
fetch_tile(struct sdb_remote *r, struct dl_slot *s)
{
	struct sdb_fetch_response res = { 0, s->body, 0, s->cap };
	char path[SDB_TILE_PATH_MAX], url[2048];
	int err;

	if ((err = sdb_tile_format(&s->t, path, sizeof path, NULL)) != SDB_OK)
		return err;
	if ((size_t)snprintf(url, sizeof url, "%s/%s", r->base, path) >= sizeof url)
		return sdb_errf(&s->eb, SDB_ERR_IO, "URL too long");
	err = sdb_fetch_get_reuse(r->fetch, url, (size_t)s->t.w * SDB_MAX_RECORD_SIZE, &res,
	    &s->eb);
	s->body = res.body;
	s->cap = res.cap;
	if (err == SDB_OK && res.status != 200)
		err = sdb_errf(&s->eb, SDB_ERR_IO, "%s: HTTP %ld", url, res.status);
	if (err != SDB_OK) {
		sdb_remote_scrub(r, &s->eb);
		return err == SDB_ERR_NOMEM ? err : SDB_ERR_IO;
	}
	s->len = res.len;
	return SDB_OK;
}

/* Parses and hashes the records of s's tile into w and makes the
 * duplicate-index entries of the valid ones, two at a time. */
static void
work_tile(const struct dl_slot *s, struct tile_work *w)
{
	const char *pv[2];
	size_t pl[2], i, n = (size_t)s->t.w;
	int64_t pid[2];
	int np = 0;

	w->nent = 0;
	w->err = sdb_audit_data_tile(s->body, s->len, n, w->recs, w->parsed, w->leaves,
	    &w->root, &w->bad, &w->eb);
	if (w->err != SDB_OK)
		return;
	for (i = 0; i < n; i++) {
		const struct sdb_record *rec = &w->parsed[i];

		if (rec->path.p == NULL)
			continue;
		/* the key is "path version", the start of the first line */
		pv[np] = w->recs[i].p;
		pl[np] = (size_t)(rec->version.p + rec->version.len - w->recs[i].p);
		pid[np] = s->t.n * 256 + (int64_t)i;
		if (++np == 2) {
			sdb_dupidx_entry_make2(&w->ent[w->nent], pv, pl, pid);
			w->nent += 2;
			np = 0;
		}
	}
	if (np == 1)
		sdb_dupidx_entry_make(&w->ent[w->nent++], pv[0], pl[0], pid[0]);
}

static void *
dl_worker(void *arg)
{
	struct dl_pipe *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct dl_slot *s;
		int64_t k;

		while (!p->stop && p->next >= p->limit && p->next < p->end) {
			p->idle++;
			pthread_cond_wait(&p->more, &p->mu);
			p->idle--;
		}
		if (p->stop || p->next >= p->end)
			break;
		k = p->next++;
		s = &p->slots[k % FULL_WINDOW];
		pthread_mutex_unlock(&p->mu);
		slot_reset(s, k, k < p->full_tiles ? 256 : (int)(p->tree_n % 256));
		s->err = fetch_tile(p->r, s);
		if (s->err == SDB_OK)
			work_tile(s, &p->work[k % FULL_WINDOW]);
		pthread_mutex_lock(&p->mu);
		p->ready[k % FULL_WINDOW] = 1;
		if (p->want_from >= 0 && p->ready[p->want_from % FULL_WINDOW] &&
		    p->ready[p->want_to % FULL_WINDOW])
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Waits until tile k is downloaded (or failed); returns its slot.  When
 * it has to sleep, it sleeps until the next FULL_WAKE_BATCH tiles are
 * ready (the first and last of them, which is nearly always all). */
static struct dl_slot *
dl_wait(struct dl_pipe *p, int64_t k)
{
	pthread_mutex_lock(&p->mu);
	if (!p->ready[k % FULL_WINDOW]) {
		p->want_from = k;
		p->want_to = k + FULL_WAKE_BATCH - 1 < p->end ? k + FULL_WAKE_BATCH - 1 : p->end - 1;
		while (!p->ready[k % FULL_WINDOW] || !p->ready[p->want_to % FULL_WINDOW])
			pthread_cond_wait(&p->done, &p->mu);
		p->want_from = -1;
	}
	pthread_mutex_unlock(&p->mu);
	return &p->slots[k % FULL_WINDOW];
}

/* Hands slot k back: its tile is checked; tile k + FULL_WINDOW may go. */
static void
dl_release(struct dl_pipe *p, int64_t k)
{
	pthread_mutex_lock(&p->mu);
	p->ready[k % FULL_WINDOW] = 0;
	p->limit = k + 1 + FULL_WINDOW;
	/* idle threads are woken for a batch of free tiles, or for the
	 * last ones */
	if (p->idle > 0 && (p->limit - p->next >= FULL_WAKE_BATCH || p->limit >= p->end))
		pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->mu);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Keeps a finding, text[0..len), as evidence in the state (one entry per
 * finding, however often it is met), so that it can be shown after the
 * run that found it; every later run reports the count.  A failure to
 * store, or a text that could not be made (NULL), is a warning with the
 * finding's text: it is counted all the same.
 */
/* What check_tile and the duplicate callback share. */
struct findings_ctx {
	struct sdb_state *st;
	const char *log;           /* the log's name */
	struct cli_progress *bar;  /* ended before a message is printed */
};

static void
store_text(const struct findings_ctx *fc, const char *text, size_t len)
{
	/* a warning that it could not be stored goes on a line of its own */
	cli_progress_break(fc->bar);
	(void)evidence_store(fc->st, "audit", text, len, 1);
}

/* store_text of a formatted finding. */
static void SDB_PRINTF(2, 3)
store_finding(const struct findings_ctx *fc, const char *fmt, ...)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	va_list ap;

	if (f != NULL) {
		va_start(ap, fmt);
		vfprintf(f, fmt, ap);
		va_end(ap);
	}
	if (f == NULL || fclose(f) != 0) {
		free(text);
		text = NULL;
	}
	store_text(fc, text, len);
	free(text);
}

char *
full_bad_record_text(const char *log, int64_t id, const char *text, size_t len, const char *why,
    size_t *out_len)
{
	char q[1024], *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (f == NULL)
		return NULL;
	/* no tree size in the text: a record in the tail tile is met again
	 * by every run, in a larger tree, and must stay one piece of
	 * evidence */
	fprintf(f, "invalid record in the log: %s: record %" PRId64 " is not a valid go.sum "
	    "record: %s\nrecord %" PRId64 " as served: %s\n", log, id, why, id,
	    sdb_quote(q, sizeof q, text, len));
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*out_len = n;
	return buf;
}

/* Checks one downloaded data tile (its work done by work_tile): a full
 * tile's root against the authenticated one (want_root), the tail tile's
 * record hashes against the authenticated level-0 hashes (want_leaves),
 * before any record is reported, so that a tile garbled on the way is
 * fetched again rather than taken for the log's; appends its records to f
 * and their entries to the duplicate index. */
static int
check_tile(struct sdb_dupidx *dx, const struct dl_slot *s, const struct tile_work *w,
    const sdb_hash *want_root, const sdb_hash *want_leaves, struct sdb_tlog_frontier *f,
    struct full_report *rep, const struct findings_ctx *fc, struct sdb_errbuf *eb)
{
	char path[SDB_TILE_PATH_MAX];
	size_t i;
	int err;

	if (sdb_tile_format(&s->t, path, sizeof path, NULL) != SDB_OK)
		path[0] = '\0';
	if (w->err != SDB_OK)
		return sdb_errf(eb, SDB_ERR_INVALID, "%s: %s", path, w->eb.msg);
	if (want_root != NULL && memcmp(w->root.b, want_root->b, SDB_HASH_SIZE) != 0)
		return sdb_errf(eb, SDB_ERR_TILE_MISMATCH,
		    "%s: its records do not hash to the authenticated level-0 tile root "
		    "(the data tile does not match the signed tree)", path);
	for (i = 0; want_leaves != NULL && i < (size_t)s->t.w; i++)
		if (memcmp(w->leaves[i].b, want_leaves[i].b, SDB_HASH_SIZE) != 0)
			return sdb_errf(eb, SDB_ERR_TILE_MISMATCH,
			    "%s: its records do not hash to the authenticated level-0 hashes "
			    "(the data tile does not match the signed tree)", path);
	for (i = 0; i < (size_t)s->t.w; i++) {
		struct sdb_errbuf reb;

		/* parsed once more, for the message only */
		if (w->parsed[i].path.p == NULL && rep->bad_records++ < FULL_MAX_PRINTED &&
		    sdb_record_parse(w->recs[i].p, w->recs[i].len, NULL, &reb) != SDB_OK) {
			int64_t id = s->t.n * 256 + (int64_t)i;
			size_t evlen = 0;
			char *ev;

			cli_progress_break(fc->bar);
			cli_linef(stderr, "sumdb audit: record %" PRId64 " is not a valid go.sum "
			    "record: %s", id, reb.msg);
			ev = full_bad_record_text(fc->log, id, w->recs[i].p, w->recs[i].len, reb.msg,
			    &evlen);
			store_text(fc, ev, evlen);
			free(ev);
		}
		/* a full tile joins the tree as one subtree of its root */
		if (s->t.w < 256 &&
		    (err = sdb_tlog_frontier_append(f, &w->leaves[i], NULL, NULL)) != SDB_OK)
			return err;
	}
	if (s->t.w == 256 && (err = sdb_tlog_frontier_append_subtree(f, 8, &w->root)) != SDB_OK)
		return err;
	for (i = 0; i < w->nent; i++)
		if ((err = sdb_dupidx_add(dx, &w->ent[i], eb)) != SDB_OK)
			return err;
	rep->checked += s->t.w;
	return SDB_OK;
}

/* What the duplicate callback needs. */
struct pair_ctx {
	struct sdb_remote *r;
	const struct sdb_tree *tree;
	const struct findings_ctx *fc;
	struct full_report *rep;
	struct sdb_errbuf *eb;
	struct dl_slot slot[2];
	struct sdb_span recs[SDB_MAX_DATA_TILE_WIDTH];
};

/* Downloads record id of the tree into c->slot[k] and checks it against
 * the authenticated level-0 hash; *text, *len point into the slot. */
static int
fetch_record(struct pair_ctx *c, int k, int64_t id, const char **text, size_t *len)
{
	struct dl_slot *s = &c->slot[k];
	int err;

	slot_reset(s, id / 256, id / 256 < c->tree->n / 256 ? 256 : (int)(c->tree->n % 256));
	if ((err = fetch_tile(c->r, s)) != SDB_OK)
		return sdb_errf(c->eb, err, "%s", sdb_errmsg(&s->eb, err));
	if ((err = sdb_data_tile_parse(s->body, s->len, (size_t)s->t.w, 0, c->recs, c->eb)) != SDB_OK)
		return sdb_remote_errwrap(c->eb, SDB_ERR_IO, err, "malformed data tile");
	*text = c->recs[id % 256].p;
	*len = c->recs[id % 256].len;
	return sdb_remote_check_inclusion(c->r, c->tree, id, *text, *len, c->eb);
}

/* Two records with the same key (sdb_dupidx_merge): read both back from
 * the log, authenticated, and compare them; the key is 80 bits of a hash,
 * so a pair whose module@version differ is a collision, not reported. */
static int
on_pair(void *arg, const struct sdb_dupidx_entry *first, const struct sdb_dupidx_entry *again)
{
	struct pair_ctx *c = arg;
	int64_t a = sdb_dupidx_entry_id(first), b = sdb_dupidx_entry_id(again);
	struct sdb_record ra, rb;
	struct sdb_errbuf reb;
	const char *ta = NULL, *tb = NULL;   /* set by fetch_record */
	size_t la = 0, lb = 0;
	int err, same;

	if ((err = fetch_record(c, 0, a, &ta, &la)) != SDB_OK ||
	    (err = fetch_record(c, 1, b, &tb, &lb)) != SDB_OK)
		return err;
	if (sdb_record_parse(ta, la, &ra, &reb) != SDB_OK ||
	    sdb_record_parse(tb, lb, &rb, &reb) != SDB_OK)
		return sdb_errf(c->eb, SDB_ERR_IO, "records %" PRId64 " and %" PRId64
		    " changed between two downloads", a, b);
	if (ra.path.len != rb.path.len || ra.version.len != rb.version.len ||
	    memcmp(ra.path.p, rb.path.p, ra.path.len) != 0 ||
	    memcmp(ra.version.p, rb.version.p, ra.version.len) != 0)
		return SDB_OK;
	same = la == lb && memcmp(ta, tb, la) == 0;
	if (same)
		c->rep->duplicates++;
	else
		c->rep->conflicts++;
	/* the progress line, drawn while the tiles were read, is ended
	 * first: the pair is said on a line of its own */
	if (c->rep->duplicates + c->rep->conflicts <= FULL_MAX_PRINTED) {
		cli_progress_break(c->fc->bar);
		cli_linef(stderr, "sumdb audit: %s: %.*s@%.*s is in the log twice "
		    "(records %" PRId64 " and %" PRId64 ")%s", same ? "duplicate" : "CRITICAL",
		    (int)ra.path.len, ra.path.p, (int)ra.version.len, ra.version.p, a, b,
		    same ? "" : " with conflicting hashes");
	}
	/* both records are valid and authenticated: kept as they are */
	if (!same && c->rep->conflicts <= FULL_MAX_PRINTED)
		store_finding(c->fc, "conflicting hashes in the log: %s: %.*s@%.*s is in the log "
		    "twice with different hashes\nrecord %" PRId64 ":\n%.*s"
		    "record %" PRId64 ":\n%.*s", c->fc->log, (int)ra.path.len, ra.path.p,
		    (int)ra.version.len, ra.version.p, a, (int)la, ta, b, (int)lb, tb);
	return SDB_OK;
}

/* Makes p's mutex and condition variables, all or none.  Returns SDB_OK
 * or SDB_ERR_INTERNAL. */
static int
dl_sync_init(struct dl_pipe *p, struct sdb_errbuf *eb)
{
	pthread_mutex_t *const mu[] = { &p->mu };
	pthread_cond_t *const cv[] = { &p->more, &p->done };

	if (sdb_sync_init(mu, 1, cv, 2) != 0)
		return sdb_errf(eb, SDB_ERR_INTERNAL, "could not make the download threads' mutex "
		    "and condition variables");
	return SDB_OK;
}

/* A duplicate index that cannot be read as one (sdb_dupidx_open or
 * _merge_lazy: SDB_ERR_INVALID) is refused on every run until it is gone;
 * without its files, the next run checks every record again. */
static int
dups_damaged(int err, const char *state_path, struct sdb_errbuf *eb)
{
	if (err != SDB_ERR_INVALID)
		return err;
	return sdb_errf(eb, err, "%s; remove %s-dups and %s-dups.new to check every record again "
	    "from record 0 (the accepted tree and the evidence are kept)", sdb_errmsg(eb, err),
	    state_path, state_path);
}

int
full_audit(struct sdb_remote *r, struct sdb_state *st, const char *state_path,
    const struct sdb_tree *tree, struct full_report *rep, struct sdb_errbuf *eb)
{
	struct sdb_state_dups dups = { 0, 0 };
	struct sdb_state_findings found, now_found;
	struct cli_progress bar;
	struct findings_ctx fc = { st, sdb_note_verifier_name(r->v), &bar };
	struct sdb_dupidx *dx = NULL;
	struct pair_ctx *pc = NULL;
	struct sdb_tlog_frontier f, done;
	struct dl_pipe p;
	pthread_t th[FULL_THREADS];
	int64_t committed, l1_from = 0, full_tiles = tree->n / 256,
	    ntiles = (tree->n + 255) / 256, k, k0, bad_full = 0;
	sdb_hash *l1 = NULL, *tail = NULL;
	int64_t *idx = NULL;
	int err, started = 0, inited = 0, reset = 0, i, compacted;
	double t0 = now();

	memset(rep, 0, sizeof *rep);
	memset(&p, 0, sizeof p);
	rep->tree_size = tree->n;
	/* Two full audits of one state at once would write the duplicate
	 * index's files over each other: the second leaves it to the first. */
	if ((err = sdb_state_lock(st, eb)) != SDB_OK)
		return err;
	err = sdb_state_full_get(st, &f, &dups, &found, eb);
	if (err == SDB_ERR_NOT_FOUND)
		reset = 1;   /* no progress kept: f was not filled */
	else if (err != SDB_OK)
		return err;
	else if (f.n > tree->n || f.n % 256 != 0)
		reset = 1;   /* progress from elsewhere: start over */
	if (reset) {
		sdb_tlog_frontier_init(&f);
		dups.merged = dups.newlen = 0;
		memset(&found, 0, sizeof found);
	}
	err = sdb_dupidx_open(&dx, state_path, dups.newlen, dups.merged, reset, eb);
	if (err == SDB_ERR_NOT_FOUND) {
		/* The index files hold less than the state says (a state file
		 * copied or restored without them): what the records were
		 * compared with is gone, so they are all checked again. */
		cli_linef(stderr, "sumdb audit: warning: %s; the full audit starts again from record 0 "
		    "(the accepted tree is kept)", eb->msg);
		reset = 1;
		sdb_tlog_frontier_init(&f);
		dups.merged = dups.newlen = 0;
		memset(&found, 0, sizeof found);
		err = sdb_dupidx_open(&dx, state_path, 0, 0, 1, eb);
	}
	if (err != SDB_OK)
		return dups_damaged(err, state_path, eb);
	rep->resumed_from = f.n;
	cli_progress_start(&bar, NULL, "records", tree->n, f.n);
	done = f;
	committed = f.n;
	k0 = f.n / 256;
	p.r = r;
	p.next = k0;
	p.limit = k0 + FULL_WINDOW;
	p.end = ntiles;
	p.full_tiles = full_tiles;
	p.tree_n = tree->n;
	p.want_from = -1;
	p.slots = calloc(FULL_WINDOW, sizeof *p.slots);
	p.work = calloc(FULL_WINDOW, sizeof *p.work);
	p.ready = calloc(FULL_WINDOW, 1);
	l1 = calloc(FULL_L1_CHUNK, sizeof *l1);
	idx = calloc(FULL_L1_CHUNK, sizeof *idx);
	tail = calloc(256, sizeof *tail);
	if (p.slots == NULL || p.work == NULL || p.ready == NULL || l1 == NULL || idx == NULL ||
	    tail == NULL) {
		err = SDB_ERR_NOMEM;
		goto out;
	}
	if ((err = dl_sync_init(&p, eb)) != SDB_OK)
		goto out;
	inited = 1;
	for (i = 0; i < FULL_THREADS && k0 + i < ntiles; i++)
		if (pthread_create(&th[started], NULL, dl_worker, &p) == 0)
			started++;
	if (started == 0 && k0 < ntiles) {
		err = sdb_errf(eb, SDB_ERR_NOMEM, "cannot start download threads");
		goto out;
	}

	for (k = k0; k < ntiles; k++) {
		struct dl_slot *s;
		int attempt;

		/* The level-0 tile roots the next data tiles must give,
		 * authenticated, FULL_L1_CHUNK at a time. */
		if (k < full_tiles && (k == k0 || k - l1_from >= FULL_L1_CHUNK)) {
			size_t n = 0;

			l1_from = k;
			for (; n < FULL_L1_CHUNK && k + (int64_t)n < full_tiles; n++)
				idx[n] = sdb_tlog_stored_hash_index(8, k + (int64_t)n);
			if ((err = sdb_remote_read_hashes(r, tree, idx, n, l1, eb)) != SDB_OK)
				goto out;
		}
		/* The tail tile has no level-1 hash: its records' hashes,
		 * authenticated one by one. */
		if (k == full_tiles) {
			int64_t j;

			for (j = 0; j < tree->n % 256; j++)
				idx[j] = sdb_tlog_stored_hash_index(0, full_tiles * 256 + j);
			if ((err = sdb_remote_read_hashes(r, tree, idx, (size_t)j, tail, eb)) != SDB_OK)
				goto out;
		}
		s = dl_wait(&p, k);
		for (attempt = 0;; attempt++) {
			struct sdb_tlog_frontier save = f;
			int64_t c = rep->checked, b = rep->bad_records;

			if (s->err != SDB_OK) {
				err = sdb_errf(eb, s->err, "%s", sdb_errmsg(&s->eb, s->err));
				goto out;
			}
			err = check_tile(dx, s, &p.work[k % FULL_WINDOW],
			    k < full_tiles ? &l1[k - l1_from] : NULL, k < full_tiles ? NULL : tail,
			    &f, rep, &fc, eb);
			if (err == SDB_OK) {
				/* a full tile's findings are committed with it; a
				 * partial tile is checked again next time */
				if (s->t.w == 256)
					bad_full += rep->bad_records - b;
				break;
			}
			f = save;
			rep->checked = c;
			rep->bad_records = b;
			if ((err != SDB_ERR_INVALID && err != SDB_ERR_TILE_MISMATCH) || attempt >= 2) {
				/* a tile that never parses is the log's (or the
				 * network's) fault; other invalid data here is
				 * the local state's and says so itself */
				if (err == SDB_ERR_INVALID)
					err = sdb_remote_errwrap(eb, SDB_ERR_IO, err,
					    "malformed data tile");
				goto out;
			}
			/* Refetch a tile that did not parse or match: garbled? */
			s->err = fetch_tile(r, s);
			if (s->err == SDB_OK)
				work_tile(s, &p.work[k % FULL_WINDOW]);
		}
		rep->tiles++;
		rep->bytes += s->len;
		if (s->t.w == 256)
			done = f;
		dl_release(&p, k);
		cli_progress_show(&bar, f.n);
		if ((k + 1 - k0) % FULL_BATCH != 0 && k + 1 < ntiles)
			continue;
		/* Progress is kept at tile boundaries only: the partial tail is
		 * checked again next time (its module@version entries, committed
		 * with it, are idempotent by record id). */
		/* tiles of the accepted tree: cache them with the progress */
		state_cache_tiles(r, "audit", &bar);
		now_found = found;
		now_found.bad_records += bad_full;
		if (done.n > committed &&
		    ((err = sdb_dupidx_flush(dx, &dups.newlen, eb)) != SDB_OK ||
		    (err = sdb_state_full_put(st, &done, &dups, &now_found, eb)) != SDB_OK))
			goto out;
		committed = done.n;
	}
	{
		sdb_hash root;

		sdb_tlog_frontier_root(&f, &root);
		if (f.n != tree->n || memcmp(root.b, tree->hash.b, SDB_HASH_SIZE) != 0) {
			err = sdb_errf(eb, SDB_ERR_ROOT_MISMATCH,
			    "the %" PRId64 " records do not hash to the signed root", f.n);
			goto out;
		}
		rep->root_ok = 1;
	}
	/* Every record is checked: find the duplicates, once, by merging;
	 * pairs involving a record not merged before are reported. */
	if ((pc = calloc(1, sizeof *pc)) == NULL) {
		err = SDB_ERR_NOMEM;
		goto out;
	}
	pc->r = r;
	pc->tree = tree;
	pc->fc = &fc;
	pc->rep = rep;
	pc->eb = eb;
	if ((err = sdb_dupidx_merge_lazy(dx, dups.merged, FULL_MAX_RUNS, on_pair, pc, &compacted,
	    eb)) != SDB_OK) {
		err = dups_damaged(err, state_path, eb);
		goto out;
	}
	dups.merged = f.n;
	if (compacted)
		dups.newlen = 0;
	now_found = found;
	now_found.bad_records += bad_full;
	now_found.duplicates += rep->duplicates;
	now_found.conflicts += rep->conflicts;
	if ((err = sdb_state_full_put(st, &done, &dups, &now_found, eb)) != SDB_OK ||
	    (compacted && (err = sdb_dupidx_clear_new(dx, eb)) != SDB_OK))
		goto out;
	err = SDB_OK;
out:
	if (inited) {
		if (started > 0) {
			pthread_mutex_lock(&p.mu);
			p.stop = 1;
			pthread_cond_broadcast(&p.more);
			pthread_mutex_unlock(&p.mu);
			for (i = 0; i < started; i++)
				pthread_join(th[i], NULL);
		}
		for (i = 0; i < FULL_WINDOW; i++)
			free(p.slots[i].body);
		pthread_mutex_destroy(&p.mu);
		pthread_cond_destroy(&p.more);
		pthread_cond_destroy(&p.done);
	}
	cli_progress_end(&bar, f.n);
	/* the whole log's findings, as far as it is checked: those committed
	 * by earlier runs and all of this run's */
	rep->log_duplicates = found.duplicates + rep->duplicates;
	rep->log_conflicts = found.conflicts + rep->conflicts;
	rep->log_bad_records = found.bad_records + rep->bad_records;
	rep->seconds = now() - t0;
	if (pc != NULL) {
		free(pc->slot[0].body);
		free(pc->slot[1].body);
		free(pc);
	}
	sdb_dupidx_close(dx);
	free(p.slots);
	free(p.work);
	free(p.ready);
	free(l1);
	free(tail);
	free(idx);
	return err;
}

int
full_status(const struct full_report *rep, int err)
{
	if (err != SDB_OK)
		return remote_exit_status(err);
	return rep->log_conflicts > 0 || rep->log_bad_records > 0 ? EXIT_VERIFY : EXIT_OK;
}

void
full_print(const struct full_report *rep, int json, int first_run, const char *state_path, int err,
    const char *detail)
{
	double rate = rep->seconds > 0 ? (double)rep->checked / rep->seconds : 0;
	int status = full_status(rep, err);
	char what[160];

	/* what the log holds, said the same way in both forms */
	snprintf(what, sizeof what, "the log holds %" PRId64 " conflicting record%s and %" PRId64
	    " invalid record%s", rep->log_conflicts, rep->log_conflicts == 1 ? "" : "s",
	    rep->log_bad_records, rep->log_bad_records == 1 ? "" : "s");
	if (json) {
		printf("{\"status\":\"%s\",", status == EXIT_OK ? "ok" : status == EXIT_VERIFY ?
		    "verification-failed" : "could-not-check");
		if (status != EXIT_OK) {
			printf("\"detail\":");
			if (err == SDB_OK)
				json_string(stdout, what, strlen(what));
			else
				json_string(stdout, detail, strlen(detail));
			printf(",");
		}
		printf("\"first_run\":%s,\"tree_size\":%" PRId64 ",\"resumed_from\":%" PRId64
		    ",\"checked\":%" PRId64 ",\"root_ok\":%s,\"duplicates\":%" PRId64
		    ",\"conflicts\":%" PRId64 ",\"bad_records\":%" PRId64 ",\"log_duplicates\":%"
		    PRId64 ",\"log_conflicts\":%" PRId64 ",\"log_bad_records\":%" PRId64
		    ",\"tiles\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"seconds\":%.3f"
		    ",\"records_per_second\":%.0f,\"state\":", first_run ? "true" : "false", rep->tree_size,
		    rep->resumed_from, rep->checked, rep->root_ok ? "true" : "false", rep->duplicates,
		    rep->conflicts, rep->bad_records, rep->log_duplicates, rep->log_conflicts,
		    rep->log_bad_records, rep->tiles, rep->bytes, rep->seconds, rate);
		/* where the evidence of what it found is kept, and how much
		 * the state holds (also what earlier runs found) */
		json_string(stdout, state_path, strlen(state_path));
		printf(",\"evidence_count\":");
		if (rep->evidence_count >= 0)
			printf("%" PRId64 "}\n", rep->evidence_count);
		else
			printf("null}\n");
		return;
	}
	printf("full audit: %" PRId64 " records checked in %.2f s (%.0f records/s)%s; "
	    "%" PRId64 " verified by earlier runs\n", rep->checked, rep->seconds, rate,
	    rep->root_ok ? ", every record hashes to the signed root" : "", rep->resumed_from);
	if (err != SDB_OK)
		return;
	printf("full audit: this run found %" PRId64 " duplicates, %" PRId64 " conflicting hashes "
	    "(critical), %" PRId64 " invalid records\n", rep->duplicates, rep->conflicts,
	    rep->bad_records);
	printf("full audit: %s%s\n", what, status == EXIT_OK ? "" :
	    " (CRITICAL; sumdb evidence shows them)");
	if (rep->conflicts > FULL_MAX_PRINTED || rep->bad_records > FULL_MAX_PRINTED)
		printf("full audit: only the first %d conflicting pairs and the first %d invalid "
		    "records this run found are kept as evidence; the others are counted\n",
		    FULL_MAX_PRINTED, FULL_MAX_PRINTED);
}
