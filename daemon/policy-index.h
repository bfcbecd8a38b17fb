/* SPDX-License-Identifier: MIT */
/*
 * policy-index.h - the prefix index that keeps policy_match() fast with many rules.
 *
 * Internal to the policy module: policy_match() uses it, the loader builds it.
 */
#pragma once

#include <stdbool.h>

#include "policy.h"

struct policy_index;

/**
 * policy_index_new() - index the Names= patterns of @p.
 * @p: a complete policy; its patterns must outlive the index only while building (the index
 *     keeps copies of the prefixes), but its rules must stay where they are.
 * @ret: the index.
 *
 * Return: 0 or -ENOMEM.
 */
int policy_index_new(const struct policy *p, struct policy_index **ret);

struct policy_index *policy_index_free(struct policy_index *x);

/**
 * policy_index_match() - the first rule of @p whose Names= match @name for @id.
 * @x: the index of @p.
 * @ret: the rule, or NULL for none.
 *
 * Return: true when *@ret is the answer; false when the name has more candidate prefixes than
 * a lookup merges on the stack, and the caller must scan the rules instead.
 */
bool policy_index_match(const struct policy_index *x, const struct policy *p, const char *name,
                        const struct identity *id, const struct policy_rule **ret);
