/* Mutexes and condition variables made together (sync.h). */
#include "config.h"

#include "sync.h"

int
sdb_sync_init(pthread_mutex_t *const mu[], size_t nmu, pthread_cond_t *const cv[],
    size_t ncv)
{
	size_t i, j;
	int e = 0;

	for (i = 0; i < nmu && (e = pthread_mutex_init(mu[i], NULL)) == 0; i++)
		;
	for (j = 0; e == 0 && j < ncv && (e = pthread_cond_init(cv[j], NULL)) == 0; j++)
		;
	if (e == 0)
		return 0;
	while (j > 0)
		pthread_cond_destroy(cv[--j]);
	while (i > 0)
		pthread_mutex_destroy(mu[--i]);
	return e;
}
