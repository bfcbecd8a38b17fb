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
 * argument refused before anything is sent, leave the connection usable. A connection whose
 * descriptor the caller closed (closefrom(), close_range()) fails with -ENOTCONN before
 * anything is sent, even if the number now refers to another file; the library forgets the
 * number, and shmb_client_free() does not close it.
 *
 * Reasons: an error the broker answers with comes with a reason (SHMB_REASON_*) when the
 * broker knows one; shmb_client_last_reason() tells it, shmb_reason_text() puts it in words to
 * show after strerror(3)'s: "Permission denied: the rule does not let you create".
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

/* Longest rule ID, app id and user name the broker reports, in bytes without the NUL. */
#define SHMB_RULE_ID_MAX 255
#define SHMB_APP_ID_MAX 255
#define SHMB_USER_NAME_MAX 255

/* Most supplementary groups an identity given to shmb_explain() may have. */
#define SHMB_GROUPS_MAX 1024

/*
 * Why the broker refused a request: shmb_client_last_reason(), shmb_open_req.reason,
 * struct shmb_explanation. A refusal that must not reveal whether a name exists says
 * SHMB_REASON_NO_OBJECT whatever the truth; only shmb_explain() asked by an admin tells
 * SHMB_REASON_OTHER_RULE and SHMB_REASON_OTHER_CREATOR apart from it.
 */
enum {
        SHMB_REASON_NONE = 0,                   /* none given */
        SHMB_REASON_NO_RULE = 1,                /* no rule matches this name */
        SHMB_REASON_NO_CREATE = 2,              /* the rule does not let the caller create */
        SHMB_REASON_NO_READ = 3,                /* ... read */
        SHMB_REASON_NO_WRITE = 4,               /* ... write */
        SHMB_REASON_NO_OBJECT = 5,              /* no such object (for the caller's rule) */
        SHMB_REASON_EXISTS = 6,                 /* the name is taken */
        SHMB_REASON_TOO_BIG = 7,                /* larger than the rule's MaxSize= */
        SHMB_REASON_QUOTA_OBJECTS = 8,          /* MaxObjectsPerUser= */
        SHMB_REASON_QUOTA_BYTES = 9,            /* MaxBytesPerUser= */
        SHMB_REASON_QUOTA_CONNECTIONS = 10,     /* MaxConnectionsPerUser= */
        SHMB_REASON_ORPHAN = 11,                /* no rule governs the object any more */
        SHMB_REASON_NOT_BROKERED = 12,          /* a file the broker did not make */
        SHMB_REASON_OTHER_RULE = 13,            /* the object is another rule's */
        SHMB_REASON_OTHER_CREATOR = 14,         /* another creator's (per-user or per-app) */
        SHMB_REASON_POLICY_ERROR = 15,          /* the rule cannot make objects: see the log */
        SHMB_REASON_STORE_FULL = 16,            /* no room left to keep memfd objects */
        SHMB_REASON_LIFETIME = 17,              /* the rule's Lifetime= does not allow it */
        SHMB_REASON_PUBLISHED = 18,             /* published: no writable fd any more */
        SHMB_REASON_NOT_CREATOR = 19,           /* only the creator may (resize, publish) */
        SHMB_REASON_NOT_FRESH = 20,             /* resize after it was opened or sized */
        SHMB_REASON_NOT_ADMIN = 21,             /* admins only */
        SHMB_REASON_APP_SOCKET = 22,            /* not on an app socket */
        SHMB_REASON_LIMIT = 23,                 /* a limit of the broker (app sockets, ...) */
        SHMB_REASON_BUSY = 24,                  /* a writable mapping exists */
        SHMB_REASON_NO_PUBLISH = 25,            /* the rule does not let the caller publish */
};

/* What a segment is: shmb_fd_info.flags, shmb_stat.flags, shmb_object_info.flags. */
enum {
        SHMB_OBJ_ORPHAN = 1u << 0,              /* no rule of the policy governs it */
        SHMB_OBJ_PUBLISHED = 1u << 1,           /* no writable fd is handed out any more */
        SHMB_OBJ_SEAL_WRITE = 1u << 2,          /* memfd, F_SEAL_WRITE: the bytes are final */
        SHMB_OBJ_SEAL_FUTURE_WRITE = 1u << 3,   /* memfd, F_SEAL_FUTURE_WRITE: fds already
                                                 * handed out may still write */
        SHMB_OBJ_FRESH = 1u << 4,               /* created unsized: its creator may resize it */
        SHMB_OBJ_CREATOR_GONE = 1u << 5,        /* a SHMB_LIFETIME_PROCESS creator exited */
};

/* How long a segment lives: shmb_create2(), shmb_stat(), shmb_list_details(). */
enum {
        SHMB_LIFETIME_DEFAULT = 0,      /* shmb_create2() only: what the rule's Lifetime=
                                         * says (persistent when it says nothing) */
        SHMB_LIFETIME_PERSISTENT = 1,   /* until unlinked */
        SHMB_LIFETIME_PROCESS = 2,      /* until the creating process exits */
        SHMB_LIFETIME_SPAN = 3,         /* lifetime_usec after its last open */
};

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
        /* Since 0.2: */
        uint32_t creator;       /* the creator's uid */
        uint32_t flags;         /* SHMB_OBJ_* */
        uint64_t ctime_usec;    /* when it was created: CLOCK_REALTIME, microseconds */
        uint64_t lifetime_usec; /* SHMB_LIFETIME_SPAN: how long after its last open */
        uint32_t lifetime;      /* SHMB_LIFETIME_PERSISTENT, _PROCESS or _SPAN */
        char rule[SHMB_RULE_ID_MAX + 1]; /* the rule that governs it (an orphan: the last
                                          * one), "" when the broker does not say */
        char app[SHMB_APP_ID_MAX + 1];   /* the creator's app id, "" when not an app */
};

/* What an fd returned by shmb_open(), shmb_create() or shmb_open_batch() gives. */
struct shmb_fd_info {
        uint64_t size;          /* the segment's size when it was opened: fstat(2) of the fd
                                 * itself, never only the broker's word */
        uint32_t access;        /* SHMB_ACCESS_RDONLY or SHMB_ACCESS_RDWR */
        uint32_t backend;       /* SHMB_BACKEND_* */
        uint32_t flags;         /* SHMB_OBJ_* (since 0.2) */
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
 * shmb_client_last_reason() - why the broker refused the last request.
 * @c: the client, or NULL.
 *
 * Every request made on @c sets it: the SHMB_REASON_* the broker gave with the error it
 * refused the request with, or SHMB_REASON_NONE when the request succeeded, failed before it
 * reached the broker or on the way, or was refused without a reason. A whole shmb_open_batch()
 * that succeeds leaves it 0; each failed name's reason is in its shmb_open_req.reason.
 *
 * Return: a SHMB_REASON_* value, 0 for none (and for a NULL @c).
 */
int shmb_client_last_reason(const struct shmb_client *c);

/**
 * shmb_reason_text() - a reason in words.
 * @reason: a SHMB_REASON_* value.
 *
 * A short lowercase text without a full stop, to follow strerror(3)'s text: "no rule matches
 * this name", "over MaxBytesPerUser=", ...
 *
 * Return: a static string, or NULL for SHMB_REASON_NONE and for values this library does not
 * know.
 */
const char *shmb_reason_text(int reason);

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

/* shmb_create2() flags. */
#define SHMB_CREATE_UNSIZED (1u << 0)

/* What shmb_create2() adds to shmb_create(). All zero: what shmb_create() does. */
struct shmb_create_opts {
        uint32_t flags;         /* SHMB_CREATE_UNSIZED: size 0 now, shmb_resize() once later */
        uint32_t lifetime;      /* SHMB_LIFETIME_*: the segment's, within the rule's Lifetime= */
        uint64_t lifetime_usec; /* SHMB_LIFETIME_SPAN only: how long it lives after its last
                                 * open, at least 1 s; 0 otherwise */
};

/**
 * shmb_create2() - create a named segment, with a lifetime, or unsized.
 * @c: the client.
 * @name: the name, "x" or "/x" (the same segment).
 * @size: its size in bytes: at least 1 and at most the policy's MaxSize, or 0 with
 *        SHMB_CREATE_UNSIZED.
 * @access: the fd wanted back, as for shmb_create().
 * @opts: the lifetime and flags; NULL for the defaults (then this is shmb_create()).
 * @ret_fd: as for shmb_create().
 * @ret_info: as for shmb_create(); its flags say SHMB_OBJ_FRESH for an unsized segment.
 *
 * As shmb_create(), and: SHMB_LIFETIME_PROCESS makes the broker remove the segment when the
 * creating process exits; SHMB_LIFETIME_SPAN, lifetime_usec after it was last opened through
 * the broker; SHMB_LIFETIME_PERSISTENT, when it is unlinked; SHMB_LIFETIME_DEFAULT, as the
 * rule's Lifetime= says. The rule's Lifetime= is the longest a creator may ask for.
 * SHMB_CREATE_UNSIZED creates the segment with size 0, as shm_open(3) does before
 * ftruncate(2); its creator gives it its size with shmb_resize(), once, before anyone else
 * opens it.
 *
 * Return: 0, or -errno: the errors of shmb_create(), and -EINVAL (unknown flags or lifetime,
 * a size with SHMB_CREATE_UNSIZED or none without it, a span under 1 s or lifetime_usec
 * without a span), -EACCES with SHMB_REASON_LIFETIME (the rule's Lifetime= does not allow
 * it), -EOPNOTSUPP (a broker that does not know lifetimes or unsized segments).
 */
int shmb_create2(struct shmb_client *c, const char *name, uint64_t size, int access,
                 const struct shmb_create_opts *opts, int *ret_fd,
                 struct shmb_fd_info *ret_info);

/**
 * shmb_resize() - give an unsized segment its size.
 * @c: the client.
 * @name: a segment that @c's caller created with SHMB_CREATE_UNSIZED.
 * @size: its size, at least 1 and at most the policy's MaxSize.
 *
 * Allowed once, to the creator, before anyone else has opened the segment; fds already
 * handed to the creator see the new size.
 *
 * Return: 0, or -errno: -ENOENT, -EPERM (SHMB_REASON_NOT_CREATOR: not the creator;
 * SHMB_REASON_NOT_FRESH: sized or opened already), -EINVAL (size 0, bad name), -EFBIG,
 * -ENOSPC, -EDQUOT, -ENAMETOOLONG, -EOPNOTSUPP, and the connection errors.
 */
int shmb_resize(struct shmb_client *c, const char *name, uint64_t size);

/* shmb_publish() modes. */
enum {
        SHMB_PUBLISH_SEAL = 1,          /* memfd: F_SEAL_WRITE, the bytes are final (-EBUSY
                                         * while a writable mapping exists); shm: write access
                                         * is taken away */
        SHMB_PUBLISH_FUTURE = 2,        /* memfd: F_SEAL_FUTURE_WRITE: fds already handed out
                                         * may still write, no new writer */
};

/**
 * shmb_publish() - declare a segment's contents final.
 * @c: the client.
 * @name: a segment the caller created (or may write, where its rule says Publish=writers).
 * @mode: SHMB_PUBLISH_SEAL or SHMB_PUBLISH_FUTURE.
 *
 * After it, the broker hands out no writable fd of the segment, and shmb_wait() with
 * SHMB_WAIT_PUBLISHED returns.
 *
 * Return: 0, or -errno: -ENOENT, -EACCES (SHMB_REASON_NO_READ: the rule lets the caller
 * neither create nor read), -EPERM (SHMB_REASON_NOT_CREATOR: Publish=creator and the caller
 * is not; SHMB_REASON_NO_PUBLISH: Publish=no, Publish=writers and the caller may not write,
 * or a memfd already sealed for good), -EBUSY (SHMB_REASON_BUSY: a writable mapping exists),
 * -EINVAL (bad mode or name), -ENAMETOOLONG, -EOPNOTSUPP (SHMB_PUBLISH_FUTURE for a shm
 * segment or on a kernel without it), and the connection errors.
 */
int shmb_publish(struct shmb_client *c, const char *name, int mode);

/* shmb_wait() flags. */
#define SHMB_WAIT_PUBLISHED (1u << 0)

/**
 * shmb_wait() - wait until a segment exists.
 * @c: the client.
 * @name: the name.
 * @flags: SHMB_WAIT_PUBLISHED to wait until it is also published.
 * @timeout_usec: how long to wait at most; 0 for no limit.
 *
 * Blocks until a segment of that name exists that the caller may open (and, with
 * SHMB_WAIT_PUBLISHED, is published), or the timeout passes. The connection's own timeout
 * (shmb_client_set_timeout()) is added to @timeout_usec for the broker's answer; with no
 * limit, the call waits for ever. Signals do not interrupt it.
 *
 * Return: 0, or -errno: -ETIMEDOUT (the broker says the time passed: the connection stays
 * usable; or it did not answer in time: see the connection errors), -EACCES (no rule lets the
 * caller read the name), -EINVAL, -ENAMETOOLONG, -EOPNOTSUPP, and the connection errors.
 */
int shmb_wait(struct shmb_client *c, const char *name, unsigned int flags,
              uint64_t timeout_usec);

/**
 * shmb_open() - open an existing segment.
 * @c: the client.
 * @name: the name.
 * @access: SHMB_ACCESS_RDONLY, SHMB_ACCESS_RDWR or SHMB_ACCESS_ANY.
 * @ret_fd: on success, the fd (owned by the caller, O_CLOEXEC).
 * @ret_info: on success, what the fd gives; may be NULL.
 *
 * A read-only fd is a fresh read-only open: it cannot be mapped writable, truncated, chmod'ed
 * or reopened read-write through /proc/self/fd. The library checks what it reports: that a
 * read-only grant is a read-only fd (fcntl(F_GETFL)), and, with @ret_info, that the fd's open
 * mode is the access given and that it is a regular file whose size is the one given
 * (fstat(2)). A read-write open without @ret_info costs no check: an fd that can do less fails
 * at the caller's own mmap(2) or write(2).
 * With SHMB_ACCESS_ANY, @ret_info tells which access was granted.
 *
 * Return: 0, or -errno: -ENOENT, -EACCES, -EINVAL, -ENAMETOOLONG, -ELOOP or -EBADFD (what is
 * at the name is not a segment the broker will hand out), and the connection errors of
 * shmb_create().
 */
int shmb_open(struct shmb_client *c, const char *name, int access, int *ret_fd,
              struct shmb_fd_info *ret_info);

/* shmb_client_set_open_cache() exists (since 0.3). */
#define SHMB_HAVE_OPEN_CACHE 1

/* Most grants one client's open cache remembers. */
#define SHMB_OPEN_CACHE_MAX 4096

/**
 * shmb_client_set_open_cache() - let repeat opens be answered without asking the broker.
 * @c: the client.
 * @n: how many grants to remember, 1 to SHMB_OPEN_CACHE_MAX; 0 turns the cache off (and
 *     closes the fds it holds).
 *
 * The broker shares a generation page with its clients: a sealed page that only it can write,
 * mapped read-only here. Afterwards each shmb_open() grant the broker lets the client reuse is
 * remembered (a dup of the fd, one fd per entry); the next shmb_open() of the same name with
 * the same access is then a dup() of it, without a round trip, for as long as the page says
 * that nothing that decided the grant has changed: the policy (a reload), or the object
 * (removed, expired, resized, published, its owner, mode or ACL set again). The broker raises
 * the page before it answers anything after such a change, so once shmb_unlink() returns, or
 * a reload is done, no open answered from a cache gives the old fd; and a broker that exited
 * or restarted has closed the connection, which every lookup checks (poll(2)).
 *
 * Not reused (always asked): objects with a span lifetime (an open restarts their span), an
 * object created unsized and not yet sized, and a writable fd of a memfd whose seals are not
 * final. An open answered from the cache is a dup() of an fd the process already holds: it
 * shares that fd's open file description (offset, F_SETFL flags, flock() and OFD locks); the
 * broker does not see it, so it makes no audit record and does not count as activity on the
 * connection (the broker's idle timeout still applies). With @ret_info, the size and a
 * memfd's seals are read from the kernel at each open, as without the cache. A broken or
 * watching connection answers nothing from the cache either.
 *
 * Return: 0, -EINVAL, -EACCES if no rule lets the caller read, -EOPNOTSUPP if the broker has
 * no generation page (an older broker, or it could not make one), -EPROTO if what it sent is
 * not such a page, or the connection errors of shmb_create().
 */
int shmb_client_set_open_cache(struct shmb_client *c, unsigned int n);

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
        int reason;             /* out: with an @error from the broker, its SHMB_REASON_*;
                                 * else 0 (since 0.2) */
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

#define SHMB_UNLINK_ALL (1u << 0)       /* admins: any segment, whatever the rules */

/**
 * shmb_unlink2() - shmb_unlink() with flags.
 * @flags: 0, or SHMB_UNLINK_ALL: the broker's admins remove any segment it holds, whatever
 *         the policy says of its name for them (clean-up; -EPERM for anyone else).
 *
 * Return: as shmb_unlink(); -EPERM (SHMB_REASON_NOT_ADMIN) for SHMB_UNLINK_ALL from someone
 * who is not an admin.
 */
int shmb_unlink2(struct shmb_client *c, const char *name, unsigned int flags);

/* shmb_stat2(), shmb_list2(), shmb_list_details() flags. */
#define SHMB_STAT_ALL (1u << 0)         /* admins: any segment, orphans included */
#define SHMB_LIST_ALL (1u << 0)         /* admins: every segment, orphans included */

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
 * shmb_stat2() - describe a segment, as an admin may.
 * @c: the client.
 * @name: the name.
 * @flags: SHMB_STAT_ALL: describe the segment whatever the rules say of it (orphans too);
 *         for the broker's admins only. 0: as shmb_stat().
 * @ret: as for shmb_stat().
 *
 * Return: 0, or -errno: those of shmb_stat(), -EPERM (SHMB_REASON_NOT_ADMIN), -EINVAL
 * (unknown flags), -EOPNOTSUPP (a broker that does not know SHMB_STAT_ALL).
 */
int shmb_stat2(struct shmb_client *c, const char *name, unsigned int flags,
               struct shmb_stat *ret);

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
 * shmb_list2() - list segments, as an admin may.
 * @c: the client.
 * @flags: SHMB_LIST_ALL: every segment the broker holds, orphans included, whatever the
 *         rules say (admins only). 0: as shmb_list().
 * @cb: as for shmb_list().
 * @userdata: passed to @cb.
 *
 * Return: as shmb_list(); also -EPERM (SHMB_REASON_NOT_ADMIN), -EINVAL (unknown flags),
 * -EOPNOTSUPP (a broker that does not know SHMB_LIST_ALL).
 */
int shmb_list2(struct shmb_client *c, unsigned int flags,
               int (*cb)(const char *name, void *userdata), void *userdata);

/* One segment as shmb_list_details() reports it. The strings are NUL-terminated and valid
 * only during the callback. */
struct shmb_object_info {
        const char *name;       /* normalised, no leading '/' */
        uint64_t size;
        uint64_t ctime_usec;    /* when it was created: CLOCK_REALTIME, microseconds */
        uint64_t lifetime_usec; /* SHMB_LIFETIME_SPAN: how long after its last open */
        uint32_t backend;       /* SHMB_BACKEND_* */
        uint32_t flags;         /* SHMB_OBJ_* */
        uint32_t creator;       /* the creator's uid */
        uint32_t lifetime;      /* SHMB_LIFETIME_PERSISTENT, _PROCESS or _SPAN */
        uint32_t ends_in_sec;   /* SHMB_LIFETIME_SPAN: seconds until it ends unless opened
                                 * again (at least 1); else 0 */
        const char *rule;       /* the rule that governs it, "" when the broker does not say */
        const char *app;        /* the creator's app id, "" when not an app */
};

/**
 * shmb_list_details() - list segments with what the broker knows of each.
 * @c: the client.
 * @flags: 0 or SHMB_LIST_ALL, as for shmb_list2().
 * @cb: called once per segment, in strcmp() order of the names; @info and its strings are
 *      valid only during the call. A negative return stops the listing and is returned. @cb
 *      may call other functions on @c.
 * @userdata: passed to @cb.
 *
 * As shmb_list(), with each segment's size, creation time, creator, rule, app, lifetime and
 * flags. A page whose names are not valid or not in order, whose app ids are not app ids, or
 * that comes without the details asked for, is -EPROTO.
 *
 * Return: the number of segments, or -errno (those of shmb_list2()), or what @cb returned.
 */
int shmb_list_details(struct shmb_client *c, unsigned int flags,
                      int (*cb)(const struct shmb_object_info *info, void *userdata),
                      void *userdata);

/* Per-user usage in shmb_status(). */
struct shmb_status_user {
        uint32_t uid;
        uint32_t connections;   /* open connections */
        uint64_t objects;       /* segments charged to the user */
        uint64_t bytes;         /* their bytes */
};

/* shmb_status.flags */
#define SHMB_STATUS_KEPT_POLICY (1u << 1) /* the broker runs on the last good policy, not the
                                           * one on disk (which it could not load) */

/* What shmb_status() returns; free it with shmb_status_free(). */
struct shmb_status {
        uint64_t uptime_usec;
        uint64_t generation;            /* the policy generation in force */
        uint32_t n_rules;
        uint32_t n_connections;
        uint32_t n_objects;
        uint32_t n_orphans;
        uint32_t n_held;                /* removed, still held by clients, still charged */
        uint32_t n_app_sockets;
        uint32_t flags;                 /* SHMB_STATUS_KEPT_POLICY */
        uint32_t max_connections;       /* [Quota] per user; UINT32_MAX: no limit */
        uint64_t max_objects;           /* [Quota] per user; UINT64_MAX: no limit */
        uint64_t max_bytes;             /* [Quota] per user; UINT64_MAX: no limit */
        char *version;                  /* the broker's version */
        char *origin;                   /* where its policy came from */
        size_t n_users;
        struct shmb_status_user *users; /* n_users entries, in uid order */
};

/**
 * shmb_status() - the broker's state, for its admins.
 * @c: the client.
 * @ret: on success, a new struct shmb_status, to be freed with shmb_status_free().
 *
 * The summary comes from the broker's first answer; the per-user usage, which the broker
 * sends in pages, is gathered from all of them (a user's usage may change meanwhile). Each
 * page must continue in uid order, or the call fails with -EPROTO. The segments themselves:
 * shmb_list_details() with SHMB_LIST_ALL.
 *
 * Return: 0, or -errno: -EPERM (SHMB_REASON_NOT_ADMIN), -EINVAL (NULL @ret), -ENOMEM,
 * -EOVERFLOW (more users than the library takes, a million), -EOPNOTSUPP (an older broker),
 * and the connection errors.
 */
int shmb_status(struct shmb_client *c, struct shmb_status **ret);

/**
 * shmb_status_free() - free what shmb_status() returned.
 * @s: a struct shmb_status, or NULL.
 *
 * Return: NULL.
 */
struct shmb_status *shmb_status_free(struct shmb_status *s);

/* An identity shmb_explain() asks about, instead of the caller's. */
struct shmb_identity {
        uint32_t uid;
        uint32_t gid;
        const uint32_t *groups;         /* supplementary groups; NULL when n_groups is 0 */
        size_t n_groups;                /* at most SHMB_GROUPS_MAX */
        const char *user_name;          /* for rules that name users; NULL for none */
};

/* The verbs shmb_explain() decides: indices of shmb_explanation.error and .reason. */
enum {
        SHMB_VERB_CREATE,
        SHMB_VERB_OPEN_RW,
        SHMB_VERB_OPEN_RO,
        SHMB_VERB_UNLINK,
        SHMB_VERB_STAT,
        SHMB_VERB_MAX,
};

/* shmb_explanation.flags */
enum {
        SHMB_EXPLAIN_RULE = 1u << 0,    /* a rule decides: its ID is in rule */
        SHMB_EXPLAIN_OBJECT = 1u << 1,  /* a segment of that name exists */
        SHMB_EXPLAIN_HANDED = 1u << 2,  /* ... and would be handed to the identity */
        SHMB_EXPLAIN_DETAILED = 1u << 3, /* the reasons say what a refusal hides from the
                                          * identity itself (an admin asked) */
};

struct shmb_explanation {
        uint32_t flags;                 /* SHMB_EXPLAIN_* */
        uint32_t uid;                   /* the identity's uid */
        uint32_t rights;                /* SHMB_RIGHT_* the rule gives */
        int object_reason;              /* SHMB_REASON_*: why the segment would not be
                                         * handed out, or SHMB_REASON_NONE */
        int error[SHMB_VERB_MAX];       /* 0: allowed; else -errno, as the call would fail */
        int reason[SHMB_VERB_MAX];      /* SHMB_REASON_* of each refusal */
        char rule[SHMB_RULE_ID_MAX + 1]; /* the deciding rule's ID, "" when none matches */
        char user_name[SHMB_USER_NAME_MAX + 1]; /* the identity's user name, "" if none */
};

/**
 * shmb_explain() - what the policy says of a name, and why.
 * @c: the client.
 * @name: the name.
 * @who: the identity to ask about (the broker's admins only); NULL for the caller's own.
 * @app_id: decide as for that app (an app id: "org.example.App"); NULL for none.
 * @ret: on success, which rule decides, what it allows, and for each verb (SHMB_VERB_*)
 *       whether it would succeed or the error and reason it would fail with.
 *
 * Nothing is created, opened or changed. Asked by anyone else than an admin, the reasons are
 * those the identity itself would be given (SHMB_REASON_NO_OBJECT for another rule's or
 * another creator's segment).
 *
 * Return: 0, or -errno: -EPERM (SHMB_REASON_NOT_ADMIN: @who given by a non-admin), -EINVAL
 * (bad name, NULL @ret, an @app_id that is not an app id, more than SHMB_GROUPS_MAX groups, a
 * user name longer than SHMB_USER_NAME_MAX), -ENAMETOOLONG, -EOPNOTSUPP, and the connection
 * errors.
 */
int shmb_explain(struct shmb_client *c, const char *name, const struct shmb_identity *who,
                 const char *app_id, struct shmb_explanation *ret);

/**
 * shmb_app_socket() - a socket for a sandboxed app.
 * @c: the client; the socket lives as long as its connection (until shmb_client_free()).
 * @app_id: the app's id ("org.example.Viewer").
 * @ret_path: on success, the socket's path, allocated: free(3) it.
 *
 * The broker makes a socket of its own whose every client it treats as @app_id, with the
 * identity the kernel reports for it: bind-mount it into the app's sandbox as its broker
 * socket. The socket goes away when @c is freed or its connection is lost: keep @c open for
 * as long as the app runs. A client of an app socket cannot ask for another.
 *
 * Return: 0, or -errno: -EINVAL (not an app id, NULL @ret_path), -EPERM
 * (SHMB_REASON_APP_SOCKET: asked on an app socket), -EMFILE (SHMB_REASON_LIMIT: the broker
 * has as many app sockets as it takes), -ENOMEM, -EOPNOTSUPP, and the connection errors.
 */
int shmb_app_socket(struct shmb_client *c, const char *app_id, char **ret_path);

/* What a watch reports: shmb_event.kind. */
enum {
        SHMB_EVENT_CREATED = 1,         /* a segment the pattern matches was created */
        SHMB_EVENT_PUBLISHED = 2,       /* ... was published */
        SHMB_EVENT_REMOVED = 3,         /* ... was removed */
        SHMB_EVENT_OVERFLOW = 4,        /* events were lost, and the watch has ended */
};

struct shmb_event {
        int kind;                       /* SHMB_EVENT_* */
        char name[SHMB_NAME_MAX + 1];   /* the segment, normalised; "" for an overflow */
};

/**
 * shmb_watch() - watch segments come and go.
 * @c: the client; from now on it serves the watch only.
 * @pattern: a glob of names to watch ("cam-*"; fnmatch(3) without flags), "" for every name
 *           the caller may open. One leading '/' is dropped, as from names.
 * @ret_fd: on success, a descriptor that polls readable when an event is waiting (or the
 *          broker went away). It is @c's: do not close it or read from it; it is valid until
 *          shmb_client_free().
 *
 * After it, every other request on @c fails with -EBUSY: connect another client for them.
 * Read the events with shmb_watch_next().
 *
 * Return: 0, or -errno: -EINVAL (bad pattern, NULL @ret_fd), -ENAMETOOLONG (a pattern over
 * 1024 bytes), -EBUSY (@c watches already), -EMFILE (SHMB_REASON_LIMIT), -EOPNOTSUPP, and the
 * connection errors.
 */
int shmb_watch(struct shmb_client *c, const char *pattern, int *ret_fd);

/**
 * shmb_watch_next() - the next event of a watch, without waiting.
 * @c: a client that shmb_watch() succeeded on.
 * @ret: on success, the event.
 *
 * Returns at once: poll(2) the descriptor of shmb_watch() for POLLIN to wait. After
 * SHMB_EVENT_OVERFLOW no event follows: the watch has ended (later calls fail with
 * -ENOTCONN); list the segments again and start a new watch on a new client.
 *
 * Return: 0, or -errno: -EAGAIN (no event waiting), -EINVAL (@c does not watch, NULL @ret),
 * and the connection errors (-ECONNRESET when the broker went away, -EPROTO for an event
 * this library will not trust, -ENOTCONN after those and after an overflow).
 */
int shmb_watch_next(struct shmb_client *c, struct shmb_event *ret);

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
