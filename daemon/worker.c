/* SPDX-License-Identifier: MIT */
/*
 * worker.c - threads started on demand, two lists: jobs to run, jobs run (see worker.h).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "worker.h"

#define WORKER_THREADS_MAX 16

struct worker {
        pthread_t threads[WORKER_THREADS_MAX];
        size_t n_threads;                       /* started */
        size_t max_threads;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        struct worker_job *todo, **todo_tail;   /* FIFO */
        struct worker_job *done, **done_tail;
        bool stopping;
        int event_fd;                           /* the thread's "done" signal to the loop */
        struct loop_source *source;
        size_t pending;                         /* pushed, done() not run yet */
};

static void *worker_main(void *userdata)
{
        struct worker *w = userdata;

        pthread_mutex_lock(&w->lock);
        for (;;) {
                struct worker_job *j;
                uint64_t one = 1;

                while (!w->todo && !w->stopping)
                        pthread_cond_wait(&w->wake, &w->lock);
                j = w->todo;
                if (!j)
                        break;
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
        pthread_mutex_unlock(&w->lock);
        return NULL;
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
        struct worker *w;
        int r;

        if (n_threads == 0 || n_threads > WORKER_THREADS_MAX)
                return -EINVAL;
        w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->todo_tail = &w->todo;
        w->done_tail = &w->done;
        w->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (w->event_fd < 0) {
                r = -errno;
                free(w);
                return r;
        }
        w->max_threads = n_threads;
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->wake, NULL);
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
 * A thread more, when a job would otherwise wait for one: with pending > n_threads, every
 * thread is busy or about to be. Called with the lock not held, in the loop's thread (the only
 * one that starts threads), after the job is queued. The thread inherits the loop thread's
 * signal mask (SIGTERM and friends stay blocked there and reach the loop's signalfd), and its
 * credentials and capabilities: those of the dropped privileges.
 */
static void worker_grow(struct worker *w)
{
        static bool warned;
        int r;

        if (w->n_threads >= w->max_threads || w->pending <= w->n_threads)
                return;
        r = -pthread_create(&w->threads[w->n_threads], NULL, worker_main, w);
        if (r >= 0) {
                w->n_threads++;
                return;
        }
        if (!warned) {
                log_warning_errno(r, "Cannot start a worker thread, %s: %m",
                                  w->n_threads > 0 ? "its jobs wait for the threads there are"
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
        j->next = NULL;
        pthread_mutex_lock(&w->lock);
        *w->todo_tail = j;
        w->todo_tail = &j->next;
        w->pending++;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
        worker_grow(w);
        if (w->n_threads == 0)
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
        for (i = 0; i < w->n_threads; i++)
                (void) pthread_join(w->threads[i], NULL);
        loop_remove(w->source);
        safe_close(w->event_fd);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return NULL;
}
