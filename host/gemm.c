/* SPDX-License-Identifier: Apache-2.0 */
#include "gemm.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <clblast_c.h>

#include "program.h"
#include "tuning.h"

/* ---- set-up: the routes and CLBlast parameters come from the context's tuning ---- */

#define DCL_GEMM_MAX_PARAMS 16

static const char *const clblast_families[] = {"Xgemm", "XgemmDirect", "GemmRoutine"};

/* Collects the CLBlast parameters of one kernel family ("Xgemm") from the tuning. Returns the
 * number set; *total gets the number the family has. */
static size_t clblast_params(const dcl_context *ctx, const char *family, const char **names, size_t *values,
                             size_t *total)
{
    char group[64];
    snprintf(group, sizeof group, "clblast_%s", family);
    size_t n = 0, set = 0;
    for (int i = 0; i < DCL_T_COUNT && n < DCL_GEMM_MAX_PARAMS; i++) {
        if (strcmp(dcl_tunables[i].group, group) != 0)
            continue;
        long v = dcl_tuning_value(ctx, (dcl_tunable_id)i);
        names[n] = dcl_tunables[i].name;
        values[n] = v < 0 ? 0 : (size_t)v;
        n++;
        set += v != DCL_TUNING_UNSET;
    }
    *total = n;
    return set;
}

/* CLBlast keeps one set of parameter overrides per device for the whole process, and has no way
 * back to its own database once a kernel family was overridden. So that two contexts on one
 * device cannot silently run each other's parameters, the library records here what it set per
 * device and how many live contexts rely on it: a context whose CLBlast parameters differ from
 * those of a live context on the same device is refused. */
typedef struct clblast_owner {
    cl_device_id device;
    char params[512]; /* "GEMMK=0 KREG=1 ..." of every clblast_* tunable, -1 for unset */
    int overridden[3]; /* per family of clblast_families: CLBlast holds an override from us */
    int live;
    struct clblast_owner *next;
} clblast_owner;

static pthread_mutex_t owners_lock = PTHREAD_MUTEX_INITIALIZER;
static clblast_owner *owners;

static void clblast_key(const dcl_context *ctx, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < DCL_T_COUNT; i++)
        if (strncmp(dcl_tunables[i].group, "clblast_", 8) == 0 && len < cap) {
            int n = snprintf(buf + len, cap - len, "%s%s=%ld", len ? " " : "", dcl_tunables[i].name,
                             dcl_tuning_value(ctx, (dcl_tunable_id)i));
            len += n > 0 ? (size_t)n : 0;
        }
}

/* Hands the context's CLBlast parameters to CLBlast (under owners_lock). */
static void clblast_apply(dcl_context *ctx, clblast_owner *o)
{
    for (size_t f = 0; f < sizeof clblast_families / sizeof clblast_families[0]; f++) {
        const char *names[DCL_GEMM_MAX_PARAMS];
        size_t values[DCL_GEMM_MAX_PARAMS], total;
        size_t set = clblast_params(ctx, clblast_families[f], names, values, &total);
        if (set == 0) {
            if (o->overridden[f])
                dcl_log(ctx, DCL_LOG_WARN, "CLBlast keeps the %s parameters an earlier context set on this device "
                        "(it cannot return to its own database)", clblast_families[f]);
            continue; /* CLBlast's own database */
        }
        if (set < total) {
            dcl_log(ctx, DCL_LOG_WARN, "tuning names %zu of the %zu CLBlast %s parameters; CLBlast keeps its own",
                    set, total, clblast_families[f]);
            continue;
        }
        CLBlastStatusCode s =
            CLBlastOverrideParameters(ctx->device, clblast_families[f], CLBlastPrecisionSingle, total, names, values);
        if (s != CLBlastSuccess)
            dcl_log(ctx, DCL_LOG_WARN, "CLBlast rejected the %s parameters of the tuning: %s (%d)",
                    clblast_families[f], dcl_clblast_status_name(s), (int)s);
        else
            o->overridden[f] = 1;
    }
}

/* The routes and the packed-GEMM width from the context's tuning; the GEMM program is rebuilt with
 * the tuning's -D options on first use. */
static void routes_from_tuning(dcl_context *ctx)
{
    dcl_gemm_pack_init(ctx);
    ctx->gemm_prog = NULL;
    ctx->gemm_own = dcl_tuning_value(ctx, DCL_T_GEMM_ROUTE_NT) == DCL_GEMM_ROUTE_OWN ||
                    dcl_tuning_value(ctx, DCL_T_GEMM_ROUTE_NN) == DCL_GEMM_ROUTE_OWN;
}

dcl_status dcl_gemm_init(dcl_context *ctx)
{
    routes_from_tuning(ctx);
    char key[512];
    clblast_key(ctx, key, sizeof key);
    pthread_mutex_lock(&owners_lock);
    clblast_owner *o = owners;
    while (o && o->device != ctx->device)
        o = o->next;
    if (o && o->live > 0 && strcmp(o->params, key) != 0) {
        pthread_mutex_unlock(&owners_lock);
        return dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT,
                        "another live context on %s runs other CLBlast parameters (CLBlast keeps one set per device "
                        "and process): theirs \"%s\", this context's \"%s\"; give both contexts the same tuning "
                        "profile or free the other one first",
                        ctx->info.name, o->params, key);
    }
    if (!o) {
        o = calloc(1, sizeof *o);
        if (!o) {
            pthread_mutex_unlock(&owners_lock);
            return dcl_fail(ctx, DCL_ERR_OUT_OF_MEMORY, "out of memory");
        }
        o->device = ctx->device;
        o->next = owners;
        owners = o;
        clblast_apply(ctx, o);
    } else if (strcmp(o->params, key) != 0) {
        clblast_apply(ctx, o);
    }
    dcl_strlcpy(o->params, key, sizeof o->params);
    o->live++;
    ctx->gemm_registered = 1;
    pthread_mutex_unlock(&owners_lock);
    dcl_log(ctx, DCL_LOG_INFO, "GEMM routes: A B^T %s, A B %s",
            dcl_tuning_value(ctx, DCL_T_GEMM_ROUTE_NT) == DCL_GEMM_ROUTE_OWN ? "cl/gemm_cpu.cl" : "CLBlast",
            dcl_tuning_value(ctx, DCL_T_GEMM_ROUTE_NN) == DCL_GEMM_ROUTE_OWN ? "cl/gemm_cpu.cl" : "CLBlast");
    return DCL_OK;
}

dcl_status dcl_gemm_retune(dcl_context *ctx)
{
    routes_from_tuning(ctx);
    char key[512];
    clblast_key(ctx, key, sizeof key);
    pthread_mutex_lock(&owners_lock);
    clblast_owner *o = owners;
    while (o && o->device != ctx->device)
        o = o->next;
    dcl_status st = DCL_OK;
    if (!o || !ctx->gemm_registered)
        st = dcl_fail(ctx, DCL_ERR_INTERNAL, "dcl_gemm_retune before dcl_gemm_init");
    else if (o->live != 1 && strcmp(o->params, key) != 0)
        st = dcl_fail(ctx, DCL_ERR_INVALID_ARGUMENT, "other live contexts on %s use its CLBlast parameters",
                      ctx->info.name);
    else if (strcmp(o->params, key) != 0) {
        clblast_apply(ctx, o);
        dcl_strlcpy(o->params, key, sizeof o->params);
    }
    pthread_mutex_unlock(&owners_lock);
    return st;
}

void dcl_gemm_release(dcl_context *ctx)
{
    if (!ctx->gemm_registered)
        return;
    pthread_mutex_lock(&owners_lock);
    for (clblast_owner *o = owners; o; o = o->next)
        if (o->device == ctx->device && o->live > 0)
            o->live--;
    pthread_mutex_unlock(&owners_lock);
    ctx->gemm_registered = 0;
}

/* ---- cl/gemm_cpu.cl ---- */

static int own_fits(const dcl_context *ctx, const dcl_gemm_args *g)
{
    dcl_tunable_id route = g->trans_b ? DCL_T_GEMM_ROUTE_NT : DCL_T_GEMM_ROUTE_NN;
    return dcl_tuning_value(ctx, route) == DCL_GEMM_ROUTE_OWN && !g->trans_a && g->m <= UINT_MAX && g->n <= UINT_MAX && g->k <= UINT_MAX &&
           g->lda <= UINT_MAX && g->ldb <= UINT_MAX && g->ldc <= UINT_MAX;
}

static dcl_status own_gemm(dcl_context *ctx, const dcl_gemm_args *g, cl_event *event)
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
    /* the same values as the -D options of gemm_cpu.cl (host/tuning.c) */
    const size_t nt_cb = (size_t)dcl_tuning_value(ctx, DCL_T_GEMM_NT_CB);
    const size_t nn_rb = (size_t)dcl_tuning_value(ctx, DCL_T_GEMM_NN_RB);
    size_t global[3], local[3] = {1, 1, 1};
    if (g->trans_b) {
        global[0] = (g->m + 3) / 4;
        global[1] = (g->n + 3 * nt_cb - 1) / (3 * nt_cb);
    } else {
        global[0] = ((g->m + 5) / 6 + nn_rb - 1) / nn_rb;
        global[1] = (g->n + 15) / 16;
    }
    global[2] = batch;
    if (err == CL_SUCCESS)
        err = clEnqueueNDRangeKernel(ctx->queue, k, 3, NULL, global, local, 0, NULL, event);
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
    return dcl_gemm_event(ctx, g, temp, NULL);
}

dcl_status dcl_gemm_event(dcl_context *ctx, const dcl_gemm_args *g, cl_mem temp, cl_event *event)
{
    CLBlastTranspose ta = g->trans_a ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastTranspose tb = g->trans_b ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastStatusCode s;
    if (g->m == 0 || g->n == 0)
        return DCL_OK;
    if (g->b_packed)
        return dcl_gemm_packed_run(ctx, g, event);
    if (own_fits(ctx, g) && g->k > 0)
        return own_gemm(ctx, g, event);
    if (g->batch > 1) {
        s = CLBlastSgemmStridedBatched(CLBlastLayoutRowMajor, ta, tb, g->m, g->n, g->k, g->alpha, g->a, g->a_off,
                                       g->lda, g->a_stride, g->b, g->b_off, g->ldb, g->b_stride, g->beta, g->c,
                                       g->c_off, g->ldc, g->c_stride, g->batch, &ctx->queue, event);
    } else if (temp) {
        s = CLBlastSgemmWithTempBuffer(CLBlastLayoutRowMajor, ta, tb, g->m, g->n, g->k, g->alpha, g->a, g->a_off,
                                       g->lda, g->b, g->b_off, g->ldb, g->beta, g->c, g->c_off, g->ldc, &ctx->queue,
                                       event, temp);
    } else {
        s = CLBlastSgemm(CLBlastLayoutRowMajor, ta, tb, g->m, g->n, g->k, g->alpha, g->a, g->a_off, g->lda, g->b,
                         g->b_off, g->ldb, g->beta, g->c, g->c_off, g->ldc, &ctx->queue, event);
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

dcl_gemm_args dcl_attn_qk_args(size_t L, size_t D, size_t heads, cl_mem q, cl_mem k, cl_mem scores, size_t scores_off)
{
    dcl_gemm_args g = {0};
    g.trans_b = 1;
    g.m = L;
    g.n = L;
    g.k = D;
    g.alpha = 1.0f;
    g.a = q;
    g.lda = D;
    g.a_stride = L * D;
    g.b = k;
    g.ldb = D;
    g.b_stride = L * D;
    g.c = scores;
    g.c_off = scores_off;
    g.ldc = L;
    g.c_stride = L * L;
    g.batch = heads;
    return g;
}

dcl_gemm_args dcl_attn_pv_args(size_t L, size_t D, size_t heads, cl_mem p, cl_mem v, cl_mem out)
{
    dcl_gemm_args g = {0};
    g.m = L;
    g.n = D;
    g.k = L;
    g.alpha = 1.0f;
    g.a = p;
    g.lda = L;
    g.a_stride = L * L;
    g.b = v;
    g.ldb = D;
    g.b_stride = L * D;
    g.c = out;
    g.ldc = D;
    g.c_stride = L * D;
    g.batch = heads;
    return g;
}

dcl_status dcl_linear(dcl_context *ctx, size_t m, size_t n, size_t k, cl_mem x, size_t x_off, cl_mem w, size_t w_off,
                      float beta, cl_mem y, size_t y_off, cl_mem temp)
{
    dcl_gemm_args g = dcl_linear_args(m, n, k, x, x_off, w, w_off, y, y_off);
    g.beta = beta;
    return dcl_gemm(ctx, &g, temp);
}

const char *dcl_gemm_routine(const dcl_context *ctx, const dcl_gemm_args *g)
{
    if (g->b_packed)
        return "dcl_gemm_pk";
    if (own_fits(ctx, g) && g->k > 0)
        return g->trans_b ? "dcl_gemm_nt" : "dcl_gemm_nn";
    if (g->batch > 1)
        return "CLBlastSgemmStridedBatched";
    return "CLBlastSgemm";
}
