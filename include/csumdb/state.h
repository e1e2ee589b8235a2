/*
 * The verifier's state file (DESIGN.md "Audit path"): one SQLite database
 * per audited log holding
 *
 *   - the signed tree accepted last (its note, re-verified with the log's
 *     key every time it is loaded, so a corrupted or edited state file is
 *     refused, never trusted);
 *   - the evidence of every misbehavior seen (both notes and the proof);
 *   - a tile cache, fed only with tiles the authenticating reader accepted
 *     (struct sdb_tile_source save), and never trusted either: whatever it
 *     returns is authenticated again by sdb_tile_read_hashes;
 *   - the progress of `audit --full` (the frontier of the records verified
 *     so far) and how much of the module@version duplicate index, kept in
 *     files beside the state file (dupidx.h), that progress covers.
 *
 * Every update is one transaction, synchronous=FULL: a crash at any point
 * leaves the previous state or the new one; an accepted tree is also in
 * the file itself, not only in its -wal, once accept returns.  Processes sharing a state
 * serialise on SQLite's write lock (a write waits a few seconds, then
 * SDB_ERR_LOCKED); work that also keeps files beside the state takes its
 * lock (sdb_state_lock).  Every message names the file and says what to
 * do.  Implemented in src/lib/state_sqlite.c.  A handle is used from one
 * thread at a time.
 */
#ifndef CSUMDB_STATE_H
#define CSUMDB_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"
#include "csumdb/hash.h"
#include "csumdb/note.h"
#include "csumdb/tile.h"
#include "csumdb/tlog.h"

struct sdb_state;

/*
 * Opens the state file at path for the log whose verifier key string is
 * vkey (NUL-terminated; copied), reading it only (a state of an older
 * csumdb is brought up to date).  A state file made for another key is
 * refused, as are a file that is not a state (another program's database,
 * a newer csumdb's state, an empty or damaged file, one with several
 * names, one that is not a regular file), each left as it is.  What a run
 * killed while making the state left beside it is removed.  A missing file is not made here but by the first write
 * (accept, add_evidence, tiles_put, full_put), with the same checks;
 * until then the state reads as empty (no tree, no evidence, no tiles, no
 * progress), so that a run which stores nothing leaves no file.  Whether
 * its directory lets the file be made is checked here.  Returns SDB_OK,
 * SDB_ERR_INVALID (not a state file, another key, unknown schema),
 * SDB_ERR_LOCKED (busy, when a state is set up), SDB_ERR_IO, SDB_ERR_NOMEM; each write may also
 * return these when it makes the file.  *out is NULL on failure.
 */
int sdb_state_open(struct sdb_state **out, const char *path, const char *vkey,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * As sdb_state_open, for a caller that only reads the state (sumdb
 * evidence) and never writes through it.  A state in a directory this
 * user cannot write (another user's, a read-only mount), where SQLite
 * cannot make the -shm file it needs to read it, is read as it is in the
 * file when no -wal file is beside it (no process has it open; what was
 * accepted or stored is in the file itself); a read that meets a page
 * changed meanwhile returns SDB_ERR_IO, saying to run again.  Returns
 * what sdb_state_open does.
 */
int sdb_state_open_read(struct sdb_state **out, const char *path, const char *vkey,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Closes st; NULL is a no-op. */
void sdb_state_close(struct sdb_state *st);

/*
 * Loads the accepted tree: opens the stored note with v and checks that it
 * is the stored tree.  On SDB_OK *tree is set and, when note is not NULL,
 * *note is a malloc'ed NUL-terminated copy (length *len).  Returns SDB_OK,
 * SDB_ERR_NOT_FOUND (no tree accepted yet), SDB_ERR_INVALID (the state
 * does not verify: eb says why), SDB_ERR_IO, SDB_ERR_NOMEM.
 */
int sdb_state_accepted(struct sdb_state *st, const struct sdb_note_verifier *v,
    struct sdb_tree *tree, char **note, size_t *len, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Stores tree and its signed note (already verified by the caller) as the
 * accepted tree, durably, in one transaction, then copies it from
 * STATE-wal into the state file itself, synced, so that the file alone
 * (a backup that copies only it; a run killed later, with its -wal lost)
 * holds it.  The accepted tree never goes back: a tree smaller than the
 * stored one, or another tree of its size, is refused (SDB_ERR_INVALID),
 * as is a note that is not tree's.  When sdb_state_accepted was called on
 * st, the tree it read must still be the stored one (another run may
 * have accepted a tree meanwhile): else SDB_ERR_IO, nothing stored.
 * Returns SDB_OK, SDB_ERR_INVALID, SDB_ERR_IO, SDB_ERR_LOCKED,
 * SDB_ERR_NOMEM; SDB_ERR_LOCKED or SDB_ERR_IO also when the tree is
 * accepted but held in STATE-wal only (a reader of an older snapshot
 * past the busy timeout; eb says so): accepting it again copies it.
 */
int sdb_state_accept(struct sdb_state *st, const struct sdb_tree *tree, const char *note,
    size_t len, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Copies whatever is committed to STATE-wal into the state file itself,
 * synced, as sdb_state_accept does after its commit: for a run that
 * stores nothing, so that what an earlier run left in STATE-wal only (its
 * copy held up by a reader) reaches the file.  Returns SDB_OK (also when
 * the state is not made yet), SDB_ERR_LOCKED (a reader of an older
 * snapshot past the busy timeout), SDB_ERR_IO, SDB_ERR_NOMEM; eb says
 * that what is stored is held in STATE-wal only.
 */
int sdb_state_checkpoint(struct sdb_state *st, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Appends evidence text[0..len) (a proof of misbehavior) with the current
 * time, durably, and copies it into the state file itself as
 * sdb_state_accept does; a text already stored is kept once, with its
 * first time.  Returns SDB_OK, SDB_ERR_IO, SDB_ERR_TOO_LARGE,
 * SDB_ERR_NOMEM; SDB_ERR_LOCKED or SDB_ERR_IO also when the evidence is
 * stored but held in STATE-wal only (eb says so): storing it again, or
 * sdb_state_checkpoint, copies it.
 */
int sdb_state_add_evidence(struct sdb_state *st, const char *text, size_t len,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Number of evidence entries in *count.  SDB_OK or SDB_ERR_IO. */
int sdb_state_evidence_count(struct sdb_state *st, int64_t *count,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Calls fn(arg, time, text, len) for each evidence entry, oldest first,
 * until fn returns nonzero.  Returns SDB_OK, SDB_ERR_IO.
 */
int sdb_state_evidence_each(struct sdb_state *st,
    int (*fn)(void *arg, int64_t time, const char *text, size_t len), void *arg,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Tile cache.  tile_get copies the first want bytes of the cached tile at
 * (t->h, t->l, t->n) into buf when it holds at least want bytes; returns
 * SDB_OK, SDB_ERR_NOT_FOUND, SDB_ERR_IO.  tiles_put stores n tiles (data[i]
 * is tiles[i].w * 32 bytes for hash tiles, or len[i] bytes) in one
 * transaction, keeping the longer of the old and new blob.
 */
int sdb_state_tile_get(struct sdb_state *st, const struct sdb_tile *t, uint8_t *buf,
    size_t want) SDB_WARN_UNUSED;
int sdb_state_tiles_put(struct sdb_state *st, const struct sdb_tile *tiles, size_t n,
    const uint8_t *const *data, const size_t *lens, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Takes the state's lock for the rest of st's life (until
 * sdb_state_close), without waiting, for work that also keeps files
 * beside the state, where SQLite's transactions do not reach: the
 * duplicate index of `audit --full` (dupidx.h), which two runs at once
 * would interleave.  The lock is the file PATH-lock beside the state's
 * real path, made when missing and never removed.  Taking it again
 * through st is a no-op.  Returns SDB_OK, SDB_ERR_LOCKED (another handle,
 * in this process or another, holds it: eb says so), SDB_ERR_IO,
 * SDB_ERR_NOMEM.  The other operations need no lock.
 */
int sdb_state_lock(struct sdb_state *st, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Which part of the duplicate index's files (dupidx.h) is committed. */
struct sdb_state_dups {
	int64_t merged;   /* records with lower ids went through a merge (their
			   * pairs are reported); their entries are in the
			   * set or in the runs */
	int64_t newlen;   /* committed bytes of the runs (not merged into the
			   * set yet) */
};

/* What full audits found in the records they committed: a log keeps its
 * records for good, so these are reported by every later run too. */
struct sdb_state_findings {
	int64_t duplicates;   /* module@version pairs recorded twice, identically
			       * (among records below dups->merged) */
	int64_t conflicts;    /* ... with different hashes (the same) */
	int64_t bad_records;  /* records that are not valid go.sum records
			       * (among records below f->n) */
};

/*
 * Progress of a full audit: the frontier of the first f->n records, all
 * verified, *dups and *found (zero when a state from an older csumdb has
 * none).  full_get returns SDB_OK, SDB_ERR_NOT_FOUND (start from 0),
 * SDB_ERR_INVALID, SDB_ERR_IO; full_put stores all three in one
 * transaction (evidence is stored by add_evidence at once), and returns
 * SDB_OK, SDB_ERR_IO, SDB_ERR_LOCKED.
 */
int sdb_state_full_get(struct sdb_state *st, struct sdb_tlog_frontier *f,
    struct sdb_state_dups *dups, struct sdb_state_findings *found,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;
int sdb_state_full_put(struct sdb_state *st, const struct sdb_tlog_frontier *f,
    const struct sdb_state_dups *dups, const struct sdb_state_findings *found,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

#endif
