/* SPDX-License-Identifier: MIT */
/*
 * appid.c - app id validation; the rule is in appid.h.
 */
#include "appid.h"

static bool element_char(char c)
{
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
}

bool shmb_app_id_valid(const char *s, size_t len)
{
        size_t i, elements = 0;
        bool start = true;      /* at the first character of an element */

        if (!s || len == 0 || len > SHMB_APP_ID_MAX)
                return false;
        for (i = 0; i < len; i++) {
                char c = s[i];

                if (c == '.') {
                        if (start)
                                return false;   /* leading or double dot */
                        start = true;
                        continue;
                }
                if (!element_char(c))
                        return false;
                if (start) {
                        if ((c >= '0' && c <= '9') || c == '-')
                                return false;
                        elements++;
                        start = false;
                }
        }
        /* A trailing dot leaves an element open and empty. */
        return !start && elements >= 2;
}
