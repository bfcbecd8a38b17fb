/* SPDX-License-Identifier: MIT */
/*
 * reconcile.c - re-decide every object under a (new) policy (see reconcile.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "log.h"
#include "macro.h"
#include "nss.h"
#include "reconcile.h"

/* At most this many objects are named one by one in the log; then a count. */
#define REPORT_NAMES_MAX 20

/* The rule that governs @o under @p for its creator, if it keeps @o's backend. */
static const struct policy_rule *governing_rule(const struct policy *p, const struct object *o)
{
        struct identity creator = object_creator_identity(o);
        const struct policy_rule *rule = policy_match(p, o->name, &creator);

        return rule && rule->backend == o->backend ? rule : NULL;
}

/*
 * @r from object_attrs_for*(): -ENOENT there is the creator's user name or group not found
 * (Owner=%u, Group=%u: removed, or a name service that is down and says "not found"), not lost
 * storage, which -ENOENT means to reconcile_one()'s callers: the object would be forgotten.
 */
static int owner_error(int r)
{
        return r == -ENOENT ? -ENXIO : r;
}

/* Sets @o's attributes for @rule (NULL: an orphan's). -ENOENT: its storage is gone; -ENXIO:
 * @rule gives no owner or group for its creator. */
static int apply(struct broker *b, struct object *o, const struct policy_rule *rule)
{
        struct backend *be = broker_backend(b, o->backend);
        _cleanup_(object_attrs_done) struct object_attrs a = {};
        int r;

        if (rule) {
                struct identity creator = object_creator_identity(o);

                /* A creator the rule makes owner or group but does not let write keeps no
                 * write through the file system (object_attrs_creator_demoted()). */
                r = object_attrs_decide(rule, &creator, o->flags & OBJECT_PUBLISHED, &a);
                if (r < 0)
                        return owner_error(r);
        } else
                object_attrs_orphan(&a);
        return be->ops->reapply(be, o, &a);
}

static int creator_group(struct conform_memo *m, struct identity *creator)
{
        int r;

        if (!creator->user_name)
                return 0;       /* policy_resolve_owner() says so */
        if (!m->valid || m->uid != creator->uid) {
                m->valid = false;
                r = nss_group_by_name(creator->user_name, &m->gid);
                if (r < 0 && r != -ENOENT)
                        return r;
                *m = (struct conform_memo) { .valid = true, .uid = creator->uid, .has = r >= 0,
                                             .gid = m->gid };
        }
        creator->user_group_resolved = true;
        creator->has_user_group = m->has;
        creator->user_group = m->gid;
        return 0;
}

/* conform() for a creator whose owner or group the daemon keeps (object_attrs_demote()):
 * what the file should hold is not the rule's prebuilt value, so it is built here. */
static int conform_demoted(struct backend *be, struct object *o, const struct policy_rule *rule,
                           const struct identity *creator)
{
        _cleanup_(object_attrs_done) struct object_attrs a = {};
        struct acl_xattr acl = {};
        int r;

        r = object_attrs_decide(rule, creator, false, &a);
        if (r < 0)
                return owner_error(r);
        r = acl_xattr_build(a.mode, a.users, a.n_users, a.groups, a.n_groups, &acl);
        if (r < 0)
                return r;
        a.acl = &acl;
        r = be->ops->conform(be, o, &a);
        a.acl = NULL;
        acl_xattr_done(&acl);
        return r;
}

/* @o's attributes are @rule's already, as far as the daemon set them: are they still on the
 * file? Returns 1 when they were set again, 0 when they were there, or -errno (-ENOENT: its
 * storage is gone; -ENXIO: @rule gives no owner or group for its creator now). */
static int conform(struct broker *b, const struct policy *p, struct object *o,
                   const struct policy_rule *rule, struct conform_memo *memo)
{
        struct backend *be = broker_backend(b, o->backend);
        struct identity creator = object_creator_identity(o);
        _cleanup_(object_attrs_done) struct object_attrs a = {};
        const struct rule_attrs *ra;
        int r;

        /* Published objects belong to the daemon (nobody else can change them); memfds too. */
        if (!be->ops->conform || (o->flags & OBJECT_PUBLISHED))
                return 0;
        r = attrs_cache_get(&b->attrs, p, rule, &ra);
        if (r < 0)
                return r;
        if (rule->group.kind == ID_SPEC_REQUESTER_NAME) {
                r = creator_group(memo, &creator);
                if (r < 0)
                        return r;
        }
        if (object_attrs_creator_demoted(rule, &creator, policy_rights(rule, &creator)))
                return conform_demoted(be, o, rule, &creator);
        r = object_attrs_for_cached(ra, rule, &creator, &a);
        if (r < 0)
                return owner_error(r);
        return be->ops->conform(be, o, &a);
}

static bool streq_null(const char *a, const char *b)
{
        return a && b ? strcmp(a, b) == 0 : a == b;
}

/*
 * Does @p need @o's creator's user name (%u), which was never looked up? Then no rule is
 * decided for it: a %u pattern would match nothing, and a wider rule after it would govern
 * the object (others let in, its creator shut out). It is refused, as an orphan, until the
 * name is known (creators.c looks it up off the loop and calls reconcile_object()).
 */
static bool name_unknown(const struct policy *p, const struct object *o)
{
        return p->needs_user_names && !o->creator.name_known;
}

/* @rule's spec: from @specs (by rule index) during reconcile(), else from the attrs cache. */
static int rule_spec(struct broker *b, const struct policy *p, const uint64_t *specs,
                     const struct policy_rule *rule, uint64_t *ret)
{
        const struct rule_attrs *ra;
        int r;

        if (specs) {
                *ret = specs[rule - p->rules];
                return 0;
        }
        r = attrs_cache_get(&b->attrs, p, rule, &ra);
        if (r < 0)
                return r;
        *ret = ra->spec;
        return 0;
}

/* One object; returns 1 when it changed in a way the journal must record. */
static int reconcile_one(struct broker *b, const struct policy *p, const uint64_t *specs,
                         struct object *o, struct reconcile_stats *st)
{
        bool awaiting = name_unknown(p, o);
        const struct policy_rule *rule = awaiting ? NULL : governing_rule(p, o);
        uint64_t spec = ATTRS_SPEC_ORPHAN;
        bool rebound = !rule || !streq_null(o->rule_id, rule->id) || o->orphan;
        bool was_orphan = o->orphan, changed = false;
        int r;

        if (rule) {
                r = rule_spec(b, p, specs, rule, &spec);
                if (r < 0)
                        return r;
        }

        if (rule) {
                struct identity creator = object_creator_identity(o);

                spec = object_attrs_spec_decide(rule, &creator, o->flags & OBJECT_PUBLISHED,
                                                spec);
        }
        if (spec != o->spec) {
                r = apply(b, o, rule);
                if (r == -ENOENT)
                        return -ENOENT;
                if (r < 0 && rule) {
                        /* The rule's owner does not resolve, say: file-system access could not
                         * follow the policy, so the object is refused until it can. */
                        if (++st->failed <= REPORT_NAMES_MAX)
                                log_warning_errno(r, "Object '%s': cannot apply rule '%s', "
                                                  "making it an orphan: %m",
                                                  log_name(o->name), rule->id);
                        rule = NULL;
                        spec = ATTRS_SPEC_ORPHAN;
                        r = apply(b, o, NULL);
                }
                if (r < 0) {
                        if (++st->failed <= REPORT_NAMES_MAX)
                                log_warning_errno(r, "Object '%s': cannot set its owner, mode or "
                                                  "ACL: %m", log_name(o->name));
                        /* It may be half set: tried again at the next reload. */
                        o->spec = ATTRS_SPEC_UNKNOWN;
                        changed = true;
                } else {
                        o->spec = spec;
                        st->reapplied++;
                        changed = true;
                }
        }
        r = registry_bind(b->registry, p, o, rule);
        if (r < 0)
                return r;
        if (awaiting) {
                if (++st->awaiting <= REPORT_NAMES_MAX)
                        log_notice("Object '%s' is refused until the user name of its creator "
                                   "(uid %u) is known: the policy has %%u, and the name was "
                                   "never looked up; it is being looked up.", log_name(o->name),
                                   (unsigned) o->creator.uid);
        } else if (!rule) {
                st->orphaned++;
                if (!was_orphan && st->orphaned <= REPORT_NAMES_MAX)
                        log_notice("Object '%s' is an orphan now: no rule of the policy governs "
                                   "it with its backend for its creator (uid %u); it is refused "
                                   "to clients and can be removed by its creator or an admin.",
                                   o->name, (unsigned) o->creator.uid);
        } else if (was_orphan)
                st->restored++;
        if (rebound && rule)
                st->rebound++;
        return changed || was_orphan != o->orphan || (rebound && rule) ? 1 : 0;
}

/* reconcile_one(), then what it found: a lost object forgotten, a change recorded. -EIO: a
 * change could not be recorded. */
static int settle_one(struct broker *b, const struct policy *p, const uint64_t *specs,
                      struct object *o, struct reconcile_stats *st)
{
        int r = reconcile_one(b, p, specs, o, st);

        if (r == -ENOENT) {
                if (++st->lost <= REPORT_NAMES_MAX)
                        log_warning("Object '%s' is gone from the object directory or was "
                                    "replaced there; forgetting it.", log_name(o->name));
                broker_forget(b, o);
                return 0;
        }
        if (r < 0)
                log_warning_errno(r, "Object '%s': cannot bind it to the policy: %m",
                                  log_name(o->name));
        if (r > 0) {
                r = registry_save(b->registry, o);
                if (r < 0) {
                        log_warning_errno(r, "Registry: cannot record '%s', ignoring: %m",
                                          log_name(o->name));
                        return -EIO;
                }
        }
        return 0;
}

void reconcile_object(struct broker *b, struct object *o)
{
        struct reconcile_stats st = {};
        uint64_t spec = o->spec;
        int r;

        /* On record first as "what the file holds is not known": no policy change brackets
         * this one, so a stop between setting the file and recording it would leave the
         * journal saying what the file no longer is, and a start trusts the journal (an
         * orphan's file left open as the rule set it). A start sets such a file again. */
        o->spec = ATTRS_SPEC_UNKNOWN;
        r = registry_save(b->registry, o);
        if (r < 0) {
                o->spec = spec;
                log_warning_errno(r, "Registry: cannot record that '%s' is being decided; it "
                                  "stays as it is until the next reload: %m",
                                  log_name(o->name));
                return;
        }
        r = reconcile_one(b, b->policy, NULL, o, &st);
        if (r == -ENOENT) {
                log_warning("Object '%s' is gone from the object directory or was replaced "
                            "there; forgetting it.", log_name(o->name));
                broker_forget(b, o);
                return;
        }
        if (r < 0)
                log_warning_errno(r, "Object '%s': cannot bind it to the policy: %m",
                                  log_name(o->name));
        /* Recorded whatever changed: its creator's name at least did. */
        r = registry_save(b->registry, o);
        if (r < 0)
                log_warning_errno(r, "Registry: cannot record '%s', ignoring: %m",
                                  log_name(o->name));
}

int reconcile(struct broker *b, struct policy *p, bool check, struct reconcile_stats *ret)
{
        struct reconcile_stats st = {};
        _cleanup_(freep) uint64_t *specs = NULL;
        struct object *o, *next;
        size_t i, unrecorded = 0;
        int r;

        specs = calloc(p->n_rules ? p->n_rules : 1, sizeof(*specs));
        if (!specs) {
                policy_free(p);
                return -ENOMEM;
        }
        for (i = 0; i < p->n_rules; i++) {
                r = object_attrs_spec(&p->rules[i], &specs[i]);
                if (r < 0) {
                        policy_free(p);
                        return r;
                }
        }
        r = registry_set_policy(b->registry, p);
        if (r < 0) {
                policy_free(p);
                return r;
        }

        for (o = registry_first(b->registry); o; o = next) {
                next = registry_next(b->registry, o);
                st.objects++;
                if (settle_one(b, p, specs, o, &st) < 0)
                        unrecorded++;
        }
        /* Only once every change is on record: a daemon killed before this line sets every
         * object's attributes again when it restarts, whatever policy it then runs on. */
        if (unrecorded == 0) {
                r = registry_settle(b->registry);
                if (r < 0)
                        log_warning_errno(r, "Registry: cannot record the end of the policy "
                                          "change, ignoring: %m");
        }

        /* Every object points into @p now; what was cached of the old one's rules goes. */
        attrs_cache_reset(&b->attrs);
        if (b->policy != p)
                policy_free(b->policy);
        b->policy = p;
        /* The files themselves are looked at a few at a time, between rounds of requests. */
        if (check)
                b->conform = (struct conform_pass) { .active = true };
        if (ret)
                *ret = st;
        return 0;
}

/* Objects whose files are looked at per call of reconcile_conform_run(): a few ms at most. */
#define CONFORM_PER_ROUND 128

bool reconcile_conform_busy(const struct broker *b)
{
        return b->conform.active;
}

size_t reconcile_conform_run(struct broker *b)
{
        struct conform_pass *c = &b->conform;
        struct object *o, *next;
        size_t n;
        int r;

        if (!c->active)
                return 0;
        o = registry_first_after(b->registry, c->cursor);
        for (n = 0; n < CONFORM_PER_ROUND && o; o = next, n++) {
                next = registry_next(b->registry, o);
                snprintf(c->cursor, sizeof(c->cursor), "%s", o->name);
                if (o->orphan || !o->rule)
                        continue;
                c->looked++;
                r = conform(b, b->policy, o, o->rule, &c->memo);
                if (r == -ENOENT) {
                        broker_forget_lost(b, o);
                        continue;
                }
                /* What the daemon set is left as it is, and the object served as before: a
                 * name service that is down for a while must not take objects away. */
                if (r < 0 && ++c->failed <= REPORT_NAMES_MAX) {
                        if (r == -ENXIO)
                                log_warning("Object '%s': rule '%s' gives no owner or group "
                                            "for its creator (uid %u) now; its owner, mode "
                                            "and ACL are not checked.",
                                            log_name(o->name), o->rule->id,
                                            (unsigned) o->creator.uid);
                        else
                                log_warning_errno(r, "Object '%s': cannot check or set its "
                                                  "owner, mode or ACL: %m", log_name(o->name));
                }
                if (r > 0 && ++c->set <= REPORT_NAMES_MAX)
                        log_notice("Object '%s': its owner, mode or ACL had been changed on the "
                                   "file; set again as rule '%s' says.",
                                   log_name(o->name), o->rule->id);
        }
        if (!o) {
                c->active = false;
                c->report = true;
                reconcile_conform_report(b);
        }
        return n;
}

void reconcile_conform_report(struct broker *b)
{
        struct conform_pass *c = &b->conform;

        /* The reload is through when the objects that waited for their creator's name are
         * decided too: said once, after both. */
        if (!c->report || c->active || b->names_pending > 0)
                return;
        log_info("Reload: the files of %zu object(s) looked at: %zu set back as their rules say, "
                 "%zu not checked.", c->looked, c->set, c->failed);
        *c = (struct conform_pass) {};
}
