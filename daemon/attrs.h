/* SPDX-License-Identifier: MIT */
/*
 * attrs.h - what an object's inode gets from its rule and its creator: owner, group, mode and
 * named ACL entries; and a hash of a rule's spec for them, so that a reload touches only the
 * objects whose rule changed what they get.
 */
#pragma once

#include <stdint.h>

#include "acl.h"
#include "backend.h"
#include "identity.h"
#include "policy.h"

/* The attributes @rule gives an object @creator makes. Release with object_attrs_done(). */
int object_attrs_for(const struct policy_rule *rule, const struct identity *creator,
                     struct object_attrs *ret);
void object_attrs_done(struct object_attrs *a);

/*
 * What a rule gives every object it makes, whoever the creator: computed once per rule of a
 * policy (attrs_cache_get()), so that a create neither rebuilds nor allocates any of it.
 */
struct rule_attrs {
        uint64_t spec;                          /* object_attrs_spec() of the rule */
        struct policy_acl_entry *users;         /* policy_acl_entries() */
        size_t n_users;
        struct policy_acl_entry *groups;
        size_t n_groups;
        struct acl_xattr acl;                   /* Mode= and the entries, prebuilt */
};

struct attrs_cache {
        const struct policy *policy;            /* whose rules (borrowed); NULL: empty */
        struct rule_attrs **rules;              /* by rule index, each made at first use */
        size_t n_rules;
};

/* Empties the cache: when the policy it was made for is replaced, and at the end. */
void attrs_cache_reset(struct attrs_cache *c);

/*
 * attrs_cache_get() - @rule's (a rule of @p) rule_attrs, made at the first call for it. The
 * cache is for one policy: a call for another empties it first. Return: 0, or -ENOMEM,
 * -EINVAL (an id named twice).
 */
int attrs_cache_get(struct attrs_cache *c, const struct policy *p, const struct policy_rule *rule,
                    const struct rule_attrs **ret);

/* object_attrs_for() with @ra, @rule's cached part: only owner and group are resolved; the
 * entries and the prebuilt ACL are borrowed from @ra (object_attrs_done() leaves them). */
int object_attrs_for_cached(const struct rule_attrs *ra, const struct policy_rule *rule,
                            const struct identity *creator, struct object_attrs *ret);

/* An orphan's: owned by the daemon, mode 0, no named entries - nobody but the daemon can
 * open it through the file system, as nobody can through the daemon. */
void object_attrs_orphan(struct object_attrs *ret);

/* A hash of what @rule asks for (owner, group, mode, ACL, backend); ATTRS_SPEC_ORPHAN for an
 * orphan. Equal hashes: reapplying would change nothing. */
int object_attrs_spec(const struct policy_rule *rule, uint64_t *ret);

/* A published object's: what its rule gives, with write taken from the mode and from every
 * ACL entry (nobody opens it writable through the file system), owned by the daemon (an owner
 * could chmod write back) with a named read entry for the owner it had. -ENOMEM. */
int object_attrs_published(struct object_attrs *a);
/*
 * object_attrs_creator_demoted() - does @rule make the creator (@creator, whom it gives
 * @rights, policy_rights()) the owner or the group of a Backend=shm file it does not let it
 * write? An owner can chmod() itself write, and a group gets the mode's group bits: at create
 * and open the daemon refuses this (broker_decide_create(), broker_check_inode_access()); a
 * reload that takes write away from a creator must not leave it so either. Never for root.
 */
bool object_attrs_creator_demoted(const struct policy_rule *rule, const struct identity *creator,
                                  unsigned rights);
/*
 * object_attrs_demote() - @a (object_attrs_for() of @rule for @creator, not borrowed) when
 * object_attrs_creator_demoted(): an owner that is the creator becomes the daemon, a group
 * that is the creator's becomes the daemon's with the mode's group bits cleared, and the
 * creator keeps what @rights let it read through a named r-- entry (only where the mode gave
 * the owner or group read); no entry of the creator's keeps write. -ENOMEM.
 */
int object_attrs_demote(const struct policy_rule *rule, const struct identity *creator,
                        unsigned rights, struct object_attrs *a);
/*
 * object_attrs_decide() - what a file of @rule's, made by @creator, holds: object_attrs_for(),
 * demoted where object_attrs_creator_demoted() says so, and then published if @published. The
 * one way reconcile and publish build them, so that neither gives back what the other took.
 * Errors as object_attrs_for(), or -ENOMEM.
 */
int object_attrs_decide(const struct policy_rule *rule, const struct identity *creator,
                        bool published, struct object_attrs *ret);
/* The spec of what object_attrs_decide() builds, from @spec, @rule's object_attrs_spec(). */
uint64_t object_attrs_spec_decide(const struct policy_rule *rule, const struct identity *creator,
                                  bool published, uint64_t spec);
/* The spec of @spec's attributes once demoted (never equal to @spec, nor 0 or 1). */
uint64_t object_attrs_spec_demoted(uint64_t spec);
/* The spec of @spec's attributes once published (never equal to @spec, nor 0 or 1). */
uint64_t object_attrs_spec_published(uint64_t spec);
#define ATTRS_SPEC_ORPHAN UINT64_C(1)
/* No rule's (object_attrs_spec() never returns it): what the file holds is not known - an
 * apply failed half-way, or a reload was cut short - so the next reconcile sets it again. */
#define ATTRS_SPEC_UNKNOWN UINT64_C(0)
