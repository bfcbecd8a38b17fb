/* SPDX-License-Identifier: MIT */
/*
 * memfd.h - Backend=memfd: sealed memfds that the daemon holds by name.
 *
 * A memfd object is reachable only through the daemon. It is sealed against shrinking and
 * growing, so no writer can SIGBUS a reader, and owned by the daemon with mode 0600, so a
 * reader cannot reopen its read-only fd writable through /proc/self/fd.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hashmap.h"

struct memfd_registry;

struct memfd_object {
        struct hashmap_entry entry;     /* keyed by name */
        char *name;
        int fd;                 /* owned: the daemon's O_RDWR fd */
        uint64_t size;
        uid_t creator;
        uint64_t serial;        /* unique while the daemon runs; names it in the fd store */
};

int memfd_registry_new(struct memfd_registry **ret);
struct memfd_registry *memfd_registry_free(struct memfd_registry *reg);

struct memfd_object *memfd_lookup(struct memfd_registry *reg, const char *name);
size_t memfd_count(const struct memfd_registry *reg);
/* Lowers the number of objects (LIMIT_MEMFD_OBJECTS) a create may reach; past it, ENOSPC. */
void memfd_set_max(struct memfd_registry *reg, size_t max);

/* Creates, sizes, reserves and seals a memfd and files it under @name. -EEXIST if taken. */
int memfd_create_object(struct memfd_registry *reg, const char *name, uint64_t size,
                        uid_t creator, struct memfd_object **ret);

/* Files an fd the daemon held before a restart (consumed on success only); the caller has
 * checked its seals and size. */
int memfd_adopt(struct memfd_registry *reg, const char *name, int fd, uint64_t size,
                uid_t creator, uint64_t serial, struct memfd_object **ret);

/* Drops the daemon's reference: fds already handed out stay valid. */
int memfd_remove(struct memfd_registry *reg, const char *name);

/* Calls @cb for every object, in no particular order. */
void memfd_foreach(struct memfd_registry *reg, void (*cb)(struct memfd_object *o, void *ud),
                   void *userdata);

/* The seals every memfd object carries; checked again before any fd leaves the daemon. */
#define MEMFD_SEALS_REQUIRED (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
int memfd_check_seals(int fd);
