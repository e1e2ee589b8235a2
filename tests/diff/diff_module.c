/*
 * Differential test driver for module paths, versions and escapes
 * (tests/diff/module.sh).
 *
 *   diff_module gen SEED N   writes N cases of each kind (path, ver,
 *                            check, cmp, unesc, lookup, match, prefix)
 *                            in the input format of the oracle's
 *                            module-eval
 *   diff_module eval         reads such cases and writes csumdb's answers
 *                            in the oracle's output format
 *
 * The generator mixes valid and invalid pieces on purpose: upper case,
 * dots, slashes, major suffixes, gopkg.in, Windows names, tildes, Unicode
 * letters and non-letters, broken UTF-8, NUL, '!' escapes.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/module.h"
#include "csumdb/module_glob.h"
#include "difflib.h"

/* ---- seeded generator (splitmix64) ---- */

/* When set, generators stay mostly within the valid alphabet, so that
 * about half of all cases exercise the accepting paths. */
static int clean;

#define PICK(a) ((a)[diff_rn(sizeof(a) / sizeof((a)[0]))])

struct buf {
	char b[1024];
	size_t n;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n > sizeof b->b)
		n = sizeof b->b - b->n;
	memcpy(b->b + b->n, s, n);
	b->n += n;
}

static void
puts0(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void
putc1(struct buf *b, char c)
{
	put(b, &c, 1);
}

static const char *const odd_chars[] = {
	"A", "Z", "Q", ".", "-", "_", "~", "+", "!", "@", " ", "%", "#", "$",
	"&", "(", ")", ",", "=", "[", "]", "^", "{", "}", "'", "\"", "*", ":",
	"\\", "/", "\x7f", "\x01", "\t", "\n",
	"\xc3\xa9", "\xc3\x9f", "\xe4\xb8\xad", "\xc2\xa0", "\xe2\x80\x94",
	"\xf0\x9f\x98\x80", "\xf0\x90\x90\xb7", "\xc2\xaa", "\xcd\xb8",
	"\xff", "\xc0\x80", "\xed\xa0\x80", "\xe4\xb8", "\xef\xbf\xbd",
	"%00", "!a", "!z", "!!", "!A", "!.",
};
static const char *const words[] = {
	"foo", "bar", "x", "go", "mod", "con", "CON", "Aux", "nul", "com1",
	"LPT9", "lpt0", "com", "abc~1", "abc~", "~1", "a~b", "a~12.txt",
	"v1", "v2", "v0", "v02", "v1.2", "v10", "v", "vv2", "go.mod",
	"...", ".", "..", ".x", "x.", "-x", "Upper", "MiXeD", "x-y_z",
	"rsc.io", "golang.org", "example.com", "github.com", "gopkg.in",
	"yaml.v2", "yaml.v0", "yaml.v1", "yaml.v01", "yaml.v2-unstable",
	"yaml.v-unstable", "a.b", "x.y.z", "123", "0", "+incompatible",
};
static const char *const firsts[] = {
	"example.com", "golang.org", "github.com", "gopkg.in", "rsc.io",
	"Example.com", "example", "-x.com", ".x.com", "x.com.", "x_y.com",
	"x~y.com", "x+y.com", "a.b.c", "com.", "con.com", "123.45",
	"\xc3\xa9.com", "EXAMPLE.COM", "x..com", "",
};
static const char *const good_firsts[] = {
	"example.com", "golang.org", "github.com", "gopkg.in", "rsc.io",
	"a.b.c", "x-y.com", "123.45",
};
static const char *const suffixes[] = {
	"/v2", "/v0", "/v1", "/v02", "/v2.1", "/v10", "/v", ".v1", ".v0",
	".v2", ".v01", ".v2-unstable", "-unstable", "/", "//", "/.", "/v2/",
	"/V2", "/v99999999999999999999",
};

static void
gen_elem(struct buf *b)
{
	size_t k, n;

	switch (clean ? diff_rn(3) : diff_rn(4)) {
	case 0:
		puts0(b, PICK(words));
		break;
	case 1:
		n = 1 + diff_rn(8);
		for (k = 0; k < n; k++)
			putc1(b, "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789"[diff_rn(42)]);
		break;
	case 2:
		n = 1 + diff_rn(6);
		for (k = 0; k < n; k++)
			putc1(b, "abcxyz019-._~"[diff_rn(13)]);
		break;
	default:
		puts0(b, PICK(words));
		n = 1 + diff_rn(2);
		for (k = 0; k < n; k++)
			puts0(b, PICK(odd_chars));
		if (diff_rn(2))
			puts0(b, PICK(words));
	}
}

static void
gen_path(struct buf *b)
{
	size_t k, n = diff_rn(4);

	if (diff_rn(10) == 0) {
		gen_elem(b);
	} else {
		puts0(b, clean ? PICK(good_firsts) : PICK(firsts));
		if (!clean && diff_rn(8) == 0)
			puts0(b, PICK(odd_chars));
	}
	for (k = 0; k < n; k++) {
		putc1(b, '/');
		gen_elem(b);
	}
	if (diff_rn(3) == 0)
		puts0(b, PICK(suffixes));
	if (clean)
		return;
	if (diff_rn(20) == 0)
		putc1(b, '/');
	if (diff_rn(30) == 0 && b->n > 0)
		b->b[diff_rn(b->n)] = (char)diff_rn(256);
}

static void
gen_num(struct buf *b)
{
	static const char *const nums[] = {
		"0", "1", "2", "9", "10", "00", "01", "123", "999999999999999999999",
		"18446744073709551616", "",
	};
	static const char *const good[] = { "0", "1", "2", "3", "9", "10", "11", "123" };
	puts0(b, clean ? PICK(good) : PICK(nums));
}

static void
gen_ident(struct buf *b)
{
	static const char *const ids[] = {
		"alpha", "beta", "rc", "0", "1", "01", "00", "10", "x-y", "-", "A",
		"", "pre", "build", "incompatible", "0a", "a0", "\xc3\xa9", "_",
	};
	static const char *const good[] = {
		"alpha", "beta", "rc", "0", "1", "2", "10", "x-y", "-", "A", "a0",
		"0a", "pre",
	};
	puts0(b, clean ? PICK(good) : PICK(ids));
}

static void
gen_timestamp(struct buf *b)
{
	size_t k, n = diff_rn(10) == 0 ? 13 + diff_rn(3) : 14;

	for (k = 0; k < n; k++)
		putc1(b, (char)('0' + diff_rn(10)));
}

static void
gen_rev(struct buf *b)
{
	static const char *const revs[] = {
		"abcdef123456", "000000000000", "ABCDEF", "a", "", "ab-cd", "ab.cd",
		"abcdef123456+incompatible", "abc+build.1", "abc+", "abc+.x",
	};
	puts0(b, PICK(revs));
}

static void
gen_version(struct buf *b)
{
	size_t k, n;

	if (diff_rn(3) == 0) {
		/* pseudo-versions in their three forms, sometimes broken */
		puts0(b, "v");
		gen_num(b);
		switch (diff_rn(3)) {
		case 0:
			puts0(b, ".0.0-");
			break;
		case 1:
			putc1(b, '.');
			gen_num(b);
			putc1(b, '.');
			gen_num(b);
			puts0(b, "-0.");
			break;
		default:
			putc1(b, '.');
			gen_num(b);
			putc1(b, '.');
			gen_num(b);
			putc1(b, '-');
			gen_ident(b);
			if (diff_rn(2)) {
				putc1(b, '.');
				gen_ident(b);
			}
			puts0(b, ".0.");
		}
		gen_timestamp(b);
		putc1(b, '-');
		gen_rev(b);
		if (diff_rn(4) == 0)
			puts0(b, "+incompatible");
	} else {
		if (clean || diff_rn(20) != 0)
			putc1(b, clean || diff_rn(15) ? 'v' : 'V');
		gen_num(b);
		if (diff_rn(6) != 0) {
			putc1(b, '.');
			gen_num(b);
			if (diff_rn(6) != 0) {
				putc1(b, '.');
				gen_num(b);
			}
		}
		if (diff_rn(3) == 0) {
			putc1(b, '-');
			n = 1 + diff_rn(3);
			for (k = 0; k < n; k++) {
				if (k > 0)
					putc1(b, '.');
				gen_ident(b);
			}
		}
		if (diff_rn(4) == 0) {
			putc1(b, '+');
			n = 1 + diff_rn(2);
			for (k = 0; k < n; k++) {
				if (k > 0)
					putc1(b, '.');
				gen_ident(b);
			}
		}
	}
	if (clean)
		return;
	if (diff_rn(15) == 0)
		puts0(b, PICK(odd_chars));
	if (diff_rn(25) == 0 && b->n > 0)
		b->b[diff_rn(b->n)] = (char)diff_rn(256);
}

/* An escaped-looking string: lower-case with "!x" escapes and mistakes. */
static void
gen_escaped(struct buf *b, int version)
{
	struct buf raw = { .n = 0 };
	size_t i;

	if (version)
		gen_version(&raw);
	else
		gen_path(&raw);
	for (i = 0; i < raw.n; i++) {
		char c = raw.b[i];

		if (c >= 'A' && c <= 'Z' && diff_rn(8) != 0) {
			putc1(b, '!');
			putc1(b, (char)(c - 'A' + 'a'));
		} else {
			putc1(b, c);
		}
		if (!clean && diff_rn(40) == 0)
			puts0(b, diff_rn(2) ? "!" : "!q");
	}
}

/* ---- path.Match patterns and GOPRIVATE-style lists ---- */

/* A rune for glob cases: mostly path characters, sometimes the pattern's
 * own metacharacters, Unicode or broken UTF-8.  Never NUL: patterns come
 * from command lines. */
static const char *
glob_char(void)
{
	static const char *const common[] = {
		"a", "b", "c", "x", "y", "z", "0", "9", ".", "-", "_", "A", "Z",
	};
	static const char *const odd[] = {
		"/", "*", "?", "[", "]", "^", "\\", ",", " ", "~", "\xc3\xa9",
		"\xe4\xb8\xad", "\xf0\x9f\x98\x80", "\xff", "\xc3", "\xed\xa0\x80",
	};

	return diff_rn(clean ? 12 : 4) != 0 ? PICK(common) : PICK(odd);
}

/*
 * Appends a pattern to pat and, alongside, a name it should match to name
 * (each '*' standing for a few characters, each '?' and class for one
 * rune of it); then, unless clean, mutates either side now and then, so
 * that both matches and near misses are asked about.
 */
static void
gen_glob(struct buf *pat, struct buf *name, int elems)
{
	static const char *const classes[][2] = {
		{ "[a-z]", "q" }, { "[^a-z]", "Q" }, { "[^a-z]", "q" },
		{ "[abc]", "b" }, { "[\\]]", "]" }, { "[\\-]", "-" },
		{ "[a-]", "a" }, { "[-a]", "a" }, { "[]", "a" }, { "[^]", "a" },
		{ "[z-a]", "m" }, { "[", "[" }, { "[a", "a" }, { "[\\", "\\" },
		{ "[^/]", "/" }, { "[\xc3\xa9-\xe4\xb8\xad]", "\xe4\xb8\x80" },
		{ "[a-\\", "a" }, { "[\\a-\\z]", "m" }, { "]", "]" },
	};
	size_t k, j, n = 1 + diff_rn(6);
	int e;

	for (e = 0; e < elems; e++) {
		if (e > 0) {
			putc1(pat, '/');
			putc1(name, '/');
		}
		for (k = 0; k < n; k++) {
			switch (diff_rn(8)) {
			case 0: {
				size_t m = diff_rn(4);

				puts0(pat, diff_rn(4) ? "*" : "**");
				for (j = 0; j < m; j++)
					puts0(name, glob_char());
				break;
			}
			case 1:
				putc1(pat, '?');
				puts0(name, glob_char());
				break;
			case 2: {
				size_t c = clean ? diff_rn(7) : diff_rn(sizeof classes / sizeof classes[0]);

				puts0(pat, classes[c][0]);
				puts0(name, classes[c][1]);
				break;
			}
			case 3: {
				const char *c = glob_char();

				putc1(pat, '\\');
				puts0(pat, c);
				puts0(name, c);
				break;
			}
			default: {
				const char *c = glob_char();

				/* a metacharacter stands for itself only escaped */
				if (strchr("*?[\\", c[0]) != NULL && c[1] == '\0')
					c = "m";
				puts0(pat, c);
				puts0(name, c);
			}
			}
		}
	}
	if (clean)
		return;
	if (diff_rn(6) == 0 && name->n > 0)
		name->b[diff_rn(name->n)] = *glob_char();
	if (diff_rn(10) == 0)
		puts0(diff_rn(2) ? pat : name, glob_char());
	if (diff_rn(20) == 0)
		putc1(pat, '\\');
}

static int
gen(uint64_t seed, long n)
{
	static const char *const kinds[] = {
		"path", "ver", "check", "cmp", "unesc", "lookup", "match", "prefix",
	};
	size_t kind;
	long i;

	diff_rng = seed;
	for (kind = 0; kind < 8; kind++) {
		for (i = 0; i < n; i++) {
			struct buf a = { .n = 0 }, b = { .n = 0 };

			clean = diff_rn(2) == 0;

			switch (kind) {
			case 0:
				gen_path(&a);
				break;
			case 1:
				gen_version(&a);
				break;
			case 2:
				gen_path(&a);
				gen_version(&b);
				break;
			case 3:
				gen_version(&a);
				if (diff_rn(4) == 0)
					b = a;
				else
					gen_version(&b);
				break;
			case 4:
				gen_escaped(&a, (int)diff_rn(2));
				break;
			case 5:
				gen_escaped(&a, 0);
				if (clean || diff_rn(20) != 0)
					putc1(&a, '@');
				gen_escaped(&a, 1);
				if (!clean && diff_rn(20) == 0)
					puts0(&a, PICK(odd_chars));
				break;
			case 6:
				gen_glob(&a, &b, 1 + (int)diff_rn(3));
				break;
			default: {
				/* a list of one to three patterns, some empty or with
				 * a trailing '/'; the target grows from one of them */
				size_t k, m = 1 + diff_rn(3), pick = diff_rn(m);

				for (k = 0; k < m; k++) {
					struct buf t = { .n = 0 };

					if (k > 0)
						putc1(&a, ',');
					if (diff_rn(8) == 0)
						continue;
					gen_glob(&a, k == pick ? &b : &t, 1 + (int)diff_rn(3));
					if (diff_rn(6) == 0)
						putc1(&a, '/');
				}
				m = diff_rn(3);
				for (k = 0; k < m; k++) {
					putc1(&b, '/');
					gen_elem(&b);
				}
			}
			}
			fputs(kinds[kind], stdout);
			putchar('\t');
			diff_hex_put(stdout, a.b, a.n);
			if (kind == 2 || kind == 3 || kind >= 6) {
				putchar('\t');
				diff_hex_put(stdout, b.b, b.n);
			}
			putchar('\n');
		}
	}
	return ferror(stdout) ? 1 : 0;
}

/* ---- eval ---- */

static void
pr_hex(const char *s, size_t n)
{
	putchar('=');
	diff_hex_put(stdout, s, n);
}

static void
pr_alloc(int err, char *s, size_t n)
{
	if (err != SDB_OK)
		fputs("err", stdout);
	else
		pr_hex(s, n);
	free(s);
}

static const char *
ok(int err)
{
	return err == SDB_OK ? "ok" : "err";
}

static void
eval_path(const char *p, size_t n)
{
	char *esc;
	size_t elen = 0, prefix;
	int split, err;

	printf("path\t%s", ok(sdb_module_check_path(p, n, NULL)));
	printf("\t%s", ok(sdb_module_check_import_path(p, n, NULL)));
	printf("\t%s\t", ok(sdb_module_check_file_path(p, n, NULL)));
	err = sdb_module_escape_path(p, n, &esc, &elen, NULL);
	pr_alloc(err, esc, elen);
	split = sdb_module_split_path_version(p, n, &prefix);
	putchar('\t');
	/* x/mod returns (path, "", false) on a malformed suffix */
	pr_hex(p, prefix);
	putchar(',');
	pr_hex(p + prefix, n - prefix);
	printf(",%d\n", split);
}

static void
eval_ver(const char *v, size_t n)
{
	char canon[1100], *esc;
	size_t cn = 0, off, pn, elen = 0;
	int err;

	printf("ver\t%d\t", sdb_semver_is_valid(v, n));
	if (sdb_semver_canonical(v, n, canon, sizeof canon, &cn) != SDB_OK)
		cn = 0;
	pr_hex(canon, cn);
	putchar('\t');
	pr_hex(v, sdb_semver_major_len(v, n));
	putchar('\t');
	(void)sdb_semver_prerelease(v, n, &off, &pn);
	pr_hex(v + off, pn);
	putchar('\t');
	(void)sdb_semver_build(v, n, &off, &pn);
	pr_hex(v + off, pn);
	printf("\t%d\t", sdb_module_is_pseudo_version(v, n));
	err = sdb_module_escape_version(v, n, &esc, &elen, NULL);
	pr_alloc(err, esc, elen);
	putchar('\n');
}

static void
eval_lookup(const char *s, size_t n)
{
	char *p, *v;
	size_t pl, vl;
	int err = sdb_lookup_parse(s, n, &p, &pl, &v, &vl, NULL);

	if (err == SDB_OK) {
		fputs("lookup\t", stdout);
		pr_hex(p, pl);
		putchar('\t');
		pr_hex(v, vl);
		putchar('\n');
		free(p);
		free(v);
		return;
	}
	printf("lookup\t%s\n", err == SDB_ERR_BAD_PATH ? "path" :
	    err == SDB_ERR_BAD_VERSION ? "version" : "syntax");
}

static int
eval(void)
{
	char *line = NULL, *f[3];
	size_t cap = 0, nf, an, bn;
	char a[4096], b[4096];
	int status = 0;

	while (diff_getline(&line, &cap, stdin) >= 0) {
		if (line[0] == '\0')
			continue;
		nf = diff_split(line, f, 3);
		if (nf < 2 || nf > 3 || diff_unhex(a, sizeof a, f[1], strlen(f[1]), &an) < 0)
			goto bad;
		bn = 0;
		if (nf == 3 && diff_unhex(b, sizeof b, f[2], strlen(f[2]), &bn) < 0)
			goto bad;
		if (strcmp(f[0], "path") == 0) {
			eval_path(a, an);
		} else if (strcmp(f[0], "ver") == 0) {
			eval_ver(a, an);
		} else if (strcmp(f[0], "check") == 0 && nf == 3) {
			int err = sdb_module_check(a, an, b, bn, NULL);

			printf("check\t%s\n", err == SDB_OK ? "ok" :
			    err == SDB_ERR_BAD_PATH ? "path" : "version");
		} else if (strcmp(f[0], "cmp") == 0 && nf == 3) {
			printf("cmp\t%d\n", sdb_semver_compare(a, an, b, bn));
		} else if (strcmp(f[0], "unesc") == 0) {
			char *p;
			size_t pl = 0;
			int err;

			fputs("unesc\t", stdout);
			err = sdb_module_unescape_path(a, an, &p, &pl, NULL);
			pr_alloc(err, p, pl);
			putchar('\t');
			err = sdb_module_unescape_version(a, an, &p, &pl, NULL);
			pr_alloc(err, p, pl);
			putchar('\n');
		} else if (strcmp(f[0], "lookup") == 0) {
			eval_lookup(a, an);
		} else if (strcmp(f[0], "match") == 0 && nf == 3 && an < sizeof a &&
		    bn < sizeof b && memchr(a, '\0', an) == NULL && memchr(b, '\0', bn) == NULL) {
			int m;

			a[an] = b[bn] = '\0';
			m = sdb_path_match(a, b);
			printf("match\t%s\n", m < 0 ? "err" : m ? "1" : "0");
		} else if (strcmp(f[0], "prefix") == 0 && nf == 3 && an < sizeof a &&
		    bn < sizeof b && memchr(a, '\0', an) == NULL && memchr(b, '\0', bn) == NULL) {
			a[an] = b[bn] = '\0';
			printf("prefix\t%d\n", sdb_module_match_prefix_patterns(a, b));
		} else {
			goto bad;
		}
	}
	status = ferror(stdout) ? 1 : 0;
	free(line);
	return status;
bad:
	fprintf(stderr, "diff_module: bad input line\n");
	free(line);
	return 1;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "gen") == 0) {
		char *end;
		unsigned long long seed = strtoull(argv[2], &end, 10);
		long n;

		if (*argv[2] == '\0' || *end != '\0')
			goto usage;
		n = strtol(argv[3], &end, 10);
		if (*argv[3] == '\0' || *end != '\0' || n < 0)
			goto usage;
		return gen(seed, n);
	}
	if (argc == 2 && strcmp(argv[1], "eval") == 0)
		return eval();
usage:
	fprintf(stderr, "usage: diff_module gen SEED N | diff_module eval\n");
	return 1;
}
