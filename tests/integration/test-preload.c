/* SPDX-License-Identifier: MIT */
/*
 * test-preload.c - libshmbroker-preload.so against a real daemon, as a real user.
 *
 * Every case runs tests/helpers/shm-probe (a plain glibc shm_open(3) program) under
 * LD_PRELOAD as uid HARNESS_UID_1. The parity cases run the same steps a second time without
 * the shim, in a private mount namespace whose /dev/shm is an empty tmpfs holding files that
 * mirror the broker's objects (owner and mode as the policy gives them), and require the same
 * output line for line: the same errno for every case where the policy and the file modes
 * say the same thing. The other cases cover what glibc has no counterpart for: the first
 * ftruncate(2) as a broker resize, O_TRUNC, fork, threads, a call before main(), the
 * connection not leaking through exec, reconnecting, a program that closes the shim's
 * descriptor and reuses its number, and no broker at all.
 *
 * Needs root (uids, namespaces); skipped (77) without. The sandboxed flows (bwrap, Python,
 * app sockets) are test-sandbox.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "macro.h"
#include "shmbroker.h"

#define UID_A HARNESS_UID_1
#define GID_A HARNESS_GID_1
#define UID_OTHER HARNESS_UID_5 /* creates the objects user A may only read, or not at all */
#define GID_OTHER HARNESS_GID_3

/*
 * own*: user A's (created, read and written by A, mode 0600). ro*: another user's, which A
 * may read. none*: another user's, which A may not touch. memf*: A's, as sealed memfds.
 */
static const char policy[] =
        "[Segment own]\n"
        "Names=own*\n"
        "Create=41001\n"
        "ReadWrite=41001\n"
        "Owner=41001\n"
        "Group=42001\n"
        "Mode=0600\n"
        "MaxSize=1M\n"
        "\n"
        "[Segment ro]\n"
        "Names=ro*\n"
        "Create=41005\n"
        "ReadWrite=41005\n"
        "ReadOnly=41001\n"
        "Owner=41005\n"
        "Group=42003\n"
        "Mode=0644\n"
        "MaxSize=1M\n"
        "\n"
        "[Segment none]\n"
        "Names=none*\n"
        "Create=41005\n"
        "ReadWrite=41005\n"
        "Owner=41005\n"
        "Group=42003\n"
        "Mode=0600\n"
        "MaxSize=1M\n"
        "\n"
        "[Segment memf]\n"
        "Names=memf*\n"
        "Create=41001\n"
        "ReadWrite=41001\n"
        "MaxSize=1M\n"
        "Backend=memfd\n";

/* The objects both sides start with: on the broker, created by @creator; on the tmpfs, a
 * file with the owner and mode the policy gives it. */
static const struct fixture {
        const char *name;
        uid_t creator;
        uid_t uid;
        gid_t gid;
        mode_t mode;
} fixtures[] = {
        { "own-exists", UID_A, UID_A, GID_A, 0600 },
        { "ro-exists", UID_OTHER, UID_OTHER, GID_OTHER, 0644 },
        { "none-exists", UID_OTHER, UID_OTHER, GID_OTHER, 0600 },
};
#define FIXTURE_SIZE 4096

static const struct harness_id id_a = { .uid = UID_A, .gid = GID_A };

static struct harness_daemon *daemon_;

static const char *env_or_fail(const char *name)
{
        const char *v = getenv(name);

        if (!v || !*v)
                fail_msg("$%s is not set: run this test with 'make check'", name);
        return v;
}

struct create_args {
        const struct harness_daemon *d;
        const char *name;
};

static int child_create(void *userdata)
{
        const struct create_args *a = userdata;
        struct shmb_client *c = NULL;
        int r;

        CHILD_CHECK_EQ(shmb_connect(a->d->socket_path, &c), 0);
        r = shmb_create(c, a->name, FIXTURE_SIZE, SHMB_ACCESS_NONE, NULL, NULL);
        shmb_client_free(c);
        CHILD_CHECK_EQ(r, 0);
        return 0;
}

static int setup(void **state)
{
        size_t i;

        if (harness_daemon_start(policy, NULL, &daemon_) < 0)
                return -1;
        for (i = 0; i < ELEMENTSOF(fixtures); i++) {
                struct harness_id id = { .uid = fixtures[i].creator, .gid = fixtures[i].gid };
                struct create_args a = { .d = daemon_, .name = fixtures[i].name };

                if (harness_run_as(&id, child_create, &a) != 0)
                        return -1;
        }
        *state = daemon_;
        return 0;
}

/* As every integration case ends: the daemon still serves, and holds no more fds than at
 * the start. */
static int teardown(void **state)
{
        struct harness_daemon *d = TAKE_PTR(daemon_);
        int n, r = 0, r2;

        if (!d)
                return 0;
        n = harness_daemon_wait_fd_count(d, d->n_fds_start, 2000);
        if (n != d->n_fds_start)
                fprintf(stderr, "shmbrokerd has %d fds open, %d after start\n", n,
                        d->n_fds_start);
        if (n != d->n_fds_start)
                r = -1;
        r2 = harness_daemon_stop(d);
        if (r2 != 0) {
                fprintf(stderr, "shmbrokerd did not stop cleanly: %s\n", strerror(-r2));
                r = -1;
        }
        return r;
}

/* Runs argv, NULL-terminated, as @id; returns its stdout, failing the test unless it exited
 * 0. What it wrote to stderr goes to *ret_err if asked, else to ours. */
static char *run(const struct harness_id *id, const char *const *argv, char **ret_err)
{
        struct harness_exec_result res;
        char *out;

        assert_int_equal(harness_exec(id, argv, NULL, 0, &res), 0);
        if (res.status != 0 || (!ret_err && res.err_len > 0))
                fprintf(stderr, "--- %s exited %d; stdout:\n%s--- stderr:\n%s---\n", argv[0],
                        res.status, res.out, res.err);
        assert_int_equal(res.status, 0);
        out = TAKE_PTR(res.out);
        if (ret_err)
                *ret_err = TAKE_PTR(res.err);
        harness_exec_result_done(&res);
        return out;
}

#define STEPS_MAX 64

/*
 * shm-probe under the shim, against daemon @d (NULL: $SHMBROKER_SOCKET from @env), with the
 * extra "NAME=VALUE" settings of @env (NULL-terminated, or NULL).
 */
static char *probe_shim(const struct harness_daemon *d, const char *const *env,
                        const char *const *steps, char **ret_err)
{
        const char *argv[STEPS_MAX + 16];
        char preload[2 * PATH_MAX + 16], sock[PATH_MAX + 32];
        const char *asan;
        size_t k = 0, i;

        /* A sanitizer build: the shim is instrumented, and LD_PRELOAD puts it before the
         * probe's own libraries, so ASan's runtime must be preloaded before it. */
        asan = getenv("SHMB_ASAN_RUNTIME");
        snprintf(preload, sizeof(preload), "LD_PRELOAD=%s%s%s", asan ? asan : "",
                 asan && *asan ? " " : "", env_or_fail("SHMB_PRELOAD"));
        argv[k++] = "/usr/bin/env";
        argv[k++] = preload;
        if (d) {
                snprintf(sock, sizeof(sock), "SHMBROKER_SOCKET=%s", d->socket_path);
                argv[k++] = sock;
        }
        for (i = 0; env && env[i] && k < 8; i++)
                argv[k++] = env[i];
        argv[k++] = env_or_fail("SHMB_PROBE");
        for (i = 0; steps[i]; i++) {
                assert_true(i < STEPS_MAX);
                argv[k++] = steps[i];
        }
        argv[k] = NULL;
        return run(&id_a, argv, ret_err);
}

/*
 * shm-probe without the shim, as user A, on a tmpfs /dev/shm of mode @dir_mode holding the
 * fixtures: in a child with a mount namespace of its own, whose output comes back through a
 * pipe.
 */
static char *probe_glibc(mode_t dir_mode, const char *const *steps)
{
        const char *argv[STEPS_MAX + 2];
        int p[2], status;
        char buf[65536];
        size_t len = 0, i;
        ssize_t n;
        pid_t pid;

        argv[0] = env_or_fail("SHMB_PROBE");
        for (i = 0; steps[i]; i++) {
                assert_true(i < STEPS_MAX);
                argv[i + 1] = steps[i];
        }
        argv[i + 1] = NULL;

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char opts[32];
                char *out;

                (void) close(p[0]);
                if (unshare(CLONE_NEWNS) < 0 ||
                    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                        fprintf(stderr, "glibc side: no mount namespace: %m\n");
                        _exit(2);
                }
                snprintf(opts, sizeof(opts), "mode=%o", (unsigned) dir_mode);
                if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0) {
                        fprintf(stderr, "glibc side: tmpfs on /dev/shm: %m\n");
                        _exit(2);
                }
                for (i = 0; i < ELEMENTSOF(fixtures); i++) {
                        char path[PATH_MAX];
                        int fd;

                        snprintf(path, sizeof(path), "/dev/shm/%s", fixtures[i].name);
                        fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0);
                        if (fd < 0 || fchown(fd, fixtures[i].uid, fixtures[i].gid) < 0 ||
                            fchmod(fd, fixtures[i].mode) < 0 ||
                            ftruncate(fd, FIXTURE_SIZE) < 0) {
                                fprintf(stderr, "glibc side: fixture %s: %m\n", path);
                                _exit(2);
                        }
                        (void) close(fd);
                }
                out = run(&id_a, argv, NULL);
                n = write(p[1], out, strlen(out));
                _exit(n == (ssize_t) strlen(out) ? 0 : 3);
        }
        (void) close(p[1]);
        while ((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
                len += (size_t) n;
        (void) close(p[0]);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        buf[len] = '\0';
        return strdup(buf);
}

static void assert_same(const char *shim, const char *glibc)
{
        if (strcmp(shim, glibc) == 0)
                return;
        /* In full: cmocka's messages are cut short. */
        fprintf(stderr, "the shim and glibc differ.\n--- through the broker:\n%s"
                "--- glibc on tmpfs:\n%s---\n", shim, glibc);
        fail();
}

/* ------------------------------------------------------------------------------------------
 * Parity with glibc
 */

/* "open:" plus "own" plus 'x's to @len bytes of name, then ":" and @rest. */
static char *long_step(const char *prefix, size_t len, const char *rest)
{
        char *s;
        size_t k = strlen(prefix);

        assert_true(len >= 3);
        s = malloc(k + len + strlen(rest) + 2);
        assert_non_null(s);
        memcpy(s, prefix, k);
        memcpy(s + k, "own", 3);
        memset(s + k + 3, 'x', len - 3);
        s[k + len] = '\0';
        if (*rest) {
                strcat(s, ":");
                strcat(s, rest);
        }
        return s;
}

/* Creation allowed: /dev/shm as it usually is (1777), the "own" rule on the broker. */
static void test_parity_create_allowed(void **state)
{
        _cleanup_(freep) char *name255 = long_step("open:", 255, "rdwr|creat|excl:10");
        _cleanup_(freep) char *name256 = long_step("open:", 256, "rdwr|creat");
        _cleanup_(freep) char *name259 = long_step("open:", 259, "rdwr|creat");
        _cleanup_(freep) char *name260 = long_step("open:", 260, "rdwr|creat");
        _cleanup_(freep) char *name300 = long_step("open:", 300, "rdonly");
        _cleanup_(freep) char *unlink300 = long_step("unlink:", 300, "");
        _cleanup_(freep) char *unlink256 = long_step("unlink:", 256, "");
        _cleanup_(freep) char *unlink255 = long_step("unlink:", 255, "");
        _cleanup_(freep) char *shim = NULL, *glibc = NULL;
        const char *const steps[] = {
                /* Opening what exists, and what does not. */
                "open:own-exists:rdwr",
                "open:/own-exists:rdonly",
                "open://own-exists:rdwr",               /* every leading '/' goes */
                "open:own-missing:rdwr",
                "open:/own-missing:rdonly",
                "open:ro-exists:rdonly",
                "open:ro-exists:rdwr",
                "open:none-exists:rdonly",
                "open:none-exists:rdwr",
                /* Creating: O_EXCL, open-or-create, sizing with ftruncate. */
                "open:own-exists:rdwr|creat|excl",
                "open:/own-new:rdwr|creat|excl:4096",
                "map",
                "open:own-new:rdwr",
                "open:own-new2:rdwr|creat:8192",
                "open:own-exists:rdwr|creat",
                "open:own-exists:rdonly|creat",
                "open:own-empty:rdwr|creat|excl",
                "open:own-empty:rdwr|trunc",            /* empty: O_TRUNC changes nothing */
                "open:own-new3:rdwr|creat|trunc:100",
                "open:own-ronew:rdonly|creat|excl:4096", /* read-only fd: EINVAL */
                /* Names. */
                "open::rdwr",
                "open:/:rdwr",
                "open:///:rdonly|creat",
                "open:a/b:rdwr",
                "open:own/x:rdwr|creat",
                "open:.:rdwr",
                "open:..:rdwr",
                name255,
                name256,
                name259,                                /* still the kernel's to refuse */
                name260,                                /* glibc's own buffer */
                name300,
                /* Unlinking. */
                "unlink:own-new",
                "unlink:/own-new",
                "open:own-new:rdwr",
                "unlink:own-missing",
                "unlink:ro-exists",
                "unlink:none-exists",
                "unlink:",
                "unlink:a/b",
                unlink256,
                unlink300,
                unlink255,
                "unlink://own-new2",
                NULL,
        };

        shim = probe_shim(*state, NULL, steps, NULL);
        glibc = probe_glibc(01777, steps);
        assert_same(shim, glibc);
}

/* Creation denied: a /dev/shm only root may write, and no rule that lets A create. */
static void test_parity_create_denied(void **state)
{
        _cleanup_(freep) char *shim = NULL, *glibc = NULL;
        const char *const steps[] = {
                "open:none-new:rdwr|creat|excl",
                "open:none-new:rdwr|creat",
                "open:ro-new:rdonly|creat",
                "open:ro-new:rdonly|creat|excl",
                "open:ro-exists:rdonly|creat",          /* exists: opened, not created */
                "open:ro-exists:rdonly|creat|trunc",    /* ... but not truncated */
                "open:none-exists:rdonly|creat",
                NULL,
        };

        shim = probe_shim(*state, NULL, steps, NULL);
        glibc = probe_glibc(0755, steps);
        assert_same(shim, glibc);
}

/* ------------------------------------------------------------------------------------------
 * What glibc has no counterpart for
 */

/* O_TRUNC of a segment that holds data: refused with EACCES (libshmbroker-preload(3)), where
 * glibc would cut it to 0 under everyone who has it mapped. */
static void test_o_trunc(void **state)
{
        _cleanup_(freep) char *out = NULL;
        const char *const steps[] = {
                "open:own-exists:rdwr|trunc",
                "open:own-exists:rdwr|creat|trunc",
                "open:own-exists:rdwr",
                "open:own-t:rdwr|creat|excl:64",
                "open:own-t:rdwr|creat|trunc",
                NULL,
        };

        out = probe_shim(*state, NULL, steps, NULL);
        assert_string_equal(out,
                            "open 'own-exists': EACCES\n"
                            "open 'own-exists': EACCES\n"
                            "open 'own-exists': ok size=4096\n"
                            "open 'own-t': ok size=64\n"
                            "open 'own-t': EACCES\n");
}

/* The first ftruncate() of a new segment is the broker's resize; later ones are the
 * kernel's. */
static void test_ftruncate(void **state)
{
        _cleanup_(freep) char *out = NULL, *out2 = NULL;
        const char *const steps[] = {
                "open:own-f:rdwr|creat|excl",
                "ftrunc:0",                             /* unsized is 0 already */
                "dup",                                  /* a dup sizes it as well */
                "ftrunc:2000000",                       /* over MaxSize=1M */
                "ftrunc:65536",                         /* the broker's resize */
                "map",
                "ftrunc:8192",                          /* shm: the kernel's, as always */
                "open:own-f:rdwr",
                "open:memf-1:rdwr|creat|excl:4096",
                "map",
                "ftrunc:8192",                          /* a sealed memfd: EPERM */
                NULL,
        };
        const char *const steps2[] = {
                "open:own-f:rdwr",
                "open:memf-1:rdonly",
                "unlink:memf-1",                        /* the daemon holds memfds */
                NULL,
        };

        out = probe_shim(*state, NULL, steps, NULL);
        assert_string_equal(out,
                            "open 'own-f': ok size=0\n"
                            "ftruncate 0: ok size=0\n"
                            "dup: ok\n"
                            "ftruncate 2000000: EFBIG, size=0\n"
                            "ftruncate 65536: ok size=65536\n"
                            "map: ok written\n"
                            "ftruncate 8192: ok size=8192\n"
                            "open 'own-f': ok size=8192\n"
                            "open 'memf-1': ok size=4096\n"
                            "map: ok written\n"
                            "ftruncate 8192: EPERM, size=4096\n");
        /* Another process sees the sizes. */
        out2 = probe_shim(*state, NULL, steps2, NULL);
        assert_string_equal(out2,
                            "open 'own-f': ok size=8192\n"
                            "open 'memf-1': ok size=4096\n"
                            "unlink 'memf-1': ok\n");
}

/* A child of fork() has a connection of its own: both create at once without reading each
 * other's replies. */
static void test_fork(void **state)
{
        _cleanup_(freep) char *out = NULL;
        const char *const steps[] = {
                "open:own-exists:rdonly",               /* the parent is connected now */
                "fork:100",
                NULL,
        };

        out = probe_shim(*state, NULL, steps, NULL);
        assert_string_equal(out,
                            "open 'own-exists': ok size=4096\n"
                            "fork: parent ok, child ok\n");
}

static void test_threads(void **state)
{
        _cleanup_(freep) char *out = NULL;
        const char *const steps[] = { "threads:8:40", NULL };

        out = probe_shim(*state, NULL, steps, NULL);
        assert_string_equal(out, "threads: 8 of 8 ok\n");
}

/* A constructor creates, sizes and maps a segment before main() runs. */
static void test_before_main(void **state)
{
        _cleanup_(freep) char *out = NULL;
        const char *const env[] = { "SHM_PROBE_CTOR=own-ctor", NULL };
        const char *const steps[] = { "open:own-ctor:rdonly", NULL };

        out = probe_shim(*state, env, steps, NULL);
        assert_string_equal(out,
                            "ctor: ok size=4096\n"
                            "open 'own-ctor': ok size=4096\n");
}

/* The broker connection is close-on-exec: a program the process execs holds no socket. */
static void test_exec_no_leak(void **state)
{
        _cleanup_(freep) char *out = NULL;
        const char *const steps[] = { "open:own-exists:rdwr", "sockets", "exec", NULL };

        out = probe_shim(*state, NULL, steps, NULL);
        assert_string_equal(out,
                            "open 'own-exists': ok size=4096\n"
                            "sockets=1\n"
                            "sockets=0\n");
}

/* A connection the broker dropped is replaced on the next call. */
static void test_reconnect(void **state)
{
        _cleanup_(freep) char *out = NULL;
        const char *const steps[] = {
                "open:own-exists:rdwr",
                "reconnect:own-exists",
                "open:own-r:rdwr|creat|excl:4096",
                NULL,
        };

        out = probe_shim(*state, NULL, steps, NULL);
        assert_string_equal(out,
                            "open 'own-exists': ok size=4096\n"
                            "shut down 1 socket(s)\n"
                            "open 'own-exists': ok size=4096\n"
                            "open 'own-r': ok size=4096\n");
}

/* $SHMBROKER_PRELOAD_CACHE=N: a repeat open is a dup() of the first; without it, its own. */
static void test_open_cache(void **state)
{
        _cleanup_(freep) char *out = NULL, *cached = NULL;
        const char *const env[] = { "SHMBROKER_PRELOAD_CACHE=16", NULL };
        const char *const steps[] = {
                "open:own-exists:rdwr", "again:own-exists", "again:own-exists", NULL,
        };

        out = probe_shim(*state, NULL, steps, NULL);
        assert_string_equal(out,
                            "open 'own-exists': ok size=4096\n"
                            "again 'own-exists': own\n"
                            "again 'own-exists': own\n");
        cached = probe_shim(*state, env, steps, NULL);
        assert_string_equal(cached,
                            "open 'own-exists': ok size=4096\n"
                            "again 'own-exists': shared\n"
                            "again 'own-exists': shared\n");
}

/*
 * A program that closes descriptors it does not own (close_range(3, ~0U, 0)) and gets the
 * shim's number for a socket of its own (review-app F3). The shim must connect anew rather
 * than talk on it: the broker's segment comes back, the program's data stays unread in its
 * socket, which stays open, and its peer hears nothing of ours. With the open cache too, whose
 * kept fds were closed with the rest.
 */
static void test_fd_reuse(void **state)
{
        _cleanup_(freep) char *out = NULL, *cached = NULL;
        const char *const env[] = { "SHMBROKER_PRELOAD_CACHE=16", NULL };
        const char *const steps[] = { "fdreuse:own-exists", "map", NULL };
        const char *want =
                "fdreuse: the program's socket is on the shim's number\n"
                "fdreuse 'own-exists': ok, the broker's segment\n"
                "fdreuse: the program's socket holds 'PROGRAM-DATA'\n"
                "fdreuse: the peer received nothing\n"
                "map: ok written\n";

        out = probe_shim(*state, NULL, steps, NULL);
        assert_string_equal(out, want);
        cached = probe_shim(*state, env, steps, NULL);
        assert_string_equal(cached, want);
}

/* The open cache's kept fd closed by the program and its number reused, the connection left
 * alone: the cache must not hand out a dup of the program's file as the segment, nor close
 * it. */
static void test_cache_fd_reuse(void **state)
{
        _cleanup_(freep) char *out = NULL;
        const char *const env[] = { "SHMBROKER_PRELOAD_CACHE=16", NULL };
        const char *const steps[] = { "cachereuse:own-exists", "map", NULL };

        out = probe_shim(*state, env, steps, NULL);
        assert_string_equal(out,
                            "cachereuse: the program's file is on the kept number\n"
                            "cachereuse 'own-exists': ok, the broker's segment\n"
                            "cachereuse: the program's file holds 'PROGRAM-DATA'\n"
                            "map: ok written\n");
}

/* As test_fd_reuse(), but the program's peer answers the shim's request, were it to come,
 * with a memfd of its own: shm_open() must not return that as the segment. */
static void test_fd_reuse_hostile(void **state)
{
        _cleanup_(freep) char *out = NULL;
        const char *const steps[] = { "fdreuse-hostile:own-exists", NULL };

        out = probe_shim(*state, NULL, steps, NULL);
        assert_string_equal(out,
                            "fdreuse: the program's socket is on the shim's number\n"
                            "fdreuse 'own-exists': ok, the broker's segment\n"
                            "fdreuse: the program's socket: open\n"
                            "fdreuse: the peer received nothing\n");
}

/* No broker: ENOSYS and one line on stderr, unless the fallback is asked for. */
static void test_no_broker(void **state)
{
        _cleanup_(freep) char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL;
        char name[64], open_step[96], missing_step[96], unlink_step[96], want[512];
        const char *const env[] = { "SHMBROKER_SOCKET=/nonexistent/shmbroker/socket", NULL };
        const char *const env_fallback[] = {
                "SHMBROKER_SOCKET=/nonexistent/shmbroker/socket",
                "SHMBROKER_PRELOAD_FALLBACK=1",
                NULL,
        };

        snprintf(name, sizeof(name), "shmb-preload-fallback-%d", (int) getpid());
        snprintf(open_step, sizeof(open_step), "open:%s:rdwr|creat|excl:4096", name);
        snprintf(missing_step, sizeof(missing_step), "open:%s-missing:rdwr", name);
        snprintf(unlink_step, sizeof(unlink_step), "unlink:%s", name);
        {
                const char *const steps[] = { open_step, missing_step, "open:a/b:rdwr",
                                              unlink_step, NULL };

                out = probe_shim(NULL, env, steps, &err);
                snprintf(want, sizeof(want),
                         "open '%s': ENOSYS\n"
                         "open '%s-missing': ENOSYS\n"
                         "open 'a/b': EINVAL\n"
                         "unlink '%s': ENOSYS\n", name, name, name);
                assert_string_equal(out, want);
                /* Said once, not per call. */
                assert_non_null(strstr(err, "libshmbroker-preload: no broker at "
                                       "/nonexistent/shmbroker/socket"));
                assert_null(strchr(strchr(err, '\n') + 1, '\n'));

                /* Asked for: glibc's own calls, in the real /dev/shm. */
                out2 = probe_shim(NULL, env_fallback, steps, &err2);
                snprintf(want, sizeof(want),
                         "open '%s': ok size=4096\n"
                         "open '%s-missing': ENOENT\n"
                         "open 'a/b': EINVAL\n"
                         "unlink '%s': ok\n", name, name, name);
                assert_string_equal(out2, want);
                assert_string_equal(err2, "");
        }
}

static void test_requires_root(void **state)
{
        print_message("the shim's tests switch uids and mount namespaces: they need root; "
                      "skipped\n");
        skip();
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_parity_create_allowed),
                T(test_parity_create_denied),
                T(test_o_trunc),
                T(test_ftruncate),
                T(test_fork),
                T(test_threads),
                T(test_before_main),
                T(test_exec_no_leak),
                T(test_reconnect),
                T(test_open_cache),
                T(test_fd_reuse),
                T(test_fd_reuse_hostile),
                T(test_cache_fd_reuse),
                cmocka_unit_test(test_no_broker),
        };
        const struct CMUnitTest skip_tests[] = {
                cmocka_unit_test(test_requires_root),
        };

        if (geteuid() != 0) {
                (void) cmocka_run_group_tests_name("preload (needs root)", skip_tests, NULL,
                                                   NULL);
                return 77;
        }
        (void) signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests_name("libshmbroker-preload.so", tests, NULL, NULL);
}
