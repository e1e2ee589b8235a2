/*
 * A checksum database seen from a client (the verifier sumdb, and sumdbd
 * when it answers for the public log): its key, its URL, signed
 * trees fetched from /latest and /lookup, and a struct sdb_tile_source
 * that serves tiles from an in-memory cache, the state file's cache (only
 * when allowed) or HTTP (src/lib/fetch.h).  Nothing here decides what a
 * tile is worth: every tile goes through sdb_tile_read_hashes, which
 * authenticates it; only authenticated tiles are saved.
 *
 * Errors keep the three kinds apart: SDB_ERR_IO for "could not check"
 * (network, timeouts, 5xx after retries, unexpected statuses, bodies that
 * stay garbled after refetching), the verification codes for signatures
 * and tiles that do not verify, SDB_ERR_NOT_FOUND for a 404/410 lookup.
 *
 * Threads: a struct sdb_remote without a state serves several threads at
 * once (sumdb check's lookups, sumdbd's public lookups), from
 * sdb_remote_open to sdb_remote_close: each check reads tiles through a
 * reader of its own (struct sdb_remote_reader), and what the threads share
 * is the HTTP client (thread-safe, src/lib/fetch.h), the key, the URL and
 * the memory cache of authenticated tiles, whose mutex is held to copy a
 * tile in or out and never across a fetch.  With a state (its SQLite
 * connection, the tiles waiting for it), one thread at a time.
 */
#ifndef CSUMDB_REMOTE_H
#define CSUMDB_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/audit.h"
#include "csumdb/hash.h"
#include "csumdb/note.h"
#include "csumdb/record.h"
#include "csumdb/state.h"
#include "csumdb/tile.h"

#define SDB_REMOTE_TILE_HEIGHT 8
#define SDB_REMOTE_MEMCACHE_SLOTS 1024

struct sdb_fetch; /* src/lib/fetch.h */
struct sdb_remote_cache; /* remote.c: the memory cache of authenticated tiles */

/* A tile authenticated in this run, waiting to be cached in the state. */
struct sdb_remote_pending {
	struct sdb_tile t;
	uint8_t *data;
};

struct sdb_remote {
	struct sdb_note_verifier *v;
	char *vkey;                 /* the key string, as formatted */
	char *base;                 /* URL without a trailing slash */
	char *shown;                /* base for messages: its userinfo ("user:pass@",
	                             * credentials) as "xxxxx@" */
	struct sdb_fetch *fetch;
	struct sdb_state *state;    /* may be NULL; its tile cache is read too */
	struct sdb_remote_cache *cache;     /* SDB_REMOTE_MEMCACHE_SLOTS slots by
	                                     * tile, a wider tile kept over a
	                                     * narrower one */
	struct sdb_remote_pending *pending;  /* authenticated, not yet in the state */
	size_t npending, cap_pending;
};

/*
 * One reader of r's tiles, for one check in one thread (several readers of
 * one r may read at once): src serves each tile from r's memory cache,
 * else from the state's cache (r->state), else from the network by
 * deadline_ms (CLOCK_MONOTONIC milliseconds as src/lib/clock.h's
 * sdb_clock_ms gives them; 0: none).  network_only skips both caches (set
 * it to refetch tiles that did not authenticate).  Nothing here is
 * trusted: src is for sdb_tile_read_hashes and what builds on it, which
 * authenticates every tile and saves only authenticated ones (into the
 * memory cache, and for the state's cache into r's pending list).
 * net_eb keeps the last network failure, for a caller whose check failed
 * with SDB_ERR_IO or SDB_ERR_TIMEOUT to say why.
 */
struct sdb_remote_reader {
	struct sdb_remote *r;
	long long deadline_ms;
	int network_only;
	struct sdb_errbuf net_eb;
	struct sdb_tile_source src;
};

/* Sets rd up as a reader of r (borrowed) by deadline_ms (0: none). */
void sdb_remote_reader_init(struct sdb_remote_reader *rd, struct sdb_remote *r,
    long long deadline_ms);

/*
 * Sets up r for key_arg (a verifier key or "sum.golang.org") at url (NULL:
 * https://sum.golang.org for the built-in key, else https://NAME), which
 * the user gives with the caller's option url_option ("--url").
 * Returns SDB_OK, SDB_ERR_BAD_KEY, SDB_ERR_INVALID (URL; or no url and a
 * key's NAME that is not HOST[:PORT][/PATH], a message naming url_option),
 * SDB_ERR_NOMEM, SDB_ERR_INTERNAL.
 */
int sdb_remote_open(struct sdb_remote *r, const char *key_arg, const char *url,
    const char *url_option, struct sdb_errbuf *eb);

/* SDB_OK when sdb_remote_open takes url (http://, https:// or file://,
 * without a query or a fragment, which the log's paths would follow, and
 * for http(s) with a host, and no '@' past the host and port, where it would end
 * credentials cut short), else SDB_ERR_INVALID saying "OPTION URL: what
 * is wrong", the URL without its credentials (not at all when they may
 * have been cut short): for a caller that names its own option. */
int sdb_remote_url_check(const char *url, const char *option, struct sdb_errbuf *eb);
void sdb_remote_close(struct sdb_remote *r);

/*
 * Fetches /latest and opens it with the key: *tree, and the note bytes in
 * *note (malloc'ed, NUL-terminated, length *len).  A body that does not
 * parse, or whose signature fails, or that has no signature by the key, is
 * fetched again (a few times) before giving up; the same note with no
 * signature by the key twice in a row is not (another log or another key,
 * not an answer garbled on the way).  Returns SDB_OK, SDB_ERR_IO,
 * SDB_ERR_UNVERIFIED_NOTE, SDB_ERR_BAD_SIGNATURE, SDB_ERR_NOMEM.
 */
int sdb_remote_latest(struct sdb_remote *r, struct sdb_tree *tree, char **note, size_t *len,
    struct sdb_errbuf *eb);

/*
 * A caller's check of a signed tree the log showed (tree, and its note
 * note[0..nlen)), against the trees it knows of the same log: SDB_OK, or
 * the error that ends the lookup that showed it (SDB_ERR_FORK, ...), with
 * eb saying why.
 */
typedef int (*sdb_remote_tree_fn)(void *ctx, const struct sdb_tree *tree, const char *note,
    size_t nlen, struct sdb_errbuf *eb);

/* Most answers one sdb_remote_lookup reads: the first and its refetches. */
#define SDB_REMOTE_LOOKUP_ANSWERS 4

/*
 * A lookup of path@version, verified: the response parses, its record is
 * path@version, its note opens with the key, and the record's hash equals
 * the level-0 hash authenticated against that tree.  An answer whose
 * record does not match is fetched again (a few times) before
 * SDB_ERR_RECORD_MISMATCH is concluded, as a tile is.  A record that is
 * not a valid go.sum record but is in the signed tree was signed by the
 * log: SDB_ERR_BAD_RECORD, a verification failure (audit --full finds the
 * same record).  On SDB_OK and SDB_ERR_BAD_RECORD (the evidence): *id,
 * *text (malloc'ed record text, *tlen), *tree, *note (malloc'ed, *nlen).
 *
 * on_tree (may be NULL) is called with ctx and the signed tree of every
 * answer whose note opens with the key, before anything is concluded from
 * that answer's record or tiles, also of an answer then fetched again: a
 * tree the log signed is evidence whatever the answer around it, as
 * x/mod's client checks a lookup's tree against the latest it knows before
 * the record.  Its verification failures (a fork) end the lookup with its
 * error and message; its other failures (a tree that could not be
 * checked) are the lookup's when the record then verifies, while a
 * record that does not verify is still reported as such.
 *
 * Returns SDB_OK, SDB_ERR_NOT_FOUND (404/410: the log does not know it),
 * SDB_ERR_IO, SDB_ERR_RECORD_MISMATCH (the record is not the one in the
 * tree), SDB_ERR_BAD_RECORD, SDB_ERR_TILE_MISMATCH, the note's
 * verification errors, on_tree's errors, SDB_ERR_BAD_PATH/VERSION
 * (arguments), SDB_ERR_NOMEM.
 */
int sdb_remote_lookup(struct sdb_remote *r, const char *path, const char *version,
    sdb_remote_tree_fn on_tree, void *ctx, int64_t *id, char **text, size_t *tlen,
    struct sdb_tree *tree, char **note, size_t *nlen, struct sdb_errbuf *eb);

/*
 * A lookup response as the log sent it.  body (owned) holds the response;
 * text and note point into it.
 */
struct sdb_remote_answer {
	char *body;
	size_t len;
	int64_t id;
	struct sdb_span text, note;
	struct sdb_tree tree;       /* opened from note with r's key */
	int opened;                 /* 1 once note opened: tree is its tree */
};

/* Frees a's body and empties it; an empty answer is a no-op. */
void sdb_remote_answer_clear(struct sdb_remote_answer *a);

/*
 * The first half of sdb_remote_lookup: GETs the lookup of path@version,
 * parses it, opens its note with r's key, and checks the record names
 * path@version and its id lies inside the tree; an answer that does not
 * parse or whose note does not open is fetched again, as sdb_remote_latest
 * fetches /latest again.  The record's inclusion
 * is NOT checked: sdb_remote_check_inclusion must follow before anything
 * in *a is used (CVE-2026-56864: never trust a lookup's own word).
 * Uses only r's HTTP client, key and URL, never its tiles, so several
 * threads may call it at once, also while another uses r's state.  No
 * fetch or refetch runs past deadline_ms (as a reader's; 0: none).
 * Returns as sdb_remote_lookup, and SDB_ERR_TIMEOUT when the deadline
 * ended it or left no time to fetch again an answer that did not parse
 * or verify.  On a verification failure a->body keeps the response (the
 * evidence; clear it); on other failures *a is empty.  a->opened is 1
 * when the note opened with the key (a->tree is its tree), also when the
 * record then turned out to be another module's or outside the tree.
 * With bad not NULL, a record text that is not a go.sum record is not
 * refused: *bad is set, why says what is wrong with it, and SDB_OK is
 * returned so that its inclusion can be checked (in the signed tree: the
 * log signed it, SDB_ERR_BAD_RECORD; not: garbled on the way).  Such a
 * record names no path@version, so that is not checked.
 */
int sdb_remote_lookup_fetch_until(struct sdb_remote *r, const char *path, const char *version,
    long long deadline_ms, struct sdb_remote_answer *a, int *bad, struct sdb_errbuf *why,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * The second half: checks that text[0..tlen) is record id of the signed
 * tree (already verified by the caller): sdb_audit_inclusion
 * (audit_lookup.h) through a reader of r, refetching as
 * sdb_remote_read_hashes does.  Returns SDB_OK, SDB_ERR_RECORD_MISMATCH,
 * or sdb_remote_read_hashes's errors.
 */
int sdb_remote_check_inclusion(struct sdb_remote *r, const struct sdb_tree *tree, int64_t id,
    const char *text, size_t tlen, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* sdb_remote_check_inclusion by deadline_ms (0: none), no refetch
 * starting past it; SDB_ERR_TIMEOUT when the deadline ended a fetch or
 * left no time for a refetch of tiles that did not authenticate. */
int sdb_remote_check_inclusion_until(struct sdb_remote *r, const struct sdb_tree *tree,
    int64_t id, const char *text, size_t tlen, long long deadline_ms,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * sdb_tile_read_hashes through a reader of r, refetching from the network
 * alone (a few times, pausing longer each time) while the tiles do not
 * authenticate: a stale or damaged cache, or a garbled answer, must never
 * be reported as a server's fault.  Returns SDB_OK, SDB_ERR_TILE_MISMATCH
 * (still after refetching), SDB_ERR_IO (network, or tiles that stay the
 * wrong size), SDB_ERR_RANGE, SDB_ERR_NOMEM.
 */
int sdb_remote_read_hashes(struct sdb_remote *r, const struct sdb_tree *tree, const int64_t *idx,
    size_t n, sdb_hash *out, struct sdb_errbuf *eb);

/*
 * sdb_audit_consistency (audit.h) of accepted and latest, both verified
 * by the caller, through a reader of r with sdb_remote_read_hashes's
 * refetch rule.  Tiles authenticated on the way wait in r for
 * sdb_remote_commit_cache or sdb_remote_drop_cache: the caller commits
 * them only on SDB_OK.  Returns SDB_OK, SDB_ERR_FORK (res holds the
 * evidence), SDB_ERR_TILE_MISMATCH, SDB_ERR_IO, SDB_ERR_RANGE,
 * SDB_ERR_NOMEM.
 */
int sdb_remote_consistency(struct sdb_remote *r, const struct sdb_tree *accepted,
    const struct sdb_tree *latest, struct sdb_audit_result *res,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Reads tree's right edge (the tiles its root is computed from), every
 * tile authenticated against the signed root, with the same refetch rule:
 * what a first run does before it trusts a tree, so that one garbled
 * answer is fetched again instead of reported.  The tiles wait in r as
 * with sdb_remote_consistency.  A tree of 0 records has no tiles: its
 * hash must be 32 zero bytes.  Returns SDB_OK, SDB_ERR_TILE_MISMATCH,
 * SDB_ERR_ROOT_MISMATCH (a tree of 0 records with another hash),
 * SDB_ERR_IO, SDB_ERR_RANGE, SDB_ERR_NOMEM.
 */
int sdb_remote_check_edge(struct sdb_remote *r, const struct sdb_tree *tree,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Replaces every r->base in eb's message by r->shown, for a message made
 * from a URL under base (libcurl's, a caller's own): no credentials given
 * in the URL are ever shown.  A no-op when base has none.
 */
void sdb_remote_scrub(const struct sdb_remote *r, struct sdb_errbuf *eb);

/*
 * GETs base + "/" + path (max bytes) with status 200 required.  Returns
 * SDB_OK (*body malloc'ed, *len), SDB_ERR_NOT_FOUND (404, 410),
 * SDB_ERR_IO, SDB_ERR_TOO_LARGE, SDB_ERR_NOMEM.
 */
int sdb_remote_get(struct sdb_remote *r, const char *path, size_t max, char **body, size_t *len,
    struct sdb_errbuf *eb);

/*
 * The check of a signed tree the log showed (tree, its note verified by
 * the caller), made before anything else of the answer that showed it is
 * used, through a reader of r by deadline_ms (0: none) with
 * sdb_remote_read_hashes's refetch rule, no refetch starting past the
 * deadline; several threads may make it at once.  Against accepted:
 * sdb_audit_consistency (res holds a fork's evidence).  With accepted
 * NULL (first contact): tree's right edge, as sdb_remote_check_edge, so
 * that a tree is trusted only once its tiles hash to its signed root.
 * Returns SDB_OK, SDB_ERR_FORK, SDB_ERR_ROOT_MISMATCH (first contact, a
 * tree of 0 records whose hash is not zero), SDB_ERR_TILE_MISMATCH,
 * SDB_ERR_IO (also tiles that stay the wrong size), SDB_ERR_TIMEOUT (as
 * sdb_remote_lookup_fetch_until), SDB_ERR_RANGE, SDB_ERR_NOMEM.
 */
int sdb_remote_check_tree_until(struct sdb_remote *r, const struct sdb_tree *accepted,
    const struct sdb_tree *tree, long long deadline_ms, struct sdb_audit_result *res,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Empties r's memory cache (tiles authenticated against a tree found
 * forked must not serve another check); safe beside readers in other
 * threads. */
void sdb_remote_mem_clear(struct sdb_remote *r);

/*
 * The state's tile cache only ever receives tiles of trees the state
 * accepted: tiles authenticated in this run wait in memory until the
 * caller knows their tree is consistent with the accepted one (then
 * remote_commit_cache) or not (remote_drop_cache).  A forked log's tiles
 * must never shadow the accepted tree's.  commit returns SDB_OK or the
 * state's error, said in eb (the cache is only an optimisation).
 */
int sdb_remote_commit_cache(struct sdb_remote *r, struct sdb_errbuf *eb);
void sdb_remote_drop_cache(struct sdb_remote *r);

/*
 * Rewrites eb as "PREFIX: " + its current message (or err's description)
 * and returns code; safe although the message is eb's own.
 */
int sdb_remote_errwrap(struct sdb_errbuf *eb, int code, int err, const char *prefix);

#endif
