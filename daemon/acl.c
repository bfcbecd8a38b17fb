/* SPDX-License-Identifier: MIT */
/*
 * acl.c - libacl glue: build, apply, verify and read access ACLs.
 *
 * Why the mask is computed here: after "setfacl -m u:X:rw" on a 0600 file the group bits
 * become the mask, and a later chmod would silently cut named users down
 * (security.md M9). Mode and ACL are therefore applied together, once, through the fd.
 */
#include <acl/libacl.h>
#include <errno.h>
#include <sys/acl.h>

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

int acl_read_fd(int fd, struct shmb_proto_acl_entry *entries, size_t max)
{
        _cleanup_(acl_freep) acl_t acl = NULL;
        acl_entry_t e;
        size_t n = 0;
        int w;

        acl = acl_get_fd(fd);
        if (!acl)
                return -errno;
        for (w = acl_get_entry(acl, ACL_FIRST_ENTRY, &e); w > 0;
             w = acl_get_entry(acl, ACL_NEXT_ENTRY, &e)) {
                acl_tag_t tag;
                acl_permset_t ps;
                uint32_t id = UINT32_MAX;
                unsigned perm = 0;

                if (n >= max)
                        return -E2BIG;
                if (acl_get_tag_type(e, &tag) < 0 || acl_get_permset(e, &ps) < 0)
                        return -errno;
                if (tag == ACL_USER || tag == ACL_GROUP) {
                        uint32_t *q = acl_get_qualifier(e);

                        if (!q)
                                return -errno;
                        id = *q;
                        (void) acl_free(q);
                }
                perm |= acl_get_perm(ps, ACL_READ) > 0 ? 4 : 0;
                perm |= acl_get_perm(ps, ACL_WRITE) > 0 ? 2 : 0;
                perm |= acl_get_perm(ps, ACL_EXECUTE) > 0 ? 1 : 0;
                entries[n++] = (struct shmb_proto_acl_entry) {
                        .tag = (uint32_t) tag, .id = id, .perm = perm,
                };
        }
        if (w < 0)
                return -errno;
        return (int) n;
}

int acl_access_fd(int fd, const struct stat *st, const struct identity *id,
                  unsigned *ret_access)
{
        struct shmb_proto_acl_entry entries[SHMB_PROTO_ACL_MAX];
        unsigned mask = 7, other = 0, user_obj = 0, named_user = 0, groups = 0;
        bool has_named_user = false, in_group = false;
        int i, n;

        n = acl_read_fd(fd, entries, ELEMENTSOF(entries));
        if (n < 0)
                return n;

        for (i = 0; i < n; i++) {
                const struct shmb_proto_acl_entry *e = &entries[i];

                switch (e->tag) {
                case ACL_USER_OBJ:
                        user_obj = e->perm;
                        break;
                case ACL_USER:
                        if (e->id == id->uid) {
                                named_user = e->perm;
                                has_named_user = true;
                        }
                        break;
                case ACL_GROUP_OBJ:
                        if (identity_in_group(id, st->st_gid)) {
                                groups |= e->perm;
                                in_group = true;
                        }
                        break;
                case ACL_GROUP:
                        if (identity_in_group(id, e->id)) {
                                groups |= e->perm;
                                in_group = true;
                        }
                        break;
                case ACL_MASK:
                        mask = e->perm;
                        break;
                case ACL_OTHER:
                        other = e->perm;
                        break;
                default:
                        break;
                }
        }

        /* The order of acl(5)'s access check algorithm: the first class that matches decides. */
        if (st->st_uid == id->uid)
                *ret_access = user_obj & 6;
        else if (has_named_user)
                *ret_access = named_user & mask & 6;
        else if (in_group)
                *ret_access = groups & mask & 6;
        else
                *ret_access = other & 6;
        return 0;
}
