/*
 * A window for tests/e2e/public_state.sh to commit in while sumdbd status
 * reads: linked into a copy of sumdbd with GNU ld's --wrap for
 * sdb_store_latest (see Makefile.am), so production code has no hook.
 * With SDB_TEST_PAUSE_DIR=DIR, the first sdb_store_latest call makes
 * DIR/paused, then waits until DIR/go is there (at most a minute, so
 * that a test gone wrong cannot hang), then reads.  Without the
 * variable every call passes straight through.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "csumdb/store.h"

int __real_sdb_store_latest(struct sdb_store *s, struct sdb_tree *tree, uint8_t **note,
    size_t *note_len, struct sdb_errbuf *eb);
int __wrap_sdb_store_latest(struct sdb_store *s, struct sdb_tree *tree, uint8_t **note,
    size_t *note_len, struct sdb_errbuf *eb);

int
__wrap_sdb_store_latest(struct sdb_store *s, struct sdb_tree *tree, uint8_t **note,
    size_t *note_len, struct sdb_errbuf *eb)
{
	static int paused;
	const char *dir = getenv("SDB_TEST_PAUSE_DIR");
	char path[4096];
	int fd, i;

	if (dir != NULL && !paused) {
		paused = 1;
		snprintf(path, sizeof path, "%s/paused", dir);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0)
			close(fd);
		snprintf(path, sizeof path, "%s/go", dir);
		for (i = 0; i < 6000 && access(path, F_OK) != 0; i++) {
			struct timespec ts = { 0, 10 * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	return __real_sdb_store_latest(s, tree, note, note_len, eb);
}
