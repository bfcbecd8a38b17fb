/* SPDX-License-Identifier: MIT */
/*
 * test-registry.c - the findings of the outside review of issue 8 ("the broker knows what it
 * made"), each as a regression test against a real shmbrokerd, plus hostile timing.
 *
 * One binary, one file per group:
 *   test-registry.c          handout under its own rule: findings 1 (cross-rule handout, shm
 *                            and memfd), 2 (planted files), 3 (provenance in an xattr),
 *                            6 (stat needs read access)
 *   test-registry-list.c     finding 7: LIST shows objects only, pages are exact
 *   test-registry-reload.c   finding 5 (reconciling reload), a reload between create and open
 *   test-registry-restart.c  a restart between create and open, SIGKILL during a reload
 *   test-registry-race.c     finding 4 (unlink removes only its own inode, raced), things
 *                            planted at an object's name after it exists
 * Findings 8 and 9 (the fd store) are in test-systemd.c, which plays the service manager.
 *
 * Every case says in a comment what the daemon before the registry (f6ee7e8) did, so that it
 * is clear why the case can fail. Each starts its own daemon (sec_start()) and ends with the
 * suite's after-checks (sec_finish(): control client served, fd count at baseline, no stray
 * object, exit 0 on SIGTERM). To run the suite against a daemon that does not know
 * --state-dir, set SHMB_TEST_NO_STATE_DIR=1; REG_FILTER=PATTERN runs only matching cases.
 *
 * Needs root (it switches uids, makes users, sets sysctls); skipped (77) without.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "registry.h"

/* ------------------------------------------------------------------------------------------
 * Finding 1. Cross-rule handout
 */

/* The embedded default policy's rule, then a scratch area for everyone. */
static const char policy_cross_u[] =
        "[Segment user-private]\n"
        "Names=%u-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%u\n"
        "Mode=0600\n"
        "MaxSize=64M\n"
        "Backend=shm\n"
        "\n"
        "[Segment scratch]\n"
        "Names=*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%U\n"
        "Mode=0600\n"
        "MaxSize=64K\n";

/* The same by uid, for users without a name. */
static const char policy_cross_U[] =
        "[Segment user-private]\n"
        "Names=%U-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%U\n"
        "Mode=0600\n"
        "MaxSize=64M\n"
        "\n"
        "[Segment scratch]\n"
        "Names=*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%U\n"
        "Mode=0600\n"
        "MaxSize=64K\n";

/* A private memfd rule, then a public one. */
static const char policy_cross_memfd[] =
        "[Segment private]\n"
        "Names=%U-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%U\n"
        "Mode=0600\n"
        "MaxSize=64K\n"
        "Backend=memfd\n"
        "\n"
        "[Segment public]\n"
        "Names=*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Mode=0600\n"
        "MaxSize=64K\n"
        "Backend=memfd\n";

struct cross_case {
        const char *policy;
        const struct harness_id *alice, *bob, *third;
        const char *secret;             /* alice's, under her private rule */
        const char *absent;             /* a name under the same rule that has no object */
        const char *bobs;               /* bob's, under his private rule */
        bool shm;
};

/* Everything bob (and a third user) can ask about alice's object gets the answer for a name
 * without an object. */
static void assert_not_for(const struct harness_daemon *d, const struct harness_id *id,
                           const struct cross_case *t)
{
        struct reg_names names;

        /* First what the same user gets for a name without an object... */
        assert_int_equal(sec_open(d, id, t->absent, SHMB_ACCESS_RDWR, NULL), -ENOENT);
        assert_int_equal(reg_stat(d, id, t->absent, NULL), -ENOENT);
        assert_int_equal(sec_unlink(d, id, t->absent), -ENOENT);
        /* ...and exactly that for alice's object. */
        assert_int_equal(sec_open(d, id, t->secret, SHMB_ACCESS_RDWR, NULL), -ENOENT);
        assert_int_equal(sec_open(d, id, t->secret, SHMB_ACCESS_RDONLY, NULL), -ENOENT);
        assert_int_equal(sec_open(d, id, t->secret, SHMB_ACCESS_ANY, NULL), -ENOENT);
        assert_int_equal(reg_stat(d, id, t->secret, NULL), -ENOENT);
        assert_int_equal(sec_unlink(d, id, t->secret), -ENOENT);
        /* One name, one object: no second one next to hers, nothing overwritten. */
        assert_int_equal(sec_create(d, id, t->secret, 4096, SHMB_ACCESS_RDWR, NULL), -EEXIST);
        reg_list(d, id, &names);
        assert_false(reg_names_has(&names, t->secret));
        reg_names_done(&names);
}

/*
 * Old code: bob's first rule for alice's name is 'scratch', whose Owner=%U made alice's uid a
 * plausible owner: bob opened alice-secret read-write ("granted by rule 'scratch'"), could
 * overwrite it and unlink it. With Backend=memfd the open path had no check at all.
 */
static void run_cross_rule(const struct cross_case *t)
{
        static const char secret[] = "alice's secret";
        struct harness_daemon *d = sec_start(t->policy, NULL);
        struct reg_names names;
        struct stat before, after;
        char path[PATH_MAX + 300];

        reg_create_text(d, t->alice, t->secret, 4096, secret);
        reg_create_text(d, t->bob, t->bobs, 4096, "bob's own");
        snprintf(path, sizeof(path), "%s", harness_shm_path(d, t->secret));
        if (t->shm)
                assert_int_equal(lstat(path, &before), 0);

        assert_not_for(d, t->bob, t);
        assert_not_for(d, t->third, t);
        /* And the other way round: bob's private object is his. */
        assert_int_equal(sec_open(d, t->alice, t->bobs, SHMB_ACCESS_RDONLY, NULL), -ENOENT);

        /* Alice's object is untouched, and still hers. */
        if (t->shm) {
                _cleanup_(freep) char *text = reg_file_text(path);

                assert_int_equal(lstat(path, &after), 0);
                assert_int_equal(after.st_ino, before.st_ino);
                reg_assert_file(path, t->alice->uid, before.st_gid, 0600);
                assert_int_equal(after.st_size, 4096);
                assert_int_equal(reg_acl_named(path), 0);
                assert_string_equal(text, secret);
        } else
                assert_int_equal(lstat(path, &after), -1);
        assert_int_equal(reg_check_text(d, t->alice, t->secret, SHMB_ACCESS_RDWR, secret), 0);
        assert_int_equal(reg_stat(d, t->alice, t->secret, NULL), 0);
        reg_list(d, t->alice, &names);
        assert_true(reg_names_has(&names, t->secret));
        assert_false(reg_names_has(&names, t->bobs));
        reg_names_done(&names);
        assert_int_equal(reg_check_text(d, t->bob, t->bobs, SHMB_ACCESS_RDWR, "bob's own"), 0);

        assert_int_equal(sec_unlink(d, t->alice, t->secret), 0);
        assert_int_equal(sec_unlink(d, t->bob, t->bobs), 0);
        sec_finish();
}

static void test_cross_rule_shm_by_uid(void **state)
{
        const struct cross_case t = {
                .policy = policy_cross_U, .alice = &sec_id_creator, .bob = &sec_id_outsider,
                .third = &sec_id_reader, .secret = "41001-secret", .absent = "41001-nothing",
                .bobs = "41004-mine", .shm = true,
        };

        run_cross_rule(&t);
}

static void test_cross_rule_shm_by_name(void **state)
{
        const struct cross_case t = {
                .policy = policy_cross_u, .alice = &reg_id_alice, .bob = &reg_id_bob,
                .third = &sec_id_outsider, .secret = REG_NAME_ALICE "-secret",
                .absent = REG_NAME_ALICE "-nothing", .bobs = REG_NAME_BOB "-mine", .shm = true,
        };

        reg_require_named_users();
        run_cross_rule(&t);
}

static void test_cross_rule_memfd(void **state)
{
        const struct cross_case t = {
                .policy = policy_cross_memfd, .alice = &sec_id_creator, .bob = &sec_id_outsider,
                .third = &sec_id_reader, .secret = "41001-secret", .absent = "41001-nothing",
                .bobs = "41004-mine", .shm = false,
        };

        run_cross_rule(&t);
}

/* ------------------------------------------------------------------------------------------
 * Finding 2. Planted files
 */

struct plant_case {
        const char *policy;
        const struct harness_id *creator, *writer, *planter;
};

struct plant_child {
        const char *path;
        gid_t group;
};

/* As the planter: her own file at a brokered name, in the rule's group. */
static int child_plant(void *userdata)
{
        static const char text[] = "planted by a reader";
        const struct plant_child *t = userdata;
        int fd;

        fd = open(t->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640);
        CHILD_CHECK(fd >= 0);
        CHILD_CHECK_EQ(write(fd, text, sizeof(text) - 1), (ssize_t) sizeof(text) - 1);
        CHILD_CHECK_EQ(fchown(fd, (uid_t) -1, t->group), 0);
        CHILD_CHECK_EQ(fchmod(fd, 0640), 0);
        CHILD_CHECK_EQ(close(fd), 0);
        return 0;
}

/*
 * Old code: the planter's file (owner: a user, as Owner=%u/%U allows; group: the rule's, which
 * she belongs to) was "plausible": the writer and the creator were handed her file (she kept
 * owner rights over what they wrote), and it was listed and stat'ed.
 */
static void run_planted(const struct plant_case *t)
{
        static const struct harness_daemon_options sticky = { .shm_dir_mode = 01777 };
        struct plant_child pc = { .group = HARNESS_GID_1 };
        const struct harness_id *all[] = { t->creator, t->writer, t->planter, &sec_id_root };
        struct harness_daemon *d;
        struct reg_names names;
        char path[PATH_MAX + 300];
        struct stat before;
        size_t i;

        sec_set_sysctl("/proc/sys/fs/protected_regular", "0");
        d = sec_start(t->policy, &sticky);
        /* The rule works: a real object is served to each as the policy says. */
        reg_create_text(d, t->creator, "team-real", 4096, "real");
        assert_int_equal(reg_check_text(d, t->writer, "team-real", SHMB_ACCESS_RDWR, "real"), 0);
        assert_int_equal(reg_check_text(d, t->planter, "team-real", SHMB_ACCESS_RDONLY, "real"),
                         0);

        snprintf(path, sizeof(path), "%s", harness_shm_path(d, "team-plan"));
        pc.path = path;
        assert_int_equal(harness_run_as(t->planter, child_plant, &pc), 0);
        assert_int_equal(lstat(path, &before), 0);

        for (i = 0; i < ELEMENTSOF(all); i++) {
                int r = sec_open(d, all[i], "team-plan", SHMB_ACCESS_RDWR, NULL);

                /* Root has no right under this rule: the answer for any name. */
                assert_int_equal(r, all[i]->uid == 0 ? -EACCES : all[i] == t->planter ? -EACCES
                                                                                      : -ENOENT);
                assert_int_equal(sec_open(d, all[i], "team-plan", SHMB_ACCESS_RDONLY, NULL),
                                 all[i]->uid == 0 ? -EACCES : -ENOENT);
                assert_int_equal(reg_stat(d, all[i], "team-plan", NULL), -ENOENT);
                reg_list(d, all[i], &names);
                assert_false(reg_names_has(&names, "team-plan"));
                reg_names_done(&names);
        }
        assert_int_equal(sec_unlink(d, t->creator, "team-plan"), -ENOENT);
        assert_int_equal(sec_create(d, t->creator, "team-plan", 4096, SHMB_ACCESS_NONE, NULL),
                         -EEXIST);

        /* Her file, as she made it: never changed, never removed. */
        {
                _cleanup_(freep) char *text = reg_file_text(path);
                struct stat after;

                assert_int_equal(lstat(path, &after), 0);
                assert_int_equal(after.st_ino, before.st_ino);
                reg_assert_file(path, t->planter->uid, HARNESS_GID_1, 0640);
                assert_int_equal(reg_acl_named(path), 0);
                assert_string_equal(text, "planted by a reader");
        }
        assert_int_equal(unlink(path), 0);
        assert_int_equal(sec_unlink(d, t->creator, "team-real"), 0);
        sec_finish();
}

static void test_planted_owner_uid(void **state)
{
        static const char policy[] =
                "[Segment team]\n"
                "Names=team-*\n"
                "Create=41001\n"
                "ReadWrite=41001 41002\n"
                "ReadOnly=41003\n"
                "Owner=%U\n"
                "Group=42001\n"
                "Mode=0640\n"
                "MaxSize=64K\n";
        static const struct harness_id planter = { .uid = HARNESS_UID_3, .gid = HARNESS_GID_3,
                                                   .n_groups = 1,
                                                   .groups = { HARNESS_GID_1 } };
        const struct plant_case t = { .policy = policy, .creator = &sec_id_creator,
                                      .writer = &sec_id_writer, .planter = &planter };

        run_planted(&t);
}

static void test_planted_owner_name(void **state)
{
        static const char policy[] =
                "[Segment team]\n"
                "Names=team-*\n"
                "Create=" REG_NAME_ALICE "\n"
                "ReadWrite=" REG_NAME_ALICE " 41002\n"
                "ReadOnly=" REG_NAME_BOB "\n"
                "Owner=%u\n"
                "Group=42001\n"
                "Mode=0640\n"
                "MaxSize=64K\n";
        static const struct harness_id planter = { .uid = REG_UID_BOB, .gid = HARNESS_GID_3,
                                                   .n_groups = 1,
                                                   .groups = { HARNESS_GID_1 } };
        const struct plant_case t = { .policy = policy, .creator = &reg_id_alice,
                                      .writer = &sec_id_writer, .planter = &planter };

        reg_require_named_users();
        run_planted(&t);
}

/* ------------------------------------------------------------------------------------------
 * Finding 3. Provenance in a client-writable xattr
 */

#define XATTR_CREATOR "user.shmbroker.creator"

/*
 * Old code: at start it charged each object to the uid in user.shmbroker.creator, which any
 * writer can set: the victim (41001) was charged for the writer's objects, got EDQUOT on her
 * first create, and the real creator was charged nothing.
 */
static void test_xattr_provenance(void **state)
{
        static const char policy[] =
                "[Quota]\n"
                "MaxObjectsPerUser=2\n"
                "\n"
                "[Segment sh]\n"
                "Names=sh-*\n"
                "Create=41001 41002\n"
                "ReadWrite=41001 41002\n"
                "Owner=%U\n"
                "Mode=0600\n"
                "MaxSize=64K\n";
        static const char *const names[] = { "sh-a", "sh-b" };
        struct harness_daemon *d = sec_start(policy, NULL);
        char victim[16];
        size_t i;

        snprintf(victim, sizeof(victim), "%u", (unsigned) HARNESS_UID_1);
        for (i = 0; i < ELEMENTSOF(names); i++) {
                int fd = -1, r;

                assert_int_equal(sec_create(d, &sec_id_writer, names[i], 4096, SHMB_ACCESS_RDWR,
                                            &fd), 0);
                /* The writer, through the fd the broker gave her. */
                assert_int_equal(harness_become(&sec_id_writer), 0);
                r = fsetxattr(fd, XATTR_CREATOR, victim, strlen(victim), 0) < 0 ? -errno : 0;
                harness_unbecome();
                assert_int_equal(close(fd), 0);
                if (r == -EOPNOTSUPP) {
                        print_message("tmpfs without user xattrs (Linux < 6.6): nothing to "
                                      "forge; skipped\n");
                        assert_int_equal(sec_unlink(d, &sec_id_writer, "sh-a"), 0);
                        if (i == 1)
                                assert_int_equal(sec_unlink(d, &sec_id_writer, "sh-b"), 0);
                        sec_finish();
                        skip();
                }
                assert_int_equal(r, 0);
        }

        d = reg_restart(policy);
        /* The victim owes nothing: two creates of her own, then her quota. */
        assert_int_equal(sec_create(d, &sec_id_creator, "sh-v1", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        assert_int_equal(sec_create(d, &sec_id_creator, "sh-v2", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        assert_int_equal(sec_create(d, &sec_id_creator, "sh-v3", 4096, SHMB_ACCESS_NONE, NULL),
                         -EDQUOT);
        /* The real creator is still charged for hers, and still removes them. */
        assert_int_equal(sec_create(d, &sec_id_writer, "sh-c", 4096, SHMB_ACCESS_NONE, NULL),
                         -EDQUOT);
        assert_int_equal(sec_unlink(d, &sec_id_writer, "sh-a"), 0);
        assert_int_equal(sec_create(d, &sec_id_writer, "sh-c", 4096, SHMB_ACCESS_NONE, NULL), 0);
        assert_int_equal(sec_unlink(d, &sec_id_writer, "sh-b"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_writer, "sh-c"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sh-v1"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sh-v2"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * Finding 6. stat needs read access
 */

/*
 * Old code: stat answered anyone with any right (rights != 0): a principal who may only create
 * learned the size, owner, mode and ACL of objects it may not open.
 */
static void test_stat_create_only(void **state)
{
        static const char policy[] =
                "[Segment co]\n"
                "Names=co-*\n"
                "Create=41001 41004\n"
                "ReadWrite=41001\n"
                "Owner=41001\n"
                "Group=42002\n"
                "Mode=0600\n"
                "MaxSize=64K\n"
                "\n"
                "[Segment com]\n"
                "Names=com-*\n"
                "Create=41001 41004\n"
                "ReadWrite=41001\n"
                "Owner=41001\n"
                "Mode=0600\n"
                "MaxSize=64K\n"
                "Backend=memfd\n";
        static const char *const objects[] = { "co-x", "com-x" };
        struct harness_daemon *d = sec_start(policy, NULL);
        struct reg_names names;
        struct shmb_stat st;
        size_t i;

        for (i = 0; i < ELEMENTSOF(objects); i++)
                assert_int_equal(sec_create(d, &sec_id_creator, objects[i], 4096,
                                            SHMB_ACCESS_NONE, NULL), 0);
        for (i = 0; i < ELEMENTSOF(objects); i++) {
                assert_int_equal(reg_stat(d, &sec_id_outsider, objects[i], &st), -ENOENT);
                /* Its rights are what they are for any name under the rule. */
                assert_int_equal(sec_open(d, &sec_id_outsider, objects[i], SHMB_ACCESS_RDONLY,
                                          NULL), -EACCES);
        }
        assert_int_equal(reg_stat(d, &sec_id_outsider, "co-none", NULL), -ENOENT);
        assert_int_equal(reg_stat(d, &sec_id_outsider, "zz-no-rule", NULL), -ENOENT);
        /* Not even its own object: what it made, it may remove but not read. */
        assert_int_equal(sec_create(d, &sec_id_outsider, "co-own", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        assert_int_equal(reg_stat(d, &sec_id_outsider, "co-own", NULL), -ENOENT);
        reg_list(d, &sec_id_outsider, &names);
        assert_int_equal(names.n, 0);
        reg_names_done(&names);
        assert_int_equal(sec_unlink(d, &sec_id_outsider, "co-own"), 0);

        /* Those who may read get it all. */
        assert_int_equal(reg_stat(d, &sec_id_creator, "co-x", &st), 0);
        assert_int_equal(st.size, 4096);
        assert_int_equal(st.uid, HARNESS_UID_1);
        assert_int_equal(st.gid, HARNESS_GID_2);
        /* Mode=0600 with a named ACL entry for 41001: stat(2) shows the mask (rw) in the
         * group bits. */
        assert_int_equal(st.mode, 0660);
        assert_int_equal(st.backend, SHMB_BACKEND_SHM);
        assert_int_equal(st.rights, SHMB_RIGHT_READ | SHMB_RIGHT_WRITE | SHMB_RIGHT_CREATE);
        assert_int_equal(reg_stat(d, &sec_id_creator, "com-x", &st), 0);
        assert_int_equal(st.backend, SHMB_BACKEND_MEMFD);

        for (i = 0; i < ELEMENTSOF(objects); i++)
                assert_int_equal(sec_unlink(d, &sec_id_creator, objects[i]), 0);
        sec_finish();
}

const struct CMUnitTest reg_tests_handout[] = {
        SEC_TEST(test_cross_rule_shm_by_uid),
        SEC_TEST(test_cross_rule_shm_by_name),
        SEC_TEST(test_cross_rule_memfd),
        SEC_TEST(test_planted_owner_uid),
        SEC_TEST(test_planted_owner_name),
        SEC_TEST(test_xattr_provenance),
        SEC_TEST(test_stat_create_only),
};
const size_t reg_n_tests_handout = ELEMENTSOF(reg_tests_handout);

/* ------------------------------------------------------------------------------------------
 * main
 */

static void test_requires_root(void **state)
{
        print_message("the registry suite switches uids, makes users and sets sysctls: it "
                      "needs root; skipped\n");
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
                { "registry: handout under its own rule", reg_tests_handout,
                  &reg_n_tests_handout },
                { "registry: list", reg_tests_list, &reg_n_tests_list },
                { "registry: reload", reg_tests_reload, &reg_n_tests_reload },
                { "registry: restart", reg_tests_restart, &reg_n_tests_restart },
                { "registry: races", reg_tests_race, &reg_n_tests_race },
                { "registry: kept fds", reg_tests_kept, &reg_n_tests_kept },
                { "registry: open cache", reg_tests_cache, &reg_n_tests_cache },
        };
        size_t i;
        int failed = 0;

        if (geteuid() != 0) {
                (void) cmocka_run_group_tests_name("registry (needs root)", skip_tests, NULL,
                                                   NULL);
                return 77; /* automake: SKIP */
        }
        if (getenv("REG_FILTER"))
                cmocka_set_test_filter(getenv("REG_FILTER"));
        /* A client that the daemon hangs up on must cost us EPIPE, not SIGPIPE. */
        (void) signal(SIGPIPE, SIG_IGN);
        for (i = 0; i < ELEMENTSOF(groups); i++)
                failed += _cmocka_run_group_tests(groups[i].name, groups[i].tests, *groups[i].n,
                                                  reg_group_setup, reg_group_teardown);
        return failed == 0 ? 0 : 1;
}
