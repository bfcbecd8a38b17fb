/* SPDX-License-Identifier: MIT */
/*
 * server.h - the daemon's running state: the loop, the broker, the listeners and the
 * connections, with the counters that the limits in limits.h are checked against.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "broker.h"
#include "fdcache.h"
#include "identity.h"
#include "list.h"
#include "loop.h"
#include "protocol.h"
#include "user.h"

struct conn;
struct worker;
struct listener;
struct appsock;
struct creator_lookup;

struct server {
        struct loop *loop;
        struct broker *broker;
        struct listener *listeners;
        struct conn *conns;             /* doubly linked, most recently active first */
        struct conn *conns_tail;        /* the least recently active */
        size_t n_conns;
        uint64_t next_conn_id;
        uint64_t idle_timeout_usec;     /* --idle-timeout */
        bool in_userns;                 /* not the initial user namespace: see main.c */
        uid_t overflow_uid;             /* what a peer outside our namespace looks like */
        gid_t overflow_gid;
        uint64_t watchdog_usec;         /* WATCHDOG_USEC from the service manager, or 0 */
        size_t fds_held_total;          /* fds sent and not yet seen read, or queued to be
                                         * sent, all connections (conn.c) */
        size_t fds_held_total_max;      /* half of RLIMIT_NOFILE */
        size_t fds_held_uid_max;        /* per uid: LIMIT_FDS_HELD_PER_UID, or less */
        struct fdcache_budget kept_budget;      /* fds connections keep open (fdcache.h) */
        int tick_fd;                    /* timerfd: idle sweep, watchdog, listener retry */
        struct loop_source *tick_source;
        struct worker *closer;          /* fds clients sent, closed off the loop; NULL: here */
        struct worker *resolver;        /* name lookups off the loop; NULL: in the loop */
        struct creator_lookup *creator_lookups; /* objects' creators' names (creators.c) */
        bool passrights_refused;        /* a listener could not set SO_PASSRIGHTS=0 */
        const char *app_dir;            /* --app-dir */
        int app_dir_fd;                 /* -1: app sockets are not available */
        size_t n_app_sockets;
        struct list_node waiters;       /* connections owed a WAIT reply (conn-local.c) */
        uint64_t next_wait_deadline_usec;       /* the nearest of their deadlines; 0: none */
        struct list_node watchers;      /* connections that WATCH */
        size_t n_watchers;
        struct list_node turns;         /* uids with a request waiting, in serving order */
        size_t n_turns;
        /* Scratch space for the single thread: one request in, one reply out at a time. */
        uint8_t in[SHMB_PROTO_MSG_MAX];
        uint8_t out[SHMB_PROTO_MSG_MAX];
};

int server_init(struct server *s, struct broker *broker);
/* Starts the periodic tick: every second (or half the watchdog interval, if shorter) it closes
 * idle connections, pings the watchdog and retries listeners paused at EMFILE. */
int server_start_ticker(struct server *s);
void server_deinit(struct server *s);

/*
 * server_connection_new() - serve a client just accepted: takes over @fd, @id, @charge (the
 * uid's connection charge) and @charge_app (its app connection charge, for a connection
 * through an app socket; else it holds nothing), also on failure. @via: the app socket it came
 * in on, or NULL.
 */
int server_connection_new(struct server *s, int fd, struct identity *id,
                          struct user_charge *charge, struct user_charge *charge_app,
                          struct appsock *via);

/* A connection closed: listeners paused at a limit may accept again. */
void server_connection_closed(struct server *s);

/*
 * Fairness between uids. A connection with a request waiting is queued on its uid (@n is its
 * node); each round serves one request of each uid that has one, in turn, before the loop
 * looks for more: one uid with many busy connections delays another uid's request by at most
 * one of its own per round, not by all of them.
 */
void server_ready(struct server *s, struct user *u, struct list_node *n);
void server_unready(struct server *s, struct user *u, struct list_node *n);
/* Returns the number of requests served. */
size_t server_serve_round(struct server *s);

/* One turn of the daemon: wait for events (not at all while requests wait their turn, else at
 * most @timeout_msec), dispatch them, then serve one round. Returns the number of events and
 * requests handled (0: nothing happened), or -errno. */
int server_run_once(struct server *s, int timeout_msec);
