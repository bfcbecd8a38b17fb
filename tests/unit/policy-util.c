/* SPDX-License-Identifier: MIT */
/*
 * policy-util.c - helpers of the policy unit tests; see policy-util.h.
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

struct identity ident(uid_t uid, gid_t gid, const char *user_name)
{
        return (struct identity) {
                .uid = uid, .gid = gid, .user_name = (char *) user_name,
        };
}

struct policy *load_ok(const char *text)
{
        struct policy *p = NULL;
        char *error = NULL;
        int r;

        r = policy_load_string(text, ORIGIN, &p, &error);
        if (r < 0)
                fail_msg("policy_load_string() failed: %s (%s)\n--\n%s--", strerror(-r),
                         error ? error : "no message", text);
        assert_null(error);
        assert_non_null(p);
        return p;
}

void load_fails(const char *text, unsigned line, const char *what)
{
        struct policy *p = NULL;
        char *error = NULL, prefix[64];
        int r;

        r = policy_load_string(text, ORIGIN, &p, &error);
        if (r != -EINVAL || !error)
                fail_msg("expected an error on line %u (%s), got %d\n--\n%s--", line, what, r,
                         text);
        assert_null(p);
        if (line > 0)
                (void) snprintf(prefix, sizeof(prefix), "%s:%u: ", ORIGIN, line);
        else
                (void) snprintf(prefix, sizeof(prefix), "%s: ", ORIGIN);
        if (strncmp(error, prefix, strlen(prefix)) != 0)
                fail_msg("%s: message '%s' does not start with '%s'", what, error, prefix);
        if (what && !strstr(error, what))
                fail_msg("message '%s' does not mention '%s'", error, what);
        free(error);
}

struct policy *load_rule(const char *extra)
{
        _cleanup_(freep) char *text = NULL;
        struct policy *p;

        assert_true(asprintf(&text, "[Segment r]\nNames=x-*\n%s\n", extra) >= 0);
        p = load_ok(text);
        assert_int_equal(p->n_rules, 1);
        return p;
}

const char *match_id(const struct policy *p, const char *name, const struct identity *id)
{
        const struct policy_rule *r = policy_match(p, name, id);

        return r ? r->id : NULL;
}
