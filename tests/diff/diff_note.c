/*
 * Differential driver for signed notes, note keys and tree notes against
 * x/mod (tests/oracle/note.go documents the line formats).
 *
 *   diff_note check|check-keys|check-tree    read x/mod's cases on stdin,
 *                                            exit 1 on the first disagreement
 *   diff_note gen|gen-keys|gen-tree SEED N   write cases made and judged by
 *                                            csumdb for the oracle to check
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/base64.h"
#include "csumdb/note.h"
#include "csumdb/treenote.h"
#include "crypto.h"
#include "difflib.h"

/* ---- helpers ------------------------------------------------------------ */

static void
die(const char *what)
{
	fprintf(stderr, "diff_note: %s\n", what);
	exit(2);
}

/* A growable byte buffer. */
struct buf {
	char *p;
	size_t len, cap;
};

static void
bput(struct buf *b, const void *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			die("out of memory");
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
bputs(struct buf *b, const char *s)
{
	bput(b, s, strlen(s));
}

static void
bput64(struct buf *b, const void *s, size_t n)
{
	char *e = malloc(SDB_B64_ENCODED_LEN(n) + 1);

	if (e == NULL)
		die("out of memory");
	sdb_b64_encode(e, s, n);
	bputs(b, e);
	free(e);
}

/* Decodes base64 field f into a malloc'ed NUL-terminated buffer. */
static char *
unb64(const char *f, size_t *len)
{
	size_t fl = strlen(f);
	char *out = malloc(fl + 1);

	if (out == NULL || sdb_b64_decode((uint8_t *)out, fl + 1, len, f, fl) != SDB_OK)
		die("bad base64 field in input");
	out[*len] = '\0';
	return out;
}

static void
fmt_sigs(struct buf *b, const struct sdb_note_sig *s, size_t n)
{
	size_t i;
	char h[16];

	if (n == 0) {
		bputs(b, "-");
		return;
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			bputs(b, ",");
		bput64(b, s[i].name, s[i].name_len);
		snprintf(h, sizeof h, ".%08" PRIx32 ".", s[i].hash);
		bputs(b, h);
		bput64(b, s[i].b64, s[i].b64_len);
	}
}

/* Opens msg with the keys and appends VERDICT TEXT SIGS UNVERIFIED. */
static void
open_fields(struct buf *out, const struct sdb_note_verifiers *set, const char *msg,
    size_t len)
{
	struct sdb_note *n = NULL;
	int err = sdb_note_open(&n, msg, len, set, NULL);

	switch (err) {
	case SDB_OK: bputs(out, "ok"); break;
	case SDB_ERR_UNVERIFIED_NOTE: bputs(out, "unverified"); break;
	case SDB_ERR_BAD_SIGNATURE: bputs(out, "badsig"); break;
	case SDB_ERR_MALFORMED_NOTE: bputs(out, "malformed"); break;
	default: bputs(out, sdb_strerror(err)); break;
	}
	if (n == NULL) {
		bputs(out, "\t-\t-\t-");
		return;
	}
	bputs(out, "\t");
	bput64(out, n->text, n->text_len);
	bputs(out, "\t");
	fmt_sigs(out, n->sigs, n->nsigs);
	bputs(out, "\t");
	fmt_sigs(out, n->unverified, n->nunverified);
	sdb_note_free(n);
}

static struct sdb_note_verifiers *
keys_field(char *f)
{
	struct sdb_note_verifiers *set = NULL;
	char *k, *save = f;

	if (sdb_note_verifiers_new(&set) != SDB_OK)
		die("out of memory");
	if (strcmp(f, "-") == 0)
		return set;
	while (save != NULL) {
		struct sdb_note_verifier *v = NULL;
		size_t kl;
		char *comma = strchr(save, ',');
		char *key;

		k = save;
		if (comma != NULL)
			*comma = '\0';
		save = comma == NULL ? NULL : comma + 1;
		key = unb64(k, &kl);
		if (sdb_note_verifier_parse(&v, key, kl, NULL) != SDB_OK ||
		    sdb_note_verifiers_add(set, v) != SDB_OK) {
			fprintf(stderr, "cannot use verifier key %s\n", key);
			exit(1);
		}
		sdb_note_verifier_free(v);
		free(key);
	}
	return set;
}

static int
disagree(const char *input, const char *want, const char *got)
{
	fprintf(stderr, "DISAGREEMENT\ninput: %s\nx/mod:  %s\ncsumdb: %s\n", input, want, got);
	return 1;
}

/* ---- x/mod's cases checked here ---------------------------------------- */

static int
check_notes(void)
{
	char *line = NULL, *copy;
	size_t cap = 0, count = 0;

	while (diff_getline(&line, &cap, stdin) >= 0) {
		char *f[7];
		struct sdb_note_verifiers *set;
		struct buf got = { 0 };
		char *msg;
		size_t mlen;

		copy = strdup(line);
		if (copy == NULL || diff_split(line, f, 6) != 6)
			die("bad input line");
		set = keys_field(f[0]);
		msg = unb64(f[1], &mlen);
		open_fields(&got, set, msg, mlen);
		/* f[2..5] are still contiguous in copy after the 2nd tab */
		{
			char *want = strchr(strchr(copy, '\t') + 1, '\t') + 1;

			if (strcmp(want, got.p) != 0)
				return disagree(copy, want, got.p);
		}
		free(got.p);
		free(msg);
		free(copy);
		sdb_note_verifiers_free(set);
		count++;
	}
	free(line);
	if (count == 0)
		die("no cases read");
	fprintf(stderr, "diff_note: %zu note cases agree\n", count);
	return 0;
}

/* Key string with '\r'/'\n' removed and lower-cased: what a re-format of
 * an accepted key must equal. */
static void
canon(char *s)
{
	char *w = s;

	for (; *s; s++)
		if (*s != '\r' && *s != '\n')
			*w++ = (char)((*s >= 'A' && *s <= 'Z') ? *s + 32 : *s);
	*w = '\0';
}

/* Parses a key, appends VERDICT NAME HASH; re-formats accepted keys and
 * checks they match the input. */
static int
key_fields(struct buf *out, const char *kind, const char *key, size_t kl)
{
	char h[16];
	const char *name;
	uint32_t hash;
	char *again = NULL;
	char sbuf[512];
	int ok;

	if (kind[0] == 'v') {
		struct sdb_note_verifier *v = NULL;

		if (sdb_note_verifier_parse(&v, key, kl, NULL) != SDB_OK) {
			bputs(out, "bad\t-\t-");
			return 1;
		}
		name = sdb_note_verifier_name(v);
		hash = sdb_note_verifier_hash(v);
		bputs(out, "ok\t");
		bput64(out, name, strlen(name));
		if (sdb_note_verifier_format(v, &again) != SDB_OK)
			die("format");
		sdb_note_verifier_free(v);
	} else {
		struct sdb_note_signer *s = NULL;

		if (sdb_note_signer_parse(&s, key, kl, NULL) != SDB_OK) {
			bputs(out, "bad\t-\t-");
			return 1;
		}
		name = sdb_note_signer_name(s);
		hash = sdb_note_signer_hash(s);
		bputs(out, "ok\t");
		bput64(out, name, strlen(name));
		if (sdb_note_signer_format(s, sbuf, sizeof sbuf) != SDB_OK)
			die("format");
		again = strdup(sbuf);
		sdb_note_signer_free(s);
	}
	snprintf(h, sizeof h, "\t%08" PRIx32, hash);
	bputs(out, h);
	{
		char *in = strdup(key);

		canon(in);
		canon(again);
		ok = strcmp(in, again) == 0;
		if (!ok)
			fprintf(stderr, "re-format differs: %s vs %s\n", in, again);
		free(in);
	}
	free(again);
	return ok;
}

static int
check_keys(void)
{
	char *line = NULL, *copy;
	size_t cap = 0, count = 0;

	while (diff_getline(&line, &cap, stdin) >= 0) {
		char *f[6];
		struct buf got = { 0 };
		char *key, *want;
		size_t kl;

		copy = strdup(line);
		if (copy == NULL || diff_split(line, f, 5) != 5)
			die("bad input line");
		key = unb64(f[1], &kl);
		if (!key_fields(&got, f[0], key, kl))
			return disagree(copy, "same key after re-format", "other");
		want = strchr(strchr(copy, '\t') + 1, '\t') + 1;
		if (strcmp(want, got.p) != 0)
			return disagree(copy, want, got.p);
		free(got.p);
		free(key);
		free(copy);
		count++;
	}
	free(line);
	if (count == 0)
		die("no cases read");
	fprintf(stderr, "diff_note: %zu key cases agree\n", count);
	return 0;
}

static void
tree_fields(struct buf *out, const char *text, size_t len)
{
	struct sdb_tree t;
	char f[SDB_TREE_NOTE_MAX], num[32];
	size_t fl = 0, i;

	if (sdb_tree_note_parse(&t, text, len, NULL) != SDB_OK) {
		bputs(out, "bad\t-\t-\t-");
		return;
	}
	snprintf(num, sizeof num, "ok\t%" PRId64 "\t", t.n);
	bputs(out, num);
	for (i = 0; i < 32; i++) {
		snprintf(num, sizeof num, "%02x", t.hash.b[i]);
		bputs(out, num);
	}
	bputs(out, "\t");
	if (sdb_tree_note_format(f, &fl, &t) != SDB_OK)
		die("tree format");
	bput64(out, f, fl);
}

static int
check_trees(void)
{
	char *line = NULL, *copy;
	size_t cap = 0, count = 0;

	while (diff_getline(&line, &cap, stdin) >= 0) {
		char *f[6];
		struct buf got = { 0 };
		char *text;
		size_t tl;

		copy = strdup(line);
		if (copy == NULL || diff_split(line, f, 5) != 5)
			die("bad input line");
		text = unb64(f[0], &tl);
		tree_fields(&got, text, tl);
		if (strcmp(strchr(copy, '\t') + 1, got.p) != 0)
			return disagree(copy, strchr(copy, '\t') + 1, got.p);
		free(got.p);
		free(text);
		free(copy);
		count++;
	}
	free(line);
	if (count == 0)
		die("no cases read");
	fprintf(stderr, "diff_note: %zu tree cases agree\n", count);
	return 0;
}

/* ---- cases made here for x/mod to check -------------------------------- */

static void
rand_name(char *out, size_t cap)
{
	static const char alpha[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./_-";
	static const char *uni[] = { "\xc3\xa9", "\xe4\xb8\x96", "\xe2\x80\x8b" };
	size_t n = 1 + diff_rn(20), i, off = 0;

	for (i = 0; i < n && off + 4 < cap; i++) {
		if (diff_rn(12) == 0) {
			const char *u = uni[diff_rn(3)];

			memcpy(out + off, u, strlen(u));
			off += strlen(u);
		} else {
			out[off++] = alpha[diff_rn(sizeof alpha - 1)];
		}
	}
	out[off] = '\0';
}

static void
rand_text(struct buf *b)
{
	static const char *uni[] = { "\xc3\xa9", "\xe2\x80\x94", "\x7f", "\xc2\x85",
		"\xf0\x9f\x99\x82" };
	size_t lines = 1 + diff_rn(5), i, j;

	for (i = 0; i < lines; i++) {
		size_t n = diff_rn(40);

		for (j = 0; j < n; j++) {
			size_t k = diff_rn(20);

			if (k == 0)
				bputs(b, uni[diff_rn(5)]);
			else if (k == 1)
				bputs(b, " ");
			else {
				char c = (char)(0x21 + diff_rn(0x5e));

				bput(b, &c, 1);
			}
		}
		bputs(b, "\n");
		if (diff_rn(8) == 0)
			bputs(b, "\n");
	}
}

static const char interesting[] = { '\n', ' ', 0x01, (char)0xff, (char)0x80, '+',
	'A', '=', '\r', (char)0xe2, (char)0x94, '-', 0 };

static void
mutate(struct buf *m)
{
	size_t i;
	char *p;

	switch (diff_rn(8)) {
	case 0:
		m->p[diff_rn(m->len)] ^= (char)(1u << diff_rn(8));
		break;
	case 1:
		i = diff_rn(m->len);
		memmove(m->p + i, m->p + i + 1, m->len - i - 1);
		m->len--;
		break;
	case 2: {
		char c = interesting[diff_rn(sizeof interesting)];

		i = diff_rn(m->len + 1);
		bput(m, "x", 1);
		memmove(m->p + i + 1, m->p + i, m->len - i - 1);
		m->p[i] = c;
		break;
	}
	case 3:
		m->len = diff_rn(m->len);
		break;
	case 4:
		bputs(m, "junk line\n");
		break;
	case 5: /* repeat the last signature line 101 times */
		m->p[m->len - 1] = '\0';
		p = strrchr(m->p, '\n');
		m->p[m->len - 1] = '\n';
		if (p != NULL) {
			char *line = strdup(p + 1);
			int k;

			for (k = 0; k < 101; k++)
				bputs(m, line);
			free(line);
		}
		break;
	case 6: /* one base64 digit of the last signature */
		p = strrchr(m->p, ' ');
		if (p != NULL && (size_t)(m->p + m->len - p) > 10) {
			size_t j = (size_t)(p - m->p) + 1 + diff_rn((size_t)(m->p + m->len - p) - 3);

			m->p[j] = m->p[j] == 'A' ? 'B' : 'A';
		}
		break;
	case 7:
		m->p[0] = m->p[0] == 'x' ? 'y' : 'x';
		break;
	}
}

static int
gen_notes(size_t count)
{
	size_t c;

	for (c = 0; c < count; c++) {
		struct sdb_note_signer *signers[6];
		const struct sdb_note_signer *use[6];
		struct sdb_note_verifiers *set = NULL;
		struct buf text = { 0 }, line = { 0 };
		size_t nsig = 1 + diff_rn(4), nuse, i, mlen = 0;
		char *msg = NULL, *vk;
		int nkeys = 0;
		struct buf m = { 0 };

		if (sdb_note_verifiers_new(&set) != SDB_OK)
			die("out of memory");
		for (i = 0; i < nsig + 1; i++) {
			uint8_t seed[32];
			char name[128];
			size_t j;

			for (j = 0; j < 32; j++)
				seed[j] = (uint8_t)diff_rnd();
			rand_name(name, sizeof name);
			if (sdb_note_signer_from_seed(&signers[i], name, seed, NULL) != SDB_OK)
				die("from_seed");
		}
		nuse = nsig;
		for (i = 0; i < nsig; i++)
			use[i] = signers[i];
		if (diff_rn(10) == 0)
			use[nuse++] = signers[0];
		for (i = 0; i <= nsig; i++) {
			struct sdb_note_verifier *v = NULL;

			/* signers[nsig] signed nothing: known only sometimes */
			if ((i < nsig && diff_rn(3) == 0) || (i == nsig && diff_rn(5) != 0))
				continue;
			if (sdb_note_signer_verifier(signers[i], &v) != SDB_OK ||
			    sdb_note_verifiers_add(set, v) != SDB_OK ||
			    sdb_note_verifier_format(v, &vk) != SDB_OK)
				die("verifier");
			bputs(&line, nkeys++ ? "," : "");
			bput64(&line, vk, strlen(vk));
			free(vk);
			sdb_note_verifier_free(v);
		}
		if (nkeys == 0)
			bputs(&line, "-");
		rand_text(&text);
		if (sdb_note_sign(&msg, &mlen, text.p, text.len, use, nuse, NULL) != SDB_OK)
			die("sign");
		bput(&m, msg, mlen);
		if (diff_rn(10) < 4)
			mutate(&m);
		bputs(&line, "\t");
		bput64(&line, m.p, m.len);
		bputs(&line, "\t");
		open_fields(&line, set, m.p, m.len);
		puts(line.p);
		free(msg);
		free(m.p);
		free(text.p);
		free(line.p);
		for (i = 0; i <= nsig; i++)
			sdb_note_signer_free(signers[i]);
		sdb_note_verifiers_free(set);
	}
	return 0;
}

static void
mutate_key(struct buf *k)
{
	size_t i;

	switch (diff_rn(5)) {
	case 0:
		k->p[diff_rn(k->len)] ^= (char)(1u << diff_rn(8));
		break;
	case 1:
		i = diff_rn(k->len);
		memmove(k->p + i, k->p + i + 1, k->len - i - 1);
		k->len--;
		break;
	case 2: {
		char c = interesting[diff_rn(sizeof interesting)];

		i = diff_rn(k->len + 1);
		bput(k, "x", 1);
		memmove(k->p + i + 1, k->p + i, k->len - i - 1);
		k->p[i] = c;
		break;
	}
	case 3:
		k->len = diff_rn(k->len);
		break;
	case 4:
		bputs(k, "==");
		break;
	}
}

static int
gen_keys(size_t count)
{
	size_t c;

	for (c = 0; c < count; c++) {
		struct sdb_note_signer *s = NULL;
		struct sdb_note_verifier *v = NULL;
		uint8_t seed[32];
		char name[128], sk[512], *vk = NULL;
		size_t j;
		int kind;

		for (j = 0; j < 32; j++)
			seed[j] = (uint8_t)diff_rnd();
		rand_name(name, sizeof name);
		if (sdb_note_signer_from_seed(&s, name, seed, NULL) != SDB_OK ||
		    sdb_note_signer_format(s, sk, sizeof sk) != SDB_OK ||
		    sdb_note_signer_verifier(s, &v) != SDB_OK ||
		    sdb_note_verifier_format(v, &vk) != SDB_OK)
			die("key");
		for (kind = 0; kind < 2; kind++) {
			struct buf k = { 0 }, line = { 0 };

			bputs(&k, kind == 0 ? vk : sk);
			if (diff_rn(2) == 0)
				mutate_key(&k);
			bputs(&line, kind == 0 ? "v\t" : "s\t");
			bput64(&line, k.p, k.len);
			bputs(&line, "\t");
			(void)key_fields(&line, kind == 0 ? "v" : "s", k.p, k.len);
			puts(line.p);
			free(k.p);
			free(line.p);
		}
		free(vk);
		sdb_note_verifier_free(v);
		sdb_note_signer_free(s);
	}
	return 0;
}

static int
gen_trees(size_t count)
{
	size_t c;

	for (c = 0; c < count; c++) {
		struct sdb_tree t;
		char f[SDB_TREE_NOTE_MAX];
		struct buf text = { 0 }, line = { 0 };
		size_t fl = 0, i;

		switch (diff_rn(3)) {
		case 0: t.n = (int64_t)diff_rn(10); break;
		case 1: t.n = (int64_t)(diff_rnd() >> 32); break;
		default: t.n = (int64_t)(diff_rnd() >> 1); break;
		}
		for (i = 0; i < 32; i++)
			t.hash.b[i] = (uint8_t)diff_rnd();
		if (sdb_tree_note_format(f, &fl, &t) != SDB_OK)
			die("format");
		bput(&text, f, fl);
		switch (diff_rn(14)) {
		case 0: /* leading zero */
			memmove(text.p + 22, text.p + 21, text.len - 21);
			text.p[21] = '0';
			text.len++;
			bput(&text, "", 0);
			break;
		case 1: /* drop a hash character */
			memmove(text.p + fl - 3, text.p + fl - 2, 2);
			text.len--;
			break;
		case 2:
			bputs(&text, "junk\nmore\n");
			break;
		case 3:
			text.p[diff_rn(text.len)] ^= (char)(1u << diff_rn(8));
			break;
		case 4:
			text.len = diff_rn(text.len);
			break;
		case 5: /* non-canonical last base64 digit */
			text.p[fl - 3] ^= 1;
			break;
		case 6: /* insert a byte */
			i = diff_rn(text.len + 1);
			bput(&text, "x", 1);
			memmove(text.p + i + 1, text.p + i, text.len - i - 1);
			text.p[i] = interesting[diff_rn(sizeof interesting)];
			break;
		default:
			break;
		}
		bput64(&line, text.p, text.len);
		bputs(&line, "\t");
		tree_fields(&line, text.p, text.len);
		puts(line.p);
		free(text.p);
		free(line.p);
	}
	return 0;
}

static size_t
num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*s == '\0' || *end != '\0')
		die("bad number argument");
	return (size_t)v;
}

int
main(int argc, char **argv)
{
	if (sdb_crypto_init() != SDB_OK)
		die("crypto init");
	if (argc == 2 && strcmp(argv[1], "check") == 0)
		return check_notes();
	if (argc == 2 && strcmp(argv[1], "check-keys") == 0)
		return check_keys();
	if (argc == 2 && strcmp(argv[1], "check-tree") == 0)
		return check_trees();
	if (argc == 4) {
		diff_rng = num(argv[2]);
		if (strcmp(argv[1], "gen") == 0)
			return gen_notes(num(argv[3]));
		if (strcmp(argv[1], "gen-keys") == 0)
			return gen_keys(num(argv[3]));
		if (strcmp(argv[1], "gen-tree") == 0)
			return gen_trees(num(argv[3]));
	}
	fprintf(stderr, "usage: diff_note check|check-keys|check-tree\n"
	    "       diff_note gen|gen-keys|gen-tree SEED N\n");
	return 2;
}
