/* SPDX-License-Identifier: MIT */
/*
 * registry.c - shared pieces of the registry suite; see registry.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <acl/libacl.h>
#include <sys/acl.h>

#include "macro.h"
#include "registry.h"

/* Their primary group is one of the harness's (no entry in /etc/group needed for that). */
const struct harness_id reg_id_alice = { .uid = REG_UID_ALICE, .gid = HARNESS_GID_3 };
const struct harness_id reg_id_bob = { .uid = REG_UID_BOB, .gid = HARNESS_GID_3 };

/* ------------------------------------------------------------------------------------------
 * Users with names
 */

static const struct {
        const char *name;
        uid_t uid;
} named_users[] = {
        { REG_NAME_ALICE, REG_UID_ALICE },
        { REG_NAME_BOB, REG_UID_BOB },
};
static bool users_made[ELEMENTSOF(named_users)];
static bool users_ok;

static bool user_is(const char *name, uid_t uid)
{
        struct passwd *pw = getpwnam(name);

        return pw && pw->pw_uid == uid;
}

int reg_group_setup(void **state)
{
        size_t i;

        users_ok = true;
        for (i = 0; i < ELEMENTSOF(named_users); i++) {
                char uid[16];
                const char *const argv[] = { "/usr/sbin/useradd", "--no-create-home",
                                             "--no-user-group", "--uid", uid, "--shell",
                                             "/usr/sbin/nologin", "--home-dir",
                                             "/nonexistent", named_users[i].name, NULL };
                struct harness_exec_result res = {};

                if (user_is(named_users[i].name, named_users[i].uid))
                        continue;
                snprintf(uid, sizeof(uid), "%u", (unsigned) named_users[i].uid);
                if (access(argv[0], X_OK) == 0 && harness_exec(NULL, argv, NULL, 0, &res) == 0 &&
                    res.status == 0)
                        users_made[i] = true;
                else
                        fprintf(stderr, "useradd %s: %s\n", named_users[i].name,
                                res.err ? res.err : "cannot run");
                harness_exec_result_done(&res);
                if (!user_is(named_users[i].name, named_users[i].uid))
                        users_ok = false;
        }
        return 0;
}

int reg_group_teardown(void **state)
{
        size_t i;

        for (i = 0; i < ELEMENTSOF(named_users); i++) {
                const char *const argv[] = { "/usr/sbin/userdel", named_users[i].name, NULL };
                struct harness_exec_result res = {};

                if (!users_made[i])
                        continue;
                if (harness_exec(NULL, argv, NULL, 0, &res) < 0 || res.status != 0)
                        fprintf(stderr, "userdel %s: %s\n", named_users[i].name,
                                res.err ? res.err : "cannot run");
                harness_exec_result_done(&res);
                users_made[i] = false;
        }
        return 0;
}

void reg_require_named_users(void)
{
        if (!users_ok) {
                print_message("users %s and %s (uids %u, %u) could not be made with useradd; "
                              "skipped\n", REG_NAME_ALICE, REG_NAME_BOB, REG_UID_ALICE,
                              REG_UID_BOB);
                skip();
        }
}

/* ------------------------------------------------------------------------------------------
 * The case's daemon
 */

char *reg_policy_with_control(const char *policy)
{
        char *text = NULL;

        assert_true(asprintf(&text, "%s%s", policy, HARNESS_CONTROL_RULE) > 0);
        return text;
}

void reg_reload(struct harness_daemon *d, const char *policy)
{
        _cleanup_(freep) char *text = reg_policy_with_control(policy);
        size_t mark = harness_daemon_log_mark(d);
        uint64_t deadline = tl_now_ms() + HARNESS_TIMEOUT_MS;

        sec_write_file(d->policy_path, text);
        assert_int_equal(kill(d->pid, SIGHUP), 0);
        for (;;) {
                /* Done when the pass over the objects' files that follows it is done too. */
                if (harness_daemon_log_count(d, mark, "Policy reloaded", NULL) > 0 &&
                    harness_daemon_log_count(d, mark, "Reload: the files of", NULL) > 0)
                        return;
                if (harness_daemon_log_count(d, mark, "Reload failed", NULL) > 0 ||
                    tl_now_ms() >= deadline || !harness_daemon_alive(d)) {
                        _cleanup_(freep) char *log = harness_daemon_log(d);

                        fprintf(stderr, "---- daemon log since the reload ----\n%s---- end ----\n",
                                log && mark <= strlen(log) ? log + mark : "(unreadable)\n");
                        fail_msg("the reload was not done");
                }
                tl_sleep_ms(5);
        }
}

void reg_kill(struct harness_daemon *d)
{
        uint64_t deadline = tl_now_ms() + HARNESS_TIMEOUT_MS;

        assert_int_equal(kill(d->pid, SIGKILL), 0);
        while (harness_daemon_alive(d)) {
                if (tl_now_ms() >= deadline)
                        fail_msg("shmbrokerd (pid %d) survived SIGKILL", (int) d->pid);
                tl_sleep_ms(2);
        }
}

/* Keeps the object directory (and the state directory beside it) past the daemon, removed in
 * teardown; returns its path. */
static void keep_dirs(struct harness_daemon *d, char *objects, size_t size)
{
        snprintf(objects, size, "%s", d->shm_dir);
        if (!d->keep_shm_dir) {
                d->keep_shm_dir = true;
                sec_remove_later(objects);
        }
}

struct harness_daemon *reg_restart_changed(const char *policy,
                                           void (*change)(const char *state_dir))
{
        struct harness_daemon *d = sec_daemon();
        struct harness_daemon_options opts = {};
        char objects[PATH_MAX], state[sizeof(d->state_dir)];

        assert_non_null(d);
        keep_dirs(d, objects, sizeof(objects));
        snprintf(state, sizeof(state), "%s", d->state_dir);
        sec_finish_keeping_objects();
        if (change)
                change(state);
        opts.shm_dir = objects;
        return sec_start(policy, &opts);
}

struct harness_daemon *reg_restart(const char *policy)
{
        return reg_restart_changed(policy, NULL);
}

struct harness_daemon *reg_restart_killed(const char *policy)
{
        return reg_restart_killed_env(policy, NULL);
}

struct harness_daemon *reg_restart_killed_env(const char *policy, const char *const *env)
{
        struct harness_daemon *d = sec_daemon();
        struct harness_daemon_options opts = { .env = env };
        char objects[PATH_MAX];

        assert_non_null(d);
        keep_dirs(d, objects, sizeof(objects));
        if (harness_daemon_alive(d))
                reg_kill(d);
        sec_forget_killed();
        opts.shm_dir = objects;
        return sec_start(policy, &opts);
}

/* ------------------------------------------------------------------------------------------
 * What a client sees
 */

int reg_stat(const struct harness_daemon *d, const struct harness_id *id, const char *name,
             struct shmb_stat *ret)
{
        struct shmb_client *c = sec_client(d, id);
        struct shmb_stat st;
        int r;

        r = shmb_stat(c, name, ret ? ret : &st);
        shmb_client_free(c);
        return r;
}

static int list_cb(const char *name, void *userdata)
{
        struct reg_names *s = userdata;
        char **v;

        v = realloc(s->v, (s->n + 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        s->v = v;
        s->v[s->n] = strdup(name);
        if (!s->v[s->n])
                return -ENOMEM;
        s->n++;
        return 0;
}

void reg_list(const struct harness_daemon *d, const struct harness_id *id, struct reg_names *ret)
{
        struct shmb_client *c = sec_client(d, id);
        int r;

        *ret = (struct reg_names) {};
        r = shmb_list(c, list_cb, ret);
        shmb_client_free(c);
        if (r < 0)
                fail_msg("list as uid %u: %s", (unsigned) id->uid, strerror(-r));
        assert_int_equal((size_t) r, ret->n);
}

bool reg_names_has(const struct reg_names *s, const char *name)
{
        size_t i;

        for (i = 0; i < s->n; i++)
                if (strcmp(s->v[i], name) == 0)
                        return true;
        return false;
}

void reg_names_done(struct reg_names *s)
{
        size_t i;

        for (i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        *s = (struct reg_names) {};
}

void reg_create_text(const struct harness_daemon *d, const struct harness_id *id,
                     const char *name, size_t size, const char *text)
{
        int fd = -1, r;

        r = sec_create(d, id, name, size, SHMB_ACCESS_RDWR, &fd);
        if (r < 0)
                fail_msg("create '%s' as uid %u: %s", name, (unsigned) id->uid, strerror(-r));
        assert_int_equal(pwrite(fd, text, strlen(text), 0), (ssize_t) strlen(text));
        assert_int_equal(close(fd), 0);
}

int reg_check_text(const struct harness_daemon *d, const struct harness_id *id,
                   const char *name, int access, const char *text)
{
        size_t len = strlen(text);
        char buf[512];
        int fd = -1, r;

        assert_true(len <= sizeof(buf));
        r = sec_open(d, id, name, access, &fd);
        if (r < 0)
                return r;
        r = pread(fd, buf, len, 0) == (ssize_t) len && memcmp(buf, text, len) == 0 ? 0 : -EBADE;
        assert_int_equal(close(fd), 0);
        return r;
}

/* ------------------------------------------------------------------------------------------
 * What the kernel says
 */

struct fs_open_case {
        const char *path;
        int flags;
};

static int child_fs_open(void *userdata)
{
        const struct fs_open_case *t = userdata;
        int fd = open(t->path, t->flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);

        if (fd >= 0) {
                (void) close(fd);
                return 0;
        }
        /* An errno, well below the harness's own exit codes. */
        return errno > 0 && errno < 200 ? errno : 199;
}

int reg_fs_open(const char *path, const struct harness_id *id, int flags)
{
        struct fs_open_case t = { .path = path, .flags = flags };
        int r = harness_run_as(id, child_fs_open, &t);

        if (r >= 200)
                fail_msg("open(2) of '%s' as uid %u: the child failed (%d)", path,
                         (unsigned) id->uid, r);
        return -r;
}

void reg_assert_file(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
        struct stat st;

        if (lstat(path, &st) < 0)
                fail_msg("lstat('%s'): %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode) || st.st_uid != uid || st.st_gid != gid ||
            (st.st_mode & 07777) != mode)
                fail_msg("'%s' is %s %u:%u mode %04o, expected a file %u:%u mode %04o", path,
                         S_ISREG(st.st_mode) ? "a file" : "not a file", (unsigned) st.st_uid,
                         (unsigned) st.st_gid, (unsigned) st.st_mode & 07777, (unsigned) uid,
                         (unsigned) gid, (unsigned) mode);
}

void reg_assert_owner(const char *path, uid_t uid, gid_t gid)
{
        struct stat st;

        if (lstat(path, &st) < 0)
                fail_msg("lstat('%s'): %s", path, strerror(errno));
        if (!S_ISREG(st.st_mode) || st.st_uid != uid || st.st_gid != gid)
                fail_msg("'%s' is %s %u:%u, expected a file %u:%u", path,
                         S_ISREG(st.st_mode) ? "a file" : "not a file", (unsigned) st.st_uid,
                         (unsigned) st.st_gid, (unsigned) uid, (unsigned) gid);
}

static int acl_perm_of(acl_entry_t e)
{
        acl_permset_t ps;
        int perm = 0;

        assert_int_equal(acl_get_permset(e, &ps), 0);
        if (acl_get_perm(ps, ACL_READ) > 0)
                perm |= 4;
        if (acl_get_perm(ps, ACL_WRITE) > 0)
                perm |= 2;
        if (acl_get_perm(ps, ACL_EXECUTE) > 0)
                perm |= 1;
        return perm;
}

/* Walks the access ACL: calls @cb per entry until it returns >= 0; that is the result. */
static int acl_find(const char *path, int (*cb)(acl_entry_t e, acl_tag_t tag, void *ud),
                    void *ud)
{
        acl_t acl = acl_get_file(path, ACL_TYPE_ACCESS);
        acl_entry_t e;
        int w, r = -1;

        if (!acl)
                fail_msg("acl_get_file('%s'): %s", path, strerror(errno));
        for (w = acl_get_entry(acl, ACL_FIRST_ENTRY, &e); w > 0 && r < 0;
             w = acl_get_entry(acl, ACL_NEXT_ENTRY, &e)) {
                acl_tag_t tag;

                assert_int_equal(acl_get_tag_type(e, &tag), 0);
                r = cb(e, tag, ud);
        }
        assert_int_equal(acl_free(acl), 0);
        return r;
}

struct acl_query {
        acl_tag_t tag;
        unsigned id;
        int named;
};

static int match_entry(acl_entry_t e, acl_tag_t tag, void *ud)
{
        struct acl_query *q = ud;

        if (tag != q->tag)
                return -1;
        if (tag == ACL_USER || tag == ACL_GROUP) {
                unsigned *qual = acl_get_qualifier(e);
                bool same;

                assert_non_null(qual);
                same = *qual == q->id;
                assert_int_equal(acl_free(qual), 0);
                if (!same)
                        return -1;
        }
        return acl_perm_of(e);
}

static int count_named(acl_entry_t e, acl_tag_t tag, void *ud)
{
        struct acl_query *q = ud;

        if (tag == ACL_USER || tag == ACL_GROUP)
                q->named++;
        return -1;
}

int reg_acl_perm(const char *path, acl_tag_t tag, unsigned id)
{
        struct acl_query q = { .tag = tag, .id = id };

        return acl_find(path, match_entry, &q);
}

int reg_acl_named(const char *path)
{
        struct acl_query q = {};

        (void) acl_find(path, count_named, &q);
        return q.named;
}

char *reg_file_text(const char *path)
{
        _cleanup_(closep) int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        char *buf = calloc(1, 4097);
        ssize_t n;

        if (fd < 0)
                fail_msg("open('%s'): %s", path, strerror(errno));
        assert_non_null(buf);
        n = read(fd, buf, 4096);
        assert_true(n >= 0);
        return buf;
}

bool reg_same_description(int a, int b)
{
        off_t was = lseek(b, 0, SEEK_CUR);
        bool same;

        assert_true(was >= 0);
        assert_int_equal(lseek(a, 123, SEEK_SET), 123);
        same = lseek(b, 0, SEEK_CUR) == 123;
        assert_int_equal(lseek(a, 0, SEEK_SET), 0);
        assert_true(lseek(b, was, SEEK_SET) >= 0);
        return same;
}

int reg_open_on(struct shmb_client *c, const char *name, int access)
{
        int fd = -1, r;

        r = shmb_open(c, name, access, &fd, NULL);
        return r < 0 ? r : fd;
}
