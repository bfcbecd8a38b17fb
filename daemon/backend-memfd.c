/* SPDX-License-Identifier: MIT */
/*
 * backend-memfd.c - Backend=memfd: sealed memfds the daemon holds, one per object, kept across
 * restarts in systemd's fd store as FDSTORE_OBJECT_PREFIX<serial>.
 *
 * The registry records each object (name, rule, creator, size) under its serial; the store
 * keeps only the memfd. A create is answered only once the memfd is in the store: an object
 * the client was told about never misses it. Without a service manager there is no store and
 * memfd objects live as long as the daemon.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acl.h"
#include "backend.h"
#include "fdstore.h"
#include "log.h"
#include "macro.h"
#include "memfd.h"
#include "registry.h"

struct passed_entry {
        struct hashmap_entry entry;     /* keyed by the fd's name */
        struct passed_fd *fd;
};

struct memfd_backend {
        struct backend base;
        size_t max_objects;             /* what the fd store keeps; 0: unknown */
        size_t n_objects;
        /* At start, until adopt(): the fds the store handed back, by name. */
        struct passed_fd *passed;
        size_t n_passed;
};

static struct memfd_backend *memfd_of(struct backend *b)
{
        return container_of(b, struct memfd_backend, base);
}

static void store_name(const struct object *o, char *buf, size_t size)
{
        (void) snprintf(buf, size, FDSTORE_OBJECT_PREFIX "%" PRIu64, o->serial);
}

static int memfd_backend_create(struct backend *b, struct object *o, const struct object_attrs *a,
                                int *ret_fd, struct stat *ret_st)
{
        _cleanup_(closep) int fd = -1, out = -1;
        int r;

        /* The store keeps a fixed number of fds: an object past it would not survive a
         * restart, so it is not made; nor past its creator's share of them. */
        r = fdstore_slot_check(o->creator.uid, FDSTORE_SLOT_OBJECT);
        if (r < 0) {
                if (log_ratelimit_uid(o->creator.uid))
                        log_warning("fd store: %s; refusing memfd object '%s' of uid %u.",
                                    r == -EDQUOT ? "its creator holds its share of the slots"
                                                 : "no slot is free",
                                    log_name(o->name), (unsigned) o->creator.uid);
                return -ENOSPC;
        }
        /* A fresh object gets its size (and its seals) from RESIZE. */
        r = o->flags & OBJECT_FRESH ? memfd_new_unsized(&fd) : memfd_new_sealed(o->size, &fd);
        if (r >= 0 && !(o->flags & OBJECT_FRESH) && o->rule &&
            o->rule->publish == POLICY_PUBLISH_NO && fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) < 0)
                r = -errno;
        if (r < 0)
                return r;
        out = fd_reopen(fd, O_RDWR);
        if (out < 0)
                return out;
        if (fstat(out, ret_st) < 0)
                return -errno;
        o->fd = TAKE_FD(fd);
        *ret_fd = TAKE_FD(out);
        return 0;
}

static int memfd_backend_publish(struct backend *b, struct object *o, int fd)
{
        struct memfd_backend *m = memfd_of(b);
        char name[64];
        int r;

        store_name(o, name, sizeof(name));
        r = fdstore_push(o->fd, name);
        if (r < 0 && r != -EOPNOTSUPP) {
                /* What the notify socket said is the daemon's business, not the client's:
                 * the client learns that its object could not be kept (EIO). */
                log_warning_errno(r, "fd store: cannot keep memfd object '%s', refusing its "
                                  "create: %m", log_name(o->name));
                return -EIO;
        }
        if (r >= 0)
                fdstore_slot_count(o->creator.uid, FDSTORE_SLOT_OBJECT);
        m->n_objects++;
        return 0;
}

static int memfd_backend_open(struct backend *b, struct object *o, int flags, int *ret_fd,
                              struct stat *ret_st)
{
        _cleanup_(closep) int fd = -1;

        fd = fd_reopen(o->fd, flags);
        if (fd < 0)
                return fd;
        if (fstat(fd, ret_st) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int memfd_backend_stat(struct backend *b, struct object *o, struct stat *ret_st,
                              struct shmb_proto_acl_entry *acl, size_t max)
{
        if (fstat(o->fd, ret_st) < 0)
                return -errno;
        return acl_read_fd(o->fd, acl, max);
}

static int memfd_backend_peek(struct backend *b, struct object *o, struct stat *ret_st)
{
        return fstat(o->fd, ret_st) < 0 ? -errno : 0;
}

static int memfd_backend_unlink(struct backend *b, struct object *o, int *ret_fd)
{
        struct memfd_backend *m = memfd_of(b);
        char name[64];
        int fd;

        /* Before the fd that tells whether clients still hold it: kept fds are no client's. */
        object_drop_kept(o);
        /* The daemon's own fd goes with the object; a fresh read-only one stays to tell when
         * the clients' are gone too. */
        fd = fd_reopen(o->fd, O_RDONLY);
        *ret_fd = fd >= 0 ? fd : -1;
        store_name(o, name, sizeof(name));
        fdstore_remove(name);
        if (m->n_objects > 0) {
                m->n_objects--;
                fdstore_slot_give(o->creator.uid, FDSTORE_SLOT_OBJECT);
        }
        return 0;
}

/* Owner, group and mode of a memfd object are the daemon's, 0600, whatever the rule: nothing
 * to bring in line. */
static int memfd_backend_reapply(struct backend *b, struct object *o,
                                 const struct object_attrs *a)
{
        return 0;
}

static int memfd_backend_seal(struct backend *b, struct object *o, bool future,
                              const struct object_attrs *a)
{
        /* Published: no fd kept from before is handed out again, least of all a writable one. */
        object_drop_kept(o);
        if (fcntl(o->fd, F_ADD_SEALS, future ? F_SEAL_FUTURE_WRITE : F_SEAL_WRITE) < 0)
                return -errno;
        /* F_SEAL_WRITE is final: nothing is left to add. After F_SEAL_FUTURE_WRITE the
         * publisher may still seal it for good later (a writer could too: only stronger). */
        if (!future && fcntl(o->fd, F_ADD_SEALS, F_SEAL_SEAL) < 0)
                return -errno;
        return 0;
}

/* memfds have no names but the registry's. */
static int memfd_backend_probe(struct backend *b, const char *name)
{
        return 0;
}

static int memfd_backend_resize(struct backend *b, struct object *o, uint64_t size)
{
        int r;

        object_drop_kept(o);
        r = memfd_size_and_seal(o->fd, size);
        if (r < 0)
                return r;
        if (o->rule && o->rule->publish == POLICY_PUBLISH_NO &&
            fcntl(o->fd, F_ADD_SEALS, F_SEAL_SEAL) < 0)
                return -errno;
        return 0;
}

/* Is @fd (borrowed) what the registry says object @o is? */
/*
 * Is @fd (borrowed) what the registry says object @o is? A change the journal may have missed
 * (a kill between changing the memfd and recording it) is taken from the memfd, which is the
 * truth: a fresh object that got its size and seals (RESIZE), a seal of publishing. Returns 1
 * when @o changed and must be recorded again.
 */
static int check_adopted(int fd, struct object *o)
{
        struct stat st;
        bool sealed;
        int seals, changed = 0;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADFD;
        sealed = memfd_check_seals(fd) >= 0;
        if (o->flags & OBJECT_FRESH) {
                /* Unsized: no seals yet, and whatever size its creator gave it. Sealed, it
                 * got its size from a daemon killed before recording it, or its creator
                 * sealed it: the broker checks it against the limits once it has the rules,
                 * and until then it stays fresh, also in whatever is recorded meanwhile. */
                if ((uint64_t) st.st_size != o->size || sealed) {
                        o->size = (uint64_t) st.st_size;
                        if (sealed)
                                o->flags |= OBJECT_SIZED_AT_START;
                        changed = 1;
                }
        } else if ((uint64_t) st.st_size != o->size || !sealed)
                return -EBADFD;
        seals = fcntl(fd, F_GET_SEALS);
        if (seals >= 0 && (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) &&
            !(o->flags & OBJECT_PUBLISHED)) {
                o->flags |= OBJECT_PUBLISHED;
                if (seals & F_SEAL_WRITE)
                        o->flags |= OBJECT_SEAL_WRITE;
                if (seals & F_SEAL_FUTURE_WRITE)
                        o->flags |= OBJECT_SEAL_FUTURE;
                changed = 1;
        }
        return changed;
}

static void drop_passed(struct passed_fd *p, const char *why)
{
        char esc[LOG_ESCAPE_MAX];

        log_warning("fd store: '%s' %s; dropping it.", log_escape(p->name, strlen(p->name), esc,
                                                                   sizeof(esc)), why);
        fdstore_remove(p->name);
        p->fd = safe_close(p->fd);
}

static int memfd_backend_adopt(struct backend *b, struct registry *reg)
{
        struct memfd_backend *m = memfd_of(b);
        struct passed_entry *entries = NULL;
        struct hashmap by_name;
        struct object *o, *next;
        size_t i, dropped = 0;
        int adopted = 0, r;

        /* One pass over each side, so that re-adoption is linear in the number of objects. */
        r = hashmap_init(&by_name);
        if (r < 0)
                return r;
        entries = calloc(m->n_passed ? m->n_passed : 1, sizeof(*entries));
        if (!entries) {
                hashmap_deinit(&by_name);
                return -ENOMEM;
        }
        for (i = 0; i < m->n_passed; i++) {
                if (m->passed[i].fd < 0 || hashmap_get(&by_name, m->passed[i].name))
                        continue; /* a second fd of one name: dropped below */
                entries[i].fd = &m->passed[i];
                entries[i].entry.key = m->passed[i].name;
                hashmap_put(&by_name, &entries[i].entry);
        }

        for (o = registry_first(reg); o; o = next) {
                struct hashmap_entry *e;
                char name[64];

                next = registry_next(reg, o);
                if (o->backend != POLICY_BACKEND_MEMFD)
                        continue;
                store_name(o, name, sizeof(name));
                e = hashmap_get(&by_name, name);
                r = e ? check_adopted(container_of(e, struct passed_entry, entry)->fd->fd, o)
                      : -ENOENT;
                if (r >= 0) {
                        struct passed_fd *p = container_of(e, struct passed_entry, entry)->fd;

                        if (r > 0 && registry_save(reg, o) < 0)
                                log_warning("Registry: cannot record what memfd object '%s' "
                                            "became, ignoring.", log_name(o->name));
                        o->fd = TAKE_FD(p->fd);
                        fdstore_slot_count(o->creator.uid, FDSTORE_SLOT_OBJECT);
                        m->n_objects++;
                        adopted++;
                        continue;
                }
                if (o->flags & OBJECT_REMOVING)
                        log_info("Registry: the removal of memfd object '%s' is finished.",
                                 log_name(o->name));
                else if (++dropped <= 20)
                        log_warning_errno(r, "Registry: memfd object '%s' did not come back from "
                                          "the fd store intact; forgetting it: %m",
                                          log_name(o->name));
                registry_drop(reg, o);
        }
        if (dropped > 20)
                log_warning("Registry: %zu memfd objects in all did not come back; forgotten.",
                            dropped);

        for (i = 0; i < m->n_passed; i++)
                if (m->passed[i].fd >= 0)
                        drop_passed(&m->passed[i], "is no object the registry knows");
        hashmap_deinit(&by_name);
        free(entries);
        m->passed = NULL;
        m->n_passed = 0;
        return adopted;
}

static void memfd_backend_free(struct backend *b)
{
        struct memfd_backend *m = memfd_of(b);
        size_t i;

        for (i = 0; i < m->n_passed; i++)
                m->passed[i].fd = safe_close(m->passed[i].fd);
        fdstore_slots_reset();
        free(m);
}

static const struct backend_ops memfd_ops = {
        .create = memfd_backend_create,
        .publish = memfd_backend_publish,
        .open = memfd_backend_open,
        .stat = memfd_backend_stat,
        .peek = memfd_backend_peek,
        .unlink = memfd_backend_unlink,
        .reapply = memfd_backend_reapply,
        .seal = memfd_backend_seal,
        .resize = memfd_backend_resize,
        .probe = memfd_backend_probe,
        .adopt = memfd_backend_adopt,
        .free = memfd_backend_free,
};

int backend_memfd_new(struct passed_fd *passed, size_t n_passed, size_t max_objects,
                      struct backend **ret)
{
        struct memfd_backend *m;

        m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->base = (struct backend) { .ops = &memfd_ops, .kind = POLICY_BACKEND_MEMFD,
                                     .name = "memfd" };
        m->passed = passed;
        m->n_passed = n_passed;
        m->max_objects = max_objects;
        fdstore_set_slots(max_objects);
        *ret = &m->base;
        return 0;
}
