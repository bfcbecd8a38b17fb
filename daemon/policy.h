/* SPDX-License-Identifier: MIT */
/*
 * policy.h - the administrator's policy: parsed rules and access decisions.
 *
 * A policy is a list of [Segment ID] rules read from one file or from the *.conf files of a
 * directory in strcmp() order, plus [Quota] limits and [Broker] admins. The first rule whose
 * Names= matches a normalised name decides; no match means denied, for every uid including
 * root. Loading reports every error and warning (policy-diag.h) and resolves user and group
 * names, anew at every load; a name that does not resolve matches nobody. Matching does no I/O
 * and no NSS lookups.
 *
 * The module's files: policy-load.c (files, directories, sources), policy-parse.c and
 * policy-keys.c (the syntax), policy-lint.c (whole-policy warnings), policy-diag.c (the
 * diagnostics list), policy-index.c (the prefix index), policy-lifetime.c (lifetimes),
 * policy.c (the decisions), policy-default.c (the embedded default); pattern.c, parse.c and
 * nss.c are theirs to share with the rest of the daemon.
 *
 * Not here: the objects themselves (shm.c, memfd.c), the ACL on them (acl.c), and sockets.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "identity.h"
#include "policy-diag.h"

/* $(sysconfdir)/shmbroker/policy.d, passed by the build (Makefile.am). */
#define POLICY_DEFAULT_DIR SHMB_POLICY_DIR
/* The file name that messages about the embedded default policy give. */
#define POLICY_DEFAULT_ORIGIN "<default>"

enum policy_backend {
        POLICY_BACKEND_SHM = 1,         /* same values as SHMB_PROTO_BACKEND_* */
        POLICY_BACKEND_MEMFD = 2,
};

enum principal_kind {
        PRINCIPAL_ANY,                  /* "*" */
        PRINCIPAL_USER,                 /* user name or numeric uid */
        PRINCIPAL_GROUP,                /* "@group" or "@gid" */
        PRINCIPAL_UNRESOLVED,           /* a user or group name that did not resolve at load:
                                         * matches nobody, gives no ACL entry */
        PRINCIPAL_APP,                  /* "app:GLOB": connections on an app socket whose app
                                         * id matches GLOB (fnmatch(3), no flags) */
};

/*
 * Who a principal matches depends on the socket a connection came in on: PRINCIPAL_APP matches
 * only connections with an app id, and every other kind ("*" included) only connections
 * without one. An app never gets what its user has by being that user.
 */
struct principal {
        enum principal_kind kind;
        uint32_t id;                    /* uid or gid of PRINCIPAL_USER, PRINCIPAL_GROUP */
        char *name;                     /* owned; PRINCIPAL_UNRESOLVED: the principal as
                                         * written ("bob", "@staff"); PRINCIPAL_APP: the glob
                                         * ("org.example.*"); else NULL */
};

enum id_spec_kind {
        ID_SPEC_DAEMON,                 /* not set: the daemon's own euid / egid */
        ID_SPEC_FIXED,                  /* a name or number, resolved at load */
        ID_SPEC_REQUESTER_NAME,         /* %u: the requesting user (Group=%u: the group of
                                         * that name) */
        ID_SPEC_REQUESTER_ID,           /* %U: the requesting uid (Group=%U: the gid of the
                                         * same number) */
        ID_SPEC_UNRESOLVED,             /* a name that did not resolve at load: the rule
                                         * refuses creates (see create_refusal) */
};

struct id_spec {
        enum id_spec_kind kind;
        uint32_t id;                    /* ID_SPEC_FIXED only */
        char *name;                     /* owned; ID_SPEC_UNRESOLVED: the name; else NULL */
};

/* Rights, same bits as SHMB_PROTO_RIGHT_*. */
enum {
        POLICY_RIGHT_READ = 1u << 0,
        POLICY_RIGHT_WRITE = 1u << 1,
        POLICY_RIGHT_CREATE = 1u << 2,
};

#define POLICY_SIZE_UNLIMITED UINT64_MAX

/*
 * How long an object may live: Lifetime= of a rule is the longest it allows, a create asks for
 * one within it. Ordered: persistent allows anything; a span S allows process and spans up to
 * S; process allows only process.
 */
enum policy_lifetime_kind {
        POLICY_LIFETIME_PERSISTENT = 0, /* until unlinked: the default */
        POLICY_LIFETIME_PROCESS,        /* until the creating process exits */
        POLICY_LIFETIME_SPAN,           /* until @usec after the last open through the broker */
};

#define POLICY_LIFETIME_SPAN_MIN_USEC UINT64_C(1000000)                 /* 1s */
#define POLICY_LIFETIME_SPAN_MAX_USEC (UINT64_C(365) * 86400 * 1000000) /* 365d */

/* Who may publish an object (take write away for good): Publish=. */
enum policy_publish {
        POLICY_PUBLISH_CREATOR = 0,     /* its creator: the default */
        POLICY_PUBLISH_WRITERS,         /* anyone the rule lets write */
        POLICY_PUBLISH_NO,              /* nobody; memfd objects are sealed for good at create
                                         * (F_SEAL_SEAL: not even a writer can add a seal) */
};

struct policy_lifetime {
        enum policy_lifetime_kind kind;
        uint64_t usec;                  /* POLICY_LIFETIME_SPAN only: within the bounds above */
};

/* "persistent", "process", or a span as "1d", "2h", "5min", "30s", "1500ms", "7us": the largest
 * unit that divides it. */
#define POLICY_LIFETIME_STRING_MAX 32

struct policy_rule {
        char *id;                       /* the ID of [Segment ID] */
        char *file;                     /* where the rule was read, for messages */
        unsigned line;

        char **names;                   /* Names= globs, leading '/' stripped; may hold %u,
                                         * %U, %a, %% */
        size_t n_names;

        struct principal *create;       /* Create= */
        size_t n_create;
        struct principal *read_write;   /* ReadWrite= */
        size_t n_read_write;
        struct principal *read_only;    /* ReadOnly= */
        size_t n_read_only;

        struct id_spec owner;           /* Owner= */
        struct id_spec group;           /* Group= */
        mode_t mode;                    /* Mode=, a subset of 0666; default 0600 */
        uint64_t max_size;              /* MaxSize=, POLICY_SIZE_UNLIMITED when not set */
        enum policy_backend backend;    /* Backend=, default shm */
        struct policy_lifetime lifetime; /* Lifetime=, the longest a create may ask for;
                                         * default persistent */
        enum policy_publish publish;    /* Publish=, who may publish; default creator */

        /*
         * Every Names= pattern holds %u or %U: each user gets a namespace of their own,
         * whoever owns the files. Namespaces can overlap ("alice-*" also matches
         * "alice-x-data", which user alice-x may create), so such objects are handed only to
         * their creator.
         */
        bool per_user;

        /*
         * Every Names= pattern holds %a: each app gets a namespace of its own, and only app
         * connections can match. App ids may be prefixes of each other up to a '-' ("org.a"
         * and "org.a-b": "%u-%a-*" for org.a also matches "alice-org.a-b-x"), so an object of
         * such a rule must be handed only to the app that created it.
         */
        bool per_app;

        /*
         * Why policy_resolve_owner() refuses creates under this rule, for the log: Owner= or
         * Group= names a user or group that did not resolve at load ("Owner= user 'bob' does
         * not resolve (no such user)"). NULL when creates are possible. Owned.
         */
        char *create_refusal;
};

/* [Quota]: limits that apply to each uid separately. */
#define POLICY_UNLIMITED UINT64_MAX
#define POLICY_DEFAULT_MAX_OBJECTS 1024
#define POLICY_DEFAULT_MAX_BYTES POLICY_UNLIMITED
#define POLICY_DEFAULT_MAX_CONNECTIONS 64

struct policy_quota {
        uint64_t max_objects;           /* MaxObjectsPerUser= */
        uint64_t max_bytes;             /* MaxBytesPerUser= */
        uint64_t max_connections;       /* MaxConnectionsPerUser= */
};

/*
 * One text a policy was read from. policy_load_sources() parses a list of them again, so that
 * a policy can be kept (say, in a sealed memfd) and rebuilt when the files have gone bad.
 */
struct policy_source {
        const char *path;               /* the file name, as in messages and rule->file */
        const char *text;               /* @size bytes; need not be NUL-terminated */
        size_t size;
};

struct policy {
        struct policy_rule *rules;
        size_t n_rules;
        struct policy_quota quota;
        bool needs_user_names;          /* %u in some Names=, Owner= or Group= */
        /* private lookup index, if any, lives behind this */
        void *index;

        /* [Broker] Admins=: users and groups (PRINCIPAL_USER, _GROUP, _UNRESOLVED) who, besides
         * root, see every object's metadata; see policy_is_admin(). */
        struct principal *admins;
        size_t n_admins;

        /*
         * The texts the policy was parsed from, in order: each file read (not those masked or
         * skipped), or the string given. Owned, path and text both (the text with a NUL after
         * its @size bytes).
         */
        struct policy_source *sources;
        size_t n_sources;
};

/* The embedded default policy: every user may create, read and write USERNAME-* segments,
 * owned by that user, mode 0600; nothing else. */
extern const char policy_default_text[];

/**
 * policy_load_diags() - parse a policy file, or every *.conf file of a directory.
 * @path: a regular file or a directory.
 * @diags: where every error and warning goes, each with its file and line, in the order found;
 *         or NULL. Appended to: the caller clears it (policy_diags_clear()).
 * @ret: on success, the new policy.
 *
 * One pass reports every error. The policy is refused whole on any error: unknown section or
 * key, key outside a section, missing or empty Names=, bad Mode= (not octal, or setuid/setgid/
 * sticky/exec bits), bad MaxSize=, bad Backend=, duplicate rule ID, over-long line, too many
 * rules, an unreadable file. Warnings do not refuse it: a '#' or quotes inside a value, keys
 * that do not apply to the rule's backend, shadowed rules, overlapping per-user prefixes.
 *
 * Return: the number of files read (0 for a directory with no *.conf), or -errno: -ENOENT
 * when @path does not exist, -EINVAL when there were errors (see @diags), -ENOMEM, or another
 * error from opening @path itself.
 */
int policy_load_diags(const char *path, struct policy_diags *diags, struct policy **ret);

/**
 * policy_load_text() - parse policy text, as policy_load_diags() parses a file.
 * @text: @size bytes, not necessarily NUL-terminated; a NUL in a line is an error.
 * @origin: the file name used in messages and in rule->file (e.g. POLICY_DEFAULT_ORIGIN).
 *
 * Return: 0, -EINVAL when there were errors, or -ENOMEM.
 */
int policy_load_text(const char *text, size_t size, const char *origin,
                     struct policy_diags *diags, struct policy **ret);

/**
 * policy_load_configured() - the policy the daemon runs with.
 * @path: the --policy argument; or NULL for POLICY_DEFAULT_DIR if it holds a *.conf file, and
 *        else the embedded default policy.
 * @diags: as for policy_load_diags().
 * @ret: on success, the new policy.
 * @ret_origin: on success, what was read, for messages: @path, POLICY_DEFAULT_DIR or "the
 *              embedded default policy" (static or @path: not to be freed).
 *
 * Return: 0, or a negative errno as policy_load_diags() (-ENOENT only when @path is given).
 */
int policy_load_configured(const char *path, struct policy_diags *diags, struct policy **ret,
                           const char **ret_origin);

/**
 * policy_load_sources() - parse texts that a policy was once read from.
 * @src: @n texts, in order, each with the file name it had (policy->sources of an earlier
 *       policy, or a copy of them).
 * @diags: as for policy_load_diags().
 * @ret: on success, the new policy; its sources are copies of @src.
 *
 * The result is what the original load gave (rules, files and lines, quota, sources), as far
 * as user and group names resolve as they did then: names are resolved again.
 *
 * Return: 0, -EINVAL when there were errors, or -ENOMEM.
 */
int policy_load_sources(const struct policy_source *src, size_t n, struct policy_diags *diags,
                        struct policy **ret);

/**
 * policy_load() - policy_load_diags() for callers that want only the first error.
 * @ret_error: on -EINVAL, the first error as a malloc'ed "FILE:LINE: what is wrong" (or
 *             "FILE: ..." for errors that have no line); the caller frees it. Untouched
 *             otherwise. Warnings are dropped.
 */
int policy_load(const char *path, struct policy **ret, char **ret_error);

/**
 * policy_load_string() - policy_load_text() of a NUL-terminated @text, with the first error in
 * @ret_error as for policy_load().
 */
int policy_load_string(const char *text, const char *origin, struct policy **ret,
                       char **ret_error);

struct policy *policy_free(struct policy *p);

/**
 * policy_match() - the rule that decides for @name, or NULL (denied).
 * @name: a normalised name (see shmb_name_normalize()).
 * @id: the requester; %u, %U and %a in Names= expand to its user name, uid and app id. A
 *      pattern with %u matches nothing for a uid that has no name, one with %a nothing for a
 *      connection without an app id. The expanded user name and app id are escaped, so a user
 *      name holding glob characters matches only itself.
 */
const struct policy_rule *policy_match(const struct policy *p, const char *name,
                                       const struct identity *id);

/**
 * policy_is_admin() - may @id see every object's metadata and remove orphans?
 * @p: the policy, or NULL (then only root is).
 * @id: the requester.
 *
 * Root (uid 0) always is; so are the users and group members of [Broker] Admins=. A
 * connection with an app id never is, root's included: a sandboxed app must not see what
 * other apps and users hold. Being an admin gives no segment fds: those the rules alone
 * decide, for admins as for anyone. Pure.
 */
bool policy_is_admin(const struct policy *p, const struct identity *id);

/* Does a Names= pattern of @rule match @name for @id? Pure, like policy_match(). */
bool policy_rule_matches(const struct policy_rule *rule, const char *name,
                         const struct identity *id);

/**
 * policy_creator_matches() - may an existing object of @rule go to @id, given who made it?
 * @rule: the object's rule, which is also the rule that decides the name for @id.
 * @id: the requester.
 * @creator_uid: the uid that created the object.
 * @creator_app_id: the app id of the creating connection, or NULL for the main socket.
 *
 * Per-user rules (rule->per_user) hand an object only to its creator's uid, per-app rules
 * (rule->per_app) only to its creator's app: their namespaces can overlap ("alice-*" holds
 * alice-x's names; "%u-org.a-*" holds org.a-b's). Pure.
 *
 * Return: true unless one of these says no.
 */
bool policy_creator_matches(const struct policy_rule *rule, const struct identity *id,
                            uid_t creator_uid, const char *creator_app_id);

/* Is @s the requester (%u or %U: for an object's Owner= or Group=, its creator)? */
bool policy_id_spec_is_requester(const struct id_spec *s);
/* Does @rule give its Backend=shm objects the creator as owner or group? Then the creator has
 * the file system's access to what it makes, beside the broker's. */
bool policy_owned_by_creator(const struct policy_rule *rule);

/* The POLICY_RIGHT_* bits @rule gives @id (app connections: by app: principals only; others:
 * by the rest). WRITE implies READ. */
unsigned policy_rights(const struct policy_rule *rule, const struct identity *id);

/**
 * policy_resolve_owner() - the owner and group a new object gets when @creator creates it.
 * @rule: the deciding rule.
 * @creator: the requester.
 * @ret_uid, @ret_gid: the owner and group; written on success only.
 *
 * ID_SPEC_DAEMON gives geteuid()/getegid(). Group=%u looks up the group named as the creator.
 *
 * Return: 0; -ENXIO when Owner= or Group= names a user or group that did not resolve when the
 * policy was loaded (rule->create_refusal says which; the rule refuses every create until a
 * reload resolves it); -ENOENT for Owner=%u or Group=%u when the creator has no user name, or
 * for Group=%u when there is no group of that name; another -errno from that lookup.
 */
int policy_resolve_owner(const struct policy_rule *rule, const struct identity *creator,
                         uid_t *ret_uid, gid_t *ret_gid);

/**
 * policy_owner_plausible() - could an object at @name owned by @uid:@gid have been created
 * under @rule?
 *
 * Used before handing out an existing shm object, so that a file planted by someone else is
 * refused. For a fixed owner and group, equality; for %u/%U, the owner must be a user for whom
 * the rule's Names= matches @name, and the group must be what policy_resolve_owner() would give
 * that user. The file does not say which app created it, so %a stands for any app id here.
 */
bool policy_owner_plausible(const struct policy_rule *rule, const char *name, uid_t uid,
                            gid_t gid);

/**
 * policy_lifetime_parse() - a lifetime as Lifetime= takes it.
 * @s: "persistent", "process", or a time span (shmb_parse_span(): "30s", "5min", "2h", "1d",
 *     plain seconds) from POLICY_LIFETIME_SPAN_MIN_USEC to POLICY_LIFETIME_SPAN_MAX_USEC.
 * @ret: the lifetime, written on success only.
 *
 * Return: 0, -EINVAL (malformed) or -ERANGE (a span out of bounds).
 */
int policy_lifetime_parse(const char *s, struct policy_lifetime *ret);

/* A kind this daemon knows and, for a span, within the bounds. */
bool policy_lifetime_valid(const struct policy_lifetime *l);

/* Formats @l into @buf (POLICY_LIFETIME_STRING_MAX bytes); policy_lifetime_parse() reads it
 * back. Returns @buf. */
const char *policy_lifetime_to_string(const struct policy_lifetime *l, char *buf, size_t size);

/**
 * policy_lifetime_allows() - may a creator ask @rule for @requested?
 * @rule: the deciding rule (its Lifetime= is the limit).
 * @requested: what the create asks for.
 *
 * Return: true when @requested is valid (a known kind; a span within the bounds) and no longer
 * than the rule's limit: persistent allows anything, a span S allows process and spans up to
 * S, process allows only process. Pure.
 */
bool policy_lifetime_allows(const struct policy_rule *rule,
                            const struct policy_lifetime *requested);

/**
 * policy_acl_entries() - the named ACL entries a rule asks for.
 * @ret_users / @ret_groups: arrays of ids with their permission (4 = r, 6 = rw), one entry per
 * id (an id named in both ReadWrite= and ReadOnly= gets rw), in the order first named.
 * PRINCIPAL_ANY, PRINCIPAL_UNRESOLVED and PRINCIPAL_APP give no entry (an app has no file
 * system identity of its own: an entry for its uid would be one for its user). The caller
 * frees both arrays.
 */
struct policy_acl_entry {
        uint32_t id;
        unsigned perm;
};

int policy_acl_entries(const struct policy_rule *rule, struct policy_acl_entry **ret_users,
                       size_t *ret_n_users, struct policy_acl_entry **ret_groups,
                       size_t *ret_n_groups);
