/* SPDX-License-Identifier: MIT */
/*
 * registry.h - shared pieces of the registry suite (tests/integration/test-registry*.c, issue 8):
 * users with names for %u rules, reloads and restarts of the case's daemon, what a client sees
 * (stat, list, bytes) and what the kernel says about a file (owner, mode, POSIX ACL, open(2) as
 * another uid).
 *
 * Built on security.h: every case starts its daemon with sec_start() and ends with
 * sec_finish() (or sec_finish_keeping_objects() before a restart). Functions named reg_*()
 * assert with cmocka and may only be called from a test body.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/acl.h>

#include "security.h"

/*
 * Two users with names, for rules with %u (Names=%u-*, Owner=%u, as the embedded default
 * policy): made with useradd by the group setup if they do not exist, removed by its teardown
 * if it made them. Cases that need them call reg_require_named_users(), which skips without.
 */
#define REG_UID_ALICE 41021
#define REG_UID_BOB 41022
#define REG_NAME_ALICE "shmbtalice"
#define REG_NAME_BOB "shmbtbob"
extern const struct harness_id reg_id_alice;
extern const struct harness_id reg_id_bob;
int reg_group_setup(void **state);
int reg_group_teardown(void **state);
void reg_require_named_users(void);

/* The control rule (harness.h) at the end of @policy, as harness_daemon_start() writes it. */
char *reg_policy_with_control(const char *policy);

/*
 * reg_reload() - write @policy (and the control rule) to the daemon's policy file, send SIGHUP
 * and wait for the daemon's "Policy reloaded" line and the end of the pass over the objects'
 * files that follows it (a failed reload fails the case).
 */
void reg_reload(struct harness_daemon *d, const char *policy);

/*
 * reg_restart() - stop the case's daemon with SIGTERM (after-checks a and b, not c: the objects
 * stay), then start a new one on the same object and state directories with @policy.
 * reg_restart_killed(): the same after SIGKILL, without the after-checks.
 * reg_restart_changed(): reg_restart(), calling @change with the state directory while no
 * daemon runs (to damage the journal as a storage fault would).
 */
struct harness_daemon *reg_restart(const char *policy);
struct harness_daemon *reg_restart_changed(const char *policy,
                                           void (*change)(const char *state_dir));
struct harness_daemon *reg_restart_killed(const char *policy);
/* reg_restart_killed() with @env for the new daemon (harness_daemon_options.env). */
struct harness_daemon *reg_restart_killed_env(const char *policy, const char *const *env);

/* SIGKILL the case's daemon and wait until it is gone (not reaped). */
void reg_kill(struct harness_daemon *d);

/* stat, on a fresh connection as @id. Return: 0 or -errno. */
int reg_stat(const struct harness_daemon *d, const struct harness_id *id, const char *name,
             struct shmb_stat *ret);

/* Every name shmb_list() gives @id, in the order given (malloc'ed). */
struct reg_names {
        char **v;
        size_t n;
};
void reg_list(const struct harness_daemon *d, const struct harness_id *id,
              struct reg_names *ret);
bool reg_names_has(const struct reg_names *s, const char *name);
void reg_names_done(struct reg_names *s);

/* Creates @name (@size bytes, at least strlen(@text)) as @id and writes @text at offset 0. */
void reg_create_text(const struct harness_daemon *d, const struct harness_id *id,
                     const char *name, size_t size, const char *text);
/* Opens @name as @id with @access and compares the first bytes with @text.
 * Return: 0, -EBADE (other bytes), or the open's -errno. */
int reg_check_text(const struct harness_daemon *d, const struct harness_id *id,
                   const char *name, int access, const char *text);

/* open(2) of @path with @flags as @id, in a child. Return: 0 or -errno. */
int reg_fs_open(const char *path, const struct harness_id *id, int flags);

/* lstat() of @path: a regular file of @uid and @gid, with the permission bits @mode (with
 * named ACL entries, the group bits are the ACL mask) (asserts). reg_assert_owner(): the same
 * without the mode. */
void reg_assert_file(const char *path, uid_t uid, gid_t gid, mode_t mode);
void reg_assert_owner(const char *path, uid_t uid, gid_t gid);

/*
 * The access ACL of @path as the kernel has it (acl_get_file()): the permission bits (r=4, w=2,
 * x=1) of the entry with @tag (and qualifier @id for ACL_USER and ACL_GROUP), or -1 if there is
 * no such entry. reg_acl_named(): the number of ACL_USER and ACL_GROUP entries.
 */
int reg_acl_perm(const char *path, acl_tag_t tag, unsigned id);
int reg_acl_named(const char *path);

/* The content of the regular file @path, never through a symlink (asserts), malloc'ed. */
char *reg_file_text(const char *path);

/* Do @a and @b share one open file description? (dup()s share the offset.) */
bool reg_same_description(int a, int b);

/* shmb_open() of @name on @c without info. Return: the fd, or -errno. */
int reg_open_on(struct shmb_client *c, const char *name, int access);

/* Test groups, one per file. */
extern const struct CMUnitTest reg_tests_handout[];
extern const size_t reg_n_tests_handout;
extern const struct CMUnitTest reg_tests_list[];
extern const size_t reg_n_tests_list;
extern const struct CMUnitTest reg_tests_reload[];
extern const size_t reg_n_tests_reload;
extern const struct CMUnitTest reg_tests_restart[];
extern const size_t reg_n_tests_restart;
extern const struct CMUnitTest reg_tests_race[];
extern const size_t reg_n_tests_race;
extern const struct CMUnitTest reg_tests_kept[];
extern const size_t reg_n_tests_kept;
extern const struct CMUnitTest reg_tests_cache[];
extern const size_t reg_n_tests_cache;
