/* SPDX-License-Identifier: MIT */
/*
 * test-acl.c - unit tests of the prebuilt ACL value (daemon/acl.c, acl_xattr_*()).
 *
 * A create sets system.posix_acl_access in one fsetxattr() of a value built once per rule,
 * and does not read it back: so the value must give exactly what acl_apply_fd() (libacl, read
 * back and compared) gives. Each case applies both to two unnamed tmpfs files and compares
 * what the kernel then holds: the ACL (acl_cmp()) and the mode, which must also be the mode
 * the value announces (acl_xattr.mode, what the create checks with fstat()). And the reading
 * side, which parses the value itself, against libacl. No root needed: the files are the
 * test's own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <acl/libacl.h>
#include <sys/acl.h>

#include "acl.h"
#include "macro.h"

struct acl_case {
        const char *what;
        mode_t mode;
        struct policy_acl_entry users[4];
        size_t n_users;
        struct policy_acl_entry groups[4];
        size_t n_groups;
};

static const struct acl_case cases[] = {
        { "the bench's rule: 0640, two users, a group", 0640,
          { { 43001, 6 }, { 43002, 4 } }, 2, { { 44001, 4 } }, 1 },
        { "no named entries: the mode alone", 0600, {}, 0, {}, 0 },
        { "no named entries, group and other bits", 0664, {}, 0, {}, 0 },
        { "groups only, mask wider than the group bits", 0600, {}, 0,
          { { 44002, 6 }, { 44001, 4 } }, 2 },
        { "users out of order", 0640, { { 43009, 4 }, { 43001, 6 }, { 43005, 4 } }, 3, {}, 0 },
        { "mode 0", 0, { { 43001, 4 } }, 1, {}, 0 },
};

/* An unnamed file on tmpfs (where the daemon's objects are), mode 0 as a create makes it. */
static int tmpfile_fd(void)
{
        int fd = open("/dev/shm", O_TMPFILE | O_RDWR | O_CLOEXEC, 0);

        if (fd < 0)
                skip();
        return fd;
}

static void test_same_as_libacl(void **state)
{
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                const struct acl_case *k = &cases[i];
                struct acl_xattr x = {};
                int a = tmpfile_fd(), b = tmpfile_fd();
                struct stat sa, sb;
                acl_t la, lb;

                print_message("%s\n", k->what);
                assert_int_equal(acl_apply_fd(a, k->mode, k->users, k->n_users, k->groups,
                                              k->n_groups), 0);
                assert_int_equal(acl_xattr_build(k->mode, k->users, k->n_users, k->groups,
                                                 k->n_groups, &x), 0);
                assert_int_equal(x.named, k->n_users + k->n_groups > 0);
                assert_int_equal(acl_xattr_apply_fd(b, &x), 0);
                la = acl_get_fd(a);
                lb = acl_get_fd(b);
                assert_non_null(la);
                assert_non_null(lb);
                assert_int_equal(acl_cmp(la, lb), 0);
                assert_int_equal(fstat(a, &sa), 0);
                assert_int_equal(fstat(b, &sb), 0);
                assert_int_equal(sa.st_mode & 07777, sb.st_mode & 07777);
                assert_int_equal(sb.st_mode & 07777, x.mode);
                acl_free(la);
                acl_free(lb);
                acl_xattr_done(&x);
                close(a);
                close(b);
        }
}

/* acl_read_fd() parses the value itself: the same entries, in the same order, as libacl. */
static void test_read_same_as_libacl(void **state)
{
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                const struct acl_case *k = &cases[i];
                struct shmb_proto_acl_entry got[16];
                int fd = tmpfile_fd(), n, w, j = 0;
                acl_entry_t e;
                acl_t la;

                assert_int_equal(acl_apply_fd(fd, k->mode, k->users, k->n_users, k->groups,
                                              k->n_groups), 0);
                n = acl_read_fd(fd, got, ELEMENTSOF(got));
                assert_true(n >= 3);
                la = acl_get_fd(fd);
                assert_non_null(la);
                for (w = acl_get_entry(la, ACL_FIRST_ENTRY, &e); w > 0;
                     w = acl_get_entry(la, ACL_NEXT_ENTRY, &e), j++) {
                        acl_tag_t tag;
                        acl_permset_t ps;
                        unsigned perm = 0;

                        assert_true(j < n);
                        assert_int_equal(acl_get_tag_type(e, &tag), 0);
                        assert_int_equal(acl_get_permset(e, &ps), 0);
                        perm |= acl_get_perm(ps, ACL_READ) > 0 ? 4 : 0;
                        perm |= acl_get_perm(ps, ACL_WRITE) > 0 ? 2 : 0;
                        perm |= acl_get_perm(ps, ACL_EXECUTE) > 0 ? 1 : 0;
                        assert_int_equal(got[j].tag, (uint32_t) tag);
                        assert_int_equal(got[j].perm, perm);
                        if (tag == ACL_USER || tag == ACL_GROUP) {
                                uint32_t *q = acl_get_qualifier(e);

                                assert_non_null(q);
                                assert_int_equal(got[j].id, *q);
                                acl_free(q);
                        } else
                                assert_int_equal(got[j].id, UINT32_MAX);
                }
                assert_int_equal(j, n);
                /* Too small a buffer is said so. */
                assert_int_equal(acl_read_fd(fd, got, 2), -E2BIG);
                acl_free(la);
                close(fd);
        }
}

static void test_refused(void **state)
{
        static const struct policy_acl_entry twice[] = { { 43001, 4 }, { 43001, 6 } };
        struct acl_xattr x = {};

        /* The policy merges an id named twice; a value with it twice would be invalid. */
        assert_int_equal(acl_xattr_build(0640, twice, 2, NULL, 0, &x), -EINVAL);
        assert_null(x.value);
        assert_int_equal(acl_xattr_build(0640, NULL, 0, twice, 2, &x), -EINVAL);
        assert_null(x.value);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_same_as_libacl),
                cmocka_unit_test(test_read_same_as_libacl),
                cmocka_unit_test(test_refused),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
