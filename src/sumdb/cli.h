/*
 * The commands of sumdb, the verifier; each lives in its own file.  The
 * shared command-line plumbing is src/cli/cli.h.
 */
#ifndef CSUMDB_SUMDB_CLI_H
#define CSUMDB_SUMDB_CLI_H

#include <stddef.h>

#include "cli/cli.h"
#include "csumdb/hash.h"

int cmd_verify_note(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_lookup(int argc, char **argv);
int cmd_prove(int argc, char **argv);
int cmd_verify_proof(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_evidence(int argc, char **argv);

struct sdb_remote;
struct sdb_state;
struct sdb_errbuf;

/* The default state file for log name (malloc'ed): $XDG_STATE_HOME/csumdb
 * or ~/.local/state/csumdb, NAME.state with '/' as '_' and each byte of a
 * control character (C0, DEL, C1) as %XX (or, while no file has that name,
 * the name byte for byte if a state of an older csumdb is there); NULL when
 * neither variable is set, or out of memory (cmd_audit.c). */
char *audit_default_state_path(const char *name);

/* The evidence of a fork between the accepted tree acc and the latest lat
 * (both notes, NUL-terminated, and what sdb_audit_consistency computed
 * into res), as printed and stored (malloc'ed, *len bytes), or NULL
 * (cmd_audit.c).  seen names the trees as a run without a state met them
 * ("tree seen first", "tree seen later") instead of "accepted", "latest". */
struct sdb_audit_result;
char *audit_evidence_text(const struct sdb_remote *r, const struct sdb_tree *acc,
    const char *acc_note, const struct sdb_tree *lat, const char *lat_note,
    const struct sdb_audit_result *res, int seen, size_t *len);

/*
 * Stores text[0..len), evidence of misbehavior, in st.  When that fails
 * (a state that may only be read, locked, damaged; text NULL: it could
 * not be made), says so on standard error as "sumdb CMD: WARNING: ...",
 * with why, and when print is set the evidence itself after it, so that
 * it is never lost without a word.  SDB_OK or the state's error
 * (cmd_evidence.c).
 */
int evidence_store(struct sdb_state *st, const char *cmd, const char *text, size_t len,
    int print);

/* The number sumdb evidence shows the stored evidence text[0..len) under
 * (1 for the oldest), or 0 when the state does not hold it or cannot be
 * read (cmd_evidence.c). */
int64_t evidence_number(struct sdb_state *st, const char *text, size_t len);

/*
 * Puts the tiles r authenticated in this run into its state's cache
 * (sdb_remote_commit_cache); when that fails, says so on standard error
 * as "sumdb CMD: warning: ...", with why: the cache only saves fetches,
 * so the command goes on (cmd_evidence.c).  bar, when not NULL, is a
 * progress line on the screen, ended before the warning so that it
 * goes on a line of its own.
 */
void state_cache_tiles(struct sdb_remote *r, const char *cmd, struct cli_progress *bar);

/* Shared by lookup, prove and check (cmd_lookup.c). */
/* Splits "M@V" at its last '@' into malloc'ed strings and checks them (a
 * valid module path, a canonical version).  SDB_OK, SDB_ERR_INVALID,
 * SDB_ERR_BAD_PATH, SDB_ERR_BAD_VERSION, SDB_ERR_NOMEM; eb says why. */
int lookup_split_arg(const char *arg, char **path, char **version, struct sdb_errbuf *eb);
/* Checks tree against the accepted tree in st, refetching tiles that do
 * not authenticate.  With accept, also accepts tree when newer (or when
 * none was accepted) and caches r's pending tiles on SDB_OK; without, only
 * checks (a tree shown by a lookup before its record is judged), keeping
 * the pending tiles for a later check that accepts.  On failure the
 * pending tiles are dropped.  SDB_OK, SDB_ERR_FORK (evidence stored), or
 * could-not-check and tile errors. */
int lookup_check_state(struct sdb_remote *r, struct sdb_state *st, const struct sdb_tree *tree,
    const char *note, size_t nlen, int accept, struct sdb_errbuf *eb);
/* A sdb_remote_tree_fn (csumdb/remote.h) for a lookup: ctx is a struct
 * lookup_known; the tree is checked against the run's largest (seen, with
 * lookup_check_seen, cmd naming the command) and, with a state, against
 * the accepted one too (st, with lookup_check_state, not accepted): a
 * state with no tree accepted yet, or an older one, cannot tell two trees
 * the run was shown apart. */
struct lookup_known {
	struct sdb_remote *r;
	struct sdb_state *st;
	struct lookup_seen *seen;
	const char *cmd;
};
int lookup_known_check(void *ctx, const struct sdb_tree *tree, const char *note, size_t nlen,
    struct sdb_errbuf *eb);
/* The largest signed tree a run without a state was shown so far, with
 * its note: the evidence, should a later tree not be one log's with it. */
struct lookup_seen {
	struct sdb_tree tree;       /* n < 0: none yet */
	char *note;                 /* malloc'ed, NUL-terminated */
	size_t nlen;
	struct sdb_tree printed;    /* the tree whose proof of misbehavior
	                             * against this one was printed last */
};
#define LOOKUP_SEEN_NONE { { -1, { { 0 } } }, NULL, 0, { -1, { { 0 } } } }
void lookup_seen_clear(struct lookup_seen *seen);
/* The trees one run sees must be one log's.  tree (its note
 * note[0..nlen)) is checked against *seen as audit checks two trees, and
 * *seen becomes the larger.  A fork's proof of misbehavior (both notes,
 * the computed hash and the proof) is stored in st as evidence, or with st
 * NULL printed on standard error as "sumdb CMD: ...", once for the same
 * two trees.  SDB_OK, SDB_ERR_FORK, SDB_ERR_NOMEM, or could-not-check and
 * tile errors. */
int lookup_check_seen(struct sdb_remote *r, struct lookup_seen *seen, const struct sdb_tree *tree,
    const char *note, size_t nlen, const char *cmd, struct sdb_state *st, struct sdb_errbuf *eb);

#endif
