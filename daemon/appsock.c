/* SPDX-License-Identifier: MIT */
/*
 * appsock.c - make, serve and remove app sockets (see appsock.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "appid.h"
#include "appsock.h"
#include "limits.h"
#include "listener.h"
#include "log.h"
#include "macro.h"
#include "mkdir.h"
#include "server.h"

#define APPSOCK_PREFIX "app-"

/* Removes the sockets an earlier run left (the directory is ours: nobody else made them). */
static void clean(int dir_fd)
{
        _cleanup_(closep) int fd = -1;
        struct dirent *de;
        DIR *d;

        fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d)
                return;
        fd = -1;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, APPSOCK_PREFIX, strlen(APPSOCK_PREFIX)) == 0)
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        (void) closedir(d);
}

int appsock_dir_open(const char *path, int *ret_fd)
{
        _cleanup_(closep) int fd = -1;
        struct stat st;
        int r;

        r = mkdir_parents(path, 0711);
        if (r < 0)
                return r;
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        /* No one but us (or root) may add or swap names (w); others must reach the sockets
         * (x), and need not list them (r): their names are the askers' to pass on. */
        if ((st.st_uid != geteuid() && st.st_uid != 0) || (st.st_mode & 022) != 0)
                return -EPERM;
        if ((st.st_mode & 0111) != 0111 && fchmod(fd, 0711) < 0)
                return -errno;
        clean(fd);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

struct appsock *appsock_ref(struct appsock *a)
{
        if (a)
                a->n_refs++;
        return a;
}

struct appsock *appsock_unref(struct appsock *a)
{
        if (!a || --a->n_refs > 0)
                return NULL;
        user_charge_release(&a->charge);
        free(a->app_id);
        free(a);
        return NULL;
}

void appsock_close(struct appsock *a)
{
        if (!list_linked(&a->minter_node))
                return;
        list_remove(&a->minter_node);
        /* listener_free() unlinks the path. At shutdown the listener is gone already (the
         * daemon stops accepting first, listener_free_all()), and a->listener is NULL. */
        a->listener = listener_free(a->listener);
        a->server->n_app_sockets--;
        log_debug("App socket '%s' of app '%s' (uid %u) closed.", a->path, a->app_id,
                  (unsigned) a->uid);
        appsock_unref(a);
}

uint64_t appsock_connections_max(const struct server *s)
{
        /* Rounded down, the apps' share: the main socket's is then at least as large, and
         * never 0 (MaxConnectionsPerUser= is at least 1). With a share per app socket, or
         * rounded up, two apps (or one, at MaxConnectionsPerUser=1) could take every
         * connection their user has, and the user could not even ask for another socket. */
        return s->broker->policy->quota.max_connections / LIMIT_APP_SOCKET_CONNECTIONS_SHARE;
}

/* Binds and listens on a fresh name in the app directory, owned by @uid:@gid, mode 0600. */
static int make_socket(struct server *s, struct appsock *a, gid_t gid, int *ret_fd)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(closep) int fd = -1;
        int attempt;

        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        for (attempt = 0; attempt < 8; attempt++) {
                uint32_t rnd;

                if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
                        return -errno;
                (void) snprintf(a->name, sizeof(a->name), APPSOCK_PREFIX "%u-%08" PRIx32,
                                (unsigned) a->uid, rnd);
                if ((size_t) snprintf(a->path, sizeof(a->path), "%s/%s", s->app_dir, a->name) >=
                    sizeof(sa.sun_path))
                        return -ENAMETOOLONG;
                strcpy(sa.sun_path, a->path);
                if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0)
                        break;
                if (errno != EADDRINUSE)
                        return -errno;
        }
        if (attempt == 8)
                return -EADDRINUSE;
        /* The directory is ours alone: the name is the one just bound. Connecting takes write
         * permission on the socket: the asker's, and root's. */
        if (fchownat(s->app_dir_fd, a->name, a->uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ||
            fchmodat(s->app_dir_fd, a->name, 0600, 0) < 0 || listen(fd, SOMAXCONN) < 0) {
                int r = -errno;

                (void) unlinkat(s->app_dir_fd, a->name, 0);
                return r;
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int appsock_mint(struct server *s, struct list_node *minted, struct user *u, gid_t gid,
                 const char *app_id, struct appsock **ret)
{
        struct appsock *a;
        int r, fd = -1;

        if (!shmb_app_id_valid(app_id, strlen(app_id)))
                return -EINVAL;
        if (s->app_dir_fd < 0)
                return -EOPNOTSUPP;
        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->n_refs = 1;
        a->server = s;
        a->uid = u->uid;
        list_node_init(&a->minter_node);
        a->app_id = strdup(app_id);
        r = a->app_id ? user_charge(u, &a->charge, USER_SLOT_APP_SOCKETS, 1,
                                    LIMIT_APP_SOCKETS_PER_UID)
                      : -ENOMEM;
        if (r >= 0)
                r = make_socket(s, a, gid, &fd);
        if (r >= 0) {
                r = listener_add(s, fd, a->path, a, &a->listener);
                if (r < 0)
                        (void) unlinkat(s->app_dir_fd, a->name, 0);
        }
        if (r < 0) {
                appsock_unref(a);
                return r;
        }
        list_append(minted, &a->minter_node);
        s->n_app_sockets++;
        /* Any named user mints (and drops) app sockets as fast as it likes: lossy. */
        if (log_ratelimit_uid(a->uid))
                log_info("App socket '%s' for app '%s' of uid %u.", a->path, a->app_id,
                         (unsigned) a->uid);
        *ret = a;
        return 0;
}
