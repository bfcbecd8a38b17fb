/* SPDX-License-Identifier: MIT */
/*
 * fdcache.h - kept fds: the open file descriptions a connection was handed, kept open in the
 * daemon, so that the connection's next open of the same object with the same access is one
 * sendmsg() instead of openat() + fstat() + sendmsg() + close().
 *
 * Only within one connection: two connections never share an open file description, so one
 * client's file offset, F_SETFL flags, flock() and OFD locks and leases never touch another
 * client's. Within one connection, opens of one object with one access share them, as dup()s
 * do, and a lock or lease placed on such an fd lasts until the connection closes or the kept
 * fd is dropped, not until the client's close() (shmbrokerd(8), "Kept file descriptions").
 *
 * The cache decides nothing. The broker asks the policy and the registry first, as for any
 * open, and checks that the object is still what the registry names (the backend's peek())
 * before it hands a kept fd out. An object's kept fds are closed (fdcache_forget_object())
 * whenever something changes what an fd of it gives or whether it may be handed out: removal,
 * attributes set again, publish (sealed), resize, a reload (rebound), or the object forgotten.
 *
 * Bounded: FDCACHE_SLOTS per connection (the least recently used goes), and a budget for the
 * daemon and for each uid (USER_SLOT_KEPT_FDS); past those an fd is handed out as before and
 * not kept. Not here: what is handed out (broker.c), sending and queueing (conn.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "list.h"
#include "user.h"

struct object;
struct fdcache;

/* Per connection: as many as one batch opens, so that repeating a full batch hits. */
#define FDCACHE_SLOTS 16

/* The daemon's kept fds in all: one per server, shared by its connections' caches. */
struct fdcache_budget {
        size_t n;
        size_t max;             /* 0: keep nothing */
        size_t per_uid_max;
};

struct fdcache_slot {
        struct list_node in_object;     /* in the object's kept list while o is set */
        struct object *o;               /* NULL: free */
        struct fdcache *cache;
        int fd;                         /* owned while o is set */
        uint32_t access;                /* SHMB_PROTO_ACCESS_RDONLY or _RDWR */
        uint32_t last_use;
        bool lent;                      /* handed to the reply being built or sent */
};

/* Allocated at a connection's first keep: an idle connection costs a pointer. */
struct fdcache_store {
        struct fdcache_slot slots[FDCACHE_SLOTS];
        /* While the cache is held, the fds of dropped slots that were lent to the reply wait
         * here to be closed at fdcache_release(). Room is certain: a reply borrows at most
         * SHMB_PROTO_FDS_MAX (<= FDCACHE_SLOTS) fds, each from a slot dropped at most once
         * while lent. */
        int deferred[2 * FDCACHE_SLOTS];
        size_t n_deferred;
};

struct fdcache {
        struct fdcache_store *store;
        struct fdcache_budget *budget;
        struct user *user;              /* whose budget (borrowed: the connection holds it) */
        struct user_charge charge;      /* USER_SLOT_KEPT_FDS: n */
        uint32_t n;
        uint32_t clock;
        bool held;
};

void fdcache_budget_init(struct fdcache_budget *b, size_t max);

/* @budget and @u must outlive the cache (the connection holds both). */
void fdcache_init(struct fdcache *c, struct fdcache_budget *budget, struct user *u);
/* Closes every kept fd and frees the slots; the cache may be used again after init. */
void fdcache_deinit(struct fdcache *c);

/*
 * fdcache_hold() - from now until fdcache_release(), the fds that fdcache_get() and
 * fdcache_keep() lend stay open even if their slots are dropped (the object forgotten, the
 * slot reused): the reply being built or sent carries them. The others close as always (an
 * unlink must not find its object held by the daemon). The connection holds its cache around
 * each request and its reply.
 */
void fdcache_hold(struct fdcache *c);
void fdcache_release(struct fdcache *c);

/*
 * fdcache_get() - the kept fd of @o with @access (SHMB_PROTO_ACCESS_RDONLY or _RDWR).
 * Return: the fd, borrowed: it stays the cache's, open until fdcache_release() if the cache
 * is held, else until the next call that may drop slots; or -ENOENT.
 */
int fdcache_get(struct fdcache *c, const struct object *o, uint32_t access);

/*
 * fdcache_keep() - keep @fd, an fd of @o opened with @access.
 * @fd: consumed on success, when it becomes borrowed as for fdcache_get(); on failure it
 *      stays the caller's.
 * Return: 0, or -ENOSPC (over a budget), -ENOMEM.
 */
int fdcache_keep(struct fdcache *c, struct object *o, uint32_t access, int fd);

/* Closes every kept fd of one object, in every connection: @kept is the object's list. */
void fdcache_forget_object(struct list_node *kept);
