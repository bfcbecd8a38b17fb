/* SPDX-License-Identifier: MIT */
/*
 * test-user.c - unit tests of the per-uid charges (daemon/user.c).
 *
 * The byte counter is fed sizes a client chooses (a Backend=shm object grown by ftruncate()),
 * so its arithmetic is tested at the edges: it saturates instead of wrapping, comes down
 * exactly once charges past UINT64_MAX are given back, never goes below 0, and the limit
 * check sees a saturated counter as full.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "macro.h"
#include "user.h"

#define HALF (UINT64_C(1) << 63)

struct fixture {
        struct user_table t;
        struct user *u;
};

static int setup(void **state)
{
        static struct fixture f;

        assert_int_equal(user_table_init(&f.t), 0);
        f.u = user_get(&f.t, 41001);
        assert_non_null(f.u);
        *state = &f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;

        assert_null(user_unref(f->u));
        assert_int_equal(f->t.n_users, 0);
        user_table_deinit(&f->t);
        return 0;
}

/* Two charges whose sum is 2^64 (+4096): before, the counter wrapped to 4096. */
static void test_saturates(void **state)
{
        struct fixture *f = *state;
        struct user_charge a = {}, b = {}, c = {};

        assert_int_equal(user_charge(f->u, &a, USER_SLOT_BYTES, 4096, USER_UNLIMITED), 0);
        assert_int_equal(user_charge(f->u, &b, USER_SLOT_BYTES, 4096, USER_UNLIMITED), 0);
        user_charge_set(&a, HALF);
        user_charge_set(&b, HALF);
        assert_true(f->u->used[USER_SLOT_BYTES] == UINT64_MAX);
        /* Full: a limited charge is refused, even of 0 past a limit below UINT64_MAX. */
        assert_int_equal(user_charge(f->u, &c, USER_SLOT_BYTES, 1, 8 << 20), -EDQUOT);
        assert_int_equal(user_charge(f->u, &c, USER_SLOT_BYTES, 0, 8 << 20), -EDQUOT);
        assert_true(user_charge_others(&a) == HALF);
        /* Coming down: exact, 2^63 left after one half goes. */
        user_charge_set(&b, 4096);
        assert_true(f->u->used[USER_SLOT_BYTES] == HALF + 4096);
        assert_true(f->u->over[USER_SLOT_BYTES] == 0);
        user_charge_release(&a);
        assert_true(f->u->used[USER_SLOT_BYTES] == 4096);
        user_charge_release(&b);
        assert_true(f->u->used[USER_SLOT_BYTES] == 0);
        assert_int_equal(f->t.n_holding[USER_SLOT_BYTES], 0);
}

/* Past UINT64_MAX by more than one charge: what the others hold stays "at least UINT64_MAX"
 * until they are back under it, and releasing in any order ends at 0. */
static void test_over_released_in_any_order(void **state)
{
        struct fixture *f = *state;
        struct user_charge x[3] = {};
        int i;

        for (i = 0; i < 3; i++)
                assert_int_equal(user_charge(f->u, &x[i], USER_SLOT_BYTES, HALF,
                                             USER_UNLIMITED), 0);
        assert_true(f->u->used[USER_SLOT_BYTES] == UINT64_MAX);
        assert_true(f->u->over[USER_SLOT_BYTES] == HALF + 1);
        assert_true(user_charge_others(&x[0]) == UINT64_MAX);
        user_charge_release(&x[1]);
        assert_true(f->u->used[USER_SLOT_BYTES] == UINT64_MAX);
        assert_true(user_charge_others(&x[0]) == HALF);
        user_charge_set(&x[2], 0);
        assert_true(f->u->used[USER_SLOT_BYTES] == HALF);
        user_charge_release(&x[0]);
        user_charge_release(&x[2]);
        assert_true(f->u->used[USER_SLOT_BYTES] == 0);
        assert_true(f->u->over[USER_SLOT_BYTES] == 0);
        assert_int_equal(f->t.n_holding[USER_SLOT_BYTES], 0);
}

/* Within the limit, as before: a charge that would pass it is refused and takes nothing. */
static void test_limit(void **state)
{
        struct fixture *f = *state;
        struct user_charge a = {}, b = {};

        assert_int_equal(user_charge(f->u, &a, USER_SLOT_BYTES, 6, 8), 0);
        assert_int_equal(user_charge(f->u, &b, USER_SLOT_BYTES, 3, 8), -EDQUOT);
        assert_null(b.user);
        assert_true(user_charge_others(&a) == 0);
        assert_true(user_charge_others(&b) == 0);
        assert_int_equal(user_charge(f->u, &b, USER_SLOT_BYTES, 2, 8), 0);
        assert_true(user_charge_others(&a) == 2);
        user_charge_set(&b, 0); /* a charge of nothing (an unsized object) */
        assert_true(user_charge_others(&b) == 6);
        user_charge_set(&a, 0);
        assert_true(user_charge_others(&b) == 0);
        user_charge_set(&b, 2);
        user_charge_release(&a);
        user_charge_release(&b);
        user_charge_release(&b); /* harmless on an empty charge */
        assert_true(f->u->used[USER_SLOT_BYTES] == 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_saturates, setup, teardown),
                cmocka_unit_test_setup_teardown(test_over_released_in_any_order, setup, teardown),
                cmocka_unit_test_setup_teardown(test_limit, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
