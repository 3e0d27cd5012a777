/* SPDX-License-Identifier: Apache-2.0 */
/* The `debertacl run` command for every task in both output modes, on head models made from the
 * fixtures and on the demo model (the built program is run as a child process). */
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heads_common.h"

#define DEMO_DIR DCL_TEST_DATA_DIR "/demo"
#define CLI DCL_TEST_BINARY_DIR "/../tools/debertacl"

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
    char m[6][1024];
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

int main(void)
{
    dcl_test_require_device();
    const struct CMUnitTest cli_tests[] = {
        cmocka_unit_test(test_cli_fill_mask),
        cmocka_unit_test(test_cli_text_tasks),
        cmocka_unit_test(test_cli_ids),
        cmocka_unit_test(test_cli_bad_input),
    };
    if (setup(NULL) != 0)
        return 1;
    int failed = cmocka_run_group_tests_name("debertacl run", cli_tests, cli_setup, NULL);
    teardown(NULL);
    return failed;
}
