/* SPDX-License-Identifier: MIT */
/*
 * limits.h - every limit the daemon enforces, in one place.
 *
 * Each is documented in shmbrokerd(8). Protocol-level limits (message size, fds per reply,
 * name length) live in proto/protocol.h because both ends enforce them.
 */
#pragma once

#include "protocol.h"

/* Connections. */
#define LIMIT_CONNECTIONS_TOTAL 16384   /* then accept() pauses until one closes */
/* Per uid: the policy's [Quota] MaxConnectionsPerUser= (default 64, at most the total). */

/* A connection that neither sends a request nor reads a reply for this long is closed
 * (slowloris; clients that never read). Overridden by --idle-timeout. */
#define LIMIT_IDLE_TIMEOUT_USEC (UINT64_C(300) * 1000000u)

/* A reply that the client does not read stays queued in the daemon: at most this many per
 * connection; past that the daemon stops reading the client's requests until it drains. */
#define LIMIT_REPLIES_QUEUED 8

/* Fds sent that the client has not read yet (they count against the daemon's uid in the
 * kernel): per connection; past that, the connection's next reply waits in its queue until its
 * client reads. Those, and the fds of replies queued (they sit in the daemon's fd table), are
 * held for the uid: at most LIMIT_FDS_HELD_PER_UID (and at most RLIMIT_NOFILE / 8), all uids
 * together at most RLIMIT_NOFILE / 2, and past half of that each uid only up to its share of
 * what is still free (conn.c). Past those, the uid's connections are not read until its
 * clients read. */
#define LIMIT_FDS_UNREAD_PER_CONN 64
#define LIMIT_FDS_HELD_PER_UID 1024

/* Fds a uid's clients sent that the closer thread has yet to close (kernels before 6.16,
 * which cannot refuse them): past this, the uid's new connections are refused until it
 * catches up. */
#define LIMIT_FDS_CLOSING_PER_UID 256

/* Threads looking up user names for new connections (resolver.c): a lookup that hangs (a
 * directory server for that uid not answering) holds one, and the others go on. */
#define LIMIT_RESOLVER_THREADS 4
/* ... and up to this many more while lookups have been running for over a second: those hang,
 * and the threads past them take the other uids' lookups. */
#define LIMIT_RESOLVER_THREADS_STUCK 12

/* Answers the name service gave, kept for the uid's next connections (resolver.c): how many
 * uids, and for how long a name (or, shorter, the answer that the uid has none). A reload
 * forgets them all. */
#define LIMIT_RESOLVER_KNOWN 1024
#define LIMIT_RESOLVER_KNOWN_USEC (60 * 1000000ULL)
#define LIMIT_RESOLVER_KNOWN_NONE_USEC (10 * 1000000ULL)

/* App sockets (appsock.h): how many one uid may hold open at once (each is a listening socket
 * and a name in the app directory), and how many of the uid's connections (its
 * MaxConnectionsPerUser=) its apps, through all its app sockets together, may take: half,
 * rounded down, so that its apps cannot lock the user out of the broker (none when
 * MaxConnectionsPerUser=1). One app may take all of that half from the user's other apps. */
#define LIMIT_APP_SOCKETS_PER_UID 64
#define LIMIT_APP_SOCKET_CONNECTIONS_SHARE 2  /* at most half of MaxConnectionsPerUser= */

/* App sockets in all (each a listening socket and a name in the app directory). Past half of
 * them, a uid holding at least LIMIT_APP_SOCKETS_FAIR_FLOOR gets another only while it holds
 * less than its share of those still free (conn-local.c, app_socket_fair()). */
#define LIMIT_APP_SOCKETS_TOTAL 4096
#define LIMIT_APP_SOCKETS_FAIR_FLOOR 4

/* WATCH: connections watching at once, and events queued for one watcher that does not read
 * (past that its watch ends with an OVERFLOW event). A WAIT needs no limit of its own: a
 * waiting connection is a connection, within MaxConnectionsPerUser=. A watching connection is
 * never idle, so past half of the watches a uid holding at least LIMIT_WATCHES_FAIR_FLOOR gets
 * another only while it holds less than its share of those still free (user_fair()). */
#define LIMIT_WATCHES 1024
#define LIMIT_WATCHES_FAIR_FLOOR 4
#define LIMIT_WATCH_EVENTS_QUEUED 64

/* Objects whose lifetime ended, removed per turn of the loop: a creator of 100k objects that
 * exits costs the other clients at most this many removals between two rounds of requests. */
#define LIMIT_EXPIRIES_PER_ROUND 64

/* Objects. */
#define LIMIT_SIZE_MAX (UINT64_C(1) << 40)  /* no segment is larger, whatever the policy says */
#define LIMIT_MEMFD_OBJECTS 65536           /* memfd objects held by the daemon in all */
#define FDSTORE_MAX_DEFAULT 4096            /* the unit's FileDescriptorStoreMax= */

/* Fds the daemon keeps open so that a connection's next open of the same object is one
 * sendmsg() (fdcache.h): none unless --kept-fds sets the total (at most LIMIT_KEPT_FDS_MAX);
 * each uid at most an eighth of that. */
#define LIMIT_KEPT_FDS_MAX 65536

/* Log rate limit for messages a client can trigger. */
#define LIMIT_LOG_UIDS 64
#define LIMIT_LOG_BURST 20
#define LIMIT_LOG_INTERVAL_USEC (10u * 1000u * 1000u)

/* Events handled per epoll_wait() round. */
#define LIMIT_EVENTS_PER_ROUND 64

/* Connections accepted per listener and round, at most. Who connects is not known before
 * accept(), so accepting cannot be fair between uids. A listener (the daemon's socket, or an
 * app socket) takes one accept per uid with a request waiting in the round, at least one and
 * at most this many: the accepts (each an accept, its credentials and its set-up or refusal,
 * 5 to 7 system calls) delay a round's requests in proportion to the round, and a flood of
 * connects waits in the kernel's backlog. With 4 whatever the round, a victim alone in its
 * round waited for 4 accepts per request of its own: under the bench's 4 processes of
 * fd-carrying connects on a 2-vCPU AMD VM its median open took 197 to 257 us, against 78 to
 * 153 us with 1 (BENCHMARKS.md); with 1 whatever the round, a new connection behind such a
 * flood waited 2 to 3 times as long while 8 to 16 uids were busy. */
#define LIMIT_ACCEPTS_PER_ROUND 4

/* Names in one LIST page: a page (a request) costs at most this many lookups, whatever the
 * registry holds, and delays other users' requests by that much. */
#define LIMIT_LIST_PAGE_NAMES 256
