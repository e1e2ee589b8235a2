/* Fuzz target: Retry-After header values (sdb_fetch_retry_after_ms in
 * src/lib/fetch_curl.c), as a module proxy or a checksum database sends
 * them with a 429 or a 5xx.  The pause asked for is none (-1) or from 0
 * to SDB_MAX_RETRY_AFTER_S, the same for the same input and time, and
 * delay-seconds are read as written, whatever blanks surround them, up
 * to the cap however many digits spell them.  A value does the
 * arithmetic of its delay in range (UBSan sees an overflow). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "fuzz.h"
#include "limits.h"

/* 2023-11-14T22:13:20Z: any fixed time keeps a replay repeatable. */
#define FUZZ_NOW ((time_t)1700000000)

SDB_FUZZ_TARGET(retry_after)
{
	const char *v = (const char *)data;
	size_t b = 0, e = size, i;
	long ms;

	ms = sdb_fetch_retry_after_ms(v, size, FUZZ_NOW);
	if (ms < -1 || ms > SDB_MAX_RETRY_AFTER_S * 1000L ||
	    sdb_fetch_retry_after_ms(v, size, FUZZ_NOW) != ms)
		__builtin_trap();
	while (b < e && (v[b] == ' ' || v[b] == '\t'))
		b++;
	while (e > b && (v[e - 1] == '\r' || v[e - 1] == '\n' || v[e - 1] == ' '))
		e--;
	if (e > b) {
		long secs = 0;

		for (i = b; i < e && v[i] >= '0' && v[i] <= '9'; i++)
			if ((secs = secs * 10 + (v[i] - '0')) > SDB_MAX_RETRY_AFTER_S)
				secs = SDB_MAX_RETRY_AFTER_S;
		if (i == e && ms != secs * 1000)
			__builtin_trap();
	}
	return 0;
}
