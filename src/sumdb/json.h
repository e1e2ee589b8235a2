/*
 * The little JSON the verifier's --json output needs: string literals
 * with escapes, base64 hashes, and the one vocabulary of outcomes every
 * command's objects use (doc/sumdb.1 "--json").
 */
#ifndef CSUMDB_SUMDB_JSON_H
#define CSUMDB_SUMDB_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "csumdb/hash.h"

/* Writes s[0..n) as a JSON string literal: control characters (C0, DEL
 * and the C1 controls U+0080 to U+009F) as \u00XX, so that the output is
 * as safe on a terminal as a line made printable; a byte that is not
 * UTF-8 as \ufffd. */
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

/*
 * --json when a command ends without its result.  Past a usage error
 * (options and arguments that do not parse: stderr only), every command
 * prints an object then, shaped as the one a script already reads
 * (doc/sumdb.1 lists them), whose word is one of:
 *
 *   could-not-check      nothing was concluded (exit 1): network, local
 *                        files, a key or URL refused, out of memory
 *   verification-failed  the log's answer does not verify (exit 2)
 *   not-found            the log does not know the module version
 *   invalid              a MODULE@VERSION refused before anything was
 *                        fetched (the caller's choice, not json_word's)
 *
 * json_word gives the word of an error: not-found for SDB_ERR_NOT_FOUND,
 * verification-failed when sdb_err_is_verification, else
 * could-not-check.
 */
const char *json_word(int err);

/* Writes {KEY:WORD,"detail":DETAIL} and a newline (audit's "status"). */
void json_status(FILE *f, const char *key, const char *word, const char *detail);

/* Writes {"valid":null,"reason":"could-not-check","detail":DETAIL} and a
 * newline: verify-note and verify-proof when nothing was checked, so that
 * "valid":false keeps meaning a note or proof that does not verify. */
void json_unchecked(FILE *f, const char *detail);

#endif
