/* SPDX-License-Identifier: MIT */
/*
 * fuzz-journal.c - the registry's journal as an attacker (or a torn write) could leave it:
 * any bytes as the file, then registry_open() (record decoding, replay of PUT/DEL/GEN, a
 * damaged record skipped, the cut of a bad end, the copy of a damaged file), a compaction and a
 * second open.
 *
 * Invariants: no crash, leak or undefined behaviour; every object that comes back has a name
 * that a client could have asked for, is unique, and is found by name and by serial; a
 * compaction keeps exactly the same objects; no fd is left open.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "log.h"
#include "registry.h"

static char dir[64];
static int dir_fd = -1;

static int count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int n = 0;

        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n - 1;
}

static void teardown(void)
{
        (void) unlinkat(dir_fd, REGISTRY_JOURNAL_NAME, 0);
        (void) unlinkat(dir_fd, REGISTRY_JOURNAL_NAME JOURNAL_DAMAGED_SUFFIX, 0);
        (void) rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        const char *tmp = getenv("TMPDIR");

        if (dir_fd >= 0)
                return 0;
        log_set_max_level(LOG_EMERG);
        snprintf(dir, sizeof(dir), "%s/shmb-fuzz-journal.XXXXXX", tmp && *tmp ? tmp : "/tmp");
        FUZZ_CHECK(mkdtemp(dir));
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        FUZZ_CHECK(dir_fd >= 0);
        atexit(teardown);
        return 0;
}

/* Checks the invariants of @reg; returns a hash of its objects (names and serials). */
static uint64_t check(struct registry *reg)
{
        uint64_t h = RECORD_HASH_INIT;
        const char *prev = NULL;
        struct object *o;
        size_t n = 0;

        for (o = registry_first(reg); o; o = registry_next(reg, o)) {
                char canon[SHMB_PROTO_NAME_MAX + 1];

                FUZZ_CHECK(shmb_name_normalize(o->name, strlen(o->name), canon) == 0);
                FUZZ_CHECK(strcmp(canon, o->name) == 0);
                FUZZ_CHECK(!prev || strcmp(prev, o->name) < 0);
                FUZZ_CHECK(registry_lookup(reg, o->name) == o);
                FUZZ_CHECK(registry_lookup_serial(reg, o->serial) == o);
                FUZZ_CHECK(o->serial > 0);
                FUZZ_CHECK(o->backend == POLICY_BACKEND_SHM ||
                           o->backend == POLICY_BACKEND_MEMFD);
                FUZZ_CHECK(!o->rule && o->fd < 0);
                h = record_hash(h, o->name, strlen(o->name) + 1);
                h = record_hash(h, &o->serial, sizeof(o->serial));
                prev = o->name;
                n++;
        }
        FUZZ_CHECK(n == registry_count(reg));
        return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct registry *reg;
        uint64_t h, gen;
        int fd, fds;

        LLVMFuzzerInitialize(NULL, NULL);
        fds = count_fds();
        fd = openat(dir_fd, REGISTRY_JOURNAL_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                    0600);
        FUZZ_CHECK(fd >= 0);
        FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t) size);
        close(fd);

        FUZZ_CHECK(registry_open(dir_fd, &reg, NULL) == 0);
        h = check(reg);
        gen = registry_generation(reg);
        FUZZ_CHECK(registry_compact(reg) == 0);
        registry_free(reg);

        /* What a compaction wrote reads back as the same objects. */
        FUZZ_CHECK(registry_open(dir_fd, &reg, NULL) == 0);
        FUZZ_CHECK(check(reg) == h);
        FUZZ_CHECK(registry_generation(reg) == gen);
        registry_free(reg);
        FUZZ_CHECK(fds < 0 || count_fds() == fds);
        return 0;
}
