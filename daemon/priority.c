/* SPDX-License-Identifier: MIT */
/*
 * priority.c - the daemon's nice level (see priority.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "log.h"
#include "priority.h"

int priority_parse(const char *s, int *ret)
{
        char *end;
        long v;

        if (strcmp(s, "keep") == 0) {
                *ret = PRIORITY_KEEP;
                return 0;
        }
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end || v < -20 || v > 19)
                return -EINVAL;
        *ret = (int) v;
        return 0;
}

void priority_apply(int nice, bool explicit)
{
        int now;

        if (nice == PRIORITY_KEEP)
                return;
        /* -1 is a level too: only errno tells a failure. */
        errno = 0;
        now = getpriority(PRIO_PROCESS, 0);
        if (now == -1 && errno != 0) {
                log_warning_errno(-errno, "Cannot read the nice level, leaving it: %m");
                return;
        }
        if (now == nice)
                return;
        if (!explicit && now != 0) {
                log_info("Started at nice %d, kept (--nice sets another).", now);
                return;
        }
        if (setpriority(PRIO_PROCESS, 0, nice) < 0) {
                /* EACCES: no privilege. EPERM here is a seccomp filter's (~@resources). */
                if (errno == EACCES)
                        log_notice("Running at nice %d: nice %d needs CAP_SYS_NICE or "
                                   "RLIMIT_NICE (--nice keep leaves the level as it is).",
                                   now, nice);
                else
                        log_warning_errno(-errno, "Cannot set nice %d, running at %d: %m",
                                          nice, now);
                return;
        }
        log_info("Running at nice %d.", nice);
}
