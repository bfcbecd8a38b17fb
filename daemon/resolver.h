/* SPDX-License-Identifier: MIT */
/*
 * resolver.h - a client's user name, and the group of that name, looked up off the loop.
 *
 * A policy with %u needs each client's user name (and Group=%u the gid of the group named
 * like it). With LDAP or SSSD slow, one lookup can take seconds; done in the event loop it
 * would make every client of every user wait. So the lookup runs when a connection is
 * accepted, in a worker thread (worker.h); that connection alone waits for it, and its
 * requests are read only once it is done. Nothing is looked up on the request path. One
 * lookup per uid runs at a time, shared by all its connections that wait: a uid whose
 * lookups hang holds one thread, not one per connection it opens. An answer is kept for a
 * minute (a uid without a name, ten seconds), so a uid's next connections are not looked up
 * again, nor wait behind lookups that hang for other uids.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "identity.h"
#include "worker.h"

struct resolve_job;

/*
 * resolver_lookup() - look up @uid's name and that name's group; @done(@userdata, @id_part)
 * runs in the loop's thread with the result filled into @id's user_name and user_group
 * fields (the caller's identity, which must live until then or until resolver_cancel()).
 * Without a worker (NULL: tests), it is done here and now; with an answer kept from a lookup
 * of the same uid less than LIMIT_RESOLVER_KNOWN_USEC ago (a reload forgets them), that is
 * filled in now. Either way *ret is NULL then, and @done is not called.
 * Return: 0, or -ENOMEM (nothing is looked up; @id is left as it was).
 */
int resolver_lookup(struct worker *resolver, struct identity *id,
                    void (*done)(void *userdata), void *userdata, struct resolve_job **ret);

/* Forgets the answers kept for uids' next connections: at a reload (a user or group an
 * administrator changed is looked up anew), and at exit. */
void resolver_forget(void);

/* The connection is gone: @j will complete without touching its identity or calling back. */
void resolver_cancel(struct resolve_job *j);

/* The lookup itself (also for callers that must do it in place). */
void resolver_resolve(struct identity *id);
