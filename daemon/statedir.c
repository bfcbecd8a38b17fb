/* SPDX-License-Identifier: MIT */
/*
 * statedir.c - create, check and lock the state directory (see statedir.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "mkdir.h"
#include "statedir.h"

int state_dir_open(const char *path, uid_t owner_uid, gid_t owner_gid, int *ret_fd)
{
        _cleanup_(closep) int fd = -1;
        struct stat st;
        int r;

        r = mkdir_parents(path, 0700);
        if (r < 0)
                return log_error_errno(r, "Cannot create state directory '%s': %m", path);
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "Cannot open state directory '%s': %m", path);
        if (fstat(fd, &st) < 0)
                return -errno;
        /* Made by root for a daemon about to become another user: hand it over. */
        if (geteuid() == 0 && st.st_uid == 0 && owner_uid != 0) {
                if (fchown(fd, owner_uid, owner_gid) < 0 || fchmod(fd, 0700) < 0 ||
                    fstat(fd, &st) < 0)
                        return log_error_errno(-errno, "Cannot give '%s' to uid %u: %m", path,
                                               (unsigned) owner_uid);
        }
        /* Search (x) for others is harmless: every file in it is the daemon's, mode 0600. The
         * unit gives its runtime directories 0711, for the app directory's sake. */
        if (st.st_uid != owner_uid || (st.st_mode & 066) != 0) {
                log_error("State directory '%s' is owned by uid %u with mode %04o; it must be "
                          "owned by uid %u and closed to everyone else (0700, or 0711): what "
                          "the daemon reads back from there decides what it hands out.", path,
                          (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777),
                          (unsigned) owner_uid);
                return -EPERM;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                if (errno == EWOULDBLOCK)
                        return log_error_errno(-EBUSY, "Another shmbrokerd uses state directory "
                                               "'%s'.", path);
                return log_error_errno(-errno, "Cannot lock '%s': %m", path);
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}
