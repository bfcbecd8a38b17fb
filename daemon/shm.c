/* SPDX-License-Identifier: MIT */
/*
 * shm.c - files in the object directory: make, name, open, set attributes.
 *
 * Every call goes through the directory fd with O_NOFOLLOW: a symlink planted at a name gives
 * ELOOP, and nothing is ever opened, chowned or chmodded by a path an attacker could steer.
 * Opens use O_NONBLOCK so that a FIFO at a name cannot block the daemon. A new object is made
 * as an O_TMPFILE and gets its name only when it is complete (owner, mode, ACL, size), with
 * linkat(), which never replaces anything: the daemon never adopts a file it did not make.
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
#include <unistd.h>

#include "acl.h"
#include "macro.h"
#include "shm.h"

#define OPEN_FLAGS (O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

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

int shm_apply_attrs(int fd, const struct object_attrs *a)
{
        if (fchown(fd, a->uid, a->gid) < 0)
                return -errno;
        return acl_apply_fd(fd, a->mode, a->users, a->n_users, a->groups, a->n_groups);
}

int shm_attrs_match(int fd, const struct stat *st, const struct object_attrs *a)
{
        if (!a->acl)
                return -EINVAL;
        if (st->st_uid != a->uid || st->st_gid != a->gid)
                return 0;
        return acl_xattr_matches_fd(fd, st, a->acl);
}

int shm_create_unnamed(int dir_fd, uint64_t size, const struct object_attrs *a, int *ret_fd,
                       struct stat *ret_st)
{
        _cleanup_(closep) int fd = -1;
        struct stat st;
        int r;

        /* Mode 0 until owner, mode and ACL are final; without a name nobody can open it
         * anyway. Not O_EXCL: that would forbid the linkat() that names it. */
        fd = openat(dir_fd, ".", O_TMPFILE | O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* A fresh object (RESIZE gives it its size) has no bytes to reserve yet. */
        r = size > 0 ? posix_fallocate(fd, 0, (off_t) size) : 0;
        if (r != 0)
                return -r;
        if (a->acl) {
                /* Owner, then mode and ACL in one fsetxattr() of the value prebuilt for the
                 * rule. Not read back: the inode has no name and mode 0, nobody else can have
                 * changed it, and tmpfs stores what it is given (the object directory is tmpfs,
                 * shm_dir_open()). What the kernel made of it shows in the fstat() that the
                 * create needs anyway: owner, group and mode are checked there. */
                if (fchown(fd, a->uid, a->gid) < 0)
                        return -errno;
                r = acl_xattr_apply_fd(fd, a->acl);
        } else
                r = shm_apply_attrs(fd, a);
        if (r < 0)
                return r;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (a->acl && (st.st_uid != a->uid || st.st_gid != a->gid ||
                       (st.st_mode & 07777) != a->acl->mode))
                return -EIO;
        *ret_st = st;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int shm_link(int dir_fd, const char *name, int fd)
{
        char path[64];

        /* linkat() never replaces an existing name: EEXIST. AT_EMPTY_PATH links the fd's file
         * directly: since Linux 6.10 for a file its caller opened with its own credentials,
         * before that only with CAP_DAC_READ_SEARCH (ENOENT without). The /proc link works
         * everywhere, but costs a walk through procfs: about twice as much. */
        if (linkat(fd, "", dir_fd, name, AT_EMPTY_PATH) >= 0)
                return 0;
        if (errno != ENOENT && errno != EPERM)
                return -errno;
        (void) snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if (linkat(AT_FDCWD, path, dir_fd, name, AT_SYMLINK_FOLLOW) < 0)
                return -errno;
        return 0;
}

int shm_open_inode(int dir_fd, const char *name, int flags, dev_t dev, ino_t ino, int *ret_fd,
                   struct stat *ret_st)
{
        _cleanup_(closep) int fd = -1;
        struct stat st;

        fd = openat(dir_fd, name, flags | OPEN_FLAGS);
        if (fd < 0) {
                int r = -errno;

                /* A symlink (ELOOP), a directory opened for writing (EISDIR), a socket (ENXIO):
                 * none of them is the object. */
                return r == -ELOOP || r == -EISDIR || r == -ENXIO ? -ENOENT : r;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        /* The identity is the inode, checked on the open fd: whatever happened to the name
         * in between, this fd is the object the registry names, or it is refused. */
        if (!S_ISREG(st.st_mode) || st.st_dev != dev || st.st_ino != ino)
                return -ENOENT;
        *ret_st = st;
        *ret_fd = TAKE_FD(fd);
        return 0;
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
