/* SPDX-License-Identifier: MIT */
/*
 * worker.c - threads started on demand, two lists: jobs to run, jobs run (see worker.h).
 */
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "macro.h"
#include "worker.h"

#define WORKER_THREADS_MAX 16

/* A thread with nothing to do for this long leaves: the daemon is single-threaded again once
 * all have (worker.h says why that matters). The next job starts one anew. */
#define WORKER_IDLE_SEC 2

/* A job running this long is stuck, as far as the limit goes (worker_allow_stuck()). */
#define WORKER_STUCK_USEC 1000000

struct worker_thread {
        struct worker *w;
        pthread_t id;
        bool joinable;          /* started and not joined yet; the loop's thread's alone */
        bool exited;            /* under the lock: it left (idle), the loop may join it */
        uint64_t busy_since;    /* under the lock: when its job began; 0 while it has none */
};

struct worker {
        struct worker_thread threads[WORKER_THREADS_MAX];
        size_t n_threads;                       /* under the lock: started, not left */
        size_t n_queued;                        /* under the lock: in todo */
        size_t n_running;                       /* under the lock: taken by a thread, running */
        size_t max_threads;
        size_t max_stuck;                       /* threads past max_threads for stuck jobs */
        bool warned;                            /* a start failed; logged until one succeeds */
        pthread_mutex_t lock;
        pthread_cond_t wake;                    /* on CLOCK_MONOTONIC */
        struct worker_job *todo, **todo_tail;   /* FIFO */
        struct worker_job *done, **done_tail;
        bool stopping;
        int event_fd;                           /* the thread's "done" signal to the loop */
        struct loop_source *source;
        size_t pending;                         /* pushed, done() not run yet */
        struct worker *next_left;               /* in left_running (worker_abandon()) */
};

/* Under the lock: the next job off the queue, or NULL. */
static struct worker_job *take_locked(struct worker *w)
{
        struct worker_job *j = w->todo;

        if (!j)
                return NULL;
        w->todo = j->next;
        if (!w->todo)
                w->todo_tail = &w->todo;
        w->n_queued--;
        return j;
}

/* Under the lock: @j has run; it goes to the done list, and the loop is woken to complete
 * it. An eventfd write fails only when the counter would overflow: it is then far from zero,
 * and the loop is woken anyway. */
static void finish_locked(struct worker *w, struct worker_job *j)
{
        uint64_t one = 1;

        j->next = NULL;
        *w->done_tail = j;
        w->done_tail = &j->next;
        if (write(w->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
                abort();
}

/* Waits for a job; false when the thread should leave: stopping, or idle too long. */
static bool wait_for_job(struct worker *w)
{
        struct timespec until;

        (void) clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += WORKER_IDLE_SEC;
        while (!w->todo && !w->stopping)
                if (pthread_cond_timedwait(&w->wake, &w->lock, &until) == ETIMEDOUT && !w->todo)
                        return false;
        return w->todo != NULL;
}

static void *worker_main(void *userdata)
{
        struct worker_thread *t = userdata;
        struct worker *w = t->w;

        pthread_mutex_lock(&w->lock);
        while (wait_for_job(w)) {
                struct worker_job *j = take_locked(w);

                w->n_running++;
                t->busy_since = now_usec();
                pthread_mutex_unlock(&w->lock);

                j->run(j);

                pthread_mutex_lock(&w->lock);
                w->n_running--;
                t->busy_since = 0;
                finish_locked(w, j);
        }
        /* Decided under the lock: a job pushed before now was seen above and taken; one pushed
         * after sees one thread fewer and starts one if it needs to. The loop joins this
         * thread before it reuses its slot. */
        w->n_threads--;
        t->exited = true;
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

/* In the loop's thread: joins the threads that left (each is past its last touch of @w, or
 * about to be: the join waits for that). */
static void reap(struct worker *w)
{
        size_t i;

        for (i = 0; i < WORKER_THREADS_MAX; i++) {
                struct worker_thread *t = &w->threads[i];
                bool exited;

                if (!t->joinable)
                        continue;
                pthread_mutex_lock(&w->lock);
                exited = t->exited;
                pthread_mutex_unlock(&w->lock);
                if (!exited)
                        continue;
                (void) pthread_join(t->id, NULL);
                t->joinable = false;
                t->exited = false;
        }
}

/* In the loop's thread: completes what the thread has run. */
static void complete(struct worker *w)
{
        struct worker_job *j, *next;
        uint64_t n;

        /* EAGAIN: nothing new since the last read; the list is looked at all the same. */
        if (read(w->event_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
                return;
        pthread_mutex_lock(&w->lock);
        j = w->done;
        w->done = NULL;
        w->done_tail = &w->done;
        pthread_mutex_unlock(&w->lock);
        for (; j; j = next) {
                next = j->next;
                w->pending--;
                j->done(j);
        }
}

static void worker_dispatch(struct loop_source *source, uint32_t events, void *userdata)
{
        complete(userdata);
}

int worker_new(struct loop *loop, size_t n_threads, struct worker **ret)
{
        pthread_condattr_t attr;
        struct worker *w;
        size_t i;
        int r;

        if (n_threads == 0 || n_threads > WORKER_THREADS_MAX)
                return -EINVAL;
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->todo_tail = &w->todo;
        w->done_tail = &w->done;
        for (i = 0; i < WORKER_THREADS_MAX; i++)
                w->threads[i].w = w;
        w->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->event_fd < 0) {
                r = -errno;
                free(w);
                return r;
        }
        w->max_threads = n_threads;
        pthread_mutex_init(&w->lock, NULL);
        r = -pthread_condattr_init(&attr);
        if (r >= 0)
                r = -pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        if (r >= 0)
                r = -pthread_cond_init(&w->wake, &attr);
        (void) pthread_condattr_destroy(&attr);
        if (r < 0) {
                pthread_mutex_destroy(&w->lock);
                safe_close(w->event_fd);
                free(w);
                return r;
        }
        r = loop_add(loop, w->event_fd, EPOLLIN, worker_dispatch, w, &w->source);
        if (r < 0) {
                safe_close(w->event_fd);
                pthread_cond_destroy(&w->wake);
                pthread_mutex_destroy(&w->lock);
                free(w);
                return r;
        }
        *ret = w;
        return 0;
}

/*
 * Starts a thread for a slot already counted in n_threads, in the loop's thread (the only one
 * that starts threads). The thread inherits the loop thread's signal mask (SIGTERM and
 * friends stay blocked there and reach the loop's signalfd), and its credentials and
 * capabilities: those of the dropped privileges.
 */
static int worker_start(struct worker *w)
{
        struct worker_thread *t = NULL;
        size_t i;
        int r;

        /* A slot is free once its thread is joined: counted threads hold fewer than all. */
        reap(w);
        for (i = 0; i < WORKER_THREADS_MAX && !t; i++)
                if (!w->threads[i].joinable)
                        t = &w->threads[i];
        assert(t);
        r = -pthread_create(&t->id, NULL, worker_main, t);
        if (r >= 0) {
                t->joinable = true;
                if (w->warned)
                        log_notice("A worker thread started again: the jobs that waited go on.");
                w->warned = false;
                return 0;
        }
        pthread_mutex_lock(&w->lock);
        w->n_threads--;
        pthread_mutex_unlock(&w->lock);
        if (!w->warned)
                log_warning_errno(r, "Cannot start a worker thread, its jobs wait (retried every "
                                  "second): %m");
        w->warned = true;
        return r;
}

/* Under the lock: the threads in one job for longer than WORKER_STUCK_USEC, as many as the
 * worker may start past its limit for them. */
static size_t stuck_locked(const struct worker *w)
{
        uint64_t now = w->max_stuck > 0 ? now_usec() : 0;
        size_t i, n = 0;

        for (i = 0; i < WORKER_THREADS_MAX && n < w->max_stuck; i++) {
                const struct worker_thread *t = &w->threads[i];

                if (t->busy_since != 0 && now - t->busy_since > WORKER_STUCK_USEC)
                        n++;
        }
        return n;
}

/*
 * One thread more when more jobs wait than threads are free to take them, within the limit
 * (and past it by the threads stuck, if allowed). Counted under the lock, so that a thread
 * leaving is not relied on and two calls do not take one slot. Return: 1 (one started), 0, or
 * -errno.
 */
static int worker_grow(struct worker *w)
{
        bool grow;
        int r;

        pthread_mutex_lock(&w->lock);
        grow = w->n_queued > w->n_threads - w->n_running &&
               w->n_threads < WORKER_THREADS_MAX &&
               (w->n_threads < w->max_threads ||
                w->n_threads < w->max_threads + stuck_locked(w));
        if (grow)
                w->n_threads++;
        pthread_mutex_unlock(&w->lock);
        if (!grow)
                return 0;
        r = worker_start(w);
        return r < 0 ? r : 1;
}

void worker_allow_stuck(struct worker *w, size_t n)
{
        pthread_mutex_lock(&w->lock);
        w->max_stuck = n < WORKER_THREADS_MAX - w->max_threads ? n
                                                               : WORKER_THREADS_MAX - w->max_threads;
        pthread_mutex_unlock(&w->lock);
}

void worker_push(struct worker *w, struct worker_job *j)
{
        j->next = NULL;
        pthread_mutex_lock(&w->lock);
        *w->todo_tail = j;
        w->todo_tail = &j->next;
        w->n_queued++;
        w->pending++;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
        /* No thread to be had: the job waits for worker_retry(), never for the loop, which a
         * slow job would stall for every client. */
        (void) worker_grow(w);
}

void worker_retry(struct worker *w)
{
        size_t i;

        /* As many as the jobs waiting need: threads that got stuck since the last tick may let
         * more than one start. */
        for (i = 0; w && i < WORKER_THREADS_MAX && worker_grow(w) > 0; i++)
                ;
}

/* The jobs still queued, run in the loop's thread: only when the worker goes and no thread can
 * be had for them. They complete from the loop, as if a thread had run them. */
static void run_here(struct worker *w)
{
        for (;;) {
                struct worker_job *j;

                pthread_mutex_lock(&w->lock);
                j = take_locked(w);
                pthread_mutex_unlock(&w->lock);
                if (!j)
                        break;
                j->run(j);
                pthread_mutex_lock(&w->lock);
                finish_locked(w, j);
                pthread_mutex_unlock(&w->lock);
        }
}

void worker_drain(struct worker *w)
{
        while (w && w->pending > 0) {
                struct pollfd p = { .fd = w->event_fd, .events = POLLIN };
                bool stuck;

                pthread_mutex_lock(&w->lock);
                stuck = w->n_queued > 0 && w->n_threads == 0;
                pthread_mutex_unlock(&w->lock);
                if (stuck && worker_grow(w) < 0)
                        run_here(w);
                (void) poll(&p, 1, -1);
                complete(w);
        }
}

/* A worker left to the process's exit with a thread still in a job: kept reachable, for the
 * thread still uses it (and leak checkers then say nothing of it). */
static struct worker *left_running;

struct worker *worker_abandon(struct worker *w)
{
        struct worker_job *j, *next;
        size_t running;

        if (!w)
                return NULL;
        pthread_mutex_lock(&w->lock);
        w->stopping = true;
        j = w->todo;
        w->todo = NULL;
        w->todo_tail = &w->todo;
        w->n_queued = 0;
        running = w->n_running;
        pthread_cond_broadcast(&w->wake);
        pthread_mutex_unlock(&w->lock);
        /* Queued, never run: done() sees the job as run() left it untouched. */
        for (; j; j = next) {
                next = j->next;
                w->pending--;
                j->done(j);
        }
        /* A thread that finished after the count above completes its job here or in
         * worker_free(); one still running is not waited for. */
        complete(w);
        if (running == 0)
                return worker_free(w);
        log_notice("Not waiting for %zu job(s) still running in worker threads (a name "
                   "service that does not answer?): exiting without them.", running);
        loop_remove(w->source);
        w->source = NULL;
        w->next_left = left_running;
        left_running = w;
        return NULL;
}

struct worker *worker_free(struct worker *w)
{
        size_t i;

        if (!w)
                return NULL;
        worker_drain(w);
        pthread_mutex_lock(&w->lock);
        w->stopping = true;
        pthread_cond_broadcast(&w->wake);
        pthread_mutex_unlock(&w->lock);
        for (i = 0; i < WORKER_THREADS_MAX; i++)
                if (w->threads[i].joinable)
                        (void) pthread_join(w->threads[i].id, NULL);
        loop_remove(w->source);
        safe_close(w->event_fd);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return NULL;
}
