/* SPDX-License-Identifier: MIT */
/*
 * acl.c - access ACLs on fds: build, apply, verify and read them.
 *
 * Why the mask is computed here: after "setfacl -m u:X:rw" on a 0600 file the group bits
 * become the mask, and a later chmod would silently cut named users down (see acl(5), "ACL
 * entries" and the mask). Mode and ACL are therefore applied together, once, through the fd.
 *
 * Two ways in: libacl for reapplying at reloads (built, set, read back and compared), and the
 * raw system.posix_acl_access value for the hot paths: a create sets a value prebuilt per rule
 * in one fsetxattr(), and a read-only handout reads the value into a stack buffer and parses
 * it, without allocating.
 */
#include <acl/libacl.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "acl.h"
#include "macro.h"

static void acl_freep(acl_t *a)
{
        if (*a)
                (void) acl_free(*a);
}

static int add_entry(acl_t *acl, acl_tag_t tag, const uint32_t *id, unsigned perm)
{
        acl_entry_t e;
        acl_permset_t ps;

        if (acl_create_entry(acl, &e) < 0 || acl_set_tag_type(e, tag) < 0)
                return -errno;
        if (id && acl_set_qualifier(e, id) < 0)
                return -errno;
        if (acl_get_permset(e, &ps) < 0 || acl_clear_perms(ps) < 0)
                return -errno;
        if ((perm & 4) && acl_add_perm(ps, ACL_READ) < 0)
                return -errno;
        if ((perm & 2) && acl_add_perm(ps, ACL_WRITE) < 0)
                return -errno;
        if ((perm & 1) && acl_add_perm(ps, ACL_EXECUTE) < 0)
                return -errno;
        return 0;
}

static int build(mode_t mode, const struct policy_acl_entry *users, size_t n_users,
                 const struct policy_acl_entry *groups, size_t n_groups, acl_t *ret)
{
        _cleanup_(acl_freep) acl_t acl = NULL;
        unsigned mask = (mode >> 3) & 7;
        size_t i;
        int r;

        acl = acl_init((int) (4 + n_users + n_groups));
        if (!acl)
                return -errno;
        r = add_entry(&acl, ACL_USER_OBJ, NULL, (mode >> 6) & 7);
        if (r >= 0)
                r = add_entry(&acl, ACL_GROUP_OBJ, NULL, (mode >> 3) & 7);
        if (r >= 0)
                r = add_entry(&acl, ACL_OTHER, NULL, mode & 7);
        for (i = 0; r >= 0 && i < n_users; i++) {
                r = add_entry(&acl, ACL_USER, &users[i].id, users[i].perm);
                mask |= users[i].perm;
        }
        for (i = 0; r >= 0 && i < n_groups; i++) {
                r = add_entry(&acl, ACL_GROUP, &groups[i].id, groups[i].perm);
                mask |= groups[i].perm;
        }
        if (r >= 0 && n_users + n_groups > 0)
                r = add_entry(&acl, ACL_MASK, NULL, mask);
        if (r < 0)
                return r;
        if (acl_valid(acl) < 0)
                return -EINVAL;
        *ret = TAKE_PTR(acl);
        return 0;
}

int acl_apply_fd(int fd, mode_t mode, const struct policy_acl_entry *users, size_t n_users,
                 const struct policy_acl_entry *groups, size_t n_groups)
{
        _cleanup_(acl_freep) acl_t want = NULL, got = NULL;
        int r;

        r = build(mode, users, n_users, groups, n_groups, &want);
        if (r < 0)
                return r;

        if (acl_set_fd(fd, want) < 0) {
                r = -errno;
                /* No ACL support: a plain mode is still exact; named entries cannot be. */
                if ((r == -EOPNOTSUPP || r == -ENOTSUP) && n_users + n_groups == 0)
                        return fchmod(fd, mode) < 0 ? -errno : 0;
                return r;
        }

        /* Read it back: what we hand out must be what the policy says, not what we hoped. */
        got = acl_get_fd(fd);
        if (!got)
                return -errno;
        if (acl_cmp(want, got) != 0)
                return -EIO;
        return 0;
}

/*
 * The value of system.posix_acl_access as the kernel takes it (include/uapi/linux/
 * posix_acl_xattr.h): a little-endian version 2 header, then 8-byte entries in the order the
 * kernel requires (owner, named users, owning group, named groups, mask, other). The ids of
 * named entries are sorted, as libacl writes them.
 */
#define ACL_XATTR_NAME "system.posix_acl_access"
#define ACL_XATTR_VERSION 0x0002
#define ACL_XATTR_UNDEFINED_ID UINT32_MAX

struct acl_xattr_entry {
        uint16_t tag;
        uint16_t perm;
        uint32_t id;
};
_Static_assert(sizeof(struct acl_xattr_entry) == 8, "the kernel's posix_acl_xattr_entry");

static uint8_t *put_entry(uint8_t *p, uint16_t tag, unsigned perm, uint32_t id)
{
        struct acl_xattr_entry e = { .tag = htole16(tag), .perm = htole16((uint16_t) perm),
                                     .id = htole32(id) };

        memcpy(p, &e, sizeof(e));
        return p + sizeof(e);
}

static int entry_compare_id(const void *a, const void *b)
{
        const struct policy_acl_entry *x = a, *y = b;

        return x->id < y->id ? -1 : x->id > y->id;
}

/* The named entries of one kind sorted by id, written out; -EINVAL for a repeated id. */
static int put_named(uint8_t **p, uint16_t tag, const struct policy_acl_entry *v, size_t n)
{
        _cleanup_(freep) struct policy_acl_entry *sorted = NULL;
        size_t i;

        if (n == 0)
                return 0;
        sorted = malloc(n * sizeof(*sorted));
        if (!sorted)
                return -ENOMEM;
        memcpy(sorted, v, n * sizeof(*sorted));
        qsort(sorted, n, sizeof(*sorted), entry_compare_id);
        for (i = 0; i < n; i++) {
                if (i > 0 && sorted[i].id == sorted[i - 1].id)
                        return -EINVAL;
                *p = put_entry(*p, tag, sorted[i].perm & 7, sorted[i].id);
        }
        return 0;
}

int acl_xattr_build(mode_t mode, const struct policy_acl_entry *users, size_t n_users,
                    const struct policy_acl_entry *groups, size_t n_groups,
                    struct acl_xattr *ret)
{
        _cleanup_(freep) uint8_t *buf = NULL;
        unsigned mask = (mode >> 3) & 7;
        uint32_t version = htole32(ACL_XATTR_VERSION);
        size_t n = 3 + n_users + n_groups + (n_users + n_groups > 0), i, size;
        uint8_t *p;
        int r;

        size = sizeof(version) + n * sizeof(struct acl_xattr_entry);
        buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, &version, sizeof(version));
        p = buf + sizeof(version);
        p = put_entry(p, ACL_USER_OBJ, (mode >> 6) & 7, ACL_XATTR_UNDEFINED_ID);
        r = put_named(&p, ACL_USER, users, n_users);
        if (r < 0)
                return r;
        p = put_entry(p, ACL_GROUP_OBJ, (mode >> 3) & 7, ACL_XATTR_UNDEFINED_ID);
        r = put_named(&p, ACL_GROUP, groups, n_groups);
        if (r < 0)
                return r;
        for (i = 0; i < n_users; i++)
                mask |= users[i].perm & 7;
        for (i = 0; i < n_groups; i++)
                mask |= groups[i].perm & 7;
        if (n_users + n_groups > 0)
                p = put_entry(p, ACL_MASK, mask, ACL_XATTR_UNDEFINED_ID);
        p = put_entry(p, ACL_OTHER, mode & 7, ACL_XATTR_UNDEFINED_ID);
        *ret = (struct acl_xattr) {
                .value = TAKE_PTR(buf), .size = size, .named = n_users + n_groups > 0,
                /* What the kernel makes of it: with named entries the group class is the
                 * mask. */
                .mode = (mode & 0707) | ((n_users + n_groups > 0 ? mask : (mode >> 3) & 7) << 3),
        };
        return 0;
}

void acl_xattr_done(struct acl_xattr *x)
{
        free(x->value);
        *x = (struct acl_xattr) {};
}

int acl_xattr_apply_fd(int fd, const struct acl_xattr *x)
{
        if (fsetxattr(fd, ACL_XATTR_NAME, x->value, x->size, 0) < 0) {
                int r = -errno;

                /* No ACL support: a plain mode is still exact; named entries cannot be. */
                if ((r == -EOPNOTSUPP || r == -ENOTSUP) && !x->named)
                        return fchmod(fd, x->mode) < 0 ? -errno : 0;
                return r;
        }
        return 0;
}

int acl_xattr_matches_fd(int fd, const struct stat *st, const struct acl_xattr *x)
{
        uint8_t stack[4 + 256 * sizeof(struct acl_xattr_entry)];
        _cleanup_(freep) uint8_t *heap = NULL;
        uint8_t *buf = stack;
        size_t size = sizeof(stack);
        ssize_t n;

        if ((st->st_mode & 07777) != x->mode)
                return 0;
        /* A rule may name more entries than the stack buffer holds (POLICY_LIST_MAX each of
         * ReadWrite= and ReadOnly=): room for exactly the value we want, so that ERANGE means
         * a longer one. */
        if (x->size > size) {
                heap = malloc(x->size);
                if (!heap)
                        return -ENOMEM;
                buf = heap;
                size = x->size;
        }
        n = fgetxattr(fd, ACL_XATTR_NAME, buf, size);
        if (n < 0) {
                if (errno == ERANGE)
                        return 0;       /* longer than the value we want */
                if (errno != ENODATA && errno != EOPNOTSUPP && errno != ENOTSUP)
                        return -errno;
                /* No ACL beyond the mode: right when the value has no named entries (the
                 * kernel keeps such a value as the mode alone). */
                return !x->named;
        }
        /* The kernel hands back what it stored, in the order it was set (sorted, as
         * acl_xattr_build() makes it): a different value is a different ACL, or one set
         * behind the daemon's back; either way it is set again. */
        return x->named && (size_t) n == x->size && memcmp(buf, x->value, x->size) == 0;
}

/* Calls @cb for each entry of a system.posix_acl_access value; -EIO if it is malformed. */
static int walk_value(const uint8_t *v, size_t size,
                      int (*cb)(const struct shmb_proto_acl_entry *e, void *ud), void *ud)
{
        uint32_t version;
        size_t i;
        int r;

        if (size < sizeof(version) || (size - sizeof(version)) % sizeof(struct acl_xattr_entry))
                return -EIO;
        memcpy(&version, v, sizeof(version));
        if (le32toh(version) != ACL_XATTR_VERSION)
                return -EIO;
        for (i = sizeof(version); i < size; i += sizeof(struct acl_xattr_entry)) {
                struct acl_xattr_entry e;
                struct shmb_proto_acl_entry out;

                memcpy(&e, v + i, sizeof(e));
                out = (struct shmb_proto_acl_entry) {
                        .tag = le16toh(e.tag), .perm = le16toh(e.perm) & 7,
                        .id = le16toh(e.tag) == ACL_USER || le16toh(e.tag) == ACL_GROUP
                                      ? le32toh(e.id)
                                      : UINT32_MAX,
                };
                r = cb(&out, ud);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The minimal ACL the mode stands for, when the inode has no extended one. */
static int walk_mode(mode_t mode, int (*cb)(const struct shmb_proto_acl_entry *e, void *ud),
                     void *ud)
{
        const struct shmb_proto_acl_entry entries[] = {
                { .tag = ACL_USER_OBJ, .perm = (mode >> 6) & 7, .id = UINT32_MAX },
                { .tag = ACL_GROUP_OBJ, .perm = (mode >> 3) & 7, .id = UINT32_MAX },
                { .tag = ACL_OTHER, .perm = mode & 7, .id = UINT32_MAX },
        };
        size_t i;
        int r;

        for (i = 0; i < ELEMENTSOF(entries); i++) {
                r = cb(&entries[i], ud);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * Calls @cb for every entry of @fd's access ACL, in the kernel's order (synthesised from the
 * mode when minimal; @st: @fd's stat if the caller has it, else NULL). The value is read
 * straight into a buffer on the stack and parsed here: one fgetxattr() and no allocation for
 * every ACL the daemon makes (libacl allocates, and stats the fd again for a minimal ACL).
 */
static int acl_walk(int fd, const struct stat *st,
                    int (*cb)(const struct shmb_proto_acl_entry *e, void *ud), void *ud)
{
        uint8_t buf[4 + 256 * sizeof(struct acl_xattr_entry)];
        _cleanup_(freep) uint8_t *big = NULL;
        struct stat own;
        ssize_t n;

        n = fgetxattr(fd, ACL_XATTR_NAME, buf, sizeof(buf));
        if (n < 0 && errno == ERANGE) {
                /* More than 256 entries (set behind the daemon's back): the slow way. */
                n = fgetxattr(fd, ACL_XATTR_NAME, NULL, 0);
                if (n < 0)
                        return -errno;
                big = malloc((size_t) n + 1);
                if (!big)
                        return -ENOMEM;
                n = fgetxattr(fd, ACL_XATTR_NAME, big, (size_t) n + 1);
        }
        if (n >= 0)
                return walk_value(big ? big : buf, (size_t) n, cb, ud);
        if (errno != ENODATA && errno != EOPNOTSUPP && errno != ENOTSUP)
                return -errno;
        if (!st) {
                if (fstat(fd, &own) < 0)
                        return -errno;
                st = &own;
        }
        return walk_mode(st->st_mode, cb, ud);
}

struct read_ctx {
        struct shmb_proto_acl_entry *entries;
        size_t n, max;
};

static int read_one(const struct shmb_proto_acl_entry *e, void *ud)
{
        struct read_ctx *rc = ud;

        if (rc->n >= rc->max)
                return -E2BIG;
        rc->entries[rc->n++] = *e;
        return 0;
}

int acl_read_fd(int fd, struct shmb_proto_acl_entry *entries, size_t max)
{
        struct read_ctx rc = { .entries = entries, .max = max };
        int r;

        r = acl_walk(fd, NULL, read_one, &rc);
        return r < 0 ? r : (int) rc.n;
}

/* The classes of acl(5)'s access check, gathered in one pass over the entries. */
struct access_ctx {
        const struct identity *id;
        gid_t owning_gid;
        unsigned mask, other, user_obj, named_user, groups;
        bool has_named_user, in_group;
};

static int access_one(const struct shmb_proto_acl_entry *e, void *ud)
{
        struct access_ctx *a = ud;

        switch (e->tag) {
        case ACL_USER_OBJ:
                a->user_obj = e->perm;
                break;
        case ACL_USER:
                if (e->id == a->id->uid) {
                        a->named_user = e->perm;
                        a->has_named_user = true;
                }
                break;
        case ACL_GROUP_OBJ:
        case ACL_GROUP:
                if (identity_in_group(a->id, e->tag == ACL_GROUP ? e->id : a->owning_gid)) {
                        a->groups |= e->perm;
                        a->in_group = true;
                }
                break;
        case ACL_MASK:
                a->mask = e->perm;
                break;
        case ACL_OTHER:
                a->other = e->perm;
                break;
        default:
                break;
        }
        return 0;
}

int acl_access_fd(int fd, const struct stat *st, const struct identity *id,
                  unsigned *ret_access)
{
        struct access_ctx a = { .id = id, .owning_gid = st->st_gid, .mask = 7 };
        int r;

        r = acl_walk(fd, st, access_one, &a);
        if (r < 0)
                return r;

        /* The order of acl(5)'s algorithm: the first class that matches decides. */
        if (st->st_uid == id->uid)
                *ret_access = a.user_obj & 6;
        else if (a.has_named_user)
                *ret_access = a.named_user & a.mask & 6;
        else if (a.in_group)
                *ret_access = a.groups & a.mask & 6;
        else
                *ret_access = a.other & 6;
        return 0;
}
