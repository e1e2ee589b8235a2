/*
 * The commands of sumdbd, one entry point each (each in its own cmd_*.c
 * file; serve lives in serve.c).  The exit statuses, bounded input reading
 * and the dispatcher are shared with sumdb in src/cli/cli.h.
 */
#ifndef CSUMDB_SUMDBD_CLI_H
#define CSUMDB_SUMDBD_CLI_H

#include "cli/cli.h"

/* The port `sumdbd serve` listens on by default (127.0.0.1). */
#define SUMDBD_DEFAULT_PORT 3030

/* Each command: run(argc, argv) with argv[0] the command name; returns an
 * exit status. */
int cmd_init(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_add(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_status(int argc, char **argv);

#endif
