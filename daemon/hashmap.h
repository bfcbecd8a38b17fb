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

int hashmap_init(struct hashmap *m);
/* Frees the table only: the entries belong to the caller, who removes them first. */
void hashmap_deinit(struct hashmap *m);

struct hashmap_entry *hashmap_get(const struct hashmap *m, const char *key);
/* Links @e under @e->key; the caller has checked that the key is not there yet. */
void hashmap_put(struct hashmap *m, struct hashmap_entry *e);
/* Unlinks and returns the entry under @key, or NULL. */
struct hashmap_entry *hashmap_remove(struct hashmap *m, const char *key);

/* Iteration: for (e = hashmap_first(m, &i); e; e = hashmap_next(m, e, &i)). The current entry
 * may be removed once the next one has been fetched; nothing may be added meanwhile. */
struct hashmap_entry *hashmap_first(const struct hashmap *m, size_t *i);
struct hashmap_entry *hashmap_next(const struct hashmap *m, struct hashmap_entry *e, size_t *i);

#define container_of(ptr, type, member) \
        ((type *) ((char *) (ptr) - offsetof(type, member)))
