/* SPDX-License-Identifier: MIT */
/*
 * policy-load.c - where policy text comes from: a file, the *.conf files of a directory, or a
 * string; and freeing a policy.
 *
 * The daemon reads its policy as root, at start and on every reload, from a directory that
 * others may be able to influence (a symlink to somewhere else, a file swapped while we look).
 * So every file is opened once, non-blocking, and everything is decided on that fd: what it is
 * (fstat, fstatfs), how big, and what it holds. A name is never checked and then opened again,
 * a FIFO or device cannot make us wait, and a pseudo-file (procfs, sysfs: /proc/kmsg) is
 * refused before it is read, since reading one can consume or block. Entries of a directory
 * are opened relative to the directory's fd.
 *
 * Not here: the syntax (policy-parse.c, policy-keys.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "policy-index.h"
#include "policy-parser.h"

#define OPEN_FLAGS (O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)

/* File systems whose files are not data at rest: reading them has effects or waits. */
static bool pseudo_fs(int fd)
{
        static const unsigned long magic[] = {
                PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC,
                SECURITYFS_MAGIC, CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC,
        };
        struct statfs sf;
        size_t i;

        if (fstatfs(fd, &sf) < 0)
                return false;   /* the read decides, then */
        for (i = 0; i < ELEMENTSOF(magic); i++)
                if ((unsigned long) sf.f_type == magic[i])
                        return true;
        return false;
}

static bool is_dev_null(const struct stat *st)
{
        return S_ISCHR(st->st_mode) && st->st_rdev == makedev(1, 3);
}

/*
 * Reads the regular file behind @fd (borrowed), checked on the fd. Returns 0 with the text
 * (malloc'ed, not NUL-terminated) and its length; -EINVAL after recording why not; -ENOMEM.
 */
static int read_fd(struct policy_parser *ps, int fd, const struct stat *st, char **ret_text,
                   size_t *ret_len)
{
        _cleanup_(freep) char *text = NULL;
        size_t size, len = 0;

        if (!S_ISREG(st->st_mode))
                return policy_parser_error_at(ps, 0, "not a regular file");
        if (st->st_size > (off_t) POLICY_FILE_MAX)
                return policy_parser_error_at(ps, 0, "larger than %u bytes", POLICY_FILE_MAX);
        if (pseudo_fs(fd))
                return policy_parser_error_at(ps, 0, "on a pseudo file system (procfs, sysfs, "
                                              "...), not a policy file");

        /* One byte more than the file, so that a file that grew since fstat() is noticed. */
        size = (size_t) st->st_size + 1;
        text = malloc(size);
        if (!text)
                return -ENOMEM;
        for (;;) {
                ssize_t n;

                if (len == size) {
                        char *p;

                        if (size > POLICY_FILE_MAX)
                                return policy_parser_error_at(ps, 0, "larger than %u bytes",
                                                              POLICY_FILE_MAX);
                        size = size * 2 < POLICY_FILE_MAX + 1 ? size * 2 : POLICY_FILE_MAX + 1;
                        p = realloc(text, size);
                        if (!p)
                                return -ENOMEM;
                        text = p;
                }
                n = read(fd, text + len, size - len);
                if (n < 0 && errno == EINTR)
                        continue;
                /* A regular file never says this; whatever does is not one to wait for. */
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return policy_parser_error_at(ps, 0, "reading would block, not a "
                                                      "plain file");
                if (n < 0)
                        return policy_parser_error_at(ps, 0, "cannot read: %s",
                                                      strerror(errno));
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        *ret_text = TAKE_PTR(text);
        *ret_len = len;
        return 0;
}

/* Reads the file behind @fd (borrowed) as @path and parses it. Returns 0 (problems are
 * recorded) or -ENOMEM. */
static int load_fd(struct policy_parser *ps, int fd, const struct stat *st, const char *path)
{
        _cleanup_(freep) char *text = NULL;
        size_t len = 0;
        int r;

        ps->file = path;
        r = read_fd(ps, fd, st, &text, &len);
        if (r == -EINVAL)
                return 0;
        if (r < 0)
                return r;
        return policy_parser_feed(ps, path, text, len);
}

/* Records the error "@what" (": strerror(@error)" if @error) about @path as a whole; returns 0
 * or -ENOMEM. */
static int file_error(struct policy_parser *ps, const char *path, const char *what, int error)
{
        int r;

        ps->file = path;
        r = policy_parser_error_at(ps, 0, "%s%s%s", what, error ? ": " : "",
                                   error ? strerror(error) : "");
        return r == -EINVAL ? 0 : r;
}

static bool conf_name(const char *name)
{
        size_t n = strlen(name);

        /* Hidden files are editor and package manager leftovers, as in systemd's *.d dirs. */
        return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

static int strcmp_ptr(const void *a, const void *b)
{
        /* strcmp(), not strcoll(): the order must not depend on the locale. */
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void names_free(char **v, size_t n)
{
        while (n > 0)
                free(v[--n]);
        free(v);
}

/*
 * The *.conf names in the directory behind @dfd (borrowed), sorted. Entries that say they are
 * directories, FIFOs, sockets or devices are left out unopened, as systemd does; symlinks and
 * regular files are kept, and decided on when opened.
 */
static int list_conf(int dfd, char ***ret, size_t *ret_n)
{
        DIR *d;
        struct dirent *de;
        char **v = NULL;
        size_t n = 0, alloc = 0;
        int fd, r = 0;

        fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                safe_close(fd);
                return r;
        }
        for (;;) {
                errno = 0;
                de = readdir(d);
                if (!de) {
                        r = -errno;
                        break;
                }
                if (!conf_name(de->d_name))
                        continue;
                if (de->d_type != DT_REG && de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
                        continue;
                if (n == alloc) {
                        size_t m = alloc ? alloc * 2 : 16;
                        char **w = reallocarray(v, m, sizeof(*v));

                        if (!w) {
                                r = -ENOMEM;
                                break;
                        }
                        v = w;
                        alloc = m;
                }
                v[n] = strdup(de->d_name);
                if (!v[n]) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        (void) closedir(d);
        if (r < 0) {
                names_free(v, n);
                return r;
        }
        if (n > 0)
                qsort(v, n, sizeof(*v), strcmp_ptr);
        *ret = v;
        *ret_n = n;
        return 0;
}

/*
 * One entry of the directory. Symlinks are followed: a link to a file is read, a link to
 * /dev/null masks the file, as in systemd; a directory is skipped. A dangling link is an
 * error, since skipping it could let a later, wider rule decide; so is anything else that is
 * not a regular file by the time it is opened. Returns 1 for a file read, 0 for none, or
 * -ENOMEM.
 */
static int load_entry(struct policy_parser *ps, int dfd, const char *dir, const char *name)
{
        _cleanup_(freep) char *path = NULL;
        _cleanup_(closep) int fd = -1;
        size_t dir_len = strlen(dir);
        struct stat st;
        int r;

        if (asprintf(&path, "%s%s%s", dir, dir_len > 0 && dir[dir_len - 1] == '/' ? "" : "/",
                     name) < 0)
                return -ENOMEM;
        fd = openat(dfd, name, OPEN_FLAGS);
        if (fd < 0) {
                if (errno == ENOENT)
                        return file_error(ps, path, "dangling symlink or file removed while "
                                          "reading", 0);
                if (errno == ENXIO)     /* a socket */
                        return file_error(ps, path, "not a regular file", 0);
                return file_error(ps, path, "cannot open", errno);
        }
        if (fstat(fd, &st) < 0)
                return file_error(ps, path, "cannot stat", errno);
        if (S_ISDIR(st.st_mode) || is_dev_null(&st))
                return 0;
        r = load_fd(ps, fd, &st, path);
        return r < 0 ? r : 1;
}

/* Returns the number of files read, or -errno when the directory cannot be listed, or on
 * -ENOMEM. Problems with single files are recorded, and the others are read all the same. */
static int load_dir(struct policy_parser *ps, int dfd, const char *dir)
{
        char **names = NULL;
        size_t n = 0, i;
        int r, n_read = 0;

        r = list_conf(dfd, &names, &n);
        if (r < 0)
                return r;
        for (i = 0; i < n && r >= 0; i++) {
                r = load_entry(ps, dfd, dir, names[i]);
                if (r > 0)
                        n_read++;
        }
        names_free(names, n);
        return r < 0 ? r : n_read;
}

/* @path itself: a directory or a file. Once it is open, its problems are errors of the load
 * rather than an -errno. */
static int load_path(struct policy_parser *ps, const char *path)
{
        _cleanup_(closep) int fd = -1;
        struct stat st;
        int r;

        fd = open(path, OPEN_FLAGS);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return load_dir(ps, fd, path);
        if (!S_ISREG(st.st_mode))
                return file_error(ps, path, "not a regular file or directory", 0);
        r = load_fd(ps, fd, &st, path);
        return r < 0 ? r : 1;
}

int policy_load_diags(const char *path, struct policy_diags *diags, struct policy **ret)
{
        struct policy_parser ps;
        int r;

        r = policy_parser_init(&ps, diags);
        if (r >= 0)
                r = load_path(&ps, path);
        return policy_parser_finish(&ps, r, ret, NULL);
}

int policy_load(const char *path, struct policy **ret, char **ret_error)
{
        struct policy_parser ps;
        int r;

        r = policy_parser_init(&ps, NULL);
        if (r >= 0)
                r = load_path(&ps, path);
        return policy_parser_finish(&ps, r, ret, ret_error);
}

int policy_load_text(const char *text, size_t size, const char *origin,
                     struct policy_diags *diags, struct policy **ret)
{
        struct policy_parser ps;
        int r;

        r = policy_parser_init(&ps, diags);
        if (r >= 0)
                r = policy_parser_feed(&ps, origin, text, size);
        return policy_parser_finish(&ps, r, ret, NULL);
}

int policy_load_sources(const struct policy_source *src, size_t n, struct policy_diags *diags,
                        struct policy **ret)
{
        struct policy_parser ps;
        size_t i;
        int r;

        r = policy_parser_init(&ps, diags);
        for (i = 0; i < n && r >= 0; i++)
                r = policy_parser_feed(&ps, src[i].path, src[i].text, src[i].size);
        return policy_parser_finish(&ps, r < 0 ? r : 0, ret, NULL);
}

int policy_load_string(const char *text, const char *origin, struct policy **ret,
                       char **ret_error)
{
        struct policy_parser ps;
        int r;

        r = policy_parser_init(&ps, NULL);
        if (r >= 0)
                r = policy_parser_feed(&ps, origin, text, strlen(text));
        return policy_parser_finish(&ps, r, ret, ret_error);
}

int policy_load_configured(const char *path, struct policy_diags *diags, struct policy **ret,
                           const char **ret_origin)
{
        struct policy *p = NULL;
        int r;

        r = policy_load_diags(path ? path : POLICY_DEFAULT_DIR, diags, &p);
        if (r == -ENOENT && !path)
                r = 0;
        if (r < 0)
                return r;
        if (r > 0 || path) {
                *ret = p;
                *ret_origin = path ? path : POLICY_DEFAULT_DIR;
                return 0;
        }
        /* No --policy, and no *.conf in the default directory. */
        policy_free(p);
        p = NULL;
        r = policy_load_text(policy_default_text, strlen(policy_default_text),
                             POLICY_DEFAULT_ORIGIN, diags, &p);
        if (r < 0)
                return r;
        *ret = p;
        *ret_origin = "the embedded default policy";
        return 0;
}

/**
 * policy_free() - free a policy and everything it owns.
 * @p: the policy, possibly half-built, or NULL.
 *
 * Return: NULL.
 */
struct policy *policy_free(struct policy *p)
{
        size_t i;

        if (!p)
                return NULL;
        policy_index_free(p->index);
        for (i = 0; i < p->n_rules; i++)
                policy_rule_done(&p->rules[i]);
        free(p->rules);
        policy_principals_free(p->admins, p->n_admins);
        for (i = 0; i < p->n_sources; i++) {
                free((char *) p->sources[i].path);
                free((char *) p->sources[i].text);
        }
        free(p->sources);
        free(p);
        return NULL;
}
