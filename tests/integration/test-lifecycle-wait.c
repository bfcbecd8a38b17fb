/* SPDX-License-Identifier: MIT */
/*
 * test-lifecycle-wait.c - WAIT and WATCH.
 *
 * WAIT is answered OK once an object of the name exists that the caller may open (and, with
 * WAIT_PUBLISHED, is published), or ETIMEDOUT; a caller who could not open it if it existed is
 * refused at once (EACCES, NO_RULE or NO_READ). A huge timeout is no timeout, not an overflow.
 * A waiter that hangs up costs nothing. WATCH streams created/published/removed for the names
 * the caller may open and never others; a watcher that does not read gets OVERFLOW and its
 * connection closes; a request on a watching connection is answered EBUSY among the events.
 *
 * Raw connections are used where the case must see that no answer has come yet: the daemon is
 * first seen asleep in epoll_wait() (sec_wait_idle()), then the connection is polled.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lifecycle.h"
#include "macro.h"

static uint8_t pkt[SHMB_PROTO_MSG_MAX];

static void send_wait(int fd, uint32_t seq, const char *name, uint64_t timeout_usec,
                      uint32_t flags)
{
        int n = shmb_proto_encode_wait(pkt, sizeof(pkt), seq, name, timeout_usec, flags);

        assert_true(n > 0);
        assert_int_equal(sec_raw_send(fd, pkt, (size_t) n, NULL, 0), 0);
}

/* Nothing has come on @fd, though the daemon has read and handled all there was. */
static void expect_no_answer(const struct harness_daemon *d, int fd)
{
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        sec_wait_idle(d);
        assert_int_equal(poll(&pfd, 1, 0), 0);
}

static void expect_ok(int fd, uint32_t seq)
{
        struct shmb_proto_reply reply;

        assert_int_equal(sec_raw_reply(fd, &reply, NULL), 0);
        if (reply.type != SHMB_PROTO_REPLY_OK)
                fail_msg("expected REPLY_OK, got type 0x%x (error %d, reason %u)", reply.type,
                         reply.error, reply.reason);
        assert_int_equal(reply.seq, seq);
}

static int wait_as(const struct harness_daemon *d, const struct harness_id *id, const char *name,
                   unsigned flags, uint64_t timeout_usec, int *ret_reason)
{
        struct shmb_client *c = sec_client(d, id);
        int r;

        r = shmb_wait(c, name, flags, timeout_usec);
        if (ret_reason)
                *ret_reason = shmb_client_last_reason(c);
        shmb_client_free(c);
        return r;
}

static void create_as_creator(const struct harness_daemon *d, const char *name)
{
        assert_int_equal(sec_create(d, &sec_id_creator, name, 4096, SHMB_ACCESS_NONE, NULL), 0);
}

/* ------------------------------------------------------------------------------------------
 * WAIT
 */

static void test_wait_exists(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);

        create_as_creator(d, "life-w1");
        assert_int_equal(wait_as(d, &sec_id_reader, "life-w1", 0, LC_SEC, NULL), 0);
        assert_int_equal(wait_as(d, &sec_id_reader, "/life-w1", 0, 0, NULL), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "life-w1"), 0);
        sec_finish();
}

static void test_wait_appears(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct shmb_proto_reply reply;
        int fd = sec_raw_connect(d, &sec_id_reader);
        size_t n;

        send_wait(fd, 3, "life-w2", 10 * LC_SEC, 0);
        expect_no_answer(d, fd);
        create_as_creator(d, "life-w2");
        expect_ok(fd, 3);
        /* The connection serves again. */
        n = sec_enc_name(pkt, SHMB_PROTO_STAT, 4, "life-w2");
        assert_int_equal(sec_raw_call(fd, pkt, n, &reply, NULL), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_STAT);
        assert_int_equal(reply.seq, 4);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "life-w2"), 0);
        sec_finish();
}

/* Many waiters for one name, one answer each when it comes. */
static void test_wait_many(void **state)
{
        enum { N = 50 };        /* below MaxConnectionsPerUser= (64) */
        struct harness_daemon *d = lc_start(lc_policy, false);
        int fds[N];
        size_t i;

        for (i = 0; i < N; i++) {
                fds[i] = sec_raw_connect(d, &sec_id_reader);
                send_wait(fds[i], (uint32_t) i + 1, "/life-many", 10 * LC_SEC, 0);
        }
        for (i = 0; i < N; i++)
                expect_no_answer(d, fds[i]);
        create_as_creator(d, "life-many");
        for (i = 0; i < N; i++) {
                expect_ok(fds[i], (uint32_t) i + 1);
                assert_int_equal(close(fds[i]), 0);
        }
        assert_int_equal(sec_unlink(d, &sec_id_creator, "life-many"), 0);
        sec_finish();
}

static void test_wait_published(void **state)
{
        static const char *const names[] = { "life-w3", "lifem-w3" };
        struct harness_daemon *d = lc_start(lc_policy, false);
        size_t i;

        for (i = 0; i < ELEMENTSOF(names); i++) {
                int fd = sec_raw_connect(d, &sec_id_reader);
                struct shmb_client *c;

                send_wait(fd, 5, names[i], 10 * LC_SEC, SHMB_PROTO_WAIT_PUBLISHED);
                expect_no_answer(d, fd);
                create_as_creator(d, names[i]);
                /* There, but not published: still waiting. */
                expect_no_answer(d, fd);
                c = sec_client(d, &sec_id_creator);
                assert_int_equal(shmb_publish(c, names[i], SHMB_PUBLISH_SEAL), 0);
                shmb_client_free(c);
                expect_ok(fd, 5);
                assert_int_equal(close(fd), 0);
                /* Published already: at once. */
                assert_int_equal(wait_as(d, &sec_id_reader, names[i], SHMB_WAIT_PUBLISHED,
                                         LC_SEC, NULL), 0);
                assert_int_equal(sec_unlink(d, &sec_id_creator, names[i]), 0);
        }
        sec_finish();
}

static void test_wait_timeout(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct shmb_client *c = sec_client(d, &sec_id_reader);
        struct shmb_stat st;
        uint64_t t0, ms;

        t0 = tl_now_ms();
        assert_int_equal(shmb_wait(c, "life-none", 0, 300 * 1000), -ETIMEDOUT);
        ms = tl_now_ms() - t0;
        assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_NONE);
        print_message("ETIMEDOUT after %llu ms (asked: 300)\n", (unsigned long long) ms);
        assert_true(ms >= 300);
        assert_true(ms < 5000);
        /* The daemon's ETIMEDOUT leaves the connection usable. */
        assert_int_equal(shmb_stat(c, "life-none", &st), -ENOENT);
        assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_NO_OBJECT);
        create_as_creator(d, "life-w4");
        assert_int_equal(shmb_wait(c, "life-w4", 0, LC_SEC), 0);
        shmb_client_free(c);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "life-w4"), 0);
        sec_finish();
}

/* Refused at once when the caller could not open the name, whether it exists or not. */
static void test_wait_refused(void **state)
{
        static const struct {
                const struct harness_id *id;
                const char *name;
                int reason;
        } cases[] = {
                { &sec_id_outsider, "life-w5", SHMB_REASON_NO_READ },
                { &sec_id_reader, "priv-w5", SHMB_REASON_NO_READ },
                { &sec_id_outsider, "priv-w5", SHMB_REASON_NO_READ },
                { &sec_id_reader, "nothing-w5", SHMB_REASON_NO_RULE },
        };
        struct harness_daemon *d = lc_start(lc_policy, false);
        size_t i, round;

        for (round = 0; round < 2; round++) {
                for (i = 0; i < ELEMENTSOF(cases); i++) {
                        int reason = -1, r;

                        r = wait_as(d, cases[i].id, cases[i].name, 0, 10 * LC_SEC, &reason);
                        if (r != -EACCES || reason != cases[i].reason)
                                fail_msg("uid %u waits for '%s' (%s): %s, reason %d; expected "
                                         "EACCES, reason %d", (unsigned) cases[i].id->uid,
                                         cases[i].name, round ? "existing" : "missing",
                                         strerror(-r), reason, cases[i].reason);
                }
                if (round == 0) {
                        create_as_creator(d, "life-w5");
                        assert_int_equal(sec_create(d, &sec_id_writer, "priv-w5", 4096,
                                                    SHMB_ACCESS_NONE, NULL), 0);
                }
        }
        assert_int_equal(sec_unlink(d, &sec_id_creator, "life-w5"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_writer, "priv-w5"), 0);
        sec_finish();
}

/* A timeout too long to add to the clock is no timeout: the wait stays, the loop sleeps. */
static void test_wait_huge_timeout(void **state)
{
        static const uint64_t timeouts[] = { UINT64_MAX, UINT64_MAX - 1, INT64_MAX,
                                             (uint64_t) INT64_MAX + 1, UINT64_C(1) << 40,
                                             UINT64_C(1) << 32, 0 };
        struct harness_daemon *d = lc_start(lc_policy, false);
        int fds[ELEMENTSOF(timeouts)];
        size_t i;

        for (i = 0; i < ELEMENTSOF(timeouts); i++) {
                fds[i] = sec_raw_connect(d, &sec_id_reader);
                send_wait(fds[i], (uint32_t) i + 1, "life-w6", timeouts[i], 0);
        }
        for (i = 0; i < ELEMENTSOF(timeouts); i++)
                expect_no_answer(d, fds[i]);
        create_as_creator(d, "life-w6");
        for (i = 0; i < ELEMENTSOF(timeouts); i++) {
                expect_ok(fds[i], (uint32_t) i + 1);
                assert_int_equal(close(fds[i]), 0);
        }
        assert_int_equal(sec_unlink(d, &sec_id_creator, "life-w6"), 0);
        sec_finish();
}

/* A waiter hangs up: its connection goes, and the object's arrival later harms nothing. */
static void test_wait_hangup(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        int fd = sec_raw_connect(d, &sec_id_reader), fd2 = sec_raw_connect(d, &sec_id_reader);

        send_wait(fd, 1, "life-w7", 0, 0);
        send_wait(fd2, 1, "life-w7", 60 * LC_SEC, 0);
        expect_no_answer(d, fd);
        assert_int_equal(close(fd), 0);
        assert_int_equal(close(fd2), 0);
        sec_assert_fds_baseline(d);
        create_as_creator(d, "life-w7");
        sec_assert_serving(d);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "life-w7"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * WATCH
 */

static struct shmb_client *watch_as(const struct harness_daemon *d, const struct harness_id *id,
                                    const char *pattern, int *ret_fd)
{
        struct shmb_client *c = sec_client(d, id);

        assert_int_equal(shmb_watch(c, pattern, ret_fd), 0);
        return c;
}

/* The next event, waiting up to 5 s; fails on anything but @kind for @name. */
static void expect_event(struct shmb_client *c, int fd, int kind, const char *name)
{
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        struct shmb_event ev;
        int r;

        r = poll(&pfd, 1, 5000);
        if (r != 1)
                fail_msg("no event within 5 s; expected %d for '%s'", kind, name);
        r = shmb_watch_next(c, &ev);
        if (r < 0)
                fail_msg("watch: %s; expected event %d for '%s'", strerror(-r), kind, name);
        if (ev.kind != kind || strcmp(ev.name, name) != 0)
                fail_msg("event %d for '%s'; expected %d for '%s'", ev.kind, ev.name, kind,
                         name);
}

static void expect_no_event(struct shmb_client *c)
{
        struct shmb_event ev;
        int r = shmb_watch_next(c, &ev);

        if (r != -EAGAIN)
                fail_msg("an event more: %s (kind %d, '%s')", strerror(-r), r == 0 ? ev.kind : 0,
                         r == 0 ? ev.name : "");
}

static int proc_object_fn(struct lc_proc *p, void *userdata)
{
        struct shmb_client *c = lc_child_connect();

        if (!c || lc_child_create(c, "proc-x", 4096, SHMB_LIFETIME_PROCESS, 0, NULL) < 0)
                return 1;
        return 0;
}

/* A watcher learns of what it may open, and of nothing else. */
static void test_watch_only_visible(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct shmb_client *all, *some, *ctl, *c;
        int fd_all, fd_some, fd_ctl;
        struct lc_proc p;

        all = watch_as(d, &sec_id_reader, "", &fd_all);
        some = watch_as(d, &sec_id_reader, "/life-a*", &fd_some);
        ctl = watch_as(d, &sec_id_control, "", &fd_ctl);

        /* 41002's private object: nobody else may open it. */
        assert_int_equal(sec_create(d, &sec_id_writer, "priv-x", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        create_as_creator(d, "life-a");
        c = sec_client(d, &sec_id_creator);
        assert_int_equal(shmb_publish(c, "life-a", SHMB_PUBLISH_SEAL), 0);
        shmb_client_free(c);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "life-a"), 0);
        /* An end of life is a removal like any other. */
        lc_proc_start(&p, &sec_id_creator, proc_object_fn, NULL);
        assert_int_equal(lc_proc_next(&p), 0);
        lc_proc_release(&p);
        (void) lc_wait_gone(d, "proc-x", LC_REMOVAL_MS);
        assert_int_equal(sec_unlink(d, &sec_id_writer, "priv-x"), 0);
        /* The marker: every event before it has been sent by now. */
        create_as_creator(d, "life-a-end");
        assert_int_equal(sec_create(d, &sec_id_control, "ctl-mark", 4096, SHMB_ACCESS_NONE,
                                    NULL), 0);

        expect_event(all, fd_all, SHMB_EVENT_CREATED, "life-a");
        expect_event(all, fd_all, SHMB_EVENT_PUBLISHED, "life-a");
        expect_event(all, fd_all, SHMB_EVENT_REMOVED, "life-a");
        expect_event(all, fd_all, SHMB_EVENT_CREATED, "proc-x");
        expect_event(all, fd_all, SHMB_EVENT_REMOVED, "proc-x");
        expect_event(all, fd_all, SHMB_EVENT_CREATED, "life-a-end");
        expect_no_event(all);

        expect_event(some, fd_some, SHMB_EVENT_CREATED, "life-a");
        expect_event(some, fd_some, SHMB_EVENT_PUBLISHED, "life-a");
        expect_event(some, fd_some, SHMB_EVENT_REMOVED, "life-a");
        expect_event(some, fd_some, SHMB_EVENT_CREATED, "life-a-end");
        expect_no_event(some);

        expect_event(ctl, fd_ctl, SHMB_EVENT_CREATED, "ctl-mark");
        expect_no_event(ctl);

        shmb_client_free(all);
        shmb_client_free(some);
        shmb_client_free(ctl);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "life-a-end"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_control, "ctl-mark"), 0);
        sec_finish();
}

/*
 * A watcher that never reads: the daemon queues a bounded number of events, then sends
 * OVERFLOW and ends the watch; the connection closes once the client has read what was
 * queued. What the daemon holds for it never grows past the bound.
 */
static void test_watch_overflow(void **state)
{
        enum { MAX_CREATES = 4000 };
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct shmb_proto_reply reply;
        struct shmb_client *c;
        unsigned created = 0, events = 0, i;
        size_t mark, n;
        int fd, r;

        fd = sec_raw_connect(d, &sec_id_reader);
        n = sec_enc_name(pkt, SHMB_PROTO_WATCH, 9, "");
        assert_int_equal(sec_raw_call(fd, pkt, n, &reply, NULL), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_OK);
        mark = harness_daemon_log_mark(d);

        c = sec_client(d, &sec_id_creator);
        while (created < MAX_CREATES &&
               harness_daemon_log_count(d, mark, "does not read its events", NULL) == 0) {
                char name[32];

                for (i = 0; i < 50; i++) {
                        snprintf(name, sizeof(name), "life-o-%04u", created++);
                        assert_int_equal(shmb_create(c, name, 4096, SHMB_ACCESS_NONE, NULL,
                                                     NULL), 0);
                }
        }
        if (created >= MAX_CREATES)
                fail_msg("%u events to a watcher that does not read, and no overflow", created);

        for (;;) {
                r = sec_raw_reply(fd, &reply, NULL);
                if (r < 0)
                        fail_msg("before OVERFLOW, after %u events: %s", events, strerror(-r));
                assert_int_equal(reply.type, SHMB_PROTO_REPLY_EVENT);
                assert_int_equal(reply.seq, 9);
                if (reply.event.event == SHMB_PROTO_EVENT_OVERFLOW)
                        break;
                assert_int_equal(reply.event.event, SHMB_PROTO_EVENT_CREATED);
                events++;
        }
        assert_int_equal(reply.event.name_len, 0);
        print_message("%u objects created, %u events delivered, then OVERFLOW\n", created,
                      events);
        assert_true(events > 0);
        assert_true(events < created);
        /* Nothing follows: the daemon closes the connection. */
        assert_int_equal(sec_raw_reply(fd, &reply, NULL), -ECONNRESET);
        assert_int_equal(close(fd), 0);

        for (i = 0; i < created; i++) {
                char name[32];

                snprintf(name, sizeof(name), "life-o-%04u", i);
                assert_int_equal(shmb_unlink(c, name), 0);
        }
        shmb_client_free(c);
        sec_finish();
}

/* A watching connection carries events; a request on it is answered EBUSY among them, and
 * the watch goes on. */
static void test_watch_request_busy(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct shmb_proto_reply reply;
        struct shmb_client *c;
        struct shmb_stat st;
        int fd, wfd;
        size_t n;

        fd = sec_raw_connect(d, &sec_id_reader);
        n = sec_enc_name(pkt, SHMB_PROTO_WATCH, 1, "life-*");
        assert_int_equal(sec_raw_call(fd, pkt, n, &reply, NULL), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_OK);
        n = sec_enc_name(pkt, SHMB_PROTO_STAT, 2, "life-b");
        assert_int_equal(sec_raw_send(fd, pkt, n, NULL, 0), 0);
        sec_expect_error(fd, 2, EBUSY);
        create_as_creator(d, "life-b");
        assert_int_equal(sec_raw_reply(fd, &reply, NULL), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_EVENT);
        assert_int_equal(reply.event.event, SHMB_PROTO_EVENT_CREATED);
        assert_int_equal(reply.seq, 1);
        n = sec_enc_name(pkt, SHMB_PROTO_WATCH, 3, "");
        assert_int_equal(sec_raw_send(fd, pkt, n, NULL, 0), 0);
        sec_expect_error(fd, 3, EBUSY);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "life-b"), 0);
        assert_int_equal(sec_raw_reply(fd, &reply, NULL), 0);
        assert_int_equal(reply.event.event, SHMB_PROTO_EVENT_REMOVED);
        assert_int_equal(close(fd), 0);

        /* The library refuses before sending. */
        c = watch_as(d, &sec_id_reader, "", &wfd);
        assert_int_equal(shmb_stat(c, "life-b", &st), -EBUSY);
        assert_int_equal(shmb_watch(c, "", &wfd), -EBUSY);
        shmb_client_free(c);
        sec_finish();
}

/* The daemon takes at most 1024 watches (daemon/limits.h LIMIT_WATCHES, shmbrokerd(8)); the
 * next is refused with EMFILE, LIMIT, and one that ends makes room. Past half of them each uid
 * gets its share (test_watch_fair_share), so the pool is filled by uids that hold fewer than
 * the floor of 4 each, which always get one while any is free: 256 uids of 4 (nameless, which
 * the daemon serves like any other uid: the policy gives them nothing). */
#define WATCH_FLOOR 4
static const char watch_policy[] =
        "[Quota]\n"
        "MaxConnectionsPerUser=2000\n"
        "\n"
        "[Segment life]\n"
        "Names=life-*\n"
        "Create=41001\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n";

static struct harness_id watch_uid(unsigned k)
{
        return (struct harness_id) { .uid = 43000 + (uid_t) k, .gid = 43000 + (gid_t) k };
}

/* A new connection as @id that sends WATCH "": its reply's error (0: watching). */
static int watch_raw(const struct harness_daemon *d, const struct harness_id *id, int *ret_fd)
{
        struct shmb_proto_reply reply;
        size_t n = sec_enc_name(pkt, SHMB_PROTO_WATCH, 1, "");

        *ret_fd = sec_raw_connect(d, id);
        assert_int_equal(sec_raw_call(*ret_fd, pkt, n, &reply, NULL), 0);
        if (reply.type == SHMB_PROTO_REPLY_OK)
                return 0;
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_ERROR);
        assert_int_equal(reply.reason, SHMB_PROTO_REASON_LIMIT);
        return -(int) reply.error;
}

static void test_watch_limit(void **state)
{
        enum { LIMIT = 1024 };
        struct harness_daemon *d = lc_start(watch_policy, false);
        struct shmb_proto_reply reply;
        static int fds[LIMIT + 1];
        struct harness_id id;
        size_t n, i;
        int extra, r;

        for (i = 0; i < LIMIT; i++) {
                id = watch_uid((unsigned) (i / WATCH_FLOOR));
                r = watch_raw(d, &id, &fds[i]);
                if (r != 0)
                        fail_msg("watch %zu of %d refused: %s", i + 1, LIMIT, strerror(-r));
        }
        id = watch_uid(LIMIT / WATCH_FLOOR);
        assert_int_equal(watch_raw(d, &id, &extra), -EMFILE);
        /* The refused connection is not a watcher: it is served. */
        n = sec_enc_name(pkt, SHMB_PROTO_STAT, 2, "life-x");
        assert_int_equal(sec_raw_send(extra, pkt, n, NULL, 0), 0);
        sec_expect_error(extra, 2, ENOENT);
        assert_int_equal(close(fds[0]), 0);
        assert_int_equal(harness_daemon_wait_fd_count(d, d->n_fds_start + LIMIT, 3000),
                         d->n_fds_start + LIMIT);
        n = sec_enc_name(pkt, SHMB_PROTO_WATCH, 3, "");
        assert_int_equal(sec_raw_call(extra, pkt, n, &reply, NULL), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_OK);
        assert_int_equal(close(extra), 0);
        for (i = 1; i < LIMIT; i++)
                assert_int_equal(close(fds[i]), 0);
        sec_finish();
}

/*
 * A watching connection is never idle, so watches need a share per uid, as app sockets have
 * (shmbrokerd(8)). Found by a hostile review: 16 uids of 64 watching connections each
 * (within the default MaxConnectionsPerUser=) took all 1024, and nobody else could watch.
 * Now the first uids get theirs up to half, the later ones a shrinking share of what is free,
 * another uid still gets a watch, and one uid alone stops at half.
 */
static void test_watch_fair_share(void **state)
{
        enum { LIMIT = 1024, UIDS = 16, CONNS = SEC_DEFAULT_MAX_CONNECTIONS };
        struct harness_daemon *d = lc_start(lc_policy, false);
        static int conns[UIDS][CONNS];
        int got[UIDS], total = 0, i, k, v, r;
        struct harness_id id;

        for (k = 0; k < UIDS; k++) {
                id = watch_uid((unsigned) k);
                got[k] = 0;
                for (i = 0; i < CONNS; i++) {
                        r = watch_raw(d, &id, &conns[k][i]);
                        if (r == 0)
                                got[k]++;
                        else
                                assert_int_equal(r, -EMFILE);
                }
                total += got[k];
        }
        print_message("watches per uid: %d %d %d %d %d %d %d %d, in all %d of %d\n", got[8],
                      got[9], got[10], got[11], got[12], got[13], got[14], got[15], total,
                      LIMIT);
        /* Another user watches. */
        r = watch_raw(d, &sec_id_reader, &v);
        if (r != 0)
                fail_msg("another uid's WATCH refused (%s): %d uids hold %d watches",
                         strerror(-r), UIDS, total);
        assert_int_equal(close(v), 0);
        assert_true(total < LIMIT);
        /* Under half of the pool, first come first served; past it, at least the floor while
         * any is free, and less than the uid asked for. */
        for (k = 0; k < UIDS; k++)
                if (k < LIMIT / 2 / CONNS)
                        assert_int_equal(got[k], CONNS);
                else
                        assert_in_range(got[k], WATCH_FLOOR, CONNS - 1);
        for (k = 0; k < UIDS; k++)
                for (i = 0; i < CONNS; i++)
                        assert_int_equal(close(conns[k][i]), 0);
        sec_finish();
}

/* One uid alone, with connections enough, holds at most half of the watches and one: the
 * 513th is taken with half of them in use, not more. */
static void test_watch_one_uid_half(void **state)
{
        enum { LIMIT = 1024 };
        struct harness_daemon *d = lc_start(watch_policy, false);
        static int fds[LIMIT / 2 + 2];
        size_t i;

        for (i = 0; i < LIMIT / 2 + 1; i++)
                assert_int_equal(watch_raw(d, &sec_id_reader, &fds[i]), 0);
        assert_int_equal(watch_raw(d, &sec_id_reader, &fds[i]), -EMFILE);
        for (i = 0; i < LIMIT / 2 + 2; i++)
                assert_int_equal(close(fds[i]), 0);
        sec_finish();
}

const struct CMUnitTest lc_tests_wait[] = {
        LC_TEST(test_wait_exists),
        LC_TEST(test_wait_appears),
        LC_TEST(test_wait_many),
        LC_TEST(test_wait_published),
        LC_TEST(test_wait_timeout),
        LC_TEST(test_wait_refused),
        LC_TEST(test_wait_huge_timeout),
        LC_TEST(test_wait_hangup),
        LC_TEST(test_watch_only_visible),
        LC_TEST(test_watch_overflow),
        LC_TEST(test_watch_request_busy),
        LC_TEST(test_watch_limit),
        LC_TEST(test_watch_fair_share),
        LC_TEST(test_watch_one_uid_half),
};
const size_t lc_n_tests_wait = ELEMENTSOF(lc_tests_wait);
