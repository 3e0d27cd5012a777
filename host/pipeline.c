/* SPDX-License-Identifier: Apache-2.0 */
/* Pipelines: loading (model, tokenizer, config.json's task facts) and the engine that runs the
 * rows of many inputs in length-sorted, padded batches. */
#include "pipeline.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model.h"
#include "util.h"

/* ---- config.json facts the pipelines need ---- */
static int starts_with_ci(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (tolower((unsigned char)*s) != *prefix)
            return 0;
    return 1;
}

static dcl_status read_config(dcl_pipeline *p, const char *dir)
{
    char *path = dcl_path_join(dir, "config.json"), *text = NULL;
    size_t len = 0;
    if (!path)
        return dcl_fail(p->ctx, DCL_ERR_OUT_OF_MEMORY, "pipeline: out of memory");
    dcl_status st = dcl_read_file(p->ctx, path, &text, &len);
    free(path);
    if (st != DCL_OK)
        return st;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!root)
        return dcl_fail(p->ctx, DCL_ERR_FORMAT, "%s/config.json is not valid JSON", dir);
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(root, "problem_type");
    if (cJSON_IsString(pt)) {
        if (!strcmp(pt->valuestring, "regression"))
            p->problem = PL_PROBLEM_REGRESSION;
        else if (!strcmp(pt->valuestring, "multi_label_classification"))
            p->problem = PL_PROBLEM_MULTI;
        else if (!strcmp(pt->valuestring, "single_label_classification"))
            p->problem = PL_PROBLEM_SINGLE;
    }
    p->entail_id = -1;
    const cJSON *l2i = cJSON_GetObjectItemCaseSensitive(root, "label2id"), *it;
    cJSON_ArrayForEach(it, l2i) /* the first label starting with "entail", as transformers */
    {
        if (p->entail_id < 0 && cJSON_IsNumber(it) && it->string && starts_with_ci(it->string, "entail"))
            p->entail_id = (int)it->valuedouble;
    }
    cJSON_Delete(root);
    return DCL_OK;
}

/* "microsoft/deberta-v3-base": one slash, name characters only, not a path that exists */
static int looks_like_hub_name(const char *s)
{
    int slashes = 0;
    if (!isalnum((unsigned char)s[0]))
        return 0;
    for (const char *c = s; *c; c++) {
        if (*c == '/')
            slashes++;
        else if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_' && *c != '.')
            return 0;
    }
    return slashes == 1 && s[strlen(s) - 1] != '/';
}

static dcl_task task_of_architecture(const char *a)
{
    static const struct { const char *suffix; dcl_task task; } map[] = {
        {"ForMaskedLM", DCL_TASK_FILL_MASK},
        {"ForSequenceClassification", DCL_TASK_TEXT_CLASSIFICATION},
        {"ForTokenClassification", DCL_TASK_TOKEN_CLASSIFICATION},
        {"ForQuestionAnswering", DCL_TASK_QUESTION_ANSWERING},
        {"ForMultipleChoice", DCL_TASK_MULTIPLE_CHOICE},
        {"Model", DCL_TASK_FEATURE_EXTRACTION},
    };
    size_t n = strlen(a);
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        size_t k = strlen(map[i].suffix);
        if (n >= k && !strcmp(a + n - k, map[i].suffix))
            return map[i].task;
    }
    return DCL_TASK_AUTO;
}

static const char *head_name(unsigned head)
{
    switch (head) {
    case DCL_HEAD_MLM: return "masked-LM head (lm_predictions.lm_head)";
    case DCL_HEAD_SEQUENCE_CLASS: return "sequence-classification head (pooler + classifier)";
    case DCL_HEAD_TOKEN_CLASS: return "token-classification head (classifier per token)";
    case DCL_HEAD_QA: return "question-answering head (qa_outputs)";
    default: return "multiple-choice head";
    }
}

static unsigned head_of_task(dcl_task t)
{
    switch (t) {
    case DCL_TASK_FILL_MASK: return DCL_HEAD_MLM;
    case DCL_TASK_TEXT_CLASSIFICATION:
    case DCL_TASK_ZERO_SHOT:
    case DCL_TASK_RERANK: return DCL_HEAD_SEQUENCE_CLASS;
    case DCL_TASK_TOKEN_CLASSIFICATION: return DCL_HEAD_TOKEN_CLASS;
    case DCL_TASK_QUESTION_ANSWERING: return DCL_HEAD_QA;
    case DCL_TASK_MULTIPLE_CHOICE: return DCL_HEAD_MULTIPLE_CHOICE;
    default: return 0;
    }
}

void dcl_pipeline_free_impl(dcl_pipeline *p)
{
    if (!p)
        return;
    dcl_session_free(p->session);
    dcl_tokenizer_free(p->tok);
    dcl_model_free(p->model);
    if (p->own_ctx)
        dcl_context_free(p->ctx);
    free(p->tokenizer_dir);
    free(p->template_);
    free(p->device);
    free(p->target_ids);
    free(p);
}

dcl_status dcl_pipeline_create_impl(dcl_context *ctx, const char *dir, const dcl_pipeline_params *params,
                                    dcl_pipeline **out)
{
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        if (looks_like_hub_name(dir))
            return dcl_fail(ctx, DCL_ERR_IO,
                            "\"%s\" is not a folder: it looks like a Hugging Face hub name. Download it first, "
                            "e.g. `hf download %s --local-dir models/%s` (pip install huggingface_hub), and "
                            "give that folder", dir, dir, strchr(dir, '/') + 1);
        return dcl_fail(ctx, DCL_ERR_IO, "cannot open the model folder %s: it does not exist", dir);
    }
    dcl_pipeline *p = calloc(1, sizeof *p);
    if (!p)
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "pipeline: out of memory");
    p->p = *params;
    dcl_status st = DCL_OK;
    const char *tmpl = params->hypothesis_template ? params->hypothesis_template : "This example is {}.";
    if (!(p->template_ = dcl_strdup(tmpl)) ||
        (params->tokenizer_dir && !(p->tokenizer_dir = dcl_strdup(params->tokenizer_dir)))) {
        dcl_pipeline_free_impl(p);
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "pipeline: out of memory");
    }
    p->p.hypothesis_template = p->template_;
    p->p.tokenizer_dir = p->tokenizer_dir;
    p->p.device = NULL;
    if (!strstr(tmpl, "{}")) {
        dcl_pipeline_free_impl(p);
        return dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT,
                        "pipeline: the hypothesis template \"%s\" has no {} for the label", tmpl);
    }
    if (!ctx) {
        dcl_context_params cp = dcl_context_default_params();
        cp.device = params->device;
        if ((st = dcl_context_create(&cp, &p->ctx)) != DCL_OK) {
            dcl_pipeline_free_impl(p);
            return st;
        }
        p->own_ctx = 1;
    } else {
        p->ctx = ctx;
    }
    if ((st = dcl_model_load(p->ctx, dir, NULL, &p->model)) != DCL_OK || (st = read_config(p, dir)) != DCL_OK) {
        dcl_pipeline_free_impl(p);
        return st;
    }
    dcl_model_get_info(p->model, &p->info);
    if (p->p.task == DCL_TASK_AUTO) {
        p->p.task = task_of_architecture(p->info.architecture);
        if (p->p.task == DCL_TASK_AUTO) {
            st = dcl_fail(p->ctx, DCL_ERR_UNSUPPORTED,
                          "pipeline: config.json's architectures (\"%s\") does not name a task: give one",
                          p->info.architecture);
            dcl_pipeline_free_impl(p);
            return st;
        }
    }
    unsigned need = head_of_task(p->p.task);
    if (need && !(p->info.heads & need)) {
        st = dcl_fail(p->ctx, DCL_ERR_UNSUPPORTED, "the model in %s has no %s: it cannot do %s (its architecture is "
                      "\"%s\")", dir, head_name(need), dcl_task_name(p->p.task), p->info.architecture);
        dcl_pipeline_free_impl(p);
        return st;
    }
    if (p->p.task == DCL_TASK_TEXT_CLASSIFICATION && (p->info.heads & DCL_HEAD_MULTIPLE_CHOICE)) {
        st = dcl_fail(p->ctx, DCL_ERR_UNSUPPORTED, "pipeline: the model in %s is a multiple-choice model", dir);
        dcl_pipeline_free_impl(p);
        return st;
    }
    if (p->p.task == DCL_TASK_ZERO_SHOT && p->entail_id < 0) {
        st = dcl_fail(p->ctx, DCL_ERR_UNSUPPORTED, "pipeline: zero-shot classification needs an NLI model: config.json's "
                      "label2id has no label starting with \"entail\"");
        dcl_pipeline_free_impl(p);
        return st;
    }
    const char *tdir = p->tokenizer_dir ? p->tokenizer_dir : dir;
    if ((st = dcl_tokenizer_load(tdir, &p->tok)) != DCL_OK) {
        p->tok = NULL;
        if (p->tokenizer_dir || st != DCL_ERR_IO) {
            dcl_pipeline_free_impl(p);
            return st;
        }
        dcl_clear_error(); /* no tokenizer: token-id inputs only */
    }
    p->cls_id = p->sep_id = p->pad_id = p->mask_id = p->unk_id = -1;
    if (p->tok) {
        p->cls_id = dcl_tokenizer_special_id(p->tok, DCL_TOKEN_CLS);
        p->sep_id = dcl_tokenizer_special_id(p->tok, DCL_TOKEN_SEP);
        p->pad_id = dcl_tokenizer_special_id(p->tok, DCL_TOKEN_PAD);
        p->mask_id = dcl_tokenizer_special_id(p->tok, DCL_TOKEN_MASK);
        p->unk_id = dcl_tokenizer_special_id(p->tok, DCL_TOKEN_UNK);
    }
    if (p->p.mask_id >= 0)
        p->mask_id = p->p.mask_id;
    const dcl_config *c = &p->model->cfg;
    size_t tmax = p->tok ? dcl_tokenizer_model_max_length(p->tok) : 0;
    p->limit = c->position_biased_input || tmax == 0 ? c->max_position_embeddings : (int)(tmax < 1u << 20 ? tmax : 1u << 20);
    if (c->position_biased_input && p->limit > c->max_position_embeddings)
        p->limit = c->max_position_embeddings;
    if (p->p.max_length > p->limit) {
        st = dcl_fail(p->ctx, DCL_ERR_RANGE, "pipeline: max_length %d is more than the model takes (%d)",
                      p->p.max_length, p->limit);
        dcl_pipeline_free_impl(p);
        return st;
    }
    if (p->p.task == DCL_TASK_FILL_MASK && p->p.n_targets > 0 && (st = pl_resolve_targets(p)) != DCL_OK) {
        dcl_pipeline_free_impl(p);
        return st;
    }
    p->p.targets = NULL;
    *out = p;
    return DCL_OK;
}

/* ---- the engine ---- */
typedef struct len_idx {
    int len, idx;
} len_idx;

static int by_length(const void *a, const void *b) /* shorter first; equal lengths keep their order */
{
    const len_idx *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->idx < y->idx ? -1 : 1;
}

static dcl_status ensure_session(dcl_pipeline *p, int B, int L)
{
    if (p->session && B <= p->s_batch && L <= p->s_len)
        return DCL_OK;
    int nb = B > p->s_batch ? B : p->s_batch, nl = L > p->s_len ? L : p->s_len;
    nl = (nl + 63) / 64 * 64; /* fewer re-creations as lengths grow */
    if (nl > p->limit)
        nl = L > p->limit ? L : p->limit;
    dcl_session_free(p->session);
    p->session = NULL;
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = nb;
    sp.max_length = nl;
    dcl_status st = dcl_session_create(p->model, &sp, &p->session);
    if (st == DCL_OK) {
        p->s_batch = nb;
        p->s_len = nl;
    }
    return st;
}

/* Runs rows idx[0..B) as one padded batch and stores each row's outputs. */
static dcl_status run_batch(dcl_pipeline *p, pl_rows *rows, const int *idx, int B)
{
    int L = 0, npos = 0;
    for (int i = 0; i < B; i++) {
        const pl_row *r = &rows->v[idx[i]];
        L = r->len > L ? r->len : L;
        npos += r->n_pos;
    }
    dcl_status st = ensure_session(p, B, L);
    if (st != DCL_OK)
        return st;
    const size_t T = (size_t)B * L;
    int32_t *ids = calloc(T, sizeof *ids), *types = calloc(T, sizeof *types), *mask = calloc(T, sizeof *mask);
    int32_t *pos = calloc((size_t)(npos ? npos : 1), sizeof *pos);
    const dcl_task task = p->p.task;
    const int N = p->info.num_labels, H = p->info.hidden_size, V = p->info.vocab_size;
    size_t per = 0; /* floats per row, or per token / per mask */
    switch (task) {
    case DCL_TASK_FILL_MASK: per = (size_t)V; break;
    case DCL_TASK_TOKEN_CLASSIFICATION: per = (size_t)L * N; break;
    case DCL_TASK_QUESTION_ANSWERING: per = 2 * (size_t)L; break;
    case DCL_TASK_MULTIPLE_CHOICE: per = 1; break;
    case DCL_TASK_FEATURE_EXTRACTION: per = (size_t)H; break;
    default: per = (size_t)N; break;
    }
    float *out = malloc((task == DCL_TASK_FILL_MASK ? (size_t)(npos ? npos : 1) : (size_t)B) * per * sizeof *out);
    if (!ids || !types || !mask || !pos || !out) {
        st = dcl_fail(p->ctx, DCL_ERR_OUT_OF_MEMORY, "pipeline: out of memory");
        goto done;
    }
    for (int i = 0, k = 0; i < B; i++) {
        const pl_row *r = &rows->v[idx[i]];
        for (int t = 0; t < L; t++) {
            size_t o = (size_t)i * L + t;
            ids[o] = t < r->len ? r->ids[t] : (p->pad_id >= 0 ? p->pad_id : 0);
            types[o] = t < r->len ? r->types[t] : 0;
            mask[o] = t < r->len ? r->mask[t] : 0;
        }
        for (int j = 0; j < r->n_pos; j++)
            pos[k++] = i * L + r->pos[j];
    }
    dcl_batch b = {B, L, ids, mask, p->info.type_vocab_size > 0 ? types : NULL, NULL};
    switch (task) {
    case DCL_TASK_FILL_MASK:
        st = dcl_mlm_logits(p->session, &b, pos, npos, p->p.emd, out);
        break;
    case DCL_TASK_TOKEN_CLASSIFICATION: st = dcl_token_classify(p->session, &b, out); break;
    case DCL_TASK_QUESTION_ANSWERING: st = dcl_qa_logits(p->session, &b, out, out + T); break;
    case DCL_TASK_MULTIPLE_CHOICE: st = dcl_multiple_choice(p->session, &b, 1, out); break;
    case DCL_TASK_FEATURE_EXTRACTION:
        st = dcl_embed(p->session, &b, p->p.pooling, p->p.normalize, out);
        break;
    default: st = dcl_classify(p->session, &b, out); break;
    }
    if (st != DCL_OK)
        goto done;
    for (int i = 0, k = 0; i < B; i++) {
        pl_row *r = &rows->v[idx[i]];
        size_t n = task == DCL_TASK_FILL_MASK               ? (size_t)r->n_pos * V
                   : task == DCL_TASK_TOKEN_CLASSIFICATION ? (size_t)r->len * N
                   : task == DCL_TASK_QUESTION_ANSWERING   ? 2 * (size_t)r->len
                                                           : per;
        if (!(r->out = malloc((n ? n : 1) * sizeof *r->out))) {
            st = dcl_fail(p->ctx, DCL_ERR_OUT_OF_MEMORY, "pipeline: out of memory");
            goto done;
        }
        r->n_out = n;
        if (task == DCL_TASK_FILL_MASK) {
            memcpy(r->out, out + (size_t)k * V, n * sizeof *out);
            k += r->n_pos;
        } else if (task == DCL_TASK_QUESTION_ANSWERING) {
            memcpy(r->out, out + (size_t)i * L, (size_t)r->len * sizeof *out);
            memcpy(r->out + r->len, out + T + (size_t)i * L, (size_t)r->len * sizeof *out);
        } else {
            memcpy(r->out, out + (size_t)i * per, n * sizeof *out);
        }
    }
done:
    free(ids);
    free(types);
    free(mask);
    free(pos);
    free(out);
    return st;
}

static dcl_status run_rows(dcl_pipeline *p, pl_rows *rows)
{
    const int B = p->p.batch, W = B * 8;
    int *idx = malloc((size_t)(rows->n ? rows->n : 1) * sizeof *idx);
    len_idx *li = malloc((size_t)(rows->n ? rows->n : 1) * sizeof *li);
    if (!idx || !li) {
        free(idx);
        free(li);
        return dcl_fail(p->ctx, DCL_ERR_OUT_OF_MEMORY, "pipeline: out of memory");
    }
    for (int i = 0; i < rows->n; i++)
        li[i] = (len_idx){rows->v[i].len, i};
    dcl_status st = DCL_OK;
    for (int w = 0; w < rows->n && st == DCL_OK; w += W) { /* sorted by length inside each window */
        int nw = rows->n - w < W ? rows->n - w : W;
        qsort(li + w, (size_t)nw, sizeof *li, by_length);
        for (int i = 0; i < nw; i++)
            idx[w + i] = li[w + i].idx;
        for (int i = 0; i < nw && st == DCL_OK; i += B)
            st = run_batch(p, rows, idx + w + i, nw - i < B ? nw - i : B);
    }
    free(idx);
    free(li);
    return st;
}

static dcl_status prepare(dcl_pipeline *p, const dcl_pipeline_input *in, int i, pl_state *st, pl_rows *rows)
{
    switch (p->p.task) {
    case DCL_TASK_TOKEN_CLASSIFICATION: return pl_prepare_ner(p, in, i, st, rows);
    case DCL_TASK_QUESTION_ANSWERING: return pl_prepare_qa(p, in, i, st, rows);
    default: return pl_prepare_simple(p, in, i, st, rows);
    }
}

static dcl_status finish(dcl_pipeline *p, const dcl_pipeline_input *in, pl_state *st, pl_rows *rows)
{
    switch (p->p.task) {
    case DCL_TASK_TOKEN_CLASSIFICATION: return pl_finish_ner(p, in, st, rows);
    case DCL_TASK_QUESTION_ANSWERING: return pl_finish_qa(p, in, st, rows);
    default: return pl_finish_simple(p, in, st, rows);
    }
}

void dcl_result_free_impl(dcl_result *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->count; i++) {
        free((char *)r->items[i].label);
        free((char *)r->items[i].text);
    }
    free(r->items);
    free(r->values);
    free((char *)r->error);
    free(r);
}

dcl_status dcl_pipeline_run_impl(dcl_pipeline *p, const dcl_pipeline_input *in, int n, dcl_result **results)
{
    pl_rows rows = {0};
    for (int i = 0; i < n; i++)
        results[i] = NULL;
    pl_state *sts = calloc((size_t)n, sizeof *sts);
    dcl_status st = sts ? DCL_OK : DCL_ERR_OUT_OF_MEMORY;
    for (int i = 0; i < n && st == DCL_OK; i++) {
        if (!(sts[i].res = calloc(1, sizeof *sts[i].res))) {
            st = DCL_ERR_OUT_OF_MEMORY;
            break;
        }
        sts[i].res->task = p->p.task;
        sts[i].res->error = dcl_strdup("");
        if (!sts[i].res->error) {
            st = DCL_ERR_OUT_OF_MEMORY;
            break;
        }
        int before = rows.n;
        sts[i].first_row = rows.n;
        st = prepare(p, &in[i], i, &sts[i], &rows);
        if (st == DCL_OK && sts[i].res->status != DCL_OK) { /* a bad input: drop its rows */
            for (int r = before; r < rows.n; r++) {
                free(rows.v[r].ids);
                free(rows.v[r].types);
                free(rows.v[r].mask);
                free(rows.v[r].pos);
            }
            rows.n = before;
        }
        sts[i].n_rows = rows.n - sts[i].first_row;
    }
    if (st == DCL_ERR_OUT_OF_MEMORY)
        st = dcl_fail(p->ctx, st, "pipeline: out of memory");
    else if (st == DCL_OK)
        st = run_rows(p, &rows);
    for (int i = 0; i < n && st == DCL_OK; i++)
        if (sts[i].res->status == DCL_OK && (st = finish(p, &in[i], &sts[i], &rows)) == DCL_ERR_OUT_OF_MEMORY)
            st = dcl_fail(p->ctx, st, "pipeline: out of memory");
    for (int i = 0; sts && i < n; i++) {
        if (st == DCL_OK)
            results[i] = sts[i].res;
        else
            dcl_result_free_impl(sts[i].res);
        dcl_encoding_free(sts[i].enc);
        free(sts[i].win_start);
        free(sts[i].words);
    }
    for (int r = 0; r < rows.n; r++) {
        free(rows.v[r].ids);
        free(rows.v[r].types);
        free(rows.v[r].mask);
        free(rows.v[r].pos);
        free(rows.v[r].out);
    }
    free(rows.v);
    free(sts);
    return st;
}
