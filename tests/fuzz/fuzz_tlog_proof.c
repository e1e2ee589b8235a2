/* Fuzz target: C2SP tlog-proof files.  A parsed proof without extra data
 * re-formats to the same bytes; verification never crashes. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/note.h"
#include "csumdb/tlogproof.h"
#include "fuzz.h"

SDB_FUZZ_TARGET(tlog_proof)
{
	static struct sdb_note_verifier *v;
	struct sdb_tlog_proof p;
	char *out = NULL;
	size_t n = 0;

	if (v == NULL && sdb_note_verifier_from_arg(&v, "sum.golang.org", NULL) != SDB_OK)
		__builtin_trap();
	if (sdb_tlog_proof_parse((const char *)data, size, &p, NULL) != SDB_OK)
		return 0;
	if (!p.has_extra) {
		if (sdb_tlog_proof_format(p.index, p.hashes, p.nhashes, NULL, 0, p.note.p,
		    p.note.len, &out, &n) != SDB_OK || n != size || memcmp(out, data, n) != 0)
			__builtin_trap();
		free(out);
	}
	if (sdb_tlog_proof_verify(&p, "x\n", 2, v, NULL, NULL) == SDB_OK)
		__builtin_trap(); /* no record "x\n" is in sum.golang.org */
	return 0;
}
