/* SPDX-License-Identifier: MIT */
/*
 * slownss.c - an LD_PRELOAD shim for the integration tests: a name service that is slow for
 * one uid, or a range. getpwuid_r() of uid $SHMB_SLOWNSS_UID (to $SHMB_SLOWNSS_UID_LAST, if
 * set) waits until the file $SHMB_SLOWNSS_GATE exists, then answers as usual; every other
 * lookup answers at once. getpwuid_r() of $SHMB_SLOWNSS_FAIL_UID fails with EIO.
 *
 * This is LDAP or SSSD taking its time, under the test's control: the test opens the gate
 * when it has seen what it wanted to see meanwhile (other clients served), so nothing in it
 * depends on how long anything takes.
 *
 * It also fakes one user and its group for the daemon (SHMB_FAKENSS_*, below), so that a
 * test can make a group go away under a running daemon.
 */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A user that exists for the daemon alone: uid $SHMB_FAKENSS_UID is called $SHMB_FAKENSS_NAME,
 * and a group of that name has gid $SHMB_FAKENSS_GID - until the file $SHMB_FAKENSS_GONE
 * exists: then the group is not found (it was removed, or LDAP or SSSD is down and says
 * nothing).
 */
struct fake {
        uid_t uid;
        gid_t gid;
        const char *name;
        bool group_gone;
};

static bool fake_get(struct fake *f)
{
        const char *uid = getenv("SHMB_FAKENSS_UID"), *gid = getenv("SHMB_FAKENSS_GID");
        const char *name = getenv("SHMB_FAKENSS_NAME"), *gone = getenv("SHMB_FAKENSS_GONE");

        if (!uid || !gid || !name)
                return false;
        *f = (struct fake) { .uid = (uid_t) strtoul(uid, NULL, 10),
                             .gid = (gid_t) strtoul(gid, NULL, 10), .name = name,
                             .group_gone = gone && access(gone, F_OK) == 0 };
        return true;
}

/* Copies @s into @buf at *@used; NULL when it does not fit (the caller says ERANGE). */
static char *fake_str(char *buf, size_t size, size_t *used, const char *s)
{
        size_t n = strlen(s) + 1;
        char *p = buf + *used;

        if (*used + n > size)
                return NULL;
        memcpy(p, s, n);
        *used += n;
        return p;
}

static int fake_passwd(const struct fake *f, struct passwd *pw, char *buf, size_t size,
                       struct passwd **ret)
{
        size_t used = 0;

        *pw = (struct passwd) { .pw_uid = f->uid, .pw_gid = f->gid };
        pw->pw_name = fake_str(buf, size, &used, f->name);
        pw->pw_passwd = fake_str(buf, size, &used, "x");
        pw->pw_gecos = fake_str(buf, size, &used, "");
        pw->pw_dir = fake_str(buf, size, &used, "/");
        pw->pw_shell = fake_str(buf, size, &used, "/bin/false");
        if (!pw->pw_name || !pw->pw_passwd || !pw->pw_gecos || !pw->pw_dir || !pw->pw_shell) {
                *ret = NULL;
                return ERANGE;
        }
        *ret = pw;
        return 0;
}

static int fake_group(const struct fake *f, struct group *gr, char *buf, size_t size,
                      struct group **ret)
{
        size_t used = 0;
        char **mem;

        *ret = NULL;
        if (f->group_gone)
                return 0;
        *gr = (struct group) { .gr_gid = f->gid };
        gr->gr_name = fake_str(buf, size, &used, f->name);
        gr->gr_passwd = fake_str(buf, size, &used, "x");
        used = (used + _Alignof(char *) - 1) & ~(_Alignof(char *) - 1);
        if (!gr->gr_name || !gr->gr_passwd || used + sizeof(char *) > size)
                return ERANGE;
        mem = (char **) (void *) (buf + used);
        mem[0] = NULL;
        gr->gr_mem = mem;
        *ret = gr;
        return 0;
}

static void mark_waiting(const char *gate);

int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t size,
               struct passwd **ret);
int getgrnam_r(const char *name, struct group *gr, char *buf, size_t size, struct group **ret);
int getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t size, struct group **ret);

int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t size, struct passwd **ret)
{
        int (*real)(const char *, struct passwd *, char *, size_t, struct passwd **) =
                (int (*)(const char *, struct passwd *, char *, size_t, struct passwd **))
                        dlsym(RTLD_NEXT, "getpwnam_r");
        struct fake f;

        if (fake_get(&f) && strcmp(name, f.name) == 0)
                return fake_passwd(&f, pw, buf, size, ret);
        if (!real)
                return ENOSYS;
        return real(name, pw, buf, size, ret);
}

int getgrnam_r(const char *name, struct group *gr, char *buf, size_t size, struct group **ret)
{
        int (*real)(const char *, struct group *, char *, size_t, struct group **) =
                (int (*)(const char *, struct group *, char *, size_t, struct group **))
                        dlsym(RTLD_NEXT, "getgrnam_r");
        struct fake f;

        if (fake_get(&f) && strcmp(name, f.name) == 0) {
                const char *late = getenv("SHMB_SLOWNSS_GROUP_GATE");
                int r = fake_group(&f, gr, buf, size, ret);

                /* A server that answers late with what it knew when asked: the answer is
                 * made first, and handed back once $SHMB_SLOWNSS_GROUP_GATE exists. */
                if (late) {
                        int saved = errno;
                        mark_waiting(late);
                        while (access(late, F_OK) < 0)
                                (void) poll(NULL, 0, 1);
                        errno = saved;
                }
                return r;
        }
        if (!real)
                return ENOSYS;
        return real(name, gr, buf, size, ret);
}

int getgrgid_r(gid_t gid, struct group *gr, char *buf, size_t size, struct group **ret)
{
        int (*real)(gid_t, struct group *, char *, size_t, struct group **) =
                (int (*)(gid_t, struct group *, char *, size_t, struct group **))
                        dlsym(RTLD_NEXT, "getgrgid_r");
        struct fake f;

        if (fake_get(&f) && gid == f.gid)
                return fake_group(&f, gr, buf, size, ret);
        if (!real)
                return ENOSYS;
        return real(gid, gr, buf, size, ret);
}

static void mark_waiting(const char *gate)
{
        char path[4096];
        int fd;

        if ((size_t) snprintf(path, sizeof(path), "%s.waiting", gate) >= sizeof(path))
                return;
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
                (void) close(fd);
}

int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t size, struct passwd **ret);

int getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t size, struct passwd **ret)
{
        int (*real)(uid_t, struct passwd *, char *, size_t, struct passwd **) =
                (int (*)(uid_t, struct passwd *, char *, size_t, struct passwd **))
                        dlsym(RTLD_NEXT, "getpwuid_r");
        const char *slow = getenv("SHMB_SLOWNSS_UID"), *gate = getenv("SHMB_SLOWNSS_GATE");
        const char *last = getenv("SHMB_SLOWNSS_UID_LAST");
        const char *fail = getenv("SHMB_SLOWNSS_FAIL_UID");
        struct fake f;

        /* A name service that fails for this uid (a directory server down): not "no such
         * user", an error. */
        if (fail && (uid_t) strtoul(fail, NULL, 10) == uid) {
                *ret = NULL;
                return EIO;
        }

        if (slow && gate && uid >= (uid_t) strtoul(slow, NULL, 10) &&
            uid <= (uid_t) strtoul(last ? last : slow, NULL, 10)) {
                int saved = errno;

                /* A slow server: the answer comes when the test opens the gate. The test
                 * may wait for "GATE.waiting" to know a lookup is held there. */
                mark_waiting(gate);
                while (access(gate, F_OK) < 0)
                        (void) poll(NULL, 0, 1);
                errno = saved;
        }
        if (fake_get(&f) && uid == f.uid)
                return fake_passwd(&f, pw, buf, size, ret);
        if (!real)
                return ENOSYS;
        return real(uid, pw, buf, size, ret);
}
