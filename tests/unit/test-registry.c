/* SPDX-License-Identifier: MIT */
/*
 * test-registry.c - unit tests of the object registry and what it is built on: the ordered
 * tree (daemon/avl.c), the journal's records (record.c) and file (journal.c), and the registry
 * itself (registry.c): indexes, persistence across a "restart", torn writes, damage in the
 * middle of the journal, compaction, rule bindings and LIST pages.
 *
 * Needs no root: it writes only below a fresh directory in $TMPDIR, and its identities are
 * plain numbers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "avl.h"
#include "journal.h"
#include "macro.h"
#include "policy.h"
#include "record.h"
#include "registry.h"

/* ------------------------------------------------------------------ the tree */

struct item {
        struct avl_node node;
        int key;
};

static int item_cmp(const struct avl_node *a, const struct avl_node *b)
{
        int x = container_of(a, struct item, node)->key, y = container_of(b, struct item, node)->key;

        return (x > y) - (x < y);
}

static int item_cmp_key(const struct avl_node *n, const void *key)
{
        int x = container_of(n, struct item, node)->key, y = *(const int *) key;

        return (x > y) - (x < y);
}

/* Checks order, parent links and the AVL balance; returns the height. */
static int check_subtree(const struct avl_node *n, const struct avl_node *parent)
{
        int l, r;

        if (!n)
                return 0;
        assert_ptr_equal(n->parent, parent);
        l = check_subtree(n->left, n);
        r = check_subtree(n->right, n);
        assert_true(l - r <= 1 && r - l <= 1);
        assert_int_equal(n->height, (l > r ? l : r) + 1);
        if (n->left)
                assert_true(item_cmp(n->left, n) < 0);
        if (n->right)
                assert_true(item_cmp(n->right, n) > 0);
        return n->height;
}

/* Random inserts and removes, checked against a plain membership array after each step. */
static void test_avl_random(void **state)
{
        enum { N = 512 };
        static struct item items[N];
        bool in[N] = {};
        struct avl_tree t = AVL_TREE_INIT(item_cmp);
        unsigned seed = 12345;
        int step, i;

        for (i = 0; i < N; i++)
                items[i].key = i * 2; /* even keys: odd ones probe "after" between them */
        for (step = 0; step < 20000; step++) {
                const struct avl_node *n;
                int k = (int) (rand_r(&seed) % N), want, probe;
                size_t count = 0;

                if (in[k])
                        avl_remove(&t, &items[k].node);
                else
                        avl_insert(&t, &items[k].node);
                in[k] = !in[k];
                if (step % 97 != 0)
                        continue;

                (void) check_subtree(t.root, NULL);
                for (n = avl_first(&t), want = 0; n; n = avl_next(n), want++) {
                        while (!in[want])
                                want++;
                        assert_int_equal(container_of(n, struct item, node)->key, want * 2);
                        count++;
                }
                assert_int_equal(count, t.n_nodes);

                probe = (int) (rand_r(&seed) % (2 * N + 2)) - 1;
                n = avl_first_after(&t, &probe, item_cmp_key);
                for (i = 0; i < N; i++)
                        if (in[i] && i * 2 > probe)
                                break;
                if (i == N)
                        assert_null(n);
                else
                        assert_int_equal(container_of(n, struct item, node)->key, i * 2);
                n = avl_find(&t, &probe, item_cmp_key);
                if (probe >= 0 && probe % 2 == 0 && probe / 2 < N && in[probe / 2])
                        assert_int_equal(container_of(n, struct item, node)->key, probe);
                else
                        assert_null(n);
        }
}

/* ------------------------------------------------------------------ records */

static struct record_str S(const char *s)
{
        return (struct record_str) { .s = s, .len = strlen(s) };
}

static struct record put_record(void)
{
        return (struct record) {
                .type = RECORD_PUT, .serial = 7, .generation = 3, .backend = 1, .flags = 1,
                .creator_uid = 41001, .size = 4096, .dev = 42, .ino = 4242, .ctime_usec = 99,
                .spec = 0xdeadbeef, .name = S("obj-name"), .rule_id = S("rule"),
                .user_name = S("alice"), .app_id = S("org.example.App"),
        };
}

static void assert_str(struct record_str got, const char *want)
{
        assert_int_equal(got.len, strlen(want));
        assert_memory_equal(got.s, want, got.len);
}

static void test_record_roundtrip(void **state)
{
        uint8_t buf[RECORD_MAX];
        struct record r = put_record(), d;
        int n;

        n = record_encode(&r, buf, sizeof(buf));
        assert_true(n > RECORD_FRAME_SIZE);
        assert_int_equal(record_decode(buf, (size_t) n, &d), n);
        assert_int_equal(d.type, RECORD_PUT);
        assert_int_equal(d.serial, 7);
        assert_int_equal(d.generation, 3);
        assert_int_equal(d.backend, 1);
        assert_int_equal(d.flags, 1);
        assert_int_equal(d.creator_uid, 41001);
        assert_int_equal(d.size, 4096);
        assert_int_equal(d.dev, 42);
        assert_int_equal(d.ino, 4242);
        assert_int_equal(d.ctime_usec, 99);
        assert_int_equal(d.spec, 0xdeadbeef);
        assert_str(d.name, "obj-name");
        assert_str(d.rule_id, "rule");
        assert_str(d.user_name, "alice");
        assert_str(d.app_id, "org.example.App");

        r = (struct record) { .type = RECORD_DEL, .serial = 9 };
        n = record_encode(&r, buf, sizeof(buf));
        assert_int_equal(record_decode(buf, (size_t) n, &d), n);
        assert_int_equal(d.type, RECORD_DEL);
        assert_int_equal(d.serial, 9);

        r = (struct record) { .type = RECORD_GEN, .generation = 11 };
        n = record_encode(&r, buf, sizeof(buf));
        assert_int_equal(record_decode(buf, (size_t) n, &d), n);
        assert_int_equal(d.type, RECORD_GEN);
        assert_int_equal(d.generation, 11);
}

static void test_record_bad(void **state)
{
        uint8_t buf[RECORD_MAX], copy[RECORD_MAX];
        struct record r = put_record(), d;
        int n, i;

        n = record_encode(&r, buf, sizeof(buf));
        assert_true(n > 0);
        /* Every prefix is a record cut short. */
        for (i = 0; i < n; i++)
                assert_int_equal(record_decode(buf, (size_t) i, &d), -EBADMSG);
        /* Every single bit flipped is caught (magic, length, check or payload). */
        for (i = 0; i < n * 8; i++) {
                memcpy(copy, buf, (size_t) n);
                copy[i / 8] ^= (uint8_t) (1u << (i % 8));
                assert_true(record_decode(copy, (size_t) n, &d) < 0);
        }
        /* A PUT without a name cannot be written; nor a string longer than a field. */
        r.name = S("");
        assert_int_equal(record_encode(&r, buf, sizeof(buf)), -EINVAL);
        r = put_record();
        assert_int_equal(record_encode(&r, buf, RECORD_FRAME_SIZE + 8), -ENOBUFS);
        /* A DEL of serial 0 never comes from the daemon. */
        r = (struct record) { .type = RECORD_DEL, .serial = 0 };
        n = record_encode(&r, buf, sizeof(buf));
        assert_int_equal(record_decode(buf, (size_t) n, &d), -EBADMSG);
}

/* ------------------------------------------------------------------ a temporary directory */

struct fixture {
        char dir[64];
        int dir_fd;
        struct policy *policy;
};

static const char fixture_policy[] =
        "[Segment mine]\n"
        "Names=%U-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%U\n"
        "\n"
        "[Segment shared]\n"
        "Names=pub-* x-*\n"
        "Create=*\n"
        "ReadOnly=*\n"
        "\n"
        "[Segment hidden]\n"
        "Names=hid-*\n"
        "Create=41001\n"
        "\n"
        "[Segment rest]\n"
        "Names=*\n"
        "Create=*\n"
        "ReadWrite=*\n";

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));
        const char *tmp = getenv("TMPDIR");
        char *error = NULL;

        assert_non_null(f);
        snprintf(f->dir, sizeof(f->dir), "%s/shmb-reg.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        assert_non_null(mkdtemp(f->dir));
        f->dir_fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(f->dir_fd >= 0);
        assert_int_equal(policy_load_string(fixture_policy, "test.conf", &f->policy, &error), 0);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        char path[128];

        snprintf(path, sizeof(path), "%s/%s", f->dir, REGISTRY_JOURNAL_NAME);
        (void) unlink(path);
        snprintf(path, sizeof(path), "%s/%s.new", f->dir, REGISTRY_JOURNAL_NAME);
        (void) unlink(path);
        snprintf(path, sizeof(path), "%s/%s", f->dir, REGISTRY_JOURNAL_NAME JOURNAL_DAMAGED_SUFFIX);
        (void) unlink(path);
        (void) rmdir(f->dir);
        close(f->dir_fd);
        policy_free(f->policy);
        free(f);
        return 0;
}

static off_t journal_size(const struct fixture *f)
{
        struct stat st;

        assert_int_equal(fstatat(f->dir_fd, REGISTRY_JOURNAL_NAME, &st, 0), 0);
        return st.st_size;
}

/* The size of the damaged journal's copy, or -errno. */
static off_t damaged_copy_size(const struct fixture *f)
{
        struct stat st;

        if (fstatat(f->dir_fd, REGISTRY_JOURNAL_NAME JOURNAL_DAMAGED_SUFFIX, &st,
                    AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0600);
        return st.st_size;
}

/* ------------------------------------------------------------------ the journal */

struct collect {
        struct record recs[64];
        char names[64][64];
        size_t n;
};

static int collect_one(const struct record *r, void *userdata)
{
        struct collect *c = userdata;

        assert_true(c->n < 64);
        c->recs[c->n] = *r;
        if (r->type == RECORD_PUT) {
                snprintf(c->names[c->n], sizeof(c->names[c->n]), "%.*s", (int) r->name.len,
                         r->name.s);
                c->recs[c->n].name = S(c->names[c->n]);
        }
        c->n++;
        return 0;
}

static void test_journal_torn_tail(void **state)
{
        struct fixture *f = *state;
        struct journal_replay_stats st;
        struct collect c = {};
        struct journal *j;
        struct record r = put_record();
        off_t good;
        int fd;

        assert_int_equal(journal_open(f->dir_fd, REGISTRY_JOURNAL_NAME, collect_one, &c, &j,
                                      &st), 0);
        assert_int_equal(c.n, 0);
        assert_int_equal(journal_append(j, &r), 0);
        r.serial = 8;
        assert_int_equal(journal_append(j, &r), 0);
        journal_close(j);
        good = journal_size(f);

        /* SIGKILL in the middle of a write: half a record at the end. */
        fd = openat(f->dir_fd, REGISTRY_JOURNAL_NAME, O_WRONLY | O_APPEND | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "SBRJ\x20\0\0\0garbage", 15), 15);
        close(fd);

        assert_int_equal(journal_open(f->dir_fd, REGISTRY_JOURNAL_NAME, collect_one, &c, &j,
                                      &st), 0);
        assert_int_equal(c.n, 2);
        assert_int_equal(c.recs[1].serial, 8);
        assert_int_equal(st.records, 2);
        assert_int_equal(st.bad_offset, good);
        assert_int_equal(st.bad_bytes, 15);
        /* What SIGKILL leaves is no damage: nothing skipped, and no copy kept. */
        assert_true(st.bad_torn);
        assert_int_equal(st.skipped_records, 0);
        assert_false(st.copied);
        assert_int_equal(damaged_copy_size(f), -ENOENT);
        /* The tail is cut, and appends go on from a clean end. */
        assert_int_equal(journal_size(f), good);
        r.serial = 9;
        assert_int_equal(journal_append(j, &r), 0);
        journal_close(j);
        c.n = 0;
        assert_int_equal(journal_open(f->dir_fd, REGISTRY_JOURNAL_NAME, collect_one, &c, &j,
                                      &st), 0);
        assert_int_equal(c.n, 3);
        assert_int_equal(st.bad_offset, -1);
        journal_close(j);
}

#define DAMAGE_RECORDS 6
#define DAMAGE_AT 2             /* the damaged record: serial DAMAGE_AT + 1 */

/* Where in record DAMAGE_AT one byte is flipped, and what replaying must then do. */
static const struct damage_case {
        const char *what;
        size_t byte;            /* from the record's start; SIZE_MAX: the middle of its name */
        bool skipped;           /* skipped (the frame header is whole), or the end */
} damage_cases[] = {
        { "a name byte", SIZE_MAX, true },
        { "a field header", RECORD_FRAME_SIZE + 1, true },
        { "the check", 9, true },
        { "the magic", 0, false },
        /* Within limits and the file, but one byte off: it leads to no record. */
        { "the length", 4, false },
};

/* Writes DAMAGE_RECORDS PUTs (serials 1.., names "dmg-<serial>-name"); returns the offset of
 * the byte that @dc flips, and the start of record DAMAGE_AT in @ret_start. */
static size_t write_damage_journal(struct fixture *f, const struct damage_case *dc,
                                   off_t *ret_start)
{
        struct collect c = {};
        struct journal *j;
        char names[DAMAGE_RECORDS][32];
        off_t start = 0;
        size_t at = 0;
        int i;

        assert_int_equal(journal_open(f->dir_fd, REGISTRY_JOURNAL_NAME, collect_one, &c, &j,
                                      NULL), 0);
        for (i = 0; i < DAMAGE_RECORDS; i++) {
                struct record r = put_record();

                snprintf(names[i], sizeof(names[i]), "dmg-%d-name", i + 1);
                r.serial = (uint64_t) i + 1;
                r.name = S(names[i]);
                if (i == DAMAGE_AT) {
                        uint8_t buf[RECORD_MAX];
                        int n = record_encode(&r, buf, sizeof(buf));
                        const uint8_t *p;

                        assert_true(n > 0);
                        start = journal_size(f);
                        p = memmem(buf, (size_t) n, names[i], strlen(names[i]));
                        assert_non_null(p);
                        at = dc->byte != SIZE_MAX ? dc->byte
                                                  : (size_t) (p - buf) + strlen(names[i]) / 2;
                }
                assert_int_equal(journal_append(j, &r), 0);
        }
        journal_close(j);
        *ret_start = start;
        return (size_t) start + at;
}

static void flip_byte(struct fixture *f, size_t at)
{
        _cleanup_(closep) int fd = -1;
        uint8_t b;

        fd = openat(f->dir_fd, REGISTRY_JOURNAL_NAME, O_RDWR | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(pread(fd, &b, 1, (off_t) at), 1);
        b ^= 0x01;
        assert_int_equal(pwrite(fd, &b, 1, (off_t) at), 1);
}

static void read_journal(const struct fixture *f, const char *name, uint8_t *buf, size_t size)
{
        _cleanup_(closep) int fd = -1;

        fd = openat(f->dir_fd, name, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(read(fd, buf, size), (ssize_t) size);
}

/*
 * One byte flipped in the middle of the journal, as a storage fault leaves it. Damage in a
 * record's payload or check skips that record alone; damage in its frame header ends the
 * replay there. Either way the file as found is kept in registry.damaged.
 * Old code: any record that did not check out ended the replay and cut the file there, every
 * later record with it, logged as "a write cut short": for a name byte, 2 records, not 5.
 */
static void test_journal_damage_middle(void **state)
{
        struct fixture *f = *state;
        size_t i;

        for (i = 0; i < ELEMENTSOF(damage_cases); i++) {
                const struct damage_case *dc = &damage_cases[i];
                struct journal_replay_stats st;
                struct collect c = {};
                struct journal *j;
                uint8_t *before, *copy;
                off_t start, size;
                size_t k;

                print_message("flipped: %s\n", dc->what);
                (void) unlinkat(f->dir_fd, REGISTRY_JOURNAL_NAME, 0);
                (void) unlinkat(f->dir_fd, REGISTRY_JOURNAL_NAME JOURNAL_DAMAGED_SUFFIX, 0);
                flip_byte(f, write_damage_journal(f, dc, &start));
                size = journal_size(f);
                before = malloc((size_t) size);
                copy = malloc((size_t) size);
                assert_non_null(before);
                assert_non_null(copy);
                read_journal(f, REGISTRY_JOURNAL_NAME, before, (size_t) size);

                assert_int_equal(journal_open(f->dir_fd, REGISTRY_JOURNAL_NAME, collect_one, &c,
                                              &j, &st), 0);
                journal_close(j);
                if (dc->skipped) {
                        /* Every record but the damaged one, in order; the file stays whole. */
                        assert_int_equal(c.n, DAMAGE_RECORDS - 1);
                        for (k = 0; k < c.n; k++)
                                assert_int_equal(c.recs[k].serial, k < DAMAGE_AT ? k + 1 : k + 2);
                        assert_int_equal(st.records, DAMAGE_RECORDS - 1);
                        assert_int_equal(st.skipped_records, 1);
                        assert_int_equal(st.skipped_offset, start);
                        assert_true(st.skipped_bytes > RECORD_FRAME_SIZE);
                        assert_int_equal(st.kept_after, DAMAGE_RECORDS - DAMAGE_AT - 1);
                        assert_int_equal(st.bad_offset, -1);
                        assert_int_equal(journal_size(f), size);
                } else {
                        /* No length to trust: the end, as before, cut there. */
                        assert_int_equal(c.n, DAMAGE_AT);
                        assert_int_equal(st.skipped_records, 0);
                        assert_int_equal(st.bad_offset, start);
                        assert_int_equal(st.bad_bytes, size - start);
                        assert_false(st.bad_torn);
                        assert_int_equal(st.bad_records, DAMAGE_RECORDS - DAMAGE_AT - 1);
                        assert_int_equal(journal_size(f), start);
                }
                /* The bytes as they were found, for the administrator. */
                assert_true(st.copied);
                assert_int_equal(st.copy_error, 0);
                assert_int_equal(damaged_copy_size(f), size);
                read_journal(f, REGISTRY_JOURNAL_NAME JOURNAL_DAMAGED_SUFFIX, copy,
                             (size_t) size);
                assert_memory_equal(copy, before, (size_t) size);
                free(before);
                free(copy);
        }
}

/* A journal damaged in the middle again, after an older copy: the copy is replaced. And the
 * damaged record stays skipped at every open until a compaction drops it. */
static void test_journal_damage_copy_replaced(void **state)
{
        struct fixture *f = *state;
        struct journal_replay_stats st;
        struct collect c = {};
        struct journal *j;
        off_t start;
        int fd;

        fd = openat(f->dir_fd, REGISTRY_JOURNAL_NAME JOURNAL_DAMAGED_SUFFIX,
                    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "old", 3), 3);
        close(fd);
        flip_byte(f, write_damage_journal(f, &damage_cases[0], &start));

        assert_int_equal(journal_open(f->dir_fd, REGISTRY_JOURNAL_NAME, collect_one, &c, &j,
                                      &st), 0);
        journal_close(j);
        assert_true(st.copied);
        assert_int_equal(damaged_copy_size(f), journal_size(f));
        c.n = 0;
        assert_int_equal(journal_open(f->dir_fd, REGISTRY_JOURNAL_NAME, collect_one, &c, &j,
                                      &st), 0);
        assert_int_equal(c.n, DAMAGE_RECORDS - 1);
        assert_int_equal(st.skipped_records, 1);
        journal_close(j);
}

/* ------------------------------------------------------------------ the registry */

static struct identity ident(uid_t uid)
{
        return (struct identity) { .uid = uid, .gid = uid };
}

/* A new object under @name's rule for @uid, as handle_create() files it. */
static struct object *add(struct registry *reg, const struct policy *p, const char *name,
                          uid_t uid, uint64_t size)
{
        struct identity id = ident(uid);
        struct object *o;

        assert_int_equal(object_new(name, POLICY_BACKEND_SHM, &id, size, &o), 0);
        o->rule = policy_match(p, name, &id);
        assert_non_null(o->rule);
        assert_int_equal(object_set_rule_id(o, o->rule->id), 0);
        o->dev = 1;
        o->ino = (ino_t) (size + uid);
        assert_int_equal(registry_add(reg, p, o), 0);
        return o;
}

static struct registry *open_reg(struct fixture *f)
{
        struct registry *reg;

        assert_int_equal(registry_open(f->dir_fd, &reg, NULL), 0);
        assert_int_equal(registry_set_policy(reg, f->policy), 0);
        return reg;
}

/* Binds every object of @reg to its rule under @p, as reconcile() does at start. */
static void bind_all(struct registry *reg, const struct policy *p)
{
        struct object *o;

        assert_int_equal(registry_set_policy(reg, p), 0);
        for (o = registry_first(reg); o; o = registry_next(reg, o)) {
                struct identity id = object_creator_identity(o);

                assert_int_equal(registry_bind(reg, p, o, policy_match(p, o->name, &id)), 0);
        }
}

static void test_registry_persist(void **state)
{
        struct fixture *f = *state;
        struct registry *reg;
        struct object *o;
        uint64_t gen;

        reg = open_reg(f);
        (void) add(reg, f->policy, "41001-a", 41001, 100);
        o = add(reg, f->policy, "pub-b", 41002, 200);
        (void) add(reg, f->policy, "zzz", 41003, 300);
        assert_int_equal(registry_count(reg), 3);
        assert_non_null(registry_lookup(reg, "pub-b"));
        assert_ptr_equal(registry_lookup_serial(reg, o->serial), o);
        /* One name, one object. */
        {
                struct identity id = ident(41009);
                struct object *dup;

                assert_int_equal(object_new("pub-b", POLICY_BACKEND_SHM, &id, 1, &dup), 0);
                dup->rule = &f->policy->rules[1];
                assert_int_equal(registry_add(reg, f->policy, dup), -EEXIST);
                object_free(dup);
        }
        registry_drop(reg, o);
        gen = registry_generation(reg);
        registry_free(reg);

        /* A restart: what was recorded comes back, unbound, with its fields. */
        assert_int_equal(registry_open(f->dir_fd, &reg, NULL), 0);
        assert_int_equal(registry_count(reg), 2);
        assert_int_equal(registry_generation(reg), gen);
        assert_null(registry_lookup(reg, "pub-b"));
        o = registry_lookup(reg, "41001-a");
        assert_non_null(o);
        assert_null(o->rule);
        assert_string_equal(o->rule_id, "mine");
        assert_int_equal(o->creator.uid, 41001);
        assert_int_equal(o->size, 100);
        assert_int_equal(o->ino, 41101);
        /* Serials are never reused, even after a restart. */
        {
                uint64_t last = o->serial;
                struct object *n;

                bind_all(reg, f->policy);
                n = add(reg, f->policy, "new", 41001, 1);
                assert_true(n->serial > last + 1);
        }
        registry_free(reg);
}

static void test_registry_compaction(void **state)
{
        struct fixture *f = *state;
        struct registry *reg = open_reg(f);
        off_t before;
        int i;

        (void) add(reg, f->policy, "keep", 41001, 1);
        for (i = 0; i < 10000; i++) {
                char name[32];

                snprintf(name, sizeof(name), "churn-%d", i % 7);
                registry_drop(reg, add(reg, f->policy, name, 41001, 1));
        }
        /* 20001 changes, 1 live object: compacted along the way, to a few records. */
        before = journal_size(f);
        assert_true(before < 4096 * 2 * (off_t) RECORD_FRAME_SIZE * 8);
        assert_int_equal(registry_compact(reg), 0);
        assert_true(journal_size(f) < 256);
        registry_free(reg);
        reg = open_reg(f);
        assert_int_equal(registry_count(reg), 1);
        assert_non_null(registry_lookup(reg, "keep"));
        registry_free(reg);
}

/* A policy change is settled only once its end is on record; compaction keeps the answer. */
static void test_registry_settle(void **state)
{
        struct fixture *f = *state;
        struct registry *reg = open_reg(f);

        (void) add(reg, f->policy, "41001-a", 41001, 1);
        assert_false(registry_settled(reg));
        assert_int_equal(registry_settle(reg), 0);
        assert_true(registry_settled(reg));
        registry_free(reg);

        assert_int_equal(registry_open(f->dir_fd, &reg, NULL), 0);
        assert_true(registry_settled(reg));
        /* A reload begins, and the daemon is killed before it ends. */
        assert_int_equal(registry_set_policy(reg, f->policy), 0);
        registry_free(reg);
        assert_int_equal(registry_open(f->dir_fd, &reg, NULL), 0);
        assert_false(registry_settled(reg));
        assert_int_equal(registry_compact(reg), 0);
        registry_free(reg);
        assert_int_equal(registry_open(f->dir_fd, &reg, NULL), 0);
        assert_false(registry_settled(reg));
        assert_int_equal(registry_set_policy(reg, f->policy), 0);
        assert_int_equal(registry_settle(reg), 0);
        assert_int_equal(registry_compact(reg), 0);
        registry_free(reg);
        assert_int_equal(registry_open(f->dir_fd, &reg, NULL), 0);
        assert_true(registry_settled(reg));
        registry_free(reg);
}

struct page {
        char names[32][32];
        size_t n, max;
};

static bool page_add(struct object *o, void *userdata)
{
        struct page *pg = userdata;

        if (pg->n == pg->max)
                return false;
        snprintf(pg->names[pg->n++], sizeof(pg->names[0]), "%s", o->name);
        return true;
}

static void list(struct registry *reg, const struct policy *p, uid_t uid, const char *cursor,
                 size_t max, struct page *ret)
{
        struct identity id = ident(uid);

        *ret = (struct page) { .max = max };
        registry_list(reg, p, &id, cursor, page_add, ret);
}

static void assert_page(const struct page *pg, const char *const *want)
{
        size_t i;

        for (i = 0; want[i]; i++) {
                assert_true(i < pg->n);
                assert_string_equal(pg->names[i], want[i]);
        }
        assert_int_equal(pg->n, i);
}

static void test_registry_list(void **state)
{
        struct fixture *f = *state;
        struct registry *reg = open_reg(f);
        struct page pg;

        (void) add(reg, f->policy, "41001-b", 41001, 1);
        (void) add(reg, f->policy, "41001-a", 41001, 1);
        (void) add(reg, f->policy, "41002-a", 41002, 1);
        (void) add(reg, f->policy, "pub-1", 41002, 1);
        (void) add(reg, f->policy, "x-1", 41001, 1);
        (void) add(reg, f->policy, "hid-1", 41001, 1);
        (void) add(reg, f->policy, "m", 41003, 1);
        /* Made under "rest" by 41003 (for whom 41001-z is no per-user name): 41001 must
         * not see it, since for 41001 that name belongs to "mine". */
        (void) add(reg, f->policy, "41001-z", 41003, 1);

        /* 41001: its own per-user objects, the shared ones, the rest; not hid-1 (no read
         * right), not 41002's, not 41003's 41001-z. */
        list(reg, f->policy, 41001, "", 32, &pg);
        assert_page(&pg, (const char *const[]) { "41001-a", "41001-b", "m", "pub-1", "x-1",
                                                 NULL });
        /* Pages of two, from the cursor. */
        list(reg, f->policy, 41001, "", 2, &pg);
        assert_page(&pg, (const char *const[]) { "41001-a", "41001-b", NULL });
        list(reg, f->policy, 41001, "41001-b", 2, &pg);
        assert_page(&pg, (const char *const[]) { "m", "pub-1", NULL });
        list(reg, f->policy, 41001, "pub-1", 2, &pg);
        assert_page(&pg, (const char *const[]) { "x-1", NULL });
        list(reg, f->policy, 41001, "x-1", 2, &pg);
        assert_page(&pg, (const char *const[]) { NULL });
        /* 41003 sees its 41001-z: for it, that name falls to "rest". */
        list(reg, f->policy, 41003, "", 32, &pg);
        assert_page(&pg, (const char *const[]) { "41001-z", "m", "pub-1", "x-1", NULL });

        /* An orphan is listed to nobody. */
        {
                struct object *o = registry_lookup(reg, "pub-1");

                assert_int_equal(registry_bind(reg, f->policy, o, NULL), 0);
                assert_true(o->orphan);
                list(reg, f->policy, 41002, "", 32, &pg);
                assert_page(&pg, (const char *const[]) { "41001-z", "41002-a", "m", "x-1",
                                                         NULL });
        }
        registry_free(reg);
}

/* A new policy: objects move to the rule that now governs them. */
static void test_registry_rebind(void **state)
{
        static const char other[] =
                "[Segment all]\n"
                "Names=*\n"
                "Create=*\n"
                "ReadOnly=*\n";
        struct fixture *f = *state;
        struct registry *reg = open_reg(f);
        struct policy *p2 = NULL;
        char *error = NULL;
        struct page pg;
        struct object *o;
        uint64_t gen;

        (void) add(reg, f->policy, "41001-a", 41001, 1);
        (void) add(reg, f->policy, "pub-1", 41002, 1);
        assert_int_equal(policy_load_string(other, "other.conf", &p2, &error), 0);
        gen = registry_generation(reg);
        bind_all(reg, p2);
        assert_int_equal(registry_generation(reg), gen + 1);
        o = registry_lookup(reg, "41001-a");
        assert_ptr_equal(o->rule, &p2->rules[0]);
        assert_string_equal(o->rule_id, "all");
        assert_int_equal(o->generation, gen + 1);
        list(reg, p2, 41005, "", 32, &pg);
        assert_page(&pg, (const char *const[]) { "41001-a", "pub-1", NULL });

        /* Back to the first policy before p2 goes: nothing may point into a freed policy. */
        bind_all(reg, f->policy);
        policy_free(p2);
        list(reg, f->policy, 41001, "", 32, &pg);
        assert_page(&pg, (const char *const[]) { "41001-a", "pub-1", NULL });
        registry_free(reg);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_avl_random),
                cmocka_unit_test(test_record_roundtrip),
                cmocka_unit_test(test_record_bad),
                cmocka_unit_test_setup_teardown(test_journal_torn_tail, setup, teardown),
                cmocka_unit_test_setup_teardown(test_journal_damage_middle, setup, teardown),
                cmocka_unit_test_setup_teardown(test_journal_damage_copy_replaced, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_registry_persist, setup, teardown),
                cmocka_unit_test_setup_teardown(test_registry_compaction, setup, teardown),
                cmocka_unit_test_setup_teardown(test_registry_settle, setup, teardown),
                cmocka_unit_test_setup_teardown(test_registry_list, setup, teardown),
                cmocka_unit_test_setup_teardown(test_registry_rebind, setup, teardown),
        };

        return cmocka_run_group_tests_name("registry", tests, NULL, NULL);
}
