/* SPDX-License-Identifier: MIT */
/*
 * attrs.c - an object's owner, group, mode and ACL, from its rule (see attrs.h).
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "attrs.h"
#include "record.h"

int object_attrs_for(const struct policy_rule *rule, const struct identity *creator,
                     struct object_attrs *ret)
{
        struct object_attrs a = { .mode = rule->mode };
        int r;

        r = policy_resolve_owner(rule, creator, &a.uid, &a.gid);
        if (r < 0)
                return r;
        r = policy_acl_entries(rule, &a.users, &a.n_users, &a.groups, &a.n_groups);
        if (r < 0)
                return r;
        *ret = a;
        return 0;
}

void object_attrs_done(struct object_attrs *a)
{
        if (!a->borrowed) {
                free(a->users);
                free(a->groups);
        }
        *a = (struct object_attrs) {};
}

int object_attrs_for_cached(const struct rule_attrs *ra, const struct policy_rule *rule,
                            const struct identity *creator, struct object_attrs *ret)
{
        struct object_attrs a = {
                .mode = rule->mode, .users = ra->users, .n_users = ra->n_users,
                .groups = ra->groups, .n_groups = ra->n_groups, .acl = &ra->acl,
                .borrowed = true,
        };
        int r;

        r = policy_resolve_owner(rule, creator, &a.uid, &a.gid);
        if (r < 0)
                return r;
        *ret = a;
        return 0;
}

static struct rule_attrs *rule_attrs_free(struct rule_attrs *ra)
{
        if (!ra)
                return NULL;
        free(ra->users);
        free(ra->groups);
        acl_xattr_done(&ra->acl);
        free(ra);
        return NULL;
}

void attrs_cache_reset(struct attrs_cache *c)
{
        size_t i;

        for (i = 0; i < c->n_rules; i++)
                rule_attrs_free(c->rules[i]);
        free(c->rules);
        *c = (struct attrs_cache) {};
}

static int rule_attrs_new(const struct policy_rule *rule, struct rule_attrs **ret)
{
        struct rule_attrs *ra = calloc(1, sizeof(*ra));
        int r;

        if (!ra)
                return -ENOMEM;
        r = object_attrs_spec(rule, &ra->spec);
        if (r >= 0)
                r = policy_acl_entries(rule, &ra->users, &ra->n_users, &ra->groups,
                                       &ra->n_groups);
        if (r >= 0)
                r = acl_xattr_build(rule->mode, ra->users, ra->n_users, ra->groups,
                                    ra->n_groups, &ra->acl);
        if (r < 0) {
                rule_attrs_free(ra);
                return r;
        }
        *ret = ra;
        return 0;
}

int attrs_cache_get(struct attrs_cache *c, const struct policy *p, const struct policy_rule *rule,
                    const struct rule_attrs **ret)
{
        size_t i = (size_t) (rule - p->rules);
        int r;

        if (rule < p->rules || i >= p->n_rules)
                return -EINVAL;
        if (c->policy != p) {
                attrs_cache_reset(c);
                c->rules = calloc(p->n_rules ? p->n_rules : 1, sizeof(*c->rules));
                if (!c->rules)
                        return -ENOMEM;
                c->policy = p;
                c->n_rules = p->n_rules;
        }
        if (!c->rules[i]) {
                r = rule_attrs_new(rule, &c->rules[i]);
                if (r < 0)
                        return r;
        }
        *ret = c->rules[i];
        return 0;
}

void object_attrs_orphan(struct object_attrs *ret)
{
        *ret = (struct object_attrs) { .uid = geteuid(), .gid = getegid(), .mode = 0 };
}

static uint64_t hash_u64(uint64_t h, uint64_t v)
{
        return record_hash(h, &v, sizeof(v));
}

static uint64_t hash_entries(uint64_t h, const struct policy_acl_entry *e, size_t n)
{
        size_t i;

        h = hash_u64(h, n);
        for (i = 0; i < n; i++) {
                h = hash_u64(h, e[i].id);
                h = hash_u64(h, e[i].perm);
        }
        return h;
}

int object_attrs_published(struct object_attrs *a)
{
        uid_t daemon = geteuid();
        size_t i;

        /* The owner could chmod() write back: a published file is the daemon's, and its
         * owner keeps what it may read through a named entry. */
        if (a->uid != daemon) {
                struct policy_acl_entry *u;
                bool named = false;

                for (i = 0; i < a->n_users; i++)
                        if (a->users[i].id == (uint32_t) a->uid)
                                named = true;
                if (!named && (a->mode & 0400)) {
                        u = reallocarray(a->users, a->n_users + 1, sizeof(*u));
                        if (!u)
                                return -ENOMEM;
                        a->users = u;
                        a->users[a->n_users++] = (struct policy_acl_entry) {
                                .id = (uint32_t) a->uid, .perm = 4 };
                }
                a->uid = daemon;
        }
        a->mode &= ~(mode_t) 0222;
        for (i = 0; i < a->n_users; i++)
                a->users[i].perm &= ~2u;
        for (i = 0; i < a->n_groups; i++)
                a->groups[i].perm &= ~2u;
        return 0;
}

bool object_attrs_creator_demoted(const struct policy_rule *rule, const struct identity *creator,
                                  unsigned rights)
{
        /* Rights through a group are not known here (a creator's identity rebuilt from the
         * registry has no groups): such a creator is not let write, failing closed. */
        return policy_owned_by_creator(rule) && creator->uid != 0 &&
               !(rights & POLICY_RIGHT_WRITE);
}

int object_attrs_demote(const struct policy_rule *rule, const struct identity *creator,
                        unsigned rights, struct object_attrs *a)
{
        bool reads = false, named = false;
        size_t i;

        assert(!a->borrowed);
        if (!object_attrs_creator_demoted(rule, creator, rights))
                return 0;
        if (policy_id_spec_is_requester(&rule->owner) && a->uid != geteuid()) {
                reads = a->mode & 0400;
                a->uid = geteuid();
        }
        if (policy_id_spec_is_requester(&rule->group) && a->gid != getegid()) {
                /* Other members of the creator's group lose the group bits too: Group= gives
                 * no broker rights, so they lose nothing the broker gives them. */
                reads = reads || (a->mode & 0040);
                a->gid = getegid();
                a->mode &= ~(mode_t) 0070;
        }
        for (i = 0; i < a->n_users; i++)
                if (a->users[i].id == (uint32_t) creator->uid) {
                        a->users[i].perm &= ~2u;
                        named = true;
                }
        if (!named && reads && (rights & POLICY_RIGHT_READ)) {
                struct policy_acl_entry *u = reallocarray(a->users, a->n_users + 1, sizeof(*u));

                if (!u)
                        return -ENOMEM;
                a->users = u;
                a->users[a->n_users++] = (struct policy_acl_entry) {
                        .id = (uint32_t) creator->uid, .perm = 4 };
        }
        return 0;
}

uint64_t object_attrs_spec_demoted(uint64_t spec)
{
        uint64_t h = hash_u64(spec, UINT64_C(0x64656d6f746564)); /* "demoted" */

        return h > ATTRS_SPEC_ORPHAN && h != spec ? h : h + 2;
}

int object_attrs_decide(const struct policy_rule *rule, const struct identity *creator,
                        bool published, struct object_attrs *ret)
{
        _cleanup_(object_attrs_done) struct object_attrs a = {};
        int r;

        r = object_attrs_for(rule, creator, &a);
        if (r < 0)
                return r;
        r = object_attrs_demote(rule, creator, policy_rights(rule, creator), &a);
        if (r >= 0 && published)
                r = object_attrs_published(&a);
        if (r < 0)
                return r;
        *ret = a;
        a = (struct object_attrs) {};
        return 0;
}

uint64_t object_attrs_spec_decide(const struct policy_rule *rule, const struct identity *creator,
                                  bool published, uint64_t spec)
{
        if (object_attrs_creator_demoted(rule, creator, policy_rights(rule, creator)))
                spec = object_attrs_spec_demoted(spec);
        return published ? object_attrs_spec_published(spec) : spec;
}

uint64_t object_attrs_spec_published(uint64_t spec)
{
        uint64_t h = hash_u64(spec, UINT64_C(0x7075626c69736864)); /* "published" */

        return h > ATTRS_SPEC_ORPHAN && h != spec ? h : h + 2;
}

int object_attrs_spec(const struct policy_rule *rule, uint64_t *ret)
{
        struct policy_acl_entry *users = NULL, *groups = NULL;
        size_t n_users = 0, n_groups = 0;
        uint64_t h = RECORD_HASH_INIT;
        int r;

        r = policy_acl_entries(rule, &users, &n_users, &groups, &n_groups);
        if (r < 0)
                return r;
        h = hash_u64(h, (uint64_t) rule->backend);
        h = hash_u64(h, (uint64_t) rule->owner.kind);
        h = hash_u64(h, rule->owner.id);
        h = hash_u64(h, (uint64_t) rule->group.kind);
        h = hash_u64(h, rule->group.id);
        h = hash_u64(h, (uint64_t) rule->mode);
        h = hash_entries(h, users, n_users);
        h = hash_entries(h, groups, n_groups);
        free(users);
        free(groups);
        /* 0 and 1 mean "none recorded" and "orphan". */
        *ret = h > ATTRS_SPEC_ORPHAN ? h : h + 2;
        return 0;
}
