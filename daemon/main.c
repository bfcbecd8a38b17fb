/* SPDX-License-Identifier: MIT */
/*
 * main.c - shmbrokerd: options, set-up, the loop, signals. The logic lives in libshmbd.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "audit.h"
#include "broker.h"
#include "clock.h"
#include "conn.h"
#include "fdstore.h"
#include "limits.h"
#include "listener.h"
#include "log.h"
#include "macro.h"
#include "policy.h"
#include "privs.h"
#include "server.h"
#include "shm.h"

#define DEFAULT_SOCKET "/run/shmbroker/socket"
#define DEFAULT_SHM_DIR "/dev/shm"

static const char *arg_socket = DEFAULT_SOCKET;
static const char *arg_policy = NULL;
static const char *arg_shm_dir = DEFAULT_SHM_DIR;
static const char *arg_user = NULL;
static uint64_t arg_idle_timeout_usec = LIMIT_IDLE_TIMEOUT_USEC;

static void help(void)
{
        printf("Usage: shmbrokerd [OPTIONS]\n"
               "Broker named shared memory with access control.\n\n"
               "  --socket PATH            listen here (default %s;\n"
               "                           ignored under socket activation)\n"
               "  --policy PATH            a policy file or a directory of *.conf files\n"
               "                           (default %s, else the embedded default)\n"
               "  --shm-dir DIR            where shm objects live (default %s; must be tmpfs)\n"
               "  --user NAME              when started as root, run as this user with only\n"
               "                           the capabilities it needs\n"
               "  --idle-timeout SEC       close connections idle for this long (default 300)\n"
               "  --log-level LEVEL        err, warning, notice, info (default) or debug\n"
               "  --print-default-policy   print the embedded default policy and exit\n"
               "  --check-policy           load the policy, report errors, and exit\n"
               "  -h, --help               show this help\n"
               "      --version            show the version\n\n"
               "See shmbrokerd(8) and shmbroker.conf(5).\n",
               DEFAULT_SOCKET, POLICY_DEFAULT_DIR, DEFAULT_SHM_DIR);
}

enum {
        ARG_SOCKET = 0x100,
        ARG_POLICY,
        ARG_SHM_DIR,
        ARG_USER,
        ARG_IDLE_TIMEOUT,
        ARG_LOG_LEVEL,
        ARG_PRINT_DEFAULT_POLICY,
        ARG_CHECK_POLICY,
        ARG_VERSION,
};

/* Returns 1 to go on, 0 to exit successfully, <0 on a usage error. */
static int parse_argv(int argc, char *argv[], bool *ret_check_only)
{
        static const struct option options[] = {
                { "socket", required_argument, NULL, ARG_SOCKET },
                { "policy", required_argument, NULL, ARG_POLICY },
                { "shm-dir", required_argument, NULL, ARG_SHM_DIR },
                { "user", required_argument, NULL, ARG_USER },
                { "idle-timeout", required_argument, NULL, ARG_IDLE_TIMEOUT },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "print-default-policy", no_argument, NULL, ARG_PRINT_DEFAULT_POLICY },
                { "check-policy", no_argument, NULL, ARG_CHECK_POLICY },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {}
        };
        int c, level;

        *ret_check_only = false;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                switch (c) {
                case ARG_SOCKET:
                        arg_socket = optarg;
                        break;
                case ARG_POLICY:
                        arg_policy = optarg;
                        break;
                case ARG_SHM_DIR:
                        arg_shm_dir = optarg;
                        break;
                case ARG_USER:
                        arg_user = optarg;
                        break;
                case ARG_IDLE_TIMEOUT: {
                        char *end;
                        unsigned long v;

                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || v == 0 || v > 86400 * 365 ||
                            optarg[0] == '-')
                                return log_error_errno(-EINVAL, "Invalid --idle-timeout '%s' "
                                                       "(seconds, 1 or more).", optarg);
                        arg_idle_timeout_usec = (uint64_t) v * 1000000u;
                        break;
                }
                case ARG_LOG_LEVEL:
                        level = log_parse_level(optarg);
                        if (level < 0)
                                return log_error_errno(level, "Unknown log level '%s'.", optarg);
                        log_set_max_level(level);
                        break;
                case ARG_PRINT_DEFAULT_POLICY:
                        fputs(policy_default_text, stdout);
                        return 0;
                case ARG_CHECK_POLICY:
                        *ret_check_only = true;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        puts(PACKAGE_STRING);
                        return 0;
                default:
                        return -EINVAL;
                }
        }
        if (optind < argc)
                return log_error_errno(-EINVAL, "Unexpected argument '%s'.", argv[optind]);
        return 1;
}

/*
 * The policy: --policy if given; else the default directory if it holds *.conf files; else
 * the embedded default. Every error and warning is logged with its file and line; an error
 * refuses the whole policy.
 */
static int load_policy(struct policy **ret, const char **ret_origin, char **ret_error)
{
        struct policy_diags diags = {};
        struct policy *p = NULL;
        const char *origin = NULL;
        size_t i;
        int r;

        r = policy_load_configured(arg_policy, &diags, &p, &origin);
        for (i = 0; i < diags.n; i++) {
                _cleanup_(freep) char *line = policy_diag_format(&diags.items[i]);

                if (line)
                        log_full_errno((int) diags.items[i].level, 0, "%s", line);
        }
        if (diags.n_dropped > 0)
                log_warning("... and %zu more policy diagnostics.", diags.n_dropped);
        if (r == -EINVAL) {
                log_error("Policy refused: %zu error(s), %zu warning(s).", diags.n_errors,
                          diags.n_warnings);
                if (ret_error) {
                        /* The first error, for the service manager's status line. */
                        for (i = 0; i < diags.n && !*ret_error; i++)
                                if (diags.items[i].level == POLICY_DIAG_ERROR)
                                        *ret_error = policy_diag_format(&diags.items[i]);
                }
                policy_diags_clear(&diags);
                return r;
        }
        policy_diags_clear(&diags);
        if (r < 0)
                return log_error_errno(r, "Cannot read policy '%s': %m",
                                       arg_policy ? arg_policy : POLICY_DEFAULT_DIR);
        *ret = p;
        *ret_origin = origin;
        return 0;
}

static void status_notify(const struct server *s, const char *state)
{
        (void) sd_notifyf(false, "%sSTATUS=%zu connections, %zu memfd objects, %zu rules", state,
                          s->n_conns, memfd_count(s->broker->memfds),
                          s->broker->policy->n_rules);
}

static void reload(struct server *s)
{
        _cleanup_(freep) char *error = NULL;
        struct policy *p;
        const char *origin;
        int r;

        /* systemd 253+ wants the monotonic time with RELOADING=1 to match the reload up. */
        (void) sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, now_usec());
        r = load_policy(&p, &origin, &error);
        if (r < 0) {
                log_warning("Reload failed, keeping the current policy.");
                (void) sd_notifyf(false, "READY=1\nSTATUS=Reload failed, keeping the current "
                                  "policy: %s", error ? error : strerror(-r));
                return;
        }
        broker_set_policy(s->broker, p);
        log_info("Policy reloaded from %s: %zu rules.", origin, p->n_rules);
        status_notify(s, "READY=1\n");
}

struct signal_ctx {
        struct server *server;
        int fd;
};

static void signal_dispatch(struct loop_source *source, uint32_t events, void *userdata)
{
        struct signal_ctx *sc = userdata;
        struct signalfd_siginfo si;

        while (read(sc->fd, &si, sizeof(si)) == (ssize_t) sizeof(si)) {
                switch (si.ssi_signo) {
                case SIGHUP:
                        reload(sc->server);
                        break;
                case SIGTERM:
                case SIGINT:
                        log_info("Received %s, exiting.", strsignal((int) si.ssi_signo));
                        loop_exit(sc->server->loop);
                        break;
                default:
                        break;
                }
        }
}

static void strv_free(char **v)
{
        char **p;

        for (p = v; p && *p; p++)
                free(*p);
        free(v);
}

/*
 * Fds from the service manager: listening sockets, and memfd objects coming back from the fd
 * store. Returns the number of sockets taken, or -errno.
 */
static int take_passed_fds(struct server *s)
{
        _cleanup_(freep) int *ours = NULL;
        _cleanup_(freep) char **our_names = NULL;
        char **names = NULL;
        size_t n_ours = 0;
        int n, i, r, sockets = 0;

        n = sd_listen_fds_with_names(true, &names);
        if (n < 0)
                return log_error_errno(n, "Cannot take fds from the service manager: %m");
        if (n == 0)
                return 0;
        ours = calloc((size_t) n, sizeof(int));
        our_names = calloc((size_t) n, sizeof(char *));
        if (!ours || !our_names) {
                r = log_error_errno(-ENOMEM, "Out of memory.");
                goto out;
        }
        for (i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;

                if (fdstore_is_ours(names[i])) {
                        ours[n_ours] = fd;
                        our_names[n_ours++] = names[i];
                        continue;
                }
                if (sd_is_socket(fd, AF_UNIX, SOCK_SEQPACKET, 1) <= 0) {
                        r = log_error_errno(-EINVAL, "Passed fd %d ('%s') is not a listening "
                                            "AF_UNIX SOCK_SEQPACKET socket.", fd, names[i]);
                        goto out;
                }
                r = listener_add(s, fd, NULL);
                if (r < 0) {
                        log_error_errno(r, "Cannot listen on passed fd %d: %m", fd);
                        goto out;
                }
                sockets++;
        }
        if (n_ours > 0) {
                r = fdstore_adopt(s->broker, ours, our_names, n_ours);
                log_info("Re-adopted %d memfd object(s) from the fd store.", r);
        }
        r = sockets;
out:
        strv_free(names);
        return r;
}

/*
 * systemd 254+ says how many fds its store keeps for us ($FDSTORE). Each memfd object takes two
 * entries; an object that did not fit would be lost at the next restart, so a create past that
 * gets ENOSPC instead. Older managers do not say: FileDescriptorStoreMax= must then be sized by
 * hand (shmbrokerd(8)).
 */
static void limit_memfd_objects(struct server *s)
{
        const char *e = getenv("FDSTORE");
        unsigned long n;
        char *end;

        if (!e || !getenv("NOTIFY_SOCKET"))
                return;
        errno = 0;
        n = strtoul(e, &end, 10);
        if (errno != 0 || *end || end == e)
                return;
        memfd_set_max(s->broker->memfds, n / 2);
        log_info("The fd store keeps %lu fds: at most %lu memfd objects.", n, n / 2);
}

/* Sockets from the service manager, or our own on --socket. */
static int setup_listeners(struct server *s)
{
        int n, r, fd;

        limit_memfd_objects(s);
        n = take_passed_fds(s);
        if (n < 0)
                return n;
        if (n > 0) {
                log_info("Listening on %d socket(s) from the service manager.", n);
                return 0;
        }

        r = listener_bind(arg_socket, &fd);
        if (r == -EADDRINUSE)
                return log_error_errno(r, "Another instance listens on '%s'.", arg_socket);
        if (r == -EEXIST)
                return log_error_errno(r, "'%s' exists and is not a stale socket, refusing "
                                       "to replace it.", arg_socket);
        if (r < 0)
                return log_error_errno(r, "Cannot listen on '%s': %m", arg_socket);
        r = listener_add(s, fd, arg_socket);
        if (r < 0)
                return log_error_errno(r, "Cannot listen on '%s': %m", arg_socket);
        log_info("Listening on '%s'.", arg_socket);
        return 0;
}

/* Ensures the default socket's directory exists; a path given by hand is the caller's. */
static void make_socket_dir(void)
{
        if (strcmp(arg_socket, DEFAULT_SOCKET) == 0 && mkdir("/run/shmbroker", 0755) < 0 &&
            errno != EEXIST)
                log_warning_errno(-errno, "Cannot create /run/shmbroker, ignoring: %m");
}

/*
 * dbus's lesson (CVE-2014-7824): a daemon that holds fds for others must not sit at the
 * select()-era soft limit of 1024.
 */
static void raise_nofile(void)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
                return;
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                log_warning_errno(-errno, "Cannot raise RLIMIT_NOFILE, ignoring: %m");
}

static int read_id_file(const char *path, unsigned long *ret)
{
        _cleanup_(fclosep) FILE *f = fopen(path, "re");

        if (!f)
                return -errno;
        return fscanf(f, "%lu", ret) == 1 ? 0 : -EIO;
}

/*
 * SO_PEERCRED translates ids into the receiver's user namespace. Inside one (PrivateUsers=,
 * unshare --user), every peer whose ids are not mapped looks like the overflow uid: the policy
 * could not tell them apart. Such peers are refused (listener.c); say so loudly at start.
 */
static void detect_userns(struct server *s)
{
        _cleanup_(fclosep) FILE *f = NULL;
        unsigned long inside, outside, count, v;

        f = fopen("/proc/self/uid_map", "re");
        if (!f)
                return;
        if (fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3 && inside == 0 &&
            outside == 0 && count == 4294967295UL)
                return; /* the initial namespace */

        s->in_userns = true;
        s->overflow_uid = read_id_file("/proc/sys/kernel/overflowuid", &v) >= 0 ? (uid_t) v : 65534;
        s->overflow_gid = read_id_file("/proc/sys/kernel/overflowgid", &v) >= 0 ? (gid_t) v : 65534;
        log_warning("Running in a user namespace: clients whose ids are not mapped into it look "
                    "like uid %u and will be refused.", (unsigned) s->overflow_uid);
}

static int run(void)
{
        _cleanup_(closep) int sig_fd = -1, shm_fd = -1;
        struct loop_source *sig_source = NULL;
        struct signal_ctx sc;
        struct server s;
        struct broker *b;
        struct policy *p;
        const char *origin;
        sigset_t mask;
        int r;

        r = load_policy(&p, &origin, NULL);
        if (r < 0)
                return r;
        log_info("Policy loaded from %s: %zu rules.", origin, p->n_rules);

        r = shm_dir_open(arg_shm_dir, &shm_fd);
        if (r == -ENOTSUP)
                r = log_error_errno(r, "'%s' is not a tmpfs directory.", arg_shm_dir);
        else if (r == -EROFS)
                r = log_error_errno(r, "'%s' is on a read-only mount.", arg_shm_dir);
        else if (r < 0)
                r = log_error_errno(r, "Cannot open object directory '%s': %m", arg_shm_dir);
        if (r < 0) {
                policy_free(p);
                return r;
        }
        r = broker_new(p, TAKE_FD(shm_fd), &b);
        if (r < 0)
                return log_error_errno(r, "Cannot set up: %m");
        r = broker_adopt_shm(b);
        if (r < 0)
                log_warning_errno(r, "Cannot scan '%s', ignoring: %m", arg_shm_dir);
        else if (r > 0)
                log_info("Re-adopted %d object(s) in '%s'.", r, arg_shm_dir);
        r = server_init(&s, b);
        if (r < 0) {
                broker_free(b);
                return log_error_errno(r, "Cannot set up: %m");
        }
        detect_userns(&s);

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
                r = log_error_errno(-errno, "Cannot block signals: %m");
                goto out;
        }
        sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sig_fd < 0) {
                r = log_error_errno(-errno, "Cannot create signalfd: %m");
                goto out;
        }
        sc = (struct signal_ctx) { .server = &s, .fd = sig_fd };
        r = loop_add(s.loop, sig_fd, EPOLLIN, signal_dispatch, &sc, &sig_source);
        if (r < 0) {
                log_error_errno(r, "Cannot watch signals: %m");
                goto out;
        }

        make_socket_dir();
        r = setup_listeners(&s);
        if (r < 0)
                goto out;

        /* Everything that needs root is open now: the socket, the object directory. */
        if (arg_user) {
                r = privs_drop(arg_user);
                if (r == -ESRCH)
                        log_error("No such user '%s'.", arg_user);
                else if (r < 0)
                        log_error_errno(r, "Cannot drop privileges to '%s': %m", arg_user);
                if (r < 0)
                        goto out;
                log_info("Running as '%s' with CAP_CHOWN, CAP_FOWNER, CAP_DAC_OVERRIDE.",
                         arg_user);
        }

        s.idle_timeout_usec = arg_idle_timeout_usec;
        if (sd_watchdog_enabled(false, &s.watchdog_usec) <= 0)
                s.watchdog_usec = 0;
        r = server_start_ticker(&s);
        if (r < 0) {
                log_error_errno(r, "Cannot start the timer: %m");
                goto out;
        }

        status_notify(&s, "READY=1\n");
        while (!loop_exiting(s.loop)) {
                r = loop_run_once(s.loop, -1);
                if (r < 0) {
                        log_error_errno(r, "Event loop failed: %m");
                        goto out;
                }
        }
        r = 0;
        (void) sd_notify(false, "STOPPING=1");

        /* Stop accepting; deliver the replies already computed (bounded: a client that does
         * not read them is not worth waiting for), then close everything. */
        listener_free_all(&s);
        conn_stop_reading_all(&s);
        for (int i = 0; i < 10 && conn_any_pending(&s); i++)
                if (loop_run_once(s.loop, 100) < 0)
                        break;
out:
        loop_remove(sig_source);
        server_deinit(&s);
        return r;
}

int main(int argc, char *argv[])
{
        bool check_only;
        int r;

        r = parse_argv(argc, argv, &check_only);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        if (check_only) {
                /* Every diagnostic, compiler-style; the <N> log prefixes only where a journal
                 * may read them, not on a terminal. Warnings alone still pass. */
                bool tty = isatty(STDERR_FILENO);
                struct policy_diags diags = {};
                struct policy *p = NULL;
                const char *origin = NULL;
                size_t i;

                r = policy_load_configured(arg_policy, &diags, &p, &origin);
                for (i = 0; i < diags.n; i++) {
                        _cleanup_(freep) char *line = policy_diag_format(&diags.items[i]);

                        if (!line)
                                continue;
                        if (tty)
                                fprintf(stderr, "%s\n", line);
                        else
                                fprintf(stderr, "<%d>%s\n", (int) diags.items[i].level, line);
                }
                if (diags.n_dropped > 0)
                        fprintf(stderr, "%s... and %zu more\n", tty ? "" : "<4>",
                                diags.n_dropped);
                if (r == -EINVAL)
                        fprintf(stderr, "%s%s: %zu error(s), %zu warning(s)\n", tty ? "" : "<3>",
                                arg_policy ? arg_policy : POLICY_DEFAULT_DIR, diags.n_errors,
                                diags.n_warnings);
                else if (r < 0)
                        fprintf(stderr, "%sCannot read policy '%s': %s\n", tty ? "" : "<3>",
                                arg_policy ? arg_policy : POLICY_DEFAULT_DIR, strerror(-r));
                else if (diags.n_warnings > 0)
                        printf("%s: %zu rules, %zu warning(s), OK\n", origin, p->n_rules,
                               diags.n_warnings);
                else
                        printf("%s: %zu rules, OK\n", origin, p->n_rules);
                policy_diags_clear(&diags);
                policy_free(p);
                return r < 0 ? 1 : 0;
        }

        /* Objects get exactly the policy's mode through fchmod/ACLs; anything else the
         * daemon creates is private. */
        umask(0077);
        audit_init();
        /* A client that hangs up must cost it an EPIPE, never the daemon a SIGPIPE. */
        (void) signal(SIGPIPE, SIG_IGN);
        raise_nofile();

        return run() < 0 ? 1 : 0;
}
