/* SPDX-License-Identifier: MIT */
/*
 * broker-lifecycle.c - what happens to an object after its create: lifetimes that end it
 * (removed like an unlink, audited and logged; lifetime.h tracks them), publishing (no
 * writable fd any more), sizing a fresh object (RESIZE, for shm_open(3) then ftruncate(2)),
 * and what WAIT and WATCH are told.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "attrs.h"
#include "audit.h"
#include "broker-internal.h"
#include "limits.h"
#include "log.h"
#include "macro.h"

int broker_remove(struct broker *b, struct object *o)
{
        struct backend *be = broker_backend(b, o->backend);
        bool began = !(o->flags & OBJECT_REMOVING);
        int r, k, fd = -1;

        /* On record first: a removal the journal does not know of could be undone at the next
         * start by anyone who kept a hard link and put it back at the name; one it knows of
         * is finished by the next start, whatever a stop cut short. */
        r = registry_mark_removing(b->registry, o);
        if (r < 0) {
                if (log_ratelimit_uid(o->creator.uid))
                        log_warning_errno(r, "Registry: cannot record that '%s' is to be "
                                          "removed; it stays: %m", log_name(o->name));
                return r;
        }
        r = be->ops->unlink(be, o, &fd);
        if (r < 0 && r != -ENOENT) {
                /* Taken back only by the call that began it: one a start finishes (on
                 * record before it) stays on record, tried again, never live again. */
                if (!began)
                        return r;
                o->flags &= ~OBJECT_REMOVING;
                k = registry_save(b->registry, o);
                if (k < 0)
                        log_warning_errno(k, "Registry: '%s' could not be removed, nor its "
                                          "removal taken back on record; the next start "
                                          "finishes it: %m", log_name(o->name));
                return r;
        }
        if (fd >= 0)
                (void) held_add(&b->held, fd, o);
        broker_forget(b, o);
        return r;
}

/* ---- lifetimes ---- */

static int expire(void *userdata, struct object *o, const char *why)
{
        struct broker *b = userdata;
        char name[SHMB_PROTO_NAME_MAX + 1], rule[SHMB_PROTO_RULE_ID_MAX + 1];
        char app[SHMB_PROTO_APP_ID_MAX + 1], esc[LOG_ESCAPE_MAX];
        struct identity creator = { .uid = o->creator.uid, .gid = (gid_t) -1,
                                    .pid = o->creator.pid };
        int r;

        /* @o is about to go: keep what the log and the audit record need (the log's name
         * escaped: a client chose it). */
        (void) snprintf(name, sizeof(name), "%s", o->name);
        (void) log_escape(name, strlen(name), esc, sizeof(esc));
        (void) snprintf(rule, sizeof(rule), "%s", o->rule_id ? o->rule_id : "");
        (void) snprintf(app, sizeof(app), "%s", o->creator.app_id ? o->creator.app_id : "");
        creator.app_id = app[0] ? app : NULL;
        r = broker_remove(b, o);
        if (r < 0 && r != -ENOENT) {
                if (log_ratelimit_uid(creator.uid))
                        log_warning_errno(r, "Object '%s': %s, but it cannot be removed now; "
                                          "trying again: %m", esc, why);
                return r;
        }
        /* A process that creates its MaxObjectsPerUser= objects with lifetime=process and
         * exits ends them all at once, and can do it again: lossy, like every line a client
         * triggers. The audit record keeps its own limiter (audit.c). */
        if (log_ratelimit_uid(creator.uid))
                log_info("Object '%s' of uid %u removed: %s.", esc, (unsigned) creator.uid,
                         why);
        audit_record(&creator, "expire", name, "none", rule[0] ? rule : NULL, 0);
        return 0;
}

int broker_lifetimes_init(struct broker *b)
{
        return lifetime_init(&b->lifetimes, expire, b);
}

void broker_resume_lifetimes(struct broker *b)
{
        struct object *o, *next;
        size_t gone = 0, cut = 0;
        int r;

        for (o = registry_first(b->registry); o; o = next) {
                next = registry_next(b->registry, o);
                /* Its removal was on record (broker_remove()) when the daemon stopped: never
                 * handed out again (lifetime_over()), and removed as soon as the loop runs. */
                if (o->flags & OBJECT_REMOVING) {
                        cut++;
                        lifetime_end(&b->lifetimes, o, "its removal was cut short by a stop");
                        continue;
                }
                r = lifetime_resume(&b->lifetimes, o);
                if (r == -ESRCH) {
                        gone++;
                        lifetime_end(&b->lifetimes, o,
                                     "its creating process exited while the daemon was down");
                } else if (r < 0)
                        log_warning_errno(r, "Object '%s': cannot watch its lifetime, keeping "
                                          "it: %m", log_name(o->name));
        }
        if (gone > 0)
                log_notice("%zu object(s) removed at start: their creating processes exited "
                           "while the daemon was down.", gone);
        if (cut > 0)
                log_notice("%zu object(s) removed at start: their removal was cut short by a "
                           "stop.", cut);
}

int broker_prepare_lifetime(struct request_ctx *c, struct object *o,
                            const struct policy_lifetime *lifetime, int *ret_pidfd)
{
        int r;

        o->lifetime = *lifetime;
        *ret_pidfd = -1;
        switch (lifetime->kind) {
        case POLICY_LIFETIME_PROCESS:
                /* A rule whose Lifetime= is a span caps a process lifetime: whichever ends
                 * first. */
                if (c->rule->lifetime.kind == POLICY_LIFETIME_SPAN) {
                        o->lifetime.usec = c->rule->lifetime.usec;
                        o->last_open_usec = o->last_open_saved_usec = lifetime_now();
                }
                r = lifetime_creator(o, c->id->has_peer_fd ? c->id->peer_fd : -1, c->id->pid,
                                     ret_pidfd);
                if (r == -ESRCH)
                        return broker_refuse(c, -ESRCH, SHMB_PROTO_REASON_NONE,
                                             "the process that opened the connection has "
                                             "exited");
                if (r == -EOPNOTSUPP)
                        return broker_refuse(c, r, SHMB_PROTO_REASON_NONE,
                                             "the connecting process cannot be told apart (it "
                                             "is in another pid namespace, and this kernel has "
                                             "no pidfs)");
                return r;
        case POLICY_LIFETIME_SPAN:
                o->last_open_usec = o->last_open_saved_usec = lifetime_now();
                return 0;
        case POLICY_LIFETIME_PERSISTENT:
                return 0;
        }
        return -EINVAL;
}

/* ---- publish ---- */

/* May the caller publish its name's object? */
static int decide_publish(struct request_ctx *c, struct object **ret)
{
        struct object *o = NULL;
        int r;

        if (c->rule->publish == POLICY_PUBLISH_NO)
                return broker_refuse(c, -EPERM, SHMB_PROTO_REASON_NO_PUBLISH,
                                     "the rule lets nobody publish (Publish=no)");
        /* Who may not even open the object learns nothing of it. */
        if (!(c->rights & (POLICY_RIGHT_CREATE | POLICY_RIGHT_READ)))
                return broker_refuse(c, -EACCES, SHMB_PROTO_REASON_NO_READ,
                                     "the rule does not let the caller read");
        r = broker_lookup_live(c, &o);
        if (r < 0)
                return r;
        if (object_created_by(o, c->id))
                ;
        else if (c->rule->publish == POLICY_PUBLISH_CREATOR)
                return broker_refuse(c, -EPERM, SHMB_PROTO_REASON_NOT_CREATOR,
                                     "only the creator may publish it");
        else if (!(c->rights & POLICY_RIGHT_WRITE))
                return broker_refuse(c, -EPERM, SHMB_PROTO_REASON_NO_PUBLISH,
                                     "only its creator and writers may publish it "
                                     "(Publish=writers)");
        *ret = o;
        return 0;
}

/* shm: the rule's attributes for the creator (demoted as a reload does, if it may not write),
 * with write taken away. */
static int publish_shm(struct request_ctx *c, struct object *o, struct backend *be)
{
        _cleanup_(object_attrs_done) struct object_attrs a = {};
        struct identity creator = object_creator_identity(o);
        uint64_t spec;
        int r;

        r = object_attrs_decide(o->rule, &creator, true, &a);
        if (r >= 0)
                r = object_attrs_spec(o->rule, &spec);
        if (r < 0)
                return r;
        r = be->ops->seal(be, o, false, &a);
        if (r < 0)
                return r;
        o->spec = object_attrs_spec_decide(o->rule, &creator, true, spec);
        return 0;
}

/*
 * A shm object's publication is recorded before it is made: the next start sets a shm
 * object's attributes by what the journal says, so a publish it did not hold would come back
 * writable after a restart while its clients were told it was published. A journal that
 * cannot take the record fails the publish, and nothing changes.
 */
static int record_published(struct broker *b, struct object *o)
{
        int r;

        o->flags |= OBJECT_PUBLISHED;
        r = registry_save(b->registry, o);
        if (r < 0) {
                o->flags &= ~OBJECT_PUBLISHED;
                return log_warning_errno(r, "Registry: cannot record that '%s' is published, "
                                         "not publishing it: %m", log_name(o->name));
        }
        return 0;
}

/* The publish failed after record_published(): take the record back. If that fails too, the
 * next start publishes the object (less access, never more). */
static void unrecord_published(struct broker *b, struct object *o)
{
        int r;

        o->flags &= ~OBJECT_PUBLISHED;
        r = registry_save(b->registry, o);
        if (r < 0)
                log_warning_errno(r, "Registry: cannot record that '%s' is not published after "
                                  "all; the next start publishes it: %m", log_name(o->name));
}

int broker_handle_publish(struct request_ctx *c, void *buf, size_t size)
{
        bool future = c->req->mode == SHMB_PROTO_PUBLISH_FUTURE, was_fresh;
        struct backend *be;
        struct object *o = NULL;
        uint32_t want;
        int r;

        r = decide_publish(c, &o);
        if (r < 0)
                return r;
        /* Final bytes have a final size: publishing ends a fresh object's sizing, and makes
         * it there for everyone. */
        was_fresh = o->flags & OBJECT_FRESH;
        r = broker_end_fresh(c, o);
        if (r < 0)
                return r;
        if (was_fresh)
                broker_notify(c->b, o, SHMB_PROTO_EVENT_CREATED);
        be = broker_backend(c->b, o->backend);
        if (o->backend == POLICY_BACKEND_SHM) {
                if (future)
                        return broker_refuse(c, -EOPNOTSUPP, SHMB_PROTO_REASON_NONE,
                                             "a shm object cannot be sealed: publish it "
                                             "without --future");
                if (!(o->flags & OBJECT_PUBLISHED)) {
                        r = record_published(c->b, o);
                        if (r < 0)
                                return r;
                        r = publish_shm(c, o, be);
                        if (r < 0) {
                                unrecord_published(c->b, o);
                                return r;
                        }
                }
        } else {
                want = future ? OBJECT_SEAL_FUTURE : OBJECT_SEAL_WRITE;
                if (!(o->flags & want) && !(o->flags & OBJECT_SEAL_WRITE)) {
                        r = be->ops->seal(be, o, future, NULL);
                        if (r == -EBUSY)
                                return broker_refuse(c, -EBUSY, SHMB_PROTO_REASON_BUSY,
                                                     "a writable mapping of it exists");
                        if (r == -EINVAL)
                                return broker_refuse(c, -EOPNOTSUPP, SHMB_PROTO_REASON_NONE,
                                                     "this kernel has no F_SEAL_FUTURE_WRITE");
                        if (r == -EPERM)
                                return broker_refuse(c, -EPERM, SHMB_PROTO_REASON_NO_PUBLISH,
                                                     "the object was sealed for good, at "
                                                     "create (Publish=no then) or by a "
                                                     "writer");
                        if (r < 0)
                                return r;
                        o->flags |= want;
                }
        }
        o->flags |= OBJECT_PUBLISHED;
        /* shm: the flag is on record already, this adds the attributes' spec; memfd: the seals
         * are what the next start goes by (backend-memfd.c), whatever the journal says. */
        r = registry_save(c->b->registry, o);
        if (r < 0)
                log_warning_errno(r, "Registry: cannot record that '%s' is published, "
                                  "ignoring: %m", log_name(o->name));
        audit_record(c->id, "publish", o->name, future ? "future" : "seal", o->rule_id, 0);
        broker_notify(c->b, o, SHMB_PROTO_EVENT_PUBLISHED);
        return shmb_proto_encode_ok(buf, size, c->req->seq);
}

/* ---- resize ---- */

int broker_handle_resize(struct request_ctx *c, void *buf, size_t size)
{
        const struct policy_quota *q = &c->b->policy->quota;
        uint64_t sz = c->req->size;
        struct backend *be;
        struct object *o;
        int r;

        /* Who may not even open the object learns nothing of it. */
        if (!(c->rights & (POLICY_RIGHT_CREATE | POLICY_RIGHT_READ)))
                return broker_refuse(c, -EACCES, SHMB_PROTO_REASON_NO_CREATE,
                                     "the rule does not let the caller create");
        r = broker_lookup_live(c, &o);
        if (r < 0)
                return r;
        if (!object_created_by(o, c->id))
                return broker_refuse(c, -EPERM, SHMB_PROTO_REASON_NOT_CREATOR,
                                     "only the creator may size it");
        if (!(o->flags & OBJECT_FRESH))
                return broker_refuse(c, -EPERM, SHMB_PROTO_REASON_NOT_FRESH,
                                     "it has its size, or someone else opened it");
        if (sz == 0)
                return -EINVAL;
        if (sz > c->rule->max_size || sz > LIMIT_SIZE_MAX)
                return broker_refuse(c, -EFBIG, SHMB_PROTO_REASON_TOO_BIG, NULL);
        /* Charged as a create is: within the quota, before the memory is taken. */
        if (o->charge_bytes.user) {
                uint64_t used = user_charge_others(&o->charge_bytes);

                if (used > q->max_bytes || sz > q->max_bytes - used)
                        return broker_refuse(c, -EDQUOT, SHMB_PROTO_REASON_QUOTA_BYTES, NULL);
        }
        be = broker_backend(c->b, o->backend);
        r = be->ops->resize(be, o, sz);
        if (r < 0)
                return r;
        user_charge_set(&o->charge_bytes, sz);
        o->size = sz;
        o->flags &= ~OBJECT_FRESH;
        r = registry_save(c->b->registry, o);
        if (r < 0)
                log_warning_errno(r, "Registry: cannot record the size of '%s', ignoring: %m",
                                  log_name(o->name));
        /* Now it is there for everyone the policy lets open it. */
        broker_notify(c->b, o, SHMB_PROTO_EVENT_CREATED);
        return shmb_proto_encode_ok(buf, size, c->req->seq);
}

/* ---- wait and watch ---- */

int broker_wait_ready(struct broker *b, const struct identity *id, const char *name,
                      bool published, uint32_t *ret_reason)
{
        const struct policy_rule *rule = policy_match(b->policy, name, id);
        struct object *o;

        *ret_reason = SHMB_PROTO_REASON_NONE;
        if (!rule) {
                *ret_reason = SHMB_PROTO_REASON_NO_RULE;
                return -EACCES;
        }
        if (!(policy_rights(rule, id) & POLICY_RIGHT_READ)) {
                *ret_reason = SHMB_PROTO_REASON_NO_READ;
                return -EACCES;
        }
        o = registry_lookup(b->registry, name);
        if (!o || !broker_visible(b, o, id))
                return 0;
        if (published && !(o->flags & OBJECT_PUBLISHED))
                return 0;
        return 1;
}

bool broker_watch_matches(const struct broker *b, const struct object *o,
                          const struct identity *id, const char *pattern)
{
        if (pattern[0] && fnmatch(pattern, o->name, 0) != 0)
                return false;
        return broker_visible(b, o, id);
}
