/* SPDX-License-Identifier: MIT */
/*
 * memfd.c - make and check sealed memfds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
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

/*
 * Frees whatever memory @fd (borrowed, sealed against growing at @size) holds past @size.
 * While it was unsealed, its creator could allocate pages past the end with
 * fallocate(FALLOC_FL_KEEP_SIZE); growing the file to @size keeps them, and the daemon would
 * hold them, charged @size, for the object's whole life. Punching a hole keeps every byte
 * within the size and is no growth: the seals allow it (F_SEAL_WRITE would not, and the daemon
 * has not added it), and F_SEAL_GROW stops anyone allocating past the end again (tmpfs refuses
 * fallocate() beyond i_size then), so once this is done nothing lies there.
 */
static int drop_past_end(int fd, uint64_t size)
{
        if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t) size,
                      (off_t) ((uint64_t) INT64_MAX - size)) < 0)
                return -errno;
        return 0;
}

/*
 * An unsized object's creator holds a writable fd of it, and may ftruncate() it while the
 * daemon sizes it: so the size is fixed by the seals, growth first, before it is checked, and
 * before any memory is reserved. A creator that changes it in between gets -EBUSY, and an
 * object sealed at the size it left (which its next publish takes).
 */
int memfd_size_and_seal(int fd, uint64_t size)
{
        struct stat st;
        int r;

        if (ftruncate(fd, (off_t) size) < 0)
                return -errno;
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) < 0)
                return -errno;
        /* Grown before the seal: cut back (it cannot grow again). The creator may shrink it
         * meanwhile, and the cut back is then a growth the seal refuses: the check below
         * sees what is left. */
        if (fstat(fd, &st) < 0)
                return -errno;
        if ((uint64_t) st.st_size > size)
                (void) !ftruncate(fd, (off_t) size);
        if (fcntl(fd, F_ADD_SEALS, MEMFD_SEALS_REQUIRED) < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if ((uint64_t) st.st_size != size)
                return -EBUSY;
        r = drop_past_end(fd, size);
        if (r < 0)
                return r;
        /* Reserve the pages now: running out of memory fails the create, not a later touch. */
        r = size > 0 ? posix_fallocate(fd, 0, (off_t) size) : 0;
        if (r != 0)
                return -r;
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
