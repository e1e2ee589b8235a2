/*
 * Records, lookup response bodies and data tiles (include/csumdb/record.h),
 * following PROTOCOL.md "Record, tree, note" and the /lookup and
 * /tile/8/data rows of "Endpoints".  The framing of x/mod v0.7.0
 * sumdb/tlog/note.go (FormatRecord, ParseRecord, isValidRecordText) is kept;
 * data tiles are the sum.golang.org form, without id lines.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "csumdb/base64.h"
#include "csumdb/module.h"
#include "csumdb/record.h"
#include "limits.h"
#include "module_int.h"

int
sdb_h1_parse(const char *s, size_t len, sdb_hash *out)
{
	/* Go's decoder skips '\r' '\n' and ignores unused bits; the go command
	 * compares h1 strings, so only the canonical spelling is a match. */
	if (len != SDB_H1_LEN || memcmp(s, "h1:", 3) != 0 ||
	    sdb_b64_decode_canonical(out->b, SDB_HASH_SIZE, s + 3, len - 3) != SDB_OK)
		return SDB_ERR_INVALID;
	return SDB_OK;
}

void
sdb_h1_format(char *out, const sdb_hash *h)
{
	memcpy(out, "h1:", 3);
	sdb_b64_encode(out + 3, h->b, SDB_HASH_SIZE);
}

size_t
sdb_h1_line_len(size_t plen, size_t vlen, int is_gomod)
{
	return plen + 1 + vlen + (is_gomod ? 7 : 0) + 1 + SDB_H1_LEN + 1;
}

size_t
sdb_h1_line_write(char *out, const char *path, size_t plen,
    const char *version, size_t vlen, int is_gomod, const sdb_hash *h)
{
	char h1[SDB_H1_LEN + 1];
	size_t o = 0;

	memcpy(out + o, path, plen);
	o += plen;
	out[o++] = ' ';
	memcpy(out + o, version, vlen);
	o += vlen;
	if (is_gomod) {
		memcpy(out + o, "/go.mod", 7);
		o += 7;
	}
	out[o++] = ' ';
	sdb_h1_format(h1, h);
	memcpy(out + o, h1, SDB_H1_LEN);
	o += SDB_H1_LEN;
	out[o++] = '\n';
	return o;
}

int
sdb_record_text_ok_slow(const char *text, size_t len)
{
	uint32_t last = 0, r;
	size_t i, n;

	for (i = 0; i < len; i += n) {
		r = sdb_utf8_next((const unsigned char *)text + i, len - i, &n);
		if ((r < 0x20 && r != '\n') || (r == 0xfffd && n == 1) ||
		    (last == '\n' && r == '\n'))
			return 0;
		last = r;
	}
	return last == '\n';
}

/* Every byte of w is in 0x20..0x7f: eight printable ASCII runes, none of
 * them '\n'.  A byte under 0x20 is the first to borrow in w - 0x20..20
 * and sets its own top bit; a byte over 0x7f has it set already. */
#define PRINTABLE8(w) ((((w) | ((w) - UINT64_C(0x2020202020202020))) & \
	UINT64_C(0x8080808080808080)) == 0)

int
sdb_record_text_ok(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	uint32_t last = 0, r;
	size_t i = 0, n;

	/* Record text is ASCII but for its two newlines: skip eight
	 * printable bytes at a time, take the rest rune by rune as
	 * sdb_record_text_ok_slow does (tests/unit/test_record.c compares
	 * the two). */
	while (i < len) {
		if (len - i >= 8) {
			uint64_t w;

			memcpy(&w, s + i, 8);
			if (PRINTABLE8(w)) {
				last = s[i + 7];
				i += 8;
				continue;
			}
		}
		r = sdb_utf8_next(s + i, len - i, &n);
		if ((r < 0x20 && r != '\n') || (r == 0xfffd && n == 1) ||
		    (last == '\n' && r == '\n'))
			return 0;
		last = r;
		i += n;
	}
	return last == '\n';
}

/* Finds c in s[from..len); returns its index or len. */
static size_t
find(const char *s, size_t from, size_t len, char c)
{
	const char *p;

	/* The object bound keeps GCC's -Wstringop-overread quiet at -O2: a
	 * buffer never exceeds PTRDIFF_MAX bytes. */
	if (from >= len || len - from > PTRDIFF_MAX)
		return len;
	p = memchr(s + from, c, len - from);
	return p == NULL ? len : (size_t)(p - s);
}

/*
 * One record line s[0..len) (without '\n'): "PATH SP VERSION[/go.mod] SP
 * HASH".  Fills path, version (without "/go.mod") and hash.
 */
static int
split_line(const char *s, size_t len, int line, int gomod,
    struct sdb_span *path, struct sdb_span *version, sdb_hash *h,
    struct sdb_errbuf *eb)
{
	size_t a = find(s, 0, len, ' '), b, vlen;

	b = find(s, a + 1, len, ' ');
	if (a >= len || b >= len || find(s, b + 1, len, ' ') != len)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "record line %d: want three fields separated by single spaces",
		    line);
	path->p = s;
	path->len = a;
	version->p = s + a + 1;
	vlen = b - a - 1;
	if (gomod) {
		if (vlen < 7 || memcmp(version->p + vlen - 7, "/go.mod", 7) != 0)
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "record line 2: version does not end in /go.mod");
		vlen -= 7;
	}
	version->len = vlen;
	if (sdb_h1_parse(s + b + 1, len - b - 1, h) != SDB_OK)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "record line %d: hash is not h1: and base64 of 32 bytes", line);
	return SDB_OK;
}

/*
 * A well-formed record with three searches instead of eight: its second
 * line must be its first line's "PATH VERSION", then "/go.mod ", then a
 * hash, so it is compared rather than split.  A valid hash holds no space
 * or newline, and a valid path or version neither, so whenever this
 * returns 1 the full parse below finds the same fields; 0 means "take the
 * full parse", which also words the message.
 */
int
sdb_record_parse_fast(const char *text, size_t len, struct sdb_record *rec)
{
	size_t nl1 = find(text, 0, len, '\n'), a, b;
	const char *l2 = text + nl1 + 1;

	if (nl1 == len)
		return 0;
	a = find(text, 0, nl1, ' ');
	b = find(text, a + 1, nl1, ' ');
	if (b >= nl1 || nl1 != b + 1 + SDB_H1_LEN ||
	    len != nl1 + 1 + b + 8 + SDB_H1_LEN + 1 || text[len - 1] != '\n' ||
	    memcmp(l2, text, b) != 0 || memcmp(l2 + b, "/go.mod ", 8) != 0 ||
	    sdb_h1_parse(text + b + 1, SDB_H1_LEN, &rec->h1) != SDB_OK ||
	    sdb_h1_parse(l2 + b + 8, SDB_H1_LEN, &rec->gomod_h1) != SDB_OK ||
	    sdb_module_check_canonical(text, a, text + a + 1, b - a - 1, NULL) != SDB_OK)
		return 0;
	rec->path.p = text;
	rec->path.len = a;
	rec->version.p = text + a + 1;
	rec->version.len = b - a - 1;
	return 1;
}

int
sdb_record_parse(const char *text, size_t len, struct sdb_record *rec,
    struct sdb_errbuf *eb)
{
	struct sdb_record tmp;

	if (rec == NULL)
		rec = &tmp;
	if (len <= SDB_MAX_RECORD_SIZE && sdb_record_parse_fast(text, len, rec))
		return SDB_OK;
	return sdb_record_parse_full(text, len, rec, eb);
}

int
sdb_record_parse_full(const char *text, size_t len, struct sdb_record *rec,
    struct sdb_errbuf *eb)
{
	struct sdb_span p1, v1, p2, v2;
	size_t nl1, nl2;
	int err;

	if (len > SDB_MAX_RECORD_SIZE)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE,
		    "record of %zu bytes is over the limit of %d", len,
		    SDB_MAX_RECORD_SIZE);
	/* a record saved on Windows: say so rather than blame a hash */
	if (memchr(text, '\r', len) != NULL)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "record has a carriage return (CRLF line endings?); want LF only");
	nl1 = find(text, 0, len, '\n');
	if (nl1 == len)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "record has no complete line (missing final newline?)");
	nl2 = find(text, nl1 + 1, len, '\n');
	if (nl2 == len)
		return sdb_errf(eb, SDB_ERR_INVALID, nl1 + 1 == len ?
		    "record has one line; want the zip and go.mod lines" :
		    "record's second line has no final newline");
	if (nl2 + 1 != len)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "record has more than two lines");
	if ((err = split_line(text, nl1, 1, 0, &p1, &v1, &rec->h1, eb)) != SDB_OK)
		return err;
	if ((err = split_line(text + nl1 + 1, nl2 - nl1 - 1, 2, 1, &p2, &v2,
	    &rec->gomod_h1, eb)) != SDB_OK) {
		/* the lines in the other order are a common mistake: say so */
		if (v1.len >= 7 && memcmp(v1.p + v1.len - 7, "/go.mod", 7) == 0)
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "record's first line is the go.mod line; the zip line must come first");
		return err;
	}
	if (p1.len != p2.len || memcmp(p1.p, p2.p, p1.len) != 0 ||
	    v1.len != v2.len || memcmp(v1.p, v2.p, v1.len) != 0)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "record's two lines name different module versions");
	if ((err = sdb_module_check_canonical(p1.p, p1.len, v1.p, v1.len,
	    eb)) != SDB_OK)
		return err;
	rec->path = p1;
	rec->version = v1;
	return SDB_OK;
}

size_t
sdb_record_len(size_t plen, size_t vlen)
{
	return sdb_h1_line_len(plen, vlen, 0) + sdb_h1_line_len(plen, vlen, 1);
}

/* M V h1:X\nM V/go.mod h1:Y\n */
size_t
sdb_record_write(char *out, const char *path, size_t plen, const char *version, size_t vlen,
    const sdb_hash *h1, const sdb_hash *gomod_h1)
{
	size_t o = sdb_h1_line_write(out, path, plen, version, vlen, 0, h1);

	return o + sdb_h1_line_write(out + o, path, plen, version, vlen, 1, gomod_h1);
}

int
sdb_record_format(const char *path, size_t plen, const char *version,
    size_t vlen, const sdb_hash *h1, const sdb_hash *gomod_h1, char **out,
    size_t *outlen, struct sdb_errbuf *eb)
{
	size_t n, o;
	char *buf;
	int err;

	*out = NULL;
	if ((err = sdb_module_check_canonical(path, plen, version, vlen, eb)) != SDB_OK)
		return err;
	if (plen > SDB_MAX_RECORD_SIZE || vlen > SDB_MAX_RECORD_SIZE)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "record would be too large");
	n = sdb_record_len(plen, vlen);
	if (n > SDB_MAX_RECORD_SIZE)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE,
		    "record of %zu bytes would be over the limit of %d", n,
		    SDB_MAX_RECORD_SIZE);
	if ((buf = malloc(n + 1)) == NULL)
		return SDB_ERR_NOMEM;
	o = sdb_record_write(buf, path, plen, version, vlen, h1, gomod_h1);
	buf[o] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = o;
	return SDB_OK;
}

int
sdb_lookup_response_format(int64_t id, const char *text, size_t tlen,
    const char *note, size_t nlen, char **out, size_t *outlen,
    struct sdb_errbuf *eb)
{
	char idbuf[24];
	size_t n;
	char *buf;
	int err, k;

	*out = NULL;
	if (id < 0)
		return sdb_errf(eb, SDB_ERR_RANGE, "record id %" PRId64 " is negative", id);
	if ((err = sdb_record_parse(text, tlen, NULL, eb)) != SDB_OK)
		return err;
	if (nlen > SDB_MAX_NOTE_SIZE)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "note too large");
	k = snprintf(idbuf, sizeof idbuf, "%" PRId64 "\n", id);
	if (k < 0 || (size_t)k >= sizeof idbuf)
		return SDB_ERR_INTERNAL;
	/* ID\n TEXT \n NOTE */
	n = (size_t)k + tlen + 1 + nlen;
	if ((buf = malloc(n + 1)) == NULL)
		return SDB_ERR_NOMEM;
	memcpy(buf, idbuf, (size_t)k);
	memcpy(buf + k, text, tlen);
	buf[k + tlen] = '\n';
	if (nlen > 0)
		memcpy(buf + k + tlen + 1, note, nlen);
	buf[n] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = n;
	return SDB_OK;
}

int
sdb_parse_int63(const char *s, size_t len, int64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19 || (len > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0'); /* 19 digits fit in uint64 */
	}
	if (v > (uint64_t)INT64_MAX)
		return 0;
	*out = (int64_t)v;
	return 1;
}

int
sdb_lookup_response_split(const char *msg, size_t len, int64_t *id, struct sdb_span *text,
    struct sdb_span *note, struct sdb_errbuf *eb)
{
	size_t nl, i;

	if (len > (size_t)SDB_MAX_RECORD_SIZE + SDB_MAX_NOTE_SIZE + 32)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE,
		    "lookup response of %zu bytes is too large", len);
	nl = find(msg, 0, len, '\n');
	if (nl == len || !sdb_parse_int63(msg, nl, id))
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "lookup response does not start with a record id line");
	for (i = nl + 1; i + 1 < len; i++)
		if (msg[i] == '\n' && msg[i + 1] == '\n')
			break;
	if (i + 1 >= len)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "lookup response has no blank line between record and note");
	text->p = msg + nl + 1;
	text->len = i + 1 - (nl + 1);
	note->p = msg + i + 2;
	note->len = len - (i + 2);
	if (note->len == 0)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "lookup response has no signed tree note after the record");
	return SDB_OK;
}

int
sdb_lookup_response_parse(const char *msg, size_t len, int64_t *id,
    struct sdb_span *text, struct sdb_record *rec, struct sdb_span *note,
    struct sdb_errbuf *eb)
{
	int err;

	if ((err = sdb_lookup_response_split(msg, len, id, text, note, eb)) != SDB_OK)
		return err;
	return sdb_record_parse(text->p, text->len, rec, eb);
}

int
sdb_data_tile_format(const struct sdb_span *records, size_t n, char **out,
    size_t *outlen, struct sdb_errbuf *eb)
{
	size_t i, total = 0, o = 0;
	char *buf;

	*out = NULL;
	if (n < 1 || n > SDB_MAX_DATA_TILE_WIDTH)
		return sdb_errf(eb, SDB_ERR_RANGE,
		    "data tile width %zu is not in 1..%d", n, SDB_MAX_DATA_TILE_WIDTH);
	for (i = 0; i < n; i++) {
		if (records[i].len > SDB_MAX_RECORD_SIZE)
			return sdb_errf(eb, SDB_ERR_TOO_LARGE,
			    "data tile record %zu is too large", i);
		if (records[i].len == 0 || records[i].p[0] == '\n' ||
		    !sdb_record_text_ok(records[i].p, records[i].len))
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "data tile record %zu is not valid record text", i);
		total += records[i].len + 1;
	}
	if ((buf = malloc(total + 1)) == NULL)
		return SDB_ERR_NOMEM;
	/* record\n record\n ...: the '\n' after each makes the blank line */
	for (i = 0; i < n; i++) {
		memcpy(buf + o, records[i].p, records[i].len);
		o += records[i].len;
		buf[o++] = '\n';
	}
	buf[o] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = o;
	return SDB_OK;
}

/* s[0..len) starts with a line of digits only (up to its '\n' or len):
 * a record id line of the x/mod 0.7.0 form (no record line can be all
 * digits: it has spaces). */
static int
starts_with_id_line(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i > 0 && (i == len || s[i] == '\n');
}

/*
 * The end of the data tile record at d[pos..len) (the index of the first
 * '\n' followed by another) when every byte up to it is printable ASCII
 * or '\n', found and checked in one pass eight bytes at a time: such a
 * record is record text (sdb_record_text_ok).  len when the record is
 * anything else (non-ASCII, control bytes, no end), for the careful path.
 */
static size_t
ascii_record_end(const char *d, size_t pos, size_t len)
{
	size_t i = pos;

	for (;;) {
		unsigned char c;

		while (len - i >= 8) {
			uint64_t w;

			memcpy(&w, d + i, 8);
			if (!PRINTABLE8(w))
				break;
			i += 8;
		}
		if (i >= len)
			return len;
		c = (unsigned char)d[i];
		if (c == '\n') {
			if (i + 1 < len && d[i + 1] == '\n')
				return i;
		} else if (c < 0x20 || c > 0x7f) {
			return len;
		}
		i++;
	}
}

int
sdb_data_tile_parse(const char *data, size_t len, size_t w, unsigned flags,
    struct sdb_span *records, struct sdb_errbuf *eb)
{
	size_t pos = 0, k, i;
	int err;

	if (w < 1 || w > SDB_MAX_DATA_TILE_WIDTH)
		return sdb_errf(eb, SDB_ERR_RANGE,
		    "data tile width %zu is not in 1..%d", w, SDB_MAX_DATA_TILE_WIDTH);
	if (len > w * (size_t)(SDB_MAX_RECORD_SIZE + 1))
		return sdb_errf(eb, SDB_ERR_TOO_LARGE,
		    "data tile of %zu bytes is too large for width %zu", len, w);
	if (starts_with_id_line(data, len))
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "data tile is in the x/mod v0.7.0 form with a record id line "
		    "before each record; want sum.golang.org's form (records "
		    "separated by blank lines, no ids)");
	for (k = 0; k < w; k++) {
		int text_ok;

		if (pos == len)
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "data tile has %zu records; want %zu", k, w);
		/* a record ends at the first "\n\n" */
		i = ascii_record_end(data, pos, len);
		text_ok = i != len;
		if (!text_ok) {
			for (i = find(data, pos, len, '\n'); i + 1 < len && data[i + 1] != '\n';
			    i = find(data, i + 1, len, '\n'))
				;
			if (i + 1 >= len)
				return sdb_errf(eb, SDB_ERR_INVALID,
				    "data tile record %zu is not followed by a blank line "
				    "(truncated tile?)", k);
		}
		records[k].p = data + pos;
		records[k].len = i + 1 - pos;
		if (starts_with_id_line(records[k].p, records[k].len))
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "data tile record %zu starts with a record id line "
			    "(x/mod v0.7.0 form?); want sum.golang.org's form", k);
		/* x/mod would take "\n" as a record text; in a tile it is
		 * indistinguishable from a missing record */
		if (records[k].p[0] == '\n' || (!text_ok && !(flags & SDB_DATA_TILE_ANY_TEXT) &&
		    !sdb_record_text_ok(records[k].p, records[k].len)))
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "data tile record %zu is not valid record text", k);
		if (records[k].len > SDB_MAX_RECORD_SIZE)
			return sdb_errf(eb, SDB_ERR_TOO_LARGE,
			    "data tile record %zu is too large", k);
		if (flags & SDB_DATA_TILE_STRICT) {
			struct sdb_errbuf reb;

			reb.msg[0] = '\0';
			err = sdb_record_parse(records[k].p, records[k].len, NULL, &reb);
			if (err != SDB_OK)
				return sdb_errf(eb, err, "data tile record %zu: %s", k,
				    sdb_errmsg(&reb, err));
		}
		pos = i + 2;
	}
	if (pos != len) {
		if (k > 0 && starts_with_id_line(data + pos, len - pos))
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "data tile has a record id line after record %zu (x/mod "
			    "v0.7.0 form?)", k - 1);
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "data tile has more than %zu records or trailing bytes", w);
	}
	return SDB_OK;
}
