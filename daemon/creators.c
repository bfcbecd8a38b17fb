/* SPDX-License-Identifier: MIT */
/*
 * creators.c - creators' user names looked up off the loop for the objects they made (see
 * creators.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "creators.h"
#include "log.h"
#include "macro.h"
#include "reconcile.h"
#include "resolver.h"
#include "server.h"

/* One creator's lookup, for all of its objects; in the server's list while it runs. */
struct creator_lookup {
        struct creator_lookup *next;
        struct server *server;
        struct identity id;             /* filled by the resolver */
        struct resolve_job *job;        /* NULL once answered (or answered at once) */
};

static bool pending(const struct server *s, uid_t uid)
{
        const struct creator_lookup *l;

        for (l = s->creator_lookups; l; l = l->next)
                if (l->id.uid == uid)
                        return true;
        return false;
}

static void lookup_unlink(struct creator_lookup *l)
{
        struct creator_lookup **p;

        for (p = &l->server->creator_lookups; *p; p = &(*p)->next)
                if (*p == l) {
                        *p = l->next;
                        break;
                }
        l->server->broker->names_pending--;
}

/* The answer: every object of the uid whose name was unknown gets it, and is decided again
 * under the policy in force now (a reload may have come meanwhile). */
static void looked_up(void *userdata)
{
        struct creator_lookup *l = userdata;
        struct server *s = l->server;
        struct broker *b = s->broker;
        struct object *o, *next;
        size_t n = 0;

        l->job = NULL;
        lookup_unlink(l);
        if (l->id.user_name_failed) {
                /* Not "no name": its objects stay refused rather than be decided without. */
                log_warning("Cannot look up the user name of uid %u (the name service failed); "
                            "its objects stay refused until the next reload.",
                            (unsigned) l->id.uid);
                goto done;
        }
        for (o = registry_first(b->registry); o; o = next) {
                next = registry_next(b->registry, o);
                if (o->creator.uid != l->id.uid || o->creator.name_known)
                        continue;
                if (l->id.user_name && !(o->creator.user_name = strdup(l->id.user_name))) {
                        /* Stays refused; the next reload tries again. */
                        log_warning("Object '%s': no memory for its creator's name; it stays "
                                    "refused until the next reload.", log_name(o->name));
                        continue;
                }
                o->creator.name_known = true;
                reconcile_object(b, o);
                n++;
        }
        if (n > 0)
                log_info("The user name of uid %u is %s%s%s: %zu of its object(s) decided "
                         "again.", (unsigned) l->id.uid, l->id.user_name ? "'" : "",
                         l->id.user_name ? l->id.user_name : "none",
                         l->id.user_name ? "'" : "", n);
done:
        identity_deinit(&l->id);
        free(l);
        reconcile_conform_report(b);
}

static int lookup_start(struct server *s, uid_t uid)
{
        struct creator_lookup *l;
        int r;

        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        *l = (struct creator_lookup) { .next = s->creator_lookups, .server = s,
                                       .id = { .uid = uid, .gid = (gid_t) -1 } };
        s->creator_lookups = l;
        s->broker->names_pending++;
        r = resolver_lookup(s->resolver, &l->id, looked_up, l, &l->job);
        if (r < 0) {
                lookup_unlink(l);
                free(l);
                return r;
        }
        /* Answered at once (a kept answer, or no worker): no callback comes. */
        if (!l->job)
                looked_up(l);
        return 0;
}

static int compare_uid(const void *a, const void *b)
{
        uid_t x = *(const uid_t *) a, y = *(const uid_t *) b;

        return x < y ? -1 : x > y;
}

/* The distinct uids of the creators whose names were never looked up, sorted. */
static int unknown_creators(const struct broker *b, uid_t **ret, size_t *ret_n)
{
        const struct object *o;
        uid_t *v = NULL;
        size_t n = 0, m = 0, i;

        for (o = registry_first(b->registry); o; o = registry_next(b->registry, o))
                if (!o->creator.name_known)
                        n++;
        if (n > 0) {
                v = malloc(n * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                for (o = registry_first(b->registry); o; o = registry_next(b->registry, o))
                        if (!o->creator.name_known)
                                v[m++] = o->creator.uid;
                qsort(v, m, sizeof(*v), compare_uid);
                for (i = 1, n = 1; i < m; i++)
                        if (v[i] != v[n - 1])
                                v[n++] = v[i];
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

void creators_resolve(struct server *s)
{
        _cleanup_(freep) uid_t *uids = NULL;
        size_t n, i;
        int r;

        if (!s->broker->policy->needs_user_names)
                return;
        /* Collected first: a kept answer is applied at once (looked_up()), which may forget
         * objects, so the registry is not walked meanwhile. */
        r = unknown_creators(s->broker, &uids, &n);
        if (r < 0) {
                log_warning_errno(r, "Cannot look up the user names of objects' creators, whose "
                                  "objects stay refused until the next reload: %m");
                return;
        }
        for (i = 0; i < n; i++) {
                if (pending(s, uids[i]))
                        continue;
                r = lookup_start(s, uids[i]);
                if (r < 0)
                        log_warning_errno(r, "Cannot look up the user name of uid %u, whose "
                                          "objects stay refused until the next reload: %m",
                                          (unsigned) uids[i]);
        }
}

void creators_cancel_all(struct server *s)
{
        struct creator_lookup *l;

        while ((l = s->creator_lookups)) {
                resolver_cancel(l->job);
                lookup_unlink(l);
                identity_deinit(&l->id);
                free(l);
        }
}
