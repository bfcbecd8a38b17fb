/* SPDX-License-Identifier: MIT */
/*
 * pattern.h - Names= patterns: fnmatch(3) globs with the specifiers %u, %U, %a and %%.
 *
 * Pure: no I/O, no NSS, no allocation. The requester's user name must already be in the
 * identity (identity_resolve_user_name()); a pattern with %u matches nothing without one, and
 * a pattern with %a nothing for a connection without an app id.
 *
 * Not here: which rule a name falls under (policy.c, policy-index.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "identity.h"

/* Bytes of a pattern after expansion, NUL included; a longer expansion does not match. */
#define PATTERN_EXPAND_MAX 4096

/* Where the literal prefix of a pattern ends: the first glob character or specifier. */
#define PATTERN_NOT_LITERAL "*?[\\%"

/**
 * pattern_check() - are the specifiers of @pattern all known?
 * @pattern: the pattern.
 *
 * Return: 0; -EINVAL for a '%' followed by anything but 'u', 'U', 'a' or '%' (or by
 * nothing); -EDOM for %a inside a bracket expression ("[%a]").
 */
int pattern_check(const char *pattern);

/* Does @pattern use the specifier %@c (and not merely "%%" followed by @c)? */
bool pattern_has_specifier(const char *pattern, char c);

/* The length of the literal prefix: every name @pattern matches starts with these bytes. */
size_t pattern_literal_len(const char *pattern);

/* Glob characters: where the plain part of a pattern (literal text and specifiers) ends. */
#define PATTERN_GLOB "*?[\\"

/* The length of the plain part: what @pattern has before its first glob character. It expands
 * to literal text, the same for every pattern that starts with it. */
size_t pattern_plain_len(const char *pattern);

/* Is @pattern a plain part followed by nothing but '*' ("a-*", "%u-*", "*")? Then it matches
 * exactly the names that start with the plain part's expansion, and *@ret_len is its length. */
bool pattern_is_prefix(const char *pattern, size_t *ret_len);

/* Flags of pattern_expand() and pattern_matches(). */
enum {
        /* %a stands for any app id ('*'), for checks that do not know which app asked. */
        PATTERN_ANY_APP = 1u << 0,
};

/**
 * pattern_expand() - replace the specifiers of @pattern for @id.
 * @pattern: a pattern that passed pattern_check().
 * @id: the requester; %u is its user_name and %a its app_id, with * ? [ ] and backslash
 *      escaped, %U its uid.
 * @flags: PATTERN_* flags.
 * @buf: where the glob goes, NUL-terminated.
 * @size: the size of @buf.
 *
 * Return: false when the pattern cannot match for @id: %u without a user name, %a without an
 * app id, an unknown specifier, or an expansion that does not fit in @size.
 */
bool pattern_expand(const char *pattern, const struct identity *id, unsigned flags, char *buf,
                    size_t size);

/* Does @name match @pattern for @id? Expands into a PATTERN_EXPAND_MAX buffer on the stack. */
bool pattern_matches(const char *pattern, const char *name, const struct identity *id,
                     unsigned flags);
