/* SPDX-License-Identifier: MIT */
/*
 * shmbrokerctl.c - the command-line client of shmbrokerd.
 *
 * Parses the command line fixed in PRODUCT.md, runs one command through libshmbroker, and
 * reports failure as "shmbrokerctl: NAME: <strerror text>" with exit status 1 (2 for usage
 * errors, 127 when exec cannot run its command). It only uses the public API of <shmbroker.h>;
 * the protocol and policy are none of its business.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "shmbroker.h"

/* Fixed, not argv[0]: scripts match on it, and libtool may run us as lt-shmbrokerctl. */
#define PROG "shmbrokerctl"

#define EXIT_USAGE 2
#define EXIT_EXEC 127

#define COPY_CHUNK (64u * 1024u)

enum {
        OPT_SIZE = 1u << 0,
        OPT_OFFSET = 1u << 1,
        OPT_LENGTH = 1u << 2,
};

static const char *arg_socket;
static uint64_t arg_size;
static uint64_t arg_offset;
static uint64_t arg_length;
static unsigned int arg_given; /* OPT_*: which command options appeared */

static void print_synopsis(FILE *f)
{
        fputs("Usage: " PROG " [--socket PATH] create NAME --size SIZE\n"
              "       " PROG " [--socket PATH] write NAME [--offset N]\n"
              "       " PROG " [--socket PATH] read NAME [--offset N] [--length N]\n"
              "       " PROG " [--socket PATH] stat NAME\n"
              "       " PROG " [--socket PATH] list\n"
              "       " PROG " [--socket PATH] unlink NAME\n"
              "       " PROG " [--socket PATH] exec NAME[:ro|:rw]... -- COMMAND [ARG...]\n"
              "       " PROG " --help | --version\n", f);
}

static void help(void)
{
        print_synopsis(stdout);
        fputs("\n"
              "Create, fill, read, describe, list and remove shared-memory segments\n"
              "brokered by shmbrokerd, or run a command with segments on fds 3 and up.\n"
              "\n"
              "Commands:\n"
              "  create NAME --size SIZE   create a segment of SIZE bytes (suffix K, M or G)\n"
              "  write NAME [--offset N]   copy standard input into the segment at offset N\n"
              "  read NAME [--offset N] [--length N]\n"
              "                            copy the segment (or N bytes of it) to stdout\n"
              "  stat NAME                 show size, owner, group, mode, backend, rights, ACL\n"
              "  list                      list the segments you may open, one per line\n"
              "  unlink NAME               remove a segment's name\n"
              "  exec NAME[:ro|:rw]... -- COMMAND [ARG...]\n"
              "                            run COMMAND with the segments on fds 3, 4, ...,\n"
              "                            SHMBROKER_FDS and SHMBROKER_NAMES set\n"
              "\n"
              "Options:\n"
              "  --socket PATH   the broker's socket (default: $SHMBROKER_SOCKET,\n"
              "                  else " SHMB_DEFAULT_SOCKET ")\n"
              "  --size SIZE     size for create\n"
              "  --offset N      start N bytes into the segment (write, read)\n"
              "  --length N      copy exactly N bytes (read; default: up to the end)\n"
              "  -h, --help      show this help\n"
              "  --version       show the version\n"
              "\n"
              "Numbers take an optional K, M or G suffix (powers of 1024).\n"
              "Exit status: 0 success, 1 failure, 2 usage error,\n"
              "             127 exec could not run COMMAND.\n",
              stdout);
}

_printf_(1, 2) static int usage_error(const char *fmt, ...)
{
        va_list ap;

        if (fmt) {
                fputs(PROG ": ", stderr);
                va_start(ap, fmt);
                vfprintf(stderr, fmt, ap);
                va_end(ap);
                fputc('\n', stderr);
        }
        print_synopsis(stderr);
        fputs("Try '" PROG " --help' for more information.\n", stderr);
        return EXIT_USAGE;
}

/* Reports a failure the contract's way and gives the exit status. */
static int fail(const char *what, int r)
{
        fprintf(stderr, PROG ": %s: %s\n", what, strerror(-r));
        return EXIT_FAILURE;
}

/*
 * A decimal number with an optional K, M or G suffix (powers of 1024). No sign, no blanks,
 * no other base, no overflow.
 */
static int parse_number(const char *s, uint64_t *ret)
{
        unsigned long long v;
        uint64_t mult = 1;
        char *end;

        if (!s || *s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno == ERANGE)
                return -ERANGE;
        if (errno != 0 || end == s)
                return -EINVAL;
        if (*end != '\0') {
                switch (*end) {
                case 'K':
                case 'k':
                        mult = UINT64_C(1) << 10;
                        break;
                case 'M':
                case 'm':
                        mult = UINT64_C(1) << 20;
                        break;
                case 'G':
                case 'g':
                        mult = UINT64_C(1) << 30;
                        break;
                default:
                        return -EINVAL;
                }
                if (end[1] != '\0')
                        return -EINVAL;
        }
        if ((uint64_t) v > UINT64_MAX / mult)
                return -ERANGE;
        *ret = (uint64_t) v * mult;
        return 0;
}

/* ---------------------------------------------------------------- I/O helpers */

static int write_all(int fd, const uint8_t *p, size_t n)
{
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
        while (n > 0) {
                ssize_t k = pwrite(fd, p, n, (off_t) off);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        return -EIO;
                p += k;
                n -= (size_t) k;
                off += (uint64_t) k;
        }
        return 0;
}

static ssize_t read_some(int fd, uint8_t *p, size_t n)
{
        for (;;) {
                ssize_t k = read(fd, p, n);

                if (k >= 0 || errno != EINTR)
                        return k < 0 ? -errno : k;
        }
}

static int segment_size(int fd, uint64_t *ret)
{
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        *ret = st.st_size > 0 ? (uint64_t) st.st_size : 0;
        return 0;
}

/* ---------------------------------------------------------------- commands */

static int cmd_create(struct shmb_client *c, char **args)
{
        int r;

        r = shmb_create(c, args[0], arg_size, SHMB_ACCESS_NONE, NULL, NULL);
        if (r < 0)
                return fail(args[0], r);
        return 0;
}

/*
 * stdin into the segment at --offset, never past its end. Input that is known to be too large
 * (a regular file) is refused before anything is written; from a pipe, what fits is written
 * and the command then fails with EFBIG.
 */
static int cmd_write(struct shmb_client *c, char **args)
{
        const char *name = args[0];
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) uint8_t *buf = NULL;
        uint64_t size = 0, off, space;
        struct stat st;
        int r;

        r = shmb_open(c, name, SHMB_ACCESS_RDWR, &fd, NULL);
        if (r < 0)
                return fail(name, r);
        r = segment_size(fd, &size);
        if (r < 0)
                return fail(name, r);
        if (arg_offset > size)
                return fail(name, -EINVAL);
        off = arg_offset;
        space = size - off;

        if (fstat(STDIN_FILENO, &st) < 0)
                return fail("stdin", -errno);
        if (S_ISREG(st.st_mode)) {
                off_t pos = lseek(STDIN_FILENO, 0, SEEK_CUR);

                if (pos >= 0 && st.st_size > pos && (uint64_t) (st.st_size - pos) > space)
                        return fail(name, -EFBIG);
        }

        buf = malloc(COPY_CHUNK);
        if (!buf)
                return fail(name, -ENOMEM);
        for (;;) {
                /* With no room left, read one byte anyway: is there more input than fits? */
                size_t want = space == 0 ? 1 : (space < COPY_CHUNK ? (size_t) space : COPY_CHUNK);
                ssize_t k = read_some(STDIN_FILENO, buf, want);

                if (k < 0)
                        return fail("stdin", (int) k);
                if (k == 0)
                        break;
                if (space == 0)
                        return fail(name, -EFBIG);
                r = pwrite_all(fd, buf, (size_t) k, off);
                if (r < 0)
                        return fail(name, r);
                off += (uint64_t) k;
                space -= (uint64_t) k;
        }
        return 0;
}

static int cmd_read(struct shmb_client *c, char **args)
{
        const char *name = args[0];
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) uint8_t *buf = NULL;
        uint64_t size = 0, off, left;
        int r;

        r = shmb_open(c, name, SHMB_ACCESS_RDONLY, &fd, NULL);
        if (r < 0)
                return fail(name, r);
        r = segment_size(fd, &size);
        if (r < 0)
                return fail(name, r);
        if (arg_offset > size)
                return fail(name, -EINVAL);
        off = arg_offset;
        left = size - off;
        if (arg_given & OPT_LENGTH) {
                /* Exactly what was asked for, or an error: never silently less. */
                if (arg_length > left)
                        return fail(name, -EINVAL);
                left = arg_length;
        }

        buf = malloc(COPY_CHUNK);
        if (!buf)
                return fail(name, -ENOMEM);
        while (left > 0) {
                size_t want = left < COPY_CHUNK ? (size_t) left : COPY_CHUNK;
                ssize_t k = pread(fd, buf, want, (off_t) off);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return fail(name, -errno);
                }
                /* Someone shrank the segment meanwhile: what is gone cannot be copied. */
                if (k == 0)
                        return fail(name, -EIO);
                r = write_all(STDOUT_FILENO, buf, (size_t) k);
                if (r < 0)
                        return fail("stdout", r);
                off += (uint64_t) k;
                left -= (uint64_t) k;
        }
        return 0;
}

static void format_user(char *buf, size_t size, uint32_t uid)
{
        struct passwd *pw = getpwuid((uid_t) uid);

        if (pw)
                snprintf(buf, size, "%s", pw->pw_name);
        else
                snprintf(buf, size, "%" PRIu32, uid);
}

static void format_group(char *buf, size_t size, uint32_t gid)
{
        struct group *gr = getgrgid((gid_t) gid);

        if (gr)
                snprintf(buf, size, "%s", gr->gr_name);
        else
                snprintf(buf, size, "%" PRIu32, gid);
}

static void format_perm(char *buf, uint32_t perm)
{
        buf[0] = (perm & 4) ? 'r' : '-';
        buf[1] = (perm & 2) ? 'w' : '-';
        buf[2] = (perm & 1) ? 'x' : '-';
        buf[3] = '\0';
}

static void print_acl_entry(const struct shmb_acl_entry *e)
{
        char who[256], perm[4];

        format_perm(perm, e->perm);
        switch (e->tag) {
        case SHMB_ACL_USER_OBJ:
                printf("user::%s\n", perm);
                break;
        case SHMB_ACL_USER:
                format_user(who, sizeof(who), e->id);
                printf("user:%s:%s\n", who, perm);
                break;
        case SHMB_ACL_GROUP_OBJ:
                printf("group::%s\n", perm);
                break;
        case SHMB_ACL_GROUP:
                format_group(who, sizeof(who), e->id);
                printf("group:%s:%s\n", who, perm);
                break;
        case SHMB_ACL_MASK:
                printf("mask::%s\n", perm);
                break;
        case SHMB_ACL_OTHER:
                printf("other::%s\n", perm);
                break;
        default:
                /* A tag from a newer broker: show it rather than hide an entry. */
                printf("tag-0x%" PRIx32 ":%" PRIu32 ":%s\n", e->tag, e->id, perm);
                break;
        }
}

static const char *backend_name(uint32_t backend)
{
        switch (backend) {
        case SHMB_BACKEND_SHM:
                return "shm";
        case SHMB_BACKEND_MEMFD:
                return "memfd";
        default:
                return NULL;
        }
}

static int cmd_stat(struct shmb_client *c, char **args)
{
        const char *name = args[0];
        struct shmb_stat st;
        char who[256], rights[32] = "";
        const char *b;
        uint32_t i;
        int r;

        r = shmb_stat(c, name, &st);
        if (r < 0)
                return fail(name, r);

        if (st.rights & SHMB_RIGHT_READ)
                strcat(rights, " read");
        if (st.rights & SHMB_RIGHT_WRITE)
                strcat(rights, " write");
        if (st.rights & SHMB_RIGHT_CREATE)
                strcat(rights, " create");

        /* The broker's canonical form: "/x" and "x" are the same segment. */
        printf("name:    %s\n", name[0] == '/' ? name + 1 : name);
        printf("size:    %" PRIu64 "\n", st.size);
        format_user(who, sizeof(who), st.uid);
        printf("owner:   %s (%" PRIu32 ")\n", who, st.uid);
        format_group(who, sizeof(who), st.gid);
        printf("group:   %s (%" PRIu32 ")\n", who, st.gid);
        printf("mode:    %04" PRIo32 "\n", st.mode & 07777);
        b = backend_name(st.backend);
        if (b)
                printf("backend: %s\n", b);
        else
                printf("backend: unknown (%" PRIu32 ")\n", st.backend);
        printf("rights:  %s\n", rights[0] ? rights + 1 : "none");
        printf("acl:\n");
        for (i = 0; i < st.n_acl && i < SHMB_ACL_MAX; i++) {
                fputs("  ", stdout);
                print_acl_entry(&st.acl[i]);
        }
        return 0;
}

static int list_one(const char *name, void *userdata)
{
        if (puts(name) == EOF)
                return errno > 0 ? -errno : -EIO;
        return 0;
}

static int cmd_list(struct shmb_client *c, char **args)
{
        int r;

        r = shmb_list(c, list_one, NULL);
        if (r < 0)
                return fail("list", r);
        return 0;
}

static int cmd_unlink(struct shmb_client *c, char **args)
{
        int r;

        r = shmb_unlink(c, args[0]);
        if (r < 0)
                return fail(args[0], r);
        return 0;
}

/*
 * exec: args holds the n_names NAME[:ro|:rw] specs, command the NULL-terminated COMMAND and
 * its arguments. The client is consumed: the socket is closed before COMMAND runs.
 */
static int cmd_exec(struct shmb_client *c, char **args, size_t n_names, char **command)
{
        _cleanup_(freep) int *fds = NULL;
        _cleanup_(freep) char *joined = NULL;
        char count[32];
        size_t i, total = 0;
        int r;

        fds = malloc(n_names * sizeof(int));
        if (!fds)
                return fail("exec", -ENOMEM);
        for (i = 0; i < n_names; i++)
                fds[i] = -1;

        for (i = 0; i < n_names; i++) {
                char *name = args[i];
                size_t len = strlen(name);
                int access = SHMB_ACCESS_ANY;

                if (len >= 3 && strcmp(name + len - 3, ":ro") == 0)
                        access = SHMB_ACCESS_RDONLY;
                else if (len >= 3 && strcmp(name + len - 3, ":rw") == 0)
                        access = SHMB_ACCESS_RDWR;
                if (access != SHMB_ACCESS_ANY)
                        name[len - 3] = '\0';
                /* ':' separates names in SHMBROKER_NAMES, as in LISTEN_FDNAMES. */
                r = strchr(name, ':') ? -EINVAL : shmb_open(c, name, access, &fds[i], NULL);
                if (r < 0) {
                        shmb_client_free(c);
                        return fail(name, r);
                }
                total += strlen(name) + 1;
        }
        shmb_client_free(c);

        joined = malloc(total);
        if (!joined)
                return fail("exec", -ENOMEM);
        joined[0] = '\0';
        for (i = 0; i < n_names; i++) {
                if (i > 0)
                        strcat(joined, ":");
                strcat(joined, args[i]);
        }
        snprintf(count, sizeof(count), "%zu", n_names);
        if (setenv("SHMBROKER_FDS", count, 1) < 0 || setenv("SHMBROKER_NAMES", joined, 1) < 0)
                return fail("exec", -errno);

        /*
         * Move the fds to 3, 4, ... without clobbering one another: first out of the way,
         * above every target slot (keeping CLOEXEC), then dup2() down, which clears CLOEXEC on
         * the copy only. Whatever else was open on a target slot is replaced.
         */
        for (i = 0; i < n_names; i++) {
                int t = fcntl(fds[i], F_DUPFD_CLOEXEC, (int) (3 + n_names));

                if (t < 0)
                        return fail("exec", -errno);
                safe_close(fds[i]);
                fds[i] = t;
        }
        for (i = 0; i < n_names; i++) {
                if (dup2(fds[i], (int) (3 + i)) < 0)
                        return fail("exec", -errno);
                fds[i] = safe_close(fds[i]);
        }

        fflush(stdout);
        execvp(command[0], command);
        fprintf(stderr, PROG ": %s: %s\n", command[0], strerror(errno));
        return EXIT_EXEC;
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

/* ---------------------------------------------------------------- main */

enum {
        ARG_VERSION = 0x100,
        ARG_SOCKET,
        ARG_SIZE,
        ARG_OFFSET,
        ARG_LENGTH,
};

struct verb {
        const char *name;
        size_t n_args;          /* names after the verb (exec: at least one) */
        unsigned int options;   /* OPT_* allowed */
        int (*run)(struct shmb_client *c, char **args);
};

static const struct verb verbs[] = {
        { "create", 1, OPT_SIZE, cmd_create },
        { "write", 1, OPT_OFFSET, cmd_write },
        { "read", 1, OPT_OFFSET | OPT_LENGTH, cmd_read },
        { "stat", 1, 0, cmd_stat },
        { "list", 0, 0, cmd_list },
        { "unlink", 1, 0, cmd_unlink },
        { "exec", 1, 0, NULL },
};

static const struct option global_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, ARG_VERSION },
        { "socket", required_argument, NULL, ARG_SOCKET },
        {}
};

static const struct option command_options[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, ARG_VERSION },
        { "socket", required_argument, NULL, ARG_SOCKET },
        { "size", required_argument, NULL, ARG_SIZE },
        { "offset", required_argument, NULL, ARG_OFFSET },
        { "length", required_argument, NULL, ARG_LENGTH },
        {}
};

/* Returns -1 to go on, else the exit status. */
static int parse_option(int opt, const struct verb *v)
{
        const char *optname = NULL;
        uint64_t *target = NULL;
        unsigned int flag = 0;

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
                optname = "--size";
                target = &arg_size;
                flag = OPT_SIZE;
                break;
        case ARG_OFFSET:
                optname = "--offset";
                target = &arg_offset;
                flag = OPT_OFFSET;
                break;
        case ARG_LENGTH:
                optname = "--length";
                target = &arg_length;
                flag = OPT_LENGTH;
                break;
        default:
                /* getopt_long() has said what was wrong. */
                return usage_error(NULL);
        }

        if (!v || !(v->options & flag))
                return usage_error("option '%s' does not apply to '%s'", optname, v ? v->name : "");
        if (parse_number(optarg, target) < 0)
                return usage_error("%s: invalid number '%s'", optname, optarg);
        arg_given |= flag;
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
                r = parse_option(opt, NULL);
                if (r >= 0)
                        return r;
        }
        if (optind >= argc)
                return usage_error("missing command");
        for (i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[optind], verbs[i].name) == 0)
                        v = &verbs[i];
        if (!v)
                return usage_error("unknown command '%s'", argv[optind]);

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
                        return usage_error("exec: missing '--' before COMMAND");
                if (end + 1 == rest_argc)
                        return usage_error("exec: missing COMMAND");
        }
        /*
         * '-': positional arguments come back in order as opt 1, so options and names mix
         * freely even with POSIXLY_CORRECT set; after a "--" the rest is positional.
         */
        pos = calloc((size_t) end, sizeof(char *));
        if (!pos)
                return fail(v->name, -ENOMEM);
        n_args = 0;
        optind = 0;
        while ((opt = getopt_long(end, rest, "-h", command_options, NULL)) >= 0) {
                if (opt == 1) {
                        pos[n_args++] = optarg;
                        continue;
                }
                r = parse_option(opt, v);
                if (r >= 0)
                        return r;
        }
        while (optind < end)
                pos[n_args++] = rest[optind++];
        if (!v->run) {
                if (n_args < 1)
                        return usage_error("exec: no segment named");
        } else if (n_args != v->n_args) {
                return usage_error(n_args < v->n_args ? "%s: missing NAME" :
                                   "%s: too many arguments", v->name);
        }
        if ((v->options & OPT_SIZE) && !(arg_given & OPT_SIZE))
                return usage_error("%s: missing --size", v->name);

        r = shmb_connect(arg_socket, &c);
        if (r < 0)
                return fail(shmb_socket_path(arg_socket), r);

        if (!v->run)
                return cmd_exec(c, pos, n_args, rest + end + 1);

        r = v->run(c, pos);
        shmb_client_free(c);
        if (r != 0)
                return r;
        if (fflush(stdout) != 0 || ferror(stdout))
                return fail("stdout", errno > 0 ? -errno : -EIO);
        return EXIT_SUCCESS;
}
