/*
 * Offline inclusion proofs in the C2SP tlog-proof form (c2sp.org/tlog-proof,
 * PROTOCOL.md "Auditing"), as `sumdb prove` writes and `sumdb verify-proof`
 * checks them.  The file (extension .tlog-proof) is:
 *
 *   c2sp.org/tlog-proof@v1\n
 *   extra BASE64\n          optional, opaque application data
 *   index N\n               decimal record index, no sign, no leading zeros
 *   BASE64HASH\n            0..64 inclusion proof hashes, 44 characters each
 *   ...
 *   \n                      a blank line
 *   SIGNED NOTE             the log's signed tree note, to the end of the file
 *
 * For a checksum database the note is a go.sum tree note (treenote.h), the
 * record is the two go.sum lines the log hashed.  Parsing is strict (only
 * the canonical spelling, every size checked before any work); nothing here
 * does I/O.
 */
#ifndef CSUMDB_TLOGPROOF_H
#define CSUMDB_TLOGPROOF_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"
#include "csumdb/hash.h"
#include "csumdb/note.h"
#include "csumdb/record.h"
#include "csumdb/tlog.h"

#define SDB_TLOG_PROOF_HEADER "c2sp.org/tlog-proof@v1\n"

/* Most bytes of decoded extra data accepted (base64 text is 4/3 of it). */
#define SDB_TLOG_PROOF_MAX_EXTRA (16 * 1024)

/* A parsed proof.  extra and note point into the parsed buffer. */
struct sdb_tlog_proof {
	int has_extra;
	struct sdb_span extra;        /* the base64 text of the extra line */
	int64_t index;
	sdb_hash hashes[SDB_TLOG_MAX_PROOF];
	size_t nhashes;
	struct sdb_span note;         /* the signed note, unverified */
};

/*
 * The most bytes sdb_tlog_proof_parse takes: the header, an extra line of
 * SDB_TLOG_PROOF_MAX_EXTRA bytes, the index, SDB_TLOG_MAX_PROOF hashes,
 * the blank line and a note of SDB_MAX_NOTE_SIZE.  A reader of a proof
 * file stops there, so that every file too large gets one answer.
 */
size_t sdb_tlog_proof_max_size(void);

/*
 * Parses data[0..len) (not NUL-terminated) into *p.  Refuses a missing or
 * different header, a non-canonical index or hash, a note whose
 * signature is not in canonical base64 (its unused bits set), more than
 * SDB_TLOG_MAX_PROOF hashes, unknown lines, a missing blank line, an empty
 * note, and a file over SDB_MAX_NOTE_SIZE + the proof lines.  The note is
 * not opened here.  Returns SDB_OK, SDB_ERR_INVALID (eb names the line),
 * SDB_ERR_TOO_LARGE, SDB_ERR_PROOF_LENGTH (too many hashes).
 */
int sdb_tlog_proof_parse(const char *data, size_t len, struct sdb_tlog_proof *p,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Formats a proof into a new malloc'ed NUL-terminated *out (length in
 * *outlen when not NULL).  extra[0..elen) is raw data written as base64
 * (extra NULL: no extra line); the note is copied as given.  Returns
 * SDB_OK, SDB_ERR_RANGE (index < 0, nhashes over SDB_TLOG_MAX_PROOF),
 * SDB_ERR_TOO_LARGE (extra or note too large), SDB_ERR_INVALID (empty
 * note), SDB_ERR_NOMEM.
 */
int sdb_tlog_proof_format(int64_t index, const sdb_hash *hashes, size_t nhashes,
    const uint8_t *extra, size_t elen, const char *note, size_t nlen,
    char **out, size_t *outlen) SDB_WARN_UNUSED;

/*
 * Verifies p for the record text record[0..rlen): opens p's note with v,
 * parses it as a tree note, and checks that the proof hashes lead from
 * RecordHash(record) at p->index to the tree's root.  On SDB_OK *tree
 * (when not NULL) holds the signed tree.  Returns SDB_OK; the note's errors
 * (SDB_ERR_MALFORMED_NOTE, SDB_ERR_UNVERIFIED_NOTE, SDB_ERR_BAD_SIGNATURE,
 * SDB_ERR_TOO_LARGE); SDB_ERR_RANGE (index not below the tree size);
 * SDB_ERR_PROOF_LENGTH; SDB_ERR_ROOT_MISMATCH (another record, index or
 * tree); SDB_ERR_NOMEM.  eb says which check failed.
 */
int sdb_tlog_proof_verify(const struct sdb_tlog_proof *p, const char *record,
    size_t rlen, const struct sdb_note_verifier *v, struct sdb_tree *tree,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

#endif
