/*
 * `sumdb audit --full`: every record of a signed tree, checked.  Data
 * tiles are downloaded ahead, in a bounded window, by a few threads; each is split
 * (sum.golang.org form), each record checked as a go.sum record and
 * given a fixed-size module@version entry in the duplicate index
 * (dupidx.h; sorted runs merged once at the end, duplicates reported,
 * conflicting hashes as critical), each full tile's root compared with the authenticated
 * level-1 hash and the tail tile's record hashes with the authenticated
 * level-0 hashes, and all records folded into the tree whose root must be
 * the signed one.  Progress (a frontier at a tile boundary) is committed
 * to the state file, so a later or interrupted run resumes.
 */
#ifndef CSUMDB_SUMDB_FULL_H
#define CSUMDB_SUMDB_FULL_H

#include <stdint.h>

#include "csumdb/err.h"
#include "csumdb/hash.h"
#include "csumdb/state.h"
#include "remote.h"

/* Download threads; tiles downloaded ahead of the checking thread at
 * most; tiles between two commits of the progress (262144 records, one
 * sorted run of the duplicate index: SDB_DUPIDX_BATCH entries); level-0
 * tile roots authenticated at a time (one level-1 tile). */
#define FULL_THREADS 4
#define FULL_WINDOW 64
#define FULL_BATCH 1024
#define FULL_L1_CHUNK 256
/* Wake-ups come in batches (a futex wake and a context switch per tile
 * each way were a tenth of the audit's CPU): idle download threads are
 * woken once this many tiles of the window are free, and a checking
 * thread that has to wait sleeps until this many tiles are ready. */
#define FULL_WAKE_BATCH 8
/* Sorted runs of the duplicate index read at the end of an audit before
 * they are merged into its set: a nightly audit adds a run or two, and
 * rewriting a set of 16 bytes per record of the log every night (about
 * 1 GB for sum.golang.org) is what this saves; 16 more runs cost the
 * merge little. */
#define FULL_MAX_RUNS 16

struct full_report {
	int64_t tree_size;
	int64_t resumed_from;      /* records verified by earlier runs */
	int64_t checked;           /* records checked in this run */
	int64_t duplicates;        /* same module@version, identical record */
	int64_t conflicts;         /* same module@version, different hashes */
	int64_t bad_records;       /* framed, but not a valid go.sum record */
	/* The same three for the whole log as far as checked: those found
	 * by earlier runs (kept in the state) and by this one. */
	int64_t log_duplicates, log_conflicts, log_bad_records;
	uint64_t tiles, bytes;
	double seconds;
	int root_ok;               /* the records give the signed root */
	int64_t evidence_count;    /* pieces of evidence in the state, set by
	                            * the caller for full_print; -1 unknown */
};

/*
 * Runs the full audit of tree (the accepted tree) through r and st.
 * Returns SDB_OK (rep filled; duplicates and bad records are in rep and
 * printed as found, the conflicting and bad ones also stored as evidence),
 * SDB_ERR_IO (could not check), SDB_ERR_TILE_MISMATCH (a data tile does not
 * match its authenticated hash), SDB_ERR_ROOT_MISMATCH (the records do not
 * give the signed root), SDB_ERR_NOMEM.
 */
int full_audit(struct sdb_remote *r, struct sdb_state *st, const char *state_path,
    const struct sdb_tree *tree, struct full_report *rep, struct sdb_errbuf *eb);

/*
 * The exit status of a full audit that returned err: EXIT_OK only when it
 * finished and the log holds no conflicting or invalid record.
 */
int full_status(const struct full_report *rep, int err);

/*
 * The evidence kept for record id, text[0..len), which the log named log
 * signed although it is not a valid go.sum record (why: the record
 * parser's words): one text for one record, whichever command finds it
 * (audit --full, lookup --state) and in whatever tree, so that the state
 * keeps it once.  Returns it malloc'ed (*out_len bytes), or NULL when out
 * of memory.
 */
char *full_bad_record_text(const char *log, int64_t id, const char *text, size_t len,
    const char *why, size_t *out_len);

/* Prints rep after full_audit returned err (detail: eb's message), as
 * one JSON object with json, naming state_path, the state file that keeps
 * the evidence of what was found. */
void full_print(const struct full_report *rep, int json, int first_run, const char *state_path,
    int err, const char *detail);

#endif
