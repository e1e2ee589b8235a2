/*
 * sumdb prove: writes a C2SP tlog-proof (tlogproof.h) for one record: the
 * record is looked up and its inclusion checked with authenticated tiles
 * (remote_lookup), the inclusion proof is computed from those same tiles,
 * and the file is verified offline before it is written.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "csumdb/tlogproof.h"
#include "fileio.h"
#include "json.h"
#include "remote.h"

static void
prove_usage(FILE *f)
{
	fprintf(f,
	    "usage: sumdb prove [--out FILE] [--url URL] [--json] KEY MODULE@VERSION\n"
	    "\n"
	    "Writes a C2SP tlog-proof (.tlog-proof) of MODULE@VERSION's record in the\n"
	    "checksum database with the verifier key KEY (or sum.golang.org): the\n"
	    "record index, the inclusion proof hashes and the signed tree note.\n"
	    "Anyone can check it offline with sumdb verify-proof.\n"
	    "\n"
	    "  --out FILE  write the proof to FILE (atomically and durably) instead of\n"
	    "              standard output; - is standard output (./- for a file\n"
	    "              named -); a symbolic link is followed, and a device or\n"
	    "              FIFO is written to, not replaced\n"
	    "  --url URL   the database's URL (default https://NAME)\n"
	    "  --json      print one JSON object: the index, tree, proof hashes and\n"
	    "              the \"file\" written, or without --out FILE (or with --out -)\n"
	    "              \"file\":null and the proof file's text as \"tlog_proof\";\n"
	    "              also when it fails: an \"error\" (not-found, invalid,\n"
	    "              verification-failed or could-not-check) and a \"detail\"; a\n"
	    "              usage error is on standard error only\n"
	    "  --help      this text\n"
	    "\n"
	    "Exit status: 0 written; 2 the record or tree does not verify; 1 not\n"
	    "found, could not check, or usage.\n");
}

/*
 * Writes data to path via a temporary file beside it and rename, then
 * syncs the directory (sdb_sync_dir, as the audit state does after its
 * rename): until then a crash can undo the rename, and a proof reported
 * written would be gone.  The temporary file has a name nobody can guess
 * and is made by mkstemp (O_EXCL): with a fixed name (PATH.tmpPID) in a
 * directory others can write to (/tmp), anyone could plant a link there,
 * and the proof was written through it into whatever file the link
 * named.  It gets the mode a file made by fopen has, or, replacing a
 * file, that file's mode (keep; NO_MODE for none): a proof kept readable
 * by the team (0644) and made again under umask 077 became 0600, and the
 * others could no longer read it.  0, or -1 with errno
 * and *where what failed; after the rename path holds the proof, which
 * is only not durable yet.  Ctrl-C, SIGTERM or SIGHUP meanwhile (the
 * fsync of a slow disk takes a while) waits until the temporary file is
 * renamed or removed: it killed the run in between, and left
 * PATH.tmp-XXXXXX beside the proofs for good.
 */
#define NO_MODE ((mode_t)-1)

static int
write_atomic(const char *path, const char *data, size_t len, mode_t keep, const char **where)
{
	char *tmp = sdb_path_join(path, ".tmp-XXXXXX");
	sigset_t stop, old;
	int fd, e;

	*where = "writing it";
	if (tmp == NULL)
		return -1;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	if ((fd = sdb_mkstemp_umask(tmp)) < 0) {
		e = errno;
		goto out;
	}
	if ((keep != NO_MODE && fchmod(fd, keep) != 0) || sdb_write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0) {
		e = errno;
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		e = errno;
		unlink(tmp);
		goto out;
	}
	e = 0;
out:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(tmp);
	if (e != 0) {
		errno = e;
		return -1;
	}
	if (sdb_sync_dir(path) != 0) {
		*where = "written, but syncing its directory failed, so a crash may lose it";
		return -1;
	}
	return 0;
}

/*
 * Writes the proof where --out names.  A rename replaces a name, not a
 * file: the temporary file put in place of a device, a FIFO or a
 * symbolic link (--out /dev/stdout, /dev/null, a pipe made with mkfifo,
 * a link to the archive's copy) left them replaced by a regular file,
 * and as root replaced /dev/null or /dev/stdout for everyone.  So a
 * symbolic link is followed and the file it names written atomically;
 * what is not a regular file is written as it is, with no rename, which
 * is what writing to a device or a pipe means (it has nothing to sync
 * either); a directory is refused.  0, or -1 with errno and *where what
 * failed.
 */
static int
write_out(const char *path, const char *data, size_t len, const char **where)
{
	struct stat sb, lsb;
	char *real;
	int fd, rc, e;

	*where = "writing it";
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT && lstat(path, &lsb) == 0 && S_ISLNK(lsb.st_mode)) {
			*where = "following its symbolic link";
			errno = ENOENT;
			return -1;
		}
		/* no file yet: made under this name */
		return write_atomic(path, data, len, NO_MODE, where);
	}
	if (S_ISDIR(sb.st_mode)) {
		errno = EISDIR;
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		if ((fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC)) < 0)
			return -1;
		if (sdb_write_all(fd, data, len) != 0) {
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		return close(fd);
	}
	if (lstat(path, &lsb) != 0 || !S_ISLNK(lsb.st_mode))
		return write_atomic(path, data, len, sb.st_mode & 07777, where);
	if ((real = realpath(path, NULL)) == NULL) {
		*where = "following its symbolic link";
		return -1;
	}
	rc = write_atomic(real, data, len, sb.st_mode & 07777, where);
	e = errno;
	free(real);
	errno = e;
	return rc;
}

int
cmd_prove(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "url", required_argument, NULL, 'u' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *out = NULL;
	char *path = NULL, *version = NULL, *text = NULL, *note = NULL, *file = NULL;
	size_t tlen = 0, nlen = 0, flen = 0, np = 0;
	struct sdb_errbuf eb = { { 0 } };
	struct sdb_tile_hash_reader thr;
	struct sdb_remote_reader rd;
	struct sdb_hash_reader hr;
	struct sdb_tlog_proof p;
	sdb_hash proof[SDB_TLOG_MAX_PROOF];
	struct sdb_tree tree;
	struct lookup_seen seen = LOOKUP_SEEN_NONE;
	struct sdb_remote r;
	struct lookup_known known = { NULL, NULL, &seen, "prove" };
	int64_t id = -1;
	int json = 0, c, err, status = EXIT_LOCAL, opened = 0;
	const char *word = "could-not-check";   /* --json, when it fails */
	const char *where = NULL;
	char detail[SDB_ERRBUF_SIZE + 1024] = "";

	optind = 1;
	while ((c = cli_getopt(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		/* "-" is standard output, as for the other file arguments of
		 * sumdb; a file named so is ./- (it was made in the working
		 * directory, and the proof was nowhere a pipe could read it) */
		case 'o': out = strcmp(optarg, "-") == 0 ? NULL : optarg; break;
		case 'u': url = optarg; break;
		case 'j': json = 1; break;
		case 'h': prove_usage(stdout); return EXIT_OK;
		default: cli_usage_error("sumdb prove", prove_usage); return EXIT_LOCAL;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "sumdb prove: want KEY and one MODULE@VERSION\n");
		cli_usage_error("sumdb prove", prove_usage);
		return EXIT_LOCAL;
	}
	if ((err = lookup_split_arg(argv[optind + 1], &path, &version, &eb)) != SDB_OK) {
		if (err != SDB_ERR_NOMEM)
			word = "invalid";
		snprintf(detail, sizeof detail, "%s", sdb_errmsg(&eb, err));
		cli_linef(stderr, "sumdb prove: %s: %s", argv[optind + 1], detail);
		goto out;
	}
	if ((err = sdb_remote_open(&r, argv[optind], url, "--url", &eb)) != SDB_OK) {
		snprintf(detail, sizeof detail, "%s", sdb_errmsg(&eb, err));
		cli_linef(stderr, "sumdb prove: %s", detail);
		goto out;
	}
	opened = 1;
	/* the trees the log shows this run must be one log's, as for lookup */
	known.r = &r;
	err = sdb_remote_lookup(&r, path, version, lookup_known_check, &known, &id, &text, &tlen,
	    &tree, &note, &nlen, &eb);
	if (err == SDB_OK) {
		/* The proof from the very tiles that were authenticated. */
		sdb_remote_reader_init(&rd, &r, 0);
		sdb_tile_hash_reader_init(&thr, &tree, SDB_REMOTE_TILE_HEIGHT, &rd.src, &eb, &hr);
		err = sdb_tlog_prove_record(tree.n, id, &hr, proof, &np);
		if (err == SDB_ERR_IO && rd.net_eb.msg[0] != '\0')
			sdb_errf(&eb, err, "%s", rd.net_eb.msg);
	}
	if (err == SDB_OK)
		err = sdb_tlog_proof_format(id, proof, np, NULL, 0, note, nlen, &file, &flen);
	if (err == SDB_OK) {
		err = sdb_tlog_proof_parse(file, flen, &p, &eb);
		if (err == SDB_OK)
			err = sdb_tlog_proof_verify(&p, text, tlen, r.v, NULL, &eb);
		if (err != SDB_OK)
			err = sdb_remote_errwrap(&eb, SDB_ERR_INTERNAL, err, "the proof made does not verify");
	}
	if (err != SDB_OK) {
		status = err == SDB_ERR_INTERNAL ? EXIT_LOCAL : remote_exit_status(err);
		word = err == SDB_ERR_INTERNAL ? "could-not-check" : json_word(err);
		snprintf(detail, sizeof detail, "%s", sdb_errmsg(&eb, err));
		cli_linef(stderr, "sumdb prove: %s: %s%s", argv[optind + 1],
		    err == SDB_ERR_NOT_FOUND ? "not found in the log: " :
		    status == EXIT_VERIFY ? "VERIFICATION FAILED: " : "could not check: ", detail);
		goto out;
	}
	if (out == NULL && !json) {
		/* a failed write is reported by the dispatcher (cli_main) */
		fwrite(file, 1, flen, stdout);
	} else if (out != NULL && write_out(out, file, flen, &where) != 0) {
		snprintf(detail, sizeof detail, "%s: %s: %s", out, where, strerror(errno));
		cli_linef(stderr, "sumdb prove: %s", detail);
		goto out;
	}
	if (json) {
		printf("{\"module\":");
		json_string(stdout, argv[optind + 1], strlen(argv[optind + 1]));
		printf(",\"index\":%" PRId64 ",\"tree_size\":%" PRId64 ",\"root_hash\":", id,
		    tree.n);
		json_hash(stdout, &tree.hash);
		printf(",\"proof\":");
		json_hashes(stdout, proof, np);
		printf(",\"file\":");
		if (out != NULL) {
			json_string(stdout, out, strlen(out));
		} else {
			/* no file: the proof itself, for the script to keep
			 * (the JSON output is not a proof file) */
			printf("null,\"tlog_proof\":");
			json_string(stdout, file, flen);
		}
		printf("}\n");
	} else if (out != NULL) {
		cli_linef(stdout, "%s: record %" PRId64 " of the tree of %" PRId64 " records; "
		    "proof written to %s", argv[optind + 1], id, tree.n, out);
	}
	status = EXIT_OK;
out:
	/* --json promises one object: a failure gets one too */
	if (json && status != EXIT_OK) {
		printf("{\"module\":");
		json_string(stdout, argv[optind + 1], strlen(argv[optind + 1]));
		printf(",\"error\":\"%s\",\"detail\":", word);
		json_string(stdout, detail, strlen(detail));
		printf("}\n");
	}
	if (opened)
		sdb_remote_close(&r);
	free(path);
	free(version);
	free(text);
	free(note);
	free(file);
	lookup_seen_clear(&seen);
	return status;
}
