/* SPDX-License-Identifier: MIT */
/*
 * genpage.c - the generation page (genpage.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "genpage.h"
#include "log.h"
#include "macro.h"
#include "siphash.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

static struct {
        int fd;                 /* read-only, for clients; -1 before genpage_init() */
        struct shmb_proto_cache_head *head;     /* the daemon's writable mapping */
        uint64_t *slots;
        uint8_t key[16];
} page = { .fd = -1 };

/*
 * Made writable and mapped once; then sealed so that no one can write, grow or shrink it but
 * through the daemon's own mapping (F_SEAL_FUTURE_WRITE lets a mapping made before it stay
 * writable). Clients get a read-only reopen of a 0400 root-owned file: they can neither write
 * through it, nor map it writable, nor reopen it writable through /proc.
 */
static int page_make(int *ret_ro, void **ret_map)
{
        _cleanup_(closep) int fd = -1, ro = -1;
        char path[64];
        void *map;

        fd = memfd_create("shmbroker-generations", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, 0400) < 0 || ftruncate(fd, SHMB_PROTO_CACHE_PAGE_SIZE) < 0)
                return -errno;
        map = mmap(NULL, SHMB_PROTO_CACHE_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED)
                return -errno;
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE |
                                           F_SEAL_SEAL) < 0)
                goto fail;
        (void) snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        ro = open(path, O_RDONLY | O_CLOEXEC);
        if (ro < 0)
                goto fail;
        *ret_ro = TAKE_FD(ro);
        *ret_map = map;
        return 0;
fail:
        {
                int r = -errno;

                (void) munmap(map, SHMB_PROTO_CACHE_PAGE_SIZE);
                return r;
        }
}

int genpage_init(void)
{
        void *map = NULL;
        int ro = -1, r;

        if (page.fd >= 0)
                return 0;
        if (getrandom(page.key, sizeof(page.key), 0) != (ssize_t) sizeof(page.key))
                return -EIO;
        r = page_make(&ro, &map);
        if (r < 0)
                return r;
        page.fd = ro;
        page.head = map;
        page.slots = (uint64_t *) (page.head + 1);
        page.head->magic = SHMB_PROTO_CACHE_MAGIC;
        page.head->n_slots = SHMB_PROTO_CACHE_SLOTS;
        /* Tickets of an earlier daemon never meet this page: a client's ends with its
         * connection. Starting at 1 keeps 0 free for "no ticket". */
        __atomic_store_n(&page.head->epoch, 1, __ATOMIC_RELEASE);
        return 0;
}

void genpage_done(void)
{
        if (page.fd < 0)
                return;
        (void) munmap(page.head, SHMB_PROTO_CACHE_PAGE_SIZE);
        page.head = NULL;
        page.slots = NULL;
        page.fd = safe_close(page.fd);
}

int genpage_fd(void)
{
        return page.fd >= 0 ? page.fd : -EOPNOTSUPP;
}

static uint32_t slot_of(const char *name)
{
        return (uint32_t) (siphash24(name, strlen(name), page.key) % SHMB_PROTO_CACHE_SLOTS);
}

void genpage_ticket(const char *name, struct shmb_proto_fd_cached_reply *t)
{
        if (page.fd < 0) {
                t->slot = SHMB_PROTO_CACHE_NONE;
                t->epoch = t->gen = 0;
                return;
        }
        t->slot = slot_of(name);
        /* The daemon is the only writer: plain reads see its own stores. */
        t->epoch = page.head->epoch;
        t->gen = page.slots[t->slot];
}

void genpage_bump(const char *name)
{
        uint32_t s;

        if (page.fd < 0 || !name)
                return;
        s = slot_of(name);
        __atomic_store_n(&page.slots[s], page.slots[s] + 1, __ATOMIC_RELEASE);
}

void genpage_bump_all(void)
{
        if (page.fd < 0)
                return;
        __atomic_store_n(&page.head->epoch, page.head->epoch + 1, __ATOMIC_RELEASE);
}
