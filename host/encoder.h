/* SPDX-License-Identifier: Apache-2.0 */
/* Sessions and the encoder forward pass. Internal. */
#ifndef DCL_HOST_ENCODER_H
#define DCL_HOST_ENCODER_H

#include "attention.h"
#include "model.h"
#include "gemm.h"
#include "ops.h"
#include "profile.h"

struct dcl_session {
    dcl_model *model;
    dcl_context *ctx;
    dcl_ops ops;
    dcl_attn attn;      /* fused attention and the packed-batch layout */
    dcl_gemm_kernels gemm_kernels; /* cl/gemm_cpu.cl kernel objects, created on first use */
    int max_batch, max_length, profile;
    int materialized;   /* always materialise the scores (dcl_session_params.materialized_attention) */
    /* device workspace, sized for max_batch x max_length */
    cl_mem ids, types, mask, slot;
    cl_mem h[4];        /* hidden-state buffers [T, H]: three for the layers, h[3] free for heads */
    cl_mem emb;         /* [T, E] when embedding_size != hidden_size */
    cl_mem qkv;         /* [T, 3A] */
    cl_mem q, k, v;     /* [NH, T, D] */
    cl_mem scores;      /* [NH*B, L, L], allocated at the first call that materialises them */
    size_t scores_floats;
    cl_mem c2p, p2c;    /* [NH, T, slots] */
    cl_mem ctxh, ctxm;  /* [NH, T, D] and [T, A] */
    cl_mem tmp;         /* [T, H] */
    cl_mem inter;       /* [T, I] */
    cl_mem cols;        /* [T, H*k] conv im2col */
    cl_mem gemm_temp;   /* CLBlast's temporary buffer, or NULL */
    cl_mem out;         /* after a run: the buffer holding the last hidden state [T, H] */
    cl_mem prev;        /* after a run: the input of the last layer (layer N-1's output) */
    /* host staging (kept alive until the queue is finished) */
    int32_t *h_ids, *h_types, *h_slot;
    float *h_mask;
    int slot_L, slot_min, slot_count;
    /* last call: B sequences; padded: T = B*L tokens; packed: T tokens, L the longest sequence */
    int B, L, T, packed;
    dcl_timings timings;
    dcl_prof prof; /* with params.profile: the events of the last forward */
    /* task heads' workspace (host/heads.c), allocated at the first head call */
    void *heads_ws;
    void (*heads_ws_free)(void *);
};

dcl_status dcl_session_create_impl(dcl_model *m, const dcl_session_params *p, dcl_session **out);
void dcl_session_free_impl(dcl_session *s);
dcl_status dcl_encode_impl(dcl_session *s, const dcl_batch *b, const dcl_outputs *o);

/* The forward pass without the final clFinish when finish == 0 (heads enqueue more work after
 * it): on return s->out and s->prev name the last two layer outputs, and s->B, s->L, s->mask
 * describe the batch. Reads into `o` are enqueued, not finished, when finish == 0. */
dcl_status dcl_encoder_run(dcl_session *s, const dcl_batch *b, const dcl_outputs *o, int finish);

/* One encoder layer: queries from qx, keys and values from x, residual qx; writes y, uses mid
 * as scratch (all [T, H], all distinct except qx may equal x). attn_out: NULL or host memory for
 * the probabilities [B, NH, L, L] (enqueued read). */
dcl_status dcl_layer_run(dcl_session *s, int l, cl_mem qx, cl_mem x, cl_mem y, cl_mem mid, float *attn_out);

/* Validates a batch against the session (nothing is written on failure). */
dcl_status dcl_batch_check(dcl_session *s, const dcl_batch *b);

/* Tokens of a batch: batch * length (padded) or offsets[batch] (packed). */
size_t dcl_batch_tokens(const dcl_batch *b);

/* A GEMM, recorded when the session profiles. */
dcl_status dcl_session_gemm(dcl_session *s, const dcl_gemm_args *g, cl_mem temp);

/* Non-blocking copies on the session's queue, recorded when profiling is on. */
dcl_status dcl_session_write(dcl_session *s, cl_mem m, size_t bytes, const void *host);
dcl_status dcl_session_read(dcl_session *s, cl_mem m, size_t off, size_t bytes, void *host);

/* The end of a forward, after the queue has finished: total time, and with profiling the event
 * times of every operation. */
dcl_status dcl_session_finish(dcl_session *s, double t0);

#endif
