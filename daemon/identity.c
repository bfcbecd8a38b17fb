/* SPDX-License-Identifier: MIT */
/*
 * identity.c - small helpers on struct identity. Filling one from a socket is listener.c's job.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"

void identity_deinit(struct identity *id)
{
        free(id->groups);
        free(id->user_name);
        free(id->app_id);
        *id = (struct identity) { .uid = (uid_t) -1, .gid = (gid_t) -1 };
}

bool identity_in_group(const struct identity *id, gid_t gid)
{
        size_t i;

        if (id->gid == gid)
                return true;
        for (i = 0; i < id->n_groups; i++)
                if (id->groups[i] == gid)
                        return true;
        return false;
}

int identity_resolve_user_name(struct identity *id)
{
        struct passwd pw, *pwr = NULL;
        char buf[4096];

        if (id->user_name_resolved || id->user_name)
                return 0;
        if (getpwuid_r(id->uid, &pw, buf, sizeof(buf), &pwr) == 0 && pwr) {
                id->user_name = strdup(pwr->pw_name);
                if (!id->user_name)
                        return -ENOMEM;
        }
        id->user_name_resolved = true;
        return 0;
}
