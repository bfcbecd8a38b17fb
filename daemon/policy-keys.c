/* SPDX-License-Identifier: MIT */
/*
 * policy-keys.c - the keys of each section and their values: Names= patterns, modes, sizes,
 * backends, lifetimes, quotas and admins.
 *
 * Principals and owners are policy-principals.c's; structure (sections, lines, IDs) is
 * policy-parse.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        [POLICY_KEY_PUBLISH] = { "Publish", false },
};

static const char *const quota_keys[_POLICY_QUOTA_KEY_MAX] = {
        [POLICY_QUOTA_MAX_OBJECTS] = "MaxObjectsPerUser",
        [POLICY_QUOTA_MAX_BYTES] = "MaxBytesPerUser",
        [POLICY_QUOTA_MAX_CONNECTIONS] = "MaxConnectionsPerUser",
};

const char *policy_segment_key_name(enum policy_key k)
{
        return k < _POLICY_KEY_MAX ? segment_keys[k].name : "?";
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
        r = policy_array_reserve((void **) &rule->names, rule->n_names, sizeof(char *));
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

/* ------------------------------------------------------------------ [Segment] */

int policy_parse_segment_key(struct policy_parser *ps, const char *key, char *value)
{
        struct policy_rule *rule = policy_parser_rule(ps);
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
                return policy_parse_principals(ps, key, value, false, &rule->create,
                                               &rule->n_create);
        case POLICY_KEY_READ_WRITE:
                return policy_parse_principals(ps, key, value, false, &rule->read_write,
                                               &rule->n_read_write);
        case POLICY_KEY_READ_ONLY:
                return policy_parse_principals(ps, key, value, false, &rule->read_only,
                                               &rule->n_read_only);
        case POLICY_KEY_OWNER:
                return policy_parse_id_spec(ps, key, value, false, &rule->owner);
        case POLICY_KEY_GROUP:
                return policy_parse_id_spec(ps, key, value, true, &rule->group);
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
        case POLICY_KEY_PUBLISH:
                if (strcmp(value, "creator") == 0)
                        rule->publish = POLICY_PUBLISH_CREATOR;
                else if (strcmp(value, "writers") == 0)
                        rule->publish = POLICY_PUBLISH_WRITERS;
                else if (strcmp(value, "no") == 0)
                        rule->publish = POLICY_PUBLISH_NO;
                else
                        return policy_parser_error(ps, "invalid Publish= '%s' (creator, writers "
                                                   "or no)", value);
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
                return policy_parse_principals(ps, key, value, true, &p->admins, &p->n_admins);
        return policy_parser_error(ps, "unknown key '%s' in [Broker]", key);
}
