/* SPDX-License-Identifier: MIT */
/*
 * bench-util.h - what shmb-bench needs around the measurements: clocks, statistics, a private
 * shmbrokerd, client processes of other uids, the machine's description, and JSON output.
 *
 * Every function returns 0 (or a count) on success and a negative errno value on failure, and
 * prints what went wrong to stderr.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../helpers/testlib.h"

#define BENCH_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Set by SIGINT/SIGTERM in the bench process; every loop checks it. */
extern volatile int bench_interrupted;
void bench_install_signals(void);

void bench_sleep_ms(unsigned ms);

/* ---- statistics over latency samples (nanoseconds) ---- */

struct bench_stats {
        size_t n;
        double median_us;
        double p99_us;
        double mean_us;
};

/* Sorts @samples in place. */
void bench_stats_compute(uint32_t *samples, size_t n, struct bench_stats *ret);

/* ---- a private daemon ---- */

struct bench_daemon {
        pid_t pid;
        const char *bin;
        bool naive;                     /* the naive broker, not shmbrokerd */
        struct tl_daemon_dirs dirs;     /* shmb-bench.XXXXXX in /tmp and /dev/shm */
};

/* Passes "--kept-fds @n" to every shmbrokerd started from now on (@n borrowed; NULL: not). */
void bench_daemon_set_kept_fds(const char *n);

/*
 * Starts "$bin --socket S --policy P --shm-dir D --log-level warning" with the policy text
 * written to P, and waits until the socket accepts. The daemon's stderr goes to the log.
 */
int bench_daemon_start(const char *bin, const char *policy, struct bench_daemon **ret);

/*
 * Starts the naive broker "$bin SOCKET" (tests/bench/naive-broker.c) the same way, in its own
 * directories (shmb-bench-naive.XXXXXX; it uses only the socket and the log). Stop it with
 * bench_daemon_stop(). Talk to it with naive_open() (naive-broker.h).
 */
int bench_naive_start(const char *bin, struct bench_daemon **ret);

/* SIGTERM, wait (SIGKILL after 10 s), print the log if it exited badly, remove directories. */
int bench_daemon_stop(struct bench_daemon *d);

/* Stops @d (it must exit 0) and starts it again on the same directories: its objects and
 * registry. *ret_ns: from the exec until the socket accepted. */
int bench_daemon_restart(struct bench_daemon *d, uint64_t *ret_ns);

/* Stops every daemon still running (for the exit path). */
void bench_daemon_stop_all(void);

/* VmRSS in KiB, or -errno. */
long bench_daemon_rss_kib(const struct bench_daemon *d);

/* Entries of /proc/PID/fd, or -errno. */
int bench_daemon_fd_count(const struct bench_daemon *d);

/* CPU time of process @pid (all its threads), utime + stime from /proc/PID/stat, in seconds
 * (a resolution of one clock tick, 1/sysconf(_SC_CLK_TCK) s), or NaN. */
double bench_proc_cpu_seconds(pid_t pid);

/* How long the main thread of @pid has waited on a run queue (runnable, not running), in
 * seconds: the second field of /proc/PID/schedstat (nanoseconds). NaN if the kernel has no
 * schedstat (CONFIG_SCHED_INFO). */
double bench_proc_wait_seconds(pid_t pid);

/* Runs "$bin --check-policy --policy FILE" on @policy: 1 accepted, 0 refused, <0 error. */
int bench_policy_accepted(const char *bin, const char *policy);

/* ---- client processes ---- */

/*
 * A group of forked children, each switched to its own uid (and a gid of the same number, no
 * supplementary groups), that set up, report ready, wait for "go", run and exit. They die with
 * the parent (PR_SET_PDEATHSIG).
 */
struct bench_children {
        size_t n;
        pid_t *pids;
        int ready_fd;   /* parent reads one byte per ready child */
        int go_fd;      /* parent closes it: go */
};

/*
 * Forks @n children; child i becomes uid @uid_base + @uid_step * i (no switch when @uid_base
 * is 0; with @uid_step 0 they all become @uid_base) and
 * calls @fn(i, @userdata, wait_go) where wait_go() must be called once the child is set up:
 * it reports ready and blocks until the parent says go. The child exits with @fn's return
 * value (0 = success).
 */
int bench_children_start(size_t n, uid_t uid_base, uid_t uid_step,
                         int (*fn)(size_t i, void *userdata, void (*wait_go)(void)),
                         void *userdata, struct bench_children *ret);

/* Waits until every child is ready (or one exits), within @timeout_ms. */
int bench_children_wait_ready(struct bench_children *c, unsigned timeout_ms);

/* Says go. */
void bench_children_go(struct bench_children *c);

/* Reaps every child (SIGKILL after @timeout_ms). Return: 0 if all exited 0, else -EPROTO. */
int bench_children_finish(struct bench_children *c, unsigned timeout_ms);

/* Shared anonymous memory, visible to children forked afterwards. */
void *bench_shared_alloc(size_t size);
void bench_shared_free(void *p, size_t size);

/* ---- the machine ---- */

struct bench_machine {
        long cpus;
        char cpu_model[256];
        char kernel[256];
        char hostname[256];
        long mem_total_mib;
        char date[64];
};

void bench_machine_get(struct bench_machine *m);

/* CPU time of the whole machine, from /proc/stat, in seconds. */
struct bench_cpu {
        double busy;            /* user, nice, system, irq, softirq, steal */
        double total;           /* busy + idle + iowait */
};

int bench_cpu_sample(struct bench_cpu *ret);

/* CPU seconds used by this process and its reaped children. */
double bench_cpu_self(void);

/* ---- JSON ---- */

/* Writes @s as a JSON string (with quotes). */
void bench_json_string(FILE *f, const char *s);
/* Writes a number, or null for NaN. */
void bench_json_number(FILE *f, double v);
