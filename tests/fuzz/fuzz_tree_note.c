/*
 * Fuzz target: parse a tree note text (src/lib/treenote.c).  Invariants:
 * an accepted text re-formats to a text that parses to the same tree, and
 * whose first three lines equal the input's, except that Go's base64 lets
 * the input's hash carry non-zero unused bits (which formatting clears).
 */
#include "config.h"

#include <string.h>

#include "csumdb/treenote.h"
#include "fuzz.h"

SDB_FUZZ_TARGET(tree_note)
{
	struct sdb_tree t, t2;
	char out[SDB_TREE_NOTE_MAX];
	size_t len = 0, head;
	const uint8_t *p;
	int lines = 0;

	if (sdb_tree_note_parse(&t, (const char *)data, size, NULL) != SDB_OK)
		return 0;
	if (t.n < 0 || sdb_tree_note_format(out, &len, &t) != SDB_OK)
		__builtin_trap();
	if (sdb_tree_note_parse(&t2, out, len, NULL) != SDB_OK || t2.n != t.n ||
	    memcmp(t2.hash.b, t.hash.b, sizeof t.hash.b) != 0)
		__builtin_trap();
	/* length of the input's first three lines */
	for (p = data, head = 0; head < size && lines < 3; head++, p++)
		lines += *p == '\n';
	/* the first two lines (prefix, size) must be byte-identical */
	if (memcmp(out, data, 21) != 0)
		__builtin_trap();
	{
		const char *a = memchr(out + 21, '\n', len - 21);
		const uint8_t *b = memchr(data + 21, '\n', size - 21);

		if (a == NULL || b == NULL || a - out != (const char *)b - (const char *)data ||
		    memcmp(out, data, (size_t)(a - out)) != 0)
			__builtin_trap();
	}
	if (head == len && memcmp(out, data, len) != 0) {
		/* same length, different hash line: only the last base64 digit,
		 * the one with unused bits, may differ */
		if (memcmp(out, data, len - 3) != 0 || memcmp(out + len - 2, data + len - 2, 2) != 0)
			__builtin_trap();
	}
	return 0;
}
