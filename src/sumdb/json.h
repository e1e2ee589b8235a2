/*
 * The little JSON the verifier's --json output needs: string literals
 * with escapes, and base64 hashes.
 */
#ifndef CSUMDB_SUMDB_JSON_H
#define CSUMDB_SUMDB_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "csumdb/hash.h"

/* Writes s[0..n) as a JSON string literal (control bytes as \u00XX). */
void json_string(FILE *f, const char *s, size_t n);

/* Writes "BASE64" of h. */
void json_hash(FILE *f, const sdb_hash *h);

/* Writes [ "BASE64", ... ] of h[0..n). */
void json_hashes(FILE *f, const sdb_hash *h, size_t n);

/*
 * The --json reason of a note or proof that does not verify, for an error
 * of sdb_note_open1, sdb_tree_note_parse or sdb_tlog_proof_verify:
 * not-signed-by-key, bad-signature, proof-length, root-mismatch,
 * index-not-in-tree, else malformed-note.  A proof file that does not
 * parse is malformed-proof.  One vocabulary for verify-note and
 * verify-proof, listed in doc/sumdb.1; scripts match on it.
 */
const char *json_reason(int err);

/* Writes {"valid":false,"reason":REASON,"detail":DETAIL} and a newline. */
void json_invalid(FILE *f, const char *reason, const char *detail);

#endif
