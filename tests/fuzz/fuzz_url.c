/* Fuzz target: URLs as messages show them (src/lib/url.c), and as a
 * log's URL is checked (sdb_remote_url_check).  The input is a URL, a
 * newline, and a message: the URL shown never has userinfo but "xxxxx@"
 * in its authority, and the scrubbed message stays a string of the
 * buffer, unchanged when it did not hold the URL.  A URL the check takes
 * has a scheme it knows, no query or fragment, no '@' past its authority
 * (but in a file: URL), and a port, if any, of digits. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/remote.h"
#include "fuzz.h"
#include "url.h"

SDB_FUZZ_TARGET(url)
{
	const char *nl = memchr(data, '\n', size);
	size_t ul = nl != NULL ? (size_t)(nl - (const char *)data) : size, ml;
	struct sdb_errbuf eb, before;
	const char *auth, *end, *at;
	char *url, *shown;

	if ((url = malloc(ul + 1)) == NULL)
		return 0;
	memcpy(url, data, ul);
	url[ul] = '\0';
	if ((shown = sdb_url_shown(url)) == NULL) {
		free(url);
		return 0;
	}
	/* only the last '@' of the authority may stay, after "xxxxx" */
	if (strlen(url) == ul && (auth = strstr(shown, "://")) != NULL) {
		auth += 3;
		end = auth + strcspn(auth, "/?#");
		at = memchr(auth, '@', (size_t)(end - auth));
		if (at != NULL && (at != auth + 5 || memcmp(auth, "xxxxx", 5) != 0 ||
		    memchr(at + 1, '@', (size_t)(end - at - 1)) != NULL))
			__builtin_trap();
	}
	if (strlen(url) == ul && sdb_remote_url_check(url, "--url", &eb) == SDB_OK) {
		const char *a = strstr(url, "://"), *p, *e;
		int file = strncmp(url, "file://", 7) == 0;

		if (a == NULL || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0 &&
		    !file) || strpbrk(url, "?#") != NULL)
			__builtin_trap();
		a += 3;
		e = a + strcspn(a, "/");
		if (!file && strchr(e, '@') != NULL)
			__builtin_trap();
		p = memchr(a, '@', (size_t)(e - a));
		p = p != NULL ? p + 1 : a;
		if (p < e && *p == '[')
			p = memchr(p, ']', (size_t)(e - p));
		if (p == NULL)
			__builtin_trap();
		if ((p = memchr(p, ':', (size_t)(e - p))) != NULL)
			for (p++; p < e; p++)
				if (*p < '0' || *p > '9')
					__builtin_trap();
	}
	memset(&eb, 'z', sizeof eb);
	ml = nl != NULL ? size - ul - 1 : 0;
	if (ml > sizeof eb.msg - 1)
		ml = sizeof eb.msg - 1;
	if (nl != NULL)
		memcpy(eb.msg, nl + 1, ml);
	eb.msg[ml] = '\0';
	before = eb;
	sdb_url_scrub(&eb, url, shown);
	if (memchr(eb.msg, '\0', sizeof eb.msg) == NULL)
		__builtin_trap();
	if (strstr(before.msg, url) == NULL && strcmp(before.msg, eb.msg) != 0)
		__builtin_trap();
	free(shown);
	free(url);
	return 0;
}
