/* JSON output helpers of the verifier (json.h). */
#include "config.h"

#include <string.h>

#include "csumdb/base64.h"
#include "csumdb/err.h"
#include "json.h"

void
json_string(FILE *f, const char *s, size_t n)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void
json_hash(FILE *f, const sdb_hash *h)
{
	char b[SDB_B64_ENCODED_LEN(SDB_HASH_SIZE) + 1];

	sdb_b64_encode(b, h->b, SDB_HASH_SIZE);
	fprintf(f, "\"%s\"", b);
}

void
json_hashes(FILE *f, const sdb_hash *h, size_t n)
{
	size_t i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', f);
		json_hash(f, &h[i]);
	}
	fputc(']', f);
}

const char *
json_reason(int err)
{
	switch (err) {
	case SDB_ERR_UNVERIFIED_NOTE: return "not-signed-by-key";
	case SDB_ERR_BAD_SIGNATURE: return "bad-signature";
	case SDB_ERR_PROOF_LENGTH: return "proof-length";
	case SDB_ERR_ROOT_MISMATCH: return "root-mismatch";
	case SDB_ERR_RANGE: return "index-not-in-tree";
	default: return "malformed-note";
	}
}

void
json_invalid(FILE *f, const char *reason, const char *detail)
{
	fputs("{\"valid\":false,\"reason\":", f);
	json_string(f, reason, strlen(reason));
	fputs(",\"detail\":", f);
	json_string(f, detail, strlen(detail));
	fputs("}\n", f);
}

const char *
json_word(int err)
{
	if (err == SDB_ERR_NOT_FOUND)
		return "not-found";
	return sdb_err_is_verification(err) ? "verification-failed" : "could-not-check";
}

void
json_status(FILE *f, const char *key, const char *word, const char *detail)
{
	fputc('{', f);
	json_string(f, key, strlen(key));
	fputc(':', f);
	json_string(f, word, strlen(word));
	fputs(",\"detail\":", f);
	json_string(f, detail, strlen(detail));
	fputs("}\n", f);
}

void
json_unchecked(FILE *f, const char *detail)
{
	fputs("{\"valid\":null,\"reason\":\"could-not-check\",\"detail\":", f);
	json_string(f, detail, strlen(detail));
	fputs("}\n", f);
}
