/* SPDX-License-Identifier: MIT */
/*
 * soak-util.c - clocks, a private shmbrokerd, /proc sampling, uid switching, raw protocol I/O
 * and JSON strings for shmb-soak. Knows nothing of what the clients do.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "soak-util.h"

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 10000

uint64_t soak_now_ns(void)
{
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

void soak_sleep_ms(unsigned ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000 };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* ---------------------------------------------------------------- files */

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        if (remove(path) < 0 && errno != ENOENT)
                fprintf(stderr, "shmb-soak: cannot remove '%s': %m\n", path);
        return 0;
}

int soak_rm_rf(const char *path)
{
        if (!path || !path[0])
                return 0;
        if (nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 0;
}

int soak_dir_count(const char *path)
{
        struct dirent *de;
        DIR *dir = opendir(path);
        int n = 0;

        if (!dir)
                return -errno;
        while ((de = readdir(dir)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        closedir(dir);
        return n;
}

static int write_text(const char *path, const char *text)
{
        size_t left = strlen(text);
        int fd, r = 0;

        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        while (left > 0) {
                ssize_t n = write(fd, text, left);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                text += n;
                left -= (size_t) n;
        }
        if (close(fd) < 0 && r == 0)
                r = -errno;
        return r;
}

/* ---------------------------------------------------------------- the daemon */

static bool socket_accepts(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        bool ok;
        int fd;

        if (strlen(path) >= sizeof(sa.sun_path))
                return false;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return false;
        ok = connect(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0;
        close(fd);
        return ok;
}

static void exec_daemon(const char *bin, char *const *argv, int log_fd)
{
        int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        (void) signal(SIGINT, SIG_DFL);
        (void) signal(SIGTERM, SIG_DFL);
        (void) signal(SIGHUP, SIG_DFL);
        (void) signal(SIGPIPE, SIG_DFL);
        (void) signal(SIGCHLD, SIG_DFL);
        /* Its own process group: ^C reaches the soak, which stops the daemon itself. */
        (void) setpgid(0, 0);
        (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
            dup2(log_fd, STDERR_FILENO) < 0)
                _exit(126);
        (void) unsetenv("LISTEN_FDS");
        (void) unsetenv("LISTEN_PID");
        (void) unsetenv("LISTEN_FDNAMES");
        (void) unsetenv("NOTIFY_SOCKET");
        (void) unsetenv("WATCHDOG_USEC");
        (void) unsetenv("WATCHDOG_PID");
        (void) unsetenv("JOURNAL_STREAM");
        execv(bin, argv);
        fprintf(stderr, "shmb-soak: cannot execute '%s': %m\n", bin);
        _exit(127);
}

int soak_daemon_start(const char *bin, const char *policy, unsigned idle_timeout_s,
                      const char *log_level, struct soak_daemon *d)
{
        char idle[32];
        uint64_t deadline;
        int log_fd, r;
        pid_t pid;

        *d = (struct soak_daemon) { .pid = -1, .exit_status = -1 };
        strcpy(d->run_dir, "/tmp/shmb-soak.XXXXXX");
        strcpy(d->shm_dir, "/dev/shm/shmb-soak.XXXXXX");
        if (!mkdtemp(d->run_dir)) {
                r = -errno;
                d->run_dir[0] = d->shm_dir[0] = '\0';
                return r;
        }
        if (!mkdtemp(d->shm_dir)) {
                r = -errno;
                d->shm_dir[0] = '\0';
                goto fail;
        }
        /* Client processes of other uids must reach the socket. */
        if (chmod(d->run_dir, 0755) < 0 || chmod(d->shm_dir, 0755) < 0) {
                r = -errno;
                goto fail;
        }
        snprintf(d->socket_path, sizeof(d->socket_path), "%s/socket", d->run_dir);
        snprintf(d->policy_path, sizeof(d->policy_path), "%s/policy.conf", d->run_dir);
        snprintf(d->log_path, sizeof(d->log_path), "%s/daemon.log", d->run_dir);
        snprintf(idle, sizeof(idle), "%u", idle_timeout_s);
        r = write_text(d->policy_path, policy);
        if (r < 0)
                goto fail;

        log_fd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0) {
                r = -errno;
                goto fail;
        }
        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(log_fd);
                goto fail;
        }
        if (pid == 0) {
                char *const argv[] = {
                        (char *) bin, (char *) "--socket", d->socket_path,
                        (char *) "--policy", d->policy_path, (char *) "--shm-dir", d->shm_dir,
                        (char *) "--idle-timeout", idle, (char *) "--log-level",
                        (char *) log_level, NULL,
                };

                exec_daemon(bin, argv, log_fd);
        }
        close(log_fd);
        d->pid = pid;

        deadline = soak_now_ns() + (uint64_t) START_TIMEOUT_MS * 1000000;
        for (;;) {
                if (!soak_daemon_alive(d)) {
                        fprintf(stderr, "shmb-soak: shmbrokerd exited before listening "
                                "(status 0x%x)\n", (unsigned) d->exit_status);
                        soak_daemon_print_log_tail(d, stderr, 50);
                        r = -ECHILD;
                        goto fail;
                }
                if (socket_accepts(d->socket_path))
                        return 0;
                if (soak_now_ns() > deadline) {
                        fprintf(stderr, "shmb-soak: shmbrokerd did not listen on '%s'\n",
                                d->socket_path);
                        r = -ETIMEDOUT;
                        goto fail;
                }
                soak_sleep_ms(5);
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
        deadline = soak_now_ns() + (uint64_t) STOP_TIMEOUT_MS * 1000000;
        for (;;) {
                pid_t w = waitpid(d->pid, &status, WNOHANG);

                if (w == d->pid)
                        break;
                if (w < 0 && errno != EINTR) {
                        d->pid = -1;
                        return -errno;
                }
                if (soak_now_ns() > deadline) {
                        fprintf(stderr, "shmb-soak: shmbrokerd did not exit on SIGTERM, "
                                "killing it\n");
                        (void) kill(d->pid, SIGKILL);
                        (void) waitpid(d->pid, &status, 0);
                        break;
                }
                soak_sleep_ms(2);
        }
        d->pid = -1;
        d->exit_status = status;
        return status;
}

void soak_daemon_cleanup(struct soak_daemon *d)
{
        (void) soak_rm_rf(d->shm_dir);
        (void) soak_rm_rf(d->run_dir);
        d->shm_dir[0] = d->run_dir[0] = '\0';
}

void soak_daemon_print_log_tail(const struct soak_daemon *d, FILE *f, size_t max_lines)
{
        char **ring, line[1024];
        size_t n = 0, i;
        FILE *in = fopen(d->log_path, "re");

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
        fprintf(f, "---- last lines of %s ----\n", d->log_path);
        for (i = n > max_lines ? n - max_lines : 0; i < n; i++)
                if (ring[i % max_lines])
                        fputs(ring[i % max_lines], f);
        fprintf(f, "---- end ----\n");
        for (i = 0; i < max_lines; i++)
                free(ring[i]);
        free(ring);
}

long soak_rss_kib(pid_t pid)
{
        char path[64], line[256];
        long kib = -ENODATA;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "VmRSS:", 6) == 0) {
                        kib = strtol(line + 6, NULL, 10);
                        break;
                }
        fclose(f);
        return kib;
}

int soak_fd_count(pid_t pid)
{
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
        return soak_dir_count(path);
}

int soak_become(uid_t uid)
{
        if (setgroups(0, NULL) < 0 || setresgid((gid_t) uid, (gid_t) uid, (gid_t) uid) < 0 ||
            setresuid(uid, uid, uid) < 0)
                return -errno;
        return 0;
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

int soak_raw_send(int fd, const void *buf, size_t len, const int *fds, size_t n_fds, int flags)
{
        union {
                struct cmsghdr h;
                uint8_t b[CMSG_SPACE(sizeof(int) * 253)];
        } control;
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t n;

        if (n_fds > 253)
                return -EINVAL;
        if (n_fds > 0) {
                struct cmsghdr *cm;

                memset(&control, 0, sizeof(control));
                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
        }
        n = sendmsg(fd, &mh, MSG_NOSIGNAL | flags);
        if (n < 0)
                return -errno;
        return (size_t) n == len ? 0 : -EIO;
}

ssize_t soak_raw_recv(int fd, void *buf, size_t size, int *fds, size_t *n_fds, int flags)
{
        union {
                struct cmsghdr h;
                uint8_t b[CMSG_SPACE(sizeof(int) * SHMB_PROTO_FDS_MAX)];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = size };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof(control) };
        struct cmsghdr *cm;
        ssize_t n;
        size_t i;

        *n_fds = 0;
        n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | flags);
        if (n < 0)
                return -errno;
        for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
                size_t k;

                if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
                        continue;
                k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (i = 0; i < k; i++) {
                        int f;

                        memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
                        if (*n_fds < SHMB_PROTO_FDS_MAX)
                                fds[(*n_fds)++] = f;
                        else
                                (void) close(f);
                }
        }
        if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
                for (i = 0; i < *n_fds; i++)
                        (void) close(fds[i]);
                *n_fds = 0;
                return -EMSGSIZE;
        }
        return n;
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
        n = soak_raw_recv(fd, buf, sizeof(buf), got, &n_got, 0);
        /* A socket closed with our request unread reports ECONNRESET before the packet that
         * says why (a seq-0 error) is read: look for it, as the library does. */
        if (n == -ECONNRESET) {
                n = soak_raw_recv(fd, buf, sizeof(buf), got, &n_got, MSG_DONTWAIT);
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
        uint64_t deadline = soak_now_ns() + (uint64_t) timeout_ms * 1000000;
        static uint8_t buf[SHMB_PROTO_MSG_MAX + 1];
        unsigned packets = 0;

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
                uint64_t now = soak_now_ns();
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
                n = soak_raw_recv(fd, buf, sizeof(buf), fds, &n_fds, MSG_DONTWAIT);
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

struct shmb_proto_header soak_header(uint16_t type, uint32_t seq, uint32_t len)
{
        return (struct shmb_proto_header) { .magic = SHMB_PROTO_MAGIC,
                                            .version = SHMB_PROTO_VERSION, .type = type,
                                            .seq = seq, .len = len };
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
