/* SPDX-License-Identifier: MIT */
/*
 * log.h - the daemon's log: stderr lines with <N> priority prefixes that the journal reads as
 * levels, and a per-uid rate limit for messages that a client can trigger.
 *
 * The *_errno() variants take a negative errno, set errno for %m, and return the same value,
 * so that "return log_error_errno(r, "...: %m");" logs and fails in one step.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <syslog.h>

#include <stdint.h>

#include "limits.h"
#include "macro.h"

void log_set_max_level(int level);
int log_get_max_level(void);
int log_parse_level(const char *s);

int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);

#define log_full_errno(level, error, ...) log_internal((level), (error), __VA_ARGS__)
#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(error, ...) log_internal(LOG_DEBUG, (error), __VA_ARGS__)
#define log_info_errno(error, ...) log_internal(LOG_INFO, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_internal(LOG_WARNING, (error), __VA_ARGS__)
#define log_error_errno(error, ...) log_internal(LOG_ERR, (error), __VA_ARGS__)

/*
 * log_escape() - make client-controlled bytes safe to log: anything outside printable ASCII,
 * the backslash and the single quote become \xNN, so a name cannot forge a line, a priority
 * prefix or a terminal escape. Output longer than @size is cut and ends in "...".
 * Returns @buf.
 */
#define LOG_ESCAPE_MAX (4 * 1024 + 4)
const char *log_escape(const char *s, size_t len, char *buf, size_t size);

/*
 * log_name() - log_escape() of a name a client chose (an object's), for a log call's argument
 * list: "Object '%s' ...", log_name(o->name). The result lives in one of LOG_NAME_BUFS static
 * buffers, used in turn: at most that many per call, in the loop's thread only.
 */
#define LOG_NAME_BUFS 4
const char *log_name(const char *name);

/*
 * Per-uid rate limits: every uid gets LIMIT_LOG_BURST messages per LIMIT_LOG_INTERVAL_USEC;
 * past that, messages are dropped and the next allowed one learns how many were. Lossy by design
 * (dbus-broker's way): a hostile client must not be able to flood the log or the journal.
 */
struct ratelimit_slot {
        uid_t uid;
        bool used;
        unsigned count;
        unsigned suppressed;
        uint64_t window_start;
};

struct ratelimit {
        struct ratelimit_slot slots[LIMIT_LOG_UIDS];
        /* The clock in microseconds; NULL (as in every zero-initialised limiter): now_usec(),
         * CLOCK_MONOTONIC. Set only by the unit tests, which move time themselves. */
        uint64_t (*now)(void);
};

bool ratelimit_uid(struct ratelimit *rl, uid_t uid, unsigned *ret_suppressed);

/* The log's own limiter, for messages that a client can trigger: true when a message for
 * @uid may be logged now (and then, first, how many were suppressed before it). */
bool log_ratelimit_uid(uid_t uid);
