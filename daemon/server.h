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
#include "loop.h"
#include "protocol.h"

struct conn;
struct listener;

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
        size_t fds_unread_total;        /* fds sent and not yet seen read, all connections */
        size_t fds_unread_total_max;    /* half of RLIMIT_NOFILE */
        size_t fds_unread_uid_max;      /* per uid: LIMIT_FDS_UNREAD_PER_UID, or less */
        int tick_fd;                    /* timerfd: idle sweep, watchdog, listener retry */
        struct loop_source *tick_source;
        /* Scratch space for the single thread: one request in, one reply out at a time. */
        uint8_t in[SHMB_PROTO_MSG_MAX];
        uint8_t out[SHMB_PROTO_MSG_MAX];
};

int server_init(struct server *s, struct broker *broker);
/* Starts the periodic tick: every second (or half the watchdog interval, if shorter) it closes
 * idle connections, pings the watchdog and retries listeners paused at EMFILE. */
int server_start_ticker(struct server *s);
void server_deinit(struct server *s);

/* Per-uid connection accounting; server_uid_ref() fails with -EDQUOT at the policy's
 * MaxConnectionsPerUser=. */
int server_uid_ref(struct server *s, uid_t uid);
void server_uid_unref(struct server *s, uid_t uid);
