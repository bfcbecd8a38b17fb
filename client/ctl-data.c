/* SPDX-License-Identifier: MIT */
/*
 * ctl-data.c - the shmbrokerctl commands that make, fill, read, size, publish and remove
 * segments: create, write, read, resize, publish, unlink (and the admins' unlink --all).
 *
 * write and read use pwrite(2)/pread(2) on the fd, never a mapping, so that a segment shrunk
 * meanwhile cannot make them fault. Not here: describing segments (ctl-show.c), exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

#define COPY_CHUNK (64u * 1024u)

int cmd_create(struct shmb_client *c, char **args)
{
        struct shmb_create_opts opts = {
                .flags = (arg_given & OPT_UNSIZED) ? SHMB_CREATE_UNSIZED : 0,
                .lifetime = arg_lifetime,
                .lifetime_usec = arg_lifetime_usec,
        };
        int r;

        r = shmb_create2(c, args[0], (arg_given & OPT_UNSIZED) ? 0 : arg_size, SHMB_ACCESS_NONE,
                         &opts, NULL, NULL);
        if (r < 0)
                return ctl_fail(c, args[0], r);
        return 0;
}

int cmd_resize(struct shmb_client *c, char **args)
{
        uint64_t size;
        int r;

        if (ctl_parse_size(args[1], &size) < 0)
                return ctl_usage_error("resize: invalid size '%s'", args[1]);
        r = shmb_resize(c, args[0], size);
        if (r < 0)
                return ctl_fail(c, args[0], r);
        return 0;
}

int cmd_publish(struct shmb_client *c, char **args)
{
        int r;

        r = shmb_publish(c, args[0],
                         (arg_given & OPT_FUTURE) ? SHMB_PUBLISH_FUTURE : SHMB_PUBLISH_SEAL);
        if (r < 0)
                return ctl_fail(c, args[0], r);
        return 0;
}

struct matches {
        const char *pattern;
        char **names;
        size_t n, cap;
};

static int match_one(const char *name, void *userdata)
{
        struct matches *m = userdata;
        char *copy;

        if (fnmatch(m->pattern, name, 0) != 0)
                return 0;
        if (m->n == m->cap) {
                size_t n = m->cap ? 2 * m->cap : 16;
                char **names = realloc(m->names, n * sizeof(*names));

                if (!names)
                        return -ENOMEM;
                m->names = names;
                m->cap = n;
        }
        copy = strdup(name);
        if (!copy)
                return -ENOMEM;
        m->names[m->n++] = copy;
        return 0;
}

/*
 * unlink --all PATTERN: the admins' clean-up. Every segment the broker holds whose name the
 * glob matches is removed, each with its own request (SHMB_UNLINK_ALL), which the broker
 * decides. One that is gone by then is what was wanted; any other failure is reported and the
 * rest are still removed.
 */
static int unlink_all(struct shmb_client *c, const char *pattern)
{
        struct matches m = { .pattern = pattern[0] == '/' ? pattern + 1 : pattern };
        int r, status = 0;
        size_t i;

        r = shmb_list2(c, SHMB_LIST_ALL, match_one, &m);
        if (r >= 0 && m.n == 0)
                r = -ENOENT;
        if (r < 0)
                status = ctl_fail(r == -ENOENT ? NULL : c, pattern, r);
        for (i = 0; r >= 0 && i < m.n; i++) {
                int k = shmb_unlink2(c, m.names[i], SHMB_UNLINK_ALL);

                if (k < 0 && k != -ENOENT)
                        status = ctl_fail(c, m.names[i], k);
        }
        for (i = 0; i < m.n; i++)
                free(m.names[i]);
        free(m.names);
        return status;
}

int cmd_unlink(struct shmb_client *c, char **args)
{
        int r;

        if (arg_given & OPT_ALL)
                return unlink_all(c, args[0]);
        r = shmb_unlink(c, args[0]);
        if (r < 0)
                return ctl_fail(c, args[0], r);
        return 0;
}

/* ---------------------------------------------------------------- write, read */

static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
        while (n > 0) {
                ssize_t k = pwrite(fd, p, n, (off_t) off);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -EIO;
                p += k;
                n -= (size_t) k;
                off += (uint64_t) k;
        }
        return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static ssize_t read_some(int fd, uint8_t *p, size_t n)
{
        for (;;) {
                ssize_t k = read(fd, p, n);

                if (k >= 0 || errno != EINTR)
                        return k < 0 ? -errno : k;
        }
}

static int segment_size(int fd, uint64_t *ret)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        *ret = st.st_size > 0 ? (uint64_t) st.st_size : 0;
        return 0;
}

/*
 * stdin into the segment at --offset, never past its end. Input that is known to be too large
 * (a regular file) is refused before anything is written; from a pipe, what fits is written
 * and the command then fails with EFBIG.
 */
int cmd_write(struct shmb_client *c, char **args)
{
        const char *name = args[0];
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) uint8_t *buf = NULL;
        uint64_t size = 0, off, space;
        struct stat st;
        int r;

        r = shmb_open(c, name, SHMB_ACCESS_RDWR, &fd, NULL);
        if (r < 0)
                return ctl_fail(c, name, r);
        r = segment_size(fd, &size);
        if (r < 0)
                return ctl_fail(NULL, name, r);
        if (arg_offset > size)
                return ctl_fail(NULL, name, -EINVAL);
        off = arg_offset;
        space = size - off;

        if (fstat(STDIN_FILENO, &st) < 0)
                return ctl_fail(NULL, "stdin", -errno);
        if (S_ISREG(st.st_mode)) {
                off_t pos = lseek(STDIN_FILENO, 0, SEEK_CUR);

                if (pos >= 0 && st.st_size > pos && (uint64_t) (st.st_size - pos) > space)
                        return ctl_fail(NULL, name, -EFBIG);
        }

        buf = malloc(COPY_CHUNK);
        if (!buf)
                return ctl_fail(NULL, name, -ENOMEM);
        for (;;) {
                /* With no room left, read one byte anyway: is there more input than fits? */
                size_t want = space == 0 ? 1 : (space < COPY_CHUNK ? (size_t) space : COPY_CHUNK);
                ssize_t k = read_some(STDIN_FILENO, buf, want);

                if (k < 0)
                        return ctl_fail(NULL, "stdin", (int) k);
                if (k == 0)
                        break;
                if (space == 0)
                        return ctl_fail(NULL, name, -EFBIG);
                r = pwrite_all(fd, buf, (size_t) k, off);
                if (r < 0)
                        return ctl_fail(NULL, name, r);
                off += (uint64_t) k;
                space -= (uint64_t) k;
        }
        return 0;
}

int cmd_read(struct shmb_client *c, char **args)
{
        const char *name = args[0];
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) uint8_t *buf = NULL;
        uint64_t size = 0, off, left;
        int r;

        r = shmb_open(c, name, SHMB_ACCESS_RDONLY, &fd, NULL);
        if (r < 0)
                return ctl_fail(c, name, r);
        r = segment_size(fd, &size);
        if (r < 0)
                return ctl_fail(NULL, name, r);
        if (arg_offset > size)
                return ctl_fail(NULL, name, -EINVAL);
        off = arg_offset;
        left = size - off;
        if (arg_given & OPT_LENGTH) {
                /* Exactly what was asked for, or an error: never silently less. */
                if (arg_length > left)
                        return ctl_fail(NULL, name, -EINVAL);
                left = arg_length;
        }

        buf = malloc(COPY_CHUNK);
        if (!buf)
                return ctl_fail(NULL, name, -ENOMEM);
        while (left > 0) {
                size_t want = left < COPY_CHUNK ? (size_t) left : COPY_CHUNK;
                ssize_t k = pread(fd, buf, want, (off_t) off);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return ctl_fail(NULL, name, -errno);
                }
                /* Someone shrank the segment meanwhile: what is gone cannot be copied. */
                if (k == 0)
                        return ctl_fail(NULL, name, -EIO);
                r = write_all(STDOUT_FILENO, buf, (size_t) k);
                if (r < 0)
                        return ctl_fail(NULL, "stdout", r);
                off += (uint64_t) k;
                left -= (uint64_t) k;
        }
        return 0;
}
