/* SPDX-License-Identifier: MIT */
/*
 * closer.c - close() in the closer's thread, accounting in the loop's (see closer.h).
 */
#include <stdlib.h>
#include <unistd.h>

#include "closer.h"
#include "macro.h"

struct close_job {
        struct worker_job job;
        int fd;
        struct user *user;      /* referenced; its USER_SLOT_CLOSING counts this fd */
};

static void close_run(struct worker_job *j)
{
        /* The one call that may take long, and why this runs here. */
        (void) close(container_of(j, struct close_job, job)->fd);
}

static void close_done(struct worker_job *j)
{
        struct close_job *c = container_of(j, struct close_job, job);

        if (c->user) {
                c->user->used[USER_SLOT_CLOSING]--;
                user_unref(c->user);
        }
        free(c);
}

void closer_push(struct worker *closer, struct user *u, int *fds, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++) {
                struct close_job *c = closer ? malloc(sizeof(*c)) : NULL;

                if (!c) {
                        fds[i] = safe_close(fds[i]);
                        continue;
                }
                *c = (struct close_job) {
                        .job = { .run = close_run, .done = close_done },
                        .fd = fds[i],
                        .user = user_ref(u),
                };
                if (u)
                        u->used[USER_SLOT_CLOSING]++;
                fds[i] = -1;
                worker_push(closer, &c->job);
        }
}
