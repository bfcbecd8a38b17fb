/* SPDX-License-Identifier: MIT */
/*
 * bench-preload.c - shm_open(3) through libshmbroker-preload.so beside glibc's, for shmb-bench
 * (see bench-preload.h).
 *
 * The client process loads the shim with dlopen(RTLD_LOCAL) and calls its shm_open(),
 * ftruncate() and shm_unlink() through the handle; its own calls of those names stay glibc's.
 * That is the code LD_PRELOAD would run, minus nothing but the symbol lookup ld.so does once,
 * and it lets one process time both sides in alternating blocks, under the same conditions.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench-preload.h"

#define PRELOAD_BLOCK 100
#define PRELOAD_WARMUP 100
#define PRELOAD_SIZE 4096

struct fns {
        int (*shm_open)(const char *name, int oflag, mode_t mode);
        int (*shm_unlink)(const char *name);
        int (*ftruncate)(int fd, off_t length);
};

struct shared {
        size_t count[2];
        int error;
        int error_side;
        uint32_t samples[];     /* [2][cap] */
};

struct pair {
        const struct bench_preload_job *job;
        bool create;
        bool cached;                    /* the shim with $SHMBROKER_PRELOAD_CACHE */
        size_t cap;
        struct shared *sh;
};

static int open_once(const struct fns *f, const char *name)
{
        void *p;
        int fd;

        fd = f->shm_open(name, O_RDWR, 0);
        if (fd < 0)
                return -errno;
        p = mmap(NULL, PRELOAD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) {
                int r = -errno;

                close(fd);
                return r;
        }
        (void) munmap(p, PRELOAD_SIZE);
        close(fd);
        return 0;
}

static int create_once(const struct fns *f, const char *name)
{
        int fd, r = 0;

        fd = f->shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd < 0)
                return -errno;
        if (f->ftruncate(fd, PRELOAD_SIZE) < 0)
                r = -errno;
        close(fd);
        if (f->shm_unlink(name) < 0 && r == 0)
                r = -errno;
        return r;
}

static int pair_child(size_t idx, void *userdata, void (*wait_go)(void))
{
        struct pair *p = userdata;
        const struct bench_preload_job *job = p->job;
        struct fns side[2] = { { shm_open, shm_unlink, ftruncate } };
        const char *names[2];
        uint64_t deadline;
        void *h;
        size_t k, i;
        int r;

        if (job->cpu >= 0) {
                cpu_set_t set;

                CPU_ZERO(&set);
                CPU_SET(job->cpu, &set);
                (void) sched_setaffinity(0, sizeof(set), &set);
        }
        /* Before the shim's first call: it reads the environment then. */
        if (setenv("SHMBROKER_SOCKET", job->socket, 1) < 0)
                return 1;
        if (p->cached && setenv("SHMBROKER_PRELOAD_CACHE", "16", 1) < 0)
                return 1;
        h = dlopen(job->preload, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                fprintf(stderr, "shmb-bench: dlopen '%s': %s\n", job->preload, dlerror());
                p->sh->error = -ENOENT;
                return 1;
        }
        side[1].shm_open = (int (*)(const char *, int, mode_t)) dlsym(h, "shm_open");
        side[1].shm_unlink = (int (*)(const char *)) dlsym(h, "shm_unlink");
        side[1].ftruncate = (int (*)(int, off_t)) dlsym(h, "ftruncate");
        if (!side[1].shm_open || !side[1].shm_unlink || !side[1].ftruncate) {
                p->sh->error = -ENOENT;
                return 1;
        }
        names[0] = p->create ? job->direct_create : job->direct_name;
        names[1] = p->create ? job->broker_create : job->broker_name;

        wait_go();
        for (k = 0; k < 2; k++)
                for (i = 0; i < PRELOAD_WARMUP; i++) {
                        r = p->create ? create_once(&side[k], names[k])
                                      : open_once(&side[k], names[k]);
                        if (r < 0) {
                                p->sh->error = r;
                                p->sh->error_side = (int) k;
                                return 0;
                        }
                }
        deadline = tl_now_ns() + (uint64_t) (job->seconds * 1e9);
        while (tl_now_ns() < deadline && p->sh->count[0] < p->cap) {
                for (k = 0; k < 2; k++) {
                        uint32_t *out = p->sh->samples + k * p->cap;

                        for (i = 0; i < PRELOAD_BLOCK && p->sh->count[k] < p->cap; i++) {
                                uint64_t t0 = tl_now_ns(), dt;

                                r = p->create ? create_once(&side[k], names[k])
                                              : open_once(&side[k], names[k]);
                                dt = tl_now_ns() - t0;
                                if (r < 0) {
                                        p->sh->error = r;
                                        p->sh->error_side = (int) k;
                                        return 0;
                                }
                                out[p->sh->count[k]++] = dt > UINT32_MAX ? UINT32_MAX
                                                                        : (uint32_t) dt;
                        }
                }
        }
        return 0;
}

static int measure_pair(const struct bench_preload_job *job, bool create, bool cached,
                        struct bench_stats ret[2])
{
        struct pair p = { .job = job, .create = create, .cached = cached };
        struct bench_children ch;
        size_t size, k;
        int r;

        p.cap = (size_t) (job->seconds * 2e6) + PRELOAD_BLOCK;
        size = sizeof(struct shared) + 2 * p.cap * sizeof(uint32_t);
        p.sh = bench_shared_alloc(size);
        if (!p.sh)
                return -ENOMEM;
        r = bench_children_start(1, create ? job->create_uid : job->open_uid, 0, pair_child, &p,
                                 &ch);
        if (r < 0)
                goto out;
        r = bench_children_wait_ready(&ch, 10000);
        if (r < 0) {
                (void) bench_children_finish(&ch, 0);
                goto out;
        }
        bench_children_go(&ch);
        r = bench_children_finish(&ch, (unsigned) (job->seconds * 1000) + 30000);
        if (r == 0 && p.sh->error < 0) {
                fprintf(stderr, "shmb-bench: %s %s failed: %s\n",
                        p.sh->error_side ? "the shim's" : "glibc's",
                        create ? "create" : "open", strerror(-p.sh->error));
                r = p.sh->error;
        }
        if (r == 0)
                for (k = 0; k < 2; k++)
                        bench_stats_compute(p.sh->samples + k * p.cap, p.sh->count[k], &ret[k]);
out:
        bench_shared_free(p.sh, size);
        return r;
}

int bench_preload_measure(const struct bench_preload_job *job,
                          struct bench_stats ret[_BENCH_PRELOAD_MAX])
{
        int r;

        r = measure_pair(job, false, false, &ret[BENCH_PRELOAD_OPEN_DIRECT]);
        if (r < 0 || bench_interrupted)
                return r;
        r = measure_pair(job, true, false, &ret[BENCH_PRELOAD_CREATE_DIRECT]);
        if (r < 0 || bench_interrupted)
                return r;
        return measure_pair(job, false, true, &ret[BENCH_PRELOAD_CACHED_DIRECT]);
}
