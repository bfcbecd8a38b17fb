/* SPDX-License-Identifier: MIT */
/*
 * restore.h - start-up: the registry and the objects, taken back from the previous instance.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "broker.h"
#include "policy.h"

/*
 * broker_restore() - a broker on what the previous instance left.
 * @p: the policy to run on (consumed).
 * @state_fd: the state directory (borrowed; stays open while the broker runs).
 * @shm_fd: the object directory (consumed).
 * @objects: the fd store's memfds (their fds consumed, the array stays the caller's).
 * @memfd_max: how many memfd objects the fd store keeps (0: unknown).
 *
 * Reads the registry's journal, has each backend take back its objects (dropping, and
 * reporting, those whose storage is gone), binds every object to @p (reconcile.c), charges
 * them to their creators and compacts the journal. Logs what it found.
 */
int broker_restore(struct policy *p, int state_fd, int shm_fd, struct passed_fd *objects,
                   size_t n_objects, size_t memfd_max, struct broker **ret);

/* Binds every object to @p (consumed), which becomes @b's policy, and logs what changed;
 * at a @reload, also undoes what was changed on the objects' files (reconcile()).
 * @ret_orphans: how many objects are orphans under @p. */
int broker_apply_policy(struct broker *b, struct policy *p, bool reload, size_t *ret_orphans);
