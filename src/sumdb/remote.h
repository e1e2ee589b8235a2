/*
 * The verifier's side of csumdb/remote.h (src/lib/remote.c, shared with
 * sumdbd): how its errors become exit statuses.
 */
#ifndef CSUMDB_SUMDB_REMOTE_H
#define CSUMDB_SUMDB_REMOTE_H

#include "csumdb/remote.h"

/* Maps an error to an exit status: verification failures 2, else 1. */
int remote_exit_status(int err);

#endif
