/* SPDX-License-Identifier: MIT */
/*
 * opencache.c - reusing fds the broker handed out (opencache.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "opencache.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

/* What makes the page the broker's alone to write. */
#define PAGE_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL)

int open_cache_init(struct open_cache *oc, int page_fd, size_t n)
{
        const struct shmb_proto_cache_head *head;
        struct open_cache_entry *entries;
        struct stat st;
        int seals, fl;
        size_t i;
        void *map;

        if (n == 0)
                return -EINVAL;
        /* Read-only, sealed, one page: no one but the broker can change it, and it cannot
         * shrink under our mapping (SIGBUS). */
        fl = fcntl(page_fd, F_GETFL);
        seals = fcntl(page_fd, F_GET_SEALS);
        if (fl < 0 || fstat(page_fd, &st) < 0)
                return -errno;
        if ((fl & (O_ACCMODE | O_PATH)) != O_RDONLY || seals < 0 ||
            (seals & PAGE_SEALS) != PAGE_SEALS || !S_ISREG(st.st_mode) ||
            st.st_size != SHMB_PROTO_CACHE_PAGE_SIZE)
                return -EPROTO;
        map = mmap(NULL, SHMB_PROTO_CACHE_PAGE_SIZE, PROT_READ, MAP_SHARED, page_fd, 0);
        if (map == MAP_FAILED)
                return -errno;
        head = map;
        if (head->magic != SHMB_PROTO_CACHE_MAGIC || head->n_slots != SHMB_PROTO_CACHE_SLOTS) {
                (void) munmap(map, SHMB_PROTO_CACHE_PAGE_SIZE);
                return -EPROTO;
        }
        entries = calloc(n, sizeof(*entries));
        if (!entries) {
                (void) munmap(map, SHMB_PROTO_CACHE_PAGE_SIZE);
                return -ENOMEM;
        }
        for (i = 0; i < n; i++)
                entries[i].fd = -1;
        *oc = (struct open_cache) {
                .head = head, .slots = (const uint64_t *) (head + 1), .entries = entries, .n = n,
        };
        return 0;
}

/* A number the program closed and reused is the program's file now: forgotten, not closed. */
static void entry_clear(struct open_cache_entry *e)
{
        free(e->name);
        e->name = NULL;
        if (fd_ident_same(e->fd, &e->ident))
                safe_close(e->fd);
        e->fd = -1;
}

void open_cache_done(struct open_cache *oc)
{
        size_t i;

        if (!oc->head)
                return;
        for (i = 0; i < oc->n; i++)
                entry_clear(&oc->entries[i]);
        free(oc->entries);
        (void) munmap((void *) oc->head, SHMB_PROTO_CACHE_PAGE_SIZE);
        *oc = (struct open_cache) {};
}

/* FNV-1a of the name and the access: where the entry lives. */
static struct open_cache_entry *entry_for(struct open_cache *oc, const char *name, int access)
{
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (; *name; name++)
                h = (h ^ (uint8_t) *name) * UINT64_C(0x100000001b3);
        h = (h ^ (uint8_t) access) * UINT64_C(0x100000001b3);
        return &oc->entries[h % oc->n];
}

/* Has the broker hung up? (It has when it exited, crashed or was restarted.) */
static bool hung_up(int sock)
{
        struct pollfd p = { .fd = sock, .events = POLLRDHUP };

        if (poll(&p, 1, 0) < 0)
                return true;
        return p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL);
}

/* Refreshes what a caller's info says from the kernel (@st: fstat() of @fd): the size, and a
 * memfd's seals (a writer may have sealed it itself). */
static int info_now(int fd, const struct stat *st, struct shmb_fd_info *info)
{
        int seals;

        info->size = (uint64_t) st->st_size;
        if (info->backend != SHMB_BACKEND_MEMFD)
                return 0;
        seals = fcntl(fd, F_GET_SEALS);
        if (seals < 0)
                return -errno;
        info->flags &= ~(uint32_t) (SHMB_OBJ_SEAL_WRITE | SHMB_OBJ_SEAL_FUTURE_WRITE);
        if (seals & F_SEAL_WRITE)
                info->flags |= SHMB_OBJ_SEAL_WRITE;
        if (seals & F_SEAL_FUTURE_WRITE)
                info->flags |= SHMB_OBJ_SEAL_FUTURE_WRITE;
        return 0;
}

int open_cache_get(struct open_cache *oc, int sock, const char *name, int access, int *ret_fd,
                   struct shmb_fd_info *ret_info)
{
        _cleanup_(closep) int fd = -1;
        struct open_cache_entry *e;
        struct shmb_fd_info info;
        struct stat st;
        int r;

        if (!oc->head)
                return -ENOENT;
        e = entry_for(oc, name, access);
        if (!e->name || e->access != access || strcmp(e->name, name) != 0)
                return -ENOENT;
        /*
         * The page first, the connection after: a broker still up after the values were read
         * was up when they were read, so no other broker (another policy) could have been
         * deciding in between.
         */
        if (__atomic_load_n(&oc->head->epoch, __ATOMIC_ACQUIRE) != e->epoch ||
            __atomic_load_n(&oc->slots[e->slot], __ATOMIC_ACQUIRE) != e->gen ||
            hung_up(sock)) {
                entry_clear(e);
                return -ENOENT;
        }
        /* A dup of a number the program closed and reused would hand out the program's file
         * (or its peer's) as the segment: the dup is checked to be the file that was kept. */
        fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0 && errno != EBADF)
                return -errno;
        if (fd < 0 || fstat(fd, &st) < 0 || !fd_ident_is(&st, &e->ident)) {
                entry_clear(e);
                return -ENOENT;
        }
        if (ret_info) {
                info = e->info;
                r = info_now(fd, &st, &info);
                if (r < 0)
                        return r;
                *ret_info = info;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

void open_cache_put(struct open_cache *oc, const char *name, int access, int fd,
                    const struct shmb_fd_info *info, const struct shmb_proto_fd_cached_reply *t)
{
        struct open_cache_entry *e;
        struct fd_ident ident;
        char *copy;
        int dup_fd;

        if (!oc->head || t->slot >= SHMB_PROTO_CACHE_SLOTS)
                return;
        e = entry_for(oc, name, access);
        copy = strdup(name);
        dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (!copy || dup_fd < 0 || fd_ident_get(dup_fd, &ident) < 0) {
                free(copy);
                safe_close(dup_fd);
                return;
        }
        entry_clear(e);
        *e = (struct open_cache_entry) {
                .name = copy, .access = access, .fd = dup_fd, .ident = ident, .info = *info,
                .slot = t->slot, .epoch = t->epoch, .gen = t->gen,
        };
}
