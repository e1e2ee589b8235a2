/*
 * Fuzz target: open a signed note (src/lib/note.c) with a fixed verifier
 * set (x/mod's PeterNeumann test key).  Invariants: a note comes back
 * exactly for SDB_OK and SDB_ERR_UNVERIFIED_NOTE; its text is a prefix of
 * the input ending in '\n' followed by the blank line; every signature
 * name and base64 string occurs in the input; SDB_OK means at least one
 * verified signature, UNVERIFIED none; at most 100 signatures in all.
 */
#include "config.h"

#include <string.h>

#include "csumdb/note.h"
#include "crypto.h"
#include "fuzz.h"
#include "limits.h"

#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

static int
inside(const uint8_t *data, size_t size, const char *s, size_t len)
{
	size_t i;

	if (len > size)
		return 0;
	for (i = 0; i + len <= size; i++)
		if (memcmp(data + i, s, len) == 0)
			return 1;
	return 0;
}

static void
check_sigs(const uint8_t *data, size_t size, const struct sdb_note_sig *sigs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strlen(sigs[i].name) != sigs[i].name_len ||
		    strlen(sigs[i].b64) != sigs[i].b64_len ||
		    !sdb_note_name_valid(sigs[i].name, sigs[i].name_len) ||
		    !inside(data, size, sigs[i].name, sigs[i].name_len) ||
		    !inside(data, size, sigs[i].b64, sigs[i].b64_len))
			__builtin_trap();
	}
}

SDB_FUZZ_TARGET(note)
{
	static struct sdb_note_verifiers *set;
	struct sdb_note *n = NULL;
	int err;

	if (set == NULL) {
		struct sdb_note_verifier *v = NULL;

		if (sdb_crypto_init() != SDB_OK || sdb_note_verifiers_new(&set) != SDB_OK ||
		    sdb_note_verifier_parse(&v, PETER_VKEY, strlen(PETER_VKEY), NULL) != SDB_OK ||
		    sdb_note_verifiers_add(set, v) != SDB_OK)
			__builtin_trap();
		sdb_note_verifier_free(v);
	}
	err = sdb_note_open(&n, (const char *)data, size, set, NULL);
	if ((err == SDB_OK || err == SDB_ERR_UNVERIFIED_NOTE) != (n != NULL))
		__builtin_trap();
	if (n != NULL) {
		if (n->text_len == 0 || n->text_len + 1 >= size ||
		    memcmp(n->text, data, n->text_len) != 0 ||
		    n->text[n->text_len] != '\0' || n->text[n->text_len - 1] != '\n' ||
		    data[n->text_len] != '\n')
			__builtin_trap();
		if ((err == SDB_OK) != (n->nsigs > 0))
			__builtin_trap();
		if (n->nsigs + n->nunverified > SDB_MAX_NOTE_SIGNATURES ||
		    n->nsigs + n->nunverified == 0)
			__builtin_trap();
		check_sigs(data, size, n->sigs, n->nsigs);
		check_sigs(data, size, n->unverified, n->nunverified);
	}
	sdb_note_free(n);
	return 0;
}
