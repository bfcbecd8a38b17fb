/* SPDX-License-Identifier: MIT */
/*
 * closer.h - closing fds a client sent, away from the event loop.
 *
 * Requests carry no fds, and where the kernel has SO_PASSRIGHTS (Linux 6.16) the listening
 * socket refuses them: the client's sendmsg() fails and nothing ever reaches the daemon. On
 * older kernels they arrive, and close() of the last reference to a file can take long: a TCP
 * socket with SO_LINGER whose peer never reads makes close() wait out the linger time. Closed
 * in the event loop, that would stall every client of every user. So such fds go to a thread
 * of their own, which closes them one by one; the connection that sent them is dropped.
 *
 * Each fd is charged to the uid that sent it (USER_SLOT_CLOSING) until it is closed, so a uid
 * that keeps the closer busy is refused new connections (listener.c) rather than filling the
 * daemon's fd table.
 */
#pragma once

#include <stddef.h>

#include "loop.h"
#include "user.h"

struct closer;

/* Starts the thread, with a queue as deep as RLIMIT_NOFILE (so it can never be full: the
 * process cannot hold more fds than that). Completions come back through @loop. */
int closer_new(struct loop *loop, struct closer **ret);
/* Closes what is still queued (in this thread, at exit) and stops the thread. */
struct closer *closer_free(struct closer *c);

/* Hands @fds over (consumed) on behalf of @u. Without a closer (NULL: tests, fuzzing), they
 * are closed here. */
void closer_push(struct closer *c, struct user *u, int *fds, size_t n);

/* Waits until everything pushed so far is closed and accounted for (tests). */
void closer_drain(struct closer *c);
