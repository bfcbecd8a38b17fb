/* SPDX-License-Identifier: MIT */
/*
 * parse.h - checked parsing of the small values the daemon reads from its configuration:
 * decimal numbers, uids and gids, permission bits, sizes and time spans.
 *
 * Pure: no I/O, no locale, no allocation. Every function takes a whole NUL-terminated string
 * (no leading or trailing white space, no sign) and writes its result only on success.
 * Errors: -EINVAL for a malformed string, -ERANGE for a well-formed one out of range.
 *
 * Not here: user and group names (nss.c), policy syntax (policy-parse.c).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define USEC_PER_SEC UINT64_C(1000000)

/* True for a non-empty string of ASCII digits only. */
bool parse_is_digits(const char *s);

/**
 * parse_uint64() - a decimal number.
 * @s: ASCII digits only: no sign, space, "0x" or suffix. Leading zeros are allowed.
 * @ret: the value.
 *
 * Return: 0, -EINVAL (empty, or not digits only) or -ERANGE (above UINT64_MAX).
 */
int parse_uint64(const char *s, uint64_t *ret);

/**
 * parse_id() - a uid or gid in decimal.
 * @s: ASCII digits only.
 * @ret: the id, 0 to 4294967294.
 *
 * 4294967295 is (uid_t) -1, which chown(2) reads as "no change" and everything else as "no such
 * id", so it is refused like any value that does not fit in 32 bits.
 *
 * Return: 0, -EINVAL or -ERANGE.
 */
int parse_id(const char *s, uint32_t *ret);

/**
 * parse_mode() - permission bits: 1 to 4 octal digits.
 * @s: the digits, such as "0640" or "600".
 * @allowed: the bits that may be set, such as 0666.
 * @ret: the mode.
 *
 * Return: 0, -EINVAL (not 1 to 4 octal digits) or -ERANGE (a bit outside @allowed).
 */
int parse_mode(const char *s, mode_t allowed, mode_t *ret);

/**
 * parse_size() - a size in bytes, greater than zero.
 * @s: decimal digits with an optional suffix K, M, G or T (powers of 1024, upper case, no
 *     space before it): "4096", "64M".
 * @ret: the size.
 *
 * Return: 0, -EINVAL (malformed, or zero) or -ERANGE (does not fit in 64 bits).
 */
int parse_size(const char *s, uint64_t *ret);

