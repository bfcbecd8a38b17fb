/* SPDX-License-Identifier: MIT */
/*
 * fdstore.h - keeping memfd objects alive across restarts in the service manager's fd store.
 *
 * Each memfd object is pushed twice (sd_pid_notify_with_fds, FDSTORE=1):
 *   FDNAME=shmb-obj-N    the object's memfd itself;
 *   FDNAME=shmb-meta-N   a small sealed memfd with its name, creator and size,
 * where N is the object's serial. Unlink sends FDSTOREREMOVE=1 for both. At start the daemon
 * gets them back from sd_listen_fds_with_names() and re-adopts each pair after checking the
 * seals and the size. Without $NOTIFY_SOCKET nothing is pushed.
 */
#pragma once

#include <stdbool.h>

#include "broker.h"

#define FDSTORE_OBJ_PREFIX "shmb-obj-"
#define FDSTORE_META_PREFIX "shmb-meta-"

void fdstore_push(const struct memfd_object *o);
void fdstore_remove(const struct memfd_object *o);

/* Is this a name fdstore_push() gives? */
bool fdstore_is_ours(const char *fdname);

/*
 * fdstore_adopt() - re-adopt the memfd objects among passed fds.
 * @fds, @names: the fds from sd_listen_fds_with_names() whose names fdstore_is_ours();
 *               all are consumed (adopted or closed).
 *
 * Returns the number of objects adopted. Pairs that do not check out are reported, closed and
 * removed from the store; they never reach a client.
 */
int fdstore_adopt(struct broker *b, int *fds, char **names, size_t n);
