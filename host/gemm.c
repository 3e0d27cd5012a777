#include "gemm.h"

#include <limits.h>
#include <string.h>

#include <clblast_c.h>

#include "program.h"

/* ---- the device table: data, not code (a later step loads the same fields from profiles/) ---- */

#define DCL_GEMM_MAX_PARAMS 16

typedef struct gemm_override {
    const char *kernel; /* CLBlast kernel family: "Xgemm", "XgemmDirect", "GemmRoutine", "Copy", ... */
    const char *names[DCL_GEMM_MAX_PARAMS];
    size_t values[DCL_GEMM_MAX_PARAMS];
} gemm_override;

typedef struct gemm_profile {
    const char *label;
    int type;            /* dcl_device_type to match, or -1 for any */
    const char *vendor;  /* substring of the driver's vendor or vendor_short, or NULL for any */
    const char *name;    /* substring of the device name, or NULL for any */
    int own_gemm;        /* 1: op(A) = A products run cl/gemm_cpu.cl (work-group size 1, FMA register tiles) */
    const gemm_override *overrides; /* CLBlast parameters to force (single precision), NULL-kernel ended */
} gemm_profile;

/* CPU drivers (PoCL): CLBlast's database has no entry for them and its defaults are GPU-shaped
 * (8x8 work-groups, local memory), ~11 GFLOP/s at 1024x2304x768 on a 2-core EPYC. Work-group size
 * one with a 16x6 register tile brings Xgemm to ~45 GFLOP/s; the direct kernel stays far slower,
 * so CLBlast is told to always take the indirect path. cl/gemm_cpu.cl runs ~110-150 GFLOP/s on
 * the same shapes, so it takes everything it can (op(A) = A); CLBlast keeps the rest. */
static const gemm_override cpu_overrides[] = {
    {"Xgemm",
     {"GEMMK", "KREG", "KWG", "KWI", "MDIMA", "MDIMC", "MWG", "NDIMB", "NDIMC", "NWG", "SA", "SB", "STRM", "STRN", "VWM",
      "VWN"},
     {0, 1, 32, 2, 1, 1, 16, 1, 1, 6, 0, 0, 0, 0, 8, 2}},
    {"GemmRoutine", {"XGEMM_MIN_INDIRECT_SIZE"}, {0}},
    {NULL, {NULL}, {0}},
};

static const gemm_profile gemm_profiles[] = {
    {"cpu", DCL_DEVICE_CPU, NULL, NULL, 1, cpu_overrides},
    /* GPUs and everything else: CLBlast with its own tuning database */
};

static const gemm_profile *gemm_profile_for(const dcl_device_info *d)
{
    for (size_t i = 0; i < sizeof gemm_profiles / sizeof gemm_profiles[0]; i++) {
        const gemm_profile *p = &gemm_profiles[i];
        if (p->type >= 0 && (int)d->type != p->type)
            continue;
        if (p->vendor && !strstr(d->vendor, p->vendor) && !strstr(d->vendor_short, p->vendor))
            continue;
        if (p->name && !strstr(d->name, p->name))
            continue;
        return p;
    }
    return NULL;
}

void dcl_gemm_init(dcl_context *ctx)
{
    ctx->gemm_own = 0;
    ctx->gemm_prog = NULL;
    const gemm_profile *p = gemm_profile_for(&ctx->info);
    if (!p)
        return;
    ctx->gemm_own = p->own_gemm;
    for (const gemm_override *o = p->overrides; o && o->kernel; o++) {
        const char *names[DCL_GEMM_MAX_PARAMS];
        size_t n = 0;
        while (n < DCL_GEMM_MAX_PARAMS && o->names[n]) {
            names[n] = o->names[n];
            n++;
        }
        CLBlastStatusCode s =
            CLBlastOverrideParameters(ctx->device, o->kernel, CLBlastPrecisionSingle, n, names, o->values);
        if (s != CLBlastSuccess)
            dcl_log(ctx, DCL_LOG_WARN, "CLBlast rejected the %s parameters of GEMM profile '%s': %s (%d)",
                    o->kernel, p->label, dcl_clblast_status_name(s), (int)s);
    }
    dcl_log(ctx, DCL_LOG_INFO, "GEMM profile '%s': %s", p->label,
            p->own_gemm ? "cl/gemm_cpu.cl for op(A) = A, CLBlast for the rest" : "CLBlast");
}

/* ---- cl/gemm_cpu.cl ---- */

#define GEMM_NT_CB 16 /* the kernel file's defaults */
#define GEMM_NN_RB 8

static int own_fits(const dcl_context *ctx, const dcl_gemm_args *g)
{
    return ctx->gemm_own && !g->trans_a && g->m <= UINT_MAX && g->n <= UINT_MAX && g->k <= UINT_MAX &&
           g->lda <= UINT_MAX && g->ldb <= UINT_MAX && g->ldc <= UINT_MAX;
}

static dcl_status own_gemm(dcl_context *ctx, const dcl_gemm_args *g)
{
    cl_int err;
    const char *name = g->trans_b ? "dcl_gemm_nt" : "dcl_gemm_nn";
    /* the session's kernel object, or one per call (contexts may be shared by threads, argument
     * setting is not thread-safe) */
    cl_kernel k;
    dcl_status st = dcl_gemm_kernel(ctx, g->kernels ? (g->trans_b ? &g->kernels->nt : &g->kernels->nn) : NULL,
                                    name, 0, &k);
    if (st != DCL_OK)
        return st;
    const size_t batch = g->batch > 1 ? g->batch : 1;
    cl_uint m = (cl_uint)g->m, n = (cl_uint)g->n, kk = (cl_uint)g->k;
    cl_uint lda = (cl_uint)g->lda, ldb = (cl_uint)g->ldb, ldc = (cl_uint)g->ldc;
    cl_ulong a_off = g->a_off, b_off = g->b_off, c_off = g->c_off;
    cl_ulong a_str = batch > 1 ? g->a_stride : 0, b_str = batch > 1 ? g->b_stride : 0;
    cl_ulong c_str = batch > 1 ? g->c_stride : 0;
    struct { size_t size; const void *v; } args[] = {
        {sizeof m, &m},          {sizeof n, &n},         {sizeof kk, &kk},     {sizeof g->alpha, &g->alpha},
        {sizeof g->beta, &g->beta}, {sizeof g->a, &g->a}, {sizeof a_off, &a_off}, {sizeof lda, &lda},
        {sizeof a_str, &a_str},  {sizeof g->b, &g->b},   {sizeof b_off, &b_off}, {sizeof ldb, &ldb},
        {sizeof b_str, &b_str},  {sizeof g->c, &g->c},   {sizeof c_off, &c_off}, {sizeof ldc, &ldc},
        {sizeof c_str, &c_str},
    };
    err = CL_SUCCESS;
    for (cl_uint i = 0; i < sizeof args / sizeof args[0] && err == CL_SUCCESS; i++)
        err = clSetKernelArg(k, i, args[i].size, args[i].v);
    size_t global[3], local[3] = {1, 1, 1};
    if (g->trans_b) {
        global[0] = (g->m + 3) / 4;
        global[1] = (g->n + 3 * GEMM_NT_CB - 1) / (3 * GEMM_NT_CB);
    } else {
        global[0] = ((g->m + 5) / 6 + GEMM_NN_RB - 1) / GEMM_NN_RB;
        global[1] = (g->n + 15) / 16;
    }
    global[2] = batch;
    if (err == CL_SUCCESS)
        err = clEnqueueNDRangeKernel(ctx->queue, k, 3, NULL, global, local, 0, NULL, NULL);
    if (!g->kernels)
        clReleaseKernel(k);
    if (err != CL_SUCCESS)
        return dcl_fail(ctx, err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES
                                 ? DCL_ERR_DEVICE_MEMORY
                                 : DCL_ERR_OPENCL,
                        "%s (m=%zu n=%zu k=%zu batch=%zu) failed: %s (%d)", name, g->m, g->n, g->k, batch,
                        dcl_cl_error_name(err), (int)err);
    return DCL_OK;
}

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
    if (g->b_packed)
        return dcl_gemm_packed_run(ctx, g);
    if (own_fits(ctx, g) && g->k > 0)
        return own_gemm(ctx, g);
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
    if (own_fits(ctx, g))
        return DCL_OK; /* cl/gemm_cpu.cl needs none */
    CLBlastStatusCode s = CLBlastSGemmTempBufferSize(
        CLBlastLayoutRowMajor, g->trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
        g->trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, g->m, g->n, g->k, g->a_off, g->lda, g->b_off, g->ldb,
        g->c_off, g->ldc, &ctx->queue, bytes);
    return s == CLBlastSuccess ? DCL_OK : gemm_fail(ctx, s, g);
}

dcl_gemm_args dcl_linear_args(size_t m, size_t n, size_t k, cl_mem x, size_t x_off, cl_mem w, size_t w_off,
                              cl_mem y, size_t y_off)
{
    dcl_gemm_args g = {0};
    g.trans_b = 1;
    g.m = m;
    g.n = n;
    g.k = k;
    g.alpha = 1.0f;
    g.a = x;
    g.a_off = x_off;
    g.lda = k;
    g.b = w;
    g.b_off = w_off;
    g.ldb = k;
    g.c = y;
    g.c_off = y_off;
    g.ldc = n;
    return g;
}

dcl_status dcl_linear(dcl_context *ctx, size_t m, size_t n, size_t k, cl_mem x, size_t x_off, cl_mem w, size_t w_off,
                      float beta, cl_mem y, size_t y_off, cl_mem temp)
{
    dcl_gemm_args g = dcl_linear_args(m, n, k, x, x_off, w, w_off, y, y_off);
    g.beta = beta;
    return dcl_gemm(ctx, &g, temp);
}
