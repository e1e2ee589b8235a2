/*
 * The command-line plumbing both programs share (src/cli/cli.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "crypto.h"
#include "csumdb/err.h"

const char *
cli_input_name(const char *path)
{
	return path == NULL || strcmp(path, "-") == 0 ? "standard input" : path;
}

char *
cli_read_file(const char *path, size_t max, size_t *len, struct sdb_errbuf *eb)
{
	FILE *f = stdin;
	const char *name = cli_input_name(path);
	char *buf;
	size_t n = 0;

	*len = 0;
	if (path != NULL && strcmp(path, "-") != 0) {
		f = fopen(path, "rbe");
		if (f == NULL) {
			sdb_errf(eb, SDB_ERR_IO, "%s: %s", path, strerror(errno));
			return NULL;
		}
	}
	buf = malloc(max + 2);
	if (buf == NULL) {
		sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		if (f != stdin)
			fclose(f);
		return NULL;
	}
	/* Read one byte past the limit to tell "exactly max" from "too big". */
	errno = 0;
	while (n < max + 1) {
		size_t got = fread(buf + n, 1, max + 1 - n, f);
		if (got == 0)
			break;
		n += got;
	}
	if (ferror(f)) {
		/* a directory opens, and its read fails: say why */
		sdb_errf(eb, SDB_ERR_IO, "%s: %s", name, errno != 0 ? strerror(errno) : "read error");
		free(buf);
		buf = NULL;
	} else if (n > max) {
		sdb_errf(eb, SDB_ERR_TOO_LARGE, "%s: larger than %zu bytes", name, max);
		free(buf);
		buf = NULL;
		*len = max + 1;
	} else {
		buf[n] = '\0';
		*len = n;
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

char *
cli_read_nonempty(const char *path, size_t max, const char *what, size_t *len,
    struct sdb_errbuf *eb)
{
	char *buf = cli_read_file(path, max, len, eb);

	if (buf == NULL || *len > 0)
		return buf;
	free(buf);
	if (path != NULL && strcmp(path, "-") != 0)
		sdb_errf(eb, SDB_ERR_INVALID, "no %s in %s (empty file)", what, path);
	else
		sdb_errf(eb, SDB_ERR_INVALID, "no %s on standard input (empty input)", what);
	return NULL;
}

char *
cli_read_input(const char *prog, const char *path, size_t max, size_t *len)
{
	struct sdb_errbuf eb;
	char *buf = cli_read_file(path, max, len, &eb);

	if (buf == NULL)
		cli_linef(stderr, "%s: %s", prog, eb.msg);
	return buf;
}

int
cli_count_arg(const char *prog, const char *opt, const char *arg, unsigned long max,
    unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	for (p = arg; *p >= '0' && *p <= '9' && v <= max; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (p == arg || *p != '\0' || v < 1 || v > max) {
		cli_linef(stderr, "%s: %s wants 1..%lu", prog, opt, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
cli_extra_args(const char *prog, int argc, char **argv, int first)
{
	if (first >= argc)
		return 0;
	cli_linef(stderr, "%s: unexpected argument '%s'", prog, argv[first]);
	return 1;
}

static double
progress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
cli_progress_start(struct cli_progress *p, const char *what, const char *unit,
    int64_t total, int64_t start)
{
	p->tty = isatty(2);
	p->what = what;
	p->unit = unit;
	p->total = total;
	p->start = start;
	p->t0 = progress_now();
	p->last = 0;
	p->drawn = 0;
}

static void
progress_draw(struct cli_progress *p, int64_t done)
{
	double t = progress_now(), el = t - p->t0;
	double rate = el > 0 ? (double)(done - p->start) / el : 0;
	double eta = rate > 0 && done < p->total ? (double)(p->total - done) / rate : 0;

	p->last = t;
	p->drawn = 1;
	fprintf(stderr, "\r  %s%s%" PRId64 "/%" PRId64 " %s (%.1f%%)  %.0f %s/s  ETA %d:%02d   ",
	    p->what != NULL ? p->what : "", p->what != NULL ? " " : "", done, p->total, p->unit,
	    p->total > 0 ? 100.0 * (double)done / (double)p->total : 100.0, rate, p->unit,
	    (int)(eta / 60), (int)eta % 60);
}

void
cli_progress_show(struct cli_progress *p, int64_t done)
{
	if (p->tty && progress_now() - p->last > 0.25)
		progress_draw(p, done);
}

void
cli_progress_break(struct cli_progress *p)
{
	if (p->drawn) {
		fputc('\n', stderr);
		p->drawn = 0;
		p->last = 0;
	}
}

void
cli_progress_end(struct cli_progress *p, int64_t done)
{
	if (!p->tty)
		return;
	progress_draw(p, done);
	cli_progress_break(p);
}

int
cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
    int *longindex)
{
	char so[16];
	int before = optind, c;
	const char *arg;
	size_t n;

	/* a leading ':' tells a missing value (':') from the rest ('?') */
	if ((size_t)snprintf(so, sizeof so, ":%s", shortopts) >= sizeof so)
		return -1;   /* no command has that many short options */
	opterr = 0;
	c = getopt_long(argc, argv, so, longopts, longindex);
	if (c != '?' && c != ':')
		return c;
	/* A long option is consumed whole, and optind has moved past it; a
	 * short one in a cluster ("-hx") leaves optind where it was. */
	arg = optind > before && optind - 1 < argc ? argv[optind - 1] : "";
	n = strcspn(arg, "=");
	if (strncmp(arg, "--", 2) != 0 || optind == before) {
		if (c == ':')
			cli_linef(stderr, "%s: option requires an argument -- '%c'", argv[0], optopt);
		else
			cli_linef(stderr, "%s: invalid option -- '%c'", argv[0], optopt);
	} else if (c == ':' || optopt != 0) {
		/* a known option (as getopt, by its whole name, however
		 * abbreviated), without its value or, a flag, given one */
		const char *name = arg + 2;
		size_t k;

		for (k = 0; longopts[k].name != NULL; k++)
			if (strncmp(longopts[k].name, arg + 2, n - 2) == 0 &&
			    (name == arg + 2 || strlen(longopts[k].name) == n - 2))
				name = longopts[k].name;
		cli_linef(stderr, c == ':' ? "%s: option '--%.*s' requires an argument" :
		    "%s: option '--%.*s' doesn't allow an argument", argv[0],
		    name == arg + 2 ? (int)(n - 2) : (int)strlen(name), name);
	} else {
		size_t k, hits = 0;

		/* getopt says no more: an abbreviation of more than one */
		for (k = 0; longopts[k].name != NULL; k++)
			hits += strncmp(longopts[k].name, arg + 2, n - 2) == 0;
		if (hits > 1)
			cli_linef(stderr, "%s: option '%.*s' is ambiguous", argv[0], (int)n, arg);
		else
			cli_linef(stderr, "%s: unrecognized option '%s'", argv[0], arg);
	}
	return '?';
}

void
cli_usage_error(const char *cmd, void (*usage)(FILE *f))
{
	char *text = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&text, &n);

	if (m != NULL) {
		usage(m);
		if (fclose(m) == 0 && text != NULL) {
			const char *end = strstr(text, "\n\n");

			fwrite(text, 1, end != NULL ? (size_t)(end - text) + 1 : n, stderr);
		}
		free(text);
	}
	cli_linef(stderr, "Run '%s --help' for its options.", cmd);
}

static void
cli_usage(FILE *f, const char *prog, const struct cli_command *cmds, size_t ncmds)
{
	size_t i, width = 0;

	for (i = 0; i < ncmds; i++)
		if (strlen(cmds[i].name) > width)
			width = strlen(cmds[i].name);
	fprintf(f, "usage: %s COMMAND [OPTIONS] [ARGS]\n\ncommands:\n", prog);
	for (i = 0; i < ncmds; i++)
		fprintf(f, "  %-*s  %s\n", (int)width, cmds[i].name, cmds[i].summary);
	fprintf(f, "\nRun '%s COMMAND --help' (or '%s help COMMAND') for a command's\n"
	    "options, '%s --version' for the version.\n"
	    "Exit status: 0 ok, 1 usage or local error, 2 verification failed.\n", prog, prog, prog);
}

/*
 * Standard output is buffered: a write that fails (a full disk, a closed
 * pipe) is often seen only at the flush.  A command that printed nothing
 * useful must not exit 0; a verification failure (2) stays 2, as it says
 * more than the write error.
 */
static int
cli_check_stdout(const char *prog, const char *cmd, int status)
{
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	cli_linef(stderr, "%s%s%s: writing standard output: %s", prog, cmd != NULL ? " " : "",
	    cmd != NULL ? cmd : "", errno != 0 ? strerror(errno) : "write error");
	return status == EXIT_OK ? EXIT_LOCAL : status;
}

/*
 * A program started with standard input, output or error closed (a
 * supervisor that closes them, `sumdbd serve >&- 2>&-`) hands those
 * numbers to the next files it opens: a lock file, a key file, the admin
 * socket would become "standard error", and a message would be written
 * into it.  So each closed one of 0, 1 and 2 is opened on /dev/null
 * before anything else, as SQLite does for its own files: standard input
 * for writing only and the other two for reading only, so that using
 * one still fails with EBADF as on a closed descriptor and is reported
 * as before ("writing standard output: Bad file descriptor"), but
 * nothing lands in a file.  -1 when /dev/null cannot be opened: then no
 * file may safely be opened at all.
 */
static int
cli_std_fds(void)
{
	int fd, got;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* the lower ones are open: open() takes the lowest free number */
		got = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (got != fd) {
			if (got >= 0)
				close(got);
			return -1;
		}
	}
	return 0;
}

int
cli_main(const char *prog, const struct cli_command *cmds, size_t ncmds,
    int argc, char **argv)
{
	size_t i;

	if (cli_std_fds() != 0) {
		/* lost when standard error is the one closed, harmlessly */
		cli_linef(stderr, "%s: cannot open /dev/null for a closed standard descriptor: %s",
		    prog, strerror(errno));
		return EXIT_LOCAL;
	}
	/* A reader that has gone (`sumdb lookup ... | head -1`) must not end
	 * the run by SIGPIPE, exit 141: the write fails with EPIPE instead,
	 * and cli_check_stdout keeps a verification failure at 2. */
	signal(SIGPIPE, SIG_IGN);
	/* Under a file size limit (ulimit -f, LimitFSIZE=) a write past it
	 * would kill the command by SIGXFSZ, mid-transaction, saying nothing:
	 * ignored, the write fails with EFBIG, which each command reports
	 * (and undoes) as it does any failed write. */
	signal(SIGXFSZ, SIG_IGN);
	if (argc < 2) {
		cli_usage(stderr, prog, cmds, ncmds);
		return EXIT_LOCAL;
	}
	/* `help COMMAND` is `COMMAND --help`, as in git and go */
	if (strcmp(argv[1], "help") == 0 && argc >= 3) {
		static char help_opt[] = "--help";
		char *cmd_argv[] = { argv[0], argv[2], help_opt, NULL };

		if (cli_extra_args(prog, argc, argv, 3) != 0)
			return EXIT_LOCAL;
		if (strcmp(argv[2], "help") == 0 || strcmp(argv[2], "--help") == 0 ||
		    strcmp(argv[2], "-h") == 0) {
			cli_usage(stdout, prog, cmds, ncmds);
			return cli_check_stdout(prog, NULL, EXIT_OK);
		}
		for (i = 0; i < ncmds; i++)
			if (strcmp(cmds[i].name, argv[2]) == 0)
				return cli_main(prog, cmds, ncmds, 3, cmd_argv);
		cli_linef(stderr, "%s: unknown command '%s'", prog, argv[2]);
		return EXIT_LOCAL;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		/* an argument after them was a mistake: say so, do not drop it */
		if (cli_extra_args(prog, argc, argv, 2) != 0)
			return EXIT_LOCAL;
		cli_usage(stdout, prog, cmds, ncmds);
		return cli_check_stdout(prog, NULL, EXIT_OK);
	}
	if (strcmp(argv[1], "--version") == 0) {
		if (cli_extra_args(prog, argc, argv, 2) != 0)
			return EXIT_LOCAL;
		printf("%s (csumdb) %s\n", prog, PACKAGE_VERSION);
		return cli_check_stdout(prog, NULL, EXIT_OK);
	}
	if (sdb_crypto_init() != SDB_OK) {
		cli_linef(stderr, "%s: cannot initialise the crypto library", prog);
		return EXIT_LOCAL;
	}
	for (i = 0; i < ncmds; i++) {
		char name[64];

		if (strcmp(cmds[i].name, argv[1]) != 0)
			continue;
		/* getopt names argv[0] in its messages: "sumdbd serve:
		 * unrecognized option", as every other message says. */
		if ((size_t)snprintf(name, sizeof name, "%s %s", prog, cmds[i].name) < sizeof name)
			argv[1] = name;
		return cli_check_stdout(prog, cmds[i].name, cmds[i].run(argc - 1, argv + 1));
	}
	cli_linef(stderr, "%s: unknown command '%s'", prog, argv[1]);
	fputc('\n', stderr);
	cli_usage(stderr, prog, cmds, ncmds);
	return EXIT_LOCAL;
}
