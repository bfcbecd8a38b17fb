/* SPDX-License-Identifier: MIT */
/*
 * conn-local.c - the requests a connection answers itself, because their answer is about the
 * connection rather than one decision: APP_SOCKET (a socket that lives as long as this
 * connection), WAIT (a reply owed until a name is there) and WATCH (events, from then on).
 *
 * What may be seen goes through the broker's decisions (broker_wait_ready(),
 * broker_watch_matches()): a waiter or a watcher learns of exactly the objects it could open,
 * and nothing of the others. Every path is bounded: waits by the connection limits (a waiting
 * connection is a connection), watches by LIMIT_WATCHES and each by its queue of events
 * (LIMIT_WATCH_EVENTS_QUEUED: past it the watch ends with an OVERFLOW event), shared fairly
 * past half of LIMIT_WATCHES, app sockets by
 * LIMIT_APP_SOCKETS_PER_UID and LIMIT_APP_SOCKETS_TOTAL, shared fairly past half of it, and
 * only for uids with a user name.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "appid.h"
#include "clock.h"
#include "conn-internal.h"
#include "limits.h"
#include "log.h"
#include "macro.h"
#include "resolver.h"

static int reply(struct conn *c, uint32_t seq, int error, uint32_t reason)
{
        struct server *s = c->server;
        int n;

        n = error < 0 ? shmb_proto_encode_error(s->out, sizeof(s->out), seq, -error, reason)
                      : shmb_proto_encode_ok(s->out, sizeof(s->out), seq);
        if (n < 0)
                return n;
        return conn_send(c, s->out, (size_t) n, NULL, 0) < 0 ? -EPIPE : 1;
}

/* ---- APP_SOCKET ---- */

/*
 * App sockets are for uids with a user name. Each is a listening socket and a name in the app
 * directory, LIMIT_APP_SOCKETS_TOTAL in all, and per-uid limits count kernel uids: a user with
 * a subordinate uid range (/etc/subuid, newuidmap) runs processes as thousands of uids, and 64
 * of them took every app socket there was. Such uids have no user name (and the default policy
 * gives a uid without one nothing). The name is known once resolved (at connect, when the
 * policy has %u; else app_socket_resolve()). Return: 0, or -EPERM (said in the log).
 */
static int app_socket_named(struct conn *c)
{
        if (c->id.user_name)
                return 0;
        if (log_ratelimit_uid(c->id.uid))
                log_notice("uid=%u pid=%d: the uid has no user name (a subordinate uid, or the "
                           "name service cannot say), refusing it an app socket",
                           (unsigned) c->id.uid, (int) c->id.pid);
        return -EPERM;
}

/*
 * May @c's uid have one more app socket, given what the other uids hold? First come, first
 * served up to half of LIMIT_APP_SOCKETS_TOTAL (within LIMIT_APP_SOCKETS_PER_UID), a fair
 * share of the free ones past it (user_fair()).
 */
static bool app_socket_fair(const struct conn *c)
{
        return user_fair(c->user, USER_SLOT_APP_SOCKETS, c->server->n_app_sockets,
                         LIMIT_APP_SOCKETS_TOTAL, LIMIT_APP_SOCKETS_FAIR_FLOOR);
}

static int app_socket_resolve(struct conn *c, const struct shmb_proto_request *req);

static int handle_app_socket(struct conn *c, const struct shmb_proto_request *req)
{
        struct server *s = c->server;
        struct appsock *a;
        int n, r;

        /* An app cannot make itself another app, nor another socket of its own. */
        if (c->via)
                return reply(c, req->seq, -EPERM, SHMB_PROTO_REASON_APP_SOCKET);
        if (!shmb_app_id_valid(req->app, req->app_len))
                return reply(c, req->seq, -EINVAL, SHMB_PROTO_REASON_NONE);
        if (!c->id.user_name_resolved)
                return app_socket_resolve(c, req);
        r = app_socket_named(c);
        if (r < 0)
                return reply(c, req->seq, r, SHMB_PROTO_REASON_NONE);
        /* MaxConnectionsPerUser=1: the one connection is the main socket's; a socket through
         * which no app could connect is refused now rather than at the app's connect. */
        if (appsock_connections_max(s) == 0) {
                if (log_ratelimit_uid(c->id.uid))
                        log_notice("uid=%u pid=%d: MaxConnectionsPerUser=1 leaves apps no "
                                   "connection, refusing an app socket", (unsigned) c->id.uid,
                                   (int) c->id.pid);
                return reply(c, req->seq, -EDQUOT, SHMB_PROTO_REASON_QUOTA_CONNECTIONS);
        }
        if (s->n_app_sockets >= LIMIT_APP_SOCKETS_TOTAL || !app_socket_fair(c)) {
                if (log_ratelimit_uid(c->id.uid))
                        log_notice("uid=%u pid=%d: holds %" PRIu64 " of the %zu app sockets in "
                                   "use (at most %u), refusing another", (unsigned) c->id.uid,
                                   (int) c->id.pid, c->user->used[USER_SLOT_APP_SOCKETS],
                                   s->n_app_sockets, LIMIT_APP_SOCKETS_TOTAL);
                return reply(c, req->seq, -EMFILE, SHMB_PROTO_REASON_LIMIT);
        }
        r = appsock_mint(s, &c->minted, c->user, c->id.gid, req->app, &a);
        if (r == -EDQUOT) {
                if (log_ratelimit_uid(c->id.uid))
                        log_notice("uid=%u pid=%d: over %u app sockets, refusing another",
                                   (unsigned) c->id.uid, (int) c->id.pid,
                                   LIMIT_APP_SOCKETS_PER_UID);
                return reply(c, req->seq, -EMFILE, SHMB_PROTO_REASON_LIMIT);
        }
        if (r < 0) {
                if (r != -EOPNOTSUPP && log_ratelimit_uid(c->id.uid))
                        log_warning_errno(r, "uid=%u: cannot make an app socket: %m",
                                          (unsigned) c->id.uid);
                return reply(c, req->seq, r, SHMB_PROTO_REASON_NONE);
        }
        n = shmb_proto_encode_app_socket_reply(s->out, sizeof(s->out), req->seq, a->path);
        if (n < 0)
                return n;
        return conn_send(c, s->out, (size_t) n, NULL, 0) < 0 ? -EPIPE : 1;
}

/* ---- WAIT ---- */

/* The nearest deadline of a wait, kept so that the loop's timeout costs nothing to find. */
static void deadlines_refresh(struct server *s)
{
        struct list_node *n;

        s->next_wait_deadline_usec = 0;
        for (n = s->waiters.next; n != &s->waiters; n = n->next) {
                struct conn *w = list_entry(n, struct conn, waiting);

                if (w->wait_deadline_usec &&
                    (!s->next_wait_deadline_usec ||
                     w->wait_deadline_usec < s->next_wait_deadline_usec))
                        s->next_wait_deadline_usec = w->wait_deadline_usec;
        }
}

/* The owed reply goes out; the connection reads requests again. */
static void wait_end(struct conn *c, int error, uint32_t reason)
{
        list_remove(&c->waiting);
        deadlines_refresh(c->server);
        if (reply(c, c->wait_seq, error, reason) < 0)
                c->closing = true;
        conn_touch(c);
        conn_update_events(c);
}

static int handle_wait(struct conn *c, const struct shmb_proto_request *req)
{
        struct server *s = c->server;
        uint32_t reason;
        uint64_t now;
        int r;

        r = shmb_name_normalize(req->name, req->name_len, c->wait_name);
        if (r < 0)
                return reply(c, req->seq, r, SHMB_PROTO_REASON_NONE);
        c->wait_published = req->flags & SHMB_PROTO_WAIT_PUBLISHED;
        r = broker_wait_ready(s->broker, &c->id, c->wait_name, c->wait_published, &reason);
        if (r != 0)
                return reply(c, req->seq, r < 0 ? r : 0, reason);
        c->wait_seq = req->seq;
        now = now_usec();
        /* A timeout too long to add is no timeout. */
        c->wait_deadline_usec = req->timeout_usec && req->timeout_usec < UINT64_MAX - now
                                        ? now + req->timeout_usec
                                        : 0;
        list_append(&s->waiters, &c->waiting);
        if (c->wait_deadline_usec && (!s->next_wait_deadline_usec ||
                                      c->wait_deadline_usec < s->next_wait_deadline_usec))
                s->next_wait_deadline_usec = c->wait_deadline_usec;
        conn_update_events(c);
        return 1;
}

/* Answers the waits that @ready says are over (1: OK; <0: that error). */
static void waits_check(struct server *s, const char *name)
{
        struct list_node *n, *next;

        for (n = s->waiters.next; n != &s->waiters; n = next) {
                struct conn *w = list_entry(n, struct conn, waiting);
                uint32_t reason;
                int r;

                next = n->next;
                /* Its name is being looked up (a reload brought %u): decided once it is
                 * known (conn_wait_recheck()). */
                if ((name && strcmp(name, w->wait_name) != 0) || w->resolving)
                        continue;
                r = broker_wait_ready(s->broker, &w->id, w->wait_name, w->wait_published,
                                      &reason);
                if (r != 0)
                        wait_end(w, r < 0 ? r : 0, reason);
        }
}

void conn_waits_expire(struct server *s)
{
        uint64_t now = now_usec();
        struct list_node *n, *next;

        if (!s->next_wait_deadline_usec || s->next_wait_deadline_usec > now)
                return;
        for (n = s->waiters.next; n != &s->waiters; n = next) {
                struct conn *w = list_entry(n, struct conn, waiting);

                next = n->next;
                if (w->wait_deadline_usec && w->wait_deadline_usec <= now)
                        wait_end(w, -ETIMEDOUT, SHMB_PROTO_REASON_NONE);
        }
        deadlines_refresh(s);
}

void conn_waits_recheck(struct server *s)
{
        waits_check(s, NULL);
}

void conn_wait_recheck(struct conn *c)
{
        uint32_t reason;
        int r;

        if (!conn_is_waiting(c) || c->resolving)
                return;
        r = broker_wait_ready(c->server->broker, &c->id, c->wait_name, c->wait_published,
                              &reason);
        if (r != 0)
                wait_end(c, r < 0 ? r : 0, reason);
}

/* ---- WATCH ---- */

static void watch_end(struct conn *c)
{
        list_remove(&c->watching);
        c->server->n_watchers--;
        user_charge_release(&c->charge_watch);
        free(c->watch_pattern);
        c->watch_pattern = NULL;
}

static int handle_watch(struct conn *c, const struct shmb_proto_request *req)
{
        struct server *s = c->server;
        const char *pattern = req->name;

        if (pattern[0] == '/')
                pattern++;
        if (strlen(pattern) > SHMB_PROTO_NAME_MAX)
                return reply(c, req->seq, -ENAMETOOLONG, SHMB_PROTO_REASON_NONE);
        /* A watching connection is never idle (--idle-timeout): without a share per uid, 16
         * uids within MaxConnectionsPerUser= took every watch for as long as they liked, and
         * nobody else could watch. Past half of LIMIT_WATCHES, each uid gets its fair share of
         * the free ones (user_fair()), as for app sockets. */
        if (s->n_watchers >= LIMIT_WATCHES ||
            !user_fair(c->user, USER_SLOT_WATCHES, s->n_watchers, LIMIT_WATCHES,
                       LIMIT_WATCHES_FAIR_FLOOR)) {
                if (log_ratelimit_uid(c->id.uid))
                        log_notice("uid=%u pid=%d: holds %" PRIu64 " of the %zu watches in use "
                                   "(at most %u), refusing another", (unsigned) c->id.uid,
                                   (int) c->id.pid, c->user->used[USER_SLOT_WATCHES],
                                   s->n_watchers, LIMIT_WATCHES);
                return reply(c, req->seq, -EMFILE, SHMB_PROTO_REASON_LIMIT);
        }
        c->watch_pattern = strdup(pattern);
        if (!c->watch_pattern)
                return reply(c, req->seq, -ENOMEM, SHMB_PROTO_REASON_NONE);
        /* Cannot fail: no limit of its own (the pool's and the share's are checked above). */
        (void) user_charge(c->user, &c->charge_watch, USER_SLOT_WATCHES, 1, USER_UNLIMITED);
        c->watch_seq = req->seq;
        list_append(&s->watchers, &c->watching);
        s->n_watchers++;
        c->queue_max = LIMIT_WATCH_EVENTS_QUEUED;
        return reply(c, req->seq, 0, SHMB_PROTO_REASON_NONE);
}

/* One event to one watcher; the last place in its queue is for OVERFLOW, which ends it. */
static void watch_send(struct conn *c, uint32_t event, const char *name)
{
        struct server *s = c->server;
        bool overflow = c->n_queued + 1 >= c->queue_max;
        int n;

        if (overflow) {
                event = SHMB_PROTO_EVENT_OVERFLOW;
                name = "";
        }
        n = shmb_proto_encode_event(s->out, sizeof(s->out), c->watch_seq, event, name);
        if (n < 0 || conn_send(c, s->out, (size_t) n, NULL, 0) < 0)
                overflow = true;
        if (overflow) {
                if (log_ratelimit_uid(c->id.uid))
                        log_info("conn %" PRIu64 " (uid=%u): a watcher does not read its events; "
                                 "ending its watch", c->serial, (unsigned) c->id.uid);
                watch_end(c);
                c->closing = true;
                conn_update_events(c);
        }
}

void conn_notify(void *userdata, const struct object *o, uint32_t event)
{
        struct server *s = userdata;
        struct list_node *n, *next;

        if (event != SHMB_PROTO_EVENT_REMOVED && !list_empty(&s->waiters))
                waits_check(s, o->name);
        for (n = s->watchers.next; n != &s->watchers; n = next) {
                struct conn *w = list_entry(n, struct conn, watching);

                next = n->next;
                if (broker_watch_matches(s->broker, o, &w->id, w->watch_pattern))
                        watch_send(w, event, o->name);
        }
}

/* An APP_SOCKET request whose answer waits for the caller's user name. */
struct app_socket_pending {
        uint32_t seq;
        uint16_t app_len;
        char app[SHMB_PROTO_APP_ID_MAX + 1];
};

static void app_socket_resolved(void *userdata)
{
        struct conn *c = userdata;
        struct app_socket_pending *p = TAKE_PTR(c->app_pending);
        struct shmb_proto_request req = { .type = SHMB_PROTO_APP_SOCKET, .seq = p->seq,
                                          .app_len = p->app_len };
        int r;

        c->resolving = NULL;
        memcpy(req.app, p->app, sizeof(req.app));
        free(p);
        r = handle_app_socket(c, &req);
        if (r < 0) {
                conn_free(c);
                return;
        }
        conn_update_events(c);
}

/*
 * A name service can take seconds (LDAP, SSSD), and longest for uids it does not know: the
 * very ones refused here. Looked up in the loop, that would make every client of every user
 * wait; so it is looked up off the loop (resolver.h), and this connection alone reads nothing
 * until the answer is sent. Return: 1 (answered later), or as reply().
 */
static int app_socket_resolve(struct conn *c, const struct shmb_proto_request *req)
{
        struct server *s = c->server;
        struct app_socket_pending *p;
        int r;

        if (!s->resolver) {
                /* No worker (tests): here and now. */
                resolver_resolve(&c->id);
                return handle_app_socket(c, req);
        }
        p = malloc(sizeof(*p));
        if (!p)
                return reply(c, req->seq, -ENOMEM, SHMB_PROTO_REASON_NONE);
        *p = (struct app_socket_pending) { .seq = req->seq, .app_len = req->app_len };
        memcpy(p->app, req->app, sizeof(p->app));
        c->app_pending = p;
        r = resolver_lookup(s->resolver, &c->id, app_socket_resolved, c, &c->resolving);
        if (r < 0 || !c->resolving)
                free(TAKE_PTR(c->app_pending));
        if (r < 0)
                return reply(c, req->seq, r, SHMB_PROTO_REASON_NONE);
        if (!c->resolving)
                /* Known from a lookup a moment ago: here and now. */
                return handle_app_socket(c, req);
        conn_update_events(c);
        return 1;
}

/* ---- the connection's side ---- */

int conn_handle_local(struct conn *c, const struct shmb_proto_request *req)
{
        struct server *s = c->server;

        /* A watching connection carries events; anything else it asks gets EBUSY among them. */
        if (list_linked(&c->watching))
                return reply(c, req->seq, -EBUSY, SHMB_PROTO_REASON_NONE);
        switch (req->type) {
        case SHMB_PROTO_APP_SOCKET:
                return handle_app_socket(c, req);
        case SHMB_PROTO_WAIT:
        case SHMB_PROTO_WATCH:
                /* Names as the broker's decisions see them (%u rules). */
                if (s->broker->policy->needs_user_names && !c->id.user_name_resolved)
                        resolver_resolve(&c->id);
                return req->type == SHMB_PROTO_WAIT ? handle_wait(c, req)
                                                    : handle_watch(c, req);
        default:
                return 0;
        }
}

void conn_local_done(struct conn *c)
{
        free(TAKE_PTR(c->app_pending));
        if (conn_is_waiting(c)) {
                list_remove(&c->waiting);
                deadlines_refresh(c->server);
        }
        if (list_linked(&c->watching))
                watch_end(c);
}
