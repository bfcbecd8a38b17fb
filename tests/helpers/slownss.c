/* SPDX-License-Identifier: MIT */
/*
 * slownss.c - an LD_PRELOAD shim for the integration tests: a name service that is slow for
 * one uid. getpwuid_r() of uid $SHMB_SLOWNSS_UID waits until the file $SHMB_SLOWNSS_GATE
 * exists, then answers as usual; every other lookup answers at once.
 *
 * This is LDAP or SSSD taking its time, under the test's control: the test opens the gate
 * when it has seen what it wanted to see meanwhile (other clients served), so nothing in it
 * depends on how long anything takes.
 */

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t size, struct passwd **ret);

int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t size, struct passwd **ret)
{
        int (*real)(uid_t, struct passwd *, char *, size_t, struct passwd **) =
                (int (*)(uid_t, struct passwd *, char *, size_t, struct passwd **))
                        dlsym(RTLD_NEXT, "getpwuid_r");
        const char *slow = getenv("SHMB_SLOWNSS_UID"), *gate = getenv("SHMB_SLOWNSS_GATE");

        if (slow && gate && (uid_t) strtoul(slow, NULL, 10) == uid) {
                int saved = errno;

                /* A slow server: the answer comes when the test opens the gate. */
                while (access(gate, F_OK) < 0)
                        (void) poll(NULL, 0, 1);
                errno = saved;
        }
        if (!real)
                return ENOSYS;
        return real(uid, pw, buf, size, ret);
}
