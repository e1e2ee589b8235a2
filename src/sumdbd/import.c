/*
 * go.sum lines to records (import.h): the one place that decides what an
 * import takes, offline and through a running server.
 *
 * Lines are folded into their versions as the scanner reads them, so that
 * a large import holds little more than its record texts: each version is
 * its record text, written when its first line is read (both lines, the
 * one not seen yet with a copy of the other's hash), in blocks that become
 * the records' storage, plus where its two lines were first seen.  A hash
 * table over the versions finds the version of a line.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/record.h"
#include "import.h"
#include "limits.h"

/* A record is two lines, each at most as long as the go.sum line it was
 * read from plus its newline: the parser's line limit keeps every record
 * under the log's record limit, so no version is refused for its size. */
_Static_assert(2 * (SDB_MAX_GOSUM_LINE + 1) <= SDB_MAX_RECORD_SIZE,
    "a record of two go.sum lines fits in a log record");
/* Line numbers of one go.sum fit in 32 bits. */
_Static_assert(SDB_MAX_GOSUM_SIZE < UINT32_MAX, "go.sum line numbers fit in 32 bits");

#define BLOCK_SIZE (1024 * 1024)

/* One block of record texts. */
struct block {
	struct block *next;
	size_t used, cap;
	char data[];
};

/* Where a line was read: the file's index in st->files and its line
 * number; line 0: no such line yet. */
struct where {
	uint32_t file;
	uint32_t line;
};

/* One module version. */
struct version {
	char *text;             /* h1: line, then /go.mod h1: line */
	uint32_t plen, vlen;    /* path at text, version at text + plen + 1 */
	struct where at[2];     /* first h1: line [0], first /go.mod h1: line [1] */
};

/* One problem, reported in sdbd_import_finish. */
struct problem {
	size_t v;               /* its version */
	const struct version *ver;  /* the same, set for sorting */
	int kind;               /* 0, 1: a second hash of the h1: or /go.mod h1:
	                         * line; 2: a missing line */
	size_t order;           /* found order */
	struct where at;
	char *msg;
};

struct sdbd_import_state {
	struct block *blocks;   /* newest first; the records' storage */
	struct version *vers;   /* in the order of their first line */
	size_t nvers, vcap;
	size_t *index;          /* open addressing: version index + 1, 0 empty */
	size_t icap;            /* a power of two, over twice nvers */
	struct problem *probs;
	size_t nprobs, pcap;
	const char **files;
	size_t nfiles;
};

/* len bytes for a record text: in the newest block, or in a new one. */
static char *
text_alloc(struct sdbd_import_state *st, size_t len)
{
	struct block *b = st->blocks;

	if (b == NULL || b->cap - b->used < len) {
		size_t cap = len > BLOCK_SIZE ? len : BLOCK_SIZE;

		if ((b = malloc(sizeof *b + cap)) == NULL)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = st->blocks;
		st->blocks = b;
	}
	b->used += len;
	return b->data + b->used - len;
}

static const char *
v_version(const struct version *v)
{
	return v->text + v->plen + 1;
}

static size_t
v_text_len(const struct version *v)
{
	return sdb_record_len(v->plen, v->vlen);
}

/* The "h1:..." field of v's h1: line (is_gomod 0) or /go.mod h1: line:
 * "M V h1:X\nM V/go.mod h1:Y\n" (PROTOCOL.md "Record"). */
static char *
v_hash(const struct version *v, int is_gomod)
{
	if (is_gomod)
		return v->text + v_text_len(v) - 1 - SDB_H1_LEN;
	return v->text + v->plen + 1 + v->vlen + 1;
}

/* The slot of (path, version) in st->index: its version's, or the empty
 * one to fill. */
static size_t
index_find(const struct sdbd_import_state *st, const char *path, size_t plen,
    const char *version, size_t vlen)
{
	size_t i = sdbd_pv_hash(path, plen, version, vlen) & (st->icap - 1);

	for (;; i = (i + 1) & (st->icap - 1)) {
		const struct version *v;

		if (st->index[i] == 0)
			return i;
		v = &st->vers[st->index[i] - 1];
		if (v->plen == plen && v->vlen == vlen && memcmp(v->text, path, plen) == 0 &&
		    memcmp(v_version(v), version, vlen) == 0)
			return i;
	}
}

/* Doubles the index (or makes the first one). */
static int
index_grow(struct sdbd_import_state *st)
{
	size_t cap = st->icap ? st->icap * 2 : 1024, *old = st->index, ocap = st->icap, i;

	if ((st->index = calloc(cap, sizeof *st->index)) == NULL) {
		st->index = old;
		return SDB_ERR_NOMEM;
	}
	st->icap = cap;
	for (i = 0; i < ocap; i++) {
		if (old[i] != 0) {
			const struct version *v = &st->vers[old[i] - 1];

			st->index[index_find(st, v->text, v->plen, v_version(v), v->vlen)] = old[i];
		}
	}
	free(old);
	return SDB_OK;
}

/* A new version for e, its record text written with e's hash on both
 * lines, in st->vers[st->nvers - 1]. */
static int
version_new(struct sdbd_import_state *st, const struct sdb_gosum_entry *e)
{
	struct version *v;

	if (st->nvers == st->vcap) {
		size_t cap = st->vcap ? st->vcap * 2 : 1024;
		struct version *nv = realloc(st->vers, cap * sizeof *nv);

		if (nv == NULL)
			return SDB_ERR_NOMEM;
		st->vers = nv;
		st->vcap = cap;
	}
	v = &st->vers[st->nvers];
	memset(v, 0, sizeof *v);
	v->plen = (uint32_t)e->path_len;
	v->vlen = (uint32_t)e->version_len;
	if ((v->text = text_alloc(st, v_text_len(v))) == NULL)
		return SDB_ERR_NOMEM;
	(void)sdb_record_write(v->text, e->path, e->path_len, e->version, e->version_len, &e->h1,
	    &e->h1);
	st->nvers++;
	return SDB_OK;
}

static int
problem_add(struct sdbd_import_state *st, size_t v, int kind, struct where at, char *msg)
{
	struct problem *p;

	if (msg == NULL)
		return SDB_ERR_NOMEM;
	if (st->nprobs == st->pcap) {
		size_t cap = st->pcap ? st->pcap * 2 : 16;
		struct problem *np = realloc(st->probs, cap * sizeof *np);

		if (np == NULL) {
			free(msg);
			return SDB_ERR_NOMEM;
		}
		st->probs = np;
		st->pcap = cap;
	}
	p = &st->probs[st->nprobs];
	p->v = v;
	p->ver = NULL;
	p->kind = kind;
	p->order = st->nprobs;
	p->at = at;
	p->msg = msg;
	st->nprobs++;
	return SDB_OK;
}

static char *
msg_dup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

struct fold {
	struct sdbd_import *im;
	uint32_t file;
};

/* The sdb_gosum_scan callback: one line into its version. */
static int
fold_entry(void *arg, const struct sdb_gosum_entry *e, struct sdb_errbuf *eb)
{
	struct fold *f = arg;
	struct sdbd_import_state *st = f->im->st_;
	struct where here = { f->file, (uint32_t)e->line };
	struct version *v;
	size_t slot, vi;
	int k = e->is_gomod ? 1 : 0, rc = SDB_OK;

	if (e->alg != 1) {
		f->im->ignored_lines++;
		return SDB_OK;
	}
	if (2 * (st->nvers + 1) > st->icap && index_grow(st) != SDB_OK)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	slot = index_find(st, e->path, e->path_len, e->version, e->version_len);
	if (st->index[slot] == 0) {
		if (version_new(st, e) != SDB_OK)
			return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		st->index[slot] = st->nvers;
	}
	vi = st->index[slot] - 1;
	v = &st->vers[vi];
	if (v->at[k].line == 0) {
		/* the first line of its kind: its hash is the record's */
		memcpy(v_hash(v, k), e->hash, SDB_H1_LEN);
		v->at[k] = here;
	} else if (memcmp(v_hash(v, k), e->hash, SDB_H1_LEN) != 0) {
		/* h1: fields are canonical base64: equal text, equal hash */
		char msg[1200];

		snprintf(msg, sizeof msg, "%.*s %.*s%s has two different hashes (also %s:%lld)",
		    (int)e->path_len, e->path, (int)e->version_len, e->version,
		    e->is_gomod ? "/go.mod" : "", st->files[v->at[k].file],
		    (long long)v->at[k].line);
		rc = problem_add(st, vi, k, here, msg_dup(msg));
		if (rc != SDB_OK)
			return sdb_errf(eb, rc, "out of memory");
	}
	return SDB_OK;
}

int
sdbd_import_add(struct sdbd_import *im, const char *name, const char *data, size_t len,
    struct sdb_errbuf *eb)
{
	struct sdbd_import_state *st = im->st_;
	struct fold f;
	const char **files;

	if (st == NULL) {
		if ((st = calloc(1, sizeof *st)) == NULL)
			return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		im->st_ = st;
	}
	if (st->nfiles >= UINT32_MAX)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "too many go.sum files");
	files = realloc(st->files, (st->nfiles + 1) * sizeof *files);
	if (files == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	st->files = files;
	st->files[st->nfiles] = name;
	f.im = im;
	f.file = (uint32_t)st->nfiles++;
	return sdb_gosum_scan(data, len, fold_entry, &f, NULL, eb);
}

/* Byte order of path, then version, as strcmp orders them. */
static int
pv_cmp(const struct version *x, const struct version *y)
{
	size_t n = x->plen < y->plen ? x->plen : y->plen;
	int c = memcmp(x->text, y->text, n);

	if (c == 0 && x->plen != y->plen)
		return x->plen < y->plen ? -1 : 1;
	if (c != 0)
		return c;
	n = x->vlen < y->vlen ? x->vlen : y->vlen;
	c = memcmp(v_version(x), v_version(y), n);
	if (c == 0 && x->vlen != y->vlen)
		return x->vlen < y->vlen ? -1 : 1;
	return c;
}

static int
problem_cmp(const void *a, const void *b)
{
	const struct problem *x = a, *y = b;
	int c = x->v == y->v ? 0 : pv_cmp(x->ver, y->ver);

	if (c == 0)
		c = x->kind - y->kind;
	if (c == 0)
		c = x->order < y->order ? -1 : x->order > y->order;
	return c;
}

/* Frees everything but the record texts. */
static void
state_trim(struct sdbd_import_state *st)
{
	size_t i;

	for (i = 0; i < st->nprobs; i++)
		free(st->probs[i].msg);
	free(st->probs);
	st->probs = NULL;
	st->nprobs = st->pcap = 0;
	free(st->index);
	st->index = NULL;
	st->icap = 0;
	free(st->vers);
	st->vers = NULL;
	st->nvers = st->vcap = 0;
	free(st->files);
	st->files = NULL;
	st->nfiles = 0;
}

int
sdbd_import_finish(struct sdbd_import *im, int skip_gomod_only, sdbd_import_problem_fn problem,
    void *arg, struct sdb_errbuf *eb)
{
	struct sdbd_import_state *st = im->st_;
	char msg[1200];
	size_t i, n = 0;
	int rc = SDB_OK;

	if (st == NULL)
		return SDB_OK;
	/* The versions that lack a line; all the problems, in order. */
	for (i = 0; i < st->nvers && rc == SDB_OK; i++) {
		const struct version *v = &st->vers[i];
		int has_h1 = v->at[0].line != 0, has_gomod = v->at[1].line != 0;

		if (!has_h1 && skip_gomod_only) {
			im->skipped_gomod_only++;
			continue;
		}
		if (has_h1 && has_gomod) {
			n++;
			continue;
		}
		snprintf(msg, sizeof msg, "%.*s %.*s has no %s line; a record needs both the h1: "
		    "and the /go.mod h1: line%s", (int)v->plen, v->text, (int)v->vlen, v_version(v),
		    !has_h1 ? "h1: (module zip)" : "/go.mod h1:",
		    !has_h1 ? " (go.sum keeps only the /go.mod line of modules needed "
		    "for their go.mod alone: --skip-gomod-only skips those)" : "");
		rc = problem_add(st, i, 2, v->at[has_h1 ? 0 : 1], msg_dup(msg));
	}
	if (rc != SDB_OK)
		return sdb_errf(eb, rc, "out of memory");
	if (st->nprobs > 0) {
		for (i = 0; i < st->nprobs; i++)
			st->probs[i].ver = &st->vers[st->probs[i].v];
		qsort(st->probs, st->nprobs, sizeof *st->probs, problem_cmp);
		for (i = 0; i < st->nprobs; i++) {
			im->problems++;
			if (problem != NULL)
				problem(arg, st->files[st->probs[i].at.file], st->probs[i].at.line,
				    st->probs[i].msg);
		}
		state_trim(st);
		return SDB_OK;
	}
	if ((im->recs = calloc(n + 1, sizeof *im->recs)) == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	for (i = 0; i < st->nvers; i++) {
		const struct version *v = &st->vers[i];
		struct sdbd_record *r = &im->recs[im->n];

		if (v->at[0].line == 0 || v->at[1].line == 0)
			continue;
		r->path = v->text;
		r->path_len = v->plen;
		r->version = v_version(v);
		r->version_len = v->vlen;
		r->text = v->text;
		r->text_len = v_text_len(v);
		im->n++;
	}
	state_trim(st);
	return SDB_OK;
}

void
sdbd_import_free(struct sdbd_import *im)
{
	struct sdbd_import_state *st;

	if (im == NULL)
		return;
	st = im->st_;
	if (st != NULL) {
		state_trim(st);
		while (st->blocks != NULL) {
			struct block *b = st->blocks;

			st->blocks = b->next;
			free(b);
		}
		free(st);
	}
	free(im->recs);
	memset(im, 0, sizeof *im);
}
