/* SPDX-License-Identifier: Apache-2.0 */
/* Launchers for the kernels in cl/: one set per session (kernel objects are not thread-safe).
 * A NULL buffer argument turns the matching optional input off. Internal. */
#ifndef DCL_HOST_OPS_H
#define DCL_HOST_OPS_H

#include <CL/cl.h>

#include "context.h"

typedef struct dcl_ops {
    dcl_context *ctx;
    cl_kernel embed_gather, layernorm, bias_act, split_heads, merge_heads, att_softmax, softmax_rows, im2col,
        conv_grouped;
    cl_kernel bias_act_fixed[7]; /* dcl_bias_act_fixed per activation code (-DACT), made on first use */
    size_t ew_vw;                /* its columns per work-item (EW_VW of the tuning) */
    size_t ln_wg, att_wg, ew_local; /* work-group sizes from the tuning */
    cl_mem dummy; /* stands in for optional buffers that are off */
    struct dcl_prof *prof; /* the session's profiling records (host/profile.h), or NULL */
    unsigned launches;
} dcl_ops;

/* Work-group sizes for the row kernels on this device (LN_WG and ATT_WG of the tuning). */
void dcl_ops_tuning(const dcl_context *ctx, size_t *ln_wg, size_t *att_wg);

dcl_status dcl_ops_init(dcl_context *ctx, dcl_ops *ops);
void dcl_ops_release(dcl_ops *ops);

dcl_status dcl_op_embed_gather(dcl_ops *o, unsigned T, unsigned L, unsigned E, cl_mem ids, cl_mem types, cl_mem word,
                               cl_mem pos, cl_mem type_emb, cl_mem out);
dcl_status dcl_op_layernorm(dcl_ops *o, unsigned T, unsigned H, float eps, cl_mem x, cl_mem bias, cl_mem residual,
                            cl_mem gamma, cl_mem beta, cl_mem mask, cl_mem out);
dcl_status dcl_op_bias_act(dcl_ops *o, unsigned rows, unsigned cols, cl_mem x, cl_mem bias, cl_mem mask, int act);
dcl_status dcl_op_split_heads(dcl_ops *o, unsigned B, unsigned L, unsigned NH, unsigned D, unsigned src_stride,
                              unsigned src_offset, unsigned head_stride, cl_mem src, cl_mem bias, float scale,
                              cl_mem dst);
dcl_status dcl_op_merge_heads(dcl_ops *o, unsigned B, unsigned L, unsigned NH, unsigned D, cl_mem src, cl_mem dst);
dcl_status dcl_op_disentangled_softmax(dcl_ops *o, unsigned B, unsigned L, unsigned NH, cl_mem scores, cl_mem c2p,
                                       cl_mem p2c, cl_mem slot, unsigned nsr, cl_mem mask, float inv_scale);
dcl_status dcl_op_softmax_rows(dcl_ops *o, unsigned rows, unsigned n, cl_mem x);
dcl_status dcl_op_im2col(dcl_ops *o, unsigned B, unsigned L, unsigned C, unsigned K, unsigned pad, cl_mem x,
                         cl_mem cols);
dcl_status dcl_op_conv_grouped(dcl_ops *o, unsigned B, unsigned L, unsigned C, unsigned K, unsigned pad,
                               unsigned groups, cl_mem x, cl_mem w, cl_mem bias, cl_mem out);

/* Buffer helpers: create (optionally from host data) and read back, with clear errors. */
dcl_status dcl_buffer_create(dcl_context *ctx, size_t bytes, const void *host, cl_mem *out);
dcl_status dcl_buffer_read(dcl_context *ctx, cl_mem buf, size_t offset, size_t bytes, void *host);
dcl_status dcl_buffer_write(dcl_context *ctx, cl_mem buf, size_t offset, size_t bytes, const void *host);

#endif
