/* SPDX-License-Identifier: MIT */
/*
 * harness.c - start and stop a real shmbrokerd, and run code and programs as other users.
 *
 * Used by the integration tests only. It knows the daemon's command line and nothing of its
 * insides: what the daemon does is judged through the socket, the object directory and its
 * exit status. Children are forked from a single-threaded test process, so they may use stdio
 * before they _exit() (the usual async-signal-safety rule is about threaded parents).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "macro.h"

/* Undo what cmocka set up in the test process: its crash handlers would longjmp into the
 * test runner inside the child. */
static void child_reset_signals(void)
{
        static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS, SIGPIPE,
                                    SIGALRM, SIGTERM, SIGCHLD };
        sigset_t none;
        size_t i;

        for (i = 0; i < ELEMENTSOF(sigs); i++)
                (void) signal(sigs[i], SIG_DFL);
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In a child: become @id, checking every step (setuid-demystified: never trust a set*id). */
static int child_switch_identity(const struct harness_id *id)
{
        uid_t ru, eu, su;
        gid_t rg, eg, sg;

        if (id->n_groups > HARNESS_GROUPS_MAX) {
                fprintf(stderr, "harness: too many groups\n");
                return -EINVAL;
        }
        if (setgroups(id->n_groups, id->groups) < 0) {
                fprintf(stderr, "harness: setgroups: %m\n");
                return -errno;
        }
        if (setresgid(id->gid, id->gid, id->gid) < 0) {
                fprintf(stderr, "harness: setresgid(%u): %m\n", (unsigned) id->gid);
                return -errno;
        }
        if (setresuid(id->uid, id->uid, id->uid) < 0) {
                fprintf(stderr, "harness: setresuid(%u): %m\n", (unsigned) id->uid);
                return -errno;
        }
        if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
            ru != id->uid || eu != id->uid || su != id->uid ||
            rg != id->gid || eg != id->gid || sg != id->gid) {
                fprintf(stderr, "harness: identity switch to %u:%u did not stick\n",
                        (unsigned) id->uid, (unsigned) id->gid);
                return -EPERM;
        }
        return 0;
}

/*
 * Waits for @pid at most @timeout_ms, then SIGKILLs and reaps it.
 * Return: 0 with *ret_status set, -ETIMEDOUT (killed and reaped), or -errno.
 */
static int wait_bounded(pid_t pid, unsigned timeout_ms, int *ret_status)
{
        uint64_t deadline = tl_now_ms() + timeout_ms;
        int status;

        for (;;) {
                pid_t r = waitpid(pid, &status, WNOHANG);

                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r == pid) {
                        *ret_status = status;
                        return 0;
                }
                if (tl_now_ms() >= deadline)
                        break;
                tl_sleep_ms(5);
        }
        (void) kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        return -ETIMEDOUT;
}

static int write_file(const char *path, const char *a, const char *b, mode_t mode)
{
        _cleanup_(closep) int fd = -1;
        const char *parts[2] = { a, b };
        size_t i;

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
        if (fd < 0)
                return -errno;
        for (i = 0; i < ELEMENTSOF(parts); i++) {
                const char *p = parts[i];
                size_t left = p ? strlen(p) : 0;

                while (left > 0) {
                        ssize_t n = write(fd, p, left);

                        if (n < 0) {
                                if (errno == EINTR)
                                        continue;
                                return -errno;
                        }
                        p += n;
                        left -= (size_t) n;
                }
        }
        if (fchmod(fd, mode) < 0)
                return -errno;
        return 0;
}

static void print_log(const struct harness_daemon *d)
{
        _cleanup_(freep) char *log = harness_daemon_log(d);

        fprintf(stderr, "---- shmbrokerd log (%s) ----\n%s---- end of log ----\n", d->log_path,
                log ? log : "(unreadable)\n");
}

int harness_daemon_fd_count(const struct harness_daemon *d)
{
        return tl_proc_fd_count(d->pid);
}

int harness_daemon_wait_fd_count(const struct harness_daemon *d, int n, unsigned timeout_ms)
{
        uint64_t deadline = tl_now_ms() + timeout_ms;
        int r;

        for (;;) {
                r = harness_daemon_fd_count(d);
                if (r < 0 || r == n || tl_now_ms() >= deadline)
                        return r;
                tl_sleep_ms(10);
        }
}

/* The count, once it has not changed for 100 ms (the probe connection has been closed). */
static int settled_fd_count(const struct harness_daemon *d)
{
        uint64_t deadline = tl_now_ms() + 2000, since = tl_now_ms();
        int last = harness_daemon_fd_count(d), r;

        while (tl_now_ms() < deadline && tl_now_ms() - since < 100) {
                tl_sleep_ms(10);
                r = harness_daemon_fd_count(d);
                if (r != last) {
                        last = r;
                        since = tl_now_ms();
                }
        }
        return last;
}

bool harness_daemon_alive(const struct harness_daemon *d)
{
        siginfo_t si = {};

        if (!d || d->pid <= 0)
                return false;
        /* WNOWAIT: look without reaping, so harness_daemon_stop() still sees the status. */
        if (waitid(P_PID, (id_t) d->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
                return false;
        return si.si_pid == 0;
}

char *harness_daemon_log(const struct harness_daemon *d)
{
        return tl_read_text(d->log_path);
}

const char *harness_shm_path(const struct harness_daemon *d, const char *name)
{
        static char path[PATH_MAX + 256];

        snprintf(path, sizeof(path), "%s/%s", d->shm_dir, name);
        return path;
}

static void daemon_free(struct harness_daemon *d)
{
        if (!d)
                return;
        if (!d->keep_shm_dir) {
                if (d->shm_dir[0])
                        (void) tl_rm_rf(d->shm_dir);
                if (d->state_dir[0])
                        (void) tl_rm_rf(d->state_dir);
        }
        (void) tl_rm_rf(d->run_dir);
        free(d);
}

/* A seccomp filter that makes the resource and openat2 calls fail with EPERM, as systemd's
 * SystemCallFilter=~@resources and RestrictSUIDSGID=yes do. */
static int child_seccomp_deny_resources(void)
{
        struct sock_filter filter[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_setrlimit, 3, 0),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_prlimit64, 2, 0),
#ifdef __NR_openat2
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat2, 1, 0),
#else
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 437, 1, 0),
#endif
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        };
        struct sock_fprog prog = { .len = ELEMENTSOF(filter), .filter = filter };

        return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0 ? -errno : 0;
}

/* In the daemon's child before exec: the limits a test asked for. */
static int child_limit_daemon(const struct harness_daemon_options *opts)
{
        unsigned c;

        if (!opts)
                return 0;
        if (opts->nofile_soft > 0 || opts->nofile_hard > 0) {
                struct rlimit rl = { .rlim_cur = opts->nofile_soft,
                                     .rlim_max = opts->nofile_hard };

                if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
                        fprintf(stderr, "harness: setrlimit(NOFILE): %m\n");
                        return -errno;
                }
        }
        for (c = 0; c < 64; c++)
                if ((opts->capbset_drop & (1ULL << c)) &&
                    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
                        fprintf(stderr, "harness: PR_CAPBSET_DROP(%u): %m\n", c);
                        return -errno;
                }
        if (opts->seccomp_deny_resources && child_seccomp_deny_resources() < 0) {
                fprintf(stderr, "harness: seccomp: %m\n");
                return -errno;
        }
        return 0;
}

static int daemon_spawn(struct harness_daemon *d, const char *bin,
                        const struct harness_daemon_options *opts)
{
        _cleanup_(freep) const char **argv = NULL;
        _cleanup_(closep) int log_fd = -1, null_fd = -1;
        size_t n_extra = 0, n_wrap = 0, i, k = 0;
        pid_t pid;

        while (opts && opts->extra_args && opts->extra_args[n_extra])
                n_extra++;
        while (opts && opts->wrapper && opts->wrapper[n_wrap])
                n_wrap++;
        argv = calloc(10 + n_wrap + n_extra, sizeof(char *));
        if (!argv)
                return -ENOMEM;
        for (i = 0; i < n_wrap; i++)
                argv[k++] = opts->wrapper[i];
        argv[k++] = bin;
        argv[k++] = "--socket";
        argv[k++] = d->socket_path;
        argv[k++] = "--policy";
        argv[k++] = d->policy_path;
        argv[k++] = "--shm-dir";
        argv[k++] = d->shm_dir;
        /* SHMB_TEST_NO_STATE_DIR: for running the suite against a daemon from before the
         * registry (which refuses an unknown option), to show what a regression test catches. */
        if (!getenv("SHMB_TEST_NO_STATE_DIR")) {
                argv[k++] = "--state-dir";
                argv[k++] = d->state_dir;
        }
        for (i = 0; i < n_extra; i++)
                argv[k++] = opts->extra_args[i];
        argv[k] = NULL;

        log_fd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0)
                return -errno;
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null_fd < 0)
                return -errno;

        fflush(NULL);
        if (opts && opts->new_pid_ns)
                /* fork() with CLONE_NEWPID: the child is pid 1 of its own namespace, and the
                 * parent still waits for it like any child. It only execs. */
                pid = (pid_t) syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
        else
                pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                child_reset_signals();
                if (opts && opts->set_umask)
                        (void) umask(opts->umask);
                if (child_limit_daemon(opts) < 0)
                        _exit(126);
                /* Nothing of the test's (or of whoever ran it) leaks into the daemon: as under
                 * a service manager, it starts with 0, 1 and 2 only. */
                (void) syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
                if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
                    dup2(log_fd, STDERR_FILENO) < 0)
                        _exit(126);
                /* Not socket-activated, not under a service manager: --socket decides. */
                tl_unset_service_env();
                /* Log lines go to the log file, not to a journal the test cannot read. */
                (void) unsetenv("JOURNAL_STREAM");
                for (i = 0; opts && opts->env && opts->env[i]; i++)
                        if (putenv((char *) opts->env[i]) < 0)
                                _exit(126);
                execv(argv[0], (char *const *) argv);
                fprintf(stderr, "harness: cannot execute '%s': %m\n", argv[0]);
                _exit(127);
        }
        d->pid = pid;
        return 0;
}

int harness_daemon_start(const char *policy, const struct harness_daemon_options *opts,
                         struct harness_daemon **ret)
{
        const char *bin = getenv("SHMBROKERD");
        struct harness_daemon *d;
        uint64_t deadline;
        int r;

        if (!bin || !bin[0]) {
                fprintf(stderr, "harness: $SHMBROKERD is not set: run this test with "
                        "'make check', which points it at the built daemon\n");
                return -ENOENT;
        }
        if (access(bin, X_OK) < 0) {
                r = -errno;
                fprintf(stderr, "harness: $SHMBROKERD='%s' is not executable: %m\n", bin);
                return r;
        }

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->pid = -1;
        strcpy(d->run_dir, "/tmp/shmb-test.XXXXXX");
        snprintf(d->shm_dir, sizeof(d->shm_dir), "%s/shmb-test.XXXXXX",
                 opts && opts->shm_parent ? opts->shm_parent : "/dev/shm");
        if (!mkdtemp(d->run_dir)) {
                r = -errno;
                d->run_dir[0] = '\0';
                d->shm_dir[0] = '\0';
                goto fail;
        }
        if (opts && opts->shm_dir) {
                snprintf(d->shm_dir, sizeof(d->shm_dir), "%s", opts->shm_dir);
                d->keep_shm_dir = true;
        } else if (!mkdtemp(d->shm_dir)) {
                r = -errno;
                d->shm_dir[0] = '\0';
                goto fail;
        } else if (chmod(d->shm_dir, opts && opts->shm_dir_mode ? opts->shm_dir_mode : 0755) < 0) {
                r = -errno;
                goto fail;
        }
        /* Other test uids must reach the socket; the object directory is the daemon's. */
        if (chmod(d->run_dir, 0755) < 0) {
                r = -errno;
                goto fail;
        }
        if (opts && opts->socket_path)
                snprintf(d->socket_path, sizeof(d->socket_path), "%s", opts->socket_path);
        else
                snprintf(d->socket_path, sizeof(d->socket_path), "%s/socket", d->run_dir);
        snprintf(d->state_dir, sizeof(d->state_dir), "%s.state", d->shm_dir);
        snprintf(d->policy_path, sizeof(d->policy_path), "%s/policy.conf", d->run_dir);
        snprintf(d->log_path, sizeof(d->log_path), "%s/daemon.log", d->run_dir);

        r = write_file(d->policy_path, policy,
                       opts && opts->no_control_rule ? NULL : HARNESS_CONTROL_RULE, 0644);
        if (r < 0)
                goto fail;

        r = daemon_spawn(d, bin, opts);
        if (r < 0)
                goto fail;

        deadline = tl_now_ms() + HARNESS_TIMEOUT_MS;
        for (;;) {
                if (!harness_daemon_alive(d)) {
                        int status = 0;

                        (void) waitpid(d->pid, &status, 0);
                        fprintf(stderr, "harness: shmbrokerd exited before listening "
                                "(status 0x%x)\n", (unsigned) status);
                        print_log(d);
                        d->pid = -1;
                        r = -ECHILD;
                        goto fail;
                }
                if (tl_socket_accepts(d->socket_path))
                        break;
                if (tl_now_ms() >= deadline) {
                        int status;

                        fprintf(stderr, "harness: shmbrokerd did not listen on '%s' within "
                                "%d ms\n", d->socket_path, HARNESS_TIMEOUT_MS);
                        (void) wait_bounded(d->pid, 0, &status);
                        print_log(d);
                        d->pid = -1;
                        r = -ETIMEDOUT;
                        goto fail;
                }
                tl_sleep_ms(10);
        }

        d->n_fds_start = settled_fd_count(d);
        if (d->n_fds_start < 0) {
                r = d->n_fds_start;
                (void) harness_daemon_stop(d);
                return r;
        }
        *ret = d;
        return 0;

fail:
        fprintf(stderr, "harness: starting shmbrokerd failed: %s\n", strerror(-r));
        daemon_free(d);
        return r;
}

int harness_daemon_stop(struct harness_daemon *d)
{
        int status, r;

        if (!d)
                return 0;
        if (d->pid <= 0) {
                daemon_free(d);
                return -EPROTO;
        }
        if (!harness_daemon_alive(d))
                fprintf(stderr, "harness: shmbrokerd (pid %d) died before SIGTERM\n",
                        (int) d->pid);
        else
                (void) kill(d->pid, SIGTERM);

        r = wait_bounded(d->pid, HARNESS_TIMEOUT_MS, &status);
        if (r == -ETIMEDOUT) {
                fprintf(stderr, "harness: shmbrokerd ignored SIGTERM for %d ms, killed\n",
                        HARNESS_TIMEOUT_MS);
                print_log(d);
        } else if (r < 0) {
                fprintf(stderr, "harness: waitpid(shmbrokerd): %s\n", strerror(-r));
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                if (WIFSIGNALED(status))
                        fprintf(stderr, "harness: shmbrokerd died from signal %d\n",
                                WTERMSIG(status));
                else
                        fprintf(stderr, "harness: shmbrokerd exited with status %d\n",
                                WEXITSTATUS(status));
                print_log(d);
                r = -EPROTO;
        }
        d->pid = -1;
        daemon_free(d);
        return r;
}

int harness_run_as(const struct harness_id *id, int (*fn)(void *userdata), void *userdata)
{
        int status, r;
        pid_t pid;

        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return HARNESS_CHILD_FORK_FAILED;
        if (pid == 0) {
                child_reset_signals();
                /* A second bound, in case the parent is gone: die rather than linger. */
                (void) alarm(HARNESS_TIMEOUT_MS / 1000 + 5);
                if (child_switch_identity(id) < 0)
                        _exit(HARNESS_CHILD_SETID_FAILED);
                r = fn(userdata);
                fflush(NULL);
                /* _exit: no atexit handlers of the test runner in the child. */
                _exit(r == 0 ? 0 : (r > 0 && r < 256 ? r : 255));
        }

        r = wait_bounded(pid, HARNESS_TIMEOUT_MS, &status);
        if (r == -ETIMEDOUT) {
                fprintf(stderr, "harness: child (uid %u) did not finish within %d ms, "
                        "killed\n", (unsigned) id->uid, HARNESS_TIMEOUT_MS);
                return HARNESS_CHILD_TIMEOUT;
        }
        if (r < 0)
                return HARNESS_CHILD_FORK_FAILED;
        if (WIFSIGNALED(status)) {
                fprintf(stderr, "harness: child (uid %u) died from signal %d (%s)\n",
                        (unsigned) id->uid, WTERMSIG(status), strsignal(WTERMSIG(status)));
                return HARNESS_CHILD_SIGNALED;
        }
        return WEXITSTATUS(status);
}

void harness_exec_result_done(struct harness_exec_result *r)
{
        if (!r)
                return;
        free(r->out);
        free(r->err);
        *r = (struct harness_exec_result) {};
}

struct buf {
        char *p;
        size_t len;
        size_t cap;
};

/* Reads what is available from @fd into @b. Return: 1 more may come, 0 EOF, -errno. */
static int buf_fill(struct buf *b, int fd)
{
        for (;;) {
                ssize_t n;

                if (b->cap - b->len < 4096) {
                        char *p = realloc(b->p, b->cap + 65536);

                        if (!p)
                                return -ENOMEM;
                        b->p = p;
                        b->cap += 65536;
                }
                n = read(fd, b->p + b->len, b->cap - b->len - 1);
                if (n < 0)
                        return errno == EAGAIN ? 1 : errno == EINTR ? 1 : -errno;
                if (n == 0)
                        return 0;
                b->len += (size_t) n;
        }
}

static char *buf_steal(struct buf *b, size_t *ret_len)
{
        char *p = b->p ? b->p : malloc(1);

        if (p)
                p[b->len] = '\0';
        *ret_len = b->len;
        b->p = NULL;
        return p;
}

static void pipes_close(int p[3][2])
{
        size_t i;

        for (i = 0; i < 3; i++) {
                p[i][0] = safe_close(p[i][0]);
                p[i][1] = safe_close(p[i][1]);
        }
}

int harness_exec(const struct harness_id *id, const char *const *argv, const void *in,
                 size_t in_len, struct harness_exec_result *ret)
{
        int p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
        struct buf out = {}, err = {};
        const uint8_t *inp = in;
        bool out_open = true, err_open = true;
        uint64_t deadline;
        int status = 0, r;
        size_t i;
        pid_t pid;

        /* The child may exit without reading its stdin: see EPIPE, not SIGPIPE. */
        (void) signal(SIGPIPE, SIG_IGN);

        for (i = 0; i < 3; i++)
                if (pipe2(p[i], O_CLOEXEC) < 0) {
                        r = -errno;
                        pipes_close(p);
                        return r;
                }

        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                r = -errno;
                pipes_close(p);
                return r;
        }
        if (pid == 0) {
                child_reset_signals();
                if (dup2(p[0][0], STDIN_FILENO) < 0 || dup2(p[1][1], STDOUT_FILENO) < 0 ||
                    dup2(p[2][1], STDERR_FILENO) < 0)
                        _exit(126);
                if (id && child_switch_identity(id) < 0)
                        _exit(HARNESS_CHILD_SETID_FAILED);
                (void) setenv("LC_ALL", "C", 1);
                execv(argv[0], (char *const *) argv);
                fprintf(stderr, "harness: cannot execute '%s': %m\n", argv[0]);
                _exit(127);
        }

        p[0][0] = safe_close(p[0][0]);
        p[1][1] = safe_close(p[1][1]);
        p[2][1] = safe_close(p[2][1]);
        for (i = 0; i < 3; i++)
                (void) fcntl(p[i][i == 0 ? 1 : 0], F_SETFL, O_NONBLOCK);
        if (!inp || in_len == 0)
                p[0][1] = safe_close(p[0][1]);

        deadline = tl_now_ms() + HARNESS_TIMEOUT_MS;
        r = 0;
        while ((out_open || err_open) && r == 0) {
                struct pollfd pfd[3] = {
                        { .fd = p[0][1], .events = POLLOUT },
                        { .fd = out_open ? p[1][0] : -1, .events = POLLIN },
                        { .fd = err_open ? p[2][0] : -1, .events = POLLIN },
                };
                uint64_t now = tl_now_ms();
                int k;

                if (now >= deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                if (poll(pfd, 3, (int) (deadline - now)) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (pfd[0].revents) {
                        ssize_t n = write(p[0][1], inp, in_len);

                        if (n > 0) {
                                inp += n;
                                in_len -= (size_t) n;
                        }
                        if ((n < 0 && errno != EAGAIN && errno != EINTR) || in_len == 0)
                                p[0][1] = safe_close(p[0][1]);
                }
                if (pfd[1].revents) {
                        k = buf_fill(&out, p[1][0]);
                        if (k < 0)
                                r = k;
                        else if (k == 0)
                                out_open = false;
                }
                if (pfd[2].revents) {
                        k = buf_fill(&err, p[2][0]);
                        if (k < 0)
                                r = k;
                        else if (k == 0)
                                err_open = false;
                }
        }
        pipes_close(p);

        if (r == -ETIMEDOUT) {
                fprintf(stderr, "harness: '%s' did not finish within %d ms, killed\n", argv[0],
                        HARNESS_TIMEOUT_MS);
                (void) wait_bounded(pid, 0, &status);
                status = 0;
        } else {
                int w = wait_bounded(pid, deadline > tl_now_ms() ? deadline - tl_now_ms() : 0,
                                     &status);

                if (w == -ETIMEDOUT)
                        r = -ETIMEDOUT;
                else if (w < 0 && r == 0)
                        r = w;
        }
        if (r < 0 && r != -ETIMEDOUT) {
                free(out.p);
                free(err.p);
                return r;
        }

        *ret = (struct harness_exec_result) {};
        if (r == -ETIMEDOUT)
                ret->status = -ETIMEDOUT;
        else if (WIFSIGNALED(status))
                ret->status = -WTERMSIG(status);
        else
                ret->status = WEXITSTATUS(status);
        ret->out = buf_steal(&out, &ret->out_len);
        ret->err = buf_steal(&err, &ret->err_len);
        free(out.p);
        free(err.p);
        if (!ret->out || !ret->err) {
                harness_exec_result_done(ret);
                return -ENOMEM;
        }
        return 0;
}

int harness_ctl(const struct harness_daemon *d, const struct harness_id *id,
                const char *const *args, const void *in, size_t in_len,
                struct harness_exec_result *ret)
{
        _cleanup_(freep) const char **argv = NULL;
        const char *bin = getenv("SHMBROKERCTL");
        size_t n = 0, i;

        if (!bin || !bin[0]) {
                fprintf(stderr, "harness: $SHMBROKERCTL is not set: run this test with "
                        "'make check'\n");
                return -ENOENT;
        }
        while (args[n])
                n++;
        argv = calloc(n + 4, sizeof(char *));
        if (!argv)
                return -ENOMEM;
        argv[0] = bin;
        argv[1] = "--socket";
        argv[2] = d->socket_path;
        for (i = 0; i < n; i++)
                argv[3 + i] = args[i];
        argv[3 + n] = NULL;
        return harness_exec(id, argv, in, in_len, ret);
}

/* ------------------------------------------------------------------------------------------
 * Added for the security suite
 */

size_t harness_daemon_log_mark(const struct harness_daemon *d)
{
        struct stat st;

        return stat(d->log_path, &st) < 0 ? 0 : (size_t) st.st_size;
}

int harness_daemon_log_count(const struct harness_daemon *d, size_t mark, const char *needle,
                             const char *needle2)
{
        _cleanup_(freep) char *log = harness_daemon_log(d);
        char *line, *end;
        int n = 0;

        if (!log)
                return -EIO;
        if (mark > strlen(log))
                return 0;
        for (line = log + mark; *line; line = end) {
                end = strchr(line, '\n');
                if (end)
                        *end++ = '\0';
                else
                        end = line + strlen(line);
                if (strstr(line, needle) && (!needle2 || strstr(line, needle2)))
                        n++;
        }
        return n;
}

int harness_daemon_wait_log(const struct harness_daemon *d, size_t mark, const char *needle,
                            unsigned timeout_ms)
{
        uint64_t deadline = tl_now_ms() + timeout_ms;

        for (;;) {
                if (harness_daemon_log_count(d, mark, needle, NULL) > 0)
                        return 0;
                if (tl_now_ms() >= deadline)
                        return -ETIMEDOUT;
                tl_sleep_ms(10);
        }
}

int harness_daemon_wait_log_lines(const struct harness_daemon *d, size_t mark, const char *needle,
                                  int n, unsigned timeout_ms)
{
        uint64_t deadline = tl_now_ms() + timeout_ms;
        int k;

        for (;;) {
                k = harness_daemon_log_count(d, mark, needle, NULL);
                if (k < 0 || k >= n || tl_now_ms() >= deadline)
                        return k;
                tl_sleep_ms(5);
        }
}

/* The state letter of /proc/PID/stat, or 0. */
static char proc_state(pid_t pid)
{
        char path[64], buf[512], *p;
        _cleanup_(closep) int fd = -1;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        p = strrchr(buf, ')');
        return p && p[1] == ' ' ? p[2] : 0;
}

int harness_daemon_pause(const struct harness_daemon *d)
{
        uint64_t deadline = tl_now_ms() + HARNESS_TIMEOUT_MS;

        if (kill(d->pid, SIGSTOP) < 0)
                return -errno;
        while (proc_state(d->pid) != 'T') {
                if (tl_now_ms() >= deadline)
                        return -ETIMEDOUT;
                tl_sleep_ms(1);
        }
        return 0;
}

int harness_daemon_resume(const struct harness_daemon *d)
{
        return kill(d->pid, SIGCONT) < 0 ? -errno : 0;
}

int harness_shm_entries(const struct harness_daemon *d, char *names, size_t size)
{
        struct dirent *de;
        size_t len = 0;
        DIR *dir;
        int n = 0;

        if (names && size > 0)
                names[0] = '\0';
        dir = opendir(d->shm_dir);
        if (!dir)
                return -errno;
        while ((de = readdir(dir))) {
                char path[PATH_MAX + 300];

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                /* The daemon's own directory for removals, empty between requests, is not an
                 * entry; anything left in it is. */
                snprintf(path, sizeof(path), "%s/%s", d->shm_dir, de->d_name);
                if (strncmp(de->d_name, HARNESS_TRASH_PREFIX, strlen(HARNESS_TRASH_PREFIX)) == 0 &&
                    tl_dir_count(path) == 0)
                        continue;
                n++;
                if (names && len + strlen(de->d_name) + 3 < size)
                        len += (size_t) snprintf(names + len, size - len, "%s'%s'",
                                                 len ? ", " : "", de->d_name);
        }
        (void) closedir(dir);
        return n;
}

int harness_proc_status(pid_t pid, pid_t tid, const char *field, char *buf, size_t size)
{
        char path[96], line[1024];
        size_t flen = strlen(field);
        FILE *f;
        int r = -ENOENT;

        if (tid > 0)
                snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int) pid, (int) tid);
        else
                snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char *v;

                if (strncmp(line, field, flen) != 0 || line[flen] != ':')
                        continue;
                v = line + flen + 1;
                v += strspn(v, " \t");
                v[strcspn(v, "\n")] = '\0';
                snprintf(buf, size, "%s", v);
                r = 0;
                break;
        }
        (void) fclose(f);
        return r;
}

static gid_t become_saved_groups[HARNESS_GROUPS_MAX * 2];
static int become_saved_n = -1;
static gid_t become_saved_egid;

int harness_become(const struct harness_id *id)
{
        int r;

        if (become_saved_n >= 0) {
                fprintf(stderr, "harness: harness_become() nested\n");
                abort();
        }
        become_saved_n = getgroups(ELEMENTSOF(become_saved_groups), become_saved_groups);
        if (become_saved_n < 0)
                return -errno;
        become_saved_egid = getegid();
        if (setgroups(id->n_groups, id->groups) < 0 || setresgid(-1, id->gid, -1) < 0 ||
            setresuid(-1, id->uid, -1) < 0) {
                r = -errno;
                fprintf(stderr, "harness: cannot become %u:%u: %m\n", (unsigned) id->uid,
                        (unsigned) id->gid);
                harness_unbecome();
                return r;
        }
        return 0;
}

void harness_unbecome(void)
{
        /* Back to euid 0 first: that restores the effective capabilities needed for the rest. */
        if (setresuid(-1, 0, -1) < 0 || setresgid(-1, become_saved_egid, -1) < 0 ||
            setgroups((size_t) (become_saved_n < 0 ? 0 : become_saved_n),
                      become_saved_groups) < 0 ||
            geteuid() != 0) {
                fprintf(stderr, "harness: cannot go back to root: %m\n");
                abort();
        }
        become_saved_n = -1;
}

int harness_connect_as(const char *path, int type, const struct harness_id *id)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timeval tv = { .tv_sec = 5 };
        _cleanup_(closep) int fd = -1;
        int r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
                return -errno;
        if (id) {
                r = harness_become(id);
                if (r < 0)
                        return r;
        }
        r = connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ? -errno : 0;
        if (id)
                harness_unbecome();
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}

/* ------------------------------------------------------------------------------------------
 * Waiting on what a process is doing
 */

long harness_proc_syscall(pid_t pid, pid_t tid)
{
        char path[96], buf[256], *end;
        _cleanup_(closep) int fd = -1;
        ssize_t n;
        long nr;

        if (tid > 0)
                snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall", (int) pid, (int) tid);
        else
                snprintf(path, sizeof(path), "/proc/%d/syscall", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        /* "running", "-1 SP PC" (blocked, but not in a system call: a stop, a page fault), or
         * "NR ARG1 ... ARG6 SP PC". */
        if (strncmp(buf, "running", 7) == 0)
                return -EBUSY;
        errno = 0;
        nr = strtol(buf, &end, 10);
        if (errno != 0 || end == buf)
                return -EIO;
        return nr < 0 ? -EBUSY : nr;
}

/* Waits until @pid is blocked in one of the @n system calls @nrs; *ret_last is what was seen
 * last. */
static int wait_syscall_in(pid_t pid, const long *nrs, size_t n, unsigned timeout_ms,
                           long *ret_last)
{
        uint64_t deadline = tl_now_ms() + timeout_ms;
        size_t i;
        long r;

        for (;;) {
                r = harness_proc_syscall(pid, 0);
                *ret_last = r;
                for (i = 0; r >= 0 && i < n; i++)
                        if (r == nrs[i])
                                return 0;
                if (r < 0 && r != -EBUSY)
                        return (int) r;
                if (tl_now_ms() >= deadline)
                        return -ETIMEDOUT;
                tl_sleep_ms(1);
        }
}

int harness_wait_syscall(pid_t pid, long nr, unsigned timeout_ms)
{
        long last;

        return wait_syscall_in(pid, &nr, 1, timeout_ms, &last);
}

/*
 * Seen asleep in epoll_wait() is not yet idle: a wakeup already sent to a sleeper whose CPU
 * has not finished switching away from it is queued for that CPU, and the sleeper's state
 * says "asleep" until the CPU takes it, which a virtual machine can delay by milliseconds
 * (try_to_wake_up(), ttwu_queue_wakelist()). So the daemon must be seen there twice, this
 * long apart, without having been on a CPU in between.
 */
#define IDLE_CONFIRM_MS 20

int harness_daemon_wait_idle(const struct harness_daemon *d, unsigned timeout_ms)
{
        static const long epoll_waits[] = {
#ifdef SYS_epoll_wait
                SYS_epoll_wait,
#endif
#ifdef SYS_epoll_pwait2
                SYS_epoll_pwait2,
#endif
                SYS_epoll_pwait,
        };
        uint64_t deadline = tl_now_ms() + timeout_ms;
        struct tl_schedstat before, after;
        long last;
        int r;

        for (;;) {
                uint64_t now = tl_now_ms();

                r = wait_syscall_in(d->pid, epoll_waits, ELEMENTSOF(epoll_waits),
                                    now < deadline ? (unsigned) (deadline - now) : 0, &last);
                if (r < 0)
                        break;
                r = tl_proc_schedstat(d->pid, &before);
                if (r == -ENOENT)
                        return 0; /* no schedstat (CONFIG_SCHED_INFO): one look it is */
                if (r < 0)
                        return r;
                tl_sleep_ms(IDLE_CONFIRM_MS);
                if (harness_proc_syscall(d->pid, 0) == last &&
                    tl_proc_schedstat(d->pid, &after) == 0 && after.count == before.count)
                        return 0;
                if (tl_now_ms() >= deadline) {
                        r = -ETIMEDOUT;
                        last = -EBUSY;
                        break;
                }
        }
        if (r == -ETIMEDOUT) {
                if (last == -EBUSY)
                        fprintf(stderr, "harness: shmbrokerd (pid %d) not idle after %u ms: "
                                "last seen running\n", (int) d->pid, timeout_ms);
                else
                        fprintf(stderr, "harness: shmbrokerd (pid %d) not idle after %u ms: "
                                "last seen in system call %ld\n", (int) d->pid, timeout_ms,
                                last);
        }
        return r;
}

int harness_wait_exit(pid_t pid, unsigned timeout_ms)
{
        _cleanup_(closep) int pidfd = -1;
        struct pollfd p;
        int r;

        /* A pidfd (Linux 5.3) becomes readable when the process exits. */
        pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                return -errno;
        p = (struct pollfd) { .fd = pidfd, .events = POLLIN };
        do
                r = poll(&p, 1, (int) timeout_ms);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return -errno;
        return r == 0 ? -ETIMEDOUT : 0;
}

int harness_daemon_wait_exit(const struct harness_daemon *d, unsigned timeout_ms)
{
        if (!d || d->pid <= 0)
                return -ESRCH;
        return harness_wait_exit(d->pid, timeout_ms);
}
