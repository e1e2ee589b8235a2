/*
 * The header of a request to the admin interface (admin.c's wire format,
 * "add " TOKEN " " LENGTH), read apart from the socket: pure, so that it
 * is fuzzed (tests/fuzz/fuzz_admin_request.c) without a running server.
 */
#ifndef CSUMDB_SUMDBD_ADMIN_REQUEST_H
#define CSUMDB_SUMDBD_ADMIN_REQUEST_H

#include <stddef.h>

/* The token: 32 random bytes, in lower-case hex. */
#define SDBD_ADMIN_TOKEN_HEX 64

/* What a request header says. */
enum sdbd_admin_head {
	SDBD_ADMIN_HEAD_OK,          /* the go.sum's length is in *len */
	SDBD_ADMIN_HEAD_MALFORMED,   /* not "add " TOKEN " " LENGTH */
	SDBD_ADMIN_HEAD_TOKEN,       /* a token other than the server's */
	SDBD_ADMIN_HEAD_LENGTH,      /* LENGTH not in the form sumdbd add writes */
	SDBD_ADMIN_HEAD_TOO_LARGE    /* LENGTH over max */
};

/*
 * Reads the header line head[0..n) (without its '\n'; head[n] is '\0')
 * of a request, against the server's token (SDBD_ADMIN_TOKEN_HEX bytes,
 * compared in constant time).  LENGTH is decimal digits only, without
 * sign, space or leading zero, as sumdbd add writes it, and at most max.
 * A NUL anywhere in the line makes it malformed.
 * Returns what the header says; *len is set only for SDBD_ADMIN_HEAD_OK.
 */
enum sdbd_admin_head sdbd_admin_parse_head(const char *head, size_t n, const char *token,
    size_t max, size_t *len);

#endif
