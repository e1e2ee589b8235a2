/*
 * The commands of sumdb, the verifier; each lives in its own file.  The
 * shared command-line plumbing is src/cli/cli.h.
 */
#ifndef CSUMDB_SUMDB_CLI_H
#define CSUMDB_SUMDB_CLI_H

#include "cli/cli.h"

int cmd_verify_note(int argc, char **argv);

#endif
