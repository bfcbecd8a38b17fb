/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the fuzz targets and the replay main() share.
 *
 * Each tests/fuzz/fuzz-<target>.c defines LLVMFuzzerTestOneInput(). Linked with libFuzzer
 * (make fuzz) it is fuzzed; linked with fuzz-main.c (make check) it replays a corpus. A broken
 * invariant aborts in both, so the fuzzer records the input and the replay fails.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * Not assert(): the checks must hold in NDEBUG builds too. Straight to fd 2, since a target
 * may point the stdio stderr elsewhere to keep the daemon's log quiet.
 */
#define FUZZ_CHECK(expr)                                                                  \
        do {                                                                              \
                if (!(expr)) {                                                            \
                        dprintf(STDERR_FILENO, "%s:%d: %s: check failed: %s\n", __FILE__, \
                                __LINE__, __func__, #expr);                               \
                        abort();                                                          \
                }                                                                         \
        } while (0)
