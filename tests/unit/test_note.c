/* Unit tests for src/lib/note.c and src/lib/note_key.c: x/mod's
 * note_test.go vectors, and a forgery twin beside every accepted note. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/base64.h"
#include "csumdb/note.h"
#include "limits.h"
#include "unit.h"

#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define ENOCH_VKEY "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define TEXT "If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
#define PETER_B64 "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
#define ENOCH_B64 "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
#define PETER_SIG "\xe2\x80\x94 PeterNeumann " PETER_B64 "\n"
#define ENOCH_SIG "\xe2\x80\x94 EnochRoot " ENOCH_B64 "\n"

static struct sdb_note_verifier *
vkey(const char *s)
{
	struct sdb_note_verifier *v = NULL;

	CU_ASSERT_FATAL(sdb_note_verifier_parse(&v, s, strlen(s), NULL) == SDB_OK);
	return v;
}

static struct sdb_note_verifiers *
vset(const char *k1, const char *k2)
{
	struct sdb_note_verifiers *set = NULL;
	struct sdb_note_verifier *v;

	CU_ASSERT_FATAL(sdb_note_verifiers_new(&set) == SDB_OK);
	if (k1 != NULL) {
		v = vkey(k1);
		CU_ASSERT_FATAL(sdb_note_verifiers_add(set, v) == SDB_OK);
		sdb_note_verifier_free(v);
	}
	if (k2 != NULL) {
		v = vkey(k2);
		CU_ASSERT_FATAL(sdb_note_verifiers_add(set, v) == SDB_OK);
		sdb_note_verifier_free(v);
	}
	return set;
}

/* Opens msg with set, checks the code, frees the note. */
static int
open_code(const char *msg, size_t len, const struct sdb_note_verifiers *set)
{
	struct sdb_note *n = NULL;
	int err = sdb_note_open(&n, msg, len, set, NULL);

	if (err == SDB_OK || err == SDB_ERR_UNVERIFIED_NOTE) {
		CU_ASSERT(n != NULL);
	} else {
		CU_ASSERT(n == NULL);
	}
	sdb_note_free(n);
	return err;
}

static int
open_str(const char *msg, const struct sdb_note_verifiers *set)
{
	return open_code(msg, strlen(msg), set);
}

static void
test_verifier_parse(void)
{
	struct sdb_note_verifier *v = NULL;
	char b[sizeof PETER_VKEY];
	size_t len = strlen(PETER_VKEY), i, j;
	char *s = NULL;
	const char *k;

	v = vkey(PETER_VKEY);
	CU_ASSERT_STRING_EQUAL(sdb_note_verifier_name(v), "PeterNeumann");
	CU_ASSERT_EQUAL(sdb_note_verifier_hash(v), 0xc74f20a3u);
	CU_ASSERT_FATAL(sdb_note_verifier_format(v, &s) == SDB_OK);
	CU_ASSERT_STRING_EQUAL(s, PETER_VKEY);
	free(s);
	sdb_note_verifier_free(v);

	/* Forgery twins, as x/mod: every proper substring, every byte bumped. */
	memcpy(b, PETER_VKEY, sizeof b);
	for (i = 0; i <= len; i++)
		for (j = i + 1; j <= len; j++) {
			if (i == 0 && j == len)
				continue;
			CU_ASSERT_EQUAL(sdb_note_verifier_parse(&v, b + i, j - i, NULL),
			    SDB_ERR_BAD_KEY);
			CU_ASSERT(v == NULL);
		}
	for (i = 0; i < len; i++) {
		b[i]++;
		CU_ASSERT_EQUAL(sdb_note_verifier_parse(&v, b, len, NULL), SDB_ERR_BAD_KEY);
		b[i]--;
	}
	/* wrong length key, with adjusted key hash */
	k = "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==";
	CU_ASSERT_EQUAL(sdb_note_verifier_parse(&v, k, strlen(k), NULL), SDB_ERR_BAD_KEY);
	/* unknown algorithm, with adjusted key hash */
	k = "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
	CU_ASSERT_EQUAL(sdb_note_verifier_parse(&v, k, strlen(k), NULL), SDB_ERR_BAD_KEY);
	/* Upper-case hex is accepted (strconv.ParseUint); formatting is lower. */
	k = "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
	CU_ASSERT_EQUAL(sdb_note_verifier_parse(&v, k, strlen(k), NULL), SDB_OK);
	sdb_note_verifier_free(v);
	/* A NUL inside the input is refused (our one deviation). */
	CU_ASSERT_EQUAL(sdb_note_verifier_parse(&v, PETER_VKEY, len + 1, NULL), SDB_ERR_BAD_KEY);
}

static void
test_sumgolang(void)
{
	struct sdb_note_verifier *v = NULL;
	struct sdb_errbuf eb = { "" };
	char *s = NULL;

	CU_ASSERT_FATAL(sdb_note_verifier_from_arg(&v, "sum.golang.org", NULL) == SDB_OK);
	CU_ASSERT_STRING_EQUAL(sdb_note_verifier_name(v), "sum.golang.org");
	CU_ASSERT_EQUAL(sdb_note_verifier_hash(v), 0x033de0aeu);
	CU_ASSERT_FATAL(sdb_note_verifier_format(v, &s) == SDB_OK);
	CU_ASSERT_STRING_EQUAL(s, SDB_NOTE_SUMGOLANG_VKEY);
	free(s);
	sdb_note_verifier_free(v);
	CU_ASSERT_FATAL(sdb_note_verifier_from_arg(&v, PETER_VKEY, NULL) == SDB_OK);
	sdb_note_verifier_free(v);
	/* twins: other bare names are not keys */
	CU_ASSERT_EQUAL(sdb_note_verifier_from_arg(&v, "sum.golang.org.", &eb), SDB_ERR_BAD_KEY);
	CU_ASSERT(eb.msg[0] != '\0');
	CU_ASSERT_EQUAL(sdb_note_verifier_from_arg(&v, "", NULL), SDB_ERR_BAD_KEY);
	/* pastes of something else say what they are, quoting nothing */
	CU_ASSERT_EQUAL(sdb_note_verifier_from_arg(&v, PETER_VKEY " https://u:pw@sum.example",
	    &eb), SDB_ERR_BAD_KEY);
	CU_ASSERT_PTR_NOT_NULL(strstr(eb.msg, "GOSUMDB"));
	CU_ASSERT_PTR_NULL(strstr(eb.msg, "pw@"));
	CU_ASSERT_EQUAL(sdb_note_verifier_from_arg(&v, "sum.golang.org\tsum.example", &eb),
	    SDB_ERR_BAD_KEY);
	CU_ASSERT_PTR_NOT_NULL(strstr(eb.msg, "GOSUMDB"));
	CU_ASSERT_EQUAL(sdb_note_verifier_from_arg(&v, PETER_SKEY, &eb), SDB_ERR_BAD_KEY);
	CU_ASSERT_PTR_NOT_NULL(strstr(eb.msg, "signer (private) key"));
	CU_ASSERT_PTR_NULL(strstr(eb.msg, "AYEKFALV"));
	CU_ASSERT_PTR_NULL(v);
	/* a key with trailing blanks only is just malformed */
	CU_ASSERT_EQUAL(sdb_note_verifier_from_arg(&v, PETER_VKEY " ", &eb), SDB_ERR_BAD_KEY);
	CU_ASSERT_PTR_NULL(strstr(eb.msg, "GOSUMDB"));
}

static void
test_signer_parse(void)
{
	struct sdb_note_signer *s = NULL;
	struct sdb_note_verifier *v = NULL;
	char b[sizeof PETER_SKEY];
	char out[256];
	char *vs = NULL;
	size_t len = strlen(PETER_SKEY), i, j;
	struct sdb_errbuf eb;

	CU_ASSERT_FATAL(sdb_note_signer_parse(&s, PETER_SKEY, len, NULL) == SDB_OK);
	CU_ASSERT_STRING_EQUAL(sdb_note_signer_name(s), "PeterNeumann");
	CU_ASSERT_EQUAL(sdb_note_signer_hash(s), 0xc74f20a3u);
	CU_ASSERT_EQUAL(sdb_note_signer_format_len(s), len);
	CU_ASSERT_EQUAL(sdb_note_signer_format(s, out, len), SDB_ERR_TOO_LARGE);
	CU_ASSERT_FATAL(sdb_note_signer_format(s, out, sizeof out) == SDB_OK);
	CU_ASSERT_STRING_EQUAL(out, PETER_SKEY);
	CU_ASSERT_FATAL(sdb_note_signer_verifier(s, &v) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_verifier_format(v, &vs) == SDB_OK);
	CU_ASSERT_STRING_EQUAL(vs, PETER_VKEY);
	free(vs);
	sdb_note_verifier_free(v);
	sdb_note_signer_free(s);

	memcpy(b, PETER_SKEY, sizeof b);
	for (i = 0; i <= len; i++)
		for (j = i + 1; j <= len; j++) {
			if (i == 0 && j == len)
				continue;
			CU_ASSERT_EQUAL(sdb_note_signer_parse(&s, b + i, j - i, NULL),
			    SDB_ERR_BAD_KEY);
			CU_ASSERT(s == NULL);
		}
	for (i = 0; i < len; i++) {
		b[i]++;
		memset(eb.msg, 0, sizeof eb.msg);
		CU_ASSERT_EQUAL(sdb_note_signer_parse(&s, b, len, &eb), SDB_ERR_BAD_KEY);
		/* never quote the secret */
		CU_ASSERT(strstr(eb.msg, "AYEKFALV") == NULL);
		b[i]--;
	}
}

static void
test_generate(void)
{
	struct sdb_note_signer *s = NULL, *s2 = NULL;
	struct sdb_note_verifier *v = NULL;
	struct sdb_note *n = NULL;
	const struct sdb_note_signer *list[1];
	char key[256];
	char *msg = NULL;
	size_t mlen = 0;

	CU_ASSERT_FATAL(sdb_note_signer_generate(&s, "EnochRoot", NULL) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_format(s, key, sizeof key) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_parse(&s2, key, strlen(key), NULL) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_note_signer_hash(s), sdb_note_signer_hash(s2));
	CU_ASSERT_FATAL(sdb_note_signer_verifier(s2, &v) == SDB_OK);
	list[0] = s;
	CU_ASSERT_FATAL(sdb_note_sign(&msg, &mlen, "hi\n", 3, list, 1, NULL) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_note_open1(&n, msg, mlen, v, NULL), SDB_OK);
	sdb_note_free(n);
	/* twin: a changed signature must not verify.  Swap one base64 symbol
	 * for another valid one (flipping a bit of the character could make
	 * it non-base64, which is a malformed note, not a bad signature). */
	msg[mlen - 10] = msg[mlen - 10] == 'A' ? 'B' : 'A';
	CU_ASSERT_EQUAL(sdb_note_open1(&n, msg, mlen, v, NULL), SDB_ERR_BAD_SIGNATURE);
	CU_ASSERT(n == NULL);
	free(msg);
	sdb_note_verifier_free(v);
	sdb_note_signer_free(s);
	sdb_note_signer_free(s2);
	sdb_note_signer_free(NULL);
	/* invalid names */
	CU_ASSERT_EQUAL(sdb_note_signer_generate(&s, "bad name", NULL), SDB_ERR_BAD_KEY);
	CU_ASSERT_EQUAL(sdb_note_signer_generate(&s, "a+b", NULL), SDB_ERR_BAD_KEY);
	CU_ASSERT_EQUAL(sdb_note_signer_generate(&s, "", NULL), SDB_ERR_BAD_KEY);
	CU_ASSERT(s == NULL);
}

static void
test_names(void)
{
	CU_ASSERT(sdb_note_name_valid("sum.golang.org", 14));
	CU_ASSERT(sdb_note_name_valid("caf\xc3\xa9/x", 7));
	CU_ASSERT(sdb_note_name_valid("a\x7f", 2));
	CU_ASSERT(!sdb_note_name_valid("", 0));
	CU_ASSERT(!sdb_note_name_valid("a b", 3));
	CU_ASSERT(!sdb_note_name_valid("a\tb", 3));
	CU_ASSERT(!sdb_note_name_valid("a+b", 3));
	CU_ASSERT(!sdb_note_name_valid("a\xc2\xa0", 3));     /* NBSP */
	CU_ASSERT(!sdb_note_name_valid("a\xc2\x85", 3));     /* NEL */
	CU_ASSERT(!sdb_note_name_valid("\xe3\x80\x80", 3));  /* ideographic space */
	CU_ASSERT(!sdb_note_name_valid("\xe2\x80\x8a", 3));  /* hair space */
	CU_ASSERT(sdb_note_name_valid("\xe2\x80\x8b", 3));   /* zero width: not a space */
	CU_ASSERT(!sdb_note_name_valid("\xff", 1));
	CU_ASSERT(!sdb_note_name_valid("\xed\xa0\x80", 3));  /* surrogate */
	CU_ASSERT(!sdb_note_name_valid("\xc0\xaf", 2));      /* overlong */
	CU_ASSERT(!sdb_note_name_valid("a\0b", 3));
}

static void
test_sign(void)
{
	static const char want[] = TEXT "\n" PETER_SIG;
	struct sdb_note_signer *s = NULL;
	const struct sdb_note_signer *list[2];
	char *msg = NULL;
	size_t mlen = 0;

	CU_ASSERT_FATAL(sdb_note_signer_parse(&s, PETER_SKEY, strlen(PETER_SKEY), NULL) == SDB_OK);
	list[0] = s;
	list[1] = s;
	CU_ASSERT_FATAL(sdb_note_sign(&msg, &mlen, TEXT, strlen(TEXT), list, 1, NULL) == SDB_OK);
	CU_ASSERT_EQUAL(mlen, strlen(want));
	CU_ASSERT_STRING_EQUAL(msg, want);
	free(msg);
	/* bad inputs */
	CU_ASSERT_EQUAL(sdb_note_sign(&msg, &mlen, "abc", 3, list, 1, NULL), SDB_ERR_MALFORMED_NOTE);
	CU_ASSERT(msg == NULL);
	CU_ASSERT_EQUAL(sdb_note_sign(&msg, &mlen, "", 0, list, 1, NULL), SDB_ERR_MALFORMED_NOTE);
	CU_ASSERT_EQUAL(sdb_note_sign(&msg, &mlen, "a\rb\n", 4, list, 1, NULL), SDB_ERR_MALFORMED_NOTE);
	CU_ASSERT_EQUAL(sdb_note_sign(&msg, &mlen, "a\xffz\n", 4, list, 1, NULL), SDB_ERR_MALFORMED_NOTE);
	CU_ASSERT_EQUAL(sdb_note_sign(&msg, &mlen, "a\n", 2, list, 0, NULL), SDB_ERR_INVALID);
	/* two signers: both lines, in order */
	CU_ASSERT_FATAL(sdb_note_sign(&msg, &mlen, TEXT, strlen(TEXT), list, 2, NULL) == SDB_OK);
	CU_ASSERT_STRING_EQUAL(msg, TEXT "\n" PETER_SIG PETER_SIG);
	free(msg);
	sdb_note_signer_free(s);
}

static void
test_open_vectors(void)
{
	struct sdb_note_verifiers *peter = vset(PETER_VKEY, NULL);
	struct sdb_note_verifiers *both = vset(PETER_VKEY, ENOCH_VKEY);
	struct sdb_note_verifiers *none = vset(NULL, NULL);
	struct sdb_note_verifier *v;
	struct sdb_note *n = NULL;
	struct sdb_errbuf eb = { "" };
	const char *msg = TEXT "\n" PETER_SIG ENOCH_SIG;

	/* one verified, one not */
	CU_ASSERT_FATAL(sdb_note_open(&n, msg, strlen(msg), peter, NULL) == SDB_OK);
	CU_ASSERT_STRING_EQUAL(n->text, TEXT);
	CU_ASSERT_EQUAL(n->text_len, strlen(TEXT));
	CU_ASSERT_FATAL(n->nsigs == 1 && n->nunverified == 1);
	CU_ASSERT_STRING_EQUAL(n->sigs[0].name, "PeterNeumann");
	CU_ASSERT_EQUAL(n->sigs[0].hash, 0xc74f20a3u);
	CU_ASSERT_STRING_EQUAL(n->sigs[0].b64, PETER_B64);
	CU_ASSERT_STRING_EQUAL(n->unverified[0].name, "EnochRoot");
	CU_ASSERT_EQUAL(n->unverified[0].hash, 0xaf0cfe78u);
	CU_ASSERT_STRING_EQUAL(n->unverified[0].b64, ENOCH_B64);
	sdb_note_free(n);

	/* both verified */
	CU_ASSERT_FATAL(sdb_note_open(&n, msg, strlen(msg), both, NULL) == SDB_OK);
	CU_ASSERT_FATAL(n->nsigs == 2 && n->nunverified == 0);
	CU_ASSERT_STRING_EQUAL(n->sigs[1].name, "EnochRoot");
	sdb_note_free(n);

	/* twin: both unverified; the note still comes back, as x/mod's error */
	CU_ASSERT_EQUAL(sdb_note_open(&n, msg, strlen(msg), none, &eb), SDB_ERR_UNVERIFIED_NOTE);
	CU_ASSERT_FATAL(n != NULL);
	CU_ASSERT(n->nsigs == 0 && n->nunverified == 2);
	CU_ASSERT(strstr(eb.msg, "PeterNeumann+c74f20a3") != NULL);
	sdb_note_free(n);
	CU_ASSERT_EQUAL(open_str(msg, NULL), SDB_ERR_UNVERIFIED_NOTE);

	/* duplicate verifier in a set is refused up front (x/mod: ambiguous) */
	v = vkey(ENOCH_VKEY);
	CU_ASSERT_EQUAL(sdb_note_verifiers_add(both, v), SDB_ERR_INVALID);
	CU_ASSERT_EQUAL(sdb_note_verifiers_count(both), 2);
	sdb_note_verifier_free(v);

	sdb_note_verifiers_free(peter);
	sdb_note_verifiers_free(both);
	sdb_note_verifiers_free(none);
	sdb_note_verifiers_free(NULL);
	sdb_note_free(NULL);
}

static char *
repeat(const char *head, const char *s, int times)
{
	size_t hl = strlen(head), sl = strlen(s);
	char *out = malloc(hl + sl * (size_t)times + 1);
	int i;

	CU_ASSERT_FATAL(out != NULL);
	memcpy(out, head, hl);
	for (i = 0; i < times; i++)
		memcpy(out + hl + sl * (size_t)i, s, sl);
	out[hl + sl * (size_t)times] = '\0';
	return out;
}

/* The message about a note by an unknown key names the key quoted: a name
 * may hold DEL and C1 controls, and a cut at a byte limit must not split
 * a character. */
static void
test_unknown_key_message(void)
{
	/* DEL, U+009B (CSI), 53 more bytes, then U+00E9 across byte 64 */
	static const char name[] = "evil\x7f\xc2\x9b" "31m"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "\xc3\xa9";
	struct sdb_note_verifiers *peter = vset(PETER_VKEY, NULL);
	struct sdb_errbuf eb = { "" };
	struct sdb_note *n = NULL;
	char buf[1024];
	const char *p;

	snprintf(buf, sizeof buf, "%s\n\xe2\x80\x94 %s %s\n", TEXT, name, PETER_B64);
	CU_ASSERT_EQUAL_FATAL(sdb_note_open(&n, buf, strlen(buf), peter, &eb),
	    SDB_ERR_UNVERIFIED_NOTE);
	CU_ASSERT(strstr(eb.msg, "unknown key \"evil\\x7f\\xc2\\x9b31m") != NULL);
	for (p = eb.msg; *p != '\0'; p++)
		CU_ASSERT(*p >= 0x20 && *p < 0x7f);
	sdb_note_free(n);
	sdb_note_verifiers_free(peter);
}

static void
test_open_forgeries(void)
{
	struct sdb_note_verifiers *peter = vset(PETER_VKEY, NULL);
	struct sdb_note_verifiers *none = vset(NULL, NULL);
	struct sdb_note *n = NULL;
	char buf[1024];
	char *m;
	size_t i;
	/* x/mod's bad messages plus ours; all "malformed" */
	static const char *bad[] = {
		TEXT,
		TEXT "\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann " PETER_B64,   /* no final \n */
		"\x01" TEXT "\n" PETER_SIG,
		"\xff" TEXT "\n" PETER_SIG,
		TEXT "\n" "\xe2\x80\x94 Bad Name " PETER_B64,
		TEXT "\n" "\xe2\x80\x94 Bad Name " PETER_B64 "\n",
		TEXT "\n" PETER_SIG "Unexpected line.\n",        /* trailing bytes */
		TEXT "\n" PETER_SIG "\n",                        /* trailing blank */
		TEXT "\n" "- PeterNeumann " PETER_B64 "\n",      /* no em dash */
		TEXT "\n" "\xe2\x80\x94PeterNeumann " PETER_B64 "\n", /* no space */
		TEXT "\n" "\xe2\x80\x94 PeterNeumann\n",          /* no base64 */
		TEXT "\n" "\xe2\x80\x94 PeterNeumann \n",         /* empty base64 */
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJ\n", /* 6 bytes: not short */
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08g\n",     /* 3 bytes: short */
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/Y=\n", /* 5 bytes: the minimum */
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG*SffcvIAQ\n", /* bad char */
		TEXT "\n" "\xe2\x80\x94 PeterNeumann " PETER_B64 " \n", /* space in b64 */
		TEXT "\n" "\xe2\x80\x94 Peter+Neumann " PETER_B64 "\n",
		"If you\rthink\n\n" PETER_SIG,                   /* control char */
		"tab\there\n\n" PETER_SIG,
		"bad \xed\xa0\x80 surrogate\n\n" PETER_SIG,
		"overlong \xc0\xaf\n\n" PETER_SIG,
		"truncated \xe2\x80\n\n" PETER_SIG,
		"no newline at end of text\n" PETER_SIG,
		"",
		"\n\n",
	};

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int err = open_str(bad[i], peter);

		if (i == 13 || i == 15) {
			/* 6 and 5 decoded bytes are well-formed for x/mod; a known
			 * key with a short signature is a bad signature. */
			CU_ASSERT_EQUAL(err, SDB_ERR_BAD_SIGNATURE);
			CU_ASSERT_EQUAL(open_str(bad[i], none), SDB_ERR_UNVERIFIED_NOTE);
			continue;
		}
		if (err != SDB_ERR_MALFORMED_NOTE)
			fprintf(stderr, "bad[%zu] gave %d\n", i, err);
		CU_ASSERT_EQUAL(err, SDB_ERR_MALFORMED_NOTE);
		CU_ASSERT_EQUAL(open_str(bad[i], none), SDB_ERR_MALFORMED_NOTE);
	}

	/* 100 signatures open, 101 do not (known or not) */
	m = repeat(TEXT "\n", PETER_SIG, 100);
	CU_ASSERT_FATAL(sdb_note_open(&n, m, strlen(m), peter, NULL) == SDB_OK);
	CU_ASSERT_EQUAL(n->nsigs, 1);
	sdb_note_free(n);
	free(m);
	m = repeat(TEXT "\n", PETER_SIG, 101);
	CU_ASSERT_EQUAL(open_str(m, peter), SDB_ERR_MALFORMED_NOTE);
	CU_ASSERT_EQUAL(open_str(m, none), SDB_ERR_MALFORMED_NOTE);
	free(m);

	/* x/mod's invalid signature: ABCD inserted at byte 60 of the line */
	snprintf(buf, sizeof buf, "%s\n%.60sABCD%s", TEXT, PETER_SIG, &PETER_SIG[60]);
	CU_ASSERT_EQUAL(open_str(buf, peter), SDB_ERR_BAD_SIGNATURE);
	/* ...and a bad signature before a good one still fails everything */
	snprintf(buf, sizeof buf, "%s\n%.60sABCD%s%s", TEXT, PETER_SIG, &PETER_SIG[60], PETER_SIG);
	CU_ASSERT_EQUAL(open_str(buf, peter), SDB_ERR_BAD_SIGNATURE);
	/* ...but after a good one by the same key it is skipped (x/mod) */
	snprintf(buf, sizeof buf, "%s\n%s%.60sABCD%s", TEXT, PETER_SIG, PETER_SIG, &PETER_SIG[60]);
	CU_ASSERT_EQUAL(open_str(buf, peter), SDB_OK);

	/* every single bit flipped in the signature bytes of the good note */
	{
		uint8_t raw[68];
		size_t rl = 0, bit;
		char b64[128];

		CU_ASSERT_FATAL(sdb_b64_decode(raw, sizeof raw, &rl, PETER_B64,
		    strlen(PETER_B64)) == SDB_OK && rl == 68);
		for (bit = 0; bit < 68 * 8; bit++) {
			int err;

			raw[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			sdb_b64_encode(b64, raw, rl);
			snprintf(buf, sizeof buf, "%s\n\xe2\x80\x94 PeterNeumann %s\n", TEXT, b64);
			err = open_str(buf, peter);
			/* a flipped hash bit makes it an unknown key */
			CU_ASSERT_EQUAL(err, bit < 32 ? SDB_ERR_UNVERIFIED_NOTE : SDB_ERR_BAD_SIGNATURE);
			raw[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
	/* a changed text byte */
	snprintf(buf, sizeof buf, "%s\n%s", TEXT, PETER_SIG);
	buf[3] ^= 1;
	CU_ASSERT_EQUAL(open_str(buf, peter), SDB_ERR_BAD_SIGNATURE);

	/* text with an inner blank line: the last one splits */
	CU_ASSERT_EQUAL(open_str("a\n\nb\n\n" PETER_SIG, peter), SDB_ERR_BAD_SIGNATURE);
	CU_ASSERT_EQUAL(open_str("a\n\nb\n\n" PETER_SIG, none), SDB_ERR_UNVERIFIED_NOTE);

	/* duplicated verified and unverified signatures (x/mod vector) */
	snprintf(buf, sizeof buf, "%s\n%s%s%s%s%.60sABCD%s", TEXT, PETER_SIG, PETER_SIG,
	    ENOCH_SIG, ENOCH_SIG, ENOCH_SIG, &ENOCH_SIG[60]);
	CU_ASSERT_FATAL(sdb_note_open(&n, buf, strlen(buf), peter, NULL) == SDB_OK);
	CU_ASSERT_EQUAL(n->nsigs, 1);
	CU_ASSERT_FATAL(n->nunverified == 2);
	CU_ASSERT_STRING_EQUAL(n->unverified[1].b64,
	    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5nABCD2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=");
	sdb_note_free(n);

	/* over the size limit, before anything else */
	m = calloc(1, SDB_MAX_NOTE_SIZE + 1);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(open_code(m, SDB_MAX_NOTE_SIZE + 1, peter), SDB_ERR_TOO_LARGE);
	free(m);

	sdb_note_verifiers_free(peter);
	sdb_note_verifiers_free(none);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "verifier_parse", test_verifier_parse },
		{ "sumgolang", test_sumgolang },
		{ "signer_parse", test_signer_parse },
		{ "generate", test_generate },
		{ "names", test_names },
		{ "sign", test_sign },
		{ "open_vectors", test_open_vectors },
		{ "open_forgeries", test_open_forgeries },
		{ "unknown_key_message", test_unknown_key_message },
		{ NULL, NULL },
	};

	unit_suite("note", tests);
}
