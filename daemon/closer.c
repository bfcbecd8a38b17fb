/* SPDX-License-Identifier: MIT */
/*
 * closer.c - the closer thread (see closer.h).
 *
 * The thread touches nothing of the daemon's but the queue: it closes fds and sends back, by a
 * pipe the event loop reads, the opaque user pointer each one was charged to, so that all
 * accounting stays in the loop's thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "closer.h"
#include "macro.h"

struct item {
        int fd;
        struct user *user;
};

struct closer {
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t wake;            /* something queued, or stop */
        struct item *queue;             /* a ring of capacity items */
        size_t capacity, head, count;
        bool stopping;
        int done[2];                    /* pipe: the thread writes closed items' users */
        struct loop_source *source;
        size_t pending;                 /* pushed, completion not yet read (loop thread) */
};

static void *closer_main(void *userdata)
{
        struct closer *c = userdata;

        for (;;) {
                struct item it;

                pthread_mutex_lock(&c->lock);
                while (c->count == 0 && !c->stopping)
                        pthread_cond_wait(&c->wake, &c->lock);
                if (c->count == 0) {
                        pthread_mutex_unlock(&c->lock);
                        return NULL;
                }
                it = c->queue[c->head];
                c->head = (c->head + 1) % c->capacity;
                c->count--;
                pthread_mutex_unlock(&c->lock);

                /* The one call that may take long, and why this thread exists. */
                (void) close(it.fd);
                /* Blocking write: a full pipe only slows this thread. */
                while (write(c->done[1], &it.user, sizeof(it.user)) < 0 && errno == EINTR)
                        ;
        }
}

static void complete(struct closer *c, struct user *u)
{
        if (u && u->used[USER_SLOT_CLOSING] > 0)
                u->used[USER_SLOT_CLOSING]--;
        user_unref(u);
        c->pending--;
}

/* Reads completions; with @wait, until every fd pushed is accounted for. */
static void collect(struct closer *c, bool wait)
{
        struct user *users[64];

        while (c->pending > 0) {
                ssize_t n = read(c->done[0], users, sizeof(users));
                size_t i;

                if (n < 0 && errno == EAGAIN && wait) {
                        struct pollfd p = { .fd = c->done[0], .events = POLLIN };

                        (void) poll(&p, 1, -1);
                        continue;
                }
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return;
                for (i = 0; i < (size_t) n / sizeof(users[0]); i++)
                        complete(c, users[i]);
        }
}

static void closer_dispatch(struct loop_source *source, uint32_t events, void *userdata)
{
        collect(userdata, false);
}

int closer_new(struct loop *loop, struct closer **ret)
{
        struct closer *c;
        struct rlimit rl;
        int r;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                rl.rlim_cur = 1u << 20;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->done[0] = c->done[1] = -1;
        c->capacity = (size_t) rl.rlim_cur;
        c->queue = calloc(c->capacity, sizeof(*c->queue));
        if (!c->queue || pipe2(c->done, O_CLOEXEC) < 0 ||
            fcntl(c->done[0], F_SETFL, O_NONBLOCK) < 0) {
                r = c->queue ? -errno : -ENOMEM;
                goto fail;
        }
        pthread_mutex_init(&c->lock, NULL);
        pthread_cond_init(&c->wake, NULL);
        r = loop_add(loop, c->done[0], EPOLLIN, closer_dispatch, c, &c->source);
        if (r < 0)
                goto fail;
        /* The thread inherits the signal mask: SIGTERM, SIGHUP and friends stay blocked there
         * and reach the loop's signalfd. */
        r = -pthread_create(&c->thread, NULL, closer_main, c);
        if (r < 0) {
                c->source = loop_remove(c->source);
                goto fail;
        }
        *ret = c;
        return 0;
fail:
        safe_close(c->done[0]);
        safe_close(c->done[1]);
        free(c->queue);
        free(c);
        return r;
}

struct closer *closer_free(struct closer *c)
{
        if (!c)
                return NULL;
        pthread_mutex_lock(&c->lock);
        c->stopping = true;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
        /* It closes what is queued before it ends. */
        (void) pthread_join(c->thread, NULL);
        collect(c, true);
        loop_remove(c->source);
        safe_close(c->done[0]);
        safe_close(c->done[1]);
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        free(c->queue);
        free(c);
        return NULL;
}

void closer_push(struct closer *c, struct user *u, int *fds, size_t n)
{
        size_t i;

        if (!c) {
                for (i = 0; i < n; i++)
                        fds[i] = safe_close(fds[i]);
                return;
        }
        pthread_mutex_lock(&c->lock);
        for (i = 0; i < n; i++) {
                /* Never full: it holds RLIMIT_NOFILE items, more fds than we can have. */
                c->queue[(c->head + c->count) % c->capacity] = (struct item) {
                        .fd = fds[i], .user = user_ref(u),
                };
                c->count++;
                c->pending++;
                if (u)
                        u->used[USER_SLOT_CLOSING]++;
                fds[i] = -1;
        }
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
}

void closer_drain(struct closer *c)
{
        if (c)
                collect(c, true);
}
