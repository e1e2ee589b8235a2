/* Fuzz target: JSON string literals of the verifier's --json output
 * (src/sumdb/json.c) for any bytes, as a module path, a file name or a
 * log's message may hold.  The output is one JSON string literal (RFC
 * 8259: no raw control byte, every escape well formed, UTF-8 throughout)
 * that decodes to the input with each byte that does not begin a
 * well-formed UTF-8 sequence replaced by U+FFFD.  As json.h promises, no
 * control character is left raw for a terminal to act on: not DEL, not
 * the C1 controls U+0080 to U+009F (U+009B is a one-byte CSI to some
 * terminals), which JSON itself would allow.  The reference decoder
 * here computes code points, where json.c checks byte ranges. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sumdb/json.h"

/* The length of the well-formed UTF-8 sequence at p[0..n), or 0. */
static size_t
ref_utf8(const unsigned char *p, size_t n, unsigned long *cp)
{
	size_t len, i;
	unsigned long r, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2, r = p[0] & 0x1f, min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3, r = p[0] & 0x0f, min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4, r = p[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		r = r << 6 | (p[i] & 0x3f);
	}
	if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		return 0;
	*cp = r;
	return len;
}

static int
hex4(const unsigned char *p, unsigned long *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		unsigned char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return 0;
		*v = *v << 4 | (unsigned long)d;
	}
	return 1;
}

static size_t
put_utf8(unsigned char *o, unsigned long r)
{
	if (r < 0x80) {
		o[0] = (unsigned char)r;
		return 1;
	}
	if (r < 0x800) {
		o[0] = (unsigned char)(0xc0 | r >> 6);
		o[1] = (unsigned char)(0x80 | (r & 0x3f));
		return 2;
	}
	o[0] = (unsigned char)(0xe0 | r >> 12);
	o[1] = (unsigned char)(0x80 | (r >> 6 & 0x3f));
	o[2] = (unsigned char)(0x80 | (r & 0x3f));
	return 3;
}

SDB_FUZZ_TARGET(json)
{
	const unsigned char *in = data;
	unsigned char *want, *got, *out = NULL;
	size_t olen = 0, wn = 0, gn = 0, i, k;
	unsigned long cp;
	FILE *f;

	if ((f = open_memstream((char **)&out, &olen)) == NULL)
		return 0;
	json_string(f, (const char *)data, size);
	if (fclose(f) != 0) {
		free(out);
		return 0;
	}
	/* what it must decode to: at most 3 bytes out per byte in */
	want = malloc(3 * size + 1);
	got = malloc(olen + 1);
	if (want == NULL || got == NULL)
		goto out;
	for (i = 0; i < size; i += k) {
		if ((k = ref_utf8(in + i, size - i, &cp)) != 0) {
			memcpy(want + wn, in + i, k);
			wn += k;
		} else {
			wn += put_utf8(want + wn, 0xfffd);
			k = 1;
		}
	}
	/* one literal, decoded by RFC 8259's grammar */
	if (olen < 2 || out[0] != '"' || out[olen - 1] != '"')
		__builtin_trap();
	for (i = 1; i < olen - 1; i += k) {
		unsigned char c = out[i];

		if (c == '\\') {
			if (i + 1 >= olen - 1)
				__builtin_trap();
			k = 2;
			switch (out[i + 1]) {
			case '"': case '\\': case '/':
				got[gn++] = out[i + 1];
				break;
			case 'b': got[gn++] = '\b'; break;
			case 'f': got[gn++] = '\f'; break;
			case 'n': got[gn++] = '\n'; break;
			case 'r': got[gn++] = '\r'; break;
			case 't': got[gn++] = '\t'; break;
			case 'u':
				/* no surrogates: nothing here needs a pair */
				if (i + 6 > olen - 1 || !hex4(out + i + 2, &cp) ||
				    (cp >= 0xd800 && cp <= 0xdfff))
					__builtin_trap();
				gn += put_utf8(got + gn, cp);
				k = 6;
				break;
			default:
				__builtin_trap();
			}
		} else if (c < 0x20 || c == '"') {
			__builtin_trap();
		} else if ((k = ref_utf8(out + i, olen - 1 - i, &cp)) == 0) {
			__builtin_trap();
		} else if (cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
			__builtin_trap();   /* a control written raw */
		} else {
			memcpy(got + gn, out + i, k);
			gn += k;
		}
	}
	if (gn != wn || memcmp(got, want, wn) != 0)
		__builtin_trap();
out:
	free(want);
	free(got);
	free(out);
	return 0;
}
