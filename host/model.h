/* SPDX-License-Identifier: Apache-2.0 */
/* The model object: config, weights on the device and the per-layer constants. Internal. */
#ifndef DCL_HOST_MODEL_H
#define DCL_HOST_MODEL_H

#include <CL/cl.h>

#include "config.h"
#include "context.h"

typedef struct dcl_layer {
    cl_mem w_qkv;             /* [3A, H]: v2 query;key;value rows, v1 in_proj (per-head interleaved) */
    cl_mem b_q, b_k, b_v;     /* [A]; v1 has no key bias (b_k NULL) */
    cl_mem pk, pq;            /* [NS, A] relative keys / queries with their biases, or NULL */
    cl_mem w_o, b_o, ln1_g, ln1_b;
    cl_mem w_i, b_i, w_out, b_out, ln2_g, ln2_b;
} dcl_layer;

struct dcl_model {
    dcl_context *ctx;
    dcl_config cfg;
    int ns;            /* relative slots (2S); 0 without relative attention */
    int v1_layout;     /* 1: Q/K/V are interleaved per head in w_qkv (v1 in_proj) */
    cl_mem word_emb;   /* [V, E] */
    cl_mem pos_emb;    /* [P, E] or NULL */
    cl_mem type_emb;   /* [T, E] or NULL */
    cl_mem embed_proj; /* [H, E] or NULL */
    cl_mem emb_ln_g, emb_ln_b;
    dcl_layer *layers;
    cl_mem conv_w, conv_b, conv_ln_g, conv_ln_b; /* v2 conv layer or NULL */
    /* heads */
    unsigned heads;
    int mlm_dim;        /* output size of the MLM transform dense */
    int mlm_legacy;     /* 1: cls.predictions.* names */
    cl_mem mlm_w, mlm_b, mlm_ln_g, mlm_ln_b, mlm_bias;
    cl_mem pooler_w, pooler_b; /* [P, H] */
    int pooler_size;
    cl_mem cls_w, cls_b;       /* [N, H or P] */
    int cls_out;
    cl_mem qa_w, qa_b;         /* [2, H] */
    int synthetic;
    uint64_t parameters, device_bytes;
    /* 1: w_qkv, w_o, w_i, w_out and pk, pq (per head) hold dcl_gemm_pack panels (host/model_pack.c) */
    int packed;
};

/* Returns the activation code name table index check helper used by heads. */
dcl_status dcl_model_load_impl(dcl_context *ctx, const char *path, const dcl_model_params *p, dcl_model **out);
dcl_status dcl_model_synthesize_impl(dcl_context *ctx, const char *preset, const dcl_model_params *p, dcl_model **out);
void dcl_model_free_impl(dcl_model *m);
/* Repacks the encoder weights for the packed GEMM path when the context's route takes it
 * (sets m->packed); called once after loading. A failure leaves the model unusable. */
dcl_status dcl_model_pack_weights(dcl_model *m);

/* The config.json text of a named preset, or NULL. */
const char *dcl_model_preset_config(const char *name);

#endif
