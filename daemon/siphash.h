/* SPDX-License-Identifier: MIT */
/*
 * siphash.h - SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012):
 * a keyed hash whose output tells nothing about the key, for tables whose layout a client must
 * not be able to predict.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const void *data, size_t len, const uint8_t key[16]);
