/* SPDX-License-Identifier: MIT */
/*
 * shmb-soak - a long run of many well-behaved and misbehaving clients against a private
 * shmbrokerd, watching the daemon's RSS and fd count. Not part of "make check": "make soak".
 *
 *   shmb-soak [--duration SECONDS] [--clients N] [--json FILE] [--seed N]
 *             [--idle-timeout SECONDS] [--warmup SECONDS] [--baseline SECONDS]
 *             [--log-level LEVEL] [--keep] [--reload SECONDS]
 *
 * The daemon is $SHMBROKERD (make soak sets it), started on a socket in a fresh /tmp directory
 * with --shm-dir a fresh directory under /dev/shm, a policy with both backends, uids
 * 41001-41010 as principals and a [Quota] section, and a short --idle-timeout.
 *
 * Clients (soak-clients.c): a quarter well-behaved (uids 41001-41004), the rest misbehaving
 * (41005-41010). The well-behaved ones start first and run alone for the baseline (--baseline,
 * default a tenth of the duration, 10 to 30 s); then the misbehaving ones join them for
 * --duration seconds, the soak proper, during which the daemon's VmRSS and number of open fds
 * are sampled every second. Each well-behaved client times its calls of shmb_open() and
 * shmb_create() (on a connection it already has) into log-scale histograms, one per phase.
 *
 * Verdict (exit 0 only if every line passes):
 *  fds      within a grace period after every client has stopped, the daemon's fd count is back
 *           to its count before any client (baseline) plus one fd per memfd object still held;
 *           after the checks below removed every object, back to the baseline exactly
 *  rss      VmRSS at that point minus VmRSS after the warm-up is at most 1 MiB
 *  alive    the daemon never died, and exits 0 on SIGTERM at the end
 *  serving  a well-behaved client can create, write, open, read, stat and unlink (both backends)
 *  quota    every uid can again create MaxObjectsPerUser= objects and MaxBytesPerUser= bytes,
 *           and not one more: no charge leaked
 *  conns    every uid can again hold MaxConnectionsPerUser= connections, and not one more
 *  data     no client ever read content other than what was written
 *  clients  every client process ran to the end
 *  fairness each well-behaved client's shmb_open() p99 during the soak is at most
 *           max(3 x its baseline p99, its baseline p99 + 2 ms), from at least 100 opens in each
 *           phase. 3x is the target of the issue that asked for this line (a victim's p99 under
 *           attack against its p99 alone). The 2 ms floor is there because the clients and the
 *           daemon share the machine: on two CPUs the misbehaving clients' processes cost a
 *           well-behaved client scheduling delay of its own, which is not the daemon's doing,
 *           and a short baseline's p99 can be small enough (0.1 ms) that a fraction of a
 *           millisecond of it would fail. Both numbers are printed so that a reader can judge;
 *           creates are timed and reported, not judged. p50 and p99 are the tops of buckets
 *           at most 1/16 wide (soak-hist.h).
 * Reported, not judged: the well-behaved clients' successes and errors by errno, what the
 * misbehaving clients saw the daemon do that it should not (anomalies, with notes), each
 * well-behaved client's create latency, and the max and time-weighted p99 (t-p99) of both
 * calls. What the judged p99 cannot see: a well-behaved client calls in a loop, so a stalled
 * daemon costs it one slow sample per stall, however long; stalls of 50 ms every 250 ms (the
 * daemon SIGSTOPped by hand) left every p99 where it was. t-p99 (soak-hist.h) and the max
 * show such stalls, but on a shared machine they show its own hiccups of tens of ms just as
 * well, alone as under attack, so they are printed for a reader, not judged.
 *
 * Exit status: 0 flat, 1 not flat (or could not run), 2 usage, 77 not root (skipped).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmbroker.h"
#include "soak.h"

#define RSS_BOUND_KIB 1024L
#define WORKER_STOP_TIMEOUT_MS 20000u
#define CHECK_TIMEOUT_MS 60000u         /* one check process */
#define CHECKS_TOTAL_MS 180000u         /* all checks after the run together */

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
        interrupted = sig;
}

/* ---------------------------------------------------------------- options */

static unsigned arg_duration = 120;
static unsigned arg_clients = 32;
static const char *arg_json;
static uint64_t arg_seed;
static bool arg_seed_set;
static unsigned arg_idle_timeout = 5;
static int arg_warmup = -1;
static int arg_baseline = -1;
static const char *arg_log_level = "notice";
static bool arg_keep;
static unsigned arg_reload;

static void help(void)
{
        printf("Usage: shmb-soak [OPTIONS]\n"
               "Soak test: many clients, well-behaved and not, against a private shmbrokerd\n"
               "($SHMBROKERD), sampling its RSS and fd count every second. Needs root.\n\n"
               "  --duration SECONDS      how long the clients run (default 120)\n"
               "  --clients N             client processes (default 32, a quarter well-behaved)\n"
               "  --json FILE             also write the samples and results as JSON\n"
               "  --seed N                random seed (default: from the clock; printed)\n"
               "  --idle-timeout SECONDS  the daemon's --idle-timeout (default 5)\n"
               "  --warmup SECONDS        RSS reference point after the clients start\n"
               "                          (default a fifth of the duration, 10 to 60)\n"
               "  --baseline SECONDS      the well-behaved clients alone first, for the\n"
               "                          fairness reference (default a tenth of the\n"
               "                          duration, 10 to 30)\n"
               "  --log-level LEVEL       the daemon's --log-level (default notice)\n"
               "  --keep                  keep the daemon's log and policy directory\n"
               "  --reload SECONDS        also send the daemon SIGHUP (policy reload) this often\n"
               "Exit status: 0 flat, 1 not flat, 2 usage, 77 skipped (not root).\n");
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static int parse_args(int argc, char **argv)
{
        enum { ARG_DURATION = 0x100, ARG_CLIENTS, ARG_JSON, ARG_SEED, ARG_IDLE, ARG_WARMUP,
               ARG_LOG_LEVEL, ARG_KEEP, ARG_RELOAD, ARG_BASELINE };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "duration", required_argument, NULL, ARG_DURATION },
                { "clients", required_argument, NULL, ARG_CLIENTS },
                { "json", required_argument, NULL, ARG_JSON },
                { "seed", required_argument, NULL, ARG_SEED },
                { "idle-timeout", required_argument, NULL, ARG_IDLE },
                { "warmup", required_argument, NULL, ARG_WARMUP },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "keep", no_argument, NULL, ARG_KEEP },
                { "reload", required_argument, NULL, ARG_RELOAD },
                { "baseline", required_argument, NULL, ARG_BASELINE },
                {}
        };
        unsigned v;
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        exit(0);
                case ARG_DURATION:
                        if (parse_uint(optarg, 5, 7 * 24 * 3600, &arg_duration) < 0)
                                goto bad;
                        break;
                case ARG_CLIENTS:
                        if (parse_uint(optarg, 1, 1024, &arg_clients) < 0)
                                goto bad;
                        break;
                case ARG_JSON:
                        arg_json = optarg;
                        break;
                case ARG_SEED:
                        if (parse_uint(optarg, 0, UINT32_MAX, &v) < 0)
                                goto bad;
                        arg_seed = v;
                        arg_seed_set = true;
                        break;
                case ARG_IDLE:
                        if (parse_uint(optarg, 1, 3600, &arg_idle_timeout) < 0)
                                goto bad;
                        break;
                case ARG_WARMUP:
                        if (parse_uint(optarg, 0, 7 * 24 * 3600, &v) < 0)
                                goto bad;
                        arg_warmup = (int) v;
                        break;
                case ARG_LOG_LEVEL:
                        arg_log_level = optarg;
                        break;
                case ARG_KEEP:
                        arg_keep = true;
                        break;
                case ARG_RELOAD:
                        if (parse_uint(optarg, 0, 3600, &arg_reload) < 0)
                                goto bad;
                        break;
                case ARG_BASELINE:
                        if (parse_uint(optarg, 1, 3600, &v) < 0)
                                goto bad;
                        arg_baseline = (int) v;
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "shmb-soak: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        if (arg_warmup < 0) {
                arg_warmup = (int) arg_duration / 5;
                if (arg_warmup < 10)
                        arg_warmup = 10;
                if (arg_warmup > 60)
                        arg_warmup = 60;
        }
        if ((unsigned) arg_warmup >= arg_duration)
                arg_warmup = (int) arg_duration / 2;
        if (arg_baseline < 0) {
                arg_baseline = (int) arg_duration / 10;
                if (arg_baseline < 10)
                        arg_baseline = 10;
                if (arg_baseline > 30)
                        arg_baseline = 30;
        }
        return 0;
bad:
        fprintf(stderr, "shmb-soak: invalid value '%s' for --%s\n", optarg,
                options[c - ARG_DURATION + 1].name);
        return -EINVAL;
}

/* ---------------------------------------------------------------- the policy */

static char *make_policy(void)
{
        char all[256] = "", good[128] = "", bad[128] = "", *p = NULL;
        unsigned i;
        size_t n;
        FILE *f;

        for (i = 0; i < SOAK_N_UIDS; i++) {
                char one[16];

                snprintf(one, sizeof(one), "%s%u", i ? " " : "", SOAK_UID_FIRST + i);
                strcat(all, one);
                if (i < SOAK_N_GOOD_UIDS)
                        strcat(good, one);
                else
                        strcat(bad, one + (i == SOAK_N_GOOD_UIDS));
        }
        f = open_memstream(&p, &n);
        if (!f)
                return NULL;
        fprintf(f,
                "# shmb-soak: both backends, ten principals, quotas.\n"
                "[Quota]\n"
                "MaxObjectsPerUser=%u\n"
                "MaxBytesPerUser=%llu\n"
                "MaxConnectionsPerUser=%u\n\n"
                "[Segment soak-shm]\n"
                "Names=s-*\n"
                "Create=%s\n"
                "ReadWrite=%s\n"
                "Mode=0600\n"
                "MaxSize=%lluK\n"
                "Backend=shm\n\n"
                "[Segment soak-memfd]\n"
                "Names=m-*\n"
                "Create=%s\n"
                "ReadWrite=%s\n"
                "MaxSize=%lluK\n"
                "Backend=memfd\n\n"
                "[Segment soak-ro-shm]\n"
                "Names=ro-*\n"
                "Create=%s\n"
                "ReadWrite=%s\n"
                "ReadOnly=%s\n"
                "Mode=0600\n"
                "MaxSize=%lluK\n"
                "Backend=shm\n\n"
                "[Segment soak-ro-memfd]\n"
                "Names=rom-*\n"
                "Create=%s\n"
                "ReadWrite=%s\n"
                "ReadOnly=%s\n"
                "MaxSize=%lluK\n"
                "Backend=memfd\n\n"
                "# Per-user prefixes: only the owner sees or opens them.\n"
                "[Segment soak-private]\n"
                "Names=u%%U-*\n"
                "Create=%s\n"
                "ReadWrite=%s\n"
                "Owner=%%U\n"
                "Mode=0600\n"
                "MaxSize=%lluK\n",
                SOAK_MAX_OBJECTS, (unsigned long long) SOAK_MAX_BYTES, SOAK_MAX_CONNECTIONS,
                all, all, (unsigned long long) (SOAK_MAX_SIZE >> 10), all, all,
                (unsigned long long) (SOAK_MAX_SIZE >> 10), good, good, bad,
                (unsigned long long) (SOAK_RO_MAX_SIZE >> 10), good, good, bad,
                (unsigned long long) (SOAK_RO_MAX_SIZE >> 10), all, all,
                (unsigned long long) (SOAK_MAX_SIZE >> 10));
        if (fclose(f) != 0) {
                free(p);
                return NULL;
        }
        return p;
}

/* ---------------------------------------------------------------- checks as another uid */

/* What a check run in a child reports back (shared memory). */
struct check_box {
        long value, value2;
        char msg[1024];
        char names[4096][64];
        size_t n_names;
};

static struct check_box *box;
static const char *socket_path;
static uint64_t checks_deadline;        /* CLOCK_MONOTONIC ns; 0: none yet */

SOAK_PRINTF(1, 2)
static int fail(const char *fmt, ...)
{
        size_t n = strlen(box->msg);
        va_list ap;

        if (n > 0 && n + 2 < sizeof(box->msg)) {
                strcat(box->msg, "; ");
                n += 2;
        }
        va_start(ap, fmt);
        if (n < sizeof(box->msg))
                vsnprintf(box->msg + n, sizeof(box->msg) - n, fmt, ap);
        va_end(ap);
        return -1;
}

/* Runs @fn in a child as @uid. Return: 0 if it returned 0, else -EIO (box->msg says why). */
static int run_as(uid_t uid, int (*fn)(uintptr_t), uintptr_t arg)
{
        uint64_t deadline;
        int status, r;
        pid_t pid;

        box->msg[0] = '\0';
        box->value = box->value2 = 0;
        box->n_names = 0;
        deadline = tl_now_ns() + (uint64_t) CHECK_TIMEOUT_MS * 1000000;
        if (checks_deadline > 0 && checks_deadline < deadline)
                deadline = checks_deadline;
        if (tl_now_ns() >= deadline) {
                fail("not run: the checks took longer than %u ms in all", CHECKS_TOTAL_MS);
                return -ETIMEDOUT;
        }
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                (void) signal(SIGPIPE, SIG_IGN);
                (void) signal(SIGINT, SIG_DFL);
                (void) signal(SIGTERM, SIG_DFL);
                r = tl_become(uid);
                if (r < 0) {
                        fail("cannot become uid %u: %s", (unsigned) uid, strerror(-r));
                        _exit(1);
                }
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                r = fn(arg);
                _exit(r == 0 ? 0 : 1);
        }
        while (waitpid(pid, &status, WNOHANG) == 0) {
                if (tl_now_ns() > deadline) {
                        (void) kill(pid, SIGKILL);
                        (void) waitpid(pid, &status, 0);
                        fail("check process timed out");
                        return -ETIMEDOUT;
                }
                tl_sleep_ms(2);
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (!box->msg[0])
                fail("check process ended with status 0x%x", (unsigned) status);
        return -EIO;
}

static struct shmb_client *check_connect(void)
{
        struct shmb_client *c = NULL;
        int r = shmb_connect(socket_path, &c);

        if (r < 0) {
                fail("connect: %s", strerrorname_np(-r));
                return NULL;
        }
        (void) shmb_client_set_timeout(c, 10000);
        return c;
}

/* Creates @name read-write and fills it; or opens it and checks. */
static int put_object(struct shmb_client *c, const char *name, uint64_t size)
{
        void *p;
        size_t len;
        int fd, r;

        r = shmb_create(c, name, size, SHMB_ACCESS_RDWR, &fd, NULL);
        if (r < 0)
                return fail("create '%s': %s", name, strerrorname_np(-r));
        r = shmb_map(fd, SHMB_ACCESS_RDWR, &p, &len);
        close(fd);
        if (r < 0)
                return fail("map '%s': %s", name, strerrorname_np(-r));
        soak_fill(p, len, soak_name_tag(name));
        (void) munmap(p, len);
        return 0;
}

static int check_object(struct shmb_client *c, const char *name, uint64_t size, int access)
{
        struct shmb_fd_info info;
        void *p;
        size_t len;
        int fd, r;

        r = shmb_open(c, name, access, &fd, &info);
        if (r < 0)
                return fail("open '%s': %s", name, strerrorname_np(-r));
        r = shmb_map(fd, SHMB_ACCESS_RDONLY, &p, &len);
        close(fd);
        if (r < 0)
                return fail("map '%s': %s", name, strerrorname_np(-r));
        r = len == size && soak_check(p, len, soak_name_tag(name));
        (void) munmap(p, len);
        return r ? 0 : fail("'%s': content or size (%zu) not what was written", name, len);
}

static int check_setup(uintptr_t arg)
{
        struct shmb_client *c = check_connect();
        unsigned i, m;
        int r = 0;

        if (!c)
                return -1;
        for (m = 0; m < 2; m++)
                for (i = 0; i < SOAK_N_SHARED; i++) {
                        char name[16];

                        soak_shared_name(name, sizeof(name), i, m);
                        r |= put_object(c, name, SOAK_SHARED_SIZE);
                }
        shmb_client_free(c);
        return r;
}

static int list_cb(const char *name, void *userdata)
{
        if (box->n_names < sizeof(box->names) / sizeof(box->names[0]))
                snprintf(box->names[box->n_names++], sizeof(box->names[0]), "%s", name);
        box->value++;
        if (strncmp(name, "m-", 2) == 0 || strncmp(name, "rom-", 4) == 0)
                box->value2++;
        return 0;
}

/* Lists every object (the control uid may open them all): value = objects, value2 = memfd
 * objects; names in box->names. */
static int check_list(uintptr_t arg)
{
        struct shmb_client *c = check_connect();
        int r;

        if (!c)
                return -1;
        r = shmb_list(c, list_cb, NULL);
        shmb_client_free(c);
        return r < 0 ? fail("list: %s", strerrorname_np(-r)) : 0;
}

static int check_serving(uintptr_t arg)
{
        static const char *const names[] = { "s-soak-final-check", "m-soak-final-check" };
        struct shmb_client *c = check_connect();
        struct shmb_stat st;
        int r = 0, k, fd;
        size_t i;

        if (!c)
                return -1;
        for (i = 0; i < 2; i++) {
                if (put_object(c, names[i], 65536) < 0 ||
                    check_object(c, names[i], 65536, SHMB_ACCESS_RDONLY) < 0 ||
                    check_object(c, names[i], 65536, SHMB_ACCESS_RDWR) < 0) {
                        r = -1;
                        continue;
                }
                k = shmb_stat(c, names[i], &st);
                if (k < 0 || st.size != 65536 ||
                    st.backend != (i ? SHMB_BACKEND_MEMFD : SHMB_BACKEND_SHM))
                        r = fail("stat '%s': %s", names[i], k < 0 ? strerrorname_np(-k) :
                                 "wrong size or backend");
                k = shmb_unlink(c, names[i]);
                if (k < 0)
                        r = fail("unlink '%s': %s", names[i], strerrorname_np(-k));
                k = shmb_open(c, names[i], SHMB_ACCESS_RDONLY, &fd, NULL);
                if (k != -ENOENT) {
                        r = fail("open after unlink '%s': %s", names[i],
                                 k == 0 ? "succeeded" : strerrorname_np(-k));
                        if (k == 0)
                                close(fd);
                }
        }
        {
                char name[16];

                soak_shared_name(name, sizeof(name), 0, false);
                r |= check_object(c, name, SOAK_SHARED_SIZE, SHMB_ACCESS_RDONLY);
                soak_shared_name(name, sizeof(name), 0, true);
                r |= check_object(c, name, SOAK_SHARED_SIZE, SHMB_ACCESS_RDONLY);
        }
        shmb_client_free(c);
        return r;
}

/* What check_unlink_all() removes: set by the parent before the fork. */
static char unlink_names[4096][64];
static size_t unlink_n;

/* Unlinks every object in unlink_names. */
static int check_unlink_all(uintptr_t arg)
{
        char (*names)[64] = unlink_names;
        size_t n = unlink_n, i;
        struct shmb_client *c = check_connect();
        int r = 0, k;

        if (!c)
                return -1;
        box->value = 0;
        for (i = 0; i < n; i++) {
                k = shmb_unlink(c, names[i]);
                if (k == 0)
                        box->value++;
                else if (k != -ENOENT)
                        r = fail("unlink '%s': %s", names[i], strerrorname_np(-k));
        }
        shmb_client_free(c);
        return r;
}

/* Fills the uid's quota twice - by object count, then by bytes - and checks one more is
 * refused: if any charge leaked during the run, the quota is reached early. */
static int check_quota(uintptr_t arg)
{
        uid_t uid = (uid_t) arg;
        struct shmb_client *c = check_connect();
        uint64_t small = (SOAK_MAX_BYTES / SOAK_MAX_OBJECTS) & ~(uint64_t) 4095;
        unsigned i, round, n;
        char name[64];
        int r = 0, k;

        if (!c)
                return -1;
        for (round = 0; round < 2 && r == 0; round++) {
                uint64_t size = round == 0 ? small : SOAK_MAX_SIZE;

                n = round == 0 ? SOAK_MAX_OBJECTS : (unsigned) (SOAK_MAX_BYTES / SOAK_MAX_SIZE);
                for (i = 0; i < n; i++) {
                        snprintf(name, sizeof(name), "%c-quota-check-%u-%u", i % 2 ? 'm' : 's',
                                 (unsigned) uid, i);
                        k = shmb_create(c, name, size, SHMB_ACCESS_NONE, NULL, NULL);
                        if (k < 0) {
                                r = fail("uid %u: create %u of %u (%llu bytes each): %s",
                                         (unsigned) uid, i + 1, n, (unsigned long long) size,
                                         strerrorname_np(-k));
                                break;
                        }
                }
                if (r == 0) {
                        snprintf(name, sizeof(name), "s-quota-check-%u-extra", (unsigned) uid);
                        k = shmb_create(c, name, size, SHMB_ACCESS_NONE, NULL, NULL);
                        if (k != -EDQUOT) {
                                r = fail("uid %u: create %u of %llu bytes: %s, expected EDQUOT",
                                         (unsigned) uid, n + 1, (unsigned long long) size,
                                         k == 0 ? "success" : strerrorname_np(-k));
                                if (k == 0)
                                        (void) shmb_unlink(c, name);
                        }
                }
                for (i = 0; i < n; i++) {
                        snprintf(name, sizeof(name), "%c-quota-check-%u-%u", i % 2 ? 'm' : 's',
                                 (unsigned) uid, i);
                        (void) shmb_unlink(c, name);
                }
        }
        shmb_client_free(c);
        return r;
}

/* Holds MaxConnectionsPerUser= connections, each answered, and checks one more is refused. */
static int check_conns(uintptr_t arg)
{
        uid_t uid = (uid_t) arg;
        int fds[SOAK_MAX_CONNECTIONS + 1], r = 0, k;
        static struct shmb_proto_reply reply;
        uint8_t buf[256];
        unsigned i;

        for (i = 0; i <= SOAK_MAX_CONNECTIONS; i++) {
                int n = shmb_proto_encode_name_req(buf, sizeof(buf), SHMB_PROTO_STAT, i + 1,
                                                   "m-conn-check", 0);

                fds[i] = soak_raw_connect(socket_path, 10000);
                if (fds[i] < 0) {
                        r = fail("uid %u: connection %u: %s", (unsigned) uid, i + 1,
                                 strerrorname_np(-fds[i]));
                        break;
                }
                k = tl_raw_send(fds[i], buf, (size_t) n, NULL, 0, 0);
                if (k == 0)
                        k = soak_raw_reply(fds[i], &reply, NULL, NULL);
                if (i < SOAK_MAX_CONNECTIONS) {
                        if (k < 0 || reply.seq != i + 1 || reply.type != SHMB_PROTO_REPLY_ERROR ||
                            reply.error != ENOENT) {
                                r = fail("uid %u: connection %u of %u not served: %s (seq %u "
                                         "error %d)", (unsigned) uid, i + 1,
                                         SOAK_MAX_CONNECTIONS,
                                         k < 0 ? strerrorname_np(-k) : "reply", reply.seq,
                                         reply.error);
                                i++;
                                break;
                        }
                } else if (!(k == 0 && reply.seq == 0 && reply.error == EDQUOT) &&
                           !(k == -EPIPE || k == -ECONNRESET))
                        r = fail("uid %u: connection %u: %s (seq %u error %d), expected EDQUOT",
                                 (unsigned) uid, i + 1, k < 0 ? strerrorname_np(-k) : "reply",
                                 reply.seq, reply.error);
        }
        while (i-- > 0)
                if (fds[i] >= 0)
                        close(fds[i]);
        return r;
}

/* ---------------------------------------------------------------- samples */

struct sample {
        double t;       /* seconds since the clients started (negative before) */
        long rss_kib;
        int fds;
};

static struct sample *samples;
static size_t n_samples, samples_allocated;

static struct sample *take_sample(pid_t pid, uint64_t t0)
{
        struct sample *s;

        if (n_samples == samples_allocated) {
                size_t a = samples_allocated ? samples_allocated * 2 : 512;
                struct sample *p = reallocarray(samples, a, sizeof(*p));

                if (!p)
                        return NULL;
                samples = p;
                samples_allocated = a;
        }
        s = &samples[n_samples++];
        s->t = ((double) tl_now_ns() - (double) t0) / 1e9;
        s->rss_kib = tl_proc_rss_kib(pid);
        s->fds = tl_proc_fd_count(pid);
        return s;
}

/* The daemon's fds by kind: memfds of objects, sockets, everything else. */
static void fd_kinds(pid_t pid, int *ret_memfd, int *ret_sockets, int *ret_other)
{
        char path[64], target[256];
        struct dirent *de;
        DIR *d;

        *ret_memfd = *ret_sockets = *ret_other = 0;
        snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
        d = opendir(path);
        if (!d)
                return;
        while ((de = readdir(d))) {
                char p[320];
                ssize_t n;

                if (de->d_name[0] == '.')
                        continue;
                snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
                n = readlink(p, target, sizeof(target) - 1);
                if (n < 0)
                        continue;
                target[n] = '\0';
                if (strncmp(target, "/memfd:shmbroker", 16) == 0)
                        (*ret_memfd)++;
                else if (strncmp(target, "socket:", 7) == 0)
                        (*ret_sockets)++;
                else
                        (*ret_other)++;
        }
        closedir(d);
}

/* ---------------------------------------------------------------- report */

struct check {
        const char *name;
        bool pass;
        char detail[1200];
};

#define N_CHECKS 9
static struct check checks[N_CHECKS];
static size_t n_checks;

SOAK_PRINTF(3, 4)
static void verdict(const char *name, bool pass, const char *fmt, ...)
{
        struct check *c = &checks[n_checks < N_CHECKS ? n_checks++ : N_CHECKS - 1];
        va_list ap;

        c->name = name;
        c->pass = pass;
        va_start(ap, fmt);
        vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
        va_end(ap);
}

static bool check_passed(const char *name)
{
        size_t i;

        for (i = 0; i < n_checks; i++)
                if (strcmp(checks[i].name, name) == 0)
                        return checks[i].pass;
        return false;
}

static const char *errno_name(unsigned e)
{
        const char *s;

        if (e == SOAK_ERRNO_SLOTS - 1)
                return "other";
        s = strerrorname_np((int) e);
        return s ? s : "?";
}

struct summary {
        struct sample start, warm, min, max, end, after;
        int baseline_fds;
        long memfd_held, objects_held;
        double settle_s;        /* seconds after the clients stopped until the fds settled */
        long rss_growth;
        double slope_kib_min;
        int daemon_memfd_fds;
        uint64_t good_ok, good_corrupt, good_errors[SOAK_ERRNO_SLOTS];
        uint64_t bad_runs[_SC_MAX], bad_anomalies[_SC_MAX], bad_errors[SOAK_ERRNO_SLOTS];
        uint64_t bad_corrupt, kernel_refused_fds, delivered_fds;
        size_t n_good, n_bad;
        double ran_s;
        double baseline_s;      /* how long the well-behaved clients ran alone */
};

/* One row of the table; "-" where there is no sample (the daemon was gone). */
static void print_row(const char *title, const struct summary *s, bool rss)
{
        const struct sample *cols[] = { &s->start, &s->warm, &s->min, &s->max, &s->end,
                                        &s->after };
        size_t i;

        printf("%-13s", title);
        for (i = 0; i < 6; i++) {
                long v = rss ? cols[i]->rss_kib : (long) cols[i]->fds;

                if (v < 0)
                        printf(" %10s", "-");
                else
                        printf(" %10ld", v);
        }
        putchar('\n');
}

static void print_errors(FILE *f, const uint64_t *errors)
{
        bool any = false;
        unsigned e;

        for (e = 1; e < SOAK_ERRNO_SLOTS; e++)
                if (errors[e]) {
                        fprintf(f, "%s %s %llu", any ? "," : "", errno_name(e),
                                (unsigned long long) errors[e]);
                        any = true;
                }
        if (!any)
                fprintf(f, " none");
        fputc('\n', f);
}

static void json_errors(FILE *f, const uint64_t *errors)
{
        bool any = false;
        unsigned e;

        fputc('{', f);
        for (e = 1; e < SOAK_ERRNO_SLOTS; e++)
                if (errors[e]) {
                        fprintf(f, "%s", any ? ", " : "");
                        soak_json_string(f, errno_name(e));
                        fprintf(f, ": %llu", (unsigned long long) errors[e]);
                        any = true;
                }
        fputc('}', f);
}

static void json_row(FILE *f, const char *key, const struct summary *s, bool rss)
{
        const struct sample *cols[] = { &s->start, &s->warm, &s->min, &s->max, &s->end,
                                        &s->after };
        static const char *const names[] = { "start", "after_warmup", "min", "max", "end",
                                             "after_checks" };
        size_t i;

        fprintf(f, "  \"%s\": {", key);
        for (i = 0; i < 6; i++) {
                long v = rss ? cols[i]->rss_kib : (long) cols[i]->fds;

                fprintf(f, "%s\"%s\": ", i ? ", " : "", names[i]);
                if (v < 0)
                        fprintf(f, "null");
                else
                        fprintf(f, "%ld", v);
        }
        fprintf(f, "},\n");
}

/* ---------------------------------------------------------------- fairness */

/* A well-behaved client's open p99 during the soak may be FAIR_FACTOR times its p99 alone, or
 * its p99 alone plus FAIR_FLOOR_NS, whichever is more; judged on FAIR_MIN_SAMPLES opens or
 * more in each phase. See the verdict in the comment at the top. */
#define FAIR_FACTOR 3u
#define FAIR_FLOOR_NS UINT64_C(2000000)
#define FAIR_MIN_SAMPLES 100u

static const char *const op_names[_SOAK_OP_MAX] = {
        [SOAK_OP_OPEN] = "open",
        [SOAK_OP_CREATE] = "create",
};

/* All well-behaved clients together, by phase and call. */
static struct soak_hist lat_all[_SOAK_PHASE_MAX][_SOAK_OP_MAX];

static double ms(uint64_t ns)
{
        return (double) ns / 1e6;
}

static uint64_t fair_bound_ns(const struct soak_hist *alone)
{
        uint64_t p99 = soak_hist_quantile(alone, 0.99);

        return p99 * FAIR_FACTOR > p99 + FAIR_FLOOR_NS ? p99 * FAIR_FACTOR : p99 + FAIR_FLOOR_NS;
}

static bool fair_judgeable(const struct soak_worker *w)
{
        return w->latency[SOAK_PHASE_BASELINE][SOAK_OP_OPEN].count >= FAIR_MIN_SAMPLES &&
               w->latency[SOAK_PHASE_SOAK][SOAK_OP_OPEN].count >= FAIR_MIN_SAMPLES;
}

static bool fair_pass(const struct soak_worker *w)
{
        return fair_judgeable(w) &&
               soak_hist_quantile(&w->latency[SOAK_PHASE_SOAK][SOAK_OP_OPEN], 0.99) <=
               fair_bound_ns(&w->latency[SOAK_PHASE_BASELINE][SOAK_OP_OPEN]);
}

/* The fairness line: every well-behaved client within its bound; the worst one and all of
 * them together in the detail. */
static void fair_verdict(const struct soak_shared *sh, const struct summary *s)
{
        const struct soak_worker *worst = NULL;
        double worst_ratio = -1;
        size_t i, n_pass = 0, n_few = 0, p;
        char few[400] = "";
        unsigned o;

        for (i = 0; i < sh->n_workers; i++) {
                const struct soak_worker *w = &sh->workers[i];
                double ratio;

                if (!w->good)
                        continue;
                for (p = 0; p < _SOAK_PHASE_MAX; p++)
                        for (o = 0; o < _SOAK_OP_MAX; o++)
                                soak_hist_merge(&lat_all[p][o], &w->latency[p][o]);
                if (!fair_judgeable(w)) {
                        if (n_few++ < 4)
                                snprintf(few + strlen(few), sizeof(few) - strlen(few),
                                         "; client %zu: %llu opens alone, %llu during the soak "
                                         "(fewer than %u)", i,
                                         (unsigned long long) w->latency[0][SOAK_OP_OPEN].count,
                                         (unsigned long long) w->latency[1][SOAK_OP_OPEN].count,
                                         FAIR_MIN_SAMPLES);
                        continue;
                }
                n_pass += fair_pass(w);
                ratio = (double) soak_hist_quantile(&w->latency[SOAK_PHASE_SOAK][SOAK_OP_OPEN],
                                                    0.99) /
                        (double) fair_bound_ns(&w->latency[SOAK_PHASE_BASELINE][SOAK_OP_OPEN]);
                if (ratio > worst_ratio) {
                        worst_ratio = ratio;
                        worst = w;
                }
        }
        if (!worst) {
                verdict("fairness", false, "no well-behaved client timed enough opens to judge%s",
                        few);
                return;
        }
        {
                const struct soak_hist *a = &worst->latency[SOAK_PHASE_BASELINE][SOAK_OP_OPEN];
                const struct soak_hist *b = &worst->latency[SOAK_PHASE_SOAK][SOAK_OP_OPEN];
                const struct soak_hist *aa = &lat_all[SOAK_PHASE_BASELINE][SOAK_OP_OPEN];
                const struct soak_hist *ab = &lat_all[SOAK_PHASE_SOAK][SOAK_OP_OPEN];

                verdict("fairness", n_pass == s->n_good,
                        "%zu of %zu well-behaved clients' open p99 during the soak within "
                        "max(%ux, +%.0f ms) of their p99 alone; closest to its bound: client "
                        "%zu (uid %u), p99 %.3f ms during the soak, %.3f ms alone, bound %.3f ms; "
                        "all well-behaved opens: p50/p99 %.3f/%.3f ms alone (%llu in %.0f s), "
                        "%.3f/%.3f ms during the soak (%llu)%s", n_pass, s->n_good, FAIR_FACTOR,
                        ms(FAIR_FLOOR_NS), (size_t) (worst - sh->workers),
                        (unsigned) worst->uid, ms(soak_hist_quantile(b, 0.99)),
                        ms(soak_hist_quantile(a, 0.99)), ms(fair_bound_ns(a)),
                        ms(soak_hist_quantile(aa, 0.5)), ms(soak_hist_quantile(aa, 0.99)),
                        (unsigned long long) aa->count, s->baseline_s,
                        ms(soak_hist_quantile(ab, 0.5)), ms(soak_hist_quantile(ab, 0.99)),
                        (unsigned long long) ab->count, few);
        }
}

static void print_lat_cells(const struct soak_hist *h, bool with_max)
{
        if (h->count == 0) {
                printf(" %7s %7s %7s %7s%s", "0", "-", "-", "-", with_max ? "       -" : "");
                return;
        }
        printf(" %7llu %7.3f %7.3f %7.3f", (unsigned long long) h->count,
               ms(soak_hist_quantile(h, 0.5)), ms(soak_hist_quantile(h, 0.99)),
               ms(soak_hist_quantile_timed(h, 0.99)));
        if (with_max)
                printf(" %7.2f", ms(h->max_ns));
}

static void print_lat_row(const char *who, const char *uid, unsigned op,
                          const struct soak_hist (*lat)[_SOAK_OP_MAX],
                          const struct soak_worker *w)
{
        printf("  %-6s %-5s %-6s", who, uid, op_names[op]);
        print_lat_cells(&lat[SOAK_PHASE_BASELINE][op], false);
        printf(" |");
        print_lat_cells(&lat[SOAK_PHASE_SOAK][op], true);
        if (op == SOAK_OP_OPEN && w)
                printf(" | %7.3f %s", ms(fair_bound_ns(&lat[SOAK_PHASE_BASELINE][op])),
                       !fair_judgeable(w) ? "too few" : fair_pass(w) ? "ok" : "OVER");
        putchar('\n');
}

/* The table of each well-behaved client's latency, both phases. */
static void print_fairness(const struct soak_shared *sh, const struct summary *s)
{
        size_t i;
        unsigned o;

        printf("well-behaved clients' latency in ms, alone for %.0f s and during the %.0f s "
               "soak (p50, p99: tops of buckets\nat most 1/16 wide; t-p99: p99 weighted by "
               "time, the call in progress at a random moment;\nopen p99 bound: max(%u x p99 "
               "alone, p99 alone + %.0f ms)):\n", s->baseline_s, s->ran_s, FAIR_FACTOR,
               ms(FAIR_FLOOR_NS));
        printf("  %-6s %-5s %-6s %7s %7s %7s %7s | %7s %7s %7s %7s %7s | %7s\n", "client",
               "uid", "call", "alone n", "p50", "p99", "t-p99", "soak n", "p50", "p99", "t-p99",
               "max", "bound");
        for (i = 0; i < sh->n_workers; i++) {
                const struct soak_worker *w = &sh->workers[i];
                char who[24], uid[16];

                if (!w->good)
                        continue;
                snprintf(who, sizeof(who), "%zu", i);
                snprintf(uid, sizeof(uid), "%u", (unsigned) w->uid);
                for (o = 0; o < _SOAK_OP_MAX; o++)
                        print_lat_row(o ? "" : who, o ? "" : uid, o, w->latency, w);
        }
        for (o = 0; o < _SOAK_OP_MAX; o++)
                print_lat_row(o ? "" : "all", "", o, lat_all, NULL);
}

static void json_lat(FILE *f, const struct soak_hist *h)
{
        fprintf(f, "{\"n\": %llu, \"p50_ms\": %.4f, \"p99_ms\": %.4f, "
                "\"time_weighted_p99_ms\": %.4f, \"max_ms\": %.4f, \"mean_ms\": %.4f}",
                (unsigned long long) h->count, ms(soak_hist_quantile(h, 0.5)),
                ms(soak_hist_quantile(h, 0.99)), ms(soak_hist_quantile_timed(h, 0.99)),
                ms(h->max_ns), h->count ? ms(h->sum_ns / h->count) : 0.0);
}

static void json_lat_ops(FILE *f, const struct soak_hist (*lat)[_SOAK_OP_MAX])
{
        unsigned o;

        for (o = 0; o < _SOAK_OP_MAX; o++) {
                fprintf(f, "%s\"%s\": {\"baseline\": ", o ? ", " : "", op_names[o]);
                json_lat(f, &lat[SOAK_PHASE_BASELINE][o]);
                fprintf(f, ", \"soak\": ");
                json_lat(f, &lat[SOAK_PHASE_SOAK][o]);
                fputc('}', f);
        }
}

static void json_fairness(FILE *f, const struct soak_shared *sh, const struct summary *s,
                          bool pass)
{
        bool first = true;
        size_t i;

        fprintf(f, "  \"fairness\": {\"pass\": %s, \"baseline_s\": %.1f, \"soak_s\": %.1f, "
                "\"factor\": %u, \"floor_ms\": %.3f, \"min_samples\": %u, "
                "\"judged\": \"open p99 during the soak <= max(factor * baseline p99, "
                "baseline p99 + floor), per well-behaved client\",\n    \"clients\": [",
                pass ? "true" : "false", s->baseline_s, s->ran_s, FAIR_FACTOR,
                ms(FAIR_FLOOR_NS), FAIR_MIN_SAMPLES);
        for (i = 0; i < sh->n_workers; i++) {
                const struct soak_worker *w = &sh->workers[i];

                if (!w->good)
                        continue;
                fprintf(f, "%s\n      {\"client\": %zu, \"uid\": %u, \"pass\": %s, "
                        "\"open_p99_bound_ms\": %.4f, ", first ? "" : ",", i,
                        (unsigned) w->uid, fair_pass(w) ? "true" : "false",
                        ms(fair_bound_ns(&w->latency[SOAK_PHASE_BASELINE][SOAK_OP_OPEN])));
                json_lat_ops(f, w->latency);
                fputc('}', f);
                first = false;
        }
        fprintf(f, "],\n    \"all\": {");
        json_lat_ops(f, lat_all);
        fprintf(f, "}},\n");
}

static int write_json(const char *path, const struct summary *s, const struct soak_shared *sh,
                      uint64_t seed, const char *daemon_bin, bool flat)
{
        FILE *f = fopen(path, "we");
        size_t i, k;
        bool first = true;

        if (!f)
                return -errno;
        fprintf(f, "{\n  \"tool\": \"shmb-soak\",\n  \"daemon\": ");
        soak_json_string(f, daemon_bin);
        fprintf(f, ",\n  \"duration_s\": %u,\n  \"ran_s\": %.1f,\n  \"clients\": %u,\n"
                "  \"well_behaved_clients\": %zu,\n  \"misbehaving_clients\": %zu,\n"
                "  \"seed\": %llu,\n  \"idle_timeout_s\": %u,\n  \"warmup_s\": %d,\n"
                "  \"interrupted\": %s,\n",
                arg_duration, s->ran_s, arg_clients, s->n_good, s->n_bad,
                (unsigned long long) seed, arg_idle_timeout, arg_warmup,
                interrupted ? "true" : "false");
        json_row(f, "rss_kib", s, true);
        json_row(f, "fds", s, false);
        fprintf(f, "  \"baseline_fds\": %d,\n  \"memfd_objects_held\": %ld,\n"
                "  \"objects_held\": %ld,\n  \"fd_settle_s\": %.1f,\n"
                "  \"rss_growth_after_warmup_kib\": %ld,\n  \"rss_bound_kib\": %ld,\n"
                "  \"rss_slope_kib_per_min\": %.2f,\n",
                s->baseline_fds, s->memfd_held, s->objects_held, s->settle_s, s->rss_growth,
                RSS_BOUND_KIB, s->slope_kib_min);
        fprintf(f, "  \"checks\": [\n");
        for (i = 0; i < n_checks; i++) {
                fprintf(f, "    {\"name\": \"%s\", \"pass\": %s, \"detail\": ", checks[i].name,
                        checks[i].pass ? "true" : "false");
                soak_json_string(f, checks[i].detail);
                fprintf(f, "}%s\n", i + 1 < n_checks ? "," : "");
        }
        fprintf(f, "  ],\n  \"flat\": %s,\n", flat ? "true" : "false");
        json_fairness(f, sh, s, check_passed("fairness"));
        fprintf(f, "  \"well_behaved\": {\"ok\": %llu, \"corrupt\": %llu, \"errors\": ",
                (unsigned long long) s->good_ok, (unsigned long long) s->good_corrupt);
        json_errors(f, s->good_errors);
        fprintf(f, "},\n  \"misbehaving\": {\"corrupt\": %llu, \"kernel_refused_fds\": %llu, "
                "\"delivered_fds\": %llu, \"scenarios\": {",
                (unsigned long long) s->bad_corrupt, (unsigned long long) s->kernel_refused_fds,
                (unsigned long long) s->delivered_fds);
        for (i = 1; i < _SC_MAX; i++)
                fprintf(f, "%s\"%s\": {\"runs\": %llu, \"anomalies\": %llu}", i > 1 ? ", " : "",
                        soak_scenario_name((int) i), (unsigned long long) s->bad_runs[i],
                        (unsigned long long) s->bad_anomalies[i]);
        fprintf(f, "}, \"errors\": ");
        json_errors(f, s->bad_errors);
        fprintf(f, "},\n  \"notes\": [");
        for (i = 0; i < sh->n_workers; i++)
                for (k = 0; k < sh->workers[i].n_notes; k++) {
                        fprintf(f, "%s\n    ", first ? "" : ",");
                        soak_json_string(f, sh->workers[i].notes[k]);
                        first = false;
                }
        fprintf(f, "],\n  \"samples\": [");
        for (i = 0; i < n_samples; i++)
                fprintf(f, "%s[%.1f, %ld, %d]", i ? ", " : "", samples[i].t, samples[i].rss_kib,
                        samples[i].fds);
        fprintf(f, "]\n}\n");
        if (fclose(f) != 0)
                return -errno;
        return 0;
}

/* Counts log lines at priority err or worse ("<0>" to "<3>"), printing the first few. */
static long log_errors(const char *path, FILE *f, unsigned show)
{
        char line[1024];
        long n = 0;
        FILE *in = fopen(path, "re");

        if (!in)
                return -1;
        while (fgets(line, sizeof(line), in))
                if (line[0] == '<' && line[1] >= '0' && line[1] <= '3' && line[2] == '>') {
                        if ((unsigned long) n < show)
                                fprintf(f, "    %s", line);
                        n++;
                }
        fclose(in);
        return n;
}

/* ---------------------------------------------------------------- main */

/* Forks worker @i, which switches to its uid and runs until sh->stop. Return: 0 or -errno. */
static int start_worker(struct soak_shared *sh, size_t i, uint64_t seed)
{
        pid_t pid;

        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                int r = -errno;

                fprintf(stderr, "shmb-soak: fork: %s\n", strerror(-r));
                return r;
        }
        if (pid == 0) {
                (void) signal(SIGINT, SIG_IGN); /* the parent stops us */
                (void) signal(SIGTERM, SIG_DFL);
                if (tl_become(sh->workers[i].uid) < 0)
                        _exit(121);
                /* After the uid switch, which clears it. */
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() == 1)
                        _exit(120);
                _exit(soak_worker_main(sh, i, seed * 1000003u + i));
        }
        sh->workers[i].pid = pid;
        return 0;
}

/* Reaps the workers that ended before they were told to. Return: false if any did. */
static bool reap_early(struct soak_shared *sh)
{
        bool ok = true;
        size_t i;

        for (i = 0; i < sh->n_workers; i++) {
                int status;

                if (sh->workers[i].pid > 0 &&
                    waitpid(sh->workers[i].pid, &status, WNOHANG) == sh->workers[i].pid) {
                        fprintf(stderr, "shmb-soak: client %zu (uid %u) ended early, "
                                "status 0x%x\n", i, (unsigned) sh->workers[i].uid,
                                (unsigned) status);
                        sh->workers[i].pid = 0;
                        ok = false;
                }
        }
        return ok;
}

static const char *find_daemon(void)
{
        const char *bin = getenv("SHMBROKERD");

        if (bin && bin[0])
                return bin;
#ifdef SHMB_SOAK_DAEMON
        return SHMB_SOAK_DAEMON;
#else
        return NULL;
#endif
}

static double slope_per_min(double t_from, double t_to)
{
        double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
        size_t i;

        for (i = 0; i < n_samples; i++) {
                const struct sample *s = &samples[i];

                if (s->t < t_from || s->t > t_to || s->rss_kib < 0)
                        continue;
                sx += s->t;
                sy += (double) s->rss_kib;
                sxx += s->t * s->t;
                sxy += s->t * (double) s->rss_kib;
                n++;
        }
        if (n < 3 || n * sxx - sx * sx == 0)
                return NAN;
        return (n * sxy - sx * sy) / (n * sxx - sx * sx) * 60.0;
}

int main(int argc, char **argv)
{
        struct sigaction sa = { .sa_handler = on_signal };
        struct soak_daemon d;
        struct soak_shared *sh;
        struct summary s = {
                .warm = { .rss_kib = -1, .fds = -1 },
                .end = { .rss_kib = -1, .fds = -1 },
                .after = { .rss_kib = -1, .fds = -1 },
        };
        const char *daemon_bin;
        char *policy;
        size_t sh_size, i, k, n_notes = 0;
        uint64_t t0, t_base, t_start, t_stop, seed;
        bool flat = true, workers_ok = true, fds_ok = false;
        int r, fd_memfd, fd_sock, fd_other;
        long log_errs;
        unsigned u, reloads = 0;

        if (parse_args(argc, argv) < 0)
                return 2;
        if (geteuid() != 0) {
                fprintf(stderr, "shmb-soak: needs root (clients switch to uids %u-%u); "
                        "skipped\n", SOAK_UID_FIRST, SOAK_UID_FIRST + SOAK_N_UIDS - 1);
                return 77;
        }
        daemon_bin = find_daemon();
        if (!daemon_bin || access(daemon_bin, X_OK) < 0) {
                fprintf(stderr, "shmb-soak: set SHMBROKERD to the shmbrokerd to test%s%s\n",
                        daemon_bin ? ": cannot execute " : "", daemon_bin ? daemon_bin : "");
                return 1;
        }
        seed = arg_seed_set ? arg_seed :
                              ((uint64_t) time(NULL) ^ (uint64_t) getpid()) & 0xffffffffu;
        sigemptyset(&sa.sa_mask);
        (void) sigaction(SIGINT, &sa, NULL);
        (void) sigaction(SIGTERM, &sa, NULL);
        (void) signal(SIGPIPE, SIG_IGN);

        box = mmap(NULL, sizeof(*box), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        sh_size = sizeof(*sh) + arg_clients * sizeof(sh->workers[0]);
        sh = mmap(NULL, sh_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        policy = make_policy();
        if (box == MAP_FAILED || sh == MAP_FAILED || !policy) {
                fprintf(stderr, "shmb-soak: out of memory\n");
                return 1;
        }

        r = soak_daemon_start(daemon_bin, policy, arg_idle_timeout, arg_log_level, &d);
        if (r < 0) {
                fprintf(stderr, "shmb-soak: cannot start %s: %s\n", daemon_bin, strerror(-r));
                return 1;
        }
        socket_path = d.dirs.socket_path;
        printf("shmb-soak: %s, pid %d, socket %s, --shm-dir %s, --idle-timeout %u\n"
               "shmb-soak: %u clients for %u s, warm-up %d s, seed %llu\n", daemon_bin,
               (int) d.pid, d.dirs.socket_path, d.dirs.shm_dir, arg_idle_timeout, arg_clients,
               arg_duration, arg_warmup, (unsigned long long) seed);
        fflush(stdout);

        /* Baseline: the fd count once it is steady, before any client. */
        tl_sleep_ms(300);
        t0 = tl_now_ns();
        for (i = 0; i < 20; i++) {
                int a = tl_proc_fd_count(d.pid);

                tl_sleep_ms(100);
                if (a == tl_proc_fd_count(d.pid))
                        break;
        }
        s.baseline_fds = tl_proc_fd_count(d.pid);
        fd_kinds(d.pid, &fd_memfd, &fd_sock, &fd_other);
        printf("shmb-soak: baseline: %d fds (%d sockets, %d other), VmRSS %ld KiB\n",
               s.baseline_fds, fd_sock, fd_other, tl_proc_rss_kib(d.pid));

        if (run_as(SOAK_CONTROL_UID, check_setup, 0) < 0) {
                fprintf(stderr, "shmb-soak: cannot create the shared objects: %s\n", box->msg);
                soak_daemon_print_log_tail(&d, stderr, 30);
                (void) soak_daemon_stop(&d);
                soak_daemon_cleanup(&d);
                return 1;
        }

        /* Workers: every fourth well-behaved, on uids 41001-41004; the rest on 41005-41010. */
        sh->n_workers = arg_clients;
        sh->idle_timeout_s = arg_idle_timeout;
        snprintf(sh->socket_path, sizeof(sh->socket_path), "%s", d.dirs.socket_path);
        for (i = 0; i < arg_clients; i++) {
                struct soak_worker *w = &sh->workers[i];

                w->good = i % 4 == 0;
                if (w->good)
                        w->uid = SOAK_UID_FIRST + (uid_t) ((i / 4) % SOAK_N_GOOD_UIDS);
                else
                        w->uid = SOAK_UID_FIRST + SOAK_N_GOOD_UIDS +
                                 (uid_t) ((i - i / 4 - 1) % (SOAK_N_UIDS - SOAK_N_GOOD_UIDS));
                if (w->good)
                        s.n_good++;
                else
                        s.n_bad++;
        }
        (void) take_sample(d.pid, t0);
        s.start = samples[0];

        /* The fairness baseline: the well-behaved clients alone. */
        sh->phase = SOAK_PHASE_BASELINE;
        t_base = tl_now_ns();
        printf("shmb-soak: %zu well-behaved clients alone for %d s (the fairness baseline)\n",
               s.n_good, arg_baseline);
        fflush(stdout);
        for (i = 0; i < arg_clients && !sh->stop; i++)
                if (sh->workers[i].good && start_worker(sh, i, seed) < 0)
                        sh->stop = 1;
        while (!sh->stop && !interrupted &&
               tl_now_ns() - t_base < (uint64_t) arg_baseline * 1000000000u) {
                tl_sleep_ms(100);
                if (!soak_daemon_alive(&d))
                        break;  /* the run below reports it */
                workers_ok &= reap_early(sh);
        }
        s.baseline_s = (double) (tl_now_ns() - t_base) / 1e9;

        /* The soak: the misbehaving clients join them. */
        sh->phase = SOAK_PHASE_SOAK;
        t_start = tl_now_ns();
        for (i = 0; i < arg_clients && !sh->stop; i++)
                if (!sh->workers[i].good && start_worker(sh, i, seed) < 0)
                        sh->stop = 1;

        /* The run: one sample a second. */
        for (u = 1; !sh->stop; u++) {
                uint64_t next = t_start + (uint64_t) u * 1000000000u, now = tl_now_ns();
                struct sample *smp;

                if (next > now)
                        tl_sleep_ms((unsigned) ((next - now) / 1000000));
                smp = take_sample(d.pid, t_start);
                if (!soak_daemon_alive(&d)) {
                        fprintf(stderr, "shmb-soak: the daemon died after %u s (status 0x%x)\n",
                                u, (unsigned) d.exit_status);
                        break;
                }
                workers_ok &= reap_early(sh);
                if (smp && u % 10 == 0) {
                        uint64_t ok = 0, err = 0, an = 0;
                        unsigned e;

                        for (i = 0; i < arg_clients; i++) {
                                const struct soak_worker *w = &sh->workers[i];

                                if (w->good) {
                                        ok += w->ok;
                                        for (e = 0; e < SOAK_ERRNO_SLOTS; e++)
                                                err += w->errors[e];
                                }
                                for (e = 0; e < _SC_MAX; e++)
                                        an += w->anomalies[e];
                        }
                        printf("  t=%4us  VmRSS %6ld KiB  fds %5d  well-behaved ok %llu "
                               "errors %llu  anomalies %llu\n", u, smp->rss_kib, smp->fds,
                               (unsigned long long) ok, (unsigned long long) err,
                               (unsigned long long) an);
                        fflush(stdout);
                }
                if (arg_reload > 0 && u % arg_reload == 0) {
                        (void) kill(d.pid, SIGHUP);
                        reloads++;
                }
                if (u == (unsigned) (arg_warmup > 0 ? arg_warmup : 1) && smp)
                        s.warm = *smp;
                if (u >= arg_duration || interrupted)
                        break;
        }
        if (s.warm.t == 0 && n_samples > 1)
                s.warm = samples[n_samples - 1];

        /* Stop the clients; stragglers are killed. */
        sh->stop = 1;
        t_stop = tl_now_ns();
        s.ran_s = (double) (t_stop - t_start) / 1e9;
        for (;;) {
                size_t left = 0;

                for (i = 0; i < arg_clients; i++) {
                        int status;

                        if (sh->workers[i].pid <= 0)
                                continue;
                        if (waitpid(sh->workers[i].pid, &status, WNOHANG) == sh->workers[i].pid) {
                                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                                        fprintf(stderr, "shmb-soak: client %zu (uid %u) ended "
                                                "with status 0x%x\n", i,
                                                (unsigned) sh->workers[i].uid,
                                                (unsigned) status);
                                        workers_ok = false;
                                }
                                sh->workers[i].pid = 0;
                        } else
                                left++;
                }
                if (left == 0)
                        break;
                if (tl_now_ns() - t_stop > (uint64_t) WORKER_STOP_TIMEOUT_MS * 1000000) {
                        fprintf(stderr, "shmb-soak: %zu clients did not stop within %u ms, "
                                "killing them\n", left, WORKER_STOP_TIMEOUT_MS);
                        workers_ok = false;
                        for (i = 0; i < arg_clients; i++)
                                if (sh->workers[i].pid > 0) {
                                        (void) kill(sh->workers[i].pid, SIGKILL);
                                        (void) waitpid(sh->workers[i].pid, NULL, 0);
                                        sh->workers[i].pid = 0;
                                }
                        break;
                }
                tl_sleep_ms(50);
        }

        /* Grace: the fds must come back to baseline + memfd objects held. */
        if (soak_daemon_alive(&d)) {
                uint64_t grace_end = tl_now_ns() +
                                     (uint64_t) (arg_idle_timeout + 10) * 1000000000u;
                struct sample *smp = NULL;

                for (;;) {
                        if (run_as(SOAK_CONTROL_UID, check_list, 0) < 0) {
                                fprintf(stderr, "shmb-soak: listing the objects failed: %s\n",
                                        box->msg);
                                break;
                        }
                        /* Other uids' private objects are not listed to us: count files. */
                        s.memfd_held = box->value2;
                        s.objects_held = box->value2 +
                                         soak_shm_entries(d.dirs.shm_dir, NULL, 0);
                        smp = take_sample(d.pid, t_start);
                        if (smp && smp->fds == s.baseline_fds + s.memfd_held) {
                                fds_ok = true;
                                break;
                        }
                        if (tl_now_ns() > grace_end || !soak_daemon_alive(&d))
                                break;
                        tl_sleep_ms(1000);
                }
                s.settle_s = (double) (tl_now_ns() - t_stop) / 1e9;
                if (smp)
                        s.end = *smp;
                fd_kinds(d.pid, &s.daemon_memfd_fds, &fd_sock, &fd_other);
        }

        /* min and max over the whole run. */
        s.min = s.max = samples[0];
        for (i = 0; i < n_samples; i++) {
                if (samples[i].rss_kib >= 0 && samples[i].rss_kib < s.min.rss_kib)
                        s.min.rss_kib = samples[i].rss_kib;
                if (samples[i].rss_kib > s.max.rss_kib)
                        s.max.rss_kib = samples[i].rss_kib;
                if (samples[i].fds >= 0 && samples[i].fds < s.min.fds)
                        s.min.fds = samples[i].fds;
                if (samples[i].fds > s.max.fds)
                        s.max.fds = samples[i].fds;
        }
        s.rss_growth = s.end.rss_kib - s.warm.rss_kib;
        s.slope_kib_min = slope_per_min(s.warm.t, (double) (t_stop - t_start) / 1e9);

        /* The checks, bounded in time all together. */
        checks_deadline = tl_now_ns() + (uint64_t) CHECKS_TOTAL_MS * 1000000;
        if (!soak_daemon_alive(&d)) {
                verdict("alive", false, "the daemon died (wait status 0x%x)",
                        (unsigned) d.exit_status);
                verdict("fds", false, "daemon gone");
                verdict("rss", false, "daemon gone");
        } else {
                verdict("fds", fds_ok, "%d %s baseline %d + %ld memfd objects held (%ld objects "
                        "in all), %.1f s after the clients stopped; daemon fds now: %d memfd, "
                        "%d sockets, %d other", s.end.fds, fds_ok ? "=" : "!=", s.baseline_fds,
                        s.memfd_held, s.objects_held, s.settle_s, s.daemon_memfd_fds, fd_sock,
                        fd_other);
                verdict("rss", s.rss_growth <= RSS_BOUND_KIB,
                        "%+ld KiB from after the warm-up (%ld KiB) to the end (%ld KiB), bound "
                        "%ld KiB; slope after the warm-up %+.1f KiB/min", s.rss_growth,
                        s.warm.rss_kib, s.end.rss_kib, RSS_BOUND_KIB, s.slope_kib_min);

                r = run_as(SOAK_CONTROL_UID, check_serving, 0);
                verdict("serving", r == 0, "uid %u: create, map, write, open ro/rw, read, stat, "
                        "unlink, both backends%s%s", SOAK_CONTROL_UID, r ? ": " : "",
                        r ? box->msg : "");

                /* Remove everything (as each uid: private objects are listed only to their
                 * owner), then check quotas and connection limits per uid. */
                for (u = 0, r = 0; u < SOAK_N_UIDS && r == 0; u++) {
                        r = run_as(SOAK_UID_FIRST + u, check_list, 0);
                        if (r == 0) {
                                unlink_n = box->n_names;
                                memcpy(unlink_names, box->names,
                                       unlink_n * sizeof(unlink_names[0]));
                                r = run_as(SOAK_UID_FIRST + u, check_unlink_all, 0);
                        }
                }
                {
                        char msg[1200] = "", left[300];
                        bool ok = r == 0;
                        int n_dir;

                        if (!ok)
                                snprintf(msg, sizeof(msg), "cleanup: %s; ", box->msg);
                        for (u = 0; u < SOAK_N_UIDS; u++) {
                                uid_t uid = SOAK_UID_FIRST + u;

                                if (run_as(uid, check_quota, uid) < 0) {
                                        ok = false;
                                        snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
                                                 "%s; ", box->msg);
                                }
                        }
                        n_dir = soak_shm_entries(d.dirs.shm_dir, left, sizeof(left));
                        if (n_dir != 0) {
                                ok = false;
                                snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
                                         "%d entries left in --shm-dir after removing every "
                                         "object (%s); ", n_dir, left);
                        }
                        verdict("quota", ok, "%s", ok ? "every uid created MaxObjectsPerUser= "
                                "objects and MaxBytesPerUser= bytes again, the next create "
                                "EDQUOT; --shm-dir empty" : msg);
                }
                {
                        char msg[1200] = "";
                        bool ok = true;

                        for (u = 0; u < SOAK_N_UIDS; u++) {
                                uid_t uid = SOAK_UID_FIRST + u;

                                if (run_as(uid, check_conns, uid) < 0) {
                                        ok = false;
                                        snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
                                                 "%s; ", box->msg);
                                }
                        }
                        verdict("conns", ok, "%s", ok ? "every uid held MaxConnectionsPerUser= "
                                "connections again, the next one EDQUOT" : msg);
                }
                /* After the checks: back to the baseline exactly (nothing is held now). */
                for (i = 0; i < 50; i++) {
                        if (tl_proc_fd_count(d.pid) == s.baseline_fds)
                                break;
                        tl_sleep_ms(100);
                }
                {
                        struct sample *smp = take_sample(d.pid, t_start);

                        if (smp)
                                s.after = *smp;
                }
                if (s.after.fds != s.baseline_fds)
                        checks[0].pass = false;
                snprintf(checks[0].detail + strlen(checks[0].detail),
                         sizeof(checks[0].detail) - strlen(checks[0].detail),
                         "; after removing every object: %d fds (baseline %d)", s.after.fds,
                         s.baseline_fds);

                r = soak_daemon_stop(&d);
                verdict("alive", r >= 0 && WIFEXITED(r) && WEXITSTATUS(r) == 0,
                        "served to the end; on SIGTERM exited with status 0x%x", (unsigned) r);
        }

        /* The clients' counts. */
        for (i = 0; i < arg_clients; i++) {
                const struct soak_worker *w = &sh->workers[i];
                unsigned e;

                for (e = 0; e < SOAK_ERRNO_SLOTS; e++)
                        if (w->good)
                                s.good_errors[e] += w->errors[e];
                        else
                                s.bad_errors[e] += w->errors[e];
                for (e = 0; e < _SC_MAX; e++) {
                        s.bad_runs[e] += w->good ? 0 : w->runs[e];
                        s.bad_anomalies[e] += w->anomalies[e];
                }
                if (w->good) {
                        s.good_ok += w->ok;
                        s.good_corrupt += w->corrupt;
                } else
                        s.bad_corrupt += w->corrupt;
                s.kernel_refused_fds += w->kernel_refused_fds;
                s.delivered_fds += w->delivered_fds;
        }
        verdict("data", s.good_corrupt + s.bad_corrupt == 0 && s.good_ok > 0,
                "%llu corrupt reads (well-behaved %llu, misbehaving %llu); %llu well-behaved "
                "operations succeeded", (unsigned long long) (s.good_corrupt + s.bad_corrupt),
                (unsigned long long) s.good_corrupt, (unsigned long long) s.bad_corrupt,
                (unsigned long long) s.good_ok);
        verdict("clients", workers_ok && !interrupted, "%s",
                interrupted ? "interrupted" : workers_ok ? "every client process ran to the end "
                "and exited 0" : "a client process died or had to be killed (see above)");
        fair_verdict(sh, &s);
        for (i = 0; i < n_checks; i++)
                flat &= checks[i].pass;

        /* Report. */
        printf("\nshmbrokerd over %.0f s with %u clients (%zu well-behaved, %zu misbehaving), "
               "seed %llu\n\n", s.ran_s, arg_clients, s.n_good, s.n_bad,
               (unsigned long long) seed);
        printf("              %10s %10s %10s %10s %10s %10s\n", "start", "warm-up", "min",
               "max", "end", "after");
        print_row("VmRSS (KiB)", &s, true);
        print_row("open fds", &s, false);
        printf("(start: before the clients, with the %u shared objects made (%u memfd); "
               "baseline fds before them: %d;\n warm-up: %d s after the clients started; "
               "end: %.1f s after they stopped, %ld objects held, %ld of them memfd;\n "
               "after: once the checks removed every object)\n\n", 2 * SOAK_N_SHARED,
               SOAK_N_SHARED, s.baseline_fds, arg_warmup, s.settle_s, s.objects_held,
               s.memfd_held);
        printf("verdict:\n");
        for (i = 0; i < n_checks; i++)
                printf("  %-8s %s  %s\n", checks[i].name, checks[i].pass ? "PASS" : "FAIL",
                       checks[i].detail);
        printf("\nwell-behaved clients: %llu operations succeeded, %llu corrupt; errors by "
               "errno:", (unsigned long long) s.good_ok, (unsigned long long) s.good_corrupt);
        print_errors(stdout, s.good_errors);
        print_fairness(sh, &s);
        printf("misbehaving clients (runs/anomalies):");
        for (i = 1; i < _SC_MAX; i++)
                printf("%s %s %llu/%llu", i > 1 ? "," : "", soak_scenario_name((int) i),
                       (unsigned long long) s.bad_runs[i],
                       (unsigned long long) s.bad_anomalies[i]);
        if (reloads > 0)
                printf("\n  policy reloads (SIGHUP) during the run: %u", reloads);
        printf("\n  requests with fds: %llu refused by the kernel (SO_PASSRIGHTS=0), %llu "
               "sent (before the daemon's accept)\n  their errors by errno:",
               (unsigned long long) s.kernel_refused_fds,
               (unsigned long long) s.delivered_fds);
        print_errors(stdout, s.bad_errors);
        for (i = 0; i < arg_clients; i++)
                for (k = 0; k < sh->workers[i].n_notes; k++) {
                        if (n_notes++ == 0)
                                printf("anomalies (the first of each client):\n");
                        if (n_notes <= 40)
                                printf("  %s\n", sh->workers[i].notes[k]);
                }
        log_errs = log_errors(d.dirs.log_path, stdout, 0);
        if (log_errs > 0) {
                printf("daemon log: %ld lines at priority err or worse, the first:\n", log_errs);
                (void) log_errors(d.dirs.log_path, stdout, 5);
        }
        {
                size_t n_failed = 0;

                for (i = 0; i < n_checks; i++)
                        n_failed += !checks[i].pass;
                /* Unfair but otherwise flat is said as such: it is not a leak. */
                printf("\n%s\n", flat ? "FLAT: no leak, the daemon served to the end" :
                       n_failed == 1 && !check_passed("fairness") ?
                       "NOT FAIR: no leak, but a well-behaved client's open p99 during the soak "
                       "went past its bound (fairness above)" :
                       "NOT FLAT: see the failed lines above");
        }

        if (arg_json) {
                r = write_json(arg_json, &s, sh, seed, daemon_bin, flat);
                if (r < 0)
                        fprintf(stderr, "shmb-soak: cannot write %s: %s\n", arg_json,
                                strerror(-r));
        }
        if (!flat && d.exit_status != 0)
                soak_daemon_print_log_tail(&d, stderr, 30);
        (void) soak_daemon_stop(&d);
        if (arg_keep || !flat) {
                printf("daemon log and policy kept in %s\n", d.dirs.run_dir);
                (void) tl_rm_rf(d.dirs.shm_dir);
        } else
                soak_daemon_cleanup(&d);
        free(policy);
        free(samples);
        return flat ? 0 : 1;
}
