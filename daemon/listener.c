/* SPDX-License-Identifier: MIT */
/*
 * listener.c - accept() and the peer's identity.
 *
 * Identity comes from the kernel only, once, at accept: SO_PEERCRED for uid, gid and pid,
 * SO_PEERGROUPS for the supplementary groups as they were at connect time. Nothing a client
 * writes can change it. If the kernel cannot tell us who the peer is, the connection is
 * closed: there is no default identity.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "appsock.h"
#include "fdpass.h"
#include "limits.h"
#include "listener.h"
#include "log.h"
#include "macro.h"
#include "server.h"

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83 /* Linux 6.16 */
#endif

struct listener {
        struct server *server;
        struct listener *next;
        int fd;
        char *path;             /* unlinked at exit when we bound it */
        struct loop_source *source;
        bool paused;
        struct appsock *app;    /* an app socket's: every connection is that app */
};

int listener_bind(const char *path, int *ret_fd)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(closep) int fd = -1;
        struct stat st;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, strlen(path));

        if (lstat(path, &st) == 0) {
                _cleanup_(closep) int probe = -1;

                if (!S_ISSOCK(st.st_mode))
                        return -EEXIST;
                /* A socket nobody listens on is left over from a crash; one that answers
                 * belongs to a running instance. */
                probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
                if (probe < 0)
                        return -errno;
                if (connect(probe, (struct sockaddr *) &sa, sizeof(sa)) == 0)
                        return -EADDRINUSE;
                if (errno != ECONNREFUSED)
                        return -EEXIST;
                if (unlink(path) < 0)
                        return -errno;
        }

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        /* Everyone may connect: who gets what is the policy's decision. An administrator
         * narrows it with SocketMode=/SocketGroup= or the directory's permissions. */
        if (chmod(path, 0666) < 0 || listen(fd, SOMAXCONN) < 0) {
                int r = -errno;

                (void) unlink(path);
                return r;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int listener_peer_identity(int fd, struct identity *ret)
{
        struct identity id = { .uid = (uid_t) -1, .gid = (gid_t) -1 };
        struct ucred cred;
        socklen_t len = sizeof(cred);
        size_t n = 64;

        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return -errno;
        if (len != sizeof(cred) || cred.uid == (uid_t) -1 || cred.gid == (gid_t) -1)
                return -ENODATA;
        id.uid = cred.uid;
        id.gid = cred.gid;
        id.pid = cred.pid;

        /* SO_PEERGROUPS reports the size it needs with ERANGE; grow once or twice. */
        for (;;) {
                gid_t *g = reallocarray(id.groups, n, sizeof(gid_t));

                if (!g) {
                        identity_deinit(&id);
                        return -ENOMEM;
                }
                id.groups = g;
                len = (socklen_t) (n * sizeof(gid_t));
                if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, id.groups, &len) == 0) {
                        id.n_groups = len / sizeof(gid_t);
                        break;
                }
                if (errno != ERANGE || len / sizeof(gid_t) <= n ||
                    len / sizeof(gid_t) > IDENTITY_GROUPS_MAX) {
                        int r = -errno;

                        identity_deinit(&id);
                        return r == -ERANGE ? -E2BIG : r;
                }
                n = len / sizeof(gid_t);
        }

        *ret = id;
        return 0;
}

static void listener_pause(struct listener *l)
{
        if (l->paused)
                return;
        l->paused = true;
        (void) loop_modify(l->source, 0);
}

void listener_resume_all(struct server *s)
{
        struct listener *l;

        if (s->n_conns >= LIMIT_CONNECTIONS_TOTAL)
                return;
        for (l = s->listeners; l; l = l->next)
                if (l->paused) {
                        l->paused = false;
                        (void) loop_modify(l->source, EPOLLIN);
                }
}

/* Says why (a seq-0 REPLY_ERROR: a connection-level error), then hangs up. Consumes @fd. */
static void refuse_connection(int fd, int error)
{
        uint8_t buf[64];
        int n;

        n = shmb_proto_encode_error(buf, sizeof(buf), 0, -error, 0);
        if (n > 0)
                (void) fdpass_send(fd, buf, (size_t) n, NULL, 0);
        safe_close(fd);
}

/*
 * A connection through an app socket also takes one of its uid's app connections: all its apps
 * together get appsock_connections_max(), and its main socket keeps the rest. (A cap per app
 * socket did not: two apps took every connection of their user, who then could not even ask
 * for another app socket.) Return: 0 and the charge in @ret, or -EDQUOT (said in the log).
 */
static int charge_app_connection(struct server *s, struct user *u, const struct identity *id,
                                 struct user_charge *ret)
{
        uint64_t max = appsock_connections_max(s);
        int r;

        r = user_charge(u, ret, USER_SLOT_APP_CONNECTIONS, 1, max);
        if (r == -EDQUOT && log_ratelimit_uid(id->uid))
                log_notice("uid=%u pid=%d app=%s: its apps have %" PRIu64 " connections, all "
                           "that they may have (half of MaxConnectionsPerUser=), closing the "
                           "new connection", (unsigned) id->uid, (int) id->pid, id->app_id,
                           max);
        return r;
}

static void listener_accept_one(struct listener *l, int fd)
{
        struct server *s = l->server;
        struct user_charge charge = {}, charge_app = {};
        struct identity id;
        struct user *u;
        int r;

        r = listener_peer_identity(fd, &id);
        if (r < 0) {
                log_warning_errno(r, "Cannot get credentials of a new connection, closing it: %m");
                safe_close(fd);
                return;
        }
        /* In a user namespace, a peer whose ids are not mapped into it shows up as the
         * overflow uid (65534): we cannot tell who it is, so it gets nothing. */
        if (s->in_userns && (id.uid == s->overflow_uid || id.gid == s->overflow_gid)) {
                if (log_ratelimit_uid(id.uid))
                        log_warning("pid=%d: peer's ids are not mapped into our user namespace, "
                                    "closing the connection", (int) id.pid);
                identity_deinit(&id);
                refuse_connection(fd, -EACCES);
                return;
        }
        if (l->app) {
                struct appsock *a = l->app;

                /* Only the asker's uid may connect (mode 0600), but root can: it would be that
                 * app in the asker's sandbox, which is not root's to be. */
                if (id.uid != a->uid) {
                        if (log_ratelimit_uid(id.uid))
                                log_notice("uid=%u pid=%d: connected to app socket '%s' of uid "
                                           "%u, closing the connection", (unsigned) id.uid,
                                           (int) id.pid, a->path, (unsigned) a->uid);
                        identity_deinit(&id);
                        refuse_connection(fd, -EACCES);
                        return;
                }
                id.app_id = strdup(a->app_id);
                if (!id.app_id) {
                        identity_deinit(&id);
                        refuse_connection(fd, -ENOMEM);
                        return;
                }
        }
        u = user_get(&s->broker->users, id.uid);
        r = u ? user_charge(u, &charge, USER_SLOT_CONNECTIONS, 1,
                            s->broker->policy->quota.max_connections)
              : -ENOMEM;
        if (r == -EDQUOT && log_ratelimit_uid(id.uid))
                log_notice("uid=%u pid=%d: over MaxConnectionsPerUser=%" PRIu64
                           ", closing the new connection", (unsigned) id.uid,
                           (int) id.pid, s->broker->policy->quota.max_connections);
        if (r >= 0 && l->app)
                r = charge_app_connection(s, u, &id, &charge_app);
        user_unref(u);
        if (r < 0) {
                user_charge_release(&charge);
                identity_deinit(&id);
                refuse_connection(fd, r);
                return;
        }

        /* Requests carry no fds; on kernels that cannot refuse them, a uid whose fds still
         * wait for the closer thread gets no new connection until they are closed. */
        if (charge.user->used[USER_SLOT_CLOSING] > LIMIT_FDS_CLOSING_PER_UID) {
                if (log_ratelimit_uid(id.uid))
                        log_notice("uid=%u pid=%d: %" PRIu64 " fds it sent are still being "
                                   "closed, refusing the new connection", (unsigned) id.uid,
                                   (int) id.pid, charge.user->used[USER_SLOT_CLOSING]);
                user_charge_release(&charge_app);
                user_charge_release(&charge);
                identity_deinit(&id);
                refuse_connection(fd, -EBUSY);
                return;
        }
        r = server_connection_new(s, fd, &id, &charge, &charge_app, l->app);
        if (r < 0)
                log_error_errno(r, "Cannot set up a connection: %m");
}

static void listener_dispatch(struct loop_source *source, uint32_t events, void *userdata)
{
        struct listener *l = userdata;
        size_t i, n = l->server->n_turns;

        /* One accept per uid waiting in the round: see LIMIT_ACCEPTS_PER_ROUND. */
        n = n < 1 ? 1 : n > LIMIT_ACCEPTS_PER_ROUND ? LIMIT_ACCEPTS_PER_ROUND : n;
        for (i = 0; i < n; i++) {
                int fd;

                if (l->server->n_conns >= LIMIT_CONNECTIONS_TOTAL) {
                        log_warning("%u connections open, not accepting more for now",
                                    LIMIT_CONNECTIONS_TOTAL);
                        listener_pause(l);
                        return;
                }
                fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (fd < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                return;
                        if (errno == EMFILE || errno == ENFILE) {
                                /* Not a spin: paused until a connection closes. */
                                log_warning_errno(-errno, "accept() failed, pausing: %m");
                                listener_pause(l);
                                return;
                        }
                        if (errno == ECONNABORTED)
                                continue;
                        log_warning_errno(-errno, "accept() failed, ignoring: %m");
                        return;
                }
                listener_accept_one(l, fd);
        }
}

int listener_add(struct server *s, int fd, const char *path, struct appsock *app,
                 struct listener **ret)
{
        struct listener *l;
        int flags, r, zero = 0;

        l = calloc(1, sizeof(*l));
        if (!l) {
                safe_close(fd);
                return -ENOMEM;
        }
        l->server = s;
        l->fd = fd;
        /* Sockets from the service manager are blocking unless NonBlocking=yes: the accept
         * loop would then hang on the first EAGAIN. */
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
                r = -errno;
                safe_close(fd);
                free(l);
                return r;
        }
        /* Requests carry no fds. Set on the listening socket (Linux 6.16+), the refusal holds
         * for every connection from the moment it exists, before accept(): a client's sendmsg()
         * with fds fails with EPERM and nothing reaches the daemon. */
        if (setsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &zero, sizeof(zero)) < 0 &&
            !s->passrights_refused) {
                s->passrights_refused = true;
                log_full_errno(LOG_NOTICE, -errno, "This kernel cannot refuse fds on the socket "
                                 "(SO_PASSRIGHTS, Linux 6.16); fds clients send are closed by "
                                 "a thread of their own: %m");
        }
        if (path) {
                l->path = strdup(path);
                if (!l->path) {
                        safe_close(fd);
                        free(l);
                        return -ENOMEM;
                }
        }
        r = loop_add(s->loop, fd, EPOLLIN, listener_dispatch, l, &l->source);
        if (r < 0) {
                safe_close(fd);
                free(l->path);
                free(l);
                return r;
        }
        l->app = app;
        l->next = s->listeners;
        s->listeners = l;
        if (ret)
                *ret = l;
        return 0;
}

struct listener *listener_free(struct listener *l)
{
        struct listener **p;

        if (!l)
                return NULL;
        for (p = &l->server->listeners; *p && *p != l; p = &(*p)->next)
                ;
        if (*p)
                *p = l->next;
        /* An app socket's listener may go before the app socket does (listener_free_all() at
         * shutdown, while the connection that asked for it is still open): the app socket
         * must not free it again (appsock_close()). */
        if (l->app)
                l->app->listener = NULL;
        loop_remove(l->source);
        safe_close(l->fd);
        if (l->path)
                (void) unlink(l->path);
        free(l->path);
        free(l);
        return NULL;
}

void listener_free_all(struct server *s)
{
        while (s->listeners)
                listener_free(s->listeners);
}
