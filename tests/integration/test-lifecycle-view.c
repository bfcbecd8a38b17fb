/* SPDX-License-Identifier: MIT */
/*
 * test-lifecycle-view.c - the cleanup view: what STATUS counts and charges, what LIST with
 * SHMB_LIST_ALL details says of each object (lifetime, span, creator, flags), that both are
 * for admins only, and what happens when a lifetime ends but the object cannot be removed (a
 * file made immutable behind the daemon's back): it must stay visible as such (its creator
 * gone) and go once it can, not be kept for ever.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmocka.h>

#include "lifecycle.h"
#include "macro.h"

/* Creates @userdata with lifetime=process and closes its connection: the process alone keeps
 * the object. */
static int proc_object_fn(struct lc_proc *p, void *userdata)
{
        struct shmb_client *c = lc_child_connect();
        int r;

        r = c ? lc_child_create(c, userdata, 4096, SHMB_LIFETIME_PROCESS, 0, NULL) : -ENOTCONN;
        shmb_client_free(c);
        return r < 0;
}

static int count_cb(const struct shmb_object_info *info, void *userdata)
{
        return 0;
}

static void expect_detail(const struct lc_list *l, const char *name, uint32_t lifetime,
                          uint64_t span, uint32_t backend, uint32_t flags, uint64_t size)
{
        const struct lc_obj *o = lc_list_find(l, name);

        if (!o)
                fail_msg("'%s' is not listed", name);
        if (o->info.lifetime != lifetime || o->info.lifetime_usec != span ||
            o->info.backend != backend || o->info.flags != flags || o->info.size != size ||
            o->info.creator != sec_id_creator.uid)
                fail_msg("'%s': lifetime %u/%llu us, backend %u, flags 0x%x, size %llu, "
                         "creator %u; expected %u/%llu us, %u, 0x%x, %llu, 41001", name,
                         o->info.lifetime, (unsigned long long) o->info.lifetime_usec,
                         o->info.backend, o->info.flags, (unsigned long long) o->info.size,
                         o->info.creator, lifetime, (unsigned long long) span, backend, flags,
                         (unsigned long long) size);
}

static void test_view_status_and_list(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct shmb_status *s, *none = NULL;
        struct shmb_client *c;
        struct lc_list l;
        struct lc_proc p;
        uint64_t objects, bytes;
        int r;

        assert_int_equal(lc_create(d, &sec_id_creator, "life-p", 4096, SHMB_LIFETIME_DEFAULT, 0,
                                   NULL), 0);
        assert_int_equal(lc_create(d, &sec_id_creator, "span-s", 8192, SHMB_LIFETIME_DEFAULT, 0,
                                   NULL), 0);
        assert_int_equal(lc_create(d, &sec_id_creator, "lifem-u", 0, SHMB_LIFETIME_SPAN,
                                   10 * LC_MIN, NULL), 0);
        assert_int_equal(lc_create(d, &sec_id_creator, "lifem-pub", 4096,
                                   SHMB_LIFETIME_PERSISTENT, 0, NULL), 0);
        c = sec_client(d, &sec_id_creator);
        assert_int_equal(shmb_publish(c, "lifem-pub", SHMB_PUBLISH_FUTURE), 0);
        shmb_client_free(c);
        lc_proc_start(&p, &sec_id_creator, proc_object_fn, (void *) "proc-q");
        assert_int_equal(lc_proc_next(&p), 0);

        lc_list_all(d, &l);
        assert_int_equal(l.n, 5);
        expect_detail(&l, "life-p", SHMB_LIFETIME_PERSISTENT, 0, SHMB_BACKEND_SHM, 0, 4096);
        expect_detail(&l, "span-s", SHMB_LIFETIME_SPAN, LC_HOUR, SHMB_BACKEND_SHM, 0, 8192);
        expect_detail(&l, "lifem-u", SHMB_LIFETIME_SPAN, 10 * LC_MIN, SHMB_BACKEND_MEMFD,
                      SHMB_OBJ_FRESH, 0);
        expect_detail(&l, "lifem-pub", SHMB_LIFETIME_PERSISTENT, 0, SHMB_BACKEND_MEMFD,
                      SHMB_OBJ_PUBLISHED | SHMB_OBJ_SEAL_FUTURE_WRITE, 4096);
        expect_detail(&l, "proc-q", SHMB_LIFETIME_PROCESS, 0, SHMB_BACKEND_SHM, 0, 4096);
        assert_string_equal(lc_list_find(&l, "proc-q")->info.rule, "proc");
        lc_list_done(&l);

        s = sec_status(d);
        assert_int_equal(s->n_objects, 5);
        assert_int_equal(s->n_orphans, 0);
        assert_int_equal(s->n_held, 0);
        shmb_status_free(s);
        sec_usage(d, sec_id_creator.uid, &objects, &bytes);
        assert_int_equal(objects, 5);
        assert_int_equal(bytes, 4096 + 8192 + 0 + 4096 + 4096);

        /* For admins only. */
        c = sec_client(d, &sec_id_creator);
        assert_int_equal(shmb_status(c, &none), -EPERM);
        assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_NOT_ADMIN);
        r = shmb_list_details(c, SHMB_LIST_ALL, count_cb, NULL);
        assert_int_equal(r, -EPERM);
        assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_NOT_ADMIN);
        shmb_client_free(c);

        /* The process object's creator exits: it goes from both views. */
        lc_proc_release(&p);
        (void) lc_wait_gone(d, "proc-q", LC_REMOVAL_MS);
        lc_wait_usage(d, sec_id_creator.uid, 4, 4096 + 8192 + 4096, LC_REMOVAL_MS);
        s = sec_status(d);
        assert_int_equal(s->n_objects, 4);
        shmb_status_free(s);

        assert_int_equal(sec_unlink(d, &sec_id_creator, "life-p"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "span-s"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "lifem-u"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "lifem-pub"), 0);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        sec_finish();
}

/*
 * What ends soon: a span object's ends_in_sec counts down with the clock, goes back up to the
 * whole span at an open, and is 0 for the other lifetimes. (The fake clock moves; the real
 * seconds a case takes may take a few more off.)
 */
static uint32_t ends_in(const struct harness_daemon *d, const char *name)
{
        struct lc_list l;
        const struct lc_obj *o;
        uint32_t v;

        lc_list_all(d, &l);
        o = lc_list_find(&l, name);
        if (!o)
                fail_msg("'%s' is not listed", name);
        v = o->info.ends_in_sec;
        lc_list_done(&l);
        return v;
}

static void expect_ends_in(const struct harness_daemon *d, const char *name, uint32_t want)
{
        uint32_t v = ends_in(d, name);

        /* At most what is left; no more than 5 s of real time less. */
        if (v > want || v + 5 < want)
                fail_msg("'%s' ends in %u s, expected %u s (or a few seconds less)", name, v,
                         want);
}

static void test_view_ends_soon(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, true);
        int fd = -1;

        assert_int_equal(lc_create(d, &sec_id_creator, "span-e", 4096, SHMB_LIFETIME_DEFAULT, 0,
                                   NULL), 0);
        assert_int_equal(lc_create(d, &sec_id_creator, "life-e", 4096, SHMB_LIFETIME_PROCESS, 0,
                                   NULL), 0);
        assert_int_equal(lc_create(d, &sec_id_creator, "life-f", 4096, SHMB_LIFETIME_DEFAULT, 0,
                                   NULL), 0);
        expect_ends_in(d, "span-e", 3600);
        assert_int_equal(ends_in(d, "life-e"), 0);
        assert_int_equal(ends_in(d, "life-f"), 0);
        lc_advance(50 * LC_MIN);
        expect_ends_in(d, "span-e", 600);
        assert_int_equal(sec_open(d, &sec_id_reader, "span-e", SHMB_ACCESS_RDONLY, &fd), 0);
        assert_int_equal(close(fd), 0);
        expect_ends_in(d, "span-e", 3600);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "span-e"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "life-e"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "life-f"), 0);
        sec_finish();
}

/* Bulk clean-up: an admin removes another user's object whatever the rules say of its name for
 * the admin; a process object's tracker goes with it. Nobody else may. */
static void test_view_admin_unlink(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct shmb_client *c;
        struct lc_proc p;

        lc_proc_start(&p, &sec_id_creator, proc_object_fn, (void *) "proc-adm");
        assert_int_equal(lc_proc_next(&p), 0);
        /* Its pidfd. */
        assert_int_equal(harness_daemon_wait_fd_count(d, d->n_fds_start + 1, 3000),
                         d->n_fds_start + 1);
        c = sec_client(d, &sec_id_writer);
        assert_int_equal(shmb_unlink2(c, "proc-adm", SHMB_UNLINK_ALL), -EPERM);
        assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_NOT_ADMIN);
        shmb_client_free(c);
        /* Root is in no rule's Create= here. */
        assert_int_equal(sec_unlink(d, &sec_id_root, "proc-adm"), -EACCES);
        c = sec_client(d, &sec_id_root);
        assert_int_equal(shmb_unlink2(c, "proc-adm", SHMB_UNLINK_ALL), 0);
        shmb_client_free(c);
        assert_false(lc_exists(d, "proc-adm"));
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        /* The creator lives on; the daemon holds nothing of it any more. */
        sec_assert_fds_baseline(d);
        lc_proc_release(&p);
        sec_finish();
}

/*
 * LIST with details when there is nothing to list: PROTOCOL.md, REPLY_LIST: "LIST_DETAILS ...
 * comes when NAME_DETAILS was asked for and only then (also on an empty page)". A page without
 * it is a protocol error to the library.
 */
static void test_view_list_details_empty(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct shmb_client *c;
        int n = 0, r;

        c = sec_client(d, &sec_id_root);
        r = shmb_list_details(c, SHMB_LIST_ALL, count_cb, &n);
        shmb_client_free(c);
        if (r != 0)
                fail_msg("LIST (NAME_ALL | NAME_DETAILS) of an empty registry: %s; expected an "
                         "empty page flagged LIST_DETAILS", strerror(-r));
        /* Objects exist, none the caller may see. */
        assert_int_equal(lc_create(d, &sec_id_creator, "life-e", 4096, SHMB_LIFETIME_DEFAULT, 0,
                                   NULL), 0);
        c = sec_client(d, &sec_id_outsider);
        r = shmb_list_details(c, 0, count_cb, &n);
        shmb_client_free(c);
        if (r != 0)
                fail_msg("LIST (NAME_DETAILS) with nothing the caller may see: %s; expected an "
                         "empty page flagged LIST_DETAILS", strerror(-r));
        assert_int_equal(sec_unlink(d, &sec_id_creator, "life-e"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * A removal that fails
 */

/* A file left immutable would outlive the case: teardown clears it. */
static char immutable_path[PATH_MAX];

static void set_immutable(const char *path, bool on)
{
        _cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        int flags;

        assert_true(fd >= 0);
        assert_int_equal(ioctl(fd, FS_IOC_GETFLAGS, &flags), 0);
        if (on)
                flags |= FS_IMMUTABLE_FL;
        else
                flags &= ~FS_IMMUTABLE_FL;
        if (ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0) {
                if (on && (errno == ENOTTY || errno == EOPNOTSUPP || errno == EPERM))
                        sec_skip("cannot make '%s' immutable: %s", path, strerror(errno));
                fail_msg("FS_IOC_SETFLAGS on '%s': %s", path, strerror(errno));
        }
        snprintf(immutable_path, sizeof(immutable_path), "%s", on ? path : "");
}

static int view_teardown(void **state)
{
        if (immutable_path[0]) {
                int fd = open(immutable_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), flags = 0;

                if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
                        flags &= ~FS_IMMUTABLE_FL;
                        (void) ioctl(fd, FS_IOC_SETFLAGS, &flags);
                }
                if (fd >= 0)
                        (void) close(fd);
                immutable_path[0] = '\0';
        }
        return lc_teardown(state);
}

/*
 * Its creator has exited, but the object cannot be removed (EPERM: the file is immutable). The
 * object must stay in view as what it is (OBJ_CREATOR_GONE: "status marks objects whose
 * creator is gone"), and go within a bounded delay once the removal can succeed: "nothing
 * stays past its lifetime by more than a bounded delay".
 */
static void test_view_creator_gone_removal_fails(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        const char *path;
        struct lc_list l;
        struct lc_proc p;
        const struct lc_obj *o;
        uint32_t flags;
        size_t mark;
        bool gone;

        lc_proc_start(&p, &sec_id_creator, proc_object_fn, (void *) "proc-i");
        assert_int_equal(lc_proc_next(&p), 0);
        path = harness_shm_path(d, "proc-i");
        set_immutable(path, true);
        mark = harness_daemon_log_mark(d);
        lc_proc_release(&p);
        lc_expect_log(d, mark, "'proc-i'", "cannot be removed", LC_REMOVAL_MS);

        lc_list_all(d, &l);
        o = lc_list_find(&l, "proc-i");
        assert_non_null(o);
        flags = o->info.flags;
        lc_list_done(&l);

        set_immutable(harness_shm_path(d, "proc-i"), false);
        gone = lc_wait_gone_or(d, "proc-i", LC_REMOVAL_MS) >= 0;
        if (!(flags & SHMB_OBJ_CREATOR_GONE) || !gone)
                fail_msg("'proc-i', kept after its creator exited because its removal failed: "
                         "%s SHMB_OBJ_CREATOR_GONE (flags 0x%x); %s",
                         flags & SHMB_OBJ_CREATOR_GONE ? "marked" : "NOT marked", flags,
                         gone ? "removed once it could be" :
                                "NOT removed within 5 s once it could be (never retried)");
        sec_finish();
}

/* The same for a span whose deadline passed while its file could not be removed. */
static void test_view_span_removal_fails(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, true);
        size_t mark;

        assert_int_equal(lc_create(d, &sec_id_creator, "span-i", 4096, SHMB_LIFETIME_SPAN,
                                   2 * LC_MIN, NULL), 0);
        set_immutable(harness_shm_path(d, "span-i"), true);
        mark = harness_daemon_log_mark(d);
        lc_advance(3 * LC_MIN);
        lc_expect_log(d, mark, "'span-i'", "cannot be removed", LC_REMOVAL_MS);
        set_immutable(harness_shm_path(d, "span-i"), false);
        if (lc_wait_gone_or(d, "span-i", LC_REMOVAL_MS) < 0)
                fail_msg("'span-i' stays after its lifetime ended and its removal could "
                         "succeed again: a failed expiry is never retried");
        sec_finish();
}

const struct CMUnitTest lc_tests_view[] = {
        LC_TEST(test_view_status_and_list),
        LC_TEST(test_view_list_details_empty),
        LC_TEST(test_view_ends_soon),
        LC_TEST(test_view_admin_unlink),
        cmocka_unit_test_teardown(test_view_creator_gone_removal_fails, view_teardown),
        cmocka_unit_test_teardown(test_view_span_removal_fails, view_teardown),
};
const size_t lc_n_tests_view = ELEMENTSOF(lc_tests_view);
