/* SPDX-License-Identifier: MIT */
/*
 * test-security-daemon.c - the security suite's groups E (restart and crash) and F (dropping
 * privileges).
 *
 * Group E is covered where no service manager is needed. Not applicable here, and why:
 *  82-84 (fd store, restart with clients, RemoveIPC lint), 86 (SIGTERM
 *     with TimeoutStopSec and the fd store), 87 (watchdog): they need systemd as the service
 *     manager (socket activation, FDSTORE=1, WatchdogSec=) and belong to the systemd tests
 *     (tests/systemd). That the daemon exits 0 on SIGTERM is checked after every case here by
 *     sec_finish().
 *  80 and 81 restart the daemon by hand on the same object directory.
 * Group F. Not applicable here, and why:
 *  93 (drop order): the order inside privs_drop() is not observable from outside; its result
 *     is (test_f91: bounding set without SETUID/SETGID/SETPCAP, so nothing can be regained).
 *  95 (effective set around operations): the daemon keeps CapEff = CapPrm by design
 *     (privs.h); test_f91 pins exactly that.
 *  96 (dangerous mode bits): requests carry no mode; the policy refuses them (test_a13).
 *  97 (openat2 blocked): the daemon never calls openat2; test_f100 runs it with openat2 and
 *     setrlimit failing EPERM, as RestrictSUIDSGID= and ~@resources make them. It is in its
 *     own binary, test-security-seccomp.c: a sanitized daemon cannot run under that filter,
 *     and a skip there must not turn this whole suite into SKIP.
 *  98 (capabilities of children): the daemon never execs a helper; test_f98 checks that every
 *     fd it holds is close-on-exec anyway.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "security.h"

static uint8_t pkt[SHMB_PROTO_MSG_MAX];

/* ------------------------------------------------------------------------------------------
 * 79. SIGKILL during a request
 */

/* A killed daemon's socket closes a moment before it becomes a zombie: wait for the zombie. */
static void wait_dead(const struct harness_daemon *d)
{
        int r = harness_daemon_wait_exit(d, 2000);

        if (r < 0)
                fail_msg("the killed daemon (pid %d) has not exited: %s", (int) d->pid,
                         strerror(-r));
        assert_false(harness_daemon_alive(d));
}

/* Waits at most @timeout_ms for the child @pid and reaps it. Return: its wait status. */
static int reap(pid_t pid, unsigned timeout_ms)
{
        int status = 0, r = harness_wait_exit(pid, timeout_ms);

        if (r < 0) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                fail_msg("child %d did not finish within %u ms: %s", (int) pid, timeout_ms,
                         strerror(-r));
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        return status;
}

static void test_e79_sigkill_during_request(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        struct shmb_client *c;
        pid_t child;
        int status, r;

        /* The daemon is stopped; a client of 41001 connects (the connection waits in the
         * backlog) and, in a child process, asks for a create. */
        assert_int_equal(harness_daemon_pause(d), 0);
        c = sec_client(d, &sec_id_creator);
        fflush(NULL);
        child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                uint64_t t0 = tl_now_ms();
                int fd = -1;

                r = shmb_create(c, "sec-k", 4096, SHMB_ACCESS_RDWR, &fd, NULL);
                /* A reset, promptly: not the library's 30 s timeout, not a hang. */
                if (r != -ECONNRESET) {
                        fprintf(stderr, "child: create against a killed daemon: %s, expected "
                                "ECONNRESET\n", strerror(-r));
                        _exit(1);
                }
                if (tl_now_ms() - t0 >= 3000) {
                        fprintf(stderr, "child: the reset took %llu ms\n",
                                (unsigned long long) (tl_now_ms() - t0));
                        _exit(2);
                }
                _exit(0);
        }
        /* Once the child waits for its reply in recvmsg(), its request is in the daemon's
         * queue: that is when the daemon is killed (SIGKILL ends a stopped process too). */
        r = harness_wait_syscall(child, SYS_recvmsg, 5000);
        if (r < 0) {
                (void) kill(child, SIGKILL);
                (void) waitpid(child, NULL, 0);
                fail_msg("the client never waited for its reply: %s", strerror(-r));
        }
        assert_int_equal(kill(d->pid, SIGKILL), 0);
        status = reap(child, 5000);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("the client's create against a killed daemon failed (status 0x%x)",
                         (unsigned) status);
        shmb_client_free(c);
        wait_dead(d);
        sec_assert_no_objects(d);
        sec_forget_killed();
}

/* ------------------------------------------------------------------------------------------
 * 80. SIGKILL in the middle of creates
 */

static void test_e80_sigkill_mid_create(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        struct dirent *de;
        char name[32];
        DIR *dir;
        pid_t killer;
        int fd, n, ino, status, final = 0;
        uint32_t seq, answered = 0;
        struct stat ref;
        bool seen[1001] = {};

        /* The final state, from one create. */
        assert_int_equal(sec_create(d, &sec_id_creator, "big-ref", 4u << 20, SHMB_ACCESS_NONE,
                                    NULL), 0);
        assert_int_equal(lstat(harness_shm_path(d, "big-ref"), &ref), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "big-ref"), 0);

        fd = sec_raw_connect(d, &sec_id_creator);
        /* Kill it in the middle of the stream of creates, once a few are done: the killer
         * sleeps until big-s5 gets its name (linkat(), an inotify IN_CREATE) and kills at once,
         * while the next creates go on; most of a create's time goes to fallocate(), before
         * the object has a name. */
        ino = inotify_init1(IN_CLOEXEC);
        assert_true(ino >= 0);
        assert_true(inotify_add_watch(ino, d->shm_dir, IN_CREATE | IN_MOVED_TO) >= 0);
        fflush(NULL);
        killer = fork();
        assert_true(killer >= 0);
        if (killer == 0) {
                union {
                        struct inotify_event ev;
                        char buf[4096];
                } u;
                uint64_t deadline = tl_now_ms() + 5000;
                struct pollfd p = { .fd = ino, .events = POLLIN };
                int code = 1;

                while (code && tl_now_ms() < deadline) {
                        const char *q;
                        ssize_t k;

                        if (poll(&p, 1, (int) (deadline - tl_now_ms())) <= 0)
                                break;
                        k = read(ino, u.buf, sizeof(u.buf));
                        if (k <= 0)
                                break;
                        for (q = u.buf; q < u.buf + k;) {
                                const struct inotify_event *ev = (const void *) q;

                                if (ev->len > 0 && strcmp(ev->name, "big-s5") == 0)
                                        code = 0;
                                q += sizeof(*ev) + ev->len;
                        }
                }
                (void) kill(d->pid, SIGKILL);
                _exit(code);
        }
        assert_int_equal(close(ino), 0);
        /* Creates of 4M objects until the daemon is gone. */
        for (seq = 1; seq < 1000; seq++) {
                struct shmb_proto_reply reply;
                int ofd = -1;

                snprintf(name, sizeof(name), "big-s%u", seq);
                n = (int) sec_enc_create(pkt, seq, name, 4u << 20, SHMB_PROTO_ACCESS_NONE);
                if (sec_raw_call(fd, pkt, (size_t) n, &reply, &ofd) < 0)
                        break;
                assert_int_equal(reply.type, SHMB_PROTO_REPLY_OK);
                answered = seq;
        }
        status = reap(killer, 10000);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("the killer never saw big-s5 appear (status 0x%x)", (unsigned) status);
        assert_int_equal(close(fd), 0);
        wait_dead(d);
        /* Creates are sent one at a time: big-s1..4 were answered before big-s5 was asked
         * for. Whether big-s5's own answer got out before the kill is the race below. */
        assert_true(answered >= 4);

        /* An object gets its name only when it is complete: whatever is there is final (owner,
         * group, mode, size), never half-made. */
        dir = opendir(d->shm_dir);
        assert_non_null(dir);
        while ((de = readdir(dir))) {
                struct stat st;
                unsigned k = 0;
                int len = 0;

                if (de->d_name[0] == '.')
                        continue;
                /* Only names of the creates sent: each answered one, and the one in flight. */
                if (sscanf(de->d_name, "big-s%u%n", &k, &len) != 1 ||
                    de->d_name[len] != '\0' || k < 1 || k > answered + 1 || seen[k])
                        fail_msg("'%s' left, after %u answered creates", de->d_name, answered);
                seen[k] = true;
                assert_int_equal(fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW), 0);
                assert_true(S_ISREG(st.st_mode));
                if (st.st_uid != ref.st_uid || st.st_gid != ref.st_gid ||
                    st.st_mode != ref.st_mode || st.st_size != ref.st_size)
                        fail_msg("'%s' left as %u:%u mode %04o size %lld", de->d_name,
                                 (unsigned) st.st_uid, (unsigned) st.st_gid,
                                 (unsigned) st.st_mode & 07777, (long long) st.st_size);
                final++;
        }
        (void) closedir(dir);
        print_message("killed after %u answered creates: %d objects\n", answered, final);
        /* Every answered create is there; the one in flight may be too, if the daemon died
         * after naming it but before answering. Which of the two depends on when the signal
         * landed, not on the daemon: both are right, and nothing else is. */
        for (seq = 1; seq <= answered; seq++)
                if (!seen[seq])
                        fail_msg("big-s%u was answered but is not there (%d objects left)", seq,
                                 final);
        assert_true(seen[5]); /* the killer saw it named */
        assert_int_equal(final, (int) answered + (seen[answered + 1] ? 1 : 0));

        /* Restarted on the same directories: every object there is served again, and every
         * name the registry had recorded but never linked is forgotten. */
        {
                struct harness_daemon_options opts = { .shm_dir = NULL };
                char objects[PATH_MAX];

                snprintf(objects, sizeof(objects), "%s", d->shm_dir);
                d->keep_shm_dir = true;
                sec_remove_later(objects);
                sec_forget_killed();
                opts.shm_dir = objects;
                d = sec_start(sec_policy, &opts);
                dir = opendir(d->shm_dir);
                assert_non_null(dir);
                n = 0;
                while ((de = readdir(dir))) {
                        if (de->d_name[0] == '.')
                                continue;
                        assert_int_equal(sec_open(d, &sec_id_creator, de->d_name,
                                                  SHMB_ACCESS_RDWR, NULL), 0);
                        assert_int_equal(sec_unlink(d, &sec_id_creator, de->d_name), 0);
                        n++;
                }
                (void) closedir(dir);
                assert_int_equal(n, final);
                /* The create in flight that left no file left no object either. */
                snprintf(name, sizeof(name), "big-s%u", answered + 1);
                assert_int_equal(sec_open(d, &sec_id_creator, name, SHMB_ACCESS_RDWR, NULL),
                                 -ENOENT);
                assert_int_equal(sec_create(d, &sec_id_creator, name, 4096, SHMB_ACCESS_NONE,
                                            NULL), 0);
                assert_int_equal(sec_unlink(d, &sec_id_creator, name), 0);
                sec_finish();
        }
}

/* ------------------------------------------------------------------------------------------
 * 81. Start-up stock-taking: the registry against the object directory
 */

static void plant(const char *dir, const char *name, uid_t uid, gid_t gid, mode_t mode)
{
        char path[PATH_MAX + 32];
        int fd;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        assert_true(fd >= 0);
        assert_int_equal(fchown(fd, uid, gid), 0);
        assert_int_equal(fchmod(fd, mode), 0);
        assert_int_equal(close(fd), 0);
}

static void test_e81_startup_stock_taking(void **state)
{
        static const char policy[] =
                "[Quota]\n"
                "MaxObjectsPerUser=3\n"
                "\n"
                "[Segment sec]\n"
                "Names=sec-*\n"
                "Create=41001\n"
                "ReadWrite=41001 41002\n"
                "ReadOnly=41003\n"
                "Owner=41001\n"
                "Group=42002\n"
                "Mode=0640\n"
                "MaxSize=1M\n";
        struct harness_daemon_options opts = { .shm_dir = NULL };
        struct harness_daemon *d;
        char objects[PATH_MAX], path[PATH_MAX + 32];
        struct stat st, replaced;

        d = sec_start(policy, NULL);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-kept", 4096, SHMB_ACCESS_NONE,
                                    NULL), 0);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-gone", 4096, SHMB_ACCESS_NONE,
                                    NULL), 0);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-swapped", 4096, SHMB_ACCESS_NONE,
                                    NULL), 0);
        snprintf(objects, sizeof(objects), "%s", d->shm_dir);
        d->keep_shm_dir = true;
        sec_remove_later(objects);
        sec_finish_keeping_objects();

        /* While it is down: one object removed, one replaced by another file of the same
         * owner, group and mode; and files it never made at brokered names, one looking just
         * like an object, one like an unfinished create of the old days (mode 0). */
        snprintf(path, sizeof(path), "%s/sec-gone", objects);
        assert_int_equal(unlink(path), 0);
        snprintf(path, sizeof(path), "%s/sec-swapped", objects);
        assert_int_equal(unlink(path), 0);
        plant(objects, "sec-swapped", HARNESS_UID_1, HARNESS_GID_2, 0640);
        assert_int_equal(lstat(path, &replaced), 0);
        plant(objects, "sec-lookalike", HARNESS_UID_1, HARNESS_GID_2, 0640);
        plant(objects, "sec-unfinished", HARNESS_UID_1, HARNESS_GID_2, 0);

        opts.shm_dir = objects;
        d = sec_start(policy, &opts);
        /* From the start of its log: the missing and the replaced objects are forgotten, and
         * the files it did not make are reported. */
        sec_expect_log(d, 0, "'sec-gone' is gone", NULL, 1, 1);
        sec_expect_log(d, 0, "'sec-swapped' is gone", NULL, 1, 1);
        sec_expect_log(d, 0, "'sec-swapped' was not made by this daemon", NULL, 1, 1);
        sec_expect_log(d, 0, "'sec-lookalike' was not made by this daemon", NULL, 1, 1);
        sec_expect_log(d, 0, "'sec-unfinished' was not made by this daemon", NULL, 1, 1);

        /* None of them is handed out; all are left as they were. */
        assert_int_equal(sec_open(d, &sec_id_reader, "sec-gone", SHMB_ACCESS_RDONLY, NULL),
                         -ENOENT);
        assert_int_equal(sec_open(d, &sec_id_creator, "sec-swapped", SHMB_ACCESS_RDWR, NULL),
                         -ENOENT);
        assert_int_equal(sec_open(d, &sec_id_creator, "sec-lookalike", SHMB_ACCESS_RDWR,
                                  NULL), -ENOENT);
        assert_int_equal(sec_open(d, &sec_id_creator, "sec-unfinished", SHMB_ACCESS_RDWR,
                                  NULL), -ENOENT);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-lookalike"), -ENOENT);
        snprintf(path, sizeof(path), "%s/sec-swapped", objects);
        assert_int_equal(lstat(path, &st), 0);
        assert_int_equal(st.st_ino, replaced.st_ino);
        snprintf(path, sizeof(path), "%s/sec-unfinished", objects);
        assert_int_equal(lstat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0);

        /* The kept one is served, and only it is charged to its creator again: 1 of 3. */
        assert_int_equal(sec_open(d, &sec_id_reader, "sec-kept", SHMB_ACCESS_RDONLY, NULL), 0);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-two", 4096, SHMB_ACCESS_NONE,
                                    NULL), 0);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-three", 4096, SHMB_ACCESS_NONE,
                                    NULL), 0);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-four", 4096, SHMB_ACCESS_NONE,
                                    NULL), -EDQUOT);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-kept"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-two"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-three"), 0);
        snprintf(path, sizeof(path), "%s/sec-swapped", objects);
        assert_int_equal(unlink(path), 0);
        snprintf(path, sizeof(path), "%s/sec-lookalike", objects);
        assert_int_equal(unlink(path), 0);
        snprintf(path, sizeof(path), "%s/sec-unfinished", objects);
        assert_int_equal(unlink(path), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 85. Two instances; 88. bad policy at start; 90. stale socket path
 */

static void test_e85_two_instances(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        struct harness_exec_result res = {};
        struct stat st;

        sec_run_daemon((const char *const[]) { "--socket", d->socket_path, "--policy",
                                               d->policy_path, "--shm-dir", d->shm_dir, NULL },
                       &res);
        if (res.status != 1 || !strstr(res.err, "Another instance listens"))
                fail_msg("a second instance on the same socket: exit %d, stderr '%s'",
                         res.status, res.err);
        harness_exec_result_done(&res);
        /* The first one's socket is still there and still its. */
        assert_int_equal(lstat(d->socket_path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        sec_finish();
}

static void test_e88_bad_policy_at_start(void **state)
{
        char dir[] = "/tmp/shmb-sec-start.XXXXXX", policy[64], sock[64], where[96];
        struct harness_exec_result res = {};

        assert_non_null(mkdtemp(dir));
        snprintf(policy, sizeof(policy), "%s/policy.conf", dir);
        snprintf(sock, sizeof(sock), "%s/socket", dir);
        sec_write_file(policy, "[Segment a]\nNames=a-*\n\nCreate=41001\nMode=0640\nBogus=1\n");
        sec_run_daemon((const char *const[]) { "--socket", sock, "--policy", policy,
                                               "--shm-dir", "/dev/shm", NULL }, &res);
        snprintf(where, sizeof(where), "%s:6", policy);
        if (res.status != 1 || !strstr(res.err, where))
                fail_msg("bad policy at start: exit %d, stderr '%s' (expected 1 and '%s')",
                         res.status, res.err, where);
        harness_exec_result_done(&res);
        /* It never listened. */
        assert_int_equal(access(sock, F_OK), -1);

        /* An empty policy is a valid one that grants nothing (shmbroker.conf(5): a name no
         * rule matches is denied to everyone, root included). */
        sec_write_file(policy, "");
        sec_run_daemon((const char *const[]) { "--check-policy", "--policy", policy, NULL },
                       &res);
        if (res.status != 0 || !strstr(res.out, "0 rules"))
                fail_msg("an empty policy: --check-policy exits %d: '%s%s' (expected 0 and "
                         "'0 rules')", res.status, res.out, res.err);
        harness_exec_result_done(&res);
        {
                struct harness_daemon_options opts = { .no_control_rule = true };
                struct harness_daemon *d = NULL;
                int r;

                assert_int_equal(harness_daemon_start("", &opts, &d), 0);
                r = sec_create(d, &sec_id_root, "root-x", 4096, SHMB_ACCESS_NONE, NULL);
                assert_int_equal(harness_shm_entries(d, NULL, 0), 0);
                assert_int_equal(harness_daemon_stop(d), 0);
                if (r != -EACCES)
                        fail_msg("with an empty policy, a create by root: %s", strerror(-r));
        }
        (void) tl_rm_rf(dir);
}

static void test_e90_stale_socket_path(void **state)
{
        static const char content[] = "not a socket\n";
        char dir[] = "/tmp/shmb-sec-stale.XXXXXX", path[64];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct harness_exec_result res = {};
        struct harness_daemon_options opts = { .socket_path = path };
        char buf[64];
        int fd;

        assert_non_null(mkdtemp(dir));
        assert_int_equal(chmod(dir, 0755), 0); /* the control client must reach the socket */
        snprintf(path, sizeof(path), "%s/socket", dir);

        /* A socket left by a crash (bound, nobody listening): replaced. */
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(close(fd), 0);
        (void) sec_start(sec_policy, &opts);
        sec_finish();
        /* The daemon removes its socket at exit. */
        assert_int_equal(access(path, F_OK), -1);

        /* A regular file, a directory, a symlink: refused, and left alone. */
        sec_write_file(path, content);
        sec_run_daemon((const char *const[]) { "--socket", path, "--shm-dir", "/dev/shm",
                                               NULL }, &res);
        if (res.status != 1 || !strstr(res.err, path))
                fail_msg("a regular file at the socket path: exit %d, stderr '%s'", res.status,
                         res.err);
        harness_exec_result_done(&res);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(read(fd, buf, sizeof(buf)), (ssize_t) strlen(content));
        assert_int_equal(close(fd), 0);
        assert_int_equal(unlink(path), 0);

        assert_int_equal(mkdir(path, 0755), 0);
        sec_run_daemon((const char *const[]) { "--socket", path, "--shm-dir", "/dev/shm",
                                               NULL }, &res);
        assert_int_equal(res.status, 1);
        harness_exec_result_done(&res);
        assert_int_equal(rmdir(path), 0);

        assert_int_equal(symlink("/tmp/shmb-sec-elsewhere.sock", path), 0);
        sec_run_daemon((const char *const[]) { "--socket", path, "--shm-dir", "/dev/shm",
                                               NULL }, &res);
        assert_int_equal(res.status, 1);
        harness_exec_result_done(&res);
        assert_int_equal(access("/tmp/shmb-sec-elsewhere.sock", F_OK), -1);
        (void) tl_rm_rf(dir);
}

/* ------------------------------------------------------------------------------------------
 * 89. Client crash mid-request
 */

static void test_e89_client_crash(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        struct pollfd p;
        struct stat st, ref;
        int sent[2];
        char ok = 0;
        pid_t pid;
        size_t n;

        /* A client process sends a create asking for an fd, and is killed before the reply. */
        assert_int_equal(harness_daemon_pause(d), 0);
        n = sec_enc_create(pkt, 89, "sec-crash", 8192, SHMB_PROTO_ACCESS_RDWR);
        assert_int_equal(pipe2(sent, O_CLOEXEC), 0);
        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int fd = harness_connect_as(d->socket_path, SOCK_SEQPACKET, &sec_id_creator);

                if (fd < 0 || sec_raw_send(fd, pkt, n, NULL, 0) < 0)
                        _exit(1);
                /* The request is in the daemon's socket: say so, and wait to be killed. */
                if (write(sent[1], "s", 1) != 1)
                        _exit(1);
                pause();
                _exit(0);
        }
        assert_int_equal(close(sent[1]), 0);
        p = (struct pollfd) { .fd = sent[0], .events = POLLIN };
        assert_int_equal(poll(&p, 1, 5000), 1);
        assert_int_equal(read(sent[0], &ok, 1), 1); /* EOF here: the child could not send */
        assert_int_equal(ok, 's');
        assert_int_equal(close(sent[0]), 0);
        assert_int_equal(kill(pid, SIGKILL), 0);
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        assert_int_equal(harness_daemon_resume(d), 0);
        sec_assert_serving(d);
        /* No leak (the fd for the reply was closed with it). The object exists complete, or
         * not at all; this daemon reads what a client sent before it hung up and carries it
         * out (its credentials come from the socket, not from the dead process), so it
         * exists, exactly like one made for a client that lived. A daemon that dropped such
         * requests would be right too, and would change this check on purpose. */
        sec_assert_fds_baseline(d);
        if (lstat(harness_shm_path(d, "sec-crash"), &st) < 0)
                fail_msg("the create of a client killed before its reply was not carried out: "
                         "%s", strerror(errno));
        /* As one made by a client that lived (the group bits are the ACL's mask). */
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-ref", 8192, SHMB_ACCESS_NONE, NULL),
                         0);
        assert_int_equal(lstat(harness_shm_path(d, "sec-ref"), &ref), 0);
        assert_int_equal(st.st_uid, ref.st_uid);
        assert_int_equal(st.st_gid, ref.st_gid);
        assert_int_equal(st.st_mode, ref.st_mode);
        assert_int_equal(st.st_size, ref.st_size);
        assert_int_equal(st.st_uid, HARNESS_UID_1);
        assert_int_equal(st.st_size, 8192);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-crash"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-ref"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * F. 91, 92, 99. The final privilege state under --user
 */

static unsigned long long status_hex(pid_t pid, pid_t tid, const char *field)
{
        char buf[128];
        int r = harness_proc_status(pid, tid, field, buf, sizeof(buf));

        if (r < 0)
                fail_msg("/proc/%d status %s: %s", (int) pid, field, strerror(-r));
        return strtoull(buf, NULL, 16);
}

static void assert_ids(pid_t pid, pid_t tid, const char *field, unsigned id)
{
        char buf[128], want[128];
        int r = harness_proc_status(pid, tid, field, buf, sizeof(buf));

        assert_int_equal(r, 0);
        snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", id, id, id, id);
        if (strcmp(buf, want) != 0)
                fail_msg("%s: '%s', expected '%s'", field, buf, want);
}

static void test_f91_capabilities(void **state)
{
        /* CAP_CHOWN (0), CAP_DAC_OVERRIDE (1), CAP_FOWNER (3), CAP_LEASE (28). */
        const unsigned long long kept = (1ull << 0) | (1ull << 1) | (1ull << 3) | (1ull << 28);
        static const char policy_own[] =
                "[Segment own]\n"
                "Names=own-*\n"
                "Create=*\n"
                "ReadWrite=*\n"
                "Owner=%U\n"
                "Group=42002\n"
                "Mode=0600\n"
                "MaxSize=64K\n";
        char policy[2048], groups[256], path[64];
        const char *args[] = { "--user", NULL, NULL };
        struct harness_daemon_options opts = { .extra_args = args };
        struct harness_daemon *d;
        struct dirent *de;
        struct stat st;
        uid_t uid;
        gid_t gid;
        DIR *dir;
        int fd = -1, n_tasks = 0;

        args[1] = sec_service_user(&uid, &gid);
        snprintf(policy, sizeof(policy), "%s\n%s", sec_policy, policy_own);
        d = sec_start(policy, &opts);

        snprintf(path, sizeof(path), "/proc/%d/task", (int) d->pid);
        dir = opendir(path);
        assert_non_null(dir);
        /* 92: every thread, not only the main one. */
        while ((de = readdir(dir))) {
                pid_t tid = (pid_t) atoi(de->d_name);

                if (tid <= 0)
                        continue;
                n_tasks++;
                assert_ids(d->pid, tid, "Uid", (unsigned) uid);
                assert_ids(d->pid, tid, "Gid", (unsigned) gid);
                if (status_hex(d->pid, tid, "CapEff") != kept ||
                    status_hex(d->pid, tid, "CapPrm") != kept ||
                    status_hex(d->pid, tid, "CapBnd") != kept)
                        fail_msg("thread %d: CapEff %llx CapPrm %llx CapBnd %llx, expected %llx",
                                 (int) tid, status_hex(d->pid, tid, "CapEff"),
                                 status_hex(d->pid, tid, "CapPrm"),
                                 status_hex(d->pid, tid, "CapBnd"), kept);
                assert_int_equal(status_hex(d->pid, tid, "CapInh"), 0);
                assert_int_equal(status_hex(d->pid, tid, "CapAmb"), 0);
                assert_int_equal(status_hex(d->pid, tid, "NoNewPrivs"), 1);
                assert_int_equal(harness_proc_status(d->pid, tid, "Groups", groups,
                                                     sizeof(groups)), 0);
                /* No root group, and nothing but the user's own group. */
                {
                        char *p = groups, *end;

                        while (*p) {
                                unsigned long g = strtoul(p, &end, 10);

                                if (end == p)
                                        break;
                                if (g != gid)
                                        fail_msg("the daemon keeps supplementary group %lu",
                                                 g);
                                p = end + strspn(end, " ");
                        }
                }
        }
        (void) closedir(dir);
        /* Every thread there is was checked. */
        assert_int_equal(n_tasks, (int) sec_status_number(d->pid, "Threads"));
        /* Not dumpable: its /proc files stay root's although it runs as another uid. */
        snprintf(path, sizeof(path), "/proc/%d/status", (int) d->pid);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_uid, 0);

        /* It still does its job: CAP_CHOWN (objects owned by 41001), CAP_FOWNER (mode and
         * ACL of an object it does not own), and 99: CAP_DAC_OVERRIDE, to open an object
         * whose mode and ACL do not name it (Owner=%U, Mode=0600). */
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-u", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        assert_int_equal(lstat(harness_shm_path(d, "sec-u"), &st), 0);
        assert_int_equal(st.st_uid, HARNESS_UID_1);
        assert_int_equal(sec_open(d, &sec_id_reader, "sec-u", SHMB_ACCESS_RDONLY, NULL), 0);
        assert_int_equal(sec_create(d, &sec_id_outsider, "own-u", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        assert_int_equal(lstat(harness_shm_path(d, "own-u"), &st), 0);
        assert_int_equal(st.st_uid, HARNESS_UID_4);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(sec_open(d, &sec_id_outsider, "own-u", SHMB_ACCESS_RDWR, &fd), 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_create(d, &sec_id_creator, "secm-u", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        assert_int_equal(sec_open(d, &sec_id_reader, "secm-u", SHMB_ACCESS_RDONLY, NULL), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-u"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "secm-u"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_outsider, "own-u"), 0);
        /* And it exits 0 on SIGTERM as that user, removing its socket. */
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 94. Capabilities lost by mistake
 */

static void test_f94_capabilities_missing(void **state)
{
        const char *args[] = { "--user", NULL, NULL };
        struct harness_daemon_options opts = { .extra_args = args,
                                               .capbset_drop = 1ull << 0 /* CAP_CHOWN */ };
        struct harness_daemon *d = NULL;
        uid_t uid;
        gid_t gid;
        int r;

        /* Asked to keep CAP_CHOWN that it cannot have: it must not start (it exits; the
         * harness sees it gone before it listens). */
        args[1] = sec_service_user(&uid, &gid);
        r = harness_daemon_start(sec_policy, &opts, &d);
        if (r == 0) {
                (void) harness_daemon_stop(d);
                fail_msg("shmbrokerd --user started without CAP_CHOWN in its bounding set");
        }
        assert_int_equal(r, -ECHILD);

        /* As root without CAP_CHOWN: it starts (nothing at start needs it), but never
         * creates an object that keeps the daemon as owner; a create fails whole. */
        opts.extra_args = NULL;
        assert_int_equal(harness_daemon_start(sec_policy, &opts, &d), 0);
        r = sec_create(d, &sec_id_creator, "sec-nochown", 4096, SHMB_ACCESS_NONE, NULL);
        {
                char names[256];
                int n = harness_shm_entries(d, names, sizeof(names));

                assert_int_equal(harness_daemon_stop(d), 0);
                if (r != -EPERM)
                        fail_msg("a create without CAP_CHOWN: %s, expected EPERM",
                                 r == 0 ? "success" : strerror(-r));
                if (n != 0)
                        fail_msg("a failed create left %s", names);
        }
}

/* ------------------------------------------------------------------------------------------
 * 98. Every fd the daemon holds is close-on-exec (100, a seccomp filter like the unit's, is
 * test-security-seccomp.c)
 */

static void test_f98_fds_cloexec(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        char path[64], line[128];
        struct dirent *de;
        DIR *dir;
        int conn, checked = 0;

        /* With a connection and a memfd object held. */
        assert_int_equal(sec_create(d, &sec_id_creator, "secm-ce", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        conn = sec_raw_connect(d, &sec_id_reader);
        sec_assert_serving(d);
        /* At rest: the control client's connections are closed, ours is accepted, and no fd
         * comes or goes while we look. */
        sec_wait_idle(d);
        snprintf(path, sizeof(path), "/proc/%d/fdinfo", (int) d->pid);
        dir = opendir(path);
        assert_non_null(dir);
        while ((de = readdir(dir))) {
                int n = atoi(de->d_name);
                unsigned long flags = 0;
                FILE *f;

                if (de->d_name[0] == '.' || n <= 2)
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int) d->pid, n);
                f = fopen(path, "re");
                if (!f)
                        continue;
                while (fgets(line, sizeof(line), f))
                        if (sscanf(line, "flags: %lo", &flags) == 1)
                                break;
                (void) fclose(f);
                if (!(flags & O_CLOEXEC)) {
                        char target[PATH_MAX] = "";

                        snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int) d->pid, n);
                        if (readlink(path, target, sizeof(target) - 1) < 0)
                                target[0] = 0;
                        fail_msg("the daemon's fd %d (%s) is not close-on-exec (flags 0%lo)",
                                 n, target, flags);
                }
                checked++;
        }
        (void) closedir(dir);
        /* Every fd but 0, 1 and 2 was checked (none went while we looked): at least the
         * listener, the epoll fd, the timer, the connection and the memfd. */
        assert_int_equal(checked, harness_daemon_fd_count(d) - 3);
        assert_true(checked >= 5);
        assert_int_equal(close(conn), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "secm-ce"), 0);
        sec_finish();
}

const struct CMUnitTest sec_tests_daemon[] = {
        SEC_TEST(test_e79_sigkill_during_request),
        SEC_TEST(test_e80_sigkill_mid_create),
        SEC_TEST(test_e81_startup_stock_taking),
        SEC_TEST(test_e85_two_instances),
        SEC_TEST(test_e88_bad_policy_at_start),
        SEC_TEST(test_e89_client_crash),
        SEC_TEST(test_e90_stale_socket_path),
        SEC_TEST(test_f91_capabilities),
        SEC_TEST(test_f94_capabilities_missing),
        SEC_TEST(test_f98_fds_cloexec),
};
const size_t sec_n_tests_daemon = ELEMENTSOF(sec_tests_daemon);
