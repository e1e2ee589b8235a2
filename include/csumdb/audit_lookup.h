/*
 * Accepting a record from another checksum database (DESIGN.md "Data flow"
 * step 1, the public-module branch; PROTOCOL.md "Auditing"): a lookup
 * answer (record id and text, and the signed tree from its note, already
 * verified with the log's key) is accepted only when the record is that
 * leaf of the tree and the tree is consistent with the tree accepted
 * before, both computed from tiles authenticated against the signed trees
 * (tile.h).  The lookup's own word is never used (CVE-2026-56864).  Pure:
 * tiles come through a struct sdb_tile_source.
 */
#ifndef CSUMDB_AUDIT_LOOKUP_H
#define CSUMDB_AUDIT_LOOKUP_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/audit.h"
#include "csumdb/err.h"
#include "csumdb/tile.h"
#include "csumdb/tlog.h"

/*
 * Inclusion alone: text[0..tlen) must hash to the level-0 hash at id of
 * tree, read from tiles of height h authenticated against tree.  Returns
 * SDB_OK; SDB_ERR_RECORD_MISMATCH (not that leaf, or id outside tree);
 * SDB_ERR_RANGE; SDB_ERR_TILE_MISMATCH or SDB_ERR_INVALID (tiles that do
 * not authenticate or have the wrong size); or src's error.
 */
int sdb_audit_inclusion(const struct sdb_tree *tree, int64_t id, const char *text, size_t tlen,
    int h, const struct sdb_tile_source *src, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Checks the answer: text[0..tlen) must hash to the authenticated level-0
 * hash at id of tree; then, when accepted is not NULL (NULL: first
 * contact, trusted), tree must be consistent with *accepted
 * (sdb_audit_consistency: a smaller tree is checked as a prefix of the
 * accepted one, so src must also serve the accepted tree's tiles).  h is
 * the tile height.  *advance is set to 1 when tree should replace the
 * accepted tree (first contact or larger), else 0.  res (not NULL) holds
 * the fork evidence on SDB_ERR_FORK.
 *
 * Returns SDB_OK; SDB_ERR_RECORD_MISMATCH (the record is not leaf id of
 * tree, or id lies outside it); SDB_ERR_FORK; SDB_ERR_TILE_MISMATCH or
 * SDB_ERR_INVALID (tiles that do not authenticate or have the wrong size);
 * SDB_ERR_RANGE; or src's error (e.g. SDB_ERR_IO).
 */
int sdb_audit_lookup(const struct sdb_tree *accepted, const struct sdb_tree *tree, int64_t id,
    const char *text, size_t tlen, int h, const struct sdb_tile_source *src,
    struct sdb_audit_result *res, int *advance, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

#endif
