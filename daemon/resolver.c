/* SPDX-License-Identifier: MIT */
/*
 * resolver.c - name service lookups in the resolver's thread (see resolver.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "macro.h"
#include "nss.h"
#include "resolver.h"

struct resolve_job {
        struct worker_job job;
        uid_t uid;
        /* Filled in the worker's thread; copied to the identity in the loop's. */
        char *user_name;
        bool has_user_group;
        gid_t user_group;
        /* The loop's side. */
        struct identity *id;            /* NULL once cancelled */
        void (*done)(void *userdata);
        void *userdata;
};

/* The lookups, on plain values: safe in any thread. */
static void lookup(uid_t uid, char **ret_name, bool *ret_has_group, gid_t *ret_group)
{
        *ret_name = NULL;
        *ret_has_group = false;
        /* A uid without a name is not an error: %u then matches nothing for it. Nor is a name
         * without a group of the same name: Group=%u then refuses its creates. */
        if (nss_user_name_by_uid(uid, ret_name) < 0)
                return;
        *ret_has_group = nss_group_by_name(*ret_name, ret_group) >= 0;
}

static void apply(struct identity *id, char *name, bool has_group, gid_t group)
{
        free(id->user_name);
        id->user_name = name;
        id->user_name_resolved = true;
        id->has_user_group = has_group;
        id->user_group = group;
        id->user_group_resolved = true;
}

void resolver_resolve(struct identity *id)
{
        char *name;
        bool has_group;
        gid_t group = (gid_t) -1;

        lookup(id->uid, &name, &has_group, &group);
        apply(id, name, has_group, group);
}

static void resolve_run(struct worker_job *j)
{
        struct resolve_job *r = container_of(j, struct resolve_job, job);

        lookup(r->uid, &r->user_name, &r->has_user_group, &r->user_group);
}

static void resolve_done(struct worker_job *j)
{
        struct resolve_job *r = container_of(j, struct resolve_job, job);

        if (r->id) {
                apply(r->id, TAKE_PTR(r->user_name), r->has_user_group, r->user_group);
                r->done(r->userdata);
        }
        free(r->user_name);
        free(r);
}

int resolver_lookup(struct worker *resolver, struct identity *id,
                    void (*done)(void *userdata), void *userdata, struct resolve_job **ret)
{
        struct resolve_job *r;

        *ret = NULL;
        if (!resolver) {
                resolver_resolve(id);
                return 0;
        }
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        r->job = (struct worker_job) { .run = resolve_run, .done = resolve_done };
        r->uid = id->uid;
        r->user_group = (gid_t) -1;
        r->id = id;
        r->done = done;
        r->userdata = userdata;
        worker_push(resolver, &r->job);
        *ret = r;
        return 0;
}

void resolver_cancel(struct resolve_job *j)
{
        if (j)
                j->id = NULL;
}
