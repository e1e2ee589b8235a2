/* Unit tests for src/lib/record.c: records, lookup responses and data
 * tiles (PROTOCOL.md "Record, tree, note" and "Endpoints"), each valid
 * case with forgeries that must be refused. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/base64.h"
#include "csumdb/record.h"
#include "limits.h"
#include "module_int.h"
#include "unit.h"

#define HA "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
#define HB "h1:8nK/R7vSRxBWn3/xMRy8QQ1Z2mBEhT2P3Ip3XQPsOYw="
#define REC1 "rsc.io/quote v1.5.2 " HA "\nrsc.io/quote v1.5.2/go.mod " HB "\n"
#define REC2 "golang.org/x/text v0.0.0-20170915032832-14c0d48ead0c " HB "\n" \
	"golang.org/x/text v0.0.0-20170915032832-14c0d48ead0c/go.mod " HA "\n"
#define NOTE "go.sum database tree\n5\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\xe2\x80\x94 x sig\n"

#define S(s) (s), strlen(s)

static int
rec(const char *text, struct sdb_errbuf *eb)
{
	eb->msg[0] = '\0';
	return sdb_record_parse(S(text), NULL, eb);
}

static void
test_record_valid(void)
{
	struct sdb_record r;
	sdb_hash a, b;
	char *out;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(sdb_record_parse(S(REC1), &r, NULL), SDB_OK);
	CU_ASSERT(r.path.len == 12 && memcmp(r.path.p, "rsc.io/quote", 12) == 0);
	CU_ASSERT(r.version.len == 6 && memcmp(r.version.p, "v1.5.2", 6) == 0);
	CU_ASSERT_EQUAL(r.h1.b[0], 0xe3);
	CU_ASSERT_EQUAL(sdb_h1_parse(S(HA), &a), SDB_OK);
	CU_ASSERT_EQUAL(sdb_h1_parse(S(HB), &b), SDB_OK);
	CU_ASSERT(memcmp(&b, &r.gomod_h1, sizeof b) == 0);
	CU_ASSERT_EQUAL(sdb_record_parse(S(REC2), NULL, NULL), SDB_OK);
	/* format gives the same bytes */
	CU_ASSERT_EQUAL_FATAL(sdb_record_format(S("rsc.io/quote"), S("v1.5.2"), &a, &b, &out, &n, NULL), SDB_OK);
	CU_ASSERT_STRING_EQUAL(out, REC1);
	CU_ASSERT_EQUAL(n, strlen(REC1));
	free(out);
	CU_ASSERT_EQUAL(sdb_record_format(S("rsc.io/Quote/v1"), S("v1.5.2"), &a, &b, &out, &n, NULL), SDB_ERR_BAD_PATH);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_EQUAL(sdb_record_format(S("rsc.io/quote"), S("v1.5"), &a, &b, &out, &n, NULL), SDB_ERR_BAD_VERSION);
	CU_ASSERT(sdb_record_text_ok(S(REC1)));
}

struct bad {
	const char *text;
	int err;
	const char *msg;
};

static void
test_record_forgeries(void)
{
	static const struct bad bad[] = {
		{ "rsc.io/quote v1.5.2 " HA "\n", SDB_ERR_INVALID, "one line" },
		{ "rsc.io/quote v1.5.2/go.mod " HB "\n", SDB_ERR_INVALID, "one line" },
		{ REC1 "rsc.io/quote v1.5.2 " HA "\n", SDB_ERR_INVALID, "more than two lines" },
		{ REC1 "\n", SDB_ERR_INVALID, "more than two lines" },
		{ "rsc.io/quote v1.5.2 " HA "\nrsc.io/quote v1.5.2/go.mod " HB, SDB_ERR_INVALID, "no final newline" },
		{ "rsc.io/quote v1.5.2 " HA, SDB_ERR_INVALID, "missing final newline" },
		{ "", SDB_ERR_INVALID, "no complete line" },
		{ "rsc.io/quote v1.5.2 " HA "\nrsc.io/quote v1.5.3/go.mod " HB "\n", SDB_ERR_INVALID, "different module versions" },
		{ "rsc.io/quote v1.5.2 " HA "\nrsc.io/quotf v1.5.2/go.mod " HB "\n", SDB_ERR_INVALID, "different module versions" },
		{ "rsc.io/quote v1.5.2/go.mod " HB "\nrsc.io/quote v1.5.2 " HA "\n", SDB_ERR_INVALID, "go.mod line" },
		{ "rsc.io/quote v1.5.2 " HA "\nrsc.io/quote v1.5.2 " HB "\n", SDB_ERR_INVALID, "/go.mod" },
		{ "rsc.io/quote v1.5.2 h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuF==\nrsc.io/quote v1.5.2/go.mod " HB "\n", SDB_ERR_INVALID, "line 1: hash" },
		{ "rsc.io/quote v1.5.2 h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\nrsc.io/quote v1.5.2/go.mod " HB "\n", SDB_ERR_INVALID, "line 1: hash" },
		{ "rsc.io/quote v1.5.2 " HA "\nrsc.io/quote v1.5.2/go.mod h1:AAAA\n", SDB_ERR_INVALID, "line 2: hash" },
		{ "rsc.io/quote v1.5.2 " HA "\nrsc.io/quote v1.5.2/go.mod h1:" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "\n", SDB_ERR_INVALID, "line 2: hash" },
		{ "rsc.io/quote v1.5.2 h2:" "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" "\nrsc.io/quote v1.5.2/go.mod " HB "\n", SDB_ERR_INVALID, "line 1: hash" },
		{ "rsc.io/quote  v1.5.2 " HA "\nrsc.io/quote  v1.5.2/go.mod " HB "\n", SDB_ERR_INVALID, "single spaces" },
		{ "rsc.io/quote\tv1.5.2 " HA "\nrsc.io/quote\tv1.5.2/go.mod " HB "\n", SDB_ERR_INVALID, "three fields" },
		{ "rsc.io/quote v1.5.2 " HA "\r\nrsc.io/quote v1.5.2/go.mod " HB "\r\n", SDB_ERR_INVALID, "CRLF" },
		{ "rsc.io/quote v1.5.2 " HA "\nrsc.io/quote v1.5.2/go.mod " HB "\r\n", SDB_ERR_INVALID, "CRLF" },
		{ "rsc.io/Quote/v1 v1.5.2 " HA "\nrsc.io/Quote/v1 v1.5.2/go.mod " HB "\n", SDB_ERR_BAD_PATH, "malformed module path" },
		{ "rsc.io/quote v1.5 " HA "\nrsc.io/quote v1.5/go.mod " HB "\n", SDB_ERR_BAD_VERSION, "not canonical" },
		{ "rsc.io/quote v2.0.0 " HA "\nrsc.io/quote v2.0.0/go.mod " HB "\n", SDB_ERR_BAD_VERSION, "should be v0 or v1" },
	};
	struct sdb_errbuf eb;
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CU_ASSERT_EQUAL(rec(bad[i].text, &eb), bad[i].err);
		if (strstr(eb.msg, bad[i].msg) == NULL) {
			fprintf(stderr, "record case %zu: message '%s' lacks '%s'\n", i, eb.msg, bad[i].msg);
			CU_FAIL("message");
		}
	}
	CU_ASSERT_FALSE(sdb_record_text_ok(S("a\n\nb\n")));
	CU_ASSERT_FALSE(sdb_record_text_ok(S("a\tb\n")));
	CU_ASSERT_FALSE(sdb_record_text_ok(S("a\xff\n")));
	CU_ASSERT_FALSE(sdb_record_text_ok(S("a")));
	CU_ASSERT_FALSE(sdb_record_text_ok(S("")));
}

static void
test_lookup_response(void)
{
	struct sdb_span text, note;
	struct sdb_record r;
	struct sdb_errbuf eb;
	int64_t id;
	char *out;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(sdb_lookup_response_format(42, S(REC1), S(NOTE), &out, &n, NULL), SDB_OK);
	CU_ASSERT_STRING_EQUAL(out, "42\n" REC1 "\n" NOTE);
	CU_ASSERT_EQUAL_FATAL(sdb_lookup_response_parse(out, n, &id, &text, &r, &note, NULL), SDB_OK);
	CU_ASSERT_EQUAL(id, 42);
	CU_ASSERT(text.len == strlen(REC1) && memcmp(text.p, REC1, text.len) == 0);
	CU_ASSERT(note.len == strlen(NOTE) && memcmp(note.p, NOTE, note.len) == 0);
	free(out);
	CU_ASSERT_EQUAL(sdb_lookup_response_format(-1, S(REC1), S(NOTE), &out, &n, NULL), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_lookup_response_format(1, S("x\n"), S(NOTE), &out, &n, NULL), SDB_ERR_INVALID);

	CU_ASSERT_EQUAL(sdb_lookup_response_parse(S("0\n" REC1 "\n" NOTE), &id, &text, NULL, &note, NULL), SDB_OK);
	CU_ASSERT_EQUAL(id, 0);
	CU_ASSERT_EQUAL(sdb_lookup_response_parse(S("9223372036854775807\n" REC1 "\n" NOTE), &id, &text, NULL, &note, NULL), SDB_OK);
	/* forgeries */
	CU_ASSERT_EQUAL(sdb_lookup_response_parse(S("9223372036854775808\n" REC1 "\n" NOTE), &id, &text, NULL, &note, &eb), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_lookup_response_parse(S("-1\n" REC1 "\n" NOTE), &id, &text, NULL, &note, NULL), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_lookup_response_parse(S("+1\n" REC1 "\n" NOTE), &id, &text, NULL, &note, NULL), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_lookup_response_parse(S("01\n" REC1 "\n" NOTE), &id, &text, NULL, &note, NULL), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_lookup_response_parse(S(REC1 "\n" NOTE), &id, &text, NULL, &note, NULL), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_lookup_response_parse(S("1\n" REC1), &id, &text, NULL, &note, NULL), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_lookup_response_parse(S("1\n" REC1 "\n"), &id, &text, NULL, &note, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "no signed tree note") != NULL);
	CU_ASSERT_EQUAL(sdb_lookup_response_parse(S("1\nrsc.io/quote v1.5.2 " HA "\n\n" NOTE), &id, &text, NULL, &note, NULL), SDB_ERR_INVALID);

	/* split frames the answer without judging the record: one that is
	 * no go.sum record comes back as framed (its inclusion in the tree
	 * decides whether the log signed it); the framing rules stay */
	CU_ASSERT_EQUAL(sdb_lookup_response_split(S("1\nrsc.io/quote v1.5.2 " HA "\n\n" NOTE), &id, &text, &note, NULL), SDB_OK);
	CU_ASSERT_EQUAL(id, 1);
	CU_ASSERT(text.len == strlen("rsc.io/quote v1.5.2 " HA "\n") &&
	    memcmp(text.p, "rsc.io/quote v1.5.2 " HA "\n", text.len) == 0);
	CU_ASSERT(note.len == strlen(NOTE) && memcmp(note.p, NOTE, note.len) == 0);
	CU_ASSERT_EQUAL(sdb_lookup_response_split(S("5\n" REC1 "\n" NOTE), &id, &text, &note, NULL), SDB_OK);
	CU_ASSERT(text.len == strlen(REC1) && memcmp(text.p, REC1, text.len) == 0);
	CU_ASSERT_EQUAL(sdb_lookup_response_split(S("01\n" REC1 "\n" NOTE), &id, &text, &note, NULL), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_lookup_response_split(S("1\n" REC1), &id, &text, &note, NULL), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_lookup_response_split(S("1\n" REC1 "\n"), &id, &text, &note, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "no signed tree note") != NULL);
}

static void
test_data_tile(void)
{
	struct sdb_span in[3] = { { S(REC1) }, { S(REC2) }, { S(REC1) } }, out[3];
	struct sdb_errbuf eb;
	char *tile;
	size_t n, i;

	CU_ASSERT_EQUAL_FATAL(sdb_data_tile_format(in, 3, &tile, &n, NULL), SDB_OK);
	CU_ASSERT_STRING_EQUAL(tile, REC1 "\n" REC2 "\n" REC1 "\n");
	CU_ASSERT_EQUAL_FATAL(sdb_data_tile_parse(tile, n, 3, SDB_DATA_TILE_STRICT, out, NULL), SDB_OK);
	for (i = 0; i < 3; i++)
		CU_ASSERT(out[i].len == in[i].len && memcmp(out[i].p, in[i].p, in[i].len) == 0);
	/* a narrower tile of the same data is a prefix */
	CU_ASSERT_EQUAL(sdb_data_tile_parse(tile, strlen(REC1) + 1, 1, 0, out, NULL), SDB_OK);
	/* wrong counts and truncation */
	CU_ASSERT_EQUAL(sdb_data_tile_parse(tile, n, 2, 0, out, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "more than 2 records") != NULL);
	CU_ASSERT_EQUAL(sdb_data_tile_parse(tile, n, 4, 0, out, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "has 3 records; want 4") != NULL);
	CU_ASSERT_EQUAL(sdb_data_tile_parse(tile, n - 1, 3, 0, out, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "truncated") != NULL);
	CU_ASSERT_EQUAL(sdb_data_tile_parse(tile, n - 10, 3, 0, out, &eb), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_data_tile_parse(tile, n, 0, 0, out, NULL), SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_data_tile_parse(tile, n, 257, 0, out, NULL), SDB_ERR_RANGE);
	free(tile);
	/* the x/mod 0.7.0 form, id line before each record */
	CU_ASSERT_EQUAL(sdb_data_tile_parse(S("0\n" REC1 "1\n" REC2), 2, 0, out, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "x/mod v0.7.0 form") != NULL);
	CU_ASSERT_EQUAL(sdb_data_tile_parse(S(REC1 "\n" "1\n" REC2 "\n"), 2, 0, out, &eb), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_data_tile_parse(S(REC1 "\n1\n"), 1, 0, out, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "record id line") != NULL);
	/* malformed records: lax mode sees framing only, strict sees all */
	CU_ASSERT_EQUAL(sdb_data_tile_parse(S("a b c\n\n"), 1, 0, out, NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_data_tile_parse(S("a b c\n\n"), 1, SDB_DATA_TILE_STRICT, out, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "data tile record 0") != NULL);
	CU_ASSERT_EQUAL(sdb_data_tile_parse(S("a\tb\n\n"), 1, 0, out, NULL), SDB_ERR_INVALID);
	/* an audit takes any bytes between blank lines as a record, to hash
	 * it and then judge it; framing still holds */
	CU_ASSERT_EQUAL(sdb_data_tile_parse(S("a\tb\n\n"), 1, SDB_DATA_TILE_ANY_TEXT, out, NULL),
	    SDB_OK);
	CU_ASSERT(out[0].len == 4 && memcmp(out[0].p, "a\tb\n", 4) == 0);
	CU_ASSERT_EQUAL(sdb_data_tile_parse(S("\033\377x\n\n" REC1 "\n"), 2, SDB_DATA_TILE_ANY_TEXT,
	    out, NULL), SDB_OK);
	CU_ASSERT(out[1].len == strlen(REC1));
	CU_ASSERT_EQUAL(sdb_data_tile_parse(S("\n\n"), 1, SDB_DATA_TILE_ANY_TEXT, out, NULL),
	    SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_data_tile_parse(S("\n\n"), 1, 0, out, NULL), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_data_tile_parse(S(""), 1, 0, out, NULL), SDB_ERR_INVALID);
	/* format refuses what parse would refuse */
	in[1].p = "x";
	in[1].len = 1;
	CU_ASSERT_EQUAL(sdb_data_tile_format(in, 3, &tile, &n, NULL), SDB_ERR_INVALID);
	CU_ASSERT_PTR_NULL(tile);
	CU_ASSERT_EQUAL(sdb_data_tile_format(in, 0, &tile, &n, NULL), SDB_ERR_RANGE);
}

/* A byte that is often one the fast paths treat specially. */
static char
edge_byte(void)
{
	static const unsigned char pick[] = {
		'\n', '\n', '\r', '\t', 0x00, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xbf, 0xc0,
		0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x8f,
	};

	if (unit_rnd(3) == 0)
		return (char)pick[unit_rnd(sizeof pick)];
	return (char)(0x20 + unit_rnd(0x5f));
}

/* sdb_record_text_ok (8 bytes at a time) agrees with the rune by rune
 * reference on real records, every single-byte change of them, and
 * random texts of every length around the word size. */
static void
test_text_ok_fast(void)
{
	static const char *const base[] = { REC1, REC2, "a\n", "\n", "", "\xe2\x80\x94 x\n",
		"\xef\xbf\xbd\n", "12345678\n", "1234567\n\n", "1234567\xc3\xa9\n" };
	char buf[300];
	size_t b, i, len, disagree = 0, trials = 0;
	int k;

	for (b = 0; b < sizeof base / sizeof base[0]; b++) {
		len = strlen(base[b]);
		disagree += sdb_record_text_ok(base[b], len) != sdb_record_text_ok_slow(base[b], len);
		trials++;
		for (i = 0; i < len; i++) {
			for (k = 0; k < 24; k++) {
				memcpy(buf, base[b], len);
				buf[i] = edge_byte();
				disagree += sdb_record_text_ok(buf, len) !=
				    sdb_record_text_ok_slow(buf, len);
				/* and at every alignment */
				disagree += sdb_record_text_ok(buf + i, len - i) !=
				    sdb_record_text_ok_slow(buf + i, len - i);
				trials += 2;
			}
		}
	}
	for (k = 0; k < 200000; k++) {
		len = unit_rnd(40);
		for (i = 0; i < len; i++)
			if (unit_rnd(4) == 0)
				buf[i] = edge_byte();
			else
				buf[i] = (char)(0x20 + unit_rnd(0x5f));
		if (len > 0 && unit_rnd(2))
			buf[len - 1] = '\n';
		disagree += sdb_record_text_ok(buf, len) != sdb_record_text_ok_slow(buf, len);
		trials++;
	}
	CU_ASSERT_EQUAL(disagree, 0);
	CU_ASSERT(trials > 200000);
	CU_ASSERT(sdb_record_text_ok(S(REC1)));
	CU_ASSERT(!sdb_record_text_ok(S("abcdefgh\x7f\x80\n")));
	CU_ASSERT(!sdb_record_text_ok(S("abcdefgh\n\nabcdefgh\n")));
	CU_ASSERT(!sdb_record_text_ok(S("abcdefghabcdefgh")));
}

/* sdb_h1_parse (one-pass canonical decode) agrees with its definition,
 * Go's decoder giving 32 bytes that encode back to the same text, on h1
 * strings with one or two bytes changed. */
static void
test_h1_fast(void)
{
	static const char edge[] = "=\r\n AZaz09+/-_:h1";
	char s[SDB_H1_LEN + 1], again[64];
	size_t i, n, disagree = 0, accepted = 0;
	sdb_hash h, h2, raw;
	int k, m, fast, slow;

	for (k = 0; k < 200000; k++) {
		for (i = 0; i < SDB_HASH_SIZE; i++)
			raw.b[i] = (uint8_t)unit_rnd(256);
		sdb_h1_format(s, &raw);
		for (m = unit_rnd(3); m > 0; m--) {
			i = unit_rnd(3) == 0 ? unit_rnd(SDB_H1_LEN) : SDB_H1_LEN - 1 - unit_rnd(3);
			if (unit_rnd(2))
				s[i] = edge[unit_rnd(sizeof edge - 1)];
			else
				s[i] = (char)(s[i] ^ (1 << unit_rnd(3)));
		}
		fast = sdb_h1_parse(s, SDB_H1_LEN, &h) == SDB_OK;
		slow = memcmp(s, "h1:", 3) == 0 &&
		    sdb_b64_decode(h2.b, sizeof h2.b, &n, s + 3, SDB_H1_LEN - 3) == SDB_OK &&
		    n == SDB_HASH_SIZE;
		if (slow) {
			sdb_b64_encode(again, h2.b, SDB_HASH_SIZE);
			slow = memcmp(again, s + 3, SDB_H1_LEN - 3) == 0;
		}
		disagree += fast != slow || (fast && memcmp(h.b, h2.b, SDB_HASH_SIZE) != 0);
		accepted += fast;
	}
	CU_ASSERT_EQUAL(disagree, 0);
	CU_ASSERT(accepted > 1000 && accepted < 200000);
	CU_ASSERT_EQUAL(sdb_h1_parse(HA, SDB_H1_LEN - 1, &h), SDB_ERR_INVALID);
}

/* Data tile splitting written the plain way, byte by byte, as the
 * reference for sdb_data_tile_parse: 0 with the spans, or 1. */
static int
ref_tile_parse(const char *d, size_t len, size_t w, struct sdb_span *out)
{
	size_t pos = 0, k, i, j;

	for (k = 0; k < w; k++) {
		if (pos == len)
			return 1;
		for (i = pos; i + 1 < len && !(d[i] == '\n' && d[i + 1] == '\n'); i++)
			;
		if (i + 1 >= len || d[i] != '\n')
			return 1;
		for (j = pos; d[j] >= '0' && d[j] <= '9'; j++)
			;
		if (j > pos && d[j] == '\n')
			return 1; /* an id line */
		if (d[pos] == '\n' || !sdb_record_text_ok_slow(d + pos, i + 1 - pos) ||
		    i + 1 - pos > SDB_MAX_RECORD_SIZE)
			return 1;
		out[k].p = d + pos;
		out[k].len = i + 1 - pos;
		pos = i + 2;
	}
	return pos != len;
}

/* sdb_data_tile_parse (one pass per ASCII record) against the reference
 * on a tile of four records and every single-byte change of it. */
static void
test_data_tile_fast(void)
{
	static const char tile[] = REC1 "\n" REC2 "\n" REC1 "\n" REC2 "\n";
	static const char edits[] = "\n\n\n0 a\x00\x1f\x7f\x80\xc3\xa9\xff\t";
	struct sdb_span got[4], want[4];
	char buf[sizeof tile];
	size_t len = sizeof tile - 1, i, k, bad = 0, ok = 0;

	for (i = 0; i <= len; i++) {
		for (k = 0; k < sizeof edits - 1; k++) {
			struct sdb_errbuf eb;
			int a, b;

			memcpy(buf, tile, len);
			if (i < len)
				buf[i] = edits[k];
			a = sdb_data_tile_parse(buf, len, 4, 0, got, &eb) != SDB_OK;
			b = ref_tile_parse(buf, len, 4, want);
			if (a != b || (!a && memcmp(got, want, sizeof got) != 0))
				bad++;
			ok += !a;
			/* and cut short */
			a = sdb_data_tile_parse(buf, i, 4, 0, got, &eb) != SDB_OK;
			b = ref_tile_parse(buf, i, 4, want);
			bad += a != b || (!a && memcmp(got, want, sizeof got) != 0);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* changes inside the hashes or names still split into records */
	CU_ASSERT(ok > 1000);
}

/* One record through both parses: the fast yes is never wrong, and
 * sdb_record_parse gives the full parse's verdict, fields and message. */
static size_t
parse_disagrees(const char *t, size_t len, size_t *fast_yes)
{
	struct sdb_record f, a, b;
	struct sdb_errbuf ea, eb;
	int fast, ra, rb;

	memset(&f, 0, sizeof f);
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	ea.msg[0] = eb.msg[0] = '\0';
	fast = sdb_record_parse_fast(t, len, &f);
	ra = sdb_record_parse(t, len, &a, &ea);
	rb = sdb_record_parse_full(t, len, &b, &eb);
	*fast_yes += fast;
	if (ra != rb || strcmp(ea.msg, eb.msg) != 0)
		return 1;
	if (fast && (rb != SDB_OK || memcmp(&f, &b, sizeof f) != 0))
		return 1;
	return rb == SDB_OK && memcmp(&a, &b, sizeof a) != 0;
}

/* The record fast path against the full parse: valid records of several
 * shapes, every single-byte change, deletion and duplication of them, and
 * lines swapped or cut. */
static void
test_parse_fast(void)
{
	static const char *const base[] = { REC1, REC2,
		"github.com/abcdefghij/klmnopqr v1.0.3 " HA "\n"
		"github.com/abcdefghij/klmnopqr v1.0.3/go.mod " HB "\n",
		"example.com/m/v2 v2.0.0+incompatible " HA "\n"
		"example.com/m/v2 v2.0.0+incompatible/go.mod " HB "\n",
		"gopkg.in/yaml.v2 v2.4.0 " HA "\ngopkg.in/yaml.v2 v2.4.0/go.mod " HB "\n",
		"github.com/!azure/go v1.2.3-pre.1 " HA "\n"
		"github.com/!azure/go v1.2.3-pre.1/go.mod " HB "\n",
		"rsc.io/quote/go.mod v1.5.2 " HA "\nrsc.io/quote/go.mod v1.5.2/go.mod " HB "\n",
		"rsc.io/quote v1.5.2/go.mod " HB "\nrsc.io/quote v1.5.2 " HA "\n",
	};
	static const char edits[] = " \n/.-+!Aaz09`{:,\t\r\x80\xff=h";
	char buf[400];
	size_t b, i, k, len, bad = 0, yes = 0, trials = 0;

	for (b = 0; b < sizeof base / sizeof base[0]; b++) {
		const char *t = base[b];

		len = strlen(t);
		bad += parse_disagrees(t, len, &yes);
		for (i = 0; i < len; i++) {
			for (k = 0; k < sizeof edits - 1; k++) {
				memcpy(buf, t, len);
				buf[i] = edits[k];
				bad += parse_disagrees(buf, len, &yes);
				trials++;
			}
			/* byte i deleted, then doubled */
			memcpy(buf, t, i);
			memcpy(buf + i, t + i + 1, len - i - 1);
			bad += parse_disagrees(buf, len - 1, &yes);
			memcpy(buf, t, i + 1);
			memcpy(buf + i + 1, t + i, len - i);
			bad += parse_disagrees(buf, len + 1, &yes);
			/* cut after byte i */
			bad += parse_disagrees(t, i, &yes);
			trials += 3;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(trials > 10000);
	/* each valid base is taken by the fast path */
	CU_ASSERT(yes >= 6);
	{
		struct sdb_record r;

		CU_ASSERT(sdb_record_parse_fast(S(REC1), &r));
		CU_ASSERT(sdb_record_parse_fast(S(REC2), &r));
		CU_ASSERT(!sdb_record_parse_fast(S("rsc.io/quote v1.5.2 " HA "\n"
		    "rsc.io/quote v1.5.3/go.mod " HB "\n"), &r));
	}
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "record_valid", test_record_valid },
		{ "record_forgeries", test_record_forgeries },
		{ "lookup_response", test_lookup_response },
		{ "data_tile", test_data_tile },
		{ "text_ok_fast", test_text_ok_fast },
		{ "h1_fast", test_h1_fast },
		{ "parse_fast", test_parse_fast },
		{ "data_tile_fast", test_data_tile_fast },
		{ NULL, NULL },
	};
	unit_suite("record", tests);
}
