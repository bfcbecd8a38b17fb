/* SPDX-License-Identifier: MIT */
/*
 * appid.h - the one definition of a valid app id, for the daemon, the client and the tests.
 *
 * An app id names a sandboxed application, reverse-DNS style ("org.example.Viewer"). The rule:
 *
 *   - 1 to SHMB_APP_ID_MAX (255) bytes in all;
 *   - two or more elements separated by single dots: no leading, trailing or double dot;
 *   - each element one or more of the ASCII characters A-Z a-z 0-9 '_' '-';
 *   - no element starts with a digit or a '-'.
 *
 * So "org.example.App", "com.github.some_one.my-app" and "a.b" are valid; "org", ".org.x",
 * "org..x", "org.2x", "org.-x", "org.ex ample" and "org.exämple" are not. This is the D-Bus
 * well-known name syntax without its rarely used leading-digit exceptions, and it accepts every
 * Flatpak app id. An app id holds no glob character, no '/' and no '%'.
 *
 * Pure: no I/O, no allocation.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SHMB_APP_ID_MAX 255

/*
 * shmb_app_id_valid() - is @s (@len bytes, not necessarily NUL-terminated; a NUL among them
 * makes it invalid) a valid app id?
 */
bool shmb_app_id_valid(const char *s, size_t len);
