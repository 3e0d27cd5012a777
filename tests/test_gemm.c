/* SPDX-License-Identifier: Apache-2.0 */
/* host/gemm: every dense product (the project's CPU kernels and CLBlast) against a double
 * reference, on ragged shapes, batches, offsets, alpha and beta. */
#include <math.h>
#include <string.h>

#include "context.h"
#include "force_route.h"
#include "gemm.h"
#include "ops.h"
#include "program.h"
#include "tuning_state.h"
#include "test_common.h"

static dcl_context *ctx;

typedef struct shape {
    int ta, tb;
    size_t m, n, k, batch;
    float alpha, beta;
    size_t a_off, b_off, c_off, pad; /* pad: extra leading-dimension slack */
} shape;

static void check(const shape *s)
{
    const size_t batch = s->batch ? s->batch : 1;
    const size_t ar = s->ta ? s->k : s->m, ac = s->ta ? s->m : s->k;  /* stored A: ar x ac */
    const size_t br = s->tb ? s->n : s->k, bc = s->tb ? s->k : s->n;  /* stored B: br x bc */
    const size_t lda = ac + s->pad, ldb = bc + s->pad, ldc = s->n + s->pad;
    const size_t as = ar * lda, bs = br * ldb, cs = s->m * ldc;
    const size_t na = s->a_off + batch * as, nb = s->b_off + batch * bs, nc = s->c_off + batch * cs;
    float *a = malloc(na * 4), *b = malloc(nb * 4), *c = malloc(nc * 4), *out = malloc(nc * 4);
    uint32_t seed = (uint32_t)(s->m * 131 + s->n * 31 + s->k);
    for (size_t i = 0; i < na; i++)
        a[i] = dcl_test_rand(&seed);
    for (size_t i = 0; i < nb; i++)
        b[i] = dcl_test_rand(&seed);
    for (size_t i = 0; i < nc; i++)
        c[i] = s->beta == 0.0f ? NAN : dcl_test_rand(&seed); /* beta 0 must not read C */
    cl_mem ba, bb, bcm;
    assert_int_equal(dcl_buffer_create(ctx, na * 4, a, &ba), DCL_OK);
    assert_int_equal(dcl_buffer_create(ctx, nb * 4, b, &bb), DCL_OK);
    assert_int_equal(dcl_buffer_create(ctx, nc * 4, c, &bcm), DCL_OK);
    dcl_gemm_args g = {0};
    g.trans_a = s->ta;
    g.trans_b = s->tb;
    g.m = s->m;
    g.n = s->n;
    g.k = s->k;
    g.alpha = s->alpha;
    g.beta = s->beta;
    g.a = ba;
    g.a_off = s->a_off;
    g.lda = lda;
    g.a_stride = as;
    g.b = bb;
    g.b_off = s->b_off;
    g.ldb = ldb;
    g.b_stride = bs;
    g.c = bcm;
    g.c_off = s->c_off;
    g.ldc = ldc;
    g.c_stride = cs;
    g.batch = s->batch;
    dcl_status st = dcl_gemm(ctx, &g, NULL);
    if (st != DCL_OK)
        fail_msg("%s", dcl_last_error());
    assert_int_equal(dcl_buffer_read(ctx, bcm, 0, nc * 4, out), DCL_OK);
    for (size_t z = 0; z < batch; z++)
        for (size_t i = 0; i < s->m; i++)
            for (size_t j = 0; j < s->n; j++) {
                double acc = 0, mag = 0;
                for (size_t p = 0; p < s->k; p++) {
                    double x = a[s->a_off + z * as + (s->ta ? p * lda + i : i * lda + p)];
                    double y = b[s->b_off + z * bs + (s->tb ? j * ldb + p : p * ldb + j)];
                    acc += x * y;
                    mag += fabs(x * y);
                }
                size_t ci = s->c_off + z * cs + i * ldc + j;
                double want = s->alpha * acc + (s->beta != 0.0f ? s->beta * c[ci] : 0.0);
                double tol = 1e-6 * (fabs(s->alpha) * mag + fabs(s->beta)) + 1e-6;
                if (!(fabs(out[ci] - want) <= tol))
                    fail_msg("%c%c %zux%zux%zu batch %zu: C[%zu][%zu][%zu] = %.9g, want %.9g", s->ta ? 'T' : 'N',
                             s->tb ? 'T' : 'N', s->m, s->n, s->k, batch, z, i, j, out[ci], want);
            }
    /* padding between rows and around the offsets is left alone */
    for (size_t i = 0; i < s->c_off; i++)
        assert_true(memcmp(&out[i], &c[i], 4) == 0);
    for (size_t z = 0; z < batch; z++)
        for (size_t i = 0; i < s->m; i++)
            for (size_t j = s->n; j < ldc; j++) {
                size_t ci = s->c_off + z * cs + i * ldc + j;
                assert_true(memcmp(&out[ci], &c[ci], 4) == 0);
            }
    clReleaseMemObject(ba);
    clReleaseMemObject(bb);
    clReleaseMemObject(bcm);
    free(a);
    free(b);
    free(c);
    free(out);
}

static void test_nt_shapes(void **state)
{
    (void)state;
    /* the torch Linear layout and Q K^T: B stored [N, K] */
    const size_t dims[][3] = {{1, 1, 1}, {4, 3, 8}, {5, 7, 9}, {13, 50, 37}, {33, 100, 64}, {7, 49, 130}, {64, 96, 17}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        shape s = {0, 1, dims[i][0], dims[i][1], dims[i][2], 0, 1.0f, 0.0f, 0, 0, 0, 0};
        check(&s);
        s.alpha = 0.37f;
        s.beta = -1.5f;
        s.a_off = 3;
        s.b_off = 5;
        s.c_off = 7;
        s.pad = 2;
        s.batch = 3;
        check(&s);
    }
}

static void test_nn_shapes(void **state)
{
    (void)state;
    /* P V: B stored [K, N] */
    const size_t dims[][3] = {{1, 1, 1}, {6, 16, 6}, {7, 17, 5}, {13, 64, 13}, {37, 33, 80}, {12, 100, 3}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        shape s = {0, 0, dims[i][0], dims[i][1], dims[i][2], 0, 1.0f, 0.0f, 0, 0, 0, 0};
        check(&s);
        s.alpha = -2.0f;
        s.beta = 0.5f;
        s.a_off = 1;
        s.b_off = 2;
        s.c_off = 4;
        s.pad = 3;
        s.batch = 4;
        check(&s);
    }
}

static void test_transposed_a(void **state)
{
    (void)state;
    /* op(A) = A^T takes the CLBlast path on every device */
    shape s = {1, 1, 9, 11, 13, 0, 1.0f, 0.0f, 0, 0, 0, 0};
    check(&s);
    shape t = {1, 0, 20, 7, 5, 2, 0.5f, 1.0f, 2, 3, 4, 1};
    check(&t);
}

static void test_packed_shapes(unsigned acts);

/* the epilogue activations in double (the codes of config.h) */
static double act_ref(double v, int act)
{
    switch (act) {
    case 1: return 0.5 * v * (1.0 + erf(v / sqrt(2.0)));
    case 2: return 0.5 * v * (1.0 + tanh(sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
    case 3: return v > 0 ? v : 0;
    default: return v;
    }
}

/* Packed weights (dcl_gemm_pack) through dcl_gemm: C = act(alpha X W^T + beta C + bias) over
 * columns n0 .. n0+n-1 of each packed W_z [nw, k], batched. */
static void check_packed(size_t m, size_t n, size_t k, size_t nw, size_t n0, size_t batch, float alpha, float beta,
                         int use_bias, int act, dcl_gemm_kernels *kernels)
{
    const size_t bz = batch ? batch : 1, ldw = k + 3, ldc = n + 2, lda = k + 1;
    const size_t na = bz * m * lda, nwf = bz * nw * ldw + 5, nc = bz * m * ldc;
    float *a = malloc(na * 4), *w = malloc(nwf * 4), *c = malloc(nc * 4), *out = malloc(nc * 4);
    float *bias = malloc((n + 1) * 4);
    uint32_t seed = (uint32_t)(m * 7 + n * 131 + k + (size_t)act);
    for (size_t i = 0; i < na; i++)
        a[i] = dcl_test_rand(&seed);
    for (size_t i = 0; i < nwf; i++)
        w[i] = dcl_test_rand(&seed);
    for (size_t i = 0; i < nc; i++)
        c[i] = beta == 0.0f ? NAN : dcl_test_rand(&seed);
    for (size_t i = 0; i <= n; i++)
        bias[i] = dcl_test_rand(&seed);
    cl_mem ba, bw, bc, bb, packed;
    assert_int_equal(dcl_buffer_create(ctx, na * 4, a, &ba), DCL_OK);
    assert_int_equal(dcl_buffer_create(ctx, nwf * 4, w, &bw), DCL_OK);
    assert_int_equal(dcl_buffer_create(ctx, nc * 4, c, &bc), DCL_OK);
    assert_int_equal(dcl_buffer_create(ctx, (n + 1) * 4, bias, &bb), DCL_OK);
    /* W_z at w + 5 + z * nw * ldw */
    if (dcl_gemm_pack(ctx, nw, k, bw, 5, ldw, bz, nw * ldw, &packed) != DCL_OK)
        fail_msg("%s", dcl_last_error());
    dcl_gemm_args g = {0};
    g.trans_b = 1;
    g.b_packed = 1;
    g.m = m;
    g.n = n;
    g.k = k;
    g.alpha = alpha;
    g.beta = beta;
    g.a = ba;
    g.lda = lda;
    g.a_stride = m * lda;
    g.b = packed;
    g.b_off = n0;
    g.b_stride = dcl_gemm_packed_floats(ctx, nw, k);
    g.c = bc;
    g.ldc = ldc;
    g.c_stride = m * ldc;
    g.batch = batch;
    g.bias = use_bias ? bb : NULL;
    g.act = act;
    g.kernels = kernels;
    if (dcl_gemm(ctx, &g, NULL) != DCL_OK)
        fail_msg("%s", dcl_last_error());
    assert_int_equal(dcl_buffer_read(ctx, bc, 0, nc * 4, out), DCL_OK);
    for (size_t z = 0; z < bz; z++)
        for (size_t i = 0; i < m; i++) {
            for (size_t j = 0; j < n; j++) {
                double acc = 0, mag = 0;
                for (size_t p = 0; p < k; p++) {
                    double x = a[z * m * lda + i * lda + p], y = w[5 + z * nw * ldw + (n0 + j) * ldw + p];
                    acc += x * y;
                    mag += fabs(x * y);
                }
                size_t ci = z * m * ldc + i * ldc + j;
                double v = alpha * acc + (beta != 0.0f ? beta * c[ci] : 0.0) + (use_bias ? bias[j] : 0.0);
                double want = act_ref(v, act);
                /* the sum's rounding (as the other GEMMs), passed through an activation of slope
                 * <= 1.13, plus the activation's own float error */
                double tol = 1.2e-6 * (fabs(alpha) * mag + fabs(beta) + 1.0) + 1e-6 * fabs(v);
                if (!(fabs(out[ci] - want) <= tol))
                    fail_msg("packed %zux%zux%zu n0 %zu batch %zu act %d: C[%zu][%zu][%zu] = %.9g, want %.9g", m, n, k,
                             n0, bz, act, z, i, j, out[ci], want);
            }
            for (size_t j = n; j < ldc; j++) /* row padding is left alone */
                assert_true(memcmp(&out[z * m * ldc + i * ldc + j], &c[z * m * ldc + i * ldc + j], 4) == 0);
        }
    clReleaseMemObject(ba);
    clReleaseMemObject(bw);
    clReleaseMemObject(bc);
    clReleaseMemObject(bb);
    clReleaseMemObject(packed);
    free(a);
    free(w);
    free(c);
    free(out);
    free(bias);
}

static void test_packed(void **state)
{
    (void)state;
    /* every vector width and panel shape of the kernel, whatever the device's tuning says */
    /* GEMM_PK_VW, MR, NV, the activations to test (bits; each one is a program build) */
    static const long shapes[][4] = {{-1, 6, 2, 0xf}, {8, 6, 2, 0x3}, {16, 6, 2, 0x3}, {8, 4, 4, 0x2}, {16, 12, 2, 0x2},
                                     {16, 8, 4, 0x2}}; /* -1: the width the context resolved */
    dcl_tuning_state *t = ctx->tuning;
    const long keep[3] = {t->value[DCL_T_GEMM_PK_VW], t->value[DCL_T_GEMM_PK_MR], t->value[DCL_T_GEMM_PK_NV]};
    for (size_t v = 0; v < sizeof shapes / sizeof shapes[0]; v++) {
        t->value[DCL_T_GEMM_PK_VW] = shapes[v][0] < 0 ? keep[0] : shapes[v][0];
        t->value[DCL_T_GEMM_PK_MR] = shapes[v][1];
        t->value[DCL_T_GEMM_PK_NV] = shapes[v][2];
        print_message("packed: GEMM_PK_VW %ld MR %ld NV %ld\n", shapes[v][0], shapes[v][1], shapes[v][2]);
        dcl_program_release_all(ctx); /* the memory cache knows programs by their caller options only */
        test_packed_shapes((unsigned)shapes[v][3]);
    }
    dcl_program_release_all(ctx);
    t->value[DCL_T_GEMM_PK_VW] = keep[0];
    t->value[DCL_T_GEMM_PK_MR] = keep[1];
    t->value[DCL_T_GEMM_PK_NV] = keep[2];
}

static void test_packed_shapes(unsigned acts)
{
    dcl_gemm_kernels kernels = {0};
    /* m, n, k, packed rows, first column, batch */
    const size_t dims[][6] = {{1, 1, 1, 1, 0, 0},     {6, 16, 8, 16, 0, 0},  {7, 17, 5, 17, 0, 0},
                              {25, 48, 33, 48, 0, 0}, {13, 40, 64, 60, 9, 3}, {30, 5, 64, 37, 31, 2},
                              {5, 33, 7, 50, 16, 0},  {50, 3, 3, 3, 0, 4}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
        for (int act = 0; act < DCL_GEMM_ACTS; act++) {
            const size_t *d = dims[i];
            if (!(acts >> act & 1))
                continue;
            check_packed(d[0], d[1], d[2], d[3], d[4], d[5], 1.0f, 0.0f, act != 0, act, act & 1 ? &kernels : NULL);
            check_packed(d[0], d[1], d[2], d[3], d[4], d[5], 0.75f, -0.5f, 1, act, &kernels);
        }
    dcl_gemm_kernels_release(&kernels);
    assert_null(kernels.pk[1]);
}

int main(void)
{
    dcl_test_require_device();
    ctx = dcl_test_context(NULL);
    if (getenv("DCL_TEST_OWN_GEMM")) /* the CPU kernels on any device (the Oclgrind run, label oclgrind) */
        dcl_test_force_gemm_route(ctx, DCL_GEMM_ROUTE_OWN);
    printf("device %s: own CPU GEMM kernels %s\n", ctx->info.name, ctx->gemm_own ? "on" : "off (CLBlast)");
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_nt_shapes), cmocka_unit_test(test_nn_shapes),
                                       cmocka_unit_test(test_transposed_a), cmocka_unit_test(test_packed)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    dcl_context_free(ctx);
    return rc;
}
