/* SPDX-License-Identifier: MIT */
/*
 * record.c - encode and decode journal records (see record.h for the format).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "record.h"

enum tag {
        TAG_TYPE = 1,
        TAG_SERIAL,
        TAG_GENERATION,
        TAG_BACKEND,
        TAG_FLAGS,
        TAG_CREATOR_UID,
        TAG_SIZE,
        TAG_DEV,
        TAG_INO,
        TAG_CTIME,
        TAG_SPEC,
        TAG_NAME,
        TAG_RULE_ID,
        TAG_USER_NAME,
        TAG_APP_ID,
        TAG_LIFETIME,
        TAG_LIFETIME_USEC,
        TAG_LAST_OPEN,
        TAG_CREATOR_PID,
        TAG_CREATOR_PIDFS_INO,
        TAG_CREATOR_START,
};

#define FIELD_HEADER 4

uint64_t record_hash(uint64_t h, const void *data, size_t len)
{
        const unsigned char *p = data;

        while (len-- > 0) {
                h ^= *p++;
                h *= UINT64_C(0x100000001b3);
        }
        return h;
}

struct writer {
        unsigned char *buf;
        size_t size, len;
        bool overflow;
};

static void put_field(struct writer *w, uint16_t tag, const void *data, size_t len)
{
        uint16_t l = (uint16_t) len;

        if (w->overflow || len > UINT16_MAX || w->len + FIELD_HEADER + len > w->size) {
                w->overflow = true;
                return;
        }
        memcpy(w->buf + w->len, &tag, 2);
        memcpy(w->buf + w->len + 2, &l, 2);
        if (len > 0)
                memcpy(w->buf + w->len + FIELD_HEADER, data, len);
        w->len += FIELD_HEADER + len;
}

static void put_u32(struct writer *w, uint16_t tag, uint32_t v)
{
        put_field(w, tag, &v, sizeof(v));
}

static void put_u64(struct writer *w, uint16_t tag, uint64_t v)
{
        put_field(w, tag, &v, sizeof(v));
}

/* Empty strings are left out: absent and empty read back the same. */
static void put_str(struct writer *w, uint16_t tag, const struct record_str *s)
{
        if (s->len > 0)
                put_field(w, tag, s->s, s->len);
}

int record_encode(const struct record *r, void *buf, size_t size)
{
        struct writer w = { .buf = (unsigned char *) buf + RECORD_FRAME_SIZE };
        uint32_t magic = RECORD_MAGIC, len;
        uint64_t check;

        if (size < RECORD_FRAME_SIZE)
                return -ENOBUFS;
        w.size = size - RECORD_FRAME_SIZE < RECORD_PAYLOAD_MAX ? size - RECORD_FRAME_SIZE
                                                               : RECORD_PAYLOAD_MAX;
        put_u32(&w, TAG_TYPE, r->type);
        switch (r->type) {
        case RECORD_PUT:
                if (r->name.len == 0)
                        return -EINVAL;
                put_u64(&w, TAG_SERIAL, r->serial);
                put_u64(&w, TAG_GENERATION, r->generation);
                put_u32(&w, TAG_BACKEND, r->backend);
                put_u32(&w, TAG_FLAGS, r->flags);
                put_u32(&w, TAG_CREATOR_UID, r->creator_uid);
                put_u64(&w, TAG_SIZE, r->size);
                put_u64(&w, TAG_DEV, r->dev);
                put_u64(&w, TAG_INO, r->ino);
                put_u64(&w, TAG_CTIME, r->ctime_usec);
                put_u64(&w, TAG_SPEC, r->spec);
                put_str(&w, TAG_NAME, &r->name);
                put_str(&w, TAG_RULE_ID, &r->rule_id);
                put_str(&w, TAG_USER_NAME, &r->user_name);
                put_str(&w, TAG_APP_ID, &r->app_id);
                /* Lifecycle fields only where they say something. */
                if (r->lifetime != 0)
                        put_u32(&w, TAG_LIFETIME, r->lifetime);
                if (r->lifetime_usec != 0)
                        put_u64(&w, TAG_LIFETIME_USEC, r->lifetime_usec);
                if (r->last_open_usec != 0)
                        put_u64(&w, TAG_LAST_OPEN, r->last_open_usec);
                if (r->creator_pid != 0)
                        put_u32(&w, TAG_CREATOR_PID, r->creator_pid);
                if (r->creator_pidfs_ino != 0)
                        put_u64(&w, TAG_CREATOR_PIDFS_INO, r->creator_pidfs_ino);
                if (r->creator_start != 0)
                        put_u64(&w, TAG_CREATOR_START, r->creator_start);
                break;
        case RECORD_DEL:
                put_u64(&w, TAG_SERIAL, r->serial);
                break;
        case RECORD_GEN:
                put_u64(&w, TAG_GENERATION, r->generation);
                if (r->flags != 0)
                        put_u32(&w, TAG_FLAGS, r->flags);
                break;
        default:
                return -EINVAL;
        }
        if (w.overflow)
                return w.size < RECORD_PAYLOAD_MAX ? -ENOBUFS : -EINVAL;

        len = (uint32_t) w.len;
        check = record_hash(RECORD_HASH_INIT, w.buf, w.len);
        memcpy(buf, &magic, 4);
        memcpy((unsigned char *) buf + 4, &len, 4);
        memcpy((unsigned char *) buf + 8, &check, 8);
        return (int) (RECORD_FRAME_SIZE + w.len);
}

static int get_uint(const unsigned char *p, size_t len, size_t want, void *ret)
{
        if (len != want)
                return -EBADMSG;
        memcpy(ret, p, want);
        return 0;
}

/* Which fields each type must carry, as a bit per tag. */
#define BIT(t) (UINT32_C(1) << (t))
#define REQUIRED_PUT (BIT(TAG_TYPE) | BIT(TAG_SERIAL) | BIT(TAG_BACKEND) | \
                      BIT(TAG_CREATOR_UID) | BIT(TAG_SIZE) | BIT(TAG_NAME))
#define REQUIRED_DEL (BIT(TAG_TYPE) | BIT(TAG_SERIAL))
#define REQUIRED_GEN (BIT(TAG_TYPE) | BIT(TAG_GENERATION))

static int decode_field(struct record *r, uint16_t tag, const unsigned char *p, size_t len)
{
        struct record_str *s = NULL;
        uint32_t type = 0;
        int k;

        switch (tag) {
        case TAG_TYPE:
                k = get_uint(p, len, 4, &type);
                if (k >= 0 && (type < RECORD_PUT || type > RECORD_GEN))
                        k = -EBADMSG;
                r->type = (uint16_t) type;
                return k;
        case TAG_SERIAL:
                return get_uint(p, len, 8, &r->serial);
        case TAG_GENERATION:
                return get_uint(p, len, 8, &r->generation);
        case TAG_BACKEND:
                return get_uint(p, len, 4, &r->backend);
        case TAG_FLAGS:
                return get_uint(p, len, 4, &r->flags);
        case TAG_CREATOR_UID:
                return get_uint(p, len, 4, &r->creator_uid);
        case TAG_SIZE:
                return get_uint(p, len, 8, &r->size);
        case TAG_DEV:
                return get_uint(p, len, 8, &r->dev);
        case TAG_INO:
                return get_uint(p, len, 8, &r->ino);
        case TAG_CTIME:
                return get_uint(p, len, 8, &r->ctime_usec);
        case TAG_SPEC:
                return get_uint(p, len, 8, &r->spec);
        case TAG_LIFETIME:
                return get_uint(p, len, 4, &r->lifetime);
        case TAG_LIFETIME_USEC:
                return get_uint(p, len, 8, &r->lifetime_usec);
        case TAG_LAST_OPEN:
                return get_uint(p, len, 8, &r->last_open_usec);
        case TAG_CREATOR_PID:
                return get_uint(p, len, 4, &r->creator_pid);
        case TAG_CREATOR_PIDFS_INO:
                return get_uint(p, len, 8, &r->creator_pidfs_ino);
        case TAG_CREATOR_START:
                return get_uint(p, len, 8, &r->creator_start);
        case TAG_NAME:
                s = &r->name;
                break;
        case TAG_RULE_ID:
                s = &r->rule_id;
                break;
        case TAG_USER_NAME:
                s = &r->user_name;
                break;
        case TAG_APP_ID:
                s = &r->app_id;
                break;
        default:
                return 0; /* a field of a later version */
        }
        /* Strings are names: an embedded NUL would cut them short later, so refuse it. */
        if (len == 0 || memchr(p, '\0', len))
                return -EBADMSG;
        *s = (struct record_str) { .s = (const char *) p, .len = len };
        return 0;
}

int record_frame(const void *buf, size_t len)
{
        const unsigned char *b = buf;
        uint32_t magic, plen;

        if (len < RECORD_FRAME_SIZE)
                return -EBADMSG;
        memcpy(&magic, b, 4);
        memcpy(&plen, b + 4, 4);
        if (magic != RECORD_MAGIC || plen > RECORD_PAYLOAD_MAX ||
            plen > len - RECORD_FRAME_SIZE)
                return -EBADMSG;
        return (int) (RECORD_FRAME_SIZE + plen);
}

int record_decode(const void *buf, size_t len, struct record *ret)
{
        const unsigned char *b = buf, *p, *end;
        uint32_t plen, seen = 0, required;
        uint64_t check;
        struct record r = {};
        int n;

        n = record_frame(buf, len);
        if (n < 0)
                return n;
        plen = (uint32_t) n - RECORD_FRAME_SIZE;
        memcpy(&check, b + 8, 8);
        p = b + RECORD_FRAME_SIZE;
        end = p + plen;
        if (record_hash(RECORD_HASH_INIT, p, plen) != check)
                return -EBADMSG;

        while (p < end) {
                uint16_t tag, flen;

                if ((size_t) (end - p) < FIELD_HEADER)
                        return -EBADMSG;
                memcpy(&tag, p, 2);
                memcpy(&flen, p + 2, 2);
                p += FIELD_HEADER;
                if ((size_t) (end - p) < flen)
                        return -EBADMSG;
                if (tag < 32) {
                        /* Each field once: a second one would be ambiguous. */
                        if (seen & BIT(tag))
                                return -EBADMSG;
                        seen |= BIT(tag);
                }
                if (decode_field(&r, tag, p, flen) < 0)
                        return -EBADMSG;
                p += flen;
        }

        switch (r.type) {
        case RECORD_PUT:
                required = REQUIRED_PUT;
                break;
        case RECORD_DEL:
                required = REQUIRED_DEL;
                break;
        case RECORD_GEN:
                required = REQUIRED_GEN;
                break;
        default:
                return -EBADMSG;
        }
        if ((seen & required) != required || (r.type != RECORD_GEN && r.serial == 0))
                return -EBADMSG;
        *ret = r;
        return n;
}
