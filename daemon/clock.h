/* SPDX-License-Identifier: MIT */
/*
 * clock.h - the daemon's one clock: CLOCK_MONOTONIC in microseconds, for deadlines, rate
 * limits and MONOTONIC_USEC=.
 */
#pragma once

#include <stdint.h>
#include <time.h>

static inline uint64_t now_usec(void)
{
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}
