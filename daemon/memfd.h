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

/*
 * The seals every memfd object carries once it has its size. Not F_SEAL_SEAL: publishing adds
 * F_SEAL_WRITE or F_SEAL_FUTURE_WRITE later. Seals are never removed, and only a writable fd
 * can add one, so a reader cannot change them; a writer can add the write seals itself (it
 * could as well stop writing).
 */
#define MEMFD_SEALS_REQUIRED (F_SEAL_SHRINK | F_SEAL_GROW)

/* A memfd of @size bytes, reserved (fallocate), mode 0600, sealed with MEMFD_SEALS_REQUIRED
 * and checked. */
int memfd_new_sealed(uint64_t size, int *ret_fd);

/* An empty memfd, mode 0600, not sealed yet: a fresh object's (RESIZE gives it its size). */
int memfd_new_unsized(int *ret_fd);

/* Gives the unsealed @fd @size bytes and seals it as memfd_new_sealed() does, frees any
 * memory past them (fallocate(FALLOC_FL_KEEP_SIZE) of the creator's), then reserves them.
 * -EBUSY: another holder of a writable fd changed its size meanwhile; it is sealed at
 * the size that holder left. */
int memfd_size_and_seal(int fd, uint64_t size);

/* 0 if @fd carries MEMFD_SEALS_REQUIRED, -EBADFD if not, -errno if it cannot be asked. */
int memfd_check_seals(int fd);
