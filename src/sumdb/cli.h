/*
 * Shared pieces of the sumdb command line: the exit statuses DESIGN.md
 * promises, bounded input reading, and the command table.
 */
#ifndef CSUMDB_SUMDB_CLI_H
#define CSUMDB_SUMDB_CLI_H

#include <stddef.h>

/* Exit statuses: DESIGN.md "Programs". */
enum {
	EXIT_OK = 0,
	EXIT_LOCAL = 1,   /* usage, I/O, could not check */
	EXIT_VERIFY = 2   /* verification failed: bad signature, fork, mismatch */
};

/*
 * Reads all of path ("-" or NULL: standard input) into a malloc'ed buffer,
 * NUL-terminated for convenience (the NUL is not counted in *len).  Refuses
 * input over max bytes.  On failure prints a message naming the input and
 * returns NULL.
 */
char *cli_read_input(const char *prog, const char *path, size_t max, size_t *len);

/* Each command: run(argc, argv) with argv[0] the command name; returns an
 * exit status. */
int cmd_verify_note(int argc, char **argv);

#endif
