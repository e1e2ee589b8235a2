/*
 * Note keys (PROTOCOL.md, "Record, tree, note", keys): parsing and
 * formatting verifier and signer key strings exactly as x/mod's
 * note.NewVerifier, note.NewSigner and note.GenerateKey, key names, and
 * sets of known verifiers (x/mod VerifierList).  Signers live wholly in
 * guarded memory; their seeds never appear in error messages.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/base64.h"
#include "csumdb/note.h"
#include "crypto.h"
#include "limits.h"
#include "module_int.h"
#include "note_int.h"

#define ALG_ED25519 1
#define KEY_LEN 33 /* algorithm byte + 32-byte public key or seed */

struct sdb_note_verifier {
	uint32_t hash;
	uint8_t pub[SDB_ED25519_PUBLIC_SIZE];
	size_t name_len;
	char name[]; /* NUL-terminated */
};

struct sdb_note_signer {
	uint32_t hash;
	uint8_t pub[SDB_ED25519_PUBLIC_SIZE];
	uint8_t sk[SDB_ED25519_SECRET_SIZE]; /* libsodium form: seed || pub */
	size_t name_len;
	char name[];
};

struct sdb_note_verifiers {
	struct sdb_note_verifier **v;
	size_t n;
	size_t cap;
};

/* One decoder of Go's UTF-8 rules for the whole library: module.c's. */
size_t
sdb_note_utf8_decode(const uint8_t *p, size_t n, uint32_t *r)
{
	size_t k;
	uint32_t c = sdb_utf8_decode(p, n, &k);

	if (c == 0xfffd && k == 1)
		return 0; /* Go's (RuneError, 1): invalid, not a literal U+FFFD */
	*r = c;
	return k;
}

/* unicode.IsSpace */
static int
is_space(uint32_t r)
{
	switch (r) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
	case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202f: case 0x205f: case 0x3000:
		return 1;
	default:
		return r >= 0x2000 && r <= 0x200a;
	}
}

int
sdb_note_name_valid(const char *name, size_t len)
{
	const uint8_t *p = (const uint8_t *)name;
	size_t i = 0;

	if (len == 0)
		return 0;
	while (i < len) {
		uint32_t r;
		size_t k = sdb_note_utf8_decode(p + i, len - i, &r);

		/* NUL: our deviation, see note.h */
		if (k == 0 || r == 0 || r == '+' || is_space(r))
			return 0;
		i += k;
	}
	return 1;
}

static uint32_t
key_hash(const char *name, size_t name_len, const uint8_t *key, size_t key_len)
{
	struct sdb_sha256_ctx ctx;
	uint8_t sum[SDB_SHA256_SIZE];

	sdb_sha256_init(&ctx);
	sdb_sha256_update(&ctx, name, name_len);
	sdb_sha256_update(&ctx, "\n", 1);
	sdb_sha256_update(&ctx, key, key_len);
	sdb_sha256_final(&ctx, sum);
	return (uint32_t)sum[0] << 24 | (uint32_t)sum[1] << 16 |
	    (uint32_t)sum[2] << 8 | (uint32_t)sum[3];
}

static uint32_t
pub_hash(const char *name, size_t name_len, const uint8_t pub[32])
{
	uint8_t key[KEY_LEN];

	key[0] = ALG_ED25519;
	memcpy(key + 1, pub, 32);
	return key_hash(name, name_len, key, sizeof key);
}

/* strings.Index(s, "+") based chop, as x/mod's chop(). */
static void
chop(const char *s, size_t len, const char **before, size_t *blen,
    const char **after, size_t *alen)
{
	const char *p = memchr(s, '+', len);

	*before = s;
	if (p == NULL) {
		*blen = len;
		*after = s + len;
		*alen = 0;
		return;
	}
	*blen = (size_t)(p - s);
	*after = p + 1;
	*alen = len - *blen - 1;
}

/* strconv.ParseUint(s, 16, 32) on exactly 8 characters. */
static int
parse_hash16(const char *s, size_t len, uint32_t *out)
{
	uint32_t h = 0;
	size_t i;

	if (len != 8)
		return 0;
	for (i = 0; i < 8; i++) {
		unsigned char c = (unsigned char)s[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return 0;
		h = h << 4 | d;
	}
	*out = h;
	return 1;
}

static struct sdb_note_verifier *
verifier_new(const char *name, size_t name_len, uint32_t hash, const uint8_t pub[32])
{
	struct sdb_note_verifier *v = malloc(sizeof *v + name_len + 1);

	if (v == NULL)
		return NULL;
	v->hash = hash;
	memcpy(v->pub, pub, 32);
	v->name_len = name_len;
	memcpy(v->name, name, name_len);
	v->name[name_len] = '\0';
	return v;
}

int
sdb_note_verifier_parse(struct sdb_note_verifier **out, const char *s, size_t len,
    struct sdb_errbuf *eb)
{
	const char *name, *rest, *hash16, *key64;
	size_t name_len, rest_len, hash16_len, key64_len, klen = 0;
	uint8_t *key;
	uint32_t hash = 0;
	int ok;

	*out = NULL;
	chop(s, len, &name, &name_len, &rest, &rest_len);
	chop(rest, rest_len, &hash16, &hash16_len, &key64, &key64_len);

	/* Decoded is never longer than encoded; +1 keeps malloc(0) away. */
	key = malloc(key64_len + 1);
	if (key == NULL)
		return SDB_ERR_NOMEM;
	ok = parse_hash16(hash16, hash16_len, &hash) &&
	    sdb_b64_decode(key, key64_len + 1, &klen, key64, key64_len) == SDB_OK &&
	    sdb_note_name_valid(name, name_len) && klen > 0;
	if (!ok) {
		free(key);
		return sdb_errf(eb, SDB_ERR_BAD_KEY, "malformed verifier key");
	}
	/* x/mod checks the hash over whatever key bytes it got, before the
	 * algorithm and the length. */
	if (hash != key_hash(name, name_len, key, klen)) {
		free(key);
		return sdb_errf(eb, SDB_ERR_BAD_KEY,
		    "verifier key hash does not match its name and key");
	}
	if (key[0] != ALG_ED25519) {
		unsigned alg = key[0];

		free(key);
		return sdb_errf(eb, SDB_ERR_BAD_KEY, "unknown verifier key algorithm %u", alg);
	}
	if (klen != KEY_LEN) {
		free(key);
		return sdb_errf(eb, SDB_ERR_BAD_KEY, "malformed verifier key: wrong key length");
	}
	*out = verifier_new(name, name_len, hash, key + 1);
	free(key);
	return *out == NULL ? SDB_ERR_NOMEM : SDB_OK;
}

int
sdb_note_verifier_from_arg(struct sdb_note_verifier **out, const char *arg,
    struct sdb_errbuf *eb)
{
	size_t len = strlen(arg), k = strcspn(arg, " \t");

	*out = NULL;
	/* Two pastes a user makes, named without echoing them: a signer key
	 * is secret, and a URL may carry credentials. */
	if (strncmp(arg, "PRIVATE+KEY+", 12) == 0)
		return sdb_errf(eb, SDB_ERR_BAD_KEY,
		    "this is a signer (private) key; give its verifier key");
	if (k < len && arg[k + strspn(arg + k, " \t")] != '\0')
		return sdb_errf(eb, SDB_ERR_BAD_KEY, "a GOSUMDB value (KEY URL), not a "
		    "verifier key: give the key alone, and the URL, where needed, with --url");
	if (strcmp(arg, SDB_NOTE_SUMGOLANG_NAME) == 0)
		arg = SDB_NOTE_SUMGOLANG_VKEY;
	else if (strchr(arg, '+') == NULL)
		return sdb_errf(eb, SDB_ERR_BAD_KEY, "malformed verifier key: want NAME+HASH+KEY, "
		    "as sumdbd init prints it (only %s is known by its name alone)",
		    SDB_NOTE_SUMGOLANG_NAME);
	return sdb_note_verifier_parse(out, arg, strlen(arg), eb);
}

int
sdb_note_verifier_format(const struct sdb_note_verifier *v, char **out)
{
	uint8_t key[KEY_LEN];
	size_t cap = v->name_len + 1 + 8 + 1 + SDB_B64_ENCODED_LEN(KEY_LEN) + 1;
	char *s = malloc(cap);
	size_t off;
	int n;

	*out = NULL;
	if (s == NULL)
		return SDB_ERR_NOMEM;
	key[0] = ALG_ED25519;
	memcpy(key + 1, v->pub, 32);
	memcpy(s, v->name, v->name_len);
	off = v->name_len;
	n = snprintf(s + off, cap - off, "+%08x+", (unsigned)v->hash);
	if (n != 10) {
		free(s);
		return SDB_ERR_INTERNAL;
	}
	off += 10;
	sdb_b64_encode(s + off, key, KEY_LEN);
	*out = s;
	return SDB_OK;
}

const char *
sdb_note_verifier_name(const struct sdb_note_verifier *v)
{
	return v->name;
}

uint32_t
sdb_note_verifier_hash(const struct sdb_note_verifier *v)
{
	return v->hash;
}

int
sdb_note_verifier_dup(struct sdb_note_verifier **out, const struct sdb_note_verifier *v)
{
	*out = verifier_new(v->name, v->name_len, v->hash, v->pub);
	return *out == NULL ? SDB_ERR_NOMEM : SDB_OK;
}

void
sdb_note_verifier_free(struct sdb_note_verifier *v)
{
	free(v);
}

int
sdb_note_verifier_check(const struct sdb_note_verifier *v, const void *msg, size_t len,
    const uint8_t *sig, size_t siglen)
{
	if (siglen != SDB_ED25519_SIG_SIZE)
		return 0;
	return sdb_ed25519_verify(sig, msg, len, v->pub);
}

/* ---- signers ----------------------------------------------------------- */

/* libsodium's guarded allocations are only aligned when the size is a
 * multiple of the alignment, so round up. */
static size_t
signer_size(size_t name_len)
{
	size_t n = sizeof(struct sdb_note_signer) + name_len + 1;

	return (n + 15) & ~(size_t)15;
}

static int
signer_new(struct sdb_note_signer **out, const char *name, size_t name_len,
    const uint8_t seed[32])
{
	struct sdb_note_signer *s;

	*out = NULL;
	if (name_len > SDB_MAX_NOTE_SIZE)
		return SDB_ERR_TOO_LARGE;
	s = sdb_secret_alloc(signer_size(name_len));
	if (s == NULL)
		return SDB_ERR_NOMEM;
	sdb_ed25519_seed_keypair(s->pub, s->sk, seed);
	s->hash = pub_hash(name, name_len, s->pub);
	s->name_len = name_len;
	memcpy(s->name, name, name_len);
	s->name[name_len] = '\0';
	*out = s;
	return SDB_OK;
}

int
sdb_note_signer_parse(struct sdb_note_signer **out, const char *s, size_t len,
    struct sdb_errbuf *eb)
{
	const char *priv1, *priv2, *name, *hash16, *key64, *rest;
	size_t priv1_len, priv2_len, name_len, hash16_len, key64_len, rest_len;
	uint8_t key[KEY_LEN + 3]; /* room to tell "too long" from "exact" */
	size_t klen = 0;
	uint32_t hash = 0;
	int ok, err;

	*out = NULL;
	chop(s, len, &priv1, &priv1_len, &rest, &rest_len);
	chop(rest, rest_len, &priv2, &priv2_len, &rest, &rest_len);
	chop(rest, rest_len, &name, &name_len, &rest, &rest_len);
	chop(rest, rest_len, &hash16, &hash16_len, &key64, &key64_len);

	ok = priv1_len == 7 && memcmp(priv1, "PRIVATE", 7) == 0 &&
	    priv2_len == 3 && memcmp(priv2, "KEY", 3) == 0 &&
	    parse_hash16(hash16, hash16_len, &hash);
	/* An over-long key fails to decode here (x/mod would call it an
	 * unknown algorithm or a bad length: a malformed key either way). */
	ok = ok && sdb_b64_decode(key, sizeof key, &klen, key64, key64_len) == SDB_OK;
	ok = ok && sdb_note_name_valid(name, name_len) && klen > 0;
	if (!ok) {
		sdb_memzero(key, sizeof key);
		return sdb_errf(eb, SDB_ERR_BAD_KEY, "malformed signer key");
	}
	if (key[0] != ALG_ED25519) {
		sdb_memzero(key, sizeof key);
		return sdb_errf(eb, SDB_ERR_BAD_KEY, "unknown signer key algorithm");
	}
	if (klen != KEY_LEN) {
		sdb_memzero(key, sizeof key);
		return sdb_errf(eb, SDB_ERR_BAD_KEY, "malformed signer key: wrong key length");
	}
	err = signer_new(out, name, name_len, key + 1);
	sdb_memzero(key, sizeof key);
	if (err != SDB_OK)
		return err;
	if ((*out)->hash != hash) {
		sdb_note_signer_free(*out);
		*out = NULL;
		return sdb_errf(eb, SDB_ERR_BAD_KEY,
		    "signer key hash does not match its name and key");
	}
	return SDB_OK;
}

int
sdb_note_signer_from_seed(struct sdb_note_signer **out, const char *name,
    const uint8_t seed[32], struct sdb_errbuf *eb)
{
	size_t name_len = strlen(name);

	*out = NULL;
	if (!sdb_note_name_valid(name, name_len))
		return sdb_errf(eb, SDB_ERR_BAD_KEY, "invalid key name");
	return signer_new(out, name, name_len, seed);
}

int
sdb_note_signer_generate(struct sdb_note_signer **out, const char *name,
    struct sdb_errbuf *eb)
{
	uint8_t seed[32];
	int err;

	sdb_random(seed, sizeof seed);
	err = sdb_note_signer_from_seed(out, name, seed, eb);
	sdb_memzero(seed, sizeof seed);
	return err;
}

size_t
sdb_note_signer_format_len(const struct sdb_note_signer *s)
{
	return 12 + s->name_len + 1 + 8 + 1 + SDB_B64_ENCODED_LEN(KEY_LEN);
}

int
sdb_note_signer_format(const struct sdb_note_signer *s, char *buf, size_t cap)
{
	uint8_t key[KEY_LEN];
	size_t need = sdb_note_signer_format_len(s) + 1;
	size_t off;

	if (cap < need) {
		sdb_memzero(buf, cap);
		return SDB_ERR_TOO_LARGE;
	}
	memcpy(buf, "PRIVATE+KEY+", 12);
	memcpy(buf + 12, s->name, s->name_len);
	off = 12 + s->name_len;
	if (snprintf(buf + off, cap - off, "+%08x+", (unsigned)s->hash) != 10) {
		sdb_memzero(buf, cap);
		return SDB_ERR_INTERNAL;
	}
	off += 10;
	key[0] = ALG_ED25519;
	memcpy(key + 1, s->sk, 32); /* the seed is the first half */
	sdb_b64_encode(buf + off, key, KEY_LEN);
	sdb_memzero(key, sizeof key);
	return SDB_OK;
}

int
sdb_note_signer_verifier(const struct sdb_note_signer *s, struct sdb_note_verifier **out)
{
	*out = verifier_new(s->name, s->name_len, s->hash, s->pub);
	return *out == NULL ? SDB_ERR_NOMEM : SDB_OK;
}

const char *
sdb_note_signer_name(const struct sdb_note_signer *s)
{
	return s->name;
}

size_t
sdb_note_signer_name_len(const struct sdb_note_signer *s)
{
	return s->name_len;
}

uint32_t
sdb_note_signer_hash(const struct sdb_note_signer *s)
{
	return s->hash;
}

void
sdb_note_signer_sign(const struct sdb_note_signer *s, uint8_t sig[64], const void *msg,
    size_t len)
{
	sdb_ed25519_sign(sig, msg, len, s->sk);
}

void
sdb_note_signer_free(struct sdb_note_signer *s)
{
	if (s == NULL)
		return;
	/* sodium_free wipes too; this keeps the promise if the backend
	 * changes. */
	sdb_memzero(s, signer_size(s->name_len));
	sdb_secret_free(s);
}

/* ---- verifier sets ----------------------------------------------------- */

int
sdb_note_verifiers_new(struct sdb_note_verifiers **out)
{
	*out = calloc(1, sizeof **out);
	return *out == NULL ? SDB_ERR_NOMEM : SDB_OK;
}

int
sdb_note_verifiers_add(struct sdb_note_verifiers *set, const struct sdb_note_verifier *v)
{
	struct sdb_note_verifier *c;
	int err;

	if (sdb_note_verifiers_find(set, v->name, v->name_len, v->hash) != NULL)
		return SDB_ERR_INVALID;
	if (set->n == set->cap) {
		size_t ncap = set->cap ? set->cap * 2 : 4;
		struct sdb_note_verifier **nv = realloc(set->v, ncap * sizeof *nv);

		if (nv == NULL)
			return SDB_ERR_NOMEM;
		set->v = nv;
		set->cap = ncap;
	}
	err = sdb_note_verifier_dup(&c, v);
	if (err != SDB_OK)
		return err;
	set->v[set->n++] = c;
	return SDB_OK;
}

const struct sdb_note_verifier *
sdb_note_verifiers_find(const struct sdb_note_verifiers *set, const char *name,
    size_t name_len, uint32_t hash)
{
	size_t i;

	if (set == NULL)
		return NULL;
	/* Sets hold a handful of keys: a scan is simplest. */
	for (i = 0; i < set->n; i++) {
		const struct sdb_note_verifier *v = set->v[i];

		if (v->hash == hash && v->name_len == name_len &&
		    memcmp(v->name, name, name_len) == 0)
			return v;
	}
	return NULL;
}

size_t
sdb_note_verifiers_count(const struct sdb_note_verifiers *set)
{
	return set == NULL ? 0 : set->n;
}

void
sdb_note_verifiers_free(struct sdb_note_verifiers *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		sdb_note_verifier_free(set->v[i]);
	free(set->v);
	free(set);
}
