/* SPDX-License-Identifier: MIT */
/*
 * soak-util.h - what shmb-soak needs around the clients: a private shmbrokerd with a short
 * --idle-timeout, raw protocol replies and JSON strings; clocks, /proc sampling, uid switching
 * and raw packet I/O come from tests/helpers/testlib.h.
 *
 * No cmocka: every function returns 0 (or a count) or a negative errno value.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "protocol.h"
#include "../helpers/testlib.h"

#define SOAK_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---- a private daemon ---- */

struct soak_daemon {
        pid_t pid;
        int exit_status;                /* wait status once reaped, else -1 */
        struct tl_daemon_dirs dirs;     /* shmb-soak.XXXXXX in /tmp and /dev/shm */
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

/* The daemon keeps a directory of its own in the object directory, for removals
 * (shmbrokerd(8)): "<shm dir>/.shmbrokerd-trash.XXXXXXXX", empty between requests. */
#define SOAK_TRASH_PREFIX ".shmbrokerd-trash."

/*
 * The entries of the object directory @dir, but for the daemon's trash directory while it is
 * empty (anything left in it counts). Their names, quoted and separated by ", ", go to @names
 * (truncated to @size) if @names is not NULL. Return: the count, or -errno.
 */
int soak_shm_entries(const char *dir, char *names, size_t size);

/* Prints the last @max_lines lines of the daemon's log to @f. */
void soak_daemon_print_log_tail(const struct soak_daemon *d, FILE *f, size_t max_lines);

/* ---- raw protocol ---- */

/* A raw SEQPACKET connection with send and receive timeouts of @timeout_ms. Return: fd or
 * -errno. */
int soak_raw_connect(const char *path, unsigned timeout_ms);

/*
 * Receives one reply and decodes it. Return: 0, -ECONNRESET at EOF, -EBADMSG if it does not
 * decode, or -errno. Fds that came go to @fds/@n_fds if @fds is not NULL, else are closed.
 */
int soak_raw_reply(int fd, struct shmb_proto_reply *reply, int *fds, size_t *n_fds);

/* Waits up to @timeout_ms for the peer to hang up. Every packet that arrives meanwhile is
 * read and its fds closed; *ret_packets counts them. Return: 1 hung up, 0 not, -errno. */
int soak_raw_wait_hangup(int fd, unsigned timeout_ms, unsigned *ret_packets);

/* ---- JSON ---- */

void soak_json_string(FILE *f, const char *s);

/* ---- the content of segments ---- */

/* A tag from a name (FNV-1a). */
uint64_t soak_name_tag(const char *name);

/* Writes / checks a pattern derived from @tag: one word at the start of every 512 bytes and
 * the last word. @len is a multiple of 8. */
void soak_fill(void *p, size_t len, uint64_t tag);
bool soak_check(const void *p, size_t len, uint64_t tag);
