/* SPDX-License-Identifier: MIT */
/*
 * policy-parser.h - the policy text parser's state, shared by its parts: policy-parse.c
 * (lines, sections, rule IDs, the checks at the end of a section), policy-keys.c (the value of
 * each key), policy-principals.c (principals and owners). policy-load.c feeds it file texts,
 * policy-lint.c checks the result.
 *
 * Internal to the policy module.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "hashmap.h"
#include "macro.h"
#include "policy-diag.h"
#include "policy.h"

/*
 * Limits, all in one place. A policy is written by root, but it is still parsed by a
 * privileged daemon, and a runaway generator should get an error rather than an OOM.
 */
#define POLICY_LINE_MAX 4096            /* bytes of one line, without its newline */
#define POLICY_FILE_MAX (4u << 20)      /* bytes of one file (and of policy_load_string() text) */
#define POLICY_RULES_MAX 100000         /* rules in the whole policy, all files together */
#define POLICY_LIST_MAX 4096            /* entries of each list key (Names=, ...) of a rule */
#define POLICY_CONNECTIONS_MAX 16384    /* MaxConnectionsPerUser= cannot exceed the total */

#define WHITESPACE " \t\r\n"

/* [Segment] keys. */
enum policy_key {
        POLICY_KEY_NAMES,
        POLICY_KEY_CREATE,
        POLICY_KEY_READ_WRITE,
        POLICY_KEY_READ_ONLY,
        POLICY_KEY_OWNER,
        POLICY_KEY_GROUP,
        POLICY_KEY_MODE,
        POLICY_KEY_MAX_SIZE,
        POLICY_KEY_BACKEND,
        POLICY_KEY_LIFETIME,
        POLICY_KEY_PUBLISH,
        _POLICY_KEY_MAX,
};

/* [Quota] keys: each may be set once in the whole policy. */
enum policy_quota_key {
        POLICY_QUOTA_MAX_OBJECTS,
        POLICY_QUOTA_MAX_BYTES,
        POLICY_QUOTA_MAX_CONNECTIONS,
        _POLICY_QUOTA_KEY_MAX,
};

enum policy_section {
        POLICY_SECTION_NONE,            /* before the first header of a file */
        POLICY_SECTION_SEGMENT,         /* the open rule is the policy's last */
        POLICY_SECTION_QUOTA,
        POLICY_SECTION_BROKER,
        POLICY_SECTION_INVALID,         /* after a bad header: keys are skipped unchecked */
};

struct policy_parser {
        struct policy *policy;          /* being built */
        size_t n_rules_alloc;
        struct hashmap ids;             /* rule ID -> struct rule_id, for duplicates */
        const char *file;               /* for messages and rule->file */
        unsigned line;                  /* 0 for errors about a whole file */
        enum policy_section section;
        unsigned key_line[_POLICY_KEY_MAX];     /* where each scalar key of the open rule was set */
        char *quota_where[_POLICY_QUOTA_KEY_MAX]; /* "FILE:LINE" where each [Quota] key was set */
        bool rules_full;                /* POLICY_RULES_MAX reached: later rules are skipped */

        struct policy_diags *diags;     /* the caller's list, or own */
        struct policy_diags own;
        size_t errors_before;           /* diags->n_errors when this load started */
        char *first_error;              /* "FILE:LINE: text" of the first error, for ret_error */
};

/* @diags: where diagnostics go, or NULL to keep them only until policy_parser_finish(). */
int policy_parser_init(struct policy_parser *ps, struct policy_diags *diags);
void policy_parser_deinit(struct policy_parser *ps);

/*
 * Parses one file's text of @len bytes; sections end with their file. Every error is recorded
 * and parsing goes on, so that one pass reports them all. Returns 0 (whether or not there were
 * errors) or -ENOMEM.
 */
int policy_parser_feed(struct policy_parser *ps, const char *file, const char *text, size_t len);

/* Has this load recorded an error so far? */
bool policy_parser_failed(const struct policy_parser *ps);

/*
 * Ends the load: runs the whole-policy checks (policy-lint.c), and hands out the policy,
 * indexed, if @r >= 0 and no error was recorded. Returns @r, or -EINVAL when there were errors
 * (with the first one in *@ret_error if @ret_error is not NULL), or -ENOMEM.
 */
int policy_parser_finish(struct policy_parser *ps, int r, struct policy **ret, char **ret_error);

/*
 * Record a diagnostic about @line of the current file (0: the whole file). The error variant
 * returns -EINVAL, which callers pass up so that the rest of the line is skipped; the warning
 * variant returns 0. Both return -ENOMEM when even that fails.
 */
int policy_parser_error_at(struct policy_parser *ps, unsigned line, const char *fmt, ...)
        _printf_(3, 4);
int policy_parser_warning_at(struct policy_parser *ps, unsigned line, const char *fmt, ...)
        _printf_(3, 4);
#define policy_parser_error(ps, ...) policy_parser_error_at((ps), (ps)->line, __VA_ARGS__)
#define policy_parser_warning(ps, ...) policy_parser_warning_at((ps), (ps)->line, __VA_ARGS__)

/* policy-lint.c: warnings that need the whole policy (shadowed rules, overlapping per-user
 * prefixes). Returns 0 or -ENOMEM. */
int policy_lint(const struct policy *p, struct policy_diags *diags);

/* policy-keys.c: the name of a [Segment] key, "Names" for POLICY_KEY_NAMES. */
const char *policy_segment_key_name(enum policy_key k);

/* policy-keys.c: one "Key=Value" of the open [Segment] or [Quota] section. @value is stripped
 * and may be cut up. */
int policy_parse_segment_key(struct policy_parser *ps, const char *key, char *value);
int policy_parse_quota_key(struct policy_parser *ps, const char *key, char *value);
int policy_parse_broker_key(struct policy_parser *ps, const char *key, char *value);

/* policy-principals.c: a principal list (appended to @list; Admins= (@admins) takes users and
 * groups only), Owner= (@group false) or Group= (@group true), and freeing a list. Return 0,
 * -EINVAL after recording an error, or -ENOMEM. */
int policy_parse_principals(struct policy_parser *ps, const char *key, char *value, bool admins,
                            struct principal **list, size_t *n);
int policy_parse_id_spec(struct policy_parser *ps, const char *key, const char *value, bool group,
                         struct id_spec *ret);
void policy_principals_free(struct principal *v, size_t n);

/* The rule of the open [Segment] section. */
static inline struct policy_rule *policy_parser_rule(struct policy_parser *ps)
{
        return &ps->policy->rules[ps->policy->n_rules - 1];
}

/*
 * Makes room for element @n of an array that only ever grows by one through this function:
 * its capacity is then the smallest power of two >= n, so it is full exactly when n is 0 or a
 * power of two.
 */
static inline int policy_array_reserve(void **array, size_t n, size_t size)
{
        void *p;

        if (n != 0 && (n & (n - 1)) != 0)
                return 0;
        if (n > SIZE_MAX / 2 / size)
                return -ENOMEM;
        p = realloc(*array, (n ? n * 2 : 1) * size);
        if (!p)
                return -ENOMEM;
        *array = p;
        return 0;
}



/* Frees what a rule owns, not the rule itself. */
void policy_rule_done(struct policy_rule *rule);
