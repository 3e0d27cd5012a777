/* SPDX-License-Identifier: Apache-2.0 */
/* Fused disentangled attention (cl/fused_attention.cl) and the packed-batch layout: the tile list
 * of the fused kernel and the per-token (position, sequence length) table of cl/sequences.cl.
 * One set per session (kernel objects are not thread-safe). Internal. */
#ifndef DCL_HOST_ATTENTION_H
#define DCL_HOST_ATTENTION_H

#include <CL/cl.h>
#include <stdint.h>

#include "context.h"

typedef struct dcl_attn {
    dcl_context *ctx;
    cl_kernel fused, embed_seq, im2col_seq, conv_seq;
    cl_kernel split;     /* FA_RB: heads of the QKV projection, keys also transposed */
    unsigned d, tq, tk;  /* head size, queries per work-group (FA_RB: per work-item), keys per tile */
    unsigned local, vw;  /* stage tiles in local memory (0/1), vector width over the head size */
    unsigned rb, kw;     /* register-blocked CPU kernel (0/1), keys per vector there */
    unsigned heads;      /* heads the transposed-key buffer holds */
    cl_mem kt;           /* FA_RB: kT [heads, d, kts] */
    size_t max_tokens;   /* what the buffers hold */
    cl_mem tiles;        /* int4 [max_tokens]: (q0, nq, s0, n) per query tile */
    cl_mem tok;          /* int2 [max_tokens]: (position in sequence, sequence length) */
    cl_mem dummy;        /* stands in for optional buffers that are off */
    int32_t *h_tiles, *h_tok; /* host staging, alive until the queue is finished */
    unsigned n_tiles;    /* tiles of the current layout */
    unsigned max_len;    /* longest sequence of the current layout */
    struct dcl_prof *prof; /* the session's profiling records (host/profile.h), or NULL */
    unsigned launches;
} dcl_attn;

/* Shape of the fused kernel for head size d on this device (host/tunables.def, FA_*): the kernel
 * (work-group tiles, or FA_RB register blocks), queries per group or work-item, keys per tile,
 * local-memory staging and vector widths, fitted to d and the device's limits. */
void dcl_attn_tuning(const dcl_context *ctx, unsigned d, dcl_attn *shape);

/* Builds the programs for head size d and allocates the layout buffers for max_tokens tokens of
 * `heads` heads. */
dcl_status dcl_attn_init(dcl_context *ctx, unsigned d, unsigned heads, size_t max_tokens, dcl_attn *a);
/* The same with the shape fields of `shape` (tq, tk, local, vw, rb, kw) instead of the device's
 * tuning: tests and benchmarks compare shapes. */
dcl_status dcl_attn_init_shape(dcl_context *ctx, unsigned d, unsigned heads, size_t max_tokens,
                               const dcl_attn *shape, dcl_attn *a);
void dcl_attn_release(dcl_attn *a);

/* Device bytes dcl_attn_init allocates for max_tokens tokens of `heads` heads of size d. */
size_t dcl_attn_bytes(const dcl_context *ctx, unsigned d, unsigned heads, size_t max_tokens);

/* Sets the layout of a batch of B sequences: padded (offsets NULL: sequence b is tokens
 * b*L .. b*L+L-1) or packed (sequence b is tokens offsets[b] .. offsets[b+1]-1). Enqueues the
 * writes (not waited for). */
dcl_status dcl_attn_layout(dcl_attn *a, unsigned B, unsigned L, const int32_t *offsets);

/* ctx[t, h*d + e] for every token of the layout and head h < NH (see cl/fused_attention.cl):
 * q, k, v [NH, T, d]; c2p / p2c [NH, T, nsr] or NULL (term off); slot [2*max_len - 1] (not read
 * when both terms are off); mask [T] floats or NULL (no padding). */
dcl_status dcl_attn_fused(dcl_attn *a, unsigned T, unsigned NH, unsigned ctx_stride, cl_mem q, cl_mem k, cl_mem v,
                          cl_mem c2p, cl_mem p2c, cl_mem slot, unsigned nsr, cl_mem mask, float inv_scale,
                          cl_mem out);

/* The fused QKV projection of the FA_RB kernel: head h's query, key and value of token t are
 * src[t * stride + h * head_stride + {q,k,v}_off + e], plus the bias [NH * d] where not NULL. */
typedef struct dcl_attn_qkv {
    cl_mem src, bq, bk, bv;
    unsigned stride, head_stride, q_off, k_off, v_off;
} dcl_attn_qkv;

/* FA_RB only: splits the projection into q (unless NULL), k, v [NH, T, d] and the transposed
 * keys dcl_attn_fused reads, in one launch. Enqueued before dcl_attn_fused, for the same T. */
dcl_status dcl_attn_split(dcl_attn *a, unsigned T, unsigned NH, const dcl_attn_qkv *in, cl_mem q, cl_mem k,
                          cl_mem v);

/* Embedding gather with absolute positions taken from the layout (packed batches). */
dcl_status dcl_attn_embed_gather(dcl_attn *a, unsigned T, unsigned E, cl_mem ids, cl_mem types, cl_mem word,
                                 cl_mem pos, cl_mem type_emb, cl_mem out);

/* The v2 conv layer's im2col / grouped convolution with zero padding at each sequence's ends. */
dcl_status dcl_attn_im2col(dcl_attn *a, unsigned T, unsigned C, unsigned K, unsigned pad, cl_mem x, cl_mem cols);
dcl_status dcl_attn_conv_grouped(dcl_attn *a, unsigned T, unsigned C, unsigned K, unsigned pad, unsigned groups,
                                 cl_mem x, cl_mem w, cl_mem bias, cl_mem out);

#endif
