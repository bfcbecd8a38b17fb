/* SPDX-License-Identifier: MIT */
/*
 * soak-util.h - what shmb-soak needs around the clients: clocks, a private shmbrokerd with a
 * short --idle-timeout, its RSS and fd count, uid switching, raw protocol I/O and JSON strings.
 *
 * Adapted from tests/bench/bench-util.c and tests/helpers/security.c (which stay untouched):
 * no cmocka, every function returns 0 (or a count) or a negative errno value.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "protocol.h"

#define SOAK_PRINTF(a, b) __attribute__((format(printf, a, b)))

uint64_t soak_now_ns(void);
void soak_sleep_ms(unsigned ms);

/* ---- a private daemon ---- */

struct soak_daemon {
        pid_t pid;
        int exit_status;                /* wait status once reaped, else -1 */
        char run_dir[PATH_MAX];         /* /tmp/shmb-soak.XXXXXX: socket, policy, log */
        char shm_dir[PATH_MAX];         /* /dev/shm/shmb-soak.XXXXXX: --shm-dir */
        char socket_path[PATH_MAX];
        char policy_path[PATH_MAX];
        char log_path[PATH_MAX];
};

/*
 * Starts "$bin --socket S --policy P --shm-dir D --idle-timeout T --log-level L" with @policy
 * written to P, and waits until the socket accepts. The daemon's stderr goes to the log.
 */
int soak_daemon_start(const char *bin, const char *policy, unsigned idle_timeout_s,
                      const char *log_level, struct soak_daemon *d);

/* Whether the daemon still runs (reaps it if it exited, setting exit_status). */
bool soak_daemon_alive(struct soak_daemon *d);

/* SIGTERM, wait (SIGKILL after 10 s). Return: the wait status, or -errno. */
int soak_daemon_stop(struct soak_daemon *d);

/* Removes the run and object directories. */
void soak_daemon_cleanup(struct soak_daemon *d);

/* Prints the last @max_lines lines of the daemon's log to @f. */
void soak_daemon_print_log_tail(const struct soak_daemon *d, FILE *f, size_t max_lines);

/* VmRSS in KiB, or -errno. */
long soak_rss_kib(pid_t pid);

/* Entries of /proc/PID/fd, or -errno. */
int soak_fd_count(pid_t pid);

/* Removes a tree, not following symlinks. */
int soak_rm_rf(const char *path);

/* Entries of a directory (without . and ..), or -errno. */
int soak_dir_count(const char *path);

/* setgroups(0), setresgid(uid), setresuid(uid). */
int soak_become(uid_t uid);

/* ---- raw protocol ---- */

/* A raw SEQPACKET connection with send and receive timeouts of @timeout_ms. Return: fd or
 * -errno. */
int soak_raw_connect(const char *path, unsigned timeout_ms);

/* sendmsg() of one packet with @n_fds fds (MSG_NOSIGNAL | @flags). Return: 0 or -errno. */
int soak_raw_send(int fd, const void *buf, size_t len, const int *fds, size_t n_fds, int flags);

/* recvmsg() of one packet; fds into @fds (at most SHMB_PROTO_FDS_MAX; all closed and *n_fds
 * 0 on truncation). Return: the length, 0 at EOF, -EMSGSIZE if truncated, or -errno. */
ssize_t soak_raw_recv(int fd, void *buf, size_t size, int *fds, size_t *n_fds, int flags);

/*
 * Receives one reply and decodes it. Return: 0, -ECONNRESET at EOF, -EBADMSG if it does not
 * decode, or -errno. Fds that came go to @fds/@n_fds if @fds is not NULL, else are closed.
 */
int soak_raw_reply(int fd, struct shmb_proto_reply *reply, int *fds, size_t *n_fds);

/* Waits up to @timeout_ms for the peer to hang up. Every packet that arrives meanwhile is
 * read and its fds closed; *ret_packets counts them. Return: 1 hung up, 0 not, -errno. */
int soak_raw_wait_hangup(int fd, unsigned timeout_ms, unsigned *ret_packets);

/* A header for a packet of @len payload bytes. */
struct shmb_proto_header soak_header(uint16_t type, uint32_t seq, uint32_t len);

/* ---- JSON ---- */

void soak_json_string(FILE *f, const char *s);

/* ---- the content of segments ---- */

/* A tag from a name (FNV-1a). */
uint64_t soak_name_tag(const char *name);

/* Writes / checks a pattern derived from @tag: one word at the start of every 512 bytes and
 * the last word. @len is a multiple of 8. */
void soak_fill(void *p, size_t len, uint64_t tag);
bool soak_check(const void *p, size_t len, uint64_t tag);
