/* SPDX-License-Identifier: MIT */
/*
 * held.c - removed objects still held by clients (see held.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "held.h"
#include "log.h"
#include "macro.h"

struct held {
        struct list_node node;
        int fd;
        struct user_charge objects, bytes;
};

void held_init(struct held_set *h)
{
        *h = (struct held_set) {};
        list_node_init(&h->list);
}

static void held_release(struct held_set *h, struct held *x)
{
        list_remove(&x->node);
        h->n--;
        user_charge_release(&x->objects);
        user_charge_release(&x->bytes);
        safe_close(x->fd);
        free(x);
}

void held_deinit(struct held_set *h)
{
        struct list_node *n;

        while ((n = list_first(&h->list)))
                held_release(h, list_entry(n, struct held, node));
}

/* 1: another open file description of the inode exists (an fd or a mapping somewhere);
 * 0: none; -errno: the kernel will not say. */
static int in_use(int fd)
{
        if (fcntl(fd, F_SETLEASE, F_WRLCK) == 0) {
                /* Only a question: a lease held would make the next open() wait for us. */
                (void) fcntl(fd, F_SETLEASE, F_UNLCK);
                return 0;
        }
        return errno == EAGAIN ? 1 : -errno;
}

/* Is the object behind @fd still held by someone? Past an answer the kernel will not give,
 * "no": the charge goes, as it did before this existed. */
static bool still_held(struct held_set *h, int fd)
{
        int r;

        if (h->leases_unusable)
                return false;
        r = in_use(fd);
        if (r >= 0)
                return r > 0;
        h->leases_unusable = true;
        log_warning_errno(r, "Cannot tell whether removed objects are still held by clients "
                          "(F_SETLEASE: %m; the daemon needs CAP_LEASE); their quota charges "
                          "are released at removal.");
        return false;
}

int held_add(struct held_set *h, int fd, struct object *o)
{
        struct held *x;

        if (!still_held(h, fd)) {
                safe_close(fd);
                return 0;
        }
        x = calloc(1, sizeof(*x));
        if (!x) {
                /* Out of memory: the charge goes now rather than never. */
                safe_close(fd);
                return 0;
        }
        x->fd = fd;
        user_charge_move(&x->objects, &o->charge_objects);
        user_charge_move(&x->bytes, &o->charge_bytes);
        list_append(&h->list, &x->node);
        h->n++;
        return 1;
}

size_t held_sweep(struct held_set *h, size_t budget)
{
        size_t released = 0, n = h->n < budget ? h->n : budget;

        while (n-- > 0) {
                struct held *x = list_entry(list_first(&h->list), struct held, node);
                struct stat st;

                if (!still_held(h, x->fd)) {
                        held_release(h, x);
                        released++;
                        continue;
                }
                /* A holder may still resize it (Backend=shm), or allocate past its end
                 * (FALLOC_FL_KEEP_SIZE): its creator pays for what it holds now
                 * (object_bytes()), less as well as more, so that a writer that keeps an fd
                 * of a removed object does not keep a charge for what it no longer holds. */
                if (fstat(x->fd, &st) == 0)
                        user_charge_set(&x->bytes, object_bytes((uint64_t) st.st_size,
                                                                (uint64_t) st.st_blocks));
                /* To the back: the next sweep starts with the next one. */
                list_remove(&x->node);
                list_append(&h->list, &x->node);
        }
        return released;
}
