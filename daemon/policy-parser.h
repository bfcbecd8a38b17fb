/* SPDX-License-Identifier: MIT */
/*
 * policy-parser.h - the policy text parser's state, shared by its two halves: policy-parse.c
 * (lines, sections, rule IDs, the checks at the end of a section) and policy-keys.c (the value
 * of each key). policy-load.c feeds it file texts.
 *
 * Internal to the policy module.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "hashmap.h"
#include "macro.h"
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
        char *error;                    /* the first error, "FILE:LINE: text" */
};

int policy_parser_init(struct policy_parser *ps);
void policy_parser_deinit(struct policy_parser *ps);

/* Parses one file's text of @len bytes; sections end with their file. Returns 0, -EINVAL
 * after recording an error, or -ENOMEM. */
int policy_parser_feed(struct policy_parser *ps, const char *file, const char *text, size_t len);

/* Hands out the policy, indexed, if @r >= 0 and nothing was wrong; returns @r or the error. */
int policy_parser_finish(struct policy_parser *ps, int r, struct policy **ret, char **ret_error);

/* Records "FILE:LINE: text" (or "FILE: text" for @line 0) and returns -EINVAL, or -ENOMEM. */
int policy_parser_error_at(struct policy_parser *ps, unsigned line, const char *fmt, ...)
        _printf_(3, 4);
#define policy_parser_error(ps, ...) policy_parser_error_at((ps), (ps)->line, __VA_ARGS__)

/* policy-keys.c: one "Key=Value" of the open [Segment] or [Quota] section. @value is stripped
 * and may be cut up. */
int policy_parse_segment_key(struct policy_parser *ps, const char *key, char *value);
int policy_parse_quota_key(struct policy_parser *ps, const char *key, char *value);

/* Frees what a rule owns, not the rule itself. */
void policy_rule_done(struct policy_rule *rule);
