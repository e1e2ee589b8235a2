/*
 * The sequencer: the one writer of a sumdbd database (DESIGN.md "Data
 * flow" steps 2 and 3, "Rules that are never bent").  Callers queue
 * records; one thread takes what is queued (group commit), drops what the
 * log already holds, assigns ids, extends the tree with a frontier, builds
 * exactly the tiles x/mod's tlog.NewTiles would publish, signs the tree
 * note and commits records + tiles + signed tree in one store batch.  Only
 * after that commit returned is the new tree published to readers and the
 * callers woken.  A failed commit publishes nothing and restores the
 * in-memory frontier to the committed state, so the next batch starts from
 * what is durable.
 *
 * Tiles are height 8 (PROTOCOL.md "Endpoints"); the store keeps one blob
 * per (level, n), the widest width, and serves narrower ones as prefixes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "crypto.h"
#include "csumdb/note.h"
#include "csumdb/record.h"
#include "csumdb/store.h"
#include "csumdb/tile.h"
#include "csumdb/tlog.h"
#include "csumdb/treenote.h"
#include "fileio.h"
#include "limits.h"
#include "log.h"
#include "lograte.h"
#include "sync.h"

#define TILE_H SDB_TILE_HEIGHT
#define TILE_W SDB_STORE_TILE_WIDTH
#define NLEVELS (SDB_STORE_MAX_TILE_LEVEL + 1)

/* A published tree; pub first so sdbd_latest_put can cast back. */
struct latest_impl {
	struct sdbd_latest pub;
	atomic_int refs;
	char note[];
};

/* One caller of sdbd_log_append, waiting on log->done_cv. */
struct req {
	const struct sdbd_record *recs;
	size_t n;
	int64_t *ids;
	int rc;
	int done;
	int uses_new;   /* an id refers to a record of the current batch */
	struct sdb_errbuf eb;
	struct req *next;
	sdbd_log_writer_fn fn;  /* a writer task (n == 0), run alone */
	void *fn_arg;
	sdbd_log_progress_fn progress;  /* may be NULL */
	void *progress_arg;
};

/* The tile being filled at one tile level during a batch. */
struct tile_state {
	int64_t n;      /* tile index */
	int w;          /* hashes in buf */
	int loaded;     /* buf[0..w) holds the stored prefix */
	int dirty;      /* got new hashes in this batch */
	uint8_t buf[SDB_STORE_TILE_MAX_BYTES];
};

struct sdbd_log {
	struct sdb_store *st;               /* writer; sequencer thread only */
	struct sdb_note_signer *signer;
	struct sdb_note_verifier *verifier;
	struct sdbd_checkpoint *cp;         /* the key's checkpoint (checkpoint.h) */
	struct latest_impl *pending;        /* committed, published once cp holds it */
	struct sdb_tlog_frontier fr;        /* the committed tree */
	int need_resync;                    /* a commit failed in an unknown state */
	atomic_int failing;                 /* sdbd_log_failing() */
	int group_commit_ms;
	size_t max_batch;
	struct tile_state tiles[NLEVELS];

	pthread_t thread;
	int thread_started;
	pthread_mutex_t mu;                 /* queue, closing, done flags */
	pthread_cond_t queue_cv;
	pthread_cond_t done_cv;
	struct req *head, *tail;
	size_t queued;                      /* records in the queue */
	int closing;

	pthread_mutex_t latest_mu;
	struct latest_impl *latest;
};

/* ---- published trees ------------------------------------------------ */

static int
latest_new(struct latest_impl **out, const struct sdb_tree *t, const char *note, size_t len)
{
	struct latest_impl *l = malloc(sizeof *l + len + 1);

	if (l == NULL)
		return SDB_ERR_NOMEM;
	l->pub.tree = *t;
	memcpy(l->note, note, len);
	l->note[len] = '\0';
	l->pub.note = l->note;
	l->pub.note_len = len;
	atomic_init(&l->refs, 1);
	*out = l;
	return SDB_OK;
}

void
sdbd_latest_put(const struct sdbd_latest *pub)
{
	struct latest_impl *l = (struct latest_impl *)(uintptr_t)pub;

	if (l != NULL && atomic_fetch_sub(&l->refs, 1) == 1)
		free(l);
}

const struct sdbd_latest *
sdbd_log_latest(struct sdbd_log *log)
{
	struct latest_impl *l;

	pthread_mutex_lock(&log->latest_mu);
	l = log->latest;
	atomic_fetch_add(&l->refs, 1);
	pthread_mutex_unlock(&log->latest_mu);
	return &l->pub;
}

/* Makes l (whose reference the log takes over) the published tree. */
static void
publish(struct sdbd_log *log, struct latest_impl *l)
{
	struct latest_impl *old;

	pthread_mutex_lock(&log->latest_mu);
	old = log->latest;
	log->latest = l;
	pthread_mutex_unlock(&log->latest_mu);
	if (old != NULL)
		sdbd_latest_put(&old->pub);
}

/* ---- keys ------------------------------------------------------------ */

/* A key file holds one key line; anything longer is not a key file. */
#define KEY_FILE_MAX 4096

int
sdbd_warn_open_to_others(const char *prog, const char *what, const char *path,
    const struct stat *sb)
{
	if (!S_ISREG(sb->st_mode) || (sb->st_mode & 077) == 0)
		return 0;
	sdbd_linef(stderr, "%s: warning: %s %s can be read or written by others (mode %04o); "
	    "chmod 600 it", prog, what, path, (unsigned)(sb->st_mode & 07777));
	return 1;
}

int
sdbd_key_load(struct sdb_note_signer **out, const char *path, struct sdb_errbuf *eb)
{
	char *buf;
	size_t n = 0;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == EACCES)
		return sdb_errf(eb, SDB_ERR_IO, "signer key file %s: %s: run sumdbd as a user "
		    "that may read it (its owner: init makes it mode 0600), or give --key a key "
		    "this user may read", path, strerror(errno));
	if (fd < 0)
		return sdb_errf(eb, errno == ENOENT ? SDB_ERR_NOT_FOUND : SDB_ERR_IO,
		    "signer key file %s: %s", path, strerror(errno));
	{
		struct stat sb;

		/* Whoever can read the key can sign a fork of the log: say
		 * so, as ssh does of private keys (not refused: a key shared
		 * with a service group is a choice someone may have made).
		 * Once per file: init reads its key twice. */
		static dev_t warned_dev;
		static ino_t warned_ino;

		if (fstat(fd, &sb) == 0 && (sb.st_dev != warned_dev || sb.st_ino != warned_ino) &&
		    sdbd_warn_open_to_others("sumdbd", "signer key file", path, &sb)) {
			warned_dev = sb.st_dev;
			warned_ino = sb.st_ino;
		}
	}
	buf = sdb_secret_alloc(KEY_FILE_MAX + 1);
	if (buf == NULL) {
		close(fd);
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	}
	if (sdb_read_all(fd, buf, KEY_FILE_MAX + 1, &n) != 0) {
		rc = sdb_errf(eb, SDB_ERR_IO, "signer key file %s: %s", path, strerror(errno));
		goto out;
	}
	if (n > KEY_FILE_MAX) {
		rc = sdb_errf(eb, SDB_ERR_BAD_KEY, "signer key file %s: too large for a key", path);
		goto out;
	}
	/* Editors and echo add a final newline; the key itself has none. */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	{
		/* `sumdbd keygen NAME > FILE` writes the verifier key on a
		 * second line: taken when it is this key's own. */
		char *nl = memchr(buf, '\n', n);
		size_t klen = nl != NULL ? (size_t)(nl - buf) : n;

		if (klen > 0 && buf[klen - 1] == '\r')
			klen--;
		rc = sdb_note_signer_parse(out, buf, klen, eb);
		if (rc != SDB_OK) {
			rc = sdb_errf(eb, rc, "signer key file %s: not a signer key (PRIVATE+KEY+...)",
			    path);
			goto out;
		}
		if (nl != NULL) {
			struct sdb_note_verifier *v = NULL;
			char *vkey = NULL;
			size_t rest = n - (size_t)(nl + 1 - buf);

			rc = sdb_note_signer_verifier(*out, &v);
			if (rc == SDB_OK)
				rc = sdb_note_verifier_format(v, &vkey);
			if (rc == SDB_OK && (strlen(vkey) != rest || memcmp(vkey, nl + 1, rest) != 0))
				rc = sdb_errf(eb, SDB_ERR_BAD_KEY, "signer key file %s: holds more than the "
				    "key (its second line may only be the key's own verifier key)", path);
			else if (rc != SDB_OK)
				rc = sdb_errf(eb, rc, "out of memory");
			free(vkey);
			sdb_note_verifier_free(v);
			if (rc != SDB_OK) {
				sdb_note_signer_free(*out);
				*out = NULL;
			}
		}
	}
out:
	sdb_memzero(buf, KEY_FILE_MAX + 1);
	sdb_secret_free(buf);
	close(fd);
	return rc;
}

/* ---- reading stored hashes from the store's tiles ------------------- */

/* A struct sdb_hash_reader over the stored tiles (for the frontier at
 * open): each hash is computed from the tile holding it. */
struct store_reader {
	struct sdb_store *st;
	struct sdb_errbuf *eb;
	struct sdb_tile t;      /* cached tile, w = stored width */
	uint8_t *data;
	size_t len;
};

static int
store_read(void *ctx, const int64_t *idx, size_t n, sdb_hash *out)
{
	struct store_reader *sr = ctx;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		struct sdb_tile t;

		rc = sdb_tile_for_index(TILE_H, idx[i], &t);
		if (rc != SDB_OK)
			return rc;
		if (sr->data == NULL || sr->t.l != t.l || sr->t.n != t.n || sr->t.w < t.w) {
			free(sr->data);
			sr->data = NULL;
			rc = sdb_store_tile(sr->st, t.l, t.n, 0, &sr->data, &sr->len, sr->eb);
			if (rc == SDB_ERR_NOT_FOUND)
				return sdb_errf(sr->eb, SDB_ERR_ROOT_MISMATCH,
				    "tile %d/%lld is missing", t.l, (long long)t.n);
			if (rc != SDB_OK)
				return rc;
			sr->t = t;
			sr->t.w = (int)(sr->len / SDB_HASH_SIZE);
			if (sr->t.w < t.w)
				return sdb_errf(sr->eb, SDB_ERR_ROOT_MISMATCH,
				    "tile %d/%lld holds %d hashes, the tree needs %d", t.l,
				    (long long)t.n, sr->t.w, t.w);
		}
		rc = sdb_tile_hash_from_tile(&sr->t, sr->data, sr->len, idx[i], &out[i]);
		if (rc != SDB_OK)
			return rc;
	}
	return SDB_OK;
}

/*
 * Loads the frontier of the stored tree tree->n from the tiles and checks
 * it gives tree->hash: the right edge is what every later root and tile is
 * computed from, so a damaged edge must stop the server before it signs.
 */
static int
load_frontier(struct sdbd_log *log, const struct sdb_tree *tree, struct sdb_errbuf *eb)
{
	struct store_reader sr = { log->st, eb, { 0, 0, 0, 0 }, NULL, 0 };
	struct sdb_hash_reader r = { store_read, &sr };
	struct sdb_tlog_frontier f;
	sdb_hash root;
	int rc;

	rc = sdb_tlog_frontier_load(&f, tree->n, &r);
	free(sr.data);
	if (rc != SDB_OK)
		return rc;
	sdb_tlog_frontier_root(&f, &root);
	if (memcmp(root.b, tree->hash.b, SDB_HASH_SIZE) != 0)
		return sdb_errf(eb, SDB_ERR_ROOT_MISMATCH,
		    "the stored tiles do not reproduce the signed tree of size %lld: "
		    "the database is damaged; refusing to sign anything (run sumdbd fsck)",
		    (long long)tree->n);
	log->fr = f;
	return SDB_OK;
}

/*
 * The key's checkpoint must hold a tree before any client sees it: a
 * crash can then leave the checkpoint behind the database only by trees
 * no client has seen.
 */
static int
checkpoint_hold(struct sdbd_log *log, const struct sdb_tree *t, const char *note, size_t len,
    struct sdb_errbuf *eb)
{
	int rc;

	if (!sdbd_checkpoint_behind(log->cp, t))
		return SDB_OK;
	rc = sdbd_checkpoint_write(log->cp, t, note, len, eb);
	if (rc != SDB_OK)
		return sdb_errf(eb, rc, "%s; tree %lld is committed but not published, and nothing "
		    "more is signed until the checkpoint can be written", sdb_errmsg(eb, rc),
		    (long long)t->n);
	return SDB_OK;
}

/* Publishes the tree the last batch committed once the checkpoint holds it. */
static int
publish_pending(struct sdbd_log *log, struct sdb_errbuf *eb)
{
	struct latest_impl *l = log->pending;
	int rc;

	if (l == NULL)
		return SDB_OK;
	rc = checkpoint_hold(log, &l->pub.tree, l->pub.note, l->pub.note_len, eb);
	if (rc != SDB_OK)
		return rc;
	log->pending = NULL;
	publish(log, l);
	return SDB_OK;
}

/* Reads the latest tree from the store, checks its note, makes the key's
 * checkpoint hold it and publishes it. */
static int
publish_stored(struct sdbd_log *log, struct sdb_tree *tree, struct sdb_errbuf *eb)
{
	struct latest_impl *l = NULL;
	struct sdb_tree nt;
	uint8_t *note = NULL;
	size_t len = 0;
	int rc;

	rc = sdb_store_latest(log->st, tree, &note, &len, eb);
	if (rc != SDB_OK)
		return rc;
	rc = sdb_tree_note_open(&nt, NULL, (const char *)note, len, log->verifier, eb);
	if (rc != SDB_OK) {
		rc = sdb_errf(eb, rc, "the stored note of tree %lld does not verify with the key "
		    "of this database: %s", (long long)tree->n, sdb_errmsg(eb, rc));
		goto out;
	}
	if (nt.n != tree->n || memcmp(nt.hash.b, tree->hash.b, SDB_HASH_SIZE) != 0) {
		rc = sdb_errf(eb, SDB_ERR_ROOT_MISMATCH,
		    "the stored note of tree %lld signs another tree (size %lld)",
		    (long long)tree->n, (long long)nt.n);
		goto out;
	}
	rc = checkpoint_hold(log, tree, (const char *)note, len, eb);
	if (rc == SDB_OK)
		rc = latest_new(&l, tree, (const char *)note, len);
	if (rc != SDB_OK)
		goto out;
	publish(log, l);
out:
	free(note);
	return rc;
}

/* Signs tree t into a new note (caller frees). */
static int
sign_tree(struct sdbd_log *log, const struct sdb_tree *t, char **note, size_t *len,
    struct sdb_errbuf *eb)
{
	char text[SDB_TREE_NOTE_MAX];
	size_t tlen;
	const struct sdb_note_signer *signers[1] = { log->signer };
	int rc;

	rc = sdb_tree_note_format(text, &tlen, t);
	if (rc != SDB_OK)
		return sdb_errf(eb, rc, "cannot format tree %lld", (long long)t->n);
	return sdb_note_sign(note, len, text, tlen, signers, 1, eb);
}

/* ---- the batch ------------------------------------------------------- */

/* A slot of the batch-local index of (path, version), open addressing,
 * never deleted from (the entries of a refused call are marked dead): its
 * new record is b->nr[nr - 1], whose id is b->old_n + nr - 1.  Slots stay
 * small: one call may bring a million records. */
struct slot {
	uint32_t nr;                     /* 0: empty */
	uint32_t dead;                   /* its call was refused: skip it */
};

struct newrec {
	const struct sdbd_record *rec;
	size_t slot;
};

struct batch {
	struct slot *tab;
	size_t cap;                      /* power of two */
	struct newrec *nr;
	size_t nnew;
	int64_t old_n;
	char *scratch;                   /* NUL-terminated copies for lookups */
	size_t scratch_cap;
	struct req *reqs;                /* the calls, told how far the writing is */
};

/* Tells every call of the batch that asked for it how far commit_new is. */
static void
tell_written(const struct batch *b, size_t done)
{
	const struct req *r;

	for (r = b->reqs; r != NULL; r = r->next)
		if (r->progress != NULL)
			r->progress(r->progress_arg, "wrote", done, b->nnew);
}

static int
pv_equal(const struct sdbd_record *a, const struct sdbd_record *b)
{
	return a->path_len == b->path_len && a->version_len == b->version_len &&
	    memcmp(a->path, b->path, a->path_len) == 0 &&
	    memcmp(a->version, b->version, a->version_len) == 0;
}

/* The live slot of rec's (path, version), or the empty slot to fill. */
static size_t
tab_find(const struct batch *b, const struct sdbd_record *rec, int *found)
{
	size_t i = sdbd_pv_hash(rec->path, rec->path_len, rec->version, rec->version_len) &
	    (b->cap - 1);

	*found = 0;
	for (;; i = (i + 1) & (b->cap - 1)) {
		const struct slot *s = &b->tab[i];
		if (s->nr == 0)
			return i;
		if (!s->dead && pv_equal(b->nr[s->nr - 1].rec, rec)) {
			*found = 1;
			return i;
		}
	}
}

static int
text_equal(const struct sdbd_record *r, const uint8_t *t, size_t len)
{
	return r->text_len == len && memcmp(r->text, t, len) == 0;
}

/* Checks that rec is a valid record whose text names its path and version. */
static int
check_record(const struct sdbd_record *rec, struct sdb_errbuf *eb)
{
	struct sdb_record pr;
	int rc;

	if (rec->text_len > SDB_MAX_RECORD_SIZE)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "record of %.*s@%.*s: over %d bytes",
		    (int)(rec->path_len > 200 ? 200 : rec->path_len), rec->path,
		    (int)(rec->version_len > 100 ? 100 : rec->version_len), rec->version,
		    SDB_MAX_RECORD_SIZE);
	rc = sdb_record_parse(rec->text, rec->text_len, &pr, eb);
	if (rc != SDB_OK)
		return rc;
	if (pr.path.len != rec->path_len || memcmp(pr.path.p, rec->path, rec->path_len) != 0 ||
	    pr.version.len != rec->version_len ||
	    memcmp(pr.version.p, rec->version, rec->version_len) != 0)
		return sdb_errf(eb, SDB_ERR_INVALID, "record text is not the record of %.*s@%.*s",
		    (int)(rec->path_len > 200 ? 200 : rec->path_len), rec->path,
		    (int)(rec->version_len > 100 ? 100 : rec->version_len), rec->version);
	return SDB_OK;
}

/* "path\0version\0" of rec in b->scratch. */
static int
scratch_pv(struct batch *b, const struct sdbd_record *rec)
{
	size_t need = rec->path_len + rec->version_len + 2;

	if (need > b->scratch_cap) {
		char *p = realloc(b->scratch, need);
		if (p == NULL)
			return SDB_ERR_NOMEM;
		b->scratch = p;
		b->scratch_cap = need;
	}
	memcpy(b->scratch, rec->path, rec->path_len);
	b->scratch[rec->path_len] = '\0';
	memcpy(b->scratch + rec->path_len + 1, rec->version, rec->version_len);
	b->scratch[rec->path_len + 1 + rec->version_len] = '\0';
	return SDB_OK;
}

/*
 * Resolves every record of one call: an id from this batch or the store,
 * or a new id.  On any refusal the call's new records are taken back out
 * of the batch, so the other calls are unaffected.  Returns SDB_OK, or the
 * error of a lookup in the store that failed (not a refusal): then the
 * whole batch must fail, because SQLite may have ended its transaction
 * (eb has the detail).
 */
static int
dedup_req(struct sdbd_log *log, struct batch *b, struct req *r, struct sdb_errbuf *eb)
{
	int fatal = SDB_OK;
	size_t start = b->nnew, i;
	int rc = SDB_OK;

	for (i = 0; i < r->n; i++) {
		const struct sdbd_record *rec = &r->recs[i];
		uint8_t *text = NULL;
		size_t tlen = 0, si;
		int64_t id;
		int found;

		if (r->progress != NULL && i % SDBD_LOG_PROGRESS_STEP == 0)
			r->progress(r->progress_arg, "looked up", i, r->n);
		rc = check_record(rec, &r->eb);
		if (rc != SDB_OK)
			break;
		si = tab_find(b, rec, &found);
		if (found) {
			const struct sdbd_record *other = b->nr[b->tab[si].nr - 1].rec;

			if (!text_equal(rec, (const uint8_t *)other->text, other->text_len)) {
				rc = sdb_errf(&r->eb, SDB_ERR_EXISTS,
				    "%.*s@%.*s: another record for it is being added",
				    (int)rec->path_len, rec->path, (int)rec->version_len, rec->version);
				break;
			}
			r->ids[i] = b->old_n + (int64_t)b->tab[si].nr - 1;
			r->uses_new = 1;
			continue;
		}
		rc = scratch_pv(b, rec);
		if (rc != SDB_OK) {
			sdb_errf(&r->eb, rc, "out of memory");
			break;
		}
		rc = sdb_store_lookup(log->st, b->scratch, b->scratch + rec->path_len + 1, &id,
		    &text, &tlen, &r->eb);
		if (rc == SDB_OK) {
			int same = text_equal(rec, text, tlen);
			free(text);
			if (!same) {
				rc = sdb_errf(&r->eb, SDB_ERR_EXISTS,
				    "%.*s@%.*s is already recorded (id %lld) with other hashes",
				    (int)rec->path_len, rec->path, (int)rec->version_len, rec->version,
				    (long long)id);
				break;
			}
			r->ids[i] = id;
			continue;
		}
		if (rc != SDB_ERR_NOT_FOUND) {
			fatal = rc;
			*eb = r->eb;
			break;
		}
		rc = SDB_OK;
		b->nr[b->nnew].rec = rec;
		b->nr[b->nnew].slot = si;
		b->nnew++;
		b->tab[si].nr = (uint32_t)b->nnew;
		b->tab[si].dead = 0;
		r->ids[i] = b->old_n + (int64_t)b->nnew - 1;
		r->uses_new = 1;
	}
	if (rc == SDB_OK && fatal == SDB_OK && r->progress != NULL)
		r->progress(r->progress_arg, "looked up", r->n, r->n);
	if (rc != SDB_OK) {
		while (b->nnew > start) {
			b->nnew--;
			b->tab[b->nr[b->nnew].slot].dead = 1;
		}
		r->rc = rc;
	}
	return fatal;
}

static void
tiles_reset(struct sdbd_log *log, int64_t old_n)
{
	int L;

	for (L = 0; L < NLEVELS; L++) {
		int64_t c = old_n >> (TILE_H * L);
		log->tiles[L].n = c / TILE_W;
		log->tiles[L].w = (int)(c % TILE_W);
		log->tiles[L].loaded = log->tiles[L].w == 0;
		log->tiles[L].dirty = 0;
	}
}

static int
tile_emit(struct sdbd_log *log, int L, struct sdb_errbuf *eb)
{
	struct tile_state *ts = &log->tiles[L];
	struct sdb_store_tile t = { L, ts->n, ts->buf, (size_t)ts->w * SDB_HASH_SIZE };

	ts->dirty = 0;
	return sdb_store_batch_tile(log->st, &t, eb);
}

/* Places hash j of tree level 8L (a new stored hash) in its tile. */
static int
tile_put(struct sdbd_log *log, int L, int64_t j, const sdb_hash *h, struct sdb_errbuf *eb)
{
	struct tile_state *ts = &log->tiles[L];
	int rc;

	if (j / TILE_W != ts->n || j % TILE_W != ts->w)
		return sdb_errf(eb, SDB_ERR_INTERNAL, "tile %d: hash %lld out of order", L,
		    (long long)j);
	if (!ts->loaded) {
		uint8_t *data = NULL;
		size_t len = 0;

		rc = sdb_store_tile(log->st, L, ts->n, ts->w, &data, &len, eb);
		if (rc == SDB_ERR_NOT_FOUND)
			rc = sdb_errf(eb, SDB_ERR_ROOT_MISMATCH, "tile %d/%lld is missing", L,
			    (long long)ts->n);
		if (rc != SDB_OK)
			return rc;
		if (len != (size_t)ts->w * SDB_HASH_SIZE) {
			free(data);
			return sdb_errf(eb, SDB_ERR_INTERNAL, "tile %d/%lld has the wrong width", L,
			    (long long)ts->n);
		}
		memcpy(ts->buf, data, len);
		free(data);
		ts->loaded = 1;
	}
	memcpy(ts->buf + (size_t)ts->w * SDB_HASH_SIZE, h->b, SDB_HASH_SIZE);
	ts->w++;
	ts->dirty = 1;
	if (ts->w == TILE_W) {
		rc = tile_emit(log, L, eb);
		if (rc != SDB_OK)
			return rc;
		ts->n++;
		ts->w = 0;
		ts->loaded = 1;
	}
	return SDB_OK;
}

/*
 * Appends the batch's new records, tiles and signed tree in the store
 * transaction run_batch opened and commits it; the tree is left in
 * log->pending for publish_pending.  On failure the transaction is rolled
 * back and the frontier is back at the committed tree.
 */
static int
commit_new(struct sdbd_log *log, struct batch *b, struct sdb_errbuf *eb)
{
	struct sdb_tlog_frontier saved = log->fr;
	struct latest_impl *l = NULL;
	struct sdb_tree tree;
	char *note = NULL;
	size_t note_len = 0, i;
	int rc, L;

	/* Nobody else has written the key's checkpoint since this log did. */
	if ((rc = sdbd_checkpoint_unchanged(log->cp, eb)) != SDB_OK)
		goto fail;
	tiles_reset(log, b->old_n);
	for (i = 0; i < b->nnew; i++) {
		const struct sdbd_record *rec = b->nr[i].rec;
		sdb_hash leaf, out[SDB_TLOG_MAX_STORED];
		size_t nout, k;
		int64_t n = log->fr.n;
		struct sdb_store_record sr;

		if (i % SDBD_LOG_PROGRESS_STEP == 0)
			tell_written(b, i);
		sdb_tlog_record_hash(&leaf, rec->text, rec->text_len);
		rc = sdb_tlog_frontier_append(&log->fr, &leaf, out, &nout);
		if (rc != SDB_OK) {
			sdb_errf(eb, rc, "the tree is full");
			goto fail;
		}
		/* the store takes NUL-terminated names: made here, one at a
		 * time, rather than kept for every record of the batch */
		if (scratch_pv(b, rec) != SDB_OK) {
			rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
			goto fail;
		}
		sr.id = n;
		sr.path = b->scratch;
		sr.version = b->scratch + rec->path_len + 1;
		sr.text = (const uint8_t *)rec->text;
		sr.text_len = rec->text_len;
		rc = sdb_store_batch_add(log->st, &sr, eb);
		if (rc != SDB_OK)
			goto fail;
		/* out[k] is the hash of tree level k, index n >> k; tiles hold
		 * the levels that are multiples of 8. */
		for (k = 0; k < nout; k += TILE_H) {
			rc = tile_put(log, (int)(k / TILE_H), n >> k, &out[k], eb);
			if (rc != SDB_OK)
				goto fail;
		}
	}
	tell_written(b, b->nnew);
	for (L = 0; L < NLEVELS; L++) {
		if (log->tiles[L].dirty) {
			rc = tile_emit(log, L, eb);
			if (rc != SDB_OK)
				goto fail;
		}
	}
	tree.n = log->fr.n;
	sdb_tlog_frontier_root(&log->fr, &tree.hash);
	rc = sign_tree(log, &tree, &note, &note_len, eb);
	if (rc != SDB_OK)
		goto fail;
	/* Prepared before the commit so that nothing can fail after it. */
	rc = latest_new(&l, &tree, note, note_len);
	if (rc != SDB_OK) {
		sdb_errf(eb, rc, "out of memory");
		goto fail;
	}
	rc = sdb_store_batch_commit(log->st, &tree, (const uint8_t *)note, note_len, eb);
	free(note);
	note = NULL;
	if (rc != SDB_OK)
		goto fail;
	log->pending = l;   /* published by publish_pending */
	return SDB_OK;

fail:
	/* The note of an uncommitted tree is dropped unpublished; the store
	 * never holds two trees of one size, so no client can see both. */
	sdb_store_batch_abort(log->st);
	free(note);
	free(l);
	log->fr = saved;
	log->need_resync = 1;
	return rc;
}

/*
 * After a failed commit: makes sure the in-memory tree is what the store
 * holds.  A commit can fail after SQLite made it durable (an I/O error on
 * the way back); then the stored tree is newer, and it is loaded,
 * checked and published.  What the store says is trusted only when it
 * can be: a connection still inside a transaction (its ROLLBACK failed)
 * would show uncommitted rows, and a stored tree older than the published
 * one, or another tree of its size, means the database changed under the
 * server.  Then nothing more is signed (every batch fails here) until an
 * operator restarts sumdbd, whose start-up checks look at the file anew.
 */
static int
resync(struct sdbd_log *log, struct sdb_errbuf *eb)
{
	struct sdb_tlog_frontier saved = log->fr;
	const struct sdbd_latest *pub = &log->latest->pub;
	struct sdb_tree t;
	sdb_hash root;
	int rc;

	if (sdb_store_in_transaction(log->st))
		return sdb_errf(eb, SDB_ERR_INTERNAL, "the database connection is still inside a "
		    "failed transaction; nothing more is signed until sumdbd restarts");
	rc = sdb_store_latest(log->st, &t, NULL, NULL, eb);
	if (rc != SDB_OK)
		return rc;
	if (t.n < pub->tree.n ||
	    (t.n == pub->tree.n && memcmp(t.hash.b, pub->tree.hash.b, SDB_HASH_SIZE) != 0))
		return sdb_errf(eb, SDB_ERR_ROOT_MISMATCH, "the database's latest tree (size %lld) "
		    "is not the published tree of size %lld or a later one: it changed under the "
		    "server; nothing more is signed until sumdbd restarts", (long long)t.n,
		    (long long)pub->tree.n);
	if ((rc = sdb_store_check_extent(log->st, t.n, eb)) != SDB_OK)
		return rc;
	sdb_tlog_frontier_root(&log->fr, &root);
	if (t.n == log->fr.n && memcmp(root.b, t.hash.b, SDB_HASH_SIZE) == 0) {
		log->need_resync = 0;
		return SDB_OK;
	}
	rc = load_frontier(log, &t, eb);
	if (rc == SDB_OK)
		rc = publish_stored(log, &t, eb);
	if (rc != SDB_OK) {
		/* so that the next resync tries the publication again */
		log->fr = saved;
		return rc;
	}
	log->need_resync = 0;
	return SDB_OK;
}

static void
run_batch(struct sdbd_log *log, struct req *reqs)
{
	struct batch b;
	struct sdb_errbuf eb = { { 0 } };
	struct req *r;
	size_t total = 0;
	int rc = SDB_OK, deduped = 0;

	memset(&b, 0, sizeof b);
	b.reqs = reqs;
	for (r = reqs; r != NULL; r = r->next)
		total += r->n;
	rc = publish_pending(log, &eb);
	if (rc == SDB_OK && log->need_resync)
		rc = resync(log, &eb);
	b.old_n = log->fr.n;
	if (rc == SDB_OK && total >= UINT32_MAX)
		rc = sdb_errf(&eb, SDB_ERR_TOO_LARGE, "a batch of %zu records", total);
	b.cap = 16;
	while (rc == SDB_OK && b.cap < 2 * total + 16)
		b.cap *= 2;
	if (rc == SDB_OK) {
		b.tab = calloc(b.cap, sizeof *b.tab);
		b.nr = calloc(total + 1, sizeof *b.nr);
		if (b.tab == NULL || b.nr == NULL)
			rc = sdb_errf(&eb, SDB_ERR_NOMEM, "out of memory for a batch of %zu records",
			    total);
	}
	/* The batch's transaction starts before the lookups of dedup_req, so
	 * that they share its one read lock: outside a transaction SQLite
	 * takes and drops its file locks for every lookup. */
	if (rc == SDB_OK)
		rc = sdb_store_batch_begin(log->st, &eb);
	if (rc == SDB_OK) {
		deduped = 1;
		for (r = reqs; r != NULL && rc == SDB_OK; r = r->next)
			rc = dedup_req(log, &b, r, &eb);
		if (rc != SDB_OK) {
			/* A lookup failed: the batch may have lost its transaction,
			 * and no call of it is known to be resolved. */
			sdb_store_batch_abort(log->st);
			deduped = 0;
		} else if (b.nnew > 0) {
			struct sdb_errbuf reb;

			rc = commit_new(log, &b, &eb);
			if (rc != SDB_OK && resync(log, &reb) == SDB_OK &&
			    log->fr.n == b.old_n + (int64_t)b.nnew) {
				/* The commit landed after all (see resync). */
				rc = SDB_OK;
			}
			if (rc == SDB_OK)
				rc = publish_pending(log, &eb);
		} else {
			sdb_store_batch_abort(log->st);   /* nothing new: nothing to write */
		}
	}
	if (rc != SDB_OK)
		atomic_store(&log->failing, 1);
	else if (b.nnew > 0)
		atomic_store(&log->failing, 0);
	if (rc != SDB_OK) {
		for (r = reqs; r != NULL; r = r->next) {
			if (r->rc == SDB_OK && (r->uses_new || !deduped)) {
				r->rc = rc;
				r->eb = eb;
			}
		}
	}
	free(b.nr);
	free(b.tab);
	free(b.scratch);
}

static void *
sequencer(void *arg)
{
	struct sdbd_log *log = arg;

	pthread_mutex_lock(&log->mu);
	for (;;) {
		struct req *batch, *last, *r;
		size_t taken;

		while (log->head == NULL && !log->closing)
			pthread_cond_wait(&log->queue_cv, &log->mu);
		if (log->head == NULL)
			break;
		/* Group commit: let more callers join for a few milliseconds. */
		if (log->group_commit_ms > 0 && !log->closing && log->queued < log->max_batch) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)log->group_commit_ms * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			while (!log->closing && log->queued < log->max_batch &&
			    pthread_cond_timedwait(&log->queue_cv, &log->mu, &ts) == 0)
				;
		}
		if (log->head->fn != NULL) {
			/* A writer task runs alone, between batches. */
			r = log->head;
			log->head = r->next;
			if (log->head == NULL)
				log->tail = NULL;
			pthread_mutex_unlock(&log->mu);
			r->rc = r->fn(r->fn_arg, log->st, &r->eb);
			pthread_mutex_lock(&log->mu);
			r->done = 1;
			pthread_cond_broadcast(&log->done_cv);
			continue;
		}
		/* At least one call, then whole calls while under max_batch. */
		batch = last = log->head;
		taken = last->n;
		while (last->next != NULL && last->next->fn == NULL &&
		    taken + last->next->n <= log->max_batch) {
			last = last->next;
			taken += last->n;
		}
		log->head = last->next;
		if (log->head == NULL)
			log->tail = NULL;
		last->next = NULL;
		log->queued -= taken;
		pthread_mutex_unlock(&log->mu);

		run_batch(log, batch);

		pthread_mutex_lock(&log->mu);
		for (r = batch; r != NULL;) {
			struct req *next = r->next;
			r->done = 1;
			r = next;
		}
		pthread_cond_broadcast(&log->done_cv);
	}
	pthread_mutex_unlock(&log->mu);
	return NULL;
}

/* Queues r for the sequencer and waits until it has been handled; n is
 * the number of records r carries (0 for a writer job). */
static int
submit(struct sdbd_log *log, struct req *r, size_t n, struct sdb_errbuf *eb)
{
	pthread_mutex_lock(&log->mu);
	if (log->closing) {
		pthread_mutex_unlock(&log->mu);
		return sdb_errf(eb, SDB_ERR_INVALID, "the log is closing");
	}
	if (log->tail != NULL)
		log->tail->next = r;
	else
		log->head = r;
	log->tail = r;
	log->queued += n;
	pthread_cond_signal(&log->queue_cv);
	while (!r->done)
		pthread_cond_wait(&log->done_cv, &log->mu);
	pthread_mutex_unlock(&log->mu);
	if (r->rc != SDB_OK && eb != NULL)
		*eb = r->eb;
	return r->rc;
}

int
sdbd_log_append_progress(struct sdbd_log *log, const struct sdbd_record *recs, size_t n,
    int64_t *ids, sdbd_log_progress_fn progress, void *arg, struct sdb_errbuf *eb)
{
	struct req r;

	if (n == 0)
		return SDB_OK;
	memset(&r, 0, sizeof r);
	r.recs = recs;
	r.n = n;
	r.ids = ids;
	r.progress = progress;
	r.progress_arg = arg;
	return submit(log, &r, n, eb);
}

int
sdbd_log_append(struct sdbd_log *log, const struct sdbd_record *recs, size_t n,
    int64_t *ids, struct sdb_errbuf *eb)
{
	return sdbd_log_append_progress(log, recs, n, ids, NULL, NULL, eb);
}

int
sdbd_log_with_writer(struct sdbd_log *log, sdbd_log_writer_fn fn, void *arg,
    struct sdb_errbuf *eb)
{
	struct req r;

	memset(&r, 0, sizeof r);
	r.fn = fn;
	r.fn_arg = arg;
	return submit(log, &r, 0, eb);
}

int
sdbd_log_failing(struct sdbd_log *log)
{
	return atomic_load(&log->failing);
}

/* ---- open and close --------------------------------------------------- */

/* Checks the signer is this database's key (same name and verifier key). */
static int
check_key(struct sdbd_log *log, const char *key_path, struct sdb_errbuf *eb)
{
	char *name = NULL, *vkey = NULL, *mine = NULL;
	int rc;

	rc = sdb_store_config_get(log->st, SDB_STORE_CONFIG_NAME, &name, eb);
	if (rc == SDB_OK)
		rc = sdb_store_config_get(log->st, SDB_STORE_CONFIG_VKEY, &vkey, eb);
	if (rc == SDB_OK)
		rc = sdb_note_signer_verifier(log->signer, &log->verifier);
	if (rc == SDB_OK)
		rc = sdb_note_verifier_format(log->verifier, &mine);
	if (rc == SDB_OK && strcmp(mine, vkey) != 0)
		rc = sdb_errf(eb, SDB_ERR_BAD_KEY,
		    "signer key %s is not the key of this database (it verifies as %s, the "
		    "database's key is %s)", key_path, mine, vkey);
	if (rc == SDB_OK && strcmp(name, sdb_note_signer_name(log->signer)) != 0)
		rc = sdb_errf(eb, SDB_ERR_BAD_KEY, "signer key %s is named %s, the log %s",
		    key_path, sdb_note_signer_name(log->signer), name);
	free(name);
	free(vkey);
	free(mine);
	return rc;
}

/* The key file for the database at db (a real path) and the name it
 * stores (taken over: freed or returned): stored_key_path's work. */
static int
stored_key_resolve(const char *db, char *stored, char **out, struct sdb_errbuf *eb)
{
	char *beside;
	size_t dlen;

	if (stored[0] == '/') {
		if (access(stored, F_OK) == 0 || errno != ENOENT) {
			*out = stored;
			return SDB_OK;
		}
		if ((beside = malloc(strlen(db) + sizeof ".key")) == NULL) {
			free(stored);
			return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		}
		snprintf(beside, strlen(db) + sizeof ".key", "%s.key", db);
		if (access(beside, F_OK) != 0) {
			free(beside);
			*out = stored;   /* loading it names the missing file */
			return SDB_OK;
		}
		sdbd_linef(stderr, "sumdbd: note: the signer key file the database names, %s, is gone; "
		    "using %s beside the database", stored, beside);
		free(stored);
		*out = beside;
		return SDB_OK;
	}
	{
		const char *slash = strrchr(db, '/');

		dlen = slash != NULL ? (size_t)(slash - db) + 1 : 0;
	}
	if ((beside = malloc(dlen + strlen(stored) + 1)) == NULL) {
		free(stored);
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	}
	memcpy(beside, db, dlen);
	memcpy(beside + dlen, stored, strlen(stored) + 1);
	free(stored);
	*out = beside;
	return SDB_OK;
}

int
sdbd_key_path(struct sdb_store *st, const char *given, char **out, struct sdb_errbuf *eb)
{
	char *stored = NULL, *real;
	const char *db;
	int rc;

	*out = NULL;
	if ((rc = sdb_store_config_get(st, SDB_STORE_CONFIG_SKEY_FILE, &stored, eb)) != SDB_OK)
		return rc;
	/* beside the database file itself, not a symlink to it */
	real = realpath(given, NULL);
	db = real != NULL ? real : given;
	rc = stored_key_resolve(db, stored, out, eb);
	free(real);
	return rc;
}

int
sdbd_key_checkpoint_path(struct sdb_store *st, const char *db_path, const char *given,
    char **out, struct sdb_errbuf *eb)
{
	char *key = NULL, *real;
	int rc = SDB_OK;

	*out = NULL;
	if (given != NULL && (key = strdup(given)) == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	if (given == NULL && (rc = sdbd_key_path(st, db_path, &key, eb)) != SDB_OK)
		return rc;
	/* named from the key's real path, as serve names it */
	if ((real = realpath(key, NULL)) == NULL) {
		rc = sdb_errf(eb, errno == ENOMEM ? SDB_ERR_NOMEM : SDB_ERR_IO, "the signer key file "
		    "%s%s: %s; the key's checkpoint is beside the key file serve and add are given: "
		    "give --key FILE, or --checkpoint FILE", key,
		    given != NULL ? "" : " the database names", strerror(errno));
	} else if ((*out = sdb_path_join(real, SDBD_CHECKPOINT_SUFFIX)) == NULL) {
		rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	}
	free(real);
	free(key);
	return rc;
}

/* A database made by sdb_store_create has no tree yet: sign size 0. */
static int
first_tree(struct sdbd_log *log, struct sdb_errbuf *eb)
{
	struct sdb_tree t;
	char *note = NULL;
	size_t len = 0;
	int64_t count = 0;
	int rc;

	rc = sdb_store_count(log->st, &count, eb);
	if (rc != SDB_OK)
		return rc;
	if (count != 0)
		return sdb_errf(eb, SDB_ERR_INVALID, "the database holds %lld records but no "
		    "signed tree", (long long)count);
	memset(&t, 0, sizeof t);
	rc = sign_tree(log, &t, &note, &len, eb);
	if (rc == SDB_OK)
		rc = sdb_store_append(log->st, NULL, 0, NULL, 0, &t, (const uint8_t *)note, len, eb);
	free(note);
	return rc;
}

int
sdbd_log_open(struct sdbd_log **out, const struct sdbd_log_options *opt,
    struct sdb_errbuf *eb)
{
	struct sdbd_log *log;
	struct sdb_tree t;
	char *key_path = NULL;
	int rc;

	*out = NULL;
	if (opt == NULL || opt->db_path == NULL)
		return sdb_errf(eb, SDB_ERR_INVALID, "no database path");
	if (sdb_crypto_init() != SDB_OK)
		return sdb_errf(eb, SDB_ERR_INTERNAL, "cannot initialise the crypto library");
	log = calloc(1, sizeof *log);
	if (log == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	log->group_commit_ms = opt->group_commit_ms > 0 ? opt->group_commit_ms : 2;
	log->max_batch = opt->max_batch > 0 ? opt->max_batch : 4096;
	{
		pthread_mutex_t *const mu[] = { &log->mu, &log->latest_mu };
		pthread_cond_t *const cv[] = { &log->queue_cv, &log->done_cv };

		if ((rc = sdb_sync_init(mu, 2, cv, 2)) != 0) {
			free(log);
			return sdb_errf(eb, SDB_ERR_INTERNAL, "cannot make the sequencer's mutexes "
			    "and condition variables: %s", strerror(rc));
		}
	}

	rc = sdb_store_open(&log->st, opt->db_path, SDB_STORE_WRITE, eb);
	if (rc != SDB_OK)
		goto fail;
	if (opt->key_path != NULL) {
		key_path = strdup(opt->key_path);
		if (key_path == NULL)
			rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	} else {
		rc = sdbd_key_path(log->st, opt->db_path, &key_path, eb);
	}
	if (rc == SDB_OK) {
		rc = sdbd_key_load(&log->signer, key_path, eb);
		if (rc == SDB_ERR_NOT_FOUND && opt->key_path == NULL)
			rc = sdb_errf(eb, rc, "%s (the key file the database names; give --key FILE "
			    "when it is elsewhere)", sdb_errmsg(eb, rc));
	}
	if (rc == SDB_OK)
		rc = check_key(log, key_path, eb);
	if (rc == SDB_OK)
		rc = sdbd_checkpoint_open(&log->cp, key_path, opt->checkpoint_path, log->verifier,
		    eb);
	if (rc != SDB_OK)
		goto fail;
	/* Is this the database the key last signed for?  Asked before the
	 * key signs anything here, the empty tree of a new database too. */
	rc = sdb_store_latest(log->st, &t, NULL, NULL, eb);
	if (rc == SDB_ERR_NOT_FOUND) {
		rc = sdbd_checkpoint_check(log->cp, log->st, NULL, eb);
		if (rc == SDB_OK && (rc = first_tree(log, eb)) == SDB_OK)
			rc = sdb_store_latest(log->st, &t, NULL, NULL, eb);
	} else if (rc == SDB_OK) {
		rc = sdbd_checkpoint_check(log->cp, log->st, &t, eb);
		/* A checkpoint lost, an upgrade, or a --checkpoint mistyped or
		 * left out.  The key may have signed larger trees for a
		 * database of which this is an older copy (even one as init
		 * left it, at the empty tree): what it signs next would fork
		 * the log, so only the operator can say it did not.  init
		 * writes the checkpoint of the empty tree it signs (the branch
		 * above), so a database signed for has one. */
		if (rc == SDB_OK && !sdbd_checkpoint_have(log->cp) && !opt->new_checkpoint)
			rc = sdb_errf(eb, SDB_ERR_INVALID, "no checkpoint at %s, and the database "
			    "holds a tree of %lld records: without the key's checkpoint (the last "
			    "tree it signed) nothing shows this is not an older copy of the log, "
			    "whose next tree would fork it.  Give --checkpoint FILE where it is "
			    "kept; or, only if this database is certainly the latest the key "
			    "signed for (its checkpoint deleted, or never written), "
			    "--new-checkpoint to start one at this tree",
			    sdbd_checkpoint_path(log->cp), (long long)t.n);
		else if (rc == SDB_OK && !sdbd_checkpoint_have(log->cp))
			sdbd_linef(stderr, "sumdbd: note: no checkpoint at %s yet: it starts at this "
			    "database's tree of size %lld (if the key's checkpoint is elsewhere, "
			    "give --checkpoint FILE)", sdbd_checkpoint_path(log->cp),
			    (long long)t.n);
	}
	if (rc != SDB_OK)
		goto fail;
	rc = publish_stored(log, &t, eb);
	if (rc == SDB_OK)
		rc = load_frontier(log, &t, eb);
	if (rc != SDB_OK)
		goto fail;
	/* Records or tiles past the latest tree were never signed, but every
	 * append would trip over them: stop here and say so. */
	if ((rc = sdb_store_check_extent(log->st, t.n, eb)) != SDB_OK) {
		rc = sdb_errf(eb, rc == SDB_ERR_INVALID ? SDB_ERR_ROOT_MISMATCH : rc,
		    "%s: the database does not hold exactly its latest signed tree (size %lld); "
		    "refusing to sign anything (sumdbd fsck --drop-unsigned removes what lies past "
		    "it)", sdb_errmsg(eb, rc), (long long)t.n);
		goto fail;
	}
	rc = pthread_create(&log->thread, NULL, sequencer, log);
	if (rc != 0) {
		rc = sdb_errf(eb, SDB_ERR_INTERNAL, "cannot start the sequencer: %s", strerror(rc));
		goto fail;
	}
	log->thread_started = 1;
	free(key_path);
	*out = log;
	return SDB_OK;
fail:
	free(key_path);
	sdbd_log_close(log);
	return rc;
}

void
sdbd_log_close(struct sdbd_log *log)
{
	if (log == NULL)
		return;
	if (log->thread_started) {
		pthread_mutex_lock(&log->mu);
		log->closing = 1;
		pthread_cond_broadcast(&log->queue_cv);
		pthread_mutex_unlock(&log->mu);
		pthread_join(log->thread, NULL);
	}
	sdb_store_close(log->st);
	sdbd_checkpoint_close(log->cp);
	free(log->pending);
	sdb_note_signer_free(log->signer);
	sdb_note_verifier_free(log->verifier);
	if (log->latest != NULL)
		sdbd_latest_put(&log->latest->pub);
	pthread_cond_destroy(&log->queue_cv);
	pthread_cond_destroy(&log->done_cv);
	pthread_mutex_destroy(&log->mu);
	pthread_mutex_destroy(&log->latest_mu);
	free(log);
}
