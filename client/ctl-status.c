/* SPDX-License-Identifier: MIT */
/*
 * ctl-status.c - "shmbrokerctl status": the broker as its admins see it. The summary and the
 * per-user usage come from shmb_status(), every segment from shmb_list_details() with
 * SHMB_LIST_ALL; the broker refuses both to anyone but its admins.
 *
 * For people: key: value lines, then a table of users and a table of segments. For scripts
 * (--json): one document whose field names the man page fixes. Not here: list and stat.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

#define CELL 512

static void format_limit(char *buf, size_t size, uint64_t v, uint64_t none, bool bytes)
{
        if (v == none)
                snprintf(buf, size, "unlimited");
        else if (bytes)
                ctl_format_size(buf, size, v);
        else
                snprintf(buf, size, "%" PRIu64, v);
}

static int print_status(struct shmb_client *c, const struct shmb_status *s)
{
        _cleanup_(ctl_table_freep) struct ctl_table *users = NULL, *objects = NULL;
        char buf[CELL], a[64], b[64], d[64];
        size_t i;
        int r;

        users = ctl_table_new(5, "UID", "USER", "CONNECTIONS", "OBJECTS", "BYTES");
        objects = ctl_object_table_new();
        if (!users || !objects)
                return -ENOMEM;
        for (i = 0; i < s->n_users; i++) {
                const struct shmb_status_user *u = &s->users[i];
                const char *name = ctl_user_name(u->uid);
                char uid[16], conns[16], objs[32], bytes[32], shown[CELL];

                snprintf(uid, sizeof(uid), "%" PRIu32, u->uid);
                snprintf(conns, sizeof(conns), "%" PRIu32, u->connections);
                snprintf(objs, sizeof(objs), "%" PRIu64, u->objects);
                ctl_format_size(bytes, sizeof(bytes), u->bytes);
                ctl_escape(shown, sizeof(shown), name ? name : "-");
                r = ctl_table_add(users, uid, shown, conns, objs, bytes);
                if (r < 0)
                        return r;
        }
        /* Before anything is printed: a failure here is the command's failure. */
        r = ctl_list_details(c, SHMB_LIST_ALL, objects, NULL);
        if (r < 0)
                return r;

        ctl_escape(buf, sizeof(buf), s->version);
        printf("version:      %s\n", buf);
        ctl_format_age(buf, sizeof(buf), s->uptime_usec);
        printf("uptime:       %s\n", buf);
        ctl_escape(buf, sizeof(buf), s->origin);
        printf("policy:       %s, generation %" PRIu64 "%s\n", buf, s->generation,
               (s->flags & SHMB_STATUS_KEPT_POLICY) ?
                       " (kept: the policy on disk could not be loaded)" : "");
        printf("rules:        %" PRIu32 "\n", s->n_rules);
        printf("connections:  %" PRIu32 "\n", s->n_connections);
        printf("objects:      %" PRIu32 " (%" PRIu32 " orphaned, %" PRIu32
               " removed but still held)\n", s->n_objects, s->n_orphans, s->n_held);
        printf("app sockets:  %" PRIu32 "\n", s->n_app_sockets);
        format_limit(a, sizeof(a), s->max_connections, UINT32_MAX, false);
        format_limit(b, sizeof(b), s->max_objects, UINT64_MAX, false);
        format_limit(d, sizeof(d), s->max_bytes, UINT64_MAX, true);
        printf("quota:        per user: connections %s, objects %s, bytes %s\n", a, b, d);
        printf("\n");
        ctl_table_print(users, false);
        printf("\n");
        ctl_table_print(objects, false);
        return 0;
}

static struct json_object *json_limit(uint64_t v, uint64_t none)
{
        return v == none ? NULL : ctl_json_u64(v);
}

static int json_status(struct shmb_client *c, const struct shmb_status *s)
{
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct json_object *policy, *counts, *quota, *users, *objects;
        size_t i;
        int r;

        if (!o)
                return -ENOMEM;
        policy = json_object_new_object();
        counts = json_object_new_object();
        quota = json_object_new_object();
        users = json_object_new_array();
        objects = json_object_new_array();
        ctl_json_set(o, "version", ctl_json_string(s->version));
        ctl_json_set(o, "uptime_usec", ctl_json_u64(s->uptime_usec));
        ctl_json_set(o, "policy", policy);
        ctl_json_set(o, "counts", counts);
        ctl_json_set(o, "quota", quota);
        ctl_json_set(o, "users", users);
        ctl_json_set(o, "objects", objects);
        if (!policy || !counts || !quota || !users || !objects)
                return -ENOMEM;

        ctl_json_set(policy, "origin", ctl_json_string(s->origin));
        ctl_json_set(policy, "generation", ctl_json_u64(s->generation));
        ctl_json_set(policy, "kept", ctl_json_bool(s->flags & SHMB_STATUS_KEPT_POLICY));
        ctl_json_set(counts, "rules", ctl_json_u64(s->n_rules));
        ctl_json_set(counts, "connections", ctl_json_u64(s->n_connections));
        ctl_json_set(counts, "objects", ctl_json_u64(s->n_objects));
        ctl_json_set(counts, "orphans", ctl_json_u64(s->n_orphans));
        ctl_json_set(counts, "held", ctl_json_u64(s->n_held));
        ctl_json_set(counts, "app_sockets", ctl_json_u64(s->n_app_sockets));
        ctl_json_set(quota, "connections", json_limit(s->max_connections, UINT32_MAX));
        ctl_json_set(quota, "objects", json_limit(s->max_objects, UINT64_MAX));
        ctl_json_set(quota, "bytes", json_limit(s->max_bytes, UINT64_MAX));

        for (i = 0; i < s->n_users; i++) {
                const struct shmb_status_user *u = &s->users[i];
                struct json_object *ju = json_object_new_object();

                if (!ju || json_object_array_add(users, ju) < 0) {
                        json_object_put(ju);
                        return -ENOMEM;
                }
                ctl_json_set(ju, "uid", ctl_json_u64(u->uid));
                ctl_json_set(ju, "user", ctl_json_string(ctl_user_name(u->uid)));
                ctl_json_set(ju, "connections", ctl_json_u64(u->connections));
                ctl_json_set(ju, "objects", ctl_json_u64(u->objects));
                ctl_json_set(ju, "bytes", ctl_json_u64(u->bytes));
        }
        r = ctl_list_details(c, SHMB_LIST_ALL, NULL, objects);
        if (r < 0)
                return r;
        return ctl_json_print(o, false);
}

int cmd_status(struct shmb_client *c, char **args)
{
        struct shmb_status *s = NULL;
        int r;

        r = shmb_status(c, &s);
        if (r < 0)
                return ctl_fail(c, "status", r);
        if (arg_given & OPT_JSON)
                r = json_status(c, s);
        else
                r = print_status(c, s);
        shmb_status_free(s);
        if (r < 0)
                return ctl_fail(c, "status", r);
        return 0;
}
