/* SPDX-License-Identifier: Apache-2.0 */
#include "attention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "profile.h"
#include "program.h"
#include "tuning.h"

void dcl_attn_tuning(const dcl_context *ctx, unsigned d, dcl_attn *a)
{
    /* FA_* of the tuning (host/tunables.def; CPU level in host/tuning.c), fitted to the device and
     * to the head size: a vector width that divides d, two [tk, d] tiles in local memory */
    unsigned q = (unsigned)dcl_tuning_value(ctx, DCL_T_FA_TQ), k = (unsigned)dcl_tuning_value(ctx, DCL_T_FA_TK);
    unsigned vw = (unsigned)dcl_tuning_value(ctx, DCL_T_FA_VW);
    a->local = dcl_tuning_value(ctx, DCL_T_FA_LOCAL) != 0;
    a->rb = dcl_tuning_value(ctx, DCL_T_FA_RB) != 0;
    a->kw = dcl_tuning_value(ctx, DCL_T_FA_KW) >= 16 && d % 16 == 0 ? 16 : 8;
    if (a->rb && d % a->kw) /* no key vector fits this head size: the work-group kernel */
        a->rb = 0;
    size_t max_wg = ctx->info.max_work_group_size ? ctx->info.max_work_group_size : 1;
    q = q < 1 ? 1 : q;
    while (q > 1 && q > max_wg)
        q /= 2;
    vw = vw >= 16 ? 16 : vw >= 8 ? 8 : vw >= 4 ? 4 : 1;
    while (vw > 1 && d % vw)
        vw = vw == 4 ? 1 : vw / 2;
    k = k < 1 ? 1 : k;
    if (a->local) {
        uint64_t local = ctx->info.local_mem_bytes ? ctx->info.local_mem_bytes : 16384;
        while (k > 1 && (uint64_t)2 * k * d * sizeof(float) + 1024 > local)
            k /= 2;
    }
    if (a->rb) { /* queries per work-item: private accumulators of FA_TQ x d floats */
        q = q > 32 ? 32 : q;
        a->local = 0;
    }
    a->tq = q;
    a->tk = k;
    a->vw = vw;
}

/* columns of the transposed keys for T tokens: whole vectors, and one more so that a key block
 * starting at a sequence's last key stays inside the buffer */
static size_t keys_cols(const dcl_attn *a, size_t T) { return (T + a->kw - 1) / a->kw * a->kw + a->kw; }

void dcl_attn_release(dcl_attn *a)
{
    cl_kernel *ks[] = {&a->fused, &a->split, &a->embed_seq, &a->im2col_seq, &a->conv_seq};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
        if (*ks[i]) {
            clReleaseKernel(*ks[i]);
            *ks[i] = NULL;
        }
    cl_mem *ms[] = {&a->tiles, &a->tok, &a->dummy, &a->kt};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
        if (*ms[i]) {
            clReleaseMemObject(*ms[i]);
            *ms[i] = NULL;
        }
    free(a->h_tiles);
    free(a->h_tok);
    a->h_tiles = a->h_tok = NULL;
}

size_t dcl_attn_bytes(const dcl_context *ctx, unsigned d, unsigned heads, size_t max_tokens)
{
    dcl_attn shape;
    memset(&shape, 0, sizeof shape);
    dcl_attn_tuning(ctx, d, &shape);
    size_t kt = shape.rb ? (size_t)heads * d * keys_cols(&shape, max_tokens) * sizeof(float) : 0;
    return max_tokens * (4 + 2) * sizeof(int32_t) + 64 + kt;
}

dcl_status dcl_attn_init(dcl_context *ctx, unsigned d, unsigned heads, size_t max_tokens, dcl_attn *a)
{
    dcl_attn shape;
    memset(&shape, 0, sizeof shape);
    dcl_attn_tuning(ctx, d, &shape);
    return dcl_attn_init_shape(ctx, d, heads, max_tokens, &shape, a);
}

dcl_status dcl_attn_init_shape(dcl_context *ctx, unsigned d, unsigned heads, size_t max_tokens,
                               const dcl_attn *shape, dcl_attn *a)
{
    memset(a, 0, sizeof *a);
    a->ctx = ctx;
    a->d = d;
    a->heads = heads;
    a->max_tokens = max_tokens;
    a->tq = shape->tq ? shape->tq : 1;
    a->tk = shape->tk ? shape->tk : 1;
    a->local = shape->local;
    a->vw = shape->vw ? shape->vw : 1;
    a->rb = shape->rb;
    a->kw = shape->kw == 8 ? 8 : 16;
    if (d % a->vw || (a->rb && (d % a->kw || a->tq > 32)))
        return dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT, "fused attention shape (TQ %u, VW %u, RB %u, KW %u) does not fit head size %u",
                        a->tq, a->vw, a->rb, a->kw, d);
    char opts[192];
    snprintf(opts, sizeof opts, "-DFA_D=%u -DFA_TQ=%u -DFA_TK=%u -DFA_LOCAL=%u -DFA_VW=%u -DFA_KW=%u", d, a->tq,
             a->tk, a->local, a->vw, a->kw);
    dcl_status st = dcl_kernel_create(ctx, "fused_attention", opts,
                                      a->rb ? "dcl_fused_attention_rb" : "dcl_fused_attention", &a->fused);
    if (!st && a->rb)
        st = dcl_kernel_create(ctx, "fused_attention", opts, "dcl_fa_split", &a->split);
    if (!st && a->rb)
        st = dcl_buffer_create(ctx, (size_t)heads * d * keys_cols(a, max_tokens) * sizeof(float), NULL, &a->kt);
    if (!st)
        st = dcl_kernel_create(ctx, "sequences", "", "dcl_embed_gather_seq", &a->embed_seq);
    if (!st)
        st = dcl_kernel_create(ctx, "sequences", "", "dcl_im2col1d_seq", &a->im2col_seq);
    if (!st)
        st = dcl_kernel_create(ctx, "sequences", "", "dcl_conv1d_grouped_seq", &a->conv_seq);
    if (!st)
        st = dcl_buffer_create(ctx, max_tokens * 4 * sizeof(int32_t), NULL, &a->tiles);
    if (!st)
        st = dcl_buffer_create(ctx, max_tokens * 2 * sizeof(int32_t), NULL, &a->tok);
    if (!st)
        st = dcl_buffer_create(ctx, 64, NULL, &a->dummy);
    if (!st) {
        a->h_tiles = malloc(max_tokens * 4 * sizeof(int32_t));
        a->h_tok = malloc(max_tokens * 2 * sizeof(int32_t));
        if (!a->h_tiles || !a->h_tok)
            st = dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
    }
    if (st)
        dcl_attn_release(a);
    return st;
}

dcl_status dcl_attn_layout(dcl_attn *a, unsigned B, unsigned L, const int32_t *offsets)
{
    unsigned nt = 0, T = 0, longest = 0;
    for (unsigned b = 0; b < B; b++) {
        unsigned s0 = offsets ? (unsigned)offsets[b] : b * L;
        unsigned n = offsets ? (unsigned)(offsets[b + 1] - offsets[b]) : L;
        longest = n > longest ? n : longest;
        for (unsigned q0 = 0; q0 < n; q0 += a->tq) {
            int32_t *t = a->h_tiles + 4 * (size_t)nt++;
            t[0] = (int32_t)(s0 + q0);
            t[1] = (int32_t)(n - q0 < a->tq ? n - q0 : a->tq);
            t[2] = (int32_t)s0;
            t[3] = (int32_t)n;
        }
        for (unsigned i = 0; i < n; i++) {
            a->h_tok[2 * ((size_t)s0 + i)] = (int32_t)i;
            a->h_tok[2 * ((size_t)s0 + i) + 1] = (int32_t)n;
        }
        T = s0 + n > T ? s0 + n : T;
    }
    a->n_tiles = nt;
    a->max_len = longest;
    const size_t tile_bytes = (size_t)nt * 4 * sizeof(int32_t), tok_bytes = (size_t)T * 2 * sizeof(int32_t);
    cl_int err = clEnqueueWriteBuffer(a->ctx->queue, a->tiles, CL_FALSE, 0, tile_bytes, a->h_tiles, 0, NULL,
                                      dcl_prof_transfer(a->prof, 1, tile_bytes));
    if (err == CL_SUCCESS)
        err = clEnqueueWriteBuffer(a->ctx->queue, a->tok, CL_FALSE, 0, tok_bytes, a->h_tok, 0, NULL,
                                   dcl_prof_transfer(a->prof, 1, tok_bytes));
    return err == CL_SUCCESS ? DCL_OK : DCL_CL_FAIL(a->ctx, err, "clEnqueueWriteBuffer");
}

/* ---- argument setting and launch ---- */
typedef struct args {
    dcl_attn *a;
    cl_kernel k;
    cl_uint i;
    cl_int err;
} args;

static void arg(args *x, size_t size, const void *v)
{
    if (x->err == CL_SUCCESS)
        x->err = clSetKernelArg(x->k, x->i, size, v);
    x->i++;
}
static void arg_u(args *x, unsigned v)
{
    cl_uint u = v;
    arg(x, sizeof u, &u);
}
static void arg_i(args *x, int v)
{
    cl_int u = v;
    arg(x, sizeof u, &u);
}
static void arg_m(args *x, cl_mem m)
{
    cl_mem u = m ? m : x->a->dummy;
    arg(x, sizeof u, &u);
}

static size_t round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

static dcl_status launch(args *x, const char *name, cl_uint dims, const size_t *global, const size_t *local)
{
    dcl_attn *a = x->a;
    if (x->err != CL_SUCCESS)
        return dcl_fail(a->ctx, DCL_ERR_OPENCL, "clSetKernelArg(%s, %u) failed: %s (%d)", name, x->i - 1,
                        dcl_cl_error_name(x->err), (int)x->err);
    for (cl_uint d = 0; d < dims; d++)
        if (global[d] == 0)
            return DCL_OK;
    cl_int err = clEnqueueNDRangeKernel(a->ctx->queue, x->k, dims, NULL, global, local, 0, NULL,
                                        dcl_prof_kernel(a->prof, name, dims, global, local));
    if (err != CL_SUCCESS)
        return dcl_fail(a->ctx,
                        err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES ? DCL_ERR_DEVICE_MEMORY
                                                                                              : DCL_ERR_OPENCL,
                        "clEnqueueNDRangeKernel(%s) failed: %s (%d)", name, dcl_cl_error_name(err), (int)err);
    a->launches++;
    return DCL_OK;
}

dcl_status dcl_attn_split(dcl_attn *a, unsigned T, unsigned NH, const dcl_attn_qkv *in, cl_mem q, cl_mem k,
                          cl_mem v)
{
    if (!a->rb)
        return dcl_fail(a->ctx, DCL_ERR_INVALID_ARGUMENT, "dcl_attn_split: the fused attention is not FA_RB");
    if (NH > a->heads || T > a->max_tokens)
        return dcl_fail(a->ctx, DCL_ERR_INVALID_ARGUMENT, "dcl_attn_split: %u heads x %u tokens exceed %u x %zu", NH,
                        T, a->heads, a->max_tokens);
    const size_t kts = keys_cols(a, T);
    args x = {a, a->split, 0, CL_SUCCESS};
    arg_u(&x, T);
    arg_u(&x, NH);
    arg_u(&x, (unsigned)kts);
    arg_u(&x, in->stride);
    arg_u(&x, in->head_stride);
    arg_u(&x, in->q_off);
    arg_u(&x, in->k_off);
    arg_u(&x, in->v_off);
    arg_m(&x, in->src);
    arg_m(&x, in->bq);
    arg_m(&x, in->bk);
    arg_m(&x, in->bv);
    arg_i(&x, in->bq != NULL);
    arg_i(&x, in->bk != NULL);
    arg_i(&x, in->bv != NULL);
    arg_i(&x, q != NULL);
    arg_m(&x, q);
    arg_m(&x, k);
    arg_m(&x, v);
    arg_m(&x, a->kt);
    size_t g[1] = {kts}, l[1] = {a->kw}; /* kts is a multiple of kw */
    return launch(&x, "dcl_fa_split", 1, g, l);
}

dcl_status dcl_attn_fused(dcl_attn *a, unsigned T, unsigned NH, unsigned ctx_stride, cl_mem q, cl_mem k, cl_mem v,
                          cl_mem c2p, cl_mem p2c, cl_mem slot, unsigned nsr, cl_mem mask, float inv_scale,
                          cl_mem out)
{
    args x = {a, a->fused, 0, CL_SUCCESS};
    arg_u(&x, T);
    arg_u(&x, NH);
    arg_u(&x, ctx_stride);
    arg_m(&x, a->tiles);
    arg_m(&x, q);
    if (a->rb) {
        arg_m(&x, a->kt);
        arg_u(&x, (unsigned)keys_cols(a, T));
    } else {
        arg_m(&x, k);
    }
    arg_m(&x, v);
    arg_m(&x, c2p);
    arg_m(&x, p2c);
    arg_m(&x, slot);
    arg_u(&x, a->max_len);
    arg_u(&x, nsr ? nsr : 1);
    arg_m(&x, mask);
    arg_i(&x, mask != NULL);
    arg(&x, sizeof inv_scale, &inv_scale);
    arg_i(&x, c2p != NULL);
    arg_i(&x, p2c != NULL);
    arg_m(&x, out);
    if (a->rb) {
        size_t g[2] = {a->n_tiles, NH}, l[2] = {1, 1};
        return launch(&x, "dcl_fused_attention_rb", 2, g, l);
    }
    size_t g[2] = {(size_t)a->n_tiles * a->tq, NH}, l[2] = {a->tq, 1};
    return launch(&x, "dcl_fused_attention", 2, g, l);
}

#define SEQ_LOCAL 64

dcl_status dcl_attn_embed_gather(dcl_attn *a, unsigned T, unsigned E, cl_mem ids, cl_mem types, cl_mem word,
                                 cl_mem pos, cl_mem type_emb, cl_mem out)
{
    args x = {a, a->embed_seq, 0, CL_SUCCESS};
    arg_u(&x, T);
    arg_u(&x, E);
    arg_m(&x, ids);
    arg_m(&x, types);
    arg_m(&x, word);
    arg_m(&x, pos);
    arg_m(&x, type_emb);
    arg_i(&x, pos != NULL);
    arg_i(&x, type_emb != NULL);
    arg_m(&x, a->tok);
    arg_m(&x, out);
    size_t g[2] = {round_up(E, SEQ_LOCAL), T}, l[2] = {SEQ_LOCAL, 1};
    return launch(&x, "dcl_embed_gather_seq", 2, g, l);
}

dcl_status dcl_attn_im2col(dcl_attn *a, unsigned T, unsigned C, unsigned K, unsigned pad, cl_mem xm, cl_mem cols)
{
    args x = {a, a->im2col_seq, 0, CL_SUCCESS};
    arg_u(&x, T);
    arg_u(&x, C);
    arg_u(&x, K);
    arg_u(&x, pad);
    arg_m(&x, a->tok);
    arg_m(&x, xm);
    arg_m(&x, cols);
    size_t g[2] = {round_up((size_t)C * K, SEQ_LOCAL), T}, l[2] = {SEQ_LOCAL, 1};
    return launch(&x, "dcl_im2col1d_seq", 2, g, l);
}

dcl_status dcl_attn_conv_grouped(dcl_attn *a, unsigned T, unsigned C, unsigned K, unsigned pad, unsigned groups,
                                 cl_mem xm, cl_mem w, cl_mem bias, cl_mem out)
{
    args x = {a, a->conv_seq, 0, CL_SUCCESS};
    arg_u(&x, T);
    arg_u(&x, C);
    arg_u(&x, K);
    arg_u(&x, pad);
    arg_u(&x, groups);
    arg_m(&x, a->tok);
    arg_m(&x, xm);
    arg_m(&x, w);
    arg_m(&x, bias);
    arg_m(&x, out);
    size_t g[2] = {round_up(C, SEQ_LOCAL), T}, l[2] = {SEQ_LOCAL, 1};
    return launch(&x, "dcl_conv1d_grouped_seq", 2, g, l);
}
