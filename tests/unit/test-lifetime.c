/* SPDX-License-Identifier: MIT */
/*
 * test-lifetime.c - unit tests of daemon/lifetime.c with real processes and pidfds: a
 * lifetime=process object ends when its creator exits (seen by the event loop, and at the
 * tick), one tracker serves every object of a process, a restart finds the creator by pid and
 * tells a reused pid from the creator; span objects end at their deadline and not before, an
 * open moves the deadline without tree work, and the journal hears of opens at most every
 * span/16.
 *
 * Needs no root: it forks children of its own and makes no files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "lifetime.h"
#include "loop.h"
#include "macro.h"
#include "object.h"

struct fixture {
        struct lifetimes lt;
        struct loop *loop;
        char expired[8][64];
        size_t n_expired;
        size_t n_failed;
};

static int on_expire(void *userdata, struct object *o, const char *why)
{
        struct fixture *f = userdata;

        /* A name starting with "stuck" cannot be removed (the broker's removal failing). */
        if (strncmp(o->name, "stuck", 5) == 0) {
                f->n_failed++;
                return -EBUSY;
        }
        assert_true(f->n_expired < ELEMENTSOF(f->expired));
        (void) snprintf(f->expired[f->n_expired++], sizeof(f->expired[0]), "%s", o->name);
        /* As the broker does: the object goes (its tracker lets go of it first). */
        lifetime_untrack(&f->lt, o);
        object_free(o);
        return 0;
}

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        assert_non_null(f);
        assert_int_equal(lifetime_init(&f->lt, on_expire, f), 0);
        assert_int_equal(loop_new(&f->loop), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        lifetime_deinit(&f->lt);
        loop_free(f->loop);
        free(f);
        return 0;
}

static struct object *new_object(const char *name, enum policy_lifetime_kind kind, uint64_t usec)
{
        struct identity id = { .uid = 41001, .gid = 41001 };
        struct object *o;
        static uint64_t serial;

        assert_int_equal(object_new(name, POLICY_BACKEND_MEMFD, &id, 4096, &o), 0);
        o->serial = ++serial;
        o->lifetime = (struct policy_lifetime) { .kind = kind, .usec = usec };
        return o;
}

/* A child that waits until it is killed; its pid. */
static pid_t spawn(void)
{
        pid_t pid = fork();

        assert_true(pid >= 0);
        if (pid == 0) {
                for (;;)
                        pause();
        }
        return pid;
}

static void reap(pid_t pid)
{
        int status;

        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* Runs the loop until @n objects have expired (bounded: 5 s of waiting at most). */
static void run_until_expired(struct fixture *f, size_t n)
{
        int i;

        for (i = 0; i < 50 && f->n_expired < n; i++) {
                assert_true(loop_run_once(f->loop, lifetime_busy(&f->lt) ? 0 : 100) >= 0);
                (void) lifetime_run(&f->lt, 16);
        }
        assert_int_equal(f->n_expired, n);
}

static void test_process_exit(void **state)
{
        struct fixture *f = *state;
        struct object *a = new_object("a", POLICY_LIFETIME_PROCESS, 0);
        struct object *b = new_object("b", POLICY_LIFETIME_PROCESS, 0);
        pid_t pid = spawn();
        int pidfd;

        assert_int_equal(lifetime_attach(&f->lt, f->loop), 0);
        assert_int_equal(lifetime_creator(a, -1, pid, &pidfd), 0);
        assert_int_equal(a->creator.pid, pid);
        assert_int_equal(lifetime_track(&f->lt, a, pidfd), 0);
        b->creator = a->creator;
        b->creator.app_id = b->creator.user_name = NULL;
        assert_int_equal(lifetime_creator(b, -1, pid, &pidfd), 0);
        assert_int_equal(lifetime_track(&f->lt, b, pidfd), 0);
        /* One tracker for the process, whatever the number of its objects. */
        assert_ptr_equal(a->proc, b->proc);
        assert_int_equal(f->lt.n_process, 2);
        assert_false(lifetime_creator_gone(a));

        /* Alive: nothing ends. */
        assert_true(loop_run_once(f->loop, 0) >= 0);
        lifetime_tick(&f->lt);
        assert_int_equal(f->n_expired, 0);

        /* Killed: both go, seen by the loop. */
        reap(pid);
        run_until_expired(f, 2);
        assert_string_equal(f->expired[0], "a");
        assert_string_equal(f->expired[1], "b");
        assert_int_equal(f->lt.n_process, 0);
}

/* An object removed while its creator lives lets go of the tracker; the last one frees it. */
static void test_process_untrack(void **state)
{
        struct fixture *f = *state;
        struct object *a = new_object("a", POLICY_LIFETIME_PROCESS, 0);
        pid_t pid = spawn();
        int pidfd;

        assert_int_equal(lifetime_attach(&f->lt, f->loop), 0);
        assert_int_equal(lifetime_creator(a, -1, pid, &pidfd), 0);
        assert_int_equal(lifetime_track(&f->lt, a, pidfd), 0);
        lifetime_untrack(&f->lt, a);
        assert_null(a->proc);
        assert_int_equal(f->lt.n_process, 0);
        reap(pid);
        assert_true(loop_run_once(f->loop, 100) >= 0);
        assert_int_equal(f->n_expired, 0);
        object_free(a);
}

/* A creator that is gone already is refused at create. */
static void test_process_gone_at_create(void **state)
{
        struct object *a = new_object("a", POLICY_LIFETIME_PROCESS, 0);
        pid_t pid = spawn();
        int pidfd = -1;

        (void) state;
        reap(pid);
        assert_int_equal(lifetime_creator(a, -1, pid, &pidfd), -ESRCH);
        assert_int_equal(pidfd, -1);
        object_free(a);
}

/* A restart: the creator is found again by pid when it is the same process, and a pid that now
 * belongs to another process (or to none) means the creator exited meanwhile. */
static void test_process_resume(void **state)
{
        struct fixture *f = *state;
        struct object *live = new_object("live", POLICY_LIFETIME_PROCESS, 0);
        struct object *reused = new_object("reused", POLICY_LIFETIME_PROCESS, 0);
        struct object *dead = new_object("dead", POLICY_LIFETIME_PROCESS, 0);
        pid_t pid = spawn(), gone = spawn();
        int pidfd;

        assert_int_equal(lifetime_creator(live, -1, pid, &pidfd), 0);
        safe_close(pidfd);
        /* What identifies the process cannot be compared here? Then the test cannot tell a
         * reused pid from the creator. */
        if (live->creator.pidfs_ino == 0 && live->creator.start == 0) {
                reap(pid);
                reap(gone);
                object_free(live);
                object_free(reused);
                object_free(dead);
                skip();
        }
        /* The same pid, recorded for another process (a pid given again). */
        reused->creator = live->creator;
        reused->creator.user_name = reused->creator.app_id = NULL;
        if (reused->creator.pidfs_ino)
                reused->creator.pidfs_ino++;
        else
                reused->creator.start++;
        assert_int_equal(lifetime_creator(dead, -1, gone, &pidfd), 0);
        safe_close(pidfd);
        reap(gone);

        /* Checked against the process now at that pid, then against the tracker made for the
         * live one: both tell the reused pid apart. */
        assert_int_equal(lifetime_resume(&f->lt, reused), -ESRCH);
        assert_int_equal(lifetime_resume(&f->lt, live), 0);
        assert_int_equal(lifetime_resume(&f->lt, reused), -ESRCH);
        assert_int_equal(lifetime_resume(&f->lt, dead), -ESRCH);
        assert_null(reused->proc);
        assert_null(dead->proc);
        object_free(reused);
        object_free(dead);

        /* The loop comes later at start: the exit is seen once it is attached. */
        reap(pid);
        assert_int_equal(lifetime_attach(&f->lt, f->loop), 0);
        run_until_expired(f, 1);
        assert_string_equal(f->expired[0], "live");
}

/* The fd store handed a pidfd back: that is the creator, whatever its pid shows now. */
static void test_process_resume_from_store(void **state)
{
        struct fixture *f = *state;
        struct object *o = new_object("stored", POLICY_LIFETIME_PROCESS, 0);
        struct passed_fd passed[2];
        pid_t pid = spawn();
        char name[64];
        int pidfd;

        assert_int_equal(lifetime_creator(o, -1, pid, &pidfd), 0);
        (void) snprintf(name, sizeof(name), FDSTORE_PIDFD_PREFIX "%d-%llu-%llu", (int) pid,
                        (unsigned long long) o->creator.pidfs_ino,
                        (unsigned long long) o->creator.start);
        passed[0] = (struct passed_fd) { .fd = pidfd, .name = strdup(name) };
        /* A stale entry nobody claims: closed at the first tick. */
        passed[1] = (struct passed_fd) { .fd = (int) syscall(SYS_pidfd_open, getpid(), 0),
                                         .name = strdup(FDSTORE_PIDFD_PREFIX "1-0-0") };
        assert_true(passed[1].fd >= 0);
        lifetime_take_pidfds(&f->lt, passed, 2);
        assert_int_equal(passed[0].fd, -1);
        assert_int_equal(f->lt.n_pending, 2);

        assert_int_equal(lifetime_resume(&f->lt, o), 0);
        assert_non_null(o->proc);
        lifetime_tick(&f->lt);
        assert_int_equal(f->lt.n_pending, 0);
        assert_int_equal(lifetime_attach(&f->lt, f->loop), 0);
        reap(pid);
        run_until_expired(f, 1);
        assert_string_equal(f->expired[0], "stored");
}

static void test_span(void **state)
{
        struct fixture *f = *state;
        uint64_t span = 60 * UINT64_C(1000000);
        struct object *old = new_object("old", POLICY_LIFETIME_SPAN, span);
        struct object *fresh = new_object("fresh", POLICY_LIFETIME_SPAN, span);
        struct object *reopened = new_object("reopened", POLICY_LIFETIME_SPAN, span);
        uint64_t now = lifetime_now();

        assert_int_equal(lifetime_track(&f->lt, fresh, -1), 0);
        assert_true(fresh->last_open_usec >= now);
        /* Created as if long ago (a restart puts such objects back). */
        old->last_open_usec = old->last_open_saved_usec = now - span - 1;
        assert_int_equal(lifetime_track(&f->lt, old, -1), 0);
        reopened->last_open_usec = reopened->last_open_saved_usec = now - span - 1;
        assert_int_equal(lifetime_track(&f->lt, reopened, -1), 0);
        assert_int_equal(f->lt.n_span, 3);
        /* Opened just now: the open is what counts, not where the tree filed it. */
        assert_true(lifetime_opened(&f->lt, reopened));
        assert_false(lifetime_opened(&f->lt, reopened));

        lifetime_tick(&f->lt);
        /* Ended, queued: removed by lifetime_run(), a bounded number at a time. */
        assert_int_equal(f->n_expired, 0);
        assert_true(lifetime_busy(&f->lt));
        assert_int_equal(lifetime_run(&f->lt, 16), 1);
        assert_false(lifetime_busy(&f->lt));
        assert_int_equal(f->n_expired, 1);
        assert_string_equal(f->expired[0], "old");
        assert_int_equal(f->lt.n_span, 2);
        assert_int_equal(lifetime_deadline(reopened), reopened->last_open_usec + span);
        lifetime_untrack(&f->lt, fresh);
        lifetime_untrack(&f->lt, reopened);
        assert_int_equal(f->lt.n_span, 0);
        object_free(fresh);
        object_free(reopened);
}

/* After a restart a span object counts as opened span/16 after its recorded last open: the
 * journal may have missed opens that recent, never older ones. */
static void test_span_resume(void **state)
{
        struct fixture *f = *state;
        uint64_t span = 32 * UINT64_C(1000000), now = lifetime_now();
        struct object *o = new_object("o", POLICY_LIFETIME_SPAN, span);

        /* Recorded as opened a span minus a second ago: with the slack (2 s) not over yet. */
        o->last_open_usec = o->last_open_saved_usec = now - span + 1000000;
        assert_int_equal(lifetime_resume(&f->lt, o), 0);
        assert_int_equal(o->last_open_usec, now - span + 1000000 + span / 16);
        lifetime_tick(&f->lt);
        assert_int_equal(f->n_expired, 0);
        lifetime_untrack(&f->lt, o);
        object_free(o);
}

/* A removal that fails is tried again at the next tick, and the object shows its creator gone
 * meanwhile; many ended lives are removed at most @budget a turn. */
static void test_retry_and_budget(void **state)
{
        struct fixture *f = *state;
        uint64_t span = 60 * UINT64_C(1000000), now = lifetime_now();
        struct object *stuck = new_object("stuck-1", POLICY_LIFETIME_SPAN, span);
        struct object *many[5];
        size_t i;

        stuck->last_open_usec = stuck->last_open_saved_usec = now - span - 1;
        assert_int_equal(lifetime_track(&f->lt, stuck, -1), 0);
        for (i = 0; i < ELEMENTSOF(many); i++) {
                char name[16];

                (void) snprintf(name, sizeof(name), "m%zu", i);
                many[i] = new_object(name, POLICY_LIFETIME_SPAN, span);
                many[i]->last_open_usec = many[i]->last_open_saved_usec = now - span - 1;
                assert_int_equal(lifetime_track(&f->lt, many[i], -1), 0);
        }
        lifetime_tick(&f->lt);
        assert_int_equal(f->lt.n_ended, 6);
        assert_int_equal(lifetime_run(&f->lt, 2), 2);
        assert_int_equal(lifetime_run(&f->lt, 2), 2);
        assert_int_equal(lifetime_run(&f->lt, 16), 2);
        assert_int_equal(f->n_expired, 5);
        assert_int_equal(f->n_failed, 1);
        /* Kept, ended, not busy: its next try is at the tick. */
        assert_true(stuck->flags & OBJECT_ENDED);
        assert_false(lifetime_busy(&f->lt));
        lifetime_tick(&f->lt);
        assert_true(lifetime_busy(&f->lt));
        assert_int_equal(lifetime_run(&f->lt, 16), 1);
        assert_int_equal(f->n_failed, 2);
        /* Removed some other way (an unlink): it leaves the lists. */
        lifetime_untrack(&f->lt, stuck);
        assert_int_equal(f->lt.n_ended, 0);
        lifetime_tick(&f->lt);
        assert_false(lifetime_busy(&f->lt));
        object_free(stuck);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_process_exit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_process_untrack, setup, teardown),
                cmocka_unit_test_setup_teardown(test_process_gone_at_create, setup, teardown),
                cmocka_unit_test_setup_teardown(test_process_resume, setup, teardown),
                cmocka_unit_test_setup_teardown(test_process_resume_from_store, setup, teardown),
                cmocka_unit_test_setup_teardown(test_span, setup, teardown),
                cmocka_unit_test_setup_teardown(test_span_resume, setup, teardown),
                cmocka_unit_test_setup_teardown(test_retry_and_budget, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
