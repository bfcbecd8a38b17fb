/* SPDX-License-Identifier: MIT */
/*
 * test-preload.c - unit tests of the pure half of libshmbroker-preload.so
 * (client/preload-util.c): names and flags read as glibc's shm_open(3) reads them, the errno
 * values a program is told, and the table of segments created unsized. The shim against a
 * real broker is tests/integration/test-preload.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "macro.h"
#include "preload.h"

static void test_name(void **state)
{
        char long_name[NAME_MAX + PRELOAD_GLIBC_NAME_SLACK + 3], slash_long[300];
        static const struct {
                const char *in;
                enum preload_name_verdict v;
                const char *out;
        } cases[] = {
                { "x", PRELOAD_NAME_OK, "x" },
                { "/x", PRELOAD_NAME_OK, "x" },
                { "//x", PRELOAD_NAME_OK, "x" },        /* glibc drops every leading '/' */
                { "///psm_1234", PRELOAD_NAME_OK, "psm_1234" },
                { "", PRELOAD_NAME_INVALID, NULL },
                { "/", PRELOAD_NAME_INVALID, NULL },
                { "///", PRELOAD_NAME_INVALID, NULL },
                { "a/b", PRELOAD_NAME_INVALID, NULL },
                { "/a/", PRELOAD_NAME_INVALID, NULL },
                { ".", PRELOAD_NAME_OK, "." },          /* left to the broker (EINVAL there) */
                { "a\nb", PRELOAD_NAME_OK, "a\nb" },    /* as is glibc; the broker refuses */
        };
        const char *out;
        size_t i, len;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                out = NULL;
                if (preload_name(cases[i].in, &out) != cases[i].v)
                        fail_msg("'%s': want %d", cases[i].in, cases[i].v);
                if (cases[i].out && strcmp(out, cases[i].out) != 0)
                        fail_msg("'%s': got '%s', want '%s'", cases[i].in, out, cases[i].out);
        }
        assert_int_equal(preload_name(NULL, &out), PRELOAD_NAME_INVALID);

        /* 255 bytes are a name; 256 to 259 reach the kernel; longer ones glibc refuses. */
        memset(long_name, 'n', sizeof(long_name));
        long_name[0] = '/';
        for (len = 250; len <= NAME_MAX + PRELOAD_GLIBC_NAME_SLACK + 1; len++) {
                enum preload_name_verdict want = len <= SHMB_NAME_MAX ? PRELOAD_NAME_OK :
                        len <= 259 ? PRELOAD_NAME_TOO_LONG : PRELOAD_NAME_OVERLONG;

                long_name[len + 1] = '\0';
                if (preload_name(long_name, &out) != want)
                        fail_msg("%zu bytes: want %d", len, want);
                long_name[len + 1] = 'n';
        }
        /* glibc's order: a '/' inside makes even a long name invalid. */
        memset(slash_long, 'n', sizeof(slash_long));
        slash_long[100] = '/';
        slash_long[sizeof(slash_long) - 1] = '\0';
        assert_int_equal(preload_name(slash_long, &out), PRELOAD_NAME_INVALID);
}

static void test_name_errno(void **state)
{
        const struct preload_glibc old = PRELOAD_GLIBC_DEFAULTS;
        const struct preload_glibc other = { EINVAL, EINVAL, ENAMETOOLONG, ENAMETOOLONG };

        assert_int_equal(preload_name_errno(PRELOAD_NAME_INVALID, &old, false), EINVAL);
        assert_int_equal(preload_name_errno(PRELOAD_NAME_INVALID, &old, true), ENOENT);
        assert_int_equal(preload_name_errno(PRELOAD_NAME_OVERLONG, &old, false), EINVAL);
        assert_int_equal(preload_name_errno(PRELOAD_NAME_OVERLONG, &old, true), ENOENT);
        assert_int_equal(preload_name_errno(PRELOAD_NAME_TOO_LONG, &old, false), ENAMETOOLONG);
        assert_int_equal(preload_name_errno(PRELOAD_NAME_TOO_LONG, &old, true), ENAMETOOLONG);
        assert_int_equal(preload_name_errno(PRELOAD_NAME_INVALID, &other, true), EINVAL);
        assert_int_equal(preload_name_errno(PRELOAD_NAME_OVERLONG, &other, true), ENAMETOOLONG);
        assert_int_equal(preload_name_errno(PRELOAD_NAME_OK, &old, false), 0);
}

static void test_access(void **state)
{
        int a = -1;

        assert_int_equal(preload_access(O_RDONLY, &a), 0);
        assert_int_equal(a, SHMB_ACCESS_RDONLY);
        assert_int_equal(preload_access(O_RDWR | O_CREAT | O_EXCL | O_TRUNC, &a), 0);
        assert_int_equal(a, SHMB_ACCESS_RDWR);
        assert_int_equal(preload_access(O_RDONLY | O_CREAT, &a), 0);
        assert_int_equal(a, SHMB_ACCESS_RDONLY);
        assert_int_equal(preload_access(O_WRONLY, &a), -EINVAL);
        assert_int_equal(preload_access(O_ACCMODE, &a), -EINVAL);
}

static void test_errno(void **state)
{
        static const struct {
                int r, open, unlink, resize;
        } cases[] = {
                { -EACCES, EACCES, EACCES, EIO },
                { -ENOENT, ENOENT, ENOENT, EIO },
                { -EEXIST, EEXIST, EEXIST, EIO },
                { -EINVAL, EINVAL, EINVAL, EINVAL },
                { -ENAMETOOLONG, ENAMETOOLONG, ENAMETOOLONG, EIO },
                { -EPERM, EACCES, EACCES, EPERM },
                { -EDQUOT, EDQUOT, EDQUOT, EDQUOT },
                { -ENOSPC, ENOSPC, ENOSPC, ENOSPC },
                { -EFBIG, EIO, EIO, EFBIG },
                { -ENOMEM, ENOMEM, ENOMEM, ENOMEM },
                { -EOPNOTSUPP, ENOSYS, ENOSYS, EIO },
                { -EPROTONOSUPPORT, ENOSYS, ENOSYS, EIO },
                { -ECONNRESET, EIO, EIO, EIO },
                { -EPIPE, EIO, EIO, EIO },
                { -ETIMEDOUT, EIO, EIO, EIO },
                { -EPROTO, EIO, EIO, EIO },
                { -ENOTCONN, EIO, EIO, EIO },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                if (preload_errno_open(cases[i].r) != cases[i].open)
                        fail_msg("open %s: got %d", strerror(-cases[i].r),
                                 preload_errno_open(cases[i].r));
                if (preload_errno_unlink(cases[i].r) != cases[i].unlink)
                        fail_msg("unlink %s", strerror(-cases[i].r));
                if (preload_errno_resize(cases[i].r) != cases[i].resize)
                        fail_msg("resize %s", strerror(-cases[i].r));
        }
}

static void test_conn(void **state)
{
        assert_true(preload_conn_error(-ECONNRESET));
        assert_true(preload_conn_error(-EPIPE));
        assert_true(preload_conn_error(-EPROTO));
        assert_true(preload_conn_error(-ENOTCONN));
        assert_false(preload_conn_error(-ENOENT));
        assert_false(preload_conn_error(-EACCES));
        assert_false(preload_conn_error(-EEXIST));

        /* Sent again only when it cannot have arrived. */
        assert_true(preload_conn_retry(-EPIPE));
        assert_true(preload_conn_retry(-ENOTCONN));
        assert_false(preload_conn_retry(-ECONNRESET));
        assert_false(preload_conn_retry(-ETIMEDOUT));

        assert_true(preload_unreachable(-ENOENT));
        assert_true(preload_unreachable(-ECONNREFUSED));
        assert_false(preload_unreachable(-EACCES));
}

static void test_fresh(void **state)
{
        struct preload_fresh_table t = {};
        struct preload_fresh *e;
        char name[16];
        size_t i;

        assert_int_equal(preload_fresh_add(&t, 5, 1, 100, "a"), 0);
        assert_int_equal(preload_fresh_add(&t, 6, 1, 101, "b"), 0);
        assert_int_equal(t.n, 2);
        e = preload_fresh_find(&t, 1, 101);
        assert_non_null(e);
        assert_string_equal(e->name, "b");
        assert_null(preload_fresh_find(&t, 2, 101));

        /* The same file again replaces its entry. */
        assert_int_equal(preload_fresh_add(&t, 7, 1, 101, "b2"), 0);
        assert_int_equal(t.n, 2);
        assert_string_equal(preload_fresh_find(&t, 1, 101)->name, "b2");

        preload_fresh_remove(&t, preload_fresh_find(&t, 1, 100));
        assert_int_equal(t.n, 1);
        assert_non_null(preload_fresh_find(&t, 1, 101));

        /* Unlinked by name: every entry of it goes. */
        assert_int_equal(preload_fresh_add(&t, 8, 1, 102, "b2"), 0);
        assert_int_equal(preload_fresh_remove_name(&t, "b2"), 2);
        assert_int_equal(t.n, 0);

        /* Full: the oldest goes. */
        for (i = 0; i < PRELOAD_FRESH_MAX + 1; i++) {
                snprintf(name, sizeof(name), "n%zu", i);
                assert_int_equal(preload_fresh_add(&t, (int) i, 1, 1000 + i, name), 0);
        }
        assert_int_equal(t.n, PRELOAD_FRESH_MAX);
        assert_null(preload_fresh_find(&t, 1, 1000));
        assert_non_null(preload_fresh_find(&t, 1, 1001));
        assert_non_null(preload_fresh_find(&t, 1, 1000 + PRELOAD_FRESH_MAX));
}

static bool odd_fd(const struct preload_fresh *e)
{
        return e->fd % 2 == 1;
}

static void test_fresh_sweep(void **state)
{
        struct preload_fresh_table t = {};
        char long_name[SHMB_NAME_MAX + 2];
        int i;

        for (i = 0; i < 10; i++)
                assert_int_equal(preload_fresh_add(&t, i, 1, (ino_t) i, "x"), 0);
        assert_int_equal(preload_fresh_sweep(&t, odd_fd), 5);
        assert_int_equal(t.n, 5);
        for (i = 0; i < 10; i++)
                assert_true(!!preload_fresh_find(&t, 1, (ino_t) i) == (i % 2 == 0));

        memset(long_name, 'x', sizeof(long_name) - 1);
        long_name[sizeof(long_name) - 1] = '\0';
        assert_int_equal(preload_fresh_add(&t, 1, 1, 99, long_name), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_name),
                cmocka_unit_test(test_name_errno),
                cmocka_unit_test(test_access),
                cmocka_unit_test(test_errno),
                cmocka_unit_test(test_conn),
                cmocka_unit_test(test_fresh),
                cmocka_unit_test(test_fresh_sweep),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
