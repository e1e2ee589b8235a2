/*
 * What the two programs' command lines share: the exit statuses DESIGN.md
 * "Programs" promises, bounded reading of an input file, the progress line
 * of long runs, and the command dispatcher behind `sumdb COMMAND` and
 * `sumdbd COMMAND`; every human line through line.h.  Only program
 * code (src/cli, src/sumdb, src/sumdbd) prints or picks exit statuses.
 */
#ifndef CSUMDB_CLI_H
#define CSUMDB_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "line.h"

/* Exit statuses: DESIGN.md "Programs". */
enum {
	EXIT_OK = 0,
	EXIT_LOCAL = 1,   /* usage, I/O, could not check */
	EXIT_VERIFY = 2   /* verification failed: bad signature, fork, mismatch,
	                   * corruption, conflicting hashes */
};

struct sdb_errbuf;

/* How messages name an input path: "standard input" for "-" or NULL. */
const char *cli_input_name(const char *path);

/*
 * Reads all of path ("-" or NULL: standard input) into a malloc'ed buffer,
 * NUL-terminated for convenience (the NUL is not counted in *len).  Refuses
 * input over max bytes.  On failure writes a message naming the input into
 * eb and returns NULL, with *len set to max + 1 when the input was over max
 * (so that a caller can say what to do about it) and to 0 otherwise.
 */
char *cli_read_file(const char *path, size_t max, size_t *len, struct sdb_errbuf *eb);

/* cli_read_file, whose failure is printed on stderr prefixed with prog. */
char *cli_read_input(const char *prog, const char *path, size_t max, size_t *len);

/*
 * cli_read_file of input that must hold a what: empty input (an empty
 * download, say, of which nothing can be checked) is refused too, eb
 * saying "no note on standard input (empty input)" or "no note in FILE
 * (empty file)".
 */
char *cli_read_nonempty(const char *path, size_t max, const char *what, size_t *len,
    struct sdb_errbuf *eb);

/* The value of a numeric option, arg: decimal digits only (no sign, no
 * space) naming 1..max, stored in *out and 0 returned; else says "PROG:
 * OPT wants 1..MAX" on stderr and returns -1. */
int cli_count_arg(const char *prog, const char *opt, const char *arg, unsigned long max,
    unsigned long *out);

/* For a command that takes no arguments after its options: when there
 * are some (argv[first..argc)), says so, naming the first, and returns
 * 1; else 0. */
int cli_extra_args(const char *prog, int argc, char **argv, int first);

/* After a usage error already said on stderr: the usage lines that open
 * the command's help (usage(f) prints the whole help; its lines up to
 * the first blank one) and "Run 'CMD --help' for its options.", on
 * stderr.  The whole help (ninety lines for sumdbd serve) would push the
 * message that says what was wrong off the screen.  cmd is the program
 * and command name, "sumdbd serve". */
void cli_usage_error(const char *cmd, void (*usage)(FILE *f));

struct option;

/*
 * getopt_long(argc, argv, shortopts, longopts, longindex), for every
 * command's options, with getopt's own complaints (an unknown option, a
 * missing value, a flag given one) said by cli_linef after argv[0], in
 * getopt's words: an option is an argument echoed back, and getopt
 * would write its bytes as they are.  Returns what getopt_long returns,
 * '?' for each of those complaints.
 */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
    int *longindex);

/*
 * A progress line on standard error (done/total, percent, rate, ETA),
 * rewritten in place, for a run that takes long on a large log.  Shown
 * only when standard error is a terminal: scripts, journald and tests
 * see nothing of it.  Fill it with cli_progress_start.
 */
struct cli_progress {
	int tty;              /* standard error is a terminal */
	const char *what;     /* the stage ("read"), or NULL */
	const char *unit;     /* what is counted ("records") */
	int64_t total, start; /* start: done when the run began (a resumed one) */
	double t0, last;      /* when it began, when the line was last drawn */
	int drawn;            /* the line is on the screen, not ended */
};

/* Starts p: what and unit are string constants (what may be NULL);
 * total and start are counted in units. */
void cli_progress_start(struct cli_progress *p, const char *what, const char *unit,
    int64_t total, int64_t start);

/* Redraws the line with done units done, at most four times a second;
 * nothing when standard error is not a terminal. */
void cli_progress_show(struct cli_progress *p, int64_t done);

/* Ends the line, when one is drawn, so that a message can follow on a
 * line of its own; the next cli_progress_show draws it again below. */
void cli_progress_break(struct cli_progress *p);

/* Draws the line a last time with done, and ends it with a newline;
 * nothing when standard error is not a terminal. */
void cli_progress_end(struct cli_progress *p, int64_t done);

/* One command: run(argc, argv) with argv[0] the program and command name
 * ("sumdb lookup", which getopt puts in its messages); returns an
 * exit status. */
struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

/*
 * main() of a program made of commands: first opens each of standard
 * input, output and error that is closed on /dev/null (so that no file
 * the command opens takes its number), then handles --help, --version and
 * unknown commands, initialises the crypto backend, and runs the command
 * named by argv[1].  Returns the exit status; when standard output cannot
 * be written, says so and turns a status of 0 into 1, so that commands need
 * not check their own printf calls.
 */
int cli_main(const char *prog, const struct cli_command *cmds, size_t ncmds,
    int argc, char **argv);

#endif
