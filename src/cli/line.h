/*
 * Lines made safe for a terminal and a log, for every human line both
 * programs print.  What a line says may come from a file, the database,
 * the network or an argument echoed back (a go.sum line, a record text,
 * a note from a remote log, an error body, a file name): a byte that is
 * not printable ASCII there (a newline or carriage return, an escape
 * sequence, a byte of a UTF-8 sequence) is written as '?', so that
 * nothing can forge a second line nor be read by a terminal as a
 * command.  Data that a script reads (a record text on standard output,
 * --json output, a proof file) is not a line of this kind and is written
 * as it is.
 */
#ifndef CSUMDB_CLI_LINE_H
#define CSUMDB_CLI_LINE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Writes each byte of s[0..n) that is not printable ASCII (0x20 to
 * 0x7e) as '?', in place. */
void cli_printable(char *s, size_t n);

/*
 * Writes the line fmt makes, made printable by cli_printable, then a
 * newline, to f in one write.  A line longer than can be allocated is
 * cut.
 */
void cli_linef(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cli_linef with a va_list. */
void cli_vlinef(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/*
 * Writes each line of text[0..len) (the last one need not end in a
 * newline) as cli_linef would, after prefix: a multi-line text, a record
 * or a note, quoted in a message.  Nothing when len is 0.
 */
void cli_lines(FILE *f, const char *prefix, const char *text, size_t len);

/*
 * Writes text[0..len), a text kept as evidence (signed notes, records)
 * that is data and must stay byte for byte, as ls writes a file name:
 * as it is, unless f is a terminal.  On a terminal, what a terminal would
 * take for a command is written as '?': a control character but newline
 * and tab, DEL, a C1 control (U+0080 to U+009F, which some terminals read
 * as ESC [ and the like), and a byte that is no part of valid UTF-8.  The
 * rest of UTF-8 passes (a signed note's signature lines begin with an em
 * dash), so the text reads as it is stored.  Piped or redirected, it is
 * written whole, for sumdb verify-note and the like.
 */
void cli_text(FILE *f, const char *text, size_t len);

/*
 * path as one shell word, for a command a line offers to paste: as it
 * is when it holds only characters no shell treats specially, else
 * between single quotes (each ' as '\''); after "./" when it begins with
 * '-', which the command would take for an option.  A new string; NULL with errno
 * EINVAL when path holds a byte that is not printable ASCII (a line shows
 * it as '?', and a command naming "base-??.db" for "base-\303\251.db"
 * would make and open another file), NULL with ENOMEM when out of memory.
 */
char *cli_sh_word(const char *path);

#endif
