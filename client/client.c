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
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"
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

#define CLIENT_TIMEOUT_MSEC 30000u

/* A request is a header, the largest fixed part, and a normalised name. */
#define CLIENT_REQ_MAX (sizeof(struct shmb_proto_header) + sizeof(struct shmb_proto_create) + \
                        SHMB_PROTO_NAME_MAX)

struct shmb_client {
        int fd;
        uint32_t seq;
        /*
         * Set once the connection can no longer be trusted to be in step with the broker: a
         * timeout (the late reply would answer the next request), a reply we could not read,
         * a hang-up, or an error the broker drops the connection after. Later calls fail with
         * -ENOTCONN instead of misreading stale packets.
         */
        bool broken;
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
        c->fd = TAKE_FD(fd);
        c->seq = 0;
        c->broken = false;
        *ret = c;
        return 0;
}

struct shmb_client *shmb_client_free(struct shmb_client *c)
{
        if (!c)
                return NULL;
        safe_close(c->fd);
        free(c);
        return NULL;
}

int shmb_client_set_timeout(struct shmb_client *c, unsigned int msec)
{
        if (!c)
                return -EINVAL;
        return set_timeout(c->fd, msec);
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
        return -c->reply.error;
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
                         uint16_t expected, int *ret_fd, int *ret_error)
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
            reply->error < 4096)
                return -reply->error;
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
                return 0;
        }
        if (reply->type != expected) {
                close_fds(fds, n_fds);
                return -EPROTO;
        }
        if (reply->type == SHMB_PROTO_REPLY_FD) {
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

static int transact(struct shmb_client *c, const void *req, size_t req_len, uint32_t seq,
                    uint16_t expected, int *ret_fd)
{
        int r, error = 0;

        if (c->broken)
                return -ENOTCONN;
        r = transact_once(c, req, req_len, seq, expected, ret_fd, &error);
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
 * Checks that an fd the broker handed out is what the reply says it is, so that a caller who
 * asked for (and was told it got) a read-only fd really holds one. The size a caller maps is
 * the kernel's, never the broker's word: a broker that overstated it would have the caller
 * take SIGBUS. A sealed memfd cannot change size, so there the two must agree.
 */
static int check_fd(int fd, int asked, uint32_t granted, uint32_t backend, uint64_t size,
                    uint64_t *ret_size)
{
        struct stat st;
        int fl, mode;

        if (asked != SHMB_ACCESS_ANY && (uint32_t) asked != granted)
                return -EPROTO;
        fl = fcntl(fd, F_GETFL);
        if (fl < 0)
                return -errno;
        /* An O_PATH fd reads as O_RDONLY but is no segment one could map. */
        if (fl & O_PATH)
                return -EPROTO;
        mode = fl & O_ACCMODE;
        if (granted == SHMB_PROTO_ACCESS_RDONLY && mode != O_RDONLY)
                return -EPROTO;
        if (granted == SHMB_PROTO_ACCESS_RDWR && mode != O_RDWR)
                return -EPROTO;
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
                     &size);
        if (r < 0) {
                mark_broken(c);
                return r;
        }
        if (ret_info)
                *ret_info = (struct shmb_fd_info) {
                        .size = size,
                        .access = c->reply.fd.access,
                        .backend = c->reply.fd.backend,
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

int shmb_create(struct shmb_client *c, const char *name, uint64_t size, int access,
                int *ret_fd, struct shmb_fd_info *ret_info)
{
        char canon[SHMB_PROTO_NAME_MAX + 1];
        uint8_t req[CLIENT_REQ_MAX];
        _cleanup_(closep) int fd = -1;
        uint32_t seq;
        int r, len;

        if (!c || access < SHMB_ACCESS_NONE || access > SHMB_ACCESS_ANY || size == 0)
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
                if (res->error != 0) {
                        reqs[i].error = res->error > 0 && res->error < 4096 ? -res->error
                                                                           : -EPROTO;
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
                };
                ok++;
        }
        return ok;
}

/* One UNLINK, STAT or LIST request for @name (canonical, or a list cursor) and its reply. */
static int name_transact(struct shmb_client *c, uint16_t type, const char *name,
                         uint16_t expected)
{
        uint8_t req[CLIENT_REQ_MAX];
        uint32_t seq = next_seq(c);
        int len;

        len = shmb_proto_encode_name_req(req, sizeof(req), type, seq, name, 0);
        if (len < 0)
                return len;
        return transact(c, req, (size_t) len, seq, expected, NULL);
}

int shmb_unlink(struct shmb_client *c, const char *name)
{
        char canon[SHMB_PROTO_NAME_MAX + 1];
        int r;

        if (!c)
                return -EINVAL;
        r = normalize(name, canon);
        if (r < 0)
                return r;
        return name_transact(c, SHMB_PROTO_UNLINK, canon, SHMB_PROTO_REPLY_OK);
}

int shmb_stat(struct shmb_client *c, const char *name, struct shmb_stat *ret)
{
        char canon[SHMB_PROTO_NAME_MAX + 1];
        const struct shmb_proto_stat_reply *st;
        uint32_t i;
        int r;

        if (!c || !ret)
                return -EINVAL;
        r = normalize(name, canon);
        if (r < 0)
                return r;
        r = name_transact(c, SHMB_PROTO_STAT, canon, SHMB_PROTO_REPLY_STAT);
        if (r < 0)
                return r;

        /* The decoder has checked n_acl <= SHMB_PROTO_ACL_MAX against the packet length. */
        st = &c->reply.stat;
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
        return 0;
}

/*
 * Checks a list page: each name canonical (so no NUL reaches the callback) and sorting after
 * the one before, starting after the cursor. That also guarantees the paging ends, whatever
 * the broker answers.
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
        return r < 0 ? -EPROTO : 0;
}

int shmb_list(struct shmb_client *c, int (*cb)(const char *name, void *userdata),
              void *userdata)
{
        /* The cursor is the last name seen: the next page starts after it. */
        char cursor[SHMB_PROTO_NAME_MAX + 1] = "";
        int count = 0;

        if (!c || !cb)
                return -EINVAL;

        for (;;) {
                _cleanup_(freep) uint8_t *copy = NULL;
                struct shmb_proto_reply page = {};
                size_t pos = 0;
                const char *p;
                size_t n;
                int r;

                r = name_transact(c, SHMB_PROTO_LIST, cursor, SHMB_PROTO_REPLY_LIST);
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

                while (shmb_proto_list_next(&page, &pos, &p, &n) > 0) {
                        if (count == INT_MAX)
                                return -EOVERFLOW;
                        /* Checked above: n <= SHMB_PROTO_NAME_MAX, no NUL inside. */
                        memcpy(cursor, p, n);
                        cursor[n] = '\0';
                        count++;
                        r = cb(cursor, userdata);
                        if (r < 0)
                                return r;
                }
                if (!(page.list_flags & SHMB_PROTO_LIST_MORE))
                        break;
        }
        return count;
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
