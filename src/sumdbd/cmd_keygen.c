/*
 * sumdbd keygen: prints a new Ed25519 signer key and its verifier key in
 * x/mod's note format (PROTOCOL.md "Record, tree, note": signer
 * PRIVATE+KEY+NAME+HASH+BASE64(0x01 || seed), verifier
 * NAME+HASH+BASE64(0x01 || public key)).  The signer key goes to standard
 * output, first line; the verifier key on the second.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crypto.h"
#include "csumdb/note.h"

static void
keygen_usage(FILE *f)
{
	fprintf(f,
	    "usage: sumdbd keygen NAME\n"
	    "\n"
	    "Generates an Ed25519 key for the log NAME (host[/path], the name\n"
	    "clients see in GOSUMDB, as for init) and prints two lines: the\n"
	    "signer key (PRIVATE+KEY+NAME+...; secret) and the verifier key\n"
	    "(NAME+HASH+KEY; public).  Redirected into a file of mode 0600, the\n"
	    "output is a key file that 'sumdbd init --key' takes:\n"
	    "  (umask 077; sumdbd keygen NAME > sumdb.key)\n"
	    "Prefer 'sumdbd init', which writes the signer key to a file itself.\n"
	    "\n"
	    "  --help   this text\n"
	    "\n"
	    "Exit status: 0 ok; 1 usage or local error.\n");
}

int
cmd_keygen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sdb_note_signer *s = NULL;
	struct sdb_note_verifier *v = NULL;
	struct sdb_errbuf eb = { { 0 } };
	char *vkey = NULL, *skey = NULL;
	size_t n = 0;
	int c, rc, status = EXIT_LOCAL;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'h': keygen_usage(stdout); return EXIT_OK;
		default: cli_usage_error("sumdbd keygen", keygen_usage); return EXIT_LOCAL;
		}
	}
	if (optind + 1 != argc) {
		if (optind < argc)
			(void)cli_extra_args("sumdbd keygen", argc, argv, optind + 1);
		else
			fprintf(stderr, "sumdbd keygen: want the log NAME\n");
		cli_usage_error("sumdbd keygen", keygen_usage);
		return EXIT_LOCAL;
	}
	/* a key init --key would refuse is no use to anyone */
	if (!sdbd_log_name_ok(argv[optind])) {
		cli_linef(stderr, "sumdbd keygen: %s: not a valid log name (host[/path], "
		    "e.g. sum.corp.example)", argv[optind]);
		return EXIT_LOCAL;
	}
	rc = sdb_note_signer_generate(&s, argv[optind], &eb);
	if (rc != SDB_OK) {
		cli_linef(stderr, "sumdbd keygen: %s: %s", argv[optind], sdb_errmsg(&eb, rc));
		return EXIT_LOCAL;
	}
	n = sdb_note_signer_format_len(s) + 1;
	skey = sdb_secret_alloc(n);
	if (skey == NULL || sdb_note_signer_format(s, skey, n) != SDB_OK ||
	    sdb_note_signer_verifier(s, &v) != SDB_OK || sdb_note_verifier_format(v, &vkey) != SDB_OK) {
		fprintf(stderr, "sumdbd keygen: out of memory\n");
		goto out;
	}
	printf("%s\n%s\n", skey, vkey);
	/* Flushed before skey is wiped; a failed write is reported by the
	 * dispatcher (cli_main). */
	fflush(stdout);
	status = EXIT_OK;
out:
	if (skey != NULL) {
		sdb_memzero(skey, n);
		sdb_secret_free(skey);
	}
	sdb_note_signer_free(s);
	sdb_note_verifier_free(v);
	free(vkey);
	return status;
}
