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

static void dump_diags(const struct policy_diags *d)
{
        size_t i;

        for (i = 0; i < d->n; i++) {
                char *line = policy_diag_format(&d->items[i]);

                print_message("  %s\n", line ? line : "(no memory)");
                free(line);
        }
}

struct policy *expect_diags(const char *text, const struct expected_diag *want, size_t n)
{
        struct policy_diags d = {};
        struct policy *p = NULL;
        bool any_error = false;
        size_t i;
        int r;

        for (i = 0; i < n; i++)
                any_error = any_error || want[i].level == POLICY_DIAG_ERROR;
        r = policy_load_text(text, strlen(text), ORIGIN, &d, &p);
        if (d.n != n || r != (any_error ? -EINVAL : 0)) {
                dump_diags(&d);
                fail_msg("got %d and %zu diagnostics, expected %d and %zu\n--\n%s--", r, d.n,
                         any_error ? -EINVAL : 0, n, text);
        }
        assert_true((p != NULL) == !any_error);
        for (i = 0; i < n; i++) {
                const struct policy_diag *g = &d.items[i];

                if (g->level != want[i].level || g->line != want[i].line ||
                    !g->file || strcmp(g->file, ORIGIN) != 0 ||
                    !strstr(g->message, want[i].what)) {
                        dump_diags(&d);
                        fail_msg("diagnostic %zu: expected %s on line %u mentioning '%s'\n--\n"
                                 "%s--", i, want[i].level == POLICY_DIAG_ERROR ? "an error" :
                                 "a warning", want[i].line, want[i].what, text);
                }
        }
        assert_int_equal(d.n_errors + d.n_warnings, n);
        policy_diags_clear(&d);
        return p;
}
