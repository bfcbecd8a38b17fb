/* SPDX-License-Identifier: MIT */
/*
 * bench-preload.h - the "preload" scenario of shmb-bench: what an unmodified program's
 * shm_open(3) costs through libshmbroker-preload.so, beside glibc's own on /dev/shm, in one
 * client process, interleaved. shmb-bench.c makes the rows; this file only measures.
 */
#pragma once

#include <sys/types.h>

#include "bench-util.h"

enum {
        BENCH_PRELOAD_OPEN_DIRECT,      /* glibc shm_open(O_RDWR) + mmap + munmap + close */
        BENCH_PRELOAD_OPEN_SHIM,        /* the same calls, the shim's shm_open() */
        BENCH_PRELOAD_CREATE_DIRECT,    /* shm_open(O_CREAT|O_EXCL) + ftruncate + close +
                                         * shm_unlink, glibc's */
        BENCH_PRELOAD_CREATE_SHIM,      /* the same, the shim's (create unsized, resize,
                                         * unlink: three round trips) */
        BENCH_PRELOAD_CACHED_DIRECT,    /* as OPEN_DIRECT, beside: */
        BENCH_PRELOAD_CACHED_SHIM,      /* the shim's shm_open with $SHMBROKER_PRELOAD_CACHE */
        _BENCH_PRELOAD_MAX,
};

struct bench_preload_job {
        const char *preload;            /* libshmbroker-preload.so */
        const char *socket;             /* the broker's socket, as $SHMBROKER_SOCKET */
        const char *direct_name;        /* an existing /dev/shm object of 4 KiB, for glibc */
        const char *broker_name;        /* one of 4 KiB through the broker, for the shim */
        const char *direct_create;      /* a free /dev/shm name, for glibc's creates */
        const char *broker_create;      /* a free name the client may create through the broker */
        uid_t open_uid;                 /* who opens (0: root) */
        uid_t create_uid;               /* who creates */
        int cpu;                        /* pin the client here, or -1 */
        double seconds;                 /* per pair of sides */
};

/*
 * Runs the open pair, the create pair and the open pair with the shim's open cache, each in
 * one forked client that dlopen()s the shim
 * (the very functions LD_PRELOAD would put in front of glibc's) and alternates blocks of both
 * sides until @job->seconds pass. Fills @ret[BENCH_PRELOAD_*]. Return: 0, or -errno (what
 * failed is printed).
 */
int bench_preload_measure(const struct bench_preload_job *job,
                          struct bench_stats ret[_BENCH_PRELOAD_MAX]);
