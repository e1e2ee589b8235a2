/* URLs as messages show them (url.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"

/* Stands for a URL whose credentials cannot be told from the rest. */
static const char url_withheld[] = "(the URL given)";

char *
sdb_url_shown(const char *url)
{
	const char *auth = strstr(url, "://"), *at, *end;
	size_t n;
	char *out;

	if (auth == NULL)
		return strdup(strchr(url, '@') != NULL ? url_withheld : url);
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (at = end; at > auth && at[-1] != '@'; at--)
		;
	if (at == auth)
		return strdup(url);
	n = strlen(url) - (size_t)(at - auth) + sizeof "xxxxx@";
	if ((out = malloc(n)) != NULL)
		(void)snprintf(out, n, "%.*sxxxxx@%s", (int)(auth - url), url, at);
	return out;
}

void
sdb_url_scrub(struct sdb_errbuf *eb, const char *url, const char *shown)
{
	char out[sizeof eb->msg];
	const char *s, *hit;
	size_t ul, o = 0;

	if (eb == NULL || url == NULL || shown == NULL || strcmp(url, shown) == 0 ||
	    strstr(eb->msg, url) == NULL)
		return;
	ul = strlen(url);
	for (s = eb->msg; (hit = strstr(s, url)) != NULL; s = hit + ul) {
		o += (size_t)snprintf(out + o, sizeof out - o, "%.*s%s", (int)(hit - s), s, shown);
		if (o >= sizeof out - 1)
			break;
	}
	if (o < sizeof out - 1) {
		/* A message cut at the buffer's end may end in the first part
		 * of url past its "://", credentials and all: that part is
		 * shown as url is. */
		const char *auth = strstr(url, "://");
		size_t rest = strlen(s), i = rest, min;

		if (auth != NULL && strlen(eb->msg) == sizeof eb->msg - 1) {
			min = (size_t)(auth - url) + 4;
			for (i = 0; i + min <= rest && strncmp(s + i, url, rest - i) != 0; i++)
				;
			if (i + min > rest)
				i = rest;
		}
		(void)snprintf(out + o, sizeof out - o, "%.*s%s", (int)i, s, i < rest ? shown : "");
	}
	out[sizeof out - 1] = '\0';
	memcpy(eb->msg, out, sizeof out);
}

int
sdb_url_has_host(const char *url)
{
	const char *p, *end, *q;

	if (strncmp(url, "http://", 7) == 0)
		p = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		p = url + 8;
	else
		return 1;
	end = p + strcspn(p, "/?#");
	for (q = p; q < end; q++)
		if (*q == '@')
			p = q + 1;
	if (p < end && *p == '[')
		return p + 1 < end && p[1] != ']';
	return p < end && *p != ':';
}
