/* SPDX-License-Identifier: MIT */
/*
 * identity.c - small helpers on struct identity. Filling one from a socket is listener.c's job.
 */
#include <stdlib.h>

#include "identity.h"

void identity_deinit(struct identity *id)
{
        free(id->groups);
        free(id->user_name);
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
