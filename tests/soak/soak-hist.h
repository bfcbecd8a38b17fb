/* SPDX-License-Identifier: MIT */
/*
 * soak-hist.h - a fixed-size log-scale latency histogram for shmb-soak: one per well-behaved
 * worker, phase and operation, in the shared memory the parent reads after the run.
 *
 * Adding a sample is a handful of integer operations on memory the worker owns alone: no
 * allocation, no lock, no system call. Values are nanoseconds. Below 2^SOAK_HIST_SUB_BITS
 * every value has its own bucket; above, each power of two is split into 2^SOAK_HIST_SUB_BITS
 * equal buckets, so a bucket is at most 1/16 of its lower bound wide (HdrHistogram's layout
 * with one significant hex digit). Values from 2^SOAK_HIST_MAX_EXP ns (about 18 minutes) on
 * share one last bucket.
 *
 * Not thread-safe, and not meant to be: one writer per histogram, read once the writer is done.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SOAK_HIST_SUB_BITS 4u
#define SOAK_HIST_SUB (1u << SOAK_HIST_SUB_BITS)
#define SOAK_HIST_MAX_EXP 40u
#define SOAK_HIST_BUCKETS ((SOAK_HIST_MAX_EXP - SOAK_HIST_SUB_BITS + 1u) * SOAK_HIST_SUB + 1u)

struct soak_hist {
        uint64_t count;
        uint64_t sum_ns;
        uint64_t max_ns;
        uint64_t buckets[SOAK_HIST_BUCKETS];
};

/* The bucket of @ns, and the largest value that falls into bucket @i. */
size_t soak_hist_bucket(uint64_t ns);
uint64_t soak_hist_bucket_max(size_t i);

/* Records one sample. */
void soak_hist_add(struct soak_hist *h, uint64_t ns);

/* Adds every sample of @from to @into. */
void soak_hist_merge(struct soak_hist *into, const struct soak_hist *from);

/*
 * soak_hist_quantile() - the @q quantile (0 < @q <= 1) of the samples: the largest value of the
 * bucket that holds the sample of rank ceil(@q * count), but never more than the largest sample
 * seen. So it is at most 1/16 above the true value, and never below it.
 *
 * Return: nanoseconds, or 0 if @h holds no sample.
 */
uint64_t soak_hist_quantile(const struct soak_hist *h, double q);

/*
 * soak_hist_quantile_timed() - the @q quantile of the samples weighted by their own length:
 * the latency of the call in progress at a moment picked at random while the client was in a
 * call. A client that calls in a loop (closed loop) is stuck in one call while the daemon
 * stalls, so a stall costs it one sample: 50 ms stalls every 250 ms leave the p99 of the
 * samples where it was, but are a fifth of the time. This weighting sees them. Each bucket
 * counts as its samples times the middle of the bucket (times the largest sample, for the last
 * bucket); the result is rounded as soak_hist_quantile()'s.
 *
 * Return: nanoseconds, or 0 if @h holds no sample.
 */
uint64_t soak_hist_quantile_timed(const struct soak_hist *h, double q);
