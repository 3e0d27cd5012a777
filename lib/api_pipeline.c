/* SPDX-License-Identifier: Apache-2.0 */
/* Public API: pipelines (host/pipeline*.c). Checks the arguments before anything runs. */
#include <string.h>

#include "pipeline.h"
#include "util.h"

static const struct {
    const char *name;
    dcl_task task;
} task_names[] = {
    {"auto", DCL_TASK_AUTO},
    {"fill-mask", DCL_TASK_FILL_MASK},
    {"text-classification", DCL_TASK_TEXT_CLASSIFICATION},
    {"token-classification", DCL_TASK_TOKEN_CLASSIFICATION},
    {"question-answering", DCL_TASK_QUESTION_ANSWERING},
    {"multiple-choice", DCL_TASK_MULTIPLE_CHOICE},
    {"feature-extraction", DCL_TASK_FEATURE_EXTRACTION},
    {"zero-shot-classification", DCL_TASK_ZERO_SHOT},
    {"rerank", DCL_TASK_RERANK},
    /* short forms */
    {"classify", DCL_TASK_TEXT_CLASSIFICATION},
    {"nli", DCL_TASK_TEXT_CLASSIFICATION},
    {"ner", DCL_TASK_TOKEN_CLASSIFICATION},
    {"qa", DCL_TASK_QUESTION_ANSWERING},
    {"choice", DCL_TASK_MULTIPLE_CHOICE},
    {"embed", DCL_TASK_FEATURE_EXTRACTION},
    {"zero-shot", DCL_TASK_ZERO_SHOT},
};

const char *dcl_task_name(dcl_task task)
{
    for (size_t i = 0; i < sizeof task_names / sizeof task_names[0]; i++)
        if (task_names[i].task == task)
            return task_names[i].name;
    return NULL;
}

dcl_status dcl_task_from_name(const char *name, dcl_task *task)
{
    if (!name || !task)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_task_from_name: NULL argument");
    for (size_t i = 0; i < sizeof task_names / sizeof task_names[0]; i++)
        if (!strcmp(task_names[i].name, name)) {
            *task = task_names[i].task;
            return DCL_OK;
        }
    return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT,
                    "unknown task \"%s\" (fill-mask, text-classification or classify or nli, token-classification "
                    "or ner, question-answering or qa, multiple-choice or choice, feature-extraction or embed, "
                    "zero-shot, rerank)", name);
}

dcl_pipeline_params dcl_pipeline_default_params(void)
{
    dcl_pipeline_params p;
    memset(&p, 0, sizeof p);
    p.batch = 8;
    p.aggregation = DCL_AGGREGATE_SIMPLE;
    p.max_answer_length = 15;
    p.align_to_words = 1;
    p.pooling = DCL_POOL_MEAN;
    p.emd = DCL_EMD_OFF;
    p.mask_id = -1;
    return p;
}

dcl_status dcl_pipeline_create(dcl_context *ctx, const char *model_dir, const dcl_pipeline_params *params,
                               dcl_pipeline **out)
{
    if (out)
        *out = NULL;
    if (!model_dir || !out)
        return dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT, "dcl_pipeline_create: NULL argument");
    dcl_pipeline_params def = dcl_pipeline_default_params();
    const dcl_pipeline_params *p = params ? params : &def;
    dcl_clear_error();
    if (!dcl_task_name(p->task) || p->batch < 1 || p->max_length < 0 || p->top_k < 0 || p->doc_stride < 0 ||
        p->max_answer_length < 0 || p->mask_id < -1 || p->n_targets < 0 || (p->n_targets > 0 && !p->targets) ||
        p->function < DCL_FUNCTION_DEFAULT || p->function > DCL_FUNCTION_SOFTMAX ||
        p->aggregation < DCL_AGGREGATE_NONE || p->aggregation > DCL_AGGREGATE_MAX ||
        (p->pooling != DCL_POOL_FIRST && p->pooling != DCL_POOL_MEAN) ||
        (p->emd != DCL_EMD_OFF && p->emd != DCL_EMD_ON && p->emd != DCL_EMD_AUTO))
        return dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT, "dcl_pipeline_create: a parameter is out of range");
    if (p->max_length == 1)
        return dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT, "dcl_pipeline_create: max_length must be at least 2");
    return dcl_pipeline_create_impl(ctx, model_dir, p, out);
}

void dcl_pipeline_free(dcl_pipeline *p) { dcl_pipeline_free_impl(p); }

dcl_task dcl_pipeline_task(const dcl_pipeline *p) { return p ? p->p.task : DCL_TASK_AUTO; }

const dcl_model *dcl_pipeline_model(const dcl_pipeline *p) { return p ? p->model : NULL; }

dcl_status dcl_pipeline_run(dcl_pipeline *p, const dcl_pipeline_input *inputs, int n, dcl_result **results)
{
    for (int i = 0; results && i < n; i++)
        results[i] = NULL;
    if (!p || !inputs || !results || n < 1)
        return dcl_fail(p ? p->ctx : NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_pipeline_run: NULL argument or n < 1");
    for (int i = 0; i < n; i++) {
        const dcl_pipeline_input *in = &inputs[i];
        if ((in->n_items > 0 && !in->items) || in->n_items < 0 || (in->ids && (in->n_ids < 1 || in->rows < 0)))
            return dcl_fail(p->ctx, DCL_ERR_INVALID_ARGUMENT, "dcl_pipeline_run: input %d is malformed", i);
    }
    dcl_clear_error();
    return dcl_pipeline_run_impl(p, inputs, n, results);
}

void dcl_result_free(dcl_result *r) { dcl_result_free_impl(r); }
