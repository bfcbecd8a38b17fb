/* SPDX-License-Identifier: MIT */
/*
 * policy-principals.c - who a policy names: principals (Create=, ReadWrite=, ReadOnly=,
 * Admins=) and owners (Owner=, Group=).
 *
 * User and group names are resolved here, at each load (nss.c). A name that does not resolve
 * is a warning and matches nobody; a name that no system could have is an error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appid.h"
#include "nss.h"
#include "parse.h"
#include "policy-parser.h"

void policy_principals_free(struct principal *v, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                free(v[i].name);
        free(v);
}

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
 * A principal: "*", "app:GLOB", "@group", "@gid", a user name or a uid. A string of digits is
 * always a number, as for chown(1) --from and systemd; a user whose name is all digits cannot
 * be named.
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
int policy_parse_principals(struct policy_parser *ps, const char *key, char *value, bool admins,
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
                r = policy_array_reserve((void **) list, *n, sizeof(**list));
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
        struct policy_rule *rule = policy_parser_rule(ps);
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
int policy_parse_id_spec(struct policy_parser *ps, const char *key, const char *value,
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
