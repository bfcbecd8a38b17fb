/* SPDX-License-Identifier: MIT */
/*
 * opencache.h - the client's side of reusing fds (shmb_client_set_open_cache()).
 *
 * The broker's generation page, mapped read-only, and a direct-mapped table of grants: each
 * entry a name, the access asked for, a dup of the fd the broker handed out, what the library
 * checked about it, and the broker's ticket (the page slot, and the epoch and slot values at
 * the decision). A lookup answers with a dup() only while both values read back unchanged
 * and the connection is still up: the broker raises them before it answers anything that
 * follows a change (protocol.h, "The generation page"), and a broker that is gone has hung up.
 *
 * Not here: the round trips (client.c).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "fdident.h"
#include "protocol.h"
#include "shmbroker.h"

struct open_cache_entry {
        char *name;             /* normalised; NULL: free */
        int access;             /* as asked: SHMB_ACCESS_RDONLY, _RDWR or _ANY */
        int fd;                 /* owned while name is set, and while it is still ident */
        struct fd_ident ident;  /* what fd was when kept (fdident.h) */
        struct shmb_fd_info info;
        uint32_t slot;
        uint64_t epoch;
        uint64_t gen;
};

struct open_cache {
        const struct shmb_proto_cache_head *head;  /* the page, mapped read-only; NULL: off */
        const uint64_t *slots;
        struct open_cache_entry *entries;
        size_t n;
};

/* Maps the page @page_fd (borrowed; checked: a sealed regular file of one page, with the
 * page's magic) and makes room for @n entries. */
int open_cache_init(struct open_cache *oc, int page_fd, size_t n);
/* Closes every fd it holds and unmaps the page; the cache is off until open_cache_init(). */
void open_cache_done(struct open_cache *oc);

/*
 * open_cache_get() - answer an open from the cache.
 * @sock: the connection to the broker (polled for a hang-up).
 *
 * Return: 0 with *ret_fd a new fd (O_CLOEXEC) and, if @ret_info, what it gives (size and seals
 * as the kernel has them now); -ENOENT when the broker must be asked; or the -errno of dup().
 */
int open_cache_get(struct open_cache *oc, int sock, const char *name, int access, int *ret_fd,
                   struct shmb_fd_info *ret_info);

/* Remembers a grant (a dup of @fd) when @t allows it; on any failure it is simply not kept. */
void open_cache_put(struct open_cache *oc, const char *name, int access, int fd,
                    const struct shmb_fd_info *info, const struct shmb_proto_fd_cached_reply *t);
