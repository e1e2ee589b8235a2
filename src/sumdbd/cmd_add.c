/*
 * sumdbd add: records go.sum lines in the log (issue 3 "Commands";
 * PROTOCOL.md "Record": a record is a module version's h1: line and its
 * /go.mod h1: line).  Everything is checked before anything is written:
 * every version needs both lines, the input must not contradict itself,
 * and no version may already be recorded with other hashes; then the new
 * records go to the sequencer in one call, so a refusal writes nothing.
 * Offline it opens the log itself; when a running server holds the
 * database it goes through the server's admin interface (admin.h).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "cli.h"
#include "csumdb/gosum.h"
#include "csumdb/record.h"
#include "csumdb/store.h"
#include "limits.h"
#include "log.h"

static void
add_usage(FILE *f)
{
	fprintf(f,
	    "usage: sumdbd add --db FILE [--key KEYFILE] [GOSUM-FILE...]\n"
	    "\n"
	    "Records the module versions of the go.sum files (standard input when\n"
	    "none is given, or -) in the log.  Each version needs both its h1: line\n"
	    "and its /go.mod h1: line.  Versions already recorded with the same\n"
	    "hashes are skipped; a version recorded with other hashes is a conflict,\n"
	    "and then nothing at all is written.  Works on the database directly, or\n"
	    "through the admin interface of a running sumdbd serve.\n"
	    "\n"
	    "  --db FILE       the database\n"
	    "  --key KEYFILE   signer key (default: the file the database remembers)\n"
	    "  --help          this text\n"
	    "\n"
	    "Exit status: 0 recorded (or nothing new); 1 usage, malformed input or\n"
	    "local error; 2 a conflict with a recorded hash (nothing written).\n");
}

struct item {
	const struct sdb_gosum_entry *e;
	const char *file;
	size_t seq;
};

/* One module version to record. */
struct version {
	const struct item *h1, *gomod;
	size_t first;          /* input order of its first line */
	char *text;
	size_t text_len;
};

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = strcmp(x->e->path, y->e->path);

	if (c == 0)
		c = strcmp(x->e->version, y->e->version);
	if (c == 0)
		c = x->e->is_gomod - y->e->is_gomod;
	if (c == 0)
		c = x->seq < y->seq ? -1 : x->seq > y->seq;
	return c;
}

static int
version_cmp(const void *a, const void *b)
{
	const struct version *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* Prints each line of text[0..len) after prefix. */
static void
print_lines(const char *prefix, const char *text, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - text) + 1 : len;
		fprintf(stderr, "%s%.*s%s", prefix, (int)n, text, nl != NULL ? "" : "\n");
		text += n;
		len -= n;
	}
}

/*
 * After the log refused the import: names every version of vers that is
 * recorded with other hashes, with both texts, and returns how many (0 if
 * the store cannot be read; eb then holds why).  One read snapshot for all
 * the lookups.
 */
static size_t
report_conflicts(const char *db, const struct version *vers, size_t nvers, struct sdb_errbuf *eb)
{
	struct sdb_store *rd = NULL;
	size_t i, conflicts = 0;
	int rc;

	rc = sdb_store_open(&rd, db, SDB_STORE_READ, eb);
	if (rc == SDB_OK)
		rc = sdb_store_snapshot_begin(rd, eb);
	for (i = 0; rc == SDB_OK && i < nvers; i++) {
		const struct sdb_gosum_entry *e = vers[i].h1->e;
		uint8_t *text = NULL;
		size_t tlen = 0;
		int64_t id;

		rc = sdb_store_lookup(rd, e->path, e->version, &id, &text, &tlen, eb);
		if (rc == SDB_ERR_NOT_FOUND) {
			rc = SDB_OK;
			continue;
		}
		if (rc != SDB_OK)
			break;
		if (tlen != vers[i].text_len || memcmp(text, vers[i].text, tlen) != 0) {
			fprintf(stderr, "sumdbd add: CONFLICT: %s %s is recorded (id %lld) with "
			    "other hashes\n", e->path, e->version, (long long)id);
			print_lines("  log:   ", (const char *)text, tlen);
			print_lines("  input: ", vers[i].text, vers[i].text_len);
			conflicts++;
		}
		free(text);
	}
	if (rc != SDB_OK)
		fprintf(stderr, "sumdbd add: %s: %s\n", db, sdb_errmsg(eb, rc));
	sdb_store_snapshot_end(rd);
	sdb_store_close(rd);
	return conflicts;
}

int
cmd_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *key = NULL;
	char **inputs = NULL;
	size_t *input_len = NULL;
	struct sdb_gosum **sums = NULL;
	struct item *items = NULL;
	struct version *vers = NULL;
	struct sdbd_record *recs = NULL;
	int64_t *ids = NULL;
	struct sdbd_log *log = NULL;
	struct sdb_errbuf eb = { { 0 } };
	size_t nin, i, j, nitems = 0, nvers = 0, nnew = 0, nskip_alg = 0, nbad = 0;
	size_t present = 0, conflicts = 0;
	int64_t old_n;
	int c, rc, status = EXIT_LOCAL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'k': key = optarg; break;
		case 'h': add_usage(stdout); return EXIT_OK;
		default: add_usage(stderr); return EXIT_LOCAL;
		}
	}
	if (db == NULL) {
		fprintf(stderr, "sumdbd add: --db is required\n");
		add_usage(stderr);
		return EXIT_LOCAL;
	}
	nin = optind < argc ? (size_t)(argc - optind) : 1;
	inputs = calloc(nin, sizeof *inputs);
	input_len = calloc(nin, sizeof *input_len);
	sums = calloc(nin, sizeof *sums);
	if (inputs == NULL || input_len == NULL || sums == NULL)
		goto nomem;

	/* Parse every input first: a malformed line stops everything. */
	for (i = 0; i < nin; i++) {
		const char *path = optind < argc ? argv[optind + (int)i] : NULL;
		const char *name = path == NULL || strcmp(path, "-") == 0 ? "standard input" : path;

		inputs[i] = cli_read_input("sumdbd add", path, SDB_MAX_GOSUM_SIZE, &input_len[i]);
		if (inputs[i] == NULL)
			goto out;
		rc = sdb_gosum_parse(inputs[i], input_len[i], &sums[i], &eb);
		if (rc != SDB_OK) {
			fprintf(stderr, "sumdbd add: %s: %s\n", name, sdb_errmsg(&eb, rc));
			goto out;
		}
		nitems += sums[i]->n;
	}
	items = calloc(nitems + 1, sizeof *items);
	if (items == NULL)
		goto nomem;
	nitems = 0;
	for (i = 0; i < nin; i++) {
		const char *path = optind < argc ? argv[optind + (int)i] : NULL;
		const char *name = path == NULL || strcmp(path, "-") == 0 ? "standard input" : path;

		for (j = 0; j < sums[i]->n; j++) {
			if (sums[i]->entries[j].alg != 1) {
				nskip_alg++;   /* the go command ignores them too */
				continue;
			}
			items[nitems].e = &sums[i]->entries[j];
			items[nitems].file = name;
			items[nitems].seq = nitems;
			nitems++;
		}
	}
	qsort(items, nitems, sizeof *items, item_cmp);

	/* Group into versions; both lines, no disagreement within the input. */
	vers = calloc(nitems + 1, sizeof *vers);
	if (vers == NULL)
		goto nomem;
	for (i = 0; i < nitems; i = j) {
		struct version *v = &vers[nvers];

		memset(v, 0, sizeof *v);
		v->first = items[i].seq;
		for (j = i; j < nitems && strcmp(items[j].e->path, items[i].e->path) == 0 &&
		    strcmp(items[j].e->version, items[i].e->version) == 0; j++) {
			const struct item **slot = items[j].e->is_gomod ? &v->gomod : &v->h1;
			if (items[j].seq < v->first)
				v->first = items[j].seq;
			if (*slot == NULL) {
				*slot = &items[j];
			} else if (memcmp((*slot)->e->h1.b, items[j].e->h1.b, SDB_HASH_SIZE) != 0) {
				fprintf(stderr, "sumdbd add: %s:%lld and %s:%lld: %s %s%s has two "
				    "different hashes\n", (*slot)->file, (long long)(*slot)->e->line,
				    items[j].file, (long long)items[j].e->line, items[j].e->path,
				    items[j].e->version, items[j].e->is_gomod ? "/go.mod" : "");
				nbad++;
			}
		}
		if (v->h1 == NULL || v->gomod == NULL) {
			const struct item *have = v->h1 != NULL ? v->h1 : v->gomod;
			fprintf(stderr, "sumdbd add: %s:%lld: %s %s has no %s line; a record needs "
			    "both the h1: and the /go.mod h1: line\n", have->file,
			    (long long)have->e->line, have->e->path, have->e->version,
			    v->h1 == NULL ? "h1: (module zip)" : "/go.mod h1:");
			nbad++;
			continue;
		}
		rc = sdb_record_format(v->h1->e->path, v->h1->e->path_len, v->h1->e->version,
		    v->h1->e->version_len, &v->h1->e->h1, &v->gomod->e->h1, &v->text,
		    &v->text_len, &eb);
		if (rc != SDB_OK) {
			fprintf(stderr, "sumdbd add: %s:%lld: %s\n", v->h1->file,
			    (long long)v->h1->e->line, sdb_errmsg(&eb, rc));
			nbad++;
			continue;
		}
		nvers++;
	}
	if (nbad > 0) {
		fprintf(stderr, "sumdbd add: %zu problem%s in the input; nothing recorded\n", nbad,
		    nbad == 1 ? "" : "s");
		goto out;
	}
	qsort(vers, nvers, sizeof *vers, version_cmp);

	{
		struct sdbd_log_options lo;

		memset(&lo, 0, sizeof lo);
		lo.db_path = db;
		lo.key_path = key;
		rc = sdbd_log_open(&log, &lo, &eb);
	}
	if (rc == SDB_ERR_LOCKED) {
		/* A running server holds the database: import through it. */
		char report[1024];
		size_t total = 0, off = 0;
		char *all;

		for (i = 0; i < nin; i++)
			total += input_len[i] + 1;
		all = malloc(total + 1);
		if (all == NULL)
			goto nomem;
		for (i = 0; i < nin; i++) {
			memcpy(all + off, inputs[i], input_len[i]);
			off += input_len[i];
			all[off++] = '\n';
		}
		rc = sdbd_admin_add(db, all, off, report, sizeof report, &eb);
		free(all);
		if (rc != SDB_OK) {
			fprintf(stderr, "sumdbd add: %s\n", sdb_errmsg(&eb, rc));
			if (report[0] != '\0')
				fprintf(stderr, "%s\n", report);
			status = rc == SDB_ERR_EXISTS ? EXIT_VERIFY : EXIT_LOCAL;
			goto out;
		}
		printf("%s\n", report);
		status = EXIT_OK;
		goto out;
	}
	if (rc != SDB_OK) {
		fprintf(stderr, "sumdbd add: %s: %s\n", db, sdb_errmsg(&eb, rc));
		if (sdb_err_is_verification(rc))
			status = EXIT_VERIFY;   /* a damaged database, not a usage error */
		goto out;
	}

	/* The log looks every record up once (dedup_req): a version recorded
	 * with the same text gets its old id, one with other text refuses the
	 * whole call.  Only then do we look again, to name every conflict. */
	{
		const struct sdbd_latest *l = sdbd_log_latest(log);
		old_n = l->tree.n;
		sdbd_latest_put(l);
	}
	recs = calloc(nvers + 1, sizeof *recs);
	ids = calloc(nvers + 1, sizeof *ids);
	if (recs == NULL || ids == NULL)
		goto nomem;
	for (i = 0; i < nvers; i++) {
		const struct sdb_gosum_entry *e = vers[i].h1->e;

		recs[i].path = e->path;
		recs[i].path_len = e->path_len;
		recs[i].version = e->version;
		recs[i].version_len = e->version_len;
		recs[i].text = vers[i].text;
		recs[i].text_len = vers[i].text_len;
	}
	rc = sdbd_log_append(log, recs, nvers, ids, &eb);
	if (rc == SDB_ERR_EXISTS) {
		struct sdb_errbuf leb = eb;

		conflicts = report_conflicts(db, vers, nvers, &eb);
		if (conflicts == 0)
			fprintf(stderr, "sumdbd add: %s; nothing recorded\n", sdb_errmsg(&leb, rc));
		else
			fprintf(stderr, "sumdbd add: %zu conflict%s with recorded hashes; nothing "
			    "recorded\n", conflicts, conflicts == 1 ? "" : "s");
		status = EXIT_VERIFY;
		goto out;
	}
	if (rc != SDB_OK) {
		fprintf(stderr, "sumdbd add: %s; nothing recorded\n", sdb_errmsg(&eb, rc));
		goto out;
	}
	for (i = 0; i < nvers; i++)
		if (ids[i] < old_n)
			present++;
	nnew = nvers - present;
	{
		const struct sdbd_latest *l = sdbd_log_latest(log);
		printf("added %zu, already present %zu (module versions); tree size %lld\n", nnew,
		    present, (long long)l->tree.n);
		sdbd_latest_put(l);
	}
	if (nskip_alg > 0)
		printf("ignored %zu lines with hash algorithms other than h1\n", nskip_alg);
	status = EXIT_OK;
	goto out;
nomem:
	fprintf(stderr, "sumdbd add: out of memory\n");
out:
	sdbd_log_close(log);
	for (i = 0; vers != NULL && i < nvers; i++)
		free(vers[i].text);
	free(vers);
	free(recs);
	free(ids);
	free(items);
	for (i = 0; sums != NULL && i < nin; i++)
		sdb_gosum_free(sums[i]);
	for (i = 0; inputs != NULL && i < nin; i++)
		free(inputs[i]);
	free(sums);
	free(inputs);
	free(input_len);
	return status;
}
