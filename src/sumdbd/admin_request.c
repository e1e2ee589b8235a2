/*
 * The header of an admin request (admin_request.h), as admin.c's wire
 * format draws it:
 *
 *   "add " TOKEN(64 hex) " " LENGTH(decimal) "\n"
 */
#include "config.h"

#include <string.h>

#include "admin_request.h"
#include "crypto.h"

/* The LENGTH of a request, as the client writes it: decimal digits only,
 * without sign, space or leading zero (strtoull would take " 5", "+5",
 * "-0", even "-18446744073709551615" as 1).  Returns SDB_OK and *out,
 * SDB_ERR_INVALID for any other form, SDB_ERR_TOO_LARGE for a number over
 * max (checked digit by digit: no overflow). */
static int
parse_length(const char *s, size_t max, size_t *out)
{
	size_t v = 0;
	const char *p;

	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0'))
		return SDB_ERR_INVALID;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return SDB_ERR_INVALID;
	}
	for (p = s; *p != '\0'; p++) {
		size_t d = (size_t)(*p - '0');

		/* d > max first: max - d must not wrap around */
		if (d > max || v > (max - d) / 10)
			return SDB_ERR_TOO_LARGE;
		v = v * 10 + d;
	}
	*out = v;
	return SDB_OK;
}

enum sdbd_admin_head
sdbd_admin_parse_head(const char *head, size_t n, const char *token, size_t max, size_t *len)
{
	int rc;

	/* a NUL in the line would end it for what follows: "add TOKEN 5",
	 * NUL, and anything after it is no header sumdbd add writes */
	if (n < 4 + SDBD_ADMIN_TOKEN_HEX + 2 || strlen(head) != n ||
	    strncmp(head, "add ", 4) != 0 || head[4 + SDBD_ADMIN_TOKEN_HEX] != ' ')
		return SDBD_ADMIN_HEAD_MALFORMED;
	if (!sdb_ct_equal(head + 4, token, SDBD_ADMIN_TOKEN_HEX))
		return SDBD_ADMIN_HEAD_TOKEN;
	rc = parse_length(head + 4 + SDBD_ADMIN_TOKEN_HEX + 1, max, len);
	if (rc == SDB_ERR_INVALID)
		return SDBD_ADMIN_HEAD_LENGTH;
	return rc == SDB_OK ? SDBD_ADMIN_HEAD_OK : SDBD_ADMIN_HEAD_TOO_LARGE;
}
