/* SPDX-License-Identifier: MIT */
/*
 * record.h - the object registry's journal records: bytes in, struct out, and back.
 *
 * Pure: no I/O, no allocation, no globals; the journal fuzzer's target. A record is framed as
 *
 *   u32 magic  RECORD_MAGIC
 *   u32 len    payload bytes that follow the 16-byte frame (at most RECORD_PAYLOAD_MAX)
 *   u64 check  FNV-1a 64 of the payload: a torn or damaged record does not check out
 *
 * and its payload is a list of fields, each u16 tag, u16 length, that many bytes. Integers are
 * native-endian (the journal never leaves the machine: it lives in the daemon's runtime
 * directory and dies with it at reboot, as the objects do). Unknown tags are skipped, so a
 * later version may add fields; a known tag with the wrong length is an error.
 *
 * Three kinds of record: PUT (an object's whole state, replacing any earlier PUT with the same
 * serial), DEL (an object is gone) and GEN (the policy generation now in force).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define RECORD_MAGIC UINT32_C(0x4a524253)     /* "SBRJ" read as little-endian bytes */
#define RECORD_FRAME_SIZE 16
#define RECORD_PAYLOAD_MAX 16384
#define RECORD_MAX (RECORD_FRAME_SIZE + RECORD_PAYLOAD_MAX)

enum record_type {
        RECORD_PUT = 1,
        RECORD_DEL = 2,
        RECORD_GEN = 3,
};

/* PUT flags. */
enum {
        RECORD_F_ORPHAN = 1u << 0,      /* no rule of the current policy governs the object */
        RECORD_F_PUBLISHED = 1u << 2,   /* no writable fd is handed out any more */
        RECORD_F_SEAL_WRITE = 1u << 3,  /* memfd: F_SEAL_WRITE is set */
        RECORD_F_SEAL_FUTURE = 1u << 4, /* memfd: F_SEAL_FUTURE_WRITE is set */
        RECORD_F_FRESH = 1u << 5,       /* made unsized, not yet sized or opened by others */
        RECORD_F_REMOVING = 1u << 6,    /* its removal began: the next start finishes it */
        RECORD_F_NAME_KNOWN = 1u << 7,  /* the creator's user name was looked up: user_name
                                         * is the answer (absent: it has none); without it
                                         * (and without a name), never looked up */
};

/* GEN flags. A GEN without SETTLED starts a policy change (a reload, or the start-up's); the
 * same generation again with SETTLED ends it: every object's file is then as that policy
 * says. A journal whose last generation never settled was cut short in the middle of one,
 * and what the files hold is not known. */
enum {
        RECORD_F_SETTLED = 1u << 1,
};

/* A string inside a decoded record: not NUL-terminated, points into the decoded bytes. */
struct record_str {
        const char *s;
        size_t len;
};

struct record {
        uint16_t type;
        uint64_t serial;                /* PUT, DEL: the object's number, never reused */
        uint64_t generation;            /* PUT: policy generation of its rule binding; GEN */
        uint32_t flags;                 /* PUT: RECORD_F_ORPHAN; GEN: RECORD_F_SETTLED */
        /* PUT only: */
        uint32_t backend;               /* POLICY_BACKEND_* */
        uint32_t creator_uid;
        uint64_t size;                  /* bytes charged */
        uint64_t dev, ino;              /* Backend=shm: the inode the daemon made */
        uint64_t ctime_usec;            /* CLOCK_REALTIME at create */
        uint64_t spec;                  /* hash of the owner/group/mode/ACL spec applied */
        struct record_str name;         /* required */
        struct record_str rule_id;      /* the rule that governs it (for an orphan: last did) */
        struct record_str user_name;    /* the creator's user name, if it had one */
        struct record_str app_id;       /* the creator's app id, if it was an app */
        /* PUT, lifecycle (absent: persistent, no process recorded). */
        uint32_t lifetime;              /* POLICY_LIFETIME_* */
        uint64_t lifetime_usec;         /* POLICY_LIFETIME_SPAN */
        uint64_t last_open_usec;        /* CLOCK_BOOTTIME of a recent handout (SPAN) */
        uint32_t creator_pid;           /* the creating process (PROCESS) */
        uint64_t creator_pidfs_ino;     /* its pidfd's inode on pidfs (unique per boot), or 0 */
        uint64_t creator_start;         /* its start time (/proc/PID/stat, ticks), or 0 */
};

/*
 * record_encode() - write @r, framed, to @buf.
 * Return: the record's length, -ENOBUFS if it does not fit in @size, -EINVAL if a PUT has no
 * name or a string is longer than a field can carry.
 */
int record_encode(const struct record *r, void *buf, size_t size);

/*
 * record_decode() - read one framed record from the start of @buf.
 * Return: the number of bytes it took, or -EBADMSG (bad magic, length, check or field; also
 * for a record cut short, which is what a write interrupted by SIGKILL leaves).
 */
int record_decode(const void *buf, size_t len, struct record *ret);

/*
 * record_frame() - read only the frame header at the start of @buf: the magic, and a length
 * within RECORD_PAYLOAD_MAX and within @len. The payload and its check are not looked at.
 * Return: the length of the framed record, or -EBADMSG.
 */
int record_frame(const void *buf, size_t len);

/* FNV-1a 64, the record check; also usable for other hashes of bytes. */
uint64_t record_hash(uint64_t h, const void *data, size_t len);
#define RECORD_HASH_INIT UINT64_C(0xcbf29ce484222325)
