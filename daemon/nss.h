/* SPDX-License-Identifier: MIT */
/*
 * nss.h - user and group lookups through NSS (files, LDAP, sss, systemd-userdb...).
 *
 * Each call may block for as long as the name service does, so the daemon calls these only at
 * policy load, once per connection for its user name, and when it checks an object's owner;
 * never from the pure parts of the policy (pattern.c, policy_match()).
 *
 * Every function returns 0 on success, -ENOENT when there is no such user or group, -ENOMEM,
 * or another -errno the name service reported (EIO, EAGAIN, ETIMEDOUT, ...): the callers treat
 * that as "does not resolve" too, and may show the reason.
 */
#pragma once

#include <sys/types.h>

/* The largest buffer the lookups try before they give up with -ERANGE: an entry that needs
 * more (a group with tens of thousands of members) is not one the daemon can use. */
#define NSS_BUF_MAX (4u << 20)

int nss_user_by_name(const char *name, uid_t *ret_uid);
int nss_group_by_name(const char *name, gid_t *ret_gid);
/* @ret_name is malloc'ed; the caller frees it. */
int nss_user_name_by_uid(uid_t uid, char **ret_name);
int nss_group_name_by_gid(gid_t gid, char **ret_name);
