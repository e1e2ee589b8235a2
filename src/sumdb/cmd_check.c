/*
 * sumdb check: checks every line of go.sum files against a checksum
 * database.  Each module version is looked up once (whichever files name
 * it) and its record's
 * inclusion in the signed tree verified (sdb_remote_lookup), several
 * versions at once (--jobs) through one remote and its tile cache; each
 * h1 line is then compared with the record, and every tree seen checked
 * against the ones before it, one version at a time in path order, so
 * that the outcome is that of looking them up one by one.  Reports
 * mismatches (exit 2), versions the log does not know and malformed
 * lines, with file names and line numbers.  Modules matching --private
 * (Go's GONOSUMDB patterns) are not looked up at all, as the go command
 * does not ask the checksum database about them.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csumdb/gosum.h"
#include "csumdb/module_glob.h"
#include "csumdb/record.h"
#include "json.h"
#include "limits.h"
#include "remote.h"
#include "sync.h"

static void
check_usage(FILE *f)
{
	fprintf(f,
	    "usage: sumdb check [--url URL] [--jobs N] [--private PATTERNS] [--json]\n"
	    "                   KEY GOSUM-FILE...\n"
	    "\n"
	    "Checks every line of each GOSUM-FILE (- for standard input) against the\n"
	    "checksum database with the verifier key KEY (or sum.golang.org): each\n"
	    "module version's record is looked up, its inclusion in the signed tree\n"
	    "verified, and its hashes compared with the files'.\n"
	    "\n"
	    "  --url URL   the database's URL (default https://NAME)\n"
	    "  --jobs N    module versions looked up at once, 1 to 32 (default 8);\n"
	    "              what is found and printed is the same for every N\n"
	    "  --private PATTERNS\n"
	    "              comma-separated module path patterns, as GONOSUMDB (such\n"
	    "              as \"$(go env GONOSUMDB)\"): their lines are not looked up\n"
	    "              (the log never hears of them) and counted as private\n"
	    "  --json      print one JSON object per finding and a summary; when the\n"
	    "              file cannot be checked at all (a refused KEY or --url, an\n"
	    "              unreadable file) the summary is {\"summary\":true,\n"
	    "              \"error\":\"could-not-check\",\"detail\":...}; a usage error\n"
	    "              is on standard error only\n"
	    "  --help      this text\n"
	    "\n"
	    "Exit status: 0 every line matches the log (or is private); 2 a hash\n"
	    "differs from the log (or the log does not verify); 1 malformed lines,\n"
	    "versions the log does not know, could not check, or usage.\n");
}

/* Lookups in a row that the log does not answer (network errors, after
 * their retries) before the rest are left unchecked.  "In a row" is in
 * the order the versions are checked (by path), also when several are
 * looked up at once. */
#define CHECK_GIVE_UP 3

/* Module versions looked up at once (--jobs): each lookup waits on one or
 * two round trips to the log, so a few in flight hide most of the
 * latency of a distant log, as the go command's own concurrent lookups
 * do; the most is kept modest because the log is usually a public
 * service others share. */
#define CHECK_JOBS_DEFAULT 8
#define CHECK_JOBS_MAX 32

struct line {
	char *path, *version;
	int is_gomod, alg;
	sdb_hash h1;
	size_t file;          /* which GOSUM-FILE, in the order given */
	int64_t line;
};

static int
cmp_line(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c == 0)
		c = strcmp(x->version, y->version);
	if (c == 0)
		c = x->file < y->file ? -1 : x->file > y->file;
	if (c == 0)
		c = x->line < y->line ? -1 : x->line > y->line;
	return c;
}

/* The findings, kept until every line is checked and then printed in the
 * files' order and each file's line order (the lookups go in path order). */
struct finding {
	size_t file;
	int64_t line;
	size_t seq;           /* order of finding, within one line */
	const char *kind;     /* a string literal */
	char *msg;
};

struct findings {
	struct finding *v;
	size_t n, cap;
	int oom;              /* a finding could not be kept */
};

static void
finding_add(struct findings *fs, const struct line *l, const char *kind, const char *msg)
{
	struct finding *f;

	if (fs->n == fs->cap) {
		size_t nc = fs->cap ? 2 * fs->cap : 16;
		struct finding *nv = realloc(fs->v, nc * sizeof *nv);

		if (nv == NULL) {
			fs->oom = 1;
			return;
		}
		fs->v = nv;
		fs->cap = nc;
	}
	f = &fs->v[fs->n];
	if ((f->msg = strdup(msg)) == NULL) {
		fs->oom = 1;
		return;
	}
	f->file = l->file;
	f->line = l->line;
	f->seq = fs->n++;
	f->kind = kind;
}

static int
cmp_finding(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
findings_print(struct findings *fs, int json, char *const *files)
{
	size_t i;

	if (fs->n > 0)
		qsort(fs->v, fs->n, sizeof *fs->v, cmp_finding);
	for (i = 0; i < fs->n; i++) {
		const struct finding *f = &fs->v[i];

		if (json) {
			printf("{\"line\":%" PRId64 ",\"finding\":\"%s\",\"detail\":", f->line,
			    f->kind);
			json_string(stdout, f->msg, strlen(f->msg));
			printf(",\"file\":");
			json_string(stdout, files[f->file], strlen(files[f->file]));
			printf("}\n");
		} else {
			cli_linef(stdout, "%s:%" PRId64 ": %s", files[f->file], f->line, f->msg);
		}
	}
}

static void
findings_free(struct findings *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		free(fs->v[i].msg);
	free(fs->v);
}

/* --- the lookups, several at once ---------------------------------------- */

/* One module version (lines[first..end) of the sorted lines) and what its
 * lookup found: written by the thread that looked it up, read by the
 * checking thread once ready (under the pool's mutex). */
struct version {
	size_t first, end;
	int err;                  /* the lookup's and the record's parse */
	char *msg;                /* err's message (malloc'ed), or NULL */
	int64_t id;
	struct sdb_tree tree;
	sdb_hash h1, gomod_h1;    /* the log's, on SDB_OK */
	/* the signed trees its answers showed, whatever became of them, in
	 * order (each once), and their notes (malloc'ed): checked against
	 * the run's others in path order */
	struct sdb_tree shown[SDB_REMOTE_LOOKUP_ANSWERS];
	char *shown_note[SDB_REMOTE_LOOKUP_ANSWERS];
	size_t shown_nlen[SDB_REMOTE_LOOKUP_ANSWERS], nshown;
};

/* An sdb_remote_tree_fn that keeps each tree a lookup was shown, with its
 * note, in its version (ctx), for the checking thread. */
static int
keep_tree(void *ctx, const struct sdb_tree *tree, const char *note, size_t nlen,
    struct sdb_errbuf *eb)
{
	struct version *v = ctx;
	size_t i;

	for (i = 0; i < v->nshown; i++)
		if (v->shown[i].n == tree->n &&
		    memcmp(v->shown[i].hash.b, tree->hash.b, SDB_HASH_SIZE) == 0)
			return SDB_OK;
	if (v->nshown == SDB_REMOTE_LOOKUP_ANSWERS)
		return SDB_OK;
	if ((v->shown_note[v->nshown] = strndup(note, nlen)) == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	v->shown_nlen[v->nshown] = nlen;
	v->shown[v->nshown++] = *tree;
	return SDB_OK;
}

/* A lookup the log did not answer (network errors and timeouts, after
 * their retries): what "in a row" counts. */
static int
not_answered(int err)
{
	return err == SDB_ERR_IO || err == SDB_ERR_TIMEOUT;
}

/*
 * The lookup threads and the checking thread.  The threads take the
 * versions in path order and look them up at once; the checking thread
 * takes their results in that same order, and alone checks each tree
 * against the trees before it and counts the lookups in a row not
 * answered, so that what is found and reported does not depend on which
 * lookup ends first.
 */
struct pool {
	struct sdb_remote *r;
	const struct line *lines;
	struct version *v;
	size_t nv;
	pthread_mutex_t mu;
	pthread_cond_t more;      /* next may go, or stop */
	pthread_cond_t done;      /* a lookup is ready */
	unsigned char *ready;     /* under mu: ready[k], v[k] is looked up */
	size_t next;              /* under mu: the next version to look up */
	size_t taken;             /* under mu: versions the checking thread took */
	int down;                 /* under mu: lookups in a row not answered, by
	                           * the checking thread's count */
	size_t failed;            /* under mu: ready, not taken, not answered */
	int stop;                 /* under mu: take no more */
};

/*
 * Whether version k may be looked up now (under mu).  The first goes
 * alone, so that the tiles every lookup needs (the tree's upper levels
 * and right edge) are in the cache before the others start.  While the
 * log is not answering (the checking thread's count of lookups in a row
 * not answered is not 0, or a lookup not answered is ready and not yet
 * taken) only the versions that checking one at a time would reach
 * whatever those lookups say go: fewer than CHECK_GIVE_UP - down past
 * the first not taken.  So a dead log is asked about no version that one
 * lookup at a time would not have asked about, beyond those under way
 * when its first unanswered lookup came back (fewer than --jobs).
 */
static int
may_look_up(const struct pool *p, size_t k)
{
	if (k > 0 && !p->ready[0])
		return 0;
	if (p->down == 0 && p->failed == 0)
		return 1;
	return k < p->taken + (size_t)(CHECK_GIVE_UP - p->down);
}

/* Looks up version v (its first line l): the lookup, its inclusion in the
 * signed tree, and its record's hashes. */
static void
look_up(struct sdb_remote *r, const struct line *l, struct version *v)
{
	struct sdb_errbuf eb = { { 0 } };
	char *text = NULL, *note = NULL;
	size_t tlen = 0, nlen = 0;
	struct sdb_record rec;
	int err;

	err = sdb_remote_lookup(r, l->path, l->version, keep_tree, v, &v->id, &text, &tlen, &v->tree,
	    &note, &nlen, &eb);
	if (err == SDB_OK && sdb_record_parse(text, tlen, &rec, &eb) != SDB_OK)
		err = sdb_remote_errwrap(&eb, SDB_ERR_IO, SDB_ERR_INVALID,
		    "the log's record does not parse");
	if (err == SDB_OK) {
		v->h1 = rec.h1;
		v->gomod_h1 = rec.gomod_h1;
	} else if ((v->msg = strdup(sdb_errmsg(&eb, err))) == NULL) {
		err = SDB_ERR_NOMEM;
	}
	v->err = err;
	free(text);
	free(note);
}

static void *
pool_thread(void *arg)
{
	struct pool *p = arg;
	size_t k;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->stop && p->next < p->nv && !may_look_up(p, p->next))
			pthread_cond_wait(&p->more, &p->mu);
		if (p->stop || p->next >= p->nv)
			break;
		k = p->next++;
		pthread_mutex_unlock(&p->mu);
		look_up(p->r, &p->lines[p->v[k].first], &p->v[k]);
		pthread_mutex_lock(&p->mu);
		p->ready[k] = 1;
		if (not_answered(p->v[k].err))
			p->failed++;
		pthread_cond_signal(&p->done);
		if (k == 0)
			pthread_cond_broadcast(&p->more);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* The checking thread: waits for version k's lookup (or, with no lookup
 * thread, makes it). */
static void
pool_wait(struct pool *p, size_t k, size_t nthreads)
{
	if (nthreads == 0) {
		look_up(p->r, &p->lines[p->v[k].first], &p->v[k]);
		return;
	}
	pthread_mutex_lock(&p->mu);
	while (!p->ready[k])
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

/* The checking thread has taken version k, with down lookups in a row not
 * answered now. */
static void
pool_taken(struct pool *p, size_t k, int down)
{
	pthread_mutex_lock(&p->mu);
	p->taken = k + 1;
	p->down = down;
	if (p->ready[k] && not_answered(p->v[k].err))
		p->failed--;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->mu);
}

/* Makes p's mutex and condition variables.  Returns 0, or an error
 * number with none of them left made. */
static int
pool_sync_init(struct pool *p)
{
	pthread_mutex_t *const mu[] = { &p->mu };
	pthread_cond_t *const cv[] = { &p->more, &p->done };

	return sdb_sync_init(mu, 1, cv, 2);
}

static void
pool_stop(struct pool *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->mu);
}

/* Lines counted by what became of them, as the summary reports them;
 * one for each file. */
struct counts {
	int64_t matched, mismatches, unverified, not_found, malformed, not_checked, private;
};

/* Adds a finding for the lines of one module version lines[i..j) that
 * concerns them all: once in each file that has them, at its first line
 * there (lines of a version are in file order), so that every file is
 * told. */
static void
finding_per_file(struct findings *fs, const struct line *lines, size_t i, size_t j,
    const char *kind, const char *msg)
{
	size_t k;

	for (k = i; k < j; k++)
		if (k == i || lines[k].file != lines[k - 1].file)
			finding_add(fs, &lines[k], kind, msg);
}

/*
 * Checks lines[i..j), the lines of one module version, against what its
 * lookup found (v, SDB_OK) and the checks of its tree: findings and
 * counts (n[file]).  err and eb: the lookup's or the tree check's failure.
 */
static void
check_version(const struct line *lines, size_t i, size_t j, const struct version *v, int err,
    const struct sdb_errbuf *eb, struct findings *fs, struct counts *n)
{
	char msg[2 * SDB_ERRBUF_SIZE];   /* a path, a version and a message */
	size_t k;

	if (err == SDB_ERR_NOT_FOUND) {
		for (k = i; k < j; k++)
			n[lines[k].file].not_found++;
		snprintf(msg, sizeof msg, "%s %s: not in the log", lines[i].path, lines[i].version);
		finding_per_file(fs, lines, i, j, "not-found", msg);
		return;
	}
	if (err != SDB_OK) {
		int s = remote_exit_status(err);

		for (k = i; k < j; k++) {
			if (s == EXIT_VERIFY)
				n[lines[k].file].unverified++;
			else
				n[lines[k].file].not_checked++;
		}
		snprintf(msg, sizeof msg, "%s %s: %s%s", lines[i].path, lines[i].version,
		    s == EXIT_VERIFY ? "VERIFICATION FAILED: " : "could not check: ",
		    sdb_errmsg(eb, err));
		finding_per_file(fs, lines, i, j, s == EXIT_VERIFY ? "verification-failed" :
		    "could-not-check", msg);
		return;
	}
	for (k = i; k < j; k++) {
		const sdb_hash *want = lines[k].is_gomod ? &v->gomod_h1 : &v->h1;
		char have[SDB_H1_LEN + 1], logs[SDB_H1_LEN + 1], what[1024];

		if (lines[k].alg != 1) {
			n[lines[k].file].not_checked++;
			snprintf(msg, sizeof msg, "%s %s: hash algorithm not h1, not checked",
			    lines[k].path, lines[k].version);
			finding_add(fs, &lines[k], "skipped", msg);
			continue;
		}
		if (memcmp(want->b, lines[k].h1.b, SDB_HASH_SIZE) == 0) {
			n[lines[k].file].matched++;
			continue;
		}
		n[lines[k].file].mismatches++;
		sdb_h1_format(have, &lines[k].h1);
		sdb_h1_format(logs, want);
		snprintf(what, sizeof what, "%s%s", lines[k].version, lines[k].is_gomod ? "/go.mod" : "");
		snprintf(msg, sizeof msg, "MISMATCH %s %s: go.sum has %s, the log (record %" PRId64
		    ") has %s", lines[k].path, what, have, v->id, logs);
		finding_add(fs, &lines[k], "mismatch", msg);
	}
}

/*
 * Counts lines[i..nlines), which the log stopped answering before they
 * were looked up, as not checked, and says so once in each file that has
 * any, at its first of them (in path order), so that no file's summary
 * counts lines not checked that none of its findings names.  Returns
 * SDB_OK or SDB_ERR_NOMEM.
 */
static int
give_up(const struct line *lines, size_t i, size_t nlines, struct findings *fs, struct counts *n)
{
	size_t nfiles = 0, m, f, *first, *left;
	char msg[2048];

	for (m = i; m < nlines; m++)
		if (lines[m].file >= nfiles)
			nfiles = lines[m].file + 1;
	first = calloc(nfiles, sizeof *first);
	left = calloc(nfiles, sizeof *left);
	if (first == NULL || left == NULL) {
		free(first);
		free(left);
		return SDB_ERR_NOMEM;
	}
	/* first[f]: 1 + the index of file f's first line here (0: none);
	 * left[f]: its lines here after those of that line's version */
	for (m = i; m < nlines; m++) {
		f = lines[m].file;
		n[f].not_checked++;
		if (first[f] == 0)
			first[f] = m + 1;
		else if (strcmp(lines[m].path, lines[first[f] - 1].path) != 0 ||
		    strcmp(lines[m].version, lines[first[f] - 1].version) != 0)
			left[f]++;
	}
	for (m = i; m < nlines; m++) {
		if (first[lines[m].file] != m + 1)
			continue;
		snprintf(msg, sizeof msg, "%s %s and the %zu go.sum lines after its own: not "
		    "checked, the log did not answer the last %d lookups", lines[m].path,
		    lines[m].version, left[lines[m].file], CHECK_GIVE_UP);
		finding_add(fs, &lines[m], "could-not-check", msg);
	}
	free(first);
	free(left);
	return SDB_OK;
}

/*
 * Looks up every module version of lines[0..nlines) (sorted), jobs at
 * once, and checks them in path order: findings into fs, counts into
 * n[file].
 * Returns SDB_OK or SDB_ERR_NOMEM.
 */
static int
check_lines(struct sdb_remote *r, const struct line *lines, size_t nlines, unsigned jobs,
    struct findings *fs, struct counts *n)
{
	struct lookup_seen seen = LOOKUP_SEEN_NONE;   /* the largest tree of this run */
	int down = 0;                               /* lookups in a row the log did not answer */
	struct pool p;
	pthread_t th[CHECK_JOBS_MAX];
	size_t nv = 0, nthreads = 0, i, j, k, t;
	int err, synced, rc = SDB_OK;

	memset(&p, 0, sizeof p);
	for (i = 0; i < nlines; i = j) {
		for (j = i + 1; j < nlines && strcmp(lines[j].path, lines[i].path) == 0 &&
		    strcmp(lines[j].version, lines[i].version) == 0; j++)
			;
		nv++;
	}
	if (nv == 0)
		return SDB_OK;
	p.v = calloc(nv, sizeof *p.v);
	p.ready = calloc(nv, 1);
	if (p.v == NULL || p.ready == NULL) {
		free(p.v);
		free(p.ready);
		return SDB_ERR_NOMEM;
	}
	for (i = 0, k = 0; i < nlines; i = j, k++) {
		for (j = i + 1; j < nlines && strcmp(lines[j].path, lines[i].path) == 0 &&
		    strcmp(lines[j].version, lines[i].version) == 0; j++)
			;
		p.v[k].first = i;
		p.v[k].end = j;
	}
	p.r = r;
	p.lines = lines;
	p.nv = nv;
	/* fewer threads than asked for, when no more can be made; with none
	 * (nor the mutex and condition variables they need), this thread
	 * looks every version up itself and touches none of them */
	synced = pool_sync_init(&p) == 0;
	while (synced && nthreads < jobs && nthreads < nv &&
	    pthread_create(&th[nthreads], NULL, pool_thread, &p) == 0)
		nthreads++;

	for (k = 0; k < nv; k++) {
		struct version *v = &p.v[k];
		struct sdb_errbuf eb = { { 0 } };

		i = v->first;
		j = v->end;
		/* a log that stopped answering is not asked about every
		 * remaining version (a retried timeout each) */
		if (down >= CHECK_GIVE_UP) {
			rc = give_up(lines, i, nlines, fs, n);
			break;
		}
		pool_wait(&p, k, nthreads);
		err = v->err;
		if (err != SDB_OK && v->msg != NULL)
			sdb_errf(&eb, err, "%s", v->msg);
		/* every tree of the run must be one log's: checked here, in
		 * path order, whichever lookup ended first; every tree the
		 * lookup was shown (its answer's last among them), whatever
		 * became of the answer: a fork outweighs what the lookup
		 * found, and a tree that cannot be checked a lookup that
		 * found its record */
		for (t = 0; t < v->nshown; t++) {
			struct sdb_errbuf teb = { { 0 } };
			int terr = lookup_check_seen(r, &seen, &v->shown[t], v->shown_note[t],
			    v->shown_nlen[t], "check", NULL, &teb);

			if (terr != SDB_OK && (terr == SDB_ERR_FORK || err == SDB_OK)) {
				err = sdb_errf(&eb, terr, "%s", sdb_errmsg(&teb, terr));
				break;
			}
		}
		down = not_answered(err) ? down + 1 : 0;
		check_version(lines, i, j, v, err, &eb, fs, n);
		if (nthreads > 0)
			pool_taken(&p, k, down);
	}
	if (nthreads > 0)
		pool_stop(&p);
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	if (synced) {
		pthread_cond_destroy(&p.more);
		pthread_cond_destroy(&p.done);
		pthread_mutex_destroy(&p.mu);
	}
	for (k = 0; k < nv; k++) {
		free(p.v[k].msg);
		for (t = 0; t < p.v[k].nshown; t++)
			free(p.v[k].shown_note[t]);
	}
	lookup_seen_clear(&seen);
	free(p.v);
	free(p.ready);
	return rc;
}

/* Adds the go.sum lines of data[0..len), file number file, to *lines
 * (all but those of modules matching private, counted in *n instead),
 * malformed lines to fs and *n.  Returns SDB_OK or SDB_ERR_NOMEM. */
static int
read_lines(const char *data, size_t len, size_t file, const char *private,
    struct line **lines, size_t *nlines, size_t *cap, struct findings *fs, struct counts *n)
{
	int64_t lineno = 0;
	size_t off, i;
	char msg[sizeof "malformed line: " + SDB_ERRBUF_SIZE];
	int err;

	/* One line at a time, so that every malformed line is reported. */
	for (off = 0; off < len;) {
		const char *nl = memchr(data + off, '\n', len - off);
		size_t ll = nl != NULL ? (size_t)(nl - (data + off)) : len - off;
		struct sdb_gosum *g = NULL;
		struct sdb_errbuf leb = { { 0 } };

		lineno++;
		err = sdb_gosum_parse(data + off, ll, &g, &leb);
		off += ll + 1;
		if (err == SDB_ERR_NOMEM)
			return err;
		if (err != SDB_OK) {
			const char *m = leb.msg;
			struct line at;

			/* the parser numbers from 1 within the one line it saw */
			if (strncmp(m, "line 1: ", 8) == 0)
				m += 8;
			else if (strncmp(m, "go.sum line 1: ", 15) == 0)
				m += 15;
			n->malformed++;
			/* Some editors start a UTF-8 file with a byte order
			 * mark, which the go command takes as part of the
			 * first module path (and so never finds that line);
			 * "invalid char U+FEFF" would not say what it is. */
			if (lineno == 1 && ll >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
				snprintf(msg, sizeof msg, "malformed line: the file starts with a "
				    "byte order mark (U+FEFF, bytes EF BB BF), which is no part of a "
				    "go.sum: remove it (the go command reads it as part of the "
				    "module path)");
			else
				snprintf(msg, sizeof msg, "malformed line: %s", m);
			at.file = file;
			at.line = lineno;
			finding_add(fs, &at, "malformed", msg);
			continue;
		}
		for (i = 0; i < g->n; i++) {
			struct line *l;

			/* what the go command does not ask the checksum
			 * database about (GONOSUMDB) is not sent to it */
			if (private != NULL &&
			    sdb_module_match_prefix_patterns(private, g->entries[i].path)) {
				n->private++;
				continue;
			}
			if (*nlines == *cap) {
				size_t nc = *cap ? 2 * *cap : 64;
				struct line *nl2 = realloc(*lines, nc * sizeof **lines);

				if (nl2 == NULL) {
					sdb_gosum_free(g);
					return SDB_ERR_NOMEM;
				}
				*lines = nl2;
				*cap = nc;
			}
			l = &(*lines)[*nlines];
			l->path = strdup(g->entries[i].path);
			l->version = strdup(g->entries[i].version);
			if (l->path == NULL || l->version == NULL) {
				free(l->path);
				free(l->version);
				sdb_gosum_free(g);
				return SDB_ERR_NOMEM;
			}
			l->is_gomod = g->entries[i].is_gomod;
			l->alg = g->entries[i].alg;
			l->h1 = g->entries[i].h1;
			l->file = file;
			l->line = lineno;
			(*nlines)++;
		}
		sdb_gosum_free(g);
	}
	return SDB_OK;
}

int
cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "jobs", required_argument, NULL, 'J' },
		{ "private", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *private = NULL;
	char *const *files;
	struct sdb_errbuf eb = { { 0 } };
	struct line *lines = NULL;
	size_t nlines = 0, cap = 0, len = 0, nfiles, f, i, stdins = 0;
	struct counts *n = NULL, t = { 0, 0, 0, 0, 0, 0, 0 };
	unsigned jobs = CHECK_JOBS_DEFAULT;
	int json = 0, c, err, status = EXIT_LOCAL, opened = 0, summed = 0, has_private = 0;
	struct sdb_remote r;
	struct findings fs = { NULL, 0, 0, 0 };
	char *data = NULL;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case 'J': {
			unsigned long v;

			if (cli_count_arg("sumdb check", "--jobs", optarg, CHECK_JOBS_MAX, &v) != 0)
				return EXIT_LOCAL;
			jobs = (unsigned)v;
			break;
		}
		case 'p': {
			const char *bad;
			size_t blen;

			/* an empty list (GONOSUMDB unset) names no module;
			 * a malformed pattern matches nothing, as Go reads
			 * it, and would send the modules meant to the log */
			has_private = 1;
			switch (sdb_module_check_prefix_patterns(optarg, &bad, &blen)) {
			case 1: private = optarg; break;
			case 0: private = NULL; break;
			default:
				cli_linef(stderr, "sumdb check: --private: %.*s: malformed pattern (Go's "
				    "path.Match syntax), which would match no module", (int)blen, bad);
				return EXIT_LOCAL;
			}
			break;
		}
		case 'j': json = 1; break;
		case 'h': check_usage(stdout); return EXIT_OK;
		default: cli_usage_error("sumdb check", check_usage); return EXIT_LOCAL;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "sumdb check: want KEY and GOSUM-FILE...\n");
		cli_usage_error("sumdb check", check_usage);
		return EXIT_LOCAL;
	}
	files = argv + optind + 1;
	nfiles = (size_t)(argc - optind - 1);
	for (f = 0; f < nfiles; f++)
		stdins += strcmp(files[f], "-") == 0;
	if (stdins > 1) {
		fprintf(stderr, "sumdb check: standard input (-) given more than once\n");
		cli_usage_error("sumdb check", check_usage);
		return EXIT_LOCAL;
	}
	if ((n = calloc(nfiles, sizeof *n)) == NULL)
		goto nomem;
	if ((err = sdb_remote_open(&r, argv[optind], url, "--url", &eb)) != SDB_OK) {
		sdb_errf(&eb, err, "%s", sdb_errmsg(&eb, err));
		cli_linef(stderr, "sumdb check: %s", eb.msg);
		goto out;
	}
	opened = 1;
	/* every file is read before anything is looked up: one that cannot
	 * be read leaves the whole check undone, as for a single file */
	for (f = 0; f < nfiles; f++) {
		if ((data = cli_read_file(files[f], SDB_MAX_GOSUM_SIZE, &len, &eb)) == NULL) {
			cli_linef(stderr, "sumdb check: %s", eb.msg);
			goto out;
		}
		if (read_lines(data, len, f, private, &lines, &nlines, &cap, &fs, &n[f]) != SDB_OK)
			goto nomem;
		free(data);
		data = NULL;
	}
	if (nlines > 0)
		qsort(lines, nlines, sizeof *lines, cmp_line);

	if (check_lines(&r, lines, nlines, jobs, &fs, n) != SDB_OK)
		goto nomem;
	if (fs.oom)
		goto nomem;
	findings_print(&fs, json, files);
	summed = 1;
	for (f = 0; f < nfiles; f++) {
		char priv[32];

		t.matched += n[f].matched;
		t.mismatches += n[f].mismatches;
		t.unverified += n[f].unverified;
		t.not_found += n[f].not_found;
		t.malformed += n[f].malformed;
		t.not_checked += n[f].not_checked;
		t.private += n[f].private;
		if (json)
			continue;
		priv[0] = '\0';
		if (has_private)
			snprintf(priv, sizeof priv, ", %" PRId64 " private", n[f].private);
		cli_linef(stdout, "%s: %" PRId64 " line%s the log, %" PRId64 " mismatch%s, %" PRId64
		    " failed verification, %" PRId64 " not in the log, %" PRId64 " malformed, %" PRId64
		    " not checked%s", files[f], n[f].matched, n[f].matched == 1 ? " matches" : "s match",
		    n[f].mismatches, n[f].mismatches == 1 ? "" : "es", n[f].unverified,
		    n[f].not_found, n[f].malformed, n[f].not_checked, priv);
	}
	/* "lines" is what the counts add up to: the go.sum lines, not blank
	 * lines or a line the go command drops (an empty go.mod's hash) */
	if (json) {
		printf("{\"summary\":true,\"lines\":%" PRId64 ",\"matched\":%" PRId64 ",\"mismatches\":%" PRId64
		    ",\"verification_failed\":%" PRId64 ",\"not_found\":%" PRId64 ",\"malformed\":%"
		    PRId64 ",\"could_not_check\":%" PRId64, t.matched + t.mismatches +
		    t.unverified + t.not_found + t.malformed + t.not_checked + t.private, t.matched,
		    t.mismatches, t.unverified, t.not_found, t.malformed, t.not_checked);
		if (has_private)
			printf(",\"private\":%" PRId64, t.private);
		printf("}\n");
	}
	if (t.mismatches > 0 || t.unverified > 0)
		status = EXIT_VERIFY;
	else if (t.not_found > 0 || t.malformed > 0 || t.not_checked > 0)
		status = EXIT_LOCAL;
	else
		status = EXIT_OK;
	goto out;
nomem:
	sdb_errf(&eb, SDB_ERR_NOMEM, "out of memory");
	fprintf(stderr, "sumdb check: out of memory\n");
	status = EXIT_LOCAL;
out:
	/* --json ends with a summary: a check that could not be done has one
	 * too, with no counts (nothing was counted) */
	if (json && !summed) {
		printf("{\"summary\":true,\"error\":\"could-not-check\",\"detail\":");
		json_string(stdout, eb.msg, strlen(eb.msg));
		printf("}\n");
	}
	findings_free(&fs);
	for (i = 0; i < nlines; i++) {
		free(lines[i].path);
		free(lines[i].version);
	}
	free(lines);
	free(data);
	free(n);
	if (opened)
		sdb_remote_close(&r);
	return status;
}
