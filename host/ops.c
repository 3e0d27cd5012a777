/* SPDX-License-Identifier: Apache-2.0 */
#include "ops.h"

#include <stdio.h>
#include <string.h>

#include "program.h"
#include "profile.h"
#include "tuning.h"

void dcl_ops_tuning(const dcl_context *ctx, size_t *ln_wg, size_t *att_wg)
{
    /* resolved and fitted to the device by host/tuning.c */
    *ln_wg = (size_t)dcl_tuning_value(ctx, DCL_T_LN_WG);
    *att_wg = (size_t)dcl_tuning_value(ctx, DCL_T_ATT_WG);
}

dcl_status dcl_buffer_create(dcl_context *ctx, size_t bytes, const void *host, cl_mem *out)
{
    cl_int err;
    if (bytes == 0)
        bytes = 16;
    *out = clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE | (host ? CL_MEM_COPY_HOST_PTR : 0), bytes, (void *)host,
                          &err);
    if (!*out)
        return dcl_fail(ctx, err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES ||
                                     err == CL_INVALID_BUFFER_SIZE
                                 ? DCL_ERR_DEVICE_MEMORY
                                 : DCL_ERR_OPENCL,
                        "clCreateBuffer(%zu bytes) failed: %s (%d)", bytes, dcl_cl_error_name(err), (int)err);
    return DCL_OK;
}

dcl_status dcl_buffer_read(dcl_context *ctx, cl_mem buf, size_t offset, size_t bytes, void *host)
{
    cl_int err = clEnqueueReadBuffer(ctx->queue, buf, CL_TRUE, offset, bytes, host, 0, NULL, NULL);
    return err == CL_SUCCESS ? DCL_OK : DCL_CL_FAIL(ctx, err, "clEnqueueReadBuffer");
}

dcl_status dcl_buffer_write(dcl_context *ctx, cl_mem buf, size_t offset, size_t bytes, const void *host)
{
    cl_int err = clEnqueueWriteBuffer(ctx->queue, buf, CL_TRUE, offset, bytes, host, 0, NULL, NULL);
    return err == CL_SUCCESS ? DCL_OK : DCL_CL_FAIL(ctx, err, "clEnqueueWriteBuffer");
}

void dcl_ops_release(dcl_ops *o)
{
    cl_kernel *ks[] = {&o->embed_gather, &o->layernorm,    &o->bias_act, &o->split_heads, &o->merge_heads,
                       &o->att_softmax,  &o->softmax_rows, &o->im2col,   &o->conv_grouped};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
        if (*ks[i]) {
            clReleaseKernel(*ks[i]);
            *ks[i] = NULL;
        }
    for (size_t i = 0; i < sizeof o->bias_act_fixed / sizeof o->bias_act_fixed[0]; i++)
        if (o->bias_act_fixed[i]) {
            clReleaseKernel(o->bias_act_fixed[i]);
            o->bias_act_fixed[i] = NULL;
        }
    if (o->dummy) {
        clReleaseMemObject(o->dummy);
        o->dummy = NULL;
    }
}

dcl_status dcl_ops_init(dcl_context *ctx, dcl_ops *o)
{
    memset(o, 0, sizeof *o);
    o->ctx = ctx;
    dcl_ops_tuning(ctx, &o->ln_wg, &o->att_wg);
    o->ew_local = (size_t)dcl_tuning_value(ctx, DCL_T_EW_LOCAL);
    o->ew_vw = (size_t)dcl_tuning_value(ctx, DCL_T_EW_VW);
    const char *opts = NULL; /* the builder adds each file's tuned -D options */
    const struct { const char *file, *name; cl_kernel *k; } list[] = {
        {"embeddings", "dcl_embed_gather", &o->embed_gather},
        {"layernorm", "dcl_layernorm", &o->layernorm},
        {"activation", "dcl_bias_act", &o->bias_act},
        {"heads", "dcl_split_heads", &o->split_heads},
        {"heads", "dcl_merge_heads", &o->merge_heads},
        {"attention", "dcl_disentangled_softmax", &o->att_softmax},
        {"attention", "dcl_softmax_rows", &o->softmax_rows},
        {"conv", "dcl_im2col1d", &o->im2col},
        {"conv", "dcl_conv1d_grouped", &o->conv_grouped},
    };
    dcl_status st = DCL_OK;
    for (size_t i = 0; i < sizeof list / sizeof list[0] && st == DCL_OK; i++)
        st = dcl_kernel_create(ctx, list[i].file, opts, list[i].name, list[i].k);
    if (st == DCL_OK)
        st = dcl_buffer_create(ctx, 64, NULL, &o->dummy);
    if (st != DCL_OK)
        dcl_ops_release(o);
    return st;
}

/* ---- argument setting ---- */
typedef struct argset {
    cl_kernel k;
    cl_uint i;
    cl_int err;
} argset;

static void arg(argset *a, size_t size, const void *v)
{
    if (a->err == CL_SUCCESS)
        a->err = clSetKernelArg(a->k, a->i, size, v);
    a->i++;
}
static void arg_u(argset *a, unsigned v)
{
    cl_uint x = v;
    arg(a, sizeof x, &x);
}
static void arg_i(argset *a, int v)
{
    cl_int x = v;
    arg(a, sizeof x, &x);
}
static void arg_f(argset *a, float v) { arg(a, sizeof v, &v); }
static void arg_m(argset *a, const dcl_ops *o, cl_mem m)
{
    cl_mem x = m ? m : o->dummy;
    arg(a, sizeof x, &x);
}

static size_t round_up(size_t v, size_t m) { return (v + m - 1) / m * m; }

static dcl_status launch(dcl_ops *o, argset *a, const char *name, cl_uint dims, const size_t *global,
                         const size_t *local)
{
    if (a->err != CL_SUCCESS)
        return dcl_fail(o->ctx, DCL_ERR_OPENCL, "clSetKernelArg(%s, %u) failed: %s (%d)", name, a->i - 1,
                        dcl_cl_error_name(a->err), (int)a->err);
    for (cl_uint d = 0; d < dims; d++)
        if (global[d] == 0)
            return DCL_OK;
    cl_int err = clEnqueueNDRangeKernel(o->ctx->queue, a->k, dims, NULL, global, local, 0, NULL,
                                        dcl_prof_kernel(o->prof, name, dims, global, local));
    if (err != CL_SUCCESS)
        return dcl_fail(o->ctx, err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES
                                    ? DCL_ERR_DEVICE_MEMORY
                                    : DCL_ERR_OPENCL,
                        "clEnqueueNDRangeKernel(%s) failed: %s (%d)", name, dcl_cl_error_name(err), (int)err);
    o->launches++;
    return DCL_OK;
}

dcl_status dcl_op_embed_gather(dcl_ops *o, unsigned T, unsigned L, unsigned E, cl_mem ids, cl_mem types, cl_mem word,
                               cl_mem pos, cl_mem type_emb, cl_mem out)
{
    argset a = {o->embed_gather, 0, CL_SUCCESS};
    arg_u(&a, T);
    arg_u(&a, L);
    arg_u(&a, E);
    arg_m(&a, o, ids);
    arg_m(&a, o, types);
    arg_m(&a, o, word);
    arg_m(&a, o, pos);
    arg_m(&a, o, type_emb);
    arg_i(&a, pos != NULL);
    arg_i(&a, type_emb != NULL);
    arg_m(&a, o, out);
    size_t g[2] = {round_up(E, o->ew_local), T};
    size_t l[2] = {o->ew_local, 1};
    return launch(o, &a, "dcl_embed_gather", 2, g, l);
}

dcl_status dcl_op_layernorm(dcl_ops *o, unsigned T, unsigned H, float eps, cl_mem x, cl_mem bias, cl_mem residual,
                            cl_mem gamma, cl_mem beta, cl_mem mask, cl_mem out)
{
    argset a = {o->layernorm, 0, CL_SUCCESS};
    arg_u(&a, T);
    arg_u(&a, H);
    arg_f(&a, eps);
    arg_m(&a, o, x);
    arg_m(&a, o, bias);
    arg_m(&a, o, residual);
    arg_m(&a, o, gamma);
    arg_m(&a, o, beta);
    arg_m(&a, o, mask);
    arg_i(&a, bias != NULL);
    arg_i(&a, residual != NULL);
    arg_i(&a, mask != NULL);
    arg_m(&a, o, out);
    size_t g = (size_t)T * o->ln_wg, l = o->ln_wg;
    return launch(o, &a, "dcl_layernorm", 1, &g, &l);
}

dcl_status dcl_op_bias_act(dcl_ops *o, unsigned rows, unsigned cols, cl_mem x, cl_mem bias, cl_mem mask, int act)
{
    if (act >= 0 && act < (int)(sizeof o->bias_act_fixed / sizeof o->bias_act_fixed[0])) {
        /* the activation as a build-time constant, EW_VW columns per work-item */
        cl_kernel *k = &o->bias_act_fixed[act];
        if (!*k) {
            char opt[32];
            snprintf(opt, sizeof opt, "-DACT=%d", act);
            dcl_status st = dcl_kernel_create(o->ctx, "activation", opt, "dcl_bias_act_fixed", k);
            if (st != DCL_OK)
                return st;
        }
        argset f = {*k, 0, CL_SUCCESS};
        arg_u(&f, rows);
        arg_u(&f, cols);
        arg_m(&f, o, x);
        arg_m(&f, o, bias);
        arg_m(&f, o, mask);
        arg_i(&f, bias != NULL);
        arg_i(&f, mask != NULL);
        size_t g[2] = {round_up((cols + o->ew_vw - 1) / o->ew_vw, o->ew_local), rows};
        size_t l[2] = {o->ew_local, 1};
        return launch(o, &f, "dcl_bias_act_fixed", 2, g, l);
    }
    argset a = {o->bias_act, 0, CL_SUCCESS};
    arg_u(&a, rows);
    arg_u(&a, cols);
    arg_m(&a, o, x);
    arg_m(&a, o, bias);
    arg_m(&a, o, mask);
    arg_i(&a, bias != NULL);
    arg_i(&a, mask != NULL);
    arg_i(&a, act);
    size_t g[2] = {round_up(cols, o->ew_local), rows};
    size_t l[2] = {o->ew_local, 1};
    return launch(o, &a, "dcl_bias_act", 2, g, l);
}

dcl_status dcl_op_split_heads(dcl_ops *o, unsigned B, unsigned L, unsigned NH, unsigned D, unsigned src_stride,
                              unsigned src_offset, unsigned head_stride, cl_mem src, cl_mem bias, float scale,
                              cl_mem dst)
{
    argset a = {o->split_heads, 0, CL_SUCCESS};
    arg_u(&a, B);
    arg_u(&a, L);
    arg_u(&a, NH);
    arg_u(&a, D);
    arg_u(&a, src_stride);
    arg_u(&a, src_offset);
    arg_u(&a, head_stride);
    arg_m(&a, o, src);
    arg_m(&a, o, bias);
    arg_i(&a, bias != NULL);
    arg_f(&a, scale);
    arg_m(&a, o, dst);
    size_t g[3] = {round_up(D, D < o->ew_local ? D : o->ew_local), (size_t)L * B, NH};
    size_t l[3] = {D < o->ew_local ? D : o->ew_local, 1, 1};
    return launch(o, &a, "dcl_split_heads", 3, g, l);
}

dcl_status dcl_op_merge_heads(dcl_ops *o, unsigned B, unsigned L, unsigned NH, unsigned D, cl_mem src, cl_mem dst)
{
    argset a = {o->merge_heads, 0, CL_SUCCESS};
    arg_u(&a, B);
    arg_u(&a, L);
    arg_u(&a, NH);
    arg_u(&a, D);
    arg_m(&a, o, src);
    arg_m(&a, o, dst);
    size_t g[3] = {round_up(D, D < o->ew_local ? D : o->ew_local), (size_t)L * B, NH};
    size_t l[3] = {D < o->ew_local ? D : o->ew_local, 1, 1};
    return launch(o, &a, "dcl_merge_heads", 3, g, l);
}

dcl_status dcl_op_disentangled_softmax(dcl_ops *o, unsigned B, unsigned L, unsigned NH, cl_mem scores, cl_mem c2p,
                                       cl_mem p2c, cl_mem slot, unsigned nsr, cl_mem mask, float inv_scale)
{
    argset a = {o->att_softmax, 0, CL_SUCCESS};
    arg_u(&a, B);
    arg_u(&a, L);
    arg_u(&a, NH);
    arg_m(&a, o, scores);
    arg_m(&a, o, c2p);
    arg_m(&a, o, p2c);
    arg_m(&a, o, slot);
    arg_u(&a, nsr);
    arg_m(&a, o, mask);
    arg_f(&a, inv_scale);
    arg_i(&a, c2p != NULL);
    arg_i(&a, p2c != NULL);
    size_t g = (size_t)NH * B * L * o->att_wg, l = o->att_wg;
    return launch(o, &a, "dcl_disentangled_softmax", 1, &g, &l);
}

dcl_status dcl_op_softmax_rows(dcl_ops *o, unsigned rows, unsigned n, cl_mem x)
{
    argset a = {o->softmax_rows, 0, CL_SUCCESS};
    arg_u(&a, rows);
    arg_u(&a, n);
    arg_m(&a, o, x);
    size_t g = (size_t)rows * o->att_wg, l = o->att_wg;
    return launch(o, &a, "dcl_softmax_rows", 1, &g, &l);
}

dcl_status dcl_op_im2col(dcl_ops *o, unsigned B, unsigned L, unsigned C, unsigned K, unsigned pad, cl_mem x,
                         cl_mem cols)
{
    argset a = {o->im2col, 0, CL_SUCCESS};
    arg_u(&a, B);
    arg_u(&a, L);
    arg_u(&a, C);
    arg_u(&a, K);
    arg_u(&a, pad);
    arg_m(&a, o, x);
    arg_m(&a, o, cols);
    size_t g[2] = {round_up((size_t)C * K, o->ew_local), (size_t)B * L};
    size_t l[2] = {o->ew_local, 1};
    return launch(o, &a, "dcl_im2col1d", 2, g, l);
}

dcl_status dcl_op_conv_grouped(dcl_ops *o, unsigned B, unsigned L, unsigned C, unsigned K, unsigned pad,
                               unsigned groups, cl_mem x, cl_mem w, cl_mem bias, cl_mem out)
{
    argset a = {o->conv_grouped, 0, CL_SUCCESS};
    arg_u(&a, B);
    arg_u(&a, L);
    arg_u(&a, C);
    arg_u(&a, K);
    arg_u(&a, pad);
    arg_u(&a, groups);
    arg_m(&a, o, x);
    arg_m(&a, o, w);
    arg_m(&a, o, bias);
    arg_m(&a, o, out);
    size_t g[2] = {round_up(C, o->ew_local), (size_t)B * L};
    size_t l[2] = {o->ew_local, 1};
    return launch(o, &a, "dcl_conv1d_grouped", 2, g, l);
}
