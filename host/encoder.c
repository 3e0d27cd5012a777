/* SPDX-License-Identifier: Apache-2.0 */
#include "encoder.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "relpos.h"

static void release(cl_mem *m)
{
    if (*m) {
        clReleaseMemObject(*m);
        *m = NULL;
    }
}

void dcl_session_free_impl(dcl_session *s)
{
    if (!s)
        return;
    if (s->ctx && s->ctx->queue)
        (void)clFinish(s->ctx->queue); /* nothing to report while freeing: release regardless */
    if (s->heads_ws && s->heads_ws_free)
        s->heads_ws_free(s->heads_ws);
    cl_mem *all[] = {&s->ids,   &s->types, &s->mask,  &s->slot,  &s->h[0], &s->h[1], &s->h[2], &s->h[3], &s->emb,
                     &s->qkv,   &s->q,     &s->k,     &s->v,     &s->scores, &s->c2p, &s->p2c, &s->ctxh,
                     &s->ctxm,  &s->tmp,   &s->inter, &s->cols,  &s->gemm_temp};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        release(all[i]);
    dcl_ops_release(&s->ops);
    dcl_attn_release(&s->attn);
    dcl_gemm_kernels_release(&s->gemm_kernels);
    dcl_prof_release(&s->prof);
    free(s->h_ids);
    free(s->h_types);
    free(s->h_slot);
    free(s->h_mask);
    free(s);
}

static dcl_status buf(dcl_session *s, size_t floats, cl_mem *out)
{
    return dcl_buffer_create(s->ctx, floats * sizeof(float), NULL, out);
}

dcl_status dcl_session_gemm(dcl_session *s, const dcl_gemm_args *g, cl_mem temp)
{
    dcl_gemm_args gk = *g;
    gk.kernels = &s->gemm_kernels;
    cl_event *ev = s->profile ? dcl_prof_gemm(&s->prof, &gk, dcl_gemm_routine(s->ctx, &gk)) : NULL;
    dcl_status st = dcl_gemm_event(s->ctx, &gk, temp, ev);
    s->timings.gemm_calls++;
    return st;
}

dcl_status dcl_session_write(dcl_session *s, cl_mem m, size_t bytes, const void *host)
{
    cl_int err = clEnqueueWriteBuffer(s->ctx->queue, m, CL_FALSE, 0, bytes, host, 0, NULL,
                                      dcl_prof_transfer(&s->prof, 1, bytes));
    return err == CL_SUCCESS ? DCL_OK : DCL_CL_FAIL(s->ctx, err, "clEnqueueWriteBuffer");
}

dcl_status dcl_session_read(dcl_session *s, cl_mem m, size_t off, size_t bytes, void *host)
{
    cl_int err = clEnqueueReadBuffer(s->ctx->queue, m, CL_FALSE, off, bytes, host, 0, NULL,
                                     dcl_prof_transfer(&s->prof, 0, bytes));
    return err == CL_SUCCESS ? DCL_OK : DCL_CL_FAIL(s->ctx, err, "clEnqueueReadBuffer");
}

dcl_status dcl_session_finish(dcl_session *s, double t0)
{
    cl_int err = clFinish(s->ctx->queue);
    if (err != CL_SUCCESS)
        return DCL_CL_FAIL(s->ctx, err, "clFinish");
    s->timings.total_seconds = dcl_now() - t0;
    s->timings.kernel_launches = s->ops.launches + s->attn.launches;
    return dcl_prof_resolve(&s->prof, &s->timings.gemm_seconds, &s->timings.kernel_seconds);
}

static dcl_status linear(dcl_session *s, size_t m, size_t n, size_t k, cl_mem x, cl_mem w, size_t w_off, cl_mem y)
{
    dcl_gemm_args g = dcl_linear_args(m, n, k, x, 0, w, w_off, y, 0);
    return dcl_session_gemm(s, &g, s->gemm_temp);
}

/* Device bytes of a session's workspace for max_batch x max_length (what dcl_session_create_impl
 * allocates, without the materialised scores), and its largest single buffer. */
static uint64_t workspace_bytes(const dcl_model *m, uint64_t B, uint64_t L, uint64_t slots, uint64_t *largest)
{
    const dcl_config *c = &m->cfg;
    const uint64_t T = B * L, H = (uint64_t)c->hidden_size, E = (uint64_t)c->embedding_size;
    const uint64_t A = (uint64_t)c->all_head_size, NH = (uint64_t)c->num_heads, I = (uint64_t)c->intermediate_size;
    const uint64_t K = c->conv_kernel_size > 0 && c->conv_groups == 1 ? (uint64_t)c->conv_kernel_size : 0;
    const uint64_t f = sizeof(float);
    const uint64_t sizes[] = {
        T * 12,                      /* ids, types, mask */
        (2 * L) * 4,                 /* slot table */
        4 * T * H * f,               /* hidden states */
        E != H ? T * E * f : 0,      /* embedding before the projection */
        T * 3 * A * f,               /* qkv */
        3 * T * A * f,               /* q, k, v */
        m->ns && c->c2p ? NH * T * slots * f : 0,
        m->ns && c->p2c ? NH * T * slots * f : 0,
        2 * T * A * f,               /* ctxh, ctxm */
        T * (H > E ? H : E) * f,     /* tmp */
        T * I * f,                   /* inter */
        T * H * K * f,               /* conv im2col */
        dcl_attn_bytes(m->ctx, (unsigned)c->head_size, (unsigned)NH, T),
    };
    uint64_t sum = 0, big = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        sum += sizes[i];
        /* the per-buffer limit applies to single buffers: split the grouped ones */
        uint64_t one = i == 2 ? T * H * f : i == 5 ? T * A * f : i == 8 ? T * A * f : sizes[i];
        big = one > big ? one : big;
    }
    big = T * I * f > big ? T * I * f : big;
    *largest = big;
    return sum;
}

/* A clear error when the device cannot hold the workspace: names the longest length it can take. */
static dcl_status workspace_check(const dcl_model *m, int max_batch, int max_length, size_t slots)
{
    const dcl_device_info *d = &m->ctx->info;
    if (!d->global_mem_bytes || !d->max_alloc_bytes)
        return DCL_OK;
    const uint64_t avail = d->global_mem_bytes > m->device_bytes ? d->global_mem_bytes - m->device_bytes : 0;
    uint64_t big, need = workspace_bytes(m, (uint64_t)max_batch, (uint64_t)max_length, slots, &big);
    if (need <= avail && big <= d->max_alloc_bytes)
        return DCL_OK;
    /* the longest length that fits at this batch size (the slot count only grows with L) */
    uint64_t lo = 0, hi = (uint64_t)max_length;
    while (lo + 1 < hi) {
        uint64_t mid = lo + (hi - lo) / 2, b2;
        uint64_t n2 = workspace_bytes(m, (uint64_t)max_batch, mid, slots, &b2);
        if (n2 <= avail && b2 <= d->max_alloc_bytes)
            lo = mid;
        else
            hi = mid;
    }
    return dcl_fail(m->ctx, DCL_ERR_DEVICE_MEMORY,
                    "session: batch %d x length %d needs %.2f GiB of device memory (largest buffer %.2f GiB); %s "
                    "has %.2f GiB free after the weights and allows %.2f GiB per buffer: the longest length it can "
                    "take at batch %d is %llu",
                    max_batch, max_length, (double)need / (1 << 30), (double)big / (1 << 30), d->name,
                    (double)avail / (1 << 30), (double)d->max_alloc_bytes / (1 << 30), max_batch,
                    (unsigned long long)lo);
}

/* y = act(x W^T + bias) with a layer weight (packed at load on some devices; the epilogue then
 * applies bias and act when it can). *fused tells whether bias and act were applied. */
static dcl_status layer_linear(dcl_session *s, size_t m, size_t n, size_t k, cl_mem x, cl_mem w, cl_mem bias,
                               int act, cl_mem y, int *fused)
{
    dcl_gemm_args g = dcl_linear_args(m, n, k, x, 0, w, 0, y, 0);
    *fused = 0;
    if (s->model->packed) {
        g.b_packed = 1;
        if (dcl_gemm_fuses_act(act)) {
            g.bias = bias;
            g.act = act;
            *fused = 1;
        }
    }
    return dcl_session_gemm(s, &g, s->gemm_temp);
}

dcl_status dcl_session_create_impl(dcl_model *m, const dcl_session_params *p, dcl_session **out)
{
    const dcl_config *c = &m->cfg;
    dcl_context *ctx = m->ctx;
    if (p->max_batch < 1 || p->max_length < 1)
        return dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT, "session: max_batch and max_length must be at least 1");
    if (p->profile && !ctx->profiling)
        return dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT, "session: params.profile needs a context created with "
                        "profiling on (dcl_context_params.profiling, or a queue with CL_QUEUE_PROFILING_ENABLE)");
    if (c->position_biased_input && p->max_length > c->max_position_embeddings)
        return dcl_fail(ctx, DCL_ERR_RANGE, "session: max_length %d exceeds max_position_embeddings %d of a model "
                        "with absolute positions", p->max_length, c->max_position_embeddings);
    dcl_session *s = calloc(1, sizeof *s);
    if (!s)
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    s->model = m;
    s->ctx = ctx;
    s->max_batch = p->max_batch;
    s->max_length = p->max_length;
    s->profile = p->profile != 0;
    s->materialized = p->materialized_attention != 0;
    const size_t T = (size_t)p->max_batch * (size_t)p->max_length, L = (size_t)p->max_length;
    const size_t H = (size_t)c->hidden_size, E = (size_t)c->embedding_size, A = (size_t)c->all_head_size;
    const size_t NH = (size_t)c->num_heads, I = (size_t)c->intermediate_size;
    size_t slots = 0;
    if (m->ns) /* the most slots any length up to max_length uses (slots grow with |i - j|) */
        slots = (size_t)(dcl_rel_slot(c, (long)L - 1) - dcl_rel_slot(c, -((long)L - 1)) + 1);
    dcl_status st = workspace_check(m, p->max_batch, p->max_length, slots);
    if (st != DCL_OK) {
        free(s);
        return st;
    }
    if ((st = dcl_ops_init(ctx, &s->ops)) != DCL_OK) {
        free(s);
        return st;
    }
    if ((st = dcl_attn_init(ctx, (unsigned)c->head_size, (unsigned)c->num_heads, T, &s->attn)) != DCL_OK) {
        dcl_ops_release(&s->ops);
        free(s);
        return st;
    }
    dcl_prof_init(&s->prof, ctx, s->profile);
    s->ops.prof = s->profile ? &s->prof : NULL;
    s->attn.prof = s->ops.prof;
    s->h_ids = malloc(T * sizeof *s->h_ids);
    s->h_types = malloc(T * sizeof *s->h_types);
    s->h_mask = malloc(T * sizeof *s->h_mask);
    s->h_slot = malloc((2 * L - 1) * sizeof *s->h_slot);
    if (!s->h_ids || !s->h_types || !s->h_mask || !s->h_slot) {
        dcl_session_free_impl(s);
        return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    }
    s->slot_L = -1;
    size_t conv_cols = (c->conv_kernel_size > 0 && c->conv_groups == 1) ? T * H * (size_t)c->conv_kernel_size : 0;
    size_t tmp = T * (H > E ? H : E);
    if ((st = dcl_buffer_create(ctx, T * sizeof(int32_t), NULL, &s->ids)) ||
        (st = dcl_buffer_create(ctx, T * sizeof(int32_t), NULL, &s->types)) ||
        (st = buf(s, T, &s->mask)) ||
        (st = dcl_buffer_create(ctx, (2 * L - 1) * sizeof(int32_t), NULL, &s->slot)) ||
        (st = buf(s, T * H, &s->h[0])) || (st = buf(s, T * H, &s->h[1])) || (st = buf(s, T * H, &s->h[2])) ||
        (st = buf(s, T * H, &s->h[3])) ||
        (E != H && (st = buf(s, T * E, &s->emb))) || (st = buf(s, T * 3 * A, &s->qkv)) ||
        (st = buf(s, T * A, &s->q)) || (st = buf(s, T * A, &s->k)) || (st = buf(s, T * A, &s->v)) ||
        (m->ns && c->c2p && (st = buf(s, NH * T * slots, &s->c2p))) ||
        (m->ns && c->p2c && (st = buf(s, NH * T * slots, &s->p2c))) || (st = buf(s, T * A, &s->ctxh)) ||
        (st = buf(s, T * A, &s->ctxm)) || (st = buf(s, tmp, &s->tmp)) || (st = buf(s, T * I, &s->inter)) ||
        (conv_cols && (st = buf(s, conv_cols, &s->cols)))) {
        dcl_error_append(ctx, " (session workspace for %d x %d)", p->max_batch, p->max_length);
        dcl_session_free_impl(s);
        return st;
    }
    /* CLBlast's temporary buffer for the largest linear layer, allocated once */
    size_t shapes[][3] = {{T, 3 * A, H}, {T, H, A}, {T, I, H}, {T, H, I}, {T, H, E}, {T, H, conv_cols ? H * (size_t)c->conv_kernel_size : H}};
    size_t temp = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        dcl_gemm_args g = dcl_linear_args(shapes[i][0], shapes[i][1], shapes[i][2], NULL, 0, NULL, 0, NULL, 0);
        size_t bytes = 0;
        if (dcl_gemm_temp_size(ctx, &g, &bytes) == DCL_OK && bytes > temp)
            temp = bytes;
    }
    if (temp && (st = dcl_buffer_create(ctx, temp, NULL, &s->gemm_temp))) {
        dcl_session_free_impl(s);
        return st;
    }
    *out = s;
    return DCL_OK;
}

size_t dcl_batch_tokens(const dcl_batch *b)
{
    return b->offsets ? (size_t)b->offsets[b->batch] : (size_t)b->batch * (size_t)b->length;
}

/* The checks of a packed batch's offsets (the ids are checked by the caller). */
static dcl_status packed_check(dcl_session *s, const dcl_batch *b)
{
    const size_t budget = (size_t)s->max_batch * (size_t)s->max_length;
    if (b->attention_mask)
        return dcl_fail(s->ctx, DCL_ERR_INVALID_ARGUMENT,
                        "encode: a packed batch (offsets given) has no padding: attention_mask must be NULL");
    if (b->offsets[0] != 0)
        return dcl_fail(s->ctx, DCL_ERR_INVALID_ARGUMENT, "encode: offsets[0] = %d, must be 0", b->offsets[0]);
    for (int r = 0; r < b->batch; r++) {
        long n = (long)b->offsets[r + 1] - (long)b->offsets[r];
        if (n < 1)
            return dcl_fail(s->ctx, DCL_ERR_INVALID_ARGUMENT,
                            "encode: packed sequence %d is empty or reversed (offsets[%d] = %d, offsets[%d] = %d)", r,
                            r, b->offsets[r], r + 1, b->offsets[r + 1]);
        if (n > s->max_length)
            return dcl_fail(s->ctx, DCL_ERR_RANGE, "encode: packed sequence %d has %ld tokens, more than the "
                            "session's max_length %d", r, n, s->max_length);
        if ((size_t)b->offsets[r + 1] > budget)
            return dcl_fail(s->ctx, DCL_ERR_RANGE, "encode: the packed batch has more than the session's "
                            "max_batch x max_length = %zu tokens", budget);
    }
    return DCL_OK;
}

dcl_status dcl_batch_check(dcl_session *s, const dcl_batch *b)
{
    const dcl_config *c = &s->model->cfg;
    if (!b || !b->input_ids)
        return dcl_fail(s->ctx, DCL_ERR_INVALID_ARGUMENT, "encode: no input_ids");
    if (b->offsets) {
        if (b->batch < 1)
            return dcl_fail(s->ctx, DCL_ERR_INVALID_ARGUMENT, "encode: empty batch (%d sequences)", b->batch);
        dcl_status st = packed_check(s, b);
        if (st != DCL_OK)
            return st;
        if (s->materialized)
            return dcl_fail(s->ctx, DCL_ERR_UNSUPPORTED, "encode: packed batches run the fused attention only; "
                            "the session materialises attention (materialized_attention)");
    } else {
        if (b->batch < 1 || b->length < 1)
            return dcl_fail(s->ctx, DCL_ERR_INVALID_ARGUMENT, "encode: empty batch (%d x %d)", b->batch, b->length);
        if (b->batch > s->max_batch)
            return dcl_fail(s->ctx, DCL_ERR_RANGE, "encode: batch %d exceeds the session's max_batch %d", b->batch,
                            s->max_batch);
        if (b->length > s->max_length)
            return dcl_fail(s->ctx, DCL_ERR_RANGE, "encode: length %d exceeds the session's max_length %d",
                            b->length, s->max_length);
    }
    /* (row, column) of token t for the messages */
    size_t T = dcl_batch_tokens(b), r = 0;
    for (size_t t = 0; t < T; t++) {
        size_t row, col;
        if (b->offsets) {
            while ((size_t)b->offsets[r + 1] <= t)
                r++;
            row = r;
            col = t - (size_t)b->offsets[r];
        } else {
            row = t / (size_t)b->length;
            col = t % (size_t)b->length;
        }
        if (b->input_ids[t] < 0 || b->input_ids[t] >= c->vocab_size)
            return dcl_fail(s->ctx, DCL_ERR_RANGE, "encode: input_ids[%zu][%zu] = %d is outside the vocabulary [0, %d)",
                            row, col, b->input_ids[t], c->vocab_size);
        if (b->token_type_ids && c->type_vocab_size > 0 &&
            (b->token_type_ids[t] < 0 || b->token_type_ids[t] >= c->type_vocab_size))
            return dcl_fail(s->ctx, DCL_ERR_RANGE, "encode: token_type_ids[%zu][%zu] = %d is outside [0, %d)", row,
                            col, b->token_type_ids[t], c->type_vocab_size);
        if (b->attention_mask && b->attention_mask[t] != 0 && b->attention_mask[t] != 1)
            return dcl_fail(s->ctx, DCL_ERR_RANGE, "encode: attention_mask[%zu][%zu] = %d is not 0 or 1", row, col,
                            b->attention_mask[t]);
    }
    return DCL_OK;
}


/* attentions: scores are [NH, B, L, L]; transformers returns [B, NH, L, L] */
static dcl_status read_attentions(dcl_session *s, float *dst)
{
    const size_t B = (size_t)s->B, L = (size_t)s->L, NH = (size_t)s->model->cfg.num_heads;
    dcl_status st = DCL_OK;
    for (size_t h = 0; h < NH && st == DCL_OK; h++)
        for (size_t b = 0; b < B && st == DCL_OK; b++)
            st = dcl_session_read(s, s->scores, ((h * B + b) * L * L) * sizeof(float), L * L * sizeof(float),
                            dst + (b * NH + h) * L * L);
    return st;
}

static dcl_status layer_tail(dcl_session *s, const dcl_layer *w, cl_mem qx, cl_mem y, cl_mem mid, const char *lp,
                             int l);

/* The materialised scores [NH*B, L, L] for the session's max_batch x max_length, allocated at the
 * first call that needs them. */
static dcl_status scores_buffer(dcl_session *s)
{
    const size_t floats = (size_t)s->model->cfg.num_heads * (size_t)s->max_batch * (size_t)s->max_length *
                          (size_t)s->max_length;
    if (s->scores)
        return DCL_OK;
    dcl_status st = buf(s, floats, &s->scores);
    if (st != DCL_OK)
        dcl_error_append(s->ctx, " (the attention scores [%d heads x %d x %d x %d]: request no attention outputs "
                         "to run the fused attention, which needs no such buffer)",
                         s->model->cfg.num_heads, s->max_batch, s->max_length, s->max_length);
    return st;
}

/* one encoder layer: reads x, writes y (x is left intact) */
static dcl_status layer_forward(dcl_session *s, int l, cl_mem x, cl_mem y, cl_mem mid, float *attn_out)
{
    return dcl_layer_run(s, l, x, x, y, mid, attn_out);
}

dcl_status dcl_layer_run(dcl_session *s, int l, cl_mem qx, cl_mem x, cl_mem y, cl_mem mid, float *attn_out)
{
    dcl_model *m = s->model;
    const dcl_config *c = &m->cfg;
    const dcl_layer *w = &m->layers[l];
    const unsigned B = (unsigned)s->B, L = (unsigned)s->L, T = (unsigned)s->T;
    const unsigned H = (unsigned)c->hidden_size, A = (unsigned)c->all_head_size, D = (unsigned)c->head_size;
    const unsigned NH = (unsigned)c->num_heads;
    dcl_status st;
    /* the probabilities are wanted, or the session compares paths: [NH*B, L, L] scores */
    const int materialize = attn_out != NULL || s->materialized;
    if (materialize && (st = scores_buffer(s)))
        return st;
    int fused;
    /* profile names: "layer3.attention.qkv_gemm"; the enhanced mask decoder's passes "emd.layer11..." */
    dcl_prof *pr = &s->prof;
    const char *lp = qx != x ? "emd.layer" : "layer";
    const double tad = (double)T * A, split_bytes = 4.0 * (2.0 * T * A + A);
    /* v2: [q | k | v] columns; v1 in_proj: per head [q_h | k_h | v_h]. Heads are split over all T
     * tokens at once ([NH, T, D]), padded or packed alike. */
    unsigned hs = m->v1_layout ? 3 * D : D, ko = m->v1_layout ? D : A, vo = m->v1_layout ? 2 * D : 2 * A;
    if (qx != x) { /* queries from other states (the enhanced mask decoder) */
        dcl_prof_op(pr, DCL_OPC_QKV, 0, 0, "%s%d.attention.qkv_gemm_query", lp, l);
        if ((st = layer_linear(s, T, 3 * A, H, qx, w->w_qkv, NULL, 0, s->qkv, &fused)))
            return st;
        dcl_prof_op(pr, DCL_OPC_QKV, tad, split_bytes, "%s%d.attention.split_q", lp, l);
        if ((st = dcl_op_split_heads(&s->ops, 1, T, NH, D, 3 * A, 0, hs, s->qkv, w->b_q, 1.0f, s->q)))
            return st;
    }
    dcl_prof_op(pr, DCL_OPC_QKV, 0, 0, "%s%d.attention.qkv_gemm", lp, l);
    if ((st = layer_linear(s, T, 3 * A, H, x, w->w_qkv, NULL, 0, s->qkv, &fused)))
        return st;
    if (s->attn.rb && !materialize) {
        /* the FA_RB kernel: q, k, v and the transposed keys in one pass */
        dcl_attn_qkv in = {s->qkv, w->b_q, w->b_k, w->b_v, 3 * A, hs, 0, ko, vo};
        dcl_prof_op(pr, DCL_OPC_QKV, tad * (qx == x ? 3.0 : 2.0), split_bytes * (qx == x ? 4.0 : 3.0),
                    "%s%d.attention.split_qkv", lp, l);
        if ((st = dcl_attn_split(&s->attn, T, NH, &in, qx == x ? s->q : NULL, s->k, s->v)))
            return st;
    } else {
        if (qx == x) {
            dcl_prof_op(pr, DCL_OPC_QKV, tad, split_bytes, "%s%d.attention.split_q", lp, l);
            if ((st = dcl_op_split_heads(&s->ops, 1, T, NH, D, 3 * A, 0, hs, s->qkv, w->b_q, 1.0f, s->q)))
                return st;
        }
        dcl_prof_op(pr, DCL_OPC_QKV, tad, split_bytes, "%s%d.attention.split_k", lp, l);
        if ((st = dcl_op_split_heads(&s->ops, 1, T, NH, D, 3 * A, ko, hs, s->qkv, w->b_k, 1.0f, s->k)))
            return st;
        dcl_prof_op(pr, DCL_OPC_QKV, tad, split_bytes, "%s%d.attention.split_v", lp, l);
        if ((st = dcl_op_split_heads(&s->ops, 1, T, NH, D, 3 * A, vo, hs, s->qkv, w->b_v, 1.0f, s->v)))
            return st;
    }
    /* c2c: scores[h, b] = Q K^T */
    dcl_gemm_args g = dcl_attn_qk_args(L, D, (size_t)NH * B, s->q, s->k, s->scores, 0);
    if (materialize)
        dcl_prof_op(pr, DCL_OPC_SCORES, 0, 0, "%s%d.attention.scores_gemm", lp, l);
    if (materialize && (st = dcl_session_gemm(s, &g, NULL)))
        return st;
    /* c2p = Q PK^T and p2c = K PQ^T over the slots this length uses, per head */
    unsigned nsr = 0;
    if (m->ns) {
        nsr = (unsigned)s->slot_count;
        struct { cl_mem act, pos, out; } rel[2] = {{s->q, w->pk, s->c2p}, {s->k, w->pq, s->p2c}};
        for (int r = 0; r < 2; r++) {
            if (!rel[r].pos)
                continue;
            dcl_gemm_args p = {0};
            p.trans_b = 1;
            p.m = T;
            p.n = nsr;
            p.k = D;
            p.alpha = 1.0f;
            p.a = rel[r].act;
            p.lda = D;
            p.a_stride = (size_t)T * D;
            p.b = rel[r].pos;
            p.b_off = (size_t)s->slot_min * A;
            p.ldb = A;
            p.b_stride = D;
            if (m->packed) { /* one packed [NS, D] matrix per head; b_off is the first slot */
                p.b_packed = 1;
                p.b_off = (size_t)s->slot_min;
                p.b_stride = dcl_gemm_packed_floats(s->ctx, (size_t)m->ns, D);
            }
            p.c = rel[r].out;
            p.ldc = nsr;
            p.c_stride = (size_t)T * nsr;
            p.batch = NH;
            if (NH == 1) { /* a batch of one: a plain GEMM */
                p.batch = 0;
            }
            dcl_prof_op(pr, DCL_OPC_REL, 0, 0, "%s%d.attention.%s_gemm", lp, l, r ? "p2c" : "c2p");
            if ((st = dcl_session_gemm(s, &p, NULL)))
                return st;
        }
    }
    float inv_scale = (float)(1.0 / sqrt((double)D * (double)c->scale_factor));
    if (!materialize) {
        /* scores, softmax and P V in one pass, straight into the merged [T, A] layout. Per query
         * and key: the c2c dot, gathers, scale, mask, online max/exp/sum and the P V update. */
        double pairs = 0, rel = (w->pk != NULL) + (w->pq != NULL);
        for (unsigned g2 = 0; g2 < s->attn.n_tiles; g2++)
            pairs += (double)s->attn.h_tiles[4 * (size_t)g2 + 1] * (double)s->attn.h_tiles[4 * (size_t)g2 + 3];
        pairs *= NH;
        dcl_prof_op(pr, DCL_OPC_SCORES, pairs * (4.0 * D + 6.0 + rel), 4.0 * (4.0 * tad + pairs * rel / 16.0),
                    "%s%d.attention.fused", lp, l);
        if ((st = dcl_attn_fused(&s->attn, T, NH, A, s->q, s->k, s->v, w->pk && nsr ? s->c2p : NULL,
                                 w->pq && nsr ? s->p2c : NULL, s->slot, nsr, s->packed ? NULL : s->mask, inv_scale,
                                 s->ctxm)))
            return st;
        return layer_tail(s, w, qx, y, mid, lp, l);
    }
    {
        /* per score: c2c read, gathers, scale, mask, max, exp, sum, divide; write */
        double n_sc = (double)NH * B * L * L, rel = (w->pk != NULL) + (w->pq != NULL);
        dcl_prof_op(pr, DCL_OPC_SCORES, n_sc * (6.0 + rel), 4.0 * (n_sc * (2.0 + rel) + T), "%s%d.attention.softmax",
                    lp, l);
    }
    if ((st = dcl_op_disentangled_softmax(&s->ops, B, L, NH, s->scores, w->pk ? s->c2p : NULL,
                                          w->pq ? s->p2c : NULL, s->slot, nsr ? nsr : 1, s->mask, inv_scale)))
        return st;
    if (attn_out && (st = read_attentions(s, attn_out)))
        return st;
    /* context = P V, merged back to [T, A] */
    dcl_gemm_args pv = dcl_attn_pv_args(L, D, (size_t)NH * B, s->scores, s->v, s->ctxh);
    dcl_prof_op(pr, DCL_OPC_PV, 0, 0, "%s%d.attention.pv_gemm", lp, l);
    if ((st = dcl_session_gemm(s, &pv, NULL)))
        return st;
    dcl_prof_op(pr, DCL_OPC_PV, 0, 8.0 * tad, "%s%d.attention.merge_heads", lp, l);
    if ((st = dcl_op_merge_heads(&s->ops, B, L, NH, D, s->ctxh, s->ctxm)))
        return st;
    return layer_tail(s, w, qx, y, mid, lp, l);
}

/* After the attention context s->ctxm: output projection + residual + LayerNorm, then the FFN. */
static dcl_status layer_tail(dcl_session *s, const dcl_layer *w, cl_mem qx, cl_mem y, cl_mem mid, const char *lp,
                             int l)
{
    const dcl_config *c = &s->model->cfg;
    const unsigned T = (unsigned)s->T, H = (unsigned)c->hidden_size, A = (unsigned)c->all_head_size;
    const unsigned I = (unsigned)c->intermediate_size;
    dcl_prof *pr = &s->prof;
    dcl_status st;
    int fused;
    /* output projection + residual + LayerNorm, then the FFN */
    const double th = (double)T * H, ln_flops = 10.0 * th, ln_bytes = 4.0 * (3.0 * th + 3.0 * H);
    const double ti = (double)T * I;
    dcl_prof_op(pr, DCL_OPC_OUT, 0, 0, "%s%d.attention.out_gemm", lp, l);
    if ((st = layer_linear(s, T, H, A, s->ctxm, w->w_o, NULL, 0, s->tmp, &fused)))
        return st;
    dcl_prof_op(pr, DCL_OPC_LAYERNORM, ln_flops, ln_bytes, "%s%d.attention.layernorm", lp, l);
    if ((st = dcl_op_layernorm(&s->ops, T, H, c->layer_norm_eps, s->tmp, w->b_o, qx, w->ln1_g, w->ln1_b, NULL, mid)))
        return st;
    dcl_prof_op(pr, DCL_OPC_FFN, 0, 0, "%s%d.ffn.up_gemm", lp, l);
    if ((st = layer_linear(s, T, I, H, mid, w->w_i, w->b_i, c->hidden_act, s->inter, &fused)))
        return st;
    if (!fused) {
        dcl_prof_op(pr, DCL_OPC_FFN, 6.0 * ti, 4.0 * (2.0 * ti + I), "%s%d.ffn.act", lp, l);
        if ((st = dcl_op_bias_act(&s->ops, T, I, s->inter, w->b_i, NULL, c->hidden_act)))
            return st;
    }
    dcl_prof_op(pr, DCL_OPC_FFN, 0, 0, "%s%d.ffn.down_gemm", lp, l);
    if ((st = layer_linear(s, T, H, I, s->inter, w->w_out, NULL, 0, s->tmp, &fused)))
        return st;
    dcl_prof_op(pr, DCL_OPC_LAYERNORM, ln_flops, ln_bytes, "%s%d.ffn.layernorm", lp, l);
    return dcl_op_layernorm(&s->ops, T, H, c->layer_norm_eps, s->tmp, w->b_out, mid, w->ln2_g, w->ln2_b, NULL, y);
}

/* v2 conv layer after layer 0: y = LN(y + act(mask * conv(emb))) * mask */
static dcl_status conv_forward(dcl_session *s, cl_mem emb, cl_mem y)
{
    dcl_model *m = s->model;
    const dcl_config *c = &m->cfg;
    const unsigned B = (unsigned)s->B, L = (unsigned)s->L, T = (unsigned)s->T, H = (unsigned)c->hidden_size;
    const unsigned K = (unsigned)c->conv_kernel_size, pad = (K - 1) / 2;
    dcl_status st;
    const double th = (double)T * H;
    dcl_prof *pr = &s->prof;
    if (c->conv_groups == 1) {
        dcl_prof_op(pr, DCL_OPC_CONV, 0, 4.0 * (th + th * K), "conv.im2col");
        if ((st = s->packed ? dcl_attn_im2col(&s->attn, T, H, K, pad, emb, s->cols)
                            : dcl_op_im2col(&s->ops, B, L, H, K, pad, emb, s->cols)))
            return st;
        dcl_prof_op(pr, DCL_OPC_CONV, 0, 0, "conv.gemm");
        if ((st = linear(s, T, H, (size_t)H * K, s->cols, m->conv_w, 0, s->tmp)))
            return st;
        dcl_prof_op(pr, DCL_OPC_CONV, 7.0 * th, 4.0 * (2.0 * th + H + T), "conv.act");
        if ((st = dcl_op_bias_act(&s->ops, T, H, s->tmp, m->conv_b, s->mask, c->conv_act)))
            return st;
    } else {
        const double g = (double)c->conv_groups, cin = (double)H / g;
        dcl_prof_op(pr, DCL_OPC_CONV, 2.0 * th * cin * K, 4.0 * (2.0 * th + H * cin * K + H), "conv.grouped");
        if ((st = s->packed ? dcl_attn_conv_grouped(&s->attn, T, H, K, pad, (unsigned)c->conv_groups, emb, m->conv_w,
                                                    m->conv_b, s->tmp)
                            : dcl_op_conv_grouped(&s->ops, B, L, H, K, pad, (unsigned)c->conv_groups, emb, m->conv_w,
                                                  m->conv_b, s->tmp)))
            return st;
        dcl_prof_op(pr, DCL_OPC_CONV, 6.0 * th, 4.0 * (2.0 * th + T), "conv.act");
        if ((st = dcl_op_bias_act(&s->ops, T, H, s->tmp, NULL, s->mask, c->conv_act)))
            return st;
    }
    dcl_prof_op(pr, DCL_OPC_LAYERNORM, 10.0 * th, 4.0 * (3.0 * th + 2.0 * H + T), "conv.layernorm");
    return dcl_op_layernorm(&s->ops, T, H, c->layer_norm_eps, s->tmp, NULL, y, m->conv_ln_g, m->conv_ln_b, s->mask, y);
}

dcl_status dcl_encode_impl(dcl_session *s, const dcl_batch *b, const dcl_outputs *o)
{
    return dcl_encoder_run(s, b, o, 1);
}

dcl_status dcl_encoder_run(dcl_session *s, const dcl_batch *b, const dcl_outputs *o, int finish)
{
    double t0 = dcl_now();
    dcl_model *m = s->model;
    const dcl_config *c = &m->cfg;
    dcl_prof_clear(&s->prof); /* a failing call leaves no records */
    dcl_status st = dcl_batch_check(s, b);
    if (st != DCL_OK)
        return st;
    if (b->offsets && o && o->attentions)
        return dcl_fail(s->ctx, DCL_ERR_UNSUPPORTED, "encode: attention probabilities are returned for padded "
                        "batches only, not for packed ones");
    /* wait for the previous call's transfers before the staging copies are reused */
    cl_int err = clFinish(s->ctx->queue);
    if (err != CL_SUCCESS)
        return DCL_CL_FAIL(s->ctx, err, "clFinish");
    memset(&s->timings, 0, sizeof s->timings);
    s->ops.launches = 0;
    s->attn.launches = 0;
    s->B = b->batch;
    s->packed = b->offsets != NULL;
    s->T = (int)dcl_batch_tokens(b);
    s->L = b->length;
    for (int r = 0; s->packed && r < b->batch; r++) /* packed: the longest sequence */
        if (r == 0 || b->offsets[r + 1] - b->offsets[r] > s->L)
            s->L = b->offsets[r + 1] - b->offsets[r];
    const unsigned L = (unsigned)s->L, T = (unsigned)s->T, H = (unsigned)c->hidden_size;
    const unsigned E = (unsigned)c->embedding_size;
    for (unsigned t = 0; t < T; t++) {
        s->h_ids[t] = b->input_ids[t];
        s->h_types[t] = b->token_type_ids && c->type_vocab_size > 0 ? b->token_type_ids[t] : 0;
        s->h_mask[t] = b->attention_mask ? (float)(b->attention_mask[t] != 0) : 1.0f;
    }
    if ((st = dcl_session_write(s, s->ids, T * sizeof(int32_t), s->h_ids)) ||
        (st = dcl_session_write(s, s->types, T * sizeof(int32_t), s->h_types)) ||
        (st = dcl_session_write(s, s->mask, T * sizeof(float), s->h_mask)) ||
        (st = dcl_attn_layout(&s->attn, (unsigned)b->batch, (unsigned)b->length, b->offsets)))
        goto fail;
    if (m->ns && s->slot_L != (int)L) {
        dcl_rel_slot_table(c, (int)L, s->h_slot, &s->slot_min, &s->slot_count);
        if ((st = dcl_session_write(s, s->slot, (2 * L - 1) * sizeof(int32_t), s->h_slot)))
            goto fail;
        s->slot_L = (int)L;
    }
    /* embeddings */
    cl_mem x = s->h[0];
    cl_mem gather_out = E != H ? s->emb : x;
    {
        double adds = (c->position_biased_input ? 1.0 : 0.0) + (m->type_emb ? 1.0 : 0.0), te = (double)T * E;
        dcl_prof_op(&s->prof, DCL_OPC_EMBEDDINGS, adds * te, 4.0 * (te * (2.0 + adds) + 2.0 * T), "embeddings.gather");
    }
    cl_mem pos = c->position_biased_input ? m->pos_emb : NULL;
    if ((st = s->packed && pos ? dcl_attn_embed_gather(&s->attn, T, E, s->ids, s->types, m->word_emb, pos, m->type_emb,
                                                       gather_out)
                               : dcl_op_embed_gather(&s->ops, T, L, E, s->ids, s->types, m->word_emb, pos, m->type_emb,
                                                     gather_out)))
        goto fail;
    dcl_prof_op(&s->prof, DCL_OPC_EMBEDDINGS, 0, 0, "embeddings.proj_gemm");
    if (E != H && (st = linear(s, T, H, E, s->emb, m->embed_proj, 0, x)))
        goto fail;
    dcl_prof_op(&s->prof, DCL_OPC_LAYERNORM, 9.0 * T * H, 4.0 * (2.0 * T * H + 2.0 * H + T), "embeddings.layernorm");
    if ((st = dcl_op_layernorm(&s->ops, T, H, c->layer_norm_eps, x, NULL, NULL, m->emb_ln_g, m->emb_ln_b, s->mask, x)))
        goto fail;
    if (o && o->hidden_states && o->hidden_states[0] &&
        (st = dcl_session_read(s, x, 0, (size_t)T * H * sizeof(float), o->hidden_states[0])))
        goto fail;
    /* layers: x -> y through mid; the embedding output stays in h[0] until the conv has used it */
    int cur = 0;
    for (int l = 0; l < c->num_layers; l++) {
        int nxt = (cur + 1) % 3, mid = (cur + 2) % 3;
        float *attn = o && o->attentions ? o->attentions[l] : NULL;
        if ((st = layer_forward(s, l, s->h[cur], s->h[nxt], s->h[mid], attn)))
            goto fail;
        if (l == 0 && m->conv_w && (st = conv_forward(s, s->h[cur], s->h[nxt])))
            goto fail;
        cur = nxt;
        if (o && o->hidden_states && o->hidden_states[l + 1] &&
            (st = dcl_session_read(s, s->h[cur], 0, (size_t)T * H * sizeof(float), o->hidden_states[l + 1])))
            goto fail;
    }
    s->out = s->h[cur];
    s->prev = s->h[(cur + 2) % 3]; /* the input of the last layer: layer N-1's output */
    if (o && o->last_hidden_state &&
        (st = dcl_session_read(s, s->out, 0, (size_t)T * H * sizeof(float), o->last_hidden_state)))
        goto fail;
    if (!finish)
        return DCL_OK;
    if ((st = dcl_session_finish(s, t0)) != DCL_OK)
        goto fail;
    return DCL_OK;
fail:
    (void)clFinish(s->ctx->queue); /* already failing: the first error is the one reported */
    dcl_prof_clear(&s->prof);
    return st;
}
