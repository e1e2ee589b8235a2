/*
 * Lines made printable (src/cli/line.h), for sumdb, for sumdbd's commands,
 * and for sumdbd serve's log (sdbd_linef).  Which bytes a human line may
 * hold is decided in one place, sdb_bytes_printable (src/lib/bytes.h),
 * which the library also uses for the error bodies it quotes.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytes.h"
#include "line.h"

/* Most lines fit here; a longer one (a record quoted whole) is formatted
 * again into an allocated buffer. */
#define CLI_LINE_STACK 1024

void
cli_printable(char *s, size_t n)
{
	sdb_bytes_printable(s, n);
}

void
cli_vlinef(FILE *f, const char *fmt, va_list ap)
{
	char stack[CLI_LINE_STACK], *line = stack, *big = NULL;
	va_list again;
	size_t n;
	int len;

	va_copy(again, ap);
	len = vsnprintf(stack, sizeof stack - 1, fmt, ap);
	if (len < 0) {
		va_end(again);
		return;
	}
	n = (size_t)len;
	if (n >= sizeof stack - 1) {
		big = malloc(n + 2);
		if (big != NULL && vsnprintf(big, n + 1, fmt, again) == len)
			line = big;
		else
			n = sizeof stack - 2;   /* no memory: the line cut short */
	}
	va_end(again);
	cli_printable(line, n);
	line[n] = '\n';
	fwrite(line, 1, n + 1, f);
	free(big);
}

void
cli_linef(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vlinef(f, fmt, ap);
	va_end(ap);
}

void
cli_lines(FILE *f, const char *prefix, const char *text, size_t len)
{
	size_t plen = strlen(prefix);

	while (len > 0) {
		const char *nl = memchr(text, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - text) : len;
		char *line = malloc(plen + n + 1);

		/* copied, not formatted: a NUL in text is shown too */
		if (line != NULL) {
			memcpy(line, prefix, plen);
			memcpy(line + plen, text, n);
			cli_printable(line, plen + n);
			line[plen + n] = '\n';
			fwrite(line, 1, plen + n + 1, f);
			free(line);
		} else {
			cli_linef(f, "%s(out of memory)", prefix);
		}
		n += nl != NULL;
		text += n;
		len -= n;
	}
}

/* The length of the UTF-8 sequence at s[0..n) if it is valid and not a C1
 * control, else 0. */
static size_t
utf8_shown_len(const unsigned char *s, size_t n)
{
	size_t want, i;
	unsigned long cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;   /* a continuation byte, an overlong lead, past U+10FFFF */
	want = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (n < want)
		return 0;
	cp = s[0] & (0x7f >> want);
	for (i = 1; i < want; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((want == 3 && cp < 0x800) || (want == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return want;
}

void
cli_text(FILE *f, const char *text, size_t len)
{
	const unsigned char *t = (const unsigned char *)text;
	size_t i = 0, n;

	if (!isatty(fileno(f))) {
		fwrite(text, 1, len, f);
		return;
	}
	while (i < len) {
		if ((t[i] >= 0x20 && t[i] < 0x7f) || t[i] == '\n' || t[i] == '\t') {
			for (n = i; n < len && ((t[n] >= 0x20 && t[n] < 0x7f) || t[n] == '\n' ||
			    t[n] == '\t'); n++)
				;
			fwrite(text + i, 1, n - i, f);
			i = n;
		} else if ((n = utf8_shown_len(t + i, len - i)) > 0) {
			fwrite(text + i, 1, n, f);
			i += n;
		} else {
			fputc('?', f);
			i++;
		}
	}
}

char *
cli_sh_word(const char *path)
{
	size_t i, n = strlen(path), off = 0;
	char *s;

	for (i = 0; i < n; i++)
		if ((unsigned char)path[i] < 0x20 || (unsigned char)path[i] > 0x7e) {
			errno = EINVAL;
			return NULL;
		}
	if ((s = malloc(4 * n + 5)) == NULL)
		return NULL;
	/* relative, as every path beginning with '-' is: no command takes
	 * it for an option */
	if (path[0] == '-') {
		memcpy(s, "./", 2);
		off = 2;
	}
	if (n > 0 && strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_./:@%+,=-") == n) {
		memcpy(s + off, path, n + 1);
		return s;
	}
	s[off++] = '\'';
	for (i = 0; i < n; i++) {
		if (path[i] == '\'') {
			memcpy(s + off, "'\\''", 4);
			off += 4;
		} else {
			s[off++] = path[i];
		}
	}
	s[off++] = '\'';
	s[off] = '\0';
	return s;
}
