/* SPDX-License-Identifier: MIT */
/*
 * broker-internal.h - what the broker's files share: one request's context, the refusal
 * helpers and the decisions. Not for the rest of the daemon (broker.h is).
 *
 * The decisions (broker_decide_*) are the only place where the policy and the registry are
 * asked whether a request may go ahead. The requests act on what they answer, and EXPLAIN
 * (broker-admin.c) reports what they answer for an identity, without acting: one logic, not a
 * copy of it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "broker.h"

/* What one request is about, once the name and the rule are known. */
struct request_ctx {
        struct broker *b;
        const struct identity *id;
        const struct shmb_proto_request *req;
        struct fdcache *kept;   /* the connection's kept fds, or NULL: keep none */
        bool borrowed;          /* the fd of the reply is a kept one: not the caller's */
        char name[SHMB_PROTO_NAME_MAX + 1];
        const struct policy_rule *rule;
        unsigned rights;
        const char *why;        /* why a request is refused, in words */
        uint32_t reason;        /* SHMB_PROTO_REASON_*, told to the client */
        uint32_t detail;        /* what a NO_OBJECT hides (OTHER_RULE, OTHER_CREATOR), for
                                 * EXPLAIN only */
        bool audit;             /* a refusal that is a policy decision, whatever its errno */
        bool warn;              /* a refusal the administrator should hear of (a policy
                                 * mistake, an object tampered with) */
        bool dry_run;           /* EXPLAIN: decide only, log and change nothing */
};

/* Records why a request is refused, for the client (@reason), the audit record and the log
 * (@why). Returns @r. */
int broker_refuse(struct request_ctx *c, int r, uint32_t reason, const char *why);

/* Normalises the name and finds the deciding rule and the rights it gives. */
int broker_resolve(struct request_ctx *c);

/* The object at the name under the caller's rule, or -ENOENT (NO_OBJECT; ORPHAN to its
 * creator and the admins) - also when it is another rule's or another creator's. */
int broker_lookup_own(struct request_ctx *c, struct object **ret);
/* The same, and -ENOENT also for an object whose lifetime is over (lifetime_over()): it is
 * being removed, and is neither opened, sized nor published any more. */
int broker_lookup_live(struct request_ctx *c, struct object **ret);

/* The storage of @o is gone or replaced: forget @o. Returns -ENOENT. */
int broker_lost(struct request_ctx *c, struct object *o);

/* May @c create (access @asked, lifetime @lifetime) at its name? The granted access in
 * *ret_access. */
int broker_decide_create(struct request_ctx *c, uint32_t asked,
                         const struct policy_lifetime *lifetime, uint32_t *ret_access);
/* May @c open its name with @asked? The object and the granted access. */
int broker_decide_open(struct request_ctx *c, uint32_t asked, struct object **ret,
                       uint32_t *ret_access);
/* May @c remove its name? The object (an orphan, for its creator and the admins). */
int broker_decide_unlink(struct request_ctx *c, struct object **ret);
/* May @id remove @o (NULL: none) whatever the rules say of its name for @id? An orphan's
 * creator and the admins may, and a user on the main socket may remove what its apps made. */
bool broker_may_unlink_any_rule(const struct broker *b, const struct identity *id,
                                const struct object *o);
/* May @c stat its name? */
int broker_decide_stat(struct request_ctx *c, struct object **ret);

/* An inode that would give the caller more than its rights (as owner, by mode or ACL) is
 * refused: a read-only fd of one the caller could reopen writable, or a create whose creator
 * could open it where the policy does not let it. @fd: the object's fd, handed out or new. */
int broker_check_inode_access(struct request_ctx *c, int fd, const struct stat *st);

/* A fresh (unsized) object keeps the size it has for good: a memfd is sealed against
 * resizing as every other one (its creator charged for what it grew it to). Grown past
 * MaxSize= or MaxBytesPerUser=, it is emptied instead, and the call fails (EFBIG, EDQUOT). */
int broker_end_fresh(struct request_ctx *c, struct object *o);

/* SHMB_PROTO_OBJ_* of @o as it is now (memfd seals read from the kernel). */
uint32_t broker_object_flags(const struct broker *b, const struct object *o);

/* Would LIST show @o to @id (it may open it: its rule decides for @id, gives read, and the
 * per-user or per-app creator matches)? */
bool broker_visible(const struct broker *b, const struct object *o, const struct identity *id);

static inline uint32_t broker_proto_lifetime(const struct policy_lifetime *l)
{
        switch (l->kind) {
        case POLICY_LIFETIME_PROCESS:
                return SHMB_PROTO_LIFETIME_PROCESS;
        case POLICY_LIFETIME_SPAN:
                return SHMB_PROTO_LIFETIME_SPAN;
        case POLICY_LIFETIME_PERSISTENT:
                break;
        }
        return SHMB_PROTO_LIFETIME_PERSISTENT;
}

/* The requests of the other files. */
int broker_handle_status(struct request_ctx *c, void *buf, size_t size);
int broker_handle_explain(struct request_ctx *c, void *buf, size_t size);
int broker_list_all(struct request_ctx *c, void *buf, size_t size);
int broker_unlink_any(struct request_ctx *c, void *buf, size_t size);
int broker_stat_reply(struct request_ctx *c, struct object *o, void *buf, size_t size);
int broker_handle_publish(struct request_ctx *c, void *buf, size_t size);
int broker_handle_resize(struct request_ctx *c, void *buf, size_t size);

/* A create's lifetime for @o, before it is recorded: for PROCESS, the creator's process
 * (its pidfd in *ret_pidfd, for lifetime_track()); for SPAN, its first "open". */
int broker_prepare_lifetime(struct request_ctx *c, struct object *o,
                            const struct policy_lifetime *lifetime, int *ret_pidfd);

/* Tells the watchers and waiters (server's hook) that @o was created, published or is about
 * to go (SHMB_PROTO_EVENT_*). */
void broker_notify(struct broker *b, const struct object *o, uint32_t event);
