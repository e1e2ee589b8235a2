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

/* mkstemp(tmpl), close-on-exec, then the mode open(..., 0666) would have
 * given the file under the process's umask (mkstemp makes it 0600), for a
 * file that is renamed into place as the user's own.  The descriptor, or
 * -1 with errno (and no file left). */
int sdb_mkstemp_umask(char *tmpl);

/* fsync()s the directory holding path, so that a rename into it is
 * durable; 0, or -1 with errno. */
int sdb_sync_dir(const char *path);

#endif
