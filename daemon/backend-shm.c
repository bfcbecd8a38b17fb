/* SPDX-License-Identifier: MIT */
/*
 * backend-shm.c - Backend=shm: objects are files in the object directory, known by their
 * inode.
 *
 * The registry records each object's dev/ino when the daemon makes it; every later operation
 * works on the inode it opens by name only after checking it is that one. A name that holds
 * another inode (a file planted, swapped or renamed in by someone who can write the directory)
 * is not the object: it is never handed out, changed or removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "backend.h"
#include "log.h"
#include "macro.h"
#include "registry.h"
#include "shm.h"
#include "trash.h"

struct shm_backend {
        struct backend base;
        int dir_fd;             /* owned */
        struct trash trash;
};

/* At most this many objects are named one by one in the start-up report; then a count. */
#define REPORT_NAMES_MAX 20

static struct shm_backend *shm_of(struct backend *b)
{
        return container_of(b, struct shm_backend, base);
}

static int shm_backend_create(struct backend *b, struct object *o, const struct object_attrs *a,
                              int *ret_fd, struct stat *ret_st)
{
        int r;

        r = shm_create_unnamed(shm_of(b)->dir_fd, o->size, a, ret_fd, ret_st);
        if (r < 0)
                return r;
        o->dev = ret_st->st_dev;
        o->ino = ret_st->st_ino;
        return 0;
}

static int shm_backend_publish(struct backend *b, struct object *o, int fd)
{
        return shm_link(shm_of(b)->dir_fd, o->name, fd);
}

static int shm_backend_open(struct backend *b, struct object *o, int flags, int *ret_fd,
                            struct stat *ret_st)
{
        return shm_open_inode(shm_of(b)->dir_fd, o->name, flags, o->dev, o->ino, ret_fd, ret_st);
}

static int shm_backend_peek(struct backend *b, struct object *o, struct stat *ret_st)
{
        struct stat st;

        if (fstatat(shm_of(b)->dir_fd, o->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? -ENOENT : -errno;
        if (!S_ISREG(st.st_mode) || st.st_dev != o->dev || st.st_ino != o->ino)
                return -ENOENT;
        *ret_st = st;
        return 0;
}

static int shm_backend_stat(struct backend *b, struct object *o, struct stat *ret_st,
                            struct shmb_proto_acl_entry *acl, size_t max)
{
        _cleanup_(closep) int fd = -1;
        int r;

        r = shm_backend_open(b, o, O_RDONLY, &fd, ret_st);
        if (r < 0)
                return r;
        return acl_read_fd(fd, acl, max);
}

static int shm_backend_unlink(struct backend *b, struct object *o, int *ret_fd)
{
        struct shm_backend *s = shm_of(b);

        /* Before the fd that tells whether clients still hold it: kept fds are no client's. */
        object_drop_kept(o);
        return trash_remove(&s->trash, o->name, o->serial, o->dev, o->ino, ret_fd);
}

/*
 * Sets @a on the file behind @fd (@st its fstat). Set-user-ID, set-group-ID and sticky bits
 * that its owner put there go first: fchown() and the ACL leave S_ISVTX (and S_ISGID without
 * group execute) as they are, and the file would never be as the rule says. The permission
 * bits stay as they are until the ACL sets them: the mask is not widened in between.
 */
static int apply_attrs(int fd, const struct stat *st, const struct object_attrs *a)
{
        if ((st->st_mode & 07000) && fchmod(fd, st->st_mode & 0777) < 0)
                return -errno;
        return shm_apply_attrs(fd, a);
}

static int shm_backend_reapply(struct backend *b, struct object *o, const struct object_attrs *a)
{
        _cleanup_(closep) int fd = -1;
        struct stat st;
        int r;

        /* Its fds were handed out under the attributes it had: none is handed out again. */
        object_drop_kept(o);
        r = shm_backend_open(b, o, O_RDONLY, &fd, &st);
        if (r < 0)
                return r;
        return apply_attrs(fd, &st, a);
}

static int shm_backend_conform(struct backend *b, struct object *o, const struct object_attrs *a)
{
        _cleanup_(closep) int fd = -1;
        struct stat st;
        int r;

        r = shm_backend_open(b, o, O_RDONLY, &fd, &st);
        if (r < 0)
                return r;
        r = shm_attrs_match(fd, &st, a);
        if (r != 0)
                return r < 0 ? r : 0;
        /* Its fds were handed out under the attributes it had: none is handed out again. */
        object_drop_kept(o);
        r = apply_attrs(fd, &st, a);
        return r < 0 ? r : 1;
}

static int shm_backend_seal(struct backend *b, struct object *o, bool future,
                            const struct object_attrs *a)
{
        return shm_backend_reapply(b, o, a);
}

static int shm_backend_resize(struct backend *b, struct object *o, uint64_t size)
{
        _cleanup_(closep) int fd = -1;
        struct stat st;
        int r;

        object_drop_kept(o);
        r = shm_backend_open(b, o, O_RDWR, &fd, &st);
        if (r < 0)
                return r;
        if (ftruncate(fd, (off_t) size) < 0)
                return -errno;
        /* Reserved, as at create: running out of memory fails the resize, not a later touch. */
        r = posix_fallocate(fd, 0, (off_t) size);
        if (r != 0) {
                /* Back to nothing, as it was: a resize fails whole. */
                if (ftruncate(fd, 0) < 0)
                        log_debug_errno(-errno, "Object '%s': cannot shrink it back: %m",
                                        log_name(o->name));
                return r == ENOSPC || r == EFBIG ? -ENOSPC : -r;
        }
        return 0;
}

static int shm_backend_probe(struct backend *b, const char *name)
{
        struct stat st;

        if (fstatat(shm_of(b)->dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                return 1;
        return errno == ENOENT ? 0 : -errno;
}

static bool trash_entry_ours(uint64_t serial, dev_t dev, ino_t ino, void *userdata)
{
        struct object *o = registry_lookup_serial(userdata, serial);

        return o && o->backend == POLICY_BACKEND_SHM && o->dev == dev && o->ino == ino;
}

/*
 * Reads the object directory once: an object whose name holds a regular file with its inode
 * is marked OBJECT_SEEN (readdir() tells the type and inode number: no stat per object, which
 * was a quarter of a start with 100k objects); every entry that is no object is reported.
 */
static void scan(struct backend *b, struct registry *reg)
{
        struct shm_backend *s = shm_of(b);
        struct dirent *de;
        struct stat dir;
        size_t unknown = 0;
        DIR *d;

        if (fstat(s->dir_fd, &dir) < 0 || shm_dir_stream(s->dir_fd, &d) < 0)
                return;
        while ((de = readdir(d))) {
                struct object *o;
                struct stat st;

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
                    trash_is_trash_name(de->d_name))
                        continue;
                o = registry_lookup(reg, de->d_name);
                /* Another file at an object's name is not it: the object is gone, and the
                 * file is reported as any other. */
                if (o && o->backend == POLICY_BACKEND_SHM &&
                    (de->d_type == DT_UNKNOWN ? shm_backend_peek(b, o, &st) >= 0
                                              : de->d_type == DT_REG && de->d_ino == o->ino &&
                                                        dir.st_dev == o->dev)) {
                        o->flags |= OBJECT_SEEN;
                        continue;
                }
                if (++unknown <= REPORT_NAMES_MAX) {
                        char esc[LOG_ESCAPE_MAX];

                        log_notice("Object directory: '%s' was not made by this daemon; it is "
                                   "not handed out and is left alone.",
                                   log_escape(de->d_name, strlen(de->d_name), esc, sizeof(esc)));
                }
        }
        (void) closedir(d);
        if (unknown > REPORT_NAMES_MAX)
                log_notice("Object directory: %zu entries in all were not made by this daemon.",
                           unknown);
}

static int shm_backend_adopt(struct backend *b, struct registry *reg)
{
        struct shm_backend *s = shm_of(b);
        struct object *o, *next;
        size_t dropped = 0;
        int adopted = 0, r;

        /* Removals cut short by a crash: finish those, before checking names. */
        r = trash_cleanup(s->dir_fd, &s->trash, trash_entry_ours, reg);
        if (r > 0)
                log_info("Finished %d removal(s) interrupted by the previous instance.", r);

        scan(b, reg);
        for (o = registry_first(reg); o; o = next) {
                next = registry_next(reg, o);
                if (o->backend != POLICY_BACKEND_SHM)
                        continue;
                if (o->flags & OBJECT_SEEN) {
                        o->flags &= ~OBJECT_SEEN;
                        adopted++;
                        continue;
                }
                /* Its removal began, and got as far as its file (trash_cleanup() above): done. */
                if (o->flags & OBJECT_REMOVING) {
                        log_info("Registry: the removal of '%s' is finished.", log_name(o->name));
                        registry_drop(reg, o);
                        continue;
                }
                if (++dropped <= REPORT_NAMES_MAX)
                        log_warning("Registry: object '%s' is gone from the object directory "
                                    "or replaced by another file; forgetting it.",
                                    log_name(o->name));
                registry_drop(reg, o);
        }
        if (dropped > REPORT_NAMES_MAX)
                log_warning("Registry: %zu objects in all were gone; forgotten.", dropped);
        return adopted;
}

static void shm_backend_free(struct backend *b)
{
        struct shm_backend *s = shm_of(b);

        trash_close(&s->trash);
        safe_close(s->dir_fd);
        free(s);
}

static const struct backend_ops shm_ops = {
        .create = shm_backend_create,
        .publish = shm_backend_publish,
        .open = shm_backend_open,
        .stat = shm_backend_stat,
        .peek = shm_backend_peek,
        .unlink = shm_backend_unlink,
        .reapply = shm_backend_reapply,
        .conform = shm_backend_conform,
        .seal = shm_backend_seal,
        .resize = shm_backend_resize,
        .probe = shm_backend_probe,
        .adopt = shm_backend_adopt,
        .free = shm_backend_free,
};

int backend_shm_new(int dir_fd, struct backend **ret)
{
        struct shm_backend *s;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s) {
                safe_close(dir_fd);
                return -ENOMEM;
        }
        s->base = (struct backend) { .ops = &shm_ops, .kind = POLICY_BACKEND_SHM, .name = "shm" };
        s->dir_fd = dir_fd;
        r = trash_open(dir_fd, &s->trash);
        if (r < 0) {
                safe_close(dir_fd);
                free(s);
                return r;
        }
        *ret = &s->base;
        return 0;
}

struct backend *backend_free(struct backend *b)
{
        if (b)
                b->ops->free(b);
        return NULL;
}
