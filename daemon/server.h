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
        struct conn *conns;             /* doubly linked */
        size_t n_conns;
        uint64_t next_conn_id;
        /* Scratch space for the single thread: one request in, one reply out at a time. */
        uint8_t in[SHMB_PROTO_MSG_MAX];
        uint8_t out[SHMB_PROTO_MSG_MAX];
};

int server_init(struct server *s, struct broker *broker);
void server_deinit(struct server *s);

/* Per-uid connection accounting; server_uid_ref() fails with -EDQUOT at the policy's
 * MaxConnectionsPerUser=. */
int server_uid_ref(struct server *s, uid_t uid);
void server_uid_unref(struct server *s, uid_t uid);
