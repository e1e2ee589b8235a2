/*
 * URLs as messages show them.  A URL given on the command line may hold
 * credentials in its userinfo ("https://user:password@proxy/"): libcurl
 * sends them, and no message, JSON detail, stored evidence or HTTP error
 * body (which any client of sumdbd reads) may repeat them.
 */
#ifndef CSUMDB_LIB_URL_H
#define CSUMDB_LIB_URL_H

#include "csumdb/err.h"

/*
 * A copy of url for messages: the userinfo of its authority replaced by
 * "xxxxx@"; a url without "://" that holds an '@' (a scheme left out
 * before "user:password@host") as "(the URL given)"; any other url as it
 * is.  The caller frees it.  NULL when memory runs out.
 */
char *sdb_url_shown(const char *url);

/* Replaces every occurrence of url in eb's message by shown (url's
 * sdb_url_shown); a no-op when either is NULL or they are the same. */
void sdb_url_scrub(struct sdb_errbuf *eb, const char *url, const char *shown);

/*
 * 1 when the http:// or https:// URL url names a host: its authority
 * (between "//" and the first '/', '?' or '#'), past any credentials (up
 * to its last '@'), starts with a host name or a non-empty [IPv6
 * literal]; 0 for "http:///", "http://:8080/", "https://user@/" and
 * "http://[]/", which libcurl takes and fails only at the first fetch.
 * 1 for any other scheme (a file: URL names none).
 */
int sdb_url_has_host(const char *url);

#endif
