/* SPDX-License-Identifier: MIT */
/*
 * preload.h - the pure half of libshmbroker-preload.so: what glibc's shm_open(3) would make of
 * a name and a flag word, which errno a program is told for each broker error, and the table
 * of segments the shim created unsized and has not sized yet.
 *
 * No I/O, no locking, no globals: preload.c does those, and tests/unit/test-preload.c tests
 * this file without a broker. Functions return 0 or a negative errno value, as everywhere.
 */
#pragma once

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shmbroker.h"

/*
 * What glibc's shm_open(3) and shm_unlink(3) make of a name. glibc drops every leading '/'
 * (the broker drops one), refuses an empty name and one with a '/' in it, and copies the rest
 * behind "/dev/shm/" into a buffer that has room for "sem." and NAME_MAX bytes: a name of 256
 * to 259 bytes reaches open(2) and unlink(2), which refuse it with ENAMETOOLONG; a longer one
 * overflows the buffer and is refused by glibc itself. The errno of glibc's own refusals
 * differs between versions (glibc 2.34 to 2.36, Debian 12: EINVAL from shm_open(), ENOENT
 * from shm_unlink()), so preload.c asks the real functions once (struct preload_glibc).
 */
enum preload_name_verdict {
        PRELOAD_NAME_OK = 0,
        PRELOAD_NAME_INVALID,           /* NULL, empty, or a '/' inside: glibc refuses */
        PRELOAD_NAME_TOO_LONG,          /* 256 to 259 bytes: the kernel's ENAMETOOLONG */
        PRELOAD_NAME_OVERLONG,          /* longer: glibc refuses */
};

/* How far beyond NAME_MAX a name still fits glibc's buffer (the room kept for "sem."). */
#define PRELOAD_GLIBC_NAME_SLACK 4

/* The errno of glibc's own refusals of a name, as this process's glibc gives them. */
struct preload_glibc {
        int invalid_open, invalid_unlink;       /* PRELOAD_NAME_INVALID */
        int overlong_open, overlong_unlink;     /* PRELOAD_NAME_OVERLONG */
};

/* glibc 2.34 to 2.36, used where the real functions cannot be asked. */
#define PRELOAD_GLIBC_DEFAULTS { EINVAL, ENOENT, EINVAL, ENOENT }

/**
 * preload_name() - judge a name as glibc's shm_open(3) and shm_unlink(3) do.
 * @name: the program's name.
 * @ret: with PRELOAD_NAME_OK, @name without its leading slashes (a pointer into @name).
 *
 * What glibc leaves to open(2) ("." and "..", control characters) the broker judges.
 *
 * Return: a verdict, PRELOAD_NAME_OK (0) when the name goes to the broker.
 */
enum preload_name_verdict preload_name(const char *name, const char **ret);

/* The errno a refused name is told: for shm_unlink(3) with @unlink, else shm_open(3). */
int preload_name_errno(enum preload_name_verdict v, const struct preload_glibc *g, bool unlink);

/**
 * preload_access() - the broker access an shm_open(3) flag word asks for.
 * @oflag: the flags.
 * @ret: on success, SHMB_ACCESS_RDONLY or SHMB_ACCESS_RDWR.
 *
 * Return: 0, or -EINVAL for O_WRONLY and O_ACCMODE (POSIX gives shm_open(3) only O_RDONLY and
 * O_RDWR; the broker has no write-only segments).
 */
int preload_access(int oflag, int *ret);

/*
 * The errno a program is told when the broker refused or failed. Each takes a negative errno
 * value from libshmbroker and returns a positive errno value.
 *
 * preload_errno_open(): shm_open(3). The errors glibc's shm_open() has pass through (EACCES,
 * ENOENT, EEXIST, EINVAL, ENAMETOOLONG, ENOSPC, EDQUOT, EMFILE, ENFILE, ENOMEM, ELOOP); EPERM
 * is EACCES; a broker that does not know a request (EOPNOTSUPP, EPROTONOSUPPORT) is ENOSYS, as
 * glibc said when it found no shared-memory file system; a connection that broke on the way
 * (and any other error) is EIO.
 *
 * preload_errno_unlink(): shm_unlink(3). As preload_errno_open(); glibc too turns EPERM (a
 * sticky /dev/shm) into EACCES.
 *
 * preload_errno_resize(): ftruncate(2) of a segment the shim created unsized. EFBIG (over
 * MaxSize=), EDQUOT, ENOSPC, EINVAL, ENOMEM and EPERM (another process opened it first; the
 * errno the kernel gives for a sealed file) pass through; the rest are EIO.
 */
int preload_errno_open(int r);
int preload_errno_unlink(int r);
int preload_errno_resize(int r);

/* True for the errors after which libshmbroker will not use a connection again (shmbroker.h,
 * "Connection errors"): the shim drops it and connects anew next time. */
bool preload_conn_error(int r);

/* True when a failed request surely never reached the broker, so that sending it again on a
 * new connection cannot do anything twice: the send failed (EPIPE: the broker closed the
 * connection while the process was idle, as it does when it restarts), or the connection was
 * known to be broken before (ENOTCONN; also when the program closed our descriptor, which
 * libshmbroker finds before it sends). */
bool preload_conn_retry(int r);

/* True for the connect(2) errors that mean no broker listens (the socket is missing, or
 * nobody accepts on it): the only failures $SHMBROKER_PRELOAD_FALLBACK falls back on. */
bool preload_unreachable(int r);

/*
 * The segments the shim created with SHMB_CREATE_UNSIZED whose first ftruncate(2) has not
 * come yet. Keyed by the file (device and inode), so that a dup of the fd finds it too; the fd
 * is kept to tell later whether the entry is stale (the program closed it and the number now
 * names another file). The table is bounded: when it is full, preload_fresh_add() drops the
 * oldest entry (whose ftruncate then goes to the kernel, as after any other open).
 */
#define PRELOAD_FRESH_MAX 64

struct preload_fresh {
        int fd;
        dev_t dev;
        ino_t ino;
        uint64_t age;                   /* insertion order: the smallest is the oldest */
        char name[SHMB_NAME_MAX + 1];   /* as the broker knows it: no leading '/' */
};

struct preload_fresh_table {
        size_t n;
        uint64_t next_age;
        struct preload_fresh e[PRELOAD_FRESH_MAX];
};

/* Adds an entry (an existing one for the same file is replaced). Return: 0, or -EINVAL for
 * a name that does not fit. */
int preload_fresh_add(struct preload_fresh_table *t, int fd, dev_t dev, ino_t ino,
                      const char *name);

/* The entry for the file, or NULL. */
struct preload_fresh *preload_fresh_find(struct preload_fresh_table *t, dev_t dev, ino_t ino);

/* Removes @e, an entry of @t. */
void preload_fresh_remove(struct preload_fresh_table *t, struct preload_fresh *e);

/* Removes every entry of that name (it was unlinked). Return: how many. */
size_t preload_fresh_remove_name(struct preload_fresh_table *t, const char *name);

/* Removes every entry for which @stale returns true. Return: how many. */
size_t preload_fresh_sweep(struct preload_fresh_table *t,
                           bool (*stale)(const struct preload_fresh *e));
