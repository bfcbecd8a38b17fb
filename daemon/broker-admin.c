/* SPDX-License-Identifier: MIT */
/*
 * broker-admin.c - what the daemon tells about itself: STATUS (admins), every object with its
 * details (LIST and STAT with NAME_ALL, admins), and EXPLAIN (anyone about themselves, admins
 * about anyone), which reports what the decisions of broker.c answer for an identity.
 *
 * Admins see metadata. An fd goes to an admin only as the policy grants it, like to anyone.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "appid.h"
#include "audit.h"
#include "broker-internal.h"
#include "clock.h"
#include "limits.h"
#include "log.h"
#include "macro.h"

static int require_admin(struct request_ctx *c)
{
        if (broker_is_admin(c->b, c->id))
                return 0;
        /* The audit record names what was asked about, where the request names something. */
        if (c->req->name_len > 0 &&
            shmb_name_normalize(c->req->name, c->req->name_len, c->name) < 0)
                c->name[0] = '\0';
        return broker_refuse(c, -EPERM, SHMB_PROTO_REASON_NOT_ADMIN,
                             "only the daemon's admins may ask this");
}

/* ---- STATUS ---- */

/* Users in one STATUS page: as LIST, a page costs what it holds. */
#define STATUS_PAGE_USERS 256

static int compare_uid(const void *a, const void *b)
{
        uint32_t x = ((const struct shmb_proto_status_user *) a)->uid;
        uint32_t y = ((const struct shmb_proto_status_user *) b)->uid;

        return (x > y) - (x < y);
}

/* The cursor: empty, or the last uid of the previous page in decimal. */
static int parse_cursor(const struct request_ctx *c, bool *ret_any, uint32_t *ret_uid)
{
        unsigned long long v = 0;
        size_t i;

        *ret_any = c->req->name_len == 0;
        *ret_uid = 0;
        if (*ret_any)
                return 0;
        if (c->req->name_len > 10)
                return -EINVAL;
        for (i = 0; i < c->req->name_len; i++) {
                if (c->req->name[i] < '0' || c->req->name[i] > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned) (c->req->name[i] - '0');
        }
        if (v > UINT32_MAX)
                return -EINVAL;
        *ret_uid = (uint32_t) v;
        return 0;
}

int broker_handle_status(struct request_ctx *c, void *buf, size_t size)
{
        const struct policy_quota *q = &c->b->policy->quota;
        struct shmb_proto_status_reply st = {};
        _cleanup_(freep) struct shmb_proto_status_user *users = NULL;
        const struct user_table *t = &c->b->users;
        size_t i, n = 0, n_page;
        struct object *o;
        uint32_t after;
        bool from_start;
        int r;

        r = require_admin(c);
        if (r < 0)
                return r;
        r = parse_cursor(c, &from_start, &after);
        if (r < 0)
                return r;

        st.uptime_usec = now_usec() - c->b->started_usec;
        st.generation = registry_generation(c->b->registry);
        st.n_rules = (uint32_t) c->b->policy->n_rules;
        st.n_held = (uint32_t) c->b->held.n;
        st.max_objects = q->max_objects;
        st.max_bytes = q->max_bytes;
        st.max_connections = q->max_connections > UINT32_MAX ? UINT32_MAX
                                                             : (uint32_t) q->max_connections;
        if (c->b->kept_policy)
                st.flags |= SHMB_PROTO_STATUS_KEPT_POLICY;
        for (o = registry_first(c->b->registry); o; o = registry_next(c->b->registry, o)) {
                st.n_objects++;
                if (o->orphan)
                        st.n_orphans++;
        }

        /* Every uid the daemon knows (it holds a charge: a connection, an object, ...). */
        users = calloc(t->n_users ? t->n_users : 1, sizeof(*users));
        if (!users)
                return -ENOMEM;
        for (i = 0; i < t->n_buckets; i++) {
                const struct user *u;

                for (u = t->buckets[i]; u; u = u->hash_next) {
                        st.n_connections += (uint32_t) u->used[USER_SLOT_CONNECTIONS];
                        st.n_app_sockets += (uint32_t) u->used[USER_SLOT_APP_SOCKETS];
                        if (!from_start && (uint32_t) u->uid <= after)
                                continue;
                        if (n == t->n_users)
                                continue;
                        users[n++] = (struct shmb_proto_status_user) {
                                .uid = (uint32_t) u->uid,
                                .connections = (uint32_t) u->used[USER_SLOT_CONNECTIONS],
                                .objects = u->used[USER_SLOT_OBJECTS],
                                .bytes = u->used[USER_SLOT_BYTES],
                        };
                }
        }
        qsort(users, n, sizeof(*users), compare_uid);
        n_page = n < STATUS_PAGE_USERS ? n : STATUS_PAGE_USERS;
        if (n > n_page)
                st.flags |= SHMB_PROTO_STATUS_MORE;
        return shmb_proto_encode_status_reply(buf, size, c->req->seq, &st, PACKAGE_VERSION,
                                              c->b->origin ? c->b->origin : "", users, n_page);
}

/* ---- LIST and STAT of every object (admins), LIST with details ---- */

struct all_ctx {
        struct request_ctx *c;
        struct shmb_proto_list_builder lb;
        uint32_t flags;
        int error;
};

static void detail_of(const struct broker *b, const struct object *o,
                      struct shmb_proto_list_detail *ret)
{
        *ret = (struct shmb_proto_list_detail) {
                .size = o->size,
                .ctime_usec = o->ctime_usec,
                .lifetime_usec = o->lifetime.kind == POLICY_LIFETIME_SPAN ? o->lifetime.usec : 0,
                .backend = (uint32_t) o->backend,
                .flags = broker_object_flags(b, o),
                .creator = (uint32_t) o->creator.uid,
                .lifetime = broker_proto_lifetime(&o->lifetime),
        };
        if (o->lifetime.kind == POLICY_LIFETIME_SPAN) {
                uint64_t end = lifetime_deadline(o), now = lifetime_now();
                uint64_t sec = end > now ? (end - now + 999999) / 1000000 : 1;

                ret->ends_in_sec = sec == 0 ? 1 : sec > UINT32_MAX ? UINT32_MAX : (uint32_t) sec;
        }
}

static bool all_one(struct object *o, void *userdata)
{
        struct all_ctx *a = userdata;
        struct shmb_proto_list_detail d;
        int r;

        /* Without NAME_ALL, as LIST: others' fresh objects are not there yet. */
        if (!(a->c->req->flags & SHMB_PROTO_NAME_ALL) && (o->flags & OBJECT_FRESH) &&
            !object_created_by(o, a->c->id))
                return true;
        if (a->lb.n_names >= LIMIT_LIST_PAGE_NAMES)
                r = -ENOBUFS;
        else if (a->c->req->flags & SHMB_PROTO_NAME_DETAILS) {
                detail_of(a->c->b, o, &d);
                r = shmb_proto_list_append_detailed(&a->lb, o->name, &d, o->rule_id,
                                                    o->creator.app_id);
        } else
                r = shmb_proto_list_append(&a->lb, o->name);
        if (r == -ENOBUFS) {
                a->flags |= SHMB_PROTO_LIST_MORE;
                return false;
        }
        if (r < 0) {
                a->error = r;
                return false;
        }
        return true;
}

/* STAT with NAME_ALL: any object the daemon holds, orphans included, for the admins. */
static int stat_all(struct request_ctx *c, void *buf, size_t size)
{
        struct object *o;
        int r;

        r = shmb_name_normalize(c->req->name, c->req->name_len, c->name);
        if (r < 0) {
                c->name[0] = '\0';
                return r;
        }
        o = registry_lookup(c->b->registry, c->name);
        if (!o)
                return broker_refuse(c, -ENOENT, SHMB_PROTO_REASON_NO_OBJECT, NULL);
        /* The rights shown are the admin's own under the rule that decides for it. */
        c->rule = policy_match(c->b->policy, c->name, c->id);
        c->rights = c->rule ? policy_rights(c->rule, c->id) : 0;
        return broker_stat_reply(c, o, buf, size);
}

int broker_list_all(struct request_ctx *c, void *buf, size_t size)
{
        struct all_ctx a = { .c = c };
        struct object *o;
        int r;

        if (c->req->flags & SHMB_PROTO_NAME_ALL) {
                r = require_admin(c);
                if (r < 0)
                        return r;
        }
        if (c->req->type == SHMB_PROTO_STAT)
                return stat_all(c, buf, size);

        if (c->req->name_len > 0) {
                r = shmb_name_normalize(c->req->name, c->req->name_len, c->name);
                if (r < 0)
                        return r;
        }
        r = shmb_proto_list_begin(&a.lb, buf, size, c->req->seq);
        if (r < 0)
                return r;
        if (c->req->flags & SHMB_PROTO_NAME_ALL) {
                /* Every object, in name order from the cursor: O(page). */
                for (o = c->name[0] ? registry_first_after(c->b->registry, c->name)
                                    : registry_first(c->b->registry);
                     o && all_one(o, &a); o = registry_next(c->b->registry, o))
                        ;
        } else
                registry_list(c->b->registry, c->b->policy, c->id, c->name, all_one, &a);
        if (a.error < 0)
                return a.error;
        /* Detailed when details were asked for, an empty page too. */
        if (c->req->flags & SHMB_PROTO_NAME_DETAILS)
                a.flags |= SHMB_PROTO_LIST_DETAILS;
        return shmb_proto_list_finish(&a.lb, a.flags);
}

/* UNLINK with NAME_ALL: the admins clean up, whatever the rules say of the name for them. */
int broker_unlink_any(struct request_ctx *c, void *buf, size_t size)
{
        struct object *o;
        int r;

        r = require_admin(c);
        if (r < 0)
                return r;
        r = shmb_name_normalize(c->req->name, c->req->name_len, c->name);
        if (r < 0) {
                c->name[0] = '\0';
                return r;
        }
        o = registry_lookup(c->b->registry, c->name);
        if (!o)
                return broker_refuse(c, -ENOENT, SHMB_PROTO_REASON_NO_OBJECT, NULL);
        c->rule = o->rule;
        r = broker_remove(c->b, o);
        if (r < 0 && r != -ENOENT)
                return r;
        audit_record(c->id, "unlink", c->name, "none", c->rule ? c->rule->id : NULL, 0);
        return shmb_proto_encode_ok(buf, size, c->req->seq);
}

/* ---- EXPLAIN ---- */

/* The identity EXPLAIN is about: the caller's, or the one given (admins); @app as asked. */
static int explained_identity(struct request_ctx *c, struct identity *ret, gid_t *groups)
{
        const struct shmb_proto_request *req = c->req;
        struct identity id = *c->id;
        size_t i;
        int r;

        if (req->flags & SHMB_PROTO_EXPLAIN_USER) {
                r = require_admin(c);
                if (r < 0)
                        return r;
                id = (struct identity) {
                        .uid = (uid_t) req->uid, .gid = (gid_t) req->gid,
                        .groups = groups, .n_groups = req->n_groups,
                        .user_name = req->user_name_len ? (char *) req->user_name : NULL,
                        .user_name_resolved = true,
                };
                for (i = 0; i < req->n_groups; i++) {
                        uint32_t g;

                        memcpy(&g, req->groups + 4 * i, sizeof(g));
                        groups[i] = (gid_t) g;
                }
                /* Group=%u needs the user's group, looked up as at accept (resolver.c). */
                id.user_group_resolved = false;
        }
        id.app_id = NULL;
        id.has_peer_fd = false;
        if (req->flags & SHMB_PROTO_EXPLAIN_APP) {
                if (!shmb_app_id_valid(req->app, req->app_len))
                        return -EINVAL;
                /* An app asks as itself: another app's view would show it that app's
                 * objects. (Its user can mint that app's socket anyway.) */
                if (c->id->app_id && strcmp(c->id->app_id, req->app) != 0)
                        return broker_refuse(c, -EPERM, SHMB_PROTO_REASON_APP_SOCKET,
                                             "an app may explain only as itself");
                id.app_id = (char *) req->app;
        } else if (!(req->flags & SHMB_PROTO_EXPLAIN_USER))
                id.app_id = c->id->app_id; /* about oneself: as one is */
        *ret = id;
        return 0;
}

/* One verb's verdict: its errno (positive; 0 allowed) and reason, what a plain refusal hides
 * told to the admins. */
static void verdict(const struct request_ctx *v, int r, bool detailed, int32_t *ret_error,
                    uint32_t *ret_reason)
{
        *ret_error = r < 0 ? -r : 0;
        *ret_reason = r < 0 ? v->reason : SHMB_PROTO_REASON_NONE;
        if (r < 0 && detailed && v->detail != SHMB_PROTO_REASON_NONE)
                *ret_reason = v->detail;
        if (r < 0 && *ret_reason == SHMB_PROTO_REASON_NONE && r == -ENOENT)
                *ret_reason = SHMB_PROTO_REASON_NO_OBJECT;
}

/* For OPEN read-only: what a handout would check on the inode (owner, mode, ACL). */
static int explain_read_only(struct request_ctx *v, struct object *o)
{
        struct backend *be = broker_backend(v->b, o->backend);
        _cleanup_(closep) int fd = -1;
        struct stat st;
        int r;

        r = be->ops->open(be, o, O_RDONLY, &fd, &st);
        if (r == -ENOENT)
                return broker_refuse(v, -ENOENT, SHMB_PROTO_REASON_NO_OBJECT, NULL);
        if (r < 0)
                return r;
        return broker_check_inode_access(v, fd, &st);
}

int broker_handle_explain(struct request_ctx *c, void *buf, size_t size)
{
        static const uint32_t open_access[] = {
                [SHMB_PROTO_VERB_OPEN_RW] = SHMB_PROTO_ACCESS_RDWR,
                [SHMB_PROTO_VERB_OPEN_RO] = SHMB_PROTO_ACCESS_RDONLY,
        };
        gid_t groups[SHMB_PROTO_GROUPS_MAX];
        struct shmb_proto_explain_reply ex = {};
        const struct policy_rule *rule = NULL;
        struct identity id;
        struct object *o, *existing;
        bool detailed;
        int verb, r;

        r = explained_identity(c, &id, groups);
        if (r < 0)
                return r;
        r = shmb_name_normalize(c->req->name, c->req->name_len, c->name);
        if (r < 0) {
                c->name[0] = '\0';
                return r;
        }
        detailed = broker_is_admin(c->b, c->id);
        if (detailed)
                ex.flags |= SHMB_PROTO_EXPLAIN_DETAILED;
        ex.uid = (uint32_t) id.uid;

        for (verb = 0; verb < _SHMB_PROTO_VERB_MAX; verb++) {
                struct shmb_proto_request sub = *c->req;
                struct request_ctx v = { .b = c->b, .id = &id, .req = &sub, .dry_run = true };
                uint32_t access;

                r = broker_resolve(&v);
                if (r >= 0) {
                        rule = v.rule;
                        ex.rights = v.rights;
                        switch (verb) {
                        case SHMB_PROTO_VERB_CREATE:
                                r = broker_decide_create(&v, SHMB_PROTO_ACCESS_NONE, NULL,
                                                         &access);
                                break;
                        case SHMB_PROTO_VERB_OPEN_RW:
                        case SHMB_PROTO_VERB_OPEN_RO:
                                r = broker_decide_open(&v, open_access[verb], &o, &access);
                                if (r >= 0 && access == SHMB_PROTO_ACCESS_RDONLY)
                                        r = explain_read_only(&v, o);
                                break;
                        case SHMB_PROTO_VERB_UNLINK:
                                r = broker_decide_unlink(&v, &o);
                                break;
                        case SHMB_PROTO_VERB_STAT:
                                r = broker_decide_stat(&v, &o);
                                break;
                        }
                }
                /* As an UNLINK goes (unlink_any_rule()): these before any rule decides. */
                if (verb == SHMB_PROTO_VERB_UNLINK &&
                    broker_may_unlink_any_rule(c->b, &id, registry_lookup(c->b->registry,
                                                                          c->name)))
                        r = 0;
                verdict(&v, r, detailed, &ex.error[verb], &ex.reason[verb]);
        }

        existing = registry_lookup(c->b->registry, c->name);
        if (existing) {
                struct request_ctx v = { .b = c->b, .id = &id, .req = c->req, .dry_run = true };

                ex.flags |= SHMB_PROTO_EXPLAIN_OBJECT;
                memcpy(v.name, c->name, sizeof(v.name));
                v.rule = rule;
                if (rule && broker_lookup_own(&v, &o) >= 0 && broker_visible(c->b, o, &id))
                        ex.flags |= SHMB_PROTO_EXPLAIN_HANDED;
                else if (!rule)
                        ex.object_reason = SHMB_PROTO_REASON_NO_RULE;
                else if (v.reason == SHMB_PROTO_REASON_NONE)
                        ex.object_reason = SHMB_PROTO_REASON_NO_READ; /* its own, unreadable */
                else
                        ex.object_reason = detailed && v.detail ? v.detail : v.reason;
                /* Existence is no secret to whoever could open it; to others it is. */
                if (!detailed && !(ex.flags & SHMB_PROTO_EXPLAIN_HANDED)) {
                        ex.flags &= ~SHMB_PROTO_EXPLAIN_OBJECT;
                        ex.object_reason = SHMB_PROTO_REASON_NONE;
                }
        } else if (detailed) {
                struct backend *shm = broker_backend(c->b, POLICY_BACKEND_SHM);

                /* A file the daemon did not make is no object; the admins hear of it. */
                if (shm->ops->probe(shm, c->name) > 0)
                        ex.object_reason = SHMB_PROTO_REASON_NOT_BROKERED;
        }
        if (rule)
                ex.flags |= SHMB_PROTO_EXPLAIN_RULE;
        else
                ex.rights = 0;
        return shmb_proto_encode_explain_reply(buf, size, c->req->seq, &ex,
                                               rule ? rule->id : NULL,
                                               id.user_name);
}
