/*
 * The public-log path of sumdbd serve (public.h): routing of lookup
 * misses (private patterns to the upstream fetcher, the rest to the public
 * log), the verified public lookup (csumdb/remote.h for HTTP, the
 * bounded in-memory tile cache and the checks: each answer's signed tree
 * before its record),
 * the accepted public tree and the misbehavior evidence in the config
 * table, and the append to our log.
 *
 * Threads: public lookups run concurrently from start to end, network
 * included: the lookup fetch uses only the thread-safe HTTP client, and
 * the check of its answer reads tiles through a reader of its own whose
 * only shared state is the remote's tile cache (csumdb/remote.h: locked
 * for a copy, never across a fetch).  The accepted tree is read and
 * moved under mu, which is never held across a network fetch: a lookup
 * checks its answer against a copy of the accepted tree, then takes mu
 * and moves the accepted tree forward only if it is still that copy; if
 * another lookup moved it meanwhile, the check runs again against the new
 * one (tiles now mostly cached).  So the accepted tree only ever moves to
 * a tree checked against the one before it.  Every public lookup ends by
 * a deadline (--public-timeout).
 *
 * Misbehavior evidence is what the public log signed and cannot deny: two
 * signed trees that are not consistent (SDB_ERR_FORK; also one signed
 * tree of 0 records whose hash is not zero), and a record in a signed
 * tree that is not a go.sum record (SDB_ERR_BAD_RECORD).  A lookup
 * answer whose note does not verify, a record not in the signed tree,
 * tiles that do not authenticate: anyone between us and the log can make
 * those, so they refuse the lookup (502, nothing recorded, a log line) but
 * are not stored as evidence against the log.
 */
#include "config.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csumdb/base64.h"
#include "csumdb/module.h"
#include "csumdb/module_glob.h"
#include "csumdb/note.h"
#include "csumdb/record.h"
#include "csumdb/remote.h"
#include "csumdb/store.h"
#include "csumdb/treenote.h"
#include "cli/line.h"
#include "clock.h"
#include "fetch.h"
#include "flight.h"
#include "limits.h"
#include "lograte.h"
#include "public.h"
#include "upstream.h"

/* Further fetches of a lookup answer whose record does not parse and is not
 * in the signed tree (garbled on the way). */
#define PUBLIC_GARBLED_REFETCHES 2

/* Pieces of evidence stored by this run that one met again is known by,
 * so as to be stored once: a log may alternate between lies. */
#define PUBLIC_EVIDENCE_SEEN 16

/* Bytes of a misbehaving response kept as evidence. */
#define EVIDENCE_BODY_MAX 8192

/* What one piece of evidence is of, to keep it once however often the
 * same misbehavior is met: a fork (the accepted tree and the one served),
 * or a signed invalid record (its id and the tree served). */
struct evidence_key {
	int err;
	int64_t id;
	struct sdb_tree served;
	struct sdb_tree accepted;
};

struct sdbd_public {
	struct sdbd_log *log;
	int off;
	char *patterns;
	struct sdbd_upstream *upstream;
	void (*log_line)(const char *line);
	struct sdbd_lograte_set *said;  /* the lines any client can cause */
	/* the misbehavior whose evidence could not be stored: an alarm, its
	 * first line always said, but each client meeting the misbehavior
	 * again tries anew and must not make a line each (a kind of its
	 * own, held back by no other line) */
	struct sdbd_lograte_set *said_unstored;
	struct sdbd_flights *flights;
	int have_remote;
	struct sdb_remote r;        /* no state: its tile cache is the only
	                             * thing lookups share in it */
	long timeout_ms;            /* a whole public lookup */
	pthread_mutex_t mu;
	int have_acc;               /* under mu */
	struct sdb_tree acc;
	char *acc_note;
	/* under mu: the key the tree accepted last is for, and its note,
	 * when that key is not this one (load_state); NULL once a tree of
	 * this one is accepted */
	char *prev_vkey, *prev_note;
	int64_t nevidence;          /* under mu */
	/* under mu: what the evidence this run stored last is of, the
	 * newest at seen[(next_seen - 1) % PUBLIC_EVIDENCE_SEEN] */
	struct evidence_key seen[PUBLIC_EVIDENCE_SEEN];
	unsigned nseen, next_seen;
};

/* A copy of the accepted tree that one lookup checks its answer against. */
struct acc_copy {
	int have;
	struct sdb_tree tree;
	char *note;                 /* owned; NULL when !have */
};

/*
 * Says a line to the operator.  kind SDB_OK: a line said every time (one
 * the public log's own doing makes: a first contact, new evidence);
 * else the error code of a line that any client can cause again and
 * again by asking (a lookup while the public log is down or answers
 * what does not verify, misbehavior already stored), said at most once
 * a minute for each code (lograte.h).
 */
static void
logf_line(struct sdbd_public *p, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
logf_line(struct sdbd_public *p, int kind, const char *fmt, ...)
{
	char line[2 * SDB_ERRBUF_SIZE];   /* a message and what it is about */
	va_list ap;

	if (p->log_line == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (kind == SDB_OK)
		p->log_line(line);
	else
		sdbd_lograte_say(p->said, kind, p->log_line, line);
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

/* The config key of the tree accepted from vkey's log while it was the
 * key (a new string), or NULL when out of memory. */
static char *
tree_for_row(const char *vkey)
{
	size_t n = sizeof SDBD_PUBLIC_KEY_TREE_FOR + strlen(vkey);
	char *row = malloc(n);

	if (row != NULL)
		snprintf(row, n, "%s%s", SDBD_PUBLIC_KEY_TREE_FOR, vkey);
	return row;
}

/*
 * The SQL condition that deletes config row, for the operator to paste
 * into a shell between double quotes: the row as an SQL string ('
 * doubled) when it is printable ASCII with nothing a shell reads between
 * double quotes (" $ ` \ !), else its bytes in hex (a key name may hold
 * any of those, and UTF-8, which log lines show as '?').  A new string,
 * or NULL when out of memory.
 */
static char *
sql_key_eq(const char *row)
{
	size_t i, n = strlen(row), off, cap;
	int plain = 1;
	char *s;

	for (i = 0; i < n && plain; i++) {
		unsigned char c = (unsigned char)row[i];

		plain = c >= 0x20 && c < 0x7f && strchr("\"$`\\!", c) == NULL;
	}
	cap = sizeof "key = CAST(X'' AS TEXT)" + 2 * n;
	if ((s = malloc(cap)) == NULL)
		return NULL;
	if (!plain) {
		off = (size_t)snprintf(s, cap, "key = CAST(X'");
		for (i = 0; i < n; i++)
			off += (size_t)snprintf(s + off, cap - off, "%02X", (unsigned char)row[i]);
		snprintf(s + off, cap - off, "' AS TEXT)");
		return s;
	}
	off = (size_t)snprintf(s, cap, "key = '");
	for (i = 0; i < n; i++) {
		s[off++] = row[i];
		if (row[i] == '\'')
			s[off++] = '\'';
	}
	snprintf(s + off, cap - off, "'");
	return s;
}

/* The refusal of state_damaged: database, row, why, database, command. */
#define DAMAGED_FMT "%s: the public tree accepted before (config %s) %s; refusing to start " \
	"rather than forget it (a fork of the public log could pass). The database was " \
	"damaged or edited: put back that row from a backup of %s, or delete it to trust the " \
	"public log's next tree as a first contact%s; or serve with --no-public meanwhile"

/*
 * The refusal to start over a damaged public-log state, row (a config
 * key) in db_path: with what the operator can do, since it is never
 * replaced unseen (what was checked against it would be forgotten, and a
 * fork of the public log could pass).  del is the SQL condition on the
 * config keys that deleting the state takes (sql_key_eq), given in a
 * sqlite3 command to paste; when db_path cannot be shown as it is
 * (sh_word), the statement alone, to be run on the database by hand,
 * rather than a command naming another file; when the message would be
 * cut, neither, rather than one given cut.  Returns SDB_ERR_DAMAGED.
 */
static int
state_damaged(struct sdb_errbuf *eb, const char *db_path, const char *row, const char *del,
    const char *why)
{
	char what[SDB_ERRBUF_SIZE / 2], *db_word = cli_sh_word(db_path), *cmd = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(what, sizeof what, "%s", why);
	/* a path the line cannot show: the statement still can (del is
	 * printable ASCII), to be run on the database named by hand */
	if (del != NULL && (f = open_memstream(&cmd, &len)) != NULL) {
		if (db_word != NULL)
			fprintf(f, " (sqlite3 %s \"DELETE FROM config WHERE %s\")", db_word, del);
		else
			fprintf(f, " (with sqlite3 on the database, whose path holds bytes shown "
			    "here as '?': DELETE FROM config WHERE %s)", del);
		if (fclose(f) != 0) {
			free(cmd);
			cmd = NULL;
		}
	}
	free(db_word);
	/* the whole message must fit, or the command at its end is cut */
	if (cmd != NULL && snprintf(NULL, 0, DAMAGED_FMT, db_path, row, what, db_path, cmd) >=
	    SDB_ERRBUF_SIZE) {
		free(cmd);
		cmd = NULL;
	}
	sdb_errf(eb, SDB_ERR_DAMAGED, DAMAGED_FMT, db_path, row, what, db_path,
	    cmd != NULL ? cmd : " (with sqlite3)");
	free(cmd);
	return SDB_ERR_DAMAGED;
}

/* Opens note, the tree accepted from the log of p->r.vkey, read from
 * config row of db_path, as the accepted tree.  Returns SDB_OK or
 * SDB_ERR_DAMAGED (state_damaged). */
static int
take_accepted(struct sdbd_public *p, char **note, const char *db_path, const char *row,
    const char *del, struct sdb_errbuf *eb)
{
	char why[SDB_ERRBUF_SIZE / 2];
	int rc = sdb_tree_note_open(&p->acc, NULL, *note, strlen(*note), p->r.v, eb);

	if (rc != SDB_OK) {
		snprintf(why, sizeof why, "does not verify with --public-key %s: %s", p->r.vkey,
		    sdb_errmsg(eb, rc));
		return state_damaged(eb, db_path, row, del, why);
	}
	p->have_acc = 1;
	p->acc_note = *note;
	*note = NULL;
	return SDB_OK;
}

int64_t
sdbd_public_evidence_index(const char *row)
{
	const char *i = row + strlen(SDBD_PUBLIC_KEY_EVIDENCE);
	int64_t v;

	if (strncmp(row, SDBD_PUBLIC_KEY_EVIDENCE, strlen(SDBD_PUBLIC_KEY_EVIDENCE)) != 0 ||
	    !sdb_parse_int63(i, strlen(i), &v) || v >= SDBD_PUBLIC_MAX_EVIDENCE)
		return -1;
	return v;
}

int
sdbd_public_count_parse(const char *s, int64_t *n)
{
	return sdb_parse_int63(s, strlen(s), n);
}

/* sdb_store_config_fn: the highest index I of the evidence rows
 * (SDBD_PUBLIC_KEY_EVIDENCE I) into *(int64_t *)arg; other rows are not
 * ours to count. */
static int
evidence_last(void *arg, const char *row, const char *text, struct sdb_errbuf *eb)
{
	int64_t *last = arg, v = sdbd_public_evidence_index(row);

	(void)text;
	(void)eb;
	if (v > *last)
		*last = v;
	return SDB_OK;
}

/*
 * The count of the public log's misbehaviors seen, from the database st:
 * never less than the evidence rows stored imply, so that the next
 * evidence goes beside them, not over one (only the newest, in the last
 * row, is replaced).  A count missing beside evidence, one that does not
 * parse or is less than the rows stored is damage: counted on from the
 * rows, and said.  Returns SDB_OK or the store's error.
 */
static int
load_nevidence(struct sdbd_public *p, struct sdb_store *st, struct sdb_errbuf *eb)
{
	char *cnt = NULL;
	int64_t v = 0, last = -1;
	int rc, valid = 0, had;

	rc = sdb_store_config_get(st, SDBD_PUBLIC_KEY_NEVIDENCE, &cnt, eb);
	if (rc != SDB_OK && rc != SDB_ERR_NOT_FOUND)
		return rc;
	/* below INT64_MAX: the next evidence counts one more */
	if (cnt != NULL)
		valid = sdbd_public_count_parse(cnt, &v) && v < INT64_MAX;
	had = cnt != NULL;
	free(cnt);
	rc = sdb_store_config_each(st, SDBD_PUBLIC_KEY_EVIDENCE, evidence_last, &last, eb);
	if (rc != SDB_OK)
		return rc;
	p->nevidence = valid ? v : 0;
	if (valid && last + 1 > v)
		logf_line(p, SDB_OK, "public log: config %s says %" PRId64 ", while %" PRId64 " evidence "
		    "rows are stored (the database was damaged or edited): counting on from %"
		    PRId64 ", the evidence stored is kept (sumdbd status)",
		    SDBD_PUBLIC_KEY_NEVIDENCE, v, last + 1, last + 1);
	else if (!valid && (had || last >= 0))
		logf_line(p, SDB_OK, "public log: config %s is %s, while %" PRId64 " evidence "
		    "row%s stored (the database was damaged or edited): counting on from %" PRId64
		    ", the evidence stored is kept (sumdbd status)", SDBD_PUBLIC_KEY_NEVIDENCE,
		    had ? "not a count" : "missing", last + 1, last == 0 ? " is" : "s are",
		    last + 1);
	if (last + 1 > p->nevidence)
		p->nevidence = last + 1;
	return SDB_OK;
}

/* The rows of the accepted tree and its key, as the SQL an operator is
 * given to delete them names them. */
#define ACCEPTED_ROWS "key IN ('" SDBD_PUBLIC_KEY_VKEY "', '" SDBD_PUBLIC_KEY_TREE "')"

/*
 * Loads the public-log state of db_path.  The tree accepted last is in
 * SDBD_PUBLIC_KEY_TREE, for the key in SDBD_PUBLIC_KEY_VKEY; when that
 * is another key than p's, the tree accepted from p's key while it was
 * the key before (SDBD_PUBLIC_KEY_TREE_FOR) is the accepted tree, and the
 * other key's tree is kept in p->prev_* until store_accepted moves it
 * there in turn.  So a log given again is checked against its own tree,
 * and a fork it made meanwhile is caught.
 */
static int
load_state(struct sdbd_public *p, const char *db_path, struct sdb_errbuf *eb)
{
	struct sdb_store *st = NULL;
	char *vkey = NULL, *note = NULL, *row = NULL;
	int rc;

	if ((rc = sdb_store_open(&st, db_path, SDB_STORE_READ, eb)) != SDB_OK)
		return rc;
	rc = sdb_store_config_get(st, SDBD_PUBLIC_KEY_VKEY, &vkey, eb);
	if (rc == SDB_OK) {
		rc = sdb_store_config_get(st, SDBD_PUBLIC_KEY_TREE, &note, eb);
		if (rc == SDB_ERR_NOT_FOUND)
			rc = state_damaged(eb, db_path, SDBD_PUBLIC_KEY_TREE, ACCEPTED_ROWS,
			    "is missing, while " SDBD_PUBLIC_KEY_VKEY " names its key");
		if (rc != SDB_OK)
			goto out;
		if (strcmp(vkey, p->r.vkey) == 0) {
			rc = take_accepted(p, &note, db_path, SDBD_PUBLIC_KEY_TREE, ACCEPTED_ROWS, eb);
			if (rc != SDB_OK)
				goto out;
		} else {
			p->prev_vkey = vkey;
			p->prev_note = note;
			vkey = note = NULL;
		}
	} else if (rc != SDB_ERR_NOT_FOUND) {
		goto out;
	} else {
		/* a tree without the key it is for: which log's it is
		 * cannot be told, and it is not replaced unseen either */
		rc = sdb_store_config_get(st, SDBD_PUBLIC_KEY_TREE, &note, eb);
		if (rc == SDB_OK)
			rc = state_damaged(eb, db_path, SDBD_PUBLIC_KEY_TREE, ACCEPTED_ROWS,
			    "is there, while " SDBD_PUBLIC_KEY_VKEY ", the key it is for, is missing");
		if (rc != SDB_ERR_NOT_FOUND)
			goto out;
		free(note);
		note = NULL;
	}
	if (!p->have_acc) {
		char *del;

		if ((row = tree_for_row(p->r.vkey)) == NULL) {
			rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
			goto out;
		}
		rc = sdb_store_config_get(st, row, &note, eb);
		if (rc == SDB_OK) {
			del = sql_key_eq(row);
			rc = take_accepted(p, &note, db_path, row, del, eb);
			free(del);
			if (rc != SDB_OK)
				goto out;
		} else if (rc != SDB_ERR_NOT_FOUND) {
			goto out;
		}
		if (p->prev_vkey != NULL && p->have_acc)
			logf_line(p, SDB_OK, "public log: the accepted tree in the database is for %s, "
			    "not %s: checking against the tree of %" PRId64 " records accepted from "
			    "%s before", p->prev_vkey, p->r.vkey, p->acc.n, p->r.vkey);
		else if (p->prev_vkey != NULL)
			logf_line(p, SDB_OK, "public log: the accepted tree in the database is for %s, "
			    "not %s: first contact with the new key", p->prev_vkey, p->r.vkey);
	}
	rc = load_nevidence(p, st, eb);
out:
	free(vkey);
	free(note);
	free(row);
	sdb_store_close(st);
	return rc;
}

/* Stores tree (its note) as the accepted public tree, durably (under
 * mu). */
static int
store_accepted(struct sdbd_public *p, const char *note, size_t len, struct sdb_errbuf *eb)
{
	struct config_write w;
	char *copy = strndup(note, len), *prev_row = NULL;
	int rc;

	if (copy == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	w.key[0] = SDBD_PUBLIC_KEY_VKEY;
	w.value[0] = p->r.vkey;
	w.key[1] = SDBD_PUBLIC_KEY_TREE;
	w.value[1] = copy;
	w.n = 2;
	/* the first tree of this key: the other key's moves aside, for its
	 * log to be checked against if it is given again */
	if (p->prev_vkey != NULL) {
		if ((prev_row = tree_for_row(p->prev_vkey)) == NULL) {
			free(copy);
			return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		}
		w.key[2] = prev_row;
		w.value[2] = p->prev_note;
		w.n = 3;
	}
	rc = sdbd_log_with_writer(p->log, config_write_fn, &w, eb);
	free(prev_row);
	if (rc != SDB_OK) {
		free(copy);
		return rc;
	}
	free(p->acc_note);
	p->acc_note = copy;
	free(p->prev_vkey);
	free(p->prev_note);
	p->prev_vkey = p->prev_note = NULL;
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
store_evidence(struct sdbd_public *p, const char *text, struct sdb_errbuf *eb)
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
	rc = sdbd_log_with_writer(p->log, config_write_fn, &w, eb);
	if (rc == SDB_OK)
		p->nevidence++;
	return rc;
}

static int
tree_eq(const struct sdb_tree *a, const struct sdb_tree *b)
{
	return a->n == b->n && memcmp(a->hash.b, b->hash.b, SDB_HASH_SIZE) == 0;
}

static int
evidence_key_eq(const struct evidence_key *a, const struct evidence_key *b)
{
	return a->err == b->err && a->id == b->id && tree_eq(&a->served, &b->served) &&
	    tree_eq(&a->accepted, &b->accepted);
}

/*
 * What the log signed and cannot deny: a fork (SDB_ERR_FORK: the answer's
 * signed tree and the accepted tree the lookup checked it against, acc,
 * are not consistent, and both carry the log's signature; with no acc, a
 * signed tree of 0 records whose hash is not zero), or a record in
 * its signed tree that is not a go.sum record (SDB_ERR_BAD_RECORD: the
 * note and the record are the evidence; anyone can check the record's
 * inclusion from the log's tiles).  Writes the evidence, stores it, logs a
 * line, and turns eb into the 502 body; the same misbehavior met again
 * (any client can ask for it) is logged, not stored again.  Takes mu.
 * Returns err.
 */
static int
misbehaved(struct sdbd_public *p, int err, const char *path, const char *version,
    const struct sdb_remote_answer *a, const struct acc_copy *acc,
    const struct sdb_audit_result *res, struct sdb_errbuf *eb)
{
	char *text = NULL, b64[64], when[32], why[SDB_ERRBUF_SIZE];
	size_t tlen = 0, i;
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;
	int stored = SDB_ERR_INTERNAL, again;
	struct evidence_key key;
	struct sdb_errbuf seb = { { 0 } };

	sdb_remote_scrub(&p->r, eb);
	snprintf(why, sizeof why, "%s", sdb_errmsg(eb, err));
	memset(&key, 0, sizeof key);
	key.err = err;
	key.served = a->tree;
	if (err == SDB_ERR_FORK) {
		/* the tiles may be of either branch */
		sdb_remote_mem_clear(&p->r);
		if (acc->have)
			key.accepted = acc->tree;
	} else {
		key.id = a->id;
	}
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((f = open_memstream(&text, &tlen)) != NULL) {
		fprintf(f, "public log misbehavior: %s\n", why);
		fprintf(f, "public log: %s at %s\n", p->r.vkey, p->r.shown);
		fprintf(f, "seen: %s, looking up %s@%s\n", when, path, version);
		if (err == SDB_ERR_FORK && acc->have) {
			fprintf(f, "\naccepted tree (%" PRId64 " records):\n", acc->tree.n);
			put_clean(f, acc->note, strlen(acc->note));
		}
		fprintf(f, "\ntree served (%" PRId64 " records):\n", a->tree.n);
		put_clean(f, a->note.p, a->note.len);
		fprintf(f, "\nrecord %" PRId64 " as served:\n", a->id);
		put_clean(f, a->text.p, a->text.len);
		if (err != SDB_ERR_FORK) {
			/* the record: no proof of a fork to give */
		} else if (!acc->have) {
			/* first contact: a tree of 0 records not hashing to zero */
			fprintf(f, "\na tree of 0 records hashes to 32 zero bytes: no proof is "
			    "needed\n");
		} else if (a->tree.n == acc->tree.n) {
			fprintf(f, "\ntwo different trees of %" PRId64 " records signed by the same "
			    "key: no proof is needed\n", a->tree.n);
		} else {
			sdb_b64_encode(b64, res->computed.b, SDB_HASH_SIZE);
			fprintf(f, "\nhash of the smaller tree computed from the larger's tiles: %s\n", b64);
			fprintf(f, "consistency proof (%zu hashes):\n", res->nproof);
			for (i = 0; i < res->nproof; i++) {
				sdb_b64_encode(b64, res->proof[i].b, SDB_HASH_SIZE);
				fprintf(f, "%s\n", b64);
			}
		}
		if (fclose(f) != 0) {
			free(text);
			text = NULL;
		}
	}
	/* Whether it is stored already, and its store, in one hold of mu:
	 * lookups that meet the same misbehavior at once (a log showing a
	 * fork to every client) must not each find it new and store it. */
	pthread_mutex_lock(&p->mu);
	for (i = 0, again = 0; i < p->nseen && !again; i++)
		again = evidence_key_eq(&p->seen[i], &key);
	if (!again && text == NULL) {
		stored = sdb_errf(&seb, SDB_ERR_NOMEM, "out of memory");
	} else if (!again) {
		stored = store_evidence(p, text, &seb);
		if (stored == SDB_OK) {
			p->seen[p->next_seen++ % PUBLIC_EVIDENCE_SEEN] = key;
			if (p->nseen < PUBLIC_EVIDENCE_SEEN)
				p->nseen++;
		}
	}
	pthread_mutex_unlock(&p->mu);
	free(text);
	if (again) {
		logf_line(p, err, "public log %s MISBEHAVED (%s@%s): %s; nothing recorded, the evidence "
		    "of it is stored already (sumdbd status)", p->r.shown, path, version, why);
		goto out;
	}
	if (stored == SDB_OK) {
		logf_line(p, SDB_OK, "public log %s MISBEHAVED (%s@%s): %s; nothing recorded, evidence "
		    "stored (sumdbd status)", p->r.shown, path, version, why);
	} else if (p->log_line != NULL) {
		char line[2 * SDB_ERRBUF_SIZE];

		snprintf(line, sizeof line, "public log %s MISBEHAVED (%s@%s): %s; nothing recorded, "
		    "WARNING: the evidence could not be stored: %s", p->r.shown, path, version, why,
		    sdb_errmsg(&seb, stored));
		sdbd_lograte_say(p->said_unstored, stored, p->log_line, line);
	}
out:
	return sdb_errf(eb, err, "the public checksum database %s misbehaved: %s; nothing is "
	    "recorded", sdb_note_verifier_name(p->r.v), why);
}

/*
 * An answer that did not verify but proves nothing against the log (a
 * note without its signature, a record not in the signed tree, tiles that
 * do not authenticate: anything between us and the log can make them):
 * refused, logged, never stored as evidence.  Returns err.
 */
static int
unverified(struct sdbd_public *p, int err, const char *path, const char *version,
    struct sdb_errbuf *eb)
{
	char why[SDB_ERRBUF_SIZE];

	sdb_remote_scrub(&p->r, eb);
	snprintf(why, sizeof why, "%s", sdb_errmsg(eb, err));
	logf_line(p, err, "public log %s: the answer for %s@%s did not verify: %s; nothing recorded "
	    "(not evidence against the log: anything on the way could have made it)", p->r.shown,
	    path, version, why);
	return sdb_errf(eb, err, "the answer of the public checksum database %s did not verify: "
	    "%s; nothing is recorded", sdb_note_verifier_name(p->r.v), why);
}

/* --- one public lookup ---------------------------------------------------- */

static void
acc_copy_clear(struct acc_copy *c)
{
	free(c->note);
	memset(c, 0, sizeof *c);
}

/* Copies the accepted tree into *c (under mu).  Returns SDB_OK or
 * SDB_ERR_NOMEM. */
static int
acc_copy_take(struct sdbd_public *p, struct acc_copy *c, struct sdb_errbuf *eb)
{
	int nomem = 0;

	acc_copy_clear(c);
	pthread_mutex_lock(&p->mu);
	c->have = p->have_acc;
	c->tree = p->acc;
	if (c->have && (c->note = strdup(p->acc_note)) == NULL) {
		c->have = 0;
		nomem = 1;
	}
	pthread_mutex_unlock(&p->mu);
	return nomem ? sdb_errf(eb, SDB_ERR_NOMEM, "out of memory") : SDB_OK;
}

/* Whether the accepted tree is still *c (under mu). */
static int
acc_unchanged(const struct sdbd_public *p, const struct acc_copy *c)
{
	if (p->have_acc != c->have)
		return 0;
	return !c->have || tree_eq(&p->acc, &c->tree);
}

/*
 * The check of the signed tree of an answer (a->opened), before anything
 * else in the answer is trusted, whatever the answer around it (a record
 * then asked for again, another module's, outside the tree): a tree the
 * log signed is its word, as x/mod's client merges a lookup's tree into
 * the latest it knows before it checks the record.  The tree must be
 * consistent with the accepted tree, and becomes the accepted tree when
 * larger; on first contact it is trusted once its right edge hashes to
 * its signed root.  So every tree the log shows is checked against every
 * other it showed before, and a fork shown once, then honesty, is proved
 * by the two.  The check runs on a copy (*acc, left holding the tree
 * checked against, for the evidence) with no lock held; the move happens
 * under mu only while the accepted tree is still that copy, else the
 * check runs again.  A first-contact tree of 0 records whose hash is not
 * zero is SDB_ERR_FORK: no log's history can hold it.  Returns SDB_OK,
 * the verification errors, SDB_ERR_IO, SDB_ERR_TIMEOUT, store errors,
 * SDB_ERR_NOMEM.
 */
static int
check_tree(struct sdbd_public *p, const struct sdb_remote_answer *a, long long deadline_ms,
    struct acc_copy *acc, struct sdb_audit_result *res, struct sdb_errbuf *eb)
{
	int advance, err, round;

	for (round = 0;; round++) {
		if (round > 0 && sdb_clock_ms() >= deadline_ms)
			return sdb_errf(eb, SDB_ERR_TIMEOUT, "no answer in the time allowed: the "
			    "accepted public tree moved on during each check");
		if ((err = acc_copy_take(p, acc, eb)) != SDB_OK)
			return err;
		/* the decision against acc, no lock held */
		err = sdb_remote_check_tree_until(&p->r, acc->have ? &acc->tree : NULL, &a->tree,
		    deadline_ms, res, eb);
		if (err == SDB_ERR_ROOT_MISMATCH && !acc->have && a->tree.n == 0)
			err = sdb_errf(eb, SDB_ERR_FORK, "a signed tree of 0 records whose hash is "
			    "not 32 zero bytes, the empty tree's: no log can have it");
		if (err != SDB_OK)
			return err;
		pthread_mutex_lock(&p->mu);
		if (acc_unchanged(p, acc))
			break;
		pthread_mutex_unlock(&p->mu);
	}
	advance = !acc->have || a->tree.n > acc->tree.n;
	/* a key given again, its log checked against its own tree: that
	 * tree becomes the database's accepted tree again, even unmoved */
	if (!advance && p->prev_vkey != NULL)
		err = store_accepted(p, p->acc_note, strlen(p->acc_note), eb);
	if (advance && (err = store_accepted(p, a->note.p, a->note.len, eb)) == SDB_OK) {
		if (!p->have_acc)
			logf_line(p, SDB_OK, "public log %s: first contact: trusting its tree of %" PRId64
			    " records and recording it as accepted", p->r.shown, a->tree.n);
		p->acc = a->tree;
		p->have_acc = 1;
	}
	pthread_mutex_unlock(&p->mu);
	return err;
}

static int
public_fetch(void *arg, const char *path, const char *version, struct sdb_errbuf *eb)
{
	struct sdbd_public *p = arg;
	struct sdb_remote_answer a;
	struct sdb_audit_result res;
	struct acc_copy acc;
	struct sdbd_record rec;
	long long deadline_ms = sdb_clock_ms() + p->timeout_ms;
	char pre[512];
	struct sdb_errbuf why;
	int64_t id;
	int err, bad, n, tree_failed = 0;

	memset(&res, 0, sizeof res);
	memset(&acc, 0, sizeof acc);
	for (n = 0;; n++) {
		err = sdb_remote_lookup_fetch_until(&p->r, path, version, deadline_ms, &a, &bad, &why,
		    eb);
		/* The signed tree first, also of an answer whose record then
		 * fails or is asked for again.  Its verification failures
		 * (a fork) outrank the record's; a tree that could not be
		 * checked leaves a record that did not verify its own words. */
		if (a.opened) {
			struct sdb_errbuf teb = { { 0 } };
			int terr = check_tree(p, &a, deadline_ms, &acc, &res, &teb);

			if (terr != SDB_OK) {
				tree_failed = 1;
				if (err == SDB_OK || sdb_err_is_verification(terr) ||
				    terr == SDB_ERR_NOMEM)
					err = sdb_errf(eb, terr, "%s", sdb_errmsg(&teb, terr));
			}
		}
		if (err == SDB_OK && !tree_failed)
			err = sdb_remote_check_inclusion_until(&p->r, &a.tree, a.id, a.text.p,
			    a.text.len, deadline_ms, eb);
		/* A record that is neither a go.sum record nor the tree's was
		 * garbled on the way: asked again (as sdb_remote_lookup does). */
		if (!bad || err == SDB_OK || tree_failed || !sdb_err_is_verification(err) ||
		    n == PUBLIC_GARBLED_REFETCHES || sdb_clock_ms() >= deadline_ms)
			break;
		sdb_remote_answer_clear(&a);
	}
	if (bad && err == SDB_OK)
		err = sdb_errf(eb, SDB_ERR_BAD_RECORD, "record %" PRId64 " of its signed tree of %"
		    PRId64 " records, its answer for %s@%s, is not a valid go.sum record: %s", a.id,
		    a.tree.n, path, version, why.msg);
	else if (bad && !tree_failed && sdb_err_is_verification(err))
		err = sdb_errf(eb, SDB_ERR_IO, "%s/lookup/%s@%s: the answer does not parse: %s",
		    p->r.shown, path, version, why.msg);
	snprintf(pre, sizeof pre, "the public checksum database %s", sdb_note_verifier_name(p->r.v));
	if (err == SDB_ERR_FORK || err == SDB_ERR_BAD_RECORD)
		err = misbehaved(p, err, path, version, &a, &acc, &res, eb);
	else if (sdb_err_is_verification(err))
		err = unverified(p, err, path, version, eb);
	else if (err == SDB_ERR_NOT_FOUND || err == SDB_ERR_TIMEOUT)
		err = sdb_remote_errwrap(eb, err, err, pre);
	else if (err != SDB_OK && err != SDB_ERR_NOMEM)
		err = sdb_remote_errwrap(eb, SDB_ERR_IO, err, pre);
	acc_copy_clear(&acc);
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
		sdb_remote_scrub(&p->r, eb);
	/* what the log said no to, and its lies, say themselves (a 404 is
	 * the client's business; misbehaved and unverified log theirs);
	 * the rest (the log unreachable, slow, this log's own trouble)
	 * would reach the client alone */
	if (err != SDB_OK && err != SDB_ERR_NOT_FOUND && !sdb_err_is_verification(err))
		logf_line(p, err, "public log %s: %s@%s not recorded: %s", p->r.shown, path, version,
		    sdb_errmsg(eb, err));
	return err;
}

/* Whether path goes to the upstream (or to a 404 at once) rather than
 * to the public log. */
static int
is_private(const struct sdbd_public *p, const char *path)
{
	return p->patterns != NULL && sdb_module_match_prefix_patterns(p->patterns, path);
}

unsigned
sdbd_public_miss_pool(void *arg, const char *path)
{
	struct sdbd_public *p = arg;

	return !p->off && !is_private(p, path) ? SDBD_PUBLIC_POOL : SDBD_UPSTREAM_POOL;
}

int
sdbd_public_miss(void *arg, const char *path, const char *version, struct sdb_errbuf *eb)
{
	struct sdbd_public *p = arg;
	int rc;

	if (is_private(p, path)) {
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
	p->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : SDBD_PUBLIC_TIMEOUT_MS;
	if ((rc = pthread_mutex_init(&p->mu, NULL)) != 0) {
		free(p);
		return sdb_errf(eb, SDB_ERR_INTERNAL, "cannot make the public path's mutex: %s",
		    strerror(rc));
	}
	if ((rc = sdbd_lograte_set_new(&p->said)) != SDB_OK ||
	    (rc = sdbd_lograte_set_new(&p->said_unstored)) != SDB_OK) {
		rc = sdb_errf(eb, rc, "cannot make the public path's log line counts");
		goto fail;
	}
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
	/* Checked here first, to name this server's options: the library's
	 * own messages name sumdb's --url, and cannot tell which of the two
	 * was wrong.  The key is never quoted (it may be a pasted signer
	 * key); the URL is shown without its credentials. */
	if (opt->url != NULL && (rc = sdb_remote_url_check(opt->url, "--public-url", eb)) != SDB_OK)
		goto fail;
	if (opt->vkey != NULL) {
		struct sdb_note_verifier *v = NULL;

		if ((rc = sdb_note_verifier_from_arg(&v, opt->vkey, eb)) != SDB_OK) {
			size_t k = strcspn(opt->vkey, " \t");

			/* the GOSUMDB value pasted whole: serve takes its two
			 * parts as two options */
			if (rc == SDB_ERR_BAD_KEY && strncmp(opt->vkey, "PRIVATE+KEY+", 12) != 0 &&
			    opt->vkey[k] != '\0' && opt->vkey[k + strspn(opt->vkey + k, " \t")] != '\0')
				rc = sdb_errf(eb, rc, "--public-key: a GOSUMDB value (KEY URL), not a "
				    "verifier key: give the key alone with --public-key, and the URL "
				    "with --public-url");
			else
				rc = sdb_errf(eb, rc, "--public-key: %s", sdb_errmsg(eb, rc));
			goto fail;
		}
		sdb_note_verifier_free(v);
	}
	rc = sdb_remote_open(&p->r, opt->vkey ? opt->vkey : SDB_NOTE_SUMGOLANG_NAME, opt->url,
	    "--public-url", eb);
	if (rc != SDB_OK) {
		rc = sdb_errf(eb, rc, "--public-key/--public-url: %s", sdb_errmsg(eb, rc));
		goto fail;
	}
	p->have_remote = 1;
	if ((rc = load_state(p, db_path, eb)) != SDB_OK)
		goto fail;
	*out = p;
	return SDB_OK;
fail:
	sdbd_public_free(p);
	return rc;
}

void
sdbd_public_cancel(struct sdbd_public *p)
{
	if (p != NULL && p->have_remote)
		sdb_fetch_cancel(p->r.fetch);
}

void
sdbd_public_free(struct sdbd_public *p)
{
	if (p == NULL)
		return;
	if (p->have_remote)
		sdb_remote_close(&p->r);
	sdbd_flights_free(p->flights);
	/* what it only counted would never be said otherwise */
	sdbd_lograte_set_flush(p->said, p->log_line);
	sdbd_lograte_set_flush(p->said_unstored, p->log_line);
	sdbd_lograte_set_free(p->said);
	sdbd_lograte_set_free(p->said_unstored);
	pthread_mutex_destroy(&p->mu);
	free(p->patterns);
	free(p->acc_note);
	free(p->prev_vkey);
	free(p->prev_note);
	free(p);
}
