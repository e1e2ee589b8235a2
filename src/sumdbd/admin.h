/*
 * The admin interface of a running `sumdbd serve`, as seen by the other
 * commands: `sumdbd add` uses it when the server holds the database's
 * writer lock, so imports enter the server's own sequencer queue (issue
 * 3, "sumdbd add ... works while the server runs").  Implemented in
 * admin.c by the HTTP side.
 */
#ifndef CSUMDB_SUMDBD_ADMIN_H
#define CSUMDB_SUMDBD_ADMIN_H

#include <stddef.h>

#include "csumdb/err.h"

/*
 * Sends the go.sum text gosum[0..len) to the server that holds the
 * database at db_path and waits for its answer.  The server applies the
 * same rules as the offline `sumdbd add`: every module version needs its
 * h1: and /go.mod h1: lines, lines already recorded with the same hashes
 * are skipped, and one conflict with a recorded hash refuses the whole
 * import (nothing written).  On return report[0..report_cap) holds a
 * NUL-terminated human summary (counts of added and already present
 * versions, or the conflicts) when report_cap > 0.
 * Returns SDB_OK (imported), SDB_ERR_EXISTS (conflict: nothing written),
 * SDB_ERR_INVALID (bad go.sum: nothing written), SDB_ERR_LOCKED (no admin
 * interface reachable for this database), SDB_ERR_IO, SDB_ERR_NOMEM;
 * detail in eb.
 */
int sdbd_admin_add(const char *db_path, const char *gosum, size_t len, char *report,
    size_t report_cap, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

#endif
