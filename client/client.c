/* SPDX-License-Identifier: MIT */
/*
 * client.c - libshmbroker: talk to shmbrokerd over its SOCK_SEQPACKET socket.
 *
 * One request packet out, one reply packet in, with the fd (if any) as SCM_RIGHTS on the reply.
 * Encoding and validation are proto/'s job; this file does the socket I/O, checks that the
 * reply belongs to the request, and treats the broker as something that can lie: every fd
 * that arrives is closed unless it is exactly the one the reply announces, with the access it
 * claims.
 *
 * It does not log, exit, raise signals, keep globals or report through errno; see shmbroker.h.
 */
#include <assert.h> /* static_assert */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "appid.h"
#include "fdident.h"
#include "macro.h"
#include "opencache.h"
#include "protocol.h"
#include "shmbroker.h"

/*
 * The public constants are the wire's: the library passes them through unchanged. (The casts
 * are because they live in different anonymous enums.)
 */
#define ASSERT_SAME(pub, wire) static_assert((int) (pub) == (int) (wire), #pub " != " #wire)
ASSERT_SAME(SHMB_NAME_MAX, SHMB_PROTO_NAME_MAX);
ASSERT_SAME(SHMB_ACL_MAX, SHMB_PROTO_ACL_MAX);
ASSERT_SAME(SHMB_ACCESS_NONE, SHMB_PROTO_ACCESS_NONE);
ASSERT_SAME(SHMB_ACCESS_RDONLY, SHMB_PROTO_ACCESS_RDONLY);
ASSERT_SAME(SHMB_ACCESS_RDWR, SHMB_PROTO_ACCESS_RDWR);
ASSERT_SAME(SHMB_ACCESS_ANY, SHMB_PROTO_ACCESS_ANY);
ASSERT_SAME(SHMB_BACKEND_SHM, SHMB_PROTO_BACKEND_SHM);
ASSERT_SAME(SHMB_BACKEND_MEMFD, SHMB_PROTO_BACKEND_MEMFD);
ASSERT_SAME(SHMB_RIGHT_READ, SHMB_PROTO_RIGHT_READ);
ASSERT_SAME(SHMB_RIGHT_WRITE, SHMB_PROTO_RIGHT_WRITE);
ASSERT_SAME(SHMB_RIGHT_CREATE, SHMB_PROTO_RIGHT_CREATE);
ASSERT_SAME(SHMB_ACL_USER_OBJ, SHMB_PROTO_ACL_USER_OBJ);
ASSERT_SAME(SHMB_ACL_USER, SHMB_PROTO_ACL_USER);
ASSERT_SAME(SHMB_ACL_GROUP_OBJ, SHMB_PROTO_ACL_GROUP_OBJ);
ASSERT_SAME(SHMB_ACL_GROUP, SHMB_PROTO_ACL_GROUP);
ASSERT_SAME(SHMB_ACL_MASK, SHMB_PROTO_ACL_MASK);
ASSERT_SAME(SHMB_ACL_OTHER, SHMB_PROTO_ACL_OTHER);
ASSERT_SAME(SHMB_RULE_ID_MAX, SHMB_PROTO_RULE_ID_MAX);
ASSERT_SAME(SHMB_APP_ID_MAX, SHMB_PROTO_APP_ID_MAX);
ASSERT_SAME(SHMB_USER_NAME_MAX, SHMB_PROTO_USER_NAME_MAX);
ASSERT_SAME(SHMB_GROUPS_MAX, SHMB_PROTO_GROUPS_MAX);
ASSERT_SAME(SHMB_BATCH_MAX, SHMB_PROTO_BATCH_MAX);
ASSERT_SAME(SHMB_REASON_NONE, SHMB_PROTO_REASON_NONE);
ASSERT_SAME(SHMB_REASON_NO_RULE, SHMB_PROTO_REASON_NO_RULE);
ASSERT_SAME(SHMB_REASON_NO_CREATE, SHMB_PROTO_REASON_NO_CREATE);
ASSERT_SAME(SHMB_REASON_NO_READ, SHMB_PROTO_REASON_NO_READ);
ASSERT_SAME(SHMB_REASON_NO_WRITE, SHMB_PROTO_REASON_NO_WRITE);
ASSERT_SAME(SHMB_REASON_NO_OBJECT, SHMB_PROTO_REASON_NO_OBJECT);
ASSERT_SAME(SHMB_REASON_EXISTS, SHMB_PROTO_REASON_EXISTS);
ASSERT_SAME(SHMB_REASON_TOO_BIG, SHMB_PROTO_REASON_TOO_BIG);
ASSERT_SAME(SHMB_REASON_QUOTA_OBJECTS, SHMB_PROTO_REASON_QUOTA_OBJECTS);
ASSERT_SAME(SHMB_REASON_QUOTA_BYTES, SHMB_PROTO_REASON_QUOTA_BYTES);
ASSERT_SAME(SHMB_REASON_QUOTA_CONNECTIONS, SHMB_PROTO_REASON_QUOTA_CONNECTIONS);
ASSERT_SAME(SHMB_REASON_ORPHAN, SHMB_PROTO_REASON_ORPHAN);
ASSERT_SAME(SHMB_REASON_NOT_BROKERED, SHMB_PROTO_REASON_NOT_BROKERED);
ASSERT_SAME(SHMB_REASON_OTHER_RULE, SHMB_PROTO_REASON_OTHER_RULE);
ASSERT_SAME(SHMB_REASON_OTHER_CREATOR, SHMB_PROTO_REASON_OTHER_CREATOR);
ASSERT_SAME(SHMB_REASON_POLICY_ERROR, SHMB_PROTO_REASON_POLICY_ERROR);
ASSERT_SAME(SHMB_REASON_STORE_FULL, SHMB_PROTO_REASON_STORE_FULL);
ASSERT_SAME(SHMB_REASON_LIFETIME, SHMB_PROTO_REASON_LIFETIME);
ASSERT_SAME(SHMB_REASON_PUBLISHED, SHMB_PROTO_REASON_PUBLISHED);
ASSERT_SAME(SHMB_REASON_NOT_CREATOR, SHMB_PROTO_REASON_NOT_CREATOR);
ASSERT_SAME(SHMB_REASON_NOT_FRESH, SHMB_PROTO_REASON_NOT_FRESH);
ASSERT_SAME(SHMB_REASON_NOT_ADMIN, SHMB_PROTO_REASON_NOT_ADMIN);
ASSERT_SAME(SHMB_REASON_APP_SOCKET, SHMB_PROTO_REASON_APP_SOCKET);
ASSERT_SAME(SHMB_REASON_LIMIT, SHMB_PROTO_REASON_LIMIT);
ASSERT_SAME(SHMB_REASON_BUSY, SHMB_PROTO_REASON_BUSY);
ASSERT_SAME(SHMB_REASON_NO_PUBLISH, SHMB_PROTO_REASON_NO_PUBLISH);
ASSERT_SAME(SHMB_REASON_NO_PUBLISH + 1, _SHMB_PROTO_REASON_MAX);
ASSERT_SAME(SHMB_OBJ_ORPHAN, SHMB_PROTO_OBJ_ORPHAN);
ASSERT_SAME(SHMB_OBJ_PUBLISHED, SHMB_PROTO_OBJ_PUBLISHED);
ASSERT_SAME(SHMB_OBJ_SEAL_WRITE, SHMB_PROTO_OBJ_SEAL_WRITE);
ASSERT_SAME(SHMB_OBJ_SEAL_FUTURE_WRITE, SHMB_PROTO_OBJ_SEAL_FUTURE_WRITE);
ASSERT_SAME(SHMB_OBJ_FRESH, SHMB_PROTO_OBJ_FRESH);
ASSERT_SAME(SHMB_OBJ_CREATOR_GONE, SHMB_PROTO_OBJ_CREATOR_GONE);
ASSERT_SAME(SHMB_LIFETIME_DEFAULT, SHMB_PROTO_LIFETIME_DEFAULT);
ASSERT_SAME(SHMB_LIFETIME_PERSISTENT, SHMB_PROTO_LIFETIME_PERSISTENT);
ASSERT_SAME(SHMB_LIFETIME_PROCESS, SHMB_PROTO_LIFETIME_PROCESS);
ASSERT_SAME(SHMB_LIFETIME_SPAN, SHMB_PROTO_LIFETIME_SPAN);
ASSERT_SAME(SHMB_CREATE_UNSIZED, SHMB_PROTO_CREATE_UNSIZED);
ASSERT_SAME(SHMB_PUBLISH_SEAL, SHMB_PROTO_PUBLISH_SEAL);
ASSERT_SAME(SHMB_PUBLISH_FUTURE, SHMB_PROTO_PUBLISH_FUTURE);
ASSERT_SAME(SHMB_WAIT_PUBLISHED, SHMB_PROTO_WAIT_PUBLISHED);
ASSERT_SAME(SHMB_STAT_ALL, SHMB_PROTO_NAME_ALL);
ASSERT_SAME(SHMB_LIST_ALL, SHMB_PROTO_NAME_ALL);
ASSERT_SAME(SHMB_STATUS_KEPT_POLICY, SHMB_PROTO_STATUS_KEPT_POLICY);
ASSERT_SAME(SHMB_VERB_CREATE, SHMB_PROTO_VERB_CREATE);
ASSERT_SAME(SHMB_VERB_OPEN_RW, SHMB_PROTO_VERB_OPEN_RW);
ASSERT_SAME(SHMB_VERB_OPEN_RO, SHMB_PROTO_VERB_OPEN_RO);
ASSERT_SAME(SHMB_VERB_UNLINK, SHMB_PROTO_VERB_UNLINK);
ASSERT_SAME(SHMB_VERB_STAT, SHMB_PROTO_VERB_STAT);
ASSERT_SAME(SHMB_VERB_MAX, _SHMB_PROTO_VERB_MAX);
ASSERT_SAME(SHMB_EXPLAIN_RULE, SHMB_PROTO_EXPLAIN_RULE);
ASSERT_SAME(SHMB_EXPLAIN_OBJECT, SHMB_PROTO_EXPLAIN_OBJECT);
ASSERT_SAME(SHMB_EXPLAIN_HANDED, SHMB_PROTO_EXPLAIN_HANDED);
ASSERT_SAME(SHMB_EXPLAIN_DETAILED, SHMB_PROTO_EXPLAIN_DETAILED);
ASSERT_SAME(SHMB_EVENT_CREATED, SHMB_PROTO_EVENT_CREATED);
ASSERT_SAME(SHMB_EVENT_PUBLISHED, SHMB_PROTO_EVENT_PUBLISHED);
ASSERT_SAME(SHMB_EVENT_REMOVED, SHMB_PROTO_EVENT_REMOVED);
ASSERT_SAME(SHMB_EVENT_OVERFLOW, SHMB_PROTO_EVENT_OVERFLOW);
static_assert(sizeof(struct shmb_status_user) == sizeof(struct shmb_proto_status_user),
              "status user");

#define CLIENT_TIMEOUT_MSEC 30000u

/* A request is a header, the largest fixed part, and a name (a watch pattern may be as long
 * as the wire allows). EXPLAIN, with its groups, has a buffer of its own. */
#define CLIENT_REQ_MAX (sizeof(struct shmb_proto_header) + sizeof(struct shmb_proto_create) + \
                        SHMB_PROTO_NAME_WIRE_MAX)
#define CLIENT_EXPLAIN_MAX (sizeof(struct shmb_proto_header) +                          \
                            sizeof(struct shmb_proto_explain) +                         \
                            SHMB_PROTO_GROUPS_MAX * sizeof(uint32_t) +                  \
                            SHMB_PROTO_NAME_MAX + SHMB_PROTO_USER_NAME_MAX +            \
                            SHMB_PROTO_APP_ID_MAX)

/* The most users shmb_status() gathers: a broker that made up more would have the library
 * allocate without end. */
#define CLIENT_STATUS_USERS_MAX (1u << 20)

/* transact_wait(): no poll before the receive; the socket's timeout applies. */
#define NO_POLL (-2)

struct shmb_client {
        /* -1 once the number is no longer ours (conn_check()). */
        int fd;
        /* What fd was at connect: a number the program closed and reused refers to another
         * file (fdident.h). */
        struct fd_ident ident;
        uint32_t seq;
        /*
         * Set once the connection can no longer be trusted to be in step with the broker: a
         * timeout (the late reply would answer the next request), a reply we could not read,
         * a hang-up, or an error the broker drops the connection after. Later calls fail with
         * -ENOTCONN instead of misreading stale packets.
         */
        bool broken;
        /* After shmb_watch(): the connection carries the events of the WATCH of watch_seq,
         * and no other request. */
        bool watching;
        uint32_t watch_seq;
        /* The SHMB_REASON_* of the last request's refusal, 0 for none. */
        int last_reason;
        unsigned int timeout_msec;
        /* After shmb_client_set_open_cache(): opens ask with OPEN_CACHED and repeat ones may be
         * answered from here. */
        struct open_cache cache;
        /* One byte more than the largest packet, so that an oversized one shows as MSG_TRUNC. */
        uint8_t rbuf[SHMB_PROTO_MSG_MAX + 1];
        struct shmb_proto_reply reply;
};

const char *shmb_socket_path(const char *path)
{
        const char *e;

        if (path)
                return path;
        /*
         * secure_getenv(): a set-uid program linking the library must not be pointed at a
         * socket of its caller's choosing.
         */
        e = secure_getenv("SHMBROKER_SOCKET");
        if (e && *e)
                return e;
        return SHMB_DEFAULT_SOCKET;
}

static int set_timeout(int fd, unsigned int msec)
{
        struct timeval tv = {
                .tv_sec = msec / 1000,
                .tv_usec = (suseconds_t) (msec % 1000) * 1000,
        };

        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        return 0;
}

int shmb_connect(const char *path, struct shmb_client **ret)
{
        _cleanup_(closep) int fd = -1;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct shmb_client *c;
        size_t n;
        int r;

        if (!ret)
                return -EINVAL;
        path = shmb_socket_path(path);
        n = strlen(path);
        if (n == 0)
                return -EINVAL;
        if (n >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, n + 1);

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* Before connect(): a full backlog makes connect() wait up to the send timeout. */
        r = set_timeout(fd, CLIENT_TIMEOUT_MSEC);
        if (r < 0)
                return r;
        for (;;) {
                if (connect(fd, (const struct sockaddr *) &sa,
                            (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + 1)) >= 0)
                        break;
                /* An interrupted AF_UNIX connect() leaves the socket unconnected: retry. */
                if (errno == EINTR)
                        continue;
                /* AF_UNIX reports a send timeout spent waiting on the backlog as EAGAIN. */
                if (errno == EAGAIN)
                        return -ETIMEDOUT;
                return -errno;
        }

        c = malloc(sizeof(*c));
        if (!c)
                return -ENOMEM;
        r = fd_ident_get(fd, &c->ident);
        if (r < 0) {
                free(c);
                return r;
        }
        c->fd = TAKE_FD(fd);
        c->seq = 0;
        c->broken = false;
        c->watching = false;
        c->watch_seq = 0;
        c->last_reason = SHMB_REASON_NONE;
        c->timeout_msec = CLIENT_TIMEOUT_MSEC;
        c->cache = (struct open_cache) {};
        *ret = c;
        return 0;
}

struct shmb_client *shmb_client_free(struct shmb_client *c)
{
        if (!c)
                return NULL;
        open_cache_done(&c->cache);
        /* A number the program closed and reused is the program's to close, not ours. */
        if (fd_ident_same(c->fd, &c->ident))
                safe_close(c->fd);
        free(c);
        return NULL;
}

/*
 * Before the connection's fd is used: is the number still our socket? A program that closed
 * it (closefrom(), close_range()) may have a socket or file of its own there now; talking on
 * it would send our request to the program's peer, take the program's data for the reply, and
 * take a file the peer sent for a segment. Such a number is forgotten, never closed, and the
 * connection is gone (-ENOTCONN, as for any broken one: nothing was sent). One fstat() per
 * request; a program that closes the number in another thread between this and the send is
 * racing its own close against a descriptor it does not own, which no check can win.
 */
static int conn_check(struct shmb_client *c)
{
        if (fd_ident_same(c->fd, &c->ident))
                return 0;
        c->fd = -1;
        c->broken = true;
        return -ENOTCONN;
}

int shmb_client_set_timeout(struct shmb_client *c, unsigned int msec)
{
        int r;

        if (!c)
                return -EINVAL;
        r = conn_check(c);
        if (r < 0)
                return r;
        r = set_timeout(c->fd, msec);
        if (r < 0)
                return r;
        c->timeout_msec = msec;
        return 0;
}

int shmb_client_last_reason(const struct shmb_client *c)
{
        return c ? c->last_reason : SHMB_REASON_NONE;
}

const char *shmb_reason_text(int reason)
{
        if (reason < 0)
                return NULL;
        return shmb_proto_reason_text((uint32_t) reason);
}

static void close_fds(int *fds, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                safe_close(fds[i]);
}

static int send_request(struct shmb_client *c, const void *req, size_t len)
{
        struct iovec iov = { .iov_base = (void *) req, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t n;

        for (;;) {
                /* MSG_NOSIGNAL: a broker that went away is -EPIPE, not SIGPIPE. */
                n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
                if (n >= 0)
                        break;
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                        return -ETIMEDOUT;
                return -errno;
        }
        /* SOCK_SEQPACKET sends a packet whole or not at all. */
        if ((size_t) n != len)
                return -EIO;
        return 0;
}

/*
 * Receives one packet into c->rbuf and takes every fd that came with it into fds[] (at most
 * SHMB_PROTO_FDS_MAX; the control buffer cannot hold more). Returns the packet length; on
 * failure no fd is left open.
 */
static int recv_reply(struct shmb_client *c, int *fds, size_t *ret_n_fds, int flags)
{
        union {
                struct cmsghdr align;
                uint8_t buf[CMSG_SPACE(SHMB_PROTO_FDS_MAX * sizeof(int))];
        } control;
        struct iovec iov = { .iov_base = c->rbuf, .iov_len = sizeof(c->rbuf) };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        struct cmsghdr *cmsg;
        size_t n_fds = 0;
        bool bad = false;
        ssize_t n;

        for (;;) {
                n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | flags);
                if (n >= 0)
                        break;
                /* Nothing was received, so there is no control data to look at. */
                if (errno == EINTR)
                        continue;
                /* Asked not to wait, nothing is there; else the timeout passed. */
                if ((errno == EAGAIN || errno == EWOULDBLOCK) && (flags & MSG_DONTWAIT))
                        return -EAGAIN;
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                        return -ETIMEDOUT;
                return -errno;
        }

        /* Take every fd first, whatever else is wrong, so that each one gets closed. */
        for (cmsg = CMSG_FIRSTHDR(&mh); cmsg; cmsg = CMSG_NXTHDR(&mh, cmsg)) {
                size_t k, i;

                if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
                    cmsg->cmsg_len < CMSG_LEN(0)) {
                        bad = true;
                        continue;
                }
                k = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (i = 0; i < k; i++) {
                        int fd;

                        memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(int));
                        if (n_fds < SHMB_PROTO_FDS_MAX) {
                                fds[n_fds++] = fd;
                        } else {
                                safe_close(fd);
                                bad = true;
                        }
                }
        }

        if (n == 0) {
                /* SOCK_SEQPACKET: end of stream (an empty packet is no valid reply either). */
                close_fds(fds, n_fds);
                return -ECONNRESET;
        }
        if (bad || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
                close_fds(fds, n_fds);
                return -EPROTO;
        }
        *ret_n_fds = n_fds;
        return (int) n;
}

/* Errors after which the broker drops the connection (see PROTOCOL.md). */
static bool error_is_fatal(int error)
{
        return error == EBADMSG || error == EPROTONOSUPPORT;
}

/*
 * The broker hung up before our request got through. It may have said why first (a seq-0
 * REPLY_ERROR, e.g. EDQUOT at MaxConnectionsPerUser=): return that if it is there, else @r.
 */
static int farewell(struct shmb_client *c, int r)
{
        int fds[SHMB_PROTO_FDS_MAX];
        size_t n_fds = 0;
        int len;

        len = recv_reply(c, fds, &n_fds, MSG_DONTWAIT);
        if (len < 0)
                return r;
        close_fds(fds, n_fds);
        if (shmb_proto_decode_reply(c->rbuf, (size_t) len, 0, &c->reply) < 0 ||
            c->reply.type != SHMB_PROTO_REPLY_ERROR || c->reply.seq != 0 ||
            c->reply.error <= 0 || c->reply.error >= 4096)
                return r;
        c->last_reason = (int) c->reply.reason;
        return -c->reply.error;
}

static uint64_t now_msec(void)
{
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

/*
 * Waits up to @msec (-1: for ever) for the reply to be there, signals or not. The socket's own
 * timeout is for one receive; a request the broker answers late on purpose (WAIT) needs
 * longer.
 */
static int wait_readable(struct shmb_client *c, int msec)
{
        uint64_t deadline = msec < 0 ? 0 : now_msec() + (uint64_t) msec;
        struct pollfd p = { .fd = c->fd, .events = POLLIN };

        for (;;) {
                int left = -1, n;

                if (msec >= 0) {
                        uint64_t t = now_msec();

                        left = t >= deadline ? 0 : (int) (deadline - t);
                }
                n = poll(&p, 1, left);
                if (n > 0)
                        return 0;
                if (n == 0)
                        return -ETIMEDOUT;
                if (errno != EINTR)
                        return -errno;
        }
}

/*
 * Sends the encoded request req (whose header carries seq), waits for its reply and checks
 * that it is of the type expected. Returns -errno if the exchange failed; a well-formed
 * REPLY_ERROR is a success that stores the broker's errno in *ret_error. For REPLY_FD the fd
 * is stored in *ret_fd (owned by the caller); for REPLY_BATCH ret_fd is an array of
 * SHMB_PROTO_FDS_MAX that receives the fds of the successful results, in order; otherwise no
 * fd survives. The decoded reply is in
 * c->reply.
 */
static int transact_once(struct shmb_client *c, const void *req, size_t req_len, uint32_t seq,
                         uint16_t expected, int poll_msec, int *ret_fd, int *ret_error)
{
        int fds[SHMB_PROTO_FDS_MAX];
        struct shmb_proto_reply *reply = &c->reply;
        size_t n_fds = 0;
        int r, len;

        r = send_request(c, req, req_len);
        if (r == -EPIPE || r == -ECONNRESET)
                return farewell(c, r);
        if (r < 0)
                return r;
        if (poll_msec != NO_POLL) {
                r = wait_readable(c, poll_msec);
                if (r < 0)
                        return r;
        }
        len = recv_reply(c, fds, &n_fds, 0);
        /* A socket closed with our request unread reports ECONNRESET before the packet that
         * says why is read: look for it. */
        if (len == -ECONNRESET)
                return farewell(c, len);
        if (len < 0)
                return len;

        r = shmb_proto_decode_reply(c->rbuf, (size_t) len, n_fds, reply);
        if (r < 0) {
                close_fds(fds, n_fds);
                /* A broker of another protocol version says so in its own header. */
                return r == -EPROTONOSUPPORT ? r : -EPROTO;
        }
        /* seq 0 answers no request: it is the broker saying why it closes the connection
         * (a protocol error, or MaxConnectionsPerUser= reached at connect). */
        if (reply->seq == 0 && reply->type == SHMB_PROTO_REPLY_ERROR && reply->error > 0 &&
            reply->error < 4096) {
                c->last_reason = (int) reply->reason;
                return -reply->error;
        }
        if (reply->seq != seq) {
                close_fds(fds, n_fds);
                return -EPROTO;
        }
        /* The decoder has checked that n_fds is 1 for REPLY_FD and 0 for everything else. */
        if (reply->type == SHMB_PROTO_REPLY_ERROR) {
                /* Anything that is not an errno is not something the caller could handle. */
                if (reply->error <= 0 || reply->error >= 4096)
                        return -EPROTO;
                *ret_error = reply->error;
                c->last_reason = (int) reply->reason;
                return 0;
        }
        if (reply->type != expected) {
                close_fds(fds, n_fds);
                return -EPROTO;
        }
        if (reply->type == SHMB_PROTO_REPLY_FD || reply->type == SHMB_PROTO_REPLY_FD_CACHED ||
            reply->type == SHMB_PROTO_REPLY_CACHE_PAGE) {
                /* Both hold (decoder, callers); checked anyway, as a library must not abort. */
                if (n_fds != 1 || !ret_fd) {
                        close_fds(fds, n_fds);
                        return -EPROTO;
                }
                *ret_fd = fds[0];
        }
        if (reply->type == SHMB_PROTO_REPLY_BATCH) {
                /* ret_fd is then an array of SHMB_PROTO_FDS_MAX; the decoder has checked that
                 * n_fds equals the number of successful results. */
                if (!ret_fd) {
                        close_fds(fds, n_fds);
                        return -EPROTO;
                }
                memcpy(ret_fd, fds, n_fds * sizeof(int));
        }
        return 0;
}

/* As transact(), but first waits @poll_msec (-1: for ever; NO_POLL: not) for the reply. */
static int transact_wait(struct shmb_client *c, const void *req, size_t req_len, uint32_t seq,
                         uint16_t expected, int poll_msec, int *ret_fd)
{
        int r, error = 0;

        c->last_reason = SHMB_REASON_NONE;
        if (c->broken)
                return -ENOTCONN;
        /* A watching connection carries events; a reply to anything else would be lost
         * among them. */
        if (c->watching)
                return -EBUSY;
        r = conn_check(c);
        if (r < 0)
                return r;
        r = transact_once(c, req, req_len, seq, expected, poll_msec, ret_fd, &error);
        if (r < 0) {
                /*
                 * Anything but an answer from the broker leaves us unsure where the stream
                 * stands (a late reply would answer the next request), or sure that it is
                 * gone: refuse to use it again.
                 */
                c->broken = true;
                return r;
        }
        if (error > 0) {
                if (error_is_fatal(error))
                        c->broken = true;
                return -error;
        }
        return 0;
}

static int transact(struct shmb_client *c, const void *req, size_t req_len, uint32_t seq,
                    uint16_t expected, int *ret_fd)
{
        return transact_wait(c, req, req_len, seq, expected, NO_POLL, ret_fd);
}

static uint32_t next_seq(struct shmb_client *c)
{
        /* Never 0: that is reserved for the broker's connection-level errors. */
        if (++c->seq == 0)
                c->seq = 1;
        return c->seq;
}

static void mark_broken(struct shmb_client *c)
{
        c->broken = true;
}

/*
 * Checks what the library reports about an fd the broker handed out, so that nothing it
 * reports is only the broker's word. A caller told it got a read-only fd really holds one: it
 * may hand the fd to someone it trusts less. With @ret_size (the caller asked for the fd's
 * info), the access reported is the fd's open mode (F_GETFL), and the size the kernel's, from
 * fstat() of a regular file: a broker that overstated it would have the caller take SIGBUS; a
 * sealed memfd cannot change size, so there the two must agree.
 *
 * A read-write grant with nothing reported costs no system call: such an fd cannot do more
 * than read-write, and one that does less (read-only, O_PATH, not a segment) fails at the
 * caller's own mmap() or write() with the kernel's error.
 */
static int check_fd(int fd, int asked, uint32_t granted, uint32_t backend, uint64_t size,
                    uint64_t *ret_size)
{
        struct stat st;
        int fl;

        if ((asked != SHMB_ACCESS_ANY && (uint32_t) asked != granted) ||
            (granted != SHMB_PROTO_ACCESS_RDONLY && granted != SHMB_PROTO_ACCESS_RDWR))
                return -EPROTO;
        if (granted == SHMB_PROTO_ACCESS_RDONLY || ret_size) {
                fl = fcntl(fd, F_GETFL);
                if (fl < 0)
                        return -errno;
                /* An O_PATH fd reads as O_RDONLY but is no segment one could map. */
                if ((fl & O_PATH) ||
                    (fl & O_ACCMODE) != (granted == SHMB_PROTO_ACCESS_RDONLY ? O_RDONLY : O_RDWR))
                        return -EPROTO;
        }
        if (!ret_size)
                return 0;
        /* Segments are regular files (tmpfs or memfd); anything else cannot be one. */
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_size < 0)
                return -EPROTO;
        if (backend == SHMB_PROTO_BACKEND_MEMFD && (uint64_t) st.st_size != size)
                return -EPROTO;
        *ret_size = (uint64_t) st.st_size;
        return 0;
}

/* Consumes *pfd on success (sets it to -1); on failure leaves it to the caller's cleanup. */
static int fd_reply_finish(struct shmb_client *c, int *pfd, int asked,
                           int *ret_fd, struct shmb_fd_info *ret_info)
{
        uint64_t size;
        int r;

        r = check_fd(*pfd, asked, c->reply.fd.access, c->reply.fd.backend, c->reply.fd.size,
                     ret_info ? &size : NULL);
        if (r < 0) {
                mark_broken(c);
                return r;
        }
        if (ret_info)
                *ret_info = (struct shmb_fd_info) {
                        .size = size,
                        .access = c->reply.fd.access,
                        .backend = c->reply.fd.backend,
                        .flags = c->reply.fd.flags,
                };
        *ret_fd = TAKE_FD(*pfd);
        return 0;
}

static int normalize(const char *name, char *ret)
{
        if (!name)
                return -EINVAL;
        return shmb_name_normalize(name, strlen(name), ret);
}

/* The checks shmb_create2() makes of its options before anything is sent. */
static bool create_opts_valid(uint64_t size, const struct shmb_create_opts *o)
{
        if ((o->flags & ~(uint32_t) SHMB_CREATE_UNSIZED) != 0 ||
            o->lifetime > SHMB_LIFETIME_SPAN)
                return false;
        /* Unsized is size 0 until shmb_resize(); any other create has a size. */
        if ((o->flags & SHMB_CREATE_UNSIZED) ? size != 0 : size == 0)
                return false;
        /* A span is at least a second; no other lifetime has one. */
        if (o->lifetime == SHMB_LIFETIME_SPAN)
                return o->lifetime_usec >= 1000000;
        return o->lifetime_usec == 0;
}

int shmb_create2(struct shmb_client *c, const char *name, uint64_t size, int access,
                 const struct shmb_create_opts *opts, int *ret_fd,
                 struct shmb_fd_info *ret_info)
{
        static const struct shmb_create_opts defaults = {};
        char canon[SHMB_PROTO_NAME_MAX + 1];
        uint8_t req[CLIENT_REQ_MAX];
        _cleanup_(closep) int fd = -1;
        uint32_t seq;
        int r, len;

        if (!opts)
                opts = &defaults;
        if (!c || access < SHMB_ACCESS_NONE || access > SHMB_ACCESS_ANY ||
            !create_opts_valid(size, opts))
                return -EINVAL;
        if (access != SHMB_ACCESS_NONE && !ret_fd)
                return -EINVAL;
        r = normalize(name, canon);
        if (r < 0)
                return r;

        seq = next_seq(c);
        len = shmb_proto_encode_create(req, sizeof(req), seq, canon,
                                       &(struct shmb_proto_create_args) {
                                               .size = size, .access = (uint32_t) access,
                                               .flags = (uint16_t) opts->flags,
                                               .lifetime = opts->lifetime,
                                               .lifetime_usec = opts->lifetime_usec,
                                       });
        if (len < 0)
                return len;
        if (access == SHMB_ACCESS_NONE) {
                r = transact(c, req, (size_t) len, seq, SHMB_PROTO_REPLY_OK, NULL);
                if (r < 0)
                        return r;
                if (ret_fd)
                        *ret_fd = -1;
                if (ret_info)
                        *ret_info = (struct shmb_fd_info) { .size = size };
                return 0;
        }
        r = transact(c, req, (size_t) len, seq, SHMB_PROTO_REPLY_FD, &fd);
        if (r < 0)
                return r;
        return fd_reply_finish(c, &fd, access, ret_fd, ret_info);
}

int shmb_create(struct shmb_client *c, const char *name, uint64_t size, int access,
                int *ret_fd, struct shmb_fd_info *ret_info)
{
        /* Size 0 is refused here, as it always was, whatever shmb_create2() makes of it. */
        if (size == 0)
                return -EINVAL;
        return shmb_create2(c, name, size, access, NULL, ret_fd, ret_info);
}

int shmb_client_set_open_cache(struct shmb_client *c, unsigned int n)
{
        uint8_t req[sizeof(struct shmb_proto_header)];
        _cleanup_(closep) int fd = -1;
        uint32_t seq;
        int r, len;

        if (!c || n > SHMB_OPEN_CACHE_MAX)
                return -EINVAL;
        open_cache_done(&c->cache);
        if (n == 0)
                return 0;
        seq = next_seq(c);
        len = shmb_proto_encode_cache_page(req, sizeof(req), seq);
        if (len < 0)
                return len;
        r = transact(c, req, (size_t) len, seq, SHMB_PROTO_REPLY_CACHE_PAGE, &fd);
        if (r < 0)
                return r;
        r = open_cache_init(&c->cache, fd, n);
        if (r == -EPROTO)
                mark_broken(c);
        return r;
}

/* An open with the cache on: OPEN_CACHED, and a grant the broker lets us reuse is kept, with
 * everything reported about it checked (fd_reply_finish() with the info). */
static int open_cached(struct shmb_client *c, const char *canon, int access, int *ret_fd,
                       struct shmb_fd_info *ret_info)
{
        uint8_t req[CLIENT_REQ_MAX];
        _cleanup_(closep) int fd = -1;
        struct shmb_fd_info info;
        uint32_t seq;
        int r, len;

        /* The cache answers only while the broker is up, which the connection tells: it must
         * be ours to tell it. */
        r = conn_check(c);
        if (r < 0)
                return r;
        r = open_cache_get(&c->cache, c->fd, canon, access, ret_fd, ret_info);
        if (r != -ENOENT)
                return r;
        seq = next_seq(c);
        len = shmb_proto_encode_open_as(req, sizeof(req), SHMB_PROTO_OPEN_CACHED, seq, canon,
                                        (uint32_t) access);
        if (len < 0)
                return len;
        r = transact(c, req, (size_t) len, seq, SHMB_PROTO_REPLY_FD_CACHED, &fd);
        if (r < 0)
                return r;
        if (c->reply.ticket.slot == SHMB_PROTO_CACHE_NONE)
                return fd_reply_finish(c, &fd, access, ret_fd, ret_info);
        r = fd_reply_finish(c, &fd, access, ret_fd, &info);
        if (r < 0)
                return r;
        open_cache_put(&c->cache, canon, access, *ret_fd, &info, &c->reply.ticket);
        if (ret_info)
                *ret_info = info;
        return 0;
}

int shmb_open(struct shmb_client *c, const char *name, int access, int *ret_fd,
              struct shmb_fd_info *ret_info)
{
        char canon[SHMB_PROTO_NAME_MAX + 1];
        uint8_t req[CLIENT_REQ_MAX];
        _cleanup_(closep) int fd = -1;
        uint32_t seq;
        int r, len;

        if (!c || !ret_fd || access < SHMB_ACCESS_RDONLY || access > SHMB_ACCESS_ANY)
                return -EINVAL;
        r = normalize(name, canon);
        if (r < 0)
                return r;
        /* A broken or watching connection answers nothing, the cache included: the round
         * trip below fails as every other request on it does. */
        if (c->cache.head && !c->broken && !c->watching)
                return open_cached(c, canon, access, ret_fd, ret_info);

        seq = next_seq(c);
        len = shmb_proto_encode_open(req, sizeof(req), seq, canon, (uint32_t) access);
        if (len < 0)
                return len;
        r = transact(c, req, (size_t) len, seq, SHMB_PROTO_REPLY_FD, &fd);
        if (r < 0)
                return r;
        return fd_reply_finish(c, &fd, access, ret_fd, ret_info);
}

int shmb_open_batch(struct shmb_client *c, struct shmb_open_req *reqs, size_t n)
{
        char canon[SHMB_BATCH_MAX][SHMB_PROTO_NAME_MAX + 1];
        const char *names[SHMB_BATCH_MAX];
        uint32_t access[SHMB_BATCH_MAX];
        uint8_t req[sizeof(struct shmb_proto_header) + sizeof(struct shmb_proto_batch_req) +
                    SHMB_BATCH_MAX * (sizeof(struct shmb_proto_batch_item) +
                                      SHMB_PROTO_NAME_MAX)];
        int fds[SHMB_PROTO_FDS_MAX];
        size_t i, k = 0, n_fds = 0;
        uint32_t seq;
        int r, len, ok = 0;

        if (!c || !reqs || n == 0 || n > SHMB_BATCH_MAX)
                return -EINVAL;
        for (i = 0; i < n; i++) {
                if (reqs[i].access < SHMB_ACCESS_RDONLY || reqs[i].access > SHMB_ACCESS_ANY)
                        return -EINVAL;
                r = normalize(reqs[i].name, canon[i]);
                if (r < 0)
                        return r;
                names[i] = canon[i];
                access[i] = (uint32_t) reqs[i].access;
        }

        seq = next_seq(c);
        len = shmb_proto_encode_open_batch(req, sizeof(req), seq, names, access, n);
        if (len < 0)
                return len;
        r = transact(c, req, (size_t) len, seq, SHMB_PROTO_REPLY_BATCH, fds);
        if (r < 0)
                return r;
        /* The decoder has checked: one fd per successful result, of every result. */
        for (i = 0; i < c->reply.n_results; i++)
                n_fds += c->reply.results[i].error == 0;
        if (c->reply.n_results != n) {
                /* Fds of a reply that does not match the request are not the caller's: all
                 * of them go, however many results the broker made up. */
                close_fds(fds, n_fds);
                mark_broken(c);
                return -EPROTO;
        }

        for (i = 0; i < n; i++) {
                const struct shmb_proto_batch_result *res = &c->reply.results[i];
                uint64_t size;

                reqs[i].fd = -1;
                reqs[i].reason = SHMB_REASON_NONE;
                if (res->error != 0) {
                        /* The decoder has checked that flags is a reason here. */
                        reqs[i].error = res->error > 0 && res->error < 4096 ? -res->error
                                                                           : -EPROTO;
                        if (reqs[i].error != -EPROTO)
                                reqs[i].reason = (int) res->flags;
                        continue;
                }
                r = check_fd(fds[k], reqs[i].access, res->access, res->backend, res->size,
                             &size);
                if (r < 0) {
                        safe_close(fds[k++]);
                        reqs[i].error = r;
                        continue;
                }
                reqs[i].fd = fds[k++];
                reqs[i].error = 0;
                reqs[i].info = (struct shmb_fd_info) {
                        .size = size, .access = res->access, .backend = res->backend,
                        .flags = res->flags,
                };
                ok++;
        }
        return ok;
}

/* One request of a name and its reply: UNLINK, STAT, LIST, STATUS, WATCH. */
static int name_transact(struct shmb_client *c, uint16_t type, const char *name,
                         uint32_t flags, uint16_t expected)
{
        uint8_t req[CLIENT_REQ_MAX];
        uint32_t seq = next_seq(c);
        int len;

        len = shmb_proto_encode_name_req(req, sizeof(req), type, seq, name, flags);
        if (len < 0)
                return len;
        return transact(c, req, (size_t) len, seq, expected, NULL);
}

int shmb_unlink2(struct shmb_client *c, const char *name, unsigned int flags)
{
        char canon[SHMB_PROTO_NAME_MAX + 1];
        int r;

        if (!c || (flags & ~SHMB_UNLINK_ALL))
                return -EINVAL;
        r = normalize(name, canon);
        if (r < 0)
                return r;
        return name_transact(c, SHMB_PROTO_UNLINK, canon,
                             flags & SHMB_UNLINK_ALL ? SHMB_PROTO_NAME_ALL : 0,
                             SHMB_PROTO_REPLY_OK);
}

int shmb_unlink(struct shmb_client *c, const char *name)
{
        return shmb_unlink2(c, name, 0);
}

/* An app id the broker reports: none, or a valid one. The broker has no business sending
 * anything else, and a caller may show it or match on it. */
static bool reported_app_valid(const char *app, size_t len)
{
        return len == 0 || shmb_app_id_valid(app, len);
}

int shmb_stat2(struct shmb_client *c, const char *name, unsigned int flags,
               struct shmb_stat *ret)
{
        char canon[SHMB_PROTO_NAME_MAX + 1];
        const struct shmb_proto_stat_reply *st;
        uint32_t i;
        int r;

        if (!c || !ret || (flags & ~(unsigned int) SHMB_STAT_ALL) != 0)
                return -EINVAL;
        r = normalize(name, canon);
        if (r < 0)
                return r;
        r = name_transact(c, SHMB_PROTO_STAT, canon, flags, SHMB_PROTO_REPLY_STAT);
        if (r < 0)
                return r;

        /* The decoder has checked n_acl <= SHMB_PROTO_ACL_MAX against the packet length, the
         * lifetime and the flags, and that the rule ID and the app id hold no NUL. */
        st = &c->reply.stat;
        if (!reported_app_valid(c->reply.app, st->app_len)) {
                mark_broken(c);
                return -EPROTO;
        }
        ret->size = st->size;
        ret->uid = st->uid;
        ret->gid = st->gid;
        ret->mode = st->mode;
        ret->backend = st->backend;
        ret->rights = st->rights;
        ret->n_acl = st->n_acl;
        for (i = 0; i < st->n_acl; i++)
                ret->acl[i] = (struct shmb_acl_entry) {
                        .tag = c->reply.acl[i].tag,
                        .id = c->reply.acl[i].id,
                        .perm = c->reply.acl[i].perm,
                };
        ret->creator = st->creator;
        ret->flags = st->flags;
        ret->ctime_usec = st->ctime_usec;
        ret->lifetime_usec = st->lifetime_usec;
        ret->lifetime = st->lifetime;
        memcpy(ret->rule, c->reply.rule, st->rule_len);
        ret->rule[st->rule_len] = '\0';
        memcpy(ret->app, c->reply.app, st->app_len);
        ret->app[st->app_len] = '\0';
        return 0;
}

int shmb_stat(struct shmb_client *c, const char *name, struct shmb_stat *ret)
{
        return shmb_stat2(c, name, 0, ret);
}

/*
 * Checks a list page: each name canonical (so no NUL reaches the callback) and sorting after
 * the one before, starting after the cursor, and with details each app id an app id. That
 * also guarantees the paging ends, whatever the broker answers.
 */
static int list_page_check(const struct shmb_proto_reply *page, const char *cursor)
{
        char prev[SHMB_PROTO_NAME_MAX + 1];
        char canon[SHMB_PROTO_NAME_MAX + 1];
        size_t pos = 0;
        const char *p;
        size_t n;
        int r;

        strcpy(prev, cursor);
        while ((r = shmb_proto_list_next(page, &pos, &p, &n)) > 0) {
                if (shmb_name_normalize(p, n, canon) < 0 || strlen(canon) != n ||
                    strcmp(canon, prev) <= 0)
                        return -EPROTO;
                memcpy(prev, canon, n + 1);
        }
        if (r < 0)
                return -EPROTO;
        if (!(page->list_flags & SHMB_PROTO_LIST_DETAILS))
                return 0;
        pos = 0;
        for (;;) {
                struct shmb_proto_list_detail d;
                const char *rule, *app;

                r = shmb_proto_list_next_detailed(page, &pos, &p, &n, &d, &rule, &app);
                if (r <= 0)
                        return r < 0 ? -EPROTO : 0;
                if (!reported_app_valid(app, d.app_len))
                        return -EPROTO;
        }
}

/* A name, or a name with its details: what one listing hands its callback. */
struct list_cb {
        int (*name)(const char *name, void *userdata);
        int (*info)(const struct shmb_object_info *info, void *userdata);
        void *userdata;
};

/* Calls the callback for one entry of a page that list_page_check() accepted, and counts it.
 * Returns 1, 0 at the end of the page, or what the callback returned. */
static int list_call(const struct list_cb *cb, const struct shmb_proto_reply *page,
                     size_t *pos, char *cursor, int *count)
{
        char rule[SHMB_PROTO_RULE_ID_MAX + 1], app[SHMB_PROTO_APP_ID_MAX + 1];
        struct shmb_proto_list_detail d;
        const char *p, *rp, *ap;
        size_t n;
        int r;

        if (!cb->info) {
                r = shmb_proto_list_next(page, pos, &p, &n);
                if (r <= 0)
                        return r;
                if (*count == INT_MAX)
                        return -EOVERFLOW;
                (*count)++;
                /* Checked: n <= SHMB_PROTO_NAME_MAX, no NUL inside. */
                memcpy(cursor, p, n);
                cursor[n] = '\0';
                r = cb->name(cursor, cb->userdata);
                return r < 0 ? r : 1;
        }
        r = shmb_proto_list_next_detailed(page, pos, &p, &n, &d, &rp, &ap);
        if (r <= 0)
                return r;
        if (*count == INT_MAX)
                return -EOVERFLOW;
        (*count)++;
        memcpy(cursor, p, n);
        cursor[n] = '\0';
        memcpy(rule, rp, d.rule_len);
        rule[d.rule_len] = '\0';
        memcpy(app, ap, d.app_len);
        app[d.app_len] = '\0';
        r = cb->info(&(struct shmb_object_info) {
                        .name = cursor, .size = d.size, .ctime_usec = d.ctime_usec,
                        .lifetime_usec = d.lifetime_usec, .backend = d.backend,
                        .flags = d.flags, .creator = d.creator, .lifetime = d.lifetime,
                        .ends_in_sec = d.ends_in_sec, .rule = rule, .app = app,
                     }, cb->userdata);
        return r < 0 ? r : 1;
}

static int list_run(struct shmb_client *c, uint32_t name_flags, const struct list_cb *cb)
{
        /* The cursor is the last name seen: the next page starts after it. */
        char cursor[SHMB_PROTO_NAME_MAX + 1] = "";
        bool detailed = name_flags & SHMB_PROTO_NAME_DETAILS;
        int count = 0;

        for (;;) {
                _cleanup_(freep) uint8_t *copy = NULL;
                struct shmb_proto_reply page = {};
                size_t pos = 0;
                int r;

                r = name_transact(c, SHMB_PROTO_LIST, cursor, name_flags, SHMB_PROTO_REPLY_LIST);
                if (r < 0)
                        return r;

                /*
                 * Take the page out of the receive buffer: the callback may use the client
                 * (to stat each name, say), which overwrites it.
                 */
                copy = malloc(c->reply.names_len + 1);
                if (!copy)
                        return -ENOMEM;
                memcpy(copy, c->reply.names, c->reply.names_len);
                page.names = copy;
                page.names_len = c->reply.names_len;
                page.n_names = c->reply.n_names;
                page.list_flags = c->reply.list_flags;

                /* Details come when asked for, and only then. */
                if (!(page.list_flags & SHMB_PROTO_LIST_DETAILS) != !detailed) {
                        mark_broken(c);
                        return -EPROTO;
                }
                r = list_page_check(&page, cursor);
                if (r < 0) {
                        mark_broken(c);
                        return r;
                }
                /* "More" after an empty page would ask for the same page for ever. */
                if ((page.list_flags & SHMB_PROTO_LIST_MORE) && page.n_names == 0) {
                        mark_broken(c);
                        return -EPROTO;
                }

                while ((r = list_call(cb, &page, &pos, cursor, &count)) > 0)
                        ;
                if (r < 0)
                        return r;
                if (!(page.list_flags & SHMB_PROTO_LIST_MORE))
                        break;
        }
        return count;
}

int shmb_list2(struct shmb_client *c, unsigned int flags,
               int (*cb)(const char *name, void *userdata), void *userdata)
{
        if (!c || !cb || (flags & ~(unsigned int) SHMB_LIST_ALL) != 0)
                return -EINVAL;
        return list_run(c, flags, &(struct list_cb) { .name = cb, .userdata = userdata });
}

int shmb_list(struct shmb_client *c, int (*cb)(const char *name, void *userdata),
              void *userdata)
{
        return shmb_list2(c, 0, cb, userdata);
}

int shmb_list_details(struct shmb_client *c, unsigned int flags,
                      int (*cb)(const struct shmb_object_info *info, void *userdata),
                      void *userdata)
{
        if (!c || !cb || (flags & ~(unsigned int) SHMB_LIST_ALL) != 0)
                return -EINVAL;
        return list_run(c, flags | SHMB_PROTO_NAME_DETAILS,
                        &(struct list_cb) { .info = cb, .userdata = userdata });
}

int shmb_resize(struct shmb_client *c, const char *name, uint64_t size)
{
        char canon[SHMB_PROTO_NAME_MAX + 1];
        uint8_t req[CLIENT_REQ_MAX];
        uint32_t seq;
        int r, len;

        if (!c || size == 0)
                return -EINVAL;
        r = normalize(name, canon);
        if (r < 0)
                return r;
        seq = next_seq(c);
        len = shmb_proto_encode_resize(req, sizeof(req), seq, canon, size);
        if (len < 0)
                return len;
        return transact(c, req, (size_t) len, seq, SHMB_PROTO_REPLY_OK, NULL);
}

int shmb_publish(struct shmb_client *c, const char *name, int mode)
{
        char canon[SHMB_PROTO_NAME_MAX + 1];
        uint8_t req[CLIENT_REQ_MAX];
        uint32_t seq;
        int r, len;

        if (!c || (mode != SHMB_PUBLISH_SEAL && mode != SHMB_PUBLISH_FUTURE))
                return -EINVAL;
        r = normalize(name, canon);
        if (r < 0)
                return r;
        seq = next_seq(c);
        len = shmb_proto_encode_publish(req, sizeof(req), seq, canon, (uint32_t) mode);
        if (len < 0)
                return len;
        return transact(c, req, (size_t) len, seq, SHMB_PROTO_REPLY_OK, NULL);
}

/* How long to poll for the answer to a WAIT of @timeout_usec: that, and the connection's own
 * timeout for the broker to answer; -1 for ever. */
static int wait_poll_msec(const struct shmb_client *c, uint64_t timeout_usec)
{
        uint64_t msec;

        if (timeout_usec == 0 || c->timeout_msec == 0)
                return -1;
        msec = timeout_usec / 1000 + (timeout_usec % 1000 != 0);
        if (msec > (uint64_t) INT_MAX - c->timeout_msec)
                return INT_MAX;
        return (int) (msec + c->timeout_msec);
}

int shmb_wait(struct shmb_client *c, const char *name, unsigned int flags,
              uint64_t timeout_usec)
{
        char canon[SHMB_PROTO_NAME_MAX + 1];
        uint8_t req[CLIENT_REQ_MAX];
        uint32_t seq;
        int r, len;

        if (!c || (flags & ~(unsigned int) SHMB_WAIT_PUBLISHED) != 0)
                return -EINVAL;
        r = normalize(name, canon);
        if (r < 0)
                return r;
        seq = next_seq(c);
        len = shmb_proto_encode_wait(req, sizeof(req), seq, canon, timeout_usec, flags);
        if (len < 0)
                return len;
        return transact_wait(c, req, (size_t) len, seq, SHMB_PROTO_REPLY_OK,
                             wait_poll_msec(c, timeout_usec), NULL);
}

int shmb_app_socket(struct shmb_client *c, const char *app_id, char **ret_path)
{
        _cleanup_(freep) char *path = NULL;
        uint8_t req[CLIENT_REQ_MAX];
        uint32_t seq;
        int r, len;

        if (!c || !app_id || !ret_path || !shmb_app_id_valid(app_id, strlen(app_id)))
                return -EINVAL;
        /* Allocated first: once the broker has made the socket, the caller must hear of it. */
        path = malloc(SHMB_PROTO_PATH_MAX);
        if (!path)
                return -ENOMEM;
        seq = next_seq(c);
        len = shmb_proto_encode_app_socket(req, sizeof(req), seq, app_id);
        if (len < 0)
                return len;
        r = transact(c, req, (size_t) len, seq, SHMB_PROTO_REPLY_APP_SOCKET, NULL);
        if (r < 0)
                return r;
        /* The decoder has checked 1 .. SHMB_PROTO_PATH_MAX - 1 bytes, no NUL: so no abstract
         * socket. Relative would mean relative to the broker's directory, not ours. */
        if (c->reply.path[0] != '/') {
                mark_broken(c);
                return -EPROTO;
        }
        memcpy(path, c->reply.path, c->reply.path_len);
        path[c->reply.path_len] = '\0';
        *ret_path = TAKE_PTR(path);
        return 0;
}

struct shmb_status *shmb_status_free(struct shmb_status *s)
{
        if (!s)
                return NULL;
        free(s->version);
        free(s->origin);
        free(s->users);
        free(s);
        return NULL;
}

static void shmb_status_freep(struct shmb_status **s)
{
        shmb_status_free(*s);
}

static char *string_dup(const char *s, size_t len)
{
        char *d = malloc(len + 1);

        if (!d)
                return NULL;
        memcpy(d, s, len);
        d[len] = '\0';
        return d;
}

/* Takes the summary of the first STATUS page. */
static int status_summary(const struct shmb_proto_reply *r, struct shmb_status *s)
{
        const struct shmb_proto_status_reply *st = &r->status;

        s->uptime_usec = st->uptime_usec;
        s->generation = st->generation;
        s->n_rules = st->n_rules;
        s->n_connections = st->n_connections;
        s->n_objects = st->n_objects;
        s->n_orphans = st->n_orphans;
        s->n_held = st->n_held;
        s->n_app_sockets = st->n_app_sockets;
        s->flags = st->flags & SHMB_STATUS_KEPT_POLICY;
        s->max_connections = st->max_connections;
        s->max_objects = st->max_objects;
        s->max_bytes = st->max_bytes;
        /* The decoder has checked that neither holds a NUL. */
        s->version = string_dup(r->version, st->version_len);
        s->origin = string_dup(r->origin, st->origin_len);
        return s->version && s->origin ? 0 : -ENOMEM;
}

int shmb_status(struct shmb_client *c, struct shmb_status **ret)
{
        _cleanup_(shmb_status_freep) struct shmb_status *s = NULL;
        /* The cursor is the last uid seen, in decimal; empty for the first page. */
        char cursor[16] = "";
        size_t cap = 0;
        int r;

        if (!c || !ret)
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;

        for (bool first = true;; first = false) {
                const struct shmb_proto_status_reply *st;
                size_t i;

                r = name_transact(c, SHMB_PROTO_STATUS, cursor, 0, SHMB_PROTO_REPLY_STATUS);
                if (r < 0)
                        return r;
                st = &c->reply.status;
                if (first) {
                        r = status_summary(&c->reply, s);
                        if (r < 0)
                                return r;
                }
                if (st->n_users > CLIENT_STATUS_USERS_MAX - s->n_users)
                        return -EOVERFLOW;
                if (s->n_users + st->n_users > cap) {
                        size_t n = s->n_users + st->n_users;
                        struct shmb_status_user *u;

                        n = n > 2 * cap ? n : 2 * cap;
                        u = realloc(s->users, n * sizeof(*u));
                        if (!u)
                                return -ENOMEM;
                        s->users = u;
                        cap = n;
                }
                for (i = 0; i < st->n_users; i++) {
                        struct shmb_proto_status_user u;

                        shmb_proto_status_user_get(&c->reply, i, &u);
                        /* In uid order across pages: so that paging ends, whatever the broker
                         * answers, and no user is counted twice. */
                        if (s->n_users > 0 && u.uid <= s->users[s->n_users - 1].uid) {
                                mark_broken(c);
                                return -EPROTO;
                        }
                        s->users[s->n_users++] = (struct shmb_status_user) {
                                .uid = u.uid, .connections = u.connections,
                                .objects = u.objects, .bytes = u.bytes,
                        };
                }
                if (!(st->flags & SHMB_PROTO_STATUS_MORE))
                        break;
                /* "More" after an empty page would ask for the same page for ever. */
                if (st->n_users == 0) {
                        mark_broken(c);
                        return -EPROTO;
                }
                snprintf(cursor, sizeof(cursor), "%" PRIu32, s->users[s->n_users - 1].uid);
        }
        *ret = TAKE_PTR(s);
        return 0;
}

/* Checks what shmb_explain() is asked about before anything is sent. */
static int explain_args_valid(const struct shmb_identity *who, const char *app_id)
{
        if (who && (who->n_groups > SHMB_GROUPS_MAX || (who->n_groups > 0 && !who->groups) ||
                    (who->user_name && strlen(who->user_name) > SHMB_USER_NAME_MAX)))
                return -EINVAL;
        if (app_id && !shmb_app_id_valid(app_id, strlen(app_id)))
                return -EINVAL;
        return 0;
}

int shmb_explain(struct shmb_client *c, const char *name, const struct shmb_identity *who,
                 const char *app_id, struct shmb_explanation *ret)
{
        char canon[SHMB_PROTO_NAME_MAX + 1];
        uint8_t req[CLIENT_EXPLAIN_MAX];
        const struct shmb_proto_explain_reply *ex;
        uint32_t seq;
        size_t i;
        int r, len;

        if (!c || !ret)
                return -EINVAL;
        r = explain_args_valid(who, app_id);
        if (r < 0)
                return r;
        r = normalize(name, canon);
        if (r < 0)
                return r;

        seq = next_seq(c);
        len = shmb_proto_encode_explain(req, sizeof(req), seq, canon,
                                        who ? &(struct shmb_proto_explain_user) {
                                                .uid = who->uid, .gid = who->gid,
                                                .groups = who->groups,
                                                .n_groups = who->n_groups,
                                                .user_name = who->user_name,
                                        } : NULL, app_id);
        if (len < 0)
                return len;
        r = transact(c, req, (size_t) len, seq, SHMB_PROTO_REPLY_EXPLAIN, NULL);
        if (r < 0)
                return r;

        /* The decoder has checked the flags, the reasons and the strings; what it cannot know
         * is whom we asked about, and which errnos a caller could handle. */
        ex = &c->reply.explain;
        if (who && ex->uid != who->uid) {
                mark_broken(c);
                return -EPROTO;
        }
        for (i = 0; i < SHMB_VERB_MAX; i++)
                if (ex->error[i] >= 4096) {
                        mark_broken(c);
                        return -EPROTO;
                }
        ret->flags = ex->flags;
        ret->uid = ex->uid;
        ret->rights = ex->rights;
        ret->object_reason = (int) ex->object_reason;
        for (i = 0; i < SHMB_VERB_MAX; i++) {
                ret->error[i] = -ex->error[i];
                ret->reason[i] = (int) ex->reason[i];
        }
        memcpy(ret->rule, c->reply.rule, ex->rule_len);
        ret->rule[ex->rule_len] = '\0';
        memcpy(ret->user_name, c->reply.user_name, ex->user_name_len);
        ret->user_name[ex->user_name_len] = '\0';
        return 0;
}

int shmb_watch(struct shmb_client *c, const char *pattern, int *ret_fd)
{
        int r;

        if (!c || !pattern || !ret_fd)
                return -EINVAL;
        /* One leading '/' names the same as none, as in names. */
        if (pattern[0] == '/')
                pattern++;
        r = name_transact(c, SHMB_PROTO_WATCH, pattern, 0, SHMB_PROTO_REPLY_OK);
        if (r < 0)
                return r;
        c->watching = true;
        c->watch_seq = c->seq;
        *ret_fd = c->fd;
        return 0;
}

/* An event as the broker sent it: of our watch, and of a name as names are. */
static int event_take(struct shmb_client *c, struct shmb_event *ret)
{
        const struct shmb_proto_reply *r = &c->reply;
        char canon[SHMB_PROTO_NAME_MAX + 1] = "";

        /* seq 0: the broker says why it closes the connection. */
        if (r->type == SHMB_PROTO_REPLY_ERROR && r->seq == 0 && r->error > 0 &&
            r->error < 4096) {
                c->last_reason = (int) r->reason;
                return -r->error;
        }
        if (r->type != SHMB_PROTO_REPLY_EVENT || r->seq != c->watch_seq)
                return -EPROTO;
        /* The decoder has checked: a name for every event but an overflow, none for it. */
        if (r->event.event != SHMB_PROTO_EVENT_OVERFLOW &&
            (shmb_name_normalize(r->event_name, r->event.name_len, canon) < 0 ||
             strlen(canon) != r->event.name_len))
                return -EPROTO;
        ret->kind = (int) r->event.event;
        memcpy(ret->name, canon, sizeof(canon));
        return 0;
}

int shmb_watch_next(struct shmb_client *c, struct shmb_event *ret)
{
        int fds[SHMB_PROTO_FDS_MAX];
        size_t n_fds = 0;
        int r, len;

        if (!c || !ret || !c->watching)
                return -EINVAL;
        if (c->broken)
                return -ENOTCONN;
        c->last_reason = SHMB_REASON_NONE;
        r = conn_check(c);
        if (r < 0)
                return r;
        len = recv_reply(c, fds, &n_fds, MSG_DONTWAIT);
        if (len == -EAGAIN)
                return -EAGAIN;
        if (len < 0) {
                mark_broken(c);
                return len;
        }
        r = shmb_proto_decode_reply(c->rbuf, (size_t) len, n_fds, &c->reply);
        /* Events bring no fds; whatever came goes. */
        close_fds(fds, n_fds);
        if (r < 0) {
                mark_broken(c);
                return r == -EPROTONOSUPPORT ? r : -EPROTO;
        }
        r = event_take(c, ret);
        /* After an overflow nothing follows: the watch has ended. */
        if (r < 0 || ret->kind == SHMB_EVENT_OVERFLOW)
                mark_broken(c);
        return r;
}

int shmb_map(int fd, int access, void **ret_addr, size_t *ret_size)
{
        struct stat st;
        void *p;
        int prot;

        if (fd < 0 || !ret_addr || !ret_size)
                return -EINVAL;
        if (access == SHMB_ACCESS_RDONLY)
                prot = PROT_READ;
        else if (access == SHMB_ACCESS_RDWR)
                prot = PROT_READ | PROT_WRITE;
        else
                return -EINVAL;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_size <= 0)
                return -EINVAL;
        if ((uint64_t) st.st_size > SIZE_MAX)
                return -EFBIG;

        p = mmap(NULL, (size_t) st.st_size, prot, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
                return -errno;
        *ret_addr = p;
        *ret_size = (size_t) st.st_size;
        return 0;
}
