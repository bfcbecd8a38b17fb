/* SPDX-License-Identifier: MIT */
/*
 * test-ctl.c - the shmbrokerctl suite: the real binary against a real shmbrokerd, as several
 * users, asserting what a user sees (exact lines on stdout and stderr, exit statuses, table
 * cells) and what a script reads (--json, parsed with json-c).
 *
 * Covered: usage errors; failures with the broker's reasons; list, stat and status for people
 * and in JSON; explain, for oneself, for a user of this system (groups from its database) and
 * for an app; lifetimes on create and on exec; exec's environment; resize and publish; wait,
 * watch (with the broker's filtering and an overflow) and app-socket in the background; the
 * admins' unlink --all; orphans after a reload; names that are not UTF-8, or hold controls.
 *
 * Every group starts a daemon (tests/helpers/harness.c); after each case a control user must
 * still be served, and after each group the daemon's fd count must be back at its baseline and
 * SIGTERM must stop it with status 0. Background programs are synchronised on what they are
 * doing (asleep in poll(2)) and on the daemon being idle, never on time. Needs root (it
 * switches uids); skipped without.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctltest.h"
#include "harness.h"
#include "macro.h"
#include "shmbroker.h"

/* ------------------------------------------------------------------------------------------
 * Identities and the policy
 */

static const struct harness_id id_creator = { .uid = HARNESS_UID_1, .gid = HARNESS_GID_3 };
static const struct harness_id id_writer = { .uid = HARNESS_UID_2, .gid = HARNESS_GID_3 };
static const struct harness_id id_reader = { .uid = HARNESS_UID_3, .gid = HARNESS_GID_3 };
/* An admin (Admins=) whom no rule gives anything. */
static const struct harness_id id_admin = { .uid = HARNESS_UID_4, .gid = HARNESS_GID_3 };
/* App sockets are for uids with user names: the user that ctl_users_setup() makes. */
static const struct harness_id id_app_user = { .uid = CTL_USER_UID, .gid = CTL_USER_GID };
static const struct harness_id id_control = {
        .uid = HARNESS_CONTROL_UID, .gid = HARNESS_CONTROL_GID,
};

#define POLICY_RULES                                    \
        "[Broker]\n"                                    \
        "Admins=41004\n"                                \
        "\n"                                            \
        "[Quota]\n"                                     \
        "MaxConnectionsPerUser=32\n"                    \
        "MaxObjectsPerUser=100\n"                       \
        "MaxBytesPerUser=64M\n"                         \
        "\n"                                            \
        "[Segment demo]\n"                              \
        "Names=demo-*\n"                                \
        "Create=41001\n"                                \
        "ReadWrite=41001 41002\n"                       \
        "ReadOnly=41003 @42042\n"                       \
        "Owner=41001\n"                                 \
        "Group=42002\n"                                 \
        "Mode=0640\n"                                   \
        "MaxSize=1M\n"                                  \
        "\n"                                            \
        "[Segment mem]\n"                               \
        "Names=mem-*\n"                                 \
        "Create=41001\n"                                \
        "ReadWrite=41001 41002\n"                       \
        "ReadOnly=41003\n"                              \
        "MaxSize=1M\n"                                  \
        "Backend=memfd\n"                               \
        "\n"                                            \
        "[Segment life]\n"                              \
        "Names=life-*\n"                                \
        "Create=41001\n"                                \
        "ReadWrite=41001\n"                             \
        "ReadOnly=41003\n"                              \
        "Owner=41001\n"                                 \
        "Group=42002\n"                                 \
        "Mode=0640\n"                                   \
        "MaxSize=1M\n"                                  \
        "Lifetime=1h\n"                                 \
        "\n"                                            \
        "[Segment app]\n"                               \
        "Names=app-*\n"                                 \
        "Create=app:org.example.*\n"                    \
        "ReadWrite=app:org.example.*\n"                 \
        "Owner=41002\n"                                 \
        "Group=42002\n"                                 \
        "Mode=0600\n"                                   \
        "MaxSize=1M\n"                                  \
        "\n"                                            \
        "[Segment priv]\n"                              \
        "Names=priv-*\n"                                \
        "Create=41001\n"                                \
        "Owner=41001\n"                                 \
        "Group=42002\n"                                 \
        "Mode=0600\n"                                   \
        "MaxSize=1M\n"

static const char policy[] = POLICY_RULES;

/* The same without [Segment demo]: its objects become orphans. */
static const char policy_no_demo[] =
        "[Broker]\n"
        "Admins=41004\n"
        "\n"
        "[Segment priv]\n"
        "Names=priv-*\n"
        "Create=41001\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0600\n"
        "MaxSize=1M\n";

#define ADMIN_ONLY "Operation not permitted (only the broker's admins may do this)"
#define USAGE_HINT "Try 'shmbrokerctl --help'.\n"

/*
 * What the tool shows for the test uids: their names where this system has them (other suites
 * on the same machine may have made users with these uids), else the numbers. Set up with the
 * group.
 */
static char who1[64], who2[64];         /* name, else the uid: the CREATOR column */
static char name1[64], name4[64];       /* name, else "-": the USER column of status */

static void whos_init(void)
{
        struct passwd *pw;

        pw = getpwuid(HARNESS_UID_1);
        snprintf(who1, sizeof(who1), "%s", pw ? pw->pw_name : "41001");
        snprintf(name1, sizeof(name1), "%s", pw ? pw->pw_name : "-");
        pw = getpwuid(HARNESS_UID_2);
        snprintf(who2, sizeof(who2), "%s", pw ? pw->pw_name : "41002");
        pw = getpwuid(HARNESS_UID_4);
        snprintf(name4, sizeof(name4), "%s", pw ? pw->pw_name : "-");
}

/* A JSON user name field: the name this system has for @uid, or null. */
static void assert_juser(struct json_object *j, const char *path, uid_t uid)
{
        struct passwd *pw = getpwuid(uid);

        if (pw)
                ctl_assert_jstr(j, path, pw->pw_name);
        else
                ctl_assert_jnull(j, path);
}

/* ------------------------------------------------------------------------------------------
 * Fixtures
 */

/* What a case ran last and the JSON it read: released after the case, whatever happened. */
static struct ctl_bg bg = CTL_BG_NONE;
static struct harness_exec_result res;
static struct json_object *j;

static void jparse(const char *text)
{
        json_object_put(j);
        j = ctl_json(text);
}

static void case_release(void)
{
        ctl_bg_kill(&bg);
        harness_exec_result_done(&res);
        json_object_put(j);
        j = NULL;
}

/* A case's leftovers go (as root, an admin), and a control user is still served. */
static int case_teardown(void **state)
{
        const struct harness_daemon *d = *state;

        case_release();
        (void) harness_daemon_wait_idle(d, HARNESS_TIMEOUT_MS);
        CTL(d, NULL, &res, "unlink", "--all", "*");
        if (res.status != 0 &&
            strcmp(res.err, "shmbrokerctl: *: No such file or directory\n") != 0)
                fail_msg("clean-up: %s", res.err);
        assert_true(harness_daemon_alive(d));
        CTL(d, &id_control, &res, "create", "ctl-check", "--size", "4K");
        ctl_assert_ok(&res);
        CTL(d, &id_control, &res, "unlink", "ctl-check");
        ctl_assert_ok(&res);
        harness_exec_result_done(&res);
        return 0;
}

static int group_setup(void **state)
{
        struct harness_daemon *d;

        whos_init();
        if (harness_daemon_start(policy, NULL, &d) < 0)
                return -1;
        *state = d;
        return 0;
}

static int group_teardown(void **state)
{
        struct harness_daemon *d = *state;
        int n, r = 0;

        if (!d)
                return 0;
        n = harness_daemon_wait_fd_count(d, d->n_fds_start, 2000);
        if (n != d->n_fds_start) {
                fprintf(stderr, "shmbrokerd has %d fds open at the end, %d after start\n", n,
                        d->n_fds_start);
                r = -1;
        }
        if (harness_daemon_stop(d) != 0) {
                fprintf(stderr, "shmbrokerd did not exit 0 on SIGTERM\n");
                r = -1;
        }
        return r;
}

/* Creates @name as the creator, with @size, and asserts it worked. */
static void make(const struct harness_daemon *d, const char *name, const char *size)
{
        CTL(d, &id_creator, &res, "create", name, "--size", size);
        ctl_assert_ok(&res);
}

/* ------------------------------------------------------------------------------------------
 * Usage errors and reasons
 */

static void test_usage(void **state)
{
        const struct harness_daemon *d = *state;

        CTL(d, &id_reader, &res, "frob");
        ctl_assert_fails(&res, 2, "shmbrokerctl: unknown command 'frob'\n" USAGE_HINT);
        CTL(d, &id_reader, &res, "--bogus", "list");
        ctl_assert_fails(&res, 2, "shmbrokerctl: unrecognized option '--bogus'\n" USAGE_HINT);
        CTL(d, &id_reader, &res, "create", "demo-u", "--size", "4K", "--json");
        ctl_assert_fails(&res, 2, "shmbrokerctl: create: option '--json' does not apply\n"
                                  USAGE_HINT);
        CTL(d, &id_reader, &res, "--json", "unlink", "demo-u");
        ctl_assert_fails(&res, 2, "shmbrokerctl: unlink: option '--json' does not apply\n"
                                  USAGE_HINT);
        CTL(d, &id_reader, &res, "create", "demo-u");
        ctl_assert_fails(&res, 2, "shmbrokerctl: create: missing --size\n" USAGE_HINT);
        CTL(d, &id_reader, &res, "create", "demo-u", "--size", "4K", "--unsized");
        ctl_assert_fails(&res, 2, "shmbrokerctl: create: --size and --unsized exclude each "
                                  "other\n" USAGE_HINT);
        CTL(d, &id_reader, &res, "create", "demo-u", "--size", "4K", "--lifetime", "500ms");
        ctl_assert_fails(&res, 2, "shmbrokerctl: --lifetime: invalid lifetime '500ms' "
                                  "(persistent, process, or a span of at least 1s)\n"
                                  USAGE_HINT);
        CTL(d, &id_reader, &res, "create", "demo-u", "--size", "4X");
        ctl_assert_fails(&res, 2, "shmbrokerctl: --size: invalid size '4X'\n" USAGE_HINT);
        CTL(d, &id_reader, &res, "exec", "--lifetime", "process", "demo-u", "--", "/bin/true");
        ctl_assert_fails(&res, 2, "shmbrokerctl: exec: --lifetime applies to the segments "
                                  "--size creates\n" USAGE_HINT);
        CTL(d, &id_reader, &res, "exec", "demo-u", "/bin/true");
        ctl_assert_fails(&res, 2, "shmbrokerctl: exec: missing '--' before COMMAND\n"
                                  USAGE_HINT);
        CTL(d, &id_reader, &res, "resize", "demo-u", "12Q");
        ctl_assert_fails(&res, 2, "shmbrokerctl: resize: invalid size '12Q'\n" USAGE_HINT);
        CTL(d, &id_reader, &res, "resize", "demo-u");
        ctl_assert_fails(&res, 2, "shmbrokerctl: resize: missing SIZE\n" USAGE_HINT);
        CTL(d, &id_reader, &res, "wait", "demo-u", "--timeout", "soon");
        ctl_assert_fails(&res, 2, "shmbrokerctl: --timeout: invalid span 'soon'\n" USAGE_HINT);
        CTL(d, &id_reader, &res, "list", "extra");
        ctl_assert_fails(&res, 2, "shmbrokerctl: list: too many arguments\n" USAGE_HINT);
        CTL(d, &id_reader, &res, "watch", "a*", "b*");
        ctl_assert_fails(&res, 2, "shmbrokerctl: watch: too many arguments\n" USAGE_HINT);
        CTL(d, &id_reader, &res, "app-socket");
        ctl_assert_fails(&res, 2, "shmbrokerctl: app-socket: missing APP_ID\n" USAGE_HINT);
        CTL(d, &id_reader, &res, "unlink", "--all");
        ctl_assert_fails(&res, 2, "shmbrokerctl: unlink: missing PATTERN\n" USAGE_HINT);
        CTL(d, &id_reader, &res, "unlink");
        ctl_assert_fails(&res, 2, "shmbrokerctl: unlink: missing NAME\n" USAGE_HINT);
        /* After "--" everything is an argument, options too (the man page says so). */
        CTL(d, &id_reader, &res, "create", "--", "-odd", "--size", "4K");
        ctl_assert_fails(&res, 2, "shmbrokerctl: create: too many arguments\n" USAGE_HINT);

        CTL(d, &id_reader, &res, "--help");
        ctl_assert_ok(&res);
        assert_true(strncmp(res.out, "Usage: shmbrokerctl [--socket PATH] create ", 43) == 0);
}

static void test_reasons(void **state)
{
        const struct harness_daemon *d = *state;

        make(d, "demo-r", "4K");
        CTL(d, &id_creator, &res, "create", "demo-r", "--size", "4K");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-r: File exists (the name is taken)\n");
        CTL(d, &id_creator, &res, "create", "demo-big", "--size", "2M");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-big: File too large "
                                  "(larger than the rule's MaxSize=)\n");
        CTL(d, &id_creator, &res, "create", "/nothing-r", "--size", "4K");
        ctl_assert_fails(&res, 1, "shmbrokerctl: /nothing-r: Permission denied "
                                  "(no rule matches this name)\n");
        CTL(d, &id_reader, &res, "unlink", "demo-r");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-r: Permission denied "
                                  "(the rule does not let you create)\n");
        CTL(d, &id_reader, &res, "read", "demo-gone");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-gone: No such file or directory "
                                  "(no such object)\n");
        /* Size 0 is refused by the library before it asks: no reason. */
        CTL(d, &id_creator, &res, "create", "demo-0", "--size", "0");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-0: Invalid argument\n");
        /* No broker at all: the socket path, no reason. */
        CTL(d, &id_reader, &res, "list", "--socket", "/nonexistent/shmb.sock");
        ctl_assert_fails(&res, 1, "shmbrokerctl: /nonexistent/shmb.sock: No such file or "
                                  "directory\n");
        /* Admins only. */
        CTL(d, &id_reader, &res, "status");
        ctl_assert_fails(&res, 1, "shmbrokerctl: status: " ADMIN_ONLY "\n");
        CTL(d, &id_reader, &res, "list", "--all");
        ctl_assert_fails(&res, 1, "shmbrokerctl: list: " ADMIN_ONLY "\n");
        CTL(d, &id_reader, &res, "stat", "--all", "demo-r");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-r: " ADMIN_ONLY "\n");
}

/* ------------------------------------------------------------------------------------------
 * list and stat
 */

static void test_list(void **state)
{
        const struct harness_daemon *d = *state;

        make(d, "demo-a", "4K");
        make(d, "demo-b", "8K");
        make(d, "mem-c", "1M");
        make(d, "priv-p", "4K");

        CTL(d, &id_reader, &res, "list");
        ctl_assert_ok(&res);
        assert_string_equal(res.out, "demo-a\ndemo-b\nmem-c\n");

        CTL(d, &id_reader, &res, "list", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        assert_int_equal(json_object_array_length(j), 3);
        ctl_assert_jstr(j, "0.name", "demo-a");
        ctl_assert_jstr(j, "2.name", "mem-c");
        /* Without --long: the names only. */
        assert_int_equal(json_object_object_length(ctl_jget(j, "1")), 1);

        CTL(d, &id_reader, &res, "list", "--long", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        assert_int_equal(json_object_array_length(j), 3);
        ctl_assert_jstr(j, "2.name", "mem-c");
        ctl_assert_ju64(j, "2.size", 1048576);
        ctl_assert_jstr(j, "2.backend", "memfd");
        ctl_assert_jstr(j, "2.rule", "mem");
        ctl_assert_ju64(j, "2.creator_uid", HARNESS_UID_1);
        assert_juser(j, "2.creator_user", HARNESS_UID_1);
        ctl_assert_jnull(j, "2.app");
        ctl_assert_jstr(j, "2.lifetime", "persistent");
        ctl_assert_jnull(j, "2.lifetime_usec");
        ctl_assert_jnull(j, "2.ends_in_sec");
        ctl_assert_jbool(j, "2.orphan", false);
        ctl_assert_jbool(j, "2.published", false);
        ctl_assert_jnull(j, "2.seal");
        ctl_assert_jbool(j, "2.fresh", false);
        ctl_assert_jbool(j, "2.creator_gone", false);
        assert_true(json_object_get_uint64(ctl_jget(j, "2.created_usec")) > 0);
        assert_true(strlen(json_object_get_string(ctl_jget(j, "2.created"))) == 20);
        ctl_assert_ju64(j, "0.size", 4096);
        ctl_assert_jstr(j, "0.backend", "shm");

        CTL(d, &id_reader, &res, "list", "--long");
        ctl_assert_ok(&res);
        CTL_ASSERT_ROW(res.out, "NAME", "RULE", "CREATOR", "APP", "BACKEND", "SIZE", "AGE",
                       "STATE", "LIFETIME");
        CTL_ASSERT_ROW(res.out, "demo-b", "demo", who1, "-", "shm", "8K", "*", "-",
                       "persistent");
        CTL_ASSERT_ROW(res.out, "mem-c", "mem", who1, "-", "memfd", "1M", "*", "-",
                       "persistent");
        assert_null(strstr(res.out, "priv-p"));

        /* An admin sees everything, priv-p too, whatever the rules give it. */
        CTL(d, &id_admin, &res, "list");
        ctl_assert_ok(&res);
        assert_string_equal(res.out, "");
        CTL(d, &id_admin, &res, "list", "--all");
        ctl_assert_ok(&res);
        assert_string_equal(res.out, "demo-a\ndemo-b\nmem-c\npriv-p\n");
}

static void test_stat(void **state)
{
        const struct harness_daemon *d = *state;
        char line[256], want[256];
        int i;

        make(d, "demo-a", "4K");

        CTL(d, &id_reader, &res, "stat", "/demo-a");
        ctl_assert_ok(&res);
        assert_true(ctl_line(res.out, 0, line, sizeof(line)));
        assert_string_equal(line, "name:     demo-a");
        assert_true(ctl_line_starting(res.out, "mode:", line, sizeof(line)));
        /* The group bits show the ACL's mask: the writer's rw. */
        assert_string_equal(line, "mode:     0660");
        assert_true(ctl_line_starting(res.out, "rights:", line, sizeof(line)));
        assert_string_equal(line, "rights:   read");
        assert_true(ctl_line_starting(res.out, "rule:", line, sizeof(line)));
        assert_string_equal(line, "rule:     demo");
        assert_true(ctl_line_starting(res.out, "creator:", line, sizeof(line)));
        snprintf(want, sizeof(want), "creator:  %s (41001)", who1);
        assert_string_equal(line, want);
        assert_true(ctl_line_starting(res.out, "lifetime:", line, sizeof(line)));
        assert_string_equal(line, "lifetime: persistent");
        assert_true(ctl_line_starting(res.out, "state:", line, sizeof(line)));
        assert_string_equal(line, "state:    -");
        {
                struct passwd *pw = getpwuid(HARNESS_UID_3);

                snprintf(want, sizeof(want), "\n  user:%s:r--\n", pw ? pw->pw_name : "41003");
                assert_non_null(strstr(res.out, want));
        }

        CTL(d, &id_reader, &res, "stat", "demo-a", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        ctl_assert_jstr(j, "name", "demo-a");
        ctl_assert_ju64(j, "size", 4096);
        ctl_assert_ju64(j, "uid", HARNESS_UID_1);
        assert_juser(j, "user", HARNESS_UID_1);
        ctl_assert_ju64(j, "gid", HARNESS_GID_2);
        ctl_assert_jstr(j, "mode", "0660");
        ctl_assert_jstr(j, "backend", "shm");
        ctl_assert_jstr(j, "rule", "demo");
        ctl_assert_ju64(j, "creator_uid", HARNESS_UID_1);
        ctl_assert_jstr(j, "lifetime", "persistent");
        assert_int_equal(json_object_array_length(ctl_jget(j, "rights")), 1);
        ctl_assert_jstr(j, "rights.0", "read");
        for (i = 0; i < (int) json_object_array_length(ctl_jget(j, "acl")); i++) {
                char path[32];

                snprintf(path, sizeof(path), "acl.%d.tag", i);
                if (strcmp(json_object_get_string(ctl_jget(j, path)), "user") != 0)
                        continue;
                snprintf(path, sizeof(path), "acl.%d.id", i);
                if (json_object_get_uint64(ctl_jget(j, path)) != HARNESS_UID_3)
                        continue;
                snprintf(path, sizeof(path), "acl.%d.perm", i);
                ctl_assert_jstr(j, path, "r--");
                break;
        }
        assert_true(i < (int) json_object_array_length(ctl_jget(j, "acl")));

        /* The admin has no rights under the rule: stat hides it; stat --all shows it. */
        CTL(d, &id_admin, &res, "stat", "demo-a");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-a: No such file or directory "
                                  "(the rule does not let you read)\n");
        CTL(d, &id_admin, &res, "stat", "demo-a", "--all", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        ctl_assert_jstr(j, "rule", "demo");
        assert_int_equal(json_object_array_length(ctl_jget(j, "rights")), 0);
}

/* Names are bytes: JSON gets U+FFFD for what is not UTF-8, a pipe gets the bytes. */
static void test_names_not_utf8(void **state)
{
        const struct harness_daemon *d = *state;

        make(d, "demo-\xff", "4K");
        CTL(d, &id_reader, &res, "list");
        ctl_assert_ok(&res);
        assert_string_equal(res.out, "demo-\xff\n");
        CTL(d, &id_reader, &res, "list", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        ctl_assert_jstr(j, "0.name", "demo-\xef\xbf\xbd");
        CTL(d, &id_reader, &res, "list", "--long");
        ctl_assert_ok(&res);
        CTL_ASSERT_ROW(res.out, "demo-\\xff", "demo", who1, "-", "shm", "4K", "*", "-",
                       "persistent");

        /* U+009B is UTF-8, and a control (CSI) some terminals act on: escaped as its bytes. */
        make(d, "demo-\xc2\x9b", "4K");
        CTL(d, &id_reader, &res, "stat", "demo-\xc2\x9b");
        ctl_assert_ok(&res);
        assert_true(strncmp(res.out, "name:     demo-\\xc2\\x9b\n",
                            strlen("name:     demo-\\xc2\\x9b\n")) == 0);
        CTL(d, &id_reader, &res, "list", "--long");
        ctl_assert_ok(&res);
        CTL_ASSERT_ROW(res.out, "demo-\\xc2\\x9b", "demo", who1, "-", "shm", "4K", "*", "-",
                       "persistent");
}

/*
 * A user's name with U+009B (CSI) and U+009D (OSC), which xterm acts on in UTF-8, U+202E (RLO:
 * what follows shows right to left) and U+2028 (LINE SEPARATOR); names may hold them all.
 */
#define CONTROLS_NAME "demo-\xc2\x9b" "2J\xc2\x9d" "0;x\xe2\x80\xae" "txt.exe\xe2\x80\xa8" "z"

/* None of CONTROLS_NAME's characters raw in @text, and each as its JSON escape. */
static void assert_json_escaped(const char *text)
{
        static const char *const raw[] = { "\xc2\x9b", "\xc2\x9d", "\xe2\x80\xae", "\xe2\x80\xa8" };
        static const char *const escaped[] = { "\\u009b", "\\u009d", "\\u202e", "\\u2028" };
        size_t i;

        for (i = 0; i < ELEMENTSOF(raw); i++) {
                if (strstr(text, raw[i]))
                        fail_msg("the JSON holds the bytes of %s raw", escaped[i]);
                if (!strstr(text, escaped[i]))
                        fail_msg("the JSON has no %s", escaped[i]);
        }
}

/* JSON escapes them, and a parser reads back the exact name; the table shows their bytes. */
static void test_names_controls(void **state)
{
        const struct harness_daemon *d = *state;
        char line[512];
        int i;

        CTL_BG(&bg, d, &id_reader, "watch", "--json");
        ctl_bg_wait_polling(&bg);
        assert_int_equal(harness_daemon_wait_idle(d, HARNESS_TIMEOUT_MS), 0);
        make(d, CONTROLS_NAME, "4K");
        assert_true(ctl_bg_line(&bg, line, sizeof(line)));
        assert_json_escaped(line);
        jparse(line);
        ctl_assert_jstr(j, "name", CONTROLS_NAME);
        ctl_bg_finish(&bg, SIGINT, &res);
        ctl_assert_ok(&res);

        CTL(d, &id_admin, &res, "list", "--all", "--json");
        ctl_assert_ok(&res);
        assert_json_escaped(res.out);
        jparse(res.out);
        ctl_assert_jstr(j, "0.name", CONTROLS_NAME);

        CTL(d, &id_admin, &res, "status", "--json");
        ctl_assert_ok(&res);
        assert_json_escaped(res.out);
        jparse(res.out);
        i = ctl_jfind(j, "objects", CONTROLS_NAME);
        assert_true(i >= 0);

        CTL(d, &id_reader, &res, "stat", CONTROLS_NAME, "--json");
        ctl_assert_ok(&res);
        assert_json_escaped(res.out);
        jparse(res.out);
        ctl_assert_jstr(j, "name", CONTROLS_NAME);

        /* A table escapes whether or not stdout is a terminal (ctl_escape() has unit tests). */
        CTL(d, &id_admin, &res, "list", "--all", "--long");
        ctl_assert_ok(&res);
        CTL_ASSERT_ROW(res.out,
                       "demo-\\xc2\\x9b2J\\xc2\\x9d0;x\\xe2\\x80\\xaetxt.exe\\xe2\\x80\\xa8z", "demo",
                       who1, "-", "shm", "4K", "*", "-", "persistent");
}

/*
 * Nothing to show is still an answer: the table's header, an empty JSON array, a status with
 * no segments. The daemon's reply to a detailed LIST with no names must still say
 * LIST_DETAILS (PROTOCOL.md: "also on an empty page"), or the library rejects it (EPROTO).
 */
static void test_empty_lists(void **state)
{
        const struct harness_daemon *d = *state;

        make(d, "demo-a", "4K");        /* the admin may see it with --all only */
        CTL(d, &id_admin, &res, "list", "--long");
        if (res.status != 0 && strcmp(res.err, "shmbrokerctl: list: Protocol error\n") == 0)
                fail_msg("DAEMON: an empty page of LIST with NAME_DETAILS comes without "
                         "LIST_DETAILS (broker_list_all() passes only its own flags to "
                         "shmb_proto_list_finish()), which the library rejects as EPROTO: "
                         "'list --long' with nothing to list, and 'status' of a broker without "
                         "segments, fail with 'Protocol error'");
        ctl_assert_ok(&res);
        assert_string_equal(res.out, "NAME  RULE  CREATOR  APP  BACKEND  SIZE  AGE  STATE  "
                                     "LIFETIME\n");
        CTL(d, &id_admin, &res, "list", "--long", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        assert_int_equal(json_object_array_length(j), 0);

        CTL(d, NULL, &res, "unlink", "demo-a", "--all");
        ctl_assert_ok(&res);
        CTL(d, NULL, &res, "status", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        ctl_assert_ju64(j, "counts.objects", 0);
        assert_int_equal(json_object_array_length(ctl_jget(j, "objects")), 0);
}

/* ------------------------------------------------------------------------------------------
 * status
 */

static void test_status(void **state)
{
        const struct harness_daemon *d = *state;
        const char *daemon = getenv("SHMBROKERD");
        struct harness_exec_result ver = {};
        char line[PATH_MAX + 64], want[PATH_MAX + 64], version[64];
        int i, r;

        make(d, "demo-a", "4K");
        make(d, "mem-c", "1M");
        CTL(d, &id_creator, &res, "create", "life-s", "--size", "8K", "--lifetime", "30s");
        ctl_assert_ok(&res);
        /* The creator's connections are closed: the daemon has seen it once it is idle. */
        assert_int_equal(harness_daemon_wait_idle(d, HARNESS_TIMEOUT_MS), 0);

        assert_non_null(daemon);
        assert_int_equal(harness_exec(NULL, (const char *const[]) { daemon, "--version", NULL },
                                      NULL, 0, &ver), 0);
        /* "shmbroker 0.1.0": the last word. */
        r = sscanf(ver.out, "%*s %63s", version);
        harness_exec_result_done(&ver);
        assert_int_equal(r, 1);

        CTL(d, NULL, &res, "status", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        ctl_assert_jstr(j, "version", version);
        ctl_assert_jstr(j, "policy.origin", d->policy_path);
        ctl_assert_ju64(j, "policy.generation", 1);
        ctl_assert_jbool(j, "policy.kept", false);
        ctl_assert_ju64(j, "counts.rules", 6);
        ctl_assert_ju64(j, "counts.objects", 3);
        ctl_assert_ju64(j, "counts.orphans", 0);
        ctl_assert_ju64(j, "counts.held", 0);
        ctl_assert_ju64(j, "counts.app_sockets", 0);
        ctl_assert_ju64(j, "quota.connections", 32);
        ctl_assert_ju64(j, "quota.objects", 100);
        ctl_assert_ju64(j, "quota.bytes", 64 << 20);
        /* The users: root (this connection) and the creator (its segments). */
        assert_int_equal(json_object_array_length(ctl_jget(j, "users")), 2);
        ctl_assert_ju64(j, "users.0.uid", 0);
        ctl_assert_jstr(j, "users.0.user", "root");
        ctl_assert_ju64(j, "users.0.connections", 1);
        ctl_assert_ju64(j, "users.1.uid", HARNESS_UID_1);
        assert_juser(j, "users.1.user", HARNESS_UID_1);
        ctl_assert_ju64(j, "users.1.connections", 0);
        ctl_assert_ju64(j, "users.1.objects", 3);
        ctl_assert_ju64(j, "users.1.bytes", 4096 + 8192 + 1048576);
        i = ctl_jfind(j, "objects", "life-s");
        assert_true(i >= 0);
        snprintf(line, sizeof(line), "objects.%d.lifetime", i);
        ctl_assert_jstr(j, line, "span");
        snprintf(line, sizeof(line), "objects.%d.lifetime_usec", i);
        ctl_assert_ju64(j, line, 30000000);
        snprintf(line, sizeof(line), "objects.%d.rule", i);
        ctl_assert_jstr(j, line, "life");
        /* A span says when it ends unless opened again: within its span. */
        snprintf(line, sizeof(line), "objects.%d.ends_in_sec", i);
        assert_in_range(json_object_get_uint64(ctl_jget(j, line)), 1, 30);
        assert_int_equal(json_object_array_length(ctl_jget(j, "objects")), 3);

        /* For people; an admin of Admins= may too. */
        CTL(d, &id_admin, &res, "status");
        ctl_assert_ok(&res);
        snprintf(want, sizeof(want), "version:      %s", version);
        assert_true(ctl_line(res.out, 0, line, sizeof(line)));
        assert_string_equal(line, want);
        snprintf(want, sizeof(want), "policy:       %s, generation 1", d->policy_path);
        assert_true(ctl_line_starting(res.out, "policy:", line, sizeof(line)));
        assert_string_equal(line, want);
        assert_true(ctl_line_starting(res.out, "objects:", line, sizeof(line)));
        assert_string_equal(line, "objects:      3 (0 orphaned, 0 removed but still held)");
        assert_true(ctl_line_starting(res.out, "quota:", line, sizeof(line)));
        assert_string_equal(line, "quota:        per user: connections 32, objects 100, "
                                  "bytes 64M");
        CTL_ASSERT_ROW(res.out, "UID", "USER", "CONNECTIONS", "OBJECTS", "BYTES");
        CTL_ASSERT_ROW(res.out, "41001", name1, "0", "3", "1036K");
        CTL_ASSERT_ROW(res.out, "41004", name4, "1", "0", "0");
        CTL_ASSERT_ROW(res.out, "life-s", "life", who1, "-", "shm", "8K", "*", "-",
                       "30s after its last open: ends in [1-3]*s");
        CTL_ASSERT_ROW(res.out, "mem-c", "mem", who1, "-", "memfd", "1M", "*", "-",
                       "persistent");
}

/* ------------------------------------------------------------------------------------------
 * explain
 */

/* %s: who2. */
static const char explain_writer[] =
        "name:      demo-a\n"
        "identity:  %s (41002)\n"
        "rule:      demo\n"
        "rights:    read write\n"
        "object:    exists, would be handed out\n"
        "\n"
        "VERB     RESULT   WHY\n"
        "create   refused  Permission denied (the rule does not let you create)\n"
        "open-rw  allowed  -\n"
        "open-ro  allowed  -\n"
        "unlink   refused  Permission denied (the rule does not let you create)\n"
        "stat     allowed  -\n";

static void test_explain_self(void **state)
{
        const struct harness_daemon *d = *state;
        char line[512], want[1024];

        make(d, "demo-a", "4K");
        snprintf(want, sizeof(want), explain_writer, who2);
        CTL(d, &id_writer, &res, "explain", "demo-a");
        ctl_assert_ok(&res);
        assert_string_equal(res.out, want);
        /* Oneself by uid: nothing to look up, no admin needed. */
        CTL(d, &id_writer, &res, "explain", "--user", "41002", "/demo-a");
        ctl_assert_ok(&res);
        assert_string_equal(res.out, want);

        CTL(d, &id_writer, &res, "explain", "demo-a", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        ctl_assert_jstr(j, "name", "demo-a");
        ctl_assert_ju64(j, "uid", HARNESS_UID_2);
        assert_juser(j, "user", HARNESS_UID_2);
        ctl_assert_jnull(j, "app");
        ctl_assert_jstr(j, "rule", "demo");
        ctl_assert_jstr(j, "rights.0", "read");
        ctl_assert_jstr(j, "rights.1", "write");
        ctl_assert_jbool(j, "detailed", false);
        ctl_assert_jbool(j, "object.exists", true);
        ctl_assert_jbool(j, "object.handed_out", true);
        ctl_assert_jnull(j, "object.reason");
        ctl_assert_jbool(j, "verbs.create.allowed", false);
        ctl_assert_ju64(j, "verbs.create.errno", EACCES);
        ctl_assert_jstr(j, "verbs.create.error", "EACCES");
        ctl_assert_jstr(j, "verbs.create.error_text", "Permission denied");
        ctl_assert_jstr(j, "verbs.create.reason", "no_create");
        ctl_assert_jstr(j, "verbs.create.reason_text", "the rule does not let you create");
        ctl_assert_jbool(j, "verbs.open_rw.allowed", true);
        ctl_assert_jnull(j, "verbs.open_rw.errno");
        ctl_assert_jnull(j, "verbs.open_rw.reason");
        ctl_assert_jbool(j, "verbs.open_ro.allowed", true);
        ctl_assert_jbool(j, "verbs.unlink.allowed", false);
        ctl_assert_jbool(j, "verbs.stat.allowed", true);

        /* No rule at all. */
        CTL(d, &id_reader, &res, "explain", "nothing-e");
        ctl_assert_ok(&res);
        assert_true(ctl_line_starting(res.out, "rule:", line, sizeof(line)));
        assert_string_equal(line, "rule:      none (no rule matches this name)");
        assert_true(ctl_line_starting(res.out, "rights:", line, sizeof(line)));
        assert_string_equal(line, "rights:    none");
        assert_true(ctl_line_starting(res.out, "object:", line, sizeof(line)));
        assert_string_equal(line, "object:    none");
        CTL_ASSERT_ROW(res.out, "open-ro", "refused",
                       "Permission denied (no rule matches this name)");
        CTL(d, &id_reader, &res, "explain", "nothing-e", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        ctl_assert_jnull(j, "rule");
        ctl_assert_jstr(j, "verbs.open_ro.reason", "no_rule");
        ctl_assert_jbool(j, "object.exists", false);
}

static void test_explain_user(void **state)
{
        const struct harness_daemon *d = *state;
        char line[512];

        ctl_require_users();
        make(d, "demo-a", "4K");

        /*
         * The user reads demo-* through its supplementary group (ReadOnly=@42042), which only
         * the system's group database knows: the tool must have sent it.
         */
        CTL(d, NULL, &res, "explain", "--user", CTL_USER_NAME, "demo-a", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        ctl_assert_ju64(j, "uid", CTL_USER_UID);
        ctl_assert_jstr(j, "user", CTL_USER_NAME);
        ctl_assert_jstr(j, "rule", "demo");
        assert_int_equal(json_object_array_length(ctl_jget(j, "rights")), 1);
        ctl_assert_jstr(j, "rights.0", "read");
        ctl_assert_jbool(j, "detailed", true);
        ctl_assert_jbool(j, "verbs.open_ro.allowed", true);
        ctl_assert_jbool(j, "verbs.open_rw.allowed", false);
        ctl_assert_jstr(j, "verbs.open_rw.reason", "no_write");

        /* By uid, for people; an admin of Admins= may ask too. */
        CTL(d, &id_admin, &res, "explain", "--user", "41041", "demo-a");
        ctl_assert_ok(&res);
        assert_true(ctl_line_starting(res.out, "identity:", line, sizeof(line)));
        assert_string_equal(line, "identity:  " CTL_USER_NAME " (41041)");
        assert_true(ctl_line_starting(res.out, "rights:", line, sizeof(line)));
        assert_string_equal(line, "rights:    read");
        CTL_ASSERT_ROW(res.out, "open-rw", "refused",
                       "Permission denied (the rule does not let you write)");

        /* Not an admin: refused by the broker. */
        CTL(d, &id_writer, &res, "explain", "--user", CTL_USER_NAME, "demo-a");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-a: " ADMIN_ONLY "\n");
        /* Nobody this system knows: refused here. */
        CTL(d, NULL, &res, "explain", "--user", "shmbt-nosuchuser", "demo-a");
        ctl_assert_fails(&res, 1, "shmbrokerctl: shmbt-nosuchuser: no such user\n");
        if (!getpwuid(41049)) {
                CTL(d, NULL, &res, "explain", "--user", "41049", "demo-a");
                ctl_assert_fails(&res, 1, "shmbrokerctl: 41049: no such user\n");
        }
}

static void test_explain_app(void **state)
{
        const struct harness_daemon *d = *state;

        /* As an app, the writer's uid gets what app:org.example.* gets; as itself, nothing. */
        CTL(d, &id_writer, &res, "explain", "--app", "org.example.Viewer", "app-v1", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        ctl_assert_jstr(j, "app", "org.example.Viewer");
        ctl_assert_jstr(j, "rule", "app");
        ctl_assert_jbool(j, "verbs.create.allowed", true);
        ctl_assert_jbool(j, "verbs.open_rw.allowed", false);
        ctl_assert_jstr(j, "verbs.open_rw.reason", "no_object");
        CTL(d, &id_writer, &res, "explain", "app-v1", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        ctl_assert_jnull(j, "app");
        ctl_assert_jbool(j, "verbs.create.allowed", false);
        ctl_assert_jstr(j, "verbs.create.reason", "no_create");
        CTL(d, &id_writer, &res, "explain", "--app", "not an app id", "app-v1");
        ctl_assert_fails(&res, 1, "shmbrokerctl: app-v1: Invalid argument\n");
}

/*
 * A segment the identity may not open is none of its business: stat says ENOENT for it, so
 * explain must not say that it exists (to anyone but an admin), let alone that it "would be
 * handed out" when every open is refused.
 */
static void test_explain_hides_unreadable(void **state)
{
        const struct harness_daemon *d = *state;

        make(d, "priv-q", "4K");
        CTL(d, &id_reader, &res, "stat", "priv-q");
        ctl_assert_fails(&res, 1, "shmbrokerctl: priv-q: No such file or directory "
                                  "(the rule does not let you read)\n");
        CTL(d, &id_reader, &res, "explain", "priv-q", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        ctl_assert_jbool(j, "verbs.open_ro.allowed", false);
        ctl_assert_jbool(j, "verbs.open_rw.allowed", false);
        if (json_object_get_boolean(ctl_jget(j, "object.handed_out")) ||
            json_object_get_boolean(ctl_jget(j, "object.exists")))
                fail_msg("DAEMON: EXPLAIN tells uid %u, who may not open priv-q (every open is "
                         "refused and stat says ENOENT), that it exists and would be handed "
                         "out (EXPLAIN_OBJECT|EXPLAIN_HANDED): existence leaks to a non-admin. "
                         "broker_handle_explain() sets HANDED from broker_lookup_own() alone, "
                         "without the rule's read right.", HARNESS_UID_3);
}

/* ------------------------------------------------------------------------------------------
 * Lifetimes, exec
 */

static void test_lifetimes(void **state)
{
        const struct harness_daemon *d = *state;
        char line[256];

        CTL(d, &id_creator, &res, "create", "life-s", "--size", "4K", "--lifetime", "30s");
        ctl_assert_ok(&res);
        CTL(d, &id_reader, &res, "stat", "life-s");
        ctl_assert_ok(&res);
        assert_true(ctl_line_starting(res.out, "lifetime:", line, sizeof(line)));
        assert_string_equal(line, "lifetime: 30s after its last open");
        CTL(d, &id_reader, &res, "stat", "life-s", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        ctl_assert_jstr(j, "lifetime", "span");
        ctl_assert_ju64(j, "lifetime_usec", 30000000);

        /* Lifetime=1h: no longer than that. */
        CTL(d, &id_creator, &res, "create", "life-p", "--size", "4K", "--lifetime",
            "persistent");
        ctl_assert_fails(&res, 1, "shmbrokerctl: life-p: Permission denied "
                                  "(the rule's Lifetime= does not allow it)\n");
        CTL(d, &id_creator, &res, "create", "life-p", "--size", "4K", "--lifetime", "2h");
        ctl_assert_fails(&res, 1, "shmbrokerctl: life-p: Permission denied "
                                  "(the rule's Lifetime= does not allow it)\n");
        /* Without a Lifetime=, anything; 2h shows as written. */
        CTL(d, &id_creator, &res, "create", "demo-l", "--size", "4K", "--lifetime", "120min");
        ctl_assert_ok(&res);
        CTL(d, &id_reader, &res, "list", "--long");
        CTL_ASSERT_ROW(res.out, "demo-l", "demo", who1, "-", "shm", "4K", "*", "-",
                       "2h after its last open: ends in *");

        /* process: the creator is shmbrokerctl, which has exited once harness_ctl returns. */
        CTL(d, &id_creator, &res, "create", "life-q", "--size", "4K", "--lifetime", "process");
        ctl_assert_ok(&res);
        assert_int_equal(harness_daemon_wait_idle(d, HARNESS_TIMEOUT_MS), 0);
        CTL(d, &id_reader, &res, "stat", "life-q");
        ctl_assert_fails(&res, 1, "shmbrokerctl: life-q: No such file or directory "
                                  "(no such object)\n");
}

static void test_exec_create(void **state)
{
        const struct harness_daemon *d = *state;
        static const char script[] =
                "echo \"$SHMBROKER_FDS|$SHMBROKER_NAMES\"; "
                "grep '^flags:' /proc/self/fdinfo/3 | cut -c 8-; "
                "\"$SHMBROKERCTL\" --socket \"$0\" list";

        /* Made for the command, gone with it (lifetime process by default). */
        CTL(d, &id_creator, &res, "exec", "--size", "4K", "life-e", "--", "/bin/sh", "-c",
            script, d->socket_path);
        ctl_assert_ok(&res);
        /* O_RDWR is 02 in the last digit of the octal flags. */
        assert_non_null(strstr(res.out, "1|life-e\n"));
        assert_non_null(strstr(res.out, "2\nlife-e\n"));
        assert_int_equal(harness_daemon_wait_idle(d, HARNESS_TIMEOUT_MS), 0);
        CTL(d, &id_creator, &res, "list");
        ctl_assert_ok(&res);
        assert_string_equal(res.out, "");

        /* A command that crashes (SIGKILL) takes its segments along as well. */
        CTL(d, &id_creator, &res, "exec", "--size", "4K", "life-k", "--", "/bin/sh", "-c",
            "\"$SHMBROKERCTL\" --socket \"$0\" list; kill -KILL $$", d->socket_path);
        assert_int_equal(res.status, -SIGKILL);
        assert_string_equal(res.out, "life-k\n");
        assert_int_equal(harness_daemon_wait_idle(d, HARNESS_TIMEOUT_MS), 0);
        CTL(d, &id_creator, &res, "stat", "life-k");
        ctl_assert_fails(&res, 1, "shmbrokerctl: life-k: No such file or directory "
                                  "(no such object)\n");

        /* It exists already: nothing runs. */
        make(d, "demo-a", "4K");
        CTL(d, &id_creator, &res, "exec", "--size", "4K", "demo-a", "--", "/bin/echo", "ran");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-a: File exists (the name is taken)\n");

        /* The second fails: the first, persistent, is removed again and nothing runs. */
        CTL(d, &id_creator, &res, "exec", "--size", "4K", "--lifetime", "persistent", "demo-e1",
            "nothing-e2", "--", "/bin/echo", "ran");
        ctl_assert_fails(&res, 1, "shmbrokerctl: nothing-e2: Permission denied "
                                  "(no rule matches this name)\n");
        CTL(d, &id_creator, &res, "stat", "demo-e1");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-e1: No such file or directory "
                                  "(no such object)\n");
}

/*
 * Under socket activation, COMMAND must not take segment fds for sockets: LISTEN_* go, and the
 * passed sockets no segment replaced are closed; NOTIFY_SOCKET stays (COMMAND is the service's
 * main process, same pid).
 */
static void test_exec_environment(void **state)
{
        const struct harness_daemon *d = *state;
        const char *ctl = getenv("SHMBROKERCTL");
        static const char outer[] =
                "LISTEN_PID=${4:-$$} LISTEN_FDS=2 LISTEN_FDNAMES=a:b NOTIFY_SOCKET=/run/n "
                "exec \"$1\" --socket \"$2\" exec demo-a -- /bin/sh -c \"$3\" "
                "3</dev/null 4</dev/null";
        static const char inner[] =
                "echo \"${LISTEN_FDS-unset} ${LISTEN_PID-unset} ${LISTEN_FDNAMES-unset} "
                "$NOTIFY_SOCKET $SHMBROKER_FDS\"; "
                "if [ -e /proc/self/fd/4 ]; then echo fd4 open; else echo fd4 closed; fi";

        make(d, "demo-a", "4K");
        assert_non_null(ctl);
        harness_exec_result_done(&res);
        assert_int_equal(harness_exec(&id_creator, (const char *const[]) {
                                              "/bin/sh", "-c", outer, "sh", ctl,
                                              d->socket_path, inner, NULL },
                                      NULL, 0, &res), 0);
        ctl_assert_ok(&res);
        assert_string_equal(res.out, "unset unset unset /run/n 1\nfd4 closed\n");

        /* Sockets passed to another process are not ours to close. */
        harness_exec_result_done(&res);
        assert_int_equal(harness_exec(&id_creator, (const char *const[]) {
                                              "/bin/sh", "-c", outer, "sh", ctl,
                                              d->socket_path, inner, "1", NULL },
                                      NULL, 0, &res), 0);
        ctl_assert_ok(&res);
        assert_string_equal(res.out, "unset unset unset /run/n 1\nfd4 open\n");
}

/* ------------------------------------------------------------------------------------------
 * resize, publish
 */

static void test_resize(void **state)
{
        const struct harness_daemon *d = *state;
        char line[256];

        CTL(d, &id_creator, &res, "create", "demo-u", "--unsized");
        ctl_assert_ok(&res);
        CTL(d, &id_creator, &res, "stat", "demo-u");
        ctl_assert_ok(&res);
        assert_true(ctl_line_starting(res.out, "size:", line, sizeof(line)));
        assert_string_equal(line, "size:     0");
        assert_true(ctl_line_starting(res.out, "state:", line, sizeof(line)));
        assert_string_equal(line, "state:    fresh");
        /* (Who else may not resize or publish, and with which reason, is test-lifecycle's.) */
        CTL(d, &id_creator, &res, "resize", "demo-u", "8K");
        ctl_assert_ok(&res);
        CTL(d, &id_creator, &res, "stat", "demo-u");
        ctl_assert_ok(&res);
        assert_true(ctl_line_starting(res.out, "size:", line, sizeof(line)));
        assert_string_equal(line, "size:     8192");
        assert_true(ctl_line_starting(res.out, "state:", line, sizeof(line)));
        assert_string_equal(line, "state:    -");
        CTL(d, &id_creator, &res, "resize", "demo-u", "16K");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-u: Operation not permitted "
                                  "(the object was opened or sized already)\n");
}

static void test_publish(void **state)
{
        const struct harness_daemon *d = *state;
        char line[256];

        make(d, "demo-p", "4K");
        CTL(d, &id_creator, &res, "publish", "demo-p", "--future");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-p: Operation not supported\n");
        CTL(d, &id_creator, &res, "publish", "demo-p");
        ctl_assert_ok(&res);
        CTL(d, &id_reader, &res, "stat", "demo-p");
        ctl_assert_ok(&res);
        assert_true(ctl_line_starting(res.out, "state:", line, sizeof(line)));
        assert_string_equal(line, "state:    published");
        CTL_IN(d, &id_writer, "x", 1, &res, "write", "demo-p");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-p: Permission denied "
                                  "(the object is published: no more writers)\n");

        /* memfd: sealed, and the seal shows. */
        make(d, "mem-p", "4K");
        CTL(d, &id_creator, &res, "publish", "mem-p");
        ctl_assert_ok(&res);
        CTL(d, &id_reader, &res, "stat", "mem-p", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        ctl_assert_jbool(j, "published", true);
        ctl_assert_jstr(j, "seal", "write");
        make(d, "mem-f", "4K");
        CTL(d, &id_creator, &res, "publish", "/mem-f", "--future");
        ctl_assert_ok(&res);
        CTL(d, &id_reader, &res, "list", "--long");
        ctl_assert_ok(&res);
        CTL_ASSERT_ROW(res.out, "mem-f", "mem", who1, "-", "memfd", "4K", "*",
                       "published,future-sealed", "persistent");
        CTL_ASSERT_ROW(res.out, "mem-p", "mem", who1, "-", "memfd", "4K", "*",
                       "published,sealed", "persistent");
}

/* ------------------------------------------------------------------------------------------
 * wait, watch, app-socket
 */

static void test_wait(void **state)
{
        const struct harness_daemon *d = *state;

        CTL_BG(&bg, d, &id_reader, "wait", "demo-w", "--published", "--timeout", "10s");
        ctl_bg_wait_polling(&bg);
        assert_int_equal(harness_daemon_wait_idle(d, HARNESS_TIMEOUT_MS), 0);
        /* Created, not published: still waiting (still asleep in poll, not woken). */
        make(d, "demo-w", "4K");
        assert_int_equal(harness_daemon_wait_idle(d, HARNESS_TIMEOUT_MS), 0);
        ctl_bg_wait_polling(&bg);
        assert_true(ctl_bg_running(&bg));
        CTL(d, &id_creator, &res, "publish", "demo-w");
        ctl_assert_ok(&res);
        ctl_bg_finish(&bg, 0, &res);
        ctl_assert_ok(&res);
        assert_string_equal(res.out, "");

        /* There already: at once. */
        CTL(d, &id_reader, &res, "wait", "demo-w");
        ctl_assert_ok(&res);
        CTL(d, &id_reader, &res, "wait", "demo-none", "--timeout", "0");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-none: Connection timed out\n");
        CTL(d, &id_reader, &res, "wait", "demo-none", "--timeout", "100ms");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-none: Connection timed out\n");
        /* Never to be opened: refused at once, whatever the timeout. */
        CTL(d, &id_admin, &res, "wait", "demo-w");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-w: Permission denied "
                                  "(the rule does not let you read)\n");
        CTL(d, &id_reader, &res, "wait", "nothing-w");
        ctl_assert_fails(&res, 1, "shmbrokerctl: nothing-w: Permission denied "
                                  "(no rule matches this name)\n");
}

static void test_watch(void **state)
{
        const struct harness_daemon *d = *state;
        char line[512];

        CTL_BG(&bg, d, &id_reader, "watch", "demo-w*");
        ctl_bg_wait_polling(&bg);
        assert_int_equal(harness_daemon_wait_idle(d, HARNESS_TIMEOUT_MS), 0);
        make(d, "demo-w1", "4K");
        CTL(d, &id_creator, &res, "publish", "demo-w1");
        ctl_assert_ok(&res);
        CTL(d, &id_creator, &res, "unlink", "demo-w1");
        ctl_assert_ok(&res);
        make(d, "demo-x1", "4K");       /* not matched */
        make(d, "demo-w3", "4K");
        assert_true(ctl_bg_line(&bg, line, sizeof(line)));
        assert_string_equal(line, "created demo-w1");
        assert_true(ctl_bg_line(&bg, line, sizeof(line)));
        assert_string_equal(line, "published demo-w1");
        assert_true(ctl_bg_line(&bg, line, sizeof(line)));
        assert_string_equal(line, "removed demo-w1");
        assert_true(ctl_bg_line(&bg, line, sizeof(line)));
        assert_string_equal(line, "created demo-w3");
        ctl_bg_finish(&bg, SIGTERM, &res);
        ctl_assert_ok(&res);
        assert_string_equal(res.out, "");

        /* Every name, in JSON: nothing of what the reader may not open (priv-*). */
        CTL_BG(&bg, d, &id_reader, "watch", "--json");
        ctl_bg_wait_polling(&bg);
        assert_int_equal(harness_daemon_wait_idle(d, HARNESS_TIMEOUT_MS), 0);
        make(d, "priv-w4", "4K");
        make(d, "demo-j", "4K");
        assert_true(ctl_bg_line(&bg, line, sizeof(line)));
        jparse(line);
        ctl_assert_jstr(j, "event", "created");
        ctl_assert_jstr(j, "name", "demo-j");
        assert_int_equal(json_object_object_length(j), 2);
        ctl_bg_finish(&bg, SIGINT, &res);
        ctl_assert_ok(&res);
        assert_string_equal(res.out, "");
}

#define CHURN 1500

/* Creates and removes demo-o1 CHURN times, as fast as the library goes. */
static int child_churn(void *userdata)
{
        const struct harness_daemon *d = userdata;
        struct shmb_client *c = NULL;
        int i;

        CHILD_CHECK_EQ(shmb_connect(d->socket_path, &c), 0);
        for (i = 0; i < CHURN; i++) {
                CHILD_CHECK_EQ(shmb_create(c, "demo-o1", 4096, SHMB_ACCESS_NONE, NULL, NULL), 0);
                CHILD_CHECK_EQ(shmb_unlink(c, "demo-o1"), 0);
        }
        shmb_client_free(c);
        return 0;
}

/* A watcher that does not keep up loses its watch, says so, and fails. */
static void test_watch_overflow(void **state)
{
        const struct harness_daemon *d = *state;
        char line[512];
        size_t i, n = 0;
        int r;

        CTL_BG(&bg, d, &id_reader, "watch", "demo-o*");
        ctl_bg_wait_polling(&bg);
        assert_int_equal(harness_daemon_wait_idle(d, HARNESS_TIMEOUT_MS), 0);
        assert_int_equal(kill(bg.pid, SIGSTOP), 0);
        r = harness_run_as(&id_creator, child_churn, (void *) d);
        (void) kill(bg.pid, SIGCONT);
        assert_int_equal(r, 0);
        ctl_bg_finish(&bg, 0, &res);
        assert_int_equal(res.status, 1);
        assert_string_equal(res.err, "shmbrokerctl: watch: events were lost (the watch fell "
                                     "behind and has ended); list again and start a new "
                                     "watch\n");
        /* What did arrive is shown, in order, and whole. */
        for (i = 0; ctl_line(res.out, i, line, sizeof(line)); i++, n++)
                assert_string_equal(line, i % 2 == 0 ? "created demo-o1" : "removed demo-o1");
        assert_true(n > 0 && n < 2 * CHURN);
}

static void test_app_socket(void **state)
{
        const struct harness_daemon *d = *state;
        char path[256], line[512];
        uint64_t deadline;
        struct stat st;
        int i;

        ctl_require_users();
        CTL_BG(&bg, d, &id_app_user, "app-socket", "org.example.Viewer");
        assert_true(ctl_bg_line(&bg, path, sizeof(path)));
        assert_true(path[0] == '/');
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_uid, CTL_USER_UID);
        /* The asker's group (it used to be the uid's number), mode 0600. */
        assert_int_equal(st.st_gid, CTL_USER_GID);
        assert_int_equal(st.st_mode & 07777, 0600);

        /* Through it, the user is the app; through the main socket, it is not. */
        CTL(d, &id_app_user, &res, "create", "app-v1", "--size", "4K", "--socket", path);
        ctl_assert_ok(&res);
        CTL(d, &id_app_user, &res, "create", "app-v2", "--size", "4K");
        ctl_assert_fails(&res, 1, "shmbrokerctl: app-v2: Permission denied "
                                  "(the rule does not let you create)\n");
        CTL(d, &id_app_user, &res, "stat", "app-v1", "--socket", path);
        ctl_assert_ok(&res);
        assert_true(ctl_line_starting(res.out, "creator:", line, sizeof(line)));
        assert_string_equal(line, "creator:  " CTL_USER_NAME " (41041), app org.example.Viewer");
        CTL(d, &id_app_user, &res, "app-socket", "org.example.Other", "--socket", path);
        ctl_assert_fails(&res, 1, "shmbrokerctl: org.example.Other: Operation not permitted "
                                  "(not allowed on an app socket)\n");
        CTL(d, &id_app_user, &res, "app-socket", "not an app id");
        ctl_assert_fails(&res, 1, "shmbrokerctl: not an app id: Invalid argument\n");

        CTL(d, NULL, &res, "status", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        ctl_assert_ju64(j, "counts.app_sockets", 1);
        i = ctl_jfind(j, "objects", "app-v1");
        assert_true(i >= 0);
        snprintf(line, sizeof(line), "objects.%d.app", i);
        ctl_assert_jstr(j, line, "org.example.Viewer");
        CTL(d, NULL, &res, "status");
        ctl_assert_ok(&res);
        CTL_ASSERT_ROW(res.out, "app-v1", "app", CTL_USER_NAME, "org.example.Viewer", "shm", "4K",
                       "*", "-", "persistent");

        /* Stopped: exit 0, and the socket goes, once the daemon has handled the hang-up:
         * polled for, with a deadline. (Waiting for an idle loop and looking once failed in
         * one run of the suite, most likely as test_d64 did: the daemon seen asleep while the
         * wakeup was on its way, which harness_daemon_wait_idle() now allows for.) */
        ctl_bg_finish(&bg, SIGTERM, &res);
        ctl_assert_ok(&res);
        assert_string_equal(res.out, "");
        deadline = tl_now_ms() + HARNESS_TIMEOUT_MS;
        while (lstat(path, &st) == 0 && tl_now_ms() < deadline)
                tl_sleep_ms(10);
        assert_int_equal(lstat(path, &st), -1);
        assert_int_equal(errno, ENOENT);
}

/* ------------------------------------------------------------------------------------------
 * The admins' clean-up; orphans (a daemon of its own, reloaded)
 */

static void test_unlink_all(void **state)
{
        const struct harness_daemon *d = *state;

        make(d, "demo-z1", "4K");
        make(d, "demo-z2", "4K");
        make(d, "demo-y", "4K");
        make(d, "priv-z3", "4K");
        CTL(d, &id_creator, &res, "unlink", "--all", "demo-z*");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-z*: " ADMIN_ONLY "\n");
        CTL(d, &id_admin, &res, "unlink", "--all", "demo-z*");
        ctl_assert_ok(&res);
        assert_string_equal(res.out, "");
        CTL(d, &id_admin, &res, "list", "--all");
        assert_string_equal(res.out, "demo-y\npriv-z3\n");
        /* Whatever the rules give the admin (nothing, under priv). */
        CTL(d, &id_admin, &res, "unlink", "--all", "/priv-*");
        ctl_assert_ok(&res);
        CTL(d, &id_admin, &res, "unlink", "--all", "zzz-*");
        ctl_assert_fails(&res, 1, "shmbrokerctl: zzz-*: No such file or directory\n");
        CTL(d, &id_admin, &res, "list", "--all");
        assert_string_equal(res.out, "demo-y\n");
}

static struct harness_daemon *own_daemon;

static int own_teardown(void **state)
{
        case_release();
        if (own_daemon)
                (void) harness_daemon_stop(TAKE_PTR(own_daemon));
        return 0;
}

static void reload(struct harness_daemon *d, const char *text)
{
        size_t mark = harness_daemon_log_mark(d);
        char *full = NULL;

        assert_true(asprintf(&full, "%s%s", text, HARNESS_CONTROL_RULE) > 0);
        assert_int_equal(tl_write_text(d->policy_path, full), 0);
        free(full);
        assert_int_equal(kill(d->pid, SIGHUP), 0);
        if (harness_daemon_wait_log(d, mark, "Policy reloaded", HARNESS_TIMEOUT_MS) < 0) {
                _cleanup_(freep) char *log = harness_daemon_log(d);

                fail_msg("the daemon did not reload; its log:\n%s", log ? log : "?");
        }
}

static void test_orphans(void **state)
{
        struct harness_daemon *d;
        char line[256];

        assert_int_equal(harness_daemon_start(policy, NULL, &own_daemon), 0);
        d = own_daemon;
        make(d, "demo-o", "4K");
        reload(d, policy_no_demo);

        CTL(d, NULL, &res, "status", "--json");
        ctl_assert_ok(&res);
        jparse(res.out);
        ctl_assert_ju64(j, "policy.generation", 2);
        ctl_assert_ju64(j, "counts.orphans", 1);
        ctl_assert_ju64(j, "counts.rules", 2);
        ctl_assert_jstr(j, "objects.0.name", "demo-o");
        ctl_assert_jbool(j, "objects.0.orphan", true);
        ctl_assert_jstr(j, "objects.0.rule", "demo");
        CTL(d, NULL, &res, "status");
        ctl_assert_ok(&res);
        assert_true(ctl_line_starting(res.out, "objects:", line, sizeof(line)));
        assert_string_equal(line, "objects:      1 (1 orphaned, 0 removed but still held)");
        CTL_ASSERT_ROW(res.out, "demo-o", "demo", who1, "-", "shm", "4K", "*", "orphan",
                       "persistent");
        /* Handed to nobody; its creator may remove it. */
        CTL(d, &id_creator, &res, "stat", "demo-o");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-o: No such file or directory "
                                  "(no rule matches this name)\n");
        CTL(d, &id_admin, &res, "stat", "--all", "demo-o");
        ctl_assert_ok(&res);
        assert_true(ctl_line_starting(res.out, "state:", line, sizeof(line)));
        assert_string_equal(line, "state:    orphan");
        CTL(d, &id_creator, &res, "unlink", "demo-o");
        ctl_assert_ok(&res);
        CTL(d, NULL, &res, "list", "--all");
        ctl_assert_ok(&res);
        assert_string_equal(res.out, "");

        assert_int_equal(harness_daemon_wait_fd_count(d, d->n_fds_start, 2000), d->n_fds_start);
        assert_int_equal(harness_daemon_stop(TAKE_PTR(own_daemon)), 0);
}

/*
 * SIGTERM while an app socket is held: the daemon stops accepting (its listeners go, the app
 * socket's among them) before it closes the connection that asked for the socket, and must
 * still exit 0 (it used to free the app socket's listener twice and die of SIGSEGV), having
 * removed the app socket. shmbrokerctl app-socket outlives it, and SIGTERM ends it with 0.
 */
static void test_app_socket_daemon_stop(void **state)
{
        struct harness_daemon *d;
        char path[256];
        struct stat st;

        ctl_require_users();
        assert_int_equal(harness_daemon_start(policy, NULL, &own_daemon), 0);
        d = own_daemon;
        CTL_BG(&bg, d, &id_app_user, "app-socket", "org.example.Viewer");
        assert_true(ctl_bg_line(&bg, path, sizeof(path)));
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        ctl_bg_wait_polling(&bg);

        assert_int_equal(harness_daemon_stop(TAKE_PTR(own_daemon)), 0);
        assert_int_equal(lstat(path, &st), -1);
        assert_int_equal(errno, ENOENT);
        assert_true(ctl_bg_running(&bg));
        ctl_bg_finish(&bg, SIGTERM, &res);
        assert_int_equal(res.status, 0);
}

/* The app socket at @path (of the app-socket command in bg) serves its app: @name is created
 * and removed through it; then the command, stopped, exits 0. */
static void app_socket_serves_then_ends(const struct harness_daemon *d, const char *path,
                                        const char *name)
{
        CTL(d, &id_app_user, &res, "create", name, "--size", "4K", "--socket", path);
        ctl_assert_ok(&res);
        CTL(d, &id_app_user, &res, "unlink", name, "--socket", path);
        ctl_assert_ok(&res);
        ctl_bg_finish(&bg, SIGTERM, &res);
        assert_int_equal(res.status, 0);
}

/*
 * An app socket lives as long as the shmbrokerctl that asked for it, however long that is
 * quiet: the daemon's idle timeout closes idle connections, and it used to close the asking
 * one too (taking the app socket with it) after --idle-timeout, 300 s by default.
 */
static void test_app_socket_idle(void **state)
{
        static const char *const args[] = { "--idle-timeout", "1", NULL };
        struct harness_daemon_options opts = { .extra_args = args };
        struct harness_daemon *d;
        char path[256], buf[16];
        struct pollfd p;
        struct stat st;
        int idle, r;

        ctl_require_users();
        assert_int_equal(harness_daemon_start(policy, &opts, &own_daemon), 0);
        d = own_daemon;
        CTL_BG(&bg, d, &id_app_user, "app-socket", "org.example.Viewer");
        assert_true(ctl_bg_line(&bg, path, sizeof(path)));
        ctl_bg_wait_polling(&bg);
        /* A connection made after the asking one, and as quiet: once the daemon has closed it
         * for idleness, the asking one has been idle at least as long. */
        idle = harness_connect_as(d->socket_path, SOCK_SEQPACKET, &id_reader);
        assert_true(idle >= 0);
        p = (struct pollfd) { .fd = idle, .events = POLLIN };
        r = poll(&p, 1, 5000);
        if (r != 1)
                fail_msg("an idle connection is still open 5 s into --idle-timeout 1");
        assert_int_equal(recv(idle, buf, sizeof(buf), MSG_DONTWAIT), 0);
        assert_int_equal(close(idle), 0);

        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_true(ctl_bg_running(&bg));
        app_socket_serves_then_ends(d, path, "app-i1");
        assert_int_equal(harness_daemon_stop(TAKE_PTR(own_daemon)), 0);
}

/*
 * An admin's request refused to someone else is audited with the name it asked about (the
 * record said '-'). A daemon of its own: the audit rate limit of the shared one may be spent.
 */
static void test_admin_refusal_audited(void **state)
{
        struct harness_daemon *d;
        size_t mark;

        assert_int_equal(harness_daemon_start(policy, NULL, &own_daemon), 0);
        d = own_daemon;
        mark = harness_daemon_log_mark(d);
        CTL(d, &id_reader, &res, "stat", "--all", "demo-q");
        ctl_assert_fails(&res, 1, "shmbrokerctl: demo-q: " ADMIN_ONLY "\n");
        assert_int_equal(harness_daemon_wait_log(d, mark, "stat 'demo-q'", HARNESS_TIMEOUT_MS),
                         0);
        assert_int_equal(harness_daemon_log_count(d, mark, "stat '-'", NULL), 0);
        assert_int_equal(harness_daemon_stop(TAKE_PTR(own_daemon)), 0);
}

/*
 * --app-dir whose parents do not exist: the daemon makes them, and the sockets in the app
 * directory must be reachable by their users. The daemon's umask (0077) used to make the
 * parents 0700, so that only root could connect to an app socket.
 */
static void test_app_dir_made(void **state)
{
        char top[] = "/tmp/shmb-appdir.XXXXXX", app_dir[64], parent[48];
        char path[256];
        struct harness_daemon_options opts = {};
        const char *args[3];
        struct stat st;

        ctl_require_users();
        assert_non_null(mkdtemp(top));
        assert_int_equal(chmod(top, 0755), 0);
        snprintf(parent, sizeof(parent), "%s/x", top);
        snprintf(app_dir, sizeof(app_dir), "%s/apps", parent);
        args[0] = "--app-dir";
        args[1] = app_dir;
        args[2] = NULL;
        opts.extra_args = args;
        if (harness_daemon_start(policy, &opts, &own_daemon) < 0) {
                (void) tl_rm_rf(top);
                fail_msg("the daemon did not start");
        }
        assert_int_equal(stat(parent, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0755);
        assert_int_equal(stat(app_dir, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0711);

        CTL_BG(&bg, own_daemon, &id_app_user, "app-socket", "org.example.Viewer");
        assert_true(ctl_bg_line(&bg, path, sizeof(path)));
        assert_int_equal(strncmp(path, app_dir, strlen(app_dir)), 0);
        app_socket_serves_then_ends(own_daemon, path, "app-d1");

        assert_int_equal(harness_daemon_stop(TAKE_PTR(own_daemon)), 0);
        assert_int_equal(tl_rm_rf(top), 0);
}

/* ------------------------------------------------------------------------------------------
 * Main
 */

static void test_requires_root(void **state)
{
        print_message("the shmbrokerctl tests switch uids and need root; skipped\n");
        skip();
}

#define T(fn) cmocka_unit_test_teardown(fn, case_teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
                T(test_usage),
                T(test_reasons),
                T(test_list),
                T(test_stat),
                T(test_names_not_utf8),
                T(test_names_controls),
                T(test_empty_lists),
                T(test_status),
                T(test_explain_self),
                T(test_explain_user),
                T(test_explain_app),
                T(test_explain_hides_unreadable),
                T(test_lifetimes),
                T(test_exec_create),
                T(test_exec_environment),
                T(test_resize),
                T(test_publish),
                T(test_wait),
                T(test_watch),
                T(test_watch_overflow),
                T(test_app_socket),
                T(test_unlink_all),
        };
        const struct CMUnitTest own_tests[] = {
                cmocka_unit_test_teardown(test_orphans, own_teardown),
                cmocka_unit_test_teardown(test_app_socket_daemon_stop, own_teardown),
                cmocka_unit_test_teardown(test_app_dir_made, own_teardown),
                cmocka_unit_test_teardown(test_app_socket_idle, own_teardown),
                cmocka_unit_test_teardown(test_admin_refusal_audited, own_teardown),
        };
        const struct CMUnitTest skip_tests[] = {
                cmocka_unit_test(test_requires_root),
        };
        int failed = 0;

        if (geteuid() != 0) {
                (void) cmocka_run_group_tests_name("shmbrokerctl (needs root)", skip_tests, NULL,
                                                   NULL);
                return 77; /* automake: SKIP */
        }
        /* For both groups: the own daemons' app sockets want a user with a name too. */
        ctl_users_setup();
        failed += cmocka_run_group_tests_name("shmbrokerctl", tests, group_setup,
                                              group_teardown);
        failed += cmocka_run_group_tests_name("shmbrokerctl-own-daemon", own_tests, NULL, NULL);
        ctl_users_teardown();
        return failed == 0 ? 0 : 1;
}
