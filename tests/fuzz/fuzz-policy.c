/* SPDX-License-Identifier: MIT */
/*
 * fuzz-policy.c - the policy parser and the decisions built on it (daemon/policy*.c,
 * daemon/pattern.c).
 *
 * Input: policy text. Loaded whole with policy_load_text(), every diagnostic must be about
 * "<fuzz>" and free of control characters, and the load must fail exactly when one is an error.
 * Loaded again cut at the first NUL with policy_load_string(), a refused policy must come with a
 * "<fuzz>..." first error; an accepted one is queried for fixed requesters (root, nobody 65534
 * named "nobody", uid 41001 with no name, and root and 41001 as apps) on names made from its
 * own patterns, and the answers are checked:
 *
 *  - policy_match() (prefix index) returns the rule a plain first-match scan written here
 *    returns, following shmbroker.conf(5): %u is the glob-escaped user name, %U the uid, %a
 *    the app id, %% a '%'; %u matches nothing for a uid with no name, %a nothing without an
 *    app id, nor does an expansion that does not fit;
 *  - policy_rights() gives what the rule's principal lists say (app: principals for app
 *    connections only, the others for the rest), and WRITE implies READ;
 *  - an owner policy_resolve_owner() gives is one policy_owner_plausible() accepts;
 *  - policy_acl_entries() has each id once, with perm 4 or 6;
 *  - every rule allows its own Lifetime=, and process.
 *
 * Everything is freed, so LeakSanitizer reports leaks on the parser's error paths.
 */
#include <errno.h>
#include <fnmatch.h>
#include <pwd.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "policy.h"
#include "protocol.h"

#define ORIGIN "<fuzz>"
#define EXPAND_MAX 4096         /* pattern.h's PATTERN_EXPAND_MAX: bytes with the NUL */
#define RULES_MAX 16            /* rules and patterns per rule that seed names: keep it fast */
#define PATTERNS_MAX 8

static gid_t groups_41001[] = { 100, 41001 };

static struct identity identities[] = {
        { .uid = 0, .gid = 0, .user_name = (char *) "root" },
        { .uid = 65534, .gid = 65534, .user_name = (char *) "nobody" },
        { .uid = 41001, .gid = 41001, .groups = groups_41001, .n_groups = 2 },
        /* Apps: the same users, on an app socket. */
        { .uid = 0, .gid = 0, .user_name = (char *) "root", .app_id = (char *) "org.example.App" },
        { .uid = 41001, .gid = 41001, .groups = groups_41001, .n_groups = 2,
          .app_id = (char *) "a.b-c" },
};

/* Does NSS agree with identities[i]? Only then can owner plausibility be checked. */
static bool nss_agrees[sizeof(identities) / sizeof(identities[0])];

#define N_IDENTITIES (sizeof(identities) / sizeof(identities[0]))

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        size_t i;

        for (i = 0; i < N_IDENTITIES; i++) {
                struct passwd *pw = getpwuid(identities[i].uid);
                const char *want = identities[i].user_name;

                nss_agrees[i] = want ? pw && strcmp(pw->pw_name, want) == 0 : !pw;
        }
        return 0;
}

/* ---- the reference: a linear first match, written from the manual, not from policy.c ---- */

struct strbuf {
        char buf[EXPAND_MAX * 2];
        size_t n;
        bool overflow;
};

static void sb_put(struct strbuf *b, char c)
{
        if (b->n + 1 >= sizeof(b->buf)) {
                b->overflow = true;
                return;
        }
        b->buf[b->n++] = c;
        b->buf[b->n] = '\0';
}

/* false: the pattern cannot match for @id. */
static bool ref_expand(const char *pattern, const struct identity *id, struct strbuf *b)
{
        const char *p, *q;
        char num[16];

        b->n = 0;
        b->buf[0] = '\0';
        b->overflow = false;
        for (p = pattern; *p; p++) {
                if (*p != '%') {
                        sb_put(b, *p);
                        continue;
                }
                p++;
                if (*p == '%')
                        sb_put(b, '%');
                else if (*p == 'U') {
                        snprintf(num, sizeof(num), "%u", (unsigned) id->uid);
                        for (q = num; *q; q++)
                                sb_put(b, *q);
                } else {
                        /* The parser lets only %u, %U, %a and %% through. */
                        const char *v = *p == 'u' ? id->user_name : id->app_id;

                        FUZZ_CHECK(*p == 'u' || *p == 'a');
                        if (!v)
                                return false;
                        for (q = v; *q; q++) {
                                if (strchr("*?[]\\", *q))
                                        sb_put(b, '\\');
                                sb_put(b, *q);
                        }
                }
        }
        return !b->overflow && b->n < EXPAND_MAX;
}

static bool ref_pattern_matches(const char *pattern, const char *name,
                                const struct identity *id)
{
        static struct strbuf b;

        if (!strchr(pattern, '%'))
                return fnmatch(pattern, name, 0) == 0;
        if (!ref_expand(pattern, id, &b))
                return false;
        return fnmatch(b.buf, name, 0) == 0;
}

static const struct policy_rule *ref_match(const struct policy *p, const char *name,
                                           const struct identity *id)
{
        size_t i, j;

        for (i = 0; i < p->n_rules; i++)
                for (j = 0; j < p->rules[i].n_names; j++)
                        if (ref_pattern_matches(p->rules[i].names[j], name, id))
                                return &p->rules[i];
        return NULL;
}

/* An app connection matches app: principals only, any other connection everything else. */
static bool ref_in(const struct principal *v, size_t n, const struct identity *id)
{
        size_t i, k;

        for (i = 0; i < n; i++) {
                if (id->app_id || v[i].kind == PRINCIPAL_APP) {
                        if (id->app_id && v[i].kind == PRINCIPAL_APP &&
                            fnmatch(v[i].name, id->app_id, 0) == 0)
                                return true;
                        continue;
                }
                if (v[i].kind == PRINCIPAL_ANY)
                        return true;
                if (v[i].kind == PRINCIPAL_USER && v[i].id == (uint32_t) id->uid)
                        return true;
                if (v[i].kind == PRINCIPAL_GROUP) {
                        if (v[i].id == (uint32_t) id->gid)
                                return true;
                        for (k = 0; k < id->n_groups; k++)
                                if (v[i].id == (uint32_t) id->groups[k])
                                        return true;
                }
        }
        return false;
}

static unsigned ref_rights(const struct policy_rule *rule, const struct identity *id)
{
        unsigned r = 0;

        if (ref_in(rule->read_write, rule->n_read_write, id))
                r |= POLICY_RIGHT_READ | POLICY_RIGHT_WRITE;
        if (ref_in(rule->read_only, rule->n_read_only, id))
                r |= POLICY_RIGHT_READ;
        if (ref_in(rule->create, rule->n_create, id))
                r |= POLICY_RIGHT_CREATE;
        return r;
}

/* ---- checks ---- */

static void check_acl(const struct policy_rule *rule)
{
        struct policy_acl_entry *users = NULL, *groups = NULL;
        size_t n_users = 0, n_groups = 0, i, j;
        int r;

        r = policy_acl_entries(rule, &users, &n_users, &groups, &n_groups);
        FUZZ_CHECK(r == 0 || r == -ENOMEM);
        if (r < 0)
                return;
        FUZZ_CHECK(n_users <= rule->n_read_write + rule->n_read_only);
        FUZZ_CHECK(n_groups <= rule->n_read_write + rule->n_read_only);
        FUZZ_CHECK((n_users == 0) == !users && (n_groups == 0) == !groups);
        for (i = 0; i < n_users; i++) {
                FUZZ_CHECK(users[i].perm == 4 || users[i].perm == 6);
                for (j = 0; j < i; j++)
                        FUZZ_CHECK(users[i].id != users[j].id);
        }
        for (i = 0; i < n_groups; i++) {
                FUZZ_CHECK(groups[i].perm == 4 || groups[i].perm == 6);
                for (j = 0; j < i; j++)
                        FUZZ_CHECK(groups[i].id != groups[j].id);
        }
        free(users);
        free(groups);
}

static void check_name(const struct policy *p, const char *raw)
{
        char name[SHMB_PROTO_NAME_MAX + 1];
        size_t i;

        /* policy_match() takes normalised names only, as the broker hands it. */
        if (shmb_name_normalize(raw, strlen(raw), name) < 0)
                return;

        for (i = 0; i < N_IDENTITIES; i++) {
                const struct identity *id = &identities[i];
                const struct policy_rule *rule = policy_match(p, name, id);
                unsigned rights;
                uid_t uid;
                gid_t gid;

                FUZZ_CHECK(rule == ref_match(p, name, id));
                rights = policy_rights(rule, id);
                if (!rule) {
                        FUZZ_CHECK(rights == 0);
                        continue;
                }
                FUZZ_CHECK(rights == ref_rights(rule, id));
                FUZZ_CHECK(!(rights & POLICY_RIGHT_WRITE) || (rights & POLICY_RIGHT_READ));

                if (!nss_agrees[i])
                        continue;
                if (policy_resolve_owner(rule, id, &uid, &gid) < 0)
                        continue;
                /* What the daemon creates for @id, it must later accept as its own. */
                FUZZ_CHECK(policy_owner_plausible(rule, name, uid, gid));
        }
}

/*
 * Names a pattern is likely to match, or nearly: the pattern itself, its expansion for each
 * requester with the glob syntax made literal, and that with a suffix.
 */
static void check_pattern(const struct policy *p, const char *pattern)
{
        static struct strbuf b;
        char name[SHMB_PROTO_NAME_MAX + 8];
        size_t i, k;

        check_name(p, pattern);
        for (i = 0; i < N_IDENTITIES; i++) {
                const char *s;

                if (!ref_expand(pattern, &identities[i], &b))
                        continue;
                for (s = b.buf, k = 0; *s && k < SHMB_PROTO_NAME_MAX; s++) {
                        switch (*s) {
                        case '*':
                                break;
                        case '?':
                                name[k++] = 'q';
                                break;
                        case '\\':
                                if (s[1])
                                        name[k++] = *++s;
                                break;
                        case '[':
                                /* The first member of the set, or the bracket itself. */
                                if (s[1] && s[1] != '!' && s[1] != '^' && strchr(s + 2, ']')) {
                                        name[k++] = s[1];
                                        s = strchr(s + 2, ']');
                                } else
                                        name[k++] = '[';
                                break;
                        default:
                                name[k++] = *s;
                                break;
                        }
                }
                name[k] = '\0';
                check_name(p, name);
                memcpy(name + k, "-x", 3);
                check_name(p, name);
        }
}

/* Every diagnostic is about the input, and is safe to print: no control characters. */
static void check_diags(const struct policy_diags *d)
{
        const unsigned char *c;
        size_t i;

        FUZZ_CHECK(d->n + d->n_dropped == d->n_errors + d->n_warnings);
        for (i = 0; i < d->n; i++) {
                FUZZ_CHECK(d->items[i].level == POLICY_DIAG_ERROR ||
                           d->items[i].level == POLICY_DIAG_WARNING);
                FUZZ_CHECK(d->items[i].file && strcmp(d->items[i].file, ORIGIN) == 0);
                FUZZ_CHECK(d->items[i].message);
                for (c = (const unsigned char *) d->items[i].message; *c; c++)
                        FUZZ_CHECK(*c >= 0x20 && *c != 0x7f);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const fixed_names[] = {
                "x", "root-a", "nobody-a", "41001-a", "65534-x", "0-x", "demo-board", "a*b",
                "root-org.example.App-x", "41001-a.b-c-x",
        };
        struct policy_diags diags = {};
        struct policy *p = NULL;
        char *text, *error = NULL;
        size_t i, j;
        int r;

        text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';

        /* The whole input, NULs included: they are errors in their lines. */
        r = policy_load_text(text, size, ORIGIN, &diags, &p);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
        if (r != -ENOMEM) {
                check_diags(&diags);
                FUZZ_CHECK((r == -EINVAL) == (diags.n_errors > 0));
        }
        policy_diags_clear(&diags);
        p = policy_free(p);

        r = policy_load_string(text, ORIGIN, &p, &error);
        free(text);
        if (r < 0) {
                FUZZ_CHECK(!p);
                FUZZ_CHECK(r == -EINVAL || r == -ENOMEM);
                if (r == -EINVAL) {
                        /* Every refusal says where, for the administrator. */
                        FUZZ_CHECK(error);
                        FUZZ_CHECK(strncmp(error, ORIGIN ":", strlen(ORIGIN ":")) == 0);
                }
                free(error);
                return 0;
        }
        FUZZ_CHECK(p && !error);

        for (i = 0; i < p->n_rules; i++) {
                const struct policy_rule *rule = &p->rules[i];

                FUZZ_CHECK(rule->id && rule->file && rule->n_names > 0);
                FUZZ_CHECK((rule->mode & ~(mode_t) 0666) == 0);
                FUZZ_CHECK(rule->max_size > 0);
                FUZZ_CHECK(rule->backend == POLICY_BACKEND_SHM ||
                           rule->backend == POLICY_BACKEND_MEMFD);
                /* Its own Lifetime= is one the rule allows; "process" any rule allows. */
                FUZZ_CHECK(policy_lifetime_allows(rule, &rule->lifetime));
                FUZZ_CHECK(policy_lifetime_allows(rule, &(struct policy_lifetime) {
                                                          POLICY_LIFETIME_PROCESS, 0 }));
                check_acl(rule);
                if (i >= RULES_MAX)
                        continue;
                for (j = 0; j < rule->n_names && j < PATTERNS_MAX; j++)
                        check_pattern(p, rule->names[j]);
        }
        for (i = 0; i < sizeof(fixed_names) / sizeof(fixed_names[0]); i++)
                check_name(p, fixed_names[i]);

        policy_free(p);
        return 0;
}
