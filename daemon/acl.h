/* SPDX-License-Identifier: MIT */
/*
 * acl.h - POSIX ACLs on object fds: apply the policy's, read them back, and answer "what does
 * this inode let that identity do?".
 *
 * Everything works on fds, never on paths.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "identity.h"
#include "policy.h"
#include "protocol.h"

/*
 * acl_apply_fd() - set mode and named entries in one step.
 * @fd: borrowed.
 *
 * Builds user::, group::, other:: from @mode, one user:ID: or group:ID: entry per named
 * principal, and the mask as the union of group:: and the named entries, then acl_set_fd()s
 * it and reads it back to check. Inherited (default ACL) entries and the umask are replaced.
 * Without named entries this is a minimal ACL, the same as fchmod(@mode).
 *
 * Return: 0, or -errno: -EOPNOTSUPP when the filesystem has no ACLs and named entries were
 * asked for (fail closed), -EIO when the ACL read back differs.
 */
int acl_apply_fd(int fd, mode_t mode, const struct policy_acl_entry *users, size_t n_users,
                 const struct policy_acl_entry *groups, size_t n_groups);

/*
 * A prebuilt system.posix_acl_access value: what acl_apply_fd() sets, built once (per rule,
 * attrs.c) and set on a new file in one fsetxattr(), which also sets the mode.
 */
struct acl_xattr {
        void *value;            /* owned */
        size_t size;
        mode_t mode;            /* the permission bits the file gets from it (0777 at most) */
        bool named;             /* it has named entries (and a mask) */
};

/*
 * acl_xattr_build() - the value for @mode and the named entries, with the same entries and mask
 * as acl_apply_fd(). Return: 0, -EINVAL for an id named twice, -ENOMEM.
 */
int acl_xattr_build(mode_t mode, const struct policy_acl_entry *users, size_t n_users,
                    const struct policy_acl_entry *groups, size_t n_groups,
                    struct acl_xattr *ret);
void acl_xattr_done(struct acl_xattr *x);

/*
 * acl_xattr_apply_fd() - set @x on @fd (borrowed) in one call; without ACL support, a value
 * without named entries is set with fchmod(). Nothing is read back: the caller checks the mode
 * the file then has (fstat) against @x->mode.
 */
int acl_xattr_apply_fd(int fd, const struct acl_xattr *x);

/*
 * acl_xattr_matches_fd() - has the file behind @fd (borrowed; @st its fstat) the permission bits
 * and access ACL that @x sets? Return: 1 yes, 0 no, -errno.
 */
int acl_xattr_matches_fd(int fd, const struct stat *st, const struct acl_xattr *x);

/*
 * acl_read_fd() - the access ACL of @fd as wire entries (minimal ACL from the mode when the
 * inode has no extended one). Return: the number of entries, or -errno (-E2BIG if more than
 * @max).
 */
int acl_read_fd(int fd, struct shmb_proto_acl_entry *entries, size_t max);

/*
 * acl_access_fd() - the access bits (4 read, 2 write) the inode behind @fd grants @id, by the
 * kernel's POSIX ACL algorithm (owner, named user & mask, groups & mask, other). Root is not
 * special here: the caller decides what root means.
 */
int acl_access_fd(int fd, const struct stat *st, const struct identity *id,
                  unsigned *ret_access);
