/*
 * C2SP tlog-proof files (c2sp.org/tlog-proof; include/csumdb/tlogproof.h
 * draws the format): a strict bounded parser, the encoder, and offline
 * verification against a record text and a verifier key.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/base64.h"
#include "csumdb/tlogproof.h"
#include "csumdb/treenote.h"
#include "limits.h"

#define B64_HASH_LEN SDB_B64_ENCODED_LEN(SDB_HASH_SIZE)
#define EXTRA_B64_MAX SDB_B64_ENCODED_LEN(SDB_TLOG_PROOF_MAX_EXTRA)
/* header + extra line + index line + hash lines + blank line + note */
#define PROOF_MAX_SIZE (sizeof SDB_TLOG_PROOF_HEADER + 7 + EXTRA_B64_MAX + 32 + \
	SDB_TLOG_MAX_PROOF * (B64_HASH_LEN + 1) + 1 + SDB_MAX_NOTE_SIZE)

/* Canonical decimal in [0, 2^63): no sign, no leading zero. */
static int
parse_index(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 19 || (s[0] == '0' && n > 1))
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return 0;
	*out = (int64_t)v;
	return 1;
}

/* A hash line: exactly 44 characters of canonical base64 of 32 bytes. */
static int
parse_hash(const char *s, size_t n, sdb_hash *out)
{
	char again[B64_HASH_LEN + 1];
	size_t got = 0;

	if (n != B64_HASH_LEN ||
	    sdb_b64_decode(out->b, sizeof out->b, &got, s, n) != SDB_OK || got != SDB_HASH_SIZE)
		return 0;
	sdb_b64_encode(again, out->b, SDB_HASH_SIZE);
	return memcmp(again, s, n) == 0;
}

/* Canonical base64 of 1..SDB_TLOG_PROOF_MAX_EXTRA bytes. */
static int
extra_ok(const char *s, size_t n)
{
	uint8_t *buf;
	char *again;
	size_t got = 0;
	int ok = 0;

	if (n == 0 || n > EXTRA_B64_MAX || n % 4 != 0)
		return 0;
	buf = malloc(n);
	again = malloc(n + 1);
	if (buf != NULL && again != NULL &&
	    sdb_b64_decode(buf, n, &got, s, n) == SDB_OK && got > 0 &&
	    sdb_b64_encode(again, buf, got) == n && memcmp(again, s, n) == 0)
		ok = 1;
	free(buf);
	free(again);
	return ok;
}

/*
 * Whether every signature line "\u2014 NAME BASE64" of the signed note
 * note[0..len) spells BASE64 canonically (sdb_b64_decode_canonical).  The
 * note's parser decodes as Go does, ignoring the unused bits of the
 * symbol before the padding, so a proof whose signature set them would
 * verify too: one proof, several spellings.  What does not decode at all
 * is the note parser's to name.  Sets *bad to the 1-based signature line
 * at fault; returns -1 when out of memory.
 */
static int
note_sigs_canonical(const char *note, size_t len, size_t *bad)
{
	static const char prefix[] = "\xe2\x80\x94 ";
	const size_t pl = sizeof prefix - 1;
	size_t off = len, sigline = 0, cap;
	uint8_t *raw;
	int ok = 1;

	/* the signatures follow the note's last blank line */
	while (off >= 2 && !(note[off - 2] == '\n' && note[off - 1] == '\n'))
		off--;
	if (off < 2)
		return 1;
	cap = len - off + 1;
	if ((raw = malloc(cap)) == NULL)
		return -1;
	while (ok && off < len) {
		const char *line = note + off, *nl = memchr(line, '\n', len - off), *sp;
		size_t llen = nl != NULL ? (size_t)(nl - line) : len - off, blen, n;

		off += llen + 1;
		sigline++;
		if (llen <= pl || memcmp(line, prefix, pl) != 0 ||
		    (sp = memchr(line + pl, ' ', llen - pl)) == NULL)
			continue;
		blen = (size_t)(line + llen - (sp + 1));
		if (sdb_b64_decode(raw, cap, &n, sp + 1, blen) == SDB_OK &&
		    sdb_b64_decode_canonical(raw, n, sp + 1, blen) != SDB_OK) {
			*bad = sigline;
			ok = 0;
		}
	}
	free(raw);
	return ok;
}

size_t
sdb_tlog_proof_max_size(void)
{
	return PROOF_MAX_SIZE;
}

int
sdb_tlog_proof_parse(const char *data, size_t len, struct sdb_tlog_proof *p,
    struct sdb_errbuf *eb)
{
	const size_t hl = sizeof SDB_TLOG_PROOF_HEADER - 1;
	size_t off, lineno = 1;
	const char *nl;

	if (len > PROOF_MAX_SIZE)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "tlog-proof: larger than %zu bytes",
		    (size_t)PROOF_MAX_SIZE);
	/* A proof carried through a Windows editor or a mail client gets
	 * CRLF line endings or a byte order mark: say so, as no other line
	 * would tell. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "tlog-proof: line 1: starts with a byte order mark (U+FEFF, bytes EF BB BF), "
		    "which no tlog-proof has: remove it");
	if (len >= hl + 2 && memcmp(data, SDB_TLOG_PROOF_HEADER, hl - 1) == 0 &&
	    memcmp(data + hl - 1, "\r\n", 2) == 0)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "tlog-proof: line 1: ends in a carriage return (CRLF line endings?); a "
		    "tlog-proof has LF only");
	if (len < hl || memcmp(data, SDB_TLOG_PROOF_HEADER, hl) != 0)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "tlog-proof: line 1: not \"c2sp.org/tlog-proof@v1\"");
	memset(p, 0, sizeof *p);
	off = hl;

#define NEXT_LINE()                                                           \
	do {                                                                  \
		lineno++;                                                     \
		nl = off < len ? memchr(data + off, '\n', len - off) : NULL;  \
		if (nl == NULL)                                               \
			return sdb_errf(eb, SDB_ERR_INVALID,                  \
			    "tlog-proof: line %zu: missing or unterminated", lineno); \
	} while (0)

	NEXT_LINE();
	if ((size_t)(nl - (data + off)) >= 6 && memcmp(data + off, "extra ", 6) == 0) {
		size_t n = (size_t)(nl - (data + off)) - 6;

		if (!extra_ok(data + off + 6, n))
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "tlog-proof: line %zu: extra data is not canonical base64 (or too long)", lineno);
		p->has_extra = 1;
		p->extra.p = data + off + 6;
		p->extra.len = n;
		off = (size_t)(nl - data) + 1;
		NEXT_LINE();
	}
	if ((size_t)(nl - (data + off)) < 6 || memcmp(data + off, "index ", 6) != 0 ||
	    !parse_index(data + off + 6, (size_t)(nl - (data + off)) - 6, &p->index))
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "tlog-proof: line %zu: want \"index N\" (canonical decimal)", lineno);
	off = (size_t)(nl - data) + 1;

	for (;;) {
		NEXT_LINE();
		if (nl == data + off)
			break;
		if (p->nhashes == SDB_TLOG_MAX_PROOF)
			return sdb_errf(eb, SDB_ERR_PROOF_LENGTH,
			    "tlog-proof: more than %d proof hashes", SDB_TLOG_MAX_PROOF);
		if (!parse_hash(data + off, (size_t)(nl - (data + off)), &p->hashes[p->nhashes]))
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "tlog-proof: line %zu: not a base64 hash", lineno);
		p->nhashes++;
		off = (size_t)(nl - data) + 1;
	}
#undef NEXT_LINE
	off++;
	if (off >= len)
		return sdb_errf(eb, SDB_ERR_INVALID, "tlog-proof: no signed note after the blank line");
	if (len - off > SDB_MAX_NOTE_SIZE)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "tlog-proof: the note is larger than %d bytes",
		    SDB_MAX_NOTE_SIZE);
	p->note.p = data + off;
	p->note.len = len - off;
	{
		size_t bad = 0;
		int ok = note_sigs_canonical(p->note.p, p->note.len, &bad);

		if (ok < 0)
			return sdb_errf(eb, SDB_ERR_NOMEM, "tlog-proof: out of memory");
		if (!ok)
			return sdb_errf(eb, SDB_ERR_INVALID, "tlog-proof: the note's signature line %zu "
			    "is not canonical base64", bad);
	}
	return SDB_OK;
}

int
sdb_tlog_proof_format(int64_t index, const sdb_hash *hashes, size_t nhashes,
    const uint8_t *extra, size_t elen, const char *note, size_t nlen,
    char **out, size_t *outlen)
{
	size_t cap, n, i;
	char *buf;
	int k;

	*out = NULL;
	if (index < 0 || nhashes > SDB_TLOG_MAX_PROOF)
		return SDB_ERR_RANGE;
	if ((extra != NULL && (elen == 0 || elen > SDB_TLOG_PROOF_MAX_EXTRA)) ||
	    nlen > SDB_MAX_NOTE_SIZE)
		return SDB_ERR_TOO_LARGE;
	if (nlen == 0)
		return SDB_ERR_INVALID;
	cap = sizeof SDB_TLOG_PROOF_HEADER + 7 + (extra ? SDB_B64_ENCODED_LEN(elen) : 0) +
	    32 + nhashes * (B64_HASH_LEN + 1) + 1 + nlen + 1;
	if ((buf = malloc(cap)) == NULL)
		return SDB_ERR_NOMEM;
	n = sizeof SDB_TLOG_PROOF_HEADER - 1;
	memcpy(buf, SDB_TLOG_PROOF_HEADER, n);
	if (extra != NULL) {
		memcpy(buf + n, "extra ", 6);
		n += 6;
		n += sdb_b64_encode(buf + n, extra, elen);
		buf[n++] = '\n';
	}
	k = snprintf(buf + n, cap - n, "index %" PRId64 "\n", index);
	if (k < 0 || (size_t)k >= cap - n) {
		free(buf);
		return SDB_ERR_INTERNAL;
	}
	n += (size_t)k;
	for (i = 0; i < nhashes; i++) {
		n += sdb_b64_encode(buf + n, hashes[i].b, SDB_HASH_SIZE);
		buf[n++] = '\n';
	}
	buf[n++] = '\n';
	memcpy(buf + n, note, nlen);
	n += nlen;
	buf[n] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = n;
	return SDB_OK;
}

int
sdb_tlog_proof_verify(const struct sdb_tlog_proof *p, const char *record,
    size_t rlen, const struct sdb_note_verifier *v, struct sdb_tree *tree,
    struct sdb_errbuf *eb)
{
	struct sdb_tree t;
	sdb_hash leaf;
	int err;

	err = sdb_tree_note_open(&t, NULL, p->note.p, p->note.len, v, eb);
	if (err != SDB_OK)
		return err;
	if (p->index >= t.n)
		return sdb_errf(eb, SDB_ERR_RANGE, "index %" PRId64 " is not in the tree of %" PRId64
		    " records", p->index, t.n);
	sdb_tlog_record_hash(&leaf, record, rlen);
	err = sdb_tlog_check_record(p->hashes, p->nhashes, t.n, &t.hash, p->index, &leaf);
	if (err == SDB_ERR_PROOF_LENGTH)
		return sdb_errf(eb, err, "%zu proof hashes: wrong count for record %" PRId64
		    " in a tree of %" PRId64, p->nhashes, p->index, t.n);
	if (err == SDB_ERR_ROOT_MISMATCH)
		return sdb_errf(eb, err, "proof does not lead to the signed root (another "
		    "record, index or tree)");
	if (err != SDB_OK)
		return sdb_errf(eb, err, "inclusion check failed");
	if (tree != NULL)
		*tree = t;
	return SDB_OK;
}
