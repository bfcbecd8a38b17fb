/* SPDX-License-Identifier: MIT */
/*
 * test-lifecycle.c - issue 13 against a real shmbrokerd: objects that end on their own, publish,
 * waiting for a name, and the cleanup view.
 *
 * One binary, one file per group:
 *   test-lifecycle.c          create: what Lifetime= allows and refuses (EACCES, LIFETIME),
 *                             span bounds, RESIZE (creator only, once, before others open,
 *                             MaxSize= and MaxBytesPerUser=), a fresh memfd grown directly (the tick, PUBLISH)
 *   test-lifecycle-process.c  lifetime=process: the creator exits, is SIGKILLed, forks (which
 *                             process counts), execs, closes its connection, runs threads; a
 *                             thousand objects of one creator; a daemon restart with the
 *                             creator alive, dead, or a zombie
 *   test-lifecycle-span.c     span lifetimes, with the fake clock: not before the deadline,
 *                             soon after, an open pushes it, a restart in between
 *   test-lifecycle-publish.c  publish on memfd (F_SEAL_WRITE, F_SEAL_FUTURE_WRITE) and shm,
 *                             who may, publish racing a writer's open
 *   test-lifecycle-wait.c     WAIT (exists, appears, published, timeout, refused, huge
 *                             timeouts, hang-up) and WATCH (only what the watcher may open,
 *                             overflow, requests on a watching connection)
 *   test-lifecycle-view.c     the cleanup view: STATUS counts and charges, LIST details, held
 *                             objects, a removal that fails
 *
 * Each case starts its own daemon (lc_start()) and ends with the suite's after-checks
 * (sec_finish(): control client served, fd count at baseline, which also catches a pidfd kept
 * for a creator that is gone, no stray object, exit 0 on SIGTERM). Nothing waits for time to
 * pass: a case polls for the state it expects with a deadline, or moves the daemon's clock
 * (tests/helpers/fakeclock.c). LC_FILTER=PATTERN runs only matching cases.
 *
 * Needs root (it switches uids); skipped (77) without.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <limits.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lifecycle.h"
#include "macro.h"

#define DAY (24 * LC_HOUR)

static uint8_t pkt[SHMB_PROTO_MSG_MAX];

/* ------------------------------------------------------------------------------------------
 * Lifetime=: the longest a rule allows, and what a create may ask for within it
 */

static const struct {
        const char *name;
        uint32_t lifetime;
        uint64_t usec;
        int error;              /* -errno, or 0 */
        int reason;
        uint32_t got;           /* the object's lifetime, as stat reports it */
        uint64_t got_usec;
} lifetime_cases[] = {
        /* Lifetime=process allows process alone. */
        { "proc-a", SHMB_LIFETIME_PERSISTENT, 0, -EACCES, SHMB_REASON_LIFETIME, 0, 0 },
        { "proc-a", SHMB_LIFETIME_SPAN, LC_MIN, -EACCES, SHMB_REASON_LIFETIME, 0, 0 },
        { "proc-a", SHMB_LIFETIME_PROCESS, 0, 0, 0, SHMB_LIFETIME_PROCESS, 0 },
        { "proc-a", SHMB_LIFETIME_DEFAULT, 0, 0, 0, SHMB_LIFETIME_PROCESS, 0 },
        /* Lifetime=1h: process, and spans up to an hour. */
        { "span-a", SHMB_LIFETIME_PERSISTENT, 0, -EACCES, SHMB_REASON_LIFETIME, 0, 0 },
        { "span-a", SHMB_LIFETIME_SPAN, LC_HOUR + 1, -EACCES, SHMB_REASON_LIFETIME, 0, 0 },
        { "span-a", SHMB_LIFETIME_SPAN, LC_HOUR, 0, 0, SHMB_LIFETIME_SPAN, LC_HOUR },
        { "span-a", SHMB_LIFETIME_SPAN, 30 * LC_SEC, 0, 0, SHMB_LIFETIME_SPAN, 30 * LC_SEC },
        { "span-a", SHMB_LIFETIME_PROCESS, 0, 0, 0, SHMB_LIFETIME_PROCESS, 0 },
        { "span-a", SHMB_LIFETIME_DEFAULT, 0, 0, 0, SHMB_LIFETIME_SPAN, LC_HOUR },
        /* No Lifetime=: persistent, which allows anything. */
        { "life-a", SHMB_LIFETIME_DEFAULT, 0, 0, 0, SHMB_LIFETIME_PERSISTENT, 0 },
        { "life-a", SHMB_LIFETIME_PERSISTENT, 0, 0, 0, SHMB_LIFETIME_PERSISTENT, 0 },
        { "life-a", SHMB_LIFETIME_PROCESS, 0, 0, 0, SHMB_LIFETIME_PROCESS, 0 },
        { "life-a", SHMB_LIFETIME_SPAN, 365 * DAY, 0, 0, SHMB_LIFETIME_SPAN, 365 * DAY },
        /* Beyond what any rule may say (1 s to 365 d). */
        { "life-a", SHMB_LIFETIME_SPAN, 365 * DAY + 1, -EINVAL, SHMB_REASON_NONE, 0, 0 },
        /* memfd alike. */
        { "lifem-a", SHMB_LIFETIME_PROCESS, 0, 0, 0, SHMB_LIFETIME_PROCESS, 0 },
        { "lifem-a", SHMB_LIFETIME_SPAN, 30 * LC_SEC, 0, 0, SHMB_LIFETIME_SPAN, 30 * LC_SEC },
};

static void test_lifetime_policy(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        uint64_t objects, bytes;
        size_t i;

        for (i = 0; i < ELEMENTSOF(lifetime_cases); i++) {
                const typeof(lifetime_cases[0]) *t = &lifetime_cases[i];
                struct shmb_stat st;
                int reason = -1, r;

                r = lc_create(d, &sec_id_creator, t->name, 4096, t->lifetime, t->usec, &reason);
                if (r != t->error || reason != t->reason)
                        fail_msg("case %zu: create '%s' lifetime %u/%llu us: %s (reason %d), "
                                 "expected %s (reason %d)", i, t->name, t->lifetime,
                                 (unsigned long long) t->usec, strerror(-r), reason,
                                 strerror(-t->error), t->reason);
                if (r < 0) {
                        /* Refused: nothing made, nothing charged. */
                        assert_false(lc_exists(d, t->name));
                        sec_usage(d, sec_id_creator.uid, &objects, &bytes);
                        assert_int_equal(objects, 0);
                        assert_int_equal(bytes, 0);
                        continue;
                }
                assert_int_equal(lc_stat(d, t->name, &st), 0);
                if (st.lifetime != t->got || st.lifetime_usec != t->got_usec)
                        fail_msg("case %zu: '%s' lives as %u/%llu us, expected %u/%llu", i,
                                 t->name, st.lifetime, (unsigned long long) st.lifetime_usec,
                                 t->got, (unsigned long long) t->got_usec);
                assert_int_equal(st.creator, sec_id_creator.uid);
                assert_int_equal(st.flags & SHMB_OBJ_CREATOR_GONE, 0);
                /* An unlink ends any lifetime (and a process tracker with it: the fd count at
                 * the end shows that no pidfd stays). */
                assert_int_equal(sec_unlink(d, &sec_id_creator, t->name), 0);
        }
        sec_finish();
}

/* Whoever may not create is told so before anything about lifetimes. */
static void test_lifetime_refusal_order(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        int reason = -1;

        assert_int_equal(lc_create(d, &sec_id_writer, "proc-a", 4096, SHMB_LIFETIME_PERSISTENT,
                                   0, &reason), -EACCES);
        assert_int_equal(reason, SHMB_REASON_NO_CREATE);
        assert_int_equal(lc_create(d, &sec_id_outsider, "span-a", 4096, SHMB_LIFETIME_SPAN,
                                   2 * LC_HOUR, &reason), -EACCES);
        assert_int_equal(reason, SHMB_REASON_NO_CREATE);
        assert_int_equal(lc_create(d, &sec_id_creator, "nothing-a", 4096,
                                   SHMB_LIFETIME_PROCESS, 0, &reason), -EACCES);
        assert_int_equal(reason, SHMB_REASON_NO_RULE);
        sec_finish();
}

/* What the library refuses before sending, the daemon refuses too: raw spans out of range. */
static void test_lifetime_span_bounds_raw(void **state)
{
        static const struct {
                uint64_t usec;
                int error;
        } cases[] = {
                { 0, EINVAL },
                { 1, EINVAL },
                { LC_SEC - 1, EINVAL },
                { 365 * DAY + 1, EINVAL },
                { UINT64_MAX, EINVAL },
        };
        struct harness_daemon *d = lc_start(lc_policy, false);
        int fd = sec_raw_connect(d, &sec_id_creator);
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct shmb_proto_reply reply;
                int n = shmb_proto_encode_create(pkt, sizeof(pkt), (uint32_t) i + 1, "life-raw",
                                                 &(struct shmb_proto_create_args) {
                                                         .size = 4096,
                                                         .access = SHMB_PROTO_ACCESS_NONE,
                                                         .lifetime = SHMB_PROTO_LIFETIME_SPAN,
                                                         .lifetime_usec = cases[i].usec,
                                                 });

                assert_true(n > 0);
                assert_int_equal(sec_raw_call(fd, pkt, (size_t) n, &reply, NULL), 0);
                if (reply.type != SHMB_PROTO_REPLY_ERROR || reply.error != cases[i].error)
                        fail_msg("span %llu us: reply 0x%x error %d, expected EINVAL",
                                 (unsigned long long) cases[i].usec, reply.type, reply.error);
                assert_int_equal(reply.seq, (uint32_t) i + 1);
        }
        assert_int_equal(close(fd), 0);
        assert_false(lc_exists(d, "life-raw"));
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * RESIZE
 */

static const char resize_policy[] =
        "[Quota]\n"
        "MaxBytesPerUser=1M\n"
        "\n"
        "[Segment rs]\n"
        "Names=rs-*\n"
        "Create=41001 41002\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=4M\n"
        "\n"
        "[Segment rsm]\n"
        "Names=rsm-*\n"
        "Create=41001 41002\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=4M\n"
        "Backend=memfd\n";

static int resize_as(const struct harness_daemon *d, const struct harness_id *id,
                     const char *name, uint64_t size, int *ret_reason)
{
        struct shmb_client *c = sec_client(d, id);
        int r;

        r = shmb_resize(c, name, size);
        *ret_reason = shmb_client_last_reason(c);
        shmb_client_free(c);
        return r;
}

/* Unsized, then sized once by its creator, whose fd sees the size; never twice. */
static void resize_once(const char *name, bool memfd)
{
        struct harness_daemon *d = lc_start(resize_policy, false);
        struct shmb_create_opts o = { .flags = SHMB_CREATE_UNSIZED };
        struct shmb_client *c;
        struct shmb_fd_info info;
        struct shmb_stat st;
        uint64_t objects, bytes;
        struct stat fst;
        int fd = -1, fd2 = -1, reason;

        c = sec_client(d, &sec_id_creator);
        assert_int_equal(shmb_create2(c, name, 0, SHMB_ACCESS_RDWR, &o, &fd, &info), 0);
        assert_int_equal(info.size, 0);
        assert_int_equal(info.flags & SHMB_OBJ_FRESH, SHMB_OBJ_FRESH);
        assert_int_equal(lc_stat(d, name, &st), 0);
        assert_int_equal(st.size, 0);
        assert_int_equal(st.flags & SHMB_OBJ_FRESH, SHMB_OBJ_FRESH);
        sec_usage(d, sec_id_creator.uid, &objects, &bytes);
        assert_int_equal(objects, 1);
        assert_int_equal(bytes, 0);
        /* The creator's own open does not end it. */
        assert_int_equal(shmb_open(c, name, SHMB_ACCESS_RDWR, &fd2, &info), 0);
        assert_int_equal(info.flags & SHMB_OBJ_FRESH, SHMB_OBJ_FRESH);
        assert_int_equal(close(fd2), 0);

        assert_int_equal(shmb_resize(c, name, 64 * 1024), 0);
        assert_int_equal(fstat(fd, &fst), 0);
        assert_int_equal(fst.st_size, 64 * 1024);
        assert_int_equal(lc_stat(d, name, &st), 0);
        assert_int_equal(st.size, 64 * 1024);
        assert_int_equal(st.flags & SHMB_OBJ_FRESH, 0);
        sec_usage(d, sec_id_creator.uid, &objects, &bytes);
        assert_int_equal(bytes, 64 * 1024);
        if (memfd) {
                int seals = fcntl(fd, F_GET_SEALS);

                /* Sealed as every other memfd object is: nobody resizes it now. */
                assert_true(seals >= 0);
                assert_int_equal(seals & (F_SEAL_SHRINK | F_SEAL_GROW),
                                 F_SEAL_SHRINK | F_SEAL_GROW);
                assert_int_equal(ftruncate(fd, 0), -1);
                assert_int_equal(errno, EPERM);
        }
        /* Once. */
        assert_int_equal(shmb_resize(c, name, 128 * 1024), -EPERM);
        assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_NOT_FRESH);
        assert_int_equal(resize_as(d, &sec_id_creator, name, 64 * 1024, &reason), -EPERM);
        assert_int_equal(reason, SHMB_REASON_NOT_FRESH);
        shmb_client_free(c);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, name), 0);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        sec_finish();
}

static void test_resize_once_shm(void **state)
{
        resize_once("rs-a", false);
}

static void test_resize_once_memfd(void **state)
{
        resize_once("rsm-a", true);
}

/*
 * Only the creator. While the object is fresh (unsized) it is there for its creator only:
 * a writer, a reader or an outsider is told what a name without an object gets (ENOENT,
 * NO_OBJECT). Once sized it is there for them, and RESIZE from anyone but the creator is
 * NOT_CREATOR (PROTOCOL.md, RESIZE). Someone who may not read the name gets the same answer for
 * it whether it exists or not.
 */
static void test_resize_not_creator(void **state)
{
        struct harness_daemon *d = lc_start(resize_policy, false);
        int reason, reason_missing, r, r_missing;

        assert_int_equal(lc_create(d, &sec_id_creator, "rs-b", 0, SHMB_LIFETIME_DEFAULT, 0,
                                   NULL), 0);
        assert_int_equal(resize_as(d, &sec_id_writer, "rs-b", 4096, &reason), -ENOENT);
        assert_int_equal(reason, SHMB_REASON_NO_OBJECT);
        assert_int_equal(resize_as(d, &sec_id_reader, "rs-b", 4096, &reason), -ENOENT);
        assert_int_equal(reason, SHMB_REASON_NO_OBJECT);
        r = resize_as(d, &sec_id_outsider, "rs-b", 4096, &reason);
        r_missing = resize_as(d, &sec_id_outsider, "rs-missing", 4096, &reason_missing);
        assert_int_equal(r, r_missing);
        assert_int_equal(reason, reason_missing);
        /* Still fresh: the creator may. */
        assert_int_equal(resize_as(d, &sec_id_creator, "rs-b", 4096, &reason), 0);
        assert_int_equal(resize_as(d, &sec_id_creator, "rs-missing", 4096, &reason), -ENOENT);
        assert_int_equal(reason, SHMB_REASON_NO_OBJECT);
        /* Sized: there for the others now, and not theirs to size. */
        assert_int_equal(resize_as(d, &sec_id_writer, "rs-b", 8192, &reason), -EPERM);
        assert_int_equal(reason, SHMB_REASON_NOT_CREATOR);
        assert_int_equal(resize_as(d, &sec_id_reader, "rs-b", 8192, &reason), -EPERM);
        assert_int_equal(reason, SHMB_REASON_NOT_CREATOR);
        r = resize_as(d, &sec_id_outsider, "rs-b", 4096, &reason);
        r_missing = resize_as(d, &sec_id_outsider, "rs-missing", 4096, &reason_missing);
        assert_int_equal(r, r_missing);
        assert_int_equal(reason, reason_missing);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "rs-b"), 0);
        sec_finish();
}

/* A fresh object cannot be opened by anyone but its creator (ENOENT, as if it were not there
 * yet), so nobody can spoil its sizing; once sized it opens, at its size, and is sized for
 * good (for shm and memfd alike). */
static void test_resize_after_open(void **state)
{
        static const char *const names[] = { "rs-c", "rsm-c" };
        struct harness_daemon *d = lc_start(resize_policy, false);
        size_t i;

        for (i = 0; i < ELEMENTSOF(names); i++) {
                struct shmb_stat st;
                int fd = -1, reason;

                assert_int_equal(lc_create(d, &sec_id_creator, names[i], 0,
                                           SHMB_LIFETIME_DEFAULT, 0, NULL), 0);
                assert_int_equal(sec_open(d, &sec_id_reader, names[i], SHMB_ACCESS_RDONLY, &fd),
                                 -ENOENT);
                assert_int_equal(resize_as(d, &sec_id_creator, names[i], 4096, &reason), 0);
                assert_int_equal(sec_open(d, &sec_id_reader, names[i], SHMB_ACCESS_RDONLY, &fd),
                                 0);
                assert_int_equal(lseek(fd, 0, SEEK_END), 4096);
                assert_int_equal(lc_stat(d, names[i], &st), 0);
                assert_int_equal(st.flags & SHMB_OBJ_FRESH, 0);
                assert_int_equal(resize_as(d, &sec_id_creator, names[i], 8192, &reason), -EPERM);
                assert_int_equal(reason, SHMB_REASON_NOT_FRESH);
                assert_int_equal(close(fd), 0);
                assert_int_equal(sec_unlink(d, &sec_id_creator, names[i]), 0);
        }
        sec_finish();
}

/*
 * RESIZE racing its creator's own ftruncate() of the fd it holds (a child process that grows
 * and empties it in a loop): whatever the answer, the object ends sealed, and a RESIZE that
 * succeeded left it at the size asked for, as the daemon reports it. The old daemon sized,
 * reserved and sealed in three steps, and a creator that grew the memfd in between had it
 * sealed at its own size while charged for the one asked for (found by a review).
 */
static void test_resize_racing_creator(void **state)
{
        enum { ROUNDS = 40 };
        struct harness_daemon *d = lc_start(resize_policy, false);
        struct shmb_create_opts o = { .flags = SHMB_CREATE_UNSIZED };
        struct shmb_client *c = sec_client(d, &sec_id_creator);
        unsigned i, n_ok = 0, n_busy = 0;

        for (i = 0; i < ROUNDS; i++) {
                struct shmb_fd_info info;
                struct shmb_stat sst;
                char name[32];
                struct stat st;
                int fd = -1, r;
                pid_t pid;

                snprintf(name, sizeof(name), "rsm-race-%u", i);
                assert_int_equal(shmb_create2(c, name, 0, SHMB_ACCESS_RDWR, &o, &fd, &info), 0);
                pid = fork();
                assert_true(pid >= 0);
                if (pid == 0)
                        for (;;) {
                                (void) !ftruncate(fd, 2 * 1024 * 1024);
                                (void) !ftruncate(fd, 0);
                        }
                r = shmb_resize(c, name, 64 * 1024);
                assert_int_equal(kill(pid, SIGKILL), 0);
                assert_int_equal(waitpid(pid, NULL, 0), pid);
                if (r != 0 && r != -EBUSY)
                        fail_msg("RESIZE racing the creator: %s (reason %d)", strerror(-r),
                                 shmb_client_last_reason(c));
                /* Sealed either way: its size is for good. */
                assert_int_equal(fstat(fd, &st), 0);
                assert_int_equal(ftruncate(fd, st.st_size + 4096), -1);
                assert_int_equal(errno, EPERM);
                if (r == 0) {
                        n_ok++;
                        assert_int_equal(st.st_size, 64 * 1024);
                        assert_int_equal(lc_stat(d, name, &sst), 0);
                        assert_int_equal(sst.size, 64 * 1024);
                } else
                        n_busy++;
                assert_int_equal(close(fd), 0);
                assert_int_equal(sec_unlink(d, &sec_id_creator, name), 0);
        }
        print_message("%u sized, %u refused with EBUSY\n", n_ok, n_busy);
        shmb_client_free(c);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        sec_finish();
}

/* MaxSize= and MaxBytesPerUser= hold at RESIZE as at CREATE; a refused resize changes nothing. */
static void test_resize_limits(void **state)
{
        struct harness_daemon *d = lc_start(resize_policy, false);
        struct shmb_proto_reply reply;
        struct shmb_stat st;
        uint64_t objects, bytes;
        int reason, fd, n;

        assert_int_equal(lc_create(d, &sec_id_creator, "rs-d", 0, SHMB_LIFETIME_DEFAULT, 0,
                                   NULL), 0);
        assert_int_equal(resize_as(d, &sec_id_creator, "rs-d", 4 * 1024 * 1024 + 1, &reason),
                         -EFBIG);
        assert_int_equal(reason, SHMB_REASON_TOO_BIG);
        /* Size 0 on the wire (the library refuses it before sending). */
        fd = sec_raw_connect(d, &sec_id_creator);
        n = shmb_proto_encode_resize(pkt, sizeof(pkt), 1, "rs-d", 0);
        assert_true(n > 0);
        assert_int_equal(sec_raw_call(fd, pkt, (size_t) n, &reply, NULL), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_ERROR);
        assert_int_equal(reply.error, EINVAL);
        assert_int_equal(close(fd), 0);

        /* 768 KiB elsewhere: 512 KiB more would pass MaxBytesPerUser=1M. */
        assert_int_equal(lc_create(d, &sec_id_creator, "rs-e", 768 * 1024,
                                   SHMB_LIFETIME_DEFAULT, 0, NULL), 0);
        assert_int_equal(resize_as(d, &sec_id_creator, "rs-d", 512 * 1024, &reason), -EDQUOT);
        assert_int_equal(reason, SHMB_REASON_QUOTA_BYTES);
        assert_int_equal(lc_stat(d, "rs-d", &st), 0);
        assert_int_equal(st.size, 0);
        assert_int_equal(st.flags & SHMB_OBJ_FRESH, SHMB_OBJ_FRESH);
        sec_usage(d, sec_id_creator.uid, &objects, &bytes);
        assert_int_equal(objects, 2);
        assert_int_equal(bytes, 768 * 1024);
        /* Exactly what is left. */
        assert_int_equal(resize_as(d, &sec_id_creator, "rs-d", 256 * 1024, &reason), 0);
        sec_usage(d, sec_id_creator.uid, &objects, &bytes);
        assert_int_equal(bytes, 1024 * 1024);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "rs-d"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "rs-e"), 0);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        sec_finish();
}

/*
 * A fresh memfd is its creator's to grow directly until RESIZE: the tick charges the growth,
 * and empties it past MaxSize=, and so does PUBLISH, which seals it. A create refused after the object was made (over
 * MaxObjectsPerUser=, here) must leave nothing for that tick to look at: the daemon once kept
 * such a freed object on its list of fresh ones, and the next tick used it (ASan:
 * heap-use-after-free in check_fresh()).
 */
static const char fresh_policy[] =
        "[Quota]\n"
        "MaxObjectsPerUser=2\n"
        "MaxBytesPerUser=1M\n"
        "\n"
        "[Segment frm]\n"
        "Names=frm-*\n"
        "Create=41001\n"
        "ReadWrite=41001\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=256K\n"
        "Backend=memfd\n";

/* Waits until @fd's size is @size, at most LC_REMOVAL_MS (fails after). */
static void wait_fd_size(int fd, off_t size)
{
        uint64_t deadline = tl_now_ms() + LC_REMOVAL_MS;
        struct stat st;

        for (;;) {
                assert_int_equal(fstat(fd, &st), 0);
                if (st.st_size == size)
                        return;
                if (tl_now_ms() > deadline)
                        fail_msg("the fd's size is %lld, not %lld", (long long) st.st_size,
                                 (long long) size);
                (void) poll(NULL, 0, 10);
        }
}

static void test_fresh_memfd_grown(void **state)
{
        struct harness_daemon *d = lc_start(fresh_policy, false);
        struct shmb_create_opts o = { .flags = SHMB_CREATE_UNSIZED };
        struct shmb_fd_info info;
        struct shmb_client *c;
        struct shmb_stat sst;
        uint64_t objects, bytes;
        struct stat st;
        size_t mark;
        int fd = -1, reason;

        c = sec_client(d, &sec_id_creator);
        assert_int_equal(shmb_create2(c, "frm-a", 0, SHMB_ACCESS_RDWR, &o, &fd, &info), 0);
        assert_int_equal(lc_create(d, &sec_id_creator, "frm-b", 4096, SHMB_LIFETIME_DEFAULT, 0,
                                   NULL), 0);
        /* Refused after the object was made: over the creator's two objects. */
        assert_int_equal(lc_create(d, &sec_id_creator, "frm-c", 0, SHMB_LIFETIME_DEFAULT, 0,
                                   &reason), -EDQUOT);
        assert_int_equal(reason, SHMB_REASON_QUOTA_OBJECTS);
        assert_false(lc_exists(d, "frm-c"));

        /* Grown within MaxSize=: charged at the next tick. */
        assert_int_equal(ftruncate(fd, 64 * 1024), 0);
        lc_wait_usage(d, sec_id_creator.uid, 2, 4096 + 64 * 1024, LC_REMOVAL_MS);

        /*
         * Past it, and published before the tick looks (one just ran: the next is a second
         * away): PUBLISH seals a memfd at the size it has, and the daemon reserves that size.
         * It looks first: emptied, EFBIG, and still fresh. The old daemon charged and reserved
         * whatever size the creator gave it (a hostile review reserved 4 GiB under MaxSize=1M).
         */
        mark = harness_daemon_log_mark(d);
        assert_int_equal(ftruncate(fd, 512 * 1024), 0);
        assert_int_equal(shmb_publish(c, "frm-a", SHMB_PUBLISH_SEAL), -EFBIG);
        assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_TOO_BIG);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_size, 0);
        assert_int_equal(lc_stat(d, "frm-a", &sst), 0);
        assert_int_equal(sst.flags & (SHMB_OBJ_FRESH | SHMB_OBJ_PUBLISHED), SHMB_OBJ_FRESH);
        lc_expect_log(d, mark, "Object 'frm-a': its creator (uid 41001) grew it to 524288 bytes",
                      "emptied", 1000);

        /* Past it, left to the tick: emptied too. The charge stays what the object held
         * within the limits. */
        mark = harness_daemon_log_mark(d);
        assert_int_equal(ftruncate(fd, 512 * 1024), 0);
        wait_fd_size(fd, 0);
        lc_wait_usage(d, sec_id_creator.uid, 2, 4096 + 64 * 1024, LC_REMOVAL_MS);
        lc_expect_log(d, mark, "Object 'frm-a': its creator (uid 41001) grew it to 524288 bytes",
                      "emptied", 1000);

        /* Past it, seen first by the creator's stat: emptied there, and reported so. The
         * old daemon charged the stat's size without a look at the limits, and a publish
         * then sealed and reserved it (found by a review of the fix above). */
        mark = harness_daemon_log_mark(d);
        assert_int_equal(ftruncate(fd, 512 * 1024), 0);
        assert_int_equal(shmb_stat(c, "frm-a", &sst), 0);
        assert_int_equal(sst.size, 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_size, 0);
        sec_usage(d, sec_id_creator.uid, &objects, &bytes);
        assert_int_equal(bytes, 4096 + 64 * 1024);
        lc_expect_log(d, mark, "Object 'frm-a': its creator (uid 41001) grew it to 524288 bytes",
                      "emptied", 1000);

        /* Within it, published: sealed at that size, and charged for it. */
        assert_int_equal(ftruncate(fd, 128 * 1024), 0);
        assert_int_equal(shmb_publish(c, "frm-a", SHMB_PUBLISH_SEAL), 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_size, 128 * 1024);
        assert_int_equal(ftruncate(fd, 256 * 1024), -1);
        assert_int_equal(errno, EPERM);
        sec_usage(d, sec_id_creator.uid, &objects, &bytes);
        assert_int_equal(objects, 2);
        assert_int_equal(bytes, 4096 + 128 * 1024);

        assert_int_equal(close(fd), 0);
        shmb_client_free(c);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "frm-a"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "frm-b"), 0);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        sec_finish();
}

/*
 * A creator that seals its fresh memfd against shrinking itself, then grows it past MaxSize=:
 * the daemon cannot empty it, says so, charges the creator for it, and does not publish it.
 */
static void test_fresh_memfd_sealed_by_creator(void **state)
{
        struct harness_daemon *d = lc_start(fresh_policy, false);
        struct shmb_create_opts o = { .flags = SHMB_CREATE_UNSIZED };
        struct shmb_client *c = sec_client(d, &sec_id_creator);
        struct shmb_fd_info info;
        uint64_t objects, bytes;
        struct shmb_stat sst;
        struct stat st;
        size_t mark;
        int fd = -1;

        assert_int_equal(shmb_create2(c, "frm-s", 0, SHMB_ACCESS_RDWR, &o, &fd, &info), 0);
        assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
        assert_int_equal(ftruncate(fd, 512 * 1024), 0);
        mark = harness_daemon_log_mark(d);
        assert_int_equal(shmb_stat(c, "frm-s", &sst), 0);
        assert_int_equal(sst.size, 512 * 1024);
        lc_expect_log(d, mark, "Object 'frm-s': its creator (uid 41001) grew it to 524288 bytes",
                      "cannot be emptied", 1000);
        sec_usage(d, sec_id_creator.uid, &objects, &bytes);
        assert_int_equal(objects, 1);
        assert_int_equal(bytes, 512 * 1024);
        assert_int_equal(shmb_publish(c, "frm-s", SHMB_PUBLISH_SEAL), -EFBIG);
        assert_int_equal(shmb_client_last_reason(c), SHMB_REASON_TOO_BIG);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_size, 512 * 1024);
        assert_int_equal(close(fd), 0);
        shmb_client_free(c);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "frm-s"), 0);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        sec_finish();
}

static const char relink_policy[] =
        "[Segment rel]\n"
        "Names=rel-*\n"
        "Create=41001\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003\n"
        "Mode=0640\n"
        "MaxSize=1M\n";

struct link_step {
        char from[PATH_MAX];
        char to[PATH_MAX];
};

/* As a writer: a hard link, which fs.protected_hardlinks allows it by its ACL entry. */
static int link_child(void *userdata)
{
        const struct link_step *l = userdata;

        CHILD_CHECK_EQ(link(l->from, l->to), 0);
        return 0;
}

static void link_as(const struct harness_daemon *d, const struct harness_id *id,
                    const char *from, const char *to)
{
        struct link_step l;

        snprintf(l.from, sizeof(l.from), "%s", harness_shm_path(d, from));
        snprintf(l.to, sizeof(l.to), "%s", harness_shm_path(d, to));
        assert_int_equal(harness_run_as(id, link_child, &l), 0);
}

/*
 * A removal is on record before the file goes. A writer that kept a hard link to an object
 * and puts it back at the name after the unlink must not have it taken back at the next start
 * as the broker's, with the writer's bytes in it, for its readers. Found by a hostile review:
 * the old daemon removed the file first and wrote the DEL after, ignoring a failure; with a
 * journal that could not take the DEL (here: the daemon's RLIMIT_FSIZE at the journal's size)
 * the unlink was answered OK and the object came back after a restart.
 */
static void test_unlink_recorded_first(void **state)
{
        struct harness_daemon *d = lc_start(relink_policy, false);
        struct rlimit old, full;
        char path[PATH_MAX + 32];
        struct stat st;

        /* Writable by all, as /dev/shm is. */
        assert_int_equal(chmod(d->shm_dir, 01777), 0);
        assert_int_equal(sec_create(d, &sec_id_creator, "rel-a", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        link_as(d, &sec_id_writer, "rel-a", "rel-kept");

        /* A journal that cannot take the DEL: the unlink is refused, and nothing changes. */
        snprintf(path, sizeof(path), "%s/registry", d->state_dir);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(prlimit(d->pid, RLIMIT_FSIZE, NULL, &old), 0);
        full = (struct rlimit) { (rlim_t) st.st_size, old.rlim_max };
        assert_int_equal(prlimit(d->pid, RLIMIT_FSIZE, &full, NULL), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "rel-a"), -EFBIG);
        assert_int_equal(prlimit(d->pid, RLIMIT_FSIZE, &old, NULL), 0);
        assert_int_equal(sec_open(d, &sec_id_reader, "rel-a", SHMB_ACCESS_RDONLY, NULL), 0);

        /* Removed on record, then put back by the writer: no object of the next start. */
        assert_int_equal(sec_unlink(d, &sec_id_creator, "rel-a"), 0);
        assert_int_equal(sec_open(d, &sec_id_reader, "rel-a", SHMB_ACCESS_RDONLY, NULL),
                         -ENOENT);
        link_as(d, &sec_id_writer, "rel-kept", "rel-a");
        d = lc_restart(relink_policy, true);
        assert_int_equal(sec_open(d, &sec_id_reader, "rel-a", SHMB_ACCESS_RDONLY, NULL),
                         -ENOENT);
        assert_false(lc_exists(d, "rel-a"));
        assert_int_equal(unlink(harness_shm_path(d, "rel-a")), 0);
        assert_int_equal(unlink(harness_shm_path(d, "rel-kept")), 0);
        sec_finish();
}

/* Files in @dir's trash directories (.shmbrokerd-trash.*), whatever their names. */
static size_t trash_entries(const char *dir)
{
        struct dirent *de;
        size_t n = 0;
        DIR *d = opendir(dir);

        assert_non_null(d);
        while ((de = readdir(d))) {
                char path[PATH_MAX + 256];
                struct dirent *te;
                DIR *t;

                if (strncmp(de->d_name, ".shmbrokerd-trash.", 18) != 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                t = opendir(path);
                assert_non_null(t);
                while ((te = readdir(t)))
                        n += strcmp(te->d_name, ".") != 0 && strcmp(te->d_name, "..") != 0;
                assert_int_equal(closedir(t), 0);
        }
        assert_int_equal(closedir(d), 0);
        return n;
}

/*
 * A removal is on record before its file goes, so a daemon killed in the middle of one must
 * leave a record the next start acts on: it finishes the removal, whatever is at the name by
 * then. The daemon is killed (tests/helpers/crashat.c) at each step of a removal: before the
 * file is moved into the trash directory, and before it is unlinked there; in the second case
 * a writer that kept a hard link also puts the file back at the name meanwhile. Found by a
 * hostile review of the first fix, which wrote the DEL first: the file was left at its name
 * (its ACL still letting the rule's users open it directly, uncharged, the name blocked), or
 * in the trash directory, for good.
 */
static void unlink_killed_at(const char *call, bool put_back)
{
        const char *shim = getenv("SHMB_CRASHAT");
        char arm[] = "/tmp/shmb-arm.XXXXXX", arm_env[64], call_env[64];
        char preload_env[2 * PATH_MAX + 16];
        const char *env[] = { arm_env, call_env, preload_env, NULL };
        struct harness_daemon *d;
        int r;

        if (!shim || access(shim, R_OK) < 0)
                fail_msg("SHMB_CRASHAT ('%s') is not the crash shim; run the suite with make "
                         "check", shim ? shim : "");
        sec_absent_path(arm);
        snprintf(arm_env, sizeof(arm_env), "SHMB_CRASHAT_ARM=%s", arm);
        snprintf(call_env, sizeof(call_env), "SHMB_CRASHAT_CALL=%s", call);
        {
                char preload[2 * PATH_MAX + 2];

                snprintf(preload_env, sizeof(preload_env), "LD_PRELOAD=%s",
                         tl_preload_value(shim, preload, sizeof(preload)));
        }
        d = lc_start_env(relink_policy, false, env);
        assert_int_equal(chmod(d->shm_dir, 01777), 0);
        assert_int_equal(sec_create(d, &sec_id_creator, "rel-c", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        if (put_back)
                link_as(d, &sec_id_writer, "rel-c", "rel-kept");

        sec_create_path(arm);
        r = sec_unlink(d, &sec_id_creator, "rel-c");
        assert_true(r == -ECONNRESET || r == -EPIPE || r == -ENOTCONN);
        assert_int_equal(harness_daemon_wait_exit(d, HARNESS_TIMEOUT_MS), 0);
        assert_int_equal(unlink(arm), 0);
        if (put_back) {
                assert_int_equal(access(harness_shm_path(d, "rel-c"), F_OK), -1);
                link_as(d, &sec_id_writer, "rel-kept", "rel-c");
        }

        d = lc_restart(relink_policy, true);
        assert_int_equal(sec_open(d, &sec_id_reader, "rel-c", SHMB_ACCESS_RDONLY, NULL),
                         -ENOENT);
        assert_int_equal(access(harness_shm_path(d, "rel-c"), F_OK), -1);
        assert_int_equal(errno, ENOENT);
        assert_int_equal(trash_entries(d->shm_dir), 0);
        if (!put_back)
                lc_expect_log(d, 0, "Object 'rel-c' of uid 41001 removed: its removal was cut "
                              "short by a stop", NULL, 0);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        /* The name is free again. */
        assert_int_equal(sec_create(d, &sec_id_creator, "rel-c", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "rel-c"), 0);
        if (put_back)
                assert_int_equal(unlink(harness_shm_path(d, "rel-kept")), 0);
        sec_finish();
}

static void test_unlink_killed_before_trash(void **state)
{
        unlink_killed_at("renameat2", false);
}

static void test_unlink_killed_in_trash(void **state)
{
        unlink_killed_at("unlinkat", true);
}

const struct CMUnitTest lc_tests_create[] = {
        LC_TEST(test_lifetime_policy),
        LC_TEST(test_lifetime_refusal_order),
        LC_TEST(test_lifetime_span_bounds_raw),
        LC_TEST(test_resize_once_shm),
        LC_TEST(test_resize_once_memfd),
        LC_TEST(test_resize_not_creator),
        LC_TEST(test_resize_after_open),
        LC_TEST(test_resize_limits),
        LC_TEST(test_resize_racing_creator),
        LC_TEST(test_fresh_memfd_grown),
        LC_TEST(test_fresh_memfd_sealed_by_creator),
        LC_TEST(test_unlink_recorded_first),
        LC_TEST(test_unlink_killed_before_trash),
        LC_TEST(test_unlink_killed_in_trash),
};
const size_t lc_n_tests_create = ELEMENTSOF(lc_tests_create);

/* ------------------------------------------------------------------------------------------
 * main
 */

static void test_requires_root(void **state)
{
        print_message("the lifecycle suite switches uids: it needs root; skipped\n");
        skip();
}

int main(void)
{
        const struct CMUnitTest skip_tests[] = {
                cmocka_unit_test(test_requires_root),
        };
        static const struct {
                const char *name;
                const struct CMUnitTest *tests;
                const size_t *n;
        } groups[] = {
                { "lifecycle: create", lc_tests_create, &lc_n_tests_create },
                { "lifecycle: process", lc_tests_process, &lc_n_tests_process },
                { "lifecycle: span", lc_tests_span, &lc_n_tests_span },
                { "lifecycle: publish", lc_tests_publish, &lc_n_tests_publish },
                { "lifecycle: wait and watch", lc_tests_wait, &lc_n_tests_wait },
                { "lifecycle: cleanup view", lc_tests_view, &lc_n_tests_view },
        };
        size_t i;
        int failed = 0;

        if (geteuid() != 0) {
                (void) cmocka_run_group_tests_name("lifecycle (needs root)", skip_tests, NULL,
                                                   NULL);
                return 77; /* automake: SKIP */
        }
        if (getenv("LC_FILTER"))
                cmocka_set_test_filter(getenv("LC_FILTER"));
        lc_main_setup();
        for (i = 0; i < ELEMENTSOF(groups); i++)
                failed += _cmocka_run_group_tests(groups[i].name, groups[i].tests, *groups[i].n,
                                                  NULL, NULL);
        if (failed == 0 && sec_n_skipped() > 0)
                return 77;
        return failed == 0 ? 0 : 1;
}
