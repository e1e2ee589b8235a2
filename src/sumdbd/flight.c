/*
 * Singleflight table (flight.h): a list of flights in progress under one
 * mutex, a condition variable for waiters, counters for the bounds.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flight.h"
#include "sync.h"

/* One run in progress, shared by every call for its key. */
struct flight {
	struct flight *next;
	char *key;           /* "path@version" */
	int done;
	int rc;
	char msg[SDB_ERRBUF_SIZE];
	unsigned refs;
};

struct sdbd_flights {
	unsigned concurrency, max_inside;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct flight *flights;
	unsigned active;     /* runs in progress */
	unsigned inside;     /* callers in sdbd_flights_run */
};

int
sdbd_flights_new(struct sdbd_flights **out, unsigned concurrency, unsigned max_inside,
    struct sdb_errbuf *eb)
{
	struct sdbd_flights *f = calloc(1, sizeof *f);

	*out = NULL;
	if (f == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	f->concurrency = concurrency ? concurrency : 4;
	f->max_inside = max_inside ? max_inside : 3;
	{
		pthread_mutex_t *const mu[] = { &f->mu };
		pthread_cond_t *const cv[] = { &f->cv };
		int e;

		if ((e = sdb_sync_init(mu, 1, cv, 1)) != 0) {
			free(f);
			return sdb_errf(eb, SDB_ERR_INTERNAL, "cannot make the mutex and condition "
			    "variable of the fetches in flight: %s", strerror(e));
		}
	}
	*out = f;
	return SDB_OK;
}

void
sdbd_flights_free(struct sdbd_flights *f)
{
	if (f == NULL)
		return;
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

int
sdbd_flights_run(struct sdbd_flights *t, const char *what, const char *path,
    const char *version, sdbd_flight_fn fn, void *arg, struct sdb_errbuf *eb)
{
	size_t plen = strlen(path), vlen = strlen(version);
	struct flight *f;
	char *key;
	int rc;

	key = malloc(plen + vlen + 2);
	if (key == NULL)
		return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	snprintf(key, plen + vlen + 2, "%s@%s", path, version);

	pthread_mutex_lock(&t->mu);
	if (t->inside >= t->max_inside) {
		pthread_mutex_unlock(&t->mu);
		free(key);
		return sdb_errf(eb, SDB_ERR_IO, "too many %s in progress (%u); try again", what,
		    t->max_inside);
	}
	t->inside++;
	for (f = t->flights; f != NULL; f = f->next)
		if (strcmp(f->key, key) == 0)
			break;
	if (f != NULL) {
		/* join the run in progress */
		f->refs++;
		while (!f->done)
			pthread_cond_wait(&t->cv, &t->mu);
		free(key);
	} else {
		f = calloc(1, sizeof *f);
		if (f == NULL) {
			t->inside--;
			pthread_mutex_unlock(&t->mu);
			free(key);
			return sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		}
		f->key = key;
		f->refs = 1;
		f->next = t->flights;
		t->flights = f;
		while (t->active >= t->concurrency)
			pthread_cond_wait(&t->cv, &t->mu);
		t->active++;
		pthread_mutex_unlock(&t->mu);

		f->msg[0] = '\0';
		{
			struct sdb_errbuf feb;

			feb.msg[0] = '\0';
			f->rc = fn(arg, path, version, &feb);
			memcpy(f->msg, feb.msg, sizeof f->msg);
		}

		pthread_mutex_lock(&t->mu);
		t->active--;
		f->done = 1;
		/* later calls start afresh (a failure is not remembered) */
		{
			struct flight **pp;

			for (pp = &t->flights; *pp != NULL; pp = &(*pp)->next)
				if (*pp == f) {
					*pp = f->next;
					break;
				}
		}
		pthread_cond_broadcast(&t->cv);
	}
	rc = f->rc;
	if (rc != SDB_OK)
		sdb_errf(eb, rc, "%s", f->msg[0] ? f->msg : sdb_strerror(rc));
	if (--f->refs == 0) {
		free(f->key);
		free(f);
	}
	t->inside--;
	pthread_mutex_unlock(&t->mu);
	return rc;
}
