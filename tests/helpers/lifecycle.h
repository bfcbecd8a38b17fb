/* SPDX-License-Identifier: MIT */
/*
 * lifecycle.h - shared pieces of the lifecycle suite (tests/integration/test-lifecycle*.c,
 * issue 13): the suite's policy, daemons started with a long idle timeout and (optionally) the
 * fake clock and restarted on the same directories with the same options, processes of other
 * uids that the case drives step by step (creators that exit, are killed, fork or exec), and
 * what an admin sees (stat, list details, status).
 *
 * Built on security.h and registry.h: every case starts its daemon with lc_start() and ends
 * with sec_finish(). Functions named lc_*() assert with cmocka and may only be called from a
 * test body; lc_child_*() only from inside an lc_proc child.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "registry.h"

#define LC_SEC (UINT64_C(1000000))
#define LC_MIN (60 * LC_SEC)
#define LC_HOUR (3600 * LC_SEC)

/* How long a removal may take to be seen (the daemon ticks once a second). */
#define LC_REMOVAL_MS 5000

/*
 * The suite's policy: 41001 creates, 41001 and 41002 write, 41003 reads, 41004 nothing.
 *   life-*   shm, any lifetime (Lifetime= unset: persistent)
 *   lifem-*  the same, memfd
 *   proc-*   shm, Lifetime=process
 *   span-*   shm, Lifetime=1h
 *   priv-*   shm, 41002's alone (the others may not even read it)
 * [Quota] MaxObjectsPerUser=4096 (the many-objects cases make 1000 at once).
 */
extern const char lc_policy[];

/* ------------------------------------------------------------------------------------------
 * The case's daemon
 */

/*
 * lc_start() - sec_start() with --idle-timeout of a year (a case that moves the clock by hours
 * must not lose its connections to the idle sweep) and, with @fakeclock, the fake clock shim
 * (sec_fakeclock_env()): lc_advance() then moves CLOCK_MONOTONIC and CLOCK_BOOTTIME.
 */
struct harness_daemon *lc_start(const char *policy, bool fakeclock);
/* The same with @env for the daemon (not with @fakeclock); kept for its restarts. */
struct harness_daemon *lc_start_env(const char *policy, bool fakeclock,
                                    const char *const *env);

/*
 * lc_restart() - stop the case's daemon (@kill: SIGKILL; else SIGTERM, asserting exit 0
 * without the fd-count check, since live creators' pidfds are held) and start it again with
 * the same options on the same object and state directories.
 */
struct harness_daemon *lc_restart(const char *policy, bool kill);

/* SIGKILL the case's daemon and leave it down (lc_start_again() brings it back). */
void lc_kill_daemon(void);
struct harness_daemon *lc_start_again(const char *policy);

/* Moves the daemon's clocks (the fake clock must be on): at once, as if @usec had passed. */
void lc_advance(uint64_t usec);

/*
 * lc_advance_ticked() - lc_advance(@usec), then wait until the daemon's once-a-second tick has
 * run since: a sentinel object (life-tick-N, span 60 s), made just before, is removed by it.
 * Every span whose deadline is now past was ended by that same tick. @usec must be over 60 s.
 */
void lc_advance_ticked(const struct harness_daemon *d, uint64_t usec);

/* ------------------------------------------------------------------------------------------
 * Requests in the test process (connected as @id; the test process is then the creator)
 */

/* shmb_create2() of @size bytes (0: unsized) with no fd. *ret_reason: the reason (may be
 * NULL). Return: 0 or -errno. */
int lc_create(const struct harness_daemon *d, const struct harness_id *id, const char *name,
              uint64_t size, uint32_t lifetime, uint64_t span_usec, int *ret_reason);

/* As root (an admin), SHMB_STAT_ALL. Return: 0 or -errno. */
int lc_stat(const struct harness_daemon *d, const char *name, struct shmb_stat *ret);
bool lc_exists(const struct harness_daemon *d, const char *name);

/* Waits until lc_stat(@name) says -ENOENT, at most @timeout_ms (fails the case after). Return:
 * the milliseconds it took. */
unsigned lc_wait_gone(const struct harness_daemon *d, const char *name, unsigned timeout_ms);
/* The same without failing: the milliseconds, or -ETIMEDOUT. */
int lc_wait_gone_or(const struct harness_daemon *d, const char *name, unsigned timeout_ms);

/* Waits until sec_usage(@uid) is @objects and @bytes, at most @timeout_ms (fails after). */
void lc_wait_usage(const struct harness_daemon *d, uid_t uid, uint64_t objects, uint64_t bytes,
                   unsigned timeout_ms);

/* Every object, with its details (LIST with SHMB_LIST_ALL, as root). */
struct lc_obj {
        char name[SHMB_NAME_MAX + 1];
        char rule[SHMB_RULE_ID_MAX + 1];
        struct shmb_object_info info;   /* .name and .rule point at the fields above */
};
struct lc_list {
        struct lc_obj *v;
        size_t n;
};
void lc_list_all(const struct harness_daemon *d, struct lc_list *ret);
const struct lc_obj *lc_list_find(const struct lc_list *l, const char *name);
void lc_list_done(struct lc_list *l);

/* The log since @mark has a line with @a (and @b, if not NULL). Waits up to @timeout_ms. */
void lc_expect_log(const struct harness_daemon *d, size_t mark, const char *a, const char *b,
                   unsigned timeout_ms);

/* ------------------------------------------------------------------------------------------
 * Processes the case drives
 */

/*
 * A forked child that runs as another uid: it reports int64 values on one pipe, and takes
 * steps (one byte each) from another, whose closing (lc_proc_release()) tells it to exit. The
 * test process is a child subreaper (lc_main_setup()), so grandchildren that a child leaves
 * behind are reparented to it; lc_proc_adopt() tracks one of them. Every process started here
 * is SIGKILLed and reaped by lc_teardown() if the case did not end it.
 */
struct lc_proc {
        pid_t pid;
        int report;             /* test side: read end of the reports; -1 when shared */
        int step;               /* test side: write end of the steps; -1 when shared */
        int child_report;       /* child side (valid in the child only) */
        int child_step;
        bool reaped;
        int status;             /* wait status once reaped */
        unsigned generation;    /* which of the case's daemons it was started under */
};

/*
 * lc_proc_start() - fork; in the child: default signals, its own session, PR_SET_PDEATHSIG,
 * become @id, then report @fn's result, wait until released, and _exit(0).
 */
void lc_proc_start(struct lc_proc *p, const struct harness_id *id,
                   int (*fn)(struct lc_proc *p, void *userdata), void *userdata);

/* The next value the child reports (fails the case after 10 s or if the pipe closes). */
int64_t lc_proc_next(struct lc_proc *p);

/* One step: the child's lc_child_step() returns true once more. */
void lc_proc_step(struct lc_proc *p);

/* Let it exit (closes the step pipe) and reap it, asserting exit status 0. */
void lc_proc_release(struct lc_proc *p);

/* SIGKILL and reap it (@reap false: leave it a zombie; lc_proc_reap() later). */
void lc_proc_kill(struct lc_proc *p, bool reap);
void lc_proc_reap(struct lc_proc *p);

/* Waits until @p has exited (a zombie, not reaped), at most 10 s. */
void lc_proc_wait_exit(struct lc_proc *p);

/* Tracks @pid, a child of @from that @from leaves behind (reparented to the test process),
 * as a process of the case: it takes over @from's pipes, which it shares. */
void lc_proc_adopt(struct lc_proc *p, pid_t pid, struct lc_proc *from);

/* In a child: report @v; take a step (false: released, the caller should exit). */
void lc_child_report(struct lc_proc *p, int64_t v);
bool lc_child_step(struct lc_proc *p);

/* In a child: connect to the case's daemon (NULL on failure, reported to stderr). */
struct shmb_client *lc_child_connect(void);

/* In a child: shmb_create2() with no fd; the reason, if refused, into *ret_reason. */
int lc_child_create(struct shmb_client *c, const char *name, uint64_t size, uint32_t lifetime,
                    uint64_t span_usec, int *ret_reason);

/* ------------------------------------------------------------------------------------------
 * Suite set-up
 */

/* main(): become a child subreaper, ignore SIGPIPE. */
void lc_main_setup(void);

/* Teardown of every case: ends its processes, then sec_teardown(). */
int lc_teardown(void **state);

#define LC_TEST(fn) cmocka_unit_test_teardown(fn, lc_teardown)

/* Test groups, one per file. */
extern const struct CMUnitTest lc_tests_create[];
extern const size_t lc_n_tests_create;
extern const struct CMUnitTest lc_tests_process[];
extern const size_t lc_n_tests_process;
extern const struct CMUnitTest lc_tests_span[];
extern const size_t lc_n_tests_span;
extern const struct CMUnitTest lc_tests_publish[];
extern const size_t lc_n_tests_publish;
extern const struct CMUnitTest lc_tests_wait[];
extern const size_t lc_n_tests_wait;
extern const struct CMUnitTest lc_tests_view[];
extern const size_t lc_n_tests_view;
