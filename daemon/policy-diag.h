/* SPDX-License-Identifier: MIT */
/*
 * policy-diag.h - what the policy loader has to say: errors and warnings, each with its file
 * and line.
 *
 * A load collects every diagnostic in one pass. Errors make the policy invalid; warnings do
 * not. Messages have their control characters escaped, so they are safe to print on a terminal
 * or to log.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* The numbers are syslog's LOG_ERR and LOG_WARNING, so a caller can log at that level. */
enum policy_diag_level {
        POLICY_DIAG_ERROR = 3,
        POLICY_DIAG_WARNING = 4,
};

struct policy_diag {
        enum policy_diag_level level;
        char *file;             /* escaped; NULL for a diagnostic about no file in particular */
        unsigned line;          /* 1-based; 0 for one about a whole file */
        char *message;          /* escaped, no trailing period or newline */
};

/* Each list keeps at most this many diagnostics; the counts go on. */
#define POLICY_DIAGS_MAX 1000

struct policy_diags {
        struct policy_diag *items;
        size_t n;
        size_t n_errors;        /* all errors reported, kept or not */
        size_t n_warnings;
        size_t n_dropped;       /* reported past POLICY_DIAGS_MAX, not kept */
};

/* Frees the diagnostics and empties the list; the list itself is the caller's. */
void policy_diags_clear(struct policy_diags *d);

/**
 * policy_diags_add() - append a diagnostic.
 * @d: the list.
 * @level: POLICY_DIAG_ERROR or POLICY_DIAG_WARNING.
 * @file: the file it is about, or NULL.
 * @line: the line, or 0.
 * @fmt: printf format of the message; bytes it produces that are control characters (C0, DEL,
 *       C1 in UTF-8) or not UTF-8 become "\xNN".
 *
 * Return: 0 or -ENOMEM.
 */
int policy_diags_add(struct policy_diags *d, enum policy_diag_level level, const char *file,
                     unsigned line, const char *fmt, ...) _printf_(5, 6);

/**
 * policy_diag_format() - "FILE:LINE: error: message" (or "FILE: warning: message" without a
 * line, "error: message" without a file).
 *
 * Return: a malloc'ed string the caller frees, or NULL on OOM.
 */
char *policy_diag_format(const struct policy_diag *d);

/* A copy of @s with control characters and bytes that are not UTF-8 as "\xNN"; NULL on OOM. */
char *policy_diag_escape(const char *s);
