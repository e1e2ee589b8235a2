/*
 * Shared pieces of the sumdbd command line: the exit statuses DESIGN.md
 * "Programs" promises, bounded input reading, and one entry point per
 * command (each in its own cmd_*.c file; serve lives in serve.c).
 */
#ifndef CSUMDB_SUMDBD_CLI_H
#define CSUMDB_SUMDBD_CLI_H

#include <stddef.h>

/* Exit statuses: DESIGN.md "Programs". */
enum {
	EXIT_OK = 0,
	EXIT_LOCAL = 1,   /* usage, I/O, could not check */
	EXIT_VERIFY = 2   /* verification failed: corruption, conflicting hashes */
};

/* The port `sumdbd serve` listens on by default (127.0.0.1). */
#define SUMDBD_DEFAULT_PORT 3030

/*
 * Reads all of path ("-" or NULL: standard input) into a malloc'ed
 * buffer, NUL-terminated (the NUL not counted in *len).  Refuses input
 * over max bytes.  On failure prints a message naming the input and
 * returns NULL.
 */
char *cli_read_input(const char *prog, const char *path, size_t max, size_t *len);

/* Each command: run(argc, argv) with argv[0] the command name; returns an
 * exit status. */
int cmd_init(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_add(int argc, char **argv);
int cmd_fsck(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
