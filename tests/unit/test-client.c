/* SPDX-License-Identifier: MIT */
/*
 * test-client.c - libshmbroker against a fake broker: a forked server on a private socket
 * answers each request with a reply scripted for the test, true or crafted to mislead. The
 * library must pass on what is true (reasons, stat v2, list details, explain, status, app
 * sockets, watches, waits) and neither leak what it was sent nor pass a lie on.
 *
 * The fake checks the requests it reads as well: one that is not what the library should
 * have sent is answered REPLY_ERROR(EILSEQ), which no test expects.
 *
 * Needs no root: the fake broker is a forked child of the test, the segments are memfds and
 * files in $TMPDIR.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "protocol.h"
#include "shmbroker.h"
#include "testlib.h"

/* What the fake broker answers. */
enum fake {
        LIE_BATCH_EXTRA_RESULTS,        /* 16 results, each with an fd, for a batch of 2 */
        LIE_MEMFD_BIGGER,               /* a memfd of 4 KiB announced as 1 MiB */
        LIE_SHM_BIGGER,                 /* a tmpfs file of 4 KiB announced as 1 MiB */
        LIE_BATCH_SIZES,                /* a batch of 2: memfd overstated, file overstated */
        LIE_RDONLY_WRITABLE,            /* read-only granted, a read-write fd sent */
        LIE_NOT_A_FILE,                 /* read-write granted, a socket sent */
        LIE_RDWR_READONLY,              /* read-write granted, a read-only fd sent */
        LIE_RDWR_OPATH,                 /* read-write granted, an O_PATH fd of a file sent */
        FAKE_REASONS,                   /* refusals with reasons, a batch with one */
        FAKE_CREATE2,                   /* unsized with a lifetime, resize, publish, a span */
        FAKE_STAT_V2,                   /* stat with creator, rule, app, lifetime; stat --all */
        LIE_STAT_APP,                   /* a stat whose app id is no app id */
        FAKE_LIST_DETAILS,              /* two pages with details, admin's --all */
        LIE_LIST_NO_DETAILS,            /* a page without the details asked for */
        LIE_LIST_DETAILS_APP,           /* details whose app id is no app id */
        FAKE_LIST2,                     /* list --all plain; then details nobody asked for */
        FAKE_EXPLAIN,                   /* explain for self, for another identity and app */
        LIE_EXPLAIN_UID,                /* an explanation about someone else */
        FAKE_STATUS,                    /* two pages of users */
        LIE_STATUS_ORDER,               /* the second page goes back in uid order */
        LIE_STATUS_MORE_EMPTY,          /* "more" on a page without users */
        FAKE_APP_SOCKET,                /* a path; then a refusal with a reason */
        LIE_APP_SOCKET_RELATIVE,        /* a relative path */
        FAKE_WATCH,                     /* OK, three events, an overflow */
        LIE_WATCH_NAME,                 /* an event whose name is no name */
        LIE_WATCH_SEQ,                  /* an event of another request */
        FAKE_WAIT,                      /* a late OK; a broker's ETIMEDOUT; an unlink */
        FAKE_WAIT_SILENT,               /* no answer at all */
};

struct fake_broker {
        char dir[64];
        char path[96];
        pid_t pid;
};

static uint8_t buf[SHMB_PROTO_MSG_MAX];

static int segment_of(bool memfd, off_t size)
{
        char path[] = "/tmp/shmb-test-client.XXXXXX";
        int fd;

        if (memfd) {
                fd = memfd_create("fake", MFD_CLOEXEC | MFD_ALLOW_SEALING);
                if (fd < 0 || ftruncate(fd, size) < 0 ||
                    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0)
                        _exit(3);
                return fd;
        }
        fd = mkostemp(path, O_CLOEXEC);
        if (fd < 0 || unlink(path) < 0 || ftruncate(fd, size) < 0)
                _exit(3);
        return fd;
}

static int segment(bool memfd)
{
        return segment_of(memfd, 4096);
}

/* A 4 KiB file opened with @flags only (O_RDONLY, O_PATH), its name gone. */
static int segment_opened(int flags)
{
        char path[] = "/tmp/shmb-test-client.XXXXXX";
        int fd = mkostemp(path, O_CLOEXEC), ro;

        if (fd < 0 || ftruncate(fd, 4096) < 0)
                _exit(3);
        ro = open(path, flags | O_CLOEXEC);
        if (ro < 0 || unlink(path) < 0)
                _exit(3);
        (void) close(fd);
        return ro;
}

/* ---------------------------------------------------------------- the fake's replies */

static void send_packet(int c, int n, const int *fds, size_t n_fds)
{
        size_t i;

        if (n < 0 || tl_raw_send(c, buf, (size_t) n, fds, n_fds, 0) < 0)
                _exit(2);
        for (i = 0; i < n_fds; i++)
                (void) close(fds[i]);
}

static void reply_error(int c, uint32_t seq, int error, uint32_t reason)
{
        send_packet(c, shmb_proto_encode_error(buf, sizeof(buf), seq, error, reason), NULL, 0);
}

static void reply_ok(int c, uint32_t seq)
{
        send_packet(c, shmb_proto_encode_ok(buf, sizeof(buf), seq), NULL, 0);
}

static void reply_fd(int c, uint32_t seq, const struct shmb_proto_fd_reply *fr, int fd)
{
        send_packet(c, shmb_proto_encode_fd_reply(buf, sizeof(buf), seq, fr), &fd, 1);
}

static void reply_list(int c, uint32_t seq, uint32_t flags, const char *const *names,
                       size_t n, const struct shmb_proto_list_detail *d, const char *const *apps)
{
        struct shmb_proto_list_builder b;
        size_t i;

        if (shmb_proto_list_begin(&b, buf, sizeof(buf), seq) < 0)
                _exit(2);
        for (i = 0; i < n; i++)
                if ((d ? shmb_proto_list_append_detailed(&b, names[i], &d[i], "rule",
                                                         apps ? apps[i] : NULL)
                       : shmb_proto_list_append(&b, names[i])) < 0)
                        _exit(2);
        send_packet(c, shmb_proto_list_finish(&b, flags), NULL, 0);
}

static void reply_status(int c, uint32_t seq, uint32_t flags, uint32_t n_rules,
                         const uint32_t *uids, size_t n)
{
        struct shmb_proto_status_user users[4];
        struct shmb_proto_status_reply st = {
                .uptime_usec = 5000000, .generation = 3, .n_rules = n_rules, .n_connections = 2,
                .n_objects = 9, .n_orphans = 1, .n_held = 2, .n_app_sockets = 1, .flags = flags,
                .max_objects = 64, .max_bytes = UINT64_MAX, .max_connections = 32,
        };
        size_t i;

        for (i = 0; i < n; i++)
                users[i] = (struct shmb_proto_status_user) {
                        .uid = uids[i], .connections = (uint32_t) i, .objects = uids[i] + 1,
                        .bytes = (uint64_t) uids[i] << 12,
                };
        send_packet(c, shmb_proto_encode_status_reply(buf, sizeof(buf), seq, &st, "0.2.0",
                                                      "/etc/shmbroker/policy.d", users, n),
                    NULL, 0);
}

static void reply_event(int c, uint32_t seq, uint32_t event, const char *name)
{
        send_packet(c, shmb_proto_encode_event(buf, sizeof(buf), seq, event, name), NULL, 0);
}

/* The request is what the library should have sent: else EILSEQ, which no test expects. */
#define EXPECT(cond)                                            \
        do {                                                    \
                if (!(cond)) {                                  \
                        reply_error(c, req->seq, EILSEQ, 0);    \
                        return;                                 \
                }                                               \
        } while (0)

static bool is(const struct shmb_proto_request *req, uint16_t type, const char *name,
               uint32_t flags)
{
        return req->type == type && strcmp(req->name, name) == 0 && req->flags == flags;
}

/* The old lies: one request each. */
static void answer_lie(int c, enum fake f, const struct shmb_proto_request *req)
{
        struct shmb_proto_batch_result res[SHMB_PROTO_BATCH_MAX] = {};
        int fds[SHMB_PROTO_FDS_MAX], i;

        switch (f) {
        case LIE_BATCH_EXTRA_RESULTS:
                for (i = 0; i < SHMB_PROTO_BATCH_MAX; i++) {
                        res[i] = (struct shmb_proto_batch_result) {
                                .access = SHMB_PROTO_ACCESS_RDWR,
                                .backend = SHMB_PROTO_BACKEND_MEMFD, .size = 4096,
                        };
                        fds[i] = segment(true);
                }
                send_packet(c, shmb_proto_encode_batch_reply(buf, sizeof(buf), req->seq, res,
                                                             SHMB_PROTO_BATCH_MAX),
                            fds, SHMB_PROTO_BATCH_MAX);
                return;
        case LIE_BATCH_SIZES:
                res[0] = (struct shmb_proto_batch_result) {
                        .access = SHMB_PROTO_ACCESS_RDWR, .backend = SHMB_PROTO_BACKEND_MEMFD,
                        .size = 1u << 20,
                };
                res[1] = (struct shmb_proto_batch_result) {
                        .access = SHMB_PROTO_ACCESS_RDWR, .backend = SHMB_PROTO_BACKEND_SHM,
                        .size = 1u << 20,
                };
                fds[0] = segment(true);
                fds[1] = segment(false);
                send_packet(c, shmb_proto_encode_batch_reply(buf, sizeof(buf), req->seq, res, 2),
                            fds, 2);
                return;
        case LIE_RDONLY_WRITABLE:
                reply_fd(c, req->seq, &(struct shmb_proto_fd_reply) {
                                 .size = 4096, .access = SHMB_PROTO_ACCESS_RDONLY,
                                 .backend = SHMB_PROTO_BACKEND_SHM,
                         }, segment(false));
                return;
        case LIE_RDWR_READONLY:
        case LIE_RDWR_OPATH:
                reply_fd(c, req->seq, &(struct shmb_proto_fd_reply) {
                                 .size = 4096, .access = SHMB_PROTO_ACCESS_RDWR,
                                 .backend = SHMB_PROTO_BACKEND_SHM,
                         }, segment_opened(f == LIE_RDWR_OPATH ? O_PATH : O_RDONLY));
                return;
        case LIE_NOT_A_FILE:
                /* A socket is open read-write, as a segment granted read-write would be:
                 * only fstat() tells it is no regular file. */
                if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
                        _exit(3);
                (void) close(fds[1]);
                reply_fd(c, req->seq, &(struct shmb_proto_fd_reply) {
                                 .size = 4096, .access = SHMB_PROTO_ACCESS_RDWR,
                                 .backend = SHMB_PROTO_BACKEND_SHM,
                         }, fds[0]);
                return;
        default:
                reply_fd(c, req->seq, &(struct shmb_proto_fd_reply) {
                                 .size = 1u << 20, .access = SHMB_PROTO_ACCESS_RDWR,
                                 .backend = f == LIE_MEMFD_BIGGER ? SHMB_PROTO_BACKEND_MEMFD
                                                                  : SHMB_PROTO_BACKEND_SHM,
                         }, segment(f == LIE_MEMFD_BIGGER));
                return;
        }
}

static void answer_reasons(int c, unsigned i, const struct shmb_proto_request *req)
{
        struct shmb_proto_batch_result res[2] = {
                { .access = SHMB_PROTO_ACCESS_RDWR, .backend = SHMB_PROTO_BACKEND_MEMFD,
                  .flags = SHMB_PROTO_OBJ_PUBLISHED, .size = 4096 },
                { .error = EACCES, .flags = SHMB_PROTO_REASON_NO_WRITE },
        };
        int fd;

        switch (i) {
        case 0:
                EXPECT(is(req, SHMB_PROTO_CREATE, "a", 0) && req->size == 4096 &&
                       req->access == SHMB_PROTO_ACCESS_RDWR &&
                       req->lifetime == SHMB_PROTO_LIFETIME_DEFAULT && req->lifetime_usec == 0);
                reply_error(c, req->seq, EACCES, SHMB_PROTO_REASON_NO_CREATE);
                return;
        case 1:
                EXPECT(is(req, SHMB_PROTO_STAT, "a", 0));
                reply_error(c, req->seq, ENOENT, 0);
                return;
        case 2:
                EXPECT(req->type == SHMB_PROTO_OPEN_BATCH && req->n_items == 2);
                fd = segment(true);
                send_packet(c, shmb_proto_encode_batch_reply(buf, sizeof(buf), req->seq, res, 2),
                            &fd, 1);
                return;
        default:
                EXPECT(is(req, SHMB_PROTO_UNLINK, "a", 0));
                reply_ok(c, req->seq);
        }
}

static void answer_create2(int c, unsigned i, const struct shmb_proto_request *req)
{
        switch (i) {
        case 0:
                EXPECT(is(req, SHMB_PROTO_CREATE, "u", SHMB_PROTO_CREATE_UNSIZED) &&
                       req->size == 0 && req->access == SHMB_PROTO_ACCESS_RDWR &&
                       req->lifetime == SHMB_PROTO_LIFETIME_PROCESS && req->lifetime_usec == 0);
                reply_fd(c, req->seq, &(struct shmb_proto_fd_reply) {
                                 .access = SHMB_PROTO_ACCESS_RDWR,
                                 .backend = SHMB_PROTO_BACKEND_MEMFD,
                                 .flags = SHMB_PROTO_OBJ_FRESH,
                         }, segment_of(true, 0));
                return;
        case 1:
                EXPECT(is(req, SHMB_PROTO_RESIZE, "u", 0) && req->size == 8192);
                reply_ok(c, req->seq);
                return;
        case 2:
                EXPECT(is(req, SHMB_PROTO_PUBLISH, "u", 0) &&
                       req->mode == SHMB_PROTO_PUBLISH_FUTURE);
                reply_ok(c, req->seq);
                return;
        default:
                EXPECT(is(req, SHMB_PROTO_CREATE, "s", 0) && req->size == 64 &&
                       req->access == SHMB_PROTO_ACCESS_NONE &&
                       req->lifetime == SHMB_PROTO_LIFETIME_SPAN &&
                       req->lifetime_usec == 5000000);
                reply_ok(c, req->seq);
        }
}

static const struct shmb_proto_acl_entry acl1[] = { { SHMB_PROTO_ACL_USER, 1001, 4 } };

static void answer_stat(int c, enum fake f, unsigned i, const struct shmb_proto_request *req)
{
        struct shmb_proto_stat_reply st = {
                .size = 4096, .uid = 1000, .gid = 100, .mode = 0640,
                .backend = SHMB_PROTO_BACKEND_MEMFD, .rights = SHMB_PROTO_RIGHT_READ,
                .n_acl = 1, .creator = 1000,
                .flags = SHMB_PROTO_OBJ_PUBLISHED | SHMB_PROTO_OBJ_SEAL_WRITE,
                .ctime_usec = UINT64_C(1764633600000000), .lifetime_usec = 5000000,
                .lifetime = SHMB_PROTO_LIFETIME_SPAN,
        };

        if (i == 0) {
                EXPECT(is(req, SHMB_PROTO_STAT, "a", 0));
                send_packet(c, shmb_proto_encode_stat_reply(buf, sizeof(buf), req->seq, &st,
                                                            "mem", f == LIE_STAT_APP ? "no-app"
                                                                   : "org.example.App", acl1),
                            NULL, 0);
                return;
        }
        EXPECT(is(req, SHMB_PROTO_STAT, "orphan", SHMB_PROTO_NAME_ALL));
        st = (struct shmb_proto_stat_reply) {
                .size = 1, .mode = 0, .backend = SHMB_PROTO_BACKEND_SHM,
                .flags = SHMB_PROTO_OBJ_ORPHAN, .creator = 1001,
                .lifetime = SHMB_PROTO_LIFETIME_PERSISTENT,
        };
        send_packet(c, shmb_proto_encode_stat_reply(buf, sizeof(buf), req->seq, &st, NULL, NULL,
                                                    NULL), NULL, 0);
}

static void answer_list(int c, enum fake f, unsigned i, const struct shmb_proto_request *req)
{
        static const char *const page1[] = { "a", "b" }, *const page2[] = { "c" };
        static const char *const apps[] = { NULL, "org.x.Y" }, *const bad_apps[] = { NULL, "x" };
        static const struct shmb_proto_list_detail d[] = {
                { .size = 1, .ctime_usec = 10, .backend = SHMB_PROTO_BACKEND_SHM,
                  .creator = 1000, .lifetime = SHMB_PROTO_LIFETIME_PERSISTENT },
                { .size = 2, .ctime_usec = 20, .backend = SHMB_PROTO_BACKEND_MEMFD,
                  .flags = SHMB_PROTO_OBJ_ORPHAN, .creator = 1001,
                  .lifetime = SHMB_PROTO_LIFETIME_PROCESS },
        };
        static const struct shmb_proto_list_detail d2[] = {
                { .size = 3, .ctime_usec = 30, .lifetime_usec = 2000000,
                  .backend = SHMB_PROTO_BACKEND_MEMFD, .flags = SHMB_PROTO_OBJ_CREATOR_GONE,
                  .creator = 1002, .lifetime = SHMB_PROTO_LIFETIME_SPAN, .ends_in_sec = 2 },
        };

        switch (f) {
        case FAKE_LIST2:
                if (i == 0) {
                        EXPECT(is(req, SHMB_PROTO_LIST, "", SHMB_PROTO_NAME_ALL));
                        reply_list(c, req->seq, 0, page1, 2, NULL, NULL);
                } else {
                        EXPECT(is(req, SHMB_PROTO_LIST, "", 0));
                        reply_list(c, req->seq, 0, page1, 2, d, NULL);
                }
                return;
        case LIE_LIST_NO_DETAILS:
                EXPECT(is(req, SHMB_PROTO_LIST, "", SHMB_PROTO_NAME_DETAILS));
                reply_list(c, req->seq, 0, page1, 2, NULL, NULL);
                return;
        case LIE_LIST_DETAILS_APP:
                EXPECT(is(req, SHMB_PROTO_LIST, "", SHMB_PROTO_NAME_DETAILS));
                reply_list(c, req->seq, 0, page1, 2, d, bad_apps);
                return;
        default:
                if (i == 0) {
                        EXPECT(is(req, SHMB_PROTO_LIST, "",
                                  SHMB_PROTO_NAME_ALL | SHMB_PROTO_NAME_DETAILS));
                        reply_list(c, req->seq, SHMB_PROTO_LIST_MORE, page1, 2, d, apps);
                } else {
                        /* The next page starts after the last name seen. */
                        EXPECT(is(req, SHMB_PROTO_LIST, "b",
                                  SHMB_PROTO_NAME_ALL | SHMB_PROTO_NAME_DETAILS));
                        reply_list(c, req->seq, 0, page2, 1, d2, NULL);
                }
        }
}

static void answer_explain(int c, enum fake f, unsigned i, const struct shmb_proto_request *req)
{
        struct shmb_proto_explain_reply ex = {
                .flags = SHMB_PROTO_EXPLAIN_RULE | SHMB_PROTO_EXPLAIN_OBJECT,
                .uid = 1000, .rights = SHMB_PROTO_RIGHT_READ,
                .object_reason = SHMB_PROTO_REASON_NONE,
                .error = { EACCES, EACCES, 0, EACCES, 0 },
                .reason = { SHMB_PROTO_REASON_NO_CREATE, SHMB_PROTO_REASON_NO_WRITE, 0,
                            SHMB_PROTO_REASON_NO_CREATE, 0 },
        };
        uint32_t g[2];

        if (i == 0 && f == FAKE_EXPLAIN) {
                EXPECT(is(req, SHMB_PROTO_EXPLAIN, "x", 0) && req->n_groups == 0 &&
                       req->app_len == 0 && req->user_name_len == 0);
                send_packet(c, shmb_proto_encode_explain_reply(buf, sizeof(buf), req->seq, &ex,
                                                               "mem", NULL), NULL, 0);
                return;
        }
        EXPECT(is(req, SHMB_PROTO_EXPLAIN, "x",
                  SHMB_PROTO_EXPLAIN_USER | SHMB_PROTO_EXPLAIN_APP) &&
               req->uid == 1001 && req->gid == 100 && req->n_groups == 2 &&
               strcmp(req->user_name, "bob") == 0 && strcmp(req->app, "org.example.App") == 0);
        memcpy(g, req->groups, sizeof(g));
        EXPECT(g[0] == 100 && g[1] == 27);
        ex.flags |= SHMB_PROTO_EXPLAIN_DETAILED;
        ex.uid = f == LIE_EXPLAIN_UID ? 7 : 1001;
        ex.object_reason = SHMB_PROTO_REASON_OTHER_CREATOR;
        send_packet(c, shmb_proto_encode_explain_reply(buf, sizeof(buf), req->seq, &ex,
                                                       "mem", "bob"), NULL, 0);
}

static void answer_status(int c, enum fake f, unsigned i, const struct shmb_proto_request *req)
{
        static const uint32_t page1[] = { 0, 1000 }, page2[] = { 65534 }, back[] = { 500 };

        if (i == 0) {
                EXPECT(is(req, SHMB_PROTO_STATUS, "", 0));
                if (f == LIE_STATUS_MORE_EMPTY)
                        reply_status(c, req->seq, SHMB_PROTO_STATUS_MORE, 12, NULL, 0);
                else
                        reply_status(c, req->seq, SHMB_PROTO_STATUS_MORE |
                                                  SHMB_PROTO_STATUS_KEPT_POLICY, 12, page1, 2);
                return;
        }
        /* The cursor is the last uid, in decimal. */
        EXPECT(is(req, SHMB_PROTO_STATUS, "1000", 0));
        /* Another summary: the library keeps the first. */
        reply_status(c, req->seq, 0, 99, f == LIE_STATUS_ORDER ? back : page2, 1);
}

static void answer_app_socket(int c, enum fake f, unsigned i, const struct shmb_proto_request *req)
{
        EXPECT(req->type == SHMB_PROTO_APP_SOCKET && strcmp(req->app, "org.example.Viewer") == 0);
        if (i == 0)
                send_packet(c, shmb_proto_encode_app_socket_reply(
                                       buf, sizeof(buf), req->seq,
                                       f == LIE_APP_SOCKET_RELATIVE ? "apps/org.example.Viewer"
                                       : "/run/shmbroker/apps/org.example.Viewer"),
                            NULL, 0);
        else
                reply_error(c, req->seq, EPERM, SHMB_PROTO_REASON_APP_SOCKET);
}

static void answer_watch(int c, enum fake f, const struct shmb_proto_request *req)
{
        /* The leading '/' is dropped, as from names. */
        EXPECT(is(req, SHMB_PROTO_WATCH, "cam-*", 0));
        reply_ok(c, req->seq);
        switch (f) {
        case LIE_WATCH_NAME:
                reply_event(c, req->seq, SHMB_PROTO_EVENT_CREATED, "..");
                return;
        case LIE_WATCH_SEQ:
                reply_event(c, req->seq + 1, SHMB_PROTO_EVENT_CREATED, "cam-1");
                return;
        default:
                reply_event(c, req->seq, SHMB_PROTO_EVENT_CREATED, "cam-1");
                reply_event(c, req->seq, SHMB_PROTO_EVENT_PUBLISHED, "cam-1");
                reply_event(c, req->seq, SHMB_PROTO_EVENT_REMOVED, "cam-1");
                reply_event(c, req->seq, SHMB_PROTO_EVENT_OVERFLOW, NULL);
        }
}

static void answer_wait(int c, enum fake f, unsigned i, const struct shmb_proto_request *req)
{
        switch (i) {
        case 0:
                EXPECT(is(req, SHMB_PROTO_WAIT, "w", SHMB_PROTO_WAIT_PUBLISHED) &&
                       req->timeout_usec == 1000000);
                if (f == FAKE_WAIT_SILENT)
                        return;
                /* Later than the client's own timeout, sooner than the wait's. */
                (void) usleep(400000);
                reply_ok(c, req->seq);
                return;
        case 1:
                EXPECT(is(req, SHMB_PROTO_WAIT, "w", 0) && req->timeout_usec == 1000);
                reply_error(c, req->seq, ETIMEDOUT, 0);
                return;
        default:
                EXPECT(is(req, SHMB_PROTO_UNLINK, "w", 0));
                reply_ok(c, req->seq);
        }
}

static void answer(int c, enum fake f, unsigned i, const struct shmb_proto_request *req)
{
        switch (f) {
        case LIE_BATCH_EXTRA_RESULTS:
        case LIE_MEMFD_BIGGER:
        case LIE_SHM_BIGGER:
        case LIE_BATCH_SIZES:
        case LIE_RDONLY_WRITABLE:
        case LIE_NOT_A_FILE:
        case LIE_RDWR_READONLY:
        case LIE_RDWR_OPATH:
                answer_lie(c, f, req);
                return;
        case FAKE_REASONS:
                answer_reasons(c, i, req);
                return;
        case FAKE_CREATE2:
                answer_create2(c, i, req);
                return;
        case FAKE_STAT_V2:
        case LIE_STAT_APP:
                answer_stat(c, f, i, req);
                return;
        case FAKE_LIST_DETAILS:
        case LIE_LIST_NO_DETAILS:
        case LIE_LIST_DETAILS_APP:
        case FAKE_LIST2:
                answer_list(c, f, i, req);
                return;
        case FAKE_EXPLAIN:
        case LIE_EXPLAIN_UID:
                answer_explain(c, f, i, req);
                return;
        case FAKE_STATUS:
        case LIE_STATUS_ORDER:
        case LIE_STATUS_MORE_EMPTY:
                answer_status(c, f, i, req);
                return;
        case FAKE_APP_SOCKET:
        case LIE_APP_SOCKET_RELATIVE:
                answer_app_socket(c, f, i, req);
                return;
        case FAKE_WATCH:
        case LIE_WATCH_NAME:
        case LIE_WATCH_SEQ:
                answer_watch(c, f, req);
                return;
        case FAKE_WAIT:
        case FAKE_WAIT_SILENT:
                answer_wait(c, f, i, req);
                return;
        }
}

/* The child: accept one connection, answer each request as scripted until the hang-up. */
static _Noreturn void fake_main(int listen_fd, enum fake f)
{
        static uint8_t in[SHMB_PROTO_MSG_MAX];
        static struct shmb_proto_request req;
        int in_fds[SHMB_PROTO_FDS_MAX], c;
        size_t n_in = 0;
        unsigned i;
        ssize_t len;

        c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
                _exit(2);
        for (i = 0;; i++) {
                len = tl_raw_recv(c, in, sizeof(in), in_fds, &n_in, 0);
                if (len == 0 || len == -ECONNRESET)
                        break;
                if (len < 0 || shmb_proto_decode_request(in, (size_t) len, n_in, &req) < 0)
                        _exit(2);
                answer(c, f, i, &req);
        }
        _exit(0);
}

static void fake_start(struct fake_broker *fb, enum fake f)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        snprintf(fb->dir, sizeof(fb->dir), "/tmp/shmb-test-client.XXXXXX");
        assert_non_null(mkdtemp(fb->dir));
        snprintf(fb->path, sizeof(fb->path), "%s/socket", fb->dir);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fb->path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(fd, 1), 0);
        fb->pid = fork();
        assert_true(fb->pid >= 0);
        if (fb->pid == 0)
                fake_main(fd, f);
        close(fd);
}

static void fake_stop(struct fake_broker *fb)
{
        int status;

        assert_int_equal(waitpid(fb->pid, &status, 0), fb->pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        (void) unlink(fb->path);
        (void) rmdir(fb->dir);
}

static struct shmb_client *fake_connect(struct fake_broker *fb, enum fake f)
{
        struct shmb_client *c = NULL;

        fake_start(fb, f);
        assert_int_equal(shmb_connect(fb->path, &c), 0);
        return c;
}

static void fake_done(struct fake_broker *fb, struct shmb_client *c)
{
        shmb_client_free(c);
        fake_stop(fb);
}

/* ---------------------------------------------------------------- lies about fds */

static void test_batch_extra_results(void **state)
{
        struct shmb_open_req reqs[2] = {
                { .name = "a", .access = SHMB_ACCESS_RDWR },
                { .name = "b", .access = SHMB_ACCESS_RDWR },
        };
        struct fake_broker fb;
        int before = tl_proc_fd_count(getpid());
        struct shmb_client *c = fake_connect(&fb, LIE_BATCH_EXTRA_RESULTS);

        assert_int_equal(shmb_open_batch(c, reqs, 2), -EPROTO);
        /* The connection is unusable now, and every fd the reply brought is closed. */
        assert_int_equal(shmb_open(c, "a", SHMB_ACCESS_RDWR, &(int) { -1 }, NULL), -ENOTCONN);
        fake_done(&fb, c);
        assert_int_equal(tl_proc_fd_count(getpid()), before);
}

static void test_memfd_size_overstated(void **state)
{
        struct shmb_fd_info info = {};
        struct fake_broker fb;
        int before = tl_proc_fd_count(getpid()), fd = -1;
        struct shmb_client *c = fake_connect(&fb, LIE_MEMFD_BIGGER);

        assert_int_equal(shmb_open(c, "a", SHMB_ACCESS_RDWR, &fd, &info), -EPROTO);
        assert_int_equal(fd, -1);
        fake_done(&fb, c);
        assert_int_equal(tl_proc_fd_count(getpid()), before);
}

static void test_shm_size_from_fstat(void **state)
{
        struct shmb_fd_info info = {};
        struct fake_broker fb;
        int fd = -1;
        struct shmb_client *c = fake_connect(&fb, LIE_SHM_BIGGER);

        assert_int_equal(shmb_open(c, "a", SHMB_ACCESS_RDWR, &fd, &info), 0);
        /* A tmpfs file may change size, so a mismatch is no lie; what a caller maps is what
         * the kernel says, never the 1 MiB announced. */
        assert_int_equal(info.size, 4096);
        close(fd);
        fake_done(&fb, c);
}

static void test_batch_sizes(void **state)
{
        struct shmb_open_req reqs[2] = {
                { .name = "a", .access = SHMB_ACCESS_RDWR },
                { .name = "b", .access = SHMB_ACCESS_RDWR },
        };
        struct fake_broker fb;
        int before = tl_proc_fd_count(getpid());
        struct shmb_client *c = fake_connect(&fb, LIE_BATCH_SIZES);

        assert_int_equal(shmb_open_batch(c, reqs, 2), 1);
        assert_int_equal(reqs[0].error, -EPROTO);
        assert_int_equal(reqs[0].fd, -1);
        assert_int_equal(reqs[1].error, 0);
        assert_int_equal(reqs[1].info.size, 4096);
        close(reqs[1].fd);
        fake_done(&fb, c);
        assert_int_equal(tl_proc_fd_count(getpid()), before);
}

/* A read-only grant is checked even when the caller asks for no info: it may pass the fd on
 * to someone it trusts less. */
static void test_rdonly_writable(void **state)
{
        struct fake_broker fb;
        int before = tl_proc_fd_count(getpid()), fd = -1;
        struct shmb_client *c = fake_connect(&fb, LIE_RDONLY_WRITABLE);

        assert_int_equal(shmb_open(c, "a", SHMB_ACCESS_RDONLY, &fd, NULL), -EPROTO);
        assert_int_equal(fd, -1);
        fake_done(&fb, c);
        assert_int_equal(tl_proc_fd_count(getpid()), before);
}

/* With info asked for, a read-write grant is checked too: the access reported is the fd's
 * open mode, and a size is only reported from the fstat() of a regular file. */
static void info_lie(enum fake f)
{
        struct shmb_fd_info info = {};
        struct fake_broker fb;
        int before = tl_proc_fd_count(getpid()), fd = -1;
        struct shmb_client *c = fake_connect(&fb, f);

        assert_int_equal(shmb_open(c, "a", SHMB_ACCESS_RDWR, &fd, &info), -EPROTO);
        assert_int_equal(fd, -1);
        assert_int_equal(info.size, 0);
        fake_done(&fb, c);
        assert_int_equal(tl_proc_fd_count(getpid()), before);
}

static void test_not_a_file(void **state)
{
        info_lie(LIE_NOT_A_FILE);
}

static void test_rdwr_readonly(void **state)
{
        info_lie(LIE_RDWR_READONLY);
}

/* fstat() succeeds on an O_PATH fd of a regular file: F_GETFL is what tells. */
static void test_rdwr_opath(void **state)
{
        info_lie(LIE_RDWR_OPATH);
}

/* ---------------------------------------------------------------- reasons */

static void test_reasons(void **state)
{
        struct shmb_open_req reqs[2] = {
                { .name = "a", .access = SHMB_ACCESS_RDWR, .reason = 77 },
                { .name = "/b", .access = SHMB_ACCESS_RDWR, .reason = 77 },
        };
        struct shmb_stat st;
        struct fake_broker fb;
        int before = tl_proc_fd_count(getpid()), fd = -1;
        struct shmb_client *c = fake_connect(&fb, FAKE_REASONS);

        assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_NONE);
        assert_int_equal(shmb_create(c, "/a", 4096, SHMB_ACCESS_RDWR, &fd, NULL), -EACCES);
        assert_int_equal(fd, -1);
        assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_NO_CREATE);
        assert_string_equal(shmb_reason_text(shmb_client_last_reason(c)),
                            "the rule does not let you create");
        /* Refused before anything is sent: nothing the broker said. */
        assert_int_equal(shmb_create(c, "a/b", 1, SHMB_ACCESS_RDWR, &fd, NULL), -EINVAL);
        assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_NO_CREATE);
        /* Refused without a reason: the last one is gone. */
        assert_int_equal(shmb_stat(c, "a", &st), -ENOENT);
        assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_NONE);
        /* A batch: each name its own reason; the whole request succeeded. */
        assert_int_equal(shmb_open_batch(c, reqs, 2), 1);
        assert_int_equal(reqs[0].error, 0);
        assert_int_equal(reqs[0].reason, SHMB_REASON_NONE);
        assert_int_equal(reqs[0].info.flags, SHMB_OBJ_PUBLISHED);
        assert_int_equal(reqs[0].info.backend, SHMB_BACKEND_MEMFD);
        assert_int_equal(reqs[1].error, -EACCES);
        assert_int_equal(reqs[1].reason, SHMB_REASON_NO_WRITE);
        assert_int_equal(reqs[1].fd, -1);
        assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_NONE);
        close(reqs[0].fd);
        assert_int_equal(shmb_unlink(c, "a"), 0);
        assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_NONE);
        fake_done(&fb, c);
        assert_int_equal(tl_proc_fd_count(getpid()), before);
}

static void test_reason_texts(void **state)
{
        int r;

        assert_int_equal(shmb_client_last_reason(NULL), 0);
        assert_null(shmb_reason_text(SHMB_REASON_NONE));
        assert_null(shmb_reason_text(-1));
        assert_null(shmb_reason_text(SHMB_REASON_NO_PUBLISH + 1));
        for (r = SHMB_REASON_NO_RULE; r <= SHMB_REASON_NO_PUBLISH; r++)
                assert_non_null(shmb_reason_text(r));
        assert_string_equal(shmb_reason_text(SHMB_REASON_QUOTA_BYTES), "over MaxBytesPerUser=");
        assert_string_equal(shmb_reason_text(SHMB_REASON_NO_OBJECT), "no such object");
}

/* ---------------------------------------------------------------- create2, resize, publish */

static void test_create2(void **state)
{
        const struct shmb_create_opts unsized = {
                .flags = SHMB_CREATE_UNSIZED, .lifetime = SHMB_LIFETIME_PROCESS,
        };
        const struct shmb_create_opts span = {
                .lifetime = SHMB_LIFETIME_SPAN, .lifetime_usec = 5000000,
        };
        struct shmb_create_opts bad;
        struct shmb_fd_info info;
        struct fake_broker fb;
        struct stat st;
        int fd = -1;
        struct shmb_client *c = fake_connect(&fb, FAKE_CREATE2);

        /* Refused before anything is sent. */
        assert_int_equal(shmb_create2(c, "u", 1, SHMB_ACCESS_RDWR, &unsized, &fd, NULL),
                         -EINVAL);
        assert_int_equal(shmb_create2(c, "u", 0, SHMB_ACCESS_RDWR, NULL, &fd, NULL), -EINVAL);
        assert_int_equal(shmb_create(c, "u", 0, SHMB_ACCESS_RDWR, &fd, NULL), -EINVAL);
        bad = span;
        bad.lifetime_usec = 999999;
        assert_int_equal(shmb_create2(c, "s", 1, SHMB_ACCESS_RDWR, &bad, &fd, NULL), -EINVAL);
        bad = (struct shmb_create_opts) { .lifetime = SHMB_LIFETIME_PROCESS,
                                          .lifetime_usec = 1000000 };
        assert_int_equal(shmb_create2(c, "s", 1, SHMB_ACCESS_RDWR, &bad, &fd, NULL), -EINVAL);
        bad = (struct shmb_create_opts) { .lifetime = SHMB_LIFETIME_SPAN + 1 };
        assert_int_equal(shmb_create2(c, "s", 1, SHMB_ACCESS_RDWR, &bad, &fd, NULL), -EINVAL);
        bad = (struct shmb_create_opts) { .flags = 2 };
        assert_int_equal(shmb_create2(c, "s", 1, SHMB_ACCESS_RDWR, &bad, &fd, NULL), -EINVAL);
        assert_int_equal(shmb_resize(c, "u", 0), -EINVAL);
        assert_int_equal(shmb_publish(c, "u", 0), -EINVAL);
        assert_int_equal(shmb_publish(c, "u", 3), -EINVAL);
        assert_int_equal(fd, -1);

        assert_int_equal(shmb_create2(c, "/u", 0, SHMB_ACCESS_RDWR, &unsized, &fd, &info), 0);
        assert_true(fd >= 0);
        assert_int_equal(info.size, 0);
        assert_int_equal(info.access, SHMB_ACCESS_RDWR);
        assert_int_equal(info.flags, SHMB_OBJ_FRESH);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_size, 0);
        close(fd);
        assert_int_equal(shmb_resize(c, "u", 8192), 0);
        assert_int_equal(shmb_publish(c, "u", SHMB_PUBLISH_FUTURE), 0);
        assert_int_equal(shmb_create2(c, "s", 64, SHMB_ACCESS_NONE, &span, NULL, &info), 0);
        assert_int_equal(info.size, 64);
        assert_int_equal(info.flags, 0);
        fake_done(&fb, c);
}

/* ---------------------------------------------------------------- stat v2 */

static void test_stat_v2(void **state)
{
        struct shmb_stat st;
        struct fake_broker fb;
        struct shmb_client *c = fake_connect(&fb, FAKE_STAT_V2);

        assert_int_equal(shmb_stat2(c, "a", 2, &st), -EINVAL);
        assert_int_equal(shmb_stat(c, "a", &st), 0);
        assert_int_equal(st.size, 4096);
        assert_int_equal(st.uid, 1000);
        assert_int_equal(st.mode, 0640);
        assert_int_equal(st.backend, SHMB_BACKEND_MEMFD);
        assert_int_equal(st.n_acl, 1);
        assert_int_equal(st.acl[0].id, 1001);
        assert_int_equal(st.creator, 1000);
        assert_int_equal(st.flags, SHMB_OBJ_PUBLISHED | SHMB_OBJ_SEAL_WRITE);
        assert_true(st.ctime_usec == UINT64_C(1764633600000000));
        assert_int_equal(st.lifetime, SHMB_LIFETIME_SPAN);
        assert_int_equal(st.lifetime_usec, 5000000);
        assert_string_equal(st.rule, "mem");
        assert_string_equal(st.app, "org.example.App");

        assert_int_equal(shmb_stat2(c, "/orphan", SHMB_STAT_ALL, &st), 0);
        assert_int_equal(st.flags, SHMB_OBJ_ORPHAN);
        assert_int_equal(st.creator, 1001);
        assert_int_equal(st.n_acl, 0);
        assert_int_equal(st.lifetime, SHMB_LIFETIME_PERSISTENT);
        assert_int_equal(st.lifetime_usec, 0);
        assert_string_equal(st.rule, "");
        assert_string_equal(st.app, "");
        fake_done(&fb, c);
}

static void test_stat_bad_app(void **state)
{
        struct shmb_stat st;
        struct fake_broker fb;
        struct shmb_client *c = fake_connect(&fb, LIE_STAT_APP);

        memset(&st, 0x5a, sizeof(st));
        assert_int_equal(shmb_stat(c, "a", &st), -EPROTO);
        /* Output written only on success. */
        assert_int_equal(st.uid, 0x5a5a5a5a);
        assert_int_equal(shmb_stat(c, "a", &st), -ENOTCONN);
        fake_done(&fb, c);
}

/* ---------------------------------------------------------------- list details */

struct seen {
        size_t n;
        char names[4][8];
        struct shmb_object_info info[4];
        char rules[4][8];
        char apps[4][16];
};

static int on_info(const struct shmb_object_info *info, void *userdata)
{
        struct seen *s = userdata;

        assert_true(s->n < 4);
        s->info[s->n] = *info;
        snprintf(s->names[s->n], sizeof(s->names[0]), "%s", info->name);
        snprintf(s->rules[s->n], sizeof(s->rules[0]), "%s", info->rule);
        snprintf(s->apps[s->n], sizeof(s->apps[0]), "%s", info->app);
        s->n++;
        return 0;
}

static int on_name(const char *name, void *userdata)
{
        struct seen *s = userdata;

        assert_true(s->n < 4);
        snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", name);
        return 0;
}

static void test_list_details(void **state)
{
        struct seen s = {};
        struct fake_broker fb;
        struct shmb_client *c = fake_connect(&fb, FAKE_LIST_DETAILS);

        assert_int_equal(shmb_list_details(c, 2, on_info, &s), -EINVAL);
        assert_int_equal(shmb_list_details(c, SHMB_LIST_ALL, NULL, &s), -EINVAL);
        assert_int_equal(shmb_list_details(c, SHMB_LIST_ALL, on_info, &s), 3);
        assert_int_equal(s.n, 3);
        assert_string_equal(s.names[0], "a");
        assert_string_equal(s.names[1], "b");
        assert_string_equal(s.names[2], "c");
        assert_int_equal(s.info[0].size, 1);
        assert_int_equal(s.info[0].creator, 1000);
        assert_int_equal(s.info[0].lifetime, SHMB_LIFETIME_PERSISTENT);
        assert_string_equal(s.rules[0], "rule");
        assert_string_equal(s.apps[0], "");
        assert_int_equal(s.info[1].backend, SHMB_BACKEND_MEMFD);
        assert_int_equal(s.info[1].flags, SHMB_OBJ_ORPHAN);
        assert_int_equal(s.info[1].lifetime, SHMB_LIFETIME_PROCESS);
        assert_string_equal(s.apps[1], "org.x.Y");
        assert_int_equal(s.info[2].ctime_usec, 30);
        assert_int_equal(s.info[2].lifetime, SHMB_LIFETIME_SPAN);
        assert_int_equal(s.info[2].lifetime_usec, 2000000);
        assert_int_equal(s.info[2].ends_in_sec, 2);
        assert_int_equal(s.info[1].ends_in_sec, 0);
        assert_int_equal(s.info[2].flags, SHMB_OBJ_CREATOR_GONE);
        assert_int_equal(s.info[2].creator, 1002);
        fake_done(&fb, c);
}

static void test_list_details_lies(void **state)
{
        static const enum fake lies[] = { LIE_LIST_NO_DETAILS, LIE_LIST_DETAILS_APP };
        size_t i;

        for (i = 0; i < ELEMENTSOF(lies); i++) {
                struct seen s = {};
                struct fake_broker fb;
                struct shmb_client *c = fake_connect(&fb, lies[i]);

                assert_int_equal(shmb_list_details(c, 0, on_info, &s), -EPROTO);
                /* Nothing of a page that is refused reaches the callback. */
                assert_int_equal(s.n, 0);
                assert_int_equal(shmb_list_details(c, 0, on_info, &s), -ENOTCONN);
                fake_done(&fb, c);
        }
}

static void test_list2(void **state)
{
        struct seen s = {};
        struct fake_broker fb;
        struct shmb_client *c = fake_connect(&fb, FAKE_LIST2);

        assert_int_equal(shmb_list2(c, 2, on_name, &s), -EINVAL);
        assert_int_equal(shmb_list2(c, SHMB_LIST_ALL, on_name, &s), 2);
        assert_string_equal(s.names[0], "a");
        assert_string_equal(s.names[1], "b");
        /* Details nobody asked for are a broker that did not understand the request. */
        s.n = 0;
        assert_int_equal(shmb_list(c, on_name, &s), -EPROTO);
        assert_int_equal(s.n, 0);
        fake_done(&fb, c);
}

/* ---------------------------------------------------------------- explain */

static void test_explain(void **state)
{
        static const uint32_t groups[] = { 100, 27 };
        static char long_name[SHMB_USER_NAME_MAX + 2];
        struct shmb_identity who = {
                .uid = 1001, .gid = 100, .groups = groups, .n_groups = 2, .user_name = "bob",
        };
        struct shmb_identity bad = who;
        struct shmb_explanation ex;
        struct fake_broker fb;
        struct shmb_client *c = fake_connect(&fb, FAKE_EXPLAIN);

        memset(long_name, 'u', sizeof(long_name) - 1);
        assert_int_equal(shmb_explain(c, "x", NULL, "not an app", &ex), -EINVAL);
        assert_int_equal(shmb_explain(c, "x", NULL, NULL, NULL), -EINVAL);
        assert_int_equal(shmb_explain(c, "x/y", NULL, NULL, &ex), -EINVAL);
        bad.n_groups = SHMB_GROUPS_MAX + 1;
        assert_int_equal(shmb_explain(c, "x", &bad, NULL, &ex), -EINVAL);
        bad = who;
        bad.groups = NULL;
        assert_int_equal(shmb_explain(c, "x", &bad, NULL, &ex), -EINVAL);
        bad = who;
        bad.user_name = long_name;
        assert_int_equal(shmb_explain(c, "x", &bad, NULL, &ex), -EINVAL);

        assert_int_equal(shmb_explain(c, "/x", NULL, NULL, &ex), 0);
        assert_int_equal(ex.flags, SHMB_EXPLAIN_RULE | SHMB_EXPLAIN_OBJECT);
        assert_int_equal(ex.uid, 1000);
        assert_int_equal(ex.rights, SHMB_RIGHT_READ);
        assert_string_equal(ex.rule, "mem");
        assert_string_equal(ex.user_name, "");
        assert_int_equal(ex.error[SHMB_VERB_CREATE], -EACCES);
        assert_int_equal(ex.reason[SHMB_VERB_CREATE], SHMB_REASON_NO_CREATE);
        assert_int_equal(ex.error[SHMB_VERB_OPEN_RW], -EACCES);
        assert_int_equal(ex.reason[SHMB_VERB_OPEN_RW], SHMB_REASON_NO_WRITE);
        assert_int_equal(ex.error[SHMB_VERB_OPEN_RO], 0);
        assert_int_equal(ex.reason[SHMB_VERB_OPEN_RO], SHMB_REASON_NONE);
        assert_int_equal(ex.error[SHMB_VERB_STAT], 0);
        assert_int_equal(ex.object_reason, SHMB_REASON_NONE);

        assert_int_equal(shmb_explain(c, "x", &who, "org.example.App", &ex), 0);
        assert_int_equal(ex.uid, 1001);
        assert_true(ex.flags & SHMB_EXPLAIN_DETAILED);
        assert_int_equal(ex.object_reason, SHMB_REASON_OTHER_CREATOR);
        assert_string_equal(ex.user_name, "bob");
        fake_done(&fb, c);
}

static void test_explain_wrong_uid(void **state)
{
        static const uint32_t groups[] = { 100, 27 };
        const struct shmb_identity who = {
                .uid = 1001, .gid = 100, .groups = groups, .n_groups = 2, .user_name = "bob",
        };
        struct shmb_explanation ex;
        struct fake_broker fb;
        struct shmb_client *c = fake_connect(&fb, LIE_EXPLAIN_UID);

        /* Asked about uid 1001, told about uid 7. */
        assert_int_equal(shmb_explain(c, "x", &who, "org.example.App", &ex), -EPROTO);
        assert_int_equal(shmb_explain(c, "x", NULL, NULL, &ex), -ENOTCONN);
        fake_done(&fb, c);
}

/* ---------------------------------------------------------------- status */

static void test_status(void **state)
{
        struct shmb_status *s = NULL;
        struct fake_broker fb;
        struct shmb_client *c = fake_connect(&fb, FAKE_STATUS);

        assert_int_equal(shmb_status(c, NULL), -EINVAL);
        assert_int_equal(shmb_status(c, &s), 0);
        assert_non_null(s);
        /* The summary of the first page. */
        assert_int_equal(s->n_rules, 12);
        assert_int_equal(s->flags, SHMB_STATUS_KEPT_POLICY);
        assert_int_equal(s->uptime_usec, 5000000);
        assert_int_equal(s->generation, 3);
        assert_int_equal(s->n_objects, 9);
        assert_int_equal(s->n_orphans, 1);
        assert_int_equal(s->n_held, 2);
        assert_int_equal(s->n_app_sockets, 1);
        assert_int_equal(s->max_connections, 32);
        assert_int_equal(s->max_objects, 64);
        assert_true(s->max_bytes == UINT64_MAX);
        assert_string_equal(s->version, "0.2.0");
        assert_string_equal(s->origin, "/etc/shmbroker/policy.d");
        /* The users of both pages. */
        assert_int_equal(s->n_users, 3);
        assert_int_equal(s->users[0].uid, 0);
        assert_int_equal(s->users[1].uid, 1000);
        assert_int_equal(s->users[1].connections, 1);
        assert_int_equal(s->users[1].objects, 1001);
        assert_int_equal(s->users[1].bytes, 1000u << 12);
        assert_int_equal(s->users[2].uid, 65534);
        assert_null(shmb_status_free(s));
        assert_null(shmb_status_free(NULL));
        fake_done(&fb, c);
}

static void test_status_lies(void **state)
{
        static const enum fake lies[] = { LIE_STATUS_ORDER, LIE_STATUS_MORE_EMPTY };
        size_t i;

        for (i = 0; i < ELEMENTSOF(lies); i++) {
                struct shmb_status *s = NULL;
                struct fake_broker fb;
                struct shmb_client *c = fake_connect(&fb, lies[i]);

                assert_int_equal(shmb_status(c, &s), -EPROTO);
                assert_null(s);
                assert_int_equal(shmb_status(c, &s), -ENOTCONN);
                fake_done(&fb, c);
        }
}

/* ---------------------------------------------------------------- app sockets */

static void test_app_socket(void **state)
{
        struct fake_broker fb;
        char *path = NULL;
        struct shmb_client *c = fake_connect(&fb, FAKE_APP_SOCKET);

        assert_int_equal(shmb_app_socket(c, "org", &path), -EINVAL);
        assert_int_equal(shmb_app_socket(c, "org.example.Viewer", NULL), -EINVAL);
        assert_int_equal(shmb_app_socket(c, "org.example.Viewer", &path), 0);
        assert_string_equal(path, "/run/shmbroker/apps/org.example.Viewer");
        free(path);
        path = NULL;
        assert_int_equal(shmb_app_socket(c, "org.example.Viewer", &path), -EPERM);
        assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_APP_SOCKET);
        assert_null(path);
        fake_done(&fb, c);

        c = fake_connect(&fb, LIE_APP_SOCKET_RELATIVE);
        assert_int_equal(shmb_app_socket(c, "org.example.Viewer", &path), -EPROTO);
        assert_null(path);
        fake_done(&fb, c);
}

/* ---------------------------------------------------------------- watch */

/* The next event, waiting up to a few seconds for it. */
static int next_event(struct shmb_client *c, int fd, struct shmb_event *ev)
{
        int r, tries;

        for (tries = 0; tries < 100; tries++) {
                struct pollfd p = { .fd = fd, .events = POLLIN };

                r = shmb_watch_next(c, ev);
                if (r != -EAGAIN)
                        return r;
                assert_true(poll(&p, 1, 100) >= 0);
        }
        return -ETIME;
}

static void test_watch(void **state)
{
        struct shmb_event ev;
        struct shmb_stat st;
        struct fake_broker fb;
        int fd = -1, fd2 = -1;
        struct shmb_client *c = fake_connect(&fb, FAKE_WATCH);

        assert_int_equal(shmb_watch_next(c, &ev), -EINVAL);
        assert_int_equal(shmb_watch(c, "cam-*", NULL), -EINVAL);
        assert_int_equal(shmb_watch(c, "/cam-*", &fd), 0);
        assert_true(fd >= 0);
        /* A watching client serves the watch only. */
        assert_int_equal(shmb_stat(c, "cam-1", &st), -EBUSY);
        assert_int_equal(shmb_watch(c, "x", &fd2), -EBUSY);
        assert_int_equal(fd2, -1);

        assert_int_equal(next_event(c, fd, &ev), 0);
        assert_int_equal(ev.kind, SHMB_EVENT_CREATED);
        assert_string_equal(ev.name, "cam-1");
        assert_int_equal(next_event(c, fd, &ev), 0);
        assert_int_equal(ev.kind, SHMB_EVENT_PUBLISHED);
        assert_int_equal(next_event(c, fd, &ev), 0);
        assert_int_equal(ev.kind, SHMB_EVENT_REMOVED);
        assert_string_equal(ev.name, "cam-1");
        assert_int_equal(next_event(c, fd, &ev), 0);
        assert_int_equal(ev.kind, SHMB_EVENT_OVERFLOW);
        assert_string_equal(ev.name, "");
        /* After an overflow the watch has ended. */
        assert_int_equal(shmb_watch_next(c, &ev), -ENOTCONN);
        fake_done(&fb, c);
}

static void test_watch_lies(void **state)
{
        static const enum fake lies[] = { LIE_WATCH_NAME, LIE_WATCH_SEQ };
        size_t i;

        for (i = 0; i < ELEMENTSOF(lies); i++) {
                struct shmb_event ev = { .kind = 77 };
                struct fake_broker fb;
                int fd = -1;
                struct shmb_client *c = fake_connect(&fb, lies[i]);

                assert_int_equal(shmb_watch(c, "cam-*", &fd), 0);
                assert_int_equal(next_event(c, fd, &ev), -EPROTO);
                assert_int_equal(ev.kind, 77);
                assert_int_equal(shmb_watch_next(c, &ev), -ENOTCONN);
                fake_done(&fb, c);
        }
}

/* ---------------------------------------------------------------- wait */

static uint64_t msec_now(void)
{
        struct timespec ts;

        assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static void test_wait(void **state)
{
        struct fake_broker fb;
        struct shmb_client *c = fake_connect(&fb, FAKE_WAIT);

        assert_int_equal(shmb_wait(c, "w", 2, 0), -EINVAL);
        /* Each receive may take 100 ms; the wait's answer may take its 1 s and those. */
        assert_int_equal(shmb_client_set_timeout(c, 100), 0);
        assert_int_equal(shmb_wait(c, "/w", SHMB_WAIT_PUBLISHED, 1000000), 0);
        /* The broker says the time passed: the connection stays. */
        assert_int_equal(shmb_wait(c, "w", 0, 1000), -ETIMEDOUT);
        assert_int_equal(shmb_unlink(c, "w"), 0);
        fake_done(&fb, c);
}

static void test_wait_silent(void **state)
{
        struct fake_broker fb;
        uint64_t t;
        struct shmb_client *c = fake_connect(&fb, FAKE_WAIT_SILENT);

        assert_int_equal(shmb_client_set_timeout(c, 100), 0);
        t = msec_now();
        assert_int_equal(shmb_wait(c, "w", SHMB_WAIT_PUBLISHED, 1000000), -ETIMEDOUT);
        /* The wait's second and the connection's 100 ms, not for ever. */
        t = msec_now() - t;
        assert_true(t >= 1100 && t < 5000);
        /* No answer came: a late one would answer the next request. */
        assert_int_equal(shmb_unlink(c, "w"), -ENOTCONN);
        fake_done(&fb, c);
}

/* ---------------------------------------------------------------- a number not ours */

/*
 * The program closes the library's socket (as closefrom() would) and its next socket gets the
 * number. The library must not talk on it, and freeing the client must not close it: it
 * forgets the number (fdident.h).
 */
static void test_fd_reused(void **state)
{
        struct fake_broker fb;
        int before = tl_proc_fd_count(getpid());
        struct shmb_client *c;
        int n, sp[2];
        char got[16];

        /* The lowest free number, which socket() in shmb_connect() then gets. */
        n = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
        assert_true(n >= 0);
        close(n);
        c = fake_connect(&fb, FAKE_REASONS);
        assert_int_equal(close(n), 0);
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
        assert_int_equal(sp[0], n);
        /* A library that talked on it would wait for an answer: not for ever. */
        assert_int_equal(setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO,
                                    &(struct timeval) { .tv_sec = 1 }, sizeof(struct timeval)),
                         0);

        assert_int_equal(shmb_unlink(c, "a"), -ENOTCONN);
        assert_int_equal(shmb_client_set_timeout(c, 100), -ENOTCONN);
        assert_int_equal(recv(sp[1], got, sizeof(got), MSG_DONTWAIT), -1);
        assert_int_equal(errno, EAGAIN);
        fake_done(&fb, c);
        assert_true(fcntl(sp[0], F_GETFD) >= 0);
        close(sp[0]);
        close(sp[1]);
        assert_int_equal(tl_proc_fd_count(getpid()), before);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_batch_extra_results),
                cmocka_unit_test(test_memfd_size_overstated),
                cmocka_unit_test(test_shm_size_from_fstat),
                cmocka_unit_test(test_batch_sizes),
                cmocka_unit_test(test_rdonly_writable),
                cmocka_unit_test(test_not_a_file),
                cmocka_unit_test(test_rdwr_readonly),
                cmocka_unit_test(test_rdwr_opath),
                cmocka_unit_test(test_reasons),
                cmocka_unit_test(test_reason_texts),
                cmocka_unit_test(test_create2),
                cmocka_unit_test(test_stat_v2),
                cmocka_unit_test(test_stat_bad_app),
                cmocka_unit_test(test_list_details),
                cmocka_unit_test(test_list_details_lies),
                cmocka_unit_test(test_list2),
                cmocka_unit_test(test_explain),
                cmocka_unit_test(test_explain_wrong_uid),
                cmocka_unit_test(test_status),
                cmocka_unit_test(test_status_lies),
                cmocka_unit_test(test_app_socket),
                cmocka_unit_test(test_watch),
                cmocka_unit_test(test_watch_lies),
                cmocka_unit_test(test_wait),
                cmocka_unit_test(test_wait_silent),
                cmocka_unit_test(test_fd_reused),
        };

        (void) signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
