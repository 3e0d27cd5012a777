/* SPDX-License-Identifier: Apache-2.0 */
/* The packed-weight path of cl/gemm_cpu.cl (dcl_gemm_pk): packing at load, the launch with its
 * bias + activation epilogue, and the per-session kernel objects. */
#include "gemm.h"

#include <limits.h>
#include <stdio.h>

#include "config.h"
#include "ops.h"
#include "program.h"
#include "tuning_state.h"

/* The device's native float vector width as the packed kernel's: 16 (one AVX-512 register)
 * where it is 16, else 8 (AVX2: 12 float16 accumulators would not fit its 16 registers).
 * Native, not preferred: Intel's CPU runtime prefers 1 (it vectorises across work-items) but
 * runs float16 code at full width. */
static unsigned native_vw(const dcl_context *ctx)
{
    cl_uint w = 0;
    if (clGetDeviceInfo(ctx->device, CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, sizeof w, &w, NULL) != CL_SUCCESS)
        w = 0;
    return w >= 16 ? 16 : 8;
}

void dcl_gemm_pack_init(dcl_context *ctx)
{
    /* GEMM_PK_VW 0 ("the device's") is resolved once, so that packing and every launch agree */
    if (ctx->tuning && ctx->tuning->value[DCL_T_GEMM_PK_VW] == 0)
        ctx->tuning->value[DCL_T_GEMM_PK_VW] = (long)native_vw(ctx);
}

/* the kernel file's fallback for 0 (only a context whose tuning was changed after creation) */
static unsigned pk_vw(const dcl_context *ctx)
{
    long v = dcl_tuning_value(ctx, DCL_T_GEMM_PK_VW);
    return v > 0 ? (unsigned)v : 8;
}

static size_t pk_width(const dcl_context *ctx)
{
    return (size_t)pk_vw(ctx) * (size_t)dcl_tuning_value(ctx, DCL_T_GEMM_PK_NV);
}

void dcl_gemm_kernels_release(dcl_gemm_kernels *k)
{
    cl_kernel *all[2 + DCL_GEMM_ACTS] = {&k->nt, &k->nn};
    for (int a = 0; a < DCL_GEMM_ACTS; a++)
        all[2 + a] = &k->pk[a];
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (*all[i]) {
            clReleaseKernel(*all[i]);
            *all[i] = NULL;
        }
}

int dcl_gemm_packs_weights(const dcl_context *ctx) { return dcl_tuning_value(ctx, DCL_T_GEMM_PACK) == 1; }

int dcl_gemm_fuses_act(int act) { return act >= 0 && act < DCL_GEMM_ACTS; }

size_t dcl_gemm_packed_floats(const dcl_context *ctx, size_t n, size_t k)
{
    const size_t w = pk_width(ctx);
    return (n + w - 1) / w * w * k;
}

/* gemm_cpu.cl built for activation `act` (the epilogue is a build-time constant) */
static dcl_status program(dcl_context *ctx, int act, cl_program *out)
{
    char opts[16];
    snprintf(opts, sizeof opts, "-DACT=%d", act);
    return dcl_program_get(ctx, "gemm_cpu", opts, out);
}

dcl_status dcl_gemm_kernel(dcl_context *ctx, cl_kernel *slot, const char *name, int act, cl_kernel *out)
{
    if (slot && *slot) {
        *out = *slot;
        return DCL_OK;
    }
    cl_program prog;
    cl_int err;
    dcl_status st = program(ctx, act, &prog);
    if (st != DCL_OK)
        return st;
    *out = clCreateKernel(prog, name, &err);
    if (!*out)
        return dcl_fail(ctx, DCL_ERR_OPENCL, "clCreateKernel(%s in gemm_cpu.cl) failed: %s (%d)", name,
                        dcl_cl_error_name(err), (int)err);
    if (slot)
        *slot = *out;
    return DCL_OK;
}

static dcl_status enqueue_fail(dcl_context *ctx, cl_int err, const char *name, const dcl_gemm_args *g)
{
    return dcl_fail(ctx, err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES
                             ? DCL_ERR_DEVICE_MEMORY
                             : DCL_ERR_OPENCL,
                    "%s (m=%zu n=%zu k=%zu batch=%zu) failed: %s (%d)", name, g->m, g->n, g->k,
                    g->batch > 1 ? g->batch : 1, dcl_cl_error_name(err), (int)err);
}

dcl_status dcl_gemm_packed_run(dcl_context *ctx, const dcl_gemm_args *g, cl_event *event)
{
    const int act = g->act;
    if (!dcl_gemm_fuses_act(act))
        return dcl_fail(ctx, DCL_ERR_INTERNAL, "packed GEMM: no epilogue for activation %d", act);
    if (g->trans_a || g->m > UINT_MAX || g->n > UINT_MAX || g->k > UINT_MAX || g->b_off > UINT_MAX - g->n ||
        g->lda > UINT_MAX || g->ldc > UINT_MAX)
        return dcl_fail(ctx, DCL_ERR_INTERNAL, "packed GEMM: unsupported shape (m=%zu n=%zu k=%zu)", g->m, g->n,
                        g->k);
    cl_kernel k;
    dcl_status st = dcl_gemm_kernel(ctx, g->kernels ? &g->kernels->pk[act] : NULL, "dcl_gemm_pk", act, &k);
    if (st != DCL_OK)
        return st;
    const size_t batch = g->batch > 1 ? g->batch : 1;
    cl_uint m = (cl_uint)g->m, n = (cl_uint)g->n, kk = (cl_uint)g->k, n0 = (cl_uint)g->b_off;
    cl_uint lda = (cl_uint)g->lda, ldc = (cl_uint)g->ldc;
    cl_ulong a_off = g->a_off, c_off = g->c_off;
    cl_ulong a_str = batch > 1 ? g->a_stride : 0, b_str = batch > 1 ? g->b_stride : 0;
    cl_ulong c_str = batch > 1 ? g->c_stride : 0;
    cl_int use_bias = g->bias != NULL;
    cl_mem bias = g->bias ? g->bias : g->c; /* not read when use_bias is 0 */
    struct { size_t size; const void *v; } args[] = {
        {sizeof m, &m},         {sizeof n, &n},         {sizeof kk, &kk},       {sizeof n0, &n0},
        {sizeof g->alpha, &g->alpha}, {sizeof g->beta, &g->beta}, {sizeof g->a, &g->a}, {sizeof a_off, &a_off},
        {sizeof lda, &lda},     {sizeof a_str, &a_str}, {sizeof g->b, &g->b},   {sizeof b_str, &b_str},
        {sizeof bias, &bias},   {sizeof use_bias, &use_bias}, {sizeof g->c, &g->c}, {sizeof c_off, &c_off},
        {sizeof ldc, &ldc},     {sizeof c_str, &c_str},
    };
    cl_int err = CL_SUCCESS;
    for (cl_uint i = 0; i < sizeof args / sizeof args[0] && err == CL_SUCCESS; i++)
        err = clSetKernelArg(k, i, args[i].size, args[i].v);
    const size_t w = pk_width(ctx);
    const size_t mr = (size_t)dcl_tuning_value(ctx, DCL_T_GEMM_PK_MR), rb = (size_t)dcl_tuning_value(ctx, DCL_T_GEMM_PK_RB);
    size_t global[3] = {((g->m + mr - 1) / mr + rb - 1) / rb,
                        (g->b_off + g->n + w - 1) / w - g->b_off / w, batch};
    size_t local[3] = {1, 1, 1};
    if (err == CL_SUCCESS)
        err = clEnqueueNDRangeKernel(ctx->queue, k, 3, NULL, global, local, 0, NULL, event);
    if (!g->kernels)
        clReleaseKernel(k);
    return err == CL_SUCCESS ? DCL_OK : enqueue_fail(ctx, err, "dcl_gemm_pk", g);
}

dcl_status dcl_gemm_pack(dcl_context *ctx, size_t n, size_t k, cl_mem w, size_t w_off, size_t ldw, size_t batch,
                         size_t w_stride, cl_mem *out)
{
    *out = NULL;
    if (batch < 1)
        batch = 1;
    if (n > UINT_MAX || k > UINT_MAX || ldw > UINT_MAX || n == 0 || k == 0)
        return dcl_fail(ctx, DCL_ERR_INTERNAL, "gemm pack: unsupported shape %zu x %zu", n, k);
    const size_t per = dcl_gemm_packed_floats(ctx, n, k), pw = pk_width(ctx);
    dcl_status st = dcl_buffer_create(ctx, batch * per * sizeof(float), NULL, out);
    if (st != DCL_OK)
        return st;
    cl_kernel kern;
    if ((st = dcl_gemm_kernel(ctx, NULL, "dcl_gemm_pack", 0, &kern)) != DCL_OK) {
        clReleaseMemObject(*out);
        *out = NULL;
        return st;
    }
    cl_uint nn = (cl_uint)n, kk = (cl_uint)k, ld = (cl_uint)ldw;
    cl_ulong off = w_off, wstr = w_stride, pstr = per;
    struct { size_t size; const void *v; } args[] = {
        {sizeof nn, &nn}, {sizeof kk, &kk}, {sizeof w, &w},     {sizeof off, &off},
        {sizeof ld, &ld}, {sizeof wstr, &wstr}, {sizeof *out, out}, {sizeof pstr, &pstr},
    };
    cl_int err = CL_SUCCESS;
    for (cl_uint i = 0; i < sizeof args / sizeof args[0] && err == CL_SUCCESS; i++)
        err = clSetKernelArg(kern, i, args[i].size, args[i].v);
    size_t global[3] = {k, (n + pw - 1) / pw, batch};
    if (err == CL_SUCCESS)
        err = clEnqueueNDRangeKernel(ctx->queue, kern, 3, NULL, global, NULL, 0, NULL, NULL);
    if (err == CL_SUCCESS)
        err = clFinish(ctx->queue); /* the caller may release w next */
    clReleaseKernel(kern);
    if (err != CL_SUCCESS) {
        clReleaseMemObject(*out);
        *out = NULL;
        return DCL_CL_FAIL(ctx, err, "dcl_gemm_pack");
    }
    return DCL_OK;
}
