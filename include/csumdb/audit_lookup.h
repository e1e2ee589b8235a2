/*
 * Accepting a record from another checksum database (DESIGN.md "Data flow"
 * step 1, the public-module branch; PROTOCOL.md "Auditing"): a lookup
 * answer (record id and text, and the signed tree from its note, already
 * verified with the log's key) is accepted only when the tree is
 * consistent with the tree accepted before (sdb_audit_consistency,
 * audit.h: checked first, so that a fork is caught whatever becomes of
 * the record) and the record is that leaf of the tree, both computed from
 * tiles authenticated against the signed trees (tile.h).  The lookup's
 * own word is never used (CVE-2026-56864).  Pure: tiles come through a
 * struct sdb_tile_source.
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

#endif
