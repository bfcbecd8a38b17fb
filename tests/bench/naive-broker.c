/* SPDX-License-Identifier: MIT */
/*
 * naive-broker - the baseline shmb-bench measures shmbrokerd against: the most naive fd broker
 * one could write. Built with the bench, never installed.
 *
 *   naive-broker SOCKET_PATH
 *
 * Listens on a SOCK_SEQPACKET socket (mode 0666) at SOCKET_PATH. For each request packet (see
 * naive-broker.h) it calls shm_open(name, O_RDONLY or O_RDWR), sends the fd back with
 * SCM_RIGHTS in a four-byte reply and closes it. No policy, no ACLs, no audit, no registry, no
 * limits: whoever can connect gets whatever root can open in /dev/shm.
 *
 * Like shmbrokerd it serves everything from one thread and one epoll loop, with nonblocking
 * sockets: a client that does not read its replies cannot stall the others (its reply waits,
 * with its fd, until the socket has room, and its requests are not read meanwhile). One request
 * is read per connection per wake-up, as shmbrokerd does. SIGTERM or SIGINT: it removes the
 * socket and exits 0.
 *
 * Variants, for asking "what would this design change give any broker?" (BENCHMARKS.md,
 * issue 12), chosen with $SHMB_NAIVE_OPTS, a comma-separated list; without it the baseline is
 * as above:
 *   keep       each connection keeps the fd of its last name and mode open and sends it again
 *              for the same request (one sendmsg per open; no name check, nothing revoked)
 *   threads=N  N threads (1 to 16) serve the connections, each with its own epoll loop; the
 *              main thread accepts and hands connections out in turn
 *   shared     with threads=N: the threads wait in one epoll loop instead, and any of them
 *              serves any connection (each connection is armed for one event at a time,
 *              EPOLLONESHOT, and armed again after it), as a pool of threads over one line
 *              of requests would
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "naive-broker.h"

#define EVENTS_MAX 64
#define THREADS_MAX 16

struct conn {
        int fd;
        int epoll_fd;           /* its thread's loop */
        bool pending;           /* a reply waits for room in the socket */
        int32_t pending_error;
        int pending_fd;         /* its fd, or -1 */
        bool pending_kept;      /* ... which is kept_fd: not closed once sent */
        int kept_fd;            /* keep: the fd of the last request, or -1 */
        char kept_req[1 + NAIVE_NAME_MAX + 1];  /* keep: that request (mode and name) */
};

static bool opt_keep;
static bool opt_shared;
static int opt_threads = 1;
static int epoll_fds[THREADS_MAX];
static unsigned next_thread;
static int epoll_fd = -1;       /* the main thread's: listener and signals */
/* epoll's data.ptr for the two fds that are no connection. */
static char listener_tag, signal_tag;

static void conn_free(struct conn *c)
{
        /* Closing the fd removes it from the epoll set. */
        close(c->fd);
        if (c->pending_fd >= 0 && !c->pending_kept)
                close(c->pending_fd);
        if (c->kept_fd >= 0)
                close(c->kept_fd);
        free(c);
}

static int conn_watch(struct conn *c, uint32_t events)
{
        struct epoll_event ev = { .events = events | (opt_shared ? EPOLLONESHOT : 0),
                                  .data.ptr = c };

        return epoll_ctl(c->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* 1 sent, 0 no room (EAGAIN), -errno broken. */
static int send_reply(int sock, int32_t error, int fd)
{
        union {
                struct cmsghdr h;
                char b[CMSG_SPACE(sizeof(int))];
        } control;
        struct iovec iov = { .iov_base = &error, .iov_len = sizeof(error) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (fd >= 0) {
                struct cmsghdr *cm;

                memset(&control, 0, sizeof(control));
                mh.msg_control = &control;
                mh.msg_controllen = sizeof(control);
                cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &fd, sizeof(int));
        }
        if (sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0)
                return 1;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
}

/* Returns false when the connection is done (the caller frees it). */
static bool conn_flush(struct conn *c)
{
        int r = send_reply(c->fd, c->pending_error, c->pending_fd);

        if (r == 0)
                return true;
        if (c->pending_fd >= 0 && !c->pending_kept)
                close(c->pending_fd);
        c->pending = false;
        c->pending_fd = -1;
        return r > 0 && conn_watch(c, EPOLLIN) == 0;
}

static bool conn_serve(struct conn *c)
{
        char buf[1 + NAIVE_NAME_MAX + 1];
        int32_t error = 0;
        bool kept = false;
        ssize_t n;
        int fd = -1, r;

        /* recv() without a control buffer: fds a client sends are discarded by the kernel. */
        n = recv(c->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        if (n < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        if (n == 0)
                return false;
        if (n < 2 || n > 1 + NAIVE_NAME_MAX ||
            (buf[0] != NAIVE_REQ_RDONLY && buf[0] != NAIVE_REQ_RDWR) ||
            memchr(buf + 1, '\0', (size_t) n - 1))
                error = EINVAL;
        else {
                buf[n] = '\0';
                if (opt_keep && c->kept_fd >= 0 && strcmp(buf, c->kept_req) == 0) {
                        fd = c->kept_fd;
                        kept = true;
                } else {
                        fd = shm_open(buf + 1, buf[0] == NAIVE_REQ_RDWR ? O_RDWR : O_RDONLY, 0);
                        if (fd < 0)
                                error = errno;
                        else if (opt_keep) {
                                if (c->kept_fd >= 0)
                                        close(c->kept_fd);
                                c->kept_fd = fd;
                                memcpy(c->kept_req, buf, (size_t) n + 1);
                                kept = true;
                        }
                }
        }
        r = send_reply(c->fd, error, fd);
        if (r == 0) {
                c->pending = true;
                c->pending_error = error;
                c->pending_fd = fd;
                c->pending_kept = kept;
                return conn_watch(c, EPOLLOUT) == 0;
        }
        if (fd >= 0 && !kept)
                close(fd);
        return r > 0;
}

static void conn_event(struct conn *c, uint32_t events)
{
        bool keep;

        if (c->pending)
                keep = (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) ? conn_flush(c) : true;
        else {
                keep = conn_serve(c);
                /* shared: armed again for its next request (a reply waiting armed it for
                 * EPOLLOUT already). */
                if (keep && opt_shared && !c->pending)
                        keep = conn_watch(c, EPOLLIN) == 0;
        }
        if (!keep)
                conn_free(c);
}

static void accept_all(int listen_fd)
{
        for (;;) {
                struct epoll_event ev = { .events = EPOLLIN | (opt_shared ? EPOLLONESHOT : 0) };
                struct conn *c;
                int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        if (errno != EAGAIN && errno != EWOULDBLOCK)
                                /* EMFILE and the like: the backlog waits (and the listener
                                 * stays ready) until a connection goes. */
                                fprintf(stderr, "naive-broker: accept: %m\n");
                        return;
                }
                c = malloc(sizeof(*c));
                if (!c) {
                        close(fd);
                        continue;
                }
                *c = (struct conn) { .fd = fd, .pending_fd = -1, .kept_fd = -1,
                                     .epoll_fd = opt_threads > 1
                                                         ? epoll_fds[opt_shared ? 0
                                                                     : next_thread++ %
                                                                               opt_threads]
                                                         : epoll_fd };
                ev.data.ptr = c;
                if (epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                        fprintf(stderr, "naive-broker: epoll_ctl: %m\n");
                        conn_free(c);
                }
        }
}

static int listen_on(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path)) {
                fprintf(stderr, "naive-broker: socket path too long\n");
                return -1;
        }
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ||
            chmod(path, 0666) < 0 || listen(fd, SOMAXCONN) < 0) {
                fprintf(stderr, "naive-broker: cannot listen on '%s': %m\n", path);
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        return fd;
}

/* A serving thread (threads=N): the connections handed to it, in its own loop. */
static void *serve_thread(void *userdata)
{
        struct epoll_event events[EVENTS_MAX];
        int ep = *(int *) userdata;

        for (;;) {
                int i, n = epoll_wait(ep, events, EVENTS_MAX, -1);

                if (n < 0 && errno != EINTR) {
                        fprintf(stderr, "naive-broker: epoll: %m\n");
                        exit(1);
                }
                for (i = 0; i < n; i++)
                        conn_event(events[i].data.ptr, events[i].events);
        }
        return NULL;
}

/* $SHMB_NAIVE_OPTS: "keep", "threads=N", "shared", comma-separated. */
static int parse_opts(const char *s)
{
        char *copy, *tok, *save = NULL;

        if (!s || !*s)
                return 0;
        copy = strdup(s);
        if (!copy)
                return -1;
        for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char *end;

                if (strcmp(tok, "keep") == 0)
                        opt_keep = true;
                else if (strcmp(tok, "shared") == 0)
                        opt_shared = true;
                else if (strncmp(tok, "threads=", 8) == 0) {
                        long v = strtol(tok + 8, &end, 10);

                        if (*end || v < 1 || v > THREADS_MAX)
                                goto bad;
                        opt_threads = (int) v;
                } else
                        goto bad;
        }
        if (opt_shared && opt_threads < 2)
                goto bad; /* one thread has nobody to share its loop with */
        free(copy);
        return 0;
bad:
        fprintf(stderr, "naive-broker: bad $SHMB_NAIVE_OPTS '%s'\n", s);
        free(copy);
        return -1;
}

int main(int argc, char *argv[])
{
        struct epoll_event ev, events[EVENTS_MAX];
        sigset_t mask;
        int listen_fd, sig_fd;

        if (argc != 2) {
                fprintf(stderr, "Usage: naive-broker SOCKET_PATH\n");
                return 2;
        }
        if (parse_opts(getenv("SHMB_NAIVE_OPTS")) < 0)
                return 2;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        /* An ignored signal never reaches the signalfd (and a shell starts background jobs
         * with SIGINT ignored). */
        (void) signal(SIGTERM, SIG_DFL);
        (void) signal(SIGINT, SIG_DFL);
        (void) signal(SIGPIPE, SIG_IGN);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return 1;
        sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (sig_fd < 0 || epoll_fd < 0) {
                fprintf(stderr, "naive-broker: %m\n");
                return 1;
        }
        /* Threads after the mask: SIGTERM and SIGINT stay blocked in them too. */
        if (opt_threads > 1) {
                int i;

                for (i = 0; i < opt_threads; i++) {
                        pthread_t t;

                        epoll_fds[i] = opt_shared && i > 0 ? epoll_fds[0]
                                                           : epoll_create1(EPOLL_CLOEXEC);
                        if (epoll_fds[i] < 0 ||
                            pthread_create(&t, NULL, serve_thread, &epoll_fds[i]) != 0) {
                                fprintf(stderr, "naive-broker: threads: %m\n");
                                return 1;
                        }
                }
        }
        listen_fd = listen_on(argv[1]);
        if (listen_fd < 0)
                return 1;
        ev = (struct epoll_event) { .events = EPOLLIN, .data.ptr = &listener_tag };
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev) < 0)
                goto fail;
        ev = (struct epoll_event) { .events = EPOLLIN, .data.ptr = &signal_tag };
        if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, sig_fd, &ev) < 0)
                goto fail;

        for (;;) {
                int i, n = epoll_wait(epoll_fd, events, EVENTS_MAX, -1);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        goto fail;
                }
                for (i = 0; i < n; i++) {
                        void *p = events[i].data.ptr;

                        if (p == &signal_tag) {
                                (void) unlink(argv[1]);
                                return 0;
                        }
                        if (p == &listener_tag)
                                accept_all(listen_fd);
                        else
                                conn_event(p, events[i].events);
                }
        }
fail:
        fprintf(stderr, "naive-broker: epoll: %m\n");
        (void) unlink(argv[1]);
        return 1;
}
