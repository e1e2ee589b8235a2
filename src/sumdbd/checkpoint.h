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
 * The checkpoint is locked (CHECKPOINT.lock) while a log signs with its
 * key, so two sumdbd processes never sign under one checkpoint at once,
 * and it is written (atomically, durably) after each commit, before the
 * tree is published.  What a crash can leave is a checkpoint one tree
 * behind the database, a tree no client has seen, which the database
 * still holds: the next open accepts that and catches up.
 *
 * Limits: a copy of the key file elsewhere has its own checkpoint (the
 * guard is per key file, through symbolic links; a key with hard links
 * is refused), and a deleted checkpoint is started anew only when the
 * operator says so (sdbd_log_options.new_checkpoint).
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
 * Reads the checkpoint of the signer key file key_path, path or, when
 * NULL, the key's real path SDBD_CHECKPOINT_SUFFIX, and locks it
 * (SDB_ERR_INVALID when another process signs under it, or the key file
 * has hard links); a missing checkpoint is not an error.
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
 * with v.  Returns SDB_OK, SDB_ERR_NOT_FOUND (no checkpoint, in a
 * directory that is there), SDB_ERR_IO (also: the directory is not
 * there), SDB_ERR_TOO_LARGE, SDB_ERR_NOMEM or a note error; detail in eb.
 */
int sdbd_checkpoint_read(const char *path, const struct sdb_note_verifier *v,
    struct sdb_tree *tree, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* 1 when a checkpoint was read at open or written since. */
int sdbd_checkpoint_have(const struct sdbd_checkpoint *c);

/*
 * Before the key signs: the checkpoint file is still the one this process
 * read or wrote last (SDB_ERR_ROOT_MISMATCH when something replaced it:
 * another process signing under it, its lock file removed).
 */
int sdbd_checkpoint_unchanged(const struct sdbd_checkpoint *c,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* 1 when the checkpoint does not hold tree t (it must be written). */
int sdbd_checkpoint_behind(const struct sdbd_checkpoint *c, const struct sdb_tree *t);

/*
 * Makes the signed note of tree t (committed to the database) the
 * checkpoint: written to a temporary file, synced, renamed over the old
 * one and the directory synced.  On failure the checkpoint does not hold
 * t (sdbd_checkpoint_behind), though after the rename the file may.
 * Returns SDB_OK or SDB_ERR_IO; detail in eb.
 */
int sdbd_checkpoint_write(struct sdbd_checkpoint *c, const struct sdb_tree *t,
    const char *note, size_t note_len, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* The checkpoint file's path, for messages. */
const char *sdbd_checkpoint_path(const struct sdbd_checkpoint *c);

/* Unlocks the key file and frees c; NULL is a no-op. */
void sdbd_checkpoint_close(struct sdbd_checkpoint *c);

#endif
