/* SPDX-License-Identifier: MIT */
/*
 * span.h - the time span syntax that the policy (Lifetime=) and shmbrokerctl (--lifetime,
 * --timeout) share: one number with an optional unit right after it. Pure.
 */
#pragma once

#include <stdint.h>

#define SHMB_USEC_PER_SEC UINT64_C(1000000)

/**
 * shmb_parse_span() - a time span.
 * @s: decimal digits with an optional unit right after them: "us", "ms", "s" (the default),
 *     "sec", "m", "min", "h", "hr", "d", "day", "days", "w", "week", "weeks". One number, one
 *     unit: "90min", not "1h30min".
 * @ret_usec: the span in microseconds; zero is a valid span here, callers bound it.
 *
 * Return: 0, -EINVAL (malformed or unknown unit) or -ERANGE (does not fit in 64 bits).
 */
int shmb_parse_span(const char *s, uint64_t *ret_usec);
