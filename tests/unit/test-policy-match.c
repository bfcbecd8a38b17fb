/* SPDX-License-Identifier: MIT */
/*
 * test-policy-match.c - unit tests of policy_match() (daemon/policy.c) and the prefix index
 * behind it (daemon/policy-index.c).
 *
 * Table-driven: first match, default deny, %u/%U/%% expansion and escaping. The prefix index is
 * checked against a plain linear scan on random policies, and timed with 10,000 rules.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy-util.h"

static void test_match(void **state)
{
        static const char text[] =
                "[Segment exact]\nNames=/config\n"
                "[Segment audio]\nNames=audio-* pulse-?\n"
                "[Segment private]\nNames=%u-*\n"
                "[Segment by-uid]\nNames=uid%U.*\n"
                "[Segment percent]\nNames=100%%-*\n"
                "[Segment class]\nNames=[xy]z-*\n"
                "[Segment escaped]\nNames=lit\\*star\n"
                "[Segment dot]\nNames=.*\n";
        static const struct {
                const char *name;
                uid_t uid;
                const char *user;
                const char *rule;       /* NULL: no rule matches, denied */
        } cases[] = {
                { "config", 0, "root", "exact" },
                { "configx", 0, "root", NULL },
                { "audio-1", 1000, "alice", "audio" },
                { "audio-", 1000, "alice", "audio" },
                { "audio", 1000, "alice", NULL },
                { "pulse-x", 1000, "alice", "audio" },
                { "pulse-xy", 1000, "alice", NULL },
                { "alice-data", 1000, "alice", "private" },
                { "alice-", 1000, "alice", "private" },
                { "alice-data", 1001, "bob", NULL },
                { "bob-data", 1001, "bob", "private" },
                { "alice-data", 1000, NULL, NULL },        /* no user name: %u never matches */
                { "root-x", 0, "root", "private" },
                { "root-x", 65534, "nobody", NULL },
                { "uid1000.x", 1000, "alice", "by-uid" },
                { "uid1000.x", 1000, NULL, "by-uid" },
                { "uid1000.x", 1001, "bob", NULL },
                { "uid0.a", 0, "root", "by-uid" },
                { "uid4294967294.z", 4294967294u, NULL, "by-uid" },
                { "100%-x", 0, "root", "percent" },
                { "100%%-x", 0, "root", NULL },
                { "100-x", 0, "root", NULL },
                { "xz-1", 0, "root", "class" },
                { "yz-1", 0, "root", "class" },
                { "zz-1", 0, "root", NULL },
                { "lit*star", 0, "root", "escaped" },
                { "litXstar", 0, "root", NULL },
                { ".hidden", 0, "root", "dot" },
                { "nothing", 0, "root", NULL },          /* default deny, for root too */
        };
        _cleanup_(policy_freep) struct policy *p = load_ok(text);
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct identity id = ident(cases[i].uid, 100, cases[i].user);
                const char *got = match_id(p, cases[i].name, &id);

                if ((got == NULL) != (cases[i].rule == NULL) ||
                    (got && strcmp(got, cases[i].rule) != 0))
                        fail_msg("case %zu: '%s' as %s: got %s, expected %s", i, cases[i].name,
                                 cases[i].user ? cases[i].user : "(no name)",
                                 got ? got : "(none)",
                                 cases[i].rule ? cases[i].rule : "(none)");
        }
}

/* %a: app connections only, each its own names. */
static void test_match_apps(void **state)
{
        static const char text[] =
                "[Segment app]\nNames=%u-%a-*\n"
                "[Segment any-app]\nNames=shared-%a\n"
                "[Segment user]\nNames=%u-*\n";
        static const struct {
                const char *name;
                const char *app;
                const char *rule;
        } cases[] = {
                { "alice-org.x.y-1", NULL, "user" },
                { "alice-org.x.y-1", "org.x.y", "app" },
                { "alice-org.x.y-", "org.x.y", "app" },
                { "alice-org.x.y", "org.x.y", "user" },
                { "alice-org.x.y-1", "org.x.z", "user" },
                { "alice-org.x.y-b-1", "org.x.y", "app" },      /* see per_app */
                { "alice-org.x.y-b-1", "org.x.y-b", "app" },
                { "shared-org.x.y", "org.x.y", "any-app" },
                { "shared-org.x.y", "org.x.z", NULL },
                { "shared-org.x.y", NULL, NULL },
                { "shared-", NULL, NULL },
        };
        _cleanup_(policy_freep) struct policy *p = load_ok(text);
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct identity id = ident(1000, 1000, "alice");
                const char *got;

                id.app_id = (char *) cases[i].app;
                got = match_id(p, cases[i].name, &id);
                if ((got == NULL) != (cases[i].rule == NULL) ||
                    (got && strcmp(got, cases[i].rule) != 0))
                        fail_msg("case %zu: '%s' as %s: got %s, expected %s", i, cases[i].name,
                                 cases[i].app ? cases[i].app : "(main)", got ? got : "(none)",
                                 cases[i].rule ? cases[i].rule : "(none)");
        }
}

/* The user name is glob-escaped when %u is expanded. */
static void test_match_glob_user_names(void **state)
{
        static const struct {
                const char *user;
                const char *name;
                bool match;
        } cases[] = {
                { "a*b", "a*b-x", true },
                { "a*b", "aXXb-x", false },
                { "a*b", "ab-x", false },
                { "a?", "a?-x", true },
                { "a?", "ab-x", false },
                { "[ab]", "[ab]-x", true },
                { "[ab]", "a-x", false },
                { "[ab", "[ab-x", true },
                { "a]", "a]-x", true },
                { "a\\b", "a\\b-x", true },
                { "a\\b", "ab-x", false },
                { "*", "*-x", true },
                { "*", "anyone-x", false },
                { "%u", "%u-x", true },
                { "", "-x", true },
        };
        _cleanup_(policy_freep) struct policy *p = load_ok("[Segment p]\nNames=%u-*\n");
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct identity id = ident(1000, 1000, cases[i].user);
                bool got = policy_match(p, cases[i].name, &id) != NULL;

                if (got != cases[i].match)
                        fail_msg("case %zu: user '%s', name '%s': got %d", i, cases[i].user,
                                 cases[i].name, got);
        }
}

/*
 * A backslash right before a specifier escapes the first byte of what it expands to, which is
 * already escaped when it is a glob character: "x\%u" for a user "*" must match only "x*",
 * never "x\" followed by anything.
 */
static void test_match_backslash_before_specifier(void **state)
{
        static const struct {
                const char *pattern;
                const char *user;
                const char *name;
                bool match;
        } cases[] = {
                { "x\\%u", "*", "x*", true },
                { "x\\%u", "*", "x\\", false },
                { "x\\%u", "*", "x\\anything", false },
                { "x\\%u", "*", "xanything", false },
                { "x\\%u-*", "[ab]", "x[ab]-1", true },
                { "x\\%u-*", "[ab]", "x\\a-1", false },
                { "x\\%u-*", "?", "x?-1", true },
                { "x\\%u-*", "?", "x\\z-1", false },
                { "x\\%u", "\\", "x\\", true },
                { "x\\%u", "alice", "xalice", true },
                { "x\\%u", "alice", "x\\alice", false },
                /* an escaped backslash is a literal one: nothing is pending after it */
                { "x\\\\%u", "*", "x\\*", true },
                { "x\\\\%u", "*", "x\\anything", false },
                { "x\\\\\\%u", "*", "x\\*", true },
                { "x\\\\\\%u", "*", "x\\\\", false },
                /* a user name ending in a backslash is escaped in full */
                { "%u\\%u", "a\\", "a\\a\\", true },
                { "\\%U", "alice", "1000", true },
                { "100\\%%", "alice", "100%", true },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(freep) char *text = NULL;
                _cleanup_(policy_freep) struct policy *p = NULL;
                struct identity id = ident(1000, 1000, cases[i].user);
                bool got;

                assert_true(asprintf(&text, "[Segment p]\nNames=%s\n", cases[i].pattern) > 0);
                p = load_ok(text);
                got = policy_match(p, cases[i].name, &id) != NULL;
                if (got != cases[i].match)
                        fail_msg("case %zu: pattern '%s', user '%s', name '%s': got %d", i,
                                 cases[i].pattern, cases[i].user, cases[i].name, got);
        }
}

static void test_match_long_expansion(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok("[Segment p]\nNames=%u-*\n");
        _cleanup_(freep) char *user = malloc(5000);
        struct identity id;

        assert_non_null(user);
        memset(user, 'a', 4999);
        user[4999] = '\0';
        id = ident(1000, 1000, user);
        /* Expands past the buffer: no match rather than truncation or overflow. */
        assert_null(policy_match(p, "aaaa-x", &id));
        user[10] = '\0';
        assert_non_null(policy_match(p, "aaaaaaaaaa-x", &id));
}

static void test_match_first_wins(void **state)
{
        static const struct {
                const char *text;
                const char *name;
                const char *rule;
        } cases[] = {
                { "[Segment a]\nNames=x-*\n[Segment b]\nNames=x-1\n", "x-1", "a" },
                { "[Segment b]\nNames=x-1\n[Segment a]\nNames=x-*\n", "x-1", "b" },
                { "[Segment b]\nNames=x-1\n[Segment a]\nNames=x-*\n", "x-2", "a" },
                { "[Segment all]\nNames=*\n[Segment x]\nNames=x\n", "x", "all" },
                { "[Segment q]\nNames=q y\n[Segment y]\nNames=y\n", "y", "q" },
                { "[Segment ab]\nNames=ab*\n[Segment a]\nNames=a*\n[Segment any]\nNames=*\n",
                  "abc", "ab" },
                { "[Segment ab]\nNames=ab*\n[Segment a]\nNames=a*\n[Segment any]\nNames=*\n",
                  "ax", "a" },
                { "[Segment ab]\nNames=ab*\n[Segment a]\nNames=a*\n[Segment any]\nNames=*\n",
                  "x", "any" },
                { "[Segment any]\nNames=*\n[Segment a]\nNames=a*\n[Segment ab]\nNames=ab*\n",
                  "abc", "any" },
                { "[Segment abc]\nNames=abc\n[Segment ab]\nNames=ab?\n", "abc", "abc" },
                { "[Segment ab]\nNames=ab?\n[Segment abc]\nNames=abc\n", "abc", "ab" },
                { "[Segment pct]\nNames=%U-*\n[Segment lit]\nNames=0-x\n", "0-x", "pct" },
                { "[Segment lit]\nNames=0-x\n[Segment pct]\nNames=%U-*\n", "0-x", "lit" },
        };
        struct identity root = ident(0, 0, "root");
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(policy_freep) struct policy *p = load_ok(cases[i].text);
                const char *got = match_id(p, cases[i].name, &root);

                if (!got || strcmp(got, cases[i].rule) != 0)
                        fail_msg("case %zu: got %s, expected %s", i, got ? got : "(none)",
                                 cases[i].rule);
        }
}

/* The prefix index must give exactly what a linear scan gives. */
static const struct policy_rule *oracle(const struct policy *p, const char *name)
{
        size_t i, j;

        for (i = 0; i < p->n_rules; i++)
                for (j = 0; j < p->rules[i].n_names; j++)
                        if (fnmatch(p->rules[i].names[j], name, 0) == 0)
                                return &p->rules[i];
        return NULL;
}

static void test_match_index_vs_scan(void **state)
{
        static const char *const pieces[] = { "a", "b", "c", "ab", "*", "?", "[ab]", "\\c" };
        struct identity id = ident(1000, 1000, "alice");
        unsigned seed = 12345;
        int round;

        for (round = 0; round < 40; round++) {
                _cleanup_(policy_freep) struct policy *p = NULL;
                _cleanup_(freep) char *text = NULL;
                size_t size = 64 * 1024, len = 0;
                int n_rules = 1 + rand_r(&seed) % 60, i, j, k;

                text = malloc(size);
                assert_non_null(text);
                for (i = 0; i < n_rules; i++) {
                        int n_names = 1 + rand_r(&seed) % 3;

                        len += (size_t) snprintf(text + len, size - len, "[Segment r%d]\nNames=",
                                                 i);
                        for (j = 0; j < n_names; j++) {
                                int n_pieces = 1 + rand_r(&seed) % 4;

                                for (k = 0; k < n_pieces; k++)
                                        len += (size_t) snprintf(text + len, size - len, "%s",
                                                pieces[rand_r(&seed) % ELEMENTSOF(pieces)]);
                                len += (size_t) snprintf(text + len, size - len, " ");
                        }
                        len += (size_t) snprintf(text + len, size - len, "\n");
                }
                p = load_ok(text);
                for (i = 0; i < 500; i++) {
                        char name[8];
                        int n = 1 + rand_r(&seed) % 6;

                        for (j = 0; j < n; j++)
                                name[j] = "abcx"[rand_r(&seed) % 4];
                        name[n] = '\0';
                        if (policy_match(p, name, &id) != oracle(p, name))
                                fail_msg("round %d: '%s' differs from a scan\n%s", round, name,
                                         text);
                }
        }
}

/*
 * Seconds per policy_match() call: the fastest of several rounds, so that a round in which a
 * busy machine (make -j check) preempted us does not count.
 */
static double match_seconds(const struct policy *p, const char *name, const struct identity *id)
{
        double best = 1e9;
        int round, i;

        for (round = 0; round < 25; round++) {
                struct timespec a, b;
                double t;

                assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &a), 0);
                for (i = 0; i < 2000; i++)
                        assert_non_null(policy_match(p, name, id));
                assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &b), 0);
                t = ((double) (b.tv_sec - a.tv_sec) + (double) (b.tv_nsec - a.tv_nsec) / 1e9) /
                    2000;
                if (t < best)
                        best = t;
        }
        return best;
}

/* 10,000 rules with distinct prefixes: the last one is found, and quickly. */
static void test_match_many_rules(void **state)
{
        _cleanup_(policy_freep) struct policy *small = NULL, *big = NULL;
        _cleanup_(freep) char *text = NULL;
        struct identity id = ident(1000, 1000, "alice");
        size_t size = 10000 * 64, len = 0;
        double t_small, t_big;
        int i;

        text = malloc(size);
        assert_non_null(text);
        for (i = 0; i < 10000; i++) {
                len += (size_t) snprintf(text + len, size - len,
                                         "[Segment r%d]\nNames=app%d-* /app%d.??\n", i, i, i);
                if (i == 9)
                        small = load_ok(text);
        }
        len += (size_t) snprintf(text + len, size - len, "[Segment mine]\nNames=%%u-*\n");
        big = load_ok(text);
        assert_int_equal(big->n_rules, 10001);

        assert_string_equal(match_id(big, "app0-x", &id), "r0");
        assert_string_equal(match_id(big, "app9999-x", &id), "r9999");
        assert_string_equal(match_id(big, "app5000.ab", &id), "r5000");
        assert_string_equal(match_id(big, "alice-x", &id), "mine");
        assert_null(match_id(big, "app10000-x", &id));
        assert_null(match_id(big, "nothing", &id));

        t_small = match_seconds(small, "app9-x", &id);
        t_big = match_seconds(big, "app9999-x", &id);
        print_message("policy_match(): 10 rules %.0f ns, 10001 rules %.0f ns per call\n",
                      t_small * 1e9, t_big * 1e9);
        /* The bench holds it to 2x; here only a lost index (a scan: about 1000x) must fail,
         * not a busy machine. */
        if (t_big > 10 * t_small)
                fail_msg("10001 rules are %.1fx slower than 10", t_big / t_small);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_match),
                cmocka_unit_test(test_match_apps),
                cmocka_unit_test(test_match_glob_user_names),
                cmocka_unit_test(test_match_backslash_before_specifier),
                cmocka_unit_test(test_match_long_expansion),
                cmocka_unit_test(test_match_first_wins),
                cmocka_unit_test(test_match_index_vs_scan),
                cmocka_unit_test(test_match_many_rules),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
