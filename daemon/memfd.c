/* SPDX-License-Identifier: MIT */
/*
 * memfd.c - the memfd backend's registry: name -> sealed memfd, in a chained hash table.
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
        struct memfd_object **buckets;
        size_t n_buckets;               /* a power of two */
        size_t n_objects;
};

static uint64_t hash_name(const char *s)
{
        uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */

        for (; *s; s++) {
                h ^= (unsigned char) *s;
                h *= UINT64_C(1099511628211);
        }
        return h;
}

int memfd_registry_new(struct memfd_registry **ret)
{
        struct memfd_registry *reg;

        reg = calloc(1, sizeof(*reg));
        if (!reg)
                return -ENOMEM;
        reg->n_buckets = 64;
        reg->buckets = calloc(reg->n_buckets, sizeof(*reg->buckets));
        if (!reg->buckets) {
                free(reg);
                return -ENOMEM;
        }
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
        size_t i;

        if (!reg)
                return NULL;
        for (i = 0; i < reg->n_buckets; i++)
                while (reg->buckets[i]) {
                        struct memfd_object *o = reg->buckets[i];

                        reg->buckets[i] = o->next;
                        object_free(o);
                }
        free(reg->buckets);
        free(reg);
        return NULL;
}

struct memfd_object *memfd_lookup(struct memfd_registry *reg, const char *name)
{
        struct memfd_object *o;

        for (o = reg->buckets[hash_name(name) & (reg->n_buckets - 1)]; o; o = o->next)
                if (strcmp(o->name, name) == 0)
                        return o;
        return NULL;
}

size_t memfd_count(const struct memfd_registry *reg)
{
        return reg->n_objects;
}

/* Doubles the table when it is as full as it is wide; on ENOMEM the chains just get longer. */
static void maybe_grow(struct memfd_registry *reg)
{
        struct memfd_object **b;
        size_t i, n = reg->n_buckets * 2;

        if (reg->n_objects < reg->n_buckets)
                return;
        b = calloc(n, sizeof(*b));
        if (!b)
                return;
        for (i = 0; i < reg->n_buckets; i++)
                while (reg->buckets[i]) {
                        struct memfd_object *o = reg->buckets[i];
                        size_t k = hash_name(o->name) & (n - 1);

                        reg->buckets[i] = o->next;
                        o->next = b[k];
                        b[k] = o;
                }
        free(reg->buckets);
        reg->buckets = b;
        reg->n_buckets = n;
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
        size_t k;
        int r;

        if (memfd_lookup(reg, name))
                return -EEXIST;
        if (reg->n_objects >= LIMIT_MEMFD_OBJECTS)
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

        maybe_grow(reg);
        k = hash_name(name) & (reg->n_buckets - 1);
        o->next = reg->buckets[k];
        reg->buckets[k] = o;
        reg->n_objects++;
        *ret = o;
        return 0;
}

int memfd_remove(struct memfd_registry *reg, const char *name)
{
        struct memfd_object **p;

        for (p = &reg->buckets[hash_name(name) & (reg->n_buckets - 1)]; *p; p = &(*p)->next)
                if (strcmp((*p)->name, name) == 0) {
                        struct memfd_object *o = *p;

                        *p = o->next;
                        reg->n_objects--;
                        object_free(o);
                        return 0;
                }
        return -ENOENT;
}

void memfd_foreach(struct memfd_registry *reg, void (*cb)(struct memfd_object *o, void *ud),
                   void *userdata)
{
        size_t i;
        struct memfd_object *o;

        for (i = 0; i < reg->n_buckets; i++)
                for (o = reg->buckets[i]; o; o = o->next)
                        cb(o, userdata);
}
