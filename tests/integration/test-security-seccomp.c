/* SPDX-License-Identifier: MIT */
/*
 * test-security-seccomp.c - the security suite's case 100 (and 97): the daemon under a seccomp
 * filter like its unit's, where getrlimit()/setrlimit() and openat2() fail with EPERM
 * (SystemCallFilter=~@resources, RestrictSUIDSGID=yes).
 *
 * Its own binary, not a case of test-security: a sanitized daemon cannot run under this filter
 * (the ASan runtime itself calls getrlimit() at start and gives up when it fails), so in a
 * --enable-sanitizers build this binary alone reports SKIP (exit 77) while the rest of the
 * security suite still reports PASS. In a normal build it runs and must pass.
 *
 * Same helpers and after-checks as the security suite (tests/helpers/security.h). Needs root
 * (it switches uids); skipped without.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "security.h"

static void test_f100_seccomp_resources(void **state)
{
        struct harness_daemon_options opts = { .seccomp_deny_resources = true,
                                               .nofile_soft = 1024, .nofile_hard = 4096 };
        struct harness_daemon *d;
        int fd = -1;

        if (sec_daemon_sanitized())
                sec_skip("the sanitizer runtime itself needs getrlimit(), which the filter "
                         "denies: not for a sanitized daemon");
        d = sec_start(sec_policy, &opts);

        /* getrlimit()/setrlimit() fail (as under ~@resources): the daemon starts anyway,
         * without raising its limit (so the unit must set LimitNOFILE=), and the hot path
         * works under the filter. */
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-sc", 4096, SHMB_ACCESS_RDWR, &fd),
                         0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_open(d, &sec_id_reader, "sec-sc", SHMB_ACCESS_RDONLY, NULL), 0);
        assert_int_equal(sec_create(d, &sec_id_creator, "secm-sc", 4096, SHMB_ACCESS_RDWR, &fd),
                         0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_open(d, &sec_id_reader, "secm-sc", SHMB_ACCESS_RDONLY, NULL), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-sc"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "secm-sc"), 0);
        sec_finish();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                SEC_TEST(test_f100_seccomp_resources),
        };

        if (geteuid() != 0) {
                fprintf(stderr, "test-security-seccomp switches uids: it needs root; skipped\n");
                return 77; /* automake: SKIP */
        }
        /* A client that the daemon hangs up on must cost us EPIPE, not SIGPIPE. */
        (void) signal(SIGPIPE, SIG_IGN);
        if (cmocka_run_group_tests_name("F. seccomp filter (100)", tests, NULL, NULL) > 0)
                return 1;
        /* cmocka counts a skip as a pass: say SKIP to automake instead. */
        if (sec_n_skipped() > 0) {
                fprintf(stderr, "%u case(s) skipped: reported as SKIP\n", sec_n_skipped());
                return 77;
        }
        return 0;
}
