/* SPDX-License-Identifier: MIT */
/*
 * worker.h - threads for work that may block, off the event loop.
 *
 * Some calls can take long for reasons a client controls or nobody controls: close() of the
 * last reference to a lingering TCP socket a client sent (closer.c), a name service lookup
 * when LDAP is slow (resolver.c). Done in the loop, they would stall every client of every
 * user. A worker runs them in threads of its own and hands each job back to the loop's thread
 * when it is done: all the daemon's state stays in the loop's thread,
 * the job's run() touches only the job.
 */
#pragma once

#include "loop.h"

struct worker_job {
        struct worker_job *next;
        void (*run)(struct worker_job *j);      /* in a worker thread (see worker_drain()) */
        void (*done)(struct worker_job *j);     /* then in the loop's; may free the job */
};

struct worker;

/*
 * Up to @n_threads threads taking jobs in turn (1: jobs run in order). None is started until a
 * job needs one: a process with a second thread pays for it in every system call that takes
 * an fd (the kernel counts references to the file it cannot skip any more) and in libc's
 * cancellation points, about 8% of the daemon's time per open (BENCHMARKS.md). So a daemon
 * whose clients never send fds and whose policy needs no user names stays single-threaded. A
 * thread with nothing to do for two seconds leaves, so that after a burst of lookups the
 * kernel sees one thread again (glibc keeps its cancellation points' cost once a thread has
 * been). Make workers only after privileges are dropped: credentials and capabilities are
 * per thread.
 */
int worker_new(struct loop *loop, size_t n_threads, struct worker **ret);
/* Runs what is still queued, completes everything, stops the threads. */
struct worker *worker_free(struct worker *w);
/*
 * At exit, for jobs whose results nobody waits for any more: those still queued complete
 * without running (their done() must allow that), and a job still running is not waited for.
 * A name service lookup cannot be taken back from its thread; if one hangs, the worker is
 * left to the process's exit, with a notice, rather than holding the exit up with it.
 */
struct worker *worker_abandon(struct worker *w);

/*
 * Queues @j (the caller keeps it alive until its done() runs), and starts a thread if every
 * thread there is has a job. When none can be started (TasksMax=, a pids cgroup at its limit),
 * the job waits: a warning is logged, and worker_retry() tries again. It never runs in the
 * loop meanwhile, where a slow one would stall every client.
 */
void worker_push(struct worker *w, struct worker_job *j);

/*
 * Lets the worker start up to @n threads past its limit while that many of its threads have
 * been in one job for over a second: a job that hangs (a name service that never answers)
 * then holds its thread, not the others' turn. Not for a worker whose jobs must run in order.
 */
void worker_allow_stuck(struct worker *w, size_t n);

/* Starts a thread for jobs that wait for one, if one can be had now: every second (the
 * server's tick). NULL: nothing. */
void worker_retry(struct worker *w);

/* Waits until every job pushed so far is done (its done() has run): for tests and exit. At
 * exit, jobs that no thread can be started for run in the caller's thread. */
void worker_drain(struct worker *w);
