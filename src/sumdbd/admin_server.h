/*
 * The server side of the admin interface (admin.c): a Unix domain socket
 * FILE.admin.sock (mode 0600) next to the database, never the public
 * listener, through which `sumdbd add` hands go.sum content to a running
 * server.  A client proves itself with the token the server writes at
 * start to FILE.admin.token (mode 0600, fresh random bytes each start),
 * compared in constant time.
 */
#ifndef CSUMDB_SUMDBD_ADMIN_SERVER_H
#define CSUMDB_SUMDBD_ADMIN_SERVER_H

#include <stddef.h>

#include "csumdb/err.h"
#include "log.h"

struct sdbd_admin_server;

/*
 * What an admin import does, usable by any holder of the log: parses the
 * go.sum text data[0..len), groups its h1 lines by module version into
 * records (both the h1: and the /go.mod h1: line required; a line repeated
 * with another hash is a conflict), appends them with sdbd_log_append
 * (already recorded identical records are kept, a conflict with the log
 * refuses the whole import) and writes a one-line summary into
 * report[0..cap).  Returns SDB_OK or the first failure: SDB_ERR_INVALID,
 * SDB_ERR_BAD_PATH, SDB_ERR_BAD_VERSION, SDB_ERR_TOO_LARGE (go.sum
 * errors), SDB_ERR_EXISTS (conflict; nothing written), SDB_ERR_IO,
 * SDB_ERR_NOMEM; detail in eb.
 */
int sdbd_admin_import(struct sdbd_log *log, const char *data, size_t len, char *report,
    size_t cap, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Writes a new token file, binds the socket (replacing a stale one: the
 * caller holds the database's writer lock, so no other server owns it) and
 * starts the thread that serves it, appending through log (borrowed);
 * each add read whole is said, its outcome, by log_line (NULL: not said).
 * Returns SDB_OK, SDB_ERR_TOO_LARGE (socket path too long), SDB_ERR_IO,
 * SDB_ERR_NOMEM, SDB_ERR_INTERNAL.
 */
int sdbd_admin_start(struct sdbd_admin_server **out, const char *db_path,
    struct sdbd_log *log, void (*log_line)(const char *line),
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Stops the thread after the import in progress, if any, and removes the
 * socket and token files.  NULL is a no-op. */
void sdbd_admin_stop(struct sdbd_admin_server *a);

#endif
