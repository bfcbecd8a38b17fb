/* SPDX-License-Identifier: MIT */
/*
 * memfd.c - make and check sealed memfds.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "memfd.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

int memfd_check_seals(int fd)
{
        int seals = fcntl(fd, F_GET_SEALS);

        if (seals < 0)
                return -errno;
        if ((seals & MEMFD_SEALS_REQUIRED) != MEMFD_SEALS_REQUIRED)
                return -EBADFD;
        return 0;
}

int memfd_new_unsized(int *ret_fd)
{
        _cleanup_(closep) int fd = -1;

        /* MFD_NOEXEC_SEAL where the kernel has it (6.3+); its meaning changed across kernels,
         * so the seals that matter are added and read back explicitly below. */
        fd = memfd_create("shmbroker", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
        if (fd < 0 && errno == EINVAL)
                fd = memfd_create("shmbroker", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;

        /* Owned by the daemon, 0600: a reader's /proc/self/fd reopen gets EACCES. */
        if (fchmod(fd, 0600) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int memfd_size_and_seal(int fd, uint64_t size)
{
        int r;

        if (ftruncate(fd, (off_t) size) < 0)
                return -errno;
        /* Reserve the pages now: running out of memory fails the create, not a later touch. */
        r = size > 0 ? posix_fallocate(fd, 0, (off_t) size) : 0;
        if (r != 0)
                return -r;
        if (fcntl(fd, F_ADD_SEALS, MEMFD_SEALS_REQUIRED) < 0)
                return -errno;
        return memfd_check_seals(fd);
}

int memfd_new_sealed(uint64_t size, int *ret_fd)
{
        _cleanup_(closep) int fd = -1;
        int r;

        r = memfd_new_unsized(&fd);
        if (r < 0)
                return r;
        r = memfd_size_and_seal(fd, size);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(fd);
        return 0;
}
