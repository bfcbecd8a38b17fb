/* SPDX-License-Identifier: MIT */
/*
 * conn.h - one client connection: its identity, its socket, its queue of unsent replies.
 */
#pragma once

#include <stdbool.h>

#include "appsock.h"
#include "identity.h"
#include "server.h"
#include "user.h"

/*
 * Takes over @fd, @id, @charge (its connection charge for the uid) and @charge_app (its app
 * connection charge, or NULL; all consumed, also on failure) and starts serving the client.
 * @via: the app socket it came in on (referenced while the connection lives), or NULL.
 */
int conn_new(struct server *s, int fd, struct identity *id, struct user_charge *charge,
             struct user_charge *charge_app, struct appsock *via, struct conn **ret);

/* The connection whose ready node (see server_ready()) @n is. */
struct conn *conn_of_ready(struct list_node *n);

/* Its turn (server_serve_round()): reads and answers one request, or closes the connection
 * when the client hung up. @c may be freed. */
void conn_serve(struct conn *c);

/* Closes the connection: unlinks it from the server first, then frees what it holds. */
struct conn *conn_free(struct conn *c);

/* Closes every connection that has been idle (no request, no reply drained) for @idle_usec. */
void conn_sweep_idle(struct server *s, uint64_t idle_usec);

/* Shutdown: read no more requests anywhere; connections close once their replies are sent. */
void conn_stop_reading_all(struct server *s);
/* A reload brought %u: the user names of the connections accepted before are looked up off
 * the loop, as at accept, each reading nothing meanwhile. */
void conn_resolve_all(struct server *s);
bool conn_any_pending(const struct server *s);

/* Tick: connections whose client has read what it was sent may receive fds again. */
void conn_unthrottle_all(struct server *s);

/* The broker's notify hook (broker.h): waiters whose name is there are answered, watchers
 * that may open the object are told. @userdata: the server. */
void conn_notify(void *userdata, const struct object *o, uint32_t event);
/* Waits whose time is up are answered ETIMEDOUT. */
void conn_waits_expire(struct server *s);
/* After a reload: waits the new policy answers (there now, or never) are answered. */
void conn_waits_recheck(struct server *s);
