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

#include <pwd.h>

#include "audit.h"
#include "backend.h"
#include "broker.h"
#include "clock.h"
#include "worker.h"
#include "conn.h"
#include "creators.h"
#include "fdstore.h"
#include "genpage.h"
#include "limits.h"
#include "listener.h"
#include "log.h"
#include "macro.h"
#include "mkdir.h"
#include "policy.h"
#include "policy-store.h"
#include "privs.h"
#include "registry.h"
#include "resolver.h"
#include "restore.h"
#include "server.h"
#include "appsock.h"
#include "shm.h"
#include "statedir.h"

#define DEFAULT_SOCKET "/run/shmbroker/socket"
#define DEFAULT_SHM_DIR "/dev/shm"

static const char *arg_socket = DEFAULT_SOCKET;
static const char *arg_policy = NULL;
static const char *arg_shm_dir = DEFAULT_SHM_DIR;
static const char *arg_user = NULL;
static const char *arg_state_dir = STATE_DIR_DEFAULT;
static const char *arg_app_dir = NULL;   /* NULL: "apps" beside --socket */

/* The last good policy in the service manager's fd store (policy-store.h). */
static struct policy_store kept_policy;
/* Why the daemon runs on another policy than the one on disk, for STATUS=; NULL when it
 * does not. */
static char *running_on_kept;
static uint64_t arg_idle_timeout_usec = LIMIT_IDLE_TIMEOUT_USEC;
static long arg_kept_fds = -1;  /* -1: the default, none (server.c) */
/* The fd store's size where the service manager does not say ($FDSTORE, systemd 254+): the
 * unit's FileDescriptorStoreMax=. */
static unsigned long arg_fdstore_max = FDSTORE_MAX_DEFAULT;

static void help(void)
{
        printf("Usage: shmbrokerd [OPTIONS]\n"
               "Broker named shared memory with access control.\n\n"
               "  --socket PATH            listen here (default %s;\n"
               "                           ignored under socket activation)\n"
               "  --policy PATH            a policy file or a directory of *.conf files\n"
               "                           (default %s, else the embedded default)\n"
               "  --shm-dir DIR            where shm objects live (default %s; must be tmpfs)\n"
               "  --state-dir DIR          the registry of objects (default %s; 0700, the\n"
               "                           daemon's own)\n"
               "  --app-dir DIR            where app sockets are made (default: apps beside\n"
               "                           the socket, %s; 0711, the daemon's own)\n"
               "  --user NAME              when started as root, run as this user with only\n"
               "                           the capabilities it needs\n"
               "  --idle-timeout SEC       close connections idle for this long (default 300)\n"
               "  --kept-fds N             keep at most N fds open for connections' next opens\n"
               "                           of the same objects (default 0: none; see\n"
               "                           shmbrokerd(8) before; at most %d)\n"
               "  --fdstore-max N          the service manager's fd store keeps N fds, where it\n"
               "                           does not say ($FDSTORE; default %d)\n"
               "  --log-level LEVEL        err, warning, notice, info (default) or debug\n"
               "  --print-default-policy   print the embedded default policy and exit\n"
               "  --check-policy           load the policy, report errors, and exit\n"
               "  -h, --help               show this help\n"
               "      --version            show the version\n\n"
               "See shmbrokerd(8) and shmbroker.conf(5).\n",
               DEFAULT_SOCKET, POLICY_DEFAULT_DIR, DEFAULT_SHM_DIR, STATE_DIR_DEFAULT,
               APPSOCK_DIR_DEFAULT, LIMIT_KEPT_FDS_MAX, FDSTORE_MAX_DEFAULT);
}

enum {
        ARG_SOCKET = 0x100,
        ARG_POLICY,
        ARG_SHM_DIR,
        ARG_STATE_DIR,
        ARG_APP_DIR,
        ARG_USER,
        ARG_IDLE_TIMEOUT,
        ARG_KEPT_FDS,
        ARG_FDSTORE_MAX,
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
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "app-dir", required_argument, NULL, ARG_APP_DIR },
                { "user", required_argument, NULL, ARG_USER },
                { "idle-timeout", required_argument, NULL, ARG_IDLE_TIMEOUT },
                { "kept-fds", required_argument, NULL, ARG_KEPT_FDS },
                { "fdstore-max", required_argument, NULL, ARG_FDSTORE_MAX },
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
                case ARG_STATE_DIR:
                        arg_state_dir = optarg;
                        break;
                case ARG_APP_DIR:
                        arg_app_dir = optarg;
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
                case ARG_KEPT_FDS: {
                        char *end;
                        unsigned long v;

                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || v > LIMIT_KEPT_FDS_MAX ||
                            optarg[0] == '-')
                                return log_error_errno(-EINVAL, "Invalid --kept-fds '%s' (0 to "
                                                       "%d).", optarg, LIMIT_KEPT_FDS_MAX);
                        arg_kept_fds = (long) v;
                        break;
                }
                case ARG_FDSTORE_MAX: {
                        char *end;
                        unsigned long v;

                        errno = 0;
                        v = strtoul(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end || v < 1 ||
                            v > LIMIT_MEMFD_OBJECTS + 2 || optarg[0] == '-')
                                return log_error_errno(-EINVAL, "Invalid --fdstore-max '%s' "
                                                       "(1 to %d).", optarg,
                                                       LIMIT_MEMFD_OBJECTS + 2);
                        arg_fdstore_max = v;
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

static void status_notify(const struct server *s, const char *state, const char *extra)
{
        const struct broker *b = s->broker;

        (void) sd_notifyf(false, "%sSTATUS=%zu connections, %zu objects, %zu rules%s%s%s%s",
                          state, s->n_conns, registry_count(b->registry), b->policy->n_rules,
                          extra ? "; " : "", extra ? extra : "",
                          running_on_kept ? "; " : "", running_on_kept ? running_on_kept : "");
}

/* Keeps @p, just bound, as the last good policy; the store is best effort (it is not there
 * without a service manager). */
static void keep_policy(const struct broker *b)
{
        int r = policy_store_save(&kept_policy, b->policy, registry_generation(b->registry));

        if (r < 0 && r != -EOPNOTSUPP)
                log_warning_errno(r, "Cannot keep the policy in the fd store; a restart that "
                                  "meets a broken policy will not be able to fall back to it: "
                                  "%m");
}

static void reload(struct server *s)
{
        _cleanup_(freep) char *error = NULL;
        char status[128] = "";
        struct policy *p;
        const char *origin;
        size_t orphans;
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
        r = broker_apply_policy(s->broker, p, true, &orphans);
        if (r < 0) {
                log_error_errno(r, "Cannot apply the reloaded policy: %m");
                (void) sd_notifyf(false, "READY=1\nSTATUS=Reload failed: %s", strerror(-r));
                return;
        }
        log_info("Policy reloaded from %s: %zu rules.", origin, s->broker->policy->n_rules);
        free(running_on_kept);
        running_on_kept = NULL;
        broker_set_origin(s->broker, origin, false);
        keep_policy(s->broker);
        resolver_forget();
        conn_resolve_all(s);
        /* Objects whose creator's name the new policy needs: decided once it is known. */
        creators_resolve(s);
        /* Names the new policy opens (or closes) to a waiter: its wait is answered now. */
        conn_waits_recheck(s);
        if (orphans > 0)
                (void) snprintf(status, sizeof(status), "%zu orphaned object(s)", orphans);
        status_notify(s, "READY=1\n", status[0] ? status : NULL);
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

/* What the service manager handed over at start. */
struct passed_fds {
        int *sockets;
        size_t n_sockets;
        struct passed_fd *objects;      /* the fd store's memfd objects */
        size_t n_objects;
        struct passed_fd *policies;     /* the fd store's last good policies */
        size_t n_policies;
        struct passed_fd *pidfds;       /* the fd store's creators of lifetime=process objects */
        size_t n_pidfds;
};

static void passed_fd_array_free(struct passed_fd *v, size_t n)
{
        size_t i;

        for (i = 0; i < n; i++) {
                safe_close(v[i].fd);
                free(v[i].name);
        }
        free(v);
}

static void passed_fds_done(struct passed_fds *p)
{
        size_t i;

        for (i = 0; i < p->n_sockets; i++)
                safe_close(p->sockets[i]);
        free(p->sockets);
        passed_fd_array_free(p->objects, p->n_objects);
        passed_fd_array_free(p->policies, p->n_policies);
        passed_fd_array_free(p->pidfds, p->n_pidfds);
        *p = (struct passed_fds) {};
}

static bool has_prefix(const char *s, const char *prefix)
{
        return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Takes every fd the service manager passed, first thing at start, before anything can fail:
 * listening sockets, and what the fd store kept for us. The store's fds are only held here;
 * whatever happens next, nothing is removed from the store until the object or policy it
 * holds has been looked at.
 */
static int take_passed_fds(struct passed_fds *ret)
{
        struct passed_fds p = {};
        char **names = NULL;
        int n, i, r = 0;

        n = sd_listen_fds_with_names(true, &names);
        if (n < 0)
                return log_error_errno(n, "Cannot take fds from the service manager: %m");
        if (n == 0) {
                *ret = p;
                return 0;
        }
        p.sockets = calloc((size_t) n, sizeof(int));
        p.objects = calloc((size_t) n, sizeof(struct passed_fd));
        p.policies = calloc((size_t) n, sizeof(struct passed_fd));
        p.pidfds = calloc((size_t) n, sizeof(struct passed_fd));
        if (!p.sockets || !p.objects || !p.policies || !p.pidfds)
                r = log_error_errno(-ENOMEM, "Out of memory.");
        for (i = 0; i < n; i++) {
                int fd = SD_LISTEN_FDS_START + i;
                struct passed_fd *pf = NULL;

                if (r < 0) {
                        safe_close(fd);
                        continue;
                }
                if (has_prefix(names[i], FDSTORE_OBJECT_PREFIX))
                        pf = &p.objects[p.n_objects++];
                else if (has_prefix(names[i], FDSTORE_POLICY_PREFIX))
                        pf = &p.policies[p.n_policies++];
                else if (has_prefix(names[i], FDSTORE_PIDFD_PREFIX))
                        pf = &p.pidfds[p.n_pidfds++];
                else if (has_prefix(names[i], FDSTORE_LEGACY_META_PREFIX)) {
                        fdstore_remove(names[i]);
                        safe_close(fd);
                        continue;
                } else {
                        p.sockets[p.n_sockets++] = fd;
                        continue;
                }
                *pf = (struct passed_fd) { .fd = fd, .name = names[i] };
                names[i] = NULL;
        }
        for (i = 0; i < n; i++)
                free(names[i]);
        free(names);
        if (r < 0) {
                passed_fds_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}

/*
 * systemd 254+ says how many fds its store keeps for us ($FDSTORE). Each memfd object takes
 * one entry and the last good policy one more (two while it is replaced); an object that did
 * not fit would be lost at the next restart, so a create past that gets ENOSPC instead. Older
 * managers do not say, and drop what does not fit without a word: the daemon then takes the
 * unit's FileDescriptorStoreMax= as the size (--fdstore-max, for a drop-in that changes it).
 */
static size_t memfd_objects_max(void)
{
        const char *e = getenv("FDSTORE"), *from = "$FDSTORE";
        unsigned long fds = arg_fdstore_max, n;
        char *end;

        if (!fdstore_active())
                return 0;
        if (e) {
                errno = 0;
                fds = strtoul(e, &end, 10);
                if (errno != 0 || *end || end == e || fds == 0) {
                        log_warning("$FDSTORE='%s' is no number of fds; taking %lu.", e,
                                    arg_fdstore_max);
                        fds = arg_fdstore_max;
                        from = "--fdstore-max";
                }
        } else
                from = "--fdstore-max: the service manager does not say";
        n = fds > 2 ? fds - 2 : 1;
        if (n > LIMIT_MEMFD_OBJECTS)
                n = LIMIT_MEMFD_OBJECTS;
        fdstore_set_slots(n);
        log_info("The fd store keeps %lu fds (%s): at most %lu memfd objects, %zu per user.",
                 fds, from, n, fdstore_slot_share());
        return n;
}

/* Sockets from the service manager (consumed), or our own on --socket. */
static int setup_listeners(struct server *s, struct passed_fds *passed)
{
        int r, fd;
        size_t i;

        for (i = 0; i < passed->n_sockets; i++) {
                fd = TAKE_FD(passed->sockets[i]);
                if (sd_is_socket(fd, AF_UNIX, SOCK_SEQPACKET, 1) <= 0) {
                        safe_close(fd);
                        return log_error_errno(-EINVAL, "Passed fd %d is not a listening "
                                               "AF_UNIX SOCK_SEQPACKET socket.", fd);
                }
                r = listener_add(s, fd, NULL, NULL, NULL);
                if (r < 0)
                        return log_error_errno(r, "Cannot listen on passed fd %d: %m", fd);
        }
        if (passed->n_sockets > 0) {
                log_info("Listening on %zu socket(s) from the service manager.",
                         passed->n_sockets);
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
        r = listener_add(s, fd, arg_socket, NULL, NULL);
        if (r < 0)
                return log_error_errno(r, "Cannot listen on '%s': %m", arg_socket);
        log_info("Listening on '%s'.", arg_socket);
        return 0;
}

/* Ensures the default socket's directory exists; a path given by hand is the caller's. */
static void make_socket_dir(void)
{
        int r;

        if (strcmp(arg_socket, DEFAULT_SOCKET) != 0)
                return;
        r = mkdir_mode("/run/shmbroker", 0755);
        if (r < 0 && r != -EEXIST)
                log_warning_errno(r, "Cannot create /run/shmbroker, ignoring: %m");
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

/* Who will own the state directory: the --user, or whoever we run as. */
static int state_owner(uid_t *ret_uid, gid_t *ret_gid)
{
        struct passwd pw, *pwr = NULL;
        char buf[4096];

        if (!arg_user) {
                *ret_uid = geteuid();
                *ret_gid = getegid();
                return 0;
        }
        if (getpwnam_r(arg_user, &pw, buf, sizeof(buf), &pwr) != 0 || !pwr)
                return log_error_errno(-ESRCH, "No such user '%s'.", arg_user);
        *ret_uid = pw.pw_uid;
        *ret_gid = pw.pw_gid;
        return 0;
}

/* The registry and the objects, taken back from the previous instance. Consumes @p and
 * @passed's object fds. */
static int open_broker(struct policy *p, int state_fd, struct passed_fds *passed,
                       struct broker **ret)
{
        int shm_fd = -1, r;

        r = shm_dir_open(arg_shm_dir, &shm_fd);
        if (r < 0) {
                policy_free(p);
                if (r == -ENOTSUP)
                        return log_error_errno(r, "'%s' is not a tmpfs directory.", arg_shm_dir);
                if (r == -EROFS)
                        return log_error_errno(r, "'%s' is on a read-only mount.", arg_shm_dir);
                return log_error_errno(r, "Cannot open object directory '%s': %m", arg_shm_dir);
        }
        r = broker_restore(p, state_fd, shm_fd, passed->objects, passed->n_objects,
                           memfd_objects_max(), ret);
        /* The memfd backend took the object fds (each is -1 now), whatever happened; their
         * names are freed with the rest. */
        if (r < 0)
                return log_error_errno(r, "Cannot take back the objects (state directory '%s', "
                                       "object directory '%s'): %m", arg_state_dir,
                                       arg_shm_dir);
        /* Lifetimes go on where they were; creators that exited meanwhile end theirs. */
        lifetime_take_pidfds(&(*ret)->lifetimes, passed->pidfds, passed->n_pidfds);
        broker_resume_lifetimes(*ret);
        return 0;
}

/*
 * The policy on disk was refused at start (@error says why). Losing nothing matters more
 * than starting as configured: run on the last good policy from the fd store, or, with none
 * but memfd objects handed back, on a policy that grants nothing (so that they survive until
 * the policy is mended and reloaded). With neither, nothing can be lost: refuse to start.
 */
static int fall_back(struct passed_fds *passed, int error, struct policy **ret)
{
        struct policy_diags diags = {};
        uint64_t generation;
        int r;

        r = policy_store_take(&kept_policy, passed->policies, passed->n_policies, ret,
                              &generation);
        if (r >= 0) {
                log_error("The policy on disk was refused; running on the last good policy "
                          "(generation %" PRIu64 ", from the fd store) until it is mended and "
                          "reloaded.", generation);
                running_on_kept = strdup("the policy on disk was refused: running on the last "
                                         "good policy");
                return 0;
        }
        if (passed->n_objects == 0)
                return error;
        log_error("The policy on disk was refused and no earlier one was kept; running on a "
                  "policy that grants nothing, so that the %zu memfd object(s) handed back "
                  "survive until the policy is mended and reloaded.", passed->n_objects);
        r = policy_load_text("", 0, "<nothing>", &diags, ret);
        policy_diags_clear(&diags);
        if (r < 0)
                return r;
        running_on_kept = strdup("the policy on disk was refused: granting nothing");
        return 0;
}

/* App sockets are a feature, not a condition to run: without their directory, APP_SOCKET
 * requests are refused (EOPNOTSUPP) and everything else works. */
static void setup_app_dir(struct server *s)
{
        static char beside[PATH_MAX];
        const char *slash;
        int r;

        if (!arg_app_dir) {
                slash = strrchr(arg_socket, '/');
                if (!slash || (size_t) snprintf(beside, sizeof(beside), "%.*s/apps",
                                                (int) (slash - arg_socket), arg_socket) >=
                                      sizeof(beside)) {
                        log_warning("No directory for app sockets beside '%s' (give "
                                    "--app-dir); app sockets are off.", arg_socket);
                        return;
                }
                arg_app_dir = beside;
        }
        s->app_dir = arg_app_dir;
        r = appsock_dir_open(arg_app_dir, &s->app_dir_fd);
        if (r == -EPERM)
                log_warning("App directory '%s' is writable by others or owned by another "
                            "user; app sockets are off.", arg_app_dir);
        else if (r < 0)
                log_warning_errno(r, "Cannot open app directory '%s', app sockets are off: %m",
                                  arg_app_dir);
}

static int run(void)
{
        _cleanup_(closep) int sig_fd = -1, state_fd = -1;
        struct passed_fds passed = {};
        struct loop_source *sig_source = NULL;
        struct signal_ctx sc;
        struct server s = { .tick_fd = -1 };
        struct broker *b = NULL;
        struct policy *p;
        const char *origin = NULL;
        sigset_t mask;
        uid_t owner_uid = 0;
        gid_t owner_gid = 0;
        int r;

        /* First of all: whatever fails below, what the fd store handed back is held. */
        r = take_passed_fds(&passed);
        if (r < 0)
                return r;

        r = state_owner(&owner_uid, &owner_gid);
        if (r >= 0)
                r = state_dir_open(arg_state_dir, owner_uid, owner_gid, &state_fd);
        if (r < 0)
                goto out_passed;

        r = load_policy(&p, &origin, NULL);
        if (r < 0) {
                r = fall_back(&passed, r, &p);
                if (r < 0)
                        goto out_passed;
        } else {
                log_info("Policy loaded from %s: %zu rules.", origin, p->n_rules);
                /* What the store kept before is superseded by what is on disk. */
                policy_store_forget(&kept_policy, passed.policies, passed.n_policies);
        }

        /* Before the objects are bound: every change from here on raises the page. */
        r = genpage_init();
        if (r < 0)
                log_warning_errno(r, "Cannot make the generation page, clients will not reuse "
                                  "fds (OPEN_CACHED without tickets): %m");
        r = open_broker(p, state_fd, &passed, &b);
        if (r < 0)
                goto out_passed;
        if (!running_on_kept)
                keep_policy(b);
        broker_set_origin(b, running_on_kept ? "the last good policy (fd store)" : origin,
                          running_on_kept);
        r = server_init(&s, b);
        if (r < 0) {
                broker_free(b);
                log_error_errno(r, "Cannot set up: %m");
                goto out_passed;
        }
        detect_userns(&s);
        r = lifetime_attach(&b->lifetimes, s.loop);
        if (r < 0) {
                log_error_errno(r, "Cannot watch the creators of lifetime=process objects: %m");
                goto out;
        }

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
        r = setup_listeners(&s, &passed);
        if (r < 0)
                goto out;
        setup_app_dir(&s);

        /* Everything that needs root is open now: the socket, the object directory. */
        if (arg_user) {
                r = privs_drop(arg_user);
                if (r == -ESRCH)
                        log_error("No such user '%s'.", arg_user);
                else if (r < 0)
                        log_error_errno(r, "Cannot drop privileges to '%s': %m", arg_user);
                if (r < 0)
                        goto out;
                log_info("Running as '%s' with CAP_CHOWN, CAP_FOWNER, CAP_DAC_OVERRIDE, CAP_LEASE.",
                         arg_user);
        }

        s.idle_timeout_usec = arg_idle_timeout_usec;
        if (arg_kept_fds >= 0)
                fdcache_budget_init(&s.kept_budget, (size_t) arg_kept_fds);
        if (sd_watchdog_enabled(false, &s.watchdog_usec) <= 0)
                s.watchdog_usec = 0;
        r = server_start_ticker(&s);
        if (r < 0) {
                log_error_errno(r, "Cannot start the timer: %m");
                goto out;
        }

        /* Workers only now that privileges are dropped: credentials and capabilities are per
         * thread, and a thread made earlier would keep root's (they start their threads when
         * a job needs one). */
        r = worker_new(s.loop, 1, &s.closer);
        if (r >= 0)
                r = worker_new(s.loop, LIMIT_RESOLVER_THREADS, &s.resolver);
        if (r < 0) {
                log_error_errno(r, "Cannot set up the workers: %m");
                goto out;
        }
        worker_allow_stuck(s.resolver, LIMIT_RESOLVER_THREADS_STUCK);

        /* Objects made under a policy without %u, if this one has it (creators.h). */
        creators_resolve(&s);
        status_notify(&s, "READY=1\n", NULL);
        while (!loop_exiting(s.loop)) {
                r = server_run_once(&s, -1);
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
                if (server_run_once(&s, 100) < 0)
                        break;
out:
        loop_remove(sig_source);
        server_deinit(&s);
out_passed:
        genpage_done();
        passed_fds_done(&passed);
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
        /* A file size limit (LimitFSIZE=, ulimit -f) that the journal reaches is an EFBIG its
         * write reports, and the request that wrote fails, not a core dump of the daemon. */
        (void) signal(SIGXFSZ, SIG_IGN);
        /* The lease the daemon takes for an instant to ask whether a removed object is still
         * held (held.c) sends SIGIO if someone opens the file in that instant. */
        (void) signal(SIGIO, SIG_IGN);
        raise_nofile();

        return run() < 0 ? 1 : 0;
}
