/* SPDX-License-Identifier: MIT */
/*
 * test-registry-kept.c - kept fds (daemon/fdcache.h, issue 12): a connection's next open of an
 * object it was handed before is answered with the same open file description, and that is
 * exact: never across connections, never after the object was removed, replaced on disk,
 * re-decided at a reload or changed so that a reader could write it, and never counted as a
 * client holding a removed object.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <acl/libacl.h>
#include <cmocka.h>
#include <sys/acl.h>

#include "macro.h"
#include "registry.h"

/* Kept fds are off by default: these cases turn them on. */
static struct harness_daemon *kept_start(const char *policy)
{
        static const char *const args[] = { "--kept-fds", "256", NULL };
        struct harness_daemon_options opts = { .extra_args = (const char **) args };

        return sec_start(policy, &opts);
}

static ino_t ino_of(int fd)
{
        struct stat st;

        assert_int_equal(fstat(fd, &st), 0);
        return st.st_ino;
}

/* The daemon's fds once it is idle: the start, its connections and what it keeps. */
static int idle_fds(const struct harness_daemon *d)
{
        sec_wait_idle(d);
        return harness_daemon_fd_count(d);
}

/* ------------------------------------------------------------------------------------------
 * Sharing: within one connection, per object and access; never between connections
 */

static void test_kept_within_connection(void **state)
{
        static const char *const names[] = { "sec-kw", "secm-kw" };
        struct harness_daemon *d = kept_start(sec_policy);
        size_t i;

        for (i = 0; i < ELEMENTSOF(names); i++) {
                struct shmb_client *w = sec_client(d, &sec_id_writer);
                struct shmb_client *w2 = sec_client(d, &sec_id_writer);
                int a, b, ro, other;

                assert_int_equal(sec_create(d, &sec_id_creator, names[i], 4096, SHMB_ACCESS_NONE,
                                            NULL), 0);
                a = reg_open_on(w, names[i], SHMB_ACCESS_RDWR);
                b = reg_open_on(w, names[i], SHMB_ACCESS_RDWR);
                ro = reg_open_on(w, names[i], SHMB_ACCESS_RDONLY);
                other = reg_open_on(w2, names[i], SHMB_ACCESS_RDWR);
                assert_true(a >= 0 && b >= 0 && ro >= 0 && other >= 0);
                /* One connection, one access: one open file description, as after dup(). */
                assert_true(reg_same_description(a, b));
                /* Another access is another description, and read-only is read-only. */
                assert_false(reg_same_description(a, ro));
                assert_int_equal(fcntl(ro, F_GETFL) & O_ACCMODE, O_RDONLY);
                assert_int_equal(fcntl(a, F_GETFL) & O_ACCMODE, O_RDWR);
                /* Another connection of the same uid has its own. */
                assert_false(reg_same_description(a, other));
                assert_int_equal(ino_of(a), ino_of(other));
                assert_int_equal(close(a), 0);
                assert_int_equal(close(b), 0);
                assert_int_equal(close(ro), 0);
                assert_int_equal(close(other), 0);
                shmb_client_free(w);
                shmb_client_free(w2);
                assert_int_equal(sec_unlink(d, &sec_id_creator, names[i]), 0);
        }
        sec_finish();
}

/* The same object twice in one batch: the second is the first's kept description. */
static void test_kept_batch(void **state)
{
        struct harness_daemon *d = kept_start(sec_policy);
        struct shmb_client *r = sec_client(d, &sec_id_reader);
        struct shmb_open_req reqs[3] = {
                { .name = "sec-kb", .access = SHMB_ACCESS_RDONLY, .fd = -1 },
                { .name = "sec-kb2", .access = SHMB_ACCESS_RDONLY, .fd = -1 },
                { .name = "sec-kb", .access = SHMB_ACCESS_RDONLY, .fd = -1 },
        };
        int single;
        size_t i;

        assert_int_equal(sec_create(d, &sec_id_creator, "sec-kb", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-kb2", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        assert_int_equal(shmb_open_batch(r, reqs, ELEMENTSOF(reqs)), (int) ELEMENTSOF(reqs));
        for (i = 0; i < ELEMENTSOF(reqs); i++)
                assert_int_equal(reqs[i].error, 0);
        assert_true(reg_same_description(reqs[0].fd, reqs[2].fd));
        assert_false(reg_same_description(reqs[0].fd, reqs[1].fd));
        single = reg_open_on(r, "sec-kb2", SHMB_ACCESS_RDONLY);
        assert_true(single >= 0);
        assert_true(reg_same_description(single, reqs[1].fd));
        assert_int_equal(close(single), 0);
        for (i = 0; i < ELEMENTSOF(reqs); i++)
                assert_int_equal(close(reqs[i].fd), 0);
        shmb_client_free(r);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-kb"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-kb2"), 0);
        sec_finish();
}

/* --kept-fds 0: every open is a fresh open, and the daemon keeps nothing. */
static void test_kept_off(void **state)
{
        const char *args[] = { "--kept-fds", "0", NULL };
        struct harness_daemon_options opts = { .extra_args = args };
        struct harness_daemon *d = sec_start(sec_policy, &opts);
        struct shmb_client *w;
        int a, b, n;

        assert_int_equal(sec_create(d, &sec_id_creator, "sec-ko", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        w = sec_client(d, &sec_id_writer);
        a = reg_open_on(w, "sec-ko", SHMB_ACCESS_RDWR);
        b = reg_open_on(w, "sec-ko", SHMB_ACCESS_RDWR);
        assert_true(a >= 0 && b >= 0);
        assert_false(reg_same_description(a, b));
        n = idle_fds(d);
        if (n != d->n_fds_start + 1)
                fail_msg("with --kept-fds 0 the daemon holds %d fds for one connection (%d at "
                         "start)", n, d->n_fds_start);
        assert_int_equal(close(a), 0);
        assert_int_equal(close(b), 0);
        shmb_client_free(w);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-ko"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * Revocation: what the daemon keeps is never handed out after the object changed
 */

/* Removed and made again under the same name: the connection gets the new object. */
static void test_kept_unlink_recreate(void **state)
{
        static const char *const names[] = { "sec-ku", "secm-ku" };
        struct harness_daemon *d = kept_start(sec_policy);
        size_t i;

        for (i = 0; i < ELEMENTSOF(names); i++) {
                struct shmb_client *w = sec_client(d, &sec_id_writer);
                char byte = 0;
                int old, fresh;

                reg_create_text(d, &sec_id_creator, names[i], 4096, "1");
                old = reg_open_on(w, names[i], SHMB_ACCESS_RDWR);
                assert_true(old >= 0);
                assert_int_equal(sec_unlink(d, &sec_id_creator, names[i]), 0);
                /* Gone for the connection that keeps it too. */
                assert_int_equal(reg_open_on(w, names[i], SHMB_ACCESS_RDWR), -ENOENT);
                reg_create_text(d, &sec_id_creator, names[i], 4096, "2");
                fresh = reg_open_on(w, names[i], SHMB_ACCESS_RDWR);
                assert_true(fresh >= 0);
                assert_false(reg_same_description(old, fresh));
                assert_int_equal(pread(fresh, &byte, 1, 0), 1);
                assert_int_equal(byte, '2');
                assert_int_equal(close(old), 0);
                assert_int_equal(close(fresh), 0);
                shmb_client_free(w);
                assert_int_equal(sec_unlink(d, &sec_id_creator, names[i]), 0);
        }
        sec_finish();
}

/*
 * A kept fd is no client's: removing an object whose only other description is the
 * connection's kept one releases its charge at once (MaxObjectsPerUser=1 would refuse the next
 * create until the tick otherwise), in a loop on one connection.
 */
static void test_kept_unlink_releases_charge(void **state)
{
        static const char policy[] =
                "[Segment kq]\n"
                "Names=kq-*\n"
                "Create=41001\n"
                "ReadWrite=41001\n"
                "Owner=41001\n"
                "Mode=0600\n"
                "MaxSize=64K\n"
                "\n"
                "[Quota]\n"
                "MaxObjectsPerUser=1\n";
        struct harness_daemon *d = kept_start(policy);
        struct shmb_client *c = sec_client(d, &sec_id_creator);
        int i, fd;

        for (i = 0; i < 20; i++) {
                assert_int_equal(shmb_create(c, "kq-1", 4096, SHMB_ACCESS_NONE, NULL, NULL), 0);
                fd = reg_open_on(c, "kq-1", SHMB_ACCESS_RDWR);
                assert_true(fd >= 0);
                assert_int_equal(close(fd), 0);
                fd = reg_open_on(c, "kq-1", SHMB_ACCESS_RDWR);
                assert_true(fd >= 0);
                assert_int_equal(close(fd), 0);
                assert_int_equal(shmb_unlink(c, "kq-1"), 0);
        }
        shmb_client_free(c);
        sec_finish();
}

/*
 * Replaced on disk (by someone who may write the object directory): the name holds another
 * inode, so the object is gone for the daemon, also for a connection that keeps an fd of it.
 */
static void test_kept_replaced_on_disk(void **state)
{
        static const char *const names[] = { "sec-kr", "sec-kr2" };
        struct harness_daemon *d = kept_start(sec_policy);
        size_t i;

        for (i = 0; i < ELEMENTSOF(names); i++) {
                struct shmb_client *w = sec_client(d, &sec_id_writer);
                char path[PATH_MAX + 300], planted[PATH_MAX + 320];
                int fd, n;

                reg_create_text(d, &sec_id_creator, names[i], 4096, "real");
                fd = reg_open_on(w, names[i], SHMB_ACCESS_RDWR);
                assert_true(fd >= 0);
                assert_int_equal(close(fd), 0);
                snprintf(path, sizeof(path), "%s", harness_shm_path(d, names[i]));
                snprintf(planted, sizeof(planted), "%s.planted", path);
                sec_write_file(planted, "planted");
                assert_int_equal(chown(planted, HARNESS_UID_1, HARNESS_GID_2), 0);
                if (i == 0)
                        /* Renamed over: the old inode is unlinked. */
                        assert_int_equal(rename(planted, path), 0);
                else {
                        /* Kept alive under another name first: the old inode keeps a link. */
                        char aside[PATH_MAX + 320];

                        snprintf(aside, sizeof(aside), "%s.aside", path);
                        assert_int_equal(link(path, aside), 0);
                        assert_int_equal(rename(planted, path), 0);
                        sec_remove_later(aside);
                }
                assert_int_equal(reg_open_on(w, names[i], SHMB_ACCESS_RDWR), -ENOENT);
                /* Forgotten: its kept fd closed with it. */
                n = idle_fds(d);
                if (n != d->n_fds_start + 1)
                        fail_msg("the daemon holds %d fds for one connection after forgetting "
                                 "the object it kept (%d at start)", n, d->n_fds_start);
                shmb_client_free(w);
                assert_int_equal(unlink(path), 0);
                if (i == 1) {
                        char aside[PATH_MAX + 320];

                        snprintf(aside, sizeof(aside), "%s.aside", path);
                        assert_int_equal(unlink(aside), 0);
                }
        }
        sec_finish();
}

/* A reload re-decides: a reader removed from the rule gets nothing, kept fd or not, and the
 * daemon keeps nothing from before the reload. */
static void test_kept_reload(void **state)
{
        static const char before[] =
                "[Segment kl]\n"
                "Names=kl-*\n"
                "Create=41001\n"
                "ReadWrite=41001 41002\n"
                "ReadOnly=41003\n"
                "Owner=41001\n"
                "Group=42002\n"
                "Mode=0640\n"
                "MaxSize=64K\n";
        static const char after[] =
                "[Segment kl]\n"
                "Names=kl-*\n"
                "Create=41001\n"
                "ReadWrite=41001 41002\n"
                "Owner=41001\n"
                "Group=42002\n"
                "Mode=0640\n"
                "MaxSize=64K\n";
        struct harness_daemon *d = kept_start(before);
        struct shmb_client *r = sec_client(d, &sec_id_reader);
        struct shmb_client *w = sec_client(d, &sec_id_writer);
        int ro, rw, rw2, n;

        reg_create_text(d, &sec_id_creator, "kl-1", 4096, "K");
        ro = reg_open_on(r, "kl-1", SHMB_ACCESS_RDONLY);
        rw = reg_open_on(w, "kl-1", SHMB_ACCESS_RDWR);
        assert_true(ro >= 0 && rw >= 0);
        assert_int_equal(close(ro), 0);
        n = idle_fds(d);
        assert_int_equal(n, d->n_fds_start + 2 + 2);

        reg_reload(d, after);
        /* Nothing kept survives the reload: 2 connections, no kept fds. */
        n = idle_fds(d);
        if (n != d->n_fds_start + 2)
                fail_msg("after a reload the daemon holds %d fds for two connections (%d at "
                         "start)", n, d->n_fds_start);
        assert_int_equal(reg_open_on(r, "kl-1", SHMB_ACCESS_RDONLY), -EACCES);
        /* The writer's next open is a new description, kept again. */
        rw2 = reg_open_on(w, "kl-1", SHMB_ACCESS_RDWR);
        assert_true(rw2 >= 0);
        assert_false(reg_same_description(rw, rw2));
        assert_int_equal(close(rw), 0);
        assert_int_equal(close(rw2), 0);
        shmb_client_free(r);
        shmb_client_free(w);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "kl-1"), 0);
        sec_finish();
}

/*
 * The read-only check is made at every handout, kept fd or not: once the object's ACL lets the
 * reader write (changed behind the daemon's back by root or the owner), the reader's next
 * read-only open is refused, although the connection keeps a read-only fd of it.
 */
static void test_kept_read_only_rechecked(void **state)
{
        struct harness_daemon *d = kept_start(sec_policy);
        struct shmb_client *r = sec_client(d, &sec_id_reader);
        char path[PATH_MAX + 300];
        acl_t acl;
        int ro;

        reg_create_text(d, &sec_id_creator, "sec-kc", 4096, "C");
        ro = reg_open_on(r, "sec-kc", SHMB_ACCESS_RDONLY);
        assert_true(ro >= 0);
        assert_int_equal(close(ro), 0);
        snprintf(path, sizeof(path), "%s", harness_shm_path(d, "sec-kc"));
        acl = acl_from_text("u::rw-,u:41003:rw-,g::r--,m::rw-,o::---");
        assert_non_null(acl);
        assert_int_equal(acl_set_file(path, ACL_TYPE_ACCESS, acl), 0);
        acl_free(acl);
        assert_int_equal(reg_open_on(r, "sec-kc", SHMB_ACCESS_RDONLY), -EACCES);
        shmb_client_free(r);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-kc"), 0);
        sec_finish();
}

const struct CMUnitTest reg_tests_kept[] = {
        SEC_TEST(test_kept_within_connection),
        SEC_TEST(test_kept_batch),
        SEC_TEST(test_kept_off),
        SEC_TEST(test_kept_unlink_recreate),
        SEC_TEST(test_kept_unlink_releases_charge),
        SEC_TEST(test_kept_replaced_on_disk),
        SEC_TEST(test_kept_reload),
        SEC_TEST(test_kept_read_only_rechecked),
};
const size_t reg_n_tests_kept = ELEMENTSOF(reg_tests_kept);
