/*
 * The checksum database protocol handlers (PROTOCOL.md "Endpoints"):
 * /latest, /lookup/ESCPATH@ESCVERSION, /tile/8/L/NNN[.p/W],
 * /tile/8/data/NNN[.p/W], the same under /sumdb/NAME/, and
 * /sumdb/NAME/supported.  They answer from the published tree of the log
 * (sdbd_log_latest) and a store reader handle per worker thread, so no
 * read ever waits for the sequencer.
 */
#ifndef CSUMDB_SUMDBD_HANDLERS_H
#define CSUMDB_SUMDBD_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"
#include "http.h"
#include "log.h"

/*
 * Called when a well-formed lookup finds no record: the seam where an
 * upstream fetch plugs in (DESIGN.md "Data flow" step 1).  path and version
 * are unescaped and canonical.  Return SDB_OK once a record for them has
 * been appended and published (the handler then looks it up again), or
 * SDB_ERR_NOT_FOUND with the reason for the 404 body in eb ("not found:
 * PATH@VERSION: REASON"); while the log cannot append (sdbd_log_failing) a
 * failure is a 503; SDB_ERR_TIMEOUT is a 504, any other error a 502.
 * Called concurrently from the listener's defer threads, never from its
 * workers: the connection waits suspended, other clients are served
 * meanwhile (http.h).
 */
typedef int (*sdbd_lookup_miss_fn)(void *arg, const char *path, const char *version,
    struct sdb_errbuf *eb);

/* Which of the listener's defer pools (http.h) a miss for path runs in,
 * below SDBD_HTTP_DEFER_POOLS: misses that may hang for long (a slow
 * public log) are kept apart from the others (a module proxy). */
typedef unsigned (*sdbd_lookup_pool_fn)(void *arg, const char *path);

struct sdbd_handlers;

/*
 * New handler state serving log (borrowed, must outlive it) from db_path,
 * under the log name (copied).  Returns SDB_OK, SDB_ERR_NOMEM or
 * SDB_ERR_INTERNAL (no thread-local slot).
 */
int sdbd_handlers_new(struct sdbd_handlers **out, const char *db_path, const char *name,
    struct sdbd_log *log, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Starts building the lookup index (lookup_index.h) of a log of at most
 * max_records records (serve: SDBD_LOOKUP_INDEX_MAX_RECORDS) in a thread
 * of its own, once the server serves: lookups go to the store until it is
 * built, and for good when the log is larger.  log_line (or NULL) then
 * gets one line for the operator, what the index holds or why there is
 * none.  Call at most once.
 */
void sdbd_handlers_index(struct sdbd_handlers *h, int64_t max_records,
    void (*log_line)(const char *line));

/*
 * Ends a build of the lookup index still running, at the next record it
 * reads (the server is stopping: its reading the rest of a large log
 * would only hold up the stop); log_line then says the index was not
 * built.  Safe from any thread, at any time after sdbd_handlers_new;
 * sdbd_handlers_free does it too.
 */
void sdbd_handlers_index_stop(struct sdbd_handlers *h);

/*
 * Sets where the lines of reads of the database that fail while serving
 * go (log_line, or NULL for nowhere): each names the database, the
 * reason, and the fsck to run, each kind at most once a minute.  Call
 * before the server serves.
 */
void sdbd_handlers_set_log(struct sdbd_handlers *h, void (*log_line)(const char *line));

/* Sets the miss function and the pool it runs in for each path (pool
 * NULL: pool 0), both called with arg; fn NULL (the default) answers
 * every miss with 404 "not found: PATH@VERSION: not recorded in this
 * checksum database". */
void sdbd_handlers_set_miss(struct sdbd_handlers *h, sdbd_lookup_miss_fn fn,
    sdbd_lookup_pool_fn pool, void *arg);

/* Frees h.  The HTTP listener using it must have been stopped (its worker
 * threads joined, which closed their store handles).  NULL is a no-op. */
void sdbd_handlers_free(struct sdbd_handlers *h);

/* The sdbd_http_handler: ctx is a struct sdbd_handlers. */
void sdbd_handle(void *ctx, const char *path, size_t len, struct sdbd_http_response *r);

/* The listener's hook after each round of a worker's event loop
 * (sdbd_http_options.round_done): ends the calling thread's read
 * snapshot, so that the WAL can be checkpointed and started over (see
 * handlers.c). */
void sdbd_handle_release(void *ctx);

#endif
