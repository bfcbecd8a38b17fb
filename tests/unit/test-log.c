/* SPDX-License-Identifier: MIT */
/*
 * test-log.c - unit tests of the per-uid log rate limiter (daemon/log.c: ratelimit_uid()),
 * with its clock injected (struct ratelimit.now), so that windows of LIMIT_LOG_INTERVAL_USEC
 * pass in no time and every boundary is hit to the microsecond.
 *
 * What shmbrokerd(8) promises: every uid gets LIMIT_LOG_BURST messages per interval; past
 * that, messages are dropped and the next allowed one learns how many were. The integration
 * test (test-security-dos.c, test_d76_log_flood) checks the same through the daemon's log.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "log.h"
#include "macro.h"

#define BURST LIMIT_LOG_BURST
#define INTERVAL ((uint64_t) LIMIT_LOG_INTERVAL_USEC)

/* The injected clock. Far from 0, as CLOCK_MONOTONIC is on a running system. */
#define T0 (UINT64_C(5000) * 1000000u)
static uint64_t fake_usec;

static uint64_t fake_now(void)
{
        return fake_usec;
}

static int setup(void **state)
{
        struct ratelimit *rl = calloc(1, sizeof(*rl));

        if (!rl)
                return -1;
        rl->now = fake_now;
        fake_usec = T0;
        *state = rl;
        return 0;
}

static int teardown(void **state)
{
        free(*state);
        return 0;
}

/* @n messages from @uid at the current time. Returns how many were allowed; the suppressed
 * count the first allowed one was given goes to *ret_first_suppressed (UINT_MAX if none was
 * allowed). Once one is refused, none after it in the same instant may be allowed. */
static unsigned send_n(struct ratelimit *rl, uid_t uid, unsigned n, unsigned *ret_first_suppressed)
{
        unsigned allowed = 0, i;
        bool refused = false;

        *ret_first_suppressed = UINT32_MAX;
        for (i = 0; i < n; i++) {
                unsigned suppressed = UINT32_MAX;

                if (!ratelimit_uid(rl, uid, &suppressed)) {
                        refused = true;
                        continue;
                }
                assert_false(refused);
                assert_int_not_equal(suppressed, UINT32_MAX);
                if (allowed == 0)
                        *ret_first_suppressed = suppressed;
                else
                        assert_int_equal(suppressed, 0); /* reported once, then reset */
                allowed++;
        }
        return allowed;
}

/* ------------------------------------------------------------------------------------------
 * One uid through several windows: a table of steps
 */

struct step {
        uint64_t at;                    /* µs after T0 */
        unsigned calls;
        unsigned allowed;
        unsigned first_suppressed;      /* what the first allowed call learns; UINT32_MAX: none */
};

static const struct step window_steps[] = {
        /* A burst, and 5 past it dropped. */
        { 0, BURST + 5, BURST, 0 },
        /* One microsecond before the interval is over: still the same window. */
        { INTERVAL - 1, 3, 0, UINT32_MAX },
        /* The interval is over: a new window, and the first line says 5 + 3 were dropped. */
        { INTERVAL, 1, 1, 8 },
        /* The rest of that window's burst, and 2 dropped. */
        { INTERVAL + 1, BURST + 1, BURST - 1, 0 },
        /* A long gap: the next window starts at the first message after it, not on a grid. */
        { 3 * INTERVAL + 7, 1, 1, 2 },
        { 4 * INTERVAL + 6, BURST + 10, BURST - 1, 0 },
        { 4 * INTERVAL + 7, 1, 1, 11 },
        /* Nothing dropped: nothing to report. */
        { 5 * INTERVAL + 7, BURST, BURST, 0 },
        { 6 * INTERVAL + 7, 1, 1, 0 },
};

static void test_windows(void **state)
{
        struct ratelimit *rl = *state;
        size_t i;

        for (i = 0; i < ELEMENTSOF(window_steps); i++) {
                const struct step *s = &window_steps[i];
                unsigned first, allowed;

                fake_usec = T0 + s->at;
                allowed = send_n(rl, 41004, s->calls, &first);
                if (allowed != s->allowed || first != s->first_suppressed)
                        fail_msg("step %zu (at +%llu us, %u calls): %u allowed, first told %u "
                                 "suppressed; expected %u and %u", i,
                                 (unsigned long long) s->at, s->calls, allowed, first,
                                 s->allowed, s->first_suppressed);
        }
}

/* ------------------------------------------------------------------------------------------
 * Per uid
 */

static void test_per_uid(void **state)
{
        struct ratelimit *rl = *state;
        unsigned first;

        /* 41004 floods; 41003 is not held back by it, and is told of nothing dropped. */
        assert_int_equal(send_n(rl, 41004, 3 * BURST, &first), BURST);
        assert_int_equal(send_n(rl, 41003, BURST + 1, &first), BURST);
        assert_int_equal(first, 0);
        assert_int_equal(send_n(rl, 0, 1, &first), 1);
        assert_int_equal(first, 0);

        /* Each learns its own count, once. */
        fake_usec += INTERVAL;
        assert_int_equal(send_n(rl, 41003, 1, &first), 1);
        assert_int_equal(first, 1);
        assert_int_equal(send_n(rl, 41004, 1, &first), 1);
        assert_int_equal(first, 2 * BURST);
        assert_int_equal(send_n(rl, 41004, 1, &first), 1);
        assert_int_equal(first, 0);
}

/* ------------------------------------------------------------------------------------------
 * A full table: the slot of the oldest window is the one reused
 */

static void test_table_full(void **state)
{
        struct ratelimit *rl = *state;
        unsigned first;
        uid_t uid;

        /* Uid 1 spends its burst and has one dropped; uids 2..LIMIT_LOG_UIDS log once each,
         * a microsecond apart: the table is full, and uid 1's window is the oldest. */
        assert_int_equal(send_n(rl, 1, BURST + 1, &first), BURST);
        for (uid = 2; uid <= LIMIT_LOG_UIDS; uid++) {
                fake_usec++;
                assert_int_equal(send_n(rl, uid, 1, &first), 1);
        }
        /* Still within every window: uid 1 stays held back while it has its slot. */
        fake_usec++;
        assert_int_equal(send_n(rl, 1, 1, &first), 0);

        /* A new uid takes uid 1's slot (the oldest window). */
        fake_usec++;
        assert_int_equal(send_n(rl, 1000, 1, &first), 1);
        assert_int_equal(first, 0);
        /* Uid 1 comes back as new, with a whole burst; its dropped count went with its slot
         * (lossy by design, log.h). It took the next oldest slot, uid 2's. */
        fake_usec++;
        assert_int_equal(send_n(rl, 1, BURST + 1, &first), BURST);
        assert_int_equal(first, 0);
        /* Uid 3 kept its slot: one message spent, BURST - 1 left. */
        assert_int_equal(send_n(rl, 3, BURST, &first), BURST - 1);
        /* And uid 1000 kept the one it took. */
        assert_int_equal(send_n(rl, 1000, BURST, &first), BURST - 1);
}

/* ------------------------------------------------------------------------------------------
 * Every uid is found again: the lookup starts at a slot picked by a hash of the uid and stops
 * at the first free slot, so a uid put anywhere else would be missed and get a fresh burst
 */

/* Uids far apart and close together, so that some meet at one slot. */
static uid_t spread_uid(size_t k)
{
        return (uid_t) (k % 2 ? 60000 + k : 7919 * k);
}

static void spend_all_then_held(struct ratelimit *rl, size_t n_uids)
{
        unsigned first;
        size_t k;

        for (k = 0; k < n_uids; k++)
                assert_int_equal(send_n(rl, spread_uid(k), BURST, &first), BURST);
        for (k = 0; k < n_uids; k++)
                if (send_n(rl, spread_uid(k), 1, &first) != 0)
                        fail_msg("uid %u of %zu was not found: a fresh burst",
                                 (unsigned) spread_uid(k), n_uids);
}

static void test_uids_found_half(void **state)
{
        spend_all_then_held(*state, LIMIT_LOG_UIDS / 2);
}

static void test_uids_found_full(void **state)
{
        spend_all_then_held(*state, LIMIT_LOG_UIDS);
}

/* ------------------------------------------------------------------------------------------
 * The real clock: a zero-initialised limiter (every limiter of the daemon is one), and the
 * log's own
 */

static void test_real_clock(void **state)
{
        struct ratelimit *rl = calloc(1, sizeof(*rl));
        unsigned first, i;

        assert_non_null(rl);
        assert_null(rl->now);
        /* Far less than LIMIT_LOG_INTERVAL_USEC passes here. */
        assert_int_equal(send_n(rl, 41004, BURST + 1, &first), BURST);
        assert_int_equal(first, 0);
        free(rl);

        /* The log's limiter: its own table, so 41004 starts afresh there. */
        for (i = 0; i < BURST; i++)
                assert_true(log_ratelimit_uid(41004));
        assert_false(log_ratelimit_uid(41004));
}

/* A line leaves log_internal() as one line of printable ASCII, whatever a client put in it. */
static void test_line_escaped(void **state)
{
        int pipefd[2], saved;
        char out[512];
        ssize_t n;

        assert_int_equal(pipe(pipefd), 0);
        saved = dup(STDERR_FILENO);
        assert_true(saved >= 0);
        assert_int_equal(dup2(pipefd[1], STDERR_FILENO), STDERR_FILENO);
        log_info("Object '%s' removed.", "a\nb\x1b[2J\xe2\x80\xae" "c\xc3\xa9");
        (void) fflush(stderr);
        assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
        assert_int_equal(close(saved), 0);
        assert_int_equal(close(pipefd[1]), 0);
        n = read(pipefd[0], out, sizeof(out) - 1);
        assert_int_equal(close(pipefd[0]), 0);
        assert_true(n > 0);
        out[n] = '\0';
        assert_string_equal(out, "<6>Object 'a\\x0ab\\x1b[2J\\xe2\\x80\\xae" "c\\xc3\\xa9' "
                                 "removed.\n");
}

/* log_name(): escaped, quotes included, and LOG_NAME_BUFS results valid at once. */
static void test_log_name(void **state)
{
        const char *a = log_name("a'b"), *b = log_name("c\\d"), *c = log_name("e\xc2\x9b");
        const char *d = log_name("plain");

        assert_string_equal(a, "a\\x27b");
        assert_string_equal(b, "c\\x5cd");
        assert_string_equal(c, "e\\xc2\\x9b");
        assert_string_equal(d, "plain");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_windows, setup, teardown),
                cmocka_unit_test_setup_teardown(test_per_uid, setup, teardown),
                cmocka_unit_test_setup_teardown(test_table_full, setup, teardown),
                cmocka_unit_test_setup_teardown(test_uids_found_half, setup, teardown),
                cmocka_unit_test_setup_teardown(test_uids_found_full, setup, teardown),
                cmocka_unit_test(test_real_clock),
                cmocka_unit_test(test_line_escaped),
                cmocka_unit_test(test_log_name),
        };

        return cmocka_run_group_tests_name("log rate limit", tests, NULL, NULL);
}
