/* SPDX-License-Identifier: MIT */
/*
 * loop.c - the epoll loop. Knows nothing of connections or requests.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "limits.h"
#include "loop.h"
#include "macro.h"

struct loop_source {
        struct loop *loop;
        int fd;
        uint32_t events;
        loop_callback_t cb;
        void *userdata;
        bool dead;
        struct loop_source *next_dead;
};

struct loop {
        int epoll_fd;
        bool exiting;
        struct loop_source *dead;       /* removed during this round, freed after it */
};

int loop_new(struct loop **ret)
{
        struct loop *l;

        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (l->epoll_fd < 0) {
                int r = -errno;

                free(l);
                return r;
        }
        *ret = l;
        return 0;
}

static void loop_reap(struct loop *l)
{
        while (l->dead) {
                struct loop_source *s = l->dead;

                l->dead = s->next_dead;
                free(s);
        }
}

struct loop *loop_free(struct loop *l)
{
        if (!l)
                return NULL;
        loop_reap(l);
        safe_close(l->epoll_fd);
        free(l);
        return NULL;
}

int loop_add(struct loop *l, int fd, uint32_t events, loop_callback_t cb, void *userdata,
             struct loop_source **ret)
{
        struct epoll_event ev = { .events = events };
        struct loop_source *s;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        *s = (struct loop_source) {
                .loop = l, .fd = fd, .events = events, .cb = cb, .userdata = userdata,
        };
        ev.data.ptr = s;
        if (epoll_ctl(l->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                int r = -errno;

                free(s);
                return r;
        }
        *ret = s;
        return 0;
}

int loop_modify(struct loop_source *s, uint32_t events)
{
        struct epoll_event ev = { .events = events, .data.ptr = s };

        if (s->events == events)
                return 0;
        if (epoll_ctl(s->loop->epoll_fd, EPOLL_CTL_MOD, s->fd, &ev) < 0)
                return -errno;
        s->events = events;
        return 0;
}

uint32_t loop_source_events(const struct loop_source *s)
{
        return s->events;
}

struct loop_source *loop_remove(struct loop_source *s)
{
        if (!s || s->dead)
                return NULL;
        /* The fd may already be closed by its owner; then epoll has forgotten it anyway. */
        (void) epoll_ctl(s->loop->epoll_fd, EPOLL_CTL_DEL, s->fd, NULL);
        s->dead = true;
        s->next_dead = s->loop->dead;
        s->loop->dead = s;
        return NULL;
}

int loop_run_once(struct loop *l, int timeout_msec)
{
        struct epoll_event events[LIMIT_EVENTS_PER_ROUND];
        int i, n;

        n = epoll_wait(l->epoll_fd, events, (int) ELEMENTSOF(events), timeout_msec);
        if (n < 0)
                return errno == EINTR ? 0 : -errno;

        for (i = 0; i < n; i++) {
                struct loop_source *s = events[i].data.ptr;

                if (s->dead)
                        continue;
                s->cb(s, events[i].events, s->userdata);
        }
        loop_reap(l);
        return n;
}

void loop_exit(struct loop *l)
{
        l->exiting = true;
}

bool loop_exiting(const struct loop *l)
{
        return l->exiting;
}
