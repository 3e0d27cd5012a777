#include "gemm.h"

#include <clblast_c.h>

const char *dcl_clblast_status_name(int code)
{
    switch (code) {
    case CLBlastSuccess: return "success";
    case CLBlastNotImplemented: return "not implemented";
    case CLBlastInvalidMatrixA: return "invalid matrix A";
    case CLBlastInvalidMatrixB: return "invalid matrix B";
    case CLBlastInvalidMatrixC: return "invalid matrix C";
    case CLBlastInsufficientMemoryA: return "matrix A buffer too small";
    case CLBlastInsufficientMemoryB: return "matrix B buffer too small";
    case CLBlastInsufficientMemoryC: return "matrix C buffer too small";
    case CLBlastInvalidLocalMemUsage: return "invalid local memory usage";
    case CLBlastNoHalfPrecision: return "no half precision";
    case CLBlastInvalidLocalNumDimensions: return "invalid local dimensions";
    case CLBlastInvalidLocalThreadsTotal: return "invalid local threads total";
    case CLBlastInvalidLocalThreadsDim: return "invalid local threads dimension";
    case CLBlastInvalidBatchCount: return "invalid batch count";
    case CLBlastInsufficientMemoryTemp: return "temporary buffer too small";
    case CLBlastTempBufferAllocFailure: return "temporary buffer allocation failed";
    case CLBlastOpenCLOutOfResources: return "out of resources";
    case CLBlastOpenCLOutOfHostMemory: return "out of host memory";
    case CLBlastInvalidKernel: return "invalid kernel";
    case CLBlastOpenCLBuildProgramFailure: return "kernel build failed";
    case CLBlastUnknownError: return "unknown error";
    default: return code < 0 && code > -100 ? "OpenCL error" : "CLBlast error";
    }
}

static dcl_status gemm_fail(dcl_context *ctx, CLBlastStatusCode s, const dcl_gemm_args *g)
{
    dcl_status st = s == CLBlastTempBufferAllocFailure || s == CLBlastOpenCLOutOfResources ? DCL_ERR_DEVICE_MEMORY
                                                                                       : DCL_ERR_GEMM;
    return dcl_fail(ctx, st, "CLBlast SGEMM%s (%c%c m=%zu n=%zu k=%zu batch=%zu) failed: %s (%d)",
                    g->batch > 1 ? " strided batched" : "", g->trans_a ? 'T' : 'N', g->trans_b ? 'T' : 'N', g->m,
                    g->n, g->k, g->batch ? g->batch : 1, dcl_clblast_status_name(s), (int)s);
}

dcl_status dcl_gemm(dcl_context *ctx, const dcl_gemm_args *g, cl_mem temp)
{
    CLBlastTranspose ta = g->trans_a ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastTranspose tb = g->trans_b ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastStatusCode s;
    if (g->m == 0 || g->n == 0)
        return DCL_OK;
    if (g->batch > 1) {
        s = CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, ta, tb, g->m, g->n, g->k, g->alpha, g->a, g->a_off,
                                       g->lda, g->a_stride, g->b, g->b_off, g->ldb, g->b_stride, g->beta, g->c,
                                       g->c_off, g->ldc, g->c_stride, g->batch, &ctx->queue, NULL);
    } else if (temp) {
        s = CLBlastSgemmWithTempBuffer(CLBlastLayoutRowMajor, ta, tb, g->m, g->n, g->k, g->alpha, g->a, g->a_off,
                                       g->lda, g->b, g->b_off, g->ldb, g->beta, g->c, g->c_off, g->ldc, &ctx->queue,
                                       NULL, temp);
    } else {
        s = CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, g->m, g->n, g->k, g->alpha, g->a, g->a_off, g->lda, g->b,
                         g->b_off, g->ldb, g->beta, g->c, g->c_off, g->ldc, &ctx->queue, NULL);
    }
    return s == CLBlastSuccess ? DCL_OK : gemm_fail(ctx, s, g);
}

dcl_status dcl_gemm_temp_size(dcl_context *ctx, const dcl_gemm_args *g, size_t *bytes)
{
    *bytes = 0;
    CLBlastStatusCode s = CLBlastSGemmTempBufferSize(
        CLBlastLayoutRowMajor, g->trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
        g->trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, g->m, g->n, g->k, g->a_off, g->lda, g->b_off, g->ldb,
        g->c_off, g->ldc, &ctx->queue, bytes);
    return s == CLBlastSuccess ? DCL_OK : gemm_fail(ctx, s, g);
}

dcl_status dcl_linear(dcl_context *ctx, size_t m, size_t n, size_t k, cl_mem x, size_t x_off, cl_mem w, size_t w_off,
                      float beta, cl_mem y, size_t y_off, cl_mem temp)
{
    dcl_gemm_args g = {0};
    g.trans_a = 0;
    g.trans_b = 1;
    g.m = m;
    g.n = n;
    g.k = k;
    g.alpha = 1.0f;
    g.beta = beta;
    g.a = x;
    g.a_off = x_off;
    g.lda = k;
    g.b = w;
    g.b_off = w_off;
    g.ldb = k;
    g.c = y;
    g.c_off = y_off;
    g.ldc = n;
    return dcl_gemm(ctx, &g, temp);
}
