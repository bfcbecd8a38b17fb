/* SPDX-License-Identifier: MIT */
/*
 * policy-util.h - what the policy unit tests share: loading policy text that must load (or must
 * fail on a given line), and requesters that own nothing.
 *
 * Include after <cmocka.h>.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "macro.h"
#include "policy.h"

/* The origin of every policy text the tests load, as it appears in messages. */
#define ORIGIN "test.conf"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct policy *, policy_free);

/* An identity that owns nothing: tests never call identity_deinit() on it. */
struct identity ident(uid_t uid, gid_t gid, const char *user_name);

/* Loads @text, which must load; fails the test otherwise. */
struct policy *load_ok(const char *text);

/* Loads @text expecting an error whose message starts with "test.conf:LINE: " ("test.conf: "
 * for @line 0) and mentions @what. */
void load_fails(const char *text, unsigned line, const char *what);

/* A one-rule policy with Names=x-* plus @extra lines. */
struct policy *load_rule(const char *extra);

/* The ID of the rule that decides @name for @id, or NULL. */
const char *match_id(const struct policy *p, const char *name, const struct identity *id);

/* One diagnostic a test expects: its level, line, and a part of its message. */
struct expected_diag {
        enum policy_diag_level level;
        unsigned line;
        const char *what;
};

/*
 * Loads @text with policy_load_text() and checks that it produced exactly the @n diagnostics
 * of @want, in that order, all about ORIGIN; and that the load failed if and only if one of them
 * is an error. Returns the policy when it loaded, else NULL.
 */
struct policy *expect_diags(const char *text, const struct expected_diag *want, size_t n);
