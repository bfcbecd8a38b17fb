/* SPDX-License-Identifier: MIT */
/*
 * test-fdpass.c - unit tests of fdpass_close_all() (daemon/fdpass.c): every fd of the array is
 * closed and set to -1, in any order and with holes; consecutive numbers go in one
 * close_range(2), and an fd whose number lies inside such a range but that is not in the array
 * stays open.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include "fdpass.h"
#include "macro.h"

static bool is_open(int fd)
{
        return fcntl(fd, F_GETFD) >= 0;
}

/* @n fds numbered from 200 up (free: the test opens no others), 200 returned. */
static int open_run(int n)
{
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC), i;

        assert_true(null >= 0);
        for (i = 0; i < n; i++)
                assert_int_equal(dup3(null, 200 + i, O_CLOEXEC), 200 + i);
        assert_int_equal(close(null), 0);
        return 200;
}

static void test_runs_and_gaps(void **state)
{
        int first = open_run(8);
        /* first + 3 is left out, and listed: -1, a lone fd, two runs, out of order. */
        int fds[] = { first + 6, -1, first + 1, first + 0, first + 7, first + 4, first + 2,
                      first + 5 };
        size_t i;

        fdpass_close_all(fds, ELEMENTSOF(fds));
        for (i = 0; i < ELEMENTSOF(fds); i++)
                assert_int_equal(fds[i], -1);
        for (i = 0; i < 8; i++)
                assert_int_equal(is_open(first + (int) i), i == 3);
        assert_int_equal(close(first + 3), 0);
}

static void test_one_and_none(void **state)
{
        int fd = open_run(1), none[1] = { -1 };

        fdpass_close_all(&fd, 1);
        assert_int_equal(fd, -1);
        fdpass_close_all(none, 1);
        fdpass_close_all(NULL, 0);
        assert_int_equal(none[0], -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_runs_and_gaps),
                cmocka_unit_test(test_one_and_none),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
