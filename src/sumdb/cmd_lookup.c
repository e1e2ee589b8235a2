/*
 * sumdb lookup: prints the go.sum lines of module versions after checking
 * each record's inclusion in the signed tree with authenticated tiles
 * (remote.c remote_lookup), and with --state that the tree is consistent
 * with the accepted one (a newer consistent tree is then accepted).  A
 * fork, and a record in the signed tree that is not a go.sum record, are
 * proof of misbehavior (exit 2), stored with --state.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "csumdb/audit.h"
#include "csumdb/module.h"
#include "csumdb/record.h"
#include "full.h"
#include "json.h"
#include "remote.h"

static void
lookup_usage(FILE *f)
{
	fprintf(f,
	    "usage: sumdb lookup [--state FILE] [--url URL] [--json] KEY MODULE@VERSION...\n"
	    "\n"
	    "Looks up each MODULE@VERSION in the checksum database with the verifier\n"
	    "key KEY (or sum.golang.org), checks that the record is in the signed tree\n"
	    "(authenticated tiles), and prints its go.sum lines.\n"
	    "\n"
	    "  --state FILE  also check the tree against the one accepted in this\n"
	    "                audit state file (and accept it when newer); a fork or\n"
	    "                an invalid record the log signed is stored as evidence\n"
	    "  --url URL     the database's URL (default https://NAME)\n"
	    "  --json        print one JSON object per line per module version, also\n"
	    "                when it fails (\"found\":false, an \"error\": not-found,\n"
	    "                invalid, verification-failed or could-not-check, and a\n"
	    "                \"detail\"); a usage error is on standard error only\n"
	    "  --help        this text\n"
	    "\n"
	    "Exit status: 0 all found and verified; 2 a record or tree does not\n"
	    "verify; 1 not found, could not check, or usage.\n");
}

/* lookup --json's object for a module version it has no record of. */
static void
lookup_json_failed(const char *arg, const char *word, const char *detail)
{
	printf("{\"module\":");
	json_string(stdout, arg, strlen(arg));
	printf(",\"found\":false,\"error\":\"%s\",\"detail\":", word);
	json_string(stdout, detail, strlen(detail));
	printf("}\n");
}

/*
 * Splits "M@V" into malloc'ed path and version, and checks them as the
 * log would (a valid module path, a canonical version), so that a typo is
 * named here instead of coming back as the server's 400.  Returns SDB_OK,
 * SDB_ERR_INVALID (no "@"), SDB_ERR_BAD_PATH, SDB_ERR_BAD_VERSION or
 * SDB_ERR_NOMEM, with eb saying why.
 */
int
lookup_split_arg(const char *arg, char **path, char **version, struct sdb_errbuf *eb)
{
	const char *at = strrchr(arg, '@');
	char canon[96];
	size_t clen;
	int err;

	*path = *version = NULL;
	if (at == NULL || at == arg || at[1] == '\0')
		return sdb_errf(eb, SDB_ERR_INVALID, "not MODULE@VERSION");
	*path = strndup(arg, (size_t)(at - arg));
	*version = strdup(at + 1);
	if (*path == NULL || *version == NULL) {
		err = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		goto fail;
	}
	err = sdb_module_check_canonical(*path, strlen(*path), *version, strlen(*version), eb);
	if (err == SDB_OK)
		return SDB_OK;
	/* "v1.2" for "v1.2.0": name the version the log would hold */
	if (err == SDB_ERR_BAD_VERSION && strlen(*version) + 5 <= sizeof canon &&
	    sdb_semver_canonical(*version, strlen(*version), canon, sizeof canon, &clen) == SDB_OK &&
	    sdb_module_check_canonical(*path, strlen(*path), canon, clen, NULL) == SDB_OK)
		err = sdb_errf(eb, err, "%s; the log records canonical versions, such as %s@%s",
		    eb->msg, *path, canon);
fail:
	free(*path);
	free(*version);
	*path = *version = NULL;
	return err;
}

/* Before any lookup, the run failed (the key, the URL, the state file):
 * said once on stderr; with --json, every module version gets its object,
 * as promised: "invalid" for one that is not a canonical MODULE@VERSION
 * (as a run that could look it up would say), else "could-not-check". */
static int
lookup_fail_all(int json, int argc, char **argv, int first, const char *detail)
{
	int i;

	cli_linef(stderr, "sumdb lookup: %s", detail);
	for (i = first; json && i < argc; i++) {
		struct sdb_errbuf eb = { { 0 } };
		char *path = NULL, *version = NULL;
		int err = lookup_split_arg(argv[i], &path, &version, &eb);

		if (err != SDB_OK && err != SDB_ERR_NOMEM)
			lookup_json_failed(argv[i], "invalid", eb.msg);
		else
			lookup_json_failed(argv[i], "could-not-check", detail);
		free(path);
		free(version);
	}
	return EXIT_LOCAL;
}


/* The tiles authenticated for this module (r's pending list) go into the
 * state's cache; they belong to a tree now accepted or consistent with it. */
static void
lookup_commit_tiles(struct sdb_remote *r)
{
	state_cache_tiles(r, "lookup", NULL);
}

void
lookup_seen_clear(struct lookup_seen *seen)
{
	free(seen->note);
	seen->note = NULL;
	seen->nlen = 0;
	seen->tree.n = -1;
}

int
lookup_check_seen(struct sdb_remote *r, struct lookup_seen *seen, const struct sdb_tree *tree,
    const char *note, size_t nlen, const char *cmd, struct sdb_state *st, struct sdb_errbuf *eb)
{
	struct sdb_audit_result res;
	char *copy;
	int err;

	if (seen->tree.n == tree->n && memcmp(seen->tree.hash.b, tree->hash.b, SDB_HASH_SIZE) == 0)
		return SDB_OK;
	if (seen->tree.n >= 0) {
		err = sdb_remote_consistency(r, &seen->tree, tree, &res, eb);
		sdb_remote_drop_cache(r);
		if (err == SDB_ERR_FORK) {
			/* the evidence, both notes with what was computed from
			 * the tiles: stored in the state, or else printed (once:
			 * check meets the same two trees version after
			 * version) */
			char *lat, *ev = NULL;
			size_t n = 0;
			int stored;

			if (seen->printed.n == tree->n &&
			    memcmp(seen->printed.hash.b, tree->hash.b, SDB_HASH_SIZE) == 0)
				return sdb_remote_errwrap(eb, SDB_ERR_FORK, err, st != NULL ?
				    "proof of misbehavior: this run was shown two trees that cannot "
				    "both be honest (kept above)" : "this run was shown two trees that "
				    "cannot both be honest (the proof of misbehavior is on standard "
				    "error, above)");
			seen->printed = *tree;
			if ((lat = strndup(note, nlen)) != NULL)
				ev = audit_evidence_text(r, &seen->tree, seen->note, tree, lat, &res, 1,
				    &n);
			if (st != NULL) {
				stored = evidence_store(st, cmd, ev, n, 1) == SDB_OK;
				free(ev);
				free(lat);
				return sdb_remote_errwrap(eb, SDB_ERR_FORK, err, stored ?
				    "proof of misbehavior (stored: sumdb evidence shows it): this run was "
				    "shown two trees that cannot both be honest" : "proof of misbehavior: "
				    "this run was shown two trees that cannot both be honest");
			}
			if (ev != NULL) {
				fprintf(stderr, "sumdb %s: ", cmd);
				cli_text(stderr, ev, strlen(ev));
			} else
				cli_linef(stderr, "sumdb %s: out of memory: the proof of misbehavior "
				    "could not be printed", cmd);
			free(ev);
			free(lat);
			return sdb_remote_errwrap(eb, SDB_ERR_FORK, err, "this run was shown two trees "
			    "that cannot both be honest (the proof of misbehavior is on standard error)");
		}
		if (err != SDB_OK)
			return err;
		if (tree->n <= seen->tree.n)
			return SDB_OK;
	}
	/* the run's largest tree so far: its note is the evidence to come */
	if ((copy = strndup(note, nlen)) == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	free(seen->note);
	seen->note = copy;
	seen->nlen = nlen;
	seen->tree = *tree;
	seen->printed.n = -1;
	return SDB_OK;
}

/*
 * With a state: the tree must be consistent with the accepted tree.  The
 * tree is accepted before its tiles are cached, so that the cache only
 * ever holds tiles of accepted trees (a refused accept leaves it as it
 * was); on any failure the tiles are dropped.
 */
int
lookup_check_state(struct sdb_remote *r, struct sdb_state *st, const struct sdb_tree *tree,
    const char *note, size_t nlen, int accept, struct sdb_errbuf *eb)
{
	struct sdb_audit_result res;
	struct sdb_tree acc;
	char *acc_note = NULL;
	size_t acc_len = 0;
	int err;

	err = sdb_state_accepted(st, r->v, &acc, &acc_note, &acc_len, eb);
	if (err == SDB_ERR_NOT_FOUND && !accept)
		return SDB_OK;   /* nothing to check against yet */
	if (err == SDB_ERR_NOT_FOUND) {
		/* First contact: trusted, as audit's first run. */
		if ((err = sdb_state_accept(st, tree, note, nlen, eb)) != SDB_OK)
			goto fail;
		lookup_commit_tiles(r);
		return SDB_OK;
	}
	if (err != SDB_OK) {
		if (err == SDB_ERR_INVALID)
			err = SDB_ERR_IO;
		goto fail;
	}
	/* Tiles that do not authenticate are refetched there, as audit's
	 * are, before a mismatch is concluded. */
	err = sdb_remote_consistency(r, &acc, tree, &res, eb);
	if (err == SDB_ERR_FORK) {
		/* the same evidence as audit's: both notes and the proof */
		char *lat_note = strndup(note, nlen), *ev = NULL;
		size_t n = 0;
		int stored;

		if (lat_note != NULL)
			ev = audit_evidence_text(r, &acc, acc_note, tree, lat_note, &res, 0, &n);
		stored = evidence_store(st, "lookup", ev, n, 1) == SDB_OK;
		free(ev);
		free(lat_note);
		err = sdb_remote_errwrap(eb, SDB_ERR_FORK, err, stored ?
		    "proof of misbehavior (stored: sumdb evidence shows it)" : "proof of misbehavior");
		goto fail;
	}
	if (err != SDB_OK)
		goto fail;
	if (!accept) {
		free(acc_note);
		return SDB_OK;
	}
	if (tree->n > acc.n && (err = sdb_state_accept(st, tree, note, nlen, eb)) != SDB_OK)
		goto fail;
	lookup_commit_tiles(r);
	free(acc_note);
	return SDB_OK;
fail:
	sdb_remote_drop_cache(r);
	free(acc_note);
	return err;
}

int
lookup_known_check(void *ctx, const struct sdb_tree *tree, const char *note, size_t nlen,
    struct sdb_errbuf *eb)
{
	struct lookup_known *k = ctx;
	int err;

	/* the run's trees first, also with a state: one with no tree
	 * accepted yet (or an older one) cannot tell apart two trees the log
	 * showed this run, a fork whether or not either is accepted; and
	 * the tiles the accepted tree's check authenticates stay pending,
	 * for the accept that may follow */
	err = lookup_check_seen(k->r, k->seen, tree, note, nlen, k->cmd, k->st, eb);
	if (err != SDB_OK || k->st == NULL)
		return err;
	return lookup_check_state(k->r, k->st, tree, note, nlen, 0, eb);
}

/*
 * A record the log signed although it is not a go.sum record (err
 * SDB_ERR_BAD_RECORD from sdb_remote_lookup, which checked that it is in
 * the signed tree): proof of misbehavior, kept in the state as audit
 * --full keeps it, in the same words, so that the two keep it once.
 * Returns SDB_ERR_BAD_RECORD, eb saying whether it was stored.
 */
static int
lookup_store_bad_record(struct sdb_remote *r, struct sdb_state *st, int64_t id, const char *text,
    size_t tlen, struct sdb_errbuf *eb)
{
	struct sdb_errbuf why = { { 0 } };
	char *ev = NULL;
	size_t n = 0;
	int stored;

	if (sdb_record_parse(text, tlen, NULL, &why) != SDB_OK)
		ev = full_bad_record_text(sdb_note_verifier_name(r->v), id, text, tlen, why.msg, &n);
	stored = evidence_store(st, "lookup", ev, n, 1) == SDB_OK;
	free(ev);
	return sdb_remote_errwrap(eb, SDB_ERR_BAD_RECORD, SDB_ERR_BAD_RECORD, stored ?
	    "proof of misbehavior (stored: sumdb evidence shows it)" : "proof of misbehavior");
}

/*
 * After a module that failed, wherever it failed: nothing authenticated
 * for it may reach the state (its tiles would be committed with the next
 * module's, although their tree was never checked against the accepted
 * one), and after a verification failure nothing authenticated against
 * its tree may serve the next module from memory either (a forked tree's
 * tiles would make an honest tree look forged, or hide the accepted
 * tree's tiles from a stale-frontend check).
 */
static void
lookup_forget(struct sdb_remote *r, int err)
{
	sdb_remote_drop_cache(r);
	if (sdb_err_is_verification(err))
		sdb_remote_mem_clear(r);
}

int
cmd_lookup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "url", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *state_path = NULL;
	struct sdb_state *st = NULL;
	struct sdb_remote r;
	struct sdb_errbuf eb = { { 0 } };
	struct lookup_seen seen = LOOKUP_SEEN_NONE;   /* the largest tree of this run */
	struct lookup_known known = { &r, NULL, &seen, "lookup" };
	int json = 0, c, err, status = EXIT_OK, i;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': state_path = optarg; break;
		case 'u': url = optarg; break;
		case 'j': json = 1; break;
		case 'h': lookup_usage(stdout); return EXIT_OK;
		default: cli_usage_error("sumdb lookup", lookup_usage); return EXIT_LOCAL;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "sumdb lookup: want KEY and at least one MODULE@VERSION\n");
		cli_usage_error("sumdb lookup", lookup_usage);
		return EXIT_LOCAL;
	}
	if ((err = sdb_remote_open(&r, argv[optind], url, "--url", &eb)) != SDB_OK)
		return lookup_fail_all(json, argc, argv, optind + 1, sdb_errmsg(&eb, err));
	if (state_path != NULL) {
		/* the state's messages name its file */
		if ((err = sdb_state_open(&st, state_path, r.vkey, &eb)) != SDB_OK) {
			sdb_remote_close(&r);
			return lookup_fail_all(json, argc, argv, optind + 1, sdb_errmsg(&eb, err));
		}
		r.state = st;
	}
	known.st = st;
	for (i = optind + 1; i < argc; i++) {
		char *path = NULL, *version = NULL, *text = NULL, *note = NULL;
		size_t tlen = 0, nlen = 0;
		struct sdb_tree tree;
		int64_t id = -1;
		int s, bad_arg;

		eb.msg[0] = '\0';
		err = lookup_split_arg(argv[i], &path, &version, &eb);
		bad_arg = err != SDB_OK && err != SDB_ERR_NOMEM;
		/* every tree an answer shows is checked before its record:
		 * against the accepted tree, or the run's largest */
		if (err == SDB_OK)
			err = sdb_remote_lookup(&r, path, version, lookup_known_check, &known, &id,
			    &text, &tlen, &tree, &note, &nlen, &eb);
		if (err == SDB_ERR_BAD_RECORD && st != NULL)
			err = lookup_store_bad_record(&r, st, id, text, tlen, &eb);
		/* checked: accepted when newer */
		if (err == SDB_OK && st != NULL)
			err = lookup_check_state(&r, st, &tree, note, nlen, 1, &eb);
		if (err != SDB_OK)
			lookup_forget(&r, err);
		s = err == SDB_OK ? EXIT_OK : remote_exit_status(err);
		if (s > status)
			status = s;
		if (err == SDB_OK) {
			if (json) {
				printf("{\"module\":");
				json_string(stdout, argv[i], strlen(argv[i]));
				printf(",\"found\":true,\"index\":%" PRId64 ",\"tree_size\":%" PRId64
				    ",\"root_hash\":", id, tree.n);
				json_hash(stdout, &tree.hash);
				printf(",\"record\":");
				json_string(stdout, text, tlen);
				printf("}\n");
			} else {
				fwrite(text, 1, tlen, stdout);
			}
		} else {
			if (json)
				lookup_json_failed(argv[i], bad_arg ? "invalid" : json_word(err),
				    sdb_errmsg(&eb, err));
			cli_linef(stderr, "sumdb lookup: %s: %s%s", argv[i],
			    err == SDB_ERR_NOT_FOUND ? "not found in the log: " : bad_arg ? "" :
			    s == EXIT_VERIFY ? "VERIFICATION FAILED: " : "could not check: ",
			    sdb_errmsg(&eb, err));
		}
		free(path);
		free(version);
		free(text);
		free(note);
	}
	sdb_state_close(st);
	sdb_remote_close(&r);
	lookup_seen_clear(&seen);
	return status;
}
