/* SPDX-License-Identifier: MIT */
/*
 * statedir.h - the daemon's state directory: where the registry's journal lives.
 *
 * Only the daemon may write it: it must be a directory owned by the daemon's user with no
 * permissions for anyone else (0700), or the daemon refuses to start - what it reads back from
 * there is trusted as provenance. It lives on a tmpfs such as /run, so it is gone after a
 * reboot together with the objects it describes. The directory is also the instance lock:
 * a second daemon on the same state directory refuses to start.
 */
#pragma once

#include <sys/types.h>

#define STATE_DIR_DEFAULT "/run/shmbroker/state"

/*
 * state_dir_open() - open (creating it if it is missing) and lock @path.
 * @owner_uid, @owner_gid: who must own it; when the daemon is root, a missing or root-made
 *                         directory is given to them (the user of --user).
 * Return: 0 and the directory's fd, or -errno: -EPERM (wrong owner or mode, with a log line
 * saying which), -EBUSY (another instance holds it), -ENOTDIR.
 */
int state_dir_open(const char *path, uid_t owner_uid, gid_t owner_gid, int *ret_fd);
