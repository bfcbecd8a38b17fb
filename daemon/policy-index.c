/* SPDX-License-Identifier: MIT */
/*
 * policy-index.c - first match among many rules without trying each.
 *
 * Every pattern starts with a literal prefix: the bytes before its first '*', '?', '[', '\' or
 * '%'. A pattern can only match names that start with that prefix (expansion leaves the prefix
 * alone, and fnmatch() without flags compares literal bytes exactly). The index maps each
 * distinct prefix to the ascending list of rules that have a pattern with it. A lookup hashes
 * each prefix of the name whose length some pattern prefix has (incrementally, one pass over
 * the name), merges the lists it finds in rule order and tries only those rules: the first that
 * matches is what a linear scan would have returned, because every rule it skips has no pattern
 * whose prefix fits.
 *
 * Not here: matching one rule (policy_rule_matches()), or the scan it falls back to.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "macro.h"
#include "pattern.h"
#include "policy-index.h"

#define INDEX_LISTS_MAX 256             /* lists merged on the stack by one lookup */

struct prefix_list {
        struct hashmap_entry entry;     /* keyed by prefix */
        char *prefix;
        uint32_t *rules;                /* ascending rule indexes, each once */
        size_t n_rules;
        size_t n_alloc;
};

struct policy_index {
        struct hashmap lists;
        size_t *lengths;                /* the distinct prefix lengths, ascending */
        size_t n_lengths;
};

static void prefix_list_free(struct prefix_list *l)
{
        if (!l)
                return;
        free(l->prefix);
        free(l->rules);
        free(l);
}

static void prefix_list_free_entry(struct hashmap_entry *e)
{
        prefix_list_free(container_of(e, struct prefix_list, entry));
}

struct policy_index *policy_index_free(struct policy_index *x)
{
        if (!x)
                return NULL;
        if (x->lists.buckets) {
                hashmap_clear(&x->lists, prefix_list_free_entry);
                hashmap_deinit(&x->lists);
        }
        free(x->lengths);
        free(x);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct policy_index *, policy_index_free);

static int list_add_rule(struct prefix_list *l, uint32_t rule)
{
        if (l->n_rules > 0 && l->rules[l->n_rules - 1] == rule)
                return 0;
        if (l->n_rules == l->n_alloc) {
                size_t n = l->n_alloc ? l->n_alloc * 2 : 4;
                uint32_t *v = reallocarray(l->rules, n, sizeof(*v));

                if (!v)
                        return -ENOMEM;
                l->rules = v;
                l->n_alloc = n;
        }
        l->rules[l->n_rules++] = rule;
        return 0;
}

static int index_add(struct policy_index *x, const char *pattern, uint32_t rule)
{
        size_t len = pattern_literal_len(pattern);
        uint64_t hash = hashmap_hash(pattern, len);
        struct hashmap_entry *e = hashmap_get_hashed(&x->lists, pattern, len, hash);
        struct prefix_list *l;

        if (e)
                l = container_of(e, struct prefix_list, entry);
        else {
                l = calloc(1, sizeof(*l));
                if (!l)
                        return -ENOMEM;
                l->prefix = strndup(pattern, len);
                if (!l->prefix) {
                        free(l);
                        return -ENOMEM;
                }
                l->entry.key = l->prefix;
                hashmap_put(&x->lists, &l->entry);
        }
        return list_add_rule(l, rule);
}

static int size_compare(const void *a, const void *b)
{
        size_t x = *(const size_t *) a, y = *(const size_t *) b;

        return x < y ? -1 : x > y;
}

/* The distinct prefix lengths, from the lists themselves. */
static int index_lengths(struct policy_index *x)
{
        struct hashmap_entry *e;
        size_t i, n = 0, k;

        x->lengths = calloc(x->lists.n_entries ? x->lists.n_entries : 1, sizeof(size_t));
        if (!x->lengths)
                return -ENOMEM;
        for (e = hashmap_first(&x->lists, &i); e; e = hashmap_next(&x->lists, e, &i))
                x->lengths[n++] = strlen(e->key);
        qsort(x->lengths, n, sizeof(size_t), size_compare);
        for (i = 0, k = 0; i < n; i++)
                if (k == 0 || x->lengths[k - 1] != x->lengths[i])
                        x->lengths[k++] = x->lengths[i];
        x->n_lengths = k;
        return 0;
}

int policy_index_new(const struct policy *p, struct policy_index **ret)
{
        _cleanup_(policy_index_freep) struct policy_index *x = NULL;
        size_t i, j;
        int r;

        x = calloc(1, sizeof(*x));
        if (!x)
                return -ENOMEM;
        r = hashmap_init(&x->lists);
        if (r < 0)
                return r;
        for (i = 0; i < p->n_rules; i++)
                for (j = 0; j < p->rules[i].n_names; j++) {
                        r = index_add(x, p->rules[i].names[j], (uint32_t) i);
                        if (r < 0)
                                return r;
                }
        r = index_lengths(x);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(x);
        return 0;
}

bool policy_index_match(const struct policy_index *x, const struct policy *p, const char *name,
                        const struct identity *id, const struct policy_rule **ret)
{
        struct {
                const uint32_t *next, *end;
        } lists[INDEX_LISTS_MAX];
        size_t n_lists = 0, name_len = strlen(name), done = 0, i;
        uint64_t hash = HASHMAP_HASH_INIT;

        for (i = 0; i < x->n_lengths && x->lengths[i] <= name_len; i++) {
                const struct prefix_list *l;
                struct hashmap_entry *e;
                size_t len = x->lengths[i];

                hash = hashmap_hash_update(hash, name + done, len - done);
                done = len;
                e = hashmap_get_hashed(&x->lists, name, len, hash);
                if (!e)
                        continue;
                if (n_lists == ELEMENTSOF(lists))
                        return false;
                l = container_of(e, struct prefix_list, entry);
                lists[n_lists].next = l->rules;
                lists[n_lists].end = l->rules + l->n_rules;
                n_lists++;
        }

        for (;;) {
                uint32_t best = UINT32_MAX;

                for (i = 0; i < n_lists; i++)
                        if (lists[i].next < lists[i].end && *lists[i].next < best)
                                best = *lists[i].next;
                if (best == UINT32_MAX) {
                        *ret = NULL;
                        return true;
                }
                if (policy_rule_matches(&p->rules[best], name, id)) {
                        *ret = &p->rules[best];
                        return true;
                }
                for (i = 0; i < n_lists; i++)
                        if (lists[i].next < lists[i].end && *lists[i].next == best)
                                lists[i].next++;
        }
}
