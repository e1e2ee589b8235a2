/*
 * The module@version duplicate index of `sumdb audit --full`: a bounded-
 * memory external sort-merge instead of a B-tree insert per record.
 *
 * Each record checked gives one fixed-size entry: the first 80 bits of
 * SHA-256 of its "path version" and its record id (48 bits).  Entries of
 * one commit batch are sorted in memory and appended as one sorted run to
 * STATE-dups.new (sequential writes); at the end of a run every run, the
 * batch still in memory and the sorted set from earlier runs (STATE-dups)
 * are merged k-way, where equal keys are adjacent, into a new STATE-dups
 * once the runs are many (sdb_dupidx_merge_lazy) and else only read:
 * each such pair is handed to the caller, who decides (from the records
 * themselves) whether it is a real duplicate, harmless or conflicting.
 * Equal (key, id) pairs are one record seen twice (a resumed run) and are
 * kept once.  Memory: two batches of SDB_DUPIDX_BATCH entries and merge
 * buffers of at most 16 MiB in all, whatever the log size.
 *
 * Crash safety comes from the state file: the caller stores the length of
 * STATE-dups.new it has made durable (sdb_dupidx_flush) in the same
 * transaction as its progress, and sdb_dupidx_open cuts the file back to
 * that length; the merged file replaces STATE-dups by rename.
 *
 * File formats (all integers big-endian):
 *   run:     "csdbrun1" count(8) then count entries
 *   STATE-dups: "csdbdup1" count(8) then count entries, sorted
 *   entry:   key(10) id(6)
 * Implemented in src/lib/dupidx.c.  One thread at a time.
 */
#ifndef CSUMDB_DUPIDX_H
#define CSUMDB_DUPIDX_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"

/* Entries sorted in memory at a time (one commit batch of the audit). */
#define SDB_DUPIDX_BATCH 262144

/* hi: key bits 0..63; lo: key bits 64..79 then the 48-bit record id, so
 * that (hi, lo) order is key order, then id order. */
struct sdb_dupidx_entry {
	uint64_t hi, lo;
};

struct sdb_dupidx;

/* Makes the entry of record id whose text starts with "path version"
 * (pv[0..len), the first line up to the hash). */
void sdb_dupidx_entry_make(struct sdb_dupidx_entry *e, const char *pv, size_t len, int64_t id);

/* Two entries at once, e[k] for pv[k][0..len[k]) and id[k]: the same as
 * two sdb_dupidx_entry_make calls, faster (sdb_sha256_x2). */
void sdb_dupidx_entry_make2(struct sdb_dupidx_entry e[2], const char *const pv[2],
    const size_t len[2], const int64_t id[2]);

/* The record id of e. */
int64_t sdb_dupidx_entry_id(const struct sdb_dupidx_entry *e);

/* 1 when a and b have the same key (the same module@version, but for a
 * 2^-80 chance), else 0. */
int sdb_dupidx_same_key(const struct sdb_dupidx_entry *a, const struct sdb_dupidx_entry *b);

/* Sorts a[0..n) by (hi, lo); tmp has room for n entries. */
void sdb_dupidx_sort(struct sdb_dupidx_entry *a, size_t n, struct sdb_dupidx_entry *tmp);

/*
 * Opens the index beside the state file state_path (STATE-dups and
 * STATE-dups.new, created when missing), cutting STATE-dups.new back to
 * newlen bytes (the length last stored with the progress); merged is the
 * number of records the state says STATE-dups holds.  reset: start from
 * nothing (both files emptied).  Returns SDB_OK, SDB_ERR_NOT_FOUND (the
 * files hold less than the state says: STATE-dups missing, or
 * STATE-dups.new shorter than newlen, as when a state file is copied
 * without them), SDB_ERR_IO (eb says which file), SDB_ERR_INVALID (a bad
 * argument), SDB_ERR_NOMEM.
 */
int sdb_dupidx_open(struct sdb_dupidx **out, const char *state_path, int64_t newlen,
    int64_t merged, int reset, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Closes d (NULL is a no-op); nothing pending is written. */
void sdb_dupidx_close(struct sdb_dupidx *d);

/* Adds e to the batch in memory (writing the batch as a run first when it
 * is full).  Returns SDB_OK or SDB_ERR_IO. */
int sdb_dupidx_add(struct sdb_dupidx *d, const struct sdb_dupidx_entry *e,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Writes the batch as a sorted run and makes STATE-dups.new durable;
 * *newlen is its length, to store with the progress.  SDB_OK, SDB_ERR_IO. */
int sdb_dupidx_flush(struct sdb_dupidx *d, int64_t *newlen, struct sdb_errbuf *eb)
    SDB_WARN_UNUSED;

/*
 * Called by sdb_dupidx_merge for each entry again whose key equals that of
 * first (the lowest id with that key) and whose id is at least new_from:
 * each pair is reported once per merge.  Returns SDB_OK to go on, anything
 * else to stop the merge with that code.
 */
typedef int (*sdb_dupidx_pair_fn)(void *arg, const struct sdb_dupidx_entry *first,
    const struct sdb_dupidx_entry *again);

/*
 * Merges the runs of STATE-dups.new, the batch in memory and STATE-dups
 * into a new STATE-dups (durable, replaced by rename), calling pair for
 * the duplicates involving an id >= new_from.  After it the caller stores
 * newlen 0 with its progress, then calls sdb_dupidx_clear_new.  Returns
 * SDB_OK, SDB_ERR_IO, SDB_ERR_INVALID (a damaged file), SDB_ERR_NOMEM, or
 * pair's code.
 */
int sdb_dupidx_merge(struct sdb_dupidx *d, int64_t new_from, sdb_dupidx_pair_fn pair,
    void *arg, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * sdb_dupidx_merge when STATE-dups.new holds more than max_runs runs
 * (always when max_runs is -1, or when there is no STATE-dups yet), with
 * *compacted 1; otherwise only the
 * pairs are found, nothing is written and the runs stay for the next
 * merge (*compacted 0: the caller keeps its newlen).  Rewriting the whole
 * merged set after every audit costs as much as the set; reading a few
 * runs more costs only them.  The batch in memory is used up either way.
 */
int sdb_dupidx_merge_lazy(struct sdb_dupidx *d, int64_t new_from, int max_runs,
    sdb_dupidx_pair_fn pair, void *arg, int *compacted, struct sdb_errbuf *eb)
    SDB_WARN_UNUSED;

/* Empties STATE-dups.new (its runs are merged and that is committed). */
int sdb_dupidx_clear_new(struct sdb_dupidx *d, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

#endif
