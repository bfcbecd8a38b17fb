/* SPDX-License-Identifier: MIT */
/*
 * crashat.c - an LD_PRELOAD shim for the integration tests: a daemon killed in the middle of
 * what it does, at a system call the test names. While the file $SHMB_CRASHAT_ARM exists, the
 * first call of $SHMB_CRASHAT_CALL (renameat2 or unlinkat) kills the process with SIGKILL
 * before it is made: a crash, an OOM kill or the watchdog's kill at exactly that point, which
 * no signal sent from outside can hit. With $SHMB_CRASHAT_CALL=write, the kill comes at the
 * $SHMB_CRASHAT_NTH'th write() (from 1, counted while armed) to a file whose path ends in
 * $SHMB_CRASHAT_PATH (the registry's journal, "/registry"), before it is made.
 */

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool armed(const char *call)
{
        const char *want = getenv("SHMB_CRASHAT_CALL"), *arm = getenv("SHMB_CRASHAT_ARM");

        return want && arm && strcmp(want, call) == 0 && access(arm, F_OK) == 0;
}

static void maybe_crash(const char *call)
{
        if (armed(call))
                (void) kill(getpid(), SIGKILL);
}

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
              unsigned int flags)
{
        static int (*real)(int, const char *, int, const char *, unsigned int);

        maybe_crash("renameat2");
        if (!real)
                real = (int (*)(int, const char *, int, const char *, unsigned int))
                        dlsym(RTLD_NEXT, "renameat2");
        return real(olddirfd, oldpath, newdirfd, newpath, flags);
}

int unlinkat(int dirfd, const char *path, int flags)
{
        static int (*real)(int, const char *, int);

        maybe_crash("unlinkat");
        if (!real)
                real = (int (*)(int, const char *, int)) dlsym(RTLD_NEXT, "unlinkat");
        return real(dirfd, path, flags);
}

/* Is @fd a file whose path ends in $SHMB_CRASHAT_PATH? */
static bool fd_is_watched(int fd)
{
        const char *suffix = getenv("SHMB_CRASHAT_PATH");
        char link[64], path[4096];
        size_t n = suffix ? strlen(suffix) : 0;
        ssize_t len;

        if (n == 0)
                return false;
        (void) snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        len = readlink(link, path, sizeof(path) - 1);
        return len >= (ssize_t) n && memcmp(path + len - n, suffix, n) == 0;
}

ssize_t write(int fd, const void *buf, size_t count)
{
        static ssize_t (*real)(int, const void *, size_t);
        static long seen;
        const char *nth = getenv("SHMB_CRASHAT_NTH");

        if (nth && armed("write") && fd_is_watched(fd) && ++seen == atol(nth))
                (void) kill(getpid(), SIGKILL);
        if (!real)
                real = (ssize_t (*)(int, const void *, size_t)) dlsym(RTLD_NEXT, "write");
        return real(fd, buf, count);
}
