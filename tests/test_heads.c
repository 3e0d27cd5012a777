/* SPDX-License-Identifier: Apache-2.0 */
/* Task heads against Hugging Face transformers (every head fixture, the enhanced mask decoder),
 * sentence embeddings, the host-side post-processing, bad arguments, and the `debertacl run`
 * command for every task in both output modes (the built program is run as a child process). */
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "encoder.h"
#include "fixtures.h"
#include "heads.h"
#include "model.h"

#define DEMO_DIR DCL_TEST_DATA_DIR "/demo"
#define CLI DCL_TEST_BINARY_DIR "/../tools/debertacl"

static dcl_context *ctx;
static cJSON *manifest;
static double tol_head, tol_emd;

static double tol(const char *kind)
{
    cJSON *t = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(manifest, "tolerances"), "float32"), kind);
    return cJSON_GetObjectItem(t, "atol")->valuedouble;
}

static const char *model_folder(const char *name)
{
    cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(manifest, "models")) if (!strcmp(
        cJSON_GetObjectItem(m, "name")->valuestring, name)) return fx_path(
        cJSON_GetObjectItem(m, "folder")->valuestring);
    fail_msg("model %s not in the manifest", name);
    return NULL;
}

static dcl_model *load(const char *name)
{
    dcl_model *m = NULL;
    dcl_status st = dcl_model_load(ctx, model_folder(name), NULL, &m);
    if (st != DCL_OK)
        fail_msg("loading %s: %s: %s", name, dcl_status_string(st), dcl_last_error());
    return m;
}

static dcl_session *session(dcl_model *m, int B, int L)
{
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = B;
    sp.max_length = L;
    dcl_session *s = NULL;
    assert_int_equal(dcl_session_create(m, &sp, &s), DCL_OK);
    return s;
}

static double max_diff(const float *got, const float *want, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)want[i]);
        if (!(d <= worst))
            worst = isnan(d) ? INFINITY : d;
    }
    return worst;
}

static void check_status(dcl_status st, const char *what)
{
    if (st != DCL_OK)
        fail_msg("%s: %s: %s", what, dcl_status_string(st), dcl_last_error());
}

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


/* ---- the debertacl run command ---------------------------------------------------------------- */

#define MODELS_DIR DCL_TEST_BINARY_DIR "/heads_models"

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void copy_file(const char *from, const char *to)
{
    char *data;
    size_t len;
    assert_int_equal(dcl_read_file(NULL, from, &data, &len), DCL_OK);
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    free(data);
}

/* A model folder with the demo's encoder and tokenizer and a random task head, so that every task
 * runs from text: name = seqcls | tokcls | qa | mc. */
static void make_head_model(const char *name)
{
    char dir[512], path[600];
    snprintf(dir, sizeof dir, "%s/%s", MODELS_DIR, name);
    assert_int_equal(dcl_mkdirs(dir), 0);
    static const char *const tok_files[] = {"spm.model", "tokenizer_config.json", "special_tokens_map.json",
                                            "added_tokens.json"};
    for (size_t i = 0; i < sizeof tok_files / sizeof tok_files[0]; i++) {
        char from[600];
        snprintf(from, sizeof from, "%s/%s", DEMO_DIR, tok_files[i]);
        snprintf(path, sizeof path, "%s/%s", dir, tok_files[i]);
        copy_file(from, path);
    }
    /* config.json: the demo's, with the head's architecture and labels */
    cJSON *cfg = fx_read_json(DEMO_DIR "/config.json");
    cJSON_DeleteItemFromObject(cfg, "debertacl_demo");
    cJSON_DeleteItemFromObject(cfg, "debertacl_note");
    cJSON_DeleteItemFromObject(cfg, "architectures");
    const char *arch = !strcmp(name, "seqcls")   ? "DebertaV2ForSequenceClassification"
                       : !strcmp(name, "tokcls") ? "DebertaV2ForTokenClassification"
                       : !strcmp(name, "qa")     ? "DebertaV2ForQuestionAnswering"
                                                 : "DebertaV2ForMultipleChoice";
    cJSON *archs = cJSON_AddArrayToObject(cfg, "architectures");
    cJSON_AddItemToArray(archs, cJSON_CreateString(arch));
    static const char *const nli[] = {"entailment", "neutral", "contradiction"};
    static const char *const ner[] = {"O", "B-PER", "I-PER", "B-LOC", "I-LOC"};
    int N = !strcmp(name, "seqcls") ? 3 : !strcmp(name, "tokcls") ? 5 : !strcmp(name, "qa") ? 2 : 1;
    if (N >= 3) {
        cJSON *id2 = cJSON_AddObjectToObject(cfg, "id2label");
        for (int i = 0; i < N; i++) {
            char k[16];
            snprintf(k, sizeof k, "%d", i);
            cJSON_AddStringToObject(id2, k, N == 3 ? nli[i] : ner[i]);
        }
    }
    char *text = cJSON_Print(cfg);
    snprintf(path, sizeof path, "%s/config.json", dir);
    write_text(path, text);
    free(text);
    cJSON_Delete(cfg);
    /* weights: the encoder of the demo (no MLM head) and the new head */
    dcl_st_file demo;
    assert_int_equal(dcl_st_open(DEMO_DIR "/model.safetensors", &demo), DCL_OK);
    const int H = 64, max = demo.count + 4;
    const char **names = calloc((size_t)max, sizeof *names);
    int *ndims = calloc((size_t)max, sizeof *ndims);
    int64_t **shapes = calloc((size_t)max, sizeof *shapes);
    float **data = calloc((size_t)max, sizeof *data);
    int n = 0;
    for (int i = 0; i < demo.count; i++) {
        const dcl_st_tensor *t = &demo.tensors[i];
        if (strncmp(t->name, "deberta.", 8))
            continue;
        names[n] = t->name;
        ndims[n] = t->ndim;
        shapes[n] = malloc(sizeof(int64_t) * 2);
        shapes[n][0] = t->shape[0];
        shapes[n][1] = t->ndim > 1 ? t->shape[1] : 1;
        data[n] = malloc(t->numel * sizeof(float));
        assert_int_equal(dcl_st_to_f32(t, data[n]), DCL_OK);
        n++;
    }
    uint32_t seed = (uint32_t)strlen(name) * 7919u;
    struct head_tensor { const char *name; int rows, cols; } head[4];
    int nh = 0;
    if (!strcmp(name, "seqcls") || !strcmp(name, "mc")) {
        head[nh++] = (struct head_tensor){"pooler.dense.weight", H, H};
        head[nh++] = (struct head_tensor){"pooler.dense.bias", H, 0};
    }
    const int is_qa = !strcmp(name, "qa");
    head[nh++] = (struct head_tensor){is_qa ? "qa_outputs.weight" : "classifier.weight", N, H};
    head[nh++] = (struct head_tensor){is_qa ? "qa_outputs.bias" : "classifier.bias", N, 0};
    for (int i = 0; i < nh; i++, n++) {
        names[n] = head[i].name;
        ndims[n] = head[i].cols ? 2 : 1;
        shapes[n] = malloc(sizeof(int64_t) * 2);
        shapes[n][0] = head[i].rows;
        shapes[n][1] = head[i].cols;
        size_t numel = (size_t)head[i].rows * (size_t)(head[i].cols ? head[i].cols : 1);
        data[n] = malloc(numel * sizeof(float));
        for (size_t k = 0; k < numel; k++)
            data[n][k] = 0.5f * dcl_test_rand(&seed);
    }
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    assert_int_equal(dcl_st_write_f32(path, n, names, ndims, (const int64_t *const *)shapes,
                                      (const float *const *)data),
                     DCL_OK);
    for (int i = 0; i < n; i++) {
        free(shapes[i]);
        free(data[i]);
    }
    free(names);
    free(ndims);
    free(shapes);
    free(data);
    dcl_st_close(&demo);
}

/* Runs `debertacl run ARGS...` (args NULL-terminated): returns the exit status; stdout and stderr in
 * malloc'd strings. */
static int run_argv(const char *const *args, char **out, char **err)
{
    char cmd[8192];
    int n = snprintf(cmd, sizeof cmd, "'%s' run", CLI);
    for (; *args; args++) {
        n += snprintf(cmd + n, sizeof cmd - (size_t)n, " '");
        for (const char *a = *args; *a; a++) /* single quotes for the shell */
            n += *a == '\'' ? snprintf(cmd + n, sizeof cmd - (size_t)n, "'\\''")
                            : snprintf(cmd + n, sizeof cmd - (size_t)n, "%c", *a);
        n += snprintf(cmd + n, sizeof cmd - (size_t)n, "'");
    }
    snprintf(cmd + n, sizeof cmd - (size_t)n, " >'%s/cli_out.txt' 2>'%s/cli_err.txt'", MODELS_DIR, MODELS_DIR);
    int status = system(cmd);
    assert_true(status != -1 && WIFEXITED(status));
    size_t len;
    assert_int_equal(dcl_read_file(NULL, MODELS_DIR "/cli_out.txt", out, &len), DCL_OK);
    assert_int_equal(dcl_read_file(NULL, MODELS_DIR "/cli_err.txt", err, &len), DCL_OK);
    return WEXITSTATUS(status);
}

/* Collects the NULL-terminated arguments after `last` (plus `extra` when not NULL). */
static void collect(const char **args, int max, va_list ap, const char *extra)
{
    int n = 0;
    for (const char *a; (a = va_arg(ap, const char *)) && n < max - 2;)
        args[n++] = a;
    if (extra)
        args[n++] = extra;
    args[n] = NULL;
}

static int run_cli(char **out, char **err, ...)
{
    const char *args[48];
    va_list ap;
    va_start(ap, err);
    collect(args, 48, ap, NULL);
    va_end(ap);
    return run_argv(args, out, err);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static char *last_out; /* stdout of the last run_ok() */

/* Runs a command that must succeed (status 0, nothing on stderr); with json, adds --json and
 * returns stdout parsed. */
#define RUN_OK(json, ...) run_ok(json, __VA_ARGS__, (const char *)NULL)
static cJSON *run_ok(int json, ...)
{
    const char *args[48];
    va_list ap;
    va_start(ap, json);
    collect(args, 48, ap, json ? "--json" : NULL);
    va_end(ap);
    char *out, *err;
    int rc = run_argv(args, &out, &err);
    if (rc != 0 || *err)
        fail_msg("debertacl run %s %s %s %s ... exited %d: %s", args[0], args[1], args[2], args[3], rc, err);
    cJSON *j = NULL;
    if (json && !(j = cJSON_Parse(out)))
        fail_msg("not JSON: %s", out);
    free(last_out);
    last_out = out;
    free(err);
    return j;
}

/* A bad input: exit status 2, exactly one line on stderr (holding `expect`), nothing on stdout. */
#define RUN_BAD(expect, ...) run_bad(expect, __VA_ARGS__, (const char *)NULL)
static void run_bad(const char *expect, ...)
{
    const char *args[48];
    va_list ap;
    va_start(ap, expect);
    collect(args, 48, ap, NULL);
    va_end(ap);
    char *out, *err;
    int rc = run_argv(args, &out, &err);
    printf("  bad input -> %d: %s", rc, err);
    if (rc != 2 || count_lines(err) != 1 || !strstr(err, expect) || *out)
        fail_msg("expected status 2, one line with \"%s\" on stderr and no output; got %d, stderr \"%s\", stdout "
                 "\"%s\"", expect, rc, err, out);
    free(out);
    free(err);
}

static int cli_setup(void **state)
{
    (void)state;
    if (access(CLI, X_OK) != 0) {
        fprintf(stderr, "%s is not built\n", CLI);
        return -1;
    }
    dcl_mkdirs(MODELS_DIR);
    /* Each run is a new process: let PoCL keep its compiled kernels (CLBlast builds its GEMM
     * kernels in every process) and give the program cache its own folder, both in the build tree;
     * the first run compiles, the others reuse. */
    setenv("POCL_KERNEL_CACHE", "1", 1);
    setenv("POCL_CACHE_DIR", MODELS_DIR "/pocl_cache", 1);
    setenv("DEBERTACL_CACHE_DIR", MODELS_DIR "/program_cache", 1);
    /* sanitizer builds: PoCL's compiler leaks in the children that build kernels; our own leaks
     * (no libpocl frame) are still reported */
    write_text(MODELS_DIR "/lsan.supp", "leak:libpocl\nleak:libLLVM\nleak:libclang\n");
    if (!getenv("LSAN_OPTIONS"))
        setenv("LSAN_OPTIONS", "print_suppressions=0:suppressions=" MODELS_DIR "/lsan.supp", 1);
    make_head_model("seqcls");
    make_head_model("tokcls");
    make_head_model("qa");
    make_head_model("mc");
    return 0;
}

static double jnum(const cJSON *o, const char *k) { return cJSON_GetObjectItem(o, k)->valuedouble; }
static const char *jstr(const cJSON *o, const char *k) { return cJSON_GetObjectItem(o, k)->valuestring; }

/* The README's example and transformers' answers for the demo model (tests/data/demo/expected.json):
 * the same top tokens and probabilities, with and without the enhanced mask decoder, through
 * --file (JSON lines) and --text (human). */
static void test_cli_fill_mask(void **state)
{
    (void)state;
    cJSON *exp = fx_read_json(DEMO_DIR "/expected.json");
    cJSON *cases = cJSON_GetObjectItem(exp, "cases"), *c;
    char file[600];
    snprintf(file, sizeof file, "%s/fill.txt", MODELS_DIR);
    FILE *f = fopen(file, "wb");
    cJSON_ArrayForEach(c, cases) fprintf(f, "%s\n", jstr(c, "text"));
    fclose(f);
    for (int emd = 0; emd < 2; emd++) {
        char *out, *err;
        int rc = emd ? run_cli(&out, &err, "--model", DEMO_DIR, "--task", "fill-mask", "--file", file, "--json",
                               "--top-k", "5", "--emd", (const char *)NULL)
                     : run_cli(&out, &err, "--model", DEMO_DIR, "--task", "fill-mask", "--file", file, "--json",
                               "--top-k", "5", (const char *)NULL);
        assert_int_equal(rc, 0);
        assert_string_equal(err, "");
        assert_int_equal(count_lines(out), cJSON_GetArraySize(cases));
        char *line = out;
        double worst = 0;
        cJSON_ArrayForEach(c, cases)
        {
            char *nl = strchr(line, '\n');
            *nl = '\0';
            cJSON *j = cJSON_Parse(line);
            assert_non_null(j);
            line = nl + 1;
            assert_non_null(strstr(jstr(j, "warning"), "random weights"));
            assert_int_equal(cJSON_IsTrue(cJSON_GetObjectItem(j, "emd")), emd);
            cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "masks"), 0);
            assert_int_equal((int)jnum(m, "position"), (int)jnum(c, "mask_position"));
            cJSON *want = cJSON_GetObjectItem(c, emd ? "top_emd" : "top");
            cJSON *preds = cJSON_GetObjectItem(m, "predictions");
            assert_int_equal(cJSON_GetArraySize(preds), 5);
            for (int k = 0; k < 5; k++) {
                cJSON *p = cJSON_GetArrayItem(preds, k), *w = cJSON_GetArrayItem(want, k);
                assert_int_equal((int)jnum(p, "token"), (int)cJSON_GetArrayItem(w, 0)->valuedouble);
                double d = fabs(jnum(p, "score") - cJSON_GetArrayItem(w, 1)->valuedouble);
                worst = d > worst ? d : worst;
                assert_non_null(strstr(jstr(p, "sequence"), jstr(p, "token_str")));
            }
            cJSON_Delete(j);
        }
        printf("  fill-mask %s: top-5 tokens as transformers, probabilities within %.1e\n",
               emd ? "with the enhanced mask decoder (--emd)" : "as transformers (default)", worst);
        assert_true(worst <= 1e-6);
        free(out);
        free(err);
    }
    RUN_OK(0, "--model", DEMO_DIR, "--task", "fill-mask", "--text", "The quick brown [MASK] jumps over the lazy dog.",
           "--emd");
    assert_non_null(strstr(last_out, "RANDOM weights"));
    assert_non_null(strstr(last_out, "mask 1 of 1 (token 9), enhanced mask decoder"));
    assert_int_equal(count_lines(last_out), 2 + 5);
    cJSON_Delete(exp);
}

static void test_cli_text_tasks(void **state)
{
    (void)state;
    char seqcls[600], tokcls[600], qa[600], mc[600];
    snprintf(seqcls, sizeof seqcls, "%s/seqcls", MODELS_DIR);
    snprintf(tokcls, sizeof tokcls, "%s/tokcls", MODELS_DIR);
    snprintf(qa, sizeof qa, "%s/qa", MODELS_DIR);
    snprintf(mc, sizeof mc, "%s/mc", MODELS_DIR);
    cJSON *j, *it;
    /* classify: a text, a pair; nli: a pair */
    j = RUN_OK(1, "--model", seqcls, "--task", "classify", "--text", "I loved this film.");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "labels")), 3);
    assert_string_equal(jstr(j, "label"), jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "labels"), 0), "label"));
    cJSON_Delete(j);
    RUN_OK(0, "--model", seqcls, "--task", "classify", "--text", "I loved this film.", "--top-k", "2");
    assert_int_equal(count_lines(last_out), 2);
    j = RUN_OK(1, "--model", seqcls, "--task", "nli", "--pair", "A man is eating.", "Somebody eats.");
    double sum = 0;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "labels")) sum += jnum(it, "score");
    assert_true(fabs(sum - 1) < 1e-5);
    assert_true(!strcmp(jstr(j, "label"), "entailment") || !strcmp(jstr(j, "label"), "neutral") ||
                !strcmp(jstr(j, "label"), "contradiction"));
    cJSON_Delete(j);
    RUN_OK(0, "--model", seqcls, "--task", "nli", "--pair", "A man is eating.", "Somebody eats.");
    assert_int_equal(count_lines(last_out), 3);
    assert_non_null(strstr(last_out, "entailment"));
    /* ner: entities carry the text they cover */
    const char *text = "Jean-Pierre vit à Paris avec Émile.";
    j = RUN_OK(1, "--model", tokcls, "--task", "ner", "--text", text);
    cJSON *ents = cJSON_GetObjectItem(j, "entities");
    assert_true(cJSON_GetArraySize(ents) >= 1);
    cJSON_ArrayForEach(it, ents)
    {
        long s0 = (long)jnum(it, "start"), s1 = (long)jnum(it, "end");
        assert_true(0 <= s0 && s0 < s1 && s1 <= 35);
        assert_non_null(strstr(text, jstr(it, "word")));
        assert_true(!strcmp(jstr(it, "entity_group"), "PER") || !strcmp(jstr(it, "entity_group"), "LOC"));
    }
    cJSON_Delete(j);
    RUN_OK(0, "--model", tokcls, "--task", "ner", "--text", text);
    assert_true(count_lines(last_out) >= 1);
    /* qa: the answer is the context's text at [start, end) */
    const char *ctx_text = "The Eiffel tower is in Paris. It was built in 1889.";
    j = RUN_OK(1, "--model", qa, "--task", "qa", "--question", "Where is the tower?", "--context", ctx_text);
    long a0 = (long)jnum(j, "start"), a1 = (long)jnum(j, "end");
    assert_true(0 <= a0 && a0 < a1 && a1 <= (long)strlen(ctx_text));
    assert_memory_equal(jstr(j, "answer"), ctx_text + a0, (size_t)(a1 - a0));
    cJSON_Delete(j);
    RUN_OK(0, "--model", qa, "--task", "qa", "--question", "Where is the tower?", "--context", ctx_text,
           "--max-answer-len", "3");
    assert_non_null(strstr(last_out, "answer: \""));
    /* choice: with a shared prompt and without */
    j = RUN_OK(1, "--model", mc, "--task", "choice", "--text", "The cat", "--choices",
               "sat on the mat.|flew away.|ate");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "choices")), 3);
    int best = (int)jnum(j, "choice"); /* choices: best first */
    assert_int_equal((int)jnum(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "choices"), 0), "index"), best);
    assert_string_equal(jstr(j, "text"), jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "choices"), 0), "text"));
    cJSON_Delete(j);
    RUN_OK(0, "--model", mc, "--task", "choice", "--choices", "yes|no");
    assert_int_equal(count_lines(last_out), 2);
    assert_non_null(strstr(last_out, "* "));
    /* embed: normalised mean pooling has norm 1 */
    j = RUN_OK(1, "--model", DEMO_DIR, "--task", "embed", "--text", "Hello world", "--normalize");
    assert_int_equal((int)jnum(j, "dim"), 64);
    double ss = 0;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "embedding")) ss += it->valuedouble * it->valuedouble;
    assert_true(fabs(ss - 1) < 1e-4);
    cJSON_Delete(j);
    RUN_OK(0, "--model", DEMO_DIR, "--task", "embed", "--pair", "Hello", "world", "--pooling", "first");
    assert_non_null(strstr(last_out, "embedding: 64 values (first pooling)"));
    /* --file: JSON lines, one per input line, pairs tab-separated; a bad line gives an error line and
     * exit status 2 while the others are answered */
    char file[600];
    snprintf(file, sizeof file, "%s/nli.txt", MODELS_DIR);
    write_text(file, "A man eats.\tSomebody eats.\nIt rains.\tThe sun shines.\n");
    char *out, *err;
    assert_int_equal(run_cli(&out, &err, "--model", seqcls, "--task", "nli", "--file", file, "--json",
                             (const char *)NULL),
                     0);
    assert_int_equal(count_lines(out), 2);
    assert_non_null(strstr(out, "\"line\":2"));
    free(out);
    free(err);
    write_text(file, "Where?\tIn Paris.\n\nWhen?\tIn 1889.\n");
    assert_int_equal(
        run_cli(&out, &err, "--model", qa, "--task", "qa", "--file", file, "--json", (const char *)NULL), 2);
    assert_int_equal(count_lines(out), 3);
    assert_non_null(strstr(out, "{\"line\":2,\"error\":"));
    assert_int_equal(count_lines(err), 1);
    assert_non_null(strstr(err, ":2: qa lines are"));
    free(out);
    free(err);
    write_text(file, "Where?\tIn Paris.\nWhen?\tIn 1889.\n");
    assert_int_equal(run_cli(&out, &err, "--model", qa, "--task", "qa", "--file", file, (const char *)NULL), 0);
    assert_non_null(strstr(out, "line 2:\nanswer: \""));
    free(out);
    free(err);
    snprintf(file, sizeof file, "%s/choice.txt", MODELS_DIR);
    write_text(file, "The cat\tsat.|flew.\nyes|no|maybe\n");
    j = NULL;
    assert_int_equal(run_cli(&out, &err, "--model", mc, "--task", "choice", "--file", file, "--json",
                             (const char *)NULL),
                     0);
    assert_int_equal(count_lines(out), 2);
    assert_non_null(strstr(out, "{\"line\":2,\"task\":\"choice\",\"choice\":"));
    free(out);
    free(err);
}

/* Every task on the transformers fixture models (no tokenizer: token ids), both output modes;
 * the numbers agree with the library (and so with the fixtures). */
static void test_cli_ids(void **state)
{
    (void)state;
    char m[6][600];
    const char *names[6] = {"v3_mlm", "v1_seqcls", "v3_tokcls", "v3_qa", "v3_mc", "v3"};
    for (int i = 0; i < 6; i++)
        snprintf(m[i], sizeof m[i], "%s", model_folder(names[i]));
    cJSON *j, *it;
    int32_t top_mlm; /* the library's best token at the mask, without the enhanced mask decoder */
    {
        dcl_model *mod = load("v3_mlm");
        dcl_session *s = session(mod, 1, 7);
        int32_t ids[7] = {1, 5, 6, 7, 3, 9, 2}, pos = 4;
        dcl_batch b = {1, 7, ids, NULL, NULL, NULL};
        dcl_model_info info;
        dcl_model_get_info(mod, &info);
        float *lg = malloc((size_t)info.vocab_size * sizeof *lg);
        assert_non_null(lg);
        check_status(dcl_mlm_logits(s, &b, &pos, 1, DCL_EMD_OFF, lg), "mlm");
        check_status(dcl_top_k(lg, info.vocab_size, 1, &top_mlm, NULL), "top_k");
        free(lg);
        dcl_session_free(s);
        dcl_model_free(mod);
    }
    for (int json = 0; json < 2; json++) {
        j = RUN_OK(json, "--model", m[0], "--task", "fill-mask", "--ids", "1,5,6,7,3,9,2", "--mask-id", "3", "--top-k",
                   "4");
        if (j) {
            cJSON *p = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "masks"), 0), "predictions");
            assert_int_equal(cJSON_GetArraySize(p), 4);
            assert_false(cJSON_IsTrue(cJSON_GetObjectItem(j, "emd"))); /* as transformers by default */
            assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(p, 0), "token_str")); /* no tokenizer: no text */
            assert_int_equal((int)jnum(cJSON_GetArrayItem(p, 0), "token"), top_mlm);
        } else {
            assert_non_null(strstr(last_out, "masked-LM head"));
            assert_int_equal(count_lines(last_out), 5);
        }
        cJSON_Delete(j);
        j = RUN_OK(json, "--model", m[1], "--task", "classify", "--ids", "1,5,6,7,3,9,2");
        if (j)
            assert_string_equal(jstr(j, "label"), "neutral");
        else
            assert_int_equal(count_lines(last_out), 3);
        cJSON_Delete(j);
        j = RUN_OK(json, "--model", m[1], "--task", "nli", "--ids", "1,5,6,2,7,9,2");
        cJSON_Delete(j);
        j = RUN_OK(json, "--model", m[2], "--task", "ner", "--ids", "1,5,6,7,3,9,2,44,55,66");
        if (j)
            cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "entities")) assert_null(cJSON_GetObjectItem(it, "word"));
        cJSON_Delete(j);
        j = RUN_OK(json, "--model", m[3], "--task", "qa", "--ids", "1,5,6,2,7,3,9,2", "--types", "0,0,0,0,1,1,1,1");
        if (j)
            assert_true(jnum(j, "start_token") >= 4 && jnum(j, "end_token") <= 8); /* [start, end) */
        else
            assert_non_null(strstr(last_out, "answer: \"\"  score"));
        cJSON_Delete(j);
        j = RUN_OK(json, "--model", m[4], "--task", "choice", "--ids", "1,5,6,2|1,7,3,9,2|1,2");
        if (j)
            assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "choices")), 3);
        else
            assert_int_equal(count_lines(last_out), 3);
        cJSON_Delete(j);
        j = RUN_OK(json, "--model", m[5], "--task", "embed", "--ids", "1,5,6,2", "--pooling", "mean");
        if (j)
            assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "embedding")), 32);
        else
            assert_int_equal(count_lines(last_out), 5);
        cJSON_Delete(j);
    }
    /* the CLI's classify logits are the library's */
    dcl_model *mod = load("v1_seqcls");
    dcl_session *s = session(mod, 1, 7);
    int32_t ids[7] = {1, 5, 6, 7, 3, 9, 2};
    dcl_batch b = {1, 7, ids, NULL, NULL, NULL};
    float lg[3], p[3];
    check_status(dcl_classify(s, &b, lg), "classify");
    dcl_softmax(lg, 3, p);
    j = RUN_OK(1, "--model", m[1], "--task", "classify", "--ids", "1,5,6,7,3,9,2");
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "labels"))
    {
        int k = !strcmp(jstr(it, "label"), "entailment") ? 0 : !strcmp(jstr(it, "label"), "neutral") ? 1 : 2;
        assert_true(fabs(jnum(it, "score") - p[k]) < 1e-6);
    }
    cJSON_Delete(j);
    dcl_session_free(s);
    dcl_model_free(mod);
}

static void test_cli_bad_input(void **state)
{
    (void)state;
    char seqcls[600], qa[600];
    snprintf(seqcls, sizeof seqcls, "%s/seqcls", MODELS_DIR);
    snprintf(qa, sizeof qa, "%s/qa", MODELS_DIR);
    const char *v1 = model_folder("v1_seqcls");
    RUN_BAD("empty text", "--model", DEMO_DIR, "--task", "fill-mask", "--text", "");
    RUN_BAD("empty text", "--model", seqcls, "--task", "classify", "--text", "   ");
    RUN_BAD("No mask_token ([MASK])", "--model", DEMO_DIR, "--task", "fill-mask", "--text", "No mask here.");
    RUN_BAD("has no token-classification head", "--model", DEMO_DIR, "--task", "ner", "--text", "Paris");
    RUN_BAD("has no question-answering head", "--model", seqcls, "--task", "qa", "--question", "Q?", "--context", "C.");
    RUN_BAD("has no masked-LM head", "--model", v1, "--task", "fill-mask", "--ids", "1,2,3");
    RUN_BAD("cannot open", "--model", DEMO_DIR, "--task", "fill-mask", "--file", MODELS_DIR "/missing.txt");
    RUN_BAD("cannot open", "--model", MODELS_DIR "/missing", "--task", "embed", "--text", "x");
    RUN_BAD("unknown task", "--model", DEMO_DIR, "--task", "translate", "--text", "x");
    RUN_BAD("No mask_token ([MASK])", "--model", DEMO_DIR, "--text", "x"); /* the task from config.json */
    RUN_BAD("hf download", "--model", "microsoft/deberta-v3-base", "--text", "x");
    RUN_BAD("not a comma-separated list", "--model", v1, "--task", "classify", "--ids", "1,x,3");
    RUN_BAD("outside the vocabulary", "--model", v1, "--task", "classify", "--ids", "1,500,3");
    RUN_BAD("no tokenizer", "--model", v1, "--task", "classify", "--text", "hello");
    RUN_BAD("does not belong to this model", "--model", v1, "--tokenizer", DEMO_DIR, "--task", "classify", "--text",
            "hello");
    RUN_BAD("--mask-id N", "--model", model_folder("v1_mlm"), "--task", "fill-mask", "--ids", "1,2,3");
    RUN_BAD("nli takes --pair", "--model", seqcls, "--task", "nli", "--text", "one text");
    RUN_BAD("give one input", "--model", seqcls, "--task", "classify");
    RUN_BAD("at least two choices", "--model", MODELS_DIR "/mc", "--task", "choice", "--choices", "only one");
    RUN_BAD("empty context", "--model", qa, "--task", "qa", "--question", "Where?", "--context", " ");
    RUN_BAD("empty text in a pair", "--model", seqcls, "--task", "nli", "--pair", "A man eats.", "");
    RUN_BAD("needs an integer", "--model", DEMO_DIR, "--task", "fill-mask", "--text", "[MASK]", "--top-k", "0");
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
    free(last_out);
    last_out = NULL;
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
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    const struct CMUnitTest cli_tests[] = {
        cmocka_unit_test(test_cli_fill_mask),
        cmocka_unit_test(test_cli_text_tasks),
        cmocka_unit_test(test_cli_ids),
        cmocka_unit_test(test_cli_bad_input),
    };
    if (setup(NULL) != 0)
        return 1;
    int cli_failed = cmocka_run_group_tests_name("debertacl run", cli_tests, cli_setup, NULL);
    teardown(NULL);
    return failed + cli_failed;
}
