/* SPDX-License-Identifier: MIT */
/*
 * test-soak-hist.c - the soak's latency histogram (soak-hist.c) against its slow twin: the
 * same samples kept whole and sorted. Buckets tile the number line without gaps, none is wider
 * than 1/16 of its lower bound, each quantile is never below the exact one and at most 1/16
 * above it, and the time-weighted quantile is within two buckets of the exact one and sees
 * stalls that the plain one cannot. Needs no root and no daemon.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "soak-hist.h"

static struct soak_hist hist, hist2;

static int reset(void **state)
{
        memset(&hist, 0, sizeof(hist));
        memset(&hist2, 0, sizeof(hist2));
        return 0;
}

/* Every bucket ends where the next begins, and is at most 1/16 of its lower bound wide. */
static void test_buckets_tile(void **state)
{
        uint64_t lo = 0;
        size_t i;

        for (i = 0; i < SOAK_HIST_BUCKETS - 1; i++) {
                uint64_t hi = soak_hist_bucket_max(i);

                assert_true(hi >= lo);
                assert_int_equal(soak_hist_bucket(lo), i);
                assert_int_equal(soak_hist_bucket(hi), i);
                assert_int_equal(soak_hist_bucket(hi + 1), i + 1);
                assert_true(hi - lo <= lo / SOAK_HIST_SUB);
                lo = hi + 1;
        }
        assert_int_equal(lo, UINT64_C(1) << SOAK_HIST_MAX_EXP);
        assert_int_equal(soak_hist_bucket(UINT64_MAX), SOAK_HIST_BUCKETS - 1);
        assert_int_equal(soak_hist_bucket_max(SOAK_HIST_BUCKETS - 1), UINT64_MAX);
}

static void test_empty_and_one(void **state)
{
        assert_int_equal(soak_hist_quantile(&hist, 0.99), 0);
        soak_hist_add(&hist, 123456);
        assert_int_equal(hist.count, 1);
        /* One sample: every quantile is that sample (the bucket's top is capped at the max). */
        assert_int_equal(soak_hist_quantile(&hist, 0.01), 123456);
        assert_int_equal(soak_hist_quantile(&hist, 0.5), 123456);
        assert_int_equal(soak_hist_quantile(&hist, 1), 123456);
}

/* 0.99 * 100 is not exactly 99 in binary: the p99 of 1..100 is 99, not 100 (values this
 * small have buckets of at most 4 ns: 99 is the top of its own, 100 starts the next). */
static void test_rank_rounding(void **state)
{
        uint64_t v;

        for (v = 1; v <= 100; v++)
                soak_hist_add(&hist, v);
        assert_int_equal(soak_hist_quantile(&hist, 0.99), 99);
        assert_int_equal(soak_hist_quantile(&hist, 0.5), 51); /* 50's bucket is 48..51 */
        assert_int_equal(soak_hist_quantile(&hist, 1), 100);
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;

        return x < y ? -1 : x > y;
}

/* Log-uniform samples from 1 us to 1 s, plus a few outliers past the last bucket. */
static void test_quantiles_vs_sorted(void **state)
{
        static const double qs[] = { 0.001, 0.5, 0.9, 0.99, 0.999, 1.0 };
        enum { N = 100000 };
        static uint64_t v[N];
        uint64_t x = 88172645463325252ull;
        size_t i, k;

        for (i = 0; i < N; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                v[i] = (UINT64_C(1000) << (x % 20)) + (x >> 40) % (UINT64_C(1000) << (x % 20));
                if (i % 10000 == 9999)
                        v[i] = (UINT64_C(1) << 50) + i; /* overflow bucket */
                soak_hist_add(i % 2 ? &hist : &hist2, v[i]);
        }
        soak_hist_merge(&hist, &hist2);
        assert_int_equal(hist.count, N);
        qsort(v, N, sizeof(v[0]), cmp_u64);
        assert_int_equal(hist.max_ns, v[N - 1]);
        for (k = 0; k < ELEMENTSOF(qs); k++) {
                size_t rank = (size_t) (qs[k] * N + 0.5);
                uint64_t want = v[rank - 1], got = soak_hist_quantile(&hist, qs[k]);

                assert_true(got >= want);
                if (want < (UINT64_C(1) << SOAK_HIST_MAX_EXP))
                        assert_true(got - want <= want / SOAK_HIST_SUB);
                else
                        assert_int_equal(got, v[N - 1]); /* overflow: capped at the max */
        }
}

/* A client in a loop: 1000 calls of 0.1 ms and 4 of 50 ms. By calls the stalls are under 1%;
 * by time they are two thirds. */
static void test_timed_sees_stalls(void **state)
{
        size_t i;

        for (i = 0; i < 1000; i++)
                soak_hist_add(&hist, 100000);
        for (i = 0; i < 4; i++)
                soak_hist_add(&hist, 50000000);
        assert_true(soak_hist_quantile(&hist, 0.99) <= 100000 + 100000 / SOAK_HIST_SUB);
        assert_true(soak_hist_quantile_timed(&hist, 0.99) >= 50000000);
        assert_true(soak_hist_quantile_timed(&hist, 0.5) >= 50000000);
        assert_true(soak_hist_quantile_timed(&hist, 0.3) <= 100000 + 100000 / SOAK_HIST_SUB);
        memset(&hist, 0, sizeof(hist));
        assert_int_equal(soak_hist_quantile_timed(&hist, 0.99), 0);
}

/* The same log-uniform samples: the time-weighted quantile against the sorted samples'
 * running sum. Buckets weigh their middle, so allow two bucket widths. */
static void test_timed_vs_sorted(void **state)
{
        static const double qs[] = { 0.1, 0.5, 0.9, 0.99, 0.999 };
        enum { N = 50000 };
        static uint64_t v[N];
        uint64_t x = 2463534242ull;
        long double total = 0, run;
        size_t i, k;

        for (i = 0; i < N; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                v[i] = (UINT64_C(1000) << (x % 16)) + (x >> 40) % (UINT64_C(1000) << (x % 16));
                soak_hist_add(&hist, v[i]);
                total += v[i];
        }
        qsort(v, N, sizeof(v[0]), cmp_u64);
        for (k = 0; k < ELEMENTSOF(qs); k++) {
                uint64_t want = v[N - 1], got = soak_hist_quantile_timed(&hist, qs[k]);

                for (i = 0, run = 0; i < N; i++) {
                        run += v[i];
                        if (run >= qs[k] * total) {
                                want = v[i];
                                break;
                        }
                }
                assert_true(got + want / 8 >= want);
                assert_true(got <= want + want / 8);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_buckets_tile),
                cmocka_unit_test_setup(test_empty_and_one, reset),
                cmocka_unit_test_setup(test_rank_rounding, reset),
                cmocka_unit_test_setup(test_quantiles_vs_sorted, reset),
                cmocka_unit_test_setup(test_timed_sees_stalls, reset),
                cmocka_unit_test_setup(test_timed_vs_sorted, reset),
        };

        return cmocka_run_group_tests_name("soak-hist", tests, NULL, NULL);
}
