/* SPDX-License-Identifier: MIT */
/*
 * conn.c - per-client state and I/O: read one request, answer it, queue the answer if the
 * client is not reading.
 *
 * Backpressure instead of buffers: while any reply is queued the daemon stops reading that
 * client's requests, so a client that never reads holds at most LIMIT_REPLIES_QUEUED replies
 * (and their fds) in the daemon, plus what its socket buffer holds in the kernel; and while a
 * uid holds its budget of fds (sent and unread, or queued), none of its connections is read.
 *
 * Protocol errors (a malformed packet, fds on a request, a wrong version) end the connection
 * after a best-effort error reply; request errors (a bad name, a denial) are answered and the
 * connection carries on.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <time.h>

#include "appsock.h"
#include "clock.h"
#include "closer.h"
#include "resolver.h"
#include "conn-internal.h"
#include "fdcache.h"
#include "fdpass.h"
#include "limits.h"
#include "log.h"
#include "macro.h"

static void conn_log(struct conn *c, int level, int error, const char *what);
static void conn_fds_uncharge(struct conn *c);


static void conn_unlink(struct conn *c)
{
        struct server *s = c->server;

        if (c->prev)
                c->prev->next = c->next;
        else if (s->conns == c)
                s->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else if (s->conns_tail == c)
                s->conns_tail = c->prev;
        c->prev = c->next = NULL;
}

static void conn_link_head(struct conn *c)
{
        struct server *s = c->server;

        c->prev = NULL;
        c->next = s->conns;
        if (s->conns)
                s->conns->prev = c;
        s->conns = c;
        if (!s->conns_tail)
                s->conns_tail = c;
}

/* The list stays ordered by activity, so the idle sweep only looks at its tail. */
void conn_touch(struct conn *c)
{
        c->last_active_usec = now_usec();
        if (c->server->conns == c)
                return;
        conn_unlink(c);
        conn_link_head(c);
}

void conn_sweep_idle(struct server *s, uint64_t idle_usec)
{
        uint64_t now = now_usec();

        size_t budget = s->n_conns;

        while (s->conns_tail && now - s->conns_tail->last_active_usec >= idle_usec &&
               budget-- > 0) {
                struct conn *c = s->conns_tail;

                /* Waiting and watching are what such a client asked for, not idleness, and
                 * so is holding app sockets (they live as long as the connection that asked
                 * for them); its connection counts against its MaxConnectionsPerUser= all the
                 * same. */
                if (conn_is_waiting(c) || list_linked(&c->watching) || !list_empty(&c->minted)) {
                        conn_touch(c);
                        continue;
                }
                conn_log(c, LOG_INFO, -ETIMEDOUT, "idle for too long, closing");
                conn_free(c);
        }
}

static struct reply *reply_free(struct reply *r)
{
        if (!r)
                return NULL;
        fdpass_close_all(r->fds, r->n_fds);
        free(r);
        return NULL;
}

struct conn *conn_free(struct conn *c)
{
        if (!c)
                return NULL;

        /* Unlink from the server first, so nothing can reach a half-freed connection. */
        conn_unlink(c);
        c->server->n_conns--;
        server_unready(c->server, c->user, &c->ready);
        conn_local_done(c);
        resolver_cancel(c->resolving);
        conn_fds_uncharge(c);
        fdcache_deinit(&c->kept);
        user_charge_release(&c->charge_conn);
        user_charge_release(&c->charge_app);
        user_unref(c->user);
        while (!list_empty(&c->minted))
                appsock_close(appsock_of_minter_node(c->minted.next));
        c->via = appsock_unref(c->via);

        while (c->queue) {
                struct reply *r = c->queue;

                c->queue = r->next;
                reply_free(r);
        }
        loop_remove(c->source);
        safe_close(c->fd);
        log_debug("conn %" PRIu64 ": closed (uid=%u)", c->serial, (unsigned) c->id.uid);
        identity_deinit(&c->id);

        /* A slot is free again: a listener paused at a limit may accept once more. */
        server_connection_closed(c->server);
        free(c);
        return NULL;
}

void conn_update_events(struct conn *c)
{
        uint32_t ev = 0;

        /* Throttled: neither readable nor writable interests us until the tick finds the
         * client has read what it was sent. Resolving: its requests wait for its name. */
        if (c->throttled || c->resolving)
                ev = 0;
        else if (c->n_queued > 0)
                ev |= EPOLLOUT;
        else if (!c->closing && !conn_is_waiting(c))
                ev |= EPOLLIN | EPOLLET; /* edge-triggered: see conn_serve() */
        (void) loop_modify(c->source, ev);
}

/*
 * Fds held for clients. Every fd the daemon has sent and the client has not yet received
 * counts against the daemon's uid in the kernel; past RLIMIT_NOFILE every fd-carrying send
 * fails with ETOOMANYREFS, for every client (CVE-2014-3532). Every fd of a reply queued and not
 * yet sent sits in the daemon's own fd table, which accept() and open() need too. Both are
 * held for the client, and counted together: per connection (fds_unread, fds_queued), per uid
 * (the user's USER_SLOT_FDS) and in total (fds_held_total). Fds sent stay counted until the
 * socket is seen drained (SIOCOUTQ 0: the client has read everything).
 *
 * A reply's fds exist once its request is read, so the budgets are kept before reading: a
 * connection's next request is read only while its uid could take one more full reply
 * (SHMB_PROTO_FDS_MAX fds) within fds_held_uid_max and within the total, and, once more than
 * half of the total is held, only while the uid holds less than its share of what is still
 * free (the free fds over the number of uids holding any), as app sockets are shared out
 * (conn-local.c, app_socket_fair()). The uids that took much before the total filled keep it,
 * but take no more from those that come later; a uid that holds none is read while the total
 * has room for one reply. So a few uids that never read stop their own connections, not
 * everyone's (a share of the free fds, not of the total: shares of the total add up to all of
 * it, and a uid that holds none yet is not among those it is divided by). Only about one uid
 * per full reply the total holds (RLIMIT_NOFILE / 32 uids) takes it whole, each holding a
 * reply or two (shmbrokerd(8), LIMITS). Whatever the connection's own cap
 * (LIMIT_FDS_UNREAD_PER_CONN) holds back waits in its queue, counted: the daemon reads nothing
 * more of a connection with a reply queued.
 */
static void conn_fds_update(struct conn *c)
{
        struct server *s = c->server;
        uint64_t held = (uint64_t) c->fds_unread + c->fds_queued;

        s->fds_held_total = s->fds_held_total - c->charge_fds.amount + held;
        if (held == 0)
                user_charge_release(&c->charge_fds);
        else if (c->charge_fds.user)
                user_charge_set(&c->charge_fds, held);
        else
                /* Within the budgets (conn_fds_may_read() said so before the request was
                 * read): no limit to check again. */
                (void) user_charge(c->user, &c->charge_fds, USER_SLOT_FDS, held,
                                   USER_UNLIMITED);
}

static void conn_fds_uncharge(struct conn *c)
{
        c->fds_unread = 0;
        c->fds_queued = 0;
        conn_fds_update(c);
}

/* The client has read all it was sent: its fds are no longer in flight. */
static void conn_fds_refresh(struct conn *c)
{
        int outq = 0;

        if (c->fds_unread > 0 && ioctl(c->fd, SIOCOUTQ, &outq) == 0 && outq == 0) {
                c->fds_unread = 0;
                conn_fds_update(c);
        }
}

/* Past half of the total, a uid that holds fds gets more only below its share of the rest. */
static bool conn_fds_fair(const struct conn *c)
{
        const struct server *s = c->server;
        uint64_t held = c->user->used[USER_SLOT_FDS];

        if (s->fds_held_total <= s->fds_held_total_max / 2 || held == 0)
                return true;
        /* It holds some: n_holding counts it, and is not 0. The caller checked that the total
         * is below its maximum. */
        return held * s->broker->users.n_holding[USER_SLOT_FDS] <
               s->fds_held_total_max - s->fds_held_total;
}

static bool conn_fds_room(const struct conn *c)
{
        const struct server *s = c->server;

        return c->user->used[USER_SLOT_FDS] + SHMB_PROTO_FDS_MAX <= s->fds_held_uid_max &&
               s->fds_held_total + SHMB_PROTO_FDS_MAX <= s->fds_held_total_max &&
               conn_fds_fair(c);
}

/* May @c's next request be read: could its uid hold one more full reply's fds? */
static bool conn_fds_may_read(struct conn *c)
{
        if (conn_fds_room(c))
                return true;
        conn_fds_refresh(c);
        return conn_fds_room(c);
}

/* May @n more fds go in flight on @c? The uid's and the total budgets were kept when the
 * request was read; what is left is the connection's own cap. */
static bool conn_fds_admit(struct conn *c, size_t n)
{
        if (n == 0)
                return true;
        if (c->fds_unread + n > LIMIT_FDS_UNREAD_PER_CONN)
                conn_fds_refresh(c);
        return c->fds_unread + n <= LIMIT_FDS_UNREAD_PER_CONN;
}

/* @n fds of a reply not queued before went out (@queued false), or of one queued before. */
static void conn_fds_sent(struct conn *c, size_t n, bool queued)
{
        if (n == 0)
                return;
        c->fds_unread += (unsigned) n;
        if (queued)
                c->fds_queued -= (unsigned) n;
        conn_fds_update(c);
}

/* Closes the fds of a reply that are the connection's: not those borrowed from its kept fds
 * (bit i of @borrowed for fds[i]). */
static void close_owned(int *fds, size_t n_fds, uint32_t borrowed)
{
        size_t i;

        if (borrowed == 0) {
                fdpass_close_all(fds, n_fds);
                return;
        }
        for (i = 0; i < n_fds; i++)
                if (!(borrowed & (UINT32_C(1) << i)))
                        fds[i] = safe_close(fds[i]);
}

/*
 * A reply that waits must own its fds: a kept fd closes when its object changes, maybe before
 * the reply goes out. Replaces each borrowed fd by a dup of it (the same open file
 * description). On failure every owned fd is closed.
 */
static int own_fds(int *fds, size_t n_fds, uint32_t borrowed)
{
        size_t i;

        for (i = 0; i < n_fds; i++) {
                int fd;

                if (!(borrowed & (UINT32_C(1) << i)))
                        continue;
                fd = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
                if (fd < 0) {
                        int r = -errno;

                        /* fds[0..i-1] are all owned by now; of the rest, the unborrowed. */
                        fdpass_close_all(fds, i);
                        close_owned(fds + i, n_fds - i, borrowed >> i);
                        return r;
                }
                fds[i] = fd;
        }
        return 0;
}

/* conn_send(), except for the fds borrowed from the connection's kept fds (bit i of @borrowed
 * for fds[i]): those stay the cache's, and a queued reply gets dups of them. */
static int conn_send_borrowed(struct conn *c, const void *buf, size_t len, int *fds,
                              size_t n_fds, uint32_t borrowed)
{
        struct reply *r;
        int k;

        if (c->n_queued == 0) {
                if (conn_fds_admit(c, n_fds)) {
                        k = fdpass_send(c->fd, buf, len, fds, n_fds);
                        if (k >= 0)
                                conn_fds_sent(c, n_fds, false);
                        if (k != -EAGAIN) {
                                close_owned(fds, n_fds, borrowed);
                                return k;
                        }
                } else
                        c->throttled = true;
        }
        if (c->n_queued >= c->queue_max) {
                close_owned(fds, n_fds, borrowed);
                return -ENOBUFS;
        }
        k = own_fds(fds, n_fds, borrowed);
        if (k < 0)
                return k;
        r = malloc(sizeof(*r) + len);
        if (!r) {
                fdpass_close_all(fds, n_fds);
                return -ENOMEM;
        }
        r->next = NULL;
        r->len = len;
        r->n_fds = n_fds;
        if (n_fds > 0) /* memcpy() from a NULL array is undefined, even of 0 bytes */
                memcpy(r->fds, fds, n_fds * sizeof(int));
        memcpy(r->data, buf, len);
        if (c->queue_tail)
                c->queue_tail->next = r;
        else
                c->queue = r;
        c->queue_tail = r;
        c->n_queued++;
        if (n_fds > 0) {
                c->fds_queued += (unsigned) n_fds;
                conn_fds_update(c);
        }
        conn_update_events(c);
        return 0;
}

int conn_send(struct conn *c, const void *buf, size_t len, int *fds, size_t n_fds)
{
        return conn_send_borrowed(c, buf, len, fds, n_fds, 0);
}

static int conn_flush(struct conn *c)
{
        while (c->queue) {
                struct reply *r = c->queue;
                int k;

                if (!conn_fds_admit(c, r->n_fds)) {
                        c->throttled = true;
                        break;
                }
                k = fdpass_send(c->fd, r->data, r->len, r->fds, r->n_fds);
                if (k == -EAGAIN)
                        break;
                if (k < 0)
                        return k;
                conn_fds_sent(c, r->n_fds, true);
                c->queue = r->next;
                if (!c->queue)
                        c->queue_tail = NULL;
                c->n_queued--;
                reply_free(r);
                conn_touch(c); /* the client reads: it is alive */
        }
        conn_update_events(c);
        return 0;
}

void conn_unthrottle_all(struct server *s)
{
        struct conn *c, *next;

        /* Counts only need refreshing when they hold someone back: with nobody throttled, a
         * connection refreshes its own when it reaches a cap. No SIOCOUTQ per connection per
         * tick, then. */
        for (c = s->conns; c && !c->throttled; c = c->next)
                ;
        if (!c)
                return;

        for (c = s->conns; c; c = next) {
                next = c->next;
                conn_fds_refresh(c);
                if (!c->throttled)
                        continue;
                c->throttled = false;
                if (conn_flush(c) < 0)
                        conn_free(c);
        }
}

/* Rate-limited, since every one of these is triggered by the client. */
static void conn_log(struct conn *c, int level, int error, const char *what)
{
        if (!log_ratelimit_uid(c->id.uid))
                return;
        log_full_errno(level, error, "conn %" PRIu64 " (uid=%u pid=%d): %s: %m", c->serial,
                       (unsigned) c->id.uid, (int) c->id.pid, what);
}

/* A protocol error: tell the client why if the socket takes it, then stop. */
static void conn_fail(struct conn *c, uint32_t seq, int error, const char *what)
{
        int n;

        conn_log(c, LOG_NOTICE, error, what);
        n = shmb_proto_encode_error(c->server->out, sizeof(c->server->out), seq, -error, 0);
        if (n > 0)
                (void) conn_send(c, c->server->out, (size_t) n, NULL, 0);
        c->closing = true;
        conn_update_events(c);
}

/* Reads and answers one request. Returns 1 to go on, 0 when there is nothing more to read
 * now, <0 when the connection must close at once. */
static int conn_read_one(struct conn *c)
{
        struct server *s = c->server;
        struct shmb_proto_request req;
        int fds[SHMB_PROTO_FDS_MAX];
        uint32_t borrowed = 0;
        size_t n_fds = 0;
        ssize_t n;
        int r;

        /* Requests are small; the buffer is the largest packet so MSG_TRUNC is exact. */
        n = fdpass_recv(c->fd, s->in, sizeof(s->in), fds, &n_fds);
        /* Requests carry no fds; any that came (before Linux 6.16 the kernel cannot refuse
         * them) go to the closer thread, whatever happens next: their close() may block. */
        if (n_fds > 0) {
                closer_push(s->closer, c->user, fds, n_fds);
                if (n > 0) {
                        conn_fail(c, 0, -EBADMSG, "fds attached to a request");
                        return 0;
                }
        }
        if (n == -EAGAIN || n == -EINTR)
                return 0;
        if (n == 0)
                return -ECONNRESET; /* hang-up, or an empty packet: the same to SEQPACKET */
        if (n == -EMSGSIZE || n == -ECHRNG) {
                conn_fail(c, 0, -EBADMSG, n == -EMSGSIZE ? "packet too large"
                                                         : "too many fds attached");
                return 0;
        }
        if (n < 0)
                return (int) n;

        conn_touch(c);
        r = shmb_proto_decode_request(s->in, (size_t) n, 0, &req);
        if (r == -EOPNOTSUPP) {
                /* A well-formed request of a type we do not know: answer, and carry on. */
                n = shmb_proto_encode_error(s->out, sizeof(s->out), req.seq, EOPNOTSUPP, 0);
                return conn_send(c, s->out, (size_t) n, NULL, 0) < 0 ? -EPIPE : 1;
        }
        if (r == -EPROTONOSUPPORT) {
                conn_fail(c, 0, r, "protocol version not supported");
                return 0;
        }
        if (r < 0) {
                conn_fail(c, 0, -EBADMSG, "malformed request");
                return 0;
        }

        r = conn_handle_local(c, &req);
        if (r != 0)
                return r < 0 ? r : 1;
        /* Held until the reply is sent or queued (with dups): it may carry kept fds. */
        fdcache_hold(&c->kept);
        n = broker_handle_cached(s->broker, &c->id, &c->kept, &req, s->out, sizeof(s->out), fds,
                                 &n_fds, &borrowed);
        if (n < 0) {
                fdcache_release(&c->kept);
                conn_log(c, LOG_ERR, (int) n, "cannot build reply");
                return (int) n;
        }
        r = conn_send_borrowed(c, s->out, (size_t) n, fds, n_fds, borrowed);
        fdcache_release(&c->kept);
        if (r < 0) {
                /* EPIPE and friends: the client went away with its request answered. */
                conn_log(c, LOG_DEBUG, r, "reply not delivered");
                return r;
        }
        return 1;
}

static void conn_dispatch(struct loop_source *source, uint32_t events, void *userdata)
{
        struct conn *c = userdata;

        /* Only a hang-up is reported while its name is looked up, or while it waits (its next
         * request is read once the wait is answered): nobody waits for answers. */
        if (c->resolving || (conn_is_waiting(c) && c->n_queued == 0)) {
                if (events & (EPOLLHUP | EPOLLERR))
                        conn_free(c);
                return;
        }

        if (events & EPOLLOUT) {
                if (conn_flush(c) < 0)
                        goto close;
        }
        /* A request (or the hang-up) waits for its uid's turn: see server_serve_round(). */
        if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->closing && c->n_queued == 0)
                server_ready(c->server, c->user, &c->ready);
        if (c->closing && c->n_queued == 0)
                goto close;
        /* Nobody will read what is queued, nor the replies of a connection held back for its
         * uid's fds (and a hang-up is reported whatever it waits for: it would come back at
         * every turn). */
        if ((events & (EPOLLHUP | EPOLLERR)) && (c->n_queued > 0 || c->throttled))
                goto close;
        return;
close:
        conn_free(c);
}

struct conn *conn_of_ready(struct list_node *n)
{
        return list_entry(n, struct conn, ready);
}

/*
 * Serves one request of @c, in its uid's turn. Connections are edge-triggered: epoll reports a
 * connection when a request arrives, not again at every round while it stays readable. A round
 * serves one request per uid, and with level-triggered connections each round's epoll_wait()
 * polled every readable connection again: with one uid's 64 busy connections, 64 polls per
 * request. So a connection just served goes back in line, since a request that came with this
 * one made no edge of its own; it leaves the line when a read finds nothing (EAGAIN), and the
 * next request's edge brings it back. Every change of its epoll interest (a reply queued and
 * sent, a wait answered, a name resolved, a throttle lifted) polls it anew.
 */
void conn_serve(struct conn *c)
{
        int r = 0;

        if (!c->closing && c->n_queued == 0 && !conn_is_waiting(c) && !c->resolving) {
                /* Its uid holds its budget of fds (or its share of it): nothing is read until
                 * the tick finds that it has read some (conn_unthrottle_all()). */
                if (!conn_fds_may_read(c)) {
                        c->throttled = true;
                        conn_update_events(c);
                        return;
                }
                r = conn_read_one(c);
        }
        if (r < 0 || (c->closing && c->n_queued == 0))
                conn_free(c);
        else if (r > 0 && !c->closing && c->n_queued == 0 && !c->throttled &&
                 !conn_is_waiting(c) && !c->resolving)
                server_ready(c->server, c->user, &c->ready);
}

static void conn_resolved(void *userdata)
{
        struct conn *c = userdata;

        c->resolving = NULL;
        /* A wait it made before a reload brought %u is decided with its name now. */
        conn_wait_recheck(c);
        conn_update_events(c);
}

/* Looks up @c's user name off the loop (resolver.h); it reads nothing until it is known. */
static int conn_resolve(struct conn *c)
{
        int r;

        r = resolver_lookup(c->server->resolver, &c->id, conn_resolved, c, &c->resolving);
        if (r < 0)
                return r;
        conn_update_events(c);
        return 0;
}

void conn_resolve_all(struct server *s)
{
        struct conn *c;
        int r;

        if (!s->broker->policy->needs_user_names)
                return;
        for (c = s->conns; c; c = c->next) {
                if (c->id.user_name_resolved || c->resolving)
                        continue;
                r = conn_resolve(c);
                if (r < 0)
                        conn_log(c, LOG_WARNING, r, "cannot look up its user name off the loop");
        }
}

int conn_new(struct server *s, int fd, struct identity *id, struct user_charge *charge,
             struct user_charge *charge_app, struct appsock *via, struct conn **ret)
{
        struct conn *c;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(fd);
                user_charge_release(charge);
                if (charge_app)
                        user_charge_release(charge_app);
                identity_deinit(id);
                return -ENOMEM;
        }
        c->server = s;
        c->fd = fd;
        c->id = *id;
        *id = (struct identity) { .uid = (uid_t) -1 };
        /* For the kernel's answer to "which process is this" (lifetime=process creates). */
        c->id.has_peer_fd = true;
        c->id.peer_fd = fd;
        c->user = user_ref(charge->user);
        user_charge_move(&c->charge_conn, charge);
        if (charge_app)
                user_charge_move(&c->charge_app, charge_app);
        fdcache_init(&c->kept, &s->kept_budget, c->user);
        list_node_init(&c->ready);
        list_node_init(&c->minted);
        list_node_init(&c->waiting);
        list_node_init(&c->watching);
        c->queue_max = LIMIT_REPLIES_QUEUED;
        c->via = appsock_ref(via);
        c->serial = s->next_conn_id++;

        /* Linked and counted before anything can fail, so conn_free() undoes it all. */
        c->last_active_usec = now_usec();
        conn_link_head(c);
        s->n_conns++;

        r = loop_add(s->loop, fd, EPOLLIN | EPOLLET, conn_dispatch, c, &c->source);
        if (r < 0) {
                conn_free(c);
                return r;
        }
        log_debug("conn %" PRIu64 ": uid=%u gid=%u pid=%d connected", c->serial,
                  (unsigned) c->id.uid, (unsigned) c->id.gid, (int) c->id.pid);
        /* The policy wants user names (%u): looked up now, once, off the loop. */
        if (s->broker->policy->needs_user_names) {
                r = conn_resolve(c);
                if (r < 0) {
                        conn_free(c);
                        return r;
                }
        }
        if (ret)
                *ret = c;
        return 0;
}

bool conn_any_pending(const struct server *s)
{
        const struct conn *c;

        for (c = s->conns; c; c = c->next)
                if (c->n_queued > 0)
                        return true;
        return false;
}

void conn_stop_reading_all(struct server *s)
{
        struct conn *c;

        for (c = s->conns; c; c = c->next) {
                c->closing = true;
                conn_update_events(c);
        }
}
