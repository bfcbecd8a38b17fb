/* SPDX-License-Identifier: MIT */
/*
 * resolver.c - name service lookups in the resolver's thread (see resolver.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "hashmap.h"
#include "limits.h"
#include "list.h"
#include "macro.h"
#include "nss.h"
#include "resolver.h"

/*
 * One lookup per uid at a time, shared by every connection of that uid that waits for it: a
 * uid whose lookups hang holds one of the worker's threads, not one per connection it opens
 * (the worker has LIMIT_RESOLVER_THREADS, and new connections of every user queue behind
 * them).
 */
struct lookup {
        struct worker_job job;
        struct hashmap_entry entry;     /* in in_flight, under key */
        char key[16];
        uid_t uid;
        /* Filled in the worker's thread; copied to each waiter's identity in the loop's. */
        char *user_name;
        bool failed;                    /* the name service failed: no name, not none */
        bool has_user_group;
        gid_t user_group;
        bool answered;                  /* false: never run (worker_abandon()) */
        bool stale;                     /* began before a reload: its answer is not kept,
                                         * and no one new waits for it */
        /* The loop's side: those waiting for it, newest first. */
        struct resolve_job *waiters;
};

struct resolve_job {
        struct resolve_job *next;
        struct identity *id;            /* NULL once cancelled */
        void (*done)(void *userdata);
        void *userdata;
};

/* The lookups running or queued, by uid: touched in the loop's thread only. */
static struct hashmap in_flight;
static size_t n_in_flight;

/*
 * Answers kept for a while, by uid, oldest first (when it is full, the oldest goes, expired or
 * not; an expired one goes when it is next asked for): a uid's next connections are not looked up again, and
 * do not queue behind lookups that hang for other uids (LIMIT_RESOLVER_KNOWN_USEC). Only an
 * answer fills it, so uids whose lookups hang cannot push the others out while they hang.
 * Touched in the loop's thread only.
 */
struct known {
        struct hashmap_entry entry;     /* in known, under key */
        struct list_node order;         /* in known_order */
        char key[16];
        char *user_name;                /* NULL: the uid has no name */
        bool has_user_group;
        gid_t user_group;
        uint64_t until_usec;
};

static struct hashmap known;
static struct list_node known_order = LIST_HEAD_INIT(known_order);
static size_t n_known;

/* The lookups, on plain values: safe in any thread. */
static void lookup(uid_t uid, char **ret_name, bool *ret_failed, bool *ret_has_group,
                   gid_t *ret_group)
{
        int r;

        *ret_name = NULL;
        *ret_has_group = false;
        /* A uid without a name is not an error: %u then matches nothing for it. Nor is a name
         * without a group of the same name: Group=%u then refuses its creates. A name service
         * that fails is taken the same way for a connection, but said (*ret_failed): an
         * object's creator is not recorded as nameless on its word (creators.c). */
        r = nss_user_name_by_uid(uid, ret_name);
        *ret_failed = r < 0 && r != -ENOENT;
        if (r < 0)
                return;
        *ret_has_group = nss_group_by_name(*ret_name, ret_group) >= 0;
}

static void apply(struct identity *id, char *name, bool failed, bool has_group, gid_t group)
{
        free(id->user_name);
        id->user_name = name;
        id->user_name_resolved = true;
        id->user_name_failed = failed;
        id->has_user_group = has_group;
        id->user_group = group;
        id->user_group_resolved = true;
}

void resolver_resolve(struct identity *id)
{
        char *name;
        bool failed, has_group;
        gid_t group = (gid_t) -1;

        lookup(id->uid, &name, &failed, &has_group, &group);
        apply(id, name, failed, has_group, group);
}

static void known_drop(struct known *k)
{
        (void) hashmap_remove(&known, k->key);
        list_remove(&k->order);
        free(k->user_name);
        free(k);
        if (--n_known == 0)
                hashmap_deinit(&known);
}

/* The answer kept for @key, if it is still fresh. */
static struct known *known_get(const char *key)
{
        struct hashmap_entry *e;
        struct known *k;

        if (n_known == 0 || !(e = hashmap_get(&known, key)))
                return NULL;
        k = container_of(e, struct known, entry);
        if (now_usec() < k->until_usec)
                return k;
        known_drop(k);
        return NULL;
}

/* Keeps @l's answer; without memory for it, it is simply not kept. */
static void known_put(const struct lookup *l)
{
        struct hashmap_entry *e;
        struct known *k;

        if (n_known > 0 && (e = hashmap_get(&known, l->key)))
                known_drop(container_of(e, struct known, entry));
        if (n_known >= LIMIT_RESOLVER_KNOWN)
                known_drop(list_entry(list_first(&known_order), struct known, order));
        k = calloc(1, sizeof(*k));
        if (!k)
                return;
        if (l->user_name && !(k->user_name = strdup(l->user_name))) {
                free(k);
                return;
        }
        if (n_known == 0 && hashmap_init(&known) < 0) {
                free(k->user_name);
                free(k);
                return;
        }
        (void) snprintf(k->key, sizeof(k->key), "%s", l->key);
        k->entry.key = k->key;
        k->has_user_group = l->has_user_group;
        k->user_group = l->user_group;
        k->until_usec = now_usec() + (l->user_name ? LIMIT_RESOLVER_KNOWN_USEC
                                                   : LIMIT_RESOLVER_KNOWN_NONE_USEC);
        hashmap_put(&known, &k->entry);
        list_append(&known_order, &k->order);
        n_known++;
}

static void lookup_make_stale(struct hashmap_entry *e)
{
        container_of(e, struct lookup, entry)->stale = true;
}

void resolver_forget(void)
{
        while (n_known > 0)
                known_drop(list_entry(list_first(&known_order), struct known, order));
        /* A lookup running now may answer with what was true before the reload: it still
         * answers those waiting for it, but is kept for nobody, and a connection from now on
         * asks anew. */
        if (n_in_flight > 0) {
                hashmap_clear(&in_flight, lookup_make_stale);
                hashmap_deinit(&in_flight);
                n_in_flight = 0;
        }
}

static void lookup_run(struct worker_job *j)
{
        struct lookup *l = container_of(j, struct lookup, job);

        lookup(l->uid, &l->user_name, &l->failed, &l->has_user_group, &l->user_group);
        l->answered = true;
}

static void lookup_done(struct worker_job *j)
{
        struct lookup *l = container_of(j, struct lookup, job);
        struct resolve_job *w = TAKE_PTR(l->waiters), *next;

        if (!l->stale) {
                (void) hashmap_remove(&in_flight, l->key);
                if (--n_in_flight == 0)
                        hashmap_deinit(&in_flight);
        }
        /* A failure is not kept: the uid's next connection asks again. */
        if (l->answered && !l->failed && !l->stale)
                known_put(l);
        /* A callback may free other connections, whose waiters are cancelled then: each is
         * looked at only when its turn comes, and freed after. */
        for (; w; w = next) {
                next = w->next;
                if (w->id) {
                        /* Without memory for a copy (or never run): no name, as when the
                         * service says none, but said to be a failure. */
                        char *name = l->user_name ? strdup(l->user_name) : NULL;
                        bool failed = !name && (l->failed || l->user_name || !l->answered);

                        apply(w->id, name, failed, name && l->has_user_group, l->user_group);
                        w->done(w->userdata);
                }
                free(w);
        }
        free(l->user_name);
        free(l);
}

/* The lookup of @uid that is running or queued, or a new one pushed; NULL: no memory. */
static struct lookup *lookup_get(struct worker *resolver, uid_t uid)
{
        struct hashmap_entry *e;
        struct lookup *l;
        char key[16];

        (void) snprintf(key, sizeof(key), "%u", (unsigned) uid);
        if (n_in_flight > 0 && (e = hashmap_get(&in_flight, key)))
                return container_of(e, struct lookup, entry);
        if (n_in_flight == 0 && hashmap_init(&in_flight) < 0)
                return NULL;
        l = calloc(1, sizeof(*l));
        if (!l) {
                if (n_in_flight == 0)
                        hashmap_deinit(&in_flight);
                return NULL;
        }
        l->job = (struct worker_job) { .run = lookup_run, .done = lookup_done };
        l->uid = uid;
        l->user_group = (gid_t) -1;
        (void) snprintf(l->key, sizeof(l->key), "%s", key);
        l->entry.key = l->key;
        hashmap_put(&in_flight, &l->entry);
        n_in_flight++;
        worker_push(resolver, &l->job);
        return l;
}

int resolver_lookup(struct worker *resolver, struct identity *id,
                    void (*done)(void *userdata), void *userdata, struct resolve_job **ret)
{
        struct resolve_job *r;
        struct lookup *l;
        struct known *k;
        char key[16];

        *ret = NULL;
        if (!resolver) {
                resolver_resolve(id);
                return 0;
        }
        (void) snprintf(key, sizeof(key), "%u", (unsigned) id->uid);
        k = known_get(key);
        if (k) {
                char *name = k->user_name ? strdup(k->user_name) : NULL;

                if (!name && k->user_name)
                        return -ENOMEM;
                apply(id, name, false, k->has_user_group, k->user_group);
                return 0;
        }
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        l = lookup_get(resolver, id->uid);
        if (!l) {
                free(r);
                return -ENOMEM;
        }
        *r = (struct resolve_job) { .next = l->waiters, .id = id, .done = done,
                                    .userdata = userdata };
        l->waiters = r;
        *ret = r;
        return 0;
}

void resolver_cancel(struct resolve_job *j)
{
        if (j)
                j->id = NULL;
}
