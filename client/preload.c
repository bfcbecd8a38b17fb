/* SPDX-License-Identifier: MIT */
/*
 * preload.c - libshmbroker-preload.so: unmodified shm_open(3) programs through the broker.
 *
 * Loaded with LD_PRELOAD, it replaces shm_open(3), shm_unlink(3) and ftruncate(2) (and
 * ftruncate64). shm_open() asks the broker to open the name, or with O_CREAT to create it
 * unsized (SHMB_CREATE_UNSIZED), as POSIX creates a segment at size 0; the first ftruncate()
 * of a segment created so becomes the broker's RESIZE, which reserves and charges the memory,
 * and every other ftruncate() goes to the kernel untouched. fstat(), mmap() and close() need
 * nothing: the program holds the real fd the broker handed out. What each errno means, what
 * differs from glibc and why: libshmbroker-preload(3).
 *
 * The shim is a stranger in someone else's process, so it keeps state of its own (these are
 * its only globals, all guarded by one mutex): one broker connection per process, opened at
 * the first call (nothing runs at load time, so a constructor that calls shm_open() before
 * ours would have run works), dropped in the child after fork() (a shared connection would
 * mix two processes' replies) and after any connection error, and the table of segments
 * created unsized (preload.h). The connection is SOCK_CLOEXEC, so it never reaches a program
 * the process execs. Calls are serialised: a program's threads share the one connection.
 *
 * A program may close our descriptor as one it does not know (closefrom(), close_range()) and
 * get the number for a socket of its own. libshmbroker checks before each request, under our
 * lock like the request itself, that the number is still its socket, and fails with ENOTCONN
 * before sending if not; op_run() then drops the connection (shmb_client_free() leaves a
 * number that is no longer ours open) and sends the request on a new one. The socket stays
 * at the number socket(2) gave it: moving it high would make a reuse rarer, not impossible,
 * and closefrom() closes a high number as well.
 *
 * Not here: the pure rules (names, flags, errno values, the table), which are preload-util.c.
 * It never exits; it writes to stderr only to say once that no broker answers (and, with
 * $SHMBROKER_PRELOAD_DEBUG=1, a line per call).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "macro.h"
#include "preload.h"

/* O_CREAT without O_EXCL: how often to go round "open, else create" while another process
 * removes and creates the name between our two requests. */
#define PRELOAD_OPEN_CREATE_TRIES 8

/*
 * The exported functions. ftruncate and ftruncate64 are defined under their symbol names with
 * the ABI's own offset types (__off_t, __off64_t), because with _FILE_OFFSET_BITS=64 (32-bit
 * builds) <unistd.h> would turn a C definition of ftruncate() into one of ftruncate64().
 */
int preload_ftruncate(int fd, __off_t length) __asm__("ftruncate");
int preload_ftruncate64(int fd, __off64_t length) __asm__("ftruncate64");

/* What we replace, found with dlsym(RTLD_NEXT) once. */
static struct {
        int (*shm_open)(const char *name, int oflag, mode_t mode);
        int (*shm_unlink)(const char *name);
        int (*ftruncate)(int fd, __off_t length);
        int (*ftruncate64)(int fd, __off64_t length);
} real;

/* glibc's own errno values for names it refuses, asked at the first call. */
static struct preload_glibc glibc = PRELOAD_GLIBC_DEFAULTS;

/* From the environment at the first call. */
static bool arg_fallback;       /* $SHMBROKER_PRELOAD_FALLBACK=1 */
static bool arg_debug;          /* $SHMBROKER_PRELOAD_DEBUG=1 */
static unsigned arg_cache;      /* $SHMBROKER_PRELOAD_CACHE=N: the open cache's entries, 0 off */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Guarded by lock. */
static struct shmb_client *client;
static pid_t client_pid;
static bool warned_unreachable;
static struct preload_fresh_table fresh;

/* fresh.n, readable without the lock: ftruncate() of a program that created nothing through
 * us goes straight to the kernel. Written under the lock (release), read with acquire: a
 * thread that was handed a fresh fd by the creating thread sees the entry. */
static size_t fresh_count;

static void debug(const char *fmt, ...) _printf_(1, 2);
static void debug(const char *fmt, ...)
{
        char buf[512];
        va_list ap;
        int n;

        if (!arg_debug)
                return;
        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t) n >= sizeof(buf))
                n = sizeof(buf) - 1;
        (void) dprintf(STDERR_FILENO, "libshmbroker-preload[%d]: %.*s\n", (int) getpid(), n,
                       buf);
}

static bool env_true(const char *name)
{
        const char *e = secure_getenv(name);

        return e && strcmp(e, "1") == 0;
}

/* A count from 1 to SHMB_OPEN_CACHE_MAX, else 0 (anything else is ignored). */
static unsigned env_count(const char *name)
{
        const char *e = secure_getenv(name);
        unsigned long v;
        char *end;

        if (!e || !*e)
                return 0;
        errno = 0;
        v = strtoul(e, &end, 10);
        if (errno != 0 || *end || e[0] == '-' || v > SHMB_OPEN_CACHE_MAX)
                return 0;
        return (unsigned) v;
}

static void atfork_prepare(void)
{
        (void) pthread_mutex_lock(&lock);
}

static void atfork_parent(void)
{
        (void) pthread_mutex_unlock(&lock);
}

/* The child must not talk on its parent's connection: both would read each other's replies.
 * Closing our copy is enough; the parent's stays open. (A number the parent had closed and
 * reused is the program's: shmb_client_free() leaves it open.) */
static void atfork_child(void)
{
        client = shmb_client_free(client);
        (void) pthread_mutex_unlock(&lock);
}

/*
 * Which errno this glibc gives for the names it refuses itself (preload.h): ask it, with names
 * it refuses before any system call could be made of them, so nothing is opened or removed.
 */
static void calibrate(void)
{
        char overlong[NAME_MAX + PRELOAD_GLIBC_NAME_SLACK + 2];
        int fd;

        memset(overlong, 'x', sizeof(overlong) - 1);
        overlong[sizeof(overlong) - 1] = '\0';
        if (real.shm_open) {
                fd = real.shm_open("", O_RDONLY, 0);
                if (fd < 0)
                        glibc.invalid_open = errno;
                else
                        (void) close(fd);
                fd = real.shm_open(overlong, O_RDONLY, 0);
                if (fd < 0)
                        glibc.overlong_open = errno;
                else
                        (void) close(fd);
        }
        if (real.shm_unlink) {
                if (real.shm_unlink("") < 0)
                        glibc.invalid_unlink = errno;
                if (real.shm_unlink(overlong) < 0)
                        glibc.overlong_unlink = errno;
        }
}

static void init(void)
{
        /* Asking glibc sets errno; whatever call brought us here must not see it. */
        int saved_errno = errno;

        real.shm_open = (int (*)(const char *, int, mode_t)) dlsym(RTLD_NEXT, "shm_open");
        real.shm_unlink = (int (*)(const char *)) dlsym(RTLD_NEXT, "shm_unlink");
        real.ftruncate = (int (*)(int, __off_t)) dlsym(RTLD_NEXT, "ftruncate");
        real.ftruncate64 = (int (*)(int, __off64_t)) dlsym(RTLD_NEXT, "ftruncate64");
        calibrate();
        arg_fallback = env_true("SHMBROKER_PRELOAD_FALLBACK");
        arg_debug = env_true("SHMBROKER_PRELOAD_DEBUG");
        arg_cache = env_count("SHMBROKER_PRELOAD_CACHE");
        (void) pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
        errno = saved_errno;
}

/*
 * Entry and exit of every replaced call that does more than pass through: lazy init, no
 * cancellation while the lock may be held (a thread cancelled in recvmsg() would leave it
 * locked for ever; glibc's shm_open() is no cancellation point either), and errno kept as the
 * program left it unless the call fails.
 */
struct call {
        int cancel_state;
        int saved_errno;
};

static void call_enter(struct call *c)
{
        c->saved_errno = errno;
        (void) pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &c->cancel_state);
        (void) pthread_once(&init_once, init);
}

/* Returns @result; sets errno to @error when it is not 0, else back to the program's. */
static int call_leave(struct call *c, int result, int error)
{
        (void) pthread_setcancelstate(c->cancel_state, NULL);
        errno = error ? error : c->saved_errno;
        return result;
}

static void fresh_count_update(void)
{
        __atomic_store_n(&fresh_count, fresh.n, __ATOMIC_RELEASE);
}

/* An entry whose fd was closed, or now names another file, will never be ftruncate()d. */
static bool fresh_stale(const struct preload_fresh *e)
{
        struct stat st;

        return fstat(e->fd, &st) < 0 || st.st_dev != e->dev || st.st_ino != e->ino;
}

/* ---------------------------------------------------------------- the broker, under lock */

enum op_kind { OP_OPEN, OP_CREATE, OP_UNLINK, OP_RESIZE };

struct op {
        enum op_kind kind;
        const char *name;       /* as the broker takes it: no leading '/' */
        int access;             /* OPEN, CREATE */
        uint64_t size;          /* RESIZE */
        int fd;                 /* out: OPEN, CREATE */
        struct shmb_fd_info info;
        int reason;             /* out: the broker's SHMB_REASON_* of a refusal */
        bool connect_failed;    /* out: no connection could be made (the error is connect's) */
};

static int op_send(struct shmb_client *c, struct op *o)
{
        static const struct shmb_create_opts unsized = { .flags = SHMB_CREATE_UNSIZED };

        switch (o->kind) {
        case OP_OPEN:
                return shmb_open(c, o->name, o->access, &o->fd, &o->info);
        case OP_CREATE:
                return shmb_create2(c, o->name, 0, o->access, &unsized, &o->fd, &o->info);
        case OP_UNLINK:
                return shmb_unlink(c, o->name);
        case OP_RESIZE:
                return shmb_resize(c, o->name, o->size);
        }
        return -EINVAL;
}

/* The process's connection, made on first use and after a fork (a child that got here
 * without our atfork handler, through a raw clone(), still holds its parent's). */
static int client_get(struct shmb_client **ret)
{
        pid_t pid = getpid();
        int r;

        if (client && client_pid != pid)
                client = shmb_client_free(client);
        if (!client) {
                r = shmb_connect(NULL, &client);
                if (r < 0)
                        return r;
                client_pid = pid;
                debug("connected to %s", shmb_socket_path(NULL));
                /* Asked for: repeat opens become dup()s of the first (they then share one
                 * open file description). A broker that will not is no error: every open
                 * is asked, as without it. */
                if (arg_cache > 0) {
                        r = shmb_client_set_open_cache(client, arg_cache);
                        debug("open cache of %u: %s", arg_cache, r < 0 ? strerror(-r) : "on");
                }
        }
        *ret = client;
        return 0;
}

/*
 * One request, on the process's connection. A connection that broke is dropped, and the
 * request sent once more on a new one when it surely never reached the broker (the broker
 * restarted while we were idle); otherwise its error stands, since a create or unlink that
 * did arrive must not be done twice.
 */
static int op_run(struct op *o)
{
        int attempt, r = 0;

        o->fd = -1;
        o->reason = SHMB_REASON_NONE;
        o->connect_failed = false;
        for (attempt = 0; attempt < 2; attempt++) {
                struct shmb_client *c;

                r = client_get(&c);
                if (r < 0) {
                        o->connect_failed = true;
                        return r;
                }
                r = op_send(c, o);
                if (r >= 0)
                        return r;
                o->reason = shmb_client_last_reason(c);
                if (!preload_conn_error(r))
                        return r;
                debug("connection lost (%s), dropped", strerror(-r));
                client = shmb_client_free(client);
                if (!preload_conn_retry(r))
                        return r;
        }
        return r;
}

/* The errno for a connection that could not be made, and whether to fall back. */
static int connect_errno(int r, bool *ret_fallback)
{
        *ret_fallback = false;
        if (preload_unreachable(r)) {
                if (arg_fallback) {
                        *ret_fallback = true;
                        debug("no broker at %s (%s): falling back to the real call",
                              shmb_socket_path(NULL), strerror(-r));
                        return 0;
                }
                if (!warned_unreachable) {
                        warned_unreachable = true;
                        (void) dprintf(STDERR_FILENO,
                                       "libshmbroker-preload: no broker at %s (%s): shm_open() "
                                       "and shm_unlink() fail with ENOSYS; "
                                       "SHMBROKER_PRELOAD_FALLBACK=1 uses /dev/shm instead\n",
                                       shmb_socket_path(NULL), strerror(-r));
                }
                return ENOSYS;
        }
        switch (-r) {
        case EACCES:
        case EPERM:
                return EACCES;
        case EMFILE:
        case ENFILE:
        case ENOMEM:
                return -r;
        default:
                return EIO;
        }
}

/* ---------------------------------------------------------------- shm_open */

static int open_existing(struct op *o, int access)
{
        o->kind = OP_OPEN;
        o->access = access;
        return op_run(o);
}

static int create_unsized(struct op *o, int access)
{
        o->kind = OP_CREATE;
        o->access = access;
        return op_run(o);
}

/* Under lock. Returns the fd, or a negative errno value with o->connect_failed set when it
 * is connect's; *ret_created tells whether the segment is new. */
static int broker_shm_open(const char *name, int oflag, int access, struct op *o,
                           bool *ret_created)
{
        bool created = false;
        struct stat st;
        int r, i;

        *o = (struct op) { .name = name };
        if (!(oflag & O_CREAT))
                r = open_existing(o, access);
        else if (oflag & O_EXCL) {
                r = create_unsized(o, access);
                created = r >= 0;
        } else {
                /*
                 * Open it if it is there, else create it. Between the two another process may
                 * create or remove it: go round again, a bounded number of times. A name that
                 * stays "missing" to open and "taken" to create is another creator's object
                 * under a rule that hides it (per user or per app): the name is not ours to
                 * have, EACCES.
                 */
                r = -EACCES;
                for (i = 0; i < PRELOAD_OPEN_CREATE_TRIES; i++) {
                        r = open_existing(o, access);
                        if (r != -ENOENT || o->connect_failed)
                                break;
                        r = create_unsized(o, access);
                        if (r >= 0)
                                created = true;
                        if (r != -EEXIST)
                                break;
                        r = -EACCES;
                }
        }
        if (r < 0)
                return r;

        if (fstat(o->fd, &st) < 0) {
                r = -errno;
                o->fd = safe_close(o->fd);
                return r;
        }
        if (created) {
                if (fresh.n == PRELOAD_FRESH_MAX)
                        (void) preload_fresh_sweep(&fresh, fresh_stale);
                (void) preload_fresh_add(&fresh, o->fd, st.st_dev, st.st_ino, name);
                fresh_count_update();
        } else if ((oflag & O_TRUNC) && st.st_size != 0) {
                /*
                 * O_TRUNC of a segment that holds data: the broker never shrinks a segment
                 * under the others who may have it mapped (they would die of SIGBUS), so this
                 * is refused as POSIX refuses O_TRUNC without write permission. A new or
                 * empty segment is as O_TRUNC would leave it, and is fine.
                 */
                o->fd = safe_close(o->fd);
                return -EACCES;
        }
        *ret_created = created;
        return o->fd;
}

int shm_open(const char *name, int oflag, mode_t mode)
{
        bool created = false, fallback;
        enum preload_name_verdict v;
        struct call call;
        const char *n;
        struct op o;
        int access, r;

        call_enter(&call);
        v = preload_name(name, &n);
        if (v != PRELOAD_NAME_OK)
                return call_leave(&call, -1, preload_name_errno(v, &glibc, false));
        r = preload_access(oflag, &access);
        if (r < 0)
                return call_leave(&call, -1, -r);

        (void) pthread_mutex_lock(&lock);
        r = broker_shm_open(n, oflag, access, &o, &created);
        if (r < 0 && o.connect_failed) {
                int e = connect_errno(r, &fallback);

                (void) pthread_mutex_unlock(&lock);
                if (!fallback)
                        return call_leave(&call, -1, e);
                if (!real.shm_open)
                        return call_leave(&call, -1, ENOSYS);
                r = real.shm_open(name, oflag, mode);
                return call_leave(&call, r, r < 0 ? errno : 0);
        }
        (void) pthread_mutex_unlock(&lock);
        if (r < 0) {
                debug("shm_open('%s', 0%o): %s (reason %d)", n, (unsigned) oflag,
                      strerror(preload_errno_open(r)), o.reason);
                return call_leave(&call, -1, preload_errno_open(r));
        }
        debug("shm_open('%s', 0%o): fd %d, %s, size %llu", n, (unsigned) oflag, r,
              created ? "created unsized" : "opened", (unsigned long long) o.info.size);
        return call_leave(&call, r, 0);
}

/* ---------------------------------------------------------------- shm_unlink */

int shm_unlink(const char *name)
{
        enum preload_name_verdict v;
        struct call call;
        bool fallback;
        const char *n;
        struct op o;
        int r;

        call_enter(&call);
        v = preload_name(name, &n);
        if (v != PRELOAD_NAME_OK)
                return call_leave(&call, -1, preload_name_errno(v, &glibc, true));

        (void) pthread_mutex_lock(&lock);
        o = (struct op) { .kind = OP_UNLINK, .name = n };
        r = op_run(&o);
        if (r < 0 && o.connect_failed) {
                int e = connect_errno(r, &fallback);

                (void) pthread_mutex_unlock(&lock);
                if (!fallback)
                        return call_leave(&call, -1, e);
                if (!real.shm_unlink)
                        return call_leave(&call, -1, ENOSYS);
                r = real.shm_unlink(name);
                return call_leave(&call, r, r < 0 ? errno : 0);
        }
        /* Whatever the name is now, a fresh fd of ours no longer sizes it. */
        if (r >= 0 && preload_fresh_remove_name(&fresh, n) > 0)
                fresh_count_update();
        (void) pthread_mutex_unlock(&lock);
        debug("shm_unlink('%s'): %s", n, r < 0 ? strerror(preload_errno_unlink(r)) : "done");
        if (r < 0)
                return call_leave(&call, -1, preload_errno_unlink(r));
        return call_leave(&call, 0, 0);
}

/* ---------------------------------------------------------------- ftruncate */

static int real_ftruncate(int fd, int64_t length, bool is64)
{
        if (is64 && real.ftruncate64)
                return real.ftruncate64(fd, (__off64_t) length);
        if (!is64 && real.ftruncate)
                return real.ftruncate(fd, (__off_t) length);
        return (int) syscall(SYS_ftruncate, fd, (long) length);
}

/*
 * Under lock, with @e the entry of @fd's segment. Returns 0, a negative errno value, or 1:
 * "let the kernel do it" (the entry is gone then).
 */
static int broker_resize(struct preload_fresh *e, int fd, int64_t length)
{
        struct op o = { .kind = OP_RESIZE, .name = e->name, .size = (uint64_t) length };
        struct stat st;
        int r;

        r = op_run(&o);
        if (r == -EPERM || r == -ENOENT || r == -EACCES) {
                /*
                 * The broker will not size it: someone opened it before this first ftruncate
                 * (EPERM, NOT_FRESH), or the name is gone or now another's (ENOENT; EPERM,
                 * NOT_CREATOR; EACCES where the rule lets us not even create it). The fd is
                 * still the program's: let the kernel decide, as it would have without us (a
                 * sealed memfd answers EPERM).
                 */
                debug("resize '%s': %s, left to the kernel", e->name, strerror(-r));
                preload_fresh_remove(&fresh, e);
                fresh_count_update();
                return 1;
        }
        if (r < 0)
                return o.connect_failed ? -EIO : r;
        preload_fresh_remove(&fresh, e);
        fresh_count_update();
        /* The broker sized what the name names; make sure that is the file the program holds
         * (the name could have been unlinked and made anew in between). */
        if (fstat(fd, &st) < 0)
                return -errno;
        if ((uint64_t) st.st_size != (uint64_t) length)
                return -EIO;
        return 0;
}

static int do_ftruncate(int fd, int64_t length, bool is64)
{
        struct preload_fresh *e;
        struct call call;
        struct stat st;
        int fl, r;

        (void) pthread_once(&init_once, init);
        if (__atomic_load_n(&fresh_count, __ATOMIC_ACQUIRE) == 0)
                return real_ftruncate(fd, length, is64);
        /* Whatever the kernel would refuse (a bad fd, a negative length, a read-only fd:
         * EINVAL as for any read-only file), it refuses itself. */
        fl = fcntl(fd, F_GETFL);
        if (length < 0 || fl < 0 || (fl & O_ACCMODE) == O_RDONLY || fstat(fd, &st) < 0)
                return real_ftruncate(fd, length, is64);

        call_enter(&call);
        (void) pthread_mutex_lock(&lock);
        e = preload_fresh_find(&fresh, st.st_dev, st.st_ino);
        if (!e) {
                (void) pthread_mutex_unlock(&lock);
                (void) call_leave(&call, 0, 0);
                return real_ftruncate(fd, length, is64);
        }
        if (length == 0) {
                /* Unsized is size 0 already; the entry stays for the real size. */
                (void) pthread_mutex_unlock(&lock);
                return call_leave(&call, 0, 0);
        }
        r = broker_resize(e, fd, length);
        (void) pthread_mutex_unlock(&lock);
        if (r == 1) {
                (void) call_leave(&call, 0, 0);
                return real_ftruncate(fd, length, is64);
        }
        debug("ftruncate(%d, %lld): %s", fd, (long long) length,
              r < 0 ? strerror(preload_errno_resize(r)) : "sized by the broker");
        if (r < 0)
                return call_leave(&call, -1, preload_errno_resize(r));
        return call_leave(&call, 0, 0);
}

int preload_ftruncate(int fd, __off_t length)
{
        return do_ftruncate(fd, (int64_t) length, false);
}

int preload_ftruncate64(int fd, __off64_t length)
{
        return do_ftruncate(fd, (int64_t) length, true);
}
