/* SPDX-License-Identifier: MIT */
/*
 * conn-internal.h - a connection's state, shared by conn.c (I/O, the request loop) and
 * conn-local.c (the requests a connection answers itself: APP_SOCKET, WAIT, WATCH). Not for
 * the rest of the daemon (conn.h is).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "appsock.h"
#include "conn.h"
#include "fdcache.h"
#include "list.h"

struct reply {
        struct reply *next;
        int fds[SHMB_PROTO_FDS_MAX];
        size_t n_fds;
        size_t len;
        uint8_t data[];
};

struct conn {
        struct server *server;
        struct conn *prev, *next;       /* the server's list, most recently active first */
        uint64_t serial;
        uint64_t last_active_usec;      /* CLOCK_MONOTONIC of the last request or drained reply */
        int fd;
        struct loop_source *source;
        struct identity id;
        struct user *user;              /* referenced; its uid is id.uid */
        struct user_charge charge_conn; /* MaxConnectionsPerUser= */
        struct user_charge charge_app;  /* through an app socket: its uid's app connections */
        struct user_charge charge_fds;  /* fds_unread + fds_queued */
        struct list_node ready;         /* in user->ready while a request waits its turn */
        struct resolve_job *resolving;  /* its user name is being looked up: read nothing */
        struct app_socket_pending *app_pending; /* the APP_SOCKET request that waits for it */
        struct reply *queue, *queue_tail;
        size_t n_queued;
        bool closing;           /* send what is queued, read nothing more, then close */
        bool throttled;         /* too many fds the client (or its uid) has not read: wait */
        unsigned fds_unread;    /* fds sent since the socket was last seen drained */
        unsigned fds_queued;    /* fds of the replies in its queue */
        struct appsock *via;    /* referenced: the app socket it came in on, or NULL */
        struct list_node minted;        /* app sockets it asked for; closed with it */
        size_t queue_max;       /* replies it may have queued: LIMIT_REPLIES_QUEUED, more
                                 * while it watches */
        struct fdcache kept;    /* fds it was handed, kept for its next opens */

        /* WAIT: the reply it is owed, once its name is there (conn-local.c). Reads nothing
         * meanwhile: replies come in order. */
        struct list_node waiting;       /* in server->waiters */
        uint32_t wait_seq;
        uint64_t wait_deadline_usec;    /* CLOCK_MONOTONIC; 0: none */
        bool wait_published;
        char wait_name[SHMB_PROTO_NAME_MAX + 1];

        /* WATCH: events of names matching the pattern that it may open. */
        struct list_node watching;      /* in server->watchers */
        uint32_t watch_seq;
        char *watch_pattern;            /* owned; "" for every name */
        struct user_charge charge_watch;        /* USER_SLOT_WATCHES: 1 while it watches */
};

/*
 * Sends a reply now or queues it (at most c->queue_max). Takes over @fds in every case: they
 * are closed once sent or when the reply is dropped. -ENOBUFS: the queue is full.
 */
int conn_send(struct conn *c, const void *buf, size_t len, int *fds, size_t n_fds);
void conn_update_events(struct conn *c);
/* Its wait, decided again (its name has just been looked up). */
void conn_wait_recheck(struct conn *c);
void conn_touch(struct conn *c);

/* conn-local.c: answers @req if it is the connection's own business (APP_SOCKET, WAIT,
 * WATCH, and any request on a watching connection). 1: answered (or owed, for a WAIT); 0: the
 * broker's; <0: the connection must close. */
int conn_handle_local(struct conn *c, const struct shmb_proto_request *req);
/* The connection goes: it stops waiting and watching. */
void conn_local_done(struct conn *c);
static inline bool conn_is_waiting(const struct conn *c)
{
        return list_linked(&c->waiting);
}
