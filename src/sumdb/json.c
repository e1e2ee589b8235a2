/* JSON output helpers of the verifier (json.h). */
#include "config.h"

#include <string.h>

#include "csumdb/base64.h"
#include "csumdb/err.h"
#include "json.h"

/* The length of the well-formed UTF-8 sequence at p (n bytes left; its
 * first byte is 0x80 or more), or 0 (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF). */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

void
json_string(FILE *f, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k;

	fputc('"', f);
	for (i = 0; i < n; i++) {
		unsigned char c = u[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else if (c < 0x80)
			fputc(c, f);
		else if ((k = utf8_len(u + i, n - i)) == 2 && c == 0xc2 && u[i + 1] <= 0x9f) {
			/* a C1 control (U+0080 to U+009F): valid JSON raw, but
			 * some terminals read U+009B as ESC [, and --json is read
			 * on terminals too (a key name may hold one, as in Go) */
			fprintf(f, "\\u%04x", u[i + 1]);
			i++;
		} else if (k != 0) {
			fwrite(u + i, 1, k, f);
			i += k - 1;
		} else {
			/* JSON text is UTF-8 (RFC 8259): a byte that is not
			 * (a module path or file name as typed) is replaced */
			fputs("\\ufffd", f);
		}
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
