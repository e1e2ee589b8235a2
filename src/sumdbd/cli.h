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

/* Each command: run(argc, argv) with argv[0] the program and command name
 * ("sumdbd serve", which getopt puts in its messages); returns an
 * exit status. */
int cmd_init(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_add(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_status(int argc, char **argv);

/* 1 when name can name a log: a valid note key name shaped host[/path],
 * as GOSUMDB needs it for its default https://NAME/ URL; else 0.  init
 * refuses other names, so keygen makes no key for them. */
int sdbd_log_name_ok(const char *name);

#endif
