/*
 * sumdbd serve: opens the log as its one writer, serves the checksum
 * database protocol on the listen address (handlers.c over http.c) and
 * the admin socket for `sumdbd add` (admin.c), and stops gracefully on
 * SIGTERM, SIGINT or SIGHUP (unless ignored, as under nohup): no new
 * connections, requests in flight are answered, the sequencer commits
 * what is queued, the database is closed.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin_server.h"
#include "cli.h"
#include "csumdb/store.h"
#include "handlers.h"
#include "http.h"
#include "log.h"
#include "lograte.h"
#include "lookup_index.h"
#include "public.h"
#include "upstream.h"


/* How long in-flight requests get to finish after a stop signal. */
#define SERVE_GRACE_MS 10000
/* Defaults the help text names (http.c holds the same). */
#define SERVE_CONNS 10000u
/* Descriptors kept for everything but client connections and the HTTP
 * workers: the writer's database, the miss threads' readers, upstream
 * sockets, temporary zips. */
#define SERVE_FD_RESERVE 256u
/* And per HTTP worker: its epoll descriptor, its wake-up pipe, its
 * database and WAL. */
#define SERVE_FDS_PER_WORKER 5u
/* And per miss thread (--upstream-concurrency, --public-concurrency),
 * busy: its database and WAL, the module zip's temporary file, its
 * fetch's connection and libcurl's wake-up socket pair (measured: 6 per
 * hung upstream fetch). */
#define SERVE_FDS_PER_MISS 6u
/* What serve cannot run without, whatever the options: the standard
 * descriptors, the writer's database, WAL, shared memory and lock, the
 * checkpoint's lock, the listening and admin sockets, wake-up pipes. */
#define SERVE_FD_BASE 32u

static void
serve_usage(FILE *f)
{
	fprintf(f,
	    "usage: sumdbd serve --db FILE [--key FILE] [--checkpoint FILE] [--listen ADDR]\n"
	    "                    [--threads N] [OPTIONS]\n"
	    "\n"
	    "Serves the checksum database in FILE over HTTP: /latest, /lookup/M@V,\n"
	    "/tile/8/L/N[.p/W], /tile/8/data/N[.p/W], and the same under\n"
	    "/sumdb/NAME/ (with /sumdb/NAME/supported) for use behind a GOPROXY.\n"
	    "While it runs, `sumdbd add --db FILE` imports go.sum lines through an\n"
	    "admin socket FILE.admin.sock (mode 0600, token in FILE.admin.token).\n"
	    "SIGTERM, SIGINT or SIGHUP (unless ignored, as under nohup) stops it\n"
	    "gracefully.\n"
	    "\n"
	    "  --db FILE       the database (made by sumdbd init)\n"
	    "  --key FILE      signer key file (default: the one the database names)\n"
	    "  --checkpoint FILE\n"
	    "                  the last tree the key signed, checked at start and\n"
	    "                  written after each commit (default: the key file's\n"
	    "                  name with .checkpoint appended)\n"
	    "  --new-checkpoint when there is no checkpoint, start one at the\n"
	    "                  database's tree (else refused: only when this is\n"
	    "                  the latest database the key signed for)\n"
	    "  --listen ADDR   HOST:PORT to listen on (default 127.0.0.1:3030);\n"
	    "                  PORT in decimal, 0..65535, at most 5 digits\n"
	    "                  (leading zeros are no octal: 0080 is 80);\n"
	    "                  port 0 picks a free port, printed at start;\n"
	    "                  an empty HOST is 0.0.0.0 (IPv4); [::] takes IPv6\n"
	    "                  and IPv4\n"
	    "  --threads N     HTTP worker threads, 1..256 (default: one per CPU\n"
	    "                  less one, at least 1 and at most 16)\n"
	    "  --no-admin      do not open the admin socket\n"
	    "  --max-conns N   client connections in all, 1..1000000 (default\n"
	    "                  10000, lowered to what the open-files limit allows)\n"
	    "  --max-conns-per-ip N\n"
	    "                  client connections per address, 1..1000000\n"
	    "                  (default 512: a CI fleet behind one NAT address\n"
	    "                  fits, one host cannot take all; an IPv6 client\n"
	    "                  counts as its /64; behind a reverse proxy raise\n"
	    "                  it to --max-conns)\n"
	    "  --idle-timeout SECS\n"
	    "                  close a connection idle this long, 1..3600\n"
	    "                  (default 15)\n"
	    "  --header-timeout SECS\n"
	    "                  close a connection whose request line and headers\n"
	    "                  have not all arrived within SECS, 1..3600\n"
	    "                  (default 10)\n"
	    "  --miss-queue N  lookup misses waiting for a miss thread, 1..1000000;\n"
	    "                  past it 503 with Retry-After (default 1024); a miss\n"
	    "                  whose client has gone is dropped, not fetched\n"
	    "\n");
	fprintf(f,
	    "Recording internal modules on demand (a lookup miss for a module\n"
	    "matching --private is fetched from --upstream, checked, hashed, logged):\n"
	    "  --upstream LIST            GOPROXY-style list of module proxy URLs\n"
	    "                             (http, https, file; ',' or '|' between)\n"
	    "  --private PATTERNS         GOPRIVATE-style globs of the module paths\n"
	    "                             to record from the upstream, comma-\n"
	    "                             separated in one --private\n"
	    "  --upstream-netrc FILE      credentials per host (.netrc format)\n"
	    "  --upstream-token-file FILE bearer token sent to the upstream\n"
	    "                             (not with --upstream-netrc nor with\n"
	    "                             user:password@ in an --upstream URL)\n"
	    "  --upstream-ca FILE         CA bundle for https upstreams, instead of\n"
	    "                             the system's CAs\n"
	    "  --upstream-timeout SECS    per download attempt, 1..3600 (default\n"
	    "                             120; 30 s without a byte ends one sooner)\n"
	    "  --upstream-concurrency N   parallel fetches, 1..3600 (default 4): the\n"
	    "                             number of miss threads for private modules;\n"
	    "                             misses never occupy an HTTP worker, tiles\n"
	    "                             and recorded lookups are served while\n"
	    "                             they wait; misses of one version share\n"
	    "                             one fetch and its answer\n"
	    "  Upstream errors: 404 not found upstream or outside the patterns,\n"
	    "  504 the upstream timed out, 502 any other upstream failure.\n"
	    "\n"
	    "Public modules (a lookup miss for a module outside --private is\n"
	    "looked up in the public log; the record is recorded here only after\n"
	    "its inclusion in a signed public tree consistent with the one accepted\n"
	    "before is verified; an answer that does not verify gets 502 and\n"
	    "nothing is recorded; a fork, two trees the public log signed that\n"
	    "are not consistent, or a record it signed that is no go.sum record\n"
	    "is also kept as evidence: sumdbd status):\n"
	    "  --public-key KEY  the public log's verifier key (default sum.golang.org's)\n"
	    "  --public-url URL  its URL (default https://sum.golang.org; a module\n"
	    "                    proxy's https://PROXY/sumdb/sum.golang.org works)\n"
	    "  --no-public       answer lookups of public modules with 404 (and\n"
	    "                    start no miss threads for the public log)\n"
	    "  --public-timeout SECS\n"
	    "                    a whole public lookup, every fetch and retry\n"
	    "                    included, 1..3600 (default 20); past it 504\n"
	    "  --public-concurrency N\n"
	    "                    public lookups at once, 1..3600 (default 4), on\n"
	    "                    miss threads of their own: a slow public log\n"
	    "                    never holds up private modules\n"
	    "  --help          this text\n"
	    "\n"
	    "Exit status: 0 stopped by a signal; 1 could not start.\n");
}

/* What the listener cuts short when the grace period of a stop is over:
 * the downloads of the misses still running. */
struct serve_fetchers {
	struct sdbd_upstream *upstream;
	struct sdbd_public *pub;
};

static void
serve_abandon(void *ctx)
{
	struct serve_fetchers *sf = ctx;

	sdbd_upstream_cancel(sf->upstream);
	sdbd_public_cancel(sf->pub);
}

/* The log lines of the public path (first contact, misbehavior), of the
 * upstream and of the listener (refused connections) go to stderr, one
 * line each, made printable as every line serve writes (sdbd_linef). */
static void
serve_log_line(const char *line)
{
	sdbd_linef(stderr, "sumdbd: %s", line);
}

/* Reads one config value through a short-lived reader handle. */
static int
config_value(const char *db, const char *key, char **value, struct sdb_errbuf *eb)
{
	struct sdb_store *s;
	int rc;

	*value = NULL;
	rc = sdb_store_open(&s, db, SDB_STORE_READ, eb);
	if (rc != SDB_OK)
		return rc;
	rc = sdb_store_config_get(s, key, value, eb);
	sdb_store_close(s);
	return rc;
}

/* *slot = optarg for the list option --name, which may be given once:
 * given twice, the later would replace the earlier without a word (the
 * private modules of the first --private would go to the public log,
 * their names with them).  0 when it was given already, said with how to
 * give several. */
static int
set_once(const char **slot, const char *name, const char *how)
{
	if (*slot != NULL) {
		sdbd_linef(stderr, "sumdbd serve: --%s given twice: give %s", name, how);
		return 0;
	}
	*slot = optarg;
	return 1;
}

/* The upstream credential file given as option, warned about as the
 * signer key is (sdbd_warn_open_to_others). */
static void
warn_if_shared(const char *option, const char *file)
{
	struct stat sb;

	if (file != NULL && stat(file, &sb) == 0)
		(void)sdbd_warn_open_to_others("sumdbd serve", option, file, &sb);
}

/* Prints the GOSUMDB line for a listener at addr (HOST:PORT).  Bound to
 * all addresses, the listener's own address is no URL for a client
 * elsewhere: the line names this host instead, and says so. */
static void
gosumdb_line(const char *vkey, const char *addr)
{
	char host[256];
	const char *port = NULL;

	if (strncmp(addr, "0.0.0.0:", 8) == 0)
		port = addr + 8;
	else if (strncmp(addr, "[::]:", 5) == 0)
		port = addr + 5;
	if (port != NULL && gethostname(host, sizeof host) == 0 && host[0] != '\0' &&
	    memchr(host, '\0', sizeof host) != NULL) {
		sdbd_linef(stdout, "GOSUMDB=\"%s http://%s:%s\"", vkey, host, port);
		fflush(stdout);
		sdbd_linef(stderr, "sumdbd serve: listening on all addresses; the GOSUMDB line names "
		    "this host as %s: give clients the name they reach it by", host);
		return;
	}
	sdbd_linef(stdout, "GOSUMDB=\"%s http://%s\"", vkey, addr);
}

int
cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ "new-checkpoint", no_argument, NULL, 'w' },
		{ "listen", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' },
		{ "no-admin", no_argument, NULL, 'n' },
		{ "upstream", required_argument, NULL, 'U' },
		{ "private", required_argument, NULL, 'P' },
		{ "upstream-netrc", required_argument, NULL, 'N' },
		{ "upstream-token-file", required_argument, NULL, 'T' },
		{ "upstream-ca", required_argument, NULL, 'C' },
		{ "upstream-timeout", required_argument, NULL, 'O' },
		{ "upstream-concurrency", required_argument, NULL, 'K' },
		{ "max-conns", required_argument, NULL, 'M' },
		{ "max-conns-per-ip", required_argument, NULL, 'I' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "header-timeout", required_argument, NULL, 'H' },
		{ "miss-queue", required_argument, NULL, 'Q' },
		{ "public-key", required_argument, NULL, 'p' },
		{ "public-url", required_argument, NULL, 'u' },
		{ "no-public", no_argument, NULL, 'x' },
		{ "public-timeout", required_argument, NULL, 'W' },
		{ "public-concurrency", required_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sdbd_log_options lopt = { 0 };
	struct sdbd_http_options hopt = { 0 };
	struct sdb_errbuf eb = { { 0 } };
	struct sdbd_handlers *handlers = NULL;
	struct sdbd_admin_server *admin = NULL;
	struct sdbd_upstream_options uopt = { 0 };
	struct sdbd_upstream *upstream = NULL;
	struct sdbd_public_options popt = { 0 };
	struct sdbd_public *pub = NULL;
	struct serve_fetchers fetchers;
	const struct sdbd_latest *l;
	struct sdbd_http *http = NULL;
	struct sdbd_log *log = NULL;
	char *name = NULL, *vkey = NULL;
	const char *db = NULL, *key = NULL, *listen = "127.0.0.1:3030";
	/* the last option given that only --upstream uses, and that only
	 * the public path uses */
	const char *for_upstream = NULL, *for_public = NULL;
	int c, idx, rc, sig = 0, no_admin = 0, status = 1;
	sigset_t set;

	optind = 1;
	while ((c = cli_getopt(argc, argv, "", opts, &idx)) != -1) {
		if (strchr("NTCOK", c) != NULL)
			for_upstream = opts[idx].name;
		else if (strchr("puWJ", c) != NULL)
			for_public = opts[idx].name;
		switch (c) {
		case 'd': db = optarg; break;
		case 'k': key = optarg; break;
		case 'c': lopt.checkpoint_path = optarg; break;
		case 'w': lopt.new_checkpoint = 1; break;
		case 'l': listen = optarg; break;
		case 'n': no_admin = 1; break;
		case 'U':
			if (!set_once(&uopt.proxies, "upstream", "one list, the proxies "
			    "separated by ',' or '|' (as GOPROXY)"))
				return 1;
			break;
		case 'P':
			if (!set_once(&uopt.patterns, "private", "one comma-separated list of "
			    "patterns (as GOPRIVATE)"))
				return 1;
			break;
		case 'N': uopt.netrc_file = optarg; break;
		case 'T': uopt.token_file = optarg; break;
		case 'C': uopt.ca_file = optarg; break;
		case 'O':
		case 'K':
		case 'W':
		case 'J': {
			unsigned long v;

			if (cli_count_arg("sumdbd serve", c == 'O' ? "--upstream-timeout" :
			    c == 'K' ? "--upstream-concurrency" : c == 'W' ? "--public-timeout" :
			    "--public-concurrency", optarg, 3600, &v) != 0)
				return 1;
			if (c == 'O')
				uopt.timeout_ms = (long)v * 1000;
			else if (c == 'K')
				uopt.concurrency = (unsigned)v;
			else if (c == 'W')
				popt.timeout_ms = (long)v * 1000;
			else
				popt.concurrency = (unsigned)v;
			break;
		}
		case 'M':
		case 'I':
		case 'i':
		case 'H':
		case 'Q': {
			static const struct { int c; const char *name; unsigned long max; } lim[] = {
				{ 'M', "--max-conns", 1000000 },
				{ 'I', "--max-conns-per-ip", 1000000 },
				{ 'i', "--idle-timeout", 3600 },
				{ 'H', "--header-timeout", 3600 },
				{ 'Q', "--miss-queue", 1000000 },
			};
			size_t k = 0;
			unsigned long v;

			while (lim[k].c != c)
				k++;
			if (cli_count_arg("sumdbd serve", lim[k].name, optarg, lim[k].max, &v) != 0)
				return 1;
			if (c == 'M')
				hopt.conn_limit = (unsigned)v;
			else if (c == 'I')
				hopt.per_ip_limit = (unsigned)v;
			else if (c == 'i')
				hopt.timeout_s = (unsigned)v;
			else if (c == 'H')
				hopt.header_timeout_s = (unsigned)v;
			else
				hopt.defer_queue = (unsigned)v;
			break;
		}
		case 't': {
			unsigned long v;

			if (cli_count_arg("sumdbd serve", "--threads", optarg, 256, &v) != 0)
				return 1;
			hopt.threads = (unsigned)v;
			break;
		}
		case 'p': popt.vkey = optarg; break;
		case 'u': popt.url = optarg; break;
		case 'x': popt.off = 1; break;
		case 'h': serve_usage(stdout); return 0;
		default: cli_usage_error("sumdbd serve", serve_usage); return 1;
		}
	}
	if (cli_extra_args("sumdbd serve", argc, argv, optind) || db == NULL) {
		if (db == NULL)
			sdbd_linef(stderr, "sumdbd serve: --db is required");
		cli_usage_error("sumdbd serve", serve_usage);
		return 1;
	}
	/* An option that would be ignored is a mistake in the command line
	 * (a CA file meant for a proxy that is not configured, say): said
	 * now, rather than left to puzzle over at the first lookup. */
	if (for_upstream != NULL && uopt.proxies == NULL) {
		sdbd_linef(stderr, "sumdbd serve: --%s is for the module proxy of --upstream, which "
		    "is not given", for_upstream);
		return 1;
	}
	if (for_public != NULL && popt.off) {
		sdbd_linef(stderr, "sumdbd serve: --%s is for the public log, which --no-public turns "
		    "off: give one or the other", for_public);
		return 1;
	}
	/* before anything is opened: the listener reads it only at the end */
	if (sdbd_http_listen_check(listen, &eb) != SDB_OK) {
		sdbd_linef(stderr, "sumdbd serve: --listen %s", eb.msg);
		return 1;
	}

	/* Block the stop signals before any thread starts, so every thread
	 * inherits the mask and only sigwait below receives them.  SIGPIPE:
	 * a client that goes away must not kill the server. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	{
		/* under nohup, SIGHUP stays ignored (sigwait would take it) */
		struct sigaction old;

		if (sigaction(SIGHUP, NULL, &old) != 0 || old.sa_handler != SIG_IGN)
			sigaddset(&set, SIGHUP);
	}
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = config_value(db, SDB_STORE_CONFIG_NAME, &name, &eb);
	if (rc == SDB_OK)
		rc = config_value(db, SDB_STORE_CONFIG_VKEY, &vkey, &eb);
	if (rc != SDB_OK) {
		sdbd_linef(stderr, "sumdbd serve: %s: %s", db, sdb_errmsg(&eb, rc));
		goto out;
	}
	lopt.db_path = db;
	lopt.key_path = key;
	rc = sdbd_log_open(&log, &lopt, &eb);
	if (rc != SDB_OK) {
		sdbd_linef(stderr, "sumdbd serve: %s: %s", db, sdb_errmsg(&eb, rc));
		goto out;
	}
	rc = sdbd_handlers_new(&handlers, db, name, log, &eb);
	if (rc != SDB_OK) {
		sdbd_linef(stderr, "sumdbd serve: %s", sdb_errmsg(&eb, rc));
		goto out;
	}
	/* Lookup misses run on the listener's miss (defer) threads: one pool
	 * as large as upstream fetches may run at once, and one for public
	 * lookups, so that a slow public log never holds up private
	 * recording (nor the reverse).  With --no-public no miss goes to the
	 * public pool (sdbd_public_miss_pool): it gets no threads. */
	hopt.defer_what[SDBD_UPSTREAM_POOL] = "the upstream";
	hopt.defer_threads_option[SDBD_UPSTREAM_POOL] = "--upstream-concurrency";
	hopt.defer_what[SDBD_PUBLIC_POOL] = "the public log";
	hopt.defer_threads_option[SDBD_PUBLIC_POOL] = "--public-concurrency";
	hopt.defer_threads[SDBD_UPSTREAM_POOL] = uopt.concurrency ? uopt.concurrency : 4;
	uopt.max_inside = hopt.defer_threads[SDBD_UPSTREAM_POOL];
	uopt.log_line = serve_log_line;
	if (!popt.off) {
		hopt.defer_threads[SDBD_PUBLIC_POOL] = popt.concurrency ? popt.concurrency : 4;
		popt.concurrency = hopt.defer_threads[SDBD_PUBLIC_POOL];
		popt.max_inside = popt.concurrency;
	}
	if (uopt.proxies != NULL || uopt.patterns != NULL) {
		rc = sdbd_upstream_new(&upstream, &uopt, log, &eb);
		if (rc != SDB_OK) {
			sdbd_linef(stderr, "sumdbd serve: %s", sdb_errmsg(&eb, rc));
			goto out;
		}
		warn_if_shared("--upstream-token-file", uopt.token_file);
		warn_if_shared("--upstream-netrc", uopt.netrc_file);
	}
	/* Every miss goes through the public path's router: private
	 * modules to the upstream, the rest to the public log. */
	popt.patterns = uopt.patterns;
	popt.upstream = upstream;
	popt.log_line = serve_log_line;
	rc = sdbd_public_new(&pub, &popt, log, db, &eb);
	if (rc != SDB_OK) {
		sdbd_linef(stderr, "sumdbd serve: %s", sdb_errmsg(&eb, rc));
		goto out;
	}
	sdbd_handlers_set_miss(handlers, sdbd_public_miss, sdbd_public_miss_pool, pub);
	sdbd_handlers_set_log(handlers, serve_log_line);
	if (!no_admin) {
		rc = sdbd_admin_start(&admin, db, log, serve_log_line, &eb);
		if (rc != SDB_OK) {
			sdbd_linef(stderr, "sumdbd serve: admin socket: %s", sdb_errmsg(&eb, rc));
			goto out;
		}
	}
	/* Every connection is a descriptor: take what the hard limit allows
	 * and keep the connection limit within it, less what the workers
	 * hold themselves. */
	if (hopt.threads == 0)
		hopt.threads = sdbd_http_default_threads();
	{
		struct rlimit rl;
		unsigned want = hopt.conn_limit ? hopt.conn_limit : SERVE_CONNS;
		unsigned misses = hopt.defer_threads[SDBD_UPSTREAM_POOL] +
		    hopt.defer_threads[SDBD_PUBLIC_POOL];
		/* what the workers and miss threads hold at most, all busy */
		unsigned need = SERVE_FD_BASE + SERVE_FDS_PER_WORKER * hopt.threads +
		    SERVE_FDS_PER_MISS * misses;
		unsigned reserve = SERVE_FD_RESERVE + need - SERVE_FD_BASE;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
				rlim_t cur = rl.rlim_cur;
				rl.rlim_cur = rl.rlim_max;
				if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
					rl.rlim_cur = cur;
			}
			/* Busy miss threads past the limit fail their
			 * fetches with EMFILE (502) under load: refused
			 * now, while it can still be said what to change. */
			if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <= (rlim_t)need) {
				sdbd_linef(stderr, "sumdbd serve: open-files limit %llu is too low: "
				    "%u HTTP worker%s (--threads) and %u miss thread%s "
				    "(--upstream-concurrency %u, --public-concurrency %u) need up to %u "
				    "descriptors besides client connections; raise the limit (ulimit -n, "
				    "LimitNOFILE= in a systemd unit) or lower those options",
				    (unsigned long long)rl.rlim_cur, hopt.threads,
				    hopt.threads == 1 ? "" : "s", misses, misses == 1 ? "" : "s",
				    hopt.defer_threads[SDBD_UPSTREAM_POOL],
				    hopt.defer_threads[SDBD_PUBLIC_POOL], need);
				goto out;
			}
			if (rl.rlim_cur != RLIM_INFINITY &&
			    rl.rlim_cur < (rlim_t)want + reserve) {
				/* Under twice the reserve, half for each, but
				 * never into what the workers and miss threads
				 * need: the connections must never take the
				 * descriptors a recording needs (its database
				 * reader, its upstream socket and zip file). */
				unsigned fit = rl.rlim_cur > 2 * (rlim_t)reserve ?
				    (unsigned)(rl.rlim_cur - reserve) : (unsigned)(rl.rlim_cur / 2);

				if (fit > rl.rlim_cur - need)
					fit = (unsigned)(rl.rlim_cur - need);
				sdbd_linef(stderr, "sumdbd serve: open-files limit %llu: at most %u connections",
				    (unsigned long long)rl.rlim_cur, fit);
				want = fit;
			}
		}
		hopt.conn_limit = want;
	}
	hopt.listen = listen;
	hopt.handler = sdbd_handle;
	hopt.handler_ctx = handlers;
	hopt.round_done = sdbd_handle_release;
	fetchers.upstream = upstream;
	fetchers.pub = pub;
	hopt.abandon = serve_abandon;
	hopt.abandon_ctx = &fetchers;
	hopt.log_line = serve_log_line;
	rc = sdbd_http_start(&http, &hopt, &eb);
	if (rc != SDB_OK) {
		sdbd_linef(stderr, "sumdbd serve: %s", sdb_errmsg(&eb, rc));
		goto out;
	}
	l = sdbd_log_latest(log);
	sdbd_linef(stdout, "sumdbd: serving %s (tree size %" PRId64 ", %u HTTP worker%s) on http://%s",
	    name, l->tree.n, hopt.threads, hopt.threads == 1 ? "" : "s", sdbd_http_address(http));
	gosumdb_line(vkey, sdbd_http_address(http));
	sdbd_latest_put(l);
	/* The lines above are for whoever started the server; a supervisor
	 * may have closed standard output (`sumdbd serve >&-`).  Said once
	 * here, with the address, and not held against the server: nothing
	 * else is written there, and a server that served and stopped well
	 * exits 0, so that its service manager reports no failure. */
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		sdbd_linef(stderr, "sumdbd serve: writing standard output: %s: its lines (the "
		    "address, the GOSUMDB line) are not shown there; serving on http://%s",
		    errno != 0 ? strerror(errno) : "write error", sdbd_http_address(http));
		clearerr(stdout);
	}
	sdbd_handlers_index(handlers, SDBD_LOOKUP_INDEX_MAX_RECORDS, serve_log_line);

	do {
		if (sigwait(&set, &sig) != 0)
			break;
	} while (sig != SIGTERM && sig != SIGINT && sig != SIGHUP);
	/* before the line: who reads it knows the build is being ended */
	sdbd_handlers_index_stop(handlers);
	sdbd_linef(stderr, "sumdbd: stopping (signal %d)", sig);
	status = 0;
out:
	/* Order matters: no new requests, then no new admin imports, then the
	 * log (it commits what is queued), then the handler state the
	 * joined workers used. */
	sdbd_http_stop(http, SERVE_GRACE_MS);
	sdbd_admin_stop(admin);
	sdbd_log_close(log);
	sdbd_handlers_free(handlers);
	sdbd_public_free(pub);
	sdbd_upstream_free(upstream);
	free(name);
	free(vkey);
	return status;
}
