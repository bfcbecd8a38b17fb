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
 * creator that would not fit is checked by pid after a restart instead. Each uid may hold an
 * eighth of the slots (at least one), so that one user cannot take the store from everyone
 * else; pidfds, which the daemon can do without, half of that, and half of the store at most.
 * Past half of the store, a uid holding FDSTORE_FAIR_FLOOR or more gets another slot only
 * while it holds less than its share of the free ones (the free ones over the number of uids
 * holding some), so that eight uids cannot fill it either.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define FDSTORE_OBJECT_PREFIX "shmb-obj-"
#define FDSTORE_POLICY_PREFIX "shmb-policy-"
/* Earlier versions kept each object's metadata in a memfd of its own; the registry holds it
 * now, and such fds are dropped. */
#define FDSTORE_LEGACY_META_PREFIX "shmb-meta-"

#define FDSTORE_FAIR_FLOOR 4

bool fdstore_active(void);

/* Pushes @fd (borrowed) under @name. Return: 0, or -errno (no store: -EOPNOTSUPP). */
int fdstore_push(int fd, const char *name);

/* Asks the store to drop every fd named @name; without a store, nothing. */
void fdstore_remove(const char *name);

enum fdstore_slot {
        FDSTORE_SLOT_OBJECT,
        FDSTORE_SLOT_PIDFD,
        _FDSTORE_SLOT_MAX,
};

/* The slots for objects and pidfds: @max (0: not known, no limit); each uid's share. */
void fdstore_set_slots(size_t max);
size_t fdstore_slot_share(void);
/* Would @uid get a slot of @kind now? 0, -ENOSPC (the store is full) or -EDQUOT (@uid holds
 * its share). */
int fdstore_slot_check(uid_t uid, enum fdstore_slot kind);
/* Takes one for @uid (false: none, nothing taken). */
bool fdstore_slot_take(uid_t uid, enum fdstore_slot kind);
/* Counts one that came back from the store, whatever the limits: it is there. */
void fdstore_slot_count(uid_t uid, enum fdstore_slot kind);
void fdstore_slot_give(uid_t uid, enum fdstore_slot kind);
/* Forgets every count (the memfd backend goes). */
void fdstore_slots_reset(void);
