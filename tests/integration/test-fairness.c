/* SPDX-License-Identifier: MIT */
/*
 * test-fairness.c - no user can out-spend or stall the others (issue "Fair under attack"):
 *
 *  - a removed object stays charged to its creator while any client still holds it (an fd or
 *    a mapping), for both backends, and the charge goes once nobody does;
 *  - a writer that grows a Backend=shm object past its size gets its creator charged for it;
 *  - one uid with many busy connections delays another uid's request by at most one of its
 *    own per round, not by all of them;
 *  - requests sent back to back on one connection are all answered, in order and in turn with
 *    another uid's (the connections are edge-triggered);
 *  - a slow name service delays only the connection whose name it looks up; the lookups' threads
 *    start only when a lookup is needed and end when idle, and when none can start, lookups
 *    still get done.
 *
 * Each case runs a fresh daemon (security.h) and ends with the suite's after-checks. Needs
 * root (it switches uids); skipped without.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "security.h"

#define MIB (1024u * 1024u)

static uint8_t pkt[SHMB_PROTO_MSG_MAX];

static const char quota_policy[] =
        "[Quota]\n"
        "MaxBytesPerUser=8M\n"
        "\n"
        "[Segment sec]\n"
        "Names=sec-*\n"
        "Create=41001\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=8M\n"
        "\n"
        "[Segment secm]\n"
        "Names=secm-*\n"
        "Create=41001\n"
        "ReadWrite=41001 41002\n"
        "ReadOnly=41003\n"
        "MaxSize=8M\n"
        "Backend=memfd\n";

/*
 * Creates @name until it succeeds, for at most 5 s: the daemon asks about removed objects
 * once a second, so a charge goes within about a second of the last holder letting go.
 * Return: the last result.
 */
static int create_when_released(const struct harness_daemon *d, const char *name, uint64_t size)
{
        uint64_t deadline = tl_now_ms() + 5000;
        int r;

        for (;;) {
                r = sec_create(d, &sec_id_creator, name, size, SHMB_ACCESS_NONE, NULL);
                if (r != -EDQUOT || tl_now_ms() >= deadline)
                        return r;
                tl_sleep_ms(50); /* polling the daemon's answer, not waiting for time */
        }
}

/* Removed but mapped: the quota still counts it; unmapped and closed: it stops counting. */
static void held_object(const char *a, const char *b)
{
        struct harness_daemon *d = sec_start(quota_policy, NULL);
        void *p;
        int fd;

        assert_int_equal(sec_create(d, &sec_id_creator, a, 8 * MIB, SHMB_ACCESS_RDWR, &fd), 0);
        p = mmap(NULL, 8 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        assert_true(p != MAP_FAILED);
        assert_int_equal(close(fd), 0);
        memset(p, 0x5a, 8 * MIB); /* the pages are really there */
        assert_int_equal(sec_unlink(d, &sec_id_creator, a), 0);

        /* The 8 MiB are still held (by the mapping alone): no room for 8 MiB more. Before, the
         * unlink gave the charge back and a user could hold any number of them. */
        assert_int_equal(sec_create(d, &sec_id_creator, b, 8 * MIB, SHMB_ACCESS_NONE, NULL),
                         -EDQUOT);
        assert_int_equal(sec_create(d, &sec_id_creator, b, 4096, SHMB_ACCESS_NONE, NULL),
                         -EDQUOT);
        /* The name is free again, for another object, within the quota that is left. */
        assert_int_equal(munmap(p, 8 * MIB), 0);
        assert_int_equal(create_when_released(d, b, 8 * MIB), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, b), 0);
        sec_finish();
}

static void test_held_shm(void **state)
{
        held_object("sec-a", "sec-b");
}

static void test_held_memfd(void **state)
{
        held_object("secm-a", "secm-b");
}

/* Held by another user's fd: still the creator's charge. */
static void test_held_by_reader(void **state)
{
        struct harness_daemon *d = sec_start(quota_policy, NULL);
        int fd;

        assert_int_equal(sec_create(d, &sec_id_creator, "sec-a", 8 * MIB, SHMB_ACCESS_NONE,
                                    NULL), 0);
        assert_int_equal(sec_open(d, &sec_id_reader, "sec-a", SHMB_ACCESS_RDONLY, &fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-a"), 0);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-b", 4096, SHMB_ACCESS_NONE, NULL),
                         -EDQUOT);
        assert_int_equal(close(fd), 0);
        assert_int_equal(create_when_released(d, "sec-b", 8 * MIB), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-b"), 0);
        sec_finish();
}

/* A writer grows a Backend=shm object behind the daemon's back: its creator pays. */
static void test_shm_growth(void **state)
{
        struct harness_daemon *d = sec_start(quota_policy, NULL);
        int fd, rfd;

        assert_int_equal(sec_create(d, &sec_id_creator, "sec-g", 64 * 1024, SHMB_ACCESS_NONE,
                                    NULL), 0);
        assert_int_equal(sec_open(d, &sec_id_writer, "sec-g", SHMB_ACCESS_RDWR, &fd), 0);
        assert_int_equal(ftruncate(fd, 8 * MIB), 0);
        assert_int_equal(close(fd), 0);
        /* The next open sees the new size, charges it, and hands out the size as it is. */
        assert_int_equal(sec_open(d, &sec_id_reader, "sec-g", SHMB_ACCESS_RDONLY, &rfd), 0);
        assert_int_equal(lseek(rfd, 0, SEEK_END), (off_t) 8 * MIB);
        assert_int_equal(close(rfd), 0);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-h", 4096, SHMB_ACCESS_NONE, NULL),
                         -EDQUOT);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-g"), 0);
        assert_int_equal(create_when_released(d, "sec-h", 4096), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-h"), 0);
        sec_finish();
}

/*
 * A line about an object carries its name escaped, quotes included, so that a name cannot pass
 * for the line's own words. Found by a review: "Object '%s': grown to ..." printed the name
 * raw, and "sec-q': grown to 0 bytes ...; its creator (uid 0) ..." would read as blaming uid 0.
 */
static void test_growth_line_escapes_name(void **state)
{
        static const char name[] = "sec-q': its creator (uid 0)";
        struct harness_daemon *d = sec_start(quota_policy, NULL);
        size_t mark;
        int fd;

        assert_int_equal(sec_create(d, &sec_id_creator, name, 4096, SHMB_ACCESS_RDWR, &fd), 0);
        assert_int_equal(ftruncate(fd, 16 * MIB), 0);
        assert_int_equal(close(fd), 0);
        mark = harness_daemon_log_mark(d);
        /* The open sees the growth past MaxSize=8M, and says so. */
        assert_int_equal(sec_open(d, &sec_id_reader, name, SHMB_ACCESS_RDONLY, &fd), 0);
        assert_int_equal(close(fd), 0);
        sec_expect_log(d, mark, "Object 'sec-q\\x27: its creator (uid 0)': grown to 16777216 "
                       "bytes", NULL, 1, 1);
        sec_expect_log(d, mark, "sec-q':", NULL, 0, 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, name), 0);
        sec_finish();
}

/* The same growth, seen by the daemon's sweep without any open in between. */
static void test_shm_growth_swept(void **state)
{
        struct harness_daemon *d = sec_start(quota_policy, NULL);
        int fd;

        assert_int_equal(sec_create(d, &sec_id_creator, "sec-g", 64 * 1024, SHMB_ACCESS_RDWR,
                                    &fd), 0);
        assert_int_equal(ftruncate(fd, 8 * MIB), 0);
        assert_int_equal(close(fd), 0);
        {
                uint64_t deadline = tl_now_ms() + 5000;
                int r;

                /* Within a few seconds the sweep has charged it: a create is refused. */
                do {
                        r = sec_create(d, &sec_id_creator, "sec-h", 4096, SHMB_ACCESS_NONE,
                                       NULL);
                        if (r == 0) {
                                assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-h"), 0);
                                tl_sleep_ms(50); /* polling */
                        }
                } while (r == 0 && tl_now_ms() < deadline);
                assert_int_equal(r, -EDQUOT);
        }
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-g"), 0);
        sec_finish();
}

/* What STATUS says uid 41001 (the creator) is charged, in bytes; 0 when it holds nothing. */
static uint64_t creator_bytes(const struct harness_daemon *d)
{
        uint64_t objects, bytes;

        sec_usage(d, sec_id_creator.uid, &objects, &bytes);
        return bytes;
}

#define SIZE_MAX_CHARGED (UINT64_C(1) << 40) /* LIMIT_SIZE_MAX: the most one object costs */

/*
 * Growth is charged at most LIMIT_SIZE_MAX per object, and a user's charge saturates rather
 * than wraps. Before, two objects grown sparse (free) to 2^63-1 and to 2^63-4095 were charged
 * that, the creator's byte counter wrapped to 0, and a real 8 MiB create then passed
 * MaxBytesPerUser=8M (once per such pair: without end).
 */
static void test_shm_growth_no_wrap(void **state)
{
        struct harness_daemon *d = sec_start(quota_policy, NULL);
        const off_t sizes[2] = { INT64_MAX, (off_t) ((UINT64_C(1) << 63) - 4095) };
        size_t mark = harness_daemon_log_mark(d);
        char name[16];
        int fds[3], i;

        for (i = 0; i < 3; i++) {
                snprintf(name, sizeof(name), "sec-w%d", i);
                assert_int_equal(sec_create(d, &sec_id_creator, name, 4096, SHMB_ACCESS_RDWR,
                                            &fds[i]), 0);
        }
        /* 4096 * 3 - 4096 * 2 + sizes[0] + sizes[1] == 2^64. */
        for (i = 0; i < 2; i++) {
                assert_int_equal(ftruncate(fds[i], sizes[i]), 0);
                snprintf(name, sizeof(name), "sec-w%d", i);
                assert_int_equal(sec_open(d, &sec_id_reader, name, SHMB_ACCESS_RDONLY, NULL), 0);
        }
        assert_true(creator_bytes(d) == 2 * SIZE_MAX_CHARGED + 4096);
        sec_expect_log(d, mark, "behind the daemon's back, past MaxSize=", NULL, 2, 2);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-big", 8 * MIB, SHMB_ACCESS_NONE,
                                    NULL), -EDQUOT);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-big", 4096, SHMB_ACCESS_NONE,
                                    NULL), -EDQUOT);
        for (i = 0; i < 3; i++) {
                assert_int_equal(close(fds[i]), 0);
                snprintf(name, sizeof(name), "sec-w%d", i);
                assert_int_equal(sec_unlink(d, &sec_id_creator, name), 0);
        }
        /* Every charge given back, exactly: the whole quota is there again. */
        assert_int_equal(create_when_released(d, "sec-big", 8 * MIB), 0);
        assert_true(creator_bytes(d) == 8 * MIB);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-big"), 0);
        sec_finish();
}

/* Polls (the daemon's tick, once a second) until @fd holds no memory; false after 5 s. */
static bool wait_emptied(int fd)
{
        uint64_t deadline = tl_now_ms() + 5000;
        struct stat st;

        do {
                assert_int_equal(fstat(fd, &st), 0);
                if (st.st_blocks == 0)
                        return true;
                tl_sleep_ms(50); /* polling */
        } while (tl_now_ms() < deadline);
        return false;
}

/*
 * fallocate(FALLOC_FL_KEEP_SIZE) allocates memory past a file's end without changing its
 * size. Before, the daemon charged sizes only, and the creator of an unsized memfd object
 * allocated 64 MiB so, then sent RESIZE to 4096: the daemon grew it (which keeps the pages),
 * sealed it, and held a memfd charged 4096 bytes with 64 MiB of memory, for its whole life.
 * Now the tick counts that memory (past MaxSize=: the object is emptied), and RESIZE frees
 * whatever lies past the size before it reserves it.
 */
static void test_memfd_keep_size(void **state)
{
        struct harness_daemon *d = sec_start(quota_policy, NULL);
        struct shmb_create_opts opts = { .flags = SHMB_CREATE_UNSIZED };
        struct shmb_client *c = sec_client(d, &sec_id_creator);
        size_t mark = harness_daemon_log_mark(d);
        struct stat st;
        int fd, rfd;

        assert_int_equal(shmb_create2(c, "secm-k", 0, SHMB_ACCESS_RDWR, &opts, &fd, NULL), 0);
        assert_int_equal(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 64 * MIB), 0);
        /* Left unsized: the tick sees 64 MiB, past MaxSize=8M, and empties it. */
        assert_true(wait_emptied(fd));
        sec_expect_log(d, mark, "grew it to 67108864 bytes before giving it its size", NULL, 1,
                       1);

        /* Again, sized at once (whether or not the tick empties it first). */
        assert_int_equal(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 64 * MIB), 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(shmb_resize(c, "secm-k", 4096), 0);
        shmb_client_free(c);
        assert_int_equal(sec_open(d, &sec_id_reader, "secm-k", SHMB_ACCESS_RDONLY, &rfd), 0);
        assert_int_equal(fstat(rfd, &st), 0);
        assert_int_equal(close(rfd), 0);
        assert_int_equal(st.st_size, 4096);
        assert_int_equal(st.st_blocks * 512, 4096); /* its page, reserved; nothing past it */
        assert_true(creator_bytes(d) == 4096);
        assert_int_equal(sec_create(d, &sec_id_creator, "secm-q", 8 * MIB - 4096,
                                    SHMB_ACCESS_NONE, NULL), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "secm-q"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "secm-k"), 0);
        sec_finish();
}

/*
 * The same memory added to a Backend=shm object by a writer, while it is there and after it
 * was removed (held by the writer's fd): its creator is charged for it. Before, the daemon
 * charged st_size only, and 64 MiB a writer allocated past the end cost nobody anything.
 */
static void test_shm_keep_size(void **state)
{
        struct harness_daemon *d = sec_start(quota_policy, NULL);
        size_t mark = harness_daemon_log_mark(d);
        int fd;

        assert_int_equal(sec_create(d, &sec_id_creator, "sec-k", 4096, SHMB_ACCESS_NONE, NULL), 0);
        assert_int_equal(sec_open(d, &sec_id_writer, "sec-k", SHMB_ACCESS_RDWR, &fd), 0);
        assert_int_equal(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 64 * MIB), 0);
        /* The next open measures it. */
        assert_int_equal(sec_open(d, &sec_id_reader, "sec-k", SHMB_ACCESS_RDONLY, NULL), 0);
        assert_true(creator_bytes(d) == 64 * MIB);
        sec_expect_log(d, mark, "'sec-k': grown to 4096 bytes behind the daemon's back", NULL,
                       1, 1);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-q", 4096, SHMB_ACCESS_NONE, NULL),
                         -EDQUOT);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-k"), 0);
        assert_int_equal(create_when_released(d, "sec-q", 8 * MIB), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-q"), 0);

        /* Removed, held by the writer, which allocates past its end then: the held set's
         * look, once a second, charges it. */
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-k", 4096, SHMB_ACCESS_NONE, NULL), 0);
        assert_int_equal(sec_open(d, &sec_id_writer, "sec-k", SHMB_ACCESS_RDWR, &fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-k"), 0);
        assert_int_equal(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 64 * MIB), 0);
        {
                uint64_t deadline = tl_now_ms() + 5000;

                while (creator_bytes(d) != 64 * MIB && tl_now_ms() < deadline)
                        tl_sleep_ms(50); /* polling */
        }
        assert_true(creator_bytes(d) == 64 * MIB);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-q", 4096, SHMB_ACCESS_NONE, NULL),
                         -EDQUOT);
        assert_int_equal(close(fd), 0);
        assert_int_equal(create_when_released(d, "sec-q", 8 * MIB), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-q"), 0);
        sec_finish();
}

/* Polls (the held set's look, once a second) until STATUS shows the creator at @bytes. */
static void wait_creator_bytes(const struct harness_daemon *d, uint64_t bytes)
{
        uint64_t deadline = tl_now_ms() + 5000;

        while (creator_bytes(d) != bytes && tl_now_ms() < deadline)
                tl_sleep_ms(50); /* polling */
        assert_true(creator_bytes(d) == bytes);
}

/*
 * A writer (ReadWrite=, not Create=) grows the creator's object sparse to 1 TiB: the creator
 * is charged that while it is so, but the charge follows the object back down, live or
 * removed and held by the writer's fd. Before, a charge only ever rose: one ftruncate() by
 * the writer kept the creator from creating anything, after the object was put right and
 * after it was removed, for as long as the writer kept its fd.
 */
static void test_shm_shrink_charged(void **state)
{
        const off_t tib = (off_t) 1 << 40;
        struct harness_daemon *d = sec_start(quota_policy, NULL);
        int wfd, cfd;

        assert_int_equal(sec_create(d, &sec_id_creator, "sec-v", 4096, SHMB_ACCESS_RDWR, &cfd), 0);
        assert_int_equal(sec_open(d, &sec_id_writer, "sec-v", SHMB_ACCESS_RDWR, &wfd), 0);
        assert_int_equal(ftruncate(wfd, tib), 0);
        assert_int_equal(sec_open(d, &sec_id_reader, "sec-v", SHMB_ACCESS_RDONLY, NULL), 0);
        assert_true(creator_bytes(d) == (uint64_t) tib);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-x", MIB, SHMB_ACCESS_NONE, NULL),
                         -EDQUOT);

        /* The creator puts it right; the next look charges what it is now. */
        assert_int_equal(ftruncate(cfd, 4096), 0);
        assert_int_equal(close(cfd), 0);
        assert_int_equal(sec_open(d, &sec_id_reader, "sec-v", SHMB_ACCESS_RDONLY, NULL), 0);
        assert_true(creator_bytes(d) == 4096);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-x", MIB, SHMB_ACCESS_NONE, NULL), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-x"), 0);

        /* Removed, held by the writer's fd: grown, it is charged, shrunk, it is not. */
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-v"), 0);
        assert_int_equal(ftruncate(wfd, tib), 0);
        wait_creator_bytes(d, (uint64_t) tib);
        assert_int_equal(ftruncate(wfd, 8192), 0);
        wait_creator_bytes(d, 8192);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-x", MIB, SHMB_ACCESS_NONE, NULL), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-x"), 0);
        assert_int_equal(close(wfd), 0);
        wait_creator_bytes(d, 0);
        sec_finish();
}

/*
 * 60 connections of one uid and one of another each have an open waiting (the daemon is
 * paused while they are sent). The victim's is among the first served: each round serves one
 * request per uid. Before, each connection got one per round, and the victim's came after
 * all 60. The order is read from the audit records, one per grant, in the daemon's log.
 */
static void test_round_robin(void **state)
{
        enum { N = 60 };
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        int fds[N], victim, i, before_victim = 0, seen = 0;
        size_t mark, n;
        char *log, *line;

        assert_int_equal(sec_create(d, &sec_id_creator, "sec-x", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        for (i = 0; i < N; i++)
                fds[i] = sec_raw_connect(d, &sec_id_writer);
        victim = sec_raw_connect(d, &sec_id_reader);
        /* Every connection accepted before the pause. */
        assert_int_equal(harness_daemon_wait_fd_count(d, d->n_fds_start + N + 1, 3000),
                         d->n_fds_start + N + 1);
        mark = harness_daemon_log_mark(d);
        assert_int_equal(harness_daemon_pause(d), 0);
        n = sec_enc_open(pkt, 7, "sec-x", SHMB_PROTO_ACCESS_RDWR);
        for (i = 0; i < N; i++)
                assert_int_equal(sec_raw_send(fds[i], pkt, n, NULL, 0), 0);
        n = sec_enc_open(pkt, 7, "sec-x", SHMB_PROTO_ACCESS_RDONLY);
        assert_int_equal(sec_raw_send(victim, pkt, n, NULL, 0), 0);
        assert_int_equal(harness_daemon_resume(d), 0);
        {
                struct shmb_proto_reply reply;
                int ofd = -1;

                assert_int_equal(sec_raw_reply(victim, &reply, &ofd), 0);
                assert_int_equal(reply.type, SHMB_PROTO_REPLY_FD);
                assert_int_equal(close(ofd), 0);
        }
        for (i = 0; i < N; i++) {
                struct shmb_proto_reply reply;
                int ofd = -1;

                assert_int_equal(sec_raw_reply(fds[i], &reply, &ofd), 0);
                assert_int_equal(close(ofd), 0);
                assert_int_equal(close(fds[i]), 0);
        }
        assert_int_equal(close(victim), 0);

        /* The grants in the order served. */
        log = harness_daemon_log(d);
        assert_non_null(log);
        for (line = strtok(log + mark, "\n"); line; line = strtok(NULL, "\n")) {
                if (!strstr(line, "audit:") || !strstr(line, "open 'sec-x'"))
                        continue;
                if (strstr(line, "uid=41003")) {
                        seen = 1;
                        break;
                }
                before_victim++;
        }
        free(log);
        assert_int_equal(seen, 1);
        print_message("the victim's open came after %d of the other uid's\n", before_victim);
        /* One per round for each uid, and the first round may begin before the victim's
         * connection is among the events epoll returned: at most 2. */
        assert_true(before_victim <= 2);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-x"), 0);
        sec_finish();
}

/* The next reply on @fd, within 5 s: a request the daemon never reads fails the test rather
 * than hanging it. */
static void expect_fd_reply(int fd, uint32_t seq)
{
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        struct shmb_proto_reply reply;
        int ofd = -1;

        assert_int_equal(poll(&pfd, 1, 5000), 1);
        assert_int_equal(sec_raw_reply(fd, &reply, &ofd), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_FD);
        assert_int_equal(reply.seq, seq);
        assert_int_equal(close(ofd), 0);
}

/*
 * Requests sent back to back on one connection, before the daemon reads any, are all
 * answered, in order, and two uids that do so are still served in turn. The connections are
 * edge-triggered (conn_serve()): the 8 requests of a connection make one edge between them,
 * so the daemon must go on reading a connection it has just served, in its uid's next turn.
 */
static void test_pipelined_rounds(void **state)
{
        enum { N = 8 };
        struct harness_daemon *d = sec_start(sec_policy, NULL);
        int a, b, i, run = 0, longest = 0, grants = 0;
        char *log, *line, *last = NULL;
        size_t mark, n;

        assert_int_equal(sec_create(d, &sec_id_creator, "sec-x", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        a = sec_raw_connect(d, &sec_id_writer);
        b = sec_raw_connect(d, &sec_id_reader);
        assert_int_equal(harness_daemon_wait_fd_count(d, d->n_fds_start + 2, 3000),
                         d->n_fds_start + 2);
        mark = harness_daemon_log_mark(d);
        assert_int_equal(harness_daemon_pause(d), 0);
        for (i = 0; i < N; i++) {
                n = sec_enc_open(pkt, 100 + (uint32_t) i, "sec-x", SHMB_PROTO_ACCESS_RDWR);
                assert_int_equal(sec_raw_send(a, pkt, n, NULL, 0), 0);
                n = sec_enc_open(pkt, 200 + (uint32_t) i, "sec-x", SHMB_PROTO_ACCESS_RDONLY);
                assert_int_equal(sec_raw_send(b, pkt, n, NULL, 0), 0);
        }
        assert_int_equal(harness_daemon_resume(d), 0);
        for (i = 0; i < N; i++) {
                expect_fd_reply(a, 100 + (uint32_t) i);
                expect_fd_reply(b, 200 + (uint32_t) i);
        }
        assert_int_equal(close(a), 0);
        assert_int_equal(close(b), 0);

        /* In the order served, neither uid had more than one grant in a row. */
        log = harness_daemon_log(d);
        assert_non_null(log);
        for (line = strtok(log + mark, "\n"); line; line = strtok(NULL, "\n")) {
                char *uid;

                if (!strstr(line, "audit:") || !strstr(line, "open 'sec-x'"))
                        continue;
                uid = strstr(line, "uid=");
                assert_non_null(uid);
                run = last && strncmp(uid, last, 9) == 0 ? run + 1 : 1;
                if (run > longest)
                        longest = run;
                last = uid;
                grants++;
        }
        free(log);
        assert_int_equal(grants, 2 * N);
        assert_int_equal(longest, 1);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-x"), 0);
        sec_finish();
}

/* Each user's names: their user name is needed, so each connection's is looked up. */
static const char per_user_policy[] =
        "[Segment mine]\n"
        "Names=%u-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%u\n"
        "\n";

/*
 * A name service that is slow for one uid (tests/helpers/slownss.c: its getpwuid_r() waits
 * for a gate the test opens) delays that uid's connection alone: another uid is served from
 * start to end meanwhile. Before, the name was looked up on the first request, in the loop,
 * and everyone waited behind it.
 */
static void test_slow_name_service(void **state)
{
        struct harness_daemon_options opts = { .env = sec_slownss_env(41004, NULL) };
        struct shmb_proto_reply reply;
        struct harness_daemon *d;
        struct pollfd pfd;
        size_t n;
        int slow, fd;

        d = sec_start(per_user_policy, &opts);

        /* 41004 connects and asks: its lookup hangs at the gate. */
        slow = sec_raw_connect(d, &sec_id_outsider);
        n = sec_enc_open(pkt, 3, "x-1", SHMB_PROTO_ACCESS_RDONLY);
        assert_int_equal(sec_raw_send(slow, pkt, n, NULL, 0), 0);

        /* Meanwhile 41005 (the harness's control client) is served, start to end. */
        sec_assert_serving(d);
        assert_int_equal(sec_create(d, &sec_id_control, "ctl-1", 4096, SHMB_ACCESS_RDWR, &fd),
                         0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_control, "ctl-1"), 0);
        /* ... and 41004 still waits: no answer before its name is known. */
        pfd = (struct pollfd) { .fd = slow, .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 0), 0);

        /* The name service answers (41004 has no name: %u matches nothing for it). */
        sec_slownss_open();
        assert_int_equal(sec_raw_reply(slow, &reply, NULL), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_ERROR);
        assert_int_equal(reply.error, EACCES);
        assert_int_equal(close(slow), 0);
        sec_finish();
}

/*
 * One lookup per uid at a time, shared by its connections: a uid whose lookups hang holds one
 * of the resolver's LIMIT_RESOLVER_THREADS threads however many connections it opens, and
 * the other uids' lookups go on. Found by a hostile review: four connections of such a uid
 * held every thread, and new connections of every user waited behind them.
 */
#define RESOLVER_THREADS 4 /* the daemon's LIMIT_RESOLVER_THREADS (daemon/limits.h) */

static void test_slow_name_service_one_thread(void **state)
{
        struct harness_daemon_options opts = { .env = sec_slownss_env(41004, NULL) };
        struct shmb_proto_reply reply;
        struct harness_daemon *d;
        int slow[RESOLVER_THREADS + 2], fd;
        size_t i, n;

        d = sec_start(per_user_policy, &opts);
        for (i = 0; i < ELEMENTSOF(slow); i++) {
                slow[i] = sec_raw_connect(d, &sec_id_outsider);
                n = sec_enc_open(pkt, 3, "x-1", SHMB_PROTO_ACCESS_RDONLY);
                assert_int_equal(sec_raw_send(slow[i], pkt, n, NULL, 0), 0);
        }
        /* Another uid, on new connections: served from start to end. */
        sec_assert_serving(d);
        assert_int_equal(sec_create(d, &sec_id_control, "ctl-1", 4096, SHMB_ACCESS_RDWR, &fd),
                         0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_control, "ctl-1"), 0);

        /* The name service answers: each of 41004's connections is answered. */
        sec_slownss_open();
        for (i = 0; i < ELEMENTSOF(slow); i++) {
                assert_int_equal(sec_raw_reply(slow[i], &reply, NULL), 0);
                assert_int_equal(reply.type, SHMB_PROTO_REPLY_ERROR);
                assert_int_equal(reply.error, EACCES);
                assert_int_equal(close(slow[i]), 0);
        }
        sec_finish();
}

/*
 * Lookups that hang for more uids than the resolver has threads: once they have hung for a
 * second, threads past the limit start, and a uid not looked up before is answered (here:
 * it has no name, so %u matches nothing for it). Found by a hostile review: four uids whose
 * lookups hung held every thread, and nobody new was served until one answered.
 */
static void test_slow_name_service_many_uids(void **state)
{
        struct harness_daemon_options opts = {
                .env = sec_slownss_env_range(42200, 42200 + RESOLVER_THREADS),
        };
        struct harness_id hung = { .gid = 42200 }, fresh = { .uid = 42210, .gid = 42210 };
        struct shmb_proto_reply reply;
        int slow[RESOLVER_THREADS + 1], victim;
        struct harness_daemon *d;
        size_t i, n;

        d = sec_start(per_user_policy, &opts);
        for (i = 0; i < ELEMENTSOF(slow); i++) {
                hung.uid = 42200 + (uid_t) i;
                slow[i] = sec_raw_connect(d, &hung);
        }
        victim = sec_raw_connect(d, &fresh);
        n = sec_enc_open(pkt, 3, "x-1", SHMB_PROTO_ACCESS_RDONLY);
        assert_int_equal(sec_raw_send(victim, pkt, n, NULL, 0), 0);
        /* Within the socket's 5 s: a thread for it a second or two after the others hung. */
        assert_int_equal(sec_raw_reply(victim, &reply, NULL), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_ERROR);
        assert_int_equal(reply.error, EACCES);
        assert_int_equal(close(victim), 0);

        sec_slownss_open();
        for (i = 0; i < ELEMENTSOF(slow); i++)
                assert_int_equal(close(slow[i]), 0);
        sec_finish();
}

/*
 * SIGTERM while a name lookup hangs: the daemon exits at once, and cleanly. A running
 * getpwuid_r() cannot be taken back from its thread, and nobody waits for its answer any more
 * (the connections are closed first). Found by a hostile review: the exit waited for every
 * lookup, so a name service that never answered held it until the service manager's SIGKILL.
 */
static void test_slow_name_service_sigterm(void **state)
{
        struct harness_daemon_options opts = { .env = sec_slownss_env(41004, NULL) };
        struct harness_daemon *d;
        siginfo_t si = {};
        size_t mark;
        int slow, r;

        d = sec_start(per_user_policy, &opts);
        slow = sec_raw_connect(d, &sec_id_outsider);
        sec_slownss_wait_held();
        mark = harness_daemon_log_mark(d);

        assert_int_equal(kill(d->pid, SIGTERM), 0);
        r = harness_daemon_wait_exit(d, HARNESS_TIMEOUT_MS);
        sec_slownss_open();
        if (r < 0)
                fail_msg("shmbrokerd did not exit on SIGTERM while a lookup hung: %s",
                         strerror(-r));
        assert_int_equal(waitid(P_PID, (id_t) d->pid, &si, WEXITED | WNOWAIT), 0);
        assert_int_equal(si.si_code, CLD_EXITED);
        assert_int_equal(si.si_status, 0);
        assert_int_equal(harness_daemon_log_count(d, mark, "Not waiting for 1 job(s) still "
                                                  "running", NULL), 1);
        sec_forget_killed();
        assert_int_equal(close(slow), 0);
}

/*
 * App sockets are for uids with a user name, and a policy without %u has none looked up at
 * connect: the name is looked up when the app socket is asked for, off the loop as at
 * connect. With the name service slow for 41004 (the uids it does not know are the ones it
 * is slowest for), 41004's request waits alone; another uid is served meanwhile. Found by a
 * hostile review: the lookup ran in the loop, and every client waited behind it.
 */
static void test_slow_name_service_app_socket(void **state)
{
        struct harness_daemon_options opts = { .env = sec_slownss_env(41004, NULL) };
        struct shmb_proto_reply reply;
        struct harness_daemon *d;
        struct pollfd pfd;
        int slow, fd, n;

        d = sec_start(quota_policy, &opts);

        /* 41004 asks for an app socket: its lookup hangs at the gate. */
        slow = sec_raw_connect(d, &sec_id_outsider);
        n = shmb_proto_encode_app_socket(pkt, sizeof(pkt), 3, "org.example.Slow");
        assert_true(n > 0);
        assert_int_equal(sec_raw_send(slow, pkt, (size_t) n, NULL, 0), 0);

        /* Meanwhile another uid is served, start to end. */
        sec_assert_serving(d);
        assert_int_equal(sec_create(d, &sec_id_creator, "sec-slow", 4096, SHMB_ACCESS_RDWR,
                                    &fd), 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-slow"), 0);
        pfd = (struct pollfd) { .fd = slow, .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 0), 0);

        /* The name service answers: 41004 has no name, and gets no app socket. */
        sec_slownss_open();
        assert_int_equal(sec_raw_reply(slow, &reply, NULL), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_ERROR);
        assert_int_equal(reply.seq, 3);
        assert_int_equal(reply.error, EPERM);
        /* And its connection serves its next request as any other. */
        n = (int) sec_enc_open(pkt, 4, "sec-none", SHMB_PROTO_ACCESS_RDONLY);
        assert_int_equal(sec_raw_send(slow, pkt, (size_t) n, NULL, 0), 0);
        assert_int_equal(sec_raw_reply(slow, &reply, NULL), 0);
        assert_int_equal(reply.seq, 4);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_ERROR);
        assert_int_equal(close(slow), 0);
        sec_finish();
}

/*
 * Threads on demand (daemon/worker.h): a second thread costs the daemon in every system call
 * that takes an fd, so it has none until a job needs one. A policy without %u needs no name
 * lookups, and no client here sends fds, so nothing is left to close off the loop: after
 * creates, opens, a denial, a batch, a list and a status from four uids, the daemon is still
 * one thread.
 */
static int count_name(const char *name, void *userdata)
{
        return 0;
}

static void test_threads_on_demand(void **state)
{
        struct harness_daemon *d = sec_start(quota_policy, NULL);
        struct shmb_open_req reqs[2] = {
                { .name = "sec-a", .access = SHMB_ACCESS_RDONLY, .fd = -1 },
                { .name = "secm-b", .access = SHMB_ACCESS_RDONLY, .fd = -1 },
        };
        struct shmb_client *c;
        struct shmb_status *st = NULL;
        int fd;
        size_t i;

        assert_int_equal(sec_create(d, &sec_id_creator, "sec-a", 4096, SHMB_ACCESS_RDWR, &fd), 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_create(d, &sec_id_creator, "secm-b", 4096, SHMB_ACCESS_NONE, NULL),
                         0);
        assert_int_equal(sec_open(d, &sec_id_writer, "sec-a", SHMB_ACCESS_RDWR, &fd), 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(sec_open(d, &sec_id_outsider, "sec-a", SHMB_ACCESS_RDONLY, &fd),
                         -EACCES);
        c = sec_client(d, &sec_id_reader);
        assert_int_equal(shmb_open_batch(c, reqs, ELEMENTSOF(reqs)), 2);
        for (i = 0; i < ELEMENTSOF(reqs); i++) {
                assert_int_equal(reqs[i].error, 0);
                assert_int_equal(close(reqs[i].fd), 0);
        }
        assert_int_equal(shmb_list(c, count_name, NULL), 2);
        shmb_client_free(c);
        c = sec_client(d, &sec_id_root);
        assert_int_equal(shmb_status(c, &st), 0);
        shmb_status_free(st);
        shmb_client_free(c);

        assert_int_equal(sec_status_number(d->pid, "Threads"), 1);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "sec-a"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "secm-b"), 0);
        sec_finish();
}

/* Waits until the daemon has @n threads; false if it has not within 10 s. */
static bool wait_threads(const struct harness_daemon *d, unsigned long long n)
{
        struct timespec pause = { .tv_nsec = 20 * 1000 * 1000 };
        int i;

        for (i = 0; i < 500; i++) {
                if (sec_status_number(d->pid, "Threads") == n)
                        return true;
                (void) nanosleep(&pause, NULL);
        }
        return false;
}

/*
 * With %u, each connection's name is looked up by a thread; a thread idle for two seconds
 * ends, so the daemon goes back to one thread, and the next lookup starts one anew.
 * How many threads a burst of lookups starts depends on how they overlap (one more whenever
 * all are busy, up to four): the test asks for at least one, and at most four.
 */
static void test_idle_threads_leave(void **state)
{
        struct harness_daemon *d = sec_start(per_user_policy, NULL);
        unsigned long long n;
        int round, fd;

        for (round = 0; round < 2; round++) {
                /* Lookups of a uid not looked up before (an answer is kept for a minute); in
                 * round 1, after every thread left. 41001 has no name: %u matches nothing. */
                if (round == 0) {
                        assert_int_equal(sec_create(d, &sec_id_root, "root-x", 4096,
                                                    SHMB_ACCESS_RDWR, &fd), 0);
                        assert_int_equal(close(fd), 0);
                        assert_int_equal(sec_unlink(d, &sec_id_root, "root-x"), 0);
                } else
                        assert_int_equal(sec_open(d, &sec_id_creator, "root-x",
                                                  SHMB_ACCESS_RDONLY, &fd), -EACCES);
                n = sec_status_number(d->pid, "Threads");
                if (n < 2 || n > 5)
                        fail_msg("round %d: %llu threads after a lookup, expected 2 to 5",
                                 round, n);
                if (!wait_threads(d, 1))
                        fail_msg("round %d: the lookup threads are still there after 10 s "
                                 "(%llu threads)", round,
                                 sec_status_number(d->pid, "Threads"));
        }
        sec_finish();
}

/*
 * No thread can start (a pids cgroup at its limit, as TasksMax= does under systemd): the
 * lookups %u needs wait for one, their connections with them, and the loop goes on meanwhile;
 * a warning says so, the daemon tries again every second, and once the limit is lifted the
 * waiting request is answered. The test process goes into the cgroup first, so the daemon
 * starts in it, limited from its first connection on; the teardown takes the test process
 * back where it was.
 */
static char pids_cgroup[PATH_MAX + 64];
static char pids_cgroup_home[PATH_MAX];   /* the cgroup the test process was in */

/* The test process's cgroup under @root: the pids line of /proc/self/cgroup (cgroup1), else
 * the unified one. */
static bool find_home(const char *root, char *buf, size_t size)
{
        FILE *f = fopen("/proc/self/cgroup", "re");
        char line[PATH_MAX + 64], found[PATH_MAX] = "";
        bool v1 = strcmp(root, "/sys/fs/cgroup/pids") == 0;

        if (!f)
                return false;
        while (fgets(line, sizeof(line), f)) {
                const char *p = v1 ? strstr(line, ":pids:") : NULL;

                line[strcspn(line, "\n")] = '\0';
                if (p || (!v1 && strncmp(line, "0::", 3) == 0))
                        (void) snprintf(found, sizeof(found), "%.*s", (int) sizeof(found) - 1,
                                        p ? p + strlen(":pids:") : line + 3);
        }
        fclose(f);
        if (!found[0])
                return false;
        /* "/" is the root itself: no doubled slash. */
        return snprintf(buf, size, "%s%s", root, strcmp(found, "/") == 0 ? "" : found) <
               (int) size;
}

static void pids_cgroup_set_max(const char *max)
{
        char path[PATH_MAX + 128];

        snprintf(path, sizeof(path), "%s/pids.max", pids_cgroup);
        sec_write_file(path, max);
}

static void pids_cgroup_enter(const char *max)
{
        static const char *const roots[] = { "/sys/fs/cgroup/pids", "/sys/fs/cgroup" };
        char path[PATH_MAX + 128], pid[32];
        size_t i;

        for (i = 0; i < ELEMENTSOF(roots); i++) {
                if (!find_home(roots[i], pids_cgroup_home, sizeof(pids_cgroup_home)))
                        continue;
                if (snprintf(pids_cgroup, sizeof(pids_cgroup), "%s/shmb-test-%d",
                             pids_cgroup_home, (int) getpid()) >= (int) sizeof(pids_cgroup))
                        continue;
                /* A root with a controller of its own, or cgroup2's with pids enabled below. */
                if (mkdir(pids_cgroup, 0755) < 0)
                        continue;
                snprintf(path, sizeof(path), "%s/pids.max", pids_cgroup);
                if (access(path, W_OK) == 0)
                        break;
                (void) rmdir(pids_cgroup);
        }
        if (i == ELEMENTSOF(roots)) {
                pids_cgroup[0] = '\0';
                sec_skip("no pids cgroup controller to limit the daemon's threads with");
        }
        pids_cgroup_set_max(max);
        snprintf(path, sizeof(path), "%s/cgroup.procs", pids_cgroup);
        snprintf(pid, sizeof(pid), "%d\n", (int) getpid());
        sec_write_file(path, pid);
}

static int pids_cgroup_teardown(void **state)
{
        char path[PATH_MAX + 128], pid[32];
        int fd, r;

        if (pids_cgroup[0]) {
                /* Back where it was: the cgroup goes once the daemon is gone too. */
                snprintf(path, sizeof(path), "%s/cgroup.procs", pids_cgroup_home);
                snprintf(pid, sizeof(pid), "%d\n", (int) getpid());
                fd = open(path, O_WRONLY | O_CLOEXEC);
                if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
                        fprintf(stderr, "cannot leave %s: %m\n", pids_cgroup);
                if (fd >= 0)
                        (void) close(fd);
        }
        r = sec_teardown(state);

        if (pids_cgroup[0] && rmdir(pids_cgroup) < 0)
                fprintf(stderr, "cannot remove %s: %m\n", pids_cgroup);
        pids_cgroup[0] = '\0';
        return r;
}

static void test_no_thread_to_start(void **state)
{
        struct shmb_proto_reply reply;
        struct harness_daemon *d;
        struct pollfd pfd;
        struct stat st;
        size_t mark;
        int raw, fd = -1;

        /* The test process and the daemon it starts: no third task. */
        pids_cgroup_enter("2\n");
        d = sec_start(per_user_policy, NULL);

        /* root asks; its name cannot be looked up without a thread: no answer yet. */
        raw = sec_raw_connect(d, &sec_id_root);
        assert_int_equal(sec_raw_send(raw, pkt, sec_enc_create(pkt, 1, "root-x", 4096,
                                                               SHMB_PROTO_ACCESS_RDWR),
                                      NULL, 0), 0);
        pfd = (struct pollfd) { .fd = raw, .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 500), 0);

        /* The loop was not stalled by it: a reload is done meanwhile. */
        mark = harness_daemon_log_mark(d);
        assert_int_equal(kill(d->pid, SIGHUP), 0);
        (void) harness_daemon_wait_log(d, mark, "Policy reloaded", HARNESS_TIMEOUT_MS);
        sec_expect_log(d, mark, "Policy reloaded", NULL, 1, 1);
        assert_int_equal(sec_status_number(d->pid, "Threads"), 1);
        sec_expect_log(d, 0, "Cannot start a worker thread", "its jobs wait", 1, 1);

        /* The limit lifted: the next retry starts a thread, and root is answered. */
        pids_cgroup_set_max("max\n");
        assert_int_equal(sec_raw_reply(raw, &reply, &fd), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_FD);
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_uid, 0);
        assert_int_equal(close(fd), 0);
        assert_int_equal(close(raw), 0);
        sec_expect_log(d, 0, "A worker thread started again", NULL, 1, 1);
        assert_int_equal(sec_unlink(d, &sec_id_root, "root-x"), 0);
        sec_finish();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                SEC_TEST(test_held_shm),
                SEC_TEST(test_held_memfd),
                SEC_TEST(test_held_by_reader),
                SEC_TEST(test_shm_growth),
                SEC_TEST(test_shm_growth_swept),
                SEC_TEST(test_growth_line_escapes_name),
                SEC_TEST(test_shm_growth_no_wrap),
                SEC_TEST(test_memfd_keep_size),
                SEC_TEST(test_shm_keep_size),
                SEC_TEST(test_shm_shrink_charged),
                SEC_TEST(test_round_robin),
                SEC_TEST(test_pipelined_rounds),
                SEC_TEST(test_slow_name_service),
                SEC_TEST(test_slow_name_service_app_socket),
                SEC_TEST(test_slow_name_service_one_thread),
                SEC_TEST(test_slow_name_service_sigterm),
                SEC_TEST(test_slow_name_service_many_uids),
                SEC_TEST(test_threads_on_demand),
                SEC_TEST(test_idle_threads_leave),
                cmocka_unit_test_teardown(test_no_thread_to_start, pids_cgroup_teardown),
        };

        if (geteuid() != 0) {
                fprintf(stderr, "test-fairness switches uids: it needs root; skipped\n");
                return 77; /* automake: SKIP */
        }
        (void) signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests_name("fairness", tests, NULL, NULL);
}
