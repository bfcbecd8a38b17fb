/* SPDX-License-Identifier: MIT */
/*
 * loop.h - one thread, one epoll loop.
 *
 * Each watched fd has a small record {fd, events, callback}. A round dispatches from a
 * snapshot of the ready list; a callback may remove any source, its own included: removed
 * sources are unhooked at once and freed only after the round, so a later event of the same
 * snapshot never touches freed memory.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_source;

typedef void (*loop_callback_t)(struct loop_source *s, uint32_t events, void *userdata);

int loop_new(struct loop **ret);
struct loop *loop_free(struct loop *l);

/* Watches @fd (borrowed: the caller keeps owning it and closes it after removing the source). */
int loop_add(struct loop *l, int fd, uint32_t events, loop_callback_t cb, void *userdata,
             struct loop_source **ret);
int loop_modify(struct loop_source *s, uint32_t events);
uint32_t loop_source_events(const struct loop_source *s);
/* Unhooks the source; freed after the current round. Accepts NULL; returns NULL. */
struct loop_source *loop_remove(struct loop_source *s);

/* Waits up to @timeout_msec (-1: for ever) and dispatches one round. */
int loop_run_once(struct loop *l, int timeout_msec);

void loop_exit(struct loop *l);
bool loop_exiting(const struct loop *l);
