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
        size_t conformed;       /* ... because they had been changed on the file */
        size_t orphaned;        /* orphans now (newly or still) */
        size_t restored;        /* orphans that a rule governs again */
        size_t lost;            /* storage found gone or replaced: forgotten */
        size_t failed;          /* attributes that could not be applied (logged) */
};

/*
 * reconcile() - bind every object of @b's registry to @p, which becomes @b's policy (the old
 * one is freed once nothing points into it any more). @p is consumed; it may be @b's policy
 * already (at start). With @check (a reload), every object whose rule's attributes did not
 * change is also looked at, and what its owner or root changed on the file is undone: an open,
 * fstat and fgetxattr each.
 */
int reconcile(struct broker *b, struct policy *p, bool check, struct reconcile_stats *ret);
