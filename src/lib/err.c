/*
 * Error codes and detail messages (include/csumdb/err.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "csumdb/err.h"

const char *
sdb_strerror(int err)
{
	switch ((enum sdb_err)err) {
	case SDB_OK: return "success";
	case SDB_ERR_NOMEM: return "out of memory";
	case SDB_ERR_IO: return "input/output error";
	case SDB_ERR_INTERNAL: return "internal error";
	case SDB_ERR_TIMEOUT: return "timed out";
	case SDB_ERR_DAMAGED: return "database damaged";
	case SDB_ERR_INVALID: return "invalid input";
	case SDB_ERR_TOO_LARGE: return "input too large";
	case SDB_ERR_RANGE: return "value out of range";
	case SDB_ERR_BAD_KEY: return "malformed key";
	case SDB_ERR_MALFORMED_NOTE: return "malformed note";
	case SDB_ERR_BAD_PATH: return "invalid path";
	case SDB_ERR_BAD_VERSION: return "invalid version";
	case SDB_ERR_BAD_SIGNATURE: return "invalid signature";
	case SDB_ERR_UNVERIFIED_NOTE: return "note has no signature from a known key";
	case SDB_ERR_PROOF_LENGTH: return "proof has the wrong number of hashes";
	case SDB_ERR_ROOT_MISMATCH: return "hashes do not lead to the signed root";
	case SDB_ERR_TILE_MISMATCH: return "tile does not match its authenticated hash";
	case SDB_ERR_RECORD_MISMATCH: return "record does not match the logged hash";
	case SDB_ERR_FORK: return "log misbehavior: two different trees";
	case SDB_ERR_BAD_RECORD: return "log misbehavior: a signed record that is not a go.sum record";
	case SDB_ERR_NOT_FOUND: return "not found";
	case SDB_ERR_EXISTS: return "already exists";
	case SDB_ERR_LOCKED: return "locked by another process (is another sumdbd running?)";
	}
	return "unknown error";
}

int
sdb_err_is_verification(int err)
{
	return err <= SDB_ERR_BAD_SIGNATURE && err >= SDB_ERR_BAD_RECORD;
}

int
sdb_errf(struct sdb_errbuf *eb, int err, const char *fmt, ...)
{
	va_list ap;
	char msg[sizeof eb->msg];

	if (eb == NULL)
		return err;
	/* formatted aside: an argument may be eb's own message, wrapped */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	memcpy(eb->msg, msg, sizeof msg);
	return err;
}

const char *
sdb_errmsg(const struct sdb_errbuf *eb, int err)
{
	if (eb == NULL || eb->msg[0] == '\0')
		return sdb_strerror(err);
	return eb->msg;
}
