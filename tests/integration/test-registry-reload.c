/* SPDX-License-Identifier: MIT */
/*
 * test-registry-reload.c - finding 5 of issue 8 (reconciling reload), and a reload between
 * create and open.
 *
 * After SIGHUP every object is re-decided with its creator's identity: a rule of the same
 * backend rebinds it and its owner, group, mode and ACL follow the rule (file-system access
 * equals broker access: checked with open(2) as the uid and with libacl); otherwise it is an
 * orphan: refused to everyone (ENOENT), root:root mode 0000 on disk, removable by its creator
 * and by root, still charged until then, and its name still taken (EEXIST). Nothing is
 * deleted on its own.
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
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <acl/libacl.h>
#include <cmocka.h>
#include <sys/acl.h>

#include "macro.h"
#include "registry.h"

/* A member of group 42001, which the rules below name in ReadOnly=. */
static const struct harness_id id_group_reader = { .uid = HARNESS_UID_4, .gid = HARNESS_GID_3,
                                                   .n_groups = 1,
                                                   .groups = { HARNESS_GID_1 } };

/* ------------------------------------------------------------------------------------------
 * 5a. A reader removed from ReadOnly= can no longer read through the file system
 */

/*
 * Old code: the ACL stayed as the old policy made it: 41003 and group 42001 still opened the
 * file with open(2) (only the broker refused them).
 */
static void test_reload_removed_reader(void **state)
{
        static const char before[] =
                "[Segment rl]\n"
                "Names=rl-*\n"
                "Create=41001\n"
                "ReadWrite=41001\n"
                "ReadOnly=41003 @42001\n"
                "Owner=41001\n"
                "Group=42002\n"
                "Mode=0640\n"
                "MaxSize=64K\n";
        static const char after[] =
                "[Segment rl]\n"
                "Names=rl-*\n"
                "Create=41001\n"
                "ReadWrite=41001\n"
                "Owner=41001\n"
                "Group=42002\n"
                "Mode=0640\n"
                "MaxSize=64K\n";
        struct harness_daemon *d = sec_start(before, NULL);
        char path[PATH_MAX + 300], byte = 0;
        int held = -1;

        reg_create_text(d, &sec_id_creator, "rl-1", 4096, "R");
        snprintf(path, sizeof(path), "%s", harness_shm_path(d, "rl-1"));
        assert_int_equal(reg_fs_open(path, &sec_id_reader, O_RDONLY), 0);
        assert_int_equal(reg_fs_open(path, &id_group_reader, O_RDONLY), 0);
        assert_int_equal(reg_acl_perm(path, ACL_USER, HARNESS_UID_3), 4);
        assert_int_equal(reg_acl_perm(path, ACL_GROUP, HARNESS_GID_1), 4);
        assert_int_equal(sec_open(d, &sec_id_reader, "rl-1", SHMB_ACCESS_RDONLY, &held), 0);

        reg_reload(d, after);

        /* The broker and the file system agree: no more reading for them. */
        assert_int_equal(sec_open(d, &sec_id_reader, "rl-1", SHMB_ACCESS_RDONLY, NULL), -EACCES);
        assert_int_equal(sec_open(d, &id_group_reader, "rl-1", SHMB_ACCESS_RDONLY, NULL),
                         -EACCES);
        assert_int_equal(reg_fs_open(path, &sec_id_reader, O_RDONLY), -EACCES);
        assert_int_equal(reg_fs_open(path, &id_group_reader, O_RDONLY), -EACCES);
        assert_int_equal(reg_acl_perm(path, ACL_USER, HARNESS_UID_3), -1);
        assert_int_equal(reg_acl_perm(path, ACL_GROUP, HARNESS_GID_1), -1);
        assert_int_equal(reg_acl_perm(path, ACL_USER, HARNESS_UID_1), 6);
        assert_int_equal(reg_acl_perm(path, ACL_GROUP_OBJ, 0), 4);
        assert_int_equal(reg_acl_perm(path, ACL_OTHER, 0), 0);
        reg_assert_owner(path, HARNESS_UID_1, HARNESS_GID_2);
        /* The creator keeps it, through both. */
        assert_int_equal(reg_check_text(d, &sec_id_creator, "rl-1", SHMB_ACCESS_RDWR, "R"), 0);
        assert_int_equal(reg_fs_open(path, &sec_id_creator, O_RDWR), 0);
        /* An fd handed out before stays valid: the kernel has no revocation. */
        assert_int_equal(pread(held, &byte, 1, 0), 1);
        assert_int_equal(byte, 'R');
        assert_int_equal(close(held), 0);

        assert_int_equal(sec_unlink(d, &sec_id_creator, "rl-1"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 5a'. What was changed on the file is undone at the next reload, the policy unchanged
 */

/*
 * A reload of @policy that finds @name (its creator's, holding @text) as its rule says: not a
 * line about it in the log, and its creator gets it as before.
 */
static void reload_leaves_alone(struct harness_daemon *d, const char *policy, const char *name,
                                const char *text)
{
        size_t mark = harness_daemon_log_mark(d);
        char needle[SHMB_NAME_MAX + 16];

        reg_reload(d, policy);
        snprintf(needle, sizeof(needle), "Object '%s'", name);
        sec_expect_log(d, mark, needle, NULL, 0, 0);
        assert_int_equal(reg_check_text(d, &sec_id_creator, name, SHMB_ACCESS_RDWR, text), 0);
}

/*
 * Old code: a reload re-set owner, mode and ACL only where the rule's attributes changed, so
 * an owner's (or root's) chown, chmod or setfacl stayed through any number of reloads, and
 * the file system gave more than the broker. Now every object is looked at; those that are as
 * the rule says are left as they are (not even their ctime moves).
 */
static void test_reload_undoes_file_changes(void **state)
{
        static const char policy[] =
                "[Segment fc]\n"
                "Names=fc-*\n"
                "Create=41001\n"
                "ReadWrite=41001\n"
                "ReadOnly=41003\n"
                "Owner=41001\n"
                "Group=42002\n"
                "Mode=0640\n"
                "MaxSize=64K\n"
                "\n"
                "[Segment fm]\n"
                "Names=fm-*\n"
                "Create=41001\n"
                "ReadWrite=41001\n"
                "Owner=41001\n"
                "Mode=0600\n"
                "MaxSize=64K\n";
        struct harness_daemon *d = sec_start(policy, NULL);
        char changed[PATH_MAX + 300], same[PATH_MAX + 300], plain[PATH_MAX + 300];
        struct stat before, after;
        size_t mark;

        reg_create_text(d, &sec_id_creator, "fc-1", 4096, "A");
        reg_create_text(d, &sec_id_creator, "fc-2", 4096, "B");
        reg_create_text(d, &sec_id_creator, "fm-1", 4096, "C");
        snprintf(changed, sizeof(changed), "%s", harness_shm_path(d, "fc-1"));
        snprintf(same, sizeof(same), "%s", harness_shm_path(d, "fc-2"));
        snprintf(plain, sizeof(plain), "%s", harness_shm_path(d, "fm-1"));

        /* What an owner (or root) can do to its file behind the broker's back. */
        assert_int_equal(chown(changed, HARNESS_UID_4, (gid_t) -1), 0);
        assert_int_equal(chmod(changed, 0666), 0);
        assert_int_equal(chmod(plain, 0644), 0);
        assert_int_equal(reg_fs_open(changed, &sec_id_outsider, O_RDWR), 0);
        assert_int_equal(reg_fs_open(plain, &sec_id_outsider, O_RDONLY), 0);
        assert_int_equal(stat(same, &before), 0);

        mark = harness_daemon_log_mark(d);
        reg_reload(d, policy);

        reg_assert_owner(changed, HARNESS_UID_1, HARNESS_GID_2);
        assert_int_equal(reg_acl_perm(changed, ACL_USER, HARNESS_UID_1), 6);
        assert_int_equal(reg_acl_perm(changed, ACL_USER, HARNESS_UID_3), 4);
        assert_int_equal(reg_acl_perm(changed, ACL_GROUP_OBJ, 0), 4);
        assert_int_equal(reg_acl_perm(changed, ACL_OTHER, 0), 0);
        assert_int_equal(reg_fs_open(changed, &sec_id_outsider, O_RDWR), -EACCES);
        assert_int_equal(reg_fs_open(changed, &sec_id_outsider, O_RDONLY), -EACCES);
        assert_int_equal(reg_fs_open(plain, &sec_id_outsider, O_RDONLY), -EACCES);
        assert_int_equal(reg_acl_perm(plain, ACL_OTHER, 0), 0);
        /* As the rule says already: not set again. */
        assert_int_equal(stat(same, &after), 0);
        assert_int_equal(after.st_ctim.tv_sec, before.st_ctim.tv_sec);
        assert_int_equal(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
        sec_expect_log(d, mark, "Object 'fc-1': its owner, mode or ACL had been changed", NULL,
                       1, 1);
        sec_expect_log(d, mark, "Object 'fm-1': its owner, mode or ACL had been changed", NULL,
                       1, 1);
        sec_expect_log(d, mark, "Object 'fc-2'", NULL, 0, 0);

        /* The broker serves them as before. */
        assert_int_equal(reg_check_text(d, &sec_id_creator, "fc-1", SHMB_ACCESS_RDWR, "A"), 0);
        assert_int_equal(reg_check_text(d, &sec_id_reader, "fc-2", SHMB_ACCESS_RDONLY, "B"), 0);
        assert_int_equal(reg_check_text(d, &sec_id_creator, "fm-1", SHMB_ACCESS_RDWR, "C"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "fc-1"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "fc-2"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "fm-1"), 0);
        sec_finish();
}

/*
 * A reload with the same policy while the group of Group=%u cannot be found (removed, or the
 * name service is down and says "not found"): the creator's objects stay as they are. Old
 * code: the failed lookup's ENOENT was taken for "the file is gone", and every such object was
 * forgotten - no longer served or counted, its file left behind in the object directory.
 */
static void test_reload_group_gone(void **state)
{
        static const char policy[] =
                "[Segment gu]\n"
                "Names=gu-*\n"
                "Create=41001\n"
                "ReadWrite=41001\n"
                "Owner=41001\n"
                "Group=%u\n"
                "Mode=0660\n"
                "MaxSize=64K\n";
        const char *shim = getenv("SHMB_SLOWNSS");
        char gone[] = "/tmp/shmb-gone.XXXXXX", gone_env[64], preload_env[2 * PATH_MAX + 16];
        char preload[2 * PATH_MAX + 2];
        const char *env[] = { "SHMB_FAKENSS_UID=41001", "SHMB_FAKENSS_GID=42002",
                              "SHMB_FAKENSS_NAME=shmbfake41001", gone_env, preload_env, NULL };
        struct harness_daemon_options opts = { .env = env };
        struct harness_daemon *d;
        size_t mark;

        if (!shim || access(shim, R_OK) < 0)
                fail_msg("SHMB_SLOWNSS ('%s') is not the name service shim; run the suite "
                         "with make check", shim ? shim : "");
        sec_absent_path(gone);
        snprintf(gone_env, sizeof(gone_env), "SHMB_FAKENSS_GONE=%s", gone);
        snprintf(preload_env, sizeof(preload_env), "LD_PRELOAD=%s",
                 tl_preload_value(shim, preload, sizeof(preload)));
        d = sec_start(policy, &opts);

        reg_create_text(d, &sec_id_creator, "gu-1", 4096, "G");
        reg_assert_owner(harness_shm_path(d, "gu-1"), HARNESS_UID_1, HARNESS_GID_2);

        /* The group goes away; the policy stays the same. */
        sec_create_path(gone);
        mark = harness_daemon_log_mark(d);
        reg_reload(d, policy);
        sec_expect_log(d, mark, "Object 'gu-1' is gone", NULL, 0, 0);
        assert_int_equal(reg_check_text(d, &sec_id_creator, "gu-1", SHMB_ACCESS_RDWR, "G"), 0);
        reg_assert_owner(harness_shm_path(d, "gu-1"), HARNESS_UID_1, HARNESS_GID_2);

        /* Back again: nothing to undo, and the object is as it was. */
        assert_int_equal(unlink(gone), 0);
        reload_leaves_alone(d, policy, "gu-1", "G");
        assert_int_equal(sec_unlink(d, &sec_id_creator, "gu-1"), 0);
        sec_finish();
}

/*
 * A reload that brings %u: the connections accepted before it have no user name yet, and have
 * it looked up off the loop, as at accept, each reading nothing meanwhile. With the name
 * service slow for 41004, a request 41004 sends on a connection made before the reload waits
 * alone; another uid is served from start to end meanwhile. Found by a hostile review: the
 * name was looked up in the loop at that request, and every client waited behind it.
 */
static void test_reload_brings_user_names(void **state)
{
        static const char before[] =
                "[Segment rn]\n"
                "Names=rn-*\n"
                "Create=41001\n"
                "ReadWrite=41001 41004\n"
                "MaxSize=64K\n";
        static const char after[] =
                "[Segment rn]\n"
                "Names=rn-*\n"
                "Create=41001\n"
                "ReadWrite=41001 41004\n"
                "MaxSize=64K\n"
                "\n"
                "[Segment home]\n"
                "Names=%u-*\n"
                "Create=*\n"
                "ReadWrite=*\n";
        struct harness_daemon_options opts = { .env = sec_slownss_env(41004, NULL) };
        static uint8_t pkt[SHMB_PROTO_MSG_MAX];
        struct shmb_proto_reply reply;
        struct harness_daemon *d;
        struct pollfd pfd;
        int slow;
        size_t n;

        d = sec_start(before, &opts);
        reg_create_text(d, &sec_id_creator, "rn-1", 4096, "R");

        /* Connected (and served) before the reload: no name looked up, none needed. */
        slow = sec_raw_connect(d, &sec_id_outsider);
        n = sec_enc_name(pkt, SHMB_PROTO_STAT, 3, "rn-1");
        assert_int_equal(sec_raw_send(slow, pkt, n, NULL, 0), 0);
        assert_int_equal(sec_raw_reply(slow, &reply, NULL), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_STAT);

        reg_reload(d, after);
        n = sec_enc_name(pkt, SHMB_PROTO_STAT, 4, "rn-1");
        assert_int_equal(sec_raw_send(slow, pkt, n, NULL, 0), 0);
        /* Another uid is served meanwhile, start to end. */
        sec_assert_serving(d);
        assert_int_equal(reg_check_text(d, &sec_id_creator, "rn-1", SHMB_ACCESS_RDWR, "R"), 0);
        pfd = (struct pollfd) { .fd = slow, .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 0), 0);

        /* The name service answers: 41004 is served as before. */
        sec_slownss_open();
        assert_int_equal(sec_raw_reply(slow, &reply, NULL), 0);
        assert_int_equal(reply.seq, 4);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_STAT);
        assert_int_equal(close(slow), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "rn-1"), 0);
        sec_finish();
}

/* Waits for a log line after @mark holding @needle. */
static void wait_log(const struct harness_daemon *d, size_t mark, const char *needle)
{
        uint64_t deadline = tl_now_ms() + HARNESS_TIMEOUT_MS;

        while (harness_daemon_log_count(d, mark, needle, NULL) == 0) {
                if (tl_now_ms() >= deadline || !harness_daemon_alive(d))
                        fail_msg("no log line '%s'", needle);
                tl_sleep_ms(5);
        }
}

/*
 * A reload that brings %u, for an object made under a policy without it: its creator's name
 * was never looked up (none is, without %u), and the object is decided with it, not as if
 * its creator had none. While the name service hangs for the creator the object is refused
 * to everyone (an orphan) and other clients are served; once it answers, the object is the
 * private rule's: its creator's alone, through the broker and the file system. Found by a
 * hostile review. Old code: the object was decided for a creator "without a name", %u
 * matched nothing, and it stayed with the wider rule: 41001 opened it read-write, its
 * creator got ENOENT, for good (the journal kept no name).
 */
static void test_reload_brings_u_for_old_objects(void **state)
{
        static const char before[] =
                "[Segment scratch]\n"
                "Names=shmbfake41004*\n"
                "Create=*\n"
                "ReadWrite=*\n"
                "MaxSize=64K\n";
        static const char after[] =
                "[Segment private]\n"
                "Names=%u-*\n"
                "Create=*\n"
                "ReadWrite=*\n"
                "Owner=%u\n"
                "Mode=0600\n"
                "MaxSize=64K\n"
                "\n"
                "[Segment scratch]\n"
                "Names=shmbfake41004*\n"
                "Create=*\n"
                "ReadWrite=*\n"
                "MaxSize=64K\n";
        static const char name[] = "shmbfake41004-notes";
        struct harness_daemon_options opts = {
                .env = sec_slownss_env(41004, "shmbfake41004"),
        };
        _cleanup_(freep) char *text = reg_policy_with_control(after);
        char path[PATH_MAX + 300];
        struct harness_daemon *d;
        size_t mark;

        d = sec_start(before, &opts);
        /* No %u: nobody's name is looked up, and nothing waits at the gate. */
        reg_create_text(d, &sec_id_outsider, name, 4096, "MINE");
        snprintf(path, sizeof(path), "%s", harness_shm_path(d, name));
        assert_int_equal(sec_open(d, &sec_id_creator, name, SHMB_ACCESS_RDWR, NULL), 0);

        /* The reload, with the name service hanging for 41004. */
        mark = harness_daemon_log_mark(d);
        sec_write_file(d->policy_path, text);
        assert_int_equal(kill(d->pid, SIGHUP), 0);
        wait_log(d, mark, "Policy reloaded");
        assert_int_equal(sec_open(d, &sec_id_creator, name, SHMB_ACCESS_RDWR, NULL), -ENOENT);
        assert_int_equal(reg_fs_open(path, &sec_id_creator, O_RDWR), -EACCES);
        sec_slownss_wait_held();
        sec_assert_serving(d);

        /* The name comes: decided with it, and the reload says it is through. */
        sec_slownss_open();
        wait_log(d, mark, "Reload: the files of");
        assert_int_equal(reg_check_text(d, &sec_id_outsider, name, SHMB_ACCESS_RDWR, "MINE"), 0);
        assert_int_equal(sec_open(d, &sec_id_creator, name, SHMB_ACCESS_RDWR, NULL), -ENOENT);
        assert_int_equal(reg_fs_open(path, &sec_id_creator, O_RDWR), -EACCES);
        assert_int_equal(reg_fs_open(path, &sec_id_outsider, O_RDWR), 0);
        reg_assert_owner(path, HARNESS_UID_4, 0);

        /* The name is on record: the next reload decides at once, refusing nothing. */
        mark = harness_daemon_log_mark(d);
        reg_reload(d, after);
        sec_expect_log(d, mark, "is refused until", NULL, 0, 0);
        assert_int_equal(reg_check_text(d, &sec_id_outsider, name, SHMB_ACCESS_RDWR, "MINE"), 0);
        assert_int_equal(sec_open(d, &sec_id_creator, name, SHMB_ACCESS_RDWR, NULL), -ENOENT);

        assert_int_equal(sec_unlink(d, &sec_id_outsider, name), 0);
        sec_finish();
}

/*
 * A uid's name, once the name service gave it, is kept for its next connections (a minute):
 * they are served at once even while the service hangs for that uid, and do not queue behind
 * lookups that hang for others. A reload forgets it: the next connection waits for a new
 * lookup. Before, every connection was looked up anew.
 */
static void test_known_names(void **state)
{
        static const char policy[] =
                "[Segment home]\n"
                "Names=%u-*\n"
                "Create=*\n"
                "ReadWrite=*\n"
                "MaxSize=64K\n";
        struct harness_daemon_options opts = {
                .env = sec_slownss_env(41004, "shmbfake41004"),
        };
        static uint8_t pkt[SHMB_PROTO_MSG_MAX];
        struct shmb_proto_reply reply;
        struct harness_daemon *d;
        struct pollfd pfd;
        int conns[3], i;
        size_t n;

        d = sec_start(policy, &opts);
        for (i = 0; i < 3; i++) {
                conns[i] = sec_raw_connect(d, &sec_id_outsider);
                n = sec_enc_name(pkt, SHMB_PROTO_STAT, (uint32_t) i, "shmbfake41004-x");
                assert_int_equal(sec_raw_send(conns[i], pkt, n, NULL, 0), 0);
                if (i != 1) {
                        /* Looked up: held at the gate, unanswered, until it opens. */
                        sec_slownss_wait_held();
                        pfd = (struct pollfd) { .fd = conns[i], .events = POLLIN };
                        assert_int_equal(poll(&pfd, 1, 0), 0);
                        sec_slownss_open();
                }
                /* ENOENT: its name matched the rule (without one, EACCES). */
                assert_int_equal(sec_raw_reply(conns[i], &reply, NULL), 0);
                assert_int_equal(reply.seq, (uint32_t) i);
                assert_int_equal(reply.type, SHMB_PROTO_REPLY_ERROR);
                assert_int_equal(reply.error, ENOENT);
                if (i != 1)
                        sec_slownss_close();
                /* After the second, a reload: it forgets the name. */
                if (i == 1)
                        reg_reload(d, policy);
        }
        for (i = 0; i < 3; i++)
                assert_int_equal(close(conns[i]), 0);
        sec_finish();
}

/*
 * The same for an app socket asked for under a policy without %u, whose name is looked up at
 * the request: known from the first request, the second is answered at once.
 */
static void test_known_names_app_socket(void **state)
{
        static const char policy[] =
                "[Segment s]\n"
                "Names=rn-*\n"
                "Create=*\n"
                "ReadWrite=*\n";
        static const char *const apps[] = { "org.example.One", "org.example.Two" };
        struct harness_daemon_options opts = {
                .env = sec_slownss_env(41004, "shmbfake41004"),
        };
        static uint8_t pkt[SHMB_PROTO_MSG_MAX];
        struct shmb_proto_reply reply;
        struct harness_daemon *d;
        int conns[2], i, n;

        d = sec_start(policy, &opts);
        for (i = 0; i < 2; i++) {
                conns[i] = sec_raw_connect(d, &sec_id_outsider);
                n = shmb_proto_encode_app_socket(pkt, sizeof(pkt), (uint32_t) i, apps[i]);
                assert_true(n > 0);
                assert_int_equal(sec_raw_send(conns[i], pkt, (size_t) n, NULL, 0), 0);
                if (i == 0) {
                        sec_slownss_wait_held();
                        sec_slownss_open();
                }
                assert_int_equal(sec_raw_reply(conns[i], &reply, NULL), 0);
                assert_int_equal(reply.seq, (uint32_t) i);
                assert_int_equal(reply.type, SHMB_PROTO_REPLY_APP_SOCKET);
                if (i == 0)
                        sec_slownss_close();
        }
        for (i = 0; i < 2; i++)
                assert_int_equal(close(conns[i]), 0);
        sec_finish();
}

/*
 * A WAIT made before a reload that brings %u, by a user whose name is being looked up when
 * the reload decides the waits again: it is decided once the name is known, by the new
 * policy, not refused meanwhile for want of a name. Found by a hostile review: the reload
 * answered it EACCES ("no rule") though the new policy lets that user read the name.
 */
static void test_reload_wait_waits_for_user_name(void **state)
{
        static const char before[] =
                "[Segment w]\n"
                "Names=shmbfake41004-*\n"
                "Create=41004\n"
                "ReadWrite=41004\n"
                "MaxSize=64K\n";
        static const char after[] =
                "[Segment home]\n"
                "Names=%u-*\n"
                "Create=*\n"
                "ReadWrite=*\n"
                "MaxSize=64K\n";
        struct harness_daemon_options opts = {
                .env = sec_slownss_env(41004, "shmbfake41004"),
        };
        static uint8_t pkt[SHMB_PROTO_MSG_MAX];
        struct shmb_proto_reply reply;
        struct harness_daemon *d;
        struct pollfd pfd;
        int waiter, n;

        d = sec_start(before, &opts);
        waiter = sec_raw_connect(d, &sec_id_outsider);
        n = shmb_proto_encode_wait(pkt, sizeof(pkt), 7, "shmbfake41004-x", 0, 0);
        assert_true(n > 0);
        assert_int_equal(sec_raw_send(waiter, pkt, (size_t) n, NULL, 0), 0);
        assert_int_equal(harness_daemon_wait_idle(d, HARNESS_TIMEOUT_MS), 0);

        /* The reload: 41004's name is looked up, and hangs at the gate. Served another
         * client after it, the daemon has decided the waits again. */
        reg_reload(d, after);
        sec_assert_serving(d);
        pfd = (struct pollfd) { .fd = waiter, .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 0), 0);

        /* Its name comes: the wait goes on, and is answered once the name is there. */
        sec_slownss_open();
        assert_int_equal(sec_create(d, &sec_id_outsider, "shmbfake41004-x", 4096,
                                    SHMB_ACCESS_NONE, NULL), 0);
        assert_int_equal(sec_raw_reply(waiter, &reply, NULL), 0);
        assert_int_equal(reply.seq, 7);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_OK);
        assert_int_equal(close(waiter), 0);
        assert_int_equal(sec_unlink(d, &sec_id_outsider, "shmbfake41004-x"), 0);
        sec_finish();
}

/*
 * The owner sets the sticky bit on its file (Linux lets it on a regular file): the reload sets
 * the mode back whole, and the next one finds nothing to undo. Old code: fchown() and the ACL
 * keep S_ISVTX, so the file never matched again and every reload "undid a change".
 */
static void test_reload_undoes_sticky_bit(void **state)
{
        static const char policy[] =
                "[Segment sb]\n"
                "Names=sb-*\n"
                "Create=41001\n"
                "ReadWrite=41001\n"
                "Owner=41001\n"
                "Mode=0600\n"
                "MaxSize=64K\n";
        struct harness_daemon *d = sec_start(policy, NULL);
        char path[PATH_MAX + 300];
        struct stat st;
        size_t mark;
        pid_t pid;
        int status;

        reg_create_text(d, &sec_id_creator, "sb-1", 4096, "S");
        snprintf(path, sizeof(path), "%s", harness_shm_path(d, "sb-1"));
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (setgroups(0, NULL) < 0 || setgid(HARNESS_GID_3) < 0 ||
                    setuid(HARNESS_UID_1) < 0)
                        _exit(2);
                _exit(chmod(path, 01666) < 0 ? 1 : 0);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 01666);

        mark = harness_daemon_log_mark(d);
        reg_reload(d, policy);
        sec_expect_log(d, mark, "Object 'sb-1': its owner, mode or ACL had been changed", NULL,
                       1, 1);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07000, 0);
        assert_int_equal(reg_fs_open(path, &sec_id_outsider, O_RDONLY), -EACCES);

        reload_leaves_alone(d, policy, "sb-1", "S");
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sb-1"), 0);
        sec_finish();
}

/*
 * A rule with more named ACL entries than fit a 2 KiB buffer: an untouched file is found as
 * the rule says. Old code: fgetxattr() failed with ERANGE, taken for "changed", and every
 * reload set the file again and logged a change nobody made.
 */
static void test_reload_large_acl_untouched(void **state)
{
        _cleanup_(freep) char *policy = NULL;
        char *p;
        size_t size = 64 * 1024;
        struct harness_daemon *d;
        unsigned i;
        int n;

        policy = malloc(size);
        assert_non_null(policy);
        n = snprintf(policy, size, "[Segment la]\nNames=la-*\nCreate=41001\nReadWrite=41001\n"
                     "Owner=41001\nMode=0600\nMaxSize=64K\nReadOnly=");
        p = policy + n;
        for (i = 0; i < 300; i++)
                p += snprintf(p, size - (size_t) (p - policy), "%u ", 43000 + i);
        snprintf(p, size - (size_t) (p - policy), "\n");

        d = sec_start(policy, NULL);
        reg_create_text(d, &sec_id_creator, "la-1", 4096, "L");
        assert_int_equal(reg_acl_perm(harness_shm_path(d, "la-1"), ACL_USER, 43299), 4);
        reload_leaves_alone(d, policy, "la-1", "L");
        assert_int_equal(sec_unlink(d, &sec_id_creator, "la-1"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 5b. A changed Owner=/Group=: objects re-owned, still served to their creator, still listed
 */

static const char policy_og_before[] =
        "[Segment og]\n"
        "Names=og-*\n"
        "Create=41001\n"
        "ReadWrite=41001\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=64K\n"
        "\n"
        "[Segment pu]\n"
        "Names=%U-og-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%U\n"
        "Group=42002\n"
        "Mode=0600\n"
        "MaxSize=64K\n";

static const char policy_og_after[] =
        "[Segment og]\n"
        "Names=og-*\n"
        "Create=41001\n"
        "ReadWrite=41001\n"
        "ReadOnly=41003\n"
        "Owner=41002\n"
        "Group=42001\n"
        "Mode=0600\n"
        "MaxSize=64K\n"
        "\n"
        "[Segment pu]\n"
        "Names=%U-og-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%U\n"
        "Group=42003\n"
        "Mode=0600\n"
        "MaxSize=64K\n";

/*
 * Old code: nothing re-applied owner and group, and the objects were stranded: the files kept
 * the old owner and group, no longer "plausible" for the rule, so even their creator got
 * EBADFD, and they vanished from list.
 */
static void test_reload_owner_group(void **state)
{
        struct harness_daemon *d = sec_start(policy_og_before, NULL);
        char og[PATH_MAX + 300], pu[PATH_MAX + 300];
        struct reg_names names;
        struct shmb_stat st;

        reg_create_text(d, &sec_id_creator, "og-1", 4096, "og");
        reg_create_text(d, &sec_id_creator, "41001-og-1", 4096, "pu");
        snprintf(og, sizeof(og), "%s", harness_shm_path(d, "og-1"));
        snprintf(pu, sizeof(pu), "%s", harness_shm_path(d, "41001-og-1"));
        reg_assert_owner(og, HARNESS_UID_1, HARNESS_GID_2);
        reg_assert_owner(pu, HARNESS_UID_1, HARNESS_GID_2);

        reg_reload(d, policy_og_after);

        /* Re-owned as the rule now says, mode and ACL with it. */
        reg_assert_owner(og, HARNESS_UID_2, HARNESS_GID_1);
        assert_int_equal(reg_acl_perm(og, ACL_USER_OBJ, 0), 6);
        assert_int_equal(reg_acl_perm(og, ACL_GROUP_OBJ, 0), 0);
        assert_int_equal(reg_acl_perm(og, ACL_OTHER, 0), 0);
        assert_int_equal(reg_acl_perm(og, ACL_USER, HARNESS_UID_1), 6);
        assert_int_equal(reg_acl_perm(og, ACL_USER, HARNESS_UID_3), 4);
        reg_assert_file(pu, HARNESS_UID_1, HARNESS_GID_3, 0600);

        /* Still served, listed and stat'ed. */
        assert_int_equal(reg_check_text(d, &sec_id_creator, "og-1", SHMB_ACCESS_RDWR, "og"), 0);
        assert_int_equal(reg_check_text(d, &sec_id_reader, "og-1", SHMB_ACCESS_RDONLY, "og"), 0);
        assert_int_equal(reg_check_text(d, &sec_id_creator, "41001-og-1", SHMB_ACCESS_RDWR,
                                        "pu"), 0);
        assert_int_equal(reg_stat(d, &sec_id_creator, "og-1", &st), 0);
        assert_int_equal(st.uid, HARNESS_UID_2);
        assert_int_equal(st.gid, HARNESS_GID_1);
        reg_list(d, &sec_id_creator, &names);
        assert_int_equal(names.n, 2);
        assert_true(reg_names_has(&names, "og-1"));
        assert_true(reg_names_has(&names, "41001-og-1"));
        reg_names_done(&names);
        reg_list(d, &sec_id_reader, &names);
        assert_int_equal(names.n, 1);
        assert_true(reg_names_has(&names, "og-1"));
        reg_names_done(&names);
        /* The per-user object is still its creator's alone (41004 has no rule for the name). */
        assert_int_equal(sec_open(d, &sec_id_outsider, "41001-og-1", SHMB_ACCESS_RDWR, NULL),
                         -EACCES);
        /* And the file system agrees with the new owner. */
        assert_int_equal(reg_fs_open(og, &sec_id_writer, O_RDWR), 0);
        assert_int_equal(reg_fs_open(og, &sec_id_reader, O_RDWR), -EACCES);

        assert_int_equal(sec_unlink(d, &sec_id_creator, "og-1"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "41001-og-1"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 5b'. A reload that takes write away from a creator the rule makes owner or group
 */

/* 41002 writes team-* before, and reads it after or not at all; 41001 writes it throughout,
 * 41003 reads. */
static const char policy_demote_before[] =
        "[Segment team]\n"
        "Names=team-*\n"
        "Create=41001 41002\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003\n"
        "%s\n"
        "MaxSize=64K\n";
static const char policy_demote_after[] =
        "[Segment team]\n"
        "Names=team-*\n"
        "Create=41001\n"
        "ReadWrite=41001\n"
        "ReadOnly=%s\n"
        "%s\n"
        "MaxSize=64K\n";

/* 41002 in a group of its own uid's number, as Group=%U names it. */
static const struct harness_id id_writer_own_group = { .uid = HARNESS_UID_2, .gid = HARNESS_GID_3,
                                                       .n_groups = 1,
                                                       .groups = { HARNESS_UID_2 } };

/*
 * Old code: the new rule's owner (or group) was applied for the creator without asking
 * whether it still writes: 41002, moved to ReadOnly=, kept owning team-b (user::rw-) or
 * its group (group::rw-) and opened it O_RDWR in the object directory, writing what the
 * broker's writers and readers are served; the broker itself refused it write. Now the
 * daemon keeps the owner (and group) while the creator may not write, a creator that may
 * read reads through a named entry, and a reload that gives it write back gives the file
 * back too. @group: Group= is the creator's, and the reload takes 41002 out of every list
 * (as ReadOnly=, a named entry would hide what the group gives it).
 */
static void reload_demotes_creator(const char *attrs, bool group)
{
        _cleanup_(freep) char *before = NULL, *after = NULL;
        const struct harness_id *ex_writer = group ? &id_writer_own_group : &sec_id_writer;
        char path[PATH_MAX + 300];
        struct harness_daemon *d;

        assert_true(asprintf(&before, policy_demote_before, attrs) > 0);
        assert_true(asprintf(&after, policy_demote_after, group ? "41003" : "41002 41003",
                             attrs) > 0);
        d = sec_start(before, NULL);
        reg_create_text(d, ex_writer, "team-b", 4096, "v1");
        snprintf(path, sizeof(path), "%s", harness_shm_path(d, "team-b"));
        assert_int_equal(reg_fs_open(path, ex_writer, O_RDWR), 0);

        reg_reload(d, after);

        /* The broker and the file system agree: 41002 no longer writes; it reads, or (the
         * group case) it does not. */
        assert_int_equal(sec_open(d, ex_writer, "team-b", SHMB_ACCESS_RDWR, NULL), -EACCES);
        assert_int_equal(reg_fs_open(path, ex_writer, O_RDWR), -EACCES);
        if (group) {
                assert_int_equal(sec_open(d, ex_writer, "team-b", SHMB_ACCESS_RDONLY, NULL),
                                 -EACCES);
                assert_int_equal(reg_fs_open(path, ex_writer, O_RDONLY), -EACCES);
                assert_int_equal(reg_acl_perm(path, ACL_USER, HARNESS_UID_2), -1);
                reg_assert_owner(path, HARNESS_UID_1, 0);
        } else {
                assert_int_equal(reg_check_text(d, ex_writer, "team-b", SHMB_ACCESS_RDONLY,
                                                "v1"), 0);
                assert_int_equal(reg_fs_open(path, ex_writer, O_RDONLY), 0);
                assert_int_equal(reg_acl_perm(path, ACL_USER, HARNESS_UID_2), 4);
                reg_assert_owner(path, 0, 0);
        }
        /* The others are served as the rule says. */
        assert_int_equal(reg_check_text(d, &sec_id_creator, "team-b", SHMB_ACCESS_RDWR, "v1"),
                         0);
        assert_int_equal(reg_check_text(d, &sec_id_reader, "team-b", SHMB_ACCESS_RDONLY, "v1"),
                         0);
        assert_int_equal(reg_fs_open(path, &sec_id_reader, O_RDWR), -EACCES);
        /* The pass over the files after a reload finds the file as the daemon set it. */
        reload_leaves_alone(d, after, "team-b", "v1");
        assert_int_equal(reg_fs_open(path, ex_writer, O_RDWR), -EACCES);

        /* Write back: the file is the creator's (or its group's) again. */
        reg_reload(d, before);
        assert_int_equal(reg_check_text(d, ex_writer, "team-b", SHMB_ACCESS_RDWR, "v1"), 0);
        assert_int_equal(reg_fs_open(path, ex_writer, O_RDWR), 0);
        if (group)
                reg_assert_owner(path, HARNESS_UID_1, HARNESS_UID_2);
        else
                reg_assert_owner(path, HARNESS_UID_2, 0);

        assert_int_equal(sec_unlink(d, &sec_id_creator, "team-b"), 0);
        sec_finish();
}

static void test_reload_demotes_owner(void **state)
{
        reload_demotes_creator("Owner=%U\nMode=0640", false);
}

static void test_reload_demotes_group(void **state)
{
        reload_demotes_creator("Owner=41001\nGroup=%U\nMode=0660", true);
}

/*
 * A publish after a demoting reload builds the file's attributes as the reload did
 * (object_attrs_decide()): the creator stays demoted, and gets no read the rule does not give
 * it. Found by a review: publish_shm() skipped the demotion, so Owner=%U made the creator the
 * owner again and object_attrs_published() gave it a named r-- entry (Group=%U: the group
 * read bits); 41002, in no list of the new rule, read the file until the next reload.
 */
static void reload_demote_then_publish(const char *attrs, const struct harness_id *ex)
{
        _cleanup_(freep) char *before = NULL, *after = NULL;
        char path[PATH_MAX + 300];
        struct harness_daemon *d;
        struct shmb_client *w;

        assert_true(asprintf(&before, policy_demote_before, attrs) > 0);
        assert_true(asprintf(&after, policy_demote_after, "41003", attrs) > 0);
        d = sec_start(before, NULL);
        reg_create_text(d, ex, "team-p", 4096, "secret");
        snprintf(path, sizeof(path), "%s", harness_shm_path(d, "team-p"));

        reg_reload(d, after);
        /* Demoted: 41002 may do nothing, through the broker or the file system. */
        assert_int_equal(sec_open(d, ex, "team-p", SHMB_ACCESS_RDONLY, NULL), -EACCES);
        assert_int_equal(reg_fs_open(path, ex, O_RDONLY), -EACCES);

        /* A writer the rule lets publish publishes it. */
        w = sec_client(d, &sec_id_creator);
        assert_int_equal(shmb_publish(w, "team-p", SHMB_PUBLISH_SEAL), 0);
        shmb_client_free(w);

        /* The broker still refuses 41002 ... */
        assert_int_equal(sec_open(d, ex, "team-p", SHMB_ACCESS_RDONLY, NULL), -EACCES);
        /* ... and the file system must too. */
        assert_int_equal(reg_fs_open(path, ex, O_RDONLY), -EACCES);

        assert_int_equal(sec_unlink(d, &sec_id_creator, "team-p"), 0);
        sec_finish();
}

static void test_reload_demoted_then_published_owner(void **state)
{
        reload_demote_then_publish("Owner=%U\nMode=0640\nPublish=writers", &sec_id_writer);
}

static void test_reload_demoted_then_published_group(void **state)
{
        reload_demote_then_publish("Owner=41001\nGroup=%U\nMode=0640\nPublish=writers",
                                   &id_writer_own_group);
}

/*
 * An orphan is still measured: a writer that kept its fd from before the reload grows it, and
 * the creator is charged within a few of the sweep's ticks. Found by a review: the sweep
 * skipped orphans, so growth while an object was an orphan (or waited for its creator's name,
 * which may be forever) was charged to nobody.
 */
static void test_reload_orphan_still_measured(void **state)
{
        static const char before[] =
                "[Segment rn]\n"
                "Names=rn-*\n"
                "Create=41001\n"
                "ReadWrite=41001\n"
                "MaxSize=64K\n";
        static const char after[] =
                "[Segment other]\n"
                "Names=zz-*\n"
                "Create=41001\n";
        struct harness_daemon *d = sec_start(before, NULL);
        uint64_t deadline, objects, bytes;
        int fd;

        assert_int_equal(sec_create(d, &sec_id_creator, "rn-o", 4096, SHMB_ACCESS_RDWR, &fd),
                         0);
        reg_reload(d, after);
        /* No rule for the name any more: an orphan, refused. */
        assert_int_equal(sec_open(d, &sec_id_creator, "rn-o", SHMB_ACCESS_RDONLY, NULL),
                         -EACCES);
        assert_int_equal(ftruncate(fd, 8 << 20), 0);
        assert_int_equal(close(fd), 0);
        deadline = tl_now_ms() + 5000;
        for (;;) {
                sec_usage(d, sec_id_creator.uid, &objects, &bytes);
                if (bytes >= 8 << 20 || tl_now_ms() >= deadline)
                        break;
                tl_sleep_ms(50); /* polling the sweep's ticks */
        }
        if (bytes != 8 << 20)
                fail_msg("the orphan grown to 8 MiB is charged %llu bytes",
                         (unsigned long long) bytes);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "rn-o"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 5c, 5d. Backend switches make orphans
 */

static const char policy_sw_shm[] =
        "[Quota]\n"
        "MaxObjectsPerUser=2\n"
        "\n"
        "[Segment sw]\n"
        "Names=sw-*\n"
        "Create=41001 41002\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=64K\n"
        "Backend=shm\n";

static const char policy_sw_memfd[] =
        "[Quota]\n"
        "MaxObjectsPerUser=2\n"
        "\n"
        "[Segment sw]\n"
        "Names=sw-*\n"
        "Create=41001 41002\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=64K\n"
        "Backend=memfd\n";

/* Every verb of every user on an orphan gets the answer for a name without an object. */
static void assert_orphan_refused(const struct harness_daemon *d, const char *name)
{
        const struct harness_id *const users[] = { &sec_id_creator, &sec_id_writer };
        struct reg_names names;
        size_t i;

        for (i = 0; i < ELEMENTSOF(users); i++) {
                assert_int_equal(sec_open(d, users[i], name, SHMB_ACCESS_RDWR, NULL), -ENOENT);
                assert_int_equal(sec_open(d, users[i], name, SHMB_ACCESS_RDONLY, NULL),
                                 -ENOENT);
                assert_int_equal(reg_stat(d, users[i], name, NULL), -ENOENT);
                reg_list(d, users[i], &names);
                assert_false(reg_names_has(&names, name));
                reg_names_done(&names);
                /* One name, one object. */
                assert_int_equal(sec_create(d, users[i], name, 4096, SHMB_ACCESS_NONE, NULL),
                                 -EEXIST);
        }
        assert_int_equal(sec_open(d, &sec_id_reader, name, SHMB_ACCESS_RDONLY, NULL), -ENOENT);
        assert_int_equal(reg_stat(d, &sec_id_reader, name, NULL), -ENOENT);
}

/*
 * Old code: after shm -> memfd, sw-1 was still a file nobody could reach through the broker,
 * owned and readable as before, and "create sw-1" made a second object of the same name (a
 * memfd); its charge was kept or dropped with no way to remove it.
 */
static void test_reload_shm_to_memfd(void **state)
{
        struct harness_daemon *d = sec_start(policy_sw_shm, NULL);
        char path[PATH_MAX + 300], path_r[PATH_MAX + 300];
        struct stat before, st;
        size_t mark;

        reg_create_text(d, &sec_id_creator, "sw-1", 4096, "one");
        reg_create_text(d, &sec_id_writer, "sw-r", 4096, "root's to remove");
        snprintf(path, sizeof(path), "%s", harness_shm_path(d, "sw-1"));
        snprintf(path_r, sizeof(path_r), "%s", harness_shm_path(d, "sw-r"));
        assert_int_equal(lstat(path, &before), 0);

        mark = harness_daemon_log_mark(d);
        reg_reload(d, policy_sw_memfd);

        assert_orphan_refused(d, "sw-1");
        assert_orphan_refused(d, "sw-r");
        sec_expect_log(d, mark, "'sw-1' is an orphan", NULL, 1, 1);
        sec_expect_log(d, mark, "'sw-r' is an orphan", NULL, 1, 1);
        /* On disk: the same inode, nothing deleted, closed to everyone but root. */
        assert_int_equal(lstat(path, &st), 0);
        assert_int_equal(st.st_ino, before.st_ino);
        reg_assert_file(path, geteuid(), getegid(), 0);
        assert_int_equal(reg_acl_named(path), 0);
        assert_int_equal(reg_fs_open(path, &sec_id_creator, O_RDONLY), -EACCES);
        assert_int_equal(reg_fs_open(path, &sec_id_reader, O_RDONLY), -EACCES);
        reg_assert_file(path_r, geteuid(), getegid(), 0);

        /* Still charged: one more memfd object for 41001, then its quota. */
        assert_int_equal(sec_create(d, &sec_id_creator, "sw-2", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        assert_int_equal(sec_create(d, &sec_id_creator, "sw-3", 4096, SHMB_ACCESS_NONE, NULL),
                         -EDQUOT);
        /* Someone else may not remove it; its creator may, and that frees the charge. */
        assert_int_equal(sec_unlink(d, &sec_id_writer, "sw-1"), -ENOENT);
        assert_int_equal(lstat(path, &st), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sw-1"), 0);
        assert_int_equal(lstat(path, &st), -1);
        assert_int_equal(sec_create(d, &sec_id_creator, "sw-3", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        /* Root may remove any orphan, though the rule gives it nothing. */
        assert_int_equal(sec_unlink(d, &sec_id_root, "sw-r"), 0);
        assert_int_equal(lstat(path_r, &st), -1);
        /* And the names are free again, under the new backend. */
        assert_int_equal(sec_create(d, &sec_id_writer, "sw-r", 4096, SHMB_ACCESS_NONE, NULL),
                         0);

        assert_int_equal(sec_unlink(d, &sec_id_writer, "sw-r"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sw-2"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sw-3"), 0);
        sec_finish();
}

/*
 * Old code: after memfd -> shm, the memfd object was unreachable (opens looked in the
 * directory), still charged, not removable, and "create sw-1" made a file of the same name.
 */
static void test_reload_memfd_to_shm(void **state)
{
        struct harness_daemon *d = sec_start(policy_sw_memfd, NULL);
        struct stat st;
        size_t mark;

        reg_create_text(d, &sec_id_creator, "sw-1", 4096, "one");
        reg_create_text(d, &sec_id_writer, "sw-r", 4096, "root's to remove");

        mark = harness_daemon_log_mark(d);
        reg_reload(d, policy_sw_shm);

        assert_orphan_refused(d, "sw-1");
        assert_orphan_refused(d, "sw-r");
        sec_expect_log(d, mark, "'sw-1' is an orphan", NULL, 1, 1);
        /* Nothing of it in the object directory. */
        assert_int_equal(lstat(harness_shm_path(d, "sw-1"), &st), -1);
        assert_int_equal(lstat(harness_shm_path(d, "sw-r"), &st), -1);

        /* Still charged, until its creator removes it. */
        assert_int_equal(sec_create(d, &sec_id_creator, "sw-2", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        assert_int_equal(sec_create(d, &sec_id_creator, "sw-3", 4096, SHMB_ACCESS_NONE, NULL),
                         -EDQUOT);
        assert_int_equal(sec_unlink(d, &sec_id_writer, "sw-1"), -ENOENT);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sw-1"), 0);
        assert_int_equal(sec_create(d, &sec_id_creator, "sw-3", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        assert_int_equal(sec_unlink(d, &sec_id_root, "sw-r"), 0);
        /* The name is free: a file now. */
        assert_int_equal(sec_create(d, &sec_id_creator, "sw-1", 4096, SHMB_ACCESS_NONE, NULL),
                         -EDQUOT);
        assert_int_equal(sec_create(d, &sec_id_writer, "sw-1", 4096, SHMB_ACCESS_NONE, NULL), 0);
        assert_int_equal(lstat(harness_shm_path(d, "sw-1"), &st), 0);

        assert_int_equal(sec_unlink(d, &sec_id_writer, "sw-1"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sw-2"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sw-3"), 0);
        sec_finish();
}

/*
 * An orphan comes back when a later policy governs it again with its backend: served to its
 * creator with its bytes, and its attributes set again.
 * Old code: the file kept its attributes and was served again (nothing had changed on disk);
 * this pins the registry's "restored" path, which must re-apply the mode 0000 it set.
 */
static void test_reload_orphan_restored(void **state)
{
        struct harness_daemon *d = sec_start(policy_sw_shm, NULL);
        char path[PATH_MAX + 300];

        reg_create_text(d, &sec_id_creator, "sw-1", 4096, "one");
        snprintf(path, sizeof(path), "%s", harness_shm_path(d, "sw-1"));
        reg_reload(d, policy_sw_memfd);
        assert_int_equal(sec_open(d, &sec_id_creator, "sw-1", SHMB_ACCESS_RDWR, NULL), -ENOENT);
        reg_reload(d, policy_sw_shm);
        assert_int_equal(reg_check_text(d, &sec_id_creator, "sw-1", SHMB_ACCESS_RDWR, "one"), 0);
        assert_int_equal(reg_check_text(d, &sec_id_reader, "sw-1", SHMB_ACCESS_RDONLY, "one"),
                         0);
        reg_assert_owner(path, HARNESS_UID_1, HARNESS_GID_2);
        assert_int_equal(reg_acl_perm(path, ACL_USER, HARNESS_UID_3), 4);
        assert_int_equal(reg_fs_open(path, &sec_id_reader, O_RDONLY), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sw-1"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 10. A reload between create and open
 */

static const char policy_shift_before[] =
        "[Segment pu]\n"
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
        "ReadWrite=41001 41002\n"
        "Owner=41001\n"
        "Mode=0600\n"
        "MaxSize=64K\n";

/* A rule in front (every index moves), the per-user rule renamed. */
static const char policy_shift_after[] =
        "[Segment first]\n"
        "Names=other-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Mode=0600\n"
        "MaxSize=64K\n"
        "\n"
        "[Segment pu-renamed]\n"
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
        "ReadWrite=41001 41002\n"
        "Owner=41001\n"
        "Mode=0600\n"
        "MaxSize=64K\n";

/*
 * Old code: passed (it decided from the file, which a reload did not touch). Pins that the
 * registry rebinds each object to the rule that now governs it although every rule index moved
 * and the per-user rule has another ID: no orphan, same inode, still its creator's alone.
 */
static void test_reload_between_create_and_open(void **state)
{
        struct harness_daemon *d = sec_start(policy_shift_before, NULL);
        struct stat before, after;
        struct reg_names names;
        size_t mark;

        reg_create_text(d, &sec_id_creator, "41001-a", 4096, "mine");
        reg_create_text(d, &sec_id_outsider, "41004-a", 4096, "his");
        reg_create_text(d, &sec_id_creator, "team-a", 4096, "team");
        assert_int_equal(lstat(harness_shm_path(d, "41001-a"), &before), 0);

        mark = harness_daemon_log_mark(d);
        reg_reload(d, policy_shift_after);
        sec_expect_log(d, mark, "is an orphan now", NULL, 0, 0);

        assert_int_equal(reg_check_text(d, &sec_id_creator, "41001-a", SHMB_ACCESS_RDWR, "mine"),
                         0);
        assert_int_equal(reg_check_text(d, &sec_id_outsider, "41004-a", SHMB_ACCESS_RDWR, "his"),
                         0);
        assert_int_equal(reg_check_text(d, &sec_id_writer, "team-a", SHMB_ACCESS_RDWR, "team"),
                         0);
        assert_int_equal(sec_open(d, &sec_id_outsider, "41001-a", SHMB_ACCESS_RDONLY, NULL),
                         -EACCES);
        assert_int_equal(lstat(harness_shm_path(d, "41001-a"), &after), 0);
        assert_int_equal(after.st_ino, before.st_ino);
        reg_list(d, &sec_id_creator, &names);
        assert_int_equal(names.n, 2);
        assert_true(reg_names_has(&names, "41001-a"));
        assert_true(reg_names_has(&names, "team-a"));
        reg_names_done(&names);
        reg_list(d, &sec_id_outsider, &names);
        assert_int_equal(names.n, 1);
        assert_true(reg_names_has(&names, "41004-a"));
        reg_names_done(&names);
        /* The new rule in front works too. */
        assert_int_equal(sec_create(d, &sec_id_writer, "other-x", 4096, SHMB_ACCESS_NONE, NULL),
                         0);

        assert_int_equal(sec_unlink(d, &sec_id_writer, "other-x"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "41001-a"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_outsider, "41004-a"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "team-a"), 0);
        sec_finish();
}

/*
 * A reload forgets the answers kept for uids' next connections, and a lookup running at the
 * reload too: its answer, made by the name service before the administrator's change, still
 * answers the connection that waited for it, but is kept for nobody. Here the group named after
 * 41004 is removed and the daemon reloaded while 41004's lookup is held (answered, not yet
 * returned): a connection made after the reload is refused under Group=%u. Found by a review:
 * the old answer was kept, and the connection created with the removed group's gid.
 */
static void test_reload_forgets_lookup_in_flight(void **state)
{
        static const char policy[] =
                "[Segment home]\n"
                "Names=%u-*\n"
                "Create=*\n"
                "ReadWrite=*\n"
                "Group=%u\n"
                "Mode=0600\n"
                "MaxSize=64K\n";
        const char *shim = getenv("SHMB_SLOWNSS");
        char gone[] = "/tmp/shmb-gone.XXXXXX", gate[] = "/tmp/shmb-gate.XXXXXX";
        char held[64], gone_env[64], gate_env[80], preload_env[2 * PATH_MAX + 16];
        char preload[2 * PATH_MAX + 2];
        const char *env[] = { "SHMB_FAKENSS_UID=41004", "SHMB_FAKENSS_GID=42002",
                              "SHMB_FAKENSS_NAME=shmbfake41004", gone_env, gate_env,
                              preload_env, NULL };
        struct harness_daemon_options opts = { .env = env };
        static uint8_t pkt[SHMB_PROTO_MSG_MAX];
        struct shmb_proto_reply reply;
        struct harness_daemon *d;
        unsigned ms;
        size_t n;
        int c1;

        if (!shim || access(shim, R_OK) < 0)
                fail_msg("SHMB_SLOWNSS ('%s') is not the name service shim; run the suite "
                         "with make check", shim ? shim : "");
        sec_absent_path(gone);
        sec_absent_path(gate);
        sec_remove_later(gone);
        sec_remove_later(gate);
        snprintf(held, sizeof(held), "%s.waiting", gate);
        sec_remove_later(held);
        snprintf(gone_env, sizeof(gone_env), "SHMB_FAKENSS_GONE=%s", gone);
        snprintf(gate_env, sizeof(gate_env), "SHMB_SLOWNSS_GROUP_GATE=%s", gate);
        snprintf(preload_env, sizeof(preload_env), "LD_PRELOAD=%s",
                 tl_preload_value(shim, preload, sizeof(preload)));
        d = sec_start(policy, &opts);

        /* 41004 connects: its lookup has the group's answer (there), and is held. */
        c1 = sec_raw_connect(d, &sec_id_outsider);
        for (ms = 0; access(held, F_OK) < 0; ms++) {
                if (ms == HARNESS_TIMEOUT_MS)
                        fail_msg("no group lookup came to the gate");
                (void) poll(NULL, 0, 1);
        }
        /* The administrator removes the group and reloads, as the manual says to. */
        sec_create_path(gone);
        reg_reload(d, policy);
        /* The lookup returns after the reload. */
        sec_create_path(gate);
        n = sec_enc_name(pkt, SHMB_PROTO_STAT, 1, "shmbfake41004-x");
        assert_int_equal(sec_raw_send(c1, pkt, n, NULL, 0), 0);
        assert_int_equal(sec_raw_reply(c1, &reply, NULL), 0);
        assert_int_equal(close(c1), 0);

        /* A connection made after the reload: the group is gone, so Group=%u refuses. */
        assert_int_equal(sec_create(d, &sec_id_outsider, "shmbfake41004-x", 4096,
                                    SHMB_ACCESS_RDWR, NULL), -EACCES);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * A creator's name answered after a reload onto %u: crashes and stops meanwhile
 */

/*
 * A create by a connection whose name lookup failed (the name service erred, not "no such
 * user"), under a policy with %u: refused with EAGAIN, nothing made. Found by a review: the
 * name was taken as none, the %u rule matched nothing, and the wider rule after it took
 * "shmbfake41004-x", shared, where its creator meant it private.
 */
static void test_create_name_service_failed(void **state)
{
        static const char policy[] =
                "[Segment home]\n"
                "Names=%u-*\n"
                "Create=*\n"
                "ReadWrite=*\n"
                "Owner=%u\n"
                "Mode=0600\n"
                "MaxSize=64K\n"
                "\n"
                "[Segment scratch]\n"
                "Names=*\n"
                "Create=*\n"
                "ReadWrite=*\n"
                "MaxSize=64K\n";
        const char *const *slow = sec_slownss_env(41009, "shmbfake41004");
        const char *env[12];
        struct harness_daemon_options opts = { .env = env };
        struct harness_daemon *d;
        size_t n;

        for (n = 0; slow[n] && n < ELEMENTSOF(env) - 2; n++)
                env[n] = strncmp(slow[n], "SHMB_FAKENSS_UID=", 17) == 0 ?
                         "SHMB_FAKENSS_UID=41004" : slow[n];
        env[n++] = "SHMB_SLOWNSS_FAIL_UID=41004";
        env[n] = NULL;
        d = sec_start(policy, &opts);
        assert_int_equal(sec_create(d, &sec_id_outsider, "shmbfake41004-x", 4096,
                                    SHMB_ACCESS_RDWR, NULL), -EAGAIN);
        sec_assert_no_objects(d);
        sec_finish();
}

/* Before: a shared rule; after: a per-user rule first (a reload onto %u). */
static const char creator_before[] =
        "[Segment pub]\n"
        "Names=pub-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Mode=0666\n"
        "MaxSize=64K\n";
static const char creator_after[] =
        "[Segment private]\n"
        "Names=%u-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%u\n"
        "Mode=0600\n"
        "MaxSize=64K\n"
        "\n"
        "[Segment pub]\n"
        "Names=pub-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Mode=0666\n"
        "MaxSize=64K\n";

/*
 * A creator's name comes after a reload onto %u made its object an orphan: reconcile_object()
 * records the object as "not known" (with the name) before it sets the file, so a daemon
 * killed at either journal write after the answer (that mark, or the decision's record, after
 * the file was set) leaves a journal that a start does not trust, and the start sets the file
 * again as its policy says. Found by a review: the record came after the file with nothing
 * before it; killed between, the journal said "orphan", the start skipped the file, and it
 * stayed open to everyone read-write though the restart's policy gave pub-* to 41001 alone.
 */
static void creator_answer_killed(const char *nth)
{
        static const char strict[] =
                "[Segment private]\n"
                "Names=%u-*\n"
                "Create=*\n"
                "ReadWrite=*\n"
                "Owner=%u\n"
                "Mode=0600\n"
                "MaxSize=64K\n"
                "\n"
                "[Segment pub]\n"
                "Names=pub-*\n"
                "Create=41001\n"
                "ReadWrite=41001\n"
                "Mode=0600\n"
                "MaxSize=64K\n";
        const char *shim = getenv("SHMB_CRASHAT");
        static char arm[] = "/tmp/shmb-arm.XXXXXX";
        static char arm_env[64], nth_env[32], preload_env[3 * PATH_MAX];
        const char *env[16];
        const char *const *slow;
        struct harness_daemon_options opts = {};
        _cleanup_(freep) char *text = reg_policy_with_control(creator_after);
        char path[PATH_MAX + 300];
        struct harness_daemon *d;
        struct stat st;
        size_t mark, n = 0, i;

        if (!shim || access(shim, R_OK) < 0)
                fail_msg("SHMB_CRASHAT is not the crash shim; run with make check");
        strcpy(arm, "/tmp/shmb-arm.XXXXXX");
        sec_absent_path(arm);
        snprintf(arm_env, sizeof(arm_env), "SHMB_CRASHAT_ARM=%s", arm);
        slow = sec_slownss_env(41004, "shmbfake41004");
        for (i = 0; slow[i]; i++) {
                if (strncmp(slow[i], "LD_PRELOAD=", 11) == 0) {
                        snprintf(preload_env, sizeof(preload_env), "%s %s", slow[i], shim);
                        env[n++] = preload_env;
                } else
                        env[n++] = slow[i];
        }
        env[n++] = arm_env;
        env[n++] = "SHMB_CRASHAT_CALL=write";
        env[n++] = "SHMB_CRASHAT_PATH=/registry";
        snprintf(nth_env, sizeof(nth_env), "SHMB_CRASHAT_NTH=%s", nth);
        env[n++] = nth_env;
        env[n] = NULL;
        opts.env = env;

        d = sec_start(creator_before, &opts);
        reg_create_text(d, &sec_id_outsider, "pub-x", 4096, "DATA");
        snprintf(path, sizeof(path), "%s", harness_shm_path(d, "pub-x"));
        assert_int_equal(reg_fs_open(path, &sec_id_reader, O_RDWR), 0);

        /* The reload onto %u while 41004's name hangs: an orphan, closed on disk. */
        mark = harness_daemon_log_mark(d);
        sec_write_file(d->policy_path, text);
        assert_int_equal(kill(d->pid, SIGHUP), 0);
        wait_log(d, mark, "Policy reloaded");
        sec_slownss_wait_held();
        assert_int_equal(reg_fs_open(path, &sec_id_reader, O_RDWR), -EACCES);

        /* The name comes; killed at the first or the second journal write after it. */
        sec_create_path(arm);
        sec_slownss_open();
        assert_int_equal(harness_daemon_wait_exit(d, HARNESS_TIMEOUT_MS), 0);
        assert_int_equal(unlink(arm), 0);
        /* At the second, the file was set before the decision's record was written. */
        if (strcmp(nth, "2") == 0) {
                assert_int_equal(stat(path, &st), 0);
                assert_int_equal(st.st_mode & 07777, 0666);
        }

        /* A restart on a policy that gives pub-* to 41001 alone, 41004's name hanging. At the
         * second write the name is on record (with the "not known" mark): the start decides
         * the object by it, and sets the file again. At the first, nothing after the answer
         * landed: the object still awaits its creator's name, its file closed. Either way
         * the file is not open to 41003. */
        d = reg_restart_killed_env(strict, sec_slownss_env(41004, "shmbfake41004"));
        assert_int_equal(reg_fs_open(path, &sec_id_reader, O_RDWR), -EACCES);
        assert_true(sec_open(d, &sec_id_reader, "pub-x", SHMB_ACCESS_RDWR, NULL) < 0);
        /* Once the name is known, 41001 is served as the policy says. */
        sec_slownss_open();
        {
                uint64_t deadline = tl_now_ms() + HARNESS_TIMEOUT_MS;
                int r;

                while ((r = reg_check_text(d, &sec_id_creator, "pub-x", SHMB_ACCESS_RDWR,
                                           "DATA")) == -ENOENT && tl_now_ms() < deadline)
                        tl_sleep_ms(20); /* polling the lookup's answer */
                assert_int_equal(r, 0);
        }
        assert_int_equal(reg_fs_open(path, &sec_id_reader, O_RDWR), -EACCES);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "pub-x"), 0);
        sec_finish();
}

static void test_reload_creator_answer_killed_first(void **state)
{
        creator_answer_killed("1");
}

static void test_reload_creator_answer_killed_second(void **state)
{
        creator_answer_killed("2");
}

/* SIGTERM while a creator's name lookup hangs (creators_cancel_all(), worker_abandon()), then
 * a start: the exit is prompt and the object is decided by the next daemon. */
static void test_reload_sigterm_during_creator_lookup(void **state)
{
        struct harness_daemon_options opts = {
                .env = sec_slownss_env(41004, "shmbfake41004"),
        };
        _cleanup_(freep) char *text = reg_policy_with_control(creator_after);
        struct harness_daemon *d;
        size_t mark;

        d = sec_start(creator_before, &opts);
        reg_create_text(d, &sec_id_outsider, "pub-y", 4096, "DATA");
        mark = harness_daemon_log_mark(d);
        sec_write_file(d->policy_path, text);
        assert_int_equal(kill(d->pid, SIGHUP), 0);
        wait_log(d, mark, "Policy reloaded");
        sec_slownss_wait_held();
        d = reg_restart(creator_after);
        assert_int_equal(reg_check_text(d, &sec_id_reader, "pub-y", SHMB_ACCESS_RDWR, "DATA"),
                         0);
        sec_slownss_open();
        assert_int_equal(sec_unlink(d, &sec_id_outsider, "pub-y"), 0);
        sec_finish();
}

const struct CMUnitTest reg_tests_reload[] = {
        SEC_TEST(test_reload_removed_reader),
        SEC_TEST(test_reload_undoes_file_changes),
        SEC_TEST(test_reload_group_gone),
        SEC_TEST(test_reload_brings_user_names),
        SEC_TEST(test_reload_brings_u_for_old_objects),
        SEC_TEST(test_reload_wait_waits_for_user_name),
        SEC_TEST(test_known_names),
        SEC_TEST(test_known_names_app_socket),
        SEC_TEST(test_reload_forgets_lookup_in_flight),
        SEC_TEST(test_reload_undoes_sticky_bit),
        SEC_TEST(test_reload_large_acl_untouched),
        SEC_TEST(test_reload_owner_group),
        SEC_TEST(test_reload_demotes_owner),
        SEC_TEST(test_reload_demotes_group),
        SEC_TEST(test_reload_demoted_then_published_owner),
        SEC_TEST(test_reload_demoted_then_published_group),
        SEC_TEST(test_reload_orphan_still_measured),
        SEC_TEST(test_reload_shm_to_memfd),
        SEC_TEST(test_reload_memfd_to_shm),
        SEC_TEST(test_reload_orphan_restored),
        SEC_TEST(test_reload_between_create_and_open),
        SEC_TEST(test_create_name_service_failed),
        SEC_TEST(test_reload_sigterm_during_creator_lookup),
        SEC_TEST(test_reload_creator_answer_killed_first),
        SEC_TEST(test_reload_creator_answer_killed_second),
};
const size_t reg_n_tests_reload = ELEMENTSOF(reg_tests_reload);
