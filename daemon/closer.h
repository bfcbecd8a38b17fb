/* SPDX-License-Identifier: MIT */
/*
 * closer.h - closing fds a client sent, away from the event loop.
 *
 * Requests carry no fds, and where the kernel has SO_PASSRIGHTS (Linux 6.16) the listening
 * socket refuses them: the client's sendmsg() fails and nothing ever reaches the daemon. On
 * older kernels they arrive, and close() of the last reference to a file can take long: a TCP
 * socket with SO_LINGER whose peer never reads makes close() wait out the linger time. Closed
 * in the event loop, that would stall every client of every user. So such fds go to a worker
 * thread of their own (worker.h); the connection that sent them is dropped.
 *
 * Each fd is charged to the uid that sent it (USER_SLOT_CLOSING) until it is closed, so a uid
 * that keeps the closer busy is refused new connections (listener.c) rather than filling the
 * daemon's fd table.
 */
#pragma once

#include <stddef.h>

#include "user.h"
#include "worker.h"

/*
 * closer_push() - hand @fds (consumed) to @closer on behalf of @u. Without a closer (NULL:
 * tests), or without memory for the job, they are closed here.
 */
void closer_push(struct worker *closer, struct user *u, int *fds, size_t n);
