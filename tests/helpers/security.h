/* SPDX-License-Identifier: MIT */
/*
 * security.h - shared pieces of the security suite (tests/integration/test-security*.c):
 * identities, policies, a fresh daemon per case with the four after-checks of every case
 * (control client served, fd count at baseline, no stray object, log lines), raw
 * protocol I/O, and clients of other uids run inside the test process.
 *
 * Built on harness.h. Functions named sec_*() assert with cmocka and may only be called from
 * a test body, never from a harness_run_as() child.
 */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "harness.h"
#include "macro.h"
#include "protocol.h"
#include "shmbroker.h"

/* Identities: the same numbers as test-broker.c. 41005 is the harness's control client. */
extern const struct harness_id sec_id_creator;  /* 41001: creates sec-* and secm-* */
extern const struct harness_id sec_id_writer;   /* 41002: may write them */
extern const struct harness_id sec_id_reader;   /* 41003: may read them */
extern const struct harness_id sec_id_outsider; /* 41004: nothing */
extern const struct harness_id sec_id_control;  /* 41005: ctl-* (harness rule) */
extern const struct harness_id sec_id_root;

/*
 * The default policy of the suite: sec-* (shm) and secm-* (memfd) created by 41001, written by
 * 41001 and 41002, read by 41003 and group 42001; owner 41001, group 42002 (nobody's), mode
 * 0640, at most 1M. big-*: 41001 only, up to 4M.
 */
extern const char sec_policy[];

/* The daemon's per-uid log burst (daemon/limits.h LIMIT_LOG_BURST, documented in
 * shmbrokerd(8)): at most this many client-triggered lines per uid per 10 s. */
#define SEC_LOG_BURST 20
#define SEC_LOG_INTERVAL_MS 10000

/* The default per-uid connection limit of the [Quota] section (MaxConnectionsPerUser=). */
#define SEC_DEFAULT_MAX_CONNECTIONS 64

/* ------------------------------------------------------------------------------------------
 * A fresh daemon per case
 */

/* Starts the daemon of this case (asserts it started). At most one at a time. */
struct harness_daemon *sec_start(const char *policy, const struct harness_daemon_options *opts);

/* The daemon of this case, or NULL. */
struct harness_daemon *sec_daemon(void);

/*
 * sec_finish() - the after-checks of every case, then stop the daemon:
 *  a. the control client (uid 41005) can create, open and unlink a segment;
 *  b. the daemon's fd count is back at its baseline (polled for up to 3 s);
 *  c. the object directory is empty (each case removes what it made on purpose);
 *  and the daemon exits 0 on SIGTERM, and the test process itself has as many fds open as
 *  when the case started its daemon (nothing a reply brought is leaked on the client side).
 *  (d, the error code and the log line, is each case's.)
 */
void sec_finish(void);

/* sec_finish() without c.: the case keeps its objects for a restart. */
void sec_finish_keeping_objects(void);

/* The daemon was killed on purpose: reap it and clean up without expecting exit 0. */
void sec_forget_killed(void);

/* The case closed @n fds of its own that were open when its daemon started (a restart in
 * the middle of a case: the processes it drives keep their pipes across it), so sec_finish()
 * expects that many fewer in the test process. */
void sec_self_fds_closed(int n);

/* Waits (at most 5 s) until the daemon's event loop sleeps in epoll_wait() with nothing
 * ready (harness_daemon_wait_idle()): what it holds then is what it holds at rest. Asserts. */
void sec_wait_idle(const struct harness_daemon *d);

/* a. and b. alone, for the middle of a case. */
void sec_assert_serving(const struct harness_daemon *d);
void sec_assert_fds_baseline(const struct harness_daemon *d);
/* c. alone. */
void sec_assert_no_objects(const struct harness_daemon *d);

/* Teardown of every case: stops a daemon left over by a failed assertion, undoes mounts and
 * sysctls. */
int sec_teardown(void **state);

/* Sets a sysctl (a path under /proc/sys) for this case; teardown restores the old value. */
void sec_set_sysctl(const char *path, const char *value);

/* Removes @path (a tree) in teardown, whatever happened. */
void sec_remove_later(const char *path);

/* Mounts a tmpfs with @options on a fresh directory for this case (unmounted and removed in
 * teardown). Returns the directory (static storage). */
const char *sec_mount_tmpfs(const char *options);

/* Writes @text to @path (mode 0644). */
void sec_write_file(const char *path, const char *text);

/*
 * Skips the case, saying why: for what this environment cannot do (mount a tmpfs, set a
 * sysctl, have a system user), never for something the daemon lacks. cmocka counts a skipped
 * case as passed, so every skip is also counted here, and the suite's main() exits 77 (SKIP
 * for automake) when any case was skipped and none failed.
 */
void sec_skip(const char *fmt, ...) _printf_(1, 2);
unsigned sec_n_skipped(void);

/*
 * A daemon whose CLOCK_MONOTONIC the case moves (tests/helpers/fakeclock.c, preloaded): put
 * sec_fakeclock_env() in harness_daemon_options.env, then sec_fakeclock_advance() makes the
 * daemon see that much more time passed, at once. The shim is $SHMB_FAKECLOCK (set by
 * make check). Only the daemon's reading of the clock moves; its timerfd tick does not.
 */
const char *const *sec_fakeclock_env(void);

/*
 * A daemon whose name service is slow for @uid (tests/helpers/slownss.c, preloaded): put
 * sec_slownss_env() in harness_daemon_options.env; getpwuid_r() of @uid then waits until
 * sec_slownss_open() opens the gate, and answers @name (a user of the daemon's alone, with a
 * group of that name and gid @uid), or no user with @name NULL. A sanitized daemon gets its
 * runtime preloaded first (tl_preload_value()). One per case.
 */
const char *const *sec_slownss_env(uid_t uid, const char *name);
/* The same for every uid from @first to @last, none of them named. */
const char *const *sec_slownss_env_range(uid_t first, uid_t last);

/* A name in /tmp that nothing has yet (@path_template ends in XXXXXX): a file a shim watches
 * for, a gate or an arm, made later by sec_create_path(), which asserts it did not exist. */
void sec_absent_path(char *path_template);
void sec_create_path(const char *path);
void sec_slownss_open(void);
/* Waits until a lookup is held at the gate (the shim marks it), at most HARNESS_TIMEOUT_MS. */
void sec_slownss_wait_held(void);
/* STATUS as root (free with shmb_status_free()), and one uid's usage from it (0, 0 when the
 * daemon has no entry for it: it holds no charge of that uid). */
struct shmb_status *sec_status(const struct harness_daemon *d);
void sec_usage(const struct harness_daemon *d, uid_t uid, uint64_t *ret_objects,
               uint64_t *ret_bytes);

/* Closes the gate again: the next lookup of the uid is held there. */
void sec_slownss_close(void);
void sec_fakeclock_advance(uint64_t usec);
/* Asserts that the daemon really runs with the shim loaded. */
void sec_assert_fakeclock(const struct harness_daemon *d);

/*
 * d. The number of log lines after @mark containing @needle (and @needle2, if not NULL) is in
 * [@min, @max]. The daemon's wording changes; what a case should count on is the uid and the
 * errno text, which every line about a refusal carries: sec_expect_log_error().
 */
void sec_expect_log(const struct harness_daemon *d, size_t mark, const char *needle,
                    const char *needle2, int min, int max);
void sec_expect_log_error(const struct harness_daemon *d, size_t mark, uid_t uid, int error,
                          int min, int max);

/* ------------------------------------------------------------------------------------------
 * Clients inside the test process (connected as another uid, see harness_become())
 */

/* A library client connected as @id. */
struct shmb_client *sec_client(const struct harness_daemon *d, const struct harness_id *id);

/* One library call on a fresh connection as @id. Return: 0 or -errno. A returned fd is closed
 * unless @ret_fd. */
int sec_create(const struct harness_daemon *d, const struct harness_id *id, const char *name,
               uint64_t size, int access, int *ret_fd);
int sec_open(const struct harness_daemon *d, const struct harness_id *id, const char *name,
             int access, int *ret_fd);
int sec_unlink(const struct harness_daemon *d, const struct harness_id *id, const char *name);

/* ------------------------------------------------------------------------------------------
 * Raw protocol
 */

/* A raw SEQPACKET connection as @id (NULL: root), 5 s timeouts. Asserts. */
int sec_raw_connect(const struct harness_daemon *d, const struct harness_id *id);

/* sendmsg() of one packet with @n_fds fds (MSG_NOSIGNAL). Return: 0 or -errno. */
int sec_raw_send(int fd, const void *buf, size_t len, const int *fds, size_t n_fds);

/* recvmsg() of one packet into @buf; fds into @fds (closed and *n_fds 0 on truncation).
 * Return: the length, 0 at EOF, -EMSGSIZE if truncated, or -errno. */
ssize_t sec_raw_recv(int fd, void *buf, size_t size, int *fds, size_t *n_fds);

/* Receives one reply and decodes it. Return: 0, -ECONNRESET at EOF, or -errno. The fd of an
 * fd reply goes to *ret_fd if given, else is closed. */
int sec_raw_reply(int fd, struct shmb_proto_reply *reply, int *ret_fd);

/* Sends @req and receives its reply (sec_raw_reply()). */
int sec_raw_call(int fd, const void *req, size_t len, struct shmb_proto_reply *reply,
                 int *ret_fd);

/* Asserts the next packet is REPLY_ERROR(@error) with @seq. */
void sec_expect_error(int fd, uint32_t seq, int error);

/* Asserts the connection ends: after at most an optional REPLY_ERROR(@error, seq 0) (any error
 * if @error is 0; none allowed if @error < 0), the next read gives EOF or ECONNRESET. */
void sec_expect_closed(int fd, int error);

/* Encoders that assert. Return: the packet length. */
size_t sec_enc_create(void *buf, uint32_t seq, const char *name, uint64_t size,
                      uint32_t access);
size_t sec_enc_open(void *buf, uint32_t seq, const char *name, uint32_t access);
size_t sec_enc_name(void *buf, uint16_t type, uint32_t seq, const char *name);

/* ------------------------------------------------------------------------------------------
 * Misc
 */

/* Open fds of this process. */
int sec_self_fd_count(void);

/* The daemon's user+system CPU time in ms (from /proc/PID/stat). */
long sec_daemon_cpu_ms(const struct harness_daemon *d);

/* A field of /proc/PID/status as a number (kB fields in kB), or asserts. */
unsigned long long sec_status_number(pid_t pid, const char *field);

/* The system user for --user: shmbroker-test (made with useradd if missing), else "daemon";
 * skips the case if neither can be had. */
const char *sec_service_user(uid_t *ret_uid, gid_t *ret_gid);

/* Whether $SHMBROKERD was built with ASan/UBSan (its memory use and start-up differ). */
bool sec_daemon_sanitized(void);

/* Runs $SHMBROKERD with @args (NULL-terminated) as root and returns its status and output. */
void sec_run_daemon(const char *const *args, struct harness_exec_result *ret);

/* Test groups, one per file. */
extern const struct CMUnitTest sec_tests_proto[];
extern const size_t sec_n_tests_proto;
extern const struct CMUnitTest sec_tests_auth[];
extern const size_t sec_n_tests_auth;
extern const struct CMUnitTest sec_tests_fs[];
extern const size_t sec_n_tests_fs;
extern const struct CMUnitTest sec_tests_dos[];
extern const size_t sec_n_tests_dos;
extern const struct CMUnitTest sec_tests_daemon[];
extern const size_t sec_n_tests_daemon;

#define SEC_TEST(fn) cmocka_unit_test_teardown(fn, sec_teardown)
