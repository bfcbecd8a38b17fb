/* SPDX-License-Identifier: MIT */
/*
 * broker.h - one decoded request in, one reply out: the decision pipeline.
 *
 * The broker knows nothing of sockets, files or fd stores. It takes a request and the
 * requester's identity, decides with the policy and the registry, has a backend do what was
 * decided, and writes the reply packet and the fds to attach. The connection layer sends them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attrs.h"
#include "backend.h"
#include "held.h"
#include "identity.h"
#include "lifetime.h"
#include "policy.h"
#include "protocol.h"
#include "registry.h"
#include "user.h"

/* A reload's pass over the objects' files (reconcile.c), a few per turn of the loop. */
struct conform_memo {                   /* Group=%u: one creator's group, looked up once */
        bool valid;
        uid_t uid;
        bool has;
        gid_t gid;
};

struct conform_pass {
        bool active;
        char cursor[SHMB_PROTO_NAME_MAX + 1];   /* the last name looked at */
        struct conform_memo memo;
        size_t looked, set, failed;
        bool report;                            /* done; its log line not written yet */
};

struct broker {
        struct policy *policy;          /* owned; replaced whole on reload */
        struct registry *registry;      /* owned */
        struct backend *backends[POLICY_BACKEND_MEMFD + 1];     /* owned, by enum value */
        struct user_table users;        /* what each uid holds, and whose turn it is */
        struct held_set held;           /* removed objects clients still hold, charged */
        struct lifetimes lifetimes;     /* objects that end on their own */
        struct list_node fresh;         /* fresh memfd objects, unsealed: looked at each tick */
        struct attrs_cache attrs;       /* what each rule of the policy gives its objects */
        /* Told when an object is created, published or about to go (SHMB_PROTO_EVENT_*):
         * the server's waiters and watchers. NULL: nobody listens. */
        void (*notify)(void *userdata, const struct object *o, uint32_t event);
        void *notify_userdata;
        uint64_t started_usec;          /* CLOCK_MONOTONIC at broker_new(), for STATUS */
        char *origin;                   /* where the policy came from (owned), for STATUS */
        bool kept_policy;               /* running on the fd store's last good policy */
        char sweep_cursor[SHMB_PROTO_NAME_MAX + 1];     /* where the tick's sweep goes on */
        struct conform_pass conform;    /* after a reload */
        size_t names_pending;           /* creators' user names being looked up (creators.c) */
};

/* Takes over @policy, @registry, @shm and @memfd (consumed, also on failure). The objects of
 * the registry must have been adopted and reconciled with @policy (reconcile.c). */
int broker_new(struct policy *policy, struct registry *registry, struct backend *shm,
               struct backend *memfd, struct broker **ret);
struct broker *broker_free(struct broker *b);

struct backend *broker_backend(const struct broker *b, enum policy_backend kind);

/* Charges every object of the registry to its creator (at start), past any quota: they
 * exist. */
int broker_charge_all(struct broker *b);

/* Forgets @o: its registry entry and its charges. Its storage must be gone already. */
void broker_forget(struct broker *b, struct object *o);

/* Forgets @o, whose storage was found gone from the object directory or replaced there, and
 * says so in the log (rate-limited per creator). */
void broker_forget_lost(struct broker *b, struct object *o);

/*
 * broker_remove() - remove @o as an unlink does: its DEL in the journal, its storage, then
 * the object (which stays charged while clients hold it, held.h). Return: 0, -ENOENT if its
 * storage was gone already (it is forgotten all the same), or -errno (nothing changed: a
 * journal that cannot take the DEL, or storage that cannot be removed).
 */
int broker_remove(struct broker *b, struct object *o);

/* Lifetimes (broker-lifetime.c): set up b->lifetimes, whose ends remove objects with
 * broker_remove(), audited and logged. */
int broker_lifetimes_init(struct broker *b);
/* At start, once the objects are bound and charged: watch their lifetimes, and remove those
 * whose creating process exited while the daemon was down. */
void broker_resume_lifetimes(struct broker *b);

/* The tick: asks about removed objects still held (held.h). */
void broker_tick(struct broker *b);

/* May @id see every object and remove orphans (root, or the policy's Admins=)? */
bool broker_is_admin(const struct broker *b, const struct identity *id);

/* Where the policy in force came from, for STATUS (copied). */
void broker_set_origin(struct broker *b, const char *origin, bool kept);

/*
 * broker_wait_ready() - is @name there for @id to open (and published, with @published)? For
 * WAIT: 1 yes, 0 not yet, or -EACCES when @id could never open it (*ret_reason: no rule, no
 * read right).
 */
int broker_wait_ready(struct broker *b, const struct identity *id, const char *name,
                      bool published, uint32_t *ret_reason);

/* Would a WATCH of @id with @pattern (a glob, "" for all) be told about @o? */
bool broker_watch_matches(const struct broker *b, const struct object *o,
                          const struct identity *id, const char *pattern);

/*
 * broker_handle() - answer one request.
 * @buf, @size: where the reply packet is written (SHMB_PROTO_MSG_MAX bytes is always enough).
 * @id: the requester; its user name is looked up here, once, if the policy needs it.
 * @fds: on return, *ret_n_fds fds to attach; owned by the caller, who closes them after
 *       sending.
 *
 * Every outcome, denial included, is a reply: this returns the reply's length, or a negative
 * errno only when even an error reply cannot be built (a caller bug).
 */
int broker_handle(struct broker *b, struct identity *id,
                  const struct shmb_proto_request *req, void *buf, size_t size, int *fds,
                  size_t *ret_n_fds);

struct fdcache;

/*
 * broker_handle_cached() - broker_handle() for a connection that keeps the fds it was handed
 * (fdcache.h): an open of an object with an access the connection was handed before is
 * answered with its kept fd, and an fd handed out may be kept.
 * @kept: the connection's kept fds, held (fdcache_hold()) until the reply is sent or queued.
 * @ret_borrowed: bit i set: fds[i] is borrowed from @kept, not the caller's: it must not be
 *       closed, and a reply queued for later needs a dup of it.
 */
int broker_handle_cached(struct broker *b, struct identity *id, struct fdcache *kept,
                         const struct shmb_proto_request *req, void *buf, size_t size,
                         int *fds, size_t *ret_n_fds, uint32_t *ret_borrowed);
