/*
 * Signed notes (PROTOCOL.md, "Record, tree, note"): opening a note with
 * the checks of x/mod's note.Open, in its order, so that a note gets the
 * same verdict and the same error class as from the go command; and
 * signing, as note.Sign.
 *
 *   TEXT                      any lines, the last ending in '\n'
 *   "\n"                      the last blank line of the message
 *   "\xe2\x80\x94 " NAME " " BASE64(keyhash[4] || sig[64]) "\n"   1..100 times
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/base64.h"
#include "csumdb/module.h"
#include "csumdb/note.h"
#include "crypto.h"
#include "limits.h"
#include "note_int.h"

#define SIG_PREFIX "\xe2\x80\x94 " /* U+2014 EM DASH, space */
#define SIG_PREFIX_LEN 4
#define SIG_RAW_LEN (4 + SDB_ED25519_SIG_SIZE)

/* Go's rule for every byte of a note: valid UTF-8, no control character
 * other than '\n' (DEL and C1 controls are allowed, as in Go). */
static int
text_ok(const char *s, size_t len, size_t *bad)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;

	while (i < len) {
		uint32_t r;
		size_t k = sdb_note_utf8_decode(p + i, len - i, &r);

		if (k == 0 || (r < 0x20 && r != '\n')) {
			*bad = i;
			return 0;
		}
		i += k;
	}
	return 1;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	    (uint32_t)p[3];
}

void
sdb_note_free(struct sdb_note *n)
{
	if (n == NULL)
		return;
	free((char *)n->text);
	free(n->sigs);
	free(n->unverified);
	free(n);
}

static int
already_unverified(const struct sdb_note *n, const char *name, size_t name_len,
    const char *b64, size_t b64_len)
{
	size_t i;

	for (i = 0; i < n->nunverified; i++) {
		const struct sdb_note_sig *s = &n->unverified[i];

		if (s->name_len == name_len && s->b64_len == b64_len &&
		    memcmp(s->name, name, name_len) == 0 &&
		    memcmp(s->b64, b64, b64_len) == 0)
			return 1;
	}
	return 0;
}

static int
already_verified(const struct sdb_note *n, const char *name, size_t name_len,
    uint32_t hash)
{
	size_t i;

	for (i = 0; i < n->nsigs; i++) {
		const struct sdb_note_sig *s = &n->sigs[i];

		if (s->hash == hash && s->name_len == name_len &&
		    memcmp(s->name, name, name_len) == 0)
			return 1;
	}
	return 0;
}

/* Checks the signature lines buf[off..len) one by one, as note.Open's
 * loop; fills n.  buf is the note's own copy of the message. */
static int
open_sigs(struct sdb_note *n, char *buf, size_t off, size_t len,
    const struct sdb_note_verifiers *known, uint8_t *scratch, struct sdb_errbuf *eb)
{
	size_t numsig = 0, lineno = 0;

	while (off < len) {
		char *line = buf + off;
		char *nl = memchr(line, '\n', len - off); /* found: buf ends in '\n' */
		size_t llen = (size_t)(nl - line);
		char *name, *b64, *sp;
		size_t name_len, b64_len, dlen = 0;
		const struct sdb_note_verifier *v;
		struct sdb_note_sig *sig;
		uint32_t hash;

		off += llen + 1;
		lineno++;
		if (llen < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0)
			return sdb_errf(eb, SDB_ERR_MALFORMED_NOTE,
			    "malformed note: signature line %zu does not start with an em dash",
			    lineno);
		name = line + SIG_PREFIX_LEN;
		sp = memchr(name, ' ', llen - SIG_PREFIX_LEN);
		if (sp == NULL) {
			name_len = llen - SIG_PREFIX_LEN;
			b64 = nl;
			b64_len = 0;
		} else {
			name_len = (size_t)(sp - name);
			b64 = sp + 1;
			b64_len = (size_t)(nl - b64);
		}
		if (b64_len == 0 || !sdb_note_name_valid(name, name_len) ||
		    sdb_b64_decode(scratch, len, &dlen, b64, b64_len) != SDB_OK || dlen < 5)
			return sdb_errf(eb, SDB_ERR_MALFORMED_NOTE,
			    "malformed note: bad signature line %zu", lineno);
		hash = be32(scratch);
		if (++numsig > SDB_MAX_NOTE_SIGNATURES)
			return sdb_errf(eb, SDB_ERR_MALFORMED_NOTE,
			    "malformed note: more than %d signatures", SDB_MAX_NOTE_SIGNATURES);

		v = sdb_note_verifiers_find(known, name, name_len, hash);
		if (v == NULL) {
			if (already_unverified(n, name, name_len, b64, b64_len))
				continue;
			sig = &n->unverified[n->nunverified++];
		} else {
			/* x/mod skips a repeated known key without checking it. */
			if (already_verified(n, name, name_len, hash))
				continue;
			if (!sdb_note_verifier_check(v, n->text, n->text_len, scratch + 4,
			    dlen - 4))
				return sdb_errf(eb, SDB_ERR_BAD_SIGNATURE,
				    "invalid signature for key %.64s+%08x",
				    sdb_note_verifier_name(v), (unsigned)hash);
			sig = &n->sigs[n->nsigs++];
		}
		/* Terminate the strings in our copy: the space and the '\n'
		 * are not part of them. */
		name[name_len] = '\0';
		*nl = '\0';
		sig->name = name;
		sig->name_len = name_len;
		sig->hash = hash;
		sig->b64 = b64;
		sig->b64_len = b64_len;
	}
	return SDB_OK;
}

int
sdb_note_open(struct sdb_note **out, const char *msg, size_t len,
    const struct sdb_note_verifiers *known, struct sdb_errbuf *eb)
{
	struct sdb_note *n;
	size_t split, bad = 0, i, nlines = 0;
	uint8_t *scratch;
	char *buf;
	int err;

	*out = NULL;
	if (len > SDB_MAX_NOTE_SIZE)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "note of %zu bytes exceeds %d",
		    len, SDB_MAX_NOTE_SIZE);
	if (!text_ok(msg, len, &bad))
		return sdb_errf(eb, SDB_ERR_MALFORMED_NOTE,
		    "malformed note: invalid UTF-8 or control character at byte %zu", bad);
	/* The text ends at the LAST blank line (bytes.LastIndex "\n\n"). */
	for (split = len; split >= 2; split--)
		if (msg[split - 2] == '\n' && msg[split - 1] == '\n')
			break;
	if (split < 2)
		return sdb_errf(eb, SDB_ERR_MALFORMED_NOTE,
		    "malformed note: no blank line before the signatures");
	split -= 2; /* index of the first '\n' of the pair */
	if (split + 2 == len || msg[len - 1] != '\n')
		return sdb_errf(eb, SDB_ERR_MALFORMED_NOTE,
		    "malformed note: no signature lines, or the last one is unterminated");
	for (i = split + 2; i < len; i++)
		nlines += msg[i] == '\n';
	if (nlines > SDB_MAX_NOTE_SIGNATURES)
		nlines = SDB_MAX_NOTE_SIGNATURES;

	n = calloc(1, sizeof *n);
	buf = malloc(len + 1);
	scratch = malloc(len);
	if (n != NULL) {
		n->sigs = calloc(nlines, sizeof *n->sigs);
		n->unverified = calloc(nlines, sizeof *n->unverified);
	}
	if (n == NULL || buf == NULL || scratch == NULL || n->sigs == NULL ||
	    n->unverified == NULL) {
		free(buf);
		free(scratch);
		sdb_note_free(n);
		return SDB_ERR_NOMEM;
	}
	memcpy(buf, msg, len);
	buf[len] = '\0';
	/* The blank line's '\n' is not part of the text: it becomes the
	 * text's terminating NUL. */
	buf[split + 1] = '\0';
	n->text = buf;
	n->text_len = split + 1;

	err = open_sigs(n, buf, split + 2, len, known, scratch, eb);
	free(scratch);
	if (err != SDB_OK) {
		sdb_note_free(n);
		return err;
	}
	*out = n;
	if (n->nsigs == 0) {
		char shown[SDB_NOTE_SIG_SHOWN_MAX];

		return sdb_errf(eb, SDB_ERR_UNVERIFIED_NOTE,
		    "note has no verifiable signatures (signed by unknown key %s)",
		    sdb_note_sig_shown(shown, sizeof shown, &n->unverified[0]));
	}
	return SDB_OK;
}

char *
sdb_note_sig_shown(char *buf, size_t cap, const struct sdb_note_sig *s)
{
	size_t i, len = s->name_len < 64 ? s->name_len : 64;
	char q[96];

	for (i = 0; i < len; i++)
		if ((unsigned char)s->name[i] < 0x20 || (unsigned char)s->name[i] > 0x7e)
			break;
	if (i < len)
		sdb_quote(q, sizeof q, s->name, s->name_len);
	else
		snprintf(q, sizeof q, "%.*s", (int)len, s->name);
	snprintf(buf, cap, "%s+%08x", q, (unsigned)s->hash);
	return buf;
}

int
sdb_note_open1(struct sdb_note **out, const char *msg, size_t len,
    const struct sdb_note_verifier *v, struct sdb_errbuf *eb)
{
	struct sdb_note_verifiers *set = NULL;
	int err;

	*out = NULL;
	if (v != NULL) {
		err = sdb_note_verifiers_new(&set);
		if (err == SDB_OK)
			err = sdb_note_verifiers_add(set, v);
		if (err != SDB_OK) {
			sdb_note_verifiers_free(set);
			return err;
		}
	}
	err = sdb_note_open(out, msg, len, set, eb);
	sdb_note_verifiers_free(set);
	return err;
}

int
sdb_note_sign(char **out, size_t *outlen, const char *text, size_t len,
    const struct sdb_note_signer *const *signers, size_t nsigners,
    struct sdb_errbuf *eb)
{
	size_t total, off, i, bad = 0;
	char *buf;

	*out = NULL;
	*outlen = 0;
	if (len == 0 || text[len - 1] != '\n')
		return sdb_errf(eb, SDB_ERR_MALFORMED_NOTE,
		    "malformed note: text does not end in a newline");
	if (!text_ok(text, len, &bad))
		return sdb_errf(eb, SDB_ERR_MALFORMED_NOTE,
		    "malformed note: invalid UTF-8 or control character at byte %zu", bad);
	if (nsigners == 0)
		return sdb_errf(eb, SDB_ERR_INVALID, "no signers");
	if (nsigners > SDB_MAX_NOTE_SIGNATURES)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "more than %d signers",
		    SDB_MAX_NOTE_SIGNATURES);
	if (len > SDB_MAX_NOTE_SIZE)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "note text too large");

	total = len + 1;
	for (i = 0; i < nsigners; i++) {
		if (signers[i] == NULL)
			return sdb_errf(eb, SDB_ERR_INVALID, "signer %zu is NULL", i);
		/* names are bounded by SDB_MAX_NOTE_SIZE, so no overflow */
		total += SIG_PREFIX_LEN + sdb_note_signer_name_len(signers[i]) + 1 +
		    SDB_B64_ENCODED_LEN(SIG_RAW_LEN) + 1;
	}
	if (total > SDB_MAX_NOTE_SIZE)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "signed note would exceed %d bytes",
		    SDB_MAX_NOTE_SIZE);
	buf = malloc(total + 1);
	if (buf == NULL)
		return SDB_ERR_NOMEM;
	memcpy(buf, text, len);
	buf[len] = '\n';
	off = len + 1;
	for (i = 0; i < nsigners; i++) {
		const struct sdb_note_signer *s = signers[i];
		uint8_t raw[SIG_RAW_LEN];
		uint32_t h = sdb_note_signer_hash(s);
		size_t nl = sdb_note_signer_name_len(s);

		raw[0] = (uint8_t)(h >> 24);
		raw[1] = (uint8_t)(h >> 16);
		raw[2] = (uint8_t)(h >> 8);
		raw[3] = (uint8_t)h;
		sdb_note_signer_sign(s, raw + 4, text, len);
		memcpy(buf + off, SIG_PREFIX, SIG_PREFIX_LEN);
		off += SIG_PREFIX_LEN;
		memcpy(buf + off, sdb_note_signer_name(s), nl);
		off += nl;
		buf[off++] = ' ';
		off += sdb_b64_encode(buf + off, raw, sizeof raw);
		buf[off++] = '\n';
	}
	buf[off] = '\0';
	*out = buf;
	*outlen = off;
	return SDB_OK;
}
