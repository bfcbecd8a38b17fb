/* SPDX-License-Identifier: MIT */
/*
 * genpage.h - the generation page: what lets a client answer a repeat open itself.
 *
 * One page of a sealed memfd (layout: struct shmb_proto_cache_head in protocol.h) that the
 * daemon writes and clients map read-only after CACHE_PAGE. An OPEN_CACHED grant carries a
 * ticket: the name's slot, and the epoch and the slot's value at the decision. The daemon
 * raises the slot of a name whenever something changes what an open of it would give
 * (object_drop_kept(): removal, attributes set again, publish, resize, rebinding), and the
 * epoch at every policy change, each before any reply that follows the change is sent. So
 * while a client reads its ticket's two values back unchanged, the same open would be granted
 * the same fd, and a dup() of the one it holds is that answer.
 *
 * Which slot a name falls in is a SipHash of the name keyed with a secret made at start:
 * a client learns the slots of the names it was handed, not of the names it cannot see.
 *
 * One page per daemon, made at start (genpage_init()); a process-wide singleton like the log,
 * since the hook sits in the objects themselves. Before genpage_init() (and in unit tests)
 * every function is a no-op and CACHE_PAGE is refused with EOPNOTSUPP.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "protocol.h"

int genpage_init(void);
void genpage_done(void);

/* The read-only fd clients are handed (borrowed), or -EOPNOTSUPP. */
int genpage_fd(void);

/* The ticket for a grant of @name now. */
void genpage_ticket(const char *name, struct shmb_proto_fd_cached_reply *t);

/* Something about @name changed: no ticket issued before stays good. */
void genpage_bump(const char *name);
/* The policy changed: no ticket issued before stays good. */
void genpage_bump_all(void);
