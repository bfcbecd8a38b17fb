/* SPDX-License-Identifier: MIT */
/*
 * siphash.c - SipHash-2-4, as in the reference implementation (public domain,
 * https://github.com/veorq/SipHash); little-endian words, 2 compression and 4 finalization
 * rounds.
 */
#include <string.h>

#include "siphash.h"

#define ROTL(x, b) (uint64_t) (((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t load64(const uint8_t *p)
{
        uint64_t v = 0;
        int i;

        for (i = 7; i >= 0; i--)
                v = (v << 8) | p[i];
        return v;
}

#define SIPROUND()                                                                         \
        do {                                                                               \
                v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                 \
                v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                     \
                v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                     \
                v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                 \
        } while (0)

uint64_t siphash24(const void *data, size_t len, const uint8_t key[16])
{
        const uint8_t *in = data, *end = in + len - (len % 8);
        uint64_t k0 = load64(key), k1 = load64(key + 8);
        uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ k0;
        uint64_t v1 = UINT64_C(0x646f72616e646f6d) ^ k1;
        uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ k0;
        uint64_t v3 = UINT64_C(0x7465646279746573) ^ k1;
        uint64_t b = (uint64_t) len << 56, m;
        uint8_t last[8] = {};

        for (; in != end; in += 8) {
                m = load64(in);
                v3 ^= m;
                SIPROUND();
                SIPROUND();
                v0 ^= m;
        }
        memcpy(last, in, len % 8);
        b |= load64(last);
        v3 ^= b;
        SIPROUND();
        SIPROUND();
        v0 ^= b;
        v2 ^= 0xff;
        SIPROUND();
        SIPROUND();
        SIPROUND();
        SIPROUND();
        return v0 ^ v1 ^ v2 ^ v3;
}
