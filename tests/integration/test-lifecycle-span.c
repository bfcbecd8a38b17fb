/* SPDX-License-Identifier: MIT */
/*
 * test-lifecycle-span.c - span lifetimes: an object is removed that long after its last open
 * through the broker (CLOCK_BOOTTIME, checked once a second), never before, and within a tick
 * or two after; an open pushes the deadline, a stat does not; after a restart an object counts
 * as opened up to span/16 later than journalled, never earlier.
 *
 * Every case runs the daemon under the fake clock (lc_start(.., true)) and moves it by hours
 * at once. "Just before the deadline" is checked with lc_advance_ticked(): a sentinel with a
 * shorter span is removed by a tick that ran after the move, and that same tick looked at the
 * object, which must still be there.
 */
#include <errno.h>
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

/* How close to a deadline "just before" is: the real time a case may take between its create
 * and the tick that checks it, with room for a slow machine. */
#define MARGIN (5 * LC_SEC)

static void create_span(const struct harness_daemon *d, const char *name, uint64_t span)
{
        assert_int_equal(lc_create(d, &sec_id_creator, name, 4096, SHMB_LIFETIME_SPAN, span,
                                   NULL), 0);
}

static void open_as_reader(const struct harness_daemon *d, const char *name)
{
        int fd = -1;

        assert_int_equal(sec_open(d, &sec_id_reader, name, SHMB_ACCESS_RDONLY, &fd), 0);
        assert_int_equal(close(fd), 0);
}

static void expect_there(const struct harness_daemon *d, const char *name, const char *when)
{
        if (!lc_exists(d, name))
                fail_msg("'%s' was removed %s", name, when);
}

/* Not before its deadline; within a bounded delay after it; removed the normal way. */
static void test_span_deadline(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, true);
        unsigned ms;
        size_t mark;

        create_span(d, "span-a", LC_HOUR);
        lc_advance_ticked(d, LC_HOUR - MARGIN);
        expect_there(d, "span-a", "before its deadline (an hour less 5 s after its create)");
        {
                uint64_t objects, bytes;

                sec_usage(d, sec_id_creator.uid, &objects, &bytes);
                assert_int_equal(objects, 1);
                assert_int_equal(bytes, 4096);
        }
        mark = harness_daemon_log_mark(d);
        lc_advance(2 * MARGIN);
        ms = lc_wait_gone(d, "span-a", LC_REMOVAL_MS);
        print_message("removed %u ms after its deadline passed\n", ms);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        lc_expect_log(d, mark, "Object 'span-a' of uid 41001 removed", "lifetime ended", 1000);
        lc_expect_log(d, mark, "audit: uid=41001", "expire 'span-a'", 1000);
        sec_finish();
}

/*
 * Past its deadline, before a tick has removed it, an object is not opened, nor sized, nor
 * published: RESIZE and PUBLISH answer as for a name without an object, as OPEN does. Found by
 * a review: those two did not look at the lifetime. (Should the tick come first, the object is
 * gone and the answer is the same.)
 */
static void test_span_over_not_sized_nor_published(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, true);
        struct shmb_client *c;

        assert_int_equal(lc_create(d, &sec_id_creator, "span-fresh", 0, SHMB_LIFETIME_SPAN,
                                   LC_HOUR, NULL), 0);
        create_span(d, "span-pub", LC_HOUR);
        lc_advance(LC_HOUR + MARGIN);
        c = sec_client(d, &sec_id_creator);
        assert_int_equal(shmb_resize(c, "span-fresh", 4096), -ENOENT);
        assert_int_equal(shmb_publish(c, "span-pub", SHMB_PUBLISH_SEAL), -ENOENT);
        shmb_client_free(c);
        (void) lc_wait_gone(d, "span-fresh", LC_REMOVAL_MS);
        (void) lc_wait_gone(d, "span-pub", LC_REMOVAL_MS);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        sec_finish();
}

/*
 * The expiry line carries the client's object name escaped, as the audit record does: an RLO
 * and a quote made it read as if another object, of uid 0, was removed. Found by a review:
 * the name went to the log raw. Every line is now printable ASCII (log_internal()), and this
 * one escapes the quote too (log_escape()).
 */
static void test_span_expire_line_escapes_name(void **state)
{
        static const char name[] = "span-\xe2\x80\xae" "0 diu fo 'toor";
        struct harness_daemon *d = lc_start(lc_policy, true);
        size_t mark;

        create_span(d, name, LC_HOUR);
        mark = harness_daemon_log_mark(d);
        lc_advance(LC_HOUR + MARGIN);
        (void) lc_wait_gone(d, name, LC_REMOVAL_MS);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        sec_expect_log(d, mark, "\xe2\x80\xae", NULL, 0, 0);
        lc_expect_log(d, mark, "Object 'span-\\xe2\\x80\\xae0 diu fo \\x27toor' of uid 41001 "
                      "removed", "lifetime ended", 1000);
        sec_finish();
}

/* An open (OPEN and OPEN_BATCH, read-only or not) pushes the deadline; a STAT does not. */
static void test_span_open_pushes(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, true);
        struct shmb_open_req req = { .name = "span-batch", .access = SHMB_ACCESS_RDONLY };
        struct shmb_client *c;
        struct shmb_stat st;
        int fd = -1;

        create_span(d, "span-open", LC_HOUR);
        create_span(d, "span-batch", LC_HOUR);
        create_span(d, "span-rw", LC_HOUR);
        create_span(d, "span-stat", LC_HOUR);
        lc_advance_ticked(d, LC_HOUR - MARGIN);
        expect_there(d, "span-open", "before its deadline");

        open_as_reader(d, "span-open");
        c = sec_client(d, &sec_id_reader);
        assert_int_equal(shmb_open_batch(c, &req, 1), 1);
        assert_int_equal(close(req.fd), 0);
        shmb_client_free(c);
        assert_int_equal(sec_open(d, &sec_id_writer, "span-rw", SHMB_ACCESS_RDWR, &fd), 0);
        assert_int_equal(close(fd), 0);
        c = sec_client(d, &sec_id_reader);
        assert_int_equal(shmb_stat(c, "span-stat", &st), 0);
        shmb_client_free(c);

        /* Past the first deadlines by two minutes. */
        lc_advance_ticked(d, 2 * MARGIN + 2 * LC_MIN);
        expect_there(d, "span-open", "at its first deadline although opened since");
        expect_there(d, "span-batch", "at its first deadline although opened (batch) since");
        expect_there(d, "span-rw", "at its first deadline although opened since");
        (void) lc_wait_gone(d, "span-stat", LC_REMOVAL_MS);

        /* An hour after the opens. */
        lc_advance(LC_HOUR);
        (void) lc_wait_gone(d, "span-open", LC_REMOVAL_MS);
        (void) lc_wait_gone(d, "span-batch", LC_REMOVAL_MS);
        (void) lc_wait_gone(d, "span-rw", LC_REMOVAL_MS);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        sec_finish();
}

/*
 * A restart in between: a span of 1600 s journals its last open at most every 100 s (span/16),
 * so after a restart it counts as opened up to 100 s later than it was, never earlier.
 * Opened at 1000 s (journalled) and at 1050 s (not): the real deadline is 2650 s; after the
 * restart it must still be there 5 s before it, and gone soon after 2700 s.
 */
static void span_restart(bool kill)
{
        enum { SPAN_S = 1600, SLACK_S = SPAN_S / 16 };
        struct harness_daemon *d = lc_start(lc_policy, true);

        create_span(d, "life-r", (uint64_t) SPAN_S * LC_SEC);
        /* An untouched one of an hour, restarted half way. */
        create_span(d, "span-h", LC_HOUR);
        lc_advance(1000 * LC_SEC);
        open_as_reader(d, "life-r");
        lc_advance(50 * LC_SEC);
        open_as_reader(d, "life-r");
        lc_advance(LC_SEC);
        d = lc_restart(lc_policy, kill);

        /* Now 1051 s. life-r's real deadline is 2650 s; the latest it may count from after
         * the restart is 1000 + 100 + 1600 = 2700 s. span-h's are 3600 s and 3825 s. */
        lc_advance_ticked(d, (2650 - 1051) * LC_SEC - MARGIN);
        expect_there(d, "life-r", "before its deadline, after a restart");
        lc_advance(2 * MARGIN + (uint64_t) SLACK_S * LC_SEC);
        (void) lc_wait_gone(d, "life-r", LC_REMOVAL_MS);
        /* Now 2755 s. */
        lc_advance_ticked(d, (3600 - 2755) * LC_SEC - MARGIN);
        expect_there(d, "span-h", "before its deadline, after a restart");
        lc_advance(2 * MARGIN + LC_HOUR / 16);
        (void) lc_wait_gone(d, "span-h", LC_REMOVAL_MS);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        sec_finish();
}

static void test_span_restart_sigterm(void **state)
{
        span_restart(false);
}

static void test_span_restart_sigkill(void **state)
{
        span_restart(true);
}

/*
 * The deadline passes while the daemon is down: removed at its first tick after the start, and
 * not opened before it. The old daemon handed it out until that tick (a second after the
 * start), and the open started its span again.
 */
static void test_span_expired_while_down(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, true);
        int fd = -1;

        create_span(d, "span-down", 2 * LC_MIN);
        create_span(d, "span-stays", LC_HOUR);
        lc_kill_daemon();
        lc_advance(10 * LC_MIN);
        d = lc_start_again(lc_policy);
        assert_int_equal(sec_open(d, &sec_id_reader, "span-down", SHMB_ACCESS_RDONLY, &fd),
                         -ENOENT);
        assert_int_equal(fd, -1);
        open_as_reader(d, "span-stays");
        (void) lc_wait_gone(d, "span-down", LC_REMOVAL_MS);
        expect_there(d, "span-stays", "10 minutes into its hour");
        assert_int_equal(sec_unlink(d, &sec_id_creator, "span-stays"), 0);
        sec_finish();
}

/* A thousand short spans end in one go; every charge comes back. */
static void test_span_many(void **state)
{
        enum { N = 1000 };
        struct harness_daemon *d = lc_start(lc_policy, true);
        struct shmb_client *c = sec_client(d, &sec_id_creator);
        struct shmb_status *s;
        uint64_t objects, bytes;
        unsigned i;

        for (i = 0; i < N; i++) {
                char name[32];

                snprintf(name, sizeof(name), "%s-%04u", i % 2 ? "span" : "lifem", i);
                assert_int_equal(shmb_create2(c, name, 4096, SHMB_ACCESS_NONE,
                                              &(struct shmb_create_opts) {
                                                      .lifetime = SHMB_LIFETIME_SPAN,
                                                      .lifetime_usec = 2 * LC_MIN,
                                              }, NULL, NULL), 0);
        }
        shmb_client_free(c);
        sec_usage(d, sec_id_creator.uid, &objects, &bytes);
        assert_int_equal(objects, N);
        assert_int_equal(bytes, (uint64_t) N * 4096);
        lc_advance(2 * LC_MIN + MARGIN);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, 2 * LC_REMOVAL_MS);
        s = sec_status(d);
        assert_int_equal(s->n_objects, 0);
        shmb_status_free(s);
        sec_finish();
}

const struct CMUnitTest lc_tests_span[] = {
        LC_TEST(test_span_deadline),
        LC_TEST(test_span_open_pushes),
        LC_TEST(test_span_over_not_sized_nor_published),
        LC_TEST(test_span_expire_line_escapes_name),
        LC_TEST(test_span_restart_sigterm),
        LC_TEST(test_span_restart_sigkill),
        LC_TEST(test_span_expired_while_down),
        LC_TEST(test_span_many),
};
const size_t lc_n_tests_span = ELEMENTSOF(lc_tests_span);
