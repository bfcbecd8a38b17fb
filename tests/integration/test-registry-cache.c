/* SPDX-License-Identifier: MIT */
/*
 * test-registry-cache.c - the client's open cache (shmb_client_set_open_cache(), issue 12): a
 * repeat open is answered by the library from a dup() of the fd it already holds, without the
 * broker, and only while the broker's generation page says nothing that decided the grant
 * changed. Exact: never after an unlink, a reload, a publish or the broker's death has been
 * answered; never for what an open does more than hand out an fd (span lifetimes, writable
 * memfds whose seals are not final); never across connections. The page itself is the
 * broker's alone: read-only, sealed, not reopenable for writing.
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "macro.h"
#include "registry.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

/* oc-*: shm, persistent by default; ocs-*: a span lifetime; ocm-*: memfd sealed for good at
 * create; ocp-*: memfd whose writers may publish (seals not final). */
#define OC_RULE(section, names, extra)                                                     \
        "[Segment " section "]\n"                                                          \
        "Names=" names "\n"                                                                \
        "Create=41001\n"                                                                   \
        "ReadWrite=41001 41002\n"                                                          \
        "ReadOnly=41003\n"                                                                 \
        "MaxSize=1M\n" extra "\n"
#define OC_SHM "Owner=41001\nGroup=42002\nMode=0640\n"

static const char oc_policy[] =
        OC_RULE("oc", "oc-*", OC_SHM "Publish=writers\n")
        OC_RULE("ocs", "ocs-*", OC_SHM "Lifetime=1h\n")
        OC_RULE("ocm", "ocm-*", "Backend=memfd\nPublish=no\n")
        OC_RULE("ocp", "ocp-*", "Backend=memfd\nPublish=writers\n");

/* The same without the reader. */
static const char oc_policy_no_reader[] =
        "[Segment oc]\n"
        "Names=oc-*\n"
        "Create=41001\n"
        "ReadWrite=41001 41002\n"
        "Owner=41001\n"
        "Group=42002\n"
        "Mode=0640\n"
        "MaxSize=1M\n"
        "Publish=writers\n";

static struct shmb_client *cached_client(const struct harness_daemon *d,
                                         const struct harness_id *id)
{
        struct shmb_client *c = sec_client(d, id);

        assert_int_equal(shmb_client_set_open_cache(c, 64), 0);
        return c;
}

static char first_byte(int fd)
{
        char byte = 0;

        assert_int_equal(pread(fd, &byte, 1, 0), 1);
        return byte;
}

/* ------------------------------------------------------------------------------------------
 * Reuse: within one connection, without the broker
 */

static void test_cache_repeat_is_local(void **state)
{
        static const char *const names[] = { "oc-r", "ocm-r" };
        struct harness_daemon *d = sec_start(oc_policy, NULL);
        size_t i;

        for (i = 0; i < ELEMENTSOF(names); i++) {
                struct shmb_client *w = cached_client(d, &sec_id_writer);
                struct shmb_client *w2 = cached_client(d, &sec_id_writer);
                struct shmb_client *plain = sec_client(d, &sec_id_writer);
                struct shmb_fd_info info;
                int a, b, c, other, p1, p2;

                reg_create_text(d, &sec_id_creator, names[i], 4096, "R");
                a = reg_open_on(w, names[i], SHMB_ACCESS_RDWR);
                b = reg_open_on(w, names[i], SHMB_ACCESS_RDWR);
                assert_true(a >= 0 && b >= 0);
                /* The second is a dup() of what the first was handed. */
                assert_true(reg_same_description(a, b));
                /* Answered with the broker stopped: no round trip. */
                assert_int_equal(harness_daemon_pause(d), 0);
                assert_int_equal(shmb_open(w, names[i], SHMB_ACCESS_RDWR, &c, &info), 0);
                assert_int_equal(harness_daemon_resume(d), 0);
                assert_true(reg_same_description(a, c));
                assert_int_equal(info.size, 4096);
                assert_int_equal(info.access, SHMB_ACCESS_RDWR);
                assert_int_equal(fcntl(c, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
                assert_int_equal(first_byte(c), 'R');
                /* Another connection of the same uid has its own. */
                other = reg_open_on(w2, names[i], SHMB_ACCESS_RDWR);
                assert_true(other >= 0);
                assert_false(reg_same_description(a, other));
                /* Without the cache every open is the broker's fresh one. */
                p1 = reg_open_on(plain, names[i], SHMB_ACCESS_RDWR);
                p2 = reg_open_on(plain, names[i], SHMB_ACCESS_RDWR);
                assert_true(p1 >= 0 && p2 >= 0);
                assert_false(reg_same_description(p1, p2));
                /* Another access is another grant: read-only stays read-only. */
                p1 = safe_close(p1);
                p1 = reg_open_on(w, names[i], SHMB_ACCESS_RDONLY);
                assert_true(p1 >= 0);
                assert_int_equal(fcntl(p1, F_GETFL) & O_ACCMODE, O_RDONLY);
                assert_false(reg_same_description(a, p1));
                safe_close(a);
                safe_close(b);
                safe_close(c);
                safe_close(other);
                safe_close(p1);
                safe_close(p2);
                shmb_client_free(w);
                shmb_client_free(w2);
                shmb_client_free(plain);
                assert_int_equal(sec_unlink(d, &sec_id_creator, names[i]), 0);
        }
        sec_finish();
}

/* Turning the cache off closes what it holds; what it handed out stays the caller's. */
static void test_cache_off(void **state)
{
        struct harness_daemon *d = sec_start(oc_policy, NULL);
        struct shmb_client *w = cached_client(d, &sec_id_writer);
        int before, a, b, c;

        reg_create_text(d, &sec_id_creator, "oc-off", 4096, "O");
        before = sec_self_fd_count();
        a = reg_open_on(w, "oc-off", SHMB_ACCESS_RDWR);
        assert_true(a >= 0);
        /* The caller's fd and the cache's. */
        assert_int_equal(sec_self_fd_count(), before + 2);
        assert_int_equal(shmb_client_set_open_cache(w, 0), 0);
        assert_int_equal(sec_self_fd_count(), before + 1);
        b = reg_open_on(w, "oc-off", SHMB_ACCESS_RDWR);
        c = reg_open_on(w, "oc-off", SHMB_ACCESS_RDWR);
        assert_true(b >= 0 && c >= 0);
        assert_false(reg_same_description(a, b));
        assert_false(reg_same_description(b, c));
        assert_int_equal(shmb_client_set_open_cache(w, SHMB_OPEN_CACHE_MAX + 1), -EINVAL);
        safe_close(a);
        safe_close(b);
        safe_close(c);
        shmb_client_free(w);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "oc-off"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * Exactness: once the change is answered, the cache answers no more
 */

static void test_cache_unlink_recreate(void **state)
{
        static const char *const names[] = { "oc-u", "ocm-u" };
        struct harness_daemon *d = sec_start(oc_policy, NULL);
        size_t i;

        for (i = 0; i < ELEMENTSOF(names); i++) {
                struct shmb_client *w = cached_client(d, &sec_id_writer);
                struct shmb_client *r = cached_client(d, &sec_id_reader);
                int old, old_ro, fresh;

                reg_create_text(d, &sec_id_creator, names[i], 4096, "1");
                old = reg_open_on(w, names[i], SHMB_ACCESS_RDWR);
                old_ro = reg_open_on(r, names[i], SHMB_ACCESS_RDONLY);
                assert_true(old >= 0 && old_ro >= 0);
                assert_int_equal(sec_unlink(d, &sec_id_creator, names[i]), 0);
                /* Gone for the connections that cached it too. */
                assert_int_equal(reg_open_on(w, names[i], SHMB_ACCESS_RDWR), -ENOENT);
                assert_int_equal(reg_open_on(r, names[i], SHMB_ACCESS_RDONLY), -ENOENT);
                reg_create_text(d, &sec_id_creator, names[i], 4096, "2");
                fresh = reg_open_on(w, names[i], SHMB_ACCESS_RDWR);
                assert_true(fresh >= 0);
                assert_false(reg_same_description(old, fresh));
                assert_int_equal(first_byte(fresh), '2');
                safe_close(fresh);
                fresh = reg_open_on(r, names[i], SHMB_ACCESS_RDONLY);
                assert_true(fresh >= 0);
                assert_int_equal(first_byte(fresh), '2');
                safe_close(fresh);
                safe_close(old);
                safe_close(old_ro);
                shmb_client_free(w);
                shmb_client_free(r);
                assert_int_equal(sec_unlink(d, &sec_id_creator, names[i]), 0);
        }
        sec_finish();
}

/* A reload that takes the reader out: its cached grant ends with it. */
static void test_cache_reload(void **state)
{
        struct harness_daemon *d = sec_start(oc_policy, NULL);
        struct shmb_client *r = cached_client(d, &sec_id_reader);
        struct shmb_client *w = cached_client(d, &sec_id_writer);
        int ro, rw, rw2;

        reg_create_text(d, &sec_id_creator, "oc-l", 4096, "L");
        ro = reg_open_on(r, "oc-l", SHMB_ACCESS_RDONLY);
        rw = reg_open_on(w, "oc-l", SHMB_ACCESS_RDWR);
        assert_true(ro >= 0 && rw >= 0);
        safe_close(ro);
        reg_reload(d, oc_policy_no_reader);
        assert_int_equal(reg_open_on(r, "oc-l", SHMB_ACCESS_RDONLY), -EACCES);
        assert_int_equal(shmb_client_last_reason(r), SHMB_REASON_NO_READ);
        /* The writer may still: asked again, granted again, a new description. */
        rw2 = reg_open_on(w, "oc-l", SHMB_ACCESS_RDWR);
        assert_true(rw2 >= 0);
        assert_false(reg_same_description(rw, rw2));
        safe_close(rw);
        safe_close(rw2);
        shmb_client_free(r);
        shmb_client_free(w);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "oc-l"), 0);
        sec_finish();
}

/* Published: no writable fd any more, cached or not. */
static void test_cache_publish(void **state)
{
        struct harness_daemon *d = sec_start(oc_policy, NULL);
        struct shmb_client *w = cached_client(d, &sec_id_writer);
        struct shmb_client *creator = sec_client(d, &sec_id_creator);
        int rw;

        reg_create_text(d, &sec_id_creator, "oc-p", 4096, "P");
        rw = reg_open_on(w, "oc-p", SHMB_ACCESS_RDWR);
        assert_true(rw >= 0);
        safe_close(rw);
        assert_int_equal(shmb_publish(creator, "oc-p", SHMB_PUBLISH_SEAL), 0);
        assert_int_equal(reg_open_on(w, "oc-p", SHMB_ACCESS_RDWR), -EACCES);
        assert_int_equal(shmb_client_last_reason(w), SHMB_REASON_PUBLISHED);
        shmb_client_free(w);
        shmb_client_free(creator);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "oc-p"), 0);
        sec_finish();
}

/*
 * Killed: the connection's cache must not answer (the page it maps is the dead broker's, and
 * nothing raises it any more); the open goes to the broker, which has hung up (EPIPE, as for
 * any request on such a connection). Restarted on a policy without the reader, the new broker
 * decides for a new connection.
 */
static void test_cache_broker_gone(void **state)
{
        struct harness_daemon *d = sec_start(oc_policy, NULL);
        struct shmb_client *r = cached_client(d, &sec_id_reader);
        struct shmb_client *r2;
        int ro, fd = -1;

        reg_create_text(d, &sec_id_creator, "oc-k", 4096, "K");
        ro = reg_open_on(r, "oc-k", SHMB_ACCESS_RDONLY);
        assert_true(ro >= 0);
        safe_close(ro);
        reg_kill(d);
        assert_int_equal(shmb_open(r, "oc-k", SHMB_ACCESS_RDONLY, &fd, NULL), -EPIPE);
        assert_int_equal(fd, -1);
        /* Freed before the restart: the new daemon's case counts the test's fds from there. */
        shmb_client_free(r);
        d = reg_restart_killed(oc_policy_no_reader);
        /* The new broker decides for a new connection: no rule lets the reader read now,
         * so no page and no open. */
        r2 = sec_client(d, &sec_id_reader);
        assert_int_equal(shmb_client_set_open_cache(r2, 8), -EACCES);
        assert_int_equal(reg_open_on(r2, "oc-k", SHMB_ACCESS_RDONLY), -EACCES);
        shmb_client_free(r2);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "oc-k"), 0);
        sec_finish();
}

/*
 * A connection the library no longer trusts (a timeout: a late reply would answer the next
 * request) or one that carries a watch's events answers nothing: not from the cache either.
 */
static void test_cache_broken_or_watching(void **state)
{
        struct harness_daemon *d = sec_start(oc_policy, NULL);
        struct shmb_client *w = cached_client(d, &sec_id_writer);
        struct shmb_client *v = cached_client(d, &sec_id_writer);
        struct shmb_stat st;
        int a, fd = -1, watch_fd = -1;

        reg_create_text(d, &sec_id_creator, "oc-b", 4096, "B");
        a = reg_open_on(w, "oc-b", SHMB_ACCESS_RDWR);
        assert_true(a >= 0);
        safe_close(a);
        /* A stat that times out while the daemon is stopped breaks the connection. */
        assert_int_equal(shmb_client_set_timeout(w, 100), 0);
        assert_int_equal(harness_daemon_pause(d), 0);
        assert_int_equal(shmb_stat(w, "oc-b", &st), -ETIMEDOUT);
        assert_int_equal(harness_daemon_resume(d), 0);
        assert_int_equal(shmb_open(w, "oc-b", SHMB_ACCESS_RDWR, &fd, NULL), -ENOTCONN);
        assert_int_equal(fd, -1);

        a = reg_open_on(v, "oc-b", SHMB_ACCESS_RDWR);
        assert_true(a >= 0);
        safe_close(a);
        assert_int_equal(shmb_watch(v, "oc-*", &watch_fd), 0);
        assert_int_equal(shmb_open(v, "oc-b", SHMB_ACCESS_RDWR, &fd, NULL), -EBUSY);
        assert_int_equal(fd, -1);
        shmb_client_free(w);
        shmb_client_free(v);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "oc-b"), 0);
        sec_finish();
}

/* The page only to a caller that some rule lets read: it shows when things change. */
static void test_cache_page_outsider(void **state)
{
        struct harness_daemon *d = sec_start(oc_policy, NULL);
        struct shmb_client *o = sec_client(d, &sec_id_outsider);
        struct shmb_client *r = sec_client(d, &sec_id_reader);

        assert_int_equal(shmb_client_set_open_cache(o, 8), -EACCES);
        assert_int_equal(shmb_client_last_reason(o), SHMB_REASON_NO_READ);
        assert_int_equal(shmb_client_set_open_cache(r, 8), 0);
        shmb_client_free(o);
        shmb_client_free(r);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * Not reused: where an open does more than hand out an fd
 */

static void test_cache_not_reused(void **state)
{
        struct harness_daemon *d = sec_start(oc_policy, NULL);
        struct shmb_client *w = cached_client(d, &sec_id_writer);
        int a, b;

        /* A span restarts at every open: each must reach the broker. */
        reg_create_text(d, &sec_id_creator, "ocs-n", 4096, "S");
        a = reg_open_on(w, "ocs-n", SHMB_ACCESS_RDWR);
        b = reg_open_on(w, "ocs-n", SHMB_ACCESS_RDWR);
        assert_true(a >= 0 && b >= 0);
        assert_false(reg_same_description(a, b));
        safe_close(a);
        safe_close(b);
        /* A writable memfd whose writer may still seal it: asked each time. */
        reg_create_text(d, &sec_id_creator, "ocp-n", 4096, "M");
        a = reg_open_on(w, "ocp-n", SHMB_ACCESS_RDWR);
        b = reg_open_on(w, "ocp-n", SHMB_ACCESS_RDWR);
        assert_true(a >= 0 && b >= 0);
        assert_false(reg_same_description(a, b));
        safe_close(a);
        safe_close(b);
        /* ... but read-only is reused: a seal only takes writing away. */
        a = reg_open_on(w, "ocp-n", SHMB_ACCESS_RDONLY);
        b = reg_open_on(w, "ocp-n", SHMB_ACCESS_RDONLY);
        assert_true(a >= 0 && b >= 0);
        assert_true(reg_same_description(a, b));
        safe_close(a);
        safe_close(b);
        shmb_client_free(w);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "ocs-n"), 0);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "ocp-n"), 0);
        sec_finish();
}

/* ------------------------------------------------------------------------------------------
 * The page and the tickets, on the wire
 */

static int page_request(int sock, uint32_t seq, struct shmb_proto_reply *reply)
{
        uint8_t req[64];
        int len = shmb_proto_encode_cache_page(req, sizeof(req), seq), fd = -1;

        assert_true(len > 0);
        assert_int_equal(sec_raw_call(sock, req, (size_t) len, reply, &fd), 0);
        assert_int_equal(reply->type, SHMB_PROTO_REPLY_CACHE_PAGE);
        assert_true(fd >= 0);
        return fd;
}

static int page_attacks(void *userdata)
{
        int fd = *(int *) userdata, rw;
        char path[64], byte = 1;
        void *map;

        CHILD_CHECK(write(fd, &byte, 1) < 0 && errno == EBADF);
        CHILD_CHECK(ftruncate(fd, 0) < 0);
        CHILD_CHECK(mmap(NULL, SHMB_PROTO_CACHE_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                         fd, 0) == MAP_FAILED);
        map = mmap(NULL, SHMB_PROTO_CACHE_PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
        CHILD_CHECK(map != MAP_FAILED);
        CHILD_CHECK(mprotect(map, SHMB_PROTO_CACHE_PAGE_SIZE, PROT_READ | PROT_WRITE) < 0 &&
                    errno == EACCES);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        rw = open(path, O_RDWR | O_CLOEXEC);
        CHILD_CHECK(rw < 0 && errno == EACCES);
        CHILD_CHECK(fchmod(fd, 0666) < 0 && errno == EPERM);
        CHILD_CHECK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) < 0 && errno == EPERM);
        return 0;
}

static void test_cache_page_sealed(void **state)
{
        struct harness_daemon *d = sec_start(oc_policy, NULL);
        int sock = sec_raw_connect(d, &sec_id_reader), fd, rw, seals;
        const struct shmb_proto_cache_head *head;
        struct shmb_proto_reply reply;
        char path[64], byte = 1;
        struct stat st;

        fd = page_request(sock, 1, &reply);
        assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
        assert_int_equal(fstat(fd, &st), 0);
        assert_int_equal(st.st_size, SHMB_PROTO_CACHE_PAGE_SIZE);
        assert_int_equal(st.st_uid, 0);
        assert_int_equal(st.st_mode & 07777, 0400);
        seals = fcntl(fd, F_GET_SEALS);
        assert_int_equal(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL),
                         F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL);
        head = mmap(NULL, SHMB_PROTO_CACHE_PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
        assert_true(head != MAP_FAILED);
        assert_int_equal(head->magic, SHMB_PROTO_CACHE_MAGIC);
        assert_int_equal(head->n_slots, SHMB_PROTO_CACHE_SLOTS);
        assert_true(head->epoch >= 1);
        /* As the reader: no way to write it. */
        assert_int_equal(harness_run_as(&sec_id_reader, page_attacks, &fd), 0);
        /* Even root, who can reopen it writable, cannot write: the seals hold. */
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        rw = open(path, O_RDWR | O_CLOEXEC);
        assert_true(rw >= 0);
        assert_int_equal(write(rw, &byte, 1), -1);
        assert_int_equal(errno, EPERM);
        assert_true(mmap(NULL, SHMB_PROTO_CACHE_PAGE_SIZE, PROT_WRITE, MAP_SHARED, rw, 0) ==
                    MAP_FAILED);
        assert_int_equal(errno, EPERM);
        assert_int_equal(munmap((void *) head, SHMB_PROTO_CACHE_PAGE_SIZE), 0);
        safe_close(rw);
        safe_close(fd);
        safe_close(sock);
        sec_finish();
}

static uint64_t page_slot(const struct shmb_proto_cache_head *head, uint32_t slot)
{
        return __atomic_load_n(&((const uint64_t *) (head + 1))[slot], __ATOMIC_ACQUIRE);
}

/* A ticket names the page's values at the decision; the change that follows raises them
 * before its own reply. */
static void test_cache_ticket(void **state)
{
        struct harness_daemon *d = sec_start(oc_policy, NULL);
        int sock = sec_raw_connect(d, &sec_id_writer), page, fd = -1;
        const struct shmb_proto_cache_head *head;
        struct shmb_proto_fd_cached_reply t;
        struct shmb_proto_reply reply;
        uint8_t req[512];
        uint64_t epoch;
        int len;

        page = page_request(sock, 1, &reply);
        head = mmap(NULL, SHMB_PROTO_CACHE_PAGE_SIZE, PROT_READ, MAP_SHARED, page, 0);
        assert_true(head != MAP_FAILED);

        reg_create_text(d, &sec_id_creator, "oc-t", 4096, "T");
        len = shmb_proto_encode_open_as(req, sizeof(req), SHMB_PROTO_OPEN_CACHED, 2, "oc-t",
                                        SHMB_PROTO_ACCESS_RDWR);
        assert_true(len > 0);
        assert_int_equal(sec_raw_call(sock, req, (size_t) len, &reply, &fd), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_FD_CACHED);
        assert_true(fd >= 0);
        t = reply.ticket;
        assert_true(t.slot < SHMB_PROTO_CACHE_SLOTS);
        assert_int_equal(t.epoch, head->epoch);
        assert_int_equal(t.gen, page_slot(head, t.slot));
        assert_int_equal(reply.fd.access, SHMB_PROTO_ACCESS_RDWR);
        safe_close(fd);
        /* The same open again: the same ticket, nothing changed. */
        assert_int_equal(sec_raw_call(sock, req, (size_t) len, &reply, &fd), 0);
        assert_int_equal(reply.ticket.slot, t.slot);
        assert_int_equal(reply.ticket.gen, t.gen);
        safe_close(fd);
        /* Removed: the slot is raised by the time the unlink is answered. */
        assert_int_equal(sec_unlink(d, &sec_id_creator, "oc-t"), 0);
        assert_true(page_slot(head, t.slot) > t.gen);
        /* A reload raises the epoch. */
        epoch = head->epoch;
        reg_reload(d, oc_policy);
        assert_true(__atomic_load_n(&head->epoch, __ATOMIC_ACQUIRE) > epoch);
        /* A span object's grant carries no ticket. */
        reg_create_text(d, &sec_id_creator, "ocs-t", 4096, "S");
        len = shmb_proto_encode_open_as(req, sizeof(req), SHMB_PROTO_OPEN_CACHED, 3, "ocs-t",
                                        SHMB_PROTO_ACCESS_RDWR);
        assert_int_equal(sec_raw_call(sock, req, (size_t) len, &reply, &fd), 0);
        assert_int_equal(reply.type, SHMB_PROTO_REPLY_FD_CACHED);
        assert_int_equal(reply.ticket.slot, SHMB_PROTO_CACHE_NONE);
        safe_close(fd);
        /* Refusals are the same as for OPEN. */
        len = shmb_proto_encode_open_as(req, sizeof(req), SHMB_PROTO_OPEN_CACHED, 4, "oc-none",
                                        SHMB_PROTO_ACCESS_RDWR);
        assert_true(len > 0);
        assert_int_equal(sec_raw_send(sock, req, (size_t) len, NULL, 0), 0);
        sec_expect_error(sock, 4, ENOENT);
        assert_int_equal(munmap((void *) head, SHMB_PROTO_CACHE_PAGE_SIZE), 0);
        safe_close(page);
        safe_close(sock);
        assert_int_equal(sec_unlink(d, &sec_id_creator, "ocs-t"), 0);
        sec_finish();
}

const struct CMUnitTest reg_tests_cache[] = {
        SEC_TEST(test_cache_repeat_is_local),
        SEC_TEST(test_cache_off),
        SEC_TEST(test_cache_unlink_recreate),
        SEC_TEST(test_cache_reload),
        SEC_TEST(test_cache_publish),
        SEC_TEST(test_cache_broker_gone),
        SEC_TEST(test_cache_broken_or_watching),
        SEC_TEST(test_cache_page_outsider),
        SEC_TEST(test_cache_not_reused),
        SEC_TEST(test_cache_page_sealed),
        SEC_TEST(test_cache_ticket),
};
const size_t reg_n_tests_cache = ELEMENTSOF(reg_tests_cache);
