/* SPDX-License-Identifier: MIT */
/*
 * test-worker.c - unit tests of the worker threads (daemon/worker.c): jobs run off the loop
 * and complete in the loop's thread, in order with one thread; threads start only when a job
 * needs one, one more while all are busy (a job run but not yet completed keeps none busy), up
 * to the limit; a thread idle for two seconds leaves, and the next job starts one anew;
 * freeing a worker drains it and joins whatever threads it has; abandoning one at exit
 * waits for no job still running.
 *
 * Threads are counted in /proc/self/status, above those there were before the test (the main
 * one; under ThreadSanitizer, its own as well).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"
#include "macro.h"
#include "worker.h"

#define N_JOBS 2000

struct job {
        struct worker_job job;
        size_t index;
        bool ran;               /* set in the worker's thread */
        pthread_t ran_on;
        bool hold;              /* run() waits for the gate */
        bool unrun_ok;          /* done() without run(): worker_abandon() */
};

/* Shared with the jobs: what completed, in which order, and a gate for held jobs. */
static size_t n_done;
static size_t done_order[N_JOBS];
static pthread_t loop_thread;
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;
static size_t n_held;           /* held jobs waiting at the gate */
static unsigned base_threads;   /* before the worker's */

static void job_run(struct worker_job *j)
{
        struct job *x = container_of(j, struct job, job);

        if (x->hold) {
                pthread_mutex_lock(&gate_lock);
                n_held++;
                pthread_cond_broadcast(&gate_cond);
                while (!gate_open)
                        pthread_cond_wait(&gate_cond, &gate_lock);
                n_held--;
                pthread_mutex_unlock(&gate_lock);
        }
        x->ran_on = pthread_self();
        __atomic_store_n(&x->ran, true, __ATOMIC_RELEASE);
}

static void job_done(struct worker_job *j)
{
        struct job *x = container_of(j, struct job, job);

        /* In the loop's thread, after run(), once. */
        assert_true(pthread_equal(pthread_self(), loop_thread));
        assert_true(x->ran || x->unrun_ok);
        assert_true(n_done < N_JOBS);
        done_order[n_done++] = x->index;
}

static void job_init(struct job *x, size_t index, bool hold)
{
        *x = (struct job) {
                .job = { .run = job_run, .done = job_done },
                .index = index,
                .hold = hold,
        };
}

/* The worker's threads: the process's, less those it had before. */
static unsigned threads_now(void)
{
        char line[256];
        unsigned n = 0;
        FILE *f = fopen("/proc/self/status", "re");

        assert_non_null(f);
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "Threads: %u", &n) == 1)
                        break;
        fclose(f);
        assert_true(n >= base_threads);
        return n - base_threads;
}

/* Runs the loop until @n jobs have completed in all (at most 10 s). */
static void run_until_done(struct loop *l, size_t n)
{
        int i;

        for (i = 0; i < 1000 && n_done < n; i++)
                assert_true(loop_run_once(l, 10) >= 0);
        if (n_done < n)
                fail_msg("%zu of %zu jobs completed after 10 s", n_done, n);
}

/* Waits until the worker has @n threads (at most 10 s). */
static void wait_threads(unsigned n)
{
        struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
        int i;

        for (i = 0; i < 1000 && threads_now() != n; i++)
                (void) nanosleep(&pause, NULL);
        if (threads_now() != n)
                fail_msg("%u threads after 10 s, expected %u", threads_now(), n);
}

static void wait_held(size_t n)
{
        pthread_mutex_lock(&gate_lock);
        while (n_held < n)
                pthread_cond_wait(&gate_cond, &gate_lock);
        pthread_mutex_unlock(&gate_lock);
}

static void set_gate(bool open)
{
        pthread_mutex_lock(&gate_lock);
        gate_open = open;
        pthread_cond_broadcast(&gate_cond);
        pthread_mutex_unlock(&gate_lock);
}

static int setup(void **state)
{
        struct loop *l;

        if (loop_new(&l) < 0)
                return -1;
        n_done = 0;
        gate_open = false;
        n_held = 0;
        loop_thread = pthread_self();
        base_threads = 0;
        base_threads = threads_now();
        *state = l;
        return 0;
}

static int teardown(void **state)
{
        loop_free(*state);
        return 0;
}

/* One thread: every job runs in it, and they complete in the order they were pushed. */
static void test_one_thread_in_order(void **state)
{
        struct loop *l = *state;
        struct worker *w;
        struct job *jobs = calloc(N_JOBS, sizeof(*jobs));
        size_t i;

        assert_non_null(jobs);
        assert_int_equal(worker_new(l, 1, &w), 0);
        /* Nothing needed a thread yet. */
        assert_int_equal(threads_now(), 0);
        for (i = 0; i < N_JOBS; i++) {
                job_init(&jobs[i], i, false);
                worker_push(w, &jobs[i].job);
        }
        run_until_done(l, N_JOBS);
        assert_int_equal(threads_now(), 1);
        for (i = 0; i < N_JOBS; i++) {
                assert_int_equal(done_order[i], i);
                assert_false(pthread_equal(jobs[i].ran_on, loop_thread));
                assert_true(pthread_equal(jobs[i].ran_on, jobs[0].ran_on));
        }
        w = worker_free(w);
        /* Joined; the kernel counts a thread until it has released it, just after. */
        wait_threads(0);
        free(jobs);
}

/*
 * Held jobs keep their threads busy: each job pushed while all are busy starts one more, up
 * to the limit; past it, jobs wait for a thread. Once idle for two seconds every thread
 * leaves, and the next job starts one again.
 */
static void test_grow_then_leave(void **state)
{
        struct loop *l = *state;
        struct job held[6], more[2];
        struct worker *w;
        size_t i;

        assert_int_equal(worker_new(l, 4, &w), 0);
        for (i = 0; i < 3; i++) {
                job_init(&held[i], i, true);
                worker_push(w, &held[i].job);
                /* Busy before the next push: each push finds all threads busy. */
                wait_held(i + 1);
                assert_int_equal(threads_now(), i + 1);
        }
        for (i = 3; i < 6; i++) {
                job_init(&held[i], i, true);
                worker_push(w, &held[i].job);
        }
        /* The limit: four threads, four jobs held, two waiting for a thread. */
        wait_held(4);
        assert_int_equal(threads_now(), 4);
        set_gate(true);
        run_until_done(l, 6);

        /* All idle now: they leave within their two seconds (and the test's ten). */
        wait_threads(0);

        /* And the next job starts one anew. */
        job_init(&more[0], 6, false);
        worker_push(w, &more[0].job);
        run_until_done(l, 7);
        assert_int_equal(threads_now(), 1);
        job_init(&more[1], 7, false);
        worker_push(w, &more[1].job);
        run_until_done(l, 8);
        /* Idle, not busy: the second job took the thread there was. */
        assert_int_equal(threads_now(), 1);
        w = worker_free(w);
        /* Joined; the kernel counts a thread until it has released it, just after. */
        wait_threads(0);
}

/*
 * A job that ran but is not completed yet (the loop has not run) keeps no thread busy: jobs
 * pushed one after another, each once the one before has run, all go to the one thread.
 */
static void test_idle_thread_reused(void **state)
{
        struct timespec pause = { .tv_nsec = 1000 * 1000 };
        struct loop *l = *state;
        struct job jobs[4];
        struct worker *w;
        size_t i;
        int k;

        assert_int_equal(worker_new(l, 4, &w), 0);
        for (i = 0; i < ELEMENTSOF(jobs); i++) {
                job_init(&jobs[i], i, false);
                worker_push(w, &jobs[i].job);
                for (k = 0; k < 10000 && !__atomic_load_n(&jobs[i].ran, __ATOMIC_ACQUIRE); k++)
                        (void) nanosleep(&pause, NULL);
                assert_true(__atomic_load_n(&jobs[i].ran, __ATOMIC_ACQUIRE));
        }
        assert_int_equal(threads_now(), 1);
        run_until_done(l, ELEMENTSOF(jobs));
        w = worker_free(w);
        wait_threads(0);
}

/* Freeing a worker with a job still queued runs it, completes it, and joins the threads. */
static void test_free_drains(void **state)
{
        struct loop *l = *state;
        struct job jobs[3];
        struct worker *w;
        size_t i;

        assert_int_equal(worker_new(l, 2, &w), 0);
        set_gate(true);
        for (i = 0; i < ELEMENTSOF(jobs); i++) {
                job_init(&jobs[i], i, false);
                worker_push(w, &jobs[i].job);
        }
        w = worker_free(w);
        assert_null(w);
        assert_int_equal(n_done, ELEMENTSOF(jobs));
        wait_threads(0);
}

/*
 * A worker allowed stuck threads: once its one thread has been in a held job for over a
 * second, the job behind it gets a thread of its own (at worker_retry(), the server's tick)
 * and completes while the held one still runs. Without the allowance it waits (the limit,
 * test_grow_then_leave).
 */
static void test_stuck_allowed(void **state)
{
        struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
        struct loop *l = *state;
        struct job held, behind;
        struct worker *w;
        int i;

        assert_int_equal(worker_new(l, 1, &w), 0);
        worker_allow_stuck(w, 1);
        job_init(&held, 0, true);
        worker_push(w, &held.job);
        wait_held(1);
        job_init(&behind, 1, false);
        worker_push(w, &behind.job);
        for (i = 0; i < 1000 && n_done == 0; i++) {
                worker_retry(w);
                assert_true(loop_run_once(l, 0) >= 0);
                (void) nanosleep(&pause, NULL);
        }
        if (n_done == 0)
                fail_msg("the job behind a held one did not run within 10 s");
        assert_int_equal(done_order[0], 1);
        assert_int_equal(threads_now(), 2);
        pthread_mutex_lock(&gate_lock);
        assert_int_equal(n_held, 1);
        pthread_mutex_unlock(&gate_lock);
        set_gate(true);
        run_until_done(l, 2);
        w = worker_free(w);
        wait_threads(0);
}

/*
 * Abandoning a worker at exit: a job still queued completes without running, and one still
 * running is not waited for (its done() never comes). Its thread leaves once the job ends.
 */
static void test_abandon(void **state)
{
        struct loop *l = *state;
        struct job held, queued;
        struct worker *w;

        assert_int_equal(worker_new(l, 1, &w), 0);
        job_init(&held, 0, true);
        worker_push(w, &held.job);
        wait_held(1);
        job_init(&queued, 1, false);
        queued.unrun_ok = true;
        worker_push(w, &queued.job);

        w = worker_abandon(w);
        assert_null(w);
        assert_int_equal(n_done, 1);
        assert_int_equal(done_order[0], 1);
        assert_false(queued.ran);
        assert_int_equal(threads_now(), 1);

        /* The held job ends: its thread leaves, and nobody completes it. */
        set_gate(true);
        wait_threads(0);
        assert_true(__atomic_load_n(&held.ran, __ATOMIC_ACQUIRE));
        assert_int_equal(loop_run_once(l, 0), 0);
        assert_int_equal(n_done, 1);
}

/* With nothing running, abandoning is freeing: queued jobs complete unrun, threads joined. */
static void test_abandon_idle(void **state)
{
        struct loop *l = *state;
        struct job done;
        struct worker *w;

        assert_int_equal(worker_new(l, 2, &w), 0);
        set_gate(true);
        job_init(&done, 0, false);
        worker_push(w, &done.job);
        run_until_done(l, 1);
        w = worker_abandon(w);
        assert_null(w);
        assert_int_equal(n_done, 1);
        wait_threads(0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_one_thread_in_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_grow_then_leave, setup, teardown),
                cmocka_unit_test_setup_teardown(test_idle_thread_reused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_free_drains, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stuck_allowed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_abandon, setup, teardown),
                cmocka_unit_test_setup_teardown(test_abandon_idle, setup, teardown),
        };

        return cmocka_run_group_tests_name("worker", tests, NULL, NULL);
}
