/* SPDX-License-Identifier: MIT */
/*
 * test-protocol.c - the wire codec of proto/protocol.c, bytes in and bytes out.
 *
 * Table-driven: a table of valid packets (every request and reply kind) drives the header
 * tests, each of which runs once per kind as its own cmocka test; further tables cover the
 * fixed parts (reserved fields, name lengths, access values, types), list and stat replies and
 * the encoders' refusals. Packets are built by the encoders or by hand, never sent anywhere.
 * Name validity is test-name.c's business.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "protocol.h"

#define HDR sizeof(struct shmb_proto_header)

/* Room for the largest packet plus slack, so oversized packets can be built too. */
#define BUF_SIZE (SHMB_PROTO_MSG_MAX + 1024)

static uint8_t buf[BUF_SIZE];

/* ---------------------------------------------------------------- helpers */

static struct shmb_proto_header get_header(const uint8_t *p)
{
        struct shmb_proto_header h;

        memcpy(&h, p, sizeof(h));
        return h;
}

static void put_header(uint8_t *p, const struct shmb_proto_header *h)
{
        memcpy(p, h, sizeof(*h));
}

/* A packet by hand: a valid header (len = plen) and the payload. Returns the packet length. */
static size_t build(uint8_t *p, uint16_t type, uint32_t seq, uint16_t n_fds, const void *payload,
                    size_t plen)
{
        struct shmb_proto_header h = {
                .magic = SHMB_PROTO_MAGIC,
                .version = SHMB_PROTO_VERSION,
                .type = type,
                .seq = seq,
                .len = (uint32_t) plen,
                .n_fds = n_fds,
        };

        assert_true(HDR + plen <= BUF_SIZE);
        put_header(p, &h);
        if (plen > 0)
                memcpy(p + HDR, payload, plen);
        return HDR + plen;
}

static int decode_any(bool request, const uint8_t *p, size_t len, size_t n_fds)
{
        /* Static: the decoded forms are large, and the decoders must not need them zeroed. */
        static struct shmb_proto_request rq;
        static struct shmb_proto_reply rp;

        memset(&rq, 0xa5, sizeof(rq));
        memset(&rp, 0xa5, sizeof(rp));
        if (request)
                return shmb_proto_decode_request(p, len, n_fds, &rq);
        return shmb_proto_decode_reply(p, len, n_fds, &rp);
}

/* ---------------------------------------------------------------- valid packets */

struct kind {
        const char *name;
        bool request;
        size_t n_fds;
        int (*make)(uint8_t *p, size_t size);
};

static int make_create(uint8_t *p, size_t size)
{
        return shmb_proto_encode_create(p, size, 7, "audio-1", 4096, SHMB_PROTO_ACCESS_RDWR);
}

static int make_create_none(uint8_t *p, size_t size)
{
        return shmb_proto_encode_create(p, size, 8, "x", 1, SHMB_PROTO_ACCESS_NONE);
}

static int make_open(uint8_t *p, size_t size)
{
        return shmb_proto_encode_open(p, size, 9, "/video", SHMB_PROTO_ACCESS_RDONLY);
}

static int make_unlink(uint8_t *p, size_t size)
{
        return shmb_proto_encode_name_req(p, size, SHMB_PROTO_UNLINK, 10, "gone");
}

static int make_stat(uint8_t *p, size_t size)
{
        return shmb_proto_encode_name_req(p, size, SHMB_PROTO_STAT, 11, "seen");
}

static int make_list_first(uint8_t *p, size_t size)
{
        return shmb_proto_encode_name_req(p, size, SHMB_PROTO_LIST, 12, "");
}

static int make_list_cursor(uint8_t *p, size_t size)
{
        return shmb_proto_encode_name_req(p, size, SHMB_PROTO_LIST, 13, "m");
}

static int make_error(uint8_t *p, size_t size)
{
        return shmb_proto_encode_error(p, size, 14, EACCES);
}

static int make_ok(uint8_t *p, size_t size)
{
        return shmb_proto_encode_ok(p, size, 15);
}

static int make_fd(uint8_t *p, size_t size)
{
        struct shmb_proto_fd_reply f = {
                .size = 1 << 20,
                .access = SHMB_PROTO_ACCESS_RDWR,
                .backend = SHMB_PROTO_BACKEND_MEMFD,
        };

        return shmb_proto_encode_fd_reply(p, size, 16, &f);
}

static const struct shmb_proto_acl_entry acl3[] = {
        { SHMB_PROTO_ACL_USER_OBJ, UINT32_MAX, 6 },
        { SHMB_PROTO_ACL_USER, 1000, 4 },
        { SHMB_PROTO_ACL_OTHER, UINT32_MAX, 0 },
};

static int make_stat_reply(uint8_t *p, size_t size)
{
        struct shmb_proto_stat_reply st = {
                .size = 65536, .uid = 0, .gid = 29, .mode = 0660,
                .backend = SHMB_PROTO_BACKEND_SHM, .rights = SHMB_PROTO_RIGHT_READ,
                .n_acl = ELEMENTSOF(acl3),
        };

        return shmb_proto_encode_stat_reply(p, size, 17, &st, acl3);
}

static int make_stat_reply_noacl(uint8_t *p, size_t size)
{
        struct shmb_proto_stat_reply st = { .size = 1, .mode = 0600, .backend = 2 };

        return shmb_proto_encode_stat_reply(p, size, 18, &st, NULL);
}

static int make_list_names(uint8_t *p, size_t size, uint32_t flags, size_t n)
{
        static const char *const names[] = { "a", "bb", "ccc" };
        struct shmb_proto_list_builder b;
        size_t i;
        int r;

        r = shmb_proto_list_begin(&b, p, size, 19);
        if (r < 0)
                return r;
        for (i = 0; i < n; i++) {
                r = shmb_proto_list_append(&b, names[i]);
                if (r < 0)
                        return r;
        }
        return shmb_proto_list_finish(&b, flags);
}

static int make_list_reply(uint8_t *p, size_t size)
{
        return make_list_names(p, size, 0, 3);
}

static int make_list_reply_more(uint8_t *p, size_t size)
{
        return make_list_names(p, size, SHMB_PROTO_LIST_MORE, 2);
}

static int make_list_reply_empty(uint8_t *p, size_t size)
{
        return make_list_names(p, size, 0, 0);
}

static const struct kind kinds[] = {
        { "create", true, 0, make_create },
        { "create-none", true, 0, make_create_none },
        { "open", true, 0, make_open },
        { "unlink", true, 0, make_unlink },
        { "stat", true, 0, make_stat },
        { "list-first", true, 0, make_list_first },
        { "list-cursor", true, 0, make_list_cursor },
        { "reply-error", false, 0, make_error },
        { "reply-ok", false, 0, make_ok },
        { "reply-fd", false, 1, make_fd },
        { "reply-stat", false, 0, make_stat_reply },
        { "reply-stat-noacl", false, 0, make_stat_reply_noacl },
        { "reply-list", false, 0, make_list_reply },
        { "reply-list-more", false, 0, make_list_reply_more },
        { "reply-list-empty", false, 0, make_list_reply_empty },
};

static size_t make(const struct kind *k)
{
        int len;

        memset(buf, 0, sizeof(buf));
        len = k->make(buf, sizeof(buf));
        assert_true(len >= (int) HDR);
        assert_int_equal(decode_any(k->request, buf, (size_t) len, k->n_fds), 0);
        return (size_t) len;
}

/* ---------------------------------------------------------------- header, per kind */

static void hdr_valid(void **state)
{
        const struct kind *k = *state;
        size_t len = make(k);

        assert_int_equal(get_header(buf).len, len - HDR);
        assert_int_equal(get_header(buf).n_fds, k->n_fds);
        assert_int_equal(get_header(buf).magic, SHMB_PROTO_MAGIC);
        assert_memory_equal(buf, "SHMB", 4);
}

static void hdr_magic(void **state)
{
        const struct kind *k = *state;
        size_t len = make(k);
        unsigned int byte, bit;

        for (byte = 0; byte < 4; byte++)
                for (bit = 0; bit < 8; bit++) {
                        buf[byte] ^= (uint8_t) (1u << bit);
                        assert_int_equal(decode_any(k->request, buf, len, k->n_fds), -EBADMSG);
                        buf[byte] ^= (uint8_t) (1u << bit);
                }
        assert_int_equal(decode_any(k->request, buf, len, k->n_fds), 0);
}

static void hdr_version(void **state)
{
        static const uint16_t bad[] = { 0, 2, 3, 0x0100, 0x7fff, 0xffff };
        const struct kind *k = *state;
        size_t len = make(k), i;

        for (i = 0; i < ELEMENTSOF(bad); i++) {
                struct shmb_proto_header h = get_header(buf);

                h.version = bad[i];
                put_header(buf, &h);
                assert_int_equal(decode_any(k->request, buf, len, k->n_fds), -EPROTONOSUPPORT);
        }
}

static void hdr_flags(void **state)
{
        const struct kind *k = *state;
        size_t len = make(k);
        unsigned int bit;

        for (bit = 0; bit < 16; bit++) {
                struct shmb_proto_header h = get_header(buf);

                h.flags = (uint16_t) (1u << bit);
                put_header(buf, &h);
                assert_int_equal(decode_any(k->request, buf, len, k->n_fds), -EBADMSG);
        }
}

static void hdr_reserved(void **state)
{
        const struct kind *k = *state;
        size_t len = make(k);
        unsigned int bit;

        for (bit = 0; bit < 32; bit++) {
                struct shmb_proto_header h = get_header(buf);

                h.reserved = UINT32_C(1) << bit;
                put_header(buf, &h);
                assert_int_equal(decode_any(k->request, buf, len, k->n_fds), -EBADMSG);
        }
}

/* n_fds in the header and the fds that arrived disagree, both ways; and requests carry none. */
static void hdr_n_fds(void **state)
{
        const struct kind *k = *state;
        size_t len = make(k);
        struct shmb_proto_header h = get_header(buf);
        size_t arrived;

        for (arrived = 0; arrived <= SHMB_PROTO_FDS_MAX + 1; arrived++)
                if (arrived != k->n_fds)
                        assert_int_equal(decode_any(k->request, buf, len, arrived), -EBADMSG);

        /* The header claims one more (and, for REPLY_FD, one fewer) than the type allows. */
        h.n_fds = (uint16_t) (k->n_fds + 1);
        put_header(buf, &h);
        assert_int_equal(decode_any(k->request, buf, len, k->n_fds + 1), -EBADMSG);
        assert_int_equal(decode_any(k->request, buf, len, k->n_fds), -EBADMSG);
        if (k->n_fds > 0) {
                h.n_fds = (uint16_t) (k->n_fds - 1);
                put_header(buf, &h);
                assert_int_equal(decode_any(k->request, buf, len, k->n_fds - 1), -EBADMSG);
                assert_int_equal(decode_any(k->request, buf, len, k->n_fds), -EBADMSG);
        }
        h.n_fds = UINT16_MAX;
        put_header(buf, &h);
        assert_int_equal(decode_any(k->request, buf, len, UINT16_MAX), -EBADMSG);
}

/*
 * len smaller than the payload, for every value: both with the packet as it arrived (len
 * disagrees with the packet) and cut to match (the payload itself is short).
 */
static void hdr_len_short(void **state)
{
        const struct kind *k = *state;
        size_t len = make(k);
        uint32_t real = (uint32_t) (len - HDR), v;

        for (v = 0; v < real; v++) {
                struct shmb_proto_header h = get_header(buf);

                h.len = v;
                put_header(buf, &h);
                assert_int_equal(decode_any(k->request, buf, len, k->n_fds), -EBADMSG);
                assert_int_equal(decode_any(k->request, buf, HDR + v, k->n_fds), -EBADMSG);
        }
}

static void hdr_len_long(void **state)
{
        static const uint32_t extra[] = { 1, 2, 7, 8, 12, 4096, UINT32_MAX / 2 };
        const struct kind *k = *state;
        size_t len = make(k), i;
        uint32_t real = (uint32_t) (len - HDR);

        for (i = 0; i < ELEMENTSOF(extra); i++) {
                struct shmb_proto_header h = get_header(buf);

                h.len = real + extra[i];
                put_header(buf, &h);
                /* As it arrived: len promises more than came. */
                assert_int_equal(decode_any(k->request, buf, len, k->n_fds), -EBADMSG);
                /* With zero bytes really appended: more payload than the type has. */
                if (len + extra[i] <= SHMB_PROTO_MSG_MAX)
                        assert_int_equal(decode_any(k->request, buf, len + extra[i], k->n_fds),
                                         -EBADMSG);
        }
        {
                struct shmb_proto_header h = get_header(buf);

                h.len = UINT32_MAX;
                put_header(buf, &h);
                assert_int_equal(decode_any(k->request, buf, len, k->n_fds), -EBADMSG);
        }
}

static void hdr_too_big(void **state)
{
        const struct kind *k = *state;
        size_t len = make(k);
        struct shmb_proto_header h = get_header(buf);

        /* Consistent header, but the packet is over the limit. */
        h.len = SHMB_PROTO_MSG_MAX + 1 - HDR;
        put_header(buf, &h);
        assert_int_equal(decode_any(k->request, buf, SHMB_PROTO_MSG_MAX + 1, k->n_fds),
                         -EBADMSG);
        h.len = SHMB_PROTO_MSG_MAX + 100 - HDR;
        put_header(buf, &h);
        assert_int_equal(decode_any(k->request, buf, SHMB_PROTO_MSG_MAX + 100, k->n_fds),
                         -EBADMSG);
        (void) len;
}

static void hdr_truncated(void **state)
{
        const struct kind *k = *state;
        size_t n;

        make(k);
        for (n = 0; n < HDR; n++)
                assert_int_equal(decode_any(k->request, buf, n, k->n_fds), -EBADMSG);
}

/* The seq comes back as it was sent, whatever its value. */
static void hdr_seq(void **state)
{
        static const uint32_t seqs[] = { 0, 1, 0x80000000u, UINT32_MAX };
        const struct kind *k = *state;
        size_t len = make(k), i;

        for (i = 0; i < ELEMENTSOF(seqs); i++) {
                struct shmb_proto_header h = get_header(buf);

                h.seq = seqs[i];
                put_header(buf, &h);
                assert_int_equal(decode_any(k->request, buf, len, k->n_fds), 0);
                if (k->request) {
                        struct shmb_proto_request rq;

                        assert_int_equal(shmb_proto_decode_request(buf, len, 0, &rq), 0);
                        assert_int_equal(rq.seq, seqs[i]);
                } else {
                        static struct shmb_proto_reply rp;

                        assert_int_equal(shmb_proto_decode_reply(buf, len, k->n_fds, &rp), 0);
                        assert_int_equal(rp.seq, seqs[i]);
                }
        }
}

/* Every encoder refuses a buffer one byte too small, and every smaller one. */
static void enc_nobufs(void **state)
{
        const struct kind *k = *state;
        static uint8_t small[BUF_SIZE];
        size_t len = make(k), size;

        for (size = 0; size < len; size++)
                assert_int_equal(k->make(small, size), -ENOBUFS);
        assert_int_equal(k->make(small, len), (int) len);
        assert_memory_equal(small, buf, len);
}

static const struct {
        const char *name;
        void (*fn)(void **state);
} header_tests[] = {
        { "valid", hdr_valid },
        { "magic", hdr_magic },
        { "version", hdr_version },
        { "flags", hdr_flags },
        { "reserved", hdr_reserved },
        { "n_fds", hdr_n_fds },
        { "len-short", hdr_len_short },
        { "len-long", hdr_len_long },
        { "too-big", hdr_too_big },
        { "truncated-header", hdr_truncated },
        { "seq", hdr_seq },
        { "encode-nobufs", enc_nobufs },
};

/* ---------------------------------------------------------------- request round trips */

struct req_case {
        const char *desc;
        uint16_t type;
        const char *name;
        uint64_t size;
        uint32_t access;
};

static char name_wire_max[SHMB_PROTO_NAME_WIRE_MAX + 1];

static const struct req_case req_cases[] = {
        { "create none", SHMB_PROTO_CREATE, "a", 1, SHMB_PROTO_ACCESS_NONE },
        { "create rdonly", SHMB_PROTO_CREATE, "/a", 4096, SHMB_PROTO_ACCESS_RDONLY },
        { "create rdwr", SHMB_PROTO_CREATE, "audio-x", UINT64_MAX, SHMB_PROTO_ACCESS_RDWR },
        { "create any", SHMB_PROTO_CREATE, "b", 0, SHMB_PROTO_ACCESS_ANY },
        { "create empty name", SHMB_PROTO_CREATE, "", 1, SHMB_PROTO_ACCESS_NONE },
        { "open rdonly", SHMB_PROTO_OPEN, "x", 0, SHMB_PROTO_ACCESS_RDONLY },
        { "open rdwr", SHMB_PROTO_OPEN, "/x", 0, SHMB_PROTO_ACCESS_RDWR },
        { "open any", SHMB_PROTO_OPEN, "gr\xc3\xbc\xc3\x9f" "e", 0, SHMB_PROTO_ACCESS_ANY },
        { "open wire max name", SHMB_PROTO_OPEN, name_wire_max, 0, SHMB_PROTO_ACCESS_RDWR },
        { "unlink", SHMB_PROTO_UNLINK, "x", 0, 0 },
        { "stat", SHMB_PROTO_STAT, "x/y", 0, 0 },
        { "list first", SHMB_PROTO_LIST, "", 0, 0 },
        { "list cursor", SHMB_PROTO_LIST, "zzz", 0, 0 },
        { "list wire max cursor", SHMB_PROTO_LIST, name_wire_max, 0, 0 },
};

static int encode_req(const struct req_case *c, uint8_t *p, size_t size, uint32_t seq)
{
        switch (c->type) {
        case SHMB_PROTO_CREATE:
                return shmb_proto_encode_create(p, size, seq, c->name, c->size, c->access);
        case SHMB_PROTO_OPEN:
                return shmb_proto_encode_open(p, size, seq, c->name, c->access);
        default:
                return shmb_proto_encode_name_req(p, size, c->type, seq, c->name);
        }
}

static void test_request_roundtrip(void **state)
{
        const struct req_case *c = *state;
        static struct shmb_proto_request rq;
        size_t n = strlen(c->name);
        int len;

        len = encode_req(c, buf, sizeof(buf), 0xdeadbeef);
        assert_true(len > 0);
        memset(&rq, 0xa5, sizeof(rq));
        assert_int_equal(shmb_proto_decode_request(buf, (size_t) len, 0, &rq), 0);
        assert_int_equal(rq.type, c->type);
        assert_int_equal(rq.seq, 0xdeadbeef);
        assert_int_equal(rq.name_len, n);
        assert_memory_equal(rq.name, c->name, n);
        assert_int_equal(rq.name[n], '\0');
        if (c->type == SHMB_PROTO_CREATE) {
                assert_true(rq.size == c->size);
                assert_int_equal(rq.access, c->access);
        } else if (c->type == SHMB_PROTO_OPEN) {
                assert_int_equal(rq.access, c->access);
        } else {
                assert_int_equal(rq.access, SHMB_PROTO_ACCESS_NONE);
        }
        /* Exact length: header, fixed part, name. */
        assert_int_equal(get_header(buf).len, (size_t) len - HDR);
}

/* ---------------------------------------------------------------- reply round trips */

static void test_reply_error(void **state)
{
        static const int errs[] = { 1, EACCES, ENOENT, EEXIST, EINVAL, ENAMETOOLONG, EFBIG,
                                    ENOSPC, EDQUOT, ELOOP, EBADFD, EOPNOTSUPP, EBADMSG,
                                    EPROTONOSUPPORT, INT32_MAX };
        static struct shmb_proto_reply rp;
        size_t i;

        for (i = 0; i < ELEMENTSOF(errs); i++) {
                int len = shmb_proto_encode_error(buf, sizeof(buf), (uint32_t) i, errs[i]);

                assert_int_equal(len, HDR + sizeof(struct shmb_proto_error));
                assert_int_equal(shmb_proto_decode_reply(buf, (size_t) len, 0, &rp), 0);
                assert_int_equal(rp.type, SHMB_PROTO_REPLY_ERROR);
                assert_int_equal(rp.seq, i);
                assert_int_equal(rp.error, errs[i]);
        }
}

static void test_reply_ok(void **state)
{
        static struct shmb_proto_reply rp;
        int len = shmb_proto_encode_ok(buf, sizeof(buf), 42);

        assert_int_equal(len, HDR);
        assert_int_equal(shmb_proto_decode_reply(buf, (size_t) len, 0, &rp), 0);
        assert_int_equal(rp.type, SHMB_PROTO_REPLY_OK);
        assert_int_equal(rp.seq, 42);
}

static void test_reply_fd(void **state)
{
        static const struct shmb_proto_fd_reply fds[] = {
                { 1, SHMB_PROTO_ACCESS_RDONLY, SHMB_PROTO_BACKEND_SHM },
                { UINT64_MAX, SHMB_PROTO_ACCESS_RDWR, SHMB_PROTO_BACKEND_MEMFD },
                { 0, SHMB_PROTO_ACCESS_RDWR, 99 },
        };
        static struct shmb_proto_reply rp;
        size_t i;

        for (i = 0; i < ELEMENTSOF(fds); i++) {
                int len = shmb_proto_encode_fd_reply(buf, sizeof(buf), 5, &fds[i]);

                assert_int_equal(len, HDR + sizeof(struct shmb_proto_fd_reply));
                assert_int_equal(get_header(buf).n_fds, 1);
                assert_int_equal(shmb_proto_decode_reply(buf, (size_t) len, 1, &rp), 0);
                assert_int_equal(rp.type, SHMB_PROTO_REPLY_FD);
                assert_true(rp.fd.size == fds[i].size);
                assert_int_equal(rp.fd.access, fds[i].access);
                assert_int_equal(rp.fd.backend, fds[i].backend);
        }
}

static void test_reply_stat(void **state)
{
        static struct shmb_proto_acl_entry acl[SHMB_PROTO_ACL_MAX];
        static struct shmb_proto_reply rp;
        static const uint32_t counts[] = { 0, 1, 3, SHMB_PROTO_ACL_MAX - 1, SHMB_PROTO_ACL_MAX };
        size_t i, j;

        for (j = 0; j < ELEMENTSOF(acl); j++)
                acl[j] = (struct shmb_proto_acl_entry) {
                        .tag = SHMB_PROTO_ACL_USER, .id = (uint32_t) (1000 + j),
                        .perm = (uint32_t) (j % 8),
                };
        for (i = 0; i < ELEMENTSOF(counts); i++) {
                struct shmb_proto_stat_reply st = {
                        .size = 123456789, .uid = 1000, .gid = 100, .mode = 0640,
                        .backend = SHMB_PROTO_BACKEND_SHM,
                        .rights = SHMB_PROTO_RIGHT_READ | SHMB_PROTO_RIGHT_CREATE,
                        .n_acl = counts[i],
                };
                int len = shmb_proto_encode_stat_reply(buf, sizeof(buf), 77, &st, acl);

                assert_int_equal(len, HDR + sizeof(st) + counts[i] * sizeof(acl[0]));
                memset(&rp, 0xa5, sizeof(rp));
                assert_int_equal(shmb_proto_decode_reply(buf, (size_t) len, 0, &rp), 0);
                assert_int_equal(rp.type, SHMB_PROTO_REPLY_STAT);
                assert_memory_equal(&rp.stat, &st, sizeof(st));
                if (counts[i] > 0)
                        assert_memory_equal(rp.acl, acl, counts[i] * sizeof(acl[0]));
        }
}

/* ---------------------------------------------------------------- list builder */

static void list_check(const uint8_t *p, int len, const char *const *names, size_t n,
                       uint32_t flags)
{
        static struct shmb_proto_reply rp;
        size_t cursor = 0, i;
        const char *name;
        size_t name_len;

        assert_true(len > 0);
        assert_int_equal(shmb_proto_decode_reply(p, (size_t) len, 0, &rp), 0);
        assert_int_equal(rp.type, SHMB_PROTO_REPLY_LIST);
        assert_int_equal(rp.n_names, n);
        assert_int_equal(rp.list_flags, flags);
        for (i = 0; i < n; i++) {
                assert_int_equal(shmb_proto_list_next(&rp, &cursor, &name, &name_len), 1);
                assert_int_equal(name_len, strlen(names[i]));
                assert_memory_equal(name, names[i], name_len);
        }
        assert_int_equal(shmb_proto_list_next(&rp, &cursor, &name, &name_len), 0);
        assert_int_equal(shmb_proto_list_next(&rp, &cursor, &name, &name_len), 0);
}

static void test_list_roundtrip(void **state)
{
        static const char *const names[] = { "a", "b-\xc3\xa9", "ccc", "zz" };
        struct shmb_proto_list_builder b;
        size_t i;

        assert_int_equal(shmb_proto_list_begin(&b, buf, sizeof(buf), 3), 0);
        for (i = 0; i < ELEMENTSOF(names); i++)
                assert_int_equal(shmb_proto_list_append(&b, names[i]), 0);
        list_check(buf, shmb_proto_list_finish(&b, SHMB_PROTO_LIST_MORE), names,
                   ELEMENTSOF(names), SHMB_PROTO_LIST_MORE);

        assert_int_equal(shmb_proto_list_begin(&b, buf, sizeof(buf), 4), 0);
        list_check(buf, shmb_proto_list_finish(&b, 0), NULL, 0, 0);
}

/*
 * Fill a builder until it says -ENOBUFS, for buffers of several sizes (including larger than
 * the protocol allows): what it built decodes, holds every name appended, and fits the limit.
 */
static void test_list_fill(void **state)
{
        static const size_t sizes[] = {
                HDR + sizeof(struct shmb_proto_list_reply),
                HDR + sizeof(struct shmb_proto_list_reply) + 2,
                HDR + sizeof(struct shmb_proto_list_reply) + 2 + 255,
                HDR + sizeof(struct shmb_proto_list_reply) + 2 + 255 + 1,
                1000, 4096, SHMB_PROTO_MSG_MAX, BUF_SIZE,
        };
        static char names[SHMB_PROTO_MSG_MAX / 3][SHMB_PROTO_NAME_MAX + 1];
        static const char *ptrs[ELEMENTSOF(names)];
        size_t s;

        for (s = 0; s < ELEMENTSOF(sizes); s++) {
                struct shmb_proto_list_builder b;
                size_t n = 0, used, namelen = s % 2 ? SHMB_PROTO_NAME_MAX : 7;
                int r, len;

                assert_int_equal(shmb_proto_list_begin(&b, buf, sizes[s], 9), 0);
                for (;;) {
                        assert_true(n < ELEMENTSOF(names));
                        snprintf(names[n], sizeof(names[n]), "%0*zu", (int) namelen, n);
                        r = shmb_proto_list_append(&b, names[n]);
                        if (r == -ENOBUFS)
                                break;
                        assert_int_equal(r, 0);
                        ptrs[n] = names[n];
                        n++;
                }
                len = shmb_proto_list_finish(&b, 0);
                used = (size_t) len;
                assert_true(used <= sizes[s] && used <= SHMB_PROTO_MSG_MAX);
                /* Full: the entry that was refused would not have fitted. */
                assert_true(used + 2 + namelen > (sizes[s] < SHMB_PROTO_MSG_MAX ?
                                                  sizes[s] : SHMB_PROTO_MSG_MAX));
                list_check(buf, len, ptrs, n, 0);
        }
}

static void test_list_append_invalid(void **state)
{
        static char long_name[SHMB_PROTO_NAME_MAX + 2];
        struct shmb_proto_list_builder b;

        memset(long_name, 'x', sizeof(long_name) - 1);
        assert_int_equal(shmb_proto_list_begin(&b, buf, sizeof(buf), 1), 0);
        assert_int_equal(shmb_proto_list_append(&b, ""), -EINVAL);
        assert_int_equal(shmb_proto_list_append(&b, long_name), -EINVAL);
        long_name[SHMB_PROTO_NAME_MAX] = '\0';
        assert_int_equal(shmb_proto_list_append(&b, long_name), 0);
        assert_int_equal(b.n_names, 1);

        /* Too small for the header and the fixed part. */
        assert_int_equal(shmb_proto_list_begin(&b, buf, 0, 1), -ENOBUFS);
        assert_int_equal(shmb_proto_list_begin(&b, buf, HDR, 1), -ENOBUFS);
        assert_int_equal(shmb_proto_list_begin(&b, buf,
                                               HDR + sizeof(struct shmb_proto_list_reply) - 1, 1),
                         -ENOBUFS);
}

/* ---------------------------------------------------------------- malformed fixed parts */

/* A hand-made packet: type, n_fds, payload bytes; and the result the decoder must give. */
struct raw_case {
        const char *desc;
        bool request;
        uint16_t type;
        uint16_t n_fds;
        const uint8_t *payload;
        size_t plen;
        int ret;
};

#define RAW(d, req, t, nfd, r, ...)                                                     \
        { d, req, t, nfd, (const uint8_t[]) { __VA_ARGS__ },                            \
          sizeof((const uint8_t[]) { __VA_ARGS__ }), r }

/* Payload bytes in native order (the wire's byte order). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define U16(v) (uint8_t) ((v) & 0xff), (uint8_t) (((v) >> 8) & 0xff)
#define U32(v) U16((v) & 0xffffu), U16(((v) >> 16) & 0xffffu)
#define U64(v) U32((uint64_t) (v) & 0xffffffffu), U32(((uint64_t) (v) >> 32) & 0xffffffffu)
#else
#define U16(v) (uint8_t) (((v) >> 8) & 0xff), (uint8_t) ((v) & 0xff)
#define U32(v) U16(((v) >> 16) & 0xffffu), U16((v) & 0xffffu)
#define U64(v) U32(((uint64_t) (v) >> 32) & 0xffffffffu), U32((uint64_t) (v) & 0xffffffffu)
#endif

static const struct raw_case raw_cases[] = {
        /* valid baselines, so that each row below differs in one thing only */
        RAW("create baseline", true, SHMB_PROTO_CREATE, 0, 0,
            U64(4096), U32(2), U16(1), U16(0), 'x'),
        RAW("open baseline", true, SHMB_PROTO_OPEN, 0, 0, U32(1), U16(1), U16(0), 'x'),
        RAW("name request baseline", true, SHMB_PROTO_STAT, 0, 0,
            U16(1), U16(0), U32(0), 'x'),
        RAW("error baseline", false, SHMB_PROTO_REPLY_ERROR, 0, 0, U32(2), U32(0)),

        /* reserved fields of the fixed parts */
        RAW("create reserved", true, SHMB_PROTO_CREATE, 0, -EBADMSG,
            U64(4096), U32(2), U16(1), U16(1), 'x'),
        RAW("create reserved high", true, SHMB_PROTO_CREATE, 0, -EBADMSG,
            U64(4096), U32(2), U16(1), U16(0x8000), 'x'),
        RAW("open reserved", true, SHMB_PROTO_OPEN, 0, -EBADMSG, U32(1), U16(1), U16(1), 'x'),
        RAW("unlink reserved", true, SHMB_PROTO_UNLINK, 0, -EBADMSG,
            U16(1), U16(1), U32(0), 'x'),
        RAW("stat reserved2", true, SHMB_PROTO_STAT, 0, -EBADMSG,
            U16(1), U16(0), U32(0x80000000u), 'x'),
        RAW("list reserved2", true, SHMB_PROTO_LIST, 0, -EBADMSG, U16(0), U16(0), U32(1)),
        RAW("error reserved", false, SHMB_PROTO_REPLY_ERROR, 0, -EBADMSG, U32(2), U32(1)),

        /* name_len against the payload */
        RAW("create name_len + 1", true, SHMB_PROTO_CREATE, 0, -EBADMSG,
            U64(1), U32(0), U16(2), U16(0), 'x'),
        RAW("create name_len - 1", true, SHMB_PROTO_CREATE, 0, -EBADMSG,
            U64(1), U32(0), U16(1), U16(0), 'x', 'y'),
        RAW("create name_len 0 with a name", true, SHMB_PROTO_CREATE, 0, -EBADMSG,
            U64(1), U32(0), U16(0), U16(0), 'x'),
        RAW("create name_len max", true, SHMB_PROTO_CREATE, 0, -EBADMSG,
            U64(1), U32(0), U16(0xffff), U16(0), 'x'),
        RAW("create no fixed part", true, SHMB_PROTO_CREATE, 0, -EBADMSG, U64(1), U32(0)),
        RAW("open name_len + 1", true, SHMB_PROTO_OPEN, 0, -EBADMSG,
            U32(1), U16(4), U16(0), 'a', 'b', 'c'),
        RAW("open name_len - 1", true, SHMB_PROTO_OPEN, 0, -EBADMSG,
            U32(1), U16(2), U16(0), 'a', 'b', 'c'),
        RAW("open short fixed part", true, SHMB_PROTO_OPEN, 0, -EBADMSG, U32(1), U16(0)),
        RAW("unlink name_len + 1", true, SHMB_PROTO_UNLINK, 0, -EBADMSG,
            U16(2), U16(0), U32(0), 'x'),
        RAW("stat name_len - 1", true, SHMB_PROTO_STAT, 0, -EBADMSG,
            U16(0), U16(0), U32(0), 'x'),
        RAW("list short fixed part", true, SHMB_PROTO_LIST, 0, -EBADMSG, U16(0), U16(0)),

        /* access values */
        RAW("create access none", true, SHMB_PROTO_CREATE, 0, 0,
            U64(1), U32(0), U16(1), U16(0), 'x'),
        RAW("create access any", true, SHMB_PROTO_CREATE, 0, 0,
            U64(1), U32(3), U16(1), U16(0), 'x'),
        RAW("create access 4", true, SHMB_PROTO_CREATE, 0, -EBADMSG,
            U64(1), U32(4), U16(1), U16(0), 'x'),
        RAW("create access max", true, SHMB_PROTO_CREATE, 0, -EBADMSG,
            U64(1), U32(0xffffffffu), U16(1), U16(0), 'x'),
        RAW("open access none", true, SHMB_PROTO_OPEN, 0, -EBADMSG,
            U32(0), U16(1), U16(0), 'x'),
        RAW("open access any", true, SHMB_PROTO_OPEN, 0, 0, U32(3), U16(1), U16(0), 'x'),
        RAW("open access 4", true, SHMB_PROTO_OPEN, 0, -EBADMSG, U32(4), U16(1), U16(0), 'x'),
        RAW("open access max", true, SHMB_PROTO_OPEN, 0, -EBADMSG,
            U32(0xffffffffu), U16(1), U16(0), 'x'),
        RAW("fd reply access none", false, SHMB_PROTO_REPLY_FD, 1, -EBADMSG,
            U64(1), U32(0), U32(1)),
        RAW("fd reply access any", false, SHMB_PROTO_REPLY_FD, 1, -EBADMSG,
            U64(1), U32(3), U32(1)),
        RAW("fd reply access 4", false, SHMB_PROTO_REPLY_FD, 1, -EBADMSG,
            U64(1), U32(4), U32(1)),
        RAW("fd reply rdonly", false, SHMB_PROTO_REPLY_FD, 1, 0, U64(1), U32(1), U32(1)),

        /* request types: unknown ones are well-formed but unsupported */
        RAW("request type 0", true, 0x00, 0, -EOPNOTSUPP, U16(0), U16(0), U32(0)),
        RAW("request type 7", true, 0x07, 0, -EOPNOTSUPP, U16(0), U16(0), U32(0)),
        RAW("request type 0x7f", true, 0x7f, 0, -EOPNOTSUPP),
        RAW("request type max", true, 0xffff, 0, -EOPNOTSUPP, 1, 2, 3),
        RAW("request of a reply type", true, SHMB_PROTO_REPLY_OK, 0, -EOPNOTSUPP),
        RAW("request with fds", true, SHMB_PROTO_STAT, 1, -EBADMSG,
            U16(1), U16(0), U32(0), 'x'),
        RAW("unknown request with fds", true, 0x07, 1, -EBADMSG),

        /* open batch: n items, then the names one after another */
        RAW("batch one", true, SHMB_PROTO_OPEN_BATCH, 0, 0,
            U32(1), U32(0), U32(1), U16(1), U16(0), 'x'),
        RAW("batch two", true, SHMB_PROTO_OPEN_BATCH, 0, 0,
            U32(2), U32(0), U32(1), U16(1), U16(0), U32(3), U16(2), U16(0), 'x', 'y', 'z'),
        RAW("batch n 0", true, SHMB_PROTO_OPEN_BATCH, 0, -EBADMSG, U32(0), U32(0)),
        RAW("batch n 17", true, SHMB_PROTO_OPEN_BATCH, 0, -EBADMSG, U32(17), U32(0)),
        RAW("batch reserved", true, SHMB_PROTO_OPEN_BATCH, 0, -EBADMSG,
            U32(1), U32(1), U32(1), U16(1), U16(0), 'x'),
        RAW("batch item reserved", true, SHMB_PROTO_OPEN_BATCH, 0, -EBADMSG,
            U32(1), U32(0), U32(1), U16(1), U16(1), 'x'),
        RAW("batch access none", true, SHMB_PROTO_OPEN_BATCH, 0, -EBADMSG,
            U32(1), U32(0), U32(0), U16(1), U16(0), 'x'),
        RAW("batch access 4", true, SHMB_PROTO_OPEN_BATCH, 0, -EBADMSG,
            U32(1), U32(0), U32(4), U16(1), U16(0), 'x'),
        RAW("batch items missing", true, SHMB_PROTO_OPEN_BATCH, 0, -EBADMSG,
            U32(2), U32(0), U32(1), U16(1), U16(0), 'x'),
        RAW("batch name short", true, SHMB_PROTO_OPEN_BATCH, 0, -EBADMSG,
            U32(1), U32(0), U32(1), U16(2), U16(0), 'x'),
        RAW("batch name long", true, SHMB_PROTO_OPEN_BATCH, 0, -EBADMSG,
            U32(1), U32(0), U32(1), U16(1), U16(0), 'x', 'y'),
        RAW("batch with fds", true, SHMB_PROTO_OPEN_BATCH, 1, -EBADMSG,
            U32(1), U32(0), U32(1), U16(1), U16(0), 'x'),
        RAW("batch reply ok", false, SHMB_PROTO_REPLY_BATCH, 1, 0,
            U32(1), U32(0), U32(0), U32(1), U32(1), U32(0), U64(7)),
        RAW("batch reply error", false, SHMB_PROTO_REPLY_BATCH, 0, 0,
            U32(1), U32(0), U32(13), U32(0), U32(0), U32(0), U64(0)),
        RAW("batch reply fds mismatch", false, SHMB_PROTO_REPLY_BATCH, 0, -EBADMSG,
            U32(1), U32(0), U32(0), U32(1), U32(1), U32(0), U64(7)),
        RAW("batch reply extra fd", false, SHMB_PROTO_REPLY_BATCH, 2, -EBADMSG,
            U32(1), U32(0), U32(0), U32(1), U32(1), U32(0), U64(7)),
        RAW("batch reply negative error", false, SHMB_PROTO_REPLY_BATCH, 0, -EBADMSG,
            U32(1), U32(0), U32(0xffffffff), U32(0), U32(0), U32(0), U64(0)),
        RAW("batch reply access 0", false, SHMB_PROTO_REPLY_BATCH, 1, -EBADMSG,
            U32(1), U32(0), U32(0), U32(0), U32(1), U32(0), U64(7)),
        RAW("batch reply n 0", false, SHMB_PROTO_REPLY_BATCH, 0, -EBADMSG, U32(0), U32(0)),

        /* reply types and fixed parts */
        RAW("reply type 0", false, 0x00, 0, -EBADMSG),
        RAW("reply of a request type", false, SHMB_PROTO_OPEN, 0, -EBADMSG,
            U32(1), U16(1), U16(0), 'x'),
        RAW("reply type 0x86", false, 0x86, 0, -EBADMSG),
        RAW("error 0", false, SHMB_PROTO_REPLY_ERROR, 0, -EBADMSG, U32(0), U32(0)),
        RAW("error negative", false, SHMB_PROTO_REPLY_ERROR, 0, -EBADMSG,
            U32(0xffffffffu), U32(0)),
        RAW("error INT32_MIN", false, SHMB_PROTO_REPLY_ERROR, 0, -EBADMSG,
            U32(0x80000000u), U32(0)),
        RAW("error short", false, SHMB_PROTO_REPLY_ERROR, 0, -EBADMSG, U32(2)),
        RAW("error long", false, SHMB_PROTO_REPLY_ERROR, 0, -EBADMSG, U32(2), U32(0), 0),
        RAW("ok with payload", false, SHMB_PROTO_REPLY_OK, 0, -EBADMSG, 0),
        RAW("fd reply without fd", false, SHMB_PROTO_REPLY_FD, 0, -EBADMSG,
            U64(1), U32(1), U32(1)),
        RAW("fd reply short", false, SHMB_PROTO_REPLY_FD, 1, -EBADMSG, U64(1), U32(1)),
        RAW("fd reply long", false, SHMB_PROTO_REPLY_FD, 1, -EBADMSG,
            U64(1), U32(1), U32(1), 0),

        /* list replies */
        RAW("list empty", false, SHMB_PROTO_REPLY_LIST, 0, 0, U32(0), U32(0)),
        RAW("list one", false, SHMB_PROTO_REPLY_LIST, 0, 0, U32(1), U32(0), U16(1), 'a'),
        RAW("list no fixed part", false, SHMB_PROTO_REPLY_LIST, 0, -EBADMSG, U32(0)),
        RAW("list zero-length name", false, SHMB_PROTO_REPLY_LIST, 0, -EBADMSG,
            U32(1), U32(0), U16(0)),
        RAW("list zero-length name after one", false, SHMB_PROTO_REPLY_LIST, 0, -EBADMSG,
            U32(2), U32(0), U16(1), 'a', U16(0)),
        RAW("list length past end", false, SHMB_PROTO_REPLY_LIST, 0, -EBADMSG,
            U32(1), U32(0), U16(2), 'a'),
        RAW("list length far past end", false, SHMB_PROTO_REPLY_LIST, 0, -EBADMSG,
            U32(1), U32(0), U16(0xffff), 'a'),
        RAW("list half a length", false, SHMB_PROTO_REPLY_LIST, 0, -EBADMSG,
            U32(1), U32(0), U16(1), 'a', 0),
        RAW("list n_names too large", false, SHMB_PROTO_REPLY_LIST, 0, -EBADMSG,
            U32(2), U32(0), U16(1), 'a'),
        RAW("list n_names too small", false, SHMB_PROTO_REPLY_LIST, 0, -EBADMSG,
            U32(1), U32(0), U16(1), 'a', U16(1), 'b'),
        RAW("list n_names without names", false, SHMB_PROTO_REPLY_LIST, 0, -EBADMSG,
            U32(1), U32(0)),
        RAW("list n_names max", false, SHMB_PROTO_REPLY_LIST, 0, -EBADMSG,
            U32(0xffffffffu), U32(0), U16(1), 'a'),
        RAW("list unknown flag", false, SHMB_PROTO_REPLY_LIST, 0, -EBADMSG, U32(0), U32(2)),
        RAW("list flag high bit", false, SHMB_PROTO_REPLY_LIST, 0, -EBADMSG,
            U32(0), U32(0x80000000u)),
        RAW("list with fd", false, SHMB_PROTO_REPLY_LIST, 1, -EBADMSG, U32(0), U32(0)),

        /* stat replies */
        RAW("stat no acl", false, SHMB_PROTO_REPLY_STAT, 0, 0,
            U64(1), U32(0), U32(0), U32(0600), U32(1), U32(1), U32(0)),
        RAW("stat one acl", false, SHMB_PROTO_REPLY_STAT, 0, 0,
            U64(1), U32(0), U32(0), U32(0600), U32(1), U32(1), U32(1),
            U32(1), U32(0xffffffffu), U32(6)),
        RAW("stat short fixed part", false, SHMB_PROTO_REPLY_STAT, 0, -EBADMSG,
            U64(1), U32(0), U32(0), U32(0600), U32(1), U32(1)),
        RAW("stat n_acl past payload", false, SHMB_PROTO_REPLY_STAT, 0, -EBADMSG,
            U64(1), U32(0), U32(0), U32(0600), U32(1), U32(1), U32(1)),
        RAW("stat n_acl below payload", false, SHMB_PROTO_REPLY_STAT, 0, -EBADMSG,
            U64(1), U32(0), U32(0), U32(0600), U32(1), U32(1), U32(0),
            U32(1), U32(0xffffffffu), U32(6)),
        RAW("stat partial acl entry", false, SHMB_PROTO_REPLY_STAT, 0, -EBADMSG,
            U64(1), U32(0), U32(0), U32(0600), U32(1), U32(1), U32(1),
            U32(1), U32(0xffffffffu)),
        RAW("stat n_acl max", false, SHMB_PROTO_REPLY_STAT, 0, -EBADMSG,
            U64(1), U32(0), U32(0), U32(0600), U32(1), U32(1), U32(0xffffffffu)),
        RAW("stat n_acl 2^30", false, SHMB_PROTO_REPLY_STAT, 0, -EBADMSG,
            U64(1), U32(0), U32(0), U32(0600), U32(1), U32(1), U32(0x40000000u)),
        RAW("stat with fd", false, SHMB_PROTO_REPLY_STAT, 1, -EBADMSG,
            U64(1), U32(0), U32(0), U32(0600), U32(1), U32(1), U32(0)),
};

static void test_raw(void **state)
{
        const struct raw_case *c = *state;
        size_t len = build(buf, c->type, 1, c->n_fds, c->payload, c->plen);
        int r = decode_any(c->request, buf, len, c->n_fds);

        if (r != c->ret)
                fail_msg("%s: decoder returned %d, want %d", c->desc, r, c->ret);
}

/* ---------------------------------------------------------------- large and computed cases */

/* The longest name the wire carries decodes; one byte more is malformed. */
static void test_name_wire_max(void **state)
{
        static uint8_t payload[sizeof(struct shmb_proto_name_req) + SHMB_PROTO_NAME_WIRE_MAX + 1];
        static struct shmb_proto_request rq;
        struct shmb_proto_name_req n = { 0 };
        size_t len;

        memset(payload, 'n', sizeof(payload));
        n.name_len = SHMB_PROTO_NAME_WIRE_MAX;
        memcpy(payload, &n, sizeof(n));
        len = build(buf, SHMB_PROTO_STAT, 1, 0, payload, sizeof(n) + SHMB_PROTO_NAME_WIRE_MAX);
        assert_int_equal(shmb_proto_decode_request(buf, len, 0, &rq), 0);
        assert_int_equal(rq.name_len, SHMB_PROTO_NAME_WIRE_MAX);
        assert_int_equal(rq.name[SHMB_PROTO_NAME_WIRE_MAX], '\0');

        n.name_len = SHMB_PROTO_NAME_WIRE_MAX + 1;
        memcpy(payload, &n, sizeof(n));
        len = build(buf, SHMB_PROTO_STAT, 1, 0, payload, sizeof(payload));
        assert_int_equal(shmb_proto_decode_request(buf, len, 0, &rq), -EBADMSG);
}

/* A list entry longer than a name may be is malformed even when the bytes are there. */
static void test_list_name_too_long(void **state)
{
        static uint8_t payload[sizeof(struct shmb_proto_list_reply) + 2 + SHMB_PROTO_NAME_MAX + 1];
        static struct shmb_proto_reply rp;
        struct shmb_proto_list_reply l = { .n_names = 1 };
        uint16_t nl;
        size_t len;

        memset(payload, 'n', sizeof(payload));
        memcpy(payload, &l, sizeof(l));
        nl = SHMB_PROTO_NAME_MAX;
        memcpy(payload + sizeof(l), &nl, sizeof(nl));
        len = build(buf, SHMB_PROTO_REPLY_LIST, 1, 0, payload, sizeof(payload) - 1);
        assert_int_equal(shmb_proto_decode_reply(buf, len, 0, &rp), 0);

        nl = SHMB_PROTO_NAME_MAX + 1;
        memcpy(payload + sizeof(l), &nl, sizeof(nl));
        len = build(buf, SHMB_PROTO_REPLY_LIST, 1, 0, payload, sizeof(payload));
        assert_int_equal(shmb_proto_decode_reply(buf, len, 0, &rp), -EBADMSG);
}

/*
 * A list reply that is well-formed in every way but its size: exactly SHMB_PROTO_MSG_MAX bytes
 * decode, one more do not (the per-kind too-big tests break the payload as well; this one
 * does not).
 */
static size_t build_list_of_size(size_t total)
{
        static uint8_t payload[SHMB_PROTO_MSG_MAX + 1];
        struct shmb_proto_list_reply l = { 0 };
        size_t left = total - HDR - sizeof(l), off = sizeof(l);

        memset(payload, 'q', sizeof(payload));
        while (left > 0) {
                /* Full-size entries, and a last one that takes what remains (>= 3 bytes). */
                uint16_t nl = left >= 2 * (2 + SHMB_PROTO_NAME_MAX) ? SHMB_PROTO_NAME_MAX :
                              left > 2 + SHMB_PROTO_NAME_MAX ? (uint16_t) (left / 2 - 2) :
                              (uint16_t) (left - 2);

                assert_true(nl >= 1 && nl <= SHMB_PROTO_NAME_MAX);
                memcpy(payload + off, &nl, sizeof(nl));
                off += 2 + nl;
                left -= 2 + (size_t) nl;
                l.n_names++;
        }
        memcpy(payload, &l, sizeof(l));
        return build(buf, SHMB_PROTO_REPLY_LIST, 1, 0, payload, off);
}

static void test_list_max_size(void **state)
{
        static struct shmb_proto_reply rp;
        size_t len;

        len = build_list_of_size(SHMB_PROTO_MSG_MAX);
        assert_int_equal(len, SHMB_PROTO_MSG_MAX);
        assert_int_equal(shmb_proto_decode_reply(buf, len, 0, &rp), 0);

        len = build_list_of_size(SHMB_PROTO_MSG_MAX + 1);
        assert_int_equal(len, SHMB_PROTO_MSG_MAX + 1);
        assert_int_equal(shmb_proto_decode_reply(buf, len, 0, &rp), -EBADMSG);
}

/* n_acl one past the maximum, with all its entries really present, is malformed. */
static void test_stat_acl_over_max(void **state)
{
        static uint8_t payload[sizeof(struct shmb_proto_stat_reply) +
                               (SHMB_PROTO_ACL_MAX + 1) * sizeof(struct shmb_proto_acl_entry)];
        static struct shmb_proto_reply rp;
        struct shmb_proto_stat_reply st = { .size = 1, .n_acl = SHMB_PROTO_ACL_MAX };
        size_t len;

        memset(payload, 0, sizeof(payload));
        memcpy(payload, &st, sizeof(st));
        len = build(buf, SHMB_PROTO_REPLY_STAT, 1, 0, payload,
                    sizeof(payload) - sizeof(struct shmb_proto_acl_entry));
        assert_int_equal(shmb_proto_decode_reply(buf, len, 0, &rp), 0);
        assert_int_equal(rp.stat.n_acl, SHMB_PROTO_ACL_MAX);

        st.n_acl = SHMB_PROTO_ACL_MAX + 1;
        memcpy(payload, &st, sizeof(st));
        len = build(buf, SHMB_PROTO_REPLY_STAT, 1, 0, payload, sizeof(payload));
        assert_int_equal(shmb_proto_decode_reply(buf, len, 0, &rp), -EBADMSG);
}

/* ---------------------------------------------------------------- encoders' refusals */

static void test_encode_invalid(void **state)
{
        static char too_long[SHMB_PROTO_NAME_WIRE_MAX + 2];
        struct shmb_proto_stat_reply st = { .n_acl = SHMB_PROTO_ACL_MAX + 1 };
        static struct shmb_proto_acl_entry acl[SHMB_PROTO_ACL_MAX + 1];

        memset(too_long, 'x', sizeof(too_long) - 1);

        assert_int_equal(shmb_proto_encode_create(buf, sizeof(buf), 1, NULL, 1, 0), -EINVAL);
        assert_int_equal(shmb_proto_encode_open(buf, sizeof(buf), 1, NULL, 1), -EINVAL);
        assert_int_equal(shmb_proto_encode_name_req(buf, sizeof(buf), SHMB_PROTO_STAT, 1, NULL),
                         -EINVAL);
        assert_int_equal(shmb_proto_encode_create(buf, sizeof(buf), 1, too_long, 1, 0),
                         -ENAMETOOLONG);
        assert_int_equal(shmb_proto_encode_open(buf, sizeof(buf), 1, too_long, 1), -ENAMETOOLONG);
        assert_int_equal(shmb_proto_encode_name_req(buf, sizeof(buf), SHMB_PROTO_UNLINK, 1,
                                                    too_long), -ENAMETOOLONG);

        /* Only UNLINK, STAT and LIST are name requests. */
        assert_int_equal(shmb_proto_encode_name_req(buf, sizeof(buf), SHMB_PROTO_CREATE, 1, "x"),
                         -EINVAL);
        assert_int_equal(shmb_proto_encode_name_req(buf, sizeof(buf), SHMB_PROTO_OPEN, 1, "x"),
                         -EINVAL);
        assert_int_equal(shmb_proto_encode_name_req(buf, sizeof(buf), SHMB_PROTO_REPLY_OK, 1,
                                                    "x"), -EINVAL);
        assert_int_equal(shmb_proto_encode_name_req(buf, sizeof(buf), 0x06, 1, "x"), -EINVAL);

        assert_int_equal(shmb_proto_encode_error(buf, sizeof(buf), 1, 0), -EINVAL);
        assert_int_equal(shmb_proto_encode_error(buf, sizeof(buf), 1, -EACCES), -EINVAL);

        assert_int_equal(shmb_proto_encode_stat_reply(buf, sizeof(buf), 1, &st, acl), -EINVAL);
        st.n_acl = UINT32_MAX;
        assert_int_equal(shmb_proto_encode_stat_reply(buf, sizeof(buf), 1, &st, acl), -EINVAL);
}

/* ---------------------------------------------------------------- main */

static int group_setup(void **state)
{
        memset(name_wire_max, 'w', sizeof(name_wire_max) - 1);
        return 0;
}

static void test_batch_roundtrip(void **state)
{
        static const char *const names[] = { "a", "/bb", "ccc" };
        static const uint32_t access[] = { SHMB_PROTO_ACCESS_RDONLY, SHMB_PROTO_ACCESS_RDWR,
                                           SHMB_PROTO_ACCESS_ANY };
        struct shmb_proto_batch_result res[3] = {
                { .error = 0, .access = SHMB_PROTO_ACCESS_RDONLY, .backend = 1, .size = 10 },
                { .error = EACCES },
                { .error = 0, .access = SHMB_PROTO_ACCESS_RDWR, .backend = 2, .size = 30 },
        };
        static struct shmb_proto_request req;
        static struct shmb_proto_reply rep;
        uint8_t pkt[SHMB_PROTO_MSG_MAX];
        const char *too_many[SHMB_PROTO_BATCH_MAX + 1];
        uint32_t acc[SHMB_PROTO_BATCH_MAX + 1];
        size_t i;
        int n;

        n = shmb_proto_encode_open_batch(pkt, sizeof(pkt), 9, names, access, 3);
        assert_true(n > 0);
        assert_int_equal(shmb_proto_decode_request(pkt, (size_t) n, 0, &req), 0);
        assert_int_equal(req.type, SHMB_PROTO_OPEN_BATCH);
        assert_int_equal(req.seq, 9);
        assert_int_equal(req.n_items, 3);
        for (i = 0; i < 3; i++) {
                assert_int_equal(req.items[i].access, access[i]);
                assert_int_equal(req.items[i].name_len, strlen(names[i]));
                assert_memory_equal(req.items[i].name, names[i], strlen(names[i]));
        }

        n = shmb_proto_encode_batch_reply(pkt, sizeof(pkt), 9, res, 3);
        assert_true(n > 0);
        /* Two results succeeded, so the packet announces two fds... */
        assert_int_equal(shmb_proto_decode_reply(pkt, (size_t) n, 1, &rep), -EBADMSG);
        assert_int_equal(shmb_proto_decode_reply(pkt, (size_t) n, 2, &rep), 0);
        assert_int_equal(rep.type, SHMB_PROTO_REPLY_BATCH);
        assert_int_equal(rep.n_results, 3);
        assert_memory_equal(rep.results, res, sizeof(res));

        for (i = 0; i <= SHMB_PROTO_BATCH_MAX; i++) {
                too_many[i] = "x";
                acc[i] = SHMB_PROTO_ACCESS_RDONLY;
        }
        assert_int_equal(shmb_proto_encode_open_batch(pkt, sizeof(pkt), 1, too_many, acc, 0),
                         -EINVAL);
        assert_int_equal(shmb_proto_encode_open_batch(pkt, sizeof(pkt), 1, too_many, acc,
                                                      SHMB_PROTO_BATCH_MAX + 1), -EINVAL);
        assert_true(shmb_proto_encode_open_batch(pkt, sizeof(pkt), 1, too_many, acc,
                                                 SHMB_PROTO_BATCH_MAX) > 0);
        assert_int_equal(shmb_proto_encode_open_batch(pkt, 30, 1, names, access, 3), -ENOBUFS);
        assert_int_equal(shmb_proto_encode_batch_reply(pkt, sizeof(pkt), 1, res, 0), -EINVAL);
}

static const struct CMUnitTest fixed_tests[] = {
        cmocka_unit_test(test_reply_error),
        cmocka_unit_test(test_reply_ok),
        cmocka_unit_test(test_reply_fd),
        cmocka_unit_test(test_reply_stat),
        cmocka_unit_test(test_list_roundtrip),
        cmocka_unit_test(test_list_fill),
        cmocka_unit_test(test_list_append_invalid),
        cmocka_unit_test(test_name_wire_max),
        cmocka_unit_test(test_list_name_too_long),
        cmocka_unit_test(test_list_max_size),
        cmocka_unit_test(test_stat_acl_over_max),
        cmocka_unit_test(test_encode_invalid),
        cmocka_unit_test(test_batch_roundtrip),
};

#define N_HEADER (ELEMENTSOF(header_tests) * ELEMENTSOF(kinds))

int main(void)
{
        /* Every table row is a test of its own, so a failure names its case. */
        static struct CMUnitTest tests[N_HEADER + ELEMENTSOF(req_cases) + ELEMENTSOF(raw_cases) +
                                       ELEMENTSOF(fixed_tests)];
        static char names[N_HEADER][64];
        size_t i, j, n = 0;

        for (i = 0; i < ELEMENTSOF(header_tests); i++)
                for (j = 0; j < ELEMENTSOF(kinds); j++, n++) {
                        snprintf(names[n], sizeof(names[n]), "header %s: %s",
                                 header_tests[i].name, kinds[j].name);
                        tests[n] = (struct CMUnitTest) {
                                .name = names[n],
                                .test_func = header_tests[i].fn,
                                .initial_state = (void *) &kinds[j],
                        };
                }
        for (i = 0; i < ELEMENTSOF(req_cases); i++)
                tests[n++] = (struct CMUnitTest) {
                        .name = req_cases[i].desc,
                        .test_func = test_request_roundtrip,
                        .initial_state = (void *) &req_cases[i],
                };
        for (i = 0; i < ELEMENTSOF(raw_cases); i++)
                tests[n++] = (struct CMUnitTest) {
                        .name = raw_cases[i].desc,
                        .test_func = test_raw,
                        .initial_state = (void *) &raw_cases[i],
                };
        for (i = 0; i < ELEMENTSOF(fixed_tests); i++)
                tests[n++] = fixed_tests[i];

        return cmocka_run_group_tests_name("protocol", tests, group_setup, NULL);
}
