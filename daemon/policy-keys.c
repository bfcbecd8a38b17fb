/* SPDX-License-Identifier: MIT */
/*
 * policy-keys.c - the value of each policy key: patterns, principals, owners, modes, sizes,
 * backends, lifetimes, quotas and admins.
 *
 * User and group names are resolved here, once, at load (nss.c). Structure (sections, lines,
 * IDs) is policy-parse.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appid.h"
#include "nss.h"
#include "parse.h"
#include "pattern.h"
#include "policy-parser.h"

static const struct {
        const char *name;
        bool list;      /* space separated, may repeat, empty resets; else once per section */
} segment_keys[_POLICY_KEY_MAX] = {
        [POLICY_KEY_NAMES] = { "Names", true },
        [POLICY_KEY_CREATE] = { "Create", true },
        [POLICY_KEY_READ_WRITE] = { "ReadWrite", true },
        [POLICY_KEY_READ_ONLY] = { "ReadOnly", true },
        [POLICY_KEY_OWNER] = { "Owner", false },
        [POLICY_KEY_GROUP] = { "Group", false },
        [POLICY_KEY_MODE] = { "Mode", false },
        [POLICY_KEY_MAX_SIZE] = { "MaxSize", false },
        [POLICY_KEY_BACKEND] = { "Backend", false },
        [POLICY_KEY_LIFETIME] = { "Lifetime", false },
};

static const char *const quota_keys[_POLICY_QUOTA_KEY_MAX] = {
        [POLICY_QUOTA_MAX_OBJECTS] = "MaxObjectsPerUser",
        [POLICY_QUOTA_MAX_BYTES] = "MaxBytesPerUser",
        [POLICY_QUOTA_MAX_CONNECTIONS] = "MaxConnectionsPerUser",
};

/*
 * Makes room for element @n of an array that only ever grows by one through this function:
 * its capacity is then the smallest power of two >= n, so it is full exactly when n is 0 or a
 * power of two.
 */
static int array_reserve(void **array, size_t n, size_t size)
{
        void *p;

        if (n != 0 && (n & (n - 1)) != 0)
                return 0;
        if (n > SIZE_MAX / 2 / size)
                return -ENOMEM;
        p = realloc(*array, (n ? n * 2 : 1) * size);
        if (!p)
                return -ENOMEM;
        *array = p;
        return 0;
}

const char *policy_segment_key_name(enum policy_key k)
{
        return k < _POLICY_KEY_MAX ? segment_keys[k].name : "?";
}

static struct policy_rule *open_rule(struct policy_parser *ps)
{
        return &ps->policy->rules[ps->policy->n_rules - 1];
}

void policy_principals_free(struct principal *v, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                free(v[i].name);
        free(v);
}

void policy_rule_done(struct policy_rule *rule)
{
        size_t i;

        free(rule->id);
        free(rule->file);
        for (i = 0; i < rule->n_names; i++)
                free(rule->names[i]);
        free(rule->names);
        policy_principals_free(rule->create, rule->n_create);
        policy_principals_free(rule->read_write, rule->n_read_write);
        policy_principals_free(rule->read_only, rule->n_read_only);
        free(rule->owner.name);
        free(rule->group.name);
        free(rule->create_refusal);
}

/* ------------------------------------------------------------------ Names= */

static int add_pattern(struct policy_parser *ps, struct policy_rule *rule, char *pattern)
{
        int r;

        /* Names are normalised without their leading '/', so patterns are too. */
        if (pattern[0] == '/')
                pattern++;
        if (!*pattern)
                return policy_parser_error(ps, "empty pattern '/' in Names=");
        if (strchr(pattern, '/'))
                return policy_parser_error(ps, "pattern '%s' contains '/', which no name can "
                                           "hold", pattern);
        r = pattern_check(pattern);
        if (r == -EDOM)
                return policy_parser_error(ps, "pattern '%s' has %%a inside [...], which is "
                                           "not allowed", pattern);
        if (r < 0)
                return policy_parser_error(ps, "pattern '%s' has an unknown %% specifier "
                                           "(only %%u, %%U, %%a and %%%% are known)", pattern);
        r = array_reserve((void **) &rule->names, rule->n_names, sizeof(char *));
        if (r < 0)
                return r;
        rule->names[rule->n_names] = strdup(pattern);
        if (!rule->names[rule->n_names])
                return -ENOMEM;
        rule->n_names++;
        return 0;
}

static int parse_names(struct policy_parser *ps, struct policy_rule *rule, char *value)
{
        char *save = NULL, *tok;
        size_t i;
        int r;

        if (!*value) {
                /* As in systemd units, an empty assignment resets the list. */
                for (i = 0; i < rule->n_names; i++)
                        free(rule->names[i]);
                free(rule->names);
                rule->names = NULL;
                rule->n_names = 0;
                return 0;
        }
        /* Each entry on its own: a bad one is reported and the others still count. */
        for (tok = strtok_r(value, WHITESPACE, &save); tok;
             tok = strtok_r(NULL, WHITESPACE, &save)) {
                if (rule->n_names >= POLICY_LIST_MAX)
                        return policy_parser_error(ps, "too many entries in Names= (the limit "
                                                   "is %d)", POLICY_LIST_MAX);
                r = add_pattern(ps, rule, tok);
                if (r < 0 && r != -EINVAL)
                        return r;
        }
        return 0;
}

/* ------------------------------------------------------------------ principals */

/* Why a name does not resolve, for messages: "no such user", or what NSS said. */
static const char *lookup_failure(int r, const char *what, char *buf, size_t size)
{
        if (r == -ENOENT)
                (void) snprintf(buf, size, "no such %s", what);
        else
                (void) snprintf(buf, size, "lookup failed: %s", strerror(-r));
        return buf;
}

/*
 * A user or group name that does not resolve (a deleted user, a directory service that is
 * down) must not keep the daemon from starting: the principal matches nobody, with a warning,
 * and the next load tries again.
 */
static int unresolved_principal(struct policy_parser *ps, int r, const char *what,
                                const char *key, const char *s, struct principal *ret)
{
        char why[128];
        char *name;

        if (r == -ENOMEM)
                return r;
        name = strdup(s);
        if (!name)
                return -ENOMEM;
        *ret = (struct principal) { .kind = PRINCIPAL_UNRESOLVED, .name = name };
        r = policy_parser_warning(ps, "%s '%s' in %s= does not resolve (%s): it matches "
                                  "nobody until a reload finds it", what, s, key,
                                  lookup_failure(r, what, why, sizeof(why)));
        return r;
}

/*
 * What no user or group name holds on any system we know of: the passwd and group field
 * separators, a path separator, glob and specifier characters, quotes, white space; nor does
 * one start with '-' (a negative number, or an option). A principal like that is a mistake in
 * the policy, not a user who is missing, and so an error rather than a warning.
 */
#define NAME_INVALID ":,/%*?[]\\\"' \t"

static bool name_valid(const char *s)
{
        return *s && *s != '-' && !s[strcspn(s, NAME_INVALID)];
}

#define APP_ID_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
#define GLOB_CHARS "*?[]!^\\"

/*
 * "app:GLOB": app id characters and glob syntax only, so that a typo that could never match
 * an app id is an error; a GLOB without glob characters must be a valid app id itself.
 */
static int parse_app_principal(struct policy_parser *ps, const char *key, const char *s,
                               struct principal *ret)
{
        const char *glob = s + strlen("app:");
        char *name;

        if (!*glob || glob[strspn(glob, APP_ID_CHARS GLOB_CHARS)] ||
            (!strpbrk(glob, "*?[\\") && !shmb_app_id_valid(glob, strlen(glob))))
                return policy_parser_error(ps, "invalid app id pattern '%s' in %s= (app ids "
                                           "look like org.example.App; globs are allowed)",
                                           glob, key);
        name = strdup(glob);
        if (!name)
                return -ENOMEM;
        *ret = (struct principal) { .kind = PRINCIPAL_APP, .name = name };
        return 0;
}

/*
 * A principal: "*", "app:GLOB", "@group", "@gid", a user name or a uid. A string of digits is always a
 * number, as for chown(1) --from and systemd; a user whose name is all digits cannot be named.
 */
static int parse_principal(struct policy_parser *ps, const char *key, const char *s,
                           struct principal *ret)
{
        uint32_t id;
        int r;

        if (strcmp(s, "*") == 0) {
                *ret = (struct principal) { .kind = PRINCIPAL_ANY };
                return 0;
        }
        if (strncmp(s, "app:", strlen("app:")) == 0)
                return parse_app_principal(ps, key, s, ret);
        if (s[0] == '@') {
                const char *g = s + 1;

                if (!*g)
                        return policy_parser_error(ps, "empty group name '@' in %s=", key);
                if (parse_is_digits(g)) {
                        if (parse_id(g, &id) < 0)
                                return policy_parser_error(ps, "invalid gid '%s' in %s=", g,
                                                           key);
                } else if (!name_valid(g)) {
                        return policy_parser_error(ps, "invalid group name '%s' in %s=", g,
                                                   key);
                } else {
                        gid_t gid;

                        r = nss_group_by_name(g, &gid);
                        if (r < 0)
                                return unresolved_principal(ps, r, "group", key, s, ret);
                        id = gid;
                }
                *ret = (struct principal) { .kind = PRINCIPAL_GROUP, .id = id };
                return 0;
        }
        if (parse_is_digits(s)) {
                if (parse_id(s, &id) < 0)
                        return policy_parser_error(ps, "invalid uid '%s' in %s=", s, key);
        } else if (!name_valid(s)) {
                return policy_parser_error(ps, "invalid user name '%s' in %s=", s, key);
        } else {
                uid_t uid;

                r = nss_user_by_name(s, &uid);
                if (r < 0)
                        return unresolved_principal(ps, r, "user", key, s, ret);
                id = uid;
        }
        *ret = (struct principal) { .kind = PRINCIPAL_USER, .id = id };
        return 0;
}

/* A principal list; Admins= (@admins) takes users and groups only. */
static int parse_principals(struct policy_parser *ps, const char *key, char *value, bool admins,
                            struct principal **list, size_t *n)
{
        char *save = NULL, *tok;
        int r;

        if (!*value) {
                policy_principals_free(*list, *n);
                *list = NULL;
                *n = 0;
                return 0;
        }
        for (tok = strtok_r(value, WHITESPACE, &save); tok;
             tok = strtok_r(NULL, WHITESPACE, &save)) {
                if (*n >= POLICY_LIST_MAX)
                        return policy_parser_error(ps, "too many entries in %s= (the limit is "
                                                   "%d)", key, POLICY_LIST_MAX);
                r = array_reserve((void **) list, *n, sizeof(**list));
                if (r < 0)
                        return r;
                r = parse_principal(ps, key, tok, &(*list)[*n]);
                if (r == -EINVAL)
                        continue;
                if (r < 0)
                        return r;
                if (admins && ((*list)[*n].kind == PRINCIPAL_ANY ||
                               (*list)[*n].kind == PRINCIPAL_APP)) {
                        /* Apps are never admins: see policy_is_admin(). */
                        free((*list)[*n].name);
                        r = policy_parser_error(ps, "%s= takes users and @groups, not '%s'",
                                                key, tok);
                        if (r != -EINVAL)
                                return r;
                        continue;
                }
                (*n)++;
        }
        return 0;
}

/* ------------------------------------------------------------------ Owner=, Group= */

/* Owner= or Group= names someone who does not resolve: the rule refuses creates, and says why
 * in create_refusal for the daemon's log. */
static int unresolved_id_spec(struct policy_parser *ps, int r, const char *what, const char *key,
                              const char *value, struct id_spec *ret)
{
        struct policy_rule *rule = open_rule(ps);
        char why[128];
        char *name;

        if (r == -ENOMEM)
                return r;
        lookup_failure(r, what, why, sizeof(why));
        name = strdup(value);
        if (!name)
                return -ENOMEM;
        *ret = (struct id_spec) { .kind = ID_SPEC_UNRESOLVED, .name = name };
        if (!rule->create_refusal &&
            asprintf(&rule->create_refusal, "%s= %s '%s' does not resolve (%s)", key, what,
                     value, why) < 0) {
                rule->create_refusal = NULL;
                return -ENOMEM;
        }
        return policy_parser_warning(ps, "%s= %s '%s' does not resolve (%s): [Segment %s] "
                                     "refuses creates until a reload finds it", key, what,
                                     value, why, rule->id);
}

/* Owner= (@group false) or Group= (@group true): a name, a number, %u or %U. */
static int parse_id_spec(struct policy_parser *ps, const char *key, const char *value,
                         bool group, struct id_spec *ret)
{
        const char *what = group ? "group" : "user";
        uint32_t id;
        int r;

        if (strcmp(value, "%u") == 0) {
                *ret = (struct id_spec) { .kind = ID_SPEC_REQUESTER_NAME };
                return 0;
        }
        if (strcmp(value, "%U") == 0) {
                *ret = (struct id_spec) { .kind = ID_SPEC_REQUESTER_ID };
                return 0;
        }
        if (strchr(value, '%'))
                return policy_parser_error(ps, "%s= takes a %s name, a number, %%u or %%U, not "
                                           "'%s'", key, what, value);
        if (parse_is_digits(value)) {
                if (parse_id(value, &id) < 0)
                        return policy_parser_error(ps, "invalid %cid '%s' in %s=",
                                                   group ? 'g' : 'u', value, key);
        } else if (!name_valid(value) || value[0] == '@') {
                return policy_parser_error(ps, "%s= takes a %s name, a number, %%u or %%U, not "
                                           "'%s'", key, what, value);
        } else if (group) {
                gid_t gid;

                r = nss_group_by_name(value, &gid);
                if (r < 0)
                        return unresolved_id_spec(ps, r, what, key, value, ret);
                id = gid;
        } else {
                uid_t uid;

                r = nss_user_by_name(value, &uid);
                if (r < 0)
                        return unresolved_id_spec(ps, r, what, key, value, ret);
                id = uid;
        }
        *ret = (struct id_spec) { .kind = ID_SPEC_FIXED, .id = id };
        return 0;
}

/* ------------------------------------------------------------------ [Segment] */

int policy_parse_segment_key(struct policy_parser *ps, const char *key, char *value)
{
        struct policy_rule *rule = open_rule(ps);
        enum policy_key k;
        int r;

        for (k = 0; k < _POLICY_KEY_MAX; k++)
                if (strcmp(segment_keys[k].name, key) == 0)
                        break;
        if (k == _POLICY_KEY_MAX)
                return policy_parser_error(ps, "unknown key '%s'", key);

        if (!segment_keys[k].list) {
                if (ps->key_line[k] > 0)
                        return policy_parser_error(ps, "%s= is already set on line %u", key,
                                                   ps->key_line[k]);
                if (!*value)
                        return policy_parser_error(ps, "%s= needs a value", key);
                ps->key_line[k] = ps->line;
        }

        switch (k) {
        case POLICY_KEY_NAMES:
                return parse_names(ps, rule, value);
        case POLICY_KEY_CREATE:
                return parse_principals(ps, key, value, false, &rule->create,
                                        &rule->n_create);
        case POLICY_KEY_READ_WRITE:
                return parse_principals(ps, key, value, false, &rule->read_write,
                                        &rule->n_read_write);
        case POLICY_KEY_READ_ONLY:
                return parse_principals(ps, key, value, false, &rule->read_only,
                                        &rule->n_read_only);
        case POLICY_KEY_OWNER:
                return parse_id_spec(ps, key, value, false, &rule->owner);
        case POLICY_KEY_GROUP:
                return parse_id_spec(ps, key, value, true, &rule->group);
        case POLICY_KEY_MODE:
                /*
                 * Segments are data. An exec bit would let mmap(PROT_EXEC) through on a
                 * tmpfs without noexec, and setuid/setgid/sticky have no meaning here but would
                 * surprise an auditor.
                 */
                r = parse_mode(value, 0666, &rule->mode);
                if (r == -ERANGE)
                        return policy_parser_error(ps, "Mode=%s has bits outside 0666 (setuid, "
                                                   "setgid, sticky and execute bits are not "
                                                   "allowed)", value);
                if (r < 0)
                        return policy_parser_error(ps, "invalid Mode= '%s' (1 to 4 octal "
                                                   "digits)", value);
                return 0;
        case POLICY_KEY_MAX_SIZE:
                r = parse_size(value, &rule->max_size);
                if (r == -ERANGE)
                        return policy_parser_error(ps, "MaxSize= '%s' is too large", value);
                if (r < 0)
                        return policy_parser_error(ps, "invalid MaxSize= '%s' (a number > 0 "
                                                   "with an optional K, M, G or T suffix)",
                                                   value);
                return 0;
        case POLICY_KEY_BACKEND:
                if (strcmp(value, "shm") == 0)
                        rule->backend = POLICY_BACKEND_SHM;
                else if (strcmp(value, "memfd") == 0)
                        rule->backend = POLICY_BACKEND_MEMFD;
                else
                        return policy_parser_error(ps, "invalid Backend= '%s' (shm or memfd)",
                                                   value);
                return 0;
        case POLICY_KEY_LIFETIME:
                r = policy_lifetime_parse(value, &rule->lifetime);
                if (r == -ERANGE)
                        return policy_parser_error(ps, "Lifetime=%s is out of range (1s to "
                                                   "365d)", value);
                if (r < 0)
                        return policy_parser_error(ps, "invalid Lifetime= '%s' (persistent, "
                                                   "process, or a time span such as 30s, "
                                                   "5min, 2h, 1d)", value);
                return 0;
        case _POLICY_KEY_MAX:
                break;
        }
        return -EINVAL;
}

/* ------------------------------------------------------------------ [Quota] */

int policy_parse_quota_key(struct policy_parser *ps, const char *key, char *value)
{
        struct policy_quota *q = &ps->policy->quota;
        enum policy_quota_key k;
        uint64_t v;
        int r;

        for (k = 0; k < _POLICY_QUOTA_KEY_MAX; k++)
                if (strcmp(quota_keys[k], key) == 0)
                        break;
        if (k == _POLICY_QUOTA_KEY_MAX)
                return policy_parser_error(ps, "unknown key '%s' in [Quota]", key);
        if (ps->quota_where[k])
                return policy_parser_error(ps, "%s= is already set at %s", key,
                                           ps->quota_where[k]);
        if (asprintf(&ps->quota_where[k], "%s:%u", ps->file, ps->line) < 0) {
                ps->quota_where[k] = NULL;
                return -ENOMEM;
        }

        if (strcmp(value, "infinity") == 0 && k != POLICY_QUOTA_MAX_CONNECTIONS)
                v = POLICY_UNLIMITED;
        else if (k == POLICY_QUOTA_MAX_BYTES) {
                r = parse_size(value, &v);
                if (r < 0)
                        return policy_parser_error(ps, "invalid %s= '%s' (a size with an "
                                                   "optional K, M, G or T suffix, or "
                                                   "infinity)", key, value);
        } else {
                uint32_t n;

                /* parse_id() takes any uint32 but (uint32_t) -1: plenty for a count. */
                r = parse_id(value, &n);
                if (r < 0 || (k == POLICY_QUOTA_MAX_CONNECTIONS &&
                              (n == 0 || n > POLICY_CONNECTIONS_MAX)))
                        return policy_parser_error(ps, "invalid %s= '%s' (%s)", key, value,
                                                   k == POLICY_QUOTA_MAX_CONNECTIONS ?
                                                   "1 to 16384" : "a count, or infinity");
                v = n;
        }
        switch (k) {
        case POLICY_QUOTA_MAX_OBJECTS:
                q->max_objects = v;
                break;
        case POLICY_QUOTA_MAX_BYTES:
                q->max_bytes = v;
                break;
        case POLICY_QUOTA_MAX_CONNECTIONS:
                q->max_connections = v;
                break;
        case _POLICY_QUOTA_KEY_MAX:
                break;
        }
        return 0;
}

/* ------------------------------------------------------------------ [Broker] */

int policy_parse_broker_key(struct policy_parser *ps, const char *key, char *value)
{
        struct policy *p = ps->policy;

        /* A list key like Create=: may repeat (in any file), and an empty value resets it. */
        if (strcmp(key, "Admins") == 0)
                return parse_principals(ps, key, value, true, &p->admins, &p->n_admins);
        return policy_parser_error(ps, "unknown key '%s' in [Broker]", key);
}
