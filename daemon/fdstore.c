/* SPDX-License-Identifier: MIT */
/*
 * fdstore.c - push memfd objects to the fd store, and take them back after a restart.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "fdstore.h"
#include "log.h"
#include "macro.h"

#define META_MAGIC "shmbroker-memfd 1\n"
#define META_MAX 512

static bool fdstore_active(void)
{
        return getenv("NOTIFY_SOCKET") != NULL;
}

/* A sealed memfd holding "shmbroker-memfd 1\nuid=U\nsize=S\nname=NAME\n". */
static int meta_new(const struct memfd_object *o, int *ret)
{
        _cleanup_(closep) int fd = -1;
        char buf[META_MAX];
        int n;

        n = snprintf(buf, sizeof(buf), META_MAGIC "uid=%u\nsize=%" PRIu64 "\nname=%s\n",
                     (unsigned) o->creator, o->size, o->name);
        if (n < 0 || (size_t) n >= sizeof(buf))
                return -ENAMETOOLONG;
        fd = memfd_create("shmbroker-meta", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return -errno;
        if (write(fd, buf, (size_t) n) != n)
                return errno > 0 ? -errno : -EIO;
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
                return -errno;
        *ret = TAKE_FD(fd);
        return 0;
}

static int push_one(int fd, const char *prefix, uint64_t serial)
{
        char state[64];

        (void) snprintf(state, sizeof(state), "FDSTORE=1\nFDNAME=%s%" PRIu64, prefix, serial);
        return sd_pid_notify_with_fds(0, false, state, &fd, 1);
}

void fdstore_push(const struct memfd_object *o)
{
        _cleanup_(closep) int meta = -1;
        int r;

        if (!fdstore_active())
                return;
        r = meta_new(o, &meta);
        if (r >= 0)
                r = push_one(meta, FDSTORE_META_PREFIX, o->serial);
        if (r >= 0)
                r = push_one(o->fd, FDSTORE_OBJ_PREFIX, o->serial);
        if (r < 0)
                log_warning_errno(r, "Cannot put memfd object '%s' in the fd store; it will not "
                                  "survive a restart: %m", o->name);
}

void fdstore_remove(const struct memfd_object *o)
{
        if (!fdstore_active())
                return;
        (void) sd_notifyf(false, "FDSTOREREMOVE=1\nFDNAME=" FDSTORE_OBJ_PREFIX "%" PRIu64,
                          o->serial);
        (void) sd_notifyf(false, "FDSTOREREMOVE=1\nFDNAME=" FDSTORE_META_PREFIX "%" PRIu64,
                          o->serial);
}

static void remove_name(const char *name)
{
        if (fdstore_active())
                (void) sd_notifyf(false, "FDSTOREREMOVE=1\nFDNAME=%s", name);
}

bool fdstore_is_ours(const char *fdname)
{
        return fdname && (strncmp(fdname, FDSTORE_OBJ_PREFIX, strlen(FDSTORE_OBJ_PREFIX)) == 0 ||
                          strncmp(fdname, FDSTORE_META_PREFIX,
                                  strlen(FDSTORE_META_PREFIX)) == 0);
}

/* "PREFIX<decimal>" -> the serial, or 0 when malformed. */
static uint64_t serial_of(const char *name, const char *prefix)
{
        const char *p = name + strlen(prefix);
        char *end;
        unsigned long long v;

        if (strncmp(name, prefix, strlen(prefix)) != 0 || *p < '1' || *p > '9')
                return 0;
        errno = 0;
        v = strtoull(p, &end, 10);
        return errno == 0 && *end == '\0' ? (uint64_t) v : 0;
}

struct meta {
        uid_t uid;
        uint64_t size;
        char name[SHMB_PROTO_NAME_MAX + 1];
};

static int meta_parse(int fd, struct meta *m)
{
        char buf[META_MAX + 1], *p, *nl, *end;
        unsigned long long v;
        ssize_t n;
        int r;

        n = pread(fd, buf, META_MAX, 0);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        if (strncmp(buf, META_MAGIC, strlen(META_MAGIC)) != 0)
                return -EBADMSG;
        p = buf + strlen(META_MAGIC);

        if (strncmp(p, "uid=", 4) != 0)
                return -EBADMSG;
        errno = 0;
        v = strtoull(p + 4, &end, 10);
        if (errno != 0 || *end != '\n' || v >= UINT32_MAX)
                return -EBADMSG;
        m->uid = (uid_t) v;
        p = end + 1;

        if (strncmp(p, "size=", 5) != 0)
                return -EBADMSG;
        errno = 0;
        v = strtoull(p + 5, &end, 10);
        if (errno != 0 || *end != '\n' || v == 0)
                return -EBADMSG;
        m->size = v;
        p = end + 1;

        if (strncmp(p, "name=", 5) != 0)
                return -EBADMSG;
        p += 5;
        nl = strchr(p, '\n');
        if (!nl || nl[1] != '\0')
                return -EBADMSG;
        /* The same check as for a client's name: what we adopt could have been tampered with
         * only by the service manager, but it costs nothing. */
        r = shmb_name_normalize(p, (size_t) (nl - p), m->name);
        return r < 0 ? -EBADMSG : 0;
}

static int obj_check(int fd, uint64_t size)
{
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || (uint64_t) st.st_size != size)
                return -EBADFD;
        r = memfd_check_seals(fd);
        return r;
}

int fdstore_adopt(struct broker *b, int *fds, char **names, size_t n)
{
        size_t i, j;
        int adopted = 0;

        for (i = 0; i < n; i++) {
                uint64_t serial = serial_of(names[i], FDSTORE_OBJ_PREFIX);
                struct memfd_object *o;
                struct meta m;
                int r = -ENOENT, meta_fd = -1;

                if (fds[i] < 0 || serial == 0)
                        continue;
                for (j = 0; j < n; j++)
                        if (fds[j] >= 0 && serial_of(names[j], FDSTORE_META_PREFIX) == serial) {
                                meta_fd = fds[j];
                                fds[j] = -1;
                                break;
                        }
                if (meta_fd >= 0)
                        r = meta_parse(meta_fd, &m);
                if (r >= 0)
                        r = obj_check(fds[i], m.size);
                if (r >= 0)
                        r = memfd_adopt(b->memfds, m.name, fds[i], m.size, m.uid, serial, &o);
                if (r >= 0) {
                        fds[i] = -1; /* the registry owns it now */
                        r = broker_charge(b, m.uid, m.size);
                        if (r < 0)
                                log_warning_errno(r, "Cannot account memfd object '%s', "
                                                  "ignoring: %m", m.name);
                        adopted++;
                        log_info("Re-adopted memfd object '%s' (%" PRIu64 " bytes) from the fd "
                                 "store.", m.name, m.size);
                } else {
                        log_warning_errno(r, "Stored fd '%s' does not check out, dropping it: %m",
                                          names[i]);
                        remove_name(names[i]);
                }
                if (meta_fd >= 0 && r < 0) {
                        char meta_name[64];

                        (void) snprintf(meta_name, sizeof(meta_name),
                                        FDSTORE_META_PREFIX "%" PRIu64, serial);
                        remove_name(meta_name);
                }
                safe_close(meta_fd);
                fds[i] = safe_close(fds[i]);
        }
        /* Whatever is left had no partner. */
        for (i = 0; i < n; i++)
                if (fds[i] >= 0) {
                        log_warning("Stored fd '%s' has no partner, dropping it.", names[i]);
                        remove_name(names[i]);
                        fds[i] = safe_close(fds[i]);
                }
        return adopted;
}
