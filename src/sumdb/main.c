/*
 * sumdb: the csumdb verifier.  One file per command; the shared
 * dispatcher (src/cli/cli.c) handles --help, --version and exit statuses
 * (DESIGN.md "Programs": 0 ok, 1 usage or local error, 2 verification
 * failure).
 */
#include "config.h"

#include "cli.h"

static const struct cli_command commands[] = {
	{ "verify-note", cmd_verify_note, "verify a signed tree note with a verifier key" },
};

int
main(int argc, char **argv)
{
	return cli_main("sumdb", commands, sizeof commands / sizeof commands[0], argc, argv);
}
