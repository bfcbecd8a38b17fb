/* SPDX-License-Identifier: MIT */
/*
 * testlib.h - the small helpers that the integration harness, the security suite, test-systemd,
 * shmb-bench and shmb-soak all need: clocks, files, /proc sampling, a private daemon's exec and
 * raw SOCK_SEQPACKET I/O with SCM_RIGHTS.
 *
 * No cmocka: usable from test binaries and stand-alone programs alike. Every function that can
 * fail returns 0 (or a count) on success and a negative errno value on failure.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol.h"

/* CLOCK_MONOTONIC. */
uint64_t tl_now_ns(void);
uint64_t tl_now_ms(void);

/* Sleeps @ms in full, resuming after signals. */
void tl_sleep_ms(unsigned ms);

/* Removes a tree, not following symlinks; a missing @path is not an error. */
int tl_rm_rf(const char *path);

/* Writes @text to @path (created 0644 or truncated, never through a symlink). */
int tl_write_text(const char *path, const char *text);

/* The value of LD_PRELOAD for a daemon that is to load @shim: @shim, after the sanitizer's
 * runtime ($SHMB_ASAN_RUNTIME, set by make check in a sanitizer build), which must come
 * first. Written to @buf; returns it. */
const char *tl_preload_value(const char *shim, char *buf, size_t size);

/* The whole file as a NUL-terminated string (free() it), or NULL with errno set. */
char *tl_read_text(const char *path);

/* Entries of a directory (without . and ..), or -errno. */
int tl_dir_count(const char *path);

/* Entries of /proc/PID/fd, or -errno. */
int tl_proc_fd_count(pid_t pid);

/* VmRSS of @pid in KiB, or -errno (-ENODATA without a VmRSS line). */
long tl_proc_rss_kib(pid_t pid);

/* /proc/PID/schedstat of @pid's main thread: nanoseconds on a CPU, nanoseconds waiting on a
 * run queue, and how many times it was put on a CPU. 0, or -errno (-ENOENT: the kernel has no
 * schedstat, CONFIG_SCHED_INFO). */
struct tl_schedstat {
        unsigned long long run_ns, wait_ns, count;
};
int tl_proc_schedstat(pid_t pid, struct tl_schedstat *ret);

/* setgroups(0), setresgid(uid), setresuid(uid). */
int tl_become(uid_t uid);

/* Where a private daemon keeps its files. */
struct tl_daemon_dirs {
        char run_dir[PATH_MAX];         /* /tmp/NAME.XXXXXX: socket, policy, log */
        char shm_dir[PATH_MAX];         /* /dev/shm/NAME.XXXXXX: --shm-dir */
        char state_dir[PATH_MAX];       /* run_dir/state: --state-dir (the daemon makes it) */
        char socket_path[PATH_MAX];
        char policy_path[PATH_MAX];
        char log_path[PATH_MAX];
};

/*
 * Makes both directories (mode 0755: client processes of other uids must reach the socket),
 * names the socket, policy and log in the run directory and writes @policy to the policy file.
 * On failure what was made stays for tl_daemon_dirs_remove(); a directory not made is "".
 */
int tl_daemon_dirs_make(struct tl_daemon_dirs *dirs, const char *name, const char *policy);

/* Removes both directories and forgets them. */
void tl_daemon_dirs_remove(struct tl_daemon_dirs *dirs);

/* A SOCK_SEQPACKET socket connected to @path (CLOEXEC), or -errno. */
int tl_connect_seqpacket(const char *path);

/* Whether a SOCK_SEQPACKET connect() to @path succeeds now. */
bool tl_socket_accepts(const char *path);

/* Removes what a service manager would pass (LISTEN_*, NOTIFY_SOCKET, WATCHDOG_*) from the
 * environment, so that a daemon exec'd afterwards is neither socket-activated nor notifying. */
void tl_unset_service_env(void);

/*
 * In a forked child: default SIGINT, SIGTERM, SIGHUP, SIGPIPE and SIGCHLD, its own process
 * group, SIGTERM when the parent dies, stdin from /dev/null and stdout and stderr to @log_fd,
 * the service environment and JOURNAL_STREAM removed, then execv(@bin, @argv). Never returns.
 */
_Noreturn void tl_exec_daemon(const char *bin, char *const *argv, int log_fd);

/* Forks and runs tl_exec_daemon() with its output in @log_path (truncated). Returns 0 and the
 * child's pid, or -errno. */
int tl_daemon_spawn(const char *bin, char *const *argv, const char *log_path, pid_t *ret_pid);

/* sendmsg() of one packet with @n_fds fds (MSG_NOSIGNAL | @flags). Return: 0 or -errno. */
int tl_raw_send(int fd, const void *buf, size_t len, const int *fds, size_t n_fds, int flags);

/* recvmsg() of one packet; fds into @fds (at most SHMB_PROTO_FDS_MAX; all closed and *n_fds
 * 0 on truncation). Return: the length, 0 at EOF, -EMSGSIZE if truncated, or -errno. */
ssize_t tl_raw_recv(int fd, void *buf, size_t size, int *fds, size_t *n_fds, int flags);

/* A header for a packet of @len payload bytes. */
struct shmb_proto_header tl_proto_header(uint16_t type, uint32_t seq, uint32_t len);
