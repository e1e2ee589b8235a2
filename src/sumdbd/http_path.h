/*
 * The path of an HTTP request target, as sumdbd's listener (http.c)
 * hands it to the handlers: pure, so that it is fuzzed (tests/fuzz/
 * fuzz_http_path.c) apart from libmicrohttpd.
 */
#ifndef CSUMDB_SUMDBD_HTTP_PATH_H
#define CSUMDB_SUMDBD_HTTP_PATH_H

#include <stddef.h>

/*
 * The path of the request target url[0..len), origin form "/PATH" or
 * absolute form "http://HOST/PATH" (or https), percent-decoded into out,
 * which has room for len + 1 bytes (decoding never lengthens), and
 * NUL-terminated there.  *plain is set to 1 when the path is url itself,
 * with no escape in it (the only paths whose answers are kept: an
 * escaped one spells the same path in many ways), else to 0.
 * Returns the decoded length, at least 1 and out[0] == '/'; or -1 for a
 * malformed target: another form, a broken escape, an encoded NUL
 * ("%00", which a C string would end at), or no path.
 */
long sdbd_http_target_path(const char *url, size_t len, char *out, int *plain);

#endif
