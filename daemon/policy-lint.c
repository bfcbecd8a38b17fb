/* SPDX-License-Identifier: MIT */
/*
 * policy-lint.c - warnings that need the whole policy: shadowed rules and overlapping per-user
 * prefixes.
 *
 * Both are about Names= patterns as text, for every requester at once, so they must not
 * claim what they cannot prove: a rule is reported as shadowed only when each of its patterns
 * is covered by an earlier pattern in one of two provable ways (the same text, or an earlier
 * "PLAIN*" whose plain part the later pattern starts with); other coverings go unreported.
 * Principals play no part: the first rule whose Names= match decides, whoever asks.
 *
 * Not here: warnings about one line or one section (policy-parse.c, policy-keys.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "pattern.h"
#include "policy-parser.h"

#define LINT_PAIRS_MAX 1000000  /* pattern pairs the overlap check looks at, at most */

struct lint_key {
        struct hashmap_entry entry;
        char *owned;            /* the key, when it is a copy */
        size_t rule;            /* the first rule with it */
};

struct lint_keys {
        struct hashmap map;
        struct lint_key *v;     /* every entry, for freeing; capacity fixed at the start */
        size_t n;
};

static int keys_init(struct lint_keys *k, size_t capacity)
{
        *k = (struct lint_keys) {};
        k->v = calloc(capacity ? capacity : 1, sizeof(*k->v));
        if (!k->v)
                return -ENOMEM;
        return hashmap_init(&k->map);
}

static void keys_done(struct lint_keys *k)
{
        size_t i;

        for (i = 0; i < k->n; i++)
                free(k->v[i].owned);
        free(k->v);
        hashmap_deinit(&k->map);
}

/* Adds @key (copied if @len is not its length) for @rule, unless an earlier rule has it. */
static int keys_add(struct lint_keys *k, const char *key, size_t len, size_t rule)
{
        struct lint_key *e;

        if (hashmap_get_hashed(&k->map, key, len, hashmap_hash(key, len)))
                return 0;
        e = &k->v[k->n];
        *e = (struct lint_key) { .rule = rule };
        if (key[len] != '\0') {
                e->owned = strndup(key, len);
                if (!e->owned)
                        return -ENOMEM;
        }
        e->entry.key = e->owned ? e->owned : key;
        hashmap_put(&k->map, &e->entry);
        k->n++;
        return 0;
}

/* The first earlier rule with a pattern that provably covers @pattern, or SIZE_MAX. */
static size_t covering_rule(const struct lint_keys *exact, const struct lint_keys *prefixes,
                            const char *pattern)
{
        size_t plain = pattern_plain_len(pattern), best = SIZE_MAX, k;
        struct hashmap_entry *e;
        uint64_t h = HASHMAP_HASH_INIT;

        e = hashmap_get(&exact->map, pattern);
        if (e)
                best = container_of(e, struct lint_key, entry)->rule;
        /* "Q*" covers every pattern that starts with Q, when Q holds no glob character: the
         * same text expands the same way for each requester, to the same literal prefix. */
        for (k = 0; k <= plain; k++) {
                if (k > 0)
                        h = hashmap_hash_update(h, pattern + k - 1, 1);
                e = hashmap_get_hashed(&prefixes->map, pattern, k, h);
                if (e && container_of(e, struct lint_key, entry)->rule < best)
                        best = container_of(e, struct lint_key, entry)->rule;
        }
        return best;
}

static int lint_shadowed(const struct policy *p, struct policy_diags *d, bool *shadowed)
{
        struct lint_keys exact, prefixes;
        size_t n_patterns = 0, i, j;
        int r;

        for (j = 0; j < p->n_rules; j++)
                n_patterns += p->rules[j].n_names;
        r = keys_init(&exact, n_patterns);
        if (r >= 0)
                r = keys_init(&prefixes, n_patterns);
        for (j = 0; j < p->n_rules && r >= 0; j++) {
                const struct policy_rule *rule = &p->rules[j];
                size_t by = SIZE_MAX;

                for (i = 0; i < rule->n_names; i++) {
                        size_t c = covering_rule(&exact, &prefixes, rule->names[i]);

                        if (c == SIZE_MAX)
                                break;
                        if (by == SIZE_MAX)
                                by = c;
                }
                if (rule->n_names > 0 && i == rule->n_names) {
                        const struct policy_rule *first = &p->rules[by];

                        shadowed[j] = true;
                        r = policy_diags_add(d, POLICY_DIAG_WARNING, rule->file, rule->line,
                                             "[Segment %s] is shadowed: every name its Names= "
                                             "match is decided first by [Segment %s] (%s:%u), "
                                             "so this rule never applies", rule->id, first->id,
                                             first->file, first->line);
                }
                for (i = 0; i < rule->n_names && r >= 0; i++) {
                        const char *pattern = rule->names[i];
                        size_t len;

                        r = keys_add(&exact, pattern, strlen(pattern), j);
                        if (r >= 0 && pattern_is_prefix(pattern, &len))
                                r = keys_add(&prefixes, pattern, len, j);
                }
        }
        keys_done(&exact);
        keys_done(&prefixes);
        return r;
}

/*
 * A per-user prefix: "A%uT*" with A and T plain text (no specifier, no glob). For a user U it
 * covers the names starting with "AUT". With "A%uT2*" where T is a proper prefix of T2 (say
 * "%u-*" and "%u-x-*"), the name "Ualice-x-data" is under the second for user "alice" and under
 * the first for a user called "alice-x": two rules decide one name, depending on who asks.
 */
struct per_user {
        const char *pattern;
        size_t a_len;           /* A is pattern[0, a_len) */
        const char *t;          /* T, t_len bytes */
        size_t t_len;
        size_t rule;
};

static bool per_user_prefix(const char *pattern, size_t rule, struct per_user *ret)
{
        const char *spec;
        size_t len;

        if (!pattern_is_prefix(pattern, &len))
                return false;
        spec = memchr(pattern, '%', len);
        if (!spec || spec + 1 >= pattern + len || spec[1] != 'u' ||
            memchr(spec + 2, '%', len - (size_t) (spec + 2 - pattern)))
                return false;
        *ret = (struct per_user) {
                .pattern = pattern, .a_len = (size_t) (spec - pattern), .t = spec + 2,
                .t_len = len - (size_t) (spec + 2 - pattern), .rule = rule,
        };
        return true;
}

static int per_user_compare(const void *x, const void *y)
{
        const struct per_user *a = x, *b = y;
        size_t n = a->a_len < b->a_len ? a->a_len : b->a_len;
        int c = memcmp(a->pattern, b->pattern, n);

        if (c != 0 || a->a_len != b->a_len)
                return c != 0 ? c : a->a_len < b->a_len ? -1 : 1;
        n = a->t_len < b->t_len ? a->t_len : b->t_len;
        c = memcmp(a->t, b->t, n);
        if (c != 0 || a->t_len != b->t_len)
                return c != 0 ? c : a->t_len < b->t_len ? -1 : 1;
        return a->rule < b->rule ? -1 : a->rule > b->rule;
}

/* Is @s's T a prefix of (or equal to) @x's, with the same A? */
static bool per_user_is_prefix(const struct per_user *s, const struct per_user *x)
{
        return s->a_len == x->a_len && memcmp(s->pattern, x->pattern, s->a_len) == 0 &&
               s->t_len <= x->t_len && memcmp(s->t, x->t, s->t_len) == 0;
}

/* @longer (earlier rule) and @shorter (later rule): warn at the later rule. */
static int overlap_warning(const struct policy *p, const struct per_user *longer,
                           const struct per_user *shorter, struct policy_diags *d)
{
        const struct policy_rule *lr = &p->rules[longer->rule], *sr = &p->rules[shorter->rule];
        size_t extra = longer->t_len - shorter->t_len;
        int user2_len, name_tail;

        /* An example: user "alice" and the name "A" "alice" T2 "data"; the other user is
         * "alice" plus what T2 has beyond T, when T2 ends with T (so "alice-x" for "-" and
         * "-x-"); otherwise "alice" T2, and the name gets T in between. */
        if (memcmp(longer->t + extra, shorter->t, shorter->t_len) == 0) {
                user2_len = (int) extra;
                name_tail = 0;
        } else {
                user2_len = (int) longer->t_len;
                name_tail = (int) shorter->t_len;
        }
        return policy_diags_add(d, POLICY_DIAG_WARNING, sr->file, sr->line,
                                "Names=%s of [Segment %s] overlaps Names=%s of [Segment %s] "
                                "(%s:%u): '%.*salice%.*s%.*sdata' falls under [Segment %s] "
                                "for user 'alice' and under [Segment %s] for a user called "
                                "'alice%.*s'", shorter->pattern, sr->id, longer->pattern, lr->id,
                                lr->file, lr->line, (int) longer->a_len, longer->pattern,
                                (int) longer->t_len, longer->t, name_tail, shorter->t, lr->id,
                                sr->id, user2_len, longer->t);
}

static int lint_overlaps(const struct policy *p, struct policy_diags *d, bool *warned)
{
        _cleanup_(freep) struct per_user *v = NULL, **stack = NULL;
        size_t n = 0, n_stack = 0, pairs = 0, i, j;
        int r;

        for (i = 0; i < p->n_rules; i++)
                n += p->rules[i].n_names;
        v = calloc(n ? n : 1, sizeof(*v));
        stack = calloc(n ? n : 1, sizeof(*stack));
        if (!v || !stack)
                return -ENOMEM;
        n = 0;
        for (i = 0; i < p->n_rules; i++)
                for (j = 0; j < p->rules[i].n_names; j++)
                        if (per_user_prefix(p->rules[i].names[j], i, &v[n]))
                                n++;
        qsort(v, n, sizeof(*v), per_user_compare);

        /* In sorted order, the patterns whose T is a prefix of the current one's are on the
         * stack. */
        for (i = 0; i < n && pairs < LINT_PAIRS_MAX; i++) {
                while (n_stack > 0 && !per_user_is_prefix(stack[n_stack - 1], &v[i]))
                        n_stack--;
                for (j = 0; j < n_stack && pairs < LINT_PAIRS_MAX; j++, pairs++) {
                        const struct per_user *s = stack[j];

                        /* A later longer one is shadowed, which lint_shadowed() reports. */
                        if (s->t_len == v[i].t_len || v[i].rule >= s->rule || warned[s->rule])
                                continue;
                        warned[s->rule] = true;
                        r = overlap_warning(p, &v[i], s, d);
                        if (r < 0)
                                return r;
                }
                stack[n_stack++] = &v[i];
        }
        return 0;
}

int policy_lint(const struct policy *p, struct policy_diags *d)
{
        /* One warning per rule is enough: a shadowed rule gets no overlap warning. */
        _cleanup_(freep) bool *warned = calloc(p->n_rules ? p->n_rules : 1, sizeof(bool));
        int r;

        if (!warned)
                return -ENOMEM;
        r = lint_shadowed(p, d, warned);
        if (r < 0)
                return r;
        return lint_overlaps(p, d, warned);
}
