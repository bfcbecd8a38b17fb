/* SPDX-License-Identifier: MIT */
/*
 * journal.c - the registry's append-only file (see journal.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"
#include "macro.h"

struct journal {
        int dir_fd;             /* borrowed */
        int fd;                 /* owned, O_WRONLY|O_APPEND */
        char *name;
        off_t size;
        size_t records;
        size_t appended;
        bool damaged;           /* a failed append could not be taken back: rewrite first */
};

#define JOURNAL_FILE_MODE 0600
#define JOURNAL_FILE_FLAGS (O_CLOEXEC | O_NOFOLLOW | O_NOCTTY)

static int write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EIO;
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

static int replay(int fd, off_t size, int (*cb)(const struct record *r, void *ud), void *ud,
                  struct journal_replay_stats *st)
{
        const unsigned char *map;
        size_t off = 0;
        int r = 0;

        if (size == 0)
                return 0;
        map = mmap(NULL, (size_t) size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED)
                return -errno;
        while (off < (size_t) size) {
                struct record rec;
                int n = record_decode(map + off, (size_t) size - off, &rec);

                if (n < 0) {
                        st->bad_offset = (off_t) off;
                        st->bad_bytes = (size_t) size - off;
                        break;
                }
                r = cb(&rec, ud);
                if (r < 0)
                        break;
                st->records++;
                off += (size_t) n;
        }
        (void) munmap((void *) map, (size_t) size);
        return r < 0 ? r : 0;
}

int journal_open(int dir_fd, const char *name, int (*cb)(const struct record *r, void *ud),
                 void *userdata, struct journal **ret, struct journal_replay_stats *ret_stats)
{
        struct journal_replay_stats st = { .bad_offset = -1 };
        _cleanup_(closep) int fd = -1;
        struct journal *j;
        struct stat s;
        int r;

        fd = openat(dir_fd, name, O_RDWR | O_CREAT | O_APPEND | JOURNAL_FILE_FLAGS,
                    JOURNAL_FILE_MODE);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &s) < 0)
                return -errno;
        if (!S_ISREG(s.st_mode))
                return -EBADFD;
        r = replay(fd, s.st_size, cb, userdata, &st);
        if (r < 0)
                return r;
        if (st.bad_offset >= 0 && ftruncate(fd, st.bad_offset) < 0)
                return -errno;

        j = calloc(1, sizeof(*j));
        if (!j)
                return -ENOMEM;
        j->name = strdup(name);
        if (!j->name) {
                free(j);
                return -ENOMEM;
        }
        j->dir_fd = dir_fd;
        j->fd = TAKE_FD(fd);
        j->size = st.bad_offset >= 0 ? st.bad_offset : s.st_size;
        j->records = st.records;
        *ret = j;
        if (ret_stats)
                *ret_stats = st;
        return 0;
}

struct journal *journal_close(struct journal *j)
{
        if (!j)
                return NULL;
        safe_close(j->fd);
        free(j->name);
        free(j);
        return NULL;
}

int journal_append(struct journal *j, const struct record *r)
{
        unsigned char buf[RECORD_MAX];
        int n, k;

        if (j->damaged)
                return -EIO;
        n = record_encode(r, buf, sizeof(buf));
        if (n < 0)
                return n;
        k = write_all(j->fd, buf, (size_t) n);
        if (k < 0) {
                /* A record cut short would end the next replay, and every record after it
                 * with it: take it back, or refuse appends until a rewrite. */
                if (ftruncate(j->fd, j->size) < 0)
                        j->damaged = true;
                return k;
        }
        j->size += n;
        j->records++;
        j->appended++;
        return 0;
}

/* Records are gathered into chunks of this size: one write() per chunk. */
#define REWRITE_CHUNK (256u * 1024u)

int journal_rewrite(struct journal *j, int (*next)(void *ud, struct record *r), void *userdata)
{
        _cleanup_(freep) unsigned char *buf = NULL;
        _cleanup_(closep) int fd = -1;
        char tmp[PATH_MAX];
        size_t len = 0, records = 0;
        off_t size = 0;
        int r;

        if (snprintf(tmp, sizeof(tmp), "%s.new", j->name) >= (int) sizeof(tmp))
                return -ENAMETOOLONG;
        buf = malloc(REWRITE_CHUNK);
        if (!buf)
                return -ENOMEM;
        fd = openat(j->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | JOURNAL_FILE_FLAGS,
                    JOURNAL_FILE_MODE);
        if (fd < 0)
                return -errno;
        for (;;) {
                struct record rec;
                int n;

                r = next(userdata, &rec);
                if (r <= 0)
                        break;
                if (REWRITE_CHUNK - len < RECORD_MAX) {
                        r = write_all(fd, buf, len);
                        if (r < 0)
                                break;
                        size += (off_t) len;
                        len = 0;
                }
                n = record_encode(&rec, buf + len, REWRITE_CHUNK - len);
                if (n < 0) {
                        r = n;
                        break;
                }
                len += (size_t) n;
                records++;
        }
        if (r >= 0)
                r = write_all(fd, buf, len);
        /* The objects die with the machine, but a state directory on a real disk should
         * still never see a half-written file renamed into place. */
        if (r >= 0 && fdatasync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(j->dir_fd, tmp, j->dir_fd, j->name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(j->dir_fd, tmp, 0);
                return r;
        }
        size += (off_t) len;

        /* The new file is in place; appends go there from now on. */
        safe_close(j->fd);
        j->fd = TAKE_FD(fd);
        j->size = size;
        j->records = records;
        j->appended = 0;
        j->damaged = false;
        return 0;
}

bool journal_damaged(const struct journal *j)
{
        return j->damaged;
}

size_t journal_appended(const struct journal *j)
{
        return j->appended;
}

size_t journal_records(const struct journal *j)
{
        return j->records;
}
