/* SPDX-License-Identifier: MIT */
/*
 * shmb-bench - what the broker costs, measured side by side with doing it directly.
 *
 * Starts its own shmbrokerd ($SHMBROKERD, else the build tree's) on temporary sockets and
 * object directories, runs client processes of several uids against it, and prints one table
 * with ratios and the targets they are held to. The "naive" scenario also runs the naive broker
 * (naive-broker.c, $SHMB_NAIVE_BROKER) beside it. BENCHMARKS.md explains each row. Needs root:
 * it switches uids, chowns, and reads the daemon's /proc entries.
 *
 *   shmb-bench [--quick] [--json FILE] [--pin same|split|none] [--only LIST]
 *
 * Exit: 0 when everything was measured (targets missed are reported, not failed), 1 on an
 * error, 77 when not run as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench-preload.h"
#include "bench-util.h"
#include "naive-broker.h"
#include "shmbroker.h"

#ifndef SHMB_BENCH_DAEMON
#define SHMB_BENCH_DAEMON "daemon/shmbrokerd"
#endif
#ifndef SHMB_BENCH_NAIVE
#define SHMB_BENCH_NAIVE "tests/bench/naive-broker"
#endif
#ifndef SHMB_BENCH_FAKECLOCK
#define SHMB_BENCH_FAKECLOCK "tests/helpers/.libs/fakeclock.so"
#endif
#ifndef SHMB_BENCH_PRELOAD
#define SHMB_BENCH_PRELOAD "client/.libs/libshmbroker-preload.so"
#endif

#define OBJECT_SIZE 4096
#define MAP_OBJECT_SIZE (1024 * 1024)   /* the naive-broker comparison's objects (issue 12) */
#define N_OPEN_OBJECTS 64               /* one per concurrent client */
#define BATCH_N 16
#define CONNS_PER_UID 50                /* below the per-uid connection limit ([Quota]
                                         * MaxConnectionsPerUser=, default 64) */

/* Test identities: numeric ids unlikely to exist; the policy names them by number. */
#define UID_CLIENT_BASE 43100           /* open clients: 43100 .. 43163 */
#define UID_IDLE_BASE 45000             /* idle connections: 45000 .. */
#define UID_VICTIM 46000                /* fairness: the well-behaved user (the hostile one
                                         * is root, which the bench policy lets create) */
#define UID_OWNER 43000                 /* the create rule's owner, group, ACL principals */
#define GID_OWNER 44000
#define UID_ACL_RW 43001
#define UID_ACL_RO 43002
#define GID_ACL_RO 44001

enum pin_mode {
        PIN_SAME,       /* latency runs: the client and the daemons on one CPU */
        PIN_SPLIT,      /* the client on one CPU, the daemons on another */
        PIN_NONE,       /* wherever the scheduler puts them */
};

struct config {
        bool quick;
        enum pin_mode pin;
        double lat_seconds;             /* per latency comparison (both sides, interleaved) */
        double tput_seconds;            /* per throughput point and side */
        size_t idle_conns;
        size_t objects;
        size_t rules;
        const char *json_path;
        const char *daemon_bin;
        const char *naive_bin;
        const char *preload_path;       /* libshmbroker-preload.so, for "preload" */
        const char *only;               /* comma-separated scenario names, or NULL: all */
        const char *kept_fds;           /* --kept-fds for shmbrokerd, or NULL: its default */
};

static struct config cfg;
static pid_t bench_pid;
static cpu_set_t cpus_all;              /* this process's affinity at start */
static int cpu_client = -1, cpu_daemon = -1;

/* Share of the machine's CPU other processes used: before the run, and during it. */
static double background_before_pct = NAN, background_during_pct = NAN;

/* ====================================================================== results */

enum verdict { VERDICT_NONE = -1, VERDICT_MISS = 0, VERDICT_PASS = 1 };

struct row {
        char key[64];
        char label[96];
        char a_txt[64], b_txt[64], ratio_txt[32], target_txt[32];
        double a, b, ratio;     /* for JSON; NaN when not measured */
        double a_p99, b_p99;    /* latency rows */
        const char *unit;       /* of a and b */
        const char *ratio_def;  /* what the ratio is, for JSON */
        enum verdict verdict;
        char note[96];
};

#define MAX_ROWS 64
static struct row rows[MAX_ROWS];
static size_t n_rows;
/* Failures outside any row (a server that did not stop cleanly). */
static size_t other_errors;

/* A window of throughput measurement of one side (one operation, one server). */
struct tput_window {
        double rate;            /* all clients' operations per second of the window (for
                                 * several rounds: the mean of the rounds' rates) */
        uint64_t ops;           /* operations done in the window(s), all clients */
        double server_cpu_s;    /* the server's utime + stime over the window(s), or NaN */
        double wall_s;          /* the window(s), from go until every client exited */
        double idle_s, total_s; /* the machine's idle and all CPU time over the window(s) */
        double server_wait_s;   /* the server's main thread runnable but not running, or NaN */
};

/* The naive-broker comparison (issue 12), also printed as its own table and JSON object. */
enum { SIDE_DIRECT, SIDE_NAIVE, SIDE_BROKER, _SIDE_MAX };

struct naive_level {
        size_t clients;
        bool one_uid;           /* all clients of one uid, not one uid each */
        bool done;
        struct tput_window w[_SIDE_MAX];
        struct bench_stats lat[_SIDE_MAX];      /* 1 client only */
};

/* The last level is the common case of one user's many processes: the daemon's rounds serve
 * one request per uid, so there a round is one request. */
#define N_NAIVE_LEVELS 4
static const struct {
        size_t clients;
        bool one_uid;
} naive_levels[N_NAIVE_LEVELS] = { { 1, false }, { 16, false }, { 64, false }, { 64, true } };
static struct naive_level naive_results[N_NAIVE_LEVELS];

/* Server CPU per operation in microseconds. */
static double cpu_us_per_op(const struct tput_window *w)
{
        return w->ops ? w->server_cpu_s * 1e6 / (double) w->ops : NAN;
}

/* The server's CPU time over @w, and how long it waited to run, in percent of the wall time
 * (NaN without a server). */
static double busy_pct(const struct tput_window *w)
{
        return 100 * w->server_cpu_s / w->wall_s;
}

static double waiting_pct(const struct tput_window *w)
{
        return 100 * w->server_wait_s / w->wall_s;
}

/* How much of the machine's CPU time went unused in @w, in percent. The kernel's counters
 * are read a moment apart, so a machine that never idled can come out a hair below 0. */
static double idle_pct(const struct tput_window *w)
{
        if (!(w->total_s > 0))
                return NAN;
        return w->idle_s > 0 ? 100 * w->idle_s / w->total_s : 0;
}

static struct row *row_new(const char *key, const char *label)
{
        struct row *r = &rows[n_rows < MAX_ROWS ? n_rows++ : MAX_ROWS - 1];

        *r = (struct row) {
                .a = NAN, .b = NAN, .ratio = NAN, .a_p99 = NAN, .b_p99 = NAN,
                .verdict = VERDICT_NONE, .unit = "", .ratio_def = "",
        };
        snprintf(r->key, sizeof(r->key), "%s", key);
        snprintf(r->label, sizeof(r->label), "%s", label);
        return r;
}

static void BENCH_PRINTF(2, 3) row_note(struct row *r, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(r->note, sizeof(r->note), fmt, ap);
        va_end(ap);
}

static void fmt_us(char *buf, size_t size, double us)
{
        if (isnan(us))
                snprintf(buf, size, "-");
        else if (us >= 1000)
                snprintf(buf, size, "%.2f ms", us / 1000);
        else if (us >= 100)
                snprintf(buf, size, "%.0f us", us);
        else
                snprintf(buf, size, "%.2f us", us);
}

static void fmt_rate(char *buf, size_t size, double per_s)
{
        if (isnan(per_s))
                snprintf(buf, size, "-");
        else if (per_s >= 1e6)
                snprintf(buf, size, "%.2fM/s", per_s / 1e6);
        else
                snprintf(buf, size, "%.1fk/s", per_s / 1e3);
}

/* Sets a, b, the ratio b/a and the verdict against the target. */
static void row_set(struct row *r, const char *a_name, double a, const char *b_name, double b,
                    const char *unit, const char *ratio_def, char target_op, double target)
{
        char x[24], y[24];

        r->a = a;
        r->b = b;
        r->unit = unit;
        r->ratio_def = ratio_def;
        r->ratio = b / a;
        if (strcmp(unit, "us") == 0) {
                fmt_us(x, sizeof(x), a);
                fmt_us(y, sizeof(y), b);
        } else {
                fmt_rate(x, sizeof(x), a);
                fmt_rate(y, sizeof(y), b);
        }
        snprintf(r->a_txt, sizeof(r->a_txt), "%s %s", a_name, x);
        snprintf(r->b_txt, sizeof(r->b_txt), "%s %s", b_name, y);
        snprintf(r->ratio_txt, sizeof(r->ratio_txt), "%.2fx", r->ratio);
        if (target_op) {
                snprintf(r->target_txt, sizeof(r->target_txt), "%s %gx",
                         target_op == '>' ? ">=" : "<=", target);
                r->verdict = (target_op == '>' ? r->ratio >= target : r->ratio <= target)
                                     ? VERDICT_PASS : VERDICT_MISS;
        }
}

static void print_table(FILE *f, const struct bench_machine *m)
{
        size_t i;

        fprintf(f, "\nshmb-bench%s: %ld CPUs (%s), %s, %ld MiB RAM, %s\n",
                cfg.quick ? " --quick" : "", m->cpus, m->cpu_model, m->kernel,
                m->mem_total_mib, m->date);
        fprintf(f, "daemon: %s (%s%s)\n", cfg.daemon_bin, cfg.kept_fds ? "--kept-fds " :
                "its default options: kept fds off", cfg.kept_fds ? cfg.kept_fds : "");
        fprintf(f, "other processes' CPU use: %.0f%% of the machine before the run, %.0f%% "
                "during it%s\n\n", background_before_pct, background_during_pct,
                background_during_pct > 10 ? " (figures are noisy)" : "");
        fprintf(f, "%-50s %-20s %-20s %-10s %-8s %s\n", "measurement", "A", "B", "B/A",
                "target", "");
        for (i = 0; i < 50 + 1 + 20 + 1 + 20 + 1 + 10 + 1 + 8 + 5; i++)
                fputc('-', f);
        fputc('\n', f);
        for (i = 0; i < n_rows; i++) {
                const struct row *r = &rows[i];

                if (r->note[0] && isnan(r->ratio)) {
                        fprintf(f, "%-50s %s\n", r->label, r->note);
                        continue;
                }
                fprintf(f, "%-50s %-20s %-20s %-10s %-8s %s%s%s\n", r->label, r->a_txt,
                        r->b_txt, r->ratio_txt, r->target_txt,
                        r->verdict == VERDICT_PASS ? "PASS" :
                        r->verdict == VERDICT_MISS ? "MISS" : "",
                        r->note[0] ? "  " : "", r->note);
        }
}

/* The naive-broker comparison in the issue's layout, if it ran. */
static void print_naive_table(FILE *f)
{
        static const char *const side_name[_SIDE_MAX] = { "direct shm_open", "naive broker",
                                                          "shmbroker" };
        size_t i, k;

        for (i = 0; i < N_NAIVE_LEVELS && !naive_results[i].done; i++)
                ;
        if (i == N_NAIVE_LEVELS)
                return;
        fprintf(f, "\nnaive-broker baseline: a 1 MiB object, each operation gets a read-write fd, "
                "fstats, maps, unmaps, closes\n");
        fprintf(f, "%-8s", "clients");
        for (k = 0; k < _SIDE_MAX; k++)
                fprintf(f, " %-22s", side_name[k]);
        fprintf(f, " %-10s %-11s %s\n", "shmb/naive", "shmb/direct",
                "daemon CPU per op (naive, shmbroker)");
        for (i = 0; i < N_NAIVE_LEVELS; i++) {
                const struct naive_level *lv = &naive_results[i];
                char cell[64], rate[24], us[24], cpu[2][24];

                if (!lv->done)
                        continue;
                snprintf(cell, sizeof(cell), "%zu%s", lv->clients, lv->one_uid ? " 1uid" : "");
                fprintf(f, "%-8s", cell);
                for (k = 0; k < _SIDE_MAX; k++) {
                        fmt_rate(rate, sizeof(rate), lv->w[k].rate);
                        if (lv->clients == 1) {
                                fmt_us(us, sizeof(us), lv->lat[k].median_us);
                                snprintf(cell, sizeof(cell), "%s (p50 %s)", rate, us);
                        } else
                                snprintf(cell, sizeof(cell), "%s", rate);
                        fprintf(f, " %-22s", cell);
                }
                fmt_us(cpu[0], sizeof(cpu[0]), cpu_us_per_op(&lv->w[SIDE_NAIVE]));
                fmt_us(cpu[1], sizeof(cpu[1]), cpu_us_per_op(&lv->w[SIDE_BROKER]));
                snprintf(cell, sizeof(cell), "%.2fx",
                         lv->w[SIDE_BROKER].rate / lv->w[SIDE_NAIVE].rate);
                snprintf(rate, sizeof(rate), "%.2fx",
                         lv->w[SIDE_BROKER].rate / lv->w[SIDE_DIRECT].rate);
                fprintf(f, " %-10s %-11s %s, %s\n", cell, rate, cpu[0], cpu[1]);
        }
}

static int write_json(const char *path, const struct bench_machine *m, int argc, char **argv)
{
        FILE *f = fopen(path, "we");
        size_t i, n_naive;
        int k;

        if (!f) {
                fprintf(stderr, "shmb-bench: cannot write '%s': %m\n", path);
                return -errno;
        }
        fprintf(f, "{\n  \"tool\": \"shmb-bench\",\n  \"command\": ");
        {
                char cmd[1024] = "";
                size_t len = 0;

                for (k = 0; k < argc && len < sizeof(cmd); k++)
                        len += (size_t) snprintf(cmd + len, sizeof(cmd) - len, "%s%s",
                                                 k ? " " : "", argv[k]);
                bench_json_string(f, cmd);
        }
        fprintf(f, ",\n  \"quick\": %s,\n  \"daemon\": ", cfg.quick ? "true" : "false");
        bench_json_string(f, cfg.daemon_bin);
        fprintf(f, ",\n  \"machine\": {\"cpus\": %ld, \"cpu_model\": ", m->cpus);
        bench_json_string(f, m->cpu_model);
        fprintf(f, ", \"kernel\": ");
        bench_json_string(f, m->kernel);
        fprintf(f, ", \"hostname\": ");
        bench_json_string(f, m->hostname);
        fprintf(f, ", \"mem_total_mib\": %ld, \"date\": ", m->mem_total_mib);
        bench_json_string(f, m->date);
        fprintf(f, "},\n  \"background_cpu_pct\": {\"before\": ");
        bench_json_number(f, background_before_pct);
        fprintf(f, ", \"during\": ");
        bench_json_number(f, background_during_pct);
        fprintf(f, "},\n  \"config\": {\"latency_seconds\": ");
        bench_json_number(f, cfg.lat_seconds);
        fprintf(f, ", \"throughput_seconds\": ");
        bench_json_number(f, cfg.tput_seconds);
        fprintf(f, ", \"idle_connections\": %zu, \"objects\": %zu, \"rules\": %zu, "
                "\"object_size\": %d, \"pin\": \"%s\"},\n  \"rows\": [\n", cfg.idle_conns,
                cfg.objects, cfg.rules, OBJECT_SIZE,
                cfg.pin == PIN_SAME ? "same" : cfg.pin == PIN_SPLIT ? "split" : "none");
        for (i = 0; i < n_rows; i++) {
                const struct row *r = &rows[i];

                fprintf(f, "    {\"key\": ");
                bench_json_string(f, r->key);
                fprintf(f, ", \"label\": ");
                bench_json_string(f, r->label);
                fprintf(f, ", \"a\": ");
                bench_json_string(f, r->a_txt);
                fprintf(f, ", \"b\": ");
                bench_json_string(f, r->b_txt);
                fprintf(f, ", \"a_value\": ");
                bench_json_number(f, r->a);
                fprintf(f, ", \"b_value\": ");
                bench_json_number(f, r->b);
                fprintf(f, ", \"unit\": ");
                bench_json_string(f, r->unit);
                if (!isnan(r->a_p99) || !isnan(r->b_p99)) {
                        fprintf(f, ", \"a_p99\": ");
                        bench_json_number(f, r->a_p99);
                        fprintf(f, ", \"b_p99\": ");
                        bench_json_number(f, r->b_p99);
                }
                fprintf(f, ", \"ratio\": ");
                bench_json_number(f, r->ratio);
                fprintf(f, ", \"ratio_is\": ");
                bench_json_string(f, r->ratio_def);
                fprintf(f, ", \"target\": ");
                if (r->target_txt[0])
                        bench_json_string(f, r->target_txt);
                else
                        fputs("null", f);
                fprintf(f, ", \"pass\": %s, \"note\": ",
                        r->verdict == VERDICT_PASS ? "true" :
                        r->verdict == VERDICT_MISS ? "false" : "null");
                bench_json_string(f, r->note);
                fprintf(f, "}%s\n", i + 1 < n_rows ? "," : "");
        }
        fprintf(f, "  ],\n  \"naive_baseline\": [\n");
        for (i = 0, n_naive = 0; i < N_NAIVE_LEVELS; i++) {
                static const char *const side_key[_SIDE_MAX] = { "direct", "naive", "shmbroker" };
                const struct naive_level *lv = &naive_results[i];
                size_t s;

                if (!lv->done)
                        continue;
                fprintf(f, "%s    {\"clients\": %zu, \"one_uid\": %s", n_naive++ ? ",\n" : "",
                        lv->clients, lv->one_uid ? "true" : "false");
                for (s = 0; s < _SIDE_MAX; s++) {
                        fprintf(f, ", \"%s\": {\"ops_per_s\": ", side_key[s]);
                        bench_json_number(f, lv->w[s].rate);
                        fprintf(f, ", \"ops\": %llu", (unsigned long long) lv->w[s].ops);
                        fprintf(f, ", \"machine_idle_pct\": ");
                        bench_json_number(f, idle_pct(&lv->w[s]));
                        if (lv->clients == 1) {
                                fprintf(f, ", \"p50_us\": ");
                                bench_json_number(f, lv->lat[s].median_us);
                                fprintf(f, ", \"p99_us\": ");
                                bench_json_number(f, lv->lat[s].p99_us);
                        }
                        if (s != SIDE_DIRECT) {
                                fprintf(f, ", \"daemon_cpu_s\": ");
                                bench_json_number(f, lv->w[s].server_cpu_s);
                                fprintf(f, ", \"daemon_cpu_us_per_op\": ");
                                bench_json_number(f, cpu_us_per_op(&lv->w[s]));
                                fprintf(f, ", \"daemon_busy_pct\": ");
                                bench_json_number(f, busy_pct(&lv->w[s]));
                                fprintf(f, ", \"daemon_waiting_pct\": ");
                                bench_json_number(f, waiting_pct(&lv->w[s]));
                        }
                        fputc('}', f);
                }
                fprintf(f, ", \"shmbroker_vs_naive\": ");
                bench_json_number(f, lv->w[SIDE_BROKER].rate / lv->w[SIDE_NAIVE].rate);
                fprintf(f, ", \"shmbroker_vs_direct\": ");
                bench_json_number(f, lv->w[SIDE_BROKER].rate / lv->w[SIDE_DIRECT].rate);
                fputc('}', f);
        }
        fprintf(f, "%s  ]\n}\n", n_naive ? "\n" : "");
        if (fclose(f) != 0) {
                fprintf(stderr, "shmb-bench: cannot write '%s': %m\n", path);
                return -EIO;
        }
        return 0;
}

static void BENCH_PRINTF(1, 2) progress(const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        fprintf(stderr, "shmb-bench: ");
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

/* ====================================================================== the policy */

/*
 * @n_rules rules in all: filler rules that never match a bench name, then the two rules the
 * bench uses, so that the name opened matches a rule near the end. Fillers have literal
 * prefixes (what a real policy has: "app00042-*"), or, with @leading_glob, start with '*'.
 */
static char *policy_text(size_t n_rules, bool leading_glob)
{
        /* Root makes every bench object: up to cfg.objects of them. */
        static const char quota[] =
                "[Quota]\n"
                "MaxObjectsPerUser=10000000\n"
                "MaxConnectionsPerUser=10000\n\n";
        static const char open_rule[] =
                "[Segment bench-open]\n"
                "Names=bench-*\n"
                "Create=0\n"
                "ReadWrite=*\n"
                "Owner=0\n"
                "Group=0\n"
                "Mode=0666\n"
                "MaxSize=1M\n\n";
        char create_rule[512];
        size_t fillers = n_rules > 2 ? n_rules - 2 : 0, i, cap, len = 0;
        char *s;

        snprintf(create_rule, sizeof(create_rule),
                 "[Segment bench-create]\n"
                 "Names=cbench-*\n"
                 "Create=0\n"
                 "ReadWrite=%u\n"
                 "ReadOnly=%u @%u\n"
                 "Owner=%u\n"
                 "Group=%u\n"
                 "Mode=0640\n"
                 "MaxSize=1M\n",
                 UID_ACL_RW, UID_ACL_RO, GID_ACL_RO, UID_OWNER, GID_OWNER);
        cap = fillers * 160 + sizeof(quota) + sizeof(open_rule) + sizeof(create_rule) + 64;
        s = malloc(cap);
        if (!s)
                return NULL;
        len += (size_t) snprintf(s + len, cap - len, "%s", quota);
        for (i = 0; i < fillers; i++)
                len += (size_t) snprintf(s + len, cap - len,
                                         "[Segment filler%05zu]\n"
                                         "Names=%sapp%05zu%s\n"
                                         "Create=0\n"
                                         "ReadWrite=*\n"
                                         "Owner=0\n"
                                         "Group=0\n"
                                         "Mode=0600\n\n",
                                         i, leading_glob ? "*." : "", i,
                                         leading_glob ? "" : "-*");
        len += (size_t) snprintf(s + len, cap - len, "%s%s", open_rule, create_rule);
        return s;
}

static int start_daemon(size_t n_rules, bool leading_glob, struct bench_daemon **ret)
{
        char *text = policy_text(n_rules, leading_glob);
        int r;

        if (!text)
                return -ENOMEM;
        r = bench_daemon_start(cfg.daemon_bin, text, ret);
        free(text);
        return r;
}

/* ====================================================================== objects */

static void broker_name(char *buf, size_t size, size_t i)
{
        snprintf(buf, size, "bench-o-%03zu", i);
}

static void direct_name(char *buf, size_t size, size_t i)
{
        snprintf(buf, size, "/shmb-bench.%d.o%03zu", (int) bench_pid, i);
}

/* The naive-broker comparison's 1 MiB objects: through the broker, and in /dev/shm (opened
 * both directly and by the naive broker). */
static void broker_map_name(char *buf, size_t size, size_t i)
{
        snprintf(buf, size, "bench-m-%03zu", i);
}

static void direct_map_name(char *buf, size_t size, size_t i)
{
        snprintf(buf, size, "/shmb-bench.%d.m%03zu", (int) bench_pid, i);
}

static void direct_create_name(char *buf, size_t size)
{
        snprintf(buf, size, "/shmb-bench.%d.c", (int) bench_pid);
}

/* bench-o-000 .. bench-o-(n-1) (4 KiB) or bench-m-000 .. (@map: 1 MiB) through the broker,
 * as root (Create=0). */
static int broker_create_objects_sized(const struct bench_daemon *d, size_t n, bool map)
{
        struct shmb_client *c = NULL;
        char name[64];
        size_t i;
        int r;

        r = shmb_connect(d->dirs.socket_path, &c);
        if (r < 0) {
                fprintf(stderr, "shmb-bench: connect '%s': %s\n", d->dirs.socket_path,
                        strerror(-r));
                return r;
        }
        for (i = 0; i < n && r >= 0; i++) {
                if (map)
                        broker_map_name(name, sizeof(name), i);
                else
                        broker_name(name, sizeof(name), i);
                r = shmb_create(c, name, map ? MAP_OBJECT_SIZE : OBJECT_SIZE, SHMB_ACCESS_NONE,
                                NULL, NULL);
                /* Made by an earlier scenario in this run: the same object. */
                if (r == -EEXIST)
                        r = 0;
                if (r < 0)
                        fprintf(stderr, "shmb-bench: create '%s': %s\n", name, strerror(-r));
        }
        shmb_client_free(c);
        return r < 0 ? r : 0;
}

static int broker_create_objects(const struct bench_daemon *d, size_t n)
{
        return broker_create_objects_sized(d, n, false);
}

/* The direct side's objects (@map: the 1 MiB ones), root-owned 0666 like the broker's rule
 * makes them. */
static int direct_create_objects_sized(size_t n, bool map)
{
        char name[64];
        size_t i;

        for (i = 0; i < n; i++) {
                int fd;

                if (map)
                        direct_map_name(name, sizeof(name), i);
                else
                        direct_name(name, sizeof(name), i);
                fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
                if (fd < 0 || fchmod(fd, 0666) < 0 ||
                    ftruncate(fd, map ? MAP_OBJECT_SIZE : OBJECT_SIZE) < 0) {
                        int r = -errno;

                        fprintf(stderr, "shmb-bench: shm_open '%s': %m\n", name);
                        if (fd >= 0)
                                close(fd);
                        return r;
                }
                close(fd);
        }
        return 0;
}

static int direct_create_objects(size_t n)
{
        return direct_create_objects_sized(n, false);
}

static void direct_remove_map_objects(void)
{
        char name[64];
        size_t i;

        for (i = 0; i < N_OPEN_OBJECTS; i++) {
                direct_map_name(name, sizeof(name), i);
                (void) shm_unlink(name);
        }
}

static void direct_remove_objects(void)
{
        char name[64];
        size_t i;

        for (i = 0; i < N_OPEN_OBJECTS; i++) {
                direct_name(name, sizeof(name), i);
                (void) shm_unlink(name);
        }
        direct_remove_map_objects();
        direct_create_name(name, sizeof(name));
        (void) shm_unlink(name);
}

/* ====================================================================== operations */

enum op_kind {
        OP_DIRECT_OPEN,         /* shm_open + mmap + munmap + close */
        OP_BROKER_OPEN,         /* shmb_open + mmap + munmap + close */
        OP_DIRECT_CREATE,       /* shm_open(O_EXCL) + fallocate + fchown + acl_set_fd + unlink */
        OP_BROKER_CREATE,       /* shmb_create + shmb_unlink */
        OP_BROKER_OPEN16,       /* 16 x (shmb_open + close) */
        OP_BROKER_BATCH16,      /* shmb_open_batch of 16 + close */
        OP_BROKER_BATCH16_MAP,  /* shmb_open_batch of 16 + mmap, munmap, close of each */
        /* Issue 12's operation on a 1 MiB object: get an RDWR fd, fstat, mmap(size), munmap,
         * close. */
        OP_DIRECT_MAP,          /* shm_open */
        OP_NAIVE_MAP,           /* naive_open: the naive broker */
        OP_BROKER_MAP,          /* shmb_open (which fstats the fd itself) */
        OP_BROKER_MAP_CACHED,   /* the same with shmb_client_set_open_cache(): repeat opens
                                 * are dup()s of the fd first handed out */
};

struct op_spec {
        enum op_kind kind;
        const struct bench_daemon *d;   /* broker ops */
        size_t object;          /* index of the object opened */
};

struct op_state {
        struct op_spec spec;
        struct shmb_client *c;
        int sock;               /* the naive broker's connection */
        char name[64];
        char names[BATCH_N][64];
        acl_t acl;
};

static int op_init(struct op_state *s, const struct op_spec *spec)
{
        size_t i;
        int r;

        *s = (struct op_state) { .spec = *spec, .sock = -1 };
        switch (spec->kind) {
        case OP_DIRECT_OPEN:
                direct_name(s->name, sizeof(s->name), spec->object);
                return 0;
        case OP_DIRECT_MAP:
                direct_map_name(s->name, sizeof(s->name), spec->object);
                return 0;
        case OP_NAIVE_MAP:
                direct_map_name(s->name, sizeof(s->name), spec->object);
                s->sock = tl_connect_seqpacket(spec->d->dirs.socket_path);
                if (s->sock < 0) {
                        fprintf(stderr, "shmb-bench: connect '%s': %s\n",
                                spec->d->dirs.socket_path, strerror(-s->sock));
                        return s->sock;
                }
                return 0;
        case OP_BROKER_MAP:
        case OP_BROKER_MAP_CACHED:
                broker_map_name(s->name, sizeof(s->name), spec->object);
                break;
        case OP_DIRECT_CREATE:
                direct_create_name(s->name, sizeof(s->name));
                /* What the broker's rule gives: mode 0640 and three named entries. */
                s->acl = acl_from_text("u::rw-,u:43001:rw-,u:43002:r--,g::r--,g:44001:r--,"
                                       "m::rw-,o::---");
                if (!s->acl)
                        return -errno;
                return 0;
        case OP_BROKER_CREATE:
                snprintf(s->name, sizeof(s->name), "cbench-%d", (int) getpid());
                break;
        case OP_BROKER_OPEN:
                broker_name(s->name, sizeof(s->name), spec->object);
                break;
        case OP_BROKER_OPEN16:
        case OP_BROKER_BATCH16:
        case OP_BROKER_BATCH16_MAP:
                for (i = 0; i < BATCH_N; i++)
                        broker_name(s->names[i], sizeof(s->names[i]), i);
                break;
        }
        r = shmb_connect(spec->d->dirs.socket_path, &s->c);
        if (r < 0) {
                fprintf(stderr, "shmb-bench: connect '%s': %s\n", spec->d->dirs.socket_path,
                        strerror(-r));
                return r;
        }
        if (spec->kind == OP_BROKER_MAP_CACHED) {
#ifdef SHMB_HAVE_OPEN_CACHE
                r = shmb_client_set_open_cache(s->c, 16);
#else
                r = -EOPNOTSUPP;
#endif
                if (r < 0)
                        fprintf(stderr, "shmb-bench: open cache: %s\n", strerror(-r));
        }
        return r;
}

static void op_done(struct op_state *s)
{
        shmb_client_free(s->c);
        if (s->acl)
                acl_free(s->acl);
        if (s->sock >= 0)
                close(s->sock);
        *s = (struct op_state) { .sock = -1 };
}

static int map_unmap(int fd, size_t size)
{
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

        if (p == MAP_FAILED)
                return -errno;
        return munmap(p, size) < 0 ? -errno : 0;
}

/* fstat, mmap of the size fstat says (which must be the object's), munmap, close. */
static int fstat_map_close(int fd)
{
        struct stat st;
        int r;

        if (fstat(fd, &st) < 0)
                r = -errno;
        else if (st.st_size != MAP_OBJECT_SIZE)
                r = -EBADMSG;
        else
                r = map_unmap(fd, (size_t) st.st_size);
        close(fd);
        return r;
}

static int op_run(struct op_state *s)
{
        struct shmb_fd_info info;
        int fd, r = 0;
        size_t i;

        switch (s->spec.kind) {
        case OP_DIRECT_OPEN:
                fd = shm_open(s->name, O_RDWR | O_CLOEXEC, 0);
                if (fd < 0)
                        return -errno;
                r = map_unmap(fd, OBJECT_SIZE);
                close(fd);
                return r;

        case OP_BROKER_OPEN:
                r = shmb_open(s->c, s->name, SHMB_ACCESS_RDWR, &fd, &info);
                if (r < 0)
                        return r;
                r = map_unmap(fd, (size_t) info.size);
                close(fd);
                return r;

        case OP_DIRECT_CREATE:
                fd = shm_open(s->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
                if (fd < 0)
                        return -errno;
                /* The broker reserves the memory at create; so does this. */
                r = -posix_fallocate(fd, 0, OBJECT_SIZE);
                if (r == 0 && fchown(fd, UID_OWNER, GID_OWNER) < 0)
                        r = -errno;
                if (r == 0 && acl_set_fd(fd, s->acl) < 0)
                        r = -errno;
                close(fd);
                if (shm_unlink(s->name) < 0 && r == 0)
                        r = -errno;
                return r;

        case OP_DIRECT_MAP:
                fd = shm_open(s->name, O_RDWR | O_CLOEXEC, 0);
                return fd < 0 ? -errno : fstat_map_close(fd);

        case OP_NAIVE_MAP:
                fd = naive_open(s->sock, s->name, O_RDWR);
                return fd < 0 ? fd : fstat_map_close(fd);

        case OP_BROKER_MAP:
        case OP_BROKER_MAP_CACHED:
                /* shmb_open() fstats the fd it receives (info.size is st_size): the fstat of
                 * the operation is that one, not a second. */
                r = shmb_open(s->c, s->name, SHMB_ACCESS_RDWR, &fd, &info);
                if (r < 0)
                        return r;
                if (info.size != MAP_OBJECT_SIZE)
                        r = -EBADMSG;
                else
                        r = map_unmap(fd, (size_t) info.size);
                close(fd);
                return r;

        case OP_BROKER_CREATE:
                r = shmb_create(s->c, s->name, OBJECT_SIZE, SHMB_ACCESS_NONE, NULL, NULL);
                if (r < 0)
                        return r;
                return shmb_unlink(s->c, s->name);

        case OP_BROKER_OPEN16:
                for (i = 0; i < BATCH_N && r >= 0; i++) {
                        r = shmb_open(s->c, s->names[i], SHMB_ACCESS_RDWR, &fd, NULL);
                        if (r >= 0)
                                close(fd);
                }
                return r;

        case OP_BROKER_BATCH16:
        case OP_BROKER_BATCH16_MAP:
#ifdef SHMB_HAVE_OPEN_BATCH
        {
                struct shmb_open_req reqs[BATCH_N];

                for (i = 0; i < BATCH_N; i++)
                        reqs[i] = (struct shmb_open_req) {
                                .name = s->names[i], .access = SHMB_ACCESS_RDWR, .fd = -1,
                        };
                r = shmb_open_batch(s->c, reqs, BATCH_N);
                for (i = 0; i < BATCH_N; i++) {
                        if (r >= 0 && reqs[i].error != 0)
                                r = reqs[i].error < 0 ? reqs[i].error : -reqs[i].error;
                        if (r >= 0 && s->spec.kind == OP_BROKER_BATCH16_MAP)
                                r = map_unmap(reqs[i].fd, (size_t) reqs[i].info.size);
                        if (reqs[i].fd >= 0)
                                close(reqs[i].fd);
                }
                return r < 0 ? r : 0;
        }
#else
                return -EOPNOTSUPP;
#endif
        }
        return -EINVAL;
}

static const char *op_what(enum op_kind k)
{
        switch (k) {
        case OP_DIRECT_OPEN:
                return "direct open";
        case OP_BROKER_OPEN:
                return "broker open";
        case OP_DIRECT_CREATE:
                return "direct create";
        case OP_BROKER_CREATE:
                return "broker create";
        case OP_BROKER_OPEN16:
                return "16 broker opens";
        case OP_BROKER_BATCH16:
                return "broker batch open";
        case OP_BROKER_BATCH16_MAP:
                return "broker batch open+map";
        case OP_DIRECT_MAP:
                return "direct 1 MiB open+map";
        case OP_NAIVE_MAP:
                return "naive-broker 1 MiB open+map";
        case OP_BROKER_MAP:
                return "broker 1 MiB open+map";
        case OP_BROKER_MAP_CACHED:
                return "broker 1 MiB open+map, open cache";
        }
        return "?";
}

/* ====================================================================== latency */

/*
 * One client process runs one or two operations in alternating blocks until the time is up,
 * timing each. Alternating keeps both sides under the same conditions (frequency, neighbours).
 */
#define LAT_BLOCK 100
#define LAT_WARMUP 200

static int pin_to(pid_t pid, int cpu)
{
        cpu_set_t set;

        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        return sched_setaffinity(pid, sizeof(set), &set) < 0 ? -errno : 0;
}

/* Pins daemon @d where cfg.pin says, or (@undo) lets it run anywhere again. */
static void pin_daemon(const struct bench_daemon *d, bool undo)
{
        if (cfg.pin == PIN_NONE || cpu_client < 0 || !d)
                return;
        if (undo)
                (void) sched_setaffinity(d->pid, sizeof(cpus_all), &cpus_all);
        else
                (void) pin_to(d->pid, cfg.pin == PIN_SPLIT ? cpu_daemon : cpu_client);
}

static void pin_daemons(const struct op_spec *ops, size_t n_ops, bool undo)
{
        size_t k;

        for (k = 0; k < n_ops; k++)
                pin_daemon(ops[k].d, undo);
}

struct lat_shared {
        size_t count[2];
        int error;
        int error_op;
        uint32_t samples[];     /* [2][cap] */
};

struct lat_job {
        struct op_spec ops[2];
        size_t n_ops;
        double seconds;
        size_t cap;
        struct lat_shared *sh;
};

static int lat_child(size_t idx, void *userdata, void (*wait_go)(void))
{
        struct lat_job *j = userdata;
        struct op_state st[2];
        uint64_t deadline;
        size_t k, i;
        int r;

        if (cfg.pin != PIN_NONE && cpu_client >= 0)
                (void) pin_to(0, cpu_client);
        for (k = 0; k < j->n_ops; k++) {
                r = op_init(&st[k], &j->ops[k]);
                if (r < 0) {
                        j->sh->error = r;
                        j->sh->error_op = (int) k;
                        return 1;
                }
        }
        wait_go();
        for (k = 0; k < j->n_ops; k++)
                for (i = 0; i < LAT_WARMUP; i++) {
                        r = op_run(&st[k]);
                        if (r < 0) {
                                j->sh->error = r;
                                j->sh->error_op = (int) k;
                                return 0;
                        }
                }
        deadline = tl_now_ns() + (uint64_t) (j->seconds * 1e9);
        while (tl_now_ns() < deadline) {
                for (k = 0; k < j->n_ops; k++) {
                        uint32_t *out = j->sh->samples + k * j->cap;

                        for (i = 0; i < LAT_BLOCK && j->sh->count[k] < j->cap; i++) {
                                uint64_t t0 = tl_now_ns(), dt;

                                r = op_run(&st[k]);
                                dt = tl_now_ns() - t0;
                                if (r < 0) {
                                        j->sh->error = r;
                                        j->sh->error_op = (int) k;
                                        return 0;
                                }
                                out[j->sh->count[k]++] = dt > UINT32_MAX ? UINT32_MAX
                                                                        : (uint32_t) dt;
                        }
                }
                if (j->sh->count[0] >= j->cap)
                        break;
        }
        for (k = 0; k < j->n_ops; k++)
                op_done(&st[k]);
        return 0;
}

/* Runs the job in one client of @uid; fills @ret[0..n_ops-1]. */
static int measure_latency(const struct op_spec *ops, size_t n_ops, uid_t uid, double seconds,
                           struct bench_stats *ret)
{
        struct bench_children ch;
        struct lat_job j = { .n_ops = n_ops, .seconds = seconds };
        size_t size, k;
        int r;

        /* At most one sample per 0.5 us per side is plenty. */
        j.cap = (size_t) (seconds * 2e6) + LAT_BLOCK;
        size = sizeof(struct lat_shared) + 2 * j.cap * sizeof(uint32_t);
        j.sh = bench_shared_alloc(size);
        if (!j.sh)
                return -ENOMEM;
        for (k = 0; k < n_ops; k++)
                j.ops[k] = ops[k];

        pin_daemons(ops, n_ops, false);
        r = bench_children_start(1, uid, 0, lat_child, &j, &ch);
        if (r < 0)
                goto out;
        r = bench_children_wait_ready(&ch, 10000);
        if (r < 0) {
                (void) bench_children_finish(&ch, 0);
                goto out;
        }
        bench_children_go(&ch);
        r = bench_children_finish(&ch, (unsigned) (seconds * 1000) + 30000);
        if (r == 0 && j.sh->error < 0) {
                fprintf(stderr, "shmb-bench: %s failed: %s\n",
                        op_what(ops[j.sh->error_op].kind), strerror(-j.sh->error));
                r = j.sh->error;
        }
        if (r == 0)
                for (k = 0; k < n_ops; k++)
                        bench_stats_compute(j.sh->samples + k * j.cap, j.sh->count[k], &ret[k]);
out:
        pin_daemons(ops, n_ops, true);
        bench_shared_free(j.sh, size);
        return r;
}

/* ====================================================================== throughput */

/* One side of a throughput comparison: an operation, and the server it talks to (if any). */
struct tput_side {
        enum op_kind kind;
        const struct bench_daemon *d;
};

struct tput_result {
        uint64_t ops;
        uint64_t t0, end;       /* CLOCK_MONOTONIC: when this client started and stopped */
        int error;
};

/* Per-operation latencies, shared with the (single) client of a measured window. */
struct tput_samples {
        size_t count, cap;
        uint32_t ns[];
};

struct tput_job {
        struct tput_side side;
        bool pin;                       /* the client on cpu_client (cfg.pin permitting) */
        volatile uint64_t *deadline_ns; /* shared: one end for all, set before go */
        struct tput_result *res;        /* shared, one per client */
        struct tput_samples *samples;   /* shared, or NULL: client 0 times each operation */
};

static int tput_child(size_t idx, void *userdata, void (*wait_go)(void))
{
        struct tput_job *j = userdata;
        struct op_spec spec = { .kind = j->side.kind, .d = j->side.d, .object = idx };
        struct tput_result *res = &j->res[idx];
        struct tput_samples *smp = idx == 0 ? j->samples : NULL;
        struct op_state st;
        uint64_t t0, now, deadline, ops = 0;
        /* Names opened per operation: opens/s counts names. */
        uint64_t per_op = spec.kind == OP_BROKER_OPEN16 || spec.kind == OP_BROKER_BATCH16 ||
                                  spec.kind == OP_BROKER_BATCH16_MAP
                                  ? BATCH_N
                                  : 1;
        int r;

        if (j->pin && cfg.pin != PIN_NONE && cpu_client >= 0)
                (void) pin_to(0, cpu_client);
        r = op_init(&st, &spec);
        /* One operation before the barrier: the connection is set up (its peer's name
         * resolved, ...) before the window opens. */
        if (r >= 0)
                r = op_run(&st);
        if (r < 0) {
                res->error = r;
                return 1;
        }
        wait_go();
        t0 = tl_now_ns();
        deadline = *j->deadline_ns;
        do {
                int n;

                for (n = 0; n < 16; n++) {
                        uint64_t t1 = smp ? tl_now_ns() : 0;

                        r = op_run(&st);
                        if (r < 0) {
                                res->error = r;
                                return 0;
                        }
                        if (smp && smp->count < smp->cap) {
                                uint64_t dt = tl_now_ns() - t1;

                                smp->ns[smp->count++] = dt > UINT32_MAX ? UINT32_MAX
                                                                        : (uint32_t) dt;
                        }
                }
                ops += 16 * per_op;
                now = tl_now_ns();
        } while (now < deadline);
        res->ops = ops;
        res->t0 = t0;
        res->end = now;
        op_done(&st);
        return 0;
}

/*
 * One window: @n clients (uids UID_CLIENT_BASE + i) run @side after a barrier, all until the
 * same deadline, @seconds after "go". The rate is all their operations over the window, from
 * "go" until the last one stopped (not a sum of each client's own rate, which counts twice
 * when the clients' windows do not overlap: 64 clients on 2 CPUs start over several
 * milliseconds). The server's CPU time is read from /proc/PID/stat once every client is set
 * up (and has done one operation) and again once every client has exited. With @pin (one
 * client), the client and the server are pinned as cfg.pin says; with @samples, client 0
 * times each operation.
 */
static int measure_throughput(const struct tput_side *side, size_t n, bool one_uid,
                              double seconds, bool pin, struct tput_samples *samples,
                              struct tput_window *ret)
{
        struct tput_job j = { .side = *side, .pin = pin, .samples = samples };
        size_t size = sizeof(uint64_t) + n * sizeof(struct tput_result), i;
        struct bench_children ch;
        struct bench_cpu m0, m1;
        double cpu0 = NAN, wait0 = NAN;
        uint64_t t0, end = 0;
        void *sh;
        int r;

        *ret = (struct tput_window) { .server_cpu_s = NAN, .server_wait_s = NAN };
        sh = bench_shared_alloc(size);
        if (!sh)
                return -ENOMEM;
        j.deadline_ns = sh;
        j.res = (struct tput_result *) ((uint64_t *) sh + 1);
        if (pin)
                pin_daemon(side->d, false);
        r = bench_children_start(n, UID_CLIENT_BASE, one_uid ? 0 : 1, tput_child, &j, &ch);
        if (r < 0)
                goto out;
        r = bench_children_wait_ready(&ch, 30000);
        if (r < 0) {
                (void) bench_children_finish(&ch, 0);
                goto out;
        }
        if (side->d) {
                cpu0 = bench_proc_cpu_seconds(side->d->pid);
                wait0 = bench_proc_wait_seconds(side->d->pid);
        }
        if (bench_cpu_sample(&m0) < 0)
                m0 = (struct bench_cpu) { NAN, NAN };
        t0 = tl_now_ns();
        *j.deadline_ns = t0 + (uint64_t) (seconds * 1e9);
        bench_children_go(&ch);
        r = bench_children_finish(&ch, (unsigned) (seconds * 1000) + 30000);
        ret->wall_s = (double) (tl_now_ns() - t0) / 1e9;
        if (side->d) {
                ret->server_cpu_s = bench_proc_cpu_seconds(side->d->pid) - cpu0;
                ret->server_wait_s = bench_proc_wait_seconds(side->d->pid) - wait0;
        }
        if (bench_cpu_sample(&m1) == 0) {
                ret->total_s = m1.total - m0.total;
                ret->idle_s = ret->total_s - (m1.busy - m0.busy);
        }
        for (i = 0; r == 0 && i < n; i++) {
                if (j.res[i].error < 0) {
                        fprintf(stderr, "shmb-bench: %s (client %zu) failed: %s\n",
                                op_what(side->kind), i, strerror(-j.res[i].error));
                        r = j.res[i].error;
                        break;
                }
                ret->ops += j.res[i].ops;
                if (j.res[i].end > end)
                        end = j.res[i].end;
        }
        if (r == 0)
                ret->rate = (double) ret->ops / ((double) (end - t0) / 1e9);
out:
        if (pin)
                pin_daemon(side->d, true);
        bench_shared_free(sh, size);
        return r;
}

/*
 * @n_sides sides in alternating rounds (A, B, C, A, B, C, ...) so that a change in the
 * machine's load hits every side alike: TPUT_ROUNDS windows of cfg.tput_seconds / TPUT_ROUNDS
 * per side. Fills ret[k] for side k: the mean rate over its rounds, and its operations, server
 * CPU time and wall time summed over them. With @lat_stats (one client), the latency of every
 * operation of side k goes into lat_stats[k].
 */
#define TPUT_ROUNDS 4
#define TPUT_SIDES_MAX 3

static int measure_throughput_sides(const struct tput_side *sides, size_t n_sides, size_t n,
                                    bool one_uid, bool pin, struct tput_window *ret,
                                    struct bench_stats *lat_stats)
{
        struct tput_samples *smp[TPUT_SIDES_MAX] = {};
        size_t round, k, smp_size = 0;
        int r = 0;

        if (n_sides > TPUT_SIDES_MAX)
                return -EINVAL;
        for (k = 0; k < n_sides; k++)
                ret[k] = (struct tput_window) {};
        if (lat_stats) {
                /* At most one sample per microsecond is plenty. */
                size_t cap = (size_t) (cfg.tput_seconds * 1e6) + 64;

                smp_size = sizeof(struct tput_samples) + cap * sizeof(uint32_t);
                for (k = 0; k < n_sides; k++) {
                        smp[k] = bench_shared_alloc(smp_size);
                        if (!smp[k]) {
                                r = -ENOMEM;
                                goto out;
                        }
                        smp[k]->cap = cap;
                }
        }
        for (round = 0; round < TPUT_ROUNDS; round++)
                for (k = 0; k < n_sides; k++) {
                        struct tput_window w;

                        if (bench_interrupted) {
                                r = -EINTR;
                                goto out;
                        }
                        r = measure_throughput(&sides[k], n, one_uid,
                                               cfg.tput_seconds / TPUT_ROUNDS, pin, smp[k], &w);
                        if (r < 0)
                                goto out;
                        ret[k].rate += w.rate / TPUT_ROUNDS;
                        ret[k].ops += w.ops;
                        ret[k].server_cpu_s += w.server_cpu_s;
                        ret[k].wall_s += w.wall_s;
                        ret[k].server_wait_s += w.server_wait_s;
                        ret[k].idle_s += w.idle_s;
                        ret[k].total_s += w.total_s;
                }
        if (lat_stats)
                for (k = 0; k < n_sides; k++)
                        bench_stats_compute(smp[k]->ns, smp[k]->count, &lat_stats[k]);
out:
        for (k = 0; k < n_sides; k++)
                bench_shared_free(smp[k], smp_size);
        return r;
}

/* Two sides, unpinned: the mean rate of each. */
static int measure_throughput_pair(enum op_kind kind_a, const struct bench_daemon *d_a,
                                   enum op_kind kind_b, const struct bench_daemon *d_b, size_t n,
                                   double *ret_a, double *ret_b)
{
        const struct tput_side sides[2] = { { kind_a, d_a }, { kind_b, d_b } };
        struct tput_window w[2];
        int r;

        r = measure_throughput_sides(sides, 2, n, false, false, w, NULL);
        if (r < 0)
                return r;
        *ret_a = w[0].rate;
        *ret_b = w[1].rate;
        return 0;
}
/* ====================================================================== scenarios */

static void row_error(struct row *row, int r)
{
        row_note(row, "error: %s", strerror(r < 0 ? -r : r));
}

static void scenario_open_latency(const struct bench_daemon *d)
{
        const struct op_spec ops[2] = {
                { .kind = OP_DIRECT_OPEN, .object = 0 },
                { .kind = OP_BROKER_OPEN, .d = d, .object = 0 },
        };
        struct row *med = row_new("open_latency_median",
                                  "open+mmap+munmap+close, 1 client: median");
        struct row *p99 = row_new("open_latency_p99",
                                  "open+mmap+munmap+close, 1 client: p99");
        struct row *split = NULL;
        enum pin_mode saved = cfg.pin;
        struct bench_stats s[2];
        int r;

        progress("open latency, direct vs broker, one client (%.1f s)", cfg.lat_seconds);
        r = measure_latency(ops, 2, UID_CLIENT_BASE, cfg.lat_seconds, s);
        if (r < 0) {
                row_error(med, r);
                row_error(p99, r);
                return;
        }
        row_set(med, "direct", s[0].median_us, "broker", s[1].median_us, "us",
                "broker/direct latency", 0, 0);
        med->a_p99 = s[0].p99_us;
        med->b_p99 = s[1].p99_us;
        row_set(p99, "direct", s[0].p99_us, "broker", s[1].p99_us, "us",
                "broker/direct latency", 0, 0);

        /* What a wake-up on another CPU adds (large on VMs, whose idle vCPUs halt). */
        if (cfg.pin != PIN_SAME || cpu_daemon == cpu_client || bench_interrupted)
                return;
        split = row_new("open_latency_split_median",
                        "  same, daemon on another CPU: median");
        progress("open latency, daemon on another CPU (%.1f s)", cfg.lat_seconds);
        cfg.pin = PIN_SPLIT;
        r = measure_latency(ops, 2, UID_CLIENT_BASE, cfg.lat_seconds, s);
        cfg.pin = saved;
        if (r < 0) {
                row_error(split, r);
                return;
        }
        row_set(split, "direct", s[0].median_us, "broker", s[1].median_us, "us",
                "broker/direct latency", 0, 0);
        split->a_p99 = s[0].p99_us;
        split->b_p99 = s[1].p99_us;
        row_note(split, "info");
}

static void scenario_throughput(const struct bench_daemon *d)
{
        static const size_t levels[] = { 1, 16, 64 };
        size_t i;

        for (i = 0; i < sizeof(levels) / sizeof(levels[0]) && !bench_interrupted; i++) {
                char key[48], label[80];
                double direct = NAN, broker = NAN;
                struct row *row;
                int r;

                snprintf(key, sizeof(key), "opens_per_s_%zu", levels[i]);
                snprintf(label, sizeof(label), "open+mmap+munmap+close/s, %zu process%s",
                         levels[i], levels[i] > 1 ? "es" : "");
                row = row_new(key, label);
                progress("throughput, %zu client(s), direct and broker (2 x %.1f s in %d rounds)",
                         levels[i], cfg.tput_seconds, TPUT_ROUNDS);
                r = measure_throughput_pair(OP_DIRECT_OPEN, NULL, OP_BROKER_OPEN, d, levels[i],
                                            &direct, &broker);
                if (r < 0) {
                        row_error(row, r);
                        continue;
                }
                row_set(row, "direct", direct, "broker", broker, "ops/s",
                        "broker/direct throughput", levels[i] == 64 ? '>' : 0, 0.5);
        }
}

/*
 * Issue 12's baseline: the same operation (a 1 MiB object: get a read-write fd, fstat, mmap,
 * munmap, close) done directly, through the naive broker (naive-broker.c: shm_open and send
 * the fd, nothing else) and through shmbrokerd, in alternating rounds at 1, 16 and 64
 * clients. The servers' CPU time per operation comes from /proc/PID/stat.
 */
static void scenario_naive(const struct bench_daemon *d)
{
        struct bench_daemon *naive = NULL;
        size_t i;
        int r;

        progress("1 MiB open+fstat+mmap+munmap+close: direct, naive broker, shmbroker "
                 "(3 x %.1f s in %d rounds per client count)", cfg.tput_seconds, TPUT_ROUNDS);
        if (access(cfg.naive_bin, X_OK) < 0) {
                r = -errno;
                fprintf(stderr, "shmb-bench: '%s' is not executable: %m (set "
                        "$SHMB_NAIVE_BROKER)\n", cfg.naive_bin);
        } else
                r = bench_naive_start(cfg.naive_bin, &naive);
        if (r >= 0)
                r = broker_create_objects_sized(d, N_OPEN_OBJECTS, true);
        if (r >= 0)
                r = direct_create_objects_sized(N_OPEN_OBJECTS, true);

        for (i = 0; i < N_NAIVE_LEVELS; i++) {
                const struct tput_side sides[_SIDE_MAX] = {
                        [SIDE_DIRECT] = { OP_DIRECT_MAP, NULL },
                        [SIDE_NAIVE] = { OP_NAIVE_MAP, naive },
                        [SIDE_BROKER] = { OP_BROKER_MAP, d },
                };
                struct naive_level *lv = &naive_results[i];
                size_t n = naive_levels[i].clients;
                bool one_uid = naive_levels[i].one_uid;
                struct row *p50 = NULL, *rate, *rate_direct, *cpu;
                char key[64], label[96];

                if (bench_interrupted)
                        break;
                lv->clients = n;
                lv->one_uid = one_uid;
                if (n == 1)
                        p50 = row_new("naive_p50_1", "1 MiB op, 1 client: p50, naive vs shmbroker");
                snprintf(key, sizeof(key), "naive_ops_per_s_%zu%s", n, one_uid ? "_one_uid" : "");
                snprintf(label, sizeof(label), "1 MiB ops/s, %zu client%s%s: naive vs shmbroker",
                         n, n > 1 ? "s" : "", one_uid ? " of one uid" : "");
                rate = row_new(key, label);
                snprintf(key, sizeof(key), "naive_direct_ops_per_s_%zu%s", n,
                         one_uid ? "_one_uid" : "");
                rate_direct = row_new(key, "  same, direct vs shmbroker");
                snprintf(key, sizeof(key), "naive_cpu_us_per_op_%zu%s", n,
                         one_uid ? "_one_uid" : "");
                cpu = row_new(key, "  daemon CPU per op: naive vs shmbroker");
                if (r >= 0) {
                        progress("  %zu client%s%s", n, n > 1 ? "s" : "",
                                 one_uid ? " of one uid" : "");
                        r = measure_throughput_sides(sides, _SIDE_MAX, n, one_uid, n == 1, lv->w,
                                                     n == 1 ? lv->lat : NULL);
                }
                if (r < 0) {
                        if (p50)
                                row_error(p50, r);
                        row_error(rate, r);
                        row_error(rate_direct, r);
                        row_error(cpu, r);
                        continue;
                }
                lv->done = true;
                if (p50) {
                        row_set(p50, "naive", lv->lat[SIDE_NAIVE].median_us, "shmbroker",
                                lv->lat[SIDE_BROKER].median_us, "us", "shmbroker/naive latency",
                                '<', 1.0);
                        p50->a_p99 = lv->lat[SIDE_NAIVE].p99_us;
                        p50->b_p99 = lv->lat[SIDE_BROKER].p99_us;
                        row_note(p50, "direct %.2f us; p99 %.1f / %.1f us",
                                 lv->lat[SIDE_DIRECT].median_us, lv->lat[SIDE_NAIVE].p99_us,
                                 lv->lat[SIDE_BROKER].p99_us);
                }
                row_set(rate, "naive", lv->w[SIDE_NAIVE].rate, "shmbroker",
                        lv->w[SIDE_BROKER].rate, "ops/s", "shmbroker/naive throughput",
                        n == 64 ? '>' : 0, 1.2);
                if (n == 1 && cfg.pin != PIN_NONE)
                        row_note(rate, "info: pinned (--pin %s)",
                                 cfg.pin == PIN_SAME ? "same" : "split");
                else
                        row_note(rate, "machine idle %.0f%% / %.0f%%, direct %.0f%%",
                                 idle_pct(&lv->w[SIDE_NAIVE]), idle_pct(&lv->w[SIDE_BROKER]),
                                 idle_pct(&lv->w[SIDE_DIRECT]));
                row_set(rate_direct, "direct", lv->w[SIDE_DIRECT].rate, "shmbroker",
                        lv->w[SIDE_BROKER].rate, "ops/s", "shmbroker/direct throughput", 0, 0);
                row_set(cpu, "naive", cpu_us_per_op(&lv->w[SIDE_NAIVE]), "shmbroker",
                        cpu_us_per_op(&lv->w[SIDE_BROKER]), "us",
                        "shmbroker/naive daemon CPU per operation", n == 64 ? '<' : 0, 1.0);
                row_note(cpu, "busy %.0f%% / %.0f%% of a CPU, waiting to run %.0f%% / %.0f%%",
                         busy_pct(&lv->w[SIDE_NAIVE]), busy_pct(&lv->w[SIDE_BROKER]),
                         waiting_pct(&lv->w[SIDE_NAIVE]), waiting_pct(&lv->w[SIDE_BROKER]));
        }
        if (bench_daemon_stop(naive) < 0) {
                fprintf(stderr, "shmb-bench: the naive broker did not stop cleanly\n");
                other_errors++;
        }
        direct_remove_map_objects();
}

/*
 * Issue 12, item 5: the repeat-open cache. The same 1 MiB operation, each client reopening its
 * one object, with shmb_client_set_open_cache() on: after the first, an open is a dup() of the
 * fd the client holds, checked against the broker's generation page and the connection
 * (poll), with no round trip. It removes the round trip rather than making it cheaper, so it
 * is measured beside direct shm_open(), apart from the naive broker's rows.
 */
static void scenario_cache(const struct bench_daemon *d)
{
        static const size_t levels[] = { 1, 64 };
        size_t i;
        int r;

        progress("1 MiB open+fstat+mmap+munmap+close with the open cache: direct vs shmbroker "
                 "(2 x %.1f s in %d rounds per client count)", cfg.tput_seconds, TPUT_ROUNDS);
        r = broker_create_objects_sized(d, N_OPEN_OBJECTS, true);
        if (r >= 0)
                r = direct_create_objects_sized(N_OPEN_OBJECTS, true);
        for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
                const struct tput_side sides[2] = {
                        { OP_DIRECT_MAP, NULL }, { OP_BROKER_MAP_CACHED, d },
                };
                size_t n = levels[i];
                struct tput_window w[2];
                struct bench_stats lat[2];
                struct row *p50 = NULL, *rate;
                char key[64], label[96];

                if (bench_interrupted)
                        break;
                if (n == 1)
                        p50 = row_new("cache_p50_1",
                                      "1 MiB op, 1 client, open cache: p50, direct vs shmbroker");
                snprintf(key, sizeof(key), "cache_ops_per_s_%zu", n);
                snprintf(label, sizeof(label), "1 MiB ops/s, %zu client%s, open cache: direct vs "
                         "shmbroker", n, n > 1 ? "s" : "");
                rate = row_new(key, label);
                if (r >= 0) {
                        progress("  %zu client%s", n, n > 1 ? "s" : "");
                        r = measure_throughput_sides(sides, 2, n, false, n == 1, w,
                                                     n == 1 ? lat : NULL);
                }
                if (r < 0) {
                        if (p50)
                                row_error(p50, r);
                        row_error(rate, r);
                        continue;
                }
                if (p50) {
                        row_set(p50, "direct", lat[0].median_us, "shmbroker", lat[1].median_us,
                                "us", "shmbroker/direct latency", 0, 0);
                        p50->a_p99 = lat[0].p99_us;
                        p50->b_p99 = lat[1].p99_us;
                        row_note(p50, "info: p99 %.1f / %.1f us", lat[0].p99_us, lat[1].p99_us);
                }
                row_set(rate, "direct", w[0].rate, "shmbroker", w[1].rate, "ops/s",
                        "shmbroker (open cache)/direct throughput", '>', 1.0);
                row_note(rate, "daemon busy %.0f%% of a CPU",
                         busy_pct(&w[1]));
        }
        direct_remove_map_objects();
}

static void scenario_create(const struct bench_daemon *d)
{
        const struct op_spec ops[2] = {
                { .kind = OP_DIRECT_CREATE },
                { .kind = OP_BROKER_CREATE, .d = d },
        };
        struct row *row = row_new("create_acl_median",
                                  "create (owner, mode, 3-entry ACL)+unlink: median");
        struct bench_stats s[2];
        double cpu;
        int r;

        progress("create with ACL, direct vs broker (%.1f s)", cfg.lat_seconds);
        /* As root: the direct side chowns, and the rule's Create= is uid 0. */
        cpu = bench_proc_cpu_seconds(d->pid);
        r = measure_latency(ops, 2, 0, cfg.lat_seconds, s);
        if (r < 0) {
                row_error(row, r);
                return;
        }
        /* Only the broker side talks to the daemon: its CPU time is that side's, over its
         * timed operations and its LAT_WARMUP first ones. */
        cpu = bench_proc_cpu_seconds(d->pid) - cpu;
        /* Issue 12's target for the create. Each side also unlinks what it made, so that
         * every round creates anew: the unlink is in both, as in the ratio. */
        row_set(row, "direct", s[0].median_us, "broker", s[1].median_us, "us",
                "broker/direct latency", '<', 2.5);
        row->a_p99 = s[0].p99_us;
        row->b_p99 = s[1].p99_us;
        row_note(row, "daemon CPU %.2f us per create+unlink",
                 cpu * 1e6 / (double) (s[1].n + LAT_WARMUP));
}

static void scenario_batch(const struct bench_daemon *d)
{
        struct row *row = row_new("batch16_median", "16 opens: 16 single vs 1 batch, median");
#ifdef SHMB_HAVE_OPEN_BATCH
        const struct op_spec ops[2] = {
                { .kind = OP_BROKER_OPEN16, .d = d },
                { .kind = OP_BROKER_BATCH16, .d = d },
        };
        const struct tput_side opens[2] = {
                { OP_BROKER_OPEN16, d }, { OP_BROKER_BATCH16, d },
        };
        const struct tput_side maps[2] = {
                { OP_DIRECT_OPEN, NULL }, { OP_BROKER_BATCH16_MAP, d },
        };
        struct bench_stats s[2];
        struct tput_window w[2];
        int r;

        progress("16 single opens vs one batch of 16 (%.1f s)", cfg.lat_seconds);
        r = measure_latency(ops, 2, UID_CLIENT_BASE, cfg.lat_seconds, s);
        if (r < 0) {
                row_error(row, r);
                return;
        }
        row_set(row, "single", s[0].median_us, "batch", s[1].median_us, "us",
                "batch/single latency", 0, 0);
        row->a_p99 = s[0].p99_us;
        row->b_p99 = s[1].p99_us;

        /* Does batching lift the 64-client ceiling? Opens (names) per second. */
        if (bench_interrupted)
                return;
        row = row_new("batch16_opens_per_s_64", "opens/s, 64 processes: 16 single vs batch");
        progress("64 clients: 16 single opens vs one batch (2 x %.1f s in %d rounds)",
                 cfg.tput_seconds, TPUT_ROUNDS);
        r = measure_throughput_sides(opens, 2, 64, false, false, w, NULL);
        if (r < 0) {
                row_error(row, r);
                return;
        }
        row_set(row, "single", w[0].rate, "batch", w[1].rate, "ops/s", "batch/single throughput",
                0, 0);
        row_note(row, "info: open+close, no mmap; daemon %.2f / %.2f us per name",
                 cpu_us_per_op(&w[0]), cpu_us_per_op(&w[1]));

        /* The 64-process row of the throughput scenario again, with the broker's opens in
         * batches of 16 (issue 12: >= 0.5x direct with shmb_open_batch, mmap included). */
        if (bench_interrupted)
                return;
        row = row_new("batch16_map_opens_per_s_64",
                      "open+mmap/s, 64 processes: direct vs batch of 16");
        progress("64 clients: direct opens vs batches of 16, each mapped (2 x %.1f s in %d "
                 "rounds)", cfg.tput_seconds, TPUT_ROUNDS);
        r = measure_throughput_sides(maps, 2, 64, false, false, w, NULL);
        if (r < 0) {
                row_error(row, r);
                return;
        }
        row_set(row, "direct", w[0].rate, "batch", w[1].rate, "ops/s", "batch/direct throughput",
                '>', 0.5);
        row_note(row, "info: 16 names = 16 ops; daemon %.2f us/name; idle %.0f%% / %.0f%%",
                 cpu_us_per_op(&w[1]), idle_pct(&w[0]), idle_pct(&w[1]));
#else
        row_note(row, "n/a (no batch API yet)");
#endif
}

/* Open latency against the 10-rule daemon and a bigger policy, interleaved. */
static void scenario_rules(const struct bench_daemon *base, bool leading_glob)
{
        struct bench_daemon *big = NULL;
        struct bench_stats s[2];
        struct op_spec ops[2] = {
                { .kind = OP_BROKER_OPEN, .d = base },
                { .kind = OP_BROKER_OPEN },
        };
        char key[64], label[96], b_name[32];
        struct row *row;
        int r;

        snprintf(key, sizeof(key), "rules_%zu%s_vs_10", cfg.rules, leading_glob ? "_glob" : "");
        snprintf(label, sizeof(label), "open latency, %zu rules%s vs 10: median", cfg.rules,
                 leading_glob ? " ('*'-led)" : "");
        snprintf(b_name, sizeof(b_name), "%zuk", cfg.rules / 1000);
        row = row_new(key, label);
        progress("%zu-rule policy%s vs 10 rules (%.1f s)", cfg.rules,
                 leading_glob ? " of leading-'*' globs" : "", cfg.lat_seconds);
        r = start_daemon(cfg.rules, leading_glob, &big);
        if (r >= 0)
                r = broker_create_objects(big, 1);
        if (r >= 0) {
                ops[1].d = big;
                r = measure_latency(ops, 2, UID_CLIENT_BASE, cfg.lat_seconds, s);
        }
        if (bench_daemon_stop(big) < 0 && r >= 0)
                r = -EPROTO;
        if (r < 0) {
                row_error(row, r);
                return;
        }
        row_set(row, "10", s[0].median_us, b_name, s[1].median_us, "us",
                "many-rules/10-rules latency", leading_glob ? 0 : '<', 2.0);
        row->a_p99 = s[0].p99_us;
        row->b_p99 = s[1].p99_us;
        if (leading_glob)
                row_note(row, "info: defeats the prefix index");
}

/* Objects bench-p-FROM .. bench-p-(N-1), made through the broker: the registry's. */
static int broker_fill(const struct bench_daemon *d, size_t from, size_t n)
{
        struct shmb_client *c = NULL;
        size_t i;
        int r;

        r = shmb_connect(d->dirs.socket_path, &c);
        for (i = from; r >= 0 && i < n; i++) {
                char name[64];

                if (bench_interrupted) {
                        r = -EINTR;
                        break;
                }
                snprintf(name, sizeof(name), "bench-p-%07zu", i);
                r = shmb_create(c, name, OBJECT_SIZE, SHMB_ACCESS_NONE, NULL, NULL);
                if (r < 0)
                        fprintf(stderr, "shmb-bench: create '%s': %s\n", name, strerror(-r));
        }
        shmb_client_free(c);
        return r;
}

/* The same names as files planted in @d's object directory, looking like the rule's objects
 * (root:root 0666): what a writer of the directory can do. They are not objects. */
static int plant(const struct bench_daemon *d, size_t from, size_t n)
{
        size_t i;
        int r = 0, dir_fd;

        dir_fd = open(d->dirs.shm_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        for (i = from; r >= 0 && i < n; i++) {
                char name[64];
                int fd;

                if (bench_interrupted) {
                        r = -EINTR;
                        break;
                }
                snprintf(name, sizeof(name), "bench-p-%07zu", i);
                fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
                if (fd < 0 || fchmod(fd, 0666) < 0) {
                        r = -errno;
                        fprintf(stderr, "shmb-bench: create '%s': %m\n", name);
                }
                if (fd >= 0)
                        close(fd);
        }
        close(dir_fd);
        return r;
}

/* One LIST page after @cursor on @sock, raw: the reply's names are counted, not kept. */
static int list_page(int sock, const char *cursor, uint32_t seq, uint32_t *ret_names)
{
        static uint8_t buf[SHMB_PROTO_MSG_MAX];
        struct shmb_proto_reply reply;
        int fds[SHMB_PROTO_FDS_MAX];
        size_t n_fds = 0;
        ssize_t n;
        int r;

        r = shmb_proto_encode_name_req(buf, sizeof(buf), SHMB_PROTO_LIST, seq, cursor, 0);
        if (r < 0)
                return r;
        r = tl_raw_send(sock, buf, (size_t) r, NULL, 0, 0);
        if (r < 0)
                return r;
        n = tl_raw_recv(sock, buf, sizeof(buf), fds, &n_fds, 0);
        if (n <= 0)
                return n < 0 ? (int) n : -ECONNRESET;
        r = shmb_proto_decode_reply(buf, (size_t) n, n_fds, &reply);
        if (r < 0)
                return r;
        if (reply.type != SHMB_PROTO_REPLY_LIST)
                return reply.type == SHMB_PROTO_REPLY_ERROR ? -reply.error : -EBADMSG;
        *ret_names = reply.n_names;
        return 0;
}

/*
 * Latency of a LIST page (from a cursor in the middle of the names) on two daemons,
 * interleaved, as a client of uid UID_CLIENT_BASE that may read every bench-* object.
 */
static int measure_list(const struct bench_daemon *const *d, double seconds,
                        struct bench_stats *ret)
{
        enum { SAMPLES_MAX = 20000 };
        uint32_t *samples[2] = { calloc(SAMPLES_MAX, 4), calloc(SAMPLES_MAX, 4) };
        size_t n = 0, k;
        uint64_t end;
        int socks[2] = { -1, -1 }, r = 0;

        if (!samples[0] || !samples[1])
                r = -ENOMEM;
        for (k = 0; r >= 0 && k < 2; k++) {
                /* SO_PEERCRED records the effective uid at connect(). */
                if (setresuid((uid_t) -1, UID_CLIENT_BASE, (uid_t) -1) < 0)
                        r = -errno;
                else {
                        socks[k] = tl_connect_seqpacket(d[k]->dirs.socket_path);
                        if (socks[k] < 0)
                                r = socks[k];
                        if (setresuid((uid_t) -1, 0, (uid_t) -1) < 0)
                                abort();
                }
        }
        end = tl_now_ns() + (uint64_t) (seconds * 1e9);
        while (r >= 0 && n < SAMPLES_MAX && tl_now_ns() < end && !bench_interrupted) {
                for (k = 0; r >= 0 && k < 2; k++) {
                        uint64_t t0 = tl_now_ns();
                        uint32_t names = 0;

                        r = list_page(socks[k], "bench-p-0000005", (uint32_t) n + 1, &names);
                        samples[k][n] = (uint32_t) (tl_now_ns() - t0);
                        /* Both pages are full: the same work on each side. */
                        if (r >= 0 && names < 100)
                                r = -ENODATA;
                }
                n++;
        }
        if (r >= 0)
                for (k = 0; k < 2; k++)
                        bench_stats_compute(samples[k], n, &ret[k]);
        for (k = 0; k < 2; k++) {
                if (socks[k] >= 0)
                        close(socks[k]);
                free(samples[k]);
        }
        return r;
}

/* A row whose target is B's time itself, not a ratio. */
static void row_time(struct row *row, const char *a_name, uint64_t a_ns, const char *b_name,
                     uint64_t b_ns, double limit_s)
{
        row_set(row, a_name, (double) a_ns / 1e3, b_name, (double) b_ns / 1e3, "us",
                "start-up time ratio", '<', 1e9);
        snprintf(row->target_txt, sizeof(row->target_txt), "< %.0f s", limit_s);
        row->verdict = (double) b_ns / 1e9 < limit_s ? VERDICT_PASS : VERDICT_MISS;
}

/*
 * How long a SIGHUP reload of an unchanged policy keeps @d from answering: from the signal to
 * the first STATUS answer that shows the new policy generation (root is an admin). The reload
 * looks at every shm object's file (shmbrokerd(8), RELOADS AND ORPHANS).
 */
static int measure_reload(const struct bench_daemon *d, uint64_t *ret_ns)
{
        struct shmb_client *c = NULL;
        struct shmb_status *st = NULL;
        uint64_t generation, t0;
        int r;

        r = shmb_connect(d->dirs.socket_path, &c);
        if (r >= 0)
                r = shmb_status(c, &st);
        if (r < 0) {
                shmb_client_free(c);
                return r;
        }
        generation = st->generation;
        shmb_status_free(st);
        t0 = tl_now_ns();
        if (kill(d->pid, SIGHUP) < 0)
                r = -errno;
        while (r >= 0) {
                r = shmb_status(c, &st);
                if (r < 0)
                        break;
                if (st->generation != generation) {
                        shmb_status_free(st);
                        *ret_ns = tl_now_ns() - t0;
                        break;
                }
                shmb_status_free(st);
                if (tl_now_ns() - t0 > (uint64_t) 30 * 1000000000) {
                        r = -ETIMEDOUT;
                        break;
                }
        }
        shmb_client_free(c);
        return r;
}

#define LIST_SMALL_OBJECTS 5000   /* more than a LIST page holds after the cursor */

/*
 * Three daemons: one with 10 objects; one with LIST_SMALL_OBJECTS objects and files planted in
 * its object directory up to cfg.objects (a finding of the review: LIST and start-up walked the
 * directory); one with cfg.objects objects made through it. Open latency (10 against many)
 * and LIST page latency (a full page on both sides) interleaved, then the start-up time of
 * each on its own registry.
 */
static void scenario_objects(void)
{
        struct bench_daemon *tiny = NULL, *small = NULL, *big = NULL;
        struct bench_stats s[2], l[2];
        struct op_spec ops[2] = { { .kind = OP_BROKER_OPEN }, { .kind = OP_BROKER_OPEN } };
        struct row *row, *row_list, *row_start, *row_reload;
        char key[64], label[128], b_name[32];
        uint64_t t0, start_tiny = 0, start_big = 0, reload_tiny = 0, reload_big = 0;
        int r;

        snprintf(key, sizeof(key), "objects_%zu_vs_10", cfg.objects);
        snprintf(label, sizeof(label), "open latency, %zu objects vs 10: median", cfg.objects);
        snprintf(b_name, sizeof(b_name), "%zuk", cfg.objects / 1000);
        row = row_new(key, label);
        snprintf(key, sizeof(key), "list_page_%zu_vs_%d", cfg.objects, LIST_SMALL_OBJECTS);
        snprintf(label, sizeof(label), "LIST page, %zu objects vs %dk: median", cfg.objects,
                 LIST_SMALL_OBJECTS / 1000);
        row_list = row_new(key, label);
        snprintf(key, sizeof(key), "startup_%zu_vs_10", cfg.objects);
        snprintf(label, sizeof(label), "start-up, %zu objects vs 10", cfg.objects);
        row_start = row_new(key, label);
        snprintf(key, sizeof(key), "reload_%zu_vs_10", cfg.objects);
        snprintf(label, sizeof(label), "reload (SIGHUP), %zu objects vs 10", cfg.objects);
        row_reload = row_new(key, label);

        progress("%zu live objects vs 10 (%.1f s)", cfg.objects, cfg.lat_seconds);
        r = start_daemon(10, false, &tiny);
        if (r >= 0)
                r = broker_create_objects(tiny, 10);
        if (r >= 0)
                r = start_daemon(10, false, &small);
        if (r >= 0)
                r = broker_fill(small, 0, LIST_SMALL_OBJECTS);
        if (r >= 0)
                r = plant(small, LIST_SMALL_OBJECTS, cfg.objects);
        if (r >= 0)
                r = start_daemon(10, false, &big);
        if (r >= 0)
                r = broker_create_objects(big, 10);
        t0 = tl_now_ns();
        if (r >= 0)
                r = broker_fill(big, 0, cfg.objects);
        if (r >= 0) {
                progress("  created %zu objects through the broker in %.1f s", cfg.objects,
                         (double) (tl_now_ns() - t0) / 1e9);
                ops[0].d = tiny;
                ops[1].d = big;
                r = measure_latency(ops, 2, UID_CLIENT_BASE, cfg.lat_seconds, s);
        }
        if (r >= 0)
                r = measure_list((const struct bench_daemon *const[]) { small, big },
                                 cfg.lat_seconds, l);
        if (r >= 0)
                r = measure_reload(tiny, &reload_tiny);
        if (r >= 0)
                r = measure_reload(big, &reload_big);
        if (r >= 0)
                r = bench_daemon_restart(tiny, &start_tiny);
        if (r >= 0)
                r = bench_daemon_restart(big, &start_big);
        if (bench_daemon_stop(tiny) < 0 && r >= 0)
                r = -EPROTO;
        if (bench_daemon_stop(small) < 0 && r >= 0)
                r = -EPROTO;
        if (big)
                progress("  removing %zu objects", cfg.objects);
        if (bench_daemon_stop(big) < 0 && r >= 0)
                r = -EPROTO;
        if (r < 0) {
                row_error(row, r);
                row_error(row_list, r);
                row_error(row_start, r);
                row_error(row_reload, r);
                return;
        }
        row_set(row, "10", s[0].median_us, b_name, s[1].median_us, "us",
                "many-objects/10-objects latency", '<', 1.2);
        row->a_p99 = s[0].p99_us;
        row->b_p99 = s[1].p99_us;
        snprintf(key, sizeof(key), "%dk", LIST_SMALL_OBJECTS / 1000);
        row_set(row_list, key, l[0].median_us, b_name, l[1].median_us, "us",
                "many-objects/5k-objects LIST page", '<', 1.2);
        row_list->a_p99 = l[0].p99_us;
        row_list->b_p99 = l[1].p99_us;
        row_note(row_list, "info: the %s side has %zu files planted", key,
                 cfg.objects - LIST_SMALL_OBJECTS);
        row_time(row_start, "10", start_tiny, b_name, start_big, 1.0);
        row_set(row_reload, "10", (double) reload_tiny / 1e3, b_name, (double) reload_big / 1e3,
                "us", "reload time ratio", 0, 0);
        row_note(row_reload, "info: the daemon answers nobody meanwhile");
}

/* Waits until the daemon holds @want fds, or the count stops moving for @stable_ms. */
static int wait_fd_count(const struct bench_daemon *d, int want, unsigned stable_ms)
{
        uint64_t since = tl_now_ns();
        int last = -1, n;

        for (;;) {
                n = bench_daemon_fd_count(d);
                if (n < 0 || n == want || bench_interrupted)
                        return n;
                if (n != last) {
                        last = n;
                        since = tl_now_ns();
                } else if (tl_now_ns() - since > (uint64_t) stable_ms * 1000000)
                        return n;
                bench_sleep_ms(10);
        }
}

/* Idle connections held by this process, spread over uids with seteuid(). */
static void scenario_idle(void)
{
        struct bench_daemon *d = NULL;
        struct shmb_client **conns = NULL, *warm = NULL;
        struct row *row;
        char key[64], label[96], txt[48];
        long rss0 = 0, rss1 = 0;
        int fds0 = 0, fds1 = 0, r;
        size_t i, n = 0;

        snprintf(key, sizeof(key), "idle_%zu_rss_per_conn", cfg.idle_conns);
        snprintf(label, sizeof(label), "%zu idle connections: daemon RSS growth",
                 cfg.idle_conns);
        row = row_new(key, label);
        progress("%zu idle connections (%zu per uid)", cfg.idle_conns, (size_t) CONNS_PER_UID);

        conns = calloc(cfg.idle_conns, sizeof(*conns));
        if (!conns) {
                row_error(row, -ENOMEM);
                return;
        }
        r = start_daemon(10, false, &d);
        if (r >= 0)
                r = broker_create_objects(d, 1);
        /* One connection that did something, so that the baseline has the daemon warm. */
        if (r >= 0)
                r = shmb_connect(d->dirs.socket_path, &warm);
        if (r >= 0) {
                int fd;

                r = shmb_open(warm, "bench-o-000", SHMB_ACCESS_RDWR, &fd, NULL);
                if (r >= 0)
                        close(fd);
                warm = shmb_client_free(warm);
        }
        if (r >= 0) {
                fds0 = wait_fd_count(d, -1, 300);
                rss0 = bench_daemon_rss_kib(d);
                if (fds0 < 0 || rss0 < 0)
                        r = fds0 < 0 ? fds0 : (int) rss0;
        }
        for (n = 0; r >= 0 && n < cfg.idle_conns; n++) {
                uid_t uid = UID_IDLE_BASE + (uid_t) (n / CONNS_PER_UID);

                if (bench_interrupted) {
                        r = -EINTR;
                        break;
                }
                /* SO_PEERCRED records the effective uid at connect(). */
                if (setresuid((uid_t) -1, uid, (uid_t) -1) < 0) {
                        r = -errno;
                        break;
                }
                r = shmb_connect(d->dirs.socket_path, &conns[n]);
                if (setresuid((uid_t) -1, 0, (uid_t) -1) < 0) {
                        fprintf(stderr, "shmb-bench: cannot return to euid 0: %m\n");
                        abort();
                }
                if (r < 0)
                        fprintf(stderr, "shmb-bench: connection %zu: %s\n", n, strerror(-r));
        }
        if (r >= 0) {
                fds1 = wait_fd_count(d, fds0 + (int) cfg.idle_conns, 2000);
                bench_sleep_ms(200);
                rss1 = bench_daemon_rss_kib(d);
                if (fds1 < 0 || rss1 < 0)
                        r = fds1 < 0 ? fds1 : (int) rss1;
                else if (fds1 != fds0 + (int) cfg.idle_conns) {
                        fprintf(stderr, "shmb-bench: the daemon holds %d connections of %zu "
                                "(refused by a limit?)\n", fds1 - fds0, cfg.idle_conns);
                        r = -EUSERS;
                }
        }
        for (i = 0; i < n; i++)
                shmb_client_free(conns[i]);
        free(conns);
        if (bench_daemon_stop(d) < 0 && r >= 0)
                r = -EPROTO;
        if (r < 0) {
                row_error(row, r);
                return;
        }

        row->a = (double) rss0;
        row->b = (double) rss1;
        row->unit = "KiB";
        row->ratio = (double) (rss1 - rss0) * 1024.0 / (double) cfg.idle_conns;
        row->ratio_def = "bytes of daemon RSS per idle connection";
        snprintf(txt, sizeof(txt), "%.1f MiB", (double) rss0 / 1024);
        snprintf(row->a_txt, sizeof(row->a_txt), "before %s", txt);
        snprintf(txt, sizeof(txt), "%.1f MiB", (double) rss1 / 1024);
        snprintf(row->b_txt, sizeof(row->b_txt), "after %s", txt);
        snprintf(row->ratio_txt, sizeof(row->ratio_txt), "%.0f B/conn", row->ratio);
        snprintf(row->target_txt, sizeof(row->target_txt), "<= 2 KiB");
        row->verdict = row->ratio <= 2048 ? VERDICT_PASS : VERDICT_MISS;
}

/* ====================================================================== fairness */

/*
 * The victim's open latency alone, then while another uid runs a hostile load, paired: each
 * load is measured right after its own "alone" run, so both see the same machine. Nothing is
 * pinned: the scheduler shares the CPUs between the daemon, the victim and the attackers.
 */
enum attack {
        ATTACK_LIST,            /* 8 connections listing 5000 names over and over */
        ATTACK_OPEN64,          /* 64 connections (4 processes x 16, pipelined) opening */
        ATTACK_CHURN,           /* 4 processes creating and removing 64 KiB objects */
        ATTACK_FDS,             /* 4 processes connecting and sending fds, then hanging up */
        ATTACK_IDLE,            /* 5000 idle connections */
        _ATTACK_MAX,
};

static const struct {
        const char *key, *label;
        size_t processes;
} attacks[_ATTACK_MAX] = {
        [ATTACK_LIST] = { "list_flood", "LIST flood (8 connections)", 8 },
        [ATTACK_OPEN64] = { "open_flood_64", "open flood (64 connections)", 4 },
        [ATTACK_CHURN] = { "create_churn", "create/unlink churn (4 processes)", 4 },
        [ATTACK_FDS] = { "fd_connects", "fd-carrying connects (4 processes)", 4 },
        [ATTACK_IDLE] = { "idle_5000", "5000 idle connections", 1 },
};

#define FAIR_LIST_OBJECTS 5000
#define FAIR_PIPELINE 16

struct attack_job {
        enum attack kind;
        const struct bench_daemon *d;
        volatile int *stop;     /* shared: set by the parent */
};

static int attack_list(const struct attack_job *j, void (*wait_go)(void))
{
        static uint8_t buf[SHMB_PROTO_MSG_MAX];
        int fd = tl_connect_seqpacket(j->d->dirs.socket_path), fds[SHMB_PROTO_FDS_MAX];
        uint32_t seq = 1;

        if (fd < 0)
                return 1;
        wait_go();
        while (!*j->stop) {
                char cursor[SHMB_PROTO_NAME_MAX + 1] = "";
                struct shmb_proto_reply reply;
                size_t n_fds;
                ssize_t n;

                do {
                        int len = shmb_proto_encode_name_req(buf, sizeof(buf), SHMB_PROTO_LIST,
                                                             seq++, cursor, 0);
                        size_t at = 0;
                        const char *name;
                        size_t name_len;

                        if (len < 0 || tl_raw_send(fd, buf, (size_t) len, NULL, 0, 0) < 0)
                                return 1;
                        n = tl_raw_recv(fd, buf, sizeof(buf), fds, &n_fds, 0);
                        if (n <= 0 || shmb_proto_decode_reply(buf, (size_t) n, n_fds, &reply) < 0 ||
                            reply.type != SHMB_PROTO_REPLY_LIST)
                                return 1;
                        while (shmb_proto_list_next(&reply, &at, &name, &name_len) > 0)
                                snprintf(cursor, sizeof(cursor), "%.*s", (int) name_len, name);
                } while ((reply.list_flags & SHMB_PROTO_LIST_MORE) && !*j->stop);
        }
        close(fd);
        return 0;
}

static int attack_open64(const struct attack_job *j, size_t idx, void (*wait_go)(void))
{
        static uint8_t buf[SHMB_PROTO_MSG_MAX];
        int socks[FAIR_PIPELINE], fds[SHMB_PROTO_FDS_MAX];
        size_t i, n_fds;
        char name[64];
        int len;

        broker_name(name, sizeof(name), idx);
        for (i = 0; i < FAIR_PIPELINE; i++) {
                socks[i] = tl_connect_seqpacket(j->d->dirs.socket_path);
                if (socks[i] < 0)
                        return 1;
        }
        len = shmb_proto_encode_open(buf, sizeof(buf), 1, name, SHMB_PROTO_ACCESS_RDWR);
        if (len < 0)
                return 1;
        wait_go();
        /* One request in flight on each connection at all times. */
        for (i = 0; i < FAIR_PIPELINE; i++)
                if (tl_raw_send(socks[i], buf, (size_t) len, NULL, 0, 0) < 0)
                        return 1;
        while (!*j->stop)
                for (i = 0; i < FAIR_PIPELINE; i++) {
                        uint8_t in[256];
                        size_t k;

                        if (tl_raw_recv(socks[i], in, sizeof(in), fds, &n_fds, 0) <= 0)
                                return 1;
                        for (k = 0; k < n_fds; k++)
                                close(fds[k]);
                        if (tl_raw_send(socks[i], buf, (size_t) len, NULL, 0, 0) < 0)
                                return 1;
                }
        for (i = 0; i < FAIR_PIPELINE; i++)
                close(socks[i]);
        return 0;
}

static int attack_churn(const struct attack_job *j, size_t idx, void (*wait_go)(void))
{
        struct shmb_client *c = NULL;
        char name[64];

        snprintf(name, sizeof(name), "bench-churn-%zu", idx);
        if (shmb_connect(j->d->dirs.socket_path, &c) < 0)
                return 1;
        wait_go();
        while (!*j->stop) {
                if (shmb_create(c, name, 64 * 1024, SHMB_ACCESS_NONE, NULL, NULL) < 0 ||
                    shmb_unlink(c, name) < 0) {
                        shmb_client_free(c);
                        return 1;
                }
        }
        shmb_client_free(c);
        return 0;
}

static int attack_fds(const struct attack_job *j, void (*wait_go)(void))
{
        int p[2];

        if (pipe2(p, O_CLOEXEC) < 0)
                return 1;
        wait_go();
        while (!*j->stop) {
                int fd = tl_connect_seqpacket(j->d->dirs.socket_path);

                if (fd < 0)
                        continue; /* a full backlog: try again */
                /* Refused at the sender where the kernel has SO_PASSRIGHTS; else taken in,
                 * and the connection dropped. Either way, the daemon did an accept. */
                (void) tl_raw_send(fd, "x", 1, p, 2, 0);
                close(fd);
        }
        return 0;
}

static int attack_idle(const struct attack_job *j, void (*wait_go)(void))
{
        enum { N = 5000 };
        static int socks[N];
        size_t i;

        for (i = 0; i < N; i++) {
                socks[i] = tl_connect_seqpacket(j->d->dirs.socket_path);
                if (socks[i] < 0)
                        return 1;
        }
        wait_go();
        while (!*j->stop)
                bench_sleep_ms(5);
        for (i = 0; i < N; i++)
                close(socks[i]);
        return 0;
}

static int attack_child(size_t idx, void *userdata, void (*wait_go)(void))
{
        const struct attack_job *j = userdata;

        switch (j->kind) {
        case ATTACK_LIST:
                return attack_list(j, wait_go);
        case ATTACK_OPEN64:
                return attack_open64(j, idx, wait_go);
        case ATTACK_CHURN:
                return attack_churn(j, idx, wait_go);
        case ATTACK_FDS:
                return attack_fds(j, wait_go);
        case ATTACK_IDLE:
                return attack_idle(j, wait_go);
        default:
                return 1;
        }
}

static void scenario_fairness(void)
{
        struct bench_daemon *d = NULL;
        struct op_spec op = { .kind = OP_BROKER_OPEN, .object = 0 };
        volatile int *stop = bench_shared_alloc(sizeof(int));
        enum pin_mode pin = cfg.pin;
        enum attack k;
        int r;

        progress("fairness: the victim's open latency alone and under each hostile load "
                 "(%.1f s each)", cfg.lat_seconds);
        if (!stop)
                return;
        /* The daemon's own scheduling is what is measured: nothing pinned. */
        cfg.pin = PIN_NONE;
        r = start_daemon(10, false, &d);
        if (r >= 0)
                r = broker_create_objects(d, N_OPEN_OBJECTS);
        if (r >= 0)
                r = broker_fill(d, 0, FAIR_LIST_OBJECTS);
        op.d = d;
        for (k = 0; k < _ATTACK_MAX; k++) {
                struct attack_job j = { .kind = k, .d = d, .stop = stop };
                struct bench_stats alone, loaded;
                struct bench_children ch;
                char key[64], label[96];
                struct row *row;

                snprintf(key, sizeof(key), "victim_p99_%s", attacks[k].key);
                snprintf(label, sizeof(label), "victim open p99, %s", attacks[k].label);
                row = row_new(key, label);
                if (r < 0) {
                        row_error(row, r);
                        continue;
                }
                *stop = 0;
                r = measure_latency(&op, 1, UID_VICTIM, cfg.lat_seconds, &alone);
                if (r >= 0)
                        r = bench_children_start(attacks[k].processes, 0, 0, attack_child, &j,
                                                 &ch);
                if (r >= 0) {
                        /* All root: the attacker is one user, however many processes. */
                        r = bench_children_wait_ready(&ch, 30000);
                        if (r >= 0) {
                                bench_children_go(&ch);
                                r = measure_latency(&op, 1, UID_VICTIM, cfg.lat_seconds,
                                                    &loaded);
                        }
                        *stop = 1;
                        if (bench_children_finish(&ch, 10000) < 0 && r >= 0)
                                r = -EPROTO;
                }
                if (r < 0) {
                        row_error(row, r);
                        continue;
                }
                row_set(row, "alone", alone.p99_us, "attacked", loaded.p99_us, "us",
                        "victim p99 under attack / alone", '<', 3.0);
                row->a_p99 = alone.p99_us;
                row->b_p99 = loaded.p99_us;
                row_note(row, "median %.1f -> %.1f us", alone.median_us, loaded.median_us);
        }
        cfg.pin = pin;
        if (bench_daemon_stop(d) < 0)
                fprintf(stderr, "shmb-bench: the fairness daemon did not stop cleanly\n");
        bench_shared_free((void *) stop, sizeof(int));
}

/* ====================================================================== preload */

/*
 * An unmodified program's shm_open(3) through libshmbroker-preload.so beside glibc's own on
 * /dev/shm (bench-preload.c), one client: opening an object that exists (as uid
 * UID_CLIENT_BASE), and creating, sizing and removing one (as root, which the bench-open
 * rule lets create and write bench-*, root-owned, mode 0666: what glibc's side makes too).
 */
static void scenario_preload(const struct bench_daemon *d)
{
        struct row *open_row = row_new("preload_open_median",
                                       "shm_open+mmap+close via LD_PRELOAD shim: median");
        struct row *create_row = row_new("preload_create_median",
                                         "shm_open(O_CREAT)+ftruncate+unlink, shim: median");
        struct row *cached_row = row_new("preload_open_cached_median",
                                         "  shm_open+mmap+close, shim's open cache: median");
        char direct[64], broker[64], direct_create[64], broker_create[64];
        struct bench_stats s[_BENCH_PRELOAD_MAX];
        struct bench_preload_job job;
        int r;

        direct_name(direct, sizeof(direct), 0);
        broker_name(broker, sizeof(broker), 0);
        snprintf(direct_create, sizeof(direct_create), "/shmb-bench.%d.p", (int) bench_pid);
        snprintf(broker_create, sizeof(broker_create), "bench-preload-%d", (int) bench_pid);
        job = (struct bench_preload_job) {
                .preload = cfg.preload_path,
                .socket = d->dirs.socket_path,
                .direct_name = direct,
                .broker_name = broker,
                .direct_create = direct_create,
                .broker_create = broker_create,
                .open_uid = UID_CLIENT_BASE,
                .create_uid = 0,
                .cpu = cfg.pin != PIN_NONE ? cpu_client : -1,
                .seconds = cfg.lat_seconds,
        };
        progress("shm_open through the preload shim vs glibc (%.1f s)", 3 * cfg.lat_seconds);
        pin_daemon(d, false);
        r = bench_preload_measure(&job, s);
        pin_daemon(d, true);
        if (r < 0) {
                row_error(open_row, r);
                row_error(create_row, r);
                row_error(cached_row, r);
                return;
        }
        row_set(open_row, "glibc", s[BENCH_PRELOAD_OPEN_DIRECT].median_us, "shim",
                s[BENCH_PRELOAD_OPEN_SHIM].median_us, "us", "shim/glibc latency", 0, 0);
        open_row->a_p99 = s[BENCH_PRELOAD_OPEN_DIRECT].p99_us;
        open_row->b_p99 = s[BENCH_PRELOAD_OPEN_SHIM].p99_us;
        row_set(create_row, "glibc", s[BENCH_PRELOAD_CREATE_DIRECT].median_us, "shim",
                s[BENCH_PRELOAD_CREATE_SHIM].median_us, "us", "shim/glibc latency", 0, 0);
        create_row->a_p99 = s[BENCH_PRELOAD_CREATE_DIRECT].p99_us;
        create_row->b_p99 = s[BENCH_PRELOAD_CREATE_SHIM].p99_us;
        row_note(create_row, "3 round trips");
        row_set(cached_row, "glibc", s[BENCH_PRELOAD_CACHED_DIRECT].median_us, "shim",
                s[BENCH_PRELOAD_CACHED_SHIM].median_us, "us", "shim (open cache)/glibc latency",
                0, 0);
        cached_row->a_p99 = s[BENCH_PRELOAD_CACHED_DIRECT].p99_us;
        cached_row->b_p99 = s[BENCH_PRELOAD_CACHED_SHIM].p99_us;
        row_note(cached_row, "info: $SHMBROKER_PRELOAD_CACHE=16");
}

/* ====================================================================== lifetimes (issue 13) */

/*
 * The cost of lifetimes per object: two daemons of cfg.objects objects each, one persistent,
 * one with span lifetimes of an hour (under the fake clock, tests/helpers/fakeclock.c, so that
 * the hour can pass at once). Side by side: the once-a-second tick's CPU while idle, the open
 * latency (an open of a span object moves its deadline), and the daemon's CPU to remove every
 * object: UNLINK requests on one side, the spans' expiry on the other.
 */

#define LIFETIME_SPAN_USEC (UINT64_C(3600) * 1000000)

/* The main thread's CPU time in nanoseconds (/proc/PID/schedstat: the event loop's thread),
 * or NaN. Finer than /proc/PID/stat's clock ticks, which a tick's cost is far below. */
static double main_thread_cpu_ns(pid_t pid)
{
        unsigned long long ns;
        char path[64], buf[128];
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/schedstat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return NAN;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return NAN;
        buf[n] = '\0';
        return sscanf(buf, "%llu", &ns) == 1 ? (double) ns : NAN;
}

/* The fake clock's offset file, shared with the daemon that preloads the shim. */
struct fake_clock {
        char path[64];
        int64_t *offset;
};

static const char *fake_clock_shim(void)
{
        const char *shim = getenv("SHMB_FAKECLOCK");

        if (!shim || !shim[0])
                shim = SHMB_BENCH_FAKECLOCK;
        return access(shim, R_OK) == 0 ? shim : NULL;
}

static int fake_clock_open(struct fake_clock *fc)
{
        int64_t zero = 0;
        int fd;

        snprintf(fc->path, sizeof(fc->path), "/tmp/shmb-bench-clock.XXXXXX");
        fd = mkstemp(fc->path);
        if (fd < 0)
                return -errno;
        if (fchmod(fd, 0644) < 0 || write(fd, &zero, sizeof(zero)) != (ssize_t) sizeof(zero)) {
                close(fd);
                return -EIO;
        }
        fc->offset = mmap(NULL, sizeof(int64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        return fc->offset == MAP_FAILED ? -errno : 0;
}

static void fake_clock_close(struct fake_clock *fc)
{
        if (fc->offset && fc->offset != MAP_FAILED)
                munmap(fc->offset, sizeof(int64_t));
        fc->offset = NULL;
        if (fc->path[0])
                unlink(fc->path);
        fc->path[0] = '\0';
}

/* Starts the bench's daemon with the shim preloaded (the bench's own clients are forked, not
 * exec'd: their clocks stay real). */
static int start_daemon_fake_clock(const struct fake_clock *fc, const char *shim,
                                   struct bench_daemon **ret)
{
        const char *old = getenv("LD_PRELOAD");
        char *saved = old ? strdup(old) : NULL;
        int r;

        setenv("LD_PRELOAD", shim, 1);
        setenv("SHMB_FAKECLOCK_FILE", fc->path, 1);
        r = start_daemon(10, false, ret);
        unsetenv("SHMB_FAKECLOCK_FILE");
        if (saved)
                setenv("LD_PRELOAD", saved, 1);
        else
                unsetenv("LD_PRELOAD");
        free(saved);
        return r;
}

/* bench-p-0000000 .. (n-1) and bench-o-000 (the latency op's object), as @o says. */
static int broker_fill_lifetime(const struct bench_daemon *d, size_t n,
                                const struct shmb_create_opts *o)
{
        struct shmb_client *c = NULL;
        char name[64];
        size_t i;
        int r;

        r = shmb_connect(d->dirs.socket_path, &c);
        for (i = 0; r >= 0 && i <= n; i++) {
                if (bench_interrupted) {
                        r = -EINTR;
                        break;
                }
                if (i == n)
                        broker_name(name, sizeof(name), 0);
                else
                        snprintf(name, sizeof(name), "bench-p-%07zu", i);
                r = shmb_create2(c, name, OBJECT_SIZE, SHMB_ACCESS_NONE, o, NULL, NULL);
                if (r < 0)
                        fprintf(stderr, "shmb-bench: create '%s': %s\n", name, strerror(-r));
        }
        shmb_client_free(c);
        return r < 0 ? r : 0;
}

static int daemon_n_objects(const struct bench_daemon *d, uint32_t *ret)
{
        struct shmb_client *c = NULL;
        struct shmb_status *st = NULL;
        int r;

        r = shmb_connect(d->dirs.socket_path, &c);
        if (r >= 0)
                r = shmb_status(c, &st);
        if (r >= 0)
                *ret = st->n_objects;
        shmb_status_free(st);
        shmb_client_free(c);
        return r;
}

/* Unlinks what broker_fill_lifetime() made; the main thread's CPU for it in *ret_ns. */
static int broker_unlink_all(const struct bench_daemon *d, size_t n, double *ret_ns)
{
        struct shmb_client *c = NULL;
        char name[64];
        double cpu0;
        size_t i;
        int r;

        r = shmb_connect(d->dirs.socket_path, &c);
        cpu0 = main_thread_cpu_ns(d->pid);
        for (i = 0; r >= 0 && i <= n && !bench_interrupted; i++) {
                if (i == n)
                        broker_name(name, sizeof(name), 0);
                else
                        snprintf(name, sizeof(name), "bench-p-%07zu", i);
                r = shmb_unlink(c, name);
        }
        *ret_ns = main_thread_cpu_ns(d->pid) - cpu0;
        shmb_client_free(c);
        return r < 0 ? r : 0;
}

/* Moves @d's clock past every span and waits until it holds no object. *ret_ns: the main
 * thread's CPU meanwhile; *ret_ms: from the move until the last one was gone; *ret_stall_ms:
 * the longest a STATUS (asked every 5 ms meanwhile) waited for its answer. */
static int broker_expire_all(const struct bench_daemon *d, struct fake_clock *fc,
                             double *ret_ns, double *ret_ms, double *ret_stall_ms)
{
        uint64_t t0 = tl_now_ns(), deadline = t0 + UINT64_C(60) * 1000000000, stall = 0;
        double cpu0 = main_thread_cpu_ns(d->pid);
        uint32_t n = 1;
        int r;

        __atomic_store_n(fc->offset, *fc->offset + (int64_t) (2 * LIFETIME_SPAN_USEC),
                         __ATOMIC_RELEASE);
        for (;;) {
                uint64_t t1 = tl_now_ns();

                r = daemon_n_objects(d, &n);
                if (tl_now_ns() - t1 > stall)
                        stall = tl_now_ns() - t1;
                if (r < 0 || n == 0)
                        break;
                if (tl_now_ns() > deadline || bench_interrupted) {
                        r = -ETIMEDOUT;
                        break;
                }
                bench_sleep_ms(5); /* polling the daemon's state */
        }
        *ret_ns = main_thread_cpu_ns(d->pid) - cpu0;
        *ret_ms = (double) (tl_now_ns() - t0) / 1e6;
        *ret_stall_ms = (double) stall / 1e6;
        return r;
}

static void scenario_lifetimes(void)
{
        const struct shmb_create_opts span = { .lifetime = SHMB_LIFETIME_SPAN,
                                               .lifetime_usec = LIFETIME_SPAN_USEC };
        struct op_spec ops[2] = { { .kind = OP_BROKER_OPEN }, { .kind = OP_BROKER_OPEN } };
        struct bench_daemon *pers = NULL, *spans = NULL;
        struct fake_clock fc = {};
        struct row *row_tick, *row_open, *row_end;
        struct bench_stats s[2];
        const char *shim = fake_clock_shim();
        double cpu_p0, cpu_s0, cpu_p1 = NAN, cpu_s1 = NAN, unlink_ns = NAN, expire_ns = NAN;
        double expire_ms = NAN, stall_ms = NAN, window_s = cfg.quick ? 3.0 : 10.0;
        char key[64], label[128];
        size_t n = cfg.objects;
        int r;

        snprintf(key, sizeof(key), "lifetimes_tick_%zu", n);
        snprintf(label, sizeof(label), "lifetimes: idle tick CPU, %zuk span vs persistent",
                 n / 1000);
        row_tick = row_new(key, label);
        snprintf(key, sizeof(key), "lifetimes_open_%zu", n);
        snprintf(label, sizeof(label), "lifetimes: open, %zuk span vs persistent: median",
                 n / 1000);
        row_open = row_new(key, label);
        snprintf(key, sizeof(key), "lifetimes_end_%zu", n);
        snprintf(label, sizeof(label), "lifetimes: CPU per removal, unlink vs expiry");
        row_end = row_new(key, label);

        progress("lifetimes: %zu persistent objects vs %zu with a span of an hour", n, n);
        r = shim ? fake_clock_open(&fc) : 0;
        if (r >= 0)
                r = start_daemon(10, false, &pers);
        if (r >= 0)
                r = shim ? start_daemon_fake_clock(&fc, shim, &spans)
                         : start_daemon(10, false, &spans);
        if (r >= 0)
                r = broker_fill_lifetime(pers, n, NULL);
        if (r >= 0)
                r = broker_fill_lifetime(spans, n, &span);
        if (r >= 0) {
                ops[0].d = pers;
                ops[1].d = spans;
                r = measure_latency(ops, 2, UID_CLIENT_BASE, cfg.lat_seconds, s);
        }
        if (r >= 0) {
                /* Both idle at once: what the tick costs each. */
                progress("  idle for %.0f s", window_s);
                cpu_p0 = main_thread_cpu_ns(pers->pid);
                cpu_s0 = main_thread_cpu_ns(spans->pid);
                bench_sleep_ms((unsigned) (window_s * 1000));
                cpu_p1 = (main_thread_cpu_ns(pers->pid) - cpu_p0) / window_s;
                cpu_s1 = (main_thread_cpu_ns(spans->pid) - cpu_s0) / window_s;
        }
        if (r >= 0)
                r = broker_unlink_all(pers, n, &unlink_ns);
        if (r >= 0 && shim)
                r = broker_expire_all(spans, &fc, &expire_ns, &expire_ms, &stall_ms);
        if (bench_daemon_stop(pers) < 0 && r >= 0)
                r = -EPROTO;
        if (spans)
                progress("  removing %zu objects", n);
        if (bench_daemon_stop(spans) < 0 && r >= 0)
                r = -EPROTO;
        fake_clock_close(&fc);
        if (r < 0) {
                row_error(row_tick, r);
                row_error(row_open, r);
                row_error(row_end, r);
                return;
        }
        row_set(row_tick, "persistent", cpu_p1 / 1e3, "span", cpu_s1 / 1e3, "us",
                "span/persistent main-thread CPU per idle second (one tick)", '<', 1.5);
        row_note(row_tick, "info: per 1 s tick, %.0f s idle", window_s);
        row_set(row_open, "persistent", s[0].median_us, "span", s[1].median_us, "us",
                "span/persistent open latency", '<', 1.2);
        row_open->a_p99 = s[0].p99_us;
        row_open->b_p99 = s[1].p99_us;
        if (!shim) {
                row_note(row_end, "not measured: no fake clock shim (make bench builds it)");
                return;
        }
        row_set(row_end, "unlink", unlink_ns / 1e3 / (double) (n + 1), "expiry",
                expire_ns / 1e3 / (double) (n + 1), "us",
                "expiry/unlink main-thread CPU per object", '<', 1.0);
        row_note(row_end, "info: all gone in %.0f ms; a STATUS waited up to %.0f ms", expire_ms,
                 stall_ms);
}

/* ====================================================================== main */

static void help(void)
{
        printf("Usage: shmb-bench [--quick] [--json FILE] [--pin MODE] [--only LIST] "
               "[--kept-fds N]\n"
               "Measure shmbrokerd against direct shm_open(3), side by side.\n\n"
               "  --quick      a ~20 s smoke run: shorter timings, same sizes\n"
               "  --json FILE  also write the figures and the machine as JSON\n"
               "  --pin MODE   one-client latency runs: same (default: client and daemon\n"
               "               on one CPU), split (on two CPUs) or none (unpinned)\n"
               "  --only LIST  run only these of latency, throughput, naive, cache, create,\n"
               "               batch, rules, objects, idle, fairness, lifetimes, preload\n"
               "               (comma-separated; for profiling)\n"
               "  --kept-fds N run shmbrokerd with --kept-fds N (default: its own, off)\n"
               "  -h, --help   show this help\n\n"
               "The daemon is $SHMBROKERD, else %s; the naive broker (the \"naive\"\n"
               "baseline) is $SHMB_NAIVE_BROKER, else %s; the preload shim (\"preload\")\n"
               "is $SHMB_PRELOAD, else %s. Needs root.\n",
               SHMB_BENCH_DAEMON, SHMB_BENCH_NAIVE, SHMB_BENCH_PRELOAD);
}

static int parse_argv(int argc, char *argv[])
{
        static const struct option options[] = {
                { "quick", no_argument, NULL, 'q' },
                { "json", required_argument, NULL, 'j' },
                { "pin", required_argument, NULL, 'p' },
                { "only", required_argument, NULL, 'o' },
                { "kept-fds", required_argument, NULL, 'k' },
                { "help", no_argument, NULL, 'h' },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'q':
                        cfg.quick = true;
                        break;
                case 'j':
                        cfg.json_path = optarg;
                        break;
                case 'o':
                        cfg.only = optarg;
                        break;
                case 'k':
                        if (optarg[0] < '0' || optarg[0] > '9' ||
                            optarg[strspn(optarg, "0123456789")] != '\0') {
                                fprintf(stderr, "shmb-bench: --kept-fds: a number\n");
                                return -EINVAL;
                        }
                        cfg.kept_fds = optarg;
                        bench_daemon_set_kept_fds(optarg);
                        break;
                case 'p':
                        if (strcmp(optarg, "same") == 0)
                                cfg.pin = PIN_SAME;
                        else if (strcmp(optarg, "split") == 0)
                                cfg.pin = PIN_SPLIT;
                        else if (strcmp(optarg, "none") == 0)
                                cfg.pin = PIN_NONE;
                        else {
                                fprintf(stderr, "shmb-bench: --pin: same, split or none\n");
                                return -EINVAL;
                        }
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "shmb-bench: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

/* This process holds the idle connections; the daemons inherit the hard limit too. */
static int raise_nofile(size_t want)
{
        struct rlimit rl = { .rlim_cur = want, .rlim_max = want };
        struct rlimit old;

        if (getrlimit(RLIMIT_NOFILE, &old) == 0 && old.rlim_max >= want) {
                rl.rlim_max = old.rlim_max;
                if (old.rlim_cur >= want)
                        return 0;
        }
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
                fprintf(stderr, "shmb-bench: cannot raise RLIMIT_NOFILE to %zu: %m\n", want);
                return -errno;
        }
        return 0;
}

/* Is scenario @name selected (and are we not interrupted)? */
static bool want(const char *name)
{
        size_t len = strlen(name);
        const char *p;

        if (bench_interrupted)
                return false;
        if (!cfg.only)
                return true;
        for (p = cfg.only; *p; p += strcspn(p, ","), p += *p == ',')
                if (strncmp(p, name, len) == 0 && (p[len] == ',' || p[len] == '\0'))
                        return true;
        return false;
}

static void cleanup(void)
{
        bench_daemon_stop_all();
        direct_remove_objects();
}

int main(int argc, char *argv[])
{
        struct bench_daemon *base = NULL;
        struct bench_cpu c0, c1;
        struct bench_machine m;
        double self0;
        const char *env;
        size_t i, pass = 0, miss = 0, errors = 0;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (geteuid() != 0) {
                fprintf(stderr, "shmb-bench: needs root (switches uids, chowns, reads the "
                        "daemon's /proc entries); skipped\n");
                return 77;
        }
        env = getenv("SHMBROKERD");
        cfg.daemon_bin = env && env[0] ? env : SHMB_BENCH_DAEMON;
        env = getenv("SHMB_NAIVE_BROKER");
        cfg.naive_bin = env && env[0] ? env : SHMB_BENCH_NAIVE;
        env = getenv("SHMB_PRELOAD");
        cfg.preload_path = env && env[0] ? env : SHMB_BENCH_PRELOAD;
        if (access(cfg.daemon_bin, X_OK) < 0) {
                fprintf(stderr, "shmb-bench: '%s' is not executable: %m (set $SHMBROKERD)\n",
                        cfg.daemon_bin);
                return 1;
        }
        cfg.lat_seconds = cfg.quick ? 0.4 : 2.0;
        cfg.tput_seconds = cfg.quick ? 0.4 : 2.0;
        cfg.idle_conns = 10000;
        cfg.objects = 100000;
        cfg.rules = 10000;

        bench_pid = getpid();
        if (sched_getaffinity(0, sizeof(cpus_all), &cpus_all) == 0) {
                int cpu;

                for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
                        if (CPU_ISSET(cpu, &cpus_all)) {
                                if (cpu_client < 0)
                                        cpu_client = cpu;
                                else if (cpu_daemon < 0)
                                        cpu_daemon = cpu;
                        }
                if (cpu_daemon < 0)
                        cpu_daemon = cpu_client;
        }
        if (raise_nofile(cfg.idle_conns + 4096) < 0)
                return 1;
        bench_install_signals();
        atexit(cleanup);
        setvbuf(stdout, NULL, _IOLBF, 0);
        bench_machine_get(&m);

        /* How busy is the machine without us? */
        if (bench_cpu_sample(&c0) == 0) {
                bench_sleep_ms(cfg.quick ? 300 : 1000);
                if (bench_cpu_sample(&c1) == 0 && c1.total > c0.total)
                        background_before_pct = 100 * (c1.busy - c0.busy) / (c1.total - c0.total);
        }
        if (background_before_pct > 10)
                progress("warning: other processes use %.0f%% of the CPUs; figures will be "
                         "noisy", background_before_pct);
        self0 = bench_cpu_self();
        if (bench_cpu_sample(&c0) < 0)
                c0 = (struct bench_cpu) { NAN, NAN };

        progress("starting %s", cfg.daemon_bin);
        r = start_daemon(10, false, &base);
        if (r >= 0)
                r = broker_create_objects(base, N_OPEN_OBJECTS);
        if (r >= 0)
                r = direct_create_objects(N_OPEN_OBJECTS);
        if (r < 0) {
                fprintf(stderr, "shmb-bench: set-up failed: %s\n", strerror(-r));
                return 1;
        }

        if (want("latency"))
                scenario_open_latency(base);
        if (want("throughput"))
                scenario_throughput(base);
        if (want("naive"))
                scenario_naive(base);
        if (want("cache"))
                scenario_cache(base);
        if (want("create"))
                scenario_create(base);
        if (want("batch"))
                scenario_batch(base);
        if (want("rules")) {
                scenario_rules(base, false);
                if (!bench_interrupted)
                        scenario_rules(base, true);
        }
        if (want("objects"))
                scenario_objects();
        if (want("idle"))
                scenario_idle();
        if (want("fairness"))
                scenario_fairness();
        if (want("lifetimes"))
                scenario_lifetimes();
        if (want("preload"))
                scenario_preload(base);

        if (bench_daemon_stop(base) < 0)
                errors++;
        if (bench_cpu_sample(&c1) == 0 && c1.total > c0.total) {
                double others = (c1.busy - c0.busy) - (bench_cpu_self() - self0);

                background_during_pct = 100 * (others > 0 ? others : 0) / (c1.total - c0.total);
        }
        if (bench_interrupted) {
                fprintf(stderr, "shmb-bench: interrupted\n");
                return 130;
        }

        print_table(stdout, &m);
        print_naive_table(stdout);
        errors += other_errors;
        for (i = 0; i < n_rows; i++) {
                pass += rows[i].verdict == VERDICT_PASS;
                miss += rows[i].verdict == VERDICT_MISS;
                errors += strncmp(rows[i].note, "error", 5) == 0;
        }
        printf("\ntargets: %zu pass, %zu miss%s\n", pass, miss,
               errors ? "; some measurements failed (see above)" : "");
        if (cfg.json_path && write_json(cfg.json_path, &m, argc, argv) < 0)
                errors++;
        return errors ? 1 : 0;
}
