/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-escape.c - what shmbrokerctl lets reach a terminal: ctl_escape() for its text output
 * (one table, one cmocka test per row), and ctl_json_print() for its JSON, which must escape the
 * same characters and still read back as it was written.
 *
 * Not here: which strings each command escapes, and when (test-ctl.c runs the real tool).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl.h"

struct escape_case {
        const char *desc;
        const char *in;
        const char *want;
};

static const struct escape_case cases[] = {
        { "plain", "cam-1", "cam-1" },
        { "backslash", "a\\b", "a\\b" },
        { "C0", "a\x01\x1f" "b", "a\\x01\\x1fb" },
        { "DEL", "a\x7f" "b", "a\\x7fb" },
        { "not UTF-8", "a\xff\x80" "b", "a\\xff\\x80b" },
        { "truncated sequence", "a\xe2\x80", "a\\xe2\\x80" },
        { "U+0080, first C1", "\xc2\x80", "\\xc2\\x80" },
        { "U+009B CSI", "a\xc2\x9b" "2J", "a\\xc2\\x9b2J" },
        { "U+009D OSC", "\xc2\x9d" "0;t", "\\xc2\\x9d0;t" },
        { "U+009F, last C1", "\xc2\x9f", "\\xc2\\x9f" },
        { "U+00A0 is shown", "\xc2\xa0", "\xc2\xa0" },
        { "U+00FC is shown", "gr\xc3\xbc\xc3\x9f" "e", "gr\xc3\xbc\xc3\x9f" "e" },
        { "U+061C ALM", "\xd8\x9c", "\\xd8\\x9c" },
        { "U+061B is shown", "\xd8\x9b", "\xd8\x9b" },
        { "U+200D is shown", "\xe2\x80\x8d", "\xe2\x80\x8d" },
        { "U+200E LRM", "\xe2\x80\x8e", "\\xe2\\x80\\x8e" },
        { "U+200F RLM", "\xe2\x80\x8f", "\\xe2\\x80\\x8f" },
        { "U+2027 is shown", "\xe2\x80\xa7", "\xe2\x80\xa7" },
        { "U+2028 LS", "\xe2\x80\xa8", "\\xe2\\x80\\xa8" },
        { "U+2029 PS", "\xe2\x80\xa9", "\\xe2\\x80\\xa9" },
        { "U+202A LRE", "\xe2\x80\xaa", "\\xe2\\x80\\xaa" },
        { "U+202E RLO", "rv4-\xe2\x80\xae" "exe.txt", "rv4-\\xe2\\x80\\xaeexe.txt" },
        { "U+202F is shown", "\xe2\x80\xaf", "\xe2\x80\xaf" },
        { "U+2065 is shown", "\xe2\x81\xa5", "\xe2\x81\xa5" },
        { "U+2066 LRI", "\xe2\x81\xa6", "\\xe2\\x81\\xa6" },
        { "U+2069 PDI", "\xe2\x81\xa9", "\\xe2\\x81\\xa9" },
        { "U+206A is shown", "\xe2\x81\xaa", "\xe2\x81\xaa" },
        { "U+1F427 is shown", "\xf0\x9f\x90\xa7", "\xf0\x9f\x90\xa7" },
};

static void test_case(void **state)
{
        const struct escape_case *c = *state;
        char buf[256];

        ctl_escape(buf, sizeof(buf), c->in);
        assert_string_equal(buf, c->want);
}

/* A buffer too small ends before an escape, never inside one: no half "\xe2\x80". */
static void test_truncated(void **state)
{
        char buf[32];

        ctl_escape(buf, 16, "abcd\xe2\x80\xae" "e");
        assert_string_equal(buf, "abcd");
        ctl_escape(buf, 17, "abcd\xe2\x80\xae" "e");
        assert_string_equal(buf, "abcd\\xe2\\x80\\xae");
}

/* What ctl_json_print() writes for @obj on one line, NUL-terminated; free() it. */
static char *json_printed(struct json_object *obj)
{
        int fd, saved;
        off_t len;
        char *text;

        fd = memfd_create("json", MFD_CLOEXEC);
        assert_true(fd >= 0);
        saved = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        assert_true(saved >= 0);
        assert_int_equal(fflush(stdout), 0);
        assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
        assert_int_equal(ctl_json_print(obj, true), 0);
        assert_int_equal(fflush(stdout), 0);
        assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
        (void) close(saved);

        len = lseek(fd, 0, SEEK_END);
        assert_true(len > 0);
        text = calloc(1, (size_t) len + 1);
        assert_non_null(text);
        assert_int_equal(pread(fd, text, (size_t) len, 0), len);
        (void) close(fd);
        return text;
}

/* Writes the UTF-8 of @cp at @p. Return: its length. */
static size_t put_utf8(char *p, uint32_t cp)
{
        if (cp < 0x80) {
                p[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                p[0] = (char) (0xc0 | cp >> 6);
                p[1] = (char) (0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                p[0] = (char) (0xe0 | cp >> 12);
                p[1] = (char) (0x80 | (cp >> 6 & 0x3f));
                p[2] = (char) (0x80 | (cp & 0x3f));
                return 3;
        }
        p[0] = (char) (0xf0 | cp >> 18);
        p[1] = (char) (0x80 | (cp >> 12 & 0x3f));
        p[2] = (char) (0x80 | (cp >> 6 & 0x3f));
        p[3] = (char) (0x80 | (cp & 0x3f));
        return 4;
}

/*
 * Every character but NUL and the surrogates, one string each ("a", it, "b"): the printed
 * document holds none of the unsafe ones raw and no other byte below 0x20 (json-c writes no
 * blanks on one line), and json-c's parser reads back every string as it was.
 */
static void test_json_round_trip(void **state)
{
        struct json_object *array = json_object_new_array(), *back;
        const unsigned char *p;
        char *text, s[8];
        uint32_t cp;
        size_t i = 0, n;

        assert_non_null(array);
        for (cp = 1; cp <= 0x10ffff; cp++) {
                if (cp >= 0xd800 && cp <= 0xdfff)
                        continue;
                s[0] = 'a';
                n = 1 + put_utf8(s + 1, cp);
                s[n++] = 'b';
                s[n] = '\0';
                assert_int_equal(json_object_array_add(array, ctl_json_string(s)), 0);
        }
        text = json_printed(array);

        for (p = (const unsigned char *) text; *p != '\n'; p += n) {
                n = ctl_utf8_decode(p, &cp);
                assert_int_not_equal(n, 0);
                if (ctl_char_unsafe(cp))
                        fail_msg("U+%04" PRIX32 " is printed raw", cp);
        }
        assert_string_equal((const char *) p, "\n");
        assert_non_null(strstr(text, "\"a\\u202eb\""));
        assert_non_null(strstr(text, "\"a\\u009bb\""));

        back = json_tokener_parse(text);
        assert_non_null(back);
        assert_int_equal(json_object_array_length(back), json_object_array_length(array));
        for (i = 0; i < json_object_array_length(array); i++)
                assert_string_equal(json_object_get_string(json_object_array_get_idx(back, i)),
                                    json_object_get_string(json_object_array_get_idx(array, i)));
        json_object_put(back);
        json_object_put(array);
        free(text);
}

int main(void)
{
        struct CMUnitTest tests[ELEMENTSOF(cases) + 2];
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++)
                tests[i] = (struct CMUnitTest) {
                        .name = cases[i].desc,
                        .test_func = test_case,
                        .initial_state = (void *) &cases[i],
                };
        tests[i++] = (struct CMUnitTest) { .name = "truncated", .test_func = test_truncated };
        tests[i++] = (struct CMUnitTest) {
                .name = "json round trip", .test_func = test_json_round_trip,
        };

        return cmocka_run_group_tests_name("ctl-escape", tests, NULL, NULL);
}
