/* SPDX-License-Identifier: MIT */
/*
 * audit.c - the audit trail: journal fields when we have the journal, a line on stderr when not.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "audit.h"
#include "log.h"

static bool audit_to_journal;
static struct ratelimit audit_ratelimit;

void audit_init(void)
{
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        /* systemd sets JOURNAL_STREAM=DEV:INO for a stderr that is connected to the journal. */
        audit_to_journal = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 &&
                           fstat(STDERR_FILENO, &st) == 0 && st.st_dev == (dev_t) dev &&
                           st.st_ino == (ino_t) ino;
}

void audit_record(const struct identity *id, const char *verb, const char *name,
                  const char *access, const char *rule, int error)
{
        const char *result = error == 0 ? "granted" : "denied";
        char esc[LOG_ESCAPE_MAX], gid[16] = "";
        unsigned suppressed = 0;
        int priority = error == 0 ? LOG_INFO : LOG_NOTICE;

        if (!ratelimit_uid(&audit_ratelimit, id->uid, &suppressed))
                return;
        /* SHMB_OBJECT= keeps the name's bytes (the journal takes any); the text does not. */
        log_escape(name, strlen(name), esc, sizeof(esc));
        /* A record on behalf of a creator (an expiry) has no gid: "-" in the text, an empty
         * SHMB_GID=. */
        if (id->gid != (gid_t) -1)
                (void) snprintf(gid, sizeof(gid), "%u", (unsigned) id->gid);

        if (audit_to_journal) {
                int r;

                /* Field values are passed as they are: sd_journal_send() takes any bytes, and
                 * names never hold a newline (they have no control characters). */
                r = sd_journal_send("MESSAGE=uid=%u pid=%d%s%s: %s '%s' (%s) %s by rule '%s'%s%s",
                                    (unsigned) id->uid, (int) id->pid,
                                    id->app_id ? " app=" : "", id->app_id ? id->app_id : "",
                                    verb, esc, access,
                                    result, rule ? rule : "-", error ? ": " : "",
                                    error ? strerror(-error) : "",
                                    "MESSAGE_ID=" AUDIT_MESSAGE_ID,
                                    "PRIORITY=%d", priority,
                                    "SHMB_UID=%u", (unsigned) id->uid,
                                    "SHMB_GID=%s", gid,
                                    "SHMB_PID=%d", (int) id->pid,
                                    "SHMB_VERB=%s", verb,
                                    "SHMB_OBJECT=%s", name,
                                    "SHMB_ACCESS=%s", access,
                                    "SHMB_RULE=%s", rule ? rule : "",
                                    "SHMB_RESULT=%s", result,
                                    "SHMB_ERRNO=%d", error < 0 ? -error : 0,
                                    "SHMB_SUPPRESSED=%u", suppressed,
                                    "SHMB_APP=%s", id->app_id ? id->app_id : "",
                                    NULL);
                if (r >= 0)
                        return;
        }
        if (suppressed > 0)
                log_notice("audit: uid=%u: %u records suppressed", (unsigned) id->uid,
                           suppressed);
        if (error != 0)
                log_full_errno(priority, error, "audit: uid=%u gid=%s pid=%d%s%s: %s '%s' (%s) "
                               "denied by rule '%s': %m", (unsigned) id->uid, gid[0] ? gid : "-",
                               (int) id->pid, id->app_id ? " app=" : "",
                               id->app_id ? id->app_id : "", verb, esc, access,
                               rule ? rule : "-");
        else
                log_full_errno(priority, 0, "audit: uid=%u gid=%s pid=%d%s%s: %s '%s' (%s) "
                               "granted by rule '%s'", (unsigned) id->uid, gid[0] ? gid : "-",
                               (int) id->pid, id->app_id ? " app=" : "",
                               id->app_id ? id->app_id : "", verb, esc, access,
                               rule ? rule : "-");
}
