/* SPDX-License-Identifier: MIT */
/*
 * memfd.h - sealed memfds: make them, check them.
 *
 * A memfd object is reachable only through the daemon. It is sealed against shrinking and
 * growing, so no writer can SIGBUS a reader, and owned by the daemon with mode 0600, so a
 * reader cannot reopen its read-only fd writable through /proc/self/fd.
 */
#pragma once

#include <fcntl.h>
#include <stdint.h>

/* The seals every memfd object carries. */
#define MEMFD_SEALS_REQUIRED (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/* A memfd of @size bytes, reserved (fallocate), mode 0600, sealed with MEMFD_SEALS_REQUIRED
 * and checked. */
int memfd_new_sealed(uint64_t size, int *ret_fd);

/* 0 if @fd carries MEMFD_SEALS_REQUIRED, -EBADFD if not, -errno if it cannot be asked. */
int memfd_check_seals(int fd);
