/* SPDX-License-Identifier: MIT */
/*
 * server.c - the running state's set-up and tear-down, and per-uid connection counts.
 */
#include <errno.h>
#include <stdlib.h>

#include "conn.h"
#include "limits.h"
#include "listener.h"
#include "macro.h"
#include "server.h"

int server_init(struct server *s, struct broker *broker)
{
        int r;

        *s = (struct server) { .broker = broker, .next_conn_id = 1 };
        s->n_uid_slots = 256;
        s->uid_counts = calloc(s->n_uid_slots, sizeof(*s->uid_counts));
        if (!s->uid_counts)
                return -ENOMEM;
        r = loop_new(&s->loop);
        if (r < 0) {
                free(s->uid_counts);
                return r;
        }
        return 0;
}

void server_deinit(struct server *s)
{
        listener_free_all(s);
        while (s->conns)
                conn_free(s->conns);
        broker_free(s->broker);
        loop_free(s->loop);
        free(s->uid_counts);
        *s = (struct server) {};
}

static uint32_t uid_hash(uid_t uid)
{
        return (uint32_t) uid * UINT32_C(2654435761);
}

/* Linear probing; count == 0 marks a free slot, and deletion re-inserts the run after it. */
static struct uid_count *uid_slot(struct server *s, uid_t uid)
{
        size_t i, mask = s->n_uid_slots - 1;

        for (i = uid_hash(uid) & mask;; i = (i + 1) & mask)
                if (s->uid_counts[i].count == 0 || s->uid_counts[i].uid == uid)
                        return &s->uid_counts[i];
}

static int uid_table_grow(struct server *s)
{
        struct uid_count *old = s->uid_counts;
        size_t i, n = s->n_uid_slots;

        s->uid_counts = calloc(n * 2, sizeof(*s->uid_counts));
        if (!s->uid_counts) {
                s->uid_counts = old;
                return -ENOMEM;
        }
        s->n_uid_slots = n * 2;
        for (i = 0; i < n; i++)
                if (old[i].count > 0)
                        *uid_slot(s, old[i].uid) = old[i];
        free(old);
        return 0;
}

int server_uid_ref(struct server *s, uid_t uid)
{
        struct uid_count *c;

        c = uid_slot(s, uid);
        if (c->count == 0) {
                /* Keep the table at most half full, so probes stay short and always end. */
                if ((s->n_uids + 1) * 2 > s->n_uid_slots) {
                        int r = uid_table_grow(s);

                        if (r < 0)
                                return r;
                }
                c = uid_slot(s, uid);
                c->uid = uid;
        }
        if (c->count >= LIMIT_CONNECTIONS_PER_UID)
                return -EUSERS;
        if (c->count == 0)
                s->n_uids++;
        c->count++;
        return 0;
}

void server_uid_unref(struct server *s, uid_t uid)
{
        struct uid_count *c = uid_slot(s, uid);
        size_t i, j, mask = s->n_uid_slots - 1;

        if (c->count == 0)
                return;
        if (--c->count > 0)
                return;
        s->n_uids--;

        /* The slot is free now: re-insert the rest of its probe run so lookups still find
         * every entry. */
        i = (size_t) (c - s->uid_counts);
        for (j = (i + 1) & mask; s->uid_counts[j].count > 0; j = (j + 1) & mask) {
                struct uid_count e = s->uid_counts[j];

                s->uid_counts[j].count = 0;
                *uid_slot(s, e.uid) = e;
        }
}
