/* SPDX-License-Identifier: MIT */
/*
 * trash.h - removing exactly the inode the registry names, and nothing else.
 *
 * unlinkat(dir, name) removes whatever is at the name when the call runs: in a directory that
 * others can write, a file swapped in after the daemon's check would be deleted by the daemon.
 * So the name is first moved into a directory only the daemon can enter (renameat2() with
 * RENAME_NOREPLACE, on the same file system), checked there, where nobody else can touch it,
 * and removed if it is the registry's inode - or put back if it is not.
 *
 * The directory is "<object dir>/.shmbrokerd-trash.XXXXXXXX" (random), mode 0700, owned by
 * the daemon, one per run; those of earlier runs are emptied at start.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define TRASH_PREFIX ".shmbrokerd-trash."

struct trash {
        int dir_fd;             /* the object directory, borrowed */
        int fd;                 /* ours, owned */
        char name[64];
        uint64_t counter;       /* makes entries unique within the run */
};

/* Makes this run's directory in @dir_fd. */
int trash_open(int dir_fd, struct trash *ret);
/* Removes this run's directory if it is empty and still at its name (in a directory others
 * may write, someone may have moved it and put theirs there: that one is left alone), and
 * closes it. */
void trash_close(struct trash *t);

/*
 * trash_remove() - remove @name from the object directory if it is the inode @dev/@ino.
 * @serial: names the entry while it is in the trash, so that a crash in between can be
 *          cleaned up at the next start.
 * @ret_fd: a read-only fd of the inode removed (the caller's), or -1 if it could not be had.
 * Return: 0 when removed; -ENOENT when the name was gone or held another inode (which is back
 * at its name, or, if someone took the name meanwhile, kept in the trash and logged).
 */
int trash_remove(struct trash *t, const char *name, uint64_t serial, dev_t dev, ino_t ino,
                 int *ret_fd);

/*
 * trash_cleanup() - empty the trash directories of earlier runs: an entry is removed when
 * @ours says it is the object of that serial (the daemon died between moving and removing
 * it); anything else is left where it is and logged.
 * Return: the number of entries removed.
 */
int trash_cleanup(int dir_fd, const struct trash *current,
                  bool (*ours)(uint64_t serial, dev_t dev, ino_t ino, void *ud), void *userdata);

/* Is @name one of the trash directories (not an object, whatever is in it)? */
bool trash_is_trash_name(const char *name);
