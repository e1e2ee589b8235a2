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

#endif
