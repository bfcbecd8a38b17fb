/* SPDX-License-Identifier: MIT */
/*
 * mkdir.h - directories the daemon makes on its way to its sockets and state.
 *
 * The daemon runs with umask 0077, so mkdir()'s mode alone would make every directory 0700:
 * others could not reach the sockets in them. The mode is set through an fd of the directory
 * just made, never by path: a parent that others may write could have the new name swapped
 * for a symlink to somewhere else in between.
 */
#pragma once

#include <sys/types.h>

/* mkdir(@path) with exactly @mode. Return: 0, -EEXIST when it was there (left as it is),
 * or -errno. */
int mkdir_mode(const char *path, mode_t mode);

/* mkdir -p: missing parents 0755, @path itself (if missing) @last_mode. Return: 0 or -errno. */
int mkdir_parents(const char *path, mode_t last_mode);
