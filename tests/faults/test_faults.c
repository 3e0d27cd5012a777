/* SPDX-License-Identifier: Apache-2.0 */
/* Fault injection: a small model's context creation, load, session, forward and heads (and a
 * tokenizer's load and encode) are run once to count the wrapped calls they make (OpenCL,
 * CLBlast, allocations; faults_wrap.c), then once more for every N, failing the N-th call. Each
 * faulted run must return an error status with a message (or, when the failure was tolerated,
 * DCL_OK with outputs identical to the clean run's), never crash or hang, and leave no live
 * OpenCL object and no heap block of ours behind.
 * Arguments: [scenario] (run only that one). $DCL_FAULTS_STRIDE=k tries every k-th N only,
 * $DCL_FAULTS_FIRST=n starts at n, $DCL_FAULTS_VERBOSE prints every run's outcome,
 * $DCL_FAULTS_ONLY=prefix counts and fails only the functions whose name starts with it,
 * $DCL_FAULTS_TRAP=n calls fault_trap() at call n (a debugger's breakpoint). */
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "faults.h"
#include "test_common.h"
#include "util.h"

void *__wrap_malloc(size_t n);
void __wrap_free(void *p);

enum { B = 1, L = 9, H = 32, NL = 2, NH = 4, V = 128 };
static const int32_t ids[B * L] = {1, 34, 22, 85, 2, 103, 54, 16, 2};

typedef struct outputs {
    float last[B * L * H], hidden[NL + 1][B * L * H], attn[NL][B * NH * L * L];
    float heads[B * L * V];
    float embed[B * H];
} outputs;

typedef struct scenario {
    const char *name;
    const char *model;  /* under tests/data/reference/models, or NULL: a tokenizer scenario */
    const char *tokenizer; /* under tests/data/tokenizer */
    dcl_status (*head)(dcl_session *s, const dcl_batch *b, outputs *o);
} scenario;

static char cache_dir[1024];

static dcl_status head_mlm(dcl_session *s, const dcl_batch *b, outputs *o)
{
    dcl_status st = dcl_mlm_logits(s, b, NULL, B * L, DCL_EMD_OFF, o->heads);
    if (st == DCL_OK)
        st = dcl_embed(s, b, DCL_POOL_MEAN, 1, o->embed);
    return st;
}

static dcl_status head_classify(dcl_session *s, const dcl_batch *b, outputs *o)
{
    return dcl_classify(s, b, o->heads);
}

static dcl_status head_embed(dcl_session *s, const dcl_batch *b, outputs *o)
{
    return dcl_embed(s, b, DCL_POOL_FIRST, 0, o->embed);
}

static dcl_status head_tokcls(dcl_session *s, const dcl_batch *b, outputs *o)
{
    return dcl_token_classify(s, b, o->heads);
}

static dcl_status head_qa(dcl_session *s, const dcl_batch *b, outputs *o)
{
    return dcl_qa_logits(s, b, o->heads, o->heads + B * L);
}

/* One run of a model scenario; everything it creates is freed before it returns. */
static dcl_status run_model(const scenario *sc, outputs *o)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/reference/models/%s", DCL_TEST_DATA_DIR, sc->model);
    dcl_context_params cp = dcl_context_default_params();
    cp.device = getenv("DEBERTACL_DEVICE");
    cp.cache_dir = cache_dir;
    dcl_context *ctx = NULL;
    dcl_model *model = NULL;
    dcl_session *s = NULL;
    dcl_status st = dcl_context_create(&cp, &ctx);
    if (st == DCL_OK)
        st = dcl_model_load(ctx, path, NULL, &model);
    if (st == DCL_OK) {
        dcl_session_params sp = dcl_session_default_params();
        sp.max_batch = B;
        sp.max_length = 16;
        st = dcl_session_create(model, &sp, &s);
    }
    if (st == DCL_OK) {
        float *hidden[NL + 1] = {o->hidden[0], o->hidden[1], o->hidden[2]}, *attn[NL] = {o->attn[0], o->attn[1]};
        const dcl_outputs out = {o->last, hidden, attn};
        const dcl_batch b = {B, L, ids, NULL, NULL, NULL};
        st = dcl_encode(s, &b, &out);
        if (st == DCL_OK)
            st = sc->head(s, &b, o);
    }
    dcl_session_free(s);
    dcl_model_free(model);
    dcl_context_free(ctx);
    return st;
}

/* One run of a tokenizer scenario: load, encode a pair with truncation and padding, decode. */
static dcl_status run_tokenizer(const scenario *sc, outputs *o)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tokenizer/%s", DCL_TEST_DATA_DIR, sc->tokenizer);
    static const char text[] = "Hello [MASK] world! Ünïcödé\tand   spaces, 12345 ...", pair[] = "a pair";
    dcl_tokenizer *tok = NULL;
    dcl_encoding *enc = NULL;
    char *back = NULL;
    size_t len = 0;
    dcl_status st = dcl_tokenizer_load(path, &tok);
    if (st == DCL_OK) {
        dcl_tokenize_params p = dcl_tokenize_default_params();
        p.truncation = DCL_TRUNCATE_LONGEST_FIRST;
        p.max_length = 24;
        p.padding = DCL_PAD_MAX_LENGTH;
        p.pad_to = 32;
        st = dcl_tokenizer_encode_pair(tok, text, sizeof text - 1, pair, sizeof pair - 1, &p, &enc);
    }
    if (st == DCL_OK)
        st = dcl_tokenizer_decode(tok, enc->ids, enc->length, 1, &back, &len);
    if (st == DCL_OK) { /* the results go into the float outputs, to be compared with the clean run */
        memset(o, 0, sizeof *o);
        for (size_t i = 0; i < enc->length && i < sizeof o->heads / sizeof *o->heads; i++)
            o->heads[i] = (float)enc->ids[i] + 1000.0f * (float)enc->offsets[2 * i];
        for (size_t i = 0; i < len && i < sizeof o->last / sizeof *o->last; i++)
            o->last[i] = (float)(unsigned char)back[i];
    }
    dcl_string_free(back);
    dcl_encoding_free(enc);
    dcl_tokenizer_free(tok);
    return st;
}

static dcl_status run(const scenario *sc, outputs *o)
{
    memset(o, 0, sizeof *o);
    dcl_clear_error(); /* so that a failure without a message of its own is seen */
    return sc->model ? run_model(sc, o) : run_tokenizer(sc, o);
}

static long defects; /* failure points that broke a rule, in this scenario */

#define DEFECT(...)                                                                                          \
    do {                                                                                                     \
        print_error(__VA_ARGS__);                                                                            \
        defects++;                                                                                           \
    } while (0)

/* Checks that nothing is left alive since base, then makes the current state the base. */
static void check_clean(const char *what, long n, fault_stats *base)
{
    fault_stats f = fault_get();
    const char *fn = f.injected_fn ? f.injected_fn : "none";
    if (f.live_objects != base->live_objects) {
        fault_dump_live();
        DEFECT("%s, failing call %ld (%s): %ld OpenCL objects left alive\n", what, n, fn,
               f.live_objects - base->live_objects);
    }
    if (f.live_blocks != base->live_blocks || f.live_bytes != base->live_bytes) {
        if (getenv("DCL_FAULTS_VERBOSE"))
            fault_dump_live();
        DEFECT("%s, failing call %ld (%s): %ld heap blocks (%zd bytes) leaked\n", what, n, fn,
               f.live_blocks - base->live_blocks, (ssize_t)(f.live_bytes - base->live_bytes));
    }
    *base = f;
}

/* Index of the first output value that differs from the clean run beyond float rounding, or -1.
 * A tolerated failure of an optional device query may select another (equally valid) GEMM path,
 * hence not bit-for-bit; the tokenizer's integer outputs must match exactly. */
static long first_difference(const outputs *a, const outputs *b)
{
    const float *x = (const float *)a, *y = (const float *)b;
    for (size_t i = 0; i < sizeof *a / sizeof(float); i++)
        if (!(fabsf(x[i] - y[i]) <= 1e-4f + 1e-4f * fabsf(x[i])))
            return (long)i;
    return -1;
}

static void run_faults(const scenario *sc)
{
    static outputs clean, faulted;
    snprintf(cache_dir, sizeof cache_dir, "%s/cache_%s", DCL_TEST_BINARY_DIR, sc->name);
    /* a first run fills the program cache on disk and any lazily made global state */
    dcl_status st = run(sc, &clean);
    if (st != DCL_OK)
        fail_msg("%s: clean run: %s: %s", sc->name, dcl_status_string(st), dcl_last_error());
    fault_stats base = fault_get();
    defects = 0;
    fault_arm(0);
    st = run(sc, &clean);
    fault_disarm();
    const long count = fault_get().calls;
    assert_int_equal(st, DCL_OK);
    check_clean(sc->name, 0, &base);

    printf("%s: %ld wrapped calls per run\n", sc->name, count);
    fflush(stdout);
    const int verbose = getenv("DCL_FAULTS_VERBOSE") != NULL;
    long stride = getenv("DCL_FAULTS_STRIDE") ? atol(getenv("DCL_FAULTS_STRIDE")) : 1;
    if (stride < 1)
        stride = 1;
    long tried = 0, errors = 0, tolerated = 0;
    const long first = getenv("DCL_FAULTS_FIRST") ? atol(getenv("DCL_FAULTS_FIRST")) : 1;
    for (long n = first > 0 ? first : 1; n <= count; n += stride) {
        fault_arm(n);
        st = run(sc, &faulted);
        fault_disarm();
        fault_stats f = fault_get();
        tried++;
        if (verbose)
            printf("%ld %s %s\n", n, f.injected_fn ? f.injected_fn : "-", dcl_status_string(st));
        if (!f.injected_fn)
            fail_msg("%s: call %ld of %ld was not reached (the run is not deterministic)", sc->name, n, count);
        if (st != DCL_OK) {
            errors++;
            if (!dcl_last_error()[0])
                DEFECT("%s, failing call %ld (%s): %s without a message\n", sc->name, n, f.injected_fn,
                       dcl_status_string(st));
        } else {
            /* a tolerated failure must not change any output */
            tolerated++;
            long bad = first_difference(&clean, &faulted);
            if (bad >= 0)
                DEFECT("%s, failing call %ld (%s): DCL_OK but output value %ld differs from the clean run\n",
                       sc->name, n, f.injected_fn, bad);
        }
        check_clean(sc->name, n, &base);
    }
    printf("%s: %ld wrapped calls per run; %ld failure points tried: %ld errors, %ld tolerated\n", sc->name, count,
           tried, errors, tolerated);
    if (defects)
        fail_msg("%s: %ld failure points broke the rules (listed above)", sc->name, defects);
}

static const scenario scenarios[] = {
    {"v3_mlm", "v3_mlm", NULL, head_mlm},
    {"v1_seqcls", "v1_seqcls", NULL, head_classify},
    {"v2_conv_embed", "v2_conv", NULL, head_embed},
    {"v3_tokcls", "v3_tokcls", NULL, head_tokcls},
    {"v3_qa", "v3_qa", NULL, head_qa},
    {"tokenizer_spm", NULL, "spm_nobf", NULL},
    {"tokenizer_bpe", NULL, "bpe_v1", NULL},
};
#define NSCEN (sizeof scenarios / sizeof *scenarios)

static void test_scenario(void **state)
{
    run_faults((const scenario *)*state);
}

static void quiet(dcl_log_level level, const char *message, void *user)
{
    (void)level;
    (void)message;
    (void)user;
}

int main(int argc, char **argv)
{
    /* cJSON's allocations are the library's too */
    cJSON_Hooks hooks = {__wrap_malloc, __wrap_free};
    cJSON_InitHooks(&hooks);
    dcl_set_log_callback(quiet, NULL, DCL_LOG_ERROR);

    struct CMUnitTest tests[NSCEN];
    size_t n = 0;
    int need_device = 0;
    for (size_t i = 0; i < NSCEN; i++) {
        if (argc > 1 && strcmp(argv[1], scenarios[i].name) != 0)
            continue;
        need_device |= scenarios[i].model != NULL;
        struct CMUnitTest t = {scenarios[i].name, test_scenario, NULL, NULL, (void *)&scenarios[i]};
        tests[n++] = t;
    }
    if (n == 0) {
        fprintf(stderr, "test_faults: no scenario named %s\n", argv[1]);
        return 2;
    }
    if (need_device)
        dcl_test_require_device();
    return _cmocka_run_group_tests("faults", tests, n, NULL, NULL);
}
