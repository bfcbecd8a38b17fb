/* SPDX-License-Identifier: MIT */
/*
 * test-client.c - libshmbroker against a lying broker: a fake server on a private socket
 * answers each request with a reply crafted to mislead, and the library must neither leak
 * what it was sent nor pass the lie on.
 *
 * Needs no root: the fake broker is a forked child of the test, the segments are memfds and
 * files in $TMPDIR.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "protocol.h"
#include "shmbroker.h"
#include "testlib.h"

/* What the fake broker answers to the one request it reads. */
enum lie {
        LIE_BATCH_EXTRA_RESULTS,        /* 16 results, each with an fd, for a batch of 2 */
        LIE_MEMFD_BIGGER,               /* a memfd of 4 KiB announced as 1 MiB */
        LIE_SHM_BIGGER,                 /* a tmpfs file of 4 KiB announced as 1 MiB */
        LIE_BATCH_SIZES,                /* a batch of 2: memfd overstated, file overstated */
};

struct fake {
        char dir[64];
        char path[96];
        pid_t pid;
};

static int segment(bool memfd)
{
        char path[] = "/tmp/shmb-test-client.XXXXXX";
        int fd;

        if (memfd) {
                fd = memfd_create("fake", MFD_CLOEXEC | MFD_ALLOW_SEALING);
                if (fd >= 0 && (ftruncate(fd, 4096) < 0 ||
                                fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0))
                        _exit(3);
                return fd;
        }
        fd = mkostemp(path, O_CLOEXEC);
        if (fd < 0 || unlink(path) < 0 || ftruncate(fd, 4096) < 0)
                _exit(3);
        return fd;
}

/* The child: accept one connection, read one request, tell the lie, wait for the hang-up. */
static _Noreturn void fake_broker(int listen_fd, enum lie lie)
{
        static uint8_t buf[SHMB_PROTO_MSG_MAX];
        struct shmb_proto_request req;
        struct shmb_proto_batch_result res[SHMB_PROTO_BATCH_MAX] = {};
        int fds[SHMB_PROTO_FDS_MAX], in_fds[SHMB_PROTO_FDS_MAX], c, n, i, k = 0;
        size_t n_in = 0;
        ssize_t len;

        c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
                _exit(2);
        len = tl_raw_recv(c, buf, sizeof(buf), in_fds, &n_in, 0);
        if (len <= 0 || shmb_proto_decode_request(buf, (size_t) len, n_in, &req) < 0)
                _exit(2);
        switch (lie) {
        case LIE_BATCH_EXTRA_RESULTS:
                for (i = 0; i < SHMB_PROTO_BATCH_MAX; i++) {
                        res[i] = (struct shmb_proto_batch_result) {
                                .access = SHMB_PROTO_ACCESS_RDWR,
                                .backend = SHMB_PROTO_BACKEND_MEMFD, .size = 4096,
                        };
                        fds[k++] = segment(true);
                }
                n = shmb_proto_encode_batch_reply(buf, sizeof(buf), req.seq, res,
                                                  SHMB_PROTO_BATCH_MAX);
                break;
        case LIE_BATCH_SIZES:
                res[0] = (struct shmb_proto_batch_result) {
                        .access = SHMB_PROTO_ACCESS_RDWR, .backend = SHMB_PROTO_BACKEND_MEMFD,
                        .size = 1u << 20,
                };
                res[1] = (struct shmb_proto_batch_result) {
                        .access = SHMB_PROTO_ACCESS_RDWR, .backend = SHMB_PROTO_BACKEND_SHM,
                        .size = 1u << 20,
                };
                fds[k++] = segment(true);
                fds[k++] = segment(false);
                n = shmb_proto_encode_batch_reply(buf, sizeof(buf), req.seq, res, 2);
                break;
        default: {
                struct shmb_proto_fd_reply fr = {
                        .size = 1u << 20, .access = SHMB_PROTO_ACCESS_RDWR,
                        .backend = lie == LIE_MEMFD_BIGGER ? SHMB_PROTO_BACKEND_MEMFD
                                                           : SHMB_PROTO_BACKEND_SHM,
                };

                fds[k++] = segment(lie == LIE_MEMFD_BIGGER);
                n = shmb_proto_encode_fd_reply(buf, sizeof(buf), req.seq, &fr);
                break;
        }
        }
        if (n < 0 || tl_raw_send(c, buf, (size_t) n, fds, (size_t) k, 0) < 0)
                _exit(2);
        /* Until the client hangs up. */
        while (tl_raw_recv(c, buf, sizeof(buf), in_fds, &n_in, 0) > 0)
                ;
        _exit(0);
}

static void fake_start(struct fake *f, enum lie lie)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        snprintf(f->dir, sizeof(f->dir), "/tmp/shmb-test-client.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof(f->path), "%s/socket", f->dir);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
        fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        assert_true(fd >= 0);
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        assert_int_equal(listen(fd, 1), 0);
        f->pid = fork();
        assert_true(f->pid >= 0);
        if (f->pid == 0)
                fake_broker(fd, lie);
        close(fd);
}

static void fake_stop(struct fake *f)
{
        int status;

        assert_int_equal(waitpid(f->pid, &status, 0), f->pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        (void) unlink(f->path);
        (void) rmdir(f->dir);
}

static void test_batch_extra_results(void **state)
{
        struct shmb_open_req reqs[2] = {
                { .name = "a", .access = SHMB_ACCESS_RDWR },
                { .name = "b", .access = SHMB_ACCESS_RDWR },
        };
        struct shmb_client *c = NULL;
        struct fake f;
        int before = tl_proc_fd_count(getpid());

        fake_start(&f, LIE_BATCH_EXTRA_RESULTS);
        assert_int_equal(shmb_connect(f.path, &c), 0);
        assert_int_equal(shmb_open_batch(c, reqs, 2), -EPROTO);
        /* The connection is unusable now, and every fd the reply brought is closed. */
        assert_int_equal(shmb_open(c, "a", SHMB_ACCESS_RDWR, &(int) { -1 }, NULL), -ENOTCONN);
        shmb_client_free(c);
        fake_stop(&f);
        assert_int_equal(tl_proc_fd_count(getpid()), before);
}

static void test_memfd_size_overstated(void **state)
{
        struct shmb_client *c = NULL;
        struct shmb_fd_info info = {};
        struct fake f;
        int before = tl_proc_fd_count(getpid()), fd = -1;

        fake_start(&f, LIE_MEMFD_BIGGER);
        assert_int_equal(shmb_connect(f.path, &c), 0);
        assert_int_equal(shmb_open(c, "a", SHMB_ACCESS_RDWR, &fd, &info), -EPROTO);
        assert_int_equal(fd, -1);
        shmb_client_free(c);
        fake_stop(&f);
        assert_int_equal(tl_proc_fd_count(getpid()), before);
}

static void test_shm_size_from_fstat(void **state)
{
        struct shmb_client *c = NULL;
        struct shmb_fd_info info = {};
        struct fake f;
        int fd = -1;

        fake_start(&f, LIE_SHM_BIGGER);
        assert_int_equal(shmb_connect(f.path, &c), 0);
        assert_int_equal(shmb_open(c, "a", SHMB_ACCESS_RDWR, &fd, &info), 0);
        /* A tmpfs file may change size, so a mismatch is no lie; what a caller maps is what
         * the kernel says, never the 1 MiB announced. */
        assert_int_equal(info.size, 4096);
        close(fd);
        shmb_client_free(c);
        fake_stop(&f);
}

static void test_batch_sizes(void **state)
{
        struct shmb_open_req reqs[2] = {
                { .name = "a", .access = SHMB_ACCESS_RDWR },
                { .name = "b", .access = SHMB_ACCESS_RDWR },
        };
        struct shmb_client *c = NULL;
        struct fake f;
        int before = tl_proc_fd_count(getpid());

        fake_start(&f, LIE_BATCH_SIZES);
        assert_int_equal(shmb_connect(f.path, &c), 0);
        assert_int_equal(shmb_open_batch(c, reqs, 2), 1);
        assert_int_equal(reqs[0].error, -EPROTO);
        assert_int_equal(reqs[0].fd, -1);
        assert_int_equal(reqs[1].error, 0);
        assert_int_equal(reqs[1].info.size, 4096);
        close(reqs[1].fd);
        shmb_client_free(c);
        fake_stop(&f);
        assert_int_equal(tl_proc_fd_count(getpid()), before);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_batch_extra_results),
                cmocka_unit_test(test_memfd_size_overstated),
                cmocka_unit_test(test_shm_size_from_fstat),
                cmocka_unit_test(test_batch_sizes),
        };

        (void) signal(SIGPIPE, SIG_IGN);
        return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
