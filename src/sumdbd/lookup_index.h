/*
 * An in-memory index of module@version -> record id for /lookup
 * (lookup_index.c), so that a lookup hit is one primary-key read of the
 * record instead of two B-tree reads (the (path, version) index, then the
 * row): with a log much larger than the page cache both reads miss.
 *
 * It holds a keyed 32-bit tag of each module@version and the id, 8 bytes
 * a slot, and is only a hint: a candidate id is checked against the
 * record's own path and version (sdb_store_record_of), and a module
 * version it does not know is looked up in the store as before.  Built
 * once, from the records stored when it is built; records added later are
 * found through the store.
 */
#ifndef CSUMDB_SUMDBD_LOOKUP_INDEX_H
#define CSUMDB_SUMDBD_LOOKUP_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"
#include "csumdb/store.h"

/* Largest log serve indexes (the max_records it gives
 * sdbd_lookup_index_build): 2,000,000 records take about 23 MiB.  A
 * larger log is served from the store alone (the index is not built). */
#define SDBD_LOOKUP_INDEX_MAX_RECORDS 2000000

/* Candidates one lookup may return: more tag matches than this are left
 * to the store. */
#define SDBD_LOOKUP_INDEX_MAX_CANDIDATES 4

struct sdbd_lookup_index;

/*
 * Builds the index of every record in s (a read handle that no other
 * thread uses meanwhile), when s holds at most max_records records.
 * stop, when not NULL, is called with stop_arg before each record is
 * added (from this thread): non-zero ends the build there, so that a
 * server told to stop does not first read the whole log.  *out is the new
 * index (sdbd_lookup_index_free), NULL on any error.  Returns SDB_OK,
 * SDB_ERR_TOO_LARGE (more than max_records records), SDB_ERR_IO (stop
 * said to stop; the message says so), SDB_ERR_NOMEM, or the store's
 * errors.
 */
int sdbd_lookup_index_build(struct sdbd_lookup_index **out, struct sdb_store *s,
    int64_t max_records, int (*stop)(void *stop_arg), void *stop_arg,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Candidate ids of path@version (path_len and version_len bytes): writes
 * at most SDBD_LOOKUP_INDEX_MAX_CANDIDATES ids to ids[] and returns their
 * number; 0 when the index does not know path@version.  Safe from many
 * threads at once.
 */
size_t sdbd_lookup_index_find(const struct sdbd_lookup_index *ix, const char *path,
    size_t path_len, const char *version, size_t version_len,
    int64_t ids[SDBD_LOOKUP_INDEX_MAX_CANDIDATES]);

/* Records indexed and bytes of memory used, for the operator's log. */
size_t sdbd_lookup_index_count(const struct sdbd_lookup_index *ix);
size_t sdbd_lookup_index_bytes(const struct sdbd_lookup_index *ix);

/* Frees ix; NULL is a no-op. */
void sdbd_lookup_index_free(struct sdbd_lookup_index *ix);

#endif
