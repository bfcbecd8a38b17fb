/* SPDX-License-Identifier: MIT */
/*
 * policy-lifetime.c - lifetimes: how long an object may live, as Lifetime= limits it and as a
 * create asks for it. Pure: parsing, formatting and the "is this within that" order.
 *
 * Not here: ending an object's life (the broker's registry does that).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "parse.h"
#include "policy.h"
#include "span.h"

int policy_lifetime_parse(const char *s, struct policy_lifetime *ret)
{
        uint64_t usec;
        int r;

        if (strcmp(s, "persistent") == 0) {
                *ret = (struct policy_lifetime) { .kind = POLICY_LIFETIME_PERSISTENT };
                return 0;
        }
        if (strcmp(s, "process") == 0) {
                *ret = (struct policy_lifetime) { .kind = POLICY_LIFETIME_PROCESS };
                return 0;
        }
        r = shmb_parse_span(s, &usec);
        if (r < 0)
                return r;
        if (usec < POLICY_LIFETIME_SPAN_MIN_USEC || usec > POLICY_LIFETIME_SPAN_MAX_USEC)
                return -ERANGE;
        *ret = (struct policy_lifetime) { .kind = POLICY_LIFETIME_SPAN, .usec = usec };
        return 0;
}

const char *policy_lifetime_to_string(const struct policy_lifetime *l, char *buf, size_t size)
{
        static const struct {
                const char *unit;
                uint64_t usec;
        } units[] = {
                { "d", 86400 * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "s", USEC_PER_SEC },
                { "ms", 1000 },
                { "us", 1 },
        };
        size_t i;

        switch (l->kind) {
        case POLICY_LIFETIME_PERSISTENT:
                (void) snprintf(buf, size, "persistent");
                return buf;
        case POLICY_LIFETIME_PROCESS:
                (void) snprintf(buf, size, "process");
                return buf;
        case POLICY_LIFETIME_SPAN:
                for (i = 0; i < ELEMENTSOF(units) - 1; i++)
                        if (l->usec > 0 && l->usec % units[i].usec == 0)
                                break;
                (void) snprintf(buf, size, "%" PRIu64 "%s", l->usec / units[i].usec,
                                units[i].unit);
                return buf;
        }
        (void) snprintf(buf, size, "?");
        return buf;
}

bool policy_lifetime_valid(const struct policy_lifetime *l)
{
        switch (l->kind) {
        case POLICY_LIFETIME_PERSISTENT:
        case POLICY_LIFETIME_PROCESS:
                return true;
        case POLICY_LIFETIME_SPAN:
                return l->usec >= POLICY_LIFETIME_SPAN_MIN_USEC &&
                       l->usec <= POLICY_LIFETIME_SPAN_MAX_USEC;
        }
        return false;
}

bool policy_lifetime_allows(const struct policy_rule *rule,
                            const struct policy_lifetime *requested)
{
        const struct policy_lifetime *limit;

        if (!rule || !requested || !policy_lifetime_valid(requested))
                return false;
        limit = &rule->lifetime;
        switch (limit->kind) {
        case POLICY_LIFETIME_PERSISTENT:
                return true;
        case POLICY_LIFETIME_SPAN:
                return requested->kind == POLICY_LIFETIME_PROCESS ||
                       (requested->kind == POLICY_LIFETIME_SPAN &&
                        requested->usec <= limit->usec);
        case POLICY_LIFETIME_PROCESS:
                return requested->kind == POLICY_LIFETIME_PROCESS;
        }
        return false;
}
