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

/*
 * How many records that check out start anywhere in @map[@from, @size), found by their magic.
 * Only to tell a torn tail from damage, and to say how much was lost: what this finds is never
 * replayed (see replay() for why).
 */
static size_t count_intact(const unsigned char *map, size_t size, size_t from)
{
        const uint32_t magic = RECORD_MAGIC;
        size_t n = 0;

        while (from < size) {
                const unsigned char *p = memmem(map + from, size - from, &magic, sizeof(magic));
                struct record rec;
                int k;

                if (!p)
                        break;
                from = (size_t) (p - map);
                k = record_decode(p, size - from, &rec);
                if (k > 0)
                        n++;
                from += k > 0 ? (size_t) k : 1;
        }
        return n;
}

/*
 * The length of the damaged record at @off if it may be skipped, or -EBADMSG.
 *
 * Each record is framed by a magic, a payload length and a check of the payload (record.h),
 * and nothing else marks where records begin: a length is all that leads to the next record.
 * So a record is skipped only when its frame header is whole (the magic, and a length within
 * the record limit and the file) and the record that length leads to checks out, which says
 * that the length was right and the damage is in the check or the payload. A frame whose
 * header is itself damaged has no length to trust, and we do not look for the next magic byte
 * by byte: names, rule ids, user names and app ids are bytes that users choose, inside the
 * records, and a scan could land on a frame planted there and replay it as the daemon's own.
 * (A length damaged to point inside a later record does not lead to one either: a frame
 * planted in a string cannot carry a plausible length, whose high bytes are NUL, and strings
 * hold no NUL.) A record with a damaged header ends the replay, as a torn tail does.
 */
static int skippable(const unsigned char *map, size_t size, size_t off)
{
        struct record next;
        int n;

        n = record_frame(map + off, size - off);
        if (n < 0 || off + (size_t) n >= size)
                return -EBADMSG;
        if (record_decode(map + off + n, size - off - (size_t) n, &next) < 0)
                return -EBADMSG;
        return n;
}

static int replay(const unsigned char *map, size_t size,
                  int (*cb)(const struct record *r, void *ud), void *ud,
                  struct journal_replay_stats *st)
{
        size_t off = 0;
        int r = 0;

        while (off < size) {
                struct record rec;
                int n = record_decode(map + off, size - off, &rec);

                if (n < 0) {
                        n = skippable(map, size, off);
                        if (n < 0) {
                                st->bad_offset = (off_t) off;
                                st->bad_bytes = size - off;
                                st->bad_records = count_intact(map, size, off + 1);
                                /* A write cut short leaves part of one record and nothing
                                 * after it: anything that checks out after it is not that. */
                                st->bad_torn = st->bad_records == 0;
                                break;
                        }
                        if (st->skipped_records == 0)
                                st->skipped_offset = (off_t) off;
                        st->skipped_records++;
                        st->skipped_bytes += (size_t) n;
                        off += (size_t) n;
                        continue;
                }
                r = cb(&rec, ud);
                if (r < 0)
                        break;
                st->records++;
                if (st->skipped_records > 0)
                        st->kept_after++;
                off += (size_t) n;
        }
        return r < 0 ? r : 0;
}

/* Creates "<name>.new" in @dir_fd, its name in @tmp, for finish_new() to put in place. */
static int open_new(int dir_fd, const char *name, char tmp[static PATH_MAX])
{
        int fd;

        if (snprintf(tmp, PATH_MAX, "%s.new", name) >= PATH_MAX)
                return -ENAMETOOLONG;
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | JOURNAL_FILE_FLAGS,
                    JOURNAL_FILE_MODE);
        return fd < 0 ? -errno : fd;
}

/* Syncs @fd (borrowed) and renames @tmp over @name, unless @r (the writer's result) is an
 * error; on any error @tmp is removed and the old @name stays. */
static int finish_new(int dir_fd, int fd, const char *tmp, const char *name, int r)
{
        /* The objects die with the machine, but a state directory on a real disk should
         * still never see a half-written file renamed into place. */
        if (r >= 0 && fdatasync(fd) < 0)
                r = -errno;
        if (r >= 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

/* Keeps the damaged file's bytes, as found, for the administrator: what was skipped or cut
 * may be all there is left of an object's record. */
static int keep_copy(int dir_fd, const char *name, const void *map, size_t size)
{
        _cleanup_(closep) int fd = -1;
        char copy[PATH_MAX], tmp[PATH_MAX];

        if (snprintf(copy, sizeof(copy), "%s" JOURNAL_DAMAGED_SUFFIX, name) >= (int) sizeof(copy))
                return -ENAMETOOLONG;
        fd = open_new(dir_fd, copy, tmp);
        if (fd < 0)
                return fd;
        return finish_new(dir_fd, fd, tmp, copy, write_all(fd, map, size));
}

/* A torn tail alone is what SIGKILL leaves, and says nothing the replay did not: no copy. */
static bool worth_a_copy(const struct journal_replay_stats *st)
{
        return st->skipped_records > 0 || (st->bad_offset >= 0 && !st->bad_torn);
}

int journal_open(int dir_fd, const char *name, int (*cb)(const struct record *r, void *ud),
                 void *userdata, struct journal **ret, struct journal_replay_stats *ret_stats)
{
        struct journal_replay_stats st = { .bad_offset = -1, .skipped_offset = -1 };
        _cleanup_(closep) int fd = -1;
        const unsigned char *map = NULL;
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
        if (s.st_size > 0) {
                map = mmap(NULL, (size_t) s.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
                if (map == MAP_FAILED)
                        return -errno;
        }
        r = replay(map, (size_t) s.st_size, cb, userdata, &st);
        /* Before anything is cut, or compacted away later. */
        if (r >= 0 && worth_a_copy(&st)) {
                st.copy_error = keep_copy(dir_fd, name, map, (size_t) s.st_size);
                st.copied = st.copy_error >= 0;
        }
        if (map)
                (void) munmap((void *) map, (size_t) s.st_size);
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

        buf = malloc(REWRITE_CHUNK);
        if (!buf)
                return -ENOMEM;
        fd = open_new(j->dir_fd, j->name, tmp);
        if (fd < 0)
                return fd;
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
        r = finish_new(j->dir_fd, fd, tmp, j->name, r);
        if (r < 0)
                return r;
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
