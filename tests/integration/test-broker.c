/* SPDX-License-Identifier: MIT */
/*
 * test-broker.c - integration tests: a real shmbrokerd, real clients of several uids.
 *
 * Each group starts a fresh daemon (tests/helpers/harness.c) on its own socket, policy and
 * object directory under /dev/shm, and asserts what users would see: who may create, read,
 * write and unlink, the owner, mode and ACL of the objects, read-only fds that stay read-only
 * (shm and memfd backends), name checks in the library and in the daemon (raw packets),
 * objects planted in the object directory, umask independence, stat and list, shmbrokerctl,
 * and the embedded default policy. After every test a control client of another uid must
 * still be served and the daemon's fd count must be back at its value right after start;
 * every daemon must exit 0 on SIGTERM.
 *
 * Client code runs in forked children that switch uid (harness_run_as()), so the suite needs
 * root; without root it is skipped. Not here: protocol fuzzing, resource limits, restarts.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/magic.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <acl/libacl.h>
#include <sys/acl.h>

#include <cmocka.h>

#include "harness.h"
#include "macro.h"
#include "protocol.h"
#include "shmbroker.h"

/* ------------------------------------------------------------------------------------------
 * Identities and policies
 */

/*
 * The object group 42002 is nobody's group here, so group:: bits never grant anything.
 * priv-* names no one in ReadWrite= or ReadOnly=, so its objects get no ACL entries.
 */
static const struct harness_id id_creator = { .uid = HARNESS_UID_1, .gid = HARNESS_GID_3 };
static const struct harness_id id_writer = { .uid = HARNESS_UID_2, .gid = HARNESS_GID_3 };
static const struct harness_id id_reader = { .uid = HARNESS_UID_3, .gid = HARNESS_GID_3 };
static const struct harness_id id_outsider = { .uid = HARNESS_UID_4, .gid = HARNESS_GID_3 };
/* The outsider's uid, but with supplementary group 42001, which ReadOnly= names. */
static const struct harness_id id_group_reader = {
        .uid = HARNESS_UID_4, .gid = HARNESS_GID_3, .n_groups = 1, .groups = { HARNESS_GID_1 },
};
static const struct harness_id id_control = {
        .uid = HARNESS_CONTROL_UID, .gid = HARNESS_CONTROL_GID,
};
static const struct harness_id id_root = { .uid = 0, .gid = 0 };
static const struct harness_id id_nobody = { .uid = 65534, .gid = 65534 };

#define POLICY_RULES_DEMO                       \
        "[Segment demo]\n"                      \
        "Names=demo-*\n"                        \
        "Create=41001\n"                        \
        "ReadWrite=41001 41002\n"               \
        "ReadOnly=41003 @42001\n"               \
        "Owner=41001\n"                         \
        "Group=42002\n"                         \
        "Mode=0640\n"                           \
        "MaxSize=1M\n"                          \
        "\n"                                    \
        "[Segment mem]\n"                       \
        "Names=mem-*\n"                         \
        "Create=41001\n"                        \
        "ReadWrite=41001 41002\n"               \
        "ReadOnly=41003 @42001\n"               \
        "Owner=41001\n"                         \
        "Group=42002\n"                         \
        "Mode=0640\n"                           \
        "MaxSize=1M\n"                          \
        "Backend=memfd\n"                       \
        "Publish=no\n"                          \
        "\n"                                    \
        "[Segment priv]\n"                      \
        "Names=priv-*\n"                        \
        "Create=41001\n"                        \
        "Owner=41001\n"                         \
        "Group=42002\n"                         \
        "Mode=0600\n"                           \
        "MaxSize=1M\n"

static const char policy_demo[] = POLICY_RULES_DEMO;

/* For the umask tests: the same, plus a rule whose mode has group and other bits but whose
 * principals give no ACL entry (ReadOnly=*), so the mode is all there is. */
static const char policy_umask[] =
        POLICY_RULES_DEMO
        "\n"
        "[Segment pub]\n"
        "Names=pub-*\n"
        "Create=41001\n"
        "ReadOnly=*\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0644\n"
        "MaxSize=1M\n";

/* ------------------------------------------------------------------------------------------
 * ACLs: compare as sorted lists of (tag, id, perm)
 */

#define ACE_NO_ID UINT32_MAX

struct ace {
        uint32_t tag;
        uint32_t id;
        uint32_t perm;
};

/* What policy_demo gives a demo-* object: Mode=0640, named users and group, mask rw-. */
static const struct ace acl_demo[] = {
        { ACL_USER_OBJ, ACE_NO_ID, 6 },
        { ACL_USER, HARNESS_UID_1, 6 },
        { ACL_USER, HARNESS_UID_2, 6 },
        { ACL_USER, HARNESS_UID_3, 4 },
        { ACL_GROUP_OBJ, ACE_NO_ID, 4 },
        { ACL_GROUP, HARNESS_GID_1, 4 },
        { ACL_MASK, ACE_NO_ID, 6 },
        { ACL_OTHER, ACE_NO_ID, 0 },
};

static int ace_compare(const void *a, const void *b)
{
        const struct ace *x = a, *y = b;

        if (x->tag != y->tag)
                return x->tag < y->tag ? -1 : 1;
        if (x->id != y->id)
                return x->id < y->id ? -1 : 1;
        return 0;
}

static void aces_print(const char *what, const struct ace *a, size_t n)
{
        size_t i;

        fprintf(stderr, "%s (%zu entries):", what, n);
        for (i = 0; i < n; i++) {
                if (a[i].id == ACE_NO_ID)
                        fprintf(stderr, " 0x%02x::%o", a[i].tag, a[i].perm);
                else
                        fprintf(stderr, " 0x%02x:%u:%o", a[i].tag, a[i].id, a[i].perm);
        }
        fprintf(stderr, "\n");
}

/* Sorts @got in place and compares it with @want (sorted). Prints both on a mismatch. */
static bool aces_equal(struct ace *got, size_t n_got, const struct ace *want, size_t n_want)
{
        struct ace w[SHMB_ACL_MAX];
        size_t i;

        if (n_want > SHMB_ACL_MAX || n_got > SHMB_ACL_MAX)
                return false;
        memcpy(w, want, n_want * sizeof(*want));
        qsort(got, n_got, sizeof(*got), ace_compare);
        qsort(w, n_want, sizeof(*w), ace_compare);
        if (n_got == n_want) {
                for (i = 0; i < n_got; i++)
                        if (ace_compare(&got[i], &w[i]) != 0 || got[i].perm != w[i].perm)
                                break;
                if (i == n_got)
                        return true;
        }
        aces_print("ACL expected", w, n_want);
        aces_print("ACL got     ", got, n_got);
        return false;
}

/* Reads an access ACL into @out. Return: the number of entries, or -errno. */
static int aces_from_acl(acl_t acl, struct ace *out, size_t max)
{
        acl_entry_t e;
        int k, n = 0;

        for (k = acl_get_entry(acl, ACL_FIRST_ENTRY, &e); k == 1;
             k = acl_get_entry(acl, ACL_NEXT_ENTRY, &e)) {
                acl_tag_t tag;
                acl_permset_t ps;
                void *q;

                if ((size_t) n >= max)
                        return -E2BIG;
                if (acl_get_tag_type(e, &tag) < 0 || acl_get_permset(e, &ps) < 0)
                        return -errno;
                out[n].tag = (uint32_t) tag;
                out[n].id = ACE_NO_ID;
                if (tag == ACL_USER || tag == ACL_GROUP) {
                        q = acl_get_qualifier(e);
                        if (!q)
                                return -errno;
                        out[n].id = tag == ACL_USER ? *(uid_t *) q : *(gid_t *) q;
                        acl_free(q);
                }
                out[n].perm = (acl_get_perm(ps, ACL_READ) > 0 ? 4 : 0) |
                              (acl_get_perm(ps, ACL_WRITE) > 0 ? 2 : 0) |
                              (acl_get_perm(ps, ACL_EXECUTE) > 0 ? 1 : 0);
                n++;
        }
        return k < 0 ? -errno : n;
}

/* Asserts the access ACL of @path is exactly @want. */
static void assert_file_acl(const char *path, const struct ace *want, size_t n_want)
{
        struct ace got[SHMB_ACL_MAX];
        acl_t acl;
        int n;

        acl = acl_get_file(path, ACL_TYPE_ACCESS);
        if (!acl)
                fail_msg("acl_get_file('%s'): %s", path, strerror(errno));
        n = aces_from_acl(acl, got, ELEMENTSOF(got));
        acl_free(acl);
        assert_true(n >= 0);
        if (!aces_equal(got, (size_t) n, want, n_want))
                fail_msg("ACL of '%s' is not what the policy says", path);
}

/* Asserts owner, group, permission bits and type of an object in the object directory. */
static void assert_object(const struct harness_daemon *d, const char *name, uid_t uid,
                          gid_t gid, mode_t mode)
{
        const char *path = harness_shm_path(d, name);
        struct stat st;

        if (lstat(path, &st) < 0)
                fail_msg("lstat('%s'): %s", path, strerror(errno));
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_nlink, 1);
        assert_int_equal(st.st_uid, uid);
        assert_int_equal(st.st_gid, gid);
        if ((st.st_mode & 07777) != mode)
                fail_msg("'%s' has mode %04o, expected %04o", name, (unsigned) st.st_mode & 07777,
                         (unsigned) mode);
}

/* ------------------------------------------------------------------------------------------
 * Client operations, each run in a child as some identity
 */

enum op_kind {
        OP_CREATE,
        OP_OPEN,
        OP_UNLINK,
};

/* Exit status of an op child whose own checks failed (not an errno of the operation). */
#define OP_CHECK_FAILED HARNESS_CHILD_CHECK_FAILED

struct op {
        const struct harness_daemon *d;
        enum op_kind kind;
        const char *name;
        uint64_t size;                  /* OP_CREATE */
        int access;
        /* On success, optionally: */
        int want_access;                /* SHMB_ACCESS_RDONLY/RDWR expected in the fd info */
        int want_backend;               /* SHMB_BACKEND_* expected */
        const void *write;              /* bytes to write through a RDWR mapping at offset 0 */
        size_t write_len;
        const void *expect;             /* bytes expected at offset 0 */
        size_t expect_len;
};

static int child_op(void *userdata)
{
        const struct op *o = userdata;
        struct shmb_client *c = NULL;
        struct shmb_fd_info info = {};
        int fd = -1, r;

        r = shmb_connect(o->d->socket_path, &c);
        if (r < 0) {
                fprintf(stderr, "child: shmb_connect: %s\n", strerror(-r));
                return OP_CHECK_FAILED;
        }
        switch (o->kind) {
        case OP_CREATE:
                r = shmb_create(c, o->name, o->size, o->access,
                                o->access == SHMB_ACCESS_NONE ? NULL : &fd, &info);
                break;
        case OP_OPEN:
                r = shmb_open(c, o->name, o->access, &fd, &info);
                break;
        case OP_UNLINK:
                r = shmb_unlink(c, o->name);
                break;
        default:
                r = -EINVAL;
        }
        c = shmb_client_free(c);
        if (r < 0)
                return -r < 200 ? -r : OP_CHECK_FAILED;
        CHILD_CHECK_EQ(r, 0);
        if (o->kind == OP_UNLINK || (o->kind == OP_CREATE && o->access == SHMB_ACCESS_NONE))
                return 0;

        CHILD_CHECK(fd >= 3);
        CHILD_CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        if (o->want_access)
                CHILD_CHECK_EQ(info.access, o->want_access);
        if (o->want_backend)
                CHILD_CHECK_EQ(info.backend, o->want_backend);
        CHILD_CHECK_EQ((fcntl(fd, F_GETFL) & O_ACCMODE),
                       info.access == SHMB_ACCESS_RDWR ? O_RDWR : O_RDONLY);
        if (o->write) {
                void *p;
                size_t len;

                CHILD_CHECK_EQ(shmb_map(fd, SHMB_ACCESS_RDWR, &p, &len), 0);
                CHILD_CHECK(len >= o->write_len);
                memcpy(p, o->write, o->write_len);
                CHILD_CHECK_EQ(munmap(p, len), 0);
        }
        if (o->expect) {
                void *p;
                size_t len;

                CHILD_CHECK_EQ(shmb_map(fd, SHMB_ACCESS_RDONLY, &p, &len), 0);
                CHILD_CHECK(len >= o->expect_len);
                CHILD_CHECK(memcmp(p, o->expect, o->expect_len) == 0);
                CHILD_CHECK_EQ(munmap(p, len), 0);
        }
        CHILD_CHECK_EQ(close(fd), 0);
        return 0;
}

/* Runs @o as @id. Return: 0 or the operation's -errno; fails the test if the child broke. */
static int op_run(const struct harness_id *id, struct op *o)
{
        int r = harness_run_as(id, child_op, o);

        if (r > 0 && r < 200)
                return -r;
        if (r != 0)
                fail_msg("client child (uid %u) for '%s' failed: %d", (unsigned) id->uid,
                         o->name, r);
        return 0;
}

static int do_create(const struct harness_daemon *d, const struct harness_id *id,
                     const char *name, uint64_t size, int access)
{
        struct op o = { .d = d, .kind = OP_CREATE, .name = name, .size = size,
                        .access = access };

        return op_run(id, &o);
}

static int do_open(const struct harness_daemon *d, const struct harness_id *id,
                   const char *name, int access)
{
        struct op o = { .d = d, .kind = OP_OPEN, .name = name, .access = access };

        return op_run(id, &o);
}

static int do_unlink(const struct harness_daemon *d, const struct harness_id *id,
                     const char *name)
{
        struct op o = { .d = d, .kind = OP_UNLINK, .name = name };

        return op_run(id, &o);
}

static const char *child_result_str(int r)
{
        switch (r) {
        case HARNESS_CHILD_CHECK_FAILED:
                return "a check failed, see above";
        case HARNESS_CHILD_SETID_FAILED:
                return "could not switch identity";
        case HARNESS_CHILD_SIGNALED:
                return "killed by a signal";
        case HARNESS_CHILD_TIMEOUT:
                return "timed out";
        default:
                return "unexpected exit status";
        }
}

/* Runs @fn as @id and asserts that every check in it passed. */
#define RUN_AS(id, fn, arg)                                                             \
        do {                                                                            \
                int _r_ = harness_run_as((id), (fn), (arg));                            \
                if (_r_ != 0)                                                           \
                        fail_msg("%s as uid %u: %s (%d)", #fn, (unsigned) (id)->uid,    \
                                 child_result_str(_r_), _r_);                           \
        } while (0)

/* ------------------------------------------------------------------------------------------
 * Fixtures
 */

/* The daemon is still up and serving another uid, and holds no more fds than after start. */
static void assert_serving(const struct harness_daemon *d)
{
        int n;

        assert_true(harness_daemon_alive(d));
        assert_int_equal(do_create(d, &id_control, "ctl-check", 4096, SHMB_ACCESS_RDWR), 0);
        assert_int_equal(do_open(d, &id_control, "/ctl-check", SHMB_ACCESS_RDWR), 0);
        assert_int_equal(do_unlink(d, &id_control, "ctl-check"), 0);
        n = harness_daemon_wait_fd_count(d, d->n_fds_start, 2000);
        if (n != d->n_fds_start)
                fail_msg("shmbrokerd has %d fds open, %d right after start: leak", n,
                         d->n_fds_start);
}

static int group_start(void **state, const char *policy)
{
        struct harness_daemon *d;

        if (harness_daemon_start(policy, NULL, &d) < 0)
                return -1;
        *state = d;
        return 0;
}

static int group_setup_demo(void **state)
{
        return group_start(state, policy_demo);
}

/* Group teardown: the fd count is back at its baseline, and SIGTERM gives exit status 0. */
static int group_teardown(void **state)
{
        struct harness_daemon *d = *state;
        int n, r = 0;

        if (!d)
                return 0;
        *state = NULL;
        n = harness_daemon_wait_fd_count(d, d->n_fds_start, 2000);
        if (n != d->n_fds_start) {
                fprintf(stderr, "shmbrokerd has %d fds open at the end of the group, %d right "
                        "after start\n", n, d->n_fds_start);
                r = -1;
        }
        if (harness_daemon_stop(d) != 0) {
                fprintf(stderr, "shmbrokerd did not exit 0 on SIGTERM\n");
                r = -1;
        }
        return r;
}

/*
 * Names a test created, unlinked by the creator after the test whatever happened, so that one
 * failed assertion does not leave a memfd behind (an fd in the daemon) and fail the next test.
 */
static const char *cleanup_names[8];

static void cleanup_add(const char *name)
{
        size_t i;

        for (i = 0; i < ELEMENTSOF(cleanup_names); i++)
                if (!cleanup_names[i]) {
                        cleanup_names[i] = name;
                        return;
                }
        fail_msg("too many cleanup names");
}

static int test_teardown(void **state)
{
        size_t i;

        for (i = 0; i < ELEMENTSOF(cleanup_names); i++)
                if (cleanup_names[i]) {
                        (void) do_unlink(*state, &id_creator, cleanup_names[i]);
                        cleanup_names[i] = NULL;
                }
        assert_serving(*state);
        return 0;
}

/* Tests that start their own daemon keep it here, so that a failed assertion still stops it. */
static struct harness_daemon *own_daemon;

static int own_teardown(void **state)
{
        if (own_daemon)
                (void) harness_daemon_stop(TAKE_PTR(own_daemon));
        return 0;
}

static struct harness_daemon *own_start(const char *policy,
                                        const struct harness_daemon_options *opts)
{
        assert_null(own_daemon);
        assert_int_equal(harness_daemon_start(policy, opts, &own_daemon), 0);
        return own_daemon;
}

static void own_stop(void)
{
        int n = harness_daemon_wait_fd_count(own_daemon, own_daemon->n_fds_start, 2000);

        assert_int_equal(n, own_daemon->n_fds_start);
        assert_int_equal(harness_daemon_stop(TAKE_PTR(own_daemon)), 0);
}

/* ------------------------------------------------------------------------------------------
 * a. Who may create, write, read and unlink
 */

static const char hello[] = "hello from the writer, uid 41002";

static void test_access_create_write_read(void **state)
{
        const struct harness_daemon *d = *state;
        struct op w = { .d = d, .kind = OP_OPEN, .name = "demo-a", .access = SHMB_ACCESS_RDWR,
                        .want_access = SHMB_ACCESS_RDWR, .want_backend = SHMB_BACKEND_SHM,
                        .write = hello, .write_len = sizeof(hello) };
        struct op rd = { .d = d, .kind = OP_OPEN, .name = "demo-a",
                         .access = SHMB_ACCESS_RDONLY, .want_access = SHMB_ACCESS_RDONLY,
                         .want_backend = SHMB_BACKEND_SHM, .expect = hello,
                         .expect_len = sizeof(hello) };
        struct op any = rd;

        any.access = SHMB_ACCESS_ANY;

        assert_int_equal(do_create(d, &id_creator, "demo-a", 4096, SHMB_ACCESS_NONE), 0);
        assert_object(d, "demo-a", HARNESS_UID_1, HARNESS_GID_2, 0660);

        assert_int_equal(op_run(&id_writer, &w), 0);
        assert_int_equal(op_run(&id_reader, &rd), 0);
        /* ANY gives the reader what the policy allows: read-only. */
        assert_int_equal(op_run(&id_reader, &any), 0);
        /* ReadOnly=@42001 works through the supplementary groups of the connection. */
        assert_int_equal(op_run(&id_group_reader, &rd), 0);
        /* The writer may also just read, and ANY gives it read-write. */
        assert_int_equal(op_run(&id_writer, &rd), 0);
        any.want_access = SHMB_ACCESS_RDWR;
        assert_int_equal(op_run(&id_writer, &any), 0);

        assert_int_equal(do_unlink(d, &id_creator, "demo-a"), 0);
}

static void test_access_denied(void **state)
{
        const struct harness_daemon *d = *state;

        assert_int_equal(do_create(d, &id_creator, "demo-d", 4096, SHMB_ACCESS_RDWR), 0);

        /* The reader may not write. */
        assert_int_equal(do_open(d, &id_reader, "demo-d", SHMB_ACCESS_RDWR), -EACCES);
        /* The outsider may do nothing, existing name or not. */
        assert_int_equal(do_open(d, &id_outsider, "demo-d", SHMB_ACCESS_RDONLY), -EACCES);
        assert_int_equal(do_open(d, &id_outsider, "demo-d", SHMB_ACCESS_ANY), -EACCES);
        assert_int_equal(do_create(d, &id_outsider, "demo-d2", 4096, SHMB_ACCESS_NONE),
                         -EACCES);
        assert_int_equal(do_create(d, &id_outsider, "demo-d2", 4096, SHMB_ACCESS_RDWR),
                         -EACCES);
        /* Writers and readers are not creators. */
        assert_int_equal(do_create(d, &id_writer, "demo-d3", 4096, SHMB_ACCESS_RDWR), -EACCES);
        assert_int_equal(do_create(d, &id_reader, "demo-d3", 4096, SHMB_ACCESS_RDONLY),
                         -EACCES);
        /* Root is not special: no rule grants it anything here. */
        assert_int_equal(do_open(d, &id_root, "demo-d", SHMB_ACCESS_RDONLY), -EACCES);
        assert_int_equal(do_create(d, &id_root, "demo-d4", 4096, SHMB_ACCESS_NONE), -EACCES);
        /* Names no rule matches are denied. */
        assert_int_equal(do_create(d, &id_creator, "other-d", 4096, SHMB_ACCESS_NONE),
                         -EACCES);
        assert_true(access(harness_shm_path(d, "demo-d2"), F_OK) < 0);
        assert_true(access(harness_shm_path(d, "demo-d3"), F_OK) < 0);
        assert_true(access(harness_shm_path(d, "other-d"), F_OK) < 0);

        /* Create refuses an existing name, and sizes outside 1..MaxSize. */
        assert_int_equal(do_create(d, &id_creator, "demo-d", 4096, SHMB_ACCESS_NONE), -EEXIST);
        assert_int_equal(do_create(d, &id_creator, "demo-d5", 0, SHMB_ACCESS_NONE), -EINVAL);
        assert_int_equal(do_create(d, &id_creator, "demo-d5", 1024 * 1024 + 1,
                                   SHMB_ACCESS_NONE), -EFBIG);
        assert_int_equal(do_create(d, &id_creator, "demo-d5", 1024 * 1024, SHMB_ACCESS_NONE),
                         0);

        assert_int_equal(do_unlink(d, &id_creator, "demo-d"), 0);
        assert_int_equal(do_unlink(d, &id_creator, "demo-d5"), 0);
}

/* The fd a create returns has exactly the access asked for (a fresh read-only open for RDONLY). */
static void test_access_create_fd(void **state)
{
        const struct harness_daemon *d = *state;
        static const char *const names[] = { "demo-c1", "demo-c2", "demo-c3", "mem-c4",
                                             "mem-c5" };
        struct op o = { .d = d, .kind = OP_CREATE, .size = 4096 };
        size_t i;

        for (i = 0; i < ELEMENTSOF(names); i++)
                cleanup_add(names[i]);

        o.name = "demo-c1";
        o.access = SHMB_ACCESS_RDONLY;
        o.want_access = SHMB_ACCESS_RDONLY;
        o.want_backend = SHMB_BACKEND_SHM;
        assert_int_equal(op_run(&id_creator, &o), 0);
        o.name = "demo-c2";
        o.access = o.want_access = SHMB_ACCESS_RDWR;
        o.write = hello;
        o.write_len = sizeof(hello);
        assert_int_equal(op_run(&id_creator, &o), 0);
        o.name = "demo-c3";
        o.access = SHMB_ACCESS_ANY;
        assert_int_equal(op_run(&id_creator, &o), 0);
        o.name = "mem-c4";
        o.access = o.want_access = SHMB_ACCESS_RDONLY;
        o.want_backend = SHMB_BACKEND_MEMFD;
        o.write = NULL;
        o.write_len = 0;
        assert_int_equal(op_run(&id_creator, &o), 0);
        o.name = "mem-c5";
        o.access = SHMB_ACCESS_ANY;
        o.want_access = SHMB_ACCESS_RDWR;
        assert_int_equal(op_run(&id_creator, &o), 0);

        for (i = 0; i < ELEMENTSOF(names); i++)
                assert_int_equal(do_unlink(d, &id_creator, names[i]), 0);
}

static void test_access_unlink(void **state)
{
        const struct harness_daemon *d = *state;

        assert_int_equal(do_create(d, &id_creator, "demo-u", 4096, SHMB_ACCESS_NONE), 0);
        assert_int_equal(do_unlink(d, &id_writer, "demo-u"), -EACCES);
        assert_int_equal(do_unlink(d, &id_reader, "demo-u"), -EACCES);
        assert_int_equal(do_unlink(d, &id_outsider, "demo-u"), -EACCES);
        assert_int_equal(do_unlink(d, &id_root, "demo-u"), -EACCES);
        assert_int_equal(access(harness_shm_path(d, "demo-u"), F_OK), 0);

        assert_int_equal(do_unlink(d, &id_creator, "demo-u"), 0);
        assert_true(access(harness_shm_path(d, "demo-u"), F_OK) < 0);
        assert_int_equal(do_open(d, &id_reader, "demo-u", SHMB_ACCESS_RDONLY), -ENOENT);
        assert_int_equal(do_unlink(d, &id_creator, "demo-u"), -ENOENT);
}

/* A client in 100 supplementary groups, the one that matters last (SO_PEERGROUPS grows). */
static void test_access_many_groups(void **state)
{
        const struct harness_daemon *d = *state;
        struct harness_id many = { .uid = HARNESS_UID_4, .gid = HARNESS_GID_3, .n_groups = 100 };
        struct op w = { .d = d, .kind = OP_CREATE, .name = "demo-g", .size = 4096,
                        .access = SHMB_ACCESS_RDWR, .write = hello, .write_len = sizeof(hello) };
        struct op r = { .d = d, .kind = OP_OPEN, .name = "demo-g", .access = SHMB_ACCESS_ANY,
                        .want_access = SHMB_ACCESS_RDONLY, .expect = hello,
                        .expect_len = sizeof(hello) };
        size_t i;

        for (i = 0; i < 99; i++)
                many.groups[i] = 43000 + (gid_t) i;
        many.groups[99] = HARNESS_GID_1;

        assert_int_equal(op_run(&id_creator, &w), 0);
        assert_int_equal(op_run(&many, &r), 0);
        /* Without the group, the same uid gets nothing. */
        many.n_groups = 99;
        assert_int_equal(do_open(d, &many, "demo-g", SHMB_ACCESS_RDONLY), -EACCES);
        assert_int_equal(do_unlink(d, &id_creator, "demo-g"), 0);
}

/*
 * Who a connection is was fixed when it connected (the open() model): a process that
 * connected as the creator and then became the outsider still acts as the creator on that
 * connection, and as the outsider on a new one.
 */
static int child_identity_at_connect(void *userdata)
{
        const struct harness_daemon *d = userdata;
        struct shmb_client *c = NULL, *c2 = NULL;
        gid_t g = HARNESS_GID_3;
        int fd;

        CHILD_CHECK_EQ(setgroups(1, &g), 0);
        CHILD_CHECK_EQ(setresgid(HARNESS_GID_3, HARNESS_GID_3, 0), 0);
        /* Saved uid 0, so the switch below is possible. */
        CHILD_CHECK_EQ(setresuid(HARNESS_UID_1, HARNESS_UID_1, 0), 0);
        CHILD_CHECK_EQ(shmb_connect(d->socket_path, &c), 0);
        CHILD_CHECK_EQ(setresuid(0, 0, 0), 0);
        CHILD_CHECK_EQ(setresuid(HARNESS_UID_4, HARNESS_UID_4, HARNESS_UID_4), 0);
        CHILD_CHECK_EQ(geteuid(), HARNESS_UID_4);

        CHILD_CHECK_EQ(shmb_create(c, "demo-conn", 4096, SHMB_ACCESS_RDWR, &fd, NULL), 0);
        CHILD_CHECK_EQ(close(fd), 0);
        CHILD_CHECK_EQ(shmb_connect(d->socket_path, &c2), 0);
        CHILD_CHECK_EQ(shmb_open(c2, "demo-conn", SHMB_ACCESS_RDONLY, &fd, NULL), -EACCES);
        CHILD_CHECK_EQ(shmb_unlink(c2, "demo-conn"), -EACCES);
        CHILD_CHECK_EQ(shmb_unlink(c, "demo-conn"), 0);
        c2 = shmb_client_free(c2);
        c = shmb_client_free(c);
        return 0;
}

static void test_identity_at_connect(void **state)
{
        const struct harness_daemon *d = *state;

        RUN_AS(&id_root, child_identity_at_connect, (void *) d);
        assert_true(access(harness_shm_path(d, "demo-conn"), F_OK) < 0);
}

/*
 * A writer of a Backend=shm object holds a plain tmpfs fd and may truncate it under everyone
 * (the contract says so; memfd is for untrusted writers). The daemon must not be the one to
 * take the SIGBUS: it keeps serving, and what it reports is the current size.
 */
static int child_truncate(void *userdata)
{
        const struct harness_daemon *d = userdata;
        struct shmb_client *c = NULL;
        int fd;

        CHILD_CHECK_EQ(shmb_connect(d->socket_path, &c), 0);
        CHILD_CHECK_EQ(shmb_open(c, "demo-tr", SHMB_ACCESS_RDWR, &fd, NULL), 0);
        c = shmb_client_free(c);
        CHILD_CHECK_EQ(ftruncate(fd, 0), 0);
        CHILD_CHECK_EQ(close(fd), 0);
        return 0;
}

static int child_after_truncate(void *userdata)
{
        const struct harness_daemon *d = userdata;
        struct shmb_client *c = NULL;
        struct shmb_fd_info info;
        struct shmb_stat st;
        void *p;
        size_t len;
        int fd, r;

        CHILD_CHECK_EQ(shmb_connect(d->socket_path, &c), 0);
        r = shmb_stat(c, "demo-tr", &st);
        CHILD_CHECK_EQ(r, 0);
        CHILD_CHECK_EQ(st.size, 0);
        r = shmb_open(c, "demo-tr", SHMB_ACCESS_RDONLY, &fd, &info);
        if (r == 0) {
                CHILD_CHECK_EQ(info.size, 0);
                CHILD_CHECK_EQ(shmb_map(fd, SHMB_ACCESS_RDONLY, &p, &len), -EINVAL);
                CHILD_CHECK_EQ(close(fd), 0);
        } else {
                fprintf(stderr, "# open of a truncated segment: %s\n", strerror(-r));
                CHILD_CHECK(r == -EBADFD || r == -EIO);
        }
        c = shmb_client_free(c);
        return 0;
}

static void test_writer_truncates_shm(void **state)
{
        const struct harness_daemon *d = *state;

        cleanup_add("demo-tr");
        assert_int_equal(do_create(d, &id_creator, "demo-tr", 8192, SHMB_ACCESS_NONE), 0);
        RUN_AS(&id_writer, child_truncate, (void *) d);
        RUN_AS(&id_reader, child_after_truncate, (void *) d);
        assert_true(harness_daemon_alive(d));
        assert_int_equal(do_unlink(d, &id_creator, "demo-tr"), 0);
}

/* ------------------------------------------------------------------------------------------
 * b. Owner, group, mode and ACL of the objects
 */

static void test_acl_named(void **state)
{
        const struct harness_daemon *d = *state;
        const char *path;

        assert_int_equal(do_create(d, &id_creator, "demo-acl", 4096, SHMB_ACCESS_NONE), 0);
        path = harness_shm_path(d, "demo-acl");
        /* With named entries the group bits of the mode are the mask: rw-, so 0660. */
        assert_object(d, "demo-acl", HARNESS_UID_1, HARNESS_GID_2, 0660);
        assert_int_equal(acl_extended_file(path), 1);
        assert_file_acl(path, acl_demo, ELEMENTSOF(acl_demo));
        assert_int_equal(do_unlink(d, &id_creator, "demo-acl"), 0);
}

static void test_acl_plain(void **state)
{
        const struct harness_daemon *d = *state;
        static const struct ace want[] = {
                { ACL_USER_OBJ, ACE_NO_ID, 6 },
                { ACL_GROUP_OBJ, ACE_NO_ID, 0 },
                { ACL_OTHER, ACE_NO_ID, 0 },
        };
        const char *path;

        assert_int_equal(do_create(d, &id_creator, "priv-acl", 4096, SHMB_ACCESS_NONE), 0);
        path = harness_shm_path(d, "priv-acl");
        assert_object(d, "priv-acl", HARNESS_UID_1, HARNESS_GID_2, 0600);
        assert_int_equal(acl_extended_file(path), 0);
        assert_file_acl(path, want, ELEMENTSOF(want));
        assert_int_equal(do_open(d, &id_reader, "priv-acl", SHMB_ACCESS_RDONLY), -EACCES);
        assert_int_equal(do_unlink(d, &id_creator, "priv-acl"), 0);
}

/* ------------------------------------------------------------------------------------------
 * c. Read-only fds stay read-only, for both backends; memfds are sealed against resizing
 */

static const char payload[] = "bytes from the writer";

struct ro_case {
        const struct harness_daemon *d;
        const char *name;
        int backend;
};

static int child_writer(void *userdata)
{
        const struct ro_case *t = userdata;
        struct shmb_client *c = NULL;
        struct shmb_fd_info info;
        struct stat st;
        void *p;
        int fd;

        CHILD_CHECK_EQ(shmb_connect(t->d->socket_path, &c), 0);
        CHILD_CHECK_EQ(shmb_open(c, t->name, SHMB_ACCESS_RDWR, &fd, &info), 0);
        c = shmb_client_free(c);
        CHILD_CHECK_EQ(info.access, SHMB_ACCESS_RDWR);
        CHILD_CHECK_EQ(info.backend, t->backend);
        CHILD_CHECK_EQ(info.size, 8192);
        CHILD_CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);

        if (t->backend == SHMB_BACKEND_MEMFD) {
                int seals = fcntl(fd, F_GET_SEALS);
                int need = F_SEAL_SHRINK | F_SEAL_GROW;

                CHILD_CHECK(seals >= 0);
                CHILD_CHECK_EQ(seals & need, need);
                /* A writer cannot resize a sealed memfd, either way. */
                CHILD_CHECK_EQ(ftruncate(fd, 16384), -1);
                CHILD_CHECK_EQ(errno, EPERM);
                CHILD_CHECK_EQ(ftruncate(fd, 4096), -1);
                CHILD_CHECK_EQ(errno, EPERM);
                CHILD_CHECK_EQ(ftruncate(fd, 0), -1);
                CHILD_CHECK_EQ(errno, EPERM);
                /* Publish=no: sealed for good, no writer adds a seal. */
                CHILD_CHECK_EQ(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
        }
        CHILD_CHECK_EQ(fstat(fd, &st), 0);
        CHILD_CHECK_EQ(st.st_size, 8192);

        p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        CHILD_CHECK(p != MAP_FAILED);
        memcpy(p, payload, sizeof(payload));
        memcpy((char *) p + 8192 - sizeof(payload), payload, sizeof(payload));
        CHILD_CHECK_EQ(munmap(p, 8192), 0);
        CHILD_CHECK_EQ(close(fd), 0);
        return 0;
}

static int child_reader(void *userdata)
{
        const struct ro_case *t = userdata;
        struct shmb_client *c = NULL;
        struct shmb_fd_info info;
        char proc[64];
        struct stat st;
        void *p;
        int fd, fd2;

        CHILD_CHECK_EQ(shmb_connect(t->d->socket_path, &c), 0);
        CHILD_CHECK_EQ(shmb_open(c, t->name, SHMB_ACCESS_RDONLY, &fd, &info), 0);
        c = shmb_client_free(c);
        CHILD_CHECK_EQ(info.access, SHMB_ACCESS_RDONLY);
        CHILD_CHECK_EQ(info.backend, t->backend);
        CHILD_CHECK_EQ(info.size, 8192);

        /* A fresh read-only open, not a dup of a writable fd. */
        CHILD_CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
        CHILD_CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        CHILD_CHECK_EQ(fstat(fd, &st), 0);
        CHILD_CHECK(S_ISREG(st.st_mode));
        CHILD_CHECK_EQ(st.st_size, 8192);
        /* The reader must never own the inode: an owner could fchmod and reopen. */
        CHILD_CHECK(st.st_uid != geteuid());

        /* No writable shared mapping. */
        p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        CHILD_CHECK(p == MAP_FAILED);
        CHILD_CHECK_EQ(errno, EACCES);

        /* A read-only mapping works, shows the writer's bytes, and cannot be upgraded. */
        p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
        CHILD_CHECK(p != MAP_FAILED);
        CHILD_CHECK(memcmp(p, payload, sizeof(payload)) == 0);
        CHILD_CHECK(memcmp((char *) p + 8192 - sizeof(payload), payload, sizeof(payload)) == 0);
        CHILD_CHECK_EQ(mprotect(p, 8192, PROT_READ | PROT_WRITE), -1);
        CHILD_CHECK_EQ(errno, EACCES);

        /* No resizing. */
        CHILD_CHECK_EQ(ftruncate(fd, 0), -1);
        if (t->backend == SHMB_BACKEND_MEMFD)
                CHILD_CHECK(errno == EINVAL || errno == EPERM);
        else
                CHILD_CHECK_EQ(errno, EINVAL);
        CHILD_CHECK_EQ(ftruncate(fd, 16384), -1);

        /* No chmod. */
        CHILD_CHECK_EQ(fchmod(fd, 0666), -1);
        CHILD_CHECK_EQ(errno, EPERM);
        CHILD_CHECK_EQ(fchown(fd, geteuid(), getegid()), -1);
        CHILD_CHECK_EQ(errno, EPERM);

        /* No read-write reopen through /proc. */
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        fd2 = open(proc, O_RDWR | O_CLOEXEC);
        if (fd2 >= 0) {
                (void) close(fd2);
                fprintf(stderr, "reader reopened '%s' read-write\n", t->name);
                CHILD_CHECK(fd2 < 0);
        }
        if (t->backend == SHMB_BACKEND_MEMFD)
                CHILD_CHECK(errno == EACCES || errno == EPERM);
        else
                CHILD_CHECK_EQ(errno, EACCES);
        fd2 = open(proc, O_WRONLY | O_CLOEXEC);
        CHILD_CHECK(fd2 < 0);

        if (t->backend == SHMB_BACKEND_MEMFD) {
                int seals = fcntl(fd, F_GET_SEALS);
                int need = F_SEAL_SHRINK | F_SEAL_GROW;

                CHILD_CHECK(seals >= 0);
                CHILD_CHECK_EQ(seals & need, need);
        }

        /* Nothing of the above changed the object. */
        CHILD_CHECK_EQ(fstat(fd, &st), 0);
        CHILD_CHECK_EQ(st.st_size, 8192);
        CHILD_CHECK(memcmp(p, payload, sizeof(payload)) == 0);
        CHILD_CHECK_EQ(munmap(p, 8192), 0);
        CHILD_CHECK_EQ(close(fd), 0);
        return 0;
}

static void readonly_case(const struct harness_daemon *d, const char *name, int backend)
{
        struct ro_case t = { .d = d, .name = name, .backend = backend };

        cleanup_add(name);
        assert_int_equal(do_create(d, &id_creator, name, 8192, SHMB_ACCESS_NONE), 0);
        RUN_AS(&id_writer, child_writer, &t);
        RUN_AS(&id_reader, child_reader, &t);
        RUN_AS(&id_group_reader, child_reader, &t);
        /* Again: none of the reader's attempts changed the object. */
        RUN_AS(&id_reader, child_reader, &t);
        assert_int_equal(do_unlink(d, &id_creator, name), 0);
        assert_int_equal(do_open(d, &id_reader, name, SHMB_ACCESS_RDONLY), -ENOENT);
}

static void test_readonly_shm(void **state)
{
        readonly_case(*state, "demo-ro", SHMB_BACKEND_SHM);
}

static void test_readonly_memfd(void **state)
{
        const struct harness_daemon *d = *state;

        readonly_case(d, "mem-ro", SHMB_BACKEND_MEMFD);
        /* A memfd segment has no name in the object directory. */
        assert_true(access(harness_shm_path(d, "mem-ro"), F_OK) < 0);
}

/* ------------------------------------------------------------------------------------------
 * g. stat and list
 */

struct stat_case {
        const struct harness_daemon *d;
        const char *name;
        int expect;             /* 0 or -errno */
        uint64_t size;
        uint32_t backend;
        uint32_t rights;
        bool check_acl;         /* expect acl_demo */
};

static int child_stat(void *userdata)
{
        const struct stat_case *t = userdata;
        struct shmb_client *c = NULL;
        struct shmb_stat st;
        struct ace got[SHMB_ACL_MAX];
        uint32_t i;
        int r;

        CHILD_CHECK_EQ(shmb_connect(t->d->socket_path, &c), 0);
        memset(&st, 0xaa, sizeof(st));
        r = shmb_stat(c, t->name, &st);
        c = shmb_client_free(c);
        CHILD_CHECK_EQ(r, t->expect);
        if (r < 0)
                return 0;
        CHILD_CHECK_EQ(st.size, t->size);
        CHILD_CHECK_EQ(st.backend, t->backend);
        /* A reader never owns the object. A memfd is the daemon's own (its Owner= does not
         * apply: there is no name in a directory to own). */
        if (!(t->rights & SHMB_RIGHT_WRITE))
                CHILD_CHECK(st.uid != geteuid());
        CHILD_CHECK_EQ(st.rights, t->rights);
        CHILD_CHECK(st.n_acl <= SHMB_ACL_MAX);
        if (t->backend == SHMB_BACKEND_SHM) {
                CHILD_CHECK_EQ(st.uid, HARNESS_UID_1);
                CHILD_CHECK_EQ(st.gid, HARNESS_GID_2);
                CHILD_CHECK_EQ(st.mode, 0660);
        }
        if (t->check_acl) {
                for (i = 0; i < st.n_acl; i++) {
                        got[i].tag = st.acl[i].tag;
                        got[i].id = st.acl[i].tag == SHMB_ACL_USER ||
                                    st.acl[i].tag == SHMB_ACL_GROUP ? st.acl[i].id : ACE_NO_ID;
                        got[i].perm = st.acl[i].perm;
                }
                CHILD_CHECK(aces_equal(got, st.n_acl, acl_demo, ELEMENTSOF(acl_demo)));
        }
        return 0;
}

static void test_stat(void **state)
{
        const struct harness_daemon *d = *state;
        struct stat_case t = { .d = d, .name = "demo-st", .size = 8192,
                               .backend = SHMB_BACKEND_SHM, .check_acl = true };

        cleanup_add("demo-st");
        cleanup_add("mem-st");
        assert_int_equal(do_create(d, &id_creator, "demo-st", 8192, SHMB_ACCESS_NONE), 0);
        assert_int_equal(do_create(d, &id_creator, "mem-st", 4096, SHMB_ACCESS_NONE), 0);

        t.rights = SHMB_RIGHT_READ;
        RUN_AS(&id_reader, child_stat, &t);
        RUN_AS(&id_group_reader, child_stat, &t);
        t.rights = SHMB_RIGHT_READ | SHMB_RIGHT_WRITE;
        RUN_AS(&id_writer, child_stat, &t);
        t.rights = SHMB_RIGHT_READ | SHMB_RIGHT_WRITE | SHMB_RIGHT_CREATE;
        RUN_AS(&id_creator, child_stat, &t);
        t.name = "/demo-st";
        RUN_AS(&id_creator, child_stat, &t);

        t = (struct stat_case) { .d = d, .name = "mem-st", .size = 4096,
                                 .backend = SHMB_BACKEND_MEMFD, .rights = SHMB_RIGHT_READ };
        RUN_AS(&id_reader, child_stat, &t);
        assert_int_equal(do_unlink(d, &id_creator, "mem-st"), 0);
        t.expect = -ENOENT;
        RUN_AS(&id_reader, child_stat, &t);

        /*
         * shmb_stat(): "-ENOENT (no such segment, or none the caller may see)". Those who may
         * not open demo-st do not learn that it exists.
         */
        t = (struct stat_case) { .d = d, .name = "demo-st", .expect = -ENOENT };
        RUN_AS(&id_outsider, child_stat, &t);
        RUN_AS(&id_root, child_stat, &t);
        t.name = "demo-nonexistent";
        RUN_AS(&id_reader, child_stat, &t);
        RUN_AS(&id_outsider, child_stat, &t);

        assert_int_equal(do_unlink(d, &id_creator, "demo-st"), 0);
}

#define LIST_MAX 32

struct list_case {
        const struct harness_daemon *d;
        const char *const *must;        /* names that must be listed, NULL-terminated */
        const char *const *must_not;    /* names that must not be */
        int expect_count;               /* -1: do not check */
};

struct list_seen {
        char names[LIST_MAX][SHMB_NAME_MAX + 1];
        int n;
};

static int list_cb(const char *name, void *userdata)
{
        struct list_seen *s = userdata;

        if (s->n >= LIST_MAX)
                return -E2BIG;
        snprintf(s->names[s->n++], sizeof(s->names[0]), "%s", name);
        return 0;
}

static bool seen(const struct list_seen *s, const char *name)
{
        int i;

        for (i = 0; i < s->n; i++)
                if (strcmp(s->names[i], name) == 0)
                        return true;
        return false;
}

static int child_list(void *userdata)
{
        const struct list_case *t = userdata;
        static struct list_seen s;
        struct shmb_client *c = NULL;
        int i, r, fd;

        CHILD_CHECK_EQ(shmb_connect(t->d->socket_path, &c), 0);
        r = shmb_list(c, list_cb, &s);
        CHILD_CHECK_EQ(r, s.n);
        if (t->expect_count >= 0)
                CHILD_CHECK_EQ(s.n, t->expect_count);
        for (i = 0; t->must && t->must[i]; i++)
                CHILD_CHECK(seen(&s, t->must[i]));
        for (i = 0; t->must_not && t->must_not[i]; i++)
                CHILD_CHECK(!seen(&s, t->must_not[i]));
        for (i = 0; i < s.n; i++) {
                /* strcmp() order, no duplicates, and each one the caller may open. */
                if (i > 0)
                        CHILD_CHECK(strcmp(s.names[i - 1], s.names[i]) < 0);
                r = shmb_open(c, s.names[i], SHMB_ACCESS_RDONLY, &fd, NULL);
                if (r < 0)
                        fprintf(stderr, "listed '%s' but open gives %s\n", s.names[i],
                                strerror(-r));
                CHILD_CHECK_EQ(r, 0);
                CHILD_CHECK_EQ(close(fd), 0);
        }
        c = shmb_client_free(c);
        return 0;
}

static void test_list(void **state)
{
        const struct harness_daemon *d = *state;
        static const char *const all[] = { "demo-l1", "demo-l2", "mem-l4", "priv-l3", NULL };
        static const char *const readable[] = { "demo-l1", "demo-l2", "mem-l4", NULL };
        static const char *const hidden[] = { "priv-l3", "demo-stray", NULL };
        struct list_case t = { .d = d, .expect_count = -1 };
        _cleanup_(closep) int fd = -1;
        size_t i;

        for (i = 0; all[i]; i++) {
                cleanup_add(all[i]);
                assert_int_equal(do_create(d, &id_creator, all[i], 4096, SHMB_ACCESS_NONE), 0);
        }
        /* A file the daemon did not make (root's) is not listed, though a rule matches. */
        fd = open(harness_shm_path(d, "demo-stray"), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
                  0644);
        assert_true(fd >= 0);

        /* priv-* grants no reading to anyone, not even its creator: never listed. */
        t.must = readable;
        t.must_not = hidden;
        RUN_AS(&id_creator, child_list, &t);
        RUN_AS(&id_reader, child_list, &t);
        RUN_AS(&id_writer, child_list, &t);
        RUN_AS(&id_group_reader, child_list, &t);
        t = (struct list_case) { .d = d, .expect_count = 0 };
        RUN_AS(&id_outsider, child_list, &t);
        RUN_AS(&id_root, child_list, &t);

        for (i = 0; all[i]; i++)
                assert_int_equal(do_unlink(d, &id_creator, all[i]), 0);
        assert_int_equal(unlink(harness_shm_path(d, "demo-stray")), 0);
}

/* ------------------------------------------------------------------------------------------
 * d. Names
 */

struct bad_name {
        const char *name;
        size_t len;             /* bytes on the wire; may include a NUL */
        int error;              /* positive errno */
};

#define BAD(s, e) { s, sizeof(s) - 1, e }

static const struct bad_name bad_names[] = {
        BAD("", EINVAL),
        BAD("/", EINVAL),
        BAD(".", EINVAL),
        BAD("..", EINVAL),
        BAD("/.", EINVAL),
        BAD("/..", EINVAL),
        BAD("a/b", EINVAL),
        BAD("demo-a/b", EINVAL),
        BAD("//x", EINVAL),
        BAD("//demo-x", EINVAL),
        BAD("demo-x/", EINVAL),
        BAD("x\n", EINVAL),
        BAD("demo-x\n", EINVAL),
        BAD("x\x01", EINVAL),
        BAD("demo-\x1b", EINVAL),
        BAD("demo-\x7f", EINVAL),
};

static char long_name[SHMB_NAME_MAX + 2];       /* 256 bytes */
static char long_demo_name[SHMB_NAME_MAX + 2];  /* "demo-" + 251 bytes = 256 */

static void long_names_init(void)
{
        memset(long_name, 'a', SHMB_NAME_MAX + 1);
        long_name[SHMB_NAME_MAX + 1] = '\0';
        memcpy(long_demo_name, "demo-", 5);
        memset(long_demo_name + 5, 'b', SHMB_NAME_MAX + 1 - 5);
        long_demo_name[SHMB_NAME_MAX + 1] = '\0';
}

struct names_case {
        const struct harness_daemon *d;
};

/* One library call of each kind on @name must fail with -@error; the connection stays up. */
static int names_check_library(struct shmb_client *c, const char *name, int error)
{
        struct shmb_stat st;
        int fd = -1, r;

        r = shmb_open(c, name, SHMB_ACCESS_RDONLY, &fd, NULL);
        if (r != -error)
                fprintf(stderr, "shmb_open('%s') = %d\n", name, r);
        CHILD_CHECK_EQ(r, -error);
        CHILD_CHECK_EQ(fd, -1);
        r = shmb_create(c, name, 4096, SHMB_ACCESS_RDWR, &fd, NULL);
        if (r != -error)
                fprintf(stderr, "shmb_create('%s') = %d\n", name, r);
        CHILD_CHECK_EQ(r, -error);
        CHILD_CHECK_EQ(fd, -1);
        CHILD_CHECK_EQ(shmb_create(c, name, 4096, SHMB_ACCESS_NONE, NULL, NULL), -error);
        CHILD_CHECK_EQ(shmb_stat(c, name, &st), -error);
        CHILD_CHECK_EQ(shmb_unlink(c, name), -error);
        return 0;
}

static int child_names_library(void *userdata)
{
        const struct names_case *t = userdata;
        struct shmb_client *c = NULL;
        size_t i;
        int fd, r;

        CHILD_CHECK_EQ(shmb_connect(t->d->socket_path, &c), 0);
        for (i = 0; i < ELEMENTSOF(bad_names); i++) {
                r = names_check_library(c, bad_names[i].name, bad_names[i].error);
                if (r != 0)
                        return r;
        }
        r = names_check_library(c, long_name, ENAMETOOLONG);
        if (r != 0)
                return r;
        r = names_check_library(c, long_demo_name, ENAMETOOLONG);
        if (r != 0)
                return r;

        /* The same connection still works. */
        CHILD_CHECK_EQ(shmb_create(c, "demo-after-names", 4096, SHMB_ACCESS_RDWR, &fd, NULL),
                       0);
        CHILD_CHECK_EQ(close(fd), 0);
        CHILD_CHECK_EQ(shmb_unlink(c, "demo-after-names"), 0);
        c = shmb_client_free(c);
        return 0;
}

static void test_names_library(void **state)
{
        struct names_case t = { .d = *state };

        RUN_AS(&id_creator, child_names_library, &t);
        /* Nothing was created by any of them. */
        assert_true(access(harness_shm_path(t.d, "x"), F_OK) < 0);
        assert_true(access(harness_shm_path(t.d, "demo-x"), F_OK) < 0);
}

/* Raw protocol, bypassing the library's own name check. */

static int raw_connect(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timeval tv = { .tv_sec = 5 };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
                int r = -errno;

                (void) close(fd);
                return r;
        }
        return fd;
}

/*
 * Receives one packet. Return: its length (0 at EOF) with the fds in @fds, or -errno;
 * -EMSGSIZE when it was truncated (its fds are closed).
 */
static ssize_t raw_recv(int fd, void *buf, size_t size, int *fds, size_t *n_fds)
{
        union {
                struct cmsghdr h;
                uint8_t b[CMSG_SPACE(sizeof(int) * SHMB_PROTO_FDS_MAX)];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = size };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof(control) };
        struct cmsghdr *cm;
        ssize_t n;
        size_t i;

        *n_fds = 0;
        n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0)
                return -errno;
        for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
                size_t k;

                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (i = 0; i < k && *n_fds < SHMB_PROTO_FDS_MAX; i++)
                        memcpy(&fds[(*n_fds)++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
        }
        if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
                for (i = 0; i < *n_fds; i++)
                        (void) close(fds[i]);
                *n_fds = 0;
                return -EMSGSIZE;
        }
        return n;
}

/* Sends @req and decodes the reply; its fd (if any, and if @ret_fd) is returned. */
static int raw_call(int fd, const void *req, size_t len, struct shmb_proto_reply *reply,
                    int *ret_fd)
{
        static uint8_t buf[SHMB_PROTO_MSG_MAX + 1];
        int fds[SHMB_PROTO_FDS_MAX];
        size_t n_fds, i;
        ssize_t n;
        int r;

        if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t) len)
                return -errno;
        n = raw_recv(fd, buf, sizeof(buf), fds, &n_fds);
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

/* Encodes a request of @type for a name of @len raw bytes (which may hold NULs). */
static int raw_encode(void *buf, size_t size, uint16_t type, uint32_t seq, const char *name,
                      size_t len)
{
        char tmp[SHMB_PROTO_NAME_WIRE_MAX + 1];
        size_t i;
        int n;

        if (len > SHMB_PROTO_NAME_WIRE_MAX)
                return -ENAMETOOLONG;
        /* The encoders take C strings: encode with a stand-in, then put the real bytes. */
        for (i = 0; i < len; i++)
                tmp[i] = name[i] ? name[i] : '@';
        tmp[len] = '\0';
        switch (type) {
        case SHMB_PROTO_CREATE:
                n = shmb_proto_encode_create(buf, size, seq, tmp,
                                             &(struct shmb_proto_create_args) {
                                                     .size = 4096,
                                                     .access = SHMB_PROTO_ACCESS_RDWR,
                                             });
                break;
        case SHMB_PROTO_OPEN:
                n = shmb_proto_encode_open(buf, size, seq, tmp, SHMB_PROTO_ACCESS_RDWR);
                break;
        default:
                n = shmb_proto_encode_name_req(buf, size, type, seq, tmp, 0);
        }
        if (n < 0)
                return n;
        memcpy((uint8_t *) buf + n - len, name, len);
        return n;
}

static int raw_expect_error(int fd, uint16_t type, uint32_t seq, const char *name, size_t len,
                            int error)
{
        static uint8_t req[SHMB_PROTO_MSG_MAX];
        static struct shmb_proto_reply reply;
        int n, r;

        n = raw_encode(req, sizeof(req), type, seq, name, len);
        CHILD_CHECK(n > 0);
        r = raw_call(fd, req, (size_t) n, &reply, NULL);
        if (r < 0)
                fprintf(stderr, "request 0x%02x for a %zu-byte name: %s\n", type, len,
                        strerror(-r));
        CHILD_CHECK_EQ(r, 0);
        CHILD_CHECK_EQ(reply.seq, seq);
        CHILD_CHECK_EQ(reply.type, SHMB_PROTO_REPLY_ERROR);
        if (reply.error != error)
                fprintf(stderr, "request 0x%02x for a %zu-byte name: %s, expected %s\n", type,
                        len, strerror(reply.error), strerror(error));
        CHILD_CHECK_EQ(reply.error, error);
        return 0;
}

static int child_names_raw(void *userdata)
{
        static const uint16_t types[] = {
                SHMB_PROTO_CREATE, SHMB_PROTO_OPEN, SHMB_PROTO_STAT, SHMB_PROTO_UNLINK,
        };
        static const char nul_name[] = "demo-x\0y";
        const struct names_case *t = userdata;
        static uint8_t req[SHMB_PROTO_MSG_MAX];
        static struct shmb_proto_reply reply;
        static char too_long[SHMB_PROTO_NAME_WIRE_MAX + 2];
        struct shmb_proto_header h;
        struct shmb_proto_open o = { .access = SHMB_PROTO_ACCESS_RDONLY };
        uint32_t seq = 100;
        struct stat st;
        size_t i, k;
        int fd, obj = -1, r;
        ssize_t n;

        fd = raw_connect(t->d->socket_path);
        CHILD_CHECK(fd >= 0);
        for (k = 0; k < ELEMENTSOF(types); k++) {
                for (i = 0; i < ELEMENTSOF(bad_names); i++) {
                        r = raw_expect_error(fd, types[k], seq++, bad_names[i].name,
                                             bad_names[i].len, bad_names[i].error);
                        if (r != 0)
                                return r;
                }
                r = raw_expect_error(fd, types[k], seq++, nul_name, sizeof(nul_name) - 1,
                                     EINVAL);
                if (r != 0)
                        return r;
                r = raw_expect_error(fd, types[k], seq++, long_name, strlen(long_name),
                                     ENAMETOOLONG);
                if (r != 0)
                        return r;
                r = raw_expect_error(fd, types[k], seq++, long_demo_name,
                                     strlen(long_demo_name), ENAMETOOLONG);
                if (r != 0)
                        return r;
        }

        /* The same connection still serves a good request. */
        n = shmb_proto_encode_create(req, sizeof(req), seq, "/demo-raw",
                                     &(struct shmb_proto_create_args) {
                                             .size = 4096, .access = SHMB_PROTO_ACCESS_RDWR,
                                     });
        CHILD_CHECK(n > 0);
        CHILD_CHECK_EQ(raw_call(fd, req, (size_t) n, &reply, &obj), 0);
        CHILD_CHECK_EQ(reply.seq, seq);
        CHILD_CHECK_EQ(reply.type, SHMB_PROTO_REPLY_FD);
        CHILD_CHECK_EQ(reply.fd.access, SHMB_PROTO_ACCESS_RDWR);
        CHILD_CHECK_EQ(reply.fd.backend, SHMB_PROTO_BACKEND_SHM);
        CHILD_CHECK_EQ(reply.fd.size, 4096);
        CHILD_CHECK(obj >= 0);
        CHILD_CHECK_EQ(fstat(obj, &st), 0);
        CHILD_CHECK_EQ(st.st_size, 4096);
        CHILD_CHECK_EQ(fcntl(obj, F_GETFL) & O_ACCMODE, O_RDWR);
        CHILD_CHECK_EQ(close(obj), 0);
        seq++;
        n = shmb_proto_encode_name_req(req, sizeof(req), SHMB_PROTO_UNLINK, seq, "demo-raw", 0);
        CHILD_CHECK(n > 0);
        CHILD_CHECK_EQ(raw_call(fd, req, (size_t) n, &reply, NULL), 0);
        CHILD_CHECK_EQ(reply.seq, seq);
        CHILD_CHECK_EQ(reply.type, SHMB_PROTO_REPLY_OK);
        CHILD_CHECK_EQ(close(fd), 0);

        /*
         * A name longer than the wire allows is a protocol error, not a name error: the
         * daemon drops the connection (an error reply first is allowed). Built by hand, as
         * the encoders refuse it.
         */
        fd = raw_connect(t->d->socket_path);
        CHILD_CHECK(fd >= 0);
        memset(too_long, 'c', sizeof(too_long) - 1);
        o.name_len = SHMB_PROTO_NAME_WIRE_MAX + 1;
        h = (struct shmb_proto_header) { .magic = SHMB_PROTO_MAGIC,
                                         .version = SHMB_PROTO_VERSION,
                                         .type = SHMB_PROTO_OPEN, .seq = 7,
                                         .len = sizeof(o) + o.name_len };
        memcpy(req, &h, sizeof(h));
        memcpy(req + sizeof(h), &o, sizeof(o));
        memcpy(req + sizeof(h) + sizeof(o), too_long, o.name_len);
        r = raw_call(fd, req, sizeof(h) + sizeof(o) + o.name_len, &reply, NULL);
        if (r == 0) {
                int fds[SHMB_PROTO_FDS_MAX];
                size_t n_fds;

                CHILD_CHECK_EQ(reply.type, SHMB_PROTO_REPLY_ERROR);
                r = (int) raw_recv(fd, req, sizeof(req), fds, &n_fds);
                CHILD_CHECK(r == 0 || r == -ECONNRESET);
        } else {
                CHILD_CHECK(r == -ECONNRESET);
        }
        CHILD_CHECK_EQ(close(fd), 0);
        return 0;
}

static void test_names_raw(void **state)
{
        struct names_case t = { .d = *state };

        RUN_AS(&id_creator, child_names_raw, &t);
        assert_true(access(harness_shm_path(t.d, "demo-raw"), F_OK) < 0);
}

static void test_names_slash_alias(void **state)
{
        const struct harness_daemon *d = *state;
        struct op w = { .d = d, .kind = OP_CREATE, .name = "/demo-slash", .size = 4096,
                        .access = SHMB_ACCESS_RDWR, .write = hello, .write_len = sizeof(hello) };
        struct op r = { .d = d, .kind = OP_OPEN, .name = "demo-slash",
                        .access = SHMB_ACCESS_RDONLY, .expect = hello,
                        .expect_len = sizeof(hello) };

        assert_int_equal(op_run(&id_creator, &w), 0);
        /* One object, under its canonical name. */
        assert_object(d, "demo-slash", HARNESS_UID_1, HARNESS_GID_2, 0660);
        assert_int_equal(op_run(&id_reader, &r), 0);
        r.name = "/demo-slash";
        assert_int_equal(op_run(&id_reader, &r), 0);
        assert_int_equal(do_create(d, &id_creator, "demo-slash", 4096, SHMB_ACCESS_NONE),
                         -EEXIST);
        assert_int_equal(do_create(d, &id_creator, "/demo-slash", 4096, SHMB_ACCESS_NONE),
                         -EEXIST);
        /* "/x" is judged as "x": a rule for demo-* is not escaped by the slash. */
        assert_int_equal(do_open(d, &id_outsider, "/demo-slash", SHMB_ACCESS_RDONLY), -EACCES);
        assert_int_equal(do_unlink(d, &id_creator, "/demo-slash"), 0);
        assert_int_equal(do_open(d, &id_reader, "demo-slash", SHMB_ACCESS_RDONLY), -ENOENT);
}

static void test_names_max_length(void **state)
{
        const struct harness_daemon *d = *state;
        char name[SHMB_NAME_MAX + 2];

        /* Exactly 255 bytes is a good name, with or without the slash (256 bytes then). */
        name[0] = '/';
        memcpy(name + 1, "demo-", 5);
        memset(name + 6, 'm', SHMB_NAME_MAX - 5);
        name[SHMB_NAME_MAX + 1] = '\0';
        assert_int_equal(strlen(name + 1), SHMB_NAME_MAX);

        assert_int_equal(do_create(d, &id_creator, name + 1, 4096, SHMB_ACCESS_NONE), 0);
        assert_object(d, name + 1, HARNESS_UID_1, HARNESS_GID_2, 0660);
        assert_int_equal(do_open(d, &id_reader, name, SHMB_ACCESS_RDONLY), 0);
        assert_int_equal(do_unlink(d, &id_creator, name), 0);
        assert_true(access(harness_shm_path(d, name + 1), F_OK) < 0);
}

/* ------------------------------------------------------------------------------------------
 * e. Things planted in the object directory
 */

/* After an attack: the daemon is up and a create by another uid works. */
static void assert_unharmed(const struct harness_daemon *d)
{
        assert_true(harness_daemon_alive(d));
        assert_int_equal(do_create(d, &id_creator, "demo-after", 4096, SHMB_ACCESS_RDWR), 0);
        assert_int_equal(do_open(d, &id_reader, "demo-after", SHMB_ACCESS_RDONLY), 0);
        assert_int_equal(do_unlink(d, &id_creator, "demo-after"), 0);
}

/* An open of a planted @name must fail, and quickly: a file the daemon did not make is not an
 * object, whatever it looks like, so the answer is the one for a name without an object. */
static void assert_open_refused(const struct harness_daemon *d, const struct harness_id *id,
                               const char *name, int access)
{
        struct timespec a, b;
        long ms;
        int r;

        (void) clock_gettime(CLOCK_MONOTONIC, &a);
        r = do_open(d, id, name, access);
        (void) clock_gettime(CLOCK_MONOTONIC, &b);
        ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
        fprintf(stderr, "# open('%s', %d) as uid %u: %s in %ld ms\n", name, access,
                (unsigned) id->uid, r < 0 ? strerror(-r) : "SUCCEEDED", ms);
        if (r == 0)
                fail_msg("the daemon handed out '%s', a file it did not create", name);
        assert_true(ms < 3000);
        assert_int_equal(r, -ENOENT);
}

static void write_all(int fd, const void *p, size_t n)
{
        assert_int_equal(write(fd, p, n), (ssize_t) n);
}

static void assert_file_content(const char *path, const char *want)
{
        char buf[256];
        ssize_t n;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        assert_true(fd >= 0);
        n = read(fd, buf, sizeof(buf));
        assert_int_equal(close(fd), 0);
        assert_int_equal(n, (ssize_t) strlen(want));
        assert_memory_equal(buf, want, strlen(want));
}

static void test_planted_symlink(void **state)
{
        const struct harness_daemon *d = *state;
        static const char victim_data[] = "the victim's data\n";
        char victim[PATH_MAX + 16], inside[PATH_MAX + 16], target[PATH_MAX + 16];
        struct stat st;
        ssize_t n;
        int fd;

        /* A victim elsewhere, root's, 0600. */
        snprintf(victim, sizeof(victim), "%s/victim", d->run_dir);
        fd = open(victim, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        write_all(fd, victim_data, strlen(victim_data));
        assert_int_equal(close(fd), 0);
        assert_int_equal(symlink(victim, harness_shm_path(d, "demo-link")), 0);

        /* A victim inside the object directory whose owner, group and mode look right, so
         * only not following the link keeps the daemon from handing it out. */
        snprintf(inside, sizeof(inside), "%s", harness_shm_path(d, "victim"));
        fd = open(inside, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        assert_true(fd >= 0);
        write_all(fd, victim_data, strlen(victim_data));
        assert_int_equal(fchown(fd, HARNESS_UID_1, HARNESS_GID_2), 0);
        assert_int_equal(fchmod(fd, 0640), 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(symlink("victim", harness_shm_path(d, "demo-link2")), 0);
        assert_int_equal(lchown(harness_shm_path(d, "demo-link2"), HARNESS_UID_1,
                                HARNESS_GID_2), 0);

        assert_open_refused(d, &id_creator, "demo-link", SHMB_ACCESS_ANY);
        assert_open_refused(d, &id_reader, "demo-link", SHMB_ACCESS_RDONLY);
        assert_open_refused(d, &id_creator, "demo-link2", SHMB_ACCESS_RDWR);
        assert_open_refused(d, &id_reader, "demo-link2", SHMB_ACCESS_RDONLY);
        assert_int_equal(do_create(d, &id_creator, "demo-link", 4096, SHMB_ACCESS_RDWR),
                         -EEXIST);
        assert_int_equal(do_create(d, &id_creator, "demo-link2", 4096, SHMB_ACCESS_NONE),
                         -EEXIST);

        /* The victims are untouched, and the links are still the links. */
        assert_int_equal(stat(victim, &st), 0);
        assert_int_equal(st.st_uid, 0);
        assert_int_equal(st.st_gid, 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(st.st_size, (off_t) strlen(victim_data));
        assert_int_equal(acl_extended_file(victim), 0);
        assert_file_content(victim, victim_data);
        assert_int_equal(stat(inside, &st), 0);
        assert_int_equal(st.st_uid, HARNESS_UID_1);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(acl_extended_file(inside), 0);
        assert_file_content(inside, victim_data);
        assert_int_equal(lstat(harness_shm_path(d, "demo-link"), &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        n = readlink(harness_shm_path(d, "demo-link"), target, sizeof(target) - 1);
        assert_true(n > 0);
        target[n] = '\0';
        assert_string_equal(target, victim);

        assert_unharmed(d);
        assert_int_equal(unlink(harness_shm_path(d, "demo-link")), 0);
        assert_int_equal(unlink(harness_shm_path(d, "demo-link2")), 0);
        assert_int_equal(unlink(inside), 0);
        assert_int_equal(unlink(victim), 0);
}

static void test_planted_special(void **state)
{
        const struct harness_daemon *d = *state;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(closep) int sock = -1;
        struct stat st;

        /* A FIFO with a plausible owner: opening it must neither block nor succeed. */
        assert_int_equal(mkfifo(harness_shm_path(d, "demo-fifo"), 0640), 0);
        assert_int_equal(chown(harness_shm_path(d, "demo-fifo"), HARNESS_UID_1,
                               HARNESS_GID_2), 0);
        assert_int_equal(chmod(harness_shm_path(d, "demo-fifo"), 0640), 0);
        assert_open_refused(d, &id_creator, "demo-fifo", SHMB_ACCESS_RDWR);
        assert_open_refused(d, &id_reader, "demo-fifo", SHMB_ACCESS_RDONLY);
        assert_int_equal(do_create(d, &id_creator, "demo-fifo", 4096, SHMB_ACCESS_NONE),
                         -EEXIST);
        assert_int_equal(lstat(harness_shm_path(d, "demo-fifo"), &st), 0);
        assert_true(S_ISFIFO(st.st_mode));

        /* A directory. */
        assert_int_equal(mkdir(harness_shm_path(d, "demo-dir"), 0750), 0);
        assert_int_equal(chown(harness_shm_path(d, "demo-dir"), HARNESS_UID_1, HARNESS_GID_2),
                         0);
        assert_open_refused(d, &id_creator, "demo-dir", SHMB_ACCESS_RDWR);
        assert_open_refused(d, &id_reader, "demo-dir", SHMB_ACCESS_RDONLY);
        assert_int_equal(do_create(d, &id_creator, "demo-dir", 4096, SHMB_ACCESS_NONE),
                         -EEXIST);

        /* A socket. */
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", harness_shm_path(d, "demo-sock"));
        sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(sock >= 0);
        assert_int_equal(bind(sock, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(sock, 1), 0);
        assert_int_equal(chown(sa.sun_path, HARNESS_UID_1, HARNESS_GID_2), 0);
        assert_open_refused(d, &id_creator, "demo-sock", SHMB_ACCESS_RDWR);
        assert_open_refused(d, &id_reader, "demo-sock", SHMB_ACCESS_RDONLY);
        assert_int_equal(do_create(d, &id_creator, "demo-sock", 4096, SHMB_ACCESS_NONE),
                         -EEXIST);

        assert_unharmed(d);
        assert_int_equal(unlink(harness_shm_path(d, "demo-fifo")), 0);
        assert_int_equal(rmdir(harness_shm_path(d, "demo-dir")), 0);
        assert_int_equal(unlink(harness_shm_path(d, "demo-sock")), 0);
}

static void test_planted_squat(void **state)
{
        const struct harness_daemon *d = *state;
        static const char squat_data[] = "squatter was here\n";
        _cleanup_(closep) int fd = -1;
        const char *path = harness_shm_path(d, "demo-squat");
        char buf[sizeof(squat_data)];
        struct stat st;

        /* uid 41004 made the name first and keeps a read-write fd on it. */
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        assert_true(fd >= 0);
        write_all(fd, squat_data, strlen(squat_data));
        assert_int_equal(fchown(fd, HARNESS_UID_4, HARNESS_GID_3), 0);
        assert_int_equal(fchmod(fd, 0666), 0);

        assert_open_refused(d, &id_creator, "demo-squat", SHMB_ACCESS_RDWR);
        assert_open_refused(d, &id_reader, "demo-squat", SHMB_ACCESS_RDONLY);
        assert_int_equal(do_create(d, &id_creator, "demo-squat", 4096, SHMB_ACCESS_RDWR),
                         -EEXIST);
        assert_int_equal(do_create(d, &id_creator, "/demo-squat", 4096, SHMB_ACCESS_NONE),
                         -EEXIST);

        /* Never adopted: not chowned, chmodded, ACL'd, resized or rewritten. */
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_uid, HARNESS_UID_4);
        assert_int_equal(st.st_gid, HARNESS_GID_3);
        assert_int_equal(st.st_mode & 07777, 0666);
        assert_int_equal(st.st_nlink, 1);
        assert_int_equal(st.st_size, (off_t) strlen(squat_data));
        assert_int_equal(acl_extended_file(path), 0);
        assert_int_equal(pread(fd, buf, sizeof(buf), 0), (ssize_t) strlen(squat_data));
        assert_memory_equal(buf, squat_data, strlen(squat_data));

        assert_unharmed(d);
        assert_int_equal(unlink(path), 0);
}

static void test_planted_hardlink(void **state)
{
        const struct harness_daemon *d = *state;
        char twin[PATH_MAX + 16];
        const char *path;
        struct stat st;
        int fd;

        /* Right owner, group and mode, but a second name: someone else can reach it. */
        path = harness_shm_path(d, "demo-hard");
        fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 4096), 0);
        assert_int_equal(fchown(fd, HARNESS_UID_1, HARNESS_GID_2), 0);
        assert_int_equal(fchmod(fd, 0640), 0);
        assert_int_equal(close(fd), 0);
        snprintf(twin, sizeof(twin), "%s", harness_shm_path(d, "zz-hard-twin"));
        path = harness_shm_path(d, "demo-hard");
        assert_int_equal(link(path, twin), 0);

        assert_open_refused(d, &id_creator, "demo-hard", SHMB_ACCESS_RDWR);
        assert_open_refused(d, &id_reader, "demo-hard", SHMB_ACCESS_RDONLY);
        assert_int_equal(do_create(d, &id_creator, "demo-hard", 4096, SHMB_ACCESS_NONE),
                         -EEXIST);

        path = harness_shm_path(d, "demo-hard");
        assert_int_equal(lstat(path, &st), 0);
        assert_int_equal(st.st_nlink, 2);
        assert_int_equal(st.st_uid, HARNESS_UID_1);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(acl_extended_file(path), 0);

        assert_unharmed(d);
        assert_int_equal(unlink(harness_shm_path(d, "demo-hard")), 0);
        assert_int_equal(unlink(twin), 0);
}

/* ------------------------------------------------------------------------------------------
 * h. shmbrokerctl as other users
 */

#define CTL(d, id, in, in_len, res, ...)                                                \
        ctl_run((d), (id), (in), (in_len), (res), (const char *const[]) { __VA_ARGS__, NULL })

static void ctl_run(const struct harness_daemon *d, const struct harness_id *id,
                    const void *in, size_t in_len, struct harness_exec_result *res,
                    const char *const *args)
{
        int r;

        harness_exec_result_done(res);
        r = harness_ctl(d, id, args, in, in_len, res);
        if (r < 0)
                fail_msg("running shmbrokerctl %s: %s", args[0], strerror(-r));
        if (res->status == -ETIMEDOUT)
                fail_msg("shmbrokerctl %s (uid %u) timed out", args[0], (unsigned) id->uid);
}

static void assert_ctl_ok(const struct harness_exec_result *res)
{
        if (res->status != 0)
                fail_msg("shmbrokerctl exited %d, stderr: '%s'", res->status, res->err);
        assert_string_equal(res->err, "");
}

static void assert_ctl_error(const struct harness_exec_result *res, const char *err)
{
        if (res->status != 1)
                fail_msg("shmbrokerctl exited %d, expected 1; stderr: '%s'", res->status,
                         res->err);
        assert_string_equal(res->err, err);
        assert_int_equal(res->out_len, 0);
}

static const char ctl_bytes[] = "written via shmbrokerctl\n";

/* demo-x, made afresh by the creator with ctl_bytes written by the writer. */
static void ctl_make_demo_x(const struct harness_daemon *d, struct harness_exec_result *res)
{
        CTL(d, &id_creator, NULL, 0, res, "unlink", "demo-x");
        CTL(d, &id_creator, NULL, 0, res, "create", "demo-x", "--size", "4096");
        assert_ctl_ok(res);
        assert_object(d, "demo-x", HARNESS_UID_1, HARNESS_GID_2, 0660);
        CTL(d, &id_writer, ctl_bytes, strlen(ctl_bytes), res, "write", "demo-x");
        assert_ctl_ok(res);
}

static void test_ctl_create_write_read(void **state)
{
        const struct harness_daemon *d = *state;
        struct harness_exec_result res = {};

        ctl_make_demo_x(d, &res);

        CTL(d, &id_reader, NULL, 0, &res, "read", "demo-x", "--length", "25");
        assert_ctl_ok(&res);
        assert_int_equal(res.out_len, strlen(ctl_bytes));
        assert_memory_equal(res.out, ctl_bytes, strlen(ctl_bytes));
        CTL(d, &id_group_reader, NULL, 0, &res, "read", "demo-x", "--offset", "8",
            "--length", "3");
        assert_ctl_ok(&res);
        assert_int_equal(res.out_len, 3);
        assert_memory_equal(res.out, "via", 3);
        /* Without --length: the whole segment, the rest zeroes. */
        CTL(d, &id_reader, NULL, 0, &res, "read", "demo-x");
        assert_ctl_ok(&res);
        assert_int_equal(res.out_len, 4096);
        assert_memory_equal(res.out, ctl_bytes, strlen(ctl_bytes));
        assert_int_equal(res.out[4095], 0);
        /* --offset on write. */
        CTL(d, &id_writer, "XYZ", 3, &res, "write", "demo-x", "--offset", "8");
        assert_ctl_ok(&res);
        CTL(d, &id_reader, NULL, 0, &res, "read", "demo-x", "--length", "11");
        assert_ctl_ok(&res);
        assert_int_equal(res.out_len, 11);
        assert_memory_equal(res.out, "written XYZ", 11);

        CTL(d, &id_reader, NULL, 0, &res, "stat", "demo-x");
        assert_ctl_ok(&res);
        assert_true(res.out_len > 0);
        CTL(d, &id_reader, NULL, 0, &res, "list");
        assert_ctl_ok(&res);
        assert_non_null(strstr(res.out, "demo-x"));
        CTL(d, &id_outsider, NULL, 0, &res, "list");
        assert_ctl_ok(&res);
        assert_null(strstr(res.out, "demo-x"));

        CTL(d, &id_creator, NULL, 0, &res, "unlink", "demo-x");
        assert_ctl_ok(&res);
        CTL(d, &id_reader, NULL, 0, &res, "read", "demo-x");
        assert_ctl_error(&res, "shmbrokerctl: demo-x: No such file or directory "
                               "(no such object)\n");
        harness_exec_result_done(&res);
}

/* Every refusal names its reason after the strerror text (issue 11). */
static void test_ctl_denied(void **state)
{
        const struct harness_daemon *d = *state;
        static const char no_read[] =
                "shmbrokerctl: demo-x: Permission denied (the rule does not let you read)\n";
        static const char no_write[] =
                "shmbrokerctl: demo-x: Permission denied (the rule does not let you write)\n";
        struct harness_exec_result res = {};

        ctl_make_demo_x(d, &res);

        CTL(d, &id_outsider, NULL, 0, &res, "read", "demo-x");
        assert_ctl_error(&res, no_read);
        CTL(d, &id_outsider, NULL, 0, &res, "stat", "demo-x");
        assert_ctl_error(&res, "shmbrokerctl: demo-x: No such file or directory "
                               "(the rule does not let you read)\n");
        CTL(d, &id_reader, "nope", 4, &res, "write", "demo-x");
        assert_ctl_error(&res, no_write);
        CTL(d, &id_writer, NULL, 0, &res, "unlink", "demo-x");
        assert_ctl_error(&res, "shmbrokerctl: demo-x: Permission denied "
                               "(the rule does not let you create)\n");
        CTL(d, &id_outsider, NULL, 0, &res, "exec", "demo-x", "--", "/bin/true");
        assert_ctl_error(&res, no_read);
        CTL(d, &id_reader, NULL, 0, &res, "exec", "demo-x:rw", "--", "/bin/true");
        assert_ctl_error(&res, no_write);
        CTL(d, &id_writer, NULL, 0, &res, "create", "demo-y", "--size", "4096");
        assert_ctl_error(&res, "shmbrokerctl: demo-y: Permission denied "
                               "(the rule does not let you create)\n");
        CTL(d, &id_writer, NULL, 0, &res, "create", "nothing-y", "--size", "4096");
        assert_ctl_error(&res, "shmbrokerctl: nothing-y: Permission denied "
                               "(no rule matches this name)\n");

        /* Nothing changed. */
        CTL(d, &id_reader, NULL, 0, &res, "read", "demo-x", "--length", "25");
        assert_ctl_ok(&res);
        assert_memory_equal(res.out, ctl_bytes, strlen(ctl_bytes));
        CTL(d, &id_creator, NULL, 0, &res, "unlink", "demo-x");
        assert_ctl_ok(&res);
        harness_exec_result_done(&res);
}

/*
 * Owner=%u for a creator whose uid has no user name: the rule cannot make the object. The
 * answer says so (it once said "no such object", and the log nothing).
 */
static void test_ctl_owner_nameless(void **state)
{
        static const char policy[] =
                "[Segment named]\n"
                "Names=nm-*\n"
                "Create=*\n"
                "ReadWrite=*\n"
                "Owner=%u\n"
                "Mode=0600\n"
                "MaxSize=1M\n";
        struct harness_daemon *d = own_start(policy, NULL);
        struct harness_exec_result res = {};

        (void) state;
        /* 41004 has no passwd entry. */
        assert_null(getpwuid(HARNESS_UID_4));
        CTL(d, &id_outsider, NULL, 0, &res, "create", "nm-x", "--size", "4096");
        assert_ctl_error(&res, "shmbrokerctl: nm-x: Permission denied (the rule cannot make "
                               "objects (see the broker's log))\n");
        CTL(d, &id_outsider, NULL, 0, &res, "stat", "nm-x");
        assert_ctl_error(&res, "shmbrokerctl: nm-x: No such file or directory "
                               "(no such object)\n");
        harness_exec_result_done(&res);
        own_stop();
}

static unsigned long fdinfo_flags(const char *out)
{
        const char *p = strstr(out, "flags:");

        if (!p)
                fail_msg("no fdinfo flags in: '%s'", out);
        return strtoul(p + strlen("flags:"), NULL, 8);
}

static void test_ctl_exec(void **state)
{
        const struct harness_daemon *d = *state;
        static const char script[] =
                "printf '%s|%s\\n' \"$SHMBROKER_FDS\" \"$SHMBROKER_NAMES\"; "
                "grep '^flags:' /proc/self/fdinfo/3; "
                "test -r /proc/self/fd/3 && echo R; "
                "test -w /proc/self/fd/3 || echo NW; "
                "head -c 24 <&3; echo";
        struct harness_exec_result res = {};

        ctl_make_demo_x(d, &res);

        /* :ro, as the reader. */
        CTL(d, &id_reader, NULL, 0, &res, "exec", "demo-x:ro", "--", "/bin/sh", "-c", script);
        assert_ctl_ok(&res);
        assert_true(strncmp(res.out, "1|demo-x\n", 9) == 0);
        assert_int_equal(fdinfo_flags(res.out) & O_ACCMODE, O_RDONLY);
        assert_non_null(strstr(res.out, "\nR\n"));
        assert_non_null(strstr(res.out, "\nNW\n"));
        assert_non_null(strstr(res.out, "written via shmbrokerctl\n"));

        /* No suffix: read-write if allowed (the writer), else read-only (the reader). */
        CTL(d, &id_writer, NULL, 0, &res, "exec", "demo-x", "--", "/bin/sh", "-c", script);
        assert_ctl_ok(&res);
        assert_int_equal(fdinfo_flags(res.out) & O_ACCMODE, O_RDWR);
        assert_null(strstr(res.out, "\nNW\n"));
        CTL(d, &id_reader, NULL, 0, &res, "exec", "demo-x", "--", "/bin/sh", "-c", script);
        assert_ctl_ok(&res);
        assert_int_equal(fdinfo_flags(res.out) & O_ACCMODE, O_RDONLY);
        CTL(d, &id_writer, NULL, 0, &res, "exec", "demo-x:ro", "--", "/bin/sh", "-c", script);
        assert_ctl_ok(&res);
        assert_int_equal(fdinfo_flags(res.out) & O_ACCMODE, O_RDONLY);

        /* Two segments: fds 3 and 4, names joined by ':'. */
        CTL(d, &id_creator, NULL, 0, &res, "create", "demo-z", "--size", "4096");
        assert_ctl_ok(&res);
        CTL(d, &id_creator, NULL, 0, &res, "exec", "demo-x:ro", "demo-z", "--", "/bin/sh", "-c",
            "echo \"$SHMBROKER_FDS|$SHMBROKER_NAMES\"; grep '^flags:' /proc/self/fdinfo/4");
        assert_ctl_ok(&res);
        assert_true(strncmp(res.out, "2|demo-x:demo-z\n", 16) == 0);
        assert_int_equal(fdinfo_flags(res.out) & O_ACCMODE, O_RDWR);

        /* The command's exit status comes back. */
        CTL(d, &id_reader, NULL, 0, &res, "exec", "demo-x", "--", "/bin/sh", "-c", "exit 3");
        assert_int_equal(res.status, 3);

        CTL(d, &id_creator, NULL, 0, &res, "unlink", "demo-z");
        assert_ctl_ok(&res);
        CTL(d, &id_creator, NULL, 0, &res, "unlink", "demo-x");
        assert_ctl_ok(&res);
        harness_exec_result_done(&res);
}

/* ------------------------------------------------------------------------------------------
 * f. umask has no effect; i. the embedded default policy (each with a daemon of its own)
 */

static void umask_case(mode_t mask)
{
        struct harness_daemon_options opts = { .set_umask = true, .umask = mask };
        struct harness_daemon *d = own_start(policy_umask, &opts);
        struct stat st;

        /* The socket is for everyone whatever the umask: the policy decides. */
        assert_int_equal(stat(d->socket_path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0666);

        assert_int_equal(do_create(d, &id_creator, "pub-um", 4096, SHMB_ACCESS_NONE), 0);
        assert_object(d, "pub-um", HARNESS_UID_1, HARNESS_GID_2, 0644);
        assert_int_equal(acl_extended_file(harness_shm_path(d, "pub-um")), 0);
        assert_int_equal(do_create(d, &id_creator, "priv-um", 4096, SHMB_ACCESS_NONE), 0);
        assert_object(d, "priv-um", HARNESS_UID_1, HARNESS_GID_2, 0600);
        assert_int_equal(acl_extended_file(harness_shm_path(d, "priv-um")), 0);
        assert_int_equal(do_create(d, &id_creator, "demo-um", 4096, SHMB_ACCESS_RDWR), 0);
        assert_object(d, "demo-um", HARNESS_UID_1, HARNESS_GID_2, 0660);
        assert_file_acl(harness_shm_path(d, "demo-um"), acl_demo, ELEMENTSOF(acl_demo));
        /* ReadOnly=* lets anyone read pub-*. */
        assert_int_equal(do_open(d, &id_outsider, "pub-um", SHMB_ACCESS_RDONLY), 0);
        assert_int_equal(do_open(d, &id_outsider, "pub-um", SHMB_ACCESS_RDWR), -EACCES);

        assert_int_equal(do_unlink(d, &id_creator, "pub-um"), 0);
        assert_int_equal(do_unlink(d, &id_creator, "priv-um"), 0);
        assert_int_equal(do_unlink(d, &id_creator, "demo-um"), 0);
        assert_serving(d);
        own_stop();
}

static void test_umask_000(void **state)
{
        umask_case(0);
}

static void test_umask_077(void **state)
{
        umask_case(077);
}

static void test_umask_022(void **state)
{
        umask_case(022);
}

/* A default ACL on the object directory must not leak into the objects. */
static void test_default_acl_on_dir(void **state)
{
        struct harness_daemon *d = own_start(policy_demo, NULL);
        static const struct ace plain[] = {
                { ACL_USER_OBJ, ACE_NO_ID, 6 },
                { ACL_GROUP_OBJ, ACE_NO_ID, 0 },
                { ACL_OTHER, ACE_NO_ID, 0 },
        };
        acl_t def;

        def = acl_from_text("u::rwx,u:41004:rwx,g::rwx,g:42003:rwx,m::rwx,o::rwx");
        assert_non_null(def);
        assert_int_equal(acl_set_file(d->shm_dir, ACL_TYPE_DEFAULT, def), 0);
        acl_free(def);

        assert_int_equal(do_create(d, &id_creator, "demo-dacl", 4096, SHMB_ACCESS_NONE), 0);
        assert_object(d, "demo-dacl", HARNESS_UID_1, HARNESS_GID_2, 0660);
        assert_file_acl(harness_shm_path(d, "demo-dacl"), acl_demo, ELEMENTSOF(acl_demo));
        assert_int_equal(do_create(d, &id_creator, "priv-dacl", 4096, SHMB_ACCESS_NONE), 0);
        assert_object(d, "priv-dacl", HARNESS_UID_1, HARNESS_GID_2, 0600);
        assert_file_acl(harness_shm_path(d, "priv-dacl"), plain, ELEMENTSOF(plain));
        /* The inherited u:41004:rwx is gone from the policy's point of view too. */
        assert_int_equal(do_open(d, &id_outsider, "demo-dacl", SHMB_ACCESS_RDONLY), -EACCES);

        assert_int_equal(do_unlink(d, &id_creator, "demo-dacl"), 0);
        assert_int_equal(do_unlink(d, &id_creator, "priv-dacl"), 0);
        assert_int_equal(acl_delete_def_file(d->shm_dir), 0);
        assert_serving(d);
        own_stop();
}

/* An object directory that is not a tmpfs is refused at start. */
static void test_not_tmpfs(void **state)
{
        struct harness_daemon_options opts = { .shm_parent = "/var/tmp" };
        struct harness_daemon *d = NULL;
        struct statfs sfs;

        assert_int_equal(statfs(opts.shm_parent, &sfs), 0);
        if (sfs.f_type == TMPFS_MAGIC) {
                print_message("%s is a tmpfs here; nothing to test\n", opts.shm_parent);
                skip();
        }
        fprintf(stderr, "# expected: shmbrokerd refuses to start on %s\n", opts.shm_parent);
        if (harness_daemon_start(policy_demo, &opts, &d) == 0) {
                own_daemon = d;
                fail_msg("shmbrokerd started with a non-tmpfs object directory");
        }
}

static void test_default_policy(void **state)
{
        const char *bin = getenv("SHMBROKERD");
        const char *const argv[] = { bin, "--print-default-policy", NULL };
        struct harness_exec_result res = {};
        struct harness_daemon *d;
        struct stat st;

        assert_non_null(bin);
        assert_int_equal(harness_exec(NULL, argv, NULL, 0, &res), 0);
        if (res.status != 0)
                fail_msg("shmbrokerd --print-default-policy exited %d: %s", res.status,
                         res.err);
        assert_true(res.out_len > 0);
        assert_int_equal(strlen(res.out), res.out_len);
        d = own_start(res.out, NULL);
        harness_exec_result_done(&res);

        /* Every user may create USERNAME-*, owned by them, mode 0600. */
        assert_int_equal(do_create(d, &id_root, "root-x", 4096, SHMB_ACCESS_RDWR), 0);
        assert_object(d, "root-x", 0, 0, 0600);
        assert_int_equal(acl_extended_file(harness_shm_path(d, "root-x")), 0);
        assert_int_equal(do_create(d, &id_nobody, "nobody-x", 4096, SHMB_ACCESS_RDWR), 0);
        /* The group is not fixed by the contract; the owner and mode are. */
        assert_int_equal(lstat(harness_shm_path(d, "nobody-x"), &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_nlink, 1);
        assert_int_equal(st.st_uid, 65534);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(acl_extended_file(harness_shm_path(d, "nobody-x")), 0);
        assert_int_equal(do_open(d, &id_nobody, "nobody-x", SHMB_ACCESS_RDWR), 0);
        assert_int_equal(do_open(d, &id_nobody, "/nobody-x", SHMB_ACCESS_RDONLY), 0);

        /* Nothing else: not another user's prefix, in either direction. */
        assert_int_equal(do_create(d, &id_nobody, "root-y", 4096, SHMB_ACCESS_RDWR), -EACCES);
        assert_int_equal(do_open(d, &id_nobody, "root-x", SHMB_ACCESS_RDONLY), -EACCES);
        assert_int_equal(do_unlink(d, &id_nobody, "root-x"), -EACCES);
        assert_int_equal(do_open(d, &id_root, "nobody-x", SHMB_ACCESS_RDONLY), -EACCES);
        assert_int_equal(do_create(d, &id_root, "nobody-y", 4096, SHMB_ACCESS_RDWR), -EACCES);
        assert_int_equal(do_create(d, &id_nobody, "x", 4096, SHMB_ACCESS_RDWR), -EACCES);
        assert_int_equal(do_create(d, &id_nobody, "nobody", 4096, SHMB_ACCESS_RDWR), -EACCES);
        assert_int_equal(do_create(d, &id_root, "demo-x", 4096, SHMB_ACCESS_RDWR), -EACCES);

        assert_int_equal(do_unlink(d, &id_root, "root-x"), 0);
        assert_int_equal(do_unlink(d, &id_nobody, "nobody-x"), 0);
        assert_serving(d);
        own_stop();
}

/* ------------------------------------------------------------------------------------------
 * Main
 */

static void test_requires_root(void **state)
{
        print_message("the integration tests switch uids and need root; skipped\n");
        skip();
}

/* A batch open decides each name as a single open would; all fds come in one reply. */
static int child_open_batch(void *userdata)
{
        const struct harness_daemon *d = userdata;
        struct shmb_open_req q[4] = {
                { .name = "demo-b1", .access = SHMB_ACCESS_RDWR },
                { .name = "mem-b2", .access = SHMB_ACCESS_RDONLY },
                { .name = "demo-missing", .access = SHMB_ACCESS_RDONLY },
                { .name = "/demo-b1", .access = SHMB_ACCESS_ANY },
        };
        struct shmb_client *c = NULL;
        size_t i;

        CHILD_CHECK_EQ(shmb_connect(d->socket_path, &c), 0);
        CHILD_CHECK_EQ(shmb_open_batch(c, q, 4), 3);
        CHILD_CHECK_EQ(q[0].error, 0);
        CHILD_CHECK_EQ(q[0].info.access, SHMB_ACCESS_RDWR);
        CHILD_CHECK_EQ(q[0].info.backend, SHMB_BACKEND_SHM);
        CHILD_CHECK_EQ(q[0].info.size, 4096);
        CHILD_CHECK_EQ(fcntl(q[0].fd, F_GETFL) & O_ACCMODE, O_RDWR);
        CHILD_CHECK_EQ(q[1].error, 0);
        CHILD_CHECK_EQ(q[1].info.backend, SHMB_BACKEND_MEMFD);
        CHILD_CHECK_EQ(fcntl(q[1].fd, F_GETFL) & O_ACCMODE, O_RDONLY);
        CHILD_CHECK_EQ(q[2].error, -ENOENT);
        CHILD_CHECK_EQ(q[2].fd, -1);
        CHILD_CHECK_EQ(q[3].error, 0);
        CHILD_CHECK_EQ(q[3].info.access, SHMB_ACCESS_RDWR);
        for (i = 0; i < 4; i++)
                if (q[i].fd >= 0)
                        CHILD_CHECK_EQ(close(q[i].fd), 0);
        /* Too many, or none: refused whole, nothing written. */
        CHILD_CHECK_EQ(shmb_open_batch(c, q, 0), -EINVAL);
        CHILD_CHECK_EQ(shmb_open_batch(c, q, SHMB_BATCH_MAX + 1), -EINVAL);
        shmb_client_free(c);
        return 0;
}

static int child_open_batch_denied(void *userdata)
{
        const struct harness_daemon *d = userdata;
        struct shmb_open_req q[2] = {
                { .name = "demo-b1", .access = SHMB_ACCESS_RDONLY },
                { .name = "mem-b2", .access = SHMB_ACCESS_ANY },
        };
        struct shmb_client *c = NULL;

        CHILD_CHECK_EQ(shmb_connect(d->socket_path, &c), 0);
        CHILD_CHECK_EQ(shmb_open_batch(c, q, 2), 0);
        CHILD_CHECK_EQ(q[0].error, -EACCES);
        CHILD_CHECK_EQ(q[1].error, -EACCES);
        CHILD_CHECK_EQ(q[0].fd, -1);
        CHILD_CHECK_EQ(q[1].fd, -1);
        shmb_client_free(c);
        return 0;
}

static void test_open_batch(void **state)
{
        const struct harness_daemon *d = *state;

        assert_int_equal(do_create(d, &id_creator, "demo-b1", 4096, SHMB_ACCESS_NONE), 0);
        assert_int_equal(do_create(d, &id_creator, "mem-b2", 4096, SHMB_ACCESS_NONE), 0);
        RUN_AS(&id_writer, child_open_batch, (void *) d);
        RUN_AS(&id_outsider, child_open_batch_denied, (void *) d);
        assert_int_equal(do_unlink(d, &id_creator, "demo-b1"), 0);
        assert_int_equal(do_unlink(d, &id_creator, "mem-b2"), 0);
}

#define T(fn) cmocka_unit_test_teardown(fn, test_teardown)
#define T_OWN(fn) cmocka_unit_test_teardown(fn, own_teardown)

int main(void)
{
        const struct CMUnitTest access_tests[] = {
                T(test_access_create_write_read),
                T(test_access_denied),
                T(test_access_create_fd),
                T(test_access_many_groups),
                T(test_identity_at_connect),
                T(test_writer_truncates_shm),
                T(test_access_unlink),
                T(test_acl_named),
                T(test_acl_plain),
                T(test_readonly_shm),
                T(test_readonly_memfd),
                T(test_stat),
                T(test_list),
                T(test_open_batch),
        };
        const struct CMUnitTest names_tests[] = {
                T(test_names_library),
                T(test_names_raw),
                T(test_names_slash_alias),
                T(test_names_max_length),
        };
        const struct CMUnitTest planted_tests[] = {
                T(test_planted_symlink),
                T(test_planted_special),
                T(test_planted_squat),
                T(test_planted_hardlink),
        };
        const struct CMUnitTest ctl_tests[] = {
                T(test_ctl_create_write_read),
                T(test_ctl_denied),
                T_OWN(test_ctl_owner_nameless),
                T(test_ctl_exec),
        };
        const struct CMUnitTest own_tests[] = {
                T_OWN(test_umask_000),
                T_OWN(test_umask_022),
                T_OWN(test_umask_077),
                T_OWN(test_default_acl_on_dir),
                T_OWN(test_not_tmpfs),
                T_OWN(test_default_policy),
        };
        const struct CMUnitTest skip_tests[] = {
                cmocka_unit_test(test_requires_root),
        };
        int failed = 0;

        if (geteuid() != 0) {
                (void) cmocka_run_group_tests_name("integration (needs root)", skip_tests, NULL,
                                                   NULL);
                return 77; /* automake: SKIP */
        }

        long_names_init();
        failed += cmocka_run_group_tests_name("access", access_tests, group_setup_demo,
                                              group_teardown);
        failed += cmocka_run_group_tests_name("names", names_tests, group_setup_demo,
                                              group_teardown);
        failed += cmocka_run_group_tests_name("planted", planted_tests, group_setup_demo,
                                              group_teardown);
        failed += cmocka_run_group_tests_name("shmbrokerctl", ctl_tests, group_setup_demo,
                                              group_teardown);
        failed += cmocka_run_group_tests_name("own-daemon", own_tests, NULL, NULL);
        return failed == 0 ? 0 : 1;
}
