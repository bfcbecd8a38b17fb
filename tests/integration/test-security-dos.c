/* SPDX-License-Identifier: MIT */
/*
 * test-security-dos.c - the security suite's group D: resource exhaustion and DoS.
 *
 * Limits the daemon enforces (daemon/limits.h, shmbrokerd(8)) and those an administrator sets
 * in the policy's [Quota] section (MaxObjectsPerUser=, MaxBytesPerUser=,
 * MaxConnectionsPerUser=) and with --idle-timeout. Every case runs.
 *
 * No case sleeps to let the daemon catch up: each waits, with a bound, for what shows that it
 * has (its fd count, a log line, its event loop asleep in epoll_wait(), a socket's EOF), and
 * then expects exact numbers.
 *
 * Not applicable here, and why:
 *  66 (SO_PEERPIDFD at EMFILE): the daemon takes no pidfd; test_d64 covers accept() at EMFILE.
 *  73 (memfd has no tmpfs limit): only the quota bounds it; that is test_d70's memfd part.
 *     A huge memfd request is not sent: the daemon reserves memfd pages up front, so a policy
 *     with a huge MaxSize= and no quota would take the machine's memory (MaxSize= is the
 *     administrator's bound; shmbrokerd(8) says so).
 *  75 (bounded buffers, 10-minute soak): the soak is a benchmark (tests/bench); test_a22
 *     checks RSS after a stream of junk and test_d68 the queue bound per connection.
 *  78 (fds held by the daemon charged to a uid): memfd objects are the only fds the daemon
 *     keeps for a user, and MaxObjectsPerUser= bounds them (test_d70).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "macro.h"
#include "security.h"

static uint8_t pkt[SHMB_PROTO_MSG_MAX];

/*
 * What the daemon holds, at rest, for a connection whose client never reads its OPEN replies
 * of one object: its socket and the fd of exactly one queued reply (it keeps no fd for the
 * connection's next opens: --kept-fds is off by default, daemon/fdcache.h). It sends
 * replies until the client's unread fds reach the connection's cap (LIMIT_FDS_UNREAD_PER_CONN,
 * daemon/conn.c) or its socket is full, queues the next one, and from then on reads nothing
 * more from that client (conn.c: "while any reply is queued the daemon stops reading"). So
 * LIMIT_REPLIES_QUEUED (8) is never reached this way, and a bound of 1 + 1 + 8 would pass for
 * a daemon that queued seven replies too many. (The uid's budget of fds held, which counts
 * queued fds too, stops it reading before it makes a reply past that budget: see
 * test_d68_inflight_fds_other_clients, at a lower RLIMIT_NOFILE.)
 */
#define SEC_FDS_PER_CONNECTION (1 + 1)
/* Kept fds are off by default (--kept-fds): none for a batch test's connection. */
#define SEC_KEPT_FDS 0

static void close_all(int *fds, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                fds[i] = safe_close(fds[i]);
}

/* The connection is refused for the quota: REPLY_ERROR(EDQUOT) with seq 0, then EOF. */
static void expect_quota_refusal(int fd)
{
        sec_expect_error(fd, 0, EDQUOT);
        sec_expect_closed(fd, -1);
}

/* ------------------------------------------------------------------------------------------
 * 63. Connection flood from one uid; 69. many connections holding replies
 */

static const char policy_conn4[] =
        "[Quota]\n"
        "MaxConnectionsPerUser=4\n"
        "\n"
        "[Segment sec]\n"
        "Names=sec-*\n"
        "Create=41001\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003 41004\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=1M\n";

static void test_d63_connection_flood(void **state)
{
        struct harness_daemon *d;
        struct shmb_client *c;
        struct shmb_stat st;
        size_t mark, i;
        int fds[SEC_DEFAULT_MAX_CONNECTIONS + 1], n;

        d = sec_start(policy_conn4, NULL);
        mark = harness_daemon_log_mark(d);
        for (i = 0; i < 4; i++)
                fds[i] = sec_raw_connect(d, &sec_id_outsider);
        sec_assert_serving(d); /* another uid, while 41004 is at its limit */
        fds[4] = sec_raw_connect(d, &sec_id_outsider);
        expect_quota_refusal(fds[4]);
        fds[4] = safe_close(fds[4]);
        /* The daemon accepts in order, so all 4 are in; the fifth it has closed (we read its
         * EOF), and the control client's connections go as it sees their hang-up. */
        n = harness_daemon_wait_fd_count(d, d->n_fds_start + 4, 2000);
        if (n != d->n_fds_start + 4)
                fail_msg("the daemon holds %d fds for 4 connections (%d at start)", n,
                         d->n_fds_start);
        /* The refused connection is logged (the wording is the daemon's). */
        sec_expect_log(d, mark, "uid=41004", NULL, 1, 1);
        /* A slot given back is a slot to use, once the daemon has closed the connection (its
         * fd and its slot go together, in conn_free()). */
        fds[0] = safe_close(fds[0]);
        n = harness_daemon_wait_fd_count(d, d->n_fds_start + 3, 2000);
        if (n != d->n_fds_start + 3)
                fail_msg("the daemon holds %d fds after one of 4 connections closed (%d at "
                         "start)", n, d->n_fds_start);
        c = sec_client(d, &sec_id_outsider);
        assert_int_equal(shmb_stat(c, "sec-x", &st), -ENOENT);
        shmb_client_free(c);
        close_all(fds, 4);
        sec_finish();

        /* The default is 64 per uid. */
        d = sec_start(sec_policy, NULL);
        for (i = 0; i < SEC_DEFAULT_MAX_CONNECTIONS; i++)
                fds[i] = sec_raw_connect(d, &sec_id_outsider);
        sec_assert_serving(d);
        fds[i] = sec_raw_connect(d, &sec_id_outsider);
        expect_quota_refusal(fds[i]);
        close_all(fds, SEC_DEFAULT_MAX_CONNECTIONS + 1);
        sec_finish();
}

static void test_d63_connection_flood_library(void **state)
{
        struct harness_daemon *d;
        struct shmb_client *c;
        struct shmb_stat st;
        int fds[4], r, n;
        size_t i, mark;

        d = sec_start(policy_conn4, NULL);
        for (i = 0; i < ELEMENTSOF(fds); i++)
                fds[i] = sec_raw_connect(d, &sec_id_outsider);
        mark = harness_daemon_log_mark(d);
        /* What the library reports on its first call, also when that call comes after the
         * daemon has closed the connection (the refusal is waiting in the socket). */
        c = sec_client(d, &sec_id_outsider);
        /* The daemon logs the refusal after accept() (4 + 1 connections), then sends it and
         * closes: back at 4 after the line, the refusal is in our socket. */
        assert_int_equal(harness_daemon_wait_log(d, mark, "uid=41004", 2000), 0);
        n = harness_daemon_wait_fd_count(d, d->n_fds_start + 4, 2000);
        if (n != d->n_fds_start + 4)
                fail_msg("the daemon holds %d fds for 4 connections (%d at start)", n,
                         d->n_fds_start);
        r = shmb_stat(c, "sec-x", &st);
        shmb_client_free(c);
        close_all(fds, ELEMENTSOF(fds));
        if (r != -EDQUOT)
                fail_msg("libshmbroker's first call on a connection refused for the quota: %s, "
                         "expected EDQUOT", strerror(-r));
        sec_finish();
}

/* Sends OPEN requests on @fd without reading any reply, until the socket is full (EAGAIN:
 * the daemon has stopped reading it; it never hangs up on such a client before its idle
 * timeout) or @max. Return: how many went out. */
static int flood_unread(int fd, const char *name, int max)
{
        size_t n = sec_enc_open(pkt, 1, name, SHMB_PROTO_ACCESS_RDONLY);
        int i;

        for (i = 0; i < max; i++) {
                struct shmb_proto_header h;

                memcpy(&h, pkt, sizeof(h));
                h.seq = (uint32_t) i + 1;
                memcpy(pkt, &h, sizeof(h));
                if (send(fd, pkt, n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
                        if (errno != EAGAIN)
                                fail_msg("request %d of a client that never reads: %s, "
                                         "expected EAGAIN", i + 1, strerror(errno));
                        break;
                }
        }
        return i;
}

static void test_d69_connections_holding_replies(void **state)
{
        struct harness_daemon *d;
        int fds[6], sent = 0, n;
        size_t i;

        d = sec_start(policy_conn4, NULL);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-held", 4096, SHMB_ACCESS_NONE,
                                    NULL), 0);
        /* 41004 opens read-only fds on six connections and reads none of the replies. */
        for (i = 0; i < ELEMENTSOF(fds); i++) {
                fds[i] = sec_raw_connect(d, &sec_id_outsider);
                if (i >= 4) {
                        expect_quota_refusal(fds[i]);
                        continue;
                }
                sent += flood_unread(fds[i], "sec-held", 5000);
        }
        /* Asleep with requests left unread in all 4 sockets: it holds back every one. */
        sec_wait_idle(d);
        n = harness_daemon_fd_count(d);
        print_message("%d requests unread on 4 connections; the daemon holds %d fds (%d at "
                      "start)\n", sent, n, d->n_fds_start);
        if (n != d->n_fds_start + 4 * SEC_FDS_PER_CONNECTION)
                fail_msg("the daemon holds %d fds for 4 connections that never read, expected "
                         "%d + 4 x %d", n, d->n_fds_start, SEC_FDS_PER_CONNECTION);
        sec_assert_serving(d);
        close_all(fds, ELEMENTSOF(fds));
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-held"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 64. accept() at EMFILE; 65. the soft fd limit
 */

static void test_d64_accept_emfile(void **state)
{
        struct harness_daemon_options opts = { .nofile_soft = 32, .nofile_hard = 32 };
        struct harness_daemon *d = sec_start(sec_policy, &opts);
        size_t mark = harness_daemon_log_mark(d), i;
        const char *emfile = strerror(EMFILE);
        unsigned long long csw0, csw1;
        uint64_t t1, t2;
        long cpu0, cpu1;
        int fds[64], n, lines;

        /* More connections than the daemon has fds for: the backlog holds the rest. */
        for (i = 0; i < ELEMENTSOF(fds); i++)
                fds[i] = sec_raw_connect(d, &sec_id_outsider);
        /* No busy loop on a listener it cannot accept from: it sleeps in epoll_wait() with
         * connections waiting in its backlog, which a daemon polling the listener never does
         * (the loop is level-triggered). And it got there by using every fd it may have. */
        sec_wait_idle(d);
        n = harness_daemon_fd_count(d);
        if (n != 32)
                fail_msg("at EMFILE the daemon has %d fds open, its limit is 32", n);
        /* Logged, but not once per wakeup: the paused listener is retried once per tick of
         * the daemon's 1 s timer, with one line each time. Between two retries (one tick,
         * delimited by the daemon's own lines, not by our clock), it sleeps: next to no CPU
         * and a few wakeups, where a spinning daemon would use the whole second. */
        lines = harness_daemon_log_count(d, mark, emfile, NULL);
        assert_true(lines >= 1);
        assert_int_equal(harness_daemon_wait_log_lines(d, mark, emfile, lines + 1, 3000), lines + 1);
        t1 = tl_now_ms();
        cpu0 = sec_daemon_cpu_ms(d);
        csw0 = sec_status_number(d->pid, "voluntary_ctxt_switches");
        assert_int_equal(harness_daemon_wait_log_lines(d, mark, emfile, lines + 2, 3000), lines + 2);
        t2 = tl_now_ms();
        cpu1 = sec_daemon_cpu_ms(d);
        csw1 = sec_status_number(d->pid, "voluntary_ctxt_switches");
        print_message("at EMFILE with %d fds: %d line(s), then one tick: %llu ms, %ld ms of CPU, "
                      "%llu wakeups\n", n, lines, (unsigned long long) (t2 - t1), cpu1 - cpu0,
                      csw1 - csw0);
        if (cpu1 - cpu0 > 150)
                fail_msg("the daemon spins at EMFILE: %ld ms of CPU in one tick (%llu ms)",
                         cpu1 - cpu0, (unsigned long long) (t2 - t1));
        if (csw1 - csw0 > 4)
                fail_msg("the daemon woke up %llu times in one tick at EMFILE",
                         csw1 - csw0);
        /* One line per tick, not per wakeup: the two retries are a tick apart. */
        if (t2 - t1 < 500)
                fail_msg("two EMFILE lines %llu ms apart: not once per 1 s tick",
                         (unsigned long long) (t2 - t1));
        assert_true(harness_daemon_alive(d));
        /* Freed fds: it accepts again and serves. */
        close_all(fds, ELEMENTSOF(fds));
        sec_finish();
}

static void test_d65_soft_fd_limit(void **state)
{
        struct harness_daemon_options opts = { .nofile_soft = 1024, .nofile_hard = 8192 };
        struct harness_daemon *d = sec_start(sec_policy, &opts);
        char path[64], line[256];
        unsigned long soft = 0, hard = 0;
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%d/limits", (int) d->pid);
        f = fopen(path, "re");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, "Max open files", 14) == 0)
                        assert_int_equal(sscanf(line + 14, "%lu %lu", &soft, &hard), 2);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(hard, 8192);
        if (soft != hard)
                fail_msg("the running daemon's soft RLIMIT_NOFILE is %lu, hard %lu", soft, hard);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 67. Slow client; 68. client that never reads
 */

static void test_d67_idle_connection(void **state)
{
        static const char *const args[] = { "--idle-timeout", "1", NULL };
        struct harness_daemon_options opts = { .extra_args = args };
        struct harness_daemon *d;
        struct shmb_proto_reply reply;
        struct pollfd p;
        uint64_t t0, t;
        size_t n, mark;
        int idle, busy, r, asked = 0;

        d = sec_start(sec_policy, &opts);
        mark = harness_daemon_log_mark(d);
        t0 = tl_now_ms();
        idle = sec_raw_connect(d, &sec_id_outsider);
        busy = sec_raw_connect(d, &sec_id_outsider);
        /* The busy one asks something every 300 ms (the scenario: it is never idle for the
         * 1 s timeout) until the idle one is closed, which is what we wait for: its socket
         * turns readable. The daemon sweeps at its 1 s tick, so that takes 1 to 2 s. (A
         * partial request cannot exist on SOCK_SEQPACKET; saying nothing is the slow
         * client.) */
        n = sec_enc_name(pkt, SHMB_PROTO_STAT, 1, "sec-none");
        p = (struct pollfd) { .fd = idle, .events = POLLIN };
        for (;;) {
                assert_int_equal(sec_raw_call(busy, pkt, n, &reply, NULL), 0);
                assert_int_equal(reply.error, ENOENT);
                asked++;
                r = poll(&p, 1, 300);
                assert_true(r >= 0);
                if (r > 0)
                        break;
                if (tl_now_ms() - t0 > 5000)
                        fail_msg("a connection idle for %llu ms is still open with "
                                 "--idle-timeout 1", (unsigned long long) (tl_now_ms() - t0));
        }
        t = tl_now_ms() - t0;
        print_message("the idle connection was closed after %llu ms; the busy one asked %d "
                      "times meanwhile\n", (unsigned long long) t, asked);
        /* Closed with nothing said, and not before a whole second of silence (t0 was taken
         * before connect(), the daemon's clock for it starts at accept()). */
        assert_int_equal(sec_raw_reply(idle, &reply, NULL), -ECONNRESET);
        if (t < 1000)
                fail_msg("closed for idleness after %llu ms with --idle-timeout 1",
                         (unsigned long long) t);
        /* The busy one, of the same uid, is still served, and only the idle one was logged. */
        assert_int_equal(sec_raw_call(busy, pkt, n, &reply, NULL), 0);
        assert_int_equal(reply.error, ENOENT);
        sec_expect_log_error(d, mark, HARNESS_UID_4, ETIMEDOUT, 1, 1);
        sec_assert_serving(d);
        assert_int_equal(close(idle), 0);
        assert_int_equal(close(busy), 0);
        sec_finish();
}

static void test_d68_never_reads(void **state)
{
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        int fd, sent, n;

        assert_int_equal(sec_create(d, &sec_id_creator, "sec-nr", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        fd = sec_raw_connect(d, &sec_id_reader);
        sent = flood_unread(fd, "sec-nr", 20000);
        sec_wait_idle(d);
        n = harness_daemon_fd_count(d);
        print_message("%d requests sent unread; the daemon holds %d fds (%d at start)\n", sent,
                      n, d->n_fds_start);
        /* It stopped reading: one queued reply is held in the daemon (the rest is in our
         * socket buffer, in flight). */
        if (n != d->n_fds_start + SEC_FDS_PER_CONNECTION)
                fail_msg("the daemon holds %d fds for one client that never reads, expected "
                         "%d + %d", n, d->n_fds_start, SEC_FDS_PER_CONNECTION);
        /* Nobody else gets ETOOMANYREFS or waits. */
        sec_assert_serving(d);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-nr"), 0);
        sec_finish();
}

/* The same with OPEN_BATCH: 16 fds per reply, so the one queued reply holds 16 fds. */
static void test_d68_never_reads_batch(void **state)
{
        static const char *const names[SHMB_PROTO_BATCH_MAX] = {
                "sec-nb", "sec-nb", "sec-nb", "sec-nb", "sec-nb", "sec-nb", "sec-nb", "sec-nb",
                "sec-nb", "sec-nb", "sec-nb", "sec-nb", "sec-nb", "sec-nb", "sec-nb", "sec-nb",
        };
        uint32_t access[SHMB_PROTO_BATCH_MAX];
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        int fd, i, n, len;

        for (i = 0; i < SHMB_PROTO_BATCH_MAX; i++)
                access[i] = SHMB_PROTO_ACCESS_RDONLY;
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-nb", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        fd = sec_raw_connect(d, &sec_id_reader);
        for (i = 0; i < 5000; i++) {
                len = shmb_proto_encode_open_batch(pkt, sizeof(pkt), (uint32_t) i + 1, names,
                                                   access, SHMB_PROTO_BATCH_MAX);
                assert_true(len > 0);
                if (send(fd, pkt, (size_t) len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
                        assert_int_equal(errno, EAGAIN);
                        break;
                }
        }
        sec_wait_idle(d);
        n = harness_daemon_fd_count(d);
        print_message("%d batches sent unread; the daemon holds %d fds (%d at start)\n", i, n,
                      d->n_fds_start);
        if (n != d->n_fds_start + 1 + SEC_KEPT_FDS + SHMB_PROTO_FDS_MAX)
                fail_msg("the daemon holds %d fds for one client that never reads, expected "
                         "%d + 1 + %d + %d", n, d->n_fds_start, SEC_KEPT_FDS,
                         SHMB_PROTO_FDS_MAX);
        sec_assert_serving(d);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-nb"), 0);
        sec_finish();
}

/*
 * 68, the in-flight half (dbus CVE-2014-3532): fds the daemon has sent and a
 * client has not received count against the daemon's uid, and once that count passes the
 * daemon's RLIMIT_NOFILE the kernel refuses its sendmsg() with ETOOMANYREFS, for every client.
 * Run as a service user (no CAP_SYS_RESOURCE) with a low limit, a client that never reads its
 * batch replies must not cost the others their fds.
 */
static void test_d68_inflight_fds_other_clients(void **state)
{
        static const char *const names[SHMB_PROTO_BATCH_MAX] = {
                "sec-if", "sec-if", "sec-if", "sec-if", "sec-if", "sec-if", "sec-if", "sec-if",
                "sec-if", "sec-if", "sec-if", "sec-if", "sec-if", "sec-if", "sec-if", "sec-if",
        };
        const char *args[] = { "--user", NULL, NULL };
        struct harness_daemon_options opts = { .extra_args = args, .nofile_soft = 256,
                                               .nofile_hard = 256 };
        uint32_t access[SHMB_PROTO_BATCH_MAX];
        struct harness_daemon *d;
        int fd, i, len, r, n, ofd = -1;
        uid_t uid;
        gid_t gid;

        args[1] = sec_service_user(&uid, &gid);
        for (i = 0; i < SHMB_PROTO_BATCH_MAX; i++)
                access[i] = SHMB_PROTO_ACCESS_RDONLY;
        d = sec_start(sec_policy, &opts);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-if", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        fd = sec_raw_connect(d, &sec_id_reader);
        for (i = 0; i < 5000; i++) {
                len = shmb_proto_encode_open_batch(pkt, sizeof(pkt), (uint32_t) i + 1, names,
                                                   access, SHMB_PROTO_BATCH_MAX);
                assert_true(len > 0);
                if (send(fd, pkt, (size_t) len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
                        assert_int_equal(errno, EAGAIN);
                        break;
                }
        }
        /* At rest: it has sent what its uid's budget allows (256 / 8 = 32 fds: two batches)
         * and read no third request, whose reply would have been held beyond it (fds queued
         * count in the budget as fds sent do, daemon/conn.c): it holds the socket alone. */
        sec_wait_idle(d);
        n = harness_daemon_fd_count(d);
        print_message("%d batches of 16 fds sent unread to a daemon with RLIMIT_NOFILE 256; "
                      "it holds %d fds (%d at start)\n", i, n, d->n_fds_start);
        if (n != d->n_fds_start + 1 + SEC_KEPT_FDS)
                fail_msg("the daemon holds %d fds for one client that never reads, expected "
                         "%d + 1 + %d", n, d->n_fds_start, SEC_KEPT_FDS);
        /* Another client of another uid still gets its fd. */
        r = sec_open(d, &sec_id_writer, "sec-if", SHMB_ACCESS_RDWR, &ofd);
        if (r != 0) {
                _cleanup_(freep) char *log = harness_daemon_log(d);
                const char *tail = log && strlen(log) > 1500 ? log + strlen(log) - 1500 : log;

                fprintf(stderr, "---- end of the daemon's log ----\n%s----\n",
                        tail ? tail : "");
        }
        if (r != 0)
                fail_msg("while one client holds the daemon's fds in flight, another's open "
                         "fails: %s", strerror(-r));
        assert_int_equal(close(ofd), 0);
        sec_assert_serving(d);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-if"), 0);
        sec_finish();
}

/*
 * 68, the in-flight budget shared out. Fds sent and unread, and those of replies queued (they
 * sit in the daemon's fd table), are held for a uid: at most RLIMIT_NOFILE / 8 per uid, and
 * RLIMIT_NOFILE / 2 in all. A few uids that never read could hold more than all of it between
 * them (the review's case: 12 uids of 64 connections at RLIMIT_NOFILE 20000); past half of it
 * each takes no more than its share of what is still free, so another uid's open is answered,
 * now and not at the others' idle timeout. Here, at RLIMIT_NOFILE 1024 (512 in all, 128 per
 * uid), 6 uids ask for 10 replies of 16 fds each: 768 within their own budgets.
 */
static const char policy_pub[] =
        "[Segment pub]\n"
        "Names=pub-*\n"
        "Create=41001\n"
        "ReadOnly=*\n";

/* A connection of @id that asks for one batch of 16 fds of @name and never reads it. */
static int connect_unread_batch(const struct harness_daemon *d, const struct harness_id *id,
                                const char *name)
{
        const char *names[SHMB_PROTO_BATCH_MAX];
        uint32_t access[SHMB_PROTO_BATCH_MAX];
        int fd, len, i;

        for (i = 0; i < SHMB_PROTO_BATCH_MAX; i++) {
                names[i] = name;
                access[i] = SHMB_PROTO_ACCESS_RDONLY;
        }
        len = shmb_proto_encode_open_batch(pkt, sizeof(pkt), 1, names, access,
                                           SHMB_PROTO_BATCH_MAX);
        assert_true(len > 0);
        fd = sec_raw_connect(d, id);
        assert_int_equal(sec_raw_send(fd, pkt, (size_t) len, NULL, 0), 0);
        return fd;
}

static void test_d68_inflight_fair_share(void **state)
{
        enum { UIDS = 6, CONNS = 10 };
        struct harness_daemon_options opts = { .nofile_soft = 1024, .nofile_hard = 1024 };
        struct harness_daemon *d = sec_start(policy_pub, &opts);
        struct shmb_proto_reply reply;
        int fds[UIDS * CONNS], v, ofd = -1, n, r;
        size_t i;

        assert_int_equal(sec_create(d, &sec_id_creator, "pub-if", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        for (i = 0; i < ELEMENTSOF(fds); i++) {
                struct harness_id id = { .uid = 42200 + (uid_t) (i / CONNS),
                                         .gid = 42200 + (gid_t) (i / CONNS) };

                fds[i] = connect_unread_batch(d, &id, "pub-if");
        }
        sec_wait_idle(d);
        /* Another uid's open is answered (the raw socket waits 5 s for it; without the share it
         * waits for the others' idle timeout). */
        v = sec_raw_connect(d, &sec_id_reader);
        r = sec_raw_call(v, pkt, sec_enc_open(pkt, 7, "pub-if", SHMB_PROTO_ACCESS_RDONLY), &reply,
                         &ofd);
        if (r < 0)
                fail_msg("while %d uids that never read hold fds, another uid's open got no "
                         "answer: %s", UIDS, strerror(-r));
        assert_int_equal(reply.error, 0);
        assert_true(ofd >= 0);
        assert_int_equal(close(ofd), 0);
        assert_int_equal(close(v), 0);
        /* At rest, every reply it could send sent, and none of theirs queued in the daemon:
         * it holds their sockets alone. */
        n = harness_daemon_wait_fd_count(d, d->n_fds_start + (int) ELEMENTSOF(fds), 3000);
        print_message("%d uids asked for %d fds each and read none; the daemon holds %d fds "
                      "(%d at start)\n", UIDS, CONNS * SHMB_PROTO_FDS_MAX, n, d->n_fds_start);
        if (n != d->n_fds_start + (int) ELEMENTSOF(fds))
                fail_msg("the daemon holds %d fds for %zu connections that never read, expected "
                         "%d + %zu: it keeps replies it cannot send", n, ELEMENTSOF(fds),
                         d->n_fds_start, ELEMENTSOF(fds));
        sec_assert_serving(d);
        close_all(fds, ELEMENTSOF(fds));
        assert_int_equal(sec_unlink(d, &sec_id_creator, "pub-if"), 0);
        sec_finish();
}

/*
 * The same budget for one uid: a reply its connection cannot send (its uid holds its 128 fds)
 * is not made, and so not kept in the daemon's fd table (the review found about 1,100 fds
 * held so per uid, counted nowhere). Once its clients read, the rest are served.
 */
static void test_d68_inflight_uid_queued(void **state)
{
        enum { CONNS = 12 };
        struct harness_daemon_options opts = { .nofile_soft = 1024, .nofile_hard = 1024 };
        struct harness_daemon *d = sec_start(policy_pub, &opts);
        struct pollfd p[CONNS];
        int fds[CONNS], n, left = CONNS;
        uint64_t t0;
        size_t i;

        assert_int_equal(sec_create(d, &sec_id_creator, "pub-iq", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        for (i = 0; i < CONNS; i++)
                fds[i] = connect_unread_batch(d, &sec_id_reader, "pub-iq");
        /* 8 replies sent (128 fds, the uid's budget), 4 requests not read. */
        sec_wait_idle(d);
        n = harness_daemon_fd_count(d);
        print_message("one uid asked for %d fds on %d connections and read none; the daemon "
                      "holds %d fds (%d at start)\n", CONNS * SHMB_PROTO_FDS_MAX, CONNS, n,
                      d->n_fds_start);
        if (n != d->n_fds_start + CONNS)
                fail_msg("the daemon holds %d fds for %d connections of one uid that never "
                         "read, expected %d + %d: it keeps replies past the uid's budget", n,
                         CONNS, d->n_fds_start, CONNS);
        /* It reads: every connection gets its reply (each waits at most the daemon's tick once
         * the others' are read). */
        t0 = tl_now_ms();
        while (left > 0) {
                int k = 0;

                for (i = 0; i < CONNS; i++)
                        if (fds[i] >= 0)
                                p[k++] = (struct pollfd) { .fd = fds[i], .events = POLLIN };
                n = poll(p, (nfds_t) k, 5000);
                assert_true(n >= 0);
                if (n == 0 || tl_now_ms() - t0 > 10000)
                        fail_msg("%d of %d connections of a uid that read its replies got "
                                 "none", left, CONNS);
                for (i = 0; i < (size_t) k; i++) {
                        struct shmb_proto_reply reply;
                        size_t j;

                        if (!(p[i].revents & POLLIN))
                                continue;
                        assert_int_equal(sec_raw_reply(p[i].fd, &reply, NULL), 0);
                        assert_int_equal(reply.error, 0);
                        for (j = 0; j < CONNS; j++)
                                if (fds[j] == p[i].fd)
                                        fds[j] = safe_close(fds[j]);
                        left--;
                }
        }
        sec_assert_serving(d);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "pub-iq"), 0);
        sec_finish();
}

static void test_d68_never_reads_timeout(void **state)
{
        static const char *const args[] = { "--idle-timeout", "1", NULL };
        struct harness_daemon_options opts = { .extra_args = args };
        struct harness_daemon *d;
        int fd, n;

        d = sec_start(sec_policy, &opts);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-nr", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        fd = sec_raw_connect(d, &sec_id_reader);
        (void) flood_unread(fd, "sec-nr", 20000);
        /* It never drains: within the timeout (plus slack) the daemon drops it and every fd
         * it queued for it, while we still hold our end. */
        n = harness_daemon_wait_fd_count(d, d->n_fds_start, 3500);
        if (n != d->n_fds_start)
                fail_msg("a client that never reads still holds %d fds in the daemon after "
                         "the idle timeout (%d at start)", n, d->n_fds_start);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-nr"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 70. Create storm: per-uid object and byte quotas
 */

static void test_d70_quota(void **state)
{
        static const char policy[] =
                "[Quota]\n"
                "MaxObjectsPerUser=3\n"
                "MaxBytesPerUser=64K\n"
                "\n"
                "[Segment q]\n"
                "Names=q-*\n"
                "Create=41001 41002\n"
                "ReadWrite=41001 41002\n"
                "Owner=%U\n"
                "Group=42002\n"
                "Mode=0600\n"
                "MaxSize=1M\n"
                "\n"
                "[Segment qm]\n"
                "Names=qm-*\n"
                "Create=41001 41002\n"
                "ReadWrite=41001 41002\n"
                "Owner=%U\n"
                "Group=42002\n"
                "Mode=0600\n"
                "MaxSize=1M\n"
                "Backend=memfd\n";
        const struct harness_id *a = &sec_id_creator, *b = &sec_id_writer;
        struct harness_daemon *d;
        size_t mark;
        int fds;

        d = sec_start(policy, NULL);
        mark = harness_daemon_log_mark(d);
        /* Bytes: 32K + 32K fill 41001's 64K; 4K more is refused, and nothing is left. */
        assert_int_equal(sec_create(d, a, "q-a", 32768, SHMB_ACCESS_NONE, NULL), 0);
        assert_int_equal(sec_create(d, a, "q-b", 32768, SHMB_ACCESS_NONE, NULL), 0);
        assert_int_equal(sec_create(d, a, "q-c", 4096, SHMB_ACCESS_NONE, NULL), -EDQUOT);
        assert_int_equal(access(harness_shm_path(d, "q-c"), F_OK), -1);
        assert_int_equal(sec_create(d, a, "qm-c", 4096, SHMB_ACCESS_NONE, NULL), -EDQUOT);
        /* Another uid has its own quota. */
        assert_int_equal(sec_create(d, b, "q-x", 65536, SHMB_ACCESS_NONE, NULL), 0);
        /* Unlink gives it back. */
        assert_int_equal(sec_unlink(d, a, "q-a"), 0);
        assert_int_equal(sec_create(d, a, "q-c", 4096, SHMB_ACCESS_NONE, NULL), 0);
        /* Objects: q-b, q-c and one more make 3; the fourth is refused, whatever its size. */
        assert_int_equal(sec_create(d, a, "qm-d", 4096, SHMB_ACCESS_NONE, NULL), 0);
        /* The baseline plus qm-d's memfd, once the last client's connection is closed. */
        fds = d->n_fds_start + 1;
        assert_int_equal(harness_daemon_wait_fd_count(d, fds, 2000), fds);
        assert_int_equal(sec_create(d, a, "q-e", 1, SHMB_ACCESS_NONE, NULL), -EDQUOT);
        assert_int_equal(sec_create(d, a, "qm-e", 1, SHMB_ACCESS_NONE, NULL), -EDQUOT);
        assert_int_equal(access(harness_shm_path(d, "q-e"), F_OK), -1);
        /* 78: no memfd was made (and kept) for the refused one. */
        assert_int_equal(harness_daemon_wait_fd_count(d, fds, 2000), fds);
        sec_expect_log_error(d, mark, HARNESS_UID_1, EDQUOT, 4, 4);

        assert_int_equal(sec_unlink(d, a, "q-b"), 0);
        assert_int_equal(sec_unlink(d, a, "q-c"), 0);
        assert_int_equal(sec_unlink(d, a, "qm-d"), 0);
        assert_int_equal(sec_unlink(d, b, "q-x"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 71. tmpfs full; 72. out of inodes; 74. huge request
 */

static void test_d71_tmpfs_full(void **state)
{
        struct harness_daemon_options opts = { .shm_parent = sec_mount_tmpfs("size=1M") };
        struct harness_daemon *d = sec_start(sec_policy, &opts);
        size_t mark = harness_daemon_log_mark(d), i;
        volatile uint8_t *p;
        int fd = -1;

        /* 2M on a 1M tmpfs: ENOSPC at create (fallocate), not SIGBUS at a later touch. */
        assert_int_equal(sec_create(d, &sec_id_creator, "big-a", 2u << 20, SHMB_ACCESS_RDWR,
                                    NULL), -ENOSPC);
        sec_assert_no_objects(d);
        /* What fits is reserved: every page can be touched. */
        assert_int_equal(sec_create(d, &sec_id_creator, "big-b", 512u << 10, SHMB_ACCESS_RDWR,
                                    &fd), 0);
        p = mmap(NULL, 512u << 10, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        assert_true(p != MAP_FAILED);
        for (i = 0; i < (512u << 10); i += 4096)
                p[i] = 1;
        assert_int_equal(munmap((void *) p, 512u << 10), 0);
        assert_int_equal(close(fd), 0);
        /* And what no longer fits is refused the same way. */
        assert_int_equal(sec_create(d, &sec_id_creator, "big-c", 768u << 10, SHMB_ACCESS_RDWR,
                                    NULL), -ENOSPC);
        assert_int_equal(access(harness_shm_path(d, "big-c"), F_OK), -1);
        sec_expect_log_error(d, mark, HARNESS_UID_1, ENOSPC, 2, 2);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "big-b"), 0);
        sec_finish();
}

static void test_d72_out_of_inodes(void **state)
{
        struct harness_daemon_options opts = { .shm_parent = sec_mount_tmpfs("size=4M,nr_inodes=8") };
        struct harness_daemon *d = sec_start(sec_policy, &opts);
        size_t mark = harness_daemon_log_mark(d);
        struct statvfs vfs;
        char name[16];
        int i, r = 0, free_inodes;

        /* The mount's root, the object directory and what the daemon keeps there (its trash
         * and state directories) take some of the 8 inodes; every one left is an object. */
        assert_int_equal(statvfs(d->shm_dir, &vfs), 0);
        free_inodes = (int) vfs.f_ffree;
        assert_true(free_inodes > 0);
        for (i = 0; i < 10; i++) {
                snprintf(name, sizeof(name), "sec-i%d", i);
                r = sec_create(d, &sec_id_creator, name, 4096, SHMB_ACCESS_NONE, NULL);
                if (r < 0)
                        break;
        }
        print_message("%d objects before the tmpfs ran out of inodes (%d were free)\n", i,
                      free_inodes);
        assert_int_equal(r, -ENOSPC);
        /* None wasted by a create, none left behind by the one that failed. */
        assert_int_equal(i, free_inodes);
        assert_int_equal(statvfs(d->shm_dir, &vfs), 0);
        assert_int_equal(vfs.f_ffree, 0);
        assert_int_equal(harness_shm_entries(d, NULL, 0), i);
        sec_expect_log_error(d, mark, HARNESS_UID_1, ENOSPC, 1, 1);
        /* One freed, one more fits. */
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-i0"), 0);
        assert_int_equal(sec_create(d, &sec_id_creator, name, 4096, SHMB_ACCESS_NONE, NULL), 0);
        while (i > 0) {
                snprintf(name, sizeof(name), "sec-i%d", i--);
                assert_int_equal(sec_unlink(d, &sec_id_creator, name), 0);
        }
        sec_finish();
}

static void test_d74_huge_request(void **state)
{
        static const char policy[] =
                "[Segment huge]\n"
                "Names=huge-*\n"
                "Create=41001\n"
                "ReadWrite=41001\n"
                "Owner=41001\n"
                "Mode=0600\n"
                "MaxSize=1T\n";
        struct harness_daemon *d = sec_start(policy, NULL);
        unsigned long long rss = sec_status_number(d->pid, "VmRSS");
        uint64_t t0 = tl_now_ms();

        /* Far beyond memory and the tmpfs: refused before anything is touched, quickly. */
        assert_int_equal(sec_create(d, &sec_id_creator, "huge-a", UINT64_C(1) << 40,
                                    SHMB_ACCESS_RDWR, NULL), -ENOSPC);
        assert_true(tl_now_ms() - t0 < 2000);
        assert_int_equal(sec_create(d, &sec_id_creator, "huge-b", (UINT64_C(1) << 40) + 1,
                                    SHMB_ACCESS_RDWR, NULL), -EFBIG);
        assert_true(sec_status_number(d->pid, "VmRSS") < rss + 4096);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * 76. Log flooding; 77. huge policy
 */

/*
 * The daemon runs with its CLOCK_MONOTONIC under the test's control (tests/helpers/fakeclock.c,
 * preloaded; the daemon itself has no such knob), so the 10 s interval passes at once. The
 * limiter's windows to the microsecond are in tests/unit/test-log.c.
 */
static void test_d76_log_flood(void **state)
{
        struct harness_daemon_options opts = { .env = sec_fakeclock_env() };
        struct harness_daemon *d = sec_start(sec_policy, &opts);
        size_t mark = harness_daemon_log_mark(d), n;
        uint64_t t0 = tl_now_ms();
        int fd = sec_raw_connect(d, &sec_id_outsider), i;
        _cleanup_(freep) char *log = NULL;
        const char *p;
        unsigned suppressed = 0;

        sec_assert_fakeclock(d);
        /* 60 refusals from 41004 in well under the 10 s interval (the daemon's clock has not
         * been moved yet: this is real time). */
        for (i = 0; i < 60; i++) {
                n = sec_enc_name(pkt, SHMB_PROTO_STAT, (uint32_t) i, "sec-/x");
                assert_int_equal(sec_raw_send(fd, pkt, n, NULL, 0), 0);
                sec_expect_error(fd, (uint32_t) i, EINVAL);
        }
        assert_true(tl_now_ms() - t0 < SEC_LOG_INTERVAL_MS / 2);
        sec_expect_log_error(d, mark, HARNESS_UID_4, EINVAL, SEC_LOG_BURST, SEC_LOG_BURST);
        /* Nothing was let through since the drops, so nothing says so yet. */
        sec_expect_log(d, mark, "suppressed", NULL, 0, 0);
        /* Per uid: another uid is still logged. */
        {
                int other = sec_raw_connect(d, &sec_id_reader);

                n = sec_enc_name(pkt, SHMB_PROTO_STAT, 7, "sec-/y");
                assert_int_equal(sec_raw_send(other, pkt, n, NULL, 0), 0);
                sec_expect_error(other, 7, EINVAL);
                assert_int_equal(close(other), 0);
        }
        sec_expect_log_error(d, mark, HARNESS_UID_3, EINVAL, 1, 1);
        /* The interval passes for the daemon; the next line says how many were left out. */
        sec_fakeclock_advance((uint64_t) SEC_LOG_INTERVAL_MS * 1000);
        n = sec_enc_name(pkt, SHMB_PROTO_STAT, 99, "sec-/z");
        assert_int_equal(sec_raw_send(fd, pkt, n, NULL, 0), 0);
        sec_expect_error(fd, 99, EINVAL);
        assert_int_equal(close(fd), 0);
        log = harness_daemon_log(d);
        assert_non_null(log);
        /* "uid=41004: 40 messages suppressed", in whatever words: the uid, the count. */
        for (p = log + mark; *p; p = *strchrnul(p, '\n') ? strchrnul(p, '\n') + 1 : "") {
                char line[512];

                snprintf(line, sizeof(line), "%.*s ", (int) (strchrnul(p, '\n') - p), p);
                if (strstr(line, "41004") && strstr(line, "suppressed")) {
                        const char *q;

                        for (q = line; *q; q++)
                                if (q[0] == ' ' && sscanf(q, " %u ", &suppressed) == 1 &&
                                    suppressed == 60 - SEC_LOG_BURST)
                                        break;
                        if (*q)
                                break;
                }
        }
        if (!*p)
                fail_msg("no \"uid=41004: %d messages suppressed\" line:\n%s",
                         60 - SEC_LOG_BURST, log + mark);
        assert_int_equal(suppressed, 60 - SEC_LOG_BURST);
        /* Said once, and the refusal that says it is logged too. */
        sec_expect_log(d, mark, "41004", "suppressed", 1, 1);
        sec_expect_log_error(d, mark, HARNESS_UID_4, EINVAL, SEC_LOG_BURST + 1,
                             SEC_LOG_BURST + 1);
        sec_finish();
}

/*
 * 76 too: a line that every request of a kind writes is client-triggered as much as a
 * refusal's. Any user with a name (here root) may mint app sockets and drop them in a loop;
 * each mint's "App socket ..." line counts against its uid's burst.
 */
static void test_d76_log_flood_app_sockets(void **state)
{
        enum { N = 100 };
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        size_t mark = harness_daemon_log_mark(d);
        uint64_t t0 = tl_now_ms();
        int i;

        for (i = 0; i < N; i++) {
                struct shmb_client *c = sec_client(d, &sec_id_root);
                char *path = NULL;

                assert_int_equal(shmb_app_socket(c, "org.example.Flood", &path), 0);
                free(path);
                shmb_client_free(c);
        }
        sec_wait_idle(d);
        if (tl_now_ms() - t0 >= SEC_LOG_INTERVAL_MS)
                sec_skip("%d mints took more than one interval of the limiter", N);
        sec_expect_log(d, mark, "App socket '", NULL, 1, SEC_LOG_BURST);
        sec_finish();
}

static void test_d77_huge_policy(void **state)
{
        const size_t n_rules = 5000;
        size_t size = n_rules * 160 + 1, len = 0, i;
        char *text = malloc(size);
        struct harness_daemon *d;
        struct shmb_client *c;
        struct shmb_stat st;
        uint64_t t0;

        assert_non_null(text);
        for (i = 0; i < n_rules; i++)
                len += (size_t) snprintf(text + len, size - len,
                                         "[Segment r%zu]\nNames=r%zu-* x%zu\nCreate=41001\n"
                                         "ReadOnly=41003\nOwner=41001\nMode=0640\n"
                                         "MaxSize=64K\n\n", i, i, i);
        t0 = tl_now_ms();
        d = sec_start(text, NULL);
        free(text);
        print_message("%zu rules loaded and listening in %llu ms\n", n_rules,
                      (unsigned long long) (tl_now_ms() - t0));
        assert_true(tl_now_ms() - t0 < 3000);
        /* Lookups that match the last rule, and that match none. */
        c = sec_client(d, &sec_id_reader);
        t0 = tl_now_ms();
        for (i = 0; i < 500; i++) {
                assert_int_equal(shmb_stat(c, "r4999-a", &st), -ENOENT);
                assert_int_equal(shmb_stat(c, "nomatch", &st), -ENOENT);
        }
        print_message("1000 lookups in %llu ms\n", (unsigned long long) (tl_now_ms() - t0));
        assert_true(tl_now_ms() - t0 < 2000);
        shmb_client_free(c);
        sec_finish();
}

const struct CMUnitTest sec_tests_dos[] = {
        SEC_TEST(test_d63_connection_flood),
        SEC_TEST(test_d63_connection_flood_library),
        SEC_TEST(test_d64_accept_emfile),
        SEC_TEST(test_d65_soft_fd_limit),
        SEC_TEST(test_d67_idle_connection),
        SEC_TEST(test_d68_never_reads),
        SEC_TEST(test_d68_never_reads_batch),
        SEC_TEST(test_d68_inflight_fds_other_clients),
        SEC_TEST(test_d68_inflight_fair_share),
        SEC_TEST(test_d68_inflight_uid_queued),
        SEC_TEST(test_d68_never_reads_timeout),
        SEC_TEST(test_d69_connections_holding_replies),
        SEC_TEST(test_d70_quota),
        SEC_TEST(test_d71_tmpfs_full),
        SEC_TEST(test_d72_out_of_inodes),
        SEC_TEST(test_d74_huge_request),
        SEC_TEST(test_d76_log_flood),
        SEC_TEST(test_d76_log_flood_app_sockets),
        SEC_TEST(test_d77_huge_policy),
};
const size_t sec_n_tests_dos = ELEMENTSOF(sec_tests_dos);
