/* Fuzz target: the header of a request to sumdbd's admin socket
 * (src/sumdbd/admin_request.c), "add " TOKEN " " LENGTH, the first bytes
 * any local client sends.  The first byte picks the largest length
 * allowed and, with its low bit, whether the server's token is the one
 * the input sends (so that inputs get past the token) or another one;
 * the rest is the header line.  The verdict must be the one a second,
 * plainer reading gives (lengths compared as decimal strings, so with no
 * arithmetic to overflow), and an accepted header must be byte for byte
 * the one sumdbd add writes for its length. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sumdbd/admin_request.h"

#define TOKEN_AT 4

static const size_t maxes[] = { 0, 1, 9, 10, 67108864, 99999, SIZE_MAX, 1000 };

/* The verdict on head[0..n), read the plain way. */
static enum sdbd_admin_head
reference(const char *head, size_t n, const char *token, size_t max)
{
	const char *num = head + TOKEN_AT + SDBD_ADMIN_TOKEN_HEX + 1;
	size_t nlen, mlen, i;
	char maxs[32];

	if (n < TOKEN_AT + SDBD_ADMIN_TOKEN_HEX + 2 || memcmp(head, "add ", 4) != 0 ||
	    head[TOKEN_AT + SDBD_ADMIN_TOKEN_HEX] != ' ' || memchr(head, '\0', n) != NULL)
		return SDBD_ADMIN_HEAD_MALFORMED;
	if (memcmp(head + TOKEN_AT, token, SDBD_ADMIN_TOKEN_HEX) != 0)
		return SDBD_ADMIN_HEAD_TOKEN;
	nlen = n - (size_t)(num - head);
	if (num[0] == '0' && nlen > 1)
		return SDBD_ADMIN_HEAD_LENGTH;
	for (i = 0; i < nlen; i++)
		if (num[i] < '0' || num[i] > '9')
			return SDBD_ADMIN_HEAD_LENGTH;
	mlen = (size_t)snprintf(maxs, sizeof maxs, "%zu", max);
	if (nlen > mlen || (nlen == mlen && memcmp(num, maxs, nlen) > 0))
		return SDBD_ADMIN_HEAD_TOO_LARGE;
	return SDBD_ADMIN_HEAD_OK;
}

SDB_FUZZ_TARGET(admin_request)
{
	char token[SDBD_ADMIN_TOKEN_HEX + 1], *head, again[128];
	enum sdbd_admin_head got, want;
	size_t n, max, len = (size_t)-1;

	if (size < 1 || size > 4096)
		return 0;
	n = size - 1;
	max = maxes[(data[0] >> 1) % (sizeof maxes / sizeof maxes[0])];
	memset(token, 'a', SDBD_ADMIN_TOKEN_HEX);
	token[SDBD_ADMIN_TOKEN_HEX] = '\0';
	if ((data[0] & 1) && n >= TOKEN_AT + SDBD_ADMIN_TOKEN_HEX)
		memcpy(token, data + 1 + TOKEN_AT, SDBD_ADMIN_TOKEN_HEX);
	if ((head = malloc(n + 1)) == NULL)
		return 0;
	memcpy(head, data + 1, n);
	head[n] = '\0';   /* as the server's line reader leaves it */

	got = sdbd_admin_parse_head(head, n, token, max, &len);
	want = reference(head, n, token, max);
	if (got != want)
		__builtin_trap();
	if (got == SDBD_ADMIN_HEAD_OK) {
		int k = snprintf(again, sizeof again, "add %.*s %zu", SDBD_ADMIN_TOKEN_HEX, token,
		    len);

		if (len > max || k < 0 || (size_t)k != n || memcmp(again, head, n) != 0)
			__builtin_trap();
	} else if (len != (size_t)-1) {
		__builtin_trap();
	}
	free(head);
	return 0;
}
