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
 *
 * With $SHM_PROBE_CTOR=NAME, a constructor creates NAME (O_CREAT|O_EXCL|O_RDWR), sizes it to
 * 4096 and maps it before main() runs; main() prints the result first ("ctor ...").
 *
 * Exit 0 when every step ran (whatever it returned), 1 on a usage error or a failed fork or
 * thread step. Links nothing but libc, so that glibc's calls are what it calls.
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

/* The fds of this process that are sockets, as /proc tells. Shuts them down if asked. */
static int sockets(bool shut)
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
                if (shut)
                        (void) shutdown(fd, SHUT_RDWR);
        }
        closedir(d);
        return n;
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
                printf("sockets=%d\n", sockets(false));
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
                printf("shut down %d socket(s)\n", sockets(true));
                step_open(f[1], O_RDWR, NULL);
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
