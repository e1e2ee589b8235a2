/* Unit tests for src/lib/treenote.c: x/mod's tlog note_test.go vectors,
 * x/mod's ParseTree rules, and signed tree notes with forgery twins. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/base64.h"
#include "csumdb/treenote.h"
#include "unit.h"

#define GOLDEN_HASH "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0="
#define GOLDEN "go.sum database tree\n123456789012\n" GOLDEN_HASH "\n"

static int
parse_str(struct sdb_tree *t, const char *s)
{
	return sdb_tree_note_parse(t, s, strlen(s), NULL);
}

static void
golden_tree(struct sdb_tree *t)
{
	size_t n = 0;

	t->n = 123456789012;
	CU_ASSERT_FATAL(sdb_b64_decode(t->hash.b, sizeof t->hash.b, &n, GOLDEN_HASH,
	    strlen(GOLDEN_HASH)) == SDB_OK && n == 32);
}

static void
test_format(void)
{
	struct sdb_tree t;
	char out[SDB_TREE_NOTE_MAX];
	size_t len = 0;

	golden_tree(&t);
	CU_ASSERT_FATAL(sdb_tree_note_format(out, &len, &t) == SDB_OK);
	CU_ASSERT_STRING_EQUAL(out, GOLDEN);
	CU_ASSERT_EQUAL(len, strlen(GOLDEN));
	t.n = INT64_MAX;
	CU_ASSERT_FATAL(sdb_tree_note_format(out, &len, &t) == SDB_OK);
	CU_ASSERT(strncmp(out + 21, "9223372036854775807\n", 20) == 0);
	t.n = -1;
	CU_ASSERT_EQUAL(sdb_tree_note_format(out, &len, &t), SDB_ERR_RANGE);
}

static void
test_parse(void)
{
	struct sdb_tree t, want;
	size_t i;
	char *big;
	static const char *good_tails[] = { "", "JOE", "JOE\n", "\n\n\n", "\xff\x01" };
	static const char *bad[] = {
		"not-" GOLDEN,
		"go.sum database tree\n0xabcdef\n" GOLDEN_HASH "\n",
		"go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n",
		"go.sum database tree\n0123456789012\n" GOLDEN_HASH "\n",  /* leading zero */
		"go.sum database tree\n00\n" GOLDEN_HASH "\n",
		"go.sum database tree\n+5\n" GOLDEN_HASH "\n",
		"go.sum database tree\n-0\n" GOLDEN_HASH "\n",
		"go.sum database tree\n-1\n" GOLDEN_HASH "\n",
		"go.sum database tree\n\n" GOLDEN_HASH "\n",
		"go.sum database tree\n 5\n" GOLDEN_HASH "\n",
		"go.sum database tree\n9223372036854775808\n" GOLDEN_HASH "\n",
		"go.sum database tree\n99999999999999999999\n" GOLDEN_HASH "\n",
		"go.sum database tree\n5\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0\n", /* no pad */
		"go.sum database tree\n5\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=AAAA\n", /* 35 */
		"go.sum database tree\n5\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBQ==\n", /* 31 */
		"go.sum database tree\n5\n\n",
		"go.sum database tree\n5\n" GOLDEN_HASH,        /* only two '\n' */
		"go.sum database tree\n5",
		"go.sum database tree",
		"Go.sum database tree\n5\n" GOLDEN_HASH "\n",
		"",
	};

	golden_tree(&want);
	for (i = 0; i < sizeof good_tails / sizeof good_tails[0]; i++) {
		char buf[256];

		memset(&t, 0, sizeof t);
		CU_ASSERT((size_t)snprintf(buf, sizeof buf, "%s%s", GOLDEN, good_tails[i]) < sizeof buf);
		CU_ASSERT_EQUAL(parse_str(&t, buf), SDB_OK);
		CU_ASSERT_EQUAL(t.n, want.n);
		CU_ASSERT(memcmp(t.hash.b, want.hash.b, 32) == 0);
	}
	CU_ASSERT_EQUAL(parse_str(&t, "go.sum database tree\n0\n" GOLDEN_HASH "\n"), SDB_OK);
	CU_ASSERT_EQUAL(t.n, 0);
	CU_ASSERT_EQUAL(parse_str(&t, "go.sum database tree\n9223372036854775807\n" GOLDEN_HASH "\n"), SDB_OK);
	CU_ASSERT_EQUAL(t.n, INT64_MAX);
	/* Go's base64 ignores unused low bits: "Bb1=" is "Bb0=" */
	CU_ASSERT_EQUAL(parse_str(&t, "go.sum database tree\n7\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb1=\n"), SDB_OK);
	CU_ASSERT(memcmp(t.hash.b, want.hash.b, 32) == 0);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		t.n = 42;
		CU_ASSERT_EQUAL(parse_str(&t, bad[i]), SDB_ERR_MALFORMED_NOTE);
		CU_ASSERT_EQUAL(t.n, 42); /* untouched */
	}

	/* x/mod refuses texts over 1e6 bytes even when the head is fine */
	big = malloc(1000 * 1000 + 1);
	CU_ASSERT_FATAL(big != NULL);
	memset(big, 'J', 1000 * 1000 + 1);
	memcpy(big, GOLDEN, strlen(GOLDEN));
	CU_ASSERT_EQUAL(sdb_tree_note_parse(&t, big, 1000 * 1000, NULL), SDB_OK);
	CU_ASSERT_EQUAL(sdb_tree_note_parse(&t, big, 1000 * 1000 + 1, NULL), SDB_ERR_TOO_LARGE);
	free(big);
}

static void
test_open(void)
{
	struct sdb_note_signer *s = NULL, *other = NULL;
	struct sdb_note_verifier *v = NULL;
	const struct sdb_note_signer *list[1];
	struct sdb_note *n = NULL;
	struct sdb_tree t, want;
	struct sdb_errbuf eb = { "" };
	char text[SDB_TREE_NOTE_MAX];
	char *msg = NULL;
	size_t tlen = 0, mlen = 0;

	golden_tree(&want);
	CU_ASSERT_FATAL(sdb_note_signer_generate(&s, "sum.example.com", NULL) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_generate(&other, "sum.example.com", NULL) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_verifier(s, &v) == SDB_OK);
	CU_ASSERT_FATAL(sdb_tree_note_format(text, &tlen, &want) == SDB_OK);
	list[0] = s;
	CU_ASSERT_FATAL(sdb_note_sign(&msg, &mlen, text, tlen, list, 1, NULL) == SDB_OK);

	memset(&t, 0, sizeof t);
	CU_ASSERT_EQUAL(sdb_tree_note_open(&t, &n, msg, mlen, v, NULL), SDB_OK);
	CU_ASSERT_EQUAL(t.n, want.n);
	CU_ASSERT(memcmp(t.hash.b, want.hash.b, 32) == 0);
	CU_ASSERT_FATAL(n != NULL && n->nsigs == 1);
	CU_ASSERT_STRING_EQUAL(n->sigs[0].name, "sum.example.com");
	sdb_note_free(n);
	CU_ASSERT_EQUAL(sdb_tree_note_open(&t, NULL, msg, mlen, v, NULL), SDB_OK);

	/* twin: a changed digit of the size */
	msg[22] = (char)(msg[22] == '9' ? '8' : '9');
	CU_ASSERT_EQUAL(sdb_tree_note_open(&t, &n, msg, mlen, v, &eb), SDB_ERR_BAD_SIGNATURE);
	CU_ASSERT(n == NULL);
	free(msg);

	/* twin: same name, other key (hash differs): unknown signer only */
	list[0] = other;
	CU_ASSERT_FATAL(sdb_note_sign(&msg, &mlen, text, tlen, list, 1, NULL) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_tree_note_open(&t, &n, msg, mlen, v, &eb), SDB_ERR_UNVERIFIED_NOTE);
	CU_ASSERT(n == NULL);
	CU_ASSERT(strstr(eb.msg, "sum.example.com+") != NULL);
	free(msg);

	/* twin: validly signed text that is not a tree */
	list[0] = s;
	CU_ASSERT_FATAL(sdb_note_sign(&msg, &mlen, "go.sum database tree\n01\n" GOLDEN_HASH "\n",
	    strlen("go.sum database tree\n01\n" GOLDEN_HASH "\n"), list, 1, NULL) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_tree_note_open(&t, &n, msg, mlen, v, NULL), SDB_ERR_MALFORMED_NOTE);
	CU_ASSERT(n == NULL);
	free(msg);

	sdb_note_verifier_free(v);
	sdb_note_signer_free(s);
	sdb_note_signer_free(other);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "format", test_format },
		{ "parse", test_parse },
		{ "open", test_open },
		{ NULL, NULL },
	};

	unit_suite("treenote", tests);
}
