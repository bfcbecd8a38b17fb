/* SPDX-License-Identifier: MIT */
/*
 * identity.h - who a client is, as the kernel told us when it connected.
 *
 * Filled once at accept from SO_PEERCRED and SO_PEERGROUPS and never from request payloads;
 * the app id comes from the socket the connection arrived on, not from the peer.
 * The user name is looked up at most once per connection, and only when the policy has a %u
 * that needs it: an NSS lookup can be slow (LDAP), and most policies never ask.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define IDENTITY_GROUPS_MAX 65536 /* NGROUPS_MAX on Linux */

struct identity {
        uid_t uid;
        gid_t gid;
        pid_t pid;              /* 0 when the peer is in another pid namespace */
        gid_t *groups;          /* supplementary groups, owned */
        size_t n_groups;
        char *user_name;        /* owned; NULL when the uid has no name, or not looked up */
        bool user_name_resolved;
        bool user_name_failed;  /* resolved, but the name service failed (not "no such
                                 * uid"): user_name is NULL without being known to be none */
        /* The group named like the user (for Group=%u), looked up with the name. */
        bool user_group_resolved;
        bool has_user_group;
        gid_t user_group;
        char *app_id;           /* owned; the app of a connection on an app socket (a valid
                                 * shmb_app_id_valid() id); NULL on the main socket */
        bool has_peer_fd;       /* peer_fd is the connection's socket (borrowed), for asking
                                 * the kernel for the peer's pidfd (SO_PEERPIDFD) */
        int peer_fd;
};

void identity_deinit(struct identity *id);
bool identity_in_group(const struct identity *id, gid_t gid);

/* Looks the user name up (getpwuid_r) unless that was done already. A uid without a name is
 * not an error: user_name stays NULL. Returns 0 or -ENOMEM. */
int identity_resolve_user_name(struct identity *id);
