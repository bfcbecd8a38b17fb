/* SPDX-License-Identifier: MIT */
/*
 * security.c - shared pieces of the security suite; see security.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "security.h"

const struct harness_id sec_id_creator = { .uid = HARNESS_UID_1, .gid = HARNESS_GID_3 };
const struct harness_id sec_id_writer = { .uid = HARNESS_UID_2, .gid = HARNESS_GID_3 };
const struct harness_id sec_id_reader = { .uid = HARNESS_UID_3, .gid = HARNESS_GID_3 };
const struct harness_id sec_id_outsider = { .uid = HARNESS_UID_4, .gid = HARNESS_GID_3 };
const struct harness_id sec_id_control = { .uid = HARNESS_CONTROL_UID,
                                           .gid = HARNESS_CONTROL_GID };
const struct harness_id sec_id_root = { .uid = 0, .gid = 0 };

const char sec_policy[] =
        "[Segment sec]\n"
        "Names=sec-*\n"
        "Create=41001\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003 @42001\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=1M\n"
        "\n"
        "[Segment secm]\n"
        "Names=secm-*\n"
        "Create=41001\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003 @42001\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=1M\n"
        "Backend=memfd\n"
        /* Sealed for good at create (F_SEAL_SEAL): b39 and c54 check that no writer can add a
         * seal. Rules that allow publishing leave that seal for the publish. */
        "Publish=no\n"
        "\n"
        "[Segment big]\n"
        "Names=big-*\n"
        "Create=41001\n"
        "ReadWrite=41001\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0600\n"
        "MaxSize=4M\n";

/* ------------------------------------------------------------------------------------------
 * The daemon of the case, and what teardown undoes
 */

static struct harness_daemon *cur;
static int cur_self_fds = -1;

#define SEC_UNDO_MAX 8
static struct {
        char path[256];
        char value[64];
} sysctl_undo[SEC_UNDO_MAX];
static char mount_undo[SEC_UNDO_MAX][64];
static char rm_undo[SEC_UNDO_MAX][PATH_MAX];

struct harness_daemon *sec_start(const char *policy, const struct harness_daemon_options *opts)
{
        int r;

        assert_null(cur);
        cur_self_fds = sec_self_fd_count();
        r = harness_daemon_start(policy, opts, &cur);
        if (r < 0)
                fail_msg("shmbrokerd did not start: %s", strerror(-r));
        return cur;
}

struct harness_daemon *sec_daemon(void)
{
        return cur;
}

void sec_assert_serving(const struct harness_daemon *d)
{
        int fd = -1;

        assert_true(harness_daemon_alive(d));
        assert_int_equal(sec_create(d, &sec_id_control, "ctl-check", 4096, SHMB_ACCESS_RDWR,
                                    NULL), 0);
        assert_int_equal(sec_open(d, &sec_id_control, "/ctl-check", SHMB_ACCESS_RDWR, &fd), 0);
        assert_true(fd >= 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_control, "ctl-check"), 0);
}

void sec_wait_idle(const struct harness_daemon *d)
{
        int r = harness_daemon_wait_idle(d, 5000);

        if (r < 0)
                fail_msg("shmbrokerd never came to rest in epoll_wait() within 5 s (%s): it "
                         "spins, or is stuck in a system call", strerror(-r));
}

void sec_assert_fds_baseline(const struct harness_daemon *d)
{
        int n = harness_daemon_wait_fd_count(d, d->n_fds_start, 3000);

        if (n != d->n_fds_start)
                fail_msg("shmbrokerd has %d fds open, %d right after start: leak", n,
                         d->n_fds_start);
}

void sec_assert_no_objects(const struct harness_daemon *d)
{
        char names[512];
        int n = harness_shm_entries(d, names, sizeof(names));

        if (n != 0)
                fail_msg("%d stray entries in the object directory: %s", n, names);
}

static void finish(bool objects_too)
{
        assert_non_null(cur);
        sec_assert_serving(cur);
        sec_assert_fds_baseline(cur);
        if (objects_too)
                sec_assert_no_objects(cur);
        if (harness_daemon_stop(TAKE_PTR(cur)) != 0)
                fail_msg("shmbrokerd did not exit 0 on SIGTERM");
        /* The client side too (libshmbroker, the suite): no fd that came in is left open. */
        if (sec_self_fd_count() != cur_self_fds)
                fail_msg("the test process has %d fds open, %d before the case: leak",
                         sec_self_fd_count(), cur_self_fds);
}

void sec_finish(void)
{
        finish(true);
}

void sec_finish_keeping_objects(void)
{
        finish(false);
}

void sec_forget_killed(void)
{
        if (cur)
                (void) harness_daemon_stop(TAKE_PTR(cur));
}

void sec_self_fds_closed(int n)
{
        cur_self_fds -= n;
}

void sec_write_file(const char *path, const char *text)
{
        _cleanup_(closep) int fd = -1;
        size_t len = strlen(text);

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                fail_msg("open('%s'): %s", path, strerror(errno));
        assert_int_equal(write(fd, text, len), (ssize_t) len);
}

static unsigned n_skipped;

void sec_skip(const char *fmt, ...)
{
        char reason[512];
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        print_message("%s; skipped (the suite will report SKIP)\n", reason);
        n_skipped++;
        skip();
}

unsigned sec_n_skipped(void)
{
        return n_skipped;
}

/* The file that holds the offset of the fake clock, removed in teardown. */
static char fakeclock_file[64];
static char fakeclock_env_file[PATH_MAX];
static char fakeclock_env_preload[PATH_MAX];
static char fakeclock_env_asan[1024];
static const char *fakeclock_env[4];

static char slownss_gate[64], slownss_held[80], slownss_env_uid[48], slownss_env_gate[96],
        slownss_env_preload[2 * PATH_MAX + 16], slownss_env_fake[3][96], slownss_env_last[48];
static const char *slownss_env[8];

const char *const *sec_slownss_env(uid_t uid, const char *name)
{
        const char *shim = getenv("SHMB_SLOWNSS");
        char preload[2 * PATH_MAX + 2];
        size_t n = 0;

        if (!shim || access(shim, R_OK) < 0)
                fail_msg("SHMB_SLOWNSS ('%s') is not the slow name service shim; run the "
                         "suite with make check", shim ? shim : "");
        strcpy(slownss_gate, "/tmp/shmb-gate.XXXXXX");
        sec_absent_path(slownss_gate);
        sec_remove_later(slownss_gate);
        snprintf(slownss_held, sizeof(slownss_held), "%s.waiting", slownss_gate);
        sec_remove_later(slownss_held);
        snprintf(slownss_env_uid, sizeof(slownss_env_uid), "SHMB_SLOWNSS_UID=%u",
                 (unsigned) uid);
        snprintf(slownss_env_gate, sizeof(slownss_env_gate), "SHMB_SLOWNSS_GATE=%s",
                 slownss_gate);
        snprintf(slownss_env_preload, sizeof(slownss_env_preload), "LD_PRELOAD=%s",
                 tl_preload_value(shim, preload, sizeof(preload)));
        slownss_env[n++] = slownss_env_uid;
        slownss_env[n++] = slownss_env_gate;
        slownss_env[n++] = slownss_env_preload;
        if (name) {
                snprintf(slownss_env_fake[0], sizeof(slownss_env_fake[0]),
                         "SHMB_FAKENSS_UID=%u", (unsigned) uid);
                snprintf(slownss_env_fake[1], sizeof(slownss_env_fake[1]),
                         "SHMB_FAKENSS_GID=%u", (unsigned) uid);
                snprintf(slownss_env_fake[2], sizeof(slownss_env_fake[2]),
                         "SHMB_FAKENSS_NAME=%s", name);
                slownss_env[n++] = slownss_env_fake[0];
                slownss_env[n++] = slownss_env_fake[1];
                slownss_env[n++] = slownss_env_fake[2];
        }
        slownss_env[n] = NULL;
        return slownss_env;
}

const char *const *sec_slownss_env_range(uid_t first, uid_t last)
{
        size_t n;

        (void) sec_slownss_env(first, NULL);
        for (n = 0; slownss_env[n]; n++)
                ;
        snprintf(slownss_env_last, sizeof(slownss_env_last), "SHMB_SLOWNSS_UID_LAST=%u",
                 (unsigned) last);
        slownss_env[n++] = slownss_env_last;
        slownss_env[n] = NULL;
        return slownss_env;
}

void sec_slownss_open(void)
{
        sec_create_path(slownss_gate);
}

struct shmb_status *sec_status(const struct harness_daemon *d)
{
        struct shmb_client *c = sec_client(d, &sec_id_root);
        struct shmb_status *s = NULL;
        int r;

        r = shmb_status(c, &s);
        shmb_client_free(c);
        if (r < 0)
                fail_msg("status as root: %s", strerror(-r));
        return s;
}

void sec_usage(const struct harness_daemon *d, uid_t uid, uint64_t *ret_objects,
              uint64_t *ret_bytes)
{
        struct shmb_status *s = sec_status(d);
        size_t i;

        *ret_objects = *ret_bytes = 0;
        for (i = 0; i < s->n_users; i++)
                if (s->users[i].uid == uid) {
                        *ret_objects = s->users[i].objects;
                        *ret_bytes = s->users[i].bytes;
                }
        shmb_status_free(s);
}

void sec_slownss_close(void)
{
        assert_int_equal(unlink(slownss_gate), 0);
        if (unlink(slownss_held) < 0)
                assert_int_equal(errno, ENOENT);
}

void sec_slownss_wait_held(void)
{
        unsigned ms;

        for (ms = 0; access(slownss_held, F_OK) < 0; ms++) {
                if (ms == HARNESS_TIMEOUT_MS)
                        fail_msg("no name lookup came to the gate %s", slownss_gate);
                (void) poll(NULL, 0, 1);
        }
}

void sec_absent_path(char *path_template)
{
        int fd = mkstemp(path_template);

        assert_true(fd >= 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(unlink(path_template), 0);
}

void sec_create_path(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

        assert_true(fd >= 0);
        assert_int_equal(close(fd), 0);
}

const char *const *sec_fakeclock_env(void)
{
        const char *shim = getenv("SHMB_FAKECLOCK"), *asan = getenv("ASAN_OPTIONS");
        int64_t zero = 0;
        size_t n = 0;
        int fd;

        if (!shim || access(shim, R_OK) < 0)
                fail_msg("SHMB_FAKECLOCK ('%s') is not the fake clock shim "
                         "(tests/helpers/.libs/fakeclock.so); run the suite with make check",
                         shim ? shim : "");
        assert_int_equal(fakeclock_file[0], '\0');
        strcpy(fakeclock_file, "/tmp/shmb-sec-clock.XXXXXX");
        fd = mkstemp(fakeclock_file);
        assert_true(fd >= 0);
        assert_int_equal(fchmod(fd, 0644), 0); /* also for a daemon run as --user */
        assert_int_equal(write(fd, &zero, sizeof(zero)), (ssize_t) sizeof(zero));
        assert_int_equal(close(fd), 0);
        snprintf(fakeclock_env_file, sizeof(fakeclock_env_file), "SHMB_FAKECLOCK_FILE=%s",
                 fakeclock_file);
        snprintf(fakeclock_env_preload, sizeof(fakeclock_env_preload), "LD_PRELOAD=%s", shim);
        fakeclock_env[n++] = fakeclock_env_file;
        fakeclock_env[n++] = fakeclock_env_preload;
        /* A sanitized daemon wants its runtime first among the loaded libraries; the shim
         * only defines clock_gettime(), which the runtime's interceptor then calls. */
        if (sec_daemon_sanitized()) {
                snprintf(fakeclock_env_asan, sizeof(fakeclock_env_asan),
                         "ASAN_OPTIONS=%s%sverify_asan_link_order=0", asan ? asan : "",
                         asan && *asan ? ":" : "");
                fakeclock_env[n++] = fakeclock_env_asan;
        }
        fakeclock_env[n] = NULL;
        return fakeclock_env;
}

void sec_fakeclock_advance(uint64_t usec)
{
        _cleanup_(closep) int fd = -1;
        int64_t *p;

        assert_true(fakeclock_file[0] != '\0');
        fd = open(fakeclock_file, O_RDWR | O_CLOEXEC);
        assert_true(fd >= 0);
        p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        assert_true(p != MAP_FAILED);
        /* One aligned 8-byte store: the daemon reads the old offset or the new one. */
        __atomic_store_n(p, *p + (int64_t) usec, __ATOMIC_RELEASE);
        assert_int_equal(munmap(p, sizeof(*p)), 0);
}

void sec_assert_fakeclock(const struct harness_daemon *d)
{
        _cleanup_(freep) char *maps = NULL;
        const char *shim = getenv("SHMB_FAKECLOCK");
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/maps", (int) d->pid);
        maps = tl_read_text(path);
        assert_non_null(maps);
        if (!shim || !strstr(maps, strrchr(shim, '/') ? strrchr(shim, '/') + 1 : shim))
                fail_msg("the daemon (pid %d) runs without the fake clock shim '%s'",
                         (int) d->pid, shim ? shim : "");
}

static int read_small_file(const char *path, char *buf, size_t size)
{
        _cleanup_(closep) int fd = -1;
        ssize_t n;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return 0;
}

static int write_small_file(const char *path, const char *value)
{
        _cleanup_(closep) int fd = -1;

        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, value, strlen(value)) != (ssize_t) strlen(value))
                return -errno;
        return 0;
}

void sec_set_sysctl(const char *path, const char *value)
{
        size_t i;

        for (i = 0; i < SEC_UNDO_MAX && sysctl_undo[i].path[0]; i++)
                if (strcmp(sysctl_undo[i].path, path) == 0)
                        break;
        assert_true(i < SEC_UNDO_MAX);
        if (!sysctl_undo[i].path[0]) {
                if (read_small_file(path, sysctl_undo[i].value, sizeof(sysctl_undo[i].value)) < 0)
                        fail_msg("cannot read %s: %s", path, strerror(errno));
                snprintf(sysctl_undo[i].path, sizeof(sysctl_undo[i].path), "%s", path);
        }
        if (write_small_file(path, value) < 0)
                sec_skip("cannot set %s to %s: %s", path, value, strerror(errno));
}

void sec_remove_later(const char *path)
{
        size_t i;

        for (i = 0; i < SEC_UNDO_MAX && rm_undo[i][0]; i++)
                ;
        assert_true(i < SEC_UNDO_MAX);
        snprintf(rm_undo[i], sizeof(rm_undo[i]), "%s", path);
}

const char *sec_mount_tmpfs(const char *options)
{
        size_t i;

        for (i = 0; i < SEC_UNDO_MAX && mount_undo[i][0]; i++)
                ;
        assert_true(i < SEC_UNDO_MAX);
        strcpy(mount_undo[i], "/tmp/shmb-sec-mnt.XXXXXX");
        if (!mkdtemp(mount_undo[i])) {
                mount_undo[i][0] = '\0';
                fail_msg("mkdtemp: %s", strerror(errno));
        }
        if (mount("tmpfs", mount_undo[i], "tmpfs", MS_NOSUID | MS_NODEV, options) < 0) {
                int e = errno;

                (void) rmdir(mount_undo[i]);
                mount_undo[i][0] = '\0';
                sec_skip("cannot mount a tmpfs (%s): %s", options, strerror(e));
        }
        return mount_undo[i];
}

int sec_teardown(void **state)
{
        size_t i;

        if (cur)
                (void) harness_daemon_stop(TAKE_PTR(cur));
        if (fakeclock_file[0]) {
                (void) unlink(fakeclock_file);
                fakeclock_file[0] = '\0';
        }
        for (i = 0; i < SEC_UNDO_MAX; i++) {
                if (sysctl_undo[i].path[0]) {
                        if (write_small_file(sysctl_undo[i].path, sysctl_undo[i].value) < 0)
                                fprintf(stderr, "cannot restore %s to %s\n",
                                        sysctl_undo[i].path, sysctl_undo[i].value);
                        sysctl_undo[i].path[0] = '\0';
                }
                if (rm_undo[i][0]) {
                        char state_dir[PATH_MAX + 8];

                        /* An object directory kept for a restart comes with its state
                         * directory beside it (harness.h). */
                        snprintf(state_dir, sizeof(state_dir), "%.*s.state", PATH_MAX - 1,
                                 rm_undo[i]);
                        (void) tl_rm_rf(rm_undo[i]);
                        (void) tl_rm_rf(state_dir);
                        rm_undo[i][0] = '\0';
                }
                if (mount_undo[i][0]) {
                        if (umount2(mount_undo[i], MNT_DETACH) < 0)
                                fprintf(stderr, "cannot unmount %s: %m\n", mount_undo[i]);
                        (void) tl_rm_rf(mount_undo[i]);
                        mount_undo[i][0] = '\0';
                }
        }
        return 0;
}

#define SERVICE_USER "shmbroker-test"

/* The service user: ours (created if missing), else "daemon". Skips if neither can be had. */
const char *sec_service_user(uid_t *ret_uid, gid_t *ret_gid)
{
        static const char *const names[] = { SERVICE_USER, "daemon" };
        struct passwd *pw;
        size_t i;

        if (!getpwnam(SERVICE_USER)) {
                const char *const argv[] = { "/usr/sbin/useradd", "--system", "--no-create-home",
                                             "--home-dir", "/nonexistent", "--shell",
                                             "/usr/sbin/nologin", "--user-group", SERVICE_USER,
                                             NULL };
                struct harness_exec_result res = {};

                if (access(argv[0], X_OK) == 0 &&
                    harness_exec(NULL, argv, NULL, 0, &res) == 0 && res.status != 0)
                        print_message("useradd %s: %s", SERVICE_USER, res.err);
                harness_exec_result_done(&res);
        }
        for (i = 0; i < ELEMENTSOF(names); i++) {
                pw = getpwnam(names[i]);
                if (pw && pw->pw_uid != 0) {
                        *ret_uid = pw->pw_uid;
                        *ret_gid = pw->pw_gid;
                        return names[i];
                }
        }
        sec_skip("no system user to run the daemon as (neither %s nor daemon)", SERVICE_USER);
        return NULL;
}

/* ------------------------------------------------------------------------------------------
 * Running the daemon by hand
 */

void sec_run_daemon(const char *const *args, struct harness_exec_result *ret)
{
        const char *bin = getenv("SHMBROKERD");
        const char *argv[32];
        size_t n = 0;
        int r;

        assert_non_null(bin);
        argv[n++] = bin;
        while (*args && n < ELEMENTSOF(argv) - 1)
                argv[n++] = *args++;
        argv[n] = NULL;
        *ret = (struct harness_exec_result) {};
        r = harness_exec(NULL, argv, NULL, 0, ret);
        if (r < 0)
                fail_msg("running shmbrokerd: %s", strerror(-r));
}

void sec_expect_log(const struct harness_daemon *d, size_t mark, const char *needle,
                    const char *needle2, int min, int max)
{
        int n = harness_daemon_log_count(d, mark, needle, needle2);

        if (n < min || n > max) {
                _cleanup_(freep) char *log = harness_daemon_log(d);

                fprintf(stderr, "---- daemon log since the mark ----\n%s---- end ----\n",
                        log && mark <= strlen(log) ? log + mark : "(unreadable)\n");
                fail_msg("%d log lines with '%s'%s%s%s, expected %d..%d", n, needle,
                         needle2 ? " and '" : "", needle2 ? needle2 : "", needle2 ? "'" : "",
                         min, max);
        }
}

void sec_expect_log_error(const struct harness_daemon *d, size_t mark, uid_t uid, int error,
                          int min, int max)
{
        char who[32];

        snprintf(who, sizeof(who), "uid=%u", (unsigned) uid);
        sec_expect_log(d, mark, who, strerror(error), min, max);
}

/* ------------------------------------------------------------------------------------------
 * Clients in the test process
 */

static void explain_connect_failure(const struct harness_daemon *d, int r);

struct shmb_client *sec_client(const struct harness_daemon *d, const struct harness_id *id)
{
        struct shmb_client *c = NULL;
        int r;

        assert_int_equal(harness_become(id), 0);
        r = shmb_connect(d->socket_path, &c);
        harness_unbecome();
        if (r < 0)
                explain_connect_failure(d, r);
        return c;
}

int sec_create(const struct harness_daemon *d, const struct harness_id *id, const char *name,
               uint64_t size, int access, int *ret_fd)
{
        struct shmb_client *c = sec_client(d, id);
        struct shmb_fd_info info;
        int fd = -1, r;

        r = shmb_create(c, name, size, access, access == SHMB_ACCESS_NONE ? NULL : &fd, &info);
        shmb_client_free(c);
        if (r == 0 && fd >= 0) {
                if (ret_fd)
                        *ret_fd = fd;
                else
                        (void) close(fd);
        }
        return r;
}

int sec_open(const struct harness_daemon *d, const struct harness_id *id, const char *name,
             int access, int *ret_fd)
{
        struct shmb_client *c = sec_client(d, id);
        struct shmb_fd_info info;
        int fd = -1, r;

        r = shmb_open(c, name, access, &fd, &info);
        shmb_client_free(c);
        if (r == 0) {
                if (ret_fd)
                        *ret_fd = fd;
                else
                        (void) close(fd);
        }
        return r;
}

int sec_unlink(const struct harness_daemon *d, const struct harness_id *id, const char *name)
{
        struct shmb_client *c = sec_client(d, id);
        int r;

        r = shmb_unlink(c, name);
        shmb_client_free(c);
        return r;
}

/* ------------------------------------------------------------------------------------------
 * Raw protocol
 */

/* A connect failed: if the daemon is gone, say how it went. */
static void explain_connect_failure(const struct harness_daemon *d, int r)
{
        if (!harness_daemon_alive(d)) {
                _cleanup_(freep) char *log = harness_daemon_log(d);

                fprintf(stderr, "shmbrokerd (pid %d) is gone; its log:\n%s", (int) d->pid,
                        log ? log : "(unreadable)\n");
        }
        fail_msg("connect to '%s': %s", d->socket_path, strerror(-r));
}

int sec_raw_connect(const struct harness_daemon *d, const struct harness_id *id)
{
        int fd = harness_connect_as(d->socket_path, SOCK_SEQPACKET, id);

        if (fd < 0)
                explain_connect_failure(d, fd);
        return fd;
}

int sec_raw_send(int fd, const void *buf, size_t len, const int *fds, size_t n_fds)
{
        return tl_raw_send(fd, buf, len, fds, n_fds, 0);
}

ssize_t sec_raw_recv(int fd, void *buf, size_t size, int *fds, size_t *n_fds)
{
        return tl_raw_recv(fd, buf, size, fds, n_fds, 0);
}

int sec_raw_reply(int fd, struct shmb_proto_reply *reply, int *ret_fd)
{
        static uint8_t buf[SHMB_PROTO_MSG_MAX + 1];
        int fds[SHMB_PROTO_FDS_MAX];
        size_t n_fds = 0, i;
        ssize_t n;
        int r;

        n = sec_raw_recv(fd, buf, sizeof(buf), fds, &n_fds);
        if (n < 0)
                return (int) n;
        if (n == 0)
                return -ECONNRESET;
        r = shmb_proto_decode_reply(buf, (size_t) n, n_fds, reply);
        if (r >= 0 && ret_fd && n_fds == 1) {
                *ret_fd = fds[0];
                n_fds = 0;
        }
        for (i = 0; i < n_fds; i++)
                (void) close(fds[i]);
        return r;
}

int sec_raw_call(int fd, const void *req, size_t len, struct shmb_proto_reply *reply,
                 int *ret_fd)
{
        int r = sec_raw_send(fd, req, len, NULL, 0);

        if (r < 0)
                return r;
        return sec_raw_reply(fd, reply, ret_fd);
}

void sec_expect_error(int fd, uint32_t seq, int error)
{
        static struct shmb_proto_reply reply;
        int r = sec_raw_reply(fd, &reply, NULL);

        if (r < 0)
                fail_msg("expected REPLY_ERROR(%s), got %s", strerror(error), strerror(-r));
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_ERROR);
        if (reply.error != error)
                fail_msg("expected REPLY_ERROR(%s), got REPLY_ERROR(%s)", strerror(error),
                         strerror(reply.error));
        assert_int_equal(reply.seq, seq);
}

void sec_expect_closed(int fd, int error)
{
        static struct shmb_proto_reply reply;
        int r = sec_raw_reply(fd, &reply, NULL);

        if (r == 0) {
                if (error < 0)
                        fail_msg("expected the connection to close, got a reply of type 0x%x",
                                 reply.type);
                assert_int_equal(reply.type, SHMB_PROTO_REPLY_ERROR);
                if (error > 0 && reply.error != error)
                        fail_msg("expected REPLY_ERROR(%s) before the close, got %s",
                                 strerror(error), strerror(reply.error));
                assert_int_equal(reply.seq, 0);
                r = sec_raw_reply(fd, &reply, NULL);
        }
        if (r != -ECONNRESET)
                fail_msg("expected the daemon to close the connection, got %s",
                         r == 0 ? "another reply" : strerror(-r));
}

size_t sec_enc_create(void *buf, uint32_t seq, const char *name, uint64_t size, uint32_t access)
{
        int n = shmb_proto_encode_create(buf, SHMB_PROTO_MSG_MAX, seq, name,
                                         &(struct shmb_proto_create_args) {
                                                 .size = size, .access = access,
                                         });

        assert_true(n > 0);
        return (size_t) n;
}

size_t sec_enc_open(void *buf, uint32_t seq, const char *name, uint32_t access)
{
        int n = shmb_proto_encode_open(buf, SHMB_PROTO_MSG_MAX, seq, name, access);

        assert_true(n > 0);
        return (size_t) n;
}

size_t sec_enc_name(void *buf, uint16_t type, uint32_t seq, const char *name)
{
        int n = shmb_proto_encode_name_req(buf, SHMB_PROTO_MSG_MAX, type, seq, name, 0);

        assert_true(n > 0);
        return (size_t) n;
}

/* ------------------------------------------------------------------------------------------
 * Misc
 */

int sec_self_fd_count(void)
{
        int n = tl_dir_count("/proc/self/fd");

        assert_true(n >= 0);
        return n - 1; /* the directory's own fd */
}

long sec_daemon_cpu_ms(const struct harness_daemon *d)
{
        char path[64], buf[1024], *p;
        unsigned long utime, stime;
        _cleanup_(closep) int fd = -1;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) d->pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        n = read(fd, buf, sizeof(buf) - 1);
        assert_true(n > 0);
        buf[n] = '\0';
        p = strrchr(buf, ')');
        assert_non_null(p);
        /* After ") ": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt
         * cmajflt utime(14) stime(15). */
        if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                   &stime) != 2)
                fail_msg("cannot parse %s", path);
        return (long) ((utime + stime) * 1000 / (unsigned long) sysconf(_SC_CLK_TCK));
}

bool sec_daemon_sanitized(void)
{
        static int known = -1;

        if (known < 0) {
                const char *bin = getenv("SHMBROKERD");
                _cleanup_(closep) int fd = bin ? open(bin, O_RDONLY | O_CLOEXEC) : -1;
                struct stat st;
                void *p;

                known = 0;
                if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
                        p = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
                        if (p != MAP_FAILED) {
                                known = memmem(p, (size_t) st.st_size, "__asan_init", 11) ||
                                        memmem(p, (size_t) st.st_size, "__ubsan_handle", 14);
                                (void) munmap(p, (size_t) st.st_size);
                        }
                }
        }
        return known;
}

unsigned long long sec_status_number(pid_t pid, const char *field)
{
        char buf[256];
        int r = harness_proc_status(pid, 0, field, buf, sizeof(buf));

        if (r < 0)
                fail_msg("/proc/%d/status %s: %s", (int) pid, field, strerror(-r));
        return strtoull(buf, NULL, 10);
}
