/* SPDX-License-Identifier: MIT */
/*
 * object.h - one object the daemon made: what the registry knows of it.
 *
 * Everything here came from the daemon itself (the request it granted, the rule that decided,
 * the kernel's answer when it made the object), never from the object directory or anything
 * a client can write. The registry (registry.c) owns every struct object; the backends
 * (backend-shm.c, backend-memfd.c) fill in their part (dev/ino, the memfd).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "avl.h"
#include "hashmap.h"
#include "identity.h"
#include "list.h"
#include "policy.h"
#include "user.h"

/* Who created an object: the connection's identity as the kernel gave it. */
struct creator {
        uid_t uid;
        char *user_name;        /* owned; NULL when the uid had no name, or (!name_known)
                                 * when its name was never looked up */
        bool name_known;        /* the name service was asked: user_name is its answer */
        char *app_id;           /* owned; NULL for a connection on the main socket */
        /* The process that opened the connection; recorded for lifetime=process objects. */
        pid_t pid;
        uint64_t pidfs_ino;     /* its pidfd's inode on pidfs (Linux 6.9+: unique), or 0 */
        uint64_t start;         /* its start time in clock ticks after boot, or 0: unknown */
};

/* Object state flags (o->flags); the journal's RECORD_F_* of the same names. */
enum {
        OBJECT_PUBLISHED = 1u << 0,     /* no writable fd is handed out any more */
        OBJECT_SEAL_WRITE = 1u << 1,    /* memfd: F_SEAL_WRITE holds: the bytes are final */
        OBJECT_SEAL_FUTURE = 1u << 2,   /* memfd: F_SEAL_FUTURE_WRITE holds */
        OBJECT_FRESH = 1u << 3,         /* made unsized: its creator may size it once, before
                                         * anyone else opens it */
        OBJECT_ENDED = 1u << 4,         /* its lifetime is over; removal queued (lifetime.c);
                                         * not recorded */
        OBJECT_SEEN = 1u << 5,          /* at start: its file was found where it should be
                                         * (backend-shm.c); not recorded */
        OBJECT_SIZED_AT_START = 1u << 6, /* at start: recorded fresh, found sealed
                                          * (backend-memfd.c), its limits not checked yet
                                          * (broker_charge_all()); not recorded */
        OBJECT_REMOVING = 1u << 7,      /* its removal began (broker_remove()): never handed
                                         * out again; a start finishes it */
};

struct proc;

struct bucket;

struct object {
        struct hashmap_entry by_name;
        struct hashmap_entry by_serial;
        struct avl_node in_all;         /* every object, by name: status, admin listing */
        struct avl_node in_bucket;      /* the objects of its rule (and creator): LIST */
        struct bucket *bucket;          /* NULL for an orphan */

        char *name;                     /* normalised */
        uint64_t serial;                /* unique, never reused; names it in the fd store */
        char serial_key[24];            /* serial as a string, the by_serial key */
        enum policy_backend backend;

        const struct policy_rule *rule; /* what governs it now; NULL: orphan (or not bound
                                         * yet at start) */
        char *rule_id;                  /* that rule's ID; for an orphan, the last one */
        uint64_t generation;            /* policy generation in which the binding was made */
        bool orphan;
        uint64_t spec;                  /* hash of the owner/group/mode/ACL spec applied */

        struct creator creator;
        uint64_t size;                  /* its size (st_size) as last seen; recorded */
        struct user_charge charge_objects;      /* the creator's, while the object is held */
        struct user_charge charge_bytes;        /* object_bytes() as last measured */
        uint64_t ctime_usec;            /* CLOCK_REALTIME when it was created */
        dev_t dev;                      /* Backend=shm: the inode made for it */
        ino_t ino;
        int fd;                         /* Backend=memfd: the daemon's memfd (owned); else -1 */
        uint32_t flags;                 /* OBJECT_* */
        struct list_node kept;          /* its fds kept by connections (fdcache.h) */

        /* How long it lives (lifetime.c). */
        struct policy_lifetime lifetime;
        uint64_t last_open_usec;        /* SPAN: CLOCK_BOOTTIME of the last handout */
        uint64_t last_open_saved_usec;  /* ... as the journal has it */
        uint64_t deadline_usec;         /* SPAN: where it sits in the expiry tree */
        struct avl_node in_expiry;      /* SPAN: in the expiry tree */
        struct proc *proc;              /* PROCESS: its creator's tracker (lifetime.c) */
        struct list_node proc_node;     /* in proc's objects; once ENDED, in the due list */
        const char *end_why;            /* ENDED: why, for the log (static text) */
        struct list_node fresh_node;    /* a fresh memfd: in the broker's fresh list */
};

/*
 * object_new() - a new object, not yet in the registry.
 * @creator: the requester; its user name and app id are copied.
 */
int object_new(const char *name, enum policy_backend backend, const struct identity *creator,
               uint64_t size, struct object **ret);
/* Frees an object that is in no registry (closes its fd). */
struct object *object_free(struct object *o);

/* Is @id the creator of @o (same uid and same app, or both on the main socket)? */
bool object_created_by(const struct object *o, const struct identity *id);

/* An identity for policy decisions made on the creator's behalf (reloads, start-up): uid,
 * user name (user_name_resolved: o->creator.name_known) and app id; no groups. Borrows from
 * @o. */
struct identity object_creator_identity(const struct object *o);

/*
 * object_drop_kept() - closes every fd of @o that connections keep (fdcache.h). Called by
 * whatever changes what an fd of @o gives or whether one may be handed out: removal,
 * attributes set again, seals, resize, rebinding; object_free() does it too.
 */
void object_drop_kept(struct object *o);

/*
 * object_bytes() - what an object costs its creator, as the daemon measures it: its @size, or
 * the memory it holds (@blocks, st_blocks, in 512-byte units) when that is more than the pages
 * its size needs, and at most LIMIT_SIZE_MAX. A writer can ftruncate() a Backend=shm object
 * (sparse, free) to 2^63-1, and fallocate(FALLOC_FL_KEEP_SIZE) allocates pages past the end
 * without changing the size.
 */
uint64_t object_bytes(uint64_t size, uint64_t blocks);

/* Sets o->rule_id (copied). */
int object_set_rule_id(struct object *o, const char *rule_id);
