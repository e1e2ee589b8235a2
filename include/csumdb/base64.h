/*
 * Standard base64 with padding (RFC 4648 section 4), decoding exactly as
 * Go's encoding/base64.StdEncoding.DecodeString does: padding required,
 * '\r' and '\n' skipped, unused trailing bits not checked.  Notes, tree
 * hashes, keys and go.sum hashes are all written in this form, and a
 * verifier must accept exactly what the Go clients accept.
 */
#ifndef CSUMDB_BASE64_H
#define CSUMDB_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"

/* Length of the encoding of n bytes, without a terminating NUL. */
#define SDB_B64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)

/*
 * Encodes in[0..n) into out, which must hold SDB_B64_ENCODED_LEN(n) + 1
 * bytes; out is NUL-terminated.  Returns the encoded length.
 */
size_t sdb_b64_encode(char *out, const uint8_t *in, size_t n);

/*
 * Decodes in[0..len) into out (capacity cap bytes) and stores the decoded
 * length in *outlen.  Returns SDB_OK, SDB_ERR_INVALID for input Go rejects,
 * or SDB_ERR_TOO_LARGE when the result would not fit in cap bytes.
 */
int sdb_b64_decode(uint8_t *out, size_t cap, size_t *outlen, const char *in,
    size_t len) SDB_WARN_UNUSED;

#endif
