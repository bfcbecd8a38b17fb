/* SPDX-License-Identifier: MIT */
/*
 * lifecycle.c - shared pieces of the lifecycle suite; see lifecycle.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lifecycle.h"
#include "macro.h"

const char lc_policy[] =
        "[Quota]\n"
        "MaxObjectsPerUser=4096\n"
        "\n"
        "[Segment life]\n"
        "Names=life-*\n"
        "Create=41001\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=1M\n"
        "\n"
        "[Segment lifem]\n"
        "Names=lifem-*\n"
        "Create=41001\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=1M\n"
        "Backend=memfd\n"
        "\n"
        "[Segment proc]\n"
        "Names=proc-*\n"
        "Create=41001\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=1M\n"
        "Lifetime=process\n"
        "\n"
        "[Segment span]\n"
        "Names=span-*\n"
        "Create=41001\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=1M\n"
        "Lifetime=1h\n"
        "\n"
        "[Segment priv]\n"
        "Names=priv-*\n"
        "Create=41002\n"
        "ReadWrite=41002\n"
        "Owner=41002\n"
        "Group=42002\n"
        "Mode=0600\n"
        "MaxSize=1M\n";

/* ------------------------------------------------------------------------------------------
 * The case's daemon
 */

static const char *const lc_args[] = { "--idle-timeout", "31536000", NULL };
static struct harness_daemon_options lc_opts;
static char lc_objects[PATH_MAX];
static char lc_socket_dir[64], lc_socket[96];
static bool lc_fakeclock;
/* Daemons started in this case: a process started under an earlier one had its pipes
 * counted in the current daemon's baseline of the test process's fds. */
static unsigned lc_generation;

struct harness_daemon *lc_start(const char *policy, bool fakeclock)
{
        return lc_start_env(policy, fakeclock, NULL);
}

struct harness_daemon *lc_start_env(const char *policy, bool fakeclock,
                                    const char *const *env)
{
        /* One socket path for the whole case: processes forked before a restart connect to
         * the daemon after it. */
        snprintf(lc_socket_dir, sizeof(lc_socket_dir), "/tmp/shmb-lc.XXXXXX");
        assert_non_null(mkdtemp(lc_socket_dir));
        assert_int_equal(chmod(lc_socket_dir, 0755), 0);
        sec_remove_later(lc_socket_dir);
        snprintf(lc_socket, sizeof(lc_socket), "%s/socket", lc_socket_dir);
        lc_opts = (struct harness_daemon_options) { .extra_args = lc_args,
                                                    .socket_path = lc_socket, .env = env };
        assert_true(!fakeclock || !env);
        lc_fakeclock = fakeclock;
        lc_objects[0] = '\0';
        lc_generation++;
        if (fakeclock) {
                struct harness_daemon *d;

                lc_opts.env = sec_fakeclock_env();
                d = sec_start(policy, &lc_opts);
                sec_assert_fakeclock(d);
                return d;
        }
        return sec_start(policy, &lc_opts);
}

/* The object directory (and the state directory beside it) outlive the daemon; teardown
 * removes them. */
static void keep_dirs(struct harness_daemon *d)
{
        if (!d->keep_shm_dir) {
                snprintf(lc_objects, sizeof(lc_objects), "%s", d->shm_dir);
                d->keep_shm_dir = true;
                sec_remove_later(lc_objects);
        }
}

void lc_kill_daemon(void)
{
        struct harness_daemon *d = sec_daemon();

        assert_non_null(d);
        keep_dirs(d);
        reg_kill(d);
        sec_forget_killed();
}

struct harness_daemon *lc_start_again(const char *policy)
{
        struct harness_daemon_options opts = lc_opts;
        struct harness_daemon *d;

        assert_true(lc_objects[0] != '\0');
        opts.shm_dir = lc_objects;
        lc_generation++;
        d = sec_start(policy, &opts);
        if (lc_fakeclock)
                sec_assert_fakeclock(d);
        return d;
}

struct harness_daemon *lc_restart(const char *policy, bool by_sigkill)
{
        struct harness_daemon *d = sec_daemon();
        siginfo_t si = {};

        assert_non_null(d);
        if (by_sigkill) {
                lc_kill_daemon();
                return lc_start_again(policy);
        }
        keep_dirs(d);
        sec_assert_serving(d);
        assert_int_equal(kill(d->pid, SIGTERM), 0);
        assert_int_equal(harness_daemon_wait_exit(d, HARNESS_TIMEOUT_MS), 0);
        assert_int_equal(waitid(P_PID, (id_t) d->pid, &si, WEXITED | WNOWAIT), 0);
        if (si.si_code != CLD_EXITED || si.si_status != 0)
                fail_msg("shmbrokerd did not exit 0 on SIGTERM (code %d, status %d)",
                         si.si_code, si.si_status);
        sec_forget_killed();
        return lc_start_again(policy);
}

void lc_advance(uint64_t usec)
{
        assert_true(lc_fakeclock);
        sec_fakeclock_advance(usec);
}

void lc_advance_ticked(const struct harness_daemon *d, uint64_t usec)
{
        static unsigned n;
        char name[32];

        assert_true(usec > LC_MIN);
        snprintf(name, sizeof(name), "life-tick-%u", n++);
        assert_int_equal(lc_create(d, &sec_id_creator, name, 4096, SHMB_LIFETIME_SPAN, LC_MIN,
                                   NULL), 0);
        lc_advance(usec);
        (void) lc_wait_gone(d, name, LC_REMOVAL_MS);
}

/* ------------------------------------------------------------------------------------------
 * Requests
 */

int lc_create(const struct harness_daemon *d, const struct harness_id *id, const char *name,
              uint64_t size, uint32_t lifetime, uint64_t span_usec, int *ret_reason)
{
        struct shmb_client *c = sec_client(d, id);
        struct shmb_create_opts o = {
                .flags = size == 0 ? SHMB_CREATE_UNSIZED : 0,
                .lifetime = lifetime,
                .lifetime_usec = span_usec,
        };
        int r;

        r = shmb_create2(c, name, size, SHMB_ACCESS_NONE, &o, NULL, NULL);
        if (ret_reason)
                *ret_reason = shmb_client_last_reason(c);
        shmb_client_free(c);
        return r;
}

int lc_stat(const struct harness_daemon *d, const char *name, struct shmb_stat *ret)
{
        struct shmb_client *c = sec_client(d, &sec_id_root);
        struct shmb_stat st;
        int r;

        r = shmb_stat2(c, name, SHMB_STAT_ALL, ret ? ret : &st);
        shmb_client_free(c);
        return r;
}

bool lc_exists(const struct harness_daemon *d, const char *name)
{
        int r = lc_stat(d, name, NULL);

        if (r < 0 && r != -ENOENT)
                fail_msg("stat '%s' as root: %s", name, strerror(-r));
        return r == 0;
}

static void print_log_tail(const struct harness_daemon *d)
{
        _cleanup_(freep) char *log = harness_daemon_log(d);
        size_t len = log ? strlen(log) : 0;

        fprintf(stderr, "---- daemon log (end) ----\n%s---- end ----\n",
                log ? log + (len > 4000 ? len - 4000 : 0) : "(unreadable)\n");
}

int lc_wait_gone_or(const struct harness_daemon *d, const char *name, unsigned timeout_ms)
{
        uint64_t t0 = tl_now_ms();

        while (lc_exists(d, name)) {
                if (tl_now_ms() - t0 >= timeout_ms)
                        return -ETIMEDOUT;
                tl_sleep_ms(10); /* polling for the daemon's state, not waiting for time */
        }
        return (int) (tl_now_ms() - t0);
}

unsigned lc_wait_gone(const struct harness_daemon *d, const char *name, unsigned timeout_ms)
{
        int r = lc_wait_gone_or(d, name, timeout_ms);

        if (r < 0) {
                print_log_tail(d);
                fail_msg("'%s' is still there after %u ms", name, timeout_ms);
        }
        return (unsigned) r;
}

void lc_wait_usage(const struct harness_daemon *d, uid_t uid, uint64_t objects, uint64_t bytes,
                   unsigned timeout_ms)
{
        uint64_t t0 = tl_now_ms(), o, b;

        for (;;) {
                sec_usage(d, uid, &o, &b);
                if (o == objects && b == bytes)
                        return;
                if (tl_now_ms() - t0 >= timeout_ms) {
                        print_log_tail(d);
                        fail_msg("uid %u is charged %llu objects and %llu bytes after %u ms, "
                                 "not %llu and %llu", (unsigned) uid, (unsigned long long) o,
                                 (unsigned long long) b, timeout_ms,
                                 (unsigned long long) objects, (unsigned long long) bytes);
                }
                tl_sleep_ms(10); /* polling */
        }
}

static int list_cb(const struct shmb_object_info *info, void *userdata)
{
        struct lc_list *l = userdata;
        struct lc_obj *v = realloc(l->v, (l->n + 1) * sizeof(*v));

        if (!v)
                return -ENOMEM;
        l->v = v;
        v = &l->v[l->n++];
        snprintf(v->name, sizeof(v->name), "%s", info->name);
        snprintf(v->rule, sizeof(v->rule), "%s", info->rule);
        v->info = *info;
        v->info.app = "";
        return 0;
}

void lc_list_all(const struct harness_daemon *d, struct lc_list *ret)
{
        struct shmb_client *c = sec_client(d, &sec_id_root);
        size_t i;
        int r;

        *ret = (struct lc_list) {};
        r = shmb_list_details(c, SHMB_LIST_ALL, list_cb, ret);
        shmb_client_free(c);
        if (r < 0)
                fail_msg("list details as root: %s", strerror(-r));
        assert_int_equal((size_t) r, ret->n);
        for (i = 0; i < ret->n; i++) {
                ret->v[i].info.name = ret->v[i].name;
                ret->v[i].info.rule = ret->v[i].rule;
        }
}

const struct lc_obj *lc_list_find(const struct lc_list *l, const char *name)
{
        size_t i;

        for (i = 0; i < l->n; i++)
                if (strcmp(l->v[i].name, name) == 0)
                        return &l->v[i];
        return NULL;
}

void lc_list_done(struct lc_list *l)
{
        free(l->v);
        *l = (struct lc_list) {};
}

void lc_expect_log(const struct harness_daemon *d, size_t mark, const char *a, const char *b,
                   unsigned timeout_ms)
{
        uint64_t t0 = tl_now_ms();

        while (harness_daemon_log_count(d, mark, a, b) <= 0) {
                if (tl_now_ms() - t0 >= timeout_ms) {
                        print_log_tail(d);
                        fail_msg("no log line with '%s'%s%s%s", a, b ? " and '" : "",
                                 b ? b : "", b ? "'" : "");
                }
                tl_sleep_ms(10); /* polling the log */
        }
}

/* ------------------------------------------------------------------------------------------
 * Processes
 */

#define LC_PROCS_MAX 64
static pid_t live[LC_PROCS_MAX];

static void live_add(pid_t pid)
{
        size_t i;

        for (i = 0; i < LC_PROCS_MAX; i++)
                if (live[i] == 0) {
                        live[i] = pid;
                        return;
                }
        fail_msg("more than %d processes in one case", LC_PROCS_MAX);
}

static void live_forget(pid_t pid)
{
        size_t i;

        for (i = 0; i < LC_PROCS_MAX; i++)
                if (live[i] == pid)
                        live[i] = 0;
}

/* In a child: become @id, checking that it stuck. */
static int child_become(const struct harness_id *id)
{
        uid_t ru, eu, su;
        gid_t rg, eg, sg;

        if (setgroups(id->n_groups, id->groups) < 0 ||
            setresgid(id->gid, id->gid, id->gid) < 0 ||
            setresuid(id->uid, id->uid, id->uid) < 0)
                return -errno;
        if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
            ru != id->uid || eu != id->uid || su != id->uid ||
            rg != id->gid || eg != id->gid || sg != id->gid)
                return -EPERM;
        return 0;
}

/* Closes every fd from 3 on but @a and @b. */
static void close_all_but(int a, int b)
{
        int lo = a < b ? a : b, hi = a < b ? b : a;

        if (lo > 3)
                (void) close_range(3, (unsigned) lo - 1, 0);
        if (hi > lo + 1)
                (void) close_range((unsigned) lo + 1, (unsigned) hi - 1, 0);
        (void) close_range((unsigned) hi + 1, ~0u, 0);
}

void lc_proc_start(struct lc_proc *p, const struct harness_id *id,
                   int (*fn)(struct lc_proc *p, void *userdata), void *userdata)
{
        int rep[2], step[2];
        pid_t pid;

        assert_int_equal(pipe2(rep, O_CLOEXEC), 0);
        assert_int_equal(pipe2(step, O_CLOEXEC), 0);
        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS,
                                            SIGPIPE, SIGALRM, SIGTERM, SIGCHLD };
                sigset_t none;
                size_t i;
                int r;

                for (i = 0; i < ELEMENTSOF(sigs); i++)
                        (void) signal(sigs[i], SIG_DFL);
                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                /* Only its own ends: a copy of another child's step pipe kept here would
                 * keep that child from ever seeing its release. */
                close_all_but(rep[1], step[0]);
                *p = (struct lc_proc) { .pid = getpid(), .report = -1, .step = -1,
                                        .child_report = rep[1], .child_step = step[0] };
                r = child_become(id);
                if (r < 0) {
                        fprintf(stderr, "lc_proc: cannot become %u: %s\n", (unsigned) id->uid,
                                strerror(-r));
                        _exit(HARNESS_CHILD_SETID_FAILED);
                }
                lc_child_report(p, fn(p, userdata));
                while (lc_child_step(p))
                        ;
                _exit(0);
        }
        (void) close(rep[1]);
        (void) close(step[0]);
        *p = (struct lc_proc) { .pid = pid, .report = rep[0], .step = step[1],
                                .child_report = -1, .child_step = -1,
                                .generation = lc_generation };
        live_add(pid);
}

int64_t lc_proc_next(struct lc_proc *p)
{
        struct pollfd pfd = { .fd = p->report, .events = POLLIN };
        int64_t v;
        ssize_t n;
        int r;

        assert_true(p->report >= 0);
        do
                r = poll(&pfd, 1, HARNESS_TIMEOUT_MS);
        while (r < 0 && errno == EINTR);
        if (r == 0)
                fail_msg("process %d reported nothing within %d ms", (int) p->pid,
                         HARNESS_TIMEOUT_MS);
        n = read(p->report, &v, sizeof(v));
        if (n != (ssize_t) sizeof(v))
                fail_msg("process %d ended without reporting (read: %zd)", (int) p->pid, n);
        return v;
}

void lc_proc_step(struct lc_proc *p)
{
        assert_true(p->step >= 0);
        assert_int_equal(write(p->step, "s", 1), 1);
}

static void close_pipes(struct lc_proc *p)
{
        int n = (p->report >= 0) + (p->step >= 0);

        p->report = safe_close(p->report);
        p->step = safe_close(p->step);
        if (p->generation != lc_generation)
                sec_self_fds_closed(n);
}

void lc_proc_reap(struct lc_proc *p)
{
        int status;
        pid_t r;

        if (p->reaped)
                return;
        assert_int_equal(harness_wait_exit(p->pid, HARNESS_TIMEOUT_MS), 0);
        do
                r = waitpid(p->pid, &status, 0);
        while (r < 0 && errno == EINTR);
        assert_int_equal(r, p->pid);
        p->reaped = true;
        p->status = status;
        live_forget(p->pid);
        close_pipes(p);
}

void lc_proc_release(struct lc_proc *p)
{
        if (p->step >= 0) {
                p->step = safe_close(p->step);
                if (p->generation != lc_generation)
                        sec_self_fds_closed(1);
        }
        lc_proc_reap(p);
        if (!WIFEXITED(p->status) || WEXITSTATUS(p->status) != 0)
                fail_msg("process %d ended with wait status 0x%x, not exit 0", (int) p->pid,
                         p->status);
}

void lc_proc_wait_exit(struct lc_proc *p)
{
        int r = harness_wait_exit(p->pid, HARNESS_TIMEOUT_MS);

        if (r < 0)
                fail_msg("process %d did not exit: %s", (int) p->pid, strerror(-r));
}

void lc_proc_kill(struct lc_proc *p, bool reap)
{
        assert_int_equal(kill(p->pid, SIGKILL), 0);
        lc_proc_wait_exit(p);
        if (reap)
                lc_proc_reap(p);
}

void lc_proc_adopt(struct lc_proc *p, pid_t pid, struct lc_proc *from)
{
        *p = (struct lc_proc) { .pid = pid, .report = from->report, .step = from->step,
                                .child_report = -1, .child_step = -1,
                                .generation = from->generation };
        from->report = from->step = -1;
        live_add(pid);
}

void lc_child_report(struct lc_proc *p, int64_t v)
{
        if (write(p->child_report, &v, sizeof(v)) != (ssize_t) sizeof(v))
                _exit(HARNESS_CHILD_CHECK_FAILED);
}

bool lc_child_step(struct lc_proc *p)
{
        char c;
        ssize_t n;

        do
                n = read(p->child_step, &c, 1);
        while (n < 0 && errno == EINTR);
        return n == 1;
}

struct shmb_client *lc_child_connect(void)
{
        struct shmb_client *c = NULL;
        int r;

        r = shmb_connect(lc_socket, &c);
        if (r < 0) {
                fprintf(stderr, "lc_proc %d: connect: %s\n", (int) getpid(), strerror(-r));
                return NULL;
        }
        return c;
}

int lc_child_create(struct shmb_client *c, const char *name, uint64_t size, uint32_t lifetime,
                    uint64_t span_usec, int *ret_reason)
{
        struct shmb_create_opts o = {
                .flags = size == 0 ? SHMB_CREATE_UNSIZED : 0,
                .lifetime = lifetime,
                .lifetime_usec = span_usec,
        };
        int r;

        r = shmb_create2(c, name, size, SHMB_ACCESS_NONE, &o, NULL, NULL);
        if (ret_reason)
                *ret_reason = shmb_client_last_reason(c);
        if (r < 0)
                fprintf(stderr, "lc_proc %d: create '%s': %s\n", (int) getpid(), name,
                        strerror(-r));
        return r;
}

/* ------------------------------------------------------------------------------------------
 * Set-up
 */

void lc_main_setup(void)
{
        /* Orphans a case's children leave (a creator that forks and exits) come to us, so
         * that teardown can end and reap them. */
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
                fprintf(stderr, "PR_SET_CHILD_SUBREAPER: %m\n");
        (void) signal(SIGPIPE, SIG_IGN);
}

int lc_teardown(void **state)
{
        size_t i;

        for (i = 0; i < LC_PROCS_MAX; i++) {
                if (live[i] <= 0)
                        continue;
                (void) kill(live[i], SIGKILL);
                (void) waitpid(live[i], NULL, 0);
                live[i] = 0;
        }
        /* Grandchildren nobody adopted. */
        while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
        return sec_teardown(state);
}
