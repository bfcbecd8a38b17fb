/* SPDX-License-Identifier: MIT */
/*
 * soak.h - the soak test's shared state and its client processes.
 *
 * uids 41001-41004 run well-behaved clients, 41005-41010 misbehaving ones, so that a flood or
 * a quota-filling client never blocks a well-behaved one (quotas are per uid): what the
 * well-behaved clients see is what the daemon does to a normal user while others misbehave.
 */
#pragma once

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "soak-hist.h"
#include "soak-util.h"

#define SOAK_UID_FIRST 41001u
#define SOAK_N_UIDS 10u
#define SOAK_N_GOOD_UIDS 4u             /* 41001-41004; the rest misbehave */
#define SOAK_CONTROL_UID SOAK_UID_FIRST /* the after-run checks */

/* The [Quota] section of the policy. */
#define SOAK_MAX_OBJECTS 48u
#define SOAK_MAX_BYTES (UINT64_C(4) << 20)
#define SOAK_MAX_CONNECTIONS 16u

#define SOAK_MAX_SIZE (UINT64_C(256) << 10)     /* MaxSize= of s-* and m-* */
#define SOAK_RO_MAX_SIZE (UINT64_C(64) << 10)   /* MaxSize= of ro-* and rom-* */

/* Objects that live the whole run, written once by the control uid and then only read: ro-NN
 * (shm) and rom-NN (memfd), read-write for the well-behaved uids, read-only for the others. */
#define SOAK_N_SHARED 4u
#define SOAK_SHARED_SIZE (UINT64_C(16) << 10)

/* Objects one well-behaved client holds at most. */
#define SOAK_GOOD_OWN_MAX 8u

#define SOAK_ERRNO_SLOTS 256u           /* errno values above go to the last slot */
#define SOAK_NOTES 6u
#define SOAK_NOTE_LEN 240u

/* The phases of a run. The well-behaved clients start alone (the baseline: what their latency
 * is with nobody misbehaving); the misbehaving ones join them for the soak proper. */
enum soak_phase {
        SOAK_PHASE_BASELINE,
        SOAK_PHASE_SOAK,
        _SOAK_PHASE_MAX,
};

/* What a well-behaved client times: each call to the library, one request and its reply on
 * a connection it already has (no connect). */
enum soak_op {
        SOAK_OP_OPEN,           /* shmb_open() of its own objects and of the shared ones */
        SOAK_OP_CREATE,         /* shmb_create() */
        _SOAK_OP_MAX,
};

enum soak_scenario {
        SC_GOOD,                /* a well-behaved client's operations */
        SC_NEVER_READ,          /* pipelined requests, replies (with fds) never or partly read */
        SC_GARBAGE,             /* malformed packets: random bytes, bad header fields, oversize */
        SC_TRUNCATED,           /* a valid request cut short */
        SC_ATTACH_FDS,          /* requests carrying fds (SCM_RIGHTS), racing the accept */
        SC_IDLE,                /* idle connections, left to the idle timeout */
        SC_FLOOD,               /* connections up to and past MaxConnectionsPerUser= */
        SC_QUOTA,               /* creates until EDQUOT, and too large ones */
        SC_BATCH,               /* open-batch with good, denied and missing names */
        SC_CRASH_KILL,          /* a child SIGKILLed in the middle of its requests */
        SC_CRASH_EXIT,          /* a child exiting without closing, replies unread */
        SC_INVALID,             /* well-formed requests with bad names, sizes, rights */
        SC_RO_OPEN,             /* read-only opens of the shared objects, write attempts */
        _SC_MAX,
};

struct soak_worker {
        pid_t pid;
        uid_t uid;
        bool good;
        uint64_t ok;                            /* operations that did what they should */
        uint64_t corrupt;                       /* mapped content that was not what was written */
        uint64_t errors[SOAK_ERRNO_SLOTS];      /* failed operations by errno */
        uint64_t runs[_SC_MAX];
        uint64_t anomalies[_SC_MAX];            /* the daemon did something it should not */
        uint64_t kernel_refused_fds;    /* SC_ATTACH_FDS: sendmsg() refused (SO_PASSRIGHTS=0) */
        uint64_t delivered_fds;         /* SC_ATTACH_FDS: requests sent with their fds */
        unsigned n_notes;
        char notes[SOAK_NOTES][SOAK_NOTE_LEN];  /* the first anomalies, described */
        /* Well-behaved only: the latency of every timed call, by the phase it began and ended
         * in (a call across the switch is not counted). Written by this worker alone. */
        struct soak_hist latency[_SOAK_PHASE_MAX][_SOAK_OP_MAX];
};

struct soak_shared {
        volatile sig_atomic_t stop;
        volatile sig_atomic_t phase;            /* enum soak_phase, set by the parent */
        char socket_path[PATH_MAX];
        unsigned idle_timeout_s;
        size_t n_workers;
        struct soak_worker workers[];
};

const char *soak_scenario_name(int sc);

/* The name of shared object @i: "ro-%02u" or "rom-%02u" (@memfd). */
void soak_shared_name(char *buf, size_t size, unsigned i, bool memfd);

/* The body of worker process @i (already switched to its uid). Returns the exit status. */
int soak_worker_main(struct soak_shared *sh, size_t i, uint64_t seed);
