/* SPDX-License-Identifier: MIT */
/*
 * fdstore.h - systemd's file descriptor store: fds the service manager keeps for the daemon
 * across restarts (sd_pid_notify_with_fds(), FDSTORE=1, FDNAME=), handed back at start with
 * sd_listen_fds_with_names().
 *
 * What the daemon keeps there, by name:
 *   shmb-obj-SERIAL     a Backend=memfd object's memfd (backend-memfd.c)
 *   shmb-policy-GEN     the last policy that loaded, as a sealed memfd (policy-store.c)
 *   shmb-pid-PID-INO-START   the creator of lifetime=process objects (lifetime.c)
 * Without $NOTIFY_SOCKET there is no store: nothing is pushed and nothing comes back.
 *
 * The store keeps a fixed number of fds, and drops what does not fit without a word. memfd
 * objects and creators' pidfds share the slots the policy leaves (fdstore_slot_take()): an
 * object that would not fit is refused (ENOSPC) rather than lost at the next restart, and a
 * creator that would not fit is checked by pid after a restart instead.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define FDSTORE_OBJECT_PREFIX "shmb-obj-"
#define FDSTORE_POLICY_PREFIX "shmb-policy-"
/* Earlier versions kept each object's metadata in a memfd of its own; the registry holds it
 * now, and such fds are dropped. */
#define FDSTORE_LEGACY_META_PREFIX "shmb-meta-"

bool fdstore_active(void);

/* Pushes @fd (borrowed) under @name. Return: 0, or -errno (no store: -EOPNOTSUPP). */
int fdstore_push(int fd, const char *name);

/* Asks the store to drop every fd named @name; without a store, nothing. */
void fdstore_remove(const char *name);

/* The slots for objects and pidfds: @max (0: not known, no limit). */
void fdstore_set_slots(size_t max);
/* Is a slot free? */
bool fdstore_slot_free(void);
/* Takes a slot (false: none free, nothing taken), gives one back. */
bool fdstore_slot_take(void);
void fdstore_slot_give(void);
