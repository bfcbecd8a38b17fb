/* SPDX-License-Identifier: MIT */
/*
 * test-policy-lint.c - unit tests of what the policy loader reports (daemon/policy-parse.c,
 * daemon/policy-lint.c, daemon/policy-diag.c): every error of a text in one pass, each with its
 * line; the warnings (shadowed rules, '#' and quotes in values, keys that do not apply to the
 * backend, overlapping per-user prefixes); and policies that must load without a word, so that
 * no warning fires where nothing is wrong.
 *
 * Each case lists exactly the diagnostics expected, in order: an extra or a missing one fails.
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

#define E POLICY_DIAG_ERROR
#define W POLICY_DIAG_WARNING

struct lint_case {
        const char *text;
        struct expected_diag diags[8];
        size_t n;
};

static void run_cases(const struct lint_case *cases, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++) {
                struct policy *p;

                print_message("case %zu\n", i);
                p = expect_diags(cases[i].text, cases[i].diags, cases[i].n);
                policy_free(p);
        }
}

/* A text with many mistakes: all of them, each on its line, in one pass. */
static void test_one_pass(void **state)
{
        static const struct lint_case cases[] = {
                { "[Segment a]\nNames=a-*\nColour=blue\nMode=999\nMaxSize=0\n"
                  "[Segment b]\nNames=b/c\nBackend=disk\n",
                  { { E, 3, "unknown key 'Colour'" }, { E, 4, "'999'" }, { E, 5, "'0'" },
                    { E, 7, "'b/c'" }, { E, 8, "'disk'" }, { E, 6, "has no Names=" } }, 6 },
                /* A bad header skips its keys unchecked; the next header starts afresh. */
                { "[Bogus x]\nWhatever=1\n[Segment ok]\nNames=ok\nMode=4\nMode=2\n",
                  { { E, 1, "unknown section type 'Bogus'" },
                    { E, 6, "already set on line 5" } }, 2 },
                /* A duplicate ID is reported, and its keys are still checked. */
                { "[Segment a]\nNames=a\n[Segment a]\nNames=b\nNope=1\n",
                  { { E, 3, "duplicate section ID 'a', first used at test.conf:1" },
                    { E, 5, "unknown key 'Nope'" } }, 2 },
                /* Each bad entry of a list on its own. */
                { "[Segment a]\nNames=a/1 ok b/2\nCreate=4294967295 root -5x @\n",
                  { { E, 2, "'a/1'" }, { E, 2, "'b/2'" }, { E, 3, "'4294967295'" },
                    { E, 3, "'-5x'" }, { E, 3, "'@'" } }, 5 },
                { "Names=x\n[Segment a]\nNames=x\n\x01\n",
                  { { E, 1, "outside" }, { E, 4, "control character 0x01" } }, 2 },
                /* A carriage return ends a line (CRLF) but may not stand inside one. */
                { "[Segment a]\r\nNames=a\rb\r\n", { { E, 2, "control character 0x0d" },
                                                   { E, 1, "has no Names=" } }, 2 },
        };

        run_cases(cases, ELEMENTSOF(cases));
}

static void test_shadowed(void **state)
{
        static const struct lint_case cases[] = {
                { "[Segment all]\nNames=*\n[Segment a]\nNames=a-*\n",
                  { { W, 3, "[Segment a] is shadowed" } }, 1 },
                { "[Segment all]\nNames=/**\n[Segment a]\nNames=%u-*\n",
                  { { W, 3, "first by [Segment all] (test.conf:1)" } }, 1 },
                { "[Segment a]\nNames=a-*\n[Segment b]\nNames=a-b-* a-c a-[xy]\n",
                  { { W, 3, "[Segment b] is shadowed" } }, 1 },
                { "[Segment a]\nNames=a\n[Segment b]\nNames=b\n[Segment ab]\nNames=b a\n",
                  { { W, 5, "[Segment ab] is shadowed" } }, 1 },
                { "[Segment u]\nNames=%u-*\n[Segment app]\nNames=%u-x-*\n",
                  { { W, 3, "[Segment app] is shadowed" } }, 1 },
                { "[Segment a]\nNames=a*\n[Segment b]\nNames=a\n",
                  { { W, 3, "[Segment b] is shadowed" } }, 1 },
                /* Each pattern by another rule; the first rule found is named. */
                { "[Segment a]\nNames=a-*\n[Segment b]\nNames=b-*\n[Segment c]\nNames=b-1 a-1\n",
                  { { W, 5, "first by [Segment b]" } }, 1 },
        };

        run_cases(cases, ELEMENTSOF(cases));
}

static void test_not_shadowed(void **state)
{
        static const struct lint_case cases[] = {
                /* One pattern left uncovered is enough. */
                { "[Segment a]\nNames=a-*\n[Segment b]\nNames=a-1 b-1\n", { }, 0 },
                /* Later rules do not shadow earlier ones. */
                { "[Segment a]\nNames=a-1\n[Segment all]\nNames=*\n", { }, 0 },
                /* Not provable from the text: the checker stays quiet. */
                { "[Segment q]\nNames=a?\n[Segment b]\nNames=ab\n", { }, 0 },
                { "[Segment q]\nNames=[ab]*\n[Segment b]\nNames=a\n", { }, 0 },
                { "[Segment q]\nNames=a\\*\n[Segment b]\nNames=a*\n", { }, 0 },
                /* %u and %U are different texts; %% is not %u. */
                { "[Segment u]\nNames=%u-*\n[Segment uid]\nNames=%U-*\n", { }, 0 },
                { "[Segment p]\nNames=%%u-*\n[Segment u]\nNames=%u-x\n", { }, 0 },
                /* A pattern with a literal's text as its plain part covers nothing more. */
                { "[Segment a]\nNames=abc\n[Segment b]\nNames=ab*\n", { }, 0 },
        };

        run_cases(cases, ELEMENTSOF(cases));
}

static void test_values(void **state)
{
        static const struct lint_case cases[] = {
                { "[Segment a]\nNames=a-*  # all of a\n",
                  { { W, 2, "'# all of a' is part of Names=" } }, 1 },
                { "[Segment a]\nNames=#a-*\n", { { W, 2, "'#a-*' is part of Names=" } }, 1 },
                { "[Segment a]\nNames=a-* #\n", { { W, 2, "comment" } }, 1 },
                { "[Segment a]\nNames=\"a-*\"\n", { { W, 2, "quotes" } }, 1 },
                { "[Segment a]\nNames='a-*'\n", { { W, 2, "quotes" } }, 1 },
                { "[Quota]\nMaxObjectsPerUser=5 # five\n",
                  { { W, 2, "comment" }, { E, 2, "MaxObjectsPerUser=" } }, 2 },
                { "[Segment a]\nNames=a\nMode=0600 # rw\n",
                  { { W, 3, "comment" }, { E, 3, "Mode=" } }, 2 },
                /* '#' inside a word, and comment lines, are fine. */
                { "[Segment a]\nNames=a#b\n# Names=\"x\" # y\n  ; z\n", { }, 0 },
        };

        run_cases(cases, ELEMENTSOF(cases));
}

static void test_backend_keys(void **state)
{
        static const struct lint_case cases[] = {
                { "[Segment m]\nNames=m\nBackend=memfd\nOwner=root\nGroup=root\nMode=0640\n",
                  { { W, 4, "Owner= does not apply to Backend=memfd" },
                    { W, 5, "Group= does not apply" }, { W, 6, "Mode= does not apply" } }, 3 },
                /* The order of the keys does not matter. */
                { "[Segment m]\nNames=m\nMode=0640\nBackend=memfd\n",
                  { { W, 3, "Mode= does not apply" } }, 1 },
                { "[Segment s]\nNames=s\nBackend=shm\nOwner=root\nGroup=root\nMode=0640\n",
                  { }, 0 },
                { "[Segment m]\nNames=m\nBackend=memfd\nMaxSize=1M\nReadOnly=*\n", { }, 0 },
        };

        run_cases(cases, ELEMENTSOF(cases));
}

static void test_overlaps(void **state)
{
        static const struct lint_case cases[] = {
                { "[Segment x]\nNames=%u-x-*\n[Segment u]\nNames=%u-*\n",
                  { { W, 3, "Names=%u-* of [Segment u] overlaps Names=%u-x-* of [Segment x] "
                            "(test.conf:1): 'alice-x-data' falls under [Segment x] for user "
                            "'alice' and under [Segment u] for a user called 'alice-x'" } }, 1 },
                { "[Segment x]\nNames=pre.%u.x*\n[Segment u]\nNames=pre.%u*\n",
                  { { W, 3, "'pre.alice.xdata'" } }, 1 },
                /* Neither T a prefix of the other: not reported. */
                { "[Segment x]\nNames=%u-ab*\n[Segment u]\nNames=%u-b*\n", { }, 0 },
                /* T2 does not end with T: the example puts T after T2. */
                { "[Segment x]\nNames=%u-ab*\n[Segment u]\nNames=%u-a*\n",
                  { { W, 3, "'alice-ab-adata'" } }, 1 },
                /* Different plain text before %u, or %U, or the same rule: no warning. */
                { "[Segment x]\nNames=a%u-x-*\n[Segment u]\nNames=b%u-*\n", { }, 0 },
                { "[Segment x]\nNames=%U-x-*\n[Segment u]\nNames=%U-*\n", { }, 0 },
                { "[Segment u]\nNames=%u-x-* %U-*\n", { }, 0 },
                /* A per-user pattern beside a shared one: refused, whatever the order. */
                { "[Segment u]\nCreate=*\nNames=%u-* scratch-*\n",
                  { { E, 1, "[Segment u] mixes Names= patterns with %u or %U and without" } },
                  1 },
                { "[Segment u]\nNames=x-* u%U-*\n",
                  { { E, 1, "mixes Names= patterns with %u or %U and without" } }, 1 },
        };

        run_cases(cases, ELEMENTSOF(cases));
}

/* A group that Mode= lets write, named a reader: its members would get no fd at all. */
static void test_group_write_reader(void **state)
{
        static const struct lint_case cases[] = {
                { "[Segment a]\nNames=a\nGroup=0\nMode=0660\nReadOnly=@0\n",
                  { { W, 4, "lets the group of Group= (gid 0) write" } }, 1 },
                /* Read only by mode, a writer by rule, or another group: no word. */
                { "[Segment a]\nNames=a\nGroup=0\nMode=0640\nReadOnly=@0\n", { }, 0 },
                { "[Segment a]\nNames=a\nGroup=0\nMode=0660\nReadOnly=@0\nReadWrite=@0\n",
                  { }, 0 },
                { "[Segment a]\nNames=a\nGroup=0\nMode=0660\nReadOnly=@1\n", { }, 0 },
                { "[Segment a]\nNames=a\nGroup=0\nMode=0660\nReadOnly=@0\nBackend=memfd\n",
                  { { W, 3, "Group= does not apply to Backend=memfd" },
                    { W, 4, "Mode= does not apply to Backend=memfd" } }, 2 },
        };

        run_cases(cases, ELEMENTSOF(cases));
}

/* Names that do not resolve are warnings: the policy loads, and they match nobody. */
static void test_unresolved(void **state)
{
        static const struct lint_case cases[] = {
                { "[Segment a]\nNames=a\nCreate=no-such-user-shmb\n",
                  { { W, 3, "user 'no-such-user-shmb' in Create= does not resolve (no such "
                            "user): it matches nobody" } }, 1 },
                { "[Segment a]\nNames=a\nReadWrite=root no-such-user-shmb @no-such-group-shmb\n",
                  { { W, 3, "user 'no-such-user-shmb' in ReadWrite=" },
                    { W, 3, "group '@no-such-group-shmb' in ReadWrite= does not resolve (no "
                            "such group)" } }, 2 },
                { "[Segment a]\nNames=a\nReadOnly=no-such-user-shmb\n",
                  { { W, 3, "in ReadOnly=" } }, 1 },
                { "[Segment a]\nNames=a\nOwner=no-such-user-shmb\n",
                  { { W, 3, "Owner= user 'no-such-user-shmb' does not resolve (no such user): "
                            "[Segment a] refuses creates" } }, 1 },
                { "[Segment a]\nNames=a\nGroup=no-such-group-shmb\n",
                  { { W, 3, "Group= group 'no-such-group-shmb' does not resolve" } }, 1 },
                /* Next to real errors, still a warning. */
                { "[Segment a]\nNames=a\nCreate=no-such-user-shmb 4294967295\n",
                  { { W, 3, "does not resolve" }, { E, 3, "invalid uid" } }, 2 },
        };

        run_cases(cases, ELEMENTSOF(cases));
}

/* A rule only apps can match that no app may use. */
static void test_app_rules(void **state)
{
        static const struct lint_case cases[] = {
                { "[Segment a]\nNames=%u-%a-*\nCreate=*\nReadWrite=*\n",
                  { { W, 1, "[Segment a] matches only app connections" } }, 1 },
                { "[Segment a]\nNames=%u-%a-* %u-x-%a\n",
                  { { W, 1, "grants nothing to an app: principal" } }, 1 },
                { "[Segment a]\nNames=%u-%a-*\nReadOnly=app:org.x.*\n", { }, 0 },
                /* One kind of namespace per rule: app's and user's apart. */
                { "[Segment a]\nNames=%u-%a-* %u-plain\nCreate=*\n",
                  { { E, 1, "mixes Names= patterns with %a and without" } }, 1 },
        };

        run_cases(cases, ELEMENTSOF(cases));
}

/* The embedded default policy loads without a word. */
static void test_default_is_clean(void **state)
{
        struct policy *p = expect_diags(policy_default_text, NULL, 0);

        policy_free(p);
}

/* ------------------------------------------------------------------ the list itself */

static void test_escape(void **state)
{
        static const struct {
                const char *in;
                const char *out;
        } cases[] = {
                { "plain text", "plain text" },
                { "a\rb", "a\\x0db" },
                { "\x1b[2Jx", "\\x1b[2Jx" },
                { "tab\there", "tab\\x09here" },
                { "del\x7f", "del\\x7f" },
                { "caf\xc3\xa9", "caf\xc3\xa9" },               /* UTF-8 stays */
                { "\xe2\x82\xac 5", "\xe2\x82\xac 5" },
                { "csi\xc2\x9b", "csi\\xc2\\x9b" },             /* C1 in UTF-8 */
                /* Bidi controls: RLO, RLI, and the line separator. */
                { "a\xe2\x80\xae" "exe.txt", "a\\xe2\\x80\\xae" "exe.txt" },
                { "b\xe2\x81\xa7" "c", "b\\xe2\\x81\\xa7" "c" },
                { "l\xe2\x80\xa8m", "l\\xe2\\x80\\xa8m" },
                { "raw\x9b", "raw\\x9b" },                      /* not UTF-8 */
                { "cut\xe2\x82", "cut\\xe2\\x82" },
                { "over\xc0\xaf", "over\\xc0\\xaf" },           /* overlong */
                { "sur\xed\xa0\x80", "sur\\xed\\xa0\\x80" },    /* surrogate */
                { "", "" },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(freep) char *out = policy_diag_escape(cases[i].in);

                assert_non_null(out);
                assert_string_equal(out, cases[i].out);
        }
}

static void test_add_format(void **state)
{
        static const struct {
                enum policy_diag_level level;
                const char *file;
                unsigned line;
                const char *formatted;
        } cases[] = {
                { E, "f.conf", 3, "f.conf:3: error: m\\x0d" },
                { W, "f.conf", 0, "f.conf: warning: m\\x0d" },
                { W, NULL, 0, "warning: m\\x0d" },
                { E, "a\nb", 1, "a\\x0ab:1: error: m\\x0d" },
        };
        struct policy_diags d = {};
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++)
                assert_int_equal(policy_diags_add(&d, cases[i].level, cases[i].file,
                                                  cases[i].line, "%s\r", "m"), 0);
        assert_int_equal(d.n, ELEMENTSOF(cases));
        assert_int_equal(d.n_errors, 2);
        assert_int_equal(d.n_warnings, 2);
        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(freep) char *s = policy_diag_format(&d.items[i]);

                assert_string_equal(s, cases[i].formatted);
        }
        policy_diags_clear(&d);
        assert_int_equal(d.n, 0);
        assert_null(d.items);
}

/* The list keeps POLICY_DIAGS_MAX and counts the rest. */
static void test_cap(void **state)
{
        struct policy_diags d = {};
        size_t i;

        for (i = 0; i < POLICY_DIAGS_MAX + 5; i++)
                assert_int_equal(policy_diags_add(&d, i % 2 ? W : E, "f", (unsigned) i + 1,
                                                  "n%zu", i), 0);
        assert_int_equal(d.n, POLICY_DIAGS_MAX);
        assert_int_equal(d.n_dropped, 5);
        assert_int_equal(d.n_errors + d.n_warnings, POLICY_DIAGS_MAX + 5);
        assert_string_equal(d.items[POLICY_DIAGS_MAX - 1].message, "n999");
        policy_diags_clear(&d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_one_pass),
                cmocka_unit_test(test_shadowed),
                cmocka_unit_test(test_not_shadowed),
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_backend_keys),
                cmocka_unit_test(test_overlaps),
                cmocka_unit_test(test_unresolved),
                cmocka_unit_test(test_app_rules),
                cmocka_unit_test(test_group_write_reader),
                cmocka_unit_test(test_default_is_clean),
                cmocka_unit_test(test_escape),
                cmocka_unit_test(test_add_format),
                cmocka_unit_test(test_cap),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
