/*
 * sumdb audit: checks that a checksum database's latest signed tree is
 * consistent with the tree accepted on the previous run (PROTOCOL.md
 * "Auditing", DESIGN.md "Audit path").  The first run trusts what it sees
 * and says so, unless --no-first-run makes it a failure (exit 1, with a
 * --json status of its own: a lost state must not pass unnoticed).  A fork prints and stores a
 * proof of misbehavior and keeps the accepted tree (exit 2); anything that
 * prevents the check (network, 5xx, garbled answers, missing tiles) is
 * exit 1 with the state unchanged.  --full then checks every record
 * (full.c).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "csumdb/audit.h"
#include "csumdb/base64.h"
#include "full.h"
#include "json.h"
#include "remote.h"

static void
audit_usage(FILE *f)
{
	fprintf(f,
	    "usage: sumdb audit [--state FILE] [--url URL] [--full] [--no-first-run]\n"
	    "                   [--json] KEY\n"
	    "\n"
	    "Checks that the latest signed tree of the checksum database with the\n"
	    "verifier key KEY (or sum.golang.org, its built-in key) is consistent with\n"
	    "the tree accepted on the previous run, using only tiles authenticated\n"
	    "against the signed root; then accepts it.  The first run trusts the tree\n"
	    "it sees.  On a fork prints a proof of misbehavior, stores it in the state\n"
	    "and keeps the accepted tree.\n"
	    "\n"
	    "  --state FILE  state file (default $XDG_STATE_HOME/csumdb/NAME.state,\n"
	    "                or ~/.local/state/csumdb/NAME.state, in a directory\n"
	    "                that only this user may write, as may no one else\n"
	    "                those above it up to the home directory); the\n"
	    "                accepted tree in it never goes back\n"
	    "  --url URL     the database's URL (default https://NAME; a proxy form\n"
	    "                such as https://proxy.example/sumdb/sum.golang.org works)\n"
	    "  --full        also download every data tile and check every record,\n"
	    "                every level-0 tile root and the whole tree (incremental;\n"
	    "                one --full run per state at a time)\n"
	    "  --no-first-run\n"
	    "                fail (exit 1) instead of trusting the tree seen when\n"
	    "                the state holds no accepted tree (a lost state file);\n"
	    "                nothing is fetched or stored then\n"
	    "  --json        print one JSON object, also when it fails (a \"status\" of\n"
	    "                verification-failed, could-not-check or no-accepted-tree,\n"
	    "                and a \"detail\"); a fork's names the \"state\" file that\n"
	    "                keeps its evidence and its number there (\"evidence_n\",\n"
	    "                as sumdb evidence shows it); a usage error is on standard\n"
	    "                error only\n"
	    "  --help        this text\n"
	    "\n"
	    "Exit status: 0 consistent; 2 verification failed (fork, bad signature,\n"
	    "tiles or records that do not match); 1 could not check (network, server\n"
	    "errors, usage, local files, no accepted tree with --no-first-run).\n");
}

/*
 * Checks the directories above dir, the default state's own (which
 * make_state_dir checks itself), with symbolic links resolved: up to the
 * home directory, included, when dir is under it, else up to /.  Each
 * must belong to this user or to root, and be writable by no one else
 * unless its sticky bit keeps others from renaming or removing what is
 * not theirs (/tmp): whoever may write one can rename the directory below
 * it and put one of their own in its place, holding a state that makes
 * the next run trust whatever it is shown.  So ssh checks the directories
 * above ~/.ssh (and stops at the home directory: those above it are the
 * system's).
 */
static int
check_state_parents(const char *dir, struct sdb_errbuf *eb)
{
	const char *home = getenv("HOME");
	char *real = realpath(dir, NULL), *home_real = NULL, *p;
	struct stat sb;
	int err = SDB_OK;

	if (real == NULL)
		return sdb_errf(eb, SDB_ERR_IO, "directory %s of the state file: %s", dir,
		    strerror(errno));
	if (home != NULL && home[0] == '/')
		home_real = realpath(home, NULL);
	if (home_real != NULL && strcmp(home_real, "/") != 0) {
		size_t n = strlen(home_real);

		/* not under the home directory: up to / */
		if (strncmp(real, home_real, n) != 0 || (real[n] != '/' && real[n] != '\0')) {
			free(home_real);
			home_real = NULL;
		}
	}
	p = real;
	while (err == SDB_OK && strcmp(p, "/") != 0 &&
	    (home_real == NULL || strcmp(p, home_real) != 0)) {
		char *slash = strrchr(p, '/');

		if (slash == p)
			slash[1] = '\0';   /* the root */
		else
			*slash = '\0';
		if (stat(p, &sb) != 0)
			err = sdb_errf(eb, SDB_ERR_IO, "directory %s, above the state's directory %s: "
			    "%s", p, dir, strerror(errno));
		else if (sb.st_uid != geteuid() && sb.st_uid != 0)
			err = sdb_errf(eb, SDB_ERR_IO, "directory %s, above the state's directory %s, "
			    "belongs to uid %ju, neither this user (uid %ju) nor root, who could put "
			    "another directory in its place: use a directory of your own "
			    "(XDG_STATE_HOME) or --state", p, dir, (uintmax_t)sb.st_uid,
			    (uintmax_t)geteuid());
		else if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (sb.st_mode & S_ISVTX) == 0)
			err = sdb_errf(eb, SDB_ERR_IO, "directory %s, above the state's directory %s, "
			    "can be written by others (mode %04o), who could put another directory in "
			    "its place: chmod go-w %s", p, dir, (unsigned)(sb.st_mode & 07777), p);
	}
	free(real);
	free(home_real);
	return err;
}

/*
 * Makes the directories of the default state path (mkdir -p, each new one
 * 0700 as XDG's base directory rules say), then checks the one that holds
 * the state: it must be this user's and writable by no one else, or
 * another user could replace the state (an older tree; none, so that the
 * next run trusts whatever it is shown) or put a write-ahead log beside
 * it that SQLite would replay into it; and the directories above it
 * (check_state_parents).
 */
static int
make_state_dir(char *path, struct sdb_errbuf *eb)
{
	char *p, *slash = strrchr(path, '/');
	struct stat sb;
	int err = SDB_OK;

	for (p = path + 1; *p != '\0' && err == SDB_OK; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			err = sdb_errf(eb, SDB_ERR_IO, "cannot create the directory %s of the state "
			    "file: %s", path, strerror(errno));
		*p = '/';
	}
	if (err != SDB_OK || slash == NULL || slash == path)
		return err;
	*slash = '\0';
	if (stat(path, &sb) != 0)
		err = sdb_errf(eb, SDB_ERR_IO, "directory %s of the state file: %s", path,
		    strerror(errno));
	else if (sb.st_uid != geteuid())
		err = sdb_errf(eb, SDB_ERR_IO, "directory %s of the state file belongs to uid %ju, "
		    "not to this user (uid %ju), who could not keep others from replacing the "
		    "state: use a directory of your own (XDG_STATE_HOME) or --state", path,
		    (uintmax_t)sb.st_uid, (uintmax_t)geteuid());
	else if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		err = sdb_errf(eb, SDB_ERR_IO, "directory %s of the state file can be written by "
		    "others (mode %04o), who could replace the state: chmod go-w it", path,
		    (unsigned)(sb.st_mode & 07777));
	else
		err = check_state_parents(path, eb);
	*slash = '/';
	return err;
}

/*
 * Whether the byte at s (NUL-terminated) starts a control character:
 * C0 and DEL, or a C1 control (U+0080..U+009F, 0xC2 0x80..0x9F in UTF-8,
 * which some terminals take as ESC sequences).  Go's note format lets a
 * key name hold any of these but the C0 ones.
 */
static size_t
control_len(const unsigned char *s)
{
	if (*s < 0x20 || *s == 0x7f)
		return 1;
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 2;
	return 0;
}

char *
audit_default_state_path(const char *name)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	const char *start = name;
	struct stat sb;
	size_t n, dir;
	char *p, *q, *legacy;
	int escaped = 0;

	/* XDG: "If an implementation encounters a relative path in any of
	 * these variables it should consider the path invalid and ignore
	 * it" (the state would follow the working directory). */
	if (xdg != NULL && xdg[0] != '/')
		xdg = NULL;
	if ((xdg == NULL || *xdg == '\0') && (home == NULL || *home == '\0'))
		return NULL;
	/* each byte of the name takes at most 3 ("%XX") */
	n = (xdg && *xdg ? strlen(xdg) : strlen(home) + 13) + 3 * strlen(name) + 20;
	if ((p = malloc(n)) == NULL)
		return NULL;
	if (xdg != NULL && *xdg != '\0')
		snprintf(p, n, "%s/csumdb/", xdg);
	else
		snprintf(p, n, "%s/.local/state/csumdb/", home);
	dir = strlen(p);
	q = p + dir;
	/* A control character would go into the file name as it is, to
	 * reach a terminal or a log with every ls or message naming the
	 * state: each byte of one is written as %XX (upper-case hex) instead.
	 * Every other name maps to the file it always did, so that no state
	 * is lost; that a name holding "%1B" literally maps to the file of
	 * one holding ESC does not mix two logs up, as a state belongs to
	 * one key and refuses any other. */
	while (*name != '\0') {
		size_t c = control_len((const unsigned char *)name);

		if (c == 0) {
			*q++ = *name == '/' ? '_' : *name;
			name++;
			continue;
		}
		for (; c > 0; c--, name++) {
			snprintf(q, 4, "%%%02X", (unsigned)(unsigned char)*name);
			q += 3;
		}
		escaped = 1;
	}
	memcpy(q, ".state", 7);
	if (!escaped)
		return p;
	/* Before the %XX names, the state of such a key was made under its
	 * name byte for byte: while no state has the new name, that one is
	 * still the key's state, which a first run under the new name would
	 * replace by trusting whatever tree it is shown. */
	if ((legacy = malloc(n)) == NULL) {
		free(p);
		return NULL;
	}
	memcpy(legacy, p, dir);
	for (q = legacy + dir; *start != '\0'; start++)
		*q++ = *start == '/' ? '_' : *start;
	memcpy(q, ".state", 7);
	if (stat(p, &sb) != 0 && errno == ENOENT && stat(legacy, &sb) == 0) {
		free(p);
		return legacy;
	}
	free(legacy);
	return p;
}

/* How many pieces of evidence st holds, or -1 when that cannot be read:
 * every --json object says it, as every run says so on standard error,
 * so that a job reading the JSON alone knows the state holds some. */
static int64_t
evidence_count(struct sdb_state *st)
{
	int64_t n = 0;

	return sdb_state_evidence_count(st, &n, NULL) == SDB_OK ? n : -1;
}

/* Writes ,"evidence_count":N (null: unknown) into an audit object. */
static void
json_evidence_count(struct sdb_state *st)
{
	int64_t n = evidence_count(st);

	if (n >= 0)
		printf(",\"evidence_count\":%" PRId64, n);
	else
		printf(",\"evidence_count\":null");
}

static void
print_hash_lines(FILE *f, const sdb_hash *h, size_t n)
{
	char b[SDB_B64_ENCODED_LEN(SDB_HASH_SIZE) + 1];
	size_t i;

	for (i = 0; i < n; i++) {
		sdb_b64_encode(b, h[i].b, SDB_HASH_SIZE);
		fprintf(f, "%s\n", b);
	}
}

char *
audit_evidence_text(const struct sdb_remote *r, const struct sdb_tree *acc, const char *acc_note,
    const struct sdb_tree *lat, const char *lat_note, const struct sdb_audit_result *res,
    int seen, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	const struct sdb_tree *small = res->stale ? lat : acc, *big = res->stale ? acc : lat;

	if (f == NULL)
		return NULL;
	fprintf(f, "proof of misbehavior: %s (%s)\n", sdb_note_verifier_name(r->v), r->shown);
	fprintf(f, "%s, %" PRId64 " records:\n%s", seen ? "tree seen first" : "accepted tree",
	    acc->n, acc_note);
	fprintf(f, "%s, %" PRId64 " records:\n%s", seen ? "tree seen later" : "latest tree",
	    lat->n, lat_note);
	if (acc->n == lat->n) {
		fprintf(f, "two different trees of the same size signed by the same key\n");
	} else {
		fprintf(f, "hash of the first %" PRId64 " records computed from tiles authenticated "
		    "against the tree of %" PRId64 " records:\n", small->n, big->n);
		print_hash_lines(f, &res->computed, 1);
		fprintf(f, "consistency proof %" PRId64 " -> %" PRId64 " (%zu hashes):\n", small->n,
		    big->n, res->nproof);
		print_hash_lines(f, res->proof, res->nproof);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* --no-first-run with no tree accepted in the state at state_path: says
 * so on standard error and, with json, as its own status (*printed set);
 * the words are in eb, for --json's detail too.  SDB_ERR_NOT_FOUND. */
static int
no_accepted_tree(const struct sdb_remote *r, const char *state_path, int json, int *printed,
    struct sdb_errbuf *eb)
{
	struct stat sb;
	int missing = stat(state_path, &sb) != 0 && errno == ENOENT, err;

	err = sdb_errf(eb, SDB_ERR_NOT_FOUND, "no tree accepted to check %s against: the state "
	    "file %s %s; nothing was fetched or stored.  If the state was lost (a cache "
	    "evicted, a new machine, a wrong --state), restore it from a backup; to start over "
	    "deliberately, trusting the tree the log shows now, run once without --no-first-run",
	    sdb_note_verifier_name(r->v), state_path, missing ? "does not exist" : "holds none");
	cli_linef(stderr, "sumdb audit: %s", eb->msg);
	if (json) {
		json_status(stdout, "status", "no-accepted-tree", eb->msg);
		*printed = 1;
	}
	return err;
}

int
cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "url", required_argument, NULL, 'u' },
		{ "full", no_argument, NULL, 'f' },
		{ "no-first-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL;
	char *state_path = NULL, *acc_note = NULL, *lat_note = NULL, *ev = NULL;
	struct sdb_errbuf eb = { { 0 } };
	struct sdb_audit_result res;
	struct sdb_tree acc, lat;
	struct sdb_remote r;
	struct sdb_state *st = NULL;
	size_t acc_len = 0, lat_len = 0, ev_len = 0;
	int json = 0, full = 0, c, err = SDB_OK, status = EXIT_LOCAL, opened = 0, first = 0, printed = 0;
	int args_ok = 0, no_first_run = 0;
	struct stat nsb;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			free(state_path);
			if ((state_path = strdup(optarg)) == NULL)
				goto nomem;
			break;
		case 'u': url = optarg; break;
		case 'f': full = 1; break;
		case 'n': no_first_run = 1; break;
		case 'j': json = 1; break;
		case 'h': audit_usage(stdout); free(state_path); return EXIT_OK;
		default: cli_usage_error("sumdb audit", audit_usage); free(state_path); return EXIT_LOCAL;
		}
	}
	if (argc - optind != 1) {
		fprintf(stderr, "sumdb audit: want exactly one KEY\n");
		cli_usage_error("sumdb audit", audit_usage);
		goto out;
	}
	args_ok = 1;
	if ((err = sdb_remote_open(&r, argv[optind], url, "--url", &eb)) != SDB_OK) {
		cli_linef(stderr, "sumdb audit: %s", sdb_errmsg(&eb, err));
		goto out;
	}
	opened = 1;
	if (state_path == NULL) {
		state_path = audit_default_state_path(sdb_note_verifier_name(r.v));
		/* each message goes into eb, for --json's detail too */
		if (state_path == NULL) {
			err = sdb_errf(&eb, SDB_ERR_INVALID, "no --state and neither XDG_STATE_HOME "
			    "nor HOME set");
			cli_linef(stderr, "sumdb audit: %s", eb.msg);
			goto out;
		}
		/* --no-first-run with no state: nothing is made, not even
		 * the default state's directories */
		if (no_first_run && stat(state_path, &nsb) != 0 && errno == ENOENT) {
			err = no_accepted_tree(&r, state_path, json, &printed, &eb);
			goto out;
		}
		if ((err = make_state_dir(state_path, &eb)) != SDB_OK) {
			cli_linef(stderr, "sumdb audit: %s", eb.msg);
			goto out;
		}
	}
	/* the state's messages name its file */
	if ((err = sdb_state_open(&st, state_path, r.vkey, &eb)) != SDB_OK) {
		/* --no-first-run and a --state whose directory is gone with it
		 * (a cache evicted whole): a lost state, not a state file that
		 * could not be created (a name no state file may have is still
		 * refused as such, SDB_ERR_INVALID) */
		if (no_first_run && err == SDB_ERR_IO && stat(state_path, &nsb) != 0 &&
		    errno == ENOENT) {
			err = no_accepted_tree(&r, state_path, json, &printed, &eb);
			goto out;
		}
		cli_linef(stderr, "sumdb audit: %s", sdb_errmsg(&eb, err));
		goto out;
	}
	r.state = st;

	err = sdb_state_accepted(st, r.v, &acc, &acc_note, &acc_len, &eb);
	if (err == SDB_ERR_NOT_FOUND && no_first_run) {
		err = no_accepted_tree(&r, state_path, json, &printed, &eb);
		status = EXIT_LOCAL;   /* nothing checked: the state is missing */
		goto out;
	} else if (err == SDB_ERR_NOT_FOUND) {
		first = 1;
	} else if (err != SDB_OK) {
		cli_linef(stderr, "sumdb audit: %s (the state file is left as it is)",
		    sdb_errmsg(&eb, err));
		goto out;
	}

	if ((err = sdb_remote_latest(&r, &lat, &lat_note, &lat_len, &eb)) != SDB_OK) {
		status = remote_exit_status(err);
		if (status == EXIT_VERIFY)
			cli_linef(stderr, "sumdb audit: %s/latest does not verify: %s", r.shown,
			    sdb_errmsg(&eb, err));
		else
			cli_linef(stderr, "sumdb audit: could not check: %s; nothing was checked, the "
			    "state is unchanged", sdb_errmsg(&eb, err));
		goto out;
	}

	if (first) {
		/* Read the tree's right edge once: its tiles must hash to the
		 * signed root, and the cache then holds them for a later check
		 * against a stale frontend. */
		if ((err = sdb_remote_check_edge(&r, &lat, &eb)) != SDB_OK) {
			status = remote_exit_status(err);
			cli_linef(stderr, "sumdb audit: %s%s; nothing was stored",
			    err == SDB_ERR_TILE_MISMATCH ? "the tiles do not match the signed tree: " :
			    status == EXIT_VERIFY ? "the signed tree does not verify: " :
			    "could not check: ", sdb_errmsg(&eb, err));
			goto out;
		}
		if ((err = sdb_state_accept(st, &lat, lat_note, lat_len, &eb)) != SDB_OK) {
			cli_linef(stderr, "sumdb audit: %s", sdb_errmsg(&eb, err));
			goto out;
		}
		state_cache_tiles(&r, "audit", NULL);
		acc = lat;
		if (json && !full) {
			printf("{\"status\":\"first-run\",\"trusted\":true,\"tree_size\":%" PRId64
			    ",\"root_hash\":", lat.n);
			printed = 1;
		}
		if (!json)
			cli_linef(stdout, "first run: trusting the tree of %" PRId64 " records of %s "
			    "(nothing earlier to check it against); stored in %s", lat.n,
			    sdb_note_verifier_name(r.v), state_path);
		else if (!full) {
			json_hash(stdout, &lat.hash);
			printf(",\"state\":");
			json_string(stdout, state_path, strlen(state_path));
			json_evidence_count(st);
			printf("}\n");
		}
		status = EXIT_OK;
		goto full_audit;
	}

	/* A damaged cache or a garbled answer is refetched there before a
	 * tile mismatch is concluded (the same rule as lookup's). */
	err = sdb_remote_consistency(&r, &acc, &lat, &res, &eb);

	if (err == SDB_ERR_FORK) {
		int64_t evn = 0;
		int serr;

		ev = audit_evidence_text(&r, &acc, acc_note, &lat, lat_note, &res, 0, &ev_len);
		if (ev == NULL)
			goto nomem;
		/* printed below in full, whether stored or not */
		serr = evidence_store(st, "audit", ev, ev_len, 0);
		/* where it is kept: sumdb evidence shows it under this number */
		if (serr == SDB_OK)
			evn = evidence_number(st, ev, ev_len);
		if (json) {
			printf("{\"status\":\"fork\",\"detail\":");
			json_string(stdout, eb.msg, strlen(eb.msg));
			printf(",\"accepted\":{\"tree_size\":%" PRId64 ",\"root_hash\":", acc.n);
			json_hash(stdout, &acc.hash);
			printf(",\"note\":");
			json_string(stdout, acc_note, acc_len);
			printf("},\"latest\":{\"tree_size\":%" PRId64 ",\"root_hash\":", lat.n);
			json_hash(stdout, &lat.hash);
			printf(",\"note\":");
			json_string(stdout, lat_note, lat_len);
			/* two trees of one size: nothing is computed, no proof */
			printf("},\"computed\":");
			if (acc.n == lat.n)
				printf("null");
			else
				json_hash(stdout, &res.computed);
			printf(",\"proof\":");
			json_hashes(stdout, res.proof, res.nproof);
			printf(",\"evidence_stored\":%s,\"state\":", serr == SDB_OK ? "true" : "false");
			json_string(stdout, state_path, strlen(state_path));
			printf(",\"evidence_n\":");
			if (evn > 0)
				printf("%" PRId64, evn);
			else
				printf("null");
			json_evidence_count(st);
			printf("}\n");
			printed = 1;
		} else {
			cli_text(stdout, ev, strlen(ev));
		}
		cli_linef(stderr, "sumdb audit: %s: proof of misbehavior (%s); the accepted tree of %"
		    PRId64 " records is kept%s%s", sdb_note_verifier_name(r.v), eb.msg, acc.n,
		    serr == SDB_OK ? "; the evidence is stored in the state file " : "; WARNING: the "
		    "evidence could not be stored (see above): keep this output",
		    serr == SDB_OK ? state_path : "");
		status = EXIT_VERIFY;
		goto out;
	}
	if (err != SDB_OK) {
		status = remote_exit_status(err);
		/* The accepted tree's tiles come from the state's cache or the
		 * server: a frontend that serves only its own, older tree
		 * may have too few of them.  Say what was being checked. */
		if (status != EXIT_VERIFY && lat.n < acc.n) {
			char pre[256];

			snprintf(pre, sizeof pre, "the latest tree (%" PRId64 " records) is older than "
			    "the accepted tree (%" PRId64 " records: a stale frontend?) and could not be "
			    "checked as a prefix of it", lat.n, acc.n);
			err = sdb_remote_errwrap(&eb, err, err, pre);
		}
		if (status == EXIT_VERIFY)
			cli_linef(stderr, "sumdb audit: the tiles served do not match the signed tree of %"
			    PRId64 " records: %s (a forged or corrupted tile; no fork is proved, the "
			    "state is unchanged)", res.stale ? acc.n : lat.n, sdb_errmsg(&eb, err));
		else
			cli_linef(stderr, "sumdb audit: could not check: %s; the state is unchanged",
			    sdb_errmsg(&eb, err));
		goto out;
	}

	/* Consistent: the tiles read belong to the accepted tree or one it
	 * is a prefix of. */
	state_cache_tiles(&r, "audit", NULL);
	if (lat.n > acc.n) {
		if ((err = sdb_state_accept(st, &lat, lat_note, lat_len, &eb)) != SDB_OK) {
			cli_linef(stderr, "sumdb audit: %s", sdb_errmsg(&eb, err));
			goto out;
		}
	} else if ((err = sdb_state_checkpoint(st, &eb)) != SDB_OK) {
		/* Nothing to accept: what an earlier run left in the -wal
		 * only (a reader held its copy up) goes into the file now,
		 * and a run that cannot put it there says so, as an accept
		 * does. */
		cli_linef(stderr, "sumdb audit: %s", sdb_errmsg(&eb, err));
		goto out;
	}
	if (json && !full) {
		/* tree_size and root_hash: the tree accepted now, as for a
		 * first run; old_tree_size the one accepted before */
		printf("{\"status\":\"%s\",\"tree_size\":%" PRId64 ",\"root_hash\":",
		    res.stale ? "stale" : "consistent", res.stale ? acc.n : lat.n);
		json_hash(stdout, res.stale ? &acc.hash : &lat.hash);
		printf(",\"old_tree_size\":%" PRId64 ",\"latest_tree_size\":%" PRId64
		    ",\"stale\":%s,\"proof\":", acc.n, lat.n, res.stale ? "true" : "false");
		json_hashes(stdout, res.proof, res.nproof);
		printf(",\"state\":");
		json_string(stdout, state_path, strlen(state_path));
		json_evidence_count(st);
		printf("}\n");
		printed = 1;
	} else if (!json) {
		if (res.stale)
			printf("stale: the latest tree (%" PRId64 " records) is older than the accepted "
			    "tree (%" PRId64 " records) and a prefix of it; the accepted tree is kept\n",
			    lat.n, acc.n);
		else if (lat.n == acc.n)
			printf("consistent: %" PRId64 " records, unchanged\n", acc.n);
		else
			printf("consistent: %" PRId64 " -> %" PRId64 " records\n", acc.n, lat.n);
	}
	if (lat.n > acc.n)
		acc = lat;
	status = EXIT_OK;

full_audit:
	if (full) {
		struct full_report rep;

		err = full_audit(&r, st, state_path, &acc, &rep, &eb);
		rep.evidence_count = evidence_count(st);
		full_print(&rep, json, first, state_path, err, sdb_errmsg(&eb, err));
		printed = 1;
		status = full_status(&rep, err);
		if (err != SDB_OK)
			cli_linef(stderr, "sumdb audit: full audit: %s%s",
			    status == EXIT_VERIFY ? "" : "could not check: ", sdb_errmsg(&eb, err));
	}
	goto out;
nomem:
	fprintf(stderr, "sumdb audit: out of memory\n");
	status = EXIT_LOCAL;
out:
	/* --json promises one object: an audit that ended early gets one too
	 * (the words on stderr say the same) */
	if (json && args_ok && !printed && status != EXIT_OK) {
		const char *d = eb.msg[0] != '\0' ? eb.msg : err != SDB_OK ? sdb_errmsg(&eb, err) :
		    "see standard error";

		json_status(stdout, "status", status == EXIT_VERIFY ? "verification-failed" :
		    "could-not-check", d);
	}
	/* evidence stays until someone looks: every run says it is there */
	if (st != NULL) {
		struct sdb_errbuf ceb = { { 0 } };
		int64_t cnt = 0;
		int cerr = sdb_state_evidence_count(st, &cnt, &ceb);

		if (cerr == SDB_OK && cnt > 0)
			cli_linef(stderr, "sumdb audit: %s holds %" PRId64 " piece%s of evidence of "
			    "misbehavior by %s (sumdb evidence shows them)", state_path, cnt,
			    cnt == 1 ? "" : "s", sdb_note_verifier_name(r.v));
		else if (cerr != SDB_OK)
			cli_linef(stderr, "sumdb audit: WARNING: cannot tell whether the state holds "
			    "evidence of misbehavior: %s", sdb_errmsg(&ceb, cerr));
	}
	sdb_state_close(st);
	if (opened)
		sdb_remote_close(&r);
	free(state_path);
	free(acc_note);
	free(lat_note);
	free(ev);
	return status;
}
