/* Fuzz target: the messages of refusals.  What a parser says about bytes
 * a client or a log sent goes into sumdbd's 400 answers and its log,
 * into sumdb's standard error and its stored evidence: whatever the
 * input, a message is printable ASCII only (a byte of the input shows
 * quoted, never raw: no terminal escape, no line a log reader takes for
 * another).  The first byte of the input picks the parser, the rest is
 * its input. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/gosum.h"
#include "csumdb/module.h"
#include "csumdb/note.h"
#include "csumdb/record.h"
#include "csumdb/tlogproof.h"
#include "csumdb/treenote.h"
#include "crypto.h"
#include "fuzz.h"

#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

static void
check_msg(int rc, const struct sdb_errbuf *eb)
{
	const char *end;
	const char *p;

	if (rc == SDB_OK)
		return;
	if ((end = memchr(eb->msg, '\0', sizeof eb->msg)) == NULL)
		__builtin_trap();
	for (p = eb->msg; p < end; p++)
		if (*p < 0x20 || *p > 0x7e)
			__builtin_trap();
}

/* s[0..len) split at its first '@' (or all of it the first part). */
static void
split(const char *s, size_t len, size_t *alen, const char **b, size_t *blen)
{
	const char *at = memchr(s, '@', len);

	*alen = at != NULL ? (size_t)(at - s) : len;
	*b = at != NULL ? at + 1 : s + len;
	*blen = at != NULL ? len - *alen - 1 : 0;
}

SDB_FUZZ_TARGET(errmsg)
{
	static struct sdb_note_verifier *peter;
	static struct sdb_note_verifiers *set;
	struct sdb_errbuf eb;
	const char *s = (const char *)data + 1, *b;
	size_t len, alen, blen;
	int rc;

	if (peter == NULL) {
		if (sdb_crypto_init() != SDB_OK ||
		    sdb_note_verifier_parse(&peter, PETER_VKEY, strlen(PETER_VKEY), NULL) != SDB_OK ||
		    sdb_note_verifiers_new(&set) != SDB_OK || sdb_note_verifiers_add(set, peter) != SDB_OK)
			__builtin_trap();
	}
	if (size == 0)
		return 0;
	len = size - 1;
	memset(&eb, 'z', sizeof eb);
	eb.msg[sizeof eb.msg - 1] = '\0';
	switch (data[0] % 15) {
	case 0: {
		struct sdb_gosum *g = NULL;

		rc = sdb_gosum_parse(s, len, &g, &eb);
		sdb_gosum_free(g);
		break;
	}
	case 1:
		rc = sdb_record_parse(s, len, NULL, &eb);
		break;
	case 2: {
		char *p = NULL, *v = NULL;
		size_t pl, vl;

		rc = sdb_lookup_parse(s, len, &p, &pl, &v, &vl, &eb);
		free(p);
		free(v);
		break;
	}
	case 3: {
		struct sdb_record rec;
		struct sdb_span text, note;
		int64_t id;

		rc = sdb_lookup_response_parse(s, len, &id, &text, &rec, &note, &eb);
		break;
	}
	case 4: {
		struct sdb_tree t;

		rc = sdb_tree_note_parse(&t, s, len, &eb);
		break;
	}
	case 5: {
		struct sdb_tree t;
		struct sdb_note *n = NULL;

		rc = sdb_tree_note_open(&t, &n, s, len, peter, &eb);
		sdb_note_free(n);
		break;
	}
	case 6: {
		struct sdb_note *n = NULL;

		rc = sdb_note_open(&n, s, len, set, &eb);
		sdb_note_free(n);
		break;
	}
	case 7: {
		struct sdb_tlog_proof p;

		memset(&p, 0, sizeof p);
		rc = sdb_tlog_proof_parse(s, len, &p, &eb);
		break;
	}
	case 8:
		split(s, len, &alen, &b, &blen);
		rc = sdb_module_check_canonical(s, alen, b, blen, &eb);
		break;
	case 9:
		split(s, len, &alen, &b, &blen);
		rc = sdb_module_check(s, alen, b, blen, &eb);
		break;
	case 10:
		rc = sdb_module_check_import_path(s, len, &eb);
		break;
	case 11:
		rc = sdb_module_check_file_path(s, len, &eb);
		break;
	case 12: {
		char *out = NULL;
		size_t ol;

		split(s, len, &alen, &b, &blen);
		rc = sdb_module_unescape_path(s, alen, &out, &ol, &eb);
		check_msg(rc, &eb);
		free(out);
		out = NULL;
		memset(&eb, 'z', sizeof eb);
		eb.msg[sizeof eb.msg - 1] = '\0';
		rc = sdb_module_unescape_version(b, blen, &out, &ol, &eb);
		free(out);
		break;
	}
	case 13: {
		struct sdb_note_verifier *v = NULL;
		struct sdb_note_signer *sg = NULL;
		char *arg = malloc(len + 1);

		rc = sdb_note_verifier_parse(&v, s, len, &eb);
		sdb_note_verifier_free(v);
		check_msg(rc, &eb);
		rc = sdb_note_signer_parse(&sg, s, len, &eb);
		sdb_note_signer_free(sg);
		if (arg != NULL) {
			check_msg(rc, &eb);
			memcpy(arg, s, len);
			arg[len] = '\0';
			v = NULL;
			rc = sdb_note_verifier_from_arg(&v, arg, &eb);
			sdb_note_verifier_free(v);
			free(arg);
		}
		break;
	}
	default: {
		/* the flags from the selector byte's high bits */
		struct sdb_span recs[256];

		rc = sdb_data_tile_parse(s, len, len > 0 ? (size_t)data[1] % 256 + 1 : 1,
		    (unsigned)(data[0] / 15) % 4, recs, &eb);
		break;
	}
	}
	check_msg(rc, &eb);
	return 0;
}
