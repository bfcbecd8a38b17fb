/* SPDX-License-Identifier: MIT */
/*
 * test-pattern.c - unit tests of Names= pattern expansion and matching (daemon/pattern.c).
 *
 * Pure functions, table-driven: the specifier check, the literal prefix, expansion (escaping,
 * missing names and app ids, any-app, buffer bounds) and matching.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "pattern.h"

static struct identity ident(uid_t uid, const char *user_name)
{
        return (struct identity) { .uid = uid, .gid = uid, .user_name = (char *) user_name };
}

static struct identity app(uid_t uid, const char *user_name, const char *app_id)
{
        return (struct identity) { .uid = uid, .gid = uid, .user_name = (char *) user_name,
                                   .app_id = (char *) app_id };
}

static void test_check(void **state)
{
        static const struct {
                const char *pattern;
                int r;
        } cases[] = {
                { "a-*", 0 }, { "%u-*", 0 }, { "%U.%%", 0 }, { "%%u", 0 }, { "", 0 },
                { "%u-%a-*", 0 }, { "%a", 0 },
                { "%x-*", -EINVAL }, { "x-%", -EINVAL }, { "%%%", -EINVAL }, { "%", -EINVAL },
                { "%g", -EINVAL }, { "%u%", -EINVAL },
                /* %a inside a bracket expression, and what is not one */
                { "[%a]", -EDOM }, { "x-[!%a]-*", -EDOM }, { "[]%a]", -EDOM },
                { "[[:alpha:]%a]", -EDOM }, { "[\\]%a]", -EDOM },
                { "[%u]", 0 }, { "[%%a]", 0 }, { "[x]%a", 0 }, { "[%a", 0 },
                { "\\[%a]", 0 }, { "[[:alpha:]]%a]", 0 }, { "[%x]", -EINVAL },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++)
                if (pattern_check(cases[i].pattern) != cases[i].r)
                        fail_msg("pattern_check('%s') != %d", cases[i].pattern, cases[i].r);
}

static void test_has_specifier(void **state)
{
        static const struct {
                const char *pattern;
                char c;
                bool has;
        } cases[] = {
                { "%u-*", 'u', true }, { "x-%u", 'u', true }, { "%U-*", 'u', false },
                { "%U-*", 'U', true }, { "%%u", 'u', false }, { "%%%u", 'u', true },
                { "u", 'u', false }, { "%", 'u', false }, { "", 'u', false },
                { "%u-%a-*", 'a', true }, { "%%a", 'a', false },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++)
                if (pattern_has_specifier(cases[i].pattern, cases[i].c) != cases[i].has)
                        fail_msg("pattern_has_specifier('%s', '%c') != %d", cases[i].pattern,
                                 cases[i].c, cases[i].has);
}

static void test_literal_len(void **state)
{
        static const struct {
                const char *pattern;
                size_t len;
        } cases[] = {
                { "abc", 3 }, { "a-*", 2 }, { "ab?", 2 }, { "a[bc]", 1 }, { "a\\*", 1 },
                { "x%u", 1 }, { "*", 0 }, { "", 0 },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++)
                assert_int_equal(pattern_literal_len(cases[i].pattern), cases[i].len);
}

static void test_expand(void **state)
{
        static const struct {
                const char *pattern;
                uid_t uid;
                const char *user;
                size_t size;            /* 0: PATTERN_EXPAND_MAX */
                const char *expanded;   /* NULL: cannot match */
        } cases[] = {
                { "plain-*", 1000, "alice", 0, "plain-*" },
                { "%u-*", 1000, "alice", 0, "alice-*" },
                { "%U-*", 1000, "alice", 0, "1000-*" },
                { "%U-*", 4294967294u, NULL, 0, "4294967294-*" },
                { "%%u", 1000, "alice", 0, "%u" },
                { "100%%", 0, "root", 0, "100%" },
                { "%u.%U", 0, "root", 0, "root.0" },
                /* glob characters in a user name are escaped */
                { "%u-*", 1000, "a*b", 0, "a\\*b-*" },
                { "%u", 1000, "[x]?\\", 0, "\\[x\\]\\?\\\\" },
                /* no user name: %u cannot match, %U still can */
                { "%u-*", 1000, NULL, 0, NULL },
                { "x-%u", 1000, NULL, 0, NULL },
                /* the buffer bound, NUL included */
                { "%u", 1000, "abc", 4, "abc" },
                { "%u", 1000, "abcd", 4, NULL },
                { "%u*", 1000, "a*", 4, NULL },
                { "abc", 1000, NULL, 4, "abc" },
                { "abcd", 1000, NULL, 4, NULL },
                { "abc", 1000, NULL, 0, "abc" },
                /* unknown specifiers expand to nothing that could match */
                { "%x", 1000, "alice", 0, NULL },
                { "a%", 1000, "alice", 0, NULL },
                /* %a needs an app id */
                { "%u-%a-*", 1000, "alice", 0, NULL },
                { "%a", 0, "root", 0, NULL },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct identity id = ident(cases[i].uid, cases[i].user);
                char buf[PATTERN_EXPAND_MAX];
                size_t size = cases[i].size ? cases[i].size : sizeof(buf);
                bool ok = pattern_expand(cases[i].pattern, &id, 0, buf, size);

                if (ok != (cases[i].expanded != NULL))
                        fail_msg("case %zu: '%s' expanded: %d", i, cases[i].pattern, ok);
                if (ok)
                        assert_string_equal(buf, cases[i].expanded);
        }
}

/* %a: the requester's app id, escaped like %u; or, with PATTERN_ANY_APP, any. */
static void test_expand_app(void **state)
{
        static const struct {
                const char *pattern;
                const char *app_id;     /* NULL: the main socket */
                unsigned flags;
                const char *expanded;   /* NULL: cannot match */
        } cases[] = {
                { "%u-%a-*", "org.example.App", 0, "alice-org.example.App-*" },
                { "%a", "a.b-c", 0, "a.b-c" },
                { "%a", "a*.b", 0, "a\\*.b" },        /* not a valid id, escaped all the same */
                { "%%a", NULL, 0, "%a" },
                { "%u-%a-*", NULL, 0, NULL },
                { "%u-%a-*", NULL, PATTERN_ANY_APP, "alice-*-*" },
                { "%u-%a-*", "org.x.y", PATTERN_ANY_APP, "alice-*-*" },
                { "%u-*", NULL, PATTERN_ANY_APP, "alice-*" },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct identity id = app(1000, "alice", cases[i].app_id);
                char buf[PATTERN_EXPAND_MAX];
                bool ok = pattern_expand(cases[i].pattern, &id, cases[i].flags, buf,
                                         sizeof(buf));

                if (ok != (cases[i].expanded != NULL))
                        fail_msg("case %zu: '%s' expanded: %d", i, cases[i].pattern, ok);
                if (ok)
                        assert_string_equal(buf, cases[i].expanded);
        }
}

static void test_matches(void **state)
{
        static const struct {
                const char *pattern;
                const char *name;
                const char *user;
                bool match;
        } cases[] = {
                { "a-*", "a-1", NULL, true },
                { "a-*", "b-1", NULL, false },
                { "*", ".hidden", NULL, true },         /* no FNM_PERIOD */
                { "%u-*", "alice-x", "alice", true },
                { "%u-*", "alice-x", "bob", false },
                { "%u-*", "alice-x", NULL, false },
                { "%u-*", "a*b-x", "a*b", true },
                { "%u-*", "aXb-x", "a*b", false },
                { "%U-*", "1000-x", NULL, true },
                { "%U-*", "1001-x", NULL, false },
                { "100%%-*", "100%-x", NULL, true },
                { "100%%-*", "100%%-x", NULL, false },
                { "lit\\*", "lit*", NULL, true },
                { "lit\\*", "litx", NULL, false },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct identity id = ident(1000, cases[i].user);

                if (pattern_matches(cases[i].pattern, cases[i].name, &id, 0) != cases[i].match)
                        fail_msg("case %zu: '%s' ~ '%s' as %s != %d", i, cases[i].name,
                                 cases[i].pattern, cases[i].user ? cases[i].user : "(none)",
                                 cases[i].match);
        }
}

/* A user name longer than the expansion buffer: no match, and no overflow. */
static void test_matches_long(void **state)
{
        _cleanup_(freep) char *user = malloc(PATTERN_EXPAND_MAX + 10), *name = NULL;
        struct identity id;

        assert_non_null(user);
        memset(user, 'a', PATTERN_EXPAND_MAX + 9);
        user[PATTERN_EXPAND_MAX + 9] = '\0';
        id = ident(1000, user);
        assert_true(asprintf(&name, "%s-x", user) > 0);
        assert_false(pattern_matches("%u-*", name, &id, 0));
        user[PATTERN_EXPAND_MAX - 3] = '\0';            /* "aaa...-*" fits exactly */
        name[PATTERN_EXPAND_MAX - 3] = '-';
        name[PATTERN_EXPAND_MAX - 2] = '\0';
        assert_true(pattern_matches("%u-*", name, &id, 0));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check),
                cmocka_unit_test(test_has_specifier),
                cmocka_unit_test(test_literal_len),
                cmocka_unit_test(test_expand),
                cmocka_unit_test(test_expand_app),
                cmocka_unit_test(test_matches),
                cmocka_unit_test(test_matches_long),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
