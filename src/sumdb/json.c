/* JSON output helpers of the verifier (json.h). */
#include "config.h"

#include "csumdb/base64.h"
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
