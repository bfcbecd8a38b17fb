/* SPDX-License-Identifier: MIT */
/*
 * test-security-auth.c - the security suite's group B: credentials and authorization.
 *
 * Clients connect as other uids from inside the test process (harness_become(): the peer
 * credentials are those at connect()), or run in forked children where the fd they get must be
 * judged as that user (reopen through /proc, fchmod).
 *
 * Not applicable here, and why:
 *  25 (getsockopt fails): a client cannot make the daemon's SO_PEERCRED fail; the failure path
 *     (close, no default identity) is a unit-test seam (--wrap=getsockopt on listener.c).
 *     test_b41 covers the case a client can cause: a peer gone before the daemon asks.
 *  27 (SO_PEERSEC): the daemon reads no security label; there is nothing to fail.
 *  28 (SO_PEERPIDFD): the daemon authorizes on uid and groups only; it asks for the peer's
 *     pidfd only to track the creator of a lifetime=process object (test-lifecycle.c), where a
 *     peer already gone is refused with ESRCH.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "security.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

static uint8_t pkt[SHMB_PROTO_MSG_MAX];

/* ------------------------------------------------------------------------------------------
 * 24. Identity comes only from the kernel
 */

static const char policy_own[] =
        "[Segment own]\n"
        "Names=own-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%U\n"
        "Group=42002\n"
        "Mode=0600\n"
        "MaxSize=64K\n";

static void test_b24_identity_from_kernel(void **state)
{
        struct harness_daemon *d = sec_start(policy_own, NULL);
        struct shmb_proto_reply reply;
        struct stat st;
        size_t n;
        int fd, ofd = -1;

        /* Connected as 41004; everything after is sent by this root process. The object is
         * owned by whoever the daemon thinks asked (Owner=%U): the connector. */
        fd = sec_raw_connect(d, &sec_id_outsider);
        assert_int_equal(geteuid(), 0);
        n = sec_enc_create(pkt, 1, "own-a", 4096, SHMB_PROTO_ACCESS_RDWR);
        assert_int_equal(sec_raw_call(fd, pkt, n, &reply, &ofd), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_FD);
        assert_int_equal(fstat(ofd, &st), 0);
        assert_int_equal(st.st_uid, HARNESS_UID_4);
        assert_int_equal(close(ofd), 0);
        assert_int_equal(close(fd), 0);
        /* Requests have no uid, gid or pid field to lie in (protocol.h); test_a17 shows that
         * SCM_CREDENTIALS claiming another uid change nothing. */
        assert_int_equal(sec_unlink(d, &sec_id_outsider, "own-a"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 26. Many supplementary groups, as they were at connect
 */

static void test_b26_many_groups(void **state)
{
        static const char policy[] =
                "[Segment grp]\n"
                "Names=grp-*\n"
                "Create=@43127\n"
                "ReadWrite=@43127\n"
                "Owner=41001\n"
                "Group=42002\n"
                "Mode=0600\n"
                "MaxSize=64K\n";
        struct harness_daemon *d = sec_start(policy, NULL);
        struct harness_id many = { .uid = HARNESS_UID_4, .gid = HARNESS_GID_3,
                                   .n_groups = HARNESS_GROUPS_MAX };
        struct shmb_client *c;
        size_t mark = harness_daemon_log_mark(d), i;
        int fd = -1;

        /* 128 groups (the daemon starts with room for 64, so SO_PEERGROUPS says ERANGE and it
         * must grow), none of them in /etc/group: only the kernel knows them. The one that
         * grants is the last. */
        for (i = 0; i < HARNESS_GROUPS_MAX; i++)
                many.groups[i] = (gid_t) (43000 + i);
        c = sec_client(d, &many);
        /* This process has dropped those groups again: the connection keeps them. */
        assert_int_equal(shmb_create(c, "grp-a", 4096, SHMB_ACCESS_RDWR, &fd, NULL), 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(shmb_unlink(c, "grp-a"), 0);
        shmb_client_free(c);
        /* Without the last group: refused. */
        many.n_groups--;
        assert_int_equal(sec_create(d, &many, "grp-b", 4096, SHMB_ACCESS_RDWR, NULL), -EACCES);
        sec_expect_log_error(d, mark, HARNESS_UID_4, EACCES, 1, 1);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 32. Daemon in a user namespace; 33. client in another pid namespace
 */

static void test_b32_daemon_in_userns(void **state)
{
        static const char *const wrap[] = { "/usr/bin/unshare", "--user", "--map-root-user",
                                            "--", NULL };
        struct harness_daemon_options opts = { .wrapper = wrap };
        struct harness_daemon *d = NULL;
        _cleanup_(freep) char *log = NULL;
        int r;

        if (access(wrap[0], X_OK) < 0) {
                sec_skip("no %s here", wrap[0]);
        }
        /* Only root is mapped: every client would look like 65534. The daemon must refuse to
         * start, or at least say so loudly; and it must never grant anything as a result. */
        r = harness_daemon_start(sec_policy, &opts, &d);
        if (r < 0) {
                print_message("shmbrokerd refused to start in a user namespace\n");
                return;
        }
        /* What it said at start; then, whatever it said, the creator is seen as 65534 and
         * gets nothing. */
        log = harness_daemon_log(d);
        r = sec_create(d, &sec_id_creator, "sec-userns", 4096, SHMB_ACCESS_NONE, NULL);
        (void) sec_unlink(d, &sec_id_creator, "sec-userns");
        (void) harness_daemon_stop(d);
        if (r != -EACCES)
                fail_msg("create by uid 41001, seen as 65534 by a daemon in a user namespace: "
                         "%s, expected EACCES", strerror(-r));
        if (!log || !strstr(log, "namespace"))
                fail_msg("shmbrokerd runs in a user namespace that maps only root, where every "
                         "client is uid 65534, without a word in its log:\n%s",
                         log ? log : "");
}

static void test_b33_client_pid_invisible(void **state)
{
        struct harness_daemon_options opts = { .new_pid_ns = true };
        struct harness_daemon *d = sec_start(sec_policy, &opts);
        size_t mark = harness_daemon_log_mark(d);
        char line[64];

        /* The daemon is pid 1 of its own namespace: our pid means nothing there (pid 0).
         * Authorization is unaffected; only the log shows pid=0. */
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-pidns", 4096, SHMB_ACCESS_RDWR,
                                    NULL), 0);
        assert_int_equal(sec_open(d, &sec_id_reader, "sec-pidns", SHMB_ACCESS_RDONLY, NULL), 0);
        assert_int_equal(sec_open(d, &sec_id_outsider, "sec-pidns", SHMB_ACCESS_RDONLY, NULL),
                         -EACCES);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-pidns"), 0);
        sec_expect_log_error(d, mark, HARNESS_UID_4, EACCES, 1, 1);
        snprintf(line, sizeof(line), "pid=%d", (int) getpid());
        assert_int_equal(harness_daemon_log_count(d, mark, line, NULL), 0);
        sec_expect_log(d, mark, "uid=41004", "pid=0", 1, 1);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 34. A connection handed over keeps its identity
 */

struct handover {
        int fd;
};

static int child_handover(void *userdata)
{
        const struct handover *h = userdata;
        static uint8_t buf[256];
        struct shmb_proto_reply reply;
        int ofd = -1, n;

        /* uid 41004 now, holding a socket that 41001 connected. */
        CHILD_CHECK_EQ(geteuid(), HARNESS_UID_4);
        n = shmb_proto_encode_create(buf, sizeof(buf), 34, "sec-handed",
                                     &(struct shmb_proto_create_args) {
                                             .size = 4096, .access = SHMB_PROTO_ACCESS_RDWR,
                                     });
        CHILD_CHECK(n > 0);
        CHILD_CHECK_EQ(sec_raw_call(h->fd, buf, (size_t) n, &reply, &ofd), 0);
        CHILD_CHECK_EQ(reply.type, SHMB_PROTO_REPLY_FD);
        CHILD_CHECK(ofd >= 0);
        CHILD_CHECK_EQ(close(ofd), 0);
        return 0;
}

static void test_b34_connection_handed_over(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        size_t mark = harness_daemon_log_mark(d);
        struct handover h = { .fd = sec_raw_connect(d, &sec_id_creator) };
        int r;

        /* Documented: identity is the connector's, for the life of the connection (the open()
         * model). A test pins it, so that per-message credentials would be a decision. */
        r = harness_run_as(&sec_id_outsider, child_handover, &h);
        assert_int_equal(r, 0);
        assert_int_equal(close(h.fd), 0);
        assert_int_equal(access(harness_shm_path(d, "sec-handed"), F_OK), 0);
        assert_int_equal(harness_daemon_log_count(d, mark, "uid=41004", NULL), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-handed"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 35. Extreme uid values
 */

static void test_b35_extreme_uids(void **state)
{
        static const char policy[] =
                "[Segment xu]\n"
                "Names=xu-*\n"
                "Create=0 2147483648 4294967294\n"
                /* Owner=%U makes each creator the owner: the rule must let it write. */
                "ReadWrite=2147483647 2147483648 4294967294\n"
                "Owner=%U\n"
                "Group=4294967294\n"
                "Mode=0600\n"
                "MaxSize=64K\n";
        static const struct {
                uid_t uid;
                int error;
        } cases[] = {
                { 0, 0 },
                { 2147483648u, 0 },
                { 4294967294u, 0 },
                { 2147483647u, EACCES },
                { 4294967293u, EACCES },
                { 2147483649u, EACCES },
                { 1, EACCES },
        };
        struct harness_daemon *d = sec_start(policy, NULL);
        size_t mark = harness_daemon_log_mark(d), i;
        char name[32];
        struct stat st;

        for (i = 0; i < ELEMENTSOF(cases); i++) {
                struct harness_id id = { .uid = cases[i].uid, .gid = 4294967294u };
                int r;

                snprintf(name, sizeof(name), "xu-%zu", i);
                r = sec_create(d, &id, name, 4096, SHMB_ACCESS_NONE, NULL);
                if (r != -cases[i].error)
                        fail_msg("create as uid %u: %s, expected %s", (unsigned) cases[i].uid,
                                 strerror(-r), strerror(cases[i].error));
                if (r < 0)
                        continue;
                assert_int_equal(lstat(harness_shm_path(d, name), &st), 0);
                assert_int_equal(st.st_uid, cases[i].uid);
                assert_int_equal(st.st_gid, 4294967294u);
                /* 0600, plus the ACL entries of the writers (the group bits show the mask). */
                assert_int_equal(st.st_mode & 07707, 0600);
                assert_int_equal(sec_unlink(d, &id, name), 0);
        }
        /* The refusals are logged with the uid as it is, unsigned. */
        sec_expect_log(d, mark, "uid=4294967293", strerror(EACCES), 1, 1);
        sec_expect_log(d, mark, "uid=2147483649", strerror(EACCES), 1, 1);
        assert_int_equal(harness_daemon_log_count(d, mark, "uid=-", NULL), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 36. Exact name matching
 */

static void test_b36_exact_names(void **state)
{
        static const char policy[] =
                "[Segment exact]\n"
                "Names=foo\n"
                "Create=41001\n"
                "ReadWrite=41001\n"
                "Owner=41001\n"
                "Mode=0600\n"
                "MaxSize=64K\n"
                "\n"
                "[Segment one]\n"
                "Names=bar-?\n"
                "Create=41001\n"
                "ReadWrite=41001\n"
                "Owner=41001\n"
                "Mode=0600\n"
                "MaxSize=64K\n";
        static const char *const denied[] = {
                "foobar", "foo.", "FOO", "Foo", "fo", "foo*", "foo?", "foo ", " foo", "foo\xff",
                "xfoo", "bar-12", "bar-", "bar", "zzz", "ctl-x",
        };
        static const char *const granted[] = { "foo", "bar-1", "bar-?", "bar-\xc3" };
        struct harness_daemon *d = sec_start(policy, NULL);
        size_t mark = harness_daemon_log_mark(d), i;

        for (i = 0; i < ELEMENTSOF(denied); i++) {
                int r = sec_create(d, &sec_id_creator, denied[i], 4096, SHMB_ACCESS_NONE,
                                   NULL);

                if (r != -EACCES)
                        fail_msg("create '%s': %s, expected EACCES", denied[i], strerror(-r));
        }
        sec_assert_no_objects(d);
        for (i = 0; i < ELEMENTSOF(granted); i++) {
                assert_int_equal(sec_create(d, &sec_id_creator, granted[i], 4096,
                                            SHMB_ACCESS_NONE, NULL), 0);
                assert_int_equal(access(harness_shm_path(d, granted[i]), F_OK), 0);
        }
        /* "/foo" is "foo" (names are normalised before any policy decision, as shm_open(3)
         * does): "/foo must not be granted" means "not as a different object". */
        assert_int_equal(sec_create(d, &sec_id_creator, "/foo", 4096, SHMB_ACCESS_NONE, NULL),
                         -EEXIST);
        for (i = 0; i < ELEMENTSOF(granted); i++)
                assert_int_equal(sec_unlink(d, &sec_id_creator, granted[i]), 0);
        sec_expect_log_error(d, mark, HARNESS_UID_1, EACCES, ELEMENTSOF(denied),
                             ELEMENTSOF(denied));
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 37. Reader gets a real read-only fd; 38. and is never the inode owner
 */

struct ro_case {
        const struct harness_daemon *d;
        const char *name;
        bool memfd;
};

static int child_reader(void *userdata)
{
        const struct ro_case *t = userdata;
        struct shmb_client *c = NULL;
        struct shmb_fd_info info;
        char path[64], byte;
        struct stat st;
        void *p;
        int fd = -1, fd2, access_kind;

        CHILD_CHECK_EQ(shmb_connect(t->d->socket_path, &c), 0);
        /* Asking for write is refused; asking for anything gives read-only. */
        CHILD_CHECK_EQ(shmb_open(c, t->name, SHMB_ACCESS_RDWR, &fd, &info), -EACCES);
        for (access_kind = SHMB_ACCESS_RDONLY; access_kind <= SHMB_ACCESS_ANY;
             access_kind += SHMB_ACCESS_ANY - SHMB_ACCESS_RDONLY) {
                CHILD_CHECK_EQ(shmb_open(c, t->name, access_kind, &fd, &info), 0);
                CHILD_CHECK_EQ(info.access, SHMB_ACCESS_RDONLY);
                CHILD_CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
                CHILD_CHECK_EQ(fstat(fd, &st), 0);
                /* 38: never the owner (an owner could fchmod and reopen). */
                CHILD_CHECK(st.st_uid != geteuid());
                CHILD_CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) ==
                            MAP_FAILED);
                CHILD_CHECK_EQ(errno, EACCES);
                p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
                CHILD_CHECK(p != MAP_FAILED);
                CHILD_CHECK_EQ(mprotect(p, 4096, PROT_READ | PROT_WRITE), -1);
                CHILD_CHECK_EQ(errno, EACCES);
                CHILD_CHECK_EQ(munmap(p, 4096), 0);
                CHILD_CHECK_EQ(ftruncate(fd, 0), -1);
                CHILD_CHECK(errno == EINVAL || errno == EBADF);
                CHILD_CHECK_EQ(write(fd, "x", 1), -1);
                CHILD_CHECK_EQ(errno, EBADF);
                CHILD_CHECK_EQ(fchmod(fd, 0666), -1);
                CHILD_CHECK_EQ(errno, EPERM);
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                fd2 = open(path, O_RDWR | O_CLOEXEC);
                if (fd2 >= 0) {
                        fprintf(stderr, "child: %s reopened read-write\n", t->name);
                        if (!t->memfd || write(fd2, "x", 1) == 1)
                                return HARNESS_CHILD_CHECK_FAILED;
                        /* A write-sealed memfd may reopen, but not be written. */
                        (void) close(fd2);
                } else {
                        CHILD_CHECK(errno == EACCES || errno == EPERM);
                }
                CHILD_CHECK_EQ(pread(fd, &byte, 1, 0), 1);
                CHILD_CHECK_EQ(close(fd), 0);
        }
        shmb_client_free(c);
        return 0;
}

static void test_b37_reader_fd_read_only(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        size_t mark = harness_daemon_log_mark(d);
        struct ro_case shm = { .d = d, .name = "sec-ro" };
        struct ro_case mem = { .d = d, .name = "secm-ro", .memfd = true };
        int r;

        assert_int_equal(sec_create(d, &sec_id_creator, "sec-ro", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        assert_int_equal(sec_create(d, &sec_id_creator, "secm-ro", 4096, SHMB_ACCESS_NONE,
                                    NULL), 0);
        r = harness_run_as(&sec_id_reader, child_reader, &shm);
        assert_int_equal(r, 0);
        r = harness_run_as(&sec_id_reader, child_reader, &mem);
        assert_int_equal(r, 0);
        /* The two refused RDWR opens, one audit line each. */
        sec_expect_log_error(d, mark, HARNESS_UID_3, EACCES, 2, 2);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-ro"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "secm-ro"), 0);
        sec_finish();
}

static void test_b38_reader_never_owner(void **state)
{
        static const char policy[] =
                "[Segment mine]\n"
                "Names=mine-*\n"
                "Create=41001\n"
                "ReadWrite=41001\n"
                "ReadOnly=41003\n"
                "Owner=41003\n"
                "Group=42002\n"
                "Mode=0640\n"
                "MaxSize=64K\n";
        struct harness_daemon *d = sec_start(policy, NULL);
        size_t mark;
        int fd = -1;

        /* A rule that makes the reader the owner: the daemon will not hand that reader a
         * "read-only" fd it could turn writable, and says why. */
        assert_int_equal(sec_create(d, &sec_id_creator, "mine-a", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        mark = harness_daemon_log_mark(d);
        assert_int_equal(sec_open(d, &sec_id_reader, "mine-a", SHMB_ACCESS_RDONLY, &fd),
                         -EACCES);
        sec_expect_log_error(d, mark, HARNESS_UID_3, EACCES, 1, 2);
        /* The writer is not affected. */
        assert_int_equal(sec_open(d, &sec_id_creator, "mine-a", SHMB_ACCESS_RDWR, NULL), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "mine-a"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 39. Writer can't silently resize
 */

static void test_b39_writer_resize(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        int fd = -1, seals;
        struct stat st;

        /* memfd: sealed against growing and shrinking; the seals cannot be removed. */
        assert_int_equal(sec_create(d, &sec_id_creator, "secm-rs", 8192, SHMB_ACCESS_NONE,
                                    NULL), 0);
        assert_int_equal(sec_open(d, &sec_id_writer, "secm-rs", SHMB_ACCESS_RDWR, &fd), 0);
        seals = fcntl(fd, F_GET_SEALS);
        assert_true(seals >= 0);
        assert_true(seals & F_SEAL_SHRINK);
        assert_true(seals & F_SEAL_GROW);
        assert_true(seals & F_SEAL_SEAL);
        assert_int_equal(ftruncate(fd, 1 << 20), -1);
        assert_int_equal(errno, EPERM);
        assert_int_equal(ftruncate(fd, 0), -1);
        assert_int_equal(errno, EPERM);
        assert_int_equal(fallocate(fd, 0, 0, 1 << 20), -1);
        assert_int_equal(errno, EPERM);
        assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
        assert_int_equal(errno, EPERM);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_size, 8192);
        assert_int_equal(close(fd), 0);

        /* shm: a writer holds a plain tmpfs fd and can resize it (shmbrokerd(8) says so, and
         * that memfd is the choice where writers are not trusted). Pinned here. */
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-rs", 8192, SHMB_ACCESS_NONE,
                                    NULL), 0);
        assert_int_equal(sec_open(d, &sec_id_writer, "sec-rs", SHMB_ACCESS_RDWR, &fd), 0);
        assert_int_equal(ftruncate(fd, 16384), 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(lstat(harness_shm_path(d, "sec-rs"), &st), 0);
        assert_int_equal(st.st_size, 16384);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-rs"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "secm-rs"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 40. Policy reload
 */

static void test_b40_reload(void **state)
{
        static const char policy_after[] =
                "[Segment sec]\n"
                "Names=sec-*\n"
                "Create=41001\n"
                "ReadWrite=41001\n"
                "Owner=41001\n"
                "Group=42002\n"
                "Mode=0640\n"
                "MaxSize=1M\n";
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        struct shmb_client *before;
        int fd = -1, fd2 = -1, r = 0;
        uint64_t deadline;
        char byte = 0;

        assert_int_equal(sec_create(d, &sec_id_creator, "sec-rl", 4096, SHMB_ACCESS_RDWR, &fd),
                         0);
        assert_int_equal(pwrite(fd, "R", 1, 0), 1);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_open(d, &sec_id_reader, "sec-rl", SHMB_ACCESS_RDONLY, &fd), 0);
        before = sec_client(d, &sec_id_reader);

        /* The reader loses its grant (the control rule stays). */
        {
                char text[1024];

                snprintf(text, sizeof(text), "%s%s", policy_after, HARNESS_CONTROL_RULE);
                sec_write_file(d->policy_path, text);
        }
        assert_int_equal(kill(d->pid, SIGHUP), 0);
        deadline = tl_now_ms() + 3000;
        while (tl_now_ms() < deadline) {
                r = sec_open(d, &sec_id_reader, "sec-rl", SHMB_ACCESS_RDONLY, NULL);
                if (r == -EACCES)
                        break;
                tl_sleep_ms(20);
        }
        assert_int_equal(r, -EACCES);
        /* Every request is decided by the policy in force when it is handled: also on a
         * connection made before the reload (the daemon is single-threaded, so no request is
         * ever half under one policy and half under the other). */
        assert_int_equal(shmb_open(before, "sec-rl", SHMB_ACCESS_RDONLY, &fd2, NULL), -EACCES);
        shmb_client_free(before);
        /* An fd already handed out stays valid: there is no revoking it. */
        assert_int_equal(pread(fd, &byte, 1, 0), 1);
        assert_int_equal(byte, 'R');
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-rl"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 41. The client is gone before the daemon asks who it is
 */

static void test_b41_disconnect_before_auth(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        size_t mark = harness_daemon_log_mark(d), n;
        int fd, i;

        assert_int_equal(harness_daemon_pause(d), 0);
        /* Connect and leave at once; and connect, ask, leave. */
        for (i = 0; i < 3; i++)
                assert_int_equal(close(sec_raw_connect(d, &sec_id_outsider)), 0);
        fd = sec_raw_connect(d, &sec_id_outsider);
        n = sec_enc_create(pkt, 41, "sec-gone", 4096, SHMB_PROTO_ACCESS_RDWR);
        assert_int_equal(sec_raw_send(fd, pkt, n, NULL, 0), 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(harness_daemon_resume(d), 0);
        sec_assert_serving(d);
        /* The request was judged as the uid that connected, never as a default identity. */
        sec_assert_no_objects(d);
        sec_expect_log_error(d, mark, HARNESS_UID_4, EACCES, 1, 1);
        assert_int_equal(harness_daemon_log_count(d, mark, "uid=0 ", NULL), 0);
        assert_int_equal(harness_daemon_log_count(d, mark, "uid=4294967295", NULL), 0);
        sec_finish();
}

const struct CMUnitTest sec_tests_auth[] = {
        SEC_TEST(test_b24_identity_from_kernel),
        SEC_TEST(test_b26_many_groups),
        SEC_TEST(test_b32_daemon_in_userns),
        SEC_TEST(test_b33_client_pid_invisible),
        SEC_TEST(test_b34_connection_handed_over),
        SEC_TEST(test_b35_extreme_uids),
        SEC_TEST(test_b36_exact_names),
        SEC_TEST(test_b37_reader_fd_read_only),
        SEC_TEST(test_b38_reader_never_owner),
        SEC_TEST(test_b39_writer_resize),
        SEC_TEST(test_b40_reload),
        SEC_TEST(test_b41_disconnect_before_auth),
};
const size_t sec_n_tests_auth = ELEMENTSOF(sec_tests_auth);
