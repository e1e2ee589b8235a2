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

/*
 * Decodes in[0..len) into out[0..n) when it is exactly the canonical
 * encoding of n bytes, the one sdb_b64_encode writes: len is
 * SDB_B64_ENCODED_LEN(n), no newline, the padding '=' count of n and
 * zero unused bits.  The same verdict as sdb_b64_decode giving n bytes
 * and sdb_b64_encode of them giving in back, without the second pass.
 * Returns SDB_OK or SDB_ERR_INVALID (out may then hold garbage).
 */
int sdb_b64_decode_canonical(uint8_t *out, size_t n, const char *in,
    size_t len) SDB_WARN_UNUSED;

#endif
