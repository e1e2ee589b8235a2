/*
 * sumdbd init: creates a new database, with a new signer key (written
 * O_EXCL, mode 0600, never printed) or an imported Go-format one, and
 * commits the signed tree of size 0 (issue 3 "Commands"; PROTOCOL.md
 * "Record, tree, note" for the key format).  The database remembers the
 * key file's absolute path, never the key.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "cli.h"
#include "crypto.h"
#include "csumdb/note.h"
#include "csumdb/store.h"
#include "fileio.h"
#include "log.h"

static void
init_usage(FILE *f)
{
	fprintf(f,
	    "usage: sumdbd init --db FILE --name NAME [--key-out KEYFILE] [--checkpoint FILE]\n"
	    "       sumdbd init --db FILE --key KEYFILE [--name NAME] [--checkpoint FILE]\n"
	    "\n"
	    "Creates a new checksum database FILE for the log NAME (host[/path], the\n"
	    "name clients see in GOSUMDB) and signs its empty tree.  Without --key a\n"
	    "new Ed25519 signer key is written to FILE.key (or --key-out), created\n"
	    "with mode 0600; it is never printed.  With --key an existing signer key\n"
	    "(PRIVATE+KEY+NAME+..., alone or as sumdbd keygen prints it) is used,\n"
	    "and names the log: --name may then be left out.\n"
	    "The database remembers the key file: by its bare name when it lies\n"
	    "beside the database (the directory can then move), else by its path.\n"
	    "Keep the key file safe: losing it ends the log.\n"
	    "Never overwrites an existing database or key file; a refused or failed\n"
	    "init (exit 1, also when its output cannot be written) leaves nothing\n"
	    "behind (no database, no FILE-lock, no new key).\n"
	    "\n"
	    "  --db FILE        the database to create\n"
	    "  --name NAME      the log name, e.g. sum.corp.example (with --key:\n"
	    "                   default the key's name, and none other)\n"
	    "  --key KEYFILE    import this signer key instead of generating one\n"
	    "  --key-out PATH   where to write the new key (default FILE.key)\n"
	    "  --checkpoint FILE\n"
	    "                   where the key keeps the last tree it signed\n"
	    "                   (default KEYFILE.checkpoint; serve and add take the\n"
	    "                   same option)\n"
	    "  --help           this text\n"
	    "\n"
	    "Prints the verifier key and the GOSUMDB line for clients.\n"
	    "Exit status: 0 created; 1 usage or local error.\n");
}

/* host[/path]: what GOSUMDB needs for its default https://NAME/ URL. */
int
sdbd_log_name_ok(const char *name)
{
	const char *p = name;
	size_t seg = 0;
	int in_host = 1;

	if (!sdb_note_name_valid(name, strlen(name)))
		return 0;
	for (; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '/') {
			if (seg == 0)
				return 0;
			seg = 0;
			in_host = 0;
			continue;
		}
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || (in_host && c == ':') ||
		    (!in_host && (c == '_' || c == '~'))) {
			seg++;
			continue;
		}
		return 0;
	}
	return seg > 0;
}

/* What to do when a file init makes cannot be made or written for the
 * reason e (an errno value): "" when there is nothing to add. */
static const char *
write_advice(int e)
{
	switch (e) {
	case EEXIST:
		return " (refusing to overwrite a key file)";
	case EACCES:
	case EPERM:
		return ": this user may not make files in its directory: run init as the "
		    "user who may, or give a place this user may write (--key-out, --db)";
	case EROFS:
		return ": its file system is mounted read-only: give a place on another one";
	case ENOSPC:
	case EDQUOT:
		return ": its file system is full, or the user's quota is used up: free space "
		    "there, then run init again";
	case EFBIG:
		return ": a file size limit (ulimit -f) is reached: raise it, then run init again";
	default:
		return "";
	}
}

/* Writes the new key to path, created exclusively with mode 0600. */
static int
write_key(const char *path, const struct sdb_note_signer *s)
{
	size_t n = sdb_note_signer_format_len(s) + 2;
	char *buf = sdb_secret_alloc(n);
	size_t len, off = 0;
	int fd, ok = 1;

	if (buf == NULL) {
		fprintf(stderr, "sumdbd init: out of memory\n");
		return 0;
	}
	if (sdb_note_signer_format(s, buf, n) != SDB_OK) {
		sdb_secret_free(buf);
		fprintf(stderr, "sumdbd init: cannot format the key\n");
		return 0;
	}
	len = strlen(buf);
	buf[len++] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;

		cli_linef(stderr, "sumdbd init: %s: %s%s", path, strerror(e), write_advice(e));
		sdb_memzero(buf, n);
		sdb_secret_free(buf);
		return 0;
	}
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ok = 0;
			break;
		}
		off += (size_t)w;
	}
	if (ok && fsync(fd) != 0)
		ok = 0;
	if (close(fd) != 0)
		ok = 0;
	sdb_memzero(buf, n);
	sdb_secret_free(buf);
	if (!ok) {
		int e = errno;

		cli_linef(stderr, "sumdbd init: %s: cannot write the key: %s%s", path, strerror(e),
		    write_advice(e));
		unlink(path);
	}
	return ok;
}

/*
 * How the database names its key file abs_key (a real path): by its bare
 * name when it lies in the database's directory, so that the directory
 * can be moved or restored elsewhere whole (log.c resolves it there), by
 * its full path otherwise.
 */
static const char *
key_name_for(const char *db, const char *abs_key)
{
	const char *slash = strrchr(db, '/'), *kslash = strrchr(abs_key, '/');
	char *dir, *real;
	int same;

	if (kslash == NULL)
		return abs_key;
	if (slash == NULL)
		dir = strdup(".");
	else if (slash == db)
		dir = strdup("/");
	else
		dir = strndup(db, (size_t)(slash - db));
	if (dir == NULL)
		return abs_key;
	real = realpath(dir, NULL);
	free(dir);
	if (real == NULL)
		return abs_key;
	/* "/" is the one directory whose real path ends in a slash */
	same = strlen(real) == (size_t)(kslash - abs_key) + (strcmp(real, "/") == 0) &&
	    strncmp(real, abs_key, strlen(real)) == 0;
	free(real);
	return same ? kslash + 1 : abs_key;
}

/* The checkpoint of the new key file key: --checkpoint, else beside it
 * (caller frees; NULL when out of memory). */
static char *
new_key_checkpoint(const char *key, const char *checkpoint)
{
	return checkpoint != NULL ? strdup(checkpoint) : sdb_path_join(key, SDBD_CHECKPOINT_SUFFIX);
}

/* Removes the checkpoint (and its lock) that a failed init wrote for the
 * key it made; init refused to start when one was there before.  Only
 * under the lock: one that another process took after init looked
 * (init then failed as "in use") is that process's, and so is the
 * checkpoint it guards; and without a lock file init wrote no checkpoint. */
static void
unlink_checkpoint(const char *cp)
{
	char *lock;
	int fd;

	if (cp == NULL || (lock = sdb_path_join(cp, ".lock")) == NULL)
		return;
	fd = open(lock, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0) {
		unlink(cp);
		unlink(lock);
	}
	if (fd >= 0)
		close(fd);
	free(lock);
}

/* The directory path is to be made in must be there: said of the path
 * given (opt), not of the first file init would fail to make in it. */
static int
dir_ok(const char *opt, const char *path)
{
	char why[SDB_ERRBUF_SIZE];

	if (!sdb_dir_missing(path, why, sizeof why))
		return 1;
	cli_linef(stderr, "sumdbd init: %s %s: %s", opt, path, why);
	return 0;
}

int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "key", required_argument, NULL, 'k' },
		{ "key-out", required_argument, NULL, 'o' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *name = NULL, *key = NULL, *key_out = NULL, *checkpoint = NULL;
	char *gen_path = NULL, *abs_key = NULL, *vkey = NULL, *new_cp = NULL;
	struct sdb_note_signer *signer = NULL;
	struct sdb_note_verifier *v = NULL;
	struct sdbd_log *log = NULL;
	struct sdbd_log_options lo;
	struct sdb_errbuf eb = { { 0 } };
	struct stat sb;
	int c, rc, status = EXIT_LOCAL, created_key = 0, created_db = 0;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'n': name = optarg; break;
		case 'k': key = optarg; break;
		case 'o': key_out = optarg; break;
		case 'c': checkpoint = optarg; break;
		case 'h': init_usage(stdout); return EXIT_OK;
		default: cli_usage_error("sumdbd init", init_usage); return EXIT_LOCAL;
		}
	}
	if (cli_extra_args("sumdbd init", argc, argv, optind) || db == NULL ||
	    (name == NULL && key == NULL)) {
		if (db == NULL && name == NULL && key == NULL)
			fprintf(stderr, "sumdbd init: --db and --name are required\n");
		else if (db == NULL)
			fprintf(stderr, "sumdbd init: --db is required\n");
		else if (name == NULL && key == NULL)
			fprintf(stderr, "sumdbd init: --name is required (or --key, whose key "
			    "names the log)\n");
		cli_usage_error("sumdbd init", init_usage);
		return EXIT_LOCAL;
	}
	if (key != NULL && key_out != NULL) {
		fprintf(stderr, "sumdbd init: --key and --key-out exclude each other\n");
		return EXIT_LOCAL;
	}
	if (name != NULL && !sdbd_log_name_ok(name)) {
		cli_linef(stderr, "sumdbd init: --name %s: not a valid log name (host[/path], "
		    "e.g. sum.corp.example)", name);
		return EXIT_LOCAL;
	}
	/* Refuse before any key is made, so a refusal leaves nothing behind. */
	if (lstat(db, &sb) == 0) {
		cli_linef(stderr, "sumdbd init: %s exists; refusing to overwrite a database", db);
		return EXIT_LOCAL;
	}
	if (!dir_ok("--db", db) || (key_out != NULL && !dir_ok("--key-out", key_out)) ||
	    (checkpoint != NULL && !dir_ok("--checkpoint", checkpoint)))
		return EXIT_LOCAL;
	if (key != NULL) {
		rc = sdbd_key_load(&signer, key, &eb);
		if (rc != SDB_OK) {
			cli_linef(stderr, "sumdbd init: %s", sdb_errmsg(&eb, rc));
			goto out;
		}
		if (name == NULL)
			name = sdb_note_signer_name(signer);
		if (strcmp(name, sdb_note_signer_name(signer)) != 0) {
			cli_linef(stderr, "sumdbd init: the key in %s is named %s, not %s", key,
			    sdb_note_signer_name(signer), name);
			goto out;
		}
		if (!sdbd_log_name_ok(name)) {
			cli_linef(stderr, "sumdbd init: the key's name %s is not a valid log name "
			    "(host[/path])", name);
			goto out;
		}
	} else {
		if (key_out == NULL) {
			size_t n = strlen(db) + 5;
			gen_path = malloc(n);
			if (gen_path == NULL) {
				fprintf(stderr, "sumdbd init: out of memory\n");
				goto out;
			}
			snprintf(gen_path, n, "%s.key", db);
			key_out = gen_path;
		}
		rc = sdb_note_signer_generate(&signer, name, &eb);
		if (rc != SDB_OK) {
			cli_linef(stderr, "sumdbd init: %s", sdb_errmsg(&eb, rc));
			goto out;
		}
		if (!write_key(key_out, signer))
			goto out;
		created_key = 1;
		key = key_out;
	}
	abs_key = realpath(key, NULL);
	if (abs_key == NULL) {
		cli_linef(stderr, "sumdbd init: %s: %s", key, strerror(errno));
		goto out;
	}
	if (created_key) {
		/* A new key has no checkpoint yet: one there is another key's,
		 * or a log's removed without it.  Not ours to replace. */
		if ((new_cp = new_key_checkpoint(abs_key, checkpoint)) == NULL) {
			fprintf(stderr, "sumdbd init: out of memory\n");
			goto out;
		}
		if (lstat(new_cp, &sb) == 0) {
			cli_linef(stderr, "sumdbd init: %s exists: the checkpoint of another signer key, "
			    "or of a log removed without it; remove it if it is stale, or give "
			    "--checkpoint another place", new_cp);
			free(new_cp);
			new_cp = NULL;   /* not ours: left in place */
			goto out;
		}
	}
	if (sdb_note_signer_verifier(signer, &v) != SDB_OK ||
	    sdb_note_verifier_format(v, &vkey) != SDB_OK) {
		fprintf(stderr, "sumdbd init: out of memory\n");
		goto out;
	}
	rc = sdb_store_create(db, name, vkey, key_name_for(db, abs_key), &eb);
	if (rc != SDB_OK) {
		cli_linef(stderr, "sumdbd init: %s: %s", db, sdb_errmsg(&eb, rc));
		goto out;
	}
	created_db = 1;
	memset(&lo, 0, sizeof lo);
	lo.db_path = db;
	lo.key_path = abs_key;
	lo.checkpoint_path = checkpoint;
	/* Opening the log signs and commits the empty tree. */
	rc = sdbd_log_open(&log, &lo, &eb);
	if (rc != SDB_OK) {
		cli_linef(stderr, "sumdbd init: %s: %s", db, sdb_errmsg(&eb, rc));
		goto out;
	}
	sdbd_log_close(log);
	cli_linef(stdout, "created %s for log %s", db, name);
	if (created_key)
		cli_linef(stdout, "signer key written to %s (mode 0600; keep it secret and backed up)",
		    abs_key);
	else
		cli_linef(stdout, "signer key: %s", abs_key);
	printf("verifier key: %s\n", vkey);
	printf("# for clients (adjust the URL to where sumdbd serve listens):\n");
	printf("GOSUMDB=\"%s http://127.0.0.1:%d\"\n", vkey, SUMDBD_DEFAULT_PORT);
	/* Only this says the verifier key: when it is lost, the init is
	 * undone, so that exit 1 still means "run it again". */
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_linef(stderr, "sumdbd init: writing standard output: %s: the verifier key "
		    "could not be printed; undoing the init of %s",
		    errno != 0 ? strerror(errno) : "write error", db);
		clearerr(stdout);   /* said here, with what it means */
		goto out;
	}
	status = EXIT_OK;
out:
	if (status != EXIT_OK) {
		/* Only what this run created: never a pre-existing file.  The
		 * database goes with its side files, the lock file too. */
		if (created_db && (rc = sdb_store_remove(db, &eb)) != SDB_OK)
			cli_linef(stderr, "sumdbd init: %s: not removed: %s", db, sdb_errmsg(&eb, rc));
		if (created_key) {
			unlink(key_out);
			unlink_checkpoint(new_cp);
		}
	}
	sdb_note_signer_free(signer);
	sdb_note_verifier_free(v);
	free(vkey);
	free(abs_key);
	free(gen_path);
	free(new_cp);
	return status;
}
