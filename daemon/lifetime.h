/* SPDX-License-Identifier: MIT */
/*
 * lifetime.h - objects that end on their own: lifetime=process (when the creating process
 * exits) and lifetime=SPAN (that long after the last open through the broker).
 *
 * Process: the creator is held by a pidfd (SO_PEERPIDFD, else pidfd_open() of the peer's pid),
 * never by its pid number alone, and the pidfd is watched by the event loop: it becomes
 * readable when the process exits, crash included, and its objects are removed at once. One
 * tracker per process, however many objects it made. Across a daemon restart the pidfd waits
 * in the service manager's fd store (FDSTORE_PIDFD_PREFIX); without one, the pid is opened
 * again and checked against what was recorded at create (the pidfd's pidfs inode, which is
 * unique per boot on Linux 6.9+, else the process's start time): a pid that is gone, or now
 * another process's, means the creator exited while the daemon was down. A creator that
 * cannot be checked either way is assumed alive (nothing is removed early), and the log says
 * so.
 *
 * Span: a tree of objects by deadline (last open + span). The tick takes the expired ones off
 * the front; an object opened since it was filed goes back in at its new deadline, so an open
 * costs no tree work. The last open is journalled at most every span/16 (and at least a
 * second apart): after a restart an object counts as opened that much later than recorded, so
 * it is never removed early and at most span/16 late.
 *
 * Removal is the caller's (the broker's normal unlink: charges, audit, fd store), through the
 * expire callback; lifetime_untrack() is called for every object that goes, whatever the
 * reason.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "avl.h"
#include "hashmap.h"
#include "loop.h"
#include "object.h"

#define FDSTORE_PIDFD_PREFIX "shmb-pid-"

struct passed_fd;
struct lifetime_pending;

struct lifetimes {
        struct avl_tree expiry;         /* SPAN objects by deadline_usec, then serial */
        struct hashmap procs;           /* struct proc by pid */
        struct loop *loop;              /* NULL until lifetime_attach() */
        /* Ends @o's life (the broker removes it; lifetime_untrack() follows). <0: it could
         * not, and it is tried again at the next tick. */
        int (*expire)(void *userdata, struct object *o, const char *why);
        void *userdata;
        size_t n_span, n_process;       /* objects tracked of each kind */
        struct list_node due;           /* objects whose life ended, to remove */
        struct list_node retry;         /* ... whose removal failed: again at the tick */
        size_t n_ended;                 /* in either list */
        struct lifetime_pending *pending;       /* the fd store's pidfds, until the first tick */
        size_t n_pending;
};

int lifetime_init(struct lifetimes *lt, int (*expire)(void *, struct object *, const char *),
                  void *userdata);
void lifetime_deinit(struct lifetimes *lt);

/* From now on, creators' exits are seen as they happen (until then, at lifetime_tick()). */
int lifetime_attach(struct lifetimes *lt, struct loop *loop);

/* CLOCK_BOOTTIME, in microseconds: spans go on while the machine sleeps and across restarts
 * of the daemon (the journal keeps it), and end at reboot with the objects. */
uint64_t lifetime_now(void);

/*
 * lifetime_creator() - fill @o->creator's process fields for a lifetime=process create by the
 * peer of @peer_fd (a connected socket, borrowed; -1: use @pid). Return: 0 and the creator's
 * pidfd in @ret_pidfd (for lifetime_track()), or -errno (-ESRCH: it is gone already).
 */
int lifetime_creator(struct object *o, int peer_fd, pid_t pid, int *ret_pidfd);

/*
 * lifetime_track() - watch @o, just created (in the registry, o->lifetime set): a SPAN object
 * gets its deadline, a PROCESS object joins its creator's tracker. @pidfd: consumed; for
 * PROCESS, from lifetime_creator(). Return: 0, or -errno (-ESRCH: the creator is gone).
 */
int lifetime_track(struct lifetimes *lt, struct object *o, int pidfd);

/*
 * lifetime_resume() - the same at start for @o as the journal had it: a SPAN object counts as
 * opened as late as it may have been (see above); a PROCESS object's creator is found in the
 * fd store's pidfds (lifetime_take_pidfds()) or opened again and checked. Return: 0, or
 * -errno; -ESRCH: the creator exited while the daemon was down (the caller removes @o).
 */
int lifetime_resume(struct lifetimes *lt, struct object *o);

/* @o goes (removed, expired or forgotten): stop watching it. */
void lifetime_untrack(struct lifetimes *lt, struct object *o);

/*
 * lifetime_opened() - @o was just handed out. Return: true when o->last_open_saved_usec moved
 * and the caller should journal the object (registry_save()).
 */
bool lifetime_opened(struct lifetimes *lt, struct object *o);

/* Finds the lives that are over by the clock (spans), and queues removals that failed again.
 * Call once a second. */
void lifetime_tick(struct lifetimes *lt);

/* Removes at most @budget objects whose life ended (creators' exits and spans queue them), so
 * that a creator of 100k objects exiting delays other clients by a bounded amount per turn.
 * Returns how many it removed. */
size_t lifetime_run(struct lifetimes *lt, size_t budget);
/* Are removals waiting (the loop should not sleep)? */
bool lifetime_busy(const struct lifetimes *lt);

/* @o's life ended outside the trackers (at start: its creator exited while the daemon was
 * down): queue its removal. */
void lifetime_end(struct lifetimes *lt, struct object *o, const char *why);

/* At start: the fd store's pidfds (consumed: kept by a tracker or closed and dropped from the
 * store). Call before the objects are tracked. */
void lifetime_take_pidfds(struct lifetimes *lt, struct passed_fd *passed, size_t n);

/* When an object of @o's kind will end, for status: the deadline (CLOCK_BOOTTIME usec) of a
 * SPAN object, 0 for the others; and whether a PROCESS object's creator has exited. */
uint64_t lifetime_deadline(const struct object *o);
bool lifetime_creator_gone(const struct object *o);

/*
 * lifetime_over() - is @o's life over already: its removal queued (or to be tried again), its
 * creator gone (lifetime=process), or a span past its deadline that the next tick will end? An open must not renew such an object:
 * after a restart the first tick comes a second late, and a span that ran out while the daemon
 * was down would start again at that open.
 */
bool lifetime_over(const struct object *o);
