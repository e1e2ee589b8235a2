/*
 * The lookup index's build made observable for tests/e2e/serve_index.sh:
 * linked into a copy of sumdbd with GNU ld's --wrap for
 * sdbd_lookup_index_build (see Makefile.am), so production code has no
 * hook.  With SDB_TEST_INDEX_MAX_RECORDS=N the build is given N as its
 * limit instead of SDBD_LOOKUP_INDEX_MAX_RECORDS, so that a log of a few
 * records stands for one too large to index.  With
 * SDB_TEST_INDEX_PAUSE_DIR=DIR the build, at its first record, creates
 * DIR/paused and waits until DIR/go exists (at most a minute), then goes
 * on asking serve's own stop: the test stops the server in between.
 * Without the variables every call passes straight through.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "lookup_index.h"

int __real_sdbd_lookup_index_build(struct sdbd_lookup_index **out, struct sdb_store *s,
    int64_t max_records, int (*stop)(void *stop_arg), void *stop_arg, struct sdb_errbuf *eb);
int __wrap_sdbd_lookup_index_build(struct sdbd_lookup_index **out, struct sdb_store *s,
    int64_t max_records, int (*stop)(void *stop_arg), void *stop_arg, struct sdb_errbuf *eb);

struct pause {
	const char *dir;
	int (*stop)(void *arg);
	void *arg;
	int paused;
};

static int
pause_once(void *arg)
{
	struct pause *p = arg;
	char paused[4096], go[4096];
	FILE *f;
	int i;

	if (!p->paused) {
		p->paused = 1;
		(void)snprintf(paused, sizeof paused, "%s/paused", p->dir);
		(void)snprintf(go, sizeof go, "%s/go", p->dir);
		if ((f = fopen(paused, "w")) != NULL)
			fclose(f);
		for (i = 0; i < 6000 && access(go, F_OK) != 0; i++) {
			struct timespec ts = { 0, 10000000L };

			nanosleep(&ts, NULL);
		}
	}
	return p->stop != NULL && p->stop(p->arg);
}

int
__wrap_sdbd_lookup_index_build(struct sdbd_lookup_index **out, struct sdb_store *s,
    int64_t max_records, int (*stop)(void *stop_arg), void *stop_arg, struct sdb_errbuf *eb)
{
	const char *max = getenv("SDB_TEST_INDEX_MAX_RECORDS");
	const char *dir = getenv("SDB_TEST_INDEX_PAUSE_DIR");
	struct pause p = { dir, stop, stop_arg, 0 };
	char *end;

	if (max != NULL) {
		long long v = strtoll(max, &end, 10);

		if (end != max && *end == '\0' && v >= 0)
			max_records = v;
	}
	if (dir != NULL)
		return __real_sdbd_lookup_index_build(out, s, max_records, pause_once, &p, eb);
	return __real_sdbd_lookup_index_build(out, s, max_records, stop, stop_arg, eb);
}
