/* SPDX-License-Identifier: MIT */
/*
 * policy-store.h - the last policy that loaded, kept in the service manager's fd store.
 *
 * A restart that meets a broken policy on disk (a typo, a user deleted, a directory service
 * down at boot) must not take the objects down with it: under systemd a start that fails often
 * enough fails the unit, and a failed unit's fd store - every Backend=memfd object and its
 * bytes - is emptied. So each policy that loads is kept in the store as a sealed memfd
 * (FDNAME=shmb-policy-GENERATION, the texts it was read from), and at start, when the policy on
 * disk is refused, the daemon runs on that one instead and says so.
 *
 * Without a service manager there is no store: nothing is kept, and a refused policy at start
 * stops the daemon as before (nothing would be lost: shm objects and the registry are on
 * disk, memfd objects did not survive anyway).
 */
#pragma once

#include <stdint.h>

#include "backend.h"
#include "policy.h"

struct policy_store {
        char current[64];       /* FDNAME of the policy kept now, or "" */
};

/*
 * policy_store_save() - keep @p (its sources) as generation @generation, then drop the one
 * kept before. Return: 0, -EOPNOTSUPP without a store, or -errno.
 */
int policy_store_save(struct policy_store *s, const struct policy *p, uint64_t generation);

/*
 * policy_store_forget() - the policy on disk loaded: the store's are superseded. Consumes
 * @fds; the newest is dropped from the store by the next policy_store_save(), the others now.
 */
void policy_store_forget(struct policy_store *s, struct passed_fd *fds, size_t n);

/*
 * policy_store_take() - the newest policy among @fds (the store's shmb-policy-* fds, all
 * consumed; the others are dropped from the store), parsed again.
 * Return: 0 with the policy and its generation, -ENOENT if there is none that parses, or
 * -errno.
 */
int policy_store_take(struct policy_store *s, struct passed_fd *fds, size_t n,
                      struct policy **ret, uint64_t *ret_generation);
