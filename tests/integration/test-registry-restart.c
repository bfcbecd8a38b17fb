/* SPDX-License-Identifier: MIT */
/*
 * test-registry-restart.c - restarts and the registry (issue 8): a restart (SIGTERM and
 * SIGKILL) between create and open, a policy changed while the daemon was down, a journal
 * damaged in the middle while the daemon was down, and SIGKILL in the middle of a reload, with
 * the policy kept or reverted before the restart.
 *
 * The registry's journal lives in the state directory (the harness's shm_dir + ".state"); a
 * restart runs on the same object and state directories.
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
#include <unistd.h>

#include <acl/libacl.h>
#include <cmocka.h>
#include <sys/acl.h>

#include "macro.h"
#include "registry.h"

/* ------------------------------------------------------------------------------------------
 * 10. A restart between create and open
 */

static const char policy_restart[] =
        "[Segment user-private]\n"
        "Names=%U-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%U\n"
        "Mode=0600\n"
        "MaxSize=64K\n"
        "\n"
        "[Segment team]\n"
        "Names=team-*\n"
        "Create=41001\n"
        "ReadWrite=41001\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=64K\n"
        "\n"
        "[Segment scratch]\n"
        "Names=*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%U\n"
        "Mode=0600\n"
        "MaxSize=64K\n";

/* The same, with 41003 no longer a reader (changed while the daemon was down). */
static const char policy_restart_no_reader[] =
        "[Segment user-private]\n"
        "Names=%U-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%U\n"
        "Mode=0600\n"
        "MaxSize=64K\n"
        "\n"
        "[Segment team]\n"
        "Names=team-*\n"
        "Create=41001\n"
        "ReadWrite=41001\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=64K\n"
        "\n"
        "[Segment scratch]\n"
        "Names=*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%U\n"
        "Mode=0600\n"
        "MaxSize=64K\n";

static void assert_after_restart(const struct harness_daemon *d, const char *team_reader_text)
{
        struct reg_names names;

        assert_int_equal(reg_check_text(d, &sec_id_creator, "41001-secret", SHMB_ACCESS_RDWR,
                                        "secret"), 0);
        assert_int_equal(sec_open(d, &sec_id_outsider, "41001-secret", SHMB_ACCESS_RDWR, NULL),
                         -ENOENT);
        assert_int_equal(reg_stat(d, &sec_id_outsider, "41001-secret", NULL), -ENOENT);
        assert_int_equal(reg_check_text(d, &sec_id_creator, "team-1", SHMB_ACCESS_RDWR, "team"),
                         0);
        assert_int_equal(reg_check_text(d, &sec_id_reader, "team-1", SHMB_ACCESS_RDONLY,
                                        team_reader_text ? team_reader_text : "team"),
                         team_reader_text ? 0 : -EACCES);
        reg_list(d, &sec_id_creator, &names);
        assert_int_equal(names.n, 2);
        reg_names_done(&names);
        reg_list(d, &sec_id_outsider, &names);
        assert_int_equal(names.n, 0);
        reg_names_done(&names);
}

/*
 * Old code: after a restart it re-adopted what it found in the directory by owner
 * plausibility: 41004's first rule for 41001-secret is 'scratch' (Owner=%U), so 41004 opened
 * it; and a reader removed while the daemon was down kept its ACL entry.
 */
static void test_restart_between_create_and_open(void **state)
{
        struct harness_daemon *d = sec_start(policy_restart, NULL);
        char path[PATH_MAX + 300];
        struct stat before, st;

        reg_create_text(d, &sec_id_creator, "41001-secret", 4096, "secret");
        reg_create_text(d, &sec_id_creator, "team-1", 4096, "team");
        assert_int_equal(lstat(harness_shm_path(d, "41001-secret"), &before), 0);

        d = reg_restart(policy_restart);
        assert_after_restart(d, "team");
        d = reg_restart_killed(policy_restart);
        assert_after_restart(d, "team");
        assert_int_equal(lstat(harness_shm_path(d, "41001-secret"), &st), 0);
        assert_int_equal(st.st_ino, before.st_ino);

        /* The policy changed while it was down: start-up brings the file system in line. */
        snprintf(path, sizeof(path), "%s", harness_shm_path(d, "team-1"));
        assert_int_equal(reg_fs_open(path, &sec_id_reader, O_RDONLY), 0);
        d = reg_restart(policy_restart_no_reader);
        snprintf(path, sizeof(path), "%s", harness_shm_path(d, "team-1"));
        assert_after_restart(d, NULL);
        assert_int_equal(reg_acl_perm(path, ACL_USER, HARNESS_UID_3), -1);
        assert_int_equal(reg_fs_open(path, &sec_id_reader, O_RDONLY), -EACCES);

        assert_int_equal(sec_unlink(d, &sec_id_creator, "41001-secret"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "team-1"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * A journal damaged in the middle
 */

static const char *const damaged_names[] = { "journal-a", "journal-b", "journal-c", "journal-d" };

/* One byte of journal-b's name flipped, in the file, as a storage fault would. */
static void damage_b(const char *state_dir)
{
        _cleanup_(freep) uint8_t *buf = NULL;
        _cleanup_(closep) int fd = -1;
        const char *name = damaged_names[1];
        char path[PATH_MAX + 32];
        const uint8_t *p;
        struct stat st;

        snprintf(path, sizeof(path), "%s/registry", state_dir);
        fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        buf = malloc((size_t) st.st_size);
        assert_non_null(buf);
        assert_int_equal(pread(fd, buf, (size_t) st.st_size, 0), st.st_size);
        p = memmem(buf, (size_t) st.st_size, name, strlen(name));
        assert_non_null(p);
        /* One record of it: its only one. */
        assert_null(memmem(p + 1, (size_t) (buf + st.st_size - p - 1), name, strlen(name)));
        assert_int_equal(pwrite(fd, "B", 1, p - buf + (off_t) strlen(name) - 1), 1);
}

/*
 * Four objects, and one byte of the second's journal record flipped while the daemon is down:
 * the restarted daemon serves the other three, does not serve the second (its record is gone,
 * and its file is no longer one the daemon made), says so at error level, and keeps the
 * journal as found in registry.damaged.
 * Old code: the replay ended at the damaged record and cut the journal there, so journal-c
 * and journal-d were lost as well (ENOENT), logged as "a write cut short".
 */
static void test_restart_journal_damaged_middle(void **state)
{
        struct harness_daemon *d = sec_start(policy_restart, NULL);
        char path[PATH_MAX + 300];
        struct stat st;
        size_t i;

        for (i = 0; i < ELEMENTSOF(damaged_names); i++)
                reg_create_text(d, &sec_id_creator, damaged_names[i], 4096, damaged_names[i]);

        d = reg_restart_changed(policy_restart, damage_b);
        for (i = 0; i < ELEMENTSOF(damaged_names); i++) {
                int r = reg_check_text(d, &sec_id_creator, damaged_names[i], SHMB_ACCESS_RDWR,
                                       damaged_names[i]);

                if (r != (i == 1 ? -ENOENT : 0))
                        fail_msg("'%s' after the restart: %s, expected %s", damaged_names[i],
                                 strerror(-r), i == 1 ? "ENOENT" : "served");
        }
        sec_expect_log(d, 0, "damaged in the middle", NULL, 1, 1);
        sec_expect_log(d, 0, "did not check out", NULL, 0, 0);
        snprintf(path, sizeof(path), "%s/registry.damaged",
                 d->state_dir);
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);

        for (i = 0; i < ELEMENTSOF(damaged_names); i++)
                if (i != 1)
                        assert_int_equal(sec_unlink(d, &sec_id_creator, damaged_names[i]), 0);
        /* The daemon leaves a file it does not know alone: its bytes are the administrator's. */
        assert_int_equal(unlink(harness_shm_path(d, damaged_names[1])), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 10. SIGKILL during a reload
 */

#define KR_OBJECTS 300
#define KR_ROUNDS 8
/* The kill must land in a window of microseconds, between a re-application and its journal
 * record: enough rounds that one does (on 2 cores, about one round in ten hit it). */
#define KR_REVERT_ROUNDS 96

static const char policy_kr_a[] =
        "[Segment kr]\n"
        "Names=kr-*\n"
        "Create=41001\n"
        "ReadWrite=41001\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=64K\n";

static const char policy_kr_b[] =
        "[Segment kr]\n"
        "Names=kr-*\n"
        "Create=41001\n"
        "ReadWrite=41001\n"
        "Owner=41001\n"
        "Group=42001\n"
        "Mode=0600\n"
        "MaxSize=64K\n";

static const char *kr_name(const char *policy)
{
        return policy == policy_kr_a ? "A" : "B";
}

static off_t journal_size(const struct harness_daemon *d)
{
        char path[PATH_MAX + 32];
        struct stat st;

        snprintf(path, sizeof(path), "%s/registry", d->state_dir);
        return stat(path, &st) < 0 ? 0 : st.st_size;
}

static void kr_create_all(const struct harness_daemon *d)
{
        static uint8_t pkt[SHMB_PROTO_MSG_MAX];
        int fd = sec_raw_connect(d, &sec_id_creator);
        unsigned i;

        for (i = 0; i < KR_OBJECTS; i++) {
                struct shmb_proto_reply reply;
                char name[32], text[32];
                int ofd = -1;
                size_t n;

                snprintf(name, sizeof(name), "kr-%03u", i);
                snprintf(text, sizeof(text), "object %u", i);
                n = sec_enc_create(pkt, i + 1, name, 4096, SHMB_PROTO_ACCESS_RDWR);
                assert_int_equal(sec_raw_call(fd, pkt, n, &reply, &ofd), 0);
                assert_int_equal(reply.type, SHMB_PROTO_REPLY_FD);
                assert_int_equal(pwrite(ofd, text, strlen(text), 0), (ssize_t) strlen(text));
                assert_int_equal(close(ofd), 0);
        }
        assert_int_equal(close(fd), 0);
}

static void kr_unlink_all(const struct harness_daemon *d)
{
        static uint8_t pkt[SHMB_PROTO_MSG_MAX];
        int fd = sec_raw_connect(d, &sec_id_creator);
        unsigned i;

        for (i = 0; i < KR_OBJECTS; i++) {
                struct shmb_proto_reply reply;
                char name[32];
                size_t n;

                snprintf(name, sizeof(name), "kr-%03u", i);
                n = sec_enc_name(pkt, SHMB_PROTO_UNLINK, i + 1, name);
                assert_int_equal(sec_raw_call(fd, pkt, n, &reply, NULL), 0);
                assert_int_equal(reply.type, SHMB_PROTO_REPLY_OK);
        }
        assert_int_equal(close(fd), 0);
}

/* Every object served to its creator with its bytes (one connection, an open each), and on
 * disk as @policy says. */
static void assert_kr_objects(const struct harness_daemon *d, const char *policy)
{
        static uint8_t pkt[SHMB_PROTO_MSG_MAX];
        bool a = policy == policy_kr_a;
        char name[32], text[32], path[PATH_MAX + 300];
        int conn = sec_raw_connect(d, &sec_id_creator);
        unsigned i;

        for (i = 0; i < KR_OBJECTS; i++) {
                struct shmb_proto_reply reply;
                char buf[32] = "";
                struct stat st;
                int fd = -1;
                size_t n;

                snprintf(name, sizeof(name), "kr-%03u", i);
                snprintf(text, sizeof(text), "object %u", i);
                snprintf(path, sizeof(path), "%s", harness_shm_path(d, name));
                n = sec_enc_open(pkt, i + 1, name, SHMB_PROTO_ACCESS_RDWR);
                assert_int_equal(sec_raw_call(conn, pkt, n, &reply, &fd), 0);
                if (reply.type != SHMB_PROTO_REPLY_FD || fd < 0 ||
                    pread(fd, buf, strlen(text), 0) != (ssize_t) strlen(text) ||
                    memcmp(buf, text, strlen(text)) != 0)
                        fail_msg("'%s' is not served to its creator with its bytes (%s)", name,
                                 reply.type == SHMB_PROTO_REPLY_ERROR ? strerror(reply.error)
                                                                      : "other bytes");
                assert_int_equal(close(fd), 0);
                assert_int_equal(lstat(path, &st), 0);
                if (st.st_gid != (a ? HARNESS_GID_2 : HARNESS_GID_1) ||
                    reg_acl_perm(path, ACL_USER, HARNESS_UID_3) != (a ? 4 : -1) ||
                    reg_acl_perm(path, ACL_GROUP_OBJ, 0) != (a ? 4 : 0))
                        fail_msg("'%s': the file system does not follow policy %s, in force: "
                                 "group %u, 41003 has %d, the owning group %d", name,
                                 kr_name(policy), (unsigned) st.st_gid,
                                 reg_acl_perm(path, ACL_USER, HARNESS_UID_3),
                                 reg_acl_perm(path, ACL_GROUP_OBJ, 0));
        }
        assert_int_equal(close(conn), 0);
}

/*
 * Each round SIGHUPs a switch between A and B (every object gets another group and ACL), and
 * SIGKILLs the daemon once the journal has grown by a different fraction of what a whole
 * reload writes; then restarts it with the new policy (which is on disk). Every object must
 * come back, served, with the attributes of that policy: the journal stays readable, nothing
 * is lost, and file-system access equals broker access.
 * Old code: it had no journal; after the restart it re-adopted files by owner plausibility and
 * never re-applied attributes: objects not yet switched were stranded (EBADFD).
 */
static void test_sigkill_during_reload(void **state)
{
        struct harness_daemon *d = sec_start(policy_kr_a, NULL);
        const char *cur = policy_kr_a;
        unsigned round, during = 0;
        off_t full;

        kr_create_all(d);
        /* What one whole reload writes to the journal. */
        full = journal_size(d);
        reg_reload(d, policy_kr_b);
        cur = policy_kr_b;
        full = journal_size(d) - full;
        print_message("a reload of %u objects writes %lld journal bytes\n", KR_OBJECTS,
                      (long long) full);

        for (round = 0; round < KR_ROUNDS; round++) {
                const char *next = cur == policy_kr_a ? policy_kr_b : policy_kr_a;
                _cleanup_(freep) char *text = reg_policy_with_control(next);
                off_t start = journal_size(d), target = full * (round + 1) / (KR_ROUNDS + 1);
                size_t mark = harness_daemon_log_mark(d);
                uint64_t deadline = tl_now_ms() + 3000;

                sec_write_file(d->policy_path, text);
                assert_int_equal(kill(d->pid, SIGHUP), 0);
                /* No sleep: watch the journal grow, and kill at the mark. */
                while (journal_size(d) < start + target && tl_now_ms() < deadline &&
                       harness_daemon_log_count(d, mark, "Policy reloaded", NULL) == 0)
                        ;
                reg_kill(d);
                if (harness_daemon_log_count(d, mark, "Policy reloaded", NULL) == 0) {
                        during++;
                        print_message("round %u: killed %lld journal bytes into a reload to "
                                      "%s\n", round, (long long) (journal_size(d) - start),
                                      kr_name(next));
                }
                cur = next;
                d = reg_restart_killed(cur);
                sec_expect_log(d, 0, "is gone", NULL, 0, 0);
                /* SIGKILL can cut a journal write short where it crosses a page (the kernel
                 * stops copying at a fatal signal): one torn record at the end, dropped. */
                sec_expect_log(d, 0, "did not check out", NULL, 0, 1);
                assert_kr_objects(d, cur);
        }
        print_message("%u of %u kills landed before the reload was done\n", during, KR_ROUNDS);
        kr_unlink_all(d);
        sec_finish();
}

/*
 * The same, but the administrator reverts the policy before the restart (the reload was cut
 * short, so they go back to what worked). The kill lands the moment one object's group
 * changes on disk: the daemon has begun re-applying it and, an instant later, records that it
 * did. Restarted with the old policy, every object must be as the old policy says: what a
 * killed reload half-did to a file must not outlive it.
 * Old code: a reload never re-applied owner, group, mode or ACL: the watched object never
 * changed group, and the case fails waiting for it.
 */
static void test_sigkill_during_reload_reverted(void **state)
{
        struct harness_daemon *d = sec_start(policy_kr_a, NULL);
        const char *cur = policy_kr_a;
        unsigned round, during = 0;

        kr_create_all(d);
        for (round = 0; round < KR_REVERT_ROUNDS; round++) {
                const char *next = cur == policy_kr_a ? policy_kr_b : policy_kr_a;
                gid_t next_gid = next == policy_kr_a ? HARNESS_GID_2 : HARNESS_GID_1;
                _cleanup_(freep) char *text = reg_policy_with_control(next);
                size_t mark = harness_daemon_log_mark(d);
                uint64_t deadline = tl_now_ms() + 3000;
                char name[32], path[PATH_MAX + 300];
                struct stat st = {};

                /* A different object each round, from the middle of the reload. */
                snprintf(name, sizeof(name), "kr-%03u", 30 + (round * 5) % 260);
                snprintf(path, sizeof(path), "%s", harness_shm_path(d, name));
                sec_write_file(d->policy_path, text);
                assert_int_equal(kill(d->pid, SIGHUP), 0);
                while (tl_now_ms() < deadline &&
                       (lstat(path, &st) < 0 || st.st_gid != next_gid))
                        ;
                reg_kill(d);
                if (harness_daemon_log_count(d, mark, "Policy reloaded", NULL) == 0)
                        during++;
                assert_int_equal(st.st_gid, next_gid);
                /* The administrator puts the old policy back; the daemon starts with it. */
                d = reg_restart_killed(cur);
                sec_expect_log(d, 0, "is gone", NULL, 0, 0);
                /* SIGKILL can cut a journal write short where it crosses a page (the kernel
                 * stops copying at a fatal signal): one torn record at the end, dropped. */
                sec_expect_log(d, 0, "did not check out", NULL, 0, 1);
                assert_kr_objects(d, cur);
        }
        print_message("%u of %u kills landed before the reload was done\n", during,
                      KR_REVERT_ROUNDS);
        kr_unlink_all(d);
        sec_finish();
}

const struct CMUnitTest reg_tests_restart[] = {
        SEC_TEST(test_restart_between_create_and_open),
        SEC_TEST(test_restart_journal_damaged_middle),
        SEC_TEST(test_sigkill_during_reload),
        SEC_TEST(test_sigkill_during_reload_reverted),
};
const size_t reg_n_tests_restart = ELEMENTSOF(reg_tests_restart);
