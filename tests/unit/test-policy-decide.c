/* SPDX-License-Identifier: MIT */
/*
 * test-policy-decide.c - unit tests of the decisions (daemon/policy.c): rights, the owner of a
 * new object, whether an existing object's owner is plausible, ACL entries, and the embedded
 * default policy.
 *
 * Needs no root: it only names users and groups every Debian system has.
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
#include <unistd.h>

#include "policy-util.h"

static void test_rights(void **state)
{
        static const char text[] =
                "[Segment r]\n"
                "Names=x\n"
                "Create=root @daemon\n"
                "ReadWrite=1000 @nogroup\n"
                "ReadOnly=nobody @2000 1000\n"
                "[Segment all]\n"
                "Names=y\n"
                "ReadOnly=*\n"
                "[Segment everyone]\n"
                "Names=z\n"
                "Create=*\n"
                "ReadWrite=*\n"
                "[Segment none]\n"
                "Names=n\n";
        static const gid_t extra_groups[] = { 2000, 65534 };
        static const struct {
                const char *name;
                uid_t uid;
                gid_t gid;
                bool groups;            /* member of extra_groups */
                unsigned rights;
        } cases[] = {
                { "x", 0, 0, false, POLICY_RIGHT_CREATE },
                { "x", 5, 1, false, POLICY_RIGHT_CREATE },                /* @daemon, primary */
                { "x", 1000, 1000, false, POLICY_RIGHT_READ | POLICY_RIGHT_WRITE },
                { "x", 65534, 1000, false, POLICY_RIGHT_READ },            /* nobody */
                { "x", 5, 5, true, POLICY_RIGHT_READ | POLICY_RIGHT_WRITE }, /* @nogroup */
                { "x", 5, 2000, false, POLICY_RIGHT_READ },                /* @2000, primary */
                { "x", 5, 5, false, 0 },
                { "x", 1, 5, false, 0 },                                   /* user daemon */
                { "y", 5, 5, false, POLICY_RIGHT_READ },
                { "y", 0, 0, false, POLICY_RIGHT_READ },
                { "z", 5, 5, false, POLICY_RIGHT_READ | POLICY_RIGHT_WRITE | POLICY_RIGHT_CREATE },
                { "n", 0, 0, true, 0 },
        };
        _cleanup_(policy_freep) struct policy *p = load_ok(text);
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct identity id = ident(cases[i].uid, cases[i].gid, NULL);
                const struct policy_rule *r;
                unsigned got;

                if (cases[i].groups) {
                        id.groups = (gid_t *) extra_groups;
                        id.n_groups = ELEMENTSOF(extra_groups);
                }
                r = policy_match(p, cases[i].name, &id);
                assert_non_null(r);
                got = policy_rights(r, &id);
                if (got != cases[i].rights)
                        fail_msg("case %zu: rights %u, expected %u", i, got, cases[i].rights);
        }
        assert_int_equal(policy_rights(NULL, &(struct identity) { 0 }), 0);
}

/* A name that did not resolve matches nobody and gives no ACL entry. */
static void test_unresolved_principals(void **state)
{
        static const gid_t groups[] = { 0, 1, 65534 };
        static const struct {
                uid_t uid;
                gid_t gid;
                const char *user;
        } who[] = {
                { 0, 0, "root" }, { 1, 1, "daemon" }, { 65534, 65534, "nobody" },
                { 4242, 4242, NULL },
        };
        _cleanup_(policy_freep) struct policy *p = NULL;
        _cleanup_(freep) struct policy_acl_entry *users = NULL, *groups_acl = NULL;
        size_t i, n_users, n_groups;

        p = load_ok("[Segment u]\nNames=u\n"
                    "Create=no-such-user-shmb @no-such-group-shmb\n"
                    "ReadWrite=no-such-user-shmb\n"
                    "ReadOnly=@no-such-group-shmb daemon\n");
        assert_int_equal(p->rules[0].n_create, 2);
        assert_int_equal(p->rules[0].create[0].kind, PRINCIPAL_UNRESOLVED);
        assert_string_equal(p->rules[0].create[0].name, "no-such-user-shmb");
        assert_int_equal(p->rules[0].create[1].kind, PRINCIPAL_UNRESOLVED);
        assert_string_equal(p->rules[0].create[1].name, "@no-such-group-shmb");
        for (i = 0; i < ELEMENTSOF(who); i++) {
                struct identity id = ident(who[i].uid, who[i].gid, who[i].user);

                id.groups = (gid_t *) groups;
                id.n_groups = ELEMENTSOF(groups);
                assert_int_equal(policy_rights(&p->rules[0], &id),
                                 who[i].uid == 1 ? POLICY_RIGHT_READ : 0);
        }
        assert_int_equal(policy_acl_entries(&p->rules[0], &users, &n_users, &groups_acl,
                                            &n_groups), 0);
        assert_int_equal(n_users, 1);
        assert_int_equal(users[0].id, 1);
        assert_int_equal(users[0].perm, 4);
        assert_int_equal(n_groups, 0);
}

/* Owner=/Group= that did not resolve: every create under the rule fails with ENXIO, and the
 * rule says why. */
static void test_unresolved_owner(void **state)
{
        static const struct {
                const char *lines;
                const char *refusal;    /* NULL: creates work */
        } cases[] = {
                { "Owner=no-such-user-shmb", "Owner= user 'no-such-user-shmb' does not resolve "
                                             "(no such user)" },
                { "Group=no-such-group-shmb", "Group= group 'no-such-group-shmb' does not "
                                              "resolve (no such group)" },
                { "Owner=%u\nGroup=no-such-group-shmb", "Group= group 'no-such-group-shmb'" },
                { "Owner=no-such-user-shmb\nGroup=no-such-group-shmb",
                  "Owner= user 'no-such-user-shmb'" },
                { "Owner=root\nGroup=root", NULL },
        };
        struct identity root = ident(0, 0, "root");
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(policy_freep) struct policy *p = load_rule(cases[i].lines);
                const struct policy_rule *r = &p->rules[0];
                uid_t uid = 12345;
                gid_t gid = 12345;

                if (!cases[i].refusal) {
                        assert_null(r->create_refusal);
                        assert_int_equal(policy_resolve_owner(r, &root, &uid, &gid), 0);
                        continue;
                }
                assert_non_null(r->create_refusal);
                if (strncmp(r->create_refusal, cases[i].refusal, strlen(cases[i].refusal)) != 0)
                        fail_msg("case %zu: refusal '%s'", i, r->create_refusal);
                assert_int_equal(policy_resolve_owner(r, &root, &uid, &gid), -ENXIO);
                assert_int_equal(uid, 12345);
                assert_int_equal(gid, 12345);
                /* Nothing can have been made under it, either. */
                assert_false(policy_owner_plausible(r, "x-1", 0, 0));
                assert_false(policy_owner_plausible(r, "x-1", geteuid(), getegid()));
        }
}

static void test_is_admin(void **state)
{
        static const gid_t extra[] = { 2000 };
        static const struct {
                uid_t uid;
                gid_t gid;
                bool extra;             /* member of group 2000 */
                bool admin;
        } cases[] = {
                { 0, 0, false, true },          /* root, always */
                { 0, 4242, false, true },
                { 1, 1, false, true },          /* daemon, by name */
                { 1000, 1000, false, true },    /* by uid */
                { 4242, 65534, false, true },   /* @nogroup, primary */
                { 4242, 4242, true, true },     /* @2000, supplementary */
                { 4242, 4242, false, false },
                { 65534, 4242, false, false },  /* nobody is not in the list */
        };
        _cleanup_(policy_freep) struct policy *p = NULL, *none = NULL;
        size_t i;

        p = load_ok("[Broker]\nAdmins=daemon 1000 @nogroup @2000 no-such-user-shmb\n");
        none = load_ok("[Segment a]\nNames=a\nCreate=*\n");
        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct identity id = ident(cases[i].uid, cases[i].gid, NULL);

                if (cases[i].extra) {
                        id.groups = (gid_t *) extra;
                        id.n_groups = 1;
                }
                if (policy_is_admin(p, &id) != cases[i].admin)
                        fail_msg("case %zu: uid %u gid %u: admin %d", i, (unsigned) cases[i].uid,
                                 (unsigned) cases[i].gid, !cases[i].admin);
                /* Without Admins=, and without a policy: root only. */
                assert_int_equal(policy_is_admin(none, &id), cases[i].uid == 0);
                assert_int_equal(policy_is_admin(NULL, &id), cases[i].uid == 0);
        }
        assert_false(policy_is_admin(p, NULL));
}

static void test_resolve_owner(void **state)
{
        static const struct {
                const char *lines;
                uid_t uid;
                const char *user;
                int error;
                uid_t owner;            /* (uid_t) -1: geteuid() */
                gid_t group;            /* (gid_t) -1: getegid() */
        } cases[] = {
                { "", 1000, "alice", 0, (uid_t) -1, (gid_t) -1 },
                { "Owner=daemon\nGroup=nogroup", 1000, "alice", 0, 1, 65534 },
                { "Owner=4242\nGroup=4343", 1000, NULL, 0, 4242, 4343 },
                { "Owner=%u", 1000, "alice", 0, 1000, (gid_t) -1 },
                { "Owner=%u", 1000, NULL, -ENOENT, 0, 0 },
                { "Owner=%U", 1000, NULL, 0, 1000, (gid_t) -1 },
                { "Owner=%U\nGroup=%U", 1000, NULL, 0, 1000, 1000 },
                { "Group=%U", 4242, "alice", 0, (uid_t) -1, 4242 },
                { "Owner=%u\nGroup=%u", 1, "daemon", 0, 1, 1 },
                { "Owner=%u\nGroup=%u", 0, "root", 0, 0, 0 },
                { "Group=%u", 0, NULL, -ENOENT, 0, 0 },
                { "Group=%u", 65534, "nobody", -ENOENT, 0, 0 },   /* no group "nobody" */
                { "Group=%u", 1000, "no-such-group-shmb", -ENOENT, 0, 0 },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(policy_freep) struct policy *p = load_rule(cases[i].lines);
                struct identity id = ident(cases[i].uid, 555, cases[i].user);
                uid_t uid = 12345;
                gid_t gid = 12345;
                int r;

                r = policy_resolve_owner(&p->rules[0], &id, &uid, &gid);
                if (r != cases[i].error)
                        fail_msg("case %zu: got %d, expected %d", i, r, cases[i].error);
                if (r < 0) {
                        /* Outputs are written only on success. */
                        assert_int_equal(uid, 12345);
                        assert_int_equal(gid, 12345);
                        continue;
                }
                assert_int_equal(uid, cases[i].owner == (uid_t) -1 ? geteuid() : cases[i].owner);
                assert_int_equal(gid, cases[i].group == (gid_t) -1 ? getegid() : cases[i].group);
        }
}

static void test_owner_plausible(void **state)
{
        static const struct {
                const char *rule;
                const char *name;
                uid_t uid;              /* (uid_t) -1: geteuid() */
                gid_t gid;              /* (gid_t) -1: getegid() */
                bool plausible;
        } cases[] = {
                /* the daemon's own ids */
                { "Names=*", "x", (uid_t) -1, (gid_t) -1, true },
                { "Names=*", "x", 4242, (gid_t) -1, false },
                /* fixed */
                { "Names=*\nOwner=daemon\nGroup=nogroup", "x", 1, 65534, true },
                { "Names=*\nOwner=daemon\nGroup=nogroup", "x", 1, 1, false },
                { "Names=*\nOwner=daemon\nGroup=nogroup", "x", 0, 65534, false },
                /* %u: the owner's own prefix only */
                { "Names=%u-*\nOwner=%u", "root-x", 0, (gid_t) -1, true },
                { "Names=%u-*\nOwner=%u", "daemon-x", 1, (gid_t) -1, true },
                { "Names=%u-*\nOwner=%u", "root-x", 1, (gid_t) -1, false },
                { "Names=%u-*\nOwner=%u", "daemon-x", 0, (gid_t) -1, false },
                { "Names=%u-*\nOwner=%u", "root-x", 0, 4242, false },
                { "Names=%u-*\nOwner=%u", "x-x", 4242, (gid_t) -1, false },  /* no name */
                /* %U */
                { "Names=u%U-*\nOwner=%U", "u4242-x", 4242, (gid_t) -1, true },
                { "Names=u%U-*\nOwner=%U", "u4242-x", 4243, (gid_t) -1, false },
                { "Names=u%U-*\nOwner=%U\nGroup=%U", "u4242-x", 4242, 4242, true },
                { "Names=u%U-*\nOwner=%U\nGroup=%U", "u4242-x", 4242, 4243, false },
                /* Group=%u: the group named as the owner */
                { "Names=%u-*\nOwner=%u\nGroup=%u", "daemon-x", 1, 1, true },
                { "Names=%u-*\nOwner=%u\nGroup=%u", "daemon-x", 1, 0, false },
                { "Names=%u-*\nOwner=%u\nGroup=%u", "nobody-x", 65534, 65534, false },
                /* fixed owner, creator told by the group */
                { "Names=u%U-*\nOwner=root\nGroup=%U", "u1-x", 0, 1, true },
                { "Names=u%U-*\nOwner=root\nGroup=%U", "u2-x", 0, 1, false },
                { "Names=u%U-*\nOwner=root\nGroup=%U", "u1-x", 1, 1, false },
                { "Names=%u-*\nOwner=root\nGroup=%u", "daemon-x", 0, 1, true },
                { "Names=%u-*\nOwner=root\nGroup=%u", "root-x", 0, 1, false },
                { "Names=%u-*\nOwner=root\nGroup=%u", "daemon-x", 0, 4242, false },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(policy_freep) struct policy *p = NULL;
                _cleanup_(freep) char *text = NULL;
                uid_t uid = cases[i].uid == (uid_t) -1 ? geteuid() : cases[i].uid;
                gid_t gid = cases[i].gid == (gid_t) -1 ? getegid() : cases[i].gid;
                bool got;

                assert_true(asprintf(&text, "[Segment r]\n%s\n", cases[i].rule) >= 0);
                p = load_ok(text);
                got = policy_owner_plausible(&p->rules[0], cases[i].name, uid, gid);
                if (got != cases[i].plausible)
                        fail_msg("case %zu: '%s' owned by %u:%u: got %d", i, cases[i].name,
                                 (unsigned) uid, (unsigned) gid, got);
        }
}

static void test_acl_entries(void **state)
{
        static const struct {
                const char *lines;
                struct policy_acl_entry users[4];
                size_t n_users;
                struct policy_acl_entry groups[4];
                size_t n_groups;
        } cases[] = {
                { "", { }, 0, { }, 0 },
                { "ReadWrite=*\nReadOnly=*\nCreate=root @root", { }, 0, { }, 0 },
                { "ReadWrite=root\nReadOnly=daemon", { { 0, 6 }, { 1, 4 } }, 2, { }, 0 },
                { "ReadOnly=daemon\nReadWrite=root", { { 0, 6 }, { 1, 4 } }, 2, { }, 0 },
                { "ReadOnly=root daemon root\nReadWrite=daemon",
                  { { 1, 6 }, { 0, 4 } }, 2, { }, 0 },
                { "ReadWrite=root * @daemon\nReadOnly=root daemon @daemon @root",
                  { { 0, 6 }, { 1, 4 } }, 2, { { 1, 6 }, { 0, 4 } }, 2 },
                { "ReadOnly=0 @0 nobody @nogroup 0",
                  { { 0, 4 }, { 65534, 4 } }, 2, { { 0, 4 }, { 65534, 4 } }, 2 },
                { "ReadWrite=@nogroup @nogroup\nReadOnly=@nogroup", { }, 0, { { 65534, 6 } }, 1 },
        };
        size_t i, j;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(policy_freep) struct policy *p = load_rule(cases[i].lines);
                _cleanup_(freep) struct policy_acl_entry *users = NULL, *groups = NULL;
                size_t n_users = 99, n_groups = 99;

                assert_int_equal(policy_acl_entries(&p->rules[0], &users, &n_users, &groups,
                                                    &n_groups), 0);
                assert_int_equal(n_users, cases[i].n_users);
                assert_int_equal(n_groups, cases[i].n_groups);
                for (j = 0; j < n_users; j++) {
                        assert_int_equal(users[j].id, cases[i].users[j].id);
                        assert_int_equal(users[j].perm, cases[i].users[j].perm);
                }
                for (j = 0; j < n_groups; j++) {
                        assert_int_equal(groups[j].id, cases[i].groups[j].id);
                        assert_int_equal(groups[j].perm, cases[i].groups[j].perm);
                }
        }
}

/* Thousands of principals: deduplication must not be quadratic, and must be right. */
static void test_acl_entries_many(void **state)
{
        _cleanup_(policy_freep) struct policy *p = NULL;
        _cleanup_(freep) struct policy_acl_entry *users = NULL, *groups = NULL;
        _cleanup_(freep) char *text = NULL;
        size_t size = 200000, len = 0, n_users, n_groups, i;

        text = malloc(size);
        assert_non_null(text);
        len += (size_t) snprintf(text + len, size - len, "[Segment r]\nNames=x\n");
        for (i = 0; i < 4000; i++)
                len += (size_t) snprintf(text + len, size - len, "ReadOnly=%zu\n", 10000 + i);
        for (i = 0; i < 4000; i += 2)
                len += (size_t) snprintf(text + len, size - len, "ReadWrite=%zu\n", 10000 + i);
        p = load_ok(text);
        assert_int_equal(policy_acl_entries(&p->rules[0], &users, &n_users, &groups, &n_groups),
                         0);
        assert_int_equal(n_users, 4000);
        assert_int_equal(n_groups, 0);
        assert_null(groups);
        /* ReadWrite= entries come first (even ids), then the rest in ReadOnly= order. */
        for (i = 0; i < 2000; i++) {
                assert_int_equal(users[i].id, 10000 + 2 * i);
                assert_int_equal(users[i].perm, 6);
                assert_int_equal(users[2000 + i].id, 10000 + 2 * i + 1);
                assert_int_equal(users[2000 + i].perm, 4);
        }
}

/* ---------------------------------------------------------------------- the default policy */

/*
 * The default policy: each user a prefix on the main socket, each app of each user one on its
 * app socket; what each requester gets for each name, and who cannot reach what.
 */
static void test_default_policy(void **state)
{
        static const struct {
                const char *name;
                uid_t uid;
                const char *user;
                const char *app;        /* NULL: the main socket */
                const char *rule;       /* NULL: no rule */
                bool granted;           /* create, read, write; else nothing */
        } cases[] = {
                /* main socket */
                { "root-x", 0, "root", NULL, "user-private", true },
                { "nobody-cache", 65534, "nobody", NULL, "user-private", true },
                { "root-x", 65534, "nobody", NULL, NULL, false },
                { "nobody-cache", 0, "root", NULL, NULL, false },
                { "root", 0, "root", NULL, NULL, false },
                { "shared", 0, "root", NULL, NULL, false },
                { "u1000-x", 1000, NULL, NULL, NULL, false },
                /* The shell is decided by user-private even for an app's names: the broker
                 * will not hand it an object that app-private made. */
                { "root-org.example.App-x", 0, "root", NULL, "user-private", true },
                /* app socket: its own prefix, and nothing of its user's */
                { "root-org.example.App-x", 0, "root", "org.example.App", "app-private", true },
                { "root-org.example.App-", 0, "root", "org.example.App", "app-private", true },
                { "root-x", 0, "root", "org.example.App", "user-private", false },
                { "root-org.example.Other-x", 0, "root", "org.example.App", "user-private",
                  false },
                { "nobody-org.example.App-x", 0, "root", "org.example.App", NULL, false },
                { "nobody-org.example.App-x", 65534, "nobody", "org.example.App", "app-private",
                  true },
                { "u1000-org.example.App-x", 1000, NULL, "org.example.App", NULL, false },
        };
        _cleanup_(policy_freep) struct policy *p = load_ok(policy_default_text);
        const struct policy_rule *r;
        size_t i;

        assert_int_equal(p->n_rules, 2);
        for (i = 0; i < 2; i++) {
                r = &p->rules[i];
                assert_int_equal(r->owner.kind, ID_SPEC_REQUESTER_NAME);
                assert_int_equal(r->group.kind, ID_SPEC_DAEMON);
                assert_int_equal(r->mode, 0600);
                assert_true(r->max_size == UINT64_C(64) << 20);
                assert_int_equal(r->backend, POLICY_BACKEND_SHM);
                assert_true(r->per_user);
                assert_int_equal(r->per_app, i == 0);
        }
        assert_string_equal(p->rules[0].id, "app-private");
        assert_string_equal(p->rules[1].id, "user-private");

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct identity id = ident(cases[i].uid, cases[i].uid, cases[i].user);
                unsigned rights;

                id.app_id = (char *) cases[i].app;
                r = policy_match(p, cases[i].name, &id);
                if ((r == NULL) != (cases[i].rule == NULL) ||
                    (r && strcmp(r->id, cases[i].rule) != 0))
                        fail_msg("case %zu: '%s': rule %s, expected %s", i, cases[i].name,
                                 r ? r->id : "(none)", cases[i].rule ? cases[i].rule : "(none)");
                rights = policy_rights(r, &id);
                assert_int_equal(rights, cases[i].granted ? POLICY_RIGHT_READ |
                                 POLICY_RIGHT_WRITE | POLICY_RIGHT_CREATE : 0);
        }
        r = &p->rules[1];
        assert_true(policy_owner_plausible(r, "nobody-x", 65534, getegid()));
        assert_false(policy_owner_plausible(r, "nobody-x", 0, getegid()));
        /* An app's object: the file does not say which app, any will do. */
        r = &p->rules[0];
        assert_true(policy_owner_plausible(r, "nobody-org.example.App-x", 65534, getegid()));
        assert_false(policy_owner_plausible(r, "nobody-org.example.App-x", 0, getegid()));
        assert_false(policy_owner_plausible(r, "nobody-x", 65534, getegid()));
}

/* app: principals match app connections only; everything else, the main socket only. */
static void test_app_rights(void **state)
{
        static const struct {
                uid_t uid;
                const char *app;
                unsigned rights;
        } cases[] = {
                { 0, NULL, POLICY_RIGHT_CREATE | POLICY_RIGHT_READ },
                { 1000, NULL, POLICY_RIGHT_CREATE },
                { 0, "org.example.A", POLICY_RIGHT_CREATE | POLICY_RIGHT_READ |
                                      POLICY_RIGHT_WRITE },
                { 0, "org.example.A.b", POLICY_RIGHT_CREATE | POLICY_RIGHT_READ |
                                        POLICY_RIGHT_WRITE },
                { 1000, "org.other.B", POLICY_RIGHT_READ | POLICY_RIGHT_WRITE },
                { 1000, "com.viewer.V", POLICY_RIGHT_READ | POLICY_RIGHT_WRITE },
                { 1000, "com.viewer.W", POLICY_RIGHT_READ | POLICY_RIGHT_WRITE },
        };
        _cleanup_(policy_freep) struct policy *p = NULL, *only = NULL;
        _cleanup_(freep) struct policy_acl_entry *users = NULL, *groups = NULL;
        size_t i, n_users, n_groups;

        p = load_ok("[Segment s]\nNames=s\nCreate=app:org.example.* *\nReadWrite=app:*\n"
                    "ReadOnly=@root app:com.viewer.[VW] root\n");
        assert_int_equal(p->rules[0].create[0].kind, PRINCIPAL_APP);
        assert_string_equal(p->rules[0].create[0].name, "org.example.*");
        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct identity id = ident(cases[i].uid, cases[i].uid, NULL);

                id.app_id = (char *) cases[i].app;
                if (policy_rights(&p->rules[0], &id) != cases[i].rights)
                        fail_msg("case %zu: rights %u, expected %u", i,
                                 policy_rights(&p->rules[0], &id), cases[i].rights);
        }
        /* Apps get no ACL entry: they have no file system identity of their own. */
        assert_int_equal(policy_acl_entries(&p->rules[0], &users, &n_users, &groups, &n_groups),
                         0);
        assert_int_equal(n_users, 1);
        assert_int_equal(users[0].id, 0);
        assert_int_equal(n_groups, 1);
        assert_int_equal(groups[0].id, 0);

        /* A rule for apps only gives main-socket connections nothing, root included. */
        only = load_ok("[Segment a]\nNames=a\nCreate=app:*\nReadWrite=app:x.y\n");
        {
                struct identity root = ident(0, 0, "root");

                assert_int_equal(policy_rights(&only->rules[0], &root), 0);
        }
}

/* Who may be handed an object, by who created it: per-user and per-app rules. */
static void test_creator_matches(void **state)
{
        static const struct {
                const char *rule;
                uid_t uid;
                const char *app;
                uid_t creator;
                const char *creator_app;
                bool ok;
        } cases[] = {
                /* neither: anyone the rights allow */
                { "Names=x-*", 1000, NULL, 1001, NULL, true },
                /* per-user: %u or %U in every name, whoever owns the files */
                { "Names=%u-*\nOwner=%u", 1000, NULL, 1000, NULL, true },
                { "Names=%u-*\nOwner=%u", 1000, NULL, 1001, NULL, false },
                { "Names=%u-*\nOwner=%u", 1000, "a.b", 1000, "c.d", true },
                { "Names=%u-*", 1000, NULL, 1001, NULL, false },
                { "Names=%U-* %u-*\nOwner=root", 1000, NULL, 1001, NULL, false },
                { "Names=%u-*\nOwner=root", 1000, NULL, 1000, NULL, true },
                /* per-app (and per-user: the names hold %u) */
                { "Names=%u-%a-*", 1000, "org.a", 1000, "org.a", true },
                { "Names=%u-%a-*", 1000, "org.a", 1000, "org.a-b", false },
                { "Names=%u-%a-*", 1000, "org.a", 1001, "org.a", false },
                { "Names=%a-*", 1000, "org.a", 1001, "org.a", true },
                { "Names=%u-%a-*", 1000, "org.a", 1000, NULL, false },
                { "Names=%u-%a-*", 1000, NULL, 1000, "org.a", false },
                /* both */
                { "Names=%u-%a-*\nOwner=%u", 1000, "org.a", 1001, "org.a", false },
                { "Names=%u-%a-*\nOwner=%u", 1000, "org.a", 1000, "org.a", true },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(policy_freep) struct policy *p = NULL;
                _cleanup_(freep) char *text = NULL;
                struct identity id = ident(cases[i].uid, cases[i].uid, "alice");

                id.app_id = (char *) cases[i].app;
                assert_true(asprintf(&text, "[Segment r]\n%s\nCreate=app:*\n",
                                     cases[i].rule) > 0);
                p = load_ok(text);
                if (policy_creator_matches(&p->rules[0], &id, cases[i].creator,
                                           cases[i].creator_app) != cases[i].ok)
                        fail_msg("case %zu: expected %d", i, cases[i].ok);
        }
}

/* Root on an app socket is an app, not an admin. */
static void test_app_not_admin(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok("[Broker]\nAdmins=daemon\n");
        struct identity root = ident(0, 0, "root"), daemon = ident(1, 1, "daemon");

        assert_true(policy_is_admin(p, &root));
        assert_true(policy_is_admin(p, &daemon));
        root.app_id = (char *) "org.example.App";
        daemon.app_id = (char *) "org.example.App";
        assert_false(policy_is_admin(p, &root));
        assert_false(policy_is_admin(p, &daemon));
        assert_false(policy_is_admin(NULL, &root));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rights),
                cmocka_unit_test(test_is_admin),
                cmocka_unit_test(test_unresolved_principals),
                cmocka_unit_test(test_unresolved_owner),
                cmocka_unit_test(test_resolve_owner),
                cmocka_unit_test(test_owner_plausible),
                cmocka_unit_test(test_acl_entries),
                cmocka_unit_test(test_acl_entries_many),
                cmocka_unit_test(test_default_policy),
                cmocka_unit_test(test_app_rights),
                cmocka_unit_test(test_app_not_admin),
                cmocka_unit_test(test_creator_matches),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
