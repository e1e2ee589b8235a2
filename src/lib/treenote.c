/*
 * Tree notes (PROTOCOL.md, "Record, tree, note", tree text): the text a
 * checksum database signs, formatted and parsed as x/mod's
 * tlog.FormatTree and tlog.ParseTree, and a signed tree note opened with
 * one verifier.
 *
 *   "go.sum database tree\n"
 *   N "\n"            canonical decimal, 0 <= N < 2^63
 *   BASE64(hash) "\n" 32 bytes, 44 characters
 *   anything         ignored
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "csumdb/base64.h"
#include "csumdb/record.h"
#include "csumdb/treenote.h"
#include "limits.h"
#include "module_int.h"

#define PREFIX_LEN (sizeof SDB_TREE_NOTE_PREFIX - 1)

int
sdb_tree_note_format(char out[SDB_TREE_NOTE_MAX], size_t *len, const struct sdb_tree *t)
{
	int n;
	size_t off;

	if (t->n < 0)
		return SDB_ERR_RANGE;
	n = snprintf(out, SDB_TREE_NOTE_MAX, "%s%" PRId64 "\n", SDB_TREE_NOTE_PREFIX, t->n);
	if (n < 0 || (size_t)n + SDB_B64_ENCODED_LEN(SDB_HASH_SIZE) + 2 > SDB_TREE_NOTE_MAX)
		return SDB_ERR_INTERNAL;
	off = (size_t)n;
	off += sdb_b64_encode(out + off, t->hash.b, SDB_HASH_SIZE);
	out[off++] = '\n';
	out[off] = '\0';
	if (len != NULL)
		*len = off;
	return SDB_OK;
}

int
sdb_tree_note_parse(struct sdb_tree *t, const char *text, size_t len, struct sdb_errbuf *eb)
{
	const char *l1, *l2, *e1, *e2;
	uint8_t hash[SDB_HASH_SIZE + 1];
	size_t hlen = 0;
	int64_t n = 0;

	if (len > SDB_MAX_NOTE_SIZE)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "tree note of %zu bytes exceeds %d",
		    len, SDB_MAX_NOTE_SIZE);
	if (len < PREFIX_LEN || memcmp(text, SDB_TREE_NOTE_PREFIX, PREFIX_LEN) != 0)
		return sdb_errf(eb, SDB_ERR_MALFORMED_NOTE,
		    "malformed tree note: does not start with \"go.sum database tree\"");
	l1 = text + PREFIX_LEN;
	e1 = memchr(l1, '\n', len - PREFIX_LEN);
	e2 = e1 == NULL ? NULL : memchr(e1 + 1, '\n', (size_t)(text + len - (e1 + 1)));
	if (e2 == NULL)
		return sdb_errf(eb, SDB_ERR_MALFORMED_NOTE,
		    "malformed tree note: fewer than three lines");
	l2 = e1 + 1;
	if (!sdb_parse_int63(l1, (size_t)(e1 - l1), &n))
		return sdb_errf(eb, SDB_ERR_MALFORMED_NOTE,
		    "malformed tree note: bad tree size");
	if (sdb_b64_decode(hash, sizeof hash, &hlen, l2, (size_t)(e2 - l2)) != SDB_OK ||
	    hlen != SDB_HASH_SIZE)
		return sdb_errf(eb, SDB_ERR_MALFORMED_NOTE,
		    "malformed tree note: bad root hash");
	t->n = n;
	memcpy(t->hash.b, hash, SDB_HASH_SIZE);
	return SDB_OK;
}

int
sdb_tree_note_open(struct sdb_tree *t, struct sdb_note **note, const char *msg,
    size_t len, const struct sdb_note_verifier *v, struct sdb_errbuf *eb)
{
	struct sdb_note *n = NULL;
	int err;

	if (note != NULL)
		*note = NULL;
	err = sdb_note_open1(&n, msg, len, v, eb);
	if (err == SDB_OK)
		err = sdb_tree_note_parse(t, n->text, n->text_len, eb);
	if (err != SDB_OK || note == NULL)
		sdb_note_free(n);
	else
		*note = n;
	return err;
}
