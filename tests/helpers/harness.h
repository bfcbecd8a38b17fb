/* SPDX-License-Identifier: MIT */
/*
 * harness.h - run a real shmbrokerd for integration tests, and act as other users against it.
 *
 * A test starts a daemon on a private socket, policy file and object directory (a fresh
 * directory under /dev/shm), runs client code in forked children that switch to the fixed test
 * uids and gids below, runs shmbrokerctl as those users, and stops the daemon, checking that it
 * exits 0 on SIGTERM. Every wait is bounded.
 *
 * Not here: assertions about the broker (the tests make those) and anything needing the source
 * tree. The harness needs root to switch identities; the tests skip themselves without it.
 * Functions return 0 (or a count) on success and a negative errno value on failure, and print
 * what went wrong to stderr so that a failed assertion comes with its reason.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <unistd.h>

#include "testlib.h"

/*
 * Test identities: numeric ids unlikely to exist on any host. They need not be in /etc/passwd;
 * policies name them by number (users) and @number (groups).
 */
#define HARNESS_UID_1 41001
#define HARNESS_UID_2 41002
#define HARNESS_UID_3 41003
#define HARNESS_UID_4 41004
#define HARNESS_UID_5 41005
#define HARNESS_GID_1 42001
#define HARNESS_GID_2 42002
#define HARNESS_GID_3 42003

/*
 * Every daemon the harness starts gets this rule appended to its policy (unless told not to),
 * so that a control client, uid HARNESS_UID_5, can show after each test that the daemon still
 * serves: it may create, open and unlink ctl-* segments.
 */
#define HARNESS_CONTROL_UID HARNESS_UID_5
#define HARNESS_CONTROL_GID HARNESS_GID_3
#define HARNESS_CONTROL_RULE                    \
        "\n"                                    \
        "[Segment harness-control]\n"           \
        "Names=ctl-*\n"                         \
        "Create=41005\n"                        \
        "ReadWrite=41005\n"                     \
        "Owner=41005\n"                         \
        "Group=42003\n"                         \
        "Mode=0600\n"                           \
        "MaxSize=64K\n"

/* How long the harness waits for anything: a daemon to listen or stop, a child to finish. */
#define HARNESS_TIMEOUT_MS 10000

struct harness_daemon {
        pid_t pid;
        char run_dir[PATH_MAX];         /* /tmp/shmb-test.XXXXXX, mode 0755 */
        char shm_dir[PATH_MAX];         /* /dev/shm/shmb-test.XXXXXX, mode 0755 */
        char state_dir[PATH_MAX + 8];   /* shm_dir + ".state": --state-dir, made by the daemon;
                                         * kept and removed together with shm_dir, so that a
                                         * restart on the same shm_dir finds its registry */
        char socket_path[PATH_MAX];     /* run_dir/socket */
        char policy_path[PATH_MAX];     /* run_dir/policy.conf */
        char log_path[PATH_MAX];        /* run_dir/daemon.log: the daemon's stdout and stderr */
        int n_fds_start;                /* open fds once the daemon listened and settled */
        bool keep_shm_dir;              /* not removed at stop (set it to keep the objects);
                                         * the state directory neither */
};

struct harness_daemon_options {
        const char *const *extra_args;  /* NULL-terminated arguments appended, or NULL */
        bool set_umask;                 /* start the daemon with this umask */
        mode_t umask;
        bool no_control_rule;           /* do not append HARNESS_CONTROL_RULE */
        const char *shm_parent;         /* where to make the object directory; NULL: /dev/shm */
        /* Added for the security suite; all off when zero. */
        const char *socket_path;        /* listen here instead of run_dir/socket */
        mode_t shm_dir_mode;            /* mode of the object directory; 0: 0755 */
        unsigned long nofile_soft;      /* RLIMIT_NOFILE the daemon starts with; 0: inherit */
        unsigned long nofile_hard;      /* (both must be set) */
        bool new_pid_ns;                /* run the daemon as pid 1 of a new pid namespace */
        unsigned long long capbset_drop; /* capabilities (bit = CAP_*) dropped from the
                                          * bounding set before exec */
        const char *shm_dir;            /* an existing object directory to use as it is (a
                                         * restart); it is not removed at stop */
        const char *const *wrapper;     /* NULL-terminated command run in front of the daemon
                                         * (it must exec it in the same process), or NULL */
        bool seccomp_deny_resources;    /* setrlimit, prlimit64 and openat2 fail with EPERM,
                                         * as under SystemCallFilter=~@resources and
                                         * RestrictSUIDSGID=yes */
        const char *const *env;         /* NULL-terminated "NAME=VALUE" strings added to the
                                         * daemon's environment, or NULL */
};

/**
 * harness_daemon_start() - start $SHMBROKERD on a fresh socket, policy and object directory.
 * @policy: the policy text, written to a file and passed with --policy.
 * @opts: extra arguments and umask, or NULL.
 * @ret: on success, the running daemon; stop it with harness_daemon_stop().
 *
 * Runs "$SHMBROKERD --socket SOCK --policy FILE --shm-dir DIR --state-dir STATE [extra args]"
 * (without --state-dir when $SHMB_TEST_NO_STATE_DIR is set: a daemon from before the registry
 * refuses the option; only for running regression tests against old code) with stdin from
 * /dev/null and stdout and stderr to the log file, then polls the socket every 10 ms until a
 * connection succeeds. Fails when $SHMBROKERD is unset, when the daemon exits first (its log
 * is printed), or after HARNESS_TIMEOUT_MS.
 *
 * Return: 0, or -errno.
 */
int harness_daemon_start(const char *policy, const struct harness_daemon_options *opts,
                         struct harness_daemon **ret);

/**
 * harness_daemon_stop() - SIGTERM the daemon, reap it, remove its directories, free @d.
 * @d: a daemon, or NULL.
 *
 * After HARNESS_TIMEOUT_MS the daemon is SIGKILLed. The directories are removed and @d freed
 * in every case.
 *
 * Return: 0 when the daemon exited with status 0, -ETIMEDOUT when it had to be killed,
 * -EPROTO when it exited otherwise or was already dead.
 */
int harness_daemon_stop(struct harness_daemon *d);

/* The daemon's log so far, NUL-terminated and malloc'ed, or NULL on error. */
char *harness_daemon_log(const struct harness_daemon *d);

/* True while the daemon process exists and has not exited (it is never reaped here). */
bool harness_daemon_alive(const struct harness_daemon *d);

/* The number of entries in /proc/PID/fd, or -errno. */
int harness_daemon_fd_count(const struct harness_daemon *d);

/**
 * harness_daemon_wait_fd_count() - wait until the daemon has @n fds open.
 *
 * The daemon closes a connection's fd when it sees the hang-up, a little after the client
 * closed it, so a count taken right after a client exits may still be one too high.
 *
 * Return: the last count seen (== @n on success, after at most @timeout_ms), or -errno.
 */
int harness_daemon_wait_fd_count(const struct harness_daemon *d, int n, unsigned timeout_ms);

/* Path of @name in the daemon's object directory, in a static buffer. */
const char *harness_shm_path(const struct harness_daemon *d, const char *name);

/* An identity to run as: setgroups(n_groups, groups), setresgid(gid), setresuid(uid). */
#define HARNESS_GROUPS_MAX 128
struct harness_id {
        uid_t uid;
        gid_t gid;
        size_t n_groups;
        gid_t groups[HARNESS_GROUPS_MAX];
};

/* Results of harness_run_as() that no child exit status can give. */
enum {
        HARNESS_CHILD_CHECK_FAILED = 254,       /* exit status: a CHILD_CHECK() failed */
        HARNESS_CHILD_SETID_FAILED = 253,       /* exit status: could not switch identity */
        HARNESS_CHILD_SIGNALED = 1000,          /* the child died from a signal */
        HARNESS_CHILD_TIMEOUT = 1001,           /* killed after HARNESS_TIMEOUT_MS */
        HARNESS_CHILD_FORK_FAILED = 1002,
};

/**
 * harness_run_as() - run @fn(@userdata) in a forked child as @id.
 *
 * The child switches identity (setgroups, setresgid, setresuid, in that order, each checked),
 * calls @fn and _exit()s with its result: 0 means success, anything else failure (clamped to
 * 1..255; values below 200 are free for the caller's own meaning, such as an errno). The
 * parent waits at most HARNESS_TIMEOUT_MS, then SIGKILLs the child. The child
 * inherits the test process's memory, so @userdata can carry anything in; nothing comes back
 * but the result, so the child checks for itself with CHILD_CHECK().
 *
 * Return: the child's exit status, or HARNESS_CHILD_SIGNALED, HARNESS_CHILD_TIMEOUT,
 * HARNESS_CHILD_FORK_FAILED.
 */
int harness_run_as(const struct harness_id *id, int (*fn)(void *userdata), void *userdata);

/*
 * For use inside a harness_run_as() child only: on failure, print where and what, and make the
 * child fail. cmocka's asserts cannot be used there (they would longjmp inside the child).
 */
#define CHILD_CHECK(cond)                                                               \
        do {                                                                            \
                if (!(cond)) {                                                          \
                        fprintf(stderr, "%s:%d: child (uid %u): check failed: %s\n",    \
                                __FILE__, __LINE__, (unsigned) geteuid(), #cond);       \
                        return HARNESS_CHILD_CHECK_FAILED;                              \
                }                                                                       \
        } while (0)

/* As CHILD_CHECK(a == b) for integers, printing both values. */
#define CHILD_CHECK_EQ(a, b)                                                            \
        do {                                                                            \
                long long _a_ = (long long) (a), _b_ = (long long) (b);                 \
                if (_a_ != _b_) {                                                       \
                        fprintf(stderr, "%s:%d: child (uid %u): check failed: "         \
                                "%s == %s (%lld != %lld)\n", __FILE__, __LINE__,        \
                                (unsigned) geteuid(), #a, #b, _a_, _b_);                \
                        return HARNESS_CHILD_CHECK_FAILED;                              \
                }                                                                       \
        } while (0)

/* Output of a program run by harness_exec(). */
struct harness_exec_result {
        int status;             /* exit status 0..255, or -signal, or -ETIMEDOUT on timeout */
        char *out;              /* stdout, NUL-terminated (may also hold NULs) */
        size_t out_len;
        char *err;              /* stderr, NUL-terminated */
        size_t err_len;
};

void harness_exec_result_done(struct harness_exec_result *r);

/**
 * harness_exec() - run a program as @id with @in on its stdin, capturing stdout and stderr.
 * @id: who to run as, or NULL to stay root.
 * @argv: the program (argv[0], a path) and its arguments, NULL-terminated.
 * @in, @in_len: bytes for stdin, then EOF; @in may be NULL.
 * @ret: on success, the status and output; release with harness_exec_result_done().
 *
 * The program gets the test's environment with LC_ALL=C (so that strerror() texts are the
 * English ones) and default SIGPIPE handling. Killed after HARNESS_TIMEOUT_MS.
 *
 * Return: 0 when the program ran (whatever its status), or -errno.
 */
int harness_exec(const struct harness_id *id, const char *const *argv, const void *in,
                 size_t in_len, struct harness_exec_result *ret);

/**
 * harness_ctl() - run "$SHMBROKERCTL --socket SOCK ARGS..." as @id, as harness_exec().
 * @args: the arguments after --socket, NULL-terminated.
 */
int harness_ctl(const struct harness_daemon *d, const struct harness_id *id,
                const char *const *args, const void *in, size_t in_len,
                struct harness_exec_result *ret);

/* ------------------------------------------------------------------------------------------
 * Added for the security suite (tests/integration/test-security*.c).
 */

/* The size of the daemon's log now: a mark to count lines written after it. */
size_t harness_daemon_log_mark(const struct harness_daemon *d);

/* Lines of the log after @mark that contain @needle (and, if not NULL, also @needle2). */
int harness_daemon_log_count(const struct harness_daemon *d, size_t mark, const char *needle,
                             const char *needle2);

/* Waits until a line after @mark contains @needle. Return: 0, or -ETIMEDOUT. */
int harness_daemon_wait_log(const struct harness_daemon *d, size_t mark, const char *needle,
                            unsigned timeout_ms);

/* Waits until at least @n lines after @mark contain @needle. Return: the count then (less
 * than @n after @timeout_ms), or -errno. */
int harness_daemon_wait_log_lines(const struct harness_daemon *d, size_t mark, const char *needle,
                                  int n, unsigned timeout_ms);

/* SIGSTOP the daemon and wait until it is stopped; SIGCONT it. Return: 0 or -errno. */
int harness_daemon_pause(const struct harness_daemon *d);
int harness_daemon_resume(const struct harness_daemon *d);

/* The daemon keeps one directory of its own in the object directory, for removals. */
#define HARNESS_TRASH_PREFIX ".shmbrokerd-trash."

/*
 * The entries of the object directory (but for the daemon's own empty trash directory), as a
 * count; their names (comma separated, cut to fit)
 * in @names if not NULL. Return: the count, or -errno.
 */
int harness_shm_entries(const struct harness_daemon *d, char *names, size_t size);

/* A "Field:" line of /proc/PID/status (or /proc/PID/task/TID/status with @tid > 0), without
 * the field name and leading blanks. Return: 0, or -errno (-ENOENT: no such field). */
int harness_proc_status(pid_t pid, pid_t tid, const char *field, char *buf, size_t size);

/*
 * harness_become() - take the effective identity @id in this process (groups, egid, euid),
 * keeping root as real and saved uid so that harness_unbecome() can go back. Meant for
 * connect(): SO_PEERCRED and SO_PEERGROUPS record who connected, so a socket connected in
 * between keeps @id as its peer identity while the test process goes on as root. Aborts the
 * process if it cannot go back (a test must never go on half-privileged).
 */
int harness_become(const struct harness_id *id);
void harness_unbecome(void);

/* A SOCK_SEQPACKET (or @type) socket connected to @path as @id (NULL: root), with 5 s send
 * and receive timeouts. Return: the fd, or -errno. */
int harness_connect_as(const char *path, int type, const struct harness_id *id);

/* ------------------------------------------------------------------------------------------
 * Waiting on what a process is doing, instead of sleeping (tests/helpers/harness.c).
 */

/* The system call that @pid (its thread @tid if > 0) is blocked in, from /proc/PID/syscall:
 * its number, or -EBUSY while the thread runs (or is blocked outside a system call), or
 * -errno. A thread that has been woken is "running", but a wakeup still on its way to another
 * CPU is not seen yet (harness_daemon_wait_idle() allows for it). */
long harness_proc_syscall(pid_t pid, pid_t tid);

/* Waits until @pid is blocked in system call @nr (a SYS_* number). Return: 0, -ETIMEDOUT,
 * or -errno. */
int harness_wait_syscall(pid_t pid, long nr, unsigned timeout_ms);

/*
 * harness_daemon_wait_idle() - wait until the daemon's event loop sleeps in epoll_wait().
 *
 * The loop is level-triggered, so it only sleeps when no fd it watches is ready: once it does,
 * everything a client sent before the call has been read, or the daemon has chosen not to read
 * it (a connection held back for its unread replies, a listener paused at EMFILE). What it
 * holds then (fds, replies) is what it holds at rest, not a moment in the middle of a request.
 * A daemon that spins never sleeps there. It must be seen there twice, 20 ms apart, without
 * having run in between: a wakeup can be on its way for that long (harness.c). Return: 0,
 * -ETIMEDOUT, or -errno.
 */
int harness_daemon_wait_idle(const struct harness_daemon *d, unsigned timeout_ms);

/* Waits until the child @pid has exited, without reaping it (waitpid() still sees its
 * status). Return: 0, -ETIMEDOUT, or -errno. */
int harness_wait_exit(pid_t pid, unsigned timeout_ms);
/* The same for the daemon (harness_daemon_stop() still sees its status). */
int harness_daemon_wait_exit(const struct harness_daemon *d, unsigned timeout_ms);
