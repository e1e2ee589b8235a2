/*
 * Tree notes: the text a checksum database signs for each tree, as x/mod's
 * tlog.FormatTree and tlog.ParseTree (PROTOCOL.md, "Record, tree, note"):
 *
 *   go.sum database tree\n
 *   N\n              decimal tree size, no sign, no leading zeros
 *   BASE64HASH\n     standard base64 of the 32-byte root hash (44 chars)
 *   ...              any further lines are ignored, as by x/mod
 */
#ifndef CSUMDB_TREENOTE_H
#define CSUMDB_TREENOTE_H

#include <stddef.h>

#include "csumdb/err.h"
#include "csumdb/hash.h"
#include "csumdb/note.h"

#define SDB_TREE_NOTE_PREFIX "go.sum database tree\n"

/* Room for any formatted tree note: prefix (21) + 19 digits + '\n' + 44 +
 * '\n', plus the NUL, rounded up. */
#define SDB_TREE_NOTE_MAX 128

/*
 * Writes the tree note text of t and a NUL into out, stores its length
 * (without NUL) in *len when len is not NULL.
 * Returns SDB_OK or SDB_ERR_RANGE (t->n < 0).
 */
int sdb_tree_note_format(char out[SDB_TREE_NOTE_MAX], size_t *len,
    const struct sdb_tree *t) SDB_WARN_UNUSED;

/*
 * Parses the tree note text[0..len) (not NUL-terminated), e.g. the text
 * of an opened note, with x/mod's rules: the prefix, at least three
 * '\n', N canonical decimal in [0, 2^63), a hash line that Go's base64
 * decodes to exactly 32 bytes.
 * Returns SDB_OK, SDB_ERR_MALFORMED_NOTE, SDB_ERR_TOO_LARGE (len over
 * SDB_MAX_NOTE_SIZE, which x/mod also refuses).  *t is untouched on error.
 */
int sdb_tree_note_parse(struct sdb_tree *t, const char *text, size_t len,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Opens a signed tree note msg[0..len) with the verifier v and parses its
 * text: sdb_note_open1() then sdb_tree_note_parse().  On SDB_OK *t holds
 * the tree and, when note is not NULL, *note the opened note (caller frees
 * it); on failure *note is NULL.
 * Returns SDB_OK or any code of sdb_note_open1() or sdb_tree_note_parse().
 */
int sdb_tree_note_open(struct sdb_tree *t, struct sdb_note **note,
    const char *msg, size_t len, const struct sdb_note_verifier *v,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

#endif
