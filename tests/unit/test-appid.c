/* SPDX-License-Identifier: MIT */
/*
 * test-appid.c - unit tests of the app id rule (proto/appid.c): every clause of it, the length
 * bound on both sides, and lengths that cut a string or include a NUL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "appid.h"
#include "macro.h"

static void test_valid(void **state)
{
        static const struct {
                const char *s;
                bool valid;
        } cases[] = {
                { "org.example.App", true },
                { "a.b", true },
                { "A.B", true },
                { "_x._y", true },
                { "org.example.my-app", true },
                { "com.github.some_one.x9", true },
                { "a.b-", true },
                { "org.x-1.y", true },
                { "org", false },                       /* one element */
                { "", false },
                { ".", false },
                { ".org.x", false },                    /* empty elements */
                { "org.x.", false },
                { "org..x", false },
                { "org.2x", false },                    /* starts with a digit */
                { "2org.x", false },
                { "org.-x", false },                    /* starts with '-' */
                { "-org.x", false },
                { "org.ex ample", false },              /* characters */
                { "org.ex/ample", false },
                { "org.ex*", false },
                { "org.ex%a", false },
                { "org.ex\\x", false },
                { "org.ex:x", false },
                { "org.ex\xc3\xa4mple", false },        /* not ASCII */
                { "org.ex\nx", false },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++)
                if (shmb_app_id_valid(cases[i].s, strlen(cases[i].s)) != cases[i].valid)
                        fail_msg("'%s': expected %s", cases[i].s,
                                 cases[i].valid ? "valid" : "invalid");
}

static void test_length(void **state)
{
        char s[SHMB_APP_ID_MAX + 2];

        /* "a." then 'b's: 255 bytes is the most. */
        memset(s, 'b', sizeof(s));
        s[0] = 'a';
        s[1] = '.';
        assert_true(shmb_app_id_valid(s, SHMB_APP_ID_MAX));
        assert_false(shmb_app_id_valid(s, SHMB_APP_ID_MAX + 1));
        assert_true(shmb_app_id_valid(s, 3));
        assert_false(shmb_app_id_valid(s, 2));          /* "a." */
        assert_false(shmb_app_id_valid(s, 0));
        assert_false(shmb_app_id_valid(NULL, 3));
        /* The length given is what counts; a NUL within it is invalid. */
        assert_true(shmb_app_id_valid("org.x.junk", 5));
        assert_false(shmb_app_id_valid("org.x\0y", 7));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_length),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
