/* SPDX-License-Identifier: MIT */
/*
 * ctl-show.c - the shmbrokerctl commands that describe segments: stat and list, for people
 * (key: value lines, names, aligned columns) and for scripts (--json).
 *
 * With --all they ask as the broker's admins may (every segment, orphans included); the broker
 * decides who that is. Not here: the broker-wide view (ctl-status.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"

#define CELL 512

/* ---------------------------------------------------------------- stat */

static const char *acl_tag_name(uint32_t tag)
{
        switch (tag) {
        case SHMB_ACL_USER_OBJ:
                return "user_obj";
        case SHMB_ACL_USER:
                return "user";
        case SHMB_ACL_GROUP_OBJ:
                return "group_obj";
        case SHMB_ACL_GROUP:
                return "group";
        case SHMB_ACL_MASK:
                return "mask";
        case SHMB_ACL_OTHER:
                return "other";
        default:
                return NULL;
        }
}

static void format_perm(char *buf, uint32_t perm)
{
        buf[0] = (perm & 4) ? 'r' : '-';
        buf[1] = (perm & 2) ? 'w' : '-';
        buf[2] = (perm & 1) ? 'x' : '-';
        buf[3] = '\0';
}

/* One entry as getfacl(1) writes it: "user:alice:r--", "mask::rw-". */
static void print_acl_entry(const struct shmb_acl_entry *e)
{
        char who[CELL], perm[4];

        format_perm(perm, e->perm);
        switch (e->tag) {
        case SHMB_ACL_USER:
                ctl_format_user(who, sizeof(who), e->id);
                printf("  user:%s:%s\n", who, perm);
                break;
        case SHMB_ACL_GROUP:
                ctl_format_group(who, sizeof(who), e->id);
                printf("  group:%s:%s\n", who, perm);
                break;
        case SHMB_ACL_USER_OBJ:
        case SHMB_ACL_GROUP_OBJ:
        case SHMB_ACL_MASK:
        case SHMB_ACL_OTHER:
                printf("  %s::%s\n", e->tag == SHMB_ACL_USER_OBJ ? "user" :
                                     e->tag == SHMB_ACL_GROUP_OBJ ? "group" :
                                     e->tag == SHMB_ACL_MASK ? "mask" : "other", perm);
                break;
        default:
                /* A tag from a newer broker: show it rather than hide an entry. */
                printf("  tag-0x%" PRIx32 ":%" PRIu32 ":%s\n", e->tag, e->id, perm);
                break;
        }
}

static void print_stat(const char *name, const struct shmb_stat *st)
{
        struct ctl_object o;
        char buf[CELL], who[CELL];
        const char *b = ctl_backend_name(st->backend);
        uint32_t i;

        printf("name:     %s\n", name);
        printf("size:     %" PRIu64 "\n", st->size);
        ctl_format_user(who, sizeof(who), st->uid);
        printf("owner:    %s (%" PRIu32 ")\n", who, st->uid);
        ctl_format_group(who, sizeof(who), st->gid);
        printf("group:    %s (%" PRIu32 ")\n", who, st->gid);
        printf("mode:     %04" PRIo32 "\n", st->mode & 07777);
        if (b)
                printf("backend:  %s\n", b);
        else
                printf("backend:  unknown (%" PRIu32 ")\n", st->backend);
        ctl_format_rights(buf, sizeof(buf), st->rights);
        printf("rights:   %s\n", buf);
        ctl_escape(buf, sizeof(buf), st->rule);
        printf("rule:     %s\n", buf[0] ? buf : "-");
        ctl_format_user(who, sizeof(who), st->creator);
        ctl_escape(buf, sizeof(buf), st->app);
        if (buf[0])
                printf("creator:  %s (%" PRIu32 "), app %s\n", who, st->creator, buf);
        else
                printf("creator:  %s (%" PRIu32 ")\n", who, st->creator);
        if (st->ctime_usec > 0) {
                char age[64];
                uint64_t now = ctl_now_usec();

                ctl_format_time(buf, sizeof(buf), st->ctime_usec);
                ctl_format_age(age, sizeof(age), now > st->ctime_usec ? now - st->ctime_usec : 0);
                printf("created:  %s (%s ago)\n", buf, age);
        } else
                printf("created:  -\n");
        ctl_object_from_stat(&o, name, st);
        ctl_format_lifetime(buf, sizeof(buf), &o);
        printf("lifetime: %s\n", buf);
        ctl_format_obj_flags(buf, sizeof(buf), st->flags);
        printf("state:    %s\n", buf);
        printf("acl:\n");
        for (i = 0; i < st->n_acl && i < SHMB_ACL_MAX; i++)
                print_acl_entry(&st->acl[i]);
}

static int json_stat(const char *name, const struct shmb_stat *st)
{
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct json_object *acl, *rights;
        struct ctl_object obj;
        char mode[8];
        uint32_t i;

        if (!o)
                return -ENOMEM;
        ctl_object_from_stat(&obj, name, st);
        ctl_json_object_fields(o, &obj);
        ctl_json_set(o, "uid", ctl_json_u64(st->uid));
        ctl_json_set(o, "user", ctl_json_string(ctl_user_name(st->uid)));
        ctl_json_set(o, "gid", ctl_json_u64(st->gid));
        ctl_json_set(o, "group", ctl_json_string(ctl_group_name(st->gid)));
        snprintf(mode, sizeof(mode), "%04" PRIo32, st->mode & 07777);
        ctl_json_set(o, "mode", ctl_json_string(mode));

        rights = json_object_new_array();
        if (!rights)
                return -ENOMEM;
        ctl_json_set(o, "rights", rights);
        if (st->rights & SHMB_RIGHT_READ)
                json_object_array_add(rights, ctl_json_string("read"));
        if (st->rights & SHMB_RIGHT_WRITE)
                json_object_array_add(rights, ctl_json_string("write"));
        if (st->rights & SHMB_RIGHT_CREATE)
                json_object_array_add(rights, ctl_json_string("create"));

        acl = json_object_new_array();
        if (!acl)
                return -ENOMEM;
        ctl_json_set(o, "acl", acl);
        for (i = 0; i < st->n_acl && i < SHMB_ACL_MAX; i++) {
                const struct shmb_acl_entry *e = &st->acl[i];
                struct json_object *je = json_object_new_object();
                bool qualified = e->tag == SHMB_ACL_USER || e->tag == SHMB_ACL_GROUP;
                char perm[4];

                if (!je || json_object_array_add(acl, je) < 0) {
                        json_object_put(je);
                        return -ENOMEM;
                }
                format_perm(perm, e->perm);
                ctl_json_set(je, "tag", ctl_json_string(acl_tag_name(e->tag)));
                ctl_json_set(je, "id", qualified ? ctl_json_u64(e->id) : NULL);
                ctl_json_set(je, "name", !qualified ? NULL :
                             ctl_json_string(e->tag == SHMB_ACL_USER ? ctl_user_name(e->id)
                                                                     : ctl_group_name(e->id)));
                ctl_json_set(je, "perm", ctl_json_string(perm));
        }
        return ctl_json_print(o, false);
}

int cmd_stat(struct shmb_client *c, char **args)
{
        const char *name = args[0];
        /* The broker's canonical form: "/x" and "x" are the same segment. */
        const char *canon = name[0] == '/' ? name + 1 : name;
        struct shmb_stat st;
        int r;

        r = shmb_stat2(c, name, (arg_given & OPT_ALL) ? SHMB_STAT_ALL : 0, &st);
        if (r < 0)
                return ctl_fail(c, name, r);
        if (arg_given & OPT_JSON) {
                r = json_stat(canon, &st);
                if (r < 0)
                        return ctl_fail(NULL, "stdout", r);
        } else {
                char shown[CELL];

                ctl_escape(shown, sizeof(shown), canon);
                print_stat(shown, &st);
        }
        return 0;
}

/* ---------------------------------------------------------------- list */

struct list_ctx {
        struct json_object *array;      /* --json */
        struct ctl_table *table;        /* --long */
        uint64_t now;
};

static int list_name(const char *name, void *userdata)
{
        struct list_ctx *l = userdata;
        struct json_object *o;

        if (!l->array)
                return ctl_print_name("", name);
        o = json_object_new_object();
        if (!o || json_object_array_add(l->array, o) < 0) {
                json_object_put(o);
                return -ENOMEM;
        }
        return ctl_json_set(o, "name", ctl_json_string(name));
}

static int list_detail(const struct shmb_object_info *info, void *userdata)
{
        struct list_ctx *l = userdata;
        char name[CELL], size[32], rule[CELL], creator[CELL], app[CELL], age[64], state[128],
                lifetime[128];
        struct ctl_object obj;
        const char *b;

        ctl_object_from_info(&obj, info);
        if (l->array) {
                struct json_object *o = json_object_new_object();

                if (!o || json_object_array_add(l->array, o) < 0) {
                        json_object_put(o);
                        return -ENOMEM;
                }
                return ctl_json_object_fields(o, &obj);
        }
        ctl_escape(name, sizeof(name), info->name);
        ctl_format_size(size, sizeof(size), info->size);
        ctl_escape(rule, sizeof(rule), info->rule);
        ctl_format_user(creator, sizeof(creator), info->creator);
        ctl_escape(app, sizeof(app), info->app);
        if (info->ctime_usec > 0)
                ctl_format_age(age, sizeof(age),
                                l->now > info->ctime_usec ? l->now - info->ctime_usec : 0);
        else
                snprintf(age, sizeof(age), "-");
        ctl_format_obj_flags(state, sizeof(state), info->flags);
        ctl_format_lifetime(lifetime, sizeof(lifetime), &obj);
        b = ctl_backend_name(info->backend);
        return ctl_table_add(l->table, name, rule[0] ? rule : "-", creator, app[0] ? app : "-",
                             b ? b : "?", size, age, state, lifetime);
}

struct ctl_table *ctl_object_table_new(void)
{
        return ctl_table_new(9, "NAME", "RULE", "CREATOR", "APP", "BACKEND", "SIZE", "AGE",
                             "STATE", "LIFETIME");
}

int ctl_list_details(struct shmb_client *c, unsigned int flags, struct ctl_table *table,
                     struct json_object *array)
{
        struct list_ctx l = { .array = array, .table = table, .now = ctl_now_usec() };
        int r;

        r = shmb_list_details(c, flags, list_detail, &l);
        return r < 0 ? r : 0;
}

int cmd_list(struct shmb_client *c, char **args)
{
        _cleanup_(json_object_putp) struct json_object *array = NULL;
        _cleanup_(ctl_table_freep) struct ctl_table *table = NULL;
        unsigned int flags = (arg_given & OPT_ALL) ? SHMB_LIST_ALL : 0;
        struct list_ctx l = { .now = ctl_now_usec() };
        int r;

        if (arg_given & OPT_JSON) {
                array = l.array = json_object_new_array();
                if (!array)
                        return ctl_fail(NULL, "list", -ENOMEM);
        } else if (arg_given & OPT_LONG) {
                table = l.table = ctl_object_table_new();
                if (!table)
                        return ctl_fail(NULL, "list", -ENOMEM);
        }

        if (arg_given & OPT_LONG)
                r = shmb_list_details(c, flags, list_detail, &l);
        else
                r = shmb_list2(c, flags, list_name, &l);
        if (r < 0)
                return ctl_fail(c, "list", r);

        if (table)
                ctl_table_print(table, false);
        if (array) {
                r = ctl_json_print(array, false);
                if (r < 0)
                        return ctl_fail(NULL, "stdout", r);
        }
        return 0;
}
