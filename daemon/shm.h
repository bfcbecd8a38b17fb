/* SPDX-License-Identifier: MIT */
/*
 * shm.h - files in the object directory (/dev/shm), reached through a directory fd, never
 * through a path built from a name.
 *
 * Not here: who may do what (broker.c), which files are objects (registry.c), removal
 * (trash.c).
 */
#pragma once

#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "backend.h"

/* Opens @path as the object directory; refuses anything but a directory on tmpfs (-ENOTSUP),
 * and a read-only one (-EROFS). */
int shm_dir_open(const char *path, int *ret_fd);

/*
 * shm_create_unnamed() - an O_TMPFILE in @dir_fd (borrowed) of @size bytes, reserved with
 * fallocate() (a full tmpfs fails here, not with SIGBUS in a client), owned and permitted as
 * @a says. It has no name yet, so nobody can open it, and a crash before shm_link() leaves
 * nothing behind. Return: 0 and its O_RDWR fd with its stat, or -errno.
 */
int shm_create_unnamed(int dir_fd, uint64_t size, const struct object_attrs *a, int *ret_fd,
                       struct stat *ret_st);

/* Gives the unnamed file @fd (borrowed) the name @name in @dir_fd; -EEXIST if the name is
 * taken by anything at all. */
int shm_link(int dir_fd, const char *name, int fd);

/*
 * shm_open_inode() - open @name in @dir_fd with @flags (O_RDONLY, O_RDWR), without following
 * links or blocking, and check that it is the inode @dev/@ino.
 * Return: 0 with the fd and its stat; -ENOENT when the name is gone or holds anything else.
 */
int shm_open_inode(int dir_fd, const char *name, int flags, dev_t dev, ino_t ino, int *ret_fd,
                   struct stat *ret_st);

/* Sets owner, group, mode and ACL of @fd (borrowed) as @a says. */
int shm_apply_attrs(int fd, const struct object_attrs *a);

/*
 * shm_attrs_match() - has the file behind @fd (borrowed; @st its fstat) exactly the owner,
 * group, mode and access ACL of @a (with ->acl, the prebuilt value)? Return: 1 yes, 0 no,
 * -errno.
 */
int shm_attrs_match(int fd, const struct stat *st, const struct object_attrs *a);

/* A new directory stream over @dir_fd; the caller closedir()s it. */
int shm_dir_stream(int dir_fd, DIR **ret);
