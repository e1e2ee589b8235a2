/*
 * How sumdbd says its lines: every line goes out through sdbd_linef, one
 * line with the bytes that are not printable ASCII written as '?'.
 *
 * Log lines that clients can cause, said at most once a minute for each
 * kind: a flood of requests (connections over a limit, lookups of
 * versions an upstream does not have, lookups while an upstream or the
 * public log is down) must not become a flood of lines in the server's
 * log, nor one kind of trouble hide another.  The first line of a kind
 * is said at once; later ones less than SDBD_LOGRATE_MS after the last
 * line said are only counted; the next one after that is said, with the
 * count of those left out.
 */
#ifndef CSUMDB_SUMDBD_LOGRATE_H
#define CSUMDB_SUMDBD_LOGRATE_H

#include <pthread.h>
#include <stdio.h>

#include "csumdb/err.h"

/* Longest line sdbd_linef writes; longer ones are cut (none is). */
#define SDBD_LINE_MAX 8192

/*
 * Writes the line fmt makes, then a newline, to f in one write: each byte
 * that is not printable ASCII (a control character, a newline, a byte
 * of a UTF-8 sequence: a path, URL or name from the command line, the
 * database, an upstream or the public log) written as '?', so that no
 * line can forge another nor be read by a terminal as a command.  Any
 * thread.
 */
void sdbd_linef(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* How often a line of one kind may be said. */
#define SDBD_LOGRATE_MS 60000LL

/* One kind of line; all zero before its first. */
struct sdbd_lograte {
	unsigned long n;      /* events since the last line said */
	int said;             /* a line of the kind was said */
	long long said_ms;    /* when, on sdb_clock_ms's clock */
};

/*
 * Counts one event of r's kind at now_ms (sdb_clock_ms).  Returns 0 when
 * its line is to be left out (one was said less than SDBD_LOGRATE_MS
 * ago); else the events since the last line said, this one included
 * (from then on counted afresh), with *first set to 1 when it is the
 * kind's first line and to 0 otherwise.  Not locked: calls for one r
 * must not run at once.
 */
unsigned long sdbd_lograte_take(struct sdbd_lograte *r, long long now_ms, int *first);

/* The kinds of a component's lines (a kind for each error code), under
 * a lock of their own, for lines said from several threads. */
struct sdbd_lograte_set;

/* A new set, every kind unsaid.  Returns SDB_OK, SDB_ERR_NOMEM or
 * SDB_ERR_INTERNAL (no mutex). */
int sdbd_lograte_set_new(struct sdbd_lograte_set **out) SDB_WARN_UNUSED;

/* Frees s.  NULL is a no-op. */
void sdbd_lograte_set_free(struct sdbd_lograte_set *s);

/*
 * Says line, of the kind of the error code err (enum sdb_err), through
 * log_line when sdbd_lograte_take lets it: the kind's first line with
 * " (lines of this kind are said at most once a minute)" added, a later
 * one with " (and N more of this kind since the last such line)" when
 * some were left out.  A NULL log_line says nothing.  Any thread.
 */
void sdbd_lograte_say(struct sdbd_lograte_set *s, int err, void (*log_line)(const char *line),
    const char *line);

/*
 * Says, for each kind of s with lines left out since its last line said,
 * the last of them with " (and N more of this kind since the last such
 * line)", and counts afresh: at a stop, what was only counted would
 * otherwise never be said.  A NULL s or log_line says nothing.  Any
 * thread.
 */
void sdbd_lograte_set_flush(struct sdbd_lograte_set *s, void (*log_line)(const char *line));

#endif
