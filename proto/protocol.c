/* SPDX-License-Identifier: MIT */
/*
 * protocol.c - encode and decode shmbroker packets.
 *
 * Pure functions: bytes in, structs out (or the reverse), with every length checked against
 * what actually arrived. No I/O, no allocation, no logging. This is the fuzz target.
 */
#include <errno.h>
#include <string.h>

#include "protocol.h"

static void header_init(struct shmb_proto_header *h, uint16_t type, uint32_t seq, size_t len,
                        uint16_t n_fds)
{
        *h = (struct shmb_proto_header) {
                .magic = SHMB_PROTO_MAGIC,
                .version = SHMB_PROTO_VERSION,
                .type = type,
                .seq = seq,
                .len = (uint32_t) len,
                .n_fds = n_fds,
        };
}

/*
 * Writes header + fixed part + optional trailing bytes. Every encoder ends here, so the
 * size check lives in one place.
 */
static int encode(void *buf, size_t size, uint16_t type, uint32_t seq, uint16_t n_fds,
                  const void *fixed, size_t fixed_len, const void *tail, size_t tail_len)
{
        struct shmb_proto_header h;
        size_t total = sizeof(h) + fixed_len + tail_len;
        uint8_t *p = buf;

        if (total > size || total > SHMB_PROTO_MSG_MAX)
                return -ENOBUFS;

        header_init(&h, type, seq, fixed_len + tail_len, n_fds);
        memcpy(p, &h, sizeof(h));
        if (fixed_len > 0)
                memcpy(p + sizeof(h), fixed, fixed_len);
        if (tail_len > 0)
                memcpy(p + sizeof(h) + fixed_len, tail, tail_len);
        return (int) total;
}

static int name_len_checked(const char *name, uint16_t *ret)
{
        size_t n;

        if (!name)
                return -EINVAL;
        n = strlen(name);
        if (n > SHMB_PROTO_NAME_WIRE_MAX)
                return -ENAMETOOLONG;
        *ret = (uint16_t) n;
        return 0;
}

int shmb_proto_encode_create(void *buf, size_t size, uint32_t seq, const char *name,
                             uint64_t object_size, uint32_t access)
{
        struct shmb_proto_create c = { .size = object_size, .access = access };
        int r;

        r = name_len_checked(name, &c.name_len);
        if (r < 0)
                return r;
        return encode(buf, size, SHMB_PROTO_CREATE, seq, 0, &c, sizeof(c), name, c.name_len);
}

int shmb_proto_encode_open(void *buf, size_t size, uint32_t seq, const char *name,
                           uint32_t access)
{
        struct shmb_proto_open o = { .access = access };
        int r;

        r = name_len_checked(name, &o.name_len);
        if (r < 0)
                return r;
        return encode(buf, size, SHMB_PROTO_OPEN, seq, 0, &o, sizeof(o), name, o.name_len);
}

int shmb_proto_encode_name_req(void *buf, size_t size, uint16_t type, uint32_t seq,
                               const char *name)
{
        struct shmb_proto_name_req n = {};
        int r;

        if (type != SHMB_PROTO_UNLINK && type != SHMB_PROTO_STAT && type != SHMB_PROTO_LIST)
                return -EINVAL;
        r = name_len_checked(name, &n.name_len);
        if (r < 0)
                return r;
        return encode(buf, size, type, seq, 0, &n, sizeof(n), name, n.name_len);
}

int shmb_proto_encode_open_batch(void *buf, size_t size, uint32_t seq, const char *const *names,
                                 const uint32_t *access, size_t n)
{
        struct shmb_proto_batch_req b = { .n = (uint32_t) n };
        struct shmb_proto_header h;
        uint8_t *p = buf;
        size_t i, off, total = sizeof(h) + sizeof(b) + n * sizeof(struct shmb_proto_batch_item);
        int r;

        if (n == 0 || n > SHMB_PROTO_BATCH_MAX)
                return -EINVAL;
        for (i = 0; i < n; i++) {
                uint16_t len;

                r = name_len_checked(names[i], &len);
                if (r < 0)
                        return r;
                total += len;
        }
        if (total > size || total > SHMB_PROTO_MSG_MAX)
                return -ENOBUFS;

        header_init(&h, SHMB_PROTO_OPEN_BATCH, seq, total - sizeof(h), 0);
        memcpy(p, &h, sizeof(h));
        memcpy(p + sizeof(h), &b, sizeof(b));
        off = sizeof(h) + sizeof(b);
        for (i = 0; i < n; i++) {
                struct shmb_proto_batch_item it = {
                        .access = access[i], .name_len = (uint16_t) strlen(names[i]),
                };

                memcpy(p + off, &it, sizeof(it));
                off += sizeof(it);
        }
        for (i = 0; i < n; i++) {
                size_t len = strlen(names[i]);

                memcpy(p + off, names[i], len);
                off += len;
        }
        return (int) total;
}

int shmb_proto_encode_batch_reply(void *buf, size_t size, uint32_t seq,
                                  const struct shmb_proto_batch_result *results, size_t n)
{
        struct shmb_proto_batch_reply b = { .n = (uint32_t) n };
        size_t i, n_fds = 0;

        if (n == 0 || n > SHMB_PROTO_BATCH_MAX)
                return -EINVAL;
        for (i = 0; i < n; i++)
                n_fds += results[i].error == 0;
        return encode(buf, size, SHMB_PROTO_REPLY_BATCH, seq, (uint16_t) n_fds, &b, sizeof(b),
                      results, n * sizeof(*results));
}

int shmb_proto_encode_error(void *buf, size_t size, uint32_t seq, int error)
{
        struct shmb_proto_error e = { .error = error };

        if (error <= 0)
                return -EINVAL;
        return encode(buf, size, SHMB_PROTO_REPLY_ERROR, seq, 0, &e, sizeof(e), NULL, 0);
}

int shmb_proto_encode_ok(void *buf, size_t size, uint32_t seq)
{
        return encode(buf, size, SHMB_PROTO_REPLY_OK, seq, 0, NULL, 0, NULL, 0);
}

int shmb_proto_encode_fd_reply(void *buf, size_t size, uint32_t seq,
                               const struct shmb_proto_fd_reply *fd)
{
        return encode(buf, size, SHMB_PROTO_REPLY_FD, seq, 1, fd, sizeof(*fd), NULL, 0);
}

int shmb_proto_encode_stat_reply(void *buf, size_t size, uint32_t seq,
                                 const struct shmb_proto_stat_reply *st,
                                 const struct shmb_proto_acl_entry *acl)
{
        if (st->n_acl > SHMB_PROTO_ACL_MAX)
                return -EINVAL;
        return encode(buf, size, SHMB_PROTO_REPLY_STAT, seq, 0, st, sizeof(*st), acl,
                      st->n_acl * sizeof(*acl));
}

int shmb_proto_list_begin(struct shmb_proto_list_builder *b, void *buf, size_t size,
                          uint32_t seq)
{
        struct shmb_proto_header h;
        size_t start = sizeof(h) + sizeof(struct shmb_proto_list_reply);

        if (size < start)
                return -ENOBUFS;
        if (size > SHMB_PROTO_MSG_MAX)
                size = SHMB_PROTO_MSG_MAX;
        header_init(&h, SHMB_PROTO_REPLY_LIST, seq, 0, 0);
        memcpy(buf, &h, sizeof(h));
        *b = (struct shmb_proto_list_builder) { .buf = buf, .size = size, .len = start };
        return 0;
}

int shmb_proto_list_append(struct shmb_proto_list_builder *b, const char *name)
{
        size_t n = strlen(name);
        uint16_t n16 = (uint16_t) n;

        if (n == 0 || n > SHMB_PROTO_NAME_MAX)
                return -EINVAL;
        if (b->size - b->len < sizeof(n16) + n)
                return -ENOBUFS;
        memcpy(b->buf + b->len, &n16, sizeof(n16));
        memcpy(b->buf + b->len + sizeof(n16), name, n);
        b->len += sizeof(n16) + n;
        b->n_names++;
        return 0;
}

int shmb_proto_list_finish(struct shmb_proto_list_builder *b, uint32_t flags)
{
        struct shmb_proto_header h;
        struct shmb_proto_list_reply l = { .n_names = b->n_names, .flags = flags };

        memcpy(&h, b->buf, sizeof(h));
        h.len = (uint32_t) (b->len - sizeof(h));
        memcpy(b->buf, &h, sizeof(h));
        memcpy(b->buf + sizeof(h), &l, sizeof(l));
        return (int) b->len;
}

/*
 * Checks the header against the packet as it arrived: magic, version, exact length, fd count,
 * zero flags and reserved bits. On success *ret_payload points at len bytes of payload.
 */
static int decode_header(const void *buf, size_t len, size_t n_fds, struct shmb_proto_header *h,
                         const uint8_t **ret_payload)
{
        if (len < sizeof(*h) || len > SHMB_PROTO_MSG_MAX)
                return -EBADMSG;
        memcpy(h, buf, sizeof(*h));
        if (h->magic != SHMB_PROTO_MAGIC)
                return -EBADMSG;
        if (h->version != SHMB_PROTO_VERSION)
                return -EPROTONOSUPPORT;
        if ((size_t) h->len != len - sizeof(*h))
                return -EBADMSG;
        if ((size_t) h->n_fds != n_fds)
                return -EBADMSG;
        if (h->flags != 0 || h->reserved != 0)
                return -EBADMSG;
        *ret_payload = (const uint8_t *) buf + sizeof(*h);
        return 0;
}

/* Payload is exactly a fixed struct of fixed_len bytes, then name_len bytes of name. */
static int decode_name_tail(const uint8_t *payload, size_t len, size_t fixed_len,
                            uint16_t name_len, struct shmb_proto_request *ret)
{
        if (len != fixed_len + name_len)
                return -EBADMSG;
        if (name_len > SHMB_PROTO_NAME_WIRE_MAX)
                return -EBADMSG;
        memcpy(ret->name, payload + fixed_len, name_len);
        ret->name[name_len] = '\0';
        ret->name_len = name_len;
        return 0;
}

static int decode_batch(const uint8_t *p, size_t len, struct shmb_proto_request *ret)
{
        struct shmb_proto_batch_req b;
        size_t i, off, names_len = 0;

        if (len < sizeof(b))
                return -EBADMSG;
        memcpy(&b, p, sizeof(b));
        if (b.reserved != 0 || b.n == 0 || b.n > SHMB_PROTO_BATCH_MAX)
                return -EBADMSG;
        if (len - sizeof(b) < b.n * sizeof(struct shmb_proto_batch_item))
                return -EBADMSG;

        off = sizeof(b);
        for (i = 0; i < b.n; i++) {
                struct shmb_proto_batch_item it;

                memcpy(&it, p + off, sizeof(it));
                off += sizeof(it);
                if (it.reserved != 0 || it.access == SHMB_PROTO_ACCESS_NONE ||
                    it.access > SHMB_PROTO_ACCESS_ANY || it.name_len > SHMB_PROTO_NAME_WIRE_MAX)
                        return -EBADMSG;
                ret->items[i].access = it.access;
                ret->items[i].name_len = it.name_len;
                names_len += it.name_len;
        }
        if (len - off != names_len)
                return -EBADMSG;
        for (i = 0; i < b.n; i++) {
                ret->items[i].name = (const char *) p + off;
                off += ret->items[i].name_len;
        }
        ret->n_items = b.n;
        ret->name_len = 0;
        ret->name[0] = '\0';
        return 0;
}

int shmb_proto_decode_request(const void *buf, size_t len, size_t n_fds,
                              struct shmb_proto_request *ret)
{
        struct shmb_proto_header h;
        const uint8_t *p;
        int r;

        r = decode_header(buf, len, n_fds, &h, &p);
        if (r < 0)
                return r;
        if (h.n_fds != 0)
                return -EBADMSG;

        ret->type = h.type;
        ret->seq = h.seq;
        ret->access = SHMB_PROTO_ACCESS_NONE;
        ret->size = 0;
        ret->n_items = 0;

        switch (h.type) {
        case SHMB_PROTO_CREATE: {
                struct shmb_proto_create c;

                if (h.len < sizeof(c))
                        return -EBADMSG;
                memcpy(&c, p, sizeof(c));
                if (c.reserved != 0 || c.access > SHMB_PROTO_ACCESS_ANY)
                        return -EBADMSG;
                ret->size = c.size;
                ret->access = c.access;
                return decode_name_tail(p, h.len, sizeof(c), c.name_len, ret);
        }
        case SHMB_PROTO_OPEN: {
                struct shmb_proto_open o;

                if (h.len < sizeof(o))
                        return -EBADMSG;
                memcpy(&o, p, sizeof(o));
                if (o.reserved != 0 || o.access == SHMB_PROTO_ACCESS_NONE ||
                    o.access > SHMB_PROTO_ACCESS_ANY)
                        return -EBADMSG;
                ret->access = o.access;
                return decode_name_tail(p, h.len, sizeof(o), o.name_len, ret);
        }
        case SHMB_PROTO_UNLINK:
        case SHMB_PROTO_STAT:
        case SHMB_PROTO_LIST: {
                struct shmb_proto_name_req n;

                if (h.len < sizeof(n))
                        return -EBADMSG;
                memcpy(&n, p, sizeof(n));
                if (n.reserved != 0 || n.reserved2 != 0)
                        return -EBADMSG;
                return decode_name_tail(p, h.len, sizeof(n), n.name_len, ret);
        }
        case SHMB_PROTO_OPEN_BATCH:
                return decode_batch(p, h.len, ret);
        default:
                /* A well-formed packet of a type this daemon does not know. */
                return -EOPNOTSUPP;
        }
}

static int decode_list(const uint8_t *p, size_t len, struct shmb_proto_reply *ret)
{
        struct shmb_proto_list_reply l;
        size_t off, n;

        if (len < sizeof(l))
                return -EBADMSG;
        memcpy(&l, p, sizeof(l));
        if (l.flags & ~(uint32_t) SHMB_PROTO_LIST_MORE)
                return -EBADMSG;

        ret->list_flags = l.flags;
        ret->n_names = l.n_names;
        ret->names = p + sizeof(l);
        ret->names_len = len - sizeof(l);

        /* Walk the entries once so that the caller's iteration cannot run off the end. */
        for (off = 0, n = 0; off < ret->names_len; n++) {
                uint16_t nl;

                if (ret->names_len - off < sizeof(nl))
                        return -EBADMSG;
                memcpy(&nl, ret->names + off, sizeof(nl));
                off += sizeof(nl);
                if (nl == 0 || nl > SHMB_PROTO_NAME_MAX || ret->names_len - off < nl)
                        return -EBADMSG;
                off += nl;
        }
        if (n != l.n_names)
                return -EBADMSG;
        return 0;
}

static int decode_batch_reply(const uint8_t *p, size_t len, size_t n_fds,
                              struct shmb_proto_reply *ret)
{
        struct shmb_proto_batch_reply b;
        size_t i, ok = 0;

        if (len < sizeof(b))
                return -EBADMSG;
        memcpy(&b, p, sizeof(b));
        if (b.reserved != 0 || b.n == 0 || b.n > SHMB_PROTO_BATCH_MAX ||
            len != sizeof(b) + b.n * sizeof(ret->results[0]))
                return -EBADMSG;
        memcpy(ret->results, p + sizeof(b), b.n * sizeof(ret->results[0]));
        for (i = 0; i < b.n; i++) {
                const struct shmb_proto_batch_result *r = &ret->results[i];

                if (r->reserved != 0 || r->error < 0)
                        return -EBADMSG;
                if (r->error == 0) {
                        if (r->access != SHMB_PROTO_ACCESS_RDONLY &&
                            r->access != SHMB_PROTO_ACCESS_RDWR)
                                return -EBADMSG;
                        ok++;
                }
        }
        if (ok != n_fds)
                return -EBADMSG;
        ret->n_results = b.n;
        return 0;
}

int shmb_proto_decode_reply(const void *buf, size_t len, size_t n_fds,
                            struct shmb_proto_reply *ret)
{
        struct shmb_proto_header h;
        const uint8_t *p;
        int r;

        r = decode_header(buf, len, n_fds, &h, &p);
        if (r < 0)
                return r;

        ret->type = h.type;
        ret->seq = h.seq;

        switch (h.type) {
        case SHMB_PROTO_REPLY_ERROR: {
                struct shmb_proto_error e;

                if (h.len != sizeof(e) || h.n_fds != 0)
                        return -EBADMSG;
                memcpy(&e, p, sizeof(e));
                if (e.error <= 0 || e.reserved != 0)
                        return -EBADMSG;
                ret->error = e.error;
                return 0;
        }
        case SHMB_PROTO_REPLY_FD:
                if (h.len != sizeof(ret->fd) || h.n_fds != 1)
                        return -EBADMSG;
                memcpy(&ret->fd, p, sizeof(ret->fd));
                if (ret->fd.access != SHMB_PROTO_ACCESS_RDONLY &&
                    ret->fd.access != SHMB_PROTO_ACCESS_RDWR)
                        return -EBADMSG;
                return 0;
        case SHMB_PROTO_REPLY_OK:
                if (h.len != 0 || h.n_fds != 0)
                        return -EBADMSG;
                return 0;
        case SHMB_PROTO_REPLY_STAT:
                if (h.len < sizeof(ret->stat) || h.n_fds != 0)
                        return -EBADMSG;
                memcpy(&ret->stat, p, sizeof(ret->stat));
                if (ret->stat.n_acl > SHMB_PROTO_ACL_MAX ||
                    h.len != sizeof(ret->stat) + ret->stat.n_acl * sizeof(ret->acl[0]))
                        return -EBADMSG;
                memcpy(ret->acl, p + sizeof(ret->stat), ret->stat.n_acl * sizeof(ret->acl[0]));
                return 0;
        case SHMB_PROTO_REPLY_LIST:
                if (h.n_fds != 0)
                        return -EBADMSG;
                return decode_list(p, h.len, ret);
        case SHMB_PROTO_REPLY_BATCH:
                return decode_batch_reply(p, h.len, h.n_fds, ret);
        default:
                return -EBADMSG;
        }
}

int shmb_proto_list_next(const struct shmb_proto_reply *r, size_t *cursor, const char **ret_name,
                         size_t *ret_len)
{
        uint16_t nl;

        if (*cursor >= r->names_len)
                return 0;
        if (r->names_len - *cursor < sizeof(nl))
                return -EBADMSG;
        memcpy(&nl, r->names + *cursor, sizeof(nl));
        if (nl == 0 || r->names_len - *cursor - sizeof(nl) < nl)
                return -EBADMSG;
        *ret_name = (const char *) r->names + *cursor + sizeof(nl);
        *ret_len = nl;
        *cursor += sizeof(nl) + nl;
        return 1;
}
