/* SPDX-License-Identifier: Apache-2.0 */
/* debertacl run: pipeline inputs from the options and from the lines of --file. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int run_split(char *s, char sep, int trim, const char ***parts)
{
    int n = 1;
    for (const char *c = s; *c; c++)
        n += *c == sep;
    const char **v = malloc((size_t)n * sizeof *v);
    if (!v)
        return -1;
    int k = 0;
    for (char *start = s;; s++) {
        if (*s && *s != sep)
            continue;
        int end = !*s;
        *s = '\0';
        char *a = start, *b = s;
        if (trim) {
            while (*a && isspace((unsigned char)*a))
                a++;
            while (b > a && isspace((unsigned char)b[-1]))
                *--b = '\0';
        }
        v[k++] = a;
        start = s + 1;
        if (end)
            break;
    }
    *parts = v;
    return k;
}

/* "1, 2,3" (rows separated by "|") into ri->ids: rows of equal length, shorter ones padded with
 * mask 0. Returns 0, -1 (memory) or 1 (bad text; ri->err set). */
static int parse_ids(run_input *ri, const char *ids, const char *types)
{
    char *a = strdup(ids), *b = types ? strdup(types) : NULL;
    const char **rows = NULL, **trows = NULL;
    int n = a ? run_split(a, '|', 1, &rows) : -1, tn = 0, L = 0, rc = 0;
    if (n < 0 || (types && (!b || (tn = run_split(b, '|', 1, &trows)) < 0))) {
        rc = -1;
        goto done;
    }
    if (types && tn != n) {
        snprintf(ri->err, sizeof ri->err, "--types: %d sequences for %d sequences of ids", tn, n);
        rc = 1;
        goto done;
    }
    for (int pass = 0; pass < 2 && !rc; pass++) { /* 1: lengths, 2: values */
        for (int r = 0; r < n && !rc; r++) {
            for (int which = 0; which < (types ? 2 : 1) && !rc; which++) {
                const char *s = which ? trows[r] : rows[r];
                int k = 0;
                while (*s) {
                    char *end;
                    long x = strtol(s, &end, 10);
                    if (end == s || x < -2147483647L || x > 2147483647L) {
                        snprintf(ri->err, sizeof ri->err, "--%s: \"%s\" is not a comma-separated list of integers",
                                 which ? "types" : "ids", which ? trows[r] : rows[r]);
                        rc = 1;
                        break;
                    }
                    if (pass) {
                        size_t o = (size_t)r * L + k;
                        (which ? ri->types : ri->ids)[o] = (int32_t)x;
                        if (!which)
                            ri->mask[o] = 1;
                    }
                    k++;
                    s = end;
                    while (isspace((unsigned char)*s))
                        s++;
                    if (*s == ',')
                        s++;
                    else if (*s) {
                        snprintf(ri->err, sizeof ri->err, "--%s: \"%s\" is not a comma-separated list of integers",
                                 which ? "types" : "ids", which ? trows[r] : rows[r]);
                        rc = 1;
                        break;
                    }
                }
                if (!rc && !pass && k == 0) {
                    snprintf(ri->err, sizeof ri->err, "--ids: an empty sequence");
                    rc = 1;
                }
                if (!pass && !which)
                    L = k > L ? k : L;
                if (!rc && !pass && which && k != 0) { /* types: as many as ids */
                    const char *t = rows[r];
                    int ki = 1;
                    for (; *t; t++)
                        ki += *t == ',';
                    if (ki != k) {
                        snprintf(ri->err, sizeof ri->err, "--types: sequence %d must have %d values", r + 1, ki);
                        rc = 1;
                    }
                }
            }
        }
        if (!pass && !rc) {
            size_t T = (size_t)n * L;
            ri->ids = calloc(T, sizeof *ri->ids);
            ri->types = calloc(T, sizeof *ri->types);
            ri->mask = calloc(T, sizeof *ri->mask);
            if (!ri->ids || !ri->types || !ri->mask)
                rc = -1;
        }
    }
    if (!rc) {
        ri->in.ids = ri->ids;
        ri->in.types = types ? ri->types : NULL;
        ri->in.mask = ri->mask;
        ri->in.n_ids = L;
        ri->in.rows = n;
    }
done:
    free(rows);
    free(trows);
    free(a);
    free(b);
    return rc;
}

void run_input_free(run_input *ri)
{
    free(ri->buf);
    free(ri->items);
    free(ri->ids);
    free(ri->types);
    free(ri->mask);
    memset(ri, 0, sizeof *ri);
}

static int split_items(run_input *ri, char *s, char sep)
{
    int n = run_split(s, sep, sep == ',', &ri->items);
    if (n < 0)
        return -1;
    if (sep == ',') { /* transformers drops empty labels */
        int k = 0;
        for (int i = 0; i < n; i++)
            if (*ri->items[i])
                ri->items[k++] = ri->items[i];
        n = k;
    }
    ri->in.items = ri->items;
    ri->in.n_items = n;
    return 0;
}

/* Fills ri->in from (a, b) text fields of ri->buf for the task. */
static int fill(const run_opts *o, run_input *ri, char *a, char *b)
{
    dcl_pipeline_input *in = &ri->in;
    switch (o->task) {
    case DCL_TASK_QUESTION_ANSWERING:
        if (!b) {
            snprintf(ri->err, sizeof ri->err, "qa lines are \"QUESTION<TAB>CONTEXT\"");
            return 0;
        }
        in->text = a;
        in->pair = b;
        return 0;
    case DCL_TASK_MULTIPLE_CHOICE: /* "PROMPT<TAB>A|B|C" or "A|B|C" */
        in->text = b ? a : NULL;
        return split_items(ri, b ? b : a, '|');
    case DCL_TASK_ZERO_SHOT:
        in->text = a;
        if (b)
            return split_items(ri, b, ',');
        if (!o->labels) {
            snprintf(ri->err, sizeof ri->err, "zero-shot needs --labels \"a,b,c\" (or \"TEXT<TAB>a,b,c\" lines)");
            return 0;
        }
        return 0; /* labels: shared, set by the caller */
    case DCL_TASK_TEXT_CLASSIFICATION:
        if (o->nli && !b) {
            snprintf(ri->err, sizeof ri->err,
                     "nli needs a (premise, hypothesis) pair: --pair A B, or \"A<TAB>B\" lines in --file");
            return 0;
        }
        /* fall through */
    default:
        in->text = a;
        in->pair = b;
        return 0;
    }
}

int run_input_from_options(const run_opts *o, run_input *ri)
{
    memset(ri, 0, sizeof *ri);
    if (o->ids) {
        int rc = parse_ids(ri, o->ids, o->types);
        return rc < 0 ? -1 : 0;
    }
    dcl_pipeline_input *in = &ri->in;
    if (o->pair_a) {
        in->text = o->pair_a;
        in->pair = o->pair_b;
    } else if (o->question) {
        in->text = o->question;
        in->pair = o->context;
    } else {
        in->text = o->text;
    }
    if (o->choices) {
        if (!(ri->buf = strdup(o->choices)))
            return -1;
        return split_items(ri, ri->buf, '|');
    }
    if (o->task == DCL_TASK_ZERO_SHOT && o->labels) {
        if (!(ri->buf = strdup(o->labels)))
            return -1;
        return split_items(ri, ri->buf, ',');
    }
    if (o->nli && !o->pair_a)
        snprintf(ri->err, sizeof ri->err, "nli needs a (premise, hypothesis) pair: --pair A B");
    return 0;
}

int run_input_from_line(const run_opts *o, const char *line, size_t len, int lineno, run_input *ri)
{
    memset(ri, 0, sizeof *ri);
    ri->line = lineno;
    if (!(ri->buf = malloc(len + 1)))
        return -1;
    memcpy(ri->buf, line, len);
    ri->buf[len] = '\0';
    if (o->ids)
        return parse_ids(ri, ri->buf, NULL) < 0 ? -1 : 0;
    if (strlen(ri->buf) != len) {
        snprintf(ri->err, sizeof ri->err, "the line has a NUL byte");
        return 0;
    }
    char *tab = strchr(ri->buf, '\t');
    int whole = o->task == DCL_TASK_FILL_MASK || o->task == DCL_TASK_TOKEN_CLASSIFICATION;
    if (tab && !whole)
        *tab = '\0';
    return fill(o, ri, ri->buf, tab && !whole ? tab + 1 : NULL);
}

int run_input_documents(const run_opts *o, char *text, size_t len, run_input *ri)
{
    memset(ri, 0, sizeof *ri);
    (void)len;
    ri->in.text = o->query;
    int n = run_split(text, '\n', 0, &ri->items);
    if (n < 0)
        return -1;
    int k = 0;
    for (int i = 0; i < n; i++) { /* drop "\r" and empty lines */
        char *d = (char *)ri->items[i];
        size_t l = strlen(d);
        while (l > 0 && d[l - 1] == '\r')
            d[--l] = '\0';
        if (l > 0)
            ri->items[k++] = d;
    }
    ri->in.items = ri->items;
    ri->in.n_items = k;
    return 0;
}
