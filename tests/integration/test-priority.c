/* SPDX-License-Identifier: MIT */
/*
 * test-priority.c - the daemon's nice level (--nice, shmbrokerd(8)):
 *
 *  - started at nice 0 it runs at -10, and so does every thread it starts later;
 *  - started at another level (nice(1), a unit's Nice=) it keeps that level, unless --nice
 *    asks for one; --nice keep keeps whatever level it was started at;
 *  - without CAP_SYS_NICE it says why in its log and serves at the level it has;
 *  - a bad --nice is a usage error (exit 2) that names the value, before anything starts.
 *
 * Each case runs fresh daemons (security.h) and ends with the suite's after-checks. The test
 * process sets itself to nice 0 first, so that what the daemon starts at is known. Needs root
 * (it sets levels and switches uids); skipped without.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "macro.h"
#include "security.h"

#define CAP_SYS_NICE_BIT 23 /* linux/capability.h CAP_SYS_NICE */

/* The nice level of thread @tid of @pid: field 19 of its stat, counted after the name's ')'. */
static int thread_nice(pid_t pid, const char *tid)
{
        char path[96], buf[1024], *p;
        FILE *f;
        size_t n;
        int nice;

        snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int) pid, tid);
        f = fopen(path, "re");
        if (!f)
                fail_msg("%s: %s", path, strerror(errno));
        n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
                         "%*d %d", &nice) != 1)
                fail_msg("%s: cannot read the nice level in '%s'", path, buf);
        return nice;
}

/* Asserts that every thread of the daemon runs at @nice; returns how many there are. */
static int expect_nice(const struct harness_daemon *d, int nice)
{
        char path[64];
        struct dirent *e;
        DIR *dir;
        int n = 0, got;

        snprintf(path, sizeof(path), "/proc/%d/task", (int) d->pid);
        dir = opendir(path);
        assert_non_null(dir);
        while ((e = readdir(dir))) {
                if (e->d_name[0] == '.')
                        continue;
                got = thread_nice(d->pid, e->d_name);
                if (got != nice) {
                        closedir(dir);
                        fail_msg("thread %s of the daemon runs at nice %d, expected %d",
                                 e->d_name, got, nice);
                }
                n++;
        }
        closedir(dir);
        return n;
}

/* Starts a daemon behind @wrapper with @args (both may be NULL) and checks its level. */
static struct harness_daemon *start_at(const char *const *wrapper, const char *const *args,
                                       unsigned long long capbset_drop, int nice)
{
        const struct harness_daemon_options opts = {
                .wrapper = wrapper, .extra_args = args, .capbset_drop = capbset_drop,
        };
        struct harness_daemon *d = sec_start(sec_per_user_policy, &opts);

        expect_nice(d, nice);
        return d;
}

static void self_at_nice_0(void)
{
        if (setpriority(PRIO_PROCESS, 0, 0) < 0)
                fail_msg("setpriority(0): %s", strerror(errno));
}

/* The default: -10 from 0, for the main thread and for the threads started afterwards. */
static void test_default(void **state)
{
        struct harness_daemon *d;
        int fd;

        self_at_nice_0();
        d = start_at(NULL, NULL, 0, -10);
        sec_expect_log(d, 0, "Running at nice -10.", NULL, 1, 1);
        /* Root's connection is looked up (%u): that starts a thread. */
        assert_int_equal(sec_create(d, &sec_id_root, "root-x", 4096, SHMB_ACCESS_RDWR, &fd), 0);
        assert_int_equal(close(fd), 0);
        if (expect_nice(d, -10) < 2)
                fail_msg("the daemon started no thread for a lookup");
        assert_int_equal(sec_unlink(d, &sec_id_root, "root-x"), 0);
        sec_finish();
}

/* A level chosen by whoever started the daemon stays, unless --nice asks for another. */
static void test_started_elsewhere(void **state)
{
        static const char *const nice3[] = { "/usr/bin/nice", "-n", "3", NULL };
        struct harness_daemon *d;

        if (access(nice3[0], X_OK) < 0)
                sec_skip("no %s (Debian: coreutils)", nice3[0]);
        self_at_nice_0();
        d = start_at(nice3, NULL, 0, 3);
        sec_expect_log(d, 0, "Started at nice 3, kept", NULL, 1, 1);
        sec_finish();

        d = start_at(nice3, (const char *const[]) { "--nice", "-5", NULL }, 0, -5);
        sec_expect_log(d, 0, "Running at nice -5.", NULL, 1, 1);
        sec_finish();

        d = start_at(nice3, (const char *const[]) { "--nice", "keep", NULL }, 0, 3);
        sec_expect_log(d, 0, "nice", NULL, 0, 0);
        sec_finish();
}

/* --nice N from 0, up and down; keep stays at 0. */
static void test_explicit(void **state)
{
        struct harness_daemon *d;

        self_at_nice_0();
        d = start_at(NULL, (const char *const[]) { "--nice", "7", NULL }, 0, 7);
        sec_expect_log(d, 0, "Running at nice 7.", NULL, 1, 1);
        sec_finish();

        d = start_at(NULL, (const char *const[]) { "--nice", "-20", NULL }, 0, -20);
        sec_finish();

        d = start_at(NULL, (const char *const[]) { "--nice", "keep", NULL }, 0, 0);
        sec_expect_log(d, 0, "nice", NULL, 0, 0);
        sec_finish();
}

/* Without CAP_SYS_NICE the daemon cannot raise its priority: it says so and serves. */
static void test_no_privilege(void **state)
{
        struct harness_daemon *d;
        int fd;

        self_at_nice_0();
        d = start_at(NULL, NULL, 1ULL << CAP_SYS_NICE_BIT, 0);
        sec_expect_log(d, 0, "Running at nice 0: nice -10 needs CAP_SYS_NICE", NULL, 1, 1);
        assert_int_equal(sec_create(d, &sec_id_root, "root-y", 4096, SHMB_ACCESS_RDWR, &fd), 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_root, "root-y"), 0);
        sec_finish();

        /* Lowering needs no privilege. */
        d = start_at(NULL, (const char *const[]) { "--nice", "4", NULL },
                     1ULL << CAP_SYS_NICE_BIT, 4);
        sec_finish();
}

/* Out of range or not a number: exit 2, the value named, nothing started. */
static void test_invalid(void **state)
{
        static const char *const bad[] = { "20", "-21", "x", "", "1x", "-10.5", "Keep" };
        struct harness_exec_result res = {};
        char dir[] = "/tmp/shmb-nice.XXXXXX", sock[64], want[64];
        size_t i;

        assert_non_null(mkdtemp(dir));
        sec_remove_later(dir);
        snprintf(sock, sizeof(sock), "%s/socket", dir);
        for (i = 0; i < ELEMENTSOF(bad); i++) {
                sec_run_daemon((const char *const[]) { "--socket", sock, "--nice", bad[i],
                                                       NULL }, &res);
                snprintf(want, sizeof(want), "Invalid --nice '%s'", bad[i]);
                if (res.status != 2 || !strstr(res.err, want))
                        fail_msg("--nice '%s': exit %d, stderr '%s' (expected 2 and '%s')",
                                 bad[i], res.status, res.err, want);
                harness_exec_result_done(&res);
                assert_int_equal(access(sock, F_OK), -1);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                SEC_TEST(test_default),
                SEC_TEST(test_started_elsewhere),
                SEC_TEST(test_explicit),
                SEC_TEST(test_no_privilege),
                SEC_TEST(test_invalid),
        };
        int r;

        if (geteuid() != 0) {
                fprintf(stderr, "test-priority sets nice levels and switches uids: it needs "
                        "root; skipped\n");
                return 77; /* automake: SKIP */
        }
        (void) signal(SIGPIPE, SIG_IGN);
        r = cmocka_run_group_tests_name("priority", tests, NULL, NULL);
        if (r > 0)
                return 1;
        if (sec_n_skipped() > 0) {
                fprintf(stderr, "%u case(s) skipped: reported as SKIP\n", sec_n_skipped());
                return 77;
        }
        return 0;
}
