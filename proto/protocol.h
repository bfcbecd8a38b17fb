/* SPDX-License-Identifier: MIT */
/*
 * protocol.h - the shmbroker wire protocol, version 2.
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
 * that arrived and drops the connection. Requests carry no fds.
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
 *
 * Version 2: errors carry a reason; create carries a lifetime and flags; fd replies and batch
 * results carry object flags; stat tells the creator, the rule, the lifetime and the flags;
 * name requests carry flags (list --all, details); new requests STATUS, EXPLAIN, APP_SOCKET,
 * RESIZE, PUBLISH, WAIT and WATCH.
 */
#define SHMB_PROTO_VERSION 2

/* Limits that both ends enforce. */
#define SHMB_PROTO_NAME_MAX 255        /* bytes of a normalised name, as NAME_MAX */
#define SHMB_PROTO_NAME_WIRE_MAX 1024  /* bytes a request may carry in a name field */
#define SHMB_PROTO_MSG_MAX 65536       /* bytes of a whole packet, header included */
#define SHMB_PROTO_FDS_MAX 16          /* fds attached to one reply */
#define SHMB_PROTO_ACL_MAX 64          /* ACL entries in one stat reply */
#define SHMB_PROTO_BATCH_MAX SHMB_PROTO_FDS_MAX /* names in one open-batch request */
#define SHMB_PROTO_RULE_ID_MAX 255     /* bytes of a rule ID on the wire (longer: cut) */
#define SHMB_PROTO_APP_ID_MAX 255      /* bytes of an app id */
#define SHMB_PROTO_USER_NAME_MAX 255   /* bytes of a user name (EXPLAIN) */
#define SHMB_PROTO_GROUPS_MAX 1024     /* supplementary groups in one EXPLAIN */
#define SHMB_PROTO_PATH_MAX 108        /* sizeof(sun_path): a socket path on the wire is 1 ..
                                        * SHMB_PROTO_PATH_MAX - 1 bytes, so that it fits
                                        * with its NUL */

enum {
        /* requests: client to daemon */
        SHMB_PROTO_CREATE = 0x01,
        SHMB_PROTO_OPEN = 0x02,
        SHMB_PROTO_UNLINK = 0x03,
        SHMB_PROTO_STAT = 0x04,
        SHMB_PROTO_LIST = 0x05,
        SHMB_PROTO_OPEN_BATCH = 0x06,
        SHMB_PROTO_STATUS = 0x07,
        SHMB_PROTO_EXPLAIN = 0x08,
        SHMB_PROTO_APP_SOCKET = 0x09,
        SHMB_PROTO_RESIZE = 0x0a,
        SHMB_PROTO_PUBLISH = 0x0b,
        SHMB_PROTO_WAIT = 0x0c,
        SHMB_PROTO_WATCH = 0x0d,
        SHMB_PROTO_CACHE_PAGE = 0x0e,
        SHMB_PROTO_OPEN_CACHED = 0x0f,
        /* replies: daemon to client */
        SHMB_PROTO_REPLY_ERROR = 0x80,
        SHMB_PROTO_REPLY_FD = 0x81,
        SHMB_PROTO_REPLY_OK = 0x82,
        SHMB_PROTO_REPLY_STAT = 0x83,
        SHMB_PROTO_REPLY_LIST = 0x84,
        SHMB_PROTO_REPLY_BATCH = 0x85,
        SHMB_PROTO_REPLY_STATUS = 0x86,
        SHMB_PROTO_REPLY_EXPLAIN = 0x87,
        SHMB_PROTO_REPLY_APP_SOCKET = 0x88,
        SHMB_PROTO_REPLY_EVENT = 0x89,
        SHMB_PROTO_REPLY_CACHE_PAGE = 0x8a,
        SHMB_PROTO_REPLY_FD_CACHED = 0x8b,
};

/*
 * Why a request was refused, beside the errno (REPLY_ERROR.reason, EXPLAIN's verdicts). A
 * client shows it after the strerror() text. A refusal that must not reveal whether a name
 * exists (an object under another rule, another creator's object) says NO_OBJECT, exactly as
 * for a name without an object; only EXPLAIN, for admins, tells them apart.
 */
enum {
        SHMB_PROTO_REASON_NONE = 0,
        SHMB_PROTO_REASON_NO_RULE = 1,          /* no rule matches this name */
        SHMB_PROTO_REASON_NO_CREATE = 2,        /* the rule does not let the caller create */
        SHMB_PROTO_REASON_NO_READ = 3,          /* the rule does not let the caller read */
        SHMB_PROTO_REASON_NO_WRITE = 4,         /* the rule does not let the caller write */
        SHMB_PROTO_REASON_NO_OBJECT = 5,        /* no such object (for the caller's rule) */
        SHMB_PROTO_REASON_EXISTS = 6,           /* the name is taken */
        SHMB_PROTO_REASON_TOO_BIG = 7,          /* larger than the rule's MaxSize= */
        SHMB_PROTO_REASON_QUOTA_OBJECTS = 8,    /* MaxObjectsPerUser= */
        SHMB_PROTO_REASON_QUOTA_BYTES = 9,      /* MaxBytesPerUser= */
        SHMB_PROTO_REASON_QUOTA_CONNECTIONS = 10, /* MaxConnectionsPerUser= */
        SHMB_PROTO_REASON_ORPHAN = 11,          /* no rule governs the object any more */
        SHMB_PROTO_REASON_NOT_BROKERED = 12,    /* a file the daemon did not make (EXPLAIN) */
        SHMB_PROTO_REASON_OTHER_RULE = 13,      /* the object is another rule's (EXPLAIN) */
        SHMB_PROTO_REASON_OTHER_CREATOR = 14,   /* another creator's, per-user/app (EXPLAIN) */
        SHMB_PROTO_REASON_POLICY_ERROR = 15,    /* the rule cannot make objects (an Owner= or
                                                 * Group= that does not resolve; a mode that
                                                 * would let a reader write): see the log */
        SHMB_PROTO_REASON_STORE_FULL = 16,      /* no room left to keep memfd objects */
        SHMB_PROTO_REASON_LIFETIME = 17,        /* the rule's Lifetime= does not allow it */
        SHMB_PROTO_REASON_PUBLISHED = 18,       /* published: no writable fd any more */
        SHMB_PROTO_REASON_NOT_CREATOR = 19,     /* only the creator may (resize, publish) */
        SHMB_PROTO_REASON_NOT_FRESH = 20,       /* resize after it was opened or sized */
        SHMB_PROTO_REASON_NOT_ADMIN = 21,       /* admins only (status, others' explain) */
        SHMB_PROTO_REASON_APP_SOCKET = 22,      /* not on an app socket (app-socket again) */
        SHMB_PROTO_REASON_LIMIT = 23,           /* a daemon limit (app sockets, watches...) */
        SHMB_PROTO_REASON_BUSY = 24,            /* a writable mapping exists (F_SEAL_WRITE) */
        SHMB_PROTO_REASON_NO_PUBLISH = 25,      /* the rule does not let the caller publish
                                                 * (Publish=), or the object was sealed for
                                                 * good at create */
        _SHMB_PROTO_REASON_MAX,
};

/* What an object is (fd replies, batch results, stat, list details, status). */
enum {
        SHMB_PROTO_OBJ_ORPHAN = 1u << 0,        /* no rule of the policy governs it */
        SHMB_PROTO_OBJ_PUBLISHED = 1u << 1,     /* no writable fd is handed out any more */
        SHMB_PROTO_OBJ_SEAL_WRITE = 1u << 2,    /* memfd: F_SEAL_WRITE: the bytes are final */
        SHMB_PROTO_OBJ_SEAL_FUTURE_WRITE = 1u << 3, /* memfd: existing writers may still */
        SHMB_PROTO_OBJ_FRESH = 1u << 4,         /* made unsized; its creator may RESIZE it */
        SHMB_PROTO_OBJ_CREATOR_GONE = 1u << 5,  /* status: a lifetime=process creator exited */
};

/* How long an object lives (create, stat): the creator's choice, within the rule's. */
enum {
        SHMB_PROTO_LIFETIME_DEFAULT = 0,        /* create: the rule's default, persistent */
        SHMB_PROTO_LIFETIME_PERSISTENT = 1,     /* until unlinked */
        SHMB_PROTO_LIFETIME_PROCESS = 2,        /* until the creating process exits */
        SHMB_PROTO_LIFETIME_SPAN = 3,           /* lifetime_usec after its last open */
};

/* Request flags. */
enum {
        SHMB_PROTO_CREATE_UNSIZED = 1u << 0,    /* size 0 now; RESIZE once, before anyone
                                                 * else opens it (shm_open(3) then
                                                 * ftruncate(2)) */
        SHMB_PROTO_NAME_ALL = 1u << 0,          /* LIST, STAT, UNLINK: admins: every
                                                 * object, orphans included, whatever the
                                                 * rules */
        SHMB_PROTO_NAME_DETAILS = 1u << 1,      /* LIST: each name with its details */
        SHMB_PROTO_WAIT_PUBLISHED = 1u << 0,    /* WAIT: until it is also published */
        SHMB_PROTO_EXPLAIN_USER = 1u << 0,      /* EXPLAIN: for the identity given (admins) */
        SHMB_PROTO_EXPLAIN_APP = 1u << 1,       /* EXPLAIN: as that app */
};

/* PUBLISH modes. */
enum {
        SHMB_PROTO_PUBLISH_SEAL = 1,            /* memfd: F_SEAL_WRITE (EBUSY while a
                                                 * writable mapping exists); shm: write
                                                 * taken away */
        SHMB_PROTO_PUBLISH_FUTURE = 2,          /* memfd: F_SEAL_FUTURE_WRITE */
};

/* WATCH events (REPLY_EVENT.event). */
enum {
        SHMB_PROTO_EVENT_CREATED = 1,
        SHMB_PROTO_EVENT_PUBLISHED = 2,
        SHMB_PROTO_EVENT_REMOVED = 3,
        SHMB_PROTO_EVENT_OVERFLOW = 4,          /* events were lost: the watch ends */
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
        SHMB_PROTO_LIST_DETAILS = 1u << 1, /* each name is followed by its details */
        SHMB_PROTO_STATUS_MORE = 1u << 0,  /* STATUS: more users follow (cursor: the last uid) */
        SHMB_PROTO_STATUS_KEPT_POLICY = 1u << 1, /* running on the last good policy, not the
                                                  * one on disk */
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
        uint64_t size;      /* bytes, 1 .. the rule's MaxSize (0 with CREATE_UNSIZED) */
        uint32_t access;    /* SHMB_PROTO_ACCESS_*: the fd wanted back, NONE for no fd */
        uint16_t name_len;
        uint16_t flags;     /* SHMB_PROTO_CREATE_* */
        uint64_t lifetime_usec; /* LIFETIME_SPAN: microseconds after the last open, 1 s .. */
        uint32_t lifetime;  /* SHMB_PROTO_LIFETIME_* */
        uint32_t reserved;
};

/* SHMB_PROTO_OPEN: payload is this, then the name. Reply: FD or ERROR. */
struct shmb_proto_open {
        uint32_t access;    /* RDONLY, RDWR or ANY */
        uint16_t name_len;
        uint16_t reserved;
};

/*
 * SHMB_PROTO_UNLINK, SHMB_PROTO_STAT, SHMB_PROTO_LIST, SHMB_PROTO_STATUS, SHMB_PROTO_WATCH:
 * payload is this, then the name (LIST: the cursor, empty for the first page, names sorting
 * after it are returned; STATUS: the cursor as a decimal uid, empty for the first page;
 * WATCH: a glob pattern, empty for every name).
 */
struct shmb_proto_name_req {
        uint16_t name_len;
        uint16_t reserved;
        uint32_t flags;     /* SHMB_PROTO_NAME_* (LIST, STAT); 0 for the others */
};

/* SHMB_PROTO_RESIZE: payload is this, then the name. Reply: OK. */
struct shmb_proto_resize {
        uint64_t size;      /* 1 .. the rule's MaxSize */
        uint16_t name_len;
        uint16_t reserved;
        uint32_t reserved2;
};

/* SHMB_PROTO_PUBLISH: payload is this, then the name. Reply: OK. */
struct shmb_proto_publish {
        uint32_t mode;      /* SHMB_PROTO_PUBLISH_* */
        uint16_t name_len;
        uint16_t reserved;
};

/* SHMB_PROTO_WAIT: payload is this, then the name. Reply: OK once the object exists (and is
 * published, with WAIT_PUBLISHED) for the caller, or ERROR(ETIMEDOUT). */
struct shmb_proto_wait {
        uint64_t timeout_usec;  /* 0: none */
        uint32_t flags;         /* SHMB_PROTO_WAIT_* */
        uint16_t name_len;
        uint16_t reserved;
};

/* SHMB_PROTO_APP_SOCKET: payload is this, then the app id. Reply: APP_SOCKET. The socket
 * lives as long as this connection. */
struct shmb_proto_app_socket {
        uint16_t app_len;
        uint16_t reserved;
        uint32_t reserved2;
};

/*
 * SHMB_PROTO_EXPLAIN: payload is this, then n_groups uint32_t gids, then name_len bytes of
 * name, user_name_len of user name, app_len of app id. Without EXPLAIN_USER the identity is
 * the caller's own and uid, gid, n_groups and user_name_len are 0; with it (admins only), it is
 * the one given. Reply: EXPLAIN.
 */
struct shmb_proto_explain {
        uint32_t flags;         /* SHMB_PROTO_EXPLAIN_* */
        uint32_t uid;
        uint32_t gid;
        uint16_t n_groups;
        uint16_t name_len;
        uint16_t user_name_len;
        uint16_t app_len;
        uint32_t reserved;
};

/* SHMB_PROTO_REPLY_ERROR: the request failed; the connection stays usable unless it was a
 * protocol error. */
struct shmb_proto_error {
        int32_t error;      /* positive errno */
        uint32_t reason;    /* SHMB_PROTO_REASON_* */
};

/* SHMB_PROTO_REPLY_FD: one fd attached (n_fds == 1). */
struct shmb_proto_fd_reply {
        uint64_t size;      /* the object's size when it was opened */
        uint32_t access;    /* RDONLY or RDWR: what the fd allows */
        uint32_t backend;
        uint32_t flags;     /* SHMB_PROTO_OBJ_* */
        uint32_t reserved;
};

struct shmb_proto_acl_entry {
        uint32_t tag;       /* SHMB_PROTO_ACL_* */
        uint32_t id;        /* uid or gid for USER and GROUP, else (uint32_t) -1 */
        uint32_t perm;      /* 4 read, 2 write, 1 execute */
};

/* SHMB_PROTO_REPLY_STAT: payload is this, then rule_len bytes of the rule's ID, app_len of
 * the creator's app id, then n_acl entries. */
struct shmb_proto_stat_reply {
        uint64_t size;
        uint32_t uid;
        uint32_t gid;
        uint32_t mode;      /* permission bits as the kernel shows them */
        uint32_t backend;
        uint32_t rights;    /* SHMB_PROTO_RIGHT_*: what the caller may do */
        uint32_t n_acl;
        uint32_t creator;   /* the creator's uid */
        uint32_t flags;     /* SHMB_PROTO_OBJ_* */
        uint64_t ctime_usec;    /* created, CLOCK_REALTIME */
        uint64_t lifetime_usec; /* LIFETIME_SPAN */
        uint32_t lifetime;  /* SHMB_PROTO_LIFETIME_* */
        uint16_t rule_len;  /* the rule that governs it (an orphan: the last one) */
        uint16_t app_len;   /* the creator's app, if it was an app */
};

/*
 * SHMB_PROTO_REPLY_LIST: payload is this, then n_names entries, each a uint16_t length and
 * that many bytes of a normalised name, and with LIST_DETAILS a struct shmb_proto_list_detail,
 * rule_len bytes of rule ID and app_len of app id. Names are sorted by strcmp() order.
 */
struct shmb_proto_list_reply {
        uint32_t n_names;
        uint32_t flags;     /* SHMB_PROTO_LIST_* */
};

struct shmb_proto_list_detail {
        uint64_t size;
        uint64_t ctime_usec;
        uint64_t lifetime_usec;
        uint32_t backend;
        uint32_t flags;     /* SHMB_PROTO_OBJ_* */
        uint32_t creator;
        uint32_t lifetime;
        uint16_t rule_len;
        uint16_t app_len;
        uint32_t ends_in_sec;   /* LIFETIME_SPAN: seconds until it ends if nobody opens it
                                 * again (at least 1); else 0 */
};

/*
 * SHMB_PROTO_REPLY_STATUS: payload is this, then version_len bytes of the daemon's version,
 * origin_len of where the policy came from, then n_users struct shmb_proto_status_user, in uid
 * order after the cursor. The objects themselves: LIST with NAME_ALL and NAME_DETAILS.
 */
struct shmb_proto_status_reply {
        uint64_t uptime_usec;
        uint64_t generation;    /* the policy generation in force */
        uint32_t n_rules;
        uint32_t n_connections;
        uint32_t n_objects;
        uint32_t n_orphans;
        uint32_t n_held;        /* removed, still held by clients, still charged */
        uint32_t n_app_sockets;
        uint32_t n_users;
        uint32_t flags;         /* SHMB_PROTO_STATUS_* */
        uint64_t max_objects;   /* [Quota] per user; UINT64_MAX: none */
        uint64_t max_bytes;
        uint32_t max_connections;
        uint16_t version_len;
        uint16_t origin_len;
};

struct shmb_proto_status_user {
        uint32_t uid;
        uint32_t connections;
        uint64_t objects;
        uint64_t bytes;
};

/*
 * SHMB_PROTO_REPLY_EXPLAIN: payload is this, then rule_len bytes of the deciding rule's ID
 * (none: no rule matches), user_name_len of the user name the identity has (if any).
 */
enum {
        SHMB_PROTO_VERB_CREATE,
        SHMB_PROTO_VERB_OPEN_RW,
        SHMB_PROTO_VERB_OPEN_RO,
        SHMB_PROTO_VERB_UNLINK,
        SHMB_PROTO_VERB_STAT,
        _SHMB_PROTO_VERB_MAX,
};

enum {
        SHMB_PROTO_EXPLAIN_RULE = 1u << 0,      /* a rule decides (rule_len > 0) */
        SHMB_PROTO_EXPLAIN_OBJECT = 1u << 1,    /* an object of that name exists */
        SHMB_PROTO_EXPLAIN_HANDED = 1u << 2,    /* ... and would be handed to the identity */
        SHMB_PROTO_EXPLAIN_DETAILED = 1u << 3,  /* the reasons say what a plain refusal
                                                 * hides (an admin asked) */
};

struct shmb_proto_explain_reply {
        uint32_t flags;         /* SHMB_PROTO_EXPLAIN_* (reply flags) */
        uint32_t uid;
        uint32_t rights;        /* SHMB_PROTO_RIGHT_* the rule gives */
        uint32_t object_reason; /* why the object would not be handed out, or NONE */
        int32_t error[_SHMB_PROTO_VERB_MAX];    /* 0: allowed; else the positive errno */
        uint32_t reason[_SHMB_PROTO_VERB_MAX];  /* SHMB_PROTO_REASON_* */
        uint16_t rule_len;
        uint16_t user_name_len;
        uint32_t reserved;
};

/* SHMB_PROTO_REPLY_APP_SOCKET: payload is this, then path_len bytes of the socket's path. */
struct shmb_proto_app_socket_reply {
        uint16_t path_len;
        uint16_t reserved;
        uint32_t reserved2;
};

/* SHMB_PROTO_REPLY_EVENT: after a WATCH is answered OK, one packet per event, with the
 * WATCH's seq; payload is this, then the name. */
struct shmb_proto_event {
        uint32_t event;     /* SHMB_PROTO_EVENT_* */
        uint16_t name_len;
        uint16_t reserved;
};

/*
 * The generation page (CACHE_PAGE, OPEN_CACHED): one page of a sealed memfd that the daemon
 * writes and every client that asks may map read-only. It holds an epoch, raised at every
 * policy change, and SHMB_PROTO_CACHE_SLOTS counters; each name falls in one slot (by a hash
 * keyed with a secret of the daemon's, so only the daemon knows which), and the daemon raises
 * a name's slot before anything changes what an open of that name would give: removal,
 * attributes set again, publish, resize, a rebinding. A ticket (REPLY_FD_CACHED) names the
 * slot and the two values at the decision; while both still read the same, an open of that
 * name with that access would be decided the same way, and the client may answer it with a
 * dup() of the fd it was handed. Values only grow, and are read with acquire ordering.
 */
#define SHMB_PROTO_CACHE_PAGE_SIZE 4096
#define SHMB_PROTO_CACHE_MAGIC UINT32_C(0x47424d53) /* "SMBG" as little-endian bytes */
#define SHMB_PROTO_CACHE_SLOTS 510
#define SHMB_PROTO_CACHE_NONE UINT32_MAX /* ticket slot: this grant may not be reused */

struct shmb_proto_cache_head {
        uint32_t magic;     /* SHMB_PROTO_CACHE_MAGIC */
        uint32_t n_slots;   /* SHMB_PROTO_CACHE_SLOTS */
        uint64_t epoch;
        /* then uint64_t slots[n_slots] */
};

/* SHMB_PROTO_CACHE_PAGE: no payload. Reply: CACHE_PAGE with the page's memfd (read-only,
 * sealed against writes, growing and shrinking), or ERROR(EOPNOTSUPP). */
struct shmb_proto_cache_page_reply {
        uint32_t size;      /* SHMB_PROTO_CACHE_PAGE_SIZE */
        uint32_t n_slots;   /* SHMB_PROTO_CACHE_SLOTS */
};

/* SHMB_PROTO_OPEN_CACHED: payload as OPEN; decided exactly as OPEN. Reply: FD_CACHED (one fd)
 * or ERROR. */
struct shmb_proto_fd_cached_reply {
        struct shmb_proto_fd_reply fd;
        uint32_t slot;      /* < SHMB_PROTO_CACHE_SLOTS, or SHMB_PROTO_CACHE_NONE */
        uint32_t reserved;
        uint64_t epoch;     /* the page's epoch at the decision */
        uint64_t gen;       /* the slot's value at the decision */
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
        uint32_t flags;     /* error 0: SHMB_PROTO_OBJ_*; else the SHMB_PROTO_REASON_* */
        uint64_t size;
};

/* The layout is the contract: a change here is a protocol change. */
_Static_assert(sizeof(struct shmb_proto_header) == 24, "header size");
_Static_assert(offsetof(struct shmb_proto_header, version) == 4, "header layout");
_Static_assert(offsetof(struct shmb_proto_header, seq) == 8, "header layout");
_Static_assert(offsetof(struct shmb_proto_header, len) == 12, "header layout");
_Static_assert(offsetof(struct shmb_proto_header, n_fds) == 16, "header layout");
_Static_assert(offsetof(struct shmb_proto_header, reserved) == 20, "header layout");
_Static_assert(sizeof(struct shmb_proto_create) == 32, "create size");
_Static_assert(offsetof(struct shmb_proto_create, name_len) == 12, "create layout");
_Static_assert(offsetof(struct shmb_proto_create, lifetime_usec) == 16, "create layout");
_Static_assert(offsetof(struct shmb_proto_create, lifetime) == 24, "create layout");
_Static_assert(sizeof(struct shmb_proto_open) == 8, "open size");
_Static_assert(sizeof(struct shmb_proto_name_req) == 8, "name request size");
_Static_assert(sizeof(struct shmb_proto_error) == 8, "error size");
_Static_assert(sizeof(struct shmb_proto_fd_reply) == 24, "fd reply size");
_Static_assert(offsetof(struct shmb_proto_fd_reply, flags) == 16, "fd reply layout");
_Static_assert(sizeof(struct shmb_proto_acl_entry) == 12, "acl entry size");
_Static_assert(sizeof(struct shmb_proto_stat_reply) == 64, "stat reply size");
_Static_assert(offsetof(struct shmb_proto_stat_reply, n_acl) == 28, "stat reply layout");
_Static_assert(offsetof(struct shmb_proto_stat_reply, ctime_usec) == 40, "stat reply layout");
_Static_assert(offsetof(struct shmb_proto_stat_reply, rule_len) == 60, "stat reply layout");
_Static_assert(sizeof(struct shmb_proto_list_detail) == 48, "list detail size");
_Static_assert(offsetof(struct shmb_proto_list_detail, rule_len) == 40, "list detail layout");
_Static_assert(sizeof(struct shmb_proto_status_reply) == 72, "status reply size");
_Static_assert(offsetof(struct shmb_proto_status_reply, max_objects) == 48, "status layout");
_Static_assert(sizeof(struct shmb_proto_status_user) == 24, "status user size");
_Static_assert(sizeof(struct shmb_proto_explain) == 24, "explain size");
_Static_assert(sizeof(struct shmb_proto_explain_reply) == 64, "explain reply size");
_Static_assert(offsetof(struct shmb_proto_explain_reply, reason) == 36, "explain layout");
_Static_assert(sizeof(struct shmb_proto_app_socket) == 8, "app socket size");
_Static_assert(sizeof(struct shmb_proto_app_socket_reply) == 8, "app socket reply size");
_Static_assert(sizeof(struct shmb_proto_resize) == 16, "resize size");
_Static_assert(sizeof(struct shmb_proto_publish) == 8, "publish size");
_Static_assert(sizeof(struct shmb_proto_wait) == 16, "wait size");
_Static_assert(sizeof(struct shmb_proto_event) == 8, "event size");
_Static_assert(sizeof(struct shmb_proto_list_reply) == 8, "list reply size");
_Static_assert(sizeof(struct shmb_proto_batch_req) == 8, "batch request size");
_Static_assert(sizeof(struct shmb_proto_batch_item) == 8, "batch item size");
_Static_assert(sizeof(struct shmb_proto_batch_reply) == 8, "batch reply size");
_Static_assert(sizeof(struct shmb_proto_batch_result) == 24, "batch result size");
_Static_assert(sizeof(struct shmb_proto_cache_head) == 16, "cache head size");
_Static_assert(sizeof(struct shmb_proto_cache_head) + SHMB_PROTO_CACHE_SLOTS * sizeof(uint64_t)
               <= SHMB_PROTO_CACHE_PAGE_SIZE, "cache page size");
_Static_assert(sizeof(struct shmb_proto_cache_page_reply) == 8, "cache page reply size");
_Static_assert(sizeof(struct shmb_proto_fd_cached_reply) == 48, "fd cached reply size");
_Static_assert(offsetof(struct shmb_proto_batch_result, size) == 16, "batch result layout");

/*
 * Decoded forms. The decoders below turn bytes into these and check every length; they do not
 * judge names (see shmb_name_normalize()) or policy.
 */
struct shmb_proto_request {
        uint16_t type;
        uint32_t seq;
        uint32_t access;                          /* CREATE, OPEN */
        uint64_t size;                            /* CREATE, RESIZE */
        uint32_t flags;                           /* CREATE, LIST, STAT, WAIT, EXPLAIN */
        uint32_t lifetime;                        /* CREATE: SHMB_PROTO_LIFETIME_* */
        uint64_t lifetime_usec;                   /* CREATE */
        uint64_t timeout_usec;                    /* WAIT */
        uint32_t mode;                            /* PUBLISH */
        uint16_t name_len;
        char name[SHMB_PROTO_NAME_WIRE_MAX + 1];  /* raw bytes, NUL added after name_len; also
                                                   * the cursor (LIST, STATUS), the pattern
                                                   * (WATCH) */
        uint16_t app_len;                         /* APP_SOCKET, EXPLAIN */
        char app[SHMB_PROTO_APP_ID_MAX + 1];      /* raw bytes, NUL added */
        /* EXPLAIN with EXPLAIN_USER: the identity asked about. */
        uint32_t uid;
        uint32_t gid;
        uint16_t n_groups;
        const uint8_t *groups;                    /* n_groups uint32_t, in the packet, maybe
                                                   * unaligned: read with memcpy */
        uint16_t user_name_len;
        char user_name[SHMB_PROTO_USER_NAME_MAX + 1];
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
        uint32_t reason;                          /* REPLY_ERROR: SHMB_PROTO_REASON_* */
        struct shmb_proto_fd_reply fd;            /* REPLY_FD, REPLY_FD_CACHED */
        struct shmb_proto_fd_cached_reply ticket; /* REPLY_FD_CACHED (its fd copied above) */
        struct shmb_proto_stat_reply stat;        /* REPLY_STAT */
        const char *rule;                         /* REPLY_STAT, _EXPLAIN: stat.rule_len or
                                                   * explain.rule_len bytes, in the packet */
        const char *app;                          /* REPLY_STAT: stat.app_len bytes */
        struct shmb_proto_acl_entry acl[SHMB_PROTO_ACL_MAX];
        uint32_t list_flags;                      /* REPLY_LIST */
        uint32_t n_names;
        const uint8_t *names;                     /* REPLY_LIST: points into the packet */
        size_t names_len;
        uint32_t n_results;                       /* REPLY_BATCH */
        struct shmb_proto_batch_result results[SHMB_PROTO_BATCH_MAX];
        struct shmb_proto_status_reply status;    /* REPLY_STATUS */
        const char *version;                      /* status.version_len bytes */
        const char *origin;                       /* status.origin_len bytes */
        const uint8_t *users;                     /* status.n_users entries, maybe unaligned:
                                                   * shmb_proto_status_user_get() */
        struct shmb_proto_explain_reply explain;  /* REPLY_EXPLAIN */
        const char *user_name;                    /* explain.user_name_len bytes */
        const char *path;                         /* REPLY_APP_SOCKET: path_len bytes */
        uint16_t path_len;
        struct shmb_proto_event event;            /* REPLY_EVENT */
        const char *event_name;                   /* event.name_len bytes */
};

int shmb_proto_decode_request(const void *buf, size_t len, size_t n_fds,
                              struct shmb_proto_request *ret);
int shmb_proto_decode_reply(const void *buf, size_t len, size_t n_fds,
                            struct shmb_proto_reply *ret);

/*
 * Encoders write a whole packet into buf and return its length, or -ENOBUFS if it does not
 * fit, or -EINVAL for arguments the protocol cannot carry.
 */
struct shmb_proto_create_args {
        uint64_t size;
        uint32_t access;
        uint16_t flags;             /* SHMB_PROTO_CREATE_* */
        uint32_t lifetime;          /* SHMB_PROTO_LIFETIME_* */
        uint64_t lifetime_usec;
};

int shmb_proto_encode_create(void *buf, size_t size, uint32_t seq, const char *name,
                             const struct shmb_proto_create_args *a);
int shmb_proto_encode_open(void *buf, size_t size, uint32_t seq, const char *name,
                           uint32_t access);
/* OPEN or OPEN_CACHED (@type). */
int shmb_proto_encode_open_as(void *buf, size_t size, uint16_t type, uint32_t seq,
                              const char *name, uint32_t access);
int shmb_proto_encode_cache_page(void *buf, size_t size, uint32_t seq);
/* UNLINK, STAT, LIST, STATUS, WATCH; @flags SHMB_PROTO_NAME_* (LIST, STAT only). */
int shmb_proto_encode_name_req(void *buf, size_t size, uint16_t type, uint32_t seq,
                               const char *name, uint32_t flags);
int shmb_proto_encode_open_batch(void *buf, size_t size, uint32_t seq, const char *const *names,
                                 const uint32_t *access, size_t n);
int shmb_proto_encode_resize(void *buf, size_t size, uint32_t seq, const char *name,
                             uint64_t object_size);
int shmb_proto_encode_publish(void *buf, size_t size, uint32_t seq, const char *name,
                              uint32_t mode);
int shmb_proto_encode_wait(void *buf, size_t size, uint32_t seq, const char *name,
                           uint64_t timeout_usec, uint32_t flags);
int shmb_proto_encode_app_socket(void *buf, size_t size, uint32_t seq, const char *app_id);

/* EXPLAIN: @user NULL for the caller's own identity (then @app may still be given). */
struct shmb_proto_explain_user {
        uint32_t uid;
        uint32_t gid;
        const uint32_t *groups;
        size_t n_groups;
        const char *user_name;      /* or NULL */
};

int shmb_proto_encode_explain(void *buf, size_t size, uint32_t seq, const char *name,
                              const struct shmb_proto_explain_user *user, const char *app_id);

int shmb_proto_encode_batch_reply(void *buf, size_t size, uint32_t seq,
                                  const struct shmb_proto_batch_result *results, size_t n);
int shmb_proto_encode_error(void *buf, size_t size, uint32_t seq, int error, uint32_t reason);
int shmb_proto_encode_ok(void *buf, size_t size, uint32_t seq);
int shmb_proto_encode_fd_reply(void *buf, size_t size, uint32_t seq,
                               const struct shmb_proto_fd_reply *fd);
int shmb_proto_encode_fd_cached_reply(void *buf, size_t size, uint32_t seq,
                                      const struct shmb_proto_fd_cached_reply *t);
int shmb_proto_encode_cache_page_reply(void *buf, size_t size, uint32_t seq);
/* @rule and @app: NULL or strings of at most SHMB_PROTO_RULE_ID_MAX/_APP_ID_MAX bytes (a
 * longer rule ID is cut); st->rule_len and st->app_len are set from them. */
int shmb_proto_encode_stat_reply(void *buf, size_t size, uint32_t seq,
                                 const struct shmb_proto_stat_reply *st, const char *rule,
                                 const char *app, const struct shmb_proto_acl_entry *acl);
/* st->version_len, origin_len and n_users are set from the arguments. */
int shmb_proto_encode_status_reply(void *buf, size_t size, uint32_t seq,
                                   const struct shmb_proto_status_reply *st,
                                   const char *version, const char *origin,
                                   const struct shmb_proto_status_user *users, size_t n_users);
int shmb_proto_encode_explain_reply(void *buf, size_t size, uint32_t seq,
                                    const struct shmb_proto_explain_reply *ex,
                                    const char *rule, const char *user_name);
int shmb_proto_encode_app_socket_reply(void *buf, size_t size, uint32_t seq, const char *path);
int shmb_proto_encode_event(void *buf, size_t size, uint32_t seq, uint32_t event,
                            const char *name);

/* The @i-th user of a decoded REPLY_STATUS. */
void shmb_proto_status_user_get(const struct shmb_proto_reply *r, size_t i,
                                struct shmb_proto_status_user *ret);

/*
 * List replies are built in place: begin, append names while they fit (-ENOBUFS when one does
 * not), finish. The builder keeps its state in struct shmb_proto_list_builder.
 */
struct shmb_proto_list_builder {
        uint8_t *buf;
        size_t size;
        size_t len;
        uint32_t n_names;
        uint32_t flags;     /* LIST_DETAILS once an entry with details is in: a page is all
                             * plain or all detailed, never mixed */
};

int shmb_proto_list_begin(struct shmb_proto_list_builder *b, void *buf, size_t size,
                          uint32_t seq);
int shmb_proto_list_append(struct shmb_proto_list_builder *b, const char *name);
/* With LIST_DETAILS (every entry of the page must have them: mixing is -EINVAL): @d's
 * rule_len and app_len are set from @rule and @app (NULL: none; a longer rule ID is cut). */
int shmb_proto_list_append_detailed(struct shmb_proto_list_builder *b, const char *name,
                                    const struct shmb_proto_list_detail *d, const char *rule,
                                    const char *app);
/* @flags: SHMB_PROTO_LIST_*; LIST_DETAILS is added when the entries have details (an empty
 * page may carry it, plain entries may not). */
int shmb_proto_list_finish(struct shmb_proto_list_builder *b, uint32_t flags);

/*
 * Walks the names of a decoded list reply (with LIST_DETAILS too: the details are skipped).
 * *cursor starts at 0. Returns 1 and the name (not NUL-terminated) with its length, 0 at the
 * end, -EBADMSG if the entries are malformed (the decoder has already checked them, so that
 * means a caller bug).
 */
int shmb_proto_list_next(const struct shmb_proto_reply *r, size_t *cursor, const char **ret_name,
                         size_t *ret_len);

/* As shmb_proto_list_next() for a reply with LIST_DETAILS (-EINVAL without): also the
 * details, the rule ID and the app id (not NUL-terminated; their lengths are in the detail). */
int shmb_proto_list_next_detailed(const struct shmb_proto_reply *r, size_t *cursor,
                                  const char **ret_name, size_t *ret_len,
                                  struct shmb_proto_list_detail *ret_detail,
                                  const char **ret_rule, const char **ret_app);

/* A short English text for a SHMB_PROTO_REASON_* ("no rule matches this name"), or NULL for
 * REASON_NONE and unknown values. */
const char *shmb_proto_reason_text(uint32_t reason);

/*
 * shmb_name_normalize() - check a requested name and bring it to its canonical form.
 *
 * An optional single leading '/', then 1 to SHMB_PROTO_NAME_MAX bytes with no '/', not "." or
 * "..", no control character and no NUL. "x" and "/x" both give "x". Writes the canonical name,
 * NUL-terminated, to ret (SHMB_PROTO_NAME_MAX + 1 bytes). Returns 0, -EINVAL or -ENAMETOOLONG.
 */
int shmb_name_normalize(const char *raw, size_t len, char *ret);
