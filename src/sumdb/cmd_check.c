/*
 * sumdb check: checks every line of a go.sum file against a checksum
 * database.  Each module version is looked up once and its record's
 * inclusion in the signed tree verified (remote_lookup); each h1 line is
 * then compared with the record.  Reports mismatches (exit 2), versions
 * the log does not know and malformed lines, with line numbers.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csumdb/gosum.h"
#include "csumdb/record.h"
#include "json.h"
#include "limits.h"
#include "remote.h"

static void
check_usage(FILE *f)
{
	fprintf(f,
	    "usage: sumdb check [--url URL] [--json] KEY GOSUM-FILE\n"
	    "\n"
	    "Checks every line of GOSUM-FILE (- for standard input) against the\n"
	    "checksum database with the verifier key KEY (or sum.golang.org): each\n"
	    "module version's record is looked up, its inclusion in the signed tree\n"
	    "verified, and its hashes compared with the file's.\n"
	    "\n"
	    "  --url URL   the database's URL (default https://NAME)\n"
	    "  --json      print one JSON object per finding and a summary; when the\n"
	    "              file cannot be checked at all (a refused KEY or --url, an\n"
	    "              unreadable file) the summary is {\"summary\":true,\n"
	    "              \"error\":\"could-not-check\",\"detail\":...}; a usage error\n"
	    "              is on standard error only\n"
	    "  --help      this text\n"
	    "\n"
	    "Exit status: 0 every line matches the log; 2 a hash differs from the\n"
	    "log (or the log does not verify); 1 malformed lines, versions the log\n"
	    "does not know, could not check, or usage.\n");
}

/* Lookups in a row that the log does not answer (network errors, after
 * their retries) before the rest are left unchecked. */
#define CHECK_GIVE_UP 3

struct line {
	char *path, *version;
	int is_gomod, alg;
	sdb_hash h1;
	int64_t line;
};

static int
cmp_line(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	int c = strcmp(x->path, y->path);

	if (c == 0)
		c = strcmp(x->version, y->version);
	if (c == 0)
		c = x->line < y->line ? -1 : x->line > y->line;
	return c;
}

/* The findings, kept until every line is checked and then printed in the
 * file's line order (the lookups go in path order). */
struct finding {
	int64_t line;
	size_t seq;           /* order of finding, within one line */
	const char *kind;     /* a string literal */
	char *msg;
};

struct findings {
	struct finding *v;
	size_t n, cap;
	int oom;              /* a finding could not be kept */
};

static void
finding_add(struct findings *fs, int64_t line, const char *kind, const char *msg)
{
	struct finding *f;

	if (fs->n == fs->cap) {
		size_t nc = fs->cap ? 2 * fs->cap : 16;
		struct finding *nv = realloc(fs->v, nc * sizeof *nv);

		if (nv == NULL) {
			fs->oom = 1;
			return;
		}
		fs->v = nv;
		fs->cap = nc;
	}
	f = &fs->v[fs->n];
	if ((f->msg = strdup(msg)) == NULL) {
		fs->oom = 1;
		return;
	}
	f->line = line;
	f->seq = fs->n++;
	f->kind = kind;
}

static int
cmp_finding(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
findings_print(struct findings *fs, int json, const char *file)
{
	size_t i;

	if (fs->n > 0)
		qsort(fs->v, fs->n, sizeof *fs->v, cmp_finding);
	for (i = 0; i < fs->n; i++) {
		const struct finding *f = &fs->v[i];

		if (json) {
			printf("{\"line\":%" PRId64 ",\"finding\":\"%s\",\"detail\":", f->line,
			    f->kind);
			json_string(stdout, f->msg, strlen(f->msg));
			printf("}\n");
		} else {
			printf("%s:%" PRId64 ": %s\n", file, f->line, f->msg);
		}
	}
}

static void
findings_free(struct findings *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		free(fs->v[i].msg);
	free(fs->v);
}

int
cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *file;
	struct sdb_errbuf eb = { { 0 } };
	struct line *lines = NULL;
	size_t nlines = 0, cap = 0, len = 0, off, i, j;
	/* lines counted by what became of them, as the summary reports them */
	int64_t lineno = 0, matched = 0, mismatches = 0, unverified = 0, not_found = 0;
	int64_t malformed = 0, not_checked = 0;
	struct sdb_tree seen = { -1, { { 0 } } };   /* the largest tree of this run */
	int down = 0;                               /* lookups in a row the log did not answer */
	int json = 0, c, err, status = EXIT_LOCAL, opened = 0, summed = 0;
	struct sdb_remote r;
	struct findings fs = { NULL, 0, 0, 0 };
	char *data = NULL, msg[2048];

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case 'j': json = 1; break;
		case 'h': check_usage(stdout); return EXIT_OK;
		default: check_usage(stderr); return EXIT_LOCAL;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "sumdb check: want KEY and GOSUM-FILE\n");
		check_usage(stderr);
		return EXIT_LOCAL;
	}
	file = argv[optind + 1];
	if ((err = sdb_remote_open(&r, argv[optind], url, &eb)) != SDB_OK) {
		sdb_errf(&eb, err, "%s", sdb_errmsg(&eb, err));
		fprintf(stderr, "sumdb check: %s\n", eb.msg);
		goto out;
	}
	opened = 1;
	if ((data = cli_read_file(file, SDB_MAX_GOSUM_SIZE, &len, &eb)) == NULL) {
		fprintf(stderr, "sumdb check: %s\n", eb.msg);
		goto out;
	}

	/* One line at a time, so that every malformed line is reported. */
	for (off = 0; off < len;) {
		const char *nl = memchr(data + off, '\n', len - off);
		size_t ll = nl != NULL ? (size_t)(nl - (data + off)) : len - off;
		struct sdb_gosum *g = NULL;
		struct sdb_errbuf leb = { { 0 } };

		lineno++;
		err = sdb_gosum_parse(data + off, ll, &g, &leb);
		off += ll + 1;
		if (err == SDB_ERR_NOMEM)
			goto nomem;
		if (err != SDB_OK) {
			const char *m = leb.msg;

			/* the parser numbers from 1 within the one line it saw */
			if (strncmp(m, "line 1: ", 8) == 0)
				m += 8;
			else if (strncmp(m, "go.sum line 1: ", 15) == 0)
				m += 15;
			malformed++;
			snprintf(msg, sizeof msg, "malformed line: %s", m);
			finding_add(&fs, lineno, "malformed", msg);
			continue;
		}
		for (i = 0; i < g->n; i++) {
			struct line *l;

			if (nlines == cap) {
				size_t nc = cap ? 2 * cap : 64;
				struct line *nl2 = realloc(lines, nc * sizeof *lines);
				if (nl2 == NULL) {
					sdb_gosum_free(g);
					goto nomem;
				}
				lines = nl2;
				cap = nc;
			}
			l = &lines[nlines];
			l->path = strdup(g->entries[i].path);
			l->version = strdup(g->entries[i].version);
			if (l->path == NULL || l->version == NULL) {
				free(l->path);
				free(l->version);
				sdb_gosum_free(g);
				goto nomem;
			}
			l->is_gomod = g->entries[i].is_gomod;
			l->alg = g->entries[i].alg;
			l->h1 = g->entries[i].h1;
			l->line = lineno;
			nlines++;
		}
		sdb_gosum_free(g);
	}
	if (nlines > 0)
		qsort(lines, nlines, sizeof *lines, cmp_line);

	for (i = 0; i < nlines; i = j) {
		char *text = NULL, *note = NULL;
		size_t tlen = 0, nlen = 0;
		struct sdb_record rec;
		struct sdb_tree tree;
		int64_t id;

		for (j = i + 1; j < nlines && strcmp(lines[j].path, lines[i].path) == 0 &&
		    strcmp(lines[j].version, lines[i].version) == 0; j++)
			;
		/* a log that stopped answering is not asked about every
		 * remaining version (a retried timeout each) */
		if (down >= CHECK_GIVE_UP) {
			not_checked += (int64_t)(nlines - i);
			snprintf(msg, sizeof msg, "%s %s and the %zu go.sum lines after its own: not "
			    "checked, the log did not answer the last %d lookups", lines[i].path,
			    lines[i].version, nlines - j, CHECK_GIVE_UP);
			finding_add(&fs, lines[i].line, "could-not-check", msg);
			break;
		}
		eb.msg[0] = '\0';
		err = sdb_remote_lookup(&r, lines[i].path, lines[i].version, &id, &text, &tlen, &tree,
		    &note, &nlen, &eb);
		if (err == SDB_OK && sdb_record_parse(text, tlen, &rec, &eb) != SDB_OK)
			err = sdb_remote_errwrap(&eb, SDB_ERR_IO, SDB_ERR_INVALID,
			    "the log's record does not parse");
		/* every tree of the run must be one log's */
		if (err == SDB_OK)
			err = lookup_check_seen(&r, &seen, &tree, &eb);
		down = err == SDB_ERR_IO || err == SDB_ERR_TIMEOUT ? down + 1 : 0;
		if (err == SDB_ERR_NOT_FOUND) {
			not_found += (int64_t)(j - i);
			snprintf(msg, sizeof msg, "%s %s: not in the log", lines[i].path,
			    lines[i].version);
			finding_add(&fs, lines[i].line, "not-found", msg);
		} else if (err != SDB_OK) {
			int s = remote_exit_status(err);

			if (s == EXIT_VERIFY)
				unverified += (int64_t)(j - i);
			else
				not_checked += (int64_t)(j - i);
			snprintf(msg, sizeof msg, "%s %s: %s%s", lines[i].path, lines[i].version,
			    s == EXIT_VERIFY ? "VERIFICATION FAILED: " : "could not check: ",
			    sdb_errmsg(&eb, err));
			finding_add(&fs, lines[i].line, s == EXIT_VERIFY ? "verification-failed" :
			    "could-not-check", msg);
		} else {
			size_t k;

			for (k = i; k < j; k++) {
				const sdb_hash *want = lines[k].is_gomod ? &rec.gomod_h1 : &rec.h1;
				char have[SDB_H1_LEN + 1], logs[SDB_H1_LEN + 1], what[1024];

				if (lines[k].alg != 1) {
					not_checked++;
					snprintf(msg, sizeof msg, "%s %s: hash algorithm not h1, not checked",
					    lines[k].path, lines[k].version);
					finding_add(&fs, lines[k].line, "skipped", msg);
					continue;
				}
				if (memcmp(want->b, lines[k].h1.b, SDB_HASH_SIZE) == 0) {
					matched++;
					continue;
				}
				mismatches++;
				sdb_h1_format(have, &lines[k].h1);
				sdb_h1_format(logs, want);
				snprintf(what, sizeof what, "%s%s", lines[k].version,
				    lines[k].is_gomod ? "/go.mod" : "");
				snprintf(msg, sizeof msg, "MISMATCH %s %s: go.sum has %s, the log (record %"
				    PRId64 ") has %s", lines[k].path, what, have, id, logs);
				finding_add(&fs, lines[k].line, "mismatch", msg);
			}
		}
		free(text);
		free(note);
	}
	if (fs.oom)
		goto nomem;
	findings_print(&fs, json, file);
	summed = 1;
	/* "lines" is what the counts add up to: the go.sum lines, not blank
	 * lines or a line the go command drops (an empty go.mod's hash) */
	if (json)
		printf("{\"summary\":true,\"lines\":%" PRId64 ",\"matched\":%" PRId64 ",\"mismatches\":%" PRId64
		    ",\"verification_failed\":%" PRId64 ",\"not_found\":%" PRId64 ",\"malformed\":%"
		    PRId64 ",\"could_not_check\":%" PRId64 "}\n", matched + mismatches + unverified +
		    not_found + malformed + not_checked, matched, mismatches, unverified, not_found,
		    malformed, not_checked);
	else
		printf("%s: %" PRId64 " line%s the log, %" PRId64 " mismatch%s, %" PRId64
		    " failed verification, %" PRId64 " not in the log, %" PRId64 " malformed, %" PRId64
		    " not checked\n", file, matched, matched == 1 ? " matches" : "s match", mismatches,
		    mismatches == 1 ? "" : "es", unverified, not_found, malformed, not_checked);
	if (mismatches > 0 || unverified > 0)
		status = EXIT_VERIFY;
	else if (not_found > 0 || malformed > 0 || not_checked > 0)
		status = EXIT_LOCAL;
	else
		status = EXIT_OK;
	goto out;
nomem:
	sdb_errf(&eb, SDB_ERR_NOMEM, "out of memory");
	fprintf(stderr, "sumdb check: out of memory\n");
	status = EXIT_LOCAL;
out:
	/* --json ends with a summary: a check that could not be done has one
	 * too, with no counts (nothing was counted) */
	if (json && !summed) {
		printf("{\"summary\":true,\"error\":\"could-not-check\",\"detail\":");
		json_string(stdout, eb.msg, strlen(eb.msg));
		printf("}\n");
	}
	findings_free(&fs);
	for (i = 0; i < nlines; i++) {
		free(lines[i].path);
		free(lines[i].version);
	}
	free(lines);
	free(data);
	if (opened)
		sdb_remote_close(&r);
	return status;
}
