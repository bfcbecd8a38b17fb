/* SPDX-License-Identifier: MIT */
/*
 * pattern.c - expand and match Names= patterns.
 *
 * Expansion escapes what it inserts, so that a user called "a*" gets the prefix "a*" and not
 * every name starting with "a": the inserted text is always literal. A pattern without '%' is
 * handed to fnmatch() as it is.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pattern.h"

/* Escaped with '\' when a specifier is expanded. */
#define GLOB_SPECIAL "*?[]\\"

static bool specifier_known(char c)
{
        return c == 'u' || c == 'U' || c == 'a' || c == '%';
}

/*
 * Where the bracket expression that the '[' at @p opens ends (its ']'), or NULL when that '['
 * opens none and fnmatch() takes it literally. As fnmatch(): an optional '!' or '^', then a
 * ']' that is a member, backslash escapes, and [:class:], [=c=] and [.c.] inside.
 */
static const char *bracket_end(const char *p)
{
        const char *q = p + 1;

        if (*q == '!' || *q == '^')
                q++;
        if (*q == ']')
                q++;
        for (; *q; q++) {
                if (*q == '\\' && q[1]) {
                        q++;
                        continue;
                }
                if (*q == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
                        const char *e;

                        for (e = q + 2; *e && !(e[0] == q[1] && e[1] == ']'); e++)
                                ;
                        if (*e) {
                                q = e + 1;
                                continue;
                        }
                }
                if (*q == ']')
                        return q;
        }
        return NULL;
}

int pattern_check(const char *pattern)
{
        const char *p, *end = NULL;     /* end: of the bracket expression we are in */

        for (p = pattern; *p; p++) {
                if (end && p > end)
                        end = NULL;
                if (*p == '[' && !end)
                        end = bracket_end(p);
                /* "\[" is no bracket; "\%u" is still %u (expansion drops the backslash). */
                if (*p == '\\' && p[1] && p[1] != '%') {
                        p++;
                        continue;
                }
                if (*p != '%')
                        continue;
                p++;
                if (!specifier_known(*p))
                        return -EINVAL;
                /*
                 * A specifier inside [...] makes each of its characters a member. For %a the
                 * owner check, which knows no app id, stands '*' in for any app: right for a
                 * name, wrong for a set of members. So %a may not stand there.
                 */
                if (*p == 'a' && end)
                        return -EDOM;
        }
        return 0;
}

bool pattern_has_specifier(const char *pattern, char c)
{
        const char *p;

        for (p = pattern; *p; p++) {
                if (*p != '%')
                        continue;
                p++;
                if (*p == c)
                        return true;
                if (!*p)
                        break;
        }
        return false;
}

size_t pattern_literal_len(const char *pattern)
{
        return strcspn(pattern, PATTERN_NOT_LITERAL);
}

size_t pattern_plain_len(const char *pattern)
{
        return strcspn(pattern, PATTERN_GLOB);
}

bool pattern_is_prefix(const char *pattern, size_t *ret_len)
{
        size_t n = pattern_plain_len(pattern);

        if (pattern[n] != '*' || pattern[n + strspn(pattern + n, "*")] != '\0')
                return false;
        *ret_len = n;
        return true;
}

static bool buf_put(char *buf, size_t size, size_t *n, char c)
{
        if (*n + 1 >= size)
                return false;
        buf[(*n)++] = c;
        return true;
}

static bool buf_put_escaped(char *buf, size_t size, size_t *n, const char *s)
{
        for (; *s; s++) {
                if (strchr(GLOB_SPECIAL, *s) && !buf_put(buf, size, n, '\\'))
                        return false;
                if (!buf_put(buf, size, n, *s))
                        return false;
        }
        return true;
}

/*
 * Drops a backslash that the pattern put right before a specifier ("x\\%u"), where it would
 * escape the first byte of the expansion. That byte is escaped already when it is special: the
 * two backslashes would make a literal backslash and leave it unescaped, so that a user called
 * "*" got "x\\*", every name after "x\\". What is inserted is literal anyway, so the backslash
 * means nothing there. A backslash escapes the next byte when the run of backslashes that ends
 * the output is odd (fnmatch() pairs them from the left; expansions add theirs in pairs).
 */
static void drop_pending_escape(char *buf, size_t *n)
{
        size_t k = 0;

        while (k < *n && buf[*n - 1 - k] == '\\')
                k++;
        if (k % 2 == 1)
                (*n)--;
}

bool pattern_expand(const char *pattern, const struct identity *id, unsigned flags, char *buf,
                    size_t size)
{
        char num[sizeof(uint32_t) * 3 + 1];
        const char *p;
        size_t n = 0;

        if (size == 0)
                return false;
        for (p = pattern; *p; p++) {
                if (*p != '%') {
                        if (!buf_put(buf, size, &n, *p))
                                return false;
                        continue;
                }
                p++;
                drop_pending_escape(buf, &n);
                switch (*p) {
                case 'u':
                        if (!id->user_name || !buf_put_escaped(buf, size, &n, id->user_name))
                                return false;
                        break;
                case 'a':
                        /* Any app: '*' is no wider than an app id can be, since app ids
                         * hold no '/' and no glob character. */
                        if (flags & PATTERN_ANY_APP) {
                                if (!buf_put(buf, size, &n, '*'))
                                        return false;
                        } else if (!id->app_id || !buf_put_escaped(buf, size, &n, id->app_id))
                                return false;
                        break;
                case 'U':
                        (void) snprintf(num, sizeof(num), "%u", (unsigned) id->uid);
                        if (!buf_put_escaped(buf, size, &n, num))
                                return false;
                        break;
                case '%':
                        if (!buf_put(buf, size, &n, '%'))
                                return false;
                        break;
                default:
                        /* pattern_check() lets nothing else through; refuse rather than guess. */
                        return false;
                }
        }
        buf[n] = '\0';
        return true;
}

bool pattern_matches(const char *pattern, const char *name, const struct identity *id,
                     unsigned flags)
{
        char buf[PATTERN_EXPAND_MAX];

        if (!strchr(pattern, '%'))
                return fnmatch(pattern, name, 0) == 0;
        if (!pattern_expand(pattern, id, flags, buf, sizeof(buf)))
                return false;
        return fnmatch(buf, name, 0) == 0;
}
