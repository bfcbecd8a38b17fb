/* SPDX-License-Identifier: MIT */
/*
 * parse.c - numbers, ids, modes, sizes and time spans from configuration text.
 *
 * strtoull() alone accepts leading space, a sign ("-1" becomes UINT64_MAX) and a base prefix, so
 * every function here checks the characters itself first and uses strtoull() only to convert
 * digits it has already seen.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "parse.h"

bool parse_is_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

/* Converts the digits at the start of @s, which the caller has checked are there. */
static int digits_prefix(const char *s, uint64_t *ret, const char **ret_end)
{
        unsigned long long v;
        char *end;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        *ret = (uint64_t) v;
        *ret_end = end;
        return 0;
}

int parse_uint64(const char *s, uint64_t *ret)
{
        const char *end;
        uint64_t v;
        int r;

        if (!parse_is_digits(s))
                return -EINVAL;
        r = digits_prefix(s, &v, &end);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int parse_id(const char *s, uint32_t *ret)
{
        uint64_t v;
        int r;

        r = parse_uint64(s, &v);
        if (r < 0)
                return r;
        if (v >= UINT32_MAX)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

int parse_mode(const char *s, mode_t allowed, mode_t *ret)
{
        size_t n = strlen(s), i;
        mode_t m = 0;

        if (n < 1 || n > 4)
                return -EINVAL;
        for (i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '7')
                        return -EINVAL;
                m = m * 8 + (mode_t) (s[i] - '0');
        }
        if (m & ~allowed)
                return -ERANGE;
        *ret = m;
        return 0;
}

int parse_size(const char *s, uint64_t *ret)
{
        static const char suffixes[] = "KMGT";
        uint64_t v, factor = 1, result;
        const char *end, *p;
        int r;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        r = digits_prefix(s, &v, &end);
        if (r < 0)
                return r;
        if (*end != '\0') {
                p = strchr(suffixes, *end);
                if (!p || end[1] != '\0')
                        return -EINVAL;
                factor = UINT64_C(1) << (10 * (p - suffixes + 1));
        }
        if (__builtin_mul_overflow(v, factor, &result))
                return -ERANGE;
        if (result == 0)
                return -EINVAL;
        *ret = result;
        return 0;
}

