/* Fuzz target: module zips (src/lib/modzip.c on a buffer).  Any input
 * must be refused cleanly or hashed; a zip that is accepted must hash the
 * same twice. */
#include "config.h"

#include <string.h>

#include "csumdb/modzip.h"
#include "fuzz.h"

SDB_FUZZ_TARGET(modzip)
{
	/* small limits keep each run cheap whatever the input declares */
	struct sdb_modzip_limits lim = { 1 << 20, 1 << 20, 1 << 16, 1 << 16 };
	sdb_hash a, b;

	if (sdb_modzip_hash_buffer(data, size, "example.com/m", 13, "v1.0.0", 6,
	    &lim, &a, NULL) == SDB_OK) {
		if (sdb_modzip_hash_buffer(data, size, "example.com/m", 13, "v1.0.0", 6,
		    &lim, &b, NULL) != SDB_OK || memcmp(&a, &b, sizeof a) != 0)
			__builtin_trap();
	}
	return 0;
}
