/* SPDX-License-Identifier: MIT */
/*
 * audit.h - one structured record per grant and per denial.
 *
 * To the journal (sd_journal_send) when the daemon's stderr is the journal, with a fixed
 * MESSAGE_ID and SHMB_* fields an administrator can query:
 *
 *   journalctl MESSAGE_ID=9c1f3a5e2b7d4c8e9a6f0b1d2e3c4a5b SHMB_UID=1000
 *
 * else as a plain stderr line. Rate-limited per uid (LIMIT_LOG_BURST per interval), so a
 * hostile client cannot flood the journal; the next record after a gap says how many were
 * dropped (SHMB_SUPPRESSED=).
 */
#pragma once

#include "identity.h"

#define AUDIT_MESSAGE_ID "9c1f3a5e2b7d4c8e9a6f0b1d2e3c4a5b"

/* Decides once whether records go to the journal: $JOURNAL_STREAM names our stderr. */
void audit_init(void);

/*
 * audit_record() - record one decision.
 * @verb: "create", "open", "unlink"...
 * @access: "rw", "ro", "none" or "-".
 * @rule: the deciding rule's ID, or NULL when none matched.
 * @error: 0 for a grant, else the negative errno of the denial.
 */
void audit_record(const struct identity *id, const char *verb, const char *name,
                  const char *access, const char *rule, int error);
