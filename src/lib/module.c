/*
 * Module, import and file path checks, the "!x" case escaping of paths and
 * versions, and the /lookup/ request gate (include/csumdb/module.h).  The
 * rules are those of golang.org/x/mod v0.7.0 module/module.go and
 * sumdb/server.go, which is what the go command enforces; PROTOCOL.md
 * "Lookup syntax gate" and "h1: hashes" (zip names pass CheckFilePath)
 * depend on them.  tests/diff/module.sh compares every verdict with x/mod.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/module.h"
#include "limits.h"
#include "module_int.h"
#include "module_letters.h"

enum path_kind { KIND_MODULE, KIND_IMPORT, KIND_FILE };

static const char *const kind_name[] = { "module", "import", "file" };

char *
sdb_quote(char *buf, size_t cap, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i;

	if (cap < 8) {
		if (cap > 0)
			buf[0] = '\0';
		return buf;
	}
	buf[o++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[4];
		size_t n = 0, k;

		if (c == '"' || c == '\\') {
			tmp[n++] = '\\';
			tmp[n++] = (char)c;
		} else if (c >= 0x20 && c < 0x7f) {
			tmp[n++] = (char)c;
		} else {
			tmp[n++] = '\\';
			tmp[n++] = 'x';
			tmp[n++] = hex[c >> 4];
			tmp[n++] = hex[c & 15];
		}
		/* keep room for the closing quote, "..." and the NUL */
		if (o + n + 5 > cap) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		for (k = 0; k < n; k++)
			buf[o++] = tmp[k];
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

uint32_t
sdb_utf8_decode(const unsigned char *s, size_t len, size_t *size)
{
	uint32_t r, min;
	size_t n, i;

	if (s[0] < 0x80) {
		*size = 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		r = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		r = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		r = s[0] & 0x07;
		min = 0x10000;
	} else {
		goto bad;
	}
	if (len < n)
		goto bad;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		r = r << 6 | (s[i] & 0x3f);
	}
	if (r < min || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
		goto bad;
	*size = n;
	return r;
bad:
	*size = 1;
	return 0xfffd;
}

static int
valid_utf8(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		uint32_t r = sdb_utf8_next((const unsigned char *)s + i, len - i, &n);

		/* U+FFFD written out in 3 bytes is valid; size 1 means invalid */
		if (r == 0xfffd && n == 1)
			return 0;
		i += n;
	}
	return 1;
}

static int
is_letter(uint32_t r)
{
	size_t lo = 0, hi = sizeof sdb_letter_ranges / sizeof sdb_letter_ranges[0];

	if (r < 0x80)
		return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r < sdb_letter_ranges[mid][0])
			hi = mid;
		else if (r > sdb_letter_ranges[mid][1])
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

static int
is_alnum(uint32_t r)
{
	return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') ||
	    (r >= 'A' && r <= 'Z');
}

static int
first_path_ok(uint32_t r)
{
	return r == '-' || r == '.' || (r >= '0' && r <= '9') ||
	    (r >= 'a' && r <= 'z');
}

static int
mod_path_ok(uint32_t r)
{
	return r == '-' || r == '.' || r == '_' || r == '~' || is_alnum(r);
}

static int
file_name_ok(uint32_t r)
{
	if (r < 0x80)
		return is_alnum(r) ||
		    (r != 0 && strchr("!#$%&()+,-.=@[]^_{}~ ", (int)r) != NULL);
	return is_letter(r);
}

static int
rune_ok(uint32_t r, enum path_kind kind)
{
	switch (kind) {
	case KIND_MODULE: return mod_path_ok(r);
	case KIND_IMPORT: return mod_path_ok(r) || r == '+';
	case KIND_FILE: return file_name_ok(r);
	}
	return 0;
}

/* Formats a rune for a message the way Go's %q prints one, roughly. */
static void
rune_text(char *buf, size_t cap, uint32_t r)
{
	if (r >= 0x20 && r < 0x7f && r != '\'' && r != '\\')
		snprintf(buf, cap, "'%c'", (int)r);
	else
		snprintf(buf, cap, "U+%04X", (unsigned)r);
}

static const char *const bad_windows_names[] = {
	"CON", "PRN", "AUX", "NUL",
	"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
	"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
};

/* ASCII-only case folding is enough: no non-ASCII rune folds to a letter
 * of the reserved names (Kelvin sign and long s fold to k and s). */
static int
equal_fold_ascii(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'a' && x <= 'z')
			x = (unsigned char)(x - 'a' + 'A');
		if (y >= 'a' && y <= 'z')
			y = (unsigned char)(y - 'a' + 'A');
		if (x != y)
			return 0;
	}
	return 1;
}

/* e[0..short_len) is one of the names Windows reserves, in any case. */
static int
is_bad_windows_name(const char *e, size_t short_len)
{
	size_t i;

	/* every reserved name is 3 or 4 bytes long */
	for (i = 0; (short_len == 3 || short_len == 4) &&
	    i < sizeof bad_windows_names / sizeof bad_windows_names[0]; i++) {
		const char *bad = bad_windows_names[i];

		if (strlen(bad) == short_len && equal_fold_ascii(bad, e, short_len))
			return 1;
	}
	return 0;
}

/*
 * x/mod checkElem.  Writes the reason (without the "malformed ... path"
 * prefix) into why on failure and returns -1; 0 when the element is fine.
 */
static int
check_elem(const char *e, size_t len, enum path_kind kind, char *why,
    size_t whycap)
{
	char q[64];
	size_t i, n, short_len, dots = 0;

	if (len == 0) {
		snprintf(why, whycap, "empty path element");
		return -1;
	}
	for (i = 0; i < len; i++)
		dots += e[i] == '.';
	if (dots == len) {
		snprintf(why, whycap, "invalid path element %s",
		    sdb_quote(q, sizeof q, e, len));
		return -1;
	}
	if (e[0] == '.' && kind == KIND_MODULE) {
		snprintf(why, whycap, "leading dot in path element");
		return -1;
	}
	if (e[len - 1] == '.') {
		snprintf(why, whycap, "trailing dot in path element");
		return -1;
	}
	for (i = 0; i < len; i += n) {
		uint32_t r = sdb_utf8_next((const unsigned char *)e + i, len - i, &n);

		if (!rune_ok(r, kind)) {
			rune_text(q, sizeof q, r);
			snprintf(why, whycap, "invalid char %s", q);
			return -1;
		}
	}
	short_len = len;
	for (i = 0; i < len; i++) {
		if (e[i] == '.') {
			short_len = i;
			break;
		}
	}
	if (is_bad_windows_name(e, short_len)) {
		snprintf(why, whycap,
		    "%s disallowed as path element component on Windows",
		    sdb_quote(q, sizeof q, e, short_len));
		return -1;
	}
	if (kind == KIND_FILE)
		return 0;
	/* "~digits" is how Windows spells short names (PROGRA~1). */
	for (i = short_len; i > 0; i--) {
		if (e[i - 1] == '~')
			break;
	}
	if (i > 0 && i < short_len) {
		size_t k;
		int digits = 1;

		for (k = i; k < short_len; k++) {
			if (e[k] < '0' || e[k] > '9') {
				digits = 0;
				break;
			}
		}
		if (digits) {
			snprintf(why, whycap,
			    "trailing tilde and digits in path element");
			return -1;
		}
	}
	return 0;
}

/* x/mod checkPath: -1 with the reason in why, or 0. */
static int
check_path_kind(const char *p, size_t len, enum path_kind kind, char *why,
    size_t whycap)
{
	size_t i, start = 0;

	if (!valid_utf8(p, len)) {
		snprintf(why, whycap, "invalid UTF-8");
		return -1;
	}
	if (len == 0) {
		snprintf(why, whycap, "empty string");
		return -1;
	}
	if (p[0] == '-' && kind != KIND_FILE) {
		snprintf(why, whycap, "leading dash");
		return -1;
	}
	for (i = 0; i + 1 < len; i++) {
		if (p[i] == '/' && p[i + 1] == '/') {
			snprintf(why, whycap, "double slash");
			return -1;
		}
	}
	if (p[len - 1] == '/') {
		snprintf(why, whycap, "trailing slash");
		return -1;
	}
	for (i = 0; i <= len; i++) {
		if (i == len || p[i] == '/') {
			if (check_elem(p + start, i - start, kind, why, whycap) < 0)
				return -1;
			start = i + 1;
		}
	}
	return 0;
}

static int
path_error(struct sdb_errbuf *eb, enum path_kind kind, const char *p,
    size_t len, const char *why)
{
	char q[128];

	return sdb_errf(eb, SDB_ERR_BAD_PATH, "malformed %s path %s: %s",
	    kind_name[kind], sdb_quote(q, sizeof q, p, len), why);
}

/*
 * A quick yes for the common module path, every byte in [a-z0-9.-] and
 * '/' (what nearly every path in a log is), for which x/mod's CheckPath
 * reduces to: no empty element (no leading, trailing or double slash), no
 * element starting or ending in '.' (which covers the all-dots ones), no
 * reserved Windows name, no leading '-', a dot in the first element and
 * a valid major version suffix.  UTF-8 and the per-rune checks hold by
 * construction; '~' (the short-name rule), '_' and upper case are left
 * to the full check.  Returns 1 only when check_module_path_slow would
 * return 0; 0 means "ask the full check", which gives the message.
 * tests/unit/test_module.c compares the two.
 */
#define ONES8 UINT64_C(0x0101010101010101)

/* 0x80 in each byte of x strictly between m and n (m < n <= 128); a
 * byte over 0x7f never is.  Each byte is computed alone: no carry or
 * borrow crosses into its neighbour. */
static inline uint64_t
bytes_between(uint64_t x, unsigned m, unsigned n)
{
	uint64_t low = x & (ONES8 * 127);

	return (ONES8 * (127 + n) - low) & ~x & (low + ONES8 * (127 - m)) & (ONES8 * 128);
}

/* How many of the (at most 8) bytes at p[i..len) are in [a-z0-9-]. */
static inline size_t
plain_run(const char *p, size_t i, size_t len)
{
	uint64_t w, plain;

	if (len - i < 8)
		return 0;
	memcpy(&w, p + i, 8);
	plain = bytes_between(w, 'a' - 1, 'z' + 1) | bytes_between(w, '0' - 1, '9' + 1) |
	    bytes_between(w, '-' - 1, '-' + 1);
	if (plain == ONES8 * 128)
		return 8;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t)__builtin_ctzll(~plain & (ONES8 * 128)) / 8;
#else
	return 0;
#endif
}

int
sdb_module_path_fast_ok(const char *p, size_t len)
{
	size_t i, start = 0, short_len = SIZE_MAX, prefix;
	int first_dot = -1;

	if (len == 0 || p[0] == '-')
		return 0;
	for (i = 0; i <= len; i++) {
		unsigned char c;

		/* most bytes are plain: skip them a word at a time */
		if (i < len)
			i += plain_run(p, i, len);
		c = i < len ? (unsigned char)p[i] : '/';

		/* one test, not a branch per class: paths mix letters and
		 * digits unpredictably (hashes, dates, version numbers) */
		if (((unsigned)(c - 'a') < 26) | ((unsigned)(c - '0') < 10) | (c == '-'))
			continue;
		if (c == '.') {
			if (short_len == SIZE_MAX)
				short_len = i - start;
			continue;
		}
		if (c != '/')
			return 0;
		if (i == start || p[start] == '.' || p[i - 1] == '.')
			return 0;
		if (short_len == SIZE_MAX)
			short_len = i - start;
		if (is_bad_windows_name(p + start, short_len))
			return 0;
		if (first_dot < 0)
			first_dot = short_len < i - start;
		start = i + 1;
		short_len = SIZE_MAX;
	}
	return first_dot == 1 && sdb_module_split_path_version(p, len, &prefix);
}

/* module.CheckPath without the message prefix: -1 and why, or 0. */
static int
check_module_path_slow(const char *p, size_t len, char *why, size_t whycap)
{
	size_t i, first, n, prefix;
	int dot = 0;

	if (check_path_kind(p, len, KIND_MODULE, why, whycap) < 0)
		return -1;
	for (first = 0; first < len && p[first] != '/'; first++)
		dot |= p[first] == '.';
	if (first == 0) {
		snprintf(why, whycap, "leading slash");
		return -1;
	}
	if (!dot) {
		snprintf(why, whycap, "missing dot in first path element");
		return -1;
	}
	if (p[0] == '-') {
		snprintf(why, whycap, "leading dash in first path element");
		return -1;
	}
	for (i = 0; i < first; i += n) {
		uint32_t r = sdb_utf8_next((const unsigned char *)p + i, first - i, &n);

		if (!first_path_ok(r)) {
			char q[32];

			rune_text(q, sizeof q, r);
			snprintf(why, whycap, "invalid char %s in first path element", q);
			return -1;
		}
	}
	if (!sdb_module_split_path_version(p, len, &prefix)) {
		snprintf(why, whycap, "invalid version");
		return -1;
	}
	return 0;
}

static int
check_module_path(const char *p, size_t len, char *why, size_t whycap)
{
	if (sdb_module_path_fast_ok(p, len))
		return 0;
	return check_module_path_slow(p, len, why, whycap);
}

int
sdb_module_check_path_slow(const char *path, size_t len, struct sdb_errbuf *eb)
{
	char why[160];

	if (check_module_path_slow(path, len, why, sizeof why) < 0)
		return path_error(eb, KIND_MODULE, path, len, why);
	return SDB_OK;
}

int
sdb_module_check_path(const char *path, size_t len, struct sdb_errbuf *eb)
{
	char why[160];

	if (check_module_path(path, len, why, sizeof why) < 0)
		return path_error(eb, KIND_MODULE, path, len, why);
	return SDB_OK;
}

int
sdb_module_check_import_path(const char *path, size_t len,
    struct sdb_errbuf *eb)
{
	char why[160];

	if (check_path_kind(path, len, KIND_IMPORT, why, sizeof why) < 0)
		return path_error(eb, KIND_IMPORT, path, len, why);
	return SDB_OK;
}

int
sdb_module_check_file_path(const char *path, size_t len,
    struct sdb_errbuf *eb)
{
	char why[160];

	if (check_path_kind(path, len, KIND_FILE, why, sizeof why) < 0)
		return path_error(eb, KIND_FILE, path, len, why);
	return SDB_OK;
}

static int
has_prefix(const char *s, size_t len, const char *pre)
{
	size_t n = strlen(pre);

	return len >= n && memcmp(s, pre, n) == 0;
}

static int
has_suffix(const char *s, size_t len, const char *suf)
{
	size_t n = strlen(suf);

	return len >= n && memcmp(s + len - n, suf, n) == 0;
}

static int
split_gopkg_in(const char *p, size_t len, size_t *prefix_len)
{
	size_t i = len;

	*prefix_len = len;
	if (has_suffix(p, len, "-unstable"))
		i -= strlen("-unstable");
	while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9')
		i--;
	if (i <= 1 || p[i - 1] != 'v' || p[i - 2] != '.')
		return 0;
	/* major is p[i-2..len): ".vN" or ".vN-unstable"; ".v0" is allowed
	 * here, but no other leading zero */
	if (len - (i - 2) <= 2 ||
	    (p[i] == '0' && !(len - (i - 2) == 3 && p[i] == '0')))
		return 0;
	*prefix_len = i - 2;
	return 1;
}

int
sdb_module_split_path_version(const char *p, size_t len, size_t *prefix_len)
{
	size_t i = len, mlen;
	int dot = 0;

	if (has_prefix(p, len, "gopkg.in/"))
		return split_gopkg_in(p, len, prefix_len);
	*prefix_len = len;
	while (i > 0 && ((p[i - 1] >= '0' && p[i - 1] <= '9') || p[i - 1] == '.')) {
		dot |= p[i - 1] == '.';
		i--;
	}
	if (i <= 1 || i == len || p[i - 1] != 'v' || p[i - 2] != '/')
		return 1;
	mlen = len - (i - 2);
	if (dot || mlen <= 2 || p[i] == '0' || (mlen == 3 && p[i] == '1'))
		return 0;
	*prefix_len = i - 2;
	return 1;
}

/* "+incompatible", the one build suffix a module version may carry. */
static int
is_incompatible(const char *v, const struct sdb_semver_info *si)
{
	return si->build_len == 13 && memcmp(v + si->build_off, "+incompatible", 13) == 0;
}

/* module.CheckPathMajor with v already parsed into si (zeroed when v is
 * not valid). */
static int
check_path_major(const char *v, size_t vlen, const struct sdb_semver_info *si,
    const char *major, size_t mlen, struct sdb_errbuf *eb)
{
	size_t m = si->major_len;
	char q[96], want[64];

	if (has_prefix(major, mlen, ".v") && has_suffix(major, mlen, "-unstable"))
		mlen -= strlen("-unstable");
	if (has_prefix(v, vlen, "v0.0.0-") && mlen == 3 &&
	    memcmp(major, ".v1", 3) == 0)
		return SDB_OK;
	if (mlen == 0) {
		if ((m == 2 && (memcmp(v, "v0", 2) == 0 || memcmp(v, "v1", 2) == 0)) ||
		    is_incompatible(v, si))
			return SDB_OK;
		snprintf(want, sizeof want, "v0 or v1");
	} else if (major[0] == '/' || major[0] == '.') {
		if (m == mlen - 1 && memcmp(v, major + 1, m) == 0)
			return SDB_OK;
		snprintf(want, sizeof want, "%.*s",
		    (int)(mlen - 1 > 60 ? 60 : mlen - 1), major + 1);
	} else {
		snprintf(want, sizeof want, "%.*s", (int)(mlen > 60 ? 60 : mlen),
		    major);
	}
	return sdb_errf(eb, SDB_ERR_BAD_VERSION,
	    "version %s invalid: should be %s, not %.*s",
	    sdb_quote(q, sizeof q, v, vlen), want, (int)m, v);
}

/* module.Check, leaving the version's parse in *si for the caller. */
static int
check(const char *path, size_t plen, const char *version, size_t vlen,
    struct sdb_semver_info *si, struct sdb_errbuf *eb)
{
	char qp[128], qv[96];
	size_t prefix;
	int err;

	if ((err = sdb_module_check_path(path, plen, eb)) != SDB_OK)
		return err;
	if (!sdb_semver_info(version, vlen, si))
		return sdb_errf(eb, SDB_ERR_BAD_VERSION,
		    "%s@%s: invalid version: not a semantic version",
		    sdb_quote(qp, sizeof qp, path, plen),
		    sdb_quote(qv, sizeof qv, version, vlen));
	(void)sdb_module_split_path_version(path, plen, &prefix);
	err = check_path_major(version, vlen, si, path + prefix, plen - prefix, eb);
	if (err != SDB_OK && eb != NULL)
		sdb_errf(eb, err, "module %s: %s", sdb_quote(qp, sizeof qp, path, plen),
		    sdb_errmsg(eb, err));
	return err;
}

int
sdb_module_check(const char *path, size_t plen, const char *version,
    size_t vlen, struct sdb_errbuf *eb)
{
	struct sdb_semver_info si;

	return check(path, plen, version, vlen, &si, eb);
}

int
sdb_module_check_canonical(const char *path, size_t plen, const char *version,
    size_t vlen, struct sdb_errbuf *eb)
{
	struct sdb_semver_info si;
	char qv[96];
	int err;

	if ((err = check(path, plen, version, vlen, &si, eb)) != SDB_OK)
		return err;
	/* Canonical(v) differs from a valid v only by completing a shorthand
	 * ("v1", "v1.2") or by dropping build metadata, which
	 * CanonicalVersion puts back when it is "+incompatible". */
	if (si.shorthand || (si.build_len != 0 && !is_incompatible(version, &si)))
		return sdb_errf(eb, SDB_ERR_BAD_VERSION,
		    "version %s is not canonical",
		    sdb_quote(qv, sizeof qv, version, vlen));
	return SDB_OK;
}

/* Upper case X becomes "!x"; the caller has ruled out '!' and non-ASCII. */
static int
escape_string(const char *s, size_t len, char **out, size_t *outlen)
{
	size_t i, n = len, o = 0;
	char *buf;

	for (i = 0; i < len; i++)
		n += s[i] >= 'A' && s[i] <= 'Z';
	if ((buf = malloc(n + 1)) == NULL)
		return SDB_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		if (s[i] >= 'A' && s[i] <= 'Z') {
			buf[o++] = '!';
			buf[o++] = (char)(s[i] - 'A' + 'a');
		} else {
			buf[o++] = s[i];
		}
	}
	buf[o] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = o;
	return SDB_OK;
}

int
sdb_module_escape_path(const char *path, size_t len, char **out,
    size_t *outlen, struct sdb_errbuf *eb)
{
	int err;

	*out = NULL;
	if ((err = sdb_module_check_path(path, len, eb)) != SDB_OK)
		return err;
	return escape_string(path, len, out, outlen);
}

int
sdb_module_escape_version(const char *v, size_t len, char **out,
    size_t *outlen, struct sdb_errbuf *eb)
{
	char why[160], q[96];
	size_t i;
	int bad;

	*out = NULL;
	bad = check_elem(v, len, KIND_FILE, why, sizeof why) < 0;
	/* checkElem lets Unicode letters through; x/mod's escapeString then
	 * refuses them ("internal error"), so they are refused here too. */
	for (i = 0; i < len && !bad; i++)
		bad = v[i] == '!' || (unsigned char)v[i] >= 0x80;
	if (bad)
		return sdb_errf(eb, SDB_ERR_BAD_VERSION,
		    "version %s invalid: disallowed version string",
		    sdb_quote(q, sizeof q, v, len));
	return escape_string(v, len, out, outlen);
}

/* x/mod unescapeString: 0 on success with the result in a new buffer. */
static int
unescape_string(const char *esc, size_t len, char **out, size_t *outlen)
{
	size_t i, o = 0;
	int bang = 0;
	char *buf;

	if ((buf = malloc(len + 1)) == NULL)
		return SDB_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)esc[i];

		if (c >= 0x80)
			goto bad;
		if (bang) {
			bang = 0;
			if (c < 'a' || c > 'z')
				goto bad;
			buf[o++] = (char)(c - 'a' + 'A');
			continue;
		}
		if (c == '!') {
			bang = 1;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			goto bad;
		buf[o++] = (char)c;
	}
	if (bang)
		goto bad;
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return SDB_OK;
bad:
	free(buf);
	return SDB_ERR_INVALID;
}

int
sdb_module_unescape_path(const char *esc, size_t len, char **out,
    size_t *outlen, struct sdb_errbuf *eb)
{
	char q[128], why[160], *p;
	size_t n;
	int err;

	*out = NULL;
	err = unescape_string(esc, len, &p, &n);
	if (err == SDB_ERR_NOMEM)
		return err;
	if (err != SDB_OK)
		return sdb_errf(eb, SDB_ERR_BAD_PATH,
		    "invalid escaped module path %s",
		    sdb_quote(q, sizeof q, esc, len));
	if (check_module_path(p, n, why, sizeof why) < 0) {
		free(p);
		return sdb_errf(eb, SDB_ERR_BAD_PATH,
		    "invalid escaped module path %s: %s",
		    sdb_quote(q, sizeof q, esc, len), why);
	}
	*out = p;
	if (outlen != NULL)
		*outlen = n;
	return SDB_OK;
}

int
sdb_module_unescape_version(const char *esc, size_t len, char **out,
    size_t *outlen, struct sdb_errbuf *eb)
{
	char q[96], why[160], *v;
	size_t n;
	int err;

	*out = NULL;
	err = unescape_string(esc, len, &v, &n);
	if (err == SDB_ERR_NOMEM)
		return err;
	if (err != SDB_OK)
		return sdb_errf(eb, SDB_ERR_BAD_VERSION,
		    "invalid escaped version %s", sdb_quote(q, sizeof q, esc, len));
	if (check_elem(v, n, KIND_FILE, why, sizeof why) < 0) {
		sdb_errf(eb, SDB_ERR_BAD_VERSION, "invalid escaped version %s: %s",
		    sdb_quote(q, sizeof q, v, n), why);
		free(v);
		return SDB_ERR_BAD_VERSION;
	}
	*out = v;
	if (outlen != NULL)
		*outlen = n;
	return SDB_OK;
}

static size_t
skip_digits(const char *s, size_t i, size_t len)
{
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/*
 * The regexp ^[^@]+@v[0-9]+\.[0-9]+\.[0-9]+(-[^@]*)?(\+incompatible)?$ as
 * a scan: since [^@]* also matches "+incompatible", after the patch number
 * comes the end, "-" and anything without '@', or exactly "+incompatible".
 * Returns the index of the '@', or 0 (never a valid '@' index) on no match.
 */
static size_t
lookup_gate(const char *s, size_t len)
{
	size_t at, i, j, k;

	for (at = 0; at < len && s[at] != '@'; at++)
		;
	if (at == 0 || at == len)
		return 0;
	i = at + 1;
	if (i >= len || s[i] != 'v')
		return 0;
	i++;
	for (k = 0; k < 3; k++) {
		j = skip_digits(s, i, len);
		if (j == i)
			return 0;
		i = j;
		if (k < 2) {
			if (i >= len || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (i == len)
		return at;
	if (s[i] == '-') {
		for (; i < len; i++)
			if (s[i] == '@')
				return 0;
		return at;
	}
	if (len - i == 13 && memcmp(s + i, "+incompatible", 13) == 0)
		return at;
	return 0;
}

int
sdb_lookup_parse(const char *req, size_t len, char **path, size_t *plen,
    char **version, size_t *vlen, struct sdb_errbuf *eb)
{
	char q[128];
	size_t at, i;
	int err;

	*path = NULL;
	*version = NULL;
	if (len > SDB_MAX_LOOKUP_PATH)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE,
		    "lookup path of %zu bytes is longer than %d", len,
		    SDB_MAX_LOOKUP_PATH);
	/* A NUL could cut the path short in any C string handling later, and
	 * "%00" means the HTTP layer let an encoded NUL through. */
	for (i = 0; i < len; i++) {
		if (req[i] == '\0' || (req[i] == '%' && len - i >= 3 &&
		    req[i + 1] == '0' && req[i + 2] == '0'))
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "invalid module@version syntax: NUL in %s",
			    sdb_quote(q, sizeof q, req, len));
	}
	if ((at = lookup_gate(req, len)) == 0)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "invalid module@version syntax: %s",
		    sdb_quote(q, sizeof q, req, len));
	if ((err = sdb_module_unescape_path(req, at, path, plen, eb)) != SDB_OK)
		return err;
	err = sdb_module_unescape_version(req + at + 1, len - at - 1, version,
	    vlen, eb);
	if (err != SDB_OK) {
		free(*path);
		*path = NULL;
		return err;
	}
	return SDB_OK;
}
