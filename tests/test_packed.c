/* SPDX-License-Identifier: Apache-2.0 */
/* Packed batches (sequences back to back, dcl_batch.offsets) through the fused attention, against
 * Hugging Face transformers: every fixture model's padded cases, unpadded and packed into one
 * batch, give each sequence the fixture's values at its real tokens (1e-4) and the values of
 * encoding it alone (1e-5); the task heads on packed batches; bad offsets write nothing. */
#include <math.h>

#include "encoder.h"
#include "fixtures.h"

static dcl_context *ctx;
static cJSON *manifest;

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

static void check_status(dcl_status st, const char *what)
{
    if (st != DCL_OK)
        fail_msg("%s: %s: %s", what, dcl_status_string(st), dcl_last_error());
}

static double max_diff(const float *a, const float *b, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= worst))
            worst = isnan(d) ? INFINITY : d;
    }
    return worst;
}

#define MAX_CASES 4

/* The real tokens of every row of a model's cases, back to back. */
typedef struct packed {
    int ncase;
    fx_input in[MAX_CASES];
    dcl_st_file ref[MAX_CASES];
    int B, N, L; /* sequences, tokens, longest */
    int32_t *off, *ids, *types;
    int *c, *row, *first; /* source of each sequence: case, row, first real column */
} packed;

static void pack(const char *model, packed *p)
{
    memset(p, 0, sizeof *p);
    cJSON *c;
    int rows = 0, tokens = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(manifest, "cases"))
    {
        if (strcmp(cJSON_GetObjectItem(c, "model")->valuestring, model))
            continue;
        assert_true(p->ncase < MAX_CASES);
        p->in[p->ncase] = fx_load_input(cJSON_GetObjectItem(c, "input")->valuestring);
        assert_int_equal(dcl_st_open(fx_path(cJSON_GetObjectItem(c, "output")->valuestring), &p->ref[p->ncase]),
                         DCL_OK);
        rows += p->in[p->ncase].B;
        tokens += p->in[p->ncase].B * p->in[p->ncase].L;
        p->ncase++;
    }
    p->off = calloc((size_t)rows + 1, sizeof *p->off);
    p->ids = calloc((size_t)tokens, sizeof *p->ids);
    p->types = calloc((size_t)tokens, sizeof *p->types);
    p->c = calloc((size_t)rows, sizeof *p->c);
    p->row = calloc((size_t)rows, sizeof *p->row);
    p->first = calloc((size_t)rows, sizeof *p->first);
    /* the longest cases first, then the rest: tiles of one sequence never start at a multiple of
     * the tile size of another */
    for (int k = p->ncase - 1; k >= 0; k--) {
        const fx_input *in = &p->in[k];
        for (int r = 0; r < in->B; r++) {
            int first = -1, n = 0;
            for (int i = 0; i < in->L; i++)
                if (in->mask[(size_t)r * in->L + i]) {
                    first = first < 0 ? i : first;
                    n++;
                }
            assert_true(n > 0);
            for (int i = 0; i < n; i++) {
                size_t src = (size_t)r * in->L + (size_t)first + (size_t)i;
                assert_true(in->mask[src]); /* the real tokens are contiguous */
                p->ids[p->N + i] = in->ids[src];
                p->types[p->N + i] = in->types ? in->types[src] : 0;
            }
            p->c[p->B] = k;
            p->row[p->B] = r;
            p->first[p->B] = first;
            p->N += n;
            p->off[++p->B] = p->N;
            p->L = n > p->L ? n : p->L;
        }
    }
}

static void unpack(packed *p)
{
    for (int k = 0; k < p->ncase; k++) {
        fx_free_input(&p->in[k]);
        dcl_st_close(&p->ref[k]);
    }
    free(p->off);
    free(p->ids);
    free(p->types);
    free(p->c);
    free(p->row);
    free(p->first);
}

static int position_biased(const char *model)
{
    cJSON *kc = cJSON_GetObjectItem(model_entry(model), "key_config");
    return cJSON_IsTrue(cJSON_GetObjectItem(kc, "position_biased_input"));
}

/* Every case of a model, packed: hidden states against the fixtures and against each sequence
 * encoded alone. */
static void check_model(void **state)
{
    const char *name = *state;
    dcl_model *m = load(name);
    dcl_model_info info;
    dcl_model_get_info(m, &info);
    packed p;
    pack(name, &p);
    const int pbi = position_biased(name), NL = info.num_layers;
    const size_t H = (size_t)info.hidden_size, N = (size_t)p.N;
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = 1;
    sp.max_length = p.N; /* a token budget of N: the packed batch fills it */
    dcl_session *s;
    check_status(dcl_session_create(m, &sp, &s), name);
    float **hs = calloc((size_t)NL + 1, sizeof *hs);
    for (int l = 0; l <= NL; l++)
        hs[l] = malloc(N * H * sizeof(float));
    float *last = malloc(N * H * sizeof(float)), *one = malloc(N * H * sizeof(float));
    dcl_batch b = {p.B, 0, p.ids, NULL, p.types, p.off};
    dcl_outputs out = {last, hs, NULL};
    check_status(dcl_encode(s, &b, &out), name);
    assert_true(fx_all_finite(last, N * H));
    double worst_fx = 0, worst_one = 0;
    int compared = 0;
    for (int q = 0; q < p.B; q++) {
        const fx_input *in = &p.in[p.c[q]];
        const size_t n = (size_t)(p.off[q + 1] - p.off[q]), o = (size_t)p.off[q];
        /* absolute positions start at 0 in the packed sequence, at the padding in a left-padded
         * fixture row: those rows compare only with the sequence alone */
        if (!pbi || p.first[q] == 0) {
            for (int l = 0; l <= NL + 1; l++) {
                char key[32];
                if (l <= NL)
                    snprintf(key, sizeof key, "hidden_states.%d", l);
                else
                    snprintf(key, sizeof key, "last_hidden_state");
                const float *want = fx_tensor(&p.ref[p.c[q]], key, NULL);
                const float *got = l <= NL ? hs[l] : last;
                size_t src = (size_t)p.row[q] * in->L + (size_t)p.first[q];
                double d = max_diff(got + o * H, want + src * H, n * H);
                worst_fx = d > worst_fx ? d : worst_fx;
            }
            compared++;
        }
        dcl_batch b1 = {1, (int)n, p.ids + o, NULL, p.types + o, NULL};
        dcl_outputs o1 = {one, NULL, NULL};
        check_status(dcl_encode(s, &b1, &o1), name);
        double d = max_diff(one, last + o * H, n * H);
        worst_one = d > worst_one ? d : worst_one;
    }
    printf("  %-11s %d sequences, %d tokens (longest %d): vs transformers %.2e (%d sequences), vs alone %.2e\n", name,
           p.B, p.N, p.L, worst_fx, compared, worst_one);
    assert_true(compared > 0);
    if (!(worst_fx <= 1e-4) || !(worst_one <= 1e-5))
        fail_msg("%s packed: vs transformers %.3e (1e-4), vs alone %.3e (1e-5)", name, worst_fx, worst_one);
    for (int l = 0; l <= NL; l++)
        free(hs[l]);
    free(hs);
    free(last);
    free(one);
    dcl_session_free(s);
    unpack(&p);
    dcl_model_free(m);
}

/* A head model's outputs on the packed cases against the fixtures. */
static void check_head(void **state)
{
    const char *name = *state;
    dcl_model *m = load(name);
    dcl_model_info info;
    dcl_model_get_info(m, &info);
    packed p;
    pack(name, &p);
    const size_t N = (size_t)p.N, V = (size_t)info.vocab_size;
    const int NLab = info.num_labels;
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = 1;
    sp.max_length = p.N;
    dcl_session *s;
    check_status(dcl_session_create(m, &sp, &s), name);
    dcl_batch b = {p.B, 0, p.ids, NULL, p.types, p.off};
    const char *what = "", *key = "logits";
    size_t W = 0; /* per-token width, 0 for pooled heads */
    float *got = NULL, *got2 = NULL;
    if (info.heads & DCL_HEAD_MLM) {
        what = "mlm logits";
        W = V;
        got = malloc(N * V * sizeof(float));
        check_status(dcl_mlm_logits(s, &b, NULL, p.N, DCL_EMD_OFF, got), name);
    } else if (info.heads & DCL_HEAD_TOKEN_CLASS) {
        what = "token logits";
        W = (size_t)NLab;
        got = malloc(N * W * sizeof(float));
        check_status(dcl_token_classify(s, &b, got), name);
    } else if (info.heads & DCL_HEAD_QA) {
        what = "start/end logits";
        W = 1;
        got = malloc(N * sizeof(float));
        got2 = malloc(N * sizeof(float));
        check_status(dcl_qa_logits(s, &b, got, got2), name);
        key = "start_logits";
    } else if (info.heads & DCL_HEAD_MULTIPLE_CHOICE) {
        what = "choice logits";
        got = malloc((size_t)p.B * sizeof(float));
        int choices = p.in[0].choices;
        check_status(dcl_multiple_choice(s, &b, choices, got), name);
    } else {
        what = "class logits";
        got = malloc((size_t)p.B * (size_t)NLab * sizeof(float));
        check_status(dcl_classify(s, &b, got), name);
    }
    double worst = 0;
    int compared = 0;
    for (int q = 0; q < p.B; q++) {
        const fx_input *in = &p.in[p.c[q]];
        const size_t n = (size_t)(p.off[q + 1] - p.off[q]), o = (size_t)p.off[q];
        size_t src = (size_t)p.row[q] * in->L + (size_t)p.first[q];
        double d = 0;
        if (W) {
            d = max_diff(got + o * W, fx_tensor(&p.ref[p.c[q]], key, NULL) + src * W, n * W);
            if (got2) {
                double d2 = max_diff(got2 + o, fx_tensor(&p.ref[p.c[q]], "end_logits", NULL) + src, n);
                d = d2 > d ? d2 : d;
            }
        } else if (p.first[q] == 0) { /* a left-padded fixture row pools a padding position */
            size_t w = (info.heads & DCL_HEAD_MULTIPLE_CHOICE) ? 1 : (size_t)NLab;
            /* packed sequence q is fixture row p.row[q] of its case (rows keep their order within a case) */
            d = max_diff(got + (size_t)q * w, fx_tensor(&p.ref[p.c[q]], "logits", NULL) + (size_t)p.row[q] * w, w);
        } else {
            continue;
        }
        worst = d > worst ? d : worst;
        compared++;
    }
    if (info.heads & DCL_HEAD_EMD) {
        /* the enhanced mask decoder adds absolute positions, which restart at every packed
         * sequence: compare the sequences whose fixture row starts at position 0 */
        float *emd = malloc(N * V * sizeof(float));
        check_status(dcl_mlm_logits(s, &b, NULL, p.N, DCL_EMD_ON, emd), name);
        double we = 0;
        for (int q = 0; q < p.B; q++) {
            if (p.first[q] != 0)
                continue;
            const size_t n = (size_t)(p.off[q + 1] - p.off[q]), o = (size_t)p.off[q];
            size_t src = (size_t)p.row[q] * p.in[p.c[q]].L;
            double d = max_diff(emd + o * V, fx_tensor(&p.ref[p.c[q]], "emd_logits", NULL) + src * V, n * V);
            we = d > we ? d : we;
        }
        printf("  %-11s packed enhanced mask decoder logits vs the original: %.2e\n", name, we);
        assert_true(we <= 1e-4);
        free(emd);
    }
    printf("  %-11s packed %d sequences: %s vs transformers %.2e (%d sequences)\n", name, p.B, what, worst, compared);
    assert_true(compared > 0);
    if (!(worst <= 1e-4))
        fail_msg("%s packed: %s exceed tolerance: %.3e (1e-4)", name, what, worst);
    free(got);
    free(got2);
    dcl_session_free(s);
    unpack(&p);
    dcl_model_free(m);
}

/* Sentence embeddings of a packed batch equal those of the padded batch (first token: rows whose
 * first token is real; mean: every row). */
static void test_embed_packed(void **state)
{
    (void)state;
    dcl_model *m = load("v3");
    packed p;
    pack("v3", &p);
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = 3;
    sp.max_length = p.L;
    dcl_session *s;
    check_status(dcl_session_create(m, &sp, &s), "session");
    const size_t H = 32;
    float *got = malloc((size_t)p.B * H * sizeof(float)), *want = malloc(3 * H * sizeof(float));
    dcl_batch b = {p.B, 0, p.ids, NULL, NULL, p.off};
    for (int pooling = 0; pooling < 2; pooling++) {
        check_status(dcl_embed(s, &b, (dcl_pooling)pooling, 0, got), "dcl_embed packed");
        double worst = 0;
        for (int k = 0; k < p.ncase; k++) {
            const fx_input *in = &p.in[k];
            dcl_batch pb = {in->B, in->L, in->ids, in->mask, NULL, NULL};
            check_status(dcl_embed(s, &pb, (dcl_pooling)pooling, 0, want), "dcl_embed padded");
            for (int q = 0; q < p.B; q++)
                if (p.c[q] == k && (pooling == 1 || p.first[q] == 0)) {
                    double d = max_diff(got + (size_t)q * H, want + (size_t)p.row[q] * H, H);
                    worst = d > worst ? d : worst;
                }
        }
        printf("  embed %s pooling, packed vs padded: %.2e\n", pooling ? "mean" : "first", worst);
        assert_true(worst <= 1e-5);
    }
    free(got);
    free(want);
    dcl_session_free(s);
    unpack(&p);
    dcl_model_free(m);
}

/* Bad packed batches: a clear status, nothing written, the session still works. */
static void test_bad_packed(void **state)
{
    (void)state;
    dcl_model *m = load("v3");
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = 2;
    sp.max_length = 8;
    dcl_session *s;
    check_status(dcl_session_create(m, &sp, &s), "session");
    int32_t ids[20], mask[20];
    for (int i = 0; i < 20; i++) {
        ids[i] = 1 + i % 50;
        mask[i] = 1;
    }
    float out_buf[16 * 32];
    for (size_t i = 0; i < sizeof out_buf / sizeof out_buf[0]; i++)
        out_buf[i] = 12345.0f;
    dcl_outputs o = {out_buf, NULL, NULL};
    int32_t off[4] = {0, 5, 12, 16};
    dcl_batch b = {3, 0, ids, NULL, NULL, off};
    off[0] = 1;
    assert_int_equal(dcl_encode(s, &b, &o), DCL_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(dcl_last_error(), "offsets[0]"));
    off[0] = 0;
    off[2] = 5; /* an empty sequence */
    assert_int_equal(dcl_encode(s, &b, &o), DCL_ERR_INVALID_ARGUMENT);
    off[2] = 4; /* reversed */
    assert_int_equal(dcl_encode(s, &b, &o), DCL_ERR_INVALID_ARGUMENT);
    off[2] = 14; /* 9 tokens > max_length 8 */
    assert_int_equal(dcl_encode(s, &b, &o), DCL_ERR_RANGE);
    assert_non_null(strstr(dcl_last_error(), "max_length"));
    off[2] = 12;
    off[3] = 17; /* 17 tokens > the budget of 2 x 8 */
    assert_int_equal(dcl_encode(s, &b, &o), DCL_ERR_RANGE);
    off[3] = 16;
    b.attention_mask = mask; /* packed batches have no padding */
    assert_int_equal(dcl_encode(s, &b, &o), DCL_ERR_INVALID_ARGUMENT);
    b.attention_mask = NULL;
    ids[13] = 128; /* vocabulary is 128: sequence 2, column 1 */
    assert_int_equal(dcl_encode(s, &b, &o), DCL_ERR_RANGE);
    assert_non_null(strstr(dcl_last_error(), "input_ids[2][1] = 128"));
    ids[13] = 3;
    float *attn[2] = {NULL, NULL};
    dcl_outputs oa = {out_buf, NULL, attn};
    assert_int_equal(dcl_encode(s, &b, &oa), DCL_ERR_UNSUPPORTED);
    for (size_t i = 0; i < sizeof out_buf / sizeof out_buf[0]; i++)
        assert_true(out_buf[i] == 12345.0f);
    assert_int_equal(dcl_encode(s, &b, &o), DCL_OK); /* and the session still works */
    assert_true(fx_all_finite(out_buf, sizeof out_buf / sizeof out_buf[0]));
    dcl_session_free(s);
    /* a session that materialises attention takes padded batches only */
    sp.materialized_attention = 1;
    check_status(dcl_session_create(m, &sp, &s), "session");
    assert_int_equal(dcl_encode(s, &b, &o), DCL_ERR_UNSUPPORTED);
    dcl_batch pb = {2, 8, ids, NULL, NULL, NULL};
    assert_int_equal(dcl_encode(s, &pb, &o), DCL_OK);
    dcl_session_free(s);
    dcl_model_free(m);
}

/* A session longer than the device can hold: a clear error naming the length it can take. */
static void test_too_long(void **state)
{
    (void)state;
    dcl_model *m = load("v3");
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = 1;
    sp.max_length = 2000000000;
    dcl_session *s = (dcl_session *)0x1;
    assert_int_equal(dcl_session_create(m, &sp, &s), DCL_ERR_DEVICE_MEMORY);
    assert_null(s);
    printf("  %s\n", dcl_last_error());
    const char *at = strstr(dcl_last_error(), "the longest length it can take at batch 1 is ");
    assert_non_null(at);
    long longest = atol(at + strlen("the longest length it can take at batch 1 is "));
    assert_true(longest > 1000 && longest < 2000000000L);
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

#define MODEL_TEST(n) {"packed " n, check_model, NULL, NULL, (void *)n}
#define HEAD_TEST(n) {"packed head " n, check_head, NULL, NULL, (void *)n}

int main(void)
{
    dcl_test_require_device();
    const struct CMUnitTest tests[] = {
        MODEL_TEST("v1_base"),   MODEL_TEST("v1_pbi"),    MODEL_TEST("v2_conv"),   MODEL_TEST("v3"),
        MODEL_TEST("v3_embproj"), MODEL_TEST("v2_c2p"),   MODEL_TEST("v2_p2c"),    MODEL_TEST("v1_mlm"),
        MODEL_TEST("v1_seqcls"), MODEL_TEST("v3_tokcls"), MODEL_TEST("v3_mc"),     MODEL_TEST("v3_f16"),
        MODEL_TEST("v3_bf16"),   HEAD_TEST("v1_mlm"),     HEAD_TEST("v3_mlm"),     HEAD_TEST("v1_seqcls"),
        HEAD_TEST("v3_seqcls"),  HEAD_TEST("v1_tokcls"),  HEAD_TEST("v3_tokcls"),  HEAD_TEST("v1_qa"),
        HEAD_TEST("v3_qa"),      HEAD_TEST("v3_mc"),      cmocka_unit_test(test_embed_packed),
        cmocka_unit_test(test_bad_packed), cmocka_unit_test(test_too_long),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
