/* SPDX-License-Identifier: Apache-2.0 */
/* Public API: task heads and their host-side post-processing. Checks every argument before the
 * host/heads.c functions enqueue anything, so that bad input writes nothing. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "heads.h"
#include "util.h"

/* "masked LM, enhanced mask decoder" or "no task head" */
static const char *heads_text(unsigned heads, char *buf, size_t size)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        {DCL_HEAD_MLM, "masked LM"},
        {DCL_HEAD_EMD, "enhanced mask decoder"},
        {DCL_HEAD_SEQUENCE_CLASS, "sequence classification"},
        {DCL_HEAD_TOKEN_CLASS, "token classification"},
        {DCL_HEAD_QA, "question answering"},
        {DCL_HEAD_MULTIPLE_CHOICE, "multiple choice"},
    };
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (heads & names[i].bit)
            snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", buf[0] ? ", " : "", names[i].name);
    if (!buf[0])
        snprintf(buf, size, "no task head (a bare encoder: only dcl_encode and dcl_embed apply)");
    return buf;
}

static dcl_status need_head(dcl_session *s, const char *fn, unsigned bit, const char *what)
{
    if (s->model->heads & bit)
        return DCL_OK;
    char buf[256];
    return dcl_fail(s->ctx, DCL_ERR_UNSUPPORTED, "%s: the model has no %s head; its checkpoint has: %s", fn, what,
                    heads_text(s->model->heads, buf, sizeof buf));
}

/* The checks every head call starts with. */
static dcl_status common(dcl_session *s, const dcl_batch *b, const void *out, const char *fn)
{
    if (!s || !b || !out)
        return dcl_fail(s ? s->ctx : NULL, DCL_ERR_INVALID_ARGUMENT, "%s: NULL argument", fn);
    dcl_clear_error();
    return dcl_batch_check(s, b);
}

dcl_status dcl_mlm_logits(dcl_session *s, const dcl_batch *b, const int32_t *positions, int count, dcl_emd_mode emd,
                          float *logits)
{
    const char *fn = "dcl_mlm_logits";
    dcl_status st = common(s, b, logits, fn);
    if (st != DCL_OK || (st = need_head(s, fn, DCL_HEAD_MLM, "masked-LM (lm_predictions.lm_head)")))
        return st;
    const dcl_model *m = s->model;
    const long T = (long)dcl_batch_tokens(b);
    if (emd != DCL_EMD_OFF && emd != DCL_EMD_ON && emd != DCL_EMD_AUTO)
        return dcl_fail(s->ctx, DCL_ERR_INVALID_ARGUMENT, "%s: bad emd mode %d", fn, (int)emd);
    if (count < 1 || count > T)
        return dcl_fail(s->ctx, DCL_ERR_INVALID_ARGUMENT, "%s: count %d is outside [1, tokens = %ld]", fn, count, T);
    if (!positions && count != T)
        return dcl_fail(s->ctx, DCL_ERR_INVALID_ARGUMENT,
                        "%s: without positions, count must be the batch's token count %ld (got %d)", fn, T, count);
    for (int i = 0; positions && i < count; i++)
        if (positions[i] < 0 || positions[i] >= T)
            return dcl_fail(s->ctx, DCL_ERR_RANGE, "%s: positions[%d] = %d is outside [0, tokens = %ld)", fn, i,
                            (int)positions[i], T);
    int use_emd = emd == DCL_EMD_ON || (emd == DCL_EMD_AUTO && (m->heads & DCL_HEAD_EMD));
    if (use_emd) {
        if ((st = need_head(s, fn, DCL_HEAD_EMD,
                            "enhanced-mask-decoder (deberta.embeddings.position_embeddings with "
                            "position_biased_input false)")))
            return st;
        if (m->cfg.embedding_size != m->cfg.hidden_size)
            return dcl_fail(s->ctx, DCL_ERR_UNSUPPORTED,
                            "%s: the enhanced mask decoder needs embedding_size == hidden_size (%d != %d); use "
                            "DCL_EMD_OFF", fn, m->cfg.embedding_size, m->cfg.hidden_size);
        int longest = b->length;
        for (int r = 0; b->offsets && r < b->batch; r++)
            if (r == 0 || b->offsets[r + 1] - b->offsets[r] > longest)
                longest = b->offsets[r + 1] - b->offsets[r];
        if (longest > m->cfg.max_position_embeddings)
            return dcl_fail(s->ctx, DCL_ERR_RANGE,
                            "%s: the enhanced mask decoder adds absolute positions, so length %d must not exceed "
                            "max_position_embeddings %d; use DCL_EMD_OFF for longer input", fn, longest,
                            m->cfg.max_position_embeddings);
    }
    return dcl_heads_mlm(s, b, positions, count, use_emd, logits);
}

dcl_status dcl_classify(dcl_session *s, const dcl_batch *b, float *logits)
{
    const char *fn = "dcl_classify";
    dcl_status st = common(s, b, logits, fn);
    if (st == DCL_OK && (s->model->heads & DCL_HEAD_MULTIPLE_CHOICE))
        return dcl_fail(s->ctx, DCL_ERR_UNSUPPORTED, "%s: the model is a multiple-choice model: use "
                        "dcl_multiple_choice", fn);
    if (st != DCL_OK ||
        (st = need_head(s, fn, DCL_HEAD_SEQUENCE_CLASS, "sequence-classification (pooler + classifier)")))
        return st;
    return dcl_heads_pooled(s, b, logits);
}

dcl_status dcl_token_classify(dcl_session *s, const dcl_batch *b, float *logits)
{
    const char *fn = "dcl_token_classify";
    dcl_status st = common(s, b, logits, fn);
    if (st != DCL_OK || (st = need_head(s, fn, DCL_HEAD_TOKEN_CLASS, "token-classification (classifier per token)")))
        return st;
    return dcl_heads_token(s, b, logits);
}

dcl_status dcl_qa_logits(dcl_session *s, const dcl_batch *b, float *start_logits, float *end_logits)
{
    const char *fn = "dcl_qa_logits";
    dcl_status st = common(s, b, start_logits, fn);
    if (st == DCL_OK && !end_logits)
        return dcl_fail(s->ctx, DCL_ERR_INVALID_ARGUMENT, "%s: NULL argument", fn);
    if (st != DCL_OK || (st = need_head(s, fn, DCL_HEAD_QA, "question-answering (qa_outputs)")))
        return st;
    return dcl_heads_qa(s, b, start_logits, end_logits);
}

dcl_status dcl_multiple_choice(dcl_session *s, const dcl_batch *b, int choices, float *logits)
{
    const char *fn = "dcl_multiple_choice";
    dcl_status st = common(s, b, logits, fn);
    if (st != DCL_OK ||
        (st = need_head(s, fn, DCL_HEAD_MULTIPLE_CHOICE, "multiple-choice (pooler + classifier [1, H])")))
        return st;
    if (choices < 1 || b->batch % choices)
        return dcl_fail(s->ctx, DCL_ERR_INVALID_ARGUMENT,
                        "%s: the batch of %d rows is not a whole number of questions of %d choices", fn, b->batch,
                        choices);
    return dcl_heads_pooled(s, b, logits);
}

dcl_status dcl_embed(dcl_session *s, const dcl_batch *b, dcl_pooling pooling, int normalize, float *out)
{
    const char *fn = "dcl_embed";
    dcl_status st = common(s, b, out, fn);
    if (st != DCL_OK)
        return st;
    if (pooling != DCL_POOL_FIRST && pooling != DCL_POOL_MEAN)
        return dcl_fail(s->ctx, DCL_ERR_INVALID_ARGUMENT, "%s: bad pooling %d", fn, (int)pooling);
    return dcl_heads_embed(s, b, pooling == DCL_POOL_MEAN, normalize != 0, out);
}

dcl_status dcl_softmax(const float *logits, int n, float *probs)
{
    if (!logits || !probs || n < 1)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_softmax: NULL argument or n < 1");
    dcl_heads_softmax(logits, n, probs);
    return DCL_OK;
}

dcl_status dcl_top_k(const float *logits, int n, int k, int32_t *indices, float *probs)
{
    if (!logits || !indices || n < 1 || k < 1)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_top_k: NULL argument, n < 1 or k < 1");
    dcl_heads_top_k(logits, n, k, indices, probs);
    return DCL_OK;
}

dcl_status dcl_qa_best_span(const float *start_logits, const float *end_logits, int length, const int32_t *allowed,
                            int max_answer_length, dcl_span *span)
{
    if (!start_logits || !end_logits || !span || length < 1 || max_answer_length < 1)
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT,
                        "dcl_qa_best_span: NULL argument, length < 1 or max_answer_length < 1");
    int any = 0;
    for (int i = 0; i < length && !any; i++)
        any = !allowed || allowed[i];
    if (!any)
        return dcl_fail(NULL, DCL_ERR_RANGE, "dcl_qa_best_span: no token is allowed (an empty context)");
    for (int i = 0; i < length; i++)
        if ((!allowed || allowed[i]) && !(isfinite(start_logits[i]) && isfinite(end_logits[i])))
            return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_qa_best_span: logit %d is not finite", i);
    return dcl_heads_best_span(start_logits, end_logits, length, allowed, max_answer_length, span);
}

dcl_status dcl_group_entities(const dcl_model *model, const float *logits, int length, const int32_t *skip,
                              const size_t *offsets, dcl_entity *entities, int capacity, int *count)
{
    if (!model || !logits || !count || length < 0 || capacity < 0 || (capacity > 0 && !entities))
        return dcl_fail(NULL, DCL_ERR_INVALID_ARGUMENT, "dcl_group_entities: NULL argument or negative size");
    if (!(model->heads & DCL_HEAD_TOKEN_CLASS)) {
        char buf[256];
        return dcl_fail(NULL, DCL_ERR_UNSUPPORTED, "dcl_group_entities: the model has no token-classification head; "
                        "its checkpoint has: %s", heads_text(model->heads, buf, sizeof buf));
    }
    return dcl_heads_group(model, logits, length, skip, offsets, entities, capacity, count);
}
