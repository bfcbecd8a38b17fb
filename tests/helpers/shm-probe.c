/* SPDX-License-Identifier: MIT */
/*
 * shm-probe - a plain shm_open(3) program for the shim's tests: it calls glibc's shm_open,
 * shm_unlink and ftruncate as a program would, and prints what happened, one line per step.
 * Run under LD_PRELOAD=libshmbroker-preload.so it goes through the broker; run without, on a
 * private tmpfs /dev/shm, it shows what glibc itself does, and the two outputs are compared.
 *
 *   shm-probe STEP...
 *
 * Steps (fields separated by ':'; names hold no ':'):
 *   open:NAME:FLAGS[:SIZE]  shm_open(NAME, FLAGS, 0600), and with SIZE ftruncate() it; the fd
 *                           becomes the current one. FLAGS: '|'-separated rdonly, rdwr, wronly,
 *                           creat, excl, trunc. Prints "ok size=N" or the errno's name.
 *   unlink:NAME             shm_unlink(NAME)
 *   ftrunc:SIZE             ftruncate() the current fd
 *   dup                     the current fd becomes a dup of itself (F_DUPFD_CLOEXEC)
 *   map                     map the current fd whole, write its last byte, read it back
 *   fork:N                  fork; parent and child each create, size, map and unlink N
 *                           segments own-fork-{p,c}-I at once (one connection each, or they
 *                           would read each other's replies)
 *   threads:T:N             T threads, each creating, sizing, mapping and unlinking N
 *                           segments own-thr-T-I
 *   exec                    exec this program again with the step "sockets"
 *   sockets                 print how many sockets this process holds
 *   again:NAME              shm_open(NAME, O_RDWR) once more: prints "shared" if the new fd
 *                           shares the current fd's open file description, else "own"; the
 *                           current fd stays
 *   reconnect:NAME          shut down every socket this process holds (as when the broker
 *                           drops the connection), then shm_open(NAME, O_RDWR)
 *   fdreuse:NAME            a program that closes descriptors it does not own: shm_open(NAME,
 *                           O_RDWR) (the shim's socket is then the only one), a mark written
 *                           into it; close_range(3, ~0U, 0); a socketpair of the program's with
 *                           one end on the shim's old number and "PROGRAM-DATA" sent into it
 *                           from the other; shm_open(NAME, O_RDWR) again. Prints whether that
 *                           is the marked segment, what the program's socket holds, and what
 *                           its peer received
 *   fdreuse-hostile:NAME    as fdreuse, but the peer sends nothing and answers whatever comes
 *                           with a REPLY_FD carrying a memfd of its own
 *   cachereuse:NAME         with $SHMBROKER_PRELOAD_CACHE: shm_open(NAME, O_RDWR), a mark
 *                           written; the program closes the fd the open cache keeps of it and
 *                           puts a memfd of its own on the number; shm_open(NAME, O_RDWR)
 *                           again. Prints whether that is the marked segment, and what the
 *                           program's memfd holds
 *
 * With $SHM_PROBE_CTOR=NAME, a constructor creates NAME (O_CREAT|O_EXCL|O_RDWR), sizes it to
 * 4096 and maps it before main() runs; main() prints the result first ("ctor ...").
 *
 * Exit 0 when every step ran (whatever it returned), 1 on a usage error or a failed fork or
 * thread step. Links nothing but libc, so that glibc's calls are what it calls, and proto/'s
 * pure encoder, for the hostile peer's reply.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol.h"

#define THREADS_MAX 32

static int cur = -1;
static char ctor_result[128];

static const char *err_name(int e)
{
        const char *n = strerrorname_np(e);

        return n ? n : "E?";
}

static int parse_flags(const char *s, int *ret)
{
        static const struct {
                const char *name;
                int flag;
        } table[] = {
                { "rdonly", O_RDONLY }, { "rdwr", O_RDWR }, { "wronly", O_WRONLY },
                { "creat", O_CREAT }, { "excl", O_EXCL }, { "trunc", O_TRUNC },
        };
        char buf[128], *p, *tok, *save = NULL;
        int flags = 0;
        size_t i;

        if (strlen(s) >= sizeof(buf))
                return -1;
        strcpy(buf, s);
        for (p = buf; (tok = strtok_r(p, "|", &save)); p = NULL) {
                for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
                        if (strcmp(tok, table[i].name) == 0)
                                break;
                if (i == sizeof(table) / sizeof(table[0]))
                        return -1;
                flags |= table[i].flag;
        }
        *ret = flags;
        return 0;
}

static long long fd_size(int fd)
{
        struct stat st;

        return fstat(fd, &st) < 0 ? -1 : (long long) st.st_size;
}

/* A name in a line: long ones shortened, so that lines stay readable. */
static void print_name(const char *step, const char *name)
{
        size_t n = strlen(name);

        if (n > 40)
                printf("%s %.12s...(%zu bytes): ", step, name, n);
        else
                printf("%s '%s': ", step, name);
}

static void step_open(const char *name, int flags, const char *size)
{
        int fd;

        print_name("open", name);
        fd = shm_open(name, flags, 0600);
        if (fd < 0) {
                printf("%s\n", err_name(errno));
                return;
        }
        if (cur >= 0)
                (void) close(cur);
        cur = fd;
        if (size && ftruncate(fd, strtoll(size, NULL, 10)) < 0)
                printf("ok, ftruncate %s, size=%lld\n", err_name(errno), fd_size(fd));
        else
                printf("ok size=%lld\n", fd_size(fd));
}

static int step_map(void)
{
        long long size = fd_size(cur);
        volatile unsigned char *p;

        if (size <= 0) {
                printf("map: size %lld\n", size);
                return 0;
        }
        p = mmap(NULL, (size_t) size, PROT_READ | PROT_WRITE, MAP_SHARED, cur, 0);
        if (p == MAP_FAILED) {
                printf("map: %s\n", err_name(errno));
                return 0;
        }
        p[size - 1] = 0x5a;
        printf("map: ok %s\n", p[size - 1] == 0x5a ? "written" : "lost");
        (void) munmap((void *) p, (size_t) size);
        return 0;
}

/* Create, size, map, write, unlink one segment; 0 or an errno value, with what failed. */
static int cycle(const char *name, const char **ret_what)
{
        unsigned char *p;
        int fd, e;

        fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
        if (fd < 0) {
                *ret_what = "shm_open";
                return errno;
        }
        if (ftruncate(fd, 4096) < 0) {
                e = errno;
                *ret_what = "ftruncate";
                (void) close(fd);
                (void) shm_unlink(name);
                return e;
        }
        p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        (void) close(fd);
        if (p == MAP_FAILED) {
                e = errno;
                *ret_what = "mmap";
                (void) shm_unlink(name);
                return e;
        }
        p[4095] = 1;
        (void) munmap(p, 4096);
        if (shm_unlink(name) < 0) {
                *ret_what = "shm_unlink";
                return errno;
        }
        return 0;
}

static int cycles(const char *prefix, long n, FILE *out)
{
        const char *what = "";
        char name[NAME_MAX];
        long i;
        int e;

        for (i = 0; i < n; i++) {
                snprintf(name, sizeof(name), "%s-%ld", prefix, i);
                e = cycle(name, &what);
                if (e) {
                        fprintf(out, "%s: %s %s\n", name, what, err_name(e));
                        return -1;
                }
        }
        return 0;
}

static int step_fork(long n)
{
        int status, r;
        pid_t pid;

        fflush(stdout);
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0)
                _exit(cycles("own-fork-c", n, stdout) < 0 ? 1 : 0);
        r = cycles("own-fork-p", n, stdout);
        if (waitpid(pid, &status, 0) < 0)
                return -1;
        printf("fork: parent %s, child %s\n", r < 0 ? "failed" : "ok",
               WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "ok" : "failed");
        return r < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ? -1 : 0;
}

struct thread_arg {
        pthread_t t;
        int k;
        long n;
        int r;
};

static void *thread_main(void *userdata)
{
        struct thread_arg *a = userdata;
        char prefix[32];

        snprintf(prefix, sizeof(prefix), "own-thr-%d", a->k);
        a->r = cycles(prefix, a->n, stdout);
        return NULL;
}

static int step_threads(long t, long n)
{
        struct thread_arg a[THREADS_MAX];
        long i, failed = 0;

        if (t < 1 || t > THREADS_MAX)
                return -1;
        for (i = 0; i < t; i++) {
                a[i] = (struct thread_arg) { .k = (int) i, .n = n };
                if (pthread_create(&a[i].t, NULL, thread_main, &a[i]) != 0)
                        return -1;
        }
        for (i = 0; i < t; i++) {
                (void) pthread_join(a[i].t, NULL);
                failed += a[i].r < 0;
        }
        printf("threads: %ld of %ld ok\n", t - failed, t);
        return failed ? -1 : 0;
}

/* The fds of this process that are sockets, as /proc tells; the last in *ret_fd if asked.
 * Shuts them down if asked. */
static int sockets(bool shut, int *ret_fd)
{
        struct dirent *de;
        int n = 0;
        DIR *d;

        d = opendir("/proc/self/fd");
        if (!d)
                return -1;
        while ((de = readdir(d))) {
                char path[64], target[64];
                ssize_t k;
                int fd;

                if (de->d_name[0] == '.')
                        continue;
                fd = atoi(de->d_name);
                if (fd == dirfd(d))
                        continue;
                snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
                k = readlink(path, target, sizeof(target) - 1);
                if (k < 0)
                        continue;
                target[k] = '\0';
                if (strncmp(target, "socket:", 7) != 0)
                        continue;
                n++;
                if (ret_fd)
                        *ret_fd = fd;
                if (shut)
                        (void) shutdown(fd, SHUT_RDWR);
        }
        closedir(d);
        return n;
}

#define FDREUSE_MARK "written through the broker"
#define FDREUSE_DATA "PROGRAM-DATA"

/* The program's peer in fdreuse-hostile: answers every packet with a REPLY_FD for its seq,
 * carrying a memfd of its own, until end of stream. Counts the bytes it received. */
struct hostile_peer {
        pthread_t t;
        int fd;
        ssize_t received;
};

static void hostile_answer(int fd, uint32_t seq)
{
        const struct shmb_proto_fd_reply fr = {
                .size = 4096,
                .access = SHMB_PROTO_ACCESS_RDWR,
                .backend = SHMB_PROTO_BACKEND_SHM,
        };
        union {
                struct cmsghdr align;
                uint8_t buf[CMSG_SPACE(sizeof(int))];
        } control = {};
        uint8_t out[256];
        struct iovec iov = { .iov_base = out };
        struct msghdr mh = {
                .msg_iov = &iov, .msg_iovlen = 1,
                .msg_control = &control, .msg_controllen = sizeof(control),
        };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        int mfd, len;

        mfd = memfd_create("not-the-broker", MFD_CLOEXEC);
        len = shmb_proto_encode_fd_reply(out, sizeof(out), seq, &fr);
        if (mfd < 0 || len < 0 || ftruncate(mfd, 4096) < 0 ||
            pwrite(mfd, "the peer's", 10, 0) != 10) {
                if (mfd >= 0)
                        (void) close(mfd);
                return;
        }
        iov.iov_len = (size_t) len;
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &mfd, sizeof(int));
        (void) sendmsg(fd, &mh, MSG_NOSIGNAL);
        (void) close(mfd);
}

static void *hostile_main(void *userdata)
{
        struct hostile_peer *h = userdata;
        struct shmb_proto_header hdr;
        uint8_t in[1024];
        ssize_t n;

        while ((n = recv(h->fd, in, sizeof(in), 0)) > 0) {
                h->received += n;
                if ((size_t) n >= sizeof(hdr)) {
                        memcpy(&hdr, in, sizeof(hdr));
                        hostile_answer(h->fd, hdr.seq);
                }
        }
        return NULL;
}

/* The marked segment (@st: fstat() of its first fd), or what else @fd is. */
static void fdreuse_print_open(const char *step, const char *name, int fd, const struct stat *st)
{
        char buf[sizeof(FDREUSE_MARK)] = "";
        struct stat st2;

        print_name(step, name);
        if (fd < 0) {
                printf("%s\n", err_name(errno));
                return;
        }
        if (pread(fd, buf, sizeof(buf) - 1, 0) < 0)
                buf[0] = '\0';
        if (fstat(fd, &st2) == 0 && st2.st_dev == st->st_dev && st2.st_ino == st->st_ino &&
            strcmp(buf, FDREUSE_MARK) == 0)
                printf("ok, the broker's segment\n");
        else
                printf("ok, another file holding '%s'\n", buf);
}

/* The program's socket @fd: what it holds (fdreuse), or that it is open (fdreuse-hostile). */
static void fdreuse_print_socket(int fd, bool hostile)
{
        char buf[64];
        ssize_t n;

        if (hostile) {
                printf("fdreuse: the program's socket: %s\n",
                       fcntl(fd, F_GETFD) < 0 ? err_name(errno) : "open");
                return;
        }
        n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
        if (n < 0) {
                printf("fdreuse: the program's socket: %s\n", err_name(errno));
                return;
        }
        buf[n] = '\0';
        printf("fdreuse: the program's socket holds '%s'\n", buf);
}

static int step_fdreuse(const char *name, bool hostile)
{
        struct hostile_peer h = { .received = 0 };
        int fd, shim = -1, sp[2], prog, peer;
        char buf[64];
        struct stat st;
        ssize_t n;

        fd = shm_open(name, O_RDWR, 0);
        if (fd < 0 || pwrite(fd, FDREUSE_MARK, sizeof(FDREUSE_MARK) - 1, 0) < 0 ||
            fstat(fd, &st) < 0 || sockets(false, &shim) != 1)
                return -1;
        (void) close(fd);
        if (cur >= 0)
                (void) close(cur);
        cur = -1;

        /* The program cleans up what it thinks are stray descriptors, then opens a socket
         * of its own: it gets the shim's old number (put there if the kernel chose another). */
        if (close_range(3, ~0U, 0) < 0 ||
            socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
                return -1;
        prog = sp[1] == shim ? sp[1] : sp[0];
        peer = sp[1] == shim ? sp[0] : sp[1];
        if (prog != shim) {
                if (dup3(prog, shim, O_CLOEXEC) < 0)
                        return -1;
                (void) close(prog);
                prog = shim;
        }
        printf("fdreuse: the program's socket is on the shim's number\n");
        if (hostile) {
                h.fd = peer;
                if (pthread_create(&h.t, NULL, hostile_main, &h) != 0)
                        return -1;
        } else if (send(peer, FDREUSE_DATA, sizeof(FDREUSE_DATA) - 1, 0) < 0)
                return -1;

        fd = shm_open(name, O_RDWR, 0);
        fdreuse_print_open("fdreuse", name, fd, &st);
        fdreuse_print_socket(prog, hostile);
        if (hostile) {
                /* End of stream ends the peer's loop. */
                (void) shutdown(prog, SHUT_WR);
                (void) pthread_join(h.t, NULL);
                n = h.received;
        } else {
                n = recv(peer, buf, sizeof(buf), MSG_DONTWAIT);
                if (n < 0)
                        n = 0;
        }
        if (n == 0)
                printf("fdreuse: the peer received nothing\n");
        else
                printf("fdreuse: the peer received %zd bytes\n", n);
        (void) close(prog);
        (void) close(peer);
        cur = fd;
        return 0;
}

/* Another fd of this process on the file of @st than @fd, or -1. */
static int other_fd_of(int fd, const struct stat *st)
{
        struct dirent *de;
        int found = -1;
        DIR *d;

        d = opendir("/proc/self/fd");
        if (!d)
                return -1;
        while ((de = readdir(d))) {
                struct stat st2;
                int k = atoi(de->d_name);

                if (de->d_name[0] != '.' && k != fd && k != dirfd(d) && fstat(k, &st2) == 0 &&
                    st2.st_dev == st->st_dev && st2.st_ino == st->st_ino)
                        found = k;
        }
        closedir(d);
        return found;
}

/* The open cache's kept fd closed by the program, its number reused for a file of its own. */
static int step_cachereuse(const char *name)
{
        char buf[sizeof(FDREUSE_DATA)] = "";
        int fd, kept, m;
        struct stat st;

        fd = shm_open(name, O_RDWR, 0);
        if (fd < 0 || pwrite(fd, FDREUSE_MARK, sizeof(FDREUSE_MARK) - 1, 0) < 0 ||
            fstat(fd, &st) < 0)
                return -1;
        kept = other_fd_of(fd, &st);
        if (kept < 0) {
                printf("cachereuse: no kept fd\n");
                return -1;
        }
        (void) close(fd);
        (void) close(kept);
        m = memfd_create("the program's", MFD_CLOEXEC);
        if (m < 0 || write(m, FDREUSE_DATA, sizeof(FDREUSE_DATA) - 1) < 0)
                return -1;
        if (m != kept) {
                if (dup3(m, kept, O_CLOEXEC) < 0)
                        return -1;
                (void) close(m);
        }
        printf("cachereuse: the program's file is on the kept number\n");

        fd = shm_open(name, O_RDWR, 0);
        fdreuse_print_open("cachereuse", name, fd, &st);
        if (pread(kept, buf, sizeof(buf) - 1, 0) < 0)
                printf("cachereuse: the program's file: %s\n", err_name(errno));
        else
                printf("cachereuse: the program's file holds '%s'\n", buf);
        (void) close(kept);
        if (cur >= 0)
                (void) close(cur);
        cur = fd;
        return 0;
}

__attribute__((constructor)) static void probe_ctor(void)
{
        const char *name = getenv("SHM_PROBE_CTOR");
        unsigned char *p;
        int fd;

        if (!name)
                return;
        fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
        if (fd < 0) {
                snprintf(ctor_result, sizeof(ctor_result), "shm_open %s", err_name(errno));
                return;
        }
        if (ftruncate(fd, 4096) < 0) {
                snprintf(ctor_result, sizeof(ctor_result), "ftruncate %s", err_name(errno));
                (void) close(fd);
                return;
        }
        p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
                snprintf(ctor_result, sizeof(ctor_result), "mmap %s", err_name(errno));
                (void) close(fd);
                return;
        }
        p[4095] = 7;
        snprintf(ctor_result, sizeof(ctor_result), "ok size=%lld", fd_size(fd));
        (void) munmap(p, 4096);
        (void) close(fd);
}

static int step(char *s, const char *self)
{
        char *f[4] = {};
        size_t n = 0;
        char *p = s;
        int flags;

        while (n < 4) {
                f[n++] = strsep(&p, ":");
                if (!p)
                        break;
        }
        if (strcmp(f[0], "open") == 0 && n >= 3) {
                if (parse_flags(f[2], &flags) < 0)
                        return -1;
                step_open(f[1], flags, n == 4 ? f[3] : NULL);
        } else if (strcmp(f[0], "unlink") == 0 && n == 2) {
                print_name("unlink", f[1]);
                printf("%s\n", shm_unlink(f[1]) < 0 ? err_name(errno) : "ok");
        } else if (strcmp(f[0], "ftrunc") == 0 && n == 2) {
                if (ftruncate(cur, strtoll(f[1], NULL, 10)) < 0)
                        printf("ftruncate %s: %s, size=%lld\n", f[1], err_name(errno),
                               fd_size(cur));
                else
                        printf("ftruncate %s: ok size=%lld\n", f[1], fd_size(cur));
        } else if (strcmp(f[0], "dup") == 0 && n == 1) {
                int fd = fcntl(cur, F_DUPFD_CLOEXEC, 3);

                printf("dup: %s\n", fd < 0 ? err_name(errno) : "ok");
                if (fd >= 0) {
                        (void) close(cur);
                        cur = fd;
                }
        } else if (strcmp(f[0], "map") == 0 && n == 1) {
                return step_map();
        } else if (strcmp(f[0], "fork") == 0 && n == 2) {
                return step_fork(strtol(f[1], NULL, 10));
        } else if (strcmp(f[0], "threads") == 0 && n == 3) {
                return step_threads(strtol(f[1], NULL, 10), strtol(f[2], NULL, 10));
        } else if (strcmp(f[0], "exec") == 0 && n == 1) {
                fflush(stdout);
                execl(self, "shm-probe", "sockets", (char *) NULL);
                printf("exec: %s\n", err_name(errno));
                return -1;
        } else if (strcmp(f[0], "sockets") == 0 && n == 1) {
                printf("sockets=%d\n", sockets(false, NULL));
        } else if (strcmp(f[0], "again") == 0 && n == 2) {
                int fd = shm_open(f[1], O_RDWR, 0);

                print_name("again", f[1]);
                if (fd < 0) {
                        printf("%s\n", err_name(errno));
                } else {
                        /* dup()s share the offset; separate opens do not. */
                        off_t was = lseek(fd, 0, SEEK_CUR);

                        (void) lseek(cur, 123, SEEK_SET);
                        printf("%s\n", lseek(fd, 0, SEEK_CUR) == 123 ? "shared" : "own");
                        (void) lseek(cur, 0, SEEK_SET);
                        (void) lseek(fd, was, SEEK_SET);
                        (void) close(fd);
                }
        } else if (strcmp(f[0], "reconnect") == 0 && n == 2) {
                printf("shut down %d socket(s)\n", sockets(true, NULL));
                step_open(f[1], O_RDWR, NULL);
        } else if (strcmp(f[0], "fdreuse") == 0 && n == 2) {
                return step_fdreuse(f[1], false);
        } else if (strcmp(f[0], "fdreuse-hostile") == 0 && n == 2) {
                return step_fdreuse(f[1], true);
        } else if (strcmp(f[0], "cachereuse") == 0 && n == 2) {
                return step_cachereuse(f[1]);
        } else
                return -1;
        return 0;
}

int main(int argc, char *argv[])
{
        char self[PATH_MAX];
        ssize_t k;
        int i, r = 0;

        setvbuf(stdout, NULL, _IOLBF, 0);
        k = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (k < 0)
                return 1;
        self[k] = '\0';
        if (ctor_result[0])
                printf("ctor: %s\n", ctor_result);
        for (i = 1; i < argc; i++) {
                if (step(argv[i], self) < 0) {
                        fprintf(stderr, "shm-probe: step '%s' failed or unknown\n", argv[i]);
                        r = 1;
                }
        }
        if (cur >= 0)
                (void) close(cur);
        return r;
}
