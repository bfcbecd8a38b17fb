/* SPDX-License-Identifier: MIT */
/*
 * shm.c - files in the object directory: create, open, unlink.
 *
 * Every call goes through the directory fd with O_NOFOLLOW: a symlink planted at a name gives
 * ELOOP, and nothing is ever opened, chowned or chmodded by a path the attacker could steer.
 * Opens use O_NONBLOCK so that a FIFO at a name cannot block the daemon, and the type is then
 * checked with fstat(). The daemon never adopts a file it did not create: EEXIST is final.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "acl.h"
#include "macro.h"
#include "protocol.h"
#include "shm.h"

int shm_dir_open(const char *path, int *ret_fd)
{
        _cleanup_(closep) int fd = -1;
        struct statfs sfs;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstatfs(fd, &sfs) < 0)
                return -errno;
        /* Only tmpfs gives memory semantics, fallocate() reservations and ACLs as expected. */
        if (sfs.f_type != TMPFS_MAGIC)
                return -ENOTSUP;
        /* Every create would fail with EROFS: better to say so once, at start. */
        if (sfs.f_flags & ST_RDONLY)
                return -EROFS;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int fd_reopen(int fd, int flags)
{
        char path[64];
        int r;

        /* /proc/self/fd/N opens the inode anew, with its own access mode. */
        (void) snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        r = open(path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        return r < 0 ? -errno : r;
}

static int stat_check_regular(int fd, struct stat *st)
{
        if (fstat(fd, st) < 0)
                return -errno;
        if (!S_ISREG(st->st_mode))
                return -EBADFD;
        /* A second link would be a name we do not control pointing at the same bytes. */
        if (st->st_nlink != 1)
                return -EBADFD;
        return 0;
}

int shm_create(int dir_fd, const char *name, const struct shm_attrs *a, int *ret_fd,
               struct stat *ret_st)
{
        _cleanup_(closep) int fd = -1;
        char creator[16];
        struct stat st;
        int r;

        /* Mode 0 until owner, mode and ACL are final: nobody else can open it meanwhile. */
        fd = openat(dir_fd, name,
                    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
                    0);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0) {
                r = -errno;
                goto fail;
        }

        /* Reserve the memory now, so a full tmpfs fails here, not with SIGBUS in a client. */
        r = posix_fallocate(fd, 0, (off_t) a->size);
        if (r != 0) {
                r = -r;
                goto fail;
        }
        if (fchown(fd, a->uid, a->gid) < 0) {
                r = -errno;
                goto fail;
        }
        r = acl_apply_fd(fd, a->mode, a->users, a->n_users, a->groups, a->n_groups);
        if (r < 0)
                goto fail;
        /* Who to charge after a restart, when the owner is not the creator. Best effort: not
         * every tmpfs has user xattrs (Linux 6.6+), and a writer could change it, which only
         * moves a quota charge after the next restart. */
        (void) snprintf(creator, sizeof(creator), "%u", (unsigned) a->creator);
        (void) fsetxattr(fd, SHM_XATTR_CREATOR, creator, strlen(creator), 0);

        /* What fchown() and posix_fallocate() made it, without another fstat(). The mode's
         * group bits are the ACL mask now; callers that care read the ACL. */
        st.st_uid = a->uid;
        st.st_gid = a->gid;
        st.st_size = (off_t) a->size;
        *ret_st = st;
        *ret_fd = TAKE_FD(fd);
        return 0;

fail:
        (void) shm_unlink(dir_fd, name, &st);
        return r;
}

int shm_open_existing(int dir_fd, const char *name, int access, int *ret_fd,
                      struct stat *ret_st)
{
        _cleanup_(closep) int fd = -1;
        int flags = access == SHMB_PROTO_ACCESS_RDWR ? O_RDWR : O_RDONLY;
        int r;

        fd = openat(dir_fd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                /* A directory opened for writing gives EISDIR; a directory is not a segment. */
                return r == -EISDIR || r == -ENXIO ? -EBADFD : r;
        }
        r = stat_check_regular(fd, ret_st);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int shm_unlink(int dir_fd, const char *name, const struct stat *st)
{
        struct stat now;

        if (fstatat(dir_fd, name, &now, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        if (now.st_dev != st->st_dev || now.st_ino != st->st_ino)
                return -ESTALE;
        if (unlinkat(dir_fd, name, 0) < 0)
                return -errno;
        return 0;
}

uid_t shm_creator(int dir_fd, const char *name, const struct stat *st)
{
        _cleanup_(closep) int fd = -1;
        char buf[16];
        ssize_t n;
        unsigned long v;
        char *end;

        fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return st->st_uid;
        n = fgetxattr(fd, SHM_XATTR_CREATOR, buf, sizeof(buf) - 1);
        if (n <= 0)
                return st->st_uid;
        buf[n] = '\0';
        errno = 0;
        v = strtoul(buf, &end, 10);
        if (errno != 0 || *end || end == buf || v >= UINT32_MAX)
                return st->st_uid;
        return (uid_t) v;
}

int shm_dir_stream(int dir_fd, DIR **ret)
{
        DIR *d;
        int fd;

        /* A fresh fd: readdir() state must not be shared between walks. */
        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                safe_close(fd);
                return -errno;
        }
        *ret = d;
        return 0;
}
