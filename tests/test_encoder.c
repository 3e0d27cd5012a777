/* SPDX-License-Identifier: Apache-2.0 */
/* The encoder against Hugging Face transformers: every fixture model and input case, hidden
 * states and attention probabilities at real tokens; batch invariance; bad input. */
#include <float.h>
#include <math.h>

#include "encoder.h"
#include "fixtures.h"

static dcl_context *ctx;
static cJSON *manifest;

static double tol(const char *kind)
{
    cJSON *t = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(manifest, "tolerances"), "float32"), kind);
    return cJSON_GetObjectItem(t, "atol")->valuedouble;
}

static cJSON *model_entry(const char *name)
{
    cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(manifest, "models")) if (!strcmp(
        cJSON_GetObjectItem(m, "name")->valuestring, name)) return m;
    fail_msg("model %s not in the manifest", name);
    return NULL;
}

static dcl_model *load(const char *name)
{
    dcl_model *m = NULL;
    const char *folder = cJSON_GetObjectItem(model_entry(name), "folder")->valuestring;
    dcl_status st = dcl_model_load(ctx, fx_path(folder), NULL, &m);
    if (st != DCL_OK)
        fail_msg("loading %s: %s: %s", name, dcl_status_string(st), dcl_last_error());
    return m;
}

/* Runs every case of one model and compares all outputs. */
static void check_model(void **state)
{
    const char *name = *state;
    dcl_model *m = load(name);
    dcl_model_info info;
    dcl_model_get_info(m, &info);
    const double tol_h = tol("last_hidden_state"), tol_hs = tol("hidden_states"), tol_a = tol("attentions");
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
        dcl_session_params sp = dcl_session_default_params();
        sp.max_batch = in.B;
        sp.max_length = in.L;
        dcl_session *s;
        assert_int_equal(dcl_session_create(m, &sp, &s), DCL_OK);
        const size_t T = (size_t)in.B * in.L, H = (size_t)info.hidden_size, NH = (size_t)info.num_heads;
        int NL = info.num_layers;
        float *last = malloc(T * H * sizeof(float));
        float **hs = calloc((size_t)NL + 1, sizeof *hs), **at = calloc((size_t)NL, sizeof *at);
        for (int l = 0; l <= NL; l++)
            hs[l] = malloc(T * H * sizeof(float));
        for (int l = 0; l < NL; l++)
            at[l] = malloc((size_t)in.B * NH * in.L * in.L * sizeof(float));
        dcl_batch b = {in.B, in.L, in.ids, in.mask, in.types, NULL};
        dcl_outputs out = {last, hs, at};
        dcl_status st = dcl_encode(s, &b, &out);
        if (st != DCL_OK)
            fail_msg("%s/%s: %s: %s", name, cname, dcl_status_string(st), dcl_last_error());
        double worst_h = fx_max_diff_tokens(last, fx_tensor(&ref, "last_hidden_state", NULL), &in, H);
        double worst_hs = 0, worst_a = 0;
        for (int l = 0; l <= NL; l++) {
            char key[32];
            snprintf(key, sizeof key, "hidden_states.%d", l);
            double d = fx_max_diff_tokens(hs[l], fx_tensor(&ref, key, NULL), &in, H);
            worst_hs = d > worst_hs ? d : worst_hs;
            assert_true(fx_all_finite(hs[l], T * H)); /* padding included */
        }
        for (int l = 0; l < NL; l++) {
            char key[32];
            snprintf(key, sizeof key, "attentions.%d", l);
            double d = fx_max_diff_attn(at[l], fx_tensor(&ref, key, NULL), &in, (int)NH);
            worst_a = d > worst_a ? d : worst_a;
            assert_true(fx_all_finite(at[l], (size_t)in.B * NH * in.L * in.L));
        }
        printf("  %-11s %-6s B=%d L=%-3d last %.2e  hidden %.2e  attn %.2e\n", name, cname, in.B, in.L, worst_h,
               worst_hs, worst_a);
        if (!(worst_h <= tol_h) || !(worst_hs <= tol_hs) || !(worst_a <= tol_a))
            fail_msg("%s/%s exceeds tolerance: last %.3e (%.0e), hidden %.3e (%.0e), attentions %.3e (%.0e)", name,
                     cname, worst_h, tol_h, worst_hs, tol_hs, worst_a, tol_a);
        assert_true(fx_all_finite(last, T * H));
        /* without attention outputs: the fused attention */
        out.attentions = NULL;
        for (size_t i = 0; i < T * H; i++)
            last[i] = NAN;
        st = dcl_encode(s, &b, &out);
        if (st != DCL_OK)
            fail_msg("%s/%s fused: %s: %s", name, cname, dcl_status_string(st), dcl_last_error());
        worst_h = fx_max_diff_tokens(last, fx_tensor(&ref, "last_hidden_state", NULL), &in, H);
        worst_hs = 0;
        for (int l = 0; l <= NL; l++) {
            char key[32];
            snprintf(key, sizeof key, "hidden_states.%d", l);
            double d = fx_max_diff_tokens(hs[l], fx_tensor(&ref, key, NULL), &in, H);
            worst_hs = d > worst_hs ? d : worst_hs;
            assert_true(fx_all_finite(hs[l], T * H)); /* padding included */
        }
        printf("  %-11s %-6s fused:     last %.2e  hidden %.2e\n", name, cname, worst_h, worst_hs);
        if (!(worst_h <= tol_h) || !(worst_hs <= tol_hs))
            fail_msg("%s/%s fused attention exceeds tolerance: last %.3e (%.0e), hidden %.3e (%.0e)", name, cname,
                     worst_h, tol_h, worst_hs, tol_hs);
        assert_true(fx_all_finite(last, T * H));
        for (int l = 0; l <= NL; l++)
            free(hs[l]);
        for (int l = 0; l < NL; l++)
            free(at[l]);
        free(hs);
        free(at);
        free(last);
        dcl_session_free(s);
        dcl_st_close(&ref);
        fx_free_input(&in);
        cases++;
    }
    assert_true(cases >= 2);
    dcl_model_free(m);
}

/* A sequence alone and inside a padded batch (right- and left-padded) agree. */
static void test_batch_invariance(void **state)
{
    (void)state;
    dcl_model *m = load("v3");
    fx_input in = fx_load_input("cases/v3/batch.json");
    dcl_session *s;
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = in.B;
    sp.max_length = in.L;
    assert_int_equal(dcl_session_create(m, &sp, &s), DCL_OK);
    const size_t H = 32, L = (size_t)in.L;
    float *all = malloc((size_t)in.B * L * H * sizeof(float));
    dcl_batch b = {in.B, in.L, in.ids, in.mask, NULL, NULL};
    dcl_outputs out = {all, NULL, NULL};
    assert_int_equal(dcl_encode(s, &b, &out), DCL_OK);
    for (int r = 0; r < in.B; r++) {
        int first = -1, n = 0;
        for (size_t i = 0; i < L; i++)
            if (in.mask[r * L + i]) {
                if (first < 0)
                    first = (int)i;
                n++;
            }
        float *one = malloc((size_t)n * H * sizeof(float));
        dcl_batch b1 = {1, n, in.ids + r * L + first, NULL, NULL, NULL};
        dcl_outputs o1 = {one, NULL, NULL};
        assert_int_equal(dcl_encode(s, &b1, &o1), DCL_OK);
        double worst = 0;
        for (int i = 0; i < n; i++)
            for (size_t e = 0; e < H; e++) {
                double d = fabs(one[i * H + e] - all[(r * L + first + i) * H + e]);
                worst = d > worst ? d : worst;
            }
        printf("  row %d (%d real tokens from %d): max diff %.2e\n", r, n, first, worst);
        assert_true(worst <= 1e-5);
        free(one);
    }
    free(all);
    dcl_session_free(s);
    fx_free_input(&in);
    dcl_model_free(m);
}

static void test_bad_input_writes_nothing(void **state)
{
    (void)state;
    dcl_model *m = load("v1_pbi");
    dcl_session *s;
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = 2;
    sp.max_length = 16;
    assert_int_equal(dcl_session_create(m, &sp, &s), DCL_OK);
    int32_t ids[32], types[32];
    for (int i = 0; i < 32; i++) {
        ids[i] = i % 100;
        types[i] = i % 2;
    }
    float out_buf[2 * 16 * 32];
    for (size_t i = 0; i < sizeof out_buf / sizeof out_buf[0]; i++)
        out_buf[i] = 12345.0f;
    dcl_outputs o = {out_buf, NULL, NULL};
    ids[5] = 128; /* vocabulary is 128 */
    dcl_batch b = {2, 16, ids, NULL, types, NULL};
    assert_int_equal(dcl_encode(s, &b, &o), DCL_ERR_RANGE);
    assert_non_null(strstr(dcl_last_error(), "input_ids[0][5] = 128"));
    ids[5] = -1;
    assert_int_equal(dcl_encode(s, &b, &o), DCL_ERR_RANGE);
    ids[5] = 5;
    types[3] = 2; /* type_vocab_size is 2 */
    assert_int_equal(dcl_encode(s, &b, &o), DCL_ERR_RANGE);
    types[3] = 1;
    b.length = 0;
    assert_int_equal(dcl_encode(s, &b, &o), DCL_ERR_INVALID_ARGUMENT);
    b.length = 17;
    assert_int_equal(dcl_encode(s, &b, &o), DCL_ERR_RANGE);
    b.length = 16;
    b.batch = 3;
    assert_int_equal(dcl_encode(s, &b, &o), DCL_ERR_RANGE);
    for (size_t i = 0; i < sizeof out_buf / sizeof out_buf[0]; i++)
        assert_true(out_buf[i] == 12345.0f);
    b.batch = 2;
    assert_int_equal(dcl_encode(s, &b, &o), DCL_OK); /* and the session still works */
    assert_true(fx_all_finite(out_buf, sizeof out_buf / sizeof out_buf[0]));
    assert_int_equal(dcl_encode(NULL, &b, &o), DCL_ERR_INVALID_ARGUMENT);
    /* a session longer than absolute positions allow */
    sp.max_length = 129;
    dcl_session *s2 = (dcl_session *)0x1;
    assert_int_equal(dcl_session_create(m, &sp, &s2), DCL_ERR_RANGE);
    assert_null(s2);
    dcl_session_free(s);
    dcl_model_free(m);
}

static int setup(void **state)
{
    (void)state;
    ctx = dcl_test_context(NULL);
    manifest = fx_manifest();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cJSON_Delete(manifest);
    dcl_context_free(ctx);
    return 0;
}

#define MODEL_TEST(n) {"encoder " n, check_model, NULL, NULL, (void *)n}

int main(void)
{
    dcl_test_require_device();
    const struct CMUnitTest tests[] = {
        MODEL_TEST("v1_base"),   MODEL_TEST("v1_pbi"),    MODEL_TEST("v2_conv"),   MODEL_TEST("v3"),
        MODEL_TEST("v3_embproj"), MODEL_TEST("v2_c2p"),   MODEL_TEST("v2_p2c"),    MODEL_TEST("v1_mlm"),
        MODEL_TEST("v1_seqcls"), MODEL_TEST("v3_tokcls"), MODEL_TEST("v3_mc"),     MODEL_TEST("v3_f16"),
        MODEL_TEST("v3_bf16"),   cmocka_unit_test(test_batch_invariance), cmocka_unit_test(test_bad_input_writes_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
