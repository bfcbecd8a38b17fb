/* SPDX-License-Identifier: MIT */
/*
 * hashmap.c - chained hashing with FNV-1a, growing by doubling.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"

#define HASHMAP_INITIAL 64

#define FNV_PRIME UINT64_C(0x100000001b3)

/**
 * hashmap_hash_update() - feed @len bytes of @s into the FNV-1a hash @h.
 * @h: HASHMAP_HASH_INIT, or what an earlier call returned.
 * @s: the bytes; NUL is hashed like any other byte.
 * @len: how many.
 *
 * Return: the new hash.
 */
uint64_t hashmap_hash_update(uint64_t h, const char *s, size_t len)
{
        size_t i;

        for (i = 0; i < len; i++) {
                h ^= (unsigned char) s[i];
                h *= FNV_PRIME;
        }
        return h;
}

static uint64_t hash_key(const char *s)
{
        return hashmap_hash(s, strlen(s));
}

int hashmap_init(struct hashmap *m)
{
        *m = (struct hashmap) { .n_buckets = HASHMAP_INITIAL };
        m->buckets = calloc(m->n_buckets, sizeof(*m->buckets));
        return m->buckets ? 0 : -ENOMEM;
}

void hashmap_deinit(struct hashmap *m)
{
        free(m->buckets);
        *m = (struct hashmap) {};
}

struct hashmap_entry *hashmap_get_hashed(const struct hashmap *m, const char *key, size_t len,
                                         uint64_t hash)
{
        struct hashmap_entry *e;

        /* strncmp() stops at the end of e->key, and then the NUL check tells the lengths apart. */
        for (e = m->buckets[hash & (m->n_buckets - 1)]; e; e = e->next)
                if (e->hash == hash && strncmp(e->key, key, len) == 0 && e->key[len] == '\0')
                        return e;
        return NULL;
}

struct hashmap_entry *hashmap_get(const struct hashmap *m, const char *key)
{
        size_t len = strlen(key);

        return hashmap_get_hashed(m, key, len, hashmap_hash(key, len));
}

/* On ENOMEM the table keeps its size and the chains get longer: slower, never wrong. */
static void maybe_grow(struct hashmap *m)
{
        struct hashmap_entry **b;
        size_t i, n = m->n_buckets * 2;

        if (m->n_entries < m->n_buckets)
                return;
        b = calloc(n, sizeof(*b));
        if (!b)
                return;
        for (i = 0; i < m->n_buckets; i++)
                while (m->buckets[i]) {
                        struct hashmap_entry *e = m->buckets[i];

                        m->buckets[i] = e->next;
                        e->next = b[e->hash & (n - 1)];
                        b[e->hash & (n - 1)] = e;
                }
        free(m->buckets);
        m->buckets = b;
        m->n_buckets = n;
}

void hashmap_put(struct hashmap *m, struct hashmap_entry *e)
{
        size_t k;

        maybe_grow(m);
        e->hash = hash_key(e->key);
        k = e->hash & (m->n_buckets - 1);
        e->next = m->buckets[k];
        m->buckets[k] = e;
        m->n_entries++;
}

struct hashmap_entry *hashmap_remove(struct hashmap *m, const char *key)
{
        uint64_t h = hash_key(key);
        struct hashmap_entry **p;

        for (p = &m->buckets[h & (m->n_buckets - 1)]; *p; p = &(*p)->next)
                if ((*p)->hash == h && strcmp((*p)->key, key) == 0) {
                        struct hashmap_entry *e = *p;

                        *p = e->next;
                        m->n_entries--;
                        return e;
                }
        return NULL;
}

struct hashmap_entry *hashmap_first(const struct hashmap *m, size_t *i)
{
        for (*i = 0; *i < m->n_buckets; (*i)++)
                if (m->buckets[*i])
                        return m->buckets[*i];
        return NULL;
}

struct hashmap_entry *hashmap_next(const struct hashmap *m, struct hashmap_entry *e, size_t *i)
{
        if (e->next)
                return e->next;
        for ((*i)++; *i < m->n_buckets; (*i)++)
                if (m->buckets[*i])
                        return m->buckets[*i];
        return NULL;
}

void hashmap_clear(struct hashmap *m, void (*free_entry)(struct hashmap_entry *e))
{
        size_t i;

        for (i = 0; i < m->n_buckets; i++)
                while (m->buckets[i]) {
                        struct hashmap_entry *e = m->buckets[i];

                        m->buckets[i] = e->next;
                        m->n_entries--;
                        if (free_entry)
                                free_entry(e);
                }
}
