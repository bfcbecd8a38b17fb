/* SPDX-License-Identifier: MIT */
/*
 * policy-load.c - where policy text comes from: a file, the *.conf files of a directory, or a
 * string; and freeing a policy.
 *
 * Not here: the syntax (policy-parse.c, policy-keys.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy-index.h"
#include "policy-parser.h"

/* Reads and parses one regular file. */
static int read_and_parse(struct policy_parser *ps, const char *path)
{
        _cleanup_(closep) int fd = -1;
        _cleanup_(freep) char *text = NULL;
        size_t size, len = 0;
        struct stat st;

        ps->file = path;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        /* Checked again on the open fd: the name may have been swapped since the stat(). */
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return policy_parser_error_at(ps, 0, "not a regular file");
        if (st.st_size > (off_t) POLICY_FILE_MAX)
                return policy_parser_error_at(ps, 0, "larger than %u bytes", POLICY_FILE_MAX);

        /* One byte more than the limit, so that a file that grew since fstat() is noticed. */
        size = (size_t) st.st_size + 1;
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
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        return policy_parser_feed(ps, path, text, len);
}

/* Reads and parses one file. Returns 0 (problems are recorded) or -ENOMEM. */
static int load_file(struct policy_parser *ps, const char *path)
{
        int r = read_and_parse(ps, path);

        if (r >= 0 || r == -ENOMEM)
                return r;
        if (r != -EINVAL)
                r = policy_parser_error_at(ps, 0, "cannot read: %s", strerror(-r));
        return r == -EINVAL ? 0 : r;
}

static int conf_filter(const struct dirent *de)
{
        size_t n = strlen(de->d_name);

        /* Hidden files are editor and package manager leftovers, as in systemd's *.d dirs. */
        return de->d_name[0] != '.' && n > 5 && strcmp(de->d_name + n - 5, ".conf") == 0;
}

static int conf_compare(const struct dirent **a, const struct dirent **b)
{
        /* strcmp(), not alphasort(): the order must not depend on the locale. */
        return strcmp((*a)->d_name, (*b)->d_name);
}

/* Returns the number of files read, or -errno when the directory cannot be listed or on
 * -ENOMEM. Problems with single files are recorded, and the others are read all the same. */
static int load_dir(struct policy_parser *ps, const char *dir)
{
        struct dirent **list = NULL;
        size_t dir_len = strlen(dir);
        int n, i, n_read = 0, r = 0;

        n = scandir(dir, &list, conf_filter, conf_compare);
        if (n < 0)
                return -errno;

        for (i = 0; i < n && r >= 0; i++) {
                _cleanup_(freep) char *path = NULL;
                struct stat st;

                if (asprintf(&path, "%s%s%s", dir, dir_len > 0 && dir[dir_len - 1] == '/' ?
                             "" : "/", list[i]->d_name) < 0) {
                        path = NULL;
                        r = -ENOMEM;
                        break;
                }
                /*
                 * stat() follows symlinks, so a link to a file is read and a link to /dev/null
                 * masks a file, as in systemd. Directories and other non-files are skipped. A
                 * dangling link is an error: skipping it could let a later, wider rule decide.
                 */
                if (stat(path, &st) < 0) {
                        int e = errno;

                        ps->file = path;
                        if (e == ENOENT)
                                r = policy_parser_error_at(ps, 0, "dangling symlink or file "
                                                           "removed while reading");
                        else
                                r = policy_parser_error_at(ps, 0, "cannot read: %s",
                                                           strerror(e));
                        if (r == -EINVAL)
                                r = 0;
                        continue;
                }
                if (!S_ISREG(st.st_mode))
                        continue;
                r = load_file(ps, path);
                if (r >= 0)
                        n_read++;
        }

        for (i = 0; i < n; i++)
                free(list[i]);
        free(list);
        return r < 0 ? r : n_read;
}

/* The path's own problems are errors of the load, not -errno, once it exists. */
static int load_path(struct policy_parser *ps, const char *path)
{
        struct stat st;
        int r;

        if (stat(path, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return load_dir(ps, path);
        if (S_ISREG(st.st_mode)) {
                r = load_file(ps, path);
                return r < 0 ? r : 1;
        }
        ps->file = path;
        r = policy_parser_error_at(ps, 0, "not a regular file or directory");
        return r == -EINVAL ? 0 : r;
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
        free(p);
        return NULL;
}
