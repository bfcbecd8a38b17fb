/* SPDX-License-Identifier: MIT */
/*
 * fdident.h - what a descriptor the library keeps refers to, so that it can tell later whether
 * the number still does.
 *
 * The library lives in someone else's process. A program that closes descriptors it does not
 * own (closefrom(), close_range(3, ~0U, 0), a daemon(3)-style loop) frees the numbers the
 * library holds, and its next socket() or open() gets one of them. Acting on that number would
 * talk to the program's peer, read the program's data, or close the program's file; so before
 * using a kept number, the library compares the file it refers to (type, device, inode) with
 * the one recorded when it was made, and one that differs is forgotten, not closed.
 *
 * Not here: what to do about a number that is no longer ours (client.c, opencache.c).
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

struct fd_ident {
        mode_t type;            /* st_mode & S_IFMT */
        dev_t dev;
        ino_t ino;
};

/* Records what @fd (borrowed) refers to. Return: 0, or the -errno of fstat(). */
static inline int fd_ident_get(int fd, struct fd_ident *ret)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        *ret = (struct fd_ident) {
                .type = st.st_mode & S_IFMT, .dev = st.st_dev, .ino = st.st_ino,
        };
        return 0;
}

/* True if @st (of fstat()) is of the file @id was recorded from. */
static inline bool fd_ident_is(const struct stat *st, const struct fd_ident *id)
{
        return (st->st_mode & S_IFMT) == id->type && st->st_dev == id->dev &&
               st->st_ino == id->ino;
}

/* True if @fd is open and refers to the file @id was recorded from: closed (EBADF) or another
 * file is false. */
static inline bool fd_ident_same(int fd, const struct fd_ident *id)
{
        struct stat st;

        return fd >= 0 && fstat(fd, &st) == 0 && fd_ident_is(&st, id);
}
