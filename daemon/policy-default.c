/* SPDX-License-Identifier: MIT */
/*
 * policy-default.c - the policy shmbrokerd uses when it is given none.
 *
 * Used when there is neither --policy nor a policy directory. It is ordinary policy text,
 * parsed by policy_load_string() like any file, and documented in shmbroker.conf(5). It only
 * gives every user a private prefix; anything else needs a policy written by the administrator.
 */
#include "policy.h"

const char policy_default_text[] =
        "# shmbrokerd's embedded default policy.\n"
        "#\n"
        "# Every user may create, open read-write and unlink segments named after\n"
        "# themselves: alice gets alice-*, and nothing else. %u expands to the\n"
        "# requesting user's name (glob-escaped), so bob asking for alice-data finds\n"
        "# no rule, which is a denial. A uid without a user name gets nothing.\n"
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
