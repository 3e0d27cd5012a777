/* SPDX-License-Identifier: Apache-2.0 */
/* The encoder's OpenCL kernels (cl/embeddings, layernorm, activation, heads, attention, conv),
 * each run on the device and checked against a plain C reference with double accumulation, at
 * shapes that are not multiples of the work-group sizes, with several build-time work-group
 * sizes, masks with zeros, in-place operation and rounded-up global sizes. Every output buffer
 * has a guard zone behind it that must come back untouched.
 *
 * Tolerances (|got - ref| <= atol + rtol * |ref|, ref in double):
 *   embed_gather      rtol 1e-6, atol 1e-6
 *   layernorm         rtol 1e-5, atol 1e-5   (inputs with mean ~20 and std ~1)
 *   bias_act          rtol 1e-5, atol 1e-6
 *   split/merge heads exact
 *   im2col1d          exact
 *   conv1d_grouped    2e-6 * sum|w*x| + 1e-6
 *   softmaxes         rtol 1e-5, atol 1e-8; masked keys exactly 0, padding queries exactly 1/L */
#include <float.h>
#include <math.h>
#include <string.h>

#include "context.h"
#include "program.h"
#include "tuning_state.h"
#include "test_common.h"

#define GUARD 64 /* floats behind every buffer that no kernel may touch */

/* $DCL_TEST_QUICK set: only the small shapes and work-groups (the Oclgrind run, label oclgrind) */
static int quick(void)
{
    const char *q = getenv("DCL_TEST_QUICK");
    return q && q[0] && q[0] != '0';
}
static const float CANARY = 1234.5f;

/* ---- helpers -------------------------------------------------------------------------------- */

/* A read-write buffer holding `bytes` of `data` (zeros when data is NULL) plus the guard zone. */
static cl_mem upload(dcl_context *ctx, const void *data, size_t bytes)
{
    size_t total = bytes + GUARD * sizeof(float);
    unsigned char *tmp = calloc(1, total);
    assert_non_null(tmp);
    if (data && bytes)
        memcpy(tmp, data, bytes);
    float *g = (float *)(tmp + bytes);
    for (int i = 0; i < GUARD; i++)
        memcpy(&g[i], &CANARY, sizeof CANARY);
    cl_int err;
    cl_mem m = clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, total, tmp, &err);
    assert_int_equal(err, CL_SUCCESS);
    free(tmp);
    return m;
}

/* A dummy buffer for a flagged-off argument: a few NaNs, so that a stray read shows. */
static cl_mem dummy(dcl_context *ctx)
{
    float nan4[4] = {NAN, NAN, NAN, NAN};
    return upload(ctx, nan4, sizeof nan4);
}

/* Reads `bytes` back and checks the guard zone behind them. */
static void download(dcl_context *ctx, cl_mem m, void *dst, size_t bytes)
{
    float g[GUARD];
    assert_int_equal(clEnqueueReadBuffer(ctx->queue, m, CL_TRUE, 0, bytes, dst, 0, NULL, NULL), CL_SUCCESS);
    assert_int_equal(clEnqueueReadBuffer(ctx->queue, m, CL_TRUE, bytes, sizeof g, g, 0, NULL, NULL), CL_SUCCESS);
    for (int i = 0; i < GUARD; i++)
        if (g[i] != CANARY)
            fail_msg("guard zone overwritten at +%d: %g", i, (double)g[i]);
}

typedef struct karg {
    size_t size;
    const void *ptr;
} karg;
#define U(x) ((karg){sizeof(cl_uint), &(cl_uint){(cl_uint)(x)}})
#define I(x) ((karg){sizeof(cl_int), &(cl_int){(cl_int)(x)}})
#define F(x) ((karg){sizeof(cl_float), &(cl_float){(cl_float)(x)}})
#define M(x) ((karg){sizeof(cl_mem), &(cl_mem){(x)}})
#define SET_ARGS(k, ...) set_args((k), (const karg[]){__VA_ARGS__}, sizeof((const karg[]){__VA_ARGS__}) / sizeof(karg))

/* Sets all arguments; the count must match the kernel's (catches signature drift). */
static void set_args(cl_kernel k, const karg *a, size_t n)
{
    cl_uint nargs = 0;
    assert_int_equal(clGetKernelInfo(k, CL_KERNEL_NUM_ARGS, sizeof nargs, &nargs, NULL), CL_SUCCESS);
    assert_int_equal(nargs, n);
    for (size_t i = 0; i < n; i++)
        if (clSetKernelArg(k, (cl_uint)i, a[i].size, a[i].ptr) != CL_SUCCESS)
            fail_msg("clSetKernelArg %zu failed", i);
}

/* Runs k over `global` rounded up to multiples of `local` (NULL: runtime's choice) and waits. */
static void launch(dcl_context *ctx, cl_kernel k, cl_uint dims, const size_t *global, const size_t *local)
{
    size_t g[3];
    for (cl_uint d = 0; d < dims; d++)
        g[d] = local ? (global[d] + local[d] - 1) / local[d] * local[d] : global[d];
    cl_int err = clEnqueueNDRangeKernel(ctx->queue, k, dims, NULL, g, local, 0, NULL, NULL);
    if (err != CL_SUCCESS)
        fail_msg("clEnqueueNDRangeKernel: %s (%d)", dcl_cl_error_name(err), (int)err);
    assert_int_equal(clFinish(ctx->queue), CL_SUCCESS);
}

static cl_kernel kernel(dcl_context *ctx, const char *file, const char *options, const char *name)
{
    cl_kernel k = NULL;
    dcl_status st = dcl_kernel_create(ctx, file, options, name, &k);
    if (st != DCL_OK)
        fail_msg("%s/%s (%s): %s", file, name, options ? options : "", dcl_context_last_error(ctx));
    return k;
}

/* n floats uniform in [offset - scale, offset + scale). */
static float *rnd(size_t n, uint32_t *seed, float scale, float offset)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = offset + scale * dcl_test_rand(seed);
    return v;
}

static double *dalloc(size_t n)
{
    double *v = calloc(n ? n : 1, sizeof *v);
    assert_non_null(v);
    return v;
}

/* Fails unless every got[i] is finite and within atol + rtol*|ref[i]|. Returns the worst
 * error / allowed ratio. */
static double check_close(const char *what, const float *got, const double *ref, size_t n, double rtol, double atol)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(got[i]))
            fail_msg("%s: [%zu] = %g is not finite (want %.9g)", what, i, (double)got[i], ref[i]);
        double err = fabs((double)got[i] - ref[i]), lim = atol + rtol * fabs(ref[i]);
        if (err > lim)
            fail_msg("%s: [%zu] = %.9g, want %.9g (error %.3g > %.3g)", what, i, (double)got[i], ref[i], err, lim);
        if (err / lim > worst)
            worst = err / lim;
    }
    return worst;
}

/* mask pattern per batch row b: 0 full (right-padded by L/4), 1 fully masked, 2 left-padded */
static float mask_value(unsigned b, unsigned j, unsigned L)
{
    switch (b % 3) {
    case 0:
        return j < L - L / 4 ? 1.0f : 0.0f;
    case 1:
        return 0.0f;
    default:
        return j >= L / 3 ? 1.0f : 0.0f;
    }
}

/* ---- embeddings ----------------------------------------------------------------------------- */

static void test_embed_gather(void **state)
{
    (void)state;
    dcl_context *ctx = dcl_test_context(NULL);
    cl_kernel k = kernel(ctx, "embeddings", NULL, "dcl_embed_gather");
    static const unsigned shapes[][3] = {{1, 1, 8}, {3, 7, 37}, {2, 33, 64}}; /* B, L, E */
    const unsigned V = 50, TV = 3;
    double worst = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        unsigned B = shapes[s][0], L = shapes[s][1], E = shapes[s][2], T = B * L, P = L + 3;
        uint32_t seed = 11 + (uint32_t)s;
        float *word = rnd((size_t)V * E, &seed, 1, 0), *pos = rnd((size_t)P * E, &seed, 1, 0);
        float *type = rnd((size_t)TV * E, &seed, 1, 0);
        int *ids = malloc(T * sizeof *ids), *types = malloc(T * sizeof *types);
        for (unsigned t = 0; t < T; t++) {
            ids[t] = (int)((t * 7919u + 13u) % V);
            types[t] = (int)(t % TV);
        }
        ids[T - 1] = (int)V - 1;
        cl_mem bw = upload(ctx, word, (size_t)V * E * 4), bp = upload(ctx, pos, (size_t)P * E * 4);
        cl_mem bt = upload(ctx, type, (size_t)TV * E * 4), bi = upload(ctx, ids, T * 4);
        cl_mem bty = upload(ctx, types, T * 4), bd = dummy(ctx);
        float *got = malloc((size_t)T * E * sizeof *got);
        double *ref = dalloc((size_t)T * E);
        for (int use_pos = 0; use_pos < 2; use_pos++)
            for (int use_type = 0; use_type < 2; use_type++) {
                cl_mem out = upload(ctx, NULL, (size_t)T * E * 4);
                SET_ARGS(k, U(T), U(L), U(E), M(bi), M(use_type ? bty : bd), M(bw), M(use_pos ? bp : bd),
                         M(use_type ? bt : bd), I(use_pos), I(use_type), M(out));
                size_t gl[2] = {E, T}, lo[2] = {16, 4};
                launch(ctx, k, 2, gl, lo);
                download(ctx, out, got, (size_t)T * E * 4);
                for (unsigned t = 0; t < T; t++)
                    for (unsigned e = 0; e < E; e++)
                        ref[(size_t)t * E + e] = (double)word[(size_t)ids[t] * E + e] +
                                                 (use_pos ? pos[(size_t)(t % L) * E + e] : 0.0) +
                                                 (use_type ? type[(size_t)types[t] * E + e] : 0.0);
                double w = check_close("embed_gather", got, ref, (size_t)T * E, 1e-6, 1e-6);
                worst = w > worst ? w : worst;
                clReleaseMemObject(out);
            }
        clReleaseMemObject(bw);
        clReleaseMemObject(bp);
        clReleaseMemObject(bt);
        clReleaseMemObject(bi);
        clReleaseMemObject(bty);
        clReleaseMemObject(bd);
        free(word), free(pos), free(type), free(ids), free(types), free(got), free(ref);
    }
    print_message("embed_gather: worst error/tolerance %.3f\n", worst);
    clReleaseKernel(k);
    dcl_context_free(ctx);
}

/* ---- layernorm ------------------------------------------------------------------------------ */

enum { LN_SEPARATE, LN_INPLACE_X, LN_INPLACE_RES };

static double run_layernorm(dcl_context *ctx, cl_kernel k, unsigned wg, unsigned T, unsigned H, float eps,
                            int use_bias, int use_res, int use_mask, int mode, uint32_t seed)
{
    size_t n = (size_t)T * H;
    float *x = rnd(n, &seed, 2.0f, 20.0f), *res = rnd(n, &seed, 1.0f, -3.0f), *bias = rnd(H, &seed, 0.5f, 0);
    float *gamma = rnd(H, &seed, 0.5f, 1.0f), *beta = rnd(H, &seed, 0.5f, 0), *mask = malloc(T * sizeof *mask);
    for (unsigned t = 0; t < T; t++)
        mask[t] = (t % 3 == 1) ? 0.0f : 1.0f;
    double *ref = dalloc(n), *v = dalloc(H);
    for (unsigned t = 0; t < T; t++) {
        double mean = 0, var = 0;
        for (unsigned c = 0; c < H; c++) {
            float f = x[(size_t)t * H + c]; /* the fp32 input sum, as the kernel forms it */
            if (use_bias)
                f += bias[c];
            if (use_res)
                f += res[(size_t)t * H + c];
            v[c] = f;
            mean += f;
        }
        mean /= H;
        for (unsigned c = 0; c < H; c++)
            var += (v[c] - mean) * (v[c] - mean);
        var /= H;
        for (unsigned c = 0; c < H; c++) {
            double y = (v[c] - mean) / sqrt(var + (double)eps) * gamma[c] + beta[c];
            ref[(size_t)t * H + c] = use_mask ? y * mask[t] : y;
        }
    }
    cl_mem bx = upload(ctx, x, n * 4), bb = use_bias ? upload(ctx, bias, H * 4) : dummy(ctx);
    cl_mem br = use_res ? upload(ctx, res, n * 4) : dummy(ctx), bg = upload(ctx, gamma, H * 4);
    cl_mem bbe = upload(ctx, beta, H * 4), bm = use_mask ? upload(ctx, mask, T * 4) : dummy(ctx);
    cl_mem out = mode == LN_INPLACE_X ? bx : mode == LN_INPLACE_RES ? br : upload(ctx, NULL, n * 4);
    SET_ARGS(k, U(T), U(H), F(eps), M(bx), M(bb), M(br), M(bg), M(bbe), M(bm), I(use_bias), I(use_res),
             I(use_mask), M(out));
    size_t gl = (size_t)(T + 2) * wg, lo = wg; /* two spare groups must do nothing */
    launch(ctx, k, 1, &gl, &lo);
    float *got = malloc(n * sizeof *got);
    download(ctx, out, got, n * 4);
    char what[96];
    snprintf(what, sizeof what, "layernorm WG=%u T=%u H=%u flags=%d%d%d mode=%d", wg, T, H, use_bias, use_res,
             use_mask, mode);
    double w = check_close(what, got, ref, n, 1e-5, 1e-5);
    if (mode == LN_SEPARATE)
        clReleaseMemObject(out);
    clReleaseMemObject(bx), clReleaseMemObject(bb), clReleaseMemObject(br), clReleaseMemObject(bg);
    clReleaseMemObject(bbe), clReleaseMemObject(bm);
    free(x), free(res), free(bias), free(gamma), free(beta), free(mask), free(ref), free(v), free(got);
    return w;
}

static void test_layernorm(void **state)
{
    (void)state;
    dcl_context *ctx = dcl_test_context(NULL);
    static const unsigned wgs[] = {1, 32, 256};
    static const unsigned Hs[] = {1, 32, 37, 768, 1536, 4096};
    double worst = 0;
    for (size_t w = 0; w < sizeof wgs / sizeof wgs[0]; w++) {
        char opt[32];
        snprintf(opt, sizeof opt, "-DLN_WG=%u", wgs[w]);
        cl_kernel k = kernel(ctx, "layernorm", opt, "dcl_layernorm");
        for (size_t h = 0; h < sizeof Hs / sizeof Hs[0]; h++) {
            if (quick() && Hs[h] > 64)
                continue;
            unsigned H = Hs[h], T = H >= 1536 ? 3 : 5;
            uint32_t seed = (uint32_t)(100 * w + h);
            double r[] = {
                run_layernorm(ctx, k, wgs[w], T, H, 1e-7f, 1, 1, 1, LN_SEPARATE, seed),
                run_layernorm(ctx, k, wgs[w], T, H, 1e-7f, 0, 0, 0, LN_SEPARATE, seed + 1),
                run_layernorm(ctx, k, wgs[w], T, H, 1e-5f, 1, 1, 0, LN_INPLACE_X, seed + 2),
                run_layernorm(ctx, k, wgs[w], T, H, 1e-7f, 0, 1, 1, LN_INPLACE_RES, seed + 3),
                run_layernorm(ctx, k, wgs[w], 1, H, 1e-12f, 1, 0, 1, LN_INPLACE_X, seed + 4),
            };
            for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
                worst = r[i] > worst ? r[i] : worst;
        }
        clReleaseKernel(k);
    }
    print_message("layernorm: worst error/tolerance %.3f\n", worst);
    dcl_context_free(ctx);
}

/* ---- activation ----------------------------------------------------------------------------- */

static double act_ref(double v, int act)
{
    switch (act) {
    case 1:
        return 0.5 * v * erfc(-v / sqrt(2.0));
    case 2:
        return 0.5 * v * (1.0 + tanh(sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
    case 3:
        return v > 0 ? v : 0;
    case 4:
        return tanh(v);
    case 5:
        return 1.0 / (1.0 + exp(-v));
    case 6:
        return v / (1.0 + exp(-v));
    default:
        return v;
    }
}

static double bias_act_variant(dcl_context *ctx, unsigned vw);

static void test_bias_act(void **state)
{
    (void)state;
    dcl_context *ctx = dcl_test_context(NULL);
    /* variant 0: dcl_bias_act (run-time act); then dcl_bias_act_fixed built with -DACT for every
     * act, at each vector width EW_VW */
    static const long vws[] = {0, 1, 4, 8, 16};
    const long keep_vw = ctx->tuning->value[DCL_T_EW_VW];
    double worst = 0;
    for (size_t v = 0; v < sizeof vws / sizeof vws[0]; v++) {
        ctx->tuning->value[DCL_T_EW_VW] = vws[v] ? vws[v] : keep_vw;
        dcl_program_release_all(ctx); /* the memory cache knows programs by their caller options only */
        double w = bias_act_variant(ctx, (unsigned)vws[v]);
        worst = w > worst ? w : worst;
    }
    ctx->tuning->value[DCL_T_EW_VW] = keep_vw;
    print_message("bias_act: worst error/tolerance %.3f\n", worst);
    dcl_context_free(ctx);
}

static double bias_act_variant(dcl_context *ctx, unsigned vw)
{
    cl_kernel fixed[7] = {NULL}, generic = vw ? NULL : kernel(ctx, "activation", NULL, "dcl_bias_act");
    for (int act = 0; vw && act <= 6; act++) {
        char opt[32];
        snprintf(opt, sizeof opt, "-DACT=%d", act);
        fixed[act] = kernel(ctx, "activation", opt, "dcl_bias_act_fixed");
    }
    static const unsigned shapes[][2] = {{1, 1}, {7, 37}, {33, 130}, {3, 64}}; /* rows, cols */
    static const float extremes[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 30.0f, -30.0f, 100.0f, -100.0f, 1e4f, -1e4f,
                                     88.0f, -88.0f, 5.5f, -5.5f};
    double worst = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        if (quick() && shapes[s][1] > 64)
            continue;
        unsigned R = shapes[s][0], C = shapes[s][1];
        size_t n = (size_t)R * C;
        uint32_t seed = 77 + (uint32_t)s;
        float *x = rnd(n, &seed, 8.0f, 0), *bias = rnd(C, &seed, 0.5f, 0), *mask = malloc(R * sizeof *mask);
        for (size_t i = 0; i < n && i < sizeof extremes / sizeof extremes[0]; i++)
            x[i] = extremes[i];
        for (unsigned r = 0; r < R; r++)
            mask[r] = (r % 4 == 2) ? 0.0f : 1.0f;
        cl_mem bb = upload(ctx, bias, C * 4), bm = upload(ctx, mask, R * 4), bd = dummy(ctx);
        float *got = malloc(n * sizeof *got);
        double *ref = dalloc(n);
        for (int act = 0; act <= 6; act++)
            for (int use_bias = 0; use_bias < 2; use_bias++)
                for (int use_mask = 0; use_mask < 2; use_mask++) {
                    cl_mem bx = upload(ctx, x, n * 4);
                    if (!vw) {
                        SET_ARGS(generic, U(R), U(C), M(bx), M(use_bias ? bb : bd), M(use_mask ? bm : bd),
                                 I(use_bias), I(use_mask), I(act));
                        size_t gl[2] = {C, R}, lo[2] = {16, 4};
                        launch(ctx, generic, 2, gl, lo);
                    } else {
                        SET_ARGS(fixed[act], U(R), U(C), M(bx), M(use_bias ? bb : bd), M(use_mask ? bm : bd),
                                 I(use_bias), I(use_mask));
                        size_t gl[2] = {(C + vw - 1) / vw + 3, R}; /* spare items must do nothing */
                        launch(ctx, fixed[act], 2, gl, NULL);
                    }
                    download(ctx, bx, got, n * 4);
                    for (unsigned r = 0; r < R; r++)
                        for (unsigned c = 0; c < C; c++) {
                            float v = x[(size_t)r * C + c];
                            if (use_bias)
                                v += bias[c];
                            if (use_mask)
                                v *= mask[r];
                            ref[(size_t)r * C + c] = act_ref(v, act);
                        }
                    char what[64];
                    snprintf(what, sizeof what, "bias_act vw=%u act=%d bias=%d mask=%d %ux%u", vw, act, use_bias,
                             use_mask, R, C);
                    double w = check_close(what, got, ref, n, 1e-5, 1e-6);
                    worst = w > worst ? w : worst;
                    clReleaseMemObject(bx);
                }
        clReleaseMemObject(bb), clReleaseMemObject(bm), clReleaseMemObject(bd);
        free(x), free(bias), free(mask), free(got), free(ref);
    }
    if (generic)
        clReleaseKernel(generic);
    for (int act = 0; act <= 6; act++)
        if (fixed[act])
            clReleaseKernel(fixed[act]);
    return worst;
}

/* ---- heads ---------------------------------------------------------------------------------- */

static void test_split_merge_heads(void **state)
{
    (void)state;
    dcl_context *ctx = dcl_test_context(NULL);
    cl_kernel ks = kernel(ctx, "heads", NULL, "dcl_split_heads");
    cl_kernel km = kernel(ctx, "heads", NULL, "dcl_merge_heads");
    static const unsigned shapes[][4] = {{1, 1, 1, 8}, {3, 7, 4, 8}, {2, 33, 4, 64}, {3, 33, 1, 64}, {1, 130, 3, 8}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        if (quick() && shapes[s][1] > 64)
            continue;
        unsigned B = shapes[s][0], L = shapes[s][1], NH = shapes[s][2], D = shapes[s][3];
        unsigned T = B * L, A = NH * D;
        size_t nsrc = (size_t)T * 3 * A, nh = (size_t)T * A;
        uint32_t seed = 300 + (uint32_t)s;
        float *src = rnd(nsrc, &seed, 1, 0), *bias = rnd(A, &seed, 1, 0);
        float *got = malloc(nh * sizeof *got), *ref = malloc(nh * sizeof *ref), *merged = malloc(nh * sizeof *merged);
        cl_mem bs = upload(ctx, src, nsrc * 4), bb = upload(ctx, bias, A * 4), bd = dummy(ctx);
        for (int v1 = 0; v1 < 2; v1++)
            for (unsigned part = 0; part < 3; part++) {
                unsigned off = v1 ? part * D : part * A, hs = v1 ? 3 * D : D;
                int use_bias = part != 1;
                float scale = part == 0 ? 0.125f : 1.0f;
                cl_mem dst = upload(ctx, NULL, nh * 4);
                SET_ARGS(ks, U(B), U(L), U(NH), U(D), U(3 * A), U(off), U(hs), M(bs), M(use_bias ? bb : bd),
                         I(use_bias), F(scale), M(dst));
                size_t gl[3] = {D, T, NH}, lo[3] = {8, 4, 2};
                launch(ctx, ks, 3, gl, lo);
                download(ctx, dst, got, nh * 4);
                for (unsigned h = 0; h < NH; h++)
                    for (unsigned t = 0; t < T; t++)
                        for (unsigned e = 0; e < D; e++) {
                            float v = src[(size_t)t * 3 * A + off + h * hs + e];
                            if (use_bias)
                                v += bias[h * D + e];
                            ref[((size_t)h * T + t) * D + e] = v * scale;
                        }
                for (size_t i = 0; i < nh; i++)
                    if (got[i] != ref[i])
                        fail_msg("split_heads v1=%d part=%u [%zu] = %g, want %g", v1, part, i, (double)got[i],
                                 (double)ref[i]);
                /* merge back: [T, A] with head-major columns */
                cl_mem out = upload(ctx, NULL, nh * 4);
                SET_ARGS(km, U(B), U(L), U(NH), U(D), M(dst), M(out));
                launch(ctx, km, 3, gl, lo);
                download(ctx, out, merged, nh * 4);
                for (unsigned t = 0; t < T; t++)
                    for (unsigned h = 0; h < NH; h++)
                        for (unsigned e = 0; e < D; e++)
                            if (merged[(size_t)t * A + h * D + e] != ref[((size_t)h * T + t) * D + e])
                                fail_msg("merge_heads t=%u h=%u e=%u", t, h, e);
                clReleaseMemObject(dst), clReleaseMemObject(out);
            }
        clReleaseMemObject(bs), clReleaseMemObject(bb), clReleaseMemObject(bd);
        free(src), free(bias), free(got), free(ref), free(merged);
    }
    clReleaseKernel(ks), clReleaseKernel(km);
    dcl_context_free(ctx);
}

/* ---- attention ------------------------------------------------------------------------------ */

typedef struct att_case {
    unsigned B, L, NH, S; /* NSR = 2S, slot = clamp(i-j+S, 0, 2S-1); S == 0: random slots, NSR 5 */
} att_case;

static double run_attention(dcl_context *ctx, cl_kernel k, unsigned wg, att_case c, int use_c2p, int use_p2c,
                            uint32_t seed)
{
    unsigned B = c.B, L = c.L, NH = c.NH, NSR = c.S ? 2 * c.S : 5, T = B * L;
    size_t rows = (size_t)NH * T, ns = rows * L, nr = rows * NSR;
    float *sc = rnd(ns, &seed, 6.0f, 0), *c2p = rnd(nr, &seed, 6.0f, 0), *p2c = rnd(nr, &seed, 6.0f, 0);
    float *mask = malloc(T * sizeof *mask);
    int *slot = malloc((2 * L - 1) * sizeof *slot);
    for (unsigned b = 0; b < B; b++)
        for (unsigned j = 0; j < L; j++)
            mask[b * L + j] = mask_value(b, j, L);
    for (int d = -(int)L + 1; d <= (int)L - 1; d++) {
        int v = c.S ? d + (int)c.S : (int)((unsigned)(d * 31 + 1000) % NSR);
        slot[d + (int)L - 1] = v < 0 ? 0 : v > (int)NSR - 1 ? (int)NSR - 1 : v;
    }
    const float inv_scale = 0.35f;
    double *ref = dalloc(ns), *s = dalloc(L);
    for (unsigned h = 0; h < NH; h++)
        for (unsigned b = 0; b < B; b++)
            for (unsigned i = 0; i < L; i++) {
                size_t r = ((size_t)h * B + b) * L + i;
                double mx = -DBL_MAX, sum = 0;
                for (unsigned j = 0; j < L; j++) {
                    int kk = slot[(int)i - (int)j + (int)L - 1];
                    double v = sc[r * L + j];
                    if (use_c2p)
                        v += c2p[r * NSR + kk];
                    if (use_p2c)
                        v += p2c[((size_t)h * T + b * L + j) * NSR + kk];
                    v *= inv_scale;
                    if (mask[b * L + i] == 0 || mask[b * L + j] == 0)
                        v = -FLT_MAX;
                    s[j] = v;
                    mx = v > mx ? v : mx;
                }
                for (unsigned j = 0; j < L; j++)
                    sum += (s[j] = exp(s[j] - mx));
                for (unsigned j = 0; j < L; j++)
                    ref[r * L + j] = s[j] / sum;
            }
    cl_mem bsc = upload(ctx, sc, ns * 4), bd = dummy(ctx);
    cl_mem bc = use_c2p ? upload(ctx, c2p, nr * 4) : dummy(ctx), bp = use_p2c ? upload(ctx, p2c, nr * 4) : dummy(ctx);
    cl_mem bsl = (use_c2p || use_p2c) ? upload(ctx, slot, (2 * L - 1) * sizeof *slot) : dummy(ctx);
    cl_mem bm = upload(ctx, mask, T * 4);
    SET_ARGS(k, U(B), U(L), U(NH), M(bsc), M(bc), M(bp), M(bsl), U(NSR), M(bm), F(inv_scale), I(use_c2p),
             I(use_p2c));
    size_t gl = (rows + 3) * wg, lo = wg; /* three spare groups must do nothing */
    launch(ctx, k, 1, &gl, &lo);
    float *got = malloc(ns * sizeof *got);
    download(ctx, bsc, got, ns * 4);
    char what[128];
    snprintf(what, sizeof what, "disentangled_softmax WG=%u B=%u L=%u NH=%u NSR=%u c2p=%d p2c=%d", wg, B, L, NH, NSR,
             use_c2p, use_p2c);
    double w = check_close(what, got, ref, ns, 1e-5, 1e-8);
    for (unsigned h = 0; h < NH; h++)
        for (unsigned b = 0; b < B; b++)
            for (unsigned i = 0; i < L; i++) {
                const float *row = got + (((size_t)h * B + b) * L + i) * L;
                double rs = 0;
                for (unsigned j = 0; j < L; j++) {
                    rs += row[j];
                    if (mask[b * L + i] == 0 && row[j] != 1.0f / (float)L)
                        fail_msg("%s: padding query row (h%u b%u i%u) not uniform: [%u] = %g", what, h, b, i, j,
                                 (double)row[j]);
                    if (mask[b * L + i] != 0 && mask[b * L + j] == 0 && row[j] != 0.0f)
                        fail_msg("%s: masked key has probability %g", what, (double)row[j]);
                }
                if (fabs(rs - 1.0) > 1e-5)
                    fail_msg("%s: row sum %.9g", what, rs);
            }
    clReleaseMemObject(bsc), clReleaseMemObject(bd), clReleaseMemObject(bc), clReleaseMemObject(bp);
    clReleaseMemObject(bsl), clReleaseMemObject(bm);
    free(sc), free(c2p), free(p2c), free(mask), free(slot), free(ref), free(s), free(got);
    return w;
}

static void test_disentangled_softmax(void **state)
{
    (void)state;
    dcl_context *ctx = dcl_test_context(NULL);
    static const unsigned wgs[] = {1, 16, 128, 1024};
    static const att_case cases[] = {
        {1, 1, 1, 3}, {3, 7, 4, 3}, {2, 33, 2, 33}, {3, 33, 2, 0}, {1, 130, 1, 130}, {3, 130, 2, 128},
    };
    double worst = 0;
    for (size_t w = 0; w < sizeof wgs / sizeof wgs[0]; w++) {
        if (quick() && wgs[w] > 16)
            continue;
        char opt[32];
        snprintf(opt, sizeof opt, "-DATT_WG=%u", wgs[w]);
        cl_kernel k = kernel(ctx, "attention", opt, "dcl_disentangled_softmax");
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
            for (int f = 0; f < 4; f++) {
                if (wgs[w] == 1024 && cases[c].L > 33 && f != 0)
                    continue; /* keep the run short */
                if (quick() && (cases[c].L > 7 || f == 3))
                    continue;
                double r = run_attention(ctx, k, wgs[w], cases[c], !(f & 1), !(f & 2), (uint32_t)(1000 + 10 * c + f));
                worst = r > worst ? r : worst;
            }
        clReleaseKernel(k);
    }
    print_message("disentangled_softmax: worst error/tolerance %.3f\n", worst);
    dcl_context_free(ctx);
}

static void test_softmax_rows(void **state)
{
    (void)state;
    dcl_context *ctx = dcl_test_context(NULL);
    static const unsigned wgs[] = {1, 16, 128};
    static const unsigned shapes[][2] = {{1, 1}, {5, 7}, {17, 130}, {3, 1000}, {2, 2}};
    double worst = 0;
    for (size_t w = 0; w < sizeof wgs / sizeof wgs[0]; w++) {
        if (quick() && wgs[w] > 16)
            continue;
        char opt[32];
        snprintf(opt, sizeof opt, "-DATT_WG=%u", wgs[w]);
        cl_kernel k = kernel(ctx, "attention", opt, "dcl_softmax_rows");
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            if (quick() && shapes[s][1] > 64)
                continue;
            unsigned R = shapes[s][0], n = shapes[s][1];
            uint32_t seed = 500 + (uint32_t)s;
            float *x = rnd((size_t)R * n, &seed, 10.0f, 0);
            if (s == 4) { /* huge and -FLT_MAX entries */
                x[0] = 3e38f, x[1] = -FLT_MAX, x[2] = -FLT_MAX, x[3] = -FLT_MAX;
            }
            double *ref = dalloc((size_t)R * n);
            for (unsigned r = 0; r < R; r++) {
                double mx = -DBL_MAX, sum = 0;
                for (unsigned j = 0; j < n; j++)
                    mx = x[r * n + j] > mx ? x[r * n + j] : mx;
                for (unsigned j = 0; j < n; j++)
                    sum += (ref[r * n + j] = exp(x[r * n + j] - mx));
                for (unsigned j = 0; j < n; j++)
                    ref[r * n + j] /= sum;
            }
            cl_mem bx = upload(ctx, x, (size_t)R * n * 4);
            SET_ARGS(k, U(R), U(n), M(bx));
            size_t gl = (size_t)(R + 1) * wgs[w], lo = wgs[w];
            launch(ctx, k, 1, &gl, &lo);
            float *got = malloc((size_t)R * n * sizeof *got);
            download(ctx, bx, got, (size_t)R * n * 4);
            char what[64];
            snprintf(what, sizeof what, "softmax_rows WG=%u %ux%u", wgs[w], R, n);
            double r = check_close(what, got, ref, (size_t)R * n, 1e-5, 1e-8);
            worst = r > worst ? r : worst;
            clReleaseMemObject(bx);
            free(x), free(ref), free(got);
        }
        clReleaseKernel(k);
    }
    print_message("softmax_rows: worst error/tolerance %.3f\n", worst);
    dcl_context_free(ctx);
}

/* ---- conv ----------------------------------------------------------------------------------- */

static void test_im2col1d(void **state)
{
    (void)state;
    dcl_context *ctx = dcl_test_context(NULL);
    cl_kernel k = kernel(ctx, "conv", NULL, "dcl_im2col1d");
    /* B, L, C, K, pad */
    static const unsigned shapes[][5] = {{1, 1, 8, 3, 1}, {3, 7, 37, 3, 1}, {2, 33, 8, 5, 2},
                                         {2, 7, 4, 1, 0}, {1, 7, 5, 3, 0},  {1, 4, 3, 7, 3}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        unsigned B = shapes[s][0], L = shapes[s][1], C = shapes[s][2], K = shapes[s][3], pad = shapes[s][4];
        size_t nx = (size_t)B * L * C, nc = nx * K;
        uint32_t seed = 700 + (uint32_t)s;
        float *x = rnd(nx, &seed, 1, 0), *got = malloc(nc * sizeof *got);
        cl_mem bx = upload(ctx, x, nx * 4), bc = upload(ctx, NULL, nc * 4);
        SET_ARGS(k, U(B), U(L), U(C), U(K), U(pad), M(bx), M(bc));
        size_t gl[2] = {(size_t)C * K, (size_t)B * L}, lo[2] = {16, 4};
        launch(ctx, k, 2, gl, lo);
        download(ctx, bc, got, nc * 4);
        for (unsigned b = 0; b < B; b++)
            for (unsigned i = 0; i < L; i++)
                for (unsigned c = 0; c < C; c++)
                    for (unsigned kk = 0; kk < K; kk++) {
                        int src = (int)i + (int)kk - (int)pad;
                        float want = (src >= 0 && src < (int)L) ? x[((size_t)b * L + (unsigned)src) * C + c] : 0.0f;
                        if (got[((size_t)b * L + i) * C * K + c * K + kk] != want)
                            fail_msg("im2col1d shape %zu: b%u i%u c%u k%u", s, b, i, c, kk);
                    }
        clReleaseMemObject(bx), clReleaseMemObject(bc);
        free(x), free(got);
    }
    clReleaseKernel(k);
    dcl_context_free(ctx);
}

static void test_conv1d_grouped(void **state)
{
    (void)state;
    dcl_context *ctx = dcl_test_context(NULL);
    cl_kernel k = kernel(ctx, "conv", NULL, "dcl_conv1d_grouped");
    /* B, L, C, K, pad, groups */
    static const unsigned shapes[][6] = {{1, 1, 8, 3, 1, 2}, {3, 7, 8, 3, 1, 4},  {2, 33, 64, 3, 1, 4},
                                         {1, 7, 6, 5, 2, 3}, {2, 7, 12, 3, 1, 1}, {1, 5, 9, 3, 0, 9}};
    double worst = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        unsigned B = shapes[s][0], L = shapes[s][1], C = shapes[s][2], K = shapes[s][3], pad = shapes[s][4];
        unsigned G = shapes[s][5], Cg = C / G;
        size_t nx = (size_t)B * L * C, nw = (size_t)C * Cg * K;
        uint32_t seed = 800 + (uint32_t)s;
        float *x = rnd(nx, &seed, 1, 0), *w = rnd(nw, &seed, 1, 0), *bias = rnd(C, &seed, 1, 0);
        float *got = malloc(nx * sizeof *got);
        double *ref = dalloc(nx);
        cl_mem bx = upload(ctx, x, nx * 4), bw = upload(ctx, w, nw * 4), bb = upload(ctx, bias, C * 4);
        cl_mem bo = upload(ctx, NULL, nx * 4);
        SET_ARGS(k, U(B), U(L), U(C), U(K), U(pad), U(G), M(bx), M(bw), M(bb), M(bo));
        size_t gl[2] = {C, (size_t)B * L}, lo[2] = {16, 4};
        launch(ctx, k, 2, gl, lo);
        download(ctx, bo, got, nx * 4);
        for (unsigned b = 0; b < B; b++)
            for (unsigned i = 0; i < L; i++)
                for (unsigned o = 0; o < C; o++) {
                    double acc = bias[o], mag = fabs(bias[o]);
                    unsigned g = o / Cg;
                    for (unsigned c = 0; c < Cg; c++)
                        for (unsigned kk = 0; kk < K; kk++) {
                            int src = (int)i + (int)kk - (int)pad;
                            if (src < 0 || src >= (int)L)
                                continue;
                            double t = (double)w[((size_t)o * Cg + c) * K + kk] *
                                       x[((size_t)b * L + (unsigned)src) * C + g * Cg + c];
                            acc += t;
                            mag += fabs(t);
                        }
                    size_t idx = ((size_t)b * L + i) * C + o;
                    ref[idx] = acc;
                    double err = fabs(got[idx] - acc), lim = 2e-6 * mag + 1e-6;
                    if (!isfinite(got[idx]) || err > lim)
                        fail_msg("conv1d_grouped shape %zu [%zu] = %.9g, want %.9g", s, idx, (double)got[idx], acc);
                    worst = err / lim > worst ? err / lim : worst;
                }
        clReleaseMemObject(bx), clReleaseMemObject(bw), clReleaseMemObject(bb), clReleaseMemObject(bo);
        free(x), free(w), free(bias), free(got), free(ref);
    }
    print_message("conv1d_grouped: worst error/tolerance %.3f\n", worst);
    clReleaseKernel(k);
    dcl_context_free(ctx);
}

int main(void)
{
    dcl_test_require_device();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_embed_gather),
        cmocka_unit_test(test_layernorm),
        cmocka_unit_test(test_bias_act),
        cmocka_unit_test(test_split_merge_heads),
        cmocka_unit_test(test_disentangled_softmax),
        cmocka_unit_test(test_softmax_rows),
        cmocka_unit_test(test_im2col1d),
        cmocka_unit_test(test_conv1d_grouped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
