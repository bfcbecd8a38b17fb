/* SPDX-License-Identifier: MIT */
/*
 * backend.h - where an object's bytes live: one interface, two implementations.
 *
 *   Backend=shm    a file in the object directory, reachable by shm_open(3) (backend-shm.c)
 *   Backend=memfd  a sealed memfd the daemon holds, kept across restarts in systemd's fd store
 *                  (backend-memfd.c, which alone knows the fd store)
 *
 * The broker decides; a backend does what was decided, to exactly the object the registry
 * names and to nothing else. Every fd parameter says whether it is borrowed or consumed.
 */
#pragma once

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "object.h"
#include "policy.h"
#include "protocol.h"

struct registry;

/* What an object's inode gets: from its rule and its creator (attrs.c). */
struct acl_xattr;

struct object_attrs {
        uid_t uid;
        gid_t gid;
        mode_t mode;
        struct policy_acl_entry *users;         /* owned, unless borrowed */
        size_t n_users;
        struct policy_acl_entry *groups;        /* owned, unless borrowed */
        size_t n_groups;
        /* Mode and entries as system.posix_acl_access, prebuilt once per rule (attrs.h), or
         * NULL. Borrowed. */
        const struct acl_xattr *acl;
        bool borrowed;                          /* users and groups belong to an attrs cache */
};

struct backend;

struct backend_ops {
        /*
         * create() - make @o's storage (@o->size bytes, reserved) with @a applied, not yet
         * reachable by name. Sets what the registry records (dev/ino; the memfd in o->fd).
         * Return: 0 and a fresh O_RDWR fd of it in *ret_fd (the caller's) with its stat, or
         * -errno (-ENOSPC: no memory or no room).
         */
        int (*create)(struct backend *b, struct object *o, const struct object_attrs *a,
                      int *ret_fd, struct stat *ret_st);
        /*
         * publish() - make a created @o reachable: link it at its name (-EEXIST if anything
         * is there), or put it in the fd store. @fd (borrowed) is create()'s. Called after
         * the registry recorded @o, so that a crash leaves a record of a missing object (which
         * start-up drops) rather than an object nobody recorded.
         */
        int (*publish)(struct backend *b, struct object *o, int fd);
        /* open() - a new open file description of exactly @o, O_RDONLY or O_RDWR (@flags),
         * with its stat. -ENOENT: @o is not there any more (the caller forgets it). */
        int (*open)(struct backend *b, struct object *o, int flags, int *ret_fd,
                    struct stat *ret_st);
        /* stat() - @o's stat and access ACL (at most @max entries; -E2BIG past that).
         * Return: the number of ACL entries, or -errno as open(). */
        int (*stat)(struct backend *b, struct object *o, struct stat *ret_st,
                    struct shmb_proto_acl_entry *acl, size_t max);
        /* unlink() - remove a published @o's storage, and never anything else; *ret_fd is a
         * read-only fd of what was removed (the caller's), for telling when nobody holds it
         * any more, or -1. -ENOENT: it was not there any more (gone or replaced behind the
         * daemon's back). */
        int (*unlink)(struct backend *b, struct object *o, int *ret_fd);
        /* peek() - @o's stat by its name, without opening it: -ENOENT when the name is gone or
         * holds another inode. */
        int (*peek)(struct backend *b, struct object *o, struct stat *ret_st);
        /* reapply() - bring @o's owner, group, mode and ACL in line with @a. */
        int (*reapply)(struct backend *b, struct object *o, const struct object_attrs *a);
        /*
         * conform() - as reapply(), but only where @o differs from @a (whose ->acl, the value
         * prebuilt for the rule, is set): what its owner or root changed on the file since is
         * undone. Return: 1 when something was set, 0 when it was as @a says, or -errno as
         * open(). NULL for backends whose objects nobody else can change (memfd).
         */
        int (*conform)(struct backend *b, struct object *o, const struct object_attrs *a);
        /*
         * seal() - publish @o: from now on nobody writes it through a new fd. memfd: adds
         * F_SEAL_FUTURE_WRITE (@future: writable mappings that exist go on) or F_SEAL_WRITE
         * (-EBUSY while a writable mapping exists) and then F_SEAL_SEAL. shm: applies @a (the
         * rule's attributes with write taken away); fds handed out stay as they are.
         * Return: 0 or -errno (-EPERM: the memfd was sealed for good at create).
         */
        int (*seal)(struct backend *b, struct object *o, bool future, const struct object_attrs *a);
        /*
         * resize() - give a fresh (unsized) @o its size, @size bytes, reserved; a memfd is
         * then sealed as any other. -ENOSPC as create().
         */
        int (*resize)(struct backend *b, struct object *o, uint64_t size);
        /* probe() - is anything at @name in this backend's namespace, object or not (EXPLAIN
         * tells the admins of files the daemon did not make)? 1 yes, 0 no, or -errno. */
        int (*probe)(struct backend *b, const char *name);
        /*
         * adopt() - at start: take back this backend's objects of @reg from the previous
         * instance, drop (and report) those whose storage is gone or is something else, and
         * report what is there that the registry does not know. Return: objects adopted.
         */
        int (*adopt)(struct backend *b, struct registry *reg);
        void (*free)(struct backend *b);
};

struct backend {
        const struct backend_ops *ops;
        enum policy_backend kind;
        const char *name;               /* "shm", "memfd" */
};

/*
 * backend_shm_new() - the shm backend on object directory @dir_fd (consumed).
 * Makes the daemon's private directory for removals inside it (see backend-shm.c).
 */
int backend_shm_new(int dir_fd, struct backend **ret);

/* Memfds handed back by the service manager at start, named FDSTORE_OBJECT_PREFIX<serial>. */
struct passed_fd {
        int fd;
        char *name;
};

/*
 * backend_memfd_new() - the memfd backend.
 * @passed: the fd store's object fds (consumed: adopted by adopt(), or closed and removed from
 *          the store); the array itself stays the caller's.
 * @max_objects: how many objects the fd store can keep (0: no limit known).
 */
int backend_memfd_new(struct passed_fd *passed, size_t n_passed, size_t max_objects,
                      struct backend **ret);

struct backend *backend_free(struct backend *b);

/* Opens a new file description of the inode behind @fd (borrowed) with @flags: a reader gets
 * a fresh read-only open, never a dup of a writable fd. */
int fd_reopen(int fd, int flags);
