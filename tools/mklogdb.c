/*
 * A developer's helper (not a test): grows a database made by sumdbd init
 * the way a year of service does, one signed tree per small batch, through
 * the sequencer itself (src/sumdbd/log.c), so that what scales with the
 * number of records and trees (serve's start, status, fsck, add, the WAL)
 * can be measured on it:
 *
 *   mklogdb DB KEY RECORDS PER_BATCH
 *
 * appends RECORDS made-up records of modules example.com/mNNNNNN in
 * batches of PER_BATCH (each its own signed tree, as a lookup miss is),
 * and prints the final tree size and how many batches it took.  Every
 * batch is synced to disk (synchronous=FULL): keep the database on a
 * memory file system (/dev/shm) to build millions of trees quickly.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/err.h"
#include "log.h"

/* Records per batch at most: a lookup miss is one, an add of a go.sum a
 * few. */
#define MAX_PER_BATCH 64

static int
count_arg(const char *s, long long max, long long *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (end == s || *end != '\0' || v < 1 || v > max)
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char **argv)
{
	struct sdbd_log_options opt;
	struct sdbd_log *log = NULL;
	struct sdb_errbuf eb = { { 0 } };
	struct sdbd_record recs[MAX_PER_BATCH];
	static char text[MAX_PER_BATCH][256], path[MAX_PER_BATCH][64];
	int64_t ids[MAX_PER_BATCH];
	long long total, per, done = 0, batches = 0;
	int rc, i;

	if (argc != 5 || count_arg(argv[3], 1000000000LL, &total) != 0 ||
	    count_arg(argv[4], MAX_PER_BATCH, &per) != 0) {
		fprintf(stderr, "usage: mklogdb DB KEY RECORDS PER_BATCH (1..%d)\n", MAX_PER_BATCH);
		return 1;
	}
	memset(&opt, 0, sizeof opt);
	opt.db_path = argv[1];
	opt.key_path = argv[2];
	opt.new_checkpoint = 1;
	/* a full batch is sequenced at once, without the group-commit wait */
	opt.max_batch = (size_t)per;
	if ((rc = sdbd_log_open(&log, &opt, &eb)) != SDB_OK) {
		fprintf(stderr, "mklogdb: %s: %s\n", argv[1], sdb_errmsg(&eb, rc));
		return 1;
	}
	{
		const struct sdbd_latest *l = sdbd_log_latest(log);

		done = l->tree.n;
		total += done;
		sdbd_latest_put(l);
	}
	while (done < total) {
		int n = total - done < per ? (int)(total - done) : (int)per;

		for (i = 0; i < n; i++) {
			int pl = snprintf(path[i], sizeof path[i], "example.com/m%09lld",
			    done + i);
			int tl = snprintf(text[i], sizeof text[i],
			    "%s v1.0.0 h1:%042lldA=\n%s v1.0.0/go.mod h1:%042lldA=\n", path[i],
			    done + i, path[i], done + i);

			recs[i].path = path[i];
			recs[i].path_len = (size_t)pl;
			recs[i].version = "v1.0.0";
			recs[i].version_len = 6;
			recs[i].text = text[i];
			recs[i].text_len = (size_t)tl;
		}
		if ((rc = sdbd_log_append(log, recs, (size_t)n, ids, &eb)) != SDB_OK) {
			fprintf(stderr, "mklogdb: after %lld records: %s\n", done,
			    sdb_errmsg(&eb, rc));
			sdbd_log_close(log);
			return 1;
		}
		done += n;
		batches++;
		if (batches % 10000 == 0)
			fprintf(stderr, "mklogdb: %lld records, %lld batches\n", done, batches);
	}
	sdbd_log_close(log);
	printf("tree %lld, %lld batches\n", done, batches);
	return 0;
}
