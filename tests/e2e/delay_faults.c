/*
 * Widened windows for tests/e2e/public_evidence_once.sh: linked into a
 * copy of sumdbd with GNU ld's --wrap for open_memstream (see Makefile.am),
 * so production code has no hook.  With SDB_TEST_MEMSTREAM_DELAY_MS=N,
 * each open_memstream call (sumdbd uses it to write a piece of
 * misbehavior evidence, src/sumdbd/public.c) pauses N milliseconds first,
 * so that two lookups meeting the same misbehavior at once are both in
 * the middle of writing its evidence at the same time.  Without the
 * variable every call passes straight through.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

FILE *__real_open_memstream(char **ptr, size_t *size);
FILE *__wrap_open_memstream(char **ptr, size_t *size);

FILE *
__wrap_open_memstream(char **ptr, size_t *size)
{
	const char *spec = getenv("SDB_TEST_MEMSTREAM_DELAY_MS");
	char *end;
	long ms;

	if (spec != NULL && (ms = strtol(spec, &end, 10)) > 0 && *end == '\0') {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	return __real_open_memstream(ptr, size);
}
