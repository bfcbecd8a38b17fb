/* SPDX-License-Identifier: MIT */
/*
 * privs.c - the privilege drop, done in the order that works:
 *   1. trim the bounding set while CAP_SETPCAP is still ours;
 *   2. PR_SET_KEEPCAPS, so that setresuid() keeps the permitted set;
 *   3. supplementary groups, gid, then uid (in that order: after the uid change we could not
 *      change groups any more);
 *   4. set effective = permitted = the kept set, inheritable = none; clear ambient;
 *   5. no_new_privs and not dumpable (a core dump or ptrace would expose client fds).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "macro.h"
#include "privs.h"

static const cap_value_t keep[] = PRIVS_KEEP_CAPS;

static bool kept(cap_value_t c)
{
        size_t i;

        for (i = 0; i < ELEMENTSOF(keep); i++)
                if (keep[i] == c)
                        return true;
        return false;
}

static void cap_freep(cap_t *c)
{
        if (*c)
                (void) cap_free(*c);
}

int privs_drop(const char *user)
{
        _cleanup_(cap_freep) cap_t caps = NULL;
        struct passwd pw, *pwr = NULL;
        char buf[4096];
        cap_value_t c;
        int r;

        r = getpwnam_r(user, &pw, buf, sizeof(buf), &pwr);
        if (r != 0)
                return -r;
        if (!pwr)
                return -ESRCH;

        for (c = 0; c <= CAP_LAST_CAP; c++)
                if (!kept(c) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
                        return -errno;

        if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
                return -errno;
        /* No supplementary groups at all: the daemon's rights are its capabilities. */
        if (setgroups(0, NULL) < 0)
                return -errno;
        if (setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid) < 0)
                return -errno;
        if (setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid) < 0)
                return -errno;
        if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
                return -errno;

        caps = cap_init(); /* all clear */
        if (!caps)
                return -errno;
        if (cap_set_flag(caps, CAP_PERMITTED, (int) ELEMENTSOF(keep), keep, CAP_SET) < 0 ||
            cap_set_flag(caps, CAP_EFFECTIVE, (int) ELEMENTSOF(keep), keep, CAP_SET) < 0)
                return -errno;
        if (cap_set_proc(caps) < 0)
                return -errno;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -errno;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                return -errno;
        return 0;
}
