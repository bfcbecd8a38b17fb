/* SPDX-License-Identifier: MIT */
/*
 * test-security.c - the security suite: 100 attacks, faults and bad inputs a brokering daemon
 * must survive, in groups A to F, against a real shmbrokerd.
 *
 * One binary, one file per group:
 *   test-security-proto.c   A. protocol and bad input (1-23)
 *   test-security-auth.c    B. credentials and authorization (24-41)
 *   test-security-fs.c      C. filesystem races and object semantics (42-62)
 *   test-security-dos.c     D. resource exhaustion and DoS (63-78)
 *   test-security-daemon.c  E. restart and crash (79-90, those that need no service manager)
 *                           F. dropping privileges (91-99)
 *   test-security-seccomp.c 100, under a seccomp filter (its own binary: a sanitized daemon
 *                           cannot run it)
 * Shared pieces are in tests/helpers/security.[ch], on top of tests/helpers/harness.[ch].
 *
 * Every case starts its own daemon and ends with sec_finish(), which makes the four checks
 * every case owes: (a) a control client of another uid creates and opens; (b) the daemon's
 * fd count is back at its baseline; (c) no stray object is left in the object directory; and
 * (d) is in each case: the exact error code, and the daemon's rate-limited log lines counted.
 *
 * Every case runs. One that this environment cannot run (no tmpfs mount, no system user to
 * drop to) skips saying why, through sec_skip(); since cmocka counts a skip as a pass, the
 * binary then exits 77, so that automake reports SKIP rather than PASS (failures still win).
 *
 * The suite needs root (it switches uids, mounts tmpfs, sets sysctls); without root it is
 * skipped (exit 77), so that `make check` without root reports SKIP, not PASS.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "security.h"

static void test_requires_root(void **state)
{
        print_message("the security suite switches uids, mounts and sets sysctls: it needs "
                      "root; skipped\n");
        skip();
}

int main(void)
{
        const struct CMUnitTest skip_tests[] = {
                cmocka_unit_test(test_requires_root),
        };
        static const struct {
                const char *name;
                const struct CMUnitTest *tests;
                const size_t *n;
        } groups[] = {
                { "A. protocol and bad input", sec_tests_proto, &sec_n_tests_proto },
                { "B. credentials and authorization", sec_tests_auth, &sec_n_tests_auth },
                { "C. filesystem races and object semantics", sec_tests_fs, &sec_n_tests_fs },
                { "D. resource exhaustion and DoS", sec_tests_dos, &sec_n_tests_dos },
                { "E/F. restart, crash, privileges", sec_tests_daemon, &sec_n_tests_daemon },
        };
        size_t i;
        int failed = 0;

        if (geteuid() != 0) {
                (void) cmocka_run_group_tests_name("security (needs root)", skip_tests, NULL,
                                                   NULL);
                return 77; /* automake: SKIP */
        }
        /* SEC_FILTER=PATTERN runs only the matching cases (cmocka's * and ? globs). */
        if (getenv("SEC_FILTER"))
                cmocka_set_test_filter(getenv("SEC_FILTER"));
        /* A client that the daemon hangs up on must cost us EPIPE, not SIGPIPE. */
        (void) signal(SIGPIPE, SIG_IGN);
        for (i = 0; i < ELEMENTSOF(groups); i++)
                failed += _cmocka_run_group_tests(groups[i].name, groups[i].tests, *groups[i].n,
                                                  NULL, NULL);
        if (failed > 0)
                return 1;
        if (sec_n_skipped() > 0) {
                fprintf(stderr, "%u case(s) skipped: reported as SKIP\n", sec_n_skipped());
                return 77;
        }
        return 0;
}
