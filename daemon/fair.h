/* SPDX-License-Identifier: MIT */
/*
 * fair.h - the share of a pool a uid may take once half of it is taken (app sockets, watches,
 * the fd store's slots: user_fair(), fdstore_slot_check()).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/*
 * May a uid that holds @held of a pool of @total, of which @in_use are taken (by every uid,
 * @n_holding of them holding some, the uid among them), take one more? Up to half of the
 * pool, yes. Past half, only while it holds less than its share of the free ones: those left
 * over @n_holding. Nobody loses what it has, but each newcomer's share shrinks as more come,
 * so the rest lasts for many uids rather than for the next few that want many. The callers
 * let a uid holding few (their floor) have one while any is free.
 */
static inline bool fair_share_left(uint64_t held, uint64_t in_use, uint64_t total,
                                   uint64_t n_holding)
{
        return in_use <= total / 2 || (in_use < total && held < (total - in_use) / n_holding);
}
