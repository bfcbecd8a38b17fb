/* SPDX-License-Identifier: MIT */
/*
 * ctl-json.c - JSON building blocks for shmbrokerctl's --json output, on json-c: strings that
 * are always valid UTF-8, unsigned 64-bit numbers, the fields every description of a segment
 * shares, and printing one document with the characters a terminal acts on escaped.
 *
 * json-c represents null as a NULL object, so a constructor that runs out of memory would
 * silently give null: it records that instead, and ctl_json_print() then fails with ENOMEM
 * rather than print a document with holes. Not here: which document a command prints.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static bool json_oom;

static struct json_object *checked(struct json_object *o)
{
        if (!o)
                json_oom = true;
        return o;
}

struct json_object *ctl_json_string(const char *s)
{
        const unsigned char *p;
        _cleanup_(freep) char *fixed = NULL;
        size_t used = 0;

        if (!s)
                return NULL;
        for (p = (const unsigned char *) s; *p; p += ctl_utf8_len(p))
                if (ctl_utf8_len(p) == 0)
                        break;
        if (*p == '\0')
                return checked(json_object_new_string(s));

        /*
         * Names may hold any byte from 0x80 up, and JSON is text: a byte that is not UTF-8
         * becomes U+FFFD (3 bytes), as a decoder would show it. Documented as lossy.
         */
        fixed = malloc(3 * strlen(s) + 1);
        if (!fixed) {
                json_oom = true;
                return NULL;
        }
        for (p = (const unsigned char *) s; *p;) {
                size_t n = ctl_utf8_len(p);

                if (n == 0) {
                        memcpy(fixed + used, "\xef\xbf\xbd", 3);
                        used += 3;
                        p++;
                } else {
                        memcpy(fixed + used, p, n);
                        used += n;
                        p += n;
                }
        }
        fixed[used] = '\0';
        return checked(json_object_new_string(fixed));
}

struct json_object *ctl_json_string_or_null(const char *s)
{
        return s && *s ? ctl_json_string(s) : NULL;
}

struct json_object *ctl_json_u64(uint64_t v)
{
        return checked(json_object_new_uint64(v));
}

int ctl_json_set(struct json_object *obj, const char *key, struct json_object *val)
{
        if (json_object_object_add(obj, key, val) < 0) {
                json_object_put(val);
                json_oom = true;
                return -ENOMEM;
        }
        return 0;
}

struct json_object *ctl_json_bool(bool b)
{
        return checked(json_object_new_boolean(b));
}

int ctl_json_object_fields(struct json_object *obj, const struct ctl_object *o)
{
        const char *seal = NULL;
        char when[64];

        if (o->flags & SHMB_OBJ_SEAL_WRITE)
                seal = "write";
        else if (o->flags & SHMB_OBJ_SEAL_FUTURE_WRITE)
                seal = "future-write";
        if (o->ctime_usec > 0)
                ctl_format_time(when, sizeof(when), o->ctime_usec);

        ctl_json_set(obj, "name", ctl_json_string(o->name));
        ctl_json_set(obj, "size", ctl_json_u64(o->size));
        ctl_json_set(obj, "backend", ctl_json_string(ctl_backend_name(o->backend)));
        ctl_json_set(obj, "rule", ctl_json_string_or_null(o->rule));
        ctl_json_set(obj, "creator_uid", ctl_json_u64(o->creator));
        ctl_json_set(obj, "creator_user", ctl_json_string(ctl_user_name(o->creator)));
        ctl_json_set(obj, "app", ctl_json_string_or_null(o->app));
        ctl_json_set(obj, "created", o->ctime_usec > 0 ? ctl_json_string(when) : NULL);
        ctl_json_set(obj, "created_usec", o->ctime_usec > 0 ? ctl_json_u64(o->ctime_usec) : NULL);
        ctl_json_set(obj, "lifetime", ctl_json_string(ctl_lifetime_name(o->lifetime)));
        ctl_json_set(obj, "lifetime_usec", o->lifetime == SHMB_LIFETIME_SPAN ?
                                                   ctl_json_u64(o->lifetime_usec) : NULL);
        ctl_json_set(obj, "ends_in_sec", o->ends_in_sec > 0 ? ctl_json_u64(o->ends_in_sec)
                                                             : NULL);
        ctl_json_set(obj, "orphan", ctl_json_bool(o->flags & SHMB_OBJ_ORPHAN));
        ctl_json_set(obj, "published", ctl_json_bool(o->flags & SHMB_OBJ_PUBLISHED));
        ctl_json_set(obj, "seal", ctl_json_string(seal));
        ctl_json_set(obj, "fresh", ctl_json_bool(o->flags & SHMB_OBJ_FRESH));
        ctl_json_set(obj, "creator_gone", ctl_json_bool(o->flags & SHMB_OBJ_CREATOR_GONE));
        return json_oom ? -ENOMEM : 0;
}

/*
 * Writes @text, a document as json-c serialised it, to stdout with each ctl_char_unsafe()
 * character from DEL up spelled \uXXXX. json-c escapes only what JSON requires (below 0x20),
 * and has no flag for more: a name holding U+009B (CSI) or U+202E (RLO) would reach the
 * admin's terminal raw, through jq or less as well.
 *
 * Done here, on the whole text, rather than on each string, because outside its strings JSON
 * is printable ASCII and blanks: a byte from 0x7f up is inside a string, and not the character
 * after a backslash (which is ASCII), so spelling its character as \uXXXX changes nothing a
 * parser reads. All of them are below U+10000, one \uXXXX each. A sequence that is not UTF-8
 * cannot occur (ctl_json_string()); it would be copied as it is.
 */
static int put_json_text(const char *text)
{
        const unsigned char *p = (const unsigned char *) text, *run = p;

        while (*p) {
                uint32_t cp;
                size_t n = ctl_utf8_decode(p, &cp);

                if (n == 0 || *p < 0x7f || !ctl_char_unsafe(cp)) {
                        p += n > 0 ? n : 1;
                        continue;
                }
                if (fwrite(run, 1, (size_t) (p - run), stdout) != (size_t) (p - run) ||
                    printf("\\u%04" PRIx32, cp) < 0)
                        return errno > 0 ? -errno : -EIO;
                p += n;
                run = p;
        }
        if (fputs((const char *) run, stdout) == EOF || putchar('\n') == EOF)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

int ctl_json_print(struct json_object *obj, bool one_line)
{
        const char *text;
        int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

        if (json_oom || !obj)
                return -ENOMEM;
        if (one_line)
                flags |= JSON_C_TO_STRING_PLAIN;
        else
                flags |= JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
        text = json_object_to_json_string_ext(obj, flags);
        if (!text)
                return -ENOMEM;
        return put_json_text(text);
}
