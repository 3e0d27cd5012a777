/* SPDX-License-Identifier: Apache-2.0 */
/* Tuning on a device: the -D options reach the build and the cache key, CLBlast's per-device
 * parameters cannot be fought over by two contexts, and a short tuner run on a tiny model writes
 * a profile that loads and gives the default outputs within 1e-5. */
#include <dirent.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_common.h"

#include "fixtures.h"

static char tmp[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "%s/tuning_XXXXXX", DCL_TEST_BINARY_DIR);
    unsetenv("DEBERTACL_PROFILE_PATH");
    unsetenv("DEBERTACL_KERNEL_DIR");
    return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    unsetenv("DEBERTACL_PROFILE_PATH");
    unsetenv("DEBERTACL_KERNEL_DIR");
    return system(cmd) == 0 ? 0 : -1;
}

/* A path in the test's folder (a static buffer per call site: copy it when it must last). */
static const char *in_tmp(const char *name)
{
    static char p[600];
    snprintf(p, sizeof p, "%s/%s", tmp, name);
    return p;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int count_files(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strlen(e->d_name) > strlen(suffix) && !strcmp(e->d_name + strlen(e->d_name) - strlen(suffix), suffix))
            n++;
    closedir(d);
    return n;
}

static dcl_context *context(const char *cache, int profiling, dcl_status expect)
{
    dcl_context_params p = dcl_context_default_params();
    p.device = getenv("DEBERTACL_DEVICE");
    p.cache_dir = cache ? cache : "off";
    p.profiling = profiling;
    dcl_context *ctx = NULL;
    dcl_status st = dcl_context_create(&p, &ctx);
    if (st != expect)
        fail_msg("dcl_context_create: %s (expected %s): %s", dcl_status_string(st), dcl_status_string(expect),
                 dcl_last_error());
    return ctx;
}

/* A profile's LN_WG arrives as -DLN_WG in the build of layernorm.cl (a stand-in file that only
 * compiles with the right value) and in the program cache key. */
static void test_defines_reach_build_and_key(void **state)
{
    (void)state;
    char kdir[600], cache[600];
    snprintf(kdir, sizeof kdir, "%s", in_tmp("cl"));
    snprintf(cache, sizeof cache, "%s", in_tmp("cache"));
    assert_int_equal(mkdir(kdir, 0700), 0);
    char path[700];
    snprintf(path, sizeof path, "%s/layernorm.cl", kdir);
    write_text(path, "#if LN_WG != 8\n#error \"LN_WG is not 8\"\n#endif\n__kernel void probe(__global float *x) { x[0] = LN_WG; }\n");
    setenv("DEBERTACL_KERNEL_DIR", kdir, 1);

    write_text(in_tmp("p8.json"), "{\"parameters\": {\"LN_WG\": 8}}");
    setenv("DEBERTACL_PROFILE_PATH", in_tmp("p8.json"), 1);
    dcl_context *ctx = context(cache, 0, DCL_OK);
    char *json = NULL;
    assert_int_equal(dcl_context_tuning_json(ctx, 0, &json), DCL_OK);
    assert_non_null(strstr(json, "user:"));
    dcl_string_free(json);
    assert_int_equal(dcl_context_build_program(ctx, "layernorm", NULL, NULL), DCL_OK);
    dcl_cache_stats s;
    dcl_context_cache_stats(ctx, &s);
    assert_int_equal(s.builds, 1);
    dcl_context_free(ctx);
    int files = count_files(cache, ".clbin");
    assert_int_equal(files, 1);

    /* LN_WG 16: the same source does not compile (the option arrived), and no cache file of
     * the LN_WG 8 build is taken for it (the key differs) */
    write_text(in_tmp("p16.json"), "{\"parameters\": {\"LN_WG\": 16}}");
    setenv("DEBERTACL_PROFILE_PATH", in_tmp("p16.json"), 1);
    ctx = context(cache, 0, DCL_OK);
    assert_int_equal(dcl_context_build_program(ctx, "layernorm", NULL, NULL), DCL_ERR_BUILD);
    assert_non_null(strstr(dcl_context_last_error(ctx), "LN_WG is not 8"));
    assert_non_null(strstr(dcl_context_last_error(ctx), "-DLN_WG=16"));
    dcl_context_cache_stats(ctx, &s);
    assert_int_equal(s.disk_hits, 0);
    dcl_context_free(ctx);

    /* back to LN_WG 8: served from the disk cache */
    setenv("DEBERTACL_PROFILE_PATH", in_tmp("p8.json"), 1);
    ctx = context(cache, 0, DCL_OK);
    assert_int_equal(dcl_context_build_program(ctx, "layernorm", NULL, NULL), DCL_OK);
    dcl_context_cache_stats(ctx, &s);
    assert_int_equal(s.disk_hits, 1);
    assert_int_equal(s.builds, 0);
    dcl_context_free(ctx);
}

/* Bad profiles fail context creation with the file and field named. */
static void test_bad_profile_fails_context(void **state)
{
    (void)state;
    write_text(in_tmp("bad.json"), "{\"parameters\": {\"ATT_WG\": 4096}}");
    setenv("DEBERTACL_PROFILE_PATH", in_tmp("bad.json"), 1);
    context(NULL, 0, DCL_ERR_RANGE);
    assert_non_null(strstr(dcl_last_error(), "bad.json"));
    assert_non_null(strstr(dcl_last_error(), "ATT_WG"));
    write_text(in_tmp("bad.json"), "{\"parameters\": ");
    context(NULL, 0, DCL_ERR_FORMAT);
    assert_non_null(strstr(dcl_last_error(), "bad.json"));
}

/* CLBlast keeps one parameter set per device: a second live context that wants other CLBlast
 * parameters is refused; with the same profile, or once the first is gone, it is accepted. */
static void test_clblast_parameters_per_device(void **state)
{
    (void)state;
    dcl_context *a = context(NULL, 0, DCL_OK);
    dcl_context *same = context(NULL, 0, DCL_OK); /* same profile: fine */
    write_text(in_tmp("x.json"), "{\"parameters\": {\"GEMMK\": 0, \"KREG\": 1, \"KWG\": 16, \"KWI\": 2, \"MDIMA\": 2, "
                                 "\"MDIMC\": 2, \"MWG\": 16, \"NDIMB\": 2, \"NDIMC\": 2, \"NWG\": 16, \"SA\": 0, "
                                 "\"SB\": 0, \"STRM\": 0, \"STRN\": 0, \"VWM\": 4, \"VWN\": 4}}");
    setenv("DEBERTACL_PROFILE_PATH", in_tmp("x.json"), 1);
    context(NULL, 0, DCL_ERR_INVALID_ARGUMENT);
    assert_non_null(strstr(dcl_last_error(), "CLBlast"));
    assert_non_null(strstr(dcl_last_error(), "KWG=16"));
    dcl_context_free(a);
    context(NULL, 0, DCL_ERR_INVALID_ARGUMENT); /* `same` still holds the device */
    dcl_context_free(same);
    dcl_context *b = context(NULL, 0, DCL_OK); /* nobody else: its parameters go to CLBlast */
    char *json = NULL;
    assert_int_equal(dcl_context_tuning_json(b, 0, &json), DCL_OK);
    assert_non_null(strstr(json, "\"KWG\":\t16"));
    dcl_string_free(json);
    unsetenv("DEBERTACL_PROFILE_PATH");
    context(NULL, 0, DCL_ERR_INVALID_ARGUMENT); /* and now the shipped ones are the odd ones out */
    dcl_context_free(b);
}

/* Runs the v3 fixture encoder on its batch input. */
static float *encode(dcl_context *ctx, size_t *n)
{
    dcl_model *m = NULL;
    assert_int_equal(dcl_model_load(ctx, fx_path("models/v3"), NULL, &m), DCL_OK);
    fx_input in = fx_load_input("cases/v3/batch.json");
    dcl_session_params sp = dcl_session_default_params();
    sp.max_batch = in.B;
    sp.max_length = in.L;
    dcl_session *s = NULL;
    assert_int_equal(dcl_session_create(m, &sp, &s), DCL_OK);
    dcl_model_info mi;
    assert_int_equal(dcl_model_get_info(m, &mi), DCL_OK);
    *n = (size_t)in.B * (size_t)in.L * (size_t)mi.hidden_size;
    float *out = malloc(*n * sizeof *out);
    assert_non_null(out);
    dcl_batch b = {in.B, in.L, in.ids, in.mask, NULL, NULL};
    dcl_outputs o = {out, NULL, NULL};
    assert_int_equal(dcl_encode(s, &b, &o), DCL_OK);
    dcl_session_free(s);
    dcl_model_free(m);
    fx_free_input(&in);
    return out;
}

static void test_tuner_profile_loads_and_matches(void **state)
{
    (void)state;
    char cache[600], out[600];
    snprintf(cache, sizeof cache, "%s", in_tmp("cache"));
    snprintf(out, sizeof out, "%s", in_tmp("tuned.json"));
    dcl_context *ctx = context(cache, 1, DCL_OK);
    dcl_tune_params tp = dcl_tune_default_params();
    char model[1024];
    snprintf(model, sizeof model, "%s", fx_path("models/v3")); /* fx_path's buffer is reused */
    tp.model_dir = model;
    tp.batch = 2;
    tp.length = 16;
    tp.budget_seconds = 4;
    tp.output = out;
    dcl_tune_result r;
    assert_int_equal(dcl_tune(ctx, &tp, &r), DCL_OK);
    assert_string_equal(r.output, out);
    assert_true(r.rows >= 5);
    int measured = 0;
    for (int i = 0; i < r.rows; i++) {
        assert_true(r.row[i].tuned_seconds <= r.row[i].default_seconds);
        measured += r.row[i].candidates;
    }
    assert_true(measured >= 5);
    /* the context is back on its own parameters */
    char *before = NULL;
    assert_int_equal(dcl_context_tuning_json(ctx, 0, &before), DCL_OK);
    size_t n;
    float *ref = encode(ctx, &n);
    dcl_context_free(ctx);

    /* a second run with the same shapes reuses the measurements */
    ctx = context(cache, 1, DCL_OK);
    dcl_tune_result r2;
    assert_int_equal(dcl_tune(ctx, &tp, &r2), DCL_OK);
    int reused = 0;
    for (int i = 0; i < r2.rows; i++)
        reused += r2.row[i].reused;
    assert_true(reused >= 3);
    dcl_context_free(ctx);

    setenv("DEBERTACL_PROFILE_PATH", out, 1);
    ctx = context(NULL, 0, DCL_OK);
    char *after = NULL;
    assert_int_equal(dcl_context_tuning_json(ctx, 0, &after), DCL_OK);
    assert_non_null(strstr(after, "user:"));
    size_t n2;
    float *got = encode(ctx, &n2);
    assert_int_equal(n, n2);
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num = fmax(num, fabs((double)got[i] - ref[i]));
        den = fmax(den, fabs((double)ref[i]));
    }
    printf("tuned profile vs default: max |diff| %.3g, relative %.3g\n", num, num / den);
    assert_true(num <= 1e-5 * den);
    dcl_context_free(ctx);
    free(ref);
    free(got);
    dcl_string_free(before);
    dcl_string_free(after);
}

int main(void)
{
    dcl_test_require_device();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defines_reach_build_and_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_profile_fails_context, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clblast_parameters_per_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tuner_profile_loads_and_matches, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
