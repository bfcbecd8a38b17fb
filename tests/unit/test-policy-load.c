/* SPDX-License-Identifier: MIT */
/*
 * test-policy-load.c - unit tests of reading policies from files and directories
 * (daemon/policy-load.c): *.conf order, hidden files, symlinks and masking, errors that name
 * their file, and size limits.
 *
 * Needs no root: it writes only below a fresh directory in $TMPDIR.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "policy-util.h"

struct dir_fixture {
        char dir[4096];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        return remove(path);
}

static int dir_setup(void **state)
{
        struct dir_fixture *f = calloc(1, sizeof(*f));
        const char *tmp = getenv("TMPDIR");

        if (!f)
                return -1;
        (void) snprintf(f->dir, sizeof(f->dir), "%s/test-policy.XXXXXX", tmp ? tmp : "/tmp");
        if (!mkdtemp(f->dir)) {
                free(f);
                return -1;
        }
        *state = f;
        return 0;
}

static int dir_teardown(void **state)
{
        struct dir_fixture *f = *state;

        (void) nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

static char *dir_path(const struct dir_fixture *f, const char *name)
{
        char *path;

        assert_true(asprintf(&path, "%s/%s", f->dir, name) >= 0);
        return path;
}

static void write_file(const struct dir_fixture *f, const char *name, const char *text)
{
        _cleanup_(freep) char *path = dir_path(f, name);
        FILE *file = fopen(path, "we");

        assert_non_null(file);
        assert_int_equal(fputs(text, file) >= 0, 1);
        assert_int_equal(fclose(file), 0);
}

static int load_dir(const struct dir_fixture *f, struct policy **ret, char **ret_error)
{
        return policy_load(f->dir, ret, ret_error);
}

static void test_dir_empty(void **state)
{
        struct dir_fixture *f = *state;
        _cleanup_(policy_freep) struct policy *p = NULL;
        _cleanup_(freep) char *error = NULL, *sub = dir_path(f, "sub.conf");
        struct identity root = ident(0, 0, "root");

        /* Nothing that counts: a README, a hidden file and a directory named like a file. */
        write_file(f, "README", "not a policy\n");
        write_file(f, ".hidden.conf", "not a policy\n");
        write_file(f, "x.conf~", "not a policy\n");
        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(load_dir(f, &p, &error), 0);
        assert_null(error);
        assert_non_null(p);
        assert_int_equal(p->n_rules, 0);
        assert_null(policy_match(p, "root-x", &root));
}

static void test_dir_order(void **state)
{
        struct dir_fixture *f = *state;
        _cleanup_(policy_freep) struct policy *p = NULL;
        _cleanup_(freep) char *error = NULL, *sub = dir_path(f, "subdir"),
                              *subconf = dir_path(f, "25-dir.conf"),
                              *link = dir_path(f, "15-link.conf"),
                              *target = dir_path(f, "subdir/linked"),
                              *masked = dir_path(f, "16-masked.conf");
        _cleanup_(freep) char *a = dir_path(f, "10-a.conf");
        struct identity root = ident(0, 0, "root");

        /* Written out of order; read in strcmp() order: "10-a" < "15-link" < "20-b" < "9-z". */
        write_file(f, "9-z.conf", "[Segment z]\nNames=*\n");
        write_file(f, "20-b.conf", "# b\n[Segment b]\nNames=b-* a-1\n");
        write_file(f, "10-a.conf", "[Segment a]\nNames=a-*\n");
        write_file(f, "30-c.txt", "this is not read\n");
        write_file(f, "30-c.conf.bak", "this is not read\n");
        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(mkdir(subconf, 0755), 0);
        write_file(f, "subdir/linked", "[Segment link]\nNames=l-*\n");
        write_file(f, "subdir/99-inner.conf", "this is not read\n");
        assert_int_equal(symlink(target, link), 0);
        assert_int_equal(symlink("/dev/null", masked), 0);

        assert_int_equal(load_dir(f, &p, &error), 4);
        assert_null(error);
        assert_int_equal(p->n_rules, 4);
        assert_string_equal(p->rules[0].id, "a");
        assert_string_equal(p->rules[0].file, a);
        assert_int_equal(p->rules[0].line, 1);
        assert_string_equal(p->rules[1].id, "link");
        assert_string_equal(p->rules[2].id, "b");
        assert_int_equal(p->rules[2].line, 2);
        assert_string_equal(p->rules[3].id, "z");
        assert_string_equal(match_id(p, "a-1", &root), "a");
        assert_string_equal(match_id(p, "b-1", &root), "b");
        assert_string_equal(match_id(p, "l-1", &root), "link");
        assert_string_equal(match_id(p, "other", &root), "z");

        /* A single file works too, and counts as one. */
        policy_free(TAKE_PTR(p));
        assert_int_equal(policy_load(a, &p, &error), 1);
        assert_int_equal(p->n_rules, 1);
        /* And a trailing slash on the directory changes nothing. */
        {
                _cleanup_(policy_freep) struct policy *q = NULL;
                _cleanup_(freep) char *slash = dir_path(f, "");

                assert_int_equal(policy_load(slash, &q, &error), 4);
                assert_int_equal(q->n_rules, 4);
        }
}

static void expect_dir_error(const struct dir_fixture *f, const char *file, unsigned line,
                             const char *what)
{
        _cleanup_(freep) char *error = NULL, *prefix = NULL;
        struct policy *p = NULL;

        assert_int_equal(load_dir(f, &p, &error), -EINVAL);
        assert_null(p);
        assert_non_null(error);
        if (line > 0)
                assert_true(asprintf(&prefix, "%s/%s:%u: ", f->dir, file, line) >= 0);
        else
                assert_true(asprintf(&prefix, "%s/%s: ", f->dir, file) >= 0);
        if (strncmp(error, prefix, strlen(prefix)) != 0 || !strstr(error, what))
                fail_msg("message '%s', expected '%s...%s'", error, prefix, what);
}

static void test_dir_errors(void **state)
{
        struct dir_fixture *f = *state;
        _cleanup_(freep) char *big = dir_path(f, "50-big.conf"),
                              *dangling = dir_path(f, "60-dangling.conf"),
                              *b = dir_path(f, "20-b.conf"), *msg = NULL;
        int fd;

        write_file(f, "10-a.conf", "[Segment a]\nNames=a-*\n");
        write_file(f, "20-b.conf", "[Segment b]\nNames=b-*\nMode=0777\n");
        /* An error in one file refuses the whole policy and names that file. */
        expect_dir_error(f, "20-b.conf", 3, "Mode=0777");

        /* Duplicate IDs across files. */
        write_file(f, "20-b.conf", "\n[Segment a]\nNames=b-*\n");
        assert_true(asprintf(&msg, "first used at %s/10-a.conf:1", f->dir) >= 0);
        expect_dir_error(f, "20-b.conf", 2, msg);

        /* A section does not continue into the next file. */
        write_file(f, "20-b.conf", "Names=b-*\n");
        expect_dir_error(f, "20-b.conf", 1, "outside");

        /* Too large, without reading 4 MiB of it. */
        assert_int_equal(unlink(b), 0);
        fd = open(big, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (4 << 20) + 1), 0);
        assert_int_equal(close(fd), 0);
        expect_dir_error(f, "50-big.conf", 0, "larger than");
        assert_int_equal(unlink(big), 0);

        /* A dangling symlink must not silently drop rules. */
        assert_int_equal(symlink("/nonexistent/shmb-test", dangling), 0);
        expect_dir_error(f, "60-dangling.conf", 0, "dangling");
}

/*
 * What a directory may hold besides policy files, and what may be swapped in: nothing makes
 * the load wait (a FIFO opened for reading would block without O_NONBLOCK; the alarm turns a
 * hang into a failure), and nothing but regular files is read.
 */
static void test_dir_special(void **state)
{
        struct dir_fixture *f = *state;
        _cleanup_(freep) char *fifo = dir_path(f, "sub/fifo"), *sub = dir_path(f, "sub"),
                              *fifo_conf = dir_path(f, "31-fifo.conf"),
                              *sock_path = dir_path(f, "sub/sock");
        static const struct {
                const char *name;       /* linked to target */
                const char *target;     /* relative to the directory, or absolute */
                const char *what;
        } links[] = {
                { "30-fifo.conf", "sub/fifo", "not a regular file" },
                { "32-zero.conf", "/dev/zero", "not a regular file" },
                { "33-proc.conf", "/proc/self/status", "pseudo file system" },
                { "34-sock.conf", "sub/sock", "not a regular file" },
                { "35-kmsg.conf", "/proc/kmsg", NULL },         /* root only */
        };
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_(closep) int sock = -1;
        size_t i;

        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(mkfifo(fifo, 0644), 0);
        assert_int_equal(mkfifo(fifo_conf, 0644), 0);
        sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(sock >= 0);
        assert_true(strlen(sock_path) < sizeof(sa.sun_path));
        strcpy(sa.sun_path, sock_path);
        assert_int_equal(bind(sock, (struct sockaddr *) &sa, sizeof(sa)), 0);
        write_file(f, "10-a.conf", "[Segment a]\nNames=a-*\n");

        alarm(20);
        /* A FIFO itself is left out unopened, as systemd leaves it. */
        {
                _cleanup_(policy_freep) struct policy *p = NULL;
                _cleanup_(freep) char *error = NULL;

                assert_int_equal(load_dir(f, &p, &error), 1);
                assert_int_equal(p->n_rules, 1);
        }
        for (i = 0; i < ELEMENTSOF(links); i++) {
                _cleanup_(freep) char *link = dir_path(f, links[i].name), *target = NULL;

                if (links[i].target[0] == '/')
                        target = strdup(links[i].target);
                else
                        target = dir_path(f, links[i].target);
                assert_non_null(target);
                assert_int_equal(symlink(target, link), 0);
                if (links[i].what)
                        expect_dir_error(f, links[i].name, 0, links[i].what);
                else if (geteuid() == 0) {
                        /* /proc/kmsg as root: refused unread, so it neither blocks nor
                         * swallows the kernel's messages. */
                        expect_dir_error(f, links[i].name, 0, "pseudo file system");
                }
                assert_int_equal(unlink(link), 0);
        }
        /* --policy naming a FIFO or a device: refused, without waiting. */
        {
                struct policy *p = NULL;
                _cleanup_(freep) char *error = NULL;

                assert_int_equal(policy_load(fifo, &p, &error), -EINVAL);
                assert_null(p);
                assert_non_null(strstr(error, "not a regular file or directory"));
        }
        alarm(0);
}

static void assert_principals_equal(const struct principal *a, size_t na,
                                    const struct principal *b, size_t nb)
{
        size_t i;

        assert_int_equal(na, nb);
        for (i = 0; i < na; i++) {
                assert_int_equal(a[i].kind, b[i].kind);
                assert_int_equal(a[i].id, b[i].id);
                assert_true((a[i].name == NULL) == (b[i].name == NULL));
                if (a[i].name)
                        assert_string_equal(a[i].name, b[i].name);
        }
}

/* Everything a load produces, compared field by field. */
static void assert_policy_equal(const struct policy *a, const struct policy *b)
{
        size_t i, j;

        assert_int_equal(a->n_rules, b->n_rules);
        assert_memory_equal(&a->quota, &b->quota, sizeof(a->quota));
        assert_int_equal(a->needs_user_names, b->needs_user_names);
        assert_int_equal(a->n_sources, b->n_sources);
        for (i = 0; i < a->n_sources; i++) {
                assert_string_equal(a->sources[i].path, b->sources[i].path);
                assert_int_equal(a->sources[i].size, b->sources[i].size);
                assert_memory_equal(a->sources[i].text, b->sources[i].text, a->sources[i].size);
        }
        for (i = 0; i < a->n_rules; i++) {
                const struct policy_rule *x = &a->rules[i], *y = &b->rules[i];

                assert_string_equal(x->id, y->id);
                assert_string_equal(x->file, y->file);
                assert_int_equal(x->line, y->line);
                assert_int_equal(x->n_names, y->n_names);
                for (j = 0; j < x->n_names; j++)
                        assert_string_equal(x->names[j], y->names[j]);
                assert_principals_equal(x->create, x->n_create, y->create, y->n_create);
                assert_principals_equal(x->read_write, x->n_read_write, y->read_write,
                                        y->n_read_write);
                assert_principals_equal(x->read_only, x->n_read_only, y->read_only,
                                        y->n_read_only);
                assert_int_equal(x->owner.kind, y->owner.kind);
                assert_int_equal(x->owner.id, y->owner.id);
                assert_int_equal(x->group.kind, y->group.kind);
                assert_int_equal(x->group.id, y->group.id);
                assert_int_equal(x->mode, y->mode);
                assert_true(x->max_size == y->max_size);
                assert_int_equal(x->backend, y->backend);
                assert_int_equal(x->per_user, y->per_user);
                assert_int_equal(x->per_app, y->per_app);
                assert_int_equal(x->lifetime.kind, y->lifetime.kind);
                assert_true(x->lifetime.usec == y->lifetime.usec);
                assert_true((x->create_refusal == NULL) == (y->create_refusal == NULL));
        }
}

/* A policy keeps the texts it was read from, and they give the same policy again. */
static void test_sources(void **state)
{
        struct dir_fixture *f = *state;
        _cleanup_(policy_freep) struct policy *p = NULL, *q = NULL;
        _cleanup_(freep) char *error = NULL, *a = dir_path(f, "10-a.conf"),
                              *c = dir_path(f, "30-c.conf"), *masked = dir_path(f, "20-m.conf");
        struct policy_diags d = {};
        struct identity alice = ident(1000, 1000, "alice");

        write_file(f, "10-a.conf", "[Quota]\nMaxObjectsPerUser=7\n[Segment a]\nNames=a-*\n"
                   "Create=root no-such-user-shmb\nOwner=%u\nGroup=no-such-group-shmb\n");
        write_file(f, "30-c.conf", "# c\n\n[Segment c]\nNames=%u-*\nReadOnly=@root 7\n"
                   "Mode=0640\nMaxSize=1M\nBackend=memfd\nLifetime=2h\n");
        assert_int_equal(symlink("/dev/null", masked), 0);
        assert_int_equal(load_dir(f, &p, &error), 2);

        /* Only the files read, in order, with their exact bytes. */
        assert_int_equal(p->n_sources, 2);
        assert_string_equal(p->sources[0].path, a);
        assert_string_equal(p->sources[1].path, c);
        assert_int_equal(p->sources[1].size, strlen(p->sources[1].text));
        assert_string_equal(p->sources[1].text, "# c\n\n[Segment c]\nNames=%u-*\n"
                            "ReadOnly=@root 7\nMode=0640\nMaxSize=1M\nBackend=memfd\n"
                            "Lifetime=2h\n");

        /* The files may go; the sources stay enough. */
        assert_int_equal(unlink(a), 0);
        assert_int_equal(unlink(c), 0);
        assert_int_equal(policy_load_sources(p->sources, p->n_sources, &d, &q), 0);
        assert_int_equal(d.n_errors, 0);
        assert_int_equal(d.n_warnings, 3);      /* the unresolved names, and memfd's Mode= */
        assert_policy_equal(p, q);
        assert_string_equal(match_id(q, "alice-x", &alice), "c");
        policy_diags_clear(&d);

        /* Broken sources are refused like broken files, naming the source's path. */
        {
                const struct policy_source bad[] = {
                        { "first.conf", "[Segment x]\nNames=x\n", 20 },
                        { "second.conf", "[Segment x]\nNames=y\nNope=1", 26 },
                };
                struct policy *r = NULL;

                assert_int_equal(policy_load_sources(bad, ELEMENTSOF(bad), &d, &r), -EINVAL);
                assert_null(r);
                assert_int_equal(d.n_errors, 2);
                assert_string_equal(d.items[0].file, "second.conf");
                assert_int_equal(d.items[0].line, 1);
                assert_non_null(strstr(d.items[0].message, "first used at first.conf:1"));
                assert_int_equal(d.items[1].line, 3);
                policy_diags_clear(&d);
        }
        /* No sources: an empty policy. */
        {
                _cleanup_(policy_freep) struct policy *e = NULL;

                assert_int_equal(policy_load_sources(NULL, 0, NULL, &e), 0);
                assert_int_equal(e->n_rules, 0);
                assert_int_equal(e->n_sources, 0);
        }
}

/* The embedded default, round trip: one source, "<default>". */
static void test_sources_default(void **state)
{
        _cleanup_(policy_freep) struct policy *p = NULL, *q = NULL;

        assert_int_equal(policy_load_text(policy_default_text, strlen(policy_default_text),
                                          POLICY_DEFAULT_ORIGIN, NULL, &p), 0);
        assert_int_equal(p->n_sources, 1);
        assert_string_equal(p->sources[0].path, POLICY_DEFAULT_ORIGIN);
        assert_string_equal(p->sources[0].text, policy_default_text);
        assert_int_equal(policy_load_sources(p->sources, p->n_sources, NULL, &q), 0);
        assert_policy_equal(p, q);
}

/* --policy given: that path, whatever it holds; missing, -ENOENT (no fallback to the default). */
static void test_load_configured(void **state)
{
        struct dir_fixture *f = *state;
        _cleanup_(freep) char *a = dir_path(f, "a.conf"), *missing = dir_path(f, "missing"),
                              *empty = dir_path(f, "empty");
        struct policy_diags d = {};
        const char *origin = NULL;
        struct policy *p = NULL;

        write_file(f, "a.conf", "[Segment a]\nNames=a-*\nNames=#x\n");
        assert_int_equal(policy_load_configured(a, &d, &p, &origin), 0);
        assert_ptr_equal(origin, a);
        assert_int_equal(p->n_rules, 1);
        assert_int_equal(d.n_warnings, 1);
        p = policy_free(p);
        policy_diags_clear(&d);

        /* A directory without *.conf given explicitly: an empty policy, not the default. */
        assert_int_equal(mkdir(empty, 0755), 0);
        assert_int_equal(policy_load_configured(empty, &d, &p, &origin), 0);
        assert_ptr_equal(origin, empty);
        assert_int_equal(p->n_rules, 0);
        p = policy_free(p);

        origin = NULL;
        assert_int_equal(policy_load_configured(missing, &d, &p, &origin), -ENOENT);
        assert_null(p);
        assert_null(origin);

        write_file(f, "a.conf", "[Segment a]\nNames=a-*\nNope=1\n");
        assert_int_equal(policy_load_configured(a, &d, &p, &origin), -EINVAL);
        assert_null(p);
        assert_int_equal(d.n_errors, 1);
        policy_diags_clear(&d);
}

static void test_load_missing(void **state)
{
        struct dir_fixture *f = *state;
        _cleanup_(freep) char *missing = dir_path(f, "missing"), *error = NULL;
        struct policy *p = NULL;

        assert_int_equal(policy_load(missing, &p, &error), -ENOENT);
        assert_null(p);
        assert_null(error);
        assert_int_equal(policy_load("/dev/null", &p, &error), -EINVAL);
        assert_null(p);
        assert_non_null(error);
        assert_string_equal(error, "/dev/null: not a regular file or directory");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_dir_empty, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_dir_order, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_dir_errors, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_dir_special, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_sources, dir_setup, dir_teardown),
                cmocka_unit_test(test_sources_default),
                cmocka_unit_test_setup_teardown(test_load_configured, dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_load_missing, dir_setup, dir_teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
