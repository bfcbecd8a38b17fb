/* SPDX-License-Identifier: MIT */
/*
 * test-security-proto.c - the security suite's group A: protocol and bad input.
 *
 * Every case runs against a fresh daemon with the suite's policy, sends what a hostile or
 * broken client would send (raw packets, fds, credentials), checks the exact answer, and ends
 * with sec_finish(): the control client is served, the daemon's fd count is back at its
 * baseline, the object directory is empty, and the daemon exits 0 on SIGTERM. Protocol errors
 * are logged by the daemon, rate-limited per uid; each case counts those lines.
 *
 * Not applicable here, and why:
 *  18 (recvmsg error path): a client cannot make the daemon's recvmsg() fail with a filled
 *     control buffer; fdpass_recv() returns before parsing on any error. That is a unit-test
 *     seam (--wrap=recvmsg), not an integration case.
 *  19 (SOCK_STREAM): the broker listens on SOCK_SEQPACKET only; there is no stream framing to
 *     split or merge. test_a21_socket_types pins that other types are refused.
 *  22 (fuzzing): the libFuzzer targets live in tests/fuzz; test_a22_mutation_storm is the
 *     integration counterpart (mutated packets against the real daemon).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "macro.h"
#include "security.h"

static uint8_t pkt[SHMB_PROTO_MSG_MAX * 4];

/* A pipe whose write end we pass around: once every copy of it is closed, the read end sees
 * EOF. That is how a case proves the daemon closed the fds it received. */
struct probe_pipe {
        int rd, wr;
};

static struct probe_pipe probe_pipe_new(void)
{
        int p[2];

        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        return (struct probe_pipe) { .rd = p[0], .wr = p[1] };
}

/* Closes our write end and asserts the read end sees EOF within 3 s: nobody, in particular not
 * the daemon, still holds a copy. */
static void probe_pipe_assert_released(struct probe_pipe *p)
{
        struct pollfd pfd = { .fd = p->rd, .events = POLLIN };
        char c;

        p->wr = safe_close(p->wr);
        if (poll(&pfd, 1, 3000) != 1)
                fail_msg("a copy of the pipe passed to the daemon is still open after 3 s");
        assert_int_equal(read(p->rd, &c, 1), 0);
        p->rd = safe_close(p->rd);
}

/* A valid CREATE of sec-a (41001 may create it), as bytes. */
static size_t good_create(uint8_t *buf, uint32_t seq)
{
        return sec_enc_create(buf, seq, "sec-a", 4096, SHMB_PROTO_ACCESS_RDWR);
}

static void header_put(uint8_t *buf, const struct shmb_proto_header *h)
{
        memcpy(buf, h, sizeof(*h));
}

static struct shmb_proto_header header_get(const uint8_t *buf)
{
        struct shmb_proto_header h;

        memcpy(&h, buf, sizeof(h));
        return h;
}

/* Sends @len bytes of pkt on a fresh connection of the creator and asserts the daemon answers
 * EBADMSG (seq 0) and closes. */
static void expect_protocol_error(const struct harness_daemon *d, const void *buf, size_t len)
{
        _cleanup_(closep) int fd = sec_raw_connect(d, &sec_id_creator);

        assert_int_equal(sec_raw_send(fd, buf, len, NULL, 0), 0);
        sec_expect_closed(fd, EBADMSG);
}

/* ------------------------------------------------------------------------------------------
 * 1. Truncated header
 */

static void test_a01_truncated_header(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        size_t mark = harness_daemon_log_mark(d), k, n = good_create(pkt, 1);
        int fd;

        assert_true(n > sizeof(struct shmb_proto_header));
        for (k = 1; k < sizeof(struct shmb_proto_header); k++) {
                fd = sec_raw_connect(d, &sec_id_creator);
                assert_int_equal(sec_raw_send(fd, pkt, k, NULL, 0), 0);
                /* Every other one half-closes first: the error reply must still come. */
                if (k % 2)
                        assert_int_equal(shutdown(fd, SHUT_WR), 0);
                sec_expect_closed(fd, EBADMSG);
                assert_int_equal(close(fd), 0);
        }
        /* And a client that closes right after the truncated header. */
        for (k = 0; k < 4; k++) {
                fd = sec_raw_connect(d, &sec_id_creator);
                assert_int_equal(sec_raw_send(fd, pkt, 10, NULL, 0), 0);
                assert_int_equal(close(fd), 0);
        }
        sec_assert_fds_baseline(d);
        /* 27 protocol errors from one uid: logged, but only up to the per-uid burst. */
        sec_expect_log_error(d, mark, HARNESS_UID_1, EBADMSG, SEC_LOG_BURST, SEC_LOG_BURST);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 2. Length field smaller than the payload (Wayland's request_bogus_size)
 */

static void test_a02_length_too_small(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        size_t mark = harness_daemon_log_mark(d);
        size_t n = good_create(pkt, 2), payload = n - sizeof(struct shmb_proto_header);
        struct shmb_proto_header h = header_get(pkt);
        uint32_t v;

        for (v = 0; v < payload; v++) {
                /* The whole packet, with a length field that claims less. */
                h.len = v;
                header_put(pkt, &h);
                expect_protocol_error(d, pkt, n);
                /* A consistent length field, but a payload too short for what it must hold. */
                expect_protocol_error(d, pkt, sizeof(h) + v);
        }
        sec_expect_log_error(d, mark, HARNESS_UID_1, EBADMSG, SEC_LOG_BURST, SEC_LOG_BURST);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 3. Length field larger than the payload
 */

static void test_a03_length_too_large(void **state)
{
        static const uint32_t extra[] = { 1, 100, SHMB_PROTO_MSG_MAX, UINT32_MAX / 2,
                                          UINT32_MAX - 24 };
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        size_t mark = harness_daemon_log_mark(d), i;
        size_t n = good_create(pkt, 3), payload = n - sizeof(struct shmb_proto_header);
        unsigned long long peak = sec_status_number(d->pid, "VmPeak");
        struct shmb_proto_header h = header_get(pkt);

        for (i = 0; i < ELEMENTSOF(extra); i++) {
                h.len = (uint32_t) (payload + extra[i]);
                header_put(pkt, &h);
                expect_protocol_error(d, pkt, n);
        }
        h.len = UINT32_MAX;
        header_put(pkt, &h);
        expect_protocol_error(d, pkt, n);
        /* Nothing was allocated for what the length fields claimed (up to 4 GiB). */
        if (sec_status_number(d->pid, "VmPeak") > peak + 16 * 1024)
                fail_msg("the daemon's VmPeak grew from %llu kB to %llu kB", peak,
                         sec_status_number(d->pid, "VmPeak"));
        sec_expect_log_error(d, mark, HARNESS_UID_1, EBADMSG, ELEMENTSOF(extra) + 1,
                             ELEMENTSOF(extra) + 1);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 4. Oversized packet
 */

static void test_a04_oversized_packet(void **state)
{
        static const size_t sizes[] = { SHMB_PROTO_MSG_MAX + 1, SHMB_PROTO_MSG_MAX * 2 + 7,
                                        150000 };
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        size_t mark = harness_daemon_log_mark(d), i;
        struct shmb_proto_header h;
        int fd;

        memset(pkt, 'x', sizeof(pkt));
        for (i = 0; i < ELEMENTSOF(sizes); i++) {
                h = tl_proto_header(SHMB_PROTO_CREATE, 4, (uint32_t) (sizes[i] - sizeof(h)));
                header_put(pkt, &h);
                expect_protocol_error(d, pkt, sizes[i]);
        }
        sec_expect_log_error(d, mark, HARNESS_UID_1, EBADMSG, ELEMENTSOF(sizes), ELEMENTSOF(sizes));

        /* The largest packet there is: well-formed, of a type the daemon does not know, so it
         * is answered (EOPNOTSUPP) and the connection stays. */
        fd = sec_raw_connect(d, &sec_id_creator);
        h = tl_proto_header(0x7f, 44, SHMB_PROTO_MSG_MAX - sizeof(h));
        header_put(pkt, &h);
        assert_int_equal(sec_raw_send(fd, pkt, SHMB_PROTO_MSG_MAX, NULL, 0), 0);
        sec_expect_error(fd, 44, EOPNOTSUPP);
        /* The same size as a CREATE: its name field is far above the wire maximum. */
        h = tl_proto_header(SHMB_PROTO_CREATE, 45, SHMB_PROTO_MSG_MAX - sizeof(h));
        header_put(pkt, &h);
        {
                struct shmb_proto_create c = { .size = 4096, .access = SHMB_PROTO_ACCESS_RDWR,
                                               .name_len = SHMB_PROTO_MSG_MAX - sizeof(h) -
                                                           sizeof(c) };

                memcpy(pkt + sizeof(h), &c, sizeof(c));
        }
        assert_int_equal(sec_raw_send(fd, pkt, SHMB_PROTO_MSG_MAX, NULL, 0), 0);
        sec_expect_closed(fd, EBADMSG);
        assert_int_equal(close(fd), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 5. Zero-length packet
 */

static void test_a05_zero_length(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        size_t n;
        int fd, i;

        /* Not a request: end of stream. No reply, the connection is closed, and a request sent
         * after it is never answered. */
        for (i = 0; i < 3; i++) {
                fd = sec_raw_connect(d, &sec_id_creator);
                if (i == 2) {
                        n = good_create(pkt, 5);
                        assert_int_equal(sec_raw_send(fd, "", 0, NULL, 0), 0);
                        (void) sec_raw_send(fd, pkt, n, NULL, 0); /* may already fail */
                } else {
                        assert_int_equal(sec_raw_send(fd, "", 0, NULL, 0), 0);
                }
                sec_expect_closed(fd, -1);
                assert_int_equal(close(fd), 0);
        }
        /* There is no error code to check: to SOCK_SEQPACKET an empty packet is EOF. */
        sec_finish();
}

/* Whether this kernel has SO_PASSRIGHTS (Linux 6.16): a property of the machine. */
static bool kernel_refuses_fds(void)
{
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), zero = 0;
        bool r;

        assert_true(fd >= 0);
        r = setsockopt(fd, SOL_SOCKET, 83 /* SO_PASSRIGHTS */, &zero, sizeof(zero)) == 0;
        assert_int_equal(close(fd), 0);
        return r;
}

/* ------------------------------------------------------------------------------------------
 * 6. Zero-length packet carrying fds
 */

static void test_a06_zero_length_with_fds(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        struct probe_pipe p = probe_pipe_new();
        int fds[2], fd;

        /* Once the daemon has accepted the connection, the kernel refuses the fds at the
         * sender (SO_PASSRIGHTS=0, Linux 6.16). */
        fd = sec_raw_connect(d, &sec_id_creator);
        sec_assert_serving(d); /* a round trip: the daemon has accepted us by now */
        fds[0] = p.wr;
        fds[1] = p.rd;
        assert_int_equal(sec_raw_send(fd, "", 0, fds, 2), -EPERM);
        assert_int_equal(close(fd), 0);

        /* Before the accept (the daemon is paused to be sure of it): refused too where the
         * kernel has SO_PASSRIGHTS, set on the listening socket. Elsewhere the fds come in
         * with the empty packet, which reads as EOF, and must be closed. */
        assert_int_equal(harness_daemon_pause(d), 0);
        fd = sec_raw_connect(d, &sec_id_creator);
        if (kernel_refuses_fds()) {
                assert_int_equal(sec_raw_send(fd, "", 0, fds, 2), -EPERM);
                assert_int_equal(harness_daemon_resume(d), 0);
        } else {
                assert_int_equal(sec_raw_send(fd, "", 0, fds, 2), 0);
                assert_int_equal(harness_daemon_resume(d), 0);
                sec_expect_closed(fd, -1);
        }
        assert_int_equal(close(fd), 0);
        probe_pipe_assert_released(&p);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 7. Unknown opcode, version, flags
 */

static void test_a07_unknown_type_version_flags(void **state)
{
        /* Types no request has (0x06 and up are where new requests go: not used here). */
        static const uint16_t types[] = { 0x00, 0x7e, 0x7f, SHMB_PROTO_REPLY_ERROR,
                                          SHMB_PROTO_REPLY_FD, 0xffff };
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        size_t mark = harness_daemon_log_mark(d), n, i;
        struct shmb_proto_reply reply;
        struct shmb_proto_header h;
        uint8_t raw[256];
        int fd, fds[SHMB_PROTO_FDS_MAX];
        size_t n_fds;
        ssize_t k;

        /* Unknown request types: EOPNOTSUPP with the request's seq; the connection stays. */
        fd = sec_raw_connect(d, &sec_id_creator);
        for (i = 0; i < ELEMENTSOF(types); i++) {
                h = tl_proto_header(types[i], 700 + (uint32_t) i, 3);
                header_put(pkt, &h);
                memcpy(pkt + sizeof(h), "abc", 3);
                assert_int_equal(sec_raw_send(fd, pkt, sizeof(h) + 3, NULL, 0), 0);
                sec_expect_error(fd, 700 + (uint32_t) i, EOPNOTSUPP);
        }
        n = sec_enc_name(pkt, SHMB_PROTO_STAT, 800, "sec-none");
        assert_int_equal(sec_raw_call(fd, pkt, n, &reply, NULL), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_ERROR);
        assert_int_equal(reply.error, ENOENT);
        assert_int_equal(reply.seq, 800);
        assert_int_equal(close(fd), 0);

        /* Another version: EPROTONOSUPPORT, seq 0, in a header of the daemon's version; then
         * the connection is closed. */
        for (i = 0; i < 3; i++) {
                static const uint16_t versions[] = { 0, 1, 0xffff };

                fd = sec_raw_connect(d, &sec_id_creator);
                n = good_create(pkt, 9);
                h = header_get(pkt);
                h.version = versions[i];
                header_put(pkt, &h);
                assert_int_equal(sec_raw_send(fd, pkt, n, NULL, 0), 0);
                k = sec_raw_recv(fd, raw, sizeof(raw), fds, &n_fds);
                assert_int_equal(k, sizeof(struct shmb_proto_header) +
                                    sizeof(struct shmb_proto_error));
                assert_int_equal(n_fds, 0);
                h = header_get(raw);
                assert_int_equal(h.version, SHMB_PROTO_VERSION);
                assert_int_equal(shmb_proto_decode_reply(raw, (size_t) k, 0, &reply), 0);
                assert_int_equal(reply.type, SHMB_PROTO_REPLY_ERROR);
                assert_int_equal(reply.error, EPROTONOSUPPORT);
                assert_int_equal(reply.seq, 0);
                sec_expect_closed(fd, -1);
                assert_int_equal(close(fd), 0);
        }
        sec_expect_log_error(d, mark, HARNESS_UID_1, EPROTONOSUPPORT, 3, 3);

        /* Flag bits, reserved header bits, bad magic: protocol errors. */
        n = good_create(pkt, 10);
        h = header_get(pkt);
        h.flags = 1;
        header_put(pkt, &h);
        expect_protocol_error(d, pkt, n);
        h.flags = 0x8000;
        header_put(pkt, &h);
        expect_protocol_error(d, pkt, n);
        h.flags = 0;
        h.reserved = 1;
        header_put(pkt, &h);
        expect_protocol_error(d, pkt, n);
        h.reserved = 0;
        h.magic ^= 0x20;
        header_put(pkt, &h);
        expect_protocol_error(d, pkt, n);
        /* n_fds claims an fd that did not come. */
        h.magic = SHMB_PROTO_MAGIC;
        h.n_fds = 1;
        header_put(pkt, &h);
        expect_protocol_error(d, pkt, n);
        /* Access values the request type cannot carry. */
        n = sec_enc_create(pkt, 11, "sec-a", 4096, SHMB_PROTO_ACCESS_ANY);
        pkt[sizeof(h) + offsetof(struct shmb_proto_create, access)] = 4;
        expect_protocol_error(d, pkt, n);
        n = sec_enc_open(pkt, 12, "sec-a", SHMB_PROTO_ACCESS_RDONLY);
        pkt[sizeof(h) + offsetof(struct shmb_proto_open, access)] = SHMB_PROTO_ACCESS_NONE;
        expect_protocol_error(d, pkt, n);
        sec_expect_log_error(d, mark, HARNESS_UID_1, EBADMSG, 7, 7);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 8. Missing, trailing and duplicate fields
 */

static void test_a08_missing_trailing_duplicate(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        size_t mark = harness_daemon_log_mark(d), n, m;
        struct shmb_proto_header h;
        static uint8_t two[2 * 128];
        struct shmb_proto_name_req nr;
        struct shmb_proto_create c;

        /* Missing: a CREATE whose payload stops inside the fixed part. */
        n = good_create(pkt, 20);
        h = header_get(pkt);
        h.len = 10;
        header_put(pkt, &h);
        expect_protocol_error(d, pkt, sizeof(h) + 10);
        /* Missing: a name shorter than name_len says. */
        n = good_create(pkt, 21);
        h = header_get(pkt);
        h.len -= 2;
        header_put(pkt, &h);
        expect_protocol_error(d, pkt, n - 2);
        /* Trailing: one byte after the name, counted in the header. */
        n = good_create(pkt, 22);
        h = header_get(pkt);
        h.len += 1;
        header_put(pkt, &h);
        pkt[n] = 'z';
        expect_protocol_error(d, pkt, n + 1);
        /* Trailing: a name_len shorter than the name that came. */
        n = good_create(pkt, 23);
        memcpy(&c, pkt + sizeof(h), sizeof(c));
        c.name_len--;
        memcpy(pkt + sizeof(h), &c, sizeof(c));
        expect_protocol_error(d, pkt, n);
        /* Duplicate: two requests in one packet. */
        n = good_create(two, 24);
        m = good_create(two + n, 25);
        expect_protocol_error(d, two, n + m);
        h = header_get(two);
        h.len = (uint32_t) (n + m - sizeof(h));
        header_put(two, &h);
        expect_protocol_error(d, two, n + m);
        /* Reserved payload fields set. */
        n = good_create(pkt, 26);
        memcpy(&c, pkt + sizeof(h), sizeof(c));
        c.reserved = 1;
        memcpy(pkt + sizeof(h), &c, sizeof(c));
        expect_protocol_error(d, pkt, n);
        n = sec_enc_name(pkt, SHMB_PROTO_STAT, 27, "sec-a");
        memcpy(&nr, pkt + sizeof(h), sizeof(nr));
        nr.reserved = 1;
        memcpy(pkt + sizeof(h), &nr, sizeof(nr));
        expect_protocol_error(d, pkt, n);
        sec_expect_log_error(d, mark, HARNESS_UID_1, EBADMSG, 8, 8);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 9. Names that must be rejected; 10. aliases; 11. length limits
 */

struct bad_name {
        const char *name;
        size_t len;
};

#define BAD(s) { s, sizeof(s) - 1 }
static const struct bad_name bad_names[] = {
        BAD(""), BAD("/"), BAD("//sec-x"), BAD("sec-x/y"), BAD("sec-x/"), BAD("."), BAD(".."),
        BAD("/."), BAD("/.."), BAD("sec-\0x"), BAD("sec-\x01"), BAD("sec-\n"), BAD("sec-\t"),
        BAD("sec-\x1f"), BAD("sec-\x7f"), BAD("\x1b[31m"),
};

/* Encodes a request of @type for a name of @len raw bytes (which may hold NULs). */
static size_t enc_raw_name(uint16_t type, uint32_t seq, const char *name, size_t len)
{
        char tmp[SHMB_PROTO_NAME_WIRE_MAX + 1];
        size_t i, n;

        assert_true(len <= SHMB_PROTO_NAME_WIRE_MAX);
        for (i = 0; i < len; i++)
                tmp[i] = name[i] ? name[i] : '@';
        tmp[len] = '\0';
        if (type == SHMB_PROTO_CREATE)
                n = sec_enc_create(pkt, seq, tmp, 4096, SHMB_PROTO_ACCESS_RDWR);
        else if (type == SHMB_PROTO_OPEN)
                n = sec_enc_open(pkt, seq, tmp, SHMB_PROTO_ACCESS_RDWR);
        else
                n = sec_enc_name(pkt, type, seq, tmp);
        memcpy(pkt + n - len, name, len);
        return n;
}

static void expect_name_error(int fd, uint16_t type, uint32_t seq, const char *name, size_t len,
                              int error)
{
        size_t n = enc_raw_name(type, seq, name, len);

        assert_int_equal(sec_raw_send(fd, pkt, n, NULL, 0), 0);
        sec_expect_error(fd, seq, error);
}

static void test_a09_bad_names(void **state)
{
        static const uint16_t types[] = { SHMB_PROTO_CREATE, SHMB_PROTO_OPEN,
                                          SHMB_PROTO_UNLINK, SHMB_PROTO_STAT };
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        size_t mark = harness_daemon_log_mark(d), i, k, n;
        _cleanup_(closep) int fd = sec_raw_connect(d, &sec_id_creator);
        struct shmb_proto_reply reply;
        uint32_t seq = 100;
        int ofd = -1;

        for (k = 0; k < ELEMENTSOF(types); k++)
                for (i = 0; i < ELEMENTSOF(bad_names); i++)
                        expect_name_error(fd, types[k], seq++, bad_names[i].name,
                                          bad_names[i].len, EINVAL);
        /* A LIST cursor is a name too (an empty one starts the listing). */
        for (i = 1; i < ELEMENTSOF(bad_names); i++)
                expect_name_error(fd, SHMB_PROTO_LIST, seq++, bad_names[i].name,
                                  bad_names[i].len, EINVAL);
        /* Nothing was created under any spelling. */
        sec_assert_no_objects(d);
        /* Names are bytes, not text: invalid UTF-8 is a valid name (PROTOCOL.md). */
        n = sec_enc_create(pkt, seq, "sec-\xff\xfe", 4096, SHMB_PROTO_ACCESS_RDWR);
        assert_int_equal(sec_raw_call(fd, pkt, n, &reply, &ofd), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_FD);
        assert_int_equal(close(ofd), 0);
        n = sec_enc_name(pkt, SHMB_PROTO_UNLINK, ++seq, "sec-\xff\xfe");
        assert_int_equal(sec_raw_call(fd, pkt, n, &reply, NULL), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_OK);
        /* 79 refusals from one uid: logged up to the burst, then suppressed. (One line may be
         * cut in two by the "sec-\n" name, see the next case.) */
        sec_expect_log_error(d, mark, HARNESS_UID_1, EINVAL, SEC_LOG_BURST - 1, SEC_LOG_BURST);
        fd = safe_close(fd);
        sec_finish();
}

/*
 * 9, continued: a refused name is logged, so it must not be able to write log lines of its own
 * (a newline and a priority prefix would forge a journal entry) or terminal escapes. A fresh
 * daemon, so that the per-uid burst has room for these lines.
 */
static void test_a09_bad_names_not_forged_into_log(void **state)
{
        static const char forged[] = "sec-x\n<0>FORGED by uid 41001";
        static const char escape[] = "sec-\x1b]0;pwned\x07\x1b[2J";
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        size_t mark = harness_daemon_log_mark(d);
        _cleanup_(closep) int fd = sec_raw_connect(d, &sec_id_creator);
        _cleanup_(freep) char *log = NULL;

        expect_name_error(fd, SHMB_PROTO_CREATE, 1, forged, sizeof(forged) - 1, EINVAL);
        expect_name_error(fd, SHMB_PROTO_OPEN, 2, escape, sizeof(escape) - 1, EINVAL);
        fd = safe_close(fd);
        log = harness_daemon_log(d);
        assert_non_null(log);
        if (strstr(log + mark, "\n<0>FORGED"))
                fail_msg("a client wrote its own line into the daemon's log:\n%s", log + mark);
        if (strchr(log + mark, '\x1b'))
                fail_msg("a client wrote terminal escapes into the daemon's log");
        sec_expect_log_error(d, mark, HARNESS_UID_1, EINVAL, 2, 2);
        sec_finish();
}

static void test_a10_name_aliases(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        _cleanup_(closep) int fd = -1;
        struct stat st;

        assert_int_equal(sec_create(d, &sec_id_creator, "/sec-alias", 4096, SHMB_ACCESS_NONE,
                                    NULL), 0);
        /* One object, under its canonical name. */
        assert_int_equal(lstat(harness_shm_path(d, "sec-alias"), &st), 0);
        assert_int_equal(harness_shm_entries(d, NULL, 0), 1);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-alias", 4096, SHMB_ACCESS_NONE,
                                    NULL), -EEXIST);
        /* The slash does not escape the rule: the outsider is refused under both spellings,
         * the reader is granted read-only under both. */
        assert_int_equal(sec_open(d, &sec_id_outsider, "/sec-alias", SHMB_ACCESS_RDONLY, NULL),
                         -EACCES);
        assert_int_equal(sec_open(d, &sec_id_outsider, "sec-alias", SHMB_ACCESS_RDONLY, NULL),
                         -EACCES);
        assert_int_equal(sec_open(d, &sec_id_reader, "/sec-alias", SHMB_ACCESS_RDWR, NULL),
                         -EACCES);
        assert_int_equal(sec_open(d, &sec_id_reader, "/sec-alias", SHMB_ACCESS_RDONLY, &fd), 0);
        assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
        /* "//x" is not a third spelling: it is invalid (library and daemon alike). */
        assert_int_equal(sec_open(d, &sec_id_creator, "//sec-alias", SHMB_ACCESS_RDONLY, NULL),
                         -EINVAL);
        {
                _cleanup_(closep) int raw = sec_raw_connect(d, &sec_id_creator);

                expect_name_error(raw, SHMB_PROTO_OPEN, 5, "//sec-alias", 11, EINVAL);
                expect_name_error(raw, SHMB_PROTO_UNLINK, 6, "//sec-alias", 11, EINVAL);
        }
        assert_int_equal(sec_unlink(d, &sec_id_creator, "/sec-alias"), 0);
        fd = safe_close(fd);
        sec_finish();
}

static void test_a11_name_length(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        _cleanup_(closep) int fd = sec_raw_connect(d, &sec_id_creator);
        static char name[SHMB_PROTO_NAME_WIRE_MAX + 2];
        struct shmb_proto_reply reply;
        size_t n;
        int ofd = -1;

        /* "/" + "sec-" + 251 bytes: 255 after the slash, the longest valid name. */
        name[0] = '/';
        memcpy(name + 1, "sec-", 4);
        memset(name + 5, 'n', sizeof(name) - 6);
        name[1 + SHMB_PROTO_NAME_MAX] = '\0';
        n = enc_raw_name(SHMB_PROTO_CREATE, 1, name, strlen(name));
        assert_int_equal(sec_raw_call(fd, pkt, n, &reply, &ofd), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_FD);
        assert_int_equal(close(ofd), 0);
        assert_int_equal(access(harness_shm_path(d, name + 1), F_OK), 0);
        /* The same without the slash is the same object. */
        expect_name_error(fd, SHMB_PROTO_CREATE, 2, name + 1, SHMB_PROTO_NAME_MAX, EEXIST);
        /* One byte more, with or without the slash: ENAMETOOLONG, exactly at the boundary. */
        memset(name + 1 + SHMB_PROTO_NAME_MAX, 'n', 2);
        name[2 + SHMB_PROTO_NAME_MAX] = '\0';
        expect_name_error(fd, SHMB_PROTO_CREATE, 3, name, SHMB_PROTO_NAME_MAX + 2,
                          ENAMETOOLONG);
        expect_name_error(fd, SHMB_PROTO_CREATE, 4, name + 1, SHMB_PROTO_NAME_MAX + 1,
                          ENAMETOOLONG);
        expect_name_error(fd, SHMB_PROTO_OPEN, 5, name + 1, SHMB_PROTO_NAME_MAX + 1,
                          ENAMETOOLONG);
        /* The most the wire carries is still a clean ENAMETOOLONG... */
        memset(name + 1, 'n', SHMB_PROTO_NAME_WIRE_MAX);
        expect_name_error(fd, SHMB_PROTO_STAT, 6, name + 1, SHMB_PROTO_NAME_WIRE_MAX,
                          ENAMETOOLONG);
        name[1 + SHMB_PROTO_NAME_MAX] = '\0';
        memcpy(name + 1, "sec-", 4);
        n = enc_raw_name(SHMB_PROTO_UNLINK, 7, name + 1, SHMB_PROTO_NAME_MAX);
        assert_int_equal(sec_raw_call(fd, pkt, n, &reply, NULL), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_OK);
        /* ...and one byte more than the wire allows is a protocol error. */
        {
                struct shmb_proto_header h = tl_proto_header(SHMB_PROTO_OPEN, 8, 0);
                struct shmb_proto_open o = { .access = SHMB_PROTO_ACCESS_RDONLY,
                                             .name_len = SHMB_PROTO_NAME_WIRE_MAX + 1 };

                h.len = sizeof(o) + o.name_len;
                header_put(pkt, &h);
                memcpy(pkt + sizeof(h), &o, sizeof(o));
                memset(pkt + sizeof(h) + sizeof(o), 'n', o.name_len);
                expect_protocol_error(d, pkt, sizeof(h) + h.len);
        }
        fd = safe_close(fd);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 12. Bad sizes; 13. bad modes
 */

static void test_a12_bad_sizes(void **state)
{
        static const struct {
                uint64_t size;
                int error;
        } cases[] = {
                { 0, EINVAL },
                { (1u << 20) + 1, EFBIG },
                { UINT64_C(1) << 40, EFBIG },
                { INT64_MAX, EFBIG },
                { UINT64_MAX, EFBIG },
                { UINT64_MAX - 4094, EFBIG }, /* overflows when rounded up to a page */
                { (uint64_t) INT64_MAX + 1, EFBIG }, /* negative as an off_t */
        };
        static const uint64_t good[] = { 1, 4097, 1u << 20 };
        static const char *const names[] = { "sec-size", "secm-size" };
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        size_t mark = harness_daemon_log_mark(d), i, k, n;
        int fd = sec_raw_connect(d, &sec_id_creator), ofd;
        uint32_t seq = 1;
        struct stat st;

        /* Raw requests: the library refuses size 0 itself, the daemon must too. */
        for (k = 0; k < ELEMENTSOF(names); k++) {
                for (i = 0; i < ELEMENTSOF(cases); i++) {
                        n = sec_enc_create(pkt, seq, names[k], cases[i].size,
                                           SHMB_PROTO_ACCESS_RDWR);
                        assert_int_equal(sec_raw_send(fd, pkt, n, NULL, 0), 0);
                        sec_expect_error(fd, seq++, cases[i].error);
                        sec_assert_no_objects(d);
                }
                /* Any size from 1 to MaxSize is what it says, page multiple or not. */
                for (i = 0; i < ELEMENTSOF(good); i++) {
                        ofd = -1;
                        assert_int_equal(sec_create(d, &sec_id_creator, names[k], good[i],
                                                    SHMB_ACCESS_RDWR, &ofd), 0);
                        assert_int_equal(fstat(ofd, &st), 0);
                        assert_int_equal(st.st_size, (off_t) good[i]);
                        assert_int_equal(close(ofd), 0);
                        assert_int_equal(sec_unlink(d, &sec_id_creator, names[k]), 0);
                }
        }
        fd = safe_close(fd);
        /* Each refusal is logged once. */
        sec_expect_log_error(d, mark, HARNESS_UID_1, EINVAL, 2, 2);
        sec_expect_log_error(d, mark, HARNESS_UID_1, EFBIG, 12, 12);
        sec_finish();
}

static void test_a13_bad_modes(void **state)
{
        static const char *const modes[] = { "4640", "2640", "1640", "0750", "0641", "0700",
                                             "10640", "rw-r-----", "-0640" };
        char dir[] = "/tmp/shmb-sec-mode.XXXXXX", path[64], text[512];
        struct harness_exec_result res = {};
        size_t i;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/policy.conf", dir);
        for (i = 0; i < ELEMENTSOF(modes); i++) {
                char where[96];

                snprintf(text, sizeof(text),
                         "[Segment m]\nNames=m-*\nCreate=41001\nOwner=41001\nMode=%s\n",
                         modes[i]);
                sec_write_file(path, text);
                sec_run_daemon((const char *const[]) { "--check-policy", "--policy", path,
                                                       NULL }, &res);
                snprintf(where, sizeof(where), "%s:5", path);
                if (res.status != 1 || !strstr(res.err, where))
                        fail_msg("Mode=%s: shmbrokerd --check-policy exited %d, stderr '%s' "
                                 "(expected 1 and '%s')", modes[i], res.status, res.err,
                                 where);
                harness_exec_result_done(&res);
        }
        /* Requests carry no mode at all: the policy's is the only one. That a read-only
         * request never yields a writable fd is test_b37. */
        (void) tl_rm_rf(dir);
}

/* ------------------------------------------------------------------------------------------
 * 14. Unsolicited fds; 16. MSG_CTRUNC; 17. SCM_CREDENTIALS
 */

/*
 * Sends @n_fds copies of the probe pipe's write end with a valid request to a paused daemon,
 * before it accepts the connection. The daemon sets SO_PASSRIGHTS=0 on its listening socket,
 * so where the kernel has it the fds never leave the client: its sendmsg() fails with EPERM
 * even before the accept (a finding of the fairness review: set on each accepted socket, it
 * let a message sent right after connect() bring fds in). On older kernels they arrive, and
 * the daemon hands them to its closer thread, answers EBADMSG and closes the connection.
 */
static void fds_before_accept(struct harness_daemon *d, size_t n_fds, const char *log_line)
{
        struct probe_pipe p = probe_pipe_new();
        size_t mark = harness_daemon_log_mark(d), i, n;
        int fds[253], fd;

        for (i = 0; i < n_fds; i++)
                fds[i] = p.wr;
        n = good_create(pkt, 14);
        assert_int_equal(harness_daemon_pause(d), 0);
        fd = sec_raw_connect(d, &sec_id_creator);
        if (kernel_refuses_fds()) {
                struct shmb_proto_reply reply;
                int ofd = -1;

                assert_int_equal(sec_raw_send(fd, pkt, n, fds, n_fds), -EPERM);
                assert_int_equal(harness_daemon_resume(d), 0);
                /* Nothing came in: the connection is served as if nothing happened. */
                assert_int_equal(sec_raw_call(fd, pkt, n, &reply, &ofd), 0);
                assert_int_equal(reply.type, SHMB_PROTO_REPLY_FD);
                assert_int_equal(close(ofd), 0);
                assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-a"), 0);
                sec_expect_log(d, mark, log_line, NULL, 0, 0);
        } else {
                assert_int_equal(sec_raw_send(fd, pkt, n, fds, n_fds), 0);
                assert_int_equal(harness_daemon_resume(d), 0);
                sec_expect_closed(fd, EBADMSG);
                sec_expect_log(d, mark, log_line, strerror(EBADMSG), 1, 1);
        }
        assert_int_equal(close(fd), 0);
        probe_pipe_assert_released(&p);
        sec_assert_no_objects(d);
        sec_assert_fds_baseline(d);
}

static void test_a14_unsolicited_fds(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        struct shmb_proto_reply reply;
        int fd, fds[253], sp[2], path_fd, p[2], ofd = -1;
        size_t n, i, k;

        fd = sec_raw_connect(d, &sec_id_creator);
        sec_assert_serving(d); /* the daemon has accepted us by now */
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
        assert_int_equal(pipe2(p, O_CLOEXEC), 0);
        path_fd = open(d->socket_path, O_PATH | O_CLOEXEC);
        assert_true(path_fd >= 0);
        {
                const int kinds[] = { fd, path_fd, sp[0], p[1], p[0] };

                /* Each kind of fd alone, then 16 and 253 (SCM_MAX_FD) of them. */
                n = good_create(pkt, 15);
                for (k = 0; k < ELEMENTSOF(kinds); k++)
                        assert_int_equal(sec_raw_send(fd, pkt, n, &kinds[k], 1), -EPERM);
                for (i = 0; i < 253; i++)
                        fds[i] = kinds[i % ELEMENTSOF(kinds)];
                assert_int_equal(sec_raw_send(fd, pkt, n, fds, 16), -EPERM);
                assert_int_equal(sec_raw_send(fd, pkt, n, fds, 253), -EPERM);
        }
        /* Nothing went out, nothing was created, and the connection still serves. */
        sec_assert_no_objects(d);
        assert_int_equal(sec_raw_call(fd, pkt, n, &reply, &ofd), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_FD);
        assert_int_equal(reply.seq, 15);
        assert_int_equal(close(ofd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-a"), 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(close(path_fd), 0);
        assert_int_equal(close(sp[0]), 0);
        assert_int_equal(close(sp[1]), 0);
        assert_int_equal(close(p[0]), 0);
        assert_int_equal(close(p[1]), 0);

        /* Before the accept too. */
        fds_before_accept(d, 1, "fds attached to a request");
        fds_before_accept(d, 16, "fds attached to a request");
        sec_finish();
}

static void test_a16_ctrunc(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);

        /* More fds than the daemon's control buffer holds (16): refused at the sender, or
         * MSG_CTRUNC, every fd that arrived closed, EBADMSG and the close. */
        fds_before_accept(d, 17, "too many fds attached");
        fds_before_accept(d, 253, "too many fds attached");
        sec_finish();
}

static void test_a17_scm_credentials(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        size_t mark = harness_daemon_log_mark(d);
        _cleanup_(closep) int fd = sec_raw_connect(d, &sec_id_outsider);
        union {
                struct cmsghdr h;
                uint8_t b[CMSG_SPACE(sizeof(struct ucred))];
        } control = {};
        struct ucred cred = { .pid = getpid(), .uid = HARNESS_UID_1, .gid = HARNESS_GID_3 };
        struct iovec iov = { .iov_base = pkt };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                             .msg_controllen = sizeof(control) };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

        /* The outsider's connection carries credentials that claim uid 41001, who may create
         * sec-*; root may claim any uid in SCM_CREDENTIALS. The daemon never turns on
         * SO_PASSCRED and takes identity from SO_PEERCRED at connect, so the claim changes
         * nothing: EACCES, not a protocol error (no MSG_CTRUNC) and not a create. */
        iov.iov_len = good_create(pkt, 17);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_CREDENTIALS;
        cm->cmsg_len = CMSG_LEN(sizeof(cred));
        memcpy(CMSG_DATA(cm), &cred, sizeof(cred));
        assert_int_equal(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t) iov.iov_len);
        sec_expect_error(fd, 17, EACCES);
        sec_assert_no_objects(d);
        sec_expect_log_error(d, mark, HARNESS_UID_4, EACCES, 1, 1);
        assert_int_equal(harness_daemon_log_count(d, mark, "uid=41001", NULL), 0);
        fd = safe_close(fd);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 20. Peer disappears; 21. socket types
 */

static void test_a20_peer_disappears(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        struct shmb_proto_reply reply;
        struct stat st;
        size_t n;
        int fd, ofd = -1;

        /* Request sent, client gone before the daemon reads it: the daemon creates the
         * object, the reply fails with EPIPE (MSG_NOSIGNAL, no SIGPIPE), and it serves on. */
        assert_int_equal(harness_daemon_pause(d), 0);
        fd = sec_raw_connect(d, &sec_id_creator);
        n = sec_enc_create(pkt, 20, "sec-gone", 8192, SHMB_PROTO_ACCESS_RDWR);
        assert_int_equal(sec_raw_send(fd, pkt, n, NULL, 0), 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(harness_daemon_resume(d), 0);
        sec_assert_serving(d);
        /* Kept, as a create that happened (the protocol has no rollback on a lost reply), and
         * complete: the policy's owner, group and mode, one link, its size. */
        if (lstat(harness_shm_path(d, "sec-gone"), &st) == 0) {
                assert_true(S_ISREG(st.st_mode));
                assert_int_equal(st.st_uid, HARNESS_UID_1);
                assert_int_equal(st.st_gid, HARNESS_GID_2);
                assert_int_equal(st.st_nlink, 1);
                assert_int_equal(st.st_size, 8192);
                assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-gone"), 0);
        }

        /* Half-close right after the request: the reply still comes, then the end. */
        fd = sec_raw_connect(d, &sec_id_creator);
        n = sec_enc_create(pkt, 21, "sec-half", 4096, SHMB_PROTO_ACCESS_RDWR);
        assert_int_equal(sec_raw_send(fd, pkt, n, NULL, 0), 0);
        assert_int_equal(shutdown(fd, SHUT_WR), 0);
        assert_int_equal(sec_raw_reply(fd, &reply, &ofd), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_FD);
        assert_int_equal(reply.seq, 21);
        assert_int_equal(close(ofd), 0);
        sec_expect_closed(fd, -1);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-half"), 0);
        /* There is no error reply to check (nobody to send it to). */
        sec_finish();
}

static void test_a21_socket_types(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
        size_t i;

        for (i = 0; i < ELEMENTSOF(types); i++) {
                int r = harness_connect_as(d->socket_path, types[i], &sec_id_creator);

                if (r >= 0) {
                        (void) close(r);
                        fail_msg("a socket of type %d connected to the broker", types[i]);
                }
                if (r != -EPROTOTYPE && r != -ECONNREFUSED)
                        fail_msg("connect with type %d: %s", types[i], strerror(-r));
        }
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 22. Mutated packets; 23. policy files
 */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
        /* xorshift64*: reproducible, so a failure can be replayed. */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return (uint32_t) ((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void test_a22_mutation_storm(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        unsigned long long rss = sec_status_number(d->pid, "VmRSS");
        struct shmb_proto_reply reply;
        size_t n, i, k;
        int fd = -1, r, answered = 0, closed = 0;

        for (i = 0; i < 1500; i++) {
                uint32_t kind = rng() % 5;

                if (fd < 0)
                        fd = sec_raw_connect(d, &sec_id_outsider);
                switch (kind) {
                case 0:
                        n = sec_enc_create(pkt, (uint32_t) i, "sec-fuzz", 4096,
                                           SHMB_PROTO_ACCESS_RDWR);
                        break;
                case 1:
                        n = sec_enc_open(pkt, (uint32_t) i, "sec-fuzz", SHMB_PROTO_ACCESS_ANY);
                        break;
                case 2:
                        n = sec_enc_name(pkt, SHMB_PROTO_LIST, (uint32_t) i, "");
                        break;
                default:
                        n = sec_enc_name(pkt, (uint16_t) (3 + kind % 2), (uint32_t) i,
                                         "sec-fuzz");
                }
                /* 1-4 random bytes, sometimes a cut or an extension. */
                for (k = rng() % 4 + 1; k > 0; k--)
                        pkt[rng() % n] ^= (uint8_t) (1u << (rng() % 8));
                if (rng() % 4 == 0)
                        n = rng() % (n + 1);
                else if (rng() % 8 == 0) {
                        size_t extra = rng() % 64;

                        for (k = 0; k < extra; k++)
                                pkt[n + k] = (uint8_t) rng();
                        n += extra;
                }
                r = sec_raw_send(fd, pkt, n, NULL, 0);
                if (r == 0)
                        r = sec_raw_reply(fd, &reply, NULL);
                if (r == 0 && !(reply.type == SHMB_PROTO_REPLY_ERROR &&
                                (reply.error == EBADMSG || reply.error == EPROTONOSUPPORT))) {
                        answered++;
                        if (n == 0)
                                fail_msg("an empty packet was answered");
                        continue;
                }
                /* A protocol error (or an empty packet): the daemon closes. */
                if (r == 0)
                        r = sec_raw_reply(fd, &reply, NULL);
                if (r != -ECONNRESET && r != -EPIPE)
                        fail_msg("packet %zu: expected the close, got %s", i, strerror(-r));
                closed++;
                fd = safe_close(fd);
        }
        fd = safe_close(fd);
        print_message("%d answered, %d connections closed\n", answered, closed);
        assert_true(answered > 100);
        assert_true(closed > 100);
        assert_true(harness_daemon_alive(d));
        /* 75. No growth from a stream of junk (static buffers, nothing queued); a sanitizer's
         * quarantine keeps freed memory, so there the bound is loose. */
        if (sec_status_number(d->pid, "VmRSS") > rss + (sec_daemon_sanitized() ? 65536 : 2048))
                fail_msg("the daemon's RSS grew from %llu kB to %llu kB", rss,
                         sec_status_number(d->pid, "VmRSS"));
        sec_finish();
}

static void test_a23_bad_policy_files(void **state)
{
        static const struct {
                const char *text;
                unsigned line;  /* the line the error must name */
        } bad[] = {
                { "[Segment a]\nNames=a-*\nCreate=41001\nColour=blue\n", 4 },
                { "[Segment a]\nNames=a-*\nCreate=41001\nMode=999\n", 4 },
                { "[Segment a]\nNames=a-*\nCreate=4294967295\n", 3 },
                { "[Segment a]\nNames=a-*\nCreate=4294967296\n", 3 },
                { "[Segment a]\nNames=a-*\nCreate=-1\n", 3 },
                { "[Segment a]\nNames=a-*\nOwner=99999999999999999999\n", 3 },
                { "[Segment a]\nNames=a-*\nMaxSize=-1\n", 3 },
                { "[Segment a]\nNames=a-*\nMaxSize=18446744073709551616\n", 3 },
                { "[Segment a\nNames=a-*\n", 1 },
                { "Names=a-*\n", 1 },
                { "[Segment a]\nNames=a-*\n\n[Segment a]\nNames=b-*\n", 4 },
                { "[Segment a]\nNames=a-*\nBackend=disk\n", 3 },
                /* A per-user (or per-app) pattern beside a shared one: user "alice" would be
                 * handed "alice-x-secret" of user "alice-x" through "%u-*". Found by a hostile
                 * review; the old code loaded both and did no creator check. */
                { "[Segment p]\nNames=%u-* scratch-*\nCreate=*\nReadWrite=*\nOwner=%u\n"
                  "Mode=0600\n", 1 },
                { "[Segment p]\nNames=%u-%a-* %u-common-*\nCreate=app:*\nReadWrite=app:*\n",
                  1 },
        };
        char dir[] = "/tmp/shmb-sec-policy.XXXXXX", path[64], where[PATH_MAX + 16];
        struct harness_exec_result res = {};
        static char longline[100 * 1024];
        struct harness_daemon *d;
        size_t i, mark;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/bad.conf", dir);
        for (i = 0; i <= ELEMENTSOF(bad); i++) {
                unsigned line;

                if (i < ELEMENTSOF(bad)) {
                        sec_write_file(path, bad[i].text);
                        line = bad[i].line;
                } else {
                        /* A 100 KiB line. */
                        memcpy(longline, "[Segment a]\nNames=", 18);
                        memset(longline + 18, 'a', sizeof(longline) - 20);
                        longline[sizeof(longline) - 2] = '\n';
                        sec_write_file(path, longline);
                        line = 2;
                }
                sec_run_daemon((const char *const[]) { "--check-policy", "--policy", path,
                                                       NULL }, &res);
                snprintf(where, sizeof(where), "%s:%u", path, line);
                /* A very long line need not be an error, but must not crash or hang. */
                if (i == ELEMENTSOF(bad) && res.status == 0) {
                        harness_exec_result_done(&res);
                        continue;
                }
                if (res.status != 1 || !strstr(res.err, where))
                        fail_msg("policy #%zu: --check-policy exited %d, stderr '%.300s' "
                                 "(expected 1 and '%s')", i, res.status, res.err, where);
                harness_exec_result_done(&res);
        }

        /* A user or group that does not resolve is a warning, not an error: it matches nobody,
         * and the policy loads (a userdel must not keep the daemon from starting). */
        for (i = 0; i < 2; i++) {
                sec_write_file(path, i == 0 ?
                               "[Segment a]\nNames=a-*\nCreate=no-such-user-shmb\n" :
                               "[Segment a]\nNames=a-*\nReadOnly=@no-such-group-shmb\n");
                sec_run_daemon((const char *const[]) { "--check-policy", "--policy", path,
                                                       NULL }, &res);
                snprintf(where, sizeof(where), "%s:3: warning:", path);
                if (res.status != 0 || !strstr(res.err, where))
                        fail_msg("warning #%zu: --check-policy exited %d, stderr '%.300s' "
                                 "(expected 0 and '%s')", i, res.status, res.err, where);
                harness_exec_result_done(&res);
        }

        /* Reload with a broken file: refused, logged, and the old policy stays in force. */
        d = sec_start(sec_policy, NULL);
        mark = harness_daemon_log_mark(d);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-keep", 4096, SHMB_ACCESS_NONE,
                                    NULL), 0);
        sec_write_file(d->policy_path, bad[0].text);
        assert_int_equal(kill(d->pid, SIGHUP), 0);
        /* The refusal names the file and line. */
        snprintf(where, sizeof(where), "%s:4", d->policy_path);
        assert_int_equal(harness_daemon_wait_log(d, mark, where, 3000), 0);
        sec_expect_log(d, mark, where, NULL, 1, 1);
        assert_int_equal(sec_open(d, &sec_id_reader, "sec-keep", SHMB_ACCESS_RDONLY, NULL), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-keep"), 0);
        (void) tl_rm_rf(dir);
        sec_finish();
}

const struct CMUnitTest sec_tests_proto[] = {
        SEC_TEST(test_a01_truncated_header),
        SEC_TEST(test_a02_length_too_small),
        SEC_TEST(test_a03_length_too_large),
        SEC_TEST(test_a04_oversized_packet),
        SEC_TEST(test_a05_zero_length),
        SEC_TEST(test_a06_zero_length_with_fds),
        SEC_TEST(test_a07_unknown_type_version_flags),
        SEC_TEST(test_a08_missing_trailing_duplicate),
        SEC_TEST(test_a09_bad_names),
        SEC_TEST(test_a09_bad_names_not_forged_into_log),
        SEC_TEST(test_a10_name_aliases),
        SEC_TEST(test_a11_name_length),
        SEC_TEST(test_a12_bad_sizes),
        SEC_TEST(test_a13_bad_modes),
        SEC_TEST(test_a14_unsolicited_fds),
        SEC_TEST(test_a16_ctrunc),
        SEC_TEST(test_a17_scm_credentials),
        SEC_TEST(test_a20_peer_disappears),
        SEC_TEST(test_a21_socket_types),
        SEC_TEST(test_a22_mutation_storm),
        SEC_TEST(test_a23_bad_policy_files),
};
const size_t sec_n_tests_proto = ELEMENTSOF(sec_tests_proto);
