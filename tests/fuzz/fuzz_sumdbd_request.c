/* Fuzz target: requests to sumdbd's public listener, from the request
 * target a client sends to the answer: decoding (src/sumdbd/http_path.c)
 * and the handlers (src/sumdbd/handlers.c) over a log of LOG_SIZE
 * records, made once per process in a directory of its own under TMPDIR
 * and removed at exit.  The input up to its first NUL is the target.
 *
 * Every request is answered at once (no lookup miss is deferred: the log
 * has no upstream), with 200, 400 or 404 and a body, never 5xx.  A 200
 * is what its path asks for: /latest the tree of LOG_SIZE signed by the
 * log's key, a lookup a lookup response of the record asked for, a hash
 * tile w hashes and a data tile w records; and only a full tile is
 * marked immutable. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "csumdb/module.h"
#include "csumdb/note.h"
#include "csumdb/record.h"
#include "csumdb/store.h"
#include "csumdb/tile.h"
#include "csumdb/treenote.h"
#include "fuzz.h"
#include "sumdbd/handlers.h"
#include "sumdbd/http_path.h"
#include "sumdbd/import.h"
#include "sumdbd/lookup_index.h"

/* Two full tiles and a partial one at level 0, a partial one at level 1. */
#define LOG_SIZE 600
#define LOG_NAME "sum.example.com"

static char dir[4096], db[4200], key[4200];
static struct sdbd_log *log_;
static struct sdbd_handlers *handlers;
static struct sdb_note_verifier *verifier;

static void
teardown(void)
{
	sdbd_handlers_free(handlers);
	sdbd_log_close(log_);
	sdb_note_verifier_free(verifier);
	sdb_fuzz_dir_empty(dir, 1);
}

/* A go.sum of LOG_SIZE module versions, each with both lines. */
static char *
gosum_text(size_t *len)
{
	size_t cap = (size_t)LOG_SIZE * 200, n = 0;
	char *s = malloc(cap);
	int i, k;

	if (s == NULL)
		return NULL;
	for (i = 0; i < LOG_SIZE; i++)
		for (k = 0; k < 2; k++)
			n += (size_t)snprintf(s + n, cap - n,
			    "example.com/m%d v1.%d.0%s h1:%042d0=\n", i % 7, i, k ? "/go.mod" : "",
			    i * 2 + k);
	*len = n;
	return s;
}

static void
setup(void)
{
	struct sdb_note_signer *s = NULL;
	struct sdbd_log_options o;
	struct sdbd_import im;
	char buf[256], *vkey = NULL, *text;
	int64_t *ids;
	size_t len;
	FILE *f;

	if (sdb_crypto_init() != SDB_OK)
		__builtin_trap();
	sdb_fuzz_dir_make(dir, sizeof dir);
	atexit(teardown);
	snprintf(db, sizeof db, "%s/log.db", dir);
	snprintf(key, sizeof key, "%s/log.key", dir);
	if (sdb_note_signer_generate(&s, LOG_NAME, NULL) != SDB_OK ||
	    sdb_note_signer_format(s, buf, sizeof buf) != SDB_OK ||
	    sdb_note_signer_verifier(s, &verifier) != SDB_OK ||
	    sdb_note_verifier_format(verifier, &vkey) != SDB_OK || (f = fopen(key, "w")) == NULL)
		__builtin_trap();
	sdb_note_signer_free(s);
	(void)fchmod(fileno(f), 0600);   /* sumdbd warns of a key others may read */
	fprintf(f, "%s\n", buf);
	if (fclose(f) != 0 || sdb_store_create(db, LOG_NAME, vkey, key, NULL) != SDB_OK)
		__builtin_trap();
	free(vkey);
	memset(&o, 0, sizeof o);
	o.db_path = db;
	memset(&im, 0, sizeof im);
	if ((text = gosum_text(&len)) == NULL || sdbd_log_open(&log_, &o, NULL) != SDB_OK ||
	    sdbd_import_add(&im, "fuzz", text, len, NULL) != SDB_OK ||
	    sdbd_import_finish(&im, 0, NULL, NULL, NULL) != SDB_OK || im.n != LOG_SIZE ||
	    (ids = calloc(im.n, sizeof *ids)) == NULL ||
	    sdbd_log_append(log_, im.recs, im.n, ids, NULL) != SDB_OK)
		__builtin_trap();
	free(ids);
	sdbd_import_free(&im);
	free(text);
	if (sdbd_handlers_new(&handlers, db, LOG_NAME, log_, NULL) != SDB_OK)
		__builtin_trap();
	sdbd_handlers_index(handlers, SDBD_LOOKUP_INDEX_MAX_RECORDS, NULL);
}

/* The path as the handlers see it, without a /sumdb/NAME prefix of ours. */
static void
strip_prefix(const char **p, size_t *n)
{
	static const char pre[] = "/sumdb/" LOG_NAME;

	if (*n > sizeof pre - 1 && memcmp(*p, pre, sizeof pre - 1) == 0 &&
	    (*p)[sizeof pre - 1] == '/') {
		*p += sizeof pre - 1;
		*n -= sizeof pre - 1;
	}
}

static void
check_ok(const char *p, size_t n, const struct sdbd_http_response *r)
{
	struct sdb_span spans[256], text, note;
	struct sdb_record rec;
	struct sdb_tree tree;
	struct sdb_tile t;
	int64_t id;

	strip_prefix(&p, &n);
	if (n == 7 && memcmp(p, "/latest", 7) == 0) {
		if (r->immutable || sdb_tree_note_open(&tree, NULL, r->body, r->len, verifier,
		    NULL) != SDB_OK || tree.n != LOG_SIZE)
			__builtin_trap();
	} else if (n > 8 && memcmp(p, "/lookup/", 8) == 0) {
		char *path, *version;
		size_t pl, vl;

		if (r->immutable ||
		    sdb_lookup_parse(p + 8, n - 8, &path, &pl, &version, &vl, NULL) != SDB_OK ||
		    sdb_lookup_response_parse(r->body, r->len, &id, &text, &rec, &note, NULL) != SDB_OK ||
		    id < 0 || id >= LOG_SIZE || rec.path.len != pl ||
		    memcmp(rec.path.p, path, pl) != 0 || rec.version.len != vl ||
		    memcmp(rec.version.p, version, vl) != 0 ||
		    sdb_tree_note_open(&tree, NULL, note.p, note.len, verifier, NULL) != SDB_OK)
			__builtin_trap();
		free(path);
		free(version);
	} else if (n > 6 && memcmp(p, "/tile/", 6) == 0) {
		if (sdb_tile_parse(&t, p + 1, n - 1) != SDB_OK || r->immutable != (t.w == 256))
			__builtin_trap();
		if (t.l >= 0 && r->len != (size_t)t.w * SDB_HASH_SIZE)
			__builtin_trap();
		if (t.l < 0 && sdb_data_tile_parse(r->body, r->len, (size_t)t.w,
		    SDB_DATA_TILE_STRICT, spans, NULL) != SDB_OK)
			__builtin_trap();
	} else if (!(n == 10 && memcmp(p, "/supported", 10) == 0)) {
		__builtin_trap();
	}
}

SDB_FUZZ_TARGET(sumdbd_request)
{
	struct sdbd_http_response r;
	size_t len = strnlen((const char *)data, size);
	char *url, *path;
	long n;
	int plain;

	if (handlers == NULL)
		setup();
	if (len > 16384)
		return 0;
	url = malloc(len + 1);
	path = malloc(len + 1);
	if (url == NULL || path == NULL)
		goto out;
	memcpy(url, data, len);
	url[len] = '\0';
	if ((n = sdbd_http_target_path(url, len, path, &plain)) < 0)
		goto out;
	memset(&r, 0, sizeof r);
	sdbd_handle(handlers, path, (size_t)n, &r);
	sdbd_handle_release(handlers);
	if (r.defer != NULL || (r.status != 200 && r.status != 400 && r.status != 404) ||
	    (r.body == NULL && r.len != 0) || (r.immutable && r.status != 200))
		__builtin_trap();
	if (r.status == 200)
		check_ok(path, (size_t)n, &r);
	if (!r.body_static)
		free(r.body);
out:
	free(url);
	free(path);
	return 0;
}
