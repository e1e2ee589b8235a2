/* Fuzz target: module zips (src/lib/modzip.c on a buffer).  Any input
 * must be refused cleanly or hashed; a zip that is accepted must hash the
 * same twice; a refusal's message, which sumdbd logs about a proxy's zip,
 * is printable ASCII, however the zip names its entries. */
#include "config.h"

#include <string.h>

#include "csumdb/modzip.h"
#include "fuzz.h"

SDB_FUZZ_TARGET(modzip)
{
	/* small limits keep each run cheap whatever the input declares */
	struct sdb_modzip_limits lim = { 1 << 20, 1 << 20, 1 << 16, 1 << 16 };
	struct sdb_errbuf eb = { { 0 } };
	sdb_hash a, b;
	const char *p;

	if (sdb_modzip_hash_buffer(data, size, "example.com/m", 13, "v1.0.0", 6,
	    &lim, &a, &eb) != SDB_OK) {
		for (p = eb.msg; p < eb.msg + sizeof eb.msg && *p != '\0'; p++)
			if (*p < 0x20 || *p > 0x7e)
				__builtin_trap();
	} else {
		if (sdb_modzip_hash_buffer(data, size, "example.com/m", 13, "v1.0.0", 6,
		    &lim, &b, NULL) != SDB_OK || memcmp(&a, &b, sizeof a) != 0)
			__builtin_trap();
	}
	return 0;
}
