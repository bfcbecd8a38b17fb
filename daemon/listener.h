/* SPDX-License-Identifier: MIT */
/*
 * listener.h - listening sockets: accept, take the peer's credentials, apply the connection
 * limits, hand over to conn.c.
 */
#pragma once

#include "server.h"

/* Opens, binds and listens on @path (SOCK_SEQPACKET, mode 0666). A stale socket at @path is
 * replaced only when nothing listens on it; anything else at @path is refused. */
int listener_bind(const char *path, int *ret_fd);

struct appsock;

/*
 * listener_add() - serve connections on @fd (consumed, also on failure). @path, if not NULL,
 * is unlinked when the listener is freed. @app: an app socket's listener (appsock.c), whose
 * every connection is that app; NULL for the main socket.
 */
int listener_add(struct server *s, int fd, const char *path, struct appsock *app,
                 struct listener **ret);

/* Stops accepting on @l and frees it (unlinking its path). Connections it accepted go on. */
struct listener *listener_free(struct listener *l);
void listener_free_all(struct server *s);

/* Re-arms listeners paused at a limit (EMFILE, or too many connections). */
void listener_resume_all(struct server *s);

/* Fills @ret from SO_PEERCRED and SO_PEERGROUPS of @fd, and looks up the user name. Fails
 * rather than ever guessing an identity. */
int listener_peer_identity(int fd, struct identity *ret);
