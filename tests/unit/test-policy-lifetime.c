/* SPDX-License-Identifier: MIT */
/*
 * test-policy-lifetime.c - unit tests of lifetimes (daemon/policy-lifetime.c) and of the
 * Lifetime= key: parsing with its bounds, formatting and reading back, and the order that
 * decides whether a rule allows what a create asks for.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-util.h"

#define SEC UINT64_C(1000000)
#define PERSISTENT { POLICY_LIFETIME_PERSISTENT, 0 }
#define PROCESS { POLICY_LIFETIME_PROCESS, 0 }
#define SPAN(s) { POLICY_LIFETIME_SPAN, (s) }

static void test_parse(void **state)
{
        static const struct {
                const char *s;
                int r;
                struct policy_lifetime l;
        } cases[] = {
                { "persistent", 0, PERSISTENT },
                { "process", 0, PROCESS },
                { "30s", 0, SPAN(30 * SEC) },
                { "30", 0, SPAN(30 * SEC) },
                { "5min", 0, SPAN(300 * SEC) },
                { "2h", 0, SPAN(7200 * SEC) },
                { "1d", 0, SPAN(86400 * SEC) },
                { "1s", 0, SPAN(SEC) },
                { "1000ms", 0, SPAN(SEC) },
                { "365d", 0, SPAN(365 * 86400 * SEC) },
                { "366d", -ERANGE, PERSISTENT },
                { "53w", -ERANGE, PERSISTENT },
                { "0", -ERANGE, PERSISTENT },
                { "999ms", -ERANGE, PERSISTENT },
                { "18446744073709551615", -ERANGE, PERSISTENT },
                { "", -EINVAL, PERSISTENT },
                { "Persistent", -EINVAL, PERSISTENT },
                { "forever", -EINVAL, PERSISTENT },
                { "infinity", -EINVAL, PERSISTENT },
                { "-1s", -EINVAL, PERSISTENT },
                { "1h30min", -EINVAL, PERSISTENT },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct policy_lifetime l = { 99, 99 };
                int r = policy_lifetime_parse(cases[i].s, &l);

                if (r != cases[i].r)
                        fail_msg("'%s': got %d, expected %d", cases[i].s, r, cases[i].r);
                if (r < 0) {
                        assert_int_equal(l.kind, 99);   /* untouched */
                        continue;
                }
                assert_int_equal(l.kind, cases[i].l.kind);
                assert_true(l.usec == cases[i].l.usec);
        }
}

static void test_to_string(void **state)
{
        static const struct {
                struct policy_lifetime l;
                const char *s;
        } cases[] = {
                { PERSISTENT, "persistent" },
                { PROCESS, "process" },
                { SPAN(30 * SEC), "30s" },
                { SPAN(90 * SEC), "90s" },
                { SPAN(300 * SEC), "5min" },
                { SPAN(7200 * SEC), "2h" },
                { SPAN(86400 * SEC), "1d" },
                { SPAN(365 * 86400 * SEC), "365d" },
                { SPAN(1500000), "1500ms" },
                { SPAN(1000001), "1000001us" },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                char buf[POLICY_LIFETIME_STRING_MAX];
                struct policy_lifetime back;

                assert_string_equal(policy_lifetime_to_string(&cases[i].l, buf, sizeof(buf)),
                                    cases[i].s);
                /* What it writes, it reads back. */
                assert_int_equal(policy_lifetime_parse(buf, &back), 0);
                assert_int_equal(back.kind, cases[i].l.kind);
                assert_true(back.usec == cases[i].l.usec);
        }
}

/* The order: persistent allows anything; a span S, process and spans up to S; process only
 * process. Requests that are not valid lifetimes are never allowed. */
static void test_allows(void **state)
{
        static const struct policy_lifetime limits[] = { PERSISTENT, SPAN(60 * SEC), PROCESS };
        static const struct {
                struct policy_lifetime requested;
                bool allowed[3];        /* under each of limits[] */
        } cases[] = {
                { PERSISTENT, { true, false, false } },
                { PROCESS, { true, true, true } },
                { SPAN(SEC), { true, true, false } },
                { SPAN(30 * SEC), { true, true, false } },
                { SPAN(60 * SEC), { true, true, false } },
                { SPAN(60 * SEC + 1), { true, false, false } },
                { SPAN(365 * 86400 * SEC), { true, false, false } },
                /* not valid lifetimes */
                { SPAN(0), { false, false, false } },
                { SPAN(999999), { false, false, false } },
                { SPAN(365 * 86400 * SEC + 1), { false, false, false } },
                { { (enum policy_lifetime_kind) 7, 0 }, { false, false, false } },
        };
        size_t i, j;

        for (i = 0; i < ELEMENTSOF(cases); i++)
                for (j = 0; j < ELEMENTSOF(limits); j++) {
                        struct policy_rule rule = { .lifetime = limits[j] };
                        char a[POLICY_LIFETIME_STRING_MAX], b[POLICY_LIFETIME_STRING_MAX];

                        if (policy_lifetime_allows(&rule, &cases[i].requested) !=
                            cases[i].allowed[j])
                                fail_msg("case %zu: %s under %s: expected %d", i,
                                         policy_lifetime_to_string(&cases[i].requested, a,
                                                                   sizeof(a)),
                                         policy_lifetime_to_string(&limits[j], b, sizeof(b)),
                                         cases[i].allowed[j]);
                }
        assert_false(policy_lifetime_allows(NULL, &cases[0].requested));
}

/* Lifetime= in a rule: the default, every form, and the errors. */
static void test_key(void **state)
{
        static const struct {
                const char *line;
                struct policy_lifetime l;
        } cases[] = {
                { "", PERSISTENT },
                { "Lifetime=persistent", PERSISTENT },
                { "Lifetime=process", PROCESS },
                { "Lifetime = 5min", SPAN(300 * SEC) },
                { "Lifetime=86400", SPAN(86400 * SEC) },
                { "Lifetime=1d\nBackend=memfd", SPAN(86400 * SEC) },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(policy_freep) struct policy *p = load_rule(cases[i].line);

                assert_int_equal(p->rules[0].lifetime.kind, cases[i].l.kind);
                assert_true(p->rules[0].lifetime.usec == cases[i].l.usec);
        }
        load_fails("[Segment a]\nNames=a\nLifetime=forever\n", 3, "invalid Lifetime= 'forever'");
        load_fails("[Segment a]\nNames=a\nLifetime=400d\n", 3, "Lifetime=400d is out of range");
        load_fails("[Segment a]\nNames=a\nLifetime=0\n", 3, "out of range");
        load_fails("[Segment a]\nNames=a\nLifetime=\n", 3, "Lifetime= needs a value");
        load_fails("[Segment a]\nNames=a\nLifetime=1h\nLifetime=2h\n", 4, "already set on line 3");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse),
                cmocka_unit_test(test_to_string),
                cmocka_unit_test(test_allows),
                cmocka_unit_test(test_key),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
