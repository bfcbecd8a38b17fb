/* SPDX-License-Identifier: MIT */
/*
 * fdpass.c - sendmsg()/recvmsg() with SCM_RIGHTS, done carefully.
 *
 * The lessons are dbus's (CVE-2014-3635: count fds from cmsg_len; CVE-2020-12049: close what
 * did arrive on MSG_CTRUNC) and systemd's recvmsg_safe(): control data is parsed only after a
 * successful recvmsg(), and a truncated packet or control buffer is an error, never a partial
 * request.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "macro.h"
#include "protocol.h"

/*
 * A batch's fds mostly have consecutive numbers (each open takes the lowest free one), so each
 * run of them goes in one close_range(2) rather than a close() each. A run is only ever of
 * numbers that are all in @fds: close_range() closes every fd of its range.
 */
void fdpass_close_all(int *fds, size_t n)
{
        int sorted[SHMB_PROTO_FDS_MAX];
        size_t i, k = 0;

        for (i = 0; i < n; i++) {
                if (fds[i] >= 0 && k < ELEMENTSOF(sorted)) {
                        size_t j = k++;

                        /* Insertion sort: at most 16 of them. */
                        for (; j > 0 && sorted[j - 1] > fds[i]; j--)
                                sorted[j] = sorted[j - 1];
                        sorted[j] = fds[i];
                        fds[i] = -1;
                } else
                        fds[i] = safe_close(fds[i]);
        }
        for (i = 0; i < k;) {
                size_t end = i + 1;

                while (end < k && sorted[end] == sorted[end - 1] + 1)
                        end++;
                if (end - i == 1 ||
                    close_range((unsigned) sorted[i], (unsigned) sorted[end - 1], 0) < 0)
                        for (; i < end; i++)
                                (void) safe_close(sorted[i]);
                i = end;
        }
}

/*
 * Collects every SCM_RIGHTS fd of a received message. The control buffer holds at most
 * SHMB_PROTO_FDS_MAX fds (the kernel truncates past it, MSG_CTRUNC), so they all fit.
 */
static size_t collect_fds(struct msghdr *mh, int *fds)
{
        struct cmsghdr *c;
        size_t n = 0;

        for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
                size_t i, k;
                int *p;

                if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                        continue;
                k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                p = (int *) CMSG_DATA(c);
                for (i = 0; i < k && n < SHMB_PROTO_FDS_MAX; i++)
                        memcpy(&fds[n++], p + i, sizeof(int));
        }
        return n;
}

ssize_t fdpass_recv(int sock, void *buf, size_t size, int *fds, size_t *ret_n_fds)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * SHMB_PROTO_FDS_MAX)];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = size };
        struct msghdr mh = {
                .msg_iov = &iov,
                .msg_iovlen = 1,
                .msg_control = &control,
                .msg_controllen = sizeof(control),
        };
        ssize_t n;

        *ret_n_fds = 0;
        n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
        if (n < 0)
                return -errno; /* msg_controllen is not updated on error: parse nothing */

        *ret_n_fds = collect_fds(&mh, fds);
        if (mh.msg_flags & MSG_CTRUNC)
                return -ECHRNG;
        /* With MSG_TRUNC, recvmsg() returns the packet's real length. */
        if ((mh.msg_flags & MSG_TRUNC) || (size_t) n > size)
                return -EMSGSIZE;
        /* A zero-length SEQPACKET packet reads like EOF, and may still carry fds. */
        return n;
}

int fdpass_send(int sock, const void *buf, size_t len, const int *fds, size_t n_fds)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * SHMB_PROTO_FDS_MAX)];
        } control;
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (n_fds > SHMB_PROTO_FDS_MAX)
                return -EINVAL;
        if (n_fds > 0) {
                struct cmsghdr *c;

                memset(&control, 0, sizeof(control));
                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
        }
        if (sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                return -errno;
        return 0;
}
