/* SPDX-License-Identifier: MIT */
/*
 * test-systemd.c - shmbrokerd under a service manager, with this test playing the manager.
 *
 * The test does what systemd does for shmbrokerd.socket and shmbrokerd.service: it makes the
 * listening SOCK_SEQPACKET socket itself and passes it as fd 3 (LISTEN_FDS=1, LISTEN_PID set in
 * the child between fork and exec, LISTEN_FDNAMES=shmbrokerd.socket), and it binds a
 * NOTIFY_SOCKET (AF_UNIX datagrams with SO_PASSCRED, able to take SCM_RIGHTS) where it records
 * every notification and keeps a file descriptor store as PID 1 would: FDSTORE=1 with FDNAME=
 * adds, FDSTOREREMOVE=1 with FDNAME= removes, and a restart passes the store back after the
 * socket (LISTEN_FDS = 1 + stored fds, LISTEN_FDNAMES in the same order).
 *
 * Asserted: READY=1 after start and clients served through the passed socket (and --socket
 * ignored); SIGHUP gives RELOADING=1 with MONOTONIC_USEC=, then READY=1, and the new policy;
 * a bad policy on reload gives a STATUS= naming the file, and the old policy keeps serving;
 * SIGTERM gives STOPPING=1 and exit 0; WATCHDOG_USEC=200000 gives WATCHDOG=1 again and again;
 * Backend=memfd objects go to the fd store (shmb-obj-N, the memfd alone; FDSTOREREMOVE=1 for
 * exactly that name on unlink) and come back with their bytes after a restart and after a
 * crash; Backend=shm objects come
 * back from the object directory; every notification comes from the main pid
 * (NotifyAccess=main); a daemon started as root with --user has exactly the kept capabilities;
 * and the real systemd-socket-activate --seqpacket starts a daemon that serves.
 *
 * The daemon runs as the test's own uid (policies name it by number), so most of this needs no
 * root; the --user case skips itself without root. Not here: the units themselves
 * (tests/systemd/check-static.sh, tests/systemd/run-nspawn.sh) and access control
 * (test-broker). tests/helpers/harness.c is not used: it starts daemons without a manager.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "shmbroker.h"
#include "../helpers/testlib.h"

extern char **environ;

/* How long any wait lasts: a daemon to get ready or to stop, a notification to arrive. */
#define TIMEOUT_MS 10000

/* systemd's limits: at most 253 fds per message (SCM_MAX_FD), 4096 bytes of text. */
#define NOTIFY_FDS_MAX 253
#define NOTIFY_TEXT_MAX 4096

#define NOTES_MAX 8192
#define STORE_MAX 512

/* daemon/privs.h's PRIVS_KEEP_CAPS, as a mask. */
#define KEPT_CAPS ((UINT64_C(1) << CAP_CHOWN) | (UINT64_C(1) << CAP_FOWNER) | \
                   (UINT64_C(1) << CAP_DAC_OVERRIDE) | (UINT64_C(1) << CAP_LEASE))

/* ------------------------------------------------------------------------------------------
 * Small helpers
 */

static uint64_t now_usec(void)
{
        return tl_now_ns() / 1000;
}

/* Async-signal-safe: "PREFIX<decimal>" into @buf (for the fork child). */
static void fmt_pid(char *buf, size_t size, const char *prefix, pid_t pid)
{
        char digits[24];
        size_t n = 0, k = 0;
        unsigned long v = (unsigned long) pid;

        do {
                digits[n++] = (char) ('0' + v % 10);
                v /= 10;
        } while (v && n < sizeof(digits));
        while (*prefix && k + 1 < size)
                buf[k++] = *prefix++;
        while (n > 0 && k + 1 < size)
                buf[k++] = digits[--n];
        buf[k] = '\0';
}

/*
 * A listening SOCK_SEQPACKET socket at @path, as systemd makes for ListenSequentialPacket=.
 * Blocking, as systemd 252 and systemd-socket-activate pass it (seen in /proc/PID/fdinfo of a
 * socket-activated service on Debian 12): a daemon that loops on accept() until EAGAIN must
 * make it non-blocking itself, or it hangs in accept() after the first client.
 */
static int make_listener(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(closep) int fd = -1;

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        (void) unlink(path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        if (chmod(path, 0666) < 0)
                return -errno;
        if (listen(fd, SOMAXCONN) < 0)
                return -errno;
        return TAKE_FD(fd);
}

/* ------------------------------------------------------------------------------------------
 * The service manager
 */

struct note {
        char *text;             /* the datagram, NUL-terminated */
        pid_t sender;           /* from SCM_CREDENTIALS */
        uint64_t usec;          /* CLOCK_MONOTONIC when received */
        size_t n_fds;           /* fds that came with it */
};

struct stored_fd {
        char name[256];
        int fd;
};

struct mgr {
        char run_dir[32];               /* /tmp/shmb-sd.XXXXXX */
        char shm_dir[32];               /* /dev/shm/shmb-sd.XXXXXX */
        char socket_path[64];           /* run_dir/socket: what we listen on and pass */
        char unused_path[64];           /* run_dir/unused: given as --socket, must stay unused */
        char notify_path[64];           /* run_dir/notify */
        char policy_path[64];           /* run_dir/policy.conf */
        char log_path[64];              /* run_dir/daemon.log */
        char state_dir[64];             /* run_dir/state: --state-dir, kept across restarts */
        int listen_fds[2];              /* the listeners we pass, in order; -1 when unused */
        const char *listen_names[2];
        int notify_fd;
        pid_t pid;                      /* the running daemon, or -1 */
        pid_t last_pid;                 /* the daemon the notes are checked against */
        struct note notes[NOTES_MAX];
        size_t n_notes;
        size_t n_foreign;               /* notes not from the daemon's main pid */
        size_t n_stray_fds;             /* fds that came without FDSTORE=1 */
        size_t n_bad_names;             /* FDSTORE=1 with an FDNAME= systemd would refuse */
        struct stored_fd store[STORE_MAX];
        size_t n_store;
        size_t store_max;               /* FileDescriptorStoreMax= (0: STORE_MAX) */
        size_t n_dropped;               /* fds past it, dropped as systemd does */
        uid_t uid;
};

static void mgr_print_log(const struct mgr *m)
{
        _cleanup_(freep) char *log = tl_read_text(m->log_path);
        size_t i;

        fprintf(stderr, "---- shmbrokerd log (%s) ----\n%s---- notifications ----\n",
                m->log_path, log ? log : "(unreadable)\n");
        for (i = 0; i < m->n_notes; i++) {
                const char *p;

                fprintf(stderr, "[%zu pid %d fds %zu] ", i, (int) m->notes[i].sender,
                        m->notes[i].n_fds);
                for (p = m->notes[i].text; *p; p++)
                        fputc(*p == '\n' ? '|' : *p, stderr);
                fputc('\n', stderr);
        }
        fprintf(stderr, "---- end ----\n");
}

/* systemd's fdname_is_valid(): printable ASCII but ':', at most 255 bytes. */
static bool fdname_valid(const char *s)
{
        size_t n = 0;

        for (; *s; s++, n++)
                if (*s < ' ' || *s > '~' || *s == ':')
                        return false;
        return n > 0 && n <= 255;
}

/* The value of the first line of @text that starts with @key ("FDNAME="), or NULL. */
static const char *note_value(const char *text, const char *key, char *buf, size_t size)
{
        size_t klen = strlen(key);
        const char *p = text;

        while (p && *p) {
                const char *eol = strchr(p, '\n');
                size_t len = eol ? (size_t) (eol - p) : strlen(p);

                if (len >= klen && strncmp(p, key, klen) == 0) {
                        size_t vlen = len - klen;

                        if (vlen >= size)
                                vlen = size - 1;
                        memcpy(buf, p + klen, vlen);
                        buf[vlen] = '\0';
                        return buf;
                }
                p = eol ? eol + 1 : NULL;
        }
        return NULL;
}

/* Whether one line of @text is exactly @line. */
static bool note_has(const char *text, const char *line)
{
        size_t n = strlen(line);
        const char *p = text;

        while (p && *p) {
                const char *eol = strchr(p, '\n');
                size_t len = eol ? (size_t) (eol - p) : strlen(p);

                if (len == n && strncmp(p, line, n) == 0)
                        return true;
                p = eol ? eol + 1 : NULL;
        }
        return false;
}

static void store_remove(struct mgr *m, const char *name)
{
        size_t i = 0;

        while (i < m->n_store) {
                if (strcmp(m->store[i].name, name) == 0) {
                        safe_close(m->store[i].fd);
                        memmove(&m->store[i], &m->store[i + 1],
                                (m->n_store - i - 1) * sizeof(m->store[0]));
                        m->n_store--;
                } else
                        i++;
        }
}

static size_t store_count(const struct mgr *m, const char *name)
{
        size_t i, n = 0;

        for (i = 0; i < m->n_store; i++)
                if (strcmp(m->store[i].name, name) == 0)
                        n++;
        return n;
}

static size_t store_count_prefix(const struct mgr *m, const char *prefix)
{
        size_t i, n = 0;

        for (i = 0; i < m->n_store; i++)
                if (strncmp(m->store[i].name, prefix, strlen(prefix)) == 0)
                        n++;
        return n;
}

/* Does with one datagram what PID 1 does in service_notify_message() for the fd store. */
static void mgr_apply(struct mgr *m, const struct note *n, int *fds, size_t n_fds)
{
        char name[256];
        size_t i;

        if (note_has(n->text, "FDSTOREREMOVE=1") && note_value(n->text, "FDNAME=", name,
                                                                sizeof(name)))
                store_remove(m, name);

        if (!note_has(n->text, "FDSTORE=1")) {
                m->n_stray_fds += n_fds;
                for (i = 0; i < n_fds; i++)
                        safe_close(fds[i]);
                return;
        }
        if (!note_value(n->text, "FDNAME=", name, sizeof(name)))
                strcpy(name, "stored");
        if (!fdname_valid(name)) {
                m->n_bad_names++;
                for (i = 0; i < n_fds; i++)
                        safe_close(fds[i]);
                return;
        }
        for (i = 0; i < n_fds; i++) {
                if (m->n_store >= (m->store_max ? m->store_max : STORE_MAX)) {
                        m->n_dropped++;
                        safe_close(fds[i]);
                        continue;
                }
                snprintf(m->store[m->n_store].name, sizeof(m->store[0].name), "%s", name);
                m->store[m->n_store].fd = fds[i];
                m->n_store++;
        }
}

/* Receives every datagram waiting, or waits up to @timeout_ms for one. Return: count, -errno. */
static int mgr_pump(struct mgr *m, int timeout_ms)
{
        int got = 0;

        for (;;) {
                char text[NOTIFY_TEXT_MAX + 1];
                union {
                        struct cmsghdr h;
                        uint8_t buf[CMSG_SPACE(sizeof(struct ucred)) +
                                    CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
                } control;
                struct iovec iov = { .iov_base = text, .iov_len = sizeof(text) - 1 };
                struct msghdr mh = {
                        .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = &control, .msg_controllen = sizeof(control),
                };
                struct pollfd pfd = { .fd = m->notify_fd, .events = POLLIN };
                struct cmsghdr *c;
                int fds[NOTIFY_FDS_MAX];
                size_t n_fds = 0;
                struct note *n;
                ssize_t len;
                int r;

                r = poll(&pfd, 1, got > 0 ? 0 : timeout_ms);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (r == 0)
                        return got;
                len = recvmsg(m->notify_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
                if (len < 0) {
                        if (errno == EAGAIN || errno == EINTR)
                                continue;
                        return -errno;
                }
                text[len] = '\0';
                if (m->n_notes >= NOTES_MAX)
                        return -ENOBUFS;
                n = &m->notes[m->n_notes];
                *n = (struct note) { .sender = -1, .usec = now_usec() };
                for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                        if (c->cmsg_level != SOL_SOCKET)
                                continue;
                        if (c->cmsg_type == SCM_CREDENTIALS &&
                            c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
                                struct ucred uc;

                                memcpy(&uc, CMSG_DATA(c), sizeof(uc));
                                n->sender = uc.pid;
                        } else if (c->cmsg_type == SCM_RIGHTS) {
                                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

                                memcpy(fds + n_fds, CMSG_DATA(c), k * sizeof(int));
                                n_fds += k;
                        }
                }
                n->text = strdup(text);
                n->n_fds = n_fds;
                if (!n->text)
                        return -ENOMEM;
                if (n->sender != m->last_pid)
                        m->n_foreign++;
                m->n_notes++;
                mgr_apply(m, n, fds, n_fds);
                got++;
        }
}

/*
 * Waits for a datagram at index >= @from with the line @line ("READY=1"), receiving all the
 * while. Fails early when the daemon exits. Return: its index, or -errno.
 */
static int mgr_wait_line(struct mgr *m, size_t from, const char *line)
{
        uint64_t deadline = now_usec() + (uint64_t) TIMEOUT_MS * 1000;
        size_t i = from;

        for (;;) {
                int r;

                for (; i < m->n_notes; i++)
                        if (note_has(m->notes[i].text, line))
                                return (int) i;
                if (now_usec() >= deadline) {
                        fprintf(stderr, "no '%s' within %d ms\n", line, TIMEOUT_MS);
                        mgr_print_log(m);
                        return -ETIMEDOUT;
                }
                if (m->pid > 0) {
                        siginfo_t si = {};

                        if (waitid(P_PID, (id_t) m->pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
                            0 && si.si_pid != 0) {
                                (void) mgr_pump(m, 0);
                                for (; i < m->n_notes; i++)
                                        if (note_has(m->notes[i].text, line))
                                                return (int) i;
                                fprintf(stderr, "shmbrokerd exited (code %d status %d) "
                                        "before '%s'\n", si.si_code, si.si_status, line);
                                mgr_print_log(m);
                                return -ECHILD;
                        }
                }
                r = mgr_pump(m, 50);
                if (r < 0)
                        return r;
        }
}

static int mgr_init(struct mgr *m, const char *policy)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int one = 1, r;

        memset(m, 0, sizeof(*m));
        m->notify_fd = -1;
        m->pid = -1;
        m->last_pid = -1;
        m->listen_fds[0] = m->listen_fds[1] = -1;
        m->uid = geteuid();
        strcpy(m->run_dir, "/tmp/shmb-sd.XXXXXX");
        strcpy(m->shm_dir, "/dev/shm/shmb-sd.XXXXXX");
        if (!mkdtemp(m->run_dir))
                return -errno;
        if (!mkdtemp(m->shm_dir)) {
                m->shm_dir[0] = '\0';
                return -errno;
        }
        if (chmod(m->run_dir, 0755) < 0 || chmod(m->shm_dir, 0755) < 0)
                return -errno;
        snprintf(m->socket_path, sizeof(m->socket_path), "%s/socket", m->run_dir);
        snprintf(m->unused_path, sizeof(m->unused_path), "%s/unused", m->run_dir);
        snprintf(m->notify_path, sizeof(m->notify_path), "%s/notify", m->run_dir);
        snprintf(m->policy_path, sizeof(m->policy_path), "%s/policy.conf", m->run_dir);
        snprintf(m->log_path, sizeof(m->log_path), "%s/daemon.log", m->run_dir);
        snprintf(m->state_dir, sizeof(m->state_dir), "%s/state", m->run_dir);

        r = tl_write_text(m->policy_path, policy);
        if (r < 0)
                return r;

        m->listen_fds[0] = make_listener(m->socket_path);
        if (m->listen_fds[0] < 0)
                return m->listen_fds[0];
        m->listen_names[0] = "shmbrokerd.socket";

        m->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (m->notify_fd < 0)
                return -errno;
        strcpy(sa.sun_path, m->notify_path);
        if (bind(m->notify_fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        /* As PID 1: who sent it comes from the kernel (NotifyAccess=main is judged on it). */
        if (setsockopt(m->notify_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
                return -errno;
        return 0;
}

struct start_opts {
        const char *const *extra_args;  /* appended to the command line; NULL-terminated */
        const char *watchdog_usec;      /* WATCHDOG_USEC=, or NULL */
        const char *fdstore;            /* FDSTORE= (systemd 254+), or NULL (252) */
        bool no_store;                  /* do not pass the fd store back */
};

/*
 * Starts $SHMBROKERD as a service manager would: the listeners and then the stored fds from
 * fd 3 on, LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES, NOTIFY_SOCKET, and WATCHDOG_USEC/WATCHDOG_PID
 * if asked. Does not wait for READY=1.
 */
static int mgr_start(struct mgr *m, const struct start_opts *o)
{
        const char *bin = getenv("SHMBROKERD");
        _cleanup_(freep) char **envp = NULL;
        _cleanup_(freep) const char **argv = NULL;
        _cleanup_(freep) char *names = NULL;
        _cleanup_(freep) int *src = NULL;
        char env_fds[32], env_notify[96], env_wd[64], env_store[32];
        char env_pid[32] = "", env_wd_pid[32] = "";
        size_t n_env = 0, n_src = 0, n_extra = 0, names_len = 0, i, k = 0;
        _cleanup_(closep) int log_fd = -1, null_fd = -1;
        pid_t pid;

        if (!bin || !bin[0]) {
                fprintf(stderr, "$SHMBROKERD is not set: run this test with 'make check'\n");
                return -ENOENT;
        }
        while (environ[n_env])
                n_env++;
        envp = calloc(n_env + 8, sizeof(char *));
        src = calloc(2 + STORE_MAX, sizeof(int));
        names = calloc(2 + STORE_MAX, 257);
        while (o && o->extra_args && o->extra_args[n_extra])
                n_extra++;
        argv = calloc(n_extra + 12, sizeof(char *));
        if (!envp || !src || !names || !argv)
                return -ENOMEM;

        for (i = 0; i < ELEMENTSOF(m->listen_fds); i++) {
                if (m->listen_fds[i] < 0)
                        continue;
                src[n_src++] = m->listen_fds[i];
                names_len += (size_t) sprintf(names + names_len, "%s%s", names_len ? ":" : "",
                                              m->listen_names[i]);
        }
        for (i = 0; !(o && o->no_store) && i < m->n_store; i++) {
                src[n_src++] = m->store[i].fd;
                names_len += (size_t) sprintf(names + names_len, ":%s", m->store[i].name);
        }

        /* The environment: ours, less anything a manager sets, plus what this one sets. */
        for (i = 0; i < n_env; i++) {
                static const char *const drop[] = { "LISTEN_FDS=", "LISTEN_PID=",
                                                    "LISTEN_FDNAMES=", "NOTIFY_SOCKET=",
                                                    "WATCHDOG_USEC=", "WATCHDOG_PID=",
                                                    "FDSTORE=" };
                bool keep = true;
                size_t d;

                for (d = 0; d < ELEMENTSOF(drop); d++)
                        if (strncmp(environ[i], drop[d], strlen(drop[d])) == 0)
                                keep = false;
                if (keep)
                        envp[k++] = environ[i];
        }
        snprintf(env_fds, sizeof(env_fds), "LISTEN_FDS=%zu", n_src);
        snprintf(env_notify, sizeof(env_notify), "NOTIFY_SOCKET=%s", m->notify_path);
        envp[k++] = env_fds;
        envp[k++] = env_notify;
        envp[k++] = env_pid;            /* LISTEN_PID=, filled in by the child */
        {
                /* LISTEN_FDNAMES= in front of the names, built in place. */
                static char env_names[32 + (2 + STORE_MAX) * 257];

                snprintf(env_names, sizeof(env_names), "LISTEN_FDNAMES=%s", names);
                envp[k++] = env_names;
        }
        if (o && o->watchdog_usec) {
                snprintf(env_wd, sizeof(env_wd), "WATCHDOG_USEC=%s", o->watchdog_usec);
                envp[k++] = env_wd;
                envp[k++] = env_wd_pid;
        }
        if (o && o->fdstore) {
                snprintf(env_store, sizeof(env_store), "FDSTORE=%s", o->fdstore);
                envp[k++] = env_store;
        }
        envp[k] = NULL;

        k = 0;
        argv[k++] = bin;
        argv[k++] = "--socket";
        argv[k++] = m->unused_path;
        argv[k++] = "--policy";
        argv[k++] = m->policy_path;
        argv[k++] = "--shm-dir";
        argv[k++] = m->shm_dir;
        /* SHMB_TEST_NO_STATE_DIR: for a daemon from before the registry, which refuses the
         * option (to show what a regression test catches; see test-registry.c). */
        if (!getenv("SHMB_TEST_NO_STATE_DIR")) {
                argv[k++] = "--state-dir";
                argv[k++] = m->state_dir;
        }
        for (i = 0; i < n_extra; i++)
                argv[k++] = o->extra_args[i];
        argv[k] = NULL;

        log_fd = open(m->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (log_fd < 0 || null_fd < 0)
                return -errno;

        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                /* Async-signal-safe calls only from here on. */
                static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS,
                                            SIGPIPE, SIGALRM, SIGTERM, SIGCHLD, SIGHUP };
                int tmp[2 + STORE_MAX];
                int base = 3 + (int) n_src + 16;
                int log_tmp, null_tmp;
                sigset_t none;

                for (i = 0; i < ELEMENTSOF(sigs); i++)
                        (void) signal(sigs[i], SIG_DFL);
                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);

                /* Move every fd out of the way first, then into place from 3 on. The log and
                 * /dev/null too: with a few fds in the store, their numbers are among the
                 * places (a daemon whose stderr was a stored memfd logged nothing). */
                for (i = 0; i < n_src; i++) {
                        tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, base);
                        if (tmp[i] < 0)
                                _exit(126);
                }
                log_tmp = fcntl(log_fd, F_DUPFD_CLOEXEC, base);
                null_tmp = fcntl(null_fd, F_DUPFD_CLOEXEC, base);
                if (log_tmp < 0 || null_tmp < 0)
                        _exit(126);
                for (i = 0; i < n_src; i++)
                        if (dup2(tmp[i], 3 + (int) i) < 0)     /* dup2: no O_CLOEXEC */
                                _exit(126);
                if (dup2(null_tmp, STDIN_FILENO) < 0 || dup2(log_tmp, STDOUT_FILENO) < 0 ||
                    dup2(log_tmp, STDERR_FILENO) < 0)
                        _exit(126);

                /* The manager sets LISTEN_PID after fork, to the pid that will exec. */
                fmt_pid(env_pid, sizeof(env_pid), "LISTEN_PID=", getpid());
                fmt_pid(env_wd_pid, sizeof(env_wd_pid), "WATCHDOG_PID=", getpid());
                execve(bin, (char *const *) argv, envp);
                _exit(127);
        }
        m->pid = pid;
        m->last_pid = pid;
        return 0;
}

/* Starts and waits for READY=1. Return: 0, or -errno (the log has been printed). */
static int mgr_start_ready(struct mgr *m, const struct start_opts *o)
{
        size_t from = m->n_notes;
        int r;

        r = mgr_start(m, o);
        if (r < 0)
                return r;
        r = mgr_wait_line(m, from, "READY=1");
        return r < 0 ? r : 0;
}

/*
 * Sends @sig and reaps the daemon, waiting at most TIMEOUT_MS (then SIGKILL), and receives the
 * notifications still queued. Return: the wait status, or -ETIMEDOUT, or -errno.
 */
static int mgr_kill_wait(struct mgr *m, int sig)
{
        uint64_t deadline = now_usec() + (uint64_t) TIMEOUT_MS * 1000;
        int status = 0, r = -ETIMEDOUT;

        if (m->pid <= 0)
                return -ESRCH;
        (void) kill(m->pid, sig);
        while (now_usec() < deadline) {
                pid_t w = waitpid(m->pid, &status, WNOHANG);

                if (w == m->pid) {
                        r = status;
                        break;
                }
                if (w < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
                (void) mgr_pump(m, 10);
        }
        if (r == -ETIMEDOUT) {
                fprintf(stderr, "shmbrokerd did not exit within %d ms, killed\n", TIMEOUT_MS);
                (void) kill(m->pid, SIGKILL);
                (void) waitpid(m->pid, &status, 0);
                mgr_print_log(m);
        }
        m->pid = -1;
        (void) mgr_pump(m, 0);
        return r;
}

static void mgr_done(struct mgr *m)
{
        size_t i;

        if (m->pid > 0)
                (void) mgr_kill_wait(m, SIGKILL);
        for (i = 0; i < m->n_store; i++)
                safe_close(m->store[i].fd);
        for (i = 0; i < m->n_notes; i++)
                free(m->notes[i].text);
        for (i = 0; i < ELEMENTSOF(m->listen_fds); i++)
                safe_close(m->listen_fds[i]);
        safe_close(m->notify_fd);
        (void) tl_rm_rf(m->shm_dir);
        (void) tl_rm_rf(m->run_dir);
}

/* ------------------------------------------------------------------------------------------
 * Clients (in this process, as the test's uid)
 */

/* Connects with a short timeout: a stuck daemon fails a test in seconds, not minutes. */
static int client_connect(const char *sock, struct shmb_client **ret)
{
        int r;

        r = shmb_connect(sock, ret);
        if (r < 0)
                return r;
        r = shmb_client_set_timeout(*ret, 5000);
        if (r < 0)
                *ret = shmb_client_free(*ret);
        return r;
}

/* Creates @name and fills it with @len bytes of @pattern. Return: 0 or -errno. */
static int client_create(const char *sock, const char *name, size_t size, const void *data,
                         size_t len)
{
        struct shmb_client *c = NULL;
        void *addr = NULL;
        size_t map_size = 0;
        int fd = -1, r;

        r = client_connect(sock, &c);
        if (r < 0)
                return r;
        r = shmb_create(c, name, size, SHMB_ACCESS_RDWR, &fd, NULL);
        shmb_client_free(c);
        if (r < 0)
                return r;
        r = shmb_map(fd, SHMB_ACCESS_RDWR, &addr, &map_size);
        safe_close(fd);
        if (r < 0)
                return r;
        memcpy(addr, data, len < map_size ? len : map_size);
        (void) munmap(addr, map_size);
        return 0;
}

/* Opens @name and compares its first @len bytes with @data. Return: 0, -EBADE, or -errno. */
static int client_check(const char *sock, const char *name, const void *data, size_t len)
{
        struct shmb_client *c = NULL;
        struct shmb_fd_info info;
        void *addr = NULL;
        size_t map_size = 0;
        int fd = -1, r;

        r = client_connect(sock, &c);
        if (r < 0)
                return r;
        r = shmb_open(c, name, SHMB_ACCESS_ANY, &fd, &info);
        shmb_client_free(c);
        if (r < 0)
                return r;
        r = shmb_map(fd, (int) info.access, &addr, &map_size);
        safe_close(fd);
        if (r < 0)
                return r;
        r = map_size >= len && memcmp(addr, data, len) == 0 ? 0 : -EBADE;
        (void) munmap(addr, map_size);
        return r;
}

static int client_unlink(const char *sock, const char *name)
{
        struct shmb_client *c = NULL;
        int r;

        r = client_connect(sock, &c);
        if (r < 0)
                return r;
        r = shmb_unlink(c, name);
        shmb_client_free(c);
        return r;
}

static void fill_pattern(uint8_t *buf, size_t len, unsigned seed)
{
        size_t i;

        for (i = 0; i < len; i++)
                buf[i] = (uint8_t) ((i * 131 + seed * 7 + (i >> 8)) & 0xff);
}

/* ------------------------------------------------------------------------------------------
 * Policies: the test's uid may do everything with s-* (shm) and m-* (memfd).
 */

static char *policy_text(const char *extra)
{
        char *p = NULL;
        uid_t u = geteuid();

        if (asprintf(&p,
                     "[Segment shm]\n"
                     "Names=s-*\n"
                     "Create=%u\n"
                     "ReadWrite=%u\n"
                     "Mode=0600\n"
                     "MaxSize=1M\n"
                     "Backend=shm\n"
                     "\n"
                     "[Segment mem]\n"
                     "Names=m-*\n"
                     "Create=%u\n"
                     "ReadWrite=%u\n"
                     "Mode=0600\n"
                     "MaxSize=1M\n"
                     "Backend=memfd\n"
                     "%s",
                     (unsigned) u, (unsigned) u, (unsigned) u, (unsigned) u,
                     extra ? extra : "") < 0)
                return NULL;
        return p;
}

static char *policy_rule(const char *id, const char *glob)
{
        char *p = NULL;
        uid_t u = geteuid();

        if (asprintf(&p, "\n[Segment %s]\nNames=%s\nCreate=%u\nReadWrite=%u\nMode=0600\n"
                     "MaxSize=1M\n", id, glob, (unsigned) u, (unsigned) u) < 0)
                return NULL;
        return p;
}

static int setup(void **state)
{
        _cleanup_(freep) char *policy = policy_text(NULL);
        struct mgr *m = calloc(1, sizeof(*m));

        if (!m || !policy) {
                free(m);
                return -1;
        }
        if (mgr_init(m, policy) < 0) {
                fprintf(stderr, "cannot set up the service manager: %m\n");
                mgr_done(m);
                free(m);
                return -1;
        }
        *state = m;
        return 0;
}

static int teardown(void **state)
{
        struct mgr *m = *state;
        size_t foreign = m->n_foreign, stray = m->n_stray_fds, bad = m->n_bad_names;

        mgr_done(m);
        free(m);
        /* Checked for every test: what NotifyAccess=main and PID 1 would have refused. */
        if (foreign || stray || bad) {
                fprintf(stderr, "notifications from other pids: %zu, fds without FDSTORE=1: "
                        "%zu, invalid FDNAME=: %zu\n", foreign, stray, bad);
                return -1;
        }
        return 0;
}

/* ------------------------------------------------------------------------------------------
 * Tests
 */

static void test_ready_and_serve(void **state)
{
        struct mgr *m = *state;
        uint8_t data[4096];
        struct stat st;
        int idx;

        assert_int_equal(mgr_start_ready(m, NULL), 0);
        idx = mgr_wait_line(m, 0, "READY=1");
        assert_true(idx >= 0);
        assert_int_equal(m->notes[idx].sender, m->last_pid);

        fill_pattern(data, sizeof(data), 1);
        assert_int_equal(client_create(m->socket_path, "s-ready", sizeof(data), data,
                                       sizeof(data)), 0);
        assert_int_equal(client_check(m->socket_path, "s-ready", data, sizeof(data)), 0);
        /* Sockets came from the manager: --socket is ignored, nothing was bound there. */
        assert_int_equal(lstat(m->unused_path, &st), -1);
        assert_int_equal(errno, ENOENT);

        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

/* Two passed listeners, the second with a name that is not shmb-*: both serve. */
static void test_two_listeners(void **state)
{
        struct mgr *m = *state;
        char second[PATH_MAX];
        uint8_t data[64];

        snprintf(second, sizeof(second), "%s/second", m->run_dir);
        m->listen_fds[1] = make_listener(second);
        assert_true(m->listen_fds[1] >= 0);
        m->listen_names[1] = "shmbrokerd-extra.socket";

        assert_int_equal(mgr_start_ready(m, NULL), 0);
        fill_pattern(data, sizeof(data), 2);
        assert_int_equal(client_create(m->socket_path, "s-one", 4096, data, sizeof(data)), 0);
        assert_int_equal(client_check(second, "s-one", data, sizeof(data)), 0);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

static void test_reload(void **state)
{
        struct mgr *m = *state;
        _cleanup_(freep) char *rule = policy_rule("extra", "x-*");
        _cleanup_(freep) char *policy = policy_text(rule);
        char value[64];
        uint64_t before, after, mono;
        uint8_t data[64];
        int rel, rdy;
        size_t from;

        assert_non_null(policy);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        fill_pattern(data, sizeof(data), 3);
        assert_int_equal(client_create(m->socket_path, "x-before", 4096, data, sizeof(data)),
                         -EACCES);

        assert_int_equal(tl_write_text(m->policy_path, policy), 0);
        from = m->n_notes;
        before = now_usec();
        assert_int_equal(kill(m->pid, SIGHUP), 0);
        rel = mgr_wait_line(m, from, "RELOADING=1");
        assert_true(rel >= 0);
        after = now_usec();
        /* RELOADING=1 carries the CLOCK_MONOTONIC time of the reload, as systemd 253+ wants. */
        assert_non_null(note_value(m->notes[rel].text, "MONOTONIC_USEC=", value,
                                   sizeof(value)));
        mono = strtoull(value, NULL, 10);
        assert_true(mono >= before && mono <= after);
        rdy = mgr_wait_line(m, (size_t) rel + 1, "READY=1");
        assert_true(rdy > rel);

        assert_int_equal(client_create(m->socket_path, "x-after", 4096, data, sizeof(data)),
                         0);
        assert_int_equal(client_check(m->socket_path, "x-after", data, sizeof(data)), 0);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

static void test_reload_bad_policy(void **state)
{
        struct mgr *m = *state;
        _cleanup_(freep) char *rule = policy_rule("later", "y-*");
        _cleanup_(freep) char *bad = NULL;
        char status[NOTIFY_TEXT_MAX];
        uint8_t data[64];
        bool named = false;
        int rel, rdy, i;
        size_t from;

        assert_true(asprintf(&bad, "%s\n[Segment broken]\nNames=z-*\nBogusKey=1\n",
                             rule) > 0);
        {
                _cleanup_(freep) char *policy = policy_text(bad);

                assert_non_null(policy);
                assert_int_equal(mgr_start_ready(m, NULL), 0);
                assert_int_equal(tl_write_text(m->policy_path, policy), 0);
        }
        from = m->n_notes;
        assert_int_equal(kill(m->pid, SIGHUP), 0);
        rel = mgr_wait_line(m, from, "RELOADING=1");
        assert_true(rel >= 0);
        rdy = mgr_wait_line(m, (size_t) rel + 1, "READY=1");
        assert_true(rdy > rel);
        /* The status between RELOADING=1 and READY=1 (inclusive) says which file is wrong. */
        for (i = rel; i <= rdy; i++)
                if (note_value(m->notes[i].text, "STATUS=", status, sizeof(status)) &&
                    strstr(status, "policy.conf"))
                        named = true;
        if (!named)
                mgr_print_log(m);
        assert_true(named);
        assert_true(kill(m->pid, 0) == 0);

        /* The old policy still serves, and nothing of the refused one was taken. */
        fill_pattern(data, sizeof(data), 4);
        assert_int_equal(client_create(m->socket_path, "s-still", 4096, data, sizeof(data)),
                         0);
        assert_int_equal(client_check(m->socket_path, "s-still", data, sizeof(data)), 0);
        assert_int_equal(client_create(m->socket_path, "y-new", 4096, data, sizeof(data)),
                         -EACCES);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

static void test_sigterm(void **state)
{
        struct mgr *m = *state;
        size_t from;
        int status, i;
        bool stopping = false;

        assert_int_equal(mgr_start_ready(m, NULL), 0);
        from = m->n_notes;
        status = mgr_kill_wait(m, SIGTERM);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        for (i = (int) from; i < (int) m->n_notes; i++)
                if (note_has(m->notes[i].text, "STOPPING=1"))
                        stopping = true;
        assert_true(stopping);
}

static void test_watchdog(void **state)
{
        static const struct start_opts o = { .watchdog_usec = "200000" };
        struct mgr *m = *state;
        uint64_t start, last = 0, max_gap = 0;
        size_t from, i, pings = 0;

        assert_int_equal(mgr_start_ready(m, &o), 0);
        from = m->n_notes;
        start = now_usec();
        while (now_usec() - start < 1000000)
                (void) mgr_pump(m, 50);
        for (i = from; i < m->n_notes; i++) {
                if (!note_has(m->notes[i].text, "WATCHDOG=1"))
                        continue;
                pings++;
                if (last && m->notes[i].usec - last > max_gap)
                        max_gap = m->notes[i].usec - last;
                last = m->notes[i].usec;
        }
        if (pings < 4)
                mgr_print_log(m);
        /* sd_watchdog_enabled() users ping at half the interval: about 10 in a second. */
        assert_true(pings >= 4);
        assert_true(max_gap < 200000);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

/* The names in the store that start with shmb-obj-, sorted into @names. */
static size_t store_objects(const struct mgr *m, char names[][256], size_t max)
{
        size_t i, n = 0;

        for (i = 0; i < m->n_store && n < max; i++)
                if (strncmp(m->store[i].name, "shmb-obj-", 9) == 0)
                        strcpy(names[n++], m->store[i].name);
        return n;
}

/*
 * Waits until the store holds exactly @n_obj objects (shmb-obj-N, the memfds themselves: what
 * else the registry knows of them is in the daemon's state directory) and nothing else of the
 * daemon's but its last good policy (shmb-policy-N).
 */
static bool wait_store(struct mgr *m, size_t n_obj)
{
        uint64_t deadline = now_usec() + (uint64_t) TIMEOUT_MS * 1000;

        for (;;) {
                size_t n_policy = store_count_prefix(m, "shmb-policy-");

                if (store_count_prefix(m, "shmb-obj-") == n_obj && n_policy <= 1 &&
                    store_count_prefix(m, "shmb-") == n_obj + n_policy)
                        return true;
                if (now_usec() >= deadline) {
                        size_t i;

                        fprintf(stderr, "fd store: want %zu objects and a policy, "
                                "have:\n", n_obj);
                        for (i = 0; i < m->n_store; i++)
                                fprintf(stderr, "  %s (fd %d)\n", m->store[i].name,
                                        m->store[i].fd);
                        mgr_print_log(m);
                        return false;
                }
                (void) mgr_pump(m, 50);
        }
}

static bool name_in(const char *name, char names[][256], size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (strcmp(names[i], name) == 0)
                        return true;
        return false;
}

static void test_fdstore_memfd(void **state)
{
        struct mgr *m = *state;
        char before[4][256], after[4][256], removed[256] = "", link[PATH_MAX], proc[64];
        uint8_t a[4096], b[4096], c[4096];
        size_t n_before, n_after, i;
        bool remove_seen = false;
        ssize_t len;
        int seals, fd = -1;
        struct stat st;

        fill_pattern(a, sizeof(a), 5);
        fill_pattern(b, sizeof(b), 6);
        fill_pattern(c, sizeof(c), 7);
        assert_int_equal(mgr_start_ready(m, NULL), 0);

        assert_int_equal(client_create(m->socket_path, "m-keep", sizeof(a), a, sizeof(a)), 0);
        assert_true(wait_store(m, 1));
        n_before = store_objects(m, before, 4);
        assert_int_equal(n_before, 1);

        assert_int_equal(client_create(m->socket_path, "m-gone", sizeof(b), b, sizeof(b)), 0);
        assert_true(wait_store(m, 2));
        n_after = store_objects(m, after, 4);
        for (i = 0; i < n_after; i++)
                if (!name_in(after[i], before, n_before))
                        strcpy(removed, after[i]);
        assert_string_not_equal(removed, "");

        /* Unlink: FDSTOREREMOVE=1 for exactly that object's name. */
        {
                size_t from = m->n_notes, k;
                char name[256];

                assert_int_equal(client_unlink(m->socket_path, "m-gone"), 0);
                assert_true(wait_store(m, 1));
                for (k = from; k < m->n_notes; k++)
                        if (note_has(m->notes[k].text, "FDSTOREREMOVE=1") &&
                            note_value(m->notes[k].text, "FDNAME=", name, sizeof(name)) &&
                            strcmp(name, removed) == 0)
                                remove_seen = true;
                assert_true(remove_seen);
        }
        assert_int_equal(store_count(m, before[0]), 1);

        /* What the store holds for m-keep is the sealed memfd itself, with its bytes. */
        for (i = 0; i < m->n_store; i++)
                if (strcmp(m->store[i].name, before[0]) == 0)
                        fd = m->store[i].fd;
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        len = readlink(proc, link, sizeof(link) - 1);
        assert_true(len > 0);
        link[len] = '\0';
        assert_true(strncmp(link, "/memfd:", 7) == 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_size, (off_t) sizeof(a));
        seals = fcntl(fd, F_GET_SEALS);
        assert_true(seals >= 0);
        assert_true((seals & (F_SEAL_SHRINK | F_SEAL_GROW)) == (F_SEAL_SHRINK | F_SEAL_GROW));
        {
                uint8_t got[sizeof(a)];

                assert_int_equal(pread(fd, got, sizeof(got), 0), (ssize_t) sizeof(got));
                assert_memory_equal(got, a, sizeof(a));
        }

        /* Restart: stop cleanly, start with the store passed back after the socket. */
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
        assert_int_equal(store_count(m, before[0]), 1);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(client_check(m->socket_path, "m-keep", a, sizeof(a)), 0);
        assert_int_equal(client_check(m->socket_path, "m-gone", b, sizeof(b)), -ENOENT);

        /* A new object after the restart gets a name of its own. */
        assert_int_equal(client_create(m->socket_path, "m-new", sizeof(c), c, sizeof(c)), 0);
        assert_true(wait_store(m, 2));
        n_after = store_objects(m, after, 4);
        assert_int_equal(n_after, 2);
        assert_string_not_equal(after[0], after[1]);

        /* A crash loses nothing either: PID 1 keeps the store when the main process dies. */
        {
                int status = mgr_kill_wait(m, SIGKILL);

                assert_true(WIFSIGNALED(status));
        }
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(client_check(m->socket_path, "m-keep", a, sizeof(a)), 0);
        assert_int_equal(client_check(m->socket_path, "m-new", c, sizeof(c)), 0);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

static void test_fdstore_shm(void **state)
{
        struct mgr *m = *state;
        uint8_t a[8192];
        char path[PATH_MAX + 16];
        struct stat st1, st2;

        fill_pattern(a, sizeof(a), 8);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(client_create(m->socket_path, "s-keep", sizeof(a), a, sizeof(a)), 0);
        snprintf(path, sizeof(path), "%s/s-keep", m->shm_dir);
        assert_int_equal(stat(path, &st1), 0);

        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(client_check(m->socket_path, "s-keep", a, sizeof(a)), 0);
        assert_int_equal(stat(path, &st2), 0);
        assert_int_equal(st1.st_ino, st2.st_ino);
        assert_int_equal(st1.st_mode, st2.st_mode);
        assert_int_equal(st1.st_uid, st2.st_uid);

        /* And after a crash. */
        {
                int status = mgr_kill_wait(m, SIGKILL);

                assert_true(WIFSIGNALED(status));
        }
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(client_check(m->socket_path, "s-keep", a, sizeof(a)), 0);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

/* "Name:\tv1\tv2..." of /proc/.../status into @buf; NULL if missing. */
static const char *status_field(const char *status, const char *name, char *buf, size_t size)
{
        char key[64];

        snprintf(key, sizeof(key), "\n%s:", name);
        {
                const char *p = strstr(status, key);
                const char *eol;
                size_t len;

                if (!p)
                        return NULL;
                p += strlen(key);
                while (*p == '\t' || *p == ' ')
                        p++;
                eol = strchr(p, '\n');
                len = eol ? (size_t) (eol - p) : strlen(p);
                if (len >= size)
                        len = size - 1;
                memcpy(buf, p, len);
                buf[len] = '\0';
                return buf;
        }
}

static void check_caps_status(const char *path, uid_t uid, gid_t gid)
{
        _cleanup_(freep) char *status = tl_read_text(path);
        char v[256], want[256];
        static const char *const full_sets[] = { "CapPrm", "CapEff", "CapBnd" };
        static const char *const empty_sets[] = { "CapInh", "CapAmb" };
        size_t i;

        assert_non_null(status);
        for (i = 0; i < ELEMENTSOF(full_sets); i++) {
                assert_non_null(status_field(status, full_sets[i], v, sizeof(v)));
                if (strtoull(v, NULL, 16) != KEPT_CAPS)
                        fprintf(stderr, "%s: %s is %s, want %016" PRIx64 "\n", path,
                                full_sets[i], v, KEPT_CAPS);
                assert_true(strtoull(v, NULL, 16) == KEPT_CAPS);
        }
        for (i = 0; i < ELEMENTSOF(empty_sets); i++) {
                assert_non_null(status_field(status, empty_sets[i], v, sizeof(v)));
                if (strtoull(v, NULL, 16) != 0)
                        fprintf(stderr, "%s: %s is %s, want 0\n", path, empty_sets[i], v);
                assert_true(strtoull(v, NULL, 16) == 0);
        }
        assert_non_null(status_field(status, "NoNewPrivs", v, sizeof(v)));
        assert_string_equal(v, "1");
        snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned) uid, (unsigned) uid,
                 (unsigned) uid, (unsigned) uid);
        assert_non_null(status_field(status, "Uid", v, sizeof(v)));
        assert_string_equal(v, want);
        snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", (unsigned) gid, (unsigned) gid,
                 (unsigned) gid, (unsigned) gid);
        assert_non_null(status_field(status, "Gid", v, sizeof(v)));
        assert_string_equal(v, want);
        /* No supplementary group but, at most, the user's own primary group (never 0). */
        assert_non_null(status_field(status, "Groups", v, sizeof(v)));
        snprintf(want, sizeof(want), "%u", (unsigned) gid);
        while (strlen(v) > 0 && v[strlen(v) - 1] == ' ')
                v[strlen(v) - 1] = '\0';
        if (strcmp(v, "") != 0 && strcmp(v, want) != 0)
                fprintf(stderr, "%s: Groups: '%s', want none or '%s'\n", path, v, want);
        assert_true(strcmp(v, "") == 0 || strcmp(v, want) == 0);
}

static void test_user_capabilities(void **state)
{
        static const char *const args[] = { "--user", "nobody", NULL };
        static const struct start_opts o = { .extra_args = args };
        struct mgr *m = *state;
        char path[64], task_dir[64];
        uint8_t data[64];
        struct dirent *de;
        DIR *d;
        size_t n_tasks = 0;

        if (geteuid() != 0) {
                fprintf(stderr, "needs root to start the daemon as root\n");
                skip();
        }
        /* The daemon will run as nobody: it must reach the object directory's files. */
        assert_int_equal(mgr_start_ready(m, &o), 0);

        snprintf(path, sizeof(path), "/proc/%d/status", (int) m->pid);
        check_caps_status(path, 65534, 65534);
        /* Every thread, not only the main one. */
        snprintf(task_dir, sizeof(task_dir), "/proc/%d/task", (int) m->pid);
        d = opendir(task_dir);
        assert_non_null(d);
        while ((de = readdir(d))) {
                char tpath[PATH_MAX];

                if (de->d_name[0] == '.')
                        continue;
                snprintf(tpath, sizeof(tpath), "%s/%s/status", task_dir, de->d_name);
                check_caps_status(tpath, 65534, 65534);
                n_tasks++;
        }
        (void) closedir(d);
        assert_true(n_tasks >= 1);

        /* And it still brokers: fchown, ACL and the fd come from the kept capabilities. */
        fill_pattern(data, sizeof(data), 9);
        assert_int_equal(client_create(m->socket_path, "s-caps", 4096, data, sizeof(data)),
                         0);
        assert_int_equal(client_check(m->socket_path, "s-caps", data, sizeof(data)), 0);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

/* The real thing: systemd-socket-activate --seqpacket -l PATH shmbrokerd ... */
static const char *find_socket_activate(void)
{
        static const char *const paths[] = { "/usr/bin/systemd-socket-activate",
                                             "/bin/systemd-socket-activate",
                                             "/usr/local/bin/systemd-socket-activate" };
        size_t i;

        for (i = 0; i < ELEMENTSOF(paths); i++)
                if (access(paths[i], X_OK) == 0)
                        return paths[i];
        return NULL;
}

static void test_systemd_socket_activate(void **state)
{
        struct mgr *m = *state;
        const char *sa = find_socket_activate();
        const char *bin = getenv("SHMBROKERD");
        char path[PATH_MAX];
        uint8_t data[64];
        uint64_t deadline;
        int status = 0, r = -1;
        pid_t pid;

        if (!sa) {
                fprintf(stderr, "systemd-socket-activate not found (Debian: package systemd)\n");
                skip();
        }
        assert_non_null(bin);
        snprintf(path, sizeof(path), "%s/activated", m->run_dir);

        fflush(NULL);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                int log_fd = open(m->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                sigset_t none;

                (void) signal(SIGTERM, SIG_DFL);
                (void) signal(SIGPIPE, SIG_DFL);
                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);
                if (log_fd < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
                    dup2(log_fd, STDERR_FILENO) < 0)
                        _exit(126);
                /* Not under this test's manager: no notify socket, no inherited sockets. */
                (void) unsetenv("NOTIFY_SOCKET");
                (void) unsetenv("LISTEN_FDS");
                (void) unsetenv("LISTEN_PID");
                (void) unsetenv("LISTEN_FDNAMES");
                execl(sa, sa, "--seqpacket", "-l", path, bin, "--policy", m->policy_path,
                      "--shm-dir", m->shm_dir, "--state-dir", m->state_dir, "--socket",
                      m->unused_path, (char *) NULL);
                _exit(127);
        }
        m->pid = pid;
        m->last_pid = pid;

        /* It binds first and execs the daemon; a client may have to wait in the backlog. */
        fill_pattern(data, sizeof(data), 10);
        deadline = now_usec() + (uint64_t) TIMEOUT_MS * 1000;
        while (now_usec() < deadline) {
                r = client_create(path, "s-activated", 4096, data, sizeof(data));
                if (r != -ENOENT && r != -ECONNREFUSED)
                        break;
                tl_sleep_ms(20);
        }
        if (r != 0)
                mgr_print_log(m);
        assert_int_equal(r, 0);
        assert_int_equal(client_check(path, "s-activated", data, sizeof(data)), 0);

        status = mgr_kill_wait(m, SIGTERM);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* ------------------------------------------------------------------------------------------
 * Issue 8, findings 8 and 9: restarts lose nothing, whatever the policy on disk says
 */

/* Waits for the daemon to exit by itself and reaps it. Return: the wait status, or -errno. */
static int mgr_wait_exit(struct mgr *m)
{
        uint64_t deadline = now_usec() + (uint64_t) TIMEOUT_MS * 1000;
        int status = 0;

        while (now_usec() < deadline) {
                pid_t w = waitpid(m->pid, &status, WNOHANG);

                if (w == m->pid) {
                        m->pid = -1;
                        (void) mgr_pump(m, 0);
                        return status;
                }
                if (w < 0 && errno != EINTR)
                        return -errno;
                (void) mgr_pump(m, 10);
        }
        mgr_print_log(m);
        return -ETIMEDOUT;
}

/* Whether a STATUS= at index >= @from holds @needle. */
static bool status_has(const struct mgr *m, size_t from, const char *needle)
{
        char status[NOTIFY_TEXT_MAX];
        size_t i;

        for (i = from; i < m->n_notes; i++)
                if (note_value(m->notes[i].text, "STATUS=", status, sizeof(status)) &&
                    strstr(status, needle))
                        return true;
        return false;
}

/* Whether the daemon's log after byte @mark holds @needle. */
static bool log_has(const struct mgr *m, size_t mark, const char *needle)
{
        _cleanup_(freep) char *log = tl_read_text(m->log_path);

        return log && strlen(log) >= mark && strstr(log + mark, needle);
}

static size_t log_size(const struct mgr *m)
{
        struct stat st;

        return stat(m->log_path, &st) < 0 ? 0 : (size_t) st.st_size;
}

/* The good policy of setup() with a rule that does not parse after it. */
static char *broken_policy(void)
{
        return policy_text("\n[Segment broken]\nNames=z-*\nBogusKey=1\n");
}

/* Waits until the store holds @n_obj memfd objects (whatever else it holds). */
static bool wait_store_objects(struct mgr *m, size_t n_obj)
{
        uint64_t deadline = now_usec() + (uint64_t) TIMEOUT_MS * 1000;

        while (store_count_prefix(m, "shmb-obj-") != n_obj) {
                if (now_usec() >= deadline) {
                        fprintf(stderr, "fd store: want %zu objects, have %zu\n", n_obj,
                                store_count_prefix(m, "shmb-obj-"));
                        return false;
                }
                (void) mgr_pump(m, 50);
        }
        return true;
}

/* Waits until the store holds @n_obj objects and exactly one last good policy. */
static bool wait_store_with_policy(struct mgr *m, size_t n_obj)
{
        uint64_t deadline = now_usec() + (uint64_t) TIMEOUT_MS * 1000;

        while (store_count_prefix(m, "shmb-obj-") != n_obj ||
               store_count_prefix(m, "shmb-policy-") != 1) {
                if (now_usec() >= deadline) {
                        size_t i;

                        fprintf(stderr, "fd store: want %zu objects and one shmb-policy-N, "
                                "have:\n", n_obj);
                        for (i = 0; i < m->n_store; i++)
                                fprintf(stderr, "  %s\n", m->store[i].name);
                        return false;
                }
                (void) mgr_pump(m, 50);
        }
        return true;
}

/*
 * 8. The policy on disk is refused at start, and the store hands back a last good policy: the
 * daemon runs on it, says so (STATUS= and the log), and every memfd object is served with its
 * bytes.
 * Old code: it exited 1 before taking back the fds; under Restart=on-failure systemd hit its
 * start limit and emptied the store: every memfd segment was gone.
 */
static void test_fdstore_last_good_policy(void **state)
{
        struct mgr *m = *state;
        _cleanup_(freep) char *bad = broken_policy();
        _cleanup_(freep) char *good = policy_text(NULL);
        uint8_t a[4096], b[4096];
        size_t from, mark, i;
        int seals = -1;

        fill_pattern(a, sizeof(a), 21);
        fill_pattern(b, sizeof(b), 22);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(client_create(m->socket_path, "m-one", sizeof(a), a, sizeof(a)), 0);
        assert_int_equal(client_create(m->socket_path, "m-two", sizeof(b), b, sizeof(b)), 0);
        assert_true(wait_store_objects(m, 2));
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
        /* The last good policy is in the store (pushed at load or at the latest at exit): a
         * sealed memfd, shmb-policy-GENERATION. */
        assert_true(wait_store_with_policy(m, 2));
        for (i = 0; i < m->n_store; i++) {
                char link[PATH_MAX], proc[64], *end;
                ssize_t len;

                if (strncmp(m->store[i].name, "shmb-policy-", 12) != 0)
                        continue;
                (void) strtoull(m->store[i].name + 12, &end, 10);
                assert_true(end != m->store[i].name + 12 && *end == '\0');
                snprintf(proc, sizeof(proc), "/proc/self/fd/%d", m->store[i].fd);
                len = readlink(proc, link, sizeof(link) - 1);
                assert_true(len > 0);
                link[len] = '\0';
                assert_true(strncmp(link, "/memfd:", 7) == 0);
                seals = fcntl(m->store[i].fd, F_GET_SEALS);
        }
        assert_true(seals >= 0);
        assert_true((seals & (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW)) ==
                    (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW));

        /* A typo in the policy; a restart. */
        assert_int_equal(tl_write_text(m->policy_path, bad), 0);
        from = m->n_notes;
        mark = log_size(m);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        if (!status_has(m, from, "last good policy") ||
            !log_has(m, mark, "last good policy") || !log_has(m, mark, "policy.conf"))
                mgr_print_log(m);
        assert_true(status_has(m, from, "last good policy"));
        assert_true(log_has(m, mark, "last good policy"));
        /* Why the one on disk was refused, by file (and line). */
        assert_true(log_has(m, mark, "policy.conf"));
        assert_int_equal(client_check(m->socket_path, "m-one", a, sizeof(a)), 0);
        assert_int_equal(client_check(m->socket_path, "m-two", b, sizeof(b)), 0);
        /* It is the last good policy that decides, not half of the refused one. */
        assert_int_equal(client_create(m->socket_path, "s-x", 4096, a, 16), 0);
        assert_int_equal(client_create(m->socket_path, "z-x", 4096, a, 16), -EACCES);
        assert_int_equal(client_unlink(m->socket_path, "s-x"), 0);

        /* Mended and reloaded: served as before. */
        assert_int_equal(tl_write_text(m->policy_path, good), 0);
        from = m->n_notes;
        assert_int_equal(kill(m->pid, SIGHUP), 0);
        assert_true(mgr_wait_line(m, from, "READY=1") >= 0);
        assert_int_equal(client_check(m->socket_path, "m-one", a, sizeof(a)), 0);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
        assert_int_equal(store_count_prefix(m, "shmb-obj-"), 2);
}

/*
 * 8. No last good policy and nothing in the store to lose: a refused policy is a failed start
 * (exit 1, no READY=1).
 * Old code: the same (exit 1); pinned so that the fix for the case above does not start
 * daemons on nothing.
 */
static void test_fdstore_bad_policy_nothing_to_lose(void **state)
{
        struct mgr *m = *state;
        _cleanup_(freep) char *bad = broken_policy();
        size_t from = m->n_notes, i;
        int status;

        assert_int_equal(tl_write_text(m->policy_path, bad), 0);
        assert_int_equal(mgr_start(m, NULL), 0);
        status = mgr_wait_exit(m);
        assert_true(status >= 0);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 1);
        for (i = from; i < m->n_notes; i++)
                assert_false(note_has(m->notes[i].text, "READY=1"));
        assert_int_equal(store_count_prefix(m, "shmb-"), 0);
}

/*
 * 8. No last good policy, but memfd objects came back: the daemon runs with a deny-all policy
 * and says so (STATUS= says the policy on disk was refused; the log names the file), keeps the
 * objects (nothing removed from the store), and serves them once the policy is mended.
 * Old code: exit 1 with the objects unadopted (and under systemd, lost).
 */
static void test_fdstore_bad_policy_objects_kept(void **state)
{
        struct mgr *m = *state;
        _cleanup_(freep) char *bad = broken_policy();
        _cleanup_(freep) char *good = policy_text(NULL);
        uint8_t a[4096];
        size_t from, i;
        char status[NOTIFY_TEXT_MAX];
        bool said = false;
        size_t mark;

        fill_pattern(a, sizeof(a), 23);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(client_create(m->socket_path, "m-kept", sizeof(a), a, sizeof(a)), 0);
        assert_true(wait_store_objects(m, 1));
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
        /* As if the store had lost the policy (or it was never pushed). */
        for (i = 0; i < m->n_store;) {
                char name[sizeof(m->store[0].name)];

                /* A copy: store_remove() moves the entries under the name it compares. */
                snprintf(name, sizeof(name), "%s", m->store[i].name);
                if (strncmp(name, "shmb-policy-", 12) == 0)
                        store_remove(m, name);
                else
                        i++;
        }
        assert_int_equal(store_count_prefix(m, "shmb-obj-"), 1);

        assert_int_equal(tl_write_text(m->policy_path, bad), 0);
        from = m->n_notes;
        mark = log_size(m);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        /* STATUS= says that the policy on disk was refused (and the log why). */
        for (i = from; i < m->n_notes; i++)
                if (note_value(m->notes[i].text, "STATUS=", status, sizeof(status)) &&
                    strcasestr(status, "refused"))
                        said = true;
        if (!said || !log_has(m, mark, "policy.conf"))
                mgr_print_log(m);
        assert_true(said);
        assert_true(log_has(m, mark, "policy.conf"));
        /* Nothing is granted, and nothing is dropped. */
        assert_int_equal(client_check(m->socket_path, "m-kept", a, sizeof(a)), -EACCES);
        assert_int_equal(client_create(m->socket_path, "s-x", 4096, a, 16), -EACCES);
        assert_int_equal(store_count_prefix(m, "shmb-obj-"), 1);

        assert_int_equal(tl_write_text(m->policy_path, good), 0);
        from = m->n_notes;
        assert_int_equal(kill(m->pid, SIGHUP), 0);
        assert_true(mgr_wait_line(m, from, "READY=1") >= 0);
        assert_int_equal(client_check(m->socket_path, "m-kept", a, sizeof(a)), 0);
        assert_int_equal(client_unlink(m->socket_path, "m-kept"), 0);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

/*
 * 9. A memfd create whose fd store push fails (here: the notify socket is gone) is refused and
 * leaves nothing: no object, no charge (the quota of one object is still free), the name free.
 * Old code: the failed push was only logged and the create answered OK: the object was lost
 * at the next restart, and charged meanwhile.
 */
static void test_fdstore_push_fails(void **state)
{
        struct mgr *m = *state;
        _cleanup_(freep) char *policy = policy_text("\n[Quota]\nMaxObjectsPerUser=1\n");
        char away[sizeof(m->notify_path) + 8];
        uint8_t a[64];
        int r;

        fill_pattern(a, sizeof(a), 24);
        assert_int_equal(tl_write_text(m->policy_path, policy), 0);
        assert_int_equal(mgr_start_ready(m, NULL), 0);

        snprintf(away, sizeof(away), "%s.away", m->notify_path);
        assert_int_equal(rename(m->notify_path, away), 0);
        r = client_create(m->socket_path, "m-lost", 4096, a, sizeof(a));
        assert_int_equal(rename(away, m->notify_path), 0);
        /* The daemon cannot keep the object: EIO, whatever the notify socket said. */
        assert_int_equal(r, -EIO);
        assert_int_equal(client_check(m->socket_path, "m-lost", a, sizeof(a)), -ENOENT);

        /* Not charged: the one object of the quota is still free; the name too. */
        assert_int_equal(client_create(m->socket_path, "m-ok", 4096, a, sizeof(a)), 0);
        assert_true(wait_store(m, 1));
        assert_int_equal(client_unlink(m->socket_path, "m-ok"), 0);
        assert_true(wait_store(m, 0));
        assert_int_equal(client_create(m->socket_path, "m-lost", 4096, a, sizeof(a)), 0);
        assert_int_equal(client_check(m->socket_path, "m-lost", a, sizeof(a)), 0);
        assert_true(wait_store(m, 1));
        assert_int_equal(client_unlink(m->socket_path, "m-lost"), 0);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

/* ------------------------------------------------------------------------------------------
 * Issue 13: lifetime=process creators across restarts, by the fd store
 */

/* A process of the test's uid that creates objects with lifetime=process and lives until
 * released (its step pipe closed). */
struct creator {
        pid_t pid;
        int report;     /* read end: the result of the creates (an int) */
        int go;         /* write end: closed to let it exit */
};

static int creator_start(struct creator *cr, const char *sock, const char *const *names)
{
        int rep[2], go[2];
        pid_t pid;

        if (pipe2(rep, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(go, O_CLOEXEC) < 0) {
                safe_close(rep[0]);
                safe_close(rep[1]);
                return -errno;
        }
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                struct shmb_client *c = NULL;
                int r, lo = rep[1] < go[0] ? rep[1] : go[0], hi = rep[1] < go[0] ? go[0] : rep[1];
                size_t i;
                char b;

                /* Nothing of the manager's (its store, its listeners) stays open here. */
                if (lo > 3)
                        (void) close_range(3, (unsigned) lo - 1, 0);
                if (hi > lo + 1)
                        (void) close_range((unsigned) lo + 1, (unsigned) hi - 1, 0);
                (void) close_range((unsigned) hi + 1, ~0u, 0);
                (void) signal(SIGPIPE, SIG_DFL);
                r = client_connect(sock, &c);
                for (i = 0; r >= 0 && names[i]; i++)
                        r = shmb_create2(c, names[i], 4096, SHMB_ACCESS_NONE,
                                         &(struct shmb_create_opts) {
                                                 .lifetime = SHMB_LIFETIME_PROCESS },
                                         NULL, NULL);
                if (write(rep[1], &r, sizeof(r)) != (ssize_t) sizeof(r))
                        _exit(2);
                while (read(go[0], &b, 1) > 0)
                        ;
                _exit(0);
        }
        safe_close(rep[1]);
        safe_close(go[0]);
        *cr = (struct creator) { .pid = pid, .report = rep[0], .go = go[1] };
        return 0;
}

/* The creates' result (0 or -errno), or -ETIMEDOUT. */
static int creator_result(struct creator *cr)
{
        struct pollfd p = { .fd = cr->report, .events = POLLIN };
        int r;

        if (poll(&p, 1, TIMEOUT_MS) != 1 || read(cr->report, &r, sizeof(r)) != (ssize_t) sizeof(r))
                return -ETIMEDOUT;
        return r;
}

/* Releases (or with @sig, kills) the creator and reaps it. Return: its wait status. */
static int creator_end(struct creator *cr, int sig)
{
        int status = -1;

        if (cr->pid <= 0)
                return -ESRCH;
        if (sig)
                (void) kill(cr->pid, sig);
        cr->go = safe_close(cr->go);
        while (waitpid(cr->pid, &status, 0) < 0 && errno == EINTR)
                ;
        cr->report = safe_close(cr->report);
        cr->pid = -1;
        return status;
}

/* The "shmb-pid-PID-" prefix of @pid's fd store entries. */
static void pid_prefix(char *buf, size_t size, pid_t pid)
{
        snprintf(buf, size, "shmb-pid-%d-", (int) pid);
}

/* Waits until the store holds @n entries that start with @prefix. */
static bool wait_store_prefix(struct mgr *m, const char *prefix, size_t n)
{
        uint64_t deadline = now_usec() + (uint64_t) TIMEOUT_MS * 1000;

        while (store_count_prefix(m, prefix) != n) {
                if (now_usec() >= deadline) {
                        size_t i;

                        fprintf(stderr, "fd store: want %zu entries '%s*', have:\n", n, prefix);
                        for (i = 0; i < m->n_store; i++)
                                fprintf(stderr, "  %s\n", m->store[i].name);
                        return false;
                }
                (void) mgr_pump(m, 50);
        }
        return true;
}

static int client_stat(const char *sock, const char *name)
{
        struct shmb_client *c = NULL;
        struct shmb_stat st;
        int r;

        r = client_connect(sock, &c);
        if (r < 0)
                return r;
        r = shmb_stat(c, name, &st);
        if (r == 0 && st.lifetime != SHMB_LIFETIME_PROCESS)
                r = -EBADE;
        shmb_client_free(c);
        return r;
}

/* Waits until stat of @name says ENOENT. */
static bool wait_gone(struct mgr *m, const char *name)
{
        uint64_t deadline = now_usec() + 5000 * 1000;

        while (client_stat(m->socket_path, name) != -ENOENT) {
                if (now_usec() >= deadline) {
                        fprintf(stderr, "'%s' is still there after 5 s\n", name);
                        mgr_print_log(m);
                        return false;
                }
                (void) mgr_pump(m, 10);
        }
        return true;
}

/*
 * The store entry of a creator: named shmb-pid-PID-INO-START (the pidfs inode, or the start
 * time where there is no pidfs: one of them is 0), and holding a pidfd of that very process.
 */
static void check_pid_entry(const struct mgr *m, pid_t pid)
{
        char prefix[48], path[64], want[32];
        unsigned long long ino = 0, start = 0;
        _cleanup_(freep) char *info = NULL;
        int fd = -1, n = 0;
        size_t i;

        pid_prefix(prefix, sizeof(prefix), pid);
        for (i = 0; i < m->n_store; i++)
                if (strncmp(m->store[i].name, prefix, strlen(prefix)) == 0) {
                        fd = m->store[i].fd;
                        n = sscanf(m->store[i].name + strlen(prefix), "%llu-%llu", &ino, &start);
                }
        assert_true(fd >= 0);
        assert_int_equal(n, 2);
        assert_true((ino != 0) != (start != 0));
        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
        info = tl_read_text(path);
        assert_non_null(info);
        snprintf(want, sizeof(want), "\nPid:\t%d\n", (int) pid);
        if (!strstr(info, want))
                fail_msg("the store's fd for pid %d is not its pidfd:\n%s", (int) pid, info);
}

/*
 * A creator alive across restarts (SIGTERM, then SIGKILL): its pidfd goes to the store once
 * (one tracker, however many objects), the daemon takes it back from there at start (it pushes
 * no second entry) and keeps the objects; when the creator exits, the objects go, and so does
 * the store entry (FDSTOREREMOVE=1) and the memfd's.
 */
static void test_fdstore_process_creator_alive(void **state)
{
        static const char *const names[] = { "s-proc", "m-proc", NULL };
        struct mgr *m = *state;
        struct creator cr;
        char prefix[48];
        size_t mark;
        int status;

        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(creator_start(&cr, m->socket_path, names), 0);
        assert_int_equal(creator_result(&cr), 0);
        pid_prefix(prefix, sizeof(prefix), cr.pid);
        assert_true(wait_store_prefix(m, prefix, 1));
        assert_true(wait_store_objects(m, 1));
        assert_int_equal(store_count_prefix(m, "shmb-pid-"), 1);
        check_pid_entry(m, cr.pid);

        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
        assert_int_equal(store_count_prefix(m, prefix), 1);
        mark = log_size(m);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(client_stat(m->socket_path, "s-proc"), 0);
        assert_int_equal(client_stat(m->socket_path, "m-proc"), 0);
        (void) mgr_pump(m, 100);
        assert_int_equal(store_count_prefix(m, "shmb-pid-"), 1);
        assert_false(log_has(m, mark, "cannot tell whether pid"));

        status = mgr_kill_wait(m, SIGKILL);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(client_stat(m->socket_path, "s-proc"), 0);
        assert_int_equal(client_stat(m->socket_path, "m-proc"), 0);
        (void) mgr_pump(m, 100);
        assert_int_equal(store_count_prefix(m, "shmb-pid-"), 1);
        check_pid_entry(m, cr.pid);

        status = creator_end(&cr, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_true(wait_gone(m, "s-proc"));
        assert_true(wait_gone(m, "m-proc"));
        assert_true(wait_store_prefix(m, "shmb-pid-", 0));
        assert_true(wait_store_objects(m, 0));
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

/*
 * The creator exits while the daemon is down (after a SIGKILL): at start the daemon finds its
 * pidfd in the store, sees that it has exited, and removes its objects before it serves; the
 * store keeps nothing of it (neither the pidfd nor the memfd).
 */
static void test_fdstore_process_creator_died_while_down(void **state)
{
        static const char *const names[] = { "s-dead", "m-dead", NULL };
        struct mgr *m = *state;
        struct creator cr;
        char prefix[48];
        int status;

        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(creator_start(&cr, m->socket_path, names), 0);
        assert_int_equal(creator_result(&cr), 0);
        pid_prefix(prefix, sizeof(prefix), cr.pid);
        assert_true(wait_store_prefix(m, prefix, 1));
        assert_true(wait_store_objects(m, 1));

        status = mgr_kill_wait(m, SIGKILL);
        assert_true(WIFSIGNALED(status));
        status = creator_end(&cr, SIGKILL);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(store_count_prefix(m, prefix), 1);

        assert_int_equal(mgr_start_ready(m, NULL), 0);
        /* Before it served anyone. */
        assert_int_equal(client_stat(m->socket_path, "s-dead"), -ENOENT);
        assert_int_equal(client_stat(m->socket_path, "m-dead"), -ENOENT);
        assert_true(log_has(m, 0, "removed at start"));
        assert_true(wait_store_objects(m, 0));
        if (!wait_store_prefix(m, "shmb-pid-", 0))
                fail_msg("the fd store keeps the pidfd of a creator that exited while the "
                         "daemon was down (its entry was never removed)");
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

/* Creates @name unsized and, as its creator, grows it to @size and seals it as the daemon
 * would at RESIZE. Return: 0 or -errno. */
static int client_fresh_sealed(const char *sock, const char *name, off_t size)
{
        struct shmb_create_opts o = { .flags = SHMB_CREATE_UNSIZED };
        struct shmb_client *c = NULL;
        struct shmb_fd_info info;
        int fd = -1, r;

        r = client_connect(sock, &c);
        if (r < 0)
                return r;
        r = shmb_create2(c, name, 0, SHMB_ACCESS_RDWR, &o, &fd, &info);
        shmb_client_free(c);
        if (r < 0)
                return r;
        if (ftruncate(fd, size) < 0 || pwrite(fd, "mine", 4, 0) != 4 ||
            fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0)
                r = -errno;
        safe_close(fd);
        return r;
}

static int client_publish(const char *sock, const char *name)
{
        struct shmb_client *c = NULL;
        int r;

        r = client_connect(sock, &c);
        if (r < 0)
                return r;
        r = shmb_publish(c, name, SHMB_PUBLISH_SEAL);
        shmb_client_free(c);
        return r;
}

/*
 * 10. A fresh (unsized) memfd object that its creator grew and sealed itself is found sealed
 * at the next start, as if a daemon killed during its RESIZE had sized it. Within the rule's
 * MaxSize= it is then sized (a size its creator could have asked for); past it, it stays
 * what it was while the daemon ran: unsized, its creator's alone, and PUBLISH fails with
 * EFBIG. Found by a hostile review: the old daemon sized a 64 MiB object under MaxSize=1M at
 * the restart, served it to the rule's readers and let its creator publish it.
 */
static void test_fdstore_fresh_sealed_by_creator(void **state)
{
        struct mgr *m = *state;
        size_t mark;
        int status;

        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(client_fresh_sealed(m->socket_path, "m-over", 2 * 1024 * 1024), 0);
        assert_int_equal(client_fresh_sealed(m->socket_path, "m-within", 64 * 1024), 0);
        assert_true(wait_store_objects(m, 2));
        status = mgr_kill_wait(m, SIGKILL);
        assert_true(WIFSIGNALED(status));

        mark = log_size(m);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(client_publish(m->socket_path, "m-over"), -EFBIG);
        assert_int_equal(client_publish(m->socket_path, "m-within"), 0);
        assert_int_equal(client_check(m->socket_path, "m-within", "mine", 4), 0);
        if (!log_has(m, mark, "Object 'm-over': found sealed at 2097152 bytes with no size "
                     "recorded, past MaxSize=: its creator (uid "))
                mgr_print_log(m);
        assert_true(log_has(m, mark, "Object 'm-over': found sealed at 2097152 bytes with no size "
                            "recorded, past MaxSize=: its creator (uid "));
        assert_false(log_has(m, mark, "Object 'm-within': found sealed"));

        /* And so at every start after, while the creator's seals hold. */
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
        mark = log_size(m);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_true(log_has(m, mark, "Object 'm-over': found sealed"));
        assert_false(log_has(m, mark, "Object 'm-within': found sealed"));
        assert_int_equal(client_publish(m->socket_path, "m-over"), -EFBIG);
        assert_int_equal(client_unlink(m->socket_path, "m-over"), 0);
        assert_int_equal(client_unlink(m->socket_path, "m-within"), 0);
        assert_true(wait_store_objects(m, 0));
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

/* client_create() of a 4 KiB object in a child as @uid (gid the same). Return: 0 or -errno. */
static int client_create_as(const char *sock, uid_t uid, const char *name)
{
        int status;
        pid_t pid;

        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                uint8_t data[16] = "from another";

                if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
                    setresuid(uid, uid, uid) < 0)
                        _exit(200);
                _exit(-client_create(sock, name, 4096, data, sizeof(data)));
        }
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
                return -ECHILD;
        return -WEXITSTATUS(status);
}

/*
 * 11. The fd store's slots, shared fairly. Each uid may hold an eighth of them, so that one
 * user cannot fill the store and leave everyone else's memfd creates refused (systemd 254+)
 * or, where the manager does not say how many it keeps (systemd 252 drops what does not fit
 * without a word), lost at the next restart: there the daemon takes the unit's
 * FileDescriptorStoreMax= (4096), or --fdstore-max. Found by a hostile review: one user took
 * every slot; on 252 everyone's later creates were answered OK and lost at the restart.
 */
static void test_fdstore_share(void **state)
{
        struct mgr *m = *state;
        _cleanup_(freep) char *policy = NULL;
        static const char *const max18[] = { "--fdstore-max", "18", NULL };
        const struct start_opts told = { .fdstore = "18" }, not_told = { .extra_args = max18 };
        uint8_t a[64];
        size_t mark;

        fill_pattern(a, sizeof(a), 31);
        policy = policy_text("\n[Segment other]\nNames=o-*\nCreate=41001\nReadWrite=41001\n"
                             "MaxSize=1M\nBackend=memfd\n");
        assert_non_null(policy);
        assert_int_equal(tl_write_text(m->policy_path, policy), 0);
        /* FileDescriptorStoreMax=18: 16 slots for objects, 2 per uid. */
        m->store_max = 18;
        mark = log_size(m);
        assert_int_equal(mgr_start_ready(m, &told), 0);
        assert_int_equal(chmod(m->run_dir, 0755), 0);
        assert_int_equal(chmod(m->socket_path, 0666), 0);

        assert_int_equal(client_create(m->socket_path, "m-1", sizeof(a), a, sizeof(a)), 0);
        assert_int_equal(client_create(m->socket_path, "m-2", sizeof(a), a, sizeof(a)), 0);
        assert_int_equal(client_create(m->socket_path, "m-3", sizeof(a), a, sizeof(a)),
                         -ENOSPC);
        assert_true(log_has(m, mark, "fd store: its creator holds its share of the slots; "
                            "refusing memfd object 'm-3'"));
        /* Another user still has its share. */
        assert_int_equal(client_create_as(m->socket_path, 41001, "o-1"), 0);
        assert_int_equal(client_create_as(m->socket_path, 41001, "o-2"), 0);
        assert_int_equal(client_create_as(m->socket_path, 41001, "o-3"), -ENOSPC);
        assert_true(log_has(m, mark, "The fd store keeps 18 fds ($FDSTORE): at most 16 memfd "
                            "objects, 2 per user."));
        assert_true(wait_store_objects(m, 4));
        /* An unlink gives the slot back. */
        assert_int_equal(client_unlink(m->socket_path, "m-2"), 0);
        assert_true(wait_store_objects(m, 3));
        assert_int_equal(client_create(m->socket_path, "m-3", sizeof(a), a, sizeof(a)), 0);
        assert_true(wait_store_objects(m, 4));

        /* A manager that does not say ($FDSTORE unset, systemd 252): --fdstore-max. The
         * objects that came back count. */
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
        mark = log_size(m);
        assert_int_equal(mgr_start_ready(m, &not_told), 0);
        assert_true(log_has(m, mark, "The fd store keeps 18 fds (--fdstore-max: the service "
                            "manager does not say): at most 16 memfd objects, 2 per user."));
        assert_int_equal(client_check(m->socket_path, "m-1", a, sizeof(a)), 0);
        assert_int_equal(client_check(m->socket_path, "m-3", a, sizeof(a)), 0);
        assert_int_equal(client_create(m->socket_path, "m-4", sizeof(a), a, sizeof(a)),
                         -ENOSPC);
        assert_int_equal(m->n_dropped, 0);

        /* Neither: the unit's FileDescriptorStoreMax=. */
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
        mark = log_size(m);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_true(log_has(m, mark, "The fd store keeps 4096 fds (--fdstore-max: the service "
                            "manager does not say): at most 4094 memfd objects, 511 per user."));
        assert_int_equal(client_unlink(m->socket_path, "m-1"), 0);
        assert_int_equal(client_unlink(m->socket_path, "m-3"), 0);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

/*
 * 11b. An eighth of the slots each, and eight uids filled the store: every other user's memfd
 * create got ENOSPC. Found by a hostile review. Past half of the store each uid now gets its
 * share of the free slots (FDSTORE_FAIR_FLOOR 4 always), so a ninth user still creates. With
 * 64 object slots, 8 per uid: four uids take theirs (half the store), the next ones fewer.
 */
static void test_fdstore_fair_share(void **state)
{
        enum { UIDS = 8, SHARE = 8 };
        struct mgr *m = *state;
        _cleanup_(freep) char *policy = NULL;
        const struct start_opts told = { .fdstore = "66" };
        int got[UIDS], total = 0, i, r;
        size_t mark;
        char nm[32];
        unsigned u;

        policy = policy_text("\n[Segment other]\nNames=o-*\n"
                             "Create=41001 41002 41003 41004 41005 41006 41007 41008 41009\n"
                             "ReadWrite=41001 41002 41003 41004 41005 41006 41007 41008 41009\n"
                             "MaxSize=1M\nBackend=memfd\n");
        assert_non_null(policy);
        assert_int_equal(tl_write_text(m->policy_path, policy), 0);
        m->store_max = 66;
        mark = log_size(m);
        assert_int_equal(mgr_start_ready(m, &told), 0);
        assert_int_equal(chmod(m->run_dir, 0755), 0);
        assert_int_equal(chmod(m->socket_path, 0666), 0);
        assert_true(log_has(m, mark, "The fd store keeps 66 fds ($FDSTORE): at most 64 memfd "
                            "objects, 8 per user."));
        for (u = 0; u < UIDS; u++) {
                got[u] = 0;
                for (i = 0; i < SHARE; i++) {
                        snprintf(nm, sizeof(nm), "o-%u-%d", 41001 + u, i);
                        r = client_create_as(m->socket_path, 41001 + u, nm);
                        (void) mgr_pump(m, 0);
                        if (r == 0)
                                got[u]++;
                        else
                                assert_int_equal(r, -ENOSPC);
                }
                total += got[u];
        }
        print_message("objects per uid: %d %d %d %d %d %d %d %d\n", got[0], got[1], got[2],
                      got[3], got[4], got[5], got[6], got[7]);
        /* A ninth user still creates. */
        r = client_create_as(m->socket_path, 41009, "o-41009");
        if (r != 0)
                fail_msg("a ninth uid's memfd create refused (%s): %d uids hold %d of 64 slots",
                         strerror(-r), UIDS, total);
        assert_true(wait_store_objects(m, (size_t) total + 1));
        for (u = 0; u < UIDS; u++)
                if (u < UIDS / 2)
                        assert_int_equal(got[u], SHARE);
                else
                        assert_in_range(got[u], 4, SHARE - 1);
        assert_int_equal(m->n_dropped, 0);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

/*
 * 12. A create of a lifetime=process memfd object when one slot is left: the object's slot is
 * checked at create, its creator's pidfd then wants one, and the object is counted once
 * pushed. The pidfd leaves one slot free for the object it comes with (without one, the
 * creator is checked by pid after a restart), so the store never holds more than the daemon
 * counted, and the last good policy still fits at a reload. Found by a hostile review: the
 * pidfd took the last slot, the store ran one over, and after a reload the manager dropped the
 * new policy while the daemon removed the old one.
 */
static void test_fdstore_last_slot_pidfd(void **state)
{
        static const char *const names[] = { "m-proc", NULL };
        struct mgr *m = *state;
        _cleanup_(freep) char *policy = NULL;
        const struct start_opts told = { .fdstore = "18" };
        struct creator cr;
        uint8_t a[64];
        char nm[32];
        size_t from;
        unsigned u;
        int i;

        fill_pattern(a, sizeof(a), 7);
        policy = policy_text("\n[Segment other]\nNames=o-*\n"
                             "Create=41001 41002 41003 41004 41005 41006 41007\n"
                             "ReadWrite=41001 41002 41003 41004 41005 41006 41007\n"
                             "MaxSize=1M\nBackend=memfd\n");
        assert_non_null(policy);
        assert_int_equal(tl_write_text(m->policy_path, policy), 0);
        m->store_max = 18;
        assert_int_equal(mgr_start_ready(m, &told), 0);
        assert_int_equal(chmod(m->run_dir, 0755), 0);
        assert_int_equal(chmod(m->socket_path, 0666), 0);
        /* 15 of the 16 object slots: seven uids their share of 2, root 1 of its 2. */
        for (u = 41001; u <= 41007; u++)
                for (i = 0; i < 2; i++) {
                        snprintf(nm, sizeof(nm), "o-%u-%d", u, i);
                        assert_int_equal(client_create_as(m->socket_path, u, nm), 0);
                        /* As PID 1 would: its notify socket is drained as the pushes come. */
                        (void) mgr_pump(m, 0);
                }
        assert_int_equal(client_create(m->socket_path, "m-1", sizeof(a), a, sizeof(a)), 0);
        assert_true(wait_store_objects(m, 15));

        assert_int_equal(creator_start(&cr, m->socket_path, names), 0);
        assert_int_equal(creator_result(&cr), 0);
        assert_true(wait_store_objects(m, 16));
        assert_int_equal(store_count_prefix(m, "shmb-pid-"), 0);
        assert_int_equal(store_count_prefix(m, "shmb-policy-"), 1);
        assert_int_equal(m->n_dropped, 0);

        /* A reload: the new policy fits, and replaces the old. */
        from = m->n_notes;
        assert_int_equal(kill(m->pid, SIGHUP), 0);
        assert_true(mgr_wait_line(m, from, "READY=1") >= 0);
        assert_true(wait_store_with_policy(m, 16));
        assert_int_equal(m->n_dropped, 0);
        (void) creator_end(&cr, 0);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

/* After mgr_start(): 1 once READY=1 came, 0 once the daemon died first (reaped, its wait
 * status in *@ret_status), or -errno. */
static int mgr_wait_ready_or_death(struct mgr *m, size_t from, int *ret_status)
{
        uint64_t deadline = now_usec() + (uint64_t) TIMEOUT_MS * 1000;
        size_t i = from;
        int status;

        while (now_usec() < deadline) {
                for (; i < m->n_notes; i++)
                        if (note_has(m->notes[i].text, "READY=1"))
                                return 1;
                if (waitpid(m->pid, &status, WNOHANG) == m->pid) {
                        m->pid = -1;
                        (void) mgr_pump(m, 0);
                        *ret_status = status;
                        return 0;
                }
                (void) mgr_pump(m, 20);
        }
        return -ETIMEDOUT;
}

/*
 * 13. The same object as in 10 (grown past MaxSize= and sealed by its creator), and the
 * daemon killed at each of the first journal writes of a start that rebinds it (its rule
 * renamed, so that the start records it again before it checks its limits): whatever was
 * written, the start after still finds it unsized, and PUBLISH fails with EFBIG. Found by a
 * hostile review: the start recorded it as sized while it rebound it, and a kill before the
 * check left it so; the start after took it as sized, published it and served it.
 */
static void test_fdstore_fresh_sealed_killed_at_start(void **state)
{
        struct mgr *m = *state;
        const char *shim = getenv("SHMB_CRASHAT");
        char arm[96], nth[16], preload[2 * PATH_MAX + 2];
        size_t from;
        int n, k, fd, status, died = 0;

        if (!shim || access(shim, R_OK) < 0)
                fail_msg("SHMB_CRASHAT ('%s') is not the crash shim; run the suite with make "
                         "check", shim ? shim : "");
        snprintf(arm, sizeof(arm), "%s/arm", m->run_dir);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(client_fresh_sealed(m->socket_path, "m-over", 2 * 1024 * 1024), 0);
        assert_true(wait_store_objects(m, 1));
        status = mgr_kill_wait(m, SIGKILL);
        assert_true(WIFSIGNALED(status));

        for (n = 1; n <= 6; n++) {
                _cleanup_(freep) char *policy = NULL;
                char rule[32];

                /* A new name for the memfd rule each round: the start rebinds the object. */
                snprintf(rule, sizeof(rule), "\n[Segment mem%d]\n", n);
                policy = policy_text(NULL);
                assert_non_null(policy);
                assert_non_null(strstr(policy, "\n[Segment mem]\n"));
                {
                        _cleanup_(freep) char *renamed = NULL;
                        char *at = strstr(policy, "\n[Segment mem]\n");

                        assert_true(asprintf(&renamed, "%.*s%s%s", (int) (at - policy), policy,
                                             rule, at + strlen("\n[Segment mem]\n")) > 0);
                        assert_int_equal(tl_write_text(m->policy_path, renamed), 0);
                }
                snprintf(nth, sizeof(nth), "%d", n);
                fd = open(arm, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
                assert_true(fd >= 0);
                assert_int_equal(close(fd), 0);
                assert_int_equal(setenv("LD_PRELOAD",
                                        tl_preload_value(shim, preload, sizeof(preload)), 1),
                                 0);
                assert_int_equal(setenv("SHMB_CRASHAT_CALL", "write", 1), 0);
                assert_int_equal(setenv("SHMB_CRASHAT_NTH", nth, 1), 0);
                assert_int_equal(setenv("SHMB_CRASHAT_PATH", "/registry", 1), 0);
                assert_int_equal(setenv("SHMB_CRASHAT_ARM", arm, 1), 0);
                from = m->n_notes;
                k = mgr_start(m, NULL);
                (void) unsetenv("LD_PRELOAD");
                (void) unsetenv("SHMB_CRASHAT_CALL");
                assert_int_equal(k, 0);
                k = mgr_wait_ready_or_death(m, from, &status);
                assert_true(k >= 0);
                assert_int_equal(unlink(arm), 0);
                if (k == 1) {
                        status = mgr_kill_wait(m, SIGKILL);
                        assert_true(WIFSIGNALED(status));
                } else {
                        /* Killed by the shim, not failed otherwise. */
                        if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
                                mgr_print_log(m);
                        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
                        died++;
                }

                /* The start after: still unsized, and not to be published. */
                assert_int_equal(mgr_start_ready(m, NULL), 0);
                assert_int_equal(client_publish(m->socket_path, "m-over"), -EFBIG);
                status = mgr_kill_wait(m, SIGKILL);
                assert_true(WIFSIGNALED(status));
        }
        /* The kill hit start-up writes at least once (else this tested nothing). */
        assert_true(died > 0);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(client_unlink(m->socket_path, "m-over"), 0);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
}

/*
 * 14. The same object, an orphan at a start (no rule's Names= holds it): it has no MaxSize= to
 * be within, so it stays unsized; once a rule takes it back, PUBLISH still fails with EFBIG.
 * Found by a hostile review: the start sized it, being within no limit but the daemon's own,
 * and after the rule came back it was published and served at 2 MiB under MaxSize=1M.
 */
static void test_fdstore_fresh_sealed_orphan(void **state)
{
        struct mgr *m = *state;
        _cleanup_(freep) char *good = policy_text(NULL), *orphaning = NULL;
        size_t mark;

        assert_non_null(good);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(client_fresh_sealed(m->socket_path, "m-over", 2 * 1024 * 1024), 0);
        assert_true(wait_store_objects(m, 1));
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);

        /* The memfd rule's names move elsewhere: m-over is an orphan at this start. */
        orphaning = strdup(good);
        assert_non_null(orphaning);
        assert_non_null(strstr(orphaning, "Names=m-*"));
        strstr(orphaning, "Names=m-*")[6] = 'n';
        assert_int_equal(tl_write_text(m->policy_path, orphaning), 0);
        mark = log_size(m);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);

        /* The rule back: still unsized, and not to be published. */
        assert_int_equal(tl_write_text(m->policy_path, good), 0);
        assert_int_equal(mgr_start_ready(m, NULL), 0);
        assert_int_equal(client_publish(m->socket_path, "m-over"), -EFBIG);
        assert_int_equal(client_unlink(m->socket_path, "m-over"), 0);
        assert_int_equal(mgr_kill_wait(m, SIGTERM), 0);
        assert_true(log_has(m, mark, "Object 'm-over': found sealed at 2097152 bytes with no "
                            "size recorded, and no rule governs it: it stays unsized."));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
                T(test_ready_and_serve),
                T(test_two_listeners),
                T(test_reload),
                T(test_reload_bad_policy),
                T(test_sigterm),
                T(test_watchdog),
                T(test_fdstore_memfd),
                T(test_fdstore_shm),
                T(test_fdstore_last_good_policy),
                T(test_fdstore_bad_policy_nothing_to_lose),
                T(test_fdstore_bad_policy_objects_kept),
                T(test_fdstore_push_fails),
                T(test_fdstore_process_creator_alive),
                T(test_fdstore_process_creator_died_while_down),
                T(test_fdstore_fresh_sealed_by_creator),
                T(test_fdstore_share),
                T(test_fdstore_fair_share),
                T(test_fdstore_last_slot_pidfd),
                T(test_fdstore_fresh_sealed_killed_at_start),
                T(test_fdstore_fresh_sealed_orphan),
                T(test_user_capabilities),
                T(test_systemd_socket_activate),
        };
#undef T

        /* A client that hangs up must not kill the test with SIGPIPE. */
        (void) signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests_name("systemd", tests, NULL, NULL) == 0 ? 0 : 1;
}
