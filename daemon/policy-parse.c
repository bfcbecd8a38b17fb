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

static int _printf_(4, 0) record(struct policy_parser *ps, enum policy_diag_level level,
                                  unsigned line, const char *fmt, va_list ap)
{
        _cleanup_(freep) char *msg = NULL;
        int r;

        r = vasprintf(&msg, fmt, ap);
        if (r < 0)
                return -ENOMEM;
        if (level == POLICY_DIAG_ERROR && !ps->first_error) {
                _cleanup_(freep) char *escaped = policy_diag_escape(msg);

                if (!escaped)
                        return -ENOMEM;
                if (line > 0)
                        r = asprintf(&ps->first_error, "%s:%u: %s", ps->file, line, escaped);
                else
                        r = asprintf(&ps->first_error, "%s: %s", ps->file, escaped);
                if (r < 0) {
                        ps->first_error = NULL;
                        return -ENOMEM;
                }
        }
        return policy_diags_add(ps->diags, level, ps->file, line, "%s", msg);
}

int policy_parser_error_at(struct policy_parser *ps, unsigned line, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = record(ps, POLICY_DIAG_ERROR, line, fmt, ap);
        va_end(ap);
        return r < 0 ? r : -EINVAL;
}

int policy_parser_warning_at(struct policy_parser *ps, unsigned line, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = record(ps, POLICY_DIAG_WARNING, line, fmt, ap);
        va_end(ap);
        return r;
}

bool policy_parser_failed(const struct policy_parser *ps)
{
        return ps->diags->n_errors > ps->errors_before;
}

int policy_parser_init(struct policy_parser *ps, struct policy_diags *diags)
{
        *ps = (struct policy_parser) {};
        ps->diags = diags ? diags : &ps->own;
        ps->errors_before = ps->diags->n_errors;
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

static void rule_id_free(struct hashmap_entry *e)
{
        free(container_of(e, struct rule_id, entry));
}

void policy_parser_deinit(struct policy_parser *ps)
{
        size_t i;

        if (ps->ids.buckets) {
                hashmap_clear(&ps->ids, rule_id_free);
                hashmap_deinit(&ps->ids);
        }
        ps->policy = policy_free(ps->policy);
        free(ps->first_error);
        ps->first_error = NULL;
        policy_diags_clear(&ps->own);
        for (i = 0; i < _POLICY_QUOTA_KEY_MAX; i++) {
                free(ps->quota_where[i]);
                ps->quota_where[i] = NULL;
        }
}

/* Keys that mean nothing for a memfd object, which belongs to the daemon with mode 0600. */
static int check_backend_keys(struct policy_parser *ps, const struct policy_rule *rule)
{
        static const enum policy_key shm_only[] = {
                POLICY_KEY_OWNER, POLICY_KEY_GROUP, POLICY_KEY_MODE,
        };
        size_t i;
        int r;

        if (rule->backend != POLICY_BACKEND_MEMFD)
                return 0;
        for (i = 0; i < ELEMENTSOF(shm_only); i++) {
                enum policy_key k = shm_only[i];

                if (ps->key_line[k] == 0)
                        continue;
                r = policy_parser_warning_at(ps, ps->key_line[k], "%s= does not apply to "
                                             "Backend=memfd (memfd objects belong to the "
                                             "daemon, mode 0600) and is ignored",
                                             policy_segment_key_name(k));
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool list_names_an_app(const struct principal *v, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (v[i].kind == PRINCIPAL_APP)
                        return true;
        return false;
}

static bool names_an_app(const struct policy_rule *rule)
{
        return list_names_an_app(rule->create, rule->n_create) ||
               list_names_an_app(rule->read_write, rule->n_read_write) ||
               list_names_an_app(rule->read_only, rule->n_read_only);
}

static int mixed_names(struct policy_parser *ps, const struct policy_rule *rule,
                       const char *specifiers, const char *who, const char *key)
{
        return policy_parser_error_at(ps, rule->line, "[Segment %s] mixes Names= patterns with "
                                      "%s and without: each %s's objects would be handed to "
                                      "every %s whose %s they match; put the other names in a "
                                      "rule of their own", rule->id, specifiers, who, who, key);
}

/*
 * Per-user and per-app, derived once here, so that requests never scan the patterns for them.
 * A rule is one kind of namespace: a per-user pattern beside a shared one would make the
 * rule's objects under the per-user prefix shared too (user "alice" matches "alice-x-*", the
 * names of user "alice-x", through "%u-*"), so mixing them is refused, and likewise for %a.
 */
static int derive_namespace(struct policy_parser *ps, struct policy_rule *rule)
{
        size_t i, n_user = 0, n_app = 0;

        for (i = 0; i < rule->n_names; i++) {
                bool u = pattern_has_specifier(rule->names[i], 'u');

                if (u || pattern_has_specifier(rule->names[i], 'U'))
                        n_user++;
                if (pattern_has_specifier(rule->names[i], 'a'))
                        n_app++;
                if (u)
                        ps->policy->needs_user_names = true;
        }
        if (n_user > 0 && n_user < rule->n_names)
                return mixed_names(ps, rule, "%u or %U", "user", "name");
        if (n_app > 0 && n_app < rule->n_names)
                return mixed_names(ps, rule, "%a", "app", "id");
        rule->per_user = n_user > 0;
        rule->per_app = n_app > 0;
        return 0;
}

static bool names_group(const struct principal *v, size_t n, gid_t gid)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (v[i].kind == PRINCIPAL_GROUP && v[i].id == gid)
                        return true;
        return false;
}

/*
 * Group= with a Mode= that lets the group write, and that group a reader only: its members
 * could write the file in the object directory, so the broker hands them no fd at all (a
 * reader the file lets write is refused: broker_check_inode_access()). Fails closed, but is
 * surely not what was meant.
 */
static int check_group_write(struct policy_parser *ps, const struct policy_rule *rule)
{
        unsigned line = ps->key_line[POLICY_KEY_MODE] ? ps->key_line[POLICY_KEY_MODE]
                                                      : rule->line;

        if (rule->backend != POLICY_BACKEND_SHM || rule->group.kind != ID_SPEC_FIXED ||
            !(rule->mode & 0020) ||
            !names_group(rule->read_only, rule->n_read_only, (gid_t) rule->group.id) ||
            names_group(rule->read_write, rule->n_read_write, (gid_t) rule->group.id))
                return 0;
        return policy_parser_warning_at(ps, line, "[Segment %s] Mode=%04o lets the group of "
                                        "Group= (gid %u) write in the object directory, but "
                                        "ReadOnly= names that group: the broker hands its "
                                        "members no fd at all; take the group's write bit "
                                        "away, or name the group in ReadWrite=", rule->id,
                                        (unsigned) rule->mode, (unsigned) rule->group.id);
}

/* Closes the open section, if any: the checks that need the whole section happen here. */
static int end_section(struct policy_parser *ps)
{
        struct policy_rule *rule;
        int r;

        if (ps->section != POLICY_SECTION_SEGMENT) {
                ps->section = POLICY_SECTION_NONE;
                return 0;
        }
        ps->section = POLICY_SECTION_NONE;
        rule = policy_parser_rule(ps);
        r = check_backend_keys(ps, rule);
        if (r < 0)
                return r;
        if (rule->n_names == 0)
                return policy_parser_error_at(ps, rule->line, "[Segment %s] has no Names=",
                                              rule->id);

        r = derive_namespace(ps, rule);
        if (r < 0)
                return r;
        if (rule->owner.kind == ID_SPEC_REQUESTER_NAME ||
            rule->group.kind == ID_SPEC_REQUESTER_NAME)
                ps->policy->needs_user_names = true;
        /* The ACL has no named entries then (policy_acl_entries()); the mode is the
         * administrator's, and its group and other bits reach past the creator. */
        if (rule->per_user && rule->backend == POLICY_BACKEND_SHM && (rule->mode & 0066)) {
                unsigned line = ps->key_line[POLICY_KEY_MODE] ? ps->key_line[POLICY_KEY_MODE]
                                                              : rule->line;

                r = policy_parser_warning_at(ps, line,
                                             "[Segment %s] is per-user (every Names= pattern "
                                             "holds %%u or %%U), but Mode=%04o has group or "
                                             "other bits: they let others open every user's "
                                             "objects of this rule in the object directory, "
                                             "which the broker hands only to their creators",
                                             rule->id, (unsigned) rule->mode);
                if (r < 0)
                        return r;
        }
        r = check_group_write(ps, rule);
        if (r < 0)
                return r;
        if (rule->per_app && !names_an_app(rule))
                return policy_parser_warning_at(ps, rule->line, "[Segment %s] matches only app "
                                                "connections (every Names= pattern holds %%a) "
                                                "but grants nothing to an app: principal",
                                                rule->id);
        return 0;
}

/* Adds the rule that the section opens. A duplicate's keys are still checked, but its ID is
 * not registered again. */
static int add_rule(struct policy_parser *ps, const char *id, bool duplicate)
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
        if (!rule->id || !rule->file)
                return -ENOMEM;
        if (duplicate)
                return 0;
        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
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
        if (r < 0 && r != -EINVAL)
                return r;
        /* Until this header proves good, the keys that follow belong to nothing. */
        ps->section = POLICY_SECTION_INVALID;

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
        if (strcmp(type, "Quota") == 0 || strcmp(type, "Broker") == 0) {
                ps->section = type[0] == 'Q' ? POLICY_SECTION_QUOTA : POLICY_SECTION_BROKER;
                if (*id)
                        return policy_parser_error(ps, "[%s] takes no ID", type);
                return 0;
        }
        if (strcmp(type, "Segment") != 0)
                return policy_parser_error(ps, "unknown section type '%s'", type);
        if (!*id)
                return policy_parser_error(ps, "[Segment] section without an ID");
        /* The ID names the rule in messages and in logs: one word, no brackets. */
        if (id[strcspn(id, WHITESPACE "[]")])
                return policy_parser_error(ps, "invalid section ID '%s'", id);
        if (ps->rules_full)
                return 0;
        if (ps->policy->n_rules >= POLICY_RULES_MAX) {
                ps->rules_full = true;
                return policy_parser_error(ps, "too many rules (the limit is %d); the rest "
                                           "is not read", POLICY_RULES_MAX);
        }
        dup = hashmap_get(&ps->ids, id);
        r = add_rule(ps, id, dup);
        if (r < 0)
                return r;
        ps->section = POLICY_SECTION_SEGMENT;
        memset(ps->key_line, 0, sizeof(ps->key_line));
        if (dup) {
                const struct policy_rule *first =
                        &ps->policy->rules[container_of(dup, struct rule_id, entry)->index];

                return policy_parser_error(ps, "duplicate section ID '%s', first used at %s:%u",
                                           id, first->file, first->line);
        }
        return 0;
}

/*
 * Mistakes that parse: "Names=a-*  # all of a" adds the patterns '#', 'all', 'of' and 'a', and
 * "Names=\"a-*\"" a pattern with quotes that no name matches. The values are taken as written
 * (as systemd does), with a warning.
 */
static int check_value(struct policy_parser *ps, const char *key, const char *value)
{
        const char *hash;
        int r;

        for (hash = strchr(value, '#'); hash; hash = strchr(hash + 1, '#'))
                if (hash == value || strchr(WHITESPACE, hash[-1]))
                        break;
        if (hash) {
                r = policy_parser_warning(ps, "'#' does not start a comment inside a value "
                                          "(comments stand on their own lines): '%s' is part "
                                          "of %s=", hash, key);
                if (r < 0)
                        return r;
        }
        if (strpbrk(value, "\"'")) {
                r = policy_parser_warning(ps, "quotes are not special in values: %s= gets "
                                          "'%s' with its quote characters", key, value);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_line(struct policy_parser *ps, char *buf, size_t len)
{
        char *s, *eq, *key, *value;
        size_t i;
        int r;

        /*
         * Control characters have no business in a policy and could rewrite a terminal when
         * echoed in a message. NUL would cut the line short behind our back. A carriage return
         * may end a line (CRLF files), and nowhere else.
         */
        for (i = 0; i < len; i++) {
                unsigned char c = (unsigned char) buf[i];

                if (c == '\r' && strspn(buf + i, "\r") == len - i)
                        break;
                if ((c < 0x20 && c != '\t') || c == 0x7f)
                        return policy_parser_error(ps, "control character 0x%02x in line", c);
        }

        s = strip(buf);
        if (!*s || *s == '#' || *s == ';')
                return 0;
        if (*s == '[')
                return parse_section(ps, s);

        eq = strchr(s, '=');
        if (!eq)
                return policy_parser_error(ps, "expected 'Key=Value' or a section header");
        *eq = '\0';
        key = strip(s);
        value = strip(eq + 1);
        if (!*key)
                return policy_parser_error(ps, "missing key before '='");
        if (ps->section == POLICY_SECTION_INVALID)
                return 0;
        if (ps->section == POLICY_SECTION_NONE)
                return policy_parser_error(ps, "key '%s' outside of a section", key);
        r = check_value(ps, key, value);
        if (r < 0)
                return r;
        switch (ps->section) {
        case POLICY_SECTION_QUOTA:
                return policy_parse_quota_key(ps, key, value);
        case POLICY_SECTION_BROKER:
                return policy_parse_broker_key(ps, key, value);
        default:
                return policy_parse_segment_key(ps, key, value);
        }
}

/* Keeps a copy of what is parsed, for policy_load_sources(). */
static int add_source(struct policy_parser *ps, const char *file, const char *text, size_t len)
{
        struct policy *p = ps->policy;
        struct policy_source *v;
        char *path, *copy;

        if ((p->n_sources & (p->n_sources - 1)) == 0) {
                v = reallocarray(p->sources, p->n_sources ? p->n_sources * 2 : 1, sizeof(*v));
                if (!v)
                        return -ENOMEM;
                p->sources = v;
        }
        path = strdup(file);
        copy = malloc(len + 1);
        if (!path || !copy) {
                free(path);
                free(copy);
                return -ENOMEM;
        }
        memcpy(copy, text, len);
        copy[len] = '\0';
        p->sources[p->n_sources++] = (struct policy_source) {
                .path = path, .text = copy, .size = len,
        };
        return 0;
}

int policy_parser_feed(struct policy_parser *ps, const char *file, const char *text, size_t len)
{
        char buf[POLICY_LINE_MAX + 1];
        size_t pos = 0;
        int r;

        ps->file = file;
        ps->line = 0;
        ps->section = POLICY_SECTION_NONE;
        r = add_source(ps, file, text, len);
        if (r < 0)
                return r;
        /* rule->file and messages point at the copy, which lives as long as the policy. */
        ps->file = file = ps->policy->sources[ps->policy->n_sources - 1].path;
        if (len > POLICY_FILE_MAX) {
                r = policy_parser_error_at(ps, 0, "larger than %u bytes", POLICY_FILE_MAX);
                return r == -EINVAL ? 0 : r;
        }

        while (pos < len) {
                const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
                size_t n = nl ? (size_t) (nl - start) : len - pos;

                pos += n + (nl ? 1 : 0);
                ps->line++;
                if (n > POLICY_LINE_MAX)
                        r = policy_parser_error(ps, "line longer than %d bytes",
                                                POLICY_LINE_MAX);
                else {
                        memcpy(buf, start, n);
                        buf[n] = '\0';
                        r = parse_line(ps, buf, n);
                }
                if (r < 0 && r != -EINVAL)
                        return r;
        }
        r = end_section(ps);
        return r == -EINVAL ? 0 : r;
}

int policy_parser_finish(struct policy_parser *ps, int r, struct policy **ret, char **ret_error)
{
        struct policy_index *x = NULL;

        if (r >= 0) {
                int k = policy_lint(ps->policy, ps->diags);

                if (k < 0)
                        r = k;
        }
        if (r >= 0 && policy_parser_failed(ps)) {
                r = -EINVAL;
                if (ret_error)
                        *ret_error = TAKE_PTR(ps->first_error);
        }
        if (r >= 0) {
                int k = policy_index_new(ps->policy, &x);

                if (k < 0)
                        r = k;
                else {
                        ps->policy->index = x;
                        *ret = TAKE_PTR(ps->policy);
                }
        }
        policy_parser_deinit(ps);
        return r;
}
