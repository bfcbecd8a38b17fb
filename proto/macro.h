/* SPDX-License-Identifier: MIT */
/*
 * macro.h - scope-based cleanup and ownership hand-off, shared by every part of shmbroker.
 *
 * A dozen lines in the manner of systemd's: _cleanup_(closep) closes an fd when it leaves
 * scope, TAKE_FD() and TAKE_PTR() hand ownership on so the cleanup does nothing. Header-only;
 * no I/O, no logging.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* The struct that embeds @ptr as its @member. */
#define container_of(ptr, type, member) \
        ((type *) ((char *) (ptr) - offsetof(type, member)))

#define TAKE_PTR(p)                                     \
        ({                                              \
                __typeof__(p) _p_ = (p);                \
                (p) = NULL;                             \
                _p_;                                    \
        })

#define TAKE_FD(fd)                                     \
        ({                                              \
                int _fd_ = (fd);                        \
                (fd) = -1;                              \
                _fd_;                                   \
        })

/* Closes fd if it is open, keeps errno, returns -1 for "fd = safe_close(fd)". */
static inline int safe_close(int fd)
{
        if (fd >= 0) {
                int saved = errno;

                (void) close(fd);
                errno = saved;
        }
        return -1;
}

static inline void closep(int *fd)
{
        safe_close(*fd);
}

static inline void fclosep(FILE **f)
{
        if (*f)
                (void) fclose(*f);
}

static inline void freep(void *p)
{
        free(*(void **) p);
}

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)         \
        static inline void func##p(type *p)             \
        {                                               \
                if (*p)                                 \
                        func(*p);                       \
        }
