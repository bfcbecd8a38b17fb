/* SPDX-License-Identifier: MIT */
/*
 * test-name.c - shmb_name_normalize(), the one definition of a valid segment name.
 *
 * One table, one cmocka test per row: the raw bytes (with an explicit length, so embedded NULs
 * and unterminated input are covered), the expected result, and the canonical form. It does not
 * test policy matching or the wire; see test-protocol.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "protocol.h"

/* Long names, filled in by the group setup. */
static char name255[255];
static char name256[256];
static char slash255[256];
static char slash256[257];
static char slashslash254[256];

struct name_case {
        const char *desc;
        const char *raw;
        size_t len;
        int ret;
        const char *want;       /* canonical form when ret == 0; NULL: raw without its '/' */
};

#define CASE(d, s, r, w) { d, s, sizeof(s) - 1, r, w }

static const struct name_case cases[] = {
        CASE("empty", "", -EINVAL, NULL),
        CASE("slash only", "/", -EINVAL, NULL),
        CASE("double leading slash", "//x", -EINVAL, NULL),
        CASE("inner slash", "x/y", -EINVAL, NULL),
        CASE("leading and trailing slash", "/x/", -EINVAL, NULL),
        CASE("trailing slash", "x/", -EINVAL, NULL),
        CASE("dot", ".", -EINVAL, NULL),
        CASE("dot dot", "..", -EINVAL, NULL),
        CASE("slash dot", "/.", -EINVAL, NULL),
        CASE("slash dot dot", "/..", -EINVAL, NULL),
        CASE("slash dot dot slash", "/../", -EINVAL, NULL),
        CASE("three dots", "...", 0, "..."),
        CASE("slash three dots", "/...", 0, "..."),
        CASE("dot prefix", ".x", 0, ".x"),
        CASE("dot dot prefix", "..x", 0, "..x"),
        CASE("dot suffix", "x.", 0, "x."),
        CASE("newline", "x\n", -EINVAL, NULL),
        CASE("tab", "a\tb", -EINVAL, NULL),
        CASE("control 0x01", "\x01", -EINVAL, NULL),
        CASE("control 0x1f", "a\x1f", -EINVAL, NULL),
        CASE("DEL", "\x7f", -EINVAL, NULL),
        CASE("DEL inside", "a\x7f" "b", -EINVAL, NULL),
        CASE("embedded NUL", "a\0b", -EINVAL, NULL),
        CASE("NUL only", "\0", -EINVAL, NULL),
        CASE("slash then NUL", "/\0", -EINVAL, NULL),
        CASE("trailing NUL", "ab\0", -EINVAL, NULL),
        CASE("plain", "x", 0, "x"),
        CASE("leading slash", "/x", 0, "x"),
        CASE("space", "a b", 0, "a b"),
        CASE("punctuation", "a-b_c.d:e@f%g", 0, "a-b_c.d:e@f%g"),
        CASE("UTF-8", "gr\xc3\xbc\xc3\x9f" "e-\xe2\x82\xac", 0, NULL),
        CASE("slash UTF-8", "/\xf0\x9f\x90\xa7", 0, "\xf0\x9f\x90\xa7"),
        CASE("high bytes, not UTF-8", "\x80\xff", 0, "\x80\xff"),
        CASE("backslash", "a\\b", 0, "a\\b"),
        { "255 bytes", name255, sizeof(name255), 0, NULL },
        { "256 bytes", name256, sizeof(name256), -ENAMETOOLONG, NULL },
        { "slash + 255 bytes", slash255, sizeof(slash255), 0, NULL },
        { "slash + 256 bytes", slash256, sizeof(slash256), -ENAMETOOLONG, NULL },
        { "slash slash + 254 bytes", slashslash254, sizeof(slashslash254), -EINVAL, NULL },
        { "length 0 of a longer string", "abc", 0, -EINVAL, NULL },
        { "length 1 of a longer string", "abc", 1, 0, "a" },
        { "length cuts before a bad byte", "ab/c", 2, 0, "ab" },
};

static int group_setup(void **state)
{
        memset(name255, 'a', sizeof(name255));
        memset(name256, 'b', sizeof(name256));
        memset(slash255, 'c', sizeof(slash255));
        slash255[0] = '/';
        memset(slash256, 'd', sizeof(slash256));
        slash256[0] = '/';
        memset(slashslash254, 'e', sizeof(slashslash254));
        slashslash254[0] = '/';
        slashslash254[1] = '/';
        return 0;
}

static void test_case(void **state)
{
        const struct name_case *c = *state;
        char out[SHMB_PROTO_NAME_MAX + 2];
        char want[SHMB_PROTO_NAME_MAX + 1];
        size_t want_len;
        int r;

        /* Output parameters are written only on success: a failure leaves the sentinel. */
        memset(out, 0x5a, sizeof(out));
        r = shmb_name_normalize(c->raw, c->len, out);
        if (r != c->ret)
                fail_msg("%s: returned %d, want %d", c->desc, r, c->ret);
        if (r < 0) {
                assert_int_equal((unsigned char) out[0], 0x5a);
                return;
        }

        if (c->want) {
                want_len = strlen(c->want);
                memcpy(want, c->want, want_len + 1);
        } else {
                /* Derived: the raw bytes without a leading '/'. */
                size_t skip = c->raw[0] == '/' ? 1 : 0;

                want_len = c->len - skip;
                memcpy(want, c->raw + skip, want_len);
                want[want_len] = '\0';
        }
        assert_int_equal(strlen(out), want_len);
        assert_memory_equal(out, want, want_len + 1);
        assert_true(want_len >= 1 && want_len <= SHMB_PROTO_NAME_MAX);
        /* The byte after the terminator is untouched. */
        if (want_len + 1 < sizeof(out))
                assert_int_equal((unsigned char) out[want_len + 1], 0x5a);
}

/* Normalising a canonical name gives it back: "x" and "/x" can never differ downstream. */
static void test_idempotent(void **state)
{
        char once[SHMB_PROTO_NAME_MAX + 1], twice[SHMB_PROTO_NAME_MAX + 1];
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                if (cases[i].ret != 0)
                        continue;
                assert_int_equal(shmb_name_normalize(cases[i].raw, cases[i].len, once), 0);
                assert_int_equal(shmb_name_normalize(once, strlen(once), twice), 0);
                assert_string_equal(once, twice);
        }
}

int main(void)
{
        struct CMUnitTest tests[ELEMENTSOF(cases) + 1];
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++)
                tests[i] = (struct CMUnitTest) {
                        .name = cases[i].desc,
                        .test_func = test_case,
                        .initial_state = (void *) &cases[i],
                };
        tests[i] = (struct CMUnitTest) { .name = "idempotent", .test_func = test_idempotent };

        return cmocka_run_group_tests_name("name", tests, group_setup, NULL);
}
