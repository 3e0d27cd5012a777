/* SPDX-License-Identifier: Apache-2.0 */
/* Task heads against Hugging Face transformers (every head fixture, the enhanced mask decoder),
 * sentence embeddings, the host-side post-processing and bad arguments. The `debertacl run`
 * command is test_cli_run.c. */
#include "heads_common.h"

static double tol_head, tol_emd;

/* Every case of one head model against its reference outputs. */
static void check_head_model(void **state)
{
    const char *name = *state;
    dcl_model *m = load(name);
    dcl_model_info info;
    dcl_model_get_info(m, &info);
    cJSON *c;
    int cases = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(manifest, "cases"))
    {
        if (strcmp(cJSON_GetObjectItem(c, "model")->valuestring, name))
            continue;
        const char *cname = cJSON_GetObjectItem(c, "case")->valuestring;
        fx_input in = fx_load_input(cJSON_GetObjectItem(c, "input")->valuestring);
        dcl_st_file ref;
        assert_int_equal(dcl_st_open(fx_path(cJSON_GetObjectItem(c, "output")->valuestring), &ref), DCL_OK);
        dcl_session *s = session(m, in.B, in.L);
        dcl_batch b = {in.B, in.L, in.ids, in.mask, in.types, NULL};
        const size_t T = (size_t)in.B * in.L, V = (size_t)info.vocab_size, H = (size_t)info.hidden_size;
        const int N = info.num_labels;
        double worst = 0, worst2 = 0;
        const char *what = "";
        if (info.heads & DCL_HEAD_MLM) {
            what = "mlm logits";
            float *logits = malloc(T * V * sizeof(float));
            check_status(dcl_mlm_logits(s, &b, NULL, (int)T, DCL_EMD_OFF, logits), name);
            worst = fx_max_diff_tokens(logits, fx_tensor(&ref, "logits", NULL), &in, V);
            /* only some positions (gathered first), in another order, with a repeat */
            int32_t pos[4] = {(int32_t)T - 1, 2, 0, 2};
            float *some = malloc(4 * V * sizeof(float));
            check_status(dcl_mlm_logits(s, &b, pos, 4, DCL_EMD_OFF, some), name);
            for (int i = 0; i < 4; i++)
                if (in.mask[pos[i]]) {
                    double d = max_diff(some + i * V, logits + (size_t)pos[i] * V, V);
                    worst2 = d > worst2 ? d : worst2;
                }
            assert_true(worst2 <= 1e-5);
            if (info.heads & DCL_HEAD_EMD) {
                float *hid = malloc(T * H * sizeof(float));
                check_status(dcl_heads_emd_hidden(s, &b, hid), name);
                double dh = fx_max_diff_tokens(hid, fx_tensor(&ref, "emd_hidden", NULL), &in, H);
                check_status(dcl_mlm_logits(s, &b, NULL, (int)T, DCL_EMD_ON, logits), name);
                double dl = fx_max_diff_tokens(logits, fx_tensor(&ref, "emd_logits", NULL), &in, V);
                /* AUTO is ON for this model; positions agree with the full run */
                check_status(dcl_mlm_logits(s, &b, pos, 4, DCL_EMD_AUTO, some), name);
                double da = 0;
                for (int i = 0; i < 4; i++)
                    if (in.mask[pos[i]]) {
                        double d = max_diff(some + i * V, logits + (size_t)pos[i] * V, V);
                        da = d > da ? d : da;
                    }
                printf("  %-10s %-6s emd hidden %.2e  emd logits %.2e  emd positions %.2e\n", name, cname, dh, dl, da);
                if (!(dh <= tol_emd) || !(dl <= tol_emd) || !(da <= 1e-5))
                    fail_msg("%s/%s: the enhanced mask decoder exceeds tolerance: hidden %.3e, logits %.3e (%.0e)",
                             name, cname, dh, dl, tol_emd);
                free(hid);
            }
            free(some);
            free(logits);
        } else if (info.heads & (DCL_HEAD_SEQUENCE_CLASS | DCL_HEAD_MULTIPLE_CHOICE)) {
            int mc = (info.heads & DCL_HEAD_MULTIPLE_CHOICE) != 0;
            what = mc ? "choice logits" : "class logits";
            int W = mc ? 1 : N;
            float *logits = malloc((size_t)in.B * W * sizeof(float));
            if (mc)
                check_status(dcl_multiple_choice(s, &b, in.choices, logits), name);
            else
                check_status(dcl_classify(s, &b, logits), name);
            const float *want = fx_tensor(&ref, "logits", NULL);
            /* rows whose first token is real (a left-padded row pools a padding position, whose
             * value is unspecified) */
            for (int r = 0; r < in.B; r++)
                if (in.mask[(size_t)r * in.L]) {
                    double d = max_diff(logits + (size_t)r * W, want + (size_t)r * W, (size_t)W);
                    worst = d > worst ? d : worst;
                }
            free(logits);
        } else if (info.heads & DCL_HEAD_TOKEN_CLASS) {
            what = "token logits";
            float *logits = malloc(T * (size_t)N * sizeof(float));
            check_status(dcl_token_classify(s, &b, logits), name);
            worst = fx_max_diff_tokens(logits, fx_tensor(&ref, "logits", NULL), &in, (size_t)N);
            free(logits);
        } else if (info.heads & DCL_HEAD_QA) {
            what = "start/end logits";
            float *st = malloc(T * sizeof(float)), *en = malloc(T * sizeof(float));
            check_status(dcl_qa_logits(s, &b, st, en), name);
            worst = fx_max_diff_tokens(st, fx_tensor(&ref, "start_logits", NULL), &in, 1);
            worst2 = fx_max_diff_tokens(en, fx_tensor(&ref, "end_logits", NULL), &in, 1);
            worst = worst2 > worst ? worst2 : worst;
            free(st);
            free(en);
        } else {
            fail_msg("%s: no head found", name);
        }
        printf("  %-10s %-6s B=%d L=%-3d %s %.2e\n", name, cname, in.B, in.L, what, worst);
        if (!(worst <= tol_head))
            fail_msg("%s/%s: %s exceed tolerance: %.3e (%.0e)", name, cname, what, worst, tol_head);
        dcl_session_free(s);
        dcl_st_close(&ref);
        fx_free_input(&in);
        cases++;
    }
    assert_true(cases >= 2);
    dcl_model_free(m);
}

/* First-token and mean pooling (optionally normalised) against the reference last hidden state;
 * the head workspace is allocated once and reused. */
static void test_embed(void **state)
{
    (void)state;
    dcl_model *m = load("v3");
    fx_input in = fx_load_input("cases/v3/batch.json");
    dcl_st_file ref;
    assert_int_equal(dcl_st_open(fx_path("cases/v3/batch.safetensors"), &ref), DCL_OK);
    const float *h = fx_tensor(&ref, "last_hidden_state", NULL);
    const size_t H = 32, L = (size_t)in.L, B = (size_t)in.B;
    dcl_session *s = session(m, in.B, in.L);
    dcl_batch b = {in.B, in.L, in.ids, in.mask, NULL, NULL};
    float *got = malloc(B * H * sizeof(float)), *want = malloc(B * H * sizeof(float));
    for (int pooling = 0; pooling < 2; pooling++)
        for (int norm = 0; norm < 2; norm++) {
            check_status(dcl_embed(s, &b, (dcl_pooling)pooling, norm, got), "dcl_embed");
            for (size_t r = 0; r < B; r++) {
                double acc[32] = {0}, cnt = 0, ss = 0;
                for (size_t i = 0; i < L; i++) {
                    if (pooling == 0 ? i != 0 : !in.mask[r * L + i])
                        continue;
                    cnt++;
                    for (size_t e = 0; e < H; e++)
                        acc[e] += h[(r * L + i) * H + e];
                }
                for (size_t e = 0; e < H; e++) {
                    acc[e] /= cnt;
                    ss += acc[e] * acc[e];
                }
                for (size_t e = 0; e < H; e++)
                    want[r * H + e] = (float)(norm ? acc[e] / sqrt(ss) : acc[e]);
            }
            double worst = 0;
            for (size_t r = 0; r < B; r++)
                if (pooling == 1 || in.mask[r * L]) {
                    double d = max_diff(got + r * H, want + r * H, H);
                    worst = d > worst ? d : worst;
                }
            printf("  embed pooling %s%s: %.2e\n", pooling ? "mean" : "first", norm ? " normalized" : "", worst);
            assert_true(worst <= 1e-4);
        }
    void *ws = s->heads_ws;
    assert_non_null(ws);
    check_status(dcl_embed(s, &b, DCL_POOL_MEAN, 1, got), "dcl_embed");
    assert_ptr_equal(s->heads_ws, ws);
    dcl_timings t;
    assert_int_equal(dcl_session_timings(s, &t), DCL_OK);
    assert_true(t.total_seconds > 0);
    free(got);
    free(want);
    dcl_session_free(s);
    dcl_st_close(&ref);
    fx_free_input(&in);
    dcl_model_free(m);
}

/* Bad arguments: clear status, nothing written, the session still works. */
static void test_bad_arguments(void **state)
{
    (void)state;
    dcl_model *mlm = load("v1_mlm"), *cls = load("v3_seqcls"), *mc = load("v3_mc"), *base = load("v3");
    dcl_session *s = session(mlm, 2, 8), *sc = session(cls, 2, 8), *sm = session(mc, 4, 8), *sb = session(base, 2, 8);
    int32_t ids[16];
    for (int i = 0; i < 16; i++)
        ids[i] = 3 + i;
    dcl_batch b = {2, 8, ids, NULL, NULL, NULL};
    float out[16 * 128];
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
        out[i] = 777.0f;
    int32_t pos[2] = {3, 16};
    assert_int_equal(dcl_mlm_logits(s, &b, pos, 2, DCL_EMD_OFF, out), DCL_ERR_RANGE);
    assert_non_null(strstr(dcl_last_error(), "positions[1] = 16"));
    assert_int_equal(dcl_mlm_logits(s, &b, pos, 0, DCL_EMD_OFF, out), DCL_ERR_INVALID_ARGUMENT);
    assert_int_equal(dcl_mlm_logits(s, &b, NULL, 3, DCL_EMD_OFF, out), DCL_ERR_INVALID_ARGUMENT);
    assert_int_equal(dcl_mlm_logits(s, &b, pos, 1, (dcl_emd_mode)7, out), DCL_ERR_INVALID_ARGUMENT);
    /* v1_mlm has no position embeddings: no enhanced mask decoder, AUTO falls back */
    assert_int_equal(dcl_mlm_logits(s, &b, pos, 1, DCL_EMD_ON, out), DCL_ERR_UNSUPPORTED);
    assert_non_null(strstr(dcl_last_error(), "enhanced-mask-decoder"));
    ids[5] = 128;
    assert_int_equal(dcl_mlm_logits(s, &b, pos, 1, DCL_EMD_OFF, out), DCL_ERR_RANGE);
    ids[5] = 5;
    assert_int_equal(dcl_mlm_logits(s, NULL, pos, 1, DCL_EMD_OFF, out), DCL_ERR_INVALID_ARGUMENT);
    assert_int_equal(dcl_mlm_logits(s, &b, pos, 1, DCL_EMD_OFF, NULL), DCL_ERR_INVALID_ARGUMENT);
    /* heads the model lacks */
    assert_int_equal(dcl_classify(s, &b, out), DCL_ERR_UNSUPPORTED);
    assert_non_null(strstr(dcl_last_error(), "its checkpoint has: masked LM"));
    assert_int_equal(dcl_token_classify(sc, &b, out), DCL_ERR_UNSUPPORTED);
    assert_int_equal(dcl_qa_logits(sc, &b, out, out + 16), DCL_ERR_UNSUPPORTED);
    assert_int_equal(dcl_mlm_logits(sb, &b, pos, 1, DCL_EMD_AUTO, out), DCL_ERR_UNSUPPORTED);
    assert_non_null(strstr(dcl_last_error(), "no task head"));
    assert_int_equal(dcl_multiple_choice(sc, &b, 2, out), DCL_ERR_UNSUPPORTED);
    assert_int_equal(dcl_classify(sm, &b, out), DCL_ERR_UNSUPPORTED);
    assert_non_null(strstr(dcl_last_error(), "dcl_multiple_choice"));
    dcl_batch b3 = {3, 4, ids, NULL, NULL, NULL};
    assert_int_equal(dcl_multiple_choice(sm, &b3, 2, out), DCL_ERR_INVALID_ARGUMENT);
    assert_int_equal(dcl_multiple_choice(sm, &b3, 0, out), DCL_ERR_INVALID_ARGUMENT);
    assert_int_equal(dcl_embed(sb, &b, (dcl_pooling)5, 0, out), DCL_ERR_INVALID_ARGUMENT);
    dcl_batch big = {3, 8, ids, NULL, NULL, NULL};
    assert_int_equal(dcl_embed(sb, &big, DCL_POOL_FIRST, 0, out), DCL_ERR_RANGE);
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++)
        assert_true(out[i] == 777.0f);
    /* and everything still works */
    check_status(dcl_mlm_logits(s, &b, pos, 1, DCL_EMD_AUTO, out), "mlm after errors");
    assert_true(fx_all_finite(out, 128));
    check_status(dcl_classify(sc, &b, out), "classify after errors");
    dcl_batch b4 = {4, 8, ids, NULL, NULL, NULL};
    ids[8] = 1; /* 16 ids for a 4 x 8 batch: reuse the first 16 twice */
    int32_t ids4[32];
    for (int i = 0; i < 32; i++)
        ids4[i] = ids[i % 16];
    b4.input_ids = ids4;
    check_status(dcl_multiple_choice(sm, &b4, 2, out), "multiple choice");
    assert_true(out[0] == out[2] && out[1] == out[3]); /* same rows, same logits */
    dcl_session_free(s);
    dcl_session_free(sc);
    dcl_session_free(sm);
    dcl_session_free(sb);
    dcl_model_free(mlm);
    dcl_model_free(cls);
    dcl_model_free(mc);
    dcl_model_free(base);
}

static void test_postprocessing(void **state)
{
    (void)state;
    /* softmax and top-k */
    float x[6] = {1.0f, 3.0f, 2.0f, 3.0f, -1.0f, 0.5f}, p[6];
    int32_t idx[6];
    float pk[6];
    assert_int_equal(dcl_softmax(x, 6, p), DCL_OK);
    double sum = 0;
    for (int i = 0; i < 6; i++)
        sum += p[i];
    assert_true(fabs(sum - 1.0) < 1e-6);
    assert_int_equal(dcl_top_k(x, 6, 3, idx, pk), DCL_OK);
    assert_int_equal(idx[0], 1);
    assert_int_equal(idx[1], 3);
    assert_int_equal(idx[2], 2);
    assert_true(fabs(pk[0] - p[1]) < 1e-7 && fabs(pk[2] - p[2]) < 1e-7);
    assert_int_equal(dcl_top_k(x, 6, 10, idx, NULL), DCL_OK); /* k clamped */
    assert_int_equal(idx[5], 4);
    assert_int_equal(dcl_top_k(x, 0, 1, idx, pk), DCL_ERR_INVALID_ARGUMENT);
    assert_int_equal(dcl_softmax(NULL, 3, p), DCL_ERR_INVALID_ARGUMENT);

    /* answer spans: the best start <= end inside the allowed tokens and the length limit */
    float st[8] = {9, 0, 5, 1, 0, 4, 0, 0}, en[8] = {9, 0, 0, 1, 0, 0, 6, 2};
    int32_t allowed[8] = {0, 0, 1, 1, 1, 1, 1, 0};
    dcl_span sp;
    assert_int_equal(dcl_qa_best_span(st, en, 8, allowed, 30, &sp), DCL_OK);
    assert_int_equal(sp.start, 2);
    assert_int_equal(sp.end, 6);
    assert_true(sp.score > 0 && sp.score <= 1);
    assert_int_equal(dcl_qa_best_span(st, en, 8, allowed, 2, &sp), DCL_OK); /* at most 2 tokens */
    assert_true(sp.end - sp.start <= 1 && sp.start >= 2 && sp.end <= 6);
    assert_int_equal(sp.start, 5);
    assert_int_equal(sp.end, 6);
    int32_t none[8] = {0};
    assert_int_equal(dcl_qa_best_span(st, en, 8, none, 30, &sp), DCL_ERR_RANGE);
    assert_int_equal(dcl_qa_best_span(st, en, 8, allowed, 0, &sp), DCL_ERR_INVALID_ARGUMENT);

    /* entity grouping with v3_tokcls's labels O, B-PER, I-PER, B-LOC, I-LOC */
    dcl_model *m = load("v3_tokcls");
    enum { O, BP, IP, BL, IL };
    const int labels[10] = {O, BP, IP, IP, O, BL, BL, IL, IP, O};
    float lg[10 * 5];
    for (int t = 0; t < 10; t++)
        for (int c = 0; c < 5; c++)
            lg[t * 5 + c] = c == labels[t] ? 4.0f : 0.0f;
    int32_t skip[10] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    size_t offs[20];
    for (int t = 0; t < 10; t++) {
        offs[2 * t] = (size_t)t * 3;
        offs[2 * t + 1] = (size_t)t * 3 + 2;
    }
    dcl_entity ents[8];
    int count = -1;
    assert_int_equal(dcl_group_entities(m, lg, 10, skip, offs, ents, 8, &count), DCL_OK);
    /* PER [1..3], LOC [5], LOC [6..7] (B- starts anew), PER [8] (I- of another group) */
    assert_int_equal(count, 4);
    assert_string_equal(ents[0].group, "PER");
    assert_int_equal(ents[0].first_token, 1);
    assert_int_equal(ents[0].last_token, 3);
    assert_int_equal(ents[0].start, 3);
    assert_int_equal(ents[0].end, 11);
    assert_int_equal(ents[0].label, BP);
    assert_string_equal(ents[1].group, "LOC");
    assert_int_equal(ents[1].first_token, 5);
    assert_int_equal(ents[1].last_token, 5);
    assert_string_equal(ents[2].group, "LOC");
    assert_int_equal(ents[2].first_token, 6);
    assert_int_equal(ents[2].last_token, 7);
    assert_string_equal(ents[3].group, "PER");
    assert_int_equal(ents[3].first_token, 8);
    float pmax[5];
    dcl_softmax(lg, 5, pmax);
    assert_true(fabs(ents[0].score - pmax[0]) < 1e-6);
    assert_int_equal(dcl_group_entities(m, lg, 10, skip, NULL, ents, 2, &count), DCL_OK);
    assert_int_equal(count, 4); /* all found, two written */
    assert_int_equal(ents[1].start, -1);
    dcl_model *mlm = load("v1_mlm");
    assert_int_equal(dcl_group_entities(mlm, lg, 10, skip, NULL, ents, 2, &count), DCL_ERR_UNSUPPORTED);
    dcl_model_free(mlm);
    dcl_model_free(m);
}

static int setup(void **state)
{
    (void)state;
    ctx = dcl_test_context(NULL);
    manifest = fx_manifest();
    tol_head = tol("head_outputs");
    tol_emd = tol("emd");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cJSON_Delete(manifest);
    dcl_context_free(ctx);
    return 0;
}

#define HEAD_TEST(n) {"head " n, check_head_model, NULL, NULL, (void *)n}

int main(void)
{
    dcl_test_require_device();
    const struct CMUnitTest tests[] = {
        HEAD_TEST("v1_mlm"),    HEAD_TEST("v3_mlm"),    HEAD_TEST("v1_seqcls"), HEAD_TEST("v3_seqcls"),
        HEAD_TEST("v1_tokcls"), HEAD_TEST("v3_tokcls"), HEAD_TEST("v1_qa"),     HEAD_TEST("v3_qa"),
        HEAD_TEST("v3_mc"),     cmocka_unit_test(test_embed), cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_postprocessing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
