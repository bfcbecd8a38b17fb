/* SPDX-License-Identifier: MIT */
/*
 * shm.h - Backend=shm: objects are regular files in the object directory (/dev/shm), reached
 * through a directory fd, never through a path built from a name.
 *
 * Not here: who may do what (policy.c), the reply (broker.c).
 */
#pragma once

#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "policy.h"

/* Opens @path as the object directory; refuses anything but a directory on tmpfs (-ENOTSUP),
 * and a read-only one (-EROFS). */
int shm_dir_open(const char *path, int *ret_fd);

#define SHM_XATTR_CREATOR "user.shmbroker.creator"

struct shm_attrs {
        uint64_t size;
        uid_t creator;          /* recorded in SHM_XATTR_CREATOR, for quotas after a restart */
        uid_t uid;
        gid_t gid;
        mode_t mode;
        const struct policy_acl_entry *users;
        size_t n_users;
        const struct policy_acl_entry *groups;
        size_t n_groups;
};

/*
 * shm_create() - create @name in @dir_fd (borrowed) with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0
 * until it is ready; reserve its memory with fallocate(); fchown(); apply mode and ACL. On any
 * failure the half-made file is removed. Return: 0 and an O_RDWR fd of the new object with its
 * stat (owner, group and size as set), or -errno (-EEXIST whatever is at the name, -ENOSPC...).
 */
int shm_create(int dir_fd, const char *name, const struct shm_attrs *a, int *ret_fd,
               struct stat *ret_st);

/*
 * shm_open_existing() - open @name for @access (SHMB_PROTO_ACCESS_RDONLY or _RDWR) without
 * following links or blocking, and check it is a regular file with one link.
 * Return: 0 with the fd and its stat, or -errno: -ENOENT, -ELOOP (a symlink), -EBADFD (not a
 * regular file, or more than one link).
 */
int shm_open_existing(int dir_fd, const char *name, int access, int *ret_fd,
                      struct stat *ret_st);

/* Removes @name if it is still the inode described by @st. */
int shm_unlink(int dir_fd, const char *name, const struct stat *st);

/* Opens a new file description of the same inode with @flags (O_RDONLY or O_RDWR): a reader
 * gets a fresh read-only open, never a dup of a writable fd. */
int fd_reopen(int fd, int flags);

/* The uid an existing object was created by (its SHM_XATTR_CREATOR), else its owner. */
uid_t shm_creator(int dir_fd, const char *name, const struct stat *st);

/* A new directory stream over the object directory; the caller closedir()s it. */
int shm_dir_stream(int dir_fd, DIR **ret);
