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

struct sdbd_import {
	struct sdbd_record *recs;   /* the versions, in the order of their first line */
	size_t n;
	size_t ignored_lines;       /* lines with another hash algorithm than h1 */
	size_t skipped_gomod_only;  /* versions with only a /go.mod line, skipped */
	size_t problems;            /* each was reported to the problem function */
	/* private */
	char **texts_;
};

/*
 * Groups the entries of sums[0..nsums) (names[k]: how sums[k] is named in
 * problems) into records.  skip_gomod_only: skip versions with only their
 * /go.mod line instead of calling them problems.  Every problem goes to
 * problem(arg, ...) and is counted in out->problems; the records are
 * made only when there is none.  Returns SDB_OK (problems or not),
 * SDB_ERR_NOMEM, or a record formatting error (eb).  Free out with
 * sdbd_import_free, whatever the result.
 */
int sdbd_import_group(struct sdbd_import *out, struct sdb_gosum *const *sums,
    const char *const *names, size_t nsums, int skip_gomod_only, sdbd_import_problem_fn problem,
    void *arg, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

void sdbd_import_free(struct sdbd_import *im);

#endif
