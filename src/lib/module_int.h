/*
 * Internals shared by the module, go.sum and record files of libcsumdb
 * (not part of the public API).
 */
#ifndef CSUMDB_MODULE_INT_H
#define CSUMDB_MODULE_INT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes one rune at s[0..len) (len >= 1) as Go's utf8.DecodeRune: an
 * invalid or truncated sequence, a surrogate or a value past U+10FFFF is
 * U+FFFD with *size 1.
 */
uint32_t sdb_utf8_decode(const unsigned char *s, size_t len, size_t *size);

#endif
