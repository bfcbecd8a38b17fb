/* SPDX-License-Identifier: MIT */
/*
 * ctltest.h - helpers for the shmbrokerctl suite (tests/integration/test-ctl.c): the real
 * shmbrokerctl binary run as other users in the foreground (harness_ctl()) or in the
 * background (watch, wait, app-socket), its output taken apart the way a user reads it (lines,
 * table columns) or a script does (JSON, parsed with json-c), and users with names and groups
 * in this system's database for "explain --user".
 *
 * Functions assert with cmocka: call them from a test body only. Not here: the cases.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "harness.h"

/* shmbrokerctl in the foreground: "$SHMBROKERCTL --socket SOCK ARGS..." as @id, to its end. */
#define CTL(d, id, res, ...) \
        ctl_run((d), (id), NULL, 0, (res), (const char *const[]) { __VA_ARGS__, NULL })
#define CTL_IN(d, id, in, in_len, res, ...) \
        ctl_run((d), (id), (in), (in_len), (res), (const char *const[]) { __VA_ARGS__, NULL })
void ctl_run(const struct harness_daemon *d, const struct harness_id *id, const void *in,
             size_t in_len, struct harness_exec_result *res, const char *const *args);

/* Exit status 0 and nothing on stderr. */
void ctl_assert_ok(const struct harness_exec_result *res);
/* Exit status @status, exactly @err on stderr, nothing on stdout. */
void ctl_assert_fails(const struct harness_exec_result *res, int status, const char *err);

/* shmbrokerctl in the background, with its stdout and stderr on pipes and stdin on /dev/null. */
struct ctl_bg {
        pid_t pid;
        int out;
        int err;
        char outbuf[65536];
        size_t out_len;         /* bytes in outbuf */
        size_t out_taken;       /* of which ctl_bg_line() has returned */
};

/* A struct ctl_bg that runs nothing: ctl_bg_kill() leaves it alone. */
#define CTL_BG_NONE { .pid = 0, .out = -1, .err = -1 }

#define CTL_BG(bg, d, id, ...) \
        ctl_bg_start((bg), (d), (id), (const char *const[]) { __VA_ARGS__, NULL })
void ctl_bg_start(struct ctl_bg *bg, const struct harness_daemon *d, const struct harness_id *id,
                  const char *const *args);
/* Waits until the program sleeps in poll(2) (its event loop, or the library's wait for a reply
 * to WAIT): every request it made before is sent. Fails the test after HARNESS_TIMEOUT_MS. */
void ctl_bg_wait_polling(const struct ctl_bg *bg);
/* True while the program runs (not reaped). */
bool ctl_bg_running(const struct ctl_bg *bg);
/* The next line of its stdout, without the newline, in @buf; waits for it at most
 * HARNESS_TIMEOUT_MS. Return: true, or false at end of file. */
bool ctl_bg_line(struct ctl_bg *bg, char *buf, size_t size);
/* Sends @sig (0: none), reads stdout and stderr to their end, reaps the program. @res gets
 * what ctl_bg_line() did not take of stdout, all of stderr, and the exit status. */
void ctl_bg_finish(struct ctl_bg *bg, int sig, struct harness_exec_result *res);
/* If it still runs (a failed test): kill and reap it. */
void ctl_bg_kill(struct ctl_bg *bg);

/* The @n-th line (from 0) of @text, without the newline, in @buf. Return: false if none. */
bool ctl_line(const char *text, size_t n, char *buf, size_t size);
/* The line of @text that starts with @prefix, in @buf. Return: false if none. */
bool ctl_line_starting(const char *text, const char *prefix, char *buf, size_t size);
/* Splits a table row into its cells (separated by two or more blanks) in @cells; returns the
 * number of cells. The cells point into @row, which is modified. */
size_t ctl_cells(char *row, char **cells, size_t max);
/* Asserts the row of a table in @text whose first cell is @first has exactly the cells given
 * (NULL-terminated; but for the first, each is an fnmatch(3) pattern: "*" matches anything). */
#define CTL_ASSERT_ROW(text, ...) \
        ctl_assert_row((text), (const char *const[]) { __VA_ARGS__, NULL })
void ctl_assert_row(const char *text, const char *const *cells);

/* Parses @text as exactly one JSON document (trailing blanks allowed); fails the test if it is
 * not. Release with json_object_put(). */
struct json_object *ctl_json(const char *text);
/* The value at @path: keys separated by '.', array indices as numbers ("objects.0.name"). */
struct json_object *ctl_jget(struct json_object *o, const char *path);
void ctl_assert_jstr(struct json_object *o, const char *path, const char *want);
void ctl_assert_jnull(struct json_object *o, const char *path);
void ctl_assert_ju64(struct json_object *o, const char *path, uint64_t want);
void ctl_assert_jbool(struct json_object *o, const char *path, bool want);
/* The index of the object in array @path whose "name" is @name, or -1. */
int ctl_jfind(struct json_object *o, const char *path, const char *name);

/*
 * A user with a name, a primary group and one supplementary group in /etc/passwd and
 * /etc/group, for "explain --user" and app sockets (only a uid with a name gets one): made with
 * groupadd and useradd by ctl_users_setup() if missing, removed by ctl_users_teardown() if it
 * made them. Cases that need it call ctl_require_users(), which skips the case without.
 */
#define CTL_USER_NAME "shmbtctl"
#define CTL_USER_UID 41041
#define CTL_USER_GID 42041              /* primary group "shmbtctlp" */
#define CTL_USER_GROUP2 42042           /* supplementary group "shmbtctls" */
void ctl_users_setup(void);
void ctl_users_teardown(void);
void ctl_require_users(void);
