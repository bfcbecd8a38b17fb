/* SPDX-License-Identifier: MIT */
/*
 * ctl-explain.c - "shmbrokerctl explain [--user U] [--app ID] NAME": which rule decides a name
 * for an identity, what each request would get and why, and whether an existing segment would
 * be handed out. The broker decides, with the code it decides requests with; this file only
 * asks and shows the answer.
 *
 * --user is resolved here, in this system's user database: uid, primary gid, supplementary
 * groups (getgrouplist(3), as a login would set them) and name; the broker takes such an
 * identity from its admins only. Asked about oneself, no identity is sent: the broker then
 * uses the one the kernel reports for the connection, which is the truth. Not here: status.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define CELL 512

static const struct {
        const char *human;      /* in the table */
        const char *key;        /* in JSON */
} verbs[SHMB_VERB_MAX] = {
        [SHMB_VERB_CREATE] = { "create", "create" },
        [SHMB_VERB_OPEN_RW] = { "open-rw", "open_rw" },
        [SHMB_VERB_OPEN_RO] = { "open-ro", "open_ro" },
        [SHMB_VERB_UNLINK] = { "unlink", "unlink" },
        [SHMB_VERB_STAT] = { "stat", "stat" },
};

struct who {
        struct shmb_identity id;
        gid_t *groups;
        char *name;
};

static void who_done(struct who *w)
{
        free(w->groups);
        free(w->name);
}

static bool all_digits(const char *s)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

/*
 * Resolves @spec (a user name or a uid) into @w, or sets @ret_self when it is the caller (then
 * no identity is sent). Return: 0, or an exit status after printing why.
 */
static int who_resolve(const char *spec, struct who *w, bool *ret_self)
{
        struct passwd *pw;
        int n = 64;

        if (all_digits(spec)) {
                uint64_t uid;

                /* (uid_t) -1 is nobody's uid; digits beyond 32 bits neither. */
                if (ctl_parse_size(spec, &uid) < 0 || uid >= UINT32_MAX)
                        return ctl_fail_text(spec, "no such user");
                if ((uid_t) uid == geteuid()) {
                        *ret_self = true;
                        return 0;
                }
                errno = 0;
                pw = getpwuid((uid_t) uid);
        } else {
                errno = 0;
                pw = getpwnam(spec);
        }
        if (!pw) {
                /* Not found is errno 0 (or ENOENT, ESRCH...); anything else is a lookup that
                 * failed, and the user may well exist. */
                if (errno == 0 || errno == ENOENT || errno == ESRCH || errno == EBADF ||
                    errno == EPERM)
                        return ctl_fail_text(spec, "no such user");
                return ctl_fail(NULL, spec, -errno);
        }
        if (pw->pw_uid == geteuid()) {
                *ret_self = true;
                return 0;
        }

        w->name = strdup(pw->pw_name);
        if (!w->name)
                return ctl_fail(NULL, spec, -ENOMEM);
        for (;;) {
                int want = n;
                gid_t *g = realloc(w->groups, (size_t) n * sizeof(gid_t));

                if (!g)
                        return ctl_fail(NULL, spec, -ENOMEM);
                w->groups = g;
                if (getgrouplist(w->name, pw->pw_gid, w->groups, &n) >= 0)
                        break;
                /* n now says how many there are; grow to that (at least double, once more). */
                if (n <= want)
                        n = 2 * want;
                if (n > SHMB_GROUPS_MAX)
                        return ctl_fail_text(spec, "in more than %d groups, more than the "
                                             "broker takes", SHMB_GROUPS_MAX);
        }
        w->id = (struct shmb_identity) {
                .uid = pw->pw_uid,
                .gid = pw->pw_gid,
                /* gid_t and uint32_t are the same type on Linux. */
                .groups = (const uint32_t *) w->groups,
                .n_groups = (size_t) n,
                .user_name = w->name,
        };
        return 0;
}

_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is 32 bits");

static void format_result(char *buf, size_t size, int error, int reason)
{
        const char *text = shmb_reason_text(reason);

        if (error == 0)
                snprintf(buf, size, "-");
        else if (text)
                snprintf(buf, size, "%s (%s)", strerror(-error), text);
        else
                snprintf(buf, size, "%s", strerror(-error));
}

static void format_identity(char *buf, size_t size, const struct shmb_explanation *ex)
{
        char name[CELL], app[CELL] = "";

        if (ex->user_name[0])
                ctl_escape(name, sizeof(name), ex->user_name);
        else
                ctl_format_user(name, sizeof(name), ex->uid);
        if (arg_app)
                ctl_escape(app, sizeof(app), arg_app);
        snprintf(buf, size, "%s (%" PRIu32 ")%s%s", name, ex->uid, app[0] ? ", app " : "", app);
}

static int print_explanation(const char *name, const struct shmb_explanation *ex)
{
        _cleanup_(ctl_table_freep) struct ctl_table *t = NULL;
        const char *text;
        char buf[CELL], shown[CELL], who[2 * CELL + 32];
        size_t i;

        t = ctl_table_new(3, "VERB", "RESULT", "WHY");
        if (!t)
                return -ENOMEM;
        for (i = 0; i < SHMB_VERB_MAX; i++) {
                format_result(buf, sizeof(buf), ex->error[i], ex->reason[i]);
                if (ctl_table_add(t, verbs[i].human, ex->error[i] == 0 ? "allowed" : "refused",
                                  buf) < 0)
                        return -ENOMEM;
        }

        ctl_escape(shown, sizeof(shown), name);
        printf("name:      %s\n", shown);
        format_identity(who, sizeof(who), ex);
        printf("identity:  %s\n", who);
        if (ex->flags & SHMB_EXPLAIN_RULE) {
                ctl_escape(buf, sizeof(buf), ex->rule);
                printf("rule:      %s\n", buf);
        } else
                printf("rule:      none (%s)\n", shmb_reason_text(SHMB_REASON_NO_RULE));
        ctl_format_rights(buf, sizeof(buf), ex->rights);
        printf("rights:    %s\n", buf);
        text = shmb_reason_text(ex->object_reason);
        if (!(ex->flags & SHMB_EXPLAIN_OBJECT))
                printf("object:    none%s%s%s\n", text ? " (" : "", text ? text : "",
                       text ? ")" : "");
        else if (ex->flags & SHMB_EXPLAIN_HANDED)
                printf("object:    exists, would be handed out\n");
        else
                printf("object:    exists, would not be handed out%s%s%s\n", text ? " (" : "",
                       text ? text : "", text ? ")" : "");
        printf("\n");
        ctl_table_print(t, false);
        return 0;
}

static struct json_object *json_reason(int reason)
{
        return ctl_json_string(ctl_reason_id(reason));
}

static int json_explanation(const char *name, const struct shmb_explanation *ex)
{
        _cleanup_(json_object_putp) struct json_object *o = json_object_new_object();
        struct json_object *rights, *object, *verbs_o;
        size_t i;

        if (!o)
                return -ENOMEM;
        rights = json_object_new_array();
        object = json_object_new_object();
        verbs_o = json_object_new_object();
        ctl_json_set(o, "name", ctl_json_string(name));
        ctl_json_set(o, "uid", ctl_json_u64(ex->uid));
        /* The broker's name for the identity; it looks names up only when its policy needs
         * them, so else this system's, as the text output shows. */
        ctl_json_set(o, "user", ex->user_name[0] ? ctl_json_string(ex->user_name)
                                                  : ctl_json_string(ctl_user_name(ex->uid)));
        ctl_json_set(o, "app", ctl_json_string_or_null(arg_app));
        ctl_json_set(o, "rule", (ex->flags & SHMB_EXPLAIN_RULE) ? ctl_json_string(ex->rule)
                                                                : NULL);
        ctl_json_set(o, "rights", rights);
        ctl_json_set(o, "detailed", ctl_json_bool(ex->flags & SHMB_EXPLAIN_DETAILED));
        ctl_json_set(o, "object", object);
        ctl_json_set(o, "verbs", verbs_o);
        if (!rights || !object || !verbs_o)
                return -ENOMEM;

        if (ex->rights & SHMB_RIGHT_READ)
                json_object_array_add(rights, ctl_json_string("read"));
        if (ex->rights & SHMB_RIGHT_WRITE)
                json_object_array_add(rights, ctl_json_string("write"));
        if (ex->rights & SHMB_RIGHT_CREATE)
                json_object_array_add(rights, ctl_json_string("create"));

        ctl_json_set(object, "exists", ctl_json_bool(ex->flags & SHMB_EXPLAIN_OBJECT));
        ctl_json_set(object, "handed_out",
                     ctl_json_bool(ex->flags & SHMB_EXPLAIN_HANDED));
        ctl_json_set(object, "reason", json_reason(ex->object_reason));
        ctl_json_set(object, "reason_text",
                     ctl_json_string(shmb_reason_text(ex->object_reason)));

        for (i = 0; i < SHMB_VERB_MAX; i++) {
                struct json_object *v = json_object_new_object();
                int e = ex->error[i];

                if (!v)
                        return -ENOMEM;
                ctl_json_set(verbs_o, verbs[i].key, v);
                ctl_json_set(v, "allowed", ctl_json_bool(e == 0));
                ctl_json_set(v, "errno", e == 0 ? NULL : ctl_json_u64((uint64_t) -e));
                ctl_json_set(v, "error", e == 0 ? NULL : ctl_json_string(ctl_errno_name(e)));
                ctl_json_set(v, "error_text", e == 0 ? NULL : ctl_json_string(strerror(-e)));
                ctl_json_set(v, "reason", json_reason(ex->reason[i]));
                ctl_json_set(v, "reason_text", ctl_json_string(shmb_reason_text(ex->reason[i])));
        }
        return ctl_json_print(o, false);
}

int cmd_explain(struct shmb_client *c, char **args)
{
        const char *name = args[0];
        const char *canon = name[0] == '/' ? name + 1 : name;
        struct who w = {};
        struct shmb_explanation ex;
        bool self = true;
        int r;

        if (arg_user) {
                self = false;
                r = who_resolve(arg_user, &w, &self);
                if (r != 0) {
                        who_done(&w);
                        return r;
                }
        }
        r = shmb_explain(c, name, self ? NULL : &w.id, arg_app, &ex);
        who_done(&w);
        if (r < 0)
                return ctl_fail(c, name, r);
        if (arg_given & OPT_JSON)
                r = json_explanation(canon, &ex);
        else
                r = print_explanation(canon, &ex);
        if (r < 0)
                return ctl_fail(NULL, "stdout", r);
        return 0;
}
