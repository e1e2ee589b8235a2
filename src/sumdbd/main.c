/*
 * sumdbd: the csumdb checksum database server and its maintenance
 * commands.  One file per command; the shared dispatcher (src/cli/cli.c)
 * handles --help, --version and exit statuses (DESIGN.md "Programs").
 */
#include "config.h"

#include "cli.h"

static const struct cli_command commands[] = {
	{ "init", cmd_init, "create a new database (and signer key)" },
	{ "keygen", cmd_keygen, "print a new signer key and its verifier key" },
	{ "add", cmd_add, "record go.sum lines in the log" },
	{ "fsck", cmd_fsck, "recompute every hash, tile and signed tree and compare" },
	{ "serve", cmd_serve, "serve the database over HTTP (GOSUMDB protocol)" },
	{ "status", cmd_status, "the log's tree, public trees accepted and kept, misbehavior seen" },
};

int
main(int argc, char **argv)
{
	return cli_main("sumdbd", commands, sizeof commands / sizeof commands[0], argc, argv);
}
