/* SPDX-License-Identifier: MIT */
/*
 * priority.h - the daemon's nice level, set once at start (--nice).
 *
 * Every client's open, create and unlink waits for the daemon's one serving thread. When the
 * clients keep the CPUs busy, a daemon at their nice level is one task among theirs: measured
 * with 16 and 64 clients on two CPUs, it spent about as long runnable but not running as
 * running, while a sixth of the machine sat idle (BENCHMARKS.md). At nice -10 it waits less,
 * and serves more. Servers that many processes wait on do the same: PipeWire's module-rt and
 * PulseAudio raise their main thread to nice -11 by default.
 *
 * Linux keeps a nice level per thread, and a thread starts at its creator's: the level is set
 * before the daemon starts any thread, so its workers run at it too.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>

#define PRIORITY_NICE_DEFAULT (-10)
/* --nice keep: the level the daemon was started at, whatever it is. */
#define PRIORITY_KEEP INT_MIN

/* "keep", or a nice level from -20 to 19, into *ret. Return: 0, or -EINVAL. */
int priority_parse(const char *s, int *ret);

/*
 * priority_apply() - set the calling thread's nice level to @nice (or leave it: PRIORITY_KEEP).
 * @explicit: @nice was asked for (--nice); the default applies only to a daemon started at
 *            nice 0, so that a level chosen by whoever started it (nice(1), a unit's Nice=)
 *            stays.
 *
 * Raising the priority needs CAP_SYS_NICE (or RLIMIT_NICE): without it the daemon logs why and
 * runs at the level it has. Never fails.
 */
void priority_apply(int nice, bool explicit);
