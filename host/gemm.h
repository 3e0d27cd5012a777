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
} dcl_gemm_args;

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

/* Bytes of temporary buffer CLBlast needs for a non-batched GEMM of this shape (0 if none). */
dcl_status dcl_gemm_temp_size(dcl_context *ctx, const dcl_gemm_args *g, size_t *bytes);

/* The arguments of Y[m, n] = X[m, k] · W[n, k]ᵀ (alpha 1, beta 0): the torch Linear layout. */
dcl_gemm_args dcl_linear_args(size_t m, size_t n, size_t k, cl_mem x, size_t x_off, cl_mem w, size_t w_off,
                              cl_mem y, size_t y_off);

/* Y[m, n] = X[m, k] · W[n, k]ᵀ (+ beta Y). */
dcl_status dcl_linear(dcl_context *ctx, size_t m, size_t n, size_t k, cl_mem x, size_t x_off, cl_mem w, size_t w_off,
                      float beta, cl_mem y, size_t y_off, cl_mem temp);

/* Text of a CLBlast status code. */
const char *dcl_clblast_status_name(int code);

#endif
