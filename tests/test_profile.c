/* SPDX-License-Identifier: Apache-2.0 */
/* Profiling records on the tiny v3 fixture model (tests/data/reference/models/v3: 2 layers,
 * hidden 32, 4 heads of 8, FFN 37, c2p and p2c): names, classes, counts, GEMM shapes and FLOP
 * formulas, timestamps, clearing per forward; the profiled forward gives the unprofiled outputs;
 * the peak probe and its cache. */
#include <string.h>

#include "attention.h"
#include "encoder.h"
#include "fixtures.h"
#include "force_route.h"
#include "gemm.h"
#include "relpos.h"

enum { B = 2, L = 9, T = B * L, H = 32, NH = 4, D = 8, I = 37, NL = 2 };

static dcl_context *plain_ctx, *prof_ctx;
static dcl_model *plain_model, *prof_model;
/* 1 when the model's FFN GEMM applies bias + activation in its epilogue (packed weights on CPU
 * drivers): the layer then has no separate "ffn.act" operation */
static int act_fused;
static int32_t ids[T];

static dcl_context *context(int profiling, const char *cache)
{
    dcl_context_params p = dcl_context_default_params();
    p.device = getenv("DEBERTACL_DEVICE");
    p.cache_dir = cache ? cache : "off";
    p.profiling = profiling;
    dcl_context *ctx = NULL;
    dcl_status st = dcl_context_create(&p, &ctx);
    if (st != DCL_OK)
        fail_msg("dcl_context_create: %s", dcl_last_error());
    return ctx;
}

static int setup(void **state)
{
    (void)state;
    plain_ctx = context(0, NULL);
    prof_ctx = context(1, NULL);
    const char *dir = fx_path("models/v3");
    if (dcl_model_load(plain_ctx, dir, NULL, &plain_model) != DCL_OK ||
        dcl_model_load(prof_ctx, dir, NULL, &prof_model) != DCL_OK)
        fail_msg("loading %s: %s", dir, dcl_last_error());
    act_fused = prof_model->packed && dcl_gemm_fuses_act(prof_model->cfg.hidden_act);
    for (int t = 0; t < T; t++)
        ids[t] = 1 + (t * 37) % 120;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dcl_model_free(plain_model);
    dcl_model_free(prof_model);
    dcl_context_free(plain_ctx);
    dcl_context_free(prof_ctx);
    return 0;
}

static int materialized; /* sessions materialise the attention scores (the path with more operations) */

static dcl_session *session(dcl_model *m, int profile)
{
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = B;
    sp.max_length = L;
    sp.profile = profile;
    sp.materialized_attention = materialized;
    dcl_session *s = NULL;
    if (dcl_session_create(m, &sp, &s) != DCL_OK)
        fail_msg("dcl_session_create: %s", dcl_last_error());
    return s;
}

static const dcl_profile_record *find_opt(const dcl_profile_record *r, size_t n, const char *op)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(r[i].op, op))
            return &r[i];
    return NULL;
}

static const dcl_profile_record *find(const dcl_profile_record *r, size_t n, const char *op)
{
    const dcl_profile_record *x = find_opt(r, n, op);
    if (!x)
        fail_msg("no record named %s", op);
    return x;
}

static void check_gemm(const dcl_profile_record *r, uint64_t m, uint64_t n, uint64_t k, uint64_t batch,
                       dcl_op_class cls)
{
    assert_int_equal(r->op_class, cls);
    assert_int_equal(r->work_dim, 0);
    assert_int_equal(r->gemm[0], m);
    assert_int_equal(r->gemm[1], n);
    assert_int_equal(r->gemm[2], k);
    assert_int_equal(r->gemm[3], batch);
    assert_true(r->flops == 2.0 * m * n * k * batch);
    assert_true(r->bytes == 4.0 * batch * (m * k + k * n + m * n));
}

/* The expected enqueue order of one forward with materialised attention (the second one: the slot
 * table is not written again); the fused attention replaces scores_gemm .. merge_heads by one
 * "attention.fused" kernel. */
static const char *const per_layer[] = {
    "attention.qkv_gemm", "attention.split_q",  "attention.split_k",   "attention.split_v",
    "attention.scores_gemm", "attention.c2p_gemm", "attention.p2c_gemm", "attention.softmax",
    "attention.pv_gemm",  "attention.merge_heads", "attention.out_gemm", "attention.layernorm",
    "ffn.up_gemm",        "ffn.act",            "ffn.down_gemm",       "ffn.layernorm",
};

static void records(void **state)
{
    (void)state;
    materialized = 1;
    dcl_session *s = session(prof_model, 1);
    materialized = 0;
    float out[T * H];
    dcl_batch b = {B, L, ids, NULL, NULL, NULL};
    dcl_outputs o = {out, NULL, NULL};
    const dcl_profile_record *r;
    size_t n = 0, first = 0;
    assert_int_equal(dcl_encode(s, &b, &o), DCL_OK);
    assert_int_equal(dcl_session_profile(s, &r, &first), DCL_OK);
    assert_int_equal(dcl_encode(s, &b, &o), DCL_OK);
    assert_int_equal(dcl_session_profile(s, &r, &n), DCL_OK);
    /* 5 writes (ids, types, mask, attention tiles, token positions), 2 embedding ops, 16 per layer,
     * 1 read; the first forward also wrote the slot table */
    assert_int_equal(n, 5 + 2 + (16 - act_fused) * NL + 1);
    assert_int_equal(first, n + 1);
    size_t i = 0;
    for (; i < 5; i++) {
        assert_string_equal(r[i].op, "transfer.write");
        assert_int_equal(r[i].op_class, DCL_OPC_TRANSFER);
        assert_string_equal(r[i].kernel, "write");
    }
    assert_true(r[0].bytes == 4.0 * T);
    assert_string_equal(r[i++].op, "embeddings.gather");
    assert_string_equal(r[i++].op, "embeddings.layernorm");
    for (int l = 0; l < NL; l++)
        for (size_t k = 0; k < sizeof per_layer / sizeof per_layer[0]; k++) {
            if (act_fused && strcmp(per_layer[k], "ffn.act") == 0)
                continue;
            char want[64];
            snprintf(want, sizeof want, "layer%d.%s", l, per_layer[k]);
            assert_string_equal(r[i++].op, want);
        }
    assert_string_equal(r[i].op, "transfer.read");
    assert_true(r[i].bytes == 4.0 * T * H);
    /* shapes and FLOP formulas (a multiply-add is 2 flops) */
    int tab[2 * L - 1], lo = 0, slots = 0;
    dcl_rel_slot_table(&prof_model->cfg, L, tab, &lo, &slots);
    check_gemm(find(r, n, "layer1.attention.qkv_gemm"), T, 3 * H, H, 1, DCL_OPC_QKV);
    check_gemm(find(r, n, "layer1.attention.scores_gemm"), L, L, D, NH * B, DCL_OPC_SCORES);
    check_gemm(find(r, n, "layer1.attention.c2p_gemm"), T, (uint64_t)slots, D, NH, DCL_OPC_REL);
    check_gemm(find(r, n, "layer1.attention.p2c_gemm"), T, (uint64_t)slots, D, NH, DCL_OPC_REL);
    check_gemm(find(r, n, "layer1.attention.pv_gemm"), L, D, L, NH * B, DCL_OPC_PV);
    check_gemm(find(r, n, "layer1.attention.out_gemm"), T, H, H, 1, DCL_OPC_OUT);
    check_gemm(find(r, n, "layer1.ffn.up_gemm"), T, I, H, 1, DCL_OPC_FFN);
    check_gemm(find(r, n, "layer1.ffn.down_gemm"), T, H, I, 1, DCL_OPC_FFN);
    const dcl_profile_record *sm = find(r, n, "layer0.attention.softmax");
    assert_int_equal(sm->op_class, DCL_OPC_SCORES);
    assert_string_equal(sm->kernel, "dcl_disentangled_softmax");
    assert_int_equal(sm->work_dim, 1);
    assert_true(sm->global[0] % sm->local[0] == 0 && sm->global[0] / sm->local[0] == (size_t)NH * B * L);
    assert_true(sm->flops == (double)NH * B * L * L * 8); /* 6 per score + one per relative term */
    const dcl_profile_record *ln = find(r, n, "layer0.ffn.layernorm");
    assert_int_equal(ln->op_class, DCL_OPC_LAYERNORM);
    assert_true(ln->flops == 10.0 * T * H);
    assert_true(ln->bytes == 4.0 * (3.0 * T * H + 3.0 * H));
    assert_int_equal(find(r, n, "layer0.attention.split_k")->op_class, DCL_OPC_QKV);
    assert_int_equal(find(r, n, "layer0.attention.merge_heads")->op_class, DCL_OPC_PV);
    if (!act_fused)
        assert_int_equal(find(r, n, "layer0.ffn.act")->op_class, DCL_OPC_FFN);
    assert_int_equal(find(r, n, "embeddings.gather")->op_class, DCL_OPC_EMBEDDINGS);
    /* timestamps: ordered as enqueued on the in-order queue */
    double gemm_s = 0, kern_s = 0;
    for (i = 0; i < n; i++) {
        assert_true(r[i].queued_ns <= r[i].start_ns);
        assert_true(r[i].start_ns <= r[i].end_ns);
        if (i)
            assert_true(r[i].start_ns >= r[i - 1].start_ns);
        double sec = (double)(r[i].end_ns - r[i].start_ns) * 1e-9;
        if (r[i].gemm[0])
            gemm_s += sec;
        else if (r[i].op_class != DCL_OPC_TRANSFER)
            kern_s += sec;
    }
    assert_true(r[n - 1].end_ns > r[0].start_ns);
    dcl_timings t;
    assert_int_equal(dcl_session_timings(s, &t), DCL_OK);
    assert_int_equal(t.gemm_calls, 8 * NL);
    assert_true(fabs(t.gemm_seconds - gemm_s) < 1e-9 && fabs(t.kernel_seconds - kern_s) < 1e-9);
    assert_true(t.gemm_seconds > 0 && t.total_seconds > 0);
    /* a head call records the encoder and then the head's own operations */
    float pooled[B * H];
    assert_int_equal(dcl_embed(s, &b, DCL_POOL_FIRST, 0, pooled), DCL_OK);
    assert_int_equal(dcl_session_profile(s, &r, &n), DCL_OK);
    assert_int_equal(n, 5 + 2 + (16 - act_fused) * NL + 3); /* rows write, gather, read */
    assert_string_equal(r[n - 2].op, "head");
    assert_int_equal(r[n - 2].op_class, DCL_OPC_HEADS);
    assert_string_equal(r[n - 2].kernel, "dcl_embed_gather");
    assert_string_equal(r[n - 1].op, "transfer.read");
    /* a failing call leaves no records behind */
    int32_t bad[T];
    memcpy(bad, ids, sizeof bad);
    bad[T - 1] = 100000;
    dcl_batch wrong = {B, L, bad, NULL, NULL, NULL};
    assert_int_equal(dcl_encode(s, &wrong, &o), DCL_ERR_RANGE);
    assert_int_equal(dcl_session_profile(s, &r, &n), DCL_OK);
    assert_int_equal(n, 0);
    dcl_session_free(s);
}

static void same_outputs(void **state)
{
    (void)state;
    dcl_session *plain = session(plain_model, 0), *prof = session(prof_model, 1);
    static float a[T * H], b_[T * H], hs_a[NL + 1][T * H], hs_b[NL + 1][T * H];
    float *pa[NL + 1], *pb[NL + 1];
    for (int l = 0; l <= NL; l++) {
        pa[l] = hs_a[l];
        pb[l] = hs_b[l];
    }
    int32_t mask[T];
    for (int t = 0; t < T; t++)
        mask[t] = t % L < L - 2 || t < L; /* padding at the end of the second row */
    dcl_batch b = {B, L, ids, mask, NULL, NULL};
    dcl_outputs oa = {a, pa, NULL}, ob = {b_, pb, NULL};
    assert_int_equal(dcl_encode(plain, &b, &oa), DCL_OK);
    assert_int_equal(dcl_encode(prof, &b, &ob), DCL_OK);
    assert_memory_equal(a, b_, sizeof a);
    for (int l = 0; l <= NL; l++)
        assert_memory_equal(hs_a[l], hs_b[l], sizeof hs_a[l]);
    const dcl_profile_record *r;
    size_t n;
    assert_int_equal(dcl_session_profile(prof, &r, &n), DCL_OK);
    /* the fused attention: 13 operations per layer, 11 with the register-blocked kernel (one
     * split_qkv for the three splits); a slot table write; a read per hidden state */
    dcl_attn shape;
    memset(&shape, 0, sizeof shape);
    dcl_attn_tuning(prof_ctx, (unsigned)prof_model->cfg.head_size, &shape);
    assert_int_equal(n, 6 + 2 + ((shape.rb ? 11 : 13) - act_fused) * NL + NL + 2);
    const dcl_profile_record *fa = find(r, n, "layer1.attention.fused");
    assert_int_equal(fa->op_class, DCL_OPC_SCORES);
    assert_string_equal(fa->kernel, shape.rb ? "dcl_fused_attention_rb" : "dcl_fused_attention");
    if (shape.rb) {
        const dcl_profile_record *sp = find(r, n, "layer1.attention.split_qkv");
        assert_int_equal(sp->op_class, DCL_OPC_QKV);
        assert_string_equal(sp->kernel, "dcl_fa_split");
        assert_null(find_opt(r, n, "layer1.attention.split_k"));
    }
    for (size_t i = 0; i < n; i++)
        assert_null(strstr(r[i].op, "attention.softmax"));
    dcl_session_free(plain);
    dcl_session_free(prof);
}

/* CLBlast routines (the GEMM path of GPUs; CPU drivers take cl/gemm_cpu.cl unless told otherwise):
 * each starts at the end of the marker enqueued before it, after the previous operation. */
static void clblast_routines(void **state)
{
    (void)state;
    /* a model loaded for CLBlast: no weights packed for cl/gemm_cpu.cl */
    long route = dcl_test_force_gemm_route(prof_ctx, DCL_GEMM_ROUTE_CLBLAST);
    long pack = prof_ctx->tuning->value[DCL_T_GEMM_PACK];
    prof_ctx->tuning->value[DCL_T_GEMM_PACK] = 0;
    dcl_model *m = NULL;
    assert_int_equal(dcl_model_load(prof_ctx, fx_path("models/v3"), NULL, &m), DCL_OK);
    materialized = 1; /* the path with the most GEMMs: Q·Kᵀ and P·V are CLBlast routines too */
    dcl_session *s = session(m, 1);
    materialized = 0;
    dcl_batch b = {B, L, ids, NULL, NULL, NULL};
    const dcl_profile_record *r;
    size_t n = 0;
    assert_int_equal(dcl_encode(s, &b, NULL), DCL_OK);
    assert_int_equal(dcl_encode(s, &b, NULL), DCL_OK);
    assert_int_equal(dcl_session_profile(s, &r, &n), DCL_OK);
    dcl_test_force_gemm_route(prof_ctx, route);
    prof_ctx->tuning->value[DCL_T_GEMM_PACK] = pack;
    assert_int_equal(n, 5 + 2 + 16 * NL); /* as in records(), without the read */
    assert_string_equal(find(r, n, "layer0.attention.qkv_gemm")->kernel, "CLBlastSgemm");
    assert_string_equal(find(r, n, "layer0.attention.pv_gemm")->kernel, "CLBlastSgemmStridedBatched");
    int gemms = 0;
    for (size_t i = 1; i < n; i++) {
        assert_true(r[i].queued_ns <= r[i].start_ns && r[i].start_ns <= r[i].end_ns);
        assert_true(r[i].start_ns >= r[i - 1].end_ns);
        if (r[i].gemm[0]) {
            gemms++;
            assert_true(r[i].end_ns > r[i].start_ns);
        }
    }
    assert_int_equal(gemms, 8 * NL);
    dcl_session_free(s);
    dcl_model_free(m);
}

static void bad_use(void **state)
{
    (void)state;
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = B;
    sp.max_length = L;
    sp.profile = 1;
    dcl_session *s = (dcl_session *)1;
    assert_int_equal(dcl_session_create(plain_model, &sp, &s), DCL_ERR_INVALID_ARGUMENT);
    assert_null(s);
    assert_non_null(strstr(dcl_last_error(), "profiling"));
    s = session(plain_model, 0);
    const dcl_profile_record *r = (const dcl_profile_record *)1;
    size_t n = 7;
    assert_int_equal(dcl_session_profile(s, &r, &n), DCL_ERR_INVALID_ARGUMENT);
    assert_null(r);
    assert_int_equal(n, 0);
    assert_int_equal(dcl_session_profile(NULL, &r, &n), DCL_ERR_INVALID_ARGUMENT);
    assert_int_equal(dcl_session_profile(s, NULL, &n), DCL_ERR_INVALID_ARGUMENT);
    dcl_session_free(s);
    assert_string_equal(dcl_op_class_name(DCL_OPC_REL), "rel_gemm");
    assert_string_equal(dcl_op_class_name((dcl_op_class)99), "other");
}

static void peak(void **state)
{
    (void)state;
    char dir[] = "/tmp/dcl_peak_XXXXXX";
    assert_non_null(mkdtemp(dir));
    dcl_context *ctx = context(0, dir);
    dcl_device_peak p1, p2, p3;
    assert_int_equal(dcl_context_peak(ctx, 0, &p1), DCL_OK);
    assert_int_equal(p1.cached, 0);
    assert_true(p1.gflops > 0 && p1.gbytes > 0);
    assert_int_equal(dcl_context_peak(ctx, 0, &p2), DCL_OK);
    assert_int_equal(p2.cached, 1);
    assert_true(p2.gflops == p1.gflops && p2.gbytes == p1.gbytes);
    /* a damaged cache file is measured again and rewritten */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "for f in %s/peak-*.json; do printf '{\"format\": 2, \"gflops\": -1}' > $f; done", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(dcl_context_peak(ctx, 0, &p3), DCL_OK);
    assert_int_equal(p3.cached, 0);
    assert_int_equal(dcl_context_peak(ctx, 0, &p3), DCL_OK);
    assert_int_equal(p3.cached, 1);
    assert_int_equal(dcl_context_peak(NULL, 0, &p3), DCL_ERR_INVALID_ARGUMENT);
    dcl_context_free(ctx);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    dcl_test_require_device();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(records),
        cmocka_unit_test(same_outputs),
        cmocka_unit_test(clblast_routines),
        cmocka_unit_test(bad_use),
        cmocka_unit_test(peak),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
