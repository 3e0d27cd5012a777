/* SPDX-License-Identifier: Apache-2.0 */
/* Pipelines with one row per input or one row per item: fill-mask, text classification,
 * zero-shot classification, reranking, multiple choice and feature extraction. Scores follow
 * transformers' FillMaskPipeline, TextClassificationPipeline and ZeroShotClassificationPipeline. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "util.h"

/* Rows from token ids given by the application (special tokens included). */
dcl_status pl_rows_from_ids(dcl_pipeline *p, const dcl_pipeline_input *in, int input, pl_state *st, pl_rows *rows)
{
    int R = in->rows > 0 ? in->rows : 1;
    if (in->n_ids < 1)
        return pl_input_error(st, DCL_ERR_INVALID_ARGUMENT, "empty token ids");
    if (in->n_ids > p->limit)
        return pl_input_error(st, DCL_ERR_RANGE, "%d token ids, more than the model takes (%d)", in->n_ids, p->limit);
    for (size_t i = 0; i < (size_t)R * in->n_ids; i++)
        if (in->ids[i] < 0 || in->ids[i] >= p->info.vocab_size)
            return pl_input_error(st, DCL_ERR_RANGE, "token id %d is outside the vocabulary of %d", (int)in->ids[i],
                                  p->info.vocab_size);
    for (int r = 0; r < R; r++) {
        pl_row *row = pl_row_add(rows, input, in->n_ids);
        if (!row)
            return DCL_ERR_OUT_OF_MEMORY;
        for (int t = 0; t < in->n_ids; t++) {
            size_t k = (size_t)r * in->n_ids + t;
            row->ids[t] = in->ids[k];
            row->types[t] = in->types ? in->types[k] : 0;
            row->mask[t] = in->mask ? in->mask[k] != 0 : 1;
        }
    }
    return DCL_OK;
}

/* Encodes (text, pair) into one row. */
static dcl_status text_row(dcl_pipeline *p, pl_state *st, pl_rows *rows, int input, const char *text,
                           const char *pair, dcl_truncation trunc, dcl_encoding **keep)
{
    dcl_encoding *e = NULL;
    dcl_status s = pl_encode(p, st, text, pair, trunc, &e);
    if (s != DCL_OK || !e)
        return s;
    if (pl_row_from_enc(p, rows, input, e) < 0)
        s = DCL_ERR_OUT_OF_MEMORY;
    if (keep && s == DCL_OK)
        *keep = e;
    else
        dcl_encoding_free(e);
    return s;
}

static char *fill_template(const char *tmpl, const char *label)
{
    const char *at = strstr(tmpl, "{}");
    size_t a = (size_t)(at - tmpl), l = strlen(label), b = strlen(at + 2);
    char *s = malloc(a + l + b + 1);
    if (s) {
        memcpy(s, tmpl, a);
        memcpy(s + a, label, l);
        memcpy(s + a + l, at + 2, b + 1);
    }
    return s;
}

dcl_status pl_prepare_simple(dcl_pipeline *p, const dcl_pipeline_input *in, int input, pl_state *st, pl_rows *rows)
{
    const dcl_task task = p->p.task;
    dcl_status s = DCL_OK;
    int multi = task == DCL_TASK_ZERO_SHOT || task == DCL_TASK_RERANK ||
                (task == DCL_TASK_MULTIPLE_CHOICE && !in->ids);
    if (in->ids) {
        if ((s = pl_rows_from_ids(p, in, input, st, rows)) != DCL_OK || st->res->status != DCL_OK)
            return s;
        if (task != DCL_TASK_MULTIPLE_CHOICE && in->rows > 1)
            return pl_input_error(st, DCL_ERR_INVALID_ARGUMENT, "%d rows of ids where one is expected", in->rows);
    } else if (multi) {
        if (in->n_items < (task == DCL_TASK_MULTIPLE_CHOICE ? 2 : 1) || !in->items)
            return pl_input_error(st, DCL_ERR_INVALID_ARGUMENT, "%s",
                                  task == DCL_TASK_ZERO_SHOT ? "zero-shot classification needs candidate labels"
                                  : task == DCL_TASK_RERANK  ? "reranking needs documents"
                                                             : "multiple choice needs at least two choices");
        if (task != DCL_TASK_MULTIPLE_CHOICE && !in->text)
            return pl_input_error(st, DCL_ERR_INVALID_ARGUMENT, "%s", task == DCL_TASK_RERANK ? "no query" : "no text");
        for (int i = 0; i < in->n_items && s == DCL_OK && st->res->status == DCL_OK; i++) {
            if (!in->items[i] || pl_blank(in->items[i]))
                return pl_input_error(st, DCL_ERR_INVALID_ARGUMENT, "item %d is empty", i + 1);
            if (task == DCL_TASK_ZERO_SHOT) {
                char *h = fill_template(p->p.hypothesis_template, in->items[i]);
                if (!h)
                    return DCL_ERR_OUT_OF_MEMORY;
                s = text_row(p, st, rows, input, in->text, h, DCL_TRUNCATE_ONLY_FIRST, NULL);
                free(h);
            } else if (task == DCL_TASK_RERANK || in->text) {
                s = text_row(p, st, rows, input, in->text, in->items[i], DCL_TRUNCATE_LONGEST_FIRST, NULL);
            } else {
                s = text_row(p, st, rows, input, in->items[i], NULL, DCL_TRUNCATE_LONGEST_FIRST, NULL);
            }
        }
        return s;
    } else {
        if (!in->text)
            return pl_input_error(st, DCL_ERR_INVALID_ARGUMENT, "no text");
        if ((s = text_row(p, st, rows, input, in->text, in->pair, DCL_TRUNCATE_LONGEST_FIRST, NULL)) != DCL_OK ||
            st->res->status != DCL_OK)
            return s;
    }
    if (task != DCL_TASK_FILL_MASK)
        return DCL_OK;
    pl_row *r = &rows->v[rows->n - 1];
    if (p->mask_id < 0)
        return pl_input_error(st, DCL_ERR_INVALID_ARGUMENT, "fill-mask with token ids needs the mask token's id "
                              "(mask_id, debertacl run --mask-id N): the model folder has no tokenizer");
    if (!(r->pos = malloc((size_t)r->len * sizeof *r->pos)))
        return DCL_ERR_OUT_OF_MEMORY;
    for (int t = 0; t < r->len; t++)
        if (r->mask[t] && r->ids[t] == p->mask_id)
            r->pos[r->n_pos++] = t;
    if (r->n_pos == 0 && p->tok) {
        const char *m = dcl_tokenizer_id_to_token(p->tok, p->mask_id);
        if (m && *m && ((in->text && strstr(in->text, m)) || (in->pair && strstr(in->pair, m))))
            return pl_input_error(st, DCL_ERR_INVALID_ARGUMENT,
                                  "the text has a mask token (%s), but truncation to max_length %d removed it: "
                                  "raise max_length (debertacl run --max-length N) or shorten the text", m, r->len);
        return pl_input_error(st, DCL_ERR_INVALID_ARGUMENT, "No mask_token (%s) found on the input", m);
    }
    if (r->n_pos == 0)
        return pl_input_error(st, DCL_ERR_INVALID_ARGUMENT, "no mask token (id %d) in the ids", (int)p->mask_id);
    return DCL_OK;
}

/* ---- fill-mask ---- */
dcl_status pl_resolve_targets(dcl_pipeline *p)
{
    if (!p->tok)
        return dcl_fail(p->ctx, DCL_ERR_UNSUPPORTED, "pipeline: fill-mask targets need a tokenizer");
    if (!(p->target_ids = malloc((size_t)p->p.n_targets * sizeof *p->target_ids)))
        return dcl_fail(p->ctx, DCL_ERR_OUT_OF_MEMORY, "pipeline: out of memory");
    for (int i = 0; i < p->p.n_targets; i++) {
        const char *t = p->p.targets[i];
        int32_t id = t ? dcl_tokenizer_token_to_id(p->tok, t) : -1;
        if (id < 0 && t && *t) { /* not a token: the first token of its encoding, as transformers */
            dcl_tokenize_params tp = dcl_tokenize_default_params();
            tp.add_special_tokens = 0;
            dcl_encoding *e = NULL;
            dcl_status s = dcl_tokenizer_encode(p->tok, t, strlen(t), &tp, &e);
            if (s != DCL_OK)
                return s;
            if (e->length > 0) {
                id = e->ids[0];
                dcl_log(p->ctx, DCL_LOG_WARN, "fill-mask target \"%s\" is not in the vocabulary: using \"%s\"", t,
                        dcl_tokenizer_id_to_token(p->tok, id));
            }
            dcl_encoding_free(e);
        }
        if (id < 0 || id >= p->info.vocab_size) {
            dcl_log(p->ctx, DCL_LOG_WARN, "fill-mask target \"%s\" gives no token: ignored", t ? t : "");
            continue;
        }
        int dup = 0;
        for (int j = 0; j < p->n_target_ids; j++)
            dup |= p->target_ids[j] == id;
        if (!dup)
            p->target_ids[p->n_target_ids++] = id;
    }
    if (p->n_target_ids == 0)
        return dcl_fail(p->ctx, DCL_ERR_INVALID_ARGUMENT, "pipeline: no fill-mask target is a token");
    return DCL_OK;
}

static dcl_status finish_fill(dcl_pipeline *p, pl_state *st, const pl_row *r)
{
    const int V = p->info.vocab_size;
    const int nc = p->n_target_ids ? p->n_target_ids : V;
    int k = p->p.top_k > 0 ? p->p.top_k : 5;
    k = k < nc ? k : nc;
    double *prob = malloc((size_t)V * sizeof *prob);
    int *top = malloc((size_t)k * sizeof *top);
    int32_t *tokens = malloc((size_t)r->len * sizeof *tokens);
    dcl_status s = prob && top && tokens ? DCL_OK : DCL_ERR_OUT_OF_MEMORY;
    st->res->groups = r->n_pos;
    for (int m = 0; m < r->n_pos && s == DCL_OK; m++) {
        const float *x = r->out + (size_t)m * V;
        float mx = x[0];
        for (int v = 1; v < V; v++)
            mx = x[v] > mx ? x[v] : mx;
        double sum = 0;
        for (int v = 0; v < V; v++)
            sum += prob[v] = exp((double)x[v] - mx);
        int n = 0; /* top k candidates, best first; ties: lower index first */
        for (int c = 0; c < nc; c++) {
            int id = p->n_target_ids ? p->target_ids[c] : c;
            int j = n < k ? n++ : k;
            if (j == k && prob[id] <= prob[top[k - 1]])
                continue;
            if (j == k)
                j = k - 1;
            while (j > 0 && (prob[top[j - 1]] < prob[id] || (prob[top[j - 1]] == prob[id] && top[j - 1] > id))) {
                top[j] = top[j - 1];
                j--;
            }
            top[j] = id;
        }
        for (int j = 0; j < n && s == DCL_OK; j++) {
            int32_t id = top[j];
            char *tok_str = NULL, *seq = NULL;
            size_t len = 0, nt = 0;
            if (p->tok) {
                if ((s = dcl_tokenizer_decode(p->tok, &id, 1, 0, &tok_str, &len)) != DCL_OK)
                    break;
                for (int t = 0; t < r->len; t++) {
                    int32_t v = t == r->pos[m] ? id : r->ids[t];
                    if (r->mask[t] && v != p->pad_id)
                        tokens[nt++] = v;
                }
                /* one mask: special tokens skipped; several: kept, so that the other masks show */
                if ((s = dcl_tokenizer_decode(p->tok, tokens, nt, r->n_pos == 1, &seq, &len)) != DCL_OK) {
                    dcl_string_free(tok_str);
                    break;
                }
            }
            dcl_result_item *it = pl_item_add(st->res, tok_str, seq, (float)(prob[id] / sum));
            dcl_string_free(tok_str);
            dcl_string_free(seq);
            if (!it)
                s = DCL_ERR_OUT_OF_MEMORY;
            else {
                it->index = id;
                it->group = m;
                it->start = r->pos[m];
                it->end = r->pos[m] + 1;
            }
        }
    }
    free(prob);
    free(top);
    free(tokens);
    return s;
}

/* ---- classification ---- */
static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

static dcl_function class_function(const dcl_pipeline *p)
{
    if (p->p.function != DCL_FUNCTION_DEFAULT)
        return p->p.function;
    if (p->problem == PL_PROBLEM_REGRESSION)
        return DCL_FUNCTION_NONE;
    if (p->problem == PL_PROBLEM_MULTI || p->info.num_labels == 1)
        return DCL_FUNCTION_SIGMOID;
    return DCL_FUNCTION_SOFTMAX;
}

/* scores[n] of logits[n] under the function */
static void apply_function(dcl_function f, const float *x, int n, double *out)
{
    double mx = x[0], sum = 0;
    for (int i = 1; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    for (int i = 0; i < n; i++)
        sum += exp(x[i] - mx);
    for (int i = 0; i < n; i++)
        out[i] = f == DCL_FUNCTION_SIGMOID ? sigmoid(x[i]) : f == DCL_FUNCTION_SOFTMAX ? exp(x[i] - mx) / sum : x[i];
}

static dcl_status add_sorted(dcl_pipeline *p, pl_state *st, const double *score, int n, const char *const *names,
                             int model_labels)
{
    int base = st->res->count;
    for (int i = 0; i < n; i++) {
        dcl_result_item *it = pl_item_add(st->res, model_labels ? dcl_model_label(p->model, i) : names ? names[i] : NULL, NULL,
                                          (float)score[i]);
        if (!it)
            return DCL_ERR_OUT_OF_MEMORY;
        it->index = i;
    }
    pl_sort_items(st->res->items + base, n);
    int k = p->p.top_k;
    while (k > 0 && st->res->count > base + k) { /* keep the top k */
        dcl_result_item *it = &st->res->items[--st->res->count];
        free((char *)it->label);
        free((char *)it->text);
    }
    return DCL_OK;
}

dcl_status pl_finish_simple(dcl_pipeline *p, const dcl_pipeline_input *in, pl_state *st, pl_rows *rows)
{
    const pl_row *r = &rows->v[st->first_row];
    const int R = st->n_rows, N = p->info.num_labels;
    dcl_status s = DCL_OK;
    double *score = malloc((size_t)(R > N ? R : N) * sizeof *score);
    if (!score)
        return DCL_ERR_OUT_OF_MEMORY;
    switch (p->p.task) {
    case DCL_TASK_FILL_MASK:
        s = finish_fill(p, st, r);
        break;
    case DCL_TASK_TEXT_CLASSIFICATION:
        apply_function(class_function(p), r->out, N, score);
        s = add_sorted(p, st, score, N, NULL, 1);
        break;
    case DCL_TASK_ZERO_SHOT: {
        const int e = p->entail_id, c = e == 0 ? N - 1 : 0;
        if (p->p.multi_label || R == 1) { /* entailment against contradiction, per label */
            for (int i = 0; i < R; i++) {
                float two[2] = {r[i].out[c], r[i].out[e]};
                double q[2];
                apply_function(DCL_FUNCTION_SOFTMAX, two, 2, q);
                score[i] = q[1];
            }
        } else { /* the entailment logits over all labels */
            float *x = malloc((size_t)R * sizeof *x);
            if (!x) {
                s = DCL_ERR_OUT_OF_MEMORY;
                break;
            }
            for (int i = 0; i < R; i++)
                x[i] = r[i].out[e];
            apply_function(DCL_FUNCTION_SOFTMAX, x, R, score);
            free(x);
        }
        s = add_sorted(p, st, score, R, in->items, 0);
        break;
    }
    case DCL_TASK_RERANK: { /* one label: the function of the logit; several: the last label's */
        double *q = malloc((size_t)N * sizeof *q);
        if (!q) {
            s = DCL_ERR_OUT_OF_MEMORY;
            break;
        }
        for (int i = 0; i < R; i++) {
            apply_function(class_function(p), r[i].out, N, q);
            score[i] = q[N - 1];
        }
        free(q);
        s = add_sorted(p, st, score, R, in->items, 0);
        break;
    }
    case DCL_TASK_MULTIPLE_CHOICE: {
        float *x = malloc((size_t)R * sizeof *x);
        if (!x) {
            s = DCL_ERR_OUT_OF_MEMORY;
            break;
        }
        for (int i = 0; i < R; i++)
            x[i] = r[i].out[0];
        apply_function(DCL_FUNCTION_SOFTMAX, x, R, score);
        free(x);
        s = add_sorted(p, st, score, R, in->ids ? NULL : in->items, 0);
        if (in->ids) /* no texts: unnamed choices */
            for (int i = 0; i < st->res->count; i++) {
                free((char *)st->res->items[i].label);
                st->res->items[i].label = NULL;
            }
        break;
    }
    default: /* feature extraction */
        if (!(st->res->values = malloc(r->n_out * sizeof *st->res->values))) {
            s = DCL_ERR_OUT_OF_MEMORY;
            break;
        }
        memcpy(st->res->values, r->out, r->n_out * sizeof *r->out);
        st->res->dim = (int)r->n_out;
        break;
    }
    free(score);
    return s;
}
