/* SPDX-License-Identifier: MIT */
/*
 * fakeclock.c - an LD_PRELOAD shim for the integration tests: CLOCK_MONOTONIC and
 * CLOCK_BOOTTIME (lifetimes), as the process reads them through clock_gettime(), run ahead of
 * the real ones by an offset that the test sets while the process runs.
 *
 * The offset is an int64_t of microseconds (native byte order) at the start of the file named
 * by $SHMB_FAKECLOCK_FILE, mapped shared, so a write by the test is seen at the next call. It
 * only grows, so the clock stays monotonic. Without the variable, or if the file cannot be
 * mapped, the clock is the real one.
 *
 * This is how a test makes shmbrokerd live through a 10 s log rate-limit interval at once
 * without a daemon option that exists only for tests: the daemon is the installed binary, and
 * only its view of time moves. Kernel timers (the daemon's timerfd tick) are not affected.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* NULL: not looked at yet; MAP_FAILED: no offset. */
static const int64_t *offset_map;

static const int64_t *offset(void)
{
        const int64_t *m = __atomic_load_n(&offset_map, __ATOMIC_ACQUIRE);
        const char *path;
        void *p = MAP_FAILED;
        int fd, saved = errno;

        if (m)
                return m == MAP_FAILED ? NULL : m;
        path = getenv("SHMB_FAKECLOCK_FILE");
        fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        if (fd >= 0) {
                p = mmap(NULL, sizeof(int64_t), PROT_READ, MAP_SHARED, fd, 0);
                (void) close(fd);
        }
        /* Two threads racing here map it twice; one mapping is never unmapped. Harmless. */
        __atomic_store_n(&offset_map, (const int64_t *) p, __ATOMIC_RELEASE);
        errno = saved;
        return p == MAP_FAILED ? NULL : p;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
        const int64_t *m;
        int64_t usec;
        long r;

        /* The system call, not the vDSO: slower, but there is no "next" clock_gettime() to
         * look up, and nothing else in the process is affected. */
        r = syscall(SYS_clock_gettime, id, ts);
        if (r < 0 || (id != CLOCK_MONOTONIC && id != CLOCK_BOOTTIME))
                return (int) r;
        m = offset();
        if (!m)
                return 0;
        usec = __atomic_load_n(m, __ATOMIC_RELAXED);
        if (usec <= 0)
                return 0;
        ts->tv_sec += (time_t) (usec / 1000000);
        ts->tv_nsec += (long) (usec % 1000000) * 1000;
        if (ts->tv_nsec >= 1000000000L) {
                ts->tv_sec++;
                ts->tv_nsec -= 1000000000L;
        }
        return 0;
}
