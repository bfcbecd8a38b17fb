/* SPDX-License-Identifier: MIT */
/*
 * test-lifecycle-publish.c - PUBLISH: from then on nobody gets a writable fd.
 *
 * memfd, PUBLISH_SEAL: F_SEAL_WRITE, refused with EBUSY (reason BUSY) while a writable mapping
 * exists; afterwards a writer's existing fd can neither write(2) nor mmap(PROT_WRITE).
 * memfd, PUBLISH_FUTURE: F_SEAL_FUTURE_WRITE, existing mappings keep writing, no new writer.
 * shm: write taken from mode and ACL, writable opens refused (EACCES, PUBLISHED), ANY gets
 * read-only; what was handed out before keeps its access (documented); recorded before it
 * is made (a journal that cannot take it fails it). Who may publish: Publish=creator (the
 * default), writers, no. Publish racing a writer's open.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lifecycle.h"
#include "macro.h"

#define PUB_FLAGS (SHMB_OBJ_PUBLISHED | SHMB_OBJ_SEAL_WRITE | SHMB_OBJ_SEAL_FUTURE_WRITE)

/* 41006: in no rule of this policy. */
static const struct harness_id id_nobody = { .uid = 41006, .gid = HARNESS_GID_3 };

/* 41001 creates, 41002 writes, 41003 reads, 41004 may create too (but is not the creator). */
static const char pub_policy[] =
        "[Segment pub]\n"
        "Names=pub-*\n"
        "Create=41001 41004\n"
        "ReadWrite=41001 41002 41004\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=1M\n"
        "\n"
        "[Segment pubm]\n"
        "Names=pubm-*\n"
        "Create=41001 41004\n"
        "ReadWrite=41001 41002 41004\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=1M\n"
        "Backend=memfd\n"
        "\n"
        "[Segment pubw]\n"
        "Names=pubw-*\n"
        "Create=41001\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=1M\n"
        "Backend=memfd\n"
        "Publish=writers\n"
        "\n"
        "[Segment pubn]\n"
        "Names=pubn-*\n"
        "Create=41001\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=1M\n"
        "Publish=no\n"
        "\n"
        "[Segment pubnm]\n"
        "Names=pubnm-*\n"
        "Create=41001\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=1M\n"
        "Backend=memfd\n"
        "Publish=no\n";

static int publish_as(const struct harness_daemon *d, const struct harness_id *id,
                      const char *name, int mode, int *ret_reason)
{
        struct shmb_client *c = sec_client(d, id);
        int r;

        r = shmb_publish(c, name, mode);
        if (ret_reason)
                *ret_reason = shmb_client_last_reason(c);
        shmb_client_free(c);
        return r;
}

static int open_as(const struct harness_daemon *d, const struct harness_id *id, const char *name,
                   int access, int *ret_fd, struct shmb_fd_info *ret_info, int *ret_reason)
{
        struct shmb_client *c = sec_client(d, id);
        struct shmb_fd_info info;
        int r, fd = -1;

        r = shmb_open(c, name, access, &fd, ret_info ? ret_info : &info);
        if (ret_reason)
                *ret_reason = shmb_client_last_reason(c);
        shmb_client_free(c);
        if (r == 0) {
                if (ret_fd)
                        *ret_fd = fd;
                else
                        (void) close(fd);
        }
        return r;
}

static void create_object(const struct harness_daemon *d, const char *name)
{
        assert_int_equal(sec_create(d, &sec_id_creator, name, 4096, SHMB_ACCESS_NONE, NULL), 0);
}

static void expect_flags(const struct harness_daemon *d, const char *name, uint32_t want)
{
        struct shmb_stat st;

        assert_int_equal(lc_stat(d, name, &st), 0);
        if ((st.flags & PUB_FLAGS) != want)
                fail_msg("'%s': flags 0x%x, expected 0x%x", name, st.flags & PUB_FLAGS, want);
}

/* A writer asks for RDWR: refused, PUBLISHED; for ANY: read-only, flags @want. */
static void expect_no_writer(const struct harness_daemon *d, const char *name, uint32_t want)
{
        struct shmb_fd_info info;
        int reason = -1, fd = -1;

        assert_int_equal(open_as(d, &sec_id_writer, name, SHMB_ACCESS_RDWR, NULL, NULL, &reason),
                         -EACCES);
        assert_int_equal(reason, SHMB_REASON_PUBLISHED);
        assert_int_equal(open_as(d, &sec_id_creator, name, SHMB_ACCESS_RDWR, NULL, NULL,
                                 &reason), -EACCES);
        assert_int_equal(reason, SHMB_REASON_PUBLISHED);
        assert_int_equal(open_as(d, &sec_id_writer, name, SHMB_ACCESS_ANY, &fd, &info, NULL), 0);
        assert_int_equal(info.access, SHMB_ACCESS_RDONLY);
        assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
        if ((info.flags & PUB_FLAGS) != want)
                fail_msg("'%s': the open's flags 0x%x, expected 0x%x", name,
                         info.flags & PUB_FLAGS, want);
        assert_int_equal(close(fd), 0);
}

/* ------------------------------------------------------------------------------------------
 * memfd
 */

static void test_publish_memfd_seal(void **state)
{
        struct harness_daemon *d = lc_start(pub_policy, false);
        int wfd = -1, rfd = -1, reason = -1, seals;
        char *w, *r;

        create_object(d, "pubm-a");
        assert_int_equal(open_as(d, &sec_id_writer, "pubm-a", SHMB_ACCESS_RDWR, &wfd, NULL,
                                 NULL), 0);
        w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, wfd, 0);
        assert_true(w != MAP_FAILED);
        strcpy(w, "final bytes");

        /* A writable mapping: the kernel refuses the seal, the daemon says why. */
        assert_int_equal(publish_as(d, &sec_id_creator, "pubm-a", SHMB_PUBLISH_SEAL, &reason),
                         -EBUSY);
        assert_int_equal(reason, SHMB_REASON_BUSY);
        expect_flags(d, "pubm-a", 0);
        /* ... and nothing changed: a writer is still served. */
        assert_int_equal(open_as(d, &sec_id_writer, "pubm-a", SHMB_ACCESS_RDWR, NULL, NULL,
                                 NULL), 0);

        assert_int_equal(munmap(w, 4096), 0);
        assert_int_equal(publish_as(d, &sec_id_creator, "pubm-a", SHMB_PUBLISH_SEAL, &reason),
                         0);
        expect_flags(d, "pubm-a", SHMB_OBJ_PUBLISHED | SHMB_OBJ_SEAL_WRITE);

        /* The writer's fd from before: no write, no writable mapping; reading works. */
        assert_int_equal(pwrite(wfd, "x", 1, 0), -1);
        assert_int_equal(errno, EPERM);
        assert_true(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, wfd, 0) == MAP_FAILED);
        assert_int_equal(errno, EPERM);
        r = mmap(NULL, 4096, PROT_READ, MAP_SHARED, wfd, 0);
        assert_true(r != MAP_FAILED);
        assert_string_equal(r, "final bytes");
        assert_int_equal(munmap(r, 4096), 0);

        expect_no_writer(d, "pubm-a", SHMB_OBJ_PUBLISHED | SHMB_OBJ_SEAL_WRITE);
        assert_int_equal(open_as(d, &sec_id_reader, "pubm-a", SHMB_ACCESS_RDONLY, &rfd, NULL,
                                 NULL), 0);
        seals = fcntl(rfd, F_GET_SEALS);
        assert_int_equal(seals & (F_SEAL_WRITE | F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW),
                         F_SEAL_WRITE | F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW);
        assert_int_equal(close(rfd), 0);

        /* Again: nothing to add. FUTURE after SEAL adds nothing either. */
        assert_int_equal(publish_as(d, &sec_id_creator, "pubm-a", SHMB_PUBLISH_SEAL, NULL), 0);
        assert_int_equal(publish_as(d, &sec_id_creator, "pubm-a", SHMB_PUBLISH_FUTURE, NULL), 0);
        expect_flags(d, "pubm-a", SHMB_OBJ_PUBLISHED | SHMB_OBJ_SEAL_WRITE);
        assert_int_equal(close(wfd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "pubm-a"), 0);
        sec_finish();
}

static void test_publish_memfd_future(void **state)
{
        struct harness_daemon *d = lc_start(pub_policy, false);
        int wfd = -1, rfd = -1, reason = -1;
        char *w, *r;

        create_object(d, "pubm-b");
        assert_int_equal(open_as(d, &sec_id_writer, "pubm-b", SHMB_ACCESS_RDWR, &wfd, NULL,
                                 NULL), 0);
        w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, wfd, 0);
        assert_true(w != MAP_FAILED);
        strcpy(w, "v1");
        assert_int_equal(open_as(d, &sec_id_reader, "pubm-b", SHMB_ACCESS_RDONLY, &rfd, NULL,
                                 NULL), 0);
        r = mmap(NULL, 4096, PROT_READ, MAP_SHARED, rfd, 0);
        assert_true(r != MAP_FAILED);

        assert_int_equal(publish_as(d, &sec_id_creator, "pubm-b", SHMB_PUBLISH_FUTURE, &reason),
                         0);
        expect_flags(d, "pubm-b", SHMB_OBJ_PUBLISHED | SHMB_OBJ_SEAL_FUTURE_WRITE);
        /* The existing mapping goes on writing, and the reader sees it. */
        strcpy(w, "v2");
        assert_string_equal(r, "v2");
        /* No new write path, not even from the writer's own fd. */
        assert_int_equal(pwrite(wfd, "x", 1, 0), -1);
        assert_int_equal(errno, EPERM);
        assert_true(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, wfd, 0) == MAP_FAILED);
        assert_int_equal(errno, EPERM);
        expect_no_writer(d, "pubm-b", SHMB_OBJ_PUBLISHED | SHMB_OBJ_SEAL_FUTURE_WRITE);

        /* Sealing for good now waits for that mapping. */
        assert_int_equal(publish_as(d, &sec_id_creator, "pubm-b", SHMB_PUBLISH_SEAL, &reason),
                         -EBUSY);
        assert_int_equal(reason, SHMB_REASON_BUSY);
        assert_int_equal(munmap(w, 4096), 0);
        assert_int_equal(publish_as(d, &sec_id_creator, "pubm-b", SHMB_PUBLISH_SEAL, &reason),
                         0);
        expect_flags(d, "pubm-b", PUB_FLAGS);
        assert_string_equal(r, "v2");
        assert_int_equal(munmap(r, 4096), 0);
        assert_int_equal(close(rfd), 0);
        assert_int_equal(close(wfd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "pubm-b"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * shm
 */

static void expect_shm_published(const struct harness_daemon *d, const char *name)
{
        const char *path = harness_shm_path(d, name);

        expect_flags(d, name, SHMB_OBJ_PUBLISHED);
        /* Write is gone from the owner, the group (the mask) and every named entry; the file
         * is the daemon's now (its owner could have chmod()ed write back), and the owner it
         * had (41001) keeps read through a named entry. */
        reg_assert_file(path, 0, 42002, 0440);
        assert_int_equal(reg_acl_perm(path, ACL_USER, 41001), 4);
        assert_int_equal(reg_acl_perm(path, ACL_USER, 41002), 4);
        assert_int_equal(reg_acl_perm(path, ACL_USER, 41004), 4);
        assert_int_equal(reg_acl_perm(path, ACL_USER_OBJ, 0), 4);
        assert_int_equal(reg_fs_open(path, &sec_id_writer, O_RDWR), -EACCES);
        expect_no_writer(d, name, SHMB_OBJ_PUBLISHED);
}

static void test_publish_shm(void **state)
{
        struct harness_daemon *d = lc_start(pub_policy, false);
        int wfd = -1, reason = -1;

        create_object(d, "pub-c");
        assert_int_equal(reg_acl_perm(harness_shm_path(d, "pub-c"), ACL_USER, 41002), 6);
        assert_int_equal(open_as(d, &sec_id_writer, "pub-c", SHMB_ACCESS_RDWR, &wfd, NULL, NULL),
                         0);
        /* No seal on shm. */
        assert_int_equal(publish_as(d, &sec_id_creator, "pub-c", SHMB_PUBLISH_FUTURE, &reason),
                         -EOPNOTSUPP);
        assert_int_equal(reason, SHMB_REASON_NONE);
        expect_flags(d, "pub-c", 0);

        assert_int_equal(publish_as(d, &sec_id_creator, "pub-c", SHMB_PUBLISH_SEAL, &reason), 0);
        expect_shm_published(d, "pub-c");
        /* What cannot be taken back (shmbroker.conf(5)): an fd handed out before. */
        assert_int_equal(pwrite(wfd, "late", 4, 0), 4);
        assert_int_equal(close(wfd), 0);
        assert_int_equal(publish_as(d, &sec_id_creator, "pub-c", SHMB_PUBLISH_SEAL, NULL), 0);
        expect_shm_published(d, "pub-c");

        /* A reload with the same policy sets the attributes again: published ones. */
        reg_reload(d, pub_policy);
        expect_shm_published(d, "pub-c");
        d = lc_restart(pub_policy, false);
        expect_shm_published(d, "pub-c");
        d = lc_restart(pub_policy, true);
        expect_shm_published(d, "pub-c");
        assert_int_equal(sec_unlink(d, &sec_id_creator, "pub-c"), 0);
        sec_finish();
}

/*
 * A shm object's publication is on record before it is made: the next start sets a shm
 * object's attributes by what the journal says. With a journal that cannot grow (the daemon's
 * RLIMIT_FSIZE set to the journal's size, so that its appends fail with EFBIG), PUBLISH fails
 * and nothing changes. Found by a hostile review: the old daemon answered OK, and a restart
 * made the object writable again (and where the limit was hit it died of SIGXFSZ).
 */
static void test_publish_shm_unrecorded(void **state)
{
        struct harness_daemon *d = lc_start(pub_policy, false);
        struct rlimit old, full;
        char path[PATH_MAX + 32];
        struct stat st;

        create_object(d, "pub-j");
        snprintf(path, sizeof(path), "%s/registry", d->state_dir);
        assert_int_equal(stat(path, &st), 0);
        /* The soft limit only: it is the one enforced, and raising it back needs no
         * privilege. */
        assert_int_equal(prlimit(d->pid, RLIMIT_FSIZE, NULL, &old), 0);
        full = (struct rlimit) { (rlim_t) st.st_size, old.rlim_max };
        assert_int_equal(prlimit(d->pid, RLIMIT_FSIZE, &full, NULL), 0);
        assert_int_equal(publish_as(d, &sec_id_creator, "pub-j", SHMB_PUBLISH_SEAL, NULL),
                         -EFBIG);
        assert_int_equal(prlimit(d->pid, RLIMIT_FSIZE, &old, NULL), 0);
        /* (Its log file is past that size too: the log lines of the refusal are lost.) */
        expect_flags(d, "pub-j", 0);
        assert_int_equal(reg_acl_perm(harness_shm_path(d, "pub-j"), ACL_USER, 41002), 6);
        assert_int_equal(open_as(d, &sec_id_writer, "pub-j", SHMB_ACCESS_RDWR, NULL, NULL, NULL),
                         0);

        /* Once the journal takes it: published, and still after a restart. */
        assert_int_equal(publish_as(d, &sec_id_creator, "pub-j", SHMB_PUBLISH_SEAL, NULL), 0);
        expect_shm_published(d, "pub-j");
        d = lc_restart(pub_policy, true);
        expect_shm_published(d, "pub-j");
        assert_int_equal(sec_unlink(d, &sec_id_creator, "pub-j"), 0);
        sec_finish();
}

/*
 * A fresh (unsized) memfd object published before its size was given: whatever the answer,
 * what PUBLISH leaves must be safe. Answered OK, the object must be sealed against resizing
 * (F_SEAL_SHRINK and F_SEAL_GROW: no holder of a writable fd, the creator's from its create
 * included, can shrink it under a reader's mapping) and no longer fresh (a RESIZE can no
 * longer succeed half-way), and readers must be able to open it.
 */
static void test_publish_fresh_memfd(void **state)
{
        struct harness_daemon *d = lc_start(pub_policy, false);
        struct shmb_create_opts o = { .flags = SHMB_CREATE_UNSIZED };
        struct shmb_client *c = sec_client(d, &sec_id_creator);
        char problems[512] = "";
        struct shmb_stat st;
        int cfd = -1, rfd = -1, seals, r;

        assert_int_equal(shmb_create2(c, "pubm-fresh", 0, SHMB_ACCESS_RDWR, &o, &cfd, NULL), 0);
        assert_int_equal(shmb_publish(c, "pubm-fresh", SHMB_PUBLISH_SEAL), 0);
        seals = fcntl(cfd, F_GET_SEALS);
        if ((seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW))
                strcat(problems, " no F_SEAL_SHRINK|F_SEAL_GROW;");
        assert_int_equal(lc_stat(d, "pubm-fresh", &st), 0);
        if (st.flags & SHMB_OBJ_FRESH)
                strcat(problems, " still OBJ_FRESH;");
        r = shmb_resize(c, "pubm-fresh", 4096);
        if (r != -EPERM || shmb_client_last_reason(c) != SHMB_REASON_NOT_FRESH) {
                char m[96];

                snprintf(m, sizeof(m), " RESIZE answered %s (reason %d), not EPERM/NOT_FRESH;",
                         strerror(-r), shmb_client_last_reason(c));
                strcat(problems, m);
        }
        assert_int_equal(lc_stat(d, "pubm-fresh", &st), 0);
        if (st.size != 0) {
                char m[64];

                snprintf(m, sizeof(m), " its size became %llu;", (unsigned long long) st.size);
                strcat(problems, m);
        }
        if (ftruncate(cfd, 8192) == 0)
                strcat(problems, " the creator's fd can resize it;");
        r = open_as(d, &sec_id_reader, "pubm-fresh", SHMB_ACCESS_RDONLY, &rfd, NULL, NULL);
        if (r < 0) {
                char m[64];

                snprintf(m, sizeof(m), " a reader's open fails: %s;", strerror(-r));
                strcat(problems, m);
        } else
                assert_int_equal(close(rfd), 0);
        shmb_client_free(c);
        assert_int_equal(close(cfd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "pubm-fresh"), 0);
        if (problems[0])
                fail_msg("a fresh memfd object, published:%s", problems);
        sec_finish();
}

/* The same on shm: published means final, so a RESIZE afterwards is too late (NOT_FRESH),
 * as after any other end of freshness; the object keeps the size it was published with. */
static void test_publish_fresh_shm(void **state)
{
        struct harness_daemon *d = lc_start(pub_policy, false);
        struct shmb_create_opts o = { .flags = SHMB_CREATE_UNSIZED };
        struct shmb_client *c = sec_client(d, &sec_id_creator);
        struct shmb_stat st;
        int r, reason;

        assert_int_equal(shmb_create2(c, "pub-fresh", 0, SHMB_ACCESS_NONE, &o, NULL, NULL), 0);
        assert_int_equal(shmb_publish(c, "pub-fresh", SHMB_PUBLISH_SEAL), 0);
        r = shmb_resize(c, "pub-fresh", 4096);
        reason = shmb_client_last_reason(c);
        shmb_client_free(c);
        assert_int_equal(lc_stat(d, "pub-fresh", &st), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "pub-fresh"), 0);
        if (r != -EPERM || reason != SHMB_REASON_NOT_FRESH || st.size != 0 ||
            (st.flags & SHMB_OBJ_FRESH))
                fail_msg("RESIZE of a published (fresh) shm object: %s (reason %d), size now "
                         "%llu, flags 0x%x; expected EPERM, NOT_FRESH, size 0, not fresh",
                         strerror(-r), reason, (unsigned long long) st.size, st.flags);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * Who may publish
 */

/*
 * Publish=creator: only the creator. PROTOCOL.md (PUBLISH) answers anyone else who may see the
 * object with EPERM and NOT_CREATOR, whatever the rule lets them do otherwise; someone who may
 * not see it gets the same answer for it as for a name that does not exist.
 */
static void test_publish_who_creator(void **state)
{
        static const char *const names[] = { "pub-d", "pubm-d" };
        static const char *const missing[] = { "pub-missing", "pubm-missing" };
        const struct harness_id *const others[] = { &sec_id_outsider, &sec_id_writer,
                                                    &sec_id_reader };
        struct harness_daemon *d = lc_start(pub_policy, false);
        size_t i, k;

        for (i = 0; i < ELEMENTSOF(names); i++) {
                int r, r2, reason, reason2;

                create_object(d, names[i]);
                for (k = 0; k < ELEMENTSOF(others); k++) {
                        r = publish_as(d, others[k], names[i], SHMB_PUBLISH_SEAL, &reason);
                        if (r != -EPERM || reason != SHMB_REASON_NOT_CREATOR)
                                fail_msg("uid %u publishes '%s' (not its own, Publish=creator): "
                                         "%s (reason %d); PROTOCOL.md says EPERM, NOT_CREATOR",
                                         (unsigned) others[k]->uid, names[i], strerror(-r),
                                         reason);
                }
                r = publish_as(d, &id_nobody, names[i], SHMB_PUBLISH_SEAL, &reason);
                r2 = publish_as(d, &id_nobody, missing[i], SHMB_PUBLISH_SEAL, &reason2);
                assert_int_equal(r, r2);
                assert_int_equal(reason, reason2);
                assert_int_equal(publish_as(d, &sec_id_creator, missing[i], SHMB_PUBLISH_SEAL,
                                            &reason), -ENOENT);
                assert_int_equal(reason, SHMB_REASON_NO_OBJECT);
                expect_flags(d, names[i], 0);
                assert_int_equal(publish_as(d, &sec_id_creator, names[i], SHMB_PUBLISH_SEAL,
                                            NULL), 0);
                assert_int_equal(sec_unlink(d, &sec_id_creator, names[i]), 0);
        }
        sec_finish();
}

/* Publish=writers: any writer; a reader may not (NO_PUBLISH: the rule does not let the caller
 * publish). Publish=no: nobody, the creator included. */
static void test_publish_who_policy(void **state)
{
        static const char *const never[] = { "pubn-f", "pubnm-f" };
        struct harness_daemon *d = lc_start(pub_policy, false);
        int r, reason = -1;
        size_t i;

        create_object(d, "pubw-e");
        r = publish_as(d, &sec_id_reader, "pubw-e", SHMB_PUBLISH_SEAL, &reason);
        if (r != -EPERM || reason != SHMB_REASON_NO_PUBLISH)
                fail_msg("a reader publishes under Publish=writers: %s (reason %d); expected "
                         "EPERM, NO_PUBLISH", strerror(-r), reason);
        assert_int_equal(publish_as(d, &sec_id_writer, "pubw-e", SHMB_PUBLISH_SEAL, &reason), 0);
        expect_flags(d, "pubw-e", SHMB_OBJ_PUBLISHED | SHMB_OBJ_SEAL_WRITE);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "pubw-e"), 0);

        for (i = 0; i < ELEMENTSOF(never); i++) {
                create_object(d, never[i]);
                assert_int_equal(publish_as(d, &sec_id_creator, never[i], SHMB_PUBLISH_SEAL,
                                            &reason), -EPERM);
                assert_int_equal(reason, SHMB_REASON_NO_PUBLISH);
                expect_flags(d, never[i], 0);
                assert_int_equal(sec_unlink(d, &sec_id_creator, never[i]), 0);
        }
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * Publish racing a writer
 */

#define RACE_ROUNDS_MAX 200000
/* The publisher starts once the writer has had this many rounds, so that both run at once. */
#define RACE_HEAD_START 200

struct race_result {
        int64_t granted, late, refused_then_granted, error;
};

/*
 * The writer: open read-write, map, write its round number, unmap, close; again, until the
 * daemon refuses (PUBLISHED). A map that fails with EPERM is an fd granted just before the
 * seal. Once refused, every later open must be refused too. Reports: 1 after RACE_HEAD_START
 * grants, then granted, late, refused-then-granted, an unexpected error.
 */
static int race_writer_fn(struct lc_proc *p, void *userdata)
{
        const char *name = userdata;
        struct shmb_client *c = lc_child_connect();
        struct race_result res = {};
        bool refused = false;
        int64_t round;
        int after = 0;

        if (!c)
                return ENOTCONN;
        for (round = 1; round < RACE_ROUNDS_MAX && after < 100; round++) {
                int64_t *m;
                int fd = -1, r;

                r = shmb_open(c, name, SHMB_ACCESS_RDWR, &fd, NULL);
                if (r == -EACCES && shmb_client_last_reason(c) == SHMB_REASON_PUBLISHED) {
                        refused = true;
                        after++;
                        continue;
                }
                if (r < 0) {
                        res.error = r;
                        break;
                }
                if (refused)
                        res.refused_then_granted++;
                res.granted++;
                if (res.granted == RACE_HEAD_START)
                        lc_child_report(p, 1);
                m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
                if (m == MAP_FAILED) {
                        if (errno != EPERM)
                                res.error = -errno;
                        res.late++;
                } else {
                        *m = round;
                        (void) munmap(m, 4096);
                }
                (void) close(fd);
        }
        lc_child_report(p, res.granted);
        lc_child_report(p, res.late);
        lc_child_report(p, res.refused_then_granted);
        lc_child_report(p, res.error);
        return 0;
}

static void race_result_check(struct lc_proc *p, int64_t *ret_granted, int64_t *ret_late)
{
        int64_t granted = lc_proc_next(p), late = lc_proc_next(p), again = lc_proc_next(p),
                error = lc_proc_next(p);

        print_message("the writer was granted %lld opens (%lld just before the seal)\n",
                      (long long) granted, (long long) late);
        if (error != 0)
                fail_msg("the writer failed: %s", strerror((int) -error));
        if (again != 0)
                fail_msg("%lld writable opens were granted after one was refused as published",
                         (long long) again);
        assert_int_equal(lc_proc_next(p), 0);
        lc_proc_release(p);
        *ret_granted = granted;
        *ret_late = late;
}

static void test_publish_race_memfd(void **state)
{
        struct harness_daemon *d = lc_start(pub_policy, false);
        struct shmb_client *c;
        int64_t snapshot, granted, late, *m;
        unsigned busy = 0;
        struct lc_proc p;
        int r, fd = -1;

        create_object(d, "pubm-race");
        lc_proc_start(&p, &sec_id_writer, race_writer_fn, (void *) "pubm-race");
        assert_int_equal(lc_proc_next(&p), 1);
        c = sec_client(d, &sec_id_creator);
        for (;;) {
                r = shmb_publish(c, "pubm-race", SHMB_PUBLISH_SEAL);
                if (r != -EBUSY)
                        break;
                assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_BUSY);
                assert_true(++busy < 100000);
        }
        shmb_client_free(c);
        assert_int_equal(r, 0);
        print_message("published after %u EBUSY answers\n", busy);

        /* The bytes are final from the moment the publish was answered. */
        assert_int_equal(open_as(d, &sec_id_reader, "pubm-race", SHMB_ACCESS_RDONLY, &fd, NULL,
                                 NULL), 0);
        m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
        assert_true(m != MAP_FAILED);
        snapshot = *m;
        race_result_check(&p, &granted, &late);
        assert_int_equal(*m, snapshot);
        assert_int_equal(munmap(m, 4096), 0);
        assert_int_equal(close(fd), 0);
        expect_flags(d, "pubm-race", SHMB_OBJ_PUBLISHED | SHMB_OBJ_SEAL_WRITE);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "pubm-race"), 0);
        sec_finish();
}

static void test_publish_race_shm(void **state)
{
        struct harness_daemon *d = lc_start(pub_policy, false);
        int64_t granted, late;
        struct lc_proc p;
        int reason = -1;

        create_object(d, "pub-race");
        lc_proc_start(&p, &sec_id_writer, race_writer_fn, (void *) "pub-race");
        assert_int_equal(lc_proc_next(&p), 1);
        assert_int_equal(publish_as(d, &sec_id_creator, "pub-race", SHMB_PUBLISH_SEAL, &reason),
                         0);
        /* Answered: from here on no writer is served. */
        assert_int_equal(open_as(d, &sec_id_writer, "pub-race", SHMB_ACCESS_RDWR, NULL, NULL,
                                 &reason), -EACCES);
        assert_int_equal(reason, SHMB_REASON_PUBLISHED);
        race_result_check(&p, &granted, &late);
        /* shm has no seal: an fd granted before the publish could still map writable. */
        assert_int_equal(late, 0);
        expect_shm_published(d, "pub-race");
        assert_int_equal(sec_unlink(d, &sec_id_creator, "pub-race"), 0);
        sec_finish();
}

const struct CMUnitTest lc_tests_publish[] = {
        LC_TEST(test_publish_memfd_seal),
        LC_TEST(test_publish_memfd_future),
        LC_TEST(test_publish_shm),
        LC_TEST(test_publish_shm_unrecorded),
        LC_TEST(test_publish_fresh_memfd),
        LC_TEST(test_publish_fresh_shm),
        LC_TEST(test_publish_who_creator),
        LC_TEST(test_publish_who_policy),
        LC_TEST(test_publish_race_memfd),
        LC_TEST(test_publish_race_shm),
};
const size_t lc_n_tests_publish = ELEMENTSOF(lc_tests_publish);
