/* Fuzz target: request targets as sumdbd's listener reads them
 * (src/sumdbd/http_path.c), the bytes any client sends before a handler
 * runs.  The input up to its first NUL is the target (libmicrohttpd hands
 * over a C string).  An accepted target decodes to a path of at most its
 * length that starts with '/' and holds no NUL; it is plain exactly when
 * it is that path, unescaped; the path with every byte after its '/'
 * escaped decodes to the same path, as does the absolute form
 * "http://HOST" + target of an origin-form target, neither of them plain. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sumdbd/http_path.h"

SDB_FUZZ_TARGET(http_path)
{
	size_t len = strnlen((const char *)data, size), i;
	char *url, *out, *again, *out2;
	long n, n2;
	int plain, plain2;

	if (len > 16384)
		return 0;
	url = malloc(len + 1);
	out = malloc(len + 1);
	/* "http://h" + target, or "/" + "%XX" for each byte after the '/' */
	again = malloc(3 * len + 16);
	out2 = malloc(3 * len + 16);
	if (url == NULL || out == NULL || again == NULL || out2 == NULL)
		goto out;
	memcpy(url, data, len);
	url[len] = '\0';
	n = sdbd_http_target_path(url, len, out, &plain);
	if (n < 0) {
		if (n != -1 || plain)
			__builtin_trap();
		goto out;
	}
	if (n < 1 || (size_t)n > len || out[0] != '/' || out[n] != '\0' ||
	    memchr(out, '\0', (size_t)n) != NULL)
		__builtin_trap();
	if (plain != (url[0] == '/' && memchr(url, '%', len) == NULL))
		__builtin_trap();
	if (plain && memcmp(out, url, len) != 0)
		__builtin_trap();
	again[0] = '/';
	for (i = 1; i < (size_t)n; i++)
		snprintf(again + 1 + 3 * (i - 1), 4, "%%%02X", (unsigned char)out[i]);
	n2 = sdbd_http_target_path(again, 1 + 3 * ((size_t)n - 1), out2, &plain2);
	if (n2 != n || memcmp(out2, out, (size_t)n) != 0 || plain2 != (n == 1))
		__builtin_trap();
	if (url[0] == '/') {
		memcpy(again, "http://h", 8);
		memcpy(again + 8, url, len + 1);
		n2 = sdbd_http_target_path(again, len + 8, out2, &plain2);
		if (n2 != n || memcmp(out2, out, (size_t)n) != 0 || plain2)
			__builtin_trap();
	}
out:
	free(url);
	free(out);
	free(again);
	free(out2);
	return 0;
}
