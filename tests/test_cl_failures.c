/* SPDX-License-Identifier: Apache-2.0 */
/* OpenCL failures in model loading and the forward pass: clCreateBuffer, clRetainMemObject,
 * clReleaseMemObject and clFinish are wrapped at link time (-Wl,--wrap) to count live buffers and
 * to fail a chosen call. A failed load must leave no buffer alive; a failing clFinish must turn
 * into an error status, never into success with unfinished or lost work. */
#include <sys/stat.h>
#include <unistd.h>

#include <CL/cl.h>

#include "fixtures.h"

cl_mem __real_clCreateBuffer(cl_context c, cl_mem_flags f, size_t n, void *host, cl_int *err);
cl_int __real_clRetainMemObject(cl_mem m);
cl_int __real_clReleaseMemObject(cl_mem m);
cl_int __real_clFinish(cl_command_queue q);

static long g_live;         /* buffers created or retained minus released */
static long g_creates;      /* clCreateBuffer calls */
static long g_fail_create;  /* 1-based create call to fail; 0: none */
static long g_finishes;     /* clFinish calls */
static long g_fail_finish;  /* 1-based clFinish call to fail; 0: none */

cl_mem __wrap_clCreateBuffer(cl_context c, cl_mem_flags f, size_t n, void *host, cl_int *err)
{
    if (++g_creates == g_fail_create) {
        if (err)
            *err = CL_MEM_OBJECT_ALLOCATION_FAILURE;
        return NULL;
    }
    cl_mem m = __real_clCreateBuffer(c, f, n, host, err);
    if (m)
        g_live++;
    return m;
}

cl_int __wrap_clRetainMemObject(cl_mem m)
{
    cl_int e = __real_clRetainMemObject(m);
    if (e == CL_SUCCESS)
        g_live++;
    return e;
}

cl_int __wrap_clReleaseMemObject(cl_mem m)
{
    cl_int e = __real_clReleaseMemObject(m);
    if (e == CL_SUCCESS)
        g_live--;
    return e;
}

cl_int __wrap_clFinish(cl_command_queue q)
{
    cl_int e = __real_clFinish(q);
    if (++g_finishes == g_fail_finish)
        return CL_OUT_OF_RESOURCES;
    return e;
}

static dcl_context *ctx;
static char tmp[64];

/* tmp/<name>: fixture model `src` with `drop` removed from its safetensors header. */
static const char *without(const char *src, const char *name, const char *drop)
{
    static char dir[256];
    snprintf(dir, sizeof dir, "%s/%s", tmp, name);
    mkdir(dir, 0755);
    char from[512], to[512], *all, *cfg;
    size_t n, cn;
    snprintf(from, sizeof from, "models/%s/config.json", src);
    assert_int_equal(dcl_read_file(NULL, fx_path(from), &cfg, &cn), DCL_OK);
    snprintf(to, sizeof to, "%s/config.json", dir);
    assert_int_equal(dcl_write_file_atomic(NULL, to, cfg, cn), DCL_OK);
    free(cfg);
    snprintf(from, sizeof from, "models/%s/model.safetensors", src);
    assert_int_equal(dcl_read_file(NULL, fx_path(from), &all, &n), DCL_OK);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | (unsigned char)all[i];
    cJSON *h = cJSON_ParseWithLength(all + 8, (size_t)hlen);
    assert_non_null(cJSON_GetObjectItem(h, drop));
    cJSON_DeleteItemFromObject(h, drop);
    char *text = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    size_t tl = strlen(text), dl = n - 8 - (size_t)hlen;
    char *out = malloc(8 + tl + dl);
    for (int i = 0; i < 8; i++)
        out[i] = (char)((tl >> (8 * i)) & 0xff);
    memcpy(out + 8, text, tl);
    memcpy(out + 8 + tl, all + 8 + hlen, dl);
    snprintf(to, sizeof to, "%s/model.safetensors", dir);
    assert_int_equal(dcl_write_file_atomic(NULL, to, out, 8 + tl + dl), DCL_OK);
    free(out);
    free(text);
    free(all);
    return dir;
}

/* A failed load leaked the relative-position projections it had uploaded for the layer. */
static void test_failed_load_frees_position_projections(void **state)
{
    (void)state;
    static const struct { const char *src, *drop; } cases[] = {
        {"v1_base", "encoder.layer.0.attention.self.pos_q_proj.bias"},
        {"v1_base", "encoder.layer.1.attention.self.pos_q_proj.weight"},
        {"v2_c2p", "encoder.layer.1.attention.self.pos_key_proj.bias"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "drop%zu", i);
        const char *dir = without(cases[i].src, name, cases[i].drop);
        long live = g_live;
        dcl_model *m = NULL;
        assert_int_equal(dcl_model_load(ctx, dir, NULL, &m), DCL_ERR_FORMAT);
        assert_null(m);
        assert_non_null(strstr(dcl_last_error(), cases[i].drop));
        if (g_live != live)
            fail_msg("%s without %s: %ld buffers left alive", cases[i].src, cases[i].drop, g_live - live);
    }
}

/* Every clCreateBuffer of a load failing in turn: an error, and no buffer left. */
static void test_load_buffer_failures(void **state)
{
    (void)state;
    static const char *const models[] = {"v1_base", "v2_c2p", "v3"};
    for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
        char rel[64];
        snprintf(rel, sizeof rel, "models/%s", models[k]);
        long n;
        for (n = 1;; n++) {
            long live = g_live;
            g_creates = 0;
            g_fail_create = n;
            dcl_model *m = NULL;
            dcl_status st = dcl_model_load(ctx, fx_path(rel), NULL, &m);
            g_fail_create = 0;
            if (g_creates < n) {
                assert_int_equal(st, DCL_OK);
                dcl_model_free(m);
                assert_int_equal(g_live, live);
                break;
            }
            if (st != DCL_ERR_DEVICE_MEMORY && st != DCL_ERR_OPENCL)
                fail_msg("%s, buffer %ld failing: %s", models[k], n, dcl_status_string(st));
            assert_null(m);
            if (g_live != live)
                fail_msg("%s, buffer %ld failing: %ld buffers left alive", models[k], n, g_live - live);
        }
        printf("%s: %ld buffer failures, nothing left alive\n", models[k], n - 1);
    }
}

/* A failing clFinish is an error of the call that waited. */
static void test_finish_failures(void **state)
{
    (void)state;
    /* load: the wait for the relative-position projections */
    g_finishes = 0;
    g_fail_finish = 1;
    dcl_model *m = NULL;
    dcl_status st = dcl_model_load(ctx, fx_path("models/v3"), NULL, &m);
    g_fail_finish = 0;
    assert_true(g_finishes >= 1);
    assert_int_equal(st, DCL_ERR_OPENCL);
    assert_null(m);
    assert_non_null(strstr(dcl_last_error(), "clFinish"));
    assert_int_equal(dcl_model_load(ctx, fx_path("models/v3"), NULL, &m), DCL_OK);

    /* encode: each of its waits in turn */
    fx_input in = fx_load_input("cases/v3/single.json");
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = in.B;
    sp.max_length = in.L;
    dcl_session *s = NULL;
    assert_int_equal(dcl_session_create(m, &sp, &s), DCL_OK);
    dcl_batch b = {in.B, in.L, in.ids, in.mask, in.types, NULL};
    g_finishes = 0;
    assert_int_equal(dcl_encode(s, &b, NULL), DCL_OK);
    long waits = g_finishes;
    for (long n = 1; n <= waits; n++) {
        g_finishes = 0;
        g_fail_finish = n;
        st = dcl_encode(s, &b, NULL);
        g_fail_finish = 0;
        if (st != DCL_ERR_OPENCL)
            fail_msg("clFinish %ld of %ld failing: %s", n, waits, dcl_status_string(st));
        assert_non_null(strstr(dcl_last_error(), "clFinish"));
    }
    printf("encode: %ld waits, each failure reported\n", waits);
    assert_int_equal(dcl_encode(s, &b, NULL), DCL_OK);
    dcl_session_free(s);
    fx_free_input(&in);
    dcl_model_free(m);
}

static int setup(void **state)
{
    (void)state;
    dcl_test_require_device();
    snprintf(tmp, sizeof tmp, "%s/clfail_XXXXXX", DCL_TEST_BINARY_DIR);
    if (!mkdtemp(tmp))
        return -1;
    ctx = dcl_test_context(NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dcl_context_free(ctx);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_failed_load_frees_position_projections),
        cmocka_unit_test(test_load_buffer_failures),
        cmocka_unit_test(test_finish_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
