/* SPDX-License-Identifier: MIT */
/*
 * broker.c - the decisions: normalise the name, find the rule, check the rights, find the
 * object the rule governs, ask its backend, build the reply.
 *
 * The order is fixed and matters. A name is normalised before any policy decision ("x" and
 * "/x" are one object). The policy is asked before the registry, so that a caller without
 * rights learns nothing about which names exist. And an existing object is handed out,
 * stat'ed, listed or removed only under its own rule: the caller's first matching rule for the
 * name must be the rule that governs the object (and, for a per-user rule, the caller must be
 * its creator); otherwise the answer is the one for a name with no object. The object
 * directory is never asked what exists: the registry is.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acl.h"
#include "attrs.h"
#include "audit.h"
#include "broker-internal.h"
#include "fdcache.h"
#include "clock.h"
#include "fdstore.h"
#include "genpage.h"
#include "limits.h"
#include "log.h"
#include "macro.h"
#include "resolver.h"
#include "trash.h"

static const char *request_verb(uint16_t type)
{
        switch (type) {
        case SHMB_PROTO_CREATE:
                return "create";
        case SHMB_PROTO_OPEN:
        case SHMB_PROTO_OPEN_CACHED:
                return "open";
        case SHMB_PROTO_CACHE_PAGE:
                return "cache-page";
        case SHMB_PROTO_UNLINK:
                return "unlink";
        case SHMB_PROTO_STAT:
                return "stat";
        case SHMB_PROTO_LIST:
                return "list";
        case SHMB_PROTO_OPEN_BATCH:
                return "open";
        case SHMB_PROTO_STATUS:
                return "status";
        case SHMB_PROTO_EXPLAIN:
                return "explain";
        case SHMB_PROTO_RESIZE:
                return "resize";
        case SHMB_PROTO_PUBLISH:
                return "publish";
        case SHMB_PROTO_WAIT:
                return "wait";
        case SHMB_PROTO_WATCH:
                return "watch";
        default:
                return "request";
        }
}

/*
 * Client-triggered failures are logged at most LIMIT_LOG_BURST times per uid and interval, so
 * that a hostile client cannot flood the log. r is a negative errno.
 */
static void log_refusal(const struct request_ctx *c, int level, int r)
{
        char esc[LOG_ESCAPE_MAX];
        if (!log_ratelimit_uid(c->id->uid))
                return;
        /* An invalid name is logged as the client sent it, hence escaped; so is a valid one,
         * which may hold bytes above 0x7f. */
        if (c->name[0])
                log_escape(c->name, strlen(c->name), esc, sizeof(esc));
        else
                log_escape(c->req->name, c->req->name_len, esc, sizeof(esc));
        log_full_errno(level, r, "uid=%u pid=%d: %s '%s' refused%s%s%s: %m",
                       (unsigned) c->id->uid, (int) c->id->pid, request_verb(c->req->type), esc,
                       c->rule ? " by rule '" : "", c->rule ? c->rule->id : "",
                       c->rule ? "'" : "");
        if (c->why)
                log_full_errno(level, r, "uid=%u: '%s': %s", (unsigned) c->id->uid, esc,
                               c->why);
}

int broker_refuse(struct request_ctx *c, int r, uint32_t reason, const char *why)
{
        c->why = why;
        c->reason = reason;
        return r;
}

/* The same, for a refusal caused by the policy's or the system's set-up, not by the caller:
 * logged as a warning, since only the administrator can mend it. */
static int refuse_misconfig(struct request_ctx *c, int r, const char *why)
{
        c->warn = true;
        return broker_refuse(c, r, SHMB_PROTO_REASON_POLICY_ERROR, why);
}

static const char *access_name(uint32_t access)
{
        switch (access) {
        case SHMB_PROTO_ACCESS_NONE:
                return "none";
        case SHMB_PROTO_ACCESS_RDONLY:
                return "ro";
        case SHMB_PROTO_ACCESS_RDWR:
                return "rw";
        case SHMB_PROTO_ACCESS_ANY:
                return "any";
        default:
                return "-";
        }
}

/* One audit record per grant: what was handed out, to whom, by which rule. */
static void audit_grant(const struct request_ctx *c, uint32_t access)
{
        audit_record(c->id, request_verb(c->req->type), c->name, access_name(access),
                     c->rule ? c->rule->id : NULL, 0);
}

static int encode_error(void *buf, size_t size, uint32_t seq, int r, uint32_t reason)
{
        return shmb_proto_encode_error(buf, size, seq, r < 0 ? -r : EIO, reason);
}

/* The reason for an errno that came without one: what it can only mean here. */
static uint32_t reason_of(const struct request_ctx *c, int r)
{
        if (c->reason != SHMB_PROTO_REASON_NONE)
                return c->reason;
        switch (r) {
        case -ENOENT:
                return SHMB_PROTO_REASON_NO_OBJECT;
        case -EEXIST:
                return SHMB_PROTO_REASON_EXISTS;
        case -EFBIG:
                return SHMB_PROTO_REASON_TOO_BIG;
        default:
                return SHMB_PROTO_REASON_NONE;
        }
}

/* ---- quota: what each uid's objects cost ---- */

/*
 * Charges @o's object and its bytes to @uid, within @q's limits (NULL: past them). O(1): the
 * charges are exact, so nothing needs counting again.
 */
static int charge_object(struct broker *b, struct object *o, uid_t uid,
                         const struct policy_quota *q, uint32_t *ret_reason)
{
        struct user *u = user_get(&b->users, uid);
        int r;

        if (!u)
                return -ENOMEM;
        r = user_charge(u, &o->charge_objects, USER_SLOT_OBJECTS, 1,
                        q ? q->max_objects : USER_UNLIMITED);
        if (r < 0 && ret_reason)
                *ret_reason = SHMB_PROTO_REASON_QUOTA_OBJECTS;
        if (r >= 0) {
                r = user_charge(u, &o->charge_bytes, USER_SLOT_BYTES, object_bytes(o->size, 0),
                                q ? q->max_bytes : USER_UNLIMITED);
                if (r < 0 && ret_reason)
                        *ret_reason = SHMB_PROTO_REASON_QUOTA_BYTES;
        }
        if (r < 0)
                user_charge_release(&o->charge_objects);
        user_unref(u);
        return r;
}

/* The limit a fresh memfd @o at @size passes (fresh_growth(), below), or REASON_NONE. */
static uint32_t fresh_limit_passed(const struct broker *b, const struct object *o,
                                   uint64_t size)
{
        const struct policy_quota *q = &b->policy->quota;
        uint64_t used;

        /* The creator's other bytes: this object's charge left out, whatever it is. */
        used = user_charge_others(&o->charge_bytes);
        if (size > LIMIT_SIZE_MAX || (o->rule && size > o->rule->max_size))
                return SHMB_PROTO_REASON_TOO_BIG;
        if (used > q->max_bytes || size > q->max_bytes - used)
                return SHMB_PROTO_REASON_QUOTA_BYTES;
        return SHMB_PROTO_REASON_NONE;
}

/*
 * A fresh memfd found sealed at start (backend-memfd.c) got its size from a daemon killed
 * before recording it, which checked the limits first, or from its creator, who holds it
 * writable and may seal it too. Within the limits either is a size the creator could have
 * asked for; past them the daemon never gave it, and the object stays what it was while the
 * daemon ran: unsized, its creator's alone, and not to be published.
 */
static void check_sized_at_start(struct broker *b, struct object *o)
{
        uint32_t reason;
        int r;

        o->flags &= ~OBJECT_SIZED_AT_START;
        /* An orphan has no MaxSize= to be within: it stays fresh, and whatever rule takes
         * it back decides (a publish checks then, as for any fresh memfd). */
        reason = o->rule ? fresh_limit_passed(b, o, o->size) : SHMB_PROTO_REASON_NONE;
        if (!o->rule)
                log_notice("Object '%s': found sealed at %" PRIu64 " bytes with no size "
                           "recorded, and no rule governs it: it stays unsized.", log_name(o->name),
                           o->size);
        else if (reason == SHMB_PROTO_REASON_NONE)
                o->flags &= ~OBJECT_FRESH;
        else
                log_warning("Object '%s': found sealed at %" PRIu64 " bytes with no size "
                            "recorded, past %s: its creator (uid %u) sized it, not the daemon; "
                            "it stays unsized.", o->name, o->size,
                            reason == SHMB_PROTO_REASON_TOO_BIG ? "MaxSize=" : "MaxBytesPerUser=",
                            (unsigned) o->creator.uid);
        /* Sized only now, checked: until here it was fresh, on record too. */
        r = registry_save(b->registry, o);
        if (r < 0)
                log_warning_errno(r, "Registry: cannot record what memfd object '%s' became, "
                                  "ignoring: %m", log_name(o->name));
}

int broker_charge_all(struct broker *b)
{
        struct object *o;
        int r;

        for (o = registry_first(b->registry); o; o = registry_next(b->registry, o)) {
                r = charge_object(b, o, o->creator.uid, NULL, NULL);
                if (r < 0)
                        return r;
        }
        /* Once every charge is in, so that each creator's other bytes are known. */
        for (o = registry_first(b->registry); o; o = registry_next(b->registry, o)) {
                if (o->flags & OBJECT_SIZED_AT_START)
                        check_sized_at_start(b, o);
                if (o->backend == POLICY_BACKEND_MEMFD && (o->flags & OBJECT_FRESH))
                        list_append(&b->fresh, &o->fresh_node);
        }
        return 0;
}

void broker_notify(struct broker *b, const struct object *o, uint32_t event)
{
        if (b->notify)
                b->notify(b->notify_userdata, o, event);
}

void broker_forget(struct broker *b, struct object *o)
{
        list_remove(&o->fresh_node);
        broker_notify(b, o, SHMB_PROTO_EVENT_REMOVED);
        lifetime_untrack(&b->lifetimes, o);
        registry_drop(b->registry, o);
}

/* ---- set-up ---- */

int broker_new(struct policy *policy, struct registry *registry, struct backend *shm,
               struct backend *memfd, struct broker **ret)
{
        struct broker *b;
        int r;

        b = calloc(1, sizeof(*b));
        if (!b) {
                policy_free(policy);
                registry_free(registry);
                backend_free(shm);
                backend_free(memfd);
                return -ENOMEM;
        }
        b->policy = policy;
        b->registry = registry;
        b->backends[POLICY_BACKEND_SHM] = shm;
        b->backends[POLICY_BACKEND_MEMFD] = memfd;
        b->started_usec = now_usec();
        list_node_init(&b->fresh);
        held_init(&b->held);
        r = broker_lifetimes_init(b);
        if (r < 0) {
                free(b);
                policy_free(policy);
                registry_free(registry);
                backend_free(shm);
                backend_free(memfd);
                return r;
        }
        r = user_table_init(&b->users);
        if (r < 0) {
                broker_free(b);
                return r;
        }
        *ret = b;
        return 0;
}

struct broker *broker_free(struct broker *b)
{
        if (!b)
                return NULL;
        /* The registry first (after the trackers that point into it): it closes the memfds
         * before their backend goes, and releases the objects' charges before the users go. */
        lifetime_deinit(&b->lifetimes);
        registry_free(b->registry);
        held_deinit(&b->held);
        backend_free(b->backends[POLICY_BACKEND_SHM]);
        backend_free(b->backends[POLICY_BACKEND_MEMFD]);
        attrs_cache_reset(&b->attrs);
        policy_free(b->policy);
        user_table_deinit(&b->users);
        free(b->origin);
        free(b);
        return NULL;
}

void broker_set_origin(struct broker *b, const char *origin, bool kept)
{
        char *copy = origin ? strdup(origin) : NULL;

        /* Only what STATUS says: without memory, it says nothing. */
        free(b->origin);
        b->origin = copy;
        b->kept_policy = kept;
}

struct backend *broker_backend(const struct broker *b, enum policy_backend kind)
{
        return kind == POLICY_BACKEND_SHM || kind == POLICY_BACKEND_MEMFD ? b->backends[kind]
                                                                           : NULL;
}

/*
 * A fresh memfd is not sealed yet, and its creator holds it writable: it could grow it
 * directly instead of asking for RESIZE. Wherever the daemon sees its size (each tick, a stat
 * or open of it, a publish), growth within the rule's MaxSize= and the creator's
 * MaxBytesPerUser= is charged, and past either the object is emptied (it has no size yet, so
 * no reader holds it): what one user holds this way is bounded by what it can grow in a
 * second, and the daemon never seals or reserves more than the limits. fresh_growth() decides
 * for @o holding @bytes (object_bytes(): pages allocated past its end count too): it returns
 * true when it emptied the object, and in *ret_reason the limit passed
 * (SHMB_PROTO_REASON_NONE: none, or not a fresh memfd). A creator that sealed its memfd
 * against shrinking keeps the size, and is charged for it.
 */
static bool fresh_growth(struct broker *b, struct object *o, uint64_t bytes,
                         uint32_t *ret_reason)
{
        int k;

        *ret_reason = SHMB_PROTO_REASON_NONE;
        if (!(o->flags & OBJECT_FRESH) || o->backend != POLICY_BACKEND_MEMFD || o->fd < 0)
                return false;
        *ret_reason = fresh_limit_passed(b, o, bytes);
        if (*ret_reason == SHMB_PROTO_REASON_NONE)
                return false;
        /* Truncating to 0 frees every page, those past the end (FALLOC_FL_KEEP_SIZE) too. */
        k = ftruncate(o->fd, 0) < 0 ? -errno : 0;
        /* A size it could not empty and has charged already is no news at the next look. */
        if ((k == 0 || bytes > o->charge_bytes.amount) && log_ratelimit_uid(o->creator.uid)) {
                if (k == 0)
                        log_warning("Object '%s': its creator (uid %u) grew it to %" PRIu64
                                    " bytes before giving it its size, past MaxSize= or "
                                    "MaxBytesPerUser=; emptied.", log_name(o->name),
                                    (unsigned) o->creator.uid, bytes);
                else
                        log_warning_errno(k, "Object '%s': its creator (uid %u) grew it to "
                                          "%" PRIu64 " bytes before giving it its size, past "
                                          "MaxSize= or MaxBytesPerUser=, and it cannot be "
                                          "emptied (%m); charged for it.", o->name,
                                          (unsigned) o->creator.uid, bytes);
        }
        return k == 0;
}

/*
 * Sets @o's byte charge to @bytes, what the daemon just measured of it (at @size). Growth past
 * MaxSize= happened behind the daemon's back, by a writer (or the creator) of a Backend=shm
 * object: logged when the charge rises, rate-limited per creator, since the growth is
 * client-triggered. A fresh memfd's growth past its limits is fresh_growth()'s to log.
 */
static void charge_measured(struct object *o, uint64_t size, uint64_t bytes)
{
        uint64_t max = LIMIT_SIZE_MAX;

        if (o->rule && o->rule->max_size < max)
                max = o->rule->max_size;
        if (bytes > o->charge_bytes.amount && (size > max || bytes > max) &&
            !(o->flags & OBJECT_FRESH) && log_ratelimit_uid(o->creator.uid))
                log_warning("Object '%s': grown to %" PRIu64 " bytes behind the daemon's back, "
                            "past MaxSize=; its creator (uid %u) is charged %" PRIu64 " bytes "
                            "for it (its size, or the memory it holds if more; at most 1 TiB).",
                            log_name(o->name), size, (unsigned) o->creator.uid, bytes);
        user_charge_set(&o->charge_bytes, bytes);
}

/*
 * A Backend=shm object's writers hold plain tmpfs fds and may grow or shrink it (ftruncate(),
 * fallocate()); the daemon sees that when it opens or stats the object (@st), and in its
 * sweep, and charges the creator for what it measured (object_bytes(): its size, or the memory
 * it holds when that is more, as after fallocate(FALLOC_FL_KEEP_SIZE), which allocates past
 * the end without changing the size), past the quota if need be (the bytes exist): further
 * creates are then refused until the creator is within it again. No charge is more than
 * LIMIT_SIZE_MAX, however large the file says it is. A fresh memfd goes through
 * fresh_growth() first, whose reason lands in *ret_reason (may be NULL). Returns the object's
 * size now (st_size, or 0 if it was emptied).
 */
static uint64_t charge_growth(struct broker *b, struct object *o, const struct stat *st,
                              uint32_t *ret_reason)
{
        uint64_t size = (uint64_t) st->st_size;
        uint64_t bytes = object_bytes(size, (uint64_t) st->st_blocks);
        bool fresh = o->flags & OBJECT_FRESH;
        uint32_t reason;
        int r;

        if (fresh_growth(b, o, bytes, ret_reason ? ret_reason : &reason))
                size = bytes = 0;
        /* Down as well as up: a charge that only rose let a writer pin its creator's quota
         * with one sparse ftruncate(), even after the object was put right. What it measured
         * is what the object holds now; growth after this look is charged at the next. A
         * fresh memfd is its creator's alone, and its size is set (and charged) again when
         * it gets it: it keeps what it was charged within the limits, as it did before. */
        if (bytes > o->charge_bytes.amount || (bytes < o->charge_bytes.amount && !fresh))
                charge_measured(o, size, bytes);
        if (size == o->size || (size < o->size && fresh))
                return size;
        o->size = size;
        r = registry_save(b->registry, o);
        if (r < 0)
                log_warning_errno(r, "Registry: cannot record the new size of '%s', ignoring: "
                                  "%m", log_name(o->name));
        return size;
}

/* Held objects and live objects looked at per tick: round and round, so that every one is
 * seen every few seconds without any tick taking long. */
#define HELD_CHECKS_PER_TICK 256
#define SWEEP_CHECKS_PER_TICK 256

/*
 * The sweep: each Backend=shm object, in turn, is looked up in the object directory: grown or
 * shrunk by a writer, it is charged for what it holds now; gone or replaced (removed by
 * someone who may write the directory, by logind's RemoveIPC=), it is forgotten.
 */
static void sweep(struct broker *b)
{
        struct backend *be = broker_backend(b, POLICY_BACKEND_SHM);
        struct object *o = registry_first_after(b->registry, b->sweep_cursor), *next;
        size_t n;

        for (n = 0; n < SWEEP_CHECKS_PER_TICK && o; o = next, n++) {
                struct stat st;
                int r;

                next = registry_next(b->registry, o);
                snprintf(b->sweep_cursor, sizeof(b->sweep_cursor), "%s", o->name);
                /* Orphans too: a writer that kept an fd may grow one, and its creator is
                 * charged for it as for any other (one waiting for its creator's name may
                 * wait long). */
                if (o->backend != POLICY_BACKEND_SHM)
                        continue;
                r = be->ops->peek(be, o, &st);
                if (r == -ENOENT)
                        broker_forget_lost(b, o);
                else if (r >= 0)
                        (void) charge_growth(b, o, &st, NULL);
        }
        if (!o)
                b->sweep_cursor[0] = '\0'; /* round again from the start */
}

/* Fresh memfd objects checked per tick (in turn, if there are more). */
#define FRESH_CHECKS_PER_TICK 256

static void check_fresh(struct broker *b)
{
        size_t n;

        for (n = 0; n < FRESH_CHECKS_PER_TICK && !list_empty(&b->fresh); n++) {
                struct object *o = list_entry(b->fresh.next, struct object, fresh_node);
                struct stat st;

                list_remove(&o->fresh_node);
                if (!(o->flags & OBJECT_FRESH) || o->fd < 0 || fstat(o->fd, &st) < 0)
                        continue; /* sized (and sealed) meanwhile: nothing to watch */
                list_append(&b->fresh, &o->fresh_node);
                (void) charge_growth(b, o, &st, NULL);
        }
}

void broker_tick(struct broker *b)
{
        check_fresh(b);
        lifetime_tick(&b->lifetimes);
        (void) held_sweep(&b->held, HELD_CHECKS_PER_TICK);
        sweep(b);
}

bool broker_is_admin(const struct broker *b, const struct identity *id)
{
        return policy_is_admin(b->policy, id);
}

/* ---- the pipeline ---- */

int broker_resolve(struct request_ctx *c)
{
        int r;

        r = shmb_name_normalize(c->req->name, c->req->name_len, c->name);
        if (r < 0) {
                c->name[0] = '\0';
                return r;
        }
        c->rule = policy_match(c->b->policy, c->name, c->id);
        if (!c->rule)
                return broker_refuse(c, -EACCES, SHMB_PROTO_REASON_NO_RULE,
                                     "no rule matches this name");
        c->rights = policy_rights(c->rule, c->id);
        return 0;
}

int broker_lookup_own(struct request_ctx *c, struct object **ret)
{
        struct object *o = registry_lookup(c->b->registry, c->name);

        if (!o)
                return broker_refuse(c, -ENOENT, SHMB_PROTO_REASON_NO_OBJECT, NULL);
        if (o->orphan) {
                bool may_know = object_created_by(o, c->id) || broker_is_admin(c->b, c->id);

                c->audit = true;
                return broker_refuse(c, -ENOENT, may_know ? SHMB_PROTO_REASON_ORPHAN
                                                          : SHMB_PROTO_REASON_NO_OBJECT,
                                     "the object is an orphan");
        }
        if (o->rule != c->rule) {
                c->audit = true;
                c->detail = SHMB_PROTO_REASON_OTHER_RULE;
                return broker_refuse(c, -ENOENT, SHMB_PROTO_REASON_NO_OBJECT,
                                     "the object belongs to another rule");
        }
        if (!policy_creator_matches(c->rule, c->id, o->creator.uid, o->creator.app_id)) {
                c->audit = true;
                c->detail = SHMB_PROTO_REASON_OTHER_CREATOR;
                return broker_refuse(c, -ENOENT, SHMB_PROTO_REASON_NO_OBJECT,
                                     "another creator's object under a per-user or per-app "
                                     "rule");
        }
        /* Made unsized, it is there for its creator only until RESIZE gives it its size: no
         * one else can open it at size 0, or spoil the creator's sizing by opening it. */
        if ((o->flags & OBJECT_FRESH) && !object_created_by(o, c->id))
                return broker_refuse(c, -ENOENT, SHMB_PROTO_REASON_NO_OBJECT,
                                     "not sized yet by its creator");
        *ret = o;
        return 0;
}

int broker_lookup_live(struct request_ctx *c, struct object **ret)
{
        struct object *o;
        int r;

        r = broker_lookup_own(c, &o);
        if (r < 0)
                return r;
        if (lifetime_over(o))
                return broker_refuse(c, -ENOENT, SHMB_PROTO_REASON_NO_OBJECT,
                                     "its lifetime is over; it is being removed");
        *ret = o;
        return 0;
}

void broker_forget_lost(struct broker *b, struct object *o)
{
        char esc[LOG_ESCAPE_MAX];

        if (log_ratelimit_uid(o->creator.uid))
                log_warning("Object '%s' is gone from the object directory or was replaced "
                            "there; forgetting it.",
                            log_escape(o->name, strlen(o->name), esc, sizeof(esc)));
        broker_forget(b, o);
}

int broker_lost(struct request_ctx *c, struct object *o)
{
        if (!c->dry_run)
                broker_forget_lost(c->b, o);
        return broker_refuse(c, -ENOENT, SHMB_PROTO_REASON_NO_OBJECT, NULL);
}

bool broker_visible(const struct broker *b, const struct object *o, const struct identity *id)
{
        const struct policy_rule *rule;

        if (o->orphan || !o->rule)
                return false;
        if ((o->flags & OBJECT_FRESH) && !object_created_by(o, id))
                return false;
        rule = policy_match(b->policy, o->name, id);
        return rule == o->rule && (policy_rights(rule, id) & POLICY_RIGHT_READ) &&
               policy_creator_matches(rule, id, o->creator.uid, o->creator.app_id);
}

uint32_t broker_object_flags(const struct broker *b, const struct object *o)
{
        uint32_t flags = 0;

        if (o->orphan)
                flags |= SHMB_PROTO_OBJ_ORPHAN;
        if (o->flags & OBJECT_PUBLISHED)
                flags |= SHMB_PROTO_OBJ_PUBLISHED;
        if (o->flags & OBJECT_FRESH)
                flags |= SHMB_PROTO_OBJ_FRESH;
        if (o->backend == POLICY_BACKEND_MEMFD && o->fd >= 0) {
                /* As the kernel has them: a writer may have added a write seal itself. */
                int seals = fcntl(o->fd, F_GET_SEALS);

                if (seals >= 0 && (seals & F_SEAL_WRITE))
                        flags |= SHMB_PROTO_OBJ_SEAL_WRITE;
                if (seals >= 0 && (seals & F_SEAL_FUTURE_WRITE))
                        flags |= SHMB_PROTO_OBJ_SEAL_FUTURE_WRITE;
        }
        if (lifetime_creator_gone(o))
                flags |= SHMB_PROTO_OBJ_CREATOR_GONE;
        return flags;
}

/* Is @o closed to new writers: published, or a memfd a writer sealed itself? */
static bool write_closed(const struct broker *b, const struct object *o)
{
        return (o->flags & OBJECT_PUBLISHED) ||
               (broker_object_flags(b, o) &
                (SHMB_PROTO_OBJ_SEAL_WRITE | SHMB_PROTO_OBJ_SEAL_FUTURE_WRITE));
}

/* Turns the access asked for into the access granted, or -EACCES. @o: the object it is for, if
 * it exists (a published one gives no write). */
static int grant_access(struct request_ctx *c, const struct object *o, uint32_t asked,
                        uint32_t *ret)
{
        bool can_read = c->rights & POLICY_RIGHT_READ, can_write = c->rights & POLICY_RIGHT_WRITE;
        bool closed = o && write_closed(c->b, o);

        switch (asked) {
        case SHMB_PROTO_ACCESS_NONE:
                *ret = SHMB_PROTO_ACCESS_NONE;
                return 0;
        case SHMB_PROTO_ACCESS_RDONLY:
                if (!can_read)
                        return broker_refuse(c, -EACCES, SHMB_PROTO_REASON_NO_READ,
                                             "the rule does not let the caller read");
                *ret = SHMB_PROTO_ACCESS_RDONLY;
                return 0;
        case SHMB_PROTO_ACCESS_RDWR:
                if (!can_write)
                        return broker_refuse(c, -EACCES, SHMB_PROTO_REASON_NO_WRITE,
                                             "the rule does not let the caller write");
                if (closed)
                        return broker_refuse(c, -EACCES, SHMB_PROTO_REASON_PUBLISHED,
                                             "the object is published");
                *ret = SHMB_PROTO_ACCESS_RDWR;
                return 0;
        case SHMB_PROTO_ACCESS_ANY:
                if (can_write && !closed)
                        *ret = SHMB_PROTO_ACCESS_RDWR;
                else if (can_read)
                        *ret = SHMB_PROTO_ACCESS_RDONLY;
                else
                        return broker_refuse(c, -EACCES, SHMB_PROTO_REASON_NO_READ,
                                             "the rule does not let the caller read");
                return 0;
        default:
                return -EINVAL;
        }
}

static int access_flags(uint32_t access)
{
        return access == SHMB_PROTO_ACCESS_RDWR ? O_RDWR : O_RDONLY;
}

/*
 * The inode must not give the caller more than the policy does. A read-only fd is only as
 * strong as the inode behind it: its owner could fchmod() it, and anyone the inode lets write
 * could reopen it writable through /proc. And a creator that Owner= or Group= %u or %U makes
 * the object's owner or group has the file system's access to it, beside the broker's, and
 * an owner can give anyone anything. So a caller the policy does not let write gets no fd of,
 * and creates no, inode that would let them write, and a creator the policy does not let read
 * creates none it could read. Root can reopen anything whatever we do; the policy still
 * decides what root is handed.
 */
int broker_check_inode_access(struct request_ctx *c, int fd, const struct stat *st)
{
        unsigned inode_access;
        int r;

        if ((c->rights & POLICY_RIGHT_WRITE) || c->id->uid == 0)
                return 0;
        if (st->st_uid == c->id->uid)
                return refuse_misconfig(c, -EACCES,
                                        "a read-only caller owns the object and could make "
                                        "it writable; fix the rule's Owner=");
        r = acl_access_fd(fd, st, c->id, &inode_access);
        if (r < 0)
                return r;
        if (inode_access & 2)
                return refuse_misconfig(c, -EACCES,
                                        "the object's mode or ACL lets a caller write whom the "
                                        "rule does not let write; fix the rule's Mode= or "
                                        "Group=");
        if ((inode_access & 4) && !(c->rights & POLICY_RIGHT_READ))
                return refuse_misconfig(c, -EACCES,
                                        "the object's mode or ACL lets the creator read, which "
                                        "the rule does not let read; fix the rule's Mode= or "
                                        "Group=");
        return 0;
}

/* Attaches @fd to the reply encoded as @r (its length, or -errno: then @fd is dropped). */
static int reply_with_fd(const struct request_ctx *c, int fd, int r, int *fds,
                         size_t *ret_n_fds)
{
        if (r < 0) {
                if (!c->borrowed)
                        safe_close(fd);
                return r;
        }
        fds[0] = fd;
        *ret_n_fds = 1;
        return r;
}

static int reply_fd(const struct request_ctx *c, int fd, const struct shmb_proto_fd_reply *fr,
                    void *buf, size_t size_buf, int *fds, size_t *ret_n_fds)
{
        return reply_with_fd(c, fd, shmb_proto_encode_fd_reply(buf, size_buf, c->req->seq, fr),
                             fds, ret_n_fds);
}

/* ---- decisions ---- */

int broker_decide_create(struct request_ctx *c, uint32_t asked,
                         const struct policy_lifetime *lifetime, uint32_t *ret_access)
{
        int r;

        /* The daemon's own directories in the object directory (trash.h): the start-up scan
         * skips these names, so an object at one was forgotten at the next start, its charge
         * dropped, its file left and its name blocked for good. The one place that keeps them
         * out, for every backend (a name is one object, whatever its backend), before the
         * rule's rights so that the answer does not depend on who asks. */
        if (trash_is_trash_name(c->name))
                return broker_refuse(c, -EINVAL, SHMB_PROTO_REASON_NONE,
                                     "names beginning with '" TRASH_PREFIX "' are reserved "
                                     "for the daemon");
        /* The name service failed to say the creator's name (not "no such user"): a %u rule
         * could not match it, and a wider rule after it would take the object, its creator's
         * name-space object then shared. Refused until a connection of its own asks again
         * (failures are not kept, resolver.c). */
        if (c->b->policy->needs_user_names && c->id->user_name_failed)
                return broker_refuse(c, -EAGAIN, SHMB_PROTO_REASON_NONE,
                                     "the name service failed to say the creator's user name");
        if (!(c->rights & POLICY_RIGHT_CREATE))
                return broker_refuse(c, -EACCES, SHMB_PROTO_REASON_NO_CREATE,
                                     "the rule does not let the caller create");
        r = grant_access(c, NULL, asked, ret_access);
        if (r < 0)
                return r;
        if (lifetime && !policy_lifetime_allows(c->rule, lifetime))
                return broker_refuse(c, -EACCES, SHMB_PROTO_REASON_LIFETIME,
                                     "the rule's Lifetime= does not allow the lifetime asked "
                                     "for");
        /* A name is one object, whatever its rule or backend. */
        if (registry_lookup(c->b->registry, c->name))
                return broker_refuse(c, -EEXIST, SHMB_PROTO_REASON_EXISTS, NULL);
        /* Owner= or Group= named someone who did not resolve at load: no file can be given
         * its owner (memfd objects are the daemon's, whatever the rule says). */
        if (c->rule->create_refusal && c->rule->backend == POLICY_BACKEND_SHM)
                return refuse_misconfig(c, -EACCES, c->rule->create_refusal);
        /* Owner=%u or %U: the creator would own the file, and an owner can do anything with
         * it (broker_check_inode_access(), which handle_create() also runs for what a group
         * or mode gives, on the inode). Decided here, so that EXPLAIN says it too. */
        if (c->rule->backend == POLICY_BACKEND_SHM &&
            policy_id_spec_is_requester(&c->rule->owner) &&
            !(c->rights & POLICY_RIGHT_WRITE) && c->id->uid != 0)
                return refuse_misconfig(c, -EACCES, "the creator would own the object, which "
                                        "the rule does not let it write; fix the rule's "
                                        "Owner=");
        return 0;
}

int broker_decide_open(struct request_ctx *c, uint32_t asked, struct object **ret,
                       uint32_t *ret_access)
{
        struct object *o;
        int r;

        /* The rights first, the registry after: a caller without rights learns nothing about
         * which names exist. */
        r = grant_access(c, NULL, asked, ret_access);
        if (r < 0)
                return r;
        r = broker_lookup_live(c, &o);
        if (r < 0)
                return r;
        r = grant_access(c, o, asked, ret_access);
        if (r < 0)
                return r;
        *ret = o;
        return 0;
}

int broker_decide_unlink(struct request_ctx *c, struct object **ret)
{
        if (!(c->rights & POLICY_RIGHT_CREATE))
                return broker_refuse(c, -EACCES, SHMB_PROTO_REASON_NO_CREATE,
                                     "the rule does not let the caller create or remove");
        return broker_lookup_own(c, ret);
}

int broker_decide_stat(struct request_ctx *c, struct object **ret)
{
        /* stat shows what the caller may open: a name it may not read has nothing to show. */
        if (!(c->rights & POLICY_RIGHT_READ))
                return broker_refuse(c, -ENOENT, SHMB_PROTO_REASON_NO_READ,
                                     "the rule does not let the caller read");
        return broker_lookup_own(c, ret);
}

/* ---- create, open, unlink ---- */

/*
 * For a creator who asked for a read-only fd: a fresh read-only open of the new object (@fd,
 * borrowed), whose inode handle_create() has checked (broker_check_inode_access()).
 */
static int create_read_only_fd(int fd, int *ret_fd)
{
        int ro = fd_reopen(fd, O_RDONLY);

        if (ro < 0)
                return ro;
        *ret_fd = ro;
        return 0;
}

/* What the create asks to live as: the rule's Lifetime= for DEFAULT. */
static int requested_lifetime(const struct request_ctx *c, struct policy_lifetime *ret)
{
        switch (c->req->lifetime) {
        case SHMB_PROTO_LIFETIME_DEFAULT:
                *ret = c->rule->lifetime;
                return 0;
        case SHMB_PROTO_LIFETIME_PERSISTENT:
                *ret = (struct policy_lifetime) { .kind = POLICY_LIFETIME_PERSISTENT };
                return 0;
        case SHMB_PROTO_LIFETIME_PROCESS:
                *ret = (struct policy_lifetime) { .kind = POLICY_LIFETIME_PROCESS };
                return 0;
        case SHMB_PROTO_LIFETIME_SPAN:
                *ret = (struct policy_lifetime) { .kind = POLICY_LIFETIME_SPAN,
                                                  .usec = c->req->lifetime_usec };
                return policy_lifetime_valid(ret) ? 0 : -EINVAL;
        default:
                return -EINVAL;
        }
}

static int handle_create(struct request_ctx *c, void *buf, size_t size, int *fds,
                         size_t *ret_n_fds)
{
        struct backend *be = broker_backend(c->b, c->rule->backend);
        _cleanup_(object_attrs_done) struct object_attrs a = {};
        _cleanup_(closep) int fd = -1, out = -1, pidfd = -1;
        bool unsized = c->req->flags & SHMB_PROTO_CREATE_UNSIZED;
        const struct rule_attrs *ra;
        struct policy_lifetime lifetime;
        struct object *o = NULL;
        uint64_t sz = c->req->size;
        uint32_t access;
        struct stat st;
        int r;

        r = requested_lifetime(c, &lifetime);
        if (r < 0)
                return r;
        r = broker_decide_create(c, c->req->access, &lifetime, &access);
        if (r < 0)
                return r;
        if (sz == 0 && !unsized)
                return -EINVAL;
        if (sz > c->rule->max_size || sz > LIMIT_SIZE_MAX)
                return broker_refuse(c, -EFBIG, SHMB_PROTO_REASON_TOO_BIG, NULL);
        /* What the rule gives every object, computed at its first create. */
        r = attrs_cache_get(&c->b->attrs, c->b->policy, c->rule, &ra);
        if (r < 0)
                return r;
        if (c->rule->backend == POLICY_BACKEND_SHM) {
                r = object_attrs_for_cached(ra, c->rule, c->id, &a);
                if (r == -ENXIO)
                        return refuse_misconfig(c, -EACCES, "the rule's Owner= or Group= "
                                                "does not resolve");
                /* Owner=%u or Group=%u for a uid without a user name (or group of it). */
                if (r == -ENOENT)
                        return refuse_misconfig(c, -EACCES, "the rule's Owner=%u or "
                                                "Group=%u: the creator's uid has no user "
                                                "name, or no group of that name");
                if (r < 0)
                        return r;
        }

        r = object_new(c->name, c->rule->backend, c->id, sz, &o);
        if (r < 0)
                return r;
        if (unsized)
                o->flags |= OBJECT_FRESH;
        r = broker_prepare_lifetime(c, o, &lifetime, &pidfd);
        if (r < 0) {
                object_free(o);
                return r;
        }
        /* Charged before anything is made: over quota, nothing is. */
        r = charge_object(c->b, o, c->id->uid, &c->b->policy->quota, &c->reason);
        if (r < 0) {
                object_free(o);
                return r;
        }
        o->rule = c->rule;
        o->ctime_usec = (uint64_t) time(NULL) * 1000000u;
        o->spec = ra->spec;
        r = object_set_rule_id(o, c->rule->id);
        if (r >= 0)
                r = be->ops->create(be, o, &a, &fd, &st);
        if (r == -ENOSPC && o->backend == POLICY_BACKEND_MEMFD)
                c->reason = SHMB_PROTO_REASON_STORE_FULL;
        /* Before anything is linked: the creator's own view of the new inode, when it is to
         * get an fd of it, or the rule makes it the owner or group (%u, %U). */
        if (r >= 0 && (access == SHMB_PROTO_ACCESS_RDONLY || policy_owned_by_creator(c->rule)))
                r = broker_check_inode_access(c, fd, &st);
        if (r >= 0 && access == SHMB_PROTO_ACCESS_RDONLY)
                r = create_read_only_fd(fd, &out);
        /* Recorded before it is published: a crash in between leaves a record of an object
         * that is not there (dropped at the next start), never an object nobody recorded. */
        if (r >= 0)
                r = registry_add(c->b->registry, c->b->policy, o);
        if (r < 0) {
                object_free(o);
                return r;
        }
        /* Tracked before it is reachable: a creator already gone refuses the create while
         * nothing is there to undo. Once published, nothing fails: a creator that exits from
         * now on makes its pidfd readable, and the loop removes the object the normal way. */
        r = lifetime_track(&c->b->lifetimes, o, TAKE_FD(pidfd));
        if (r == -ESRCH)
                broker_refuse(c, r, SHMB_PROTO_REASON_NONE,
                              "the process that opened the connection has exited");
        if (r >= 0) {
                r = be->ops->publish(be, o, fd);
                if (r < 0)
                        lifetime_untrack(&c->b->lifetimes, o);
        }
        if (r < 0) {
                /* Not reachable, not charged: as if it had never been. */
                registry_drop(c->b->registry, o);
                return r;
        }
        audit_grant(c, access);
        /* Watched by the tick only now that it is there: a create that failed above freed
         * it, and nothing may point at it then. */
        if ((o->flags & OBJECT_FRESH) && o->backend == POLICY_BACKEND_MEMFD)
                list_append(&c->b->fresh, &o->fresh_node);
        /* A fresh object is its creator's alone until it has its size (RESIZE tells). */
        if (!(o->flags & OBJECT_FRESH))
                broker_notify(c->b, o, SHMB_PROTO_EVENT_CREATED);
        /* A writer gets create()'s own fresh O_RDWR open, shared with no one. */
        if (access == SHMB_PROTO_ACCESS_RDWR)
                out = TAKE_FD(fd);
        if (out < 0)
                return shmb_proto_encode_ok(buf, size, c->req->seq);
        return reply_fd(c, TAKE_FD(out),
                        &(struct shmb_proto_fd_reply) {
                                .size = sz, .access = access, .backend = (uint32_t) o->backend,
                                .flags = broker_object_flags(c->b, o) },
                        buf, size, fds, ret_n_fds);
}

int broker_end_fresh(struct request_ctx *c, struct object *o)
{
        struct backend *be;
        int r;

        if (!(o->flags & OBJECT_FRESH))
                return 0;
        be = broker_backend(c->b, o->backend);
        /* A memfd gets its seals now, at the size it has (0, unless its creator grew it
         * directly: charged for that, within the limits, as the tick would), as every other
         * memfd object has them. The daemon reserves that size: past the limits, nothing is
         * reserved and the object is emptied. */
        if (o->backend == POLICY_BACKEND_MEMFD) {
                uint32_t reason = SHMB_PROTO_REASON_NONE;
                struct stat st;
                uint64_t size;

                if (fstat(o->fd, &st) < 0)
                        return -errno;
                /* Its size now, against the limits, whatever it was charged for before
                 * (a stat, an open, or a restart may have seen it larger). */
                size = charge_growth(c->b, o, &st, &reason);
                if (reason != SHMB_PROTO_REASON_NONE)
                        return broker_refuse(c, reason == SHMB_PROTO_REASON_TOO_BIG ? -EFBIG
                                                                                    : -EDQUOT,
                                             reason, "its creator grew it past MaxSize= or "
                                             "MaxBytesPerUser= before giving it its size");
                r = be->ops->resize(be, o, size);
                if (r < 0)
                        return r;
        }
        o->flags &= ~OBJECT_FRESH;
        r = registry_save(c->b->registry, o);
        if (r < 0)
                log_warning_errno(r, "Registry: cannot record '%s', ignoring: %m",
                                  log_name(o->name));
        return 0;
}

/*
 * An fd of @o with @access for the caller: the connection's kept one, once @o is seen to be
 * still what the registry names (as a fresh open checks: backend peek()), with *ret_kept set;
 * else a fresh open, the caller's.
 */
static int object_fd(struct request_ctx *c, struct backend *be, struct object *o,
                     uint32_t access, int *ret_fd, bool *ret_kept, struct stat *ret_st)
{
        int fd = c->kept ? fdcache_get(c->kept, o, access) : -ENOENT;
        int r;

        if (fd >= 0) {
                r = be->ops->peek(be, o, ret_st);
                if (r < 0)
                        return r;
                *ret_fd = fd;
                *ret_kept = true;
                return 0;
        }
        r = be->ops->open(be, o, access_flags(access), ret_fd, ret_st);
        if (r < 0)
                return r;
        *ret_kept = false;
        return 0;
}

/*
 * Opens an existing object for the caller: the fd and what it gives. *ret_kept: the fd is
 * borrowed from the connection's kept fds (fdcache.h), else it is the caller's.
 */
static int open_one(struct request_ctx *c, int *ret_fd, bool *ret_kept,
                    struct shmb_proto_fd_reply *ret, struct object **ret_o)
{
        _cleanup_(closep) int owned = -1;
        struct backend *be;
        struct object *o;
        uint32_t access;
        struct stat st;
        bool kept;
        int fd, r;

        r = broker_decide_open(c, c->req->access, &o, &access);
        if (r < 0)
                return r;
        be = broker_backend(c->b, o->backend);
        r = object_fd(c, be, o, access, &fd, &kept, &st);
        if (r == -ENOENT)
                return broker_lost(c, o);
        if (r < 0)
                return r;
        if (!kept)
                owned = fd;
        if (access == SHMB_PROTO_ACCESS_RDONLY) {
                r = broker_check_inode_access(c, fd, &st);
                if (r < 0)
                        return r;
        }
        /* The size as it is now: a fresh memfd grown past its limits was just emptied. */
        st.st_size = (off_t) charge_growth(c->b, o, &st, NULL);
        if (lifetime_opened(&c->b->lifetimes, o)) {
                r = registry_save(c->b->registry, o);
                if (r < 0)
                        log_warning_errno(r, "Registry: cannot record the last open of '%s', "
                                          "ignoring: %m", log_name(o->name));
        }
        *ret = (struct shmb_proto_fd_reply) {
                .size = (uint64_t) st.st_size, .access = access,
                .backend = (uint32_t) o->backend, .flags = broker_object_flags(c->b, o),
        };
        audit_grant(c, access);
        /* Kept for the connection's next open of it, within the budgets; else handed over. */
        if (!kept && c->kept && fdcache_keep(c->kept, o, access, owned) >= 0) {
                owned = -1;
                kept = true;
        }
        *ret_fd = kept ? fd : TAKE_FD(owned);
        *ret_kept = kept;
        if (ret_o)
                *ret_o = o;
        return 0;
}

static int handle_open(struct request_ctx *c, void *buf, size_t size, int *fds,
                       size_t *ret_n_fds)
{
        struct shmb_proto_fd_reply fr;
        int fd, r;

        r = open_one(c, &fd, &c->borrowed, &fr, NULL);
        if (r < 0)
                return r;
        return reply_fd(c, fd, &fr, buf, size, fds, ret_n_fds);
}

/*
 * May the client answer its next open of @o with @access itself, from a dup() of this fd, for
 * as long as the generation page says nothing changed (genpage.h)? Not when an open does more
 * than hand out an fd: a span lifetime counts from the last open, a fresh object stops being
 * fresh when someone else opens it. Not for a writable fd of a memfd whose seals are not
 * final: a writer may seal it itself, after which the daemon hands out no writable fd, and no
 * daemon-side change would tell the page.
 */
static bool reusable(const struct object *o, uint32_t access)
{
        int seals;

        if (o->lifetime.usec != 0 || (o->flags & OBJECT_FRESH))
                return false;
        if (o->backend != POLICY_BACKEND_MEMFD || access != SHMB_PROTO_ACCESS_RDWR)
                return true;
        /*
         * Read once, and judged whole: final (F_SEAL_SEAL) and still writable. A writer that
         * sealed it between the decision and here shows a write seal: no ticket, although this
         * one grant, decided a moment before, stands.
         */
        seals = o->fd >= 0 ? fcntl(o->fd, F_GET_SEALS) : -1;
        return seals >= 0 && (seals & F_SEAL_SEAL) &&
               !(seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE));
}

/* OPEN_CACHED: decided and answered exactly as OPEN, with a ticket for reusing the fd. */
static int handle_open_cached(struct request_ctx *c, void *buf, size_t size, int *fds,
                              size_t *ret_n_fds)
{
        struct shmb_proto_fd_cached_reply t = {};
        struct object *o;
        int fd, r;

        r = open_one(c, &fd, &c->borrowed, &t.fd, &o);
        if (r < 0)
                return r;
        if (reusable(o, t.fd.access))
                genpage_ticket(o->name, &t);
        else
                t.slot = SHMB_PROTO_CACHE_NONE;
        return reply_with_fd(c, fd,
                             shmb_proto_encode_fd_cached_reply(buf, size, c->req->seq, &t), fds,
                             ret_n_fds);
}

/* Does some rule let @id read? (Then it may hold tickets, and so the page.) */
static bool reads_somewhere(const struct policy *p, const struct identity *id)
{
        size_t i;

        for (i = 0; i < p->n_rules; i++)
                if (policy_rights(&p->rules[i], id) & POLICY_RIGHT_READ)
                        return true;
        return false;
}

/*
 * CACHE_PAGE: the generation page, read-only (the daemon keeps it: borrowed). The page shows
 * when something somewhere changed (not what: the slots are keyed), so only to a caller that
 * some rule lets read, which could hold a ticket; anyone else has no use for it.
 */
static int handle_cache_page(struct request_ctx *c, void *buf, size_t size, int *fds,
                             size_t *ret_n_fds)
{
        int fd = genpage_fd();

        if (fd < 0)
                return fd;
        if (!reads_somewhere(c->b->policy, c->id))
                return broker_refuse(c, -EACCES, SHMB_PROTO_REASON_NO_READ,
                                     "no rule lets the caller read");
        log_debug("Handing the generation page to uid %u.", (unsigned) c->id->uid);
        c->borrowed = true;
        return reply_with_fd(c, fd, shmb_proto_encode_cache_page_reply(buf, size, c->req->seq),
                             fds, ret_n_fds);
}

/* Removes @o's storage and forgets it; its charges stay while clients hold it. */
static int remove_object(struct request_ctx *c, struct object *o)
{
        int r;

        r = broker_remove(c->b, o);
        if (r == -ENOENT)
                return broker_refuse(c, -ENOENT, SHMB_PROTO_REASON_NO_OBJECT, NULL);
        return r;
}

static int handle_unlink(struct request_ctx *c, void *buf, size_t size)
{
        struct object *o;
        int r;

        r = broker_decide_unlink(c, &o);
        if (r < 0)
                return r;
        r = remove_object(c, o);
        if (r < 0)
                return r;
        audit_grant(c, SHMB_PROTO_ACCESS_NONE);
        return shmb_proto_encode_ok(buf, size, c->req->seq);
}

bool broker_may_unlink_any_rule(const struct broker *b, const struct identity *id,
                                const struct object *o)
{
        bool its_apps;

        if (!o)
                return false;
        /* Its user's, on the main socket: same uid, and made through an app socket. App ids
         * overlap (app org.a's Names=%u-%a-* covers the names of app org.a-b), so one app can
         * take a name of its sibling's, which the sibling cannot remove (another creator's) and
         * the user on the main socket could not either (another rule decides the name there).
         * Only for UNLINK: opening another app's object is not the user's, and an app is no
         * user here (it could otherwise remove its siblings' objects). */
        its_apps = !id->app_id && o->creator.app_id && o->creator.uid == id->uid;
        /* An orphan (no rule of the current policy governs it) is refused to everyone, but
         * its creator and the admins may remove it. */
        if (o->orphan)
                return its_apps || object_created_by(o, id) || broker_is_admin(b, id);
        /* Unsized, it is not there yet for anyone but its creator (broker_lookup_own()). */
        return its_apps && !(o->flags & OBJECT_FRESH);
}

/*
 * An UNLINK that broker_may_unlink_any_rule() allows, before any rule decides. Returns the
 * reply's length (> 0) when this request was such a removal, 0 when it is not one (the normal
 * path decides), or -errno.
 */
static int unlink_any_rule(struct request_ctx *c, void *buf, size_t size)
{
        struct object *o;
        int r;

        r = shmb_name_normalize(c->req->name, c->req->name_len, c->name);
        if (r < 0) {
                c->name[0] = '\0';
                return 0;
        }
        o = registry_lookup(c->b->registry, c->name);
        if (!broker_may_unlink_any_rule(c->b, c->id, o))
                return 0;
        /* The object's rule (none for an orphan) goes on record with the removal. */
        c->rule = o->rule;
        r = remove_object(c, o);
        if (r < 0)
                return r;
        audit_grant(c, SHMB_PROTO_ACCESS_NONE);
        /* The reply's length (never 0): this request was the removal. */
        return shmb_proto_encode_ok(buf, size, c->req->seq);
}

/* ---- stat ---- */

int broker_stat_reply(struct request_ctx *c, struct object *o, void *buf, size_t size)
{
        struct shmb_proto_acl_entry acl[SHMB_PROTO_ACL_MAX];
        struct shmb_proto_stat_reply sr = { .rights = c->rights };
        struct backend *be;
        struct stat st;
        int r;

        be = broker_backend(c->b, o->backend);
        r = be->ops->stat(be, o, &st, acl, ELEMENTSOF(acl));
        if (r == -ENOENT)
                return broker_lost(c, o);
        if (r < 0)
                return r;
        st.st_size = (off_t) charge_growth(c->b, o, &st, NULL);
        sr.n_acl = (uint32_t) r;
        sr.backend = (uint32_t) o->backend;
        sr.size = (uint64_t) st.st_size;
        sr.uid = st.st_uid;
        sr.gid = st.st_gid;
        sr.mode = st.st_mode & 07777;
        sr.creator = (uint32_t) o->creator.uid;
        sr.flags = broker_object_flags(c->b, o);
        sr.ctime_usec = o->ctime_usec;
        sr.lifetime = broker_proto_lifetime(&o->lifetime);
        sr.lifetime_usec = o->lifetime.kind == POLICY_LIFETIME_SPAN ? o->lifetime.usec : 0;
        return shmb_proto_encode_stat_reply(buf, size, c->req->seq, &sr, o->rule_id,
                                            o->creator.app_id, acl);
}

static int handle_stat(struct request_ctx *c, void *buf, size_t size)
{
        struct object *o;
        int r;

        r = broker_decide_stat(c, &o);
        if (r < 0)
                return r;
        return broker_stat_reply(c, o, buf, size);
}

/* ---- list ---- */

struct list_ctx {
        struct shmb_proto_list_builder lb;
        const struct identity *id;
        uint32_t flags;
        int error;
};

static bool list_one(struct object *o, void *userdata)
{
        struct list_ctx *l = userdata;
        int r;

        if ((o->flags & OBJECT_FRESH) && !object_created_by(o, l->id))
                return true;
        r = l->lb.n_names < LIMIT_LIST_PAGE_NAMES ? shmb_proto_list_append(&l->lb, o->name)
                                                  : -ENOBUFS;

        if (r == -ENOBUFS) {
                l->flags |= SHMB_PROTO_LIST_MORE;
                return false;
        }
        if (r < 0) {
                l->error = r;
                return false;
        }
        return true;
}

/*
 * A page of the names the caller may open, after the cursor. The registry keeps each rule's
 * objects in name order, so a page costs what it holds, not what the registry holds.
 */
static int handle_list(struct request_ctx *c, void *buf, size_t size)
{
        struct list_ctx l = { .id = c->id };
        int r;

        if (c->req->flags & (SHMB_PROTO_NAME_ALL | SHMB_PROTO_NAME_DETAILS))
                return broker_list_all(c, buf, size);
        /* An empty cursor starts the listing; any other must be a valid name. */
        if (c->req->name_len > 0) {
                r = shmb_name_normalize(c->req->name, c->req->name_len, c->name);
                if (r < 0)
                        return r;
        }
        r = shmb_proto_list_begin(&l.lb, buf, size, c->req->seq);
        if (r < 0)
                return r;
        registry_list(c->b->registry, c->b->policy, c->id, c->name, list_one, &l);
        if (l.error < 0)
                return l.error;
        return shmb_proto_list_finish(&l.lb, l.flags);
}

/* Denials go to the audit trail; suspicious objects are worth a warning; the rest is what
 * clients expect to hear now and then. */
static void report_refusal(const struct request_ctx *c, int r)
{
        if (c->audit || r == -EACCES || r == -EPERM || r == -EDQUOT || r == -EFBIG)
                audit_record(c->id, request_verb(c->req->type), c->name[0] ? c->name : "-",
                             access_name(c->req->access), c->rule ? c->rule->id : NULL, r);
        if (c->warn)
                log_refusal(c, LOG_WARNING, r);
        else if (r != -ENOENT && r != -EEXIST && r != -EACCES && r != -EDQUOT && r != -EFBIG)
                log_refusal(c, LOG_INFO, r);
}

/*
 * Up to SHMB_PROTO_BATCH_MAX opens in one round trip. Each name is decided on its own, exactly
 * as a single open; a failure affects only its own result.
 */
static int handle_open_batch(struct broker *b, const struct identity *id,
                             struct fdcache *kept, const struct shmb_proto_request *req,
                             void *buf, size_t size, int *fds, size_t *ret_n_fds,
                             uint32_t *ret_borrowed)
{
        struct shmb_proto_batch_result results[SHMB_PROTO_BATCH_MAX] = {};
        struct shmb_proto_request sub;
        size_t i, n_fds = 0;
        uint32_t borrowed = 0;
        int r;

        for (i = 0; i < req->n_items; i++) {
                struct request_ctx c = { .b = b, .id = id, .req = &sub, .kept = kept };
                struct shmb_proto_fd_reply fr;
                bool is_kept;
                int fd = -1;

                sub = (struct shmb_proto_request) {
                        .type = SHMB_PROTO_OPEN, .seq = req->seq,
                        .access = req->items[i].access, .name_len = req->items[i].name_len,
                };
                memcpy(sub.name, req->items[i].name, sub.name_len);
                sub.name[sub.name_len] = '\0';

                r = broker_resolve(&c);
                if (r >= 0)
                        r = open_one(&c, &fd, &is_kept, &fr, NULL);
                if (r < 0) {
                        report_refusal(&c, r);
                        results[i].error = -r;
                        results[i].flags = reason_of(&c, r);
                        continue;
                }
                results[i] = (struct shmb_proto_batch_result) {
                        .access = fr.access, .backend = fr.backend, .size = fr.size,
                        .flags = fr.flags,
                };
                if (is_kept)
                        borrowed |= UINT32_C(1) << n_fds;
                fds[n_fds++] = fd;
        }
        r = shmb_proto_encode_batch_reply(buf, size, req->seq, results, req->n_items);
        if (r < 0) {
                while (n_fds > 0) {
                        n_fds--;
                        if (!(borrowed & (UINT32_C(1) << n_fds)))
                                safe_close(fds[n_fds]);
                }
                return r;
        }
        *ret_n_fds = n_fds;
        *ret_borrowed = borrowed;
        return r;
}

static int dispatch(struct request_ctx *c, void *buf, size_t size, int *fds, size_t *ret_n_fds)
{
        int r;

        switch (c->req->type) {
        case SHMB_PROTO_CACHE_PAGE:
                return handle_cache_page(c, buf, size, fds, ret_n_fds);
        case SHMB_PROTO_LIST:
                return handle_list(c, buf, size);
        case SHMB_PROTO_STATUS:
                return broker_handle_status(c, buf, size);
        case SHMB_PROTO_EXPLAIN:
                return broker_handle_explain(c, buf, size);
        case SHMB_PROTO_UNLINK:
                if (c->req->flags & SHMB_PROTO_NAME_ALL)
                        return broker_unlink_any(c, buf, size);
                r = unlink_any_rule(c, buf, size);
                if (r != 0)
                        return r;
                break;
        case SHMB_PROTO_STAT:
                if (c->req->flags & SHMB_PROTO_NAME_ALL)
                        return broker_list_all(c, buf, size);
                break;
        default:
                break;
        }
        r = broker_resolve(c);
        if (r < 0)
                return r;
        switch (c->req->type) {
        case SHMB_PROTO_CREATE:
                return handle_create(c, buf, size, fds, ret_n_fds);
        case SHMB_PROTO_OPEN:
                return handle_open(c, buf, size, fds, ret_n_fds);
        case SHMB_PROTO_OPEN_CACHED:
                return handle_open_cached(c, buf, size, fds, ret_n_fds);
        case SHMB_PROTO_UNLINK:
                return handle_unlink(c, buf, size);
        case SHMB_PROTO_STAT:
                return handle_stat(c, buf, size);
        case SHMB_PROTO_RESIZE:
                return broker_handle_resize(c, buf, size);
        case SHMB_PROTO_PUBLISH:
                return broker_handle_publish(c, buf, size);
        default:
                /* APP_SOCKET, WAIT and WATCH are the connection's (conn.c). */
                return -EOPNOTSUPP;
        }
}

int broker_handle(struct broker *b, struct identity *id,
                  const struct shmb_proto_request *req, void *buf, size_t size, int *fds,
                  size_t *ret_n_fds)
{
        uint32_t borrowed;

        return broker_handle_cached(b, id, NULL, req, buf, size, fds, ret_n_fds, &borrowed);
}

int broker_handle_cached(struct broker *b, struct identity *id, struct fdcache *kept,
                         const struct shmb_proto_request *req, void *buf, size_t size,
                         int *fds, size_t *ret_n_fds, uint32_t *ret_borrowed)
{
        struct request_ctx c = { .b = b, .id = id, .req = req, .kept = kept };
        int r;

        *ret_n_fds = 0;
        *ret_borrowed = 0;
        /* Looked up when the connection was accepted (resolver.c); only a policy that came
         * to need names after that makes it happen here, once per connection. */
        if (b->policy->needs_user_names && !id->user_name_resolved)
                resolver_resolve(id);
        if (req->type == SHMB_PROTO_OPEN_BATCH) {
                r = handle_open_batch(b, id, kept, req, buf, size, fds, ret_n_fds,
                                      ret_borrowed);
                if (r >= 0)
                        return r;
        } else
                r = dispatch(&c, buf, size, fds, ret_n_fds);
        if (r >= 0) {
                *ret_borrowed = c.borrowed && *ret_n_fds == 1 ? 1 : 0;
                return r;
        }

        /* stat shows what the caller may open: for anyone else, nothing is there. */
        if (req->type == SHMB_PROTO_STAT && r == -EACCES && c.reason != SHMB_PROTO_REASON_NOT_ADMIN)
                r = -ENOENT;
        report_refusal(&c, r);
        return encode_error(buf, size, req->seq, r, reason_of(&c, r));
}
