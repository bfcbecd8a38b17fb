/* SPDX-License-Identifier: MIT */
/*
 * usage.c - per-uid accounting with linear probing; deletion shifts the rest of the probe run
 * back, so lookups never need tombstones.
 */
#include <errno.h>
#include <stdlib.h>

#include "usage.h"

static size_t slot_of(const struct usage_table *t, uid_t uid)
{
        return ((uint32_t) uid * UINT32_C(2654435761)) & (t->n_slots - 1);
}

int usage_init(struct usage_table *t)
{
        *t = (struct usage_table) { .n_slots = 256 };
        t->slots = calloc(t->n_slots, sizeof(*t->slots));
        return t->slots ? 0 : -ENOMEM;
}

void usage_deinit(struct usage_table *t)
{
        free(t->slots);
        *t = (struct usage_table) {};
}

static struct uid_usage *find(const struct usage_table *t, uid_t uid)
{
        size_t i, mask = t->n_slots - 1;

        for (i = slot_of(t, uid);; i = (i + 1) & mask)
                if (!t->slots[i].used || t->slots[i].uid == uid)
                        return &t->slots[i];
}

static int grow(struct usage_table *t)
{
        struct uid_usage *old = t->slots;
        size_t i, n = t->n_slots;

        t->slots = calloc(n * 2, sizeof(*t->slots));
        if (!t->slots) {
                t->slots = old;
                return -ENOMEM;
        }
        t->n_slots = n * 2;
        for (i = 0; i < n; i++)
                if (old[i].used)
                        *find(t, old[i].uid) = old[i];
        free(old);
        return 0;
}

struct uid_usage *usage_get(struct usage_table *t, uid_t uid, bool create)
{
        struct uid_usage *u = find(t, uid);

        if (u->used || !create)
                return u->used ? u : NULL;
        /* At most half full, so probe runs stay short and always end. */
        if ((t->n_used + 1) * 2 > t->n_slots) {
                if (grow(t) < 0)
                        return NULL;
                u = find(t, uid);
        }
        *u = (struct uid_usage) { .uid = uid, .used = true };
        t->n_used++;
        return u;
}

void usage_release(struct usage_table *t, struct uid_usage *u)
{
        size_t i, j, mask = t->n_slots - 1;

        if (!u || u->connections > 0 || u->objects > 0 || u->bytes > 0 || u->fds_unread > 0)
                return;
        u->used = false;
        t->n_used--;
        i = (size_t) (u - t->slots);
        for (j = (i + 1) & mask; t->slots[j].used; j = (j + 1) & mask) {
                struct uid_usage e = t->slots[j];

                t->slots[j].used = false;
                *find(t, e.uid) = e;
        }
}
