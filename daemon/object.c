/* SPDX-License-Identifier: MIT */
/*
 * object.c - struct object's life: made for a create (or a journal record), freed by the
 * registry.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdcache.h"
#include "genpage.h"
#include "limits.h"
#include "macro.h"
#include "object.h"

static bool streq_null(const char *a, const char *b)
{
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

static int strdup_null(const char *s, char **ret)
{
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int object_new(const char *name, enum policy_backend backend, const struct identity *creator,
               uint64_t size, struct object **ret)
{
        struct object *o;

        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->fd = -1;
        list_node_init(&o->proc_node);
        list_node_init(&o->fresh_node);
        list_node_init(&o->kept);
        o->backend = backend;
        o->size = size;
        o->creator.uid = creator->uid;
        /* Looked up only under a policy with %u: a later one that brings %u looks it up. */
        o->creator.name_known = (creator->user_name_resolved && !creator->user_name_failed) ||
                                creator->user_name;
        o->name = strdup(name);
        if (!o->name || strdup_null(creator->user_name, &o->creator.user_name) < 0 ||
            strdup_null(creator->app_id, &o->creator.app_id) < 0) {
                object_free(o);
                return -ENOMEM;
        }
        *ret = o;
        return 0;
}

uint64_t object_bytes(uint64_t size, uint64_t blocks)
{
        uint64_t page = (uint64_t) sysconf(_SC_PAGESIZE);
        uint64_t held = blocks < LIMIT_SIZE_MAX / 512 ? blocks * 512 : LIMIT_SIZE_MAX;

        if (size > LIMIT_SIZE_MAX)
                size = LIMIT_SIZE_MAX;
        /* tmpfs allocates whole pages: the tail of the last one is not memory beyond the size
         * (an object of 4097 bytes holds 8192), and is not charged, as at create. */
        return held > ((size + page - 1) & ~(page - 1)) ? held : size;
}

struct object *object_free(struct object *o)
{
        if (!o)
                return NULL;
        /* Off every list that could still name it (harmless when it is in none). */
        list_remove(&o->fresh_node);
        list_remove(&o->proc_node);
        object_drop_kept(o);
        user_charge_release(&o->charge_objects);
        user_charge_release(&o->charge_bytes);
        safe_close(o->fd);
        free(o->name);
        free(o->rule_id);
        free(o->creator.user_name);
        free(o->creator.app_id);
        free(o);
        return NULL;
}

void object_drop_kept(struct object *o)
{
        fdcache_forget_object(&o->kept);
        /* The clients' own reuse of what they were handed ends with it (genpage.h). */
        genpage_bump(o->name);
}

bool object_created_by(const struct object *o, const struct identity *id)
{
        return o->creator.uid == id->uid && streq_null(o->creator.app_id, id->app_id);
}

struct identity object_creator_identity(const struct object *o)
{
        return (struct identity) {
                .uid = o->creator.uid,
                .gid = (gid_t) -1,
                .user_name = o->creator.user_name,
                .user_name_resolved = o->creator.name_known,
                .app_id = o->creator.app_id,
        };
}

int object_set_rule_id(struct object *o, const char *rule_id)
{
        char *s;

        if (o->rule_id && strcmp(o->rule_id, rule_id) == 0)
                return 0;
        s = strdup(rule_id);
        if (!s)
                return -ENOMEM;
        free(o->rule_id);
        o->rule_id = s;
        return 0;
}
