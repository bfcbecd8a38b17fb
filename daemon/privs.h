/* SPDX-License-Identifier: MIT */
/*
 * privs.h - dropping from root to the daemon's own user, keeping only the capabilities that
 * brokering needs.
 */
#pragma once

#include <sys/types.h>

/*
 * The capabilities shmbrokerd keeps, and why:
 *   CAP_CHOWN         fchown() a new object to the policy's Owner= and Group=.
 *   CAP_FOWNER        fchmod() and acl_set_fd() on an object it no longer owns after that
 *                     fchown(); linkat() of such an object into place under
 *                     fs.protected_hardlinks, and renameat2() of it out of a sticky object
 *                     directory (/dev/shm is 1777) for removal (trash.c).
 *   CAP_DAC_OVERRIDE  open an existing object for a client when the object's mode and ACL do
 *                     not name the daemon's user (Owner=%u, Mode=0600): the alternative, an
 *                     ACL entry for the daemon on every object, would put an entry in every
 *                     ACL that the policy did not ask for.
 *   CAP_LEASE         ask, with a write lease taken and dropped at once, whether a removed
 *                     object it does not own is still open or mapped somewhere, so that its
 *                     creator stays charged for it until it is not (held.c).
 */
#define PRIVS_KEEP_CAPS { CAP_CHOWN, CAP_FOWNER, CAP_DAC_OVERRIDE, CAP_LEASE }

/*
 * privs_drop() - become @user, keeping only PRIVS_KEEP_CAPS in the effective, permitted and
 * bounding sets (none inheritable or ambient), then set no_new_privs and make the process
 * non-dumpable. Must be called as root. Return: 0, or -errno (-ESRCH: no such user).
 */
int privs_drop(const char *user);
