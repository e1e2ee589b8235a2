/*
 * The in-memory lookup index (lookup_index.h): open addressing with linear
 * probing over 64-bit slots, (tag << 32) | (id + 1), 0 for an empty slot,
 * at most 70% full.  The slot a key starts from and its tag come from one
 * 64-bit hash of "path\0version" keyed with a random seed, so that nobody
 * can choose module paths that pile up in one run of slots; whatever the
 * hash does, an answer is only a candidate that the caller checks against
 * the stored record.  Ids from 2^32 - 1 on are not indexed (the store
 * answers them).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "lookup_index.h"

struct sdbd_lookup_index {
	uint64_t *slots;
	size_t nslots;
	size_t count;
	uint64_t seed;
};

/* What the scan of the records adds to, and asks whether to go on. */
struct build {
	struct sdbd_lookup_index *ix;
	int (*stop)(void *arg);
	void *stop_arg;
	int stopped;
};

/* FNV-1a over path, a NUL and version, started from the seed, then
 * MurmurHash3's 64-bit finaliser so that every output bit depends on
 * every input bit (the slot comes from the high half of a product, the
 * tag from the high 32 bits). */
static uint64_t
key_hash(uint64_t seed, const char *path, size_t plen, const char *version, size_t vlen)
{
	uint64_t h = 14695981039346656037u ^ seed;
	size_t i;

	for (i = 0; i < plen; i++)
		h = (h ^ (unsigned char)path[i]) * 1099511628211u;
	h = h * 1099511628211u;   /* the NUL between path and version */
	for (i = 0; i < vlen; i++)
		h = (h ^ (unsigned char)version[i]) * 1099511628211u;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdu;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53u;
	h ^= h >> 33;
	return h;
}

/* The first slot for hash h: the high bits of (low 32 bits of h) * nslots,
 * uniform over 0 .. nslots-1 without a division. */
static size_t
first_slot(const struct sdbd_lookup_index *ix, uint64_t h)
{
	return (size_t)(((h & 0xffffffffu) * (uint64_t)ix->nslots) >> 32);
}


static int
add_key(void *arg, const struct sdb_store_record *rec)
{
	struct build *b = arg;
	struct sdbd_lookup_index *ix = b->ix;
	uint64_t h;
	size_t i;

	if (b->stop != NULL && b->stop(b->stop_arg)) {
		b->stopped = 1;
		return SDB_ERR_IO;
	}
	if (rec->id < 0 || rec->id >= (int64_t)UINT32_MAX - 1)
		return 0;
	if (ix->count >= ix->nslots * 7 / 10)
		return SDB_ERR_TOO_LARGE;   /* records were added during the scan */
	h = key_hash(ix->seed, rec->path, strlen(rec->path), rec->version, strlen(rec->version));
	i = first_slot(ix, h);
	while (ix->slots[i] != 0)
		i = i + 1 == ix->nslots ? 0 : i + 1;
	ix->slots[i] = (h & 0xffffffff00000000u) | (uint64_t)(rec->id + 1);
	ix->count++;
	return 0;
}

int
sdbd_lookup_index_build(struct sdbd_lookup_index **out, struct sdb_store *s,
    int64_t max_records, int (*stop)(void *stop_arg), void *stop_arg,
    struct sdb_errbuf *eb)
{
	struct sdbd_lookup_index *ix;
	struct build b;
	int64_t n;
	int rc;

	*out = NULL;
	if ((rc = sdb_store_count(s, &n, eb)) != SDB_OK)
		return rc;
	if (n > max_records)
		return sdb_errf(eb, SDB_ERR_TOO_LARGE, "%lld records: more than the %lld the lookup "
		    "index holds", (long long)n, (long long)max_records);
	ix = calloc(1, sizeof *ix);
	if (ix == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	/* Room for what is there and what the sequencer may add during the
	 * scan (it runs outside any snapshot): 1/64 more, and 1024. */
	ix->nslots = (size_t)(n + n / 64 + 1024) * 10 / 7 + 1;
	ix->slots = calloc(ix->nslots, sizeof *ix->slots);
	if (ix->slots == NULL) {
		free(ix);
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory for a lookup index of %lld records",
		    (long long)n);
	}
	sdb_random(&ix->seed, sizeof ix->seed);
	b.ix = ix;
	b.stop = stop;
	b.stop_arg = stop_arg;
	b.stopped = 0;
	rc = sdb_store_foreach_key(s, add_key, &b, eb);
	if (b.stopped)
		rc = sdb_errf(eb, SDB_ERR_IO, "stopped after %zu of %lld records", ix->count,
		    (long long)n);
	else if (rc == SDB_ERR_TOO_LARGE)
		rc = sdb_errf(eb, rc, "records were added faster than the lookup index was built");
	if (rc != SDB_OK) {
		sdbd_lookup_index_free(ix);
		return rc;
	}
	*out = ix;
	return SDB_OK;
}

size_t
sdbd_lookup_index_find(const struct sdbd_lookup_index *ix, const char *path, size_t path_len,
    const char *version, size_t version_len, int64_t ids[SDBD_LOOKUP_INDEX_MAX_CANDIDATES])
{
	uint64_t h = key_hash(ix->seed, path, path_len, version, version_len);
	uint64_t tag = h & 0xffffffff00000000u;
	size_t i = first_slot(ix, h), found = 0;

	while (ix->slots[i] != 0) {
		if ((ix->slots[i] & 0xffffffff00000000u) == tag) {
			if (found == SDBD_LOOKUP_INDEX_MAX_CANDIDATES)
				return 0;   /* too many: let the store answer */
			ids[found++] = (int64_t)(ix->slots[i] & 0xffffffffu) - 1;
		}
		i = i + 1 == ix->nslots ? 0 : i + 1;
	}
	return found;
}

size_t
sdbd_lookup_index_count(const struct sdbd_lookup_index *ix)
{
	return ix->count;
}

size_t
sdbd_lookup_index_bytes(const struct sdbd_lookup_index *ix)
{
	return sizeof *ix + ix->nslots * sizeof *ix->slots;
}

void
sdbd_lookup_index_free(struct sdbd_lookup_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->slots);
	free(ix);
}
