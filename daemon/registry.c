/* SPDX-License-Identifier: MIT */
/*
 * registry.c - the objects, their indexes and their journal (see registry.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genpage.h"
#include "log.h"
#include "macro.h"
#include "registry.h"

/* The objects of one rule, or of one rule and one creator for a per-user rule. */
struct bucket {
        struct hashmap_entry entry;
        struct avl_tree objects;
        size_t rule_index;
        char key[];
};

struct registry {
        struct journal *journal;
        struct hashmap by_name;
        struct hashmap by_serial;
        struct hashmap buckets;
        struct avl_tree all;
        uint64_t next_serial;
        uint64_t generation;
        bool settled;           /* the generation's policy change finished (RECORD_F_SETTLED) */
        /* Per rule of the bound policy: how many objects it governs, so that LIST visits only
         * rules that have some; and scratch space for LIST's merge, one slot per rule. */
        size_t n_rules;
        size_t *rule_objects;
        struct object **merge;
};

/* A compaction is due once this many dead records sit in the journal, and at least as many
 * as live ones: the rewrite costs O(live), paid at most once per O(live) changes. */
#define COMPACT_MIN_DEAD 4096

static int compare_all(const struct avl_node *a, const struct avl_node *b)
{
        return strcmp(container_of(a, struct object, in_all)->name,
                      container_of(b, struct object, in_all)->name);
}

static int compare_bucket(const struct avl_node *a, const struct avl_node *b)
{
        return strcmp(container_of(a, struct object, in_bucket)->name,
                      container_of(b, struct object, in_bucket)->name);
}

static int compare_all_key(const struct avl_node *n, const void *key)
{
        return strcmp(container_of(n, struct object, in_all)->name, key);
}

static int compare_bucket_key(const struct avl_node *n, const void *key)
{
        return strcmp(container_of(n, struct object, in_bucket)->name, key);
}

/* ---- buckets ---- */

/*
 * "INDEX" for a shared rule; "INDEX:UID:" for a per-user rule, "INDEX::APP" for a per-app one,
 * "INDEX:UID:APP" for both: a creator's objects under such a rule go to that creator alone
 * (policy_creator_matches()), so LIST looks only at the caller's own bucket.
 */
static void bucket_key(char *buf, size_t size, size_t rule_index, const struct policy_rule *rule,
                       uid_t uid, const char *app_id)
{
        char u[16] = "";

        if (rule->per_user)
                (void) snprintf(u, sizeof(u), "%u", (unsigned) uid);
        if (rule->per_user || rule->per_app)
                (void) snprintf(buf, size, "%zu:%s:%s", rule_index, u,
                                rule->per_app && app_id ? app_id : "");
        else
                (void) snprintf(buf, size, "%zu", rule_index);
}

#define BUCKET_KEY_MAX (3 * 24 + SHMB_PROTO_NAME_MAX + 1)

static struct bucket *bucket_get(const struct registry *reg, const char *key)
{
        struct hashmap_entry *e = hashmap_get(&reg->buckets, key);

        return e ? container_of(e, struct bucket, entry) : NULL;
}

static void bucket_leave(struct registry *reg, struct object *o)
{
        struct bucket *b = o->bucket;

        if (!b)
                return;
        avl_remove(&b->objects, &o->in_bucket);
        o->bucket = NULL;
        if (b->rule_index < reg->n_rules)
                reg->rule_objects[b->rule_index]--;
        if (avl_empty(&b->objects)) {
                (void) hashmap_remove(&reg->buckets, b->key);
                free(b);
        }
}

static int bucket_enter_rule(struct registry *reg, struct object *o,
                             const struct policy_rule *rule, size_t rule_index)
{
        char key[BUCKET_KEY_MAX];
        struct bucket *b;

        bucket_key(key, sizeof(key), rule_index, rule, o->creator.uid, o->creator.app_id);
        b = bucket_get(reg, key);
        if (!b) {
                b = calloc(1, sizeof(*b) + strlen(key) + 1);
                if (!b)
                        return -ENOMEM;
                strcpy(b->key, key);
                b->entry.key = b->key;
                b->objects = AVL_TREE_INIT(compare_bucket);
                b->rule_index = rule_index;
                hashmap_put(&reg->buckets, &b->entry);
        }
        avl_insert(&b->objects, &o->in_bucket);
        o->bucket = b;
        reg->rule_objects[rule_index]++;
        return 0;
}

/* ---- indexes ---- */

static void index_add(struct registry *reg, struct object *o)
{
        (void) snprintf(o->serial_key, sizeof(o->serial_key), "%" PRIu64, o->serial);
        o->by_name.key = o->name;
        o->by_serial.key = o->serial_key;
        hashmap_put(&reg->by_name, &o->by_name);
        hashmap_put(&reg->by_serial, &o->by_serial);
        avl_insert(&reg->all, &o->in_all);
        if (o->serial >= reg->next_serial)
                reg->next_serial = o->serial + 1;
}

static void index_remove(struct registry *reg, struct object *o)
{
        bucket_leave(reg, o);
        (void) hashmap_remove(&reg->by_name, o->name);
        (void) hashmap_remove(&reg->by_serial, o->serial_key);
        avl_remove(&reg->all, &o->in_all);
}

struct object *registry_lookup(const struct registry *reg, const char *name)
{
        struct hashmap_entry *e = hashmap_get(&reg->by_name, name);

        return e ? container_of(e, struct object, by_name) : NULL;
}

struct object *registry_lookup_serial(const struct registry *reg, uint64_t serial)
{
        char key[24];
        struct hashmap_entry *e;

        (void) snprintf(key, sizeof(key), "%" PRIu64, serial);
        e = hashmap_get(&reg->by_serial, key);
        return e ? container_of(e, struct object, by_serial) : NULL;
}

size_t registry_count(const struct registry *reg)
{
        return reg->by_name.n_entries;
}

uint64_t registry_generation(const struct registry *reg)
{
        return reg->generation;
}

/* ---- records ---- */

static struct record_str rstr(const char *s)
{
        return (struct record_str) { .s = s, .len = s ? strlen(s) : 0 };
}

static void object_to_record(const struct object *o, struct record *r)
{
        *r = (struct record) {
                .type = RECORD_PUT,
                .serial = o->serial,
                .generation = o->generation,
                .backend = (uint32_t) o->backend,
                .flags = o->orphan ? RECORD_F_ORPHAN : 0,
                .creator_uid = (uint32_t) o->creator.uid,
                .size = o->size,
                .dev = (uint64_t) o->dev,
                .ino = (uint64_t) o->ino,
                .ctime_usec = o->ctime_usec,
                .spec = o->spec,
                .name = rstr(o->name),
                .rule_id = rstr(o->rule_id),
                .user_name = rstr(o->creator.user_name),
                .app_id = rstr(o->creator.app_id),
                .lifetime = (uint32_t) o->lifetime.kind,
                .lifetime_usec = o->lifetime.usec,
                .last_open_usec = o->last_open_saved_usec,
                .creator_pid = (uint32_t) o->creator.pid,
                .creator_pidfs_ino = o->creator.pidfs_ino,
                .creator_start = o->creator.start,
        };
        if (o->flags & OBJECT_PUBLISHED)
                r->flags |= RECORD_F_PUBLISHED;
        if (o->flags & OBJECT_SEAL_WRITE)
                r->flags |= RECORD_F_SEAL_WRITE;
        if (o->flags & OBJECT_SEAL_FUTURE)
                r->flags |= RECORD_F_SEAL_FUTURE;
        if (o->flags & OBJECT_FRESH)
                r->flags |= RECORD_F_FRESH;
        if (o->flags & OBJECT_REMOVING)
                r->flags |= RECORD_F_REMOVING;
        if (o->creator.name_known)
                r->flags |= RECORD_F_NAME_KNOWN;
}

static char *rstrdup(const struct record_str *s)
{
        return s->len > 0 ? strndup(s->s, s->len) : NULL;
}

/* Builds an object from a PUT record; its name is checked like a client's. */
static int object_from_record(const struct record *r, struct object **ret)
{
        char name[SHMB_PROTO_NAME_MAX + 1];
        struct policy_lifetime lifetime;
        struct object *o;

        if (shmb_name_normalize(r->name.s, r->name.len, name) < 0 ||
            strlen(name) != r->name.len || memcmp(name, r->name.s, r->name.len) != 0)
                return -EBADMSG;
        if (r->backend != POLICY_BACKEND_SHM && r->backend != POLICY_BACKEND_MEMFD)
                return -EBADMSG;
        lifetime = (struct policy_lifetime) { .kind = (enum policy_lifetime_kind) r->lifetime,
                                              .usec = r->lifetime_usec };
        if (!policy_lifetime_valid(&lifetime) ||
            (lifetime.kind == POLICY_LIFETIME_PROCESS && r->creator_pid == 0))
                return -EBADMSG;
        o = calloc(1, sizeof(*o));
        if (!o)
                return -ENOMEM;
        o->fd = -1;
        list_node_init(&o->proc_node);
        list_node_init(&o->fresh_node);
        list_node_init(&o->kept);
        o->lifetime = lifetime;
        o->last_open_usec = o->last_open_saved_usec = r->last_open_usec;
        o->creator.pid = (pid_t) r->creator_pid;
        o->creator.pidfs_ino = r->creator_pidfs_ino;
        o->creator.start = r->creator_start;
        if (r->flags & RECORD_F_PUBLISHED)
                o->flags |= OBJECT_PUBLISHED;
        if (r->flags & RECORD_F_SEAL_WRITE)
                o->flags |= OBJECT_SEAL_WRITE;
        if (r->flags & RECORD_F_SEAL_FUTURE)
                o->flags |= OBJECT_SEAL_FUTURE;
        if (r->flags & RECORD_F_FRESH)
                o->flags |= OBJECT_FRESH;
        if (r->flags & RECORD_F_REMOVING)
                o->flags |= OBJECT_REMOVING;
        o->name = strdup(name);
        o->rule_id = rstrdup(&r->rule_id);
        o->creator.user_name = rstrdup(&r->user_name);
        o->creator.app_id = rstrdup(&r->app_id);
        if (!o->name || (r->rule_id.len && !o->rule_id) ||
            (r->user_name.len && !o->creator.user_name) ||
            (r->app_id.len && !o->creator.app_id)) {
                object_free(o);
                return -ENOMEM;
        }
        o->serial = r->serial;
        o->backend = (enum policy_backend) r->backend;
        o->generation = r->generation;
        o->orphan = r->flags & RECORD_F_ORPHAN;
        o->spec = r->spec;
        o->creator.uid = (uid_t) r->creator_uid;
        o->creator.name_known = (r->flags & RECORD_F_NAME_KNOWN) || o->creator.user_name;
        o->size = r->size;
        o->ctime_usec = r->ctime_usec;
        o->dev = (dev_t) r->dev;
        o->ino = (ino_t) r->ino;
        *ret = o;
        return 0;
}

struct replay_ctx {
        struct registry *reg;
        struct registry_open_stats *stats;
};

static void forget(struct registry *reg, struct object *o)
{
        index_remove(reg, o);
        object_free(o);
}

static int replay_one(const struct record *r, void *userdata)
{
        struct replay_ctx *c = userdata;
        struct registry *reg = c->reg;
        struct object *o, *old;
        int k;

        switch (r->type) {
        case RECORD_GEN:
                if (r->generation >= reg->generation) {
                        reg->generation = r->generation;
                        reg->settled = r->flags & RECORD_F_SETTLED;
                }
                return 0;
        case RECORD_DEL:
                old = registry_lookup_serial(reg, r->serial);
                if (old)
                        forget(reg, old);
                return 0;
        case RECORD_PUT:
                k = object_from_record(r, &o);
                if (k == -ENOMEM)
                        return k;
                if (k < 0) {
                        log_warning("Registry: a record for serial %" PRIu64 " makes no sense, "
                                    "dropping it.", r->serial);
                        c->stats->dropped++;
                        return 0;
                }
                /* A later PUT of the same object replaces the earlier one. */
                old = registry_lookup_serial(reg, o->serial);
                if (old)
                        forget(reg, old);
                old = registry_lookup(reg, o->name);
                if (old) {
                        /* Two objects of one name: the daemon never writes that (a DEL comes
                         * first). Believe the later record. */
                        log_warning("Registry: '%s' recorded twice (serials %" PRIu64 " and %"
                                    PRIu64 "), keeping the later.", log_name(o->name), old->serial,
                                    o->serial);
                        c->stats->dropped++;
                        forget(reg, old);
                }
                index_add(reg, o);
                return 0;
        default:
                return 0;
        }
}

int registry_open(int state_dir_fd, struct registry **ret, struct registry_open_stats *stats)
{
        struct registry_open_stats st = {};
        struct replay_ctx c = { .stats = &st };
        struct registry *reg;
        int r;

        reg = calloc(1, sizeof(*reg));
        if (!reg)
                return -ENOMEM;
        reg->next_serial = 1;
        reg->all = AVL_TREE_INIT(compare_all);
        r = hashmap_init(&reg->by_name);
        if (r >= 0)
                r = hashmap_init(&reg->by_serial);
        if (r >= 0)
                r = hashmap_init(&reg->buckets);
        if (r >= 0) {
                c.reg = reg;
                r = journal_open(state_dir_fd, REGISTRY_JOURNAL_NAME, replay_one, &c,
                                 &reg->journal, &st.replay);
        }
        if (r < 0) {
                registry_free(reg);
                return r;
        }
        st.objects = registry_count(reg);
        if (stats)
                *stats = st;
        *ret = reg;
        return 0;
}

struct registry *registry_free(struct registry *reg)
{
        struct object *o;

        if (!reg)
                return NULL;
        while ((o = registry_first(reg)))
                forget(reg, o);
        hashmap_deinit(&reg->by_name);
        hashmap_deinit(&reg->by_serial);
        hashmap_deinit(&reg->buckets);
        journal_close(reg->journal);
        free(reg->rule_objects);
        free(reg->merge);
        free(reg);
        return NULL;
}

/* Appends one record; a journal left damaged by a failed append is rewritten first. */
static int append(struct registry *reg, const struct record *r)
{
        if (journal_damaged(reg->journal)) {
                int k = registry_compact(reg);

                if (k < 0)
                        return k;
        }
        return journal_append(reg->journal, r);
}

/* Where @rule sits in @p, or SIZE_MAX if it is not one of @p's rules. */
static size_t rule_index(const struct policy *p, const struct policy_rule *rule)
{
        if (!p || !rule || rule < p->rules || rule >= p->rules + p->n_rules)
                return SIZE_MAX;
        return (size_t) (rule - p->rules);
}

int registry_add(struct registry *reg, const struct policy *p, struct object *o)
{
        size_t i = rule_index(p, o->rule);
        struct record r;
        int k;

        if (i == SIZE_MAX || i >= reg->n_rules)
                return -EINVAL; /* a caller bug: new objects are made under a rule */
        if (registry_lookup(reg, o->name))
                return -EEXIST;
        k = bucket_enter_rule(reg, o, o->rule, i);
        if (k < 0)
                return k;
        o->serial = reg->next_serial;
        o->generation = reg->generation;
        object_to_record(o, &r);
        k = append(reg, &r);
        if (k < 0) {
                bucket_leave(reg, o);
                o->serial = 0;
                return k;
        }
        index_add(reg, o);
        registry_maybe_compact(reg);
        return 0;
}

int registry_save(struct registry *reg, struct object *o)
{
        struct record r;
        int k;

        object_to_record(o, &r);
        k = append(reg, &r);
        if (k >= 0)
                registry_maybe_compact(reg);
        return k;
}

int registry_mark_removing(struct registry *reg, struct object *o)
{
        struct record r;
        int k;

        if (o->flags & OBJECT_REMOVING)
                return 0;
        /* The mark in the record alone until it is written: append() may compact a damaged
         * journal first, from the objects, and a refused removal must not be on record. */
        object_to_record(o, &r);
        r.flags |= RECORD_F_REMOVING;
        k = append(reg, &r);
        if (k >= 0)
                o->flags |= OBJECT_REMOVING;
        return k;
}

void registry_drop(struct registry *reg, struct object *o)
{
        struct record r = { .type = RECORD_DEL, .serial = o->serial };
        int k;

        k = append(reg, &r);
        if (k < 0)
                /* Its storage is gone (broker_remove() marks it removing first): at the next
                 * start its record names a file that is not there any more, or one whose
                 * removal is finished then. */
                log_warning_errno(k, "Registry: cannot record that '%s' is gone, ignoring: %m",
                                  log_name(o->name));
        forget(reg, o);
        registry_maybe_compact(reg);
}

int registry_set_policy(struct registry *reg, const struct policy *p)
{
        size_t *counts = NULL;
        struct object **merge = NULL;
        struct object *o;
        struct record r;
        size_t n = p->n_rules ? p->n_rules : 1;
        int k;

        counts = calloc(n, sizeof(*counts));
        merge = calloc(n, sizeof(*merge));
        if (!counts || !merge) {
                free(counts);
                free(merge);
                return -ENOMEM;
        }
        /* Whatever clients reuse was decided under the old policy. */
        genpage_bump_all();
        for (o = registry_first(reg); o; o = registry_next(reg, o))
                bucket_leave(reg, o);
        free(reg->rule_objects);
        free(reg->merge);
        reg->rule_objects = counts;
        reg->merge = merge;
        reg->n_rules = p->n_rules;

        r = (struct record) { .type = RECORD_GEN, .generation = reg->generation + 1 };
        k = append(reg, &r);
        if (k < 0)
                return k;
        reg->generation++;
        reg->settled = false;
        return 0;
}

int registry_settle(struct registry *reg)
{
        struct record r = { .type = RECORD_GEN, .generation = reg->generation,
                            .flags = RECORD_F_SETTLED };
        int k;

        k = append(reg, &r);
        if (k < 0)
                return k;
        reg->settled = true;
        return 0;
}

bool registry_settled(const struct registry *reg)
{
        return reg->settled;
}

int registry_bind(struct registry *reg, const struct policy *p, struct object *o,
                  const struct policy_rule *rule)
{
        size_t i = rule_index(p, rule);
        bool was_orphan = o->orphan;
        const struct policy_rule *old = o->rule;
        int k = 0;

        /* A reload: whatever connections keep of it was handed out under the old policy. */
        object_drop_kept(o);
        bucket_leave(reg, o);
        if (rule && (i == SIZE_MAX || i >= reg->n_rules))
                k = -EINVAL;
        if (rule && k >= 0)
                k = object_set_rule_id(o, rule->id);
        if (rule && k >= 0)
                k = bucket_enter_rule(reg, o, rule, i);
        /* Whatever failed, @o must not keep pointing into a policy about to be freed: it is
         * an orphan then, refused to everyone, until the next reload binds it. */
        if (k < 0)
                rule = NULL;
        o->rule = rule;
        o->orphan = !rule;
        if (old != rule || was_orphan != o->orphan)
                o->generation = reg->generation;
        return k;
}

struct object *registry_first(const struct registry *reg)
{
        struct avl_node *n = avl_first(&reg->all);

        return n ? container_of(n, struct object, in_all) : NULL;
}

struct object *registry_first_after(const struct registry *reg, const char *name)
{
        struct avl_node *n = avl_first_after(&reg->all, name, compare_all_key);

        return n ? container_of(n, struct object, in_all) : NULL;
}

struct object *registry_next(const struct registry *reg, const struct object *o)
{
        struct avl_node *n = avl_next(&o->in_all);

        return n ? container_of(n, struct object, in_all) : NULL;
}

/* ---- LIST: a merge of the buckets the caller may read, in name order ---- */

static struct object *bucket_after(const struct bucket *b, const char *cursor)
{
        struct avl_node *n = avl_first_after(&b->objects, cursor, compare_bucket_key);

        return n ? container_of(n, struct object, in_bucket) : NULL;
}

static struct object *object_next_in_bucket(const struct object *o)
{
        struct avl_node *n = avl_next(&o->in_bucket);

        return n ? container_of(n, struct object, in_bucket) : NULL;
}

/* A binary min-heap of each bucket's next object, by name. */
static void heap_down(struct object **h, size_t n, size_t i)
{
        for (;;) {
                size_t l = 2 * i + 1, r = l + 1, m = i;
                struct object *t;

                if (l < n && strcmp(h[l]->name, h[m]->name) < 0)
                        m = l;
                if (r < n && strcmp(h[r]->name, h[m]->name) < 0)
                        m = r;
                if (m == i)
                        return;
                t = h[i];
                h[i] = h[m];
                h[m] = t;
                i = m;
        }
}

void registry_list(struct registry *reg, const struct policy *p, const struct identity *id,
                   const char *cursor, bool (*visit)(struct object *o, void *ud), void *ud)
{
        struct object **heap = reg->merge;
        size_t i, n = 0;

        if (!p || reg->n_rules != p->n_rules)
                return;
        for (i = 0; i < p->n_rules; i++) {
                const struct policy_rule *rule = &p->rules[i];
                char key[BUCKET_KEY_MAX];
                struct bucket *b;
                struct object *o;

                if (reg->rule_objects[i] == 0 ||
                    !(policy_rights(rule, id) & POLICY_RIGHT_READ))
                        continue;
                bucket_key(key, sizeof(key), i, rule, id->uid, id->app_id);
                b = bucket_get(reg, key);
                o = b ? bucket_after(b, cursor) : NULL;
                if (o)
                        heap[n++] = o;
        }
        for (i = n; i-- > 0;)
                heap_down(heap, n, i);

        while (n > 0) {
                struct object *o = heap[0], *next = object_next_in_bucket(o);

                if (next)
                        heap[0] = next;
                else
                        heap[0] = heap[--n];
                heap_down(heap, n, 0);

                /* Its rule must also be the caller's first match for the name: a name that an
                 * earlier rule takes for the caller is another rule's business. */
                if (policy_match(p, o->name, id) != o->rule)
                        continue;
                if (!visit(o, ud))
                        return;
        }
}

/* ---- compaction ---- */

struct compact_ctx {
        const struct registry *reg;
        struct object *next;
        bool gen_done;
};

static int compact_next(void *userdata, struct record *r)
{
        struct compact_ctx *c = userdata;

        if (!c->gen_done) {
                c->gen_done = true;
                *r = (struct record) { .type = RECORD_GEN, .generation = c->reg->generation,
                                       .flags = c->reg->settled ? RECORD_F_SETTLED : 0 };
                return 1;
        }
        if (!c->next)
                return 0;
        object_to_record(c->next, r);
        c->next = registry_next(c->reg, c->next);
        return 1;
}

int registry_compact(struct registry *reg)
{
        struct compact_ctx c = { .reg = reg, .next = registry_first(reg) };

        return journal_rewrite(reg->journal, compact_next, &c);
}

void registry_maybe_compact(struct registry *reg)
{
        size_t live = registry_count(reg) + 1, total = journal_records(reg->journal);
        int k;

        if (!journal_damaged(reg->journal) &&
            (total < live + COMPACT_MIN_DEAD || total - live < live))
                return;
        k = registry_compact(reg);
        if (k < 0)
                log_warning_errno(k, "Registry: cannot compact the journal, ignoring: %m");
}
