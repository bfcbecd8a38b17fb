/* SPDX-License-Identifier: MIT */
/*
 * preload-util.c - the pure half of libshmbroker-preload.so (see preload.h): names and flags
 * as glibc reads them, errno values as a program expects them, and the table of segments
 * created unsized. No I/O, no locks, no globals.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "preload.h"

enum preload_name_verdict preload_name(const char *name, const char **ret)
{
        size_t len;

        if (!name)
                return PRELOAD_NAME_INVALID;
        /* glibc's __shm_get_name(): every leading '/' goes, not only the first. */
        while (*name == '/')
                name++;
        len = strlen(name);
        if (len == 0 || memchr(name, '/', len))
                return PRELOAD_NAME_INVALID;
        if (len > NAME_MAX + PRELOAD_GLIBC_NAME_SLACK)
                return PRELOAD_NAME_OVERLONG;
        if (len > SHMB_NAME_MAX)
                return PRELOAD_NAME_TOO_LONG;
        *ret = name;
        return PRELOAD_NAME_OK;
}

int preload_name_errno(enum preload_name_verdict v, const struct preload_glibc *g, bool unlink)
{
        switch (v) {
        case PRELOAD_NAME_OK:
                return 0;
        case PRELOAD_NAME_INVALID:
                return unlink ? g->invalid_unlink : g->invalid_open;
        case PRELOAD_NAME_TOO_LONG:
                return ENAMETOOLONG;
        case PRELOAD_NAME_OVERLONG:
                return unlink ? g->overlong_unlink : g->overlong_open;
        }
        return EINVAL;
}

int preload_access(int oflag, int *ret)
{
        switch (oflag & O_ACCMODE) {
        case O_RDONLY:
                *ret = SHMB_ACCESS_RDONLY;
                return 0;
        case O_RDWR:
                *ret = SHMB_ACCESS_RDWR;
                return 0;
        default:
                return -EINVAL;
        }
}

bool preload_conn_error(int r)
{
        switch (-r) {
        case ECONNRESET:
        case ECONNABORTED:
        case EPIPE:
        case ETIMEDOUT:
        case EPROTO:
        case EPROTONOSUPPORT:
        case EBADMSG:
        case ENOTCONN:
        case EIO:
                return true;
        default:
                return false;
        }
}

bool preload_conn_retry(int r)
{
        return r == -EPIPE || r == -ENOTCONN;
}

bool preload_unreachable(int r)
{
        return r == -ENOENT || r == -ECONNREFUSED;
}

int preload_errno_open(int r)
{
        switch (-r) {
        case EACCES:
        case ENOENT:
        case EEXIST:
        case EINVAL:
        case ENAMETOOLONG:
        case ENOSPC:
        case EDQUOT:
        case EMFILE:
        case ENFILE:
        case ENOMEM:
        case ELOOP:
                return -r;
        case EPERM:
                return EACCES;
        case EOPNOTSUPP:
        case EPROTONOSUPPORT:
                return ENOSYS;
        default:
                return EIO;
        }
}

int preload_errno_unlink(int r)
{
        return preload_errno_open(r);
}

int preload_errno_resize(int r)
{
        switch (-r) {
        case EFBIG:
        case EDQUOT:
        case ENOSPC:
        case EINVAL:
        case ENOMEM:
        case EPERM:
                return -r;
        default:
                return EIO;
        }
}

struct preload_fresh *preload_fresh_find(struct preload_fresh_table *t, dev_t dev, ino_t ino)
{
        size_t i;

        for (i = 0; i < t->n; i++)
                if (t->e[i].dev == dev && t->e[i].ino == ino)
                        return &t->e[i];
        return NULL;
}

void preload_fresh_remove(struct preload_fresh_table *t, struct preload_fresh *e)
{
        size_t i = (size_t) (e - t->e);

        /* Order does not matter (ages say which is oldest): the last entry fills the hole. */
        if (i + 1 < t->n)
                t->e[i] = t->e[t->n - 1];
        t->n--;
}

int preload_fresh_add(struct preload_fresh_table *t, int fd, dev_t dev, ino_t ino,
                      const char *name)
{
        struct preload_fresh *e;
        size_t len = strlen(name);

        if (len > SHMB_NAME_MAX)
                return -EINVAL;
        e = preload_fresh_find(t, dev, ino);
        if (!e && t->n == PRELOAD_FRESH_MAX) {
                size_t i, oldest = 0;

                for (i = 1; i < t->n; i++)
                        if (t->e[i].age < t->e[oldest].age)
                                oldest = i;
                e = &t->e[oldest];
        }
        if (!e)
                e = &t->e[t->n++];
        e->fd = fd;
        e->dev = dev;
        e->ino = ino;
        e->age = t->next_age++;
        memcpy(e->name, name, len + 1);
        return 0;
}

size_t preload_fresh_remove_name(struct preload_fresh_table *t, const char *name)
{
        size_t i = 0, n = 0;

        while (i < t->n) {
                if (strcmp(t->e[i].name, name) == 0) {
                        preload_fresh_remove(t, &t->e[i]);
                        n++;
                } else
                        i++;
        }
        return n;
}

size_t preload_fresh_sweep(struct preload_fresh_table *t,
                           bool (*stale)(const struct preload_fresh *e))
{
        size_t i = 0, n = 0;

        while (i < t->n) {
                if (stale(&t->e[i])) {
                        preload_fresh_remove(t, &t->e[i]);
                        n++;
                } else
                        i++;
        }
        return n;
}
