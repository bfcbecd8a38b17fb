/* SPDX-License-Identifier: MIT */
/*
 * protocol.c - encode and decode shmbroker packets.
 *
 * Pure functions: bytes in, structs out (or the reverse), with every length checked against
 * what actually arrived. No I/O, no allocation, no logging, no globals. This is the fuzz
 * target.
 *
 * The decoders check the form of a packet: exact lengths, reserved fields 0, enum values in
 * range, only the flags a type knows, strings within their maxima and, for the strings that
 * are not object names, no NUL inside. They do not judge object names (shmb_name_normalize()
 * does, so that a bad name is a clean EINVAL rather than a protocol error) or policy. The
 * encoders refuse (-EINVAL) whatever their decoder would reject, so that anything encoded
 * decodes.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "protocol.h"

#define ELEMENTS(x) (sizeof(x) / sizeof((x)[0]))

#define OBJ_FLAGS                                                                       \
        (SHMB_PROTO_OBJ_ORPHAN | SHMB_PROTO_OBJ_PUBLISHED | SHMB_PROTO_OBJ_SEAL_WRITE |  \
         SHMB_PROTO_OBJ_SEAL_FUTURE_WRITE | SHMB_PROTO_OBJ_FRESH |                       \
         SHMB_PROTO_OBJ_CREATOR_GONE)
#define RIGHTS (SHMB_PROTO_RIGHT_READ | SHMB_PROTO_RIGHT_WRITE | SHMB_PROTO_RIGHT_CREATE)
#define LIST_FLAGS (SHMB_PROTO_LIST_MORE | SHMB_PROTO_LIST_DETAILS)
#define STATUS_FLAGS (SHMB_PROTO_STATUS_MORE | SHMB_PROTO_STATUS_KEPT_POLICY)
#define EXPLAIN_REQ_FLAGS (SHMB_PROTO_EXPLAIN_USER | SHMB_PROTO_EXPLAIN_APP)
#define EXPLAIN_REPLY_FLAGS                                                             \
        (SHMB_PROTO_EXPLAIN_RULE | SHMB_PROTO_EXPLAIN_OBJECT | SHMB_PROTO_EXPLAIN_HANDED | \
         SHMB_PROTO_EXPLAIN_DETAILED)

/* ---------------------------------------------------------------- shared checks */

static bool has_nul(const void *p, size_t n)
{
        return n > 0 && memchr(p, '\0', n) != NULL;
}

/* The request flags each name request may carry. */
static uint32_t name_req_flags(uint16_t type)
{
        switch (type) {
        case SHMB_PROTO_LIST:
                return SHMB_PROTO_NAME_ALL | SHMB_PROTO_NAME_DETAILS;
        case SHMB_PROTO_STAT:
        case SHMB_PROTO_UNLINK:
                return SHMB_PROTO_NAME_ALL;
        default:
                return 0;
        }
}

static bool is_name_req(uint16_t type)
{
        return type == SHMB_PROTO_UNLINK || type == SHMB_PROTO_STAT || type == SHMB_PROTO_LIST ||
               type == SHMB_PROTO_STATUS || type == SHMB_PROTO_WATCH;
}

/*
 * A lifetime as a create asks for it (DEFAULT allowed) or as an object has it (stat, list
 * details: never DEFAULT). lifetime_usec means something for SPAN only, and is 0 otherwise,
 * so that no field carries a value nobody reads.
 */
static bool lifetime_valid(uint32_t lifetime, uint64_t usec, bool asked)
{
        if (lifetime > SHMB_PROTO_LIFETIME_SPAN)
                return false;
        if (!asked && lifetime == SHMB_PROTO_LIFETIME_DEFAULT)
                return false;
        return lifetime == SHMB_PROTO_LIFETIME_SPAN || usec == 0;
}

static bool access_granted_valid(uint32_t access)
{
        return access == SHMB_PROTO_ACCESS_RDONLY || access == SHMB_PROTO_ACCESS_RDWR;
}

/* The fixed part of an fd reply (REPLY_FD, REPLY_FD_CACHED): a grant is RDONLY or RDWR, with
 * known OBJ flags. */
static bool fd_reply_valid(const struct shmb_proto_fd_reply *f)
{
        return access_granted_valid(f->access) && (f->flags & ~(uint32_t) OBJ_FLAGS) == 0;
}

/* A batch result: OBJ flags on success, a reason on failure; a grant is RDONLY or RDWR. */
static bool batch_result_valid(const struct shmb_proto_batch_result *r)
{
        if (r->error < 0)
                return false;
        if (r->error > 0)
                return r->flags < _SHMB_PROTO_REASON_MAX;
        return access_granted_valid(r->access) && (r->flags & ~(uint32_t) OBJ_FLAGS) == 0;
}

static bool stat_reply_valid(const struct shmb_proto_stat_reply *st)
{
        return st->n_acl <= SHMB_PROTO_ACL_MAX && (st->rights & ~(uint32_t) RIGHTS) == 0 &&
               (st->flags & ~(uint32_t) OBJ_FLAGS) == 0 &&
               lifetime_valid(st->lifetime, st->lifetime_usec, false) &&
               st->rule_len <= SHMB_PROTO_RULE_ID_MAX && st->app_len <= SHMB_PROTO_APP_ID_MAX;
}

static bool list_detail_valid(const struct shmb_proto_list_detail *d)
{
        return (d->lifetime == SHMB_PROTO_LIFETIME_SPAN) == (d->ends_in_sec != 0) &&
               (d->flags & ~(uint32_t) OBJ_FLAGS) == 0 &&
               lifetime_valid(d->lifetime, d->lifetime_usec, false) &&
               d->rule_len <= SHMB_PROTO_RULE_ID_MAX && d->app_len <= SHMB_PROTO_APP_ID_MAX;
}

static bool explain_reply_valid(const struct shmb_proto_explain_reply *ex)
{
        size_t i;

        if (ex->reserved != 0 || (ex->flags & ~(uint32_t) EXPLAIN_REPLY_FLAGS) != 0 ||
            (ex->rights & ~(uint32_t) RIGHTS) != 0 ||
            ex->object_reason >= _SHMB_PROTO_REASON_MAX ||
            ex->rule_len > SHMB_PROTO_RULE_ID_MAX ||
            ex->user_name_len > SHMB_PROTO_USER_NAME_MAX)
                return false;
        /* The flag says that a rule decides, rule_len names it: they cannot disagree. */
        if (!(ex->flags & SHMB_PROTO_EXPLAIN_RULE) != (ex->rule_len == 0))
                return false;
        /* Handed out presupposes that it exists. */
        if ((ex->flags & SHMB_PROTO_EXPLAIN_HANDED) && !(ex->flags & SHMB_PROTO_EXPLAIN_OBJECT))
                return false;
        for (i = 0; i < _SHMB_PROTO_VERB_MAX; i++) {
                if (ex->error[i] < 0 || ex->reason[i] >= _SHMB_PROTO_REASON_MAX)
                        return false;
                /* An allowed verb has nothing to explain. */
                if (ex->error[i] == 0 && ex->reason[i] != SHMB_PROTO_REASON_NONE)
                        return false;
        }
        return true;
}

static bool event_valid(uint32_t event, size_t name_len)
{
        if (event < SHMB_PROTO_EVENT_CREATED || event > SHMB_PROTO_EVENT_OVERFLOW)
                return false;
        /* An overflow is about no name; every other event names its object. */
        if (event == SHMB_PROTO_EVENT_OVERFLOW)
                return name_len == 0;
        return name_len >= 1 && name_len <= SHMB_PROTO_NAME_MAX;
}

/* A rule ID is cut to what the wire carries; anything else too long is refused. */
static size_t rule_len_cut(const char *rule)
{
        size_t n = rule ? strlen(rule) : 0;

        return n > SHMB_PROTO_RULE_ID_MAX ? SHMB_PROTO_RULE_ID_MAX : n;
}

static int opt_len(const char *s, size_t max, uint16_t *ret)
{
        size_t n = s ? strlen(s) : 0;

        if (n > max)
                return -EINVAL;
        *ret = (uint16_t) n;
        return 0;
}

/* ---------------------------------------------------------------- encoding */

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

/* A piece of a packet: @len bytes at @p (NULL only when @len is 0). */
struct piece {
        const void *p;
        size_t len;
};

/*
 * Writes the header, then the pieces one after another. Every encoder ends here, so the size
 * check lives in one place.
 */
static int encode_pieces(void *buf, size_t size, uint16_t type, uint32_t seq, uint16_t n_fds,
                         const struct piece *pieces, size_t n_pieces)
{
        struct shmb_proto_header h;
        size_t total = sizeof(h), i;
        uint8_t *p = buf;

        for (i = 0; i < n_pieces; i++) {
                /* Each piece is at most 64 KiB: this cannot wrap. */
                if (pieces[i].len > SHMB_PROTO_MSG_MAX)
                        return -ENOBUFS;
                total += pieces[i].len;
        }
        if (total > size || total > SHMB_PROTO_MSG_MAX)
                return -ENOBUFS;

        header_init(&h, type, seq, total - sizeof(h), n_fds);
        memcpy(p, &h, sizeof(h));
        p += sizeof(h);
        for (i = 0; i < n_pieces; i++)
                if (pieces[i].len > 0) {
                        memcpy(p, pieces[i].p, pieces[i].len);
                        p += pieces[i].len;
                }
        return (int) total;
}

static int encode(void *buf, size_t size, uint16_t type, uint32_t seq, uint16_t n_fds,
                  const void *fixed, size_t fixed_len, const void *tail, size_t tail_len)
{
        const struct piece pieces[] = { { fixed, fixed_len }, { tail, tail_len } };

        return encode_pieces(buf, size, type, seq, n_fds, pieces, 2);
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
                             const struct shmb_proto_create_args *a)
{
        struct shmb_proto_create c;
        int r;

        if (!a || a->access > SHMB_PROTO_ACCESS_ANY ||
            (a->flags & ~(uint32_t) SHMB_PROTO_CREATE_UNSIZED) != 0 ||
            !lifetime_valid(a->lifetime, a->lifetime_usec, true))
                return -EINVAL;
        /* Unsized means size 0 until RESIZE: a size with it would say two things. */
        if ((a->flags & SHMB_PROTO_CREATE_UNSIZED) && a->size != 0)
                return -EINVAL;
        c = (struct shmb_proto_create) {
                .size = a->size, .access = a->access, .flags = a->flags,
                .lifetime_usec = a->lifetime_usec, .lifetime = a->lifetime,
        };
        r = name_len_checked(name, &c.name_len);
        if (r < 0)
                return r;
        return encode(buf, size, SHMB_PROTO_CREATE, seq, 0, &c, sizeof(c), name, c.name_len);
}

int shmb_proto_encode_open_as(void *buf, size_t size, uint16_t type, uint32_t seq,
                              const char *name, uint32_t access)
{
        struct shmb_proto_open o = { .access = access };
        int r;

        if ((type != SHMB_PROTO_OPEN && type != SHMB_PROTO_OPEN_CACHED) ||
            access == SHMB_PROTO_ACCESS_NONE || access > SHMB_PROTO_ACCESS_ANY)
                return -EINVAL;
        r = name_len_checked(name, &o.name_len);
        if (r < 0)
                return r;
        return encode(buf, size, type, seq, 0, &o, sizeof(o), name, o.name_len);
}

int shmb_proto_encode_open(void *buf, size_t size, uint32_t seq, const char *name,
                           uint32_t access)
{
        return shmb_proto_encode_open_as(buf, size, SHMB_PROTO_OPEN, seq, name, access);
}

int shmb_proto_encode_cache_page(void *buf, size_t size, uint32_t seq)
{
        return encode(buf, size, SHMB_PROTO_CACHE_PAGE, seq, 0, NULL, 0, NULL, 0);
}

int shmb_proto_encode_name_req(void *buf, size_t size, uint16_t type, uint32_t seq,
                               const char *name, uint32_t flags)
{
        struct shmb_proto_name_req n = { .flags = flags };
        int r;

        if (!is_name_req(type) || (flags & ~name_req_flags(type)) != 0)
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

                if (access[i] == SHMB_PROTO_ACCESS_NONE || access[i] > SHMB_PROTO_ACCESS_ANY)
                        return -EINVAL;
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

int shmb_proto_encode_resize(void *buf, size_t size, uint32_t seq, const char *name,
                             uint64_t object_size)
{
        struct shmb_proto_resize rs = { .size = object_size };
        int r;

        r = name_len_checked(name, &rs.name_len);
        if (r < 0)
                return r;
        return encode(buf, size, SHMB_PROTO_RESIZE, seq, 0, &rs, sizeof(rs), name, rs.name_len);
}

int shmb_proto_encode_publish(void *buf, size_t size, uint32_t seq, const char *name,
                              uint32_t mode)
{
        struct shmb_proto_publish pb = { .mode = mode };
        int r;

        if (mode != SHMB_PROTO_PUBLISH_SEAL && mode != SHMB_PROTO_PUBLISH_FUTURE)
                return -EINVAL;
        r = name_len_checked(name, &pb.name_len);
        if (r < 0)
                return r;
        return encode(buf, size, SHMB_PROTO_PUBLISH, seq, 0, &pb, sizeof(pb), name, pb.name_len);
}

int shmb_proto_encode_wait(void *buf, size_t size, uint32_t seq, const char *name,
                           uint64_t timeout_usec, uint32_t flags)
{
        struct shmb_proto_wait w = { .timeout_usec = timeout_usec, .flags = flags };
        int r;

        if ((flags & ~(uint32_t) SHMB_PROTO_WAIT_PUBLISHED) != 0)
                return -EINVAL;
        r = name_len_checked(name, &w.name_len);
        if (r < 0)
                return r;
        return encode(buf, size, SHMB_PROTO_WAIT, seq, 0, &w, sizeof(w), name, w.name_len);
}

int shmb_proto_encode_app_socket(void *buf, size_t size, uint32_t seq, const char *app_id)
{
        struct shmb_proto_app_socket a = {};
        int r;

        if (!app_id)
                return -EINVAL;
        r = opt_len(app_id, SHMB_PROTO_APP_ID_MAX, &a.app_len);
        if (r < 0)
                return r;
        return encode(buf, size, SHMB_PROTO_APP_SOCKET, seq, 0, &a, sizeof(a), app_id, a.app_len);
}

int shmb_proto_encode_explain(void *buf, size_t size, uint32_t seq, const char *name,
                              const struct shmb_proto_explain_user *user, const char *app_id)
{
        struct shmb_proto_explain e = {};
        struct piece pieces[5];
        int r;

        r = name_len_checked(name, &e.name_len);
        if (r < 0)
                return r;
        if (user) {
                if (user->n_groups > SHMB_PROTO_GROUPS_MAX || (user->n_groups > 0 && !user->groups))
                        return -EINVAL;
                r = opt_len(user->user_name, SHMB_PROTO_USER_NAME_MAX, &e.user_name_len);
                if (r < 0)
                        return r;
                e.flags |= SHMB_PROTO_EXPLAIN_USER;
                e.uid = user->uid;
                e.gid = user->gid;
                e.n_groups = (uint16_t) user->n_groups;
        }
        if (app_id) {
                /* With EXPLAIN_APP, an app id is there: an empty one would say nothing. */
                r = opt_len(app_id, SHMB_PROTO_APP_ID_MAX, &e.app_len);
                if (r < 0 || e.app_len == 0)
                        return -EINVAL;
                e.flags |= SHMB_PROTO_EXPLAIN_APP;
        }
        pieces[0] = (struct piece) { &e, sizeof(e) };
        pieces[1] = (struct piece) { user ? user->groups : NULL, e.n_groups * sizeof(uint32_t) };
        pieces[2] = (struct piece) { name, e.name_len };
        pieces[3] = (struct piece) { user ? user->user_name : NULL, e.user_name_len };
        pieces[4] = (struct piece) { app_id, e.app_len };
        return encode_pieces(buf, size, SHMB_PROTO_EXPLAIN, seq, 0, pieces, ELEMENTS(pieces));
}

int shmb_proto_encode_batch_reply(void *buf, size_t size, uint32_t seq,
                                  const struct shmb_proto_batch_result *results, size_t n)
{
        struct shmb_proto_batch_reply b = { .n = (uint32_t) n };
        size_t i, n_fds = 0;

        if (n == 0 || n > SHMB_PROTO_BATCH_MAX || !results)
                return -EINVAL;
        for (i = 0; i < n; i++) {
                if (!batch_result_valid(&results[i]))
                        return -EINVAL;
                n_fds += results[i].error == 0;
        }
        return encode(buf, size, SHMB_PROTO_REPLY_BATCH, seq, (uint16_t) n_fds, &b, sizeof(b),
                      results, n * sizeof(*results));
}

int shmb_proto_encode_error(void *buf, size_t size, uint32_t seq, int error, uint32_t reason)
{
        struct shmb_proto_error e = { .error = error, .reason = reason };

        if (error <= 0 || reason >= _SHMB_PROTO_REASON_MAX)
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
        struct shmb_proto_fd_reply f;

        if (!fd || !fd_reply_valid(fd))
                return -EINVAL;
        f = *fd;
        f.reserved = 0;
        return encode(buf, size, SHMB_PROTO_REPLY_FD, seq, 1, &f, sizeof(f), NULL, 0);
}

static bool ticket_valid(const struct shmb_proto_fd_cached_reply *t)
{
        return t->reserved == 0 &&
               (t->slot < SHMB_PROTO_CACHE_SLOTS || t->slot == SHMB_PROTO_CACHE_NONE);
}

int shmb_proto_encode_fd_cached_reply(void *buf, size_t size, uint32_t seq,
                                      const struct shmb_proto_fd_cached_reply *t)
{
        struct shmb_proto_fd_cached_reply f;

        if (!t || !fd_reply_valid(&t->fd) || !ticket_valid(t))
                return -EINVAL;
        f = *t;
        f.fd.reserved = 0;
        return encode(buf, size, SHMB_PROTO_REPLY_FD_CACHED, seq, 1, &f, sizeof(f), NULL, 0);
}

int shmb_proto_encode_cache_page_reply(void *buf, size_t size, uint32_t seq)
{
        const struct shmb_proto_cache_page_reply c = {
                .size = SHMB_PROTO_CACHE_PAGE_SIZE, .n_slots = SHMB_PROTO_CACHE_SLOTS,
        };

        return encode(buf, size, SHMB_PROTO_REPLY_CACHE_PAGE, seq, 1, &c, sizeof(c), NULL, 0);
}

int shmb_proto_encode_stat_reply(void *buf, size_t size, uint32_t seq,
                                 const struct shmb_proto_stat_reply *st, const char *rule,
                                 const char *app, const struct shmb_proto_acl_entry *acl)
{
        struct shmb_proto_stat_reply s;
        struct piece pieces[4];

        if (!st)
                return -EINVAL;
        s = *st;
        s.rule_len = (uint16_t) rule_len_cut(rule);
        if (opt_len(app, SHMB_PROTO_APP_ID_MAX, &s.app_len) < 0 || !stat_reply_valid(&s) ||
            (s.n_acl > 0 && !acl))
                return -EINVAL;
        pieces[0] = (struct piece) { &s, sizeof(s) };
        pieces[1] = (struct piece) { rule, s.rule_len };
        pieces[2] = (struct piece) { app, s.app_len };
        pieces[3] = (struct piece) { acl, s.n_acl * sizeof(*acl) };
        return encode_pieces(buf, size, SHMB_PROTO_REPLY_STAT, seq, 0, pieces, ELEMENTS(pieces));
}

int shmb_proto_encode_status_reply(void *buf, size_t size, uint32_t seq,
                                   const struct shmb_proto_status_reply *st,
                                   const char *version, const char *origin,
                                   const struct shmb_proto_status_user *users, size_t n_users)
{
        struct shmb_proto_status_reply s;
        struct piece pieces[4];

        if (!st || (st->flags & ~(uint32_t) STATUS_FLAGS) != 0 || (n_users > 0 && !users))
                return -EINVAL;
        /* More users than fit in a packet cannot be sent; say so before multiplying. */
        if (n_users > SHMB_PROTO_MSG_MAX / sizeof(*users))
                return -ENOBUFS;
        s = *st;
        if (opt_len(version, UINT16_MAX, &s.version_len) < 0 ||
            opt_len(origin, UINT16_MAX, &s.origin_len) < 0)
                return -EINVAL;
        s.n_users = (uint32_t) n_users;
        pieces[0] = (struct piece) { &s, sizeof(s) };
        pieces[1] = (struct piece) { version, s.version_len };
        pieces[2] = (struct piece) { origin, s.origin_len };
        pieces[3] = (struct piece) { users, n_users * sizeof(*users) };
        return encode_pieces(buf, size, SHMB_PROTO_REPLY_STATUS, seq, 0, pieces,
                             ELEMENTS(pieces));
}

int shmb_proto_encode_explain_reply(void *buf, size_t size, uint32_t seq,
                                    const struct shmb_proto_explain_reply *ex,
                                    const char *rule, const char *user_name)
{
        struct shmb_proto_explain_reply e;
        struct piece pieces[3];

        if (!ex)
                return -EINVAL;
        e = *ex;
        e.reserved = 0;
        e.rule_len = (uint16_t) rule_len_cut(rule);
        if (opt_len(user_name, SHMB_PROTO_USER_NAME_MAX, &e.user_name_len) < 0 ||
            !explain_reply_valid(&e))
                return -EINVAL;
        pieces[0] = (struct piece) { &e, sizeof(e) };
        pieces[1] = (struct piece) { rule, e.rule_len };
        pieces[2] = (struct piece) { user_name, e.user_name_len };
        return encode_pieces(buf, size, SHMB_PROTO_REPLY_EXPLAIN, seq, 0, pieces,
                             ELEMENTS(pieces));
}

int shmb_proto_encode_app_socket_reply(void *buf, size_t size, uint32_t seq, const char *path)
{
        struct shmb_proto_app_socket_reply a = {};

        if (!path || opt_len(path, SHMB_PROTO_PATH_MAX - 1, &a.path_len) < 0 || a.path_len == 0)
                return -EINVAL;
        return encode(buf, size, SHMB_PROTO_REPLY_APP_SOCKET, seq, 0, &a, sizeof(a), path,
                      a.path_len);
}

int shmb_proto_encode_event(void *buf, size_t size, uint32_t seq, uint32_t event,
                            const char *name)
{
        struct shmb_proto_event e = { .event = event };

        if (opt_len(name, SHMB_PROTO_NAME_MAX, &e.name_len) < 0 || !event_valid(event, e.name_len))
                return -EINVAL;
        return encode(buf, size, SHMB_PROTO_REPLY_EVENT, seq, 0, &e, sizeof(e), name, e.name_len);
}

/* ---------------------------------------------------------------- list builder */

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

static int list_append_entry(struct shmb_proto_list_builder *b, const char *name,
                             const struct shmb_proto_list_detail *d, const char *rule,
                             const char *app)
{
        size_t n = name ? strlen(name) : 0, need;
        uint16_t n16 = (uint16_t) n;

        if (n == 0 || n > SHMB_PROTO_NAME_MAX)
                return -EINVAL;
        need = sizeof(n16) + n + (d ? sizeof(*d) + d->rule_len + d->app_len : 0);
        if (b->size - b->len < need)
                return -ENOBUFS;
        memcpy(b->buf + b->len, &n16, sizeof(n16));
        memcpy(b->buf + b->len + sizeof(n16), name, n);
        b->len += sizeof(n16) + n;
        if (d) {
                memcpy(b->buf + b->len, d, sizeof(*d));
                b->len += sizeof(*d);
                if (d->rule_len > 0)
                        memcpy(b->buf + b->len, rule, d->rule_len);
                b->len += d->rule_len;
                if (d->app_len > 0)
                        memcpy(b->buf + b->len, app, d->app_len);
                b->len += d->app_len;
        }
        b->n_names++;
        return 0;
}

int shmb_proto_list_append(struct shmb_proto_list_builder *b, const char *name)
{
        if (b->flags & SHMB_PROTO_LIST_DETAILS)
                return -EINVAL;
        return list_append_entry(b, name, NULL, NULL, NULL);
}

int shmb_proto_list_append_detailed(struct shmb_proto_list_builder *b, const char *name,
                                    const struct shmb_proto_list_detail *d, const char *rule,
                                    const char *app)
{
        struct shmb_proto_list_detail dd;
        int r;

        /* A page is read as all plain or all detailed. */
        if (!d || (b->n_names > 0 && !(b->flags & SHMB_PROTO_LIST_DETAILS)))
                return -EINVAL;
        dd = *d;
        dd.rule_len = (uint16_t) rule_len_cut(rule);
        if (opt_len(app, SHMB_PROTO_APP_ID_MAX, &dd.app_len) < 0 || !list_detail_valid(&dd))
                return -EINVAL;
        r = list_append_entry(b, name, &dd, rule, app);
        if (r < 0)
                return r;
        b->flags |= SHMB_PROTO_LIST_DETAILS;
        return 0;
}

int shmb_proto_list_finish(struct shmb_proto_list_builder *b, uint32_t flags)
{
        struct shmb_proto_header h;
        struct shmb_proto_list_reply l;

        if ((flags & ~(uint32_t) LIST_FLAGS) != 0)
                return -EINVAL;
        /* Plain entries cannot be announced as detailed; detailed ones always are. An empty
         * page may say either. */
        if ((flags & SHMB_PROTO_LIST_DETAILS) && b->n_names > 0 &&
            !(b->flags & SHMB_PROTO_LIST_DETAILS))
                return -EINVAL;
        l = (struct shmb_proto_list_reply) {
                .n_names = b->n_names, .flags = flags | (b->flags & SHMB_PROTO_LIST_DETAILS),
        };
        memcpy(&h, b->buf, sizeof(h));
        h.len = (uint32_t) (b->len - sizeof(h));
        memcpy(b->buf, &h, sizeof(h));
        memcpy(b->buf + sizeof(h), &l, sizeof(l));
        return (int) b->len;
}

/* ---------------------------------------------------------------- decoding: requests */

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

/* Copies a string that must hold no NUL into a buffer of at least len + 1 bytes. */
static int copy_string(char *dst, const uint8_t *src, size_t len)
{
        if (has_nul(src, len))
                return -EBADMSG;
        memcpy(dst, src, len);
        dst[len] = '\0';
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
        return 0;
}

static int decode_create(const uint8_t *p, size_t len, struct shmb_proto_request *ret)
{
        struct shmb_proto_create c;

        if (len < sizeof(c))
                return -EBADMSG;
        memcpy(&c, p, sizeof(c));
        if (c.reserved != 0 || c.access > SHMB_PROTO_ACCESS_ANY ||
            (c.flags & ~(uint32_t) SHMB_PROTO_CREATE_UNSIZED) != 0 ||
            !lifetime_valid(c.lifetime, c.lifetime_usec, true))
                return -EBADMSG;
        if ((c.flags & SHMB_PROTO_CREATE_UNSIZED) && c.size != 0)
                return -EBADMSG;
        ret->size = c.size;
        ret->access = c.access;
        ret->flags = c.flags;
        ret->lifetime = c.lifetime;
        ret->lifetime_usec = c.lifetime_usec;
        return decode_name_tail(p, len, sizeof(c), c.name_len, ret);
}

static int decode_explain(const uint8_t *p, size_t len, struct shmb_proto_request *ret)
{
        struct shmb_proto_explain e;
        size_t off;
        int r;

        if (len < sizeof(e))
                return -EBADMSG;
        memcpy(&e, p, sizeof(e));
        if (e.reserved != 0 || (e.flags & ~(uint32_t) EXPLAIN_REQ_FLAGS) != 0 ||
            e.n_groups > SHMB_PROTO_GROUPS_MAX || e.name_len > SHMB_PROTO_NAME_WIRE_MAX ||
            e.user_name_len > SHMB_PROTO_USER_NAME_MAX || e.app_len > SHMB_PROTO_APP_ID_MAX)
                return -EBADMSG;
        /* Without EXPLAIN_USER the identity is the caller's: no field may claim another. */
        if (!(e.flags & SHMB_PROTO_EXPLAIN_USER) &&
            (e.uid != 0 || e.gid != 0 || e.n_groups != 0 || e.user_name_len != 0))
                return -EBADMSG;
        /* EXPLAIN_APP and an app id come together. */
        if (!(e.flags & SHMB_PROTO_EXPLAIN_APP) != (e.app_len == 0))
                return -EBADMSG;
        if (len != sizeof(e) + (size_t) e.n_groups * sizeof(uint32_t) + e.name_len +
                           e.user_name_len + e.app_len)
                return -EBADMSG;

        off = sizeof(e);
        ret->flags = e.flags;
        ret->uid = e.uid;
        ret->gid = e.gid;
        ret->n_groups = e.n_groups;
        ret->groups = e.n_groups > 0 ? p + off : NULL;
        off += (size_t) e.n_groups * sizeof(uint32_t);
        memcpy(ret->name, p + off, e.name_len);
        ret->name[e.name_len] = '\0';
        ret->name_len = e.name_len;
        off += e.name_len;
        r = copy_string(ret->user_name, p + off, e.user_name_len);
        if (r < 0)
                return r;
        ret->user_name_len = e.user_name_len;
        off += e.user_name_len;
        r = copy_string(ret->app, p + off, e.app_len);
        if (r < 0)
                return r;
        ret->app_len = e.app_len;
        return 0;
}

static int decode_request_payload(uint16_t type, const uint8_t *p, size_t len,
                                  struct shmb_proto_request *ret)
{
        switch (type) {
        case SHMB_PROTO_CREATE:
                return decode_create(p, len, ret);
        case SHMB_PROTO_CACHE_PAGE:
                return len == 0 ? 0 : -EBADMSG;
        case SHMB_PROTO_OPEN:
        case SHMB_PROTO_OPEN_CACHED: {
                struct shmb_proto_open o;

                if (len < sizeof(o))
                        return -EBADMSG;
                memcpy(&o, p, sizeof(o));
                if (o.reserved != 0 || o.access == SHMB_PROTO_ACCESS_NONE ||
                    o.access > SHMB_PROTO_ACCESS_ANY)
                        return -EBADMSG;
                ret->access = o.access;
                return decode_name_tail(p, len, sizeof(o), o.name_len, ret);
        }
        case SHMB_PROTO_UNLINK:
        case SHMB_PROTO_STAT:
        case SHMB_PROTO_LIST:
        case SHMB_PROTO_STATUS:
        case SHMB_PROTO_WATCH: {
                struct shmb_proto_name_req n;

                if (len < sizeof(n))
                        return -EBADMSG;
                memcpy(&n, p, sizeof(n));
                if (n.reserved != 0 || (n.flags & ~name_req_flags(type)) != 0)
                        return -EBADMSG;
                ret->flags = n.flags;
                return decode_name_tail(p, len, sizeof(n), n.name_len, ret);
        }
        case SHMB_PROTO_OPEN_BATCH:
                return decode_batch(p, len, ret);
        case SHMB_PROTO_RESIZE: {
                struct shmb_proto_resize rs;

                if (len < sizeof(rs))
                        return -EBADMSG;
                memcpy(&rs, p, sizeof(rs));
                if (rs.reserved != 0 || rs.reserved2 != 0)
                        return -EBADMSG;
                ret->size = rs.size;
                return decode_name_tail(p, len, sizeof(rs), rs.name_len, ret);
        }
        case SHMB_PROTO_PUBLISH: {
                struct shmb_proto_publish pb;

                if (len < sizeof(pb))
                        return -EBADMSG;
                memcpy(&pb, p, sizeof(pb));
                if (pb.reserved != 0 || (pb.mode != SHMB_PROTO_PUBLISH_SEAL &&
                                         pb.mode != SHMB_PROTO_PUBLISH_FUTURE))
                        return -EBADMSG;
                ret->mode = pb.mode;
                return decode_name_tail(p, len, sizeof(pb), pb.name_len, ret);
        }
        case SHMB_PROTO_WAIT: {
                struct shmb_proto_wait w;

                if (len < sizeof(w))
                        return -EBADMSG;
                memcpy(&w, p, sizeof(w));
                if (w.reserved != 0 || (w.flags & ~(uint32_t) SHMB_PROTO_WAIT_PUBLISHED) != 0)
                        return -EBADMSG;
                ret->timeout_usec = w.timeout_usec;
                ret->flags = w.flags;
                return decode_name_tail(p, len, sizeof(w), w.name_len, ret);
        }
        case SHMB_PROTO_APP_SOCKET: {
                struct shmb_proto_app_socket a;

                if (len < sizeof(a))
                        return -EBADMSG;
                memcpy(&a, p, sizeof(a));
                if (a.reserved != 0 || a.reserved2 != 0 || a.app_len > SHMB_PROTO_APP_ID_MAX ||
                    len != sizeof(a) + a.app_len)
                        return -EBADMSG;
                ret->app_len = a.app_len;
                return copy_string(ret->app, p + sizeof(a), a.app_len);
        }
        case SHMB_PROTO_EXPLAIN:
                return decode_explain(p, len, ret);
        default:
                /* A well-formed packet of a type this daemon does not know. */
                return -EOPNOTSUPP;
        }
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

        /* Every field a type does not carry reads as zero or empty. */
        ret->type = h.type;
        ret->seq = h.seq;
        ret->access = SHMB_PROTO_ACCESS_NONE;
        ret->size = 0;
        ret->flags = 0;
        ret->lifetime = SHMB_PROTO_LIFETIME_DEFAULT;
        ret->lifetime_usec = 0;
        ret->timeout_usec = 0;
        ret->mode = 0;
        ret->name_len = 0;
        ret->name[0] = '\0';
        ret->app_len = 0;
        ret->app[0] = '\0';
        ret->uid = 0;
        ret->gid = 0;
        ret->n_groups = 0;
        ret->groups = NULL;
        ret->user_name_len = 0;
        ret->user_name[0] = '\0';
        ret->n_items = 0;

        return decode_request_payload(h.type, p, h.len, ret);
}

/* ---------------------------------------------------------------- decoding: replies */

/*
 * Checks one list entry at names + off, of at most left bytes: the name, and with details the
 * detail and its strings. Returns the entry's length, or -EBADMSG. Shared by the decoder,
 * which walks every entry once, and the iterators, so that they cannot disagree.
 */
static int list_entry(const uint8_t *p, size_t left, bool detailed, uint16_t *ret_name_len,
                      struct shmb_proto_list_detail *ret_detail)
{
        struct shmb_proto_list_detail d = {};
        uint16_t nl;
        size_t n;

        if (left < sizeof(nl))
                return -EBADMSG;
        memcpy(&nl, p, sizeof(nl));
        n = sizeof(nl);
        if (nl == 0 || nl > SHMB_PROTO_NAME_MAX || left - n < nl)
                return -EBADMSG;
        n += nl;
        if (detailed) {
                if (left - n < sizeof(d))
                        return -EBADMSG;
                memcpy(&d, p + n, sizeof(d));
                n += sizeof(d);
                if (!list_detail_valid(&d) || left - n < (size_t) d.rule_len + d.app_len ||
                    has_nul(p + n, (size_t) d.rule_len + d.app_len))
                        return -EBADMSG;
                n += (size_t) d.rule_len + d.app_len;
        }
        *ret_name_len = nl;
        if (ret_detail)
                *ret_detail = d;
        return (int) n;
}

static int decode_list(const uint8_t *p, size_t len, struct shmb_proto_reply *ret)
{
        struct shmb_proto_list_reply l;
        size_t off, n;

        if (len < sizeof(l))
                return -EBADMSG;
        memcpy(&l, p, sizeof(l));
        if ((l.flags & ~(uint32_t) LIST_FLAGS) != 0)
                return -EBADMSG;

        ret->list_flags = l.flags;
        ret->n_names = l.n_names;
        ret->names = p + sizeof(l);
        ret->names_len = len - sizeof(l);

        /* Walk the entries once so that the caller's iteration cannot run off the end. */
        for (off = 0, n = 0; off < ret->names_len; n++) {
                uint16_t nl;
                int k;

                k = list_entry(ret->names + off, ret->names_len - off,
                               l.flags & SHMB_PROTO_LIST_DETAILS, &nl, NULL);
                if (k < 0)
                        return k;
                off += (size_t) k;
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
                if (!batch_result_valid(&ret->results[i]))
                        return -EBADMSG;
                ok += ret->results[i].error == 0;
        }
        if (ok != n_fds)
                return -EBADMSG;
        ret->n_results = b.n;
        return 0;
}

static int decode_stat_reply(const uint8_t *p, size_t len, struct shmb_proto_reply *ret)
{
        struct shmb_proto_stat_reply *st = &ret->stat;
        size_t tails;

        if (len < sizeof(*st))
                return -EBADMSG;
        memcpy(st, p, sizeof(*st));
        if (!stat_reply_valid(st))
                return -EBADMSG;
        tails = (size_t) st->rule_len + st->app_len;
        if (len != sizeof(*st) + tails + st->n_acl * sizeof(ret->acl[0]) ||
            has_nul(p + sizeof(*st), tails))
                return -EBADMSG;
        ret->rule = (const char *) p + sizeof(*st);
        ret->app = ret->rule + st->rule_len;
        memcpy(ret->acl, p + sizeof(*st) + tails, st->n_acl * sizeof(ret->acl[0]));
        return 0;
}

static int decode_status_reply(const uint8_t *p, size_t len, struct shmb_proto_reply *ret)
{
        struct shmb_proto_status_reply *st = &ret->status;
        size_t strings;

        if (len < sizeof(*st))
                return -EBADMSG;
        memcpy(st, p, sizeof(*st));
        if ((st->flags & ~(uint32_t) STATUS_FLAGS) != 0)
                return -EBADMSG;
        strings = (size_t) st->version_len + st->origin_len;
        /* In 64 bits: n_users is the peer's word, and 2^32 entries overflow a 32-bit size_t. */
        if ((uint64_t) len != (uint64_t) sizeof(*st) + strings +
                              (uint64_t) st->n_users * sizeof(struct shmb_proto_status_user) ||
            has_nul(p + sizeof(*st), strings))
                return -EBADMSG;
        ret->version = (const char *) p + sizeof(*st);
        ret->origin = ret->version + st->version_len;
        ret->users = p + sizeof(*st) + strings;
        return 0;
}

static int decode_explain_reply(const uint8_t *p, size_t len, struct shmb_proto_reply *ret)
{
        struct shmb_proto_explain_reply *ex = &ret->explain;
        size_t strings;

        if (len < sizeof(*ex))
                return -EBADMSG;
        memcpy(ex, p, sizeof(*ex));
        if (!explain_reply_valid(ex))
                return -EBADMSG;
        strings = (size_t) ex->rule_len + ex->user_name_len;
        if (len != sizeof(*ex) + strings || has_nul(p + sizeof(*ex), strings))
                return -EBADMSG;
        ret->rule = (const char *) p + sizeof(*ex);
        ret->user_name = ret->rule + ex->rule_len;
        return 0;
}

static int decode_reply_payload(uint16_t type, const uint8_t *p, size_t len, size_t n_fds,
                                struct shmb_proto_reply *ret)
{
        /* Only REPLY_FD, REPLY_FD_CACHED, REPLY_CACHE_PAGE and REPLY_BATCH bring fds. */
        if (type != SHMB_PROTO_REPLY_FD && type != SHMB_PROTO_REPLY_FD_CACHED &&
            type != SHMB_PROTO_REPLY_CACHE_PAGE && type != SHMB_PROTO_REPLY_BATCH && n_fds != 0)
                return -EBADMSG;

        switch (type) {
        case SHMB_PROTO_REPLY_ERROR: {
                struct shmb_proto_error e;

                if (len != sizeof(e))
                        return -EBADMSG;
                memcpy(&e, p, sizeof(e));
                if (e.error <= 0 || e.reason >= _SHMB_PROTO_REASON_MAX)
                        return -EBADMSG;
                ret->error = e.error;
                ret->reason = e.reason;
                return 0;
        }
        case SHMB_PROTO_REPLY_FD:
                if (len != sizeof(ret->fd) || n_fds != 1)
                        return -EBADMSG;
                memcpy(&ret->fd, p, sizeof(ret->fd));
                if (!fd_reply_valid(&ret->fd) || ret->fd.reserved != 0)
                        return -EBADMSG;
                return 0;
        case SHMB_PROTO_REPLY_FD_CACHED:
                if (len != sizeof(ret->ticket) || n_fds != 1)
                        return -EBADMSG;
                memcpy(&ret->ticket, p, sizeof(ret->ticket));
                ret->fd = ret->ticket.fd;
                if (!fd_reply_valid(&ret->fd) || ret->fd.reserved != 0 ||
                    !ticket_valid(&ret->ticket))
                        return -EBADMSG;
                return 0;
        case SHMB_PROTO_REPLY_CACHE_PAGE: {
                struct shmb_proto_cache_page_reply c;

                if (len != sizeof(c) || n_fds != 1)
                        return -EBADMSG;
                memcpy(&c, p, sizeof(c));
                if (c.size != SHMB_PROTO_CACHE_PAGE_SIZE || c.n_slots != SHMB_PROTO_CACHE_SLOTS)
                        return -EBADMSG;
                return 0;
        }
        case SHMB_PROTO_REPLY_OK:
                return len == 0 ? 0 : -EBADMSG;
        case SHMB_PROTO_REPLY_STAT:
                return decode_stat_reply(p, len, ret);
        case SHMB_PROTO_REPLY_LIST:
                return decode_list(p, len, ret);
        case SHMB_PROTO_REPLY_BATCH:
                return decode_batch_reply(p, len, n_fds, ret);
        case SHMB_PROTO_REPLY_STATUS:
                return decode_status_reply(p, len, ret);
        case SHMB_PROTO_REPLY_EXPLAIN:
                return decode_explain_reply(p, len, ret);
        case SHMB_PROTO_REPLY_APP_SOCKET: {
                struct shmb_proto_app_socket_reply a;

                if (len < sizeof(a))
                        return -EBADMSG;
                memcpy(&a, p, sizeof(a));
                if (a.reserved != 0 || a.reserved2 != 0 || a.path_len == 0 ||
                    a.path_len >= SHMB_PROTO_PATH_MAX || len != sizeof(a) + a.path_len ||
                    has_nul(p + sizeof(a), a.path_len))
                        return -EBADMSG;
                ret->path = (const char *) p + sizeof(a);
                ret->path_len = a.path_len;
                return 0;
        }
        case SHMB_PROTO_REPLY_EVENT:
                if (len < sizeof(ret->event))
                        return -EBADMSG;
                memcpy(&ret->event, p, sizeof(ret->event));
                if (ret->event.reserved != 0 ||
                    !event_valid(ret->event.event, ret->event.name_len) ||
                    len != sizeof(ret->event) + ret->event.name_len)
                        return -EBADMSG;
                ret->event_name = (const char *) p + sizeof(ret->event);
                return 0;
        default:
                return -EBADMSG;
        }
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

        /* Every pointer a type does not set is NULL, every count 0. */
        ret->type = h.type;
        ret->seq = h.seq;
        ret->error = 0;
        ret->reason = SHMB_PROTO_REASON_NONE;
        ret->rule = NULL;
        ret->app = NULL;
        ret->list_flags = 0;
        ret->n_names = 0;
        ret->names = NULL;
        ret->names_len = 0;
        ret->n_results = 0;
        ret->version = NULL;
        ret->origin = NULL;
        ret->users = NULL;
        ret->user_name = NULL;
        ret->path = NULL;
        ret->path_len = 0;
        ret->event_name = NULL;

        return decode_reply_payload(h.type, p, h.len, n_fds, ret);
}

/* ---------------------------------------------------------------- decoded replies */

void shmb_proto_status_user_get(const struct shmb_proto_reply *r, size_t i,
                                struct shmb_proto_status_user *ret)
{
        /* Out of range is a caller bug; it reads as an empty entry rather than out of the
         * packet. */
        if (!r->users || i >= r->status.n_users) {
                *ret = (struct shmb_proto_status_user) {};
                return;
        }
        memcpy(ret, r->users + i * sizeof(*ret), sizeof(*ret));
}

int shmb_proto_list_next(const struct shmb_proto_reply *r, size_t *cursor, const char **ret_name,
                         size_t *ret_len)
{
        uint16_t nl;
        int k;

        if (*cursor >= r->names_len)
                return 0;
        /* A detailed page walks the same way: its details are skipped. */
        k = list_entry(r->names + *cursor, r->names_len - *cursor,
                       r->list_flags & SHMB_PROTO_LIST_DETAILS, &nl, NULL);
        if (k < 0)
                return k;
        *ret_name = (const char *) r->names + *cursor + sizeof(nl);
        *ret_len = nl;
        *cursor += (size_t) k;
        return 1;
}

int shmb_proto_list_next_detailed(const struct shmb_proto_reply *r, size_t *cursor,
                                  const char **ret_name, size_t *ret_len,
                                  struct shmb_proto_list_detail *ret_detail,
                                  const char **ret_rule, const char **ret_app)
{
        struct shmb_proto_list_detail d;
        const uint8_t *e;
        uint16_t nl;
        int k;

        if (!(r->list_flags & SHMB_PROTO_LIST_DETAILS))
                return -EINVAL;
        if (*cursor >= r->names_len)
                return 0;
        e = r->names + *cursor;
        k = list_entry(e, r->names_len - *cursor, true, &nl, &d);
        if (k < 0)
                return k;
        *ret_name = (const char *) e + sizeof(nl);
        *ret_len = nl;
        *ret_detail = d;
        *ret_rule = (const char *) e + sizeof(nl) + nl + sizeof(d);
        *ret_app = *ret_rule + d.rule_len;
        *cursor += (size_t) k;
        return 1;
}

/* ---------------------------------------------------------------- reasons */

const char *shmb_proto_reason_text(uint32_t reason)
{
        /* Written to follow strerror()'s text: "Permission denied: no rule matches ...". */
        static const char *const texts[_SHMB_PROTO_REASON_MAX] = {
                [SHMB_PROTO_REASON_NO_RULE] = "no rule matches this name",
                [SHMB_PROTO_REASON_NO_CREATE] = "the rule does not let you create",
                [SHMB_PROTO_REASON_NO_READ] = "the rule does not let you read",
                [SHMB_PROTO_REASON_NO_WRITE] = "the rule does not let you write",
                [SHMB_PROTO_REASON_NO_OBJECT] = "no such object",
                [SHMB_PROTO_REASON_EXISTS] = "the name is taken",
                [SHMB_PROTO_REASON_TOO_BIG] = "larger than the rule's MaxSize=",
                [SHMB_PROTO_REASON_QUOTA_OBJECTS] = "over MaxObjectsPerUser=",
                [SHMB_PROTO_REASON_QUOTA_BYTES] = "over MaxBytesPerUser=",
                [SHMB_PROTO_REASON_QUOTA_CONNECTIONS] = "over MaxConnectionsPerUser=",
                [SHMB_PROTO_REASON_ORPHAN] = "the object is an orphan: no rule governs it",
                [SHMB_PROTO_REASON_NOT_BROKERED] = "a file the broker did not make",
                [SHMB_PROTO_REASON_OTHER_RULE] = "the object belongs to another rule",
                [SHMB_PROTO_REASON_OTHER_CREATOR] = "the object is another creator's",
                [SHMB_PROTO_REASON_POLICY_ERROR] =
                        "the rule cannot make objects (see the broker's log)",
                [SHMB_PROTO_REASON_STORE_FULL] = "no room left to keep memfd objects",
                [SHMB_PROTO_REASON_LIFETIME] = "the rule's Lifetime= does not allow it",
                [SHMB_PROTO_REASON_PUBLISHED] = "the object is published: no more writers",
                [SHMB_PROTO_REASON_NOT_CREATOR] = "only the object's creator may do this",
                [SHMB_PROTO_REASON_NOT_FRESH] = "the object was opened or sized already",
                [SHMB_PROTO_REASON_NOT_ADMIN] = "only the broker's admins may do this",
                [SHMB_PROTO_REASON_APP_SOCKET] = "not allowed on an app socket",
                [SHMB_PROTO_REASON_LIMIT] = "a limit of the broker was reached",
                [SHMB_PROTO_REASON_BUSY] = "a writable mapping of the object exists",
                [SHMB_PROTO_REASON_NO_PUBLISH] = "the rule does not let you publish it",
        };

        if (reason >= _SHMB_PROTO_REASON_MAX)
                return NULL;
        return texts[reason];
}
