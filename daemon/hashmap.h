/* SPDX-License-Identifier: MIT */
/*
 * hashmap.h - an intrusive, string-keyed, chained hash table.
 *
 * The caller embeds a struct hashmap_entry in its own struct and owns that struct; the map
 * only links entries. Lookups and updates are O(1) on average; the table doubles when it is as
 * full as it is wide.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "macro.h"

struct hashmap_entry {
        struct hashmap_entry *next;
        uint64_t hash;
        const char *key;        /* owned by the caller, alive while the entry is in a map */
};

struct hashmap {
        struct hashmap_entry **buckets;
        size_t n_buckets;       /* a power of two */
        size_t n_entries;
};

/*
 * FNV-1a, 64 bit: the one string hash of the daemon. Incremental, so that a caller can hash
 * every prefix of a string in one pass (the policy's prefix index does):
 * hashmap_hash_update(hashmap_hash(s, a), s + a, b) == hashmap_hash(s, a + b).
 */
#define HASHMAP_HASH_INIT UINT64_C(0xcbf29ce484222325)

uint64_t hashmap_hash_update(uint64_t h, const char *s, size_t len);

static inline uint64_t hashmap_hash(const char *s, size_t len)
{
        return hashmap_hash_update(HASHMAP_HASH_INIT, s, len);
}

int hashmap_init(struct hashmap *m);
/* Frees the table only: the entries belong to the caller, who removes them first. */
void hashmap_deinit(struct hashmap *m);

struct hashmap_entry *hashmap_get(const struct hashmap *m, const char *key);
/* The entry whose key is the @len bytes at @key (no NUL needed there), given their hash
 * @hash == hashmap_hash(key, len). */
struct hashmap_entry *hashmap_get_hashed(const struct hashmap *m, const char *key, size_t len,
                                         uint64_t hash);
/* Links @e under @e->key; the caller has checked that the key is not there yet. */
void hashmap_put(struct hashmap *m, struct hashmap_entry *e);
/* Unlinks and returns the entry under @key, or NULL. */
struct hashmap_entry *hashmap_remove(struct hashmap *m, const char *key);

/* Unlinks every entry, calling @free_entry (if not NULL) on each once it is unlinked; the map
 * stays usable. O(buckets + entries), where removing hashmap_first() in a loop is quadratic. */
void hashmap_clear(struct hashmap *m, void (*free_entry)(struct hashmap_entry *e));

/* Iteration: for (e = hashmap_first(m, &i); e; e = hashmap_next(m, e, &i)). The current entry
 * may be removed once the next one has been fetched; nothing may be added meanwhile. */
struct hashmap_entry *hashmap_first(const struct hashmap *m, size_t *i);
struct hashmap_entry *hashmap_next(const struct hashmap *m, struct hashmap_entry *e, size_t *i);
