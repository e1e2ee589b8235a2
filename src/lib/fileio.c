/* Small file helpers (fileio.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "fileio.h"

char *
sdb_path_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s != NULL) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb + 1);
	}
	return s;
}

int
sdb_read_all(int fd, void *buf, size_t cap, size_t *n)
{
	unsigned char *p = buf;

	*n = 0;
	while (*n < cap) {
		ssize_t k = read(fd, p + *n, cap - *n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		*n += (size_t)k;
	}
	return 0;
}

int
sdb_pread_all(int fd, void *buf, size_t len, int64_t off)
{
	unsigned char *p = buf;

	while (len > 0) {
		ssize_t k = pread(fd, p, len, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return -1;
		}
		p += k;
		len -= (size_t)k;
		off += k;
	}
	return 0;
}

int
sdb_write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t k = write(fd, p, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return -1;
		}
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

char *
sdb_path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	return strndup(path, slash == path ? 1 : (size_t)(slash - path));
}

int
sdb_dir_missing(const char *path, char *msg, size_t cap)
{
	char *dir = sdb_path_dir(path);
	struct stat sb;
	int missing = 1, e;

	if (dir == NULL)
		return 0;
	if (stat(dir, &sb) != 0) {
		e = errno;
		snprintf(msg, cap, "directory %s: %s%s", dir, strerror(e),
		    e == ENOENT ? " (make it first)" : "");
	}
	else if (!S_ISDIR(sb.st_mode))
		snprintf(msg, cap, "%s is not a directory", dir);
	else
		missing = 0;
	free(dir);
	return missing;
}

int
sdb_sync_dir(const char *path)
{
	char *dir = sdb_path_dir(path);
	int fd, rc, e;

	if (dir == NULL)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/* Tries for a name before giving up: each is a new random one, so only
 * someone making names as fast as we try could make them all taken. */
#define MKSTEMP_TRIES 100

int
sdb_mkstemp_umask(char *tmpl)
{
	static const char letters[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	size_t len = strlen(tmpl), i;
	unsigned char r[6];
	char *x;
	int fd, try;

	if (len < 6 || strcmp(tmpl + len - 6, "XXXXXX") != 0) {
		errno = EINVAL;
		return -1;
	}
	x = tmpl + len - 6;
	/* The mode comes from open(..., 0666), so that the kernel applies
	 * the umask (or the directory's default ACL) as for any file the
	 * user makes: the umask can only be read by setting it, for the
	 * whole process, which would give files other threads make in the
	 * meantime the wrong mode.  O_EXCL: never a file that is there, nor
	 * a link planted under the name. */
	for (try = 0; try < MKSTEMP_TRIES; try++) {
		sdb_random(r, sizeof r);
		for (i = 0; i < 6; i++)
			x[i] = letters[r[i] % (sizeof letters - 1)];
		fd = open(tmpl, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	return -1;   /* errno EEXIST */
}
