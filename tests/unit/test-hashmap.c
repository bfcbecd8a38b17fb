/* SPDX-License-Identifier: MIT */
/*
 * test-hashmap.c - unit tests of the daemon's hash table and its FNV-1a hash (daemon/hashmap.c).
 *
 * The hash against published FNV-1a test vectors and its incremental form; lookups by
 * NUL-terminated key and by (bytes, length, hash); growth; removal while iterating; clearing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "macro.h"

struct item {
        struct hashmap_entry entry;
        char key[16];
};

static void test_hash_vectors(void **state)
{
        /* FNV-1a 64 test vectors (Fowler, Noll, Vo). */
        static const struct {
                const char *s;
                uint64_t h;
        } cases[] = {
                { "", UINT64_C(0xcbf29ce484222325) },
                { "a", UINT64_C(0xaf63dc4c8601ec8c) },
                { "foobar", UINT64_C(0x85944171f73967e8) },
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(cases); i++)
                assert_true(hashmap_hash(cases[i].s, strlen(cases[i].s)) == cases[i].h);
}

static void test_hash_incremental(void **state)
{
        static const char s[] = "policy-prefix-index";
        size_t n = strlen(s), a;

        for (a = 0; a <= n; a++)
                assert_true(hashmap_hash_update(hashmap_hash(s, a), s + a, n - a) ==
                            hashmap_hash(s, n));
}

static void test_get_put_remove(void **state)
{
        struct hashmap m;
        struct item *items;
        struct hashmap_entry *e;
        size_t i, n = 1000, seen = 0;

        assert_int_equal(hashmap_init(&m), 0);
        items = calloc(n, sizeof(*items));
        assert_non_null(items);
        for (i = 0; i < n; i++) {
                (void) snprintf(items[i].key, sizeof(items[i].key), "k%zu", i);
                items[i].entry.key = items[i].key;
                hashmap_put(&m, &items[i].entry);
        }
        /* It grew: as wide as it is full. */
        assert_int_equal(m.n_entries, n);
        assert_true(m.n_buckets >= n);

        for (i = 0; i < n; i++)
                assert_ptr_equal(hashmap_get(&m, items[i].key), &items[i].entry);
        assert_null(hashmap_get(&m, "k1000"));
        assert_null(hashmap_get(&m, "k"));
        assert_null(hashmap_get(&m, ""));

        /* By length and hash: "k12" inside "k123", but not "k1" nor "k1234". */
        assert_ptr_equal(hashmap_get_hashed(&m, "k123", 3, hashmap_hash("k123", 3)),
                         &items[12].entry);
        assert_ptr_equal(hashmap_get_hashed(&m, "k123", 2, hashmap_hash("k123", 2)),
                         &items[1].entry);
        assert_null(hashmap_get_hashed(&m, "k1234", 5, hashmap_hash("k1234", 5)));
        assert_null(hashmap_get_hashed(&m, "k1", 1, hashmap_hash("k1", 1)));

        for (e = hashmap_first(&m, &i); e; e = hashmap_next(&m, e, &i))
                seen++;
        assert_int_equal(seen, n);

        /* Removing each as it is visited: the iteration rule in hashmap.h. */
        while ((e = hashmap_first(&m, &i)))
                assert_ptr_equal(hashmap_remove(&m, e->key), e);
        assert_int_equal(m.n_entries, 0);
        assert_null(hashmap_remove(&m, "k1"));
        hashmap_deinit(&m);
        free(items);
}

static unsigned freed;

static void count_free(struct hashmap_entry *e)
{
        freed++;
        e->next = NULL;
}

/* Clearing unlinks and hands back every entry once; the map can be used again. */
static void test_clear(void **state)
{
        struct hashmap m;
        struct item items[300];
        size_t i;

        assert_int_equal(hashmap_init(&m), 0);
        for (i = 0; i < ELEMENTSOF(items); i++) {
                (void) snprintf(items[i].key, sizeof(items[i].key), "c%zu", i);
                items[i].entry.key = items[i].key;
                hashmap_put(&m, &items[i].entry);
        }
        freed = 0;
        hashmap_clear(&m, count_free);
        assert_int_equal(freed, ELEMENTSOF(items));
        assert_int_equal(m.n_entries, 0);
        assert_null(hashmap_get(&m, "c1"));
        hashmap_put(&m, &items[1].entry);
        assert_ptr_equal(hashmap_get(&m, "c1"), &items[1].entry);
        hashmap_clear(&m, NULL);
        assert_int_equal(m.n_entries, 0);
        hashmap_deinit(&m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_hash_vectors),
                cmocka_unit_test(test_hash_incremental),
                cmocka_unit_test(test_get_put_remove),
                cmocka_unit_test(test_clear),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
