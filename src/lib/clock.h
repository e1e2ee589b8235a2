/*
 * The monotonic clock in milliseconds, for deadlines and timeouts (the
 * fetch layer's deadline_ms, the listener's header timeouts).
 */
#ifndef CSUMDB_CLOCK_H
#define CSUMDB_CLOCK_H

#include <time.h>

static inline long long
sdb_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
