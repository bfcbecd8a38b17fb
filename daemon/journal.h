/* SPDX-License-Identifier: MIT */
/*
 * journal.h - the registry's file: records appended one write() each, replayed at start,
 * rewritten whole (compacted) now and then.
 *
 * The file lives in the daemon's state directory, which only the daemon can write (mode 0700,
 * checked at start): nothing a client can write is ever read back as provenance. A create costs
 * one append whatever the number of objects; a compaction writes the live records to a new
 * file and renames it over the old one, so a crash at any point leaves one whole file.
 *
 * Not here: what the records mean (registry.c), their encoding (record.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "record.h"

struct journal;

/* Where journal_open() keeps a damaged file as it found it: "<name>" JOURNAL_DAMAGED_SUFFIX. */
#define JOURNAL_DAMAGED_SUFFIX ".damaged"

/* What replaying found, for the start-up log. */
struct journal_replay_stats {
        size_t records;         /* good records read */
        off_t bad_offset;       /* where an unreadable end began (truncated there), or -1 */
        size_t bad_bytes;       /* how many bytes were cut */
        bool bad_torn;          /* ...and they were a torn tail: nothing after bad_offset
                                 * checks out */
        size_t bad_records;     /* records that check out somewhere in the cut bytes */
        off_t skipped_offset;   /* the first damaged record skipped in the middle, or -1 */
        size_t skipped_records; /* damaged records skipped */
        size_t skipped_bytes;
        size_t kept_after;      /* good records read after the first one skipped */
        bool copied;            /* the file as found is in <name>.damaged */
        int copy_error;         /* or why that copy could not be made, as -errno */
};

/*
 * journal_open() - open (or create, mode 0600) @name in @dir_fd and replay it.
 * @dir_fd: borrowed; must stay open while the journal is used (compaction writes there).
 * @cb: called with every good record, in file order; a negative return stops the replay and
 *      is returned.
 *
 * A record that does not check out but whose frame header is whole, followed right after it
 * by one that does, is damage in the middle (a storage fault): it is skipped and the replay
 * goes on. Any other record that does not check out ends the replay: it and everything after
 * it is cut from the file (a write interrupted by SIGKILL leaves exactly that). Unless all that
 * was skipped or cut was one torn tail, the file as found is first kept in
 * "<name>" JOURNAL_DAMAGED_SUFFIX (mode 0600, replacing an older copy; failing to is no error).
 * All of it is reported in @ret_stats.
 */
int journal_open(int dir_fd, const char *name, int (*cb)(const struct record *r, void *ud),
                 void *userdata, struct journal **ret, struct journal_replay_stats *ret_stats);
struct journal *journal_close(struct journal *j);

/* Appends one record with one write(). On failure the file is as it was. */
int journal_append(struct journal *j, const struct record *r);

/*
 * journal_rewrite() - replace the file with the records @next produces.
 * @next: fills *r and returns 1, or returns 0 at the end, or -errno to abort (the old file
 *        stays).
 */
int journal_rewrite(struct journal *j, int (*next)(void *ud, struct record *r), void *userdata);

/* An append failed half-way and could not be taken back: appends fail until a rewrite. */
bool journal_damaged(const struct journal *j);

/* Records appended since the last open or rewrite, and records in the file now. */
size_t journal_appended(const struct journal *j);
size_t journal_records(const struct journal *j);
