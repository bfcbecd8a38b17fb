/* SPDX-License-Identifier: MIT */
/*
 * identity.c - small helpers on struct identity. Filling one from a socket is listener.c's job.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "nss.h"

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
        char *name = NULL;
        int r;

        if (id->user_name_resolved || id->user_name)
                return 0;
        r = nss_user_name_by_uid(id->uid, &name);
        if (r == -ENOMEM)
                return r;
        /* No name, or a name service that cannot say: %u matches nothing for this uid. */
        id->user_name = r >= 0 ? name : NULL;
        id->user_name_resolved = true;
        id->user_name_failed = r < 0 && r != -ENOENT;
        return 0;
}
