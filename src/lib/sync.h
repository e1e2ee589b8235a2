/*
 * Mutexes and condition variables made together.  POSIX lets
 * pthread_mutex_init and pthread_cond_init fail (EAGAIN, ENOMEM, ...)
 * and leaves the object undefined then: code that needs several has them
 * all, or none and an error to refuse with.
 */
#ifndef CSUMDB_LIB_SYNC_H
#define CSUMDB_LIB_SYNC_H

#include <pthread.h>
#include <stddef.h>

/* Makes the mutexes mu[0..nmu) and the condition variables cv[0..ncv),
 * each with default attributes.  Returns 0, or the error number of the
 * first that could not be made, with every one made before it destroyed
 * again. */
int sdb_sync_init(pthread_mutex_t *const mu[], size_t nmu, pthread_cond_t *const cv[],
    size_t ncv);

#endif
