/* SPDX-License-Identifier: MIT */
/*
 * nss.c - the four lookups the daemon needs, through one retrying helper.
 *
 * The getpw*_r()/getgr*_r() calls take a caller's buffer. When it is too small they fail with
 * ERANGE and we try again with twice the size, up to NSS_BUF_MAX; when a signal interrupts a
 * network lookup they fail with EINTR and we simply ask again (a bounded number of times, so a
 * broken module cannot keep us here). "Not found" comes back in several shapes (0 with a NULL
 * result, ENOENT, ESRCH, EBADF, EPERM: see getpwnam_r(3)); all of them become -ENOENT.
 *
 * Not here: what a missing user means to the policy (policy-keys.c decides that).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "nss.h"

#define NSS_EINTR_MAX 16

enum nss_query {
        NSS_USER_BY_NAME,
        NSS_USER_BY_UID,
        NSS_GROUP_BY_NAME,
        NSS_GROUP_BY_GID,
};

/* What a caller asks for (one of name, id) and gets back (id, or a copy of the name). */
struct nss_request {
        enum nss_query query;
        const char *name;
        uint32_t id;
        uint32_t ret_id;
        char *ret_name;
};

static bool nss_not_found(int e)
{
        return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM;
}

static size_t nss_initial_size(enum nss_query q)
{
        long n = sysconf(q == NSS_USER_BY_NAME || q == NSS_USER_BY_UID ? _SC_GETPW_R_SIZE_MAX
                                                                        : _SC_GETGR_R_SIZE_MAX);

        return n > 0 && n < (long) NSS_BUF_MAX ? (size_t) n : 1024;
}

/* One call into NSS. Returns the function's error number; *found tells whether it found one. */
static int nss_call(struct nss_request *req, char *buf, size_t size, bool *found)
{
        struct passwd pw, *pwr = NULL;
        struct group gr, *grr = NULL;
        const char *name = NULL;
        int e;

        switch (req->query) {
        case NSS_USER_BY_NAME:
                e = getpwnam_r(req->name, &pw, buf, size, &pwr);
                break;
        case NSS_USER_BY_UID:
                e = getpwuid_r((uid_t) req->id, &pw, buf, size, &pwr);
                break;
        case NSS_GROUP_BY_NAME:
                e = getgrnam_r(req->name, &gr, buf, size, &grr);
                break;
        case NSS_GROUP_BY_GID:
                e = getgrgid_r((gid_t) req->id, &gr, buf, size, &grr);
                break;
        default:
                return EINVAL;
        }
        *found = e == 0 && (pwr || grr);
        if (!*found)
                return e;
        if (pwr) {
                req->ret_id = (uint32_t) pwr->pw_uid;
                name = pwr->pw_name;
        } else {
                req->ret_id = (uint32_t) grr->gr_gid;
                name = grr->gr_name;
        }
        if (req->query == NSS_USER_BY_UID || req->query == NSS_GROUP_BY_GID) {
                req->ret_name = strdup(name);
                if (!req->ret_name) {
                        *found = false;
                        return ENOMEM;
                }
        }
        return 0;
}

/* The one retrying helper. */
static int nss_lookup(struct nss_request *req)
{
        size_t size = nss_initial_size(req->query);
        unsigned interrupted = 0;

        for (;;) {
                _cleanup_(freep) char *buf = malloc(size);
                bool found = false;
                int e;

                if (!buf)
                        return -ENOMEM;
                e = nss_call(req, buf, size, &found);
                if (found)
                        return 0;
                if (e == EINTR && ++interrupted < NSS_EINTR_MAX)
                        continue;
                if (e == ERANGE) {
                        if (size >= NSS_BUF_MAX)
                                return -ERANGE;
                        size = size * 2 < NSS_BUF_MAX ? size * 2 : NSS_BUF_MAX;
                        continue;
                }
                if (e == ENOMEM)
                        return -ENOMEM;
                return nss_not_found(e) ? -ENOENT : -e;
        }
}

/**
 * nss_user_by_name() - the uid of a user.
 * @name: the user name.
 * @ret_uid: the uid, written on success only.
 *
 * Return: 0, -ENOENT, -ENOMEM, -ERANGE (the entry needs more than NSS_BUF_MAX), or another
 * -errno from the name service.
 */
int nss_user_by_name(const char *name, uid_t *ret_uid)
{
        struct nss_request req = { .query = NSS_USER_BY_NAME, .name = name };
        int r;

        r = nss_lookup(&req);
        if (r < 0)
                return r;
        *ret_uid = (uid_t) req.ret_id;
        return 0;
}

/**
 * nss_group_by_name() - the gid of a group; as nss_user_by_name().
 */
int nss_group_by_name(const char *name, gid_t *ret_gid)
{
        struct nss_request req = { .query = NSS_GROUP_BY_NAME, .name = name };
        int r;

        r = nss_lookup(&req);
        if (r < 0)
                return r;
        *ret_gid = (gid_t) req.ret_id;
        return 0;
}

/**
 * nss_user_name_by_uid() - the name of a uid.
 * @uid: the uid.
 * @ret_name: a malloc'ed copy of the name, written on success only; the caller frees it.
 *
 * Return: as nss_user_by_name(); -ENOENT for a uid without a name.
 */
int nss_user_name_by_uid(uid_t uid, char **ret_name)
{
        struct nss_request req = { .query = NSS_USER_BY_UID, .id = (uint32_t) uid };
        int r;

        r = nss_lookup(&req);
        if (r < 0)
                return r;
        *ret_name = req.ret_name;
        return 0;
}

/**
 * nss_group_name_by_gid() - the name of a gid; as nss_user_name_by_uid().
 */
int nss_group_name_by_gid(gid_t gid, char **ret_name)
{
        struct nss_request req = { .query = NSS_GROUP_BY_GID, .id = (uint32_t) gid };
        int r;

        r = nss_lookup(&req);
        if (r < 0)
                return r;
        *ret_name = req.ret_name;
        return 0;
}
