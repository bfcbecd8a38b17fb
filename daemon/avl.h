/* SPDX-License-Identifier: MIT */
/*
 * avl.h - an intrusive AVL tree: ordered iteration and "first entry after a key" in
 * O(log n), for the object registry's name-ordered indexes (LIST pages).
 *
 * The caller embeds a struct avl_node in its own struct and owns that struct; the tree only
 * links nodes. Nodes are ordered by the tree's compare function; keys must be unique.
 * Not here: allocation, keys' storage, locking.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct avl_node {
        struct avl_node *left, *right, *parent;
        int height;             /* of the subtree rooted here; a leaf is 1 */
};

/* Orders two nodes: < 0, 0 or > 0 as strcmp(). */
typedef int (*avl_compare_t)(const struct avl_node *a, const struct avl_node *b);
/* Orders a node against a key (as compare(node, key)). */
typedef int (*avl_compare_key_t)(const struct avl_node *n, const void *key);

struct avl_tree {
        struct avl_node *root;
        size_t n_nodes;
        avl_compare_t compare;
};

#define AVL_TREE_INIT(cmp) ((struct avl_tree) { .compare = (cmp) })

/* Links @n; the caller has made sure that no node with an equal key is in the tree. */
void avl_insert(struct avl_tree *t, struct avl_node *n);
/* Unlinks @n, which must be in @t. */
void avl_remove(struct avl_tree *t, struct avl_node *n);

struct avl_node *avl_first(const struct avl_tree *t);
struct avl_node *avl_next(const struct avl_node *n);
/* The node equal to @key, or NULL. */
struct avl_node *avl_find(const struct avl_tree *t, const void *key, avl_compare_key_t cmp);
/* The first node that sorts after @key (strictly), or NULL. */
struct avl_node *avl_first_after(const struct avl_tree *t, const void *key,
                                 avl_compare_key_t cmp);

static inline bool avl_empty(const struct avl_tree *t)
{
        return !t->root;
}
