/* SPDX-License-Identifier: MIT */
/*
 * list.h - an intrusive doubly linked list with a head node, as the kernel's list_head: O(1)
 * insert and remove of an element that knows it is in a list.
 *
 * A node that is in no list points at itself (list_node_init(), and after list_remove()), so
 * list_linked() can tell.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct list_node {
        struct list_node *prev, *next;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

static inline void list_node_init(struct list_node *n)
{
        n->prev = n->next = n;
}

static inline bool list_linked(const struct list_node *n)
{
        return n->next != n;
}

static inline bool list_empty(const struct list_node *head)
{
        return head->next == head;
}

static inline void list_insert_between(struct list_node *n, struct list_node *prev,
                                       struct list_node *next)
{
        n->prev = prev;
        n->next = next;
        prev->next = n;
        next->prev = n;
}

/* Appends @n (in no list) at the tail of @head. */
static inline void list_append(struct list_node *head, struct list_node *n)
{
        list_insert_between(n, head->prev, head);
}

/* Prepends @n (in no list) at the front of @head. */
static inline void list_prepend(struct list_node *head, struct list_node *n)
{
        list_insert_between(n, head, head->next);
}

/* Unlinks @n if it is in a list; harmless if it is not. */
static inline void list_remove(struct list_node *n)
{
        n->prev->next = n->next;
        n->next->prev = n->prev;
        list_node_init(n);
}

/* The first node of @head, or NULL when it is empty. */
static inline struct list_node *list_first(const struct list_node *head)
{
        return list_empty(head) ? NULL : head->next;
}

#define list_entry(ptr, type, member) ((type *) ((char *) (ptr) - offsetof(type, member)))
