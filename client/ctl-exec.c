/* SPDX-License-Identifier: MIT */
/*
 * ctl-exec.c - "shmbrokerctl exec [--size SIZE [--lifetime L]] NAME[:ro|:rw]... -- COMMAND":
 * open (or, with --size, create) segments and run COMMAND in this very process with them on
 * fds 3, 4, ..., SHMBROKER_FDS and SHMBROKER_NAMES set, as systemd passes sockets.
 *
 * COMMAND replaces shmbrokerctl (execvp(3), same pid). That is what makes --lifetime process
 * work: the broker ties such a segment to the process that created it, which is COMMAND from
 * the exec on, so the segment lives exactly as long as COMMAND. It is also why the service
 * manager's variables are handled as they are (see exec_environment()). Not here: the other
 * commands.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

/* Splits a trailing ":ro" or ":rw" off @spec (in place). Return: the access it asks for. */
static int spec_access(char *spec)
{
        size_t len = strlen(spec);
        int access = SHMB_ACCESS_ANY;

        if (len >= 3 && strcmp(spec + len - 3, ":ro") == 0)
                access = SHMB_ACCESS_RDONLY;
        else if (len >= 3 && strcmp(spec + len - 3, ":rw") == 0)
                access = SHMB_ACCESS_RDWR;
        if (access != SHMB_ACCESS_ANY)
                spec[len - 3] = '\0';
        return access;
}

/*
 * The environment COMMAND gets from a service manager is ours, and COMMAND runs in our process.
 *
 * LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES go: the segments take fds 3 and up, where socket
 * activation put its sockets, and LISTEN_PID names our pid, which is COMMAND's, so COMMAND
 * would take segment fds for listening sockets. The sockets that were passed to this process
 * (LISTEN_PID is ours) and that no segment replaces are made close-on-exec, as sd_listen_fds(3)
 * does, so that COMMAND does not inherit descriptors nobody told it about.
 *
 * NOTIFY_SOCKET (and WATCHDOG_USEC, WATCHDOG_PID) stay: they concern the service's main
 * process, and when "shmbrokerctl exec" is a unit's ExecStart= that is COMMAND, from the exec
 * on (same pid). A Type=notify service run this way must still be able to say READY=1.
 */
static void exec_environment(void)
{
        const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
        char self[32];
        uint64_t n;

        snprintf(self, sizeof(self), "%ld", (long) getpid());
        if (pid && fds && strcmp(pid, self) == 0 && ctl_parse_size(fds, &n) == 0 &&
            n <= INT32_MAX - 3) {
                int fd;

                for (fd = 3; fd < 3 + (int) n; fd++) {
                        int flags = fcntl(fd, F_GETFD);

                        if (flags >= 0)
                                (void) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
                }
        }
        (void) unsetenv("LISTEN_FDS");
        (void) unsetenv("LISTEN_PID");
        (void) unsetenv("LISTEN_FDNAMES");
}

/* After a failure: the segments created so far go again (best effort; a process-lifetime
 * segment would go with us anyway, and sooner this way). */
static void undo_creates(struct shmb_client *c, char **specs, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                (void) shmb_unlink(c, specs[i]);
}

int cmd_exec(struct shmb_client *c, char **specs, size_t n_specs, char **command)
{
        struct shmb_create_opts opts = {
                .lifetime = (arg_given & OPT_LIFETIME) ? arg_lifetime : SHMB_LIFETIME_PROCESS,
                .lifetime_usec = arg_lifetime_usec,
        };
        bool create = arg_given & OPT_SIZE;
        _cleanup_(freep) int *fds = NULL;
        _cleanup_(freep) char *joined = NULL;
        char count[32];
        size_t i, total = 0;
        int r;

        fds = malloc(n_specs * sizeof(int));
        if (!fds) {
                shmb_client_free(c);
                return ctl_fail(NULL, "exec", -ENOMEM);
        }
        for (i = 0; i < n_specs; i++)
                fds[i] = -1;

        for (i = 0; i < n_specs; i++) {
                char *name = specs[i];
                int access = spec_access(name);

                /* ':' separates names in SHMBROKER_NAMES, as in LISTEN_FDNAMES. */
                if (strchr(name, ':'))
                        r = -EINVAL;
                else if (create)
                        r = shmb_create2(c, name, arg_size, access, &opts, &fds[i], NULL);
                else
                        r = shmb_open(c, name, access, &fds[i], NULL);
                if (r < 0) {
                        r = ctl_fail(strchr(name, ':') ? NULL : c, name, r);
                        if (create)
                                undo_creates(c, specs, i);
                        shmb_client_free(c);
                        return r;
                }
                total += strlen(name) + 1;
        }
        shmb_client_free(c);

        joined = malloc(total + 1);
        if (!joined)
                return ctl_fail(NULL, "exec", -ENOMEM);
        joined[0] = '\0';
        for (i = 0; i < n_specs; i++) {
                if (i > 0)
                        strcat(joined, ":");
                strcat(joined, specs[i]);
        }
        exec_environment();
        snprintf(count, sizeof(count), "%zu", n_specs);
        if (setenv("SHMBROKER_FDS", count, 1) < 0 || setenv("SHMBROKER_NAMES", joined, 1) < 0)
                return ctl_fail(NULL, "exec", -errno);

        /*
         * Move the fds to 3, 4, ... without clobbering one another: first out of the way,
         * above every target slot (keeping CLOEXEC), then dup2() down, which clears CLOEXEC on
         * the copy only. Whatever else was open on a target slot is replaced.
         */
        for (i = 0; i < n_specs; i++) {
                int t = fcntl(fds[i], F_DUPFD_CLOEXEC, (int) (3 + n_specs));

                if (t < 0)
                        return ctl_fail(NULL, "exec", -errno);
                safe_close(fds[i]);
                fds[i] = t;
        }
        for (i = 0; i < n_specs; i++) {
                if (dup2(fds[i], (int) (3 + i)) < 0)
                        return ctl_fail(NULL, "exec", -errno);
                fds[i] = safe_close(fds[i]);
        }

        fflush(stdout);
        execvp(command[0], command);
        fprintf(stderr, PROG ": %s: %s\n", command[0], strerror(errno));
        return EXIT_EXEC;
}
