/* SPDX-License-Identifier: MIT */
/*
 * policy.c - read the administrator's policy and answer access questions from it.
 *
 * The parser turns the INI-style [Segment ID] files of shmbroker.conf(5) into struct policy and
 * resolves every user and group name once, at load. Any error refuses the whole policy with one
 * "FILE:LINE: text" message. Matching (policy_match(), policy_rights()) is pure: no I/O, no NSS
 * and no allocation, and a prefix index keeps policy_match() roughly independent of the number
 * of rules.
 *
 * Not here: name validation (shmb_name_normalize() runs before any policy decision), creating
 * objects or setting their ACL (shm.c, memfd.c, acl.c), and logging: the caller logs the
 * message that policy_load() hands back.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "policy.h"

/*
 * Limits, all in one place. A policy is written by root, but it is still parsed by a
 * privileged daemon, and a runaway generator should get an error rather than an OOM.
 */
#define POLICY_LINE_MAX 4096            /* bytes of one line, without its newline */
#define POLICY_FILE_MAX (4u << 20)      /* bytes of one file (and of policy_load_string() text) */
#define POLICY_RULES_MAX 100000         /* rules in the whole policy, all files together */
#define POLICY_LIST_MAX 4096            /* entries of each list key (Names=, ...) of a rule */
#define POLICY_EXPAND_MAX 4096          /* bytes of a pattern after %u/%U expansion, NUL included;
                                         * a longer expansion simply does not match */
#define POLICY_MATCH_LISTS_MAX 256      /* index lists merged on the stack; past that, scan */
#define POLICY_NSS_BUF_MAX (1u << 20)   /* largest getpwnam_r()/getgrnam_r() buffer we try */

#define WHITESPACE " \t\r\n"
#define GLOB_SPECIAL "*?[]\\"           /* escaped with '\' when %u is expanded */
#define PATTERN_NOT_LITERAL "*?[\\%"    /* where the literal prefix of a pattern ends */

static bool streq(const char *a, const char *b)
{
        return strcmp(a, b) == 0;
}

static char *strip(char *s)
{
        size_t n;

        s += strspn(s, WHITESPACE);
        n = strlen(s);
        while (n > 0 && strchr(WHITESPACE, s[n - 1]))
                s[--n] = '\0';
        return s;
}

static bool all_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

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

/* FNV-1a, 64 bit. Incremental, so that the index can hash every prefix of a name in one pass. */
#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

static uint64_t fnv_update(uint64_t h, const char *s, size_t len)
{
        size_t i;

        for (i = 0; i < len; i++) {
                h ^= (unsigned char) s[i];
                h *= FNV_PRIME;
        }
        return h;
}

/* ------------------------------------------------------------------ number parsing */

/* A uid or gid: decimal digits only, no sign or space, below (uint32_t) -1. */
static int parse_id(const char *s, uint32_t *ret)
{
        unsigned long long v;
        char *end;

        if (!all_digits(s))
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE || *end != '\0')
                return -ERANGE;
        /* (uid_t) -1 means "no change" to chown(2) and "no such id" to everything else. */
        if (v >= UINT32_MAX)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

/* 1 to 4 octal digits, a subset of 0666. */
static int parse_mode(const char *s, mode_t *ret)
{
        mode_t m = 0;
        size_t n = strlen(s), i;

        if (n < 1 || n > 4)
                return -EINVAL;
        for (i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '7')
                        return -EINVAL;
                m = m * 8 + (mode_t) (s[i] - '0');
        }
        /*
         * Segments are data. An exec bit would let mmap(PROT_EXEC) through on a noexec-less
         * tmpfs, and setuid/setgid/sticky have no meaning here but would surprise an auditor.
         */
        if (m & ~(mode_t) 0666)
                return -ERANGE;
        *ret = m;
        return 0;
}

/* Decimal digits with an optional K, M, G or T suffix (powers of 1024); > 0. */
static int parse_size(const char *s, uint64_t *ret)
{
        static const char suffixes[] = "KMGT";
        unsigned long long v;
        uint64_t factor = 1, result;
        const char *p;
        char *end;

        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (*end != '\0') {
                p = strchr(suffixes, *end);
                if (!p || end[1] != '\0')
                        return -EINVAL;
                factor = UINT64_C(1) << (10 * (p - suffixes + 1));
        }
        if (__builtin_mul_overflow((uint64_t) v, factor, &result))
                return -ERANGE;
        if (result == 0)
                return -EINVAL;
        *ret = result;
        return 0;
}

/* ------------------------------------------------------------------ NSS */

static size_t nss_buf_size(int name)
{
        long n = sysconf(name);

        return n > 0 && n < (long) POLICY_NSS_BUF_MAX ? (size_t) n : 1024;
}

/* getpw*_r()/getgr*_r() report "not found" as 0 with a NULL result, or as one of these. */
static bool nss_not_found(int e)
{
        return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM;
}

/* 0 and the uid, -ENOENT for no such user, -ENOMEM, or another -errno from NSS. */
static int user_by_name(const char *name, uid_t *ret_uid)
{
        size_t size = nss_buf_size(_SC_GETPW_R_SIZE_MAX);

        for (;;) {
                _cleanup_(freep) char *buf = malloc(size);
                struct passwd pw, *res = NULL;
                int e;

                if (!buf)
                        return -ENOMEM;
                e = getpwnam_r(name, &pw, buf, size, &res);
                if (e == ERANGE && size < POLICY_NSS_BUF_MAX) {
                        size *= 2;
                        continue;
                }
                if (e == 0 && res) {
                        *ret_uid = pw.pw_uid;
                        return 0;
                }
                return nss_not_found(e) ? -ENOENT : -e;
        }
}

static int group_by_name(const char *name, gid_t *ret_gid)
{
        size_t size = nss_buf_size(_SC_GETGR_R_SIZE_MAX);

        for (;;) {
                _cleanup_(freep) char *buf = malloc(size);
                struct group gr, *res = NULL;
                int e;

                if (!buf)
                        return -ENOMEM;
                e = getgrnam_r(name, &gr, buf, size, &res);
                if (e == ERANGE && size < POLICY_NSS_BUF_MAX) {
                        size *= 2;
                        continue;
                }
                if (e == 0 && res) {
                        *ret_gid = gr.gr_gid;
                        return 0;
                }
                return nss_not_found(e) ? -ENOENT : -e;
        }
}

/* 0 and a malloc'ed name, -ENOENT for a uid without a name, or -errno. */
static int user_name_by_uid(uid_t uid, char **ret_name)
{
        size_t size = nss_buf_size(_SC_GETPW_R_SIZE_MAX);

        for (;;) {
                _cleanup_(freep) char *buf = malloc(size);
                struct passwd pw, *res = NULL;
                int e;

                if (!buf)
                        return -ENOMEM;
                e = getpwuid_r(uid, &pw, buf, size, &res);
                if (e == ERANGE && size < POLICY_NSS_BUF_MAX) {
                        size *= 2;
                        continue;
                }
                if (e == 0 && res) {
                        *ret_name = strdup(pw.pw_name);
                        return *ret_name ? 0 : -ENOMEM;
                }
                return nss_not_found(e) ? -ENOENT : -e;
        }
}

static int group_name_by_gid(gid_t gid, char **ret_name)
{
        size_t size = nss_buf_size(_SC_GETGR_R_SIZE_MAX);

        for (;;) {
                _cleanup_(freep) char *buf = malloc(size);
                struct group gr, *res = NULL;
                int e;

                if (!buf)
                        return -ENOMEM;
                e = getgrgid_r(gid, &gr, buf, size, &res);
                if (e == ERANGE && size < POLICY_NSS_BUF_MAX) {
                        size *= 2;
                        continue;
                }
                if (e == 0 && res) {
                        *ret_name = strdup(gr.gr_name);
                        return *ret_name ? 0 : -ENOMEM;
                }
                return nss_not_found(e) ? -ENOENT : -e;
        }
}

/* ------------------------------------------------------------------ patterns and matching */

/* Does @pattern use the specifier %@c (and not merely "%%" followed by @c)? */
static bool pattern_has_specifier(const char *pattern, char c)
{
        const char *p;

        for (p = pattern; *p; p++) {
                if (*p != '%')
                        continue;
                p++;
                if (*p == c)
                        return true;
                if (!*p)
                        break;
        }
        return false;
}

static bool buf_put(char *buf, size_t size, size_t *n, char c)
{
        if (*n + 1 >= size)
                return false;
        buf[(*n)++] = c;
        return true;
}

/*
 * Expands %u, %U and %% of @pattern for @id into @buf. The user name is glob-escaped, so that a
 * user called "a*" gets the prefix "a*" and not every name starting with "a". Returns false when
 * the pattern cannot match for @id: %u without a user name, or an expansion that does not fit.
 */
static bool pattern_expand(const char *pattern, const struct identity *id, char *buf, size_t size)
{
        char num[sizeof(uint32_t) * 3 + 1];
        const char *p, *q;
        size_t n = 0;

        for (p = pattern; *p; p++) {
                if (*p != '%') {
                        if (!buf_put(buf, size, &n, *p))
                                return false;
                        continue;
                }
                p++;
                switch (*p) {
                case 'u':
                        if (!id->user_name)
                                return false;
                        for (q = id->user_name; *q; q++) {
                                if (strchr(GLOB_SPECIAL, *q) && !buf_put(buf, size, &n, '\\'))
                                        return false;
                                if (!buf_put(buf, size, &n, *q))
                                        return false;
                        }
                        break;
                case 'U':
                        (void) snprintf(num, sizeof(num), "%u", (unsigned) id->uid);
                        for (q = num; *q; q++)
                                if (!buf_put(buf, size, &n, *q))
                                        return false;
                        break;
                case '%':
                        if (!buf_put(buf, size, &n, '%'))
                                return false;
                        break;
                default:
                        /* The parser lets nothing else through; refuse rather than guess. */
                        return false;
                }
        }
        buf[n] = '\0';
        return true;
}

static bool pattern_matches(const char *pattern, const char *name, const struct identity *id)
{
        char buf[POLICY_EXPAND_MAX];

        if (!strchr(pattern, '%'))
                return fnmatch(pattern, name, 0) == 0;
        if (!pattern_expand(pattern, id, buf, sizeof(buf)))
                return false;
        return fnmatch(buf, name, 0) == 0;
}

static bool rule_matches(const struct policy_rule *rule, const char *name,
                         const struct identity *id)
{
        size_t i;

        for (i = 0; i < rule->n_names; i++)
                if (pattern_matches(rule->names[i], name, id))
                        return true;
        return false;
}

static const struct policy_rule *match_linear(const struct policy *p, const char *name,
                                              const struct identity *id)
{
        size_t i;

        for (i = 0; i < p->n_rules; i++)
                if (rule_matches(&p->rules[i], name, id))
                        return &p->rules[i];
        return NULL;
}

/* ------------------------------------------------------------------ the prefix index */

/*
 * Every pattern starts with a literal prefix: the bytes before its first '*', '?', '[', '\' or
 * '%'. A pattern can only match names that start with that prefix (after expansion the prefix
 * is unchanged, and fnmatch() without flags compares literal bytes exactly). The index maps
 * each distinct prefix to the ascending list of rules that have a pattern with it. A lookup
 * hashes each prefix of the name whose length some pattern prefix has, merges the lists it
 * finds in rule order and tries only those rules: the first that matches is what the linear
 * scan would have returned, because every rule it skips has no pattern whose prefix fits.
 */
struct prefix_list {
        const char *prefix;     /* into a pattern of the policy, not terminated; NULL: free slot */
        size_t len;
        uint64_t hash;
        uint32_t *rules;        /* ascending rule indexes, each once */
        size_t n_rules;
};

struct policy_index {
        struct prefix_list *slots;      /* open addressing, linear probing */
        size_t n_slots;                 /* a power of two, at least twice the lists */
        size_t *lengths;                /* the distinct prefix lengths, ascending */
        size_t n_lengths;
};

static struct policy_index *index_free(struct policy_index *x)
{
        size_t i;

        if (!x)
                return NULL;
        for (i = 0; i < x->n_slots; i++)
                free(x->slots[i].rules);
        free(x->slots);
        free(x->lengths);
        free(x);
        return NULL;
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct policy_index *, index_free);

static struct prefix_list *index_slot(const struct policy_index *x, const char *prefix,
                                      size_t len, uint64_t hash)
{
        size_t i = (size_t) hash & (x->n_slots - 1);

        for (;;) {
                struct prefix_list *l = &x->slots[i];

                if (!l->prefix)
                        return l;
                if (l->hash == hash && l->len == len && memcmp(l->prefix, prefix, len) == 0)
                        return l;
                i = (i + 1) & (x->n_slots - 1);
        }
}

static int index_build(const struct policy *p, struct policy_index **ret)
{
        _cleanup_(index_freep) struct policy_index *x = NULL;
        _cleanup_(freep) bool *has_length = NULL;
        size_t n_patterns = 0, i, j;
        int r;

        for (i = 0; i < p->n_rules; i++)
                n_patterns += p->rules[i].n_names;

        x = calloc(1, sizeof(*x));
        has_length = calloc(POLICY_LINE_MAX + 1, sizeof(bool));
        if (!x || !has_length)
                return -ENOMEM;
        x->n_slots = 16;
        while (x->n_slots < n_patterns * 2)
                x->n_slots *= 2;
        x->slots = calloc(x->n_slots, sizeof(*x->slots));
        if (!x->slots)
                return -ENOMEM;

        for (i = 0; i < p->n_rules; i++) {
                const struct policy_rule *rule = &p->rules[i];

                for (j = 0; j < rule->n_names; j++) {
                        const char *pattern = rule->names[j];
                        size_t len = strcspn(pattern, PATTERN_NOT_LITERAL);
                        uint64_t hash = fnv_update(FNV_OFFSET, pattern, len);
                        struct prefix_list *l = index_slot(x, pattern, len, hash);

                        if (!l->prefix) {
                                *l = (struct prefix_list) {
                                        .prefix = pattern, .len = len, .hash = hash,
                                };
                                /* Lines are at most POLICY_LINE_MAX bytes, so are patterns. */
                                has_length[len <= POLICY_LINE_MAX ? len : POLICY_LINE_MAX] = true;
                        }
                        if (l->n_rules > 0 && l->rules[l->n_rules - 1] == i)
                                continue;
                        r = array_reserve((void **) &l->rules, l->n_rules, sizeof(uint32_t));
                        if (r < 0)
                                return r;
                        l->rules[l->n_rules++] = (uint32_t) i;
                }
        }

        for (i = 0; i <= POLICY_LINE_MAX; i++) {
                if (!has_length[i])
                        continue;
                r = array_reserve((void **) &x->lengths, x->n_lengths, sizeof(size_t));
                if (r < 0)
                        return r;
                x->lengths[x->n_lengths++] = i;
        }

        *ret = TAKE_PTR(x);
        return 0;
}

/* Returns false if the lookup needs more lists than fit on the stack: scan instead. */
static bool index_match(const struct policy *p, const char *name, const struct identity *id,
                        const struct policy_rule **ret)
{
        const struct policy_index *x = p->index;
        struct {
                const uint32_t *next, *end;
        } lists[POLICY_MATCH_LISTS_MAX];
        size_t n_lists = 0, name_len = strlen(name), done = 0, i;
        uint64_t hash = FNV_OFFSET;

        for (i = 0; i < x->n_lengths && x->lengths[i] <= name_len; i++) {
                const struct prefix_list *l;
                size_t len = x->lengths[i];

                hash = fnv_update(hash, name + done, len - done);
                done = len;
                l = index_slot(x, name, len, hash);
                if (!l->prefix)
                        continue;
                if (n_lists == ELEMENTSOF(lists))
                        return false;
                lists[n_lists].next = l->rules;
                lists[n_lists].end = l->rules + l->n_rules;
                n_lists++;
        }

        for (;;) {
                uint32_t best = UINT32_MAX;

                for (i = 0; i < n_lists; i++)
                        if (lists[i].next < lists[i].end && *lists[i].next < best)
                                best = *lists[i].next;
                if (best == UINT32_MAX) {
                        *ret = NULL;
                        return true;
                }
                if (rule_matches(&p->rules[best], name, id)) {
                        *ret = &p->rules[best];
                        return true;
                }
                for (i = 0; i < n_lists; i++)
                        if (lists[i].next < lists[i].end && *lists[i].next == best)
                                lists[i].next++;
        }
}

/* ------------------------------------------------------------------ the loader */

enum key {
        KEY_NAMES,
        KEY_CREATE,
        KEY_READ_WRITE,
        KEY_READ_ONLY,
        KEY_OWNER,
        KEY_GROUP,
        KEY_MODE,
        KEY_MAX_SIZE,
        KEY_BACKEND,
        _KEY_MAX,
};

static const struct {
        const char *name;
        bool list;      /* space separated, may repeat, empty resets; else once per section */
} keys[_KEY_MAX] = {
        [KEY_NAMES] = { "Names", true },
        [KEY_CREATE] = { "Create", true },
        [KEY_READ_WRITE] = { "ReadWrite", true },
        [KEY_READ_ONLY] = { "ReadOnly", true },
        [KEY_OWNER] = { "Owner", false },
        [KEY_GROUP] = { "Group", false },
        [KEY_MODE] = { "Mode", false },
        [KEY_MAX_SIZE] = { "MaxSize", false },
        [KEY_BACKEND] = { "Backend", false },
};

/* [Quota] keys: each may be set once in the whole policy. */
enum quota_key {
        QUOTA_MAX_OBJECTS,
        QUOTA_MAX_BYTES,
        QUOTA_MAX_CONNECTIONS,
        _QUOTA_KEY_MAX,
};

static const char *const quota_keys[_QUOTA_KEY_MAX] = {
        [QUOTA_MAX_OBJECTS] = "MaxObjectsPerUser",
        [QUOTA_MAX_BYTES] = "MaxBytesPerUser",
        [QUOTA_MAX_CONNECTIONS] = "MaxConnectionsPerUser",
};

#define POLICY_CONNECTIONS_MAX 16384    /* MaxConnectionsPerUser= cannot exceed the total */

/* Rule ID -> rule index, to refuse duplicate IDs without a quadratic scan. */
struct id_table {
        size_t *slots;          /* rule index + 1; 0 is a free slot */
        size_t n_slots;         /* a power of two, or 0 */
        size_t n_used;
};

struct loader {
        struct policy *policy;          /* being built; the open section is its last rule */
        size_t n_rules_alloc;
        struct id_table ids;
        const char *file;               /* for messages and rule->file */
        unsigned line;                  /* 0 for errors about a whole file */
        bool in_section;
        bool in_quota;                  /* the open section is [Quota] */
        unsigned key_line[_KEY_MAX];    /* where each scalar key of the open section was set */
        char *quota_where[_QUOTA_KEY_MAX]; /* "FILE:LINE" where each [Quota] key was set */
        char *error;
};

static int _printf_(3, 0) loader_verror(struct loader *l, unsigned line, const char *fmt,
                                        va_list ap)
{
        _cleanup_(freep) char *msg = NULL;
        int r;

        if (vasprintf(&msg, fmt, ap) < 0)
                return -ENOMEM;
        free(l->error);
        if (line > 0)
                r = asprintf(&l->error, "%s:%u: %s", l->file, line, msg);
        else
                r = asprintf(&l->error, "%s: %s", l->file, msg);
        if (r < 0) {
                l->error = NULL;
                return -ENOMEM;
        }
        return -EINVAL;
}

/* Records "FILE:LINE: text" for the current line and returns -EINVAL (or -ENOMEM). */
static int _printf_(2, 3) loader_error(struct loader *l, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = loader_verror(l, l->line, fmt, ap);
        va_end(ap);
        return r;
}

static int _printf_(3, 4) loader_error_at(struct loader *l, unsigned line, const char *fmt, ...)
{
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = loader_verror(l, line, fmt, ap);
        va_end(ap);
        return r;
}

static size_t id_table_find(const struct loader *l, const char *id)
{
        const struct id_table *t = &l->ids;
        size_t i;

        if (t->n_slots == 0)
                return SIZE_MAX;
        i = (size_t) fnv_update(FNV_OFFSET, id, strlen(id)) & (t->n_slots - 1);
        for (; t->slots[i] != 0; i = (i + 1) & (t->n_slots - 1))
                if (streq(l->policy->rules[t->slots[i] - 1].id, id))
                        return t->slots[i] - 1;
        return SIZE_MAX;
}

static void id_table_put(struct id_table *t, const struct policy_rule *rules, size_t index)
{
        const char *id = rules[index].id;
        size_t i = (size_t) fnv_update(FNV_OFFSET, id, strlen(id)) & (t->n_slots - 1);

        while (t->slots[i] != 0)
                i = (i + 1) & (t->n_slots - 1);
        t->slots[i] = index + 1;
        t->n_used++;
}

static int id_table_add(struct loader *l, size_t index)
{
        struct id_table *t = &l->ids;

        if ((t->n_used + 1) * 2 > t->n_slots) {
                struct id_table bigger = { .n_slots = t->n_slots ? t->n_slots * 2 : 64 };
                size_t i;

                bigger.slots = calloc(bigger.n_slots, sizeof(size_t));
                if (!bigger.slots)
                        return -ENOMEM;
                for (i = 0; i < t->n_slots; i++)
                        if (t->slots[i] != 0)
                                id_table_put(&bigger, l->policy->rules, t->slots[i] - 1);
                free(t->slots);
                *t = bigger;
        }
        id_table_put(t, l->policy->rules, index);
        return 0;
}

static struct policy_rule *loader_rule(struct loader *l)
{
        return &l->policy->rules[l->policy->n_rules - 1];
}

/* Closes the open section, if any: the checks that need the whole section happen here. */
static int loader_end_section(struct loader *l)
{
        struct policy_rule *rule;
        size_t i;

        l->in_quota = false;
        if (!l->in_section)
                return 0;
        l->in_section = false;
        rule = loader_rule(l);
        if (rule->n_names == 0)
                return loader_error_at(l, rule->line, "[Segment %s] has no Names=", rule->id);

        /* Derived once here, so that requests never scan the patterns for them. */
        rule->per_user = rule->owner.kind == ID_SPEC_REQUESTER_NAME ||
                         rule->owner.kind == ID_SPEC_REQUESTER_ID;
        for (i = 0; i < rule->n_names; i++) {
                bool u = pattern_has_specifier(rule->names[i], 'u');

                if (!u && !pattern_has_specifier(rule->names[i], 'U'))
                        rule->per_user = false;
                if (u)
                        l->policy->needs_user_names = true;
        }
        if (rule->owner.kind == ID_SPEC_REQUESTER_NAME ||
            rule->group.kind == ID_SPEC_REQUESTER_NAME)
                l->policy->needs_user_names = true;
        return 0;
}

static int loader_parse_section(struct loader *l, char *s)
{
        struct policy_rule *rule;
        size_t n = strlen(s), dup;
        char *type, *id;
        int r;

        r = loader_end_section(l);
        if (r < 0)
                return r;

        if (s[n - 1] != ']')
                return loader_error(l, "section header does not end in ']'");
        s[n - 1] = '\0';
        type = strip(s + 1);
        id = type + strcspn(type, WHITESPACE);
        if (*id)
                *id++ = '\0';
        id = strip(id);

        if (!*type)
                return loader_error(l, "empty section header");
        l->in_quota = false;
        if (streq(type, "Quota")) {
                if (*id)
                        return loader_error(l, "[Quota] takes no ID");
                l->in_quota = true;
                return 0;
        }
        if (!streq(type, "Segment"))
                return loader_error(l, "unknown section type '%s'", type);
        if (!*id)
                return loader_error(l, "[Segment] section without an ID");
        /* The ID names the rule in messages and in logs: one word, no brackets. */
        if (id[strcspn(id, WHITESPACE "[]")])
                return loader_error(l, "invalid section ID '%s'", id);
        dup = id_table_find(l, id);
        if (dup != SIZE_MAX)
                return loader_error(l, "duplicate section ID '%s', first used at %s:%u", id,
                                    l->policy->rules[dup].file, l->policy->rules[dup].line);
        if (l->policy->n_rules >= POLICY_RULES_MAX)
                return loader_error(l, "too many rules (the limit is %d)", POLICY_RULES_MAX);

        if (l->policy->n_rules == l->n_rules_alloc) {
                size_t m = l->n_rules_alloc ? l->n_rules_alloc * 2 : 16;
                struct policy_rule *p = reallocarray(l->policy->rules, m, sizeof(*p));

                if (!p)
                        return -ENOMEM;
                l->policy->rules = p;
                l->n_rules_alloc = m;
        }
        rule = &l->policy->rules[l->policy->n_rules++];
        *rule = (struct policy_rule) {
                .line = l->line,
                .owner = { .kind = ID_SPEC_DAEMON },
                .group = { .kind = ID_SPEC_DAEMON },
                .mode = 0600,
                .max_size = POLICY_SIZE_UNLIMITED,
                .backend = POLICY_BACKEND_SHM,
        };
        rule->id = strdup(id);
        rule->file = strdup(l->file);
        if (!rule->id || !rule->file)
                return -ENOMEM;
        r = id_table_add(l, l->policy->n_rules - 1);
        if (r < 0)
                return r;

        l->in_section = true;
        memset(l->key_line, 0, sizeof(l->key_line));
        return 0;
}

static int loader_add_pattern(struct loader *l, struct policy_rule *rule, char *pattern)
{
        const char *p;
        int r;

        /* Names are normalised without their leading '/', so patterns are too. */
        if (pattern[0] == '/')
                pattern++;
        if (!*pattern)
                return loader_error(l, "empty pattern '/' in Names=");
        if (strchr(pattern, '/'))
                return loader_error(l, "pattern '%s' contains '/', which no name can hold",
                                    pattern);
        for (p = pattern; *p; p++) {
                if (*p != '%')
                        continue;
                p++;
                if (*p != 'u' && *p != 'U' && *p != '%')
                        return loader_error(l, "pattern '%s' has an unknown %% specifier "
                                            "(only %%u, %%U and %%%% are known)", pattern);
        }
        if (rule->n_names >= POLICY_LIST_MAX)
                return loader_error(l, "too many entries in Names= (the limit is %d)",
                                    POLICY_LIST_MAX);
        r = array_reserve((void **) &rule->names, rule->n_names, sizeof(char *));
        if (r < 0)
                return r;
        rule->names[rule->n_names] = strdup(pattern);
        if (!rule->names[rule->n_names])
                return -ENOMEM;
        rule->n_names++;
        return 0;
}

static int loader_parse_names(struct loader *l, struct policy_rule *rule, char *value)
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
        for (tok = strtok_r(value, WHITESPACE, &save); tok;
             tok = strtok_r(NULL, WHITESPACE, &save)) {
                r = loader_add_pattern(l, rule, tok);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int loader_lookup_error(struct loader *l, int r, const char *what, const char *key,
                               const char *name)
{
        if (r == -ENOMEM)
                return r;
        if (r == -ENOENT)
                return loader_error(l, "unknown %s '%s' in %s=", what, name, key);
        return loader_error(l, "failed to look up %s '%s' in %s=: %s", what, name, key,
                            strerror(-r));
}

/*
 * A principal: "*", "@group", "@gid", a user name or a uid. A string of digits is always a
 * number, as for chown(1) --from and systemd; a user whose name is all digits cannot be named.
 */
static int loader_parse_principal(struct loader *l, const char *key, const char *s,
                                  struct principal *ret)
{
        uint32_t id;
        int r;

        if (streq(s, "*")) {
                *ret = (struct principal) { .kind = PRINCIPAL_ANY };
                return 0;
        }
        if (s[0] == '@') {
                const char *g = s + 1;

                if (!*g)
                        return loader_error(l, "empty group name '@' in %s=", key);
                if (all_digits(g)) {
                        if (parse_id(g, &id) < 0)
                                return loader_error(l, "invalid gid '%s' in %s=", g, key);
                } else {
                        gid_t gid;

                        r = group_by_name(g, &gid);
                        if (r < 0)
                                return loader_lookup_error(l, r, "group", key, g);
                        id = gid;
                }
                *ret = (struct principal) { .kind = PRINCIPAL_GROUP, .id = id };
                return 0;
        }
        if (all_digits(s)) {
                if (parse_id(s, &id) < 0)
                        return loader_error(l, "invalid uid '%s' in %s=", s, key);
        } else {
                uid_t uid;

                r = user_by_name(s, &uid);
                if (r < 0)
                        return loader_lookup_error(l, r, "user", key, s);
                id = uid;
        }
        *ret = (struct principal) { .kind = PRINCIPAL_USER, .id = id };
        return 0;
}

static int loader_parse_principals(struct loader *l, const char *key, char *value,
                                   struct principal **list, size_t *n)
{
        char *save = NULL, *tok;
        int r;

        if (!*value) {
                free(*list);
                *list = NULL;
                *n = 0;
                return 0;
        }
        for (tok = strtok_r(value, WHITESPACE, &save); tok;
             tok = strtok_r(NULL, WHITESPACE, &save)) {
                if (*n >= POLICY_LIST_MAX)
                        return loader_error(l, "too many entries in %s= (the limit is %d)", key,
                                            POLICY_LIST_MAX);
                r = array_reserve((void **) list, *n, sizeof(**list));
                if (r < 0)
                        return r;
                r = loader_parse_principal(l, key, tok, &(*list)[*n]);
                if (r < 0)
                        return r;
                (*n)++;
        }
        return 0;
}

/* Owner= (@group false) or Group= (@group true): a name, a number, %u or %U. */
static int loader_parse_id_spec(struct loader *l, const char *key, const char *value, bool group,
                                struct id_spec *ret)
{
        const char *what = group ? "group" : "user";
        uint32_t id;
        int r;

        if (streq(value, "%u")) {
                *ret = (struct id_spec) { .kind = ID_SPEC_REQUESTER_NAME };
                return 0;
        }
        if (streq(value, "%U")) {
                *ret = (struct id_spec) { .kind = ID_SPEC_REQUESTER_ID };
                return 0;
        }
        if (strchr(value, '%'))
                return loader_error(l, "%s= takes a %s name, a number, %%u or %%U, not '%s'", key,
                                    what, value);
        if (all_digits(value)) {
                if (parse_id(value, &id) < 0)
                        return loader_error(l, "invalid %cid '%s' in %s=", group ? 'g' : 'u',
                                            value, key);
        } else if (group) {
                gid_t gid;

                r = group_by_name(value, &gid);
                if (r < 0)
                        return loader_lookup_error(l, r, what, key, value);
                id = gid;
        } else {
                uid_t uid;

                r = user_by_name(value, &uid);
                if (r < 0)
                        return loader_lookup_error(l, r, what, key, value);
                id = uid;
        }
        *ret = (struct id_spec) { .kind = ID_SPEC_FIXED, .id = id };
        return 0;
}

static int loader_parse_key(struct loader *l, const char *key, char *value)
{
        struct policy_rule *rule = loader_rule(l);
        enum key k;
        int r;

        for (k = 0; k < _KEY_MAX; k++)
                if (streq(keys[k].name, key))
                        break;
        if (k == _KEY_MAX)
                return loader_error(l, "unknown key '%s'", key);

        if (!keys[k].list) {
                if (l->key_line[k] > 0)
                        return loader_error(l, "%s= is already set on line %u", key,
                                            l->key_line[k]);
                if (!*value)
                        return loader_error(l, "%s= needs a value", key);
                l->key_line[k] = l->line;
        }

        switch (k) {
        case KEY_NAMES:
                return loader_parse_names(l, rule, value);
        case KEY_CREATE:
                return loader_parse_principals(l, key, value, &rule->create, &rule->n_create);
        case KEY_READ_WRITE:
                return loader_parse_principals(l, key, value, &rule->read_write,
                                               &rule->n_read_write);
        case KEY_READ_ONLY:
                return loader_parse_principals(l, key, value, &rule->read_only,
                                               &rule->n_read_only);
        case KEY_OWNER:
                return loader_parse_id_spec(l, key, value, false, &rule->owner);
        case KEY_GROUP:
                return loader_parse_id_spec(l, key, value, true, &rule->group);
        case KEY_MODE:
                r = parse_mode(value, &rule->mode);
                if (r == -ERANGE)
                        return loader_error(l, "Mode=%s has bits outside 0666 (setuid, setgid, "
                                            "sticky and execute bits are not allowed)", value);
                if (r < 0)
                        return loader_error(l, "invalid Mode= '%s' (1 to 4 octal digits)",
                                            value);
                return 0;
        case KEY_MAX_SIZE:
                r = parse_size(value, &rule->max_size);
                if (r == -ERANGE)
                        return loader_error(l, "MaxSize= '%s' is too large", value);
                if (r < 0)
                        return loader_error(l, "invalid MaxSize= '%s' (a number > 0 with an "
                                            "optional K, M, G or T suffix)", value);
                return 0;
        case KEY_BACKEND:
                if (streq(value, "shm"))
                        rule->backend = POLICY_BACKEND_SHM;
                else if (streq(value, "memfd"))
                        rule->backend = POLICY_BACKEND_MEMFD;
                else
                        return loader_error(l, "invalid Backend= '%s' (shm or memfd)", value);
                return 0;
        case _KEY_MAX:
                break;
        }
        return -EINVAL;
}

static int loader_parse_quota_key(struct loader *l, const char *key, char *value)
{
        struct policy_quota *q = &l->policy->quota;
        enum quota_key k;
        uint64_t v;
        int r;

        for (k = 0; k < _QUOTA_KEY_MAX; k++)
                if (streq(quota_keys[k], key))
                        break;
        if (k == _QUOTA_KEY_MAX)
                return loader_error(l, "unknown key '%s' in [Quota]", key);
        if (l->quota_where[k])
                return loader_error(l, "%s= is already set at %s", key, l->quota_where[k]);
        if (asprintf(&l->quota_where[k], "%s:%u", l->file, l->line) < 0) {
                l->quota_where[k] = NULL;
                return -ENOMEM;
        }

        if (streq(value, "infinity") && k != QUOTA_MAX_CONNECTIONS)
                v = POLICY_UNLIMITED;
        else if (k == QUOTA_MAX_BYTES) {
                r = parse_size(value, &v);
                if (r < 0)
                        return loader_error(l, "invalid %s= '%s' (a size with an optional K, "
                                            "M, G or T suffix, or infinity)", key, value);
        } else {
                uint32_t n;

                /* parse_id() takes any uint32 but (uint32_t) -1: plenty for a count. */
                r = parse_id(value, &n);
                if (r < 0 || (k == QUOTA_MAX_CONNECTIONS && (n == 0 || n > POLICY_CONNECTIONS_MAX)))
                        return loader_error(l, "invalid %s= '%s' (%s)", key, value,
                                            k == QUOTA_MAX_CONNECTIONS ? "1 to 16384"
                                                                      : "a count, or infinity");
                v = n;
        }
        switch (k) {
        case QUOTA_MAX_OBJECTS:
                q->max_objects = v;
                break;
        case QUOTA_MAX_BYTES:
                q->max_bytes = v;
                break;
        case QUOTA_MAX_CONNECTIONS:
                q->max_connections = v;
                break;
        case _QUOTA_KEY_MAX:
                break;
        }
        return 0;
}

static int loader_parse_line(struct loader *l, char *buf, size_t len)
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
                        return loader_error(l, "control character 0x%02x in line", c);
        }

        s = strip(buf);
        if (!*s || *s == '#' || *s == ';')
                return 0;
        if (*s == '[')
                return loader_parse_section(l, s);

        eq = strchr(s, '=');
        if (!eq)
                return loader_error(l, "expected 'Key=Value' or '[Segment ID]'");
        *eq = '\0';
        s = strip(s);
        if (!*s)
                return loader_error(l, "missing key before '='");
        if (l->in_quota)
                return loader_parse_quota_key(l, s, strip(eq + 1));
        if (!l->in_section)
                return loader_error(l, "key '%s' outside of a [Segment] section", s);
        return loader_parse_key(l, s, strip(eq + 1));
}

/* Parses one file's text. Sections end with their file. */
static int loader_parse(struct loader *l, const char *file, const char *text, size_t len)
{
        char buf[POLICY_LINE_MAX + 1];
        size_t pos = 0;
        int r;

        l->file = file;
        l->line = 0;
        l->in_section = false;
        if (len > POLICY_FILE_MAX)
                return loader_error_at(l, 0, "larger than %u bytes", POLICY_FILE_MAX);

        while (pos < len) {
                const char *start = text + pos, *nl = memchr(start, '\n', len - pos);
                size_t n = nl ? (size_t) (nl - start) : len - pos;

                pos += n + (nl ? 1 : 0);
                l->line++;
                if (n > POLICY_LINE_MAX)
                        return loader_error(l, "line longer than %d bytes", POLICY_LINE_MAX);
                memcpy(buf, start, n);
                buf[n] = '\0';
                r = loader_parse_line(l, buf, n);
                if (r < 0)
                        return r;
        }
        return loader_end_section(l);
}

/* Reads and parses one regular file. */
static int loader_load_file(struct loader *l, const char *path)
{
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) char *text = NULL;
        size_t size, len = 0;
        struct stat st;

        l->file = path;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        /* Checked again on the open fd: the name may have been swapped since the stat(). */
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return loader_error_at(l, 0, "not a regular file");
        if (st.st_size > (off_t) POLICY_FILE_MAX)
                return loader_error_at(l, 0, "larger than %u bytes", POLICY_FILE_MAX);

        /* One byte more than the limit, so that a file that grew since fstat() is noticed. */
        size = (size_t) st.st_size + 1;
        text = malloc(size);
        if (!text)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (len == size) {
                        char *p;

                        if (size > POLICY_FILE_MAX)
                                return loader_error_at(l, 0, "larger than %u bytes",
                                                       POLICY_FILE_MAX);
                        size = size * 2 < POLICY_FILE_MAX + 1 ? size * 2 : POLICY_FILE_MAX + 1;
                        p = realloc(text, size);
                        if (!p)
                                return -ENOMEM;
                        text = p;
                }
                n = read(fd, text + len, size - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        return loader_parse(l, path, text, len);
}

static int conf_filter(const struct dirent *de)
{
        size_t n = strlen(de->d_name);

        /* Hidden files are editor and package manager leftovers, as in systemd's *.d dirs. */
        return de->d_name[0] != '.' && n > 5 && streq(de->d_name + n - 5, ".conf");
}

static int conf_compare(const struct dirent **a, const struct dirent **b)
{
        /* strcmp(), not alphasort(): the order must not depend on the locale. */
        return strcmp((*a)->d_name, (*b)->d_name);
}

/* Returns the number of files read, or -errno. */
static int loader_load_dir(struct loader *l, const char *dir)
{
        struct dirent **list = NULL;
        size_t dir_len = strlen(dir);
        int n, i, n_read = 0, r = 0;

        n = scandir(dir, &list, conf_filter, conf_compare);
        if (n < 0)
                return -errno;

        for (i = 0; i < n && r >= 0; i++) {
                _cleanup_(freep) char *path = NULL;
                struct stat st;

                if (asprintf(&path, "%s%s%s", dir, dir_len > 0 && dir[dir_len - 1] == '/' ?
                             "" : "/", list[i]->d_name) < 0) {
                        path = NULL;
                        r = -ENOMEM;
                        break;
                }
                /*
                 * stat() follows symlinks, so a link to a file is read and a link to /dev/null
                 * masks a file, as in systemd. Directories and other non-files are skipped. A
                 * dangling link is an error: skipping it could let a later, wider rule decide.
                 */
                if (stat(path, &st) < 0) {
                        l->file = path;
                        r = errno == ENOENT ? loader_error_at(l, 0, "dangling symlink or file "
                                                              "removed while reading")
                                            : -errno;
                        break;
                }
                if (!S_ISREG(st.st_mode))
                        continue;
                r = loader_load_file(l, path);
                if (r >= 0)
                        n_read++;
        }

        for (i = 0; i < n; i++)
                free(list[i]);
        free(list);
        return r < 0 ? r : n_read;
}

static int loader_init(struct loader *l)
{
        *l = (struct loader) {};
        l->policy = calloc(1, sizeof(struct policy));
        if (!l->policy)
                return -ENOMEM;
        l->policy->quota = (struct policy_quota) {
                .max_objects = POLICY_DEFAULT_MAX_OBJECTS,
                .max_bytes = POLICY_DEFAULT_MAX_BYTES,
                .max_connections = POLICY_DEFAULT_MAX_CONNECTIONS,
        };
        return 0;
}

/* Hands out the policy (r >= 0) or the error, and frees everything else. */
static int loader_finish(struct loader *l, int r, struct policy **ret, char **ret_error)
{
        struct policy_index *x = NULL;

        if (r >= 0) {
                int k = index_build(l->policy, &x);

                if (k < 0)
                        r = k;
        }
        if (r >= 0) {
                l->policy->index = x;
                *ret = TAKE_PTR(l->policy);
        } else if (r == -EINVAL && l->error && ret_error) {
                *ret_error = TAKE_PTR(l->error);
        }
        policy_free(l->policy);
        free(l->ids.slots);
        free(l->error);
        for (size_t k = 0; k < _QUOTA_KEY_MAX; k++)
                free(l->quota_where[k]);
        return r;
}

int policy_load(const char *path, struct policy **ret, char **ret_error)
{
        struct loader l;
        struct stat st;
        int r;

        if (stat(path, &st) < 0)
                return -errno;
        r = loader_init(&l);
        if (r < 0)
                return r;
        if (S_ISDIR(st.st_mode))
                r = loader_load_dir(&l, path);
        else if (S_ISREG(st.st_mode)) {
                r = loader_load_file(&l, path);
                if (r >= 0)
                        r = 1;
        } else {
                l.file = path;
                r = loader_error_at(&l, 0, "not a regular file or directory");
        }
        return loader_finish(&l, r, ret, ret_error);
}

int policy_load_string(const char *text, const char *origin, struct policy **ret,
                       char **ret_error)
{
        struct loader l;
        int r;

        r = loader_init(&l);
        if (r < 0)
                return r;
        r = loader_parse(&l, origin, text, strlen(text));
        return loader_finish(&l, r < 0 ? r : 0, ret, ret_error);
}

/**
 * policy_free() - free a policy and everything it owns.
 * @p: the policy, possibly half-built, or NULL.
 *
 * Return: NULL.
 */
struct policy *policy_free(struct policy *p)
{
        size_t i, j;

        if (!p)
                return NULL;
        index_free(p->index);
        for (i = 0; i < p->n_rules; i++) {
                struct policy_rule *rule = &p->rules[i];

                free(rule->id);
                free(rule->file);
                for (j = 0; j < rule->n_names; j++)
                        free(rule->names[j]);
                free(rule->names);
                free(rule->create);
                free(rule->read_write);
                free(rule->read_only);
        }
        free(p->rules);
        free(p);
        return NULL;
}

/* ------------------------------------------------------------------ decisions */

const struct policy_rule *policy_match(const struct policy *p, const char *name,
                                       const struct identity *id)
{
        const struct policy_rule *rule;

        if (!p || !name || !id)
                return NULL;
        if (p->index && index_match(p, name, id, &rule))
                return rule;
        return match_linear(p, name, id);
}

static bool principals_match(const struct principal *v, size_t n, const struct identity *id)
{
        size_t i;

        for (i = 0; i < n; i++)
                switch (v[i].kind) {
                case PRINCIPAL_ANY:
                        return true;
                case PRINCIPAL_USER:
                        if ((uint32_t) id->uid == v[i].id)
                                return true;
                        break;
                case PRINCIPAL_GROUP:
                        if (identity_in_group(id, (gid_t) v[i].id))
                                return true;
                        break;
                }
        return false;
}

/**
 * policy_rights() - what @rule lets @id do.
 * @rule: the rule policy_match() returned, or NULL (no rights).
 * @id: the requester.
 *
 * Return: POLICY_RIGHT_* bits: READ for a principal in ReadOnly= or ReadWrite=, WRITE (always
 * with READ) for one in ReadWrite=, CREATE for one in Create=.
 */
unsigned policy_rights(const struct policy_rule *rule, const struct identity *id)
{
        unsigned rights = 0;

        if (!rule || !id)
                return 0;
        if (principals_match(rule->read_write, rule->n_read_write, id))
                rights |= POLICY_RIGHT_READ | POLICY_RIGHT_WRITE;
        if (principals_match(rule->read_only, rule->n_read_only, id))
                rights |= POLICY_RIGHT_READ;
        if (principals_match(rule->create, rule->n_create, id))
                rights |= POLICY_RIGHT_CREATE;
        return rights;
}

int policy_resolve_owner(const struct policy_rule *rule, const struct identity *creator,
                         uid_t *ret_uid, gid_t *ret_gid)
{
        uid_t uid;
        gid_t gid;
        int r;

        switch (rule->owner.kind) {
        case ID_SPEC_DAEMON:
                uid = geteuid();
                break;
        case ID_SPEC_FIXED:
                uid = (uid_t) rule->owner.id;
                break;
        case ID_SPEC_REQUESTER_NAME:
                if (!creator->user_name)
                        return -ENOENT;
                uid = creator->uid;
                break;
        case ID_SPEC_REQUESTER_ID:
                uid = creator->uid;
                break;
        default:
                return -EINVAL;
        }

        switch (rule->group.kind) {
        case ID_SPEC_DAEMON:
                gid = getegid();
                break;
        case ID_SPEC_FIXED:
                gid = (gid_t) rule->group.id;
                break;
        case ID_SPEC_REQUESTER_NAME:
                if (!creator->user_name)
                        return -ENOENT;
                r = group_by_name(creator->user_name, &gid);
                if (r < 0)
                        return r;
                break;
        case ID_SPEC_REQUESTER_ID:
                gid = (gid_t) creator->uid;
                break;
        default:
                return -EINVAL;
        }

        *ret_uid = uid;
        *ret_gid = gid;
        return 0;
}

static bool id_spec_is_requester(const struct id_spec *s)
{
        return s->kind == ID_SPEC_REQUESTER_NAME || s->kind == ID_SPEC_REQUESTER_ID;
}

bool policy_owner_plausible(const struct policy_rule *rule, const char *name, uid_t uid,
                            gid_t gid)
{
        struct identity creator = { .uid = (uid_t) -1, .gid = (gid_t) -1 };
        _cleanup_(freep) char *user_name = NULL;
        bool need_name = false;
        uid_t want_uid;
        gid_t want_gid;
        size_t i;
        int r;

        if (!rule || !name)
                return false;

        if (!id_spec_is_requester(&rule->owner) && !id_spec_is_requester(&rule->group)) {
                /* Fixed owner and group: nothing depends on who created the object. */
                if (policy_resolve_owner(rule, &creator, &want_uid, &want_gid) < 0)
                        return false;
                return want_uid == uid && want_gid == gid;
        }

        /* Who would the creator have been? The owner says it; failing that, the group does. */
        if (id_spec_is_requester(&rule->owner))
                creator.uid = uid;
        else if (rule->group.kind == ID_SPEC_REQUESTER_ID)
                creator.uid = (uid_t) gid;
        else {
                _cleanup_(freep) char *group_name = NULL;

                /* Group=%u: the group is named as the creator, so that name is the user's. */
                if (group_name_by_gid(gid, &group_name) < 0)
                        return false;
                if (user_by_name(group_name, &creator.uid) < 0)
                        return false;
                user_name = TAKE_PTR(group_name);
        }
        if (creator.uid == (uid_t) -1)
                return false;

        need_name = rule->owner.kind == ID_SPEC_REQUESTER_NAME ||
                    rule->group.kind == ID_SPEC_REQUESTER_NAME;
        for (i = 0; i < rule->n_names && !need_name; i++)
                need_name = pattern_has_specifier(rule->names[i], 'u');
        if (need_name && !user_name) {
                r = user_name_by_uid(creator.uid, &user_name);
                if (r < 0 && r != -ENOENT)
                        return false;
        }
        creator.user_name = user_name;

        if (!rule_matches(rule, name, &creator))
                return false;
        if (policy_resolve_owner(rule, &creator, &want_uid, &want_gid) < 0)
                return false;
        return want_uid == uid && want_gid == gid;
}

struct acl_item {
        uint32_t id;
        unsigned perm;
        size_t pos;     /* order first named */
};

static int acl_item_compare_id(const void *a, const void *b)
{
        const struct acl_item *x = a, *y = b;

        if (x->id != y->id)
                return x->id < y->id ? -1 : 1;
        return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int acl_item_compare_pos(const void *a, const void *b)
{
        const struct acl_item *x = a, *y = b;

        return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* The entries of one kind (users or groups), deduplicated by sorting: lists may be long. */
static int acl_collect(const struct policy_rule *rule, enum principal_kind kind,
                       struct policy_acl_entry **ret, size_t *ret_n)
{
        const struct {
                const struct principal *v;
                size_t n;
                unsigned perm;
        } sources[] = {
                { rule->read_write, rule->n_read_write, 6 },
                { rule->read_only, rule->n_read_only, 4 },
        };
        _cleanup_(freep) struct acl_item *items = NULL;
        struct policy_acl_entry *out;
        size_t n = 0, m = 0, i, j;

        for (i = 0; i < ELEMENTSOF(sources); i++)
                for (j = 0; j < sources[i].n; j++)
                        if (sources[i].v[j].kind == kind)
                                n++;
        if (n == 0) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }

        items = calloc(n, sizeof(*items));
        if (!items)
                return -ENOMEM;
        for (i = 0; i < ELEMENTSOF(sources); i++)
                for (j = 0; j < sources[i].n; j++)
                        if (sources[i].v[j].kind == kind) {
                                items[m] = (struct acl_item) {
                                        .id = sources[i].v[j].id,
                                        .perm = sources[i].perm,
                                        .pos = m,
                                };
                                m++;
                        }

        qsort(items, n, sizeof(*items), acl_item_compare_id);
        for (i = 0, m = 0; i < n; i++) {
                if (m > 0 && items[m - 1].id == items[i].id)
                        items[m - 1].perm |= items[i].perm;     /* rw wins over r */
                else
                        items[m++] = items[i];
        }
        qsort(items, m, sizeof(*items), acl_item_compare_pos);

        out = calloc(m, sizeof(*out));
        if (!out)
                return -ENOMEM;
        for (i = 0; i < m; i++)
                out[i] = (struct policy_acl_entry) { .id = items[i].id, .perm = items[i].perm };
        *ret = out;
        *ret_n = m;
        return 0;
}

int policy_acl_entries(const struct policy_rule *rule, struct policy_acl_entry **ret_users,
                       size_t *ret_n_users, struct policy_acl_entry **ret_groups,
                       size_t *ret_n_groups)
{
        _cleanup_(freep) struct policy_acl_entry *users = NULL;
        struct policy_acl_entry *groups = NULL;
        size_t n_users = 0, n_groups = 0;
        int r;

        r = acl_collect(rule, PRINCIPAL_USER, &users, &n_users);
        if (r < 0)
                return r;
        r = acl_collect(rule, PRINCIPAL_GROUP, &groups, &n_groups);
        if (r < 0)
                return r;
        *ret_users = TAKE_PTR(users);
        *ret_n_users = n_users;
        *ret_groups = groups;
        *ret_n_groups = n_groups;
        return 0;
}
