/* SPDX-License-Identifier: MIT */
/*
 * protocol.h - the shmbroker wire protocol, version 1.
 *
 * Every structure, constant and limit that crosses the socket is defined here and nowhere
 * else. proto/PROTOCOL.md describes the same thing in prose. This header is shared by the
 * daemon, the client library and the tests; it does no I/O and has no globals.
 *
 * Transport: AF_UNIX, SOCK_SEQPACKET. One request is one packet, one reply is one packet.
 * File descriptors travel as SCM_RIGHTS on the reply packet that announces them.
 *
 * Byte order: native. AF_UNIX never leaves the host, so both ends share the CPU's order;
 * there is no conversion anywhere.
 *
 * Every packet starts with this 24-byte header:
 *
 *    0               1               2               3
 *    0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 4 5 6 7
 *   +---------------------------------------------------------------+
 *   |                magic = SHMB_PROTO_MAGIC ("SHMB")              |  0
 *   +-------------------------------+-------------------------------+
 *   |            version            |              type             |  4
 *   +-------------------------------+-------------------------------+
 *   |                 seq (echoed in the reply)                     |  8
 *   +---------------------------------------------------------------+
 *   |                 len (payload bytes after the header)          | 12
 *   +-------------------------------+-------------------------------+
 *   |            n_fds              |        flags (must be 0)      | 16
 *   +-------------------------------+-------------------------------+
 *   |                       reserved (must be 0)                    | 20
 *   +---------------------------------------------------------------+
 *
 * The packet is exactly sizeof(header) + len bytes, and n_fds equals the number of fds
 * attached with SCM_RIGHTS. Anything else is a protocol error: the receiver closes every fd
 * that arrived and drops the connection. Requests carry no fds in version 1.
 *
 * Names on the wire are a 16-bit length followed by that many bytes, not NUL-terminated. The
 * wire allows up to SHMB_PROTO_NAME_WIRE_MAX bytes so that a name that is merely too long gets
 * a clean ENAMETOOLONG from the daemon rather than a protocol error.
 *
 * Errors are positive Linux errno values (both ends run on the same kernel).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define SHMB_PROTO_MAGIC UINT32_C(0x424d4853) /* "SHMB" read as little-endian bytes */

/*
 * SHMB_PROTO_VERSION: bump it for any change that an older peer would misread (a new field in
 * an existing struct, a changed meaning). Adding a new request type or a new reply type that is
 * only sent in answer to it does not need a bump: an old daemon answers EOPNOTSUPP. A daemon
 * answers a packet of any other version with SHMB_PROTO_REPLY_ERROR(EPROTONOSUPPORT), echoing
 * its own version in the header, and drops the connection.
 */
#define SHMB_PROTO_VERSION 1

/* Limits that both ends enforce. */
#define SHMB_PROTO_NAME_MAX 255        /* bytes of a normalised name, as NAME_MAX */
#define SHMB_PROTO_NAME_WIRE_MAX 1024  /* bytes a request may carry in a name field */
#define SHMB_PROTO_MSG_MAX 65536       /* bytes of a whole packet, header included */
#define SHMB_PROTO_FDS_MAX 16          /* fds attached to one reply */
#define SHMB_PROTO_ACL_MAX 64          /* ACL entries in one stat reply */
#define SHMB_PROTO_BATCH_MAX SHMB_PROTO_FDS_MAX /* names in one open-batch request */

enum {
        /* requests: client to daemon */
        SHMB_PROTO_CREATE = 0x01,
        SHMB_PROTO_OPEN = 0x02,
        SHMB_PROTO_UNLINK = 0x03,
        SHMB_PROTO_STAT = 0x04,
        SHMB_PROTO_LIST = 0x05,
        SHMB_PROTO_OPEN_BATCH = 0x06,
        /* replies: daemon to client */
        SHMB_PROTO_REPLY_ERROR = 0x80,
        SHMB_PROTO_REPLY_FD = 0x81,
        SHMB_PROTO_REPLY_OK = 0x82,
        SHMB_PROTO_REPLY_STAT = 0x83,
        SHMB_PROTO_REPLY_LIST = 0x84,
        SHMB_PROTO_REPLY_BATCH = 0x85,
};

/* Access asked for (open, create) and granted (fd reply). */
enum {
        SHMB_PROTO_ACCESS_NONE = 0,   /* create only: no fd in the reply */
        SHMB_PROTO_ACCESS_RDONLY = 1,
        SHMB_PROTO_ACCESS_RDWR = 2,
        SHMB_PROTO_ACCESS_ANY = 3,    /* read-write if the policy allows it, else read-only */
};

enum {
        SHMB_PROTO_BACKEND_SHM = 1,
        SHMB_PROTO_BACKEND_MEMFD = 2,
};

/* What the policy lets the caller do with a name (stat reply). */
enum {
        SHMB_PROTO_RIGHT_READ = 1u << 0,
        SHMB_PROTO_RIGHT_WRITE = 1u << 1,
        SHMB_PROTO_RIGHT_CREATE = 1u << 2, /* create and unlink */
};

/* ACL entry tags and permission bits: the values of <sys/acl.h>, fixed here for the wire. */
enum {
        SHMB_PROTO_ACL_USER_OBJ = 0x01,
        SHMB_PROTO_ACL_USER = 0x02,
        SHMB_PROTO_ACL_GROUP_OBJ = 0x04,
        SHMB_PROTO_ACL_GROUP = 0x08,
        SHMB_PROTO_ACL_MASK = 0x10,
        SHMB_PROTO_ACL_OTHER = 0x20,
};

enum {
        SHMB_PROTO_LIST_MORE = 1u << 0, /* more names follow: ask again with the last as cursor */
};

struct shmb_proto_header {
        uint32_t magic;
        uint16_t version;
        uint16_t type;
        uint32_t seq;
        uint32_t len;
        uint16_t n_fds;
        uint16_t flags;
        uint32_t reserved;
};

/* SHMB_PROTO_CREATE: payload is this, then name_len bytes of name. Reply: FD, OK or ERROR. */
struct shmb_proto_create {
        uint64_t size;      /* bytes, 1 .. the rule's MaxSize */
        uint32_t access;    /* SHMB_PROTO_ACCESS_*: the fd wanted back, NONE for no fd */
        uint16_t name_len;
        uint16_t reserved;
};

/* SHMB_PROTO_OPEN: payload is this, then the name. Reply: FD or ERROR. */
struct shmb_proto_open {
        uint32_t access;    /* RDONLY, RDWR or ANY */
        uint16_t name_len;
        uint16_t reserved;
};

/*
 * SHMB_PROTO_UNLINK, SHMB_PROTO_STAT, SHMB_PROTO_LIST: payload is this, then the name (for
 * LIST: the cursor, empty for the first page; names sorting after it are returned).
 */
struct shmb_proto_name_req {
        uint16_t name_len;
        uint16_t reserved;
        uint32_t reserved2;
};

/* SHMB_PROTO_REPLY_ERROR: the request failed; the connection stays usable unless it was a
 * protocol error. */
struct shmb_proto_error {
        int32_t error;      /* positive errno */
        uint32_t reserved;
};

/* SHMB_PROTO_REPLY_FD: one fd attached (n_fds == 1). */
struct shmb_proto_fd_reply {
        uint64_t size;      /* the object's size when it was opened */
        uint32_t access;    /* RDONLY or RDWR: what the fd allows */
        uint32_t backend;
};

struct shmb_proto_acl_entry {
        uint32_t tag;       /* SHMB_PROTO_ACL_* */
        uint32_t id;        /* uid or gid for USER and GROUP, else (uint32_t) -1 */
        uint32_t perm;      /* 4 read, 2 write, 1 execute */
};

/* SHMB_PROTO_REPLY_STAT: payload is this, then n_acl entries. */
struct shmb_proto_stat_reply {
        uint64_t size;
        uint32_t uid;
        uint32_t gid;
        uint32_t mode;      /* permission bits as the kernel shows them */
        uint32_t backend;
        uint32_t rights;    /* SHMB_PROTO_RIGHT_*: what the caller may do */
        uint32_t n_acl;
};

/*
 * SHMB_PROTO_REPLY_LIST: payload is this, then n_names entries, each a uint16_t length and
 * that many bytes of a normalised name. Names are sorted by strcmp() order.
 */
struct shmb_proto_list_reply {
        uint32_t n_names;
        uint32_t flags;     /* SHMB_PROTO_LIST_* */
};

/*
 * SHMB_PROTO_OPEN_BATCH: opens up to SHMB_PROTO_BATCH_MAX names in one round trip. Payload is
 * this, then n items, then the n names one after another (item i's name_len bytes each).
 * Reply: REPLY_BATCH (or REPLY_ERROR for the whole request).
 */
struct shmb_proto_batch_req {
        uint32_t n;         /* 1 .. SHMB_PROTO_BATCH_MAX */
        uint32_t reserved;
};

struct shmb_proto_batch_item {
        uint32_t access;    /* RDONLY, RDWR or ANY */
        uint16_t name_len;
        uint16_t reserved;
};

/*
 * SHMB_PROTO_REPLY_BATCH: payload is this, then n results in request order. One fd is attached
 * per result with error 0, in the same order; n_fds is their count.
 */
struct shmb_proto_batch_reply {
        uint32_t n;
        uint32_t reserved;
};

struct shmb_proto_batch_result {
        int32_t error;      /* 0, or the positive errno this name failed with */
        uint32_t access;    /* error 0: RDONLY or RDWR */
        uint32_t backend;
        uint32_t reserved;
        uint64_t size;
};

/* The layout is the contract: a change here is a protocol change. */
_Static_assert(sizeof(struct shmb_proto_header) == 24, "header size");
_Static_assert(offsetof(struct shmb_proto_header, version) == 4, "header layout");
_Static_assert(offsetof(struct shmb_proto_header, seq) == 8, "header layout");
_Static_assert(offsetof(struct shmb_proto_header, len) == 12, "header layout");
_Static_assert(offsetof(struct shmb_proto_header, n_fds) == 16, "header layout");
_Static_assert(offsetof(struct shmb_proto_header, reserved) == 20, "header layout");
_Static_assert(sizeof(struct shmb_proto_create) == 16, "create size");
_Static_assert(offsetof(struct shmb_proto_create, name_len) == 12, "create layout");
_Static_assert(sizeof(struct shmb_proto_open) == 8, "open size");
_Static_assert(sizeof(struct shmb_proto_name_req) == 8, "name request size");
_Static_assert(sizeof(struct shmb_proto_error) == 8, "error size");
_Static_assert(sizeof(struct shmb_proto_fd_reply) == 16, "fd reply size");
_Static_assert(sizeof(struct shmb_proto_acl_entry) == 12, "acl entry size");
_Static_assert(sizeof(struct shmb_proto_stat_reply) == 32, "stat reply size");
_Static_assert(offsetof(struct shmb_proto_stat_reply, n_acl) == 28, "stat reply layout");
_Static_assert(sizeof(struct shmb_proto_list_reply) == 8, "list reply size");
_Static_assert(sizeof(struct shmb_proto_batch_req) == 8, "batch request size");
_Static_assert(sizeof(struct shmb_proto_batch_item) == 8, "batch item size");
_Static_assert(sizeof(struct shmb_proto_batch_reply) == 8, "batch reply size");
_Static_assert(sizeof(struct shmb_proto_batch_result) == 24, "batch result size");
_Static_assert(offsetof(struct shmb_proto_batch_result, size) == 16, "batch result layout");

/*
 * Decoded forms. The decoders below turn bytes into these and check every length; they do not
 * judge names (see shmb_name_normalize()) or policy.
 */
struct shmb_proto_request {
        uint16_t type;
        uint32_t seq;
        uint32_t access;                          /* CREATE, OPEN */
        uint64_t size;                            /* CREATE */
        uint16_t name_len;
        char name[SHMB_PROTO_NAME_WIRE_MAX + 1];  /* raw bytes, NUL added after name_len */
        uint32_t n_items;                         /* OPEN_BATCH */
        struct {
                uint32_t access;
                uint16_t name_len;
                const char *name;                 /* points into the packet; not terminated */
        } items[SHMB_PROTO_BATCH_MAX];
};

struct shmb_proto_reply {
        uint16_t type;
        uint32_t seq;
        int error;                                /* REPLY_ERROR: positive errno */
        struct shmb_proto_fd_reply fd;            /* REPLY_FD */
        struct shmb_proto_stat_reply stat;        /* REPLY_STAT */
        struct shmb_proto_acl_entry acl[SHMB_PROTO_ACL_MAX];
        uint32_t list_flags;                      /* REPLY_LIST */
        uint32_t n_names;
        const uint8_t *names;                     /* REPLY_LIST: points into the packet */
        size_t names_len;
        uint32_t n_results;                       /* REPLY_BATCH */
        struct shmb_proto_batch_result results[SHMB_PROTO_BATCH_MAX];
};

int shmb_proto_decode_request(const void *buf, size_t len, size_t n_fds,
                              struct shmb_proto_request *ret);
int shmb_proto_decode_reply(const void *buf, size_t len, size_t n_fds,
                            struct shmb_proto_reply *ret);

/*
 * Encoders write a whole packet into buf and return its length, or -ENOBUFS if it does not
 * fit, or -EINVAL for arguments the protocol cannot carry.
 */
int shmb_proto_encode_create(void *buf, size_t size, uint32_t seq, const char *name,
                             uint64_t object_size, uint32_t access);
int shmb_proto_encode_open(void *buf, size_t size, uint32_t seq, const char *name,
                           uint32_t access);
int shmb_proto_encode_name_req(void *buf, size_t size, uint16_t type, uint32_t seq,
                               const char *name);
int shmb_proto_encode_open_batch(void *buf, size_t size, uint32_t seq, const char *const *names,
                                 const uint32_t *access, size_t n);
int shmb_proto_encode_batch_reply(void *buf, size_t size, uint32_t seq,
                                  const struct shmb_proto_batch_result *results, size_t n);
int shmb_proto_encode_error(void *buf, size_t size, uint32_t seq, int error);
int shmb_proto_encode_ok(void *buf, size_t size, uint32_t seq);
int shmb_proto_encode_fd_reply(void *buf, size_t size, uint32_t seq,
                               const struct shmb_proto_fd_reply *fd);
int shmb_proto_encode_stat_reply(void *buf, size_t size, uint32_t seq,
                                 const struct shmb_proto_stat_reply *st,
                                 const struct shmb_proto_acl_entry *acl);

/*
 * List replies are built in place: begin, append names while they fit (-ENOBUFS when one does
 * not), finish. The builder keeps its state in struct shmb_proto_list_builder.
 */
struct shmb_proto_list_builder {
        uint8_t *buf;
        size_t size;
        size_t len;
        uint32_t n_names;
};

int shmb_proto_list_begin(struct shmb_proto_list_builder *b, void *buf, size_t size,
                          uint32_t seq);
int shmb_proto_list_append(struct shmb_proto_list_builder *b, const char *name);
int shmb_proto_list_finish(struct shmb_proto_list_builder *b, uint32_t flags);

/*
 * Walks the names of a decoded list reply. *cursor starts at 0. Returns 1 and the name (not
 * NUL-terminated) with its length, 0 at the end, -EBADMSG if the entries are malformed (the
 * decoder has already checked them, so that means a caller bug).
 */
int shmb_proto_list_next(const struct shmb_proto_reply *r, size_t *cursor, const char **ret_name,
                         size_t *ret_len);

/*
 * shmb_name_normalize() - check a requested name and bring it to its canonical form.
 *
 * An optional single leading '/', then 1 to SHMB_PROTO_NAME_MAX bytes with no '/', not "." or
 * "..", no control character and no NUL. "x" and "/x" both give "x". Writes the canonical name,
 * NUL-terminated, to ret (SHMB_PROTO_NAME_MAX + 1 bytes). Returns 0, -EINVAL or -ENAMETOOLONG.
 */
int shmb_name_normalize(const char *raw, size_t len, char *ret);
