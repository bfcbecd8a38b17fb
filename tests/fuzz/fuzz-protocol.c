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
 * promise is broken: names are NUL-terminated at name_len, list entries walk cleanly to exactly
 * n_names, shmb_name_normalize() output is canonical and idempotent, and re-encoding the decoded
 * fields with the encoders gives back the very same bytes (the format has no slack: reserved
 * fields and flags are zero, and every length is exact).
 *
 * Not here: the daemon's reaction to packets (fuzz-conn.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "protocol.h"

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

static void check_request(const uint8_t *packet, size_t len, size_t n_fds)
{
        static uint8_t out[SHMB_PROTO_MSG_MAX];
        struct shmb_proto_request req;
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

        check_name(req.name, req.name_len);

        /* The encoders take C strings: a name with an embedded NUL cannot be re-encoded. */
        if (memchr(req.name, '\0', req.name_len))
                return;

        switch (req.type) {
        case SHMB_PROTO_CREATE:
                n = shmb_proto_encode_create(out, sizeof(out), req.seq, req.name, req.size,
                                             req.access);
                break;
        case SHMB_PROTO_OPEN:
                FUZZ_CHECK(req.access != SHMB_PROTO_ACCESS_NONE);
                n = shmb_proto_encode_open(out, sizeof(out), req.seq, req.name, req.access);
                break;
        case SHMB_PROTO_UNLINK:
        case SHMB_PROTO_STAT:
        case SHMB_PROTO_LIST:
                n = shmb_proto_encode_name_req(out, sizeof(out), req.type, req.seq, req.name);
                break;
        case SHMB_PROTO_OPEN_BATCH:
                check_batch(packet, len, &req);
                return;
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
        size_t cursor = 0, count = 0;
        bool encodable = true;
        const char *name;
        size_t name_len;
        int r;

        FUZZ_CHECK((rep->list_flags & ~(uint32_t) SHMB_PROTO_LIST_MORE) == 0);
        FUZZ_CHECK(rep->names >= packet && rep->names + rep->names_len == packet + len);

        r = shmb_proto_list_begin(&b, out, sizeof(out), rep->seq);
        FUZZ_CHECK(r == 0);
        while ((r = shmb_proto_list_next(rep, &cursor, &name, &name_len)) > 0) {
                char copy[SHMB_PROTO_NAME_MAX + 1];

                FUZZ_CHECK(name_len >= 1 && name_len <= SHMB_PROTO_NAME_MAX);
                FUZZ_CHECK((const uint8_t *) name >= rep->names &&
                           (const uint8_t *) name + name_len <= rep->names + rep->names_len);
                check_name(name, name_len);
                count++;

                if (memchr(name, '\0', name_len)) {
                        encodable = false;
                        continue;
                }
                memcpy(copy, name, name_len);
                copy[name_len] = '\0';
                if (encodable)
                        FUZZ_CHECK(shmb_proto_list_append(&b, copy) == 0);
        }
        /* The decoder walked the entries already: the iterator must agree with it. */
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK(cursor == rep->names_len);
        FUZZ_CHECK(count == rep->n_names);

        if (encodable)
                check_same(packet, len, out, shmb_proto_list_finish(&b, rep->list_flags));
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

        switch (rep.type) {
        case SHMB_PROTO_REPLY_ERROR:
                FUZZ_CHECK(n_fds == 0 && rep.error > 0);
                check_same(packet, len, out,
                           shmb_proto_encode_error(out, sizeof(out), rep.seq, rep.error));
                break;
        case SHMB_PROTO_REPLY_FD:
                FUZZ_CHECK(n_fds == 1);
                FUZZ_CHECK(rep.fd.access == SHMB_PROTO_ACCESS_RDONLY ||
                           rep.fd.access == SHMB_PROTO_ACCESS_RDWR);
                check_same(packet, len, out,
                           shmb_proto_encode_fd_reply(out, sizeof(out), rep.seq, &rep.fd));
                break;
        case SHMB_PROTO_REPLY_OK:
                FUZZ_CHECK(n_fds == 0);
                check_same(packet, len, out, shmb_proto_encode_ok(out, sizeof(out), rep.seq));
                break;
        case SHMB_PROTO_REPLY_STAT:
                FUZZ_CHECK(n_fds == 0 && rep.stat.n_acl <= SHMB_PROTO_ACL_MAX);
                check_same(packet, len, out,
                           shmb_proto_encode_stat_reply(out, sizeof(out), rep.seq, &rep.stat,
                                                        rep.acl));
                break;
        case SHMB_PROTO_REPLY_LIST:
                FUZZ_CHECK(n_fds == 0);
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
                                ok++;
                        }
                }
                /* One fd per success, no more, no less. */
                FUZZ_CHECK(ok == n_fds);
                check_same(packet, len, out,
                           shmb_proto_encode_batch_reply(out, sizeof(out), rep.seq, rep.results,
                                                         rep.n_results));
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
