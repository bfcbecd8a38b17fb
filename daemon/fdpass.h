/* SPDX-License-Identifier: MIT */
/*
 * fdpass.h - one SEQPACKET packet in or out, with SCM_RIGHTS fds.
 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/*
 * fdpass_recv() - receive one packet without blocking.
 * @fds: room for SHMB_PROTO_FDS_MAX fds: whatever fds arrived, owned by the caller in every
 *       case, *ret_n_fds of them. The caller disposes of them (closer.c): closing the last
 *       reference to a file can block, so it is not done here.
 *
 * Every fd is received O_CLOEXEC. The fd count is taken from cmsg_len, never from the buffer
 * size. Control data is parsed only when recvmsg() succeeded.
 *
 * Return: the packet's length (0: the peer hung up, or sent an empty packet), or -errno:
 * -EAGAIN, -EMSGSIZE (the packet was larger than @size), -ECHRNG (more fds than fit,
 * MSG_CTRUNC), -ECONNRESET...
 */
ssize_t fdpass_recv(int sock, void *buf, size_t size, int *fds, size_t *ret_n_fds);

/*
 * fdpass_send() - send one packet without blocking and without SIGPIPE.
 * @fds: borrowed; the caller still owns them after the call.
 *
 * Return: 0, or -errno (-EAGAIN when the socket is full: try again later).
 */
int fdpass_send(int sock, const void *buf, size_t len, const int *fds, size_t n_fds);

/* Closes the n fds of an array (each set to -1); consecutive numbers in one system call. */
void fdpass_close_all(int *fds, size_t n);
