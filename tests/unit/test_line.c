/* Unit tests for src/cli/line.c: every byte of a human line that is not
 * printable ASCII written as '?', one line per call, however long; a
 * multi-line text quoted line by line. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/line.h"
#include "unit.h"

/* What f (an open_memstream) holds so far. */
static char *mem_text;
static size_t mem_len;

static FILE *
mem_open(void)
{
	FILE *f;

	free(mem_text);
	mem_text = NULL;
	mem_len = 0;
	f = open_memstream(&mem_text, &mem_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	return f;
}

static void
test_printable(void)
{
	char s[] = "a\x1b[31mb\r\nc\td\x7f" "\xc3\xa9" "e ~";
	char all[256];
	int i;

	cli_printable(s, sizeof s - 1);
	CU_ASSERT_STRING_EQUAL(s, "a?[31mb??c?d???e ~");
	/* exactly 0x20..0x7e stay */
	for (i = 0; i < 256; i++)
		all[i] = (char)i;
	cli_printable(all, sizeof all);
	for (i = 0; i < 256; i++)
		CU_ASSERT_EQUAL(all[i], i >= 0x20 && i <= 0x7e ? (char)i : '?');
}

static void
test_linef(void)
{
	FILE *f = mem_open();
	char *big;
	size_t i;

	cli_linef(f, "x: %s: %d", "m\x1b]0;t\x07\nforged", 7);
	fflush(f);
	CU_ASSERT_EQUAL(mem_len, strlen("x: m?]0;t??forged: 7\n"));
	CU_ASSERT_STRING_EQUAL(mem_text, "x: m?]0;t??forged: 7\n");
	fclose(f);

	/* a line past the stack buffer: whole, still one line */
	big = malloc(5001);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	for (i = 0; i < 5000; i++)
		big[i] = i % 100 == 99 ? '\n' : 'a' + (char)(i % 26);
	big[5000] = '\0';
	f = mem_open();
	cli_linef(f, "<%s>", big);
	fclose(f);
	CU_ASSERT_EQUAL(mem_len, 5003);
	CU_ASSERT_PTR_NULL(memchr(mem_text, '\n', mem_len - 1));
	CU_ASSERT_EQUAL(mem_text[mem_len - 1], '\n');
	CU_ASSERT_EQUAL(mem_text[0], '<');
	CU_ASSERT_EQUAL(mem_text[100], '?');
	CU_ASSERT_EQUAL(mem_text[mem_len - 2], '>');
	free(big);
}

static void
test_lines(void)
{
	static const char text[] = "one\x1b[2J\ntw\0o\r\nthree";
	FILE *f = mem_open();

	cli_lines(f, "  log: ", text, sizeof text - 1);
	cli_lines(f, "  none: ", text, 0);
	fclose(f);
	CU_ASSERT_EQUAL(mem_len, strlen("  log: one?[2J\n  log: tw?o?\n  log: three\n"));
	CU_ASSERT_STRING_EQUAL(mem_text, "  log: one?[2J\n  log: tw?o?\n  log: three\n");
	free(mem_text);
	mem_text = NULL;
}

static void
test_sh_word(void)
{
	static const struct {
		const char *path, *word;
	} cases[] = {
		{ "/var/lib/csumdb/sumdb.db", "/var/lib/csumdb/sumdb.db" },
		{ "-x.db", "./-x.db" },
		{ "-my db", "./'-my db'" },
		{ "", "''" },
		{ "my db", "'my db'" },
		{ "it's.db", "'it'\\''s.db'" },
		{ "$(rm -rf ~).db", "'$(rm -rf ~).db'" },
	};
	size_t i;
	char *w;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		w = cli_sh_word(cases[i].path);
		CU_ASSERT_PTR_NOT_NULL_FATAL(w);
		CU_ASSERT_STRING_EQUAL(w, cases[i].word);
		free(w);
	}
	/* a line would show these bytes as '?': no command names them */
	errno = 0;
	CU_ASSERT_PTR_NULL(cli_sh_word("base-\303\251.db"));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(cli_sh_word("a\nb"));
	CU_ASSERT_EQUAL(errno, EINVAL);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "printable", test_printable },
		{ "linef", test_linef },
		{ "lines", test_lines },
		{ "sh_word", test_sh_word },
		{ NULL, NULL },
	};
	unit_suite("line", tests);
}
