/* SPDX-License-Identifier: Apache-2.0 */
/* Pipelines: helpers shared by the tasks (strings, result items, rows, encoding an input). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "util.h"

char *pl_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

int pl_blank(const char *s)
{
    for (; *s; s++)
        if (!isspace((unsigned char)*s))
            return 0;
    return 1;
}

size_t pl_cp_byte(const char *s, size_t cp)
{
    size_t i = 0, c = 0;
    for (; s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (c == cp)
                return i;
            c++;
        }
    return i;
}

void pl_sort_items(dcl_result_item *items, int n)
{
    for (int i = 1; i < n; i++) { /* insertion sort: stable, and n is small */
        dcl_result_item x = items[i];
        int j = i - 1;
        while (j >= 0 && items[j].score < x.score) {
            items[j + 1] = items[j];
            j--;
        }
        items[j + 1] = x;
    }
}

dcl_status pl_input_error(pl_state *st, dcl_status status, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (char *c = buf; *c; c++) /* one line */
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    char *e = dcl_strdup(buf);
    if (!e)
        return DCL_ERR_OUT_OF_MEMORY;
    free((char *)st->res->error);
    st->res->error = e;
    st->res->status = status;
    return DCL_OK;
}

dcl_result_item *pl_item_add(dcl_result *r, const char *label, const char *text, float score)
{
    if ((r->count & 15) == 0) {
        dcl_result_item *v = realloc(r->items, (size_t)(r->count + 16) * sizeof *v);
        if (!v)
            return NULL;
        r->items = v;
    }
    dcl_result_item *it = &r->items[r->count];
    memset(it, 0, sizeof *it);
    it->score = score;
    it->index = -1;
    it->start = it->end = -1;
    if ((label && !(it->label = dcl_strdup(label))) || (text && !(it->text = dcl_strdup(text)))) {
        free((char *)it->label);
        return NULL;
    }
    r->count++;
    return it;
}

pl_row *pl_row_add(pl_rows *rows, int input, int len)
{
    if (rows->n == rows->cap) {
        int cap = rows->cap ? rows->cap * 2 : 16;
        pl_row *v = realloc(rows->v, (size_t)cap * sizeof *v);
        if (!v)
            return NULL;
        rows->v = v;
        rows->cap = cap;
    }
    pl_row *r = &rows->v[rows->n];
    memset(r, 0, sizeof *r);
    r->input = input;
    r->len = len;
    r->ids = calloc((size_t)len, sizeof *r->ids);
    r->types = calloc((size_t)len, sizeof *r->types);
    r->mask = calloc((size_t)len, sizeof *r->mask);
    if (!r->ids || !r->types || !r->mask) {
        free(r->ids);
        free(r->types);
        free(r->mask);
        return NULL;
    }
    rows->n++;
    return r;
}

int pl_row_from_enc(dcl_pipeline *p, pl_rows *rows, int input, const dcl_encoding *e)
{
    (void)p;
    pl_row *r = pl_row_add(rows, input, (int)e->length);
    if (!r)
        return -1;
    memcpy(r->ids, e->ids, e->length * sizeof *r->ids);
    memcpy(r->types, e->token_type_ids, e->length * sizeof *r->types);
    memcpy(r->mask, e->attention_mask, e->length * sizeof *r->mask);
    return 0;
}

dcl_status pl_encode(dcl_pipeline *p, pl_state *st, const char *text, const char *pair, dcl_truncation trunc,
                     dcl_encoding **out)
{
    *out = NULL;
    if (!p->tok)
        return pl_input_error(st, DCL_ERR_UNSUPPORTED,
                              "the model folder has no tokenizer (tokenizer.json, spm.model, or vocab.json + "
                              "merges.txt): give token ids, or a tokenizer folder");
    if (pl_blank(text) || (pair && pl_blank(pair)))
        return pl_input_error(st, DCL_ERR_INVALID_ARGUMENT, "%s", pl_blank(text) ? "empty text" : "empty text in a pair");
    dcl_tokenize_params tp = dcl_tokenize_default_params();
    tp.truncation = p->p.max_length > 0 ? trunc : DCL_TRUNCATE_NONE;
    tp.max_length = p->p.max_length > 0 ? (size_t)p->p.max_length : 0;
    dcl_status s = pair ? dcl_tokenizer_encode_pair(p->tok, text, strlen(text), pair, strlen(pair), &tp, out)
                        : dcl_tokenizer_encode(p->tok, text, strlen(text), &tp, out);
    if (s == DCL_ERR_OUT_OF_MEMORY)
        return s;
    if (s != DCL_OK)
        return pl_input_error(st, s, "tokenizing: %s", dcl_last_error());
    const dcl_encoding *e = *out;
    for (size_t t = 0; t < e->length; t++)
        if (e->ids[t] >= p->info.vocab_size) {
            dcl_status r = pl_input_error(st, DCL_ERR_FORMAT,
                                          "the tokenizer gives id %d, outside the model's vocabulary of %d: the "
                                          "tokenizer does not belong to this model", (int)e->ids[t],
                                          p->info.vocab_size);
            dcl_encoding_free(*out);
            *out = NULL;
            return r;
        }
    if ((int)e->length > p->limit) {
        dcl_status r = pl_input_error(st, DCL_ERR_RANGE,
                                      "the input is %zu tokens, more than the model takes (%d): set max_length "
                                      "(debertacl run --max-length N) to truncate it%s", e->length, p->limit,
                                      p->p.task == DCL_TASK_QUESTION_ANSWERING
                                          ? ", or to the window length of long contexts" : "");
        dcl_encoding_free(*out);
        *out = NULL;
        return r;
    }
    return DCL_OK;
}
