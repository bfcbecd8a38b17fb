/* SPDX-License-Identifier: MIT */
/*
 * broker.c - the decisions: normalise the name, find the rule, check the rights, ask the
 * backend, and build the reply.
 *
 * The order is fixed and matters: a name is normalised before any policy decision ("x" and
 * "/x" are one object), and the policy is asked before the object directory, so that a caller
 * without rights learns nothing about which names exist.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "acl.h"
#include "audit.h"
#include "broker.h"
#include "fdstore.h"
#include "limits.h"
#include "log.h"
#include "macro.h"
#include "shm.h"

/* What one request is about, once the name and the rule are known. */
struct request_ctx {
        struct broker *b;
        const struct identity *id;
        const struct shmb_proto_request *req;
        char name[SHMB_PROTO_NAME_MAX + 1];
        const struct policy_rule *rule;
        unsigned rights;
        const char *why;        /* set where a refusal needs explaining to the administrator */
};

static const char *request_verb(uint16_t type)
{
        switch (type) {
        case SHMB_PROTO_CREATE:
                return "create";
        case SHMB_PROTO_OPEN:
                return "open";
        case SHMB_PROTO_UNLINK:
                return "unlink";
        case SHMB_PROTO_STAT:
                return "stat";
        case SHMB_PROTO_LIST:
                return "list";
        default:
                return "request";
        }
}

/*
 * Client-triggered failures are logged at most LIMIT_LOG_BURST times per uid and interval, so
 * that a hostile client cannot flood the log. r is a negative errno.
 */
static void log_refusal(const struct request_ctx *c, int level, int r)
{
        char esc[LOG_ESCAPE_MAX];
        unsigned suppressed = 0;

        if (!log_ratelimit_uid(c->id->uid, &suppressed))
                return;
        if (suppressed > 0)
                log_notice("uid=%u: %u messages suppressed", (unsigned) c->id->uid, suppressed);
        /* An invalid name is logged as the client sent it, hence escaped; so is a valid one,
         * which may hold bytes above 0x7f. */
        if (c->name[0])
                log_escape(c->name, strlen(c->name), esc, sizeof(esc));
        else
                log_escape(c->req->name, c->req->name_len, esc, sizeof(esc));
        log_full_errno(level, r, "uid=%u pid=%d: %s '%s' refused%s%s%s: %m",
                       (unsigned) c->id->uid, (int) c->id->pid, request_verb(c->req->type), esc,
                       c->rule ? " by rule '" : "", c->rule ? c->rule->id : "",
                       c->rule ? "'" : "");
        if (c->why)
                log_full_errno(level, r, "uid=%u: '%s': %s", (unsigned) c->id->uid, esc,
                               c->why);
}

/* Records why a request is refused, for the one log line broker_handle() writes. */
static int refuse(struct request_ctx *c, int r, const char *why)
{
        c->why = why;
        return r;
}

static const char *access_name(uint32_t access)
{
        switch (access) {
        case SHMB_PROTO_ACCESS_NONE:
                return "none";
        case SHMB_PROTO_ACCESS_RDONLY:
                return "ro";
        case SHMB_PROTO_ACCESS_RDWR:
                return "rw";
        case SHMB_PROTO_ACCESS_ANY:
                return "any";
        default:
                return "-";
        }
}

/* One audit record per grant: what was handed out, to whom, by which rule. */
static void audit_grant(const struct request_ctx *c, uint32_t access)
{
        audit_record(c->id, request_verb(c->req->type), c->name, access_name(access),
                     c->rule->id, 0);
}

static int encode_error(void *buf, size_t size, uint32_t seq, int r)
{
        return shmb_proto_encode_error(buf, size, seq, r < 0 ? -r : EIO);
}

/* ---- quota: what each uid's objects cost ---- */

/* A shm object this daemon created, charged to its creator until it is unlinked or vanishes. */
struct charge {
        struct hashmap_entry entry;     /* keyed by name */
        char *name;
        uid_t uid;
        uint64_t size;
        dev_t dev;
        ino_t ino;
};

static void charge_free(struct hashmap_entry *e)
{
        struct charge *ch;

        if (!e)
                return;
        ch = container_of(e, struct charge, entry);
        free(ch->name);
        free(ch);
}

static void usage_uncharge(struct broker *b, uid_t uid, uint64_t size)
{
        struct uid_usage *u = usage_get(&b->usage, uid, false);

        if (!u)
                return;
        u->objects -= u->objects > 0;
        u->bytes -= size < u->bytes ? size : u->bytes;
        usage_release(&b->usage, u);
}

/* Forgets a shm object's charge (unlinked, or found gone). */
static void ledger_drop(struct broker *b, const char *name)
{
        struct hashmap_entry *e = hashmap_remove(&b->shm_ledger, name);

        if (!e)
                return;
        usage_uncharge(b, container_of(e, struct charge, entry)->uid,
                       container_of(e, struct charge, entry)->size);
        charge_free(e);
}

/*
 * Objects can vanish behind the daemon's back (someone with write access to the directory,
 * logind's RemoveIPC=). Before refusing a create for quota, drop the charges of those of the
 * uid's objects that are gone.
 */
static void ledger_reconcile(struct broker *b, uid_t uid)
{
        struct hashmap_entry *e, *next;
        size_t i;

        for (e = hashmap_first(&b->shm_ledger, &i); e; e = next) {
                struct charge *ch = container_of(e, struct charge, entry);
                struct stat st;

                next = hashmap_next(&b->shm_ledger, e, &i);
                if (ch->uid != uid)
                        continue;
                if (fstatat(b->shm_dir_fd, ch->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    st.st_dev == ch->dev && st.st_ino == ch->ino)
                        continue;
                usage_uncharge(b, uid, ch->size);
                charge_free(hashmap_remove(&b->shm_ledger, ch->name));
        }
}

static bool over_quota(const struct broker *b, const struct uid_usage *u, uint64_t size)
{
        const struct policy_quota *q = &b->policy->quota;

        if (!u)
                return false;
        return u->objects >= q->max_objects || size > q->max_bytes ||
               u->bytes > q->max_bytes - size;
}

/* May @uid create one more object of @size bytes? */
static int quota_check(struct broker *b, uid_t uid, uint64_t size)
{
        if (!over_quota(b, usage_get(&b->usage, uid, false), size))
                return 0;
        ledger_reconcile(b, uid);
        return over_quota(b, usage_get(&b->usage, uid, false), size) ? -EDQUOT : 0;
}

int broker_charge(struct broker *b, uid_t uid, uint64_t size)
{
        struct uid_usage *u = usage_get(&b->usage, uid, true);

        if (!u)
                return -ENOMEM;
        u->objects++;
        u->bytes += size;
        return 0;
}

static int ledger_add(struct broker *b, const char *name, uid_t uid, uint64_t size,
                      const struct stat *st)
{
        struct charge *ch;
        int r;

        ch = calloc(1, sizeof(*ch));
        if (!ch)
                return -ENOMEM;
        ch->name = strdup(name);
        if (!ch->name) {
                free(ch);
                return -ENOMEM;
        }
        r = broker_charge(b, uid, size);
        if (r < 0) {
                free(ch->name);
                free(ch);
                return r;
        }
        ch->uid = uid;
        ch->size = size;
        ch->dev = st->st_dev;
        ch->ino = st->st_ino;
        ch->entry.key = ch->name;
        /* A stale charge under the same name (the object vanished, the name was reused). */
        ledger_drop(b, name);
        hashmap_put(&b->shm_ledger, &ch->entry);
        return 0;
}

int broker_new(struct policy *policy, int shm_dir_fd, struct broker **ret)
{
        struct broker *b;
        int r;

        b = calloc(1, sizeof(*b));
        if (!b) {
                policy_free(policy);
                safe_close(shm_dir_fd);
                return -ENOMEM;
        }
        b->policy = policy;
        b->shm_dir_fd = shm_dir_fd;
        r = memfd_registry_new(&b->memfds);
        if (r >= 0)
                r = usage_init(&b->usage);
        if (r >= 0)
                r = hashmap_init(&b->shm_ledger);
        if (r < 0) {
                broker_free(b);
                return r;
        }
        *ret = b;
        return 0;
}

struct broker *broker_free(struct broker *b)
{
        if (!b)
                return NULL;
        if (b->shm_ledger.buckets) {
                struct hashmap_entry *e;
                size_t i;

                while ((e = hashmap_first(&b->shm_ledger, &i)))
                        charge_free(hashmap_remove(&b->shm_ledger, e->key));
                hashmap_deinit(&b->shm_ledger);
        }
        usage_deinit(&b->usage);
        memfd_registry_free(b->memfds);
        policy_free(b->policy);
        safe_close(b->shm_dir_fd);
        free(b);
        return NULL;
}

void broker_set_policy(struct broker *b, struct policy *policy)
{
        policy_free(b->policy);
        b->policy = policy;
}

/* Normalises the name and finds the deciding rule. -EACCES when no rule matches. */
static int resolve(struct request_ctx *c)
{
        int r;

        r = shmb_name_normalize(c->req->name, c->req->name_len, c->name);
        if (r < 0) {
                c->name[0] = '\0';
                return r;
        }
        c->rule = policy_match(c->b->policy, c->name, c->id);
        if (!c->rule)
                return -EACCES;
        c->rights = policy_rights(c->rule, c->id);
        return 0;
}

/* Turns the access asked for into the access granted, or -EACCES. */
static int grant_access(const struct request_ctx *c, uint32_t asked, uint32_t *ret)
{
        bool can_read = c->rights & POLICY_RIGHT_READ, can_write = c->rights & POLICY_RIGHT_WRITE;

        switch (asked) {
        case SHMB_PROTO_ACCESS_NONE:
                *ret = SHMB_PROTO_ACCESS_NONE;
                return 0;
        case SHMB_PROTO_ACCESS_RDONLY:
                if (!can_read)
                        return -EACCES;
                *ret = SHMB_PROTO_ACCESS_RDONLY;
                return 0;
        case SHMB_PROTO_ACCESS_RDWR:
                if (!can_write)
                        return -EACCES;
                *ret = SHMB_PROTO_ACCESS_RDWR;
                return 0;
        case SHMB_PROTO_ACCESS_ANY:
                if (can_write)
                        *ret = SHMB_PROTO_ACCESS_RDWR;
                else if (can_read)
                        *ret = SHMB_PROTO_ACCESS_RDONLY;
                else
                        return -EACCES;
                return 0;
        default:
                return -EINVAL;
        }
}

static int access_flags(uint32_t access)
{
        return access == SHMB_PROTO_ACCESS_RDWR ? O_RDWR : O_RDONLY;
}

/*
 * A read-only fd is only as strong as the inode behind it (security.md M5): its owner could
 * fchmod() it, and anyone the inode lets write could reopen it writable through /proc. So a
 * caller the policy does not let write gets no fd of an inode that would let them write.
 * Root can reopen anything whatever we do; the policy still decides what root is handed.
 */
static int check_read_only_safe(struct request_ctx *c, int fd, const struct stat *st)
{
        unsigned inode_access;
        int r;

        if ((c->rights & POLICY_RIGHT_WRITE) || c->id->uid == 0)
                return 0;
        if (st->st_uid == c->id->uid)
                return refuse(c, -EACCES,
                              "a read-only caller owns the object and could make it "
                              "writable; fix the rule's Owner=");
        r = acl_access_fd(fd, st, c->id, &inode_access);
        if (r < 0)
                return r;
        if (inode_access & 2)
                return refuse(c, -EACCES,
                              "the object's mode or ACL lets a read-only caller write; "
                              "fix the rule's Mode= or Group=");
        return 0;
}

/* Objects of a per-user rule go to their owner only (see struct policy_rule). */
static bool owner_may_see(const struct policy_rule *rule, const struct identity *id, uid_t owner)
{
        return !rule->per_user || owner == id->uid;
}

/* Opens a shm object that exists, and checks it is one this rule could have made. */
static int shm_open_checked(struct request_ctx *c, uint32_t access, int *ret_fd,
                            struct stat *ret_st)
{
        _cleanup_(closep) int fd = -1;
        int r;

        r = shm_open_existing(c->b->shm_dir_fd, c->name, (int) access, &fd, ret_st);
        if (r == -ENOENT)
                ledger_drop(c->b, c->name); /* gone behind our back: its charge goes too */
        if (r == -ELOOP || r == -EBADFD)
                return refuse(c, r,
                              "not a regular file with one link; left alone");
        if (r < 0)
                return r;
        if (!policy_owner_plausible(c->rule, c->name, ret_st->st_uid, ret_st->st_gid))
                return refuse(c, -EBADFD,
                              "owned by an owner or group this rule does not give; "
                              "left alone");
        if (!owner_may_see(c->rule, c->id, ret_st->st_uid))
                return refuse(c, -EACCES, "in another user's namespace of a per-user rule");
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int reply_fd(const struct request_ctx *c, int fd, uint64_t size, uint32_t access,
                    uint32_t backend, void *buf, size_t size_buf, int *fds, size_t *ret_n_fds)
{
        struct shmb_proto_fd_reply fr = { .size = size, .access = access, .backend = backend };
        int r;

        r = shmb_proto_encode_fd_reply(buf, size_buf, c->req->seq, &fr);
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        fds[0] = fd;
        *ret_n_fds = 1;
        return r;
}

/*
 * The fd a creator gets back: none, the daemon's own O_RDWR open of the new object (fresh,
 * shared with no one), or a fresh read-only open that passes the read-only checks. *ret_fd is
 * -1 for none. Takes over @fd.
 */
static int shm_handout(struct request_ctx *c, int fd, uint32_t access, const struct stat *st,
                       int *ret_fd)
{
        _cleanup_(closep) int own = fd, ro = -1;
        int r;

        *ret_fd = -1;
        if (access == SHMB_PROTO_ACCESS_NONE)
                return 0;
        if (access == SHMB_PROTO_ACCESS_RDWR) {
                *ret_fd = TAKE_FD(own);
                return 0;
        }
        ro = fd_reopen(own, O_RDONLY);
        if (ro < 0)
                return ro;
        r = check_read_only_safe(c, ro, st);
        if (r < 0)
                return r;
        *ret_fd = TAKE_FD(ro);
        return 0;
}

static int handle_create(struct request_ctx *c, void *buf, size_t size, int *fds,
                         size_t *ret_n_fds)
{
        _cleanup_(closep) int fd = -1, out = -1;
        _cleanup_(freep) struct policy_acl_entry *users = NULL, *groups = NULL;
        uint64_t sz = c->req->size;
        uint32_t access;
        int r;

        if (!(c->rights & POLICY_RIGHT_CREATE))
                return -EACCES;
        r = grant_access(c, c->req->access, &access);
        if (r < 0)
                return r;
        if (sz == 0)
                return -EINVAL;
        if (sz > c->rule->max_size || sz > LIMIT_SIZE_MAX)
                return -EFBIG;
        r = quota_check(c->b, c->id->uid, sz);
        if (r < 0)
                return r;

        if (c->rule->backend == POLICY_BACKEND_MEMFD) {
                struct memfd_object *o;

                r = memfd_create_object(c->b->memfds, c->name, sz, c->id->uid, &o);
                if (r < 0)
                        return r;
                r = broker_charge(c->b, c->id->uid, sz);
                if (r < 0) {
                        (void) memfd_remove(c->b->memfds, c->name);
                        return r;
                }
                if (access != SHMB_PROTO_ACCESS_NONE) {
                        out = fd_reopen(o->fd, access_flags(access));
                        if (out < 0) {
                                usage_uncharge(c->b, c->id->uid, sz);
                                (void) memfd_remove(c->b->memfds, c->name);
                                return out;
                        }
                }
                fdstore_push(o);
                audit_grant(c, access);
                if (out < 0)
                        return shmb_proto_encode_ok(buf, size, c->req->seq);
                return reply_fd(c, TAKE_FD(out), sz, access, SHMB_PROTO_BACKEND_MEMFD, buf,
                                size, fds, ret_n_fds);
        } else {
                struct shm_attrs a = { .size = sz, .mode = c->rule->mode,
                                       .creator = c->id->uid };
                struct stat st;

                r = policy_resolve_owner(c->rule, c->id, &a.uid, &a.gid);
                if (r < 0)
                        return r;
                r = policy_acl_entries(c->rule, &users, &a.n_users, &groups, &a.n_groups);
                if (r < 0)
                        return r;
                a.users = users;
                a.groups = groups;
                r = shm_create(c->b->shm_dir_fd, c->name, &a, &fd, &st);
                if (r < 0)
                        return r;
                r = shm_handout(c, TAKE_FD(fd), access, &st, &out);
                if (r >= 0)
                        r = ledger_add(c->b, c->name, c->id->uid, sz, &st);
                if (r < 0) {
                        /* A create either succeeds whole or leaves nothing behind. */
                        (void) shm_unlink(c->b->shm_dir_fd, c->name, &st);
                        return r;
                }
                audit_grant(c, access);
                if (out < 0)
                        return shmb_proto_encode_ok(buf, size, c->req->seq);
                return reply_fd(c, TAKE_FD(out), sz, access, SHMB_PROTO_BACKEND_SHM, buf,
                                size, fds, ret_n_fds);
        }
}

/* Opens an existing object for the caller: the fd and what it gives. */
static int open_one(struct request_ctx *c, int *ret_fd, struct shmb_proto_fd_reply *ret)
{
        _cleanup_(closep) int fd = -1;
        struct stat st;
        uint32_t access;
        int r;

        r = grant_access(c, c->req->access, &access);
        if (r < 0)
                return r;

        if (c->rule->backend == POLICY_BACKEND_MEMFD) {
                struct memfd_object *o = memfd_lookup(c->b->memfds, c->name);

                if (!o)
                        return -ENOENT;
                if (!owner_may_see(c->rule, c->id, o->creator))
                        return refuse(c, -EACCES,
                                      "in another user's namespace of a per-user rule");
                r = memfd_check_seals(o->fd);
                if (r < 0)
                        return refuse(c, r, "memfd lost its seals");
                fd = fd_reopen(o->fd, access_flags(access));
                if (fd < 0)
                        return fd;
                *ret = (struct shmb_proto_fd_reply) {
                        .size = o->size, .access = access, .backend = SHMB_PROTO_BACKEND_MEMFD,
                };
        } else {
                r = shm_open_checked(c, access, &fd, &st);
                if (r < 0)
                        return r;
                if (access == SHMB_PROTO_ACCESS_RDONLY) {
                        r = check_read_only_safe(c, fd, &st);
                        if (r < 0)
                                return r;
                }
                *ret = (struct shmb_proto_fd_reply) {
                        .size = (uint64_t) st.st_size, .access = access,
                        .backend = SHMB_PROTO_BACKEND_SHM,
                };
        }
        audit_grant(c, access);
        *ret_fd = TAKE_FD(fd);
        return 0;
}

static int handle_open(struct request_ctx *c, void *buf, size_t size, int *fds,
                       size_t *ret_n_fds)
{
        struct shmb_proto_fd_reply fr;
        int fd, r;

        r = open_one(c, &fd, &fr);
        if (r < 0)
                return r;
        return reply_fd(c, fd, fr.size, fr.access, fr.backend, buf, size, fds, ret_n_fds);
}

static int handle_unlink(struct request_ctx *c, void *buf, size_t size)
{
        _cleanup_(closep) int fd = -1;
        struct stat st;
        int r;

        if (!(c->rights & POLICY_RIGHT_CREATE))
                return -EACCES;

        if (c->rule->backend == POLICY_BACKEND_MEMFD) {
                struct memfd_object *o = memfd_lookup(c->b->memfds, c->name);

                if (!o)
                        return -ENOENT;
                if (!owner_may_see(c->rule, c->id, o->creator))
                        return refuse(c, -EACCES,
                                      "in another user's namespace of a per-user rule");
                usage_uncharge(c->b, o->creator, o->size);
                fdstore_remove(o);
                r = memfd_remove(c->b->memfds, c->name);
        } else {
                r = shm_open_checked(c, SHMB_PROTO_ACCESS_RDONLY, &fd, &st);
                if (r < 0)
                        return r;
                r = shm_unlink(c->b->shm_dir_fd, c->name, &st);
                if (r >= 0)
                        ledger_drop(c->b, c->name);
        }
        if (r < 0)
                return r;
        audit_grant(c, SHMB_PROTO_ACCESS_NONE);
        return shmb_proto_encode_ok(buf, size, c->req->seq);
}

static int handle_stat(struct request_ctx *c, void *buf, size_t size)
{
        struct shmb_proto_acl_entry acl[SHMB_PROTO_ACL_MAX];
        struct shmb_proto_stat_reply sr = { .rights = c->rights };
        _cleanup_(closep) int fd = -1;
        struct stat st;
        int r;

        if (c->rights == 0)
                return -ENOENT;

        if (c->rule->backend == POLICY_BACKEND_MEMFD) {
                struct memfd_object *o = memfd_lookup(c->b->memfds, c->name);

                if (!o || !owner_may_see(c->rule, c->id, o->creator))
                        return -ENOENT;
                if (fstat(o->fd, &st) < 0)
                        return -errno;
                r = acl_read_fd(o->fd, acl, ELEMENTSOF(acl));
                sr.backend = SHMB_PROTO_BACKEND_MEMFD;
        } else {
                r = shm_open_checked(c, SHMB_PROTO_ACCESS_RDONLY, &fd, &st);
                if (r < 0)
                        return r;
                r = acl_read_fd(fd, acl, ELEMENTSOF(acl));
                sr.backend = SHMB_PROTO_BACKEND_SHM;
        }
        if (r < 0)
                return r;
        sr.n_acl = (uint32_t) r;
        sr.size = (uint64_t) st.st_size;
        sr.uid = st.st_uid;
        sr.gid = st.st_gid;
        sr.mode = st.st_mode & 07777;
        return shmb_proto_encode_stat_reply(buf, size, c->req->seq, &sr, acl);
}

/* ---- list ---- */

struct name_set {
        char **names;
        size_t n, allocated;
        const char *cursor;
        int error;
};

static void name_set_add(struct name_set *s, const char *name)
{
        char **n;

        if (s->error < 0 || strcmp(name, s->cursor) <= 0)
                return;
        if (s->n == s->allocated) {
                size_t a = s->allocated ? s->allocated * 2 : 64;

                n = reallocarray(s->names, a, sizeof(*n));
                if (!n) {
                        s->error = -ENOMEM;
                        return;
                }
                s->names = n;
                s->allocated = a;
        }
        s->names[s->n] = strdup(name);
        if (!s->names[s->n]) {
                s->error = -ENOMEM;
                return;
        }
        s->n++;
}

static void name_set_deinit(struct name_set *s)
{
        size_t i;

        for (i = 0; i < s->n; i++)
                free(s->names[i]);
        free(s->names);
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* May the caller open this name, and does the rule put it in @backend? */
static bool listable(const struct request_ctx *c, const char *name, enum policy_backend backend,
                     const struct policy_rule **ret_rule)
{
        const struct policy_rule *rule = policy_match(c->b->policy, name, c->id);

        if (!rule || rule->backend != backend)
                return false;
        if (!(policy_rights(rule, c->id) & POLICY_RIGHT_READ))
                return false;
        *ret_rule = rule;
        return true;
}

struct memfd_list_ctx {
        const struct request_ctx *c;
        struct name_set *set;
};

static void list_memfd_one(struct memfd_object *o, void *userdata)
{
        struct memfd_list_ctx *m = userdata;
        const struct policy_rule *rule;

        if (listable(m->c, o->name, POLICY_BACKEND_MEMFD, &rule) &&
            owner_may_see(rule, m->c->id, o->creator))
                name_set_add(m->set, o->name);
}

static int list_shm(const struct request_ctx *c, struct name_set *set)
{
        DIR *d;
        struct dirent *de;
        int r;

        r = shm_dir_stream(c->b->shm_dir_fd, &d);
        if (r < 0)
                return r;
        while ((de = readdir(d))) {
                char canon[SHMB_PROTO_NAME_MAX + 1];
                const struct policy_rule *rule;
                struct stat st;

                if (shmb_name_normalize(de->d_name, strlen(de->d_name), canon) < 0)
                        continue;
                if (!listable(c, canon, POLICY_BACKEND_SHM, &rule))
                        continue;
                if (fstatat(c->b->shm_dir_fd, canon, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                if (!S_ISREG(st.st_mode) || st.st_nlink != 1 ||
                    !policy_owner_plausible(rule, canon, st.st_uid, st.st_gid) ||
                    !owner_may_see(rule, c->id, st.st_uid))
                        continue;
                name_set_add(set, canon);
        }
        (void) closedir(d);
        return set->error;
}

static int handle_list(struct request_ctx *c, void *buf, size_t size)
{
        struct shmb_proto_list_builder lb;
        struct name_set set = {};
        struct memfd_list_ctx m = { .c = c, .set = &set };
        uint32_t flags = 0;
        size_t i;
        int r;

        /* An empty cursor starts the listing; any other must be a valid name. */
        if (c->req->name_len > 0) {
                r = shmb_name_normalize(c->req->name, c->req->name_len, c->name);
                if (r < 0)
                        return r;
        }
        set.cursor = c->name;

        r = list_shm(c, &set);
        if (r >= 0) {
                memfd_foreach(c->b->memfds, list_memfd_one, &m);
                r = set.error;
        }
        if (r < 0)
                goto out;

        if (set.n > 0) /* qsort() of a NULL array is undefined, even for no elements */
                qsort(set.names, set.n, sizeof(*set.names), cmp_names);
        r = shmb_proto_list_begin(&lb, buf, size, c->req->seq);
        for (i = 0; r >= 0 && i < set.n; i++) {
                if (i > 0 && strcmp(set.names[i], set.names[i - 1]) == 0)
                        continue;
                r = shmb_proto_list_append(&lb, set.names[i]);
                if (r == -ENOBUFS) {
                        flags |= SHMB_PROTO_LIST_MORE;
                        r = 0;
                        break;
                }
        }
        if (r >= 0)
                r = shmb_proto_list_finish(&lb, flags);
out:
        name_set_deinit(&set);
        return r;
}

int broker_adopt_shm(struct broker *b)
{
        struct identity owner = { .uid = (uid_t) -1 };
        DIR *d;
        struct dirent *de;
        int r, adopted = 0;

        r = shm_dir_stream(b->shm_dir_fd, &d);
        if (r < 0)
                return r;
        while ((de = readdir(d))) {
                char name[SHMB_PROTO_NAME_MAX + 1];
                const struct policy_rule *rule;
                struct stat st;

                if (shmb_name_normalize(de->d_name, strlen(de->d_name), name) < 0)
                        continue;
                if (fstatat(b->shm_dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                /* Rules may hold %u: ask as the owner, who would be the creator. */
                if (owner.uid != st.st_uid) {
                        identity_deinit(&owner);
                        owner = (struct identity) { .uid = st.st_uid, .gid = st.st_gid };
                        (void) identity_resolve_user_name(&owner); /* ENOMEM: no %u match */
                }
                rule = policy_match(b->policy, name, &owner);
                if (!rule || rule->backend != POLICY_BACKEND_SHM)
                        continue; /* not a name the policy brokers: someone else's */
                if (!S_ISREG(st.st_mode) || st.st_nlink != 1) {
                        log_warning("Object directory: '%s' is not a regular file with one link, "
                                    "leaving it alone.", name);
                        continue;
                }
                if ((st.st_mode & 07777) == 0 && rule->mode != 0 &&
                    (st.st_uid == geteuid() ||
                     policy_owner_plausible(rule, name, st.st_uid, st.st_gid))) {
                        /* Mode 0 is how shm_create() holds an object until its mode and ACL
                         * are set, owned by us before fchown() and by the rule's owner after:
                         * the daemon died between create and publish. */
                        log_warning("Object directory: '%s' was never finished (mode 0), "
                                    "removing it.", name);
                        (void) shm_unlink(b->shm_dir_fd, name, &st);
                        continue;
                }
                if (!policy_owner_plausible(rule, name, st.st_uid, st.st_gid)) {
                        log_warning("Object directory: '%s' is owned by %u:%u, which rule '%s' "
                                    "does not give; leaving it alone.", name,
                                    (unsigned) st.st_uid, (unsigned) st.st_gid, rule->id);
                        continue;
                }
                if (ledger_add(b, name, shm_creator(b->shm_dir_fd, name, &st),
                               (uint64_t) st.st_size, &st) >= 0)
                        adopted++;
        }
        identity_deinit(&owner);
        (void) closedir(d);
        return adopted;
}

/* Denials go to the audit trail; suspicious objects are worth a warning; the rest is what
 * clients expect to hear now and then. */
static void report_refusal(const struct request_ctx *c, int r)
{
        if (r == -EACCES || r == -EPERM || r == -EDQUOT || r == -EFBIG)
                audit_record(c->id, request_verb(c->req->type), c->name[0] ? c->name : "-",
                             access_name(c->req->access), c->rule ? c->rule->id : NULL, r);
        if (c->why)
                log_refusal(c, LOG_WARNING, r);
        else if (r != -ENOENT && r != -EEXIST && r != -EACCES && r != -EDQUOT && r != -EFBIG)
                log_refusal(c, LOG_INFO, r);
}

/*
 * Up to SHMB_PROTO_BATCH_MAX opens in one round trip. Each name is decided on its own, exactly
 * as a single open; a failure affects only its own result.
 */
static int handle_open_batch(struct broker *b, const struct identity *id,
                             const struct shmb_proto_request *req, void *buf, size_t size,
                             int *fds, size_t *ret_n_fds)
{
        struct shmb_proto_batch_result results[SHMB_PROTO_BATCH_MAX] = {};
        struct shmb_proto_request sub;
        size_t i, n_fds = 0;
        int r;

        for (i = 0; i < req->n_items; i++) {
                struct request_ctx c = { .b = b, .id = id, .req = &sub };
                struct shmb_proto_fd_reply fr;
                int fd = -1;

                sub = (struct shmb_proto_request) {
                        .type = SHMB_PROTO_OPEN, .seq = req->seq,
                        .access = req->items[i].access, .name_len = req->items[i].name_len,
                };
                memcpy(sub.name, req->items[i].name, sub.name_len);
                sub.name[sub.name_len] = '\0';

                r = resolve(&c);
                if (r >= 0)
                        r = open_one(&c, &fd, &fr);
                if (r < 0) {
                        report_refusal(&c, r);
                        results[i].error = -r;
                        continue;
                }
                results[i] = (struct shmb_proto_batch_result) {
                        .access = fr.access, .backend = fr.backend, .size = fr.size,
                };
                fds[n_fds++] = fd;
        }
        r = shmb_proto_encode_batch_reply(buf, size, req->seq, results, req->n_items);
        if (r < 0) {
                while (n_fds > 0)
                        safe_close(fds[--n_fds]);
                return r;
        }
        *ret_n_fds = n_fds;
        return r;
}

int broker_handle(struct broker *b, struct identity *id,
                  const struct shmb_proto_request *req, void *buf, size_t size, int *fds,
                  size_t *ret_n_fds)
{
        struct request_ctx c = { .b = b, .id = id, .req = req };
        int r;

        *ret_n_fds = 0;
        if (b->policy->needs_user_names) {
                r = identity_resolve_user_name(id);
                if (r < 0)
                        return encode_error(buf, size, req->seq, r);
        }
        if (req->type == SHMB_PROTO_OPEN_BATCH) {
                r = handle_open_batch(b, id, req, buf, size, fds, ret_n_fds);
                if (r >= 0)
                        return r;
        } else if (req->type == SHMB_PROTO_LIST)
                r = handle_list(&c, buf, size);
        else {
                r = resolve(&c);
                if (r >= 0) {
                        switch (req->type) {
                        case SHMB_PROTO_CREATE:
                                r = handle_create(&c, buf, size, fds, ret_n_fds);
                                break;
                        case SHMB_PROTO_OPEN:
                                r = handle_open(&c, buf, size, fds, ret_n_fds);
                                break;
                        case SHMB_PROTO_UNLINK:
                                r = handle_unlink(&c, buf, size);
                                break;
                        case SHMB_PROTO_STAT:
                                r = handle_stat(&c, buf, size);
                                break;
                        default:
                                r = -EOPNOTSUPP;
                                break;
                        }
                }
        }
        if (r >= 0)
                return r;

        /* stat shows what the caller may open: for anyone else, nothing is there. */
        if (req->type == SHMB_PROTO_STAT && r == -EACCES)
                r = -ENOENT;
        report_refusal(&c, r);
        return encode_error(buf, size, req->seq, r);
}
