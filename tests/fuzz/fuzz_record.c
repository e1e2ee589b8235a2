/* Fuzz target: record texts and lookup responses; a valid record is
 * rebuilt byte for byte from its parts, the record fast path agrees with
 * the full parse, and a lookup response re-formats to the same bytes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/record.h"
#include "fuzz.h"
#include "module_int.h"

SDB_FUZZ_TARGET(record)
{
	const char *s = (const char *)data;
	struct sdb_record r, full;
	struct sdb_span text, note;
	char *out;
	size_t n;
	int64_t id;

	/* the fast yes is the full parse's yes, with the same fields */
	memset(&r, 0, sizeof r);
	memset(&full, 0, sizeof full);
	if (sdb_record_parse_fast(s, size, &r) &&
	    (sdb_record_parse_full(s, size, &full, NULL) != SDB_OK ||
	    memcmp(&r, &full, sizeof r) != 0))
		__builtin_trap();
	if (sdb_record_parse(s, size, &r, NULL) == SDB_OK) {
		if (!sdb_record_text_ok(s, size))
			__builtin_trap();
		if (sdb_record_format(r.path.p, r.path.len, r.version.p,
		    r.version.len, &r.h1, &r.gomod_h1, &out, &n, NULL) != SDB_OK ||
		    n != size || memcmp(out, s, size) != 0)
			__builtin_trap();
		free(out);
	}
	if (sdb_lookup_response_parse(s, size, &id, &text, NULL, &note, NULL) == SDB_OK) {
		if (sdb_lookup_response_format(id, text.p, text.len, note.p,
		    note.len, &out, &n, NULL) != SDB_OK || n != size ||
		    memcmp(out, s, size) != 0)
			__builtin_trap();
		free(out);
	}
	return 0;
}
