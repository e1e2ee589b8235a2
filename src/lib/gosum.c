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

static int
add_entry(struct sdb_gosum *g, size_t *cap, const struct sdb_span f[3],
    int is_gomod, int alg, const sdb_hash *h1, int64_t lineno)
{
	struct sdb_gosum_entry *e;
	size_t vlen = f[1].len - (is_gomod ? 7 : 0), total;
	char *buf;

	if (g->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct sdb_gosum_entry *ne;
		char **nb;

		ne = realloc(g->entries, ncap * sizeof *ne);
		if (ne == NULL)
			return SDB_ERR_NOMEM;
		g->entries = ne;
		nb = realloc(g->bufs_, ncap * sizeof *nb);
		if (nb == NULL)
			return SDB_ERR_NOMEM;
		g->bufs_ = nb;
		*cap = ncap;
	}
	/* one buffer: path NUL version NUL hash NUL */
	total = f[0].len + 1 + vlen + 1 + f[2].len + 1;
	if ((buf = malloc(total)) == NULL)
		return SDB_ERR_NOMEM;
	e = &g->entries[g->n];
	memset(e, 0, sizeof *e);
	memcpy(buf, f[0].p, f[0].len);
	buf[f[0].len] = '\0';
	memcpy(buf + f[0].len + 1, f[1].p, vlen);
	buf[f[0].len + 1 + vlen] = '\0';
	memcpy(buf + f[0].len + 1 + vlen + 1, f[2].p, f[2].len);
	buf[total - 1] = '\0';
	e->path = buf;
	e->path_len = f[0].len;
	e->version = buf + f[0].len + 1;
	e->version_len = vlen;
	e->hash = buf + f[0].len + 1 + vlen + 1;
	e->hash_len = f[2].len;
	e->is_gomod = is_gomod;
	e->alg = alg;
	if (h1 != NULL)
		e->h1 = *h1;
	e->line = lineno;
	g->bufs_[g->n++] = buf;
	return SDB_OK;
}

/* Checks one non-blank line's three fields and adds the entry. */
static int
parse_fields(struct sdb_gosum *g, size_t *cap, const struct sdb_span f[3],
    int64_t lineno, struct sdb_errbuf *eb)
{
	struct sdb_errbuf inner;
	sdb_hash h1;
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
			    "go.sum line %lld: hash has a non-ASCII byte",
			    (long long)lineno);
	if (alg == 1) {
		if (sdb_h1_parse(f[2].p, f[2].len, &h1) != SDB_OK)
			return sdb_errf(eb, SDB_ERR_INVALID,
			    "go.sum line %lld: h1 hash is not base64 of 32 bytes",
			    (long long)lineno);
		if (f[2].len == sizeof empty_gomod_hash - 1 &&
		    memcmp(f[2].p, empty_gomod_hash, f[2].len) == 0) {
			g->dropped_empty_gomod++;
			return SDB_OK;
		}
	}
	return add_entry(g, cap, f, is_gomod, alg, alg == 1 ? &h1 : NULL, lineno);
}

int
sdb_gosum_parse(const char *data, size_t len, struct sdb_gosum **out,
    struct sdb_errbuf *eb)
{
	struct sdb_gosum *g;
	size_t pos = 0, cap = 0;
	int64_t lineno = 0;
	int err = SDB_OK;

	*out = NULL;
	if (len > SDB_MAX_GOSUM_SIZE)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE,
		    "go.sum of %zu bytes is over the limit of %d", len,
		    SDB_MAX_GOSUM_SIZE);
	if ((g = calloc(1, sizeof *g)) == NULL)
		return SDB_ERR_NOMEM;
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
			goto fail;
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
			goto fail;
		}
		if ((err = parse_fields(g, &cap, f, lineno, eb)) != SDB_OK)
			goto fail;
	}
	*out = g;
	return SDB_OK;
fail:
	sdb_gosum_free(g);
	return err;
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
