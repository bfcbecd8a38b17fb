/* SPDX-License-Identifier: MIT */
/*
 * restore.c - take back the objects at start (see restore.h).
 */
#include <errno.h>

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
        if (st.orphaned > 0)
                log_warning("%zu object(s) are orphans: no rule of the policy governs them for "
                            "their creator with their backend.", st.orphaned);
        if (ret_orphans)
                *ret_orphans = st.orphaned;
        return 0;
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
        if (rst.replay.bad_offset >= 0)
                log_warning("Registry: %zu byte(s) at the end of the journal did not check out "
                            "(a write cut short), dropped.", rst.replay.bad_bytes);

        /* Killed during a policy change: some files may hold the new policy's owner, mode and
         * ACL and their records the old one's. Set them all again. */
        if (!registry_settled(reg) && registry_count(reg) > 0) {
                struct object *o;

                log_notice("Registry: the last policy change did not finish (the daemon was "
                           "killed during a reload); setting the owner, mode and ACL of all "
                           "%zu object(s) again.", registry_count(reg));
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
