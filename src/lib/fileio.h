/*
 * Small file helpers shared by the code that writes files beside its
 * SQLite databases (the verifier's duplicate index, the signer key's
 * checkpoint, the signer key) and that reads module zips: a path with a
 * suffix, a whole read and write, an exact read at an offset, and the
 * directory sync that makes a rename durable.
 */
#ifndef CSUMDB_LIB_FILEIO_H
#define CSUMDB_LIB_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* a followed by b in a new string (caller frees); NULL when out of memory. */
char *sdb_path_join(const char *a, const char *b);

/* Reads fd to its end into buf, at most cap bytes (*n of them; *n == cap
 * may mean there is more): 0, or -1 with errno.  Through EINTR. */
int sdb_read_all(int fd, void *buf, size_t cap, size_t *n);

/* Reads exactly len bytes at off into buf, through EINTR and short reads:
 * 0, or -1 with errno (EIO when the file ends first). */
int sdb_pread_all(int fd, void *buf, size_t len, int64_t off);

/* Writes all of buf[0..len) to fd, through EINTR and short writes;
 * 0, or -1 with errno (EIO for a write that wrote nothing). */
int sdb_write_all(int fd, const void *buf, size_t len);

/* As mkstemp(tmpl) (tmpl ends in XXXXXX, which becomes a random name of
 * a file that was not there; open for reading and writing), but
 * close-on-exec and with the mode open(..., 0666) gives under the user's
 * umask (mkstemp makes it 0600), for a file that is renamed into place as
 * the user's own.  Thread-safe: the umask is never changed.  The
 * descriptor, or -1 with errno (EINVAL for a template without XXXXXX)
 * and no file made. */
int sdb_mkstemp_umask(char *tmpl);

/* The directory holding path ("." for a name without one, "/" for a
 * name in the root), in a new string (caller frees); NULL when out of
 * memory. */
char *sdb_path_dir(const char *path);

/* 1 when the directory that would hold path is not there or is no
 * directory, with why in msg ("directory D: No such file or directory
 * (make it first)", "directory D: Permission denied", "D is not a
 * directory"), for a message that names
 * the directory rather than the file a create or open would then fail to
 * make; else 0 (also when out of memory: the create or open will say). */
int sdb_dir_missing(const char *path, char *msg, size_t cap);

/* fsync()s the directory holding path, so that a rename into it is
 * durable; 0, or -1 with errno. */
int sdb_sync_dir(const char *path);

#endif
