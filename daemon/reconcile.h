/* SPDX-License-Identifier: MIT */
/*
 * reconcile.h - bring every object in line with a policy: at start, and at each reload.
 *
 * Each object is decided anew with its creator's identity, as if it were created now. If the
 * rule that governs it has the same backend, the object is bound to that rule and its owner,
 * group, mode and ACL are re-applied (only where the rule's spec for them changed), so that
 * file-system access equals broker access again. Otherwise it becomes an orphan: refused to
 * clients, owned by the daemon with mode 0, removable by its creator and by admins. Nothing is
 * deleted here. fds and mappings handed out earlier stay valid: the kernel cannot revoke them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "broker.h"

struct reconcile_stats {
        size_t objects;         /* objects looked at */
        size_t rebound;         /* now governed by another rule than before */
        size_t reapplied;       /* owner, group, mode or ACL set again */
        size_t orphaned;        /* orphans now (newly or still) */
        size_t restored;        /* orphans that a rule governs again */
        size_t lost;            /* storage found gone or replaced: forgotten */
        size_t failed;          /* attributes that could not be applied (logged) */
        size_t awaiting;        /* refused until their creator's user name is known */
};

/*
 * reconcile() - bind every object of @b's registry to @p, which becomes @b's policy (the old
 * one is freed once nothing points into it any more). @p is consumed; it may be @b's policy
 * already (at start). With @check (a reload), it also starts a pass over the objects' files
 * (reconcile_conform_run()).
 */
int reconcile(struct broker *b, struct policy *p, bool check, struct reconcile_stats *ret);

/*
 * reconcile_conform_run() - after a reload (reconcile() with @check): look at the files of the
 * next few objects (in name order) and set back what their owner or root changed on them
 * (chown, chmod, setfacl); the last call logs what the pass did. Called between rounds of
 * requests while reconcile_conform_busy(). Return: objects passed over.
 */
size_t reconcile_conform_run(struct broker *b);
bool reconcile_conform_busy(const struct broker *b);
/* Logs the end of the last reload once its pass over the files is done and no creator's
 * name is being looked up any more (b->names_pending); else later, by its last caller. */
void reconcile_conform_report(struct broker *b);

/*
 * reconcile_object() - decide @o again under @b's policy, as reconcile() does (and record
 * it): for an object whose creator's user name has just become known (creators.h). @o may be
 * forgotten (its storage gone).
 */
void reconcile_object(struct broker *b, struct object *o);
