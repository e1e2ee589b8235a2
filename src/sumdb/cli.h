/*
 * The commands of sumdb, the verifier; each lives in its own file.  The
 * shared command-line plumbing is src/cli/cli.h.
 */
#ifndef CSUMDB_SUMDB_CLI_H
#define CSUMDB_SUMDB_CLI_H

#include <stddef.h>

#include "cli/cli.h"

int cmd_verify_note(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_lookup(int argc, char **argv);
int cmd_prove(int argc, char **argv);
int cmd_verify_proof(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* Shared by lookup, prove and check (cmd_lookup.c). */
struct sdb_remote;
struct sdb_state;
struct sdb_tree;
struct sdb_errbuf;
/* Splits "M@V" at its last '@' into malloc'ed strings and checks them (a
 * valid module path, a canonical version).  SDB_OK, SDB_ERR_INVALID,
 * SDB_ERR_BAD_PATH, SDB_ERR_BAD_VERSION, SDB_ERR_NOMEM; eb says why. */
int lookup_split_arg(const char *arg, char **path, char **version, struct sdb_errbuf *eb);
/* Checks tree against the accepted tree in st (accepting it when newer,
 * or when none was accepted), refetching tiles that do not authenticate;
 * caches r's pending tiles on SDB_OK and drops them otherwise.  SDB_OK,
 * SDB_ERR_FORK (evidence stored), or could-not-check and tile errors. */
int lookup_check_state(struct sdb_remote *r, struct sdb_state *st, const struct sdb_tree *tree,
    const char *note, size_t nlen, struct sdb_errbuf *eb);

#endif
