/* SPDX-License-Identifier: MIT */
/*
 * user.c - the per-uid table and charges (see user.h).
 */
#include <errno.h>
#include <stdlib.h>

#include "fair.h"
#include "user.h"

#define USER_TABLE_INITIAL 64

static size_t bucket_of(const struct user_table *t, uid_t uid)
{
        return ((uint32_t) uid * UINT32_C(2654435761)) & (t->n_buckets - 1);
}

int user_table_init(struct user_table *t)
{
        *t = (struct user_table) { .n_buckets = USER_TABLE_INITIAL };
        t->buckets = calloc(t->n_buckets, sizeof(*t->buckets));
        return t->buckets ? 0 : -ENOMEM;
}

void user_table_deinit(struct user_table *t)
{
        free(t->buckets);
        *t = (struct user_table) {};
}

struct user *user_find(const struct user_table *t, uid_t uid)
{
        struct user *u;

        for (u = t->buckets[bucket_of(t, uid)]; u; u = u->hash_next)
                if (u->uid == uid)
                        return u;
        return NULL;
}

/* Doubles the table when it is as full as it is wide; on ENOMEM it just stays as it is. */
static void grow(struct user_table *t)
{
        struct user **old = t->buckets;
        size_t i, n = t->n_buckets;

        t->buckets = calloc(n * 2, sizeof(*t->buckets));
        if (!t->buckets) {
                t->buckets = old;
                return;
        }
        t->n_buckets = n * 2;
        for (i = 0; i < n; i++)
                while (old[i]) {
                        struct user *u = old[i];
                        size_t b = bucket_of(t, u->uid);

                        old[i] = u->hash_next;
                        u->hash_next = t->buckets[b];
                        t->buckets[b] = u;
                }
        free(old);
}

struct user *user_get(struct user_table *t, uid_t uid)
{
        struct user *u = user_find(t, uid);
        size_t b;

        if (u)
                return user_ref(u);
        u = calloc(1, sizeof(*u));
        if (!u)
                return NULL;
        u->table = t;
        u->uid = uid;
        u->n_refs = 1;
        list_node_init(&u->ready);
        list_node_init(&u->turn);
        if (t->n_users >= t->n_buckets)
                grow(t);
        b = bucket_of(t, uid);
        u->hash_next = t->buckets[b];
        t->buckets[b] = u;
        t->n_users++;
        return u;
}

struct user *user_ref(struct user *u)
{
        if (u)
                u->n_refs++;
        return u;
}

struct user *user_unref(struct user *u)
{
        struct user **p;

        if (!u || --u->n_refs > 0)
                return NULL;
        for (p = &u->table->buckets[bucket_of(u->table, u->uid)]; *p != u; p = &(*p)->hash_next)
                ;
        *p = u->hash_next;
        u->table->n_users--;
        /* Nothing can be waiting: a waiting connection holds a reference. */
        list_remove(&u->turn);
        free(u);
        return NULL;
}

/* Every change of a user's use of a slot goes through here: n_holding stays exact. */
static void set_used(struct user *u, enum user_slot slot, uint64_t used)
{
        if (u->used[slot] == 0 && used > 0)
                u->table->n_holding[slot]++;
        else if (u->used[slot] > 0 && used == 0)
                u->table->n_holding[slot]--;
        u->used[slot] = used;
}

/*
 * The counters saturate rather than wrap: a byte charge is client-controlled (the size or the
 * memory of an object its writers grew), and a sum that wrapped to near 0 let a user create
 * past MaxBytesPerUser= without end. What a saturated counter cannot hold goes to u->over, so
 * that giving charges back brings it down exactly, never below what is still held.
 */
static void add_used(struct user *u, enum user_slot slot, uint64_t amount)
{
        uint64_t room = UINT64_MAX - u->used[slot];

        if (amount <= room) {
                set_used(u, slot, u->used[slot] + amount);
                return;
        }
        set_used(u, slot, UINT64_MAX);
        amount -= room;
        /* Past 2^128 bytes: unreachable, but saturated too. */
        u->over[slot] = amount > UINT64_MAX - u->over[slot] ? UINT64_MAX : u->over[slot] + amount;
}

static void sub_used(struct user *u, enum user_slot slot, uint64_t amount)
{
        uint64_t from_over = amount < u->over[slot] ? amount : u->over[slot];

        u->over[slot] -= from_over;
        amount -= from_over;
        /* Never below 0: a charge gives back at most what it added, so this is a bug's
         * guard, not a case. */
        set_used(u, slot, amount < u->used[slot] ? u->used[slot] - amount : 0);
}

int user_charge(struct user *u, struct user_charge *c, enum user_slot slot, uint64_t amount,
                uint64_t limit)
{
        uint64_t used = u->used[slot];

        /* USER_UNLIMITED (charges taken past the limits, at start) saturates, never fails. */
        if (limit != USER_UNLIMITED && (used > limit || amount > limit - used))
                return -EDQUOT;
        add_used(u, slot, amount);
        *c = (struct user_charge) { .user = user_ref(u), .slot = slot, .amount = amount };
        return 0;
}

void user_charge_set(struct user_charge *c, uint64_t amount)
{
        if (!c->user)
                return;
        if (amount >= c->amount)
                add_used(c->user, c->slot, amount - c->amount);
        else
                sub_used(c->user, c->slot, c->amount - amount);
        c->amount = amount;
}

uint64_t user_charge_others(const struct user_charge *c)
{
        const struct user *u = c->user;
        uint64_t amount;

        if (!u)
                return 0;
        /* Saturated, and c holds no more than what went past: the others fill the counter. */
        if (u->over[c->slot] > 0 && u->over[c->slot] >= c->amount)
                return UINT64_MAX;
        amount = c->amount - u->over[c->slot];
        return amount < u->used[c->slot] ? u->used[c->slot] - amount : 0;
}

void user_charge_release(struct user_charge *c)
{
        if (!c->user)
                return;
        sub_used(c->user, c->slot, c->amount);
        user_unref(c->user);
        *c = (struct user_charge) {};
}

bool user_fair(const struct user *u, enum user_slot slot, uint64_t in_use, uint64_t total,
               uint64_t floor)
{
        uint64_t held = u->used[slot];

        /* It holds some (held >= floor > 0): n_holding counts it, and is not 0. */
        return held < floor ||
               fair_share_left(held, in_use, total, u->table->n_holding[slot]);
}

void user_charge_move(struct user_charge *dst, struct user_charge *src)
{
        *dst = *src;
        *src = (struct user_charge) {};
}
