/*
 * sumdb: the csumdb verifier.  One file per command; the shared
 * dispatcher (src/cli/cli.c) handles --help, --version and exit statuses
 * (DESIGN.md "Programs": 0 ok, 1 usage or local error, 2 verification
 * failure).
 */
#include "config.h"

#include "cli.h"

static const struct cli_command commands[] = {
	{ "audit", cmd_audit, "check a checksum database's latest tree against the accepted one" },
	{ "lookup", cmd_lookup, "print verified go.sum lines of module versions" },
	{ "prove", cmd_prove, "write a C2SP tlog-proof of a record's inclusion" },
	{ "verify-proof", cmd_verify_proof, "verify a tlog-proof offline" },
	{ "check", cmd_check, "check a go.sum file against a checksum database" },
	{ "verify-note", cmd_verify_note, "verify a signed tree note with a verifier key" },
	{ "evidence", cmd_evidence, "print the evidence of misbehavior kept by audits" },
};

int
main(int argc, char **argv)
{
	return cli_main("sumdb", commands, sizeof commands / sizeof commands[0], argc, argv);
}
