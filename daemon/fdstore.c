/* SPDX-License-Identifier: MIT */
/*
 * fdstore.c - push to and remove from systemd's fd store (see fdstore.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "fair.h"
#include "fdstore.h"
#include "hashmap.h"

bool fdstore_active(void)
{
        return getenv("NOTIFY_SOCKET") != NULL;
}

int fdstore_push(int fd, const char *name)
{
        char state[128];
        int r;

        if (!fdstore_active())
                return -EOPNOTSUPP;
        if (snprintf(state, sizeof(state), "FDSTORE=1\nFDNAME=%s", name) >= (int) sizeof(state))
                return -ENAMETOOLONG;
        r = sd_pid_notify_with_fds(0, false, state, &fd, 1);
        if (r < 0)
                return r;
        return r == 0 ? -EOPNOTSUPP : 0;
}

/* One store per process, as there is one service manager. */
static size_t slots_max, slots_used[_FDSTORE_SLOT_MAX];

/* What one uid holds; there while it holds any. */
struct holder {
        struct hashmap_entry entry;
        char key[16];
        size_t used[_FDSTORE_SLOT_MAX];
};

static struct hashmap holders;
static bool holders_ready;

void fdstore_set_slots(size_t max)
{
        slots_max = max;
}

size_t fdstore_slot_share(void)
{
        return slots_max / 8 > 0 ? slots_max / 8 : 1;
}

static size_t total(const size_t used[_FDSTORE_SLOT_MAX])
{
        return used[FDSTORE_SLOT_OBJECT] + used[FDSTORE_SLOT_PIDFD];
}

static struct holder *holder_get(uid_t uid, bool make)
{
        struct hashmap_entry *e;
        struct holder *h;
        char key[16];

        if (!holders_ready) {
                if (!make || hashmap_init(&holders) < 0)
                        return NULL;
                holders_ready = true;
        }
        (void) snprintf(key, sizeof(key), "%u", (unsigned) uid);
        e = hashmap_get(&holders, key);
        if (e || !make)
                return e ? container_of(e, struct holder, entry) : NULL;
        h = calloc(1, sizeof(*h));
        if (!h)
                return NULL;
        (void) snprintf(h->key, sizeof(h->key), "%s", key);
        h->entry.key = h->key;
        hashmap_put(&holders, &h->entry);
        return h;
}

int fdstore_slot_check(uid_t uid, enum fdstore_slot kind)
{
        const struct holder *h = holder_get(uid, false);
        size_t share = fdstore_slot_share(), mine = h ? total(h->used) : 0;
        /* A create checks its object's slot, then its creator's pidfd may take one, and only
         * then is the object counted (pushed): a pidfd leaves one slot free, of the store and
         * of the share, for the object it comes with. */
        size_t spare = kind == FDSTORE_SLOT_PIDFD ? 1 : 0;

        if (slots_max == 0)
                return 0;
        if (total(slots_used) + spare >= slots_max ||
            (kind == FDSTORE_SLOT_PIDFD && slots_used[kind] >= slots_max / 2))
                return -ENOSPC;
        if (mine + spare >= share ||
            (kind == FDSTORE_SLOT_PIDFD && (h ? h->used[kind] : 0) >= share / 2))
                return -EDQUOT;
        /* An eighth each let eight uids fill the store, and then every other user's memfd
         * create got ENOSPC. So past half of it, as for watches and app sockets, a uid that
         * holds FDSTORE_FAIR_FLOOR or more gets another only while it holds less than its
         * share of the free slots: those left over the number of uids holding some (it is
         * one of them: mine > 0). */
        if (mine >= FDSTORE_FAIR_FLOOR &&
            !fair_share_left(mine + spare, total(slots_used), slots_max, holders.n_entries))
                return -EDQUOT;
        return 0;
}

void fdstore_slot_count(uid_t uid, enum fdstore_slot kind)
{
        struct holder *h;

        slots_used[kind]++;
        /* Without memory, the uid's count is short by one: its share is not exact. */
        h = holder_get(uid, true);
        if (h)
                h->used[kind]++;
}

bool fdstore_slot_take(uid_t uid, enum fdstore_slot kind)
{
        if (fdstore_slot_check(uid, kind) < 0)
                return false;
        fdstore_slot_count(uid, kind);
        return true;
}

void fdstore_slot_give(uid_t uid, enum fdstore_slot kind)
{
        struct holder *h = holder_get(uid, false);

        if (slots_used[kind] > 0)
                slots_used[kind]--;
        if (!h || h->used[kind] == 0)
                return;
        h->used[kind]--;
        if (total(h->used) == 0) {
                hashmap_remove(&holders, h->key);
                free(h);
        }
}

static void holder_free(struct hashmap_entry *e)
{
        free(container_of(e, struct holder, entry));
}

void fdstore_slots_reset(void)
{
        if (holders_ready) {
                hashmap_clear(&holders, holder_free);
                hashmap_deinit(&holders);
                holders_ready = false;
        }
        slots_used[FDSTORE_SLOT_OBJECT] = slots_used[FDSTORE_SLOT_PIDFD] = 0;
}

void fdstore_remove(const char *name)
{
        if (fdstore_active())
                (void) sd_notifyf(false, "FDSTOREREMOVE=1\nFDNAME=%s", name);
}
