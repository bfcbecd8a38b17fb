/* SPDX-License-Identifier: MIT */
/*
 * broker-lifetime.c - the broker's side of lifetimes: an object whose life ended is removed
 * like an unlink, with an audit record and a log line (see lifetime.h for the tracking).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "broker.h"
#include "log.h"

int broker_remove(struct broker *b, struct object *o)
{
        struct backend *be = broker_backend(b, o->backend);
        int r, fd = -1;

        r = be->ops->unlink(be, o, &fd);
        if (r < 0 && r != -ENOENT)
                return r;
        if (fd >= 0)
                (void) held_add(&b->held, fd, o);
        broker_forget(b, o);
        return r;
}

static void expire(void *userdata, struct object *o, const char *why)
{
        struct broker *b = userdata;
        char name[SHMB_PROTO_NAME_MAX + 1], rule[256];
        struct identity creator = { .uid = o->creator.uid, .gid = (gid_t) -1,
                                    .pid = o->creator.pid };
        int r;

        /* @o is about to go: keep what the log and the audit record need. */
        (void) snprintf(name, sizeof(name), "%s", o->name);
        (void) snprintf(rule, sizeof(rule), "%s", o->rule_id ? o->rule_id : "");
        r = broker_remove(b, o);
        if (r < 0 && r != -ENOENT) {
                log_warning_errno(r, "Object '%s': %s, but it cannot be removed, keeping it: %m",
                                  name, why);
                return;
        }
        log_info("Object '%s' of uid %u removed: %s.", name, (unsigned) creator.uid, why);
        audit_record(&creator, "expire", name, "none", rule[0] ? rule : NULL, 0);
}

int broker_lifetimes_init(struct broker *b)
{
        return lifetime_init(&b->lifetimes, expire, b);
}

void broker_resume_lifetimes(struct broker *b)
{
        struct object *o, *next;
        size_t gone = 0;
        int r;

        for (o = registry_first(b->registry); o; o = next) {
                next = registry_next(b->registry, o);
                r = lifetime_resume(&b->lifetimes, o);
                if (r == -ESRCH) {
                        gone++;
                        expire(b, o, "its creating process exited while the daemon was down");
                } else if (r < 0)
                        log_warning_errno(r, "Object '%s': cannot watch its lifetime, keeping "
                                          "it: %m", o->name);
        }
        if (gone > 0)
                log_notice("%zu object(s) removed at start: their creating processes exited "
                           "while the daemon was down.", gone);
}
