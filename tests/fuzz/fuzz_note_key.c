/* Fuzz target: verifier and signer key strings (src/lib/note_key.c), as
 * --key, a GOSUMDB value and sumdbd's key file give them.  A key that
 * parses formats back to the input, but for the hash's hex in lower case
 * and the newlines Go's base64 skips; --key's reading agrees with the
 * parser on anything but its own refusals and the bare sum.golang.org; a
 * signer's verifier is a verifier key of the same name and hash that
 * checks the signer's signatures.  Whatever verifier key is taken holds
 * an algorithm byte of 1 and a 32-byte key whose hash, computed here from
 * the name and those bytes, is the key's hash. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/base64.h"
#include "csumdb/note.h"
#include "crypto.h"
#include "fuzz.h"
#include "note_int.h"

/* s[0..len) as a key formats it: the hex after the plus sign at hex (8
 * digits) in lower case, '\r' and '\n' dropped after it. */
static size_t
canonical(char *out, const uint8_t *s, size_t len, size_t hex)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		char c = (char)s[i];

		if (i >= hex && i < hex + 8 && c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (i >= hex + 8 && (c == '\r' || c == '\n'))
			continue;
		out[n++] = c;
	}
	return n;
}

/* The verifier key f (NAME+HHHHHHHH+BASE64, as formatted) is a 0x01
 * algorithm byte and 32 bytes of key, and its hash is the first four
 * bytes of SHA-256(NAME "\n" those 33 bytes), big-endian. */
static void
key_hash_ok(const char *f, const struct sdb_note_verifier *v)
{
	const char *name = sdb_note_verifier_name(v), *b64;
	uint8_t key[64], h[SDB_SHA256_SIZE];
	struct sdb_sha256_ctx c;
	size_t nlen = strlen(name), klen = 0;

	if (strncmp(f, name, nlen) != 0 || f[nlen] != '+' || strlen(f) < nlen + 10 ||
	    f[nlen + 9] != '+')
		__builtin_trap();
	b64 = f + nlen + 10;
	if (sdb_b64_decode(key, sizeof key, &klen, b64, strlen(b64)) != SDB_OK || klen != 33 ||
	    key[0] != 1)
		__builtin_trap();
	sdb_sha256_init(&c);
	sdb_sha256_update(&c, name, nlen);
	sdb_sha256_update(&c, "\n", 1);
	sdb_sha256_update(&c, key, klen);
	sdb_sha256_final(&c, h);
	if (sdb_note_verifier_hash(v) != ((uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3]))
		__builtin_trap();
}

static void
same_key(const char *formatted, const uint8_t *data, size_t size, size_t hex)
{
	char *want = malloc(size + 1);
	size_t n;

	if (want == NULL)
		return;
	n = canonical(want, data, size, hex);
	if (strlen(formatted) != n || memcmp(formatted, want, n) != 0)
		__builtin_trap();
	free(want);
}

SDB_FUZZ_TARGET(note_key)
{
	static int init;
	struct sdb_note_verifier *v = NULL, *va = NULL, *sv = NULL, *back = NULL;
	struct sdb_note_signer *s = NULL;
	const uint8_t *plus;
	char *arg, *f = NULL, *sf = NULL, *svf = NULL;
	size_t flen;
	int rc, rca;

	if (!init) {
		if (sdb_crypto_init() != SDB_OK)
			__builtin_trap();
		init = 1;
	}
	if ((arg = malloc(size + 1)) == NULL)
		return 0;
	memcpy(arg, data, size);
	arg[size] = '\0';

	rc = sdb_note_verifier_parse(&v, (const char *)data, size, NULL);
	if ((rc == SDB_OK) != (v != NULL))
		__builtin_trap();
	if (v != NULL) {
		plus = memchr(data, '+', size);
		if (plus == NULL || sdb_note_verifier_format(v, &f) != SDB_OK)
			__builtin_trap();
		same_key(f, data, size, (size_t)(plus - data) + 1);
		key_hash_ok(f, v);
	}
	/* --key: the parser's verdict, but for what it refuses up front */
	rca = sdb_note_verifier_from_arg(&va, arg, NULL);
	if (strlen(arg) == size && strcmp(arg, SDB_NOTE_SUMGOLANG_NAME) != 0 &&
	    strncmp(arg, "PRIVATE+KEY+", 12) != 0 && strpbrk(arg, " \t") == NULL &&
	    strchr(arg, '+') != NULL && rca != rc)
		__builtin_trap();
	if (rca == SDB_OK && v != NULL &&
	    (sdb_note_verifier_hash(va) != sdb_note_verifier_hash(v) ||
	    strcmp(sdb_note_verifier_name(va), sdb_note_verifier_name(v)) != 0))
		__builtin_trap();

	rc = sdb_note_signer_parse(&s, (const char *)data, size, NULL);
	if ((rc == SDB_OK) != (s != NULL))
		__builtin_trap();
	if (s != NULL) {
		static const char msg[] = "go.sum database tree\n1\n";
		uint8_t sig[64];

		flen = sdb_note_signer_format_len(s) + 1;
		if ((sf = malloc(flen)) == NULL)
			goto out;
		if (sdb_note_signer_format(s, sf, flen) != SDB_OK)
			__builtin_trap();
		plus = memchr(data + 12, '+', size - 12);
		same_key(sf, data, size, (size_t)(plus - data) + 1);
		if (sdb_note_signer_verifier(s, &sv) != SDB_OK)
			goto out;
		if (sdb_note_verifier_format(sv, &svf) == SDB_OK) {
			key_hash_ok(svf, sv);
			if (sdb_note_verifier_parse(&back, svf, strlen(svf), NULL) != SDB_OK ||
			    sdb_note_verifier_hash(back) != sdb_note_signer_hash(s) ||
			    strcmp(sdb_note_verifier_name(back), sdb_note_signer_name(s)) != 0)
				__builtin_trap();
		}
		sdb_note_signer_sign(s, sig, msg, sizeof msg - 1);
		if (!sdb_note_verifier_check(sv, msg, sizeof msg - 1, sig, sizeof sig))
			__builtin_trap();
		sig[0] ^= 1;
		if (sdb_note_verifier_check(sv, msg, sizeof msg - 1, sig, sizeof sig))
			__builtin_trap();
	}
out:
	if (sf != NULL) {
		sdb_memzero(sf, flen);
		free(sf);
	}
	free(f);
	free(svf);
	free(arg);
	sdb_note_verifier_free(v);
	sdb_note_verifier_free(va);
	sdb_note_verifier_free(sv);
	sdb_note_verifier_free(back);
	sdb_note_signer_free(s);
	return 0;
}
