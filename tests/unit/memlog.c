/* In-memory logs for the verifier's unit tests (memlog.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/record.h"
#include "csumdb/tlog.h"
#include "memlog.h"
#include "unit.h"

struct memlog log_a, log_b;

int
ml_read_hashes(void *ctx, const int64_t *idx, size_t n, sdb_hash *out)
{
	struct memlog *m = ctx;
	struct unit_hashes u = { m->stored, &m->nstored, 0 };

	return unit_read_hashes(&u, idx, n, out);
}

int
ml_tiles(void *ctx, const struct sdb_tile *tiles, size_t n, uint8_t *const *bufs, size_t *lens)
{
	struct memlog *m = ctx;
	struct sdb_hash_reader r = { ml_read_hashes, m };
	size_t i;

	for (i = 0; i < n; i++) {
		lens[i] = (size_t)tiles[i].w * 32;
		if (sdb_tile_read_data(&tiles[i], &r, bufs[i], lens[i]) != SDB_OK)
			return SDB_ERR_IO;
		if (tiles[i].l == m->tamper_level)
			bufs[i][0] ^= 0x80;
	}
	m->fetched += n;
	return SDB_OK;
}

/* Record i of a log: shared records are the same in both logs, the rest
 * differ by log tag. */
static void
ml_build(struct memlog *m, char tag)
{
	int64_t i;

	m->nstored = 0;
	m->tamper_level = -1;
	for (i = 0; i < NREC; i++) {
		struct sdb_hash_reader r = { ml_read_hashes, m };
		sdb_hash h1, h2;
		char *rec = NULL;
		size_t len = 0, k = 0;
		char path[64];

		memset(h1.b, (int)(i & 0xff), sizeof h1.b);
		memset(h2.b, i < SHARED ? 1 : tag, sizeof h2.b);
		snprintf(path, sizeof path, "example.com/m%d", (int)i);
		CU_ASSERT_FATAL(sdb_record_format(path, strlen(path), "v1.0.0", 6, &h1, &h2, &rec,
		    &len, NULL) == SDB_OK);
		CU_ASSERT_FATAL(len < sizeof m->text[i]);
		memcpy(m->text[i], rec, len);
		m->tlen[i] = len;
		free(rec);
		CU_ASSERT_FATAL(sdb_tlog_stored_hashes(i, m->text[i], len, &r,
		    m->stored + m->nstored, &k) == SDB_OK);
		m->nstored += (int64_t)k;
	}
	m->nrec = NREC;
}

void
build(void)
{
	if (log_a.nrec == 0) {
		ml_build(&log_a, 'a');
		ml_build(&log_b, 'b');
	}
}

struct sdb_tree
tree_of(struct memlog *m, int64_t n)
{
	struct sdb_hash_reader r = { ml_read_hashes, m };
	struct sdb_tree t;

	t.n = n;
	CU_ASSERT_FATAL(sdb_tlog_tree_hash(n, &r, &t.hash) == SDB_OK);
	return t;
}
