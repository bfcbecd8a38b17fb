/* SPDX-License-Identifier: MIT */
/*
 * ctl-table.c - aligned columns for shmbrokerctl's human output (list --long, status,
 * explain): a header row and rows of strings, each column as wide as its widest cell, two
 * blanks between columns, the last column not padded so that no line ends in blanks.
 *
 * Widths count UTF-8 characters, not bytes (names may be UTF-8); cells are expected to be
 * escaped already (ctl_escape()). Not here: what goes in the cells.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

struct ctl_table {
        size_t n_columns;
        size_t n_cells;         /* header cells included */
        size_t cap;
        char **cells;           /* row-major */
};

struct ctl_table *ctl_table_free(struct ctl_table *t)
{
        size_t i;

        if (!t)
                return NULL;
        for (i = 0; i < t->n_cells; i++)
                free(t->cells[i]);
        free(t->cells);
        free(t);
        return NULL;
}

static int table_append(struct ctl_table *t, const char *s)
{
        char *copy;

        if (t->n_cells == t->cap) {
                size_t n = t->cap ? 2 * t->cap : 4 * t->n_columns;
                char **cells = realloc(t->cells, n * sizeof(*cells));

                if (!cells)
                        return -ENOMEM;
                t->cells = cells;
                t->cap = n;
        }
        copy = strdup(s ? s : "");
        if (!copy)
                return -ENOMEM;
        t->cells[t->n_cells++] = copy;
        return 0;
}

/* Appends one row of t->n_columns strings from @ap; on failure, the row is taken out again. */
static int table_append_row(struct ctl_table *t, va_list ap)
{
        size_t start = t->n_cells, i;
        int r = 0;

        for (i = 0; i < t->n_columns && r == 0; i++)
                r = table_append(t, va_arg(ap, const char *));
        if (r < 0) {
                while (t->n_cells > start)
                        free(t->cells[--t->n_cells]);
        }
        return r;
}

struct ctl_table *ctl_table_new(size_t n_columns, ...)
{
        struct ctl_table *t;
        va_list ap;
        int r;

        if (n_columns == 0)
                return NULL;
        t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        t->n_columns = n_columns;
        va_start(ap, n_columns);
        r = table_append_row(t, ap);
        va_end(ap);
        if (r < 0)
                return ctl_table_free(t);
        return t;
}

int ctl_table_add(struct ctl_table *t, ...)
{
        va_list ap;
        int r;

        va_start(ap, t);
        r = table_append_row(t, ap);
        va_end(ap);
        return r;
}

/* Characters in @s: bytes that do not continue a UTF-8 sequence. */
static size_t text_width(const char *s)
{
        size_t n = 0;

        for (; *s; s++)
                if (((unsigned char) *s & 0xc0) != 0x80)
                        n++;
        return n;
}

void ctl_table_print(const struct ctl_table *t, bool skip_empty)
{
        _cleanup_(freep) size_t *width = NULL;
        size_t row, col, n_rows = t->n_cells / t->n_columns;

        if (n_rows <= 1 && skip_empty)
                return;
        width = calloc(t->n_columns, sizeof(*width));
        /* Without memory for the widths, one blank between columns still reads. */
        for (row = 0; width && row < n_rows; row++)
                for (col = 0; col < t->n_columns; col++) {
                        size_t w = text_width(t->cells[row * t->n_columns + col]);

                        if (w > width[col])
                                width[col] = w;
                }
        for (row = 0; row < n_rows; row++) {
                for (col = 0; col < t->n_columns; col++) {
                        const char *cell = t->cells[row * t->n_columns + col];

                        fputs(cell, stdout);
                        if (col + 1 == t->n_columns)
                                break;
                        if (width)
                                printf("%*s", (int) (width[col] - text_width(cell) + 2), "");
                        else
                                fputc(' ', stdout);
                }
                fputc('\n', stdout);
        }
}
