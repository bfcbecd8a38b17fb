/* SPDX-License-Identifier: MIT */
/*
 * shmbrokerctl.c - the command-line client of shmbrokerd: the command line, and nothing else.
 *
 * Parses "shmbrokerctl [--socket PATH] COMMAND [ARGS] [OPTIONS]", connects, and runs one
 * command (ctl-*.c). Failures are reported as "shmbrokerctl: NAME: <strerror text>", with the
 * broker's reason in parentheses when it gave one, and exit status 1; usage errors as one line
 * and a hint, exit status 2; 127 when exec cannot run its command. Only the public API of
 * <shmbroker.h> is used: the protocol and the policy are none of its business.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

const char *arg_socket;
uint64_t arg_size;
uint64_t arg_offset;
uint64_t arg_length;
uint32_t arg_lifetime = SHMB_LIFETIME_DEFAULT;
uint64_t arg_lifetime_usec;
uint64_t arg_timeout_usec;
const char *arg_user;
const char *arg_app;
unsigned int arg_given;

static void help(void)
{
        fputs("Usage: " PROG " [--socket PATH] create NAME --size SIZE [--lifetime LIFETIME]\n"
              "       " PROG " [--socket PATH] create NAME --unsized [--lifetime LIFETIME]\n"
              "       " PROG " [--socket PATH] resize NAME SIZE\n"
              "       " PROG " [--socket PATH] write NAME [--offset N]\n"
              "       " PROG " [--socket PATH] read NAME [--offset N] [--length N]\n"
              "       " PROG " [--socket PATH] publish NAME [--future]\n"
              "       " PROG " [--socket PATH] stat NAME [--all] [--json]\n"
              "       " PROG " [--socket PATH] list [--all] [--long] [--json]\n"
              "       " PROG " [--socket PATH] unlink NAME\n"
              "       " PROG " [--socket PATH] unlink --all PATTERN\n"
              "       " PROG " [--socket PATH] wait NAME [--published] [--timeout SPAN]\n"
              "       " PROG " [--socket PATH] watch [PATTERN] [--json]\n"
              "       " PROG " [--socket PATH] exec [--size SIZE [--lifetime LIFETIME]]\n"
              "                    NAME[:ro|:rw]... -- COMMAND [ARG...]\n"
              "       " PROG " [--socket PATH] app-socket APP_ID\n"
              "       " PROG " [--socket PATH] status [--json]\n"
              "       " PROG " [--socket PATH] explain [--user USER] [--app APP_ID] NAME [--json]\n"
              "       " PROG " --help | --version\n"
              "\n"
              "Create, fill, read, publish, describe, list, wait for and remove shared-memory\n"
              "segments brokered by shmbrokerd, run a command with segments on fds 3 and up,\n"
              "hold a socket for a sandboxed app, and, for the broker's admins, see its state\n"
              "and ask why the policy decides as it does.\n"
              "\n"
              "Commands:\n"
              "  create NAME        create a segment of --size bytes, or --unsized\n"
              "  resize NAME SIZE   give a segment created --unsized its size (once)\n"
              "  write NAME         copy standard input into the segment\n"
              "  read NAME          copy the segment (or --length bytes of it) to stdout\n"
              "  publish NAME       make the segment's contents final: no more writers\n"
              "  stat NAME          show size, owner, group, mode, backend, rights, rule,\n"
              "                     creator, lifetime, state and ACL\n"
              "  list               list the segments you may open, one per line\n"
              "  unlink NAME        remove a segment's name\n"
              "  unlink --all PATTERN  remove every segment PATTERN matches (admins)\n"
              "  wait NAME          wait until the segment exists (or is published)\n"
              "  watch [PATTERN]    print a line as segments are created, published, removed\n"
              "  exec NAME... -- COMMAND [ARG...]\n"
              "                     run COMMAND with the segments on fds 3, 4, ...,\n"
              "                     SHMBROKER_FDS and SHMBROKER_NAMES set\n"
              "  app-socket APP_ID  print the path of a new socket for app APP_ID, then keep\n"
              "                     it until stopped (SIGTERM, SIGINT)\n"
              "  status             the broker's state, users and every segment (admins)\n"
              "  explain NAME       which rule decides NAME, what each request would get, why\n"
              "\n"
              "Options:\n"
              "  --socket PATH        the broker's socket (default: $SHMBROKER_SOCKET,\n"
              "                       else " SHMB_DEFAULT_SOCKET ")\n"
              "  --size SIZE          size for create; with exec: create the segments\n"
              "  --unsized            create with size 0, to be given by resize\n"
              "  --lifetime LIFETIME  persistent, process or a SPAN after the last open\n"
              "                       (create; exec --size, where process is the default)\n"
              "  --offset N           start N bytes into the segment (write, read)\n"
              "  --length N           copy exactly N bytes (read; default: up to the end)\n"
              "  --future             publish: let fds handed out before go on writing\n"
              "  --published          wait: until the segment is also published\n"
              "  --timeout SPAN       wait: fail after SPAN (0: do not wait; default: never)\n"
              "  --all                stat, list, unlink: any segment, orphans too (admins)\n"
              "  --long               list: a table with each segment's details\n"
              "  --json               list, stat, status, explain, watch: JSON output\n"
              "  --user USER          explain: for this user (name or uid; admins)\n"
              "  --app APP_ID         explain: as for this app, on its app socket\n"
              "  -h, --help           show this help\n"
              "  --version            show the version\n"
              "\n"
              "Sizes take an optional K, M, G or T suffix (powers of 1024); spans a unit:\n"
              "us, ms, s (the default), min, h, d, w (30s, 5min, 2h).\n"
              "Exit status: 0 success, 1 failure, 2 usage error,\n"
              "             127 exec could not run COMMAND.\n",
              stdout);
}

/*
 * With stdin, stdout or stderr closed, the broker's socket or a segment would land on 0, 1 or
 * 2, and "write" would read its own socket or "read" write into the segment. Fill the gaps.
 */
static int open_std_fds(void)
{
        int fd;

        for (fd = 0; fd <= 2; fd++) {
                int r;

                if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
                        continue;
                /* The lowest free number is fd itself. No O_CLOEXEC: stdio, for COMMAND too. */
                r = open("/dev/null", O_RDWR);
                if (r < 0)
                        return -errno;
                if (r != fd) {
                        safe_close(r);
                        return -EBADF;
                }
        }
        return 0;
}

/* ---------------------------------------------------------------- commands and options */

struct verb {
        const char *name;
        size_t min_args;        /* names after the verb (exec: specs before "--") */
        size_t max_args;
        unsigned int options;   /* OPT_* allowed */
        int (*run)(struct shmb_client *c, char **args);
};

#define MANY ((size_t) -1)

static const struct verb verbs[] = {
        { "create", 1, 1, OPT_SIZE | OPT_UNSIZED | OPT_LIFETIME, cmd_create },
        { "resize", 2, 2, 0, cmd_resize },
        { "write", 1, 1, OPT_OFFSET, cmd_write },
        { "read", 1, 1, OPT_OFFSET | OPT_LENGTH, cmd_read },
        { "publish", 1, 1, OPT_FUTURE, cmd_publish },
        { "stat", 1, 1, OPT_ALL | OPT_JSON, cmd_stat },
        { "list", 0, 0, OPT_ALL | OPT_LONG | OPT_JSON, cmd_list },
        { "unlink", 1, 1, OPT_ALL, cmd_unlink },
        { "wait", 1, 1, OPT_PUBLISHED | OPT_TIMEOUT, cmd_wait },
        { "watch", 0, 1, OPT_JSON, cmd_watch },
        { "exec", 1, MANY, OPT_SIZE | OPT_LIFETIME, NULL },
        { "app-socket", 1, 1, 0, cmd_app_socket },
        { "status", 0, 0, OPT_JSON, cmd_status },
        { "explain", 1, 1, OPT_USER | OPT_APP | OPT_JSON, cmd_explain },
};

enum {
        ARG_VERSION = 0x100,
        ARG_SOCKET,
        ARG_SIZE,
        ARG_UNSIZED,
        ARG_OFFSET,
        ARG_LENGTH,
        ARG_LIFETIME,
        ARG_JSON,
        ARG_ALL,
        ARG_LONG,
        ARG_FUTURE,
        ARG_PUBLISHED,
        ARG_TIMEOUT,
        ARG_USER,
        ARG_APP,
};

/* Before the command: these, and --json (checked against the command once it is known). */
static const struct option global_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, ARG_VERSION },
        { "socket", required_argument, NULL, ARG_SOCKET },
        { "json", no_argument, NULL, ARG_JSON },
        {}
};

static const struct option command_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, ARG_VERSION },
        { "socket", required_argument, NULL, ARG_SOCKET },
        { "size", required_argument, NULL, ARG_SIZE },
        { "unsized", no_argument, NULL, ARG_UNSIZED },
        { "offset", required_argument, NULL, ARG_OFFSET },
        { "length", required_argument, NULL, ARG_LENGTH },
        { "lifetime", required_argument, NULL, ARG_LIFETIME },
        { "json", no_argument, NULL, ARG_JSON },
        { "all", no_argument, NULL, ARG_ALL },
        { "long", no_argument, NULL, ARG_LONG },
        { "future", no_argument, NULL, ARG_FUTURE },
        { "published", no_argument, NULL, ARG_PUBLISHED },
        { "timeout", required_argument, NULL, ARG_TIMEOUT },
        { "user", required_argument, NULL, ARG_USER },
        { "app", required_argument, NULL, ARG_APP },
        {}
};

/* The OPT_* flag of an option, and its name for messages. */
static const struct {
        int opt;
        unsigned int flag;
        const char *name;
} option_flags[] = {
        { ARG_SIZE, OPT_SIZE, "--size" },
        { ARG_UNSIZED, OPT_UNSIZED, "--unsized" },
        { ARG_OFFSET, OPT_OFFSET, "--offset" },
        { ARG_LENGTH, OPT_LENGTH, "--length" },
        { ARG_LIFETIME, OPT_LIFETIME, "--lifetime" },
        { ARG_JSON, OPT_JSON, "--json" },
        { ARG_ALL, OPT_ALL, "--all" },
        { ARG_LONG, OPT_LONG, "--long" },
        { ARG_FUTURE, OPT_FUTURE, "--future" },
        { ARG_PUBLISHED, OPT_PUBLISHED, "--published" },
        { ARG_TIMEOUT, OPT_TIMEOUT, "--timeout" },
        { ARG_USER, OPT_USER, "--user" },
        { ARG_APP, OPT_APP, "--app" },
};

static const char *option_name(unsigned int flag)
{
        size_t i;

        for (i = 0; i < ELEMENTSOF(option_flags); i++)
                if (option_flags[i].flag == flag)
                        return option_flags[i].name;
        return "?";
}

/* Parses one option's value. Returns -1 to go on, else the exit status. */
static int parse_option(int opt)
{
        unsigned int flag = 0;
        size_t i;

        switch (opt) {
        case 'h':
                help();
                return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        case ARG_VERSION:
                puts(PROG " " PACKAGE_VERSION);
                return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        case ARG_SOCKET:
                arg_socket = optarg;
                return -1;
        case ARG_SIZE:
                if (ctl_parse_size(optarg, &arg_size) < 0)
                        return ctl_usage_error("--size: invalid size '%s'", optarg);
                break;
        case ARG_OFFSET:
                if (ctl_parse_size(optarg, &arg_offset) < 0)
                        return ctl_usage_error("--offset: invalid number '%s'", optarg);
                break;
        case ARG_LENGTH:
                if (ctl_parse_size(optarg, &arg_length) < 0)
                        return ctl_usage_error("--length: invalid number '%s'", optarg);
                break;
        case ARG_LIFETIME:
                if (ctl_parse_lifetime(optarg, &arg_lifetime, &arg_lifetime_usec) < 0)
                        return ctl_usage_error("--lifetime: invalid lifetime '%s' (persistent, "
                                               "process, or a span of at least 1s)", optarg);
                break;
        case ARG_TIMEOUT:
                if (ctl_parse_span(optarg, &arg_timeout_usec) < 0)
                        return ctl_usage_error("--timeout: invalid span '%s'", optarg);
                break;
        case ARG_USER:
                arg_user = optarg;
                break;
        case ARG_APP:
                arg_app = optarg;
                break;
        case ARG_UNSIZED:
        case ARG_JSON:
        case ARG_ALL:
        case ARG_LONG:
        case ARG_FUTURE:
        case ARG_PUBLISHED:
                break;
        default:
                /* getopt_long() has said what was wrong. */
                return ctl_usage_error(NULL);
        }
        for (i = 0; i < ELEMENTSOF(option_flags); i++)
                if (option_flags[i].opt == opt)
                        flag = option_flags[i].flag;
        arg_given |= flag;
        return -1;
}

/* The argument that is missing, as the synopsis names it. */
static const char *missing_what(const struct verb *v, size_t n_args)
{
        if (strcmp(v->name, "app-socket") == 0)
                return "APP_ID";
        if (strcmp(v->name, "unlink") == 0 && (arg_given & OPT_ALL))
                return "PATTERN";
        return n_args == 1 ? "SIZE" : "NAME";
}

/* What the options given say together, once the command is known. Return: -1 or exit status. */
static int check_options(const struct verb *v, char **args, size_t n_args)
{
        unsigned int stray = arg_given & ~v->options;
        uint64_t size;

        if (stray)
                return ctl_usage_error("%s: option '%s' does not apply", v->name,
                                       option_name(stray & -stray));
        if (v->max_args != MANY && n_args > v->max_args)
                return ctl_usage_error("%s: too many arguments", v->name);
        if (n_args < v->min_args)
                return ctl_usage_error("%s: missing %s", v->name, missing_what(v, n_args));
        if (strcmp(v->name, "create") == 0) {
                if (!(arg_given & (OPT_SIZE | OPT_UNSIZED)))
                        return ctl_usage_error("create: missing --size");
                if ((arg_given & OPT_SIZE) && (arg_given & OPT_UNSIZED))
                        return ctl_usage_error("create: --size and --unsized exclude each "
                                               "other");
        }
        if (strcmp(v->name, "exec") == 0 && (arg_given & OPT_LIFETIME) &&
            !(arg_given & OPT_SIZE))
                return ctl_usage_error("exec: --lifetime applies to the segments --size "
                                       "creates");
        if (strcmp(v->name, "resize") == 0 && ctl_parse_size(args[1], &size) < 0)
                return ctl_usage_error("resize: invalid size '%s'", args[1]);
        return -1;
}

int main(int argc, char *argv[])
{
        const struct verb *v = NULL;
        struct shmb_client *c = NULL;
        _cleanup_(freep) char **pos = NULL;
        char **rest;
        size_t i, n_args;
        int rest_argc, end, opt, r;

        if (open_std_fds() < 0)
                return EXIT_FAILURE;

        /* getopt_long() names argv[0] in its messages; make that the fixed name too. */
        argv[0] = (char *) PROG;

        /* Global options stop at the command ('+'): its options are parsed below. */
        while ((opt = getopt_long(argc, argv, "+h", global_options, NULL)) >= 0) {
                r = parse_option(opt);
                if (r >= 0)
                        return r;
        }
        if (optind >= argc)
                return ctl_usage_error("missing command");
        for (i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[optind], verbs[i].name) == 0)
                        v = &verbs[i];
        if (!v)
                return ctl_usage_error("unknown command '%s'", argv[optind]);

        /*
         * Parse the command's own arguments as a fresh argv whose [0] is still the program
         * (for getopt's messages); options and names may then come in any order.
         */
        rest = argv + optind;
        rest_argc = argc - optind;
        rest[0] = argv[0];
        end = rest_argc;
        if (!v->run) {
                /*
                 * exec: only what stands before "--" is ours; everything after it belongs to
                 * COMMAND and must not be permuted or parsed.
                 */
                for (end = 1; end < rest_argc; end++)
                        if (strcmp(rest[end], "--") == 0)
                                break;
                if (end == rest_argc)
                        return ctl_usage_error("exec: missing '--' before COMMAND");
                if (end + 1 == rest_argc)
                        return ctl_usage_error("exec: missing COMMAND");
        }
        /*
         * '-': positional arguments come back in order as opt 1, so options and names mix
         * freely even with POSIXLY_CORRECT set; after a "--" the rest is positional. One
         * slot more than there can be arguments: the array ends in NULL (watch's PATTERN).
         */
        pos = calloc((size_t) end + 1, sizeof(char *));
        if (!pos)
                return ctl_fail(NULL, v->name, -ENOMEM);
        n_args = 0;
        optind = 0;
        while ((opt = getopt_long(end, rest, "-h", command_options, NULL)) >= 0) {
                if (opt == 1) {
                        pos[n_args++] = optarg;
                        continue;
                }
                r = parse_option(opt);
                if (r >= 0)
                        return r;
        }
        while (optind < end)
                pos[n_args++] = rest[optind++];
        r = check_options(v, pos, n_args);
        if (r >= 0)
                return r;

        r = shmb_connect(arg_socket, &c);
        if (r < 0)
                return ctl_fail(NULL, shmb_socket_path(arg_socket), r);

        if (!v->run)
                return cmd_exec(c, pos, n_args, rest + end + 1);

        r = v->run(c, pos);
        shmb_client_free(c);
        if (r != 0)
                return r;
        if (fflush(stdout) != 0 || ferror(stdout))
                return ctl_fail(NULL, "stdout", errno > 0 ? -errno : -EIO);
        return EXIT_SUCCESS;
}
