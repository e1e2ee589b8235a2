/*
 * sumdbd: the csumdb checksum database server and its maintenance
 * commands.  Dispatches to one file per command; only this program's
 * files print or choose exit statuses (DESIGN.md "Programs": 0 ok, 1 usage
 * or local error, 2 verification failure).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crypto.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "init", cmd_init, "create a new database (and signer key)" },
	{ "keygen", cmd_keygen, "print a new signer key and its verifier key" },
	{ "add", cmd_add, "record go.sum lines in the log" },
	{ "fsck", cmd_fsck, "recompute every hash, tile and signed tree and compare" },
	{ "serve", cmd_serve, "serve the database over HTTP (GOSUMDB protocol)" },
};

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: sumdbd COMMAND [OPTIONS] [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nRun 'sumdbd COMMAND --help' for a command's options.\n"
	    "Exit status: 0 ok, 1 usage or local error, 2 verification failed.\n");
}

char *
cli_read_input(const char *prog, const char *path, size_t max, size_t *len)
{
	FILE *f = stdin;
	const char *name = "standard input";
	char *buf;
	size_t n = 0;

	if (path != NULL && strcmp(path, "-") != 0) {
		f = fopen(path, "rb");
		name = path;
		if (f == NULL) {
			fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
			return NULL;
		}
	}
	buf = malloc(max + 2);
	if (buf == NULL) {
		fprintf(stderr, "%s: out of memory\n", prog);
		if (f != stdin)
			fclose(f);
		return NULL;
	}
	/* Read one byte past the limit to tell "exactly max" from "too big". */
	while (n < max + 1) {
		size_t got = fread(buf + n, 1, max + 1 - n, f);
		if (got == 0)
			break;
		n += got;
	}
	if (ferror(f)) {
		fprintf(stderr, "%s: %s: read error\n", prog, name);
		free(buf);
		buf = NULL;
	} else if (n > max) {
		fprintf(stderr, "%s: %s: larger than %zu bytes\n", prog, name, max);
		free(buf);
		buf = NULL;
	} else {
		buf[n] = '\0';
		*len = n;
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

int
main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_LOCAL;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("sumdbd (csumdb) %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	}
	if (sdb_crypto_init() != SDB_OK) {
		fprintf(stderr, "sumdbd: cannot initialise libsodium\n");
		return EXIT_LOCAL;
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(commands[i].name, argv[1]) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "sumdbd: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_LOCAL;
}
