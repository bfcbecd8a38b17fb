/* SPDX-License-Identifier: MIT */
/*
 * user.h - per-uid accounting and scheduling: what each uid holds in the daemon, and whose
 * turn it is.
 *
 * Modelled on dbus-broker's user charges. Every resource a uid holds is a charge, embedded in
 * the thing that holds it and released by that thing alone: a connection holds a connection
 * charge and a charge for the fds sent to it that its client has not read yet; an object holds
 * an object and a byte charge for its creator, until the daemon knows nobody holds the object
 * any more. Limits are checked when a charge is taken, in O(1); nobody edits counters directly.
 *
 * A struct user exists while something holds a charge or a reference on it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "list.h"

enum user_slot {
        USER_SLOT_CONNECTIONS,
        USER_SLOT_FDS,          /* fds sent to its connections, not yet seen read, and fds of
                                 * their replies queued to be sent */
        USER_SLOT_OBJECTS,
        USER_SLOT_BYTES,
        USER_SLOT_CLOSING,      /* fds it sent that the closer thread has yet to close */
        USER_SLOT_APP_SOCKETS,  /* app sockets it asked for and still holds (appsock.h) */
        USER_SLOT_APP_CONNECTIONS,      /* its connections through app sockets, all of them:
                                         * also in USER_SLOT_CONNECTIONS */
        USER_SLOT_KEPT_FDS,     /* fds its connections were handed that the daemon keeps open
                                 * for their next opens (fdcache.h) */
        USER_SLOT_WATCHES,      /* its connections that watch (WATCH) */
        _USER_SLOT_MAX,
};

#define USER_UNLIMITED UINT64_MAX

struct user_table;

struct user {
        struct user_table *table;
        struct user *hash_next;
        uid_t uid;
        unsigned n_refs;
        uint64_t used[_USER_SLOT_MAX];  /* saturates at UINT64_MAX: what it holds is used + over */
        uint64_t over[_USER_SLOT_MAX];  /* held past UINT64_MAX (user.c, add_used()) */
        /* Scheduling (server.c): this uid's connections with a request waiting, and its place
         * in the round of uids to serve. */
        struct list_node ready;
        struct list_node turn;
};

struct user_table {
        struct user **buckets;
        size_t n_buckets;       /* a power of two */
        size_t n_users;
        size_t n_holding[_USER_SLOT_MAX];       /* users that hold some of each slot */
};

int user_table_init(struct user_table *t);
/* Every user must be gone (every charge released) before. */
void user_table_deinit(struct user_table *t);

/* The uid's user, made if needed, with a reference for the caller; NULL on ENOMEM. */
struct user *user_get(struct user_table *t, uid_t uid);
/* The uid's user if it exists (no reference taken). */
struct user *user_find(const struct user_table *t, uid_t uid);
struct user *user_ref(struct user *u);
/* Drops a reference; the user goes when nothing holds it. Returns NULL. */
struct user *user_unref(struct user *u);

/* A charge: @amount of @slot held for @user by whatever embeds it. All zero: none held. */
struct user_charge {
        struct user *user;      /* referenced while the charge is held */
        enum user_slot slot;
        uint64_t amount;
};

/*
 * user_charge() - take @amount of @slot for @u into @c (which must hold nothing).
 * @limit: the most @u may hold of @slot in all (USER_UNLIMITED: no limit).
 * Return: 0, or -EDQUOT when that would pass @limit (nothing is taken). With USER_UNLIMITED
 * it never fails: past UINT64_MAX the counter saturates.
 */
int user_charge(struct user *u, struct user_charge *c, enum user_slot slot, uint64_t amount,
                uint64_t limit);

/* Sets what @c holds to @amount, past any limit: for growth the daemon finds after the fact.
 * The user's counter saturates at UINT64_MAX rather than wrap, and comes down exactly. */
void user_charge_set(struct user_charge *c, uint64_t amount);

/* What @c's user holds of @c's slot besides @c (UINT64_MAX: at least that); 0 for an empty
 * charge. What a new amount for @c is checked against. */
uint64_t user_charge_others(const struct user_charge *c);

/* Gives back what @c holds; harmless on a charge that holds nothing. */
void user_charge_release(struct user_charge *c);

/*
 * user_fair() - may @u take one more of @slot, a pool of @total of which @in_use are taken
 * (by every uid), given what the other uids hold? Up to half of the pool, yes: first come,
 * first served (within the caller's own per-uid limit). Past half, that would let the uids
 * that came first take the rest; so then a uid that holds @floor or more gets another only
 * while it holds less than its share of the free ones: those left over the number of uids
 * holding some. Nobody loses what it has, but each newcomer's share shrinks as more come, and
 * so the rest lasts for many uids rather than for the next few that want many; a uid holding
 * fewer than @floor always gets one while any is free (the caller checks @total itself).
 */
bool user_fair(const struct user *u, enum user_slot slot, uint64_t in_use, uint64_t total,
               uint64_t floor);

/* Moves what @src holds to @dst (which must hold nothing). */
void user_charge_move(struct user_charge *dst, struct user_charge *src);
