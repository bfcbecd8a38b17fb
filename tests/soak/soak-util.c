/* SPDX-License-Identifier: MIT */
/*
 * soak-util.c - a private shmbrokerd, raw protocol replies, JSON strings and segment contents
 * for shmb-soak (clocks, files, /proc and raw I/O are in testlib.c). Knows nothing of what the
 * clients do.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "soak-util.h"

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 10000

/* ---------------------------------------------------------------- the daemon */

int soak_daemon_start(const char *bin, const char *policy, unsigned idle_timeout_s,
                      const char *log_level, struct soak_daemon *d)
{
        char idle[32];
        uint64_t deadline;
        pid_t pid;
        int r;

        *d = (struct soak_daemon) { .pid = -1, .exit_status = -1 };
        snprintf(idle, sizeof(idle), "%u", idle_timeout_s);
        r = tl_daemon_dirs_make(&d->dirs, "shmb-soak", policy);
        if (r < 0)
                goto fail;

        {
                char *const argv[] = {
                        (char *) bin, (char *) "--socket", d->dirs.socket_path,
                        (char *) "--policy", d->dirs.policy_path,
                        (char *) "--shm-dir", d->dirs.shm_dir,
                        (char *) "--state-dir", d->dirs.state_dir,
                        (char *) "--idle-timeout", idle, (char *) "--log-level",
                        (char *) log_level, NULL,
                };

                r = tl_daemon_spawn(bin, argv, d->dirs.log_path, &pid);
                if (r < 0)
                        goto fail;
        }
        d->pid = pid;

        deadline = tl_now_ns() + (uint64_t) START_TIMEOUT_MS * 1000000;
        for (;;) {
                if (!soak_daemon_alive(d)) {
                        fprintf(stderr, "shmb-soak: shmbrokerd exited before listening "
                                "(status 0x%x)\n", (unsigned) d->exit_status);
                        soak_daemon_print_log_tail(d, stderr, 50);
                        r = -ECHILD;
                        goto fail;
                }
                if (tl_socket_accepts(d->dirs.socket_path))
                        return 0;
                if (tl_now_ns() > deadline) {
                        fprintf(stderr, "shmb-soak: shmbrokerd did not listen on '%s'\n",
                                d->dirs.socket_path);
                        r = -ETIMEDOUT;
                        goto fail;
                }
                tl_sleep_ms(5);
        }

fail:
        (void) soak_daemon_stop(d);
        soak_daemon_cleanup(d);
        return r;
}

bool soak_daemon_alive(struct soak_daemon *d)
{
        int status;

        if (d->pid <= 0)
                return false;
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
                d->exit_status = status;
                d->pid = -1;
                return false;
        }
        return true;
}

int soak_daemon_stop(struct soak_daemon *d)
{
        uint64_t deadline;
        int status = 0;

        if (d->pid <= 0)
                return d->exit_status;
        (void) kill(d->pid, SIGTERM);
        deadline = tl_now_ns() + (uint64_t) STOP_TIMEOUT_MS * 1000000;
        for (;;) {
                pid_t w = waitpid(d->pid, &status, WNOHANG);

                if (w == d->pid)
                        break;
                if (w < 0 && errno != EINTR) {
                        d->pid = -1;
                        return -errno;
                }
                if (tl_now_ns() > deadline) {
                        fprintf(stderr, "shmb-soak: shmbrokerd did not exit on SIGTERM, "
                                "killing it\n");
                        (void) kill(d->pid, SIGKILL);
                        (void) waitpid(d->pid, &status, 0);
                        break;
                }
                tl_sleep_ms(2);
        }
        d->pid = -1;
        d->exit_status = status;
        return status;
}

void soak_daemon_cleanup(struct soak_daemon *d)
{
        tl_daemon_dirs_remove(&d->dirs);
}

int soak_shm_entries(const char *dir, char *names, size_t size)
{
        struct dirent *de;
        size_t len = 0;
        DIR *d;
        int n = 0;

        if (names && size > 0)
                names[0] = '\0';
        d = opendir(dir);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                char path[PATH_MAX + 300];

                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                if (strncmp(de->d_name, SOAK_TRASH_PREFIX, strlen(SOAK_TRASH_PREFIX)) == 0 &&
                    tl_dir_count(path) == 0)
                        continue;
                n++;
                if (names && len + strlen(de->d_name) + 5 < size)
                        len += (size_t) snprintf(names + len, size - len, "%s'%s'",
                                                 len ? ", " : "", de->d_name);
        }
        (void) closedir(d);
        return n;
}

void soak_daemon_print_log_tail(const struct soak_daemon *d, FILE *f, size_t max_lines)
{
        char **ring, line[1024];
        size_t n = 0, i;
        FILE *in = fopen(d->dirs.log_path, "re");

        if (!in)
                return;
        ring = calloc(max_lines, sizeof(*ring));
        if (!ring) {
                fclose(in);
                return;
        }
        while (fgets(line, sizeof(line), in)) {
                free(ring[n % max_lines]);
                ring[n % max_lines] = strdup(line);
                n++;
        }
        fclose(in);
        fprintf(f, "---- last lines of %s ----\n", d->dirs.log_path);
        for (i = n > max_lines ? n - max_lines : 0; i < n; i++)
                if (ring[i % max_lines])
                        fputs(ring[i % max_lines], f);
        fprintf(f, "---- end ----\n");
        for (i = 0; i < max_lines; i++)
                free(ring[i]);
        free(ring);
}

/* ---------------------------------------------------------------- raw protocol */

int soak_raw_connect(const char *path, unsigned timeout_ms)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        struct timeval tv = { .tv_sec = timeout_ms / 1000,
                              .tv_usec = (suseconds_t) (timeout_ms % 1000) * 1000 };
        int fd, r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* SO_SNDTIMEO also bounds connect() when the listen queue is full. */
        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
            connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                r = errno == EINPROGRESS ? -ETIMEDOUT : -errno;
                close(fd);
                return r;
        }
        return fd;
}

int soak_raw_reply(int fd, struct shmb_proto_reply *reply, int *fds, size_t *n_fds)
{
        static uint8_t buf[SHMB_PROTO_MSG_MAX + 1];
        int got[SHMB_PROTO_FDS_MAX];
        size_t n_got = 0, i;
        ssize_t n;
        int r;

        if (n_fds)
                *n_fds = 0;
        n = tl_raw_recv(fd, buf, sizeof(buf), got, &n_got, 0);
        /* A socket closed with our request unread reports ECONNRESET before the packet that
         * says why (a seq-0 error) is read: look for it, as the library does. */
        if (n == -ECONNRESET) {
                n = tl_raw_recv(fd, buf, sizeof(buf), got, &n_got, MSG_DONTWAIT);
                if (n < 0)
                        return -ECONNRESET;
        }
        if (n < 0)
                return (int) n;
        if (n == 0)
                return -ECONNRESET;
        r = shmb_proto_decode_reply(buf, (size_t) n, n_got, reply);
        if (r < 0)
                r = -EBADMSG;
        if (fds && n_fds) {
                memcpy(fds, got, n_got * sizeof(int));
                *n_fds = n_got;
                return r;
        }
        for (i = 0; i < n_got; i++)
                (void) close(got[i]);
        return r;
}

int soak_raw_wait_hangup(int fd, unsigned timeout_ms, unsigned *ret_packets)
{
        uint64_t deadline = tl_now_ns() + (uint64_t) timeout_ms * 1000000;
        static uint8_t buf[SHMB_PROTO_MSG_MAX + 1];
        unsigned packets = 0;

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
                uint64_t now = tl_now_ns();
                int fds[SHMB_PROTO_FDS_MAX], k;
                size_t n_fds, i;
                ssize_t n;

                if (now >= deadline)
                        break;
                k = poll(&p, 1, (int) ((deadline - now) / 1000000) + 1);
                if (k < 0 && errno != EINTR)
                        return -errno;
                if (k <= 0)
                        continue;
                n = tl_raw_recv(fd, buf, sizeof(buf), fds, &n_fds, MSG_DONTWAIT);
                for (i = 0; i < n_fds; i++)
                        (void) close(fds[i]);
                if (n == 0 || n == -ECONNRESET || n == -EPIPE) {
                        if (ret_packets)
                                *ret_packets = packets;
                        return 1;
                }
                if (n > 0 || n == -EMSGSIZE)
                        packets++;
                else if (n != -EAGAIN && n != -EINTR)
                        return (int) n;
        }
        if (ret_packets)
                *ret_packets = packets;
        return 0;
}

/* ---------------------------------------------------------------- JSON */

void soak_json_string(FILE *f, const char *s)
{
        fputc('"', f);
        for (; s && *s; s++) {
                unsigned char ch = (unsigned char) *s;

                if (ch == '"' || ch == '\\')
                        fprintf(f, "\\%c", ch);
                else if (ch < 0x20 || ch >= 0x7f)
                        fprintf(f, "\\u%04x", ch);
                else
                        fputc(ch, f);
        }
        fputc('"', f);
}

/* ---------------------------------------------------------------- content */

uint64_t soak_name_tag(const char *name)
{
        uint64_t h = UINT64_C(0xcbf29ce484222325);

        for (; *name; name++) {
                h ^= (unsigned char) *name;
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

static uint64_t word_at(uint64_t tag, size_t off)
{
        return tag ^ ((uint64_t) off * UINT64_C(0x9e3779b97f4a7c15));
}

void soak_fill(void *p, size_t len, uint64_t tag)
{
        uint8_t *b = p;
        size_t off;

        for (off = 0; off + 8 <= len; off += 512) {
                uint64_t w = word_at(tag, off);

                memcpy(b + off, &w, 8);
        }
        if (len >= 8) {
                uint64_t w = word_at(tag, len - 8);

                memcpy(b + len - 8, &w, 8);
        }
}

bool soak_check(const void *p, size_t len, uint64_t tag)
{
        const uint8_t *b = p;
        uint64_t w;
        size_t off;

        for (off = 0; off + 8 <= len; off += 512) {
                memcpy(&w, b + off, 8);
                if (w != word_at(tag, off))
                        return false;
        }
        if (len >= 8) {
                memcpy(&w, b + len - 8, 8);
                if (w != word_at(tag, len - 8))
                        return false;
        }
        return true;
}
