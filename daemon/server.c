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
        r = loop_new(&s->loop);
        if (r < 0)
                return r;
        return 0;
}

void server_deinit(struct server *s)
{
        listener_free_all(s);
        while (s->conns)
                conn_free(s->conns);
        broker_free(s->broker);
        loop_free(s->loop);
        *s = (struct server) {};
}

int server_uid_ref(struct server *s, uid_t uid)
{
        struct usage_table *t = &s->broker->usage;
        struct uid_usage *u = usage_get(t, uid, true);

        if (!u)
                return -ENOMEM;
        if (u->connections >= s->broker->policy->quota.max_connections) {
                usage_release(t, u);
                return -EDQUOT;
        }
        u->connections++;
        return 0;
}

void server_uid_unref(struct server *s, uid_t uid)
{
        struct usage_table *t = &s->broker->usage;
        struct uid_usage *u = usage_get(t, uid, false);

        if (!u || u->connections == 0)
                return;
        u->connections--;
        usage_release(t, u);
}
