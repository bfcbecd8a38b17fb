/* SPDX-License-Identifier: MIT */
/*
 * policy-store.c - keep and take back the last good policy (see policy-store.h).
 *
 * The memfd holds "shmbroker-policy 1 N\n", then N times "PATHLEN SIZE\n", the path and the
 * text; it is sealed against every change.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdstore.h"
#include "log.h"
#include "macro.h"
#include "policy-store.h"

#define STORE_MAGIC "shmbroker-policy 1"
#define STORE_SIZE_MAX (64u << 20)

static int write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return n < 0 ? -errno : -EIO;
                p += n;
                len -= (size_t) n;
        }
        return 0;
}

static int serialize(const struct policy *p, int *ret_fd)
{
        _cleanup_(closep) int fd = -1;
        char line[64];
        size_t i;
        int r;

        fd = memfd_create("shmbroker-policy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        (void) snprintf(line, sizeof(line), STORE_MAGIC " %zu\n", p->n_sources);
        r = write_all(fd, line, strlen(line));
        for (i = 0; r >= 0 && i < p->n_sources; i++) {
                const struct policy_source *src = &p->sources[i];

                (void) snprintf(line, sizeof(line), "%zu %zu\n", strlen(src->path), src->size);
                r = write_all(fd, line, strlen(line));
                if (r >= 0)
                        r = write_all(fd, src->path, strlen(src->path));
                if (r >= 0)
                        r = write_all(fd, src->text, src->size);
        }
        if (r < 0)
                return r;
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int policy_store_save(struct policy_store *s, const struct policy *p, uint64_t generation)
{
        _cleanup_(closep) int fd = -1;
        char name[64];
        int r;

        if (!fdstore_active())
                return -EOPNOTSUPP;
        r = serialize(p, &fd);
        if (r < 0)
                return r;
        (void) snprintf(name, sizeof(name), FDSTORE_POLICY_PREFIX "%" PRIu64, generation);
        r = fdstore_push(fd, name);
        if (r < 0)
                return r;
        /* The new one first, then the old one goes: a crash in between leaves two, and the
         * next start takes the newer. */
        if (s->current[0] && strcmp(s->current, name) != 0)
                fdstore_remove(s->current);
        (void) snprintf(s->current, sizeof(s->current), "%s", name);
        return 0;
}

/* Reads a decimal up to @end (exclusive) from *p, which moves past the separator. */
static int read_number(const char **p, const char *end, char sep, size_t *ret)
{
        char *e;
        unsigned long long v;

        if (*p >= end || **p < '0' || **p > '9')
                return -EBADMSG;
        errno = 0;
        v = strtoull(*p, &e, 10);
        if (errno != 0 || e >= end || *e != sep || v > STORE_SIZE_MAX)
                return -EBADMSG;
        *ret = (size_t) v;
        *p = e + 1;
        return 0;
}

/* Parses a stored policy from @fd (borrowed). */
static int parse(int fd, struct policy **ret)
{
        struct policy_source *src = NULL;
        struct policy_diags diags = {};
        const char *map, *p, *end;
        size_t n = 0, i;
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > (off_t) STORE_SIZE_MAX)
                return -EBADMSG;
        map = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED)
                return -errno;
        p = map;
        end = map + st.st_size;
        r = -EBADMSG;
        if ((size_t) (end - p) <= strlen(STORE_MAGIC " ") ||
            memcmp(p, STORE_MAGIC " ", strlen(STORE_MAGIC " ")) != 0)
                goto out;
        p += strlen(STORE_MAGIC " ");
        r = read_number(&p, end, '\n', &n);
        if (r < 0 || n > 100000)
                goto out;
        src = calloc(n ? n : 1, sizeof(*src));
        r = -ENOMEM;
        if (!src)
                goto out;
        for (i = 0; i < n; i++) {
                size_t path_len, size;

                r = read_number(&p, end, ' ', &path_len);
                if (r >= 0)
                        r = read_number(&p, end, '\n', &size);
                if (r >= 0 && (path_len == 0 || path_len > (size_t) (end - p) ||
                               size > (size_t) (end - p) - path_len))
                        r = -EBADMSG;
                if (r < 0)
                        goto out;
                src[i].path = strndup(p, path_len);
                if (!src[i].path) {
                        r = -ENOMEM;
                        goto out;
                }
                src[i].text = p + path_len;
                src[i].size = size;
                p += path_len + size;
        }
        r = p == end ? policy_load_sources(src, n, &diags, ret) : -EBADMSG;
out:
        for (i = 0; src && i < n; i++)
                free((char *) src[i].path);
        free(src);
        policy_diags_clear(&diags);
        (void) munmap((void *) map, (size_t) st.st_size);
        return r;
}

static uint64_t generation_of(const char *name)
{
        const char *p = name + strlen(FDSTORE_POLICY_PREFIX);
        unsigned long long v;
        char *e;

        errno = 0;
        v = strtoull(p, &e, 10);
        return errno == 0 && *e == '\0' && e != p ? (uint64_t) v : 0;
}

/* The newest of @fds (whose generation is largest), or SIZE_MAX. */
static size_t newest(const struct passed_fd *fds, size_t n)
{
        size_t i, best = SIZE_MAX;

        for (i = 0; i < n; i++)
                if (fds[i].fd >= 0 && generation_of(fds[i].name) > 0 &&
                    (best == SIZE_MAX ||
                     generation_of(fds[i].name) > generation_of(fds[best].name)))
                        best = i;
        return best;
}

/* Keeps @keep (an index, or SIZE_MAX for none) as the current one; drops the others from the
 * store; closes them all. */
static void settle(struct policy_store *s, struct passed_fd *fds, size_t n, size_t keep)
{
        size_t i;

        for (i = 0; i < n; i++) {
                if (i == keep)
                        (void) snprintf(s->current, sizeof(s->current), "%s", fds[i].name);
                else
                        fdstore_remove(fds[i].name);
                fds[i].fd = safe_close(fds[i].fd);
        }
}

void policy_store_forget(struct policy_store *s, struct passed_fd *fds, size_t n)
{
        settle(s, fds, n, newest(fds, n));
}

int policy_store_take(struct policy_store *s, struct passed_fd *fds, size_t n,
                      struct policy **ret, uint64_t *ret_generation)
{
        struct policy *p = NULL;
        size_t best = newest(fds, n);
        uint64_t generation = best != SIZE_MAX ? generation_of(fds[best].name) : 0;
        int r = -ENOENT;

        if (best != SIZE_MAX) {
                r = parse(fds[best].fd, &p);
                if (r < 0)
                        log_warning_errno(r, "fd store: the kept policy '%s' does not parse, "
                                          "dropping it: %m", fds[best].name);
        }
        settle(s, fds, n, r >= 0 ? best : SIZE_MAX);
        if (r < 0)
                return r;
        *ret = p;
        *ret_generation = generation;
        return 0;
}
