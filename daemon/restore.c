/* SPDX-License-Identifier: MIT */
/*
 * restore.c - take back the objects at start (see restore.h).
 */
#include <errno.h>
#include <stdint.h>

#include "attrs.h"
#include "log.h"
#include "macro.h"
#include "reconcile.h"
#include "registry.h"
#include "restore.h"

int broker_apply_policy(struct broker *b, struct policy *p, bool reload, size_t *ret_orphans)
{
        struct reconcile_stats st;
        int r;

        r = reconcile(b, p, reload, &st);
        if (r < 0)
                return r;
        if (st.rebound || st.reapplied || st.restored || st.lost)
                log_info("Objects: %zu bound to another rule, %zu with owner, mode or ACL set "
                         "again, %zu no longer orphans, %zu gone.", st.rebound, st.reapplied,
                         st.restored, st.lost);
        if (st.awaiting > 0)
                log_notice("%zu object(s) are refused until their creator's user name, never "
                           "looked up, is known; it is being looked up.", st.awaiting);
        if (st.orphaned > 0)
                log_warning("%zu object(s) are orphans: no rule of the policy governs them for "
                            "their creator with their backend.", st.orphaned);
        if (ret_orphans)
                *ret_orphans = st.orphaned;
        return 0;
}

/* What the journal's replay skipped, cut and kept aside. Objects whose records were lost are
 * reported later, one by one, as files or fds the registry does not know. */
static void log_replay(const struct journal_replay_stats *st)
{
        if (st->skipped_records > 0)
                log_error("Registry: the journal is damaged in the middle: %zu record(s) (%zu "
                          "byte(s), the first at offset %jd) could not be read and were "
                          "skipped; %zu record(s) after the first were kept.",
                          st->skipped_records, st->skipped_bytes,
                          (intmax_t) st->skipped_offset, st->kept_after);
        if (st->bad_offset >= 0 && st->bad_torn)
                log_warning("Registry: %zu byte(s) at the end of the journal did not check out "
                            "(a write cut short), dropped.", st->bad_bytes);
        else if (st->bad_offset >= 0)
                log_error("Registry: the journal is damaged at offset %jd, where no record can "
                          "be read; the %zu byte(s) from there, with %zu record(s) in them that "
                          "seem whole, were dropped.", (intmax_t) st->bad_offset, st->bad_bytes,
                          st->bad_records);
        if (st->copied)
                log_notice("Registry: the journal as it was found is kept in '%s' in the state "
                           "directory.", REGISTRY_JOURNAL_NAME JOURNAL_DAMAGED_SUFFIX);
        else if (st->copy_error < 0)
                log_warning_errno(st->copy_error, "Registry: cannot keep a copy of the damaged "
                                  "journal, ignoring: %m");
}

int broker_restore(struct policy *p, int state_fd, int shm_fd, struct passed_fd *objects,
                   size_t n_objects, size_t memfd_max, struct broker **ret)
{
        struct registry_open_stats rst;
        struct backend *shm = NULL, *memfd = NULL;
        struct registry *reg = NULL;
        struct broker *b;
        int r, adopted_shm, adopted_memfd;

        r = backend_memfd_new(objects, n_objects, memfd_max, &memfd);
        if (r < 0) {
                size_t i;

                for (i = 0; i < n_objects; i++)
                        objects[i].fd = safe_close(objects[i].fd);
                safe_close(shm_fd);
                policy_free(p);
                return r;
        }
        r = backend_shm_new(shm_fd, &shm);
        if (r >= 0)
                r = registry_open(state_fd, &reg, &rst);
        if (r < 0) {
                backend_free(shm);
                backend_free(memfd);
                policy_free(p);
                return r;
        }
        log_replay(&rst.replay);

        /* Killed during a policy change: some files may hold the new policy's owner, mode and
         * ACL and their records the old one's. Set them all again. A record skipped as
         * damaged may have been the start of such a change: the same. */
        if ((!registry_settled(reg) || rst.replay.skipped_records > 0) &&
            registry_count(reg) > 0) {
                struct object *o;

                if (!registry_settled(reg))
                        log_notice("Registry: the last policy change did not finish (the daemon "
                                   "was killed during a reload); setting the owner, mode and "
                                   "ACL of all %zu object(s) again.", registry_count(reg));
                else
                        log_notice("Registry: a skipped record may have begun a policy change; "
                                   "setting the owner, mode and ACL of all %zu object(s) again.",
                                   registry_count(reg));
                for (o = registry_first(reg); o; o = registry_next(reg, o))
                        o->spec = ATTRS_SPEC_UNKNOWN;
        }

        adopted_shm = shm->ops->adopt(shm, reg);
        adopted_memfd = memfd->ops->adopt(memfd, reg);
        if (adopted_shm > 0 || adopted_memfd > 0)
                log_info("Took back %d shm and %d memfd object(s).", adopted_shm,
                         adopted_memfd);

        r = broker_new(p, reg, shm, memfd, &b);
        if (r < 0)
                return r;
        r = broker_apply_policy(b, p, false, NULL);
        if (r >= 0)
                r = broker_charge_all(b);
        if (r < 0) {
                broker_free(b);
                return r;
        }
        /* Whatever was replayed, the file now holds one record per object. */
        r = registry_compact(b->registry);
        if (r < 0)
                log_warning_errno(r, "Registry: cannot compact the journal, ignoring: %m");
        *ret = b;
        return 0;
}
