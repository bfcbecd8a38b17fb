/* SPDX-License-Identifier: MIT */
/*
 * fuzz-protocol.c - the wire codec (proto/protocol.c, proto/name.c) on arbitrary bytes.
 *
 * Input: one selector byte, then the packet. The selector's bit 0 picks the decoder (0:
 * request, as the daemon decodes; 1: reply, as the client does), and its bits 1-7 the number of
 * fds that "arrived" with the packet: bits 1-2 give 0, 1 or 2, and 3 means the count in bits
 * 3-7 (0..31), so that the common counts are cheap and every other one is reachable.
 *
 * For a packet that decodes, the harness checks what the decoders promise and aborts if a
 * promise is broken: names are NUL-terminated at name_len, strings other than names hold no
 * NUL and stay within their maxima, enum fields are in range, list entries (plain or with
 * details) walk cleanly to exactly n_names with both iterators, shmb_name_normalize() output
 * is canonical and idempotent, every reason has a text, and re-encoding the decoded fields
 * with the encoders gives back the very same bytes (the format has no slack: reserved fields
 * are zero, flags known, and every length is exact).
 *
 * Not here: the daemon's reaction to packets (fuzz-conn.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "protocol.h"

#define ELEMENTS(x) (sizeof(x) / sizeof((x)[0]))

static void check_name(const char *raw, size_t len)
{
        char canon[SHMB_PROTO_NAME_MAX + 1], again[SHMB_PROTO_NAME_MAX + 1];
        size_t n, i;
        int r;

        r = shmb_name_normalize(raw, len, canon);
        FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENAMETOOLONG);
        if (r < 0)
                return;

        n = strlen(canon);
        FUZZ_CHECK(n >= 1 && n <= SHMB_PROTO_NAME_MAX);
        /* The canonical form is the input minus at most one leading '/'. */
        FUZZ_CHECK(n == len || (n + 1 == len && raw[0] == '/'));
        FUZZ_CHECK(memcmp(canon, raw + (len - n), n) == 0);
        FUZZ_CHECK(strcmp(canon, ".") != 0 && strcmp(canon, "..") != 0);
        for (i = 0; i < n; i++)
                FUZZ_CHECK(canon[i] != '/' && (unsigned char) canon[i] >= 0x20 &&
                           canon[i] != 0x7f);

        /* Idempotent, and "/x" names the same thing as "x". */
        FUZZ_CHECK(shmb_name_normalize(canon, n, again) == 0);
        FUZZ_CHECK(strcmp(canon, again) == 0);
        if (n < SHMB_PROTO_NAME_MAX + 1) {
                char slashed[SHMB_PROTO_NAME_MAX + 2];

                slashed[0] = '/';
                memcpy(slashed + 1, canon, n);
                FUZZ_CHECK(shmb_name_normalize(slashed, n + 1, again) == 0);
                FUZZ_CHECK(strcmp(canon, again) == 0);
        }
}

static void check_same(const uint8_t *packet, size_t len, const uint8_t *encoded, int n)
{
        FUZZ_CHECK(n >= 0);
        FUZZ_CHECK((size_t) n == len);
        FUZZ_CHECK(memcmp(packet, encoded, len) == 0);
}

/* Items point into the packet, one after another; each name is judged on its own. */
static void check_batch(const uint8_t *packet, size_t len, const struct shmb_proto_request *req)
{
        static char copies[SHMB_PROTO_BATCH_MAX][SHMB_PROTO_NAME_WIRE_MAX + 1];
        static uint8_t out[SHMB_PROTO_MSG_MAX];
        const char *names[SHMB_PROTO_BATCH_MAX];
        uint32_t access[SHMB_PROTO_BATCH_MAX];
        const uint8_t *end = packet + len;
        bool encodable = true;
        size_t i;

        FUZZ_CHECK(req->n_items >= 1 && req->n_items <= SHMB_PROTO_BATCH_MAX);
        for (i = 0; i < req->n_items; i++) {
                const char *name = req->items[i].name;
                size_t n = req->items[i].name_len;

                FUZZ_CHECK(req->items[i].access >= SHMB_PROTO_ACCESS_RDONLY &&
                           req->items[i].access <= SHMB_PROTO_ACCESS_ANY);
                FUZZ_CHECK(n <= SHMB_PROTO_NAME_WIRE_MAX);
                FUZZ_CHECK((const uint8_t *) name > packet && (const uint8_t *) name + n <= end);
                if (i + 1 < req->n_items)
                        FUZZ_CHECK(req->items[i + 1].name == name + n);
                else
                        FUZZ_CHECK((const uint8_t *) name + n == end);
                check_name(name, n);

                if (memchr(name, '\0', n))
                        encodable = false;
                memcpy(copies[i], name, n);
                copies[i][n] = '\0';
                names[i] = copies[i];
                access[i] = req->items[i].access;
        }
        if (encodable)
                check_same(packet, len, out,
                           shmb_proto_encode_open_batch(out, sizeof(out), req->seq, names, access,
                                                        req->n_items));
}

/* A string the decoder promises holds no NUL, copied to be re-encoded. */
static const char *string_copy(char *dst, const char *src, size_t len)
{
        FUZZ_CHECK(!memchr(src, '\0', len));
        memcpy(dst, src, len);
        dst[len] = '\0';
        return dst;
}

static void check_reason(uint32_t reason)
{
        FUZZ_CHECK(reason < _SHMB_PROTO_REASON_MAX);
        FUZZ_CHECK((reason == SHMB_PROTO_REASON_NONE) == !shmb_proto_reason_text(reason));
}

static bool lifetime_ok(uint32_t lifetime, uint64_t usec, bool asked)
{
        if (lifetime > SHMB_PROTO_LIFETIME_SPAN || (!asked && lifetime == 0))
                return false;
        return lifetime == SHMB_PROTO_LIFETIME_SPAN || usec == 0;
}

static int reencode_explain(uint8_t *out, size_t size, const struct shmb_proto_request *req)
{
        static uint32_t groups[SHMB_PROTO_GROUPS_MAX];
        struct shmb_proto_explain_user u = {};
        size_t i;

        FUZZ_CHECK((req->flags & ~(uint32_t) (SHMB_PROTO_EXPLAIN_USER |
                                              SHMB_PROTO_EXPLAIN_APP)) == 0);
        FUZZ_CHECK(req->n_groups <= SHMB_PROTO_GROUPS_MAX);
        FUZZ_CHECK(req->user_name_len <= SHMB_PROTO_USER_NAME_MAX);
        FUZZ_CHECK(req->user_name[req->user_name_len] == '\0');
        FUZZ_CHECK(strlen(req->user_name) == req->user_name_len);
        FUZZ_CHECK(!!(req->flags & SHMB_PROTO_EXPLAIN_APP) == (req->app_len > 0));
        if (!(req->flags & SHMB_PROTO_EXPLAIN_USER))
                FUZZ_CHECK(req->uid == 0 && req->gid == 0 && req->n_groups == 0 &&
                           req->user_name_len == 0);
        FUZZ_CHECK((req->n_groups == 0) == !req->groups);
        /* The groups are in the packet, maybe unaligned. */
        for (i = 0; i < req->n_groups; i++)
                memcpy(&groups[i], req->groups + i * sizeof(uint32_t), sizeof(uint32_t));
        u = (struct shmb_proto_explain_user) {
                .uid = req->uid, .gid = req->gid, .groups = groups, .n_groups = req->n_groups,
                .user_name = req->user_name,
        };
        return shmb_proto_encode_explain(out, size, req->seq, req->name,
                                         req->flags & SHMB_PROTO_EXPLAIN_USER ? &u : NULL,
                                         req->flags & SHMB_PROTO_EXPLAIN_APP ? req->app : NULL);
}

static void check_request(const uint8_t *packet, size_t len, size_t n_fds)
{
        static uint8_t out[SHMB_PROTO_MSG_MAX];
        static struct shmb_proto_request req; /* large: keep it off the stack */
        int r, n;

        r = shmb_proto_decode_request(packet, len, n_fds, &req);
        if (r < 0) {
                FUZZ_CHECK(r == -EBADMSG || r == -EPROTONOSUPPORT || r == -EOPNOTSUPP);
                return;
        }
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK(n_fds == 0);         /* requests carry no fds */
        FUZZ_CHECK(req.name_len <= SHMB_PROTO_NAME_WIRE_MAX);
        FUZZ_CHECK(req.name[req.name_len] == '\0');
        FUZZ_CHECK(req.access <= SHMB_PROTO_ACCESS_ANY);
        FUZZ_CHECK(req.app_len <= SHMB_PROTO_APP_ID_MAX);
        FUZZ_CHECK(req.app[req.app_len] == '\0' && strlen(req.app) == req.app_len);

        check_name(req.name, req.name_len);

        /* The encoders take C strings: a name with an embedded NUL cannot be re-encoded. */
        if (memchr(req.name, '\0', req.name_len))
                return;

        switch (req.type) {
        case SHMB_PROTO_CREATE:
                FUZZ_CHECK((req.flags & ~(uint32_t) SHMB_PROTO_CREATE_UNSIZED) == 0);
                FUZZ_CHECK(lifetime_ok(req.lifetime, req.lifetime_usec, true));
                FUZZ_CHECK(!(req.flags & SHMB_PROTO_CREATE_UNSIZED) || req.size == 0);
                n = shmb_proto_encode_create(out, sizeof(out), req.seq, req.name,
                                             &(struct shmb_proto_create_args) {
                                                     .size = req.size, .access = req.access,
                                                     .flags = (uint16_t) req.flags,
                                                     .lifetime = req.lifetime,
                                                     .lifetime_usec = req.lifetime_usec,
                                             });
                break;
        case SHMB_PROTO_OPEN:
        case SHMB_PROTO_OPEN_CACHED:
                FUZZ_CHECK(req.access != SHMB_PROTO_ACCESS_NONE);
                n = shmb_proto_encode_open_as(out, sizeof(out), req.type, req.seq, req.name,
                                              req.access);
                break;
        case SHMB_PROTO_CACHE_PAGE:
                FUZZ_CHECK(req.name_len == 0);
                n = shmb_proto_encode_cache_page(out, sizeof(out), req.seq);
                break;
        case SHMB_PROTO_UNLINK:
                FUZZ_CHECK((req.flags & ~(uint32_t) SHMB_PROTO_NAME_ALL) == 0);
                n = shmb_proto_encode_name_req(out, sizeof(out), req.type, req.seq, req.name,
                                               req.flags);
                break;
        case SHMB_PROTO_STATUS:
        case SHMB_PROTO_WATCH:
                FUZZ_CHECK(req.flags == 0);
                n = shmb_proto_encode_name_req(out, sizeof(out), req.type, req.seq, req.name,
                                               req.flags);
                break;
        case SHMB_PROTO_STAT:
        case SHMB_PROTO_LIST:
                FUZZ_CHECK((req.flags & ~(uint32_t) (SHMB_PROTO_NAME_ALL |
                                                     SHMB_PROTO_NAME_DETAILS)) == 0);
                FUZZ_CHECK(req.type == SHMB_PROTO_LIST ||
                           !(req.flags & SHMB_PROTO_NAME_DETAILS));
                n = shmb_proto_encode_name_req(out, sizeof(out), req.type, req.seq, req.name,
                                               req.flags);
                break;
        case SHMB_PROTO_OPEN_BATCH:
                check_batch(packet, len, &req);
                return;
        case SHMB_PROTO_RESIZE:
                n = shmb_proto_encode_resize(out, sizeof(out), req.seq, req.name, req.size);
                break;
        case SHMB_PROTO_PUBLISH:
                FUZZ_CHECK(req.mode == SHMB_PROTO_PUBLISH_SEAL ||
                           req.mode == SHMB_PROTO_PUBLISH_FUTURE);
                n = shmb_proto_encode_publish(out, sizeof(out), req.seq, req.name, req.mode);
                break;
        case SHMB_PROTO_WAIT:
                FUZZ_CHECK((req.flags & ~(uint32_t) SHMB_PROTO_WAIT_PUBLISHED) == 0);
                n = shmb_proto_encode_wait(out, sizeof(out), req.seq, req.name,
                                           req.timeout_usec, req.flags);
                break;
        case SHMB_PROTO_APP_SOCKET:
                FUZZ_CHECK(req.name_len == 0);
                n = shmb_proto_encode_app_socket(out, sizeof(out), req.seq, req.app);
                break;
        case SHMB_PROTO_EXPLAIN:
                n = reencode_explain(out, sizeof(out), &req);
                break;
        default:
                /* A type added after this harness was written: decoding it is enough. */
                return;
        }
        check_same(packet, len, out, n);
}

static void check_list(const uint8_t *packet, size_t len, const struct shmb_proto_reply *rep)
{
        static uint8_t out[SHMB_PROTO_MSG_MAX];
        struct shmb_proto_list_builder b;
        bool detailed = rep->list_flags & SHMB_PROTO_LIST_DETAILS;
        size_t cursor = 0, cursor2 = 0, count = 0;
        bool encodable = true;
        const char *name;
        size_t name_len;
        int r;

        FUZZ_CHECK((rep->list_flags & ~(uint32_t) (SHMB_PROTO_LIST_MORE |
                                                   SHMB_PROTO_LIST_DETAILS)) == 0);
        FUZZ_CHECK(rep->names >= packet && rep->names + rep->names_len == packet + len);

        r = shmb_proto_list_begin(&b, out, sizeof(out), rep->seq);
        FUZZ_CHECK(r == 0);
        while ((r = shmb_proto_list_next(rep, &cursor, &name, &name_len)) > 0) {
                char copy[SHMB_PROTO_NAME_MAX + 1], rule[SHMB_PROTO_RULE_ID_MAX + 1];
                char app[SHMB_PROTO_APP_ID_MAX + 1];
                struct shmb_proto_list_detail d;
                const char *name2, *rule_p, *app_p;
                size_t name_len2;

                FUZZ_CHECK(name_len >= 1 && name_len <= SHMB_PROTO_NAME_MAX);
                FUZZ_CHECK((const uint8_t *) name >= rep->names &&
                           (const uint8_t *) name + name_len <= rep->names + rep->names_len);
                check_name(name, name_len);
                count++;

                /* The detailed iterator walks the same entries, or refuses a plain page. */
                r = shmb_proto_list_next_detailed(rep, &cursor2, &name2, &name_len2, &d, &rule_p,
                                                  &app_p);
                if (!detailed) {
                        FUZZ_CHECK(r == -EINVAL);
                } else {
                        FUZZ_CHECK(r == 1 && name2 == name && name_len2 == name_len &&
                                   cursor2 == cursor);
                        FUZZ_CHECK((d.lifetime == SHMB_PROTO_LIFETIME_SPAN) == (d.ends_in_sec != 0) &&
                                   (d.flags & ~(uint32_t) 0x3f) == 0);
                        FUZZ_CHECK(lifetime_ok(d.lifetime, d.lifetime_usec, false));
                        FUZZ_CHECK(d.rule_len <= SHMB_PROTO_RULE_ID_MAX &&
                                   d.app_len <= SHMB_PROTO_APP_ID_MAX);
                        FUZZ_CHECK((const uint8_t *) app_p + d.app_len <= packet + len);
                        FUZZ_CHECK(rule_p == name + name_len + sizeof(d) &&
                                   app_p == rule_p + d.rule_len);
                        string_copy(rule, rule_p, d.rule_len);
                        string_copy(app, app_p, d.app_len);
                }

                if (memchr(name, '\0', name_len)) {
                        encodable = false;
                        continue;
                }
                memcpy(copy, name, name_len);
                copy[name_len] = '\0';
                if (!encodable)
                        continue;
                if (detailed)
                        FUZZ_CHECK(shmb_proto_list_append_detailed(&b, copy, &d, rule, app) == 0);
                else
                        FUZZ_CHECK(shmb_proto_list_append(&b, copy) == 0);
        }
        /* The decoder walked the entries already: the iterators must agree with it. */
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK(cursor == rep->names_len);
        FUZZ_CHECK(count == rep->n_names);

        if (encodable)
                check_same(packet, len, out, shmb_proto_list_finish(&b, rep->list_flags));
}

static void check_stat(const uint8_t *packet, size_t len, const struct shmb_proto_reply *rep,
                       uint8_t *out, size_t size)
{
        char rule[SHMB_PROTO_RULE_ID_MAX + 1], app[SHMB_PROTO_APP_ID_MAX + 1];
        const struct shmb_proto_stat_reply *st = &rep->stat;

        FUZZ_CHECK(st->n_acl <= SHMB_PROTO_ACL_MAX);
        FUZZ_CHECK(st->rule_len <= SHMB_PROTO_RULE_ID_MAX && st->app_len <= SHMB_PROTO_APP_ID_MAX);
        FUZZ_CHECK((st->flags & ~(uint32_t) 0x3f) == 0 && (st->rights & ~(uint32_t) 7) == 0);
        FUZZ_CHECK(lifetime_ok(st->lifetime, st->lifetime_usec, false));
        FUZZ_CHECK((const uint8_t *) rep->app + st->app_len <= packet + len);
        string_copy(rule, rep->rule, st->rule_len);
        string_copy(app, rep->app, st->app_len);
        check_same(packet, len, out,
                   shmb_proto_encode_stat_reply(out, size, rep->seq, st, rule, app, rep->acl));
}

static void check_status(const uint8_t *packet, size_t len, const struct shmb_proto_reply *rep,
                         uint8_t *out, size_t size)
{
        static struct shmb_proto_status_user users[SHMB_PROTO_MSG_MAX /
                                                   sizeof(struct shmb_proto_status_user)];
        static char version[UINT16_MAX + 1], origin[UINT16_MAX + 1];
        const struct shmb_proto_status_reply *st = &rep->status;
        size_t i;

        FUZZ_CHECK((st->flags & ~(uint32_t) (SHMB_PROTO_STATUS_MORE |
                                             SHMB_PROTO_STATUS_KEPT_POLICY)) == 0);
        FUZZ_CHECK(st->n_users <= ELEMENTS(users));
        FUZZ_CHECK(rep->users + st->n_users * sizeof(users[0]) == packet + len);
        for (i = 0; i < st->n_users; i++)
                shmb_proto_status_user_get(rep, i, &users[i]);
        string_copy(version, rep->version, st->version_len);
        string_copy(origin, rep->origin, st->origin_len);
        check_same(packet, len, out,
                   shmb_proto_encode_status_reply(out, size, rep->seq, st, version, origin,
                                                  users, st->n_users));
}

static void check_explain(const uint8_t *packet, size_t len, const struct shmb_proto_reply *rep,
                          uint8_t *out, size_t size)
{
        char rule[SHMB_PROTO_RULE_ID_MAX + 1], user[SHMB_PROTO_USER_NAME_MAX + 1];
        const struct shmb_proto_explain_reply *ex = &rep->explain;
        size_t i;

        FUZZ_CHECK(ex->rule_len <= SHMB_PROTO_RULE_ID_MAX &&
                   ex->user_name_len <= SHMB_PROTO_USER_NAME_MAX);
        FUZZ_CHECK(!!(ex->flags & SHMB_PROTO_EXPLAIN_RULE) == (ex->rule_len > 0));
        check_reason(ex->object_reason);
        for (i = 0; i < _SHMB_PROTO_VERB_MAX; i++) {
                FUZZ_CHECK(ex->error[i] >= 0);
                check_reason(ex->reason[i]);
                FUZZ_CHECK(ex->error[i] > 0 || ex->reason[i] == 0);
        }
        string_copy(rule, rep->rule, ex->rule_len);
        string_copy(user, rep->user_name, ex->user_name_len);
        check_same(packet, len, out,
                   shmb_proto_encode_explain_reply(out, size, rep->seq, ex, rule, user));
}

static void check_reply(const uint8_t *packet, size_t len, size_t n_fds)
{
        static uint8_t out[SHMB_PROTO_MSG_MAX];
        static struct shmb_proto_reply rep; /* large: keep it off the stack */
        int r;

        r = shmb_proto_decode_reply(packet, len, n_fds, &rep);
        if (r < 0) {
                FUZZ_CHECK(r == -EBADMSG || r == -EPROTONOSUPPORT);
                return;
        }
        FUZZ_CHECK(r == 0);
        /* Only the fd replies bring fds. */
        FUZZ_CHECK(n_fds == 0 || rep.type == SHMB_PROTO_REPLY_FD ||
                   rep.type == SHMB_PROTO_REPLY_FD_CACHED ||
                   rep.type == SHMB_PROTO_REPLY_CACHE_PAGE || rep.type == SHMB_PROTO_REPLY_BATCH);

        switch (rep.type) {
        case SHMB_PROTO_REPLY_ERROR:
                FUZZ_CHECK(rep.error > 0);
                check_reason(rep.reason);
                check_same(packet, len, out,
                           shmb_proto_encode_error(out, sizeof(out), rep.seq, rep.error,
                                                   rep.reason));
                break;
        case SHMB_PROTO_REPLY_FD:
                FUZZ_CHECK(n_fds == 1);
                FUZZ_CHECK(rep.fd.access == SHMB_PROTO_ACCESS_RDONLY ||
                           rep.fd.access == SHMB_PROTO_ACCESS_RDWR);
                FUZZ_CHECK((rep.fd.flags & ~(uint32_t) 0x3f) == 0 && rep.fd.reserved == 0);
                check_same(packet, len, out,
                           shmb_proto_encode_fd_reply(out, sizeof(out), rep.seq, &rep.fd));
                break;
        case SHMB_PROTO_REPLY_FD_CACHED:
                FUZZ_CHECK(n_fds == 1);
                FUZZ_CHECK(rep.fd.access == SHMB_PROTO_ACCESS_RDONLY ||
                           rep.fd.access == SHMB_PROTO_ACCESS_RDWR);
                FUZZ_CHECK(memcmp(&rep.fd, &rep.ticket.fd, sizeof(rep.fd)) == 0);
                FUZZ_CHECK(rep.ticket.slot < SHMB_PROTO_CACHE_SLOTS ||
                           rep.ticket.slot == SHMB_PROTO_CACHE_NONE);
                FUZZ_CHECK(rep.ticket.reserved == 0);
                check_same(packet, len, out,
                           shmb_proto_encode_fd_cached_reply(out, sizeof(out), rep.seq,
                                                             &rep.ticket));
                break;
        case SHMB_PROTO_REPLY_CACHE_PAGE:
                FUZZ_CHECK(n_fds == 1);
                check_same(packet, len, out,
                           shmb_proto_encode_cache_page_reply(out, sizeof(out), rep.seq));
                break;
        case SHMB_PROTO_REPLY_OK:
                check_same(packet, len, out, shmb_proto_encode_ok(out, sizeof(out), rep.seq));
                break;
        case SHMB_PROTO_REPLY_STAT:
                check_stat(packet, len, &rep, out, sizeof(out));
                break;
        case SHMB_PROTO_REPLY_LIST:
                check_list(packet, len, &rep);
                break;
        case SHMB_PROTO_REPLY_BATCH: {
                size_t i, ok = 0;

                FUZZ_CHECK(rep.n_results >= 1 && rep.n_results <= SHMB_PROTO_BATCH_MAX);
                for (i = 0; i < rep.n_results; i++) {
                        FUZZ_CHECK(rep.results[i].error >= 0);
                        if (rep.results[i].error == 0) {
                                FUZZ_CHECK(rep.results[i].access == SHMB_PROTO_ACCESS_RDONLY ||
                                           rep.results[i].access == SHMB_PROTO_ACCESS_RDWR);
                                FUZZ_CHECK((rep.results[i].flags & ~(uint32_t) 0x3f) == 0);
                                ok++;
                        } else {
                                check_reason(rep.results[i].flags);
                        }
                }
                /* One fd per success, no more, no less. */
                FUZZ_CHECK(ok == n_fds);
                check_same(packet, len, out,
                           shmb_proto_encode_batch_reply(out, sizeof(out), rep.seq, rep.results,
                                                         rep.n_results));
                break;
        }
        case SHMB_PROTO_REPLY_STATUS:
                check_status(packet, len, &rep, out, sizeof(out));
                break;
        case SHMB_PROTO_REPLY_EXPLAIN:
                check_explain(packet, len, &rep, out, sizeof(out));
                break;
        case SHMB_PROTO_REPLY_APP_SOCKET: {
                char path[SHMB_PROTO_PATH_MAX];

                FUZZ_CHECK(rep.path_len >= 1 && rep.path_len < SHMB_PROTO_PATH_MAX);
                FUZZ_CHECK((const uint8_t *) rep.path + rep.path_len == packet + len);
                check_same(packet, len, out,
                           shmb_proto_encode_app_socket_reply(out, sizeof(out), rep.seq,
                                                              string_copy(path, rep.path,
                                                                          rep.path_len)));
                break;
        }
        case SHMB_PROTO_REPLY_EVENT: {
                char name[SHMB_PROTO_NAME_MAX + 1];

                FUZZ_CHECK(rep.event.event >= SHMB_PROTO_EVENT_CREATED &&
                           rep.event.event <= SHMB_PROTO_EVENT_OVERFLOW);
                FUZZ_CHECK((rep.event.event == SHMB_PROTO_EVENT_OVERFLOW) ==
                           (rep.event.name_len == 0));
                FUZZ_CHECK(rep.event.name_len <= SHMB_PROTO_NAME_MAX);
                FUZZ_CHECK((const uint8_t *) rep.event_name + rep.event.name_len == packet + len);
                check_name(rep.event_name, rep.event.name_len);
                /* An object name, judged by the client: it may hold a NUL on the wire. */
                if (memchr(rep.event_name, '\0', rep.event.name_len))
                        break;
                memcpy(name, rep.event_name, rep.event.name_len);
                name[rep.event.name_len] = '\0';
                check_same(packet, len, out,
                           shmb_proto_encode_event(out, sizeof(out), rep.seq, rep.event.event,
                                                   name));
                break;
        }
        default:
                /* A reply type added after this harness: decoding it is enough. */
                break;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint8_t sel;
        size_t n_fds;

        if (size < 1)
                return 0;
        sel = data[0];
        n_fds = (sel >> 1) & 3;
        if (n_fds == 3)
                n_fds = sel >> 3;

        /* data + 1 is deliberately unaligned: the decoders must not assume alignment. */
        if (sel & 1)
                check_reply(data + 1, size - 1, n_fds);
        else
                check_request(data + 1, size - 1, n_fds);
        return 0;
}
