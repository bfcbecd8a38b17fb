/* SPDX-License-Identifier: MIT */
/*
 * pkg-client.c - a client built by "make check-systemd" against the libshmbroker-dev package
 * alone (its header, .so link and pkg-config file), then run in the container against the
 * installed libshmbroker1: proof that the packages are enough to build and run a program.
 *
 *   pkg-client create NAME SIZE TEXT   create NAME read-write, map it, copy TEXT to its start
 *   pkg-client read NAME LENGTH        open NAME read-only, map it, print LENGTH bytes; with
 *                                      the open cache on, and opened twice (the second from the
 *                                      cache: the daemon's generation page works under the unit)
 *
 * Exit 0 on success; on failure one line "pkg-client: NAME: strerror" and exit 1.
 */
#include <shmbroker.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fail(const char *name, int r)
{
        fprintf(stderr, "pkg-client: %s: %s\n", name, strerror(-r));
        return 1;
}

int main(int argc, char *argv[])
{
        struct shmb_client *c = NULL;
        void *p;
        size_t len, n;
        int fd, r, create;

        if (argc < 4 || (strcmp(argv[1], "create") != 0 && strcmp(argv[1], "read") != 0)) {
                fprintf(stderr, "usage: pkg-client create NAME SIZE TEXT | read NAME LENGTH\n");
                return 2;
        }
        create = strcmp(argv[1], "create") == 0;
        if (create && argc != 5)
                return 2;
        r = shmb_connect(NULL, &c);
        if (r < 0)
                return fail(shmb_socket_path(NULL), r);
        if (create)
                r = shmb_create(c, argv[2], strtoull(argv[3], NULL, 10), SHMB_ACCESS_RDWR, &fd,
                                NULL);
        else {
#ifdef SHMB_HAVE_OPEN_CACHE
                r = shmb_client_set_open_cache(c, 4);
                if (r < 0) {
                        shmb_client_free(c);
                        return fail("open cache", r);
                }
                r = shmb_open(c, argv[2], SHMB_ACCESS_RDONLY, &fd, NULL);
                if (r >= 0)
                        close(fd);
                if (r >= 0)
#endif
                        r = shmb_open(c, argv[2], SHMB_ACCESS_RDONLY, &fd, NULL);
        }
        c = shmb_client_free(c);
        if (r < 0)
                return fail(argv[2], r);
        r = shmb_map(fd, create ? SHMB_ACCESS_RDWR : SHMB_ACCESS_RDONLY, &p, &len);
        close(fd);
        if (r < 0)
                return fail(argv[2], r);
        if (create) {
                n = strlen(argv[4]);
                memcpy(p, argv[4], n < len ? n : len);
        } else {
                n = strtoull(argv[3], NULL, 10);
                fwrite(p, 1, n < len ? n : len, stdout);
        }
        munmap(p, len);
        return 0;
}
