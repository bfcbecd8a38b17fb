/* SPDX-License-Identifier: MIT */
/*
 * test-fdcache.c - unit tests of kept fds (daemon/fdcache.c).
 *
 * Lookups by object and access; the least recently used slot goes first; the daemon's and each
 * uid's budgets; an object's kept fds closed in every cache at once; fds lent to a reply
 * outliving their slot until the release, and only those; no fd leaked (fds counted before and
 * after).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fdcache.h"
#include "macro.h"
#include "object.h"
#include "protocol.h"

#define RO SHMB_PROTO_ACCESS_RDONLY
#define RW SHMB_PROTO_ACCESS_RDWR

static int count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int n = 0;

        assert_non_null(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n - 1; /* the directory's own fd */
}

static bool fd_open(int fd)
{
        return fcntl(fd, F_GETFD) >= 0;
}

static int new_fd(void)
{
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        assert_true(fd >= 0);
        return fd;
}

struct fixture {
        struct user_table users;
        struct user *u1, *u2;
        struct fdcache_budget budget;
        struct object *o[FDCACHE_SLOTS + 4];
        int fds_before;
};

static int setup(void **state)
{
        struct identity creator = { .uid = 1000 };
        struct fixture *f = calloc(1, sizeof(*f));
        size_t i;

        assert_non_null(f);
        f->fds_before = count_fds();
        assert_int_equal(user_table_init(&f->users), 0);
        f->u1 = user_get(&f->users, 1001);
        f->u2 = user_get(&f->users, 1002);
        fdcache_budget_init(&f->budget, 1024);
        for (i = 0; i < ELEMENTSOF(f->o); i++) {
                char name[32];

                snprintf(name, sizeof(name), "o%zu", i);
                assert_int_equal(object_new(name, POLICY_BACKEND_SHM, &creator, 4096, &f->o[i]),
                                 0);
        }
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        size_t i;

        for (i = 0; i < ELEMENTSOF(f->o); i++)
                object_free(f->o[i]);
        assert_int_equal(f->budget.n, 0);
        assert_int_equal(f->u1->used[USER_SLOT_KEPT_FDS], 0);
        assert_int_equal(f->u2->used[USER_SLOT_KEPT_FDS], 0);
        user_unref(f->u1);
        user_unref(f->u2);
        user_table_deinit(&f->users);
        assert_int_equal(count_fds(), f->fds_before);
        free(f);
        return 0;
}

static void test_get_keep(void **state)
{
        struct fixture *f = *state;
        struct fdcache c;
        int ro = new_fd(), rw = new_fd();

        fdcache_init(&c, &f->budget, f->u1);
        assert_int_equal(fdcache_get(&c, f->o[0], RO), -ENOENT);
        assert_int_equal(fdcache_keep(&c, f->o[0], RO, ro), 0);
        assert_int_equal(fdcache_keep(&c, f->o[0], RW, rw), 0);
        /* By object and access. */
        assert_int_equal(fdcache_get(&c, f->o[0], RO), ro);
        assert_int_equal(fdcache_get(&c, f->o[0], RW), rw);
        assert_int_equal(fdcache_get(&c, f->o[1], RO), -ENOENT);
        assert_int_equal(f->budget.n, 2);
        assert_int_equal(f->u1->used[USER_SLOT_KEPT_FDS], 2);
        fdcache_deinit(&c);
        assert_false(fd_open(ro));
        assert_false(fd_open(rw));
        assert_int_equal(f->budget.n, 0);
}

static void test_lru(void **state)
{
        struct fixture *f = *state;
        int fds[FDCACHE_SLOTS + 1];
        struct fdcache c;
        size_t i;

        fdcache_init(&c, &f->budget, f->u1);
        for (i = 0; i < FDCACHE_SLOTS; i++) {
                fds[i] = new_fd();
                assert_int_equal(fdcache_keep(&c, f->o[i], RW, fds[i]), 0);
        }
        /* o[0] used again: o[1] is now the least recently used, and goes. */
        assert_int_equal(fdcache_get(&c, f->o[0], RW), fds[0]);
        fds[FDCACHE_SLOTS] = new_fd();
        assert_int_equal(fdcache_keep(&c, f->o[FDCACHE_SLOTS], RW, fds[FDCACHE_SLOTS]), 0);
        assert_int_equal(fdcache_get(&c, f->o[1], RW), -ENOENT);
        assert_false(fd_open(fds[1]));
        assert_int_equal(fdcache_get(&c, f->o[0], RW), fds[0]);
        assert_int_equal(fdcache_get(&c, f->o[FDCACHE_SLOTS], RW), fds[FDCACHE_SLOTS]);
        assert_int_equal(c.n, FDCACHE_SLOTS);
        assert_int_equal(f->budget.n, FDCACHE_SLOTS);
        fdcache_deinit(&c);
}

static void test_budgets(void **state)
{
        struct fixture *f = *state;
        struct fdcache a, b, other;
        int fd;

        /* 20 in all; each uid at most FDCACHE_SLOTS (20 / 8 is less). */
        fdcache_budget_init(&f->budget, 20);
        assert_int_equal(f->budget.per_uid_max, FDCACHE_SLOTS);
        fdcache_init(&a, &f->budget, f->u1);
        fdcache_init(&b, &f->budget, f->u1);
        fdcache_init(&other, &f->budget, f->u2);
        for (size_t i = 0; i < 10; i++) {
                assert_int_equal(fdcache_keep(&a, f->o[i], RW, new_fd()), 0);
        }
        for (size_t i = 0; i < 6; i++)
                assert_int_equal(fdcache_keep(&b, f->o[i], RO, new_fd()), 0);
        /* The uid has 16: its next is not kept, and stays the caller's. */
        fd = new_fd();
        assert_int_equal(fdcache_keep(&b, f->o[6], RO, fd), -ENOSPC);
        assert_true(fd_open(fd));
        /* Another uid may: 4 more, then the daemon's 20 are all taken. */
        for (size_t i = 0; i < 4; i++)
                assert_int_equal(fdcache_keep(&other, f->o[i], RW, new_fd()), 0);
        assert_int_equal(fdcache_keep(&other, f->o[4], RW, fd), -ENOSPC);
        assert_true(fd_open(fd));
        /* Room again once a connection goes. */
        fdcache_deinit(&a);
        assert_int_equal(fdcache_keep(&other, f->o[4], RW, fd), 0);
        assert_int_equal(f->u1->used[USER_SLOT_KEPT_FDS], 6);
        assert_int_equal(f->u2->used[USER_SLOT_KEPT_FDS], 5);
        fdcache_deinit(&b);
        fdcache_deinit(&other);

        /* 0: nothing is kept. */
        fdcache_budget_init(&f->budget, 0);
        fdcache_init(&a, &f->budget, f->u1);
        assert_int_equal(fdcache_keep(&a, f->o[0], RW, fd), -ENOSPC);
        fdcache_deinit(&a);
        safe_close(fd);
}

static void test_forget_object(void **state)
{
        struct fixture *f = *state;
        int a_ro = new_fd(), a_rw = new_fd(), b_rw = new_fd(), b_o1 = new_fd();
        struct fdcache a, b;

        fdcache_init(&a, &f->budget, f->u1);
        fdcache_init(&b, &f->budget, f->u2);
        assert_int_equal(fdcache_keep(&a, f->o[0], RO, a_ro), 0);
        assert_int_equal(fdcache_keep(&a, f->o[0], RW, a_rw), 0);
        assert_int_equal(fdcache_keep(&b, f->o[0], RW, b_rw), 0);
        assert_int_equal(fdcache_keep(&b, f->o[1], RW, b_o1), 0);
        /* In every cache, every access; nothing else. */
        object_drop_kept(f->o[0]);
        assert_false(fd_open(a_ro));
        assert_false(fd_open(a_rw));
        assert_false(fd_open(b_rw));
        assert_int_equal(fdcache_get(&a, f->o[0], RO), -ENOENT);
        assert_int_equal(fdcache_get(&b, f->o[0], RW), -ENOENT);
        assert_int_equal(fdcache_get(&b, f->o[1], RW), b_o1);
        assert_int_equal(f->budget.n, 1);
        /* Kept again after, as any other. */
        a_rw = new_fd();
        assert_int_equal(fdcache_keep(&a, f->o[0], RW, a_rw), 0);
        assert_int_equal(fdcache_get(&a, f->o[0], RW), a_rw);
        /* Freeing an object drops what is kept of it. */
        object_free(f->o[1]);
        f->o[1] = NULL;
        assert_false(fd_open(b_o1));
        assert_int_equal(b.n, 0);
        fdcache_deinit(&a);
        fdcache_deinit(&b);
}

/* A reply carries lent fds: they outlive their slots until the release; the others do not. */
static void test_hold(void **state)
{
        struct fixture *f = *state;
        int lent = new_fd(), idle = new_fd(), fds[FDCACHE_SLOTS];
        struct fdcache c;
        size_t i;

        fdcache_init(&c, &f->budget, f->u1);
        assert_int_equal(fdcache_keep(&c, f->o[0], RW, lent), 0);
        assert_int_equal(fdcache_keep(&c, f->o[1], RW, idle), 0);
        fdcache_hold(&c);
        assert_int_equal(fdcache_get(&c, f->o[0], RW), lent);
        object_drop_kept(f->o[0]);
        object_drop_kept(f->o[1]);
        assert_true(fd_open(lent));
        assert_false(fd_open(idle));
        assert_int_equal(fdcache_get(&c, f->o[0], RW), -ENOENT);
        fdcache_release(&c);
        assert_false(fd_open(lent));

        /* A full batch of new objects while held, each kept (lent) and then dropped: every one
         * stays open until the release. */
        fdcache_hold(&c);
        for (i = 0; i < FDCACHE_SLOTS; i++) {
                fds[i] = new_fd();
                assert_int_equal(fdcache_keep(&c, f->o[i], RO, fds[i]), 0);
        }
        for (i = 0; i < FDCACHE_SLOTS; i++)
                object_drop_kept(f->o[i]);
        for (i = 0; i < FDCACHE_SLOTS; i++)
                assert_true(fd_open(fds[i]));
        assert_int_equal(c.n, 0);
        fdcache_release(&c);
        for (i = 0; i < FDCACHE_SLOTS; i++)
                assert_false(fd_open(fds[i]));

        /* Lent and then released: an ordinary kept fd again, closed at once when dropped. */
        lent = new_fd();
        fdcache_hold(&c);
        assert_int_equal(fdcache_keep(&c, f->o[2], RW, lent), 0);
        fdcache_release(&c);
        object_drop_kept(f->o[2]);
        assert_false(fd_open(lent));
        fdcache_deinit(&c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_get_keep, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lru, setup, teardown),
                cmocka_unit_test_setup_teardown(test_budgets, setup, teardown),
                cmocka_unit_test_setup_teardown(test_forget_object, setup, teardown),
                cmocka_unit_test_setup_teardown(test_hold, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
