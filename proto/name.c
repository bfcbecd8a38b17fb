/* SPDX-License-Identifier: MIT */
/*
 * name.c - the one definition of a valid segment name and its canonical form.
 *
 * The daemon calls this before any policy decision, so "x" and "/x" can never be told apart
 * by a rule. The client library calls it too, to fail early with the same error.
 */
#include <errno.h>
#include <string.h>

#include "protocol.h"

int shmb_name_normalize(const char *raw, size_t len, char *ret)
{
        size_t i;

        /* shm_open(3) names: one optional leading slash, which names the same object. */
        if (len > 0 && raw[0] == '/') {
                raw++;
                len--;
        }
        if (len == 0)
                return -EINVAL;
        if (len > SHMB_PROTO_NAME_MAX)
                return -ENAMETOOLONG;
        if ((len == 1 && raw[0] == '.') || (len == 2 && raw[0] == '.' && raw[1] == '.'))
                return -EINVAL;
        for (i = 0; i < len; i++) {
                unsigned char c = (unsigned char) raw[i];

                /* '/' would leave the object directory; NUL would cut the name short. */
                if (c == '/' || c < 0x20 || c == 0x7f)
                        return -EINVAL;
        }
        memcpy(ret, raw, len);
        ret[len] = '\0';
        return 0;
}
