/* SPDX-License-Identifier: MIT */
/*
 * lifetime.c - track creators and spans, end what is over (see lifetime.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "fdstore.h"
#include "genpage.h"
#include "lifetime.h"
#include "log.h"
#include "macro.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 /* Linux 6.5 */
#endif
#ifndef PIDFS_MAGIC
#define PIDFS_MAGIC 0x50494446 /* Linux 6.9 */
#endif

/* The journal learns of an open at most this often: span / SAVE_FRACTION, at least 1 s. */
#define SAVE_FRACTION 16

struct proc {
        struct hashmap_entry by_pid;
        char key[32];
        struct lifetimes *lt;
        pid_t pid;
        uid_t uid;                      /* whose share of the fd store its entry takes */
        int pidfd;
        uint64_t pidfs_ino;
        uint64_t start;
        struct loop_source *source;
        struct list_node objects;       /* its lifetime=process objects */
        char store_name[64];            /* its fd store entry, or "" */
};

/* A passed pidfd waiting to be claimed by lifetime_track() at start. */
struct lifetime_pending {
        int fd;                         /* -1 once a tracker took it */
        char *name;
};

uint64_t lifetime_now(void)
{
        struct timespec ts;

        (void) clock_gettime(CLOCK_BOOTTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static uint64_t save_slack(const struct object *o)
{
        uint64_t s = o->lifetime.usec / SAVE_FRACTION;

        return s > 1000000u ? s : 1000000u;
}

static int compare_deadline(const struct avl_node *a, const struct avl_node *b)
{
        const struct object *x = container_of(a, struct object, in_expiry);
        const struct object *y = container_of(b, struct object, in_expiry);

        if (x->deadline_usec != y->deadline_usec)
                return x->deadline_usec < y->deadline_usec ? -1 : 1;
        return x->serial < y->serial ? -1 : x->serial > y->serial;
}

int lifetime_init(struct lifetimes *lt, int (*expire)(void *, struct object *, const char *),
                  void *userdata)
{
        *lt = (struct lifetimes) { .expiry = AVL_TREE_INIT(compare_deadline), .expire = expire,
                                   .userdata = userdata };
        list_node_init(&lt->due);
        list_node_init(&lt->retry);
        return hashmap_init(&lt->procs);
}

/* ---- processes ---- */

static uint64_t pidfs_ino(int pidfd)
{
        struct statfs sfs;
        struct stat st;

        if (fstatfs(pidfd, &sfs) < 0 || sfs.f_type != PIDFS_MAGIC || fstat(pidfd, &st) < 0)
                return 0;
        return (uint64_t) st.st_ino;
}

/* Field 22 of /proc/PID/stat (clock ticks after boot), or 0 where /proc does not show it
 * (hidepid=, ProtectProc=invisible). */
static uint64_t proc_start(pid_t pid)
{
        char path[64], buf[1024], *p;
        unsigned long long start;
        ssize_t n;
        int fd, i;

        (void) snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return 0;
        n = read(fd, buf, sizeof(buf) - 1);
        safe_close(fd);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        /* The command name may hold spaces and parentheses: fields start after the last ')'. */
        p = strrchr(buf, ')');
        if (!p)
                return 0;
        for (i = 2; i < 22 && p; i++)
                p = strchr(p + 1, ' ');
        if (!p || sscanf(p + 1, "%llu", &start) != 1)
                return 0;
        return (uint64_t) start;
}

static bool pidfd_exited(int pidfd)
{
        struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

        return poll(&pfd, 1, 0) == 1;
}

static void proc_free(struct proc *p)
{
        hashmap_remove(&p->lt->procs, p->key);
        loop_remove(p->source);
        if (p->store_name[0]) {
                fdstore_remove(p->store_name);
                fdstore_slot_give(p->uid, FDSTORE_SLOT_PIDFD);
        }
        safe_close(p->pidfd);
        free(p);
}

/* @o's life is over (it is in no tree and no tracker any more): it waits in the due list for
 * lifetime_run(), which removes a bounded number per turn of the loop. */
static void queue_end(struct lifetimes *lt, struct object *o, const char *why)
{
        o->flags |= OBJECT_ENDED;
        o->end_why = why;
        genpage_bump(o->name);
        list_append(&lt->due, &o->proc_node);
        lt->n_ended++;
}

static void leave_tree(struct lifetimes *lt, struct object *o)
{
        if (!o->deadline_usec)
                return;
        avl_remove(&lt->expiry, &o->in_expiry);
        o->deadline_usec = 0;
        lt->n_span--;
}

/* Its creator exited: every object it made goes. O(its objects), and no removal here. */
static void proc_exited(struct proc *p, const char *why)
{
        struct lifetimes *lt = p->lt;

        while (!list_empty(&p->objects)) {
                struct object *o = list_entry(p->objects.next, struct object, proc_node);

                list_remove(&o->proc_node);
                o->proc = NULL;
                lt->n_process--;
                leave_tree(lt, o);
                queue_end(lt, o, why);
        }
        proc_free(p);
}

static void proc_dispatch(struct loop_source *source, uint32_t events, void *userdata)
{
        proc_exited(userdata, "its creating process exited");
}

static int proc_watch(struct lifetimes *lt, struct proc *p)
{
        if (!lt->loop || p->source)
                return 0;
        return loop_add(lt->loop, p->pidfd, EPOLLIN, proc_dispatch, p, &p->source);
}

static void proc_store(struct proc *p)
{
        int r;

        /* The slots are for objects first: without one, the creator is checked by pid after
         * a restart (lifetime.h). */
        if (!fdstore_active() || !fdstore_slot_take(p->uid, FDSTORE_SLOT_PIDFD))
                return;
        (void) snprintf(p->store_name, sizeof(p->store_name),
                        FDSTORE_PIDFD_PREFIX "%d-%" PRIu64 "-%" PRIu64, (int) p->pid,
                        p->pidfs_ino, p->start);
        r = fdstore_push(p->pidfd, p->store_name);
        if (r < 0) {
                if (r != -EOPNOTSUPP)
                        log_debug_errno(r, "fd store: cannot keep the pidfd of pid %d, it will be "
                                        "checked by pid after a restart: %m", (int) p->pid);
                p->store_name[0] = '\0';
                fdstore_slot_give(p->uid, FDSTORE_SLOT_PIDFD);
        }
}

/* Trackers are found by what identifies the process: its pidfs inode where the kernel has
 * one (unique per boot, whatever pid namespace the daemon sees it through), else its pid. */
static void key_of(const struct object *o, char *buf, size_t size)
{
        if (o->creator.pidfs_ino)
                (void) snprintf(buf, size, "i%" PRIu64, o->creator.pidfs_ino);
        else
                (void) snprintf(buf, size, "p%d", (int) o->creator.pid);
}

static struct proc *proc_find(struct lifetimes *lt, const struct object *o)
{
        struct hashmap_entry *e;
        char key[32];

        key_of(o, key, sizeof(key));
        e = hashmap_get(&lt->procs, key);
        return e ? container_of(e, struct proc, by_pid) : NULL;
}

/* A new tracker for @pidfd (consumed), the creator of @o. */
static int proc_new(struct lifetimes *lt, const struct object *o, int pidfd,
                    const char *store_name, struct proc **ret)
{
        struct proc *p;
        int r;

        p = calloc(1, sizeof(*p));
        if (!p) {
                safe_close(pidfd);
                return -ENOMEM;
        }
        p->lt = lt;
        p->pid = o->creator.pid;
        p->uid = o->creator.uid;
        p->pidfd = pidfd;
        p->pidfs_ino = o->creator.pidfs_ino;
        p->start = o->creator.start;
        list_node_init(&p->objects);
        key_of(o, p->key, sizeof(p->key));
        p->by_pid.key = p->key;
        r = proc_watch(lt, p);
        if (r < 0) {
                safe_close(pidfd);
                free(p);
                return r;
        }
        hashmap_put(&lt->procs, &p->by_pid);
        if (store_name) {
                /* Back from the store: it holds a slot again. */
                (void) snprintf(p->store_name, sizeof(p->store_name), "%s", store_name);
                fdstore_slot_count(p->uid, FDSTORE_SLOT_PIDFD);
        } else
                proc_store(p);
        *ret = p;
        return 0;
}

int lifetime_creator(struct object *o, int peer_fd, pid_t pid, int *ret_pidfd)
{
        socklen_t len = sizeof(int);
        int pidfd = -1;

        /* The connecting process itself, race-free (Linux 6.5); else by the pid it had at
         * connect time, which is the same process unless it exited since. */
        if (peer_fd < 0 || getsockopt(peer_fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) < 0)
                pidfd = -1;
        if (pidfd < 0 && pid > 0)
                pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd < 0)
                return errno == ESRCH || pid <= 0 ? -ESRCH : -errno;
        (void) fcntl(pidfd, F_SETFD, FD_CLOEXEC);
        if (pidfd_exited(pidfd)) {
                safe_close(pidfd);
                return -ESRCH;
        }
        o->creator.pid = pid;
        o->creator.pidfs_ino = pidfs_ino(pidfd);
        o->creator.start = o->creator.pidfs_ino ? 0 : proc_start(pid);
        /* A peer in another pid namespace (pid 0) on a kernel without pidfs: nothing tells
         * its process from another's, not now and not after a restart. */
        if (pid <= 0 && !o->creator.pidfs_ino) {
                safe_close(pidfd);
                return -EOPNOTSUPP;
        }
        *ret_pidfd = pidfd;
        return 0;
}

static void store_name_of(const struct object *o, char *buf, size_t size)
{
        (void) snprintf(buf, size, FDSTORE_PIDFD_PREFIX "%d-%" PRIu64 "-%" PRIu64,
                        (int) o->creator.pid, o->creator.pidfs_ino, o->creator.start);
}

/*
 * At start: the creator's pidfd, from the fd store (its entry named after the pid and what
 * identifies the process), or opened again by pid and checked. Return: 0 and the pidfd (with
 * @ret_stored set if it came from the store), -ESRCH if the creator is gone, or -errno.
 */
static int reopen_creator(struct lifetimes *lt, const struct object *o, bool *ret_stored,
                          int *ret_pidfd)
{
        char want[64];
        uint64_t ino, start;
        size_t i;
        int fd;

        store_name_of(o, want, sizeof(want));
        for (i = 0; i < lt->n_pending; i++)
                if (lt->pending[i].fd >= 0 && strcmp(lt->pending[i].name, want) == 0) {
                        *ret_stored = true;
                        *ret_pidfd = TAKE_FD(lt->pending[i].fd);
                        return 0;
                }
        *ret_stored = false;
        /* Seen from another pid namespace, and not kept in the store: it cannot be found. */
        if (o->creator.pid <= 0)
                return -ESRCH;
        fd = (int) syscall(SYS_pidfd_open, o->creator.pid, 0);
        if (fd < 0)
                return errno == ESRCH ? -ESRCH : -errno;
        (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
        ino = pidfs_ino(fd);
        if (o->creator.pidfs_ino && ino) {
                if (ino != o->creator.pidfs_ino) {
                        safe_close(fd);
                        return -ESRCH;
                }
        } else if (o->creator.start && (start = proc_start(o->creator.pid))) {
                if (start != o->creator.start) {
                        safe_close(fd);
                        return -ESRCH;
                }
        } else
                log_warning("Object '%s': cannot tell whether pid %d is still the process that "
                            "created it (no fd store entry, and neither its pidfs inode nor its "
                            "start time can be compared); keeping it until pid %d exits.",
                            o->name, (int) o->creator.pid, (int) o->creator.pid);
        *ret_pidfd = fd;
        return 0;
}

void lifetime_take_pidfds(struct lifetimes *lt, struct passed_fd *passed, size_t n)
{
        size_t i;

        lt->pending = calloc(n ? n : 1, sizeof(*lt->pending));
        for (i = 0; i < n; i++) {
                if (!lt->pending) {
                        fdstore_remove(passed[i].name);
                        passed[i].fd = safe_close(passed[i].fd);
                        continue;
                }
                lt->pending[lt->n_pending++] = (struct lifetime_pending) {
                        .fd = passed[i].fd, .name = passed[i].name };
                passed[i].fd = -1;
                passed[i].name = NULL;
        }
}

/* After start-up: a stored pidfd that no object claimed is stale. */
static void pending_drop(struct lifetimes *lt)
{
        size_t i;

        for (i = 0; i < lt->n_pending; i++) {
                if (lt->pending[i].fd >= 0) {
                        fdstore_remove(lt->pending[i].name);
                        safe_close(lt->pending[i].fd);
                }
                free(lt->pending[i].name);
        }
        free(lt->pending);
        lt->pending = NULL;
        lt->n_pending = 0;
}

/* ---- tracking ---- */

static void file_deadline(struct lifetimes *lt, struct object *o)
{
        if (o->last_open_usec == 0)
                o->last_open_usec = o->last_open_saved_usec = lifetime_now();
        o->deadline_usec = o->last_open_usec + o->lifetime.usec;
        avl_insert(&lt->expiry, &o->in_expiry);
        lt->n_span++;
}

static int track_process(struct lifetimes *lt, struct object *o, int pidfd)
{
        struct proc *p = proc_find(lt, o);
        char name[64];
        bool stored = false;
        int r;

        if (pidfd >= 0) {
                /* A create. A tracker of the same pid is this process's, unless it exited and
                 * its pid was given again before its exit was seen. */
                if (p && pidfd_exited(p->pidfd)) {
                        proc_exited(p, "its creating process exited");
                        p = NULL;
                }
                if (p)
                        safe_close(pidfd);
        } else if (p) {
                /* At start, a tracker of the same pid: the same process only if it is
                 * identified alike; else this object's creator is gone. */
                if (p->pidfs_ino != o->creator.pidfs_ino || p->start != o->creator.start)
                        return -ESRCH;
        } else {
                r = reopen_creator(lt, o, &stored, &pidfd);
                if (r < 0)
                        return r;
        }
        if (!p) {
                store_name_of(o, name, sizeof(name));
                if (pidfd_exited(pidfd)) {
                        safe_close(pidfd);
                        /* Died while the daemon was down: the store lets go of it too. */
                        if (stored)
                                fdstore_remove(name);
                        return -ESRCH;
                }
                r = proc_new(lt, o, pidfd, stored ? name : NULL, &p);
                if (r < 0)
                        return r;
        }
        o->proc = p;
        list_append(&p->objects, &o->proc_node);
        lt->n_process++;
        /* Under a rule whose Lifetime= is a span, that span caps it too. */
        if (o->lifetime.usec > 0)
                file_deadline(lt, o);
        return 0;
}

int lifetime_resume(struct lifetimes *lt, struct object *o)
{
        if (o->lifetime.usec > 0 && o->last_open_usec != 0)
                o->last_open_usec += save_slack(o);
        return lifetime_track(lt, o, -1);
}

int lifetime_track(struct lifetimes *lt, struct object *o, int pidfd)
{
        switch (o->lifetime.kind) {
        case POLICY_LIFETIME_PROCESS:
                return track_process(lt, o, pidfd);
        case POLICY_LIFETIME_SPAN:
                file_deadline(lt, o);
                break;
        case POLICY_LIFETIME_PERSISTENT:
                break;
        }
        safe_close(pidfd);
        return 0;
}

void lifetime_untrack(struct lifetimes *lt, struct object *o)
{
        leave_tree(lt, o);
        if (o->flags & OBJECT_ENDED) {
                /* Waiting for its removal (or for another try): it goes otherwise. */
                list_remove(&o->proc_node);
                o->flags &= ~OBJECT_ENDED;
                lt->n_ended--;
        }
        if (o->proc) {
                struct proc *p = o->proc;

                list_remove(&o->proc_node);
                o->proc = NULL;
                lt->n_process--;
                if (list_empty(&p->objects))
                        proc_free(p);
        }
}

bool lifetime_opened(struct lifetimes *lt, struct object *o)
{
        if (o->lifetime.usec == 0)
                return false;
        o->last_open_usec = lifetime_now();
        if (o->last_open_usec - o->last_open_saved_usec < save_slack(o))
                return false;
        o->last_open_saved_usec = o->last_open_usec;
        return true;
}

size_t lifetime_run(struct lifetimes *lt, size_t budget)
{
        size_t n = 0;

        while (n < budget && !list_empty(&lt->due)) {
                struct object *o = list_entry(lt->due.next, struct object, proc_node);

                n++;
                /* Out of the list while it goes; back in the retry list if it cannot. */
                list_remove(&o->proc_node);
                o->flags &= ~OBJECT_ENDED;
                lt->n_ended--;
                if (lt->expire(lt->userdata, o, o->end_why) < 0) {
                        o->flags |= OBJECT_ENDED;
                        list_append(&lt->retry, &o->proc_node);
                        lt->n_ended++;
                }
        }
        return n;
}

void lifetime_end(struct lifetimes *lt, struct object *o, const char *why)
{
        lifetime_untrack(lt, o);
        queue_end(lt, o, why);
}

bool lifetime_busy(const struct lifetimes *lt)
{
        return !list_empty(&lt->due);
}

void lifetime_tick(struct lifetimes *lt)
{
        uint64_t now = lifetime_now();
        struct avl_node *n;

        if (lt->pending)
                pending_drop(lt);
        /* Removals that failed are tried again, once a second. */
        while (!list_empty(&lt->retry)) {
                struct list_node *r = lt->retry.next;

                list_remove(r);
                list_append(&lt->due, r);
        }
        while ((n = avl_first(&lt->expiry))) {
                struct object *o = container_of(n, struct object, in_expiry);
                uint64_t due = o->last_open_usec + o->lifetime.usec;

                if (o->deadline_usec > now)
                        break;
                avl_remove(&lt->expiry, n);
                if (due > now) {
                        /* Opened since it was filed: back in at its new deadline. */
                        o->deadline_usec = due;
                        avl_insert(&lt->expiry, n);
                        continue;
                }
                o->deadline_usec = 0;
                lt->n_span--;
                /* A process object with a span cap (Lifetime= a span): whichever ends first. */
                if (o->proc) {
                        struct proc *p = o->proc;

                        list_remove(&o->proc_node);
                        o->proc = NULL;
                        lt->n_process--;
                        if (list_empty(&p->objects))
                                proc_free(p);
                }
                queue_end(lt, o, o->lifetime.kind == POLICY_LIFETIME_SPAN
                                         ? "its lifetime ended"
                                         : "its rule's Lifetime= span ended");
        }
}

int lifetime_attach(struct lifetimes *lt, struct loop *loop)
{
        struct hashmap_entry *e, *next;
        size_t i;
        int r;

        lt->loop = loop;
        for (e = hashmap_first(&lt->procs, &i); e; e = next) {
                struct proc *p = container_of(e, struct proc, by_pid);

                next = hashmap_next(&lt->procs, e, &i);
                r = proc_watch(lt, p);
                if (r < 0)
                        return r;
        }
        return 0;
}

void lifetime_deinit(struct lifetimes *lt)
{
        struct hashmap_entry *e;
        size_t i;

        /* The objects stay (a restart takes them back); only the trackers go. Their fd store
         * entries stay too: they are what the next start checks the creators against. */
        while ((e = hashmap_first(&lt->procs, &i))) {
                struct proc *p = container_of(e, struct proc, by_pid);

                while (!list_empty(&p->objects)) {
                        struct object *o = list_entry(p->objects.next, struct object, proc_node);

                        list_remove(&o->proc_node);
                        o->proc = NULL;
                }
                p->store_name[0] = '\0';
                proc_free(p);
        }
        /* Removals not done yet are done at the next start (the same lives are over). */
        while (!list_empty(&lt->retry))
                list_remove(lt->retry.next);
        while (!list_empty(&lt->due))
                list_remove(lt->due.next);
        hashmap_deinit(&lt->procs);
        pending_drop(lt);
}

uint64_t lifetime_deadline(const struct object *o)
{
        if (o->lifetime.kind != POLICY_LIFETIME_SPAN)
                return 0;
        return o->last_open_usec + o->lifetime.usec;
}

bool lifetime_over(const struct object *o)
{
        /* Ended (or its removal begun), or its creator exited and the loop has not seen the
         * pidfd say so yet. */
        if ((o->flags & (OBJECT_ENDED | OBJECT_REMOVING)) || lifetime_creator_gone(o))
                return true;
        /* In the tree: by its last open, not by where it is filed (an open moves that later). */
        return o->deadline_usec != 0 && o->last_open_usec + o->lifetime.usec <= lifetime_now();
}

bool lifetime_creator_gone(const struct object *o)
{
        if (o->lifetime.kind != POLICY_LIFETIME_PROCESS)
                return false;
        /* Ended (its removal queued, or failed and to be tried again), or about to be. */
        return (o->flags & OBJECT_ENDED) || (o->proc && pidfd_exited(o->proc->pidfd));
}
