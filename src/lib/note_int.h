/*
 * Internal to the note modules (note_key.c, note.c, treenote.c): the
 * UTF-8 decoder with Go's rules and the raw sign/verify calls on keys.
 * Not installed.
 */
#ifndef CSUMDB_NOTE_INT_H
#define CSUMDB_NOTE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/note.h"

/*
 * Decodes one UTF-8 sequence at p[0..n) (n >= 1) as Go's
 * utf8.DecodeRune: stores the code point in *r and returns its length
 * (1..4), or returns 0 where Go would return (RuneError, 1): bad lead
 * byte, truncated, overlong, surrogate or above U+10FFFF.
 */
size_t sdb_note_utf8_decode(const uint8_t *p, size_t n, uint32_t *r);

/* Returns 1 when sig[0..siglen) is a valid signature of msg[0..len) under
 * v, 0 otherwise (any length other than 64 fails, as Go's ed25519). */
int sdb_note_verifier_check(const struct sdb_note_verifier *v, const void *msg,
    size_t len, const uint8_t *sig, size_t siglen);

/* sig = signature of msg[0..len) by s. */
void sdb_note_signer_sign(const struct sdb_note_signer *s, uint8_t sig[64],
    const void *msg, size_t len);

/* Key name length (strlen of the name). */
size_t sdb_note_signer_name_len(const struct sdb_note_signer *s);

#endif
