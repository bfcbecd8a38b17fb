/* SPDX-License-Identifier: MIT */
/*
 * test-parse.c - unit tests of the small value parsers (daemon/parse.c).
 *
 * Table-driven: each function with values that must parse (and to what), values that are
 * malformed (-EINVAL) and values out of range (-ERANGE). A failed parse must leave the output
 * untouched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/types.h>

#include "macro.h"
#include "parse.h"
#include "span.h"

#define UNTOUCHED UINT64_C(0xdeadbeefdeadbeef)

struct u64_case {
        const char *s;
        int r;
        uint64_t v;
};

static void check_u64(const char *what, int (*f)(const char *, uint64_t *),
                      const struct u64_case *cases, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++) {
                uint64_t v = UNTOUCHED;
                int r = f(cases[i].s, &v);

                if (r != cases[i].r)
                        fail_msg("%s('%s'): got %d, expected %d", what, cases[i].s, r,
                                 cases[i].r);
                if (r == 0 && v != cases[i].v)
                        fail_msg("%s('%s'): got %llu, expected %llu", what, cases[i].s,
                                 (unsigned long long) v, (unsigned long long) cases[i].v);
                if (r < 0 && v != UNTOUCHED)
                        fail_msg("%s('%s') failed but wrote its output", what, cases[i].s);
        }
}

static void test_is_digits(void **state)
{
        static const struct {
                const char *s;
                bool digits;
        } cases[] = {
                { "0", true }, { "0123456789", true }, { "", false }, { " 1", false },
                { "1 ", false }, { "-1", false }, { "+1", false }, { "1a", false },
                { "0x10", false }, { "\xd9\xa1", false },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++)
                if (parse_is_digits(cases[i].s) != cases[i].digits)
                        fail_msg("parse_is_digits('%s') != %d", cases[i].s, cases[i].digits);
}

static void test_uint64(void **state)
{
        static const struct u64_case cases[] = {
                { "0", 0, 0 },
                { "1", 0, 1 },
                { "007", 0, 7 },
                { "18446744073709551615", 0, UINT64_MAX },
                { "18446744073709551616", -ERANGE, 0 },
                { "99999999999999999999999", -ERANGE, 0 },
                { "", -EINVAL, 0 },
                { "-1", -EINVAL, 0 },
                { "+1", -EINVAL, 0 },
                { " 1", -EINVAL, 0 },
                { "1 ", -EINVAL, 0 },
                { "0x1", -EINVAL, 0 },
                { "1K", -EINVAL, 0 },
        };

        check_u64("parse_uint64", parse_uint64, cases, ELEMENTSOF(cases));
}

static void test_id(void **state)
{
        static const struct {
                const char *s;
                int r;
                uint32_t id;
        } cases[] = {
                { "0", 0, 0 },
                { "1000", 0, 1000 },
                { "65534", 0, 65534 },
                { "4294967294", 0, 4294967294u },
                { "4294967295", -ERANGE, 0 },   /* (uid_t) -1 */
                { "4294967296", -ERANGE, 0 },
                { "18446744073709551616", -ERANGE, 0 },
                { "", -EINVAL, 0 },
                { "-1", -EINVAL, 0 },
                { "root", -EINVAL, 0 },
                { "1.0", -EINVAL, 0 },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                uint32_t id = 12345;
                int r = parse_id(cases[i].s, &id);

                if (r != cases[i].r)
                        fail_msg("parse_id('%s'): got %d, expected %d", cases[i].s, r,
                                 cases[i].r);
                assert_int_equal(id, r == 0 ? cases[i].id : 12345);
        }
}

static void test_mode(void **state)
{
        static const struct {
                const char *s;
                mode_t allowed;
                int r;
                mode_t mode;
        } cases[] = {
                { "0", 0666, 0, 0 },
                { "6", 0666, 0, 06 },
                { "600", 0666, 0, 0600 },
                { "0640", 0666, 0, 0640 },
                { "0666", 0666, 0, 0666 },
                { "0777", 07777, 0, 0777 },
                { "4755", 07777, 0, 04755 },
                { "0700", 0666, -ERANGE, 0 },
                { "4600", 0666, -ERANGE, 0 },
                { "0601", 0666, -ERANGE, 0 },
                { "04600", 07777, -EINVAL, 0 },  /* five digits */
                { "", 0666, -EINVAL, 0 },
                { "0668", 0666, -EINVAL, 0 },
                { "rw", 0666, -EINVAL, 0 },
                { "-600", 0666, -EINVAL, 0 },
                { "0x1a", 0666, -EINVAL, 0 },
                { " 600", 0666, -EINVAL, 0 },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                mode_t m = 01234;
                int r = parse_mode(cases[i].s, cases[i].allowed, &m);

                if (r != cases[i].r)
                        fail_msg("parse_mode('%s', %o): got %d, expected %d", cases[i].s,
                                 (unsigned) cases[i].allowed, r, cases[i].r);
                assert_int_equal(m, r == 0 ? cases[i].mode : 01234);
        }
}

static void test_size(void **state)
{
        static const struct u64_case cases[] = {
                { "1", 0, 1 },
                { "4096", 0, 4096 },
                { "1K", 0, 1024 },
                { "007K", 0, 7 * 1024 },
                { "64M", 0, UINT64_C(64) << 20 },
                { "2G", 0, UINT64_C(2) << 30 },
                { "1T", 0, UINT64_C(1) << 40 },
                { "16777215T", 0, UINT64_C(16777215) << 40 },
                { "18446744073709551615", 0, UINT64_MAX },
                { "16777216T", -ERANGE, 0 },
                { "18446744073709551616", -ERANGE, 0 },
                { "0", -EINVAL, 0 },
                { "0K", -EINVAL, 0 },
                { "", -EINVAL, 0 },
                { "K", -EINVAL, 0 },
                { "-1", -EINVAL, 0 },
                { "+1", -EINVAL, 0 },
                { "1k", -EINVAL, 0 },
                { "1KB", -EINVAL, 0 },
                { "1 K", -EINVAL, 0 },
                { "1Q", -EINVAL, 0 },
        };

        check_u64("parse_size", parse_size, cases, ELEMENTSOF(cases));
}

static void test_timespan(void **state)
{
        static const struct u64_case cases[] = {
                { "0", 0, 0 },
                { "30", 0, 30 * USEC_PER_SEC },
                { "30s", 0, 30 * USEC_PER_SEC },
                { "30sec", 0, 30 * USEC_PER_SEC },
                { "5min", 0, 300 * USEC_PER_SEC },
                { "5m", 0, 300 * USEC_PER_SEC },
                { "2h", 0, 7200 * USEC_PER_SEC },
                { "2hr", 0, 7200 * USEC_PER_SEC },
                { "1d", 0, 86400 * USEC_PER_SEC },
                { "3days", 0, 3 * 86400 * USEC_PER_SEC },
                { "1day", 0, 86400 * USEC_PER_SEC },
                { "2w", 0, 14 * 86400 * USEC_PER_SEC },
                { "1week", 0, 7 * 86400 * USEC_PER_SEC },
                { "250ms", 0, 250000 },
                { "7us", 0, 7 },
                { "18446744073709551615us", 0, UINT64_MAX },
                { "18446744073709551615", -ERANGE, 0 },
                { "18446744073709551616us", -ERANGE, 0 },
                { "", -EINVAL, 0 },
                { "s", -EINVAL, 0 },
                { "-1s", -EINVAL, 0 },
                { "1 s", -EINVAL, 0 },
                { "1h30min", -EINVAL, 0 },
                { "1S", -EINVAL, 0 },
                { "1y", -EINVAL, 0 },
                { "1.5h", -EINVAL, 0 },
                { "infinity", -EINVAL, 0 },
        };

        check_u64("shmb_parse_span", shmb_parse_span, cases, ELEMENTSOF(cases));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_is_digits),
                cmocka_unit_test(test_uint64),
                cmocka_unit_test(test_id),
                cmocka_unit_test(test_mode),
                cmocka_unit_test(test_size),
                cmocka_unit_test(test_timespan),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
