/* SPDX-License-Identifier: MIT */
/*
 * ctl-util.c - how shmbrokerctl reports failures: "shmbrokerctl: WHAT: <strerror text>" with
 * the broker's reason in parentheses when it gave one, and usage errors as one line and a
 * hint; and how it parses the numbers, spans and lifetimes of its command line.
 *
 * Not here: formatting for output (ctl-format.c), the commands (ctl-*.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "span.h"

#define USEC_PER_SEC UINT64_C(1000000)

/* ---------------------------------------------------------------- failures */

int ctl_fail(const struct shmb_client *c, const char *what, int r)
{
        const char *reason = shmb_reason_text(shmb_client_last_reason(c));

        if (reason)
                fprintf(stderr, PROG ": %s: %s (%s)\n", what, strerror(-r), reason);
        else
                fprintf(stderr, PROG ": %s: %s\n", what, strerror(-r));
        return EXIT_FAILURE;
}

int ctl_fail_text(const char *what, const char *fmt, ...)
{
        va_list ap;

        fprintf(stderr, PROG ": %s: ", what);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return EXIT_FAILURE;
}

int ctl_usage_error(const char *fmt, ...)
{
        va_list ap;

        if (fmt) {
                fputs(PROG ": ", stderr);
                va_start(ap, fmt);
                vfprintf(stderr, fmt, ap);
                va_end(ap);
                fputc('\n', stderr);
        }
        fputs("Try '" PROG " --help'.\n", stderr);
        return EXIT_USAGE;
}


/* Leading decimal digits of @s: no sign, no blank, no other base, no overflow. */
static int parse_digits(const char *s, uint64_t *ret, const char **ret_end)
{
        uint64_t v = 0;
        const char *p = s;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (__builtin_mul_overflow(v, 10, &v) ||
                    __builtin_add_overflow(v, (uint64_t) (*p - '0'), &v))
                        return -ERANGE;
        }
        *ret = v;
        *ret_end = p;
        return 0;
}

int ctl_parse_size(const char *s, uint64_t *ret)
{
        static const char suffixes[] = "KMGT";
        const char *end, *p;
        uint64_t v, mult = 1;
        int r;

        if (!s)
                return -EINVAL;
        r = parse_digits(s, &v, &end);
        if (r < 0)
                return r;
        if (*end != '\0') {
                p = strchr(suffixes, *end >= 'a' && *end <= 'z' ? *end - 'a' + 'A' : *end);
                if (!p || end[1] != '\0')
                        return -EINVAL;
                mult = UINT64_C(1) << (10 * (p - suffixes + 1));
        }
        if (__builtin_mul_overflow(v, mult, &v))
                return -ERANGE;
        *ret = v;
        return 0;
}

int ctl_parse_span(const char *s, uint64_t *ret_usec)
{
        return shmb_parse_span(s, ret_usec);
}

int ctl_parse_lifetime(const char *s, uint32_t *ret_lifetime, uint64_t *ret_usec)
{
        uint64_t usec;
        int r;

        if (s && strcmp(s, "persistent") == 0) {
                *ret_lifetime = SHMB_LIFETIME_PERSISTENT;
                *ret_usec = 0;
                return 0;
        }
        if (s && strcmp(s, "process") == 0) {
                *ret_lifetime = SHMB_LIFETIME_PROCESS;
                *ret_usec = 0;
                return 0;
        }
        r = ctl_parse_span(s, &usec);
        if (r < 0)
                return r;
        /* The broker takes no shorter span; say so here rather than as "Invalid argument". */
        if (usec < USEC_PER_SEC)
                return -EINVAL;
        *ret_lifetime = SHMB_LIFETIME_SPAN;
        *ret_usec = usec;
        return 0;
}
