/*
 * The signer key's checkpoint: the last tree a signer key file signed,
 * kept beside the key (KEYFILE.checkpoint) and outside the database, so
 * that a database which is not the one the key last signed for is
 * refused before the key signs anything for it.  The two ways an
 * operator forks a log without meaning to:
 *
 *   - a restored backup (or any older copy) of the database: its next
 *     tree would have the size of one already signed, with other records;
 *   - a copy served or added to beside the original: two databases
 *     growing under one key.
 *
 * The key file is held with an exclusive lock while a log signs with it,
 * so two sumdbd processes never sign with one key file at once, and the
 * checkpoint is written (atomically, durably) after each commit.  What a
 * crash can leave is a checkpoint one tree behind the database, which the
 * database still holds: the next open accepts that and catches up.
 *
 * Limits: a copy of the key file elsewhere has its own checkpoint (the
 * guard is per key file), and deleting the checkpoint starts a new one
 * from whatever database the key opens next.
 */
#ifndef CSUMDB_SUMDBD_CHECKPOINT_H
#define CSUMDB_SUMDBD_CHECKPOINT_H

#include <stddef.h>

#include "csumdb/err.h"
#include "csumdb/hash.h"
#include "csumdb/note.h"
#include "csumdb/store.h"

/* The checkpoint's file name is the key file's with this appended. */
#define SDBD_CHECKPOINT_SUFFIX ".checkpoint"

struct sdbd_checkpoint;

/*
 * Locks the signer key file key_path (SDB_ERR_INVALID when another process
 * signs with it) and reads its checkpoint, path or, when NULL,
 * key_path SDBD_CHECKPOINT_SUFFIX; a missing checkpoint is not an error.
 * A checkpoint must be a tree note signed by v (the key's verifier).
 * Returns SDB_OK, SDB_ERR_INVALID, SDB_ERR_NOT_FOUND (no key file),
 * SDB_ERR_IO, SDB_ERR_TOO_LARGE, SDB_ERR_NOMEM or a note error; detail
 * in eb.
 */
int sdbd_checkpoint_open(struct sdbd_checkpoint **out, const char *key_path, const char *path,
    const struct sdb_note_verifier *v, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Checks that the database st, whose latest signed tree is latest (NULL:
 * it has none yet), is the one the key last signed for: it must hold the
 * checkpoint's tree, same size and root.  A database without a tree is
 * accepted only by a key without a checkpoint, or one that signed only
 * the empty tree.  Returns SDB_OK, SDB_ERR_ROOT_MISMATCH (not that
 * database; the message says what to do), or the store's errors.
 */
int sdbd_checkpoint_check(const struct sdbd_checkpoint *c, struct sdb_store *st,
    const struct sdb_tree *latest, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * The same check for a checkpoint read with sdbd_checkpoint_read: tree cp
 * from the file at path (for messages).
 */
int sdbd_checkpoint_holds(const struct sdb_tree *cp, const char *path, struct sdb_store *st,
    const struct sdb_tree *latest, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Reads the checkpoint at path without locking anything (for sumdbd
 * status, beside a running server): *tree is its tree, which must verify
 * with v.  Returns SDB_OK, SDB_ERR_NOT_FOUND (no checkpoint), SDB_ERR_IO,
 * SDB_ERR_TOO_LARGE or a note error; detail in eb.
 */
int sdbd_checkpoint_read(const char *path, const struct sdb_note_verifier *v,
    struct sdb_tree *tree, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* 1 when the checkpoint does not hold tree t (it must be written). */
int sdbd_checkpoint_behind(const struct sdbd_checkpoint *c, const struct sdb_tree *t);

/*
 * Makes the signed note of tree t (committed to the database) the
 * checkpoint: written to a temporary file, synced, renamed over the old
 * one and the directory synced.  On failure the old checkpoint stays.
 * Returns SDB_OK or SDB_ERR_IO; detail in eb.
 */
int sdbd_checkpoint_write(struct sdbd_checkpoint *c, const struct sdb_tree *t,
    const char *note, size_t note_len, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* The checkpoint file's path, for messages. */
const char *sdbd_checkpoint_path(const struct sdbd_checkpoint *c);

/* Unlocks the key file and frees c; NULL is a no-op. */
void sdbd_checkpoint_close(struct sdbd_checkpoint *c);

#endif
