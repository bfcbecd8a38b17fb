/* SPDX-License-Identifier: MIT */
/*
 * span.c - parse a time span (see span.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "span.h"

int shmb_parse_span(const char *s, uint64_t *ret_usec)
{
        static const struct {
                const char *unit;
                uint64_t usec;
        } units[] = {
                { "", SHMB_USEC_PER_SEC },
                { "us", 1 },
                { "ms", 1000 },
                { "s", SHMB_USEC_PER_SEC },
                { "sec", SHMB_USEC_PER_SEC },
                { "m", 60 * SHMB_USEC_PER_SEC },
                { "min", 60 * SHMB_USEC_PER_SEC },
                { "h", 3600 * SHMB_USEC_PER_SEC },
                { "hr", 3600 * SHMB_USEC_PER_SEC },
                { "d", 86400 * SHMB_USEC_PER_SEC },
                { "day", 86400 * SHMB_USEC_PER_SEC },
                { "days", 86400 * SHMB_USEC_PER_SEC },
                { "w", 7 * 86400 * SHMB_USEC_PER_SEC },
                { "week", 7 * 86400 * SHMB_USEC_PER_SEC },
                { "weeks", 7 * 86400 * SHMB_USEC_PER_SEC },
        };
        unsigned long long v;
        uint64_t result;
        char *end;
        size_t i;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        for (i = 0; i < ELEMENTSOF(units); i++)
                if (strcmp(end, units[i].unit) == 0)
                        break;
        if (i == ELEMENTSOF(units))
                return -EINVAL;
        if (__builtin_mul_overflow((uint64_t) v, units[i].usec, &result))
                return -ERANGE;
        *ret_usec = result;
        return 0;
}
