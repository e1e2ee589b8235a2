/*
 * sumdbd add: records go.sum lines in the log (issue 3 "Commands";
 * PROTOCOL.md "Record": a record is a module version's h1: line and its
 * /go.mod h1: line).  Everything is checked before anything is written:
 * every version needs both lines, the input must not contradict itself,
 * and no version may already be recorded with other hashes; then the new
 * records go to the sequencer in one call, so a refusal writes nothing.
 * Each input is folded into the import as it is read and then dropped:
 * what stays is one record text per version (import.h).
 * Offline it opens the log itself; when a running server holds the
 * database it sends the records it made to the server's admin interface
 * (admin.h), which checks them with the same code (import.h).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "admin.h"
#include "cli.h"
#include "import.h"
#include "csumdb/gosum.h"
#include "csumdb/record.h"
#include "csumdb/store.h"
#include "limits.h"
#include "log.h"

static void
add_usage(FILE *f)
{
	fprintf(f,
	    "usage: sumdbd add --db FILE [--key KEYFILE] [--checkpoint FILE] [--new-checkpoint]\n"
	    "                  [--skip-gomod-only] [GOSUM-FILE...]\n"
	    "\n"
	    "Records the module versions of the go.sum files (standard input when\n"
	    "none is given, or -) in the log.  Each version needs both its h1: line\n"
	    "and its /go.mod h1: line.  Versions already recorded with the same\n"
	    "hashes are skipped; a version recorded with other hashes is a conflict,\n"
	    "and then nothing at all is written.  Each file is at most 64 MiB: split\n"
	    "a larger one (split -C 64M) and give every piece to the one add, which\n"
	    "takes them as one input.  Works on the database directly, or\n"
	    "through the admin interface of a running sumdbd serve (which signs with\n"
	    "its own key, and takes at most 64 MiB of records in one add).  When the\n"
	    "server stops before it answers, the add may or may not be recorded:\n"
	    "run it again (what was recorded is skipped).\n"
	    "\n"
	    "  --db FILE          the database\n"
	    "  --key KEYFILE      signer key (default: the file the database remembers)\n"
	    "  --checkpoint FILE  the key's checkpoint (default KEYFILE.checkpoint)\n"
	    "  --new-checkpoint   when there is no checkpoint, start one at the\n"
	    "                     database's tree (else refused: only when this is\n"
	    "                     the latest database the key signed for)\n"
	    "  --skip-gomod-only  skip versions that have only a /go.mod h1: line (go\n"
	    "                     mod tidy keeps those for modules needed only for\n"
	    "                     their go.mod) instead of refusing the input\n"
	    "  --help             this text\n"
	    "\n"
	    "Exit status: 0 recorded (or nothing new); 1 usage, malformed input or\n"
	    "local error; 2 a conflict with a recorded hash (nothing written), or a\n"
	    "damaged database.\n");
}

static void
print_problem(void *arg, const char *file, int64_t line, const char *msg)
{
	(void)arg;
	cli_linef(stderr, "sumdbd add: %s:%lld: %s", file, (long long)line, msg);
}

/* The size of the input path names when it is a regular file, else -1
 * (standard input, a pipe, a file that cannot be read). */
static int64_t
file_size(const char *path)
{
	struct stat sb;

	if (path == NULL || strcmp(path, "-") == 0 || stat(path, &sb) != 0 ||
	    !S_ISREG(sb.st_mode))
		return -1;
	return (int64_t)sb.st_size;
}

/* The bar of the log's stages (sdbd_log_progress_fn): a new line for
 * each stage, ended with it. */
static void
commit_progress(void *arg, const char *stage, size_t done, size_t total)
{
	struct cli_progress *bar = arg;

	if (done == 0)
		cli_progress_start(bar, stage, "records", (int64_t)total, 0);
	if (done < total)
		cli_progress_show(bar, (int64_t)done);
	else
		cli_progress_end(bar, (int64_t)done);
}

/*
 * After the log refused the import: names every record of im whose
 * version is recorded with other hashes, with both texts, and returns how
 * many (0 if the store cannot be read; eb then holds why).  One read
 * snapshot for all the lookups; a reader works beside a running server.
 */
static size_t
report_conflicts(const char *db, const struct sdbd_import *im, struct sdb_errbuf *eb)
{
	struct sdb_store *rd = NULL;
	size_t i, conflicts = 0;
	char *pv = NULL;
	int rc;

	rc = sdb_store_open(&rd, db, SDB_STORE_READ, eb);
	if (rc == SDB_OK)
		rc = sdb_store_snapshot_begin(rd, eb);
	for (i = 0; rc == SDB_OK && i < im->n; i++) {
		const struct sdbd_record *r = &im->recs[i];
		uint8_t *text = NULL;
		size_t tlen = 0;
		int64_t id;
		char *p;

		/* "path\0version\0": the record's are not NUL-terminated */
		if ((p = realloc(pv, r->path_len + r->version_len + 2)) == NULL) {
			rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
			break;
		}
		pv = p;
		memcpy(pv, r->path, r->path_len);
		pv[r->path_len] = '\0';
		memcpy(pv + r->path_len + 1, r->version, r->version_len);
		pv[r->path_len + 1 + r->version_len] = '\0';
		rc = sdb_store_lookup(rd, pv, pv + r->path_len + 1, &id, &text, &tlen, eb);
		if (rc == SDB_ERR_NOT_FOUND) {
			rc = SDB_OK;
			continue;
		}
		if (rc != SDB_OK)
			break;
		if (tlen != r->text_len || memcmp(text, r->text, tlen) != 0) {
			cli_linef(stderr, "sumdbd add: CONFLICT: %s %s is recorded (id %lld) with "
			    "other hashes", pv, pv + r->path_len + 1, (long long)id);
			cli_lines(stderr, "  log:   ", (const char *)text, tlen);
			cli_lines(stderr, "  input: ", r->text, r->text_len);
			conflicts++;
		}
		free(text);
	}
	if (rc != SDB_OK)
		cli_linef(stderr, "sumdbd add: %s: %s", db, sdb_errmsg(eb, rc));
	sdb_store_snapshot_end(rd);
	sdb_store_close(rd);
	free(pv);
	return conflicts;
}

/* A refusal for conflicts: each one named, or the log's own words. */
static int
conflict_exit(const char *db, const struct sdbd_import *im, const char *why)
{
	struct sdb_errbuf eb = { { 0 } };
	size_t conflicts = report_conflicts(db, im, &eb);

	if (conflicts == 0)
		cli_linef(stderr, "sumdbd add: %s; nothing recorded", why);
	else
		cli_linef(stderr, "sumdbd add: %zu conflict%s with recorded hashes; nothing "
		    "recorded", conflicts, conflicts == 1 ? "" : "s");
	return EXIT_VERIFY;
}

/* Through a running server's admin interface: the records, as go.sum. */
static int
add_through_server(const char *db, const char *key, const char *checkpoint, int new_checkpoint,
    const struct sdbd_import *im)
{
	struct sdb_errbuf eb = { { 0 } };
	char report[1024];
	size_t total = 0, off = 0, i;
	char *all;
	int rc;

	if (key != NULL || checkpoint != NULL || new_checkpoint) {
		const char *given[3];
		char list[64] = "";
		int n = 0, j;

		if (key != NULL)
			given[n++] = "--key";
		if (checkpoint != NULL)
			given[n++] = "--checkpoint";
		if (new_checkpoint)
			given[n++] = "--new-checkpoint";
		for (j = 0; j < n; j++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
			    j == 0 ? "" : j == n - 1 ? " and " : ", ", given[j]);
		cli_linef(stderr, "sumdbd add: note: a running sumdbd serve holds %s and signs with "
		    "its own key; %s %s not used", db, list, n == 1 ? "is" : "are");
	}
	for (i = 0; i < im->n; i++)
		total += im->recs[i].text_len;
	if (total > SDB_MAX_GOSUM_SIZE) {
		fprintf(stderr, "sumdbd add: %zu MiB of records, more than the 64 MiB a running "
		    "server takes in one add: split the input into several adds (each is all or "
		    "nothing), or add while the server is stopped\n", (total + 1048575) / 1048576);
		return EXIT_LOCAL;
	}
	all = malloc(total + 1);
	if (all == NULL) {
		fprintf(stderr, "sumdbd add: out of memory\n");
		return EXIT_LOCAL;
	}
	for (i = 0; i < im->n; i++) {
		memcpy(all + off, im->recs[i].text, im->recs[i].text_len);
		off += im->recs[i].text_len;
	}
	rc = sdbd_admin_add(db, all, off, report, sizeof report, &eb);
	free(all);
	if (rc == SDB_ERR_EXISTS)
		return conflict_exit(db, im, sdb_errmsg(&eb, rc));
	if (rc != SDB_OK) {
		cli_linef(stderr, "sumdbd add: %s", sdb_errmsg(&eb, rc));
		return sdb_err_is_verification(rc) ? EXIT_VERIFY : EXIT_LOCAL;
	}
	/* the server's words, as a message: one printable line each */
	cli_lines(stdout, "", report, strlen(report));
	return EXIT_OK;
}

int
cmd_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "new-checkpoint", no_argument, NULL, 'w' },
		{ "skip-gomod-only", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *key = NULL, *checkpoint = NULL;
	const char **names = NULL;
	struct sdbd_import im;
	int64_t *ids = NULL;
	struct sdbd_log *log = NULL;
	struct sdb_errbuf eb = { { 0 } };
	struct cli_progress bar;
	size_t nin, i, present = 0;
	int64_t old_n, bytes = 0, nread = 0;
	int c, rc, skip_gomod_only = 0, new_checkpoint = 0, status = EXIT_LOCAL;

	memset(&im, 0, sizeof im);
	memset(&bar, 0, sizeof bar);
	optind = 1;
	while ((c = cli_getopt(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'k': key = optarg; break;
		case 'c': checkpoint = optarg; break;
		case 'w': new_checkpoint = 1; break;
		case 's': skip_gomod_only = 1; break;
		case 'h': add_usage(stdout); return EXIT_OK;
		default: cli_usage_error("sumdbd add", add_usage); return EXIT_LOCAL;
		}
	}
	if (db == NULL) {
		fprintf(stderr, "sumdbd add: --db is required\n");
		cli_usage_error("sumdbd add", add_usage);
		return EXIT_LOCAL;
	}
	nin = optind < argc ? (size_t)(argc - optind) : 1;
	names = calloc(nin, sizeof *names);
	if (names == NULL)
		goto nomem;

	/* The bar of the reading counts the bytes of the inputs that are
	 * files; one that is not (standard input) counts once it is read. */
	for (i = 0; i < nin; i++) {
		int64_t size = file_size(optind < argc ? argv[optind + (int)i] : NULL);

		if (size > 0)
			bytes += size;
	}
	cli_progress_start(&bar, "read", "MiB", bytes / 1048576, 0);

	/* Parse every input first: a malformed line stops everything.  Each
	 * input is dropped once read into the import. */
	for (i = 0; i < nin; i++) {
		const char *path = optind < argc ? argv[optind + (int)i] : NULL;
		size_t len = 0;
		char *input;

		names[i] = cli_input_name(path);
		input = cli_read_file(path, SDB_MAX_GOSUM_SIZE, &len, &eb);
		if (input == NULL) {
			cli_progress_break(&bar);
			/* A bulk import is no hostile file: say how to take it. */
			cli_linef(stderr, "sumdbd add: %s%s", eb.msg, len > SDB_MAX_GOSUM_SIZE ?
			    ": split it into pieces of at most 64 MiB (split -C 64M) and give them "
			    "all to one add, which takes them as one input" : "");
			goto out;
		}
		rc = sdbd_import_add(&im, names[i], input, len, &eb);
		free(input);
		if (file_size(path) < 0)
			bytes += (int64_t)len;
		nread += (int64_t)len;
		bar.total = bytes / 1048576;
		cli_progress_show(&bar, nread / 1048576);
		if (rc != SDB_OK) {
			cli_progress_break(&bar);
			cli_linef(stderr, "sumdbd add: %s: %s", names[i], sdb_errmsg(&eb, rc));
			goto out;
		}
	}
	cli_progress_end(&bar, nread / 1048576);
	rc = sdbd_import_finish(&im, skip_gomod_only, print_problem, NULL, &eb);
	if (rc != SDB_OK) {
		cli_linef(stderr, "sumdbd add: %s", sdb_errmsg(&eb, rc));
		goto out;
	}
	if (im.problems > 0) {
		cli_linef(stderr, "sumdbd add: %zu problem%s in the input; nothing recorded",
		    im.problems, im.problems == 1 ? "" : "s");
		goto out;
	}

	{
		struct sdbd_log_options lo;

		memset(&lo, 0, sizeof lo);
		lo.db_path = db;
		lo.key_path = key;
		lo.checkpoint_path = checkpoint;
		lo.new_checkpoint = new_checkpoint;
		rc = sdbd_log_open(&log, &lo, &eb);
	}
	if (rc == SDB_ERR_LOCKED) {
		/* A running server holds the database: import through it. */
		status = add_through_server(db, key, checkpoint, new_checkpoint, &im);
		if (status == EXIT_OK)
			goto counts;
		goto out;
	}
	if (rc != SDB_OK) {
		cli_linef(stderr, "sumdbd add: %s: %s", db, sdb_errmsg(&eb, rc));
		if (sdb_err_is_verification(rc) || rc == SDB_ERR_DAMAGED)
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
	ids = calloc(im.n + 1, sizeof *ids);
	if (ids == NULL)
		goto nomem;
	rc = im.n > 0 ? sdbd_log_append_progress(log, im.recs, im.n, ids, commit_progress, &bar,
	    &eb) : SDB_OK;
	cli_progress_break(&bar);   /* a refusal stops a stage short */
	if (rc == SDB_ERR_EXISTS) {
		status = conflict_exit(db, &im, sdb_errmsg(&eb, rc));
		goto out;
	}
	if (rc != SDB_OK) {
		cli_linef(stderr, "sumdbd add: %s; nothing recorded", sdb_errmsg(&eb, rc));
		goto out;
	}
	for (i = 0; i < im.n; i++)
		if (ids[i] < old_n)
			present++;
	{
		const struct sdbd_latest *l = sdbd_log_latest(log);
		printf("added %zu, already present %zu (module versions); tree size %lld\n",
		    im.n - present, present, (long long)l->tree.n);
		sdbd_latest_put(l);
	}
	status = EXIT_OK;
counts:
	if (im.skipped_gomod_only > 0)
		printf("skipped %zu version%s with only a /go.mod line\n", im.skipped_gomod_only,
		    im.skipped_gomod_only == 1 ? "" : "s");
	if (im.ignored_lines > 0)
		printf("ignored %zu lines with hash algorithms other than h1\n", im.ignored_lines);
	goto out;
nomem:
	fprintf(stderr, "sumdbd add: out of memory\n");
out:
	sdbd_log_close(log);
	sdbd_import_free(&im);
	free(ids);
	free(names);
	return status;
}
