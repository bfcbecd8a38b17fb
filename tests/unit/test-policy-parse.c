/* SPDX-License-Identifier: MIT */
/*
 * test-policy-parse.c - unit tests of the policy syntax (daemon/policy-parse.c,
 * daemon/policy-keys.c).
 *
 * Table-driven: every key and its values, every principal form, list keys appending and
 * resetting, and every error with its FILE:LINE.
 *
 * Needs no root: it only names users and groups every Debian system has (root 0, daemon 1,
 * nobody 65534; groups root 0, daemon 1, nogroup 65534).
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

#include "policy-util.h"

static void test_defaults(void **state)
{
        _cleanup_(policy_freep) struct policy *p = NULL;
        const struct policy_rule *r;

        p = load_ok("# comment\n; another comment\n\n  [ Segment  first ]  \n  Names = a-* \n");
        assert_int_equal(p->n_rules, 1);
        r = &p->rules[0];
        assert_string_equal(r->id, "first");
        assert_string_equal(r->file, ORIGIN);
        assert_int_equal(r->line, 4);
        assert_int_equal(r->n_names, 1);
        assert_string_equal(r->names[0], "a-*");
        assert_int_equal(r->n_create, 0);
        assert_int_equal(r->n_read_write, 0);
        assert_int_equal(r->n_read_only, 0);
        assert_int_equal(r->owner.kind, ID_SPEC_DAEMON);
        assert_int_equal(r->group.kind, ID_SPEC_DAEMON);
        assert_int_equal(r->mode, 0600);
        assert_true(r->max_size == POLICY_SIZE_UNLIMITED);
        assert_int_equal(r->backend, POLICY_BACKEND_SHM);
}

static void test_empty_policy(void **state)
{
        static const char *const texts[] = { "", "\n\n", "# nothing\n; at all\n", "   \t\n" };
        struct identity root = ident(0, 0, "root");
        size_t i;

        for (i = 0; i < ELEMENTSOF(texts); i++) {
                _cleanup_(policy_freep) struct policy *p = load_ok(texts[i]);

                assert_int_equal(p->n_rules, 0);
                assert_null(policy_match(p, "x", &root));
        }
}

static void test_mode(void **state)
{
        static const struct {
                const char *value;
                mode_t mode;
        } cases[] = {
                { "0", 0 }, { "600", 0600 }, { "0600", 0600 }, { "0640", 0640 },
                { "0660", 0660 }, { "0666", 0666 }, { "444", 0444 }, { "0004", 04 },
                { "6", 06 },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(policy_freep) struct policy *p = NULL;
                _cleanup_(freep) char *line = NULL;

                assert_true(asprintf(&line, "Mode=%s", cases[i].value) >= 0);
                p = load_rule(line);
                assert_int_equal(p->rules[0].mode, cases[i].mode);
        }
}

static void test_max_size(void **state)
{
        static const struct {
                const char *value;
                uint64_t size;
        } cases[] = {
                { "1", 1 },
                { "4096", 4096 },
                { "1K", 1024 },
                { "64M", UINT64_C(64) << 20 },
                { "2G", UINT64_C(2) << 30 },
                { "1T", UINT64_C(1) << 40 },
                { "16777215T", UINT64_C(16777215) << 40 },
                { "18446744073709551615", UINT64_MAX },
                { "007K", 7 * 1024 },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(policy_freep) struct policy *p = NULL;
                _cleanup_(freep) char *line = NULL;

                assert_true(asprintf(&line, "MaxSize=%s", cases[i].value) >= 0);
                p = load_rule(line);
                assert_true(p->rules[0].max_size == cases[i].size);
        }
}

static void test_backend(void **state)
{
        _cleanup_(policy_freep) struct policy *shm = load_rule("Backend=shm");
        _cleanup_(policy_freep) struct policy *memfd = load_rule("Backend = memfd");

        assert_int_equal(shm->rules[0].backend, POLICY_BACKEND_SHM);
        assert_int_equal(memfd->rules[0].backend, POLICY_BACKEND_MEMFD);
}

static void test_owner_group(void **state)
{
        static const struct {
                const char *line;
                bool group;
                enum id_spec_kind kind;
                uint32_t id;
        } cases[] = {
                { "Owner=root", false, ID_SPEC_FIXED, 0 },
                { "Owner=daemon", false, ID_SPEC_FIXED, 1 },
                { "Owner=nobody", false, ID_SPEC_FIXED, 65534 },
                { "Owner=0", false, ID_SPEC_FIXED, 0 },
                { "Owner=4242", false, ID_SPEC_FIXED, 4242 },
                { "Owner=4294967294", false, ID_SPEC_FIXED, 4294967294u },
                { "Owner=%u", false, ID_SPEC_REQUESTER_NAME, 0 },
                { "Owner=%U", false, ID_SPEC_REQUESTER_ID, 0 },
                { "Group=root", true, ID_SPEC_FIXED, 0 },
                { "Group=daemon", true, ID_SPEC_FIXED, 1 },
                { "Group=nogroup", true, ID_SPEC_FIXED, 65534 },
                { "Group=65534", true, ID_SPEC_FIXED, 65534 },
                { "Group=%u", true, ID_SPEC_REQUESTER_NAME, 0 },
                { "Group=%U", true, ID_SPEC_REQUESTER_ID, 0 },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(policy_freep) struct policy *p = load_rule(cases[i].line);
                const struct id_spec *s = cases[i].group ? &p->rules[0].group : &p->rules[0].owner;
                const struct id_spec *other = cases[i].group ? &p->rules[0].owner :
                                                               &p->rules[0].group;

                assert_int_equal(s->kind, cases[i].kind);
                if (s->kind == ID_SPEC_FIXED)
                        assert_int_equal(s->id, cases[i].id);
                assert_int_equal(other->kind, ID_SPEC_DAEMON);
        }
}

static void test_principals(void **state)
{
        static const struct {
                const char *value;
                enum principal_kind kind;
                uint32_t id;
        } cases[] = {
                { "*", PRINCIPAL_ANY, 0 },
                { "root", PRINCIPAL_USER, 0 },
                { "daemon", PRINCIPAL_USER, 1 },
                { "nobody", PRINCIPAL_USER, 65534 },
                { "0", PRINCIPAL_USER, 0 },
                { "1000", PRINCIPAL_USER, 1000 },
                { "4294967294", PRINCIPAL_USER, 4294967294u },
                { "@root", PRINCIPAL_GROUP, 0 },
                { "@daemon", PRINCIPAL_GROUP, 1 },
                { "@nogroup", PRINCIPAL_GROUP, 65534 },
                { "@0", PRINCIPAL_GROUP, 0 },
                { "@4294967294", PRINCIPAL_GROUP, 4294967294u },
        };
        static const char *const keys[] = { "Create", "ReadWrite", "ReadOnly" };
        size_t i, k;

        for (k = 0; k < ELEMENTSOF(keys); k++)
                for (i = 0; i < ELEMENTSOF(cases); i++) {
                        _cleanup_(policy_freep) struct policy *p = NULL;
                        _cleanup_(freep) char *line = NULL;
                        const struct policy_rule *r;
                        const struct principal *v;
                        size_t n;

                        assert_true(asprintf(&line, "%s=%s", keys[k], cases[i].value) >= 0);
                        p = load_rule(line);
                        r = &p->rules[0];
                        v = k == 0 ? r->create : k == 1 ? r->read_write : r->read_only;
                        n = k == 0 ? r->n_create : k == 1 ? r->n_read_write : r->n_read_only;
                        assert_int_equal(n, 1);
                        assert_int_equal(v[0].kind, cases[i].kind);
                        if (v[0].kind != PRINCIPAL_ANY)
                                assert_int_equal(v[0].id, cases[i].id);
                        /* The other lists stay empty. */
                        assert_int_equal(r->n_create + r->n_read_write + r->n_read_only, 1);
                }
}

/* [Broker] Admins=: users and groups, appended across sections and files, reset by an empty
 * assignment. */
static void test_broker(void **state)
{
        static const struct {
                const char *text;
                size_t n;
                enum principal_kind kinds[4];
                uint32_t ids[4];
        } cases[] = {
                { "[Broker]\nAdmins=root @daemon 1000 @65534\n", 4,
                  { PRINCIPAL_USER, PRINCIPAL_GROUP, PRINCIPAL_USER, PRINCIPAL_GROUP },
                  { 0, 1, 1000, 65534 } },
                { "[Broker]\nAdmins=root\n[Segment a]\nNames=a\n[Broker]\nAdmins=nobody\n", 2,
                  { PRINCIPAL_USER, PRINCIPAL_USER }, { 0, 65534 } },
                { "[Broker]\nAdmins=root\nAdmins=\nAdmins=@root\n", 1, { PRINCIPAL_GROUP },
                  { 0 } },
                { "[Broker]\nAdmins=no-such-user-shmb\n", 1, { PRINCIPAL_UNRESOLVED }, { 0 } },
                { "[Broker]\n", 0, { }, { } },
                { "", 0, { }, { } },
        };
        size_t i, j;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(policy_freep) struct policy *p = load_ok(cases[i].text);

                assert_int_equal(p->n_admins, cases[i].n);
                for (j = 0; j < cases[i].n; j++) {
                        assert_int_equal(p->admins[j].kind, cases[i].kinds[j]);
                        if (cases[i].kinds[j] != PRINCIPAL_UNRESOLVED)
                                assert_int_equal(p->admins[j].id, cases[i].ids[j]);
                }
        }
}

/* app:GLOB principals, and %a in Names=. */
static void test_apps(void **state)
{
        static const char *const globs[] = {
                "org.example.App", "org.example.*", "*", "org.example.[AB]pp", "a.b?",
                "org.my-app.X_1",
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(globs); i++) {
                _cleanup_(policy_freep) struct policy *p = NULL;
                _cleanup_(freep) char *text = NULL;

                assert_true(asprintf(&text, "[Segment a]\nNames=%%u-%%a-*\nCreate=app:%s\n"
                                     "ReadWrite=app:%s *\n", globs[i], globs[i]) > 0);
                p = load_ok(text);
                assert_int_equal(p->rules[0].n_create, 1);
                assert_int_equal(p->rules[0].create[0].kind, PRINCIPAL_APP);
                assert_string_equal(p->rules[0].create[0].name, globs[i]);
                assert_int_equal(p->rules[0].n_read_write, 2);
                assert_int_equal(p->rules[0].read_write[1].kind, PRINCIPAL_ANY);
                assert_string_equal(p->rules[0].names[0], "%u-%a-*");
                assert_true(p->rules[0].per_app);
                /* %u in every name: per-user, whoever owns the files (no Owner=%u). */
                assert_true(p->rules[0].per_user);
        }
}

/* List keys append when repeated; an empty assignment resets them. */
static void test_list_append_reset(void **state)
{
        _cleanup_(policy_freep) struct policy *p = NULL;
        const struct policy_rule *r;

        p = load_ok("[Segment r]\n"
                    "Names=a b\n"
                    "Names=\tc   d \n"
                    "Names=\n"
                    "Names=e /f\n"
                    "Create=root\n"
                    "Create=\n"
                    "Create=daemon @nogroup\n"
                    "ReadWrite=* root\n"
                    "ReadWrite=nobody\n"
                    "ReadOnly=root\n"
                    "ReadOnly=\n");
        r = &p->rules[0];
        assert_int_equal(r->n_names, 2);
        assert_string_equal(r->names[0], "e");
        assert_string_equal(r->names[1], "f");
        assert_int_equal(r->n_create, 2);
        assert_int_equal(r->create[0].kind, PRINCIPAL_USER);
        assert_int_equal(r->create[0].id, 1);
        assert_int_equal(r->create[1].kind, PRINCIPAL_GROUP);
        assert_int_equal(r->create[1].id, 65534);
        assert_int_equal(r->n_read_write, 3);
        assert_int_equal(r->read_write[0].kind, PRINCIPAL_ANY);
        assert_int_equal(r->read_write[2].id, 65534);
        assert_int_equal(r->n_read_only, 0);
}

static void test_names_patterns(void **state)
{
        static const struct {
                const char *value;
                const char *stored;
        } cases[] = {
                { "/a-*", "a-*" },
                { "a-*", "a-*" },
                { "%u-*", "%u-*" },
                { "/%U.%%", "%U.%%" },
                { "[ab]?\\*", "[ab]?\\*" },
                { "*", "*" },
                { "/*", "*" },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(policy_freep) struct policy *p = NULL;
                _cleanup_(freep) char *text = NULL;

                assert_true(asprintf(&text, "[Segment r]\nNames=%s\n", cases[i].value) >= 0);
                p = load_ok(text);
                assert_int_equal(p->rules[0].n_names, 1);
                assert_string_equal(p->rules[0].names[0], cases[i].stored);
        }
}

static void test_several_rules(void **state)
{
        _cleanup_(policy_freep) struct policy *p = NULL;

        /* CRLF line ends, no newline at the end, comments between sections. */
        p = load_ok("[Segment one]\r\nNames=1-*\r\n\r\n# two\r\n[Segment two]\r\nNames=2-*");
        assert_int_equal(p->n_rules, 2);
        assert_string_equal(p->rules[0].id, "one");
        assert_int_equal(p->rules[0].line, 1);
        assert_string_equal(p->rules[1].id, "two");
        assert_int_equal(p->rules[1].line, 5);
        assert_string_equal(p->rules[1].names[0], "2-*");
}

/* ---------------------------------------------------------------------------- errors */

static void test_errors(void **state)
{
        static const struct {
                const char *text;
                unsigned line;
                const char *what;       /* a part of the message */
        } cases[] = {
                /* structure */
                { "[Segment a]\nNames=x\nFoo=1\n", 3, "unknown key 'Foo'" },
                { "[Segment a]\nNames=x\nnames=y\n", 3, "unknown key 'names'" },
                { "[Service a]\nNames=x\n", 1, "unknown section type 'Service'" },
                { "[segment a]\nNames=x\n", 1, "unknown section type" },
                { "# c\nNames=x\n[Segment a]\nNames=x\n", 2, "outside" },
                { "[Segment]\nNames=x\n", 1, "without an ID" },
                { "[Segment  ]\nNames=x\n", 1, "without an ID" },
                { "[Segment a b]\nNames=x\n", 1, "invalid section ID 'a b'" },
                { "[Segment a\nNames=x\n", 1, "']'" },
                { "[]\n", 1, "empty section header" },
                { "[Segment a]\nNames=x\ngarbage\n", 3, "Key=Value" },
                { "[Segment a]\nNames=x\n=value\n", 3, "missing key" },
                { "[Segment a]\nNames=x\nMode=06\x01\n", 3, "control character" },
                { "[Segment a]\nNames=x\n[Segment a]\nNames=y\n", 3,
                  "duplicate section ID 'a', first used at test.conf:1" },
                { "[Segment a]\nMode=0600\n[Segment b]\nNames=x\n", 1, "has no Names=" },
                { "[Segment a]\nNames=x\nNames=\n", 1, "has no Names=" },
                { "[Segment a]\nNames=x\n\n[Segment b]\n", 4, "has no Names=" },
                { "[Segment a]\n", 1, "has no Names=" },
                /* [Broker] */
                { "[Broker x]\nAdmins=root\n", 1, "[Broker] takes no ID" },
                { "[Broker]\nAdmin=root\n", 2, "unknown key 'Admin' in [Broker]" },
                { "[Broker]\nNames=x\n", 2, "unknown key 'Names' in [Broker]" },
                { "[Broker]\nAdmins=*\n", 2, "Admins= takes users and @groups, not '*'" },
                { "[Broker]\nAdmins=root 4294967295\n", 2, "invalid uid" },
                { "[Quota x]\n", 1, "[Quota] takes no ID" },
                /* apps */
                { "[Segment a]\nNames=x\nCreate=app:\n", 3, "invalid app id pattern ''" },
                { "[Segment a]\nNames=x\nCreate=app:org\n", 3, "invalid app id pattern 'org'" },
                { "[Segment a]\nNames=x\nCreate=app:org..x\n", 3, "'org..x'" },
                { "[Segment a]\nNames=x\nCreate=app:org.2x\n", 3, "'org.2x'" },
                { "[Segment a]\nNames=x\nReadOnly=app:org/x.*\n", 3, "'org/x.*'" },
                { "[Segment a]\nNames=x\nReadOnly=app:org.%u\n", 3, "'org.%u'" },
                { "[Segment a]\nNames=x\nReadWrite=App:org.x\n", 3, "invalid user name" },
                { "[Broker]\nAdmins=app:*\n", 2, "Admins= takes users and @groups, not 'app:*'" },
                { "[Segment a]\nNames=x\nOwner=%a\n", 3, "not '%a'" },
                { "[Segment a]\nNames=x\nGroup=%a\n", 3, "not '%a'" },
                /* scalar keys: once per section, with a value */
                { "[Segment a]\nNames=x\nMode=0600\nMode=0600\n", 4, "already set on line 3" },
                { "[Segment a]\nNames=x\nOwner=root\nOwner=root\n", 4, "Owner=" },
                { "[Segment a]\nNames=x\nGroup=root\n\nGroup=daemon\n", 5, "Group=" },
                { "[Segment a]\nNames=x\nMaxSize=1\nMaxSize=2\n", 4, "MaxSize=" },
                { "[Segment a]\nNames=x\nBackend=shm\nBackend=shm\n", 4, "Backend=" },
                { "[Segment a]\nNames=x\nOwner=\n", 3, "needs a value" },
                /* Mode= */
                { "[Segment a]\nNames=x\nMode=04600\n", 3, "'04600'" },
                { "[Segment a]\nNames=x\nMode=4600\n", 3, "outside 0666" },
                { "[Segment a]\nNames=x\nMode=2600\n", 3, "outside 0666" },
                { "[Segment a]\nNames=x\nMode=1600\n", 3, "outside 0666" },
                { "[Segment a]\nNames=x\nMode=0700\n", 3, "outside 0666" },
                { "[Segment a]\nNames=x\nMode=0777\n", 3, "outside 0666" },
                { "[Segment a]\nNames=x\nMode=0610\n", 3, "outside 0666" },
                { "[Segment a]\nNames=x\nMode=0601\n", 3, "outside 0666" },
                { "[Segment a]\nNames=x\nMode=0668\n", 3, "'0668'" },
                { "[Segment a]\nNames=x\nMode=rw\n", 3, "'rw'" },
                { "[Segment a]\nNames=x\nMode=\n", 3, "Mode= needs a value" },
                { "[Segment a]\nNames=x\nMode=-600\n", 3, "Mode=" },
                { "[Segment a]\nNames=x\nMode=0x1a4\n", 3, "Mode=" },
                /* MaxSize= */
                { "[Segment a]\nNames=x\nMaxSize=0\n", 3, "'0'" },
                { "[Segment a]\nNames=x\nMaxSize=0K\n", 3, "'0K'" },
                { "[Segment a]\nNames=x\nMaxSize=-1\n", 3, "'-1'" },
                { "[Segment a]\nNames=x\nMaxSize=+1\n", 3, "'+1'" },
                { "[Segment a]\nNames=x\nMaxSize= 1 \n[Segment b]\nMaxSize=18446744073709551616\n",
                  5, "too large" },
                { "[Segment a]\nNames=x\nMaxSize=16777216T\n", 3, "too large" },
                { "[Segment a]\nNames=x\nMaxSize=99999999999999999999999\n", 3, "too large" },
                { "[Segment a]\nNames=x\nMaxSize=1Q\n", 3, "'1Q'" },
                { "[Segment a]\nNames=x\nMaxSize=1KB\n", 3, "'1KB'" },
                { "[Segment a]\nNames=x\nMaxSize=1 K\n", 3, "'1 K'" },
                { "[Segment a]\nNames=x\nMaxSize=K\n", 3, "'K'" },
                { "[Segment a]\nNames=x\nMaxSize=\n", 3, "MaxSize= needs a value" },
                /* Backend= */
                { "[Segment a]\nNames=x\nBackend=posix\n", 3, "'posix'" },
                { "[Segment a]\nNames=x\nBackend=SHM\n", 3, "'SHM'" },
                /* principals */
                { "[Segment a]\nNames=x\nCreate=@\n", 3, "'@'" },
                { "[Segment a]\nNames=x\nCreate=4294967295\n", 3, "invalid uid '4294967295'" },
                { "[Segment a]\nNames=x\nReadWrite=4294967296\n", 3, "invalid uid" },
                { "[Segment a]\nNames=x\nReadWrite=99999999999999999999999\n", 3, "invalid uid" },
                { "[Segment a]\nNames=x\nReadOnly=@4294967295\n", 3, "invalid gid" },
                { "[Segment a]\nNames=x\nCreate=-1\n", 3, "invalid user name '-1'" },
                { "[Segment a]\nNames=x\nReadOnly=a:b\n", 3, "invalid user name 'a:b'" },
                { "[Segment a]\nNames=x\nReadOnly=@a/b\n", 3, "invalid group name 'a/b'" },
                { "[Segment a]\nNames=x\nReadWrite=\"root\"\n", 3, "invalid user name" },
                { "[Segment a]\nNames=x\nCreate=@-x\n", 3, "invalid group name '-x'" },
                { "[Segment a]\nNames=x\nCreate=%u\n", 3, "'%u'" },
                { "[Segment a]\nNames=x\nCreate=**\n", 3, "'**'" },
                /* Owner=, Group= */
                { "[Segment a]\nNames=x\nOwner=4294967295\n", 3, "invalid uid" },
                { "[Segment a]\nNames=x\nOwner=@root\n", 3, "not '@root'" },
                { "[Segment a]\nNames=x\nGroup=@root\n", 3, "not '@root'" },
                { "[Segment a]\nNames=x\nOwner=a b\n", 3, "not 'a b'" },
                { "[Segment a]\nNames=x\nOwner=%x\n", 3, "'%x'" },
                { "[Segment a]\nNames=x\nOwner=%u%U\n", 3, "'%u%U'" },
                { "[Segment a]\nNames=x\nGroup=4294967295\n", 3, "invalid gid" },
                { "[Segment a]\nNames=x\nGroup=%g\n", 3, "'%g'" },
                /* Names= */
                { "[Segment a]\nNames=a/b\n", 2, "'a/b'" },
                { "[Segment a]\nNames=x //b\n", 2, "'/b'" },
                { "[Segment a]\nNames=/\n", 2, "'/'" },
                { "[Segment a]\nNames=%x-*\n", 2, "'%x-*'" },
                { "[Segment a]\nNames=x-%\n", 2, "'x-%'" },
                { "[Segment a]\nNames=%%%\n", 2, "'%%%'" },
                { "[Segment a]\nNames=x-[%a]\n", 2, "%a inside [...]" },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++)
                load_fails(cases[i].text, cases[i].line, cases[i].what);
}

static void test_line_length(void **state)
{
        _cleanup_(policy_freep) struct policy *p = NULL;
        _cleanup_(freep) char *text = NULL;
        char *s;

        /* Exactly 4096 bytes (the limit) is fine, 4097 is not. */
        text = malloc(64 + 4097);
        assert_non_null(text);
        s = stpcpy(text, "[Segment a]\nNames=x\n#");
        memset(s, 'c', 4095);
        strcpy(s + 4095, "\n");
        p = load_ok(text);
        assert_int_equal(p->n_rules, 1);

        s = stpcpy(text, "[Segment a]\nNames=x\n#");
        memset(s, 'c', 4096);
        strcpy(s + 4096, "\n");
        load_fails(text, 3, "longer than 4096");
}

static void test_list_limit(void **state)
{
        _cleanup_(freep) char *text = NULL;
        size_t i, len = 0, size = 4096 * 16 + 256;

        /* 4096 entries are fine; the 4097th, on line 4099, is refused. */
        text = malloc(size);
        assert_non_null(text);
        len += (size_t) snprintf(text + len, size - len, "[Segment a]\n");
        for (i = 0; i < 4096; i++)
                len += (size_t) snprintf(text + len, size - len, "Names=n%zu\n", i);
        {
                _cleanup_(policy_freep) struct policy *p = load_ok(text);

                assert_int_equal(p->rules[0].n_names, 4096);
        }
        (void) snprintf(text + len, size - len, "Names=one-too-many\n");
        load_fails(text, 4098, "too many entries in Names=");

        len = (size_t) snprintf(text, size, "[Segment a]\nNames=x\n");
        for (i = 0; i < 4097; i++)
                len += (size_t) snprintf(text + len, size - len, "ReadOnly=%zu\n", i);
        load_fails(text, 4099, "too many entries in ReadOnly=");
}

static void test_rule_limit(void **state)
{
        _cleanup_(freep) char *text = NULL;
        size_t i, len = 0, size = 100001 * 32;

        text = malloc(size);
        assert_non_null(text);
        for (i = 0; i < 100000; i++)
                len += (size_t) snprintf(text + len, size - len, "[Segment r%zu]\nNames=x\n", i);
        {
                _cleanup_(policy_freep) struct policy *p = load_ok(text);

                assert_int_equal(p->n_rules, 100000);
        }
        (void) snprintf(text + len, size - len, "[Segment over]\nNames=x\n");
        load_fails(text, 200001, "too many rules");
}

static void test_text_too_large(void **state)
{
        _cleanup_(freep) char *text = NULL;
        size_t size = (4u << 20) + 1;

        text = malloc(size + 1);
        assert_non_null(text);
        memset(text, '\n', size);
        text[size] = '\0';
        load_fails(text, 0, "larger than");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_empty_policy),
                cmocka_unit_test(test_mode),
                cmocka_unit_test(test_max_size),
                cmocka_unit_test(test_backend),
                cmocka_unit_test(test_owner_group),
                cmocka_unit_test(test_principals),
                cmocka_unit_test(test_broker),
                cmocka_unit_test(test_apps),
                cmocka_unit_test(test_list_append_reset),
                cmocka_unit_test(test_names_patterns),
                cmocka_unit_test(test_several_rules),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_line_length),
                cmocka_unit_test(test_list_limit),
                cmocka_unit_test(test_rule_limit),
                cmocka_unit_test(test_text_too_large),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
