/* SPDX-License-Identifier: MIT */
/*
 * crashat.c - an LD_PRELOAD shim for the integration tests: a daemon killed in the middle of
 * what it does, at a system call the test names. While the file $SHMB_CRASHAT_ARM exists, the
 * first call of $SHMB_CRASHAT_CALL (renameat2 or unlinkat) kills the process with SIGKILL
 * before it is made: a crash, an OOM kill or the watchdog's kill at exactly that point, which
 * no signal sent from outside can hit.
 */

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void maybe_crash(const char *call)
{
        const char *want = getenv("SHMB_CRASHAT_CALL"), *arm = getenv("SHMB_CRASHAT_ARM");

        if (want && arm && strcmp(want, call) == 0 && access(arm, F_OK) == 0)
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
