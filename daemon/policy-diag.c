/* SPDX-License-Identifier: MIT */
/*
 * policy-diag.c - the list of errors and warnings a policy load produces.
 *
 * Policy text reaches these messages (values, section IDs, file names), and the messages reach
 * a terminal (--check-policy) or the journal. A carriage return could overwrite what an
 * administrator reads, an escape sequence could do worse, so every byte that is not printable
 * text is escaped as \xNN when a diagnostic is added. Valid UTF-8 is kept (user names and
 * object names may be UTF-8); C1 controls and the bidi controls are escaped even when validly
 * encoded (text_char_unsafe()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy-diag.h"
#include "textsafe.h"

void policy_diags_clear(struct policy_diags *d)
{
        size_t i;

        if (!d)
                return;
        for (i = 0; i < d->n; i++) {
                free(d->items[i].file);
                free(d->items[i].message);
        }
        free(d->items);
        *d = (struct policy_diags) {};
}

/* The length of the valid UTF-8 sequence at @s (1 to 4), or 0 if there is none. Overlong
 * forms, surrogates and code points above U+10FFFF are not valid. */
static size_t utf8_len(const unsigned char *s)
{
        unsigned cp;
        size_t n, i;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2, cp = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3, cp = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4, cp = s[0] & 0x07;
        else
                return 0;
        for (i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        /* C1 controls (CSI, U+009B, starts escape sequences on many terminals), and the
         * invisible ones that reorder what an administrator reads (bidi controls). */
        if (text_char_unsafe(cp))
                return 0;
        return n;
}

char *policy_diag_escape(const char *s)
{
        static const char hex[] = "0123456789abcdef";
        const unsigned char *p = (const unsigned char *) s;
        size_t len = strlen(s), o = 0;
        char *out;

        /* At most four output bytes per input byte. */
        out = malloc(len * 4 + 1);
        if (!out)
                return NULL;
        while (*p) {
                size_t n = *p >= 0x20 && *p != 0x7f ? utf8_len(p) : 0;

                if (n > 0) {
                        memcpy(out + o, p, n);
                        o += n;
                        p += n;
                        continue;
                }
                out[o++] = '\\';
                out[o++] = 'x';
                out[o++] = hex[*p >> 4];
                out[o++] = hex[*p & 15];
                p++;
        }
        out[o] = '\0';
        return out;
}

int policy_diags_add(struct policy_diags *d, enum policy_diag_level level, const char *file,
                     unsigned line, const char *fmt, ...)
{
        _cleanup_(freep) char *raw = NULL, *message = NULL, *f = NULL;
        struct policy_diag *item;
        va_list ap;
        int r;

        if (level == POLICY_DIAG_ERROR)
                d->n_errors++;
        else
                d->n_warnings++;
        if (d->n >= POLICY_DIAGS_MAX) {
                d->n_dropped++;
                return 0;
        }

        va_start(ap, fmt);
        r = vasprintf(&raw, fmt, ap);
        va_end(ap);
        if (r < 0) {
                raw = NULL;
                return -ENOMEM;
        }
        message = policy_diag_escape(raw);
        if (!message)
                return -ENOMEM;
        if (file) {
                f = policy_diag_escape(file);
                if (!f)
                        return -ENOMEM;
        }
        /* Grows by doubling: the list is full exactly when n is 0 or a power of two. */
        if ((d->n & (d->n - 1)) == 0) {
                struct policy_diag *v = reallocarray(d->items, d->n ? d->n * 2 : 1,
                                                     sizeof(*v));

                if (!v)
                        return -ENOMEM;
                d->items = v;
        }
        item = &d->items[d->n++];
        *item = (struct policy_diag) {
                .level = level, .file = TAKE_PTR(f), .line = line,
                .message = TAKE_PTR(message),
        };
        return 0;
}

char *policy_diag_format(const struct policy_diag *d)
{
        const char *level = d->level == POLICY_DIAG_ERROR ? "error" : "warning";
        char *s;
        int r;

        if (d->file && d->line > 0)
                r = asprintf(&s, "%s:%u: %s: %s", d->file, d->line, level, d->message);
        else if (d->file)
                r = asprintf(&s, "%s: %s: %s", d->file, level, d->message);
        else
                r = asprintf(&s, "%s: %s", level, d->message);
        return r < 0 ? NULL : s;
}
