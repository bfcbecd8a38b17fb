/* SPDX-License-Identifier: MIT */
/*
 * fuzz-main.c - replay a corpus through LLVMFuzzerTestOneInput() without libFuzzer.
 *
 * This is what "make check" runs: every regular file of the corpus directory (argv[1..], each
 * a directory or a file; default FUZZ_CORPUS_DIR) in strcmp() order, each read into a buffer
 * of exactly its size so that ASan sees any over-read. A crash or a failed check aborts the
 * whole binary, which the test harness reports as a failure. It does not fuzz: "make fuzz"
 * does, with clang and libFuzzer.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_CORPUS_DIR
#error "FUZZ_CORPUS_DIR must name the default corpus directory"
#endif

/* Optional in a target, as with libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static size_t n_passed, n_failed;

static int read_file(const char *path, uint8_t **ret, size_t *ret_size)
{
        struct stat st;
        uint8_t *buf;
        size_t done = 0;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || st.st_size < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        /* An empty input is valid: give it a real but zero-sized allocation. */
        buf = malloc(st.st_size > 0 ? (size_t) st.st_size : 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        while (done < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + done, (size_t) st.st_size - done);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        int r = n < 0 ? -errno : -EIO;

                        free(buf);
                        close(fd);
                        return r;
                }
                done += (size_t) n;
        }
        close(fd);
        *ret = buf;
        *ret_size = done;
        return 0;
}

static void run_file(const char *path)
{
        uint8_t *data = NULL;
        size_t size = 0;
        int r;

        r = read_file(path, &data, &size);
        if (r < 0) {
                fprintf(stderr, "Cannot read '%s': %s\n", path, strerror(-r));
                n_failed++;
                return;
        }
        /* The last line before a crash names the input that caused it. */
        printf("running %s (%zu bytes)\n", path, size);
        fflush(stdout);
        (void) LLVMFuzzerTestOneInput(data, size);
        free(data);
        n_passed++;
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_hidden(const struct dirent *de)
{
        return de->d_name[0] != '.';
}

static void run_dir(const char *dir)
{
        struct dirent **list;
        int n, i;

        n = scandir(dir, &list, not_hidden, cmp_names);
        if (n < 0) {
                fprintf(stderr, "Cannot read directory '%s': %m\n", dir);
                n_failed++;
                return;
        }
        for (i = 0; i < n; i++) {
                char *path;
                struct stat st;

                if (asprintf(&path, "%s/%s", dir, list[i]->d_name) < 0) {
                        n_failed++;
                        break;
                }
                if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
                        run_file(path);
                free(path);
        }
        for (i = 0; i < n; i++)
                free(list[i]);
        free(list);
}

int main(int argc, char *argv[])
{
        static const char *const default_args[] = { FUZZ_CORPUS_DIR };
        const char *const *args = (const char *const *) argv + 1;
        size_t n_args = argc > 1 ? (size_t) argc - 1 : 0, i;

        if (LLVMFuzzerInitialize)
                (void) LLVMFuzzerInitialize(&argc, &argv);
        if (n_args == 0) {
                args = default_args;
                n_args = 1;
        }
        for (i = 0; i < n_args; i++) {
                struct stat st;

                if (stat(args[i], &st) < 0) {
                        fprintf(stderr, "Cannot access '%s': %m\n", args[i]);
                        n_failed++;
                } else if (S_ISDIR(st.st_mode))
                        run_dir(args[i]);
                else
                        run_file(args[i]);
        }
        printf("%zu passed, %zu failed\n", n_passed, n_failed);
        return n_failed > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
