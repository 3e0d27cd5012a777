/* SPDX-License-Identifier: Apache-2.0 */
/* The fused disentangled attention kernel (cl/fused_attention.cl) against a plain C reference
 * (materialised scores, softmax and P V in double): padded layouts with masked keys and fully
 * masked query rows, packed layouts with ragged sequence lengths (1 token up to several key
 * tiles), c2p and p2c on and off, head sizes 8, 24 and 64, several work-group shapes. The output
 * buffer has a guard zone behind it that must come back untouched.
 * Tolerance: |got - ref| <= 2e-5 (values of order 1).
 * Run with --bench to time the kernel at B = 8, L = 128, 12 heads of 64 (printed, never asserted). */
#include <float.h>
#include <sys/resource.h>
#include <math.h>
#include <string.h>

#include "attention.h"
#include "context.h"
#include "gemm.h"
#include "ops.h"
#include "program.h"
#include "test_common.h"

#define GUARD 64
static const float CANARY = 1234.5f;
static dcl_context *ctx;

/* CPU seconds of this process (all threads): on a shared machine a steadier figure than wall time. */
static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec + 1e-6 * (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static float frand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(*s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

static cl_mem upload(const void *data, size_t bytes)
{
    size_t total = bytes + GUARD * sizeof(float);
    unsigned char *tmp = calloc(1, total);
    assert_non_null(tmp);
    if (data && bytes)
        memcpy(tmp, data, bytes);
    for (int i = 0; i < GUARD; i++)
        memcpy(tmp + bytes + i * sizeof(float), &CANARY, sizeof CANARY);
    cl_int err;
    cl_mem m = clCreateBuffer(ctx->cl_ctx, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, total, tmp, &err);
    assert_int_equal(err, CL_SUCCESS);
    free(tmp);
    return m;
}

static void download(cl_mem m, void *dst, size_t bytes)
{
    float g[GUARD];
    assert_int_equal(clEnqueueReadBuffer(ctx->queue, m, CL_TRUE, 0, bytes, dst, 0, NULL, NULL), CL_SUCCESS);
    assert_int_equal(clEnqueueReadBuffer(ctx->queue, m, CL_TRUE, bytes, sizeof g, g, 0, NULL, NULL), CL_SUCCESS);
    for (int i = 0; i < GUARD; i++)
        if (g[i] != CANARY)
            fail_msg("guard zone overwritten at +%d: %g", i, (double)g[i]);
}

/* One problem: B sequences (padded B x L when off == NULL, else packed), NH heads of D. */
typedef struct problem {
    unsigned B, L, NH, D, NSR, T, Lmax;
    const int32_t *off;
    int use_c2p, use_p2c, use_mask;
    int lin_slots; /* slot = delta + NSR / 2 (clamped) instead of delta / 2 + NSR / 2 */
    float *q, *k, *v, *c2p, *p2c, *mask;
    int32_t *slot;
    float inv_scale;
} problem;

static void make(problem *p, uint64_t seed)
{
    const size_t T = p->T;
    p->q = malloc((size_t)p->NH * T * p->D * sizeof(float));
    p->k = malloc((size_t)p->NH * T * p->D * sizeof(float));
    p->v = malloc((size_t)p->NH * T * p->D * sizeof(float));
    p->c2p = malloc((size_t)p->NH * T * p->NSR * sizeof(float));
    p->p2c = malloc((size_t)p->NH * T * p->NSR * sizeof(float));
    p->mask = malloc(T * sizeof(float));
    p->slot = malloc((2 * (size_t)p->Lmax - 1) * sizeof(int32_t));
    for (size_t i = 0; i < (size_t)p->NH * T * p->D; i++) {
        p->q[i] = 2.0f * frand(&seed);
        p->k[i] = 2.0f * frand(&seed);
        p->v[i] = frand(&seed);
    }
    for (size_t i = 0; i < (size_t)p->NH * T * p->NSR; i++) {
        p->c2p[i] = 4.0f * frand(&seed);
        p->p2c[i] = 4.0f * frand(&seed);
    }
    /* a monotonic delta -> slot map over [0, NSR), clamped at both ends like the log buckets;
     * lin_slots: one slot per delta in the middle, as the buckets' linear part */
    for (long d = -(long)p->Lmax + 1; d < (long)p->Lmax; d++) {
        long s = (p->lin_slots ? d : d / 2) + (long)p->NSR / 2;
        p->slot[d + p->Lmax - 1] = (int32_t)(s < 0 ? 0 : s >= (long)p->NSR ? (long)p->NSR - 1 : s);
    }
    /* padded: right padding on row 1, left padding on row 2, row 3 fully masked */
    for (size_t t = 0; t < T; t++)
        p->mask[t] = 1.0f;
    if (!p->off && p->use_mask)
        for (unsigned b = 0; b < p->B; b++)
            for (unsigned i = 0; i < p->L; i++) {
                float m = 1.0f;
                if (b % 4 == 1 && i >= p->L / 2)
                    m = 0.0f;
                if (b % 4 == 2 && i < p->L / 3)
                    m = 0.0f;
                if (b % 4 == 3)
                    m = 0.0f;
                p->mask[b * p->L + i] = m;
            }
    p->inv_scale = 1.0f / sqrtf((float)p->D * 3.0f);
}

static void unmake(problem *p)
{
    free(p->q);
    free(p->k);
    free(p->v);
    free(p->c2p);
    free(p->p2c);
    free(p->mask);
    free(p->slot);
}

/* The reference: out[T, NH*D]. */
static void reference(const problem *p, double *out)
{
    const unsigned D = p->D, A = p->NH * p->D;
    double *s = malloc(p->Lmax * sizeof *s);
    for (unsigned b = 0; b < p->B; b++) {
        unsigned s0 = p->off ? (unsigned)p->off[b] : b * p->L;
        unsigned n = p->off ? (unsigned)(p->off[b + 1] - p->off[b]) : p->L;
        for (unsigned h = 0; h < p->NH; h++)
            for (unsigned i = 0; i < n; i++) {
                const size_t t = s0 + i;
                double mx = -DBL_MAX;
                for (unsigned j = 0; j < n; j++) {
                    const size_t u = s0 + j;
                    /* transformers: masked_fill(finfo.min), so a fully masked row is uniform */
                    if (p->use_mask && (p->mask[t] == 0.0f || p->mask[u] == 0.0f)) {
                        s[j] = -FLT_MAX;
                    } else {
                        double dot = 0;
                        for (unsigned e = 0; e < D; e++)
                            dot += (double)p->q[((size_t)h * p->T + t) * D + e] * p->k[((size_t)h * p->T + u) * D + e];
                        int k = p->slot[p->Lmax - 1 + i - j];
                        if (p->use_c2p)
                            dot += p->c2p[((size_t)h * p->T + t) * p->NSR + (size_t)k];
                        if (p->use_p2c)
                            dot += p->p2c[((size_t)h * p->T + u) * p->NSR + (size_t)k];
                        s[j] = dot * p->inv_scale;
                    }
                    mx = s[j] > mx ? s[j] : mx;
                }
                double sum = 0;
                for (unsigned j = 0; j < n; j++)
                    sum += (s[j] = exp(s[j] - mx));
                for (unsigned e = 0; e < D; e++) {
                    double acc = 0;
                    for (unsigned j = 0; j < n; j++)
                        acc += s[j] / sum * p->v[((size_t)h * p->T + s0 + j) * D + e];
                    out[t * A + h * D + e] = acc;
                }
            }
    }
    free(s);
}

/* A kernel shape: queries per group (rb: per work-item), keys per tile, local staging, vector
 * width, the register-blocked CPU kernel and its keys per vector (tq 0: the device default). */
typedef struct shape {
    unsigned tq, tk, local, vw, rb, kw;
} shape;

/* Runs the kernel built with work-group shape sh; returns the worst difference. */
static double run(const problem *p, shape sh, double *seconds, double *cpu, int reps)
{
    dcl_attn a;
    if (sh.tq) { /* another shape than the device default */
        dcl_attn want;
        memset(&want, 0, sizeof want);
        want.tq = sh.tq;
        want.tk = sh.tk;
        want.local = sh.local;
        want.vw = sh.vw;
        want.rb = sh.rb;
        want.kw = sh.kw;
        assert_int_equal(dcl_attn_init_shape(ctx, p->D, p->NH, p->T, &want, &a), DCL_OK);
        assert_int_equal(a.rb, sh.rb);
    } else {
        assert_int_equal(dcl_attn_init(ctx, p->D, p->NH, p->T, &a), DCL_OK);
    }
    const size_t T = p->T, A = (size_t)p->NH * p->D, D = p->D, NH = p->NH, n = NH * T * D;
    cl_mem q = upload(p->q, n * sizeof(float));
    cl_mem k = upload(p->k, n * sizeof(float));
    cl_mem v = upload(p->v, n * sizeof(float));
    cl_mem c2p = upload(p->c2p, (size_t)p->NH * T * p->NSR * sizeof(float));
    cl_mem p2c = upload(p->p2c, (size_t)p->NH * T * p->NSR * sizeof(float));
    cl_mem slot = upload(p->slot, (2 * (size_t)p->Lmax - 1) * sizeof(int32_t));
    cl_mem mask = upload(p->mask, T * sizeof(float));
    cl_mem out = upload(NULL, T * A * sizeof(float));
    /* FA_RB: q, k, v come from a [T, 3A] projection through dcl_attn_split, with biases; KW 8
     * shapes take the v1 in_proj layout (per head [q | k | v], no key bias). The reference then
     * runs on value + bias, and the split's q, k, v are checked against it exactly. */
    problem pr = *p;
    float *bias = NULL, *qkvb[3] = {NULL, NULL, NULL};
    cl_mem src = NULL, bq = NULL, bk = NULL, bv = NULL;
    dcl_attn_qkv in;
    memset(&in, 0, sizeof in);
    if (a.rb) {
        const int v1 = a.kw == 8;
        float *h_src = malloc(T * 3 * A * sizeof(float));
        bias = malloc(3 * A * sizeof(float));
        assert_non_null(h_src);
        assert_non_null(bias);
        uint64_t sd = 77;
        for (size_t i = 0; i < 3 * A; i++)
            bias[i] = (v1 && i >= A && i < 2 * A) ? 0.0f : frand(&sd) * 0.5f;
        const float *vals[3] = {p->q, p->k, p->v};
        for (int w = 0; w < 3; w++) {
            qkvb[w] = malloc(n * sizeof(float));
            assert_non_null(qkvb[w]);
            for (size_t h = 0; h < NH; h++)
                for (size_t t = 0; t < T; t++)
                    for (size_t e = 0; e < D; e++) {
                        const size_t col = v1 ? h * 3 * D + w * D + e : w * A + h * D + e;
                        const float x = vals[w][(h * T + t) * D + e];
                        h_src[t * 3 * A + col] = x;
                        qkvb[w][(h * T + t) * D + e] = x + bias[w * A + h * D + e];
                    }
        }
        src = upload(h_src, T * 3 * A * sizeof(float));
        bq = upload(bias, A * sizeof(float));
        bk = v1 ? NULL : upload(bias + A, A * sizeof(float));
        bv = upload(bias + 2 * A, A * sizeof(float));
        free(h_src);
        in.src = src;
        in.bq = bq;
        in.bk = bk;
        in.bv = bv;
        in.stride = (unsigned)(3 * A);
        in.head_stride = (unsigned)(v1 ? 3 * D : D);
        in.q_off = 0;
        in.k_off = (unsigned)(v1 ? D : A);
        in.v_off = (unsigned)(v1 ? 2 * D : 2 * A);
        pr.q = qkvb[0];
        pr.k = qkvb[1];
        pr.v = qkvb[2];
    }
    assert_int_equal(dcl_attn_layout(&a, p->B, p->L, p->off), DCL_OK);
    assert_int_equal(a.max_len, p->Lmax);
    double t0 = 0, c0 = 0;
    for (int r = 0; r <= reps; r++) {
        if (r == 1) {
            clFinish(ctx->queue);
            t0 = dcl_now();
            c0 = cpu_now();
        }
        if (a.rb)
            assert_int_equal(dcl_attn_split(&a, p->T, p->NH, &in, q, k, v), DCL_OK);
        assert_int_equal(dcl_attn_fused(&a, p->T, p->NH, (unsigned)A, q, k, v, p->use_c2p ? c2p : NULL,
                                        p->use_p2c ? p2c : NULL, slot, p->NSR, p->use_mask ? mask : NULL,
                                        p->inv_scale, out),
                         DCL_OK);
    }
    clFinish(ctx->queue);
    if (seconds)
        *seconds = reps ? (dcl_now() - t0) / reps : 0;
    if (cpu)
        *cpu = reps ? (cpu_now() - c0) / reps : 0;
    if (a.rb) {
        float *got = malloc(n * sizeof(float));
        cl_mem bufs[3] = {q, k, v};
        for (int w = 0; w < 3; w++) {
            download(bufs[w], got, n * sizeof(float));
            if (memcmp(got, qkvb[w], n * sizeof(float)))
                fail_msg("dcl_fa_split: %s differs from the projection plus bias", w == 0 ? "q" : w == 1 ? "k" : "v");
        }
        free(got);
    }
    float *got = malloc(T * A * sizeof(float));
    double *want = malloc(T * A * sizeof(double));
    download(out, got, T * A * sizeof(float));
    reference(&pr, want);
    double worst = 0;
    for (size_t i = 0; i < T * A; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (!(d <= worst))
            worst = isnan(d) ? INFINITY : d;
    }
    cl_mem extra[] = {src, bq, bk, bv};
    for (size_t i = 0; i < sizeof extra / sizeof extra[0]; i++)
        if (extra[i])
            clReleaseMemObject(extra[i]);
    for (int w = 0; w < 3; w++)
        free(qkvb[w]);
    free(bias);
    cl_mem all[] = {q, k, v, c2p, p2c, slot, mask, out};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        clReleaseMemObject(all[i]);
    free(got);
    free(want);
    dcl_attn_release(&a);
    return worst;
}

static void check(problem *p, const char *what, uint64_t seed)
{
    make(p, seed);
    const shape shapes[] = {{0, 0, 0, 0, 0, 0},  {1, 1, 1, 1, 0, 0},  {4, 8, 1, 4, 0, 0},   {16, 32, 1, 8, 0, 0},
                            {64, 16, 1, 1, 0, 0}, {8, 32, 0, 8, 0, 0}, {16, 16, 0, 4, 0, 0}, {3, 5, 0, 1, 0, 0},
                            {8, 1, 0, 1, 1, 16},  {8, 1, 0, 1, 1, 8},  {1, 1, 0, 1, 1, 8},   {5, 1, 0, 1, 1, 8},
                            {32, 1, 0, 1, 1, 16}, {16, 1, 0, 1, 1, 16}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const shape sh = shapes[s];
        if ((sh.vw && p->D % sh.vw) || (sh.rb && p->D % sh.kw))
            continue;
        double worst = run(p, sh, NULL, NULL, 0);
        printf("  %-26s D=%-2u c2p=%d p2c=%d mask=%d TQ=%-2u TK=%-2u local=%u VW=%-2u RB=%u KW=%-2u: %.2e\n", what,
               p->D, p->use_c2p, p->use_p2c, p->use_mask, sh.tq, sh.tk, sh.local, sh.vw, sh.rb, sh.kw, worst);
        if (!(worst <= 2e-5))
            fail_msg("%s (TQ %u, TK %u, local %u, VW %u, RB %u, KW %u): %.3e exceeds 2e-5", what, sh.tq, sh.tk,
                     sh.local, sh.vw, sh.rb, sh.kw, worst);
    }
    unmake(p);
}

static void test_padded(void **state)
{
    (void)state;
    problem p = {0};
    p.B = 4;
    p.L = 37;
    p.Lmax = 37;
    p.T = p.B * p.L;
    p.NH = 3;
    p.NSR = 20;
    p.use_mask = 1;
    const unsigned Ds[] = {8, 24, 64};
    for (size_t d = 0; d < 3; d++) {
        p.D = Ds[d];
        for (int f = 0; f < 4; f++) {
            p.use_c2p = f & 1;
            p.use_p2c = (f >> 1) & 1;
            p.lin_slots = 0;
            check(&p, "padded 4 x 37, masks", 100 + d * 4 + (uint64_t)f);
            p.lin_slots = 1;
            check(&p, "padded 4 x 37, linear slots", 150 + d * 4 + (uint64_t)f);
        }
    }
    /* no mask at all, a length of several key tiles */
    p.B = 2;
    p.L = 70;
    p.Lmax = 70;
    p.T = 140;
    p.D = 64;
    p.use_mask = 0;
    p.use_c2p = p.use_p2c = 1;
    p.lin_slots = 0;
    check(&p, "padded 2 x 70, no mask", 7);
    /* every delta its own slot (all blocks take the FA_RB kernel's vector path for c2p) */
    p.NSR = 2 * 70 - 1;
    p.lin_slots = 1;
    check(&p, "padded 2 x 70, linear", 8);
}

static void test_packed(void **state)
{
    (void)state;
    const int32_t off[] = {0, 1, 6, 23, 56, 120, 220, 221};
    problem p = {0};
    p.B = 7;
    p.off = off;
    p.T = 221;
    p.Lmax = 100;
    p.NH = 2;
    p.NSR = 33;
    const unsigned Ds[] = {8, 64};
    for (size_t d = 0; d < 2; d++) {
        p.D = Ds[d];
        for (int f = 0; f < 4; f++) {
            p.use_c2p = f & 1;
            p.use_p2c = (f >> 1) & 1;
            p.lin_slots = 0;
            check(&p, "packed 1,5,17,33,64,100,1", 200 + d * 4 + (uint64_t)f);
            p.lin_slots = 1;
            check(&p, "packed, linear slots", 250 + d * 4 + (uint64_t)f);
        }
    }
}

/* cl/sequences.cl on a packed layout: embedding gather with per-sequence positions, im2col and
 * grouped convolution with zero padding at each sequence's ends, against C references (exact
 * for the gathers, 1e-5 for the convolution). */
static void test_sequence_kernels(void **state)
{
    (void)state;
    const int32_t off[] = {0, 1, 3, 10, 14};
    const unsigned B = 4, T = 14, C = 6, K = 3, pad = 1, groups = 2, V = 9, E = 5;
    uint64_t seed = 5;
    dcl_attn a;
    assert_int_equal(dcl_attn_init(ctx, 8, 1, T, &a), DCL_OK);
    assert_int_equal(dcl_attn_layout(&a, B, 0, off), DCL_OK);
    int32_t ids[14], types[14];
    float x[14 * 6], w[6 * 3 * 3], bias[6], word[9 * 5], pos[10 * 5], temb[2 * 5];
    for (unsigned t = 0; t < T; t++) {
        ids[t] = (int32_t)(t * 7 % V);
        types[t] = (int32_t)(t % 2);
    }
    float *all[] = {x, w, bias, word, pos, temb};
    size_t len[] = {T * C, C * (C / groups) * K, C, V * E, 10 * E, 2 * E};
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < len[i]; j++)
            all[i][j] = frand(&seed);
    cl_mem m_ids = upload(ids, sizeof ids), m_types = upload(types, sizeof types), m_x = upload(x, sizeof x);
    cl_mem m_w = upload(w, sizeof w), m_b = upload(bias, sizeof bias), m_word = upload(word, sizeof word);
    cl_mem m_pos = upload(pos, sizeof pos), m_temb = upload(temb, sizeof temb);
    cl_mem m_emb = upload(NULL, T * E * sizeof(float)), m_cols = upload(NULL, T * C * K * sizeof(float));
    cl_mem m_conv = upload(NULL, T * C * sizeof(float));
    assert_int_equal(dcl_attn_embed_gather(&a, T, E, m_ids, m_types, m_word, m_pos, m_temb, m_emb), DCL_OK);
    assert_int_equal(dcl_attn_im2col(&a, T, C, K, pad, m_x, m_cols), DCL_OK);
    assert_int_equal(dcl_attn_conv_grouped(&a, T, C, K, pad, groups, m_x, m_w, m_b, m_conv), DCL_OK);
    float emb[14 * 5], cols[14 * 6 * 3], conv[14 * 6];
    download(m_emb, emb, sizeof emb);
    download(m_cols, cols, sizeof cols);
    download(m_conv, conv, sizeof conv);
    double worst = 0;
    for (unsigned b = 0; b < B; b++)
        for (unsigned t = (unsigned)off[b]; t < (unsigned)off[b + 1]; t++) {
            const int i = (int)(t - (unsigned)off[b]), n = off[b + 1] - off[b];
            for (unsigned e = 0; e < E; e++)
                assert_true(emb[t * E + e] == word[ids[t] * E + e] + pos[i * (int)E + (int)e] + temb[types[t] * E + e]);
            for (unsigned c = 0; c < C; c++)
                for (unsigned k = 0; k < K; k++) {
                    int src = i + (int)k - (int)pad;
                    float want = src >= 0 && src < n ? x[((unsigned)off[b] + (unsigned)src) * C + c] : 0.0f;
                    assert_true(cols[(t * C + c) * K + k] == want);
                }
            const unsigned Cg = C / groups;
            for (unsigned o = 0; o < C; o++) {
                double acc = bias[o];
                for (unsigned c = 0; c < Cg; c++)
                    for (unsigned k = 0; k < K; k++) {
                        int src = i + (int)k - (int)pad;
                        if (src >= 0 && src < n)
                            acc += (double)w[(o * Cg + c) * K + k] * x[((unsigned)off[b] + (unsigned)src) * C + (o / Cg) * Cg + c];
                    }
                double d = fabs(acc - conv[t * C + o]);
                worst = d > worst ? d : worst;
            }
        }
    printf("  sequence kernels: embedding and im2col exact, grouped conv %.2e\n", worst);
    assert_true(worst <= 1e-5);
    cl_mem ms[] = {m_ids, m_types, m_x, m_w, m_b, m_word, m_pos, m_temb, m_emb, m_cols, m_conv};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
        clReleaseMemObject(ms[i]);
    dcl_attn_release(&a);
}

static int setup(void **state)
{
    (void)state;
    ctx = dcl_test_context(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dcl_context_free(ctx);
    return 0;
}

/* Kernel time at B = 8, L = 128, 12 heads of 64, both terms, for the device default shape. */
static int bench(void)
{
    ctx = dcl_test_context(NULL);
    problem p = {0};
    p.B = 8;
    p.L = p.Lmax = 128;
    p.T = 1024;
    p.NH = 12;
    p.D = 64;
    p.NSR = 255;
    p.use_c2p = p.use_p2c = getenv("NOREL") ? 0 : 1;
    p.lin_slots = 1; /* L = 128 with 256 buckets: every delta its own slot */
    make(&p, 1);
    const shape shapes[] = {{0, 0, 0, 0, 0, 0},     {16, 32, 1, 1, 0, 0}, {16, 32, 1, 8, 0, 0}, {16, 32, 0, 8, 0, 0},
                            {8, 64, 0, 8, 0, 0},     {32, 64, 0, 16, 0, 0}, {64, 32, 0, 8, 0, 0}, {4, 128, 0, 8, 0, 0},
                            {1, 128, 0, 16, 0, 0},   {4, 1, 0, 1, 1, 16},  {8, 1, 0, 1, 1, 16},  {8, 1, 0, 1, 1, 8},
                            {16, 1, 0, 1, 1, 16}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        double sec = 0, cpu = 0;
        double worst = run(&p, shapes[i], &sec, &cpu, 10);
        printf("fused attention B=8 L=128 NH=12 D=64 (TQ %u, TK %u, local %u, VW %u, RB %u, KW %u; 0: default): "
               "%.3f ms per call, %.3f CPU ms (max diff %.1e)\n", shapes[i].tq, shapes[i].tk, shapes[i].local,
               shapes[i].vw, shapes[i].rb, shapes[i].kw, sec * 1e3, cpu * 1e3, worst);
    }
    /* the materialised path on the same data: Q K^T, the score kernel, P V, head merge */
    {
        const size_t T = p.T, A = 768, NH = 12, L = 128, B = 8, D = 64;
        cl_mem q = upload(p.q, NH * T * D * sizeof(float)), k = upload(p.k, NH * T * D * sizeof(float));
        cl_mem v = upload(p.v, NH * T * D * sizeof(float)), c2p = upload(p.c2p, NH * T * p.NSR * sizeof(float));
        cl_mem p2c = upload(p.p2c, NH * T * p.NSR * sizeof(float)), slot = upload(p.slot, (2 * L - 1) * 4);
        cl_mem mask = upload(p.mask, T * sizeof(float)), sc = upload(NULL, NH * B * L * L * sizeof(float));
        cl_mem ctxh = upload(NULL, T * A * sizeof(float)), out = upload(NULL, T * A * sizeof(float));
        dcl_ops ops;
        assert_int_equal(dcl_ops_init(ctx, &ops), DCL_OK);
        double t0 = 0, c0 = 0;
        for (int r = 0; r <= 10; r++) {
            if (r == 1) {
                clFinish(ctx->queue);
                t0 = dcl_now();
                c0 = cpu_now();
            }
            dcl_gemm_args g = {0};
            g.trans_b = 1;
            g.m = L, g.n = L, g.k = D, g.alpha = 1.0f;
            g.a = q, g.lda = D, g.a_stride = L * D;
            g.b = k, g.ldb = D, g.b_stride = L * D;
            g.c = sc, g.ldc = L, g.c_stride = L * L, g.batch = NH * B;
            assert_int_equal(dcl_gemm(ctx, &g, NULL), DCL_OK);
            assert_int_equal(dcl_op_disentangled_softmax(&ops, B, L, NH, sc, c2p, p2c, slot, p.NSR, mask, p.inv_scale),
                             DCL_OK);
            dcl_gemm_args pv = {0};
            pv.m = L, pv.n = D, pv.k = L, pv.alpha = 1.0f;
            pv.a = sc, pv.lda = L, pv.a_stride = L * L;
            pv.b = v, pv.ldb = D, pv.b_stride = L * D;
            pv.c = ctxh, pv.ldc = D, pv.c_stride = L * D, pv.batch = NH * B;
            assert_int_equal(dcl_gemm(ctx, &pv, NULL), DCL_OK);
            assert_int_equal(dcl_op_merge_heads(&ops, B, L, NH, D, ctxh, out), DCL_OK);
        }
        clFinish(ctx->queue);
        printf("materialised attention B=8 L=128 NH=12 D=64: %.3f ms per call, %.3f CPU ms\n",
               (dcl_now() - t0) / 10 * 1e3, (cpu_now() - c0) / 10 * 1e3);
        dcl_ops_release(&ops);
        cl_mem all[] = {q, k, v, c2p, p2c, slot, mask, sc, ctxh, out};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            clReleaseMemObject(all[i]);
    }
    unmake(&p);
    dcl_context_free(ctx);
    return 0;
}

/* Small shapes for `oclgrind --data-races --check-api test_fused_attention --small`. */
static void test_small(void **state)
{
    (void)state;
    problem p = {0};
    p.B = 4;
    p.L = p.Lmax = 9;
    p.T = 36;
    p.NH = 2;
    p.D = 8;
    p.NSR = 6;
    p.use_mask = p.use_c2p = p.use_p2c = 1;
    check(&p, "padded 4 x 9, masks", 1);
    const int32_t off[] = {0, 1, 4, 14};
    problem q = {0};
    q.B = 3;
    q.off = off;
    q.T = 14;
    q.Lmax = 10;
    q.NH = 2;
    q.D = 8;
    q.NSR = 6;
    q.use_c2p = q.use_p2c = 1;
    check(&q, "packed 1,3,10", 2);
    /* every delta its own slot and two whole key blocks: the FA_RB vector paths (reversed c2p,
     * transposed p2c) at KW 8 and 16 */
    problem r = {0};
    r.B = 2;
    r.L = r.Lmax = 32;
    r.T = 64;
    r.NH = 2;
    r.D = 16;
    r.NSR = 2 * 32 - 1;
    r.lin_slots = 1;
    r.use_mask = r.use_c2p = r.use_p2c = 1;
    check(&r, "padded 2 x 32, linear", 3);
}

int main(int argc, char **argv)
{
    dcl_test_require_device();
    if (argc > 1 && !strcmp(argv[1], "--bench"))
        return bench();
    if (argc > 1 && !strcmp(argv[1], "--small")) {
        const struct CMUnitTest small[] = {cmocka_unit_test(test_small), cmocka_unit_test(test_sequence_kernels)};
        return cmocka_run_group_tests(small, setup, teardown);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_padded),
        cmocka_unit_test(test_packed),
        cmocka_unit_test(test_sequence_kernels),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
