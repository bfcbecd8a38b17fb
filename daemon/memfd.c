/* SPDX-License-Identifier: MIT */
/*
 * memfd.c - the memfd backend's registry: name -> sealed memfd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "limits.h"
#include "macro.h"
#include "memfd.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

struct memfd_registry {
        struct hashmap objects;
        uint64_t next_serial;
        size_t max_objects;
};

int memfd_registry_new(struct memfd_registry **ret)
{
        struct memfd_registry *reg;
        int r;

        reg = calloc(1, sizeof(*reg));
        if (!reg)
                return -ENOMEM;
        r = hashmap_init(&reg->objects);
        if (r < 0) {
                free(reg);
                return r;
        }
        reg->next_serial = 1;
        reg->max_objects = LIMIT_MEMFD_OBJECTS;
        *ret = reg;
        return 0;
}

static struct memfd_object *object_free(struct memfd_object *o)
{
        if (!o)
                return NULL;
        safe_close(o->fd);
        free(o->name);
        free(o);
        return NULL;
}

struct memfd_registry *memfd_registry_free(struct memfd_registry *reg)
{
        struct hashmap_entry *e;
        size_t i;

        if (!reg)
                return NULL;
        while ((e = hashmap_first(&reg->objects, &i)))
                object_free(container_of(hashmap_remove(&reg->objects, e->key),
                                         struct memfd_object, entry));
        hashmap_deinit(&reg->objects);
        free(reg);
        return NULL;
}

struct memfd_object *memfd_lookup(struct memfd_registry *reg, const char *name)
{
        struct hashmap_entry *e = hashmap_get(&reg->objects, name);

        return e ? container_of(e, struct memfd_object, entry) : NULL;
}

void memfd_set_max(struct memfd_registry *reg, size_t max)
{
        reg->max_objects = max < LIMIT_MEMFD_OBJECTS ? max : LIMIT_MEMFD_OBJECTS;
}

size_t memfd_count(const struct memfd_registry *reg)
{
        return reg->objects.n_entries;
}

int memfd_check_seals(int fd)
{
        int seals = fcntl(fd, F_GET_SEALS);

        if (seals < 0)
                return -errno;
        if ((seals & MEMFD_SEALS_REQUIRED) != MEMFD_SEALS_REQUIRED)
                return -EBADFD;
        return 0;
}

static int memfd_new_sealed(uint64_t size, int *ret_fd)
{
        _cleanup_(closep) int fd = -1;
        int r;

        /* MFD_NOEXEC_SEAL where the kernel has it (6.3+); its meaning changed across kernels,
         * so the seals that matter are added and read back explicitly below. */
        fd = memfd_create("shmbroker", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
        if (fd < 0 && errno == EINVAL)
                fd = memfd_create("shmbroker", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;

        /* Owned by the daemon, 0600: a reader's /proc/self/fd reopen gets EACCES. */
        if (fchmod(fd, 0600) < 0)
                return -errno;
        if (ftruncate(fd, (off_t) size) < 0)
                return -errno;
        /* Reserve the pages now: running out of memory fails the create, not a later touch. */
        r = posix_fallocate(fd, 0, (off_t) size);
        if (r != 0)
                return -r;
        if (fcntl(fd, F_ADD_SEALS, MEMFD_SEALS_REQUIRED) < 0)
                return -errno;
        r = memfd_check_seals(fd);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int memfd_create_object(struct memfd_registry *reg, const char *name, uint64_t size,
                        uid_t creator, struct memfd_object **ret)
{
        struct memfd_object *o;
        int r;

        if (memfd_lookup(reg, name))
                return -EEXIST;
        if (memfd_count(reg) >= reg->max_objects)
                return -ENOSPC;

        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->fd = -1;
        o->name = strdup(name);
        if (!o->name) {
                object_free(o);
                return -ENOMEM;
        }
        r = memfd_new_sealed(size, &o->fd);
        if (r < 0) {
                object_free(o);
                return r;
        }
        o->size = size;
        o->creator = creator;
        o->serial = reg->next_serial++;
        o->entry.key = o->name;
        hashmap_put(&reg->objects, &o->entry);
        *ret = o;
        return 0;
}

int memfd_adopt(struct memfd_registry *reg, const char *name, int fd, uint64_t size,
                uid_t creator, uint64_t serial, struct memfd_object **ret)
{
        struct memfd_object *o;

        if (memfd_lookup(reg, name))
                return -EEXIST;
        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->name = strdup(name);
        if (!o->name) {
                free(o);
                return -ENOMEM;
        }
        o->fd = fd;
        o->size = size;
        o->creator = creator;
        o->serial = serial;
        if (serial >= reg->next_serial)
                reg->next_serial = serial + 1;
        o->entry.key = o->name;
        hashmap_put(&reg->objects, &o->entry);
        *ret = o;
        return 0;
}

int memfd_remove(struct memfd_registry *reg, const char *name)
{
        struct hashmap_entry *e = hashmap_remove(&reg->objects, name);

        if (!e)
                return -ENOENT;
        object_free(container_of(e, struct memfd_object, entry));
        return 0;
}

void memfd_foreach(struct memfd_registry *reg, void (*cb)(struct memfd_object *o, void *ud),
                   void *userdata)
{
        struct hashmap_entry *e;
        size_t i;

        for (e = hashmap_first(&reg->objects, &i); e; e = hashmap_next(&reg->objects, e, &i))
                cb(container_of(e, struct memfd_object, entry), userdata);
}
