/*
 * go.sum lines to records, for `sumdbd add` (cmd_add.c) and for the
 * admin interface of a running server (admin.c), so that both take and
 * refuse exactly the same input.
 *
 * A record is one module version: its h1: line and its /go.mod h1: line
 * (PROTOCOL.md "Record").  Lines with other hash algorithms are ignored,
 * as the go command ignores them.  A version with two different hashes
 * for one line is a problem; so is one with only one of its two lines,
 * except that versions with only a /go.mod line (go.sum keeps those for
 * modules needed for their go.mod alone) may be skipped instead.
 */
#ifndef SUMDBD_IMPORT_H
#define SUMDBD_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"
#include "csumdb/gosum.h"
#include "log.h"

/* One problem in the input: where (file and line) and what. */
typedef void (*sdbd_import_problem_fn)(void *arg, const char *file, int64_t line,
    const char *msg);

struct sdbd_import_state;

/*
 * An import: all zero (memset) is an empty one.  sdbd_import_add folds
 * the lines of each go.sum into their versions as it reads them;
 * sdbd_import_finish then reports the problems and makes the records.
 * An import holds one record text per version (in blocks), not the lines.
 */
struct sdbd_import {
	struct sdbd_record *recs;   /* the versions, in the order of their first line;
	                             * path and version point into text: not
	                             * NUL-terminated */
	size_t n;
	size_t ignored_lines;       /* lines with another hash algorithm than h1 */
	size_t skipped_gomod_only;  /* versions with only a /go.mod line, skipped */
	size_t problems;            /* each was reported to the problem function */
	/* private */
	struct sdbd_import_state *st_;
};

/*
 * Reads the go.sum data[0..len) (sdb_gosum_scan) into im; name is how it
 * is named in problems, and must live as long as im.  A malformed line
 * stops it: the import must then be freed, not finished.  Returns SDB_OK,
 * the parser's errors (eb names the line) or SDB_ERR_NOMEM.
 */
int sdbd_import_add(struct sdbd_import *im, const char *name, const char *data, size_t len,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * After the last sdbd_import_add: reports every problem of the input to
 * problem(arg, ...) (may be NULL), ordered by module path, version, h1:
 * before /go.mod h1: line, and line order, and counts them in
 * im->problems; the records are made only when there is none.
 * skip_gomod_only: skip versions with only their /go.mod line instead of
 * calling them problems.  Returns SDB_OK (problems or not) or
 * SDB_ERR_NOMEM.  Call once.
 */
int sdbd_import_finish(struct sdbd_import *im, int skip_gomod_only,
    sdbd_import_problem_fn problem, void *arg, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* Frees what im holds and makes it empty again; NULL is a no-op. */
void sdbd_import_free(struct sdbd_import *im);

#endif
