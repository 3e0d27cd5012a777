/* SPDX-License-Identifier: Apache-2.0 */
/* Pipelines against transformers' pipelines (tests/data/pipelines/cases.json, made by
 * tools/reference/make_pipeline_fixtures.py): scores within the fixture's tolerance, labels,
 * tokens, words, spans and answer texts exactly. Only the public header is used. */
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_common.h"

#define PL_DIR DCL_TEST_DATA_DIR "/pipelines"
#define REPO_DIR DCL_TEST_DATA_DIR "/../.."

static dcl_context *ctx;
static cJSON *doc;
static double tol;

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static int setup(void **state)
{
    (void)state;
    dcl_test_require_device();
    ctx = dcl_test_context(NULL);
    char *text = read_all(PL_DIR "/cases.json");
    doc = cJSON_Parse(text);
    free(text);
    assert_non_null(doc);
    tol = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "tolerance"), "score")->valuedouble;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cJSON_Delete(doc);
    dcl_context_free(ctx);
    return 0;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int jint(const cJSON *o, const char *k, int def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? (int)v->valuedouble : cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

static dcl_pipeline *open_case(const cJSON *c, const char **targets, dcl_pipeline_params *pp)
{
    char model[1024], tokdir[1024];
    snprintf(model, sizeof model, PL_DIR "/models/%s", jstr(c, "model"));
    snprintf(tokdir, sizeof tokdir, REPO_DIR "/%s", jstr(c, "tokenizer"));
    const cJSON *o = cJSON_GetObjectItem(c, "options");
    *pp = dcl_pipeline_default_params();
    assert_int_equal(dcl_task_from_name(jstr(c, "task"), &pp->task), DCL_OK);
    pp->tokenizer_dir = tokdir;
    pp->batch = 2; /* several batches, padded */
    pp->top_k = jint(o, "top_k", 0);
    pp->max_length = jint(o, "max_length", 0);
    pp->doc_stride = jint(o, "doc_stride", 0);
    pp->handle_impossible_answer = jint(o, "handle_impossible_answer", 0);
    pp->align_to_words = jint(o, "align_to_words", 1);
    pp->multi_label = jint(o, "multi_label", 0);
    pp->hypothesis_template = jstr(o, "hypothesis_template");
    const char *agg = jstr(o, "aggregation"), *fn = jstr(o, "function"), *pool = jstr(o, "pooling");
    static const char *const aggs[] = {"none", "simple", "first", "average", "max"};
    for (int i = 0; agg && i < 5; i++)
        if (!strcmp(agg, aggs[i]))
            pp->aggregation = (dcl_aggregation)i;
    if (fn)
        pp->function = !strcmp(fn, "none") ? DCL_FUNCTION_NONE : !strcmp(fn, "sigmoid") ? DCL_FUNCTION_SIGMOID
                                                                                      : DCL_FUNCTION_SOFTMAX;
    if (pool)
        pp->pooling = !strcmp(pool, "first") ? DCL_POOL_FIRST : DCL_POOL_MEAN;
    const cJSON *t = cJSON_GetObjectItem(o, "targets"), *it;
    int n = 0;
    cJSON_ArrayForEach(it, t) targets[n++] = it->valuestring;
    pp->targets = targets;
    pp->n_targets = n;
    dcl_pipeline *p = NULL;
    dcl_status st = dcl_pipeline_create(ctx, model, pp, &p);
    if (st != DCL_OK)
        fail_msg("%s: %s", model, dcl_last_error());
    return p;
}

static void check_score(double want, double got, const char *what, int ci, int i)
{
    if (fabs(want - got) > tol)
        fail_msg("case %d item %d %s: score %.7g, transformers %.7g", ci, i, what, got, want);
}

static void check_str(const char *want, const char *got, const char *what, int ci, int i)
{
    if (!want != !got || (want && strcmp(want, got)))
        fail_msg("case %d item %d: %s \"%s\", transformers \"%s\"", ci, i, what, got ? got : "(null)",
                 want ? want : "(null)");
}

static void check_result(const cJSON *c, int ci, const cJSON *exp, const dcl_result *r)
{
    const char *task = jstr(c, "task");
    if (r->status != DCL_OK)
        fail_msg("case %d: %s", ci, r->error);
    if (!strcmp(task, "feature-extraction")) {
        assert_int_equal(r->dim, cJSON_GetArraySize(exp));
        for (int i = 0; i < r->dim; i++)
            check_score(cJSON_GetArrayItem(exp, i)->valuedouble, r->values[i], "embedding", ci, i);
        return;
    }
    if (!strcmp(task, "fill-mask")) { /* [mask][prediction] */
        int k = 0;
        assert_int_equal(r->groups, cJSON_GetArraySize(exp));
        for (int m = 0; m < r->groups; m++) {
            const cJSON *x;
            cJSON_ArrayForEach(x, cJSON_GetArrayItem(exp, m))
            {
                assert_true(k < r->count);
                const dcl_result_item *it = &r->items[k++];
                assert_int_equal(it->group, m);
                assert_int_equal(it->index, jint(x, "token", -1));
                check_str(jstr(x, "token_str"), it->label, "token_str", ci, k);
                check_str(jstr(x, "sequence"), it->text, "sequence", ci, k);
                check_score(cJSON_GetObjectItem(x, "score")->valuedouble, it->score, "fill-mask", ci, k);
            }
        }
        assert_int_equal(k, r->count);
        return;
    }
    if (r->count != cJSON_GetArraySize(exp))
        fail_msg("case %d (%s): %d items, transformers %d", ci, task, r->count, cJSON_GetArraySize(exp));
    for (int i = 0; i < r->count; i++) {
        const cJSON *x = cJSON_GetArrayItem(exp, i);
        const dcl_result_item *it = &r->items[i];
        check_score(cJSON_GetObjectItem(x, "score")->valuedouble, it->score, task, ci, i);
        if (!strcmp(task, "question-answering")) {
            check_str(jstr(x, "answer"), it->text, "answer", ci, i);
            assert_int_equal(it->start, jint(x, "start", -2));
            assert_int_equal(it->end, jint(x, "end", -2));
            continue;
        }
        check_str(jstr(x, "label"), it->label, "label", ci, i);
        if (cJSON_GetObjectItem(x, "index"))
            assert_int_equal(it->index, jint(x, "index", -2));
        if (cJSON_GetObjectItem(x, "word")) {
            check_str(jstr(x, "word"), it->text, "word", ci, i);
            assert_int_equal(it->start, jint(x, "start", -2));
            assert_int_equal(it->end, jint(x, "end", -2));
        }
    }
}

static void test_cases(void **state)
{
    (void)state;
    const cJSON *c;
    int ci = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "cases"))
    {
        const char *targets[16];
        dcl_pipeline_params pp;
        dcl_pipeline *p = open_case(c, targets, &pp);
        const cJSON *ins = cJSON_GetObjectItem(c, "inputs"), *x;
        int n = cJSON_GetArraySize(ins), i = 0;
        dcl_pipeline_input in[8];
        const char *items[8][8];
        assert_true(n <= 8);
        memset(in, 0, sizeof in);
        cJSON_ArrayForEach(x, ins)
        {
            in[i].text = jstr(x, "text");
            in[i].pair = jstr(x, "pair");
            const cJSON *y;
            int k = 0;
            cJSON_ArrayForEach(y, cJSON_GetObjectItem(x, "items")) items[i][k++] = y->valuestring;
            in[i].items = k ? items[i] : NULL;
            in[i].n_items = k;
            i++;
        }
        dcl_result *res[8];
        dcl_status st = dcl_pipeline_run(p, in, n, res);
        if (st != DCL_OK)
            fail_msg("case %d: %s", ci, dcl_last_error());
        for (i = 0; i < n; i++) {
            check_result(c, ci, cJSON_GetArrayItem(cJSON_GetObjectItem(c, "expected"), i), res[i]);
            dcl_result_free(res[i]);
        }
        dcl_pipeline_free(p);
        ci++;
    }
    assert_true(ci >= 40);
}

static dcl_pipeline *open_model(const char *name, const char *tok, dcl_task task, int max_length)
{
    char model[1024], tokdir[1024];
    snprintf(model, sizeof model, PL_DIR "/models/%s", name);
    snprintf(tokdir, sizeof tokdir, REPO_DIR "/tests/data/tokenizer/%s", tok);
    dcl_pipeline_params pp = dcl_pipeline_default_params();
    pp.task = task;
    pp.tokenizer_dir = tokdir;
    pp.max_length = max_length;
    dcl_pipeline *p = NULL;
    if (dcl_pipeline_create(ctx, model, &pp, &p) != DCL_OK)
        fail_msg("%s: %s", model, dcl_last_error());
    return p;
}

/* The same answer and score from token ids and types as from text. */
static void test_qa_ids(void **state)
{
    (void)state;
    dcl_pipeline *p = open_model("v3_qa", "spm_v3", DCL_TASK_QUESTION_ANSWERING, 0);
    const char *q = "How much of the rainforest is in Brazil?", *c = "Brazil holds 60% of the Amazon rainforest.";
    dcl_tokenizer *tok = NULL;
    assert_int_equal(dcl_tokenizer_load(REPO_DIR "/tests/data/tokenizer/spm_v3", &tok), DCL_OK);
    dcl_encoding *e = NULL;
    assert_int_equal(dcl_tokenizer_encode_pair(tok, q, strlen(q), c, strlen(c), NULL, &e), DCL_OK);
    dcl_pipeline_input in[2];
    memset(in, 0, sizeof in);
    in[0].text = q;
    in[0].pair = c;
    in[1].ids = e->ids;
    in[1].types = e->token_type_ids;
    in[1].n_ids = (int)e->length;
    dcl_result *r[2];
    assert_int_equal(dcl_pipeline_run(p, in, 2, r), DCL_OK);
    assert_int_equal(r[0]->status, DCL_OK);
    assert_int_equal(r[1]->status, DCL_OK);
    assert_int_equal(r[0]->count, 1);
    assert_int_equal(r[1]->count, 1);
    assert_true(fabs(r[0]->items[0].score - r[1]->items[0].score) < 1e-6);
    /* ids: token positions; the same tokens as the text answer's characters */
    assert_int_equal(r[1]->items[0].start, r[1]->items[0].index);
    assert_true(e->offsets[2 * r[1]->items[0].start] <= (size_t)r[0]->items[0].start + 1);
    dcl_result_free(r[0]);
    dcl_result_free(r[1]);
    dcl_encoding_free(e);
    dcl_tokenizer_free(tok);
    dcl_pipeline_free(p);
}

/* Bad inputs get their own status and message; the others in the same run are answered. */
static void test_bad_inputs(void **state)
{
    (void)state;
    dcl_pipeline *p = open_model("v3_mlm", "spm_v3", DCL_TASK_AUTO, 0);
    assert_int_equal(dcl_pipeline_task(p), DCL_TASK_FILL_MASK); /* from config.json's architectures */
    char *long_text = malloc(20000);
    assert_non_null(long_text);
    long_text[0] = '\0';
    for (int i = 0; i < 700; i++)
        strcat(long_text, "word ");
    strcat(long_text, "[MASK].");
    dcl_pipeline_input in[4];
    memset(in, 0, sizeof in);
    in[0].text = "no mask here";
    in[1].text = "   ";
    in[2].text = long_text;
    in[3].text = "A [MASK] day.";
    dcl_result *r[4];
    assert_int_equal(dcl_pipeline_run(p, in, 4, r), DCL_OK);
    assert_int_equal(r[0]->status, DCL_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(r[0]->error, "[MASK]"));
    assert_int_equal(r[1]->status, DCL_ERR_INVALID_ARGUMENT);
    assert_int_equal(r[2]->status, DCL_ERR_RANGE);
    assert_non_null(strstr(r[2]->error, "max-length"));
    assert_int_equal(r[3]->status, DCL_OK);
    assert_int_equal(r[3]->count, 5);
    for (int i = 0; i < 4; i++)
        dcl_result_free(r[i]);
    free(long_text);
    dcl_pipeline_free(p);

    /* with max_length, the long text is truncated (and its mask with it: no mask left) */
    p = open_model("v3_mlm", "spm_v3", DCL_TASK_FILL_MASK, 64);
    assert_int_equal(dcl_pipeline_run(p, &in[3], 1, r), DCL_OK);
    assert_int_equal(r[0]->status, DCL_OK);
    dcl_result_free(r[0]);
    /* the message says that truncation removed the mask (it said there was none in the text) */
    char cut[600] = "";
    for (int i = 0; i < 100; i++)
        strcat(cut, "word ");
    strcat(cut, "[MASK].");
    in[2].text = cut;
    assert_int_equal(dcl_pipeline_run(p, &in[2], 1, r), DCL_OK);
    if (r[0]->status != DCL_ERR_INVALID_ARGUMENT || !strstr(r[0]->error, "truncat") ||
        !strstr(r[0]->error, "max-length"))
        fail_msg("%s", r[0]->error);
    dcl_result_free(r[0]);
    dcl_pipeline_free(p);

    /* a tokenizer that names no model_max_length: the model's max_position_embeddings (128) is the
     * limit (a relative-position model accepted any length), and the message names --max-length */
    char dir[] = DCL_TEST_BINARY_DIR "/pl_nomax_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[1100];
    snprintf(path, sizeof path, "%s/spm.model", dir);
    char *spm = NULL;
    long spm_len = 0;
    FILE *f = fopen(REPO_DIR "/tests/data/tokenizer/spm_v3/spm.model", "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    spm_len = ftell(f);
    fseek(f, 0, SEEK_SET);
    spm = malloc((size_t)spm_len);
    assert_int_equal(fread(spm, 1, (size_t)spm_len, f), (size_t)spm_len);
    fclose(f);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(spm, 1, (size_t)spm_len, f), (size_t)spm_len);
    fclose(f);
    free(spm);
    char model[1024];
    snprintf(model, sizeof model, PL_DIR "/models/v3_mlm");
    dcl_pipeline_params pp = dcl_pipeline_default_params();
    pp.task = DCL_TASK_FILL_MASK;
    pp.tokenizer_dir = dir;
    if (dcl_pipeline_create(ctx, model, &pp, &p) != DCL_OK)
        fail_msg("%s: %s", dir, dcl_last_error());
    char mid[1200] = "";
    for (int i = 0; i < 200; i++)
        strcat(mid, "word ");
    strcat(mid, "[MASK].");
    in[0].text = mid;
    assert_int_equal(dcl_pipeline_run(p, in, 1, r), DCL_OK);
    if (r[0]->status != DCL_ERR_RANGE || !strstr(r[0]->error, "(128)") || !strstr(r[0]->error, "max-length"))
        fail_msg("%s: %s", dcl_status_string(r[0]->status), r[0]->error ? r[0]->error : "");
    dcl_result_free(r[0]);
    dcl_pipeline_free(p);
    remove(path);
    rmdir(dir);
}

static void test_create_errors(void **state)
{
    (void)state;
    dcl_pipeline *p = NULL;
    dcl_pipeline_params pp = dcl_pipeline_default_params();
    assert_int_equal(dcl_pipeline_create(ctx, "microsoft/deberta-v3-base", &pp, &p), DCL_ERR_IO);
    assert_null(p);
    assert_non_null(strstr(dcl_last_error(), "download"));
    /* zero-shot needs an entailment label; a task needs its head */
    pp.task = DCL_TASK_ZERO_SHOT;
    pp.tokenizer_dir = REPO_DIR "/tests/data/tokenizer/spm_v3";
    assert_int_equal(dcl_pipeline_create(ctx, PL_DIR "/models/v3_multilabel", &pp, &p), DCL_ERR_UNSUPPORTED);
    assert_non_null(strstr(dcl_last_error(), "entail"));
    pp.task = DCL_TASK_QUESTION_ANSWERING;
    assert_int_equal(dcl_pipeline_create(ctx, PL_DIR "/models/v3_mlm", &pp, &p), DCL_ERR_UNSUPPORTED);
    assert_null(p);
    dcl_task t;
    assert_int_equal(dcl_task_from_name("ner", &t), DCL_OK);
    assert_int_equal(t, DCL_TASK_TOKEN_CLASSIFICATION);
    assert_int_equal(dcl_task_from_name("nope", &t), DCL_ERR_INVALID_ARGUMENT);
    dcl_result_free(NULL);
    dcl_pipeline_free(NULL);
}

/* ---- debertacl run: --file in batches keeps the order; zero-shot and rerank ---- */
#define CLI DCL_TEST_BINARY_DIR "/../tools/debertacl"
#define OUT_DIR DCL_TEST_BINARY_DIR "/pipeline_cli"

static char *run_cli(const char *args, int *rc)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' run %s > '%s/out.txt' 2> '%s/err.txt'", CLI, args, OUT_DIR, OUT_DIR);
    int status = system(cmd);
    assert_true(status != -1 && WIFEXITED(status));
    *rc = WEXITSTATUS(status);
    return read_all(OUT_DIR "/out.txt");
}

static void test_cli(void **state)
{
    (void)state;
    if (access(CLI, X_OK) != 0)
        skip();
    assert_int_equal(system("mkdir -p '" OUT_DIR "'"), 0);
    /* NLI pairs of very different lengths: batch 3 (sorted, padded) and batch 1 give the same
     * answers in the same order */
    FILE *f = fopen(OUT_DIR "/pairs.txt", "wb");
    assert_non_null(f);
    for (int i = 0; i < 11; i++) {
        for (int k = 0; k < 1 + (i * 7) % 11; k++)
            fputs("The quick brown fox jumps over the lazy dog. ", f);
        fputs(i % 2 ? "\tA fox jumps.\n" : "\tNothing happens at all today.\n", f);
    }
    fclose(f);
    const char *common = "--model '" PL_DIR "/models/v3_nli' --tokenizer '" REPO_DIR "/tests/data/tokenizer/spm_v3' "
                         "--task nli --json --file '" OUT_DIR "/pairs.txt'";
    char args[2048];
    int rc;
    snprintf(args, sizeof args, "%s --batch 1", common);
    char *one = run_cli(args, &rc);
    assert_int_equal(rc, 0);
    snprintf(args, sizeof args, "%s --batch 3", common);
    char *three = run_cli(args, &rc);
    assert_int_equal(rc, 0);
    char *a = one, *b = three;
    for (int line = 1; line <= 11; line++) {
        char *na = strchr(a, '\n'), *nb = strchr(b, '\n');
        assert_non_null(na);
        assert_non_null(nb);
        *na = *nb = '\0';
        cJSON *ja = cJSON_Parse(a), *jb = cJSON_Parse(b);
        assert_non_null(ja);
        assert_non_null(jb);
        assert_int_equal(jint(ja, "line", 0), line);
        assert_int_equal(jint(jb, "line", 0), line);
        assert_string_equal(jstr(ja, "label"), jstr(jb, "label"));
        double sa = cJSON_GetObjectItem(ja, "score")->valuedouble, sb = cJSON_GetObjectItem(jb, "score")->valuedouble;
        assert_true(fabs(sa - sb) < 1e-5);
        cJSON_Delete(ja);
        cJSON_Delete(jb);
        a = na + 1;
        b = nb + 1;
    }
    free(one);
    free(three);
    /* zero-shot through the command: the fixture's answer */
    const cJSON *c, *want = NULL;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "cases"))
    {
        if (!want && !strcmp(jstr(c, "task"), "zero-shot") && !strcmp(jstr(c, "model"), "v3_nli") &&
            !cJSON_GetObjectItem(cJSON_GetObjectItem(c, "options"), "hypothesis_template") &&
            !jint(cJSON_GetObjectItem(c, "options"), "multi_label", 0))
            want = c;
    }
    assert_non_null(want);
    const cJSON *in = cJSON_GetArrayItem(cJSON_GetObjectItem(want, "inputs"), 0);
    snprintf(args, sizeof args,
             "--model '" PL_DIR "/models/v3_nli' --tokenizer '" REPO_DIR "/tests/data/tokenizer/spm_v3' "
             "--task zero-shot --json --text '%s' --labels '%s,%s,%s'", jstr(in, "text"),
             cJSON_GetArrayItem(cJSON_GetObjectItem(in, "items"), 0)->valuestring,
             cJSON_GetArrayItem(cJSON_GetObjectItem(in, "items"), 1)->valuestring,
             cJSON_GetArrayItem(cJSON_GetObjectItem(in, "items"), 2)->valuestring);
    char *out = run_cli(args, &rc);
    assert_int_equal(rc, 0);
    cJSON *j = cJSON_Parse(out), *x;
    assert_non_null(j);
    int i = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "labels"))
    {
        const cJSON *e = cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItem(want, "expected"), 0), i++);
        assert_string_equal(jstr(x, "label"), jstr(e, "label"));
        assert_true(fabs(cJSON_GetObjectItem(x, "score")->valuedouble - cJSON_GetObjectItem(e, "score")->valuedouble) <
                    tol);
    }
    assert_int_equal(i, 3);
    cJSON_Delete(j);
    free(out);
    /* rerank: one document a line, the best first */
    f = fopen(OUT_DIR "/docs.txt", "wb");
    assert_non_null(f);
    fputs("Paris is the capital of France.\nDogs are loyal animals.\nFrance has many cities.\n", f);
    fclose(f);
    out = run_cli("--model '" PL_DIR "/models/v3_score' --tokenizer '" REPO_DIR "/tests/data/tokenizer/spm_v3' "
                  "--task rerank --json --query 'What is the capital of France?' --file '" OUT_DIR "/docs.txt'",
                  &rc);
    assert_int_equal(rc, 0);
    assert_non_null(j = cJSON_Parse(out));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "documents")), 3);
    cJSON_Delete(j);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_qa_ids),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_create_errors),
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
