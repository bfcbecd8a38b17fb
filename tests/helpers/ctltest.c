/* SPDX-License-Identifier: MIT */
/*
 * ctltest.c - helpers for the shmbrokerctl suite; see ctltest.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctltest.h"
#include "macro.h"

/* ------------------------------------------------------------------------------------------
 * In the foreground
 */

void ctl_run(const struct harness_daemon *d, const struct harness_id *id, const void *in,
             size_t in_len, struct harness_exec_result *res, const char *const *args)
{
        int r;

        harness_exec_result_done(res);
        r = harness_ctl(d, id, args, in, in_len, res);
        if (r < 0)
                fail_msg("running shmbrokerctl %s: %s", args[0], strerror(-r));
        if (res->status == -ETIMEDOUT)
                fail_msg("shmbrokerctl %s (uid %u) timed out", args[0],
                         id ? (unsigned) id->uid : 0);
}

void ctl_assert_ok(const struct harness_exec_result *res)
{
        if (res->status != 0 || res->err_len != 0)
                fail_msg("shmbrokerctl exited %d, expected 0; stderr: '%s'", res->status,
                         res->err);
}

void ctl_assert_fails(const struct harness_exec_result *res, int status, const char *err)
{
        if (res->status != status || strcmp(res->err, err) != 0)
                fail_msg("shmbrokerctl exited %d with stderr\n'%s'\nexpected %d with\n'%s'",
                         res->status, res->err, status, err);
        if (res->out_len != 0)
                fail_msg("shmbrokerctl printed '%s' on stdout on failure", res->out);
}

/* ------------------------------------------------------------------------------------------
 * In the background
 */

static void child_become(const struct harness_id *id)
{
        static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGPIPE, SIGALRM,
                                    SIGTERM, SIGINT, SIGCHLD };
        sigset_t none;
        size_t i;

        /* cmocka's handlers would longjmp into the test runner inside the child. */
        for (i = 0; i < ELEMENTSOF(sigs); i++)
                (void) signal(sigs[i], SIG_DFL);
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        if (!id)
                return;
        if (setgroups(id->n_groups, id->groups) < 0 ||
            setresgid(id->gid, id->gid, id->gid) < 0 || setresuid(id->uid, id->uid, id->uid) < 0)
                _exit(HARNESS_CHILD_SETID_FAILED);
}

void ctl_bg_start(struct ctl_bg *bg, const struct harness_daemon *d, const struct harness_id *id,
                  const char *const *args)
{
        const char *ctl = getenv("SHMBROKERCTL");
        const char *argv[32];
        int out[2], err[2];
        size_t n = 0;

        assert_non_null(ctl);
        argv[n++] = ctl;
        argv[n++] = "--socket";
        argv[n++] = d->socket_path;
        for (; *args && n < ELEMENTSOF(argv) - 1; args++)
                argv[n++] = *args;
        argv[n] = NULL;

        memset(bg, 0, sizeof(*bg));
        bg->out = bg->err = -1;
        assert_int_equal(pipe2(out, O_CLOEXEC), 0);
        assert_int_equal(pipe2(err, O_CLOEXEC), 0);
        fflush(NULL);
        bg->pid = fork();
        assert_true(bg->pid >= 0);
        if (bg->pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

                if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
                    dup2(out[1], STDOUT_FILENO) < 0 || dup2(err[1], STDERR_FILENO) < 0)
                        _exit(126);
                child_become(id);
                (void) setenv("LC_ALL", "C", 1);
                execv(argv[0], (char *const *) argv);
                _exit(127);
        }
        (void) close(out[1]);
        (void) close(err[1]);
        bg->out = out[0];
        bg->err = err[0];
}

void ctl_bg_wait_polling(const struct ctl_bg *bg)
{
        uint64_t deadline = tl_now_ms() + HARNESS_TIMEOUT_MS;

        for (;;) {
                long nr = harness_proc_syscall(bg->pid, 0);

                if (nr == SYS_ppoll
#ifdef SYS_poll
                    || nr == SYS_poll
#endif
                )
                        return;
                if (nr < 0 && nr != -EBUSY)
                        fail_msg("shmbrokerctl (pid %d) is gone: %s", (int) bg->pid,
                                 strerror((int) -nr));
                if (tl_now_ms() >= deadline)
                        fail_msg("shmbrokerctl (pid %d) never waited in poll(2)", (int) bg->pid);
                tl_sleep_ms(1);
        }
}

bool ctl_bg_running(const struct ctl_bg *bg)
{
        siginfo_t si = {};

        if (bg->pid <= 0)
                return false;
        if (waitid(P_PID, (id_t) bg->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
                return false;
        return si.si_pid == 0;
}

bool ctl_bg_line(struct ctl_bg *bg, char *buf, size_t size)
{
        uint64_t deadline = tl_now_ms() + HARNESS_TIMEOUT_MS;

        for (;;) {
                char *start = bg->outbuf + bg->out_taken;
                char *nl = memchr(start, '\n', bg->out_len - bg->out_taken);
                struct pollfd p = { .fd = bg->out, .events = POLLIN };
                uint64_t now = tl_now_ms();
                ssize_t n;

                if (nl) {
                        size_t len = (size_t) (nl - start);

                        assert_true(len < size);
                        memcpy(buf, start, len);
                        buf[len] = '\0';
                        bg->out_taken += len + 1;
                        return true;
                }
                if (now >= deadline)
                        fail_msg("no line from shmbrokerctl (pid %d) within %d ms",
                                 (int) bg->pid, HARNESS_TIMEOUT_MS);
                if (poll(&p, 1, (int) (deadline - now)) < 0 && errno != EINTR)
                        fail_msg("poll: %s", strerror(errno));
                if (!(p.revents & (POLLIN | POLLHUP)))
                        continue;
                if (bg->out_len == sizeof(bg->outbuf))
                        fail_msg("a line of more than %zu bytes", sizeof(bg->outbuf));
                n = read(bg->out, bg->outbuf + bg->out_len, sizeof(bg->outbuf) - bg->out_len);
                if (n < 0 && errno != EINTR)
                        fail_msg("read: %s", strerror(errno));
                if (n == 0)
                        return false;
                if (n > 0)
                        bg->out_len += (size_t) n;
        }
}

/* Appends what @fd gives until EOF to a malloc'ed buffer. */
static void read_to_end(int fd, char **buf, size_t *len, uint64_t deadline)
{
        size_t cap = *len + 4096;
        char *p = realloc(*buf, cap);

        assert_non_null(p);
        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                uint64_t now = tl_now_ms();
                ssize_t n;

                if (now >= deadline)
                        fail_msg("shmbrokerctl's output did not end within %d ms",
                                 HARNESS_TIMEOUT_MS);
                if (poll(&pfd, 1, (int) (deadline - now)) < 0 && errno != EINTR)
                        fail_msg("poll: %s", strerror(errno));
                if (cap - *len < 1024) {
                        cap *= 2;
                        p = realloc(p, cap);
                        assert_non_null(p);
                }
                n = read(fd, p + *len, cap - *len - 1);
                if (n < 0 && errno != EINTR && errno != EAGAIN)
                        fail_msg("read: %s", strerror(errno));
                if (n == 0)
                        break;
                if (n > 0)
                        *len += (size_t) n;
        }
        p[*len] = '\0';
        *buf = p;
}

void ctl_bg_finish(struct ctl_bg *bg, int sig, struct harness_exec_result *res)
{
        uint64_t deadline = tl_now_ms() + HARNESS_TIMEOUT_MS;
        int status;

        harness_exec_result_done(res);
        if (sig)
                assert_int_equal(kill(bg->pid, sig), 0);
        res->out_len = bg->out_len - bg->out_taken;
        res->out = malloc(res->out_len + 1);
        assert_non_null(res->out);
        memcpy(res->out, bg->outbuf + bg->out_taken, res->out_len);
        read_to_end(bg->out, &res->out, &res->out_len, deadline);
        read_to_end(bg->err, &res->err, &res->err_len, deadline);
        bg->out = safe_close(bg->out);
        bg->err = safe_close(bg->err);
        assert_int_equal(harness_wait_exit(bg->pid, HARNESS_TIMEOUT_MS), 0);
        assert_int_equal(waitpid(bg->pid, &status, 0), bg->pid);
        bg->pid = 0;
        res->status = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

void ctl_bg_kill(struct ctl_bg *bg)
{
        /* Never fd 0 of a zeroed struct: CTL_BG_NONE says -1. */
        if (bg->pid > 0) {
                (void) kill(bg->pid, SIGKILL);
                (void) waitpid(bg->pid, NULL, 0);
                bg->pid = 0;
        }
        bg->out = safe_close(bg->out);
        bg->err = safe_close(bg->err);
}

/* ------------------------------------------------------------------------------------------
 * Text
 */

bool ctl_line(const char *text, size_t n, char *buf, size_t size)
{
        const char *end;
        size_t len;

        for (; n > 0; n--) {
                text = strchr(text, '\n');
                if (!text)
                        return false;
                text++;
        }
        if (*text == '\0')
                return false;
        end = strchrnul(text, '\n');
        len = (size_t) (end - text);
        assert_true(len < size);
        memcpy(buf, text, len);
        buf[len] = '\0';
        return true;
}

bool ctl_line_starting(const char *text, const char *prefix, char *buf, size_t size)
{
        size_t i;

        for (i = 0; ctl_line(text, i, buf, size); i++)
                if (strncmp(buf, prefix, strlen(prefix)) == 0)
                        return true;
        return false;
}

size_t ctl_cells(char *row, char **cells, size_t max)
{
        size_t n = 0;
        char *p = row;

        while (*p && n < max) {
                char *gap;

                cells[n++] = p;
                gap = strstr(p, "  ");
                if (!gap)
                        break;
                *gap = '\0';
                p = gap + 2;
                while (*p == ' ')
                        p++;
        }
        return n;
}

void ctl_assert_row(const char *text, const char *const *want)
{
        char line[1024], *cells[32];
        size_t i, j, n_want = 0, n;

        while (want[n_want])
                n_want++;
        for (i = 0; ctl_line(text, i, line, sizeof(line)); i++) {
                n = ctl_cells(line, cells, ELEMENTSOF(cells));
                if (n == 0 || strcmp(cells[0], want[0]) != 0)
                        continue;
                if (n != n_want)
                        fail_msg("row '%s' has %zu cells, expected %zu, in:\n%s", want[0], n,
                                 n_want, text);
                for (j = 1; j < n; j++)
                        if (fnmatch(want[j], cells[j], 0) != 0)
                                fail_msg("row '%s', cell %zu is '%s', expected '%s', in:\n%s",
                                         want[0], j, cells[j], want[j], text);
                return;
        }
        fail_msg("no row '%s' in:\n%s", want[0], text);
}

/* ------------------------------------------------------------------------------------------
 * JSON
 */

struct json_object *ctl_json(const char *text)
{
        struct json_tokener *tok = json_tokener_new();
        struct json_object *o;
        size_t end;

        assert_non_null(tok);
        o = json_tokener_parse_ex(tok, text, (int) strlen(text));
        if (!o || json_tokener_get_error(tok) != json_tokener_success)
                fail_msg("not JSON (%s):\n%s",
                         json_tokener_error_desc(json_tokener_get_error(tok)), text);
        end = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        for (; text[end]; end++)
                if (!strchr(" \t\n", text[end]))
                        fail_msg("more than one JSON document:\n%s", text);
        return o;
}

struct json_object *ctl_jget(struct json_object *o, const char *path)
{
        char buf[256], *save = NULL, *key;

        assert_true(strlen(path) < sizeof(buf));
        strcpy(buf, path);
        for (key = strtok_r(buf, ".", &save); key; key = strtok_r(NULL, ".", &save)) {
                if (json_object_is_type(o, json_type_array)) {
                        char *end;
                        unsigned long i = strtoul(key, &end, 10);

                        if (*end || i >= json_object_array_length(o))
                                fail_msg("JSON: no element '%s' of %s", key, path);
                        o = json_object_array_get_idx(o, i);
                } else if (json_object_is_type(o, json_type_object)) {
                        if (!json_object_object_get_ex(o, key, &o))
                                fail_msg("JSON: no field '%s' of %s", key, path);
                } else
                        fail_msg("JSON: '%s' of %s is inside a scalar", key, path);
        }
        return o;
}

void ctl_assert_jstr(struct json_object *o, const char *path, const char *want)
{
        struct json_object *v = ctl_jget(o, path);

        if (!json_object_is_type(v, json_type_string) ||
            strcmp(json_object_get_string(v), want) != 0)
                fail_msg("JSON %s is %s, expected \"%s\"", path,
                         json_object_to_json_string(v), want);
}

void ctl_assert_jnull(struct json_object *o, const char *path)
{
        struct json_object *v = ctl_jget(o, path);

        if (v)
                fail_msg("JSON %s is %s, expected null", path, json_object_to_json_string(v));
}

void ctl_assert_ju64(struct json_object *o, const char *path, uint64_t want)
{
        struct json_object *v = ctl_jget(o, path);

        if (!json_object_is_type(v, json_type_int) || json_object_get_uint64(v) != want)
                fail_msg("JSON %s is %s, expected %llu", path, json_object_to_json_string(v),
                         (unsigned long long) want);
}

void ctl_assert_jbool(struct json_object *o, const char *path, bool want)
{
        struct json_object *v = ctl_jget(o, path);

        if (!json_object_is_type(v, json_type_boolean) || json_object_get_boolean(v) != want)
                fail_msg("JSON %s is %s, expected %s", path, json_object_to_json_string(v),
                         want ? "true" : "false");
}

int ctl_jfind(struct json_object *o, const char *path, const char *name)
{
        struct json_object *a = ctl_jget(o, path), *n;
        size_t i;

        assert_true(json_object_is_type(a, json_type_array));
        for (i = 0; i < json_object_array_length(a); i++)
                if (json_object_object_get_ex(json_object_array_get_idx(a, i), "name", &n) &&
                    json_object_is_type(n, json_type_string) &&
                    strcmp(json_object_get_string(n), name) == 0)
                        return (int) i;
        return -1;
}

/* ------------------------------------------------------------------------------------------
 * Users with names
 */

static bool made_user, made_primary, made_second, users_ok;

static int run_quiet(const char *const *argv)
{
        struct harness_exec_result res = {};
        int r;

        if (access(argv[0], X_OK) < 0)
                return -errno;
        r = harness_exec(NULL, argv, NULL, 0, &res);
        if (r == 0 && res.status != 0) {
                fprintf(stderr, "%s: %s", argv[0], res.err);
                r = -EIO;
        }
        harness_exec_result_done(&res);
        return r;
}

static bool group_is(const char *name, gid_t gid)
{
        struct group *gr = getgrnam(name);

        return gr && gr->gr_gid == gid;
}

void ctl_users_setup(void)
{
        char gid1[16], gid2[16], uid[16];

        snprintf(gid1, sizeof(gid1), "%u", CTL_USER_GID);
        snprintf(gid2, sizeof(gid2), "%u", CTL_USER_GROUP2);
        snprintf(uid, sizeof(uid), "%u", CTL_USER_UID);
        if (!group_is("shmbtctlp", CTL_USER_GID))
                made_primary = run_quiet((const char *const[]) { "/usr/sbin/groupadd", "--gid",
                                                                 gid1, "shmbtctlp", NULL }) == 0;
        if (!group_is("shmbtctls", CTL_USER_GROUP2))
                made_second = run_quiet((const char *const[]) { "/usr/sbin/groupadd", "--gid",
                                                                gid2, "shmbtctls", NULL }) == 0;
        if (!getpwnam(CTL_USER_NAME))
                made_user = run_quiet((const char *const[]) {
                        "/usr/sbin/useradd", "--no-create-home", "--uid", uid, "--gid", gid1,
                        "--groups", "shmbtctls", "--shell", "/usr/sbin/nologin", "--home-dir",
                        "/nonexistent", CTL_USER_NAME, NULL }) == 0;
        {
                struct passwd *pw = getpwnam(CTL_USER_NAME);
                gid_t groups[16];
                int n = ELEMENTSOF(groups), i;

                users_ok = pw && pw->pw_uid == CTL_USER_UID && pw->pw_gid == CTL_USER_GID &&
                           getgrouplist(CTL_USER_NAME, CTL_USER_GID, groups, &n) >= 0;
                for (i = 0; users_ok && i < n; i++)
                        if (groups[i] == CTL_USER_GROUP2)
                                break;
                users_ok = users_ok && i < n;
        }
}

void ctl_users_teardown(void)
{
        if (made_user)
                (void) run_quiet((const char *const[]) { "/usr/sbin/userdel", CTL_USER_NAME,
                                                         NULL });
        if (made_second)
                (void) run_quiet((const char *const[]) { "/usr/sbin/groupdel", "shmbtctls",
                                                         NULL });
        if (made_primary)
                (void) run_quiet((const char *const[]) { "/usr/sbin/groupdel", "shmbtctlp",
                                                         NULL });
        made_user = made_second = made_primary = false;
}

void ctl_require_users(void)
{
        if (!users_ok) {
                print_message("user %s (uid %u, groups %u and %u) could not be made with "
                              "useradd; skipped\n", CTL_USER_NAME, CTL_USER_UID, CTL_USER_GID,
                              CTL_USER_GROUP2);
                skip();
        }
}
