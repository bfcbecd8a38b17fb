/* SPDX-License-Identifier: MIT */
/*
 * test-lifecycle-process.c - lifetime=process: an object lives as long as the process that
 * opened the connection it was created on (its pidfd, from SO_PEERPIDFD). Not the connection
 * (closing it, or exec(), which closes it, keeps the object), not the process or thread that
 * sent the create (a forked child or a thread may send it), and not a forked child that holds
 * the connection after the connecting process exited.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "lifecycle.h"
#include "macro.h"

/* What a creator child makes: @names at once on one connection (kept open unless
 * @close_conn), then one of @later per step, each on a connection of its own. */
struct creator_args {
        const char *const *names;
        const char *const *later;
        bool close_conn;
};

static int creator_fn(struct lc_proc *p, void *userdata)
{
        const struct creator_args *a = userdata;
        struct shmb_client *c = lc_child_connect();
        size_t i;
        int r = 0;

        if (!c)
                return ENOTCONN;
        for (i = 0; r >= 0 && a->names[i]; i++)
                r = lc_child_create(c, a->names[i], 4096, SHMB_LIFETIME_PROCESS, 0, NULL);
        if (a->close_conn)
                c = shmb_client_free(c);
        if (!a->later)
                return -r;
        lc_child_report(p, -r);
        for (i = 0; a->later[i] && lc_child_step(p); i++) {
                struct shmb_client *c2 = lc_child_connect();

                r = c2 ? lc_child_create(c2, a->later[i], 4096, SHMB_LIFETIME_PROCESS, 0, NULL)
                       : -ENOTCONN;
                lc_child_report(p, -r);
        }
        return 0;
}

static void start_creator(struct lc_proc *p, const struct creator_args *a)
{
        lc_proc_start(p, &sec_id_creator, creator_fn, (void *) a);
        assert_int_equal(lc_proc_next(p), 0);
}

static void assert_process_object(const struct harness_daemon *d, const char *name)
{
        struct shmb_stat st;

        assert_int_equal(lc_stat(d, name, &st), 0);
        assert_int_equal(st.lifetime, SHMB_LIFETIME_PROCESS);
        assert_int_equal(st.lifetime_usec, 0);
        assert_int_equal(st.creator, sec_id_creator.uid);
        assert_int_equal(st.flags & SHMB_OBJ_CREATOR_GONE, 0);
}

/*
 * The daemon's fd baseline was taken while it held the pidfd of a creator that was alive at
 * its start (a restart): once that creator is gone, one fd fewer is the baseline.
 */
static void baseline_without_creator(struct harness_daemon *d)
{
        int n = harness_daemon_wait_fd_count(d, d->n_fds_start - 1, 3000);

        if (n != d->n_fds_start - 1)
                fail_msg("shmbrokerd has %d fds open, %d at start with a creator's pidfd: the "
                         "pidfd of the creator that exited is still open", n, d->n_fds_start);
        d->n_fds_start = n;
}

/* ------------------------------------------------------------------------------------------
 * Exits
 */

static void test_process_exit(void **state)
{
        static const char *const names[] = { "proc-a", "lifem-a", NULL };
        const struct creator_args a = { .names = names };
        struct harness_daemon *d = lc_start(lc_policy, false);
        uint64_t objects, bytes;
        struct lc_proc p;
        size_t mark;

        start_creator(&p, &a);
        assert_process_object(d, "proc-a");
        assert_process_object(d, "lifem-a");
        sec_usage(d, sec_id_creator.uid, &objects, &bytes);
        assert_int_equal(objects, 2);
        assert_int_equal(bytes, 2 * 4096);

        mark = harness_daemon_log_mark(d);
        lc_proc_release(&p);
        (void) lc_wait_gone(d, "proc-a", LC_REMOVAL_MS);
        (void) lc_wait_gone(d, "lifem-a", LC_REMOVAL_MS);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        /* The normal removal: logged, and audited as 'expire' (on the creator's behalf: no gid). */
        lc_expect_log(d, mark, "Object 'proc-a' of uid 41001 removed", "creating process exited",
                      1000);
        lc_expect_log(d, mark, "audit: uid=41001 gid=- pid=", "expire 'proc-a'", 1000);
        lc_expect_log(d, mark, "audit: uid=41001", "expire 'lifem-a'", 1000);
        sec_finish();
}

/* A crash, with the object mapped by the creator and by a reader: the name goes at once; the
 * reader's mapping stays valid and the creator stays charged until the reader lets go. */
static int crash_fn(struct lc_proc *p, void *userdata)
{
        struct shmb_client *c = lc_child_connect();
        struct shmb_create_opts o = { .lifetime = SHMB_LIFETIME_PROCESS };
        void *addr;
        int fd = -1;

        if (!c)
                return ENOTCONN;
        if (shmb_create2(c, "proc-b", 4096, SHMB_ACCESS_RDWR, &o, &fd, NULL) < 0)
                return 1;
        addr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (addr == MAP_FAILED)
                return 2;
        strcpy(addr, "written before the crash");
        return 0;
}

static void test_process_sigkill_held(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct shmb_status *s;
        struct lc_proc p;
        void *addr;
        int fd = -1;

        lc_proc_start(&p, &sec_id_creator, crash_fn, NULL);
        assert_int_equal(lc_proc_next(&p), 0);
        assert_int_equal(sec_open(d, &sec_id_reader, "proc-b", SHMB_ACCESS_RDONLY, &fd), 0);
        addr = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
        assert_true(addr != MAP_FAILED);
        assert_int_equal(close(fd), 0);

        lc_proc_kill(&p, true);
        (void) lc_wait_gone(d, "proc-b", LC_REMOVAL_MS);
        assert_string_equal((const char *) addr, "written before the crash");
        s = sec_status(d);
        assert_int_equal(s->n_objects, 0);
        assert_int_equal(s->n_held, 1);
        shmb_status_free(s);
        lc_wait_usage(d, sec_id_creator.uid, 1, 4096, 1000);

        assert_int_equal(munmap(addr, 4096), 0);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        s = sec_status(d);
        assert_int_equal(s->n_held, 0);
        shmb_status_free(s);
        sec_finish();
}

/* The connection is not the lifetime: closed, the object stays while the process runs. */
static void test_process_connection_closed(void **state)
{
        static const char *const names[] = { "proc-c", NULL };
        const struct creator_args a = { .names = names, .close_conn = true };
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct lc_proc p;
        int n;

        start_creator(&p, &a);
        /* The daemon has closed the connection: what it holds beyond its baseline is the
         * creator's pidfd alone. */
        n = harness_daemon_wait_fd_count(d, d->n_fds_start + 1, 3000);
        assert_int_equal(n, d->n_fds_start + 1);
        assert_process_object(d, "proc-c");
        lc_proc_release(&p);
        (void) lc_wait_gone(d, "proc-c", LC_REMOVAL_MS);
        sec_finish();
}

/* exec() keeps the process (and closes the O_CLOEXEC connection): the object lives on until
 * the program it became exits. */
static int exec_fn(struct lc_proc *p, void *userdata)
{
        struct shmb_client *c = lc_child_connect();
        int null_fd;

        if (!c || lc_child_create(c, "proc-e", 4096, SHMB_LIFETIME_PROCESS, 0, NULL) < 0)
                return 1;
        lc_child_report(p, 0);
        null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        /* cat reads the step pipe until the test closes it. */
        if (null_fd < 0 || dup2(p->child_step, STDIN_FILENO) < 0 ||
            dup2(null_fd, STDOUT_FILENO) < 0)
                _exit(3);
        execl("/bin/cat", "cat", (char *) NULL);
        _exit(127);
}

static void test_process_exec(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        uint64_t deadline;
        struct lc_proc p;
        char comm[32];

        lc_proc_start(&p, &sec_id_creator, exec_fn, NULL);
        assert_int_equal(lc_proc_next(&p), 0);
        deadline = tl_now_ms() + HARNESS_TIMEOUT_MS;
        for (;;) {
                if (harness_proc_status(p.pid, 0, "Name", comm, sizeof(comm)) == 0 &&
                    strcmp(comm, "cat") == 0)
                        break;
                if (tl_now_ms() >= deadline)
                        fail_msg("the creator (pid %d) never became cat", (int) p.pid);
                tl_sleep_ms(5); /* polling */
        }
        /* Its connection went with the exec; its pidfd is all the daemon holds of it. */
        assert_int_equal(harness_daemon_wait_fd_count(d, d->n_fds_start + 1, 3000),
                         d->n_fds_start + 1);
        assert_process_object(d, "proc-e");
        lc_proc_release(&p); /* cat sees EOF and exits 0 */
        (void) lc_wait_gone(d, "proc-e", LC_REMOVAL_MS);
        sec_finish();
}

/* A thread connects and creates, then ends; the process goes on, and so does the object. */
static void *thread_create(void *arg)
{
        struct shmb_client *c = lc_child_connect();
        intptr_t r;

        r = c ? lc_child_create(c, "proc-t", 4096, SHMB_LIFETIME_PROCESS, 0, NULL) : -ENOTCONN;
        shmb_client_free(c);
        return (void *) r;
}

static int thread_fn(struct lc_proc *p, void *userdata)
{
        pthread_t t;
        void *res;

        if (pthread_create(&t, NULL, thread_create, NULL) != 0 || pthread_join(t, &res) != 0)
                return 1;
        return (int) -(intptr_t) res;
}

static void test_process_thread(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct lc_proc p;

        lc_proc_start(&p, &sec_id_creator, thread_fn, NULL);
        assert_int_equal(lc_proc_next(&p), 0);
        assert_process_object(d, "proc-t");
        lc_proc_release(&p);
        (void) lc_wait_gone(d, "proc-t", LC_REMOVAL_MS);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * Forks: the process that opened the connection counts
 */

/*
 * The creator connects, creates, forks, and exits; its child keeps the connection. The object
 * goes with the process that opened the connection, whoever holds the connection afterwards.
 * A create of another lifetime=process object over that connection is then refused (there is
 * no process left to tie it to), while the connection serves everything else.
 */
static int fork_and_exit_fn(struct lc_proc *p, void *userdata)
{
        struct shmb_client *c = lc_child_connect();
        pid_t pid;
        int r, reason = -1;

        if (!c || lc_child_create(c, "proc-f", 4096, SHMB_LIFETIME_PROCESS, 0, NULL) < 0)
                return 1;
        pid = fork();
        if (pid < 0)
                return 2;
        if (pid == 0) {
                /* The grandchild: holds the connection. PR_SET_PDEATHSIG was cleared by the
                 * fork; it lives on after its parent. */
                if (!lc_child_step(p))
                        _exit(0);
                r = shmb_create2(c, "proc-g", 4096, SHMB_ACCESS_NONE,
                                 &(struct shmb_create_opts) { .lifetime =
                                                                      SHMB_LIFETIME_PROCESS },
                                 NULL, NULL);
                reason = shmb_client_last_reason(c);
                lc_child_report(p, r);
                lc_child_report(p, reason);
                r = lc_child_create(c, "life-g", 4096, SHMB_LIFETIME_PERSISTENT, 0, NULL);
                lc_child_report(p, r);
                while (lc_child_step(p))
                        ;
                _exit(0);
        }
        lc_child_report(p, pid);
        _exit(0);
}

static void test_process_fork_parent_exits(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct lc_proc p, g;
        pid_t gpid;

        lc_proc_start(&p, &sec_id_creator, fork_and_exit_fn, NULL);
        gpid = (pid_t) lc_proc_next(&p);
        assert_true(gpid > 0);
        lc_proc_adopt(&g, gpid, &p);
        lc_proc_reap(&p);
        assert_true(WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0);

        (void) lc_wait_gone(d, "proc-f", LC_REMOVAL_MS);
        assert_int_equal(kill(gpid, 0), 0); /* the holder of the connection lives */

        lc_proc_step(&g);
        if (lc_proc_next(&g) != -ESRCH)
                fail_msg("a lifetime=process create on a connection whose connecting process "
                         "exited: expected -ESRCH");
        assert_int_equal(lc_proc_next(&g), SHMB_REASON_NONE);
        assert_false(lc_exists(d, "proc-g"));
        assert_int_equal(lc_proc_next(&g), 0);
        assert_true(lc_exists(d, "life-g"));
        assert_int_equal(sec_unlink(d, &sec_id_creator, "life-g"), 0);
        lc_proc_release(&g);
        sec_finish();
}

/* The creator connects and forks; its child sends the create over the inherited connection
 * and exits. The object stays: the connecting process is alive. It goes when that exits. */
static int child_creates_fn(struct lc_proc *p, void *userdata)
{
        struct shmb_client *c = lc_child_connect();
        int status;
        pid_t pid;

        if (!c)
                return ENOTCONN;
        pid = fork();
        if (pid < 0)
                return 2;
        if (pid == 0)
                _exit(lc_child_create(c, "proc-h", 4096, SHMB_LIFETIME_PROCESS, 0, NULL) < 0);
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return 3;
        return 0;
}

static void test_process_fork_child_creates(void **state)
{
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct lc_proc p;

        lc_proc_start(&p, &sec_id_creator, child_creates_fn, NULL);
        /* The child that sent the create has exited (and was reaped) by now. */
        assert_int_equal(lc_proc_next(&p), 0);
        assert_process_object(d, "proc-h");
        lc_proc_release(&p);
        (void) lc_wait_gone(d, "proc-h", LC_REMOVAL_MS);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * Many objects, one process
 */

#define MANY_SHM 800
#define MANY_MEMFD 200

static int many_fn(struct lc_proc *p, void *userdata)
{
        struct shmb_client *c = lc_child_connect();
        char name[32];
        unsigned i;

        if (!c)
                return ENOTCONN;
        for (i = 0; i < MANY_SHM + MANY_MEMFD; i++) {
                snprintf(name, sizeof(name), i < MANY_SHM ? "proc-%04u" : "lifem-%04u", i);
                if (lc_child_create(c, name, 4096, SHMB_LIFETIME_PROCESS, 0, NULL) < 0)
                        return 1;
        }
        return 0;
}

static void test_process_many(void **state)
{
        enum { N = MANY_SHM + MANY_MEMFD };
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct shmb_status *s;
        struct lc_list l;
        uint64_t objects, bytes, t0;
        struct lc_proc p;
        size_t i, mark;
        int n_lines;

        lc_proc_start(&p, &sec_id_creator, many_fn, NULL);
        assert_int_equal(lc_proc_next(&p), 0);
        sec_usage(d, sec_id_creator.uid, &objects, &bytes);
        assert_int_equal(objects, N);
        assert_int_equal(bytes, (uint64_t) N * 4096);
        lc_list_all(d, &l);
        assert_int_equal(l.n, N);
        for (i = 0; i < l.n; i++)
                assert_int_equal(l.v[i].info.lifetime, SHMB_LIFETIME_PROCESS);
        lc_list_done(&l);

        t0 = tl_now_ms();
        mark = harness_daemon_log_mark(d);
        lc_proc_kill(&p, true);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, 2 * LC_REMOVAL_MS);
        print_message("%d objects removed %llu ms after their creator was killed\n", N,
                      (unsigned long long) (tl_now_ms() - t0));
        /* One exit ends them all, and the creator can do it again at once: their lines are
         * client-triggered, at most SEC_LOG_BURST per uid per interval (shmbrokerd(8)). */
        n_lines = harness_daemon_log_count(d, mark, "of uid 41001 removed", NULL);
        if (tl_now_ms() - t0 < SEC_LOG_INTERVAL_MS &&
            (n_lines < 1 || n_lines > SEC_LOG_BURST))
                fail_msg("%d lines about uid 41001's expiries within one interval (at most "
                         "%d)", n_lines, SEC_LOG_BURST);
        s = sec_status(d);
        assert_int_equal(s->n_objects, 0);
        assert_int_equal(s->n_held, 0);
        shmb_status_free(s);
        sec_finish(); /* the object directory is empty, no memfd or pidfd is left open */
}

/* One tracker per process, however many objects and connections: one pidfd. */
static void test_process_one_tracker(void **state)
{
        static const char *const names[] = { "proc-o1", "proc-o2", "lifem-o3" };
        struct harness_daemon *d = lc_start(lc_policy, false);
        size_t i;

        /* The test process itself is the creator here, on a new connection each time. */
        for (i = 0; i < ELEMENTSOF(names); i++)
                assert_int_equal(lc_create(d, &sec_id_creator, names[i], 4096,
                                           SHMB_LIFETIME_PROCESS, 0, NULL), 0);
        /* The memfd holds one fd, the tracker one pidfd. */
        assert_int_equal(harness_daemon_wait_fd_count(d, d->n_fds_start + 2, 3000),
                         d->n_fds_start + 2);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "proc-o1"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "lifem-o3"), 0);
        assert_int_equal(harness_daemon_wait_fd_count(d, d->n_fds_start + 1, 3000),
                         d->n_fds_start + 1);
        /* The last one goes: so does the tracker (sec_finish() checks the baseline). */
        assert_int_equal(sec_unlink(d, &sec_id_creator, "proc-o2"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * Restarts of the daemon (outside a service manager: the creator is found again by pid and
 * checked by its pidfs inode; test-systemd.c has the fd store's way)
 */

static void restart_creator_alive(bool kill)
{
        static const char *const names[] = { "proc-r1", NULL };
        static const char *const later[] = { "proc-r2", NULL };
        const struct creator_args a = { .names = names, .later = later };
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct lc_proc p;

        start_creator(&p, &a);
        d = lc_restart(lc_policy, kill);
        assert_process_object(d, "proc-r1");
        /* The same process creates again, after the restart: one tracker for both. */
        lc_proc_step(&p);
        assert_int_equal(lc_proc_next(&p), 0);
        assert_process_object(d, "proc-r2");
        lc_proc_release(&p);
        (void) lc_wait_gone(d, "proc-r1", LC_REMOVAL_MS);
        (void) lc_wait_gone(d, "proc-r2", LC_REMOVAL_MS);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        baseline_without_creator(d);
        sec_finish();
}

static void test_process_restart_alive_sigterm(void **state)
{
        restart_creator_alive(false);
}

static void test_process_restart_alive_sigkill(void **state)
{
        restart_creator_alive(true);
}

/*
 * The daemon is SIGKILLed; while it is down one creator is killed and reaped, another killed
 * and left a zombie, a third lives on. At start, the first two's objects are removed (before
 * the daemon serves anyone), the third's stays until its creator exits.
 */
static void test_process_restart_creator_died(void **state)
{
        static const char *const n1[] = { "proc-d1", NULL };
        static const char *const n2[] = { "proc-d2", NULL };
        static const char *const n3[] = { "proc-d3", NULL };
        const struct creator_args a1 = { .names = n1 }, a2 = { .names = n2 },
                                  a3 = { .names = n3 };
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct lc_proc p1, p2, p3;
        uint64_t objects, bytes;

        start_creator(&p1, &a1);
        start_creator(&p2, &a2);
        start_creator(&p3, &a3);
        lc_kill_daemon();
        lc_proc_kill(&p1, true);
        lc_proc_kill(&p2, false);
        d = lc_start_again(lc_policy);

        /* At once: the daemon ends these lives before it listens. */
        assert_false(lc_exists(d, "proc-d1"));
        assert_false(lc_exists(d, "proc-d2"));
        assert_process_object(d, "proc-d3");
        assert_int_equal(harness_shm_entries(d, NULL, 0), 1);
        sec_usage(d, sec_id_creator.uid, &objects, &bytes);
        assert_int_equal(objects, 1);
        assert_int_equal(bytes, 4096);
        lc_expect_log(d, 0, "2 object(s) removed at start", NULL, 1000);
        lc_expect_log(d, 0, "audit: uid=41001", "expire 'proc-d1'", 1000);
        lc_expect_log(d, 0, "audit: uid=41001", "expire 'proc-d2'", 1000);

        lc_proc_reap(&p2);
        lc_proc_release(&p3);
        (void) lc_wait_gone(d, "proc-d3", LC_REMOVAL_MS);
        baseline_without_creator(d);
        sec_finish();
}

/*
 * The creator dies while the daemon is down and its pid is given to another process before the
 * daemon starts again: that process is not the creator (its pidfs inode differs), so the
 * object goes at start, not when the stranger exits. The pid is handed out on purpose through
 * /proc/sys/kernel/ns_last_pid (another process forking at that moment can take it: retried).
 */
static int idle_fn(struct lc_proc *p, void *userdata)
{
        return 0;
}

static bool start_with_pid(struct lc_proc *p, pid_t want)
{
        char text[32];
        int tries;

        for (tries = 0; tries < 50; tries++) {
                snprintf(text, sizeof(text), "%d", (int) want - 1);
                if (tl_write_text("/proc/sys/kernel/ns_last_pid", text) < 0)
                        return false;
                lc_proc_start(p, &sec_id_outsider, idle_fn, NULL);
                if (p->pid == want)
                        return true;
                lc_proc_release(p);
        }
        return false;
}

static void test_process_restart_pid_reused(void **state)
{
        static const char *const names[] = { "proc-reuse", NULL };
        const struct creator_args a = { .names = names };
        struct harness_daemon *d = lc_start(lc_policy, false);
        struct lc_proc p, q;
        pid_t pid;

        start_creator(&p, &a);
        pid = p.pid;
        lc_kill_daemon();
        lc_proc_kill(&p, true);
        if (!start_with_pid(&q, pid))
                sec_skip("could not get pid %d again for another process", (int) pid);
        assert_int_equal(lc_proc_next(&q), 0);
        d = lc_start_again(lc_policy);
        if (lc_exists(d, "proc-reuse"))
                fail_msg("'proc-reuse' kept at start: its creator's pid %d now belongs to "
                         "another process, taken for the creator", (int) pid);
        lc_proc_release(&q);
        sec_finish();
}

/* A reload leaves a process object without a rule (an orphan): its lifetime still ends it. */
static void test_process_orphan(void **state)
{
        static const char *const names[] = { "proc-orphan", NULL };
        const struct creator_args a = { .names = names };
        struct harness_daemon *d = lc_start(lc_policy, false);
        _cleanup_(freep) char *no_proc = NULL;
        struct shmb_stat st;
        struct lc_proc p;
        const char *rule;

        start_creator(&p, &a);
        /* The same policy without [Segment proc]. */
        no_proc = strdup(lc_policy);
        assert_non_null(no_proc);
        rule = strstr(no_proc, "[Segment proc]");
        assert_non_null(rule);
        memmove((char *) rule, strstr(rule, "[Segment span]"),
                strlen(strstr(rule, "[Segment span]")) + 1);
        reg_reload(d, no_proc);
        assert_int_equal(lc_stat(d, "proc-orphan", &st), 0);
        assert_int_equal(st.flags & SHMB_OBJ_ORPHAN, SHMB_OBJ_ORPHAN);
        assert_int_equal(st.lifetime, SHMB_LIFETIME_PROCESS);
        lc_proc_release(&p);
        (void) lc_wait_gone(d, "proc-orphan", LC_REMOVAL_MS);
        lc_wait_usage(d, sec_id_creator.uid, 0, 0, LC_REMOVAL_MS);
        sec_finish();
}

const struct CMUnitTest lc_tests_process[] = {
        LC_TEST(test_process_exit),
        LC_TEST(test_process_sigkill_held),
        LC_TEST(test_process_connection_closed),
        LC_TEST(test_process_exec),
        LC_TEST(test_process_thread),
        LC_TEST(test_process_fork_parent_exits),
        LC_TEST(test_process_fork_child_creates),
        LC_TEST(test_process_many),
        LC_TEST(test_process_one_tracker),
        LC_TEST(test_process_restart_alive_sigterm),
        LC_TEST(test_process_restart_alive_sigkill),
        LC_TEST(test_process_restart_creator_died),
        LC_TEST(test_process_restart_pid_reused),
        LC_TEST(test_process_orphan),
};
const size_t lc_n_tests_process = ELEMENTSOF(lc_tests_process);
