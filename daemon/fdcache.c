/* SPDX-License-Identifier: MIT */
/*
 * fdcache.c - kept fds, per connection (see fdcache.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "fdcache.h"
#include "macro.h"
#include "object.h"
#include "protocol.h"

/* A batch keeps at most one fd per item, so no eviction within one batch drops an fd that an
 * earlier item of it borrowed (fdcache_hold() would cover that too). */
_Static_assert(SHMB_PROTO_BATCH_MAX <= FDCACHE_SLOTS, "a batch must fit in one cache");

void fdcache_budget_init(struct fdcache_budget *b, size_t max)
{
        *b = (struct fdcache_budget) { .max = max };
        /* No uid takes more than an eighth, but every uid may fill one connection's cache. */
        b->per_uid_max = max / 8 > FDCACHE_SLOTS ? max / 8 : FDCACHE_SLOTS;
        if (b->per_uid_max > max)
                b->per_uid_max = max;
}

void fdcache_init(struct fdcache *c, struct fdcache_budget *budget, struct user *u)
{
        *c = (struct fdcache) { .budget = budget, .user = u };
}

/* Counts one more kept fd against the daemon's and the uid's budgets, or -ENOSPC. */
static int charge_one(struct fdcache *c)
{
        struct fdcache_budget *b = c->budget;

        if (b->n >= b->max)
                return -ENOSPC;
        if (c->n == 0) {
                if (user_charge(c->user, &c->charge, USER_SLOT_KEPT_FDS, 1, b->per_uid_max) < 0)
                        return -ENOSPC;
        } else {
                if (c->user->used[USER_SLOT_KEPT_FDS] >= b->per_uid_max)
                        return -ENOSPC;
                user_charge_set(&c->charge, c->n + 1);
        }
        c->n++;
        b->n++;
        return 0;
}

static void uncharge_one(struct fdcache *c)
{
        c->n--;
        c->budget->n--;
        if (c->n == 0)
                user_charge_release(&c->charge);
        else
                user_charge_set(&c->charge, c->n);
}

/* Closes the slot's fd (at the release, while the cache is held) and frees the slot. */
static void slot_drop(struct fdcache_slot *s)
{
        struct fdcache *c = s->cache;
        struct fdcache_store *st = c->store;

        if (!s->o)
                return;
        list_remove(&s->in_object);
        s->o = NULL;
        if (s->lent && st->n_deferred < ELEMENTSOF(st->deferred))
                st->deferred[st->n_deferred++] = s->fd;
        else
                safe_close(s->fd);
        s->fd = -1;
        s->lent = false;
        uncharge_one(c);
}

void fdcache_hold(struct fdcache *c)
{
        c->held = true;
}

void fdcache_release(struct fdcache *c)
{
        struct fdcache_store *st = c->store;
        size_t i;

        c->held = false;
        if (!st)
                return;
        for (i = 0; i < FDCACHE_SLOTS; i++)
                st->slots[i].lent = false;
        while (st->n_deferred > 0)
                safe_close(st->deferred[--st->n_deferred]);
}

void fdcache_deinit(struct fdcache *c)
{
        size_t i;

        if (c->store)
                for (i = 0; i < FDCACHE_SLOTS; i++)
                        slot_drop(&c->store->slots[i]);
        fdcache_release(c);
        free(c->store);
        c->store = NULL;
        user_charge_release(&c->charge);
        c->n = 0;
}

int fdcache_get(struct fdcache *c, const struct object *o, uint32_t access)
{
        size_t i;

        if (c->n == 0)
                return -ENOENT;
        for (i = 0; i < FDCACHE_SLOTS; i++) {
                struct fdcache_slot *s = &c->store->slots[i];

                if (s->o == o && s->access == access) {
                        s->last_use = ++c->clock;
                        s->lent = c->held;
                        return s->fd;
                }
        }
        return -ENOENT;
}

/* A free slot, or the least recently used one emptied; NULL when the slots cannot be had. */
static struct fdcache_slot *slot_for_keep(struct fdcache *c)
{
        struct fdcache_slot *lru = NULL;
        size_t i;

        if (!c->store) {
                c->store = calloc(1, sizeof(*c->store));
                if (!c->store)
                        return NULL;
                for (i = 0; i < FDCACHE_SLOTS; i++)
                        c->store->slots[i] = (struct fdcache_slot) { .cache = c, .fd = -1 };
        }
        for (i = 0; i < FDCACHE_SLOTS; i++) {
                struct fdcache_slot *s = &c->store->slots[i];

                if (!s->o)
                        return s;
                /* Wrap-safe: the oldest is the one furthest behind the clock. */
                if (!lru || c->clock - s->last_use > c->clock - lru->last_use)
                        lru = s;
        }
        slot_drop(lru);
        return lru;
}

int fdcache_keep(struct fdcache *c, struct object *o, uint32_t access, int fd)
{
        struct fdcache_slot *s;
        int r;

        if (c->budget->max == 0)
                return -ENOSPC;
        s = slot_for_keep(c);
        if (!s)
                return -ENOMEM;
        r = charge_one(c);
        if (r < 0)
                return r;
        *s = (struct fdcache_slot) {
                .o = o, .cache = c, .fd = fd, .access = access, .last_use = ++c->clock,
                .lent = c->held,
        };
        list_append(&o->kept, &s->in_object);
        return 0;
}

void fdcache_forget_object(struct list_node *kept)
{
        struct list_node *n;

        while ((n = list_first(kept)))
                slot_drop(list_entry(n, struct fdcache_slot, in_object));
}
