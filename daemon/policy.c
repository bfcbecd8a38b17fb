/* SPDX-License-Identifier: MIT */
/*
 * policy.c - the decisions: which rule decides a name, what it grants (to users, groups and
 * apps), who is an admin, whom a new object belongs to, and which ACL entries it gets.
 *
 * Matching (policy_match(), policy_rights(), policy_is_admin()) is pure: no I/O, no NSS and no
 * allocation; the prefix index (policy-index.c) keeps policy_match() roughly independent of
 * the number of rules. Owners may need NSS (Group=%u, and checking an existing object's owner).
 *
 * Not here: reading the policy (policy-load.c, policy-parse.c, policy-keys.c), lifetimes
 * (policy-lifetime.c), name validation (shmb_name_normalize() runs before any policy
 * decision), creating objects or setting their ACL (shm.c, memfd.c, acl.c).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "nss.h"
#include "pattern.h"
#include "policy-index.h"
#include "policy.h"

/**
 * policy_rule_matches() - does one of @rule's Names= patterns match @name for @id?
 */
static bool rule_matches(const struct policy_rule *rule, const char *name,
                         const struct identity *id, unsigned flags)
{
        size_t i;

        for (i = 0; i < rule->n_names; i++)
                if (pattern_matches(rule->names[i], name, id, flags))
                        return true;
        return false;
}

bool policy_rule_matches(const struct policy_rule *rule, const char *name,
                         const struct identity *id)
{
        return rule_matches(rule, name, id, 0);
}

static const struct policy_rule *match_linear(const struct policy *p, const char *name,
                                              const struct identity *id)
{
        size_t i;

        for (i = 0; i < p->n_rules; i++)
                if (policy_rule_matches(&p->rules[i], name, id))
                        return &p->rules[i];
        return NULL;
}

const struct policy_rule *policy_match(const struct policy *p, const char *name,
                                       const struct identity *id)
{
        const struct policy_rule *rule;

        if (!p || !name || !id)
                return NULL;
        if (p->index && policy_index_match(p->index, p, name, id, &rule))
                return rule;
        return match_linear(p, name, id);
}

static bool principals_match(const struct principal *v, size_t n, const struct identity *id)
{
        size_t i;

        /* An app connection is its app, never its user: see struct principal. */
        if (id->app_id) {
                for (i = 0; i < n; i++)
                        if (v[i].kind == PRINCIPAL_APP && fnmatch(v[i].name, id->app_id, 0) == 0)
                                return true;
                return false;
        }
        for (i = 0; i < n; i++)
                switch (v[i].kind) {
                case PRINCIPAL_ANY:
                        return true;
                case PRINCIPAL_USER:
                        if ((uint32_t) id->uid == v[i].id)
                                return true;
                        break;
                case PRINCIPAL_GROUP:
                        if (identity_in_group(id, (gid_t) v[i].id))
                                return true;
                        break;
                case PRINCIPAL_UNRESOLVED:
                case PRINCIPAL_APP:
                        break;
                }
        return false;
}

bool policy_is_admin(const struct policy *p, const struct identity *id)
{
        if (!id || id->app_id)
                return false;
        if (id->uid == 0)
                return true;
        return p && principals_match(p->admins, p->n_admins, id);
}

bool policy_creator_matches(const struct policy_rule *rule, const struct identity *id,
                            uid_t creator_uid, const char *creator_app_id)
{
        if (!rule || !id)
                return false;
        if (rule->per_user && creator_uid != id->uid)
                return false;
        if (rule->per_app && (!creator_app_id || !id->app_id ||
                              strcmp(creator_app_id, id->app_id) != 0))
                return false;
        return true;
}

/**
 * policy_rights() - what @rule lets @id do.
 * @rule: the rule policy_match() returned, or NULL (no rights).
 * @id: the requester.
 *
 * Return: POLICY_RIGHT_* bits: READ for a principal in ReadOnly= or ReadWrite=, WRITE (always
 * with READ) for one in ReadWrite=, CREATE for one in Create=.
 */
unsigned policy_rights(const struct policy_rule *rule, const struct identity *id)
{
        unsigned rights = 0;

        if (!rule || !id)
                return 0;
        if (principals_match(rule->read_write, rule->n_read_write, id))
                rights |= POLICY_RIGHT_READ | POLICY_RIGHT_WRITE;
        if (principals_match(rule->read_only, rule->n_read_only, id))
                rights |= POLICY_RIGHT_READ;
        if (principals_match(rule->create, rule->n_create, id))
                rights |= POLICY_RIGHT_CREATE;
        return rights;
}

int policy_resolve_owner(const struct policy_rule *rule, const struct identity *creator,
                         uid_t *ret_uid, gid_t *ret_gid)
{
        uid_t uid;
        gid_t gid;
        int r;

        /* Before anything that depends on the creator: the rule cannot make objects at all. */
        if (rule->owner.kind == ID_SPEC_UNRESOLVED || rule->group.kind == ID_SPEC_UNRESOLVED)
                return -ENXIO;

        switch (rule->owner.kind) {
        case ID_SPEC_DAEMON:
                uid = geteuid();
                break;
        case ID_SPEC_FIXED:
                uid = (uid_t) rule->owner.id;
                break;
        case ID_SPEC_REQUESTER_NAME:
                if (!creator->user_name)
                        return -ENOENT;
                uid = creator->uid;
                break;
        case ID_SPEC_REQUESTER_ID:
                uid = creator->uid;
                break;
        case ID_SPEC_UNRESOLVED:
                return -ENXIO;
        default:
                return -EINVAL;
        }

        switch (rule->group.kind) {
        case ID_SPEC_DAEMON:
                gid = getegid();
                break;
        case ID_SPEC_FIXED:
                gid = (gid_t) rule->group.id;
                break;
        case ID_SPEC_REQUESTER_NAME:
                if (!creator->user_name)
                        return -ENOENT;
                /* Looked up when the client connected (resolver.c), off the event loop; for a
                 * creator's identity rebuilt from the registry (a reload), here. */
                if (creator->user_group_resolved) {
                        if (!creator->has_user_group)
                                return -ENOENT;
                        gid = creator->user_group;
                        break;
                }
                r = nss_group_by_name(creator->user_name, &gid);
                if (r < 0)
                        return r;
                break;
        case ID_SPEC_REQUESTER_ID:
                gid = (gid_t) creator->uid;
                break;
        case ID_SPEC_UNRESOLVED:
                return -ENXIO;
        default:
                return -EINVAL;
        }

        *ret_uid = uid;
        *ret_gid = gid;
        return 0;
}

bool policy_id_spec_is_requester(const struct id_spec *s)
{
        return s->kind == ID_SPEC_REQUESTER_NAME || s->kind == ID_SPEC_REQUESTER_ID;
}

bool policy_owned_by_creator(const struct policy_rule *rule)
{
        return rule->backend == POLICY_BACKEND_SHM &&
               (policy_id_spec_is_requester(&rule->owner) ||
                policy_id_spec_is_requester(&rule->group));
}

bool policy_owner_plausible(const struct policy_rule *rule, const char *name, uid_t uid,
                            gid_t gid)
{
        struct identity creator = { .uid = (uid_t) -1, .gid = (gid_t) -1 };
        _cleanup_(freep) char *user_name = NULL;
        bool need_name = false;
        uid_t want_uid;
        gid_t want_gid;
        size_t i;
        int r;

        if (!rule || !name)
                return false;

        if (!policy_id_spec_is_requester(&rule->owner) &&
            !policy_id_spec_is_requester(&rule->group)) {
                /* Fixed owner and group: nothing depends on who created the object. */
                if (policy_resolve_owner(rule, &creator, &want_uid, &want_gid) < 0)
                        return false;
                return want_uid == uid && want_gid == gid;
        }

        /* Who would the creator have been? The owner says it; failing that, the group does. */
        if (policy_id_spec_is_requester(&rule->owner))
                creator.uid = uid;
        else if (rule->group.kind == ID_SPEC_REQUESTER_ID)
                creator.uid = (uid_t) gid;
        else {
                _cleanup_(freep) char *group_name = NULL;

                /* Group=%u: the group is named as the creator, so that name is the user's. */
                if (nss_group_name_by_gid(gid, &group_name) < 0)
                        return false;
                if (nss_user_by_name(group_name, &creator.uid) < 0)
                        return false;
                user_name = TAKE_PTR(group_name);
        }
        if (creator.uid == (uid_t) -1)
                return false;

        need_name = rule->owner.kind == ID_SPEC_REQUESTER_NAME ||
                    rule->group.kind == ID_SPEC_REQUESTER_NAME;
        for (i = 0; i < rule->n_names && !need_name; i++)
                need_name = pattern_has_specifier(rule->names[i], 'u');
        if (need_name && !user_name) {
                r = nss_user_name_by_uid(creator.uid, &user_name);
                if (r < 0 && r != -ENOENT)
                        return false;
        }
        creator.user_name = user_name;

        if (!rule_matches(rule, name, &creator, PATTERN_ANY_APP))
                return false;
        if (policy_resolve_owner(rule, &creator, &want_uid, &want_gid) < 0)
                return false;
        return want_uid == uid && want_gid == gid;
}

struct acl_item {
        uint32_t id;
        unsigned perm;
        size_t pos;     /* order first named */
};

static int acl_item_compare_id(const void *a, const void *b)
{
        const struct acl_item *x = a, *y = b;

        if (x->id != y->id)
                return x->id < y->id ? -1 : 1;
        return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int acl_item_compare_pos(const void *a, const void *b)
{
        const struct acl_item *x = a, *y = b;

        return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * The entries of one kind (users or groups), deduplicated by sorting: lists may be long.
 * None for a per-user rule (every Names= pattern holds %u or %U): the broker hands each of its
 * objects to its creator alone, and a named entry would let the users it names open every
 * user's objects in the object directory.
 */
static int acl_collect(const struct policy_rule *rule, enum principal_kind kind,
                       struct policy_acl_entry **ret, size_t *ret_n)
{
        const struct {
                const struct principal *v;
                size_t n;
                unsigned perm;
        } sources[] = {
                { rule->read_write, rule->n_read_write, 6 },
                { rule->read_only, rule->n_read_only, 4 },
        };
        _cleanup_(freep) struct acl_item *items = NULL;
        struct policy_acl_entry *out;
        size_t n = 0, m = 0, i, j;

        for (i = 0; i < ELEMENTSOF(sources) && !rule->per_user; i++)
                for (j = 0; j < sources[i].n; j++)
                        if (sources[i].v[j].kind == kind)
                                n++;
        if (n == 0) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }

        items = calloc(n, sizeof(*items));
        if (!items)
                return -ENOMEM;
        for (i = 0; i < ELEMENTSOF(sources); i++)
                for (j = 0; j < sources[i].n; j++)
                        if (sources[i].v[j].kind == kind) {
                                items[m] = (struct acl_item) {
                                        .id = sources[i].v[j].id,
                                        .perm = sources[i].perm,
                                        .pos = m,
                                };
                                m++;
                        }

        qsort(items, n, sizeof(*items), acl_item_compare_id);
        for (i = 0, m = 0; i < n; i++) {
                if (m > 0 && items[m - 1].id == items[i].id)
                        items[m - 1].perm |= items[i].perm;     /* rw wins over r */
                else
                        items[m++] = items[i];
        }
        qsort(items, m, sizeof(*items), acl_item_compare_pos);

        out = calloc(m, sizeof(*out));
        if (!out)
                return -ENOMEM;
        for (i = 0; i < m; i++)
                out[i] = (struct policy_acl_entry) { .id = items[i].id, .perm = items[i].perm };
        *ret = out;
        *ret_n = m;
        return 0;
}

int policy_acl_entries(const struct policy_rule *rule, struct policy_acl_entry **ret_users,
                       size_t *ret_n_users, struct policy_acl_entry **ret_groups,
                       size_t *ret_n_groups)
{
        _cleanup_(freep) struct policy_acl_entry *users = NULL;
        struct policy_acl_entry *groups = NULL;
        size_t n_users = 0, n_groups = 0;
        int r;

        r = acl_collect(rule, PRINCIPAL_USER, &users, &n_users);
        if (r < 0)
                return r;
        r = acl_collect(rule, PRINCIPAL_GROUP, &groups, &n_groups);
        if (r < 0)
                return r;
        *ret_users = TAKE_PTR(users);
        *ret_n_users = n_users;
        *ret_groups = groups;
        *ret_n_groups = n_groups;
        return 0;
}
