/* SPDX-License-Identifier: Apache-2.0 */
/* Repacking of the encoder's weights into the layout of the packed GEMM path (host/gemm_pack.c),
 * once at model load, on devices whose route takes it. */
#include "model.h"

#include "gemm.h"

static dcl_status repack(dcl_context *ctx, size_t n, size_t k, size_t ldw, size_t batch, size_t w_stride,
                         cl_mem *w, uint64_t *bytes)
{
    cl_mem packed;
    dcl_status st = dcl_gemm_pack(ctx, n, k, *w, 0, ldw, batch, w_stride, &packed);
    if (st != DCL_OK)
        return st;
    clReleaseMemObject(*w);
    *w = packed;
    *bytes += (uint64_t)((batch < 1 ? 1 : batch) * dcl_gemm_packed_floats(ctx, n, k) * sizeof(float)) -
              (uint64_t)(n * k * (batch < 1 ? 1 : batch) * sizeof(float));
    return DCL_OK;
}

dcl_status dcl_model_pack_weights(dcl_model *m)
{
    dcl_context *ctx = m->ctx;
    m->packed = 0;
    if (!dcl_gemm_packs_weights(ctx))
        return DCL_OK;
    const dcl_config *c = &m->cfg;
    const size_t H = (size_t)c->hidden_size, A = (size_t)c->all_head_size, I = (size_t)c->intermediate_size;
    const size_t NH = (size_t)c->num_heads, D = (size_t)c->head_size, NS = (size_t)m->ns;
    dcl_status st = DCL_OK;
    for (int l = 0; l < c->num_layers && st == DCL_OK; l++) {
        dcl_layer *y = &m->layers[l];
        if ((st = repack(ctx, 3 * A, H, H, 1, 0, &y->w_qkv, &m->device_bytes)) ||
            (st = repack(ctx, H, A, A, 1, 0, &y->w_o, &m->device_bytes)) ||
            (st = repack(ctx, I, H, H, 1, 0, &y->w_i, &m->device_bytes)) ||
            (st = repack(ctx, H, I, I, 1, 0, &y->w_out, &m->device_bytes)))
            break;
        /* relative keys / queries [NS, A]: one packed [NS, D] matrix per head */
        if (y->pk && (st = repack(ctx, NS, D, A, NH, D, &y->pk, &m->device_bytes)))
            break;
        if (y->pq && (st = repack(ctx, NS, D, A, NH, D, &y->pq, &m->device_bytes)))
            break;
    }
    if (st == DCL_OK)
        m->packed = 1;
    return st;
}
