/* Unit tests for src/lib/tlogproof.c: a golden C2SP tlog-proof made from a
 * log built with the library round-trips and verifies; each forgery twin
 * (flipped hash bit, extra or missing hash, wrong index, trailing bytes,
 * another record, the record's final newline dropped, a note by another
 * key) is refused with the right code, every change of one byte of a
 * proof to any other value is refused, and malformed files are refused by
 * the parser. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/note.h"
#include "csumdb/tlogproof.h"
#include "csumdb/treenote.h"
#include "unit.h"

#define N 20
static sdb_hash stored[2 * N + 8];
static int64_t nstored;
static char texts[N][64];

static struct unit_hashes view = { stored, &nstored, 0 };
static const struct sdb_hash_reader reader = { unit_read_hashes, &view };
static struct sdb_note_signer *signer, *other;
static struct sdb_note_verifier *vkey, *other_vkey;

static void
setup(void)
{
	int64_t i;

	if (signer != NULL)
		return;
	for (i = 0; i < N; i++) {
		size_t k = 0;
		snprintf(texts[i], sizeof texts[i], "record number %d\nsecond line\n", (int)i);
		CU_ASSERT_FATAL(sdb_tlog_stored_hashes(i, texts[i], strlen(texts[i]), &reader,
		    stored + nstored, &k) == SDB_OK);
		nstored += (int64_t)k;
	}
	CU_ASSERT_FATAL(sdb_note_signer_generate(&signer, "example.com/log", NULL) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_verifier(signer, &vkey) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_generate(&other, "example.com/log", NULL) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_verifier(other, &other_vkey) == SDB_OK);
}

/* The proof file for record idx in the tree of t records, signed by s,
 * with proof hashes [skip..] (skip: drop the first; add: append a copy). */
static char *
make(int64_t t, int64_t idx, const struct sdb_note_signer *s, const uint8_t *extra, size_t elen,
    int skip, int add, size_t *len)
{
	sdb_hash proof[SDB_TLOG_MAX_PROOF + 1];
	struct sdb_tree tree;
	char text[SDB_TREE_NOTE_MAX], *note = NULL, *out = NULL;
	size_t np = 0, tl = 0, nl = 0;

	tree.n = t;
	CU_ASSERT_FATAL(sdb_tlog_tree_hash(t, &reader, &tree.hash) == SDB_OK);
	CU_ASSERT_FATAL(sdb_tlog_prove_record(t, idx, &reader, proof, &np) == SDB_OK);
	if (add)
		proof[np] = proof[0], np++;
	CU_ASSERT_FATAL(sdb_tree_note_format(text, &tl, &tree) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_sign(&note, &nl, text, tl, &s, 1, NULL) == SDB_OK);
	CU_ASSERT_FATAL(sdb_tlog_proof_format(idx, proof + skip, np - (size_t)skip, extra, elen,
	    note, nl, &out, len) == SDB_OK);
	free(note);
	return out;
}

static int
check(const char *file, size_t len, const char *rec, size_t rlen, const struct sdb_note_verifier *v)
{
	struct sdb_tlog_proof p;
	struct sdb_errbuf eb;
	int err;

	eb.msg[0] = '\0';
	if ((err = sdb_tlog_proof_parse(file, len, &p, &eb)) != SDB_OK)
		return err;
	return sdb_tlog_proof_verify(&p, rec, rlen, v, NULL, &eb);
}

static void
test_golden(void)
{
	struct sdb_tlog_proof p;
	struct sdb_tree tree;
	char *f, *again = NULL;
	size_t len = 0, alen = 0;
	static const uint8_t extra[] = "app data";

	setup();
	f = make(N, 7, signer, NULL, 0, 0, 0, &len);
	CU_ASSERT(strncmp(f, "c2sp.org/tlog-proof@v1\nindex 7\n", 31) == 0);
	CU_ASSERT_EQUAL_FATAL(sdb_tlog_proof_parse(f, len, &p, NULL), SDB_OK);
	CU_ASSERT_EQUAL(p.index, 7);
	CU_ASSERT_EQUAL(p.nhashes, 5);
	CU_ASSERT_EQUAL(p.has_extra, 0);
	CU_ASSERT_EQUAL(sdb_tlog_proof_verify(&p, texts[7], strlen(texts[7]), vkey, &tree, NULL),
	    SDB_OK);
	CU_ASSERT_EQUAL(tree.n, N);
	/* Format of the parse is the same bytes. */
	CU_ASSERT_EQUAL(sdb_tlog_proof_format(p.index, p.hashes, p.nhashes, NULL, 0, p.note.p,
	    p.note.len, &again, &alen), SDB_OK);
	CU_ASSERT(alen == len && memcmp(again, f, len) == 0);
	free(again);
	free(f);

	/* With extra data; and every index of every tree size verifies. */
	f = make(N, 19, signer, extra, sizeof extra - 1, 0, 0, &len);
	CU_ASSERT(strstr(f, "\nextra YXBwIGRhdGE=\nindex 19\n") != NULL);
	CU_ASSERT_EQUAL(check(f, len, texts[19], strlen(texts[19]), vkey), SDB_OK);
	free(f);
	{
		int64_t t, i;
		int bad = 0;
		for (t = 1; t <= N; t++)
			for (i = 0; i < t; i++) {
				f = make(t, i, signer, NULL, 0, 0, 0, &len);
				bad += check(f, len, texts[i], strlen(texts[i]), vkey) != SDB_OK;
				free(f);
			}
		CU_ASSERT_EQUAL(bad, 0);
	}
}

static void
test_twins(void)
{
	char *f, *g;
	size_t len = 0, glen = 0;
	const char *rec = texts[7];
	size_t rlen = strlen(rec);
	char *h;

	setup();
	f = make(N, 7, signer, NULL, 0, 0, 0, &len);
	CU_ASSERT_EQUAL(check(f, len, rec, rlen, vkey), SDB_OK);

	/* Flipped bit in a proof hash (base64 'A' <-> 'B' flips one bit). */
	g = malloc(len);
	CU_ASSERT_FATAL(g != NULL);
	memcpy(g, f, len);
	h = strstr(g, "index 7\n") + 8;
	h[10] = h[10] == 'A' ? 'B' : 'A';
	CU_ASSERT_EQUAL(check(g, len, rec, rlen, vkey), SDB_ERR_ROOT_MISMATCH);
	free(g);

	/* Missing and extra hash. */
	g = make(N, 7, signer, NULL, 0, 1, 0, &glen);
	CU_ASSERT_EQUAL(check(g, glen, rec, rlen, vkey), SDB_ERR_PROOF_LENGTH);
	free(g);
	g = make(N, 7, signer, NULL, 0, 0, 1, &glen);
	CU_ASSERT_EQUAL(check(g, glen, rec, rlen, vkey), SDB_ERR_PROOF_LENGTH);
	free(g);

	/* Wrong index: the proof of 7 claimed for 6 (same length). */
	g = malloc(len);
	CU_ASSERT_FATAL(g != NULL);
	memcpy(g, f, len);
	strstr(g, "index 7\n")[6] = '6';
	CU_ASSERT_EQUAL(check(g, len, texts[6], strlen(texts[6]), vkey), SDB_ERR_ROOT_MISMATCH);
	CU_ASSERT_EQUAL(check(g, len, rec, rlen, vkey), SDB_ERR_ROOT_MISMATCH);
	free(g);

	/* Trailing bytes after the note. */
	g = malloc(len + 4);
	CU_ASSERT_FATAL(g != NULL);
	memcpy(g, f, len);
	memcpy(g + len, "junk", 4);
	CU_ASSERT_EQUAL(check(g, len + 4, rec, rlen, vkey), SDB_ERR_MALFORMED_NOTE);
	free(g);

	/* Another record; the record without its final newline. */
	CU_ASSERT_EQUAL(check(f, len, texts[8], strlen(texts[8]), vkey), SDB_ERR_ROOT_MISMATCH);
	CU_ASSERT_EQUAL(check(f, len, rec, rlen - 1, vkey), SDB_ERR_ROOT_MISMATCH);

	/* A note by another key under the same name; checked with the wrong key. */
	g = make(N, 7, other, NULL, 0, 0, 0, &glen);
	CU_ASSERT_EQUAL(check(g, glen, rec, rlen, vkey), SDB_ERR_UNVERIFIED_NOTE);
	free(g);
	CU_ASSERT_EQUAL(check(f, len, rec, rlen, other_vkey), SDB_ERR_UNVERIFIED_NOTE);
	free(f);

	/* An index beyond the tree. */
	f = make(5, 4, signer, NULL, 0, 0, 0, &len);
	g = malloc(len);
	CU_ASSERT_FATAL(g != NULL);
	memcpy(g, f, len);
	strstr(g, "index 4\n")[6] = '5';
	CU_ASSERT_EQUAL(check(g, len, rec, rlen, vkey), SDB_ERR_RANGE);
	free(g);
	free(f);
}

/* Every single-byte change of a proof as prove writes it (each byte to
 * each of the 255 other values) is refused: a proof has one spelling, so
 * that a copy altered anywhere, even where the decoded values would not
 * change (the unused bits of the base64 symbol before the padding of the
 * note's signature), never verifies.  (An extra line is opaque data the
 * proof does not cover; prove writes none.) */
static void
test_every_byte(void)
{
	const char *rec = texts[7];
	size_t rlen = strlen(rec), len = 0, i;
	size_t accepted = 0, first = 0;
	int c;
	char *f;

	setup();
	f = make(N, 7, signer, NULL, 0, 0, 0, &len);
	CU_ASSERT_EQUAL_FATAL(check(f, len, rec, rlen, vkey), SDB_OK);
	for (i = 0; i < len; i++) {
		char was = f[i];

		for (c = 0; c < 256; c++) {
			if ((char)c == was)
				continue;
			f[i] = (char)c;
			if (check(f, len, rec, rlen, vkey) == SDB_OK && accepted++ == 0)
				first = i;
		}
		f[i] = was;
	}
	if (accepted != 0)
		fprintf(stderr, "tlogproof: %zu one-byte changes verified, the first at byte %zu\n",
		    accepted, first);
	CU_ASSERT_EQUAL(accepted, 0);
	free(f);
}

static void
test_parse_errors(void)
{
	static const char *const bad[] = {
		"",
		"c2sp.org/tlog-proof@v2\nindex 1\n\nnote\n",
		"c2sp.org/tlog-proof@v1\nindex 01\n\nnote\n",
		"c2sp.org/tlog-proof@v1\nindex -1\n\nnote\n",
		"c2sp.org/tlog-proof@v1\nindex 9223372036854775808\n\nnote\n",
		"c2sp.org/tlog-proof@v1\nindex 1 \n\nnote\n",
		"c2sp.org/tlog-proof@v1\nindex\n\nnote\n",
		"c2sp.org/tlog-proof@v1\nextra \nindex 1\n\nnote\n",
		"c2sp.org/tlog-proof@v1\nextra YQ\nindex 1\n\nnote\n",
		"c2sp.org/tlog-proof@v1\nextra YR==\nindex 1\n\nnote\n",
		"c2sp.org/tlog-proof@v1\nindex 1\nextra YQ==\n\nnote\n",
		"c2sp.org/tlog-proof@v1\nindex 1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n",
		"c2sp.org/tlog-proof@v1\nindex 1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n\nnote\n",
		"c2sp.org/tlog-proof@v1\nindex 1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n\nnote\n",
		"c2sp.org/tlog-proof@v1\nindex 1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"c2sp.org/tlog-proof@v1\nindex 1\n",
		"c2sp.org/tlog-proof@v1\r\nindex 1\n\nnote\n",
	};
	struct sdb_tlog_proof p;
	size_t i;
	char *many;
	size_t n = 0, k;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CU_ASSERT_NOT_EQUAL(sdb_tlog_proof_parse(bad[i], strlen(bad[i]), &p, NULL), SDB_OK);
	{
		static const char ok[] = "c2sp.org/tlog-proof@v1\nextra YQ==\nindex 1\n\nx";
		CU_ASSERT_EQUAL(sdb_tlog_proof_parse(ok, strlen(ok), &p, NULL), SDB_OK);
	}
	CU_ASSERT(p.has_extra && p.extra.len == 4 && p.index == 1 && p.nhashes == 0 &&
	    p.note.len == 1);
	/* 65 hashes: too many, refused before any verification. */
	many = malloc(64 + 65 * 45 + 8);
	CU_ASSERT_FATAL(many != NULL);
	n = (size_t)snprintf(many, 64, "c2sp.org/tlog-proof@v1\nindex 1\n");
	for (k = 0; k < 65; k++) {
		memcpy(many + n, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", 45);
		n += 45;
	}
	memcpy(many + n, "\nx", 2);
	n += 2;
	CU_ASSERT_EQUAL(sdb_tlog_proof_parse(many, n, &p, NULL), SDB_ERR_PROOF_LENGTH);
	free(many);
	/* The formatter's own range checks. */
	CU_ASSERT_EQUAL(sdb_tlog_proof_format(-1, NULL, 0, NULL, 0, "x", 1, &many, NULL),
	    SDB_ERR_RANGE);
	CU_ASSERT_EQUAL(sdb_tlog_proof_format(1, NULL, 0, NULL, 0, "x", 0, &many, NULL),
	    SDB_ERR_INVALID);
}

static void
cleanup(void)
{
	sdb_note_signer_free(signer);
	sdb_note_signer_free(other);
	sdb_note_verifier_free(vkey);
	sdb_note_verifier_free(other_vkey);
	signer = other = NULL;
	vkey = other_vkey = NULL;
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "golden", test_golden },
		{ "twins", test_twins },
		{ "every_byte", test_every_byte },
		{ "parse_errors", test_parse_errors },
		{ "cleanup", cleanup },
		{ NULL, NULL },
	};
	unit_suite("tlogproof", tests);
}
