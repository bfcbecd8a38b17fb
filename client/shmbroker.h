/* SPDX-License-Identifier: MIT */
/*
 * shmbroker.h - client library for shmbrokerd, the shared-memory broker.
 *
 * A program connects to the broker's socket, asks it to create or open a named segment, and
 * receives a file descriptor that it maps with mmap(2) (or with shmb_map()). Who the program is
 * comes from the kernel, never from anything it sends; what it may do is the administrator's
 * policy.
 *
 * Conventions: every function that can fail returns 0 (or a count) on success and a negative
 * errno value on failure; it never sets errno as its result, never logs, never exits and never
 * raises a signal. Output parameters are written only on success. A struct shmb_client is not
 * thread-safe: use one per thread, or serialise calls. Every fd the library returns is
 * O_CLOEXEC and belongs to the caller, who must close it.
 *
 * Connection errors: a request that fails on the way, with -ECONNRESET or -EPIPE (the broker
 * went away), -ETIMEDOUT (no answer within the timeout), -EPROTO (the broker sent something
 * this library cannot read or will not trust), -EPROTONOSUPPORT (the broker speaks another
 * protocol version), -EBADMSG (the broker could not read the request) or another socket error,
 * leaves the connection unusable: every later request on it fails with -ENOTCONN. Free the
 * client and connect again. An error the broker answers with (-ENOENT, -EACCES, ...), and an
 * argument refused before anything is sent, leave the connection usable.
 */
#ifndef SHMBROKER_H
#define SHMBROKER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The socket used when no path is given and $SHMBROKER_SOCKET is unset. */
#define SHMB_DEFAULT_SOCKET "/run/shmbroker/socket"

/* Longest segment name, without the optional leading '/'. */
#define SHMB_NAME_MAX 255

/* Most ACL entries a stat can report. */
#define SHMB_ACL_MAX 64

/* Access to ask for, and access granted. */
enum {
        SHMB_ACCESS_NONE = 0,   /* shmb_create() only: create, return no fd */
        SHMB_ACCESS_RDONLY = 1,
        SHMB_ACCESS_RDWR = 2,
        SHMB_ACCESS_ANY = 3,    /* read-write if the policy allows it, else read-only */
};

enum {
        SHMB_BACKEND_SHM = 1,   /* a file in the broker's object directory (/dev/shm) */
        SHMB_BACKEND_MEMFD = 2, /* a sealed memfd, reachable only through the broker */
};

/* Rights reported by shmb_stat(): what the caller may do with the name. */
enum {
        SHMB_RIGHT_READ = 1u << 0,
        SHMB_RIGHT_WRITE = 1u << 1,
        SHMB_RIGHT_CREATE = 1u << 2, /* create and unlink */
};

/* ACL tags and permission bits: the same values as <sys/acl.h>. */
enum {
        SHMB_ACL_USER_OBJ = 0x01,
        SHMB_ACL_USER = 0x02,
        SHMB_ACL_GROUP_OBJ = 0x04,
        SHMB_ACL_GROUP = 0x08,
        SHMB_ACL_MASK = 0x10,
        SHMB_ACL_OTHER = 0x20,
};

struct shmb_acl_entry {
        uint32_t tag;   /* SHMB_ACL_* */
        uint32_t id;    /* uid or gid for SHMB_ACL_USER and SHMB_ACL_GROUP, else (uint32_t) -1 */
        uint32_t perm;  /* 4 read, 2 write, 1 execute */
};

struct shmb_stat {
        uint64_t size;
        uint32_t uid;
        uint32_t gid;
        uint32_t mode;          /* permission bits, as stat(2) shows them */
        uint32_t backend;       /* SHMB_BACKEND_* */
        uint32_t rights;        /* SHMB_RIGHT_*: what the caller may do */
        uint32_t n_acl;
        struct shmb_acl_entry acl[SHMB_ACL_MAX];
};

/* What an fd returned by shmb_open() or shmb_create() gives. */
struct shmb_fd_info {
        uint64_t size;          /* the segment's size when it was opened: fstat(2) of the fd
                                 * itself, never only the broker's word */
        uint32_t access;        /* SHMB_ACCESS_RDONLY or SHMB_ACCESS_RDWR */
        uint32_t backend;       /* SHMB_BACKEND_* */
};

struct shmb_client;

/**
 * shmb_socket_path() - the socket path the library will use.
 * @path: an explicit path, or NULL.
 *
 * Return: @path if it is not NULL, else $SHMBROKER_SOCKET if set and not empty, else
 * SHMB_DEFAULT_SOCKET. The environment is read with secure_getenv(3), so a set-uid or
 * set-gid program always gets the default. The string is not copied; it lives as long as its
 * source.
 */
const char *shmb_socket_path(const char *path);

/**
 * shmb_connect() - connect to the broker.
 * @path: the socket, or NULL for shmb_socket_path(NULL).
 * @ret: on success, a new client, to be freed with shmb_client_free().
 *
 * The connection is a SOCK_SEQPACKET socket, O_CLOEXEC, with a 30 second send and receive
 * timeout so that a stuck broker cannot hang the caller forever.
 *
 * Return: 0, or -errno: -ENOENT or -ECONNREFUSED when no broker listens, -EACCES when the
 * socket's permissions keep the caller out, -ENAMETOOLONG for a path that does not fit
 * sun_path, -EINVAL for an empty path or a NULL @ret, -ETIMEDOUT when the broker's listen
 * queue stays full, -ENOMEM.
 */
int shmb_connect(const char *path, struct shmb_client **ret);

/**
 * shmb_client_free() - close the connection and free the client.
 * @c: a client, or NULL.
 *
 * Fds already returned by the client stay open and valid; they belong to the caller.
 *
 * Return: NULL.
 */
struct shmb_client *shmb_client_free(struct shmb_client *c);

/**
 * shmb_client_set_timeout() - change the send and receive timeout.
 * @c: the client.
 * @msec: milliseconds, 0 for none (block for ever).
 *
 * The timeout applies to each send and each receive of a request; shmb_list() makes one
 * request per page.
 *
 * Return: 0, or -errno from setsockopt(2), or -EINVAL if @c is NULL.
 */
int shmb_client_set_timeout(struct shmb_client *c, unsigned int msec);

/**
 * shmb_create() - create a named segment.
 * @c: the client.
 * @name: the name, "x" or "/x" (the same segment).
 * @size: its size in bytes, at least 1 and at most the policy's MaxSize.
 * @access: the fd wanted back: SHMB_ACCESS_NONE, _RDONLY, _RDWR or _ANY.
 * @ret_fd: on success, the new fd (owned by the caller), or -1 when @access is
 *          SHMB_ACCESS_NONE. May be NULL only with SHMB_ACCESS_NONE.
 * @ret_info: on success, what the fd gives; may be NULL. With SHMB_ACCESS_NONE only its
 *            size (the size asked for) is set, access and backend are 0.
 *
 * The broker creates the segment with the owner, group, mode and ACL the policy gives it,
 * and reserves its memory, so a full tmpfs fails here rather than with SIGBUS later. The
 * name is checked (and "/x" turned into "x") before anything is sent.
 *
 * Return: 0, or -errno: -EINVAL (bad name, size 0, bad @access, or NULL @ret_fd with an fd
 * asked for), -ENAMETOOLONG, -EACCES (the policy does not let the caller create it, or not
 * with the access asked), -EEXIST, -EFBIG (larger than MaxSize), -ENOSPC, -EDQUOT, and the
 * connection errors (see the top of this file): -ECONNRESET or -EPIPE (the broker went away),
 * -ETIMEDOUT, -EPROTO (among others: the fd received is not what the reply claims, say
 * writable when read-only was granted, or the access granted is not the one asked for),
 * -EPROTONOSUPPORT, -ENOTCONN (an earlier connection error).
 */
int shmb_create(struct shmb_client *c, const char *name, uint64_t size, int access,
                int *ret_fd, struct shmb_fd_info *ret_info);

/**
 * shmb_open() - open an existing segment.
 * @c: the client.
 * @name: the name.
 * @access: SHMB_ACCESS_RDONLY, SHMB_ACCESS_RDWR or SHMB_ACCESS_ANY.
 * @ret_fd: on success, the fd (owned by the caller, O_CLOEXEC).
 * @ret_info: on success, what the fd gives; may be NULL.
 *
 * A read-only fd is a fresh read-only open: it cannot be mapped writable, truncated, chmod'ed
 * or reopened read-write through /proc/self/fd. The library checks the fd's open mode
 * (fcntl(F_GETFL)) against the access the broker reports, and that it is a regular file.
 * With SHMB_ACCESS_ANY, @ret_info tells which access was granted.
 *
 * Return: 0, or -errno: -ENOENT, -EACCES, -EINVAL, -ENAMETOOLONG, -ELOOP or -EBADFD (what is
 * at the name is not a segment the broker will hand out), and the connection errors of
 * shmb_create().
 */
int shmb_open(struct shmb_client *c, const char *name, int access, int *ret_fd,
              struct shmb_fd_info *ret_info);

/* shmb_open_batch() exists (for code that must also build against older versions). */
#define SHMB_HAVE_OPEN_BATCH 1

/* Most names one shmb_open_batch() call takes. */
#define SHMB_BATCH_MAX 16

/* One name of a batch: @name and @access are the caller's input; @fd, @info and @error are
 * written by shmb_open_batch(). */
struct shmb_open_req {
        const char *name;
        int access;             /* SHMB_ACCESS_RDONLY, SHMB_ACCESS_RDWR or SHMB_ACCESS_ANY */
        int fd;                 /* out: the fd (owned by the caller), or -1 */
        struct shmb_fd_info info; /* out: valid when @error is 0 */
        int error;              /* out: 0, or the -errno this name failed with */
};

/**
 * shmb_open_batch() - open several segments in one round trip.
 * @c: the client.
 * @reqs: @n requests; each is decided exactly as shmb_open() would decide it, on its own.
 * @n: 1 to SHMB_BATCH_MAX.
 *
 * All fds arrive in one reply. A name that fails affects only its own entry.
 *
 * Return: the number of names opened (0 to @n), each with its @fd set; or -errno when the
 * whole call failed (-EINVAL for a bad argument or name, -ENAMETOOLONG, and the connection
 * errors of shmb_create()), in which case no entry was written.
 */
int shmb_open_batch(struct shmb_client *c, struct shmb_open_req *reqs, size_t n);

/**
 * shmb_unlink() - remove a segment's name.
 * @c: the client.
 * @name: the name.
 *
 * Allowed to the policy's Create= principals. Fds and mappings that exist stay valid.
 *
 * Return: 0, or -errno: -ENOENT, -EACCES, -EINVAL, -ENAMETOOLONG, and the connection errors.
 */
int shmb_unlink(struct shmb_client *c, const char *name);

/**
 * shmb_stat() - describe a segment the caller may open.
 * @c: the client.
 * @name: the name.
 * @ret: on success, the segment's size, owner, group, mode, backend, ACL and the caller's
 *       rights.
 *
 * Return: 0, or -errno: -ENOENT (no such segment, or none the caller may see), -EINVAL,
 * -ENAMETOOLONG, and the connection errors.
 */
int shmb_stat(struct shmb_client *c, const char *name, struct shmb_stat *ret);

/**
 * shmb_list() - list the segments the caller may open.
 * @c: the client.
 * @cb: called once per name, in strcmp() order, with a NUL-terminated, normalised name (no
 *      leading '/') that is valid only during the call. A negative return stops the listing
 *      and is returned. @cb may call other functions on @c (shmb_stat() each name, say).
 * @userdata: passed to @cb.
 *
 * The broker answers in pages; the library asks for the next page (the names after the last
 * one seen) until there is none, so a segment created or removed meanwhile may or may not
 * appear. A page whose names are not valid or not in order is -EPROTO.
 *
 * Return: the number of names, or -errno (-ENOMEM, -EOVERFLOW past INT_MAX names, the
 * connection errors), or what @cb returned.
 */
int shmb_list(struct shmb_client *c, int (*cb)(const char *name, void *userdata),
              void *userdata);

/**
 * shmb_map() - map a whole segment.
 * @fd: an fd from shmb_open() or shmb_create(); borrowed, not closed. The mapping stays
 *      valid after the fd is closed.
 * @access: SHMB_ACCESS_RDONLY or SHMB_ACCESS_RDWR.
 * @ret_addr: on success, the address of a MAP_SHARED mapping.
 * @ret_size: on success, its length (the segment's size from fstat(2)).
 *
 * Return: 0, or -errno: -EINVAL (bad access, negative @fd, NULL output, or an empty
 * segment), -EACCES (read-write on a read-only fd), -EFBIG (larger than the address space),
 * -ENOMEM, or what fstat(2) and mmap(2) fail with.
 */
int shmb_map(int fd, int access, void **ret_addr, size_t *ret_size);

#ifdef __cplusplus
}
#endif

#endif
