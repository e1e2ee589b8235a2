/*
 * The signer key's checkpoint (checkpoint.h): the last tree the key
 * signed, kept beside it, and locked while a log signs with the key.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "csumdb/treenote.h"
#include "fileio.h"

/* A signed tree note is a few hundred bytes; a larger file is not one. */
#define CHECKPOINT_MAX 4096

struct sdbd_checkpoint {
	int lock_fd;            /* path ".lock", flock()ed */
	int have;               /* a checkpoint was read or written */
	struct sdb_tree tree;   /* its tree */
	int known;              /* the file at path was read or written here */
	dev_t dev;              /* ... and is this file */
	ino_t ino;
	char *path;
	char *tmp;              /* path ".tmp" */
};

const char *
sdbd_checkpoint_path(const struct sdbd_checkpoint *c)
{
	return c->path;
}

void
sdbd_checkpoint_close(struct sdbd_checkpoint *c)
{
	if (c == NULL)
		return;
	if (c->lock_fd >= 0)
		close(c->lock_fd);   /* drops the lock */
	free(c->path);
	free(c->tmp);
	free(c);
}

/*
 * After open(path) failed with ENOENT: SDB_ERR_NOT_FOUND when the
 * directory path names is there (no checkpoint written yet), else
 * SDB_ERR_IO naming the directory: no checkpoint can be written there
 * either, and a mistyped --checkpoint must not pass for a key that has
 * signed nothing.
 */
static int
missing(const char *path, struct sdb_errbuf *eb)
{
	char why[SDB_ERRBUF_SIZE];

	if (sdb_dir_missing(path, why, sizeof why))
		return sdb_errf(eb, SDB_ERR_IO, "checkpoint %s: %s", path, why);
	return sdb_errf(eb, SDB_ERR_NOT_FOUND, "checkpoint %s: %s", path, strerror(ENOENT));
}

int
sdbd_checkpoint_read(const char *path, const struct sdb_note_verifier *v, struct sdb_tree *tree,
    struct sdb_errbuf *eb)
{
	char buf[CHECKPOINT_MAX + 1];
	size_t n = 0;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return missing(path, eb);
	if (fd < 0)
		return sdb_errf(eb, SDB_ERR_IO, "checkpoint %s: %s", path, strerror(errno));
	if (sdb_read_all(fd, buf, sizeof buf, &n) != 0) {
		rc = errno;
		close(fd);
		return sdb_errf(eb, SDB_ERR_IO, "checkpoint %s: %s", path, strerror(rc));
	}
	close(fd);
	if (n > CHECKPOINT_MAX)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "checkpoint %s is too large for a signed tree "
		    "note", path);
	rc = sdb_tree_note_open(tree, NULL, buf, n, v, eb);
	if (rc != SDB_OK)
		return sdb_errf(eb, rc, "checkpoint %s is not a tree this key signed (%s); if it "
		    "was damaged, put back the note of the tree the log last published",
		    path, sdb_errmsg(eb, rc));
	return SDB_OK;
}

int
sdbd_checkpoint_open(struct sdbd_checkpoint **out, const char *key_path, const char *path,
    const struct sdb_note_verifier *v, struct sdb_errbuf *eb)
{
	struct sdbd_checkpoint *c;
	struct stat sb;
	char *real = NULL, *lock = NULL;
	int rc;

	*out = NULL;
	if ((c = calloc(1, sizeof *c)) == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	c->lock_fd = -1;
	/* One key file, one checkpoint: a symbolic link to the key names
	 * the checkpoint beside the key itself, and a hard link, which has
	 * no one real name, is refused (as a database with links is). */
	if ((real = realpath(key_path, NULL)) == NULL || stat(real, &sb) != 0) {
		rc = sdb_errf(eb, errno == ENOENT ? SDB_ERR_NOT_FOUND : SDB_ERR_IO,
		    "signer key file %s: %s", key_path, strerror(errno));
		goto fail;
	}
	if (sb.st_nlink > 1) {
		rc = sdb_errf(eb, SDB_ERR_INVALID, "signer key file %s has %lu names (hard links), "
		    "and so no one checkpoint: copy the key, do not link it", key_path,
		    (unsigned long)sb.st_nlink);
		goto fail;
	}
	c->path = path != NULL ? strdup(path) : sdb_path_join(real, SDBD_CHECKPOINT_SUFFIX);
	c->tmp = c->path != NULL ? sdb_path_join(c->path, ".tmp") : NULL;
	lock = c->path != NULL ? sdb_path_join(c->path, ".lock") : NULL;
	if (c->tmp == NULL || lock == NULL) {
		rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		goto fail;
	}
	/* The lock is beside the checkpoint, on a file never replaced: the
	 * key file may be (a configuration tool rewrites it by rename), and
	 * two key files may be given one --checkpoint. */
	/* Mode 0600: flock takes any descriptor, one opened only for
	 * reading too, so a lock file others may read is one any local user
	 * can hold, and with it keep serve and add from starting.  One made
	 * readable before (older versions made it 0644) is made ours alone:
	 * a user who opened it already keeps that descriptor, but no one
	 * opens it again. */
	c->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (c->lock_fd < 0) {
		rc = sdb_errf(eb, SDB_ERR_IO, "cannot open %s: %s (the signer key's checkpoint "
		    "must be writable; --checkpoint FILE keeps it elsewhere)", lock, strerror(errno));
		goto fail;
	}
	if (fstat(c->lock_fd, &sb) == 0 && (sb.st_mode & 077) != 0 && sb.st_uid == geteuid())
		(void)fchmod(c->lock_fd, sb.st_mode & 0700);
	if (flock(c->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		/* Not SDB_ERR_LOCKED, which says that the database is held. */
		if (errno == EWOULDBLOCK)
			rc = sdb_errf(eb, SDB_ERR_INVALID, "the checkpoint %s of signer key %s is in "
			    "use by another sumdbd (for another database: one key signing two "
			    "databases forks the log)", c->path, key_path);
		else
			rc = sdb_errf(eb, SDB_ERR_IO, "cannot lock %s: %s", lock, strerror(errno));
		goto fail;
	}
	rc = sdbd_checkpoint_read(c->path, v, &c->tree, eb);
	if (rc == SDB_OK) {
		c->have = 1;
		if (stat(c->path, &sb) == 0) {
			c->known = 1;
			c->dev = sb.st_dev;
			c->ino = sb.st_ino;
		}
	} else if (rc != SDB_ERR_NOT_FOUND) {
		goto fail;
	}
	free(real);
	free(lock);
	*out = c;
	return SDB_OK;
fail:
	free(real);
	free(lock);
	sdbd_checkpoint_close(c);
	return rc;
}

int
sdbd_checkpoint_have(const struct sdbd_checkpoint *c)
{
	return c->have;
}

int
sdbd_checkpoint_unchanged(const struct sdbd_checkpoint *c, struct sdb_errbuf *eb)
{
	struct stat sb;

	if (!c->known)
		return SDB_OK;
	if (stat(c->path, &sb) != 0 || sb.st_dev != c->dev || sb.st_ino != c->ino)
		return sdb_errf(eb, SDB_ERR_ROOT_MISMATCH, "the checkpoint %s is not the one this "
		    "sumdbd read or wrote last: another process signs with this key; nothing "
		    "more is signed until sumdbd restarts", c->path);
	return SDB_OK;
}

int
sdbd_checkpoint_check(const struct sdbd_checkpoint *c, struct sdb_store *st,
    const struct sdb_tree *latest, struct sdb_errbuf *eb)
{
	return c->have ? sdbd_checkpoint_holds(&c->tree, c->path, st, latest, eb) : SDB_OK;
}

int
sdbd_checkpoint_holds(const struct sdb_tree *cp, const char *path, struct sdb_store *st,
    const struct sdb_tree *latest, struct sdb_errbuf *eb)
{
	struct sdb_tree t;
	int rc;

	if (latest == NULL) {
		if (cp->n == 0)
			return SDB_OK;   /* every empty tree is the same */
		return sdb_errf(eb, SDB_ERR_ROOT_MISMATCH, "this signer key has already signed a "
		    "tree of size %lld for another database (checkpoint %s): refusing to sign a new "
		    "log under it, which would fork that one; make a new key (sumdbd keygen)",
		    (long long)cp->n, path);
	}
	if (latest->n < cp->n)
		return sdb_errf(eb, SDB_ERR_ROOT_MISMATCH, "the database's latest tree has size "
		    "%lld, but its key has signed one of size %lld (checkpoint %s): an older copy of "
		    "the log, such as a restored backup; refusing to sign for it, which "
		    "would fork the log.  Serve the current database, or a later copy of it that holds "
		    "the tree of size %lld (sumdbd status --db COPY --key KEYFILE says whether it "
		    "does); if there is none, the log cannot go on under this key: start a new log "
		    "with a new key", (long long)latest->n, (long long)cp->n, path, (long long)cp->n);
	rc = sdb_store_tree(st, cp->n, &t, NULL, NULL, eb);
	if (rc == SDB_ERR_NOT_FOUND || (rc == SDB_OK &&
	    memcmp(t.hash.b, cp->hash.b, SDB_HASH_SIZE) != 0))
		return sdb_errf(eb, SDB_ERR_ROOT_MISMATCH, "the database does not hold the tree of "
		    "size %lld its key last signed (checkpoint %s): it is another log under the "
		    "same key, such as a copy that grew apart; refusing to sign for it, which would "
		    "fork the log.  Serve the database the key last signed for",
		    (long long)cp->n, path);
	return rc;
}

int
sdbd_checkpoint_behind(const struct sdbd_checkpoint *c, const struct sdb_tree *t)
{
	return !c->have || c->tree.n != t->n ||
	    memcmp(c->tree.hash.b, t->hash.b, SDB_HASH_SIZE) != 0;
}

int
sdbd_checkpoint_write(struct sdbd_checkpoint *c, const struct sdb_tree *t,
    const char *note, size_t note_len, struct sdb_errbuf *eb)
{
	struct stat sb, lsb;
	int fd, e;

	/* Made anew under the lock: one a crash left is removed, and a name
	 * someone else put there (a symlink to another file) is neither
	 * followed nor written through. */
	if (unlink(c->tmp) != 0 && errno != ENOENT)
		goto fail_tmp;
	fd = open(c->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail_tmp;
	/* The checkpoint keeps the owner of its lock, which is made once
	 * and never replaced: root writing the checkpoint of a service
	 * user's key (sudo sumdbd add while the server is stopped) must not
	 * leave one that user cannot read (under umask 077), and so a
	 * server that does not start, as SQLite gives its -wal and -shm
	 * files the database's owner.  Only root can give a file away;
	 * when that fails, the checkpoint is written all the same. */
	if (fstat(c->lock_fd, &lsb) == 0 && fstat(fd, &sb) == 0 &&
	    (lsb.st_uid != sb.st_uid || lsb.st_gid != sb.st_gid) &&
	    fchown(fd, lsb.st_uid, lsb.st_gid) != 0) {
		/* not root: the file stays ours, as anyone else's would */
	}
	if (sdb_write_all(fd, note, note_len) != 0 || fsync(fd) != 0 || fstat(fd, &sb) != 0)
		goto fail_close;
	if (close(fd) != 0) {
		fd = -1;
		goto fail_close;
	}
	if (rename(c->tmp, c->path) != 0)
		goto fail_unlink;
	c->known = 1;
	c->dev = sb.st_dev;
	c->ino = sb.st_ino;
	/* Until the directory is synced a crash may bring back the old
	 * checkpoint: t is not held yet, and the next call writes again. */
	if (sdb_sync_dir(c->path) != 0)
		return sdb_errf(eb, SDB_ERR_IO, "checkpoint %s: syncing its directory: %s", c->path,
		    strerror(errno));
	c->tree = *t;
	c->have = 1;
	return SDB_OK;
fail_close:
	e = errno;
	if (fd >= 0)
		close(fd);
	errno = e;
fail_unlink:
	e = errno;
	unlink(c->tmp);
	errno = e;
	return sdb_errf(eb, SDB_ERR_IO, "cannot write checkpoint %s: %s", c->path, strerror(errno));
fail_tmp:
	/* the name in the way is the temporary file's, not the checkpoint's */
	return sdb_errf(eb, SDB_ERR_IO, "cannot write checkpoint %s: its temporary file %s: %s",
	    c->path, c->tmp, strerror(errno));
}
