/* SPDX-License-Identifier: MIT */
/*
 * avl.c - the AVL tree of avl.h: parent pointers for iteration without a stack, heights for
 * balance, rebalancing walks up from the change to the root.
 */
#include "avl.h"

static int height(const struct avl_node *n)
{
        return n ? n->height : 0;
}

static void update_height(struct avl_node *n)
{
        int l = height(n->left), r = height(n->right);

        n->height = (l > r ? l : r) + 1;
}

/* Points @parent's link that was @old (or the root) at @new. */
static void replace_child(struct avl_tree *t, struct avl_node *parent, struct avl_node *old,
                          struct avl_node *new)
{
        if (!parent)
                t->root = new;
        else if (parent->left == old)
                parent->left = new;
        else
                parent->right = new;
        if (new)
                new->parent = parent;
}

/* Rotates @n down to the left; returns the node now in its place. */
static struct avl_node *rotate_left(struct avl_tree *t, struct avl_node *n)
{
        struct avl_node *r = n->right;

        replace_child(t, n->parent, n, r);
        n->right = r->left;
        if (n->right)
                n->right->parent = n;
        r->left = n;
        n->parent = r;
        update_height(n);
        update_height(r);
        return r;
}

static struct avl_node *rotate_right(struct avl_tree *t, struct avl_node *n)
{
        struct avl_node *l = n->left;

        replace_child(t, n->parent, n, l);
        n->left = l->right;
        if (n->left)
                n->left->parent = n;
        l->right = n;
        n->parent = l;
        update_height(n);
        update_height(l);
        return l;
}

/* Restores balance from @n up to the root. */
static void rebalance(struct avl_tree *t, struct avl_node *n)
{
        while (n) {
                int balance;

                update_height(n);
                balance = height(n->left) - height(n->right);
                if (balance > 1) {
                        if (height(n->left->left) < height(n->left->right))
                                (void) rotate_left(t, n->left);
                        n = rotate_right(t, n);
                } else if (balance < -1) {
                        if (height(n->right->right) < height(n->right->left))
                                (void) rotate_right(t, n->right);
                        n = rotate_left(t, n);
                }
                n = n->parent;
        }
}

void avl_insert(struct avl_tree *t, struct avl_node *n)
{
        struct avl_node **link = &t->root, *parent = NULL;

        while (*link) {
                parent = *link;
                link = t->compare(n, parent) < 0 ? &parent->left : &parent->right;
        }
        *n = (struct avl_node) { .parent = parent, .height = 1 };
        *link = n;
        t->n_nodes++;
        rebalance(t, parent);
}

static struct avl_node *leftmost(struct avl_node *n)
{
        while (n && n->left)
                n = n->left;
        return n;
}

void avl_remove(struct avl_tree *t, struct avl_node *n)
{
        struct avl_node *from;

        if (n->left && n->right) {
                /* Put the successor, which has no left child, in n's place. */
                struct avl_node *s = leftmost(n->right);

                from = s->parent == n ? s : s->parent;
                if (s->parent != n) {
                        replace_child(t, s->parent, s, s->right);
                        s->right = n->right;
                        s->right->parent = s;
                }
                replace_child(t, n->parent, n, s);
                s->left = n->left;
                s->left->parent = s;
        } else {
                from = n->parent;
                replace_child(t, n->parent, n, n->left ? n->left : n->right);
        }
        *n = (struct avl_node) {};
        t->n_nodes--;
        rebalance(t, from);
}

struct avl_node *avl_first(const struct avl_tree *t)
{
        return leftmost(t->root);
}

struct avl_node *avl_next(const struct avl_node *n)
{
        if (n->right)
                return leftmost(n->right);
        while (n->parent && n->parent->right == n)
                n = n->parent;
        return n->parent;
}

struct avl_node *avl_find(const struct avl_tree *t, const void *key, avl_compare_key_t cmp)
{
        struct avl_node *n = t->root;

        while (n) {
                int c = cmp(n, key);

                if (c == 0)
                        return n;
                n = c > 0 ? n->left : n->right;
        }
        return NULL;
}

struct avl_node *avl_first_after(const struct avl_tree *t, const void *key,
                                 avl_compare_key_t cmp)
{
        struct avl_node *n = t->root, *best = NULL;

        while (n) {
                if (cmp(n, key) > 0) {
                        best = n;
                        n = n->left;
                } else
                        n = n->right;
        }
        return best;
}
