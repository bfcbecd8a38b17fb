/* SPDX-License-Identifier: MIT */
/*
 * test-nss.c - unit tests of the NSS lookups (daemon/nss.c) and of
 * identity_resolve_user_name(), which goes through them.
 *
 * And a policy loaded while the name service fails: its names do not resolve, and it loads.
 *
 * The four libc calls are wrapped (-Wl,--wrap=getpwnam_r,...): a wrapper can refuse buffers
 * smaller than a bound with ERANGE, fail with EINTR a number of times, or fail with a chosen
 * error, and otherwise calls the real function. So the retry loop is tested against the real
 * name service for entries every Debian system has (user root 0, group root 0) without root.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"
#include "macro.h"
#include "nss.h"
#include "policy.h"

/* What the wrappers do; reset before each case. */
static struct {
        size_t min_size;        /* ERANGE below this buffer size */
        unsigned eintr;         /* fail with EINTR this many times first */
        int error;              /* then fail with this, if not 0 */
        bool not_found;         /* or report "not found" as 0 with a NULL result */
        unsigned calls;
        size_t last_size;
} w;

/* The common part of the four wrappers: -1 to call the real function, else the error. */
static int wrap_common(size_t size)
{
        w.calls++;
        w.last_size = size;
        if (w.eintr > 0) {
                w.eintr--;
                return EINTR;
        }
        if (size < w.min_size)
                return ERANGE;
        if (w.error)
                return w.error;
        return -1;
}

int __real_getpwnam_r(const char *, struct passwd *, char *, size_t, struct passwd **);
int __real_getpwuid_r(uid_t, struct passwd *, char *, size_t, struct passwd **);
int __real_getgrnam_r(const char *, struct group *, char *, size_t, struct group **);
int __real_getgrgid_r(gid_t, struct group *, char *, size_t, struct group **);
int __wrap_getpwnam_r(const char *, struct passwd *, char *, size_t, struct passwd **);
int __wrap_getpwuid_r(uid_t, struct passwd *, char *, size_t, struct passwd **);
int __wrap_getgrnam_r(const char *, struct group *, char *, size_t, struct group **);
int __wrap_getgrgid_r(gid_t, struct group *, char *, size_t, struct group **);

int __wrap_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t size,
                      struct passwd **res)
{
        int e = wrap_common(size);

        *res = NULL;
        if (e >= 0 || w.not_found)
                return e >= 0 ? e : 0;
        return __real_getpwnam_r(name, pw, buf, size, res);
}

int __wrap_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t size, struct passwd **res)
{
        int e = wrap_common(size);

        *res = NULL;
        if (e >= 0 || w.not_found)
                return e >= 0 ? e : 0;
        return __real_getpwuid_r(uid, pw, buf, size, res);
}

int __wrap_getgrnam_r(const char *name, struct group *gr, char *buf, size_t size,
                      struct group **res)
{
        int e = wrap_common(size);

        *res = NULL;
        if (e >= 0 || w.not_found)
                return e >= 0 ? e : 0;
        return __real_getgrnam_r(name, gr, buf, size, res);
}

int __wrap_getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t size, struct group **res)
{
        int e = wrap_common(size);

        *res = NULL;
        if (e >= 0 || w.not_found)
                return e >= 0 ? e : 0;
        return __real_getgrgid_r(gid, gr, buf, size, res);
}

enum lookup {
        USER_BY_NAME,
        GROUP_BY_NAME,
        USER_NAME_BY_UID,
        GROUP_NAME_BY_GID,
};

/* Looks up root (name "root", id 0) and checks the answer when there is one. */
static int lookup_root(enum lookup l)
{
        _cleanup_(freep) char *name = NULL;
        uid_t uid = 12345;
        gid_t gid = 12345;
        int r;

        switch (l) {
        case USER_BY_NAME:
                r = nss_user_by_name("root", &uid);
                assert_int_equal(uid, r == 0 ? 0 : 12345);
                return r;
        case GROUP_BY_NAME:
                r = nss_group_by_name("root", &gid);
                assert_int_equal(gid, r == 0 ? 0 : 12345);
                return r;
        case USER_NAME_BY_UID:
                r = nss_user_name_by_uid(0, &name);
                break;
        case GROUP_NAME_BY_GID:
                r = nss_group_name_by_gid(0, &name);
                break;
        default:
                fail();
        }
        if (r == 0)
                assert_string_equal(name, "root");
        else
                assert_null(name);
        return r;
}

static void test_lookups(void **state)
{
        static const struct {
                const char *what;
                size_t min_size;
                unsigned eintr;
                int error;
                bool not_found;
                int r;
                unsigned calls;         /* 0: do not check */
        } cases[] = {
                { "plain", 0, 0, 0, false, 0, 1 },
                /* ERANGE doubles the buffer until it fits... */
                { "grows", 64 * 1024, 0, 0, false, 0, 0 },
                /* ...up to NSS_BUF_MAX, and then gives up. */
                { "too big", NSS_BUF_MAX + 1, 0, 0, false, -ERANGE, 0 },
                { "exactly the bound", NSS_BUF_MAX, 0, 0, false, 0, 0 },
                /* EINTR is asked again, a bounded number of times. */
                { "eintr", 0, 3, 0, false, 0, 4 },
                { "eintr forever", 0, 1000, 0, false, -EINTR, 16 },
                { "eintr then erange", 8192, 2, 0, false, 0, 0 },
                /* "not found" in all its shapes */
                { "null result", 0, 0, 0, true, -ENOENT, 1 },
                { "ENOENT", 0, 0, ENOENT, false, -ENOENT, 1 },
                { "ESRCH", 0, 0, ESRCH, false, -ENOENT, 1 },
                { "EBADF", 0, 0, EBADF, false, -ENOENT, 1 },
                { "EPERM", 0, 0, EPERM, false, -ENOENT, 1 },
                /* a name service that cannot answer */
                { "EIO", 0, 0, EIO, false, -EIO, 1 },
                { "EAGAIN", 0, 0, EAGAIN, false, -EAGAIN, 1 },
                { "ENOMEM", 0, 0, ENOMEM, false, -ENOMEM, 1 },
        };
        static const char *const names[] = {
                "user by name", "group by name", "user name by uid", "group name by gid",
        };
        enum lookup l;
        size_t i;

        for (l = USER_BY_NAME; l <= GROUP_NAME_BY_GID; l++)
                for (i = 0; i < ELEMENTSOF(cases); i++) {
                        int r;

                        w = (typeof(w)) {
                                .min_size = cases[i].min_size, .eintr = cases[i].eintr,
                                .error = cases[i].error, .not_found = cases[i].not_found,
                        };
                        r = lookup_root(l);
                        if (r != cases[i].r)
                                fail_msg("%s, %s: got %d, expected %d", names[l],
                                         cases[i].what, r, cases[i].r);
                        if (cases[i].calls && w.calls != cases[i].calls)
                                fail_msg("%s, %s: %u calls, expected %u", names[l],
                                         cases[i].what, w.calls, cases[i].calls);
                        if (cases[i].min_size > 0 && r == 0)
                                assert_true(w.last_size >= cases[i].min_size &&
                                            w.last_size < 2 * cases[i].min_size);
                        if (r == -ERANGE)
                                assert_int_equal(w.last_size, NSS_BUF_MAX);
                }
}

/* Names that are not there, for real. */
static void test_missing(void **state)
{
        char *name = NULL;
        uid_t uid;
        gid_t gid;

        w = (typeof(w)) {};
        assert_int_equal(nss_user_by_name("no-such-user-shmb", &uid), -ENOENT);
        assert_int_equal(nss_group_by_name("no-such-group-shmb", &gid), -ENOENT);
        assert_int_equal(nss_user_name_by_uid(4294967294u, &name), -ENOENT);
        assert_int_equal(nss_group_name_by_gid(4294967294u, &name), -ENOENT);
        assert_null(name);
}

static void test_identity_resolve(void **state)
{
        static const struct {
                uid_t uid;
                int error;              /* injected */
                int r;
                const char *name;       /* NULL: none */
                bool resolved;
        } cases[] = {
                { 0, 0, 0, "root", true },
                { 4294967294u, 0, 0, NULL, true },
                /* A name service that cannot answer: no name, and not asked again. */
                { 0, EIO, 0, NULL, true },
                /* Out of memory: asked again next time. */
                { 0, ENOMEM, -ENOMEM, NULL, false },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct identity id = { .uid = cases[i].uid };
                unsigned calls;

                w = (typeof(w)) { .error = cases[i].error };
                assert_int_equal(identity_resolve_user_name(&id), cases[i].r);
                if (cases[i].name)
                        assert_string_equal(id.user_name, cases[i].name);
                else
                        assert_null(id.user_name);
                assert_int_equal(id.user_name_resolved, cases[i].resolved);
                /* Once resolved, never again. */
                calls = w.calls;
                assert_int_equal(identity_resolve_user_name(&id), cases[i].resolved ? 0 :
                                 cases[i].r);
                assert_int_equal(w.calls, calls + (cases[i].resolved ? 0 : 1));
                identity_deinit(&id);
        }
}

/*
 * A directory service that is down when the policy loads: the names do not resolve, which is
 * a warning that says why, and the policy still loads. Numbers need no lookup.
 */
static void test_policy_directory_down(void **state)
{
        static const char text[] =
                "[Segment a]\nNames=a-*\nCreate=alice 1000\nReadOnly=@staff\nOwner=alice\n";
        struct policy_diags d = {};
        struct policy *p = NULL;
        size_t i;

        w = (typeof(w)) { .error = ETIMEDOUT };
        assert_int_equal(policy_load_text(text, strlen(text), "t.conf", &d, &p), 0);
        assert_non_null(p);
        assert_int_equal(d.n_errors, 0);
        assert_int_equal(d.n_warnings, 3);
        for (i = 0; i < d.n; i++)
                assert_non_null(strstr(d.items[i].message, strerror(ETIMEDOUT)));
        assert_int_equal(p->rules[0].create[0].kind, PRINCIPAL_UNRESOLVED);
        assert_int_equal(p->rules[0].create[1].kind, PRINCIPAL_USER);
        assert_int_equal(p->rules[0].create[1].id, 1000);
        assert_int_equal(p->rules[0].read_only[0].kind, PRINCIPAL_UNRESOLVED);
        assert_int_equal(p->rules[0].owner.kind, ID_SPEC_UNRESOLVED);
        policy_diags_clear(&d);
        policy_free(p);

        /* Out of memory is not "does not resolve": the load fails. */
        w = (typeof(w)) { .error = ENOMEM };
        assert_int_equal(policy_load_text(text, strlen(text), "t.conf", &d, &p), -ENOMEM);
        policy_diags_clear(&d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_lookups),
                cmocka_unit_test(test_missing),
                cmocka_unit_test(test_identity_resolve),
                cmocka_unit_test(test_policy_directory_down),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
