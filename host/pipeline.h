/* SPDX-License-Identifier: Apache-2.0 */
/* Pipelines: a model folder, its tokenizer and a task, from text to answers as Hugging Face
 * transformers' pipelines give them. Internal; the public API is in lib/api_pipeline.c.
 *
 * A run goes in three steps:
 *  1. prepare: every input becomes one or more rows (token ids) and a per-input state
 *     (pipeline_tasks.c, pipeline_ner.c, pipeline_qa.c);
 *  2. the engine (pipeline.c) sorts the rows by length inside windows, runs them `batch` at a time
 *     through the task's head and keeps each row's outputs;
 *  3. finish: the outputs of an input's rows become its dcl_result. */
#ifndef DCL_HOST_PIPELINE_H
#define DCL_HOST_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "debertacl.h"

struct dcl_pipeline {
    dcl_context *ctx;
    int own_ctx;
    dcl_model *model;
    dcl_model_info info;
    dcl_tokenizer *tok; /* NULL when the folder has none: only token-id inputs then */
    dcl_session *session;
    int s_batch, s_len;
    dcl_pipeline_params p; /* strings below are the pipeline's copies */
    char *tokenizer_dir, *template_, *device;
    int32_t *target_ids;
    int n_target_ids;
    int problem;  /* PL_PROBLEM_* from config.json's problem_type */
    int entail_id; /* label2id's entailment id, -1 when none */
    int limit;     /* longest row the model takes */
    int32_t cls_id, sep_id, pad_id, mask_id, unk_id;
};

enum { PL_PROBLEM_NONE = 0, PL_PROBLEM_REGRESSION, PL_PROBLEM_SINGLE, PL_PROBLEM_MULTI };

/* One row of token ids given to the model, and what the head gave back for it. */
typedef struct pl_row {
    int input; /* index of the input it belongs to */
    int len;
    int32_t *ids, *types, *mask;
    int n_pos; /* fill-mask: the mask positions in the row */
    int32_t *pos;
    float *out; /* the head's outputs: classes, tokens x classes, start then end, embedding ... */
    size_t n_out;
} pl_row;

typedef struct pl_rows {
    pl_row *v;
    int n, cap;
} pl_rows;

/* Per-input state between prepare and finish. */
typedef struct pl_state {
    dcl_result *res;
    int first_row, n_rows;
    dcl_encoding *enc; /* text mode: the encoding (NER), the whole question + context (QA) */
    int ctx_start, ctx_end; /* QA: the context's tokens in enc */
    int *win_start;         /* QA: first context token of each window */
    int *words;             /* QA: word index of every token of enc (-1: none) */
} pl_state;

/* pipeline.c */
pl_row *pl_row_add(pl_rows *rows, int input, int len);
/* A row from an encoding (ids, types, mask). -1 when memory fails. */
int pl_row_from_enc(dcl_pipeline *p, pl_rows *rows, int input, const dcl_encoding *e);
/* Sets the input's status and message (a bad input); returns DCL_OK so that the run goes on,
 * or DCL_ERR_OUT_OF_MEMORY when even that fails. */
dcl_status pl_input_error(pl_state *st, dcl_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Encodes text (and pair) as the task does; a status other than DCL_OK is the input's (set in
 * st) unless it is DCL_ERR_OUT_OF_MEMORY. *out NULL when the input was bad. */
dcl_status pl_encode(dcl_pipeline *p, pl_state *st, const char *text, const char *pair, dcl_truncation trunc,
                     dcl_encoding **out);
/* Appends an item with copies of label and text. NULL when memory fails. */
dcl_result_item *pl_item_add(dcl_result *r, const char *label, const char *text, float score);
char *pl_strndup(const char *s, size_t n);
int pl_blank(const char *s);
/* Byte offset of code point `cp` in valid UTF-8 text s. */
size_t pl_cp_byte(const char *s, size_t cp);
/* Sorts items by score, best first; equal scores keep their order. */
void pl_sort_items(dcl_result_item *items, int n);

/* pipeline_tasks.c: fill-mask, text classification, zero-shot, rerank, multiple choice, features */
dcl_status pl_prepare_simple(dcl_pipeline *p, const dcl_pipeline_input *in, int input, pl_state *st, pl_rows *rows);
dcl_status pl_finish_simple(dcl_pipeline *p, const dcl_pipeline_input *in, pl_state *st, pl_rows *rows);
dcl_status pl_resolve_targets(dcl_pipeline *p);
dcl_status pl_rows_from_ids(dcl_pipeline *p, const dcl_pipeline_input *in, int input, pl_state *st, pl_rows *rows);

/* pipeline_ner.c */
dcl_status pl_prepare_ner(dcl_pipeline *p, const dcl_pipeline_input *in, int input, pl_state *st, pl_rows *rows);
dcl_status pl_finish_ner(dcl_pipeline *p, const dcl_pipeline_input *in, pl_state *st, pl_rows *rows);
/* transformers' convert_tokens_to_string for the tokenizer's decoder (malloc'd). */
char *pl_tokens_to_string(const dcl_pipeline *p, const char *const *tokens, int n);

/* pipeline_qa.c */
dcl_status pl_prepare_qa(dcl_pipeline *p, const dcl_pipeline_input *in, int input, pl_state *st, pl_rows *rows);
dcl_status pl_finish_qa(dcl_pipeline *p, const dcl_pipeline_input *in, pl_state *st, pl_rows *rows);

/* Implementations behind lib/api_pipeline.c (arguments checked there). */
dcl_status dcl_pipeline_create_impl(dcl_context *ctx, const char *dir, const dcl_pipeline_params *params,
                                    dcl_pipeline **out);
void dcl_pipeline_free_impl(dcl_pipeline *p);
dcl_status dcl_pipeline_run_impl(dcl_pipeline *p, const dcl_pipeline_input *in, int n, dcl_result **results);
void dcl_result_free_impl(dcl_result *r);

#endif
