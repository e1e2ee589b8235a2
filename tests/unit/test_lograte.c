/* Unit tests for src/sumdbd/lograte.c: lines said at most once a minute
 * for each kind, with the count of those left out (also said at a stop),
 * also when several threads say them; every line made printable. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lograte.h"
#include "unit.h"

static void
test_take(void)
{
	struct sdbd_lograte r;
	int first = -1;
	long long t;

	memset(&r, 0, sizeof r);
	CU_ASSERT_EQUAL(sdbd_lograte_take(&r, 1000, &first), 1);
	CU_ASSERT_EQUAL(first, 1);
	/* 99 more within the minute: counted, not said */
	for (t = 1001; t < 1100; t++)
		CU_ASSERT_EQUAL(sdbd_lograte_take(&r, t, &first), 0);
	CU_ASSERT_EQUAL(sdbd_lograte_take(&r, 1000 + SDBD_LOGRATE_MS - 1, &first), 0);
	/* a minute after the last line said: said, with all 101 since it */
	first = -1;
	CU_ASSERT_EQUAL(sdbd_lograte_take(&r, 1000 + SDBD_LOGRATE_MS, &first), 101);
	CU_ASSERT_EQUAL(first, 0);
	CU_ASSERT_EQUAL(sdbd_lograte_take(&r, 1001 + SDBD_LOGRATE_MS, &first), 0);
	/* quiet for long, then one: said alone */
	CU_ASSERT_EQUAL(sdbd_lograte_take(&r, 1000 + 10 * SDBD_LOGRATE_MS, &first), 2);
	CU_ASSERT_EQUAL(sdbd_lograte_take(&r, 1000 + 12 * SDBD_LOGRATE_MS, &first), 1);
	CU_ASSERT_EQUAL(first, 0);
}

static char said[8][256];
static int nsaid;

static void
keep_line(const char *line)
{
	if (nsaid < 8)
		snprintf(said[nsaid], sizeof said[nsaid], "%s", line);
	nsaid++;
}

static void
test_say(void)
{
	struct sdbd_lograte_set *s = NULL;
	int i;

	CU_ASSERT_EQUAL_FATAL(sdbd_lograte_set_new(&s), SDB_OK);
	nsaid = 0;
	for (i = 0; i < 1000; i++)
		sdbd_lograte_say(s, SDB_ERR_NOT_FOUND, keep_line, "a@v1.0.0 not found");
	/* another kind is not held back by the first */
	sdbd_lograte_say(s, SDB_ERR_IO, keep_line, "b@v1.0.0 down");
	sdbd_lograte_say(s, SDB_ERR_IO, keep_line, "c@v1.0.0 down");
	/* a code outside the enum's range is a kind too */
	sdbd_lograte_say(s, -1000, keep_line, "odd");
	sdbd_lograte_say(s, 5, keep_line, "odder");
	sdbd_lograte_say(s, SDB_ERR_IO, NULL, "nowhere");
	CU_ASSERT_EQUAL(nsaid, 3);
	CU_ASSERT_STRING_EQUAL(said[0], "a@v1.0.0 not found (lines of this kind are said at most "
	    "once a minute)");
	CU_ASSERT_STRING_EQUAL(said[1], "b@v1.0.0 down (lines of this kind are said at most once a "
	    "minute)");
	CU_ASSERT_STRING_EQUAL(said[2], "odd (lines of this kind are said at most once a minute)");
	/* at a stop: each kind's last line left out, with the count of the
	 * others, in the order of the kinds (IO, NOT_FOUND, the last) */
	sdbd_lograte_set_flush(s, keep_line);
	CU_ASSERT_EQUAL(nsaid, 6);
	CU_ASSERT_STRING_EQUAL(said[3], "c@v1.0.0 down");
	CU_ASSERT_STRING_EQUAL(said[4], "a@v1.0.0 not found (and 998 more of this kind since the "
	    "last such line)");
	CU_ASSERT_STRING_EQUAL(said[5], "odder");
	/* counted afresh: nothing more to say */
	sdbd_lograte_set_flush(s, keep_line);
	sdbd_lograte_set_flush(NULL, keep_line);
	CU_ASSERT_EQUAL(nsaid, 6);
	sdbd_lograte_set_free(s);
	sdbd_lograte_set_free(NULL);
}

static pthread_mutex_t said_mu = PTHREAD_MUTEX_INITIALIZER;

static void
keep_line_locked(const char *line)
{
	pthread_mutex_lock(&said_mu);
	keep_line(line);
	pthread_mutex_unlock(&said_mu);
}

static void *
say_many(void *arg)
{
	struct sdbd_lograte_set *s = arg;
	int i;

	for (i = 0; i < 2000; i++) {
		sdbd_lograte_say(s, SDB_ERR_NOT_FOUND, keep_line_locked, "not found");
		sdbd_lograte_say(s, SDB_ERR_IO, keep_line_locked, "down");
	}
	return NULL;
}

/* The server's threads share a set (upstream.c, public.c): each kind is
 * still said once within the minute, whichever thread comes first.  Run
 * under ThreadSanitizer, this also catches a set whose kinds are not
 * kept under its lock. */
static void
test_say_threads(void)
{
	struct sdbd_lograte_set *s = NULL;
	pthread_t th[4];
	int i, n = 0;

	CU_ASSERT_EQUAL_FATAL(sdbd_lograte_set_new(&s), SDB_OK);
	nsaid = 0;
	for (i = 0; i < 4; i++)
		if (pthread_create(&th[n], NULL, say_many, s) == 0)
			n++;
	CU_ASSERT_EQUAL(n, 4);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	CU_ASSERT_EQUAL(nsaid, 2);
	sdbd_lograte_set_free(s);
}

/* One line, every byte that is not printable ASCII as '?'. */
static void
test_linef(void)
{
	char *buf = NULL, big[SDBD_LINE_MAX + 100];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	sdbd_linef(f, "x %s: %d", "a\033[2J\nsumdbd: forged\t\x7f\xc3\xa9~", 7);
	memset(big, 'b', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	sdbd_linef(f, "%s", big);
	CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
	CU_ASSERT_EQUAL(len, strlen("x a?[2J?sumdbd: forged????~: 7\n") + SDBD_LINE_MAX);
	CU_ASSERT_NSTRING_EQUAL(buf, "x a?[2J?sumdbd: forged????~: 7\nbbb", 34);
	CU_ASSERT_EQUAL(buf[len - 1], '\n');
	free(buf);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "take", test_take },
		{ "say", test_say },
		{ "say_threads", test_say_threads },
		{ "linef", test_linef },
		{ NULL, NULL },
	};
	unit_suite("lograte", tests);
}
