/* SPDX-License-Identifier: Apache-2.0 */
/* The threading contract: threads share a context, a model and a tokenizer, each with its own
 * session. Eight threads that start together must give outputs bit-identical to one thread;
 * eight threads that load models on one cold context at once must build each program once, as
 * one thread does. Run under -DDCL_SANITIZE=thread for TSan. */
#include <pthread.h>
#include <string.h>

#include "fixtures.h"

#define THREADS 8
#define ROUNDS 3

typedef struct job {
    dcl_context *ctx;   /* with model NULL: the thread loads its own model on this context */
    const char *model_dir;
    dcl_model *model;
    const dcl_tokenizer *tok; /* shared: each thread encodes the same text */
    dcl_encoding *enc;
    const fx_input *in;
    pthread_barrier_t *start;
    float *hidden, *logits; /* the last round's outputs */
    size_t hidden_n, logits_n;
    dcl_status st;
    char error[256];
} job;

static void fail_job(job *j, dcl_status st, const char *what)
{
    j->st = st;
    snprintf(j->error, sizeof j->error, "%s: %s", what, dcl_last_error());
}

/* Session create, encode (hidden states) and the sequence-classification head, ROUNDS times. */
static void *run(void *arg)
{
    job *j = arg;
    if (j->start)
        pthread_barrier_wait(j->start);
    static const char text[] = "Threads share a tokenizer: caf\xC3\xA9, na\xC3\xAFve [MASK] text.";
    if (dcl_tokenizer_encode(j->tok, text, sizeof text - 1, NULL, &j->enc) != DCL_OK) {
        fail_job(j, DCL_ERR_INTERNAL, "dcl_tokenizer_encode");
        return NULL;
    }
    dcl_model *own = NULL;
    if (!j->model) {
        dcl_status st = dcl_model_load(j->ctx, j->model_dir, NULL, &own);
        if (st != DCL_OK) {
            fail_job(j, st, "dcl_model_load");
            return NULL;
        }
        j->model = own;
    }
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = j->in->B;
    sp.max_length = j->in->L;
    dcl_session *s = NULL;
    dcl_status st = dcl_session_create(j->model, &sp, &s);
    if (st != DCL_OK) {
        fail_job(j, st, "dcl_session_create");
        dcl_model_free(own);
        return NULL;
    }
    dcl_batch b = {j->in->B, j->in->L, j->in->ids, j->in->mask, j->in->types, NULL};
    for (int r = 0; r < ROUNDS && st == DCL_OK; r++) {
        dcl_outputs o = {j->hidden, NULL, NULL};
        if ((st = dcl_encode(s, &b, &o)) != DCL_OK)
            fail_job(j, st, "dcl_encode");
        else if ((st = dcl_classify(s, &b, j->logits)) != DCL_OK)
            fail_job(j, st, "dcl_classify");
    }
    dcl_session_free(s);
    dcl_model_free(own);
    return NULL;
}

/* A fresh context (cache off: every program is built cold); runs n threads at once on one model
 * (shared) or on one model each, loaded by the threads. */
static void run_threads(int n, int shared, const fx_input *in, job *jobs, dcl_cache_stats *stats)
{
    dcl_context *ctx = dcl_test_context(NULL);
    dcl_model *m = NULL;
    assert_int_equal(dcl_model_load(ctx, fx_path("models/v3_seqcls"), NULL, &m), DCL_OK);
    dcl_model_info info;
    assert_int_equal(dcl_model_get_info(m, &info), DCL_OK);
    if (!shared) { /* only the sizes were wanted: the threads start from a cold cache */
        dcl_model_free(m);
        dcl_context_free(ctx);
        ctx = dcl_test_context(NULL);
        m = NULL;
    }
    dcl_tokenizer *tok = NULL;
    assert_int_equal(dcl_tokenizer_load(DCL_TEST_DATA_DIR "/tokenizer/spm_v3", &tok), DCL_OK);
    pthread_barrier_t start;
    assert_int_equal(pthread_barrier_init(&start, NULL, (unsigned)n), 0);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", fx_path("models/v3_seqcls")); /* fx_path's buffer is not per thread */
    pthread_t tid[THREADS];
    for (int t = 0; t < n; t++) {
        memset(&jobs[t], 0, sizeof jobs[t]);
        jobs[t].ctx = ctx;
        jobs[t].model_dir = dir;
        jobs[t].model = m;
        jobs[t].tok = tok;
        jobs[t].in = in;
        jobs[t].start = &start;
        jobs[t].hidden_n = (size_t)in->B * in->L * info.hidden_size;
        jobs[t].logits_n = (size_t)in->B * info.num_labels;
        jobs[t].hidden = calloc(jobs[t].hidden_n, sizeof(float));
        jobs[t].logits = calloc(jobs[t].logits_n, sizeof(float));
        assert_int_equal(pthread_create(&tid[t], NULL, run, &jobs[t]), 0);
    }
    for (int t = 0; t < n; t++)
        assert_int_equal(pthread_join(tid[t], NULL), 0);
    pthread_barrier_destroy(&start);
    for (int t = 0; t < n; t++)
        if (jobs[t].st != DCL_OK)
            fail_msg("thread %d: %s", t, jobs[t].error);
    dcl_tokenizer_free(tok);
    assert_int_equal(dcl_context_cache_stats(ctx, stats), DCL_OK);
    dcl_model_free(m);
    dcl_context_free(ctx);
}

static void check(int shared)
{
    fx_input in = fx_load_input("cases/v3_seqcls/batch.json");
    job one, many[THREADS];
    dcl_cache_stats s1, s8;
    run_threads(1, shared, &in, &one, &s1);
    run_threads(THREADS, shared, &in, many, &s8);
    for (int t = 0; t < THREADS; t++) {
        assert_memory_equal(many[t].hidden, one.hidden, one.hidden_n * sizeof(float));
        assert_memory_equal(many[t].logits, one.logits, one.logits_n * sizeof(float));
        assert_int_equal(many[t].enc->length, one.enc->length);
        assert_memory_equal(many[t].enc->ids, one.enc->ids, one.enc->length * sizeof *one.enc->ids);
        dcl_encoding_free(many[t].enc);
        free(many[t].hidden);
        free(many[t].logits);
    }
    printf("%d threads x %d rounds, %s: bit-identical to one thread; programs built: %u (one thread: %u)\n",
           THREADS, ROUNDS, shared ? "one shared model" : "a model each on one context", (unsigned)s8.builds,
           (unsigned)s1.builds);
    assert_int_equal(s8.builds, s1.builds);
    free(one.hidden);
    free(one.logits);
    dcl_encoding_free(one.enc);
    fx_free_input(&in);
}

static void test_shared_model(void **state)
{
    (void)state;
    check(1);
}

static void test_shared_context_cold(void **state)
{
    (void)state;
    check(0);
}

int main(void)
{
    dcl_test_require_device();
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_shared_model), cmocka_unit_test(test_shared_context_cold)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
