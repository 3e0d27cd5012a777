/* SPDX-License-Identifier: Apache-2.0 */
/* Every dense product goes through here, row-major: to CLBlast, or on CPU devices to cl/gemm_cpu.cl. Internal. */
#ifndef DCL_HOST_GEMM_H
#define DCL_HOST_GEMM_H

#include <CL/cl.h>

#include "context.h"

typedef struct dcl_gemm_args {
    int trans_a, trans_b;
    size_t m, n, k;
    float alpha, beta;
    cl_mem a, b, c;
    size_t a_off, lda, b_off, ldb, c_off, ldc;
    /* strided batched: batch > 1 uses the strides */
    size_t batch, a_stride, b_stride, c_stride;
    /* b_packed: b holds panels made by dcl_gemm_pack (op(B) = B^T of the packed matrix), b_off
     * is its first column, b_stride the batch stride (dcl_gemm_packed_floats), ldb unused.
     * Epilogue of the packed path: C = act(alpha A B + beta C + bias[column]) when bias is not
     * NULL or act is not 0 (activation codes of config.h; dcl_gemm_fuses_act says which). */
    int b_packed, act;
    cl_mem bias;
    /* kernel objects of the calling session (created on first use, released with it), or NULL:
     * a kernel object per call */
    struct dcl_gemm_kernels *kernels;
} dcl_gemm_args;

/* A session's kernel objects of cl/gemm_cpu.cl (zero-initialise; argument setting is not
 * thread-safe, so one set per session). */
#define DCL_GEMM_ACTS 4
typedef struct dcl_gemm_kernels {
    cl_kernel nt, nn, pk[DCL_GEMM_ACTS];
} dcl_gemm_kernels;
void dcl_gemm_kernels_release(dcl_gemm_kernels *k);

/* Kernel `name` of gemm_cpu.cl built for epilogue activation `act`: *slot when set, else a new
 * object (stored in *slot when slot is not NULL; the caller releases it when slot is NULL). */
dcl_status dcl_gemm_kernel(dcl_context *ctx, cl_kernel *slot, const char *name, int act, cl_kernel *out);

/* The packed path (host/gemm_pack.c); dcl_gemm() calls it for b_packed arguments. */
dcl_status dcl_gemm_packed_run(dcl_context *ctx, const dcl_gemm_args *g, cl_event *event);

/* Resolves the packed kernel's vector width for the device (dcl_gemm_init calls it). */
void dcl_gemm_pack_init(dcl_context *ctx);

/* Whether the encoder's Linear weights are packed at load on this context (the packed path is
 * the device's route for them), and whether its epilogue applies activation `act`. */
int dcl_gemm_packs_weights(const dcl_context *ctx);
int dcl_gemm_fuses_act(int act);

/* Floats of one packed matrix of n columns (rows of W) and depth k (whole panels). */
size_t dcl_gemm_packed_floats(const dcl_context *ctx, size_t n, size_t k);

/* *out = a new buffer of `batch` packed matrices, matrix z made from W_z[n, k] (row stride ldw)
 * at w + w_off + z * w_stride (floats). */
dcl_status dcl_gemm_pack(dcl_context *ctx, size_t n, size_t k, cl_mem w, size_t w_off, size_t ldw, size_t batch,
                         size_t w_stride, cl_mem *out);

/* Sets up the GEMM paths of the context's tuning (host/tuning.c): the CLBlast parameter
 * overrides, and the route of each shape class (cl/gemm_cpu.cl takes op(A) = A products whose
 * GEMM_ROUTE_* is "own"). Called once by context creation. CLBlast keeps one set of parameters
 * per device and process: DCL_ERR_INVALID_ARGUMENT when another live context on the same device
 * runs different CLBlast parameters (an override CLBlast rejects is only logged). */
dcl_status dcl_gemm_init(dcl_context *ctx);
/* Applies the context's tuning again after it changed (the tuner); the context must be the only
 * live one on its device unless the CLBlast parameters stay the same. */
dcl_status dcl_gemm_retune(dcl_context *ctx);
/* Context destruction: this context no longer holds the device's CLBlast parameters. */
void dcl_gemm_release(dcl_context *ctx);

/* C = alpha * op(A) op(B) + beta * C on the context's queue. temp: a buffer at least
 * dcl_gemm_temp_size() bytes for this shape, or NULL (CLBlast then allocates its own). */
dcl_status dcl_gemm(dcl_context *ctx, const dcl_gemm_args *g, cl_mem temp);
/* The same; event: NULL, or where the event of its (last) kernel goes. */
dcl_status dcl_gemm_event(dcl_context *ctx, const dcl_gemm_args *g, cl_mem temp, cl_event *event);

/* Bytes of temporary buffer CLBlast needs for a non-batched GEMM of this shape (0 if none). */
dcl_status dcl_gemm_temp_size(dcl_context *ctx, const dcl_gemm_args *g, size_t *bytes);

/* The arguments of Y[m, n] = X[m, k] · W[n, k]ᵀ (alpha 1, beta 0): the torch Linear layout. */
dcl_gemm_args dcl_linear_args(size_t m, size_t n, size_t k, cl_mem x, size_t x_off, cl_mem w, size_t w_off,
                              cl_mem y, size_t y_off);

/* Per-head attention products over `heads` contiguous [L, D] blocks (alpha 1, beta 0):
 * scores[h] = Q[h] K[h]ᵀ ([L, L] each, from scores_off), and out[h] = P[h] V[h] ([L, D] each). */
dcl_gemm_args dcl_attn_qk_args(size_t L, size_t D, size_t heads, cl_mem q, cl_mem k, cl_mem scores, size_t scores_off);
dcl_gemm_args dcl_attn_pv_args(size_t L, size_t D, size_t heads, cl_mem p, cl_mem v, cl_mem out);

/* Y[m, n] = X[m, k] · W[n, k]ᵀ (+ beta Y). */
dcl_status dcl_linear(dcl_context *ctx, size_t m, size_t n, size_t k, cl_mem x, size_t x_off, cl_mem w, size_t w_off,
                      float beta, cl_mem y, size_t y_off, cl_mem temp);

/* Name of the kernel or CLBlast routine dcl_gemm() runs for these arguments (for profiles). */
const char *dcl_gemm_routine(const dcl_context *ctx, const dcl_gemm_args *g);

/* Text of a CLBlast status code. */
const char *dcl_clblast_status_name(int code);

#endif
