/* SPDX-License-Identifier: MIT */
/*
 * policy-default.c - the policy shmbrokerd uses when it is given none.
 *
 * Used when there is neither --policy nor a policy directory. It is ordinary policy text,
 * parsed by policy_load_text() like any file, and documented in shmbroker.conf(5). It only
 * gives every user, and every app of every user, a private prefix; anything else needs a
 * policy written by the administrator.
 *
 * Why app-private comes first, and why the two rules cannot reach each other's objects:
 *  - The first rule whose Names= match decides. "%u-*" also matches every "%u-%a-*" name, so
 *    with user-private first, an app would find user-private deciding its names, and
 *    user-private grants only "*", which matches no app connection: apps would get nothing.
 *  - app-private's patterns hold %a, which matches nothing for a connection on the main
 *    socket (it has no app id). So the user's shell skips app-private and is decided by
 *    user-private for every alice-* name, "alice-org.example.App-x" included; but that name's
 *    object, made by the app under app-private, belongs to app-private, and the broker hands
 *    an object out only to a requester whose deciding rule made it. The shell cannot reach it.
 *  - An app asking for any other alice-* name (its user's plain objects) is decided by
 *    user-private, whose "*" does not match an app connection: denied.
 *  - Apps of one user are told apart by %a; where one app id is another's prefix up to a '-'
 *    ("org.a", "org.a-b"), rule->per_app tells the broker to hand an object only to the app
 *    that created it.
 * The objects are files owned by the user, mode 0600: the user's own programs can open them in
 * /dev/shm as their owner, as they can read anything else the user owns. The sandbox, which
 * has no /dev/shm, is what keeps apps from their user's objects and from each other's.
 */
#include "policy.h"

const char policy_default_text[] =
        "# shmbrokerd's embedded default policy.\n"
        "#\n"
        "# Every app of every user may create, open read-write and unlink\n"
        "# segments named after its user and itself: the app org.example.App\n"
        "# of alice gets alice-org.example.App-*, and nothing else. %a expands\n"
        "# to the app id of a connection on an app socket, and matches nothing\n"
        "# on the main socket; app:* matches every app connection and nothing\n"
        "# else. This rule comes first: the next one's Names= cover these names\n"
        "# too, and would decide them for apps, granting them nothing.\n"
        "[Segment app-private]\n"
        "Names=%u-%a-*\n"
        "Create=app:*\n"
        "ReadWrite=app:*\n"
        "Owner=%u\n"
        "Mode=0600\n"
        "MaxSize=64M\n"
        "Backend=shm\n"
        "\n"
        "# Every user may create, open read-write and unlink segments named after\n"
        "# themselves: alice gets alice-*, and nothing else. %u expands to the\n"
        "# requesting user's name (glob-escaped), so bob asking for alice-data finds\n"
        "# no rule, which is a denial. A uid without a user name gets nothing.\n"
        "# \"*\" matches connections on the main socket only: apps get nothing here,\n"
        "# and an app's objects (made under app-private) are not handed out here.\n"
        "# Caveat: '-' may occur in user names, so alice also matches alice-x-*, the\n"
        "# names of a user called alice-x; see shmbroker.conf(5).\n"
        "[Segment user-private]\n"
        "Names=%u-*\n"
        "Create=*\n"
        "ReadWrite=*\n"
        "# Owned by the user who created it, private to them.\n"
        "Owner=%u\n"
        "Mode=0600\n"
        "MaxSize=64M\n"
        "Backend=shm\n";
