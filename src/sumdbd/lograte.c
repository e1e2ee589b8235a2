/*
 * Lines made printable (sdbd_linef, by the programs' one cleaning
 * function, cli_printable in src/cli/line.h), and log lines said at most once a
 * minute for each kind (lograte.h), the way the listener has said
 * refused connections from the start.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/line.h"
#include "clock.h"
#include "csumdb/err.h"
#include "lograte.h"

/* Kinds of a set: one per error code (enum sdb_err counts down from 0
 * to -32); a code past them shares the last. */
#define LOGRATE_KINDS 40

struct sdbd_lograte_set {
	pthread_mutex_t mu;
	struct sdbd_lograte kind[LOGRATE_KINDS];
	/* the last line of each kind left out since its last line said
	 * (malloc'ed; NULL: none, or no memory to keep it), for
	 * sdbd_lograte_set_flush */
	char *held[LOGRATE_KINDS];
};

void
sdbd_linef(FILE *f, const char *fmt, ...)
{
	char line[SDBD_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	cli_printable(line, strlen(line));
	fprintf(f, "%s\n", line);
}

unsigned long
sdbd_lograte_take(struct sdbd_lograte *r, long long now_ms, int *first)
{
	unsigned long n;

	r->n++;
	if (r->said && now_ms - r->said_ms < SDBD_LOGRATE_MS)
		return 0;
	*first = !r->said;
	n = r->n;
	r->n = 0;
	r->said = 1;
	r->said_ms = now_ms;
	return n;
}

int
sdbd_lograte_set_new(struct sdbd_lograte_set **out)
{
	struct sdbd_lograte_set *s = calloc(1, sizeof *s);

	*out = NULL;
	if (s == NULL)
		return SDB_ERR_NOMEM;
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		free(s);
		return SDB_ERR_INTERNAL;
	}
	*out = s;
	return SDB_OK;
}

void
sdbd_lograte_set_free(struct sdbd_lograte_set *s)
{
	unsigned k;

	if (s == NULL)
		return;
	for (k = 0; k < LOGRATE_KINDS; k++)
		free(s->held[k]);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* Says line, the kind's line that n events since its last line said
 * (this one among them) allowed, through log_line. */
static void
say_counted(void (*log_line)(const char *line), const char *line, unsigned long n, int first)
{
	char out[2 * SDB_ERRBUF_SIZE + 128];
	int len;

	if (first)
		len = snprintf(out, sizeof out, "%s (lines of this kind are said at most once a "
		    "minute)", line);
	else if (n > 1)
		len = snprintf(out, sizeof out, "%s (and %lu more of this kind since the last such "
		    "line)", line, n - 1);
	else
		len = snprintf(out, sizeof out, "%s", line);
	if (len >= 0)
		log_line(out);
}

void
sdbd_lograte_set_flush(struct sdbd_lograte_set *s, void (*log_line)(const char *line))
{
	unsigned k;

	if (s == NULL || log_line == NULL)
		return;
	for (k = 0; k < LOGRATE_KINDS; k++) {
		unsigned long n;
		char *line;

		pthread_mutex_lock(&s->mu);
		n = s->kind[k].n;
		line = s->held[k];
		s->kind[k].n = 0;
		s->held[k] = NULL;
		pthread_mutex_unlock(&s->mu);
		if (n > 0 && line != NULL)
			say_counted(log_line, line, n, 0);
		free(line);
	}
}

void
sdbd_lograte_say(struct sdbd_lograte_set *s, int err, void (*log_line)(const char *line),
    const char *line)
{
	unsigned long n;
	unsigned k = err <= 0 && err > -LOGRATE_KINDS ? (unsigned)-err : LOGRATE_KINDS - 1;
	int first = 0;
	char *keep = NULL, *drop;

	if (log_line == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	n = sdbd_lograte_take(&s->kind[k], sdb_clock_ms(), &first);
	if (n == 0 && (keep = strdup(line)) == NULL)
		keep = s->held[k];   /* no memory: the older line stands for it */
	drop = s->held[k] != keep ? s->held[k] : NULL;
	s->held[k] = keep;
	pthread_mutex_unlock(&s->mu);
	free(drop);
	if (n > 0)
		say_counted(log_line, line, n, first);
}
