/* SPDX-License-Identifier: MIT */
/*
 * policy-parse.c - policy text to struct policy: lines, sections, rule IDs, and the checks that
 * need a whole section.
 *
 * The syntax is the INI style of systemd units (shmbroker.conf(5)). The value of each key is
 * policy-keys.c's business; reading files is policy-load.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "policy-index.h"
#include "policy-parser.h"

/* A rule ID in the duplicate table. The key points at the rule's own ID string, which stays
 * put when the rule array moves. */
struct rule_id {
        struct hashmap_entry entry;
        size_t index;
};

static char *strip(char *s)
{
        size_t n;

        s += strspn(s, WHITESPACE);
        n = strlen(s);
        while (n > 0 && strchr(WHITESPACE, s[n - 1]))
                s[--n] = '\0';
        return s;
}

int policy_parser_error_at(struct policy_parser *ps, unsigned line, const char *fmt, ...)
{
        _cleanup_(freep) char *msg = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&msg, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        free(ps->error);
        if (line > 0)
                r = asprintf(&ps->error, "%s:%u: %s", ps->file, line, msg);
        else
                r = asprintf(&ps->error, "%s: %s", ps->file, msg);
        if (r < 0) {
                ps->error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

int policy_parser_init(struct policy_parser *ps)
{
        *ps = (struct policy_parser) {};
        ps->policy = calloc(1, sizeof(struct policy));
        if (!ps->policy)
                return -ENOMEM;
        ps->policy->quota = (struct policy_quota) {
                .max_objects = POLICY_DEFAULT_MAX_OBJECTS,
                .max_bytes = POLICY_DEFAULT_MAX_BYTES,
                .max_connections = POLICY_DEFAULT_MAX_CONNECTIONS,
        };
        return hashmap_init(&ps->ids);
}

void policy_parser_deinit(struct policy_parser *ps)
{
        struct hashmap_entry *e;
        size_t i;

        if (ps->ids.buckets) {
                while ((e = hashmap_first(&ps->ids, &i)))
                        free(container_of(hashmap_remove(&ps->ids, e->key), struct rule_id,
                                          entry));
                hashmap_deinit(&ps->ids);
        }
        ps->policy = policy_free(ps->policy);
        free(ps->error);
        ps->error = NULL;
        for (i = 0; i < _POLICY_QUOTA_KEY_MAX; i++) {
                free(ps->quota_where[i]);
                ps->quota_where[i] = NULL;
        }
}

static struct policy_rule *open_rule(struct policy_parser *ps)
{
        return &ps->policy->rules[ps->policy->n_rules - 1];
}

/* Closes the open section, if any: the checks that need the whole section happen here. */
static int end_section(struct policy_parser *ps)
{
        struct policy_rule *rule;
        size_t i;

        if (ps->section != POLICY_SECTION_SEGMENT) {
                ps->section = POLICY_SECTION_NONE;
                return 0;
        }
        ps->section = POLICY_SECTION_NONE;
        rule = open_rule(ps);
        if (rule->n_names == 0)
                return policy_parser_error_at(ps, rule->line, "[Segment %s] has no Names=",
                                              rule->id);

        /* Derived once here, so that requests never scan the patterns for them. */
        rule->per_user = rule->owner.kind == ID_SPEC_REQUESTER_NAME ||
                         rule->owner.kind == ID_SPEC_REQUESTER_ID;
        for (i = 0; i < rule->n_names; i++) {
                bool u = pattern_has_specifier(rule->names[i], 'u');

                if (!u && !pattern_has_specifier(rule->names[i], 'U'))
                        rule->per_user = false;
                if (u)
                        ps->policy->needs_user_names = true;
        }
        if (rule->owner.kind == ID_SPEC_REQUESTER_NAME ||
            rule->group.kind == ID_SPEC_REQUESTER_NAME)
                ps->policy->needs_user_names = true;
        return 0;
}

static int add_rule(struct policy_parser *ps, const char *id)
{
        struct policy_rule *rule;
        struct rule_id *e;

        if (ps->policy->n_rules == ps->n_rules_alloc) {
                size_t m = ps->n_rules_alloc ? ps->n_rules_alloc * 2 : 16;
                struct policy_rule *v = reallocarray(ps->policy->rules, m, sizeof(*v));

                if (!v)
                        return -ENOMEM;
                ps->policy->rules = v;
                ps->n_rules_alloc = m;
        }
        rule = &ps->policy->rules[ps->policy->n_rules++];
        *rule = (struct policy_rule) {
                .line = ps->line,
                .owner = { .kind = ID_SPEC_DAEMON },
                .group = { .kind = ID_SPEC_DAEMON },
                .mode = 0600,
                .max_size = POLICY_SIZE_UNLIMITED,
                .backend = POLICY_BACKEND_SHM,
        };
        rule->id = strdup(id);
        rule->file = strdup(ps->file);
        e = calloc(1, sizeof(*e));
        if (!rule->id || !rule->file || !e) {
                free(e);
                return -ENOMEM;
        }
        e->index = ps->policy->n_rules - 1;
        e->entry.key = rule->id;
        hashmap_put(&ps->ids, &e->entry);
        return 0;
}

static int parse_section(struct policy_parser *ps, char *s)
{
        size_t n = strlen(s);
        struct hashmap_entry *dup;
        char *type, *id;
        int r;

        r = end_section(ps);
        if (r < 0)
                return r;

        if (s[n - 1] != ']')
                return policy_parser_error(ps, "section header does not end in ']'");
        s[n - 1] = '\0';
        type = strip(s + 1);
        id = type + strcspn(type, WHITESPACE);
        if (*id)
                *id++ = '\0';
        id = strip(id);

        if (!*type)
                return policy_parser_error(ps, "empty section header");
        if (strcmp(type, "Quota") == 0) {
                if (*id)
                        return policy_parser_error(ps, "[Quota] takes no ID");
                ps->section = POLICY_SECTION_QUOTA;
                return 0;
        }
        if (strcmp(type, "Segment") != 0)
                return policy_parser_error(ps, "unknown section type '%s'", type);
        if (!*id)
                return policy_parser_error(ps, "[Segment] section without an ID");
        /* The ID names the rule in messages and in logs: one word, no brackets. */
        if (id[strcspn(id, WHITESPACE "[]")])
                return policy_parser_error(ps, "invalid section ID '%s'", id);
        dup = hashmap_get(&ps->ids, id);
        if (dup) {
                const struct policy_rule *first =
                        &ps->policy->rules[container_of(dup, struct rule_id, entry)->index];

                return policy_parser_error(ps, "duplicate section ID '%s', first used at %s:%u",
                                           id, first->file, first->line);
        }
        if (ps->policy->n_rules >= POLICY_RULES_MAX)
                return policy_parser_error(ps, "too many rules (the limit is %d)",
                                           POLICY_RULES_MAX);
        r = add_rule(ps, id);
        if (r < 0)
                return r;
        ps->section = POLICY_SECTION_SEGMENT;
        memset(ps->key_line, 0, sizeof(ps->key_line));
        return 0;
}

static int parse_line(struct policy_parser *ps, char *buf, size_t len)
{
        char *s, *eq;
        size_t i;

        /*
         * Control characters have no business in a policy and could rewrite a terminal when
         * echoed in an error message. NUL would cut the line short behind our back.
         */
        for (i = 0; i < len; i++) {
                unsigned char c = (unsigned char) buf[i];

                if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
                        return policy_parser_error(ps, "control character 0x%02x in line", c);
        }

        s = strip(buf);
        if (!*s || *s == '#' || *s == ';')
                return 0;
        if (*s == '[')
                return parse_section(ps, s);

        eq = strchr(s, '=');
        if (!eq)
                return policy_parser_error(ps, "expected 'Key=Value' or '[Segment ID]'");
        *eq = '\0';
        s = strip(s);
        if (!*s)
                return policy_parser_error(ps, "missing key before '='");
        switch (ps->section) {
        case POLICY_SECTION_QUOTA:
                return policy_parse_quota_key(ps, s, strip(eq + 1));
        case POLICY_SECTION_SEGMENT:
                return policy_parse_segment_key(ps, s, strip(eq + 1));
        case POLICY_SECTION_NONE:
                break;
        }
        return policy_parser_error(ps, "key '%s' outside of a [Segment] section", s);
}

int policy_parser_feed(struct policy_parser *ps, const char *file, const char *text, size_t len)
{
        char buf[POLICY_LINE_MAX + 1];
        size_t pos = 0;
        int r;

        ps->file = file;
        ps->line = 0;
        ps->section = POLICY_SECTION_NONE;
        if (len > POLICY_FILE_MAX)
                return policy_parser_error_at(ps, 0, "larger than %u bytes", POLICY_FILE_MAX);

        while (pos < len) {
                const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
                size_t n = nl ? (size_t) (nl - start) : len - pos;

                pos += n + (nl ? 1 : 0);
                ps->line++;
                if (n > POLICY_LINE_MAX)
                        return policy_parser_error(ps, "line longer than %d bytes",
                                                   POLICY_LINE_MAX);
                memcpy(buf, start, n);
                buf[n] = '\0';
                r = parse_line(ps, buf, n);
                if (r < 0)
                        return r;
        }
        return end_section(ps);
}

int policy_parser_finish(struct policy_parser *ps, int r, struct policy **ret, char **ret_error)
{
        struct policy_index *x = NULL;

        if (r >= 0) {
                int k = policy_index_new(ps->policy, &x);

                if (k < 0)
                        r = k;
        }
        if (r >= 0) {
                ps->policy->index = x;
                *ret = TAKE_PTR(ps->policy);
        } else if (r == -EINVAL && ps->error && ret_error)
                *ret_error = TAKE_PTR(ps->error);
        policy_parser_deinit(ps);
        return r;
}
