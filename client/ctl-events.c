/* SPDX-License-Identifier: MIT */
/*
 * ctl-events.c - the shmbrokerctl commands that wait: wait (until a segment exists, or is
 * published), watch (segments come and go, one line each) and app-socket (a socket for a
 * sandboxed app, kept for as long as the command runs).
 *
 * watch and app-socket run until they are told to stop: SIGTERM and SIGINT end them cleanly,
 * with exit status 0 (they are blocked and read from a signalfd, so that a signal never
 * interrupts a half-written line). Not here: the requests that change segments.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "ctl.h"

/* Blocks SIGTERM and SIGINT and returns a signalfd that reads them, or -errno. */
static int stop_signals(sigset_t *ret_mask)
{
        int fd;

        sigemptyset(ret_mask);
        sigaddset(ret_mask, SIGTERM);
        sigaddset(ret_mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, ret_mask, NULL) < 0)
                return -errno;
        fd = signalfd(-1, ret_mask, SFD_CLOEXEC | SFD_NONBLOCK);
        return fd < 0 ? -errno : fd;
}

/* ---------------------------------------------------------------- wait */

int cmd_wait(struct shmb_client *c, char **args)
{
        uint64_t timeout = arg_timeout_usec;
        int r;

        /* The library reads 0 as "no limit"; --timeout 0 means "do not wait": the shortest
         * wait there is. */
        if ((arg_given & OPT_TIMEOUT) && timeout == 0)
                timeout = 1;
        r = shmb_wait(c, args[0], (arg_given & OPT_PUBLISHED) ? SHMB_WAIT_PUBLISHED : 0,
                      timeout);
        if (r < 0)
                return ctl_fail(c, args[0], r);
        return 0;
}

/* ---------------------------------------------------------------- watch */

static const char *event_name(int kind)
{
        switch (kind) {
        case SHMB_EVENT_CREATED:
                return "created";
        case SHMB_EVENT_PUBLISHED:
                return "published";
        case SHMB_EVENT_REMOVED:
                return "removed";
        default:
                return NULL;
        }
}

static int print_event(const struct shmb_event *ev)
{
        const char *what = event_name(ev->kind);
        char prefix[16];

        if (!what)
                return 0; /* an event of a newer library: nothing we can say about it */
        if (arg_given & OPT_JSON) {
                _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();

                if (!o)
                        return -ENOMEM;
                ctl_json_set(o, "event", ctl_json_string(what));
                ctl_json_set(o, "name", ctl_json_string(ev->name));
                return ctl_json_print(o, true);
        }
        snprintf(prefix, sizeof(prefix), "%s ", what);
        return ctl_print_name(prefix, ev->name);
}

int cmd_watch(struct shmb_client *c, char **args)
{
        const char *pattern = args[0] ? args[0] : "";
        const char *what = "watch";
        _cleanup_(closep) int sfd = -1;
        sigset_t mask;
        int fd, r;

        sfd = stop_signals(&mask);
        if (sfd < 0)
                return ctl_fail(NULL, what, sfd);
        r = shmb_watch(c, pattern, &fd);
        if (r < 0)
                return ctl_fail(c, what, r);

        for (;;) {
                struct pollfd p[2] = {
                        { .fd = fd, .events = POLLIN },
                        { .fd = sfd, .events = POLLIN },
                };
                struct shmb_event ev;

                r = shmb_watch_next(c, &ev);
                if (r == 0) {
                        if (ev.kind == SHMB_EVENT_OVERFLOW) {
                                fflush(stdout);
                                return ctl_fail_text(what, "events were lost (the watch fell "
                                                     "behind and has ended); list again and "
                                                     "start a new watch");
                        }
                        r = print_event(&ev);
                        if (r < 0)
                                return ctl_fail(NULL, "stdout", r);
                        continue;
                }
                if (r != -EAGAIN) {
                        fflush(stdout);
                        return ctl_fail(c, what, r);
                }
                /* Every event read is shown before the next wait, even into a pipe. */
                if (fflush(stdout) != 0)
                        return ctl_fail(NULL, "stdout", errno > 0 ? -errno : -EIO);
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        return ctl_fail(NULL, what, -errno);
                }
                if (p[1].revents & POLLIN)
                        return 0;
        }
}

/* ---------------------------------------------------------------- app-socket */

int cmd_app_socket(struct shmb_client *c, char **args)
{
        _cleanup_(freep) char *path = NULL;
        _cleanup_(closep) int sfd = -1;
        struct signalfd_siginfo si;
        sigset_t mask;
        int r;

        /* Before the socket exists: a launcher that reads the line and stops us at once must
         * find the signal waiting, not kill us half-way. */
        sfd = stop_signals(&mask);
        if (sfd < 0)
                return ctl_fail(NULL, args[0], sfd);
        r = shmb_app_socket(c, args[0], &path);
        if (r < 0)
                return ctl_fail(c, args[0], r);
        printf("%s\n", path);
        if (fflush(stdout) != 0 || ferror(stdout))
                return ctl_fail(NULL, "stdout", errno > 0 ? -errno : -EIO);

        /*
         * The socket lives as long as the connection in @c: hold it until told to stop. The
         * library gives no descriptor to see the broker go away by, so a broker that restarts
         * meanwhile leaves us running with a dead socket; its clients see the error.
         */
        for (;;) {
                struct pollfd p = { .fd = sfd, .events = POLLIN };

                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        return ctl_fail(NULL, args[0], -errno);
                if (read(sfd, &si, sizeof(si)) == (ssize_t) sizeof(si))
                        return 0;
        }
}
