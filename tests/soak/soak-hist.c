/* SPDX-License-Identifier: MIT */
/*
 * soak-hist.c - the log-scale latency histogram of shmb-soak (see soak-hist.h). Pure: no I/O,
 * no allocation; tests/soak/test-soak-hist.c checks it against sorted samples.
 */
#include "soak-hist.h"

size_t soak_hist_bucket(uint64_t ns)
{
        unsigned e;

        if (ns < SOAK_HIST_SUB)
                return (size_t) ns;
        e = 63u - (unsigned) __builtin_clzll(ns);       /* ns >= 16: e >= 4 */
        if (e >= SOAK_HIST_MAX_EXP)
                return SOAK_HIST_BUCKETS - 1;
        /* The top SOAK_HIST_SUB_BITS + 1 bits of ns, the leading 1 dropped, pick the bucket
         * within the power of two; the powers of two follow the SOAK_HIST_SUB exact ones. */
        return (size_t) (e - SOAK_HIST_SUB_BITS + 1u) * SOAK_HIST_SUB +
               (size_t) ((ns >> (e - SOAK_HIST_SUB_BITS)) & (SOAK_HIST_SUB - 1u));
}

uint64_t soak_hist_bucket_max(size_t i)
{
        unsigned e, s;

        if (i < SOAK_HIST_SUB)
                return i;
        if (i >= SOAK_HIST_BUCKETS - 1)
                return UINT64_MAX;
        e = (unsigned) (i / SOAK_HIST_SUB) + SOAK_HIST_SUB_BITS - 1u;
        s = (unsigned) (i % SOAK_HIST_SUB);
        return ((uint64_t) (SOAK_HIST_SUB + s + 1u) << (e - SOAK_HIST_SUB_BITS)) - 1u;
}

void soak_hist_add(struct soak_hist *h, uint64_t ns)
{
        h->buckets[soak_hist_bucket(ns)]++;
        h->count++;
        h->sum_ns += ns;
        if (ns > h->max_ns)
                h->max_ns = ns;
}

void soak_hist_merge(struct soak_hist *into, const struct soak_hist *from)
{
        size_t i;

        for (i = 0; i < SOAK_HIST_BUCKETS; i++)
                into->buckets[i] += from->buckets[i];
        into->count += from->count;
        into->sum_ns += from->sum_ns;
        if (from->max_ns > into->max_ns)
                into->max_ns = from->max_ns;
}

/* The largest value of bucket @i, but not above the largest sample seen. */
static uint64_t bucket_top(const struct soak_hist *h, size_t i)
{
        uint64_t v = soak_hist_bucket_max(i);

        return v < h->max_ns ? v : h->max_ns;
}

uint64_t soak_hist_quantile(const struct soak_hist *h, double q)
{
        uint64_t rank, seen = 0;
        double x;
        size_t i;

        if (h->count == 0)
                return 0;
        if (!(q > 0))
                q = 0;
        if (q > 1)
                q = 1;
        /* ceil(), but 0.99 * 100 is 99.000000000000014 in binary: that is rank 99. */
        x = q * (double) h->count;
        rank = (uint64_t) x;
        if ((double) rank < x - 1e-6)
                rank++;
        if (rank < 1)
                rank = 1;
        for (i = 0; i < SOAK_HIST_BUCKETS; i++) {
                seen += h->buckets[i];
                if (seen >= rank)
                        break;
        }
        return bucket_top(h, i < SOAK_HIST_BUCKETS ? i : SOAK_HIST_BUCKETS - 1);
}

/* What bucket @i weighs per sample: its middle, or the largest sample for the last one. */
static double bucket_weight(const struct soak_hist *h, size_t i)
{
        uint64_t lo = i == 0 ? 0 : soak_hist_bucket_max(i - 1) + 1;

        if (i == SOAK_HIST_BUCKETS - 1)
                return (double) h->max_ns;
        return ((double) lo + (double) soak_hist_bucket_max(i)) / 2;
}

uint64_t soak_hist_quantile_timed(const struct soak_hist *h, double q)
{
        double total = 0, seen = 0, want;
        size_t i;

        if (h->count == 0)
                return 0;
        for (i = 0; i < SOAK_HIST_BUCKETS; i++)
                total += (double) h->buckets[i] * bucket_weight(h, i);
        if (!(q > 0))
                q = 0;
        if (q > 1)
                q = 1;
        want = q * total;
        for (i = 0; i < SOAK_HIST_BUCKETS; i++) {
                if (h->buckets[i] == 0)
                        continue;
                seen += (double) h->buckets[i] * bucket_weight(h, i);
                /* Ties go to the lower bucket, with a margin for rounding. */
                if (seen >= want * (1 - 1e-12))
                        return bucket_top(h, i);
        }
        return h->max_ns;
}
