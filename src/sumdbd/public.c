/*
 * The public-log path of sumdbd serve (public.h): routing of lookup
 * misses (private patterns to the upstream fetcher, the rest to the public
 * log), the verified public lookup (csumdb/remote.h for HTTP and the
 * bounded in-memory tile cache, csumdb/audit_lookup.h for the decision),
 * the accepted public tree and the misbehavior evidence in the config
 * table, and the append to our log.
 *
 * Threads: lookups are fetched concurrently (sdb_remote_lookup_fetch uses
 * only the thread-safe HTTP client); tile reads, the consistency check and
 * moving the accepted tree forward run under one mutex, so the accepted
 * tree only ever moves to a tree checked against the one before it.
 */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csumdb/audit_lookup.h"
#include "csumdb/base64.h"
#include "csumdb/module.h"
#include "csumdb/module_glob.h"
#include "csumdb/note.h"
#include "csumdb/remote.h"
#include "csumdb/store.h"
#include "csumdb/treenote.h"
#include "flight.h"
#include "limits.h"
#include "public.h"
#include "upstream.h"

/* Bytes of a misbehaving response kept as evidence. */
#define EVIDENCE_BODY_MAX 8192

struct sdbd_public {
	struct sdbd_log *log;
	int off;
	char *patterns;
	struct sdbd_upstream *upstream;
	void (*log_line)(const char *line);
	struct sdbd_flights *flights;
	int have_remote;
	struct sdb_remote r;        /* tiles: only under mu */
	char *shown_base;           /* r.base with its credentials masked, for
	                             * messages clients see; NULL: none */
	pthread_mutex_t mu;
	int have_acc;               /* under mu */
	struct sdb_tree acc;
	char *acc_note;
	int64_t nevidence;          /* under mu */
};

static void
logf_line(struct sdbd_public *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
logf_line(struct sdbd_public *p, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (p->log_line == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	p->log_line(line);
}

/* --- the state in the config table --------------------------------------- */

struct config_write {
	const char *key[3];
	const char *value[3];
	size_t n;
};

/* Runs on the sequencer thread (sdbd_log_with_writer). */
static int
config_write_fn(void *arg, struct sdb_store *st, struct sdb_errbuf *eb)
{
	struct config_write *w = arg;
	size_t i;
	int rc;

	for (i = 0; i < w->n; i++)
		if ((rc = sdb_store_config_set(st, w->key[i], w->value[i], eb)) != SDB_OK)
			return rc;
	return SDB_OK;
}

static int
load_state(struct sdbd_public *p, const char *db_path, struct sdb_errbuf *eb)
{
	struct sdb_store *st = NULL;
	char *vkey = NULL, *note = NULL, *cnt = NULL;
	int rc;

	if ((rc = sdb_store_open(&st, db_path, SDB_STORE_READ, eb)) != SDB_OK)
		return rc;
	rc = sdb_store_config_get(st, SDBD_PUBLIC_KEY_VKEY, &vkey, eb);
	if (rc == SDB_OK && strcmp(vkey, p->r.vkey) != 0) {
		logf_line(p, "public log: the accepted tree in the database is for %s, not %s: "
		    "first contact with the new key", vkey, p->r.vkey);
		rc = SDB_ERR_NOT_FOUND;
	}
	if (rc == SDB_OK)
		rc = sdb_store_config_get(st, SDBD_PUBLIC_KEY_TREE, &note, eb);
	if (rc == SDB_OK) {
		rc = sdb_tree_note_open(&p->acc, NULL, note, strlen(note), p->r.v, eb);
		if (rc != SDB_OK) {
			rc = sdb_errf(eb, rc, "the accepted public tree in %s does not verify with %s: %s",
			    db_path, p->r.vkey, sdb_errmsg(eb, rc));
			goto out;
		}
		p->have_acc = 1;
		p->acc_note = note;
		note = NULL;
	} else if (rc != SDB_ERR_NOT_FOUND) {
		goto out;
	}
	rc = sdb_store_config_get(st, SDBD_PUBLIC_KEY_NEVIDENCE, &cnt, eb);
	if (rc == SDB_OK) {
		char *end;
		long long v = strtoll(cnt, &end, 10);

		p->nevidence = (*cnt != '\0' && *end == '\0' && v >= 0) ? v : 0;
	}
	rc = SDB_OK;
out:
	free(vkey);
	free(note);
	free(cnt);
	sdb_store_close(st);
	return rc;
}

/* Stores tree (its note) as the accepted public tree, durably. */
static int
store_accepted(struct sdbd_public *p, const char *note, size_t len, struct sdb_errbuf *eb)
{
	struct config_write w;
	char *copy = strndup(note, len);
	int rc;

	if (copy == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	w.key[0] = SDBD_PUBLIC_KEY_VKEY;
	w.value[0] = p->r.vkey;
	w.key[1] = SDBD_PUBLIC_KEY_TREE;
	w.value[1] = copy;
	w.n = 2;
	rc = sdbd_log_with_writer(p->log, config_write_fn, &w, eb);
	if (rc != SDB_OK) {
		free(copy);
		return rc;
	}
	free(p->acc_note);
	p->acc_note = copy;
	return SDB_OK;
}

/* Appends text (made printable: evidence is read by people) to f. */
static void
put_clean(FILE *f, const char *s, size_t len)
{
	size_t i;

	if (len > EVIDENCE_BODY_MAX)
		len = EVIDENCE_BODY_MAX;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		fputc(c == '\n' || (c >= 0x20 && c != 0x7f) ? c : '?', f);
	}
	if (len == 0 || s[len - 1] != '\n')
		fputc('\n', f);
}

/*
 * Keeps the evidence of a misbehavior (under mu): the text goes to entry
 * min(count, MAX-1), then the count; a crash in between leaves an entry
 * that the next one overwrites.
 */
static int
store_evidence(struct sdbd_public *p, const char *text)
{
	struct config_write w;
	char key[64], cnt[32];
	int64_t slot = p->nevidence < SDBD_PUBLIC_MAX_EVIDENCE - 1 ? p->nevidence :
	    SDBD_PUBLIC_MAX_EVIDENCE - 1;
	int rc;

	snprintf(key, sizeof key, "%s%" PRId64, SDBD_PUBLIC_KEY_EVIDENCE, slot);
	snprintf(cnt, sizeof cnt, "%" PRId64, p->nevidence + 1);
	w.key[0] = key;
	w.value[0] = text;
	w.key[1] = SDBD_PUBLIC_KEY_NEVIDENCE;
	w.value[1] = cnt;
	w.n = 2;
	rc = sdbd_log_with_writer(p->log, config_write_fn, &w, NULL);
	if (rc == SDB_OK)
		p->nevidence++;
	return rc;
}

/*
 * A misbehavior (under mu): writes the evidence, stores it, logs a line,
 * and turns eb into the 502 body.  Returns err.
 */
static int
misbehaved(struct sdbd_public *p, int err, const char *path, const char *version,
    const struct sdb_remote_answer *a, const struct sdb_audit_result *res,
    struct sdb_errbuf *eb)
{
	char *text = NULL, b64[64], when[32], why[SDB_ERRBUF_SIZE];
	size_t tlen = 0, i;
	time_t now = time(NULL);
	struct tm tm;
	FILE *f = open_memstream(&text, &tlen);
	int stored = -1;

	snprintf(why, sizeof why, "%s", sdb_errmsg(eb, err));
	/* Tiles authenticated against a misbehaving tree must not be used
	 * again: empty the cache. */
	memset(p->r.mem, 0, SDB_REMOTE_MEMCACHE_SLOTS * sizeof *p->r.mem);
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (f != NULL) {
		fprintf(f, "public log misbehavior: %s\n", why);
		fprintf(f, "public log: %s at %s\n", p->r.vkey, p->r.base);
		fprintf(f, "seen: %s, looking up %s@%s\n", when, path, version);
		if (p->have_acc) {
			fprintf(f, "\naccepted tree (%" PRId64 " records):\n", p->acc.n);
			put_clean(f, p->acc_note, strlen(p->acc_note));
		}
		if (a->body != NULL && a->note.p != NULL && err != SDB_ERR_BAD_SIGNATURE &&
		    err != SDB_ERR_UNVERIFIED_NOTE && err != SDB_ERR_MALFORMED_NOTE) {
			fprintf(f, "\ntree served (%" PRId64 " records):\n", a->tree.n);
			put_clean(f, a->note.p, a->note.len);
			fprintf(f, "\nrecord %" PRId64 " as served:\n", a->id);
			put_clean(f, a->text.p, a->text.len);
		} else if (a->body != NULL) {
			fprintf(f, "\nlookup response as served:\n");
			put_clean(f, a->body, a->len);
		}
		if (err == SDB_ERR_FORK && res != NULL && p->have_acc && a->tree.n == p->acc.n) {
			fprintf(f, "\ntwo different trees of %" PRId64 " records signed by the same "
			    "key: no proof is needed\n", a->tree.n);
		} else if (err == SDB_ERR_FORK && res != NULL) {
			sdb_b64_encode(b64, res->computed.b, SDB_HASH_SIZE);
			fprintf(f, "\nhash of the smaller tree computed from the larger's tiles: %s\n", b64);
			fprintf(f, "consistency proof (%zu hashes):\n", res->nproof);
			for (i = 0; i < res->nproof; i++) {
				sdb_b64_encode(b64, res->proof[i].b, SDB_HASH_SIZE);
				fprintf(f, "%s\n", b64);
			}
		}
		if (fclose(f) == 0 && text != NULL)
			stored = store_evidence(p, text);
	}
	free(text);
	logf_line(p, "public log %s MISBEHAVED (%s@%s): %s; nothing recorded, %s", p->r.base,
	    path, version, why, stored == SDB_OK ? "evidence stored (sumdbd status)" :
	    "WARNING: the evidence could not be stored");
	return sdb_errf(eb, err, "the public checksum database %s misbehaved: %s; nothing is "
	    "recorded", sdb_note_verifier_name(p->r.v), why);
}

/* --- one public lookup ---------------------------------------------------- */

/* Under mu: the decision, with one network-only retry for tiles that did
 * not authenticate (a damaged cache entry is not the public log's fault). */
static int
verify_locked(struct sdbd_public *p, const struct sdb_remote_answer *a,
    struct sdb_audit_result *res, struct sdb_errbuf *eb)
{
	int advance = 0, err, attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (attempt > 0)
			memset(p->r.mem, 0, SDB_REMOTE_MEMCACHE_SLOTS * sizeof *p->r.mem);
		p->r.net_eb.msg[0] = '\0';
		err = sdb_audit_lookup(p->have_acc ? &p->acc : NULL, &a->tree, a->id, a->text.p,
		    a->text.len, SDB_REMOTE_TILE_HEIGHT, &p->r.src, res, &advance, eb);
		if (err != SDB_ERR_TILE_MISMATCH && err != SDB_ERR_INVALID)
			break;
	}
	if (err == SDB_ERR_IO && p->r.net_eb.msg[0] != '\0')
		err = sdb_errf(eb, err, "%s", p->r.net_eb.msg);
	if (err == SDB_ERR_INVALID)
		err = sdb_errf(eb, SDB_ERR_TILE_MISMATCH, "tiles of the wrong size for the signed "
		    "tree of %" PRId64 " records", a->tree.n);
	if (err != SDB_OK || !advance)
		return err;
	if ((err = store_accepted(p, a->note.p, a->note.len, eb)) != SDB_OK)
		return err;
	if (!p->have_acc)
		logf_line(p, "public log %s: first contact: trusting its tree of %" PRId64
		    " records and recording it as accepted", p->r.base, a->tree.n);
	p->acc = a->tree;
	p->have_acc = 1;
	return SDB_OK;
}

static int
public_fetch(void *arg, const char *path, const char *version, struct sdb_errbuf *eb)
{
	struct sdbd_public *p = arg;
	struct sdb_remote_answer a;
	struct sdb_audit_result res;
	struct sdbd_record rec;
	char pre[512];
	int64_t id;
	int err;

	memset(&res, 0, sizeof res);
	err = sdb_remote_lookup_fetch(&p->r, path, version, &a, eb);
	snprintf(pre, sizeof pre, "the public checksum database %s", sdb_note_verifier_name(p->r.v));
	if (err == SDB_ERR_NOT_FOUND)
		return sdb_remote_errwrap(eb, SDB_ERR_NOT_FOUND, err, pre);
	if (err == SDB_ERR_NOMEM)
		return err;
	if (err != SDB_OK && !sdb_err_is_verification(err))
		return sdb_remote_errwrap(eb, SDB_ERR_IO, err, pre);
	pthread_mutex_lock(&p->mu);
	if (err == SDB_OK)
		err = verify_locked(p, &a, &res, eb);
	if (sdb_err_is_verification(err))
		err = misbehaved(p, err, path, version, &a, &res, eb);
	else if (err != SDB_OK && err != SDB_ERR_NOMEM)
		err = sdb_remote_errwrap(eb, SDB_ERR_IO, err, pre);
	pthread_mutex_unlock(&p->mu);
	if (err == SDB_OK) {
		rec.path = path;
		rec.path_len = strlen(path);
		rec.version = version;
		rec.version_len = strlen(version);
		rec.text = a.text.p;
		rec.text_len = a.text.len;
		err = sdbd_log_append(p->log, &rec, 1, &id, eb);
		if (err == SDB_ERR_EXISTS)
			err = sdb_errf(eb, SDB_ERR_EXISTS, "this log already holds other hashes for %s@%s "
			    "than the public checksum database", path, version);
	}
	sdb_remote_answer_clear(&a);
	return err;
}

/* public_fetch, with the public log's credentials (in --public-url) kept
 * out of the message: it becomes the body a client gets. */
static int
public_fetch_masked(void *arg, const char *path, const char *version, struct sdb_errbuf *eb)
{
	struct sdbd_public *p = arg;
	int err = public_fetch(arg, path, version, eb);

	if (err != SDB_OK)
		sdbd_url_scrub(eb, p->r.base, p->shown_base);
	return err;
}

int
sdbd_public_miss(void *arg, const char *path, const char *version, struct sdb_errbuf *eb)
{
	struct sdbd_public *p = arg;
	int rc;

	if (p->patterns != NULL && sdb_module_match_prefix_patterns(p->patterns, path)) {
		if (p->upstream == NULL)
			return sdb_errf(eb, SDB_ERR_NOT_FOUND,
			    "a private module, and this server has no --upstream");
		return sdbd_upstream_miss(p->upstream, path, version, eb);
	}
	if (p->off)
		return sdb_errf(eb, SDB_ERR_NOT_FOUND, "%slookups in the public checksum database "
		    "are off in this server (--no-public)", p->patterns != NULL ?
		    "module not in this checksum database's private patterns, and " :
		    "not recorded in this checksum database, and ");
	{
		struct sdb_errbuf ceb;

		ceb.msg[0] = '\0';
		if ((rc = sdb_module_check_canonical(path, strlen(path), version, strlen(version),
		    &ceb)) != SDB_OK)
			return sdb_errf(eb, SDB_ERR_NOT_FOUND, "%s", sdb_errmsg(&ceb, rc));
	}
	return sdbd_flights_run(p->flights, "public lookups", path, version, public_fetch_masked, p,
	    eb);
}

/* --- setup ---------------------------------------------------------------- */

int
sdbd_public_new(struct sdbd_public **out, const struct sdbd_public_options *opt,
    struct sdbd_log *log, const char *db_path, struct sdb_errbuf *eb)
{
	struct sdbd_public *p;
	int rc;

	*out = NULL;
	if ((p = calloc(1, sizeof *p)) == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	p->log = log;
	p->off = opt->off;
	p->upstream = opt->upstream;
	p->log_line = opt->log_line;
	pthread_mutex_init(&p->mu, NULL);
	if (opt->patterns != NULL && (p->patterns = strdup(opt->patterns)) == NULL) {
		rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (p->off) {
		*out = p;
		return SDB_OK;
	}
	if ((rc = sdbd_flights_new(&p->flights, opt->concurrency, opt->max_inside, eb)) != SDB_OK)
		goto fail;
	rc = sdb_remote_open(&p->r, opt->vkey ? opt->vkey : SDB_NOTE_SUMGOLANG_NAME, opt->url, eb);
	if (rc != SDB_OK) {
		rc = sdb_errf(eb, rc, "--public-key/--public-url: %s", sdb_errmsg(eb, rc));
		goto fail;
	}
	p->have_remote = 1;
	{
		int nomem;

		p->shown_base = sdbd_url_masked(p->r.base, &nomem);
		if (nomem) {
			rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	if ((rc = load_state(p, db_path, eb)) != SDB_OK)
		goto fail;
	*out = p;
	return SDB_OK;
fail:
	sdbd_public_free(p);
	return rc;
}

void
sdbd_public_free(struct sdbd_public *p)
{
	if (p == NULL)
		return;
	if (p->have_remote)
		sdb_remote_close(&p->r);
	sdbd_flights_free(p->flights);
	pthread_mutex_destroy(&p->mu);
	free(p->patterns);
	free(p->acc_note);
	free(p->shown_base);
	free(p);
}
