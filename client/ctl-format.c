/* SPDX-License-Identifier: MIT */
/*
 * ctl-format.c - shmbrokerctl's output for people: sizes, spans, ages, times, user and group
 * names, escaped strings, rights, segment states and lifetimes; and the stable names (backend,
 * lifetime, reason, errno) that the JSON output uses.
 *
 * Not here: tables (ctl-table.c), JSON documents (ctl-json.c), failures (ctl-util.c).
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "textsafe.h"

#define USEC_PER_SEC UINT64_C(1000000)

void ctl_format_size(char *buf, size_t size, uint64_t bytes)
{
        static const char suffixes[] = "KMGT";
        int i;

        for (i = 3; i >= 0; i--) {
                uint64_t unit = UINT64_C(1) << (10 * (i + 1));

                if (bytes >= unit && bytes % unit == 0) {
                        snprintf(buf, size, "%" PRIu64 "%c", bytes / unit, suffixes[i]);
                        return;
                }
        }
        snprintf(buf, size, "%" PRIu64, bytes);
}

void ctl_format_span(char *buf, size_t size, uint64_t usec)
{
        static const struct {
                const char *unit;
                uint64_t usec;
        } units[] = {
                { "w", 7 * 86400 * USEC_PER_SEC },
                { "d", 86400 * USEC_PER_SEC },
                { "h", 3600 * USEC_PER_SEC },
                { "min", 60 * USEC_PER_SEC },
                { "s", USEC_PER_SEC },
                { "ms", 1000 },
                { "us", 1 },
        };
        size_t i, n = 0, used = 0;

        if (size > 0)
                buf[0] = '\0';
        for (i = 0; i < ELEMENTSOF(units) && n < 2; i++) {
                uint64_t k = usec / units[i].usec;
                int w;

                if (k == 0) {
                        /* Two units that follow each other, never "1d 3s". */
                        if (n > 0)
                                break;
                        continue;
                }
                w = snprintf(buf + used, size - used, "%s%" PRIu64 "%s", n > 0 ? " " : "", k,
                             units[i].unit);
                if (w < 0 || (size_t) w >= size - used)
                        return;
                used += (size_t) w;
                usec -= k * units[i].usec;
                n++;
        }
        if (n == 0)
                snprintf(buf, size, "0s");
}

void ctl_format_age(char *buf, size_t size, uint64_t usec)
{
        ctl_format_span(buf, size, usec - usec % USEC_PER_SEC);
}

void ctl_format_time(char *buf, size_t size, uint64_t usec)
{
        time_t t = (time_t) (usec / USEC_PER_SEC);
        struct tm tm;

        if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                snprintf(buf, size, "@%" PRIu64, usec / USEC_PER_SEC);
}

uint64_t ctl_now_usec(void)
{
        struct timespec ts;

        if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
                return 0;
        return (uint64_t) ts.tv_sec * USEC_PER_SEC + (uint64_t) ts.tv_nsec / 1000;
}

const char *ctl_user_name(uint32_t uid)
{
        struct passwd *pw = getpwuid((uid_t) uid);

        return pw ? pw->pw_name : NULL;
}

const char *ctl_group_name(uint32_t gid)
{
        struct group *gr = getgrgid((gid_t) gid);

        return gr ? gr->gr_name : NULL;
}

void ctl_format_user(char *buf, size_t size, uint32_t uid)
{
        const char *n = ctl_user_name(uid);

        if (n)
                ctl_escape(buf, size, n);
        else
                snprintf(buf, size, "%" PRIu32, uid);
}

void ctl_format_group(char *buf, size_t size, uint32_t gid)
{
        const char *n = ctl_group_name(gid);

        if (n)
                ctl_escape(buf, size, n);
        else
                snprintf(buf, size, "%" PRIu32, gid);
}

size_t ctl_utf8_decode(const unsigned char *s, uint32_t *ret_cp)
{
        uint32_t cp;
        size_t n, i;

        if (s[0] < 0x80) {
                *ret_cp = s[0];
                return 1;
        }
        if ((s[0] & 0xe0) == 0xc0) {
                n = 2;
                cp = s[0] & 0x1f;
        } else if ((s[0] & 0xf0) == 0xe0) {
                n = 3;
                cp = s[0] & 0x0f;
        } else if ((s[0] & 0xf8) == 0xf0) {
                n = 4;
                cp = s[0] & 0x07;
        } else
                return 0;
        for (i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        *ret_cp = cp;
        return n;
}

size_t ctl_utf8_len(const unsigned char *s)
{
        uint32_t cp;

        return ctl_utf8_decode(s, &cp);
}

bool ctl_char_unsafe(uint32_t cp)
{
        return text_char_unsafe(cp);
}

void ctl_escape(char *buf, size_t size, const char *s)
{
        const unsigned char *p = (const unsigned char *) s;
        size_t used = 0;

        if (size == 0)
                return;
        while (*p) {
                uint32_t cp;
                size_t n = ctl_utf8_decode(p, &cp);
                char tmp[4 * 4 + 1];
                const char *out;
                size_t i, len;

                if (n == 0 || ctl_char_unsafe(cp)) {
                        /* Each byte of it, so that the reader sees which character it was
                         * and can type the name back (printf '\xe2\x80\xae'). */
                        if (n == 0)
                                n = 1;
                        for (i = 0; i < n; i++)
                                snprintf(tmp + 4 * i, sizeof(tmp) - 4 * i, "\\x%02x", p[i]);
                        out = tmp;
                        len = 4 * n;
                } else {
                        out = (const char *) p;
                        len = n;
                }
                if (used + len >= size)
                        break;
                memcpy(buf + used, out, len);
                used += len;
                p += n;
        }
        buf[used] = '\0';
}

int ctl_print_name(const char *prefix, const char *name)
{
        char shown[4 * SHMB_NAME_MAX + 1];

        if (isatty(STDOUT_FILENO)) {
                ctl_escape(shown, sizeof(shown), name);
                name = shown;
        }
        if (printf("%s%s\n", prefix, name) < 0)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

const char *ctl_backend_name(uint32_t backend)
{
        switch (backend) {
        case SHMB_BACKEND_SHM:
                return "shm";
        case SHMB_BACKEND_MEMFD:
                return "memfd";
        default:
                return NULL;
        }
}

const char *ctl_lifetime_name(uint32_t lifetime)
{
        switch (lifetime) {
        case SHMB_LIFETIME_PERSISTENT:
                return "persistent";
        case SHMB_LIFETIME_PROCESS:
                return "process";
        case SHMB_LIFETIME_SPAN:
                return "span";
        default:
                return NULL;
        }
}

const char *ctl_reason_id(int reason)
{
        /* Stable identifiers for scripts (the JSON output); the texts are for people. */
        static const char *const ids[] = {
                [SHMB_REASON_NO_RULE] = "no_rule",
                [SHMB_REASON_NO_CREATE] = "no_create",
                [SHMB_REASON_NO_READ] = "no_read",
                [SHMB_REASON_NO_WRITE] = "no_write",
                [SHMB_REASON_NO_OBJECT] = "no_object",
                [SHMB_REASON_EXISTS] = "exists",
                [SHMB_REASON_TOO_BIG] = "too_big",
                [SHMB_REASON_QUOTA_OBJECTS] = "quota_objects",
                [SHMB_REASON_QUOTA_BYTES] = "quota_bytes",
                [SHMB_REASON_QUOTA_CONNECTIONS] = "quota_connections",
                [SHMB_REASON_ORPHAN] = "orphan",
                [SHMB_REASON_NOT_BROKERED] = "not_brokered",
                [SHMB_REASON_OTHER_RULE] = "other_rule",
                [SHMB_REASON_OTHER_CREATOR] = "other_creator",
                [SHMB_REASON_POLICY_ERROR] = "policy_error",
                [SHMB_REASON_STORE_FULL] = "store_full",
                [SHMB_REASON_LIFETIME] = "lifetime",
                [SHMB_REASON_PUBLISHED] = "published",
                [SHMB_REASON_NOT_CREATOR] = "not_creator",
                [SHMB_REASON_NOT_FRESH] = "not_fresh",
                [SHMB_REASON_NOT_ADMIN] = "not_admin",
                [SHMB_REASON_APP_SOCKET] = "app_socket",
                [SHMB_REASON_LIMIT] = "limit",
                [SHMB_REASON_BUSY] = "busy",
                [SHMB_REASON_NO_PUBLISH] = "no_publish",
        };

        if (reason <= 0 || (size_t) reason >= ELEMENTSOF(ids))
                return NULL;
        return ids[reason];
}

const char *ctl_errno_name(int r)
{
        static char buf[16];
        const char *n = strerrorname_np(-r);

        if (n)
                return n;
        snprintf(buf, sizeof(buf), "E%d", -r);
        return buf;
}

/* Appends @word to @buf, separated by @sep. */
static void append_word(char *buf, size_t size, const char *sep, const char *word)
{
        size_t used = strlen(buf);

        snprintf(buf + used, size - used, "%s%s", used > 0 ? sep : "", word);
}

void ctl_format_rights(char *buf, size_t size, uint32_t rights)
{
        buf[0] = '\0';
        if (rights & SHMB_RIGHT_READ)
                append_word(buf, size, " ", "read");
        if (rights & SHMB_RIGHT_WRITE)
                append_word(buf, size, " ", "write");
        if (rights & SHMB_RIGHT_CREATE)
                append_word(buf, size, " ", "create");
        if (buf[0] == '\0')
                snprintf(buf, size, "none");
}

void ctl_format_obj_flags(char *buf, size_t size, uint32_t flags)
{
        buf[0] = '\0';
        if (flags & SHMB_OBJ_ORPHAN)
                append_word(buf, size, ",", "orphan");
        if (flags & SHMB_OBJ_PUBLISHED)
                append_word(buf, size, ",", "published");
        if (flags & SHMB_OBJ_SEAL_WRITE)
                append_word(buf, size, ",", "sealed");
        if (flags & SHMB_OBJ_SEAL_FUTURE_WRITE)
                append_word(buf, size, ",", "future-sealed");
        if (flags & SHMB_OBJ_FRESH)
                append_word(buf, size, ",", "fresh");
        if (flags & SHMB_OBJ_CREATOR_GONE)
                append_word(buf, size, ",", "creator-gone");
        if (buf[0] == '\0')
                snprintf(buf, size, "-");
}

void ctl_object_from_stat(struct ctl_object *o, const char *name, const struct shmb_stat *st)
{
        *o = (struct ctl_object) {
                .name = name, .size = st->size, .ctime_usec = st->ctime_usec,
                .lifetime_usec = st->lifetime_usec, .backend = st->backend, .flags = st->flags,
                .creator = st->creator, .lifetime = st->lifetime, .rule = st->rule,
                .app = st->app,
        };
}

void ctl_object_from_info(struct ctl_object *o, const struct shmb_object_info *info)
{
        *o = (struct ctl_object) {
                .name = info->name, .size = info->size, .ctime_usec = info->ctime_usec,
                .lifetime_usec = info->lifetime_usec, .backend = info->backend,
                .flags = info->flags, .creator = info->creator, .lifetime = info->lifetime,
                .ends_in_sec = info->lifetime == SHMB_LIFETIME_SPAN ? info->ends_in_sec : 0,
                .rule = info->rule, .app = info->app,
        };
}

void ctl_format_lifetime(char *buf, size_t size, const struct ctl_object *o)
{
        char span[64], ends[64];

        switch (o->lifetime) {
        case SHMB_LIFETIME_PERSISTENT:
                snprintf(buf, size, "persistent");
                break;
        case SHMB_LIFETIME_PROCESS:
                snprintf(buf, size, "%s", (o->flags & SHMB_OBJ_CREATOR_GONE) ?
                         "process; its creator is gone" : "until its creator exits");
                break;
        case SHMB_LIFETIME_SPAN:
                ctl_format_span(span, sizeof(span), o->lifetime_usec);
                if (o->ends_in_sec > 0) {
                        ctl_format_span(ends, sizeof(ends), o->ends_in_sec * USEC_PER_SEC);
                        snprintf(buf, size, "%s after its last open: ends in %s", span, ends);
                } else
                        snprintf(buf, size, "%s after its last open", span);
                break;
        default:
                snprintf(buf, size, "unknown (%" PRIu32 ")", o->lifetime);
                break;
        }
}
