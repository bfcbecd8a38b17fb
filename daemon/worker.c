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

#include "log.h"
#include "macro.h"
#include "worker.h"

#define WORKER_THREADS_MAX 16

/* A thread with nothing to do for this long leaves: the daemon is single-threaded again once
 * all have (worker.h says why that matters). The next job starts one anew. */
#define WORKER_IDLE_SEC 2

struct worker_thread {
        struct worker *w;
        pthread_t id;
        bool joinable;          /* started and not joined yet; the loop's thread's alone */
        bool exited;            /* under the lock: it left (idle), the loop may join it */
};

struct worker {
        struct worker_thread threads[WORKER_THREADS_MAX];
        size_t n_threads;                       /* under the lock: started, not left */
        size_t max_threads;
        pthread_mutex_t lock;
        pthread_cond_t wake;                    /* on CLOCK_MONOTONIC */
        struct worker_job *todo, **todo_tail;   /* FIFO */
        struct worker_job *done, **done_tail;
        bool stopping;
        int event_fd;                           /* the thread's "done" signal to the loop */
        struct loop_source *source;
        size_t pending;                         /* pushed, done() not run yet */
};

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
                struct worker_job *j = w->todo;
                uint64_t one = 1;

                w->todo = j->next;
                if (!w->todo)
                        w->todo_tail = &w->todo;
                pthread_mutex_unlock(&w->lock);

                j->run(j);

                pthread_mutex_lock(&w->lock);
                j->next = NULL;
                *w->done_tail = j;
                w->done_tail = &j->next;
                /* An eventfd write fails only when the counter would overflow: it is then far
                 * from zero, and the loop is woken anyway. */
                if (write(w->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
                        abort();
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
static void worker_start(struct worker *w)
{
        static bool warned;
        struct worker_thread *t = NULL;
        size_t i, left;
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
                return;
        }
        pthread_mutex_lock(&w->lock);
        left = --w->n_threads;
        pthread_mutex_unlock(&w->lock);
        if (!warned) {
                log_warning_errno(r, "Cannot start a worker thread, %s: %m",
                                  left > 0 ? "its jobs wait for the threads there are"
                                           : "doing its jobs in the event loop");
                warned = true;
        }
}

/* No thread at all: the job runs here, and completes from the loop as if a thread had run it
 * (its done() never runs inside worker_push(), whose caller may not be ready for it). */
static void run_here(struct worker *w)
{
        uint64_t one = 1;

        for (;;) {
                struct worker_job *j;

                pthread_mutex_lock(&w->lock);
                j = w->todo;
                if (j) {
                        w->todo = j->next;
                        if (!w->todo)
                                w->todo_tail = &w->todo;
                }
                pthread_mutex_unlock(&w->lock);
                if (!j)
                        break;
                j->run(j);
                pthread_mutex_lock(&w->lock);
                j->next = NULL;
                *w->done_tail = j;
                w->done_tail = &j->next;
                pthread_mutex_unlock(&w->lock);
        }
        if (write(w->event_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
                abort();
}

void worker_push(struct worker *w, struct worker_job *j)
{
        bool grow, none;

        j->next = NULL;
        pthread_mutex_lock(&w->lock);
        *w->todo_tail = j;
        w->todo_tail = &j->next;
        w->pending++;
        /* More jobs than threads: every thread is busy or about to be, so one more, within
         * the limit. Counted here, under the lock, so that a thread leaving is not relied on
         * and two pushes do not take one slot. */
        grow = w->n_threads < w->max_threads && w->pending > w->n_threads;
        if (grow)
                w->n_threads++;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
        if (grow)
                worker_start(w);
        pthread_mutex_lock(&w->lock);
        none = w->n_threads == 0;
        pthread_mutex_unlock(&w->lock);
        if (none)
                run_here(w);
}

void worker_drain(struct worker *w)
{
        while (w && w->pending > 0) {
                struct pollfd p = { .fd = w->event_fd, .events = POLLIN };

                (void) poll(&p, 1, -1);
                complete(w);
        }
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
