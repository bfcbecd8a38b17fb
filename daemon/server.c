/* SPDX-License-Identifier: MIT */
/*
 * server.c - the running state's set-up and tear-down, and per-uid connection counts.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "creators.h"
#include "limits.h"
#include "listener.h"
#include "log.h"
#include "macro.h"
#include "reconcile.h"
#include "resolver.h"
#include "server.h"
#include "worker.h"

int server_init(struct server *s, struct broker *broker)
{
        int r;

        struct rlimit rl;

        *s = (struct server) { .broker = broker, .next_conn_id = 1, .tick_fd = -1,
                               .app_dir_fd = -1, .idle_timeout_usec = LIMIT_IDLE_TIMEOUT_USEC };
        list_node_init(&s->turns);
        list_node_init(&s->waiters);
        list_node_init(&s->watchers);
        broker->notify = conn_notify;
        broker->notify_userdata = s;

        /* The kernel refuses fd-carrying sends once the daemon's uid has RLIMIT_NOFILE fds in
         * flight, and fds of replies queued to be sent fill the daemon's own table: keep both
         * together well below, and let no single uid take more than an eighth (conn.c).
         * Never below one full reply, or a batch could never be sent. */
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                rl.rlim_cur = 1024;
        s->fds_held_total_max = rl.rlim_cur / 2;
        s->fds_held_uid_max = rl.rlim_cur / 8;
        if (s->fds_held_uid_max > LIMIT_FDS_HELD_PER_UID)
                s->fds_held_uid_max = LIMIT_FDS_HELD_PER_UID;
        if (s->fds_held_uid_max < SHMB_PROTO_FDS_MAX)
                s->fds_held_uid_max = SHMB_PROTO_FDS_MAX;
        if (s->fds_held_total_max < SHMB_PROTO_FDS_MAX)
                s->fds_held_total_max = SHMB_PROTO_FDS_MAX;
        /* Kept fds are off unless asked for (--kept-fds): a connection's repeat opens would
         * share one open file description, and with it flock() and OFD locks that outlive the
         * client's close() (shmbrokerd(8), "Kept file descriptions"). */
        fdcache_budget_init(&s->kept_budget, 0);
        r = loop_new(&s->loop);
        if (r < 0)
                return r;
        return 0;
}

void server_deinit(struct server *s)
{
        loop_remove(s->tick_source);
        safe_close(s->tick_fd);
        /* Nobody to tell any more. Connections first: those that asked for app sockets close
         * them (appsock.h). */
        if (s->broker)
                s->broker->notify = NULL;
        while (s->conns)
                conn_free(s->conns);
        listener_free_all(s);
        safe_close(s->app_dir_fd);
        s->closer = worker_free(s->closer);
        creators_cancel_all(s);
        /* The connections are gone, and with them everyone a lookup was for: a lookup that
         * hangs does not hold the exit up (worker.h). */
        s->resolver = worker_abandon(s->resolver);
        resolver_forget();
        broker_free(s->broker);
        loop_free(s->loop);
        *s = (struct server) { .tick_fd = -1, .app_dir_fd = -1 };
}

static void server_tick(struct loop_source *source, uint32_t events, void *userdata)
{
        struct server *s = userdata;
        uint64_t expirations;

        /* Only to re-arm EPOLLIN; how many ticks were missed does not matter. */
        if (read(s->tick_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
                log_debug_errno(-errno, "Reading the timer failed, ignoring: %m");
        conn_unthrottle_all(s);
        conn_sweep_idle(s, s->idle_timeout_usec);
        broker_tick(s->broker);
        listener_resume_all(s);
        /* Jobs that found no thread to run them (a pids limit): maybe one can be had now. */
        worker_retry(s->closer);
        worker_retry(s->resolver);
        if (s->watchdog_usec > 0)
                (void) sd_notify(false, "WATCHDOG=1");
}

int server_start_ticker(struct server *s)
{
        uint64_t usec = 1000000;
        struct itimerspec its;
        int r;

        if (s->watchdog_usec > 0 && s->watchdog_usec / 2 < usec)
                usec = s->watchdog_usec / 2;
        if (s->idle_timeout_usec < usec)
                usec = s->idle_timeout_usec;
        if (usec == 0)
                usec = 1000;
        its.it_interval.tv_sec = (time_t) (usec / 1000000);
        its.it_interval.tv_nsec = (long) (usec % 1000000) * 1000;
        its.it_value = its.it_interval;

        s->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (s->tick_fd < 0)
                return -errno;
        if (timerfd_settime(s->tick_fd, 0, &its, NULL) < 0)
                return -errno;
        r = loop_add(s->loop, s->tick_fd, EPOLLIN, server_tick, s, &s->tick_source);
        return r;
}

int server_connection_new(struct server *s, int fd, struct identity *id,
                          struct user_charge *charge, struct user_charge *charge_app,
                          struct appsock *via)
{
        return conn_new(s, fd, id, charge, charge_app, via, NULL);
}

void server_connection_closed(struct server *s)
{
        listener_resume_all(s);
}

void server_ready(struct server *s, struct user *u, struct list_node *n)
{
        if (list_linked(n))
                return;
        list_append(&u->ready, n);
        if (!list_linked(&u->turn)) {
                list_append(&s->turns, &u->turn);
                s->n_turns++;
        }
}

void server_unready(struct server *s, struct user *u, struct list_node *n)
{
        if (!list_linked(n))
                return;
        list_remove(n);
        if (list_empty(&u->ready) && list_linked(&u->turn)) {
                list_remove(&u->turn);
                s->n_turns--;
        }
}

size_t server_serve_round(struct server *s)
{
        size_t n = s->n_turns, served = 0;

        /* Each uid waiting when the round starts gets one request served; a uid that has
         * more goes to the back, for the next round. */
        while (n-- > 0 && !list_empty(&s->turns)) {
                struct user *u = list_entry(list_first(&s->turns), struct user, turn);
                struct list_node *c = list_first(&u->ready);

                /* Held across the request: the connection may close and drop its reference. */
                user_ref(u);
                list_remove(&u->turn);
                s->n_turns--;
                list_remove(c);
                if (!list_empty(&u->ready)) {
                        list_append(&s->turns, &u->turn);
                        s->n_turns++;
                }
                conn_serve(conn_of_ready(c));
                user_unref(u);
                served++;
        }
        return served;
}

/* The loop sleeps no longer than the nearest WAIT deadline. */
static int wait_timeout_msec(const struct server *s, int timeout_msec)
{
        uint64_t now, left;

        if (!s->next_wait_deadline_usec)
                return timeout_msec;
        now = now_usec();
        left = s->next_wait_deadline_usec > now ? s->next_wait_deadline_usec - now : 0;
        left = (left + 999) / 1000;
        if (timeout_msec >= 0 && left > (uint64_t) timeout_msec)
                return timeout_msec;
        return left > INT32_MAX ? INT32_MAX : (int) left;
}

int server_run_once(struct server *s, int timeout_msec)
{
        int r;

        r = loop_run_once(s->loop, list_empty(&s->turns) &&
                                           !lifetime_busy(&s->broker->lifetimes) &&
                                           !reconcile_conform_busy(s->broker)
                                   ? wait_timeout_msec(s, timeout_msec)
                                   : 0);
        if (r < 0)
                return r;
        conn_waits_expire(s);
        /* Lives that ended are ended a bounded number per turn, between rounds of requests;
         * so are a reload's looks at the objects' files. */
        r += (int) lifetime_run(&s->broker->lifetimes, LIMIT_EXPIRIES_PER_ROUND);
        r += (int) reconcile_conform_run(s->broker);
        return r + (int) server_serve_round(s);
}
