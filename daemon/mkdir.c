/* SPDX-License-Identifier: MIT */
/*
 * mkdir.c - directories made with the mode asked for, whatever the umask (see mkdir.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "mkdir.h"

int mkdir_mode(const char *path, mode_t mode)
{
        _cleanup_(closep) int fd = -1;

        if (mkdir(path, mode) < 0)
                return -errno;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return fchmod(fd, mode) < 0 ? -errno : 0;
}

int mkdir_parents(const char *path, mode_t last_mode)
{
        char buf[PATH_MAX];
        char *p;
        int r;

        if (strlen(path) >= sizeof(buf))
                return -ENAMETOOLONG;
        strcpy(buf, path);
        for (p = buf + 1; (p = strchr(p, '/')); p++) {
                *p = '\0';
                /* Others must pass through the directories made on the way. */
                r = mkdir_mode(buf, 0755);
                if (r < 0 && r != -EEXIST)
                        return r;
                *p = '/';
        }
        r = mkdir_mode(buf, last_mode);
        return r == -EEXIST ? 0 : r;
}
