/* SPDX-License-Identifier: MIT */
/*
 * testlib.c - helpers shared by the test harnesses, the benchmark and the soak test; see
 * testlib.h. Knows nothing of cmocka nor of what the callers test.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

uint64_t tl_now_ns(void)
{
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

uint64_t tl_now_ms(void)
{
        return tl_now_ns() / 1000000;
}

void tl_sleep_ms(unsigned ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000 };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* ---------------------------------------------------------------- files */

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        if (remove(path) < 0 && errno != ENOENT)
                fprintf(stderr, "%s: cannot remove '%s': %m\n", program_invocation_short_name,
                        path);
        return 0;
}

int tl_rm_rf(const char *path)
{
        if (!path || !path[0])
                return 0;
        if (nftw(path, rm_one, 64, FTW_DEPTH | FTW_PHYS) < 0)
                return errno == ENOENT ? 0 : -errno;
        return 0;
}

const char *tl_preload_value(const char *shim, char *buf, size_t size)
{
        const char *asan = getenv("SHMB_ASAN_RUNTIME");

        snprintf(buf, size, "%s%s%s", asan ? asan : "", asan && *asan ? " " : "", shim);
        return buf;
}

int tl_write_text(const char *path, const char *text)
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

char *tl_read_text(const char *path)
{
        char *buf = NULL;
        size_t len = 0, cap = 0;
        int fd, saved;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NULL;
        for (;;) {
                ssize_t n;

                if (cap - len < 4096) {
                        char *p = realloc(buf, cap + 65536);

                        if (!p)
                                goto fail;
                        buf = p;
                        cap += 65536;
                }
                n = read(fd, buf + len, cap - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        goto fail;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        (void) close(fd);
        buf[len] = '\0';
        return buf;

fail:
        saved = errno;
        free(buf);
        (void) close(fd);
        errno = saved;
        return NULL;
}

int tl_dir_count(const char *path)
{
        struct dirent *de;
        DIR *dir = opendir(path);
        int n = 0;

        if (!dir)
                return -errno;
        while ((de = readdir(dir)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        n++;
        (void) closedir(dir);
        return n;
}

/* ---------------------------------------------------------------- processes */

int tl_proc_fd_count(pid_t pid)
{
        char path[64];

        snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
        return tl_dir_count(path);
}

long tl_proc_rss_kib(pid_t pid)
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

int tl_proc_schedstat(pid_t pid, struct tl_schedstat *ret)
{
        char path[64];
        FILE *f;
        int n;

        snprintf(path, sizeof(path), "/proc/%d/schedstat", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        n = fscanf(f, "%llu %llu %llu", &ret->run_ns, &ret->wait_ns, &ret->count);
        fclose(f);
        return n == 3 ? 0 : -EIO;
}

int tl_become(uid_t uid)
{
        if (setgroups(0, NULL) < 0 || setresgid((gid_t) uid, (gid_t) uid, (gid_t) uid) < 0 ||
            setresuid(uid, uid, uid) < 0)
                return -errno;
        return 0;
}

/* ---------------------------------------------------------------- a private daemon */

static int path_join(char *buf, size_t size, const char *dir, const char *name)
{
        int n = snprintf(buf, size, "%s/%s", dir, name);

        return n < 0 || (size_t) n >= size ? -ENAMETOOLONG : 0;
}

int tl_daemon_dirs_make(struct tl_daemon_dirs *dirs, const char *name, const char *policy)
{
        *dirs = (struct tl_daemon_dirs) {};
        snprintf(dirs->run_dir, sizeof(dirs->run_dir), "/tmp/%s.XXXXXX", name);
        if (!mkdtemp(dirs->run_dir)) {
                int r = -errno;

                dirs->run_dir[0] = '\0';
                return r;
        }
        snprintf(dirs->shm_dir, sizeof(dirs->shm_dir), "/dev/shm/%s.XXXXXX", name);
        if (!mkdtemp(dirs->shm_dir)) {
                dirs->shm_dir[0] = '\0';
                return -errno;
        }
        if (chmod(dirs->run_dir, 0755) < 0 || chmod(dirs->shm_dir, 0755) < 0)
                return -errno;
        if (path_join(dirs->socket_path, sizeof(dirs->socket_path), dirs->run_dir, "socket") < 0 ||
            path_join(dirs->policy_path, sizeof(dirs->policy_path), dirs->run_dir,
                      "policy.conf") < 0 ||
            path_join(dirs->log_path, sizeof(dirs->log_path), dirs->run_dir, "daemon.log") < 0 ||
            path_join(dirs->state_dir, sizeof(dirs->state_dir), dirs->run_dir, "state") < 0)
                return -ENAMETOOLONG;
        return tl_write_text(dirs->policy_path, policy);
}

void tl_daemon_dirs_remove(struct tl_daemon_dirs *dirs)
{
        (void) tl_rm_rf(dirs->shm_dir);
        (void) tl_rm_rf(dirs->run_dir);
        dirs->shm_dir[0] = dirs->run_dir[0] = '\0';
}

int tl_connect_seqpacket(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                r = -errno;
                (void) close(fd);
                return r;
        }
        return fd;
}

bool tl_socket_accepts(const char *path)
{
        int fd = tl_connect_seqpacket(path);

        if (fd < 0)
                return false;
        (void) close(fd);
        return true;
}

void tl_unset_service_env(void)
{
        (void) unsetenv("LISTEN_FDS");
        (void) unsetenv("LISTEN_PID");
        (void) unsetenv("LISTEN_FDNAMES");
        (void) unsetenv("NOTIFY_SOCKET");
        (void) unsetenv("WATCHDOG_USEC");
        (void) unsetenv("WATCHDOG_PID");
}

_Noreturn void tl_exec_daemon(const char *bin, char *const *argv, int log_fd)
{
        int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

        (void) signal(SIGINT, SIG_DFL);
        (void) signal(SIGTERM, SIG_DFL);
        (void) signal(SIGHUP, SIG_DFL);
        (void) signal(SIGPIPE, SIG_DFL);
        (void) signal(SIGCHLD, SIG_DFL);
        /* Its own process group: ^C reaches the caller, which stops the daemon itself. */
        (void) setpgid(0, 0);
        (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
            dup2(log_fd, STDERR_FILENO) < 0)
                _exit(126);
        tl_unset_service_env();
        /* Its stderr is a log file: no structured journal records. */
        (void) unsetenv("JOURNAL_STREAM");
        execv(bin, argv);
        fprintf(stderr, "%s: cannot execute '%s': %m\n", program_invocation_short_name, bin);
        _exit(127);
}

int tl_daemon_spawn(const char *bin, char *const *argv, const char *log_path, pid_t *ret_pid)
{
        int log_fd, r;
        pid_t pid;

        log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0)
                return -errno;
        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                r = -errno;
                close(log_fd);
                return r;
        }
        if (pid == 0)
                tl_exec_daemon(bin, argv, log_fd);
        close(log_fd);
        *ret_pid = pid;
        return 0;
}

/* ---------------------------------------------------------------- raw protocol */

int tl_raw_send(int fd, const void *buf, size_t len, const int *fds, size_t n_fds, int flags)
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

ssize_t tl_raw_recv(int fd, void *buf, size_t size, int *fds, size_t *n_fds, int flags)
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
                return -errno; /* nothing to parse: msg_controllen is not updated on error */
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

struct shmb_proto_header tl_proto_header(uint16_t type, uint32_t seq, uint32_t len)
{
        return (struct shmb_proto_header) { .magic = SHMB_PROTO_MAGIC,
                                            .version = SHMB_PROTO_VERSION, .type = type,
                                            .seq = seq, .len = len };
}
