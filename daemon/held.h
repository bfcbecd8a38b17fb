/* SPDX-License-Identifier: MIT */
/*
 * held.h - removed objects that clients may still hold, charged until nobody does.
 *
 * Unlinking a name does not free its memory: every fd and mapping a client has keeps the pages
 * alive. So the quota must not give the bytes back at unlink, or a user could hold any number
 * of objects of their quota's size. The daemon keeps a read-only fd of each removed object
 * and the creator's charges with it, and asks the kernel now and then whether anybody else
 * still has the file open or mapped: a write lease (F_SETLEASE, F_WRLCK) is granted only when
 * no other open file description of the inode exists, mappings included. The lease is
 * released at once; it is only a question. The charges go when the answer is "nobody".
 *
 * What this cannot see: nothing, as long as the kernel grants leases (CAP_LEASE, or the daemon
 * owning the file; fs.leases-enable=1). Where it refuses them, the charges are released at
 * removal, as before, and the daemon says so once.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "list.h"
#include "object.h"

struct held_set {
        struct list_node list;          /* oldest first; a sweep goes round it */
        size_t n;
        bool leases_unusable;           /* the kernel refused a lease: charges go at once */
};

void held_init(struct held_set *h);
/* Releases every charge and closes every fd (at exit). */
void held_deinit(struct held_set *h);

/*
 * held_add() - @o's storage was just removed; @fd (consumed) is a read-only fd of it. Takes
 * over @o's charges (o's are left empty), unless nobody holds the object any more, in which
 * case they stay with @o (to be released with it). Return: 1 when held, 0 when not.
 */
int held_add(struct held_set *h, int fd, struct object *o);

/* Asks about at most @budget held objects, oldest first, releasing those nobody holds any
 * more, and charging their creator for what the others hold now (a client may ftruncate() or
 * fallocate() them still). Returns how many were released. */
size_t held_sweep(struct held_set *h, size_t budget);
