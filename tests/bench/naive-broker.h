/* SPDX-License-Identifier: MIT */
/*
 * naive-broker.h - the wire format of the naive broker (tests/bench/naive-broker.c), the
 * baseline shmb-bench measures shmbrokerd against: a SOCK_SEQPACKET server that calls
 * shm_open(3) for whoever asks and sends the fd back, with no policy, no ACLs, no audit and no
 * registry.
 *
 * Request: one packet, NAIVE_REQ_RDONLY or NAIVE_REQ_RDWR, then the name as shm_open(3) takes
 *          it (no NUL), at most NAIVE_NAME_MAX bytes.
 * Reply:   one packet, an int32_t: 0 with the fd attached (SCM_RIGHTS), or a positive errno
 *          value without one.
 */
#pragma once

#define NAIVE_REQ_RDONLY 'r'
#define NAIVE_REQ_RDWR 'w'
#define NAIVE_NAME_MAX 255

/*
 * The client side, in bench-util.c: one round trip on a connected SOCK_SEQPACKET socket.
 * @flags: O_RDONLY or O_RDWR. Returns the fd (O_CLOEXEC) or -errno.
 */
int naive_open(int sock, const char *name, int flags);
