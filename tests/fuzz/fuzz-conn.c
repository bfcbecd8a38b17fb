/* SPDX-License-Identifier: MIT */
/*
 * fuzz-conn.c - a whole daemon connection (conn.c, fdpass.c, broker.c and the backends) driven
 * over a socketpair, in the manner of systemd's fuzz-varlink.
 *
 * Each input gets a fresh server with a broker, a fixed policy (memfd and shm rules, numeric
 * principals, a small [Quota]) and the object directory, a fresh one under /dev/shm made once,
 * so that an input alone reproduces what it did in a fuzzing run. Then one connection:
 *
 *   byte 0       the requester: bits 0-1 pick uid 41001 (no name, groups 100 and 41001),
 *                root, nobody (65534) or the uid running the fuzzer; bit 2 shrinks the
 *                daemon's send buffer to the minimum, so that a few unread replies fill it
 *                and the daemon has to queue (a socketpair is otherwise never full: the
 *                receive queue limit does not apply between connected peers); bit 3 hangs
 *                up at the end without reading what is left, replies queued or not
 *   then packets, each a 3-byte header and its bytes:
 *     flags      bits 0-1: attach that many fds (/dev/null) with SCM_RIGHTS
 *                bit 2:    attach SHMB_PROTO_FDS_MAX + 1 fds instead (more than the daemon
 *                          takes: MSG_CTRUNC)
 *                bit 3:    run one loop round after sending
 *                bit 4:    then read the replies
 *                bit 5:    shut down the sending side after this packet, and stop
 *                bit 6:    before sending, remove every file of the object directory behind
 *                          the daemon's back (another writer, logind's RemoveIPC=)
 *                bit 7:    the packet is SHMB_PROTO_MSG_MAX + (len % 17) bytes, zero-padded
 *                          (too large to be accepted, cheap to express)
 *     len        16 bits, little-endian; the packet holds min(len, what is left) bytes
 *
 * After the packets the loop runs until it is idle and the replies are read (unless byte 0
 * says not to), the client side is closed, and the loop runs until the connection is gone.
 * Then every object is removed and the server freed.
 *
 * Checked, aborting on failure: every reply the daemon sends decodes as a reply, with the fd
 * count it announces and no truncation; an fd reply's fd has the access mode announced and the
 * size announced, and a memfd one carries the seals; the connection goes away once the client
 * has hung up; and no fd leaks across an input (LeakSanitizer covers memory).
 *
 * The daemon's log is formatted (so its format strings are exercised) but goes to /dev/null;
 * set SHMB_FUZZ_LOG=1 to see it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker.h"
#include "conn.h"
#include "fuzz.h"
#include "genpage.h"
#include "log.h"
#include "macro.h"
#include "worker.h"
#include "restore.h"
#include "policy.h"
#include "protocol.h"
#include "server.h"
#include "shm.h"

#ifndef F_GET_SEALS
#include <linux/fcntl.h>
#endif

/*
 * Numeric principals only: no NSS lookups at load, and the same policy everywhere. The quota
 * is small so that inputs reach it; a daemon without [Quota] support gets the rules alone.
 */
static const char quota_text[] =
        "[Quota]\n"
        "MaxObjectsPerUser=4\n"
        "MaxBytesPerUser=512K\n"
        "\n";
static const char policy_text[] =
        "[Segment mem]\n"
        "Names=m-*\n"
        "Create=41001 0\n"
        "ReadWrite=41001 @100\n"
        "ReadOnly=*\n"
        "MaxSize=64K\n"
        "Backend=memfd\n"
        "\n"
        "[Segment mine]\n"
        "Names=%U-mem-*\n"
        "Create=41001 0\n"
        "ReadWrite=41001 @100\n"
        "ReadOnly=*\n"
        "MaxSize=64K\n"
        "Backend=memfd\n"
        "\n"
        "[Segment board]\n"
        "Names=s-* /board\n"
        "Create=41001 0\n"
        "ReadWrite=41001\n"
        "ReadOnly=65534 @41002\n"
        "Mode=0640\n"
        "MaxSize=64K\n"
        "Backend=shm\n"
        "\n"
        "[Segment private]\n"
        "Names=%U-* %u-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "Owner=%U\n"
        "Group=%U\n"
        "Mode=0600\n"
        "MaxSize=256K\n"
        "\n"
        "[Segment read-only]\n"
        "Names=ro-*\n"
        "ReadOnly=*\n";

#define PACKET_MAX (SHMB_PROTO_MSG_MAX + 16)
#define ROUNDS_MAX 1024         /* loop rounds before a connection must be gone */

static struct server server;
static bool server_up;
#define DIR_PARENT "/dev/shm"
#define DIR_PREFIX "shmb-fuzz-conn."          /* then the pid, a dot and mkdtemp()'s suffix */
static char dir_path[sizeof(DIR_PARENT "/" DIR_PREFIX ".XXXXXX") + 3 * sizeof(pid_t)];
static bool dir_made;
/* The daemon's state directory (the registry's journal): dir_path with ".state" added. */
static char state_path[sizeof(dir_path) + sizeof(".state")];
static bool state_made;
static int state_fd = -1;
static int devnull_fd = -1;

static uint8_t packet[PACKET_MAX];
static uint8_t reply_buf[SHMB_PROTO_MSG_MAX + 1];
static struct shmb_proto_reply reply;

static int count_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        struct dirent *de;
        int n = 0;

        if (!d)
                return -1;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n - 1; /* the directory's own fd */
}

/* Removes every file of a directory: the shm objects, and anything else. A directory (the
 * daemon's trash, while it runs) is left. */
static int remove_files_in(const char *path)
{
        struct dirent *de;
        DIR *d;
        int r = 0;

        d = opendir(path);
        if (!d)
                return -errno;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
                    unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != EISDIR)
                        r = -errno;
        closedir(d);
        return r;
}

static void remove_files(void)
{
        FUZZ_CHECK(remove_files_in(dir_path) == 0);
}

/*
 * A run that crashed never got to its atexit() handler: remove the directories of fuzz-conn
 * processes that are gone. The pid in the name says whose a directory is.
 */
static void remove_stale_dirs(void)
{
        struct dirent *de;
        DIR *d;

        d = opendir(DIR_PARENT);
        if (!d)
                return;
        while ((de = readdir(d))) {
                char path[sizeof(DIR_PARENT) + sizeof(de->d_name) + 1];
                const char *p;
                char *end;
                long pid;

                if (strncmp(de->d_name, DIR_PREFIX, strlen(DIR_PREFIX)) != 0)
                        continue;
                p = de->d_name + strlen(DIR_PREFIX);
                errno = 0;
                pid = strtol(p, &end, 10);
                if (errno != 0 || end == p || *end != '.' || pid <= 0 || pid > INT32_MAX)
                        continue;
                if (kill((pid_t) pid, 0) == 0 || errno != ESRCH)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", DIR_PARENT, de->d_name);
                if (remove_files_in(path) == 0)
                        (void) rmdir(path);
        }
        closedir(d);
}

/* Every input starts from nothing: no objects, no registry. */
static void server_stop(void)
{
        if (!server_up)
                return;
        server_deinit(&server);
        remove_files();
        FUZZ_CHECK(remove_files_in(state_path) == 0);
        state_fd = safe_close(state_fd);
        server_up = false;
}

static void server_start(void)
{
        _cleanup_(freep) char *text = NULL;
        struct policy *p = NULL;
        struct broker *b;
        char *error = NULL;
        int r, dir_fd;

        r = shm_dir_open(dir_path, &dir_fd);
        if (r < 0)
                dprintf(STDERR_FILENO, "fuzz-conn: cannot use %s: %s\n", dir_path,
                        strerror(-r));
        FUZZ_CHECK(r >= 0);

        FUZZ_CHECK(asprintf(&text, "%s%s", quota_text, policy_text) > 0);
        r = policy_load_string(text, "<fuzz-conn>", &p, &error);
        if (r == -EINVAL) {
                free(error);
                error = NULL;
                r = policy_load_string(policy_text, "<fuzz-conn>", &p, &error);
        }
        if (r < 0)
                dprintf(STDERR_FILENO, "fuzz-conn: policy refused: %s\n", error ? error : "?");
        FUZZ_CHECK(r >= 0);
        state_fd = open(state_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        FUZZ_CHECK(state_fd >= 0);
        FUZZ_CHECK(broker_restore(p, state_fd, dir_fd, NULL, 0, 0, &b) >= 0);
        FUZZ_CHECK(server_init(&server, b) >= 0);
        /* As the daemon runs: fds a client sends (a socketpair has no SO_PASSRIGHTS) go to
         * the closer thread; server_deinit() waits for it. */
        FUZZ_CHECK(worker_new(server.loop, 1, &server.closer) >= 0);
        server_up = true;
}

static void teardown(void)
{
        server_stop();
        if (dir_made)
                (void) rmdir(dir_path);
        dir_made = false;
        if (state_made)
                (void) rmdir(state_path);
        state_made = false;
}

/* Once per process: quiet log, SIGPIPE, /dev/null, the object directory. */
static void setup(void)
{
        int fd;

        if (devnull_fd >= 0)
                return;

        log_set_max_level(LOG_DEBUG);
        if (!getenv("SHMB_FUZZ_LOG")) {
                /* glibc's stderr is a plain variable; libFuzzer and the sanitizers write to
                 * fd 2 (or kept their own FILE *), and FUZZ_CHECK() too. */
                FILE *f = fopen("/dev/null", "we");

                FUZZ_CHECK(f);
                stderr = f;
        }
        (void) signal(SIGPIPE, SIG_IGN);
        umask(0077);

        devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        FUZZ_CHECK(devnull_fd >= 0);

        remove_stale_dirs();
        snprintf(dir_path, sizeof(dir_path), "%s/%s%d.XXXXXX", DIR_PARENT, DIR_PREFIX,
                 (int) getpid());
        if (!mkdtemp(dir_path)) {
                dprintf(STDERR_FILENO, "fuzz-conn: cannot create %s: %m; is /dev/shm a "
                        "tmpfs? Skipping.\n", dir_path);
                exit(77);
        }
        dir_made = true;
        snprintf(state_path, sizeof(state_path), "%s.state", dir_path);
        FUZZ_CHECK(mkdir(state_path, 0700) == 0);
        state_made = true;
        atexit(teardown);
        /* The daemon wants tmpfs; find out now, and skip rather than fail elsewhere. */
        if (shm_dir_open(dir_path, &fd) < 0) {
                dprintf(STDERR_FILENO, "fuzz-conn: %s is not usable as an object directory. "
                        "Skipping.\n", dir_path);
                exit(77);
        }
        close(fd);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        setup();
        /* The daemon's generation page, as main() makes it: CACHE_PAGE and the tickets of
         * OPEN_CACHED are the connection's to fuzz too. */
        FUZZ_CHECK(genpage_init() >= 0);
        return 0;
}

static void make_identity(uint8_t sel, struct identity *ret)
{
        struct identity id = { .uid = (uid_t) -1, .gid = (gid_t) -1 };
        struct passwd *pw;

        switch (sel & 3) {
        case 0:
                id.uid = 41001;
                id.gid = 41001;
                id.groups = calloc(2, sizeof(gid_t));
                FUZZ_CHECK(id.groups);
                id.groups[0] = 100;
                id.groups[1] = 41001;
                id.n_groups = 2;
                break;
        case 1:
                id.uid = 0;
                id.gid = 0;
                id.user_name = strdup("root");
                FUZZ_CHECK(id.user_name);
                break;
        case 2:
                id.uid = 65534;
                id.gid = 65534;
                id.user_name = strdup("nobody");
                FUZZ_CHECK(id.user_name);
                break;
        default:
                id.uid = getuid();
                id.gid = getgid();
                pw = getpwuid(id.uid);
                if (pw) {
                        id.user_name = strdup(pw->pw_name);
                        FUZZ_CHECK(id.user_name);
                }
                break;
        }
        id.pid = getpid();
        *ret = id;
}

/* What an fd reply (or a batch result) promises about its fd. */
static void check_reply_fd(int fd, uint32_t access, uint32_t backend, uint64_t size)
{
        struct stat st;
        int flags;

        flags = fcntl(fd, F_GETFL);
        FUZZ_CHECK(flags >= 0);
        FUZZ_CHECK((flags & O_ACCMODE) == (access == SHMB_PROTO_ACCESS_RDWR ? O_RDWR : O_RDONLY));
        FUZZ_CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        FUZZ_CHECK(fstat(fd, &st) == 0);
        FUZZ_CHECK(S_ISREG(st.st_mode));
        FUZZ_CHECK((uint64_t) st.st_size == size);
        if (backend == SHMB_PROTO_BACKEND_MEMFD) {
                int seals = fcntl(fd, F_GET_SEALS);

                FUZZ_CHECK(seals >= 0);
                FUZZ_CHECK((seals & (F_SEAL_SHRINK | F_SEAL_GROW)) ==
                           (F_SEAL_SHRINK | F_SEAL_GROW));
        } else
                FUZZ_CHECK(backend == SHMB_PROTO_BACKEND_SHM);
}

static void check_reply_fds(const struct shmb_proto_reply *r, const int *fds, size_t n_fds)
{
        size_t i, k = 0;

        if (r->type == SHMB_PROTO_REPLY_FD || r->type == SHMB_PROTO_REPLY_FD_CACHED) {
                FUZZ_CHECK(n_fds == 1);
                check_reply_fd(fds[0], r->fd.access, r->fd.backend, r->fd.size);
        } else if (r->type == SHMB_PROTO_REPLY_CACHE_PAGE) {
                struct stat st;
                int seals;

                /* The page: read-only, one page, and no one's to change but the daemon's. */
                FUZZ_CHECK(n_fds == 1);
                FUZZ_CHECK((fcntl(fds[0], F_GETFL) & O_ACCMODE) == O_RDONLY);
                FUZZ_CHECK(fstat(fds[0], &st) == 0 && S_ISREG(st.st_mode) &&
                           st.st_size == SHMB_PROTO_CACHE_PAGE_SIZE);
                seals = fcntl(fds[0], F_GET_SEALS);
                FUZZ_CHECK(seals >= 0 && (seals & F_SEAL_SEAL) && (seals & F_SEAL_SHRINK));
        } else if (r->type == SHMB_PROTO_REPLY_BATCH) {
                /* The fds come in the order of the successful results. */
                for (i = 0; i < r->n_results; i++) {
                        if (r->results[i].error != 0)
                                continue;
                        FUZZ_CHECK(k < n_fds);
                        check_reply_fd(fds[k++], r->results[i].access, r->results[i].backend,
                                       r->results[i].size);
                }
                FUZZ_CHECK(k == n_fds);
        } else
                FUZZ_CHECK(n_fds == 0);
}

/* Reads every reply waiting on the client side. Returns false once the daemon has hung up. */
static bool drain(int sock)
{
        for (;;) {
                union {
                        struct cmsghdr align;
                        char buf[CMSG_SPACE(sizeof(int) * (SHMB_PROTO_FDS_MAX + 1))];
                } control;
                struct iovec iov = { .iov_base = reply_buf, .iov_len = sizeof(reply_buf) };
                struct msghdr mh = {
                        .msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = &control,
                        .msg_controllen = sizeof(control),
                };
                int fds[SHMB_PROTO_FDS_MAX + 1];
                struct cmsghdr *c;
                size_t n_fds = 0, i;
                ssize_t n;
                int r;

                n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        FUZZ_CHECK(errno == EAGAIN || errno == ECONNRESET);
                        return errno == EAGAIN;
                }
                for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
                        size_t k;

                        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                                continue;
                        k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        for (i = 0; i < k; i++) {
                                FUZZ_CHECK(n_fds < ELEMENTSOF(fds));
                                memcpy(&fds[n_fds++], CMSG_DATA(c) + i * sizeof(int),
                                       sizeof(int));
                        }
                }
                if (n == 0) {
                        FUZZ_CHECK(n_fds == 0);
                        return false;
                }

                /* The daemon never sends what a client cannot take whole, or cannot parse. */
                FUZZ_CHECK(!(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)));
                FUZZ_CHECK(n_fds <= SHMB_PROTO_FDS_MAX);
                r = shmb_proto_decode_reply(reply_buf, (size_t) n, n_fds, &reply);
                if (r < 0)
                        dprintf(STDERR_FILENO, "fuzz-conn: reply of %zd bytes with %zu fds "
                                "does not decode: %s\n", n, n_fds, strerror(-r));
                FUZZ_CHECK(r == 0);
                check_reply_fds(&reply, fds, n_fds);

                for (i = 0; i < n_fds; i++)
                        close(fds[i]);
        }
}

/* Sends one packet with @n_fds copies of /dev/null. 0, -EAGAIN, or another -errno. */
static int send_packet(int sock, const void *buf, size_t len, size_t n_fds)
{
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * (SHMB_PROTO_FDS_MAX + 1))];
        } control;
        struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        size_t i;

        if (n_fds > 0) {
                struct cmsghdr *c;

                memset(&control, 0, sizeof(control));
                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
                for (i = 0; i < n_fds; i++)
                        memcpy(CMSG_DATA(c) + i * sizeof(int), &devnull_fd, sizeof(int));
        }
        if (sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
                return -errno;
        return 0;
}

/* Runs the loop until a round has nothing to do, reading replies as they come. */
static bool pump(int sock, bool *peer_open)
{
        int i, n = 0;

        for (i = 0; i < ROUNDS_MAX; i++) {
                n = server_run_once(&server, 0);
                FUZZ_CHECK(n >= 0);
                if (*peer_open)
                        *peer_open = drain(sock);
                if (n == 0)
                        return true;
        }
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct user_charge charge = {};
        struct identity id;
        size_t pos = 1;
        bool peer_open = true, sending = true;
        int fds[2], fd_count, r, i;

        if (size < 1)
                return 0;
        setup();
        fd_count = count_fds();
        server_start();

        FUZZ_CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0,
                              fds) == 0);
        make_identity(data[0], &id);
        /* As listener.c does: the connection counts against its uid from the start. */
        {
                struct user *u = user_get(&server.broker->users, id.uid);

                FUZZ_CHECK(u);
                FUZZ_CHECK(user_charge(u, &charge, USER_SLOT_CONNECTIONS, 1,
                                       USER_UNLIMITED) == 0);
                user_unref(u);
        }
        if (data[0] & 4) {
                int one = 1;

                /* The kernel rounds this up to its minimum, a few packets' worth. */
                FUZZ_CHECK(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &one, sizeof(one)) == 0);
        }
        r = conn_new(&server, fds[0], &id, &charge, NULL, NULL, NULL);
        FUZZ_CHECK(r == 0);
        FUZZ_CHECK(server.n_conns == 1);

        while (sending && size - pos >= 3) {
                uint8_t flags = data[pos];
                size_t len = (size_t) data[pos + 1] | (size_t) data[pos + 2] << 8, avail;
                size_t n_fds = (flags & 4) ? SHMB_PROTO_FDS_MAX + 1 : (flags & 3);

                pos += 3;
                avail = size - pos;
                if (flags & 0x40)
                        remove_files();
                if (flags & 0x80) {
                        len = SHMB_PROTO_MSG_MAX + len % 17;
                        memset(packet, 0, len);
                        memcpy(packet, data + pos, avail < len ? avail : len);
                        pos += avail < len ? avail : len;
                } else {
                        if (len > avail)
                                len = avail;
                        memcpy(packet, data + pos, len);
                        pos += len;
                }

                r = send_packet(fds[1], packet, len, n_fds);
                if (r == -EAGAIN) {
                        /* The daemon has not read yet: let it, then try once more. */
                        (void) pump(fds[1], &peer_open);
                        r = send_packet(fds[1], packet, len, n_fds);
                }
                if (r < 0) {
                        /* Full, or the daemon closed the connection: stop sending. */
                        FUZZ_CHECK(r == -EAGAIN || r == -EPIPE || r == -ECONNRESET);
                        break;
                }
                if (flags & 8) {
                        FUZZ_CHECK(server_run_once(&server, 0) >= 0);
                        if ((flags & 0x10) && peer_open)
                                peer_open = drain(fds[1]);
                }
                if (flags & 0x20) {
                        (void) shutdown(fds[1], SHUT_WR);
                        sending = false;
                }
        }

        /* Let the daemon answer everything it can, then hang up and wait for it to notice. */
        if (!(data[0] & 8))
                (void) pump(fds[1], &peer_open);
        close(fds[1]);
        for (i = 0; i < ROUNDS_MAX && server.n_conns > 0; i++)
                FUZZ_CHECK(server_run_once(&server, 0) >= 0);
        if (server.n_conns > 0)
                dprintf(STDERR_FILENO, "fuzz-conn: connection still open %d rounds after "
                        "the client hung up\n", ROUNDS_MAX);
        FUZZ_CHECK(server.n_conns == 0);
        FUZZ_CHECK(!server.conns);

        server_stop();
        if (fd_count >= 0)
                FUZZ_CHECK(count_fds() == fd_count);
        return 0;
}
