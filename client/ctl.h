/* SPDX-License-Identifier: MIT */
/*
 * ctl.h - what the pieces of shmbrokerctl share: the parsed options, how failures are reported,
 * number, span and lifetime parsing, formatting for people (sizes, spans, times, user names),
 * aligned tables, JSON building blocks, and the commands themselves.
 *
 * shmbrokerctl uses only the public API of <shmbroker.h>; nothing here knows the protocol.
 * Each command returns the process's exit status (0, or EXIT_FAILURE after printing why).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "macro.h"
#include "shmbroker.h"

/* Fixed, not argv[0]: scripts match on it, and libtool may run us as lt-shmbrokerctl. */
#define PROG "shmbrokerctl"

#define EXIT_USAGE 2
#define EXIT_EXEC 127

/* Which command options were given (arg_given), and which a command takes (struct verb). */
enum {
        OPT_SIZE = 1u << 0,
        OPT_OFFSET = 1u << 1,
        OPT_LENGTH = 1u << 2,
        OPT_LIFETIME = 1u << 3,
        OPT_JSON = 1u << 4,
        OPT_ALL = 1u << 5,
        OPT_LONG = 1u << 6,
        OPT_FUTURE = 1u << 7,
        OPT_PUBLISHED = 1u << 8,
        OPT_TIMEOUT = 1u << 9,
        OPT_USER = 1u << 10,
        OPT_APP = 1u << 11,
        OPT_UNSIZED = 1u << 12,
};

/* The parsed command line (shmbrokerctl.c). */
extern const char *arg_socket;
extern uint64_t arg_size;
extern uint64_t arg_offset;
extern uint64_t arg_length;
extern uint32_t arg_lifetime;           /* SHMB_LIFETIME_* */
extern uint64_t arg_lifetime_usec;      /* SHMB_LIFETIME_SPAN only */
extern uint64_t arg_timeout_usec;       /* wait: 0 for no limit */
extern const char *arg_user;
extern const char *arg_app;
extern unsigned int arg_given;          /* OPT_* */

/* ---------------------------------------------------------------- ctl-util.c, ctl-format.c */

/*
 * ctl_fail() - report a failure as "shmbrokerctl: WHAT: <strerror text>", followed by
 * " (<reason>)" when the broker gave a reason for refusing @c's last request.
 * @c: the client the failed request was made on, or NULL (a local failure).
 * @r: the negative errno.
 * Return: EXIT_FAILURE.
 */
int ctl_fail(const struct shmb_client *c, const char *what, int r);

/* As ctl_fail() with a text of ours instead of strerror's: "shmbrokerctl: WHAT: TEXT". */
_printf_(2, 3) int ctl_fail_text(const char *what, const char *fmt, ...);

/* One line and the hint, exit status 2. @fmt may be NULL (getopt has said what was wrong). */
_printf_(1, 2) int ctl_usage_error(const char *fmt, ...);

/* A decimal number with an optional K, M, G or T suffix (powers of 1024). */
int ctl_parse_size(const char *s, uint64_t *ret);
/* A span: decimal digits and an optional unit (us, ms, s, sec, m, min, h, hr, d, day, days,
 * w, week, weeks; seconds without one), as the policy's Lifetime= takes it. */
int ctl_parse_span(const char *s, uint64_t *ret_usec);
/* persistent, process or a span of at least 1 s. Return: 0, -EINVAL, -ERANGE. */
int ctl_parse_lifetime(const char *s, uint32_t *ret_lifetime, uint64_t *ret_usec);

/* "4096" -> "4K": a size in the unit the command line takes, exact; else bytes. */
void ctl_format_size(char *buf, size_t size, uint64_t bytes);
/* "2h 5min", "3d 4h", "12s", "250ms": at most two units, rounded down. */
void ctl_format_span(char *buf, size_t size, uint64_t usec);
/* An age or uptime: ctl_format_span() to the second ("0s" under one). */
void ctl_format_age(char *buf, size_t size, uint64_t usec);
/* A CLOCK_REALTIME time in microseconds as RFC 3339 UTC, "2026-12-02T10:00:00Z". */
void ctl_format_time(char *buf, size_t size, uint64_t usec);
/* Microseconds since the epoch, now. */
uint64_t ctl_now_usec(void);
/* The user's name, or NULL when this system has none for @uid. Static storage. */
const char *ctl_user_name(uint32_t uid);
const char *ctl_group_name(uint32_t gid);
/* The name, else the number, in @buf. */
void ctl_format_user(char *buf, size_t size, uint32_t uid);
void ctl_format_group(char *buf, size_t size, uint32_t gid);
/* The length of the UTF-8 sequence at @s (1 to 4) and its code point in @ret_cp, or 0 if it
 * is not one: overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
size_t ctl_utf8_decode(const unsigned char *s, uint32_t *ret_cp);
size_t ctl_utf8_len(const unsigned char *s);
/* True for the characters never shown raw to a person, in text or JSON: the controls (C0, DEL,
 * C1), the bidi controls and marks, and U+2028/U+2029. */
bool ctl_char_unsafe(uint32_t cp);
/* @s with each byte of the ctl_char_unsafe() characters, and each byte that is not UTF-8,
 * shown as \xNN, for a terminal. */
void ctl_escape(char *buf, size_t size, const char *s);

/* "PREFIXNAME\n" on stdout: raw for scripts (names hold no C0 control characters), escaped
 * for a terminal, as ls(1) does (C1 and bidi controls too, which names may hold). Return: 0 or
 * -errno. */
int ctl_print_name(const char *prefix, const char *name);

/* Stable names, as the JSON output and the man page use them. NULL for unknown values. */
const char *ctl_backend_name(uint32_t backend);
const char *ctl_lifetime_name(uint32_t lifetime);
const char *ctl_reason_id(int reason);
/* "EACCES" for -EACCES; "E<number>" for one glibc does not name. Static storage. */
const char *ctl_errno_name(int r);
/* " read write create" style words for SHMB_RIGHT_*, "none" for 0. */
void ctl_format_rights(char *buf, size_t size, uint32_t rights);
/* "orphan,published,..." for SHMB_OBJ_*, "-" for none. */
void ctl_format_obj_flags(char *buf, size_t size, uint32_t flags);
/* What shmbrokerctl shows of a segment, from a stat or from list details. */
struct ctl_object {
        const char *name;
        uint64_t size;
        uint64_t ctime_usec;            /* 0: the broker does not say */
        uint64_t lifetime_usec;
        uint32_t backend;
        uint32_t flags;
        uint32_t creator;
        uint32_t lifetime;
        uint32_t ends_in_sec;           /* list details only; 0: unknown or not a span */
        const char *rule;
        const char *app;
};
void ctl_object_from_stat(struct ctl_object *o, const char *name, const struct shmb_stat *st);
void ctl_object_from_info(struct ctl_object *o, const struct shmb_object_info *info);
/* For people: "persistent", "until its creator exits", "30s after its last open" (": ends in
 * 25s" when the broker says). */
void ctl_format_lifetime(char *buf, size_t size, const struct ctl_object *o);

/* ---------------------------------------------------------------- ctl-table.c */

/* Rows of cells printed in aligned columns: two blanks between, the last one not padded. */
struct ctl_table;
struct ctl_table *ctl_table_new(size_t n_columns, ...);  /* the headers, NULL-terminated */
struct ctl_table *ctl_table_free(struct ctl_table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ctl_table *, ctl_table_free);
/* Adds one row of exactly n_columns strings (copied). Return: 0 or -ENOMEM. */
int ctl_table_add(struct ctl_table *t, ...);
/* Prints the headers and rows to stdout; nothing when there are no rows and @skip_empty. */
void ctl_table_print(const struct ctl_table *t, bool skip_empty);

/* ---------------------------------------------------------------- ctl-json.c */

/* A JSON string of @s, with any byte that is not UTF-8 replaced by U+FFFD. NULL -> null. */
struct json_object *ctl_json_string(const char *s);
/* A string, or null when @s is NULL or empty. */
struct json_object *ctl_json_string_or_null(const char *s);
struct json_object *ctl_json_u64(uint64_t v);
struct json_object *ctl_json_bool(bool b);
/* Sets @key of @obj to @val (consumed). Return: 0 or -ENOMEM. */
int ctl_json_set(struct json_object *obj, const char *key, struct json_object *val);
/* The fields every description of a segment shares (list --long, status, stat). */
int ctl_json_object_fields(struct json_object *obj, const struct ctl_object *o);
/* Prints @obj as one document (pretty) or one line (@one_line), then a newline; in its strings
 * the ctl_char_unsafe() characters are \uXXXX escapes (a parser reads them back as they were). */
int ctl_json_print(struct json_object *obj, bool one_line);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct json_object *, json_object_put);

/* ---------------------------------------------------------------- ctl-show.c */

/* The segment table that list --long and status share: its header row. */
struct ctl_table *ctl_object_table_new(void);
/* shmb_list_details() with @flags into @table or @array (JSON), whichever is not NULL. */
int ctl_list_details(struct shmb_client *c, unsigned int flags, struct ctl_table *table,
                     struct json_object *array);

/* ---------------------------------------------------------------- the commands */

int cmd_create(struct shmb_client *c, char **args);
int cmd_write(struct shmb_client *c, char **args);
int cmd_read(struct shmb_client *c, char **args);
int cmd_unlink(struct shmb_client *c, char **args);
int cmd_resize(struct shmb_client *c, char **args);
int cmd_publish(struct shmb_client *c, char **args);
int cmd_stat(struct shmb_client *c, char **args);
int cmd_list(struct shmb_client *c, char **args);
int cmd_status(struct shmb_client *c, char **args);
int cmd_explain(struct shmb_client *c, char **args);
int cmd_wait(struct shmb_client *c, char **args);
int cmd_watch(struct shmb_client *c, char **args);
int cmd_app_socket(struct shmb_client *c, char **args);

/* exec consumes the client: it is closed before COMMAND runs. @command is NULL-terminated. */
int cmd_exec(struct shmb_client *c, char **specs, size_t n_specs, char **command);
