/* SPDX-License-Identifier: MIT */
/*
 * test-sandbox.c - sandboxed apps end to end: real users in bwrap --unshare-all sandboxes that
 * hold nothing of the host but /usr, the build tree and the broker's socket, bound as
 * /run/shmbroker/socket, with an empty private /dev/shm.
 *
 *   test_multiprocessing_across_sandboxes: Python's multiprocessing.shared_memory, unmodified,
 *     under LD_PRELOAD=libshmbroker-preload.so: one user creates a segment in one sandbox,
 *     another attaches to it by name in a second, a third is denied, and the creator removes
 *     it from a fourth. The policy decides each step.
 *   test_two_apps_one_user: one user, two app sockets (org.example.Editor and
 *     org.example.Viewer, minted with shmb_app_socket() on connections the test keeps open),
 *     each bound into its own sandbox: app:GLOB principals and %a names give the two apps
 *     different grants, neither gets what its user gets on the main socket, an app cannot
 *     mint a socket, and the sockets go when their connections close.
 *   test_launcher: examples/shmbroker-bwrap, with shmbrokerctl app-socket, around an
 *     unmodified Python program.
 *   test_app_socket_needs_name: a uid without a user name gets no app socket.
 *   test_apps_keep_half: all the apps of a user together get half its MaxConnectionsPerUser=,
 *     and the main socket the rest; at MaxConnectionsPerUser=1 apps get none.
 *   test_user_removes_apps_squat: an app takes a name under a sibling app's prefix (app ids
 *     overlap); the user, on the main socket, can remove it.
 *
 * App sockets are only for uids with user names, and the test uids have none (nor may they
 * get one on the host): the cases that mint them give HARNESS_UID_1 a name in the daemon alone,
 * through the name service shim (tests/helpers/slownss.c, named_daemon()).
 *
 * Needs root (it runs the sandboxes as test users) and bubblewrap; skipped (77) without
 * root, failed without bwrap.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "macro.h"
#include "shmbroker.h"

#define BWRAP "/usr/bin/bwrap"
#define PYTHON "/usr/bin/python3"
#define SANDBOX_SOCKET "/run/shmbroker/socket"
#define ARGV_MAX 64

static const struct harness_id id_a = { .uid = HARNESS_UID_1, .gid = HARNESS_GID_1 };
static const struct harness_id id_b = { .uid = HARNESS_UID_2, .gid = HARNESS_GID_2 };
static const struct harness_id id_c = { .uid = HARNESS_UID_3, .gid = HARNESS_GID_2 };

static struct harness_daemon *daemon_;

#define NAMED_UID_NAME "shmbfake41001"

static const char *env_or_fail(const char *name)
{
        const char *v = getenv(name);

        if (!v || !*v)
                fail_msg("$%s is not set: run this test with 'make check'", name);
        return v;
}

static int teardown(void **state)
{
        struct harness_daemon *d = TAKE_PTR(daemon_);
        int n, r = 0;

        if (!d)
                return 0;
        n = harness_daemon_wait_fd_count(d, d->n_fds_start, 2000);
        if (n != d->n_fds_start) {
                fprintf(stderr, "shmbrokerd has %d fds open, %d after start\n", n,
                        d->n_fds_start);
                r = -1;
        }
        if (harness_daemon_stop(d) != 0)
                r = -1;
        return r;
}

/*
 * Starts a daemon on @policy in which HARNESS_UID_1 (group HARNESS_GID_1) has the user name
 * NAMED_UID_NAME, through the name service shim; every other test uid stays without one.
 */
static void named_daemon(const char *policy)
{
        const char *shim = env_or_fail("SHMB_SLOWNSS"), *asan = getenv("SHMB_ASAN_RUNTIME");
        static char preload[2 * PATH_MAX + 16];
        const char *env[] = {
                preload,
                "SHMB_FAKENSS_UID=41001",
                "SHMB_FAKENSS_GID=42001",
                "SHMB_FAKENSS_NAME=" NAMED_UID_NAME,
                NULL,
        };
        struct harness_daemon_options opts = { .env = env };

        if (access(shim, R_OK) < 0)
                fail_msg("SHMB_SLOWNSS ('%s') is not the name service shim; run the suite with "
                         "make check", shim);
        /* A sanitizer build: its runtime first, as in sandbox_python(). */
        snprintf(preload, sizeof(preload), "LD_PRELOAD=%s%s%s", asan ? asan : "",
                 asan && *asan ? " " : "", shim);
        assert_int_equal(harness_daemon_start(policy, &opts, &daemon_), 0);
}

/*
 * Runs Python code as @id in a sandbox whose only way out is @socket, bound as
 * /run/shmbroker/socket, with the shim preloaded when @preload. Returns stdout; fails the test
 * unless the sandbox exited 0 and wrote nothing to stderr.
 */
static char *sandbox_python(const struct harness_id *id, const char *socket, bool preload,
                            const char *code)
{
        const char *top_src = env_or_fail("SHMB_TOP_SRCDIR");
        const char *top_build = env_or_fail("SHMB_TOP_BUILDDIR");
        const char *asan = getenv("SHMB_ASAN_RUNTIME");
        char pythonpath[PATH_MAX], libpath[PATH_MAX], preload_list[2 * PATH_MAX + 2];
        const char *argv[ARGV_MAX];
        struct harness_exec_result res;
        size_t k = 0;
        char *out;

        snprintf(pythonpath, sizeof(pythonpath), "%s/python", top_src);
        snprintf(libpath, sizeof(libpath), "%s/client/.libs", top_build);

#define A(x) do { assert_true(k < ARGV_MAX - 1); argv[k++] = (x); } while (0)
        A(BWRAP);
        A("--unshare-all");
        A("--die-with-parent");
        A("--new-session");
        A("--ro-bind"); A("/usr"); A("/usr");
        A("--symlink"); A("usr/bin"); A("/bin");
        A("--symlink"); A("usr/lib"); A("/lib");
        A("--symlink"); A("usr/lib64"); A("/lib64");
        A("--symlink"); A("usr/sbin"); A("/sbin");
        A("--proc"); A("/proc");
        A("--dev"); A("/dev");
        A("--tmpfs"); A("/dev/shm");                    /* private and empty */
        A("--tmpfs"); A("/tmp");
        /* The source tree first: in make distcheck the build tree is inside it. */
        A("--ro-bind"); A(top_src); A(top_src);
        A("--ro-bind"); A(top_build); A(top_build);
        A("--bind"); A(socket); A(SANDBOX_SOCKET);
        A("--clearenv");
        A("--setenv"); A("PATH"); A("/usr/bin");
        A("--setenv"); A("LC_ALL"); A("C");
        A("--setenv"); A("PYTHONPATH"); A(pythonpath);
        A("--setenv"); A("PYTHONDONTWRITEBYTECODE"); A("1");
        A("--setenv"); A("LD_LIBRARY_PATH"); A(libpath);
        /* A sanitizer build: python3 is not instrumented and our libraries are, so ASan's
         * runtime comes first, and python3's own allocations are no leaks of ours. */
        if (asan && *asan) {
                A("--setenv"); A("ASAN_OPTIONS"); A("detect_leaks=0");
        } else
                asan = NULL;
        snprintf(preload_list, sizeof(preload_list), "%s%s%s", asan ? asan : "",
                 asan && preload ? " " : "", preload ? env_or_fail("SHMB_PRELOAD") : "");
        if (preload_list[0]) {
                A("--setenv"); A("LD_PRELOAD"); A(preload_list);
        }
        A(PYTHON);
        A("-c");
        A(code);
        argv[k] = NULL;
#undef A

        assert_int_equal(harness_exec(id, argv, NULL, 0, &res), 0);
        if (res.status != 0 || res.err_len > 0)
                fprintf(stderr, "--- sandbox as uid %u exited %d; stdout:\n%s--- stderr:\n%s---\n",
                        (unsigned) id->uid, res.status, res.out, res.err);
        assert_int_equal(res.status, 0);
        assert_int_equal(res.err_len, 0);
        out = TAKE_PTR(res.out);
        harness_exec_result_done(&res);
        return out;
}

static void assert_out(const char *got, const char *want)
{
        if (strcmp(got, want) == 0)
                return;
        fprintf(stderr, "--- the sandbox printed:\n%s--- expected:\n%s---\n", got, want);
        fail();
}

static void check_bwrap(void)
{
        if (access(BWRAP, X_OK) < 0)
                fail_msg(BWRAP " is missing: install bubblewrap (tools/quickstart does)");
        if (access(PYTHON, X_OK) < 0)
                fail_msg(PYTHON " is missing: install python3");
}

/* ------------------------------------------------------------------------------------------
 * Python's multiprocessing.shared_memory across sandboxes, through the shim
 */

static const char mp_policy[] =
        "[Segment mp]\n"
        "Names=mp-*\n"
        "Create=41001\n"
        "ReadWrite=41001 41002\n"
        "Owner=41001\n"
        "Group=42001\n"
        "Mode=0600\n"
        "MaxSize=1M\n";

/* Each sandbox leaves the segment to the next: Python's resource tracker would remove
 * whatever the process created or attached to when it exits (Python before 3.13), so the
 * scripts unregister it. */
static const char mp_create[] =
        "import os\n"
        "from multiprocessing import shared_memory, resource_tracker\n"
        "shm = shared_memory.SharedMemory(name='mp-frames', create=True, size=65536)\n"
        "shm.buf[:5] = b'hello'\n"
        "resource_tracker.unregister(shm._name, 'shared_memory')\n"
        "print('created', shm.name, shm.size)\n"
        "print('/dev/shm holds', os.listdir('/dev/shm'))\n"
        "shm.close()\n";

static const char mp_attach[] =
        "from multiprocessing import shared_memory, resource_tracker\n"
        "shm = shared_memory.SharedMemory(name='mp-frames')\n"
        "resource_tracker.unregister(shm._name, 'shared_memory')\n"
        "print('attached', shm.size, bytes(shm.buf[:5]))\n"
        "shm.buf[5:11] = b' world'\n"
        "shm.close()\n";

static const char mp_denied[] =
        "from multiprocessing import shared_memory\n"
        "try:\n"
        "    shared_memory.SharedMemory(name='mp-frames')\n"
        "    print('attached?!')\n"
        "except PermissionError as e:\n"
        "    print('denied', e.errno)\n"
        "try:\n"
        "    shared_memory.SharedMemory(name='mp-mine', create=True, size=4096)\n"
        "    print('created?!')\n"
        "except PermissionError as e:\n"
        "    print('create denied', e.errno)\n";

static const char mp_remove[] =
        "from multiprocessing import shared_memory\n"
        "shm = shared_memory.SharedMemory(name='mp-frames')\n"
        "print('creator reads', bytes(shm.buf[:11]))\n"
        "shm.close()\n"
        "shm.unlink()\n"
        "try:\n"
        "    shared_memory.SharedMemory(name='mp-frames')\n"
        "except FileNotFoundError as e:\n"
        "    print('gone', e.errno)\n";

static void test_multiprocessing_across_sandboxes(void **state)
{
        _cleanup_(freep) char *o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL;
        char want[256], names[256];

        check_bwrap();
        assert_int_equal(harness_daemon_start(mp_policy, NULL, &daemon_), 0);

        o1 = sandbox_python(&id_a, daemon_->socket_path, true, mp_create);
        assert_out(o1, "created mp-frames 65536\n/dev/shm holds []\n");
        /* It is the broker's object, in the daemon's directory, not the sandbox's tmpfs. */
        assert_int_equal(harness_shm_entries(daemon_, names, sizeof(names)), 1);
        assert_string_equal(names, "'mp-frames'");

        o2 = sandbox_python(&id_b, daemon_->socket_path, true, mp_attach);
        assert_out(o2, "attached 65536 b'hello'\n");

        o3 = sandbox_python(&id_c, daemon_->socket_path, true, mp_denied);
        snprintf(want, sizeof(want), "denied %d\ncreate denied %d\n", EACCES, EACCES);
        assert_out(o3, want);

        o4 = sandbox_python(&id_a, daemon_->socket_path, true, mp_remove);
        snprintf(want, sizeof(want), "creator reads b'hello world'\ngone %d\n", ENOENT);
        assert_out(o4, want);
        assert_int_equal(harness_shm_entries(daemon_, NULL, 0), 0);
}

/* ------------------------------------------------------------------------------------------
 * Two apps of one user, each in its own sandbox on its own app socket
 */

static const char apps_policy[] =
        "[Segment app-private]\n"
        "Names=%U-%a-*\n"
        "Create=app:org.example.*\n"
        "ReadWrite=app:org.example.*\n"
        "Owner=%U\n"
        "Mode=0600\n"
        "MaxSize=1M\n"
        "\n"
        "[Segment documents]\n"
        "Names=doc-*\n"
        "Create=app:org.example.Editor\n"
        "ReadWrite=app:org.example.Editor\n"
        "ReadOnly=app:org.example.Viewer\n"
        "Mode=0600\n"
        "MaxSize=1M\n"
        "\n"
        "[Segment user-private]\n"
        "Names=%U-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%U\n"
        "Mode=0600\n"
        "MaxSize=1M\n";

/* The editor, through the shim and through the module: its document, its own scratch
 * segment under %a, no socket of its own to mint. */
static const char editor_code[] =
        "import errno, shmbroker\n"
        "from multiprocessing import shared_memory, resource_tracker\n"
        "doc = shared_memory.SharedMemory(name='doc-report', create=True, size=4096)\n"
        "doc.buf[:5] = b'draft'\n"
        "resource_tracker.unregister(doc._name, 'shared_memory')\n"
        "doc.close()\n"
        "print('doc created')\n"
        "with shmbroker.create('41001-org.example.Editor-scratch', 1024) as s:\n"
        "    print('scratch', s.size)\n"
        "try:\n"
        "    shmbroker.app_socket('org.example.Other')\n"
        "    print('minted?!')\n"
        "except PermissionError as e:\n"
        "    print('mint refused', errno.errorcode[e.errno])\n"
        "try:\n"
        "    shmbroker.create('41001-notes', 16)\n"
        "    print('user prefix?!')\n"
        "except PermissionError as e:\n"
        "    print('user prefix refused', errno.errorcode[e.errno])\n";

/* The viewer: the document read-only (so multiprocessing's read-write attach is refused),
 * nothing of the editor's own, a scratch segment of its own. */
static const char viewer_code[] =
        "import errno, shmbroker\n"
        "from multiprocessing import shared_memory\n"
        "with shmbroker.open('doc-report', access='ro') as d:\n"
        "    print('doc reads', bytes(d.mmap[:5]), d.access)\n"
        "def tryit(what, fn):\n"
        "    try:\n"
        "        fn()\n"
        "        print(what, 'allowed?!')\n"
        "    except OSError as e:\n"
        "        print(what, errno.errorcode[e.errno])\n"
        "tryit('doc rw', lambda: shared_memory.SharedMemory(name='doc-report'))\n"
        "tryit('doc create', lambda: shmbroker.create('doc-other', 16))\n"
        "tryit('editor scratch', lambda: shmbroker.open('41001-org.example.Editor-scratch'))\n"
        "with shmbroker.create('41001-org.example.Viewer-cache', 2048) as s:\n"
        "    print('cache', s.size)\n"
        "print('lists', shmbroker.list())\n";

struct app {
        struct shmb_client *client;
        char *path;
};

static void app_mint(struct app *app, const char *socket, const struct harness_id *id,
                     const char *app_id)
{
        struct stat st;

        /* The connection is the user's (SO_PEERCRED at connect); the request may come from
         * the test, as root, afterwards. */
        assert_int_equal(harness_become(id), 0);
        assert_int_equal(shmb_connect(socket, &app->client), 0);
        harness_unbecome();
        assert_int_equal(shmb_app_socket(app->client, app_id, &app->path), 0);
        assert_int_equal(stat(app->path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_uid, id->uid);
        assert_int_equal(st.st_mode & 07777, 0600);
}

static void app_close(struct app *app)
{
        uint64_t deadline = tl_now_ms() + 5000;

        app->client = shmb_client_free(app->client);
        /* The daemon removes the socket once it sees the connection close. */
        while (access(app->path, F_OK) == 0 && tl_now_ms() < deadline)
                tl_sleep_ms(10);
        assert_int_equal(access(app->path, F_OK), -1);
        free(TAKE_PTR(app->path));
}

struct main_socket_args {
        const char *socket;
};

/* The user itself, on the main socket, gets none of its apps' grants. */
static int child_main_socket(void *userdata)
{
        const struct main_socket_args *a = userdata;
        struct shmb_client *c = NULL;
        int fd = -1;

        CHILD_CHECK_EQ(shmb_connect(a->socket, &c), 0);
        CHILD_CHECK_EQ(shmb_open(c, "doc-report", SHMB_ACCESS_RDONLY, &fd, NULL), -EACCES);
        /* The editor's scratch belongs to the app rule: not the user's to open. */
        CHILD_CHECK_EQ(shmb_open(c, "41001-org.example.Editor-scratch", SHMB_ACCESS_RDWR,
                                 &fd, NULL), -ENOENT);
        CHILD_CHECK_EQ(shmb_create(c, "41001-mine", 64, SHMB_ACCESS_NONE, NULL, NULL), 0);
        CHILD_CHECK_EQ(shmb_unlink(c, "41001-mine"), 0);
        shmb_client_free(c);
        return 0;
}

static void test_two_apps_one_user(void **state)
{
        _cleanup_(freep) char *editor = NULL, *viewer = NULL;
        struct app ed = {}, vw = {};
        struct main_socket_args ma;
        char want[512];
        int fd;

        check_bwrap();
        named_daemon(apps_policy);
        app_mint(&ed, daemon_->socket_path, &id_a, "org.example.Editor");
        app_mint(&vw, daemon_->socket_path, &id_a, "org.example.Viewer");
        assert_string_not_equal(ed.path, vw.path);

        editor = sandbox_python(&id_a, ed.path, true, editor_code);
        assert_out(editor,
                   "doc created\n"
                   "scratch 1024\n"
                   "mint refused EPERM\n"
                   "user prefix refused EACCES\n");

        viewer = sandbox_python(&id_a, vw.path, true, viewer_code);
        snprintf(want, sizeof(want),
                 "doc reads b'draft' ro\n"
                 "doc rw EACCES\n"
                 "doc create EACCES\n"
                 "editor scratch EACCES\n"
                 "cache 2048\n"
                 "lists ['41001-org.example.Viewer-cache', 'doc-report']\n");
        assert_out(viewer, want);

        ma.socket = daemon_->socket_path;
        assert_int_equal(harness_run_as(&id_a, child_main_socket, &ma), 0);

        /* Another user cannot use the user's app socket (mode 0600). */
        fd = harness_connect_as(ed.path, SOCK_SEQPACKET, &id_b);
        assert_int_equal(fd, -EACCES);

        /* When the engine's connection closes, the socket goes; an app that still runs is
         * left with a connection that works until it ends. */
        app_close(&ed);
        app_close(&vw);
}

/* ------------------------------------------------------------------------------------------
 * The example launcher, examples/shmbroker-bwrap
 */

static const char launcher_policy[] =
        "[Segment python]\n"
        "Names=psm_*\n"
        "Create=app:org.example.*\n"
        "ReadWrite=app:org.example.*\n"
        "Mode=0600\n"
        "MaxSize=1M\n";

static const char launcher_code[] =
        "import os, sys\n"
        "from multiprocessing import shared_memory\n"
        "s = shared_memory.SharedMemory(create=True, size=8192)\n"
        "s.buf[:2] = b'ok'\n"
        "print('created', s.size, os.listdir('/dev/shm'), os.path.exists('/run/shmbroker/socket'))\n"
        "s.close()\n"
        "s.unlink()\n"
        "sys.exit(7)\n";

/*
 * The shmbrokerctl to mint app sockets with: $SHMBROKERCTL when it has the app-socket
 * command, else tests/helpers/app-socket-ctl, the same command over the Python module (a
 * shmbrokerctl from before the command; said in the test's output).
 */
static const char *ctl_with_app_socket(void)
{
        static char helper[PATH_MAX];
        const char *ctl = env_or_fail("SHMBROKERCTL");
        const char *const argv[] = { ctl, "--help", NULL };
        struct harness_exec_result res;
        bool has;

        assert_int_equal(harness_exec(NULL, argv, NULL, 0, &res), 0);
        has = strstr(res.out, "app-socket") != NULL;
        harness_exec_result_done(&res);
        if (has)
                return ctl;
        snprintf(helper, sizeof(helper), "%s/tests/helpers/app-socket-ctl",
                 env_or_fail("SHMB_TOP_SRCDIR"));
        print_message("%s has no app-socket command: minting with %s\n", ctl, helper);
        return helper;
}

/* The launcher mints the socket with shmbrokerctl, runs the app in it, and stops shmbrokerctl
 * when the app exits, with the app's status. */
static void test_launcher(void **state)
{
        const char *top_src = env_or_fail("SHMB_TOP_SRCDIR");
        const char *top_build = env_or_fail("SHMB_TOP_BUILDDIR");
        const char *asan = getenv("SHMB_ASAN_RUNTIME");
        char sock[PATH_MAX + 32], ctl[PATH_MAX + 32], preload[2 * PATH_MAX + 32];
        char launcher[PATH_MAX], pythonpath[PATH_MAX], libpath[PATH_MAX];
        char env_pythonpath[PATH_MAX + 16], env_libpath[PATH_MAX + 32];
        char env_asan[PATH_MAX + 16] = "LD_PRELOAD=";
        char apps_dir[PATH_MAX + 8];
        struct harness_exec_result res;
        _cleanup_(freep) char *log = NULL;

        check_bwrap();
        named_daemon(launcher_policy);
        snprintf(sock, sizeof(sock), "SHMBROKER_SOCKET=%s", daemon_->socket_path);
        snprintf(ctl, sizeof(ctl), "SHMBROKERCTL=%s", ctl_with_app_socket());
        /* As in sandbox_python(): ASan's runtime first in a sanitizer build. */
        snprintf(preload, sizeof(preload), "SHMBROKER_PRELOAD=%s%s%s", asan ? asan : "",
                 asan && *asan ? " " : "", env_or_fail("SHMB_PRELOAD"));
        snprintf(launcher, sizeof(launcher), "%s/examples/shmbroker-bwrap", top_build);
        snprintf(pythonpath, sizeof(pythonpath), "%s/python", top_src);
        snprintf(libpath, sizeof(libpath), "%s/client/.libs", top_build);
        /* For app-socket-ctl, if it is the one. */
        snprintf(env_pythonpath, sizeof(env_pythonpath), "PYTHONPATH=%s", pythonpath);
        snprintf(env_libpath, sizeof(env_libpath), "LD_LIBRARY_PATH=%s", libpath);
        /* ... which in a sanitizer build loads our instrumented library into python3 (empty,
         * and so ignored by ld.so, otherwise). */
        if (asan && *asan)
                snprintf(env_asan, sizeof(env_asan), "LD_PRELOAD=%s", asan);
        {
                const char *const argv[] = {
                        "/usr/bin/env", sock, ctl, preload, env_pythonpath, env_libpath,
                        env_asan,
                        /* Python's own allocations are no leaks of ours (sanitizer builds). */
                        "ASAN_OPTIONS=detect_leaks=0",
                        "/bin/sh", launcher,
                        "org.example.Editor",
                        "--ro-bind", top_src, top_src,
                        "--ro-bind", top_build, top_build,
                        "--setenv", "PYTHONPATH", pythonpath,
                        "--setenv", "LD_LIBRARY_PATH", libpath,
                        "--",
                        PYTHON, "-c", launcher_code,
                        NULL,
                };

                assert_int_equal(harness_exec(&id_a, argv, NULL, 0, &res), 0);
        }
        if (res.status != 7 || res.err_len > 0)
                fprintf(stderr, "--- launcher exited %d; stdout:\n%s--- stderr:\n%s---\n",
                        res.status, res.out, res.err);
        assert_int_equal(res.status, 7);
        assert_string_equal(res.out, "created 8192 [] True\n");
        assert_int_equal(res.err_len, 0);
        harness_exec_result_done(&res);

        /* The app was the app, and its socket is gone with shmbrokerctl. */
        log = harness_daemon_log(daemon_);
        assert_non_null(log);
        assert_non_null(strstr(log, "app=org.example.Editor: create 'psm_"));
        snprintf(apps_dir, sizeof(apps_dir), "%s/apps", daemon_->run_dir);
        assert_true(tl_dir_count(apps_dir) == 0 || tl_dir_count(apps_dir) == -ENOENT);
}

/* ------------------------------------------------------------------------------------------
 * The limits of app sockets, and what the user may do about its apps' objects
 */

/* Connects to @socket as @id (the connection is @id's; the requests come from the test). */
static struct shmb_client *connect_as(const char *socket, const struct harness_id *id)
{
        struct shmb_client *c = NULL;

        assert_int_equal(harness_become(id), 0);
        assert_int_equal(shmb_connect(socket, &c), 0);
        harness_unbecome();
        return c;
}

/*
 * A request no rule allows, to see the connection served: -EACCES (no rule for the name), or
 * the daemon's refusal of the connection (the seq-0 error: -EDQUOT). Once it has answered, the
 * daemon has accepted the connection and charged it.
 */
static int probe(struct shmb_client *c)
{
        int fd = -1;

        return shmb_open(c, "nobody-x", SHMB_ACCESS_RDONLY, &fd, NULL);
}

static bool log_has(const char *needle)
{
        _cleanup_(freep) char *log = harness_daemon_log(daemon_);

        assert_non_null(log);
        if (strstr(log, needle))
                return true;
        fprintf(stderr, "--- the daemon's log has no '%s':\n%s---\n", needle, log);
        return false;
}

/* A uid without a user name (a subordinate uid, in life) gets no app socket; one with a name
 * does. */
static void test_app_socket_needs_name(void **state)
{
        _cleanup_(freep) char *path = NULL;
        struct shmb_client *c;
        struct app named = {};

        named_daemon(apps_policy);
        c = connect_as(daemon_->socket_path, &id_b);
        /* Before: any uid could have one, and 64 subordinate uids of one user took them all. */
        assert_int_equal(shmb_app_socket(c, "org.example.Editor", &path), -EPERM);
        assert_null(path);
        /* The connection is served as before. */
        assert_int_equal(probe(c), -EACCES);
        shmb_client_free(c);
        assert_true(log_has("uid=41002 pid="));
        assert_true(log_has("the uid has no user name (a subordinate uid, or the name service "
                            "cannot say), refusing it an app socket"));

        app_mint(&named, daemon_->socket_path, &id_a, "org.example.Editor");
        app_close(&named);
}

#define QUOTA_APP_POLICY(max_connections)                \
        "[Quota]\n"                                      \
        "MaxConnectionsPerUser=" #max_connections "\n"   \
        "\n"                                             \
        "[Segment app]\n"                                \
        "Names=app-*\n"                                  \
        "Create=app:org.example.*\n"                     \
        "ReadWrite=app:org.example.*\n"                  \
        "Mode=0600\n"                                    \
        "MaxSize=1M\n"

/*
 * MaxConnectionsPerUser=6: the launcher's two connections (one per app socket), and the apps
 * three between them. A cap per app socket (half, 3, each) let the apps take the other four,
 * and the user could not connect at all.
 */
static void test_apps_keep_half(void **state)
{
        _cleanup_(freep) char *third = NULL;
        struct shmb_client *through_a[3], *through_b, *user;
        struct app a = {}, b = {};
        size_t i;

        named_daemon(QUOTA_APP_POLICY(6));
        app_mint(&a, daemon_->socket_path, &id_a, "org.example.One");
        app_mint(&b, daemon_->socket_path, &id_a, "org.example.Two");
        for (i = 0; i < ELEMENTSOF(through_a); i++) {
                through_a[i] = connect_as(a.path, &id_a);
                assert_int_equal(probe(through_a[i]), -EACCES);
        }
        /* The apps' half is taken, by one app: the other's connection is refused. */
        through_b = connect_as(b.path, &id_a);
        assert_int_equal(probe(through_b), -EDQUOT);
        assert_true(log_has("app=org.example.Two: its apps have 3 connections, all that they "
                            "may have"));
        /* The user still gets the main socket, and can start another app. */
        user = connect_as(daemon_->socket_path, &id_a);
        assert_int_equal(probe(user), -EACCES);
        assert_int_equal(shmb_app_socket(user, "org.example.Three", &third), 0);

        shmb_client_free(user);
        shmb_client_free(through_b);
        for (i = 0; i < ELEMENTSOF(through_a); i++)
                shmb_client_free(through_a[i]);
        app_close(&a);
        app_close(&b);
        assert_int_equal(harness_daemon_stop(TAKE_PTR(daemon_)), 0);

        /* MaxConnectionsPerUser=1: the one connection is the main socket's; apps get none,
         * and a socket for them is refused at once rather than at their connect. */
        named_daemon(QUOTA_APP_POLICY(1));
        user = connect_as(daemon_->socket_path, &id_a);
        free(TAKE_PTR(third));
        assert_int_equal(shmb_app_socket(user, "org.example.One", &third), -EDQUOT);
        assert_int_equal(probe(user), -EACCES);
        shmb_client_free(user);
}

/*
 * App ids overlap: org.example.A's prefix (41001-org.example.A-*) covers org.example.A-b's
 * names. A takes one of them; B can neither create, open nor remove it; the user, on the main
 * socket, removes it (and only that).
 */
static void test_user_removes_apps_squat(void **state)
{
        static const char squat[] = "41001-org.example.A-b-frames";
        static const char own[] = "41001-org.example.A-own";
        struct shmb_client *app_a, *app_b, *user, *other;
        struct app a = {}, b = {};
        char want[256];
        int fd = -1;

        named_daemon(apps_policy);
        app_mint(&a, daemon_->socket_path, &id_a, "org.example.A");
        app_mint(&b, daemon_->socket_path, &id_a, "org.example.A-b");
        app_a = connect_as(a.path, &id_a);
        app_b = connect_as(b.path, &id_a);
        user = connect_as(daemon_->socket_path, &id_a);
        other = connect_as(daemon_->socket_path, &id_b);

        assert_int_equal(shmb_create(app_a, squat, 64, SHMB_ACCESS_NONE, NULL, NULL), 0);
        assert_int_equal(shmb_create(app_b, squat, 64, SHMB_ACCESS_NONE, NULL, NULL), -EEXIST);
        assert_int_equal(shmb_unlink(app_b, squat), -ENOENT);
        /* The user gets nothing of its apps' objects but their removal. */
        assert_int_equal(shmb_open(user, squat, SHMB_ACCESS_RDWR, &fd, NULL), -ENOENT);
        /* Before: ENOENT, and only an admin could remove it. */
        assert_int_equal(shmb_unlink(user, squat), 0);
        snprintf(want, sizeof(want), "audit: uid=41001 gid=42001 pid=%d: unlink '%s' (none) "
                 "granted by rule 'app-private'", (int) getpid(), squat);
        assert_true(log_has(want));
        assert_int_equal(shmb_create(app_b, squat, 64, SHMB_ACCESS_NONE, NULL, NULL), 0);
        assert_int_equal(shmb_unlink(app_b, squat), 0);

        /* Narrow: not another uid, and not another app of the same user. */
        assert_int_equal(shmb_create(app_a, own, 64, SHMB_ACCESS_NONE, NULL, NULL), 0);
        assert_int_equal(shmb_unlink(other, own), -EACCES);
        /* For app B, user-private decides the name, and gives an app nothing. */
        assert_int_equal(shmb_unlink(app_b, own), -EACCES);
        assert_int_equal(shmb_unlink(app_a, own), 0);

        shmb_client_free(other);
        shmb_client_free(user);
        shmb_client_free(app_b);
        shmb_client_free(app_a);
        app_close(&a);
        app_close(&b);
}

static void test_requires_root(void **state)
{
        print_message("the sandbox tests run bwrap as other users: they need root; "
                      "skipped\n");
        skip();
}

#define T(fn) cmocka_unit_test_teardown(fn, teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_multiprocessing_across_sandboxes),
                T(test_two_apps_one_user),
                T(test_launcher),
                T(test_app_socket_needs_name),
                T(test_apps_keep_half),
                T(test_user_removes_apps_squat),
        };
        const struct CMUnitTest skip_tests[] = {
                cmocka_unit_test(test_requires_root),
        };

        if (geteuid() != 0) {
                (void) cmocka_run_group_tests_name("sandbox (needs root)", skip_tests, NULL,
                                                   NULL);
                return 77;
        }
        (void) signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests_name("sandboxed apps", tests, NULL, NULL);
}
