/* SPDX-License-Identifier: MIT */
/*
 * test-policy.c - unit tests of the policy parser and the access decisions (daemon/policy.c).
 *
 * Table-driven: every key, every principal form, every error path with its FILE:LINE, matching
 * (first match, default deny, %u/%U/%% expansion and escaping), directory loading, rights,
 * owners and ACL entries, and the embedded default policy. The prefix index is checked against
 * a plain linear scan on random policies.
 *
 * Needs no root: it only names users and groups every Debian system has (root 0, daemon 1,
 * nobody 65534; groups root 0, daemon 1, nogroup 65534) and writes only below a fresh directory
 * in $TMPDIR.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "policy.h"

#define ORIGIN "test.conf"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct policy *, policy_free);

/* An identity that owns nothing: tests never call identity_deinit() on it. */
static struct identity ident(uid_t uid, gid_t gid, const char *user_name)
{
        return (struct identity) {
                .uid = uid, .gid = gid, .user_name = (char *) user_name,
        };
}

static struct policy *load_ok(const char *text)
{
        struct policy *p = NULL;
        char *error = NULL;
        int r;

        r = policy_load_string(text, ORIGIN, &p, &error);
        if (r < 0)
                fail_msg("policy_load_string() failed: %s (%s)\n--\n%s--", strerror(-r),
                         error ? error : "no message", text);
        assert_null(error);
        assert_non_null(p);
        return p;
}

/* Loads @text expecting an error whose message starts with "test.conf:LINE: ". */
static void load_fails(const char *text, unsigned line, const char *what)
{
        struct policy *p = NULL;
        char *error = NULL, prefix[64];
        int r;

        r = policy_load_string(text, ORIGIN, &p, &error);
        if (r != -EINVAL || !error)
                fail_msg("expected an error on line %u (%s), got %d\n--\n%s--", line, what, r,
                         text);
        assert_null(p);
        if (line > 0)
                (void) snprintf(prefix, sizeof(prefix), "%s:%u: ", ORIGIN, line);
        else
                (void) snprintf(prefix, sizeof(prefix), "%s: ", ORIGIN);
        if (strncmp(error, prefix, strlen(prefix)) != 0)
                fail_msg("%s: message '%s' does not start with '%s'", what, error, prefix);
        if (what && !strstr(error, what))
                fail_msg("message '%s' does not mention '%s'", error, what);
        free(error);
}

/* A one-rule policy with Names=x-* plus @extra lines. */
static struct policy *load_rule(const char *extra)
{
        _cleanup_(freep) char *text = NULL;
        struct policy *p;

        assert_true(asprintf(&text, "[Segment r]\nNames=x-*\n%s\n", extra) >= 0);
        p = load_ok(text);
        assert_int_equal(p->n_rules, 1);
        return p;
}

/* ------------------------------------------------------------------ keys */

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

/* ------------------------------------------------------------------ errors */

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
                { "[Segment a]\nNames=x\nCreate=no-such-user-shmb\n", 3,
                  "unknown user 'no-such-user-shmb' in Create=" },
                { "[Segment a]\nNames=x\nReadWrite=root no-such-user-shmb\n", 3,
                  "unknown user 'no-such-user-shmb' in ReadWrite=" },
                { "[Segment a]\nNames=x\nReadOnly=no-such-user-shmb\n", 3, "ReadOnly=" },
                { "[Segment a]\nNames=x\nReadOnly=@no-such-group-shmb\n", 3,
                  "unknown group 'no-such-group-shmb' in ReadOnly=" },
                { "[Segment a]\nNames=x\nCreate=@\n", 3, "'@'" },
                { "[Segment a]\nNames=x\nCreate=4294967295\n", 3, "invalid uid '4294967295'" },
                { "[Segment a]\nNames=x\nReadWrite=4294967296\n", 3, "invalid uid" },
                { "[Segment a]\nNames=x\nReadWrite=99999999999999999999999\n", 3, "invalid uid" },
                { "[Segment a]\nNames=x\nReadOnly=@4294967295\n", 3, "invalid gid" },
                { "[Segment a]\nNames=x\nCreate=-1\n", 3, "unknown user '-1'" },
                { "[Segment a]\nNames=x\nCreate=%u\n", 3, "'%u'" },
                { "[Segment a]\nNames=x\nCreate=**\n", 3, "'**'" },
                /* Owner=, Group= */
                { "[Segment a]\nNames=x\nOwner=no-such-user-shmb\n", 3,
                  "unknown user 'no-such-user-shmb' in Owner=" },
                { "[Segment a]\nNames=x\nOwner=4294967295\n", 3, "invalid uid" },
                { "[Segment a]\nNames=x\nOwner=@root\n", 3, "unknown user '@root'" },
                { "[Segment a]\nNames=x\nOwner=%x\n", 3, "'%x'" },
                { "[Segment a]\nNames=x\nOwner=%u%U\n", 3, "'%u%U'" },
                { "[Segment a]\nNames=x\nGroup=no-such-group-shmb\n", 3,
                  "unknown group 'no-such-group-shmb' in Group=" },
                { "[Segment a]\nNames=x\nGroup=4294967295\n", 3, "invalid gid" },
                { "[Segment a]\nNames=x\nGroup=%g\n", 3, "'%g'" },
                /* Names= */
                { "[Segment a]\nNames=a/b\n", 2, "'a/b'" },
                { "[Segment a]\nNames=x //b\n", 2, "'/b'" },
                { "[Segment a]\nNames=/\n", 2, "'/'" },
                { "[Segment a]\nNames=%x-*\n", 2, "'%x-*'" },
                { "[Segment a]\nNames=x-%\n", 2, "'x-%'" },
                { "[Segment a]\nNames=%%%\n", 2, "'%%%'" },
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

/* ------------------------------------------------------------------ matching */

static const char *match_id(const struct policy *p, const char *name, const struct identity *id)
{
        const struct policy_rule *r = policy_match(p, name, id);

        return r ? r->id : NULL;
}

static void test_match(void **state)
{
        static const char text[] =
                "[Segment exact]\nNames=/config\n"
                "[Segment audio]\nNames=audio-* pulse-?\n"
                "[Segment private]\nNames=%u-*\n"
                "[Segment by-uid]\nNames=uid%U.*\n"
                "[Segment percent]\nNames=100%%-*\n"
                "[Segment class]\nNames=[xy]z-*\n"
                "[Segment escaped]\nNames=lit\\*star\n"
                "[Segment dot]\nNames=.*\n";
        static const struct {
                const char *name;
                uid_t uid;
                const char *user;
                const char *rule;       /* NULL: no rule matches, denied */
        } cases[] = {
                { "config", 0, "root", "exact" },
                { "configx", 0, "root", NULL },
                { "audio-1", 1000, "alice", "audio" },
                { "audio-", 1000, "alice", "audio" },
                { "audio", 1000, "alice", NULL },
                { "pulse-x", 1000, "alice", "audio" },
                { "pulse-xy", 1000, "alice", NULL },
                { "alice-data", 1000, "alice", "private" },
                { "alice-", 1000, "alice", "private" },
                { "alice-data", 1001, "bob", NULL },
                { "bob-data", 1001, "bob", "private" },
                { "alice-data", 1000, NULL, NULL },        /* no user name: %u never matches */
                { "root-x", 0, "root", "private" },
                { "root-x", 65534, "nobody", NULL },
                { "uid1000.x", 1000, "alice", "by-uid" },
                { "uid1000.x", 1000, NULL, "by-uid" },
                { "uid1000.x", 1001, "bob", NULL },
                { "uid0.a", 0, "root", "by-uid" },
                { "uid4294967294.z", 4294967294u, NULL, "by-uid" },
                { "100%-x", 0, "root", "percent" },
                { "100%%-x", 0, "root", NULL },
                { "100-x", 0, "root", NULL },
                { "xz-1", 0, "root", "class" },
                { "yz-1", 0, "root", "class" },
                { "zz-1", 0, "root", NULL },
                { "lit*star", 0, "root", "escaped" },
                { "litXstar", 0, "root", NULL },
                { ".hidden", 0, "root", "dot" },
                { "nothing", 0, "root", NULL },          /* default deny, for root too */
        };
        _cleanup_(policy_freep) struct policy *p = load_ok(text);
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct identity id = ident(cases[i].uid, 100, cases[i].user);
                const char *got = match_id(p, cases[i].name, &id);

                if ((got == NULL) != (cases[i].rule == NULL) ||
                    (got && strcmp(got, cases[i].rule) != 0))
                        fail_msg("case %zu: '%s' as %s: got %s, expected %s", i, cases[i].name,
                                 cases[i].user ? cases[i].user : "(no name)",
                                 got ? got : "(none)",
                                 cases[i].rule ? cases[i].rule : "(none)");
        }
}

/* The user name is glob-escaped when %u is expanded. */
static void test_match_glob_user_names(void **state)
{
        static const struct {
                const char *user;
                const char *name;
                bool match;
        } cases[] = {
                { "a*b", "a*b-x", true },
                { "a*b", "aXXb-x", false },
                { "a*b", "ab-x", false },
                { "a?", "a?-x", true },
                { "a?", "ab-x", false },
                { "[ab]", "[ab]-x", true },
                { "[ab]", "a-x", false },
                { "[ab", "[ab-x", true },
                { "a]", "a]-x", true },
                { "a\\b", "a\\b-x", true },
                { "a\\b", "ab-x", false },
                { "*", "*-x", true },
                { "*", "anyone-x", false },
                { "%u", "%u-x", true },
                { "", "-x", true },
        };
        _cleanup_(policy_freep) struct policy *p = load_ok("[Segment p]\nNames=%u-*\n");
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct identity id = ident(1000, 1000, cases[i].user);
                bool got = policy_match(p, cases[i].name, &id) != NULL;

                if (got != cases[i].match)
                        fail_msg("case %zu: user '%s', name '%s': got %d", i, cases[i].user,
                                 cases[i].name, got);
        }
}

static void test_match_long_expansion(void **state)
{
        _cleanup_(policy_freep) struct policy *p = load_ok("[Segment p]\nNames=%u-*\n");
        _cleanup_(freep) char *user = malloc(5000);
        struct identity id;

        assert_non_null(user);
        memset(user, 'a', 4999);
        user[4999] = '\0';
        id = ident(1000, 1000, user);
        /* Expands past the buffer: no match rather than truncation or overflow. */
        assert_null(policy_match(p, "aaaa-x", &id));
        user[10] = '\0';
        assert_non_null(policy_match(p, "aaaaaaaaaa-x", &id));
}

static void test_match_first_wins(void **state)
{
        static const struct {
                const char *text;
                const char *name;
                const char *rule;
        } cases[] = {
                { "[Segment a]\nNames=x-*\n[Segment b]\nNames=x-1\n", "x-1", "a" },
                { "[Segment b]\nNames=x-1\n[Segment a]\nNames=x-*\n", "x-1", "b" },
                { "[Segment b]\nNames=x-1\n[Segment a]\nNames=x-*\n", "x-2", "a" },
                { "[Segment all]\nNames=*\n[Segment x]\nNames=x\n", "x", "all" },
                { "[Segment q]\nNames=q y\n[Segment y]\nNames=y\n", "y", "q" },
                { "[Segment ab]\nNames=ab*\n[Segment a]\nNames=a*\n[Segment any]\nNames=*\n",
                  "abc", "ab" },
                { "[Segment ab]\nNames=ab*\n[Segment a]\nNames=a*\n[Segment any]\nNames=*\n",
                  "ax", "a" },
                { "[Segment ab]\nNames=ab*\n[Segment a]\nNames=a*\n[Segment any]\nNames=*\n",
                  "x", "any" },
                { "[Segment any]\nNames=*\n[Segment a]\nNames=a*\n[Segment ab]\nNames=ab*\n",
                  "abc", "any" },
                { "[Segment abc]\nNames=abc\n[Segment ab]\nNames=ab?\n", "abc", "abc" },
                { "[Segment ab]\nNames=ab?\n[Segment abc]\nNames=abc\n", "abc", "ab" },
                { "[Segment pct]\nNames=%U-*\n[Segment lit]\nNames=0-x\n", "0-x", "pct" },
                { "[Segment lit]\nNames=0-x\n[Segment pct]\nNames=%U-*\n", "0-x", "lit" },
        };
        struct identity root = ident(0, 0, "root");
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(policy_freep) struct policy *p = load_ok(cases[i].text);
                const char *got = match_id(p, cases[i].name, &root);

                if (!got || strcmp(got, cases[i].rule) != 0)
                        fail_msg("case %zu: got %s, expected %s", i, got ? got : "(none)",
                                 cases[i].rule);
        }
}

/* The prefix index must give exactly what a linear scan gives. */
static const struct policy_rule *oracle(const struct policy *p, const char *name)
{
        size_t i, j;

        for (i = 0; i < p->n_rules; i++)
                for (j = 0; j < p->rules[i].n_names; j++)
                        if (fnmatch(p->rules[i].names[j], name, 0) == 0)
                                return &p->rules[i];
        return NULL;
}

static void test_match_index_vs_scan(void **state)
{
        static const char *const pieces[] = { "a", "b", "c", "ab", "*", "?", "[ab]", "\\c" };
        struct identity id = ident(1000, 1000, "alice");
        unsigned seed = 12345;
        int round;

        for (round = 0; round < 40; round++) {
                _cleanup_(policy_freep) struct policy *p = NULL;
                _cleanup_(freep) char *text = NULL;
                size_t size = 64 * 1024, len = 0;
                int n_rules = 1 + rand_r(&seed) % 60, i, j, k;

                text = malloc(size);
                assert_non_null(text);
                for (i = 0; i < n_rules; i++) {
                        int n_names = 1 + rand_r(&seed) % 3;

                        len += (size_t) snprintf(text + len, size - len, "[Segment r%d]\nNames=",
                                                 i);
                        for (j = 0; j < n_names; j++) {
                                int n_pieces = 1 + rand_r(&seed) % 4;

                                for (k = 0; k < n_pieces; k++)
                                        len += (size_t) snprintf(text + len, size - len, "%s",
                                                pieces[rand_r(&seed) % ELEMENTSOF(pieces)]);
                                len += (size_t) snprintf(text + len, size - len, " ");
                        }
                        len += (size_t) snprintf(text + len, size - len, "\n");
                }
                p = load_ok(text);
                for (i = 0; i < 500; i++) {
                        char name[8];
                        int n = 1 + rand_r(&seed) % 6;

                        for (j = 0; j < n; j++)
                                name[j] = "abcx"[rand_r(&seed) % 4];
                        name[n] = '\0';
                        if (policy_match(p, name, &id) != oracle(p, name))
                                fail_msg("round %d: '%s' differs from a scan\n%s", round, name,
                                         text);
                }
        }
}

static double match_seconds(const struct policy *p, const char *name, const struct identity *id,
                            int n)
{
        struct timespec a, b;
        int i;

        assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &a), 0);
        for (i = 0; i < n; i++)
                assert_non_null(policy_match(p, name, id));
        assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &b), 0);
        return (double) (b.tv_sec - a.tv_sec) + (double) (b.tv_nsec - a.tv_nsec) / 1e9;
}

/* 10,000 rules with distinct prefixes: the last one is found, and quickly (reported only). */
static void test_match_many_rules(void **state)
{
        _cleanup_(policy_freep) struct policy *small = NULL, *big = NULL;
        _cleanup_(freep) char *text = NULL;
        struct identity id = ident(1000, 1000, "alice");
        size_t size = 10000 * 64, len = 0;
        double t_small, t_big;
        int i;

        text = malloc(size);
        assert_non_null(text);
        for (i = 0; i < 10000; i++) {
                len += (size_t) snprintf(text + len, size - len,
                                         "[Segment r%d]\nNames=app%d-* /app%d.??\n", i, i, i);
                if (i == 9)
                        small = load_ok(text);
        }
        len += (size_t) snprintf(text + len, size - len, "[Segment mine]\nNames=%%u-*\n");
        big = load_ok(text);
        assert_int_equal(big->n_rules, 10001);

        assert_string_equal(match_id(big, "app0-x", &id), "r0");
        assert_string_equal(match_id(big, "app9999-x", &id), "r9999");
        assert_string_equal(match_id(big, "app5000.ab", &id), "r5000");
        assert_string_equal(match_id(big, "alice-x", &id), "mine");
        assert_null(match_id(big, "app10000-x", &id));
        assert_null(match_id(big, "nothing", &id));

        t_small = match_seconds(small, "app9-x", &id, 20000);
        t_big = match_seconds(big, "app9999-x", &id, 20000);
        print_message("policy_match(): 10 rules %.0f ns, 10001 rules %.0f ns per call\n",
                      t_small / 20000 * 1e9, t_big / 20000 * 1e9);
}

/* ------------------------------------------------------------------ rights, owners, ACLs */

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
                { "Names=%u-* shared\nOwner=%u", "shared", 1, (gid_t) -1, true },
                { "Names=%u-* shared\nOwner=%u", "shared", 4242, (gid_t) -1, false },
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

/* ------------------------------------------------------------------ the default policy */

static void test_default_policy(void **state)
{
        static const struct {
                const char *name;
                uid_t uid;
                const char *user;
                bool match;
        } cases[] = {
                { "root-x", 0, "root", true },
                { "nobody-cache", 65534, "nobody", true },
                { "root-x", 65534, "nobody", false },
                { "nobody-cache", 0, "root", false },
                { "root", 0, "root", false },
                { "shared", 0, "root", false },
                { "u1000-x", 1000, NULL, false },
        };
        _cleanup_(policy_freep) struct policy *p = load_ok(policy_default_text);
        const struct policy_rule *r;
        size_t i;

        assert_int_equal(p->n_rules, 1);
        r = &p->rules[0];
        assert_int_equal(r->owner.kind, ID_SPEC_REQUESTER_NAME);
        assert_int_equal(r->group.kind, ID_SPEC_DAEMON);
        assert_int_equal(r->mode, 0600);
        assert_true(r->max_size == UINT64_C(64) << 20);
        assert_int_equal(r->backend, POLICY_BACKEND_SHM);

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct identity id = ident(cases[i].uid, cases[i].uid, cases[i].user);

                r = policy_match(p, cases[i].name, &id);
                assert_int_equal(r != NULL, cases[i].match);
                if (r)
                        assert_int_equal(policy_rights(r, &id), POLICY_RIGHT_READ |
                                         POLICY_RIGHT_WRITE | POLICY_RIGHT_CREATE);
        }
        r = &p->rules[0];
        assert_true(policy_owner_plausible(r, "nobody-x", 65534, getegid()));
        assert_false(policy_owner_plausible(r, "nobody-x", 0, getegid()));
}

/* ------------------------------------------------------------------ files and directories */

struct dir_fixture {
        char dir[4096];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

static int dir_setup(void **state)
{
        struct dir_fixture *f = calloc(1, sizeof(*f));
        const char *tmp = getenv("TMPDIR");

        if (!f)
                return -1;
        (void) snprintf(f->dir, sizeof(f->dir), "%s/test-policy.XXXXXX", tmp ? tmp : "/tmp");
        if (!mkdtemp(f->dir)) {
                free(f);
                return -1;
        }
        *state = f;
        return 0;
}

static int dir_teardown(void **state)
{
        struct dir_fixture *f = *state;

        (void) nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

static char *dir_path(const struct dir_fixture *f, const char *name)
{
        char *path;

        assert_true(asprintf(&path, "%s/%s", f->dir, name) >= 0);
        return path;
}

static void write_file(const struct dir_fixture *f, const char *name, const char *text)
{
        _cleanup_(freep) char *path = dir_path(f, name);
        FILE *file = fopen(path, "we");

        assert_non_null(file);
        assert_int_equal(fputs(text, file) >= 0, 1);
        assert_int_equal(fclose(file), 0);
}

static int load_dir(const struct dir_fixture *f, struct policy **ret, char **ret_error)
{
        return policy_load(f->dir, ret, ret_error);
}

static void test_dir_empty(void **state)
{
        struct dir_fixture *f = *state;
        _cleanup_(policy_freep) struct policy *p = NULL;
        _cleanup_(freep) char *error = NULL, *sub = dir_path(f, "sub.conf");
        struct identity root = ident(0, 0, "root");

        /* Nothing that counts: a README, a hidden file and a directory named like a file. */
        write_file(f, "README", "not a policy\n");
        write_file(f, ".hidden.conf", "not a policy\n");
        write_file(f, "x.conf~", "not a policy\n");
        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(load_dir(f, &p, &error), 0);
        assert_null(error);
        assert_non_null(p);
        assert_int_equal(p->n_rules, 0);
        assert_null(policy_match(p, "root-x", &root));
}

static void test_dir_order(void **state)
{
        struct dir_fixture *f = *state;
        _cleanup_(policy_freep) struct policy *p = NULL;
        _cleanup_(freep) char *error = NULL, *sub = dir_path(f, "subdir"),
                              *subconf = dir_path(f, "25-dir.conf"),
                              *link = dir_path(f, "15-link.conf"),
                              *target = dir_path(f, "subdir/linked"),
                              *masked = dir_path(f, "16-masked.conf");
        _cleanup_(freep) char *a = dir_path(f, "10-a.conf");
        struct identity root = ident(0, 0, "root");

        /* Written out of order; read in strcmp() order: "10-a" < "15-link" < "20-b" < "9-z". */
        write_file(f, "9-z.conf", "[Segment z]\nNames=*\n");
        write_file(f, "20-b.conf", "# b\n[Segment b]\nNames=b-* a-1\n");
        write_file(f, "10-a.conf", "[Segment a]\nNames=a-*\n");
        write_file(f, "30-c.txt", "this is not read\n");
        write_file(f, "30-c.conf.bak", "this is not read\n");
        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(mkdir(subconf, 0755), 0);
        write_file(f, "subdir/linked", "[Segment link]\nNames=l-*\n");
        write_file(f, "subdir/99-inner.conf", "this is not read\n");
        assert_int_equal(symlink(target, link), 0);
        assert_int_equal(symlink("/dev/null", masked), 0);

        assert_int_equal(load_dir(f, &p, &error), 4);
        assert_null(error);
        assert_int_equal(p->n_rules, 4);
        assert_string_equal(p->rules[0].id, "a");
        assert_string_equal(p->rules[0].file, a);
        assert_int_equal(p->rules[0].line, 1);
        assert_string_equal(p->rules[1].id, "link");
        assert_string_equal(p->rules[2].id, "b");
        assert_int_equal(p->rules[2].line, 2);
        assert_string_equal(p->rules[3].id, "z");
        assert_string_equal(match_id(p, "a-1", &root), "a");
        assert_string_equal(match_id(p, "b-1", &root), "b");
        assert_string_equal(match_id(p, "l-1", &root), "link");
        assert_string_equal(match_id(p, "other", &root), "z");

        /* A single file works too, and counts as one. */
        policy_free(TAKE_PTR(p));
        assert_int_equal(policy_load(a, &p, &error), 1);
        assert_int_equal(p->n_rules, 1);
        /* And a trailing slash on the directory changes nothing. */
        {
                _cleanup_(policy_freep) struct policy *q = NULL;
                _cleanup_(freep) char *slash = dir_path(f, "");

                assert_int_equal(policy_load(slash, &q, &error), 4);
                assert_int_equal(q->n_rules, 4);
        }
}

static void expect_dir_error(const struct dir_fixture *f, const char *file, unsigned line,
                             const char *what)
{
        _cleanup_(freep) char *error = NULL, *prefix = NULL;
        struct policy *p = NULL;

        assert_int_equal(load_dir(f, &p, &error), -EINVAL);
        assert_null(p);
        assert_non_null(error);
        if (line > 0)
                assert_true(asprintf(&prefix, "%s/%s:%u: ", f->dir, file, line) >= 0);
        else
                assert_true(asprintf(&prefix, "%s/%s: ", f->dir, file) >= 0);
        if (strncmp(error, prefix, strlen(prefix)) != 0 || !strstr(error, what))
                fail_msg("message '%s', expected '%s...%s'", error, prefix, what);
}

static void test_dir_errors(void **state)
{
        struct dir_fixture *f = *state;
        _cleanup_(freep) char *big = dir_path(f, "50-big.conf"),
                              *dangling = dir_path(f, "60-dangling.conf"),
                              *b = dir_path(f, "20-b.conf"), *msg = NULL;
        int fd;

        write_file(f, "10-a.conf", "[Segment a]\nNames=a-*\n");
        write_file(f, "20-b.conf", "[Segment b]\nNames=b-*\nMode=0777\n");
        /* An error in one file refuses the whole policy and names that file. */
        expect_dir_error(f, "20-b.conf", 3, "Mode=0777");

        /* Duplicate IDs across files. */
        write_file(f, "20-b.conf", "\n[Segment a]\nNames=b-*\n");
        assert_true(asprintf(&msg, "first used at %s/10-a.conf:1", f->dir) >= 0);
        expect_dir_error(f, "20-b.conf", 2, msg);

        /* A section does not continue into the next file. */
        write_file(f, "20-b.conf", "Names=b-*\n");
        expect_dir_error(f, "20-b.conf", 1, "outside");

        /* Too large, without reading 4 MiB of it. */
        assert_int_equal(unlink(b), 0);
        fd = open(big, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (4 << 20) + 1), 0);
        assert_int_equal(close(fd), 0);
        expect_dir_error(f, "50-big.conf", 0, "larger than");
        assert_int_equal(unlink(big), 0);

        /* A dangling symlink must not silently drop rules. */
        assert_int_equal(symlink("/nonexistent/shmb-test", dangling), 0);
        expect_dir_error(f, "60-dangling.conf", 0, "dangling");
}

static void test_load_missing(void **state)
{
        struct dir_fixture *f = *state;
        _cleanup_(freep) char *missing = dir_path(f, "missing"), *error = NULL;
        struct policy *p = NULL;

        assert_int_equal(policy_load(missing, &p, &error), -ENOENT);
        assert_null(p);
        assert_null(error);
        assert_int_equal(policy_load("/dev/null", &p, &error), -EINVAL);
        assert_null(p);
        assert_non_null(error);
        assert_string_equal(error, "/dev/null: not a regular file or directory");
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
                cmocka_unit_test(test_list_append_reset),
                cmocka_unit_test(test_names_patterns),
                cmocka_unit_test(test_several_rules),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_line_length),
                cmocka_unit_test(test_list_limit),
                cmocka_unit_test(test_rule_limit),
                cmocka_unit_test(test_text_too_large),
                cmocka_unit_test(test_match),
                cmocka_unit_test(test_match_glob_user_names),
                cmocka_unit_test(test_match_long_expansion),
                cmocka_unit_test(test_match_first_wins),
                cmocka_unit_test(test_match_index_vs_scan),
                cmocka_unit_test(test_match_many_rules),
                cmocka_unit_test(test_rights),
                cmocka_unit_test(test_resolve_owner),
                cmocka_unit_test(test_owner_plausible),
                cmocka_unit_test(test_acl_entries),
                cmocka_unit_test(test_acl_entries_many),
                cmocka_unit_test(test_default_policy),
                cmocka_unit_test_setup_teardown(test_dir_empty, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_dir_order, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_dir_errors, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_load_missing, dir_setup, dir_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
