/*
 * Signed notes and their keys, as golang.org/x/mod/sumdb/note (PROTOCOL.md,
 * "Record, tree, note"): verifier and signer key strings, lists of known
 * verifiers, opening (parsing and verifying) a signed note with exactly
 * the checks x/mod's note.Open makes and in the same order, and signing.
 *
 * Wire forms:
 *
 *   verifier key   NAME+HHHHHHHH+BASE64(0x01 || 32-byte Ed25519 public key)
 *   signer key     PRIVATE+KEY+NAME+HHHHHHHH+BASE64(0x01 || 32-byte seed)
 *   key hash       first 4 bytes, big-endian, of
 *                  SHA-256(NAME || "\n" || 0x01 || public key)
 *   signed note    TEXT (ends in "\n") "\n" then one or more lines
 *                  "\xe2\x80\x94 NAME BASE64(hash[4] || signature)\n"
 *
 * Names follow x/mod: non-empty valid UTF-8 with no Unicode space and no
 * '+'.  One deviation: a NUL byte in a name is refused (x/mod accepts it
 * in key strings, but no note carrying it can ever open, since notes may
 * not contain control characters), so names are plain C strings here.
 *
 * Nothing here does I/O.  Signer seeds live in guarded memory
 * (sdb_secret_alloc) and are wiped when the signer is freed; no function
 * writes a secret into an error message.
 */
#ifndef CSUMDB_NOTE_H
#define CSUMDB_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"

/* The public Go checksum database and its verifier key (built into the go
 * command).  sdb_note_verifier_from_arg() maps the bare name to the key. */
#define SDB_NOTE_SUMGOLANG_NAME "sum.golang.org"
#define SDB_NOTE_SUMGOLANG_VKEY \
	"sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"

/* ---- verifier keys ----------------------------------------------------- */

/* A public key that checks signatures; opaque, owned by whoever got it
 * from a constructor, released with sdb_note_verifier_free(). */
struct sdb_note_verifier;

/*
 * Parses a verifier key string s[0..len) (not NUL-terminated) as x/mod's
 * note.NewVerifier.  On success stores a new verifier in *out.
 * Returns SDB_OK, SDB_ERR_BAD_KEY (malformed, wrong hash, unknown
 * algorithm, wrong key length; detail in eb), SDB_ERR_NOMEM.
 * *out is NULL on failure.
 */
int sdb_note_verifier_parse(struct sdb_note_verifier **out, const char *s,
    size_t len, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * As sdb_note_verifier_parse(), but also accepts the bare name
 * "sum.golang.org" (NUL-terminated arg, as given on a command line),
 * which stands for SDB_NOTE_SUMGOLANG_VKEY.  Same return codes; a signer
 * key (PRIVATE+KEY+...) and a GOSUMDB value ("KEY URL") get an eb message
 * saying what they are, which never quotes arg.
 */
int sdb_note_verifier_from_arg(struct sdb_note_verifier **out, const char *arg,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Formats v as a key string NAME+hhhhhhhh+BASE64 (hash in lower-case
 * hex, as x/mod).  *out receives a malloc'ed NUL-terminated string the
 * caller frees with free().  Returns SDB_OK or SDB_ERR_NOMEM.
 */
int sdb_note_verifier_format(const struct sdb_note_verifier *v, char **out) SDB_WARN_UNUSED;

/* The key's name (NUL-terminated, owned by v) and key hash. */
const char *sdb_note_verifier_name(const struct sdb_note_verifier *v);
uint32_t sdb_note_verifier_hash(const struct sdb_note_verifier *v);

/* Returns a new copy of v in *out.  SDB_OK or SDB_ERR_NOMEM. */
int sdb_note_verifier_dup(struct sdb_note_verifier **out,
    const struct sdb_note_verifier *v) SDB_WARN_UNUSED;

/* Releases v; NULL is a no-op. */
void sdb_note_verifier_free(struct sdb_note_verifier *v);

/* ---- signer keys ------------------------------------------------------- */

/* A private key that signs notes; opaque, held entirely in guarded memory
 * and wiped by sdb_note_signer_free(). */
struct sdb_note_signer;

/*
 * Parses a signer key string s[0..len) as x/mod's note.NewSigner (the
 * hash must match the public key derived from the seed).  The caller
 * should wipe s afterwards.  Returns SDB_OK, SDB_ERR_BAD_KEY (the detail
 * in eb never quotes the key), SDB_ERR_NOMEM.  *out is NULL on failure.
 */
int sdb_note_signer_parse(struct sdb_note_signer **out, const char *s,
    size_t len, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Generates a new Ed25519 key (seed from sdb_random) named name
 * (NUL-terminated).  Returns SDB_OK, SDB_ERR_BAD_KEY (invalid name),
 * SDB_ERR_NOMEM.
 */
int sdb_note_signer_generate(struct sdb_note_signer **out, const char *name,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Makes a signer from a 32-byte Ed25519 seed and name (NUL-terminated).
 * Returns SDB_OK, SDB_ERR_BAD_KEY (invalid name), SDB_ERR_NOMEM.
 */
int sdb_note_signer_from_seed(struct sdb_note_signer **out, const char *name,
    const uint8_t seed[32], struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Length of the signer key string of s, without the terminating NUL.
 */
size_t sdb_note_signer_format_len(const struct sdb_note_signer *s);

/*
 * Writes the signer key string PRIVATE+KEY+NAME+hhhhhhhh+BASE64 and a NUL
 * into buf (cap bytes; needs sdb_note_signer_format_len(s) + 1).  The
 * result is a secret: keep it in guarded memory and wipe it after use.
 * Returns SDB_OK or SDB_ERR_TOO_LARGE (buf too small; buf then wiped).
 */
int sdb_note_signer_format(const struct sdb_note_signer *s, char *buf,
    size_t cap) SDB_WARN_UNUSED;

/* Derives the matching verifier.  Returns SDB_OK or SDB_ERR_NOMEM. */
int sdb_note_signer_verifier(const struct sdb_note_signer *s,
    struct sdb_note_verifier **out) SDB_WARN_UNUSED;

/* The key's name (NUL-terminated, owned by s) and key hash. */
const char *sdb_note_signer_name(const struct sdb_note_signer *s);
uint32_t sdb_note_signer_hash(const struct sdb_note_signer *s);

/* Wipes and releases s; NULL is a no-op. */
void sdb_note_signer_free(struct sdb_note_signer *s);

/* ---- sets of known verifiers (x/mod VerifierList) --------------------- */

struct sdb_note_verifiers;

/* New empty set in *out.  SDB_OK or SDB_ERR_NOMEM. */
int sdb_note_verifiers_new(struct sdb_note_verifiers **out) SDB_WARN_UNUSED;

/*
 * Adds a copy of v to set (v stays the caller's).  x/mod reports an
 * "ambiguous key" when a note is signed under a (name, hash) that two
 * listed verifiers share; here the second one is refused up front.
 * Returns SDB_OK, SDB_ERR_INVALID (same name and hash already present),
 * SDB_ERR_NOMEM.
 */
int sdb_note_verifiers_add(struct sdb_note_verifiers *set,
    const struct sdb_note_verifier *v) SDB_WARN_UNUSED;

/* The verifier with this name (name[0..name_len)) and hash, owned by the
 * set, or NULL when there is none. */
const struct sdb_note_verifier *sdb_note_verifiers_find(
    const struct sdb_note_verifiers *set, const char *name, size_t name_len,
    uint32_t hash);

/* Number of verifiers in set. */
size_t sdb_note_verifiers_count(const struct sdb_note_verifiers *set);

/* Releases set and its verifiers; NULL is a no-op. */
void sdb_note_verifiers_free(struct sdb_note_verifiers *set);

/* ---- signed notes ------------------------------------------------------ */

/* One signature line of a note.  Strings are NUL-terminated and point
 * into the struct sdb_note that holds them. */
struct sdb_note_sig {
	const char *name;    /* key name */
	size_t name_len;
	uint32_t hash;       /* key hash, from the first 4 decoded bytes */
	const char *b64;     /* the signature's base64 exactly as in the note */
	size_t b64_len;
};

/*
 * Writes the key of signature s as messages show it into buf (cap bytes,
 * SDB_NOTE_SIG_SHOWN_MAX will do): NAME+HASH, as key strings start, the
 * name cut to 64 bytes; a name with a byte outside printable ASCII (DEL
 * and C1 controls are valid in one, as in Go) is quoted (sdb_quote), so
 * that a note's bytes never reach a terminal, a log or an HTTP answer
 * raw.  Returns buf.
 */
#define SDB_NOTE_SIG_SHOWN_MAX 112
char *sdb_note_sig_shown(char *buf, size_t cap, const struct sdb_note_sig *s);

/*
 * An opened note.  Everything is owned by the struct (one copy of the
 * input is kept, the caller's buffer is not referenced afterwards).
 */
struct sdb_note {
	const char *text;    /* signed text, ends in '\n', NUL-terminated */
	size_t text_len;     /* bytes of text, final '\n' included */
	struct sdb_note_sig *sigs;       /* verified signatures, note order */
	size_t nsigs;
	struct sdb_note_sig *unverified; /* signatures by unknown keys */
	size_t nunverified;
};

/*
 * Opens a signed note msg[0..len) (not NUL-terminated) with the known
 * verifiers, exactly as x/mod's note.Open: the whole message must be
 * valid UTF-8 without control characters other than '\n'; the text ends
 * at the last blank line; every signature line must be well-formed (at
 * most SDB_MAX_NOTE_SIGNATURES); signatures by unknown keys are set aside
 * in unverified (identical lines once); a repeated (name, hash) of a known
 * key is skipped unchecked after the first; a signature by a known key
 * that fails stops everything.  known may be NULL (no known keys).
 *
 * Returns:
 *   SDB_OK                   *out holds the note, nsigs >= 1
 *   SDB_ERR_UNVERIFIED_NOTE  well-formed, but no signature by a known key;
 *                            *out STILL holds the note (nsigs == 0, the
 *                            unknown signers in unverified), as x/mod's
 *                            UnverifiedNoteError carries it
 *   SDB_ERR_BAD_SIGNATURE    a signature by a known key does not verify
 *   SDB_ERR_MALFORMED_NOTE   the note breaks the format
 *   SDB_ERR_TOO_LARGE        len > SDB_MAX_NOTE_SIZE (checked first)
 *   SDB_ERR_NOMEM
 * In every other case *out is NULL.  Callers simply always call
 * sdb_note_free(*out).  eb gets one line of detail on failure.
 */
int sdb_note_open(struct sdb_note **out, const char *msg, size_t len,
    const struct sdb_note_verifiers *known, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* As sdb_note_open() with a set holding only v (v may be NULL: none). */
int sdb_note_open1(struct sdb_note **out, const char *msg, size_t len,
    const struct sdb_note_verifier *v, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Releases n; NULL is a no-op. */
void sdb_note_free(struct sdb_note *n);

/*
 * Signs text[0..len) with each of the nsigners signers, in order (x/mod
 * note.Sign with a note that has no previous signatures).  The text must
 * end in '\n' and obey the rules sdb_note_open() checks (valid UTF-8, no
 * control characters but '\n'), so that every note made here opens.
 * *out receives a malloc'ed note (NUL-terminated, length in *outlen) the
 * caller frees with free().
 * Returns SDB_OK, SDB_ERR_MALFORMED_NOTE (bad text), SDB_ERR_INVALID
 * (nsigners is 0 or a signer is NULL), SDB_ERR_TOO_LARGE (over
 * SDB_MAX_NOTE_SIGNATURES signers or SDB_MAX_NOTE_SIZE bytes),
 * SDB_ERR_NOMEM.  *out is NULL on failure.
 */
int sdb_note_sign(char **out, size_t *outlen, const char *text, size_t len,
    const struct sdb_note_signer *const *signers, size_t nsigners,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Returns 1 when name[0..len) is a valid key name (see above), else 0. */
int sdb_note_name_valid(const char *name, size_t len);

#endif
