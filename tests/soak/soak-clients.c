/* SPDX-License-Identifier: MIT */
/*
 * soak-clients.c - the client processes of shmb-soak.
 *
 * A well-behaved client creates, maps, writes, reopens and checks, batch-opens, stats and
 * unlinks its own segments and reads the shared ones, through the library, reconnecting now
 * and then. It counts what succeeded, what failed (by errno) and any content that was not what
 * was written, and times each shmb_open() and shmb_create() into its histograms (by phase:
 * alone, or with the misbehaving clients), except the first request on each connection,
 * which also waits for the daemon's accept and its lookup of the caller.
 *
 * A misbehaving client runs one scenario after another, at random (enum soak_scenario): it
 * sends what a hostile or broken client would and checks that the daemon answers the way
 * PROTOCOL.md and shmbrokerd(8) say. What it cannot stop - the daemon's own answers being
 * wrong - it counts as an anomaly and describes in a note; the daemon's resource use is the
 * parent's business.
 *
 * Every wait is bounded and every loop checks the stop flag, so a worker ends within a few
 * seconds of being told.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "shmbroker.h"
#include "soak.h"

#define RAW_TIMEOUT_MS 5000u
#define LIB_TIMEOUT_MS 10000u
#define NAME_LEN 96
#define NEVER_READ_MAX 40u
#define CRASH_NAMES 8u
#define QUOTA_NAMES (2u * SOAK_MAX_OBJECTS)

static struct soak_shared *S;
static struct soak_worker *W;
static size_t W_index;
static uint64_t rng_state;

/* Objects a worker may have left behind (a crash, a closed connection racing an unlink):
 * unlinked by its next run of the same scenario, so their number stays bounded. */
static uint8_t quota_left[QUOTA_NAMES];

static const char *const scenario_names[_SC_MAX] = {
        [SC_GOOD] = "well-behaved",
        [SC_NEVER_READ] = "never-read",
        [SC_GARBAGE] = "garbage",
        [SC_TRUNCATED] = "truncated",
        [SC_ATTACH_FDS] = "attach-fds",
        [SC_IDLE] = "idle",
        [SC_FLOOD] = "conn-flood",
        [SC_QUOTA] = "quota",
        [SC_BATCH] = "batch",
        [SC_CRASH_KILL] = "crash-kill",
        [SC_CRASH_EXIT] = "crash-exit",
        [SC_INVALID] = "invalid",
        [SC_RO_OPEN] = "read-only",
};

const char *soak_scenario_name(int sc)
{
        return sc >= 0 && sc < _SC_MAX ? scenario_names[sc] : "?";
}

void soak_shared_name(char *buf, size_t size, unsigned i, bool memfd)
{
        snprintf(buf, size, "%s-%02u", memfd ? "rom" : "ro", i);
}

/* ---------------------------------------------------------------- bookkeeping */

static uint64_t rnd64(void)
{
        uint64_t x = rng_state;

        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        rng_state = x;
        return x * UINT64_C(0x2545f4914f6cdd1d);
}

static unsigned rnd(unsigned n)
{
        return n ? (unsigned) (rnd64() % n) : 0;
}

static void reseed(uint64_t seed)
{
        rng_state = seed * UINT64_C(0x9e3779b97f4a7c15) + 0x1234567;
        if (rng_state == 0)
                rng_state = 1;
        (void) rnd64();
}

static bool stopping(void)
{
        return S->stop != 0;
}

/* Sleeps @ms in slices, returning early when told to stop. */
static void nap(unsigned ms)
{
        while (ms > 0 && !stopping()) {
                unsigned k = ms > 100 ? 100 : ms;

                tl_sleep_ms(k);
                ms -= k;
        }
}

static void count_err(int r)
{
        unsigned e = (unsigned) (r < 0 ? -r : r);

        if (e >= SOAK_ERRNO_SLOTS)
                e = SOAK_ERRNO_SLOTS - 1;
        W->errors[e]++;
}

SOAK_PRINTF(2, 3)
static void anomaly(int sc, const char *fmt, ...)
{
        va_list ap;
        int n;

        W->anomalies[sc]++;
        if (W->n_notes >= SOAK_NOTES)
                return;
        n = snprintf(W->notes[W->n_notes], SOAK_NOTE_LEN, "%s, uid %u: ",
                     soak_scenario_name(sc), (unsigned) W->uid);
        va_start(ap, fmt);
        if (n > 0 && (size_t) n < SOAK_NOTE_LEN)
                vsnprintf(W->notes[W->n_notes] + n, SOAK_NOTE_LEN - (size_t) n, fmt, ap);
        va_end(ap);
        W->n_notes++;
}

/* Errors after which a library connection is useless (see shmbroker.h), plus EDQUOT, which a
 * refused connection answers its first request with. */
static bool drops_connection(int r)
{
        return r == -ECONNRESET || r == -EPIPE || r == -ENOTCONN || r == -ETIMEDOUT ||
               r == -EPROTO || r == -EPROTONOSUPPORT || r == -EBADMSG || r == -EDQUOT ||
               r == -ECONNREFUSED;
}

static void own_name(char *buf, char kind, const char *what, unsigned k)
{
        snprintf(buf, NAME_LEN, "%c-%u-b%zu-%s%u", kind, (unsigned) W->uid, W_index, what, k);
}

static void shared_random(char *buf, size_t size, bool *ret_memfd)
{
        bool memfd = rnd(2);

        soak_shared_name(buf, size, rnd(SOAK_N_SHARED), memfd);
        if (ret_memfd)
                *ret_memfd = memfd;
}

static struct shmb_client *lib_connect(void)
{
        struct shmb_client *c = NULL;
        int r = shmb_connect(S->socket_path, &c);

        if (r < 0) {
                count_err(r);
                return NULL;
        }
        (void) shmb_client_set_timeout(c, LIB_TIMEOUT_MS);
        return c;
}

/* Maps @fd and checks size and content. Return: 1 good, 0 bad content, -errno. */
static int map_check(int fd, int access, uint64_t size, uint64_t tag, bool rewrite)
{
        void *p;
        size_t len;
        int r = shmb_map(fd, access, &p, &len);

        if (r < 0)
                return r;
        r = len == size && soak_check(p, len, tag);
        if (r && rewrite && access == SHMB_ACCESS_RDWR)
                soak_fill(p, len, tag);
        (void) munmap(p, len);
        return r;
}

/* Unlinks names quietly (a crashed or cut-off earlier run may or may not have made them). */
static void unlink_quietly(char names[][NAME_LEN], size_t n)
{
        struct shmb_client *c;
        size_t i;

        if (n == 0)
                return;
        c = lib_connect();
        if (!c)
                return;
        for (i = 0; i < n; i++) {
                int r = shmb_unlink(c, names[i]);

                if (r == -ENOTCONN || r == -ECONNRESET || r == -EPIPE || r == -EDQUOT ||
                    r == -ETIMEDOUT) {
                        shmb_client_free(c);
                        c = lib_connect();
                        if (!c)
                                return;
                        (void) shmb_unlink(c, names[i]);
                }
        }
        shmb_client_free(c);
}

/* Waits for the daemon to hang up without reading anything (reading would count as activity).
 * Return: 1 hung up, 0 not within @ms (or stopping), -errno. */
static int wait_hangup_noread(int fd, unsigned ms)
{
        uint64_t deadline = tl_now_ns() + (uint64_t) ms * 1000000;

        while (!stopping()) {
                struct pollfd p = { .fd = fd, .events = POLLRDHUP };
                uint64_t now = tl_now_ns();
                int k;

                if (now >= deadline)
                        return 0;
                k = poll(&p, 1, deadline - now > 100000000 ? 100 :
                                        (int) ((deadline - now) / 1000000) + 1);
                if (k < 0 && errno != EINTR)
                        return -errno;
                if (k > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
                        return 1;
        }
        return 0;
}

/* Whether the reply is the daemon refusing the connection at accept (MaxConnectionsPerUser=). */
static bool is_refusal(const struct shmb_proto_reply *reply)
{
        return reply->type == SHMB_PROTO_REPLY_ERROR && reply->seq == 0 &&
               reply->error == EDQUOT;
}

static void close_fds(int *fds, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++)
                if (fds[i] >= 0)
                        (void) close(fds[i]);
}

/*
 * Sends a packet of @len bytes from out[] and receives one reply (fds into @fds, or closed).
 * A send that fails because the daemon already hung up (a connection refused at accept) still
 * reads what the daemon said before it did.
 */
static uint8_t out[SHMB_PROTO_MSG_MAX + 16384];

static int raw_call(int fd, size_t len, struct shmb_proto_reply *reply, int *fds, size_t *n_fds)
{
        int r = tl_raw_send(fd, out, len, NULL, 0, 0);

        if (n_fds)
                *n_fds = 0;
        if (r == -EPIPE || r == -ECONNRESET) {
                int k = soak_raw_reply(fd, reply, fds, n_fds);

                return k == 0 && is_refusal(reply) ? 0 : r;
        }
        if (r < 0)
                return r;
        return soak_raw_reply(fd, reply, fds, n_fds);
}

/* ---------------------------------------------------------------- encoders */

static size_t enc_open(uint32_t seq, const char *name, uint32_t access)
{
        int n = shmb_proto_encode_open(out, sizeof(out), seq, name, access);

        return n > 0 ? (size_t) n : 0;
}

static size_t enc_create(uint32_t seq, const char *name, uint64_t size, uint32_t access)
{
        int n = shmb_proto_encode_create(out, sizeof(out), seq, name,
                                         &(struct shmb_proto_create_args) {
                                                 .size = size, .access = access,
                                         });

        return n > 0 ? (size_t) n : 0;
}

static size_t enc_name(uint16_t type, uint32_t seq, const char *name)
{
        int n = shmb_proto_encode_name_req(out, sizeof(out), type, seq, name, 0);

        return n > 0 ? (size_t) n : 0;
}

static size_t enc_batch(uint32_t seq, size_t n_names, bool memfd)
{
        char names[SHMB_PROTO_BATCH_MAX][16];
        const char *p[SHMB_PROTO_BATCH_MAX];
        uint32_t access[SHMB_PROTO_BATCH_MAX];
        size_t i;
        int n;

        for (i = 0; i < n_names; i++) {
                soak_shared_name(names[i], sizeof(names[i]), (unsigned) i % SOAK_N_SHARED,
                                 memfd);
                p[i] = names[i];
                access[i] = SHMB_PROTO_ACCESS_RDONLY;
        }
        n = shmb_proto_encode_open_batch(out, sizeof(out), seq, p, access, n_names);
        return n > 0 ? (size_t) n : 0;
}

/* Raw-built packets with any content: header then payload. */
static size_t enc_raw(struct shmb_proto_header h, const void *payload, size_t len)
{
        memcpy(out, &h, sizeof(h));
        if (len > 0)
                memcpy(out + sizeof(h), payload, len);
        return sizeof(h) + len;
}

/* Raw open with a name of @name_len bytes of 'a' after "m-". */
static size_t enc_open_long(uint32_t seq, size_t name_len, uint32_t access)
{
        struct shmb_proto_open o = { .access = access, .name_len = (uint16_t) name_len };
        uint8_t payload[sizeof(o) + 2048];

        memcpy(payload, &o, sizeof(o));
        memset(payload + sizeof(o), 'a', name_len);
        if (name_len >= 2)
                memcpy(payload + sizeof(o), "m-", 2);
        return enc_raw(tl_proto_header(SHMB_PROTO_OPEN, seq, (uint32_t) (sizeof(o) + name_len)),
                       payload, sizeof(o) + name_len);
}

/* ---------------------------------------------------------------- well-behaved */

/* Whether the connection of good_main() has had an answer: only then is a call a plain round
 * trip, without the accept and identity lookup of a new connection. */
static bool conn_warm;

struct lat_timer {
        int phase;
        uint64_t t0;
        bool on;
};

static struct lat_timer lat_start(void)
{
        return (struct lat_timer) { .phase = S->phase, .t0 = tl_now_ns(), .on = conn_warm };
}

/* Records the call begun at @t, whatever its result (the errors are counted apart), if it
 * began and ended in the same phase and before the stop. */
static void lat_stop(const struct lat_timer *t, enum soak_op op)
{
        uint64_t ns = tl_now_ns() - t->t0;

        if (t->on && t->phase == S->phase && t->phase >= 0 && t->phase < _SOAK_PHASE_MAX &&
            !stopping())
                soak_hist_add(&W->latency[t->phase][op], ns);
}

struct own_obj {
        char name[NAME_LEN];
        uint64_t size;
        bool memfd;
};

static int good_create(struct shmb_client *c, struct own_obj *own, size_t *n_own,
                       uint64_t *counter)
{
        struct own_obj *o = &own[*n_own];
        struct shmb_fd_info info;
        struct lat_timer t;
        void *p;
        size_t len;
        int fd, r;

        unsigned kind = rnd(5);

        /* m-* (memfd), s-* (shm) or u<uid>-* (shm, a per-user rule: Names=u%U-*). */
        o->memfd = kind < 2;
        o->size = 4096u * (1 + rnd(16));
        if (kind == 4)
                snprintf(o->name, sizeof(o->name), "u%u-g%zu-%llu", (unsigned) W->uid, W_index,
                         (unsigned long long) (*counter)++);
        else
                snprintf(o->name, sizeof(o->name), "%c-%u-g%zu-%llu", o->memfd ? 'm' : 's',
                         (unsigned) W->uid, W_index, (unsigned long long) (*counter)++);
        t = lat_start();
        r = shmb_create(c, o->name, o->size, SHMB_ACCESS_RDWR, &fd, &info);
        lat_stop(&t, SOAK_OP_CREATE);
        if (r < 0)
                return r;
        (*n_own)++;
        if (info.size != o->size || info.access != SHMB_ACCESS_RDWR ||
            info.backend != (o->memfd ? SHMB_BACKEND_MEMFD : SHMB_BACKEND_SHM)) {
                W->corrupt++;
                anomaly(SC_GOOD, "create '%s': reply says size %llu access %u backend %u",
                        o->name, (unsigned long long) info.size, info.access, info.backend);
        }
        r = shmb_map(fd, SHMB_ACCESS_RDWR, &p, &len);
        close(fd);
        if (r < 0)
                return r;
        if (len != o->size) {
                W->corrupt++;
                anomaly(SC_GOOD, "create '%s': mapped %zu bytes, asked for %llu", o->name, len,
                        (unsigned long long) o->size);
        } else
                soak_fill(p, len, soak_name_tag(o->name));
        (void) munmap(p, len);
        return 0;
}

static void good_verify_fd(int fd, int access, const char *name, uint64_t size, bool rewrite)
{
        int r = map_check(fd, access, size, soak_name_tag(name), rewrite);

        if (r < 0)
                count_err(r);
        else if (r == 0) {
                W->corrupt++;
                anomaly(SC_GOOD, "'%s': mapped content or size is not what was written",
                        name);
        }
}

static int good_open(struct shmb_client *c, const struct own_obj *o)
{
        static const int accesses[] = { SHMB_ACCESS_RDONLY, SHMB_ACCESS_RDWR, SHMB_ACCESS_ANY };
        int access = accesses[rnd(3)], fd, r;
        struct shmb_fd_info info;
        struct lat_timer t = lat_start();

        r = shmb_open(c, o->name, access, &fd, &info);
        lat_stop(&t, SOAK_OP_OPEN);
        if (r < 0)
                return r;
        if (info.access != (access == SHMB_ACCESS_ANY ? SHMB_ACCESS_RDWR : (uint32_t) access)) {
                W->corrupt++;
                anomaly(SC_GOOD, "open '%s' access %d: granted %u", o->name, access,
                        info.access);
        }
        good_verify_fd(fd, (int) info.access, o->name, o->size, true);
        close(fd);
        return 0;
}

static int good_shared(struct shmb_client *c)
{
        char name[16];
        struct shmb_fd_info info;
        struct lat_timer t;
        int access, fd, r;

        shared_random(name, sizeof(name), NULL);
        access = rnd(2) ? SHMB_ACCESS_RDONLY : SHMB_ACCESS_ANY;
        t = lat_start();
        r = shmb_open(c, name, access, &fd, &info);
        lat_stop(&t, SOAK_OP_OPEN);
        if (r < 0)
                return r;
        /* Read-only mapping even with a writable fd: the shared objects stay as written. */
        good_verify_fd(fd, SHMB_ACCESS_RDONLY, name, SOAK_SHARED_SIZE, false);
        close(fd);
        return 0;
}

static int good_batch(struct shmb_client *c, const struct own_obj *own, size_t n_own)
{
        struct shmb_open_req reqs[SHMB_BATCH_MAX];
        char shared[SHMB_BATCH_MAX][16];
        uint64_t sizes[SHMB_BATCH_MAX];
        size_t n = 1 + rnd(SHMB_BATCH_MAX), i;
        int r;

        for (i = 0; i < n; i++) {
                if (n_own > 0 && rnd(2)) {
                        const struct own_obj *o = &own[rnd((unsigned) n_own)];

                        reqs[i] = (struct shmb_open_req) { .name = o->name,
                                                           .access = SHMB_ACCESS_ANY };
                        sizes[i] = o->size;
                } else {
                        shared_random(shared[i], sizeof(shared[i]), NULL);
                        reqs[i] = (struct shmb_open_req) { .name = shared[i],
                                                           .access = SHMB_ACCESS_RDONLY };
                        sizes[i] = SOAK_SHARED_SIZE;
                }
        }
        r = shmb_open_batch(c, reqs, n);
        if (r < 0)
                return r;
        for (i = 0; i < n; i++) {
                if (reqs[i].error < 0) {
                        count_err(reqs[i].error);
                        continue;
                }
                good_verify_fd(reqs[i].fd, SHMB_ACCESS_RDONLY, reqs[i].name, sizes[i], false);
                close(reqs[i].fd);
        }
        /* A partial batch: its failures are counted above, per name. */
        return (size_t) r == n ? 0 : 1;
}

static int good_stat(struct shmb_client *c, const struct own_obj *o)
{
        struct shmb_stat st;
        int r = shmb_stat(c, o->name, &st);

        if (r < 0)
                return r;
        if (st.size != o->size ||
            st.backend != (o->memfd ? SHMB_BACKEND_MEMFD : SHMB_BACKEND_SHM) ||
            (st.rights & 7u) != 7u) {
                W->corrupt++;
                anomaly(SC_GOOD, "stat '%s': size %llu backend %u rights %u", o->name,
                        (unsigned long long) st.size, st.backend, st.rights);
        }
        return 0;
}

struct list_ctx {
        const struct own_obj *own;
        size_t n_own;
        bool found[SOAK_GOOD_OWN_MAX];
        char last[NAME_LEN];
        bool unordered;
};

static int good_list_cb(const char *name, void *userdata)
{
        struct list_ctx *l = userdata;
        size_t i;

        if (l->last[0] && strcmp(l->last, name) >= 0)
                l->unordered = true;
        snprintf(l->last, sizeof(l->last), "%s", name);
        for (i = 0; i < l->n_own; i++)
                if (strcmp(name, l->own[i].name) == 0)
                        l->found[i] = true;
        return 0;
}

/* Lists: every object of ours must be there, in order. */
static int good_list(struct shmb_client *c, const struct own_obj *own, size_t n_own)
{
        struct list_ctx l = { .own = own, .n_own = n_own };
        size_t i;
        int r = shmb_list(c, good_list_cb, &l);

        if (r < 0)
                return r;
        for (i = 0; i < n_own; i++)
                if (!l.found[i]) {
                        W->corrupt++;
                        anomaly(SC_GOOD, "list (%d names) does not show '%s'", r, own[i].name);
                }
        if (l.unordered)
                anomaly(SC_GOOD, "list not in strcmp() order");
        return 0;
}

static int good_unlink(struct shmb_client *c, struct own_obj *own, size_t *n_own, size_t k)
{
        int r = shmb_unlink(c, own[k].name);

        /* Gone either way unless the connection broke before the answer. */
        if (r == 0 || r == -ENOENT) {
                own[k] = own[*n_own - 1];
                (*n_own)--;
        }
        return r;
}

static int good_main(void)
{
        struct own_obj own[SOAK_GOOD_OWN_MAX];
        struct shmb_client *c = NULL;
        uint64_t counter = 0;
        size_t n_own = 0, i;

        while (!stopping()) {
                unsigned op = rnd(100);
                int r;

                if (!c) {
                        c = lib_connect();
                        if (!c) {
                                nap(100);
                                continue;
                        }
                        conn_warm = false;
                }
                if (op < 30 && n_own == SOAK_GOOD_OWN_MAX)
                        op = 70; /* full: unlink instead */
                if (op >= 30 && op < 95 && n_own == 0 && !(op >= 80 && op < 90) &&
                    !(op >= 55 && op < 65))
                        op = 0;  /* nothing to open, unlink or stat: create */

                if (op < 30)
                        r = good_create(c, own, &n_own, &counter);
                else if (op < 55)
                        r = good_open(c, &own[rnd((unsigned) n_own)]);
                else if (op < 65)
                        r = good_batch(c, own, n_own);
                else if (op < 80)
                        r = good_unlink(c, own, &n_own, rnd((unsigned) n_own));
                else if (op < 90)
                        r = good_shared(c);
                else if (op < 93)
                        r = good_stat(c, &own[rnd((unsigned) n_own)]);
                else if (op < 95)
                        r = good_list(c, own, n_own);
                else {
                        c = shmb_client_free(c); /* reconnect */
                        r = 0;
                }
                W->runs[SC_GOOD]++;
                conn_warm = c != NULL;
                if (r < 0) {
                        count_err(r);
                        if (drops_connection(r))
                                c = shmb_client_free(c);
                } else if (r == 0)
                        W->ok++;
                if (rnd(8) == 0)
                        tl_sleep_ms(rnd(3));
        }
        /* A well-behaved client cleans up after itself. */
        if (!c)
                c = lib_connect();
        for (i = 0; c && i < n_own; i++)
                (void) shmb_unlink(c, own[i].name);
        shmb_client_free(c);
        return 0;
}

/* ---------------------------------------------------------------- never read */

enum { NR_OPEN, NR_CREATE, NR_BATCH, NR_STAT, NR_MISSING, _NR_MAX };

static void sc_never_read(void)
{
        char created[NEVER_READ_MAX][NAME_LEN];
        uint8_t kinds[NEVER_READ_MAX];
        unsigned k = 1 + rnd(NEVER_READ_MAX), sent = 0, n_created = 0, variant = rnd(4), j;
        uint64_t last_send;
        int fd, r;

        fd = soak_raw_connect(S->socket_path, RAW_TIMEOUT_MS);
        if (fd < 0) {
                count_err(fd);
                return;
        }
        for (j = 0; j < k; j++) {
                unsigned kind = rnd(_NR_MAX);
                char name[NAME_LEN];
                size_t len = 0;

                switch (kind) {
                case NR_OPEN:
                        shared_random(name, sizeof(name), NULL);
                        len = enc_open(j + 1, name, SHMB_PROTO_ACCESS_RDONLY);
                        break;
                case NR_CREATE:
                        own_name(created[n_created], 'm', "n", j);
                        len = enc_create(j + 1, created[n_created], 4096,
                                         SHMB_PROTO_ACCESS_ANY);
                        n_created++;
                        break;
                case NR_BATCH:
                        len = enc_batch(j + 1, SHMB_PROTO_BATCH_MAX, rnd(2));
                        break;
                case NR_STAT:
                        shared_random(name, sizeof(name), NULL);
                        len = enc_name(SHMB_PROTO_STAT, j + 1, name);
                        break;
                default:
                        own_name(name, 's', "missing", 0);
                        len = enc_open(j + 1, name, SHMB_PROTO_ACCESS_RDONLY);
                        break;
                }
                r = tl_raw_send(fd, out, len, NULL, 0, MSG_DONTWAIT);
                if (r == -EAGAIN)
                        break;
                if (r < 0) {
                        count_err(r);
                        break;
                }
                kinds[sent++] = (uint8_t) kind;
        }
        last_send = tl_now_ns();

        if (variant == 1 || variant == 3) {
                /* Read some (variant 1) or all (variant 3) replies, in order, and check them. */
                unsigned want = variant == 1 ? sent / 2 : sent;

                for (j = 0; j < want && !stopping(); j++) {
                        static struct shmb_proto_reply reply;
                        int fds[SHMB_PROTO_FDS_MAX];
                        size_t n_fds = 0;
                        bool good;

                        r = soak_raw_reply(fd, &reply, fds, &n_fds);
                        close_fds(fds, n_fds);
                        if (r == 0 && is_refusal(&reply))
                                break; /* over MaxConnectionsPerUser= at accept: fine */
                        if (r < 0) {
                                if (r == -EAGAIN)
                                        anomaly(SC_NEVER_READ, "reply %u of %u pipelined "
                                                "requests not received within %u ms", j + 1,
                                                sent, RAW_TIMEOUT_MS);
                                else if (r == -ECONNRESET)
                                        anomaly(SC_NEVER_READ, "connection closed before reply "
                                                "%u of %u pipelined requests", j + 1, sent);
                                else if (r == -EBADMSG)
                                        anomaly(SC_NEVER_READ, "reply %u of %u does not decode",
                                                j + 1, sent);
                                count_err(r);
                                break;
                        }
                        switch (kinds[j]) {
                        case NR_OPEN:
                                good = reply.type == SHMB_PROTO_REPLY_FD && n_fds == 1 &&
                                       reply.fd.access == SHMB_PROTO_ACCESS_RDONLY;
                                break;
                        case NR_CREATE:
                                good = (reply.type == SHMB_PROTO_REPLY_FD && n_fds == 1) ||
                                       (reply.type == SHMB_PROTO_REPLY_ERROR &&
                                        (reply.error == EEXIST || reply.error == EDQUOT));
                                break;
                        case NR_BATCH:
                                good = reply.type == SHMB_PROTO_REPLY_BATCH &&
                                       n_fds == SHMB_PROTO_BATCH_MAX;
                                break;
                        case NR_STAT:
                                good = reply.type == SHMB_PROTO_REPLY_STAT;
                                break;
                        default:
                                good = reply.type == SHMB_PROTO_REPLY_ERROR &&
                                       reply.error == ENOENT;
                                break;
                        }
                        if (reply.seq != j + 1 || !good) {
                                anomaly(SC_NEVER_READ, "pipelined reply %u of %u: seq %u type "
                                        "0x%x error %d with %zu fds, for request kind %u",
                                        j + 1, sent, reply.seq, reply.type,
                                        reply.type == SHMB_PROTO_REPLY_ERROR ? reply.error : 0,
                                        n_fds, kinds[j]);
                                break;
                        }
                }
        } else if (variant == 2) {
                /* Never read: the idle timeout must end the connection. */
                unsigned limit = (S->idle_timeout_s + 4) * 1000;
                uint64_t waited;

                r = wait_hangup_noread(fd, limit);
                waited = (tl_now_ns() - last_send) / 1000000;
                if (r == 0 && !stopping())
                        anomaly(SC_NEVER_READ, "%u pipelined requests, replies never read: "
                                "connection still open %llu ms later (idle timeout %u s)",
                                sent, (unsigned long long) waited, S->idle_timeout_s);
                else if (r < 0)
                        count_err(r);
        }
        close(fd);
        unlink_quietly(created, n_created);
}

/* ---------------------------------------------------------------- malformed packets */

enum expect { EXPECT_CLOSE, EXPECT_ANSWER, EXPECT_EITHER };

/*
 * After a packet that is a protocol error the daemon may send one REPLY_ERROR (seq 0, @error)
 * and must hang up. After one it must answer, it answers with REPLY_ERROR(@error) for @seq
 * and must go on serving: checked with a stat.
 */
static void expect_outcome(int sc, int fd, enum expect e, int error, uint32_t seq,
                           const char *what)
{
        static struct shmb_proto_reply reply;
        int r = soak_raw_reply(fd, &reply, NULL, NULL);

        if (r == 0 && is_refusal(&reply))
                return;
        if (r == -EAGAIN) {
                anomaly(sc, "%s: neither an answer nor a hang-up within %u ms", what,
                        RAW_TIMEOUT_MS);
                return;
        }
        if (r == -ECONNRESET) {
                /* Hung up without a word: allowed for a protocol error (the reply is best
                 * effort; an empty packet is a hang-up). */
                if (e == EXPECT_ANSWER)
                        anomaly(sc, "%s: connection closed, expected an answer", what);
                return;
        }
        if (r < 0) {
                if (r == -EBADMSG)
                        anomaly(sc, "%s: reply does not decode", what);
                count_err(r);
                return;
        }
        if (reply.type != SHMB_PROTO_REPLY_ERROR) {
                anomaly(sc, "%s: got a reply of type 0x%x, expected an error", what, reply.type);
                return;
        }
        if (reply.seq == 0 && e != EXPECT_ANSWER) {
                if (error && reply.error != error)
                        anomaly(sc, "%s: connection error %s, expected %s", what,
                                strerrorname_np(reply.error), strerrorname_np(error));
                r = soak_raw_reply(fd, &reply, NULL, NULL);
                if (r == -EAGAIN)
                        anomaly(sc, "%s: error sent but no hang-up within %u ms", what,
                                RAW_TIMEOUT_MS);
                else if (r == 0)
                        anomaly(sc, "%s: another packet (type 0x%x) after the connection "
                                "error", what, reply.type);
                return;
        }
        if (e == EXPECT_CLOSE) {
                anomaly(sc, "%s: answered %s for seq %u, expected the connection to end", what,
                        strerrorname_np(reply.error), reply.seq);
                return;
        }
        if (reply.seq != seq || (error && reply.error != error)) {
                anomaly(sc, "%s: answered %s for seq %u, expected %s for seq %u", what,
                        strerrorname_np(reply.error), reply.seq,
                        error ? strerrorname_np(error) : "an error", seq);
                return;
        }
        /* Still serving? */
        {
                char name[16];
                size_t len;

                shared_random(name, sizeof(name), NULL);
                len = enc_name(SHMB_PROTO_STAT, seq + 1, name);
                r = tl_raw_send(fd, out, len, NULL, 0, 0);
                if (r == 0)
                        r = soak_raw_reply(fd, &reply, NULL, NULL);
                if (r < 0 || reply.seq != seq + 1 || reply.type != SHMB_PROTO_REPLY_STAT)
                        anomaly(sc, "%s: after the answer, a stat got %s (type 0x%x seq %u)",
                                what, r < 0 ? strerrorname_np(-r) : "a reply", reply.type,
                                reply.seq);
        }
}

static void sc_garbage(void)
{
        unsigned variant = rnd(12);
        enum expect e = EXPECT_CLOSE;
        int fd, r, error = EBADMSG;
        uint32_t seq = 1 + rnd(1000);
        struct shmb_proto_header h;
        char name[16], what[64];
        size_t len = 0, i;

        fd = soak_raw_connect(S->socket_path, RAW_TIMEOUT_MS);
        if (fd < 0) {
                count_err(fd);
                return;
        }
        shared_random(name, sizeof(name), NULL);
        switch (variant) {
        case 0: /* random bytes */
                len = 1 + rnd(200);
                for (i = 0; i < len; i++)
                        out[i] = (uint8_t) rnd64();
                out[0] ^= 0x5a; /* never the magic */
                if (len >= 4 && memcmp(out, &(uint32_t) { SHMB_PROTO_MAGIC }, 4) == 0)
                        out[0] ^= 0xff;
                snprintf(what, sizeof(what), "%zu random bytes", len);
                break;
        case 1: /* empty packet: a hang-up to SEQPACKET */
                len = 0;
                error = 0;
                snprintf(what, sizeof(what), "an empty packet");
                break;
        case 2: /* another version */
                len = enc_open(seq, name, SHMB_PROTO_ACCESS_RDONLY);
                memcpy(&h, out, sizeof(h));
                h.version = (uint16_t) (SHMB_PROTO_VERSION + 1 + rnd(1000));
                memcpy(out, &h, sizeof(h));
                error = EPROTONOSUPPORT;
                snprintf(what, sizeof(what), "version %u", h.version);
                break;
        case 3: /* header length does not match */
                len = enc_create(seq, name, 4096, SHMB_PROTO_ACCESS_NONE);
                memcpy(&h, out, sizeof(h));
                h.len += 1 + rnd(100);
                memcpy(out, &h, sizeof(h));
                snprintf(what, sizeof(what), "a header length too large");
                break;
        case 4: { /* larger than any packet */
                size_t payload = SHMB_PROTO_MSG_MAX + 1 + rnd(8192) - sizeof(h);

                h = tl_proto_header(SHMB_PROTO_OPEN, seq, (uint32_t) payload);
                memcpy(out, &h, sizeof(h));
                memset(out + sizeof(h), 'x', payload);
                len = sizeof(h) + payload;
                snprintf(what, sizeof(what), "a %zu-byte packet", len);
                break;
        }
        case 5: /* a type the daemon does not know, well-formed: answered */
                len = enc_raw(tl_proto_header((uint16_t) (0x0e + rnd(0x70)), seq, 0), NULL, 0);
                e = EXPECT_ANSWER;
                error = EOPNOTSUPP;
                snprintf(what, sizeof(what), "unknown request type");
                break;
        case 6: /* a reply type sent as a request */
                len = enc_raw(tl_proto_header((uint16_t) (0x80 + rnd(6)), seq, 0), NULL, 0);
                e = EXPECT_EITHER;
                error = 0;
                snprintf(what, sizeof(what), "a reply type as a request");
                break;
        case 7: /* flags or reserved set */
                len = enc_name(SHMB_PROTO_STAT, seq, name);
                memcpy(&h, out, sizeof(h));
                if (rnd(2))
                        h.flags = (uint16_t) (1 + rnd(0xfffe));
                else
                        h.reserved = 1 + (uint32_t) rnd(1000);
                memcpy(out, &h, sizeof(h));
                snprintf(what, sizeof(what), "header flags or reserved set");
                break;
        case 8: /* n_fds claimed, none attached */
                len = enc_open(seq, name, SHMB_PROTO_ACCESS_RDONLY);
                memcpy(&h, out, sizeof(h));
                h.n_fds = (uint16_t) (1 + rnd(16));
                memcpy(out, &h, sizeof(h));
                snprintf(what, sizeof(what), "n_fds %u without fds", h.n_fds);
                break;
        case 9: { /* batch of 0 or 17, or an item with access NONE */
                struct { struct shmb_proto_batch_req b; struct shmb_proto_batch_item it; } p = {
                        .b = { .n = rnd(2) ? 0 : SHMB_PROTO_BATCH_MAX + 1 },
                        .it = { .access = SHMB_PROTO_ACCESS_NONE },
                };
                if (rnd(3) == 0)
                        p.b.n = 1;
                len = enc_raw(tl_proto_header(SHMB_PROTO_OPEN_BATCH, seq, sizeof(p)), &p,
                              sizeof(p));
                snprintf(what, sizeof(what), "a batch of %u", p.b.n);
                break;
        }
        case 10: { /* open with access NONE or out of range */
                struct shmb_proto_open o = { .access = rnd(2) ? 0 : 4 + rnd(1000),
                                             .name_len = (uint16_t) strlen(name) };
                uint8_t payload[sizeof(o) + 16];

                memcpy(payload, &o, sizeof(o));
                memcpy(payload + sizeof(o), name, o.name_len);
                len = enc_raw(tl_proto_header(SHMB_PROTO_OPEN, seq, sizeof(o) + o.name_len),
                              payload, sizeof(o) + o.name_len);
                snprintf(what, sizeof(what), "open with access %u", o.access);
                break;
        }
        default: /* a name longer than the wire allows */
                len = enc_open_long(seq, SHMB_PROTO_NAME_WIRE_MAX + 1 + rnd(900),
                                    SHMB_PROTO_ACCESS_RDONLY);
                snprintf(what, sizeof(what), "a name longer than the wire allows");
                break;
        }
        r = tl_raw_send(fd, out, len, NULL, 0, 0);
        if (r < 0)
                count_err(r);
        else if (variant == 1) {
                /* An empty packet: no answer, just the end. */
                if (wait_hangup_noread(fd, RAW_TIMEOUT_MS) == 0 && !stopping())
                        anomaly(SC_GARBAGE, "an empty packet: connection still open after "
                                "%u ms", RAW_TIMEOUT_MS);
        } else
                expect_outcome(SC_GARBAGE, fd, e, error, seq, what);
        close(fd);
}

static void sc_truncated(void)
{
        unsigned kind = rnd(5);
        bool read_it = rnd(2);
        char name[NAME_LEN];
        size_t len, cut;
        int fd, r;

        fd = soak_raw_connect(S->socket_path, RAW_TIMEOUT_MS);
        if (fd < 0) {
                count_err(fd);
                return;
        }
        own_name(name, 'm', "t", 0);
        switch (kind) {
        case 0:
                len = enc_create(1, name, 4096, SHMB_PROTO_ACCESS_RDWR);
                break;
        case 1:
                len = enc_open(1, name, SHMB_PROTO_ACCESS_ANY);
                break;
        case 2:
                len = enc_batch(1, 1 + rnd(SHMB_PROTO_BATCH_MAX), rnd(2));
                break;
        case 3:
                len = enc_name(SHMB_PROTO_UNLINK, 1, name);
                break;
        default:
                len = enc_name(SHMB_PROTO_LIST, 1, "");
                break;
        }
        cut = 1 + rnd((unsigned) len - 1);
        r = tl_raw_send(fd, out, cut, NULL, 0, 0);
        if (r < 0)
                count_err(r);
        else if (read_it) {
                char what[64];

                snprintf(what, sizeof(what), "request kind %u cut to %zu of %zu bytes", kind,
                         cut, len);
                expect_outcome(SC_TRUNCATED, fd, EXPECT_CLOSE, EBADMSG, 1, what);
        }
        close(fd);
}

/* ---------------------------------------------------------------- fds on requests */

static void sc_attach_fds(void)
{
        static const unsigned counts[] = { 1, 2, 3, 16, 17, 64, 253 };
        unsigned n = counts[rnd(sizeof(counts) / sizeof(counts[0]))], i;
        int base[6], fds[253], fd, r, sp[2] = { -1, -1 }, pp[2] = { -1, -1 };
        size_t n_base = 0, len;
        bool quick_close = rnd(2);
        char name[16];

        fd = soak_raw_connect(S->socket_path, RAW_TIMEOUT_MS);
        if (fd < 0) {
                count_err(fd);
                return;
        }
        base[n_base++] = fd; /* the connection itself: a cycle for the kernel's GC */
        if (pipe2(pp, O_CLOEXEC) == 0) {
                base[n_base++] = pp[0];
                base[n_base++] = pp[1];
        }
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == 0)
                base[n_base++] = sp[0];
        r = eventfd(0, EFD_CLOEXEC);
        if (r >= 0)
                base[n_base++] = r;
        r = memfd_create("soak", MFD_CLOEXEC);
        if (r >= 0)
                base[n_base++] = r;
        for (i = 0; i < n; i++)
                fds[i] = base[rnd((unsigned) n_base)];

        shared_random(name, sizeof(name), NULL);
        len = enc_open(1, name, SHMB_PROTO_ACCESS_RDONLY);
        if (rnd(2) && n <= SHMB_PROTO_FDS_MAX) {
                /* The header even agrees: still a protocol error (requests carry none). */
                struct shmb_proto_header h;

                memcpy(&h, out, sizeof(h));
                h.n_fds = (uint16_t) n;
                memcpy(out, &h, sizeof(h));
        }
        /* At once after connect(): before the daemon's accept() can set SO_PASSRIGHTS=0. */
        r = tl_raw_send(fd, out, len, fds, n, 0);
        if (r == -EPERM) {
                /* The kernel refused the fds (SO_PASSRIGHTS=0, Linux 6.16+): nothing was sent,
                 * and the connection must still serve. */
                static struct shmb_proto_reply reply;
                int got[SHMB_PROTO_FDS_MAX];
                size_t n_got = 0;

                W->kernel_refused_fds++;
                len = enc_open(2, name, SHMB_PROTO_ACCESS_RDONLY);
                r = raw_call(fd, len, &reply, got, &n_got);
                close_fds(got, n_got);
                /* (A refusal at accept, MaxConnectionsPerUser=, is fine.) */
                if (!(r == 0 && is_refusal(&reply)) &&
                    (r < 0 || reply.type != SHMB_PROTO_REPLY_FD || reply.seq != 2))
                        anomaly(SC_ATTACH_FDS, "after the kernel refused %u fds, an open got "
                                "%s (type 0x%x seq %u)", n, r < 0 ? strerrorname_np(-r) : "a reply",
                                reply.type, reply.seq);
        } else if (r < 0)
                count_err(r);
        else {
                W->delivered_fds++;
                if (!quick_close) {
                        char what[64];

                        snprintf(what, sizeof(what), "a request with %u fds attached", n);
                        expect_outcome(SC_ATTACH_FDS, fd, EXPECT_CLOSE, EBADMSG, 1, what);
                }
        }
        for (i = 1; i < n_base; i++)
                if (base[i] != sp[0])
                        (void) close(base[i]);
        if (sp[0] >= 0)
                (void) close(sp[0]);
        if (sp[1] >= 0)
                (void) close(sp[1]);
        close(fd);
}

/* ---------------------------------------------------------------- idle connections */

static void sc_idle(void)
{
        unsigned variant = rnd(3), idle_ms = S->idle_timeout_s * 1000;
        char name[16];

        shared_random(name, sizeof(name), NULL);
        if (variant == 0) {
                /* Connect and say nothing. */
                uint64_t t0 = tl_now_ns(), waited;
                int fd = soak_raw_connect(S->socket_path, RAW_TIMEOUT_MS), r;

                if (fd < 0) {
                        count_err(fd);
                        return;
                }
                r = wait_hangup_noread(fd, idle_ms + 4000);
                waited = (tl_now_ns() - t0) / 1000000;
                if (r == 0 && !stopping())
                        anomaly(SC_IDLE, "silent connection still open after %llu ms (idle "
                                "timeout %u s)", (unsigned long long) waited,
                                S->idle_timeout_s);
                else if (r == 1 && waited + 1000 < idle_ms) {
                        static struct shmb_proto_reply reply;

                        /* Early: only a refusal at accept explains it. */
                        r = soak_raw_reply(fd, &reply, NULL, NULL);
                        if (!(r == 0 && is_refusal(&reply)))
                                anomaly(SC_IDLE, "silent connection closed after only %llu ms "
                                        "(idle timeout %u s)", (unsigned long long) waited,
                                        S->idle_timeout_s);
                }
                close(fd);
        } else if (variant == 1) {
                /* One request, then idle past the timeout: the next request must fail. */
                struct shmb_client *c = lib_connect();
                struct shmb_stat st;
                int r;

                if (!c)
                        return;
                r = shmb_stat(c, name, &st);
                if (r == 0) {
                        nap(idle_ms + 2500);
                        if (!stopping()) {
                                r = shmb_stat(c, name, &st);
                                if (r == 0)
                                        anomaly(SC_IDLE, "a library connection idle for %u ms "
                                                "still served a request (idle timeout %u s)",
                                                idle_ms + 2500, S->idle_timeout_s);
                        }
                } else
                        count_err(r);
                shmb_client_free(c);
        } else {
                /* Active just often enough: must not be closed. */
                int fd = soak_raw_connect(S->socket_path, RAW_TIMEOUT_MS), i, r = 0;
                static struct shmb_proto_reply reply;

                if (fd < 0) {
                        count_err(fd);
                        return;
                }
                for (i = 0; i < 3 && !stopping(); i++) {
                        size_t len;

                        if (i > 0)
                                nap(idle_ms / 2);
                        if (stopping())
                                break;
                        len = enc_name(SHMB_PROTO_STAT, (uint32_t) i + 1, name);
                        r = raw_call(fd, len, &reply, NULL, NULL);
                        if (r == 0 && is_refusal(&reply))
                                break;
                        if (r < 0 || reply.seq != (uint32_t) i + 1 ||
                            reply.type != SHMB_PROTO_REPLY_STAT) {
                                anomaly(SC_IDLE, "a connection active every %u ms: request %d "
                                        "got %s (type 0x%x)", idle_ms / 2, i + 1,
                                        r < 0 ? strerrorname_np(-r) : "a reply", reply.type);
                                break;
                        }
                }
                close(fd);
        }
}

/* ---------------------------------------------------------------- connection flood */

static void sc_flood(void)
{
        enum { N = SOAK_MAX_CONNECTIONS + 3 };
        int fds[N];
        unsigned accepted = 0, refused = 0, opened = 0, i;
        bool long_hold = rnd(3) == 0;
        char name[NAME_LEN];

        own_name(name, 'm', "flood", 0);
        for (i = 0; i < N; i++) {
                size_t len = enc_name(SHMB_PROTO_STAT, i + 1, name);
                int r;

                fds[i] = soak_raw_connect(S->socket_path, RAW_TIMEOUT_MS);
                if (fds[i] < 0) {
                        count_err(fds[i]);
                        continue;
                }
                opened++;
                r = tl_raw_send(fds[i], out, len, NULL, 0, 0);
                if (r < 0 && r != -EPIPE && r != -ECONNRESET)
                        count_err(r);
        }
        for (i = 0; i < N; i++) {
                static struct shmb_proto_reply reply;
                int r;

                if (fds[i] < 0)
                        continue;
                r = soak_raw_reply(fds[i], &reply, NULL, NULL);
                if (r == 0 && is_refusal(&reply)) {
                        refused++;
                        fds[i] = safe_close(fds[i]);
                } else if (r == 0 && reply.seq == i + 1 && reply.type == SHMB_PROTO_REPLY_ERROR &&
                           reply.error == ENOENT)
                        accepted++;
                else {
                        if (r < 0)
                                count_err(r);
                        else
                                anomaly(SC_FLOOD, "connection %u: reply type 0x%x seq %u error "
                                        "%d to a stat", i + 1, reply.type, reply.seq,
                                        reply.error);
                        fds[i] = safe_close(fds[i]);
                }
        }
        if (accepted > SOAK_MAX_CONNECTIONS)
                anomaly(SC_FLOOD, "%u connections of one process accepted, over "
                        "MaxConnectionsPerUser=%u", accepted, SOAK_MAX_CONNECTIONS);
        if (refused == 0 && opened == N)
                anomaly(SC_FLOOD, "%u connections opened, none refused "
                        "(MaxConnectionsPerUser=%u)", opened, SOAK_MAX_CONNECTIONS);

        if (long_hold) {
                /* Hold them silent past the idle timeout: all must be closed. */
                unsigned still = 0;

                nap((S->idle_timeout_s + 3) * 1000);
                for (i = 0; i < N && !stopping(); i++)
                        if (fds[i] >= 0 && wait_hangup_noread(fds[i], 10) == 0)
                                still++;
                if (still > 0 && !stopping())
                        anomaly(SC_FLOOD, "%u of %u accepted connections still open %u s after "
                                "their last request (idle timeout %u s)", still, accepted,
                                S->idle_timeout_s + 3, S->idle_timeout_s);
        } else
                nap(rnd(1000));
        for (i = 0; i < N; i++)
                safe_close(fds[i]);
}

/* ---------------------------------------------------------------- quota */

static void sc_quota(void)
{
        char names[QUOTA_NAMES][NAME_LEN], left[QUOTA_NAMES][NAME_LEN];
        unsigned created = 0, i, n_left = 0;
        bool hit = false, broken = false;
        struct shmb_client *c;
        int r;

        for (i = 0; i < QUOTA_NAMES; i++) {
                own_name(names[i], i % 2 ? 'm' : 's', "q", i);
                if (quota_left[i])
                        memcpy(left[n_left++], names[i], NAME_LEN);
        }
        unlink_quietly(left, n_left);
        memset(quota_left, 0, sizeof(quota_left));

        c = lib_connect();
        if (!c)
                return;
        for (i = 0; i < QUOTA_NAMES && !stopping(); i++) {
                uint64_t size = 4096u * (1 + rnd((unsigned) (SOAK_MAX_SIZE / 4096)));
                int access = rnd(2) ? SHMB_ACCESS_NONE : SHMB_ACCESS_RDWR, fd = -1;

                r = shmb_create(c, names[i], size, access, access ? &fd : NULL, NULL);
                if (r == 0) {
                        created++;
                        quota_left[i] = 1;
                        safe_close(fd);
                } else if (r == -EDQUOT) {
                        hit = true;
                        break;
                } else if (r == -EEXIST)
                        quota_left[i] = 1;
                else {
                        count_err(r);
                        broken = drops_connection(r);
                        break;
                }
        }
        if (created > SOAK_MAX_OBJECTS)
                anomaly(SC_QUOTA, "one client created %u objects, MaxObjectsPerUser=%u", created,
                        SOAK_MAX_OBJECTS);
        else if (!hit && i == QUOTA_NAMES)
                anomaly(SC_QUOTA, "%u creates (%u new) without EDQUOT (MaxObjectsPerUser=%u)",
                        i, created, SOAK_MAX_OBJECTS);

        if (!broken) {
                char big[NAME_LEN];
                int fd = -1;

                own_name(big, rnd(2) ? 'm' : 's', "big", 0);
                r = shmb_create(c, big, SOAK_MAX_SIZE + 1 + rnd(100000), SHMB_ACCESS_RDWR, &fd,
                                NULL);
                if (r == 0) {
                        anomaly(SC_QUOTA, "create of %s larger than MaxSize= succeeded", big);
                        safe_close(fd);
                        (void) shmb_unlink(c, big);
                } else if (r != -EFBIG)
                        count_err(r);
        }
        shmb_client_free(c);

        /* Give it back, most of the time; else the next run does. */
        if (rnd(10) != 0) {
                n_left = 0;
                for (i = 0; i < QUOTA_NAMES; i++)
                        if (quota_left[i])
                                memcpy(left[n_left++], names[i], NAME_LEN);
                unlink_quietly(left, n_left);
                memset(quota_left, 0, sizeof(quota_left));
        }
}

/* ---------------------------------------------------------------- batch */

static void sc_batch(void)
{
        struct shmb_open_req reqs[SHMB_BATCH_MAX];
        char names[SHMB_BATCH_MAX][NAME_LEN];
        int expect[SHMB_BATCH_MAX];
        size_t n = 1 + rnd(SHMB_BATCH_MAX), i;
        struct shmb_client *c;
        int r;

        for (i = 0; i < n; i++) {
                unsigned kind = rnd(5);

                reqs[i] = (struct shmb_open_req) { .name = names[i], .access = SHMB_ACCESS_RDONLY };
                switch (kind) {
                case 0:
                case 1:
                        shared_random(names[i], NAME_LEN, NULL);
                        reqs[i].access = kind ? SHMB_ACCESS_ANY : SHMB_ACCESS_RDONLY;
                        expect[i] = 0;
                        break;
                case 2:
                        shared_random(names[i], NAME_LEN, NULL);
                        reqs[i].access = SHMB_ACCESS_RDWR;
                        expect[i] = -EACCES;
                        break;
                case 3:
                        own_name(names[i], rnd(2) ? 'm' : 's', "none", 0);
                        expect[i] = -ENOENT;
                        break;
                default:
                        snprintf(names[i], NAME_LEN, "zz-norule-%u", rnd(100));
                        expect[i] = -EACCES;
                        break;
                }
        }
        c = lib_connect();
        if (!c)
                return;
        r = shmb_open_batch(c, reqs, n);
        if (r < 0)
                count_err(r);
        for (i = 0; r >= 0 && i < n; i++) {
                if (reqs[i].error != expect[i])
                        anomaly(SC_BATCH, "batch entry %zu '%s' access %d: %s, expected %s", i,
                                reqs[i].name, reqs[i].access,
                                reqs[i].error ? strerrorname_np(-reqs[i].error) : "success",
                                expect[i] ? strerrorname_np(-expect[i]) : "success");
                if (reqs[i].error != 0)
                        continue;
                if (reqs[i].info.access != SHMB_ACCESS_RDONLY)
                        anomaly(SC_BATCH, "batch entry '%s' (a read-only object) granted access "
                                "%u", reqs[i].name, reqs[i].info.access);
                r = map_check(reqs[i].fd, SHMB_ACCESS_RDONLY, SOAK_SHARED_SIZE,
                              soak_name_tag(reqs[i].name), false);
                if (r == 0) {
                        W->corrupt++;
                        anomaly(SC_BATCH, "batch entry '%s': content is not what was written",
                                reqs[i].name);
                } else if (r < 0)
                        count_err(r);
                r = 0;
                close(reqs[i].fd);
        }
        shmb_client_free(c);
}

/* ---------------------------------------------------------------- crashes */

/* The body of a child that is killed or exits in the middle of things. Never returns. */
static void crash_child(bool raw, bool exit_early)
{
        char names[CRASH_NAMES][NAME_LEN];
        uint64_t end = tl_now_ns() + UINT64_C(2000000000);
        unsigned i, k = exit_early ? 1 + rnd(5) : 1000000;

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        for (i = 0; i < CRASH_NAMES; i++)
                own_name(names[i], i % 2 ? 'm' : 's', "c", i);
        if (raw) {
                int fd = soak_raw_connect(S->socket_path, RAW_TIMEOUT_MS);

                if (fd < 0)
                        _exit(1);
                for (i = 0; i < k && i < 30 && tl_now_ns() < end; i++) {
                        char name[16];
                        size_t len;

                        switch (rnd(3)) {
                        case 0:
                                len = enc_create(i + 1, names[rnd(CRASH_NAMES)],
                                                 4096u * (1 + rnd(8)), SHMB_PROTO_ACCESS_RDWR);
                                break;
                        case 1:
                                len = enc_batch(i + 1, 1 + rnd(SHMB_PROTO_BATCH_MAX), rnd(2));
                                break;
                        default:
                                shared_random(name, sizeof(name), NULL);
                                len = enc_open(i + 1, name, SHMB_PROTO_ACCESS_RDONLY);
                                break;
                        }
                        if (tl_raw_send(fd, out, len, NULL, 0, MSG_DONTWAIT) < 0)
                                break;
                }
                if (exit_early)
                        _exit(0); /* replies unread, connection open: the kernel closes it */
                tl_sleep_ms(2000);
                _exit(0);
        }
        for (i = 0; i < k && tl_now_ns() < end; i++) {
                struct shmb_client *c = NULL;
                const char *name = names[rnd(CRASH_NAMES)];
                void *p;
                size_t len;
                int fd;

                /* Leaks the client, its fds and mappings on purpose: the process dies with
                 * them. */
                if (shmb_connect(S->socket_path, &c) < 0)
                        _exit(1);
                if (shmb_create(c, name, 4096u * (1 + rnd(8)), SHMB_ACCESS_RDWR, &fd, NULL) == 0 ||
                    shmb_open(c, name, SHMB_ACCESS_RDWR, &fd, NULL) == 0) {
                        if (shmb_map(fd, SHMB_ACCESS_RDWR, &p, &len) == 0)
                                memset(p, 0xa5, len < 4096 ? len : 4096);
                }
                if (rnd(2)) {
                        struct shmb_open_req reqs[4];
                        char shared[4][16];
                        unsigned j;

                        for (j = 0; j < 4; j++) {
                                shared_random(shared[j], sizeof(shared[j]), NULL);
                                reqs[j] = (struct shmb_open_req) { .name = shared[j],
                                                                   .access = SHMB_ACCESS_RDONLY };
                        }
                        (void) shmb_open_batch(c, reqs, 4);
                }
        }
        _exit(0);
}

static void sc_crash(bool kill_it)
{
        char names[CRASH_NAMES][NAME_LEN];
        bool raw = rnd(2);
        unsigned i;
        pid_t pid;
        int status;

        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                count_err(-errno);
                return;
        }
        if (pid == 0) {
                reseed(rnd64() ^ (uint64_t) getpid());
                crash_child(raw, !kill_it);
        }
        if (kill_it) {
                unsigned ms = rnd(40);

                if (ms > 0)
                        tl_sleep_ms(ms);
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, &status, 0);
        } else {
                uint64_t deadline = tl_now_ns() + UINT64_C(5000000000);

                while (waitpid(pid, &status, WNOHANG) == 0) {
                        if (tl_now_ns() > deadline) {
                                (void) kill(pid, SIGKILL);
                                (void) waitpid(pid, &status, 0);
                                count_err(-ETIMEDOUT);
                                break;
                        }
                        tl_sleep_ms(5);
                }
        }
        for (i = 0; i < CRASH_NAMES; i++)
                own_name(names[i], i % 2 ? 'm' : 's', "c", i);
        unlink_quietly(names, CRASH_NAMES);
}

/* ---------------------------------------------------------------- invalid requests */

static void sc_invalid(void)
{
        unsigned n = 1 + rnd(6), i;
        static struct shmb_proto_reply reply;
        int fd, r;

        fd = soak_raw_connect(S->socket_path, RAW_TIMEOUT_MS);
        if (fd < 0) {
                count_err(fd);
                return;
        }
        for (i = 0; i < n && !stopping(); i++) {
                uint32_t seq = i + 1;
                unsigned kind = rnd(15);
                int expect_error;
                bool expect_fd = false;
                char name[NAME_LEN];
                int fds[SHMB_PROTO_FDS_MAX];
                size_t len, n_fds = 0;

                switch (kind) {
                case 0:
                        len = enc_raw(tl_proto_header(SHMB_PROTO_OPEN, seq, 8 + 2),
                                      &(struct { struct shmb_proto_open o; char n[2]; }) {
                                              { .access = 1, .name_len = 2 }, { '.', '.' } },
                                      8 + 2);
                        expect_error = EINVAL;
                        break;
                case 1:
                        len = enc_raw(tl_proto_header(SHMB_PROTO_OPEN, seq, 8 + 5),
                                      &(struct { struct shmb_proto_open o; char n[5]; }) {
                                              { .access = 1, .name_len = 5 },
                                              { 'm', '-', 'a', '/', 'b' } },
                                      8 + 5);
                        expect_error = EINVAL;
                        break;
                case 2:
                        len = enc_raw(tl_proto_header(SHMB_PROTO_OPEN, seq, 8 + 4),
                                      &(struct { struct shmb_proto_open o; char n[4]; }) {
                                              { .access = 1, .name_len = 4 },
                                              { 'm', '-', '\x01', 'x' } },
                                      8 + 4);
                        expect_error = EINVAL;
                        break;
                case 3:
                        len = enc_raw(tl_proto_header(SHMB_PROTO_OPEN, seq, 8),
                                      &(struct shmb_proto_open) { .access = 1 }, 8);
                        expect_error = EINVAL;
                        break;
                case 4:
                        len = enc_open_long(seq, SHMB_PROTO_NAME_MAX + 1 +
                                                 rnd(SHMB_PROTO_NAME_WIRE_MAX -
                                                     SHMB_PROTO_NAME_MAX),
                                            SHMB_PROTO_ACCESS_RDONLY);
                        expect_error = ENAMETOOLONG;
                        break;
                case 5:
                        len = enc_open(seq, "zz-norule", SHMB_PROTO_ACCESS_RDONLY);
                        expect_error = EACCES;
                        break;
                case 6:
                        own_name(name, 'm', "inv", 0);
                        len = enc_create(seq, name, 0, SHMB_PROTO_ACCESS_RDWR);
                        expect_error = EINVAL;
                        break;
                case 7:
                        own_name(name, rnd(2) ? 'm' : 's', "inv", 0);
                        len = enc_create(seq, name, UINT64_C(1) << (41 + rnd(22)),
                                         SHMB_PROTO_ACCESS_NONE);
                        expect_error = EFBIG;
                        break;
                case 8:
                        snprintf(name, sizeof(name), "ro-%u-b%zu", (unsigned) W->uid, W_index);
                        len = enc_create(seq, name, 4096, SHMB_PROTO_ACCESS_NONE);
                        expect_error = EACCES;
                        break;
                case 9:
                        soak_shared_name(name, sizeof(name), rnd(SOAK_N_SHARED), rnd(2));
                        len = enc_name(SHMB_PROTO_UNLINK, seq, name);
                        expect_error = EACCES;
                        break;
                case 10:
                        len = enc_name(SHMB_PROTO_STAT, seq, "zz-norule");
                        expect_error = ENOENT;
                        break;
                case 11:
                        soak_shared_name(name, sizeof(name), rnd(SOAK_N_SHARED), rnd(2));
                        len = enc_open(seq, name, SHMB_PROTO_ACCESS_RDWR);
                        expect_error = EACCES;
                        break;
                case 13:
                        /* Another uid's private prefix (Names=u%U-*): no rule for us. */
                        snprintf(name, sizeof(name), "u%u-g0-0", SOAK_UID_FIRST + rnd(SOAK_N_UIDS));
                        if (strtoul(name + 1, NULL, 10) == W->uid)
                                snprintf(name, sizeof(name), "u1-g0-0");
                        len = enc_open(seq, name, SHMB_PROTO_ACCESS_RDONLY);
                        expect_error = EACCES;
                        break;
                case 12:
                        /* "/x" is "x": must work. */
                        name[0] = '/';
                        soak_shared_name(name + 1, sizeof(name) - 1, rnd(SOAK_N_SHARED), rnd(2));
                        len = enc_open(seq, name, SHMB_PROTO_ACCESS_RDONLY);
                        expect_error = 0;
                        expect_fd = true;
                        break;
                default:
                        soak_shared_name(name, sizeof(name), rnd(SOAK_N_SHARED), rnd(2));
                        len = enc_create(seq, name, 4096, SHMB_PROTO_ACCESS_NONE);
                        expect_error = EACCES; /* read-only principals may not create */
                        break;
                }
                r = raw_call(fd, len, &reply, fds, &n_fds);
                close_fds(fds, n_fds);
                if (r == 0 && is_refusal(&reply))
                        break;
                if (r < 0) {
                        if (r == -EAGAIN || r == -ECONNRESET || r == -EBADMSG)
                                anomaly(SC_INVALID, "request kind %u: %s", kind,
                                        strerrorname_np(-r));
                        count_err(r);
                        break;
                }
                if (reply.seq != seq ||
                    (expect_fd && reply.type != SHMB_PROTO_REPLY_FD) ||
                    (!expect_fd && (reply.type != SHMB_PROTO_REPLY_ERROR ||
                                    reply.error != expect_error))) {
                        anomaly(SC_INVALID, "request kind %u: got type 0x%x seq %u error %s, "
                                "expected %s", kind, reply.type, reply.seq,
                                reply.type == SHMB_PROTO_REPLY_ERROR ?
                                        strerrorname_np(reply.error) : "-",
                                expect_fd ? "an fd" : strerrorname_np(expect_error));
                        break;
                }
        }
        close(fd);
}

/* ---------------------------------------------------------------- read-only opens */

static void sc_ro_open(void)
{
        struct shmb_client *c = lib_connect();
        struct shmb_fd_info info;
        char name[16], path[64];
        bool memfd;
        void *p;
        int fd, r, fd2;

        if (!c)
                return;
        shared_random(name, sizeof(name), &memfd);
        r = shmb_open(c, name, rnd(2) ? SHMB_ACCESS_RDONLY : SHMB_ACCESS_ANY, &fd, &info);
        if (r < 0) {
                if (r != -EDQUOT)
                        anomaly(SC_RO_OPEN, "read-only open of '%s': %s", name,
                                strerrorname_np(-r));
                count_err(r);
                shmb_client_free(c);
                return;
        }
        if (info.access != SHMB_ACCESS_RDONLY)
                anomaly(SC_RO_OPEN, "'%s' opened by a read-only principal with access %u", name,
                        info.access);
        r = map_check(fd, SHMB_ACCESS_RDONLY, SOAK_SHARED_SIZE, soak_name_tag(name), false);
        if (r == 0) {
                W->corrupt++;
                anomaly(SC_RO_OPEN, "'%s': content is not what was written", name);
        } else if (r < 0)
                count_err(r);
        /* None of these may work on a read-only fd. */
        p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p != MAP_FAILED) {
                anomaly(SC_RO_OPEN, "'%s': read-only fd mapped writable", name);
                (void) munmap(p, 4096);
        }
        if (ftruncate(fd, 8192) == 0)
                anomaly(SC_RO_OPEN, "'%s': read-only fd truncated", name);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        fd2 = open(path, O_RDWR | O_CLOEXEC);
        if (fd2 >= 0) {
                anomaly(SC_RO_OPEN, "'%s': read-only fd reopened read-write", name);
                close(fd2);
        }
        close(fd);
        r = shmb_open(c, name, SHMB_ACCESS_RDWR, &fd, NULL);
        if (r == 0) {
                anomaly(SC_RO_OPEN, "'%s': a read-only principal opened it read-write", name);
                close(fd);
        } else if (r != -EACCES)
                count_err(r);
        shmb_client_free(c);
}

/* ---------------------------------------------------------------- misbehaving main */

static int bad_main(void)
{
        static const unsigned weights[_SC_MAX] = {
                [SC_NEVER_READ] = 12, [SC_GARBAGE] = 12, [SC_TRUNCATED] = 8,
                [SC_ATTACH_FDS] = 8,  [SC_IDLE] = 1,     [SC_FLOOD] = 1,
                [SC_QUOTA] = 5,       [SC_BATCH] = 10,   [SC_CRASH_KILL] = 10,
                [SC_CRASH_EXIT] = 8,  [SC_INVALID] = 12, [SC_RO_OPEN] = 10,
        };
        unsigned total = 0, i;

        for (i = 0; i < _SC_MAX; i++)
                total += weights[i];
        while (!stopping()) {
                unsigned pick = rnd(total);
                int sc = 0;

                for (i = 0; i < _SC_MAX; i++) {
                        if (pick < weights[i]) {
                                sc = (int) i;
                                break;
                        }
                        pick -= weights[i];
                }
                switch (sc) {
                case SC_NEVER_READ:
                        sc_never_read();
                        break;
                case SC_GARBAGE:
                        sc_garbage();
                        break;
                case SC_TRUNCATED:
                        sc_truncated();
                        break;
                case SC_ATTACH_FDS:
                        sc_attach_fds();
                        break;
                case SC_IDLE:
                        sc_idle();
                        break;
                case SC_FLOOD:
                        sc_flood();
                        break;
                case SC_QUOTA:
                        sc_quota();
                        break;
                case SC_BATCH:
                        sc_batch();
                        break;
                case SC_CRASH_KILL:
                        sc_crash(true);
                        break;
                case SC_CRASH_EXIT:
                        sc_crash(false);
                        break;
                case SC_INVALID:
                        sc_invalid();
                        break;
                default:
                        sc_ro_open();
                        break;
                }
                W->runs[sc]++;
                nap(rnd(20));
        }
        return 0;
}

int soak_worker_main(struct soak_shared *sh, size_t i, uint64_t seed)
{
        S = sh;
        W = &sh->workers[i];
        W_index = i;
        reseed(seed);
        (void) signal(SIGPIPE, SIG_IGN);
        return W->good ? good_main() : bad_main();
}
