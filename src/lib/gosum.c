/*
 * go.sum parsing and formatting (include/csumdb/gosum.h).  Follows the
 * go command's readGoSum (Go 1.19 cmd/go/internal/modfetch/fetch.go) for
 * lines and fields, with the stricter entry checks the header lists,
 * because these lines become checksum database records (PROTOCOL.md
 * "Record").
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/gosum.h"
#include "csumdb/module.h"
#include "csumdb/record.h"
#include "limits.h"
#include "module_int.h"

/* cmd/go emptyGoModHash: the hash of a zero-length go.mod, which an old
 * bug wrote for non-modules; cmd/go's readGoSum drops every line carrying
 * it, whatever the line is for, and so do we. */
static const char empty_gomod_hash[] =
    "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY=";

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

void
sdb_gosum_free(struct sdb_gosum *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n; i++)
		free(g->bufs_[i]);
	free(g->bufs_);
	free(g->entries);
	free(g);
}

/* "hN:" with N decimal, no leading zero; returns N or 0. */
static int
hash_alg(const char *s, size_t len, size_t *prefix)
{
	size_t i = 1;
	int n = 0;

	if (len < 3 || s[0] != 'h' || s[1] < '1' || s[1] > '9')
		return 0;
	while (i < len && s[i] >= '0' && s[i] <= '9' && i < 6) {
		n = n * 10 + (s[i] - '0');
		i++;
	}
	if (i >= len || s[i] != ':')
		return 0;
	*prefix = i + 1;
	return n;
}

/* The sdb_gosum_parse callback: keeps a copy of e in g. */
static int
add_entry(void *arg, const struct sdb_gosum_entry *src, struct sdb_errbuf *eb)
{
	struct sdb_gosum *g = arg;
	struct sdb_gosum_entry *e;
	size_t total;
	char *buf;

	if (g->n == g->cap_) {
		size_t ncap = g->cap_ ? g->cap_ * 2 : 64;
		struct sdb_gosum_entry *ne;
		char **nb;

		ne = realloc(g->entries, ncap * sizeof *ne);
		if (ne == NULL)
			return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		g->entries = ne;
		nb = realloc(g->bufs_, ncap * sizeof *nb);
		if (nb == NULL)
			return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		g->bufs_ = nb;
		g->cap_ = ncap;
	}
	/* one buffer: path NUL version NUL hash NUL */
	total = src->path_len + 1 + src->version_len + 1 + src->hash_len + 1;
	if ((buf = malloc(total)) == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	e = &g->entries[g->n];
	*e = *src;
	memcpy(buf, src->path, src->path_len);
	buf[src->path_len] = '\0';
	memcpy(buf + src->path_len + 1, src->version, src->version_len);
	buf[src->path_len + 1 + src->version_len] = '\0';
	memcpy(buf + src->path_len + 1 + src->version_len + 1, src->hash, src->hash_len);
	buf[total - 1] = '\0';
	e->path = buf;
	e->version = buf + src->path_len + 1;
	e->hash = buf + src->path_len + 1 + src->version_len + 1;
	g->bufs_[g->n++] = buf;
	return SDB_OK;
}

/* Checks one non-blank line's three fields and hands its entry to fn. */
static int
parse_fields(const struct sdb_span f[3], int64_t lineno, sdb_gosum_entry_fn fn, void *arg,
    size_t *dropped, struct sdb_errbuf *eb)
{
	struct sdb_errbuf inner;
	struct sdb_gosum_entry e;
	size_t vlen = f[1].len, prefix = 0, i;
	int is_gomod = 0, alg, err;

	inner.msg[0] = '\0';
	if (vlen >= 7 && memcmp(f[1].p + vlen - 7, "/go.mod", 7) == 0) {
		is_gomod = 1;
		vlen -= 7;
	}
	err = sdb_module_check_canonical(f[0].p, f[0].len, f[1].p, vlen, &inner);
	if (err != SDB_OK)
		return sdb_errf(eb, err, "go.sum line %lld: %s", (long long)lineno,
		    sdb_errmsg(&inner, err));
	alg = hash_alg(f[2].p, f[2].len, &prefix);
	if (alg == 0 || prefix == f[2].len)
		return sdb_errf(eb, SDB_ERR_INVALID,
		    "go.sum line %lld: hash is not of the form hN:VALUE",
		    (long long)lineno);
	for (i = prefix; i < f[2].len; i++)
		if (f[2].p[i] <= 0x20 || f[2].p[i] >= 0x7f)
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "go.sum line %lld: hash has a byte that is not printable ASCII",
			    (long long)lineno);
	memset(&e, 0, sizeof e);
	if (alg == 1) {
		if (sdb_h1_parse(f[2].p, f[2].len, &e.h1) != SDB_OK)
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "go.sum line %lld: h1 hash is not base64 of 32 bytes",
			    (long long)lineno);
		if (f[2].len == sizeof empty_gomod_hash - 1 &&
		    memcmp(f[2].p, empty_gomod_hash, f[2].len) == 0) {
			(*dropped)++;
			return SDB_OK;
		}
	}
	e.path = f[0].p;
	e.path_len = f[0].len;
	e.version = f[1].p;
	e.version_len = vlen;
	e.is_gomod = is_gomod;
	e.alg = alg;
	e.hash = f[2].p;
	e.hash_len = f[2].len;
	e.line = lineno;
	return fn(arg, &e, eb);
}

int
sdb_gosum_scan(const char *data, size_t len, sdb_gosum_entry_fn fn, void *arg,
    size_t *dropped_empty_gomod, struct sdb_errbuf *eb)
{
	size_t pos = 0, dropped = 0;
	int64_t lineno = 0;
	int err = SDB_OK;

	if (len > SDB_MAX_GOSUM_SIZE)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE,
		    "go.sum of %zu bytes is over the limit of %d", len,
		    SDB_MAX_GOSUM_SIZE);
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl == NULL ? len : (size_t)(nl - data), i = pos;
		struct sdb_span f[3];
		int nf = 0;

		lineno++;
		if (end - pos > SDB_MAX_GOSUM_LINE) {
			err = sdb_errf(eb, SDB_ERR_TOO_LARGE,
			    "go.sum line %lld: longer than %d bytes",
			    (long long)lineno, SDB_MAX_GOSUM_LINE);
			break;
		}
		for (;;) {
			size_t start;

			while (i < end && is_space(data[i]))
				i++;
			if (i == end)
				break;
			start = i;
			while (i < end && !is_space(data[i]))
				i++;
			if (nf < 3) {
				f[nf].p = data + start;
				f[nf].len = i - start;
			}
			nf++;
		}
		pos = end + 1;
		if (nf == 0)
			continue;
		if (nf != 3) {
			err = sdb_errf(eb, SDB_ERR_INVALID,
			    "go.sum line %lld: wrong number of fields %d; want 3 "
			    "(PATH VERSION[/go.mod] HASH)", (long long)lineno, nf);
			break;
		}
		if ((err = parse_fields(f, lineno, fn, arg, &dropped, eb)) != SDB_OK)
			break;
	}
	if (dropped_empty_gomod != NULL)
		*dropped_empty_gomod = dropped;
	return err;
}

int
sdb_gosum_parse(const char *data, size_t len, struct sdb_gosum **out,
    struct sdb_errbuf *eb)
{
	struct sdb_gosum *g;
	int err;

	*out = NULL;
	if ((g = calloc(1, sizeof *g)) == NULL)
		return SDB_ERR_NOMEM;
	err = sdb_gosum_scan(data, len, add_entry, g, &g->dropped_empty_gomod, eb);
	if (err != SDB_OK) {
		sdb_gosum_free(g);
		return err;
	}
	*out = g;
	return SDB_OK;
}

int
sdb_gosum_format_line(const char *path, size_t plen, const char *version,
    size_t vlen, int is_gomod, const sdb_hash *h1, char **out, size_t *outlen,
    struct sdb_errbuf *eb)
{
	size_t n;
	char *buf;
	int err;

	*out = NULL;
	if ((err = sdb_module_check_canonical(path, plen, version, vlen, eb)) != SDB_OK)
		return err;
	if (plen > SDB_MAX_GOSUM_LINE || vlen > SDB_MAX_GOSUM_LINE)
		return sdb_errf(eb, SDB_ERR_BAD_PATH, "go.sum line would be too long");
	n = sdb_h1_line_len(plen, vlen, is_gomod);
	if ((buf = malloc(n + 1)) == NULL)
		return SDB_ERR_NOMEM;
	n = sdb_h1_line_write(buf, path, plen, version, vlen, is_gomod, h1);
	buf[n] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = n;
	return SDB_OK;
}

int
sdb_gosum_format(const struct sdb_gosum *g, char **out, size_t *outlen)
{
	size_t i, n = 0, o = 0;
	char *buf;

	*out = NULL;
	for (i = 0; i < g->n; i++) {
		const struct sdb_gosum_entry *e = &g->entries[i];

		n += e->path_len + 1 + e->version_len + (e->is_gomod ? 7 : 0) + 1 +
		    e->hash_len + 1;
	}
	if ((buf = malloc(n + 1)) == NULL)
		return SDB_ERR_NOMEM;
	for (i = 0; i < g->n; i++) {
		const struct sdb_gosum_entry *e = &g->entries[i];

		memcpy(buf + o, e->path, e->path_len);
		o += e->path_len;
		buf[o++] = ' ';
		memcpy(buf + o, e->version, e->version_len);
		o += e->version_len;
		if (e->is_gomod) {
			memcpy(buf + o, "/go.mod", 7);
			o += 7;
		}
		buf[o++] = ' ';
		memcpy(buf + o, e->hash, e->hash_len);
		o += e->hash_len;
		buf[o++] = '\n';
	}
	buf[o] = '\0';
	*out = buf;
	if (outlen != NULL)
		*outlen = o;
	return SDB_OK;
}
