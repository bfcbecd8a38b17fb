/* SPDX-License-Identifier: MIT */
/*
 * trash.c - move aside, check, remove (see trash.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "trash.h"

bool trash_is_trash_name(const char *name)
{
        return strncmp(name, TRASH_PREFIX, strlen(TRASH_PREFIX)) == 0;
}

/* Opens @name in @dir_fd if it is a directory of ours that nobody else may enter. */
static int open_ours(int dir_fd, const char *name, int *ret_fd)
{
        _cleanup_(closep) int fd = -1;
        struct stat st;

        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_uid != geteuid() || (st.st_mode & 07777) != 0700)
                return -EPERM;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int trash_open(int dir_fd, struct trash *ret)
{
        struct trash t = { .dir_fd = dir_fd, .fd = -1 };
        int attempt, r;

        for (attempt = 0; attempt < 16; attempt++) {
                uint32_t rnd;

                if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
                        return -errno;
                (void) snprintf(t.name, sizeof(t.name), TRASH_PREFIX "%08" PRIx32, rnd);
                if (mkdirat(dir_fd, t.name, 0700) < 0) {
                        if (errno == EEXIST)
                                continue; /* taken, by us or a squatter: another name */
                        return -errno;
                }
                /* mkdirat() honours the umask; make sure of the mode and of the owner. */
                r = open_ours(dir_fd, t.name, &t.fd);
                if (r == -EPERM) {
                        int fd = openat(dir_fd, t.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                        O_CLOEXEC);

                        r = fd >= 0 && fchmod(fd, 0700) == 0 ? 0 : -EPERM;
                        if (r >= 0)
                                r = open_ours(dir_fd, t.name, &t.fd);
                        safe_close(fd);
                }
                /* Held while we run: another instance's start-up clean-up (trash_cleanup())
                 * leaves a locked directory alone. */
                if (r >= 0 && flock(t.fd, LOCK_EX | LOCK_NB) < 0)
                        r = -errno;
                if (r < 0) {
                        t.fd = safe_close(t.fd);
                        return r;
                }
                *ret = t;
                return 0;
        }
        return -EEXIST;
}

void trash_close(struct trash *t)
{
        struct stat ours, there;

        if (t->fd < 0)
                return;
        if (fstat(t->fd, &ours) < 0 ||
            fstatat(t->dir_fd, t->name, &there, AT_SYMLINK_NOFOLLOW) < 0 ||
            ours.st_dev != there.st_dev || ours.st_ino != there.st_ino) {
                /* Moved away, and maybe another's put at its name: remove nothing by name. */
                log_notice("The daemon's directory for removals is no longer at '%s'; leaving "
                           "it.", t->name);
                t->fd = safe_close(t->fd);
                return;
        }
        t->fd = safe_close(t->fd);
        if (unlinkat(t->dir_fd, t->name, AT_REMOVEDIR) < 0 && errno != ENOENT)
                log_warning_errno(-errno, "Cannot remove '%s' from the object directory, "
                                  "ignoring: %m", t->name);
}

/* Our directory was removed from under us (by hand): make a new one. */
static int trash_renew(struct trash *t)
{
        struct trash n;
        int r;

        r = trash_open(t->dir_fd, &n);
        if (r < 0)
                return r;
        safe_close(t->fd);
        n.counter = t->counter;
        *t = n;
        log_warning("The daemon's directory for removals was removed; now using '%s'.", t->name);
        return 0;
}

static int move_aside(struct trash *t, const char *name, const char *entry)
{
        struct stat st;
        int r;

        if (renameat2(t->dir_fd, name, t->fd, entry, RENAME_NOREPLACE) == 0)
                return 0;
        r = -errno;
        /* ENOENT: the name is gone - or our directory is. */
        if (r != -ENOENT || fstat(t->fd, &st) < 0 || st.st_nlink > 0)
                return r;
        r = trash_renew(t);
        if (r < 0)
                return r;
        return renameat2(t->dir_fd, name, t->fd, entry, RENAME_NOREPLACE) < 0 ? -errno : 0;
}

int trash_remove(struct trash *t, const char *name, uint64_t serial, dev_t dev, ino_t ino,
                 int *ret_fd)
{
        char entry[64];
        struct stat st;
        int r, fd;

        (void) snprintf(entry, sizeof(entry), "%" PRIu64 ".%" PRIu64, serial, ++t->counter);
        r = move_aside(t, name, entry);
        if (r < 0)
                return r;

        /* In here nobody else can rename, replace or remove anything: what is opened here is
         * what is checked and removed. */
        *ret_fd = -1;
        fd = openat(t->fd, entry, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == dev &&
            st.st_ino == ino) {
                if (unlinkat(t->fd, entry, 0) < 0) {
                        r = -errno;
                        safe_close(fd);
                        return r;
                }
                *ret_fd = fd;
                return 0;
        }
        safe_close(fd);

        /* Not ours: it goes back where it was. */
        if (renameat2(t->fd, entry, t->dir_fd, name, RENAME_NOREPLACE) < 0)
                log_error_errno(-errno, "'%s' was replaced while the daemon removed it, and the "
                                "name was taken again before it could be put back; it is kept "
                                "as '%s/%s': %m", name, t->name, entry);
        return -ENOENT;
}

static void cleanup_dir(int dir_fd, const char *dir_name,
                        bool (*ours)(uint64_t serial, dev_t dev, ino_t ino, void *ud),
                        void *userdata, int *removed)
{
        _cleanup_(closep) int fd = -1;
        struct dirent *de;
        DIR *d;
        int dup_fd;

        if (open_ours(dir_fd, dir_name, &fd) < 0)
                return; /* someone else's, or not a directory: not ours to touch */
        /* Locked: a running instance's (two daemons may share an object directory). */
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return;
        dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (dup_fd < 0)
                return;
        d = fdopendir(dup_fd);
        if (!d) {
                safe_close(dup_fd);
                return;
        }
        while ((de = readdir(d))) {
                unsigned long long serial;
                struct stat st;
                char *end;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                errno = 0;
                serial = strtoull(de->d_name, &end, 10);
                if (errno == 0 && *end == '.' && fstatat(fd, de->d_name, &st,
                                                         AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISREG(st.st_mode) && ours((uint64_t) serial, st.st_dev, st.st_ino,
                                                userdata) &&
                    unlinkat(fd, de->d_name, 0) == 0) {
                        (*removed)++;
                        continue;
                }
                log_warning("Object directory: '%s/%s' is not an object of ours; leaving it "
                            "alone.", dir_name, de->d_name);
        }
        (void) closedir(d);
        if (unlinkat(dir_fd, dir_name, AT_REMOVEDIR) < 0 && errno != ENOTEMPTY)
                log_debug_errno(-errno, "Cannot remove '%s', ignoring: %m", dir_name);
}

int trash_cleanup(int dir_fd, const struct trash *current,
                  bool (*ours)(uint64_t serial, dev_t dev, ino_t ino, void *ud), void *userdata)
{
        _cleanup_(closep) int fd = -1;
        struct dirent *de;
        int removed = 0;
        DIR *d;

        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d)
                return -errno;
        fd = -1; /* the stream owns it now */
        while ((de = readdir(d))) {
                if (!trash_is_trash_name(de->d_name) ||
                    (current && strcmp(de->d_name, current->name) == 0))
                        continue;
                cleanup_dir(dir_fd, de->d_name, ours, userdata, &removed);
        }
        (void) closedir(d);
        return removed;
}
