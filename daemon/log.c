/* SPDX-License-Identifier: MIT */
/*
 * log.c - stderr logging with journal priority prefixes, and a small per-uid rate limiter.
 *
 * The only mutable global state of the daemon besides its options lives here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "limits.h"
#include "clock.h"
#include "log.h"

static int log_max_level = LOG_INFO;

void log_set_max_level(int level)
{
        log_max_level = level;
}

int log_get_max_level(void)
{
        return log_max_level;
}

int log_parse_level(const char *s)
{
        static const char *const names[] = {
                [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
                [LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
                [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
        };
        size_t i;

        for (i = 0; i < ELEMENTSOF(names); i++)
                if (strcasecmp(s, names[i]) == 0)
                        return (int) i;
        return -EINVAL;
}

/*
 * Whatever reached the line (a name a client chose, a user name, a path) leaves it one line of
 * printable ASCII: a control byte (a newline would forge a line, an escape sequence act on the
 * reader's terminal) and every byte past ASCII (C1 controls, and the bidi controls that reorder
 * what an administrator reads) become \xNN. Sites that print a client's name escape it
 * themselves as well (log_escape(): quotes and backslashes too), so that it cannot pass for the
 * line's own words. What the line holds already escaped stays as it is.
 */
static const char *escape(const char *s, size_t len, char *buf, size_t size, bool quotes)
{
        static const char hex[] = "0123456789abcdef";
        size_t i, o = 0;

        if (size < 4) {
                if (size > 0)
                        buf[0] = '\0';
                return buf;
        }
        for (i = 0; i < len; i++) {
                unsigned char ch = (unsigned char) s[i];
                bool plain = ch >= 0x20 && ch < 0x7f && (!quotes || (ch != '\\' && ch != '\''));

                if (o + (plain ? 1 : 4) > size - 4) {
                        memcpy(buf + o, "...", 3);
                        o += 3;
                        break;
                }
                if (plain)
                        buf[o++] = (char) ch;
                else {
                        buf[o++] = '\\';
                        buf[o++] = 'x';
                        buf[o++] = hex[ch >> 4];
                        buf[o++] = hex[ch & 15];
                }
        }
        buf[o] = '\0';
        return buf;
}

int log_internal(int level, int error, const char *fmt, ...)
{
        char buf[2048], line[4 * sizeof(buf) + 1];
        va_list ap;
        int saved = errno;

        if (level > log_max_level)
                return error < 0 ? error : -error;

        /* %m in the format refers to the error passed in, not to whatever errno is now. */
        if (error != 0)
                errno = error < 0 ? -error : error;
        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);

        (void) escape(buf, strlen(buf), line, sizeof(line), false);
        /* One write per line, so lines from a restarting daemon never interleave. */
        (void) fprintf(stderr, "<%d>%s\n", level, line);
        errno = saved;
        return error < 0 ? error : -error;
}

const char *log_escape(const char *s, size_t len, char *buf, size_t size)
{
        return escape(s, len, buf, size, true);
}

const char *log_name(const char *name)
{
        static char bufs[LOG_NAME_BUFS][LOG_ESCAPE_MAX];
        static unsigned next;
        char *buf = bufs[next++ % LOG_NAME_BUFS];

        return log_escape(name, strlen(name), buf, sizeof(bufs[0]));
}

/*
 * Each limiter is a small table of the uids seen recently. When it is full, the oldest slot is
 * reused: an attacker cycling through uids gains nothing, since it needs that many uids.
 *
 * It is asked at every grant (the audit's limiter), so a uid is looked for from a slot picked
 * by a hash of it, onwards: found at the first look unless two uids met there. A uid is always
 * put in the first free slot from its own, and slots are never freed, so a free slot met on
 * the way means the uid is not in the table. Only a uid that is not there, with the table
 * full, costs a look at every slot, for the oldest.
 */
static struct ratelimit log_ratelimit;

static size_t ratelimit_home(uid_t uid)
{
        uint32_t h = (uint32_t) uid * UINT32_C(2654435761); /* Knuth's multiplicative hash */

        /* The hash's high bits, scaled to the table (Lemire's reduction). */
        return (size_t) (((uint64_t) h * LIMIT_LOG_UIDS) >> 32);
}

bool ratelimit_uid(struct ratelimit *rl, uid_t uid, unsigned *ret_suppressed)
{
        /* take: where a new uid goes, the first free slot, else the oldest window's. */
        struct ratelimit_slot *s = NULL, *take = NULL;
        uint64_t now = rl->now ? rl->now() : now_usec();
        size_t i, home = ratelimit_home(uid);

        for (i = 0; i < ELEMENTSOF(rl->slots); i++) {
                struct ratelimit_slot *t = &rl->slots[(home + i) % ELEMENTSOF(rl->slots)];

                if (!t->used) {
                        take = t;
                        break;
                }
                if (t->uid == uid) {
                        s = t;
                        break;
                }
                if (!take || t->window_start < take->window_start)
                        take = t;
        }
        if (!s) {
                s = take;
                *s = (struct ratelimit_slot) { .uid = uid, .used = true, .window_start = now };
        }
        if (now - s->window_start >= LIMIT_LOG_INTERVAL_USEC) {
                s->window_start = now;
                s->count = 0;
        }
        if (s->count >= LIMIT_LOG_BURST) {
                s->suppressed++;
                return false;
        }
        s->count++;
        *ret_suppressed = s->suppressed;
        s->suppressed = 0;
        return true;
}

bool log_ratelimit_uid(uid_t uid)
{
        unsigned suppressed = 0;

        if (!ratelimit_uid(&log_ratelimit, uid, &suppressed))
                return false;
        /* Whoever logs next for this uid says how many were dropped before. */
        if (suppressed > 0)
                log_notice("uid=%u: %u messages suppressed", (unsigned) uid, suppressed);
        return true;
}
