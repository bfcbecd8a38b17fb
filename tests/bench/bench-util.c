/* SPDX-License-Identifier: MIT */
/*
 * bench-util.c - clocks, statistics, a private shmbrokerd, client processes, the machine's
 * description and JSON helpers for shmb-bench. Knows nothing of what is measured.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"
#include "naive-broker.h"

#define TIMEOUT_MS 10000
#define MAX_DAEMONS 8

volatile int bench_interrupted;

static void on_signal(int sig)
{
        bench_interrupted = sig;
}

void bench_install_signals(void)
{
        struct sigaction sa = { .sa_handler = on_signal };

        /* No SA_RESTART: a blocking call returns EINTR, and the loop sees the flag. */
        sigemptyset(&sa.sa_mask);
        (void) sigaction(SIGINT, &sa, NULL);
        (void) sigaction(SIGTERM, &sa, NULL);
        (void) sigaction(SIGHUP, &sa, NULL);
        (void) signal(SIGPIPE, SIG_IGN);
}

/* Unlike tl_sleep_ms(), a signal ends the sleep early: the loops then see bench_interrupted. */
void bench_sleep_ms(unsigned ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000 };

        (void) nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- statistics */

static int cmp_u32(const void *a, const void *b)
{
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

        return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples. */
static double percentile_us(const uint32_t *s, size_t n, double p)
{
        size_t k;

        if (n == 0)
                return NAN;
        k = (size_t) ceil(p / 100.0 * (double) n);
        if (k > 0)
                k--;
        if (k >= n)
                k = n - 1;
        return s[k] / 1000.0;
}

void bench_stats_compute(uint32_t *samples, size_t n, struct bench_stats *ret)
{
        double sum = 0;
        size_t i;

        *ret = (struct bench_stats) { .n = n, .median_us = NAN, .p99_us = NAN, .mean_us = NAN };
        if (n == 0)
                return;
        qsort(samples, n, sizeof(*samples), cmp_u32);
        for (i = 0; i < n; i++)
                sum += samples[i];
        ret->median_us = percentile_us(samples, n, 50);
        ret->p99_us = percentile_us(samples, n, 99);
        ret->mean_us = sum / (double) n / 1000.0;
}

/* ---------------------------------------------------------------- daemons */

static struct bench_daemon *daemons[MAX_DAEMONS];

static void print_file(const char *path, const char *title)
{
        char buf[4096];
        size_t n;
        FILE *f = fopen(path, "re");

        if (!f)
                return;
        fprintf(stderr, "---- %s (%s) ----\n", title, path);
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
                fwrite(buf, 1, n, stderr);
        fprintf(stderr, "---- end ----\n");
        fclose(f);
}

static void daemon_forget(struct bench_daemon *d)
{
        size_t i;

        for (i = 0; i < MAX_DAEMONS; i++)
                if (daemons[i] == d)
                        daemons[i] = NULL;
}

static void daemon_free(struct bench_daemon *d)
{
        daemon_forget(d);
        tl_daemon_dirs_remove(&d->dirs);
        free(d);
}

static const char *daemon_what(const struct bench_daemon *d)
{
        return d->naive ? "naive-broker" : "shmbrokerd";
}

/* shmbrokerd's --kept-fds, when shmb-bench was given one; else the daemon's default. */
static const char *kept_fds;

/* Runs the daemon of @d on its directories and waits until its socket accepts. */
static int daemon_run(struct bench_daemon *d, uint64_t *ret_ns)
{
        char *const broker_argv[] = {
                (char *) d->bin, (char *) "--socket", d->dirs.socket_path,
                (char *) "--policy", d->dirs.policy_path,
                (char *) "--shm-dir", d->dirs.shm_dir,
                (char *) "--state-dir", d->dirs.state_dir,
                (char *) "--log-level", (char *) "warning",
                (char *) (kept_fds ? "--kept-fds" : NULL), (char *) kept_fds, NULL,
        };
        char *const naive_argv[] = { (char *) d->bin, d->dirs.socket_path, NULL };
        char *const *argv = d->naive ? naive_argv : broker_argv;
        uint64_t t0 = tl_now_ns(), deadline = t0 + (uint64_t) TIMEOUT_MS * 1000000;
        pid_t pid;
        int r;

        r = tl_daemon_spawn(d->bin, argv, d->dirs.log_path, &pid);
        if (r < 0)
                return r;
        d->pid = pid;
        for (;;) {
                int status;

                if (waitpid(pid, &status, WNOHANG) == pid) {
                        fprintf(stderr, "shmb-bench: %s exited before listening "
                                "(status 0x%x)\n", daemon_what(d), (unsigned) status);
                        print_file(d->dirs.log_path, daemon_what(d));
                        d->pid = -1;
                        return -ECHILD;
                }
                if (tl_socket_accepts(d->dirs.socket_path))
                        break;
                if (tl_now_ns() > deadline || bench_interrupted) {
                        fprintf(stderr, "shmb-bench: %s did not listen on '%s'\n",
                                daemon_what(d), d->dirs.socket_path);
                        return -ETIMEDOUT;
                }
                bench_sleep_ms(1);
        }
        if (ret_ns)
                *ret_ns = tl_now_ns() - t0;
        return 0;
}

static int daemon_start(const char *bin, bool naive, const char *policy,
                        struct bench_daemon **ret)
{
        struct bench_daemon *d;
        size_t slot;
        int r;

        for (slot = 0; slot < MAX_DAEMONS && daemons[slot]; slot++)
                ;
        if (slot == MAX_DAEMONS)
                return -EMFILE;
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->pid = -1;
        d->bin = bin;
        d->naive = naive;
        daemons[slot] = d;
        r = tl_daemon_dirs_make(&d->dirs, naive ? "shmb-bench-naive" : "shmb-bench", policy);
        if (r >= 0)
                r = daemon_run(d, NULL);
        if (r < 0) {
                (void) bench_daemon_stop(d);
                return r;
        }
        *ret = d;
        return 0;
}

void bench_daemon_set_kept_fds(const char *n)
{
        kept_fds = n;
}

int bench_daemon_start(const char *bin, const char *policy, struct bench_daemon **ret)
{
        return daemon_start(bin, false, policy, ret);
}

int bench_naive_start(const char *bin, struct bench_daemon **ret)
{
        return daemon_start(bin, true, "", ret);
}

/* SIGTERM and wait: 0 when it exited 0. */
static int daemon_terminate(struct bench_daemon *d)
{
        uint64_t deadline;
        int status = 0, r = 0;

        if (d->pid <= 0)
                return 0;
        (void) kill(d->pid, SIGTERM);
        deadline = tl_now_ns() + (uint64_t) TIMEOUT_MS * 1000000;
        for (;;) {
                pid_t w = waitpid(d->pid, &status, WNOHANG);

                if (w == d->pid || (w < 0 && errno != EINTR))
                        break;
                if (tl_now_ns() > deadline) {
                        fprintf(stderr, "shmb-bench: %s did not exit on SIGTERM, "
                                "killing it\n", daemon_what(d));
                        (void) kill(d->pid, SIGKILL);
                        (void) waitpid(d->pid, &status, 0);
                        r = -ETIMEDOUT;
                        break;
                }
                bench_sleep_ms(2);
        }
        if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
                fprintf(stderr, "shmb-bench: %s exited with status 0x%x\n",
                        daemon_what(d), (unsigned) status);
                print_file(d->dirs.log_path, daemon_what(d));
                r = -EPROTO;
        }
        d->pid = -1;
        return r;
}

int bench_daemon_stop(struct bench_daemon *d)
{
        int r;

        if (!d)
                return 0;
        r = daemon_terminate(d);
        daemon_free(d);
        return r;
}

int bench_daemon_restart(struct bench_daemon *d, uint64_t *ret_ns)
{
        int r = daemon_terminate(d);

        return r < 0 ? r : daemon_run(d, ret_ns);
}

void bench_daemon_stop_all(void)
{
        size_t i;

        for (i = 0; i < MAX_DAEMONS; i++)
                if (daemons[i])
                        (void) bench_daemon_stop(daemons[i]);
}

long bench_daemon_rss_kib(const struct bench_daemon *d)
{
        return tl_proc_rss_kib(d->pid);
}

int bench_daemon_fd_count(const struct bench_daemon *d)
{
        return tl_proc_fd_count(d->pid);
}

double bench_proc_cpu_seconds(pid_t pid)
{
        unsigned long long utime, stime;
        char path[64], buf[1024], *p;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NAN;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return NAN;
        buf[n] = '\0';
        /* The name (field 2) may hold anything: the fields go on after its last ')'. Then
         * state (3), ppid, pgrp, session, tty_nr, tpgid, flags, minflt, cminflt, majflt,
         * cmajflt (13), utime (14), stime (15). */
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                         &utime, &stime) != 2)
                return NAN;
        return (double) (utime + stime) / (double) sysconf(_SC_CLK_TCK);
}

double bench_proc_wait_seconds(pid_t pid)
{
        struct tl_schedstat st;

        return tl_proc_schedstat(pid, &st) == 0 ? (double) st.wait_ns / 1e9 : NAN;
}

int bench_policy_accepted(const char *bin, const char *policy)
{
        char dir[] = "/tmp/shmb-bench-check.XXXXXX", path[sizeof(dir) + 16];
        int status, r, null_fd;
        pid_t pid;

        if (!mkdtemp(dir))
                return -errno;
        snprintf(path, sizeof(path), "%s/p.conf", dir);
        r = tl_write_text(path, policy);
        if (r < 0)
                goto out;
        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                r = -errno;
                goto out;
        }
        if (pid == 0) {
                null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (null_fd < 0 || dup2(null_fd, STDOUT_FILENO) < 0 ||
                    dup2(null_fd, STDERR_FILENO) < 0)
                        _exit(126);
                execl(bin, bin, "--check-policy", "--policy", path, (char *) NULL);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        r = -errno;
                        goto out;
                }
        r = WIFEXITED(status) && WEXITSTATUS(status) == 0;
out:
        (void) tl_rm_rf(dir);
        return r;
}

/* ---------------------------------------------------------------- the naive broker */

int naive_open(int sock, const char *name, int flags)
{
        char req[1 + NAIVE_NAME_MAX];
        union {
                struct cmsghdr h;
                char b[CMSG_SPACE(sizeof(int))];
        } control;
        int32_t error = 0;
        struct iovec iov = { .iov_base = &error, .iov_len = sizeof(error) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof(control) };
        struct cmsghdr *cm;
        size_t len = strlen(name);
        ssize_t n;
        int fd = -1;

        if (len == 0 || len > NAIVE_NAME_MAX)
                return -EINVAL;
        req[0] = (flags & O_ACCMODE) == O_RDWR ? NAIVE_REQ_RDWR : NAIVE_REQ_RDONLY;
        memcpy(req + 1, name, len);
        if (send(sock, req, 1 + len, MSG_NOSIGNAL) < 0)
                return -errno;
        do
                n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        cm = CMSG_FIRSTHDR(&mh);
        if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
            cm->cmsg_len == CMSG_LEN(sizeof(int)))
                memcpy(&fd, CMSG_DATA(cm), sizeof(int));
        if (n != (ssize_t) sizeof(error) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
            (error == 0) != (fd >= 0) || error < 0) {
                if (fd >= 0)
                        close(fd);
                return n == 0 ? -ECONNRESET : -EBADMSG;
        }
        return error ? -error : fd;
}

/* ---------------------------------------------------------------- client processes */

static int child_ready_fd = -1, child_go_fd = -1;

static void child_wait_go(void)
{
        char c = 1, buf;

        (void) !write(child_ready_fd, &c, 1);
        /* EOF when the parent closes its end: go. */
        while (read(child_go_fd, &buf, 1) < 0 && errno == EINTR)
                ;
}

static int child_become(uid_t uid)
{
        int r;

        if (uid == 0)
                return 0;
        r = tl_become(uid);
        if (r < 0)
                fprintf(stderr, "shmb-bench: child: cannot become uid %u: %s\n",
                        (unsigned) uid, strerror(-r));
        return r;
}

int bench_children_start(size_t n, uid_t uid_base, uid_t uid_step,
                         int (*fn)(size_t i, void *userdata, void (*wait_go)(void)),
                         void *userdata, struct bench_children *ret)
{
        int ready[2], go[2];
        size_t i;

        *ret = (struct bench_children) { .ready_fd = -1, .go_fd = -1 };
        ret->pids = calloc(n, sizeof(pid_t));
        if (!ret->pids)
                return -ENOMEM;
        if (pipe2(ready, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(go, O_CLOEXEC) < 0) {
                close(ready[0]);
                close(ready[1]);
                return -errno;
        }
        fflush(NULL);
        for (i = 0; i < n; i++) {
                pid_t pid = fork();

                if (pid < 0) {
                        int r = -errno;

                        fprintf(stderr, "shmb-bench: fork: %m\n");
                        close(ready[1]);
                        close(go[0]);
                        ret->ready_fd = ready[0];
                        ret->go_fd = go[1];
                        ret->n = i;
                        bench_children_go(ret);
                        (void) bench_children_finish(ret, TIMEOUT_MS);
                        return r;
                }
                if (pid == 0) {
                        int r;

                        (void) signal(SIGINT, SIG_DFL);
                        (void) signal(SIGTERM, SIG_DFL);
                        (void) signal(SIGHUP, SIG_DFL);
                        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                        if (getppid() == 1)
                                _exit(120);
                        close(ready[0]);
                        close(go[1]);
                        child_ready_fd = ready[1];
                        child_go_fd = go[0];
                        r = child_become(uid_base ? uid_base + uid_step * (uid_t) i : 0);
                        if (r < 0)
                                _exit(121);
                        r = fn(i, userdata, child_wait_go);
                        fflush(NULL);
                        _exit(r == 0 ? 0 : r < 0 ? 122 : (r > 255 ? 255 : r));
                }
                ret->pids[i] = pid;
        }
        close(ready[1]);
        close(go[0]);
        ret->ready_fd = ready[0];
        ret->go_fd = go[1];
        ret->n = n;
        return 0;
}

int bench_children_wait_ready(struct bench_children *c, unsigned timeout_ms)
{
        uint64_t deadline = tl_now_ns() + (uint64_t) timeout_ms * 1000000;
        size_t got = 0;

        while (got < c->n) {
                struct pollfd p = { .fd = c->ready_fd, .events = POLLIN };
                uint64_t now = tl_now_ns();
                char buf[256];
                ssize_t k;

                if (bench_interrupted)
                        return -EINTR;
                if (now >= deadline) {
                        fprintf(stderr, "shmb-bench: only %zu of %zu clients ready\n", got,
                                c->n);
                        return -ETIMEDOUT;
                }
                if (poll(&p, 1, (int) ((deadline - now) / 1000000) + 1) <= 0)
                        continue;
                k = read(c->ready_fd, buf, sizeof(buf));
                if (k == 0) {
                        /* Every child closed its end: some exited before getting ready. */
                        fprintf(stderr, "shmb-bench: a client exited during set-up\n");
                        return -ECHILD;
                }
                if (k > 0)
                        got += (size_t) k;
        }
        return 0;
}

void bench_children_go(struct bench_children *c)
{
        if (c->go_fd >= 0)
                close(c->go_fd);
        c->go_fd = -1;
}

int bench_children_finish(struct bench_children *c, unsigned timeout_ms)
{
        uint64_t deadline = tl_now_ns() + (uint64_t) timeout_ms * 1000000;
        size_t i, left = c->n;
        int r = 0;

        bench_children_go(c);
        while (left > 0) {
                bool killed = tl_now_ns() > deadline || bench_interrupted;

                for (i = 0; i < c->n; i++) {
                        int status;
                        pid_t w;

                        if (c->pids[i] <= 0)
                                continue;
                        if (killed)
                                (void) kill(c->pids[i], SIGKILL);
                        w = waitpid(c->pids[i], &status, killed ? 0 : WNOHANG);
                        if (w != c->pids[i])
                                continue;
                        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                                if (!killed)
                                        fprintf(stderr, "shmb-bench: client %zu failed "
                                                "(status 0x%x)\n", i, (unsigned) status);
                                r = -EPROTO;
                        }
                        c->pids[i] = 0;
                        left--;
                }
                if (left > 0)
                        bench_sleep_ms(1);
        }
        if (c->ready_fd >= 0)
                close(c->ready_fd);
        free(c->pids);
        *c = (struct bench_children) { .ready_fd = -1, .go_fd = -1 };
        return r;
}

void *bench_shared_alloc(size_t size)
{
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

        return p == MAP_FAILED ? NULL : p;
}

void bench_shared_free(void *p, size_t size)
{
        if (p)
                (void) munmap(p, size);
}

/* ---------------------------------------------------------------- the machine */

void bench_machine_get(struct bench_machine *m)
{
        struct utsname u;
        char line[512];
        time_t t = time(NULL);
        struct tm tm;
        FILE *f;

        *m = (struct bench_machine) { .cpus = sysconf(_SC_NPROCESSORS_ONLN) };
        strcpy(m->cpu_model, "unknown");
        f = fopen("/proc/cpuinfo", "re");
        if (f) {
                while (fgets(line, sizeof(line), f)) {
                        char *colon = strchr(line, ':');

                        if (strncmp(line, "model name", 10) != 0 || !colon)
                                continue;
                        colon += 1 + strspn(colon + 1, " \t");
                        colon[strcspn(colon, "\n")] = '\0';
                        snprintf(m->cpu_model, sizeof(m->cpu_model), "%s", colon);
                        break;
                }
                fclose(f);
        }
        if (uname(&u) == 0) {
                snprintf(m->kernel, sizeof(m->kernel), "%s %s %s", u.sysname, u.release,
                         u.machine);
                snprintf(m->hostname, sizeof(m->hostname), "%s", u.nodename);
        }
        f = fopen("/proc/meminfo", "re");
        if (f) {
                while (fgets(line, sizeof(line), f))
                        if (strncmp(line, "MemTotal:", 9) == 0) {
                                m->mem_total_mib = strtol(line + 9, NULL, 10) / 1024;
                                break;
                        }
                fclose(f);
        }
        if (gmtime_r(&t, &tm))
                strftime(m->date, sizeof(m->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int bench_cpu_sample(struct bench_cpu *ret)
{
        unsigned long long v[8] = {};
        double hz = (double) sysconf(_SC_CLK_TCK);
        FILE *f = fopen("/proc/stat", "re");
        int n;

        if (!f)
                return -errno;
        n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
        fclose(f);
        if (n < 8)
                return -EIO;
        ret->busy = (double) (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
        ret->total = ret->busy + (double) (v[3] + v[4]) / hz;
        return 0;
}

static double tv_seconds(const struct timeval *tv)
{
        return (double) tv->tv_sec + (double) tv->tv_usec / 1e6;
}

double bench_cpu_self(void)
{
        struct rusage self, children;

        if (getrusage(RUSAGE_SELF, &self) < 0 || getrusage(RUSAGE_CHILDREN, &children) < 0)
                return NAN;
        return tv_seconds(&self.ru_utime) + tv_seconds(&self.ru_stime) +
               tv_seconds(&children.ru_utime) + tv_seconds(&children.ru_stime);
}

/* ---------------------------------------------------------------- JSON */

void bench_json_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (; s && *s; s++) {
                unsigned char ch = (unsigned char) *s;

                if (ch == '"' || ch == '\\')
                        fprintf(f, "\\%c", ch);
                else if (ch < 0x20)
                        fprintf(f, "\\u%04x", ch);
                else
                        fputc(ch, f);
        }
        fputc('"', f);
}

void bench_json_number(FILE *f, double v)
{
        if (isnan(v) || isinf(v))
                fputs("null", f);
        else
                fprintf(f, "%.6g", v);
}
