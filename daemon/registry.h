/* SPDX-License-Identifier: MIT */
/*
 * registry.h - every object the daemon made, and the only source of truth about them.
 *
 * Handout, stat, list, unlink, quotas and reloads ask the registry, never the object
 * directory: a file there that the registry does not name is not an object, whoever made it.
 * The registry survives restarts and SIGKILL in its journal (journal.c), a file in the
 * daemon's own state directory; a create costs one append, whatever the number of objects.
 *
 * Indexes: by name and by serial (hash tables), every object in name order (status, admin
 * listing), and per rule - per rule and creator for per-user rules - in name order, so that a
 * LIST page costs O(page), not O(objects).
 *
 * Not here: decisions (broker.c, reconcile.c), the objects' files and fds (backends).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "journal.h"
#include "object.h"
#include "policy.h"

struct registry;

#define REGISTRY_JOURNAL_NAME "registry"

/* What registry_open() found, for the start-up log. */
struct registry_open_stats {
        struct journal_replay_stats replay;
        size_t objects;
        size_t dropped;         /* records that did not make sense (logged one by one) */
};

/*
 * registry_open() - read the journal in @state_dir_fd (borrowed, kept open by the caller) and
 * rebuild the objects. They come back unbound (rule NULL, rule_id as recorded) with no fds:
 * the backends re-adopt them, reconcile.c binds them to the policy.
 */
int registry_open(int state_dir_fd, struct registry **ret, struct registry_open_stats *stats);
/* Frees every object (closing memfds) and the registry. */
struct registry *registry_free(struct registry *reg);

size_t registry_count(const struct registry *reg);
uint64_t registry_generation(const struct registry *reg);

struct object *registry_lookup(const struct registry *reg, const char *name);
struct object *registry_lookup_serial(const struct registry *reg, uint64_t serial);

/*
 * registry_add() - file a new object and write it to the journal.
 * @o: from object_new(), with the caller's fields set: rule (one of @p's), rule_id, spec, and
 *     what the backend made (dev/ino, or the memfd).
 *
 * On success the registry owns @o; on failure nothing changed and the caller still owns it.
 * Return: 0, -EEXIST if the name is taken, or the journal's error.
 */
int registry_add(struct registry *reg, const struct policy *p, struct object *o);

/* Writes @o's current state to the journal (after a rebind, a change of spec). */
int registry_save(struct registry *reg, struct object *o);

/*
 * registry_mark_removing() - record that @o's removal begins (OBJECT_REMOVING), before its
 * storage goes (broker_remove()): a stop in the middle leaves a record that the next start
 * acts on, finishing the removal, whatever is at the name then (a file put back by a writer
 * that kept a hard link is removed too). Return: 0 or the journal's error (nothing written,
 * @o as it was: the removal must not go ahead).
 */
int registry_mark_removing(struct registry *reg, struct object *o);

/* Forgets @o: writes its DEL, unlinks it from every index and frees it. */
void registry_drop(struct registry *reg, struct object *o);

/*
 * registry_bind() - point @o at @rule of @p (NULL: orphan) and file it in that rule's
 * bucket. Does not write the journal: registry_save() does, when the caller decides the
 * change is worth recording.
 */
int registry_bind(struct registry *reg, const struct policy *p, struct object *o,
                  const struct policy_rule *rule);

/*
 * registry_set_policy() - a new policy is about to be bound: every object is taken out of
 * its bucket (o->rule stays, pointing into the old policy, until registry_bind()), and the
 * per-rule tables are sized for @p. A new generation is recorded.
 */
int registry_set_policy(struct registry *reg, const struct policy *p);

/*
 * registry_settle() - the policy change that registry_set_policy() began is done: every
 * object's file is as the policy says, and every object's record says so. Until this is in
 * the journal, a daemon killed and restarted cannot trust what the files hold
 * (registry_settled() is false, and restore sets every object's attributes again).
 */
int registry_settle(struct registry *reg);
bool registry_settled(const struct registry *reg);

/* Every object in name order. The current one may be dropped once the next is fetched. */
struct object *registry_first(const struct registry *reg);
struct object *registry_next(const struct registry *reg, const struct object *o);
/* The first object whose name sorts after @name, or NULL. */
struct object *registry_first_after(const struct registry *reg, const char *name);

/*
 * registry_list() - the names @id may see under @p after @cursor, in strcmp() order: objects
 * bound to a rule that gives @id read access and that is @id's first match for the name (for
 * a per-user rule, only @id's own objects). @visit returns true to go on.
 */
void registry_list(struct registry *reg, const struct policy *p, const struct identity *id,
                   const char *cursor, bool (*visit)(struct object *o, void *ud), void *ud);

/* Rewrites the journal from the live objects when enough of it is dead. */
int registry_compact(struct registry *reg);
void registry_maybe_compact(struct registry *reg);
