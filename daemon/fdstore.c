/* SPDX-License-Identifier: MIT */
/*
 * fdstore.c - push to and remove from systemd's fd store (see fdstore.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "fdstore.h"

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
static size_t slots_max, slots_used;

void fdstore_set_slots(size_t max)
{
        slots_max = max;
}

bool fdstore_slot_free(void)
{
        return slots_max == 0 || slots_used < slots_max;
}

bool fdstore_slot_take(void)
{
        if (!fdstore_slot_free())
                return false;
        slots_used++;
        return true;
}

void fdstore_slot_give(void)
{
        if (slots_used > 0)
                slots_used--;
}

void fdstore_remove(const char *name)
{
        if (fdstore_active())
                (void) sd_notifyf(false, "FDSTOREREMOVE=1\nFDNAME=%s", name);
}
