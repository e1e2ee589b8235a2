/*
 * Semantic versions as Go modules use them (include/csumdb/module.h): the
 * parser, canonical form and ordering of golang.org/x/mod v0.7.0
 * semver/semver.go ("v" prefix, "v1" and "v1.2" shorthands, no leading
 * zeros), and module.IsPseudoVersion from module/pseudo.go.  Versions in
 * records and go.sum lines are checked with these; tests/diff/module.sh
 * compares them with x/mod.
 */
#include "config.h"

#include <string.h>

#include "bytes.h"
#include "csumdb/module.h"
#include "module_int.h"

/* Spans of v; minor/patch are absent (len 0) in shorthands. */
struct semver {
	size_t major_off, major_len;
	size_t minor_off, minor_len;
	size_t patch_off, patch_len;
	size_t short_len;      /* 4 for "v1" (".0.0"), 2 for "v1.2" (".0") */
	size_t pre_off, pre_len;
	size_t build_off, build_len;
};

static int
is_ident_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A numeric identifier with a leading zero ("01"), which semver forbids. */
static int
is_bad_num(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && is_digit(s[i]))
		i++;
	return i == n && i > 1 && s[0] == '0';
}

/* Parses a number at v[*i..len) without leading zeros. */
static int
parse_int(const char *v, size_t len, size_t *i, size_t *off, size_t *n)
{
	size_t j = *i;

	if (j >= len || !is_digit(v[j]))
		return 0;
	while (j < len && is_digit(v[j]))
		j++;
	if (v[*i] == '0' && j - *i != 1)
		return 0;
	*off = *i;
	*n = j - *i;
	*i = j;
	return 1;
}

static int
parse(const char *v, size_t len, struct semver *p)
{
	size_t i = 1, start;

	memset(p, 0, sizeof *p);
	if (len == 0 || v[0] != 'v')
		return 0;
	if (!parse_int(v, len, &i, &p->major_off, &p->major_len))
		return 0;
	if (i == len) {
		p->short_len = 4;
		return 1;
	}
	if (v[i] != '.')
		return 0;
	i++;
	if (!parse_int(v, len, &i, &p->minor_off, &p->minor_len))
		return 0;
	if (i == len) {
		p->short_len = 2;
		return 1;
	}
	if (v[i] != '.')
		return 0;
	i++;
	if (!parse_int(v, len, &i, &p->patch_off, &p->patch_len))
		return 0;
	if (i < len && v[i] == '-') {
		p->pre_off = i;
		start = ++i;
		for (; i < len && v[i] != '+'; i++) {
			if (!is_ident_char(v[i]) && v[i] != '.')
				return 0;
			if (v[i] == '.') {
				if (start == i || is_bad_num(v + start, i - start))
					return 0;
				start = i + 1;
			}
		}
		if (start == i || is_bad_num(v + start, i - start))
			return 0;
		p->pre_len = i - p->pre_off;
	}
	if (i < len && v[i] == '+') {
		p->build_off = i;
		start = ++i;
		for (; i < len; i++) {
			if (!is_ident_char(v[i]) && v[i] != '.')
				return 0;
			if (v[i] == '.') {
				if (start == i)
					return 0;
				start = i + 1;
			}
		}
		if (start == i)
			return 0;
		p->build_len = i - p->build_off;
	}
	return i == len;
}

int
sdb_semver_is_valid(const char *v, size_t len)
{
	struct semver p;

	return parse(v, len, &p);
}

int
sdb_semver_canonical(const char *v, size_t len, char *out, size_t cap,
    size_t *outlen)
{
	struct semver p;
	size_t n;

	if (!parse(v, len, &p))
		return SDB_ERR_BAD_VERSION;
	if (cap < len + 5)
		return SDB_ERR_TOO_LARGE;
	n = p.build_len != 0 ? len - p.build_len : len;
	memcpy(out, v, n);
	if (p.short_len == 4) {
		memcpy(out + n, ".0.0", 4);
		n += 4;
	} else if (p.short_len == 2) {
		memcpy(out + n, ".0", 2);
		n += 2;
	}
	out[n] = '\0';
	if (outlen != NULL)
		*outlen = n;
	return SDB_OK;
}

static int
compare_int(const char *x, size_t xn, const char *y, size_t yn)
{
	int c;

	if (xn != yn)
		return xn < yn ? -1 : 1;
	c = memcmp(x, y, xn);
	return c < 0 ? -1 : c > 0;
}

/* A shorthand's missing minor or patch is "0". */
static void
part(const char *v, size_t off, size_t n, const char **s, size_t *sn)
{
	if (n == 0) {
		*s = "0";
		*sn = 1;
	} else {
		*s = v + off;
		*sn = n;
	}
}

static int
all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

/* Prereleases include their leading '-'; "" sorts after any prerelease. */
static int
compare_prerelease(const char *x, size_t xn, const char *y, size_t yn)
{
	size_t i = 0, j = 0;

	if (xn == yn && memcmp(x, y, xn) == 0)
		return 0;
	if (xn == 0)
		return 1;
	if (yn == 0)
		return -1;
	while (i < xn && j < yn) {
		size_t a, b;
		int ix, iy;

		i++;	/* skip '-' or '.' */
		j++;
		for (a = i; i < xn && x[i] != '.'; i++)
			;
		for (b = j; j < yn && y[j] != '.'; j++)
			;
		if (i - a == j - b && memcmp(x + a, y + b, i - a) == 0)
			continue;
		ix = all_digits(x + a, i - a);
		iy = all_digits(y + b, j - b);
		if (ix != iy)
			return ix ? -1 : 1;
		if (ix && i - a != j - b)
			return i - a < j - b ? -1 : 1;
		return sdb_bytes_cmp(x + a, i - a, y + b, j - b);
	}
	return i >= xn ? -1 : 1;
}

int
sdb_semver_compare(const char *v, size_t vlen, const char *w, size_t wlen)
{
	struct semver pv, pw;
	int okv = parse(v, vlen, &pv), okw = parse(w, wlen, &pw), c;
	const char *a, *b;
	size_t an, bn;

	if (!okv && !okw)
		return 0;
	if (!okv)
		return -1;
	if (!okw)
		return 1;
	if ((c = compare_int(v + pv.major_off, pv.major_len, w + pw.major_off,
	    pw.major_len)) != 0)
		return c;
	part(v, pv.minor_off, pv.minor_len, &a, &an);
	part(w, pw.minor_off, pw.minor_len, &b, &bn);
	if ((c = compare_int(a, an, b, bn)) != 0)
		return c;
	part(v, pv.patch_off, pv.patch_len, &a, &an);
	part(w, pw.patch_off, pw.patch_len, &b, &bn);
	if ((c = compare_int(a, an, b, bn)) != 0)
		return c;
	return compare_prerelease(v + pv.pre_off, pv.pre_len, w + pw.pre_off,
	    pw.pre_len);
}

size_t
sdb_semver_major_len(const char *v, size_t len)
{
	struct semver p;

	if (!parse(v, len, &p))
		return 0;
	return 1 + p.major_len;
}

int
sdb_semver_info(const char *v, size_t len, struct sdb_semver_info *out)
{
	struct semver p;

	memset(out, 0, sizeof *out);
	if (!parse(v, len, &p))
		return 0;
	out->major_len = 1 + p.major_len;
	out->build_off = p.build_off;
	out->build_len = p.build_len;
	out->shorthand = p.short_len != 0;
	return 1;
}

int
sdb_semver_prerelease(const char *v, size_t len, size_t *off, size_t *n)
{
	struct semver p;
	int ok = parse(v, len, &p);

	*off = ok ? p.pre_off : 0;
	*n = ok ? p.pre_len : 0;
	return ok;
}

int
sdb_semver_build(const char *v, size_t len, size_t *off, size_t *n)
{
	struct semver p;
	int ok = parse(v, len, &p);

	*off = ok ? p.build_off : 0;
	*n = ok ? p.build_len : 0;
	return ok;
}

/*
 * The tail of x/mod's pseudoVersionRE at s[i..len):
 * \d{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$
 */
static int
pseudo_tail(const char *s, size_t i, size_t len)
{
	size_t k, start;

	for (k = 0; k < 14; k++, i++)
		if (i >= len || !is_digit(s[i]))
			return 0;
	if (i >= len || s[i] != '-')
		return 0;
	start = ++i;
	while (i < len && is_ident_char(s[i]) && s[i] != '-')
		i++;
	if (i == start)
		return 0;
	if (i == len)
		return 1;
	if (s[i] != '+')
		return 0;
	for (;;) {
		start = ++i;
		while (i < len && is_ident_char(s[i]))
			i++;
		if (i == start)
			return 0;
		if (i == len)
			return 1;
		if (s[i] != '.')
			return 0;
	}
}

/*
 * x/mod pseudoVersionRE:
 * ^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(\+...)?$
 * The second alternative's ([^+]*\.)? is tried at every '.' it could end
 * on, since a regexp would backtrack to each of them.
 */
static int
pseudo_re(const char *s, size_t len)
{
	size_t i = 1, j, start;

	if (len == 0 || s[0] != 'v')
		return 0;
	if ((j = i) >= len || !is_digit(s[j]))
		return 0;
	while (j < len && is_digit(s[j]))
		j++;
	if (j >= len || s[j] != '.')
		return 0;
	i = j + 1;
	/* alternative 1: "0.0-" */
	if (len - i >= 4 && memcmp(s + i, "0.0-", 4) == 0 &&
	    pseudo_tail(s, i + 4, len))
		return 1;
	/* alternative 2: \d+\.\d+- */
	for (j = i; j < len && is_digit(s[j]); j++)
		;
	if (j == i || j >= len || s[j] != '.')
		return 0;
	i = ++j;
	for (; j < len && is_digit(s[j]); j++)
		;
	if (j == i || j >= len || s[j] != '-')
		return 0;
	start = j + 1;
	for (i = start; i <= len; i++) {
		/* ([^+]*\.)? ends just before i: empty, or s[i-1] == '.' */
		if (i == start || s[i - 1] == '.') {
			if (len - i >= 2 && s[i] == '0' && s[i + 1] == '.' &&
			    pseudo_tail(s, i + 2, len))
				return 1;
		}
		if (i < len && s[i] == '+')
			break;
	}
	return 0;
}

int
sdb_module_is_pseudo_version(const char *v, size_t len)
{
	size_t i, dashes = 0;

	for (i = 0; i < len; i++)
		dashes += v[i] == '-';
	return dashes >= 2 && sdb_semver_is_valid(v, len) && pseudo_re(v, len);
}
