/*
 * Request targets (http_path.h): RFC 9112 section 3.2's origin and
 * absolute forms, and RFC 3986 percent-decoding with explicit lengths.
 * libmicrohttpd's own decoder turns "%00" into a NUL and hands over a C
 * string, so "/lookup/m@v1.0.0%00x" would reach a handler as a valid
 * lookup: http.c installs an identity unescape callback and decodes here.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "http_path.h"

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX in in[0..len) into out (room for len bytes).  Returns the
 * decoded length, or -1 for a broken escape or an encoded NUL. */
static long
percent_decode(const char *in, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (in[i] != '%') {
			out[o++] = in[i];
			continue;
		}
		if (len - i < 3)
			return -1;
		int hi = hexval((unsigned char)in[i + 1]), lo = hexval((unsigned char)in[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -1;
		out[o++] = (char)(hi * 16 + lo);
		i += 2;
	}
	return (long)o;
}

/* The path of an absolute-form request target, "http://HOST/PATH" (RFC
 * 9112 section 3.2.2: a server must accept it, though clients send it to
 * proxies only): sets *path and *plen to "/PATH" within url[0..len) (an
 * empty path after a bare authority) and returns 1, or 0 when url is not
 * of that form. */
static int
absolute_form_path(const char *url, size_t len, const char **path, size_t *plen)
{
	static const char *const schemes[] = { "http://", "https://" };
	size_t i, k;

	for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		size_t n = strlen(schemes[i]);

		if (len < n || strncasecmp(url, schemes[i], n) != 0)
			continue;
		for (k = n; k < len && url[k] != '/'; k++)
			;
		*path = url + k;
		*plen = len - k;
		return 1;
	}
	return 0;
}

long
sdbd_http_target_path(const char *url, size_t len, char *out, int *plain)
{
	const char *target = url;
	size_t tlen = len;
	long dlen;

	*plain = 0;
	if ((len == 0 || url[0] != '/') && !absolute_form_path(url, len, &target, &tlen))
		return -1;
	dlen = percent_decode(target, tlen, out);
	if (dlen <= 0 || out[0] != '/')
		return -1;
	out[dlen] = '\0';
	*plain = target == url && (size_t)dlen == len;
	return dlen;
}
