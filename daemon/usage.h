/* SPDX-License-Identifier: MIT */
/*
 * usage.h - what each uid holds: connections, objects and bytes, checked against [Quota].
 *
 * A small open-addressed table keyed by uid. A uid's slot exists while it holds anything.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct uid_usage {
        uid_t uid;
        bool used;
        uint32_t connections;
        uint64_t objects;
        uint64_t bytes;
        uint32_t fds_unread;    /* fds sent to this uid's connections, not yet seen read */
};

struct usage_table {
        struct uid_usage *slots;
        size_t n_slots;         /* a power of two */
        size_t n_used;
};

int usage_init(struct usage_table *t);
void usage_deinit(struct usage_table *t);

/* The uid's slot, created if @create (NULL only on ENOMEM). Never NULL for a uid that holds
 * something. */
struct uid_usage *usage_get(struct usage_table *t, uid_t uid, bool create);

/* Frees the slot if it holds nothing any more. @u is invalid afterwards. */
void usage_release(struct usage_table *t, struct uid_usage *u);
