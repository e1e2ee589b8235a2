/*
 * Thread-setup failures for tests/e2e/sumdb_threads.sh and
 * sumdbd_threads.sh: linked into a copy of sumdb, and one of sumdbd, with
 * GNU ld's --wrap for pthread_mutex_init, pthread_cond_init and
 * pthread_create (see Makefile.am), so production code has no hook.
 * SDB_TEST_PTHREAD_FAIL=FUNC:N (FUNC one of mutex_init, cond_init,
 * create) makes the Nth call of FUNC and every later one fail with
 * EAGAIN, SDB_TEST_PTHREAD_FAIL=FUNC=N the Nth call alone; a mutex or
 * condition variable whose init failed is left filled with garbage, as
 * POSIX leaves it undefined.  Each failure is appended to the file
 * SDB_TEST_PTHREAD_LOG ("FUNC N"), so that a test can tell which calls
 * failed.  Without SDB_TEST_PTHREAD_FAIL every call passes through.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int __real_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a);
int __real_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a);
int __real_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);
int __wrap_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a);
int __wrap_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg);

static atomic_long calls_mutex_init, calls_cond_init, calls_create;

/* Whether call number n (from 1) of func is to fail; logs it if so. */
static int
fails(const char *func, long n)
{
	const char *spec = getenv("SDB_TEST_PTHREAD_FAIL"), *log;
	size_t fl = strlen(func);
	char *end;
	long from;
	FILE *f;

	if (spec == NULL || strncmp(spec, func, fl) != 0 || (spec[fl] != ':' && spec[fl] != '='))
		return 0;
	from = strtol(spec + fl + 1, &end, 10);
	if (end == spec + fl + 1 || *end != '\0' || n < from || (spec[fl] == '=' && n > from))
		return 0;
	if ((log = getenv("SDB_TEST_PTHREAD_LOG")) != NULL && (f = fopen(log, "a")) != NULL) {
		fprintf(f, "%s %ld\n", func, n);
		fclose(f);
	}
	return 1;
}

int
__wrap_pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	if (fails("mutex_init", atomic_fetch_add(&calls_mutex_init, 1) + 1)) {
		memset(m, 0xa5, sizeof *m);
		return EAGAIN;
	}
	return __real_pthread_mutex_init(m, a);
}

int
__wrap_pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a)
{
	if (fails("cond_init", atomic_fetch_add(&calls_cond_init, 1) + 1)) {
		memset(c, 0xa5, sizeof *c);
		return EAGAIN;
	}
	return __real_pthread_cond_init(c, a);
}

int
__wrap_pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*fn)(void *), void *arg)
{
	if (fails("create", atomic_fetch_add(&calls_create, 1) + 1))
		return EAGAIN;
	return __real_pthread_create(t, a, fn, arg);
}
