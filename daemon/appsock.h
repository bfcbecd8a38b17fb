/* SPDX-License-Identifier: MIT */
/*
 * appsock.h - per-app sockets: identity by socket for sandboxed apps.
 *
 * A sandbox engine (a Flatpak- or bubblewrap-style launcher, running as the user) asks on the
 * main socket for a socket of an app (shmbrokerctl app-socket APP_ID). The daemon makes a new
 * listening socket for it in its app directory, owned by the asking uid with mode 0600 (only
 * that user, and root, can connect), and answers with its path. The engine binds that path
 * into the sandbox as the broker's socket. Every connection accepted on it is the connecting
 * process's uid and groups, as always, and the app APP_ID: the policy's app:GLOB principals
 * match it, and user, @group and * principals do not.
 *
 * Identity by socket rather than by pid (Wayland's security-context-v1 model): nothing has to
 * look at /proc/PID of a client, so nothing races with pid reuse. The socket lives as long as
 * the asking connection: when it closes, the daemon stops accepting on it and removes it
 * (connections already made go on). A connection on an app socket cannot ask for another.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "list.h"
#include "protocol.h"
#include "user.h"

struct server;
struct listener;

#define APPSOCK_DIR_DEFAULT "/run/shmbroker/apps"

struct appsock {
        struct list_node minter_node;   /* in the minting connection's list */
        unsigned n_refs;
        struct server *server;
        struct listener *listener;      /* NULL once closed */
        char *app_id;
        uid_t uid;                      /* who asked for it, and who may connect */
        struct user_charge charge;      /* the asker's USER_SLOT_APP_SOCKETS */
        char name[64];                  /* in the app directory */
        char path[108 /* sun_path */];
};

/*
 * appsock_dir_open() - open (making it if missing, mode 0711) the directory app sockets live
 * in, check that it is ours and that nobody else can write it, let others through it (x), and
 * remove what an earlier run left there. Return: 0 and its fd, or -errno (-EPERM: not ours, or writable by others).
 */
int appsock_dir_open(const char *path, int *ret_fd);

/*
 * appsock_mint() - a new app socket for @app_id, asked for by a connection on the main socket
 * of @u whose group is @gid (the socket's owner and group: @u's uid and @gid, mode 0600);
 * filed in @minted (the asking connection's list) and listened on at once.
 * Return: 0 and the socket (referenced by @minted), or -errno: -EINVAL (not an app id),
 * -EDQUOT (the uid has LIMIT_APP_SOCKETS_PER_UID), and what socket(), bind() and friends say.
 */
int appsock_mint(struct server *s, struct list_node *minted, struct user *u, gid_t gid,
                 const char *app_id, struct appsock **ret);

/*
 * appsock_connections_max() - how many connections a uid may have through all its app
 * sockets together (USER_SLOT_APP_CONNECTIONS): MaxConnectionsPerUser= /
 * LIMIT_APP_SOCKET_CONNECTIONS_SHARE, rounded down, so that the main socket keeps the rest. 0
 * when MaxConnectionsPerUser=1: the one connection is the main socket's.
 */
uint64_t appsock_connections_max(const struct server *s);

/* The asking connection is gone: stop accepting, remove the path, drop the list's reference. */
void appsock_close(struct appsock *a);

static inline struct appsock *appsock_of_minter_node(struct list_node *n)
{
        return list_entry(n, struct appsock, minter_node);
}

struct appsock *appsock_ref(struct appsock *a);
struct appsock *appsock_unref(struct appsock *a);
