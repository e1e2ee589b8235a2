/*
 * sumdb evidence: prints the evidence of misbehavior kept in an audit state
 * file (forks proved by audit or lookup --state; conflicting and invalid
 * records found by audit --full, invalid records met by lookup --state),
 * oldest first.  Exit 2 when there is any,
 * so that a job can alert on it; nothing is fetched.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "csumdb/note.h"
#include "csumdb/state.h"
#include "json.h"
#include "remote.h"

static void
evidence_usage(FILE *f)
{
	fprintf(f,
	    "usage: sumdb evidence [--state FILE] [--json] KEY\n"
	    "\n"
	    "Prints the evidence of misbehavior by the checksum database with the\n"
	    "verifier key KEY kept in the audit state file: forks proved by sumdb\n"
	    "audit or sumdb lookup --state, conflicting or invalid records found by\n"
	    "sumdb audit --full, and invalid records met by sumdb lookup --state.\n"
	    "Nothing is fetched.\n"
	    "\n"
	    "  --state FILE  state file (default: sumdb audit's default for KEY)\n"
	    "  --json        print one JSON object per piece of evidence, then a\n"
	    "                summary {\"summary\":true,\"state\":...,\"evidence_count\":N}\n"
	    "                (alone when there is none); when the state cannot be\n"
	    "                read, one {\"status\":\"could-not-check\",\"detail\":...}; a\n"
	    "                usage error is on standard error only\n"
	    "  --help        this text\n"
	    "\n"
	    "Exit status: 0 no evidence; 2 evidence is kept; 1 no state file, or it\n"
	    "cannot be read, or usage.\n");
}

struct ev_print {
	int json;
	int64_t n;
};

static int
ev_print(void *arg, int64_t when, const char *text, size_t len)
{
	struct ev_print *p = arg;
	char stamp[32] = "unknown time";
	time_t t = (time_t)when;
	struct tm tm;

	if (gmtime_r(&t, &tm) != NULL)
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
	p->n++;
	if (p->json) {
		printf("{\"n\":%" PRId64 ",\"stored\":\"%s\",\"text\":", p->n, stamp);
		json_string(stdout, text, len);
		printf("}\n");
	} else {
		printf("--- evidence %" PRId64 ", stored %s ---\n", p->n, stamp);
		cli_text(stdout, text, len);
		if (len == 0 || text[len - 1] != '\n')
			putchar('\n');
	}
	return 0;
}

int
evidence_store(struct sdb_state *st, const char *cmd, const char *text, size_t len, int print)
{
	struct sdb_errbuf eb = { { 0 } };
	int err;

	if (text == NULL)
		err = sdb_errf(&eb, SDB_ERR_NOMEM, "out of memory");
	else if ((err = sdb_state_add_evidence(st, text, len, &eb)) == SDB_OK)
		return SDB_OK;
	cli_linef(stderr, "sumdb %s: WARNING: evidence of misbehavior could not be stored (%s)%s",
	    cmd, sdb_errmsg(&eb, err), print && text != NULL ? "; here it is, keep it:" : "");
	if (print && text != NULL) {
		cli_text(stderr, text, len);
		if (len == 0 || text[len - 1] != '\n')
			fputc('\n', stderr);
	}
	return err;
}

struct ev_find {
	const char *text;
	size_t len;
	int64_t n, found;
};

static int
ev_find(void *arg, int64_t when, const char *text, size_t len)
{
	struct ev_find *f = arg;

	(void)when;
	f->n++;
	if (len == f->len && memcmp(text, f->text, len) == 0) {
		f->found = f->n;
		return 1;
	}
	return 0;
}

int64_t
evidence_number(struct sdb_state *st, const char *text, size_t len)
{
	struct ev_find f = { text, len, 0, 0 };

	if (sdb_state_evidence_each(st, ev_find, &f, NULL) != SDB_OK)
		return 0;
	return f.found;
}

void
state_cache_tiles(struct sdb_remote *r, const char *cmd, struct cli_progress *bar)
{
	struct sdb_errbuf eb = { { 0 } };
	int err = sdb_remote_commit_cache(r, &eb);

	if (err == SDB_OK)
		return;
	if (bar != NULL)
		cli_progress_break(bar);
	cli_linef(stderr, "sumdb %s: warning: could not cache tiles in the state (%s); the next "
	    "run fetches them again", cmd, sdb_errmsg(&eb, err));
}

int
cmd_evidence(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sdb_errbuf eb = { { 0 } };
	struct ev_print p = { 0, 0 };
	struct sdb_note_verifier *v = NULL;
	struct sdb_state *st = NULL;
	struct stat sb;
	char *state_path = NULL, *vkey = NULL;
	const char *given = NULL;
	int c, err, status = EXIT_LOCAL;
	char detail[SDB_ERRBUF_SIZE + 1024] = "";

	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': given = optarg; break;
		case 'j': p.json = 1; break;
		case 'h': evidence_usage(stdout); return EXIT_OK;
		default: cli_usage_error("sumdb evidence", evidence_usage); return EXIT_LOCAL;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "sumdb evidence: want exactly one KEY\n");
		cli_usage_error("sumdb evidence", evidence_usage);
		return EXIT_LOCAL;
	}
	/* the key names the default state and is checked against the state's */
	if ((err = sdb_note_verifier_from_arg(&v, argv[optind], &eb)) != SDB_OK) {
		snprintf(detail, sizeof detail, "%s", sdb_errmsg(&eb, err));
		goto out;
	}
	if (sdb_note_verifier_format(v, &vkey) != SDB_OK) {
		snprintf(detail, sizeof detail, "out of memory");
		goto out;
	}
	state_path = given != NULL ? strdup(given) :
	    audit_default_state_path(sdb_note_verifier_name(v));
	if (state_path == NULL) {
		snprintf(detail, sizeof detail, "%s", given != NULL ? "out of memory" :
		    "no --state and neither XDG_STATE_HOME nor HOME set");
		goto out;
	}
	/* reading must not create a state */
	if (stat(state_path, &sb) != 0) {
		snprintf(detail, sizeof detail, "no state file %s (sumdb audit makes it)", state_path);
		goto out;
	}
	if ((err = sdb_state_open_read(&st, state_path, vkey, &eb)) != SDB_OK ||
	    (err = sdb_state_evidence_each(st, ev_print, &p, &eb)) != SDB_OK) {
		snprintf(detail, sizeof detail, "%s", sdb_errmsg(&eb, err));
		goto out;
	}
	if (p.json) {
		/* always an object, also for no evidence: a script reading
		 * the output gets JSON, not an empty string */
		printf("{\"summary\":true,\"state\":");
		json_string(stdout, state_path, strlen(state_path));
		printf(",\"evidence_count\":%" PRId64 "}\n", p.n);
	} else {
		cli_linef(stdout, "%s: %" PRId64 " piece%s of evidence of misbehavior by %s", state_path,
		    p.n, p.n == 1 ? "" : "s", sdb_note_verifier_name(v));
	}
	status = p.n > 0 ? EXIT_VERIFY : EXIT_OK;
out:
	if (detail[0] != '\0') {
		cli_linef(stderr, "sumdb evidence: %s", detail);
		/* --json: "could not read" must not look like "no evidence" (the summary) */
		if (p.json)
			json_status(stdout, "status", "could-not-check", detail);
	}
	sdb_state_close(st);
	sdb_note_verifier_free(v);
	free(vkey);
	free(state_path);
	return status;
}
